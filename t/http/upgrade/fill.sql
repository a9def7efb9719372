-- The upgrade test's data (t/http/95-upgrade.t, step 2): written through the functions of the
-- baseline release, not the current ones (psql runs it against the baseline's database).  Adapt
-- it when the baseline moves.  It must leave no table empty (the test says which ones it did).
\set ON_ERROR_STOP 1
SET client_min_messages = warning;

-- a route function's answer, or an error when it is not 2xx
CREATE FUNCTION pg_temp.ok(p_what text, p_status integer, p_body text) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    IF p_status IS NULL OR p_status NOT BETWEEN 200 AND 299 THEN
        RAISE EXCEPTION '% answered HTTP %: %', p_what, p_status, p_body;
    END IF;
    RETURN p_body::jsonb;
END
$$;
CREATE FUNCTION pg_temp.campaign(p_name text) RETURNS bigint
LANGUAGE sql AS $$ SELECT id FROM campaigns WHERE name = p_name $$;
CREATE FUNCTION pg_temp.cl(p_campaign text, p_phone text) RETURNS bigint
LANGUAGE sql AS $$
    SELECT cl.id FROM campaign_leads cl
      JOIN campaigns c ON c.id = cl.campaign_id JOIN leads l ON l.id = cl.lead_id
     WHERE c.name = p_campaign AND l.phone = p_phone
$$;
CREATE FUNCTION pg_temp.ids(VARIADIC p_phones text[]) RETURNS jsonb
LANGUAGE sql AS $$ SELECT jsonb_agg(id ORDER BY id) FROM leads WHERE phone = ANY (p_phones) $$;
-- validate_lead and sms_agent's writing, as the nodes record them
CREATE FUNCTION pg_temp.write(p_cl bigint, p_text text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM smscamp_claim_one(p_cl);
    PERFORM smscamp_log(p_cl, 'info', 'validate_lead', 'Lead is valid',
                        jsonb_build_object('phone', 'ok', 'opted_out', false));
    PERFORM smscamp_record_message(p_cl, p_text, smscamp_sms_segments(p_text),
                                   smscamp_sms_cost(p_text), smscamp_sms_encoding(p_text));
    PERFORM smscamp_log(p_cl, 'info', 'sms_agent', 'Message written',
                        jsonb_build_object('segments', smscamp_sms_segments(p_text),
                                           'encoding', smscamp_sms_encoding(p_text),
                                           'writer', 'builtin'));
END
$$;
-- the provider's webhooks, signed as Twilio signs them
-- a send through the baseline's record functions: marked sending, the provider's answer
-- recorded (outcome, SID, provider status, segments, price, error), the lead finalized
CREATE FUNCTION pg_temp.sent(p_cl bigint, p_outcome text, p_sid text, p_provider_status text,
                             p_segments integer, p_price text, p_error text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM smscamp_mark_sending(p_cl);
    PERFORM smscamp_record_send(p_cl, p_outcome, p_sid, p_provider_status, p_segments, p_price,
                                p_error, NULL);
    PERFORM smscamp_finalize_lead(p_cl);
END
$$;
CREATE FUNCTION pg_temp.webhook(p_kind text, p_form text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_url text := 'https://sms.example.com/api/webhooks/sms/' || p_kind;
    v_sig text := api_twilio_signature(v_url, p_form, current_setting('smscamp.twilio_auth_token'));
    r record;
BEGIN
    IF p_kind = 'inbound' THEN
        SELECT * INTO r FROM api_webhooks_sms_inbound('application/x-www-form-urlencoded',
                                                      p_form, v_url, v_sig);
    ELSE
        SELECT * INTO r FROM api_webhooks_sms_status('application/x-www-form-urlencoded',
                                                     p_form, v_url, v_sig);
    END IF;
    RETURN pg_temp.ok('webhook ' || p_kind, r.status, r.body);
END
$$;

------------------------------------------------------------------ leads
SELECT pg_temp.ok('create lead', status, body) FROM api_leads_create(
    '{"name": "Ada Lovelace", "phone": "+44 20 7946 0958", "email": "ada@analytical.example",
      "company": "Analytical Engines Ltd", "notes": "Prefers mornings. Met at the Royal Society."}');
SELECT pg_temp.ok('create lead', status, body) FROM api_leads_create(
    '{"name": "Grace Hopper", "phone": "+1 (415) 392-0101", "email": "grace.hopper@navy.example",
      "company": "Harvard Mark I", "notes": "Asked for the \"nanosecond\" demo"}');
SELECT pg_temp.ok('create lead', status, body) FROM api_leads_create(
    '{"name": "Zoë Ångström", "phone": "+46 8 123 456 78", "email": "zoe@angstrom.example",
      "company": "Ångström & Söner AB", "notes": "Likes 🎉 events; speaks 日本語 too"}');
SELECT pg_temp.ok('create lead', status, body) FROM api_leads_create(
    '{"name": "Sam Okafor", "phone": "+234 803 123 4567"}');
SELECT pg_temp.ok('create lead', status, body) FROM api_leads_create(
    '{"name": "Oliver Quinn", "phone": "+1 212 736 0199", "email": "oliver@quinn.example",
      "company": "Quinn Consolidated"}');
SELECT pg_temp.ok('create lead', status, body) FROM api_leads_create(
    '{"name": "Marie Curie", "phone": "+33 6 12 34 56 78", "email": "marie@radium.example",
      "notes": "Line one\nLine two\ttabbed"}');
SELECT pg_temp.ok('import leads', status, body) FROM api_leads_import('text/csv',
'name,phone,email,company,notes
"Hopper, Grace B.",+1 303 444 0102,gbh@cobol.example,"COBOL, Inc.","said ""call after 5"""
Alan Turing,+44 161 496 0123,alan@bletchley.example,Bletchley Park,
Katherine Johnson,+1 757 864 0134,katherine@langley.example,NASA Langley,orbital mechanics
Linus Torvalds,+358 40 123 4567,,,
Hedy Lamarr,+1 310 278 0145,hedy@spread.example,Frequency Hopping Co,actress and inventor
');
-- an existing phone updates that lead
SELECT pg_temp.ok('import update', status, body) FROM api_leads_import('application/json',
    '[{"name": "Alan M. Turing", "phone": "+441614960123", "company": "University of Manchester"}]');
SELECT pg_temp.ok('update lead', status, body)
  FROM api_leads_update((SELECT id FROM leads WHERE phone = '+12127360199')::text,
                        '{"notes": "Asked to be called back in spring"}');
SELECT pg_temp.ok('create lead', status, body) FROM api_leads_create(
    '{"name": "Short Lived", "phone": "+1 617 253 0156"}');
SELECT pg_temp.ok('delete lead', status, coalesce(body, '{}'))
  FROM api_leads_delete((SELECT id FROM leads WHERE phone = '+16172530156')::text);

------------------------------------------------------------------ opt-outs
SELECT pg_temp.webhook('inbound', 'From=%2B12127360199&Body=STOP&MessageSid=SMin0001');
SELECT pg_temp.webhook('inbound', 'From=%2B447700900123&Body=Unsubscribe&MessageSid=SMin0002');
SELECT pg_temp.webhook('inbound', 'From=%2B13104440199&Body=STOP&MessageSid=SMin0003');
SELECT pg_temp.webhook('inbound', 'From=%2B13104440199&Body=start&MessageSid=SMin0004');
SELECT pg_temp.webhook('inbound', 'From=%2B13104440188&Body=Thanks%21&MessageSid=SMin0005');

------------------------------------------------------------------ campaigns
SELECT pg_temp.ok('create campaign', status, body) FROM api_campaigns_create(jsonb_build_object(
    'name', 'Winter sale', 'description', 'Twenty percent off everything in January',
    'sms_system_prompt', 'Tell them about our winter sale: 20% off everything until Sunday.',
    'sms_temperature', 55, 'messages_per_second', 2.5, 'send_window', NULL,
    'lead_ids', pg_temp.ids('+442079460958', '+14153920101', '+46812345678', '+2348031234567',
                            '+12127360199', '+33612345678', '+17578640134')));
SELECT pg_temp.ok('create campaign', status, body) FROM api_campaigns_create(jsonb_build_object(
    'name', 'Flash offer', 'sms_system_prompt', 'Invite them to the flash sale tonight.',
    'send_window', NULL,
    'lead_ids', pg_temp.ids('+442079460958', '+46812345678', '+33612345678', '+13034440102',
                            '+441614960123')));
SELECT pg_temp.ok('create campaign', status, body) FROM api_campaigns_create(jsonb_build_object(
    'name', 'Newsletter', 'sms_system_prompt', 'Tell them the March newsletter is out.',
    'send_window', NULL, 'max_send_errors', 1, 'agent_type', 'both',
    'lead_ids', pg_temp.ids('+14153920101', '+2348031234567', '+441614960123', '+17578640134',
                            '+358401234567')));
SELECT pg_temp.ok('create campaign', status, body) FROM api_campaigns_create(jsonb_build_object(
    'name', 'Onboarding', 'sms_system_prompt', 'Welcome them to the beta.',
    'send_window', NULL, 'messages_per_second', 0.5,
    'lead_ids', pg_temp.ids('+2348031234567', '+358401234567', '+13102780145')));
SELECT pg_temp.ok('create campaign', status, body) FROM api_campaigns_create(jsonb_build_object(
    'name', 'Black Friday', 'description', 'Scheduled for the weekend',
    'sms_system_prompt', 'Black Friday: everything half price on Friday only.',
    'send_window', '09:00-20:00', 'lead_filter', 'example'));
SELECT pg_temp.ok('create campaign', status, body) FROM api_campaigns_create(jsonb_build_object(
    'name', 'Spring open day', 'sms_system_prompt', 'Invite them to our spring open day on Saturday.',
    'sms_temperature', 40, 'send_window', '08:30-19:00', 'agent_type', 'both',
    'lead_ids', pg_temp.ids('+442079460958', '+14153920101')));
SELECT pg_temp.ok('add leads', status, body)
  FROM api_campaigns_add_leads(pg_temp.campaign('Spring open day')::text,
                               jsonb_build_object('lead_ids', pg_temp.ids('+46812345678', '+14153920101')));
SELECT pg_temp.ok('update campaign', status, body)
  FROM api_campaigns_update(pg_temp.campaign('Spring open day')::text,
                            '{"description": "Saturday 10:00-16:00, main hall"}');
SELECT pg_temp.ok('create campaign', status, body) FROM api_campaigns_create(jsonb_build_object(
    'name', 'Voice pilot', 'agent_type', 'voice', 'lead_count', 2));

-- Winter sale: started, every lead processed one way or another -> completed
SELECT smscamp_start(pg_temp.campaign('Winter sale'));
SELECT count(*) FROM smscamp_claim(0, 0);           -- a worker's claim: pending -> processing

SELECT pg_temp.cl('Winter sale', '+442079460958') AS cl \gset
SELECT pg_temp.write(:cl, 'Hi Ada, our winter sale is on: 20% off everything until Sunday. Reply STOP to opt out');
SELECT smscamp_send_log(:cl, '+15005550006', sms_message) FROM campaign_leads WHERE id = :cl;
SELECT smscamp_finalize_lead(:cl);

SELECT pg_temp.cl('Winter sale', '+14153920101') AS cl \gset
SELECT pg_temp.write(:cl, 'Hi Grace, our winter sale is on: 20% off everything until Sunday, in store and online. We would love to see you at Harvard Mark I again soon. Reply STOP to opt out');
SELECT pg_temp.sent(:cl, 'sent', 'SM0f1e2d3c4b5a69788796a5b4c3d2e1f0', 'queued', 2, '-0.01580',
                    NULL);
SELECT pg_temp.webhook('status', 'MessageSid=SM0f1e2d3c4b5a69788796a5b4c3d2e1f0&MessageStatus=sent');
SELECT pg_temp.webhook('status', 'MessageSid=SM0f1e2d3c4b5a69788796a5b4c3d2e1f0&MessageStatus=delivered');

SELECT pg_temp.cl('Winter sale', '+46812345678') AS cl \gset
SELECT pg_temp.write(:cl, 'Hej Zoë, vinterrea: 20 % på allt till söndag 🎉 Reply STOP to opt out');
SELECT pg_temp.sent(:cl, 'sent', 'SMa1b2c3d4e5f60718293a4b5c6d7e8f90', 'accepted', 1, NULL,
                    NULL);
SELECT pg_temp.webhook('status', 'MessageSid=SMa1b2c3d4e5f60718293a4b5c6d7e8f90&MessageStatus=undelivered&ErrorCode=30003');

SELECT pg_temp.cl('Winter sale', '+2348031234567') AS cl \gset
SELECT pg_temp.write(:cl, 'Hi Sam, our winter sale is on: 20% off everything until Sunday. Reply STOP to opt out');
SELECT pg_temp.sent(:cl, 'failed', NULL, NULL, 0, NULL,
                    'SMS provider refused the message: 21211 Invalid ''To'' Phone Number');

SELECT pg_temp.cl('Winter sale', '+12127360199') AS cl \gset
SELECT smscamp_claim_one(:cl);
SELECT smscamp_mark_skipped(:cl, '["The lead has opted out (STOP)"]');
SELECT smscamp_finalize_lead(:cl);

SELECT pg_temp.cl('Winter sale', '+33612345678') AS cl \gset
SELECT pg_temp.write(:cl, 'Bonjour Marie, our winter sale is on: 20% off everything until Sunday. Reply STOP to opt out');
SELECT pg_temp.sent(:cl, 'unknown', NULL, NULL, 0, NULL,
                    'No answer from the SMS provider within 15000 ms: it may have sent the message, not resent');

SELECT pg_temp.cl('Winter sale', '+17578640134') AS cl \gset
SELECT pg_temp.write(:cl, 'Hi Katherine, our winter sale is on: 20% off everything until Sunday. Reply STOP to opt out');
SELECT smscamp_send_log(:cl, '+15005550006', sms_message) FROM campaign_leads WHERE id = :cl;
SELECT smscamp_finalize_lead(:cl);

-- some of it hours ago: more than one hour in the hourly statistics
UPDATE campaign_leads SET processed_at = processed_at - interval '3 hours'
 WHERE campaign_id = pg_temp.campaign('Winter sale') AND status IN ('delivered', 'failed');
UPDATE campaign_leads SET processed_at = processed_at - interval '26 hours'
 WHERE campaign_id = pg_temp.campaign('Winter sale') AND status = 'skipped';

-- Flash offer: one lead sent, then cancelled
SELECT smscamp_start(pg_temp.campaign('Flash offer'));
SELECT count(*) FROM smscamp_claim(0, 0);
SELECT pg_temp.cl('Flash offer', '+13034440102') AS cl \gset
SELECT pg_temp.write(:cl, 'Hi Grace, flash sale tonight only, 6-9pm! Reply STOP to opt out');
SELECT smscamp_send_log(:cl, NULL, sms_message) FROM campaign_leads WHERE id = :cl;
SELECT smscamp_finalize_lead(:cl);
SELECT smscamp_cancel(pg_temp.campaign('Flash offer'));

-- Newsletter: a retry pending, then a provider error pauses it (max_send_errors 1)
SELECT smscamp_start(pg_temp.campaign('Newsletter'));
SELECT count(*) FROM smscamp_claim(0, 0);
SELECT pg_temp.cl('Newsletter', '+441614960123') AS cl \gset
SELECT smscamp_claim_one(:cl);
SELECT smscamp_record_retry(:cl, 'LLM request failed: HTTP 503 (retry after 45 s)', 45, true);
SELECT smscamp_finalize_lead(:cl);
SELECT pg_temp.cl('Newsletter', '+14153920101') AS cl \gset
SELECT pg_temp.write(:cl, 'Hi Grace, the March newsletter is out. Reply STOP to opt out');
SELECT pg_temp.sent(:cl, 'failed', NULL, NULL, 0, NULL,
                    'SMS provider refused the message: 30007 Message filtered');

-- Onboarding: processing, one lead being sent and one being written (a worker's view)
SELECT smscamp_start(pg_temp.campaign('Onboarding'));
SELECT count(*) FROM smscamp_claim(0, 0);
SELECT pg_temp.cl('Onboarding', '+2348031234567') AS cl \gset
SELECT pg_temp.write(:cl, 'Hi Sam, welcome to the beta! Reply STOP to opt out');
SELECT smscamp_mark_sending(:cl);
SELECT smscamp_claim_one(pg_temp.cl('Onboarding', '+358401234567'));

-- Black Friday: scheduled
SELECT smscamp_schedule(pg_temp.campaign('Black Friday'), now() + interval '3 days');

------------------------------------------------------------------ API keys
SELECT smscamp_create_key('ops laptop', 'admin');
SELECT smscamp_create_key('wall dashboard', 'viewer', now() + interval '90 days');
SELECT smscamp_create_key('nightly importer', 'operator', NULL, 500);
SELECT smscamp_create_key('old deploy bot', 'operator');
SELECT smscamp_auth(key_hash) FROM api_keys WHERE name IN ('ops laptop', 'wall dashboard');
SELECT pg_temp.ok('revoke key', status, body)
  FROM api_keys_delete((SELECT id FROM api_keys WHERE name = 'old deploy bot')::text, '{}');
SELECT pg_temp.ok('rotate key', status, body)
  FROM api_keys_delete((SELECT id FROM api_keys WHERE name = 'nightly importer')::text,
                       '{"after": "3600"}');

------------------------------------------------------------------ what it must look like
DO $$
DECLARE
    got text := (SELECT string_agg(name || '=' || status, ', ' ORDER BY name) FROM campaigns);
    want text := 'Black Friday=scheduled, Flash offer=cancelled, Newsletter=paused, '
                 'Onboarding=processing, Spring open day=draft, Voice pilot=draft, '
                 'Winter sale=completed';
    leads text := (SELECT string_agg(status, ',' ORDER BY status) FROM campaign_leads cl
                    WHERE cl.campaign_id = pg_temp.campaign('Winter sale'));
BEGIN
    IF got IS DISTINCT FROM want THEN
        RAISE EXCEPTION 'campaigns are %, expected %', got, want;
    END IF;
    IF leads IS DISTINCT FROM 'delivered,failed,sent,sent,skipped,undelivered,unknown' THEN
        RAISE EXCEPTION 'Winter sale leads are %', leads;
    END IF;
    IF EXISTS (SELECT FROM smscamp_stats_diff()) THEN
        RAISE EXCEPTION 'the baseline''s own statistics disagree: %',
            (SELECT json_agg(d) FROM smscamp_stats_diff() d);
    END IF;
END
$$;
