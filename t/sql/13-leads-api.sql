-- The leads route functions (sql/api/leads.sql) and api.health, called as the
-- nginx module calls them: status and body, or an SCnnn error whose message
-- is the body.
BEGIN;
SET client_min_messages = warning;
SELECT plan(92);

\ir lib/call.sql
\ir lib/errs.sql
\ir lib/plan_of.sql

DELETE FROM leads WHERE phone LIKE '+614915701%' OR phone IN ('+14155550123', '+442079460958');

------------------------------------------------------------------------------
-- health
------------------------------------------------------------------------------
SELECT is((SELECT status FROM api.health()), 200, 'health: 200');
SELECT is((SELECT body::jsonb - 'time' FROM api.health()),
          '{"status":"ok","database":"ok","version":"0.1.0"}', 'health body');

------------------------------------------------------------------------------
-- create
------------------------------------------------------------------------------
CREATE TEMP TABLE a AS SELECT pg_temp.call($$SELECT * FROM api.leads_create(
    '{"name":"  Ann Lee ","phone":"+1 (415) 555-0123","email":"ann@example.com",
      "company":"Zqx Widgets","notes":"likes tea","unknown":1}')$$) AS r;
SELECT is((SELECT r -> 'status' FROM a), '201', 'create: 201');
SELECT is((SELECT (r -> 'body') - '{id,created_at,updated_at}'::text[] FROM a),
          '{"name":"Ann Lee","phone":"+14155550123","email":"ann@example.com",
            "company":"Zqx Widgets","notes":"likes tea","attributes":{},
            "timezone":"America/Los_Angeles","timezone_source":"phone","opted_out":false,
            "opted_out_at":null,"opt_out_source":null,"consent_at":null,"consent_source":null,
            "consent_text":null,"phone_status":null,"phone_status_at":null}',
          'create: name trimmed, phone in E.164, unknown field ignored');
SELECT ok((SELECT (r -> 'body' ->> 'id')::bigint > 0 FROM a), 'create: id is a number');
SELECT is((SELECT (r -> 'body' ->> 'created_at')::timestamptz FROM a), now(),
          'create: created_at');
SELECT is((SELECT r -> 'body' -> 'updated_at' FROM a), (SELECT r -> 'body' -> 'created_at' FROM a),
          'create: updated_at = created_at');
SELECT (r -> 'body' ->> 'id') AS ann FROM a \gset

SELECT is(pg_temp.call($$SELECT * FROM api.leads_create('{"name":"Min","phone":"0044 20 7946 0958","email":"","company":"  "}')$$)
            #- '{body,id}' #- '{body,created_at}' #- '{body,updated_at}' -> 'body',
          '{"name":"Min","phone":"+442079460958","email":null,"company":null,"notes":null,
            "attributes":{},"timezone":"Europe/London","timezone_source":"phone",
            "opted_out":false,"opted_out_at":null,"opt_out_source":null,"consent_at":null,
            "consent_source":null,"consent_text":null,"phone_status":null,"phone_status_at":null}',
          'create: empty optional strings are null');

SELECT is(pg_temp.call($$SELECT * FROM api.leads_create('{"name":"Dup","phone":"+14155550123"}')$$),
          jsonb_build_object('status', 409, 'body', jsonb_build_object('detail',
              format('A lead with phone +14155550123 already exists (lead %s)', :'ann'))),
          'create: a known phone is a 409 naming the lead');
SELECT is(pg_temp.call($$SELECT * FROM api.leads_create('{"name":"Dup","phone":"001 415-555-0123"}')$$) -> 'status',
          '409', 'create: the same phone written differently is a 409 too');

SELECT throws_ok($$SELECT * FROM api.leads_create('{}')$$, 'SC422',
    '{"detail": [{"loc": ["body", "name"], "msg": "Field required", "type": "missing"}, {"loc": ["body", "phone"], "msg": "Field required", "type": "missing"}]}',
    'create {}: 422, both fields missing');
SELECT is(pg_temp.errs(pg_temp.call($$SELECT * FROM api.leads_create('{"name":null,"phone":null}')$$)),
          ARRAY['["body", "name"] missing', '["body", "phone"] missing'], 'create: null is missing');
SELECT is(pg_temp.errs(pg_temp.call($$SELECT * FROM api.leads_create(
              '{"name":5,"phone":14155550123,"email":true,"company":[],"notes":{}}')$$)),
          ARRAY['["body", "name"] string_type', '["body", "phone"] string_type',
                '["body", "email"] string_type', '["body", "company"] string_type',
                '["body", "notes"] string_type'], 'create: wrong JSON types, every one reported');
SELECT is(pg_temp.call($$SELECT * FROM api.leads_create('{"name":"   ","phone":"+14155550199"}')$$) -> 'body',
          '{"detail":[{"loc":["body","name"],"msg":"name must not be empty","type":"value_error"}]}',
          'create: blank name');
SELECT is(pg_temp.call($$SELECT * FROM api.leads_create('{"name":"x","phone":"4155550123"}')$$) -> 'body',
          '{"detail":[{"loc":["body","phone"],"msg":"phone must include the country code (e.g. +14155550123)","type":"value_error"}]}',
          'create: phone without country code, with the parser''s message');
SELECT is(pg_temp.call($$SELECT * FROM api.leads_create('{"name":"x","phone":"+999 123 4567"}')$$) #>> '{body,detail,0,msg}',
          'unknown country calling code +999', 'create: unknown calling code');
SELECT is(pg_temp.call($$SELECT * FROM api.leads_create('{"name":"x","phone":""}')$$) #>> '{body,detail,0,msg}',
          'phone must not be empty', 'create: empty phone');
SELECT is(pg_temp.call($$SELECT * FROM api.leads_create('{"name":"x","phone":"+1415555012a"}')$$) #>> '{body,detail,0,type}',
          'value_error', 'create: letters in phone');
SELECT is(pg_temp.call($$SELECT * FROM api.leads_create('{"name":"x","phone":"+14155550199","email":"not-an-email"}')$$) -> 'body',
          '{"detail":[{"loc":["body","email"],"msg":"value is not a valid email address","type":"value_error"}]}',
          'create: bad email');
SELECT is(pg_temp.call(format($$SELECT * FROM api.leads_create('{"name":"%s","phone":"+14155550199"}')$$,
                              repeat('n', 256))) -> 'body',
          '{"detail":[{"loc":["body","name"],"msg":"String should have at most 255 characters","type":"string_too_long","ctx":{"max_length":255}}]}',
          'create: name over 255 characters');
SELECT is(pg_temp.errs(pg_temp.call(format($$SELECT * FROM api.leads_create(
              '{"name":"x","phone":"+14155550199","email":"%s@example.com","company":"%s","notes":"%s"}')$$,
              repeat('e', 250), repeat('c', 256), repeat('n', 10001)))),
          ARRAY['["body", "email"] string_too_long', '["body", "company"] string_too_long',
                '["body", "notes"] string_too_long'], 'create: column limits');
SELECT is(pg_temp.call(format($$SELECT * FROM api.leads_create('{"name":"%s","phone":"+14155550199"}')$$,
                              repeat('é', 255))) -> 'status',
          '201', 'create: 255 characters (not bytes) is fine');
SELECT is(pg_temp.call($$SELECT * FROM api.leads_create('[{"name":"x"}]')$$) -> 'body',
          '{"detail":[{"loc":["body"],"msg":"Input should be a valid dictionary or object to extract fields from","type":"dict_type"}]}',
          'create: body not an object');
SELECT is(pg_temp.call($$SELECT * FROM api.leads_create('"text"')$$) #>> '{body,detail,0,type}',
          'dict_type', 'create: body a JSON string');
SELECT is(pg_temp.call($$SELECT * FROM api.leads_create(NULL)$$) -> 'body',
          '{"detail":[{"loc":["body"],"msg":"Field required","type":"missing"}]}',
          'create: no body');
SELECT is(pg_temp.call($$SELECT * FROM api.leads_create(
              '{"name":"Robert''); DROP TABLE leads;--","phone":"+61491570120","notes":"1 OR 1=1"}')$$)
            #>> '{body,name}',
          'Robert''); DROP TABLE leads;--', 'create: SQL-looking text is stored literally');
SELECT has_table('leads');

------------------------------------------------------------------------------
-- get
------------------------------------------------------------------------------
SELECT is(pg_temp.call(format('SELECT * FROM api.leads_get(%L)', :'ann')),
          (SELECT jsonb_build_object('status', 200, 'body', r -> 'body') FROM a), 'get: 200, the lead');
SELECT is(pg_temp.call(format('SELECT * FROM api.leads_get(%L)', '000' || :'ann')) -> 'status',
          '200', 'get: leading zeros are fine');
SELECT is(pg_temp.call($$SELECT * FROM api.leads_get('9223372036854775807')$$),
          '{"status":404,"body":{"detail":"Lead 9223372036854775807 not found"}}', 'get: 404');
SELECT throws_ok($$SELECT * FROM api.leads_get('9223372036854775806')$$, 'SC404',
                 '{"detail": "Lead 9223372036854775806 not found"}', 'get: 404 as SC404');
SELECT is(pg_temp.call(format('SELECT * FROM api.leads_get(%L)', id)) -> 'body',
          '{"detail":[{"loc":["path","id"],"msg":"Input should be a valid integer, unable to parse string as an integer","type":"int_parsing"}]}',
          format('get %s: 422 int_parsing', id))
  FROM unnest(ARRAY['abc', '1.5', '', ' 1', '1e3', '0x10', '+1']) AS id;
SELECT is(pg_temp.errs(pg_temp.call(format('SELECT * FROM api.leads_get(%L)', id))),
          ARRAY['["path", "id"] greater_than_equal'], format('get %s: 422 greater_than_equal', id))
  FROM unnest(ARRAY['0', '-1', '000']) AS id;
SELECT is(pg_temp.errs(pg_temp.call($$SELECT * FROM api.leads_get('99999999999999999999')$$)),
          ARRAY['["path", "id"] int_parsing'], 'get: an id over bigint is 422');

------------------------------------------------------------------------------
-- update
------------------------------------------------------------------------------
SELECT is(pg_temp.call(format($$SELECT * FROM api.leads_update(%L, '{"notes":"new notes","email":null}')$$, :'ann'))
            #- '{body,created_at}' #- '{body,updated_at}' -> 'body',
          jsonb_build_object('id', :'ann'::bigint, 'name', 'Ann Lee', 'phone', '+14155550123',
                             'email', NULL, 'company', 'Zqx Widgets', 'notes', 'new notes',
                             'attributes', '{}'::jsonb, 'timezone', 'America/Los_Angeles',
                             'timezone_source', 'phone', 'opted_out', false, 'opted_out_at', NULL,
                             'opt_out_source', NULL, 'consent_at', NULL, 'consent_source', NULL,
                             'consent_text', NULL, 'phone_status', NULL, 'phone_status_at', NULL),
          'update: only the given fields change, null clears an optional field');
SELECT is(pg_temp.call(format($$SELECT * FROM api.leads_update(%L, '{}')$$, :'ann')) -> 'status',
          '200', 'update {}: 200, nothing changes');
SELECT is(pg_temp.call(format($$SELECT * FROM api.leads_update(%L, '{"phone":"+44 20 7946 0958"}')$$, :'ann')),
          jsonb_build_object('status', 409, 'body', jsonb_build_object('detail',
              format('A lead with phone +442079460958 already exists (lead %s)',
                     (SELECT id FROM leads WHERE phone = '+442079460958')))),
          'update: another lead''s phone is a 409');
SELECT is(pg_temp.call(format($$SELECT * FROM api.leads_update(%L, '{"phone":"(415) 555-0123"}')$$, :'ann')) #>> '{body,detail,0,loc}',
          '["body", "phone"]', 'update: phone validated as in create');
SELECT is(pg_temp.call(format($$SELECT * FROM api.leads_update(%L, '{"phone":"+1 415-555-0123","name":" Ann "}')$$, :'ann')) #>> '{body,name}',
          'Ann', 'update: its own phone again is fine');
SELECT is(pg_temp.call(format($$SELECT * FROM api.leads_update(%L, '{"phone":"+61 491 570 121"}')$$, :'ann')) #>> '{body,phone}',
          '+61491570121', 'update: a new phone');
SELECT is(pg_temp.errs(pg_temp.call(format($$SELECT * FROM api.leads_update(%L, '{"name":null,"phone":""}')$$, :'ann'))),
          ARRAY['["body", "name"] missing', '["body", "phone"] value_error'],
          'update: null name and empty phone are 422');
SELECT is(pg_temp.errs(pg_temp.call($$SELECT * FROM api.leads_update('abc', '{"name":7}')$$)),
          ARRAY['["path", "id"] int_parsing', '["body", "name"] string_type'],
          'update: path and body errors together');
SELECT is(pg_temp.errs(pg_temp.call(format($$SELECT * FROM api.leads_update(%L, '[]')$$, :'ann'))),
          ARRAY['["body"] dict_type'], 'update: body not an object');
SELECT is(pg_temp.call($$SELECT * FROM api.leads_update('9223372036854775807', '{"name":"x"}')$$),
          '{"status":404,"body":{"detail":"Lead 9223372036854775807 not found"}}', 'update: 404');
SELECT is((SELECT row(name, phone, email, notes)::text FROM leads WHERE id = :'ann'),
          '(Ann,+61491570121,,"new notes")', 'update: failed updates changed nothing');

------------------------------------------------------------------------------
-- list
------------------------------------------------------------------------------
INSERT INTO leads (name, phone, email, company)
SELECT 'Zqxlist ' || i, '+6149157013' || i, 'zqx' || i || '@list.example', 'Listco'
  FROM generate_series(0, 9) AS i;
CREATE TEMP TABLE l1 AS SELECT pg_temp.call($$SELECT * FROM api.leads_list('{"q":"ZQXLIST","limit":"3","offset":"2"}')$$) AS r;
SELECT is((SELECT r -> 'status' FROM l1), '200', 'list: 200');
SELECT is((SELECT (r -> 'body') - 'items' FROM l1),
          jsonb_build_object('total', 10, 'total_is_estimate', false, 'limit', 3, 'offset', 2,
                             'has_more', true,
                             'next_after', (SELECT id FROM leads WHERE name = 'Zqxlist 4')),
          'list: total (exact), limit, offset, has_more, next_after (the last id of the page)');
SELECT is((SELECT array_agg(i ->> 'name') FROM l1, jsonb_array_elements(r -> 'body' -> 'items') AS i),
          ARRAY['Zqxlist 2', 'Zqxlist 3', 'Zqxlist 4'], 'list: q case-insensitive, ordered by id, paged');
SELECT is((SELECT jsonb_object_keys_agg FROM (SELECT array_agg(k ORDER BY k) AS jsonb_object_keys_agg
             FROM l1, jsonb_object_keys(r #> '{body,items,0}') AS k) s),
          ARRAY['attributes', 'company', 'consent_at', 'consent_source', 'consent_text',
                'created_at', 'email', 'id', 'name', 'notes',
                'opt_out_source', 'opted_out', 'opted_out_at', 'phone', 'phone_status',
                'phone_status_at', 'timezone', 'timezone_source', 'updated_at'],
          'list: items are lead objects');
SELECT is(pg_temp.call($$SELECT * FROM api.leads_list('{"q":"491 570 135"}')$$) #>> '{body,items,0,name}',
          'Zqxlist 5', 'list: q with the digits of a phone, written with blanks');
SELECT is(pg_temp.call($$SELECT * FROM api.leads_list('{"q":"+61 (491) 570-135"}')$$) #>> '{body,total}',
          '1', 'list: q written as a formatted phone');
SELECT is(pg_temp.call($$SELECT * FROM api.leads_list('{"q":"zqx7@list"}')$$) #>> '{body,items,0,name}',
          'Zqxlist 7', 'list: q matches email');
SELECT is(pg_temp.call($$SELECT * FROM api.leads_list('{"q":"zqx_%"}')$$) #>> '{body,total}',
          '0', 'list: % and _ in q are literal');
SELECT is(pg_temp.call($$SELECT * FROM api.leads_list('{}')$$) #>> '{body,limit}', '50', 'list: limit 50 by default');
SELECT is(pg_temp.call($$SELECT * FROM api.leads_list('{"limit":"100000000000000000000000"}')$$) #>> '{body,limit}',
          '500', 'list: a huge limit is clamped to 500');
SELECT is(pg_temp.call($$SELECT * FROM api.leads_list('{"limit":"0"}')$$) #>> '{body,items}', '[]', 'list: limit 0');
SELECT is((pg_temp.call($$SELECT * FROM api.leads_list('{}')$$) #>> '{body,total}')::bigint,
          (SELECT count(*) FROM leads), 'list: total without q is every lead');
SELECT is(pg_temp.call($$SELECT * FROM api.leads_list('{"limit":"abc","offset":"-1"}')$$) -> 'body',
          '{"detail":[{"loc":["query","limit"],"msg":"Input should be a valid integer, unable to parse string as an integer","type":"int_parsing"},{"loc":["query","offset"],"msg":"Input should be greater than or equal to 0","type":"greater_than_equal","ctx":{"ge":0}}]}',
          'list: bad limit and offset, both reported');
SELECT is(pg_temp.errs(pg_temp.call($$SELECT * FROM api.leads_list('{"limit":"-5"}')$$)),
          ARRAY['["query", "limit"] greater_than_equal'], 'list: negative limit');
SELECT is(pg_temp.errs(pg_temp.call($$SELECT * FROM api.leads_list('{"offset":"1.5"}')$$)),
          ARRAY['["query", "offset"] int_parsing'], 'list: fractional offset');
SELECT is(pg_temp.errs(pg_temp.call(format($$SELECT * FROM api.leads_list('{"q":"%s"}')$$, repeat('q', 256)))),
          ARRAY['["query", "q"] string_too_long'], 'list: q at most 255 characters');

-- the search's plans, run (EXPLAIN (ANALYZE, BUFFERS)), so that a plan that
-- changes fails here: the lookup ORs a bitmap of each index it needs, the
-- walk reads leads_pkey in order and stops at its page (this table is small:
-- the sequential scans are priced out)
SET LOCAL enable_seqscan = off;
SELECT alike(pg_temp.plan_of($$(ANALYZE, BUFFERS) SELECT count(*) FROM api_leads_search('zqxlist')$$),
             '%Bitmap Index Scan on leads_search_trgm_idx %actual%',
             'search plan: the lookup uses the search_text trigram index');
SELECT alike(pg_temp.plan_of($$(ANALYZE, BUFFERS) SELECT count(*) FROM api_leads_search('zqxlist')$$),
             '%Seq Scan on leads l %(never executed)%',
             'search plan: and no scan of the leads');
SELECT alike(pg_temp.plan_of($$(ANALYZE, BUFFERS) SELECT * FROM api_leads_search('+61 491 570 110')$$),
             '%BitmapOr%Bitmap Index Scan on leads_phone_digits_trgm_idx%Bitmap Index Scan on leads_phone_key%Bitmap Index Scan on leads_search_trgm_idx%',
             'search plan: a phone ORs the digits index, the phone key and the search_text index');
SET LOCAL enable_sort = off;    -- (a table this small would be sorted)
SELECT alike(pg_temp.plan_of($$(ANALYZE, BUFFERS)
                 SELECT * FROM api_leads_walk('zqxlist', NULL, NULL, 0, 1000, 51, 0)$$),
             '%Limit%Index Scan using leads_pkey on leads l %actual%',
             'search plan: the walk reads leads_pkey in order');
RESET enable_seqscan;
RESET enable_sort;
-- the walk stops at its page: two matches asked for, however many leads follow
SELECT is((SELECT count(*) FROM api_leads_walk('zqxlist', NULL, NULL, 0, NULL, 2, 0)), 2::bigint,
          'search walk: stops at its page');

------------------------------------------------------------------------------
-- delete
------------------------------------------------------------------------------
SELECT is(pg_temp.call(format('SELECT * FROM api.leads_delete(%L)', :'ann')),
          '{"status":204,"body":null}', 'delete: 204, no body');
SELECT is(pg_temp.call(format('SELECT * FROM api.leads_delete(%L)', :'ann')),
          jsonb_build_object('status', 404, 'body', jsonb_build_object('detail',
              format('Lead %s not found', :'ann'))), 'delete again: 404');
SELECT is(pg_temp.call(format('SELECT * FROM api.leads_get(%L)', :'ann')) -> 'status', '404',
          'get after delete: 404');
SELECT is(pg_temp.errs(pg_temp.call($$SELECT * FROM api.leads_delete('-3')$$)),
          ARRAY['["path", "id"] greater_than_equal'], 'delete: negative id 422');

------------------------------------------------------------------------------
-- timezone: the phone's unless set; an IANA name, canonicalised; null resets it
------------------------------------------------------------------------------
SELECT is(pg_temp.call($$SELECT * FROM api.leads_create('{"name":"Tz","phone":"+1 303 555 0142","timezone":"america/chicago"}')$$)
            -> 'body' -> 'timezone', '"America/Chicago"',
          'create: a timezone given in any case is stored by its canonical name');
SELECT is((SELECT timezone FROM leads WHERE phone = '+13035550142'), 'America/Chicago',
          'create: the lead''s timezone is stored');
SELECT is(pg_temp.call($$SELECT * FROM api.leads_update((SELECT id FROM leads WHERE phone = '+13035550142')::text,
                                                        '{"timezone":null}')$$) -> 'body'
            -> 'timezone_source', '"phone"', 'update: null gives the phone''s zone back');
SELECT is(pg_temp.call($$SELECT * FROM api.leads_get((SELECT id FROM leads WHERE phone = '+13035550142')::text)$$)
            #>> '{body,timezone}', 'America/Denver', 'get: +1 303 is America/Denver');
SELECT is(pg_temp.call($$SELECT * FROM api.leads_update((SELECT id FROM leads WHERE phone = '+13035550142')::text,
                                                        '{"timezone":" Pacific/Honolulu "}')$$) #>> '{body,timezone}',
          'Pacific/Honolulu', 'update: a zone with blanks around it');
SELECT is(pg_temp.errs(pg_temp.call($$SELECT * FROM api.leads_update((SELECT id FROM leads WHERE phone = '+13035550142')::text,
                                                        '{"timezone":"Mars/Olympus"}')$$)),
          ARRAY['["body", "timezone"] value_error'], 'update: an unknown zone is 422');
SELECT is(pg_temp.errs(pg_temp.call($$SELECT * FROM api.leads_create('{"name":"Tz2","phone":"+13035550143","timezone":"EST"}')$$)),
          ARRAY['["body", "timezone"] value_error'], 'create: an abbreviation is not a zone name');
SELECT is(pg_temp.errs(pg_temp.call($$SELECT * FROM api.leads_create('{"name":"Tz2","phone":"+13035550143","timezone":7}')$$)),
          ARRAY['["body", "timezone"] string_type'], 'create: a timezone that is no string');
SELECT is((SELECT timezone FROM leads WHERE phone = '+13035550142'), 'Pacific/Honolulu',
          'failed updates left the zone as it was');

------------------------------------------------------------------------------
-- consent: an ISO date-time or a date, how, the words
------------------------------------------------------------------------------
SELECT is((pg_temp.call($$SELECT * FROM api.leads_create('{"name":"Cy","phone":"+13035550161","consent_at":"2026-05-01T09:30:00Z","consent_source":" web_form ","consent_text":"Yes, text me"}')$$)
            -> 'body') - '{id,created_at,updated_at,name,phone,email,company,notes,attributes,timezone,timezone_source,opted_out,opted_out_at,opt_out_source,phone_status,phone_status_at}'::text[],
          '{"consent_at":"2026-05-01T09:30:00+00:00","consent_source":"web_form","consent_text":"Yes, text me"}',
          'create: consent recorded');
SELECT is(pg_temp.call($$SELECT * FROM api.leads_update((SELECT id FROM leads WHERE phone = '+13035550161')::text,
                                                        '{"consent_at":"2026-06-02"}')$$) #>> '{body,consent_at}',
          '2026-06-02T00:00:00+00:00', 'update: a date alone is its midnight UTC');
SELECT is(pg_temp.errs(pg_temp.call($$SELECT * FROM api.leads_update((SELECT id FROM leads WHERE phone = '+13035550161')::text,
                                                        '{"consent_at":"yesterday","consent_source":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}')$$)),
          ARRAY['["body", "consent_at"] datetime_parsing', '["body", "consent_source"] string_too_long'],
          'update: a consent_at that is no date-time and a consent_source over 50 characters are 422');
SELECT is(pg_temp.errs(pg_temp.call($$SELECT * FROM api.leads_update((SELECT id FROM leads WHERE phone = '+13035550161')::text,
                                                        '{"consent_at":"2026-02-30"}')$$)),
          ARRAY['["body", "consent_at"] datetime_parsing'], 'update: a date that does not exist is 422');
SELECT is(pg_temp.call($$SELECT * FROM api.leads_update((SELECT id FROM leads WHERE phone = '+13035550161')::text,
                                                        '{"consent_at":null}')$$) #>> '{body,consent_at}',
          NULL, 'update: null clears it');

SELECT * FROM finish();
ROLLBACK;
