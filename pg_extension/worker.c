/*-------------------------------------------------------------------------
 *
 * worker.c
 *	  The background workers' loop (smscamp.workers of them, started by
 *	  the postmaster; the queue is the campaign_leads table).
 *
 *	  Each pass: the HTTP calls that can start start, the finished ones
 *	  are collected (jobs.c); then one short transaction records what
 *	  finished and claims more pending leads (FOR UPDATE SKIP LOCKED),
 *	  recording their validation, and claims conversation work
 *	  (conversation.c: replies to send, the reply agent's model calls).
 *	  No transaction is ever open across an HTTP call, and an SMS call
 *	  starts only after its "sending" mark is committed (and, with
 *	  smscamp.durable_marks, flushed by a synchronous standby: durable.c).
 *	  A worker with nothing to do sleeps on its latch (a campaign start or
 *	  an inbound message wakes it); so does a worker on a node that is
 *	  read-only (a formation's primary being demoted), until it is not.
 *
 *	  The workers own the housekeeping (scheduled campaigns due, leads of
 *	  dead workers, campaigns left to complete): each runs it once when it
 *	  starts, the first one every second after that. They work only while
 *	  the extension and sql/workflow.sql are installed in their database.
 *
 *-------------------------------------------------------------------------
 */
#include "smscamp.h"
#include "engine.h"
#include "jobs.h"
#include "metrics.h"

#include <sys/resource.h>

#include "access/xact.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/fd.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/pmsignal.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

static volatile sig_atomic_t got_sigterm = false;
static CURLM *multi = NULL;
static MemoryContext pass_cxt = NULL;	/* reset after each transaction */
static int	my_slot = 0;
static TimestampTz last_tick = 0;
static bool engine_ready = false;
static bool conv_ready = false;	/* sql/reply_agent.sql is loaded */

static void
handle_sigterm(SIGNAL_ARGS)
{
	int			save_errno = errno;

	got_sigterm = true;
	SetLatch(MyLatch);
	errno = save_errno;
}

void
smscamp_register_workers(void)
{
	BackgroundWorker worker;
	int			i;

	for (i = 0; i < smscamp_workers; i++)
	{
		memset(&worker, 0, sizeof(worker));
		worker.bgw_flags = BGWORKER_SHMEM_ACCESS |
			BGWORKER_BACKEND_DATABASE_CONNECTION;
		worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
		worker.bgw_restart_time = 2;
		snprintf(worker.bgw_library_name, BGW_MAXLEN, "smscamp");
		snprintf(worker.bgw_function_name, BGW_MAXLEN, "smscamp_worker_main");
		snprintf(worker.bgw_name, BGW_MAXLEN, "smscamp worker %d", i + 1);
		snprintf(worker.bgw_type, BGW_MAXLEN, "smscamp worker");
		worker.bgw_main_arg = Int32GetDatum(i);
		RegisterBackgroundWorker(&worker);
	}
}

/* ---------- transactions ---------- */

static void
begin_xact(const char *what)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, what);
}

static void
commit_xact(void)
{
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
}

/*
 * One transaction: record finished work, claim (and validate) new leads,
 * claim conversation work.
 */
static int
run_transaction(bool claim, bool conv_claim)
{
	MemoryContext old;
	int			work, claimed = 0;
	TimestampTz committed;
	XLogRecPtr	lsn;

	begin_xact("smscamp: record and claim");
	old = MemoryContextSwitchTo(pass_cxt);
	work = smscamp_jobs_record();
	if (conv_ready)
		work += smscamp_conv_record();
	if (claim)
		claimed = smscamp_jobs_claim(smscamp_jobs_claim_limit());
	if (conv_claim)
		claimed += smscamp_conv_claim(MyProcPid);
	MemoryContextSwitchTo(old);
	commit_xact();
	lsn = smscamp_last_commit_lsn();
	committed = GetCurrentTimestamp();
	smscamp_jobs_committed(lsn, committed);
	smscamp_conv_committed(lsn, committed);
	MemoryContextReset(pass_cxt);
	return work + claimed;
}

/*
 * Once a second: whether the engine is still installed and, for the first
 * worker (or any when force), the housekeeping.
 */
static void
tick(bool force)
{
	TimestampTz now = GetCurrentTimestamp();

	if (!force && !TimestampDifferenceExceeds(last_tick, now, 1000))
		return;
	last_tick = now;
	begin_xact("smscamp: housekeeping");
	engine_ready = smscamp_engine_installed();
	conv_ready = engine_ready && smscamp_conversations_installed();
	if (engine_ready && (force || my_slot == 0))
		smscamp_spi_housekeeping();
	commit_xact();
}

/* when a stop is asked: give back unsent work (sends are waited for a little) */
static void
release_unsent(void)
{
	int64	   *ids;
	int			n = smscamp_jobs_unsent(&ids);

	if (n > 0 && engine_ready)
	{
		begin_xact("smscamp: release");
		smscamp_spi_release(ids, n);
		commit_xact();
	}
	pfree(ids);
}

/* ---------- main loop ---------- */

static void
sleep_on_latch(void)
{
	int			rc = WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							   1000L, PG_WAIT_EXTENSION);

	if (rc & WL_LATCH_SET)
	{
		ResetLatch(MyLatch);
		smscamp_conv_woken();
	}
}

static void
wait_for_work(bool busy)
{
	if (smscamp_jobs_waiting())
	{
		int			numfds;

		curl_multi_poll(multi, NULL, 0,
						smscamp_jobs_ms_until_next_slot(smscamp_conv_inflight() ? 5 : 20),
						&numfds);
		return;
	}
	if (smscamp_conv_inflight() > 0)
	{
		smscamp_conv_poll(20);
		return;
	}
	if (!busy)
		sleep_on_latch();
}

static void
worker_iteration(void)
{
	int			running;
	int			worked = 0;
	bool		stopping = got_sigterm;
	bool		claim;
	bool		conv_claim;

	smscamp_jobs_start(stopping);
	smscamp_conv_start(stopping);
	curl_multi_perform(multi, &running);
	smscamp_jobs_collect();
	smscamp_conv_collect();
	claim = !stopping && smscamp_jobs_claim_limit() > 0;
	conv_claim = !stopping && conv_ready && smscamp_conv_claim_due();
	if (smscamp_jobs_have_results() || smscamp_conv_have_results() || claim || conv_claim)
		worked = run_transaction(claim, conv_claim);
	smscamp_jobs_free_done();
	smscamp_jobs_start(stopping);
	smscamp_conv_start(stopping);
	curl_multi_perform(multi, &running);
	smscamp_conv_collect();
	smscamp_metrics_worker_inflight(smscamp_jobs_inflight());
	if (!stopping)
		tick(false);
	wait_for_work(worked > 0 || smscamp_jobs_ready() || smscamp_jobs_have_results());
}

/*
 * The files a worker may open: every HTTP call in flight holds a socket,
 * beside the files PostgreSQL keeps open (max_files_per_process) and the
 * conversation calls'. A server started by a login (runuser, systemd)
 * often has a soft limit of 1,024: it is raised to the hard limit once, and
 * smscamp.max_inflight is held under what is left (a cap over it made the
 * calls past it fail with "Too many open files", and the campaign with
 * them). Returns the calls that fit.
 */
static int
open_files_room(void)
{
	static long room = -1;
	struct rlimit rl;

	if (room >= 0)
		return (int) Min(room, INT_MAX);
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
	{
		room = INT_MAX;			/* not known: the setting as it is */
		return INT_MAX;
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < rl.rlim_max)
	{
		struct rlimit raised = rl;

		raised.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
			rl = raised;
	}
	if (rl.rlim_cur == RLIM_INFINITY)
		room = INT_MAX;
	else
		room = Max((long) rl.rlim_cur - max_files_per_process - 2 * smscamp_conv_max_tasks() - 64,
				   16L);
	return (int) Min(room, INT_MAX);
}

/* smscamp.max_inflight, as far as the open files allow; said once when less */
static void
size_inflight(void)
{
	static int	said = -1;
	int			cap = Min(smscamp_max_inflight, open_files_room());

	if (cap < smscamp_max_inflight && said != cap)
		ereport(LOG, (errmsg("smscamp worker %d: %d HTTP calls in flight at most, not %d",
							 my_slot + 1, cap, smscamp_max_inflight),
					  errdetail("Each call holds a socket and the open files limit leaves room for %d.",
								cap),
					  errhint("Raise the server's open files limit (ulimit -n) or lower smscamp.max_inflight.")));
	said = cap;
	smscamp_jobs_set_inflight_cap(cap);
	curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long) cap);
}

/* a SIGHUP: the settings again (default_transaction_read_only among them) */
static void
reload_config(void)
{
	if (!ConfigReloadPending)
		return;
	ConfigReloadPending = false;
	ProcessConfigFile(PGC_SIGHUP);
	/* the in-flight cap and curl's connection cap follow smscamp.max_inflight */
	size_inflight();
}

/*
 * A node that cannot be written (default_transaction_read_only, or in
 * recovery): the worker sleeps, holding what it has, and says so once.
 * pg_auto_failover turns the setting off by a reload once a promoted node
 * may be written. Returns whether it slept.
 */
static bool
wait_while_read_only(void)
{
	static bool said = false;

	reload_config();
	if (smscamp_node_writable())
	{
		if (said)
			ereport(LOG, (errmsg("smscamp worker %d: the node is writable again", my_slot + 1)));
		said = false;
		return false;
	}
	if (!said)
		ereport(LOG, (errmsg("smscamp worker %d: the node is read-only; waiting", my_slot + 1),
					  errdetail("%d campaign leads and %d conversation tasks held.",
								smscamp_jobs_count(), smscamp_conv_count())));
	said = true;
	sleep_on_latch();
	return true;
}

/*
 * The extension and the workflow's SQL are loaded after the server starts
 * (and may be dropped): wait for them.
 */
static void
wait_for_engine(void)
{
	while (!got_sigterm)
	{
		if (wait_while_read_only())
			continue;
		tick(true);
		if (engine_ready)
			return;
		sleep_on_latch();
		CHECK_FOR_INTERRUPTS();
	}
}

void
smscamp_worker_main(Datum arg)
{
	TimestampTz stop_deadline = 0;

	my_slot = DatumGetInt32(arg);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, handle_sigterm);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(smscamp_database, NULL, 0);

	/*
	 * The workers' commits do not wait for a synchronous standby: a mark is
	 * checked to be on one before its provider call (durable.c), without
	 * blocking, and nothing else they write needs it. A worker waiting in a
	 * commit for a standby that is gone would not stop on SIGTERM (only a
	 * backend's die() ends that wait), and a demoted primary could not shut
	 * down.
	 */
	SetConfigOption("synchronous_commit", "local", PGC_SUSET, PGC_S_OVERRIDE);

	smscamp_http_global_init();
	multi = curl_multi_init();
	if (multi == NULL)
		ereport(FATAL, (errmsg("smscamp: could not create a curl multi handle")));
	smscamp_jobs_init(multi);
	size_inflight();
	smscamp_conv_init();
	pass_cxt = AllocSetContextCreate(TopMemoryContext, "smscamp pass",
									 ALLOCSET_DEFAULT_SIZES);
	smscamp_shmem_register_worker(my_slot);
	ereport(LOG, (errmsg("smscamp worker %d started", my_slot + 1)));

	/* the first housekeeping recovers what a dead worker left */
	wait_for_engine();

	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		/* a busy worker may not sleep on its latch for a long time */
		if (!PostmasterIsAlive())
			proc_exit(1);
		reload_config();
		if (got_sigterm && stop_deadline == 0)
		{
			stop_deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), 5000);
			release_unsent();
			smscamp_jobs_free_done();
		}
		if (got_sigterm && ((smscamp_jobs_count() == 0 && smscamp_conv_count() == 0)
							|| GetCurrentTimestamp() > stop_deadline))
			break;
		if (wait_while_read_only())
			continue;
		if (!engine_ready)
			wait_for_engine();
		else
			worker_iteration();
	}

	smscamp_shmem_unregister_worker(my_slot);
	ereport(LOG, (errmsg("smscamp worker %d stopped (%d unfinished sends left "
						 "for recovery)", my_slot + 1, smscamp_jobs_count())));
	proc_exit(1);
}
