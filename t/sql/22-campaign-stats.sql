-- Incremental statistics (sql/campaign_stats.sql): the statement-level triggers on
-- campaign_leads, leads and campaigns keep campaign_stats, message_stats_hourly
-- and smscamp_counters equal to a recount, through a mixed workload of bulk
-- and single-row inserts, updates and deletes (cascades included).
BEGIN;
SET client_min_messages = warning;
SELECT plan(45);

SELECT has_table('campaign_stats', 'campaign_stats exists');
SELECT has_table('message_stats_hourly', 'message_stats_hourly exists');
SELECT has_trigger('campaign_leads', 'campaign_leads_stats_insert', 'insert trigger');
SELECT has_trigger('campaign_leads', 'campaign_leads_stats_update', 'update trigger');
SELECT has_trigger('campaign_leads', 'campaign_leads_stats_delete', 'delete trigger');
SELECT is((SELECT count(*)::int FROM pg_trigger t
            WHERE t.tgrelid = 'campaign_leads'::regclass AND t.tgname LIKE 'campaign_leads_stats_%'
              AND t.tgtype & 1 = 0),
          4, 'the stats triggers on campaign_leads are statement-level');

-- start from agreement (a database with data from elsewhere too)
SELECT lives_ok('SELECT smscamp_stats_rebuild()', 'smscamp_stats_rebuild runs');
SELECT is_empty('SELECT * FROM smscamp_stats_diff()', 'counters agree with a recount at the start');

CREATE TEMP TABLE base AS
SELECT (body::jsonb) AS dash FROM api.dashboard_stats();

DELETE FROM leads WHERE phone LIKE '+4477009002%';
INSERT INTO leads (name, phone)
SELECT 'Stats ' || i, '+4477009002' || lpad(i::text, 2, '0') FROM generate_series(0, 39) AS i;
CREATE TEMP TABLE ids AS
SELECT (SELECT id FROM campaigns WHERE false) AS a, NULL::bigint AS b, NULL::bigint AS c;
WITH x AS (INSERT INTO campaigns (name, status) VALUES ('stats A', 'processing'),
                                                       ('stats B', 'processing'),
                                                       ('stats C', 'draft')
           RETURNING id, name)
UPDATE ids SET a = (SELECT id FROM x WHERE name = 'stats A'),
               b = (SELECT id FROM x WHERE name = 'stats B'),
               c = (SELECT id FROM x WHERE name = 'stats C');

-- bulk inserts
INSERT INTO campaign_leads (campaign_id, lead_id)
SELECT (SELECT a FROM ids), l.id FROM leads l WHERE l.phone LIKE '+4477009002%';
INSERT INTO campaign_leads (campaign_id, lead_id)
SELECT (SELECT b FROM ids), l.id FROM leads l WHERE l.phone LIKE '+4477009002%' ORDER BY l.id LIMIT 12;
INSERT INTO campaign_leads (campaign_id, lead_id)
SELECT (SELECT c FROM ids), l.id FROM leads l WHERE l.phone LIKE '+4477009002%' ORDER BY l.id LIMIT 6;
SELECT is_empty('SELECT * FROM smscamp_stats_diff()', 'after bulk inserts: counters == recount');
SELECT is((SELECT (s.total_leads, s.unfinished)::text FROM smscamp_campaign_counts((SELECT a FROM ids)) s),
          '(40,40)', 'campaign A: 40 leads, 40 unfinished');

-- duplicates ignored: nothing counted twice
INSERT INTO campaign_leads (campaign_id, lead_id)
SELECT (SELECT b FROM ids), l.id FROM leads l WHERE l.phone LIKE '+4477009002%' ORDER BY l.id LIMIT 20
ON CONFLICT DO NOTHING;
SELECT is((smscamp_campaign_counts((SELECT b FROM ids))).total_leads, 20::bigint,
          'INSERT ... ON CONFLICT DO NOTHING counts only the new rows');

-- bulk updates through the statuses, messages in different hours
CREATE TEMP TABLE a_leads AS
SELECT id, row_number() OVER (ORDER BY id) AS n FROM campaign_leads
 WHERE campaign_id = (SELECT a FROM ids);
UPDATE campaign_leads SET status = 'processing', attempts = 1
 WHERE id IN (SELECT id FROM a_leads WHERE n <= 20);
UPDATE campaign_leads SET status = 'sending'
 WHERE id IN (SELECT id FROM a_leads WHERE n <= 12);
UPDATE campaign_leads SET status = 'sent', sms_sent = true, sms_message = 'Hello',
       sms_segments = 2, sms_cost = 0.0158, processed_at = now()
 WHERE id IN (SELECT id FROM a_leads WHERE n <= 8);
UPDATE campaign_leads SET status = 'sent', sms_sent = true, sms_message = 'Hello',
       sms_segments = 1, sms_cost = 0.0079, processed_at = now() - interval '3 hours'
 WHERE id IN (SELECT id FROM a_leads WHERE n BETWEEN 9 AND 10);
UPDATE campaign_leads SET status = 'unknown', processed_at = now() - interval '2 hours'
 WHERE id IN (SELECT id FROM a_leads WHERE n = 11);
UPDATE campaign_leads SET status = 'failed', error_message = 'provider said no',
       processed_at = now() - interval '5 hours'
 WHERE id IN (SELECT id FROM a_leads WHERE n = 12);
UPDATE campaign_leads SET status = 'skipped', processed_at = now()
 WHERE id IN (SELECT id FROM a_leads WHERE n BETWEEN 13 AND 15);
SELECT is_empty('SELECT * FROM smscamp_stats_diff()', 'after bulk status updates: counters == recount');
SELECT is((SELECT (s.unfinished, s.sent, s.failed, s.skipped, s.unknown, s.sms_segments, s.sms_cost)::text
             FROM smscamp_campaign_counts((SELECT a FROM ids)) s),
          '(25,10,1,3,1,18,0.1422)', 'campaign A counters');
SELECT is(smscamp_campaign_lead_counts((SELECT a FROM ids))::jsonb,
          '{"total_leads": 40, "pending": 20, "processing": 5, "sending": 0, "sent": 10, "delivered": 0,
            "undelivered": 0, "failed": 1, "skipped": 3, "cancelled": 0, "unknown": 1}'::jsonb,
          'campaign A: leads per status (processing and sending counted live)');

-- single-row statements, the way the workers write
DO $$
DECLARE
    r record;
    i integer := 0;
BEGIN
    FOR r IN SELECT cl.id FROM campaign_leads cl
              WHERE cl.campaign_id = (SELECT b FROM ids) ORDER BY cl.id LIMIT 10
    LOOP
        i := i + 1;
        UPDATE campaign_leads SET status = 'processing', claimed_by = 1 WHERE id = r.id;
        UPDATE campaign_leads SET sms_message = 'Hi ' || i, sms_segments = 1 + i % 3,
               sms_cost = 0.0079 * (1 + i % 3), sms_encoding = 'GSM-7' WHERE id = r.id;
        IF i % 5 = 0 THEN
            UPDATE campaign_leads SET status = 'pending', attempts = attempts + 1,
                   next_attempt_at = now() + interval '1 minute' WHERE id = r.id;
            CONTINUE;
        END IF;
        UPDATE campaign_leads SET status = 'sending', sending_at = now() WHERE id = r.id;
        UPDATE campaign_leads SET status = 'sent', sms_sent = true, sms_sid = 'SMtest' || r.id,
               processed_at = now() - make_interval(hours => i % 4), claimed_by = NULL
         WHERE id = r.id;
        IF i % 3 = 0 THEN   -- the provider counted other segments
            UPDATE campaign_leads SET sms_segments = 3, sms_cost = 0.0237 WHERE id = r.id;
        END IF;
        IF i = 1 THEN
            UPDATE campaign_leads SET status = 'delivered', delivered_at = now() WHERE id = r.id;
        ELSIF i = 2 THEN
            UPDATE campaign_leads SET status = 'undelivered', error_message = 'x' WHERE id = r.id;
        END IF;
    END LOOP;
END
$$;
SELECT is_empty('SELECT * FROM smscamp_stats_diff()', 'after single-row updates: counters == recount');

-- the status callback route changes statuses too (signed as Twilio signs it)
SET LOCAL smscamp.twilio_auth_token = 'tok-stats-test';
CREATE TEMP TABLE cb AS
SELECT 'https://sms.example.test/api/webhooks/sms/status' AS url,
       'ErrorCode=30008&MessageSid=SMtest' || (SELECT min(id) + 2 FROM campaign_leads
                                               WHERE campaign_id = (SELECT b FROM ids))
       || '&MessageStatus=failed' AS form;
SELECT is((SELECT body::jsonb ->> 'status' FROM cb, api.webhooks_sms_status(
              'application/x-www-form-urlencoded', cb.form, cb.url,
              api_twilio_signature(cb.url, cb.form, 'tok-stats-test'))),
          'failed', 'a status callback marks a sent lead failed');
SELECT is_empty('SELECT * FROM smscamp_stats_diff()', 'after a status callback: counters == recount');

-- an UPDATE of columns that are not counted writes no counter row
CREATE TEMP TABLE before_ctid AS
SELECT campaign_id, shard, ctid::text AS t FROM campaign_stats
 WHERE campaign_id = (SELECT a FROM ids);
UPDATE campaign_leads SET next_attempt_at = now() + interval '1 hour', trace_id = 'changed'
 WHERE campaign_id = (SELECT a FROM ids);
SELECT set_eq('SELECT campaign_id, shard, ctid::text AS t FROM campaign_stats WHERE campaign_id = (SELECT a FROM ids)',
              'SELECT * FROM before_ctid',
              'an UPDATE of uncounted columns leaves the counter rows untouched');

-- deletes: rows, a lead (cascade), a whole campaign (cascade)
DELETE FROM campaign_leads WHERE id IN (SELECT id FROM a_leads WHERE n IN (1, 13, 30));
SELECT is_empty('SELECT * FROM smscamp_stats_diff()', 'after deleting campaign leads: counters == recount');
DELETE FROM leads WHERE phone = '+447700900200';
SELECT is_empty('SELECT * FROM smscamp_stats_diff()', 'after deleting a lead (cascade): counters == recount');
DELETE FROM campaigns WHERE id = (SELECT c FROM ids);
SELECT is_empty('SELECT * FROM smscamp_stats_diff()', 'after deleting a campaign (cascade): counters == recount');
SELECT is((SELECT count(*)::int FROM campaign_stats WHERE campaign_id = (SELECT c FROM ids)), 0,
          'a deleted campaign has no statistics rows left');

-- the lifecycle functions
SELECT is(smscamp_cancel((SELECT b FROM ids))::jsonb #>> '{stats,leads_by_status,cancelled}',
          '12', 'cancel: the returned stats count the cancelled leads');
SELECT is_empty('SELECT * FROM smscamp_stats_diff()', 'after a cancel: counters == recount');

-- the campaigns' and leads' counters
INSERT INTO campaigns (name) VALUES ('stats D'), ('stats E');
UPDATE campaigns SET status = 'pending' WHERE name = 'stats D';
INSERT INTO leads (name, phone) VALUES ('Stats extra', '+447700900299');
SELECT is_empty('SELECT * FROM smscamp_stats_diff()', 'campaign and lead counters == recount');

-- the dashboard reads the counters: its totals moved by what happened here
CREATE TEMP TABLE now_dash AS SELECT (body::jsonb) AS dash FROM api.dashboard_stats();
CREATE FUNCTION pg_temp.delta(k text) RETURNS numeric
LANGUAGE sql AS $$
    SELECT (n.dash ->> k)::numeric - (b.dash ->> k)::numeric FROM now_dash n, base b
$$;
SELECT is(pg_temp.delta('total_leads'), 40::numeric, 'dashboard: total_leads +40 (41 inserted, 1 deleted)');
SELECT is(pg_temp.delta('total_campaigns'), 4::numeric, 'dashboard: total_campaigns +4 (5 created, 1 deleted)');
SELECT is((SELECT (n.dash #>> '{campaigns_by_status,cancelled}')::int
                  - (b.dash #>> '{campaigns_by_status,cancelled}')::int FROM now_dash n, base b),
          1, 'dashboard: one more cancelled campaign');
SELECT is(pg_temp.delta('total_messages_sent'),
          (SELECT count(*) FROM campaign_leads cl JOIN campaigns c ON c.id = cl.campaign_id
            WHERE c.name LIKE 'stats _' AND cl.status IN ('sent', 'delivered'))::numeric,
          'dashboard: total_messages_sent moved by the sent and delivered leads');
SELECT is(pg_temp.delta('total_messages_failed'),
          (SELECT count(*) FROM campaign_leads cl JOIN campaigns c ON c.id = cl.campaign_id
            WHERE c.name LIKE 'stats _' AND cl.status IN ('failed', 'undelivered'))::numeric,
          'dashboard: total_messages_failed moved by the failed and undelivered leads');
SELECT is(pg_temp.delta('total_cost'),
          (SELECT sum(cl.sms_cost) FROM campaign_leads cl JOIN campaigns c ON c.id = cl.campaign_id
            WHERE c.name LIKE 'stats _' AND cl.sms_sent),
          'dashboard: total_cost moved by the cost of the SMS sent');
SELECT is((SELECT jsonb_array_length(dash -> 'messages_per_hour') FROM now_dash), 24,
          'dashboard: messages_per_hour has 24 numbers');
SELECT is((SELECT (n.dash -> 'messages_per_hour' ->> 23)::int - (b.dash -> 'messages_per_hour' ->> 23)::int
             FROM now_dash n, base b),
          (SELECT count(*)::int FROM campaign_leads cl JOIN campaigns c ON c.id = cl.campaign_id
            WHERE c.name LIKE 'stats _' AND cl.status IN ('sent', 'delivered')
              AND smscamp_hour(cl.processed_at) = smscamp_hour(now())),
          'dashboard: the current hour counts the messages sent in it');
SELECT is((SELECT (n.dash -> 'messages_per_hour' ->> 20)::int - (b.dash -> 'messages_per_hour' ->> 20)::int
             FROM now_dash n, base b),
          (SELECT count(*)::int FROM campaign_leads cl JOIN campaigns c ON c.id = cl.campaign_id
            WHERE c.name LIKE 'stats _' AND cl.status IN ('sent', 'delivered')
              AND smscamp_hour(cl.processed_at) = smscamp_hour(now() - interval '3 hours')),
          'dashboard: three hours ago counts the messages sent then');

-- compaction folds the shards and keeps the sums
SELECT cmp_ok(smscamp_stats_compact(), '>', 0::bigint, 'compaction folds rows');
SELECT is((SELECT count(*)::int FROM campaign_stats WHERE shard <> 0), 0,
          'after compaction only shard 0 is left');
SELECT is((SELECT count(*)::int FROM campaign_stats WHERE campaign_id = (SELECT a FROM ids)), 1,
          'one row per campaign after compaction');
SELECT is((SELECT count(*)::int FROM campaign_stats_total WHERE shard <> 0), 0,
          'after compaction the grand totals are one row too');
SELECT is_empty('SELECT * FROM smscamp_stats_diff()', 'after compaction: counters == recount');

-- a drifted counter is found, and the rebuild repairs it
UPDATE campaign_stats SET sent = sent + 1 WHERE campaign_id = (SELECT a FROM ids);
SELECT isnt_empty('SELECT * FROM smscamp_stats_diff()', 'smscamp_stats_diff finds a wrong counter');
SELECT lives_ok('SELECT smscamp_stats_rebuild()', 'smscamp_stats_rebuild runs again');
SELECT is_empty('SELECT * FROM smscamp_stats_diff()', 'smscamp_stats_rebuild repairs it');

-- the grand totals (the dashboard's) drifting is found too, and repaired
UPDATE campaign_stats_total SET failed = failed + 2, sms_cost = sms_cost + 0.5;
SELECT results_eq($$SELECT kind FROM smscamp_stats_diff()$$, ARRAY['total'],
                  'smscamp_stats_diff finds wrong grand totals');
SELECT lives_ok('SELECT smscamp_stats_rebuild()', 'smscamp_stats_rebuild runs a third time');
SELECT is_empty('SELECT * FROM smscamp_stats_diff()', 'smscamp_stats_rebuild repairs the grand totals');

SELECT * FROM finish();
ROLLBACK;
