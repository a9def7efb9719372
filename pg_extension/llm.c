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
	char	   *dump;
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
	dump = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	if (dump == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("smscamp: out of memory encoding the chat request")));
	result = pstrdup(dump);
	free(dump);
	return result;
}

HttpCall *
smscamp_llm_request(const SmsLead *lead, const char *retry_hint)
{
	const char *base = smscamp_openai_base_url;
	int			len = strlen(base);
	HttpCall   *call;

	while (len > 0 && base[len - 1] == '/')
		len--;
	call = smscamp_http_new(psprintf("%.*s/chat/completions", len, base),
							request_body(lead, retry_hint),
							smscamp_llm_timeout_ms);
	smscamp_http_header(call, "Content-Type: application/json");
	smscamp_http_header(call, psprintf("Authorization: Bearer %s",
									   smscamp_openai_api_key));
	return call;
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
