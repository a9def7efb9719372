-- GET /api/leads?limit=50&offset=<random>, offset uniformly random over 0..10,000 (or the
-- table, when smaller): the offsets the API takes (past 10,000 it answers 422 and points
-- to after; earlier runs drew offsets over the whole table).
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local max_id = tonumber(os.getenv("BENCH_MAX_ID") or "100000")

bench_get("/api/leads?limit=50&offset=", 0, math.min(max_id - 50, 10000))
