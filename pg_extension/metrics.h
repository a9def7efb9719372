/*-------------------------------------------------------------------------
 *
 * metrics.h
 *	  Engine metrics for Prometheus, counted in shared memory (metrics.c):
 *	  leads by final status, SMS segments and cost, LLM and SMS provider
 *	  calls (latency histograms, outcomes), HTTP calls in flight.
 *
 *	  Without shared_preload_libraries every call is a no-op.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SMSCAMP_METRICS_H
#define SMSCAMP_METRICS_H

#include "postgres.h"

/* the counters' shared memory, requested and attached by shmem.c (the
 * attach with AddinShmemInitLock held) */
extern Size smscamp_metrics_shmem_size(void);
extern void smscamp_metrics_shmem_attach(void);

/* one finished LLM call (ok: a usable answer) */
extern void smscamp_metrics_observe_llm(double seconds, bool ok);

/* one finished SMS provider call; outcome is a SendOutcome (engine.h) */
extern void smscamp_metrics_observe_sms(double seconds, int outcome);

/*
 * A worker is done with a campaign lead, which smscamp_record_batch left in
 * this status with these segments and cost: counts the status if it is
 * final, when the current transaction commits. Call it at the top level of
 * the transaction (not inside a subtransaction that may abort).
 */
extern void smscamp_metrics_lead_finished(const char *status, int segments,
										  double cost);

/* this worker's HTTP calls in flight now */
extern void smscamp_metrics_worker_inflight(int inflight);

#endif							/* SMSCAMP_METRICS_H */
