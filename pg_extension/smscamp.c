/*-------------------------------------------------------------------------
 *
 * smscamp.c
 *	  Module entry point of the smscamp extension: _PG_init and
 *	  smscamp.default_country (the engine's GUCs are settings.c's).
 *
 * The library is meant to be in shared_preload_libraries: only then does
 * _PG_init ask for the shared memory (worker latches, send-rate slots,
 * metrics) and register the background workers. Loaded otherwise (by
 * CREATE EXTENSION or the first call of one of its functions), its SQL
 * functions work all the same, the SQL-callable nodes included; nothing
 * runs campaigns, and the metrics are off.
 *
 *-------------------------------------------------------------------------
 */
#include "smscamp.h"
#include "engine.h"
#include "metrics.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* smscamp.default_country: calling code used for numbers without one */
char	   *smscamp_default_country = NULL;

static bool
check_default_country(char **newval, void **extra, GucSource source)
{
	if (*newval == NULL || (*newval)[0] == '\0')
		return true;
	if (smscamp_valid_default_country(*newval))
		return true;
	GUC_check_errdetail("smscamp.default_country must be a country calling code such as \"1\" or \"44\".");
	return false;
}

static void
define_gucs(void)
{
	DefineCustomStringVariable("smscamp.default_country",
							   "Country calling code assumed for phone numbers written without one.",
							   "A country calling code such as \"1\" or \"44\"; a leading trunk 0 "
							   "of such numbers is dropped. Empty (the default): numbers "
							   "without a country code are rejected.",
							   &smscamp_default_country,
							   "",
							   PGC_USERSET,
							   0,
							   check_default_country,
							   NULL,
							   NULL);
}

void
_PG_init(void)
{
	define_gucs();
	smscamp_define_engine_gucs();
	smscamp_hide_secrets_in_logs();

	/*
	 * Shared memory and background workers exist only when the postmaster
	 * loads the library from shared_preload_libraries.
	 */
	if (!process_shared_preload_libraries_in_progress)
		return;
	smscamp_shmem_request();
	smscamp_register_workers();
}
