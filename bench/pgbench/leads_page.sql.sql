-- leads_page: the SQL api.leads_list runs for ?limit=50&offset=N (no q, sort=id): the
-- total from the counters, the ids of 51 leads after OFFSET N (one more says there are
-- more), the 50 leads' JSON, has_more, next_after; the same body. Leaves out the
-- function: plpgsql, SECURITY DEFINER and SET search_path, the checks of the arguments
-- (api_list_params, sort, q, after, opted_out) and the choice of query.
\set off random(0, least(:maxid - 50, 10000))
SELECT json_build_object(
           'items', coalesce((SELECT json_agg(v ORDER BY i.n)
                                FROM unnest(p.ids[1:50]) WITH ORDINALITY AS i (id, n)
                                JOIN api_lead_view AS v ON v.id = i.id), '[]'),
           'total', (SELECT coalesce(sum(c.n), 0) FROM smscamp_counters AS c WHERE c.name = 'leads'),
           'total_is_estimate', false, 'limit', 50, 'offset', :off::bigint,
           'has_more', cardinality(p.ids) > 50,
           'next_after', CASE WHEN cardinality(p.ids) > 50 THEN p.ids[50] END)::text
  FROM (SELECT ARRAY(SELECT l.id FROM leads AS l WHERE l.id > 0
                      ORDER BY l.id LIMIT 51 OFFSET :off) AS ids) AS p;
