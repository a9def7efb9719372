-- smscamp 0.1 -> 0.2: the engine's metrics (pg_extension/metrics.c), for databases
-- created before them. scripts/lib.sh runs ALTER EXTENSION smscamp UPDATE on every start.
\echo Use "ALTER EXTENSION smscamp UPDATE" to load this file. \quit

CREATE OR REPLACE FUNCTION smscamp_metrics_text() RETURNS text
AS 'MODULE_PATHNAME', 'smscamp_metrics_text' LANGUAGE C VOLATILE;

COMMENT ON FUNCTION smscamp_metrics_text() IS
'the engine''s counters from shared memory, in Prometheus text format';

REVOKE ALL ON FUNCTION smscamp_metrics_text() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION smscamp_metrics_text() TO pg_monitor;
