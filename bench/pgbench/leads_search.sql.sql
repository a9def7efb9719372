-- leads_search: the SQL api.leads_list runs for ?q=<term> (sort=id, limit 50): the count
-- of the matches and the first 50 of them by id, from api_leads_search (an SQL function
-- PostgreSQL inlines, as in the route), next_after; the same body. Leaves out the
-- function: plpgsql, SECURITY DEFINER and SET search_path, the checks of the arguments
-- (api_list_params, api_search_errors, sort, after, opted_out) and the choice of query.
-- The term as in leads_search.fn.sql (x is pulled up: the subscript is the parameter).
\set t random(1, 19)
SELECT json_build_object(
           'items', p.items,
           'total', (SELECT count(*) FROM api_leads_search(x.q)),
           'limit', 50, 'offset', 0,
           'next_after', CASE WHEN p.n = 50 THEN p.last END)::text
  FROM (SELECT (ARRAY[
            'lovelace', 'turing', 'hopper', 'knuth', 'grace', 'dennis', 'hedy',
            'ada lovelace', 'alan turing', 'grace hopper',
            'globex', 'initech', 'acme solar',
            '5550012', '55500999', '5551234',
            'ada.lovelace1', 'knuth77',
            'nobody-matches-this'])[:t::integer] AS q) AS x,
       LATERAL (SELECT coalesce(json_agg(api_lead_json(l) ORDER BY l.id), '[]') AS items,
                       count(*) AS n, max(l.id) AS last
                  FROM (SELECT * FROM api_leads_search(x.q) AS s
                         WHERE s.id > 0 ORDER BY s.id LIMIT 50) AS l) AS p;
