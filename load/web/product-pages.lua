-- wrk script: anonymous GETs of product pages, ids drawn uniformly from 1..PRODUCTS (env, default 1000), so the
-- run exercises a working set of pages rather than one hot URL.
local products = tonumber(os.getenv("PRODUCTS") or "1000")

function setup(thread)
  thread:set("seed", math.random(1, 1000000))
end

function init(args)
  math.randomseed(seed)
end

function request()
  return wrk.format("GET", "/products/" .. math.random(1, products), { ["Accept"] = "text/html" })
end
