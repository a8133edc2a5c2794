-- Shared by every wrk script of the benchmark (loaded with dofile).
--
-- Environment, set by bench/run.sh:
--   BENCH_AUTH     the Authorization header value ("Basic ...")
--   BENCH_THREADS  wrk's -t (to split id lists between threads)
--   BENCH_RUN      a tag unique to this run (makes request bodies unique)
--
-- Every script counts answers that are not 2xx (the `non2xx` global of each
-- thread, with the first such answer kept as a sample), and done() prints
-- one line that the driver reads:
--   BENCHRESULT {"requests":...,"rps":...,"p50_us":...,...}

auth = os.getenv("BENCH_AUTH") or ""
nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
run_tag = os.getenv("BENCH_RUN") or "0"

-- ---- setup and done run in their own Lua state ----

local all_threads = {}
local next_tid = 1

function setup(thread)
    thread:set("tid", next_tid)
    next_tid = next_tid + 1
    table.insert(all_threads, thread)
end

-- ---- per-thread state ----

tid = tid or 1
non2xx = 0
sample = nil      -- "status body" of the first non-2xx answer
exhausted = false -- a pool of fresh ids ran out (the answers then fail)
extra = {}        -- script-specific counters, summed over threads

-- Reads a file of ids, one a line. With `share`, keeps only this thread's
-- share (every nthreads-th line), so that threads never hand out the same id.
function read_ids(path, share)
    local ids = {}
    if not path then
        error("an id file is needed: see bench/run.sh")
    end
    local f = assert(io.open(path, "r"))
    local n = 0
    for line in f:lines() do
        if #line > 0 then
            n = n + 1
            if not share or (n - 1) % nthreads == tid - 1 then
                ids[#ids + 1] = line
            end
        end
    end
    f:close()
    return ids
end

headers_json = nil
headers_get = nil

function make_headers()
    headers_json = {["Authorization"] = auth, ["Content-Type"] = "application/json"}
    headers_get = {["Authorization"] = auth}
end
make_headers()

-- Scripts may define on_answer(status, body) for 2xx answers.
function response(status, headers, body)
    if status < 200 or status > 299 then
        non2xx = non2xx + 1
        if not sample then
            sample = tostring(status) .. " " .. string.sub(body or "", 1, 300)
        end
    elseif on_answer then
        on_answer(status, body)
    end
end

local function json_str(s)
    if s == nil then
        return "null"
    end
    s = string.gsub(s, '[%c"\\]', function(c)
        if c == '"' then return '\\"' end
        if c == "\\" then return "\\\\" end
        return string.format("\\u%04x", string.byte(c))
    end)
    return '"' .. s .. '"'
end

function done(summary, latency, requests)
    local bad, smp, exh = 0, nil, false
    local sums = {}
    for _, t in ipairs(all_threads) do
        bad = bad + (t:get("non2xx") or 0)
        smp = smp or t:get("sample")
        exh = exh or t:get("exhausted") or false
        local x = t:get("extra") or {}
        for k, v in pairs(x) do
            sums[k] = (sums[k] or 0) + v
        end
    end
    local secs = summary.duration / 1e6
    local e = summary.errors
    local out = string.format(
        '{"requests":%d,"duration_us":%d,"rps":%.2f,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
        '"max_us":%d,"mean_us":%.1f,"non2xx":%d,"err_connect":%d,"err_read":%d,' ..
        '"err_write":%d,"err_timeout":%d,"exhausted":%s,"sample":%s',
        summary.requests, summary.duration, summary.requests / secs,
        latency:percentile(50), latency:percentile(90), latency:percentile(99),
        latency.max, latency.mean, bad, e.connect, e.read, e.write, e.timeout,
        tostring(exh), json_str(smp))
    for k, v in pairs(sums) do
        out = out .. string.format(',"%s":%d', k, v)
    end
    io.write("BENCHRESULT " .. out .. "}\n")
end
