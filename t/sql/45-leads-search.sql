-- The search of GET /api/leads?q= on more leads than it counts exactly
-- (api_leads_search_page): the estimate from lead_search_sample, the walk in
-- id order for a frequent term, the lookup for a rare one, each giving way to
-- the other when the sample was wrong, and keyset pages (has_more,
-- next_after) that return every match once, in order, whichever way found
-- them.  And phone_digit_trigrams: a lookup of digits leaves out the common
-- trigrams.  Called as the nginx module calls the route: status and body.
BEGIN;
SET client_min_messages = warning;
SELECT plan(25);

\ir lib/call.sql

-- 6,000 leads of their own (the table is otherwise small): "Frequentco" on
-- every other one (more than a lookup reads: 2,000), "Rarezq" on 40 of them,
-- and phones +1 555 77x xxxx whose digits "55577" every one holds; the leads'
-- counter counts them (smscamp_counters)
DELETE FROM leads WHERE phone LIKE '+1555770%' OR phone LIKE '+1555771%' OR phone LIKE '+1555772%';
INSERT INTO leads (name, phone, company)
SELECT 'Search ' || i, '+1555' || (7700000 + i),
       CASE WHEN i % 2 = 0 THEN 'Frequentco' WHEN i % 150 = 1 THEN 'Rarezq' END
  FROM generate_series(1, 6000) AS i;
SELECT smscamp_search_stats_refresh() > 0 AS refreshed \gset

CREATE FUNCTION pg_temp.page(p_args jsonb) RETURNS jsonb LANGUAGE sql AS $$
    SELECT (pg_temp.call(format('SELECT * FROM api.leads_list(%L)', p_args)) -> 'body')
$$;
-- every page of a search with after = next_after, until has_more is false: its ids
CREATE FUNCTION pg_temp.all_pages(p_q text, p_limit integer) RETURNS bigint[]
LANGUAGE plpgsql AS $$
DECLARE
    v_page jsonb;
    v_after bigint := 0;
    v_ids bigint[] := '{}';
BEGIN
    LOOP
        v_page := pg_temp.page(jsonb_build_object('q', p_q, 'limit', p_limit::text,
                                                  'after', v_after::text));
        v_ids := v_ids || ARRAY(SELECT (i ->> 'id')::bigint
                                  FROM jsonb_array_elements(v_page -> 'items') AS i);
        EXIT WHEN NOT (v_page ->> 'has_more')::boolean;
        v_after := (v_page ->> 'next_after')::bigint;
    END LOOP;
    RETURN v_ids;
END
$$;
CREATE TEMP TABLE frequent AS
    SELECT array_agg(id ORDER BY id) AS ids FROM leads WHERE company = 'Frequentco';
CREATE TEMP TABLE rare AS
    SELECT array_agg(id ORDER BY id) AS ids FROM leads WHERE company = 'Rarezq';

SELECT ok(:'refreshed', 'stats refreshed');
SELECT cmp_ok((SELECT count(*) FROM lead_search_sample), '>', 0::bigint,
              'lead_search_sample holds a sample');

-- a frequent term: walked, the total estimated (two significant digits)
SELECT is((pg_temp.page('{"q":"frequentco","limit":"50"}') ->> 'total_is_estimate')::boolean, true,
          'frequent: the total is an estimate');
SELECT cmp_ok((pg_temp.page('{"q":"frequentco","limit":"50"}') ->> 'total')::bigint, '>=', 500::bigint,
              'frequent: the estimate is of the right size');
SELECT is(ARRAY(SELECT (i ->> 'id')::bigint
                  FROM jsonb_array_elements(pg_temp.page('{"q":"frequentco","limit":"50"}') -> 'items') AS i),
          (SELECT ids[1:50] FROM frequent), 'frequent: the first page is the first 50 matches by id');
SELECT is(pg_temp.page('{"q":"frequentco","limit":"50"}') -> 'has_more', 'true',
          'frequent: has_more');
SELECT is((pg_temp.page('{"q":"frequentco","limit":"50"}') ->> 'next_after')::bigint,
          (SELECT ids[50] FROM frequent), 'frequent: next_after is the last id of the page');
SELECT is(pg_temp.all_pages('frequentco', 300), (SELECT ids FROM frequent),
          'frequent: the keyset pages return every match once, in order');
SELECT is(ARRAY(SELECT (i ->> 'id')::bigint
                  FROM jsonb_array_elements(pg_temp.page('{"q":"frequentco","limit":"10","offset":"20"}') -> 'items') AS i),
          (SELECT ids[21:30] FROM frequent), 'frequent: an offset page');

-- a rare term: every match looked up, the total exact
SELECT is(pg_temp.page('{"q":"rarezq","limit":"50"}') -> 'total', to_jsonb(40),
          'rare: the exact total');
SELECT is((pg_temp.page('{"q":"rarezq","limit":"50"}') ->> 'total_is_estimate')::boolean, false,
          'rare: not an estimate');
SELECT is(pg_temp.all_pages('rarezq', 7), (SELECT ids FROM rare),
          'rare: pages of 7 return every match once, in order');
SELECT is(pg_temp.page('{"q":"rarezq","limit":"40"}') -> 'has_more', 'false',
          'rare: a page that holds the last match has no more');

-- a wrong sample: it says every lead is Rarezq (a walk is chosen and finds
-- too few in the leads it may read), then that none is Frequentco (a lookup
-- is chosen and finds too many): the answers stay right
DELETE FROM lead_search_sample;
INSERT INTO lead_search_sample SELECT 'rarezq', '+15550000000' FROM generate_series(1, 100);
SELECT is(pg_temp.page('{"q":"rarezq","limit":"50"}') -> 'total', to_jsonb(40),
          'sample wrong (too many): the walk gives way to the lookup, exact total');
SELECT is(pg_temp.all_pages('rarezq', 5), (SELECT ids FROM rare),
          'sample wrong (too many): every match, in order');
DELETE FROM lead_search_sample;
INSERT INTO lead_search_sample SELECT 'nothing', '+15550000000' FROM generate_series(1, 100);
SELECT is(pg_temp.all_pages('frequentco', 400), (SELECT ids FROM frequent),
          'sample wrong (too few): the lookup gives way to the walk, every match in order');
-- no sample at all (before the first refresh): the lookup, then the walk
DELETE FROM lead_search_sample;
SELECT is(pg_temp.all_pages('frequentco', 500), (SELECT ids FROM frequent),
          'no sample: every match in order');
SELECT is(pg_temp.page('{"q":"rarezq"}') -> 'total', to_jsonb(40), 'no sample: rare, exact');

-- two characters: no trigram, a walk through the leads
SELECT is(pg_temp.page('{"q":"zq","limit":"500"}') -> 'total',
          to_jsonb((SELECT count(*) FROM leads WHERE search_text LIKE '%zq%')),
          'a q of two letters: every match counted');

-- phone digits: the common trigrams are left out of the lookup
SELECT smscamp_search_stats_refresh() > 0 AS refreshed \gset
SELECT cmp_ok((SELECT share FROM phone_digit_trigrams WHERE trigram = '555'), '>', 0.5::real,
              'phone_digit_trigrams: 555 is in most phones');
SELECT is(api_phone_digits_index_like('5557701234'), '%01234%',
          'a lookup of digits uses the stretch without common trigrams');
SELECT is(pg_temp.page('{"q":"5557701234"}') -> 'total', '1',
          'and finds the phone');
SELECT is(pg_temp.page('{"q":"77012"}') -> 'total',
          to_jsonb((SELECT count(*) FROM leads WHERE phone LIKE '%77012%')),
          'a fragment of digits: every phone that holds it');

-- an import of many new leads refreshes the sample at once (not in up to 5 minutes)
DELETE FROM lead_search_sample;
SELECT is((pg_temp.call(format('SELECT * FROM api.leads_import(%L, %L, %L)', '{}', 'text/csv',
              'name,phone' || E'\n' || (SELECT string_agg(format('Imported %s,+1555772%s', i, lpad(i::text, 4, '0')),
                                                          E'\n') FROM generate_series(0, 999) AS i)))
           #>> '{body,inserted}'), '1000', 'an import of 1,000 new leads');
SELECT cmp_ok((SELECT count(*) FROM lead_search_sample), '>', 0::bigint,
              '... refreshes the search''s sample');

SELECT * FROM finish();
ROLLBACK;
