-- POST /api/leads with a unique phone per request: +1 <area> <thread digit> <6-digit counter>.
-- The area code is the script argument (bench/run.sh gives each wrk run its own),
-- so no two requests of a bench run share a phone.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")

local threads = {}
local counter = 0
local area = "700"
tid = 0          -- a global: setup() sets it in each thread with thread:set

function setup(thread)
   thread:set("tid", #threads)
   table.insert(threads, thread)
end

function init(args)
   bench_seed()
   area = args[1] or area
   tid = tonumber(tid) or 0
end

function request()
   counter = counter + 1
   local phone = string.format("+1%s%d%06d", area, tid % 10, counter % 1000000)
   local body = string.format(
      '{"name":"Bench Lead %d-%d","phone":"%s","email":"bench%d.%d@example.com","company":"Bench Co"}',
      tid, counter, phone, tid, counter)
   -- wrk.format uses wrk.headers (-H options) only when given no table: merge them
   local headers = {}
   for k, v in pairs(wrk.headers) do headers[k] = v end
   headers["Content-Type"] = "application/json"
   return wrk.format("POST", "/api/leads", headers, body)
end
