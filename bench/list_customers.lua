-- GET /customers?limit=100, walking the `after` cursors to the end of the
-- list and starting again. Each answer's cursor goes into a queue and each
-- request takes the oldest one (or page one when the queue is empty), so a
-- thread with c connections keeps c walks going at once without having to
-- know which connection an answer came on.
--
-- Counters: first_pages (walks started), walks_done (walks that reached
-- the last page); pages per walk = requests / first_pages.
dofile(os.getenv("BENCH_DIR") .. "/common.lua")

local queue, head, tail
local base = "/customers?limit=100"

function init(args)
    queue, head, tail = {}, 1, 0
    -- wrk calls request() once on the first thread before the run, to check
    -- the script; that page one is never sent.
    extra = {first_pages = tid == 1 and -1 or 0, walks_done = 0}
end

function request()
    local path = base
    if head <= tail then
        path = base .. "&after=" .. queue[head]
        queue[head] = nil
        head = head + 1
    else
        extra.first_pages = extra.first_pages + 1
    end
    return wrk.format("GET", path, headers_get)
end

function on_answer(status, body)
    -- The pagination object closes the answer: look at its tail only.
    local after = string.match(string.sub(body, -1024), '"after":"([^"]+)"')
    if after then
        tail = tail + 1
        queue[tail] = after
    else
        extra.walks_done = extra.walks_done + 1
    end
end
