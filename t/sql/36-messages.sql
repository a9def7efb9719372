-- Messages (sql/messages.sql): a campaign's send becomes one outbound message
-- whose status follows the delivery callbacks; inbound webhooks are kept once
-- per MessageSid, attached to the lead and the campaign that last messaged it;
-- GET /api/leads/{id}/messages pages the thread.
BEGIN;
SET client_min_messages = warning;
SELECT plan(37);

SET LOCAL smscamp.twilio_auth_token = 'tok-sql-test';
SET LOCAL smscamp.sms_provider = 'log';

\ir lib/err.sql
\ir lib/route.sql
\ir lib/call.sql
\ir lib/webhook.sql
\ir lib/free_phone.sql
\ir lib/campaign_in.sql

CREATE TEMP TABLE ids (name text PRIMARY KEY, id bigint) ON COMMIT DROP;
CREATE FUNCTION pg_temp.id(p_name text) RETURNS bigint
LANGUAGE sql AS $$ SELECT id FROM ids WHERE name = p_name $$;
CREATE FUNCTION pg_temp.phone(p_lead text) RETURNS text
LANGUAGE sql AS $$ SELECT phone FROM leads WHERE id = pg_temp.id(p_lead) $$;
-- an inbound form from a phone (%2B for its +)
CREATE FUNCTION pg_temp.from_form(p_phone text, p_body text, p_sid text) RETURNS text
LANGUAGE sql AS $$
SELECT 'From=' || replace(p_phone, '+', '%2B') || '&Body=' || replace(p_body, ' ', '+')
       || coalesce('&MessageSid=' || p_sid, '')
$$;
CREATE FUNCTION pg_temp.thread(p_lead text) RETURNS SETOF messages
LANGUAGE sql AS $$ SELECT * FROM messages WHERE lead_id = pg_temp.id(p_lead) ORDER BY id $$;

------------------------------------------------------------------------------
-- the table
------------------------------------------------------------------------------
SELECT columns_are('messages', ARRAY['id', 'lead_id', 'campaign_id', 'campaign_lead_id', 'phone',
    'direction', 'body', 'kind', 'status', 'provider_sid', 'intent', 'created_at', 'sent_at',
    'read_at', 'reply_to_id', 'send_after', 'claimed_by', 'attempts', 'segments', 'cost', 'error',
    'agent_state', 'sent_by', 'purpose', 'sender_id', 'from_phone', 'error_code'],
    'messages has the thread''s columns');
SELECT throws_ok($$INSERT INTO messages (phone, direction, body, kind, status)
                   VALUES ('+14155550100', 'inbound', 'x', 'reply', 'sent')$$,
    '23514', NULL, 'an inbound message has no status');
SELECT throws_ok($$INSERT INTO messages (phone, direction, body, kind)
                   VALUES ('+14155550100', 'outbound', 'x', 'campaign')$$,
    '23514', NULL, 'an outbound message has one');

------------------------------------------------------------------------------
-- a campaign's send: one outbound message, following its campaign lead
------------------------------------------------------------------------------
INSERT INTO leads (name, phone) VALUES ('Thread Ada', pg_temp.free_phone('+1415555'));
INSERT INTO ids VALUES ('ada', (SELECT id FROM leads WHERE name = 'Thread Ada'));
INSERT INTO ids VALUES ('c1', pg_temp.campaign_in('processing', 'pgTAP messages', NULL, NULL));
UPDATE campaigns SET sms_template = 'Hi {first_name}, our spring sale starts Monday.'
 WHERE id = pg_temp.id('c1');
WITH x AS (INSERT INTO campaign_leads (campaign_id, lead_id)
           VALUES (pg_temp.id('c1'), pg_temp.id('ada')) RETURNING id)
INSERT INTO ids SELECT 'cl1', id FROM x;

SELECT is((SELECT count(*)::int FROM pg_temp.thread('ada')), 0, 'no message before the send');
SELECT is(smscamp_process_lead(pg_temp.id('cl1')) ->> 'status', 'sent',
          'the campaign lead is sent (log provider)');
SELECT is((SELECT count(*)::int FROM pg_temp.thread('ada')), 1, 'the send is one message');
SELECT is((SELECT row(direction, kind, status, campaign_id, campaign_lead_id, phone)::text
             FROM pg_temp.thread('ada')),
          row('outbound', 'campaign', 'sent', pg_temp.id('c1'), pg_temp.id('cl1'),
              pg_temp.phone('ada'))::text,
          'outbound, kind campaign, sent, of its campaign lead, to the lead''s phone');
SELECT is((SELECT body FROM pg_temp.thread('ada')),
          (SELECT sms_message FROM campaign_leads WHERE id = pg_temp.id('cl1')),
          'its body is the message sent');
SELECT is((SELECT provider_sid FROM pg_temp.thread('ada')),
          (SELECT sms_sid FROM campaign_leads WHERE id = pg_temp.id('cl1')),
          'its provider_sid is the send''s');
SELECT isnt((SELECT sent_at FROM pg_temp.thread('ada')), NULL, 'sent_at set');

SELECT is(pg_temp.status_cb(format('MessageSid=%s&MessageStatus=delivered',
              (SELECT sms_sid FROM campaign_leads WHERE id = pg_temp.id('cl1')))) ->> 'status',
          'delivered', 'a delivery callback');
SELECT is((SELECT status FROM pg_temp.thread('ada')), 'delivered', 'the message follows: delivered');
SELECT is((SELECT count(*)::int FROM pg_temp.thread('ada')), 1, '... still one message');

------------------------------------------------------------------------------
-- inbound
------------------------------------------------------------------------------
INSERT INTO ids SELECT 'in1', (pg_temp.inbound(pg_temp.from_form(pg_temp.phone('ada'),
                                   'Yes please, what time?', 'SMpgtap36in1')) ->> 'message_id')::bigint;
SELECT is((SELECT row(direction, kind, status, lead_id, campaign_id, campaign_lead_id, body,
                      provider_sid)::text FROM messages WHERE id = pg_temp.id('in1')),
          row('inbound', 'reply', NULL, pg_temp.id('ada'), pg_temp.id('c1'), pg_temp.id('cl1'),
              'Yes please, what time?', 'SMpgtap36in1')::text,
          'an inbound reply: the lead''s, of the campaign that messaged it, its text and SID');

SELECT is(pg_temp.inbound(pg_temp.from_form(pg_temp.phone('ada'), 'Yes please, what time?',
                                            'SMpgtap36in1')) - 'phone',
          jsonb_build_object('_status', 200, 'received', true, 'action', 'none',
                             'message_id', pg_temp.id('in1'), 'duplicate', true),
          'the same MessageSid again: 200, duplicate, the same message');
SELECT is((SELECT count(*)::int FROM pg_temp.thread('ada')), 2, '... stored once');

-- a duplicate is not acted on again: STOP, START, then the STOP retried
SELECT is(pg_temp.inbound(pg_temp.from_form(pg_temp.phone('ada'), 'STOP', 'SMpgtap36stop')) ->> 'action',
          'opt_out', 'STOP: an opt-out');
SELECT is((SELECT count(*)::int FROM opt_outs WHERE phone = pg_temp.phone('ada')), 1, '... recorded');
SELECT is(pg_temp.inbound(pg_temp.from_form(pg_temp.phone('ada'), 'START', 'SMpgtap36start')) ->> 'action',
          'opt_in', 'START: opted in again');
SELECT is(pg_temp.inbound(pg_temp.from_form(pg_temp.phone('ada'), 'STOP', 'SMpgtap36stop')) ->> 'duplicate',
          'true', 'the STOP retried by the provider: a duplicate');
SELECT is((SELECT count(*)::int FROM opt_outs WHERE phone = pg_temp.phone('ada')), 0,
          '... that does not opt the lead out again');
SELECT is((SELECT array_agg(body ORDER BY id) FROM pg_temp.thread('ada')),
          ARRAY[(SELECT sms_message FROM campaign_leads WHERE id = pg_temp.id('cl1')),
                'Yes please, what time?', 'STOP', current_setting('smscamp.optout_confirmation'),
                'START', current_setting('smscamp.optin_confirmation')],
          'the thread holds every message once, in order, the keywords'' answers too');

-- without a MessageSid: kept, nothing to deduplicate by
SELECT is(pg_temp.inbound(pg_temp.from_form(pg_temp.phone('ada'), 'no sid', NULL)) ->> 'duplicate',
          'false', 'no MessageSid: kept');
SELECT is(pg_temp.inbound(pg_temp.from_form(pg_temp.phone('ada'), 'no sid', NULL)) ->> 'duplicate',
          'false', '... twice (nothing says it is the same message)');

-- an unknown number
INSERT INTO ids SELECT 'stranger', (pg_temp.inbound(pg_temp.from_form(pg_temp.free_phone('+1415556'),
                                   'who is this?', 'SMpgtap36who')) ->> 'message_id')::bigint;
SELECT is((SELECT row(lead_id, campaign_id, campaign_lead_id, direction)::text
             FROM messages WHERE id = pg_temp.id('stranger')),
          row(NULL::bigint, NULL::bigint, NULL::bigint, 'inbound')::text,
          'from an unknown number: kept without a lead');

-- a lead never messaged: its lead, no campaign
INSERT INTO leads (name, phone) VALUES ('Thread Grace', pg_temp.free_phone('+1415555'));
INSERT INTO ids VALUES ('grace', (SELECT id FROM leads WHERE name = 'Thread Grace'));
INSERT INTO ids SELECT 'in_grace', (pg_temp.inbound(pg_temp.from_form(pg_temp.phone('grace'),
                                   'hello', 'SMpgtap36grace')) ->> 'message_id')::bigint;
SELECT is((SELECT row(lead_id, campaign_id)::text FROM messages WHERE id = pg_temp.id('in_grace')),
          row(pg_temp.id('grace'), NULL::bigint)::text, 'a lead no campaign messaged: no campaign');

------------------------------------------------------------------------------
-- GET /api/leads/{id}/messages
------------------------------------------------------------------------------
CREATE FUNCTION pg_temp.page(p_lead text, p_args jsonb) RETURNS jsonb
LANGUAGE sql AS $$
SELECT pg_temp.call(format('SELECT * FROM api.leads_messages(%L, %L)', pg_temp.id(p_lead), p_args))
$$;
SELECT is(pg_temp.page('ada', '{}') -> 'status', '200', 'the thread: 200');
SELECT is((SELECT array_agg((m ->> 'id')::bigint ORDER BY o)
             FROM jsonb_array_elements(pg_temp.page('ada', '{}') #> '{body,items}') WITH ORDINALITY AS e(m, o)),
          (SELECT array_agg(id ORDER BY id) FROM pg_temp.thread('ada')),
          'every message, oldest first');
SELECT is((pg_temp.page('ada', '{}') #>> '{body,total}')::int, 8, 'total: the whole thread');
SELECT is(pg_temp.page('ada', '{}') #> '{body,next_after}', 'null', 'one page: no next_after');
SELECT is(pg_temp.page('ada', '{"limit": "2"}') #> '{body,next_after}',
          to_jsonb((SELECT id FROM pg_temp.thread('ada') OFFSET 1 LIMIT 1)),
          'limit 2: next_after is the second message');
SELECT is((SELECT array_agg((m ->> 'id')::bigint)
             FROM jsonb_array_elements(pg_temp.page('ada',
                 jsonb_build_object('limit', '2', 'after',
                     (SELECT id FROM pg_temp.thread('ada') OFFSET 1 LIMIT 1)::text)) #> '{body,items}') AS e(m)),
          (SELECT array_agg(id) FROM (SELECT id FROM pg_temp.thread('ada') OFFSET 2 LIMIT 2) x),
          'after: the next page');
SELECT is(pg_temp.page('ada', '{}') #> '{body,items,0}' ?& ARRAY['id', 'lead_id', 'campaign_id',
              'campaign_lead_id', 'phone', 'direction', 'body', 'kind', 'status', 'provider_sid',
              'intent', 'created_at', 'sent_at'], true, 'a message has every field');
SELECT is(pg_temp.call('SELECT * FROM api.leads_messages(''9223372036854775807'', ''{}'')') -> 'status',
          '404', 'a missing lead: 404');
SELECT is(pg_temp.call(format('SELECT * FROM api.leads_messages(%L, %L)', pg_temp.id('ada'),
                              '{"offset": "2"}')) -> 'status', '422', 'offset: 422 (keyset pages)');
SELECT is(pg_temp.call(format('SELECT * FROM api.leads_messages(%L, %L)', pg_temp.id('ada'),
                              '{"after": "x"}')) -> 'status', '422', 'a bad after: 422');

-- a deleted lead's thread stays, with its phone
DELETE FROM leads WHERE id = pg_temp.id('ada');
SELECT is((SELECT count(*)::int FROM messages WHERE phone = (SELECT phone FROM messages
             WHERE id = pg_temp.id('in1')) AND lead_id IS NULL), 8,
          'deleting the lead keeps its messages (lead_id null, the phone kept)');

SELECT * FROM finish();
ROLLBACK;
