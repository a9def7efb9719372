-- The smscamp_api role (what nginx logs in as): no table access, EXECUTE on
-- the functions of schema api only, which are SECURITY DEFINER.
BEGIN;
SET client_min_messages = warning;
SELECT plan(22);

DELETE FROM leads WHERE phone LIKE '+614915702%';
INSERT INTO leads (name, phone) VALUES ('Role Test', '+61491570200');
SELECT id AS role_lead FROM leads WHERE phone = '+61491570200' \gset

SELECT is((SELECT rolsuper OR rolcreaterole OR rolcreatedb FROM pg_roles
            WHERE rolname = 'smscamp_api'), false, 'smscamp_api is unprivileged');
SELECT is((SELECT rolcanlogin FROM pg_roles WHERE rolname = 'smscamp_api'), true,
          'smscamp_api can log in');
SELECT ok((SELECT 'statement_timeout=60s' = ANY (setconfig) FROM pg_db_role_setting
            WHERE setrole = 'smscamp_api'::regrole AND setdatabase = 0),
          'smscamp_api has a 60s statement_timeout');

-- schema api is the API: every function in it is SECURITY DEFINER with a fixed
-- search_path, and smscamp_api may execute those and no function of public
CREATE TEMP TABLE api_fns AS
SELECT p.oid, p.oid::regprocedure::text AS sig, p.prosecdef,
       coalesce(p.proconfig::text, '') ~ 'search_path=public' AS fixed_path,
       p.pronamespace = 'api'::regnamespace AS is_route
  FROM pg_proc p
 WHERE p.pronamespace = 'api'::regnamespace
    OR (p.pronamespace = 'public'::regnamespace
        AND (p.proname LIKE 'api\_%' OR p.proname LIKE 'smscamp\_%'));
GRANT SELECT ON api_fns TO smscamp_api;
SELECT is(ARRAY(SELECT sig FROM api_fns WHERE is_route AND NOT (prosecdef AND fixed_path)),
          '{}', 'the API functions are SECURITY DEFINER SET search_path');
SELECT is(ARRAY(SELECT sig FROM api_fns
                 WHERE has_function_privilege('smscamp_api', oid, 'EXECUTE') <> is_route),
          '{}', 'smscamp_api may execute exactly the functions of schema api');
SELECT ok((SELECT count(*) >= 7 FROM api_fns WHERE is_route AND sig ~ '^api\.(leads_|health)'),
          'the leads routes and health are in schema api');
SELECT is(ARRAY(SELECT c.relname::text FROM pg_class c
                 WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'S')
                   AND (has_table_privilege('smscamp_api', c.oid, 'SELECT,INSERT,UPDATE,DELETE')
                        OR has_table_privilege('public', c.oid, 'SELECT,INSERT,UPDATE,DELETE'))
                   AND c.relname <> 'api_fns'),
          '{}', 'smscamp_api and PUBLIC have no table privileges');

SET ROLE smscamp_api;
SELECT throws_ok('SELECT * FROM leads', '42501', NULL, 'api role: SELECT on leads denied');
SELECT throws_ok($$INSERT INTO leads (name, phone) VALUES ('x', '+61491570201')$$, '42501', NULL,
                 'api role: INSERT on leads denied');
SELECT throws_ok('DELETE FROM leads', '42501', NULL, 'api role: DELETE on leads denied');
SELECT throws_ok('SELECT * FROM campaigns', '42501', NULL, 'api role: campaigns denied');
SELECT throws_ok('SELECT * FROM campaign_leads', '42501', NULL, 'api role: campaign_leads denied');
SELECT throws_ok('SELECT * FROM processing_logs', '42501', NULL, 'api role: processing_logs denied');
SELECT is((SELECT status FROM api.leads_get(:'role_lead')), 200, 'api role: api.leads_get works');
SELECT is((SELECT body::jsonb ->> 'name' FROM api.leads_get(:'role_lead')), 'Role Test',
          'api role: and returns the lead');
SELECT is((SELECT status FROM api.leads_create('{"name":"By Api","phone":"+61491570202"}')), 201,
          'api role: api.leads_create works');
SELECT is((SELECT status FROM api.leads_list('{"q":"By Api"}')), 200, 'api role: api.leads_list works');
SELECT is((SELECT status FROM api.health()), 200, 'api role: api.health works');
SELECT throws_ok($$SELECT api_error(500, '"x"')$$, '42501', NULL, 'api role: helpers are private (api_error)');
SELECT throws_ok($$SELECT * FROM api_lead_validate('{}', false, '["body"]')$$, '42501', NULL,
                 'api role: helpers are private (api_lead_validate)');
SELECT throws_ok($$SELECT * FROM api_leads_import_rows('text/csv', 'a')$$, '42501', NULL,
                 'api role: helpers are private (api_leads_import_rows)');
RESET ROLE;

SELECT is((SELECT name FROM leads WHERE phone = '+61491570202'), 'By Api',
          'what the api role created is stored');

SELECT * FROM finish();
ROLLBACK;
