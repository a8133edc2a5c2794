-- POST /customers: a new customer (address, tax status, one PRIMARY
-- contact) with a body unique to the run, thread and request.
dofile(os.getenv("BENCH_DIR") .. "/common.lua")

local n = 0

function request()
    n = n + 1
    local tag = run_tag .. "-" .. tid .. "-" .. n
    local body = '{"legalName":"Bench Customer ' .. tag .. ' Ltd",' ..
        '"address":{"line1":"1 Main St","town":"London","postcode":"EC1A 1AA","country":"GB"},' ..
        '"taxStatus":"TAXED",' ..
        '"contacts":[{"name":"Ann","email":"ann+' .. tag .. '@bench.example.com",' ..
        '"billingPreference":"PRIMARY"}]}'
    return wrk.format("POST", "/customers", headers_json, body)
end
