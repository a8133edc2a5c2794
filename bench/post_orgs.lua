-- POST /customer-organizations, the seed operation: each request makes an
-- organization of a fresh owner and two fresh members. The customers come
-- from a pool made before the timed run (BENCH_POOL, one id a line); each
-- thread takes its own share and hands out three ids per request. When the
-- share runs out the ids come round again, the answers are 409s and the run
-- is flagged ("exhausted"): make the pool bigger (BENCH_WRITE_RPS_MAX).
dofile(os.getenv("BENCH_DIR") .. "/common.lua")

local ids, k

function init(args)
    ids = read_ids(os.getenv("BENCH_POOL"), true)
    k = 0
end

function request()
    if 3 * k + 3 > #ids then
        exhausted = true
        k = 0
    end
    local owner, a, b = ids[3 * k + 1], ids[3 * k + 2], ids[3 * k + 3]
    k = k + 1
    local body = '{"ownerId":"' .. owner .. '","memberIds":["' .. a .. '","' .. b .. '"]}'
    return wrk.format("POST", "/customer-organizations", headers_json, body)
end
