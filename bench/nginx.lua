-- The yardstick: GET / on nginx (bench/nginx.conf.in answers a fixed body),
-- with the same Authorization header and the same answer counting as the
-- kinship cases.
dofile(os.getenv("BENCH_DIR") .. "/common.lua")

wrk.method = "GET"
wrk.path = "/"
wrk.headers["Authorization"] = auth
