-- sql/schema.sql: tables, constraints, indexes, trigger, role.
BEGIN;
SET client_min_messages = warning;
SELECT plan(68);

SELECT has_table(t) FROM unnest(ARRAY['leads', 'campaigns', 'campaign_leads',
                                      'processing_logs', 'time_zones']) AS t;
SELECT columns_are('leads', ARRAY['id', 'name', 'phone', 'email', 'company', 'notes',
                                  'created_at', 'updated_at', 'attributes', 'timezone',
                                  'consent_at', 'consent_source', 'consent_text',
                                  'phone_status', 'phone_status_at', 'search_text']);
SELECT ok((SELECT count(*) FROM time_zones) > 300
          AND EXISTS (SELECT FROM time_zones WHERE name = 'America/Los_Angeles')
          AND NOT EXISTS (SELECT FROM time_zones WHERE name ~ '^(posix|right)/' OR name = 'EST'),
          'time_zones: PostgreSQL''s region zones, no posix/ or right/ copies, no abbreviations');
SELECT has_column('campaigns', c) FROM unnest(ARRAY['name', 'description', 'agent_type',
    'status', 'sms_system_prompt', 'sms_temperature', 'stats', 'started_at',
    'completed_at']) AS c;
SELECT has_column('campaign_leads', c) FROM unnest(ARRAY['campaign_id', 'lead_id', 'status',
    'sms_sent', 'sms_message', 'sms_response', 'voice_call_made', 'trace_id',
    'error_message', 'sms_segments', 'sms_cost', 'attempts', 'next_attempt_at',
    'processed_at']) AS c;
SELECT col_type_is('leads', 'id', 'bigint');
SELECT col_type_is('leads', 'created_at', 'timestamp with time zone');
SELECT col_type_is('campaign_leads', 'sms_cost', 'numeric(12,4)');
SELECT col_default_is('campaigns', 'sms_temperature', '70');
SELECT has_index('leads', i) FROM unnest(ARRAY['leads_search_trgm_idx',
    'leads_phone_digits_trgm_idx']) AS i;
SELECT hasnt_index('leads', i) FROM unnest(ARRAY['leads_name_trgm_idx', 'leads_email_trgm_idx',
    'leads_company_trgm_idx']) AS i;
SELECT col_not_null('leads', 'search_text');
SELECT has_trigger('leads', 'leads_search_text');
SELECT has_index('campaign_leads', 'campaign_leads_campaign_status_id_idx');
SELECT has_index('processing_logs', 'processing_logs_campaign_lead_idx');
SELECT has_role('smscamp_api');

DELETE FROM leads WHERE phone LIKE '+614915701%';
INSERT INTO leads (name, phone) VALUES ('Schema Test', '+61491570110');

-- leads
SELECT throws_ok($$INSERT INTO leads (name, phone) VALUES ('x', '0491 570 111')$$,
                 '23514', NULL, 'phone must be E.164');
SELECT throws_ok($$INSERT INTO leads (name, phone) VALUES ('x', '+0491570111')$$,
                 '23514', NULL, 'E.164 does not start with +0');
SELECT throws_ok($$INSERT INTO leads (name, phone) VALUES ('x', '+61491570110')$$,
                 '23505', NULL, 'phone is unique');
SELECT throws_ok($$INSERT INTO leads (name, phone) VALUES ('  ', '+61491570111')$$,
                 '23514', NULL, 'name must not be blank');
SELECT throws_ok($$INSERT INTO leads (name, phone) VALUES (repeat('n', 256), '+61491570111')$$,
                 '23514', NULL, 'name at most 255 characters');
SELECT throws_ok($$INSERT INTO leads (name, phone, email) VALUES ('x', '+61491570111', 'nope')$$,
                 '23514', NULL, 'email format');
SELECT throws_ok($$INSERT INTO leads (name, phone, notes) VALUES ('x', '+61491570111', repeat('n', 10001))$$,
                 '23514', NULL, 'notes at most 10000 characters');
SELECT lives_ok($$INSERT INTO leads (name, phone, email, notes)
                  VALUES ('x', '+61491570111', 'a.b@example.co.uk', repeat('n', 10000))$$,
                'a valid lead');
SELECT throws_ok($$INSERT INTO leads (id, name, phone) VALUES (1, 'x', '+61491570112')$$,
                 '428C9', NULL, 'ids are generated');

-- campaigns
INSERT INTO campaigns (name) VALUES ('Schema Campaign');
SELECT is((SELECT row(status, agent_type, sms_temperature)::text FROM campaigns
            WHERE name = 'Schema Campaign'), '(draft,sms,70)', 'campaign defaults');
SELECT throws_ok($$INSERT INTO campaigns (name, status) VALUES ('c', 'running')$$,
                 '23514', NULL, 'unknown campaign status rejected');
SELECT throws_ok($$INSERT INTO campaigns (name, agent_type) VALUES ('c', 'fax')$$,
                 '23514', NULL, 'unknown agent_type rejected');
SELECT throws_ok($$INSERT INTO campaigns (name, sms_temperature) VALUES ('c', 201)$$,
                 '23514', NULL, 'temperature at most 200');
SELECT throws_ok($$INSERT INTO campaigns (name, sms_temperature) VALUES ('c', -1)$$,
                 '23514', NULL, 'temperature at least 0');

-- campaign_leads
INSERT INTO campaign_leads (campaign_id, lead_id)
SELECT c.id, l.id FROM campaigns c, leads l
 WHERE c.name = 'Schema Campaign' AND l.phone = '+61491570110';
SELECT is((SELECT row(cl.status, cl.attempts, cl.sms_sent)::text FROM campaign_leads cl
             JOIN campaigns c ON c.id = cl.campaign_id WHERE c.name = 'Schema Campaign'),
          '(pending,0,f)', 'campaign lead defaults');
SELECT throws_ok($$INSERT INTO campaign_leads (campaign_id, lead_id)
                   SELECT c.id, l.id FROM campaigns c, leads l
                    WHERE c.name = 'Schema Campaign' AND l.phone = '+61491570110'$$,
                 '23505', NULL, 'a lead is in a campaign once');
SELECT throws_ok($$UPDATE campaign_leads SET status = 'done'
                    WHERE lead_id = (SELECT id FROM leads WHERE phone = '+61491570110')$$,
                 '23514', NULL, 'unknown campaign lead status rejected');
SELECT throws_ok($$INSERT INTO campaign_leads (campaign_id, lead_id) VALUES (-1, -1)$$,
                 '23503', NULL, 'campaign and lead must exist');

-- processing_logs
SELECT throws_ok($$INSERT INTO processing_logs (level, message) VALUES ('fatal', 'x')$$,
                 '23514', NULL, 'unknown log level rejected');
SELECT lives_ok($$INSERT INTO processing_logs (campaign_lead_id, level, node_name, message)
                  SELECT cl.id, 'info', 'validate_lead', 'ok' FROM campaign_leads cl
                    JOIN leads l ON l.id = cl.lead_id WHERE l.phone = '+61491570110'$$,
                'a log row');
DELETE FROM leads WHERE phone = '+61491570110';
SELECT is((SELECT count(*)::int FROM campaign_leads cl JOIN campaigns c ON c.id = cl.campaign_id
            WHERE c.name = 'Schema Campaign'), 0, 'deleting a lead deletes its campaign rows');

-- updated_at
SET LOCAL session_replication_role = replica;        -- no triggers: age the row
UPDATE leads SET created_at = '2000-01-01', updated_at = '2000-01-01'
 WHERE phone = '+61491570111';
SET LOCAL session_replication_role = origin;
UPDATE leads SET name = name WHERE phone = '+61491570111';
SELECT is((SELECT updated_at FROM leads WHERE phone = '+61491570111'),
          '2000-01-01'::timestamptz, 'an update that changes nothing keeps updated_at');
UPDATE leads SET company = 'Acme' WHERE phone = '+61491570111';
SELECT is((SELECT updated_at FROM leads WHERE phone = '+61491570111'), now(),
          'a real change sets updated_at');
SELECT is((SELECT created_at FROM leads WHERE phone = '+61491570111'),
          '2000-01-01'::timestamptz, 'created_at does not move');

SELECT * FROM finish();
ROLLBACK;
