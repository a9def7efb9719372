-- The lifecycle functions shared by psql and the HTTP routes:
-- smscamp_start / pause / resume / cancel / schedule (sql/campaign_lifecycle.sql).
BEGIN;
SET client_min_messages = warning;
SELECT plan(68);

DELETE FROM leads WHERE phone LIKE '+4477009001%';
INSERT INTO leads (name, phone)
SELECT 'Lifecycle ' || i, '+4477009001' || lpad(i::text, 2, '0') FROM generate_series(0, 9) AS i;

-- a campaign (status, agent) with n of those leads, all pending
CREATE FUNCTION pg_temp.campaign(p_status text, p_leads integer DEFAULT 3,
                                 p_agent text DEFAULT 'sms') RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
BEGIN
    INSERT INTO campaigns (name, status, agent_type, sms_template)
    VALUES ('lifecycle ' || p_status, p_status, p_agent, 'Hi {first_name}, our spring sale starts Monday.') RETURNING id INTO v_id;
    INSERT INTO campaign_leads (campaign_id, lead_id)
    SELECT v_id, l.id FROM leads l WHERE l.phone LIKE '+4477009001%' ORDER BY l.id LIMIT p_leads;
    RETURN v_id;
END
$$;
CREATE FUNCTION pg_temp.status_of(p_id bigint) RETURNS text
LANGUAGE sql AS $$ SELECT status FROM campaigns WHERE id = p_id $$;
CREATE FUNCTION pg_temp.lead_statuses(p_id bigint) RETURNS text[]
LANGUAGE sql AS $$ SELECT array_agg(status ORDER BY id) FROM campaign_leads WHERE campaign_id = p_id $$;

SELECT has_function('smscamp_start', ARRAY['bigint'], 'smscamp_start(bigint) exists');
SELECT has_function('smscamp_pause', ARRAY['bigint'], 'smscamp_pause(bigint) exists');
SELECT has_function('smscamp_resume', ARRAY['bigint'], 'smscamp_resume(bigint) exists');
SELECT has_function('smscamp_cancel', ARRAY['bigint'], 'smscamp_cancel(bigint) exists');
SELECT has_function('smscamp_schedule', ARRAY['bigint', 'timestamp with time zone'],
                    'smscamp_schedule(bigint, timestamptz) exists');

------------------------------------------------------------------------------
-- start
------------------------------------------------------------------------------
CREATE TEMP TABLE c AS SELECT pg_temp.campaign('draft') AS id;
UPDATE campaigns SET consecutive_send_errors = 4, scheduled_at = now() + interval '1 day'
 WHERE id = (SELECT id FROM c);
CREATE TEMP TABLE started AS SELECT smscamp_start((SELECT id FROM c))::jsonb AS j;
SELECT is((SELECT j ->> 'status' FROM started), 'pending', 'start: the returned campaign is pending');
SELECT is(pg_temp.status_of((SELECT id FROM c)), 'pending', 'start: draft -> pending in the table');
SELECT is((SELECT consecutive_send_errors FROM campaigns WHERE id = (SELECT id FROM c)), 0,
          'start: consecutive_send_errors reset');
SELECT is((SELECT scheduled_at FROM campaigns WHERE id = (SELECT id FROM c)), NULL,
          'start: scheduled_at cleared');
SELECT is((SELECT (j -> 'stats' ->> 'total_leads')::int FROM started), 3,
          'start: the returned stats count the leads');
SELECT is(pg_temp.lead_statuses((SELECT id FROM c)), ARRAY['pending', 'pending', 'pending'],
          'start: the leads stay pending for the workers');
SELECT set_eq($$SELECT jsonb_object_keys(j) FROM started$$,
    ARRAY['id', 'name', 'description', 'agent_type', 'status', 'sms_system_prompt',
          'sms_template', 'sender_name', 'reply_mode', 'reply_prompt', 'require_consent',
          'voice_system_prompt', 'voice_temperature', 'calls_per_second',
          'call_delay_seconds', 'call_if_no_reply',
          'sms_temperature',
          'messages_per_second', 'send_window', 'max_send_errors', 'max_filtered',
          'paused_reason', 'exclude_messaged_within_hours', 'sender_ids', 'senders',
          'send_rate', 'eta_seconds',
          'scheduled_at', 'stats', 'created_at', 'updated_at', 'started_at', 'completed_at'],
    'the campaign JSON has the documented keys');
SELECT set_eq($$SELECT jsonb_object_keys(j -> 'stats') FROM started$$,
    ARRAY['total_leads', 'leads_by_status', 'total_messages_sent', 'total_messages_failed',
          'total_messages_pending', 'total_segments', 'total_cost', 'success_rate', 'progress',
          'processed', 'rate', 'waiting', 'replies', 'reply_rate', 'opt_outs',
          'error_codes', 'error_code_descriptions', 'filtered', 'calls',
          'started_at', 'completed_at'],
    'its stats have the documented keys');
SELECT set_eq($$SELECT jsonb_object_keys(j -> 'stats' -> 'leads_by_status') FROM started$$,
    ARRAY['pending', 'processing', 'sending', 'sent', 'delivered', 'undelivered', 'failed',
          'skipped', 'cancelled', 'unknown'],
    'leads_by_status has every campaign-lead status');

-- refused transitions: each a 409 (SC409) with its message
CREATE FUNCTION pg_temp.refused(p_fn text, p_id bigint, p_pattern text, p_what text)
RETURNS SETOF text
LANGUAGE sql AS $$
SELECT throws_ok(format('SELECT %s(%s)', p_fn, p_id), 'SC409', NULL, p_what || ': SC409')
UNION ALL
SELECT throws_matching(format('SELECT %s(%s)', p_fn, p_id), p_pattern, p_what || ': ' || p_pattern)
$$;

SELECT t FROM (VALUES
    ('smscamp_start', (SELECT id FROM c), 'Cannot start a campaign that is pending', 'start of a pending campaign'),
    ('smscamp_start', pg_temp.campaign('processing'), 'Cannot start a campaign that is processing', 'start of a processing campaign'),
    ('smscamp_start', pg_temp.campaign('completed'), 'Cannot start a campaign that is completed', 'start of a completed campaign'),
    ('smscamp_start', pg_temp.campaign('scheduled'), 'Cannot start a campaign that is scheduled', 'start of a scheduled campaign'),
    ('smscamp_start', pg_temp.campaign('draft', 0), 'Cannot start campaign \d+: it has no leads', 'start of a campaign without leads'),
    ('smscamp_start', pg_temp.campaign('draft', 0, 'voice'), 'Cannot start campaign \d+: it has no leads', 'start of a voice campaign without leads'),
    ('smscamp_pause', pg_temp.campaign('draft'), 'Cannot pause a campaign that is draft', 'pause of a draft'),
    ('smscamp_pause', pg_temp.campaign('paused'), 'Cannot pause a campaign that is paused', 'pause of a paused campaign'),
    ('smscamp_resume', pg_temp.campaign('draft'), 'Cannot resume a campaign that is draft', 'resume of a draft (draft -> pending is start)'),
    ('smscamp_resume', pg_temp.campaign('processing'), 'Cannot resume a campaign that is processing', 'resume of a processing campaign')
) AS r(fn, id, pattern, what), LATERAL pg_temp.refused(r.fn, r.id, r.pattern, r.what) AS t;

SELECT lives_ok(format('SELECT smscamp_start(%s)', pg_temp.campaign('draft', 2, 'both')),
    'a "both" campaign starts (its SMS part runs)');
SELECT lives_ok(format('SELECT smscamp_start(%s)', pg_temp.campaign('draft', 2, 'voice')),
    'a voice campaign starts');
SELECT throws_ok('SELECT smscamp_start(-5)', 'SC404', '{"detail": "Campaign -5 not found"}',
    'start of a missing campaign: SC404 "Campaign -5 not found"');

------------------------------------------------------------------------------
-- pause / resume
------------------------------------------------------------------------------

CREATE TEMP TABLE p AS SELECT pg_temp.campaign('processing') AS id;
UPDATE campaign_leads SET status = 'processing'
 WHERE id = (SELECT min(id) FROM campaign_leads WHERE campaign_id = (SELECT id FROM p));
SELECT is(smscamp_pause((SELECT id FROM p))::jsonb ->> 'status', 'paused',
          'pause: processing -> paused');
SELECT is(pg_temp.lead_statuses((SELECT id FROM p)), ARRAY['processing', 'pending', 'pending'],
          'pause: unsent leads stay pending (a worker puts back what it holds)');
SELECT lives_ok(format('SELECT smscamp_pause(%s)', pg_temp.campaign('pending')),
                'pause: pending -> paused');

UPDATE campaigns SET consecutive_send_errors = 10 WHERE id = (SELECT id FROM p);
SELECT is(smscamp_resume((SELECT id FROM p))::jsonb ->> 'status', 'pending',
          'resume: paused -> pending');
SELECT is((SELECT consecutive_send_errors FROM campaigns WHERE id = (SELECT id FROM p)), 0,
          'resume: a fresh budget of consecutive send errors');
SELECT is(smscamp_start(pg_temp.campaign('paused'))::jsonb ->> 'status', 'pending',
          'start of a paused campaign resumes it');

------------------------------------------------------------------------------
-- cancel
------------------------------------------------------------------------------
CREATE TEMP TABLE k AS SELECT pg_temp.campaign('processing', 6) AS id;
UPDATE campaign_leads cl SET status = x.s
  FROM (SELECT id, (ARRAY['pending', 'processing', 'sending', 'sent', 'skipped', 'failed'])[
               row_number() OVER (ORDER BY id)] AS s
          FROM campaign_leads WHERE campaign_id = (SELECT id FROM k)) AS x
 WHERE cl.id = x.id;
CREATE TEMP TABLE cancelled AS SELECT smscamp_cancel((SELECT id FROM k))::jsonb AS j;
SELECT is((SELECT j ->> 'status' FROM cancelled), 'cancelled', 'cancel: processing -> cancelled');
SELECT is(pg_temp.lead_statuses((SELECT id FROM k)),
          ARRAY['cancelled', 'cancelled', 'sending', 'sent', 'skipped', 'failed'],
          'cancel: pending and processing leads cancelled; sending/finished ones untouched');
SELECT isnt((SELECT completed_at FROM campaigns WHERE id = (SELECT id FROM k)), NULL,
            'cancel: completed_at set');
SELECT is((SELECT (j -> 'stats' -> 'leads_by_status' ->> 'cancelled')::int FROM cancelled), 2,
          'cancel: the returned stats count the cancelled leads');
SELECT is((SELECT count(*)::int FROM campaign_leads
            WHERE campaign_id = (SELECT id FROM k) AND status = 'cancelled'
              AND processed_at IS NOT NULL AND error_message IS NOT NULL), 2,
          'cancelled leads get processed_at and an explanation');

SELECT lives_ok(format('SELECT smscamp_cancel(%s)', pg_temp.campaign('pending')), 'cancel: pending');
SELECT lives_ok(format('SELECT smscamp_cancel(%s)', pg_temp.campaign('paused')), 'cancel: paused');
SELECT lives_ok(format('SELECT smscamp_cancel(%s)', pg_temp.campaign('scheduled')), 'cancel: scheduled');
CREATE TEMP TABLE d AS SELECT pg_temp.campaign('draft') AS id;
SELECT throws_matching(format('SELECT smscamp_cancel(%s)', (SELECT id FROM d)),
    'Cannot cancel a campaign that is draft', 'cancel of a draft: 409');
SELECT is(pg_temp.lead_statuses((SELECT id FROM d)), ARRAY['pending', 'pending', 'pending'],
          '... and its leads are unchanged');
SELECT throws_matching(format('SELECT smscamp_cancel(%s)', pg_temp.campaign('completed')),
    'Cannot cancel a campaign that is completed', 'cancel of a completed campaign: 409');
SELECT throws_ok('SELECT smscamp_cancel(-5)', 'SC404', NULL, 'cancel of a missing campaign: SC404');

------------------------------------------------------------------------------
-- schedule
------------------------------------------------------------------------------
CREATE TEMP TABLE s AS SELECT pg_temp.campaign('draft') AS id;
SELECT is(smscamp_schedule((SELECT id FROM s), now() + interval '2 hours')::jsonb ->> 'status',
          'scheduled', 'schedule: draft -> scheduled');
SELECT is((SELECT scheduled_at FROM campaigns WHERE id = (SELECT id FROM s)),
          now() + interval '2 hours', 'schedule: scheduled_at stored');
SELECT lives_ok(format('SELECT smscamp_schedule(%s, now() + interval ''3 hours'')', (SELECT id FROM s)),
                'a scheduled campaign can get a new time');
SELECT throws_ok(format('SELECT smscamp_schedule(%s, now() - interval ''1 minute'')', pg_temp.campaign('draft')),
    'SC422', NULL, 'schedule in the past: SC422');
SELECT throws_matching(format('SELECT smscamp_schedule(%s, now() + interval ''1 day'')', pg_temp.campaign('processing')),
    'Cannot schedule a campaign that is processing', 'schedule of a processing campaign: 409');
SELECT throws_matching(format('SELECT smscamp_schedule(%s, now() + interval ''1 day'')', pg_temp.campaign('draft', 0)),
    'Cannot schedule campaign \d+: it has no leads', 'schedule of a campaign without leads: 409');
SELECT is(smscamp_schedule((SELECT id FROM s), NULL)::jsonb ->> 'status', 'draft',
          'schedule(NULL): scheduled -> draft');
SELECT throws_matching(format('SELECT smscamp_schedule(%s, NULL)', (SELECT id FROM s)),
    'Cannot unschedule a campaign that is draft', 'schedule(NULL) of a draft: 409');

-- the housekeeping (pg_cron) starts scheduled campaigns whose time has come
SELECT lives_ok(format('SELECT smscamp_schedule(%s, now() + interval ''1 hour'')', (SELECT id FROM s)),
                'scheduled again, for in an hour');
UPDATE campaigns SET scheduled_at = now() - interval '1 second' WHERE id = (SELECT id FROM s);
SELECT smscamp_housekeeping();
SELECT is(pg_temp.status_of((SELECT id FROM s)), 'pending',
          'housekeeping: a scheduled campaign whose time came is pending');

-- psql and HTTP share the code path: the route answers what the function does
CREATE TEMP TABLE r AS SELECT * FROM api.campaigns_pause((SELECT id FROM s)::text);
SELECT is((SELECT status FROM r), 200, 'api.campaigns_pause answers 200');
SELECT is((SELECT body::jsonb ->> 'status' FROM r), 'paused', '... with the paused campaign');
SELECT is((SELECT status FROM api.campaigns_start((SELECT id FROM s)::text)), 202,
          'api.campaigns_start answers 202');

SELECT * FROM finish();
ROLLBACK;
