/*-------------------------------------------------------------------------
 *
 * metrics.c
 *	  Engine metrics in shared memory, as Prometheus text through
 *	  smscamp_metrics_text() (served by nginx at GET /metrics).
 *
 *	  Counters are pg_atomic_uint64, updated without locks by the workers
 *	  and the SQL-callable nodes. HTTP calls are counted when they finish
 *	  (they are not transactional); a lead a worker finished is counted,
 *	  from what smscamp_record_batch answered about it, when the
 *	  transaction that recorded it commits, so an aborted batch counts
 *	  nothing. Counters start at zero when the server (re)starts.
 *
 *-------------------------------------------------------------------------
 */
#include "smscamp.h"
#include "engine.h"
#include "metrics.h"

#include "access/xact.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(smscamp_metrics_text);

/* upper bounds of the latency buckets, seconds (then +Inf) */
static const double bucket_bounds[] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30
};

#define NBUCKETS (lengthof(bucket_bounds) + 1)

/*
 * Final statuses a worker leaves a campaign lead in (campaign_leads.status);
 * delivered/undelivered come later from the provider's status callbacks.
 */
static const char *const lead_statuses[] = {
	"sent", "failed", "skipped", "cancelled", "unknown"
};

#define NLEAD_STATUSES lengthof(lead_statuses)

#define NSMS_OUTCOMES SEND_NOUTCOMES	/* named by smscamp_send_outcomes */

typedef struct Histogram
{
	pg_atomic_uint64 buckets[NBUCKETS]; /* not cumulative; the last is +Inf */
	pg_atomic_uint64 sum_us;
} Histogram;

typedef struct MetricsShared
{
	pg_atomic_uint64 leads[NLEAD_STATUSES];
	pg_atomic_uint64 sms_segments;
	pg_atomic_uint64 sms_cost_micros;	/* cost x 1,000,000 */
	pg_atomic_uint64 llm_calls[2];	/* ok, error */
	Histogram	llm_seconds;
	pg_atomic_uint64 sms_calls[NSMS_OUTCOMES];
	Histogram	sms_seconds;
	pg_atomic_uint64 inflight;	/* sum of the workers' gauges */
} MetricsShared;

/* what this backend's transaction will add when it commits */
typedef struct PendingLeads
{
	uint64		leads[NLEAD_STATUSES];
	uint64		segments;
	uint64		cost_micros;
	bool		any;
} PendingLeads;

static MetricsShared *metrics = NULL;
static PendingLeads pending;
static bool xact_callback_registered = false;
static int	reported_inflight = 0;
static bool exit_callback_registered = false;

/* ---------- shared memory (requested and attached by shmem.c) ---------- */

Size
smscamp_metrics_shmem_size(void)
{
	return MAXALIGN(sizeof(MetricsShared));
}

static void
init_counters(MetricsShared *m)
{
	pg_atomic_uint64 *p = (pg_atomic_uint64 *) m;
	Size		i;

	/* the struct is pg_atomic_uint64 only */
	StaticAssertStmt(sizeof(MetricsShared) % sizeof(pg_atomic_uint64) == 0,
					 "MetricsShared holds counters only");
	for (i = 0; i < sizeof(MetricsShared) / sizeof(pg_atomic_uint64); i++)
		pg_atomic_init_u64(&p[i], 0);
}

/* with AddinShmemInitLock held */
void
smscamp_metrics_shmem_attach(void)
{
	bool		found;

	metrics = ShmemInitStruct("smscamp metrics", sizeof(MetricsShared), &found);
	if (!found)
		init_counters(metrics);
}

/* ---------- observations ---------- */

static void
observe(Histogram *h, double seconds)
{
	Size		i = 0;

	if (seconds < 0 || seconds != seconds)
		seconds = 0;
	while (i < NBUCKETS - 1 && seconds > bucket_bounds[i])
		i++;
	pg_atomic_fetch_add_u64(&h->buckets[i], 1);
	pg_atomic_fetch_add_u64(&h->sum_us, (int64) (seconds * 1000000.0 + 0.5));
}

void
smscamp_metrics_observe_llm(double seconds, bool ok)
{
	if (metrics == NULL)
		return;
	observe(&metrics->llm_seconds, seconds);
	pg_atomic_fetch_add_u64(&metrics->llm_calls[ok ? 0 : 1], 1);
}

void
smscamp_metrics_observe_sms(double seconds, int outcome)
{
	if (metrics == NULL)
		return;
	if (outcome < 0 || outcome >= (int) NSMS_OUTCOMES)
		outcome = NSMS_OUTCOMES - 1;
	observe(&metrics->sms_seconds, seconds);
	pg_atomic_fetch_add_u64(&metrics->sms_calls[outcome], 1);
}

/* ---------- leads, counted at commit ---------- */

static void
apply_pending(void)
{
	Size		i;

	for (i = 0; i < NLEAD_STATUSES; i++)
		if (pending.leads[i])
			pg_atomic_fetch_add_u64(&metrics->leads[i], pending.leads[i]);
	pg_atomic_fetch_add_u64(&metrics->sms_segments, pending.segments);
	pg_atomic_fetch_add_u64(&metrics->sms_cost_micros, pending.cost_micros);
}

static void
metrics_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_COMMIT && pending.any && metrics != NULL)
		apply_pending();
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT)
		memset(&pending, 0, sizeof(pending));
}

static int
lead_status_index(const char *status)
{
	Size		i;

	for (i = 0; i < NLEAD_STATUSES; i++)
		if (strcmp(status, lead_statuses[i]) == 0)
			return (int) i;
	return -1;
}

void
smscamp_metrics_lead_finished(const char *status, int segments, double cost)
{
	int			i;

	if (metrics == NULL || status == NULL || (i = lead_status_index(status)) < 0)
		return;					/* not final (pending again) */

	if (!xact_callback_registered)
	{
		RegisterXactCallback(metrics_xact_callback, NULL);
		xact_callback_registered = true;
	}
	pending.leads[i]++;
	if (strcmp(status, "sent") == 0 && segments > 0)
	{
		pending.segments += segments;
		pending.cost_micros += (uint64) (cost * 1000000.0 + 0.5);
	}
	pending.any = true;
}

/* ---------- workers ---------- */

static void
inflight_at_exit(int code, Datum arg)
{
	if (metrics != NULL && reported_inflight != 0)
		pg_atomic_fetch_add_u64(&metrics->inflight, -(int64) reported_inflight);
	reported_inflight = 0;
}

void
smscamp_metrics_worker_inflight(int inflight)
{
	if (metrics == NULL || inflight == reported_inflight)
		return;
	if (!exit_callback_registered)
	{
		before_shmem_exit(inflight_at_exit, (Datum) 0);
		exit_callback_registered = true;
	}
	pg_atomic_fetch_add_u64(&metrics->inflight,
							(int64) inflight - (int64) reported_inflight);
	reported_inflight = inflight;
}

/* ---------- Prometheus text ---------- */

static void
family(StringInfo s, const char *name, const char *type, const char *help)
{
	appendStringInfo(s, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
labelled(StringInfo s, const char *name, const char *label,
		 const char *const *values, pg_atomic_uint64 *counters, int n)
{
	int			i;

	for (i = 0; i < n; i++)
		appendStringInfo(s, "%s{%s=\"%s\"} " UINT64_FORMAT "\n", name, label,
						 values[i], pg_atomic_read_u64(&counters[i]));
}

static void
histogram(StringInfo s, const char *name, const char *help, Histogram *h)
{
	uint64		cumulative = 0;
	Size		i;

	family(s, name, "histogram", help);
	for (i = 0; i < NBUCKETS; i++)
	{
		cumulative += pg_atomic_read_u64(&h->buckets[i]);
		if (i < NBUCKETS - 1)
			appendStringInfo(s, "%s_bucket{le=\"%g\"} " UINT64_FORMAT "\n",
							 name, bucket_bounds[i], cumulative);
		else
			appendStringInfo(s, "%s_bucket{le=\"+Inf\"} " UINT64_FORMAT "\n",
							 name, cumulative);
	}
	appendStringInfo(s, "%s_sum %.6f\n%s_count " UINT64_FORMAT "\n",
					 name, pg_atomic_read_u64(&h->sum_us) / 1000000.0,
					 name, cumulative);
}

static void
lead_metrics(StringInfo s)
{
	uint64		failed;

	family(s, "smscamp_leads_processed_total", "counter",
		   "Campaign leads the workers finished, by final status.");
	labelled(s, "smscamp_leads_processed_total", "status", lead_statuses,
			 metrics->leads, NLEAD_STATUSES);

	family(s, "smscamp_sms_sent_total", "counter",
		   "Leads finished with their SMS sent (taken by the provider).");
	appendStringInfo(s, "smscamp_sms_sent_total " UINT64_FORMAT "\n",
					 pg_atomic_read_u64(&metrics->leads[lead_status_index("sent")]));

	failed = pg_atomic_read_u64(&metrics->leads[lead_status_index("failed")])
		+ pg_atomic_read_u64(&metrics->leads[lead_status_index("unknown")]);
	family(s, "smscamp_sms_failed_total", "counter",
		   "Leads finished without a sent SMS: failed, or unknown after a send.");
	appendStringInfo(s, "smscamp_sms_failed_total " UINT64_FORMAT "\n", failed);

	family(s, "smscamp_sms_segments_total", "counter",
		   "SMS segments of the messages sent.");
	appendStringInfo(s, "smscamp_sms_segments_total " UINT64_FORMAT "\n",
					 pg_atomic_read_u64(&metrics->sms_segments));

	family(s, "smscamp_sms_cost_total", "counter",
		   "Cost of the messages sent (segments x smscamp.price_per_segment).");
	appendStringInfo(s, "smscamp_sms_cost_total %.6f\n",
					 pg_atomic_read_u64(&metrics->sms_cost_micros) / 1000000.0);
}

static void
call_metrics(StringInfo s)
{
	static const char *const llm_outcomes[] = {"ok", "error"};
	int			i;

	family(s, "smscamp_llm_requests_total", "counter",
		   "LLM chat completion calls, by outcome (error: transport, HTTP "
		   "status or unusable answer).");
	labelled(s, "smscamp_llm_requests_total", "outcome", llm_outcomes,
			 metrics->llm_calls, 2);
	histogram(s, "smscamp_llm_request_duration_seconds",
			  "Duration of the LLM calls.", &metrics->llm_seconds);

	family(s, "smscamp_sms_provider_requests_total", "counter",
		   "SMS provider calls, by outcome (all but accepted are errors).");
	for (i = 0; i < NSMS_OUTCOMES; i++)
		appendStringInfo(s, "smscamp_sms_provider_requests_total{outcome=\"%s\"} "
						 UINT64_FORMAT "\n", smscamp_send_outcomes[i].metric,
						 pg_atomic_read_u64(&metrics->sms_calls[i]));
	histogram(s, "smscamp_sms_provider_request_duration_seconds",
			  "Duration of the SMS provider calls.", &metrics->sms_seconds);

	family(s, "smscamp_worker_http_inflight", "gauge",
		   "HTTP calls (LLM and SMS) the background workers have in flight.");
	appendStringInfo(s, "smscamp_worker_http_inflight " INT64_FORMAT "\n",
					 (int64) pg_atomic_read_u64(&metrics->inflight));
}

Datum
smscamp_metrics_text(PG_FUNCTION_ARGS)
{
	StringInfoData s;

	initStringInfo(&s);
	family(&s, "smscamp_engine_metrics_up", "gauge",
		   "1 when the engine's shared memory metrics are available "
		   "(smscamp in shared_preload_libraries).");
	appendStringInfo(&s, "smscamp_engine_metrics_up %d\n", metrics != NULL);
	if (metrics != NULL)
	{
		lead_metrics(&s);
		call_metrics(&s);
	}
	PG_RETURN_TEXT_P(cstring_to_text_with_len(s.data, s.len));
}
