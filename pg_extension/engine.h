/*-------------------------------------------------------------------------
 *
 * engine.h
 *	  The workflow engine: validate_lead -> sms_agent -> finalize.
 *
 *	  sms.c		  GSM-7/UCS-2 segments and cost
 *	  writer.c	  built-in writer and guardrails
 *	  http.c	  libcurl calls (blocking for SQL functions, multi for workers)
 *	  llm.c		  OpenAI-compatible chat completions: request and answer
 *	  provider.c  SMS providers: log outbox and Twilio-compatible API
 *	  nodes.c	  the graph's nodes as SQL-callable functions
 *	  worker.c	  background workers: claim, run many leads at once, record
 *	  shmem.c	  shared state: worker latches, send-rate slots
 *
 *-------------------------------------------------------------------------
 */
#ifndef SMSCAMP_ENGINE_H
#define SMSCAMP_ENGINE_H

#include "postgres.h"

#include <curl/curl.h>

#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

/* GUCs (smscamp.c) */
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
extern int	smscamp_llm_timeout_ms;
extern int	smscamp_sms_timeout_ms;
extern int	smscamp_batch_size;
extern int	smscamp_global_mps;

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
	int			temperature;
	char	   *agent_type;
	char	   *campaign_status;
	bool		opted_out;
	bool		already_sent;	/* this campaign already messaged the phone */
	char	   *message;		/* set by generation */
	bool		manual;			/* run by a SQL call, not by a worker */
} SmsLead;

/* writer.c */
extern char *smscamp_first_name(const char *name);
extern char *smscamp_builtin_message(const SmsLead *lead, const char *prompt,
									 int temperature);
extern char *smscamp_sanitize_message(const char *raw);
extern char *smscamp_fit_message(const char *text, int max_segments,
								 const char *footer, bool *fits);

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
	bool		retryable;
	char	   *content;
	char	   *error;
	int			prompt_tokens;
	int			completion_tokens;
	long		retry_after_s;
} LlmAnswer;

extern bool smscamp_llm_enabled(void);
extern HttpCall *smscamp_llm_request(const SmsLead *lead, bool shorter);
extern void smscamp_llm_parse(HttpCall *call, LlmAnswer *answer);

/* provider.c */
typedef enum SendOutcome
{
	SEND_ACCEPTED,				/* the provider took it: sent */
	SEND_REJECTED,				/* provably not accepted, final: failed */
	SEND_RETRY,					/* provably not accepted, try again later */
	SEND_UNKNOWN				/* may have been accepted: never resend */
} SendOutcome;

typedef struct SendResult
{
	SendOutcome outcome;
	char	   *sid;
	char	   *provider_status;
	int			num_segments;
	char	   *price;
	char	   *error;
	long		retry_after_s;
} SendResult;

extern bool smscamp_provider_is_log(void);
extern HttpCall *smscamp_sms_request(const SmsLead *lead);
extern void smscamp_sms_parse(HttpCall *call, SendResult *result);

/* nodes.c: the graph's steps, shared by the SQL functions and the workers */
typedef struct GeneratedSms
{
	char	   *message;
	SmsCount	count;
	char	   *model;
	int			prompt_tokens;
	int			completion_tokens;
	bool		truncated;
	bool		regenerated;
	double		seconds;
} GeneratedSms;

extern SmsLead *smscamp_load_lead(int64 campaign_lead_id);
extern SmsLead *smscamp_lead_from_json(const char *text);
extern List *smscamp_validation_errors(const SmsLead *lead);
extern bool smscamp_node_validate(SmsLead *lead);
extern void smscamp_finish_generation(SmsLead *lead, const char *raw,
									  GeneratedSms *gen, bool *fits);
extern void smscamp_record_generation(SmsLead *lead, GeneratedSms *gen);
extern void smscamp_record_generation_failure(SmsLead *lead,
											  const char *error,
											  bool retryable,
											  long retry_after_s);
extern bool smscamp_mark_sending(SmsLead *lead);
extern void smscamp_record_send(SmsLead *lead, SendResult *result,
								double seconds);
extern bool smscamp_send_via_log(SmsLead *lead);
extern void smscamp_node_finalize(int64 campaign_lead_id);
extern void smscamp_log(int64 campaign_lead_id, const char *level,
						const char *node, const char *message,
						const char *metadata_json);
extern Datum smscamp_spi_call(const char *sql, int nargs, Oid *types,
							  Datum *values, const char *nulls, bool *isnull);

/* nodes.c: a worker's batch, recorded in one statement */
typedef struct RecordBatch
{
	StringInfoData json;		/* a JSON array of items */
	int			n;				/* items so far */
} RecordBatch;

extern void smscamp_batch_init(RecordBatch *batch);
extern void smscamp_batch_validation(RecordBatch *batch, const SmsLead *lead,
									 List *errors);
extern void smscamp_batch_generation(RecordBatch *batch, const SmsLead *lead,
									 GeneratedSms *gen);
extern void smscamp_batch_generation_send(RecordBatch *batch,
										  const SmsLead *lead,
										  GeneratedSms *gen, bool via_log);
extern void smscamp_batch_generation_failure(RecordBatch *batch,
											 const SmsLead *lead,
											 const char *error, bool retryable,
											 long retry_after_s);
extern void smscamp_batch_mark_sending(RecordBatch *batch, const SmsLead *lead);
extern void smscamp_batch_send_log(RecordBatch *batch, const SmsLead *lead);
extern void smscamp_batch_send_result(RecordBatch *batch, const SmsLead *lead,
									  SendResult *r, double seconds);
extern void smscamp_batch_run(RecordBatch *batch, bool *marked);

/* shmem.c */
extern void smscamp_shmem_request(void);
extern void smscamp_shmem_register_worker(int slot);
extern void smscamp_shmem_unregister_worker(int slot);
extern void smscamp_wake_workers(void);
extern TimestampTz smscamp_reserve_send_slot(int64 campaign_id, double mps);

/* worker.c */
extern void smscamp_register_workers(void);
PGDLLEXPORT void smscamp_worker_main(Datum arg);

#endif							/* SMSCAMP_ENGINE_H */
