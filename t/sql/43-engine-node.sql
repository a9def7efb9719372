-- The server life the workers' claims belong to (engine_node, smscamp_live_workers in
-- sql/workflow.sql): recorded the first time, kept while the server lives; another life
-- (a standby promoted by a failover, a restart) counts no pid in the tables as live, so
-- the housekeeping recovers every claim, whatever its pid; the next call is the new
-- life's and sees the live workers again.
BEGIN;
SET client_min_messages = warning;
SELECT plan(8);

CREATE TEMP TABLE life AS
SELECT (SELECT system_identifier::text FROM pg_control_system()) || '/' || current_setting('port')
       || '/' || pg_postmaster_start_time()::text AS now_life;

DELETE FROM engine_node;
SELECT is(smscamp_live_workers(),
          ARRAY(SELECT pid FROM pg_stat_activity WHERE backend_type = 'smscamp worker'),
          'the first call: the live workers'' pids');
SELECT is((SELECT life FROM engine_node), (SELECT now_life FROM life),
          '... and this server''s life is recorded (system identifier/port/postmaster start)');

UPDATE engine_node SET life = '7000000000000000001/5433/2026-01-01 00:00:00+00', since = now() - interval '1 day';
SELECT is(smscamp_live_workers(), '{}'::integer[],
          'claims of another server''s life: no pid is live');
SELECT is((SELECT life FROM engine_node), (SELECT now_life FROM life), '... and the new life is recorded');
SELECT ok((SELECT since > now() - interval '1 minute' FROM engine_node), '... since now');
SELECT is(smscamp_live_workers(),
          ARRAY(SELECT pid FROM pg_stat_activity WHERE backend_type = 'smscamp worker'),
          'the next call is the new life''s: the live workers again');

-- the housekeeping recovers a claim of the old life even when its pid is a live worker's
\ir lib/free_phone.sql
CREATE TEMP TABLE v AS
WITH c AS (INSERT INTO campaigns (name, sms_template, send_window) VALUES ('life test', 'Hi {first_name}', NULL)
           RETURNING id),
     l AS (INSERT INTO leads (name, phone) VALUES ('Life Ann', pg_temp.free_phone('+4477009061')),
                                                  ('Life Bob', pg_temp.free_phone('+4477009062')) RETURNING id),
     cl AS (INSERT INTO campaign_leads (campaign_id, lead_id, status, attempts)
            SELECT c.id, l.id, 'pending', 1 FROM c, l RETURNING id)
SELECT (SELECT id FROM c) AS cid, (SELECT min(id) FROM cl) AS processing_id, (SELECT max(id) FROM cl) AS sending_id;
UPDATE campaigns SET status = 'pending' WHERE id = (SELECT cid FROM v);
UPDATE campaigns SET status = 'processing', started_at = now() WHERE id = (SELECT cid FROM v);
-- claimed by a pid that is a live worker's on this server, but under the old life
CREATE TEMP TABLE w AS SELECT pid FROM pg_stat_activity WHERE backend_type = 'smscamp worker' LIMIT 1;
UPDATE campaign_leads SET status = 'processing', claimed_by = (SELECT pid FROM w) WHERE id = (SELECT processing_id FROM v);
UPDATE campaign_leads SET status = 'sending', claimed_by = (SELECT pid FROM w), sms_message = 'Hi Bob'
 WHERE id = (SELECT sending_id FROM v);
UPDATE engine_node SET life = 'another server';
SELECT smscamp_housekeeping();
SELECT is((SELECT status FROM campaign_leads WHERE id = (SELECT processing_id FROM v)), 'pending',
          'a lead "processing" under the old life is pending again');
SELECT is((SELECT status FROM campaign_leads WHERE id = (SELECT sending_id FROM v)), 'unknown',
          'a lead "sending" under the old life is unknown (never sent again)');

SELECT * FROM finish();
ROLLBACK;
