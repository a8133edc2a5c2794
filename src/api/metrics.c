/* Prometheus counters and histograms, per route. */
#include "metrics.h"
#include "api.h"
#include "../core/mem.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static const double bucket_s[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                  0.05,   0.1,   0.25,   0.5,   1,    2.5};
#define N_BUCKETS (sizeof(bucket_s) / sizeof(*bucket_s))
#define N_STATUS 600

struct route_stats {
    atomic_ullong by_status[N_STATUS];
    atomic_ullong buckets[N_BUCKETS + 1]; /* last: +Inf */
    atomic_ullong sum_us;
};

struct metrics {
    size_t n;
    struct route_stats *r;
};

struct metrics *metrics_create(size_t routes)
{
    struct metrics *m = xcalloc(1, sizeof(*m));
    m->n = routes + 1;
    m->r = xcalloc(m->n, sizeof(*m->r));
    return m;
}

void metrics_destroy(struct metrics *m)
{
    if (!m)
        return;
    free(m->r);
    free(m);
}

void metrics_observe(struct metrics *m, size_t route, int status, int64_t us)
{
    if (!m)
        return;
    if (route >= m->n)
        route = m->n - 1;
    struct route_stats *rs = &m->r[route];
    if (status < 0 || status >= N_STATUS)
        status = 0;
    atomic_fetch_add_explicit(&rs->by_status[status], 1, memory_order_relaxed);
    size_t b = 0;
    while (b < N_BUCKETS && (double)us / 1e6 > bucket_s[b])
        b++;
    atomic_fetch_add_explicit(&rs->buckets[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&rs->sum_us, (unsigned long long)(us > 0 ? us : 0),
                              memory_order_relaxed);
}

static const char *route_name(const struct metrics *m, size_t i)
{
    return i + 1 < m->n ? api_routes[i].name : "unmatched";
}

void metrics_render(struct metrics *m, struct buf *out, unsigned in_flight)
{
    buf_puts(out, "# HELP kinship_build_info Build information.\n"
                  "# TYPE kinship_build_info gauge\n");
    buf_printf(out, "kinship_build_info{version=\"%s\",api_version=\"%s\"} 1\n", KINSHIP_VERSION,
               API_VERSION);
    buf_puts(out, "# HELP kinship_requests_in_flight Requests received and not yet answered.\n"
                  "# TYPE kinship_requests_in_flight gauge\n");
    buf_printf(out, "kinship_requests_in_flight %u\n", in_flight);
    buf_puts(out, "# HELP kinship_requests_total Requests answered, by route and status.\n"
                  "# TYPE kinship_requests_total counter\n");
    for (size_t i = 0; i < m->n; i++)
        for (int s = 0; s < N_STATUS; s++) {
            unsigned long long v =
                atomic_load_explicit(&m->r[i].by_status[s], memory_order_relaxed);
            if (v)
                buf_printf(out, "kinship_requests_total{route=\"%s\",status=\"%d\"} %llu\n",
                           route_name(m, i), s, v);
        }
    buf_puts(out, "# HELP kinship_request_duration_seconds Time from request to answer.\n"
                  "# TYPE kinship_request_duration_seconds histogram\n");
    for (size_t i = 0; i < m->n; i++) {
        unsigned long long cum = 0;
        for (size_t b = 0; b <= N_BUCKETS; b++)
            cum += atomic_load_explicit(&m->r[i].buckets[b], memory_order_relaxed);
        if (!cum)
            continue;
        const char *name = route_name(m, i);
        unsigned long long acc = 0;
        for (size_t b = 0; b < N_BUCKETS; b++) {
            acc += atomic_load_explicit(&m->r[i].buckets[b], memory_order_relaxed);
            buf_printf(out,
                       "kinship_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
                       name, bucket_s[b], acc);
        }
        acc += atomic_load_explicit(&m->r[i].buckets[N_BUCKETS], memory_order_relaxed);
        buf_printf(out, "kinship_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n",
                   name, acc);
        buf_printf(out, "kinship_request_duration_seconds_sum{route=\"%s\"} %.6f\n", name,
                   (double)atomic_load_explicit(&m->r[i].sum_us, memory_order_relaxed) / 1e6);
        buf_printf(out, "kinship_request_duration_seconds_count{route=\"%s\"} %llu\n", name, acc);
    }
}

static void family(struct buf *out, const char *name, const char *type, const char *help)
{
    buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A family of two samples told apart by one label. A counter's values are
 * unsigned; a gauge's are signed (int64_t, carried in va and vb). */
static void family_pair(struct buf *out, const char *name, const char *type, const char *help,
                        const char *label, const char *a, uint64_t va, const char *b, uint64_t vb)
{
    family(out, name, type, help);
    const char *keys[2] = {a, b};
    uint64_t v[2] = {va, vb};
    for (size_t i = 0; i < 2; i++) {
        if (strcmp(type, "gauge") == 0)
            buf_printf(out, "%s{%s=\"%s\"} %lld\n", name, label, keys[i], (long long)(int64_t)v[i]);
        else
            buf_printf(out, "%s{%s=\"%s\"} %llu\n", name, label, keys[i], (unsigned long long)v[i]);
    }
}

void metrics_render_store(struct buf *out, const struct store_stats *st)
{
    family(out, "kinship_store_info", "gauge", "The store backend in use.");
    buf_printf(out, "kinship_store_info{backend=\"%s\"} 1\n", st->backend);
    family(out, "kinship_store_pool_max_connections", "gauge",
           "Most connections the store opens (pool_size; SQLite: readers).");
    buf_printf(out, "kinship_store_pool_max_connections %lld\n", (long long)st->pool_max);
    family_pair(out, "kinship_store_org_cache_lookups_total", "counter",
                "Organization reads that looked in the organization cache, by result.", "result",
                "hit", st->org_cache_hits, "miss", st->org_cache_misses);
    family(out, "kinship_store_org_cache_entries", "gauge",
           "Organizations held by the organization cache.");
    buf_printf(out, "kinship_store_org_cache_entries %lld\n", (long long)st->org_cache_entries);
    family_pair(out, "kinship_store_org_cache_bytes", "gauge",
                "Memory held by the organization cache, and its budget (org_cache).", "kind",
                "used", (uint64_t)st->org_cache_bytes, "budget", (uint64_t)st->org_cache_budget);
    if (!st->counted)
        return;
    static const struct {
        const char *name, *help;
        size_t off;
    } counters[] = {
        {"kinship_store_writes_total", "Store writes answered.",
         offsetof(struct store_stats, writes)},
        {"kinship_store_write_batches_total",
         "Write transactions run (SQLite: one per group commit; PostgreSQL: one per attempt).",
         offsetof(struct store_stats, batches)},
        {"kinship_store_commits_total", "Write transactions committed durably.",
         offsetof(struct store_stats, commits)},
        {"kinship_store_rollbacks_total",
         "Writes undone: by their own error, a retry, or a failed batch.",
         offsetof(struct store_stats, rollbacks)},
        {"kinship_store_retries_total", "Waits on a busy database and retried transactions.",
         offsetof(struct store_stats, retries)},
        {"kinship_store_checkpoints_total",
         "WAL checkpoints run beside the writer (SQLite; 0 on PostgreSQL).",
         offsetof(struct store_stats, checkpoints)},
        {"kinship_store_round_trips_total",
         "Round trips to PostgreSQL waited for, COMMIT included (0 on SQLite).",
         offsetof(struct store_stats, round_trips)},
    };
    for (size_t i = 0; i < sizeof(counters) / sizeof(*counters); i++) {
        family(out, counters[i].name, "counter", counters[i].help);
        buf_printf(out, "%s %llu\n", counters[i].name,
                   (unsigned long long)*(const uint64_t *)((const char *)st + counters[i].off));
    }
    family_pair(out, "kinship_store_errors_total", "counter",
                "Store calls that failed: unavailable (down, locked, disk full) or internal.",
                "kind", "unavailable", st->unavailable, "internal", st->internal);
    family_pair(out, "kinship_store_pool_connections", "gauge",
                "Open store connections, handed out (in_use) or free (idle).", "state", "in_use",
                (uint64_t)st->pool_in_use, "idle", (uint64_t)(st->pool_open - st->pool_in_use));
    family(out, "kinship_store_write_queue", "gauge",
           "Writes waiting (SQLite: for the writer thread; PostgreSQL: for a connection).");
    buf_printf(out, "kinship_store_write_queue %lld\n", (long long)st->write_queue);
    family(out, "kinship_store_wal_pages", "gauge",
           "SQLite: pages in the write-ahead log after the last commit (0 on PostgreSQL).");
    buf_printf(out, "kinship_store_wal_pages %lld\n", (long long)st->wal_pages);
}
