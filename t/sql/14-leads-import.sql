-- POST /api/leads/import: api.leads_import(args, content_type, body) with JSON
-- and CSV bodies, mixed good and bad rows, duplicates, limits.  (The rules for
-- existing leads, dry runs and attributes: 17-leads-import-rules.sql.)
BEGIN;
SET client_min_messages = warning;
SELECT plan(40);

\ir lib/call.sql
\ir lib/import_counts.sql
CREATE FUNCTION pg_temp.import(p_type text, p_body text, p_args jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE sql AS $$
    SELECT pg_temp.call(format('SELECT * FROM api.leads_import(%L, %L, %L)', p_args, p_type, p_body))
$$;
CREATE FUNCTION pg_temp.lead(p_phone text) RETURNS text
LANGUAGE sql AS $$
    SELECT row(name, email, company, notes)::text FROM leads WHERE phone = p_phone
$$;

DELETE FROM leads WHERE phone LIKE '+614915701%' OR phone LIKE '+1202555%';
INSERT INTO leads (name, phone, email, company, notes)
VALUES ('Existing', '+61491570150', 'old@example.com', 'Old Co', 'keep me');

------------------------------------------------------------------------------
-- JSON
------------------------------------------------------------------------------
CREATE TEMP TABLE j1 AS SELECT pg_temp.import(NULL, $$[
    {"name": "New One", "phone": "+61 491 570 151", "email": "one@example.com"},
    {"name": "Bad Phone", "phone": "555-0100"},
    {"name": "New One Again", "phone": "+61491570151", "company": "Later Co"},
    {"name": "Existing Renamed", "phone": "0061 491 570 150"},
    "not an object",
    {"phone": "+61491570152", "email": "x"},
    {"name": "New Two", "phone": "+61491570153", "notes": null}
]$$) AS r;
SELECT is((SELECT r -> 'status' FROM j1), '200', 'json import: 200');
SELECT is((SELECT pg_temp.counts(r) FROM j1),
          '{"inserted":2,"updated":1,"unchanged":0,"skipped":0,"rejected":[2,3,5,6]}',
          'json import: 2 new phones inserted, a known phone updated, a repeated phone rejected');
SELECT is((SELECT r #> '{body,rejected}' FROM j1), $$[
    {"row": 2, "detail": [{"loc": ["body", 2, "phone"], "msg": "phone must include the country code (e.g. +14155550123)", "type": "value_error"}]},
    {"row": 3, "detail": [{"loc": ["body", 3, "phone"], "msg": "duplicate of row 1", "type": "value_error"}]},
    {"row": 5, "detail": [{"loc": ["body", 5], "msg": "Input should be a valid dictionary or object to extract fields from", "type": "dict_type"}]},
    {"row": 6, "detail": [{"loc": ["body", 6, "name"], "msg": "Field required", "type": "missing"},
                          {"loc": ["body", 6, "email"], "msg": "value is not a valid email address", "type": "value_error"}]}
]$$, 'json import: each bad row with all its FastAPI errors, rows numbered from 1');
SELECT is(pg_temp.lead('+61491570151'), '("New One",one@example.com,,)',
          'same phone twice: the first row is used, the later one changes nothing');
SELECT is(pg_temp.lead('+61491570150'), '("Existing Renamed",old@example.com,"Old Co","keep me")',
          'a known phone updates only the fields the row has');
SELECT is((SELECT r #> '{body,changes}' FROM j1),
          jsonb_build_array(jsonb_build_object('row', 4, 'lead_id', (SELECT id FROM leads WHERE phone = '+61491570150'),
                                               'name', 'Existing Renamed', 'phone', '+61491570150',
                                               'fields', '{"name": {"from": "Existing", "to": "Existing Renamed"}}'::jsonb)),
          'json import: the change is listed with from and to');
SELECT is(pg_temp.lead('+61491570152'), NULL, 'a bad row is not stored');
SELECT ok((SELECT (SELECT id FROM leads WHERE phone = '+61491570151')
                < (SELECT id FROM leads WHERE phone = '+61491570153')), 'new leads get ids in file order');

SELECT is(pg_temp.counts(pg_temp.import('application/json; charset=utf-8',
              '[{"name":"New Two","phone":"+61491570153","notes":"n"}]')),
          '{"inserted":0,"updated":1,"unchanged":0,"skipped":0,"rejected":[]}', 'content type with parameters');
SELECT is(pg_temp.import('application/json', '[]') -> 'body',
          '{"inserted":0,"updated":0,"unchanged":0,"skipped":0,"rejected":[],"changes":[],"changes_total":0,"dry_run":false}',
          'an empty array: every key of the answer');
SELECT is(pg_temp.import('application/json', '[{"name":"Existing Renamed","phone":"+61491570150","email":null,"company":""}]')
              #> '{body,unchanged}',
          '1', 'null and "" keep optional fields (merge)...');
SELECT is(pg_temp.lead('+61491570150'), '("Existing Renamed",old@example.com,"Old Co","keep me")', '...of the existing lead');

-- whole-body errors
SELECT is(pg_temp.import(NULL, '[{"name": "x",'),
          '{"status":400,"body":{"detail":"Request body is not valid JSON: The input string ended unexpectedly. (line 1)"}}',
          'malformed JSON: 400 with the reason');
SELECT is(pg_temp.import(NULL, E'[\n{"name": x}]') #>> '{body,detail}',
          'Request body is not valid JSON: Token "x" is invalid. (line 2)', 'malformed JSON names the line');
SELECT is(pg_temp.import('application/json', '{"name":"x","phone":"+61491570154"}'),
          '{"status":422,"body":{"detail":[{"loc":["body"],"msg":"Input should be a valid list (a JSON array of leads)","type":"list_type"}]}}',
          'a JSON object instead of an array: 422 list_type');
SELECT is(pg_temp.import(NULL, NULL),
          '{"status":422,"body":{"detail":[{"loc":["body"],"msg":"Field required","type":"missing"}]}}',
          'no body: 422');
SELECT is(pg_temp.import('text/csv', '   '), pg_temp.import(NULL, NULL), 'blank body: 422');
SELECT is(pg_temp.import('application/xml', '<leads/>') -> 'status', '415', 'other content types: 415');

CREATE TEMP TABLE n0 AS SELECT count(*) AS n FROM leads;
SELECT is(pg_temp.import(NULL, (SELECT '[' || string_agg('{}', ',') || ']'
                                  FROM generate_series(1, 100001))),
          '{"status":413,"body":{"detail":"Too many rows: an import takes at most 100000 rows (this one has 100001)"}}',
          'over 100,000 JSON rows: 413');
SELECT is(pg_temp.import('text/csv', (SELECT E'name,phone\n' || string_agg('x,+61491570155', E'\n')
                                        FROM generate_series(1, 100001))) -> 'status',
          '413', 'over 100,000 CSV rows: 413');
SELECT is((SELECT count(*) FROM leads), (SELECT n FROM n0), '413: nothing stored');

------------------------------------------------------------------------------
-- CSV
------------------------------------------------------------------------------
CREATE TEMP TABLE c1 AS SELECT pg_temp.import('text/csv; charset=utf-8',
    E'\xEF\xBB\xBF Phone ,NAME,Email,Source,notes\r\n'
    '+61491570160,"Smith, Jane",jane@example.com,web,"line 1\nline ""2"""\r\n'
    '+61491570161,,,fair,\r\n'
    'call me,Bob,,x,\r\n'
    '+61491570160,"Smith, Jane (again)",,web,\r\n'
    '+61491570162,Short Row\r\n') AS r;
SELECT is((SELECT r -> 'body' FROM c1), $${"inserted": 2, "updated": 0, "unchanged": 0, "skipped": 0, "rejected": [
    {"row": 2, "detail": [{"loc": ["body", 2, "name"], "msg": "name must not be empty", "type": "value_error"}]},
    {"row": 3, "detail": [{"loc": ["body", 3, "phone"], "msg": "phone has invalid characters (use digits, spaces, dashes, dots, parentheses and a leading +)", "type": "value_error"}]},
    {"row": 4, "detail": [{"loc": ["body", 4, "phone"], "msg": "duplicate of row 1", "type": "value_error"}]}],
    "changes": [], "changes_total": 0, "dry_run": false}$$,
          'csv import: header case-insensitive and trimmed, bad rows and a repeated phone reported');
SELECT is(pg_temp.lead('+61491570160'), E'("Smith, Jane",jane@example.com,,"line 1\nline ""2""")',
          'csv: the first row of a phone is the one stored');
SELECT is((SELECT attributes FROM leads WHERE phone = '+61491570160'), '{"Source": "web"}',
          'csv: another column is an attribute, named by its trimmed header');
SELECT is(pg_temp.lead('+61491570162'), '("Short Row",,,)', 'csv: a short row');
SELECT is(pg_temp.counts(pg_temp.import('text/csv', E'name,phone,notes\nNew Two,+61491570153\n')),
          '{"inserted":0,"updated":0,"unchanged":1,"skipped":0,"rejected":[]}', 'csv: a known phone, nothing new');
SELECT is(pg_temp.lead('+61491570153'), '("New Two",,,n)', 'csv: cells missing from a short row are kept');

-- a timezone column sets the leads' zones (checked like the API's); a bad one rejects its row
SELECT is(pg_temp.counts(pg_temp.import('text/csv',
              E'name,phone,TimeZone\nTz One,+13105550171,america/denver\nTz Two,+13105550172,\nTz Bad,+13105550173,Mars/Base\n')),
          '{"inserted":2,"updated":0,"unchanged":0,"skipped":0,"rejected":[3]}',
          'csv timezone column: a zone, an empty cell (the phone''s), an unknown zone rejected');
SELECT is((SELECT array_agg(coalesce(timezone, '-') || ' ' || (api_lead_text(l.id)::json ->> 'timezone') ORDER BY phone)
             FROM leads l WHERE phone IN ('+13105550171', '+13105550172')),
          ARRAY['America/Denver America/Denver', '- America/Los_Angeles'],
          'csv timezone: stored by its canonical name; an empty cell leaves the phone''s');
SELECT is(pg_temp.import('text/csv', E'name,phone\n"Open,+61491570163\nx,+61491570164\n'),
          '{"status":422,"body":{"detail":[{"loc":["body"],"msg":"Invalid CSV: unterminated quoted field in CSV starting on line 2","type":"value_error"}]}}',
          'csv: an unterminated quote is a 422 naming the line');
SELECT is(pg_temp.lead('+61491570164'), NULL, 'csv: nothing stored from an unparseable file');
SELECT is(pg_temp.import('text/csv', E'Full Name,Mobile,email\nx,+61491570165,\n'),
          $${"status": 422, "body": {"detail": [
              {"loc": ["body"], "msg": "CSV header has no \"name\" column (it has: Full Name, Mobile, email)", "type": "missing"},
              {"loc": ["body"], "msg": "CSV header has no \"phone\" column (it has: Full Name, Mobile, email)", "type": "missing"},
              {"loc": ["body"], "msg": "CSV header \"Full Name\" is not a valid attribute name: use letters, digits and _, starting with a letter or _, at most 64 characters", "type": "value_error"}]}}$$,
          'csv: no name or phone column, a header that is no attribute name: 422 naming them');
SELECT is(pg_temp.import('text/csv', E'name,phone\n') -> 'body',
          '{"inserted":0,"updated":0,"unchanged":0,"skipped":0,"rejected":[],"changes":[],"changes_total":0,"dry_run":false}',
          'csv: a header only');
SELECT is(pg_temp.counts(pg_temp.import('text/csv', E'name,phone\n"Robert\'); DROP TABLE leads;--",+61491570166\n')),
          '{"inserted":1,"updated":0,"unchanged":0,"skipped":0,"rejected":[]}', 'csv: SQL-looking text...');
SELECT is(pg_temp.lead('+61491570166'), '("Robert''); DROP TABLE leads;--",,,)', '...is stored literally');

------------------------------------------------------------------------------
-- 100,000 rows in one request
------------------------------------------------------------------------------
DELETE FROM leads WHERE phone LIKE '+614900%';
CREATE TEMP TABLE big AS
SELECT E'name,phone,email,company,notes\r\n' || string_agg(format(
           '"Lead %s, Jr.",+61 4 900 %s,lead%s@example.com,Company %s,"Notes about lead %s"',
           i, lpad(i::text, 5, '0'), i, i % 100, i), E'\r\n') AS content
  FROM generate_series(0, 99999) AS i;
CREATE TEMP TABLE r100k AS SELECT pg_temp.import('text/csv', content) AS r FROM big;
SELECT is((SELECT pg_temp.counts(r) FROM r100k),
          '{"inserted":100000,"updated":0,"unchanged":0,"skipped":0,"rejected":[]}', '100,000 CSV rows imported');
SELECT is((SELECT pg_temp.lead('+61490099999')), '("Lead 99999, Jr.",lead99999@example.com,"Company 99",'
          || '"Notes about lead 99999")', 'the last of them');
CREATE TEMP TABLE fp100k AS SELECT md5(string_agg(l::text, E'\n' ORDER BY l.id)) AS fp FROM leads AS l;
CREATE TEMP TABLE r100k2 AS SELECT pg_temp.import('text/csv', content) AS r FROM big;
SELECT is((SELECT pg_temp.counts(r) FROM r100k2),
          '{"inserted":0,"updated":0,"unchanged":100000,"skipped":0,"rejected":[]}',
          'the same file again: 100,000 unchanged...');
SELECT is((SELECT md5(string_agg(l::text, E'\n' ORDER BY l.id)) FROM leads AS l), (SELECT fp FROM fp100k),
          '...and not one row rewritten');
CREATE TEMP TABLE r100k3 AS SELECT pg_temp.import('text/csv', replace(content, ',Company ', ',Firm ')) AS r FROM big;
SELECT is((SELECT jsonb_build_array(r #> '{body,updated}', r #> '{body,changes_total}',
                                    jsonb_array_length(r #> '{body,changes}'), r #> '{body,changes,999,fields}')
             FROM r100k3),
          '[100000, 100000, 1000, {"company": {"from": "Company 99", "to": "Firm 99"}}]',
          'every lead changed: 100,000 updated, the first 1,000 changes listed');

SELECT * FROM finish();
ROLLBACK;
