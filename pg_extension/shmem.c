/*-------------------------------------------------------------------------
 *
 * shmem.c
 *	  Shared state of the smscamp workers: their latches (so a campaign
 *	  start wakes them at commit) and the send-rate slots that keep every
 *	  campaign under its messages_per_second across all workers; and the
 *	  one pair of shared-memory hooks of the library, which also requests
 *	  and attaches the counters of metrics.c.
 *
 *-------------------------------------------------------------------------
 */
#include "smscamp.h"
#include "engine.h"
#include "metrics.h"

#include "access/xact.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "storage/spin.h"

PG_FUNCTION_INFO_V1(smscamp_wake);

#define SMSCAMP_MAX_WORKERS 64
#define SMSCAMP_RATE_SLOTS 256

typedef struct RateSlot
{
	int64		campaign_id;
	TimestampTz next;			/* earliest time of the next send */
} RateSlot;

typedef struct SmscampShared
{
	slock_t		mutex;
	Latch	   *latches[SMSCAMP_MAX_WORKERS];
	RateSlot	slots[SMSCAMP_RATE_SLOTS];
	TimestampTz global_next;
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
 * The time at which this campaign may send its next message so that it
 * stays under mps messages per second (and all campaigns together under
 * smscamp.global_mps), reserved now; 0 = no limit.
 */
TimestampTz
smscamp_reserve_send_slot(int64 campaign_id, double mps)
{
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz at = now;
	RateSlot   *slot = NULL;
	int			i, oldest = 0;

	if (shared == NULL || (mps <= 0 && smscamp_global_mps <= 0))
		return now;

	SpinLockAcquire(&shared->mutex);
	if (mps > 0)
	{
		for (i = 0; i < SMSCAMP_RATE_SLOTS; i++)
		{
			if (shared->slots[i].campaign_id == campaign_id)
			{
				slot = &shared->slots[i];
				break;
			}
			if (shared->slots[i].next < shared->slots[oldest].next)
				oldest = i;
		}
		if (slot == NULL)
		{
			slot = &shared->slots[oldest];
			slot->campaign_id = campaign_id;
			slot->next = now;
		}
		at = Max(now, slot->next);
		slot->next = at + (TimestampTz) (USECS_PER_SEC / mps);
	}
	if (smscamp_global_mps > 0)
	{
		at = Max(at, shared->global_next);
		shared->global_next = at + USECS_PER_SEC / smscamp_global_mps;
	}
	SpinLockRelease(&shared->mutex);
	return at;
}
