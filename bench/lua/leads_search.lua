-- GET /api/leads?q=<term>: a random term from a list of names, companies, e-mail
-- parts and phone digits of the seeded leads (selective and broad terms alike).
dofile(os.getenv("BENCH_LUA") .. "/common.lua")

local terms = {
   "lovelace", "turing", "hopper", "knuth", "grace", "dennis", "hedy",   -- 2% of the rows each
   "ada lovelace", "alan turing", "grace hopper",                        -- names: rare pairs
   "globex", "initech", "acme solar",                                     -- companies: 10% / 2%
   "5550012", "55500999", "5551234",                                      -- phone digits
   "ada.lovelace1", "knuth77",                                            -- e-mail parts
   "nobody-matches-this"                                                  -- no row
}

function init(args) bench_seed() end

function request()
   local t = terms[math.random(1, #terms)]:gsub(" ", "%%20")
   return wrk.format("GET", "/api/leads?q=" .. t)
end
