-- Senders (sql/senders.sql, sql/api/senders.sql): the pacing arithmetic of
-- the workers (smscamp_pacing_schedule, pg_extension/shmem.c), the routes,
-- the pools and the sticky pick; a campaign's sender_ids, rate and ETA; the
-- frequency caps; the provider's error codes acted on (21610, 21211, 21614,
-- 30007 and max_filtered).  One transaction, rolled back: the workers never
-- see these rows.
BEGIN;
SET client_min_messages = warning;
SELECT plan(62);

SET LOCAL smscamp.twilio_auth_token = 'tok-sql-test';
\ir lib/err.sql
\ir lib/route.sql
\ir lib/webhook.sql
\ir lib/free_phone.sql
\ir lib/campaign_in.sql

-- the tests own the senders table for the transaction
DELETE FROM senders;

------------------------------------------------------------------------------
-- the pacing arithmetic: a message of n segments takes its sender's next
-- n / segments_per_second seconds
------------------------------------------------------------------------------
SELECT is(smscamp_pacing_schedule('{1,1,1}', 1), '{0,1,2}'::float8[],
          '1 segment/s: one-segment messages a second apart');
SELECT is(smscamp_pacing_schedule('{3,1,2,1}', 1), '{0,3,4,6}'::float8[],
          'a 3-segment message on a 1 segment/s long code takes its next 3 seconds');
SELECT is((SELECT array_agg(round(x::numeric, 3)) FROM unnest(smscamp_pacing_schedule('{1,1,1,2}', 3)) x),
          '{0,0.333,0.667,1.000}'::numeric[], 'toll-free, 3 segments/s');
SELECT is(smscamp_pacing_schedule('{1,1,1}', 100, 2), '{0,0.5,1}'::float8[],
          'a short code under a campaign cap of 2 messages/s: the cap holds');
SELECT is(smscamp_pacing_schedule('{2,2,2}', 1, 10), '{0,2,4}'::float8[],
          '... and the sender''s segments hold under a looser cap');
SELECT is(pg_temp.err($$SELECT smscamp_pacing_schedule('{1}', 0)$$) ->> 'state', '22023',
          'a rate of 0 is refused');

------------------------------------------------------------------------------
-- the routes
------------------------------------------------------------------------------
CREATE TEMP TABLE s (name text PRIMARY KEY, j jsonb);
INSERT INTO s SELECT 'long', pg_temp.route($$SELECT * FROM api.senders_create('{"phone": "+1 (212) 555-0181", "kind": "long_code", "name": "NY line"}')$$);
INSERT INTO s SELECT 'toll', pg_temp.route($$SELECT * FROM api.senders_create('{"phone": "+18885550182", "kind": "toll_free"}')$$);
INSERT INTO s SELECT 'short', pg_temp.route($$SELECT * FROM api.senders_create('{"phone": "12345", "kind": "short_code"}')$$);
INSERT INTO s SELECT 'alpha', pg_temp.route($$SELECT * FROM api.senders_create('{"phone": "ACME", "kind": "alphanumeric"}')$$);
INSERT INTO s SELECT 'mg', pg_temp.route($$SELECT * FROM api.senders_create('{"messaging_service_sid": "MG0123456789ABCDEF0123456789abcdef", "segments_per_second": 25}')$$);
SELECT is((SELECT j - '{id,created_at,updated_at}'::text[] FROM s WHERE name = 'long'),
          '{"name": "NY line", "label": "NY line", "phone": "+12125550181", "kind": "long_code",
            "messaging_service_sid": null, "segments_per_second": 1, "active": true, "_status": 201}',
          'POST a long code: 201, the phone in E.164, 1 segment/s by default');
SELECT is((SELECT array_agg(j ->> 'segments_per_second' ORDER BY name) FROM s),
          '{10,1,25,100,3}', 'default rates: alphanumeric 10, a short code 100, toll-free 3; a rate as given');
SELECT is((SELECT j ->> 'messaging_service_sid' FROM s WHERE name = 'mg') || ' ' || (SELECT j ->> 'kind' FROM s WHERE name = 'mg'),
          'MG0123456789abcdef0123456789abcdef messaging_service', 'a messaging service: its SID, kind messaging_service');
SELECT is((SELECT j ->> 'label' FROM s WHERE name = 'toll'), '+18885550182', 'no name: the label is the number');
SELECT is(pg_temp.err($$SELECT * FROM api.senders_create('{"phone": "+18885550182", "kind": "toll_free"}')$$) ->> 'state',
          'SC409', 'the same number again: 409');
SELECT is((SELECT array_agg(e ->> 'loc' ORDER BY e ->> 'loc') FROM jsonb_array_elements(
              pg_temp.err($$SELECT * FROM api.senders_create('{"phone": "+1212", "kind": "long_code", "segments_per_second": 0}')$$)
              #> '{body,detail}') e),
          '{"[\"body\", \"phone\"]","[\"body\", \"segments_per_second\"]"}', 'a bad phone and a rate of 0: 422 on both');
SELECT is(pg_temp.err($$SELECT * FROM api.senders_create('{"phone": "TOO LONG NAME", "kind": "alphanumeric"}')$$) ->> 'state',
          'SC422', 'an alphanumeric ID over 11 characters: 422');
SELECT is(pg_temp.err($$SELECT * FROM api.senders_create('{"phone": "+12125550199"}')$$) #>> '{body,detail,0,loc}',
          '["body", "kind"]', 'a phone without its kind: 422');
SELECT is(pg_temp.err($$SELECT * FROM api.senders_create('{"messaging_service_sid": "MGxyz"}')$$) #>> '{body,detail,0,type}',
          'string_pattern_mismatch', 'a malformed messaging service SID: 422');
SELECT is(pg_temp.err($$SELECT * FROM api.senders_create('{"phone": "+12125550199", "kind": "long_code", "messaging_service_sid": "MG0123456789abcdef0123456789abcdef"}')$$) ->> 'state',
          'SC422', 'a phone and a messaging service at once: 422');
SELECT is(pg_temp.route(format($$SELECT * FROM api.senders_update(%L, '{"kind": "toll_free"}')$$,
                               (SELECT j ->> 'id' FROM s WHERE name = 'long'))) ->> 'segments_per_second',
          '3', 'PUT a new kind without a rate: the kind''s rate');
SELECT is(pg_temp.route(format($$SELECT * FROM api.senders_update(%L, '{"kind": "long_code", "segments_per_second": 1, "active": false}')$$,
                               (SELECT j ->> 'id' FROM s WHERE name = 'long'))) - '{id,created_at,updated_at}'::text[],
          '{"name": "NY line", "label": "NY line", "phone": "+12125550181", "kind": "long_code",
            "messaging_service_sid": null, "segments_per_second": 1, "active": false, "_status": 200}',
          'PUT: the fields given change, the others stay');
UPDATE senders SET active = true;
SELECT is((pg_temp.route('SELECT * FROM api.senders_list()')) ->> 'total', '5', 'GET /api/senders: all of them');
SELECT is(pg_temp.err($$SELECT * FROM api.senders_get('999999999')$$) ->> 'state', 'SC404', 'GET an unknown sender: 404');
SELECT is(pg_temp.route(format('SELECT * FROM api.senders_delete(%L)', (SELECT j ->> 'id' FROM s WHERE name = 'short'))) ->> '_status',
          '204', 'DELETE: 204');
SELECT is(pg_temp.err(format('SELECT * FROM api.senders_delete(%L)', (SELECT j ->> 'id' FROM s WHERE name = 'short'))) ->> 'state',
          'SC404', '... and 404 the second time');

------------------------------------------------------------------------------
-- pools and the pick
------------------------------------------------------------------------------
CREATE TEMP TABLE sid AS
SELECT (SELECT (j ->> 'id')::bigint FROM s WHERE name = 'long') AS long,
       (SELECT (j ->> 'id')::bigint FROM s WHERE name = 'toll') AS toll,
       (SELECT (j ->> 'id')::bigint FROM s WHERE name = 'alpha') AS alpha,
       (SELECT (j ->> 'id')::bigint FROM s WHERE name = 'mg') AS mg;
SELECT is(smscamp_sender_pool(NULL), (SELECT ARRAY[long, toll, alpha, mg] FROM sid),
          'no sender_ids: every active sender');
SELECT is(smscamp_sender_pool((SELECT ARRAY[toll, 999999] FROM sid)), (SELECT ARRAY[toll] FROM sid),
          'sender_ids: those that exist and are active');
SELECT is((SELECT count(DISTINCT smscamp_pick_sender((SELECT ARRAY[long, toll] FROM sid), '+4477009040' || lpad(g::text, 2, '0')))
             FROM generate_series(1, 10) g)::int, 2, 'new phones are spread over the pool');
SELECT is((SELECT array_agg(DISTINCT smscamp_pick_sender((SELECT ARRAY[alpha] FROM sid), '+1312700' || lpad(g::text, 4, '0')))
             FROM generate_series(1, 5) g), '{NULL}'::bigint[], 'an alphanumeric ID never messages a +1 number');
SELECT is(smscamp_pick_sender((SELECT ARRAY[alpha] FROM sid), '+447700904099'), (SELECT alpha FROM sid),
          '... but does message a UK number');
INSERT INTO messages (phone, direction, body, kind, status, sender_id)
SELECT '+447700904050', 'outbound', 'earlier', 'reply', 'sent', toll FROM sid;
SELECT is((SELECT array_agg(DISTINCT smscamp_pick_sender((SELECT ARRAY[long, toll] FROM sid), '+447700904050'))
             FROM generate_series(1, 6)), (SELECT ARRAY[toll] FROM sid),
          'sticky: a phone gets the sender it last heard from, every time');
SELECT is(smscamp_pick_sender((SELECT ARRAY[long] FROM sid), '+447700904050'), (SELECT long FROM sid),
          '... unless that sender is not in the pool');
SELECT is(smscamp_no_sender_reason((SELECT ARRAY[alpha] FROM sid), '+13127009999'),
          'no sender of the campaign can reach this number (an alphanumeric sender cannot send to US or Canadian numbers)',
          'the reason a +1 lead of an alphanumeric-only campaign is skipped');

------------------------------------------------------------------------------
-- a campaign's senders, rate and ETA
------------------------------------------------------------------------------
CREATE TEMP TABLE c AS SELECT pg_temp.route(format(
    $$SELECT * FROM api.campaigns_create('{"name": "paced", "sms_template": "Hi {first_name}", "sender_ids": [%s, %s, %s]}')$$,
    (SELECT toll FROM sid), (SELECT long FROM sid), (SELECT long FROM sid))) AS j;
SELECT is((SELECT j -> 'sender_ids' FROM c), (SELECT jsonb_build_array(long, toll) FROM sid),
          'sender_ids: stored once each, in id order');
SELECT is((SELECT jsonb_path_query_array(j, '$.senders[*].segments_per_second') FROM c), '[1, 3]',
          'senders: the pool with its rates');
SELECT is((SELECT j -> 'send_rate' FROM c),
          '{"segments_per_second": 4, "messages_per_second": null, "effective_messages_per_second": 4.000, "limited_by": "senders"}',
          'send_rate: the pool''s 4 segments/s');
SELECT is(pg_temp.err($$SELECT * FROM api.campaigns_create('{"name": "x", "sender_ids": [999999]}')$$) #>> '{body,detail,0,msg}',
          'No sender with id 999999 (GET /api/senders lists them)', 'an unknown sender id: 422');
SELECT is(pg_temp.err($$SELECT * FROM api.campaigns_create('{"name": "x", "sender_ids": []}')$$) ->> 'state',
          'SC422', 'an empty sender_ids: 422 (null is every sender)');
INSERT INTO leads (name, phone) SELECT 'Paced ' || g, '+4477009041' || lpad(g::text, 2, '0') FROM generate_series(1, 40) g;
INSERT INTO campaign_leads (campaign_id, lead_id)
SELECT (SELECT (j ->> 'id')::bigint FROM c), l.id FROM leads l WHERE l.phone LIKE '+4477009041%';
SELECT is((smscamp_campaign_json((SELECT (j ->> 'id')::bigint FROM c)) ->> 'eta_seconds')::int, 10,
          'eta_seconds: 40 leads at 4 segments/s');
UPDATE campaigns SET messages_per_second = 2 WHERE id = (SELECT (j ->> 'id')::bigint FROM c);
SELECT is((smscamp_campaign_json((SELECT (j ->> 'id')::bigint FROM c)) -> 'send_rate' ->> 'limited_by') || ' '
          || (smscamp_campaign_json((SELECT (j ->> 'id')::bigint FROM c)) ->> 'eta_seconds'),
          'campaign 20', '... a tighter campaign cap limits it instead');

-- the claim picks the sender; the context carries it
UPDATE campaigns SET status = 'pending' WHERE id = (SELECT (j ->> 'id')::bigint FROM c);
SELECT smscamp_claim_one(min(id)) FROM campaign_leads WHERE campaign_id = (SELECT (j ->> 'id')::bigint FROM c);
SELECT ok((SELECT sender_id = ANY (ARRAY[(SELECT long FROM sid), (SELECT toll FROM sid)])
             FROM campaign_leads WHERE id = (SELECT min(id) FROM campaign_leads WHERE campaign_id = (SELECT (j ->> 'id')::bigint FROM c))),
          'a claimed lead has a sender of its campaign''s pool');
SELECT is((SELECT smscamp_lead_context(min(id)) -> 'sender' -> 'segments_per_second' FROM campaign_leads
            WHERE campaign_id = (SELECT (j ->> 'id')::bigint FROM c))::text IN ('1', '3'), true,
          '... and its context says who sends it and at what rate');

SELECT is(smscamp_claim_room(x, smscamp_sender_pool(x.sender_ids), 100), 19,
          'claim room: 10 s of the slower of 4 segments/s and the cap of 2/s, less the lead claimed')
  FROM campaigns x WHERE x.id = (SELECT (j ->> 'id')::bigint FROM c);
UPDATE campaigns SET messages_per_second = 0 WHERE id = (SELECT (j ->> 'id')::bigint FROM c);
SELECT is(smscamp_claim_room(x, '{}', 100), 100, '... an unpaced campaign: the claim''s limit')
  FROM campaigns x WHERE x.id = (SELECT (j ->> 'id')::bigint FROM c);

-- none of the named senders active: the campaign pauses itself at the claim
UPDATE campaigns SET status = 'processing' WHERE id = (SELECT (j ->> 'id')::bigint FROM c);
UPDATE senders SET active = false WHERE id IN (SELECT long FROM sid UNION SELECT toll FROM sid);
SELECT count(*) FROM smscamp_claim(0, 1);
SELECT is((SELECT status || ': ' || paused_reason FROM campaigns WHERE id = (SELECT (j ->> 'id')::bigint FROM c)),
          'paused: None of the campaign''s senders is active', 'no active sender named: paused, saying why');
UPDATE senders SET active = true;
SELECT is(smscamp_resume((SELECT (j ->> 'id')::bigint FROM c)) ->> 'paused_reason', NULL,
          'resumed: the reason goes');

------------------------------------------------------------------------------
-- frequency caps and the phone's status: skipped with the reason
------------------------------------------------------------------------------
INSERT INTO leads (name, phone) VALUES ('Capped Cal', '+447700904301');
CREATE TEMP TABLE f AS
SELECT pg_temp.campaign_in('draft', 'caps', 'Spring sale Monday!', NULL) AS cid,
       (SELECT id FROM leads WHERE phone = '+447700904301') AS lead;
UPDATE campaigns SET exclude_messaged_within_hours = 24 WHERE id = (SELECT cid FROM f);
INSERT INTO campaign_leads (campaign_id, lead_id) SELECT cid, lead FROM f;
INSERT INTO messages (lead_id, phone, direction, body, kind, status, created_at)
SELECT lead, '+447700904301', 'outbound', 'yesterday''s', 'campaign', 'sent', now() - interval '3 hours' FROM f;
SELECT is(smscamp_lead_context((SELECT id FROM campaign_leads WHERE campaign_id = (SELECT cid FROM f))) ->> 'skip_reason',
          'messaged by a campaign in the last 24 hours (the campaign''s exclude_messaged_within_hours)',
          'exclude_messaged_within_hours: a lead messaged 3 hours ago is skipped');
UPDATE campaigns SET exclude_messaged_within_hours = 2 WHERE id = (SELECT cid FROM f);
SELECT is(smscamp_lead_context((SELECT id FROM campaign_leads WHERE campaign_id = (SELECT cid FROM f))) ->> 'skip_reason',
          NULL, '... not with a window of 2 hours');
SET LOCAL smscamp.max_messages_per_lead_per_day = 1;
SELECT is(smscamp_lead_context((SELECT id FROM campaign_leads WHERE campaign_id = (SELECT cid FROM f))) ->> 'skip_reason',
          'already sent 1 campaign messages in the last 24 hours (smscamp.max_messages_per_lead_per_day)',
          'max_messages_per_lead_per_day 1: a second campaign message that day is skipped');
SET LOCAL smscamp.max_messages_per_lead_per_day = 2;
SELECT is(smscamp_lead_context((SELECT id FROM campaign_leads WHERE campaign_id = (SELECT cid FROM f))) ->> 'skip_reason',
          NULL, '... not with a cap of 2');
INSERT INTO messages (lead_id, phone, direction, body, kind, status, created_at)
SELECT lead, '+447700904301', 'outbound', 'a reply', 'reply', 'sent', now() FROM f;
SELECT is(smscamp_lead_context((SELECT id FROM campaign_leads WHERE campaign_id = (SELECT cid FROM f))) ->> 'skip_reason',
          NULL, '... replies never count');
SET LOCAL smscamp.max_messages_per_lead_per_day = 0;
SELECT is(smscamp_validate_lead((SELECT id FROM campaign_leads WHERE campaign_id = (SELECT cid FROM f))) ->> 'passed',
          'true', 'without caps the lead passes validate_lead');

------------------------------------------------------------------------------
-- provider error codes
------------------------------------------------------------------------------
CREATE TEMP TABLE e AS
SELECT pg_temp.campaign_in('processing', 'errors', 'Spring sale Monday!', NULL) AS cid;
INSERT INTO leads (name, phone) SELECT 'Err ' || g, '+4477009042' || lpad(g::text, 2, '0') FROM generate_series(1, 8) g;
INSERT INTO campaign_leads (campaign_id, lead_id, status, attempts, sms_message, sms_segments, sms_sid)
SELECT (SELECT cid FROM e), l.id, 'pending', 0, 'Hi', 1, NULL FROM leads l WHERE l.phone LIKE '+4477009042%' ORDER BY l.id;
UPDATE campaign_leads SET status = 'processing', attempts = 1 WHERE campaign_id = (SELECT cid FROM e);
UPDATE campaign_leads SET status = 'sending' WHERE campaign_id = (SELECT cid FROM e);
CREATE FUNCTION pg_temp.cl(n integer) RETURNS bigint LANGUAGE sql AS $$
    SELECT id FROM campaign_leads WHERE campaign_id = (SELECT cid FROM e) ORDER BY id OFFSET n - 1 LIMIT 1 $$;
CREATE FUNCTION pg_temp.refused(i integer, n integer, code integer) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_object('i', i, 'k', 'send', 'id', pg_temp.cl(n), 'outcome', 'failed',
                              'error', format('SMS provider refused the message (HTTP 400, code %s)', code),
                              'level', 'error', 'msg', 'refused',
                              'meta', jsonb_build_object('outcome', 'failed', 'error_code', code)) $$;
SELECT count(*) FROM smscamp_record_batch(jsonb_build_array(
    pg_temp.refused(1, 1, 21610), pg_temp.refused(2, 2, 21211), pg_temp.refused(3, 3, 21614)));
SELECT is((SELECT source FROM opt_outs WHERE phone = '+447700904201'), 'carrier',
          '21610: the phone is on the suppression list, source carrier');
SELECT is((SELECT status || ' ' || error_code FROM campaign_leads WHERE id = pg_temp.cl(1)), 'failed 21610',
          '... the send failed with its code, never retried');
SELECT is((SELECT array_agg(phone_status ORDER BY phone) FROM leads WHERE phone IN ('+447700904202', '+447700904203')),
          '{invalid,not_mobile}', '21211 and 21614: the lead''s phone_status');
SELECT ok(EXISTS (SELECT FROM processing_logs WHERE campaign_lead_id = pg_temp.cl(2)
                                               AND message ~ 'later campaigns skip it'),
          '... logged on the campaign lead');
INSERT INTO campaign_leads (campaign_id, lead_id)
SELECT cid, (SELECT id FROM leads WHERE phone = '+447700904202') FROM f;
SELECT is(smscamp_lead_context((SELECT id FROM campaign_leads WHERE campaign_id = (SELECT cid FROM f)
                                   AND lead_id = (SELECT id FROM leads WHERE phone = '+447700904202'))) ->> 'skip_reason',
          'the provider reported the phone invalid (error 21211)', 'a later campaign skips the invalid phone, saying why');
UPDATE leads SET phone = '+447700904299' WHERE phone = '+447700904202';
SELECT is((SELECT phone_status FROM leads WHERE phone = '+447700904299'), NULL, 'a new phone clears phone_status');

-- delivery callbacks: 30007 counted, past max_filtered the campaign pauses itself
UPDATE campaigns SET max_filtered = 2 WHERE id = (SELECT cid FROM e);
UPDATE campaign_leads SET status = 'sent', sms_sent = true, sms_sid = 'SMerr' || id
 WHERE campaign_id = (SELECT cid FROM e) AND status = 'sending';
SELECT pg_temp.status_cb(format('MessageSid=SMerr%s&MessageStatus=undelivered&ErrorCode=30007', pg_temp.cl(n)))
  FROM generate_series(4, 5) n;
SELECT is((SELECT status FROM campaigns WHERE id = (SELECT cid FROM e)), 'processing',
          'two filtered messages with max_filtered 2: still sending');
SELECT is((SELECT error_code FROM campaign_leads WHERE id = pg_temp.cl(4)), 30007, 'the delivery error code is stored');
SELECT is((SELECT error_message FROM campaign_leads WHERE id = pg_temp.cl(4)),
          'SMS undelivered (provider status callback, error code 30007: Message filtered by the carrier)',
          '... with what it means');
SELECT pg_temp.status_cb(format('MessageSid=SMerr%s&MessageStatus=undelivered&ErrorCode=30007', pg_temp.cl(6)));
SELECT pg_temp.status_cb(format('MessageSid=SMerr%s&MessageStatus=undelivered&ErrorCode=30007', pg_temp.cl(6)));
SELECT is((SELECT status || ': ' || paused_reason FROM campaigns WHERE id = (SELECT cid FROM e)),
          'paused: Campaign paused after 3 messages were filtered by the carriers (error 30007), more than its max_filtered (2): the carriers are blocking its content',
          'the third (a repeated callback not counted twice): paused, saying why');
SELECT pg_temp.status_cb(format('MessageSid=SMerr%s&MessageStatus=failed&ErrorCode=30003', pg_temp.cl(7)));
SELECT pg_temp.status_cb(format('MessageSid=SMerr%s&MessageStatus=undelivered&ErrorCode=<script>', pg_temp.cl(8)));
SELECT is((smscamp_campaign_json((SELECT cid FROM e)) -> 'stats' -> 'error_codes')::jsonb,
          '{"21211": 1, "21610": 1, "21614": 1, "30003": 1, "30007": 3}'::jsonb,
          'stats: counts per error code (a code that is no number is not counted)');
SELECT is(smscamp_campaign_json((SELECT cid FROM e)) -> 'stats' -> 'error_code_descriptions' ->> '30007',
          'Message filtered by the carrier', '... with what each means');
SELECT pg_temp.status_cb(format('MessageSid=SMerr%s&MessageStatus=undelivered&ErrorCode=21610', pg_temp.cl(8)));
SELECT is((SELECT source FROM opt_outs WHERE phone = '+447700904208'), NULL,
          'a callback for a lead already undelivered changes nothing');

SELECT * FROM finish();
ROLLBACK;
