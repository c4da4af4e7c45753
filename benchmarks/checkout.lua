-- wrk script for the checkout scenario of benchmarks/run.sh:
--   POST /api/v1/orders, one unit of one product, as a signed-in seeded user, with a unique Idempotency-Key.
--
-- Usage: wrk ... -s checkout.lua http://127.0.0.1:5180 -- <tokens-file> [max-product-id] [run-id]
--   tokens-file     one access token per line (POST /api/v1/sessions), used round-robin
--   max-product-id  products are picked at random from 1..max (default 200; run.sh raises their stock first)
--   run-id          prefix of every Idempotency-Key, so keys never repeat across runs on the same data
--
-- Every non-2xx answer is counted (a 409 "Insufficient stock" would make the figure wrong) and the first
-- one's status and body are printed. done() ends with one machine-readable "BENCH ..." line for run.sh.
-- Its latency figures are wrk's, which wrk has already passed through its coordinated-omission correction.

local threads = {}
local next_thread_id = 0

function setup(thread)
   thread:set("id", next_thread_id)
   next_thread_id = next_thread_id + 1
   table.insert(threads, thread)
end

-- Per-thread state (each wrk thread has its own Lua state). The counters are globals because done() reads
-- them with thread:get, which sees only globals.
local tokens = {}
local max_product = 200
local run_id = "bench"
local counter = 0
non2xx = 0
accepted = 0
status_409 = 0
status_4xx = 0
status_5xx = 0
first_error = ""
local headers = { ["Content-Type"] = "application/json" }

function init(args)
   local path = args[1] or error("checkout.lua: pass the tokens file after --")
   for line in io.lines(path) do
      if #line > 0 then
         table.insert(tokens, line)
      end
   end
   if #tokens == 0 then
      error("checkout.lua: no tokens in " .. path)
   end
   max_product = tonumber(args[2] or "200")
   run_id = args[3] or run_id
   -- id is set by setup() before init runs; seed differently per thread.
   math.randomseed(os.time() * 1000 + (id or 0) * 7919 + os.clock() * 1000000)
end

function request()
   counter = counter + 1
   -- Thread i starts at token i and walks round-robin over all of them.
   local token = tokens[((counter + (id or 0)) % #tokens) + 1]
   local product = math.random(1, max_product)
   headers["Authorization"] = "Bearer " .. token
   headers["Idempotency-Key"] = string.format("%s-t%d-%d-%08x", run_id, id or 0, counter, math.random(0, 0x7fffffff))
   local body = '{"items":[{"productId":' .. product .. ',"quantity":1}]}'
   return wrk.format("POST", "/api/v1/orders", headers, body)
end

function response(status, headers, body)
   if status == 202 then
      accepted = accepted + 1 -- pending_payment: the provider was slow or down, the order settles later
   end
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
      if status == 409 then
         status_409 = status_409 + 1
      elseif status >= 500 then
         status_5xx = status_5xx + 1
      else
         status_4xx = status_4xx + 1
      end
      if first_error == "" then
         first_error = status .. " " .. string.sub(body or "", 1, 300)
      end
   end
end

function done(summary, latency, requests)
   local total_non2xx, total_409, total_4xx, total_5xx, sample = 0, 0, 0, 0, ""
   local total_accepted = 0
   for _, thread in ipairs(threads) do
      total_accepted = total_accepted + (thread:get("accepted") or 0)
      total_non2xx = total_non2xx + (thread:get("non2xx") or 0)
      total_409 = total_409 + (thread:get("status_409") or 0)
      total_4xx = total_4xx + (thread:get("status_4xx") or 0)
      total_5xx = total_5xx + (thread:get("status_5xx") or 0)
      local e = thread:get("first_error") or ""
      if sample == "" and e ~= "" then
         sample = e
      end
   end

   io.write(string.format("Checkout non-2xx responses: %d (409: %d, other 4xx: %d, 5xx: %d)\n",
      total_non2xx, total_409, total_4xx, total_5xx))
   if sample ~= "" then
      io.write("First non-2xx response: " .. sample .. "\n")
   end

   local e = summary.errors
   io.write(string.format("BENCH requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d non2xx=%d socket_errors=%d accepted=%d\n",
      summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      total_non2xx, e.connect + e.read + e.write + e.timeout, total_accepted))
end
