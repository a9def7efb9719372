-- leads_page (bench/lua/leads_page.lua): GET /api/leads?limit=50&offset=<0..maxid-50>,
-- as the module calls it: the query string as a JSON object of strings.
\set off random(0, :maxid - 50)
SELECT status, body FROM api.leads_list(jsonb_build_object('limit', '50', 'offset', :off::text));
