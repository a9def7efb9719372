-- The CSV parser of the smscamp extension (pg_extension/csv.c).
BEGIN;
SET client_min_messages = warning;
SELECT plan(24);

CREATE FUNCTION pg_temp.csv(p text) RETURNS text[][]
LANGUAGE sql AS $$
    SELECT array_agg(row_no || ':' || array_to_string(fields, '|', '<null>') ORDER BY row_no)
      FROM smscamp_parse_csv(p)
$$;

SELECT is(pg_temp.csv(E'name,phone\nAnn,+14155550123\nBob,+442079460958\n'),
          ARRAY['0:name|phone', '1:Ann|+14155550123', '2:Bob|+442079460958'],
          'header is row 0, data rows from 1, trailing newline ends the last row');
SELECT is(pg_temp.csv(E'a,b\n1,2'), ARRAY['0:a|b', '1:1|2'], 'no trailing newline');
SELECT is(pg_temp.csv(E'a,b\r\n1,2\r\n'), ARRAY['0:a|b', '1:1|2'], 'CRLF');
SELECT is(pg_temp.csv(E'a,b\r1,2\r'), ARRAY['0:a|b', '1:1|2'], 'lone CR');
SELECT is(pg_temp.csv(E'\xEF\xBB\xBFname,phone\nx,y\n'), ARRAY['0:name|phone', '1:x|y'],
          'UTF-8 BOM at the start is skipped');
SELECT is(pg_temp.csv(E'a,b\n"x, y","say ""hi"""\n'), ARRAY['0:a|b', '1:x, y|say "hi"'],
          'quoted commas and doubled quotes');
SELECT is((SELECT fields FROM smscamp_parse_csv(E'a,b\n"line 1\nline 2",z\n') WHERE row_no = 1),
          ARRAY[E'line 1\nline 2', 'z'], 'newline inside quotes');
SELECT is((SELECT fields FROM smscamp_parse_csv(E'a,b\r\n"x\r\ny",z\r\n') WHERE row_no = 1),
          ARRAY[E'x\r\ny', 'z'], 'CRLF inside quotes is kept');
SELECT is((SELECT fields FROM smscamp_parse_csv(E'a,b,c\n,"",\n') WHERE row_no = 1),
          ARRAY['', '', ''], 'empty fields, quoted or not');
SELECT is(pg_temp.csv(E'a,b\n\n1,2\n\n\n3,4\n'), ARRAY['0:a|b', '1:1|2', '2:3|4'],
          'blank lines are skipped and not numbered');
SELECT is(pg_temp.csv(E'a,b,c\n1\n1,2,3,4\n'), ARRAY['0:a|b|c', '1:1', '2:1|2|3|4'],
          'rows keep their own number of fields');
SELECT is((SELECT fields FROM smscamp_parse_csv(E'a\n"ab"c\n') WHERE row_no = 1),
          ARRAY['abc'], 'text after a closing quote is kept');
SELECT is((SELECT fields FROM smscamp_parse_csv(E'a\nab"c\n') WHERE row_no = 1),
          ARRAY['ab"c'], 'a quote inside an unquoted field is a literal');
SELECT is((SELECT fields FROM smscamp_parse_csv(E'n\nZoë 東京 🎉\n') WHERE row_no = 1),
          ARRAY['Zoë 東京 🎉'], 'UTF-8 text is kept');
SELECT is((SELECT fields FROM smscamp_parse_csv(E'a\n  spaced  \n') WHERE row_no = 1),
          ARRAY['  spaced  '], 'blanks are data');
SELECT is((SELECT count(*)::int FROM smscamp_parse_csv('')), 0, 'empty input: no rows');
SELECT is(pg_temp.csv('"quoted only"'), ARRAY['0:quoted only'], 'header only');

SELECT throws_ok($$SELECT * FROM smscamp_parse_csv(E'a,b\n1,2\n"open,3\n4,5\n')$$,
                 '22P02', 'unterminated quoted field in CSV starting on line 3',
                 'an unterminated quote is an error naming its line');
SELECT throws_ok($$SELECT * FROM smscamp_parse_csv(E'"a')$$, '22P02',
                 'unterminated quoted field in CSV starting on line 1',
                 'unterminated quote on the first line');

SELECT is(smscamp_csv_header(E' Name ,PHONE\r\nx,y\n'), ARRAY[' Name ', 'PHONE'],
          'smscamp_csv_header: the first record');
SELECT is(smscamp_csv_header(E'\n\na,b\n'), ARRAY['a', 'b'], 'smscamp_csv_header skips blank lines');
SELECT is(smscamp_csv_header(''), NULL, 'smscamp_csv_header of nothing is NULL');

-- 100,000 rows (about 6 MB) in one call
CREATE TEMP TABLE big AS
SELECT 'name,phone,email' || E'\r\n' ||
       string_agg(format('"Lead %s, Jr.",+1415555%s,lead%s@example.com', i,
                         lpad((i % 10000)::text, 4, '0'), i), E'\r\n') AS content
  FROM generate_series(1, 100000) AS i;
SELECT is((SELECT count(*)::int FROM big, smscamp_parse_csv(big.content)), 100001,
          '100,000 data rows and a header');
SELECT is((SELECT fields FROM big, smscamp_parse_csv(big.content) WHERE row_no = 100000),
          ARRAY['Lead 100000, Jr.', '+14155550000', 'lead100000@example.com'],
          'the last of them');

SELECT * FROM finish();
ROLLBACK;
