-- GET /api/cluster (sql/api/cluster.sql): which database node answers and whether it
-- replicates.  The test instance is one PostgreSQL with smscamp.durable_marks off, no
-- synchronous_standby_names and no standby: "single", nothing to hold the sends.
BEGIN;
SET client_min_messages = warning;
SELECT plan(10);

\ir lib/route.sql
CREATE TEMP TABLE c AS SELECT pg_temp.route('SELECT * FROM api.cluster()') AS j;

SELECT is((SELECT j ->> '_status' FROM c)::integer, 200, 'cluster: 200');
SELECT is((SELECT j ->> 'mode' FROM c), 'single', 'the test instance is a single node');
SELECT is((SELECT (j ->> 'durable_marks')::boolean FROM c), false, '... durable marks off');
SELECT is((SELECT (j #>> '{node,port}')::integer FROM c), current_setting('port')::integer,
          'node.port is this server''s port');
SELECT is((SELECT j #>> '{node,system_identifier}' FROM c),
          (SELECT system_identifier::text FROM pg_control_system()),
          'node.system_identifier is this server''s, as text');
SELECT is((SELECT (j #>> '{node,in_recovery}')::boolean FROM c), false, 'node: a primary, not in recovery');
SELECT is((SELECT j -> 'standbys' FROM c), '[]'::jsonb, 'no standby: standbys = []');
SELECT is((SELECT (j ->> 'marks_durable')::boolean FROM c), true,
          'marks_durable: nothing to check with durable marks off');
SELECT is((SELECT (j ->> 'workers')::integer FROM c),
          (SELECT count(*)::integer FROM pg_stat_activity WHERE backend_type = 'smscamp worker'),
          'workers: the smscamp workers running');

-- what nginx logs in as may call it (SECURITY DEFINER: it reads pg_stat_replication as the owner)
SET ROLE smscamp_api;
SELECT is((SELECT status FROM api.cluster()), 200, 'api role: api.cluster works');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
