/*
 * Answer sizes (store.h, "answer sizes"): what an answer would embed of
 * organizations, counted before any of them is read, through the backend
 * table (PostgreSQL may guard the read instead, see store.h).
 */
#include "store.h"
#include "backend.h"

#include <string.h>

/* ---- answer sizes ---- */

/* Zeroes the counts of *e, keeping the caller's limit. */
static void extent_start(struct org_extent *e)
{
    int64_t limit = e->limit;
    memset(e, 0, sizeof(*e));
    e->limit = limit;
}

enum err store_customers_extent(struct store_tx *tx, const char *account, const char *const *ids,
                                size_t n, struct org_extent *out)
{
    extent_start(out);
    return n ? tx->be->org_extent(tx, account, ids, n, true, out) : ERR_OK;
}

enum err store_orgs_extent(struct store_tx *tx, const char *account, const char *const *ids,
                           size_t n, struct org_extent *out)
{
    extent_start(out);
    return n ? tx->be->org_extent(tx, account, ids, n, false, out) : ERR_OK;
}

enum err store_customer_list_extent(struct store_tx *tx, struct arena *a, const char *account,
                                    const struct customer_query *q, struct org_extent *out)
{
    extent_start(out);
    if (tx->be->customer_list_extent && out->limit > 0)
        return tx->be->customer_list_extent(tx, account, q, out);
    struct customer *items = NULL;
    const char **keys = NULL;
    size_t n = 0;
    struct page_result pr;
    enum err rc = tx->be->customer_list_rows(tx, a, account, q, &items, &keys, &n, &pr);
    if (rc || !n)
        return rc;
    const char **ids = arena_alloc(a, n * sizeof(*ids));
    for (size_t i = 0; i < n; i++)
        ids[i] = items[i].id;
    return store_customers_extent(tx, account, ids, n, out);
}

enum err store_org_list_extent(struct store_tx *tx, struct arena *a, const char *account,
                               const char *owner_id, const char *member_id,
                               const struct page_query *pq, struct org_extent *out)
{
    extent_start(out);
    if (tx->be->org_list_extent && out->limit > 0)
        return tx->be->org_list_extent(tx, account, owner_id, member_id, pq, out);
    const char **ids = NULL;
    size_t n = 0;
    struct page_result pr;
    enum err rc = tx->be->org_list_ids(tx, a, account, owner_id, member_id, pq, &ids, &n, &pr);
    return rc ? rc : store_orgs_extent(tx, account, ids, n, out);
}

bool store_extent_refused(struct store_tx *tx, struct org_extent *out)
{
    extent_start(out);
    return tx->be->extent_refused && tx->be->extent_refused(tx, out);
}
