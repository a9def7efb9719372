/*-------------------------------------------------------------------------
 *
 * llm.c
 *	  OpenAI-compatible chat completions: POST {base}/chat/completions.
 *	  Works with OpenAI, Ollama, vLLM, llama.cpp server. The answer is
 *	  hostile until checked: only choices[0].message.content is used, and
 *	  only when the model did not refuse (message.refusal) and finished
 *	  (finish_reason "stop", or none given); the guardrails check the text
 *	  afterwards (guardrails.c).
 *
 *-------------------------------------------------------------------------
 */
#include "smscamp.h"
#include "engine.h"
#include "metrics.h"

#include "fmgr.h"

/* PostgreSQL's SQL functions json_object/json_typeof clash with jansson's */
#define json_object pg_json_object
#define json_typeof pg_json_typeof
#include "utils/builtins.h"
#undef json_object
#undef json_typeof
#include <jansson.h>

#define DEFAULT_SYSTEM_PROMPT \
	"You write short, friendly, personalised SMS messages for a business."

bool
smscamp_llm_enabled(void)
{
	return smscamp_openai_api_key != NULL && smscamp_openai_api_key[0] != '\0';
}

static void
append_field(StringInfo s, const char *label, const char *value)
{
	if (value && value[0])
		appendStringInfo(s, "%s: %s\n", label, value);
}

static char *
system_message(const SmsLead *lead, const char *retry_hint)
{
	StringInfoData s;
	int			limit = smscamp_max_segments > 1 ? smscamp_max_segments * 153 : 160;

	initStringInfo(&s);
	appendStringInfoString(&s, lead->prompt && lead->prompt[0]
						   ? lead->prompt : DEFAULT_SYSTEM_PROMPT);
	if (lead->template && lead->template[0])
	{
		List	   *missing;
		char	   *base = smscamp_template_fill(lead->template, lead, lead->sender_name,
												 &missing);

		appendStringInfo(&s, "\n\nBase the message on this one, written by the sender: keep "
						 "its facts, offer and call to action, and make it personal for "
						 "the lead:\n%s", base);
	}
	if (lead->sender_name && lead->sender_name[0])
		appendStringInfo(&s, "\n\nThe message is from %s.", lead->sender_name);
	if (lead->voice)
		appendStringInfo(&s, "\n\nWrite the words of one short phone call to the lead "
						 "described by the user, to be read aloud by a text-to-speech voice: "
						 "greet the lead by first name, say who is calling and the message, "
						 "in plain spoken sentences. Answer with the words only: no quotes, "
						 "no markdown, no stage directions, no web addresses spelled out, no "
						 "placeholders. At most %d words; an opt-out sentence is added after "
						 "them.",
						 smscamp_max_call_words - smscamp_script_words(smscamp_call_optout));
	else
		appendStringInfo(&s, "\n\nWrite one SMS message to the lead described by the user. "
						 "Answer with the message text only: no quotes, no markdown, "
						 "no placeholders. At most %d characters.",
						 limit - (int) strlen(smscamp_optout_footer) - 1);
	if (retry_hint)
		appendStringInfo(&s, " %s", retry_hint);
	return s.data;
}

static char *
user_message(const SmsLead *lead)
{
	StringInfoData s;
	ListCell   *k;
	ListCell   *v;

	initStringInfo(&s);
	appendStringInfoString(&s, "Lead:\n");
	append_field(&s, "name", lead->name);
	append_field(&s, "company", lead->company);
	append_field(&s, "email", lead->email);
	append_field(&s, "notes", lead->notes);
	forboth(k, lead->attribute_keys, v, lead->attribute_values)
		append_field(&s, lfirst(k), lfirst(v));
	return s.data;
}

static char *
request_body(const SmsLead *lead, const char *retry_hint)
{
	json_t	   *root;
	char	   *result;

	root = json_pack("{s:s, s:f, s:i, s:[{s:s, s:s}, {s:s, s:s}]}",
					 "model", smscamp_openai_model,
					 "temperature", lead->temperature / 100.0,
					 "max_tokens", 400,
					 "messages",
					 "role", "system", "content", system_message(lead, retry_hint),
					 "role", "user", "content", user_message(lead));
	if (root == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
				 errmsg("smscamp: could not encode the chat request as JSON")));
	result = smscamp_json_text(root);	/* consumes root */
	if (result == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("smscamp: out of memory encoding the chat request")));
	return result;
}

static HttpCall *
chat_call(char *body)
{
	const char *base = smscamp_openai_base_url;
	int			len = strlen(base);
	HttpCall   *call;

	while (len > 0 && base[len - 1] == '/')
		len--;
	call = smscamp_http_new(psprintf("%.*s/chat/completions", len, base),
							body, smscamp_llm_timeout_ms);
	smscamp_http_header(call, "Content-Type: application/json");
	smscamp_http_header(call, psprintf("Authorization: Bearer %s",
									   smscamp_openai_api_key));
	return call;
}

HttpCall *
smscamp_llm_request(const SmsLead *lead, const char *retry_hint)
{
	return chat_call(request_body(lead, retry_hint));
}

/*
 * A chat request written by SQL (sql/reply_agent.sql): {"temperature":
 * 0-200, "messages": [{"role": "system" | "user" | "assistant", "content":
 * text}, ...]}. The model and the token limit are the engine's.
 */
HttpCall *
smscamp_llm_chat_request(const char *request)
{
	json_error_t jerr;
	json_t	   *in = json_loads(request, 0, &jerr);
	json_t	   *msgs = in ? json_object_get(in, "messages") : NULL;
	json_t	   *temp = in ? json_object_get(in, "temperature") : NULL;
	json_t	   *out;
	json_t	   *m;
	size_t		i;
	char	   *body;

	if (!json_is_array(msgs) || json_array_size(msgs) == 0)
	{
		if (in)
			json_decref(in);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("smscamp: a chat request needs a non-empty \"messages\" array")));
	}
	json_array_foreach(msgs, i, m)
	{
		json_t	   *role = json_object_get(m, "role");

		if (!json_is_string(role) || !json_is_string(json_object_get(m, "content"))
			|| (strcmp(json_string_value(role), "system") != 0
				&& strcmp(json_string_value(role), "user") != 0
				&& strcmp(json_string_value(role), "assistant") != 0))
		{
			json_decref(in);
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("smscamp: chat message %zu needs a role (system, user or "
							"assistant) and a text content", i + 1)));
		}
	}
	out = json_pack("{s:s, s:f, s:i, s:O}",
					"model", smscamp_openai_model,
					"temperature", json_is_number(temp) ? json_number_value(temp) / 100.0 : 0.0,
					"max_tokens", 400,
					"messages", msgs);
	json_decref(in);
	if (out == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("smscamp: could not encode the chat request")));
	body = smscamp_json_text(out);	/* consumes out */
	if (body == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("smscamp: out of memory encoding the chat request")));
	return chat_call(body);
}

/*
 * An answer as SQL records it (smscamp_record_agent): {"content"} or
 * {"error", "retryable", "retry_after"}, and "model".
 */
char *
smscamp_llm_answer_json(const LlmAnswer *answer)
{
	/* json_pack, not json_object(): the server exports a json_object of its own */
	json_t	   *o = json_pack("{s:s}", "model", smscamp_openai_model);
	char	   *text;

	if (o == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("smscamp: out of memory")));
	if (answer->ok && answer->content)
		json_object_set_new(o, "content", json_string(answer->content));
	else
	{
		json_object_set_new(o, "error", json_string(answer->error ? answer->error
													: "the model gave no answer"));
		json_object_set_new(o, "retryable", json_boolean(answer->retryable && !answer->unusable));
		if (answer->retry_after_s >= 0)
			json_object_set_new(o, "retry_after", json_integer(answer->retry_after_s));
	}
	text = smscamp_json_text(o);	/* consumes o */
	return text;
}

static int
json_int(json_t *obj, const char *key)
{
	json_t	   *v = obj ? json_object_get(obj, key) : NULL;

	return json_is_integer(v) ? (int) json_integer_value(v) : 0;
}

/* the provider's error code or type, never its message (it may echo keys) */
static char *
provider_error(json_t *root)
{
	json_t	   *err = root ? json_object_get(root, "error") : NULL;
	json_t	   *code = err ? json_object_get(err, "code") : NULL;
	json_t	   *type = err ? json_object_get(err, "type") : NULL;

	if (json_is_string(code))
		return pstrdup(json_string_value(code));
	if (json_is_string(type))
		return pstrdup(json_string_value(type));
	return NULL;
}

static void
parse_error(HttpCall *call, LlmAnswer *answer, json_t *root)
{
	char	   *why = provider_error(root);
	long		s = call->status;

	answer->ok = false;
	answer->retry_after_s = call->retry_after_s;
	if (call->result != CURLE_OK || s == 0)
	{
		answer->retryable = true;
		answer->error = psprintf("LLM request failed: %s", smscamp_http_error(call));
		return;
	}
	answer->retryable = (s == 408 || s == 409 || s == 429 || s >= 500 || s < 300);
	answer->error = psprintf("LLM answered HTTP %ld%s%s", s,
							 why ? ": " : "", why ? why : "");
}

static void
parse_answer(HttpCall *call, LlmAnswer *answer)
{
	json_t	   *root = NULL;
	json_t	   *choices, *choice, *message, *content, *refusal, *finish, *usage;
	json_error_t jerr;

	memset(answer, 0, sizeof(*answer));
	answer->retry_after_s = -1;

	if (call->result == CURLE_OK && call->response.len > 0)
		root = json_loadb(call->response.data, call->response.len, 0, &jerr);

	if (call->result != CURLE_OK || call->status != 200 || root == NULL)
	{
		parse_error(call, answer, root);
		if (call->result == CURLE_OK && call->status == 200)
			answer->error = pstrdup("LLM answer is not JSON");
		if (root)
			json_decref(root);
		return;
	}

	choices = json_object_get(root, "choices");
	choice = json_is_array(choices) && json_array_size(choices) > 0
		? json_array_get(choices, 0) : NULL;
	message = choice ? json_object_get(choice, "message") : NULL;
	content = message ? json_object_get(message, "content") : NULL;
	refusal = message ? json_object_get(message, "refusal") : NULL;
	finish = choice ? json_object_get(choice, "finish_reason") : NULL;
	usage = json_object_get(root, "usage");
	answer->prompt_tokens = json_int(usage, "prompt_tokens");
	answer->completion_tokens = json_int(usage, "completion_tokens");

	/* an answer, but not a message: asked once more, then the lead fails */
	answer->unusable = true;
	if (json_is_string(refusal) && json_string_length(refusal) > 0)
		answer->error = psprintf("the model refused: %.200s", json_string_value(refusal));
	else if (finish && !json_is_null(finish)
			 && !(json_is_string(finish) && strcmp(json_string_value(finish), "stop") == 0))
	{
		const char *why = json_is_string(finish) ? json_string_value(finish) : "not a string";

		if (strcmp(why, "length") == 0)
			answer->error = pstrdup("the model's answer was cut off (finish_reason length)");
		else if (strcmp(why, "content_filter") == 0)
			answer->error = pstrdup("the model's answer was withheld by its content filter "
									"(finish_reason content_filter)");
		else
			answer->error = psprintf("the model did not finish its answer (finish_reason %.40s)",
									 why);
	}
	else if (!json_is_string(content) || json_string_length(content) == 0)
		answer->error = pstrdup("the model's answer has no message content");
	else
	{
		answer->unusable = false;
		answer->ok = true;
		answer->content = pstrdup(json_string_value(content));
	}
	json_decref(root);
}

/* the answer of a finished call, counted in the metrics */
void
smscamp_llm_parse(HttpCall *call, LlmAnswer *answer)
{
	parse_answer(call, answer);
	smscamp_metrics_observe_llm(call->seconds, answer->ok);
}

/* SQL: smscamp_llm_chat(request jsonb) -> jsonb, one blocking chat call */
PG_FUNCTION_INFO_V1(smscamp_llm_chat);

Datum
smscamp_llm_chat(PG_FUNCTION_ARGS)
{
	char	   *request = text_to_cstring(PG_GETARG_TEXT_PP(0));
	LlmAnswer	answer;
	HttpCall   *call;

	if (!smscamp_llm_enabled())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("smscamp: no LLM is configured (smscamp.openai_api_key)")));
	call = smscamp_llm_chat_request(request);
	smscamp_http_perform(call);
	smscamp_llm_parse(call, &answer);
	smscamp_http_free(call);
	PG_RETURN_DATUM(smscamp_jsonb_datum(smscamp_llm_answer_json(&answer)));
}
