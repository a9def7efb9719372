/*-------------------------------------------------------------------------
 *
 * jobs.c
 *	  A worker's jobs: the leads it holds, each in a stage. A job is
 *	  claimed and its validation recorded; its message is written (offline,
 *	  or by an LLM call) and recorded; when its send-rate slot comes it is
 *	  marked "sending" (committed before the SMS call, and held until that
 *	  commit is on a synchronous standby when smscamp.durable_marks is on:
 *	  durable.c), sent, and the provider's answer recorded. The loop of worker.c drives the jobs:
 *	  HTTP calls start and finish outside transactions (up to
 *	  smscamp.max_inflight at once, as the worker can hold them: curl multi); recording and claiming
 *	  happen inside its transactions.
 *
 *	  Recording: the jobs with a result go in one batch (record.c), one
 *	  statement, in a subtransaction. When the batch fails, each job's item
 *	  is recorded alone in a subtransaction of its own, through the same
 *	  function; a job whose item fails even alone is recorded as failed
 *	  with an internal error, except after its send started (that lead is
 *	  left to the housekeeping's recovery: it may have been sent).
 *
 *-------------------------------------------------------------------------
 */
#include "smscamp.h"
#include "engine.h"
#include "jobs.h"
#include "metrics.h"

#include "access/xact.h"
#include "lib/ilist.h"
#include "miscadmin.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

typedef enum JobStage
{
	JOB_VALIDATE,				/* claimed: its validation to record */
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
	bool		valid;			/* its validation passed */
	bool		failing;		/* its item failed: record an internal error */
	int			rounds;			/* LLM calls made (asked again once) */
	char	   *problem;		/* why the last answer could not be used */
	HttpCall   *call;
	bool		attached;		/* call->easy is in the multi handle */
	GeneratedSms gen;
	LlmAnswer	answer;
	SendResult	send;
	RecordResult result;		/* of its item recorded alone */
	TimestampTz send_at;
	bool		slot_reserved;	/* send_at is this job's send-rate slot */
	bool		mark_with_gen;	/* the slot is due: gen and mark in one item */
	bool		late_once;		/* it missed its slot once and took another */
	XLogRecPtr	mark_lsn;		/* JOB_SMS_READY: the commit of its mark */
	TimestampTz mark_at;		/* ... and when it returned */
} Job;

/* how long before its send slot a lead may be marked "sending" */
#define SEND_MARK_LEAD_MS 250
/* a send this late for its slot takes a new one (once) rather than bunch */
#define LATE_SEND_MS 200

static dlist_head jobs = DLIST_STATIC_INIT(jobs);
static int	njobs = 0;
static int	http_inflight = 0;
static int	inflight_cap = 1024;	/* smscamp.max_inflight, as the worker can hold it */
static CURLM *multi = NULL;
static MemoryContext jobs_cxt = NULL;

void
smscamp_jobs_init(CURLM *m)
{
	multi = m;
	jobs_cxt = AllocSetContextCreate(TopMemoryContext, "smscamp jobs",
									 ALLOCSET_DEFAULT_SIZES);
}

int
smscamp_jobs_count(void)
{
	return njobs;
}

int
smscamp_jobs_inflight(void)
{
	return http_inflight;
}

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

void
smscamp_jobs_free_done(void)
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

/* a result to record (JOB_VALIDATE exists only inside a claim) */
static bool
has_result_stage(JobStage stage)
{
	return stage == JOB_GEN_DONE || stage == JOB_GEN_FAILED
		|| stage == JOB_SEND_MARK || stage == JOB_SMS_DONE;
}

bool
smscamp_jobs_have_results(void)
{
	dlist_iter	it;

	dlist_foreach(it, &jobs)
		if (has_result_stage(dlist_container(Job, node, it.cur)->stage))
		return true;
	return false;
}

bool
smscamp_jobs_ready(void)
{
	return has_stage(JOB_GEN_READY);
}

bool
smscamp_jobs_waiting(void)
{
	return http_inflight > 0 || has_stage(JOB_SEND_WAIT) || has_stage(JOB_SMS_READY);
}

/* the bound of the HTTP calls in flight (the worker's smscamp_inflight_cap()) */
void
smscamp_jobs_set_inflight_cap(int cap)
{
	inflight_cap = Max(cap, 1);
}

/*
 * How many leads to claim now. The in-flight cap bounds the HTTP calls:
 * those in flight and those about to start (a job waiting for the database
 * to record its result holds none). All jobs together stay under twice
 * that, so a worker's memory stays bounded.
 */
int
smscamp_jobs_claim_limit(void)
{
	dlist_iter	it;
	int			calls = 0;

	dlist_foreach(it, &jobs)
	{
		JobStage	stage = dlist_container(Job, node, it.cur)->stage;

		if (stage != JOB_DONE && !has_result_stage(stage))
			calls++;
	}
	return Min(smscamp_batch_size,
			   Min(inflight_cap - calls, 2 * inflight_cap - njobs));
}

/* ---------- send-rate slots ---------- */

static void
reserve_send_slot(Job *job)
{
	SmsCount	count;

	if (job->slot_reserved)
		return;
	if (job->gen.message)
		count = job->gen.count;
	else
		smscamp_count_sms(job->lead->message ? job->lead->message : "",
						  job->lead->message ? strlen(job->lead->message) : 0,
						  &count);
	/* a call is paced by its campaign's calls_per_second (the claim's mps) only */
	job->send_at = smscamp_reserve_send_slot(job->lead->campaign_id, job->mps,
											 job->lead->voice ? NULL : &job->lead->sender,
											 count.segments);
	job->slot_reserved = true;
}

/* a recorded message waits for its send-rate slot */
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
}

int
smscamp_jobs_ms_until_next_slot(int max_ms)
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

/* ---------- recording (inside the loop's transaction) ---------- */

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

/* the item recording what a job did, by its stage */
static void
add_item(RecordBatch *batch, Job *job)
{
	List	   *errors;

	if (job->failing)
	{
		smscamp_batch_internal_failure(batch, job->lead);
		return;
	}
	switch (job->stage)
	{
		case JOB_VALIDATE:
			errors = smscamp_validation_errors(job->lead);
			job->valid = (errors == NIL);
			smscamp_batch_validation(batch, job->lead, errors);
			break;
		case JOB_GEN_DONE:
			if (job->mark_with_gen)
				smscamp_batch_send_start(batch, job->lead, &job->gen);
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
			smscamp_batch_send_start(batch, job->lead, NULL);
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

/* a send that started: the SMS call next, unless the log provider sent it */
static JobStage
after_send_start(const RecordResult *result)
{
	return (result->marked && !smscamp_provider_is_log()) ? JOB_SMS_READY : JOB_DONE;
}

/*
 * The stage after a job's item was recorded; a job done with its lead is
 * counted in the metrics as the record left the lead.
 */
static void
advance(Job *job, const RecordResult *result)
{
	if (job->failing)
		job->stage = JOB_DONE;
	else if (job->stage == JOB_VALIDATE)
		job->stage = job->valid ? JOB_GEN_READY : JOB_DONE;
	else if (job->stage == JOB_GEN_DONE && !job->mark_with_gen)
		wait_for_send_slot(job);
	else if (job->stage == JOB_GEN_DONE || job->stage == JOB_SEND_MARK)
		job->stage = after_send_start(result);
	else
		job->stage = JOB_DONE;
	if (job->stage == JOB_DONE)
		smscamp_metrics_lead_finished(result->status, result->segments,
									  result->cost);
}

/* jobs recorded by one batch, results[i] for jobs[i] */
typedef struct JobBatch
{
	Job		  **jobs;
	int			n;
	RecordResult *results;
} JobBatch;

static void
record_job_batch(void *arg)
{
	JobBatch   *jb = (JobBatch *) arg;
	RecordBatch batch;
	int			i;

	smscamp_batch_init(&batch);
	for (i = 0; i < jb->n; i++)
		add_item(&batch, jb->jobs[i]);
	smscamp_batch_run(&batch, jb->results);
}

/* the fallback: one job's item alone, in a subtransaction of its own */
static void
record_alone(Job *job)
{
	JobBatch	jb = {&job, 1, &job->result};
	char		what[64];

	snprintf(what, sizeof(what), "campaign lead %lld", (long long) job->lead->id);
	if (run_in_subxact(record_job_batch, &jb, job->cxt, what))
	{
		advance(job, &job->result);
		return;
	}
	/* sending may be committed already: leave it to recovery */
	if (job->stage != JOB_SMS_DONE)
	{
		job->failing = true;
		if (run_in_subxact(record_job_batch, &jb, job->cxt, what))
		{
			advance(job, &job->result);
			return;
		}
	}
	job->stage = JOB_DONE;
}

static int
job_lead_cmp(const void *a, const void *b)
{
	int64		x = (*(Job *const *) a)->lead->id;
	int64		y = (*(Job *const *) b)->lead->id;

	return (x > y) - (x < y);
}

/*
 * Record the items of these jobs, in campaign lead id order (the lock
 * order): one batch, else each alone. Every job advances to its next stage.
 */
static void
record_jobs(Job **list, int n)
{
	JobBatch	jb = {list, n, NULL};
	char		what[80];
	int			i;

	if (n == 0)
		return;
	if (n > 1)
		qsort(list, n, sizeof(Job *), job_lead_cmp);
	jb.results = palloc0(n * sizeof(RecordResult));
	snprintf(what, sizeof(what), "a batch of %d leads (recorded one by one instead)", n);
	if (run_in_subxact(record_job_batch, &jb, CurrentMemoryContext, what))
	{
		for (i = 0; i < n; i++)
			advance(list[i], &jb.results[i]);
		return;
	}
	for (i = 0; i < n; i++)
		record_alone(list[i]);
}

int
smscamp_jobs_record(void)
{
	dlist_iter	it;
	Job		  **list = palloc(Max(njobs, 1) * sizeof(Job *));
	int			n = 0;
	TimestampTz now = GetCurrentTimestamp();

	dlist_foreach(it, &jobs)
	{
		Job		   *job = dlist_container(Job, node, it.cur);

		if (!has_result_stage(job->stage))
			continue;
		if (job->stage == JOB_GEN_DONE)
			plan_generation_record(job, now);
		list[n++] = job;
	}
	record_jobs(list, n);
	return n;
}

int
smscamp_jobs_claim(int limit)
{
	List	   *claimed = smscamp_spi_claim(MyProcPid, limit);
	Job		  **list = palloc(Max(list_length(claimed), 1) * sizeof(Job *));
	int			n = 0;
	ListCell   *lc;

	foreach(lc, claimed)
	{
		ClaimedLead *c = (ClaimedLead *) lfirst(lc);
		Job		   *job = job_new();
		MemoryContext old = MemoryContextSwitchTo(job->cxt);

		job->lead = smscamp_lead_from_json(c->context);
		MemoryContextSwitchTo(old);
		job->mps = c->mps;
		job->stage = JOB_VALIDATE;
		list[n++] = job;
	}
	record_jobs(list, n);
	return n;
}

/* ---------- work outside transactions ---------- */

/* a template or the built-in writer: no HTTP call */
static void
offline_generation(Job *job)
{
	char	   *error;
	MemoryContext old = MemoryContextSwitchTo(job->cxt);

	if (smscamp_write_offline(job->lead, &job->gen, &error))
		job->stage = JOB_GEN_DONE;
	else
	{
		job->answer.error = error;
		job->answer.retryable = false;
		job->answer.retry_after_s = -1;
		job->stage = JOB_GEN_FAILED;
	}
	MemoryContextSwitchTo(old);
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

/* after a commit (at lsn, returned at at): the marks it made */
void
smscamp_jobs_committed(XLogRecPtr lsn, TimestampTz at)
{
	dlist_iter	it;

	dlist_foreach(it, &jobs)
	{
		Job		   *job = dlist_container(Job, node, it.cur);

		if (job->stage == JOB_SMS_READY && job->mark_lsn == InvalidXLogRecPtr)
		{
			job->mark_lsn = lsn;
			job->mark_at = at;
		}
	}
}

void
smscamp_jobs_start(bool stopping)
{
	dlist_iter	it;
	TimestampTz now = GetCurrentTimestamp();
	XLogRecPtr	durable = smscamp_durable_upto();
	int			held = 0;

	dlist_foreach(it, &jobs)
	{
		Job		   *job = dlist_container(Job, node, it.cur);
		MemoryContext old;

		if (job->stage == JOB_GEN_READY && !stopping)
		{
			if (smscamp_writer_kind(job->lead) != WRITER_MODEL)
			{
				offline_generation(job);
				continue;
			}
			old = MemoryContextSwitchTo(job->cxt);
			job->gen.model = pstrdup(smscamp_openai_model);
			start_call(job, smscamp_llm_request(job->lead, job->problem
												? smscamp_model_retry_hint(job->problem)
												: NULL),
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
		else if (job->stage == JOB_SMS_READY && job->send_at <= now
				 && !smscamp_mark_durable(job->mark_lsn, durable))
			held += smscamp_held_long(job->mark_at, now);	/* may not survive a failover */
		else if (job->stage == JOB_SMS_READY && job->send_at <= now
				 && !job->late_once
				 && now > TimestampTzPlusMilliseconds(job->send_at, LATE_SEND_MS))
		{
			/*
			 * The worker came back to its slot late (a long pass, the
			 * machine busy): going now would bunch it with the sends due now,
			 * over the rate. It takes the next free slot instead, once.
			 */
			elog(DEBUG1, "smscamp: campaign lead " INT64_FORMAT " missed its send slot by %ld ms: "
				 "a new one", job->lead->id, (long) ((now - job->send_at) / 1000));
			job->late_once = true;
			job->slot_reserved = false;
			reserve_send_slot(job);
		}
		else if (job->stage == JOB_SMS_READY && job->send_at <= now)
		{
			old = MemoryContextSwitchTo(job->cxt);
			start_call(job, smscamp_send_request(job->lead), JOB_SMS_HTTP);
			MemoryContextSwitchTo(old);
		}
	}
	smscamp_note_held(held);
}

static void
finish_generation_call(Job *job)
{
	HttpCall   *call = job->call;
	char	   *problem;

	smscamp_llm_parse(call, &job->answer);
	job->gen.seconds += call->seconds;
	smscamp_http_free(call);
	job->call = NULL;
	if (!job->answer.ok && !job->answer.unusable)
	{
		job->stage = JOB_GEN_FAILED;	/* HTTP: retried later with backoff */
		return;
	}
	job->gen.prompt_tokens += job->answer.prompt_tokens;
	job->gen.completion_tokens += job->answer.completion_tokens;
	job->gen.regenerated = job->rounds > 1;
	if (smscamp_take_model_answer(job->lead, &job->answer, &job->gen, &problem))
	{
		job->stage = JOB_GEN_DONE;
		return;
	}
	/* not a message: asked once more, then the lead fails with the reason */
	job->problem = problem;
	if (job->rounds < 2)
	{
		job->stage = JOB_GEN_READY;
		return;
	}
	job->answer.ok = false;
	job->answer.retryable = false;
	job->answer.retry_after_s = -1;
	job->answer.error = psprintf("Message generation failed twice: %s", problem);
	job->stage = JOB_GEN_FAILED;
}

void
smscamp_jobs_collect(void)
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

int
smscamp_jobs_unsent(int64 **ids)
{
	dlist_iter	it;
	int			n = 0;

	*ids = palloc(Max(njobs, 1) * sizeof(int64));
	dlist_foreach(it, &jobs)
	{
		Job		   *job = dlist_container(Job, node, it.cur);

		if (job->stage <= JOB_SEND_WAIT && job->stage != JOB_GEN_DONE
			&& job->stage != JOB_GEN_FAILED)
		{
			(*ids)[n++] = job->lead->id;
			job->stage = JOB_DONE;
		}
	}
	return n;
}
