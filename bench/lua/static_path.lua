-- A fixed request (the URL given to wrk): only adds the p99.9 line of common.lua.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
