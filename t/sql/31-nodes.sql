-- The workflow's nodes as SQL functions, with the default settings (built-in
-- writer, "log" SMS provider): smscamp_validate_lead, smscamp_generate_sms,
-- smscamp_send_sms, smscamp_finalize, smscamp_process_lead, smscamp_preview
-- and the guardrails (template prompts, long prompts, max_segments, footer).
--
-- Everything happens in one transaction that is rolled back.  Calls that
-- may raise go through pg_temp.try(): an error becomes {"_error": "..."}
-- so that one broken node fails its tests, not the whole file.
BEGIN;

SELECT plan(83);

-- the defaults these tests rely on (another test file may have left an
-- ALTER SYSTEM behind: that would be its bug, visible here)
SELECT is(current_setting('smscamp.sms_provider'), 'log', 'default provider: log');
SELECT is(current_setting('smscamp.openai_api_key'), '', 'no API key: built-in writer');
SELECT is(current_setting('smscamp.max_segments'), '2', 'default max_segments: 2');
SELECT is(current_setting('smscamp.optout_footer'), 'Reply STOP to opt out', 'default footer');

-- run a query returning one jsonb value; an error becomes {"_error": message}
CREATE FUNCTION pg_temp.try(q text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    r jsonb;
BEGIN
    EXECUTE q INTO r;
    RETURN r;
EXCEPTION WHEN others THEN
    RETURN jsonb_build_object('_error', SQLERRM);
END
$$;

\ir lib/free_phone.sql
\ir lib/campaign_in.sql

CREATE FUNCTION pg_temp.new_lead(p_name text, p_company text DEFAULT NULL) RETURNS bigint
LANGUAGE sql AS $$
INSERT INTO leads (name, phone, company) VALUES (p_name, pg_temp.free_phone('+1312700'), p_company)
RETURNING id
$$;

-- a campaign (send_window off), in "processing" as the workers see a
-- started campaign (draft -> pending -> processing, the allowed path)
CREATE FUNCTION pg_temp.new_campaign(p_prompt text) RETURNS bigint
LANGUAGE sql RETURN pg_temp.campaign_in('processing', 'pgTAP nodes ' || clock_timestamp(), p_prompt, NULL);

-- the same with a message template instead of a prompt
CREATE FUNCTION pg_temp.new_template_campaign(p_template text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    cid bigint := pg_temp.new_campaign(NULL);
BEGIN
    UPDATE campaigns SET sms_template = p_template WHERE id = cid;
    RETURN cid;
END
$$;

CREATE FUNCTION pg_temp.add(p_campaign bigint, p_lead bigint) RETURNS bigint
LANGUAGE sql AS $$
INSERT INTO campaign_leads (campaign_id, lead_id) VALUES (p_campaign, p_lead) RETURNING id
$$;

CREATE FUNCTION pg_temp.logs(p_cl bigint, p_node text) RETURNS bigint
LANGUAGE sql AS $$
SELECT count(*) FROM processing_logs WHERE campaign_lead_id = p_cl AND node_name = p_node
$$;

CREATE TEMP TABLE ids (name text PRIMARY KEY, id bigint) ON COMMIT DROP;

INSERT INTO ids VALUES ('c1', pg_temp.new_campaign(
    'You are a friendly sales rep for Sunny Roofs. Keep it short. '
    || 'Our spring sale on solar panels starts Monday!'));
INSERT INTO ids VALUES ('ada', pg_temp.new_lead('Ada Lovelace', 'Analytical Engines'));
INSERT INTO ids VALUES ('grace', pg_temp.new_lead('Grace Hopper', 'Navy'));
INSERT INTO ids VALUES ('alan', pg_temp.new_lead('Alan Turing', 'Bletchley'));
INSERT INTO opt_outs (phone, keyword) SELECT phone, 'STOP' FROM leads WHERE id = (SELECT id FROM ids WHERE name = 'grace');
INSERT INTO ids SELECT 'cl_ada', pg_temp.add((SELECT id FROM ids WHERE name = 'c1'), (SELECT id FROM ids WHERE name = 'ada'));
INSERT INTO ids SELECT 'cl_grace', pg_temp.add((SELECT id FROM ids WHERE name = 'c1'), (SELECT id FROM ids WHERE name = 'grace'));
INSERT INTO ids SELECT 'cl_alan', pg_temp.add((SELECT id FROM ids WHERE name = 'c1'), (SELECT id FROM ids WHERE name = 'alan'));

CREATE TEMP TABLE r (name text PRIMARY KEY, j jsonb) ON COMMIT DROP;

------------------------------------------------------------------------------
-- validate_lead
------------------------------------------------------------------------------

INSERT INTO r SELECT 'validate_ada', pg_temp.try(format('SELECT smscamp_validate_lead(%s)',
    (SELECT id FROM ids WHERE name = 'cl_ada')));
SELECT is(j->'_error', NULL, 'validate_lead runs') FROM r WHERE name = 'validate_ada';
SELECT is(j->'passed', 'true'::jsonb, 'validate_lead: a good lead passes') FROM r WHERE name = 'validate_ada';
SELECT is(j->'validation_errors', '[]'::jsonb, 'validate_lead: no errors') FROM r WHERE name = 'validate_ada';
SELECT is(status, 'pending', 'validate_lead leaves a passing lead to the next node')
  FROM campaign_leads WHERE id = (SELECT id FROM ids WHERE name = 'cl_ada');
SELECT is(pg_temp.logs((SELECT id FROM ids WHERE name = 'cl_ada'), 'validate_lead'), 1::bigint,
          'validate_lead writes one processing_logs row');

-- require_consent: a lead without consent on record is skipped, with the reason; one with it passes
INSERT INTO ids VALUES ('c_consent', pg_temp.new_campaign('Spring sale Monday!'));
UPDATE campaigns SET require_consent = true WHERE id = (SELECT id FROM ids WHERE name = 'c_consent');
INSERT INTO ids VALUES ('no_consent', pg_temp.new_lead('Nell No', 'Nowhere'));
INSERT INTO ids VALUES ('consent', pg_temp.new_lead('Cora Yes', 'Somewhere'));
UPDATE leads SET consent_at = now() - interval '30 days', consent_source = 'web_form'
 WHERE id = (SELECT id FROM ids WHERE name = 'consent');
INSERT INTO ids SELECT 'cl_no_consent', pg_temp.add((SELECT id FROM ids WHERE name = 'c_consent'), (SELECT id FROM ids WHERE name = 'no_consent'));
INSERT INTO ids SELECT 'cl_consent', pg_temp.add((SELECT id FROM ids WHERE name = 'c_consent'), (SELECT id FROM ids WHERE name = 'consent'));
INSERT INTO r SELECT 'validate_no_consent', pg_temp.try(format('SELECT smscamp_validate_lead(%s)',
    (SELECT id FROM ids WHERE name = 'cl_no_consent')));
INSERT INTO r SELECT 'validate_consent', pg_temp.try(format('SELECT smscamp_validate_lead(%s)',
    (SELECT id FROM ids WHERE name = 'cl_consent')));
SELECT is(j->'validation_errors', '["no consent on record (the campaign requires consent)"]'::jsonb,
          'require_consent: a lead without consent_at is skipped, saying why') FROM r WHERE name = 'validate_no_consent';
SELECT is(status, 'skipped', '... its campaign lead is skipped')
  FROM campaign_leads WHERE id = (SELECT id FROM ids WHERE name = 'cl_no_consent');
SELECT ok(EXISTS (SELECT FROM processing_logs WHERE campaign_lead_id = (SELECT id FROM ids WHERE name = 'cl_no_consent')
                                               AND message ~ 'no consent on record'),
          '... and the log says why');
SELECT is(j->'passed', 'true'::jsonb, 'require_consent: a lead with consent_at passes') FROM r WHERE name = 'validate_consent';
SELECT is(j->'passed', 'true'::jsonb, 'without require_consent, a lead without consent passes') FROM r WHERE name = 'validate_ada';

INSERT INTO r SELECT 'validate_grace', pg_temp.try(format('SELECT smscamp_validate_lead(%s)',
    (SELECT id FROM ids WHERE name = 'cl_grace')));
SELECT is(j->'passed', 'false'::jsonb, 'validate_lead: an opted-out lead does not pass') FROM r WHERE name = 'validate_grace';
SELECT ok(j->'validation_errors' @> '["recipient has opted out"]'::jsonb,
          'validate_lead: the reason is the opt-out (' || coalesce(j::text, 'null') || ')')
  FROM r WHERE name = 'validate_grace';
SELECT is(status, 'skipped', 'an opted-out lead is skipped')
  FROM campaign_leads WHERE id = (SELECT id FROM ids WHERE name = 'cl_grace');
SELECT ok(validation_errors @> '["recipient has opted out"]'::jsonb,
          'campaign_leads.validation_errors says why')
  FROM campaign_leads WHERE id = (SELECT id FROM ids WHERE name = 'cl_grace');
SELECT ok(error_message ~* 'opted out', 'error_message mentions the opt-out: ' || coalesce(error_message, 'NULL'))
  FROM campaign_leads WHERE id = (SELECT id FROM ids WHERE name = 'cl_grace');
SELECT is((SELECT level FROM processing_logs
            WHERE campaign_lead_id = (SELECT id FROM ids WHERE name = 'cl_grace')
              AND node_name = 'validate_lead'), 'warning',
          'a skipped lead logs a warning from validate_lead');

------------------------------------------------------------------------------
-- generate_sms (sms_agent, built-in writer)
------------------------------------------------------------------------------

INSERT INTO r SELECT 'gen_ada', pg_temp.try(format('SELECT smscamp_generate_sms(%s)',
    (SELECT id FROM ids WHERE name = 'cl_ada')));
SELECT is(j->'_error', NULL, 'generate_sms runs') FROM r WHERE name = 'gen_ada';
SELECT ok(sms_message LIKE '%Ada%', 'the message greets the lead by first name: ' || coalesce(sms_message, 'NULL'))
  FROM campaign_leads WHERE id = (SELECT id FROM ids WHERE name = 'cl_ada');
SELECT ok(sms_message NOT LIKE '%Lovelace%', 'by first name only')
  FROM campaign_leads WHERE id = (SELECT id FROM ids WHERE name = 'cl_ada');
SELECT ok(sms_message LIKE '%spring sale%', 'the message says what the prompt wants said')
  FROM campaign_leads WHERE id = (SELECT id FROM ids WHERE name = 'cl_ada');
SELECT ok(sms_message !~* 'you are|keep it short', 'instructions to the writer are not sent to the lead')
  FROM campaign_leads WHERE id = (SELECT id FROM ids WHERE name = 'cl_ada');
SELECT ok(sms_message LIKE '%Reply STOP to opt out', 'the message ends with the opt-out footer')
  FROM campaign_leads WHERE id = (SELECT id FROM ids WHERE name = 'cl_ada');
SELECT ok(sms_segments BETWEEN 1 AND 2, 'at most smscamp.max_segments segments')
  FROM campaign_leads WHERE id = (SELECT id FROM ids WHERE name = 'cl_ada');
SELECT is(sms_segments, smscamp_sms_segments(sms_message), 'sms_segments matches the text')
  FROM campaign_leads WHERE id = (SELECT id FROM ids WHERE name = 'cl_ada');
SELECT is(sms_cost, smscamp_sms_cost(sms_message), 'sms_cost = segments x price')
  FROM campaign_leads WHERE id = (SELECT id FROM ids WHERE name = 'cl_ada');
SELECT is(sms_encoding, smscamp_sms_encoding(sms_message), 'sms_encoding matches the text')
  FROM campaign_leads WHERE id = (SELECT id FROM ids WHERE name = 'cl_ada');
SELECT is(j->>'sms_message', (SELECT sms_message FROM campaign_leads WHERE id = (SELECT id FROM ids WHERE name = 'cl_ada')),
          'generate_sms answers the stored message') FROM r WHERE name = 'gen_ada';
SELECT is(sms_sent, false, 'generate_sms sends nothing')
  FROM campaign_leads WHERE id = (SELECT id FROM ids WHERE name = 'cl_ada');
SELECT is((SELECT count(*) FROM sms_outbox WHERE campaign_lead_id = (SELECT id FROM ids WHERE name = 'cl_ada')),
          0::bigint, 'no outbox row after generation');
SELECT is(pg_temp.logs((SELECT id FROM ids WHERE name = 'cl_ada'), 'sms_agent'), 1::bigint,
          'generate_sms writes one sms_agent log row');

------------------------------------------------------------------------------
-- send_sms (log provider)
------------------------------------------------------------------------------

INSERT INTO r SELECT 'send_ada', pg_temp.try(format('SELECT smscamp_send_sms(%s)',
    (SELECT id FROM ids WHERE name = 'cl_ada')));
SELECT is(j->'_error', NULL, 'send_sms runs') FROM r WHERE name = 'send_ada';
SELECT is(j->>'status', 'sent', 'send_sms (log provider): the lead is sent') FROM r WHERE name = 'send_ada';
SELECT is(status || '/' || sms_sent, 'sent/true', 'campaign_leads: status sent, sms_sent')
  FROM campaign_leads WHERE id = (SELECT id FROM ids WHERE name = 'cl_ada');
SELECT is((SELECT count(*) FROM sms_outbox WHERE campaign_lead_id = (SELECT id FROM ids WHERE name = 'cl_ada')),
          1::bigint, 'exactly one sms_outbox row');
SELECT is(b.to_phone || ' | ' || b.body || ' | ' || b.segments,
          l.phone || ' | ' || cl.sms_message || ' | ' || cl.sms_segments,
          'the outbox row has the lead''s phone, the message and its segments')
  FROM campaign_leads cl JOIN leads l ON l.id = cl.lead_id
  LEFT JOIN sms_outbox b ON b.campaign_lead_id = cl.id
 WHERE cl.id = (SELECT id FROM ids WHERE name = 'cl_ada');
SELECT isnt(sms_sid, NULL, 'sms_sid records the outbox entry')
  FROM campaign_leads WHERE id = (SELECT id FROM ids WHERE name = 'cl_ada');
SELECT ok(pg_temp.logs((SELECT id FROM ids WHERE name = 'cl_ada'), 'sms_agent') >= 2,
          'send_sms logs under sms_agent');

-- sending again must never send twice
INSERT INTO r SELECT 'send_ada_again', pg_temp.try(format('SELECT smscamp_send_sms(%s)',
    (SELECT id FROM ids WHERE name = 'cl_ada')));
SELECT is((SELECT count(*) FROM sms_outbox WHERE campaign_lead_id = (SELECT id FROM ids WHERE name = 'cl_ada')),
          1::bigint, 'send_sms again: still one outbox row');
SELECT ok(j ? '_error' OR j->>'status' = 'sent',
          'send_sms on a sent lead is refused or a no-op: ' || j::text) FROM r WHERE name = 'send_ada_again';

------------------------------------------------------------------------------
-- finalize
------------------------------------------------------------------------------

INSERT INTO r SELECT 'fin_ada', pg_temp.try(format('SELECT smscamp_finalize(%s)',
    (SELECT id FROM ids WHERE name = 'cl_ada')));
SELECT is(j->'_error', NULL, 'finalize runs') FROM r WHERE name = 'fin_ada';
SELECT is(j->>'status', 'sent', 'finalize keeps the final status') FROM r WHERE name = 'fin_ada';
SELECT isnt(processed_at, NULL, 'processed_at is set')
  FROM campaign_leads WHERE id = (SELECT id FROM ids WHERE name = 'cl_ada');
SELECT is(pg_temp.logs((SELECT id FROM ids WHERE name = 'cl_ada'), 'finalize'), 1::bigint,
          'finalize writes one log row');
SELECT is((SELECT status FROM campaigns WHERE id = (SELECT id FROM ids WHERE name = 'c1')), 'processing',
          'the campaign is not complete while a lead is pending');

------------------------------------------------------------------------------
-- process_lead: the whole graph for one (pending) lead
------------------------------------------------------------------------------

INSERT INTO r SELECT 'proc_alan', pg_temp.try(format('SELECT smscamp_process_lead(%s)',
    (SELECT id FROM ids WHERE name = 'cl_alan')));
SELECT is(j->'_error', NULL, 'process_lead runs') FROM r WHERE name = 'proc_alan';
SELECT is(j->>'status', 'sent', 'process_lead: a pending lead of a running campaign is sent: ' || j::text)
  FROM r WHERE name = 'proc_alan';
SELECT is((SELECT count(*) FROM sms_outbox WHERE campaign_lead_id = (SELECT id FROM ids WHERE name = 'cl_alan')),
          1::bigint, 'process_lead: one outbox row');
SELECT ok((SELECT body FROM sms_outbox WHERE campaign_lead_id = (SELECT id FROM ids WHERE name = 'cl_alan')) LIKE '%Alan%',
          'process_lead: the outbox message names the lead');
SELECT is(ARRAY(SELECT DISTINCT ON (node_name) node_name FROM processing_logs
                 WHERE campaign_lead_id = (SELECT id FROM ids WHERE name = 'cl_alan')
                 ORDER BY node_name, id),
          ARRAY['finalize', 'sms_agent', 'validate_lead'],
          'process_lead logs validate_lead, sms_agent and finalize');
SELECT is(ARRAY(SELECT node_name FROM processing_logs
                 WHERE campaign_lead_id = (SELECT id FROM ids WHERE name = 'cl_alan')
                   AND node_name IN ('validate_lead', 'finalize') ORDER BY id),
          ARRAY['validate_lead', 'finalize'], 'validate_lead is logged first, finalize last');
SELECT ok(bool_and(metadata IS NOT NULL), 'every log row has metadata')
  FROM processing_logs WHERE campaign_lead_id = (SELECT id FROM ids WHERE name = 'cl_alan');
SELECT ok(trace_id ~ '^[0-9a-f-]{32,36}$', 'the campaign lead has a trace_id: ' || coalesce(trace_id, 'NULL'))
  FROM campaign_leads WHERE id = (SELECT id FROM ids WHERE name = 'cl_alan');

-- the skipped lead is final too: finalize it; then the campaign is complete
SELECT is(pg_temp.try(format('SELECT smscamp_finalize(%s)', (SELECT id FROM ids WHERE name = 'cl_grace')))->>'status',
          'skipped', 'finalize of the skipped lead keeps skipped');
SELECT is((SELECT status FROM campaigns WHERE id = (SELECT id FROM ids WHERE name = 'c1')), 'completed',
          'the campaign completes when its last lead is finalized');
SELECT isnt((SELECT completed_at FROM campaigns WHERE id = (SELECT id FROM ids WHERE name = 'c1')), NULL,
            'completed_at is set');

-- process_lead on a lead that was sent never sends it again
INSERT INTO r SELECT 'proc_alan_again', pg_temp.try(format('SELECT smscamp_process_lead(%s)',
    (SELECT id FROM ids WHERE name = 'cl_alan')));
SELECT is((SELECT count(*) FROM sms_outbox WHERE campaign_lead_id = (SELECT id FROM ids WHERE name = 'cl_alan')),
          1::bigint, 'process_lead on a sent lead: still one outbox row');
SELECT is((SELECT status FROM campaign_leads WHERE id = (SELECT id FROM ids WHERE name = 'cl_alan')), 'sent',
          'process_lead on a sent lead: it stays sent');

------------------------------------------------------------------------------
-- preview: validation + generation, nothing written
------------------------------------------------------------------------------

CREATE TEMP TABLE before_preview ON COMMIT DROP AS
SELECT (SELECT count(*) FROM processing_logs) AS logs,
       (SELECT count(*) FROM sms_outbox) AS outbox,
       (SELECT md5(string_agg(cl::text, ',' ORDER BY cl.id)) FROM campaign_leads cl) AS cls;

INSERT INTO ids VALUES ('c_tpl', pg_temp.new_template_campaign('Hi {first_name}, {company|your team} qualifies for our spring offer.'));
INSERT INTO ids VALUES ('dana', pg_temp.new_lead('Dana Scully', 'Initech'));
INSERT INTO ids VALUES ('nocomp', pg_temp.new_lead('Fox Mulder'));

DELETE FROM before_preview;
INSERT INTO before_preview
SELECT (SELECT count(*) FROM processing_logs), (SELECT count(*) FROM sms_outbox),
       (SELECT md5(string_agg(cl::text, ',' ORDER BY cl.id)) FROM campaign_leads cl);

INSERT INTO r SELECT 'preview', pg_temp.try(format('SELECT smscamp_preview(smscamp_preview_context(%s, %s))',
    (SELECT id FROM ids WHERE name = 'c1'), (SELECT id FROM ids WHERE name = 'dana')));
SELECT is(j->'_error', NULL, 'preview runs') FROM r WHERE name = 'preview';
SELECT ok(j->>'message' LIKE 'H% Dana,%spring sale%Reply STOP to opt out',
          'preview: the message for that lead: ' || coalesce(j->>'message', j::text)) FROM r WHERE name = 'preview';
SELECT is(coalesce((j->>'segments')::int, -1), smscamp_sms_segments(coalesce(j->>'message', '')), 'preview: segments')
  FROM r WHERE name = 'preview';
SELECT is(j->>'encoding', 'GSM-7', 'preview: encoding') FROM r WHERE name = 'preview';
SELECT is(coalesce((j->>'cost')::numeric, -1), smscamp_sms_cost(coalesce(j->>'message', '')), 'preview: cost') FROM r WHERE name = 'preview';
SELECT is(j->'validation_errors', '[]'::jsonb, 'preview: no validation errors') FROM r WHERE name = 'preview';
SELECT is((SELECT count(*) FROM processing_logs) || '/' || (SELECT count(*) FROM sms_outbox) || '/'
          || (SELECT md5(string_agg(cl::text, ',' ORDER BY cl.id)) FROM campaign_leads cl),
          b.logs || '/' || b.outbox || '/' || b.cls, 'preview writes nothing')
  FROM before_preview b;

-- preview of an opted-out lead says so (still shows the message)
SELECT ok(pg_temp.try(format('SELECT smscamp_preview(smscamp_preview_context(%s, %s))',
              (SELECT id FROM ids WHERE name = 'c1'), (SELECT id FROM ids WHERE name = 'grace')))
          ->'validation_errors' @> '["recipient has opted out"]'::jsonb,
          'preview of an opted-out lead reports the opt-out');

------------------------------------------------------------------------------
-- guardrails
------------------------------------------------------------------------------

-- a template prompt: placeholders filled from the lead
INSERT INTO ids SELECT 'cl_dana', pg_temp.add((SELECT id FROM ids WHERE name = 'c_tpl'), (SELECT id FROM ids WHERE name = 'dana'));
INSERT INTO ids SELECT 'cl_nocomp', pg_temp.add((SELECT id FROM ids WHERE name = 'c_tpl'), (SELECT id FROM ids WHERE name = 'nocomp'));
SELECT is(pg_temp.try(format('SELECT smscamp_generate_sms(%s)', (SELECT id FROM ids WHERE name = 'cl_dana')))->>'sms_message',
          'Hi Dana, Initech qualifies for our spring offer. Reply STOP to opt out',
          'template prompt: {first_name} and {company} filled, footer appended');
SELECT is(pg_temp.try(format('SELECT smscamp_generate_sms(%s)', (SELECT id FROM ids WHERE name = 'cl_nocomp')))->>'sms_message',
          'Hi Fox, your team qualifies for our spring offer. Reply STOP to opt out',
          'template: an empty company takes its fallback ({company|your team})');

-- a template that already carries an opt-out: no second footer
INSERT INTO ids VALUES ('c_stop', pg_temp.new_template_campaign('Hi {first_name}, spring sale Monday. Text STOP to unsubscribe.'));
INSERT INTO ids SELECT 'cl_stop', pg_temp.add((SELECT id FROM ids WHERE name = 'c_stop'), pg_temp.new_lead('Kim Wexler'));
SELECT is((SELECT count(*)::int FROM regexp_matches(
              pg_temp.try(format('SELECT smscamp_generate_sms(%s)', (SELECT id FROM ids WHERE name = 'cl_stop')))->>'sms_message',
              'STOP', 'gi')), 1, 'an opt-out already in the text: the footer is not added twice');
-- "stop by" is not an opt-out: the footer is added
INSERT INTO ids VALUES ('c_stopby', pg_temp.new_template_campaign('Hi {first_name}, stop by our store on Monday.'));
INSERT INTO ids SELECT 'cl_stopby', pg_temp.add((SELECT id FROM ids WHERE name = 'c_stopby'), pg_temp.new_lead('Howard Hamlin'));
SELECT is(pg_temp.try(format('SELECT smscamp_generate_sms(%s)', (SELECT id FROM ids WHERE name = 'cl_stopby')))->>'sms_message',
          'Hi Howard, stop by our store on Monday. Reply STOP to opt out',
          '"stop by" is not an opt-out: the footer is still added');

-- a prompt whose message would be too long is never cut: the lead fails, saying why
INSERT INTO ids VALUES ('c_long', pg_temp.new_campaign(
    'Tell them ' || (SELECT string_agg(format('our offer number %s saves you money on solar panels this spring', g), ' and ')
                       FROM generate_series(1, 12) g) || '.'));
INSERT INTO ids SELECT 'cl_long', pg_temp.add((SELECT id FROM ids WHERE name = 'c_long'), pg_temp.new_lead('Jesse Pinkman'));
INSERT INTO r SELECT 'gen_long', pg_temp.try(format('SELECT smscamp_process_lead(%s)', (SELECT id FROM ids WHERE name = 'cl_long')));
SELECT is(j->>'sms_message', NULL, 'a message too long for max_segments is not written') FROM r WHERE name = 'gen_long';
SELECT is(j->>'status', 'failed', 'a message too long for max_segments: the lead fails (it would fail again)')
  FROM r WHERE name = 'gen_long';
SELECT matches(j->>'error_message', 'longer than smscamp.max_segments \(2\)', 'a message too long: the error says why')
  FROM r WHERE name = 'gen_long';
SELECT is((SELECT count(*)::int FROM sms_outbox WHERE campaign_lead_id = (SELECT id FROM ids WHERE name = 'cl_long')), 0,
          'a message too long: nothing sent');

-- max_segments = 1: a template that fits is sent, one that does not is refused
SET LOCAL smscamp.max_segments = 1;
INSERT INTO ids SELECT 'cl_tpl1', pg_temp.add((SELECT id FROM ids WHERE name = 'c_tpl'), pg_temp.new_lead('Walter White', 'Gray Matter'));
INSERT INTO r SELECT 'gen_tpl1', pg_temp.try(format('SELECT smscamp_generate_sms(%s)', (SELECT id FROM ids WHERE name = 'cl_tpl1')));
SELECT is((j->>'sms_segments')::int, 1, 'max_segments = 1: a short template is one segment') FROM r WHERE name = 'gen_tpl1';
INSERT INTO ids VALUES ('c_tpl_long', pg_temp.new_template_campaign(
    'Hi {first_name}, ' || repeat('our spring offer is here and it saves you money. ', 4)));
INSERT INTO ids SELECT 'cl_tpl_long', pg_temp.add((SELECT id FROM ids WHERE name = 'c_tpl_long'), pg_temp.new_lead('Mike Ehrmantraut'));
INSERT INTO r SELECT 'gen_tpl_long', pg_temp.try(format('SELECT smscamp_process_lead(%s)', (SELECT id FROM ids WHERE name = 'cl_tpl_long')));
SELECT is(j->>'status', 'failed', 'max_segments = 1: a template too long fails the lead: ' || coalesce(j->>'error_message', ''))
  FROM r WHERE name = 'gen_tpl_long';
SELECT matches(j->>'error_message', 'template filled in for this lead is 2 segments', '... saying how long it is')
  FROM r WHERE name = 'gen_tpl_long';

-- UCS-2: an emoji in the template; typographic quotes and dashes become GSM-7 ones
SET LOCAL smscamp.max_segments = 2;
INSERT INTO ids VALUES ('c_emoji', pg_temp.new_template_campaign('Hi {first_name}, our spring offer is here 😀'));
INSERT INTO ids SELECT 'cl_emoji', pg_temp.add((SELECT id FROM ids WHERE name = 'c_emoji'), pg_temp.new_lead('Skyler White'));
INSERT INTO r SELECT 'gen_emoji', pg_temp.try(format('SELECT smscamp_generate_sms(%s)', (SELECT id FROM ids WHERE name = 'cl_emoji')));
SELECT is(j->>'sms_encoding', 'UCS-2', 'an emoji makes the message UCS-2') FROM r WHERE name = 'gen_emoji';
INSERT INTO ids VALUES ('c_quotes', pg_temp.new_template_campaign('Hi {first_name}, it’s our “spring” sale – 20% off…'));
INSERT INTO ids SELECT 'cl_quotes', pg_temp.add((SELECT id FROM ids WHERE name = 'c_quotes'), pg_temp.new_lead('Gus Fring'));
SELECT is(pg_temp.try(format('SELECT smscamp_generate_sms(%s)', (SELECT id FROM ids WHERE name = 'cl_quotes')))->>'sms_message',
          'Hi Gus, it''s our "spring" sale - 20% off... Reply STOP to opt out',
          'typographic quotes, dashes and ellipses are written as their GSM-7 twins');

-- a custom footer
SET LOCAL smscamp.optout_footer = 'Txt STOP 2 end';
INSERT INTO ids SELECT 'cl_footer', pg_temp.add((SELECT id FROM ids WHERE name = 'c_tpl'), pg_temp.new_lead('Saul Goodman', 'HHM'));
SELECT is(pg_temp.try(format('SELECT smscamp_generate_sms(%s)', (SELECT id FROM ids WHERE name = 'cl_footer')))->>'sms_message',
          'Hi Saul, HHM qualifies for our spring offer. Txt STOP 2 end', 'smscamp.optout_footer is the footer');

SELECT * FROM finish();
ROLLBACK;
