/*-------------------------------------------------------------------------
 *
 * worker.c
 *	  Background workers: the queue is the campaign_leads table.
 *
 *	  Each loop: one short transaction records what finished (generations,
 *	  send results, "sending" marks), then claims more pending leads with
 *	  FOR UPDATE SKIP LOCKED and validates them; after it commits, the HTTP
 *	  calls start (LLM and SMS, up to smscamp.max_inflight at once through
 *	  curl multi). No transaction is ever open across an HTTP call, and an
 *	  SMS call starts only after its lead's "sending" mark is committed.
 *	  A worker with nothing to do sleeps on its latch.
 *
 *-------------------------------------------------------------------------
 */
#include "smscamp.h"
#include "engine.h"
#include "metrics.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/ilist.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

typedef enum JobStage
{
	JOB_GEN_READY,				/* validated; the message is to be written */
	JOB_GEN_HTTP,				/* LLM call in flight */
	JOB_GEN_DONE,				/* message written: record it */
	JOB_GEN_FAILED,				/* LLM failed: record and maybe retry */
	JOB_SEND_WAIT,				/* waiting for its send-rate slot */
	JOB_SEND_MARK,				/* commit "sending" (or the log outbox) */
	JOB_SMS_READY,				/* "sending" committed: call the provider */
	JOB_SMS_HTTP,				/* provider call in flight */
	JOB_SMS_DONE,				/* provider answered: record it */
	JOB_DONE
} JobStage;

typedef struct Job
{
	dlist_node	node;
	MemoryContext cxt;
	SmsLead    *lead;
	double		mps;
	JobStage	stage;
	int			rounds;			/* LLM calls made (regenerate once) */
	HttpCall   *call;
	bool		attached;		/* call->easy is in the multi handle */
	GeneratedSms gen;
	LlmAnswer	answer;
	SendResult	send;
	TimestampTz send_at;
	bool		slot_reserved;	/* send_at is this job's send-rate slot */
	bool		mark_with_gen;	/* the slot is due: gen and mark in one item */
	bool		via_log;		/* ... with the log provider */
} Job;

/* how long before its send slot a lead may be marked "sending" */
#define SEND_MARK_LEAD_MS 250

static volatile sig_atomic_t got_sigterm = false;
static dlist_head jobs = DLIST_STATIC_INIT(jobs);
static int	njobs = 0;
static int	http_inflight = 0;
static CURLM *multi = NULL;
static MemoryContext jobs_cxt = NULL;
static MemoryContext batch_cxt = NULL;	/* reset after each transaction */
static TimestampTz last_housekeeping = 0;

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

typedef void (*JobStep) (Job *job);
typedef void (*GuardedFn) (void *arg);

/*
 * Run fn(arg) in a subtransaction with cxt as the memory context: false,
 * with a WARNING naming what failed, when it raised an error.
 */
static bool
run_in_subxact(GuardedFn fn, void *arg, MemoryContext cxt, const char *what)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	volatile bool ok = true;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		fn(arg);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
		ereport(WARNING, (errmsg("smscamp: %s: %s", what, edata->message)));
		FreeErrorData(edata);
		ok = false;
	}
	PG_END_TRY();
	return ok;
}

typedef struct JobStepCall
{
	JobStep		step;
	Job		   *job;
} JobStepCall;

static void
call_job_step(void *arg)
{
	JobStepCall *call = (JobStepCall *) arg;

	call->step(call->job);
}

/* run step for one job in a subtransaction: a bad lead fails alone */
static bool
in_subxact(Job *job, JobStep step)
{
	JobStepCall call = {step, job};
	char		what[64];

	snprintf(what, sizeof(what), "campaign lead %lld",
			 job->lead ? (long long) job->lead->id : 0LL);
	return run_in_subxact(call_job_step, &call, job->cxt, what);
}

/* ---------- jobs ---------- */

static Job *
job_new(void)
{
	MemoryContext cxt = AllocSetContextCreate(jobs_cxt, "smscamp job",
											  ALLOCSET_SMALL_SIZES);
	Job		   *job = MemoryContextAllocZero(cxt, sizeof(Job));

	job->cxt = cxt;
	dlist_push_tail(&jobs, &job->node);
	njobs++;
	return job;
}

static void
job_free(Job *job)
{
	if (job->call)
	{
		/* never free a handle curl still holds: detach it first */
		if (job->attached)
		{
			curl_multi_remove_handle(multi, job->call->easy);
			job->attached = false;
			http_inflight--;
		}
		smscamp_http_free(job->call);
	}
	dlist_delete(&job->node);
	njobs--;
	MemoryContextDelete(job->cxt);
}

/* ---------- steps run inside the worker's transaction ---------- */

/*
 * Normally the jobs with database work are recorded together: one batch,
 * one statement (smscamp_record_batch), in a subtransaction. When the batch
 * fails, its jobs are recorded one by one, each in its own subtransaction
 * with the single-lead functions (the steps below), so a bad lead fails
 * alone.
 */

static void
step_record_generation(Job *job)
{
	smscamp_record_generation(job->lead, &job->gen);
}

static void
step_record_generation_failure(Job *job)
{
	smscamp_record_generation_failure(job->lead, job->answer.error,
									  job->answer.retryable,
									  job->answer.retry_after_s);
	smscamp_node_finalize(job->lead->id);
}

/* log provider: sent and finished here; twilio: "sending", then the call */
static void
step_send_mark(Job *job)
{
	if (smscamp_provider_is_log())
	{
		if (smscamp_send_via_log(job->lead))
			smscamp_node_finalize(job->lead->id);
		job->stage = JOB_DONE;
	}
	else if (!smscamp_mark_sending(job->lead))
		job->stage = JOB_DONE;
	else
		job->stage = JOB_SMS_READY;
}

static void
step_record_send(Job *job)
{
	smscamp_record_send(job->lead, &job->send,
						job->call ? job->call->seconds : 0);
	smscamp_node_finalize(job->lead->id);
}

static void
step_fail(Job *job)
{
	SendResult	r;

	memset(&r, 0, sizeof(r));
	r.outcome = SEND_REJECTED;
	r.error = "internal error while processing this lead (see the server log)";
	r.retry_after_s = -1;
	smscamp_record_send(job->lead, &r, 0);
	smscamp_node_finalize(job->lead->id);
}

static bool
has_db_work_stage(JobStage stage)
{
	return stage == JOB_GEN_DONE || stage == JOB_GEN_FAILED
		|| stage == JOB_SEND_MARK || stage == JOB_SMS_DONE;
}

static void
reserve_send_slot(Job *job)
{
	if (job->slot_reserved)
		return;
	job->send_at = smscamp_reserve_send_slot(job->lead->campaign_id, job->mps);
	job->slot_reserved = true;
}

/* a finished lead's generation waits for its send-rate slot */
static void
wait_for_send_slot(Job *job)
{
	reserve_send_slot(job);
	job->stage = JOB_SEND_WAIT;
}

/*
 * A written message whose send slot is due is recorded together with its
 * "sending" mark (or the log provider's send): one round trip less.
 */
static void
plan_generation_record(Job *job, TimestampTz now)
{
	reserve_send_slot(job);
	job->mark_with_gen =
		job->send_at <= TimestampTzPlusMilliseconds(now, SEND_MARK_LEAD_MS);
	job->via_log = smscamp_provider_is_log();
}

static void
job_recorded(Job *job)
{
	if (job->stage == JOB_DONE)
		smscamp_metrics_lead_finished(job->lead->id);
}

/* one job's database work in its own subtransaction (the fallback) */
static void
record_one(Job *job)
{
	JobStep		step;

	switch (job->stage)
	{
		case JOB_GEN_DONE:
			step = step_record_generation;
			break;
		case JOB_GEN_FAILED:
			step = step_record_generation_failure;
			break;
		case JOB_SEND_MARK:
			step = step_send_mark;
			break;
		case JOB_SMS_DONE:
			step = step_record_send;
			break;
		default:
			return;
	}
	if (!in_subxact(job, step))
	{
		/* sending may be committed already: leave it to recovery */
		if (job->stage != JOB_SMS_DONE)
			in_subxact(job, step_fail);
		job->stage = JOB_DONE;
	}
	else if (job->stage == JOB_GEN_DONE)
		wait_for_send_slot(job);
	else if (step != step_send_mark)
		job->stage = JOB_DONE;
	job_recorded(job);
}

/* the jobs of a batch, in campaign lead id order (the lock order) */
typedef struct JobBatch
{
	Job		  **jobs;
	int			n;
	bool	   *marked;			/* per job: marked "sending" */
	void		(*add) (RecordBatch *batch, Job *job);
} JobBatch;

static int
job_lead_cmp(const void *a, const void *b)
{
	int64		x = (*(Job *const *) a)->lead->id;
	int64		y = (*(Job *const *) b)->lead->id;

	return (x > y) - (x < y);
}

static void
job_batch_sort(JobBatch *jb)
{
	if (jb->n > 1)
		qsort(jb->jobs, jb->n, sizeof(Job *), job_lead_cmp);
	jb->marked = palloc0(Max(jb->n, 1) * sizeof(bool));
}

/* the item recording what a finished job did */
static void
add_finished_item(RecordBatch *batch, Job *job)
{
	switch (job->stage)
	{
		case JOB_GEN_DONE:
			if (job->mark_with_gen)
				smscamp_batch_generation_send(batch, job->lead, &job->gen,
											  job->via_log);
			else
				smscamp_batch_generation(batch, job->lead, &job->gen);
			break;
		case JOB_GEN_FAILED:
			smscamp_batch_generation_failure(batch, job->lead,
											 job->answer.error,
											 job->answer.retryable,
											 job->answer.retry_after_s);
			break;
		case JOB_SEND_MARK:
			if (smscamp_provider_is_log())
				smscamp_batch_send_log(batch, job->lead);
			else
				smscamp_batch_mark_sending(batch, job->lead);
			break;
		case JOB_SMS_DONE:
			smscamp_batch_send_result(batch, job->lead, &job->send,
									  job->call ? job->call->seconds : 0);
			break;
		default:
			elog(ERROR, "smscamp: job in stage %d has nothing to record",
				 (int) job->stage);
	}
}

static void
record_job_batch(void *arg)
{
	JobBatch   *jb = (JobBatch *) arg;
	RecordBatch batch;
	int			i;

	smscamp_batch_init(&batch);
	for (i = 0; i < jb->n; i++)
		jb->add(&batch, jb->jobs[i]);
	smscamp_batch_run(&batch, jb->marked);
}

/* the whole batch in one statement; false when it failed */
static bool
record_batch(JobBatch *jb)
{
	char		what[64];

	if (jb->n == 0)
		return true;
	snprintf(what, sizeof(what), "a batch of %d leads (recorded one by one instead)",
			 jb->n);
	return run_in_subxact(record_job_batch, jb, CurrentMemoryContext, what);
}

/* the stage after a batch recorded a finished job */
static void
advance_recorded(Job *job, bool marked)
{
	switch (job->stage)
	{
		case JOB_GEN_DONE:
			if (!job->mark_with_gen)
				wait_for_send_slot(job);
			else
				job->stage = (marked && !job->via_log) ? JOB_SMS_READY : JOB_DONE;
			break;
		case JOB_SEND_MARK:
			job->stage = (marked && !smscamp_provider_is_log())
				? JOB_SMS_READY : JOB_DONE;
			break;
		default:
			job->stage = JOB_DONE;
			break;
	}
	job_recorded(job);
}

/* record what finished; returns how many jobs had DB work */
static int
record_finished(void)
{
	dlist_iter	it;
	JobBatch	jb;
	int			i;

	TimestampTz now = GetCurrentTimestamp();

	jb.jobs = palloc(Max(njobs, 1) * sizeof(Job *));
	jb.n = 0;
	jb.add = add_finished_item;
	dlist_foreach(it, &jobs)
	{
		Job		   *job = dlist_container(Job, node, it.cur);

		if (!has_db_work_stage(job->stage))
			continue;
		if (job->stage == JOB_GEN_DONE)
			plan_generation_record(job, now);
		jb.jobs[jb.n++] = job;
	}
	job_batch_sort(&jb);
	if (record_batch(&jb))
		for (i = 0; i < jb.n; i++)
			advance_recorded(jb.jobs[i], jb.marked[i]);
	else
		for (i = 0; i < jb.n; i++)
			record_one(jb.jobs[i]);
	return jb.n;
}

/* claim pending leads with what the nodes need; returns the new jobs */
static int
claim_leads(int limit, Job **claimed)
{
	Oid			types[2] = {INT4OID, INT4OID};
	Datum		values[2] = {Int32GetDatum(MyProcPid), Int32GetDatum(limit)};
	uint64		r;
	int			n = 0;

	if (limit <= 0)
		return 0;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "smscamp: SPI_connect failed");
	if (SPI_execute_with_args("SELECT id, mps, context FROM smscamp_claim_leads($1, $2)",
							  2, types, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "smscamp: claim failed");
	for (r = 0; r < SPI_processed && n < limit; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Job		   *job = job_new();
		MemoryContext old = MemoryContextSwitchTo(job->cxt);
		Datum		ctx = SPI_getbinval(tup, desc, 3, &isnull);

		if (isnull)
			elog(ERROR, "smscamp: a claimed lead has no context");
		job->lead = smscamp_lead_from_json(TextDatumGetCString(ctx));
		job->mps = (double) DatumGetInt64(SPI_getbinval(tup, desc, 2, &isnull)) / 1000.0;
		job->stage = JOB_GEN_READY;
		MemoryContextSwitchTo(old);
		claimed[n++] = job;
	}
	SPI_finish();
	return n;
}

/* fallback: reload and validate one lead with the single-lead functions */
static void
step_load_and_validate(Job *job)
{
	job->lead = smscamp_load_lead(job->lead->id);
	if (!smscamp_node_validate(job->lead))
	{
		smscamp_node_finalize(job->lead->id);
		job->stage = JOB_DONE;
		return;
	}
	if (job->lead->agent_type && strcmp(job->lead->agent_type, "both") == 0)
		smscamp_log(job->lead->id, "warning", "sms_agent",
					"Voice step is not available yet: sending the SMS only", NULL);
	job->stage = JOB_GEN_READY;
}

static void
add_validation_item(RecordBatch *batch, Job *job)
{
	MemoryContext old = MemoryContextSwitchTo(job->cxt);
	List	   *errors = smscamp_validation_errors(job->lead);

	MemoryContextSwitchTo(old);
	smscamp_batch_validation(batch, job->lead, errors);
	job->stage = (errors == NIL) ? JOB_GEN_READY : JOB_DONE;
}

/* validate_lead for the claimed jobs: one batch, else one by one */
static void
validate_claimed(Job **claimed, int n)
{
	JobBatch	jb = {claimed, n, NULL, add_validation_item};
	int			i;

	job_batch_sort(&jb);
	if (record_batch(&jb))
	{
		for (i = 0; i < n; i++)
			job_recorded(claimed[i]);
		return;
	}
	for (i = 0; i < n; i++)
	{
		claimed[i]->stage = JOB_GEN_READY;
		if (!in_subxact(claimed[i], step_load_and_validate))
			claimed[i]->stage = JOB_DONE;
		job_recorded(claimed[i]);
	}
}

/*
 * How many leads to claim now. smscamp.max_inflight bounds the HTTP calls:
 * those in flight and those about to start (a job waiting for the database
 * to record its result holds none). All jobs together stay under twice
 * that, so a worker's memory stays bounded.
 */
static int
claim_limit(void)
{
	dlist_iter	it;
	int			calls = 0;

	dlist_foreach(it, &jobs)
	{
		JobStage	stage = dlist_container(Job, node, it.cur)->stage;

		if (stage != JOB_DONE && !has_db_work_stage(stage))
			calls++;
	}
	return Min(smscamp_batch_size,
			   Min(smscamp_max_inflight - calls, 2 * smscamp_max_inflight - njobs));
}

/* one transaction: record finished work, claim and validate new leads */
static int
run_transaction(bool claim)
{
	MemoryContext old;
	int			work, claimed = 0;

	begin_xact("smscamp: record and claim");
	old = MemoryContextSwitchTo(batch_cxt);
	work = record_finished();
	if (claim)
	{
		int			limit = claim_limit();
		Job		  **fresh = palloc(Max(limit, 1) * sizeof(Job *));

		claimed = claim_leads(limit, fresh);
		if (claimed > 0)
			validate_claimed(fresh, claimed);
	}
	MemoryContextSwitchTo(old);
	commit_xact();
	MemoryContextReset(batch_cxt);
	return work + claimed;
}

/* ---------- work outside transactions ---------- */

static void
builtin_generation(Job *job)
{
	bool		fits;
	MemoryContext old = MemoryContextSwitchTo(job->cxt);

	smscamp_finish_generation(job->lead,
							  smscamp_builtin_message(job->lead, job->lead->prompt,
													  job->lead->temperature),
							  &job->gen, &fits);
	MemoryContextSwitchTo(old);
	job->stage = JOB_GEN_DONE;
}

static void
start_call(Job *job, HttpCall *call, JobStage stage)
{
	job->call = call;
	if (!smscamp_http_prepare(call)
		|| curl_multi_add_handle(multi, call->easy) != CURLM_OK)
	{
		call->result = CURLE_FAILED_INIT;
		job->stage = (stage == JOB_GEN_HTTP) ? JOB_GEN_FAILED : JOB_SMS_DONE;
		if (stage == JOB_GEN_HTTP)
		{
			job->answer.error = "could not start the LLM request";
			job->answer.retryable = true;
			job->answer.retry_after_s = -1;
		}
		else
			smscamp_sms_parse(call, &job->send);
		return;
	}
	http_inflight++;
	job->attached = true;
	job->stage = stage;
}

/* start what can start: generations, due sends */
static void
start_ready_jobs(bool stopping)
{
	dlist_iter	it;
	TimestampTz now = GetCurrentTimestamp();

	dlist_foreach(it, &jobs)
	{
		Job		   *job = dlist_container(Job, node, it.cur);
		MemoryContext old;

		if (job->stage == JOB_GEN_READY && !stopping)
		{
			if (!smscamp_llm_enabled())
			{
				builtin_generation(job);
				continue;
			}
			old = MemoryContextSwitchTo(job->cxt);
			job->gen.model = pstrdup(smscamp_openai_model);
			start_call(job, smscamp_llm_request(job->lead, job->rounds > 0),
					   JOB_GEN_HTTP);
			job->rounds++;
			MemoryContextSwitchTo(old);
		}
		/*
		 * "sending" is committed a little before the send-rate slot, and the
		 * call starts exactly at it: the database's commit time never bunches
		 * the calls, and a lead is "sending" only briefly before its call.
		 */
		else if (job->stage == JOB_SEND_WAIT && !stopping
				 && job->send_at <= TimestampTzPlusMilliseconds(now, SEND_MARK_LEAD_MS))
			job->stage = JOB_SEND_MARK;
		else if (job->stage == JOB_SMS_READY && job->send_at <= now)
		{
			old = MemoryContextSwitchTo(job->cxt);
			start_call(job, smscamp_sms_request(job->lead), JOB_SMS_HTTP);
			MemoryContextSwitchTo(old);
		}
	}
}

static void
finish_generation_call(Job *job)
{
	HttpCall   *call = job->call;
	bool		fits = true;

	smscamp_llm_parse(call, &job->answer);
	job->gen.seconds += call->seconds;
	smscamp_http_free(call);
	job->call = NULL;
	if (!job->answer.ok)
	{
		job->stage = JOB_GEN_FAILED;
		return;
	}
	job->gen.prompt_tokens += job->answer.prompt_tokens;
	job->gen.completion_tokens += job->answer.completion_tokens;
	job->gen.regenerated = job->rounds > 1;
	smscamp_finish_generation(job->lead, job->answer.content, &job->gen, &fits);
	/* too long: ask once more for a shorter one, then truncate */
	job->stage = (!fits && job->rounds < 2) ? JOB_GEN_READY : JOB_GEN_DONE;
}

/* collect finished HTTP calls */
static void
collect_calls(void)
{
	CURLMsg    *msg;
	int			left;

	while ((msg = curl_multi_info_read(multi, &left)) != NULL)
	{
		HttpCall   *call = NULL;
		Job		   *job = NULL;
		dlist_iter	it;
		MemoryContext old;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &call);
		curl_multi_remove_handle(multi, msg->easy_handle);
		http_inflight--;
		dlist_foreach(it, &jobs)
		{
			Job		   *j = dlist_container(Job, node, it.cur);

			if (j->attached && j->call == call && call->easy == msg->easy_handle)
			{
				job = j;
				break;
			}
		}
		if (job == NULL)
		{
			elog(WARNING, "smscamp: a finished HTTP call belongs to no job");
			continue;
		}
		job->attached = false;
		call->result = msg->data.result;
		smscamp_http_finish(call);
		old = MemoryContextSwitchTo(job->cxt);
		if (job->stage == JOB_GEN_HTTP)
			finish_generation_call(job);
		else
		{
			smscamp_sms_parse(call, &job->send);
			job->stage = JOB_SMS_DONE;
		}
		MemoryContextSwitchTo(old);
	}
}

static void
free_done_jobs(void)
{
	dlist_mutable_iter it;

	dlist_foreach_modify(it, &jobs)
	{
		Job		   *job = dlist_container(Job, node, it.cur);

		if (job->stage == JOB_DONE)
			job_free(job);
	}
}

static bool
has_stage(JobStage stage)
{
	dlist_iter	it;

	dlist_foreach(it, &jobs)
		if (dlist_container(Job, node, it.cur)->stage == stage)
		return true;
	return false;
}

static bool
has_db_work(void)
{
	return has_stage(JOB_GEN_DONE) || has_stage(JOB_GEN_FAILED)
		|| has_stage(JOB_SEND_MARK) || has_stage(JOB_SMS_DONE);
}

/* ---------- housekeeping ---------- */

static void
housekeeping(bool force)
{
	TimestampTz now = GetCurrentTimestamp();

	if (!force && !TimestampDifferenceExceeds(last_housekeeping, now, 1000))
		return;
	last_housekeeping = now;
	begin_xact("smscamp: housekeeping");
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "smscamp: SPI_connect failed");
	if (SPI_execute("SELECT smscamp_housekeeping()", false, 0) != SPI_OK_SELECT)
		elog(ERROR, "smscamp: housekeeping failed");
	SPI_finish();
	commit_xact();
}

/* when a stop is asked: give back unsent work, wait a little for sends */
static void
release_unsent(void)
{
	dlist_iter	it;
	StringInfoData ids;

	initStringInfo(&ids);
	dlist_foreach(it, &jobs)
	{
		Job		   *job = dlist_container(Job, node, it.cur);

		if (job->stage <= JOB_SEND_WAIT && job->stage != JOB_GEN_DONE
			&& job->stage != JOB_GEN_FAILED)
		{
			appendStringInfo(&ids, "%s%lld", ids.len ? "," : "",
							 (long long) job->lead->id);
			job->stage = JOB_DONE;
		}
	}
	if (ids.len > 0)
	{
		Oid			types[1] = {TEXTOID};
		Datum		values[1];

		values[0] = CStringGetTextDatum(psprintf("{%s}", ids.data));
		begin_xact("smscamp: release");
		smscamp_spi_call("SELECT smscamp_release(($1)::bigint[])", 1, types,
						 values, NULL, NULL);
		commit_xact();
	}
}

/* ---------- main loop ---------- */

/* milliseconds until the earliest waiting send slot, at most max_ms */
static int
ms_until_next_slot(int max_ms)
{
	dlist_iter	it;
	TimestampTz now = GetCurrentTimestamp();
	int64		best = (int64) max_ms * 1000;

	dlist_foreach(it, &jobs)
	{
		Job		   *job = dlist_container(Job, node, it.cur);
		TimestampTz at;

		if (job->stage == JOB_SMS_READY)
			at = job->send_at;
		else if (job->stage == JOB_SEND_WAIT)
			at = job->send_at - SEND_MARK_LEAD_MS * 1000;
		else
			continue;
		best = Min(best, Max(at - now, 1000));
	}
	return (int) (best / 1000);
}

static void
wait_for_work(bool busy)
{
	int			rc;

	if (http_inflight > 0 || has_stage(JOB_SEND_WAIT) || has_stage(JOB_SMS_READY))
	{
		int			numfds;

		curl_multi_poll(multi, NULL, 0, ms_until_next_slot(20), &numfds);
		return;
	}
	if (busy)
		return;
	rc = WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
				   1000L, PG_WAIT_EXTENSION);
	if (rc & WL_LATCH_SET)
		ResetLatch(MyLatch);
}

static void
worker_iteration(void)
{
	int			running;
	int			worked;
	bool		stopping = got_sigterm;

	start_ready_jobs(stopping);
	curl_multi_perform(multi, &running);
	collect_calls();
	worked = 0;
	if (has_db_work() || (!stopping && claim_limit() > 0))
		worked = run_transaction(!stopping && claim_limit() > 0);
	free_done_jobs();
	start_ready_jobs(stopping);
	curl_multi_perform(multi, &running);
	smscamp_metrics_worker_inflight(http_inflight);
	if (!stopping)
		housekeeping(false);
	wait_for_work(worked > 0 || has_stage(JOB_GEN_READY) || has_db_work());
}

/* the workflow's SQL is loaded after the server starts: wait for it */
static void
wait_for_schema(void)
{
	for (;;)
	{
		bool		ready;
		int			rc;

		begin_xact("smscamp: waiting for the schema");
		ready = DatumGetBool(smscamp_spi_call("SELECT to_regproc('smscamp_housekeeping') IS NOT NULL",
											  0, NULL, NULL, NULL, NULL));
		commit_xact();
		if (ready || got_sigterm)
			return;
		rc = WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					   1000L, PG_WAIT_EXTENSION);
		if (rc & WL_LATCH_SET)
			ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

void
smscamp_worker_main(Datum arg)
{
	int			slot = DatumGetInt32(arg);
	TimestampTz stop_deadline = 0;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, handle_sigterm);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(smscamp_database, NULL, 0);

	smscamp_http_global_init();
	multi = curl_multi_init();
	if (multi == NULL)
		ereport(FATAL, (errmsg("smscamp: could not create a curl multi handle")));
	curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long) smscamp_max_inflight);
	jobs_cxt = AllocSetContextCreate(TopMemoryContext, "smscamp jobs",
									 ALLOCSET_DEFAULT_SIZES);
	batch_cxt = AllocSetContextCreate(TopMemoryContext, "smscamp batch",
									  ALLOCSET_DEFAULT_SIZES);
	smscamp_shmem_register_worker(slot);
	ereport(LOG, (errmsg("smscamp worker %d started", slot + 1)));

	wait_for_schema();
	housekeeping(true);			/* recovers what a dead worker left */

	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			/* curl's connection cap follows smscamp.max_inflight */
			curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
							  (long) smscamp_max_inflight);
		}
		if (got_sigterm && stop_deadline == 0)
		{
			stop_deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), 5000);
			release_unsent();
			free_done_jobs();
		}
		if (got_sigterm && (njobs == 0
							|| GetCurrentTimestamp() > stop_deadline))
			break;
		worker_iteration();
	}

	smscamp_shmem_unregister_worker(slot);
	ereport(LOG, (errmsg("smscamp worker %d stopped (%d unfinished sends left "
						 "for recovery)", slot + 1, njobs)));
	proc_exit(1);
}
