-- leads_search_name, _phone, _company: the SQL api.leads_list runs for ?q=<term> (sort=id,
-- limit 50; api_leads_search_page in sql/api/leads.sql), sent by the client statement by
-- statement: the terms of q (api_search_terms) and the sample's estimate of its matches
-- in one; then, for a frequent term, the walk in id order with the page's JSON and the
-- estimate, else every match through the indexes with the page's JSON and the exact
-- total. Leaves out the function: plpgsql, SECURITY DEFINER and SET search_path, the
-- checks of the arguments and the table too small for a sample. The term as in
-- leads_search_terms.fn.sql. (pgbench variables hold no NULL: '' stands for one.)
\set t random(:tfirst, :tlast)
SELECT x.text_lower, x.text_like, coalesce(x.digits, '') AS digits,
       coalesce(x.digits_like, '') AS digits_like, coalesce(x.phone, '') AS phone,
       (s.hits > 0 AND s.hits::numeric / s.sampled * c.leads
                       > greatest(1000, sqrt(51 * c.leads / 3.0)))::int AS frequent,
       coalesce(round(round(s.hits::numeric / nullif(s.sampled, 0) * c.leads),
                      2 - length(round(s.hits::numeric / nullif(s.sampled, 0) * c.leads)::text)),
                0) AS estimate,
       coalesce(ceil(4 * 51 * s.sampled::numeric / nullif(s.hits, 0)), 0) AS walk
  FROM (SELECT lower(b.term) AS text_lower, api_like_contains(lower(b.term)) AS text_like,
               api_phone_digits(b.term) AS digits,
               api_phone_digits_index_like(api_phone_digits(b.term)) AS digits_like,
               smscamp_normalize_phone(b.term) AS phone
          FROM bench_search_terms AS b WHERE b.n = :t) AS x,
       (SELECT coalesce(sum(n), 0) AS leads FROM smscamp_counters WHERE name = 'leads') AS c,
       LATERAL (SELECT count(*) AS sampled,
                       count(*) FILTER (WHERE api_lead_contains(l.search_text, l.phone, x.text_lower,
                                                                x.digits, x.phone)) AS hits
                  FROM leads AS l TABLESAMPLE SYSTEM (least(100, 100000.0 / c.leads)) REPEATABLE (0)) AS s
\gset
\if :frequent
SELECT json_build_object(
           'items', coalesce((SELECT json_agg(v ORDER BY i.n)
                                FROM unnest(p.ids[1:50]) WITH ORDINALITY AS i (id, n)
                                JOIN api_lead_view AS v ON v.id = i.id), '[]'),
           'total', :estimate::bigint, 'total_is_estimate', true, 'limit', 50, 'offset', 0,
           'has_more', cardinality(p.ids) > 50,
           'next_after', CASE WHEN cardinality(p.ids) > 50 THEN p.ids[50] END)::text
  FROM (SELECT ARRAY(SELECT s.id
                       FROM (SELECT l.id, l.search_text, l.phone FROM leads AS l
                              WHERE l.id > 0 ORDER BY l.id LIMIT :walk::bigint) AS s
                      WHERE api_lead_contains(s.search_text, s.phone, :text_lower::text,
                                              nullif(:digits::text, ''), nullif(:phone::text, ''))
                      ORDER BY s.id LIMIT 51) AS ids) AS p;
\else
SELECT json_build_object(
           'items', coalesce((SELECT json_agg(v ORDER BY i.n)
                                FROM unnest(p.ids[1:50]) WITH ORDINALITY AS i (id, n)
                                JOIN api_lead_view AS v ON v.id = i.id), '[]'),
           'total', cardinality(p.ids), 'total_is_estimate', false, 'limit', 50, 'offset', 0,
           'has_more', cardinality(p.ids) > 50,
           'next_after', CASE WHEN cardinality(p.ids) > 50 THEN p.ids[50] END)::text
  FROM (SELECT ARRAY(SELECT l.id FROM leads AS l
                      WHERE api_lead_matches(l.search_text, l.phone, :text_like::text,
                                             nullif(:digits::text, ''), nullif(:digits_like::text, ''),
                                             nullif(:phone::text, ''))
                      ORDER BY l.id) AS ids) AS p;
\endif
