-- SMS provider webhooks (sql/api/webhooks.sql): form decoding, inbound
-- opt-out/opt-in keywords, delivery status callbacks.
BEGIN;
SET client_min_messages = warning;
SELECT plan(51);

-- the provider's auth token for this transaction: webhooks are signed with it
SET LOCAL smscamp.twilio_auth_token = 'tok-sql-test';

\ir lib/err.sql
\ir lib/route.sql
\ir lib/webhook.sql

------------------------------------------------------------------------------
-- application/x-www-form-urlencoded
------------------------------------------------------------------------------
SELECT is(api_form_decode('a=1&b=two+words&c=%2B14155550123&d=caf%C3%A9&e=%E2%82%AC%F0%9F%98%80'),
          jsonb_build_object('a', '1', 'b', 'two words', 'c', '+14155550123', 'd', 'café',
                             'e', '€😀'),
          'form decoding: + is a space, %XX bytes are UTF-8');
SELECT is(api_form_decode('k=a%2Bb%3Dc%26d&empty=&flag&&last=1&last=2'),
          '{"k": "a+b=c&d", "empty": "", "flag": "", "last": "2"}',
          'form decoding: escaped + = &, empty values, a key without =, the last of a repeated key');
SELECT is(api_form_decode('Na%6De=x%41'), '{"Name": "xA"}', 'form decoding: escapes in keys, either case');
SELECT is(api_form_decode(''), '{}', 'an empty body: no fields');
SELECT is(api_form_decode(NULL), '{}', 'no body: no fields');
SELECT is(pg_temp.err($$SELECT api_form_decode('a=%ZZ')$$) ->> 'state', 'SC400', 'a bad escape: 400');
SELECT is(pg_temp.err($$SELECT api_form_decode('a=50%')$$) ->> 'state', 'SC400', 'a cut escape: 400');
SELECT is(pg_temp.err($$SELECT api_form_decode('a=%C3%28')$$) ->> 'state', 'SC400',
          'bytes that are not UTF-8: 400');
SELECT is(pg_temp.err($$SELECT api_form_decode('a=%00')$$) ->> 'state', 'SC400', 'a NUL byte: 400');
SELECT matches(pg_temp.err($$SELECT api_form_decode('a=%ZZ')$$) #>> '{body,detail}',
               '^Request body is not valid application/x-www-form-urlencoded data',
               '... with a clear message');
SELECT is(pg_temp.err($$SELECT * FROM api.webhooks_sms_inbound('application/json', '{"From": "+1"}',
                                                                pg_temp.url('inbound'), 'x')$$) ->> 'state',
          'SC415', 'a JSON body: 415');

------------------------------------------------------------------------------
-- X-Twilio-Signature
------------------------------------------------------------------------------
-- Twilio's documented example (docs "Webhooks security"): token 12345
SELECT is(api_twilio_signature('https://mycompany.com/myapp.php?foo=1&bar=2',
              'CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1234&From=%2B12349013030&To=%2B18005551212',
              '12345'),
          '0/KCTR6DLpKmkAf8muzZqo1nDgQ=', 'the signature of Twilio''s documented example');
SELECT is(api_twilio_signature('https://mycompany.com/myapp.php?foo=1&bar=2',
              'To=%2B18005551212&From=%2B12349013030&Digits=1234&Caller=%2B12349013030&CallSid=CA1234567890ABCDE',
              '12345'),
          '0/KCTR6DLpKmkAf8muzZqo1nDgQ=', '... whatever the order of the fields');
SELECT isnt(api_twilio_signature('https://mycompany.com/myapp.php?foo=1&bar=2',
              'CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1235&From=%2B12349013030&To=%2B18005551212',
              '12345'),
          '0/KCTR6DLpKmkAf8muzZqo1nDgQ=', '... and not when a value changes');
SELECT is(pg_temp.err(format($$SELECT * FROM api.webhooks_sms_inbound('application/x-www-form-urlencoded',
              'From=%%2B447700900499&Body=STOP', %L, NULL)$$, pg_temp.url('inbound'))) ->> 'state',
          'SC403', 'no signature: 403');
SELECT is(pg_temp.err(format($$SELECT * FROM api.webhooks_sms_inbound('application/x-www-form-urlencoded',
              'From=%%2B447700900499&Body=STOP', %L, %L)$$, pg_temp.url('inbound'),
              pg_temp.sig('inbound', 'From=%2B447700900499&Body=START'))) ->> 'state',
          'SC403', 'the signature of other fields: 403');
SELECT is(pg_temp.err(format($$SELECT * FROM api.webhooks_sms_inbound('application/x-www-form-urlencoded',
              'From=%%2B447700900499&Body=STOP', %L, %L)$$, pg_temp.url('status'),
              pg_temp.sig('inbound', 'From=%2B447700900499&Body=STOP'))) ->> 'state',
          'SC403', 'the signature of another URL: 403');
SELECT is(pg_temp.err(format($$SELECT * FROM api.webhooks_sms_status('application/x-www-form-urlencoded',
              'MessageSid=SMx&MessageStatus=delivered', %L, 'AAAA')$$, pg_temp.url('status'))) ->> 'state',
          'SC403', 'a status callback with a wrong signature: 403');
SELECT matches(pg_temp.err($$SELECT * FROM api.webhooks_sms_inbound('application/x-www-form-urlencoded', 'From=%ZZ',
                                                                   'https://x.test/', NULL)$$) #>> '{body,detail}',
               'X-Twilio-Signature', 'unsigned: 403 before the body is decoded, and the message says why');
SELECT is((SELECT count(*)::int FROM opt_outs WHERE phone = '+447700900499'), 0, 'the refused calls recorded nothing');
SELECT is(pg_temp.inbound('From=%2B447700900499&Body=STOP') ->> '_status', '200', 'signed right: 200');
SET LOCAL smscamp.twilio_auth_token = '';
SELECT matches(pg_temp.err(format($$SELECT * FROM api.webhooks_sms_inbound('application/x-www-form-urlencoded',
              'From=%%2B447700900499&Body=START', %L, %L)$$, pg_temp.url('inbound'),
              pg_temp.sig('inbound', 'From=%2B447700900499&Body=START'))) #>> '{body,detail}',
          'not configured', 'no auth token configured: 403, whatever the signature');
SET LOCAL smscamp.twilio_auth_token = 'tok-sql-test';
SELECT is(pg_temp.inbound('From=%2B447700900499&Body=START') ->> 'action', 'opt_in', 'with the token back: 200');

------------------------------------------------------------------------------
-- inbound: opt-out keywords
------------------------------------------------------------------------------
DELETE FROM opt_outs WHERE phone LIKE '+4477009004%';

CREATE TEMP TABLE stop1 ON COMMIT DROP AS
SELECT pg_temp.inbound('From=%2B447700900401&To=%2B15005550006&Body=STOP&MessageSid=SM1') AS r;
SELECT is((SELECT r FROM stop1),
          jsonb_build_object('received', true, 'action', 'opt_out', 'phone', '+447700900401',
                             '_status', 200, 'duplicate', false,
                             'message_id', (SELECT id FROM messages WHERE provider_sid = 'SM1')),
          'STOP: 200 opt_out, the message kept (messages)');
SELECT is((SELECT keyword || '/' || source FROM opt_outs WHERE phone = '+447700900401'), 'STOP/sms',
          '... recorded in opt_outs');
SELECT is(pg_temp.inbound('From=%2B447700900401&Body=stop') ->> 'action', 'opt_out',
          'STOP again: still opt_out (no error)');
SELECT is(pg_temp.inbound('From=%2B44+7700+900402&Body=++unsubscribe%0A') ->> 'phone', '+447700900402',
          'the phone is normalised; the keyword is trimmed, any case');
SELECT is((SELECT count(*)::int FROM opt_outs WHERE phone = '+447700900402'), 1, '... recorded');
SELECT is(array_agg(pg_temp.inbound(format('From=%%2B4477009004%s&Body=%s', 10 + o, k)) ->> 'action' ORDER BY o),
          array_fill('opt_out'::text, ARRAY[7]),
          'STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, OPTOUT are opt-outs')
  FROM unnest(ARRAY['STOP', 'StopAll', 'UNSUBSCRIBE', 'cancel', 'End', 'QUIT', 'OPTOUT'])
       WITH ORDINALITY AS x(k, o);
SELECT is(pg_temp.inbound('From=%2B447700900403&Body=Please+stop+texting+me') ->> 'action', 'none',
          'a sentence with "stop" in it is not a keyword');
SELECT is((SELECT count(*)::int FROM opt_outs WHERE phone = '+447700900403'), 0, '... nothing recorded');
SELECT is(pg_temp.inbound('From=%2B447700900401&Body=Start') ->> 'action', 'opt_in', 'START: opt_in');
SELECT is((SELECT count(*)::int FROM opt_outs WHERE phone = '+447700900401'), 0, '... the opt-out is gone');
SELECT is(pg_temp.inbound('From=%2B447700900402&Body=UNSTOP') ->> 'action', 'opt_in', 'UNSTOP: opt_in');
SELECT is(pg_temp.inbound('From=%2B447700900404&Body=') ->> 'action', 'none', 'an empty Body: none');
SELECT is(pg_temp.err($$SELECT * FROM api.webhooks_sms_inbound('application/x-www-form-urlencoded', 'Body=STOP',
                                                                pg_temp.url('inbound'), pg_temp.sig('inbound', 'Body=STOP'))$$)
            #> '{body,detail,0}',
          '{"loc": ["body", "From"], "msg": "Field required", "type": "missing"}', 'no From: 422');
SELECT is(pg_temp.err($$SELECT * FROM api.webhooks_sms_inbound('application/x-www-form-urlencoded', 'From=abc&Body=STOP',
                                                                pg_temp.url('inbound'), pg_temp.sig('inbound', 'From=abc&Body=STOP'))$$)
            ->> 'state', 'SC422', 'a From that is not a phone: 422');

-- the validation node skips opted-out leads: the context says so
DELETE FROM leads WHERE phone LIKE '+4477009004%';
INSERT INTO leads (name, phone) VALUES ('Opted Out', '+447700900405');
INSERT INTO campaigns (name) VALUES ('webhook test');
SELECT pg_temp.inbound('From=%2B447700900405&Body=STOP') IS NOT NULL AS ignore \gset
SELECT is((smscamp_preview_context((SELECT max(id) FROM campaigns),
                                   (SELECT id FROM leads WHERE phone = '+447700900405')) ->> 'opted_out'),
          'true', 'an opted-out phone is opted_out in the lead context');

------------------------------------------------------------------------------
-- status callbacks
------------------------------------------------------------------------------
INSERT INTO leads (name, phone)
SELECT 'Callback ' || i, '+4477009004' || (50 + i) FROM generate_series(1, 5) AS i;
INSERT INTO campaign_leads (campaign_id, lead_id, status, sms_sent, sms_sid, processed_at)
SELECT (SELECT max(id) FROM campaigns), l.id,
       CASE WHEN l.phone LIKE '%54' THEN 'unknown' WHEN l.phone LIKE '%55' THEN 'skipped' ELSE 'sent' END,
       l.phone NOT LIKE '%54' AND l.phone NOT LIKE '%55', 'SMcb' || right(l.phone, 2), now()
  FROM leads l WHERE l.phone LIKE '+44770090045%';
CREATE FUNCTION pg_temp.lead(p_sid text) RETURNS campaign_leads
LANGUAGE sql AS $$ SELECT * FROM campaign_leads WHERE sms_sid = p_sid $$;

SELECT is(pg_temp.status_cb('SmsSid=SMcb51&SmsStatus=delivered&MessageSid=SMcb51&MessageStatus=delivered&AccountSid=AC1')
            - 'campaign_lead_id',
          '{"received": true, "matched": true, "status": "delivered", "provider_status": "delivered", "_status": 200}',
          'delivered: 200, matched');
SELECT is((pg_temp.lead('SMcb51')).status, 'delivered', '... the lead is delivered');
SELECT isnt((pg_temp.lead('SMcb51')).delivered_at, NULL, '... with delivered_at');
SELECT is((pg_temp.status_cb('MessageSid=SMcb51&MessageStatus=sent')) ->> 'status', 'delivered',
          'a late "sent" callback does not move a delivered lead back');
SELECT is((pg_temp.status_cb('MessageSid=SMcb52&MessageStatus=undelivered&ErrorCode=30003')) ->> 'status',
          'undelivered', 'undelivered: the lead is undelivered');
SELECT is((pg_temp.lead('SMcb52')).error_message,
          'SMS undelivered (provider status callback, error code 30003: Unreachable destination handset)', '... with the error code');
SELECT is((pg_temp.status_cb('MessageSid=SMcb53&MessageStatus=failed&ErrorCode=30007')) ->> 'status',
          'failed', 'failed: the lead is failed');
SELECT is((pg_temp.status_cb('MessageSid=SMcb54&MessageStatus=sent')) ->> 'status', 'sent',
          'an "unknown" lead the provider reports sent becomes sent');
SELECT ok((pg_temp.lead('SMcb54')).sms_sent, '... and sms_sent');
SELECT is((pg_temp.status_cb('MessageSid=SMcb55&MessageStatus=delivered')) ->> 'status', 'skipped',
          'a callback never changes a lead that was not sent');
SELECT is(pg_temp.status_cb('MessageSid=SMnope&MessageStatus=delivered'),
          '{"received": true, "matched": false, "_status": 200}', 'an unknown sid: 200, matched false');
SELECT is((SELECT count(*)::int FROM processing_logs pl JOIN campaign_leads cl ON cl.id = pl.campaign_lead_id
            WHERE cl.sms_sid LIKE 'SMcb%' AND pl.node_name = 'status_callback'),
          6, 'every matched callback is logged (node status_callback)');
SELECT is(pg_temp.err($$SELECT * FROM api.webhooks_sms_status('application/x-www-form-urlencoded', 'AccountSid=AC1',
                                                               pg_temp.url('status'), pg_temp.sig('status', 'AccountSid=AC1'))$$)
            #>> '{body,detail}',
          '[{"loc": ["body", "MessageSid"], "msg": "Field required", "type": "missing"}, {"loc": ["body", "MessageStatus"], "msg": "Field required", "type": "missing"}]',
          'no MessageSid/MessageStatus: 422 for both');

SELECT * FROM finish();
ROLLBACK;
