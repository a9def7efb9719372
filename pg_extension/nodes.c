/*-------------------------------------------------------------------------
 *
 * nodes.c
 *	  The graph's nodes: validate_lead -> sms_agent (generate, count, send)
 *	  -> finalize. The C code decides and talks HTTP; the tables are written
 *	  by the SQL functions of sql/workflow.sql, always with bound parameters.
 *	  The same steps serve the SQL-callable functions (blocking HTTP, for
 *	  psql and tests) and the background workers (curl multi).
 *
 *-------------------------------------------------------------------------
 */
#include "smscamp.h"
#include "engine.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/datum.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

/* PostgreSQL's SQL functions json_object/json_typeof clash with jansson's */
#define json_object pg_json_object
#define json_typeof pg_json_typeof
#include "utils/builtins.h"
#undef json_object
#undef json_typeof
#include <jansson.h>

PG_FUNCTION_INFO_V1(smscamp_validate_lead);
PG_FUNCTION_INFO_V1(smscamp_generate_sms);
PG_FUNCTION_INFO_V1(smscamp_send_sms);
PG_FUNCTION_INFO_V1(smscamp_finalize);
PG_FUNCTION_INFO_V1(smscamp_process_lead);
PG_FUNCTION_INFO_V1(smscamp_preview);

/* ---------- SPI helpers ---------- */

typedef struct KeptPlan
{
	const char *sql;
	SPIPlanPtr	plan;
} KeptPlan;

static KeptPlan plans[32];
static int	nplans = 0;

/* a kept plan per SQL text (the texts are static strings in this file) */
static SPIPlanPtr
plan_for(const char *sql, int nargs, Oid *types)
{
	SPIPlanPtr	plan;
	int			i;

	for (i = 0; i < nplans; i++)
		if (plans[i].sql == sql)
			return plans[i].plan;

	plan = SPI_prepare(sql, nargs, types);
	if (plan == NULL)
		elog(ERROR, "smscamp: SPI_prepare failed: %s",
			 SPI_result_code_string(SPI_result));
	if (nplans < (int) lengthof(plans))
	{
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "smscamp: SPI_keepplan failed");
		plans[nplans].sql = sql;
		plans[nplans].plan = plan;
		nplans++;
	}
	return plan;
}

/*
 * Run one statement with bound parameters; returns the first column of the
 * first row copied into the caller's memory context (or 0 with *isnull).
 */
Datum
smscamp_spi_call(const char *sql, int nargs, Oid *types, Datum *values,
				 const char *nulls, bool *isnull)
{
	MemoryContext caller = CurrentMemoryContext;
	Datum		result = (Datum) 0;
	bool		null = true;
	int			rc;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "smscamp: SPI_connect failed");
	rc = SPI_execute_plan(plan_for(sql, nargs, types), values, nulls, false, 0);
	if (rc < 0)
		elog(ERROR, "smscamp: statement failed: %s", SPI_result_code_string(rc));
	if (SPI_processed > 0 && SPI_tuptable != NULL)
	{
		TupleDesc	desc = SPI_tuptable->tupdesc;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], desc, 1, &null);

		if (!null)
		{
			Form_pg_attribute att = TupleDescAttr(desc, 0);
			MemoryContext old = MemoryContextSwitchTo(caller);

			result = datumCopy(d, att->attbyval, att->attlen);
			MemoryContextSwitchTo(old);
		}
	}
	SPI_finish();
	if (isnull)
		*isnull = null;
	return result;
}

static Datum
text_or_null(const char *s, char *null)
{
	*null = s ? ' ' : 'n';
	return s ? CStringGetTextDatum(s) : (Datum) 0;
}

static Datum
jsonb_datum(const char *json)
{
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(json));
}

/* ---------- loading a lead ---------- */

static const char *SQL_LEAD_JSON =
"SELECT smscamp_lead_context($1)::text";

static char *
jstr(json_t *obj, const char *key)
{
	json_t	   *v = json_object_get(obj, key);

	return json_is_string(v) ? pstrdup(json_string_value(v)) : NULL;
}

static int64
jint(json_t *obj, const char *key)
{
	json_t	   *v = json_object_get(obj, key);

	return json_is_integer(v) ? (int64) json_integer_value(v) : 0;
}

SmsLead *
smscamp_lead_from_json(const char *text)
{
	json_error_t jerr;
	json_t	   *o = json_loads(text, 0, &jerr);
	SmsLead    *lead;

	if (o == NULL)
		elog(ERROR, "smscamp: bad lead context: %s", jerr.text);
	lead = palloc0(sizeof(SmsLead));
	lead->id = jint(o, "id");
	lead->campaign_id = jint(o, "campaign_id");
	lead->lead_id = jint(o, "lead_id");
	lead->trace_id = jstr(o, "trace_id");
	lead->status = jstr(o, "status");
	lead->attempts = (int) jint(o, "attempts");
	lead->name = jstr(o, "name");
	lead->phone = jstr(o, "phone");
	lead->email = jstr(o, "email");
	lead->company = jstr(o, "company");
	lead->notes = jstr(o, "notes");
	lead->prompt = jstr(o, "sms_system_prompt");
	lead->temperature = (int) jint(o, "sms_temperature");
	lead->agent_type = jstr(o, "agent_type");
	lead->campaign_status = jstr(o, "campaign_status");
	lead->opted_out = json_is_true(json_object_get(o, "opted_out"));
	lead->already_sent = json_is_true(json_object_get(o, "already_sent"));
	lead->message = jstr(o, "sms_message");
	json_decref(o);
	return lead;
}

SmsLead *
smscamp_load_lead(int64 campaign_lead_id)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(campaign_lead_id)};
	bool		isnull;
	Datum		d;

	d = smscamp_spi_call(SQL_LEAD_JSON, 1, types, values, NULL, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("campaign lead %lld not found",
						(long long) campaign_lead_id)));
	return smscamp_lead_from_json(TextDatumGetCString(d));
}

/* ---------- logs ---------- */

static const char *SQL_LOG =
"SELECT smscamp_log($1, $2, $3, $4, $5)";

void
smscamp_log(int64 campaign_lead_id, const char *level, const char *node,
			const char *message, const char *metadata_json)
{
	Oid			types[5] = {INT8OID, TEXTOID, TEXTOID, TEXTOID, JSONBOID};
	Datum		values[5];
	char		nulls[6] = "     ";

	values[0] = Int64GetDatum(campaign_lead_id);
	values[1] = CStringGetTextDatum(level);
	values[2] = CStringGetTextDatum(node);
	values[3] = CStringGetTextDatum(message);
	nulls[4] = metadata_json ? ' ' : 'n';
	values[4] = metadata_json ? jsonb_datum(metadata_json) : (Datum) 0;
	smscamp_spi_call(SQL_LOG, 5, types, values, nulls, NULL);
}

/* a JSON object from key/value pairs built with json_pack */
static char *
json_text(json_t *obj)
{
	char	   *dump;
	char	   *result;

	if (obj == NULL)
		return NULL;
	dump = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	if (dump == NULL)
		return NULL;
	result = pstrdup(dump);
	free(dump);
	return result;
}

/* ---------- validate_lead ---------- */

static const char *SQL_SKIP =
"SELECT smscamp_mark_skipped($1, $2)";

List *
smscamp_validation_errors(const SmsLead *lead)
{
	List	   *errors = NIL;
	PhoneResult phone;

	if (lead->name == NULL || lead->name[0] == '\0')
		errors = lappend(errors, "name is missing");
	if (lead->phone == NULL || lead->phone[0] == '\0')
		errors = lappend(errors, "phone is missing");
	else
	{
		smscamp_parse_phone(lead->phone, strlen(lead->phone), NULL, &phone);
		if (phone.error != PHONE_OK || lead->phone[0] != '+')
			errors = lappend(errors, "phone is not a valid E.164 number");
	}
	if (lead->opted_out)
		errors = lappend(errors, "recipient has opted out");
	if (lead->already_sent)
		errors = lappend(errors, "lead was already messaged by this campaign");
	return errors;
}

static char *
errors_json(List *errors)
{
	json_t	   *arr = json_array();
	ListCell   *lc;

	foreach(lc, errors)
		json_array_append_new(arr, json_string((char *) lfirst(lc)));
	return json_text(arr);
}

/* true when the lead passes; otherwise it is marked skipped with reasons */
bool
smscamp_node_validate(SmsLead *lead)
{
	List	   *errors = smscamp_validation_errors(lead);
	char	   *ejson = errors_json(errors);

	if (errors == NIL)
	{
		smscamp_log(lead->id, "info", "validate_lead", "Lead validated",
					json_text(json_pack("{s:s}", "phone", lead->phone)));
		return true;
	}
	{
		Oid			types[2] = {INT8OID, JSONBOID};
		Datum		values[2] = {Int64GetDatum(lead->id), jsonb_datum(ejson)};

		smscamp_spi_call(SQL_SKIP, 2, types, values, NULL, NULL);
	}
	smscamp_log(lead->id, "warning", "validate_lead",
				psprintf("Lead skipped: %s", (char *) linitial(errors)),
				psprintf("{\"validation_errors\":%s}", ejson));
	return false;
}

/* ---------- sms_agent: generation ---------- */

static const char *SQL_RECORD_MESSAGE =
"SELECT smscamp_record_message($1, $2, $3, $4, $5)";
static const char *SQL_GEN_FAILED =
"SELECT smscamp_record_retry($1, $2, $3, $4)";

/* raw text (LLM or built-in) -> cleaned, footer, fitted to max segments */
void
smscamp_finish_generation(SmsLead *lead, const char *raw, GeneratedSms *gen,
						  bool *fits)
{
	char	   *clean = smscamp_sanitize_message(raw);

	gen->message = smscamp_fit_message(clean, smscamp_max_segments,
									   smscamp_optout_footer, fits);
	gen->truncated = !*fits;
	smscamp_count_sms(gen->message, strlen(gen->message), &gen->count);
	lead->message = gen->message;
}

static json_t *
generation_metadata_json(GeneratedSms *gen)
{
	return json_pack("{s:s?, s:i, s:i, s:i, s:s, s:i, s:b, s:b, s:f}",
							   "model", gen->model,
							   "prompt_tokens", gen->prompt_tokens,
							   "completion_tokens", gen->completion_tokens,
							   "segments", gen->count.segments,
							   "encoding", gen->count.ucs2 ? "UCS-2" : "GSM-7",
							   "characters", gen->count.units,
							   "truncated", gen->truncated,
							   "regenerated", gen->regenerated,
							   "seconds", gen->seconds);
}

static char *
generation_metadata(GeneratedSms *gen)
{
	return json_text(generation_metadata_json(gen));
}

static char *
generation_log_message(GeneratedSms *gen)
{
	return psprintf("Message generated (%d segment%s, %s)",
					gen->count.segments,
					gen->count.segments == 1 ? "" : "s",
					gen->model ? gen->model : "built-in writer");
}

void
smscamp_record_generation(SmsLead *lead, GeneratedSms *gen)
{
	Oid			types[5] = {INT8OID, TEXTOID, INT4OID, NUMERICOID, TEXTOID};
	Datum		values[5];

	values[0] = Int64GetDatum(lead->id);
	values[1] = CStringGetTextDatum(gen->message);
	values[2] = Int32GetDatum(gen->count.segments);
	values[3] = NumericGetDatum(smscamp_cost_of_segments(gen->count.segments));
	values[4] = CStringGetTextDatum(gen->count.ucs2 ? "UCS-2" : "GSM-7");
	smscamp_spi_call(SQL_RECORD_MESSAGE, 5, types, values, NULL, NULL);
	smscamp_log(lead->id, "info", "sms_agent", generation_log_message(gen),
				generation_metadata(gen));
}

/* retryable: back to pending with backoff (or failed past max attempts) */
void
smscamp_record_generation_failure(SmsLead *lead, const char *error,
								  bool retryable, long retry_after_s)
{
	Oid			types[4] = {INT8OID, TEXTOID, INT4OID, BOOLOID};
	Datum		values[4];

	smscamp_log(lead->id, "error", "sms_agent", error, NULL);
	values[0] = Int64GetDatum(lead->id);
	values[1] = CStringGetTextDatum(error);
	values[2] = Int32GetDatum((int32) retry_after_s);
	values[3] = BoolGetDatum(retryable);
	smscamp_spi_call(SQL_GEN_FAILED, 4, types, values, NULL, NULL);
}

/* blocking generation for the SQL functions; false when it failed */
static bool
generate_blocking(SmsLead *lead, GeneratedSms *gen, LlmAnswer *answer)
{
	bool		fits = true;
	int			round;

	memset(gen, 0, sizeof(*gen));
	if (!smscamp_llm_enabled())
	{
		smscamp_finish_generation(lead,
								  smscamp_builtin_message(lead, lead->prompt,
														  lead->temperature),
								  gen, &fits);
		return true;
	}

	gen->model = smscamp_openai_model;
	for (round = 0; round < 2; round++)
	{
		HttpCall   *call = smscamp_llm_request(lead, round > 0);

		smscamp_http_perform(call);
		smscamp_llm_parse(call, answer);
		gen->seconds += call->seconds;
		smscamp_http_free(call);
		if (!answer->ok)
			return false;
		gen->prompt_tokens += answer->prompt_tokens;
		gen->completion_tokens += answer->completion_tokens;
		gen->regenerated = round > 0;
		smscamp_finish_generation(lead, answer->content, gen, &fits);
		if (fits)
			break;
	}
	return true;
}

/* ---------- sms_agent: sending ---------- */

static const char *SQL_MARK_SENDING = "SELECT smscamp_mark_sending($1, $2)";
static const char *SQL_SEND_LOG = "SELECT smscamp_send_log($1, $2, $3, $4)";
static const char *SQL_RECORD_SEND =
"SELECT smscamp_record_send($1, $2, $3, $4, $5, $6, $7, $8)";

/* false when the campaign stopped meanwhile: the lead went back to pending */
bool
smscamp_mark_sending(SmsLead *lead)
{
	Oid			types[2] = {INT8OID, BOOLOID};
	Datum		values[2] = {Int64GetDatum(lead->id), BoolGetDatum(!lead->manual)};

	return DatumGetBool(smscamp_spi_call(SQL_MARK_SENDING, 2, types, values,
										 NULL, NULL));
}

bool
smscamp_send_via_log(SmsLead *lead)
{
	Oid			types[4] = {INT8OID, TEXTOID, TEXTOID, BOOLOID};
	Datum		values[4];
	char		nulls[5] = "    ";

	values[0] = Int64GetDatum(lead->id);
	values[1] = text_or_null(smscamp_sms_from[0] ? smscamp_sms_from : NULL,
							 &nulls[1]);
	values[2] = CStringGetTextDatum(lead->message);
	values[3] = BoolGetDatum(!lead->manual);
	if (!DatumGetBool(smscamp_spi_call(SQL_SEND_LOG, 4, types, values, nulls, NULL)))
	{
		smscamp_log(lead->id, "info", "sms_agent",
					"Not sent: the campaign is no longer running", NULL);
		return false;
	}
	smscamp_log(lead->id, "info", "sms_agent", "SMS recorded in the outbox (log provider)",
				json_text(json_pack("{s:s}", "provider", "log")));
	return true;
}

static const char *
outcome_name(SendOutcome o)
{
	switch (o)
	{
		case SEND_ACCEPTED:
			return "sent";
		case SEND_REJECTED:
			return "failed";
		case SEND_RETRY:
			return "retry";
		default:
			return "unknown";
	}
}

static const char *
send_log_message(SendResult *r)
{
	return r->outcome == SEND_ACCEPTED ? "SMS accepted by the provider" : r->error;
}

static json_t *
send_metadata_json(SendResult *r, double seconds)
{
	return json_pack("{s:s, s:s?, s:s?, s:i, s:s?, s:f}",
					 "provider", "twilio",
					 "sid", r->sid,
					 "provider_status", r->provider_status,
					 "num_segments", r->num_segments,
					 "outcome", outcome_name(r->outcome),
					 "seconds", seconds);
}

void
smscamp_record_send(SmsLead *lead, SendResult *r, double seconds)
{
	Oid			types[8] = {INT8OID, TEXTOID, TEXTOID, TEXTOID, INT4OID,
	TEXTOID, TEXTOID, INT4OID};
	Datum		values[8];
	char		nulls[9] = "        ";

	values[0] = Int64GetDatum(lead->id);
	values[1] = CStringGetTextDatum(outcome_name(r->outcome));
	values[2] = text_or_null(r->sid, &nulls[2]);
	values[3] = text_or_null(r->provider_status, &nulls[3]);
	values[4] = Int32GetDatum(r->num_segments);
	values[5] = text_or_null(r->price, &nulls[5]);
	values[6] = text_or_null(r->error, &nulls[6]);
	values[7] = Int32GetDatum((int32) r->retry_after_s);
	smscamp_spi_call(SQL_RECORD_SEND, 8, types, values, nulls, NULL);

	smscamp_log(lead->id, r->outcome == SEND_ACCEPTED ? "info" : "error",
				"sms_agent", send_log_message(r),
				json_text(send_metadata_json(r, seconds)));
}

/* ---------- batches: many leads per statement (the workers) ---------- */

/*
 * A batch is a JSON array of items, one per lead, recorded by
 * smscamp_record_batch() in one statement (sql/workflow.sql describes the
 * items). Item i (1-based, in the order added) is the caller's i-th lead.
 */
static const char *SQL_RECORD_BATCH =
"SELECT i, ok FROM smscamp_record_batch($1)";

void
smscamp_batch_init(RecordBatch *batch)
{
	initStringInfo(&batch->json);
	appendStringInfoChar(&batch->json, '[');
	batch->n = 0;
}

static json_t *
batch_item(const char *kind, const SmsLead *lead)
{
	return json_pack("{s:s, s:I}", "k", kind, "id", (json_int_t) lead->id);
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
		json_object_set_new(item, "errors",
							json_loads(errors_json(errors), 0, NULL));
	}
	batch_add(batch, item);
}

static void
item_set_generation(json_t *item, GeneratedSms *gen)
{
	Numeric		cost = smscamp_cost_of_segments(gen->count.segments);

	item_set_str(item, "message", gen->message);
	json_object_set_new(item, "segments", json_integer(gen->count.segments));
	item_set_str(item, "cost",
				 DatumGetCString(DirectFunctionCall1(numeric_out,
													 NumericGetDatum(cost))));
	item_set_str(item, "encoding", gen->count.ucs2 ? "UCS-2" : "GSM-7");
	item_set_str(item, "level", "info");
	item_set_str(item, "msg", generation_log_message(gen));
	json_object_set_new(item, "meta", generation_metadata_json(gen));
}

void
smscamp_batch_generation(RecordBatch *batch, const SmsLead *lead,
						 GeneratedSms *gen)
{
	json_t	   *item = batch_item("gen", lead);

	item_set_generation(item, gen);
	batch_add(batch, item);
}

/* the message just written and "sending" (or the log provider) at once */
void
smscamp_batch_generation_send(RecordBatch *batch, const SmsLead *lead,
							  GeneratedSms *gen, bool via_log)
{
	json_t	   *item = batch_item(via_log ? "log" : "mark", lead);

	item_set_generation(item, gen);
	if (via_log)
	{
		item_set_str(item, "sfrom", smscamp_sms_from[0] ? smscamp_sms_from : NULL);
		item_set_str(item, "body", gen->message);
	}
	batch_add(batch, item);
}

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

/* "sending", committed before the provider call */
void
smscamp_batch_mark_sending(RecordBatch *batch, const SmsLead *lead)
{
	batch_add(batch, batch_item("mark", lead));
}

/* the log provider: outbox and sent at once */
void
smscamp_batch_send_log(RecordBatch *batch, const SmsLead *lead)
{
	json_t	   *item = batch_item("log", lead);

	item_set_str(item, "sfrom", smscamp_sms_from[0] ? smscamp_sms_from : NULL);
	item_set_str(item, "body", lead->message);
	batch_add(batch, item);
}

void
smscamp_batch_send_result(RecordBatch *batch, const SmsLead *lead,
						  SendResult *r, double seconds)
{
	json_t	   *item = batch_item("send", lead);

	item_set_str(item, "outcome", outcome_name(r->outcome));
	item_set_str(item, "sid", r->sid);
	item_set_str(item, "pstatus", r->provider_status);
	json_object_set_new(item, "nseg", json_integer(r->num_segments));
	item_set_str(item, "price", r->price);
	item_set_str(item, "error", r->error);
	json_object_set_new(item, "retry_after", json_integer(r->retry_after_s));
	item_set_str(item, "level", r->outcome == SEND_ACCEPTED ? "info" : "error");
	item_set_str(item, "msg", send_log_message(r));
	json_object_set_new(item, "meta", send_metadata_json(r, seconds));
	batch_add(batch, item);
}

/*
 * Record the batch in one statement. marked[i] (0-based, batch->n entries)
 * is set for the mark and log items whose lead was marked sending.
 */
void
smscamp_batch_run(RecordBatch *batch, bool *marked)
{
	Oid			types[1] = {JSONBOID};
	Datum		values[1];
	uint64		r;
	int			rc;

	if (batch->n == 0)
		return;
	appendStringInfoChar(&batch->json, ']');
	values[0] = jsonb_datum(batch->json.data);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "smscamp: SPI_connect failed");
	rc = SPI_execute_plan(plan_for(SQL_RECORD_BATCH, 1, types), values, NULL,
						  false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "smscamp: recording a batch failed: %s",
			 SPI_result_code_string(rc));
	for (r = 0; r < SPI_processed; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		null_i, null_ok;
		int32		i = DatumGetInt32(SPI_getbinval(tup, desc, 1, &null_i));
		bool		ok = DatumGetBool(SPI_getbinval(tup, desc, 2, &null_ok));

		if (!null_i && i >= 1 && i <= batch->n)
			marked[i - 1] = !null_ok && ok;
	}
	SPI_finish();
}

/* ---------- finalize ---------- */

static const char *SQL_FINALIZE = "SELECT smscamp_finalize_lead($1)::text";

void
smscamp_node_finalize(int64 campaign_lead_id)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(campaign_lead_id)};

	smscamp_spi_call(SQL_FINALIZE, 1, types, values, NULL, NULL);
}

/* ---------- SQL-callable nodes ---------- */

static Datum
lead_state(int64 id)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(id)};
	bool		isnull;
	Datum		d;

	d = smscamp_spi_call("SELECT smscamp_lead_state($1)", 1, types, values,
						 NULL, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("campaign lead %lld not found", (long long) id)));
	return d;
}

/* a lead for the SQL-callable nodes: claimed like a worker would */
static SmsLead *
load_manual_lead(int64 id)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(id)};
	SmsLead    *lead;

	smscamp_spi_call("SELECT smscamp_claim_one($1)", 1, types, values, NULL, NULL);
	lead = smscamp_load_lead(id);
	lead->manual = true;
	return lead;
}

Datum
smscamp_validate_lead(PG_FUNCTION_ARGS)
{
	int64		id = PG_GETARG_INT64(0);
	SmsLead    *lead = smscamp_load_lead(id);
	List	   *errors;
	bool		passed;

	lead->manual = true;
	errors = smscamp_validation_errors(lead);
	passed = smscamp_node_validate(lead);
	PG_RETURN_DATUM(jsonb_datum(psprintf("{\"passed\":%s,\"validation_errors\":%s}",
										 passed ? "true" : "false",
										 errors_json(errors))));
}

/* generate and store the message; no sending */
Datum
smscamp_generate_sms(PG_FUNCTION_ARGS)
{
	int64		id = PG_GETARG_INT64(0);
	SmsLead    *lead = smscamp_load_lead(id);
	GeneratedSms gen;
	LlmAnswer	answer;

	lead->manual = true;

	if (!generate_blocking(lead, &gen, &answer))
	{
		smscamp_record_generation_failure(lead, answer.error, answer.retryable,
										  answer.retry_after_s);
		PG_RETURN_DATUM(lead_state(id));
	}
	smscamp_record_generation(lead, &gen);
	PG_RETURN_DATUM(lead_state(id));
}

static void
send_blocking(SmsLead *lead)
{
	HttpCall   *call;
	SendResult	result;

	if (smscamp_provider_is_log())
	{
		smscamp_send_via_log(lead);
		return;
	}
	if (!smscamp_mark_sending(lead))
	{
		smscamp_log(lead->id, "info", "sms_agent",
					"Not sent: the campaign is no longer running", NULL);
		return;
	}
	call = smscamp_sms_request(lead);
	smscamp_http_perform(call);
	smscamp_sms_parse(call, &result);
	smscamp_http_free(call);
	smscamp_record_send(lead, &result, call->seconds);
}

Datum
smscamp_send_sms(PG_FUNCTION_ARGS)
{
	int64		id = PG_GETARG_INT64(0);
	SmsLead    *lead = load_manual_lead(id);

	if (lead->message == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("campaign lead %lld has no generated message",
						(long long) id)));
	if (lead->already_sent)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("campaign lead %lld was already sent (or may have been)",
						(long long) id)));
	send_blocking(lead);
	PG_RETURN_DATUM(lead_state(id));
}

Datum
smscamp_finalize(PG_FUNCTION_ARGS)
{
	int64		id = PG_GETARG_INT64(0);

	smscamp_node_finalize(id);
	PG_RETURN_DATUM(lead_state(id));
}

/* the whole graph for one lead, synchronously */
Datum
smscamp_process_lead(PG_FUNCTION_ARGS)
{
	int64		id = PG_GETARG_INT64(0);
	SmsLead    *lead = load_manual_lead(id);
	GeneratedSms gen;
	LlmAnswer	answer;

	if (strcmp(lead->status, "pending") != 0 && strcmp(lead->status, "processing") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("campaign lead %lld is %s: only a pending lead can be processed",
						(long long) id, lead->status)));
	if (smscamp_node_validate(lead))
	{
		if (!generate_blocking(lead, &gen, &answer))
			smscamp_record_generation_failure(lead, answer.error,
											  answer.retryable,
											  answer.retry_after_s);
		else
		{
			smscamp_record_generation(lead, &gen);
			send_blocking(lead);
		}
	}
	smscamp_node_finalize(id);
	PG_RETURN_DATUM(lead_state(id));
}

/*
 * smscamp_preview(lead_context jsonb): validation and generation for one
 * lead, writing nothing. The context has the shape of smscamp_lead_context.
 */
Datum
smscamp_preview(PG_FUNCTION_ARGS)
{
	Jsonb	   *ctx = PG_GETARG_JSONB_P(0);
	SmsLead    *lead = smscamp_lead_from_json(JsonbToCString(NULL, &ctx->root,
													 VARSIZE(ctx)));
	List	   *errors = smscamp_validation_errors(lead);
	GeneratedSms gen;
	LlmAnswer	answer;
	json_t	   *out;

	if (!generate_blocking(lead, &gen, &answer))
		out = json_pack("{s:b, s:o, s:s}", "ok", 0,
						"validation_errors", json_loads(errors_json(errors), 0, NULL),
						"error", answer.error);
	else
		out = json_pack("{s:b, s:o, s:s, s:s, s:i, s:i, s:s, s:s?, s:b}",
						"ok", 1,
						"validation_errors", json_loads(errors_json(errors), 0, NULL),
						"message", gen.message,
						"encoding", gen.count.ucs2 ? "UCS-2" : "GSM-7",
						"segments", gen.count.segments,
						"characters", gen.count.units,
						"cost", DatumGetCString(DirectFunctionCall1(numeric_out,
																	NumericGetDatum(smscamp_cost_of_segments(gen.count.segments)))),
						"model", gen.model,
						"truncated", gen.truncated);
	PG_RETURN_DATUM(jsonb_datum(json_text(out)));
}
