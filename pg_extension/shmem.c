/*-------------------------------------------------------------------------
 *
 * shmem.c
 *	  Shared state of the smscamp workers: their latches (so a campaign
 *	  start wakes them at commit) and the send-rate slots that keep, across
 *	  all workers, every campaign under its messages_per_second, every
 *	  sender under its segments_per_second (a message of 3 segments takes
 *	  3 of its slots) and all messages under smscamp.global_mps; and the
 *	  one pair of shared-memory hooks of the library, which also requests
 *	  and attaches the counters of metrics.c.
 *
 *-------------------------------------------------------------------------
 */
#include "smscamp.h"
#include "engine.h"
#include "metrics.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "storage/spin.h"

PG_FUNCTION_INFO_V1(smscamp_wake);
PG_FUNCTION_INFO_V1(smscamp_pacing_schedule);

#define SMSCAMP_MAX_WORKERS 64
#define SMSCAMP_RATE_SLOTS 256
#define SMSCAMP_SENDER_SLOTS 1024

typedef struct SmscampShared
{
	slock_t		mutex;
	Latch	   *latches[SMSCAMP_MAX_WORKERS];
	PaceSlot	slots[SMSCAMP_RATE_SLOTS];	/* by campaign id */
	PaceSlot	sender_slots[SMSCAMP_SENDER_SLOTS]; /* by sender id (0:
													 * smscamp.sms_from) */
	PaceSlot	global;
} SmscampShared;

static SmscampShared *shared = NULL;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;
static bool wake_at_commit = false;
static bool xact_callback_registered = false;

static void
smscamp_shmem_request_hook(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(SmscampShared)) +
						   smscamp_metrics_shmem_size());
}

static void
smscamp_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	shared = ShmemInitStruct("smscamp", sizeof(SmscampShared), &found);
	if (!found)
	{
		memset(shared, 0, sizeof(SmscampShared));
		SpinLockInit(&shared->mutex);
	}
	smscamp_metrics_shmem_attach();
	LWLockRelease(AddinShmemInitLock);
}

/* called from _PG_init while shared_preload_libraries load */
void
smscamp_shmem_request(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = smscamp_shmem_request_hook;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = smscamp_shmem_startup;
}

void
smscamp_shmem_register_worker(int slot)
{
	if (shared == NULL || slot < 0 || slot >= SMSCAMP_MAX_WORKERS)
		return;
	SpinLockAcquire(&shared->mutex);
	shared->latches[slot] = &MyProc->procLatch;
	SpinLockRelease(&shared->mutex);
}

void
smscamp_shmem_unregister_worker(int slot)
{
	if (shared == NULL || slot < 0 || slot >= SMSCAMP_MAX_WORKERS)
		return;
	SpinLockAcquire(&shared->mutex);
	shared->latches[slot] = NULL;
	SpinLockRelease(&shared->mutex);
}

static void
set_worker_latches(void)
{
	Latch	   *latches[SMSCAMP_MAX_WORKERS];
	int			i;

	if (shared == NULL)
		return;
	SpinLockAcquire(&shared->mutex);
	memcpy(latches, shared->latches, sizeof(latches));
	SpinLockRelease(&shared->mutex);
	for (i = 0; i < SMSCAMP_MAX_WORKERS; i++)
		if (latches[i] != NULL)
			SetLatch(latches[i]);
}

static void
wake_on_commit(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_COMMIT && wake_at_commit)
		set_worker_latches();
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT)
		wake_at_commit = false;
}

/* wake every worker once the current transaction commits */
void
smscamp_wake_workers(void)
{
	if (!xact_callback_registered)
	{
		RegisterXactCallback(wake_on_commit, NULL);
		xact_callback_registered = true;
	}
	wake_at_commit = true;
}

Datum
smscamp_wake(PG_FUNCTION_ARGS)
{
	smscamp_wake_workers();
	PG_RETURN_VOID();
}

/*
 * The arithmetic of a rate: a send of units (messages, or a sender's
 * segments) at per_second takes the slot's next units/per_second seconds.
 * Returns when it may go, at the earliest at; the slot moves past it. A 3-
 * segment message on a 1 segment/s long code takes its next 3 seconds.
 */
TimestampTz
smscamp_pace_reserve(PaceSlot *slot, TimestampTz at, double units,
					 double per_second)
{
	at = Max(at, slot->next);
	slot->next = at + (TimestampTz) (units * USECS_PER_SEC / per_second);
	return at;
}

/* the slot of key among n (a free one, else the one idle longest) */
static PaceSlot *
find_slot(PaceSlot *slots, int n, int64 key, TimestampTz now)
{
	int			i, oldest = 0;

	for (i = 0; i < n; i++)
	{
		if (slots[i].key == key)
			return &slots[i];
		if (slots[i].next < slots[oldest].next)
			oldest = i;
	}
	slots[oldest].key = key;
	slots[oldest].next = now;
	return &slots[oldest];
}

/*
 * The time at which a message of this campaign, from this sender, of this
 * many segments may go, reserved now: the campaign under mps messages per
 * second, the sender under its segments per second, all messages under
 * smscamp.global_mps; 0 = no limit. The three are taken together: the
 * message goes at the first moment all three allow, and each rate's next
 * slot starts from then.
 */
TimestampTz
smscamp_reserve_send_slot(int64 campaign_id, double mps,
						  const SmsSender *sender, int segments)
{
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz at = now;
	double		sps = sender ? sender->segments_per_second : 0;
	PaceSlot   *campaign = NULL;
	PaceSlot   *by_sender = NULL;

	if (shared == NULL || (mps <= 0 && sps <= 0 && smscamp_global_mps <= 0))
		return now;

	SpinLockAcquire(&shared->mutex);
	if (mps > 0)
	{
		campaign = find_slot(shared->slots, SMSCAMP_RATE_SLOTS, campaign_id, now);
		at = Max(at, campaign->next);
	}
	if (sps > 0)
	{
		by_sender = find_slot(shared->sender_slots, SMSCAMP_SENDER_SLOTS,
							  sender->id, now);
		at = Max(at, by_sender->next);
	}
	if (smscamp_global_mps > 0)
		at = Max(at, shared->global.next);
	/* at is now past all three slots: each reserves from it */
	if (smscamp_global_mps > 0)
		at = smscamp_pace_reserve(&shared->global, at, 1, smscamp_global_mps);
	if (campaign)
		at = smscamp_pace_reserve(campaign, at, 1, mps);
	if (by_sender)
		at = smscamp_pace_reserve(by_sender, at, Max(segments, 1), sps);
	SpinLockRelease(&shared->mutex);
	return at;
}

/*
 * smscamp_pacing_schedule(segments int[], segments_per_second, mps): when
 * each message of a queue from one sender goes, in seconds from the first,
 * by the workers' own arithmetic (smscamp_pace_reserve); mps 0 = none.
 */
Datum
smscamp_pacing_schedule(PG_FUNCTION_ARGS)
{
	ArrayType  *segs = PG_GETARG_ARRAYTYPE_P(0);
	float8		sps = PG_GETARG_FLOAT8(1);
	float8		mps = PG_GETARG_FLOAT8(2);
	Datum	   *values;
	bool	   *nulls;
	Datum	   *out;
	int			n, i;
	PaceSlot	sender = {0, 0};
	PaceSlot	campaign = {0, 0};

	if (sps <= 0 || mps < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("segments_per_second must be above 0 and mps 0 or above")));
	deconstruct_array(segs, INT4OID, 4, true, TYPALIGN_INT, &values, &nulls, &n);
	out = palloc(Max(n, 1) * sizeof(Datum));
	for (i = 0; i < n; i++)
	{
		TimestampTz at = 0;
		int			k = nulls[i] ? 1 : DatumGetInt32(values[i]);

		if (mps > 0)
			at = Max(at, campaign.next);
		at = Max(at, sender.next);
		if (mps > 0)
			at = smscamp_pace_reserve(&campaign, at, 1, mps);
		at = smscamp_pace_reserve(&sender, at, Max(k, 1), sps);
		out[i] = Float8GetDatum((double) at / USECS_PER_SEC);
	}
	PG_RETURN_ARRAYTYPE_P(construct_array(out, n, FLOAT8OID, 8, FLOAT8PASSBYVAL,
										  TYPALIGN_DOUBLE));
}
