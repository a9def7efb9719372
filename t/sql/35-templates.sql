-- Message templates (sms_template, issue 11): placeholders filled from the lead, fallbacks,
-- empty fields dropping out cleanly, attributes, what is refused (on save, at start), and
-- the template winning over the prompt when no model is configured.
BEGIN;
SET LOCAL smscamp.openai_api_key = '';
SET LOCAL smscamp.max_segments = 2;
SET LOCAL smscamp.optout_footer = 'Reply STOP to opt out';
SELECT plan(33);

-- the message a template gives for a lead (a preview context, nothing stored)
CREATE FUNCTION pg_temp.fill(p_template text, p_name text, p_company text DEFAULT NULL,
                             p_extra jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE sql AS $$
SELECT smscamp_preview(jsonb_build_object('id', 0, 'campaign_id', 1, 'lead_id', 1, 'name', p_name,
           'phone', '+447700900123', 'company', p_company, 'sms_template', p_template,
           'sms_temperature', 70) || p_extra)
$$;

-- placeholders
SELECT is(pg_temp.fill('Hi {first_name}, our sale starts Monday.', 'Ada Lovelace') ->> 'message',
          'Hi Ada, our sale starts Monday. Reply STOP to opt out', '{first_name}: the first word of the name');
SELECT is(pg_temp.fill('Dear {name}, thanks.', 'Ada Lovelace') ->> 'message',
          'Dear Ada Lovelace, thanks. Reply STOP to opt out', '{name}: the whole name');
SELECT is(pg_temp.fill('Hi {first_name}, news for {company}.', 'Ada Lovelace', 'Analytical') ->> 'message',
          'Hi Ada, news for Analytical. Reply STOP to opt out', '{company}');
SELECT is(pg_temp.fill('Hi {first_name}, news for {company|your team}.', 'Bo', NULL) ->> 'message',
          'Hi Bo, news for your team. Reply STOP to opt out', '{company|your team}: the fallback when empty');
SELECT is(pg_temp.fill('Hi {first_name}, news for {company|your team}.', 'Bo', 'Initech') ->> 'message',
          'Hi Bo, news for Initech. Reply STOP to opt out', '... and the value when there is one');
SELECT is(pg_temp.fill('Hi {first_name} {company}, our sale starts Monday.', 'Bo', NULL) ->> 'message',
          'Hi Bo, our sale starts Monday. Reply STOP to opt out', 'an empty placeholder drops out cleanly (no " ,")');
SELECT is(pg_temp.fill('Hi {first_name}, our sale starts Monday.', 'Bo', NULL) -> 'empty_placeholders',
          '[]', 'nothing empty: no empty placeholders reported');
SELECT is(pg_temp.fill('Hi {first_name} {company}, sale Monday.', 'Bo', NULL) -> 'empty_placeholders',
          '["company"]', 'an empty placeholder without a fallback is reported (and logged)');
SELECT is(pg_temp.fill('Hi {first_name}, it''s {sender_name}.', 'Bo', NULL, '{"sender_name": "Sam from Acme"}') ->> 'message',
          'Hi Bo, it''s Sam from Acme. Reply STOP to opt out', '{sender_name}: the campaign''s sender_name');
SELECT is(pg_temp.fill('Hi {first_name}, see you in {attributes.city}!', 'Bo', NULL,
                       '{"attributes": {"city": "Leeds"}}') ->> 'message',
          'Hi Bo, see you in Leeds! Reply STOP to opt out', '{attributes.city}: a custom field');
SELECT is(pg_temp.fill('Hi {first_name}, your plan: {attributes.plan|Basic}.', 'Bo', NULL,
                       '{"attributes": {"city": "Leeds"}}') ->> 'message',
          'Hi Bo, your plan: Basic. Reply STOP to opt out', 'a missing attribute takes its fallback');
SELECT is(pg_temp.fill('Hi {first_name}, {attributes.visits} visits, VIP: {attributes.vip}.', 'Bo', NULL,
                       '{"attributes": {"visits": 12, "vip": true}}') ->> 'message',
          'Hi Bo, 12 visits, VIP: yes. Reply STOP to opt out', 'numbers and booleans as text');
SELECT is(pg_temp.fill('Use {{braces}} like this, {first_name}.', 'Bo') ->> 'message',
          'Use {braces} like this, Bo. Reply STOP to opt out', '{{ and }}: literal braces');
SELECT is(pg_temp.fill('Hi {first_name},
our sale starts Monday.', 'Bo') ->> 'message',
          'Hi Bo, our sale starts Monday. Reply STOP to opt out', 'line breaks become spaces');
SELECT is(pg_temp.fill('Hi {first_name}, text STOP to end these.', 'Bo') ->> 'message',
          'Hi Bo, text STOP to end these.', 'a template that tells how to opt out gets no second footer');
SELECT is(pg_temp.fill('Hi {first_name}, it’s our “spring” sale – 20% off…', 'Bo') ->> 'encoding',
          'GSM-7', 'typographic quotes and dashes do not make a template UCS-2');
SELECT is(pg_temp.fill('Hi {first_name}, our sale starts Monday.', 'Bo') ->> 'writer', 'template',
          'the writer is the template');

-- a template too long for a lead is not cut: it is refused, with the reason
SELECT is(pg_temp.fill('Hi {first_name}, ' || repeat('our spring offer saves you money. ', 9), 'Bo') ->> 'ok',
          'false', 'a template too long for smscamp.max_segments is not written');
SELECT matches(pg_temp.fill('Hi {first_name}, ' || repeat('our spring offer saves you money. ', 9), 'Bo') ->> 'error',
               'template filled in for this lead is 3 segments', '... saying how long');

-- what smscamp_template_problem refuses
SELECT is(smscamp_template_problem('Hi {first_name}, sale Monday.'), NULL, 'a valid template: no problem');
SELECT matches(smscamp_template_problem('Hi {firstname}, sale Monday.'), '^unknown placeholder \{firstname\}',
               'an unknown placeholder');
SELECT matches(smscamp_template_problem('Hi {first_name, sale Monday.'), 'not closed', 'a brace left open');
SELECT matches(smscamp_template_problem('Hi first_name}, sale.'), 'without its \{', 'a } without its {');
SELECT matches(smscamp_template_problem('{first_name}'), 'no text of its own', 'only a placeholder');
SELECT is(smscamp_template_problem('{attributes.city|our city}'), 'the template has no text of its own',
          '... with a fallback still no text');
SELECT matches(smscamp_template_problem('Hi {attributes.9x}'), 'unknown placeholder', 'an attribute key must be a name');

-- the campaign API refuses a bad template when it is saved, and takes a good one
SELECT throws_like($$SELECT * FROM api.campaigns_create('{"name": "tpl bad", "sms_template": "Hi {nom}, sale."}')$$,
                   '%"loc": ["body", "sms_template"]%unknown placeholder {nom}%',
                   'POST /api/campaigns with an unknown placeholder: 422 at sms_template');
SELECT throws_like($$SELECT * FROM api.campaigns_create(jsonb_build_object('name', 'tpl long', 'sms_template', repeat('x', 1601)))$$,
                   '%"loc": ["body", "sms_template"]%at most 1600%', 'a template over 1,600 characters: 422');
SELECT throws_like($$SELECT * FROM api.campaigns_create(jsonb_build_object('name', 's', 'sender_name', repeat('x', 101)))$$,
                   '%"loc": ["body", "sender_name"]%at most 100%', 'a sender_name over 100 characters: 422');
CREATE TEMP TABLE made AS SELECT body::jsonb AS j FROM api.campaigns_create(
    '{"name": "tpl good", "sms_template": "  Hi {first_name}, sale Monday.  ", "sender_name": "Sam from Acme",
      "sms_system_prompt": "Make them buy"}');
SELECT is((SELECT j ->> 'sms_template' FROM made), 'Hi {first_name}, sale Monday.', 'a good template is kept (trimmed)');
SELECT is((SELECT j ->> 'sender_name' FROM made), 'Sam from Acme', 'sender_name is kept');

-- with a template and no model, the template is what is sent, whatever the prompt says:
-- a campaign whose prompt the built-in writer would refuse starts
INSERT INTO leads (name, phone) VALUES ('Tpl Lead', '+447700900777') ON CONFLICT (phone) DO NOTHING;
INSERT INTO campaign_leads (campaign_id, lead_id)
SELECT (j ->> 'id')::bigint, (SELECT id FROM leads WHERE phone = '+447700900777') FROM made;
SELECT lives_ok(format('SELECT smscamp_start(%s)', (SELECT j ->> 'id' FROM made)),
                'a template campaign starts even with a prompt the built-in writer does not understand');
-- without the template, the same prompt is refused at start with the two ways out
CREATE TEMP TABLE made2 AS SELECT body::jsonb AS j FROM api.campaigns_create('{"name": "tpl none", "sms_system_prompt": "Make them buy"}');
INSERT INTO campaign_leads (campaign_id, lead_id)
SELECT (j ->> 'id')::bigint, (SELECT id FROM leads WHERE phone = '+447700900777') FROM made2;
SELECT throws_like(format('SELECT smscamp_start(%s)', (SELECT j ->> 'id' FROM made2)),
                   '%did not understand \\"Make them buy\\"%write the message as a template%configure an AI model%',
                   'a prompt the built-in writer does not understand: start is a 422 with the two ways out');

SELECT * FROM finish();
ROLLBACK;
