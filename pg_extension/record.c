/*-------------------------------------------------------------------------
 *
 * record.c
 *	  Batches: what the nodes did to their leads, as items recorded by one
 *	  call of smscamp_record_batch() (sql/workflow.sql; its type
 *	  smscamp_record_item lists the kinds and their fields). That function
 *	  is the only writer of a lead's progress: a worker records the items
 *	  of a pass together (each alone, in a subtransaction of its own, when
 *	  the batch fails), and a node called from SQL records a batch of one.
 *	  Item i (1-based, in the order added) is the caller's i-th lead.
 *
 *-------------------------------------------------------------------------
 */
#include "smscamp.h"
#include "engine.h"

/* PostgreSQL's SQL functions json_object/json_typeof clash with jansson's */
#define json_object pg_json_object
#define json_typeof pg_json_typeof
#include "utils/builtins.h"
#undef json_object
#undef json_typeof
#include <jansson.h>

/* ---------- JSON ---------- */

/* a JSON value as text in the current memory context (obj is consumed) */
char *
smscamp_json_text(json_t *obj)
{
	char	   *dump;
	char	   *result;

	if (obj == NULL)
		return NULL;
	dump = json_dumps(obj, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(obj);
	if (dump == NULL)
		return NULL;
	result = pstrdup(dump);
	free(dump);
	return result;
}

/* a JSON array of the strings of a List */
json_t *
smscamp_json_strings(List *strings)
{
	json_t	   *arr = json_array();
	ListCell   *lc;

	foreach(lc, strings)
		json_array_append_new(arr, json_string((char *) lfirst(lc)));
	return arr;
}

/* ---------- what the writer's log rows say (a call's script's too) ---------- */

json_t *
smscamp_generation_metadata(GeneratedSms *gen)
{
	json_t	   *meta = json_pack("{s:s?, s:s?, s:i, s:i, s:i, s:s, s:i, s:b, s:b, s:f}",
								 "writer", gen->writer,
								 "model", gen->model,
								 "prompt_tokens", gen->prompt_tokens,
								 "completion_tokens", gen->completion_tokens,
								 "segments", gen->count.segments,
								 "encoding", gen->count.ucs2 ? "UCS-2" : "GSM-7",
								 "characters", gen->count.units,
								 "truncated", gen->truncated,
								 "regenerated", gen->regenerated,
								 "seconds", gen->seconds);

	if (meta && gen->missing)
		json_object_set_new(meta, "empty_placeholders",
							smscamp_json_strings(gen->missing));
	return meta;
}

char *
smscamp_generation_log_message(const SmsLead *lead, GeneratedSms *gen)
{
	if (lead->voice)
	{
		int			words = smscamp_script_words(gen->message ? gen->message : "");

		return psprintf("Call script written (%d word%s, %s)", words, words == 1 ? "" : "s",
						gen->writer ? gen->writer : "built-in writer");
	}
	return psprintf("Message generated (%d segment%s, %s)",
					gen->count.segments,
					gen->count.segments == 1 ? "" : "s",
					gen->writer ? gen->writer : "built-in writer");
}

static const char *
send_log_message(SendResult *r)
{
	return r->outcome == SEND_ACCEPTED ? "SMS accepted by the provider" : r->error;
}

static json_t *
send_metadata(SendResult *r, double seconds)
{
	json_t	   *meta = json_pack("{s:s, s:s?, s:s?, s:i, s:s?, s:f}",
									 "provider", "twilio",
									 "sid", r->sid,
									 "provider_status", r->provider_status,
									 "num_segments", r->num_segments,
									 "outcome", smscamp_send_outcomes[r->outcome].recorded,
									 "seconds", seconds);

	/* the provider's error code: SQL acts on it (smscamp_provider_error) */
	if (meta && r->error_code > 0)
		json_object_set_new(meta, "error_code", json_integer(r->error_code));
	return meta;
}

/* ---------- items ---------- */

void
smscamp_batch_init(RecordBatch *batch)
{
	initStringInfo(&batch->json);
	appendStringInfoChar(&batch->json, '[');
	batch->n = 0;
	batch->alone = false;
}

/* an item of a kind; a lead run by a SQL call, not a worker, is manual */
static json_t *
batch_item(const char *kind, const SmsLead *lead)
{
	json_t	   *item = json_pack("{s:s, s:I}", "k", kind, "id", (json_int_t) lead->id);

	if (item && lead->manual)
		json_object_set_new(item, "manual", json_true());
	/* a voice campaign's item: its send is a call (meta.channel, sql/workflow.sql) */
	if (item && lead->voice)
		json_object_set_new(item, "meta", json_pack("{s:s}", "channel", "voice"));
	return item;
}

/* the item's meta: meta, with the channel batch_item set */
static void
item_set_meta(json_t *item, json_t *meta)
{
	json_t	   *had = json_object_get(item, "meta");

	if (meta && had)
		json_object_update_missing(meta, had);
	json_object_set_new(item, "meta", meta);
}

/* a string field, null when s is NULL */
static void
item_set_str(json_t *item, const char *key, const char *s)
{
	json_object_set_new(item, key, s ? json_string(s) : json_null());
}

static void
batch_add(RecordBatch *batch, json_t *item)
{
	char	   *dump;

	if (item == NULL)
		elog(ERROR, "smscamp: could not build a batch item");
	json_object_set_new(item, "i", json_integer(batch->n + 1));
	if (batch->alone)
		json_object_set_new(item, "alone", json_true());
	dump = json_dumps(item, JSON_COMPACT);
	json_decref(item);
	if (dump == NULL)
		elog(ERROR, "smscamp: could not build a batch item");
	if (batch->n > 0)
		appendStringInfoChar(&batch->json, ',');
	appendStringInfoString(&batch->json, dump);
	free(dump);
	batch->n++;
}

/* validate_lead: passed (errors NIL) or skipped with the reasons */
void
smscamp_batch_validation(RecordBatch *batch, const SmsLead *lead, List *errors)
{
	json_t	   *item;

	if (errors == NIL)
	{
		item = batch_item("valid", lead);
		item_set_str(item, "phone", lead->phone);
		json_object_set_new(item, "both",
							json_boolean(lead->agent_type
										 && strcmp(lead->agent_type, "both") == 0));
	}
	else
	{
		item = batch_item("skip", lead);
		json_object_set_new(item, "errors", smscamp_json_strings(errors));
	}
	batch_add(batch, item);
}

static void
item_set_generation(json_t *item, const SmsLead *lead, GeneratedSms *gen)
{
	Numeric		cost = smscamp_cost_of_segments(gen->count.segments);

	item_set_str(item, "message", gen->message);
	json_object_set_new(item, "segments", json_integer(gen->count.segments));
	item_set_str(item, "cost",
				 DatumGetCString(DirectFunctionCall1(numeric_out,
													 NumericGetDatum(cost))));
	item_set_str(item, "encoding", gen->count.ucs2 ? "UCS-2" : "GSM-7");
	item_set_str(item, "level", "info");
	item_set_str(item, "msg", smscamp_generation_log_message(lead, gen));
	item_set_meta(item, smscamp_generation_metadata(gen));
}

/* sms_agent: the message written */
void
smscamp_batch_generation(RecordBatch *batch, const SmsLead *lead,
						 GeneratedSms *gen)
{
	json_t	   *item = batch_item("gen", lead);

	item_set_generation(item, lead, gen);
	batch_add(batch, item);
}

/* sms_agent: no message (retryable: tried again later, with backoff) */
void
smscamp_batch_generation_failure(RecordBatch *batch, const SmsLead *lead,
								 const char *error, bool retryable,
								 long retry_after_s)
{
	json_t	   *item = batch_item("genfail", lead);

	item_set_str(item, "error", error ? error : "generation failed");
	json_object_set_new(item, "retryable", json_boolean(retryable));
	json_object_set_new(item, "retry_after", json_integer(retry_after_s));
	batch_add(batch, item);
}

/*
 * The start of a send: "sending", committed before the provider call, or
 * with the log provider the outbox row and sent at once. gen, when not
 * NULL, is the message just written, recorded with it (one row version
 * less, one round trip less).
 */
void
smscamp_batch_send_start(RecordBatch *batch, const SmsLead *lead,
						 GeneratedSms *gen)
{
	bool		via_log = smscamp_provider_is_log();
	json_t	   *item = batch_item(via_log ? "log" : "mark", lead);

	if (gen)
		item_set_generation(item, lead, gen);
	if (via_log)
	{
		item_set_str(item, "sfrom", smscamp_sender_from(&lead->sender));
		item_set_str(item, "body", gen ? gen->message : lead->message);
	}
	batch_add(batch, item);
}

/* the provider's answer */
void
smscamp_batch_send_result(RecordBatch *batch, const SmsLead *lead,
						  SendResult *r, double seconds)
{
	json_t	   *item = batch_item("send", lead);

	item_set_str(item, "outcome", smscamp_send_outcomes[r->outcome].recorded);
	item_set_str(item, "sid", r->sid);
	item_set_str(item, "pstatus", r->provider_status);
	json_object_set_new(item, "nseg", json_integer(r->num_segments));
	item_set_str(item, "price", r->price);
	item_set_str(item, "error", r->error);
	json_object_set_new(item, "retry_after", json_integer(r->retry_after_s));
	item_set_str(item, "level", r->outcome == SEND_ACCEPTED ? "info" : "error");
	item_set_str(item, "msg", send_log_message(r));
	item_set_meta(item, send_metadata(r, seconds));
	batch_add(batch, item);
}

/* a lead whose own item could not be recorded: failed, saying so */
void
smscamp_batch_internal_failure(RecordBatch *batch, const SmsLead *lead)
{
	SendResult	r;

	memset(&r, 0, sizeof(r));
	r.outcome = SEND_REJECTED;
	r.error = "internal error while processing this lead (see the server log)";
	r.retry_after_s = -1;
	smscamp_batch_send_result(batch, lead, &r, 0);
}

/* finalize only (smscamp_finalize, or a send that did not start) */
void
smscamp_batch_finalize(RecordBatch *batch, int64 campaign_lead_id)
{
	batch_add(batch, json_pack("{s:s, s:I}", "k", "final",
							   "id", (json_int_t) campaign_lead_id));
}

/* record the batch in one statement; results: batch->n entries */
void
smscamp_batch_run(RecordBatch *batch, RecordResult *results)
{
	memset(results, 0, Max(batch->n, 1) * sizeof(RecordResult));
	if (batch->n == 0)
		return;
	appendStringInfoChar(&batch->json, ']');
	smscamp_spi_record(batch->json.data, batch->n, results);
}
