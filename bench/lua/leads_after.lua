-- GET /api/leads?limit=50&after=<random id>: keyset pages, anywhere in the table.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local max_id = tonumber(os.getenv("BENCH_MAX_ID") or "100000")

function init(args) bench_seed() end

function request()
   return wrk.format("GET", "/api/leads?limit=50&after=" .. math.random(0, max_id - 50))
end
