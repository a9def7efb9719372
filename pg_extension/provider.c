/*-------------------------------------------------------------------------
 *
 * provider.c
 *	  SMS and call providers. "log" records messages in the sms_outbox
 *	  table and calls in call_outbox (no network, the default); "twilio"
 *	  POSTs to a Twilio-compatible API: Calls.json for a voice campaign's
 *	  call (To, From, Twiml with its script in a <Say>, StatusCallback,
 *	  MachineDetection), and Messages.json for an SMS:
 *	  {base}/2010-04-01/Accounts/{sid}/Messages.json, form-encoded To,
 *	  From (or MessagingServiceSid), Body, basic auth. A message goes from
 *	  its sender (sql/senders.sql chose it), else from smscamp.sms_from.
 *	  A refusal's Twilio error code is read (SendResult.error_code): SQL
 *	  acts on it (smscamp_provider_error).
 *
 *	  At most once: an answer is SEND_RETRY only when the provider provably
 *	  did not take the message (nothing was sent, 429, a 4xx that says so);
 *	  a timeout or 5xx after the request left is SEND_UNKNOWN.
 *
 *-------------------------------------------------------------------------
 */
#include "smscamp.h"
#include "engine.h"
#include "metrics.h"

#include <jansson.h>

/* the one table of an outcome's names */
const SendOutcomeNames smscamp_send_outcomes[SEND_NOUTCOMES] = {
	[SEND_ACCEPTED] = {"sent", "accepted"},
	[SEND_REJECTED] = {"failed", "rejected"},
	[SEND_RETRY] = {"retry", "retry"},
	[SEND_UNKNOWN] = {"unknown", "unknown"},
};

bool
smscamp_provider_is_log(void)
{
	return smscamp_sms_provider == NULL
		|| pg_strcasecmp(smscamp_sms_provider, "twilio") != 0;
}

static void
append_form(StringInfo s, CURL *h, const char *name, const char *value)
{
	char	   *escaped = curl_easy_escape(h, value, 0);

	if (escaped == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("smscamp: out of memory encoding an SMS request")));
	appendStringInfo(s, "%s%s=%s", s->len ? "&" : "", name, escaped);
	curl_free(escaped);
}

/* a curl handle to URL-encode a form's fields with (curl_easy_escape) */
static CURL *
form_encoder(void)
{
	CURL	   *h;

	smscamp_http_global_init();
	h = curl_easy_init();
	if (h == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("smscamp: could not create a curl handle")));
	return h;
}

/* the form's POST to {base}/2010-04-01/Accounts/{sid}/{resource}.json */
static HttpCall *
twilio_post(const char *resource, const char *form)
{
	HttpCall   *call;
	const char *base = smscamp_twilio_base_url;
	int			len = strlen(base);

	while (len > 0 && base[len - 1] == '/')
		len--;
	call = smscamp_http_new(psprintf("%.*s/2010-04-01/Accounts/%s/%s.json", len, base,
									 smscamp_twilio_account_sid, resource),
							form, smscamp_sms_timeout_ms);
	call->userpwd = psprintf("%s:%s", smscamp_twilio_account_sid,
							 smscamp_twilio_auth_token);
	smscamp_http_header(call, "Content-Type: application/x-www-form-urlencoded");
	smscamp_http_header(call, "Accept: application/json");
	return call;
}

/* a sender as the lead context and the outbound tasks give it; none: sms_from */
void
smscamp_sender_from_json(json_t *obj, SmsSender *sender)
{
	json_t	   *v;

	memset(sender, 0, sizeof(*sender));
	if (!json_is_object(obj))
		return;
	v = json_object_get(obj, "id");
	sender->id = json_is_integer(v) ? (int64) json_integer_value(v) : 0;
	v = json_object_get(obj, "from");
	sender->from = json_is_string(v) ? pstrdup(json_string_value(v)) : NULL;
	v = json_object_get(obj, "messaging_service_sid");
	sender->messaging_service_sid = json_is_string(v) ? pstrdup(json_string_value(v)) : NULL;
	v = json_object_get(obj, "segments_per_second");
	sender->segments_per_second = json_is_number(v) ? json_number_value(v) : 0;
	if (sender->segments_per_second < 0)
		sender->segments_per_second = 0;
}

/* the From a message of this sender shows (the outbox's from_phone) */
const char *
smscamp_sender_from(const SmsSender *sender)
{
	if (sender && sender->messaging_service_sid)
		return sender->messaging_service_sid;
	if (sender && sender->from)
		return sender->from;
	return smscamp_sms_from[0] ? smscamp_sms_from : NULL;
}

HttpCall *
smscamp_sms_request(const SmsLead *lead)
{
	return smscamp_sms_request_to(lead->phone, lead->message, &lead->sender);
}

/* one message, body, to phone to (E.164), from its sender */
HttpCall *
smscamp_sms_request_to(const char *to, const char *body, const SmsSender *sender)
{
	StringInfoData form;
	HttpCall   *call;
	CURL	   *h;

	h = form_encoder();

	initStringInfo(&form);
	append_form(&form, h, "To", to);
	if (sender && sender->messaging_service_sid)
		append_form(&form, h, "MessagingServiceSid", sender->messaging_service_sid);
	else
		append_form(&form, h, "From", sender && sender->from ? sender->from
					: smscamp_sms_from);
	append_form(&form, h, "Body", body);
	if (smscamp_status_callback_url && smscamp_status_callback_url[0])
		append_form(&form, h, "StatusCallback", smscamp_status_callback_url);
	curl_easy_cleanup(h);
	call = twilio_post("Messages", form.data);
	pfree(form.data);
	return call;
}

/*
 * One call to the lead, saying its script (lead->message) with TwiML's
 * <Say> in smscamp.voice and the lead's language; answering machines as
 * smscamp.voicemail says: leave (the script after the beep), hang_up, off.
 */
HttpCall *
smscamp_call_request(const SmsLead *lead)
{
	StringInfoData form;
	HttpCall   *call;
	CURL	   *h;
	char	   *twiml;

	h = form_encoder();
	twiml = psprintf("<Response><Say voice=\"%s\" language=\"%s\">%s</Say></Response>",
					 smscamp_xml_escape(smscamp_voice),
					 smscamp_xml_escape(lead->call_language ? lead->call_language : "en-US"),
					 smscamp_xml_escape(lead->message ? lead->message : ""));
	initStringInfo(&form);
	append_form(&form, h, "To", lead->phone);
	append_form(&form, h, "From", lead->sender.from ? lead->sender.from : smscamp_sms_from);
	append_form(&form, h, "Twiml", twiml);
	if (smscamp_voice_status_callback_url && smscamp_voice_status_callback_url[0])
	{
		append_form(&form, h, "StatusCallback", smscamp_voice_status_callback_url);
		append_form(&form, h, "StatusCallbackEvent", "initiated ringing answered completed");
	}
	if (strcmp(smscamp_voicemail, "leave") == 0)
		append_form(&form, h, "MachineDetection", "DetectMessageEnd");
	else if (strcmp(smscamp_voicemail, "hang_up") == 0)
		append_form(&form, h, "MachineDetection", "Enable");
	curl_easy_cleanup(h);
	call = twilio_post("Calls", form.data);
	pfree(form.data);
	return call;
}

/* the lead's send: its SMS, or its call in a voice campaign */
HttpCall *
smscamp_send_request(const SmsLead *lead)
{
	return lead->voice ? smscamp_call_request(lead) : smscamp_sms_request(lead);
}

static char *
json_str(json_t *obj, const char *key)
{
	json_t	   *v = obj ? json_object_get(obj, key) : NULL;

	if (json_is_string(v))
		return pstrdup(json_string_value(v));
	if (json_is_integer(v))
		return psprintf("%lld", (long long) json_integer_value(v));
	if (json_is_real(v))
		return psprintf("%g", json_real_value(v));
	return NULL;
}

static void
classify_failure(HttpCall *call, json_t *root, SendResult *result)
{
	long		s = call->status;
	char	   *code = json_str(root, "code");

	result->retry_after_s = call->retry_after_s;
	if (code && strspn(code, "0123456789") == strlen(code) && strlen(code) <= 6)
		result->error_code = atoi(code);

	if (call->result != CURLE_OK && !call->request_sent)
	{
		result->outcome = SEND_RETRY;
		result->error = psprintf("SMS provider unreachable: %s",
								 smscamp_http_error(call));
	}
	else if (call->result != CURLE_OK || s == 0)
	{
		result->outcome = SEND_UNKNOWN;
		result->error = psprintf("SMS provider did not answer (%s); "
								 "the message may have been sent",
								 smscamp_http_error(call));
	}
	else if (s == 429)
	{
		result->outcome = SEND_RETRY;
		result->error = psprintf("SMS provider rate limit (HTTP 429%s%s)",
								 code ? ", code " : "", code ? code : "");
	}
	else if (s >= 400 && s < 500)
	{
		result->outcome = SEND_REJECTED;
		result->error = psprintf("SMS provider refused the message (HTTP %ld%s%s)",
								 s, code ? ", code " : "", code ? code : "");
	}
	else
	{
		result->outcome = SEND_UNKNOWN;
		result->error = psprintf("SMS provider answered HTTP %ld; "
								 "the message may have been sent", s);
	}
}

void
smscamp_sms_parse(HttpCall *call, SendResult *result)
{
	json_t	   *root = NULL;
	json_error_t jerr;
	char	   *segments;

	memset(result, 0, sizeof(*result));
	result->retry_after_s = -1;

	if (call->result == CURLE_OK && call->response.len > 0)
		root = json_loadb(call->response.data, call->response.len, 0, &jerr);

	if (call->result == CURLE_OK && call->status >= 200 && call->status < 300)
	{
		result->sid = json_str(root, "sid");
		if (result->sid == NULL)
		{
			/* a 2xx we cannot read: the provider probably took it */
			result->outcome = SEND_UNKNOWN;
			result->error = psprintf("SMS provider answered HTTP %ld without a "
									 "message sid; the message may have been sent",
									 call->status);
		}
		else
		{
			result->outcome = SEND_ACCEPTED;
			result->provider_status = json_str(root, "status");
			segments = json_str(root, "num_segments");
			result->num_segments = segments ? atoi(segments) : 0;
			result->price = json_str(root, "price");
		}
	}
	else
		classify_failure(call, root, result);

	if (root)
		json_decref(root);
	smscamp_metrics_observe_sms(call->seconds, (int) result->outcome);
}
