-- GET /api/leads?q=<term>: a term drawn at random from a file of terms, one a line
-- (bench/run.sh writes them from bench_search_terms, bench/seed.sql: fragments of the
-- seeded leads' names, phones or companies). The file is the script's argument.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")

local terms = {}

local function urlencode(s)
   return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

function init(args)
   bench_seed()
   local f = assert(io.open(args[1], "r"), "no terms file " .. tostring(args[1]))
   for line in f:lines() do
      if line ~= "" then terms[#terms + 1] = urlencode(line) end
   end
   f:close()
   assert(#terms > 0, "no terms in " .. args[1])
end

function request()
   return wrk.format("GET", "/api/leads?q=" .. terms[math.random(1, #terms)])
end
