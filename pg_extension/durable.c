/*-------------------------------------------------------------------------
 *
 * durable.c
 *	  Whether a worker may write, and whether a "sending" mark is durable.
 *
 *	  writable	the node is a primary out of recovery and not read-only
 *				(default_transaction_read_only): the workers sleep on their
 *				latch otherwise, instead of failing their transactions
 *	  durable	with smscamp.durable_marks on (a formation with synchronous
 *				standbys, make run-ha), a lead's "sending" mark (or a
 *				message's, or a call's "calling") counts only once a
 *				synchronous standby has flushed the WAL of the commit that
 *				made it. A COMMIT can return without that: the wait for the
 *				standby ends on a query cancel, on postmaster death, and when
 *				synchronous_standby_names is emptied. The workers check
 *				before each provider call and hold the call until it holds;
 *				a lead held this way that its worker never sends becomes
 *				"unknown", and an unknown lead is never resent. Off (one
 *				node): every mark is durable.
 *
 *	  The check reads what the walsenders publish for the backends waiting
 *	  on synchronous replication (WalSndCtl->lsn[SYNC_REP_WAIT_FLUSH], the
 *	  flush position the synchronous standbys agree on, under SyncRepLock):
 *	  no query, no wait, and once per pass over a worker's jobs
 *	  (smscamp_durable_upto), not once per job. So the workers commit with synchronous_commit =
 *	  local (worker.c) and go on with other leads while a mark reaches a
 *	  standby; the marks are what must survive a failover, and they are
 *	  checked here.
 *
 *-------------------------------------------------------------------------
 */
#include "smscamp.h"
#include "engine.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "miscadmin.h"
#include "replication/syncrep.h"
#include "replication/walsender_private.h"
#include "storage/lwlock.h"
#include "storage/pmsignal.h"
#include "utils/timestamp.h"

bool		smscamp_durable_marks = false;

/* a mark not durable this long after its commit is worth a warning */
#define HELD_NOTE_MS	1000

/* the end of this backend's last commit: what a mark made by it needs flushed */
XLogRecPtr
smscamp_last_commit_lsn(void)
{
	return XactLastCommitEnd;
}

bool
smscamp_node_writable(void)
{
	return !RecoveryInProgress() && !DefaultXactReadOnly;
}

/*
 * The LSN up to which marks are durable now, read once for a pass over a
 * worker's jobs (a commit's LSN is never 0): every mark with the check off,
 * none (InvalidXLogRecPtr) when the postmaster is gone or no synchronous
 * standby is defined.
 */
XLogRecPtr
smscamp_durable_upto(void)
{
	bool		defined;
	XLogRecPtr	flushed;

	if (!smscamp_durable_marks)
		return PG_UINT64_MAX;
	if (!PostmasterIsAlive())
		return InvalidXLogRecPtr;
	LWLockAcquire(SyncRepLock, LW_SHARED);
#ifdef SYNC_STANDBY_DEFINED
	defined = (WalSndCtl->sync_standbys_status & SYNC_STANDBY_DEFINED) != 0;
#else
	defined = WalSndCtl->sync_standbys_defined;
#endif
	flushed = WalSndCtl->lsn[SYNC_REP_WAIT_FLUSH];
	LWLockRelease(SyncRepLock);
	return defined ? flushed : InvalidXLogRecPtr;
}

/* is the mark committed at lsn durable, as of upto (smscamp_durable_upto) */
bool
smscamp_mark_durable(XLogRecPtr lsn, XLogRecPtr upto)
{
	return upto != InvalidXLogRecPtr && lsn <= upto;
}

/*
 * Is a mark that is not durable yet held long enough to say so? A standby
 * flushes within a few milliseconds; a second means it is not there.
 */
bool
smscamp_held_long(TimestampTz mark_at, TimestampTz now)
{
	return TimestampDifferenceExceeds(mark_at, now, HELD_NOTE_MS);
}

/*
 * A worker holding calls for more than HELD_NOTE_MS says so now and then
 * (every 10 s at most), with why: the log shows a formation that lost its
 * synchronous standbys.
 */
void
smscamp_note_held(int held)
{
	static TimestampTz last = 0;
	TimestampTz now;

	if (held <= 0)
		return;
	now = GetCurrentTimestamp();
	if (last != 0 && !TimestampDifferenceExceeds(last, now, 10000))
		return;
	last = now;
	ereport(WARNING,
			(errmsg("smscamp: holding %d provider call%s: %s", held, held == 1 ? "" : "s",
					"the \"sending\" mark is not flushed by a synchronous standby after a second"),
			 errhint("smscamp.durable_marks is on; synchronous_standby_names is \"%s\".",
					 SyncRepStandbyNames ? SyncRepStandbyNames : "")));
}
