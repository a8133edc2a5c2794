/*
 * What a store backend implements (internal to src/store). store.c owns the
 * public functions of store.h: it dispatches through this table, composes
 * whole customers from rows, and runs the idempotency protocol, so each
 * backend holds only SQL and connection handling.
 */
#ifndef KINSHIP_STORE_BACKEND_H
#define KINSHIP_STORE_BACKEND_H

#include "store.h"

#include <stdatomic.h>

struct store_backend;
struct org_cache;

/* Every backend's store and transaction structs start with these. */
struct store {
    const struct store_backend *be;
    struct store_options opt;
    struct org_cache *orgs;      /* store.c's; NULL when off or without org_rev */
    atomic_uint activity_writes; /* entries recorded, to purge every so many */
};

struct store_tx {
    const struct store_backend *be;
    struct store *s;
    /* What the running write noted (store_activity_note,
     * store_event_note); NULL outside store__write_body. */
    struct store__notes *note;
};

/* What a write's function noted for store__write_body to record. */
struct store__notes {
    struct activity_entry activity; /* verb NULL: none */
    struct outbox_event events[STORE_EVENTS_MAX];
    size_t n_events;
};

/* An Idempotency-Key record. */
struct idem_record {
    uint8_t hash[IDEM_HASH_LEN];
    int status;
    char *body; /* arena */
    int64_t created_at;
};

struct store_backend {
    const char *name;
    bool blocks;
    void (*close)(struct store *s);
    bool (*ping)(struct store *s);
    enum err (*read)(struct store *s, store_fn fn, void *arg);
    /* Runs store__write_body(tx, w) in one durable transaction, retrying
     * it on serialization failures or a busy database. */
    enum err (*write)(struct store *s, struct store_write *w);
    /* store_write_async; NULL when the backend has only `write`. */
    void (*write_async)(struct store *s, struct store_write *w, store_write_done done, void *arg);
    /* Fills the counters and gauges of struct store_stats and sets
     * out->counted; NULL when the backend keeps none (store.c then reports
     * only what it knows). */
    void (*stats)(struct store *s, struct store_stats *out);
    /* store_backup: a consistent copy of the whole store at `path`,
     * durable before it returns (ERR_UNAVAILABLE, logged, when it cannot
     * be written). NULL when the backend has no online backup: store_backup
     * then says to use the database's own tools. */
    enum err (*backup)(struct store *s, const char *path);

    enum err (*idem_get)(struct store_tx *tx, struct arena *a, const char *account, const char *key,
                         struct idem_record *out);
    /* Inserts or overwrites (an expired record) the record for key. */
    enum err (*idem_put)(struct store_tx *tx, const char *account, const char *key,
                         const struct idem_record *r);

    enum err (*account_ensure)(struct store_tx *tx, const char *name, int64_t now,
                               char id[ID_LEN + 1]);
    enum err (*account_list)(struct store_tx *tx, struct arena *a, struct account_row **out,
                             size_t *n);
    /* store_account_reset: runs store__reset_sql. */
    enum err (*account_reset)(struct store_tx *tx, const char *account);
    enum err (*client_insert)(struct store_tx *tx, const char *account_id, const char *client_id,
                              const uint8_t hash[SECRET_HASH_LEN], int64_t now);
    enum err (*client_get)(struct store_tx *tx, const char *client_id, char account_id[ID_LEN + 1],
                           uint8_t hash[SECRET_HASH_LEN], int64_t *revoked_at);
    enum err (*client_revoke)(struct store_tx *tx, const char *client_id, int64_t now);
    enum err (*client_list)(struct store_tx *tx, struct arena *a, struct client_row **out,
                            size_t *n);

    /* The customer row: every scalar field and integrations (decode them with
     * integrations_decode, src/domain/integrations.h); no contacts,
     * properties or orgs. */
    enum err (*customer_row_get)(struct store_tx *tx, struct arena *a, const char *account,
                                 const char *id, struct customer *out);
    /* Row, contacts and properties (integrations_encode for the
     * integrations column). */
    enum err (*customer_insert)(struct store_tx *tx, const char *account, const struct customer *c);
    enum err (*customer_update)(struct store_tx *tx, const char *account, const struct customer *c,
                                bool replace_props);
    enum err (*customer_archive)(struct store_tx *tx, const char *account, const char *id,
                                 int64_t now);
    enum err (*customer_briefs)(struct store_tx *tx, struct arena *a, const char *account,
                                const char *const *ids, size_t n, struct customer_brief *out);
    enum err (*customer_props)(struct store_tx *tx, struct arena *a, const char *account,
                               const char *customer_id, struct property **out, size_t *n);
    /* Rows only (as customer_row_get), with their sort keys. */
    enum err (*customer_list_rows)(struct store_tx *tx, struct arena *a, const char *account,
                                   const struct customer_query *q, struct customer **items,
                                   const char ***keys, size_t *n, struct page_result *pr);
    enum err (*property_keys)(struct store_tx *tx, struct arena *a, const char *account,
                              const char ***out, size_t *n);

    enum err (*contact_list)(struct store_tx *tx, struct arena *a, const char *account,
                             const char *customer_id, bool include_archived, struct contact **out,
                             size_t *n);
    enum err (*contact_get)(struct store_tx *tx, struct arena *a, const char *account,
                            const char *customer_id, const char *id, struct contact *out);
    enum err (*contact_insert)(struct store_tx *tx, const char *account, const char *customer_id,
                               const struct contact *c);
    enum err (*contact_update)(struct store_tx *tx, const char *account, const char *customer_id,
                               const struct contact *c);

    enum err (*alias_insert)(struct store_tx *tx, const char *account, const struct alias *al);
    enum err (*alias_get)(struct store_tx *tx, struct arena *a, const char *account, const char *id,
                          struct alias *out);
    enum err (*alias_get_by_value)(struct store_tx *tx, struct arena *a, const char *account,
                                   const char *value, struct alias *out);
    enum err (*alias_list)(struct store_tx *tx, struct arena *a, const char *account,
                           const char *value, const struct page_query *pq, struct alias **out,
                           size_t *n, struct page_result *pr);
    enum err (*alias_list_for_customer)(struct store_tx *tx, struct arena *a, const char *account,
                                        const char *customer_id, struct alias **out, size_t *n);
    enum err (*alias_update)(struct store_tx *tx, const char *account, const struct alias *al);

    enum err (*org_insert)(struct store_tx *tx, const char *account, const struct organization *o);
    /* The whole organization, rev included. */
    enum err (*org_get)(struct store_tx *tx, struct arena *a, const char *account, const char *id,
                        struct organization *out);
    /* Only the rev of the organization's row (ERR_NOT_FOUND when there is
     * none). A backend that sets it must write a fresh random rev in every
     * statement that changes what the organization shows: its members,
     * their order and names, its owner's name. NULL: no rev, no cache. */
    enum err (*org_rev)(struct store_tx *tx, const char *account, const char *id, int64_t *rev);
    enum err (*org_id_by_owner)(struct store_tx *tx, const char *account, const char *owner_id,
                                char out[ID_LEN + 1]);
    /* Batch forms for list pages, where a round trip per customer would
     * dominate; NULL: store.c asks customer by customer. customers_props
     * sets props/n_props of each of items[0..n); customers_org_ids gives,
     * for each item, its organization ids as org_ids_of_member does. */
    enum err (*customers_props)(struct store_tx *tx, struct arena *a, const char *account,
                                struct customer *items, size_t n);
    enum err (*customers_org_ids)(struct store_tx *tx, struct arena *a, const char *account,
                                  const struct customer *items, size_t n, const char ***ids,
                                  size_t *n_ids);
    /* org_get for each of ids[0..n) (distinct) into out[0..n), in fewer
     * round trips (ERR_NOT_FOUND when one is missing); NULL: store.c reads
     * them one at a time (SQLite, through its organization cache). */
    enum err (*orgs_get)(struct store_tx *tx, struct arena *a, const char *account,
                         const char *const *ids, size_t n, struct organization *out);
    /* Ids of the organizations the customer is a member of, in any order:
     * store.c orders them (oldest first, then by id) once it has read them. */
    enum err (*org_ids_of_member)(struct store_tx *tx, struct arena *a, const char *account,
                                  const char *customer_id, const char ***out, size_t *n);
    enum err (*org_members_add)(struct store_tx *tx, const char *account, const char *org_id,
                                const char *const *ids, size_t n);
    enum err (*org_members_clear)(struct store_tx *tx, const char *account, const char *org_id);
    enum err (*org_member_remove)(struct store_tx *tx, const char *account, const char *org_id,
                                  const char *customer_id);
    enum err (*org_member_count)(struct store_tx *tx, const char *account, const char *org_id,
                                 int64_t *n);
    enum err (*org_delete)(struct store_tx *tx, const char *account, const char *org_id);
    enum err (*org_reaches)(struct store_tx *tx, const char *account, const char *ancestor,
                            const char *descendant, bool *out);
    /* store_hierarchy_lock; NULL where writes never run concurrently
     * (SQLite's single writer): store.c then does nothing. */
    enum err (*hierarchy_lock)(struct store_tx *tx, const char *account, const char *owner,
                               const char *const *ids, size_t n, bool *closes);
    /* store_customers_extent (of_customers) or store_orgs_extent: `out`
     * starts zeroed but for its limit, n is at least 1. */
    enum err (*org_extent)(struct store_tx *tx, const char *account, const char *const *ids,
                           size_t n, bool of_customers, struct org_extent *out);
    /* store_customer_list_extent and store_org_list_extent when the
     * caller set a limit (NULL, or no limit: store.c counts from the
     * page's rows, customer_list_rows and org_list_ids), and
     * store_extent_refused (NULL: nothing is ever refused later). */
    enum err (*customer_list_extent)(struct store_tx *tx, const char *account,
                                     const struct customer_query *q, struct org_extent *out);
    enum err (*org_list_extent)(struct store_tx *tx, const char *account, const char *owner_id,
                                const char *member_id, const struct page_query *pq,
                                struct org_extent *out);
    bool (*extent_refused)(struct store_tx *tx, struct org_extent *out);
    /* Rows with ids only (owner and members are filled by store.c). */
    enum err (*org_list_ids)(struct store_tx *tx, struct arena *a, const char *account,
                             const char *owner_id, const char *member_id,
                             const struct page_query *pq, const char ***ids, size_t *n,
                             struct page_result *pr);

    /* Whole reads, for a backend where each primitive is a round trip.
     * customer_whole: store_customer_get in one step, when the backend can
     * in this transaction (*done set); with *done false store.c composes
     * it from the primitives. NULL: always composed. */
    enum err (*customer_whole)(struct store_tx *tx, struct arena *a, const char *account,
                               const char *id, struct customer *out, bool *done);
    /* store_client_check and store_client_confirm (see store.h). NULL:
     * store.c checks at once with client_get, and there is nothing to
     * confirm. */
    enum err (*client_check)(struct store_tx *tx, const char *client_id);
    enum err (*client_confirm)(struct store_tx *tx);
    /* store_flush. NULL: the backend holds nothing back. */
    enum err (*flush)(struct store_tx *tx);

    /* ---- notification policies and the activity log ---- */
    enum err (*policy_insert)(struct store_tx *tx, const char *account,
                              const struct notification_policy *p);
    enum err (*policy_get)(struct store_tx *tx, struct arena *a, const char *account,
                           const char *id, struct notification_policy *out);
    enum err (*policy_update)(struct store_tx *tx, const char *account,
                              const struct notification_policy *p);
    enum err (*policy_delete)(struct store_tx *tx, const char *account, const char *id);
    enum err (*policy_list)(struct store_tx *tx, struct arena *a, const char *account,
                            const char *type, const struct page_query *pq,
                            struct notification_policy **out, size_t *n, struct page_result *pr);
    /* Records the entry; may hold it back until the commit (store_flush). */
    enum err (*activity_insert)(struct store_tx *tx, const struct activity_entry *e);
    /* Deletes up to a batch of entries (of every account) older than
     * `before`; may hold it back until the commit. */
    enum err (*activity_purge)(struct store_tx *tx, int64_t before);
    enum err (*activity_get)(struct store_tx *tx, struct arena *a, const char *account,
                             const char *id, struct activity_entry *out);
    enum err (*activity_list)(struct store_tx *tx, struct arena *a, const char *account,
                              const struct activity_query *q, struct activity_entry **out,
                              size_t *n, struct page_result *pr);
    /* Inserts the event when a policy of the account matches its type
     * (store_event_note); may hold it back until the commit. */
    enum err (*event_insert)(struct store_tx *tx, const char *account,
                             const struct outbox_event *e);
    /* The tree reads of store.h (tree.c), each one statement. */
    enum err (*tree_ancestors)(struct store_tx *tx, struct arena *a, const char *account,
                               const char *id, int max_depth, struct tree_node **out, size_t *n);
    enum err (*tree_descendants)(struct store_tx *tx, struct arena *a, const char *account,
                                 const char *root, bool root_is_org, int max_depth,
                                 const struct page_query *pq, struct tree_node **out, size_t *n,
                                 struct page_result *pr, char *seed);
    enum err (*tree_heights)(struct store_tx *tx, const char *account, const char *owner,
                             const char *const *ids, size_t n, int cap, int *up, int *down);
};

/*
 * The counters of struct store_stats that a backend keeps (see there for
 * what each counts). They only grow; relaxed atomics, being statistics.
 */
struct store__counters {
    atomic_ullong writes, batches, commits, rollbacks, unavailable, internal, retries;
    atomic_ullong round_trips;
};

static inline void store__count(atomic_ullong *c, unsigned long long n)
{
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

/* Counts a call's answer when it is the store's failure (ERR_UNAVAILABLE,
 * ERR_INTERNAL), not a domain one. */
static inline void store__count_answer(struct store__counters *c, enum err rc)
{
    if (rc == ERR_UNAVAILABLE)
        store__count(&c->unavailable, 1);
    else if (rc == ERR_INTERNAL)
        store__count(&c->internal, 1);
}

/* Copies the counters into `out` and sets out->counted (for a backend's
 * `stats`). */
void store__counters_read(struct store__counters *c, struct store_stats *out);

/* The statements of store_account_reset, in the order they run (children
 * before parents); both dialects read `$1` as the account id.
 * NULL-terminated. */
extern const char *const store__reset_sql[];
/*
 * The nodes of a tree read, gathered from rows (both backends' tree.c): one
 * row per node and link, a node's rows one after the other. store__tree_row
 * starts a node when `id` differs from the last one's, and adds `link`
 * (NULL: none) to it. Everything lives in `a`.
 */
struct store__tree_rows {
    struct tree_node *nodes;
    size_t n, cap;
    size_t link_cap; /* of the last node's links */
};

void store__tree_row(struct store__tree_rows *r, struct arena *a, const char *id, int depth,
                     const char *name, bool archived, const char *org_id, const char *link);

/* The body every backend's write runs inside its transaction: idempotency
 * lookup, w->fn, w->render, idempotency record. On error the backend rolls
 * back. The arena is for scratch; w->body is heap. */
enum err store__write_body(struct store_tx *tx, struct store_write *w, struct arena *a);

enum err store__sqlite_open(const char *path, const struct store_options *o, struct store **out);
enum err store__pg_open(const char *url, const struct store_options *o, struct store **out);

#endif
