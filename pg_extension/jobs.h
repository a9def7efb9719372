/*-------------------------------------------------------------------------
 *
 * jobs.h
 *	  A worker's jobs (jobs.c), driven by the loop of worker.c. The
 *	  functions marked "in a transaction" run inside one the loop opened;
 *	  the others run outside any (HTTP calls never span a transaction).
 *
 *-------------------------------------------------------------------------
 */
#ifndef SMSCAMP_JOBS_H
#define SMSCAMP_JOBS_H

#include "postgres.h"

#include <curl/curl.h>

#include "access/xlogdefs.h"

/* once, at the worker's start: the curl multi handle the calls go to */
extern void smscamp_jobs_init(CURLM *multi);

extern int	smscamp_jobs_count(void);
extern int	smscamp_jobs_inflight(void);	/* HTTP calls in flight */

/* after the loop's commit: the "sending" marks it made are at lsn */
extern void smscamp_jobs_committed(XLogRecPtr lsn, TimestampTz at);

/* start what can start (offline writing, LLM calls, due sends whose marks
 * are durable) */
extern void smscamp_jobs_start(bool stopping);

/* take the HTTP calls curl says are done */
extern void smscamp_jobs_collect(void);

/* jobs with a result to record; jobs with work to start now; jobs waiting
 * for an HTTP call or their send slot */
extern bool smscamp_jobs_have_results(void);
extern bool smscamp_jobs_ready(void);
extern bool smscamp_jobs_waiting(void);

/* how many leads to claim now */
extern void smscamp_jobs_set_inflight_cap(int cap);
extern int	smscamp_jobs_claim_limit(void);

/* in a transaction: record the results; returns how many there were */
extern int	smscamp_jobs_record(void);

/* in a transaction: claim up to limit leads, record their validation;
 * returns how many were claimed */
extern int	smscamp_jobs_claim(int limit);

extern void smscamp_jobs_free_done(void);

/* milliseconds until the earliest waiting send slot, at most max_ms */
extern int	smscamp_jobs_ms_until_next_slot(int max_ms);

/* a stop: the jobs not yet sending are dropped; *ids their leads, to give
 * back (smscamp_spi_release); returns how many */
extern int	smscamp_jobs_unsent(int64 **ids);

#endif							/* SMSCAMP_JOBS_H */
