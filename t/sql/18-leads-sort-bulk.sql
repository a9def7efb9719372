-- GET /api/leads?sort= (every order, its errors, keyset pages only in id
-- order), POST /api/leads/bulk (delete, opt_out), the search of national
-- phone formats, api_leads_matching (campaigns' lead_filter) being
-- api_leads_search, and GET /api/keys/me.  Called as the nginx module calls
-- them: status and body, or an SCnnn error whose message is the body.
BEGIN;
SET client_min_messages = warning;
SELECT plan(106);

\ir lib/call.sql
\ir lib/errs.sql
\ir lib/plan_of.sql
-- GET /api/leads with these query arguments.
CREATE FUNCTION pg_temp.list(p_args jsonb) RETURNS jsonb
LANGUAGE sql AS $$
SELECT pg_temp.call(format('SELECT * FROM api.leads_list(%L)', p_args))
$$;
-- The names of a list answer's items, in order.
CREATE FUNCTION pg_temp.names(a jsonb) RETURNS text[]
LANGUAGE sql AS $$
SELECT coalesce(array_agg(i ->> 'name' ORDER BY o), '{}')
  FROM jsonb_array_elements(a -> 'body' -> 'items') WITH ORDINALITY AS x(i, o)
$$;
-- The ids of a list answer's items, in order.
CREATE FUNCTION pg_temp.ids(a jsonb) RETURNS bigint[]
LANGUAGE sql AS $$
SELECT coalesce(array_agg((i ->> 'id')::bigint ORDER BY o), '{}')
  FROM jsonb_array_elements(a -> 'body' -> 'items') WITH ORDINALITY AS x(i, o)
$$;
-- POST /api/leads/bulk with this body.
CREATE FUNCTION pg_temp.bulk(p_body jsonb) RETURNS jsonb
LANGUAGE sql AS $$
SELECT pg_temp.call(format('SELECT * FROM api.leads_bulk(%L)', p_body))
$$;

-- leads in the UK drama range +44 7700 900xxx, made here (and rolled back)
DELETE FROM leads WHERE phone LIKE '+4477009001%';
DELETE FROM opt_outs WHERE phone LIKE '+4477009001%';
CREATE TEMP TABLE t (k text PRIMARY KEY, id bigint);
WITH ins AS (
    INSERT INTO leads (name, phone, email, company, created_at)
    VALUES ('bravo Zq18', '+447700900101', NULL, 'Acme zq18', now() - interval '3 days'),
           ('Alpha Zq18', '+447700900105', 'alpha@zq18.example', NULL, now() - interval '1 day'),
           ('charlie Zq18', '+447700900103', NULL, 'beta zq18', now() - interval '2 days'),
           ('alpha zq18', '+447700900102', NULL, 'acme zq18', now() - interval '1 day')
    RETURNING id, name)
INSERT INTO t SELECT split_part(name, ' ', 1), id FROM ins;

------------------------------------------------------------------------------
-- sort
------------------------------------------------------------------------------
SELECT is(pg_temp.names(pg_temp.list(jsonb_build_object('q', 'zq18', 'sort', s.sort))), s.want,
          format('sort=%s: %s', s.sort, s.why))
  FROM (VALUES
    ('id', ARRAY['bravo Zq18', 'Alpha Zq18', 'charlie Zq18', 'alpha zq18'], 'by id'),
    ('-id', ARRAY['alpha zq18', 'charlie Zq18', 'Alpha Zq18', 'bravo Zq18'], 'newest id first'),
    ('name', ARRAY['Alpha Zq18', 'alpha zq18', 'bravo Zq18', 'charlie Zq18'],
     'case-insensitive, a tie by id'),
    ('-name', ARRAY['charlie Zq18', 'bravo Zq18', 'alpha zq18', 'Alpha Zq18'],
     'descending, a tie by id descending'),
    ('created_at', ARRAY['bravo Zq18', 'charlie Zq18', 'Alpha Zq18', 'alpha zq18'],
     'oldest first, a tie by id'),
    ('-created_at', ARRAY['alpha zq18', 'Alpha Zq18', 'charlie Zq18', 'bravo Zq18'],
     'newest first, a tie by id descending'),
    ('company', ARRAY['bravo Zq18', 'alpha zq18', 'charlie Zq18', 'Alpha Zq18'],
     'case-insensitive, no company last'),
    ('-company', ARRAY['charlie Zq18', 'alpha zq18', 'bravo Zq18', 'Alpha Zq18'],
     'descending, no company still last'),
    ('phone', ARRAY['bravo Zq18', 'alpha zq18', 'charlie Zq18', 'Alpha Zq18'], 'by phone'),
    ('-phone', ARRAY['Alpha Zq18', 'charlie Zq18', 'alpha zq18', 'bravo Zq18'], 'phone descending')
  ) AS s(sort, want, why);

SELECT is(pg_temp.names(pg_temp.list('{"q":"zq18"}')),
          pg_temp.names(pg_temp.list('{"q":"zq18","sort":"id"}')), 'no sort is sort=id');
SELECT is(pg_temp.names(pg_temp.list('{"q":"zq18","sort":"name","limit":"2","offset":"2"}')),
          ARRAY['bravo Zq18', 'charlie Zq18'], 'sort=name pages with offset');
SELECT is(pg_temp.list('{"q":"zq18","sort":"name","limit":"2"}') #> '{body,next_after}',
          'null', 'sort=name: no next_after (keyset pages are for sort=id)');
SELECT is(pg_temp.list('{"q":"zq18","sort":"-phone","limit":"2"}') #> '{body,total}',
          '4', 'sort: total is every match');
SELECT is(pg_temp.list('{"q":"zq18","sort":"id","limit":"2"}') #>> '{body,next_after}',
          (SELECT id::text FROM t WHERE k = 'Alpha'), 'sort=id still has next_after');

-- without q: every lead, in the order the table gives
SELECT is(pg_temp.ids(pg_temp.list('{"sort":"-id","limit":"5"}')),
          ARRAY(SELECT id FROM leads ORDER BY id DESC LIMIT 5), 'all leads, sort=-id');
SELECT is(pg_temp.ids(pg_temp.list('{"sort":"name","limit":"7","offset":"1"}')),
          ARRAY(SELECT id FROM leads ORDER BY lower(name), id LIMIT 7 OFFSET 1),
          'all leads, sort=name, offset 1');
SELECT is(pg_temp.ids(pg_temp.list('{"sort":"-company","limit":"500"}')),
          ARRAY(SELECT id FROM leads ORDER BY lower(company) DESC NULLS LAST, id DESC LIMIT 500),
          'all leads, sort=-company');
SELECT is(pg_temp.ids(pg_temp.list('{"sort":"-created_at","limit":"9"}')),
          ARRAY(SELECT id FROM leads ORDER BY created_at DESC, id DESC LIMIT 9),
          'all leads, sort=-created_at');

-- what sort may not be
SELECT is(pg_temp.errs(pg_temp.list(jsonb_build_object('sort', s))),
          ARRAY['["query", "sort"] enum'], format('sort=%s: 422 at ["query","sort"]', s))
  FROM unnest(ARRAY['bogus', '', 'NAME', 'name ', '+name', '--id', 'email',
                    'name; DROP TABLE leads']) AS s;
SELECT is(pg_temp.list('{"sort":"x"}') #>> '{body,detail,0,msg}',
          'Input should be ''id'', ''-id'', ''name'', ''-name'', ''created_at'', ''-created_at'', '
          '''company'', ''-company'', ''phone'' or ''-phone''',
          'sort: the message lists what it may be');
SELECT is(pg_temp.errs(pg_temp.list('{"sort":"x","limit":"y"}')),
          ARRAY['["query", "limit"] int_parsing', '["query", "sort"] enum'],
          'sort and limit errors reported together');

-- keyset pages only in the default order
SELECT is(pg_temp.errs(pg_temp.list(jsonb_build_object('sort', s, 'after', '1'))),
          ARRAY['["query", "after"] value_error'], format('after with sort=%s: 422', s))
  FROM unnest(ARRAY['-id', 'name', '-created_at']) AS s;
SELECT is(pg_temp.list('{"sort":"name","after":"1"}') #>> '{body,detail,0,msg}',
          'after (keyset pages) works only in the default order (sort=id); with sort=name, '
          'page with offset instead', 'after with a sort: the message says why and what to do');
SELECT is(pg_temp.list('{"sort":"id","after":"0","limit":"1"}') -> 'status', '200',
          'after with sort=id: fine');

------------------------------------------------------------------------------
-- search: national formats
------------------------------------------------------------------------------
SELECT is(pg_temp.names(pg_temp.list(jsonb_build_object('q', q))), ARRAY['Alpha Zq18'],
          format('q=%s finds +447700900105', q))
  FROM unnest(ARRAY['07700 900105', '07700900105', '(07700) 900-105', '0044 7700 900105',
                    '+44 (0)7700 900105', '+44 7700 900105', '7700 900105']) AS q;
SELECT is(pg_temp.names(pg_temp.list('{"q":"07700 9001","sort":"phone"}')),
          ARRAY['bravo Zq18', 'alpha zq18', 'charlie Zq18', 'Alpha Zq18'],
          'q: the start of a national number finds every lead it begins');
SELECT ok((pg_temp.list('{"q":"0"}') #>> '{body,total}')::int >= 4,
          'q=0: a lone 0 is still searched');
SELECT is(pg_temp.list('{"q":"011 44 7700 900105"}') #>> '{body,total}', '0',
          'without smscamp.default_country, "011 44 ..." is no number');
SET LOCAL smscamp.default_country = '1';
SELECT is(pg_temp.names(pg_temp.list('{"q":"011 44 7700 900105"}')), ARRAY['Alpha Zq18'],
          'with smscamp.default_country 1, "011 44 7700 900105" normalises to +447700900105');
SET LOCAL smscamp.default_country = '44';
SELECT is(pg_temp.names(pg_temp.list('{"q":"  07700-900105 "}')), ARRAY['Alpha Zq18'],
          'with smscamp.default_country 44, the national number matches');
RESET smscamp.default_country;

------------------------------------------------------------------------------
-- api_leads_matching (campaigns' lead_filter) is api_leads_search
------------------------------------------------------------------------------
SELECT is(ARRAY(SELECT m FROM api_leads_matching(q) AS m ORDER BY m),
          ARRAY(SELECT s FROM api_leads_search(q) AS s ORDER BY s),
          format('api_leads_matching(%L) = api_leads_search', q))
  FROM unnest(ARRAY['zq18', 'ACME', '07700 900105', '+44 (0)7700 900105', '0044 7700 9001',
                    'alpha@zq18', '%', 'nobody-zq18-at-all']) AS q;
SELECT is((SELECT count(*) FROM api_leads_matching('  ')), (SELECT count(*) FROM leads),
          'api_leads_matching: a blank filter is every lead');
SELECT is(ARRAY(SELECT m FROM api_leads_matching('') AS m ORDER BY m),
          ARRAY(SELECT s FROM api_leads_search('') AS s ORDER BY s),
          'api_leads_matching('''') = api_leads_search('''') (every lead)');

-- both searches use the indexes
SET LOCAL enable_seqscan = off;
SELECT alike(pg_temp.plan_of($$SELECT * FROM api_leads_matching('zq18')$$),
             '%Bitmap Index Scan on leads_search_trgm_idx%',
             'api_leads_matching: plan uses the search_text trigram index');
SELECT alike(pg_temp.plan_of($$(ANALYZE) SELECT * FROM api_leads_matching('zq18')$$),
             '%Seq Scan on leads l %(never executed)%',
             'api_leads_matching: the scan for a q no index serves is not run');
SELECT alike(pg_temp.plan_of($$SELECT * FROM api_leads_search('07700 900105')$$),
             '%leads_phone_digits_trgm_idx%', 'api_leads_search: a phone q uses the digits index');
SELECT alike(pg_temp.plan_of($$SELECT * FROM api_leads_search('07700 900105')$$),
             '%leads_phone_key%', 'api_leads_search: and leads_phone_key for the whole number');
SELECT alike(pg_temp.plan_of($$(ANALYZE) SELECT * FROM api_leads_search('zq18')$$),
             '%Seq Scan on leads l %(never executed)%',
             'api_leads_search: no sequential scan run');
SELECT alike(pg_temp.plan_of($$(ANALYZE) SELECT * FROM api_leads_search('zq')$$),
             '%Bitmap Heap Scan on leads l_1 %(never executed)%',
             'api_leads_search: a q of two letters (no trigram) is a scan, not a lookup');
RESET enable_seqscan;

------------------------------------------------------------------------------
-- bulk: opt_out
------------------------------------------------------------------------------
SELECT is(pg_temp.bulk(jsonb_build_object('action', 'opt_out', 'lead_ids', jsonb_build_array(
              (SELECT id FROM t WHERE k = 'bravo'), (SELECT id FROM t WHERE k = 'charlie'),
              9000000000000000000, (SELECT id FROM t WHERE k = 'bravo')))),
          '{"status":200,"body":{"action":"opt_out","matched":2,"changed":2,
            "unknown_ids":[9000000000000000000]}}',
          'bulk opt_out: two leads, an unknown id reported, a repeated id counted once');
SELECT is((SELECT row(o.source, o.keyword IS NULL)::text FROM opt_outs o
            JOIN leads l ON l.phone = o.phone WHERE l.id = (SELECT id FROM t WHERE k = 'bravo')),
          '(manual,t)', 'bulk opt_out: opt_outs has the phone, source manual');
SELECT is(pg_temp.call(format('SELECT * FROM api.leads_get(%L)', (SELECT id FROM t WHERE k = 'bravo')))
            -> 'body' -> 'opted_out', 'true', 'the lead shows opted_out');
SELECT is(pg_temp.call(format('SELECT * FROM api.leads_get(%L)', (SELECT id FROM t WHERE k = 'bravo')))
            #>> '{body,opt_out_source}', 'manual', 'with opt_out_source manual');
SELECT ok((pg_temp.call(format('SELECT * FROM api.leads_get(%L)', (SELECT id FROM t WHERE k = 'bravo')))
             #>> '{body,opted_out_at}')::timestamptz = now(), 'and opted_out_at');
SELECT is(pg_temp.list('{"q":"bravo zq18"}') #> '{body,items,0,opted_out}', 'true',
          'the list shows it opted out');
SELECT is(pg_temp.bulk(jsonb_build_object('action', 'opt_out', 'lead_ids', jsonb_build_array(
              (SELECT id FROM t WHERE k = 'bravo'), (SELECT id FROM t WHERE k = 'Alpha')))) -> 'body',
          '{"action":"opt_out","matched":2,"changed":1,"unknown_ids":[]}',
          'bulk opt_out again: an opted-out lead is matched, not changed');

-- a campaign skips an opted-out lead
INSERT INTO campaigns (name, sms_system_prompt, send_window) VALUES ('pgTAP bulk zq18', 'Hello', NULL);
UPDATE campaigns SET status = 'pending' WHERE name = 'pgTAP bulk zq18';
UPDATE campaigns SET status = 'processing', started_at = now() WHERE name = 'pgTAP bulk zq18';
INSERT INTO campaign_leads (campaign_id, lead_id)
SELECT c.id, t.id FROM campaigns c, t WHERE c.name = 'pgTAP bulk zq18' AND t.k = 'charlie';
SELECT smscamp_validate_lead(cl.id) FROM campaign_leads cl
  JOIN campaigns c ON c.id = cl.campaign_id WHERE c.name = 'pgTAP bulk zq18';
SELECT is((SELECT cl.status FROM campaign_leads cl JOIN campaigns c ON c.id = cl.campaign_id
            WHERE c.name = 'pgTAP bulk zq18'), 'skipped',
          'a lead opted out in bulk is skipped by its campaign');

------------------------------------------------------------------------------
-- bulk: delete
------------------------------------------------------------------------------
SELECT is(pg_temp.bulk(jsonb_build_object('action', 'delete', 'lead_ids', jsonb_build_array(
              8999999999999999999, (SELECT id FROM t WHERE k = 'alpha'),
              (SELECT id FROM t WHERE k = 'bravo'), 8999999999999999998))) -> 'body',
          '{"action":"delete","matched":2,"changed":2,
            "unknown_ids":[8999999999999999998, 8999999999999999999]}',
          'bulk delete: two leads deleted, unknown ids reported in order');
SELECT is((SELECT count(*) FROM leads WHERE id IN (SELECT id FROM t WHERE k IN ('alpha', 'bravo'))),
          0::bigint, 'bulk delete: they are gone');
SELECT is((SELECT count(*) FROM leads WHERE id IN (SELECT id FROM t WHERE k IN ('Alpha', 'charlie'))),
          2::bigint, 'bulk delete: the others stay');
SELECT is((SELECT count(*) FROM opt_outs WHERE phone = '+447700900101'), 1::bigint,
          'a deleted lead''s opt-out stays (the phone stays suppressed)');
SELECT is(pg_temp.bulk(jsonb_build_object('action', 'delete', 'lead_ids',
              jsonb_build_array((SELECT id FROM t WHERE k = 'bravo')))) -> 'body',
          jsonb_build_object('action', 'delete', 'matched', 0, 'changed', 0,
                             'unknown_ids', jsonb_build_array((SELECT id FROM t WHERE k = 'bravo'))),
          'bulk delete again: nothing matched, the id is unknown now, not an error');
SELECT is(pg_temp.bulk(jsonb_build_object('action', 'delete',
              'lead_ids', (SELECT jsonb_agg(g) FROM generate_series(9000000000000000001, 9000000000000010000) g)))
            #> '{body,matched}', '0', 'bulk: 10,000 ids are fine');

------------------------------------------------------------------------------
-- bulk: what it refuses (and then changes nothing)
------------------------------------------------------------------------------
SELECT is(pg_temp.errs(pg_temp.bulk(b)), e, w)
  FROM (VALUES
    ('{"action":"purge","lead_ids":[1]}'::jsonb, ARRAY['["body", "action"] enum'], 'an unknown action'),
    ('{"action":"DELETE","lead_ids":[1]}', ARRAY['["body", "action"] enum'], 'actions are lower case'),
    ('{"action":5,"lead_ids":[1]}', ARRAY['["body", "action"] string_type'], 'action not a string'),
    ('{"lead_ids":[1]}', ARRAY['["body", "action"] missing'], 'no action'),
    ('{"action":"delete"}', ARRAY['["body", "lead_ids"] missing'], 'no lead_ids'),
    ('{"action":"delete","lead_ids":null}', ARRAY['["body", "lead_ids"] missing'], 'lead_ids null'),
    ('{"action":"delete","lead_ids":"1,2"}', ARRAY['["body", "lead_ids"] list_type'], 'lead_ids a string'),
    ('{"action":"delete","lead_ids":[]}', ARRAY['["body", "lead_ids"] too_short'], 'no ids'),
    ('{"action":"x","lead_ids":{}}', ARRAY['["body", "action"] enum', '["body", "lead_ids"] list_type'],
     'both fields wrong: both reported'),
    ('{"action":"opt_out","lead_ids":[1,"2",0,-3,1.5,null,true,99999999999999999999]}',
     ARRAY['["body", "lead_ids", 1] int_type', '["body", "lead_ids", 2] greater_than_equal',
           '["body", "lead_ids", 3] greater_than_equal', '["body", "lead_ids", 4] int_parsing',
           '["body", "lead_ids", 5] int_type', '["body", "lead_ids", 6] int_type',
           '["body", "lead_ids", 7] int_parsing'], 'every bad id, by its index'),
    ('[1,2]', ARRAY['["body"] dict_type'], 'body not an object')
  ) AS x(b, e, w);
SELECT is(pg_temp.errs(pg_temp.bulk(jsonb_build_object('action', 'delete',
              'lead_ids', (SELECT jsonb_agg(g) FROM generate_series(1, 10001) g)))),
          ARRAY['["body", "lead_ids"] too_long'], 'bulk: 10,001 ids are too many');
SELECT is(pg_temp.bulk(jsonb_build_object('action', 'delete',
              'lead_ids', (SELECT jsonb_agg(g) FROM generate_series(1, 10001) g))) #>> '{body,detail,0,msg}',
          'List should have at most 10000 items after validation, not 10001', 'too_long says so');
SELECT is(pg_temp.call('SELECT * FROM api.leads_bulk(NULL)') -> 'body',
          '{"detail":[{"loc":["body"],"msg":"Field required","type":"missing"}]}', 'bulk: no body');
SELECT is(pg_temp.bulk(jsonb_build_object('action', 'delete', 'lead_ids',
              jsonb_build_array((SELECT id FROM t WHERE k = 'Alpha'), 'x'))) -> 'status',
          '422', 'bulk delete with one bad id: 422');
SELECT is((SELECT count(*) FROM leads WHERE id = (SELECT id FROM t WHERE k = 'Alpha')), 1::bigint,
          '... and nothing was deleted');
SELECT is(pg_temp.bulk('{"action":"delete","lead_ids":[9e18]}') #> '{body,unknown_ids}',
          '[9000000000000000000]', 'bulk: 9e18 is a JSON integer too');

------------------------------------------------------------------------------
-- GET /api/keys/me
------------------------------------------------------------------------------
CREATE TEMP TABLE k AS
SELECT r.role, smscamp_new_key('pgTAP me ' || r.role, r.role) AS j
  FROM unnest(ARRAY['viewer', 'operator', 'admin']) AS r(role);
SELECT is(pg_temp.call(format('SELECT * FROM api.keys_me(%L)', 'Bearer ' || (j ->> 'key'))),
          jsonb_build_object('status', 200, 'body', jsonb_build_object(
              'id', (j -> 'id'), 'name', 'pgTAP me ' || role, 'role', role,
              'key_prefix', j -> 'key_prefix', 'expires_at', NULL, 'revoked_at', NULL,
              'auth', true)),
          format('keys/me: the %s key', role))
  FROM k;
SELECT is(pg_temp.call(format('SELECT * FROM api.keys_me(%L)', 'bearer   ' || (j ->> 'key')))
            #>> '{body,role}', 'viewer', 'keys/me: "bearer" in any case, spaces before the key')
  FROM k WHERE role = 'viewer';
SELECT is(pg_temp.call(format('SELECT * FROM api.keys_me(%L)', h)) -> 'body',
          '{"id":null,"name":null,"role":"admin","key_prefix":null,"expires_at":null,
            "revoked_at":null,"auth":false}',
          format('keys/me with %s: no key, so auth is off (every route open)', coalesce(h, 'no header')))
  FROM unnest(ARRAY[NULL, '', 'Basic YWRtaW46YWRtaW4=', 'Bearer']) AS h;
SELECT is(pg_temp.call(format('SELECT * FROM api.keys_me(%L)', 'Bearer smc_' || repeat('0', 64))),
          '{"status":401,"body":{"detail":"This API key is unknown, revoked or expired: send Authorization: Bearer <key>"}}',
          'keys/me: an unknown key is a 401');
UPDATE api_keys SET revoked_at = now() + interval '1 hour' WHERE name = 'pgTAP me operator';
SELECT ok((pg_temp.call(format('SELECT * FROM api.keys_me(%L)', 'Bearer ' || (j ->> 'key')))
             #>> '{body,revoked_at}')::timestamptz = now() + interval '1 hour',
          'keys/me: a key being revoked works and says when it stops')
  FROM k WHERE role = 'operator';
UPDATE api_keys SET revoked_at = now() - interval '1 second' WHERE name = 'pgTAP me operator';
SELECT is(pg_temp.call(format('SELECT * FROM api.keys_me(%L)', 'Bearer ' || (j ->> 'key'))) -> 'status',
          '401', 'keys/me: a revoked key is a 401') FROM k WHERE role = 'operator';
UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE name = 'pgTAP me admin';
SELECT is(pg_temp.call(format('SELECT * FROM api.keys_me(%L)', 'Bearer ' || (j ->> 'key'))) -> 'status',
          '401', 'keys/me: an expired key is a 401') FROM k WHERE role = 'admin';
SELECT is((SELECT last_used_at FROM api_keys WHERE name = 'pgTAP me viewer'), NULL,
          'keys/me reads: last_used_at is smscamp_auth''s to write');

SELECT * FROM finish();
ROLLBACK;
