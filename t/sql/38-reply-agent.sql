-- The reply agent (sql/reply_agent.sql) and replies (sql/outbound.sql): the
-- built-in classifier on real-looking replies; a model's answer read as
-- hostile; plain-language opt-outs recorded (source reply) in every mode;
-- reply_mode off / draft / auto, never answering opt_out, wrong_number or
-- not_interested, nor one message twice, nor past smscamp.max_auto_replies;
-- replies queued (409 opted out, 422 empty or too long), claimed with the
-- log provider, held by quiet hours unless the lead wrote in the last 24 h;
-- a send left by a dead worker becomes unknown.
BEGIN;
SET client_min_messages = warning;
SELECT plan(87);

SET LOCAL smscamp.twilio_auth_token = 'tok-sql-test';
SET LOCAL smscamp.sms_provider = 'log';
SET LOCAL smscamp.openai_api_key = '';
SET LOCAL smscamp.max_auto_replies = 2;

\ir lib/err.sql
\ir lib/route.sql
\ir lib/webhook.sql
\ir lib/free_phone.sql
\ir lib/send_window.sql

------------------------------------------------------------------------------
-- the built-in classifier: a table of replies
------------------------------------------------------------------------------

CREATE TEMP TABLE replies (body text, intent text) ON COMMIT DROP;
INSERT INTO replies VALUES
    ('Yes', 'interested'),
    ('yes please!', 'interested'),
    ('Sure', 'interested'),
    ('Sounds good', 'interested'),
    ('ok', 'interested'),
    ('Yeah I''m interested', 'interested'),
    ('Tell me more', 'interested'),
    ('Sign me up', 'interested'),
    ('Count me in 👍', 'interested'),
    ('I''d love to come', 'interested'),
    ('Call me tomorrow', 'interested'),
    ('Absolutely, book me in', 'interested'),
    ('What time?', 'question'),
    ('Sure, what time?', 'question'),
    ('Who is this?', 'question'),
    ('How much does it cost', 'question'),
    ('where is it', 'question'),
    ('Is there parking?', 'question'),
    ('Can you send more info', 'question'),
    ('what''s the price', 'question'),
    ('Do you deliver to Leeds?', 'question'),
    ('When does the offer end', 'question'),
    ('Not interested', 'not_interested'),
    ('no thanks', 'not_interested'),
    ('No', 'not_interested'),
    ('Nope', 'not_interested'),
    ('not now, maybe later', 'not_interested'),
    ('We''re all set, thanks', 'not_interested'),
    ('I already have one', 'not_interested'),
    ('don''t need it', 'not_interested'),
    ('No thank you, who is this?', 'not_interested'),
    ('STOP', 'opt_out'),
    ('stop.', 'opt_out'),
    ('Stop texting me', 'opt_out'),
    ('please remove me', 'opt_out'),
    ('Take me off your list', 'opt_out'),
    ('Don''t text me again', 'opt_out'),
    ('unsubscribe me', 'opt_out'),
    ('Opt out', 'opt_out'),
    ('no more texts please', 'opt_out'),
    ('Leave me alone', 'opt_out'),
    ('Please don’t contact me', 'opt_out'),
    ('Wrong number', 'wrong_number'),
    ('you have the wrong person', 'wrong_number'),
    ('This is not my number', 'wrong_number'),
    ('There is no one here by that name', 'wrong_number'),
    ('I''m not Sam', 'wrong_number'),
    ('Wrong # sorry', 'wrong_number'),
    ('Thanks', 'other'),
    ('👍', 'other'),
    ('Got it', 'other'),
    ('I''ll think about it', 'other'),
    ('', 'other');

SELECT is((SELECT count(*) FROM replies) >= 40, true, 'at least 40 replies in the table');
SELECT is(
    (SELECT coalesce(string_agg(format('%L -> %s (expected %s)', r.body,
                                       smscamp_builtin_intent(r.body), r.intent), '; '), '')
       FROM replies r WHERE smscamp_builtin_intent(r.body) IS DISTINCT FROM r.intent),
    '', 'the built-in classifier labels every reply of the table as expected');

------------------------------------------------------------------------------
-- a model's answer, hostile
------------------------------------------------------------------------------

SELECT is(smscamp_intent_from_model('{"intent": "question"}'), 'question', 'model: JSON label');
SELECT is(smscamp_intent_from_model(E'```json\n{"intent":"opt_out"}\n```'), 'opt_out',
          'model: a fenced JSON block');
SELECT is(smscamp_intent_from_model(' Interested. '), 'interested', 'model: a bare label');
SELECT is(smscamp_intent_from_model('{"intent": "buy_now"}'), 'other', 'model: an unknown label is other');
SELECT is(smscamp_intent_from_model('{"intent": 7}'), 'other', 'model: a label that is no string');
SELECT is(smscamp_intent_from_model('<html>oops'), 'other', 'model: garbage is other');
SELECT is(smscamp_intent_from_model('{not json'), 'other', 'model: broken JSON is other');
SELECT is(smscamp_intent_from_model(NULL), 'other', 'model: no answer is other');

SELECT is((smscamp_reply_guard('"Great, see you Saturday at 10!"') ->> 'text'),
          'Great, see you Saturday at 10!', 'guard: wrapping quotes stripped');
SELECT is((smscamp_reply_guard('Sure! Here is a reply: hi') ->> 'ok')::boolean, false,
          'guard: talk about the task refused');
SELECT is((smscamp_reply_guard('Our key is sk-abcdefghijklmnopqrstuvwx, enjoy') ->> 'ok')::boolean,
          false, 'guard: a secret refused');
SELECT is((smscamp_reply_guard('Hi [First Name], see you then') ->> 'ok')::boolean, false,
          'guard: a placeholder refused');

------------------------------------------------------------------------------
-- a campaign, its leads, its messages
------------------------------------------------------------------------------

CREATE TEMP TABLE ids (name text PRIMARY KEY, id bigint) ON COMMIT DROP;
CREATE FUNCTION pg_temp.id(p_name text) RETURNS bigint
LANGUAGE sql AS $$ SELECT id FROM ids WHERE name = p_name $$;

WITH c AS (INSERT INTO campaigns (name, sender_name, send_window, reply_mode)
           VALUES ('Agent test', 'Acme Dental', NULL, 'off') RETURNING id)
INSERT INTO ids SELECT 'campaign', id FROM c;
-- leads a..g, each sent the campaign's message
CREATE FUNCTION pg_temp.lead(p_name text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_lead bigint;
    v_cl bigint;
BEGIN
    INSERT INTO leads (name, phone) VALUES (initcap(p_name) || ' Tester', pg_temp.free_phone('+4477009'))
    RETURNING id INTO v_lead;
    INSERT INTO campaign_leads (campaign_id, lead_id) VALUES (pg_temp.id('campaign'), v_lead)
    RETURNING id INTO v_cl;
    INSERT INTO messages (lead_id, campaign_id, campaign_lead_id, phone, direction, body, kind,
                          status, sent_at)
    SELECT v_lead, pg_temp.id('campaign'), v_cl, l.phone, 'outbound', 'Hi! Our open day is Saturday.',
           'campaign', 'sent', now()
      FROM leads l WHERE l.id = v_lead;
    INSERT INTO ids VALUES (p_name, v_lead);
    RETURN v_lead;
END
$$;
SELECT pg_temp.lead(n) FROM unnest(ARRAY['ann', 'bob', 'cat', 'dan', 'eve', 'fay', 'gus']) n;

CREATE FUNCTION pg_temp.phone(p_lead text) RETURNS text
LANGUAGE sql AS $$ SELECT phone FROM leads WHERE id = pg_temp.id(p_lead) $$;
CREATE FUNCTION pg_temp.reply(p_lead text, p_body text) RETURNS jsonb
LANGUAGE sql AS $$
SELECT pg_temp.inbound('From=' || replace(pg_temp.phone(p_lead), '+', '%2B') || '&Body='
                       || replace(replace(p_body, ' ', '+'), '''', '%27')
                       || '&MessageSid=SM' || md5(p_lead || p_body || random()::text))
$$;
-- the workers' claim, offline, as worker 4242
CREATE FUNCTION pg_temp.claim() RETURNS jsonb
LANGUAGE sql AS $$ SELECT smscamp_conversation_claim(4242, 32, false, true) $$;
CREATE FUNCTION pg_temp.last_in(p_lead text) RETURNS messages
LANGUAGE sql AS $$
SELECT * FROM messages WHERE lead_id = pg_temp.id(p_lead) AND direction = 'inbound'
 ORDER BY id DESC LIMIT 1 $$;
CREATE FUNCTION pg_temp.autos(p_lead text) RETURNS SETOF messages
LANGUAGE sql AS $$
SELECT * FROM messages WHERE lead_id = pg_temp.id(p_lead) AND kind = 'auto' ORDER BY id $$;

------------------------------------------------------------------------------
-- reply_mode off: classified only
------------------------------------------------------------------------------

SELECT is((pg_temp.reply('ann', 'What time does it start?') ->> 'action'), 'none',
          'a reply: no keyword action');
SELECT is((pg_temp.last_in('ann')).agent_state, 'classify', 'stored: left for the agent to classify');
SELECT is((pg_temp.last_in('ann')).intent, NULL, 'stored: not classified in the webhook');
SELECT is(pg_temp.claim(), '{"call": [], "chat": [], "send": [], "script": []}'::jsonb, 'offline: the claim does the work itself');
SELECT is((pg_temp.last_in('ann')).intent, 'question', 'classified: question');
SELECT is((pg_temp.last_in('ann')).agent_state, NULL, 'reply_mode off: nothing more to do');
SELECT is((SELECT count(*)::int FROM pg_temp.autos('ann')), 0, 'reply_mode off: no answer');
SELECT is((SELECT metadata ->> 'why' FROM processing_logs
            WHERE node_name = 'classify_reply'
              AND (metadata ->> 'message_id')::bigint = (pg_temp.last_in('ann')).id),
          'reply_mode off', 'logged (classify_reply) with why nothing follows');
SELECT isnt((SELECT metadata ->> 'trace_id' FROM processing_logs
              WHERE node_name = 'classify_reply'
                AND (metadata ->> 'message_id')::bigint = (pg_temp.last_in('ann')).id),
            NULL, 'the log carries the campaign lead''s trace_id');

-- a plain-language opt-out, in mode off too
SELECT pg_temp.reply('bob', 'Please take me off your list');
SELECT pg_temp.claim();
SELECT is((pg_temp.last_in('bob')).intent, 'opt_out', 'plain-language opt-out: opt_out');
SELECT is((SELECT source FROM opt_outs WHERE phone = pg_temp.phone('bob')), 'reply',
          'plain-language opt-out: recorded, source reply (mode off)');

-- a keyword: done in the webhook
SELECT is((pg_temp.reply('cat', 'STOP') ->> 'action'), 'opt_out', 'STOP: opt-out in the webhook');
SELECT is((pg_temp.last_in('cat')).intent, 'opt_out', 'STOP: intent opt_out at once');
SELECT is((pg_temp.last_in('cat')).agent_state, NULL, 'STOP: nothing for the agent');

------------------------------------------------------------------------------
-- reply_mode draft
------------------------------------------------------------------------------

UPDATE campaigns SET reply_mode = 'draft' WHERE id = pg_temp.id('campaign');
SELECT pg_temp.reply('dan', 'Sounds great, is there parking?');
SELECT pg_temp.claim();
SELECT is((pg_temp.last_in('dan')).intent, 'question', 'draft mode: classified');
SELECT is((SELECT array_agg(status) FROM pg_temp.autos('dan')), ARRAY['draft'],
          'draft mode: one draft');
SELECT is((SELECT body FROM pg_temp.autos('dan')),
          'Thanks for your question, Dan. Someone from Acme Dental will get back to you shortly.',
          'the built-in answer: a handover with the name and the sender');
SELECT is((SELECT reply_to_id FROM pg_temp.autos('dan')), (pg_temp.last_in('dan')).id,
          'the draft answers the inbound message');
SELECT is((SELECT sent_by FROM pg_temp.autos('dan')), 'the built-in reply', 'written by the built-in reply');
SELECT is((SELECT count(*)::int FROM processing_logs
            WHERE node_name = 'reply_agent' AND message = 'Answer drafted for approval'
              AND campaign_lead_id = (pg_temp.last_in('dan')).campaign_lead_id), 1,
          'logged (reply_agent)');
-- the same message again: never answered twice
UPDATE messages SET agent_state = 'answer' WHERE id = (pg_temp.last_in('dan')).id;
SELECT pg_temp.claim();
SELECT is((SELECT count(*)::int FROM pg_temp.autos('dan')), 1, 'one inbound message, one answer');

-- the drafts' routes
SELECT is(pg_temp.route(format($$SELECT * FROM api.messages_approve(%L, %L, NULL)$$,
                               (SELECT id FROM pg_temp.autos('dan')),
                               '{"body": "Yes, free parking behind the clinic."}')) ->> 'status',
          'queued', 'approve with an edited body: queued');
SELECT is((SELECT body FROM pg_temp.autos('dan')), 'Yes, free parking behind the clinic.',
          'approve: the edited body');
SELECT is(pg_temp.err(format($$SELECT * FROM api.messages_approve(%L, NULL, NULL)$$,
                             (SELECT id FROM pg_temp.autos('dan')))) ->> 'state', 'SC409',
          'approve a queued message: 409');
SELECT is(pg_temp.err($$SELECT * FROM api.messages_approve('999999999', NULL, NULL)$$) ->> 'state',
          'SC404', 'approve an unknown message: 404');
SELECT pg_temp.reply('eve', 'I''m interested');
SELECT pg_temp.claim();
SELECT is((SELECT array_agg(status) FROM pg_temp.autos('eve')), ARRAY['draft'], 'eve: a draft');
SELECT is((pg_temp.route(format($$SELECT * FROM api.messages_reject(%L)$$,
                                (SELECT id FROM pg_temp.autos('eve')))) ->> '_status')::int, 204,
          'reject: 204');
SELECT is((SELECT count(*)::int FROM pg_temp.autos('eve')), 0, 'reject: the draft is gone');
SELECT is(pg_temp.err(format($$SELECT * FROM api.messages_reject(%L)$$,
                             (pg_temp.last_in('eve')).id)) ->> 'state', 'SC409',
          'reject an inbound message: 409');

-- never answered: wrong_number, not_interested (the conversation is closed)
SELECT pg_temp.reply('fay', 'wrong number');
SELECT pg_temp.claim();
SELECT is((pg_temp.last_in('fay')).intent, 'wrong_number', 'wrong number classified');
SELECT is((SELECT count(*)::int FROM pg_temp.autos('fay')), 0, 'wrong_number: never answered');
SELECT is((SELECT (x ->> 'needs_reply')::boolean
             FROM jsonb_array_elements((pg_temp.route($$SELECT * FROM api.conversations_list('{"state":"all"}')$$)) -> 'items') x
            WHERE x ->> 'phone' = pg_temp.phone('fay')),
          false, 'wrong_number: the conversation needs no reply');
SELECT is((SELECT count(*)::int
             FROM jsonb_array_elements((pg_temp.route(
                 $$SELECT * FROM api.conversations_list('{"state":"all","intent":"wrong_number"}')$$)) -> 'items') x
            WHERE x ->> 'phone' = pg_temp.phone('fay')), 1, 'the inbox filters by intent');
SELECT is(pg_temp.err($$SELECT * FROM api.conversations_list('{"intent":"maybe"}')$$) ->> 'state',
          'SC422', 'an unknown intent filter: 422');

------------------------------------------------------------------------------
-- reply_mode auto, and the cap
------------------------------------------------------------------------------

UPDATE campaigns SET reply_mode = 'auto' WHERE id = pg_temp.id('campaign');
SELECT pg_temp.reply('gus', 'Yes please');
SELECT is(jsonb_array_length(pg_temp.claim() -> 'send'), 0,
          'auto mode, log provider: answered and sent in one claim');
SELECT is((SELECT array_agg(status) FROM pg_temp.autos('gus')), ARRAY['sent'], 'auto: sent at once');
SELECT is((SELECT count(*)::int FROM sms_outbox WHERE to_phone = pg_temp.phone('gus')
              AND body LIKE 'Great to hear, Gus!%'), 1, 'auto: in the log provider''s outbox');
SELECT pg_temp.reply('gus', 'What should I bring?');
SELECT pg_temp.claim();
SELECT is((SELECT count(*)::int FROM pg_temp.autos('gus')), 2, 'auto: the second reply answered');
SELECT pg_temp.reply('gus', 'And is it free?');
SELECT pg_temp.claim();
SELECT is((SELECT count(*)::int FROM pg_temp.autos('gus')), 2,
          'auto: no third answer (smscamp.max_auto_replies 2)');
SELECT matches((SELECT metadata ->> 'why' FROM processing_logs
                 WHERE node_name = 'classify_reply'
                   AND (metadata ->> 'message_id')::bigint = (pg_temp.last_in('gus')).id),
               'max_auto_replies', 'the cap is logged');
-- a plain-language opt-out in auto mode: recorded, never answered
SELECT pg_temp.reply('ann', 'please stop messaging me');
SELECT pg_temp.claim();
SELECT is((SELECT source FROM opt_outs WHERE phone = pg_temp.phone('ann')), 'reply',
          'auto mode: plain-language opt-out recorded');
SELECT is((SELECT array_agg(coalesce(a.purpose, 'answer')) FROM pg_temp.autos('ann') AS a),
          ARRAY['opt_out_confirmation'],
          'auto mode: an opt-out is never answered, only confirmed once (sql/keywords.sql)');

------------------------------------------------------------------------------
-- replies from a person: POST /api/leads/{id}/messages
------------------------------------------------------------------------------

SELECT is(pg_temp.err(format($$SELECT * FROM api.leads_messages_create(%L, '{"body": "Hello"}', NULL)$$,
                             pg_temp.id('ann'))) ->> 'state', 'SC409', 'an opted-out lead: 409');
SELECT is(pg_temp.err(format($$SELECT * FROM api.leads_messages_create(%L, '{"body": "  "}', NULL)$$,
                             pg_temp.id('dan'))) ->> 'state', 'SC422', 'an empty body: 422');
SELECT is(pg_temp.err(format($$SELECT * FROM api.leads_messages_create(%L, '{}', NULL)$$,
                             pg_temp.id('dan'))) ->> 'state', 'SC422', 'no body: 422');
SELECT is(pg_temp.err(format($$SELECT * FROM api.leads_messages_create(%L, %L, NULL)$$,
                             pg_temp.id('dan'), jsonb_build_object('body', repeat('long text ', 40))))
          ->> 'state', 'SC422', 'more segments than smscamp.max_segments: 422');
SELECT is(pg_temp.err($$SELECT * FROM api.leads_messages_create('999999999', '{"body": "Hi"}', NULL)$$)
          ->> 'state', 'SC404', 'an unknown lead: 404');

INSERT INTO ids SELECT 'manual', (pg_temp.route(format(
    $$SELECT * FROM api.leads_messages_create(%L, '{"body": "See you Saturday!"}', NULL)$$,
    pg_temp.id('dan'))) ->> 'id')::bigint;
SELECT is((SELECT status FROM messages WHERE id = pg_temp.id('manual')), 'queued', '202: queued');
SELECT is((SELECT kind FROM messages WHERE id = pg_temp.id('manual')), 'reply', 'kind reply');
SELECT is((SELECT campaign_id FROM messages WHERE id = pg_temp.id('manual')), pg_temp.id('campaign'),
          'it belongs to the lead''s last campaign');

-- the claim with a provider: sending, committed before the call
SELECT is((SELECT jsonb_agg(x -> 'id') FROM jsonb_array_elements(
              smscamp_conversation_claim(4242, 32, false, false) -> 'send') x),
          jsonb_build_array(pg_temp.id('manual')),
          'a provider claim hands out the queued message');
SELECT is((SELECT status FROM messages WHERE id = pg_temp.id('manual')), 'sending', 'claimed: sending');
SELECT is((SELECT claimed_by FROM messages WHERE id = pg_temp.id('manual')), 4242, 'claimed by the worker');
SELECT is(jsonb_array_length(smscamp_conversation_claim(4243, 32, false, false) -> 'send'), 0,
          'a sending message is claimed once');
SELECT smscamp_conversation_record(jsonb_build_array(jsonb_build_object(
    'kind', 'send', 'id', pg_temp.id('manual'), 'outcome', 'sent', 'sid', 'SMmanual1',
    'nseg', 1, 'price', '-0.0079')));
SELECT is((SELECT status || ' ' || provider_sid FROM messages WHERE id = pg_temp.id('manual')),
          'sent SMmanual1', 'recorded: sent, with its SID');
SELECT is((SELECT cost FROM messages WHERE id = pg_temp.id('manual')), 0.0079::numeric(10,4),
          'recorded: its price');
SELECT smscamp_conversation_record(jsonb_build_array(jsonb_build_object(
    'kind', 'send', 'id', pg_temp.id('manual'), 'outcome', 'failed', 'error', 'late')));
SELECT is((SELECT status FROM messages WHERE id = pg_temp.id('manual')), 'sent',
          'a second answer changes nothing');
-- its status callback
SELECT is((pg_temp.status_cb('MessageSid=SMmanual1&MessageStatus=delivered') ->> 'message_id')::bigint,
          pg_temp.id('manual'), 'a status callback finds the reply');
SELECT is((SELECT status FROM messages WHERE id = pg_temp.id('manual')), 'delivered', 'delivered');

-- retry, then unknown after a dead worker
INSERT INTO ids SELECT 'retry', (pg_temp.route(format(
    $$SELECT * FROM api.leads_messages_create(%L, '{"body": "One more thing"}', NULL)$$,
    pg_temp.id('dan'))) ->> 'id')::bigint;
SELECT smscamp_conversation_claim(4242, 32, false, false);
SELECT smscamp_conversation_record(jsonb_build_array(jsonb_build_object(
    'kind', 'send', 'id', pg_temp.id('retry'), 'outcome', 'retry', 'retry_after', 30,
    'error', 'HTTP 429')));
SELECT is((SELECT status FROM messages WHERE id = pg_temp.id('retry')), 'queued', 'a 429: queued again');
SELECT cmp_ok((SELECT send_after FROM messages WHERE id = pg_temp.id('retry')), '>',
              now() + interval '25 seconds', 'after its Retry-After');
UPDATE messages SET send_after = NULL WHERE id = pg_temp.id('retry');
SELECT smscamp_conversation_claim(4242, 32, false, false);
SELECT smscamp_recover_outbound(ARRAY[1]);
SELECT is((SELECT status FROM messages WHERE id = pg_temp.id('retry')), 'unknown',
          'a send of a dead worker: unknown, never resent');
SELECT is(jsonb_array_length(smscamp_conversation_claim(4242, 32, false, false) -> 'send'), 0,
          'an unknown message is not claimed again');

------------------------------------------------------------------------------
-- quiet hours: only a direct reply (the lead wrote in the last 24 h) goes now
------------------------------------------------------------------------------

UPDATE campaigns SET send_window = pg_temp.win(smscamp_phone_timezone('+447700900000'),
                                               interval '2 hours', interval '3 hours')
 WHERE id = pg_temp.id('campaign');
INSERT INTO ids SELECT 'direct', (pg_temp.route(format(
    $$SELECT * FROM api.leads_messages_create(%L, '{"body": "Yes, 10am works"}', NULL)$$,
    pg_temp.id('gus'))) ->> 'id')::bigint;
UPDATE messages SET created_at = now() - interval '2 days'
 WHERE lead_id = pg_temp.id('fay') AND direction = 'inbound';
INSERT INTO ids SELECT 'later', (pg_temp.route(format(
    $$SELECT * FROM api.leads_messages_create(%L, '{"body": "Are you still interested?"}', NULL)$$,
    pg_temp.id('fay'))) ->> 'id')::bigint;
SELECT pg_temp.claim();
SELECT is((SELECT status FROM messages WHERE id = pg_temp.id('direct')), 'sent',
          'quiet hours: a direct reply goes at once');
SELECT is((SELECT status FROM messages WHERE id = pg_temp.id('later')), 'queued',
          'quiet hours: anything else waits');
SELECT is((SELECT send_after FROM messages WHERE id = pg_temp.id('later')),
          pg_temp.opens(smscamp_phone_timezone('+447700900000'), interval '2 hours'),
          'until the window opens');

------------------------------------------------------------------------------
-- an opt-out after queueing: the queued message fails, unsent
------------------------------------------------------------------------------

INSERT INTO ids SELECT 'late_opt', (pg_temp.route(format(
    $$SELECT * FROM api.leads_messages_create(%L, '{"body": "Reminder: Saturday"}', NULL)$$,
    pg_temp.id('gus'))) ->> 'id')::bigint;
INSERT INTO opt_outs (phone, source) VALUES (pg_temp.phone('gus'), 'api');
SELECT pg_temp.claim();
SELECT is((SELECT status FROM messages WHERE id = pg_temp.id('late_opt')), 'failed',
          'opted out before the send: failed');
SELECT is((SELECT count(*)::int FROM sms_outbox WHERE body = 'Reminder: Saturday'), 0,
          'and never sent');

------------------------------------------------------------------------------
-- the psql functions, and a model's garbage recorded
------------------------------------------------------------------------------

INSERT INTO messages (lead_id, phone, direction, body, kind, agent_state)
VALUES (NULL, '+447700900999', 'inbound', 'who dis?', 'reply', 'classify');
SELECT is(smscamp_classify_message((SELECT max(id) FROM messages WHERE phone = '+447700900999')),
          'question', 'smscamp_classify_message: the built-in classifier offline');
SELECT is((SELECT agent_state FROM messages WHERE phone = '+447700900999'), NULL,
          'an unknown sender: classified, never answered');
SELECT is((smscamp_draft_reply((pg_temp.last_in('dan')).id) ->> 'status'), NULL,
          'smscamp_draft_reply on an answered message: none (answered already)');
UPDATE messages SET agent_state = 'classify', claimed_by = 4242
 WHERE id = (pg_temp.last_in('eve')).id;
SELECT smscamp_conversation_record(jsonb_build_array(jsonb_build_object(
    'kind', 'chat', 'id', (pg_temp.last_in('eve')).id, 'task', 'classify',
    'content', 'I think they like it!!', 'model', 'gpt-test')));
SELECT is((pg_temp.last_in('eve')).intent, 'other', 'a model''s garbage classification: other');
SELECT matches((SELECT message FROM processing_logs WHERE node_name = 'classify_reply'
                 ORDER BY id DESC LIMIT 1), 'not a label', 'and the log says so');

SELECT * FROM finish();
ROLLBACK;
