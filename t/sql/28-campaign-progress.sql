-- Progress that tells the truth (sql/campaign_progress.sql) and
-- deleting a lead keeps what was sent (the trigger leads_delete_campaign_leads,
-- the foreign key ON DELETE SET NULL):
--   * rate: from the send timestamps (processed_at of the sms_sent leads); no
--     rate from 4 sends in 11 ms, the right one over minutes (average: first
--     to last send, kept by the triggers; current: the last minute);
--   * processed leaves out cancelled and pending leads; a cancelled campaign
--     with nothing sent is 0 processed, N cancelled, no rate;
--   * a paused campaign's counts; waiting (quiet hours, retry);
--   * success_rate null until something has an outcome; the dashboard's
--     pending messages are those of running and paused campaigns only;
--   * deleting leads: what was sent stays (message, cost, logs, counters),
--     what never started goes, what still waited is cancelled and never sent.
-- Times are set directly; one transaction, rolled back.
BEGIN;
SET client_min_messages = warning;
SELECT plan(71);

\ir lib/free_phone.sql
\ir lib/campaign_in.sql
\ir lib/route.sql
\ir lib/send_window.sql

-- a campaign in a status (through the allowed transitions), named
CREATE FUNCTION pg_temp.campaign(p_name text, p_status text, p_window text DEFAULT NULL)
RETURNS bigint
LANGUAGE sql RETURN pg_temp.campaign_in(p_status, p_name, 'Spring sale Monday!', p_window);

-- n new leads (phones from p_prefix) in a campaign; their campaign-lead ids
CREATE FUNCTION pg_temp.leads_in(p_campaign bigint, n integer, p_prefix text DEFAULT '+4477009028')
RETURNS SETOF bigint
LANGUAGE plpgsql AS $$
DECLARE
    lid bigint;
    i integer;
BEGIN
    FOR i IN 1 .. n LOOP
        INSERT INTO leads (name, phone) VALUES ('Progress ' || p_campaign || '-' || i,
                                                pg_temp.free_phone(p_prefix))
        RETURNING id INTO lid;
        RETURN QUERY INSERT INTO campaign_leads (campaign_id, lead_id)
                     VALUES (p_campaign, lid) RETURNING id;
    END LOOP;
END
$$;

CREATE FUNCTION pg_temp.stats(p_campaign bigint) RETURNS jsonb
LANGUAGE sql AS $$ SELECT smscamp_campaign_json(p_campaign)::jsonb -> 'stats' $$;

CREATE TEMP TABLE k (name text PRIMARY KEY, id bigint);

-- n new leads in the campaign k names, numbered 1..n in id order: their campaign-lead ids
CREATE FUNCTION pg_temp.numbered_leads_in(p_campaign text, p_count integer)
RETURNS TABLE (id bigint, n bigint)
LANGUAGE sql AS $$
SELECT l.id, row_number() OVER (ORDER BY l.id)
  FROM pg_temp.leads_in((SELECT k.id FROM k WHERE k.name = p_campaign), p_count) AS l(id)
$$;

------------------------------------------------------------------------------
-- rate: 4 sends in 11 ms is no rate
------------------------------------------------------------------------------

INSERT INTO k VALUES ('fast', pg_temp.campaign('progress fast', 'processing'));
CREATE TEMP TABLE fast AS SELECT * FROM pg_temp.numbered_leads_in('fast', 4);
-- one statement per lead, the way the workers record (the triggers' one-row path)
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT * FROM fast ORDER BY n LOOP
        UPDATE campaign_leads SET status = 'sent', sms_sent = true, sms_message = 'Hi',
               sms_segments = 1, sms_cost = 0.0079,
               processed_at = now() - interval '11 milliseconds'
                              + (r.n - 1) * interval '11 milliseconds' / 3
         WHERE id = r.id;
    END LOOP;
END
$$;
SELECT is(pg_temp.stats((SELECT id FROM k WHERE name = 'fast')) -> 'rate' ->> 'current', NULL,
          '4 sends in 11 ms: no current rate');
SELECT is(pg_temp.stats((SELECT id FROM k WHERE name = 'fast')) -> 'rate' ->> 'average', NULL,
          '4 sends in 11 ms: no average rate');
SELECT is((SELECT extract(epoch FROM s.last_sent_at - s.first_sent_at) * 1000
             FROM smscamp_campaign_counts((SELECT id FROM k WHERE name = 'fast')) s),
          11.000::numeric, 'the triggers keep the first and the last send (11 ms apart)');
UPDATE campaigns SET status = 'completed', completed_at = now() WHERE id = (SELECT id FROM k WHERE name = 'fast');
SELECT is(pg_temp.stats((SELECT id FROM k WHERE name = 'fast')) -> 'rate',
          '{"current": null, "average": null, "window_seconds": null}'::jsonb,
          'completed after 4 sends in 11 ms: no rate at all');
SELECT is((pg_temp.stats((SELECT id FROM k WHERE name = 'fast')) ->> 'processed')::int, 4,
          '... and 4 processed');

------------------------------------------------------------------------------
-- rate over ten minutes: the average from first to last send, the current
-- one over the last minute
------------------------------------------------------------------------------

INSERT INTO k VALUES ('slow', pg_temp.campaign('progress slow', 'processing'));
CREATE TEMP TABLE slow AS SELECT * FROM pg_temp.numbered_leads_in('slow', 51);
-- 21 sends every 15 s from 10 minutes ago to 5 minutes ago, then 30 in the last 30 s
UPDATE campaign_leads cl
   SET status = 'sent', sms_sent = true, sms_message = 'Hi', sms_segments = 1, sms_cost = 0.0079,
       processed_at = CASE WHEN s.n <= 21 THEN now() - interval '600 seconds' + (s.n - 1) * interval '15 seconds'
                           ELSE now() - interval '29 seconds' + (s.n - 22) * interval '1 second' END
  FROM slow s WHERE cl.id = s.id;
SELECT is(pg_temp.stats((SELECT id FROM k WHERE name = 'slow')) -> 'rate',
          '{"current": 0.50, "average": 0.08, "window_seconds": 60.0}'::jsonb,
          '51 sends over 10 minutes, 30 in the last minute: current 30/60 s, average 50/600 s');
SELECT is(pg_temp.stats((SELECT id FROM k WHERE name = 'slow')) ->> 'success_rate', '100.0',
          'success_rate of 51 sent: 100.0');
SELECT ok(smscamp_stats_compact() >= 0, 'compaction runs');
SELECT is(pg_temp.stats((SELECT id FROM k WHERE name = 'slow')) -> 'rate' ->> 'average', '0.08',
          'compaction keeps the send times (the average is the same)');
UPDATE campaigns SET status = 'completed', completed_at = now() WHERE id = (SELECT id FROM k WHERE name = 'slow');
SELECT is(pg_temp.stats((SELECT id FROM k WHERE name = 'slow')) -> 'rate',
          '{"current": null, "average": 0.08, "window_seconds": null}'::jsonb,
          'completed: the average only');
-- a recent start: the window is since the first send
INSERT INTO k VALUES ('young', pg_temp.campaign('progress young', 'processing'));
CREATE TEMP TABLE young AS SELECT * FROM pg_temp.numbered_leads_in('young', 11);
UPDATE campaign_leads cl
   SET status = 'sent', sms_sent = true, processed_at = now() - interval '10 seconds' + (s.n - 1) * interval '1 second'
  FROM young s WHERE cl.id = s.id;
SELECT is(pg_temp.stats((SELECT id FROM k WHERE name = 'young')) -> 'rate',
          '{"current": 1.10, "average": 1.00, "window_seconds": 10.0}'::jsonb,
          'started 10 s ago, 11 sends: current over the 10 s since the first send');

------------------------------------------------------------------------------
-- a cancelled campaign with nothing sent
------------------------------------------------------------------------------

INSERT INTO k VALUES ('cancelled', pg_temp.campaign('progress cancelled', 'pending'));
CREATE TEMP TABLE cz AS SELECT pg_temp.leads_in((SELECT id FROM k WHERE name = 'cancelled'), 7) AS id;
SELECT is(pg_temp.stats((SELECT id FROM k WHERE name = 'cancelled')) ->> 'success_rate', NULL,
          'success_rate is null while nothing has an outcome');
SELECT lives_ok($$SELECT smscamp_cancel((SELECT id FROM k WHERE name = 'cancelled'))$$, 'cancel it');
CREATE TEMP TABLE cs AS SELECT pg_temp.stats((SELECT id FROM k WHERE name = 'cancelled')) AS s;
SELECT is((SELECT (s ->> 'processed')::int FROM cs), 0, 'cancelled, 0 sent: 0 processed');
SELECT is((SELECT (s #>> '{leads_by_status,cancelled}')::int FROM cs), 7, '... 7 cancelled');
SELECT is((SELECT (s ->> 'total_messages_sent')::int FROM cs), 0, '... 0 sent');
SELECT is((SELECT (s ->> 'progress')::numeric FROM cs), 0::numeric, '... progress 0 (cancelled is not processed)');
SELECT is((SELECT s -> 'rate' FROM cs), '{"current": null, "average": null, "window_seconds": null}'::jsonb,
          '... no rate');
SELECT is((SELECT s ->> 'success_rate' FROM cs), NULL, '... success_rate null');
SELECT is((SELECT s ->> 'waiting' FROM cs), NULL, '... not waiting');

------------------------------------------------------------------------------
-- paused
------------------------------------------------------------------------------

INSERT INTO k VALUES ('paused', pg_temp.campaign('progress paused', 'processing'));
CREATE TEMP TABLE pz AS SELECT * FROM pg_temp.numbered_leads_in('paused', 6);
UPDATE campaign_leads cl SET status = 'sent', sms_sent = true, processed_at = now()
  FROM pz WHERE cl.id = pz.id AND pz.n <= 2;
UPDATE campaign_leads cl SET status = 'failed', processed_at = now()
  FROM pz WHERE cl.id = pz.id AND pz.n = 3;
UPDATE campaign_leads cl SET status = 'processing', attempts = 1, claimed_by = 1
  FROM pz WHERE cl.id = pz.id AND pz.n = 4;
SELECT lives_ok($$SELECT smscamp_pause((SELECT id FROM k WHERE name = 'paused'))$$, 'pause it');
SELECT is((pg_temp.stats((SELECT id FROM k WHERE name = 'paused')) -> 'leads_by_status')
            - ARRAY['delivered', 'undelivered', 'skipped', 'cancelled', 'unknown', 'sending'],
          '{"pending": 2, "processing": 1, "sent": 2, "failed": 1}'::jsonb,
          'paused with a lead still held by a worker: 2 pending, 1 processing');
DO $$ BEGIN PERFORM smscamp_release(ARRAY(SELECT id FROM pz WHERE n = 4)); END $$;
CREATE TEMP TABLE ps AS SELECT pg_temp.stats((SELECT id FROM k WHERE name = 'paused')) AS s;
SELECT is((SELECT s -> 'leads_by_status' ->> 'pending' FROM ps), '3', 'the worker gives it back: 3 pending');
SELECT is((SELECT s -> 'leads_by_status' ->> 'processing' FROM ps), '0', '... none processing');
SELECT is((SELECT (s ->> 'processed')::int FROM ps), 3, '... 3 processed (2 sent, 1 failed)');
SELECT is((SELECT (s ->> 'total_messages_pending')::int FROM ps), 3, '... 3 pending messages');
SELECT is((SELECT s ->> 'success_rate' FROM ps), '66.7', '... success_rate 66.7');
SELECT is((SELECT (s ->> 'progress')::numeric FROM ps), 50.0, '... progress 50 (3 of 6)');
SELECT is((SELECT s -> 'rate' ->> 'current' FROM ps), NULL, '... no current rate while paused');
SELECT is((SELECT s ->> 'waiting' FROM ps), NULL, '... paused is not waiting');

------------------------------------------------------------------------------
-- waiting: quiet hours, a retry
------------------------------------------------------------------------------

-- pg_temp.win and pg_temp.opens (lib/send_window.sql): a window from now, when it opens
INSERT INTO k VALUES ('quiet', pg_temp.campaign('progress quiet', 'processing',
                                               pg_temp.win('America/New_York', '2 hours', '3 hours')));
CREATE TEMP TABLE qz AS
SELECT id FROM pg_temp.leads_in((SELECT id FROM k WHERE name = 'quiet'), 2, '+1212555') AS id;
SELECT is(pg_temp.stats((SELECT id FROM k WHERE name = 'quiet')) ->> 'waiting', NULL,
          'not waiting before the workers looked at its leads');
CREATE TEMP TABLE qclaim AS SELECT id FROM smscamp_claim(pg_backend_pid(), 100000);
SELECT is((SELECT array_agg(cl.status || '/' || cl.wait_reason) FROM campaign_leads cl JOIN qz ON qz.id = cl.id),
          ARRAY['pending/quiet_hours', 'pending/quiet_hours'],
          'the claim defers both leads for quiet hours and says why');
SELECT is(pg_temp.stats((SELECT id FROM k WHERE name = 'quiet')) -> 'waiting',
          jsonb_build_object('reason', 'quiet_hours',
                             'next_send_at', pg_temp.opens('America/New_York', '2 hours'),
                             'window', (SELECT send_window FROM campaigns WHERE id = (SELECT id FROM k WHERE name = 'quiet')),
                             'time_zone', 'America/New_York'),
          'waiting: quiet hours, next send at the window''s start in New York');
CREATE TEMP TABLE ql AS SELECT pg_temp.route(format(
    $$SELECT * FROM api.campaigns_leads(%L, '{}')$$, (SELECT id FROM k WHERE name = 'quiet'))) AS j;
SELECT is((SELECT j #>> '{items,0,wait_reason}' FROM ql), 'quiet_hours', 'GET /leads: wait_reason quiet_hours');
SELECT is((SELECT (j #>> '{items,0,next_attempt_at}')::timestamptz FROM ql), pg_temp.opens('America/New_York', '2 hours'),
          'GET /leads: next_attempt_at is when it will be tried');
SELECT is((SELECT j #>> '{items,0,lead_deleted}' FROM ql), 'false', 'GET /leads: lead_deleted false');

INSERT INTO k VALUES ('retry', pg_temp.campaign('progress retry', 'processing'));
INSERT INTO k SELECT 'retry_lead', id FROM pg_temp.leads_in((SELECT id FROM k WHERE name = 'retry'), 1) AS id;
DO $$
BEGIN
    PERFORM smscamp_claim_one((SELECT id FROM k WHERE name = 'retry_lead'));
    PERFORM smscamp_record_batch(jsonb_build_array(jsonb_build_object(
        'i', 1, 'k', 'genfail', 'id', (SELECT id FROM k WHERE name = 'retry_lead'),
        'error', 'LLM timeout', 'retry_after', 120, 'retryable', true)));
END
$$;
SELECT is(pg_temp.stats((SELECT id FROM k WHERE name = 'retry')) #>> '{waiting,reason}', 'retry',
          'a retry after an error: waiting, reason retry');
SELECT is((pg_temp.stats((SELECT id FROM k WHERE name = 'retry')) #>> '{waiting,next_send_at}')::timestamptz,
          (SELECT next_attempt_at FROM campaign_leads WHERE id = (SELECT id FROM k WHERE name = 'retry_lead')),
          '... next send at its next attempt');

------------------------------------------------------------------------------
-- success_rate; the dashboard
------------------------------------------------------------------------------

SELECT is(smscamp_success_rate(0, 0), NULL, 'smscamp_success_rate: null when nothing has an outcome');
SELECT is(smscamp_success_rate(1, 2), 33.3, 'smscamp_success_rate: 1 of 3 = 33.3');

CREATE TEMP TABLE d0 AS SELECT body::jsonb AS d FROM api.dashboard_stats();
INSERT INTO k VALUES ('draft', pg_temp.campaign('progress draft', 'draft'));
CREATE TEMP TABLE drz AS SELECT pg_temp.leads_in((SELECT id FROM k WHERE name = 'draft'), 3) AS id;
CREATE TEMP TABLE d1 AS SELECT body::jsonb AS d FROM api.dashboard_stats();
SELECT is((SELECT (d1.d ->> 'total_messages_pending')::int - (d0.d ->> 'total_messages_pending')::int FROM d0, d1),
          0, 'dashboard: a draft''s leads are not pending messages');
SELECT is((SELECT (d1.d ->> 'total_campaign_leads')::int - (d0.d ->> 'total_campaign_leads')::int FROM d0, d1),
          3, '... they are campaign leads');
SELECT is((SELECT (d ->> 'total_messages_pending')::bigint FROM d1),
          (SELECT count(*) FROM campaign_leads cl JOIN campaigns c ON c.id = cl.campaign_id
            WHERE c.status IN ('pending', 'processing', 'paused')
              AND cl.status IN ('pending', 'processing', 'sending')),
          'dashboard: pending = unfinished leads of pending, processing and paused campaigns');
SELECT is((SELECT d ->> 'success_rate' FROM d1),
          (SELECT round(100.0 * count(*) FILTER (WHERE status IN ('sent', 'delivered'))
                        / nullif(count(*) FILTER (WHERE status IN ('sent', 'delivered', 'failed', 'undelivered')), 0), 1)::text
             FROM campaign_leads),
          'dashboard: success_rate = sent / (sent + failed), null without outcomes');

------------------------------------------------------------------------------
-- deleting leads keeps what was sent
------------------------------------------------------------------------------

INSERT INTO k VALUES ('del', pg_temp.campaign('progress delete', 'processing'));
INSERT INTO k VALUES ('del_draft', pg_temp.campaign('progress delete draft', 'draft'));
CREATE TEMP TABLE dz AS SELECT * FROM pg_temp.numbered_leads_in('del', 6);
-- 1 sent (message, cost, a log row), 2 never started, 3 pending after a failed
-- attempt, 4 skipped, 5 held by a worker (processing), 6 stays
UPDATE campaign_leads cl
   SET status = 'sent', sms_sent = true, sms_message = 'Hi there, see you Monday',
       sms_segments = 2, sms_cost = 0.0158, processed_at = now(), attempts = 1
  FROM dz WHERE cl.id = dz.id AND dz.n = 1;
DO $$
BEGIN
    PERFORM smscamp_log((SELECT id FROM dz WHERE n = 1), 'info', 'finalize', 'Lead finished: sent',
                        '{"status": "sent", "sms_cost": 0.0158}');
END
$$;
UPDATE campaign_leads cl
   SET attempts = 1, error_message = 'LLM timeout', wait_reason = 'retry',
       next_attempt_at = now() + interval '1 minute'
  FROM dz WHERE cl.id = dz.id AND dz.n = 3;
UPDATE campaign_leads cl SET status = 'skipped', processed_at = now(), attempts = 1
  FROM dz WHERE cl.id = dz.id AND dz.n = 4;
UPDATE campaign_leads cl SET status = 'processing', attempts = 1, claimed_by = pg_backend_pid()
  FROM dz WHERE cl.id = dz.id AND dz.n = 5;
-- the sent lead is in a draft too (never started there)
INSERT INTO campaign_leads (campaign_id, lead_id)
SELECT (SELECT id FROM k WHERE name = 'del_draft'), cl.lead_id FROM campaign_leads cl
 WHERE cl.id = (SELECT id FROM dz WHERE n = 1);

CREATE TEMP TABLE gone AS
SELECT dz.n, cl.lead_id, l.name, l.phone FROM dz
  JOIN campaign_leads cl ON cl.id = dz.id JOIN leads l ON l.id = cl.lead_id WHERE dz.n <= 5;
CREATE TEMP TABLE before_counts AS
SELECT s.* FROM smscamp_campaign_counts((SELECT id FROM k WHERE name = 'del')) s;

DELETE FROM leads WHERE id IN (SELECT lead_id FROM gone);

SELECT is_empty('SELECT * FROM smscamp_stats_diff()', 'after deleting leads: counters == recount');
SELECT is((SELECT row(cl.status, cl.lead_id, cl.sms_message, cl.sms_cost, cl.sms_segments, cl.sms_sent)::text
             FROM campaign_leads cl WHERE cl.id = (SELECT id FROM dz WHERE n = 1)),
          '(sent,,"Hi there, see you Monday",0.0158,2,t)',
          'the sent campaign lead stays: sent, its message and cost, lead_id null');
SELECT is((SELECT row(cl.lead_name, cl.lead_phone)::text FROM campaign_leads cl WHERE cl.id = (SELECT id FROM dz WHERE n = 1)),
          (SELECT row(g.name, g.phone)::text FROM gone g WHERE g.n = 1),
          '... with the name and phone it was messaged at');
SELECT is((SELECT count(*)::int FROM processing_logs WHERE campaign_lead_id = (SELECT id FROM dz WHERE n = 1)), 1,
          '... and its log');
SELECT is((SELECT (s.sent, s.sms_segments, s.sms_cost)::text
             FROM smscamp_campaign_counts((SELECT id FROM k WHERE name = 'del')) s),
          (SELECT (b.sent, b.sms_segments, b.sms_cost)::text FROM before_counts b),
          'the campaign''s sent count, segments and cost are unchanged');
SELECT is((SELECT count(*)::int FROM campaign_leads WHERE id = (SELECT id FROM dz WHERE n = 2)), 0,
          'the never-started campaign lead is deleted with the lead');
SELECT is((SELECT count(*)::int FROM campaign_leads WHERE campaign_id = (SELECT id FROM k WHERE name = 'del_draft')), 0,
          '... and so is the draft''s');
SELECT is((SELECT cl.status || ' / ' || cl.error_message FROM campaign_leads cl WHERE cl.id = (SELECT id FROM dz WHERE n = 3)),
          'cancelled / Lead deleted before it was sent',
          'the one waiting for a retry stays (it has history), cancelled');
SELECT is((SELECT cl.status FROM campaign_leads cl WHERE cl.id = (SELECT id FROM dz WHERE n = 4)), 'skipped',
          'the skipped one stays skipped');
SELECT is((SELECT cl.status || '/' || coalesce(cl.claimed_by::text, '-') FROM campaign_leads cl
            WHERE cl.id = (SELECT id FROM dz WHERE n = 5)), 'cancelled/-',
          'the one a worker held is cancelled');
SELECT is((SELECT ok FROM smscamp_record_batch(jsonb_build_array(jsonb_build_object(
              'i', 1, 'k', 'log', 'id', (SELECT id FROM dz WHERE n = 5), 'body', 'Hi')))), false,
          '... so the worker cannot mark it sending');
SELECT is((SELECT count(*)::int FROM sms_outbox WHERE campaign_lead_id IN (SELECT id FROM dz)), 0,
          '... nothing is sent to a deleted lead');
SELECT is((SELECT (s.total_leads, s.unfinished, s.cancelled)::text
             FROM smscamp_campaign_counts((SELECT id FROM k WHERE name = 'del')) s),
          '(5,1,2)', 'the campaign: 5 leads left, 1 unfinished, 2 cancelled');
-- pending leads of a running campaign whose lead is gone are never claimed
UPDATE campaign_leads SET next_attempt_at = now() - interval '1 hour'
 WHERE id IN (SELECT id FROM dz WHERE n = 3);
CREATE TEMP TABLE claimed AS SELECT id FROM smscamp_claim(pg_backend_pid(), 100000);
SELECT ok(NOT EXISTS (SELECT FROM claimed WHERE id IN (SELECT id FROM dz WHERE n IN (2, 3, 5))),
          'no campaign lead of a deleted lead is claimed');
SELECT ok(EXISTS (SELECT FROM claimed WHERE id = (SELECT id FROM dz WHERE n = 6)),
          '... the lead that stays is');

-- the API shows them as deleted leads
CREATE TEMP TABLE dl AS SELECT pg_temp.route(format(
    $$SELECT * FROM api.campaigns_leads(%L, '{"limit": "500"}')$$, (SELECT id FROM k WHERE name = 'del'))) AS j;
SELECT is((SELECT (j ->> 'total')::int FROM dl), 5, 'GET /leads: 5 campaign leads');
SELECT is((SELECT jsonb_array_length(j -> 'items') FROM dl), 5, '... all listed, the deleted leads too');
SELECT is((SELECT jsonb_build_object('lead_id', x -> 'lead_id', 'lead_deleted', x -> 'lead_deleted', 'name', x -> 'name',
                                     'phone', x -> 'phone', 'status', x -> 'status', 'sms_message', x -> 'sms_message')
             FROM dl, jsonb_array_elements(j -> 'items') x WHERE (x ->> 'id')::bigint = (SELECT id FROM dz WHERE n = 1)),
          (SELECT jsonb_build_object('lead_id', NULL, 'lead_deleted', true, 'name', g.name, 'phone', g.phone,
                                     'status', 'sent', 'sms_message', 'Hi there, see you Monday') FROM gone g WHERE g.n = 1),
          'GET /leads: the sent one is a deleted lead, with its name, phone and message');
CREATE TEMP TABLE lg AS SELECT pg_temp.route(format(
    $$SELECT * FROM api.campaigns_logs(%L, '{"campaign_lead_id": "%s"}')$$,
    (SELECT id FROM k WHERE name = 'del'), (SELECT id FROM dz WHERE n = 1))) AS j;
SELECT is((SELECT (j #> '{items,0}') - ARRAY['id', 'created_at', 'metadata'] FROM lg),
          (SELECT jsonb_build_object('campaign_lead_id', (SELECT id FROM dz WHERE n = 1), 'lead_id', NULL,
                                     'lead_name', g.name, 'node_name', 'finalize', 'level', 'info',
                                     'message', 'Lead finished: sent') FROM gone g WHERE g.n = 1),
          'GET /logs: the deleted lead''s log stays, with the name it was messaged at');
INSERT INTO processing_logs (campaign_lead_id, level, node_name, message)
SELECT id, 'info', 'validate_lead', 'Lead validated' FROM fast WHERE n = 1;
SELECT is((SELECT x ->> 'lead_name' FROM jsonb_array_elements(pg_temp.route(format(
              $$SELECT * FROM api.campaigns_logs(%L, '{}')$$, (SELECT id FROM k WHERE name = 'fast'))) -> 'items') x),
          (SELECT l.name FROM fast f JOIN campaign_leads cl ON cl.id = f.id JOIN leads l ON l.id = cl.lead_id WHERE f.n = 1),
          'GET /logs: lead_name is the lead''s name');

------------------------------------------------------------------------------
-- the schema
------------------------------------------------------------------------------

SELECT is((SELECT confdeltype::text FROM pg_constraint
            WHERE conrelid = 'campaign_leads'::regclass AND conname = 'campaign_leads_lead_id_fkey'),
          'n', 'campaign_leads.lead_id: ON DELETE SET NULL');
SELECT is((SELECT count(*)::int FROM pg_constraint
            WHERE conrelid = 'campaign_leads'::regclass AND contype = 'f' AND confrelid = 'leads'::regclass),
          1, '... its only foreign key to leads');
SELECT col_is_null('campaign_leads', 'lead_id', 'campaign_leads.lead_id may be null');
SELECT throws_ok($$UPDATE campaign_leads SET lead_id = NULL WHERE id = (SELECT id FROM dz WHERE n = 6)$$,
                 '23514', NULL, 'a campaign lead without its lead must say whom it was for (lead_phone)');
SELECT lives_ok('SELECT smscamp_stats_rebuild()', 'a rebuild recounts');
SELECT is(pg_temp.stats((SELECT id FROM k WHERE name = 'slow')) -> 'rate' ->> 'average', '0.08',
          '... the send times too');
SELECT is_empty('SELECT * FROM smscamp_stats_diff()', 'at the end: counters == recount');

SELECT * FROM finish();
ROLLBACK;
