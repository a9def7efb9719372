-- POST /api/leads/import's rules (api.leads_import(args, content_type, body)):
-- on_existing merge / skip / replace, duplicate phones, the changes it lists,
-- dry runs, re-imports that change nothing, attributes (custom fields) on
-- create, update and import, query argument errors, all or nothing.
BEGIN;
SET client_min_messages = warning;
SELECT plan(65);

\ir lib/call.sql
\ir lib/errs.sql
\ir lib/import_counts.sql
CREATE FUNCTION pg_temp.import(p_args jsonb, p_type text, p_body text) RETURNS jsonb
LANGUAGE sql AS $$
    SELECT pg_temp.call(format('SELECT * FROM api.leads_import(%L, %L, %L)', p_args, p_type, p_body))
$$;
CREATE FUNCTION pg_temp.csv(p_args jsonb, p_body text) RETURNS jsonb
LANGUAGE sql AS $$ SELECT pg_temp.import(p_args, 'text/csv', p_body) $$;
-- inserted + updated + unchanged + skipped + rejected rows
CREATE FUNCTION pg_temp.total(r jsonb) RETURNS bigint
LANGUAGE sql AS $$
    SELECT (r #>> '{body,inserted}')::bigint + (r #>> '{body,updated}')::bigint
           + (r #>> '{body,unchanged}')::bigint + (r #>> '{body,skipped}')::bigint
           + jsonb_array_length(r #> '{body,rejected}')
$$;
CREATE FUNCTION pg_temp.lead(p_phone text) RETURNS text
LANGUAGE sql AS $$
    SELECT row(name, email, company, notes, attributes)::text FROM leads WHERE phone = p_phone
$$;
CREATE FUNCTION pg_temp.id(p_phone text) RETURNS bigint
LANGUAGE sql AS $$ SELECT id FROM leads WHERE phone = p_phone $$;
-- every lead, row versions included
CREATE FUNCTION pg_temp.rows_fingerprint() RETURNS text
LANGUAGE sql AS $$
    SELECT count(*) || ' ' || md5(string_agg(l.xmin || ' ' || l::text, E'\n' ORDER BY l.id))
      FROM leads AS l
$$;
-- ... and the ids handed out so far
CREATE FUNCTION pg_temp.fingerprint() RETURNS text
LANGUAGE sql AS $$
    SELECT pg_temp.rows_fingerprint() || ' ' || (SELECT last_value || ' ' || is_called FROM leads_id_seq)
$$;

DELETE FROM leads WHERE phone LIKE '+614915702%' OR phone LIKE '+614915703%';
INSERT INTO leads (name, phone, email, company, notes, attributes) VALUES
    ('Ada', '+61491570201', 'ada@example.com', 'Analytical', 'VIP', '{"city": "London", "tier": 2}'),
    ('Bob', '+61491570202', 'bob@example.com', 'Builders', 'calls back', '{}'),
    ('Cy',  '+61491570203', NULL, NULL, NULL, '{}');

------------------------------------------------------------------------------
-- the defect: re-importing a file with empty cells blanked leads
------------------------------------------------------------------------------
CREATE TEMP TABLE fp0 AS SELECT pg_temp.fingerprint() AS fp;
CREATE TEMP TABLE u1 AS SELECT pg_temp.csv('{}', E'name,phone,email,company,notes,city\n'
    'Ada,+61 491 570 201,,,,\nBob,+61491570202,,,,\n') AS r;
SELECT is((SELECT pg_temp.counts(r) FROM u1),
          '{"inserted":0,"updated":0,"unchanged":2,"skipped":0,"rejected":[]}',
          'existing phones with empty cells: unchanged (merge is the default)');
SELECT is(pg_temp.lead('+61491570201'), '(Ada,ada@example.com,Analytical,VIP,"{""city"": ""London"", ""tier"": 2}")',
          'the lead keeps its email, company, notes and attributes');
SELECT is(pg_temp.fingerprint(), (SELECT fp FROM fp0), 'nothing was written (not even a row version)');
SELECT is((SELECT r #> '{body,changes}' FROM u1), '[]', 'no changes listed');

-- the other half of it: two rows with one phone
CREATE TEMP TABLE u2 AS SELECT pg_temp.csv('{}', E'name,phone,email\n'
    'Bob,+61491570202,bob@example.com\nRobert,0061 491 570 202,robert@example.com\n'
    'Cy,+61491570203,\nBobby,+61 491 570 202,\n') AS r;
SELECT is((SELECT r #> '{body,rejected}' FROM u2), $$[
    {"row": 2, "detail": [{"loc": ["body", 2, "phone"], "msg": "duplicate of row 1", "type": "value_error"}]},
    {"row": 4, "detail": [{"loc": ["body", 4, "phone"], "msg": "duplicate of row 1", "type": "value_error"}]}]$$,
          'a phone in several rows (written differently): each later row is a "duplicate of row N"');
SELECT is(pg_temp.lead('+61491570202'), '(Bob,bob@example.com,Builders,"calls back",{})',
          'the first row is the one used: the lead keeps its data');
SELECT is((SELECT pg_temp.counts(r) FROM u2),
          '{"inserted":0,"updated":0,"unchanged":2,"skipped":0,"rejected":[2,4]}', 'and the answer says so');
SELECT is(pg_temp.import('{}', 'application/json', $$[
              {"name": "Bad", "phone": "+61491570204", "email": "nope"},
              {"name": "Good", "phone": "+61 491 570 204"}]$$) #> '{body,rejected}', $$[
    {"row": 1, "detail": [{"loc": ["body", 1, "email"], "msg": "value is not a valid email address", "type": "value_error"}]},
    {"row": 2, "detail": [{"loc": ["body", 2, "phone"], "msg": "duplicate of row 1", "type": "value_error"}]}]$$,
          'JSON: the first row of a phone counts even when it is rejected itself');
SELECT is(pg_temp.import('{}', 'application/json', $$[
              {"name": "D1", "phone": "+61491570205"},
              {"name": "D2", "phone": "+61491570205", "email": "bad"}]$$) #> '{body,rejected,0,detail}', $$[
    {"loc": ["body", 2, "email"], "msg": "value is not a valid email address", "type": "value_error"},
    {"loc": ["body", 2, "phone"], "msg": "duplicate of row 1", "type": "value_error"}]$$,
          'a duplicate row with errors of its own lists them all');

------------------------------------------------------------------------------
-- merge: what the row has changes, and the answer lists it
------------------------------------------------------------------------------
CREATE TEMP TABLE m1 AS SELECT pg_temp.csv('{"on_existing": "merge"}', E'name,phone,email,company,notes,city,plan\n'
    'Ada,+61491570201,,Analytical Engines,,,Pro\nCy,+61491570203,cy@example.com,,,,\n'
    'Dee,+61491570206,dee@example.com,,,York,\n') AS r;
SELECT is((SELECT pg_temp.counts(r) FROM m1),
          '{"inserted":1,"updated":2,"unchanged":0,"skipped":0,"rejected":[]}', 'merge: 1 new lead, 2 updated');
SELECT is((SELECT r #> '{body,changes}' FROM m1), jsonb_build_array(
    jsonb_build_object('row', 1, 'lead_id', pg_temp.id('+61491570201'), 'name', 'Ada', 'phone', '+61491570201',
                       'fields', '{"company": {"from": "Analytical", "to": "Analytical Engines"},
                                   "attributes.plan": {"from": null, "to": "Pro"}}'::jsonb),
    jsonb_build_object('row', 2, 'lead_id', pg_temp.id('+61491570203'), 'name', 'Cy', 'phone', '+61491570203',
                       'fields', '{"email": {"from": null, "to": "cy@example.com"}}'::jsonb)),
          'merge: changes list exactly the changed fields, from and to; the new lead is not listed');
SELECT is((SELECT r #> '{body,changes_total}' FROM m1), '2', 'changes_total');
SELECT is(pg_temp.lead('+61491570201'),
          '(Ada,ada@example.com,"Analytical Engines",VIP,"{""city"": ""London"", ""plan"": ""Pro"", ""tier"": 2}")',
          'merge: non-empty cells update, empty ones keep; attributes merge key by key');
SELECT is(pg_temp.lead('+61491570206'), '(Dee,dee@example.com,,,"{""city"": ""York""}")',
          'a new lead gets its row, attributes from the other columns');

-- JSON: absent, null and "" keep; attributes merge, an empty value keeps the old one
CREATE TEMP TABLE m2 AS SELECT pg_temp.import('{}', 'application/json', $$[
    {"name": "Ada", "phone": "+61491570201", "email": null, "company": "", "attributes": {"city": "Paris", "tier": "", "vip": true}}]$$) AS r;
SELECT is((SELECT r #> '{body,changes,0,fields}' FROM m2),
          '{"attributes.city": {"from": "London", "to": "Paris"}, "attributes.vip": {"from": null, "to": true}}',
          'JSON merge: only the attributes with values changed');
SELECT is((SELECT attributes FROM leads WHERE phone = '+61491570201'),
          '{"city": "Paris", "plan": "Pro", "tier": 2, "vip": true}', 'JSON merge: attributes merged');
SELECT is(pg_temp.lead('+61491570201') LIKE '(Ada,ada@example.com,"Analytical Engines",VIP,%', true,
          'JSON merge: null and "" kept email and company');

------------------------------------------------------------------------------
-- skip
------------------------------------------------------------------------------
CREATE TEMP TABLE fp1 AS SELECT pg_temp.fingerprint() AS fp, pg_temp.lead('+61491570202') AS bob;
CREATE TEMP TABLE s1 AS SELECT pg_temp.csv('{"on_existing": "skip"}', E'name,phone,email\n'
    'Bobby,+61491570202,bobby@example.com\nEve,+61491570207,\nAda,+61491570201,\n') AS r;
SELECT is((SELECT pg_temp.counts(r) FROM s1),
          '{"inserted":1,"updated":0,"unchanged":0,"skipped":2,"rejected":[]}', 'skip: existing phones are skipped');
SELECT is(pg_temp.lead('+61491570202'), (SELECT bob FROM fp1), 'skip: the lead is untouched');
SELECT is(pg_temp.lead('+61491570207'), '(Eve,,,,{})', 'skip: a new phone is inserted');
SELECT is((SELECT r #> '{body,changes}' FROM s1), '[]', 'skip: no changes');

------------------------------------------------------------------------------
-- replace, dry run first
------------------------------------------------------------------------------
CREATE TEMP TABLE fp2 AS SELECT pg_temp.fingerprint() AS fp;
CREATE TEMP TABLE rp0 AS SELECT pg_temp.csv('{"on_existing": "replace", "dry_run": "true"}',
    E'name,phone,email,company,notes,plan\nAda,+61491570201,,Analytical Engines,,Max\nNew,+61491570208,,,,\n') AS r;
SELECT is(pg_temp.fingerprint(), (SELECT fp FROM fp2), 'dry run: no lead written, no id used');
SELECT is(pg_temp.id('+61491570208'), NULL, 'dry run: the new lead is not there');
SELECT is((SELECT r #> '{body,dry_run}' FROM rp0), 'true', 'dry run: the answer says so');
CREATE TEMP TABLE rp1 AS SELECT pg_temp.csv('{"on_existing": "replace", "dry_run": "false"}',
    E'name,phone,email,company,notes,plan\nAda,+61491570201,,Analytical Engines,,Max\nNew,+61491570208,,,,\n') AS r;
SELECT is((SELECT (r -> 'body') - 'dry_run' FROM rp0), (SELECT (r -> 'body') - 'dry_run' FROM rp1),
          'the import does exactly what its dry run said');
SELECT is((SELECT r #> '{body,changes,0,fields}' FROM rp1), $${
    "email": {"from": "ada@example.com", "to": null}, "notes": {"from": "VIP", "to": null},
    "attributes.vip": {"from": true, "to": null}, "attributes.city": {"from": "Paris", "to": null},
    "attributes.plan": {"from": "Pro", "to": "Max"}, "attributes.tier": {"from": 2, "to": null}}$$,
          'replace: the cleared fields and attributes are listed');
SELECT is(pg_temp.lead('+61491570201'), '(Ada,,"Analytical Engines",,"{""plan"": ""Max""}")',
          'replace: empty optional fields cleared, attributes replaced');
SELECT is(pg_temp.import('{"on_existing": "replace"}', 'application/json',
              '[{"name": "Ada", "phone": "+61491570201"}]') #> '{body,changes,0,fields}',
          '{"company": {"from": "Analytical Engines", "to": null}, "attributes.plan": {"from": "Max", "to": null}}',
          'replace (JSON): absent fields are cleared too');

-- a mixed file: the dry run's answer is the import's; the counts add up
CREATE TEMP TABLE mix AS SELECT E'name,phone,email,company\n'
    'Ada,+61491570201,ada@example.com,\n'                  -- update (email)
    'Bob,+61491570202,,\n'                                  -- unchanged
    'Fay,+61491570209,fay@example.com,Fay Co\n'             -- insert
    'Fay again,+61491570209,,\n'                            -- duplicate
    'No Phone,,,\n'                                         -- rejected
    'Gus,+61491570210,,\n' AS csv;                          -- insert
CREATE TEMP TABLE fp3 AS SELECT pg_temp.fingerprint() AS fp;
CREATE TEMP TABLE x0 AS SELECT pg_temp.csv('{"dry_run": "true"}', csv) AS r FROM mix;
SELECT is(pg_temp.fingerprint(), (SELECT fp FROM fp3), 'dry run of a mixed file: nothing written');
CREATE TEMP TABLE x1 AS SELECT pg_temp.csv('{}', csv) AS r FROM mix;
SELECT is((SELECT (r -> 'body') - 'dry_run' FROM x0), (SELECT (r -> 'body') - 'dry_run' FROM x1),
          'mixed file: the dry run answered what the import did');
SELECT is((SELECT pg_temp.counts(r) FROM x1),
          '{"inserted":2,"updated":1,"unchanged":1,"skipped":0,"rejected":[4,5]}', 'mixed file: counts');
SELECT is((SELECT pg_temp.total(r) FROM x1), 6::bigint, 'inserted + updated + unchanged + skipped + rejected = rows');
SELECT is((SELECT pg_temp.total(r) FROM s1), 3::bigint, '... for skip too');
SELECT is((SELECT pg_temp.total(r) FROM u2), 4::bigint, '... and with duplicates');
CREATE TEMP TABLE fp4 AS SELECT pg_temp.fingerprint() AS fp;
SELECT is((SELECT pg_temp.counts(pg_temp.csv('{}', csv)) FROM mix),
          '{"inserted":0,"updated":0,"unchanged":4,"skipped":0,"rejected":[4,5]}', 'the same file again: all unchanged...');
SELECT is(pg_temp.fingerprint(), (SELECT fp FROM fp4), '...nothing written, nothing lost');

------------------------------------------------------------------------------
-- attributes on create and update
------------------------------------------------------------------------------
CREATE TEMP TABLE a1 AS SELECT pg_temp.call($$SELECT * FROM api.leads_create(
    '{"name": "Attr", "phone": "+61491570220",
      "attributes": {"city": " Leeds ", "vip": true, "score": 4.5, "empty": "", "_x9": "y"}}')$$) AS r;
SELECT is((SELECT r #> '{body,attributes}' FROM a1), '{"city": "Leeds", "vip": true, "score": 4.5, "_x9": "y"}',
          'create: strings trimmed, numbers and booleans kept, empty values left out');
SELECT is((SELECT pg_temp.call(format('SELECT * FROM api.leads_update(%L, %L)', r #>> '{body,id}',
                                      '{"notes": "n"}')) #> '{body,attributes}' FROM a1),
          '{"city": "Leeds", "vip": true, "score": 4.5, "_x9": "y"}', 'update without attributes keeps them');
SELECT is((SELECT pg_temp.call(format('SELECT * FROM api.leads_update(%L, %L)', r #>> '{body,id}',
                                      '{"attributes": {"plan": "Pro"}}')) #> '{body,attributes}' FROM a1),
          '{"plan": "Pro"}', 'update: the given object replaces the attributes');
SELECT is((SELECT pg_temp.call(format('SELECT * FROM api.leads_update(%L, %L)', r #>> '{body,id}',
                                      '{"attributes": null}')) #> '{body,attributes}' FROM a1),
          '{}', 'update: null clears them');
SELECT is(pg_temp.errs(pg_temp.call($$SELECT * FROM api.leads_create(
    '{"name": "Attr", "phone": "+61491570221", "attributes": ["city"]}')$$)),
          ARRAY['["body", "attributes"] dict_type'], 'create: attributes must be an object');
CREATE TEMP TABLE a2 AS SELECT pg_temp.call(format($$SELECT * FROM api.leads_create(%L)$$,
    jsonb_build_object('name', 'Attr', 'phone', '+61491570221', 'attributes',
        jsonb_build_object('city', 'Leeds', 'bad key', 1, '9lives', 'x', 'nested', '{"a": 1}'::jsonb,
                           'list', '[1]'::jsonb, 'nothing', 'null'::jsonb, 'long', repeat('x', 1001),
                           'max', repeat('x', 1000), repeat('k', 64), 1, repeat('k', 65), 1)))) AS r;
SELECT is((SELECT r -> 'status' FROM a2), '422', 'create: bad attributes are a 422...');
SELECT is((SELECT array(SELECT x FROM unnest(pg_temp.errs(r)) AS x ORDER BY x) FROM a2), ARRAY[
    '["body", "attributes", "9lives"] value_error',
    '["body", "attributes", "bad key"] value_error',
    '["body", "attributes", "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"] value_error',
    '["body", "attributes", "list"] value_error',
    '["body", "attributes", "long"] string_too_long',
    '["body", "attributes", "nested"] value_error',
    '["body", "attributes", "nothing"] value_error'],
          '...with one error per bad key or value, at its own loc');
SELECT is((SELECT r #>> '{body,detail,0,msg}' FROM a2), 'Input should be a string, a number or a boolean',
          'the message says what a value may be');
SELECT is(pg_temp.errs(pg_temp.call(format($$SELECT * FROM api.leads_create(%L)$$,
    jsonb_build_object('name', 'Attr', 'phone', '+61491570221', 'attributes',
        (SELECT jsonb_object_agg('k' || i, i) FROM generate_series(1, 51) AS i))))),
          ARRAY['["body", "attributes"] too_long'], 'create: 51 attributes are too many');
SELECT is(pg_temp.call(format($$SELECT * FROM api.leads_create(%L)$$,
    jsonb_build_object('name', 'Attr', 'phone', '+61491570221', 'attributes',
        (SELECT jsonb_object_agg('k' || i, i) FROM generate_series(1, 50) AS i)))) -> 'status',
          '201', '50 are fine');
SELECT is(pg_temp.errs(pg_temp.call(format($$SELECT * FROM api.leads_update(%L, %L)$$,
    pg_temp.id('+61491570221'), '{"attributes": {"ok": 1, "x-y": 2}}'))),
          ARRAY['["body", "attributes", "x-y"] value_error'], 'update: the same checks');

------------------------------------------------------------------------------
-- attributes in imports
------------------------------------------------------------------------------
SELECT is(pg_temp.import('{}', 'application/json', $$[
              {"name": "Ok", "phone": "+61491570222", "attributes": {"a": 1}},
              {"name": "Bad", "phone": "+61491570223", "attributes": {"a": {"b": 1}}}]$$) #> '{body,rejected}', $$[
    {"row": 2, "detail": [{"loc": ["body", 2, "attributes", "a"], "msg": "Input should be a string, a number or a boolean", "type": "value_error"}]}]$$,
          'JSON import: a row with a bad attribute is rejected with its loc');
-- 50 attributes already (+61491570221): merging a new key would make 51
SELECT is(pg_temp.import('{}', 'application/json', $$[
              {"name": "Attr", "phone": "+61491570221", "attributes": {"k1": 100, "k51": 51}}]$$) #> '{body,rejected}',
          jsonb_build_array(jsonb_build_object('row', 1, 'detail', jsonb_build_array(jsonb_build_object(
              'loc', '["body", 1, "attributes"]'::jsonb,
              'msg', format('A lead has at most 50 attributes: this row would give lead %s 51', pg_temp.id('+61491570221')),
              'type', 'too_long', 'ctx', '{"max_length": 50}'::jsonb)))),
          'merge: a row that would give a lead 51 attributes is rejected');
SELECT is(pg_temp.import('{"on_existing": "replace"}', 'application/json', $$[
              {"name": "Attr", "phone": "+61491570221", "attributes": {"k51": 51}}]$$) #> '{body,updated}',
          '1', 'replace: the same attributes replace the 50');
SELECT is((SELECT attributes FROM leads WHERE phone = '+61491570221'), '{"k51": 51}', 'replace: replaced');

-- CSV: the header names the attributes
SELECT is(pg_temp.csv('{}', E'name,phone,city,city,Name\nx,+61491570224,a,b,y\n'),
          $${"status": 422, "body": {"detail": [
              {"loc": ["body"], "msg": "CSV header has the column \"name\" more than once", "type": "value_error"},
              {"loc": ["body"], "msg": "CSV header has the column \"city\" more than once", "type": "value_error"}]}}$$,
          'CSV: a column twice is a 422');
SELECT is(pg_temp.csv('{}', E'name,phone, my-city ,ok\nx,+61491570224,a,b\n') #>> '{body,detail,0,msg}',
          'CSV header "my-city" is not a valid attribute name: use letters, digits and _, starting with a letter or _, at most 64 characters',
          'CSV: a header that is no attribute name is a 422 naming it (trimmed)');
SELECT is(pg_temp.csv('{}', 'name,phone,' || (SELECT string_agg('a' || i, ',') FROM generate_series(1, 51) AS i)
                            || E'\nx,+61491570224\n') #>> '{body,detail,0,type}',
          'too_long', 'CSV: more than 50 attribute columns is a 422');
CREATE TEMP TABLE h1 AS SELECT pg_temp.csv('{}', E'name,phone,,Tier\nH1,+61491570225,,3\nH2,+61491570226,oops,\n') AS r;
SELECT is((SELECT pg_temp.counts(r) FROM h1),
          '{"inserted":1,"updated":0,"unchanged":0,"skipped":0,"rejected":[2]}',
          'CSV: a column without a header may stay empty; a value under it rejects its row');
SELECT is((SELECT r #> '{body,rejected,0,detail,0,loc}' FROM h1), '["body", 2, "attributes", ""]',
          '... at that attribute');
SELECT is((SELECT attributes FROM leads WHERE phone = '+61491570225'), '{"Tier": "3"}',
          'CSV: attribute values are text, names keep their case');
SELECT is(pg_temp.csv('{}', E'name,phone,Tier\nH1,+61491570225,\n') #> '{body,unchanged}', '1',
          'CSV merge: an empty attribute cell keeps the value');
SELECT is(pg_temp.csv('{"on_existing": "replace"}', E'name,phone,Tier\nH1,+61491570225,\n') #> '{body,changes,0,fields}',
          '{"attributes.Tier": {"from": "3", "to": null}}', 'CSV replace: it clears it');

------------------------------------------------------------------------------
-- query arguments
------------------------------------------------------------------------------
SELECT is(pg_temp.csv('{"on_existing": "overwrite"}', E'name,phone\nx,+61491570227\n'),
          $${"status": 422, "body": {"detail": [{"loc": ["query", "on_existing"], "msg": "Input should be 'merge', 'skip' or 'replace'",
             "type": "enum", "ctx": {"expected": "'merge', 'skip' or 'replace'"}}]}}$$,
          'on_existing: any other value is a 422 at ["query","on_existing"]');
SELECT is(pg_temp.errs(pg_temp.csv('{"on_existing": "", "dry_run": "yes"}', E'name,phone\nx,+61491570227\n')),
          ARRAY['["query", "on_existing"] enum', '["query", "dry_run"] bool_parsing'],
          'an empty on_existing and a dry_run other than true/false: both reported');
SELECT is(pg_temp.id('+61491570227'), NULL, 'nothing imported');
SELECT is(pg_temp.csv('{"q": "x", "limit": "1"}', E'name,phone\nx,+61491570227\n') #> '{body,inserted}', '1',
          'other query arguments are ignored');

------------------------------------------------------------------------------
-- all or nothing: a phone added by someone else during the import
------------------------------------------------------------------------------
-- (a trigger plays the other session: when the first new lead is written,
-- the third one's phone appears)
CREATE FUNCTION pg_temp.meanwhile() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.phone = '+61491570230' THEN
        INSERT INTO leads (name, phone) VALUES ('Someone else', '+61491570232');
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER zz_meanwhile BEFORE INSERT ON leads FOR EACH ROW EXECUTE FUNCTION pg_temp.meanwhile();
CREATE TEMP TABLE fp5 AS SELECT pg_temp.rows_fingerprint() AS fp;
SAVEPOINT race;
SELECT is(pg_temp.csv('{}', E'name,phone,email\nA,+61491570230,\nB,+61491570231,\nC,+61491570232,\nBob,+61491570202,new@example.com\n') -> 'status',
          '409', 'a phone added while importing: 409...');
ROLLBACK TO SAVEPOINT race;  -- what the failed request's transaction does
DROP TRIGGER zz_meanwhile ON leads;
SELECT is(pg_temp.rows_fingerprint(), (SELECT fp FROM fp5),
          '...and nothing of the import was written (ids drawn are not given back: sequences never are)');

SELECT * FROM finish();
ROLLBACK;
