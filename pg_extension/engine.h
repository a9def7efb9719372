/*-------------------------------------------------------------------------
 *
 * engine.h
 *	  The workflow engine: validate_lead -> sms_agent -> finalize.
 *
 *	  Words used throughout:
 *	  lead		  a campaign lead (a campaign_leads row) with its context,
 *				  what the nodes need to know about it (SmsLead)
 *	  node		  a step of the graph: validate_lead, sms_agent (write the
 *				  message, count it, send it), finalize
 *	  item		  what a node did to one lead, to be recorded (a JSON object,
 *				  smscamp_record_item in sql/workflow.sql)
 *	  batch		  items recorded together by one call of smscamp_record_batch,
 *				  the only writer of a lead's progress: a worker's pass, or
 *				  the one item of a node called from SQL
 *	  job		  a lead a worker holds, in a stage (jobs.c)
 *
 *	  settings.c  the engine's GUCs (smscamp.*)
 *	  sms.c		  GSM-7/UCS-2 segments and cost; accents GSM-7 lacks folded
 *	  writer*.c	  the built-in writer: a prompt understood, or refused
 *	  template.c  message templates: {first_name}, {company|your team}
 *	  guardrails.c  what every message goes through: cleaning, model
 *				  answers checked, the opt-out footer, the segment limit
 *	  script.c	  what a call script goes through: addresses said, the
 *				  word limit, the call's opt-out line; XML escaping
 *	  http.c	  libcurl calls (blocking for SQL functions, multi for workers)
 *	  llm.c		  OpenAI-compatible chat completions: request and answer
 *	  provider.c  SMS and call providers: log outboxes and the Twilio-
 *				  compatible Messages and Calls APIs
 *	  conversation.c  a worker's conversation tasks: replies sent at most
 *				  once, the reply agent's model calls (sql/reply_agent.sql)
 *	  nodes.c	  the nodes: validation and writing, and the SQL-callable
 *				  nodes (blocking HTTP, a one-item batch each)
 *	  record.c	  batches: the items, recorded by smscamp_record_batch
 *	  spi.c		  SPI: kept plans and the engine's SQL calls (lead context,
 *				  claim, record, release, housekeeping)
 *	  jobs.c	  a worker's jobs: claimed, validated, written, sent, recorded
 *				  (jobs.h)
 *	  worker.c	  the background workers' loop
 *	  durable.c	  whether the node is writable, and whether a "sending"
 *				  mark is on a synchronous standby (smscamp.durable_marks)
 *	  shmem.c	  shared state: worker latches, send-rate slots (per
 *				  campaign, per sender in segments, for all)
 *	  metrics.c	  Prometheus counters in shared memory (metrics.h)
 *
 *-------------------------------------------------------------------------
 */
#ifndef SMSCAMP_ENGINE_H
#define SMSCAMP_ENGINE_H

#include "postgres.h"

#include <curl/curl.h>

#include "access/xlogdefs.h"
#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

/* GUCs (settings.c) */
extern char *smscamp_openai_api_key;
extern char *smscamp_openai_base_url;
extern char *smscamp_openai_model;
extern char *smscamp_sms_provider;
extern char *smscamp_twilio_base_url;
extern char *smscamp_twilio_account_sid;
extern char *smscamp_twilio_auth_token;
extern char *smscamp_sms_from;
extern char *smscamp_status_callback_url;
extern char *smscamp_optout_footer;
extern char *smscamp_database;
extern double smscamp_price_per_segment;
extern int	smscamp_workers;
extern int	smscamp_max_inflight;
extern int	smscamp_max_attempts;
extern int	smscamp_max_segments;
extern int	smscamp_max_auto_replies;
extern int	smscamp_llm_timeout_ms;
extern int	smscamp_sms_timeout_ms;
extern int	smscamp_batch_size;
extern int	smscamp_global_mps;
extern int	smscamp_max_call_words;
extern char *smscamp_voice;
extern char *smscamp_voicemail;
extern char *smscamp_voice_status_callback_url;
extern char *smscamp_call_optout;

extern bool smscamp_durable_marks;

/* durable.c */
extern XLogRecPtr smscamp_last_commit_lsn(void);
extern bool smscamp_node_writable(void);
extern XLogRecPtr smscamp_durable_upto(void);
extern bool smscamp_mark_durable(XLogRecPtr lsn, XLogRecPtr upto);
extern bool smscamp_held_long(TimestampTz mark_at, TimestampTz now);
extern void smscamp_note_held(int held);

/* settings.c */
extern void smscamp_define_engine_gucs(void);
extern void smscamp_hide_secrets_in_logs(void);

/* sms.c */
typedef struct SmsCount
{
	int			segments;
	int			units;			/* septets (GSM-7) or UTF-16 code units */
	bool		ucs2;
} SmsCount;

extern void smscamp_count_sms(const char *text, int len, SmsCount *count);
extern Numeric smscamp_cost_of_segments(int segments);
extern char *smscamp_gsm_fold(const char *text);

/* who a message goes from (sql/senders.sql picks it; provider.c reads it) */
typedef struct SmsSender
{
	int64		id;				/* senders.id; 0: smscamp.sms_from */
	char	   *from;			/* From: a number or an alphanumeric ID */
	char	   *messaging_service_sid;	/* or a Twilio Messaging Service */
	double		segments_per_second;	/* its rate; 0: not paced */
} SmsSender;

/* one campaign lead with what the nodes need to know */
typedef struct SmsLead
{
	int64		id;				/* campaign_leads.id */
	int64		campaign_id;
	int64		lead_id;
	char	   *trace_id;
	char	   *status;
	int			attempts;
	char	   *name;
	char	   *phone;
	char	   *email;
	char	   *company;
	char	   *notes;
	char	   *prompt;
	char	   *template;		/* the campaign's sms_template, or NULL */
	char	   *sender_name;	/* the campaign's sender_name, or NULL */
	List	   *attribute_keys; /* the lead's attributes, as text */
	List	   *attribute_values;
	int			temperature;
	char	   *agent_type;
	bool		voice;			/* agent_type voice: the send is a call, the
								 * message its script */
	char	   *call_language;	/* the call's <Say language>, e.g. en-US */
	char	   *campaign_status;
	bool		opted_out;
	bool		already_sent;	/* this campaign already messaged the phone */
	char	   *skip_reason;	/* why the campaign's rules skip it (SQL), or NULL */
	SmsSender	sender;			/* the sender the claim chose */
	char	   *message;		/* set by generation */
	bool		manual;			/* run by a SQL call, not by a worker */
} SmsLead;

/* writer.c */
typedef struct WriterPlan WriterPlan;

extern char *smscamp_first_name(const char *name);
extern WriterPlan *smscamp_writer_plan(const char *prompt, const char *sender_name);
extern const char *smscamp_writer_plan_error(const WriterPlan *plan);
extern char *smscamp_writer_plan_sender(const WriterPlan *plan);
extern char *smscamp_writer_plan_json(const WriterPlan *plan);
extern char *smscamp_builtin_message(const SmsLead *lead, char **error);

/* template.c */
extern char *smscamp_template_error(const char *tpl);
extern char *smscamp_template_fill(const char *tpl, const SmsLead *lead,
								   const char *sender, List **missing);

/* guardrails.c */
extern char *smscamp_sanitize_message(const char *raw);
extern char *smscamp_model_text_problem(const char *text);
extern char *smscamp_fit_message(const char *text, int max_segments,
								 const char *footer, bool *fits);
extern char *smscamp_reply_problem(const char *text);

/* script.c: the call scripts */
extern char *smscamp_fit_script(const char *text, int max_words, const char *optout);
extern int	smscamp_script_words(const char *text);
extern char *smscamp_xml_escape(const char *text);

/* http.c */
typedef struct HttpCall
{
	CURL	   *easy;
	struct curl_slist *headers;
	char	   *url;
	char	   *body;
	char	   *userpwd;
	long		timeout_ms;
	StringInfoData response;
	bool		truncated;
	long		status;			/* HTTP status, 0 when none */
	CURLcode	result;
	char		errbuf[CURL_ERROR_SIZE];
	long		retry_after_s;	/* Retry-After, -1 when absent */
	bool		request_sent;	/* some of the request left this machine */
	double		seconds;
} HttpCall;

extern void smscamp_http_global_init(void);
extern HttpCall *smscamp_http_new(const char *url, const char *body,
								  long timeout_ms);
extern void smscamp_http_header(HttpCall *call, const char *header);
extern bool smscamp_http_prepare(HttpCall *call);
extern void smscamp_http_finish(HttpCall *call);
extern void smscamp_http_perform(HttpCall *call);
extern void smscamp_http_free(HttpCall *call);
extern const char *smscamp_http_error(HttpCall *call);

/* llm.c */
typedef struct LlmAnswer
{
	bool		ok;
	bool		retryable;		/* an HTTP failure worth trying again later */
	bool		unusable;		/* an answer, but not a message: refused,
								 * cut off, filtered, without content */
	char	   *content;
	char	   *error;
	int			prompt_tokens;
	int			completion_tokens;
	long		retry_after_s;
} LlmAnswer;

extern bool smscamp_llm_enabled(void);
extern HttpCall *smscamp_llm_request(const SmsLead *lead, const char *retry_hint);
extern void smscamp_llm_parse(HttpCall *call, LlmAnswer *answer);
extern HttpCall *smscamp_llm_chat_request(const char *request);
extern char *smscamp_llm_answer_json(const LlmAnswer *answer);

struct json_t;

/* provider.c */
typedef enum SendOutcome
{
	SEND_ACCEPTED,				/* the provider took it: sent */
	SEND_REJECTED,				/* provably not accepted, final: failed */
	SEND_RETRY,					/* provably not accepted, try again later */
	SEND_UNKNOWN,				/* may have been accepted: never resend */
	SEND_NOUTCOMES
} SendOutcome;

/* the names of an outcome, indexed by SendOutcome (provider.c) */
typedef struct SendOutcomeNames
{
	const char *recorded;		/* the send item's outcome (sql/workflow.sql) */
	const char *metric;			/* the Prometheus label (metrics.c) */
} SendOutcomeNames;

extern const SendOutcomeNames smscamp_send_outcomes[SEND_NOUTCOMES];

typedef struct SendResult
{
	SendOutcome outcome;
	char	   *sid;
	char	   *provider_status;
	int			num_segments;
	char	   *price;
	char	   *error;
	int			error_code;		/* the provider's error code, 0: none */
	long		retry_after_s;
} SendResult;

extern bool smscamp_provider_is_log(void);
extern HttpCall *smscamp_sms_request(const SmsLead *lead);
extern HttpCall *smscamp_call_request(const SmsLead *lead);
extern HttpCall *smscamp_send_request(const SmsLead *lead);
extern HttpCall *smscamp_sms_request_to(const char *to, const char *body,
										const SmsSender *sender);
extern void smscamp_sender_from_json(struct json_t *obj, SmsSender *sender);
extern const char *smscamp_sender_from(const SmsSender *sender);
extern void smscamp_sms_parse(HttpCall *call, SendResult *result);

/* nodes.c: the graph's steps, shared by the SQL functions and the workers */
typedef struct GeneratedSms
{
	char	   *message;
	SmsCount	count;
	char	   *model;			/* the model, or NULL offline */
	const char *writer;			/* "template", "built-in writer" or the model */
	List	   *missing;		/* template placeholders that were empty */
	int			prompt_tokens;
	int			completion_tokens;
	bool		truncated;
	bool		regenerated;
	double		seconds;
} GeneratedSms;

typedef enum WriterKind
{
	WRITER_TEMPLATE,			/* the campaign's sms_template, filled in */
	WRITER_BUILTIN,				/* the built-in writer, from the prompt */
	WRITER_MODEL				/* an OpenAI-compatible model */
} WriterKind;

extern SmsLead *smscamp_lead_from_json(const char *text);
extern List *smscamp_validation_errors(const SmsLead *lead);
extern WriterKind smscamp_writer_kind(const SmsLead *lead);
extern bool smscamp_write_offline(SmsLead *lead, GeneratedSms *gen, char **error);
extern bool smscamp_take_model_answer(SmsLead *lead, LlmAnswer *answer,
									  GeneratedSms *gen, char **problem);
extern char *smscamp_model_retry_hint(const char *problem);

/* record.c: a batch of items, recorded in one statement */
typedef struct RecordBatch
{
	StringInfoData json;		/* a JSON array of items */
	int			n;				/* items so far */
	bool		alone;			/* a node called on its own: not finalized */
} RecordBatch;

/* what recording an item did to its lead (smscamp_record_batch's answer) */
typedef struct RecordResult
{
	bool		marked;			/* a send's start: "sending" (or, with the log
								 * provider, sent) */
	char		status[16];		/* the lead's status after a send's start or
								 * an item that finished it, else "" */
	int			segments;		/* ... and its SMS segments and cost */
	double		cost;
} RecordResult;

extern void smscamp_batch_init(RecordBatch *batch);
extern void smscamp_batch_validation(RecordBatch *batch, const SmsLead *lead,
									 List *errors);
extern void smscamp_batch_generation(RecordBatch *batch, const SmsLead *lead,
									 GeneratedSms *gen);
extern void smscamp_batch_generation_failure(RecordBatch *batch,
											 const SmsLead *lead,
											 const char *error, bool retryable,
											 long retry_after_s);
extern void smscamp_batch_send_start(RecordBatch *batch, const SmsLead *lead,
									 GeneratedSms *gen);
extern void smscamp_batch_send_result(RecordBatch *batch, const SmsLead *lead,
									  SendResult *r, double seconds);
extern void smscamp_batch_internal_failure(RecordBatch *batch,
										   const SmsLead *lead);
extern void smscamp_batch_finalize(RecordBatch *batch, int64 campaign_lead_id);
extern void smscamp_batch_run(RecordBatch *batch, RecordResult *results);
extern char *smscamp_json_text(struct json_t *obj);
extern char *smscamp_generation_log_message(const SmsLead *lead, GeneratedSms *gen);
extern struct json_t *smscamp_generation_metadata(GeneratedSms *gen);
extern struct json_t *smscamp_json_strings(List *strings);

/* spi.c: SPI and the engine's SQL calls */
typedef struct ClaimedLead
{
	int64		id;
	double		mps;			/* the campaign's messages_per_second */
	char	   *context;		/* the lead's context, JSON */
} ClaimedLead;

extern Datum smscamp_spi_call(const char *sql, int nargs, Oid *types,
							  Datum *values, const char *nulls, bool *isnull);
extern Datum smscamp_jsonb_datum(const char *json);
extern char *smscamp_spi_lead_context(int64 campaign_lead_id);
extern void smscamp_spi_claim_one(int64 campaign_lead_id);
extern Datum smscamp_spi_lead_state(int64 campaign_lead_id);
extern List *smscamp_spi_claim(int worker, int limit);
extern void smscamp_spi_record(const char *items, int n, RecordResult *results);
extern void smscamp_spi_release(const int64 *ids, int n);
extern void smscamp_spi_housekeeping(void);
extern bool smscamp_engine_installed(void);
extern bool smscamp_conversations_installed(void);
extern char *smscamp_spi_conversation_claim(int worker, int limit, bool llm, bool log);
extern void smscamp_spi_conversation_record(const char *items);

/* shmem.c */
extern void smscamp_shmem_request(void);
extern void smscamp_shmem_register_worker(int slot);
extern void smscamp_shmem_unregister_worker(int slot);
extern void smscamp_wake_workers(void);
/* the next free moments of one rate (shmem.c keeps them per campaign, per
 * sender and for all: smscamp_pace_reserve is the arithmetic) */
typedef struct PaceSlot
{
	int64		key;
	TimestampTz next;			/* earliest time of the next send */
} PaceSlot;

extern TimestampTz smscamp_pace_reserve(PaceSlot *slot, TimestampTz at,
										double units, double per_second);
extern TimestampTz smscamp_reserve_send_slot(int64 campaign_id, double mps,
											 const SmsSender *sender,
											 int segments);

/* conversation.c: a worker's conversation tasks (replies to send, the
 * reply agent's model calls), driven by worker.c like jobs.c's */
extern void smscamp_conv_init(void);
extern bool smscamp_conv_claim_due(void);
extern int	smscamp_conv_claim(int worker);	/* in a transaction */
extern int	smscamp_conv_record(void);	/* in a transaction */
extern void smscamp_conv_committed(XLogRecPtr lsn, TimestampTz at);
extern bool smscamp_conv_have_results(void);
extern void smscamp_conv_start(bool stopping);
extern void smscamp_conv_collect(void);
extern int	smscamp_conv_count(void);
extern int	smscamp_conv_max_tasks(void);
extern int	smscamp_conv_inflight(void);
extern void smscamp_conv_poll(int ms);
extern void smscamp_conv_woken(void);

/* worker.c */
extern void smscamp_register_workers(void);
PGDLLEXPORT void smscamp_worker_main(Datum arg);

#endif							/* SMSCAMP_ENGINE_H */
