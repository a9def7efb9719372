-- The SMS keywords (sql/keywords.sql): which messages are keywords, the HELP
-- answer, the one confirmation of an opt-out and of an opt-in, and that an
-- opted-out phone gets nothing else.  One transaction, rolled back.
BEGIN;
SET client_min_messages = warning;
SELECT plan(37);

SET LOCAL smscamp.twilio_auth_token = 'tok-sql-test';
\ir lib/route.sql
\ir lib/webhook.sql

------------------------------------------------------------------------------
-- smscamp_keyword: alone or the first word, any case, any punctuation
------------------------------------------------------------------------------
SELECT is(array_agg(smscamp_keyword(b) ORDER BY o), array_fill('opt_out'::text, ARRAY[18]),
          'opt-out keywords: ' || string_agg(b, ' | ' ORDER BY o))
  FROM unnest(ARRAY['STOP', 'stop', 'Stop.', 'stop!', 'Stop please', '  STOP  ', 'STOPALL',
                    'unsubscribe', 'Cancel', 'END', 'quit', 'REVOKE', 'OptOut', 'OPT OUT',
                    'opt out please', 'opt-out', '"STOP"', 'stop texting me'])
       WITH ORDINALITY AS x(b, o);
SELECT is(array_agg(smscamp_keyword(b) ORDER BY o), array_fill('opt_in'::text, ARRAY[5]),
          'opt-in keywords: START, UNSTOP, YES in any case, first word')
  FROM unnest(ARRAY['START', 'start', 'Unstop', 'yes', 'Yes please']) WITH ORDINALITY AS x(b, o);
SELECT is(array_agg(smscamp_keyword(b) ORDER BY o), array_fill('help'::text, ARRAY[4]),
          'help keywords: HELP, INFO')
  FROM unnest(ARRAY['HELP', 'help?', 'Info', 'help me']) WITH ORDINALITY AS x(b, o);
SELECT is(array_agg(coalesce(smscamp_keyword(b), '-') ORDER BY o), array_fill('-'::text, ARRAY[9]),
          'not keywords: ' || string_agg(coalesce(b, 'NULL'), ' | ' ORDER BY o))
  FROM unnest(ARRAY['Please stop texting me', 'stopped by yesterday', 'Starting Monday', 'helpful, thanks',
                    'I said yes', 'optional', '', '   ', NULL]) WITH ORDINALITY AS x(b, o);

------------------------------------------------------------------------------
-- the HELP answer
------------------------------------------------------------------------------
SET LOCAL smscamp.business_name = 'Acme Dental';
SET LOCAL smscamp.help_contact = 'support@acme.example';
SELECT is(smscamp_help_text(), 'Acme Dental: Reply STOP to opt out. Help: support@acme.example.',
          'the HELP answer: the business, how to opt out, the contact');
SET LOCAL smscamp.help_contact = '';
SELECT is(smscamp_help_text(), 'Acme Dental: Reply STOP to opt out.', 'without a contact');
SET LOCAL smscamp.help_message = 'Acme: appointment reminders. Reply STOP to end. 555-0100';
SELECT is(smscamp_help_text(), 'Acme: appointment reminders. Reply STOP to end. 555-0100',
          'smscamp.help_message, when set, is the answer');

------------------------------------------------------------------------------
-- the webhook acts on keywords
------------------------------------------------------------------------------
DELETE FROM opt_outs WHERE phone LIKE '+1212555017%';
DELETE FROM messages WHERE phone LIKE '+1212555017%';
CREATE FUNCTION pg_temp.answers(p_phone text) RETURNS text[]
LANGUAGE sql AS $$
    SELECT coalesce(array_agg(m.purpose || ':' || m.status ORDER BY m.id), '{}')
      FROM messages m WHERE m.phone = p_phone AND m.direction = 'outbound'
$$;

SELECT is(pg_temp.inbound('From=%2B12125550170&Body=HELP&MessageSid=SMkw1') ->> 'action', 'help', 'HELP: help');
SELECT is(pg_temp.answers('+12125550170'), ARRAY['help:queued'], 'HELP: one answer queued');
SELECT is((SELECT body || '/' || kind || '/' || sent_by FROM messages WHERE phone = '+12125550170' AND direction = 'outbound'),
          'Acme: appointment reminders. Reply STOP to end. 555-0100/auto/keyword',
          'the answer is smscamp.help_message, kind auto');
SELECT is(pg_temp.inbound('From=%2B12125550170&Body=HELP&MessageSid=SMkw1') ->> 'duplicate', 'true',
          'the same webhook again: a duplicate...');
SELECT is(pg_temp.answers('+12125550170'), ARRAY['help:queued'], '... and no second answer');
SELECT is((SELECT agent_state IS NULL AND intent = 'other' FROM messages WHERE provider_sid = 'SMkw1'), true,
          'a keyword needs no classifier');

SELECT is(pg_temp.inbound('From=%2B12125550171&Body=Stop+please&MessageSid=SMkw2') ->> 'action', 'opt_out',
          '"Stop please": opt_out');
SELECT is((SELECT source FROM opt_outs WHERE phone = '+12125550171'), 'sms', 'on the suppression list (source sms)');
SELECT is(pg_temp.answers('+12125550171'), ARRAY['opt_out_confirmation:queued'], 'one confirmation queued');
SELECT is(pg_temp.inbound('From=%2B12125550171&Body=STOP&MessageSid=SMkw3') ->> 'action', 'opt_out',
          'STOP again: opt_out...');
SELECT is(pg_temp.answers('+12125550171'), ARRAY['opt_out_confirmation:queued'], '... and no second confirmation');
SELECT is(pg_temp.inbound('From=%2B12125550171&Body=help&MessageSid=SMkw4') ->> 'action', 'help',
          'HELP from the opted-out phone: help...');
SELECT is(pg_temp.answers('+12125550171'), ARRAY['opt_out_confirmation:queued'], '... but no answer is sent to it');

-- the workers' claim: the confirmation goes to the opted-out phone, nothing else does
INSERT INTO messages (phone, direction, body, kind, status)
VALUES ('+12125550171', 'outbound', 'A reply queued before the STOP', 'reply', 'queued');
CREATE TEMP TABLE claimed ON COMMIT DROP AS
SELECT smscamp_claim_outbound(pg_backend_pid(), 1000, true) AS tasks;
SELECT is((SELECT array_agg(coalesce(m.purpose, m.kind) || ':' || m.status ORDER BY m.id)
             FROM messages m WHERE m.phone = '+12125550171' AND m.direction = 'outbound'),
          ARRAY['opt_out_confirmation:sent', 'reply:failed'],
          'claimed: the confirmation is sent, the reply to the opted-out phone fails');
SELECT is((SELECT count(*)::int FROM sms_outbox WHERE to_phone = '+12125550171'), 1,
          'one message reached the opted-out phone (the log provider''s outbox)');
SELECT is((SELECT status FROM messages WHERE phone = '+12125550170' AND purpose = 'help'), 'sent',
          'the HELP answer is sent too');

-- opt back in
SELECT is(pg_temp.inbound('From=%2B12125550171&Body=yes&MessageSid=SMkw5') ->> 'action', 'opt_in',
          'YES from the opted-out phone: opt_in');
SELECT is((SELECT count(*)::int FROM opt_outs WHERE phone = '+12125550171'), 0, 'off the suppression list');
SELECT is(pg_temp.answers('+12125550171'), ARRAY['opt_out_confirmation:sent', NULL, 'opt_in_confirmation:queued'],
          'one welcome back queued');
SELECT is(pg_temp.inbound('From=%2B12125550172&Body=Yes+I+am+interested&MessageSid=SMkw6') ->> 'action', 'none',
          'YES from a phone that never opted out: an ordinary reply');
SELECT is((SELECT agent_state FROM messages WHERE provider_sid = 'SMkw6'), 'classify', '... for the reply agent');
SELECT is(pg_temp.answers('+12125550172'), '{}'::text[], '... and no keyword answer');

-- OPT OUT, two words; an emptied confirmation sends nothing
SET LOCAL smscamp.optout_confirmation = '';
SELECT is(pg_temp.inbound('From=%2B12125550173&Body=opt+out&MessageSid=SMkw7') ->> 'action', 'opt_out', '"opt out": opt_out');
SELECT is(pg_temp.answers('+12125550173'), '{}'::text[], 'smscamp.optout_confirmation empty: no confirmation');
RESET smscamp.optout_confirmation;

------------------------------------------------------------------------------
-- plain-language opt-outs (the reply agent's classifier) are confirmed once too
------------------------------------------------------------------------------
SELECT is(pg_temp.inbound('From=%2B12125550174&Body=please+take+me+off+your+list&MessageSid=SMkw8') ->> 'action', 'none',
          'a sentence is no keyword');
SELECT is(smscamp_set_intent((SELECT m FROM messages m WHERE provider_sid = 'SMkw8'), 'opt_out', 'builtin'), NULL,
          'classified opt_out');
SELECT is((SELECT source FROM opt_outs WHERE phone = '+12125550174'), 'reply', 'on the list (source reply)');
SELECT is(pg_temp.answers('+12125550174'), ARRAY['opt_out_confirmation:queued'], 'its one confirmation queued');
SELECT is(pg_temp.inbound('From=%2B12125550174&Body=STOP&MessageSid=SMkw9') ->> 'action', 'opt_out', 'then STOP...');
SELECT is(pg_temp.answers('+12125550174'), ARRAY['opt_out_confirmation:queued'], '... no second confirmation');

SELECT * FROM finish();
ROLLBACK;
