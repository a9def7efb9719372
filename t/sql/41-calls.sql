-- Voice campaigns (sql/calls.sql, pg_extension/script.c): the script's
-- guardrails, a voice lead through the nodes with the log provider (the
-- script written offline, call_outbox, the campaign lead sent), the voice
-- status callback (signed, forward only, every CallStatus, the campaign
-- lead's status), a campaign's call figures and the preview.  One
-- transaction, rolled back.
BEGIN;
SET client_min_messages = warning;
SELECT plan(69);

SET LOCAL smscamp.twilio_auth_token = 'tok-sql-test';
\ir lib/err.sql
\ir lib/route.sql
\ir lib/webhook.sql
\ir lib/free_phone.sql

------------------------------------------------------------------------------
-- the script's guardrails
------------------------------------------------------------------------------
SELECT is(smscamp_words('  Hi Ann,  this is   Sam. '), 5, 'words: blanks of any length');
SELECT is(smscamp_words(''), 0, '... none in an empty text');
SELECT is(smscamp_call_script('Hi Ann, our open day is on Saturday.'),
          'Hi Ann, our open day is on Saturday. To stop these calls, reply STOP to our text or say stop.',
          'a script ends with the call''s opt-out line');
SELECT is(smscamp_call_script('**Hi Ann!** Book at https://www.acme.com/spring?x=1 today.'),
          'Hi Ann! Book at acme dot com today. To stop these calls, reply STOP to our text or say stop.',
          'markdown stripped, a web address said as a person says it (no letters spelled out)');
SELECT is(smscamp_call_script('"Hi Ann, see acme.co.uk." Reply STOP to opt out'),
          'Hi Ann, see acme dot co dot uk. To stop these calls, reply STOP to our text or say stop.',
          'wrapping quotes and the SMS opt-out line go');
SELECT is(smscamp_words(smscamp_call_script(repeat('Our spring sale starts on Monday. ', 40))), 78,
          'a long text is cut after its last whole sentence within smscamp.max_call_words (80)');
SELECT ok(smscamp_call_script(repeat('word ', 200)) ~ '^(word ){67}word\. To stop these calls',
          '... or after its last word that fits, with a full stop');
SET LOCAL smscamp.max_call_words = 30;
SELECT cmp_ok(smscamp_words(smscamp_call_script(repeat('We would love to see you at the open day. ', 10))), '<=', 30,
              'smscamp.max_call_words holds, the opt-out line included');
RESET smscamp.max_call_words;
SELECT is(smscamp_call_language('+447700900123') || ' ' || smscamp_call_language('+12125550100'),
          'en-GB en-US', 'the language is the phone''s country''s');

------------------------------------------------------------------------------
-- a voice campaign's lead through the nodes, log provider, built-in writer
------------------------------------------------------------------------------
CREATE TEMP TABLE v AS
WITH c AS (
    INSERT INTO campaigns (name, agent_type, send_window, sender_name, voice_system_prompt,
                           sms_system_prompt)
    VALUES ('voice test', 'voice', NULL, 'Sam from Acme Dental',
            'Invite them to our open day on Saturday at Acme Dental.', 'An SMS prompt')
    RETURNING id
), l AS (
    INSERT INTO leads (name, phone) VALUES ('Vera Voice', pg_temp.free_phone('+44770090450'))
    RETURNING id, phone
), cl AS (
    INSERT INTO campaign_leads (campaign_id, lead_id) SELECT c.id, l.id FROM c, l RETURNING id
)
SELECT (SELECT id FROM c) AS cid, (SELECT id FROM l) AS lid, (SELECT phone FROM l) AS phone,
       (SELECT id FROM cl) AS clid;
UPDATE campaigns SET status = 'pending' WHERE id = (SELECT cid FROM v);
UPDATE campaigns SET status = 'processing', started_at = now() WHERE id = (SELECT cid FROM v);

SELECT is(smscamp_lead_context((SELECT clid FROM v)) ->> 'sms_system_prompt',
          'Invite them to our open day on Saturday at Acme Dental.',
          'a voice lead''s script is written from the voice prompt');
SELECT is((smscamp_generate_call_script((SELECT clid FROM v)) ->> 'id')::bigint, (SELECT clid FROM v),
          'smscamp_generate_call_script writes the script');
SELECT ok((SELECT call_script ~ '^\w+ Vera\M' AND call_script ~ 'To stop these calls, reply STOP to our text or say stop\.$'
             FROM campaign_leads WHERE id = (SELECT clid FROM v)),
          '... greeting the lead by name and ending with how to opt out');
SELECT ok((SELECT call_words BETWEEN 10 AND 80 AND sms_message IS NULL FROM campaign_leads WHERE id = (SELECT clid FROM v)),
          '... its words counted (at most 80), no SMS written');
SELECT is(smscamp_place_call((SELECT clid FROM v)) ->> 'status', 'sent',
          'smscamp_place_call with the log provider: sent');
SELECT is((SELECT voice_call_made::text || ' ' || call_status || ' ' || (call_sid LIKE 'LOG%')::text || ' ' || sms_sent::text
             FROM campaign_leads WHERE id = (SELECT clid FROM v)),
          'true logged true false', '... voice_call_made, call_status logged, a LOG sid, no SMS');
SELECT is((SELECT script FROM call_outbox WHERE campaign_lead_id = (SELECT clid FROM v)),
          (SELECT call_script FROM campaign_leads WHERE id = (SELECT clid FROM v)),
          '... the call is in call_outbox with its script');
SELECT is((SELECT count(*)::int FROM sms_outbox WHERE campaign_lead_id = (SELECT clid FROM v)), 0,
          '... and no SMS in sms_outbox');
SELECT ok((SELECT bool_and(node_name <> 'sms_agent') AND bool_or(node_name = 'voice_agent' AND message ~ '^Call script written \(\d+ words, built-in writer\)$')
                  AND bool_or(node_name = 'voice_agent' AND message = 'Call recorded in the outbox (log provider)')
             FROM processing_logs WHERE campaign_lead_id = (SELECT clid FROM v)),
          '... logged by the voice_agent node: the script written, the call recorded');
SELECT is(pg_temp.err(format('SELECT smscamp_place_call(%s)', (SELECT clid FROM v))) ->> 'state', '55000',
          'placing it again: refused (the lead is not being processed)');
WITH c AS (INSERT INTO campaigns (name, sms_template) VALUES ('sms test', 'Hi {first_name}') RETURNING id)
INSERT INTO campaign_leads (campaign_id, lead_id) SELECT c.id, (SELECT lid FROM v) FROM c;
SELECT is(pg_temp.err(format('SELECT smscamp_generate_call_script(%s)',
              (SELECT max(id) FROM campaign_leads WHERE lead_id = (SELECT lid FROM v)))) ->> 'state',
          '55000', 'smscamp_generate_call_script of an SMS campaign''s lead: refused');
SELECT is(smscamp_lead_context((SELECT clid FROM v)) ->> 'already_sent', 'true',
          'a called lead counts as already reached by the campaign');

-- an opted-out lead is not called
INSERT INTO leads (name, phone) VALUES ('Otto Out', pg_temp.free_phone('+44770090451'));
INSERT INTO opt_outs (phone, source) SELECT phone, 'sms' FROM leads WHERE name = 'Otto Out';
INSERT INTO campaign_leads (campaign_id, lead_id) SELECT cid, (SELECT id FROM leads WHERE name = 'Otto Out') FROM v;
SELECT is(smscamp_validate_lead((SELECT id FROM campaign_leads WHERE lead_id = (SELECT id FROM leads WHERE name = 'Otto Out'))) -> 'validation_errors',
          '["recipient has opted out"]'::jsonb, 'a lead who opted out of SMS is not called');

------------------------------------------------------------------------------
-- the voice status callback
------------------------------------------------------------------------------
CREATE FUNCTION pg_temp.vurl() RETURNS text LANGUAGE sql AS $$ SELECT 'https://sms.example.test/api/webhooks/voice/status' $$;
CREATE FUNCTION pg_temp.voice_cb(p_form text) RETURNS jsonb LANGUAGE sql AS $$
    SELECT pg_temp.route(format('SELECT * FROM api.webhooks_voice_status(%L, %L, %L, %L)',
                                'application/x-www-form-urlencoded', p_form, pg_temp.vurl(),
                                api_twilio_signature(pg_temp.vurl(), p_form, 'tok-sql-test'))) $$;
-- calls the provider took: one per outcome
INSERT INTO leads (name, phone)
SELECT 'Call ' || g, pg_temp.free_phone('+4477009046' || g) FROM generate_series(1, 7) g;
INSERT INTO campaign_leads (campaign_id, lead_id, status, attempts, voice_call_made, call_sid, call_status, sending_at)
SELECT (SELECT cid FROM v), l.id, 'pending', 1, false, 'CAtest' || l.name, NULL, now()
  FROM leads l WHERE l.name ~ '^Call [0-9]$' ORDER BY l.id;
UPDATE campaign_leads SET status = 'processing' WHERE call_sid LIKE 'CAtestCall %';
UPDATE campaign_leads SET status = 'sending', call_status = 'calling' WHERE call_sid LIKE 'CAtestCall %';
UPDATE campaign_leads SET status = 'sent', voice_call_made = true, call_status = 'queued' WHERE call_sid LIKE 'CAtestCall %';
CREATE FUNCTION pg_temp.cl(p_sid text) RETURNS campaign_leads LANGUAGE sql AS $$
    SELECT * FROM campaign_leads WHERE call_sid = p_sid $$;

SELECT is(pg_temp.err(format($$SELECT * FROM api.webhooks_voice_status('application/x-www-form-urlencoded',
              'CallSid=CAtestCall+1&CallStatus=completed', %L, 'bad')$$, pg_temp.vurl())) ->> 'state',
          'SC403', 'an unsigned (badly signed) callback: 403');
SELECT is(pg_temp.voice_cb('CallSid=CAtestCall+1&CallStatus=ringing') ->> 'call_status', 'ringing',
          'ringing: the call rings');
SELECT is(pg_temp.voice_cb('CallSid=CAtestCall+1&CallStatus=completed&CallDuration=42&AnsweredBy=human&Price=-0.0130')
            - 'campaign_lead_id',
          '{"received": true, "matched": true, "status": "delivered", "call_status": "completed", "_status": 200}',
          'completed, answered by a person: the lead is delivered');
SELECT is((SELECT call_duration || ' ' || call_answered_by || ' ' || call_cost FROM pg_temp.cl('CAtestCall 1')),
          '42 human 0.0130', '... with its duration, who answered and its price');
SELECT is(pg_temp.voice_cb('CallSid=CAtestCall+1&CallStatus=ringing') ->> 'call_status', 'completed',
          'a late ringing never moves a completed call back');
SELECT is(pg_temp.voice_cb('CallSid=CAtestCall+2&CallStatus=completed&CallDuration=25&AnsweredBy=machine_end_beep') ->> 'status',
          'delivered', 'voicemail (machine_end_beep): delivered, the script left after the beep');
SELECT is(pg_temp.voice_cb('CallSid=CAtestCall+3&CallStatus=busy&CallDuration=0') ->> 'status',
          'undelivered', 'busy: undelivered');
SELECT is((pg_temp.cl('CAtestCall 3')).error_message, 'Call not connected: the line was busy',
          '... saying why');
SELECT is(pg_temp.voice_cb('CallSid=CAtestCall+4&CallStatus=no-answer') ->> 'status', 'undelivered', 'no-answer: undelivered');
SELECT is(pg_temp.voice_cb('CallSid=CAtestCall+5&CallStatus=failed') ->> 'status', 'undelivered', 'failed: undelivered');
SELECT is(pg_temp.voice_cb('CallSid=CAtestCall+6&CallStatus=canceled') ->> 'status', 'undelivered', 'canceled: undelivered');
SELECT is(pg_temp.voice_cb('CallSid=CAtestCall+7&CallStatus=in-progress') ->> 'status', 'sent', 'in-progress: still sent');
SELECT is(pg_temp.voice_cb('CallSid=CAnobody&CallStatus=completed'), '{"received": true, "matched": false, "_status": 200}',
          'an unknown call SID: 200, matched false (Twilio would retry otherwise)');
SELECT is(pg_temp.err($$SELECT * FROM api.webhooks_voice_status('application/x-www-form-urlencoded', 'CallSid=CAx&CallStatus=exploded',
              'https://sms.example.test/api/webhooks/voice/status',
              api_twilio_signature('https://sms.example.test/api/webhooks/voice/status', 'CallSid=CAx&CallStatus=exploded', 'tok-sql-test'))$$)
            #>> '{body,detail,0,loc}', '["body", "CallStatus"]', 'an unknown CallStatus: 422');

-- the campaign's figures
SELECT is((smscamp_campaign_json((SELECT cid FROM v)) -> 'stats' -> 'calls')::jsonb,
          '{"placed": 8, "answered": 1, "voicemail": 1, "no_answer": 1, "busy": 1, "failed": 2,
            "in_progress": 1, "minutes": 1.1, "cost": 0.0130, "scheduled": 0}'::jsonb,
          'stats.calls: placed, answered, voicemail, no answer, busy, failed, minutes and cost');
SELECT is((smscamp_campaign_json((SELECT cid FROM v)) -> 'send_rate' ->> 'effective_messages_per_second'), '1.000',
          'a voice campaign is paced by its calls_per_second (1 by default)');

-- the preview shows the script
SELECT is((pg_temp.route(format($$SELECT * FROM api.campaigns_preview(%L, %L)$$, (SELECT cid FROM v),
              jsonb_build_object('lead_id', (SELECT lid FROM v)))) ->> 'kind'), 'call_script',
          'preview of a voice campaign: the call script');
SELECT ok((SELECT (p ->> 'words')::int BETWEEN 10 AND 80 AND (p ->> 'spoken_seconds')::int = round((p ->> 'words')::int * 0.4)
             FROM (SELECT pg_temp.route(format($$SELECT * FROM api.campaigns_preview(%L, '{}')$$, (SELECT cid FROM v))) AS p) x),
          '... with its words and spoken length at 150 words a minute');

------------------------------------------------------------------------------
-- agent_type both: the call after the SMS
------------------------------------------------------------------------------
CREATE TEMP TABLE b AS
WITH c AS (
    INSERT INTO campaigns (name, agent_type, send_window, sms_template, calls_per_second)
    VALUES ('both test', 'both', NULL, 'Hi {first_name}, our open day is on Saturday. See acme.com', 1)
    RETURNING id
)
SELECT (SELECT id FROM c) AS cid;
UPDATE campaigns SET status = 'pending' WHERE id = (SELECT cid FROM b);
UPDATE campaigns SET status = 'processing', started_at = now() WHERE id = (SELECT cid FROM b);
INSERT INTO leads (name, phone)
SELECT 'Both ' || g, pg_temp.free_phone('+4477009047' || g) FROM generate_series(1, 5) g;
INSERT INTO campaign_leads (campaign_id, lead_id)
SELECT (SELECT cid FROM b), l.id FROM leads l WHERE l.name ~ '^Both [0-9]$' ORDER BY l.id;
CREATE FUNCTION pg_temp.both(n integer) RETURNS campaign_leads LANGUAGE sql AS $$
    SELECT * FROM campaign_leads WHERE campaign_id = (SELECT cid FROM b) ORDER BY id OFFSET n - 1 LIMIT 1 $$;
-- their SMS handed to the provider, as the record path does
UPDATE campaign_leads SET status = 'processing', attempts = 1 WHERE campaign_id = (SELECT cid FROM b);
UPDATE campaign_leads SET status = 'sending', sms_message = 'Hi ' || split_part(l.name, ' ', 2)
                          || ', our open day is on Saturday. See acme.com Reply STOP to opt out'
  FROM leads l WHERE l.id = campaign_leads.lead_id AND campaign_id = (SELECT cid FROM b);
UPDATE campaign_leads SET status = 'sent', sms_sent = true, sms_sid = 'SMboth' || id, processed_at = now()
 WHERE campaign_id = (SELECT cid FROM b);
SELECT is((SELECT count(*)::int FROM campaign_leads WHERE campaign_id = (SELECT cid FROM b)
              AND call_status = 'scheduled' AND call_due_at = now()), 5,
          'both: each lead''s call is scheduled when its SMS is handed to the provider (call_delay_seconds 0)');
SELECT ok((pg_temp.both(1)).call_script IS NULL, '... without a script yet (written when it is due)');
SELECT is(smscamp_complete_campaign((SELECT cid FROM b)), false, '... the campaign is not complete while calls are due');
CREATE TEMP TABLE claim1 AS SELECT smscamp_claim_calls(4242, 10, false) AS j;
SELECT is(jsonb_array_length((SELECT j -> 'script' FROM claim1)), 5,
          'a claim takes the scripts to write first (not paced)');
SELECT is(jsonb_array_length((SELECT j -> 'call' FROM claim1)), 0, '... and no call without its script');
SELECT is((SELECT j #>> '{script,0,context,agent_type}' FROM claim1), 'voice',
          '... each with its lead''s context as a voice campaign''s (the voice_agent''s writer)');
SELECT is((SELECT j #>> '{script,0,context,call_language}' FROM claim1), 'en-GB',
          '... in the language of the phone''s country');
SELECT is((pg_temp.both(1)).call_status || ' ' || (pg_temp.both(1)).call_claimed_by, 'writing 4242',
          '... "writing", held by the worker');
SELECT is(smscamp_complete_campaign((SELECT cid FROM b)), false, '... the campaign is not complete while a script is written');
-- the worker's results: a script, a model that could not be reached, a final failure
SELECT smscamp_record_call_script(jsonb_build_object('id', (pg_temp.both(1)).id,
    'script', 'Hello Both, this is Acme. Our open day is on Saturday. To stop these calls, reply STOP to our text or say stop.',
    'log', 'Call script written (23 words, gpt-test)', 'meta', '{"writer": "gpt-test"}'));
SELECT is((pg_temp.both(1)).call_status || ' ' || coalesce((pg_temp.both(1)).call_claimed_by::text, '-')
          || ' ' || (pg_temp.both(1)).call_words, 'scheduled - 23',
          'a written script: the call is due again, its words counted');
SELECT is((SELECT message FROM processing_logs WHERE campaign_lead_id = (pg_temp.both(1)).id
             AND node_name = 'voice_agent' ORDER BY id DESC LIMIT 1),
          'Call script written (23 words, gpt-test)', '... logged by the voice_agent');
SELECT smscamp_record_call_script(jsonb_build_object('id', (pg_temp.both(2)).id,
    'error', 'LLM HTTP 503', 'retryable', true));
SELECT ok((pg_temp.both(2)).call_status = 'scheduled' AND (pg_temp.both(2)).call_script IS NULL
          AND (pg_temp.both(2)).call_due_at > now() AND (pg_temp.both(2)).call_attempts = 1,
          'a model that could not be reached: asked again later, with the backoff');
SELECT smscamp_record_call_script(jsonb_build_object('id', (pg_temp.both(3)).id,
    'error', 'Script writing failed twice: refused', 'retryable', false));
SELECT is((pg_temp.both(3)).call_script,
          'Hi 3, our open day is on Saturday. See acme dot com. To stop these calls, reply STOP to our text or say stop.',
          'a script that cannot be written: the call says the SMS, with the call''s opt-out instead of the SMS''s');
SELECT is((SELECT level FROM processing_logs WHERE campaign_lead_id = (pg_temp.both(3)).id
             AND node_name = 'voice_agent' ORDER BY id DESC LIMIT 1), 'warning', '... with a warning');
SELECT smscamp_record_call_script(jsonb_build_object('id', (pg_temp.both(3)).id, 'script', 'Again'));
SELECT is((pg_temp.both(3)).call_words, 24, 'a script recorded twice: only a call still writing changes');
-- psql: the voice_agent's writer, blocking (the template, offline)
UPDATE campaign_leads SET call_status = 'scheduled', call_claimed_by = NULL WHERE id = (pg_temp.both(4)).id;
SELECT is(smscamp_generate_call_script((pg_temp.both(4)).id) ->> 'call_script',
          'Hi Both, our open day is on Saturday. See acme dot com. To stop these calls, reply STOP to our text or say stop.',
          'smscamp_generate_call_script of a both lead writes its call''s script (the template, as spoken)');
UPDATE campaign_leads SET call_status = 'scheduled', call_claimed_by = NULL,
       call_script = 'Hi, this is Acme. To stop these calls, reply STOP to our text or say stop.'
 WHERE id = (pg_temp.both(5)).id;
UPDATE campaign_leads SET call_due_at = now() + interval '1 hour' WHERE id = (pg_temp.both(2)).id;
SELECT is(jsonb_array_length(smscamp_claim_calls(4242, 10, false) -> 'call'), 1,
          'calls_per_second 1: a claim takes one call');
SELECT is(smscamp_claim_calls(4242, 10, false), '{"call": [], "script": []}', '... and the next claim, at once, none');
SELECT is((pg_temp.both(1)).call_status || ' ' || (pg_temp.both(1)).call_claimed_by, 'calling 4242',
          '... the call is "calling", held by the worker (committed before the request)');
SELECT is(pg_temp.err(format('SELECT smscamp_generate_call_script(%s)', (pg_temp.both(1)).id)) ->> 'state', '55000',
          'smscamp_generate_call_script: not when the call is not waiting for a script');
SELECT smscamp_record_call_leg(jsonb_build_object('id', (pg_temp.both(1)).id, 'outcome', 'sent',
                                                  'sid', 'CAboth1', 'pstatus', 'queued'));
SELECT is((pg_temp.both(1)).call_status || ' ' || (pg_temp.both(1)).voice_call_made || ' ' || (pg_temp.both(1)).status,
          'queued true sent', 'the provider took it: queued, voice_call_made; the lead keeps its SMS''s status');
SELECT is(pg_temp.voice_cb('CallSid=CAboth1&CallStatus=completed&CallDuration=12') ->> 'status', 'sent',
          'a completed call: the both lead''s status is still its SMS''s');
SELECT is((pg_temp.both(1)).call_status, 'completed', '... the call''s own status completed');
UPDATE campaigns SET call_slot_at = now() - interval '1 hour', calls_per_second = 100 WHERE id = (SELECT cid FROM b);
UPDATE campaigns SET call_if_no_reply = true WHERE id = (SELECT cid FROM b);
INSERT INTO messages (lead_id, phone, direction, body, kind)
SELECT l.id, l.phone, 'inbound', 'Yes please', 'reply' FROM leads l WHERE l.id = (pg_temp.both(2)).lead_id;
INSERT INTO opt_outs (phone, source) SELECT l.phone, 'sms' FROM leads l WHERE l.id = (pg_temp.both(3)).lead_id;
UPDATE campaign_leads SET call_script = 'Hi. To stop these calls, reply STOP to our text or say stop.',
       call_due_at = now() WHERE id IN ((pg_temp.both(2)).id, (pg_temp.both(3)).id);
SELECT is(jsonb_array_length(smscamp_claim_calls(4242, 10, true) -> 'call'), 0, 'the log provider places the calls in the claim');
SELECT is((pg_temp.both(2)).call_status, 'skipped', 'call_if_no_reply: a lead who answered the SMS is not called');
SELECT is((pg_temp.both(3)).call_status, 'skipped', 'an opted-out phone is not called');
SELECT is((SELECT count(*)::int FROM call_outbox b JOIN campaign_leads cl ON cl.id = b.campaign_lead_id
            WHERE cl.campaign_id = (SELECT cid FROM b) AND cl.call_status = 'logged'), 2,
          '... the two others are in call_outbox');
UPDATE campaign_leads SET call_status = 'calling', call_claimed_by = 999999 WHERE id = (pg_temp.both(4)).id;
SELECT smscamp_recover_calls(ARRAY[4242]);
SELECT is((pg_temp.both(4)).call_status || ' ' || coalesce((pg_temp.both(4)).call_claimed_by::text, '-'), 'unknown -',
          'a call held by a worker that is gone: unknown (it may have been placed), never placed again');
SELECT is(smscamp_complete_campaign((SELECT cid FROM b)), true, 'every call done: the campaign completes');

SELECT * FROM finish();
ROLLBACK;
