-- bench/lua/common.lua: shared by the wrk scripts of bench/run.sh (loaded with dofile).
-- done() prints one machine-readable line with the figures wrk's own summary
-- lacks (p99.9) and the ones bench/run.sh tabulates; latencies in microseconds.

-- a different random stream in every wrk thread
local seeded = false
function bench_seed(extra)
   if seeded then return end
   seeded = true
   local t = tostring({}):match("0x(%x+)") or "0"
   math.randomseed(os.time() + tonumber(t, 16) % 1000003 + (extra or 0))
   for _ = 1, 10 do math.random() end
end

-- bench_get(prefix, first, last): the script's requests are GET prefix .. n, n a random
-- integer in first..last (a stream of its own in each thread); defines init and request.
function bench_get(prefix, first, last)
   function init(args) bench_seed() end

   function request()
      return wrk.format("GET", prefix .. math.random(first, last))
   end
end

function done(summary, latency, requests)
   local secs = summary.duration / 1e6
   local e = summary.errors
   io.write(string.format(
      "BENCH requests=%d seconds=%.3f rps=%.1f p50=%d p90=%d p99=%d p999=%d max=%d mean=%.0f " ..
      "status_errors=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d\n",
      summary.requests, secs, summary.requests / secs,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency:percentile(99.9), latency.max, latency.mean,
      e.status, e.connect, e.read, e.write, e.timeout))
end
