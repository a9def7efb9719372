-- POST /api/leads/import: api_leads_import(content_type, body) with JSON and
-- CSV bodies, mixed good and bad rows, duplicates, limits.
BEGIN;
SET client_min_messages = warning;
SELECT plan(34);

CREATE FUNCTION pg_temp.call(p_sql text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    EXECUTE p_sql INTO r;
    RETURN jsonb_build_object('status', r.status, 'body', r.body::jsonb);
EXCEPTION WHEN OTHERS THEN
    IF SQLSTATE !~ '^SC[0-9]{3}$' THEN
        RAISE;
    END IF;
    RETURN jsonb_build_object('status', substr(SQLSTATE, 3)::int, 'body', SQLERRM::jsonb);
END
$$;
CREATE FUNCTION pg_temp.import(p_type text, p_body text) RETURNS jsonb
LANGUAGE sql AS $$
    SELECT pg_temp.call(format('SELECT * FROM api_leads_import(%L, %L)', p_type, p_body))
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
SELECT is((SELECT (r -> 'body') - 'rejected' FROM j1), '{"inserted":2,"updated":2}',
          'json import: 2 new phones inserted, a known phone and a repeat updated');
SELECT is((SELECT r #> '{body,rejected}' FROM j1), $$[
    {"row": 2, "detail": [{"loc": ["body", 2, "phone"], "msg": "phone must include the country code (e.g. +14155550123)", "type": "value_error"}]},
    {"row": 5, "detail": [{"loc": ["body", 5], "msg": "Input should be a valid dictionary or object to extract fields from", "type": "dict_type"}]},
    {"row": 6, "detail": [{"loc": ["body", 6, "name"], "msg": "Field required", "type": "missing"},
                          {"loc": ["body", 6, "email"], "msg": "value is not a valid email address", "type": "value_error"}]}
]$$, 'json import: each bad row with all its FastAPI errors, rows numbered from 1');
SELECT is(pg_temp.lead('+61491570151'), '("New One Again",one@example.com,"Later Co",)',
          'same phone twice: applied in order, the last name wins, earlier fields stay');
SELECT is(pg_temp.lead('+61491570150'), '("Existing Renamed",old@example.com,"Old Co","keep me")',
          'a known phone updates only the fields the row has');
SELECT is(pg_temp.lead('+61491570152'), NULL, 'a bad row is not stored');
SELECT ok((SELECT (SELECT id FROM leads WHERE phone = '+61491570151')
                < (SELECT id FROM leads WHERE phone = '+61491570153')), 'new leads get ids in file order');

SELECT is(pg_temp.import('application/json; charset=utf-8',
              '[{"name":"New Two","phone":"+61491570153","notes":"n"}]') -> 'body',
          '{"inserted":0,"updated":1,"rejected":[]}', 'content type with parameters');
SELECT is(pg_temp.import('application/json', '[]') -> 'body',
          '{"inserted":0,"updated":0,"rejected":[]}', 'an empty array');
SELECT is(pg_temp.import('application/json', '[{"name":"Clear","phone":"+61491570150","email":null,"company":""}]') -> 'status',
          '200', 'null and "" clear optional fields...');
SELECT is(pg_temp.lead('+61491570150'), '(Clear,,,"keep me")', '...of the existing lead');

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
SELECT is((SELECT r -> 'body' FROM c1), $${"inserted": 2, "updated": 1, "rejected": [
    {"row": 2, "detail": [{"loc": ["body", 2, "name"], "msg": "name must not be empty", "type": "value_error"}]},
    {"row": 3, "detail": [{"loc": ["body", 3, "phone"], "msg": "phone has invalid characters (use digits, spaces, dashes, dots, parentheses and a leading +)", "type": "value_error"}]}]}$$,
          'csv import: header case-insensitive and trimmed, other columns ignored, bad rows reported');
SELECT is(pg_temp.lead('+61491570160'), '("Smith, Jane (again)",,,)',
          'csv: the last row of a phone wins, its empty cells clear fields');
SELECT is(pg_temp.lead('+61491570162'), '("Short Row",,,)', 'csv: a short row');
SELECT is(pg_temp.import('text/csv', E'name,phone,notes\nNew Two,+61491570153\n') -> 'body',
          '{"inserted":0,"updated":1,"rejected":[]}', 'csv: a known phone');
SELECT is(pg_temp.lead('+61491570153'), '("New Two",,,n)', 'csv: cells missing from a short row are kept');

SELECT is(pg_temp.import('text/csv', E'name,phone\n"Open,+61491570163\nx,+61491570164\n'),
          '{"status":422,"body":{"detail":[{"loc":["body"],"msg":"Invalid CSV: unterminated quoted field in CSV starting on line 2","type":"value_error"}]}}',
          'csv: an unterminated quote is a 422 naming the line');
SELECT is(pg_temp.lead('+61491570164'), NULL, 'csv: nothing stored from an unparseable file');
SELECT is(pg_temp.import('text/csv', E'Full Name,Mobile,email\nx,+61491570165,\n'),
          $${"status": 422, "body": {"detail": [
              {"loc": ["body"], "msg": "CSV header has no \"name\" column (it has: Full Name, Mobile, email)", "type": "missing"},
              {"loc": ["body"], "msg": "CSV header has no \"phone\" column (it has: Full Name, Mobile, email)", "type": "missing"}]}}$$,
          'csv: no name or phone column: 422');
SELECT is(pg_temp.import('text/csv', E'name,phone\n') -> 'body',
          '{"inserted":0,"updated":0,"rejected":[]}', 'csv: a header only');
SELECT is(pg_temp.import('text/csv', E'name,phone\n"Robert\'); DROP TABLE leads;--",+61491570166\n') -> 'body',
          '{"inserted":1,"updated":0,"rejected":[]}', 'csv: SQL-looking text...');
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
SELECT is((SELECT r -> 'body' FROM r100k), '{"inserted":100000,"updated":0,"rejected":[]}',
          '100,000 CSV rows imported');
SELECT is((SELECT pg_temp.lead('+61490099999')), '("Lead 99999, Jr.",lead99999@example.com,"Company 99",'
          || '"Notes about lead 99999")', 'the last of them');
CREATE TEMP TABLE r100k2 AS SELECT pg_temp.import('text/csv', content) AS r FROM big;
SELECT is((SELECT r -> 'body' FROM r100k2), '{"inserted":0,"updated":100000,"rejected":[]}',
          'the same file again: 100,000 updates');

SELECT * FROM finish();
ROLLBACK;
