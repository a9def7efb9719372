/*-------------------------------------------------------------------------
 *
 * spi.c
 *	  SPI for the engine: kept plans (one per SQL text, prepared once per
 *	  backend) and every SQL call the C code makes, each a function of
 *	  sql/workflow.sql called with bound parameters: a lead's context and
 *	  state, the claims, the record of a batch, the release of unsent
 *	  leads, the housekeeping; and whether those functions are installed.
 *
 *-------------------------------------------------------------------------
 */
#include "smscamp.h"
#include "engine.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "nodes/value.h"
#include "parser/parse_func.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/jsonb.h"

typedef struct KeptPlan
{
	const char *sql;
	SPIPlanPtr	plan;
} KeptPlan;

static KeptPlan plans[32];
static int	nplans = 0;

/* a kept plan per SQL text (the texts are static strings in this file) */
static SPIPlanPtr
plan_for(const char *sql, int nargs, Oid *types)
{
	SPIPlanPtr	plan;
	int			i;

	for (i = 0; i < nplans; i++)
		if (plans[i].sql == sql)
			return plans[i].plan;

	plan = SPI_prepare(sql, nargs, types);
	if (plan == NULL)
		elog(ERROR, "smscamp: SPI_prepare failed: %s",
			 SPI_result_code_string(SPI_result));
	if (nplans < (int) lengthof(plans))
	{
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "smscamp: SPI_keepplan failed");
		plans[nplans].sql = sql;
		plans[nplans].plan = plan;
		nplans++;
	}
	return plan;
}

/* run a kept plan: the caller reads SPI_tuptable, then calls SPI_finish */
static void
execute(const char *sql, int nargs, Oid *types, Datum *values,
		const char *nulls)
{
	int			rc;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "smscamp: SPI_connect failed");
	rc = SPI_execute_plan(plan_for(sql, nargs, types), values, nulls, false, 0);
	if (rc < 0)
		elog(ERROR, "smscamp: statement failed: %s", SPI_result_code_string(rc));
}

/*
 * Run one statement with bound parameters; returns the first column of the
 * first row copied into the caller's memory context (or 0 with *isnull).
 */
Datum
smscamp_spi_call(const char *sql, int nargs, Oid *types, Datum *values,
				 const char *nulls, bool *isnull)
{
	MemoryContext caller = CurrentMemoryContext;
	Datum		result = (Datum) 0;
	bool		null = true;

	execute(sql, nargs, types, values, nulls);
	if (SPI_processed > 0 && SPI_tuptable != NULL)
	{
		TupleDesc	desc = SPI_tuptable->tupdesc;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], desc, 1, &null);

		if (!null)
		{
			Form_pg_attribute att = TupleDescAttr(desc, 0);
			MemoryContext old = MemoryContextSwitchTo(caller);

			result = datumCopy(d, att->attbyval, att->attlen);
			MemoryContextSwitchTo(old);
		}
	}
	SPI_finish();
	if (isnull)
		*isnull = null;
	return result;
}

Datum
smscamp_jsonb_datum(const char *json)
{
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(json));
}

/* ---------- one lead ---------- */

static const char *SQL_LEAD_CONTEXT = "SELECT smscamp_lead_context($1)::text";
static const char *SQL_CLAIM_ONE = "SELECT smscamp_claim_one($1)";
static const char *SQL_LEAD_STATE = "SELECT smscamp_lead_state($1)";

/* a statement with a campaign lead id as its one parameter */
static Datum
call_with_id(const char *sql, int64 campaign_lead_id, bool *isnull)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(campaign_lead_id)};

	return smscamp_spi_call(sql, 1, types, values, NULL, isnull);
}

/* the context of a campaign lead as JSON text, NULL when there is none */
char *
smscamp_spi_lead_context(int64 campaign_lead_id)
{
	bool		isnull;
	Datum		d = call_with_id(SQL_LEAD_CONTEXT, campaign_lead_id, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

/* a pending lead taken by a SQL-called node, as a worker's claim would */
void
smscamp_spi_claim_one(int64 campaign_lead_id)
{
	call_with_id(SQL_CLAIM_ONE, campaign_lead_id, NULL);
}

/* what a SQL-called node answers: the lead's state (jsonb) */
Datum
smscamp_spi_lead_state(int64 campaign_lead_id)
{
	bool		isnull;
	Datum		d = call_with_id(SQL_LEAD_STATE, campaign_lead_id, &isnull);

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("campaign lead %lld not found",
						(long long) campaign_lead_id)));
	return d;
}

/* ---------- a worker's SQL ---------- */

static const char *SQL_CLAIM =
"SELECT id, mps, context FROM smscamp_claim_leads($1, $2)";

/*
 * Claim up to limit pending leads for worker (its pid): a list of
 * ClaimedLead in the caller's memory context, in campaign lead id order.
 */
List *
smscamp_spi_claim(int worker, int limit)
{
	Oid			types[2] = {INT4OID, INT4OID};
	Datum		values[2] = {Int32GetDatum(worker), Int32GetDatum(limit)};
	MemoryContext caller = CurrentMemoryContext;
	List	   *claimed = NIL;
	uint64		r;

	if (limit <= 0)
		return NIL;
	execute(SQL_CLAIM, 2, types, values, NULL);
	for (r = 0; r < SPI_processed && r < (uint64) limit; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		null_id, null_mps, null_ctx;
		Datum		id = SPI_getbinval(tup, desc, 1, &null_id);
		Datum		mps = SPI_getbinval(tup, desc, 2, &null_mps);
		Datum		ctx = SPI_getbinval(tup, desc, 3, &null_ctx);
		MemoryContext old;
		ClaimedLead *lead;

		if (null_id || null_ctx)
			elog(ERROR, "smscamp: a claimed lead has no context");
		old = MemoryContextSwitchTo(caller);
		lead = palloc(sizeof(ClaimedLead));
		lead->id = DatumGetInt64(id);
		lead->mps = null_mps ? 0 : (double) DatumGetInt64(mps) / 1000.0;
		lead->context = TextDatumGetCString(ctx);
		claimed = lappend(claimed, lead);
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	return claimed;
}

/*
 * Every statement of the record path is this one (sql/workflow.sql:
 * smscamp_record_batch). SELECT *: a worker started before this file's
 * SQL is loaded reads the columns there are.
 */
static const char *SQL_RECORD = "SELECT * FROM smscamp_record_batch($1)";

/*
 * Record a batch (a JSON array of n items): results[i] (0-based, zeroed by
 * the caller) says what item i+1 did to its lead.
 */
void
smscamp_spi_record(const char *items, int n, RecordResult *results)
{
	Oid			types[1] = {JSONBOID};
	Datum		values[1];
	TupleDesc	desc;
	uint64		r;

	values[0] = smscamp_jsonb_datum(items);
	execute(SQL_RECORD, 1, types, values, NULL);
	if (SPI_tuptable == NULL)
		elog(ERROR, "smscamp: recording a batch answered nothing");
	desc = SPI_tuptable->tupdesc;
	for (r = 0; r < SPI_processed; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		bool		null;
		int32		i = DatumGetInt32(SPI_getbinval(tup, desc, 1, &null));
		RecordResult *res;
		Datum		d;

		if (null || i < 1 || i > n)
			continue;
		res = &results[i - 1];
		d = SPI_getbinval(tup, desc, 2, &null);
		res->marked = !null && DatumGetBool(d);
		if (desc->natts < 5)
			continue;
		d = SPI_getbinval(tup, desc, 3, &null);
		if (!null)
			text_to_cstring_buffer(DatumGetTextPP(d), res->status,
								   sizeof(res->status));
		d = SPI_getbinval(tup, desc, 4, &null);
		res->segments = null ? 0 : DatumGetInt32(d);
		d = SPI_getbinval(tup, desc, 5, &null);
		res->cost = null ? 0 : DatumGetFloat8(DirectFunctionCall1(numeric_float8, d));
	}
	SPI_finish();
}

static const char *SQL_RELEASE = "SELECT smscamp_release($1)";

/* a stopping worker gives back the leads it had not sent */
void
smscamp_spi_release(const int64 *ids, int n)
{
	Oid			types[1] = {INT8ARRAYOID};
	Datum		values[1];
	Datum	   *elems = palloc(Max(n, 1) * sizeof(Datum));
	int			i;

	for (i = 0; i < n; i++)
		elems[i] = Int64GetDatum(ids[i]);
	values[0] = PointerGetDatum(construct_array(elems, n, INT8OID, sizeof(int64),
												FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	smscamp_spi_call(SQL_RELEASE, 1, types, values, NULL, NULL);
}

static const char *SQL_HOUSEKEEPING = "SELECT smscamp_housekeeping()";

void
smscamp_spi_housekeeping(void)
{
	smscamp_spi_call(SQL_HOUSEKEEPING, 0, NULL, NULL, NULL, NULL);
}

/*
 * Whether the engine can run in this database: the extension is installed
 * and sql/workflow.sql is loaded (it defines smscamp_record_batch(jsonb),
 * which every other function of the workflow comes with). Catalog lookups,
 * inside a transaction.
 */
bool
smscamp_engine_installed(void)
{
	Oid			argtypes[1] = {JSONBOID};

	if (!OidIsValid(get_extension_oid("smscamp", true)))
		return false;
	return OidIsValid(LookupFuncName(list_make1(makeString("smscamp_record_batch")),
									 1, argtypes, true));
}

/* ---------- conversations (sql/reply_agent.sql, sql/outbound.sql) ---------- */

/* whether sql/reply_agent.sql is loaded (it comes after workflow.sql) */
bool
smscamp_conversations_installed(void)
{
	Oid			argtypes[1] = {JSONBOID};

	return OidIsValid(LookupFuncName(list_make1(makeString("smscamp_conversation_record")),
									 1, argtypes, true));
}

static const char *SQL_CONV_CLAIM =
"SELECT smscamp_conversation_claim($1, $2, $3, $4)::text";

/* claim conversation work: {"chat": [...], "send": [...]} as JSON text */
char *
smscamp_spi_conversation_claim(int worker, int limit, bool llm, bool log)
{
	Oid			types[4] = {INT4OID, INT4OID, BOOLOID, BOOLOID};
	Datum		values[4];
	bool		isnull;
	Datum		d;

	values[0] = Int32GetDatum(worker);
	values[1] = Int32GetDatum(limit);
	values[2] = BoolGetDatum(llm);
	values[3] = BoolGetDatum(log);
	d = smscamp_spi_call(SQL_CONV_CLAIM, 4, types, values, NULL, &isnull);
	return isnull ? NULL : TextDatumGetCString(d);
}

static const char *SQL_CONV_RECORD = "SELECT smscamp_conversation_record($1)";

/* record the results of conversation work (a JSON array of items) */
void
smscamp_spi_conversation_record(const char *items)
{
	Oid			types[1] = {JSONBOID};
	Datum		values[1];

	values[0] = smscamp_jsonb_datum(items);
	smscamp_spi_call(SQL_CONV_RECORD, 1, types, values, NULL, NULL);
}
