/*-------------------------------------------------------------------------
 *
 * nodes.c
 *	  The graph's nodes: validate_lead -> sms_agent (write, count, send)
 *	  -> finalize. The C code decides and talks HTTP; what a node did is
 *	  recorded as an item of a batch (record.c), written by one SQL
 *	  function of sql/workflow.sql with bound parameters. The workers run
 *	  the steps below with curl multi (jobs.c); the SQL-callable nodes here
 *	  run them one lead at a time with blocking HTTP, for psql and tests,
 *	  each recording a batch of one item: the same writes as a worker's.
 *	  Also SQL-callable: the reply agent's guardrails (smscamp_reply_guard).
 *
 *-------------------------------------------------------------------------
 */
#include "smscamp.h"
#include "engine.h"

#include "fmgr.h"
#include "utils/jsonb.h"

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

/* ---------- a lead ---------- */

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
	lead->template = jstr(o, "sms_template");
	lead->sender_name = jstr(o, "sender_name");
	{
		json_t	   *attrs = json_object_get(o, "attributes");
		const char *key;
		json_t	   *value;

		json_object_foreach(attrs, key, value)
		{
			char	   *text = NULL;

			if (json_is_string(value))
				text = pstrdup(json_string_value(value));
			else if (json_is_true(value))
				text = pstrdup("yes");
			else if (json_is_false(value))
				text = pstrdup("no");
			else if (json_is_number(value))
			{
				char	   *d = json_dumps(value, JSON_ENCODE_ANY);

				if (d)
				{
					text = pstrdup(d);
					free(d);
				}
			}
			if (text)
			{
				lead->attribute_keys = lappend(lead->attribute_keys, pstrdup(key));
				lead->attribute_values = lappend(lead->attribute_values, text);
			}
		}
	}
	lead->temperature = (int) jint(o, "sms_temperature");
	lead->agent_type = jstr(o, "agent_type");
	lead->voice = lead->agent_type && strcmp(lead->agent_type, "voice") == 0;
	lead->call_language = jstr(o, "call_language");
	lead->campaign_status = jstr(o, "campaign_status");
	lead->opted_out = json_is_true(json_object_get(o, "opted_out"));
	lead->already_sent = json_is_true(json_object_get(o, "already_sent"));
	lead->skip_reason = jstr(o, "skip_reason");
	smscamp_sender_from_json(json_object_get(o, "sender"), &lead->sender);
	lead->message = jstr(o, "sms_message");
	json_decref(o);
	return lead;
}

/* a campaign lead for the SQL-callable nodes (not claimed) */
static SmsLead *
load_lead(int64 id)
{
	char	   *context = smscamp_spi_lead_context(id);
	SmsLead    *lead;

	if (context == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("campaign lead %lld not found", (long long) id)));
	lead = smscamp_lead_from_json(context);
	lead->manual = true;
	return lead;
}

/* ... claimed like a worker would (pending -> processing, an attempt) */
static SmsLead *
load_claimed_lead(int64 id)
{
	smscamp_spi_claim_one(id);
	return load_lead(id);
}

/* the error of a node called on a lead not in the state it needs */
static void
lead_not_ready(int64 id, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("campaign lead %lld %s", (long long) id, why)));
}

/* ---------- validate_lead ---------- */

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
	if (lead->skip_reason)
		errors = lappend(errors, lead->skip_reason);
	return errors;
}

/* ---------- sms_agent: writing ---------- */

/*
 * Who writes a lead's message: a model when one is configured, else the
 * template when the campaign has one, else the built-in writer.
 */
WriterKind
smscamp_writer_kind(const SmsLead *lead)
{
	if (smscamp_llm_enabled())
		return WRITER_MODEL;
	if (lead->template && lead->template[0])
		return WRITER_TEMPLATE;
	return WRITER_BUILTIN;
}

/* a finished text: counted, and the lead's message (a call's: its script) */
static void
take_message(SmsLead *lead, char *message, GeneratedSms *gen)
{
	gen->message = message;
	if (lead->voice)
		memset(&gen->count, 0, sizeof(gen->count));
	else
		smscamp_count_sms(message, strlen(message), &gen->count);
	lead->message = message;
}

/* a cleaned text as the call's script: spoken addresses, the word limit */
static char *
call_script(const char *text)
{
	return smscamp_fit_script(text, smscamp_max_call_words, smscamp_call_optout);
}

static char *
too_long(const char *who, const char *message)
{
	SmsCount	count;

	smscamp_count_sms(message, strlen(message), &count);
	return psprintf("%s is %d segments with the opt-out footer, more than smscamp.max_segments (%d)",
					who, count.segments, smscamp_max_segments);
}

/*
 * The template or the built-in writer: true with the message in gen, or
 * false with *error (final: the same lead gives the same result again).
 */
bool
smscamp_write_offline(SmsLead *lead, GeneratedSms *gen, char **error)
{
	bool		fits;
	char	   *text;
	char	   *message;

	*error = NULL;
	if (lead->template && lead->template[0])
	{
		char	   *problem = smscamp_template_error(lead->template);

		gen->writer = "template";
		if (problem)
		{
			*error = psprintf("The message template cannot be used: %s", problem);
			return false;
		}
		text = smscamp_template_fill(lead->template, lead, lead->sender_name, &gen->missing);
		if (lead->voice)
		{
			take_message(lead, call_script(smscamp_sanitize_message(text)), gen);
			return true;
		}
		message = smscamp_fit_message(smscamp_sanitize_message(text), smscamp_max_segments,
									  smscamp_optout_footer, &fits);
		if (!fits)
		{
			*error = too_long("The template filled in for this lead", message);
			return false;
		}
		take_message(lead, message, gen);
		return true;
	}
	gen->writer = "built-in writer";
	text = smscamp_builtin_message(lead, error);
	if (text == NULL)
		return false;
	if (lead->voice)
		take_message(lead, call_script(text), gen);
	else
		take_message(lead, smscamp_fit_message(text, smscamp_max_segments,
											   smscamp_optout_footer, &fits), gen);
	return true;
}

/*
 * A model's answer as the lead's message: true with gen filled, or false
 * with *problem (why it cannot be sent as it is: ask once more, then fail).
 */
bool
smscamp_take_model_answer(SmsLead *lead, LlmAnswer *answer, GeneratedSms *gen,
						  char **problem)
{
	char	   *clean;
	char	   *message;
	bool		fits;

	gen->writer = gen->model;
	if (!answer->ok)
	{
		*problem = pstrdup(answer->error ? answer->error : "the model's answer is not usable");
		return false;
	}
	clean = smscamp_sanitize_message(answer->content);
	if ((*problem = smscamp_model_text_problem(clean)) != NULL)
		return false;
	if (lead->voice)
	{
		/* the model was asked for fewer words; a longer script is cut */
		take_message(lead, call_script(clean), gen);
		return true;
	}
	message = smscamp_fit_message(clean, smscamp_max_segments, smscamp_optout_footer, &fits);
	if (!fits)
	{
		*problem = too_long("the model's message", message);
		return false;
	}
	take_message(lead, message, gen);
	return true;
}

/* what the model is told when it is asked again */
char *
smscamp_model_retry_hint(const char *problem)
{
	if (strstr(problem, "segments") || strstr(problem, "cut off"))
		return psprintf("Your previous answer was too long (%s): write a shorter one.", problem);
	return psprintf("Your previous answer could not be used (%s): answer with the SMS text only.",
					problem);
}

/*
 * Blocking generation for the SQL functions: true with gen filled, or false
 * with answer->error and answer->retryable (an HTTP failure worth trying
 * later; a message that cannot be written is final).
 */
static bool
generate_blocking(SmsLead *lead, GeneratedSms *gen, LlmAnswer *answer)
{
	char	   *problem = NULL;
	int			round;

	memset(gen, 0, sizeof(*gen));
	memset(answer, 0, sizeof(*answer));
	answer->retry_after_s = -1;
	if (smscamp_writer_kind(lead) != WRITER_MODEL)
	{
		if (smscamp_write_offline(lead, gen, &problem))
			return true;
		answer->error = problem;
		answer->retryable = false;
		return false;
	}

	gen->model = smscamp_openai_model;
	for (round = 0; round < 2; round++)
	{
		HttpCall   *call = smscamp_llm_request(lead, problem
											   ? smscamp_model_retry_hint(problem) : NULL);

		smscamp_http_perform(call);
		smscamp_llm_parse(call, answer);
		gen->seconds += call->seconds;
		smscamp_http_free(call);
		if (!answer->ok && !answer->unusable)
			return false;		/* HTTP: retried later with backoff */
		gen->prompt_tokens += answer->prompt_tokens;
		gen->completion_tokens += answer->completion_tokens;
		gen->regenerated = round > 0;
		if (smscamp_take_model_answer(lead, answer, gen, &problem))
			return true;
	}
	answer->ok = false;
	answer->retryable = false;
	answer->error = psprintf("Message generation failed twice: %s", problem);
	return false;
}

/* ---------- the SQL-callable nodes: one lead, blocking HTTP ---------- */

/* a batch of one item, recorded now */
static RecordResult
record(RecordBatch *batch)
{
	RecordResult result;

	smscamp_batch_run(batch, &result);
	return result;
}

static void
batch_init(RecordBatch *batch, bool alone)
{
	smscamp_batch_init(batch);
	batch->alone = alone;
}

/*
 * A lead's message written (gen), or why it could not be (answer), recorded
 * as one item.
 */
static void
record_generation(SmsLead *lead, GeneratedSms *gen, LlmAnswer *answer,
				  bool written, bool alone)
{
	RecordBatch batch;

	batch_init(&batch, alone);
	if (written)
		smscamp_batch_generation(&batch, lead, gen);
	else
		smscamp_batch_generation_failure(&batch, lead, answer->error,
										 answer->retryable,
										 answer->retry_after_s);
	record(&batch);
}

/* the lead's final status (finalize), recorded as one item */
static void
record_finalize(int64 id)
{
	RecordBatch batch;

	batch_init(&batch, false);
	smscamp_batch_finalize(&batch, id);
	record(&batch);
}

/*
 * sms_agent's send: its start ("sending", or the log provider's outbox),
 * with the message just written when gen is set, then the provider call
 * and its answer. False when it did not start (the lead is no longer
 * being processed).
 */
static bool
send_blocking(SmsLead *lead, GeneratedSms *gen, bool alone)
{
	RecordBatch batch;
	HttpCall   *call;
	SendResult	result;

	batch_init(&batch, alone);
	smscamp_batch_send_start(&batch, lead, gen);
	if (!record(&batch).marked)
		return false;
	if (smscamp_provider_is_log())
		return true;
	call = smscamp_send_request(lead);
	smscamp_http_perform(call);
	smscamp_sms_parse(call, &result);
	smscamp_http_free(call);
	batch_init(&batch, alone);
	smscamp_batch_send_result(&batch, lead, &result, call->seconds);
	record(&batch);
	return true;
}

Datum
smscamp_validate_lead(PG_FUNCTION_ARGS)
{
	SmsLead    *lead = load_lead(PG_GETARG_INT64(0));
	List	   *errors = smscamp_validation_errors(lead);
	RecordBatch batch;

	batch_init(&batch, true);
	smscamp_batch_validation(&batch, lead, errors);
	record(&batch);
	PG_RETURN_DATUM(smscamp_jsonb_datum(smscamp_json_text(
		json_pack("{s:b, s:o}", "passed", errors == NIL,
				  "validation_errors", smscamp_json_strings(errors)))));
}

/* write and store the message; no sending */
Datum
smscamp_generate_sms(PG_FUNCTION_ARGS)
{
	int64		id = PG_GETARG_INT64(0);
	SmsLead    *lead = load_lead(id);
	GeneratedSms gen;
	LlmAnswer	answer;
	bool		written = generate_blocking(lead, &gen, &answer);

	record_generation(lead, &gen, &answer, written, true);
	PG_RETURN_DATUM(smscamp_spi_lead_state(id));
}

Datum
smscamp_send_sms(PG_FUNCTION_ARGS)
{
	int64		id = PG_GETARG_INT64(0);
	SmsLead    *lead = load_claimed_lead(id);

	if (lead->message == NULL)
		lead_not_ready(id, "has no generated message");
	if (lead->already_sent)
		lead_not_ready(id, "was already sent (or may have been)");
	send_blocking(lead, NULL, true);
	PG_RETURN_DATUM(smscamp_spi_lead_state(id));
}

Datum
smscamp_finalize(PG_FUNCTION_ARGS)
{
	int64		id = PG_GETARG_INT64(0);

	record_finalize(id);
	PG_RETURN_DATUM(smscamp_spi_lead_state(id));
}

/*
 * The whole graph for one lead, synchronously: the items a worker records
 * for it, each a batch of one (a skipped lead, a message that could not be
 * written and a send are finalized by their items).
 */
Datum
smscamp_process_lead(PG_FUNCTION_ARGS)
{
	int64		id = PG_GETARG_INT64(0);
	SmsLead    *lead = load_claimed_lead(id);
	List	   *errors;
	GeneratedSms gen;
	LlmAnswer	answer;
	RecordBatch batch;

	if (strcmp(lead->status, "pending") != 0 && strcmp(lead->status, "processing") != 0)
		lead_not_ready(id, psprintf("is %s: only a pending lead can be processed",
									lead->status));
	errors = smscamp_validation_errors(lead);
	batch_init(&batch, false);
	smscamp_batch_validation(&batch, lead, errors);
	record(&batch);
	if (errors == NIL)
	{
		if (!generate_blocking(lead, &gen, &answer))
			record_generation(lead, &gen, &answer, false, false);
		else if (!send_blocking(lead, &gen, false))
			record_finalize(id);
	}
	PG_RETURN_DATUM(smscamp_spi_lead_state(id));
}

static const char *const writer_kind_names[] = {"template", "builtin", "llm"};

/*
 * smscamp_preview(lead_context jsonb): validation and generation for one
 * lead, writing nothing. The context is one smscamp_build_context made.
 * Answers {"ok", "validation_errors", "writer", "message", "encoding",
 * "segments", "characters", "cost", "model", "empty_placeholders", "plan"}
 * or {"ok": false, "final", "error", ...}: final when the message cannot be
 * written as things are (a prompt not understood, a template too long, a
 * model that refused twice), not final for a model that could not be
 * reached.
 */
Datum
smscamp_preview(PG_FUNCTION_ARGS)
{
	Jsonb	   *ctx = PG_GETARG_JSONB_P(0);
	SmsLead    *lead = smscamp_lead_from_json(JsonbToCString(NULL, &ctx->root,
													 VARSIZE(ctx)));
	List	   *errors = smscamp_validation_errors(lead);
	WriterKind	kind = smscamp_writer_kind(lead);
	GeneratedSms gen;
	LlmAnswer	answer;
	json_t	   *out;

	if (!generate_blocking(lead, &gen, &answer))
		out = json_pack("{s:b, s:b, s:o, s:s, s:s}", "ok", 0,
						"final", !answer.retryable,
						"validation_errors", smscamp_json_strings(errors),
						"writer", writer_kind_names[kind],
						"error", answer.error);
	else
		out = json_pack("{s:b, s:o, s:s, s:s, s:s, s:i, s:i, s:s, s:s?, s:b, s:o}",
						"ok", 1,
						"validation_errors", smscamp_json_strings(errors),
						"writer", writer_kind_names[kind],
						"message", gen.message,
						"encoding", gen.count.ucs2 ? "UCS-2" : "GSM-7",
						"segments", gen.count.segments,
						"characters", gen.count.units,
						"cost", DatumGetCString(DirectFunctionCall1(numeric_out,
																	NumericGetDatum(smscamp_cost_of_segments(gen.count.segments)))),
						"model", gen.model,
						"truncated", gen.truncated,
						"empty_placeholders", smscamp_json_strings(gen.missing));
	if (out && kind == WRITER_BUILTIN)
		json_object_set_new(out, "plan",
							json_loads(smscamp_writer_plan_json(smscamp_writer_plan(lead->prompt,
																					lead->sender_name)),
									   0, NULL));
	if (out == NULL)
		elog(ERROR, "smscamp: could not build the preview");
	PG_RETURN_DATUM(smscamp_jsonb_datum(smscamp_json_text(out)));
}

/*
 * SQL: smscamp_reply_guard(text) -> jsonb {"ok", "text", "problem"}: the
 * reply agent's answer sanitized and checked (sql/reply_agent.sql).
 */
PG_FUNCTION_INFO_V1(smscamp_reply_guard);

Datum
smscamp_reply_guard(PG_FUNCTION_ARGS)
{
	char	   *raw = PG_ARGISNULL(0) ? pstrdup("") : text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *clean = smscamp_sanitize_message(raw);
	char	   *problem = smscamp_reply_problem(clean);
	json_t	   *o = json_pack("{s:b, s:s}", "ok", problem == NULL, "text", clean);
	char	   *out;

	if (o == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
				 errmsg("smscamp: the answer could not be encoded as JSON")));
	if (problem)
		json_object_set_new(o, "problem", json_string(problem));
	out = smscamp_json_text(o);	/* consumes o */
	PG_RETURN_DATUM(smscamp_jsonb_datum(out));
}
