-- api_json_string trims whitespace only: a name ending in "v" keeps its "v"
-- (E'\v' is not an escape in PostgreSQL: it used to strip the letter).
BEGIN;
SELECT plan(4);
SELECT is(api_json_string('"Liv"'::jsonb), 'Liv', 'a trailing v is kept');
SELECT is(api_json_string('"  vivid v  "'::jsonb), 'vivid v', 'leading and trailing v kept, spaces trimmed');
SELECT is(api_json_string(to_jsonb(E'\x0BName\t\n'::text)), 'Name', 'vertical tab, tab and newline are trimmed');
SELECT is(api_json_string('12'::jsonb), NULL, 'a number is not a string');
SELECT * FROM finish();
ROLLBACK;
