-- wrk script for the GET scenarios of benchmarks/run.sh: no per-request Lua (so wrk's own hot path is
-- untouched); done() prints one machine-readable "BENCH ..." line. wrk counts responses with status >= 400
-- in summary.errors.status.
function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format("BENCH requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d non2xx=%d socket_errors=%d\n",
      summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      e.status, e.connect + e.read + e.write + e.timeout))
end
