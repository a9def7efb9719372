-- Status callbacks that come before their SID is recorded (sql/callbacks.sql): kept while a
-- send or a call is in flight, applied by the housekeeping once the SID is known, dropped
-- when nothing is in flight, and after 10 minutes.
BEGIN;
SET client_min_messages = warning;
SELECT plan(12);

SET LOCAL smscamp.twilio_auth_token = 'tok-sql-test';
\ir lib/route.sql
\ir lib/webhook.sql
\ir lib/free_phone.sql

DELETE FROM early_callbacks;
CREATE TEMP TABLE v AS
WITH c AS (INSERT INTO campaigns (name, sms_template, send_window) VALUES ('early test', 'Hi {first_name}', NULL)
           RETURNING id),
     l AS (INSERT INTO leads (name, phone) VALUES ('Early Ann', pg_temp.free_phone('+4477009051')) RETURNING id),
     cl AS (INSERT INTO campaign_leads (campaign_id, lead_id, status, attempts, sms_message)
            SELECT c.id, l.id, 'processing', 1, 'Hi Early' FROM c, l RETURNING id)
SELECT (SELECT id FROM c) AS cid, (SELECT id FROM cl) AS clid;
UPDATE campaigns SET status = 'pending' WHERE id = (SELECT cid FROM v);
UPDATE campaigns SET status = 'processing', started_at = now() WHERE id = (SELECT cid FROM v);
UPDATE campaign_leads SET status = 'processing' WHERE status = 'sending' AND id <> (SELECT clid FROM v);

-- nothing in flight: an unknown SID is nothing we sent
SELECT is(pg_temp.status_cb('MessageSid=SMnobody&MessageStatus=delivered') ->> 'matched', 'false',
          'a callback for a SID nobody has: matched false');
SELECT is((SELECT count(*)::int FROM early_callbacks), 0, '... not kept while nothing is in flight');

-- the lead is "sending": its request went, the provider called back before the SID was recorded
UPDATE campaign_leads SET status = 'sending', claimed_by = 4242 WHERE id = (SELECT clid FROM v);
SELECT is(pg_temp.status_cb('MessageSid=SMearly1&MessageStatus=sent') ->> 'matched', 'false',
          'a callback before its SID is recorded: matched false (200 to Twilio)');
SELECT is(pg_temp.status_cb('MessageSid=SMearly1&MessageStatus=delivered') ->> 'matched', 'false', '... and the next');
SELECT is((SELECT count(*)::int FROM early_callbacks WHERE sid = 'SMearly1'), 2, '... both kept, while a send is in flight');
SELECT is(smscamp_apply_early_callbacks(), 0, 'applied: none while the SID is still unknown');
-- the worker records the provider's answer
UPDATE campaign_leads SET status = 'sent', sms_sent = true, sms_sid = 'SMearly1', claimed_by = NULL,
       processed_at = now() WHERE id = (SELECT clid FROM v);
SELECT is(smscamp_apply_early_callbacks(), 2, 'once the SID is recorded: both applied, in order');
SELECT is((SELECT status FROM campaign_leads WHERE id = (SELECT clid FROM v)), 'delivered',
          '... the lead is delivered');
SELECT is((SELECT count(*)::int FROM early_callbacks), 0, '... and they are gone');

-- a call's, the same way
UPDATE campaign_leads SET call_status = 'calling', call_claimed_by = 4242 WHERE id = (SELECT clid FROM v);
SELECT smscamp_record_call_status('{"CallSid": "CAearly1", "CallStatus": "completed", "CallDuration": "9"}');
UPDATE campaign_leads SET call_status = 'queued', call_sid = 'CAearly1', call_claimed_by = NULL,
       voice_call_made = true WHERE id = (SELECT clid FROM v);
SELECT is(smscamp_apply_early_callbacks(), 1, 'a call''s early callback: applied once its SID is recorded');
SELECT is((SELECT call_status || ' ' || call_duration FROM campaign_leads WHERE id = (SELECT clid FROM v)),
          'completed 9', '... the call completed');

-- never matched: dropped after 10 minutes
INSERT INTO early_callbacks (kind, sid, form, received_at)
VALUES ('sms', 'SMstale', '{"MessageSid": "SMstale", "MessageStatus": "delivered"}', now() - interval '11 minutes');
SELECT smscamp_apply_early_callbacks();
SELECT is((SELECT count(*)::int FROM early_callbacks), 0, 'a kept callback that never matched: dropped after 10 minutes');

SELECT * FROM finish();
ROLLBACK;
