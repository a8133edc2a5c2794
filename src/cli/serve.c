/*
 * `kinship serve`: runs the HTTP server on the settings the dispatcher
 * loaded, until SIGTERM or SIGINT; then it stops accepting, finishes the
 * requests in flight and returns.
 */
#include "cli.h"

#include "../api/api.h"
#include "../api/metrics.h"
#include "../api/ratelimit.h"
#include "../api/throttle.h"
#include "../core/buf.h"
#include "../core/log.h"
#include "../core/workq.h"
#include "../http/server.h"

#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern const unsigned char kinship_openapi[];
extern const size_t kinship_openapi_len;

static void setup_logging(const struct config *cfg)
{
    enum log_level lvl = LOG_INFO;
    log_parse_level(cfg->log_level, &lvl);
    log_setup(lvl, strcmp(cfg->log_format, "json") == 0 ? LOG_JSON : LOG_LOGFMT);
}

/*
 * Answers of a few MB (a list page that names members of an organization of
 * 10,000) are built and freed on every thread. glibc raises its mmap
 * threshold after the first such free and then keeps the freed memory in
 * its per-thread heaps: in `make bench` with a million customers the server
 * stayed at 270 MiB after the load. A fixed threshold gives large buffers
 * back to the system as soon as they are freed.
 */
static void tune_malloc(void)
{
    mallopt(M_MMAP_THRESHOLD, (int)BUF_MAPPED_MIN);
    mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
}

int serve_run(const struct cli_command *cmd, struct cli_args *args)
{
    const struct config *cfg = &args->cfg;
    int rc = 0;
    tune_malloc();
    if (args->n_rest) {
        fprintf(stderr, "kinship %s: unknown argument '%s' (see kinship %s --help)\n", cmd->name,
                args->rest[0], cmd->name);
        return 2;
    }
    char host[128];
    int port;
    if (!cfg_split_listen(cfg->listen, host, sizeof(host), &port)) {
        fprintf(stderr, "kinship: listen must be HOST:PORT, not '%s'\n", cfg->listen);
        return 2;
    }
    setup_logging(cfg);

    /* Signals go to this thread alone, through sigwait. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct store *store = NULL;
    if (cli_store_open(cfg, &store))
        return 1;
    if (*cfg->seed_demo && seed_demo(store, cfg, cfg->seed_demo)) {
        store_close(store);
        return 1;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    /*
     * On PostgreSQL a read is one round trip (src/store/pg/reads.c), and
     * it runs on the polling thread that received it, which blocks for it.
     * Handing it to a worker and back cost more than the read (two context
     * switches, a futex and an eventfd wake): 71-80 us of kinship CPU per
     * GET against 41-58 us inline (docs/performance.md). Writes still go
     * to the workers, at most pool_size of them: a worker holds one
     * connection for the whole request, so more would only wait for one,
     * and waking them in turn cost tens of context switches a request.
     */
    bool pg = store_blocks(store);
    long workers = cfg->workers;
    if (pg && workers > cfg->pool_size)
        workers = cfg->pool_size;
    struct api api = {
        .store = store,
        .cfg = cfg,
        .workers = workq_create((unsigned)workers, 256),
        .auth_cache = pg ? auth_cache_create() : NULL,
        .defer_all = false,
        .async_writes = !store_blocks(store) && store_writes_async(store),
        .page_workers = workq_create((unsigned)(cores > 0 ? cores : 1), 256),
        .metrics = metrics_create(api_routes_count),
        .ratelimit = ratelimit_create(cfg->rate_limit),
        .throttle = throttle_create(cfg->auth_failures, cfg->auth_window),
        .openapi = (const char *)kinship_openapi,
        .openapi_len = kinship_openapi_len,
    };
    struct http_options ho = {
        .host = host,
        .port = port,
        .body_limit = (size_t)cfg->body_limit,
        .threads = cfg->threads ? (unsigned)cfg->threads : (unsigned)(cores > 0 ? cores : 1),
        .max_connections = (unsigned)cfg->max_connections,
        .max_per_ip = (unsigned)cfg->max_connections_per_ip,
        .idle_timeout_s = (unsigned)cfg->idle_timeout,
        .request_timeout_s = (unsigned)cfg->request_timeout,
        .header_limit = (size_t)cfg->header_limit,
        .max_headers = (unsigned)cfg->max_headers,
    };
    if (!cfg->max_connections_per_ip || cfg->max_connections_per_ip >= cfg->max_connections)
        log_kv(LOG_WARN,
               "max_connections_per_ip is not below max_connections: one client address can "
               "take every connection",
               (const char *)NULL);
    /* api.server is set before the first request: /metrics reads it. */
    if (http_server_start(&ho, api_handle, api_early_error, api_complete, &api, &api.server)) {
        rc = 1;
        goto out;
    }
    struct http_server *srv = api.server;
    char port_s[16];
    snprintf(port_s, sizeof(port_s), "%d", http_server_port(srv));
    log_kv(LOG_INFO, "listening", "host", host, "port", port_s, "store", store_kind(store),
           "version", KINSHIP_VERSION, (const char *)NULL);

    int sig = 0;
    while (sigwait(&set, &sig) != 0)
        ;
    log_kv(LOG_INFO, "stopping", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT",
           (const char *)NULL);
    http_server_stop(srv);
out:
    workq_destroy(api.workers);
    workq_destroy(api.page_workers);
    auth_cache_destroy(api.auth_cache);
    metrics_destroy(api.metrics);
    ratelimit_destroy(api.ratelimit);
    throttle_destroy(api.throttle);
    store_close(store);
    log_kv(LOG_INFO, "stopped", (const char *)NULL);
    return rc;
}
