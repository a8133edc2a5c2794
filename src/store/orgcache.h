/*
 * The organization cache (internal to src/store): whole organizations,
 * owner and members with their names, kept in memory between requests so
 * that reading one is a single-row lookup of its revision instead of a
 * range of membership rows.
 *
 * Entries are keyed by (account, organization id, rev). `rev` is a random
 * 64-bit tag the store writes on the organization's row with every change
 * to what the organization shows (its members, their order, their names,
 * its owner's name), in the same transaction as the change. A reader that
 * reads rev in its own snapshot and finds that rev here finds exactly what
 * its snapshot holds, so nothing is ever invalidated: stale entries are
 * simply never asked for again, and age out. This holds across processes
 * and across kinship instances sharing one database.
 *
 * Thread-safe; one mutex, held for lookups and list moves only. Entries
 * are immutable and reference-counted: a reader holds the one it found
 * until its arena is released, and renders straight from it, so a
 * 10,000-member organization is never copied per request.
 */
#ifndef KINSHIP_STORE_ORGCACHE_H
#define KINSHIP_STORE_ORGCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/mem.h"
#include "../domain/model.h"

struct org_cache;

struct org_cache_stats {
    uint64_t hits, misses;
    size_t entries, bytes, budget;
};

/* A cache of at most `budget` bytes of entries; NULL when budget is 0. */
struct org_cache *org_cache_create(size_t budget);
/* NULL is a no-op. No other thread may be using the cache. */
void org_cache_destroy(struct org_cache *oc);

/*
 * Fills `out` with the organization (account, id) at revision `rev`; its
 * member array and names are the cache's, held (even if evicted meanwhile)
 * until `a` is reset or destroyed. False (counted as a miss) when the cache
 * does not hold that revision.
 */
bool org_cache_get(struct org_cache *oc, const char *account, const char *id, int64_t rev,
                   struct arena *a, struct organization *out);
/* Remembers `o` (read at o->rev) for `account`, evicting the least
 * recently used entries past the budget. Organizations larger than a
 * quarter of the budget are not kept. */
void org_cache_put(struct org_cache *oc, const char *account, const struct organization *o);
void org_cache_stats(struct org_cache *oc, struct org_cache_stats *out);

#endif
