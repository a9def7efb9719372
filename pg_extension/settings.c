/*-------------------------------------------------------------------------
 *
 * settings.c
 *	  The workflow engine's GUCs (smscamp.*). Secrets are superuser-only
 *	  and hidden from SHOW ALL; everything but the worker count and the
 *	  database reloads with SELECT pg_reload_conf().
 *
 *-------------------------------------------------------------------------
 */
#include "smscamp.h"
#include "engine.h"

#include "miscadmin.h"
#include "tcop/tcopprot.h"
#include "utils/elog.h"
#include "utils/guc.h"

static emit_log_hook_type prev_emit_log_hook = NULL;
static const char *const secret_names[] = {
	"smscamp.openai_api_key", "smscamp.twilio_auth_token", NULL
};

char	   *smscamp_openai_api_key = NULL;
char	   *smscamp_openai_base_url = NULL;
char	   *smscamp_openai_model = NULL;
char	   *smscamp_sms_provider = NULL;
char	   *smscamp_twilio_base_url = NULL;
char	   *smscamp_twilio_account_sid = NULL;
char	   *smscamp_twilio_auth_token = NULL;
char	   *smscamp_sms_from = NULL;
char	   *smscamp_status_callback_url = NULL;
char	   *smscamp_optout_footer = NULL;
char	   *smscamp_database = NULL;
/* read by SQL only (sql/keywords.sql): the automatic answers to keywords */
static char *business_name = NULL;
static char *help_contact = NULL;
static char *help_message = NULL;
static char *optout_confirmation = NULL;
static char *optin_confirmation = NULL;
static int	max_messages_per_lead_per_day = 0;	/* read by SQL: smscamp_daily_cap */
double		smscamp_price_per_segment = 0.0079;
int			smscamp_workers = 2;
int			smscamp_max_inflight = 1024;
int			smscamp_max_attempts = 5;
int			smscamp_max_segments = 2;
int			smscamp_max_auto_replies = 3;
int			smscamp_llm_timeout_ms = 30000;
int			smscamp_sms_timeout_ms = 15000;
int			smscamp_batch_size = 100;
int			smscamp_global_mps = 0;
int			smscamp_max_call_words = 80;
char	   *smscamp_voice = NULL;
char	   *smscamp_voicemail = NULL;
char	   *smscamp_voice_status_callback_url = NULL;
char	   *smscamp_call_optout = NULL;

static bool
check_provider(char **newval, void **extra, GucSource source)
{
	if (*newval && (strcmp(*newval, "log") == 0 || strcmp(*newval, "twilio") == 0))
		return true;
	GUC_check_errdetail("smscamp.sms_provider must be \"log\" or \"twilio\".");
	return false;
}

static bool
check_voicemail(char **newval, void **extra, GucSource source)
{
	if (*newval && (strcmp(*newval, "leave") == 0 || strcmp(*newval, "hang_up") == 0
					|| strcmp(*newval, "off") == 0))
		return true;
	GUC_check_errdetail("smscamp.voicemail must be \"leave\", \"hang_up\" or \"off\".");
	return false;
}

static bool
check_url(char **newval, void **extra, GucSource source)
{
	if (*newval && (strncmp(*newval, "http://", 7) == 0
					|| strncmp(*newval, "https://", 8) == 0))
		return true;
	GUC_check_errdetail("The URL must start with http:// or https://.");
	return false;
}

static void
define_string(const char *name, const char *desc, char **var,
			  const char *value, GucContext context, int flags,
			  GucStringCheckHook check)
{
	DefineCustomStringVariable(name, desc, NULL, var, value, context, flags,
							   check, NULL, NULL);
}

static void
define_int(const char *name, const char *desc, int *var, int value,
		   int min, int max, GucContext context, int flags)
{
	DefineCustomIntVariable(name, desc, NULL, var, value, min, max, context,
							flags, NULL, NULL, NULL);
}

void
smscamp_define_engine_gucs(void)
{
	const int	secret = GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE;

	/*
	 * The workers' settings are read when the postmaster starts them; loaded
	 * later (CREATE EXTENSION without shared_preload_libraries: a PL/Proxy
	 * router, sql/shard/router.sql), there are no workers, and PostgreSQL
	 * refuses a PGC_POSTMASTER variable defined after startup.
	 */
	const GucContext workers_ctx = process_shared_preload_libraries_in_progress
		? PGC_POSTMASTER : PGC_SUSET;

	define_string("smscamp.openai_api_key",
				  "API key of the OpenAI-compatible chat API; empty = built-in writer.",
				  &smscamp_openai_api_key, "", PGC_SUSET, secret, NULL);
	define_string("smscamp.openai_base_url",
				  "Base URL of the OpenAI-compatible chat API.",
				  &smscamp_openai_base_url, "https://api.openai.com/v1",
				  PGC_SUSET, 0, check_url);
	define_string("smscamp.openai_model", "Chat model that writes the messages.",
				  &smscamp_openai_model, "gpt-4o-mini", PGC_SUSET, 0, NULL);
	define_string("smscamp.sms_provider", "SMS provider: log (outbox table) or twilio.",
				  &smscamp_sms_provider, "log", PGC_SUSET, 0, check_provider);
	define_string("smscamp.twilio_base_url", "Base URL of the Twilio-compatible API.",
				  &smscamp_twilio_base_url, "https://api.twilio.com",
				  PGC_SUSET, 0, check_url);
	define_string("smscamp.twilio_account_sid", "Twilio account SID.",
				  &smscamp_twilio_account_sid, "", PGC_SUSET, GUC_SUPERUSER_ONLY, NULL);
	define_string("smscamp.twilio_auth_token", "Twilio auth token.",
				  &smscamp_twilio_auth_token, "", PGC_SUSET, secret, NULL);
	define_string("smscamp.sms_from", "Sender number or ID of the messages.",
				  &smscamp_sms_from, "", PGC_SUSET, 0, NULL);
	define_string("smscamp.status_callback_url",
				  "Public URL of POST /api/webhooks/sms/status, sent as StatusCallback.",
				  &smscamp_status_callback_url, "", PGC_SUSET, 0, NULL);
	define_string("smscamp.voice", "The text-to-speech voice of the calls (TwiML <Say voice>).",
				  &smscamp_voice, "Polly.Joanna", PGC_SUSET, 0, NULL);
	define_string("smscamp.voicemail",
				  "An answering machine: leave (say the script after the beep), hang_up, "
				  "or off (no answering-machine detection).",
				  &smscamp_voicemail, "leave", PGC_SUSET, 0, check_voicemail);
	define_string("smscamp.voice_status_callback_url",
				  "Public URL of POST /api/webhooks/voice/status, sent as StatusCallback.",
				  &smscamp_voice_status_callback_url, "", PGC_SUSET, 0, NULL);
	define_string("smscamp.call_optout", "How to opt out, said at the end of every call.",
				  &smscamp_call_optout,
				  "To stop these calls, reply STOP to our text or say stop.",
				  PGC_SUSET, 0, NULL);
	define_string("smscamp.optout_footer", "Footer appended when a message has no opt-out.",
				  &smscamp_optout_footer, "Reply STOP to opt out", PGC_SUSET, 0, NULL);
	define_string("smscamp.business_name",
				  "Who sends the messages, named in the HELP answer.",
				  &business_name, "", PGC_SUSET, 0, NULL);
	define_string("smscamp.help_contact",
				  "How to reach a person (a phone, an email or a URL), in the HELP answer.",
				  &help_contact, "", PGC_SUSET, 0, NULL);
	define_string("smscamp.help_message",
				  "The answer to HELP and INFO; empty: built from business_name and help_contact.",
				  &help_message, "", PGC_SUSET, 0, NULL);
	define_string("smscamp.optout_confirmation",
				  "The one message sent after an opt-out.",
				  &optout_confirmation,
				  "You are unsubscribed and will get no more messages. Reply START to resubscribe.",
				  PGC_SUSET, 0, NULL);
	define_string("smscamp.optin_confirmation",
				  "The one message sent after an opt-in (START, UNSTOP, YES).",
				  &optin_confirmation,
				  "You are subscribed again. Reply HELP for help, STOP to opt out.",
				  PGC_SUSET, 0, NULL);
	define_string("smscamp.database", "Database the workers connect to.",
				  &smscamp_database, "smscamp", workers_ctx, 0, NULL);

	DefineCustomRealVariable("smscamp.price_per_segment",
							 "Price of one SMS segment, for cost estimates.", NULL,
							 &smscamp_price_per_segment, 0.0079, 0, 100,
							 PGC_SUSET, 0, NULL, NULL, NULL);

	DefineCustomBoolVariable("smscamp.durable_marks",
							 "Provider calls wait until a synchronous standby has flushed "
							 "their \"sending\" mark (a formation with synchronous standbys).",
							 NULL, &smscamp_durable_marks, false, PGC_SIGHUP, 0,
							 NULL, NULL, NULL);
	define_int("smscamp.workers", "Number of background workers.",
			   &smscamp_workers, 2, 0, 64, workers_ctx, 0);
	define_int("smscamp.max_inflight", "HTTP requests in flight per worker.",
			   &smscamp_max_inflight, 1024, 1, 10000, PGC_SIGHUP, 0);
	define_int("smscamp.max_attempts", "Attempts per lead before it fails.",
			   &smscamp_max_attempts, 5, 1, 100, PGC_SUSET, 0);
	define_int("smscamp.max_segments", "Longest message, in SMS segments.",
			   &smscamp_max_segments, 2, 1, 10, PGC_SUSET, 0);
	define_int("smscamp.max_auto_replies",
			   "Automatic replies of the reply agent per lead per campaign.",
			   &smscamp_max_auto_replies, 3, 0, 100, PGC_SUSET, 0);
	define_int("smscamp.llm_timeout_ms", "Timeout of one LLM call.",
			   &smscamp_llm_timeout_ms, 30000, 100, 600000, PGC_SUSET, 0);
	define_int("smscamp.sms_timeout_ms", "Timeout of one SMS provider call.",
			   &smscamp_sms_timeout_ms, 15000, 100, 600000, PGC_SUSET, 0);
	define_int("smscamp.batch_size", "Leads a worker claims per transaction.",
			   &smscamp_batch_size, 100, 1, 10000, PGC_SIGHUP, 0);
	define_int("smscamp.global_mps", "Messages per second over all campaigns (0 = no cap).",
			   &smscamp_global_mps, 0, 0, 100000, PGC_SIGHUP, 0);
	define_int("smscamp.max_call_words", "Longest call script, in words (its opt-out line included).",
			   &smscamp_max_call_words, 80, 20, 400, PGC_SUSET, 0);
	define_int("smscamp.max_messages_per_lead_per_day",
			   "Campaign messages a phone may get in 24 hours; more are skipped "
			   "(0 = no cap; replies are never counted).",
			   &max_messages_per_lead_per_day, 0, 0, 1000, PGC_SUSET, 0);
}

static bool
mentions_secret(const char *text)
{
	int			i;

	if (text == NULL)
		return false;
	for (i = 0; secret_names[i] != NULL; i++)
		if (strstr(text, secret_names[i]) != NULL)
			return true;
	return false;
}

/*
 * PostgreSQL logs "parameter X changed to Y" on reload and may log the
 * statement that set it: never for a secret.
 */
static void
hide_secrets(ErrorData *edata)
{
	if (mentions_secret(edata->message))
		edata->output_to_server = false;
	if (mentions_secret(debug_query_string))
		edata->hide_stmt = true;
	if (prev_emit_log_hook)
		prev_emit_log_hook(edata);
}

void
smscamp_hide_secrets_in_logs(void)
{
	prev_emit_log_hook = emit_log_hook;
	emit_log_hook = hide_secrets;
}
