-- wrk script: GET a path with {id} replaced by an id drawn uniformly from 1..max.
-- Usage: wrk ... -s random-id.lua URL -- '/api/v1/recommendations?productId={id}' <max-id>
local template = "/api/v1/products/{id}"
local max_id = 10000

function init(args)
   template = args[1] or template
   max_id = tonumber(args[2] or "10000")
   math.randomseed(os.time() * 1000 + os.clock() * 1000000)
end

function request()
   return wrk.format("GET", (template:gsub("{id}", tostring(math.random(1, max_id)))))
end

dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "report.lua")
