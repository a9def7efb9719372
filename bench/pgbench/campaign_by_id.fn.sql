-- campaign_by_id (bench/lua/campaign_by_id.lua): GET /api/campaigns/{id}, id uniformly
-- random over the seeded campaigns, as the module calls it.
\set id random(:cmin, :cmax)
SELECT status, body FROM api.campaigns_get(:id::text);
