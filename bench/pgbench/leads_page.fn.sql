-- leads_page (bench/lua/leads_page.lua): GET /api/leads?limit=50&offset=<0..10,000>,
-- as the module calls it: the query string as a JSON object of strings.
\set off random(0, least(:maxid - 50, 10000))
SELECT status, body FROM api.leads_list(jsonb_build_object('limit', '50', 'offset', :off::text));
