-- POST /customer-organizations/{id}/members: adds one fresh customer (from
-- the BENCH_POOL file) to a preloaded organization (from BENCH_ORGS), the
-- organizations taken in turn so that each grows by a few members only.
-- Threads take disjoint shares of both lists. A spent pool is flagged as in
-- post_orgs.lua.
dofile(os.getenv("BENCH_DIR") .. "/common.lua")

local pool, orgs, k

function init(args)
    pool = read_ids(os.getenv("BENCH_POOL"), true)
    orgs = read_ids(os.getenv("BENCH_ORGS"), true)
    k = 0
end

function request()
    if k + 1 > #pool then
        exhausted = true
        k = 0
    end
    local org = orgs[(k % #orgs) + 1]
    local body = '{"customerIds":["' .. pool[k + 1] .. '"]}'
    k = k + 1
    return wrk.format("POST", "/customer-organizations/" .. org .. "/members", headers_json, body)
end
