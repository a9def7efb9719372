-- lead_by_id (bench/lua/lead_by_id.lua): GET /api/leads/{id}, id uniformly random over
-- the seeded leads, as the module calls it (it prepares "SELECT status, body FROM
-- api.leads_get($1)"; $1 is text).
\set id random(1, :maxid)
SELECT status, body FROM api.leads_get(:id::text);
