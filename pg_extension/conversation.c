/*-------------------------------------------------------------------------
 *
 * conversation.c
 *	  A worker's conversation tasks, besides its campaign jobs (jobs.c):
 *
 *	  send		an outbound message of a thread (a person's reply, the
 *				reply agent's answer), claimed "sending" and committed
 *				before its provider call (and durable: durable.c), like a
 *				campaign's SMS
 *	  chat		a model call of the reply agent: classify an inbound
 *				message, or write its answer
 *	  script	agent_type both: the script of the call after a lead's
 *				SMS, written by the voice_agent's writer from the
 *				campaign's voice prompt (the model, asked once more when
 *				its answer cannot be used, or the writer offline: no
 *				HTTP call then)
 *	  call		agent_type both: that call, claimed "calling" and
 *				committed before its Calls request (sql/calls.sql:
 *				smscamp_claim_calls paces them)
 *
 *	  The SQL decides everything (sql/reply_agent.sql, sql/outbound.sql):
 *	  smscamp_conversation_claim hands out the tasks (without a model the
 *	  agent's work is done there, in the claim), smscamp_conversation_record
 *	  takes their results. Here the calls are made, on a curl multi handle
 *	  of their own, outside transactions. A claim is made every
 *	  CLAIM_EVERY_MS, when the worker's latch was set (a webhook wakes the
 *	  workers), and after results were recorded or a claim was full (an
 *	  answer may be due next, or more is waiting).
 *
 *-------------------------------------------------------------------------
 */
#include "smscamp.h"
#include "engine.h"

#include <jansson.h>

#include "lib/ilist.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#define CLAIM_EVERY_MS 250
#define MAX_TASKS 128

typedef enum TaskKind
{
	TASK_SEND,
	TASK_CHAT,
	TASK_SCRIPT,
	TASK_CALL
} TaskKind;

typedef struct ConvTask
{
	dlist_node	node;
	MemoryContext cxt;
	TaskKind	kind;
	int64		id;				/* messages.id; a call's: campaign_leads.id */
	char	   *task;			/* chat: classify | answer */
	char	   *to;				/* send */
	char	   *body;			/* send: the text; call: the script */
	char	   *language;		/* call: its <Say language> */
	SmsSender	sender;			/* send, call: its sender (sql/senders.sql) */
	char	   *request;		/* chat: the request SQL wrote */
	SmsLead    *lead;			/* script: the lead, as a voice campaign's */
	GeneratedSms gen;			/* script: as written so far */
	char	   *problem;		/* script: why the model's first answer
								 * could not be used (asked again) */
	HttpCall   *call;
	bool		attached;
	XLogRecPtr	mark_lsn;		/* send, call: the commit of its claim */
	TimestampTz mark_at;		/* ... and when it returned */
	char	   *result;			/* the item to record, once the call is done */
} ConvTask;

static dlist_head tasks = DLIST_STATIC_INIT(tasks);
static int	ntasks = 0;
static int	inflight = 0;
static CURLM *cmulti = NULL;
static MemoryContext conv_cxt = NULL;
static TimestampTz last_claim = 0;
static bool woken = false;
static bool more = false;		/* the last claim was full, or results were
								 * recorded (an answer may be due): claim again */

void
smscamp_conv_init(void)
{
	cmulti = curl_multi_init();
	if (cmulti == NULL)
		ereport(FATAL, (errmsg("smscamp: could not create a curl multi handle")));
	curl_multi_setopt(cmulti, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long) MAX_TASKS);
	conv_cxt = AllocSetContextCreate(TopMemoryContext, "smscamp conversations",
									 ALLOCSET_DEFAULT_SIZES);
}

int
smscamp_conv_count(void)
{
	return ntasks;
}

/* the conversation calls a worker may have in flight */
int
smscamp_conv_max_tasks(void)
{
	return MAX_TASKS;
}

int
smscamp_conv_inflight(void)
{
	return inflight;
}

/* after the loop's commit (at lsn, returned at at): the sends and calls it claimed */
void
smscamp_conv_committed(XLogRecPtr lsn, TimestampTz at)
{
	dlist_iter	it;

	dlist_foreach(it, &tasks)
	{
		ConvTask   *t = dlist_container(ConvTask, node, it.cur);

		if ((t->kind == TASK_SEND || t->kind == TASK_CALL) && t->mark_lsn == InvalidXLogRecPtr)
		{
			t->mark_lsn = lsn;
			t->mark_at = at;
		}
	}
}

/* the worker's latch was set: claim at the next pass */
void
smscamp_conv_woken(void)
{
	woken = true;
}

bool
smscamp_conv_claim_due(void)
{
	return ntasks < MAX_TASKS
		&& (woken || more || TimestampDifferenceExceeds(last_claim, GetCurrentTimestamp(),
														CLAIM_EVERY_MS));
}

bool
smscamp_conv_have_results(void)
{
	dlist_iter	it;

	dlist_foreach(it, &tasks)
		if (dlist_container(ConvTask, node, it.cur)->result != NULL)
		return true;
	return false;
}

static void
task_free(ConvTask *t)
{
	if (t->call)
	{
		if (t->attached)
		{
			curl_multi_remove_handle(cmulti, t->call->easy);
			inflight--;
		}
		smscamp_http_free(t->call);
	}
	dlist_delete(&t->node);
	ntasks--;
	MemoryContextDelete(t->cxt);
}

static char *
jstring(json_t *o, const char *key)
{
	json_t	   *v = json_object_get(o, key);

	return json_is_string(v) ? pstrdup(json_string_value(v)) : NULL;
}

/* one task of the claim's answer, in its own memory context */
static void
add_task(TaskKind kind, json_t *o)
{
	MemoryContext cxt = AllocSetContextCreate(conv_cxt, "smscamp conversation task",
											  ALLOCSET_SMALL_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	ConvTask   *t = palloc0(sizeof(ConvTask));
	json_t	   *request = json_object_get(o, "request");

	t->cxt = cxt;
	t->kind = kind;
	t->id = (int64) json_integer_value(json_object_get(o, "id"));
	t->task = jstring(o, "task");
	t->to = jstring(o, "to");
	t->body = jstring(o, kind == TASK_CALL ? "script" : "body");
	t->language = jstring(o, "language");
	smscamp_sender_from_json(json_object_get(o, "sender"), &t->sender);
	if (request)
		t->request = smscamp_json_text(json_incref(request));	/* consumes a reference */
	if (kind == TASK_SCRIPT)
	{
		char	   *context = smscamp_json_text(json_incref(json_object_get(o, "context")));

		if (context == NULL)
			elog(ERROR, "smscamp: a call script task without its lead");
		t->lead = smscamp_lead_from_json(context);
	}
	MemoryContextSwitchTo(old);
	dlist_push_tail(&tasks, &t->node);
	ntasks++;
}

int
smscamp_conv_claim(int worker)
{
	char	   *answer;
	json_t	   *root;
	json_error_t jerr;
	json_t	   *o;
	size_t		i;
	int			before = ntasks;
	int			limit = MAX_TASKS - ntasks;

	woken = false;
	last_claim = GetCurrentTimestamp();
	answer = smscamp_spi_conversation_claim(worker, limit,
											smscamp_llm_enabled(),
											smscamp_provider_is_log());
	if (answer == NULL)
		return 0;
	root = json_loads(answer, 0, &jerr);
	if (root == NULL)
		elog(ERROR, "smscamp: the conversation claim is not JSON: %s", jerr.text);
	json_array_foreach(json_object_get(root, "send"), i, o)
		add_task(TASK_SEND, o);
	json_array_foreach(json_object_get(root, "chat"), i, o)
		add_task(TASK_CHAT, o);
	json_array_foreach(json_object_get(root, "script"), i, o)
		add_task(TASK_SCRIPT, o);
	json_array_foreach(json_object_get(root, "call"), i, o)
		add_task(TASK_CALL, o);
	json_decref(root);
	/* a full claim (of either kind) leaves more behind */
	more = (ntasks - before) >= limit;
	return ntasks - before;
}

int
smscamp_conv_record(void)
{
	StringInfoData items;
	dlist_mutable_iter it;
	int			n = 0;

	initStringInfo(&items);
	appendStringInfoChar(&items, '[');
	dlist_foreach_modify(it, &tasks)
	{
		ConvTask   *t = dlist_container(ConvTask, node, it.cur);

		if (t->result == NULL)
			continue;
		appendStringInfo(&items, "%s%s", n ? "," : "", t->result);
		n++;
	}
	appendStringInfoChar(&items, ']');
	if (n == 0)
		return 0;
	/* recorded one by one inside the function: one bad item loses no other */
	smscamp_spi_conversation_record(items.data);
	more = true;
	dlist_foreach_modify(it, &tasks)
	{
		ConvTask   *t = dlist_container(ConvTask, node, it.cur);

		if (t->result != NULL)
			task_free(t);
	}
	return n;
}

/* the item recording a send's answer (sql/outbound.sql) */
static char *
send_result(ConvTask *t, SendResult *r)
{
	json_t	   *o = json_pack("{s:s, s:I, s:s}", "kind", t->kind == TASK_CALL ? "call" : "send",
							  "id", (json_int_t) t->id,
							  "outcome", smscamp_send_outcomes[r->outcome].recorded);
	char	   *text;

	if (o == NULL)
		elog(ERROR, "smscamp: out of memory");
	if (r->sid)
		json_object_set_new(o, "sid", json_string(r->sid));
	if (r->provider_status)
		json_object_set_new(o, "pstatus", json_string(r->provider_status));
	if (r->num_segments > 0)
		json_object_set_new(o, "nseg", json_integer(r->num_segments));
	if (r->price)
		json_object_set_new(o, "price", json_string(r->price));
	if (r->error)
		json_object_set_new(o, "error", json_string(r->error));
	if (r->error_code > 0)
		json_object_set_new(o, "error_code", json_integer(r->error_code));
	if (r->retry_after_s >= 0)
		json_object_set_new(o, "retry_after", json_integer(r->retry_after_s));
	text = smscamp_json_text(o);	/* consumes o */
	return text;
}

/* the item recording a model call's answer (sql/reply_agent.sql) */
static char *
chat_result(ConvTask *t, LlmAnswer *a)
{
	return psprintf("{\"kind\":\"chat\",\"id\":" INT64_FORMAT ",\"task\":\"%s\",%s",
					t->id, t->task ? t->task : "", smscamp_llm_answer_json(a) + 1);
}

/*
 * The item recording a call's script (sql/calls.sql:
 * smscamp_record_call_script): written, or why not.
 */
static char *
script_result(ConvTask *t, const char *error, bool retryable, long retry_after_s)
{
	json_t	   *o;

	if (error == NULL)
		o = json_pack("{s:s, s:I, s:s, s:s, s:o}", "kind", "script", "id", (json_int_t) t->id,
					  "script", t->gen.message,
					  "log", smscamp_generation_log_message(t->lead, &t->gen),
					  "meta", smscamp_generation_metadata(&t->gen));
	else
		o = json_pack("{s:s, s:I, s:s, s:b}", "kind", "script", "id", (json_int_t) t->id,
					  "error", error, "retryable", retryable);
	if (o == NULL)
		elog(ERROR, "smscamp: the call script item could not be built");
	if (error && retry_after_s >= 0)
		json_object_set_new(o, "retry_after", json_integer(retry_after_s));
	return smscamp_json_text(o);	/* consumes o */
}

/* a call's script written offline (the template or the built-in writer) */
static void
write_script_offline(ConvTask *t)
{
	MemoryContext old = MemoryContextSwitchTo(t->cxt);
	char	   *error = NULL;

	if (smscamp_write_offline(t->lead, &t->gen, &error))
		t->result = script_result(t, NULL, false, -1);
	else
		t->result = script_result(t, error, false, -1);
	MemoryContextSwitchTo(old);
}

/*
 * The model's answer for a call's script: the script, or asked once more
 * (t->call freed: started again) when it cannot be used, else why not.
 */
static void
finish_script(ConvTask *t)
{
	LlmAnswer	a;
	char	   *problem = NULL;

	smscamp_llm_parse(t->call, &a);
	t->gen.seconds += t->call->seconds;
	if (!a.ok && !a.unusable)
	{
		t->result = script_result(t, a.error ? a.error : "the model could not be reached",
								  a.retryable, a.retry_after_s);
		return;
	}
	t->gen.prompt_tokens += a.prompt_tokens;
	t->gen.completion_tokens += a.completion_tokens;
	t->gen.regenerated = t->problem != NULL;
	if (smscamp_take_model_answer(t->lead, &a, &t->gen, &problem))
		t->result = script_result(t, NULL, false, -1);
	else if (t->problem == NULL)
	{
		t->problem = problem;
		smscamp_http_free(t->call);
		t->call = NULL;
	}
	else
		t->result = script_result(t, psprintf("Script writing failed twice: %s", problem),
								  false, -1);
}

static void
finish(ConvTask *t)
{
	MemoryContext old = MemoryContextSwitchTo(t->cxt);

	if (t->kind == TASK_SEND || t->kind == TASK_CALL)
	{
		SendResult	r;

		smscamp_sms_parse(t->call, &r);
		t->result = send_result(t, &r);
	}
	else if (t->kind == TASK_SCRIPT)
		finish_script(t);
	else
	{
		LlmAnswer	a;

		smscamp_llm_parse(t->call, &a);
		t->result = chat_result(t, &a);
	}
	MemoryContextSwitchTo(old);
}

/* a call's request: the lead it is for, as the Calls request reads one */
static HttpCall *
call_request(ConvTask *t)
{
	SmsLead    *lead = palloc0(sizeof(SmsLead));

	lead->voice = true;
	lead->phone = t->to;
	lead->message = t->body;
	lead->call_language = t->language;
	lead->sender = t->sender;
	return smscamp_call_request(lead);
}

/*
 * Start the calls of new tasks. A send is "sending" already: it is made
 * even when the worker stops (it has not gone yet); a chat call or a
 * script is left to the next worker then (housekeeping frees its message
 * or its call).
 */
void
smscamp_conv_start(bool stopping)
{
	dlist_mutable_iter it;
	TimestampTz now = GetCurrentTimestamp();
	XLogRecPtr	durable = smscamp_durable_upto();
	int			held = 0;

	dlist_foreach_modify(it, &tasks)
	{
		ConvTask   *t = dlist_container(ConvTask, node, it.cur);
		MemoryContext old;

		if (t->call != NULL || t->result != NULL)
			continue;
		if ((t->kind == TASK_CHAT || t->kind == TASK_SCRIPT) && stopping)
		{
			task_free(t);
			continue;
		}
		if (t->kind == TASK_SCRIPT && !smscamp_llm_enabled())
		{
			write_script_offline(t);
			continue;
		}
		if ((t->kind == TASK_SEND || t->kind == TASK_CALL) && !smscamp_mark_durable(t->mark_lsn, durable))
		{
			/* its claim may not survive a failover yet */
			held += smscamp_held_long(t->mark_at, now);
			continue;
		}
		old = MemoryContextSwitchTo(t->cxt);
		if (t->kind == TASK_SEND && t->sender.segments_per_second > 0)
		{
			SmsCount	count;

			/*
			 * A person waits for this answer: it goes now, and takes its
			 * sender's next slots, so that the campaigns' sends from that
			 * number wait for it instead
			 */
			smscamp_count_sms(t->body, strlen(t->body), &count);
			(void) smscamp_reserve_send_slot(0, 0, &t->sender, count.segments);
		}
		if (t->kind == TASK_CALL)
			t->call = call_request(t);
		else if (t->kind == TASK_SCRIPT)
		{
			t->gen.model = smscamp_openai_model;
			t->call = smscamp_llm_request(t->lead, t->problem
										  ? smscamp_model_retry_hint(t->problem) : NULL);
		}
		else
			t->call = (t->kind == TASK_SEND)
				? smscamp_sms_request_to(t->to, t->body, &t->sender)
				: smscamp_llm_chat_request(t->request);
		if (!smscamp_http_prepare(t->call)
			|| curl_multi_add_handle(cmulti, t->call->easy) != CURLM_OK)
		{
			t->call->result = CURLE_FAILED_INIT;
			MemoryContextSwitchTo(old);
			finish(t);
			continue;
		}
		MemoryContextSwitchTo(old);
		t->attached = true;
		inflight++;
	}
	smscamp_note_held(held);
}

void
smscamp_conv_collect(void)
{
	CURLMsg    *msg;
	int			left;
	int			running;

	if (inflight == 0)
		return;
	curl_multi_perform(cmulti, &running);
	while ((msg = curl_multi_info_read(cmulti, &left)) != NULL)
	{
		dlist_iter	it;

		if (msg->msg != CURLMSG_DONE)
			continue;
		dlist_foreach(it, &tasks)
		{
			ConvTask   *t = dlist_container(ConvTask, node, it.cur);

			if (t->attached && t->call->easy == msg->easy_handle)
			{
				curl_multi_remove_handle(cmulti, msg->easy_handle);
				inflight--;
				t->attached = false;
				t->call->result = msg->data.result;
				smscamp_http_finish(t->call);
				finish(t);
				break;
			}
		}
	}
}

/* wait up to ms for the calls in flight */
void
smscamp_conv_poll(int ms)
{
	int			numfds;

	curl_multi_poll(cmulti, NULL, 0, ms, &numfds);
}
