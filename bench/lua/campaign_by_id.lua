-- GET /api/campaigns/{id}, id uniformly random over the seeded campaigns.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local first = tonumber(os.getenv("BENCH_CAMPAIGN_MIN") or "1")
local last = tonumber(os.getenv("BENCH_CAMPAIGN_MAX") or "1000")

bench_get("/api/campaigns/", first, last)
