-- GET /customer-organizations/{id}: a preloaded organization (BENCH_ORGS),
-- picked at random.
dofile(os.getenv("BENCH_DIR") .. "/common.lua")

local ids

function init(args)
    ids = read_ids(os.getenv("BENCH_ORGS"), false)
    math.randomseed(tid * 7919 + os.time())
end

function request()
    local id = ids[math.random(#ids)]
    return wrk.format("GET", "/customer-organizations/" .. id, headers_get)
end
