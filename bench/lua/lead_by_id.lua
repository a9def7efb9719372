-- GET /api/leads/{id}, id uniformly random in 1..BENCH_MAX_ID (the seeded leads).
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local max_id = tonumber(os.getenv("BENCH_MAX_ID") or "100000")

bench_get("/api/leads/", 1, max_id)
