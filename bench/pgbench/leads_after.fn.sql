-- leads_after (bench/lua/leads_after.lua): GET /api/leads?limit=50&after=<0..maxid-50>
-- (keyset pages), as the module calls it.
\set after random(0, :maxid - 50)
SELECT status, body FROM api.leads_list(jsonb_build_object('limit', '50', 'after', :after::text));
