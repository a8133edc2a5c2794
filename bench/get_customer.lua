-- GET /customers/{id}: a preloaded customer (BENCH_CUSTOMERS), picked at
-- random; some are members of small organizations, which the answer shows.
dofile(os.getenv("BENCH_DIR") .. "/common.lua")

local ids

function init(args)
    ids = read_ids(os.getenv("BENCH_CUSTOMERS"), false)
    math.randomseed(tid * 7919 + os.time())
end

function request()
    local id = ids[math.random(#ids)]
    return wrk.format("GET", "/customers/" .. id, headers_get)
end
