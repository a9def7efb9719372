-- leads_after: the SQL api.leads_list runs for ?limit=50&after=N (no q, sort=id): the
-- total from the counters, the 50 leads after id N, next_after; the same body. Leaves
-- out the function: plpgsql, SECURITY DEFINER and SET search_path, the checks of the
-- arguments (api_list_params, sort, q, after, opted_out) and the choice of query.
\set after random(0, :maxid - 50)
SELECT json_build_object(
           'items', coalesce(json_agg(api_lead_json(l) ORDER BY l.id), '[]'),
           'total', (SELECT coalesce(sum(c.n), 0) FROM smscamp_counters AS c WHERE c.name = 'leads'),
           'limit', 50, 'offset', 0,
           'next_after', CASE WHEN count(*) = 50 THEN max(l.id) END)::text
  FROM (SELECT * FROM leads WHERE id > :after::bigint ORDER BY id LIMIT 50) AS l;
