-- wrk script for cache-miss product reads (benchmarks/reads.sh): GET /api/v1/products/{id} with id drawn
-- uniformly from 1..max, so that with far more products than requests almost every read misses the cache
-- and goes to the database. Usage: wrk ... -s miss.lua URL -- <max-product-id>
local max_product = 10000

function init(args)
   max_product = tonumber(args[1] or "10000")
   math.randomseed(os.time() * 1000 + os.clock() * 1000000)
end

function request()
   return wrk.format("GET", "/api/v1/products/" .. math.random(1, max_product))
end

dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "report.lua")
