/*
 * Counters for GET /metrics (Prometheus text format): requests by route and
 * status, latency histograms by route, requests in flight, and the store's
 * own counters (store_stats).
 * Updates are lock-free atomics; rendering reads them without stopping
 * anyone.
 */
#ifndef KINSHIP_API_METRICS_H
#define KINSHIP_API_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "../core/buf.h"
#include "../store/store.h"

struct metrics;

/* `routes` route slots plus one for unmatched requests. */
struct metrics *metrics_create(size_t routes);
void metrics_destroy(struct metrics *m);
/* Records one finished request of route slot `route`. NULL m: no-op. */
void metrics_observe(struct metrics *m, size_t route, int status, int64_t duration_us);
/* Appends the exposition text of the request metrics. */
void metrics_render(struct metrics *m, struct buf *out, unsigned in_flight);
/* Appends the store's families: writes, batches, commits, rollbacks,
 * errors by kind, retries (counters), connection pool and write queue
 * (gauges). Counters a backend does not keep are left out. */
void metrics_render_store(struct buf *out, const struct store_stats *st);

#endif
