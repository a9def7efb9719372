-- Cluster API: which database node answers, and whether it replicates
-- (contract: sql/README.md).
--
--   GET /api/cluster   api.cluster()
--
-- One PostgreSQL (make run) is "single"; a pg_auto_failover formation (make run-ha:
-- synchronous replication, smscamp.durable_marks = on) is "formation".  With durable
-- marks on, the workers hold each provider call until a synchronous standby has
-- flushed its "sending" mark (pg_extension/durable.c): marks_durable says whether a
-- synchronous standby is streaming now, i.e. whether sends can go on.  Read-only:
-- it answers on a standby too.

-- GET /api/cluster
CREATE OR REPLACE FUNCTION api.cluster(OUT status integer, OUT body text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
WITH conf AS (
    SELECT coalesce(current_setting('smscamp.durable_marks', true) = 'on', false) AS durable_marks,
           coalesce(current_setting('synchronous_standby_names', true), '') AS sync_names
), standbys AS (
    SELECT coalesce(jsonb_agg(jsonb_build_object(
                        'application_name', r.application_name,
                        'client_addr', host(r.client_addr),
                        'state', r.state,
                        'sync_state', r.sync_state,
                        'sent_lsn', r.sent_lsn::text,
                        'flush_lsn', r.flush_lsn::text,
                        'replay_lsn', r.replay_lsn::text,
                        'flush_lag_ms', round((extract(epoch FROM r.flush_lag) * 1000)::numeric, 1),
                        'replay_lag_ms', round((extract(epoch FROM r.replay_lag) * 1000)::numeric, 1))
                    ORDER BY r.application_name, r.pid), '[]') AS list,
           count(*) AS total,
           count(*) FILTER (WHERE r.sync_state IN ('sync', 'quorum')) AS sync,
           count(*) FILTER (WHERE r.sync_state IN ('sync', 'quorum') AND r.state = 'streaming') AS sync_streaming
      FROM pg_stat_replication AS r
)
SELECT 200,
       jsonb_build_object(
           'mode', CASE WHEN c.durable_marks OR c.sync_names <> '' OR s.total > 0
                        THEN 'formation' ELSE 'single' END,
           'node', jsonb_build_object(
               'system_identifier', (SELECT system_identifier::text FROM pg_control_system()),
               'port', current_setting('port')::integer,
               'in_recovery', pg_is_in_recovery(),
               'read_only', current_setting('default_transaction_read_only') = 'on',
               'started_at', pg_postmaster_start_time(),
               'timeline', (SELECT timeline_id::integer FROM pg_control_checkpoint())),
           'durable_marks', c.durable_marks,
           'synchronous_standby_names', c.sync_names,
           'standbys', s.list,
           'synchronous_standbys', s.sync,
           'marks_durable', NOT c.durable_marks OR s.sync_streaming > 0,
           'workers', (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'smscamp worker'))::text
  FROM conf AS c, standbys AS s
$$;

CALL smscamp_secure_api();
