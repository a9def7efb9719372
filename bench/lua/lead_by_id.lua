-- GET /api/leads/{id}, id uniformly random in 1..BENCH_MAX_ID (the seeded leads).
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local max_id = tonumber(os.getenv("BENCH_MAX_ID") or "100000")

function init(args) bench_seed() end

function request()
   return wrk.format("GET", "/api/leads/" .. math.random(1, max_id))
end
