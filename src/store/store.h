/*
 * The store: kinship's only way to its data, with two backends (SQLite and
 * PostgreSQL) chosen by the database URL. Callers run their work as a
 * function over a transaction handle:
 *
 *   store_read()  runs it in a read-only snapshot;
 *   store_write() runs it atomically, retries it on serialization failures
 *                 or a busy database (so it may run more than once: it must
 *                 touch nothing but the transaction and its own output), and
 *                 returns only when the change is durable on disk. It also
 *                 keeps Idempotency-Key records in the same transaction.
 *
 * Inside the function, the store_* primitives below read and change rows.
 * Every primitive takes the account id first: no query reaches another
 * tenant's rows. Output strings live in the arena passed in.
 *
 * Errors: ERR_NOT_FOUND for a missing row, ERR_UNAVAILABLE when the database
 * cannot be reached or written (disk full, locked, down), ERR_INTERNAL for
 * anything else. Primitives that enforce a constraint say which error they
 * return for it.
 */
#ifndef KINSHIP_STORE_H
#define KINSHIP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/err.h"
#include "../core/mem.h"
#include "../core/secret.h"
#include "../domain/model.h"
#include "../domain/notifications.h"

struct store;
struct store_tx;

struct store_options {
    int pool_size;        /* connections (PostgreSQL) or readers (SQLite) */
    int busy_timeout_ms;  /* how long one statement may wait for a lock */
    int batch_max;        /* SQLite: most writes that share one commit */
    int checkpoint_pages; /* SQLite: WAL pages after which the WAL starts over */
    int connect_timeout_s;
    size_t org_cache_bytes;        /* memory for whole organizations between requests; 0: none */
    int64_t activity_retention_ms; /* activity log entries older than this are purged; 0: kept */
};

/* Seconds libpq may take to open a connection; 0 would wait for ever. */
#define STORE_CONNECT_TIMEOUT_S 5

struct config;

/* The options the settings in `c` ask for (src/core/config.c's table is
 * the one home of every default). */
void store_options_from_config(const struct config *c, struct store_options *o);
/* The options of the settings' defaults. */
void store_options_default(struct store_options *o);

/*
 * Opens the store at `url` ("sqlite:PATH", a plain PATH, or
 * "postgresql://..." / "postgres://...") and applies pending migrations.
 * ERR_UNAVAILABLE when the database cannot be opened; the reason is logged.
 */
enum err store_open(const char *url, const struct store_options *o, struct store **out);
/* Waits for writes in flight, then closes every connection. NULL is a no-op. */
void store_close(struct store *s);
/* "sqlite" or "postgresql". */
const char *store_kind(const struct store *s);
/* True when a call may wait on the network (handlers then leave the HTTP
 * threads for the worker pool). */
bool store_blocks(const struct store *s);
/* True when the database answers a trivial query now. */
bool store_ping(struct store *s);

/*
 * What the store has done since it opened, and its connections now, for
 * GET /metrics. Counters only grow. A backend that keeps no counters leaves
 * `counted` false; backend and pool_max are always filled.
 */
struct store_stats {
    const char *backend; /* store_kind() */
    bool counted;
    uint64_t writes;      /* store_write calls answered */
    uint64_t batches;     /* write transactions run (SQLite: one per group of writes;
                           * PostgreSQL: one per attempt) */
    uint64_t commits;     /* write transactions committed durably */
    uint64_t rollbacks;   /* writes undone: by their own error, a retry, or a failed batch */
    uint64_t unavailable; /* calls answered ERR_UNAVAILABLE (down, locked, disk full, ...) */
    uint64_t internal;    /* calls answered ERR_INTERNAL */
    uint64_t retries;     /* waits on a busy database and retried transactions */
    uint64_t checkpoints; /* SQLite: WAL checkpoints run by the checkpoint thread */
    uint64_t round_trips; /* PostgreSQL: round trips waited for, each a pipeline of what
                           * rides together (BEGIN, the API client's check, queued
                           * statements, the statement, or the COMMIT); a ROLLBACK is
                           * not waited for */
    int64_t pool_in_use;  /* connections handed out now (SQLite: readers) */
    int64_t pool_open;    /* connections open now */
    int64_t pool_max;     /* the most the pool opens (pool_size) */
    int64_t wal_pages;    /* SQLite: the WAL's size in pages after the last commit */
    int64_t write_queue;  /* writes waiting to run (SQLite: for the writer thread;
                           * PostgreSQL: calls waiting for a connection) */
    /* The organization cache (always filled; zeros when it is off). */
    uint64_t org_cache_hits, org_cache_misses;
    int64_t org_cache_entries, org_cache_bytes, org_cache_budget;
};

/* Fills `out` (see struct store_stats). Takes no lock that a request holds
 * for long: cheap enough for every scrape. */
void store_stats(struct store *s, struct store_stats *out);

/*
 * Writes a consistent copy of the whole database to the file `path` while
 * the store keeps serving (SQLite's online backup API: one read snapshot,
 * so writes that commit meanwhile are either wholly in the copy or not at
 * all). The copy is written beside `path` and renamed over it when
 * complete and checked, so `path` never holds half a backup.
 * ERR_UNAVAILABLE when the copy cannot be made (logged), and for a
 * PostgreSQL store, whose backups are pg_dump's job.
 */
enum err store_backup(struct store *s, const char *path);

typedef enum err (*store_fn)(struct store_tx *tx, void *arg);

enum err store_read(struct store *s, store_fn fn, void *arg);

#define IDEM_HASH_LEN 32
#define IDEM_TTL_MS (24LL * 3600 * 1000)

struct store_write {
    /* in */
    store_fn fn;
    void *arg;
    /* Renders the answer to remember (status and a malloc'd body) after fn
     * succeeded, inside the transaction. */
    void (*render)(void *arg, int *status, char **body);
    const char *account_id; /* with idem_key */
    /* NULL, or an API client whose account and secret hash the caller
     * took from its cache: the write confirms it is still active
     * (store_client_check) and answers ERR_UNAUTHORIZED, changing nothing,
     * when it is not; whatever the write itself would have answered. */
    const char *client_id;
    const char *idem_key; /* NULL: no idempotency record */
    /* The activity log entry's actor (the API client) and trace id (the
     * request id); NULL: none. See store_activity_note. */
    const char *actor_id, *trace_id;
    uint8_t idem_hash[IDEM_HASH_LEN];
    /* A dry run: fn and render run as for a real write (every statement,
     * every check, held-back statements flushed so that their errors
     * surface), then the transaction is rolled back instead of committed.
     * The answer is the one the write would have given; nothing changes
     * and no Idempotency-Key record is kept (idem_key is ignored). */
    bool dry_run;
    /* out, when store_write returns ERR_OK */
    bool replayed; /* the answer is the one remembered for idem_key */
    int status;
    char *body; /* the caller frees it */
};

/* ERR_IDEMPOTENCY_CONFLICT when idem_key was used with another hash. */
enum err store_write(struct store *s, struct store_write *w);

/* The end of a store_write_async: `w` as store_write leaves it, and what
 * store_write would return. */
typedef void (*store_write_done)(struct store_write *w, enum err rc, void *arg);

/* True when the backend has store_write_async (SQLite). */
bool store_writes_async(const struct store *s);

/*
 * store_write without waiting, for a backend of store_writes_async: queues
 * `w` and returns; `done` is called exactly once, on the store's writer
 * thread, after the commit that holds the write (or after its failure).
 * `w` and everything its function reads must live until then. When the
 * store is closing, `done` is called at once with ERR_UNAVAILABLE.
 */
void store_write_async(struct store *s, struct store_write *w, store_write_done done, void *arg);

/* ---- accounts and API clients -------------------------------------- */

struct client_row {
    char id[ID_LEN + 1];
    char account_id[ID_LEN + 1];
    const char *account_name;
    int64_t created_at, revoked_at;
};

struct account_row {
    char id[ID_LEN + 1];
    const char *name;
    int64_t created_at;
    int64_t clients; /* active clients */
};

/* Finds the account named `name` or creates it. */
enum err store_account_ensure(struct store_tx *tx, const char *name, int64_t now,
                              char id[ID_LEN + 1]);
/*
 * The test twin's reset (POST /_kinship/reset, docs/console.md; test only:
 * nothing in the API deletes a customer, and this deletes every one of the
 * account's). Deletes, inside the write transaction `tx`, every customer of
 * `account` with its contacts, properties and aliases, every organization
 * and membership, and every Idempotency-Key record. The account and its API
 * clients stay. Errors: the store's (ERR_UNAVAILABLE, ERR_INTERNAL).
 */
enum err store_account_reset(struct store_tx *tx, const char *account);
enum err store_account_list(struct store_tx *tx, struct arena *a, struct account_row **out,
                            size_t *n);
enum err store_client_insert(struct store_tx *tx, const char *account_id, const char *client_id,
                             const uint8_t hash[SECRET_HASH_LEN], int64_t now);
/* ERR_NOT_FOUND for an unknown client. Revoked clients are returned with
 * revoked_at set. */
enum err store_client_get(struct store_tx *tx, const char *client_id, char account_id[ID_LEN + 1],
                          uint8_t hash[SECRET_HASH_LEN], int64_t *revoked_at);
/*
 * Confirms that the API client `client_id`, whose account and secret hash
 * the caller already knows (a client's secret never changes), exists and is
 * not revoked. ERR_UNAUTHORIZED when it is unknown or revoked. A backend
 * may instead carry the check with the transaction's next statement, in the
 * same round trip, and answer ERR_OK now: store_client_confirm then tells.
 */
enum err store_client_check(struct store_tx *tx, const char *client_id);
/* The end of store_client_check, once the transaction's work is done:
 * ERR_OK when the client was active, ERR_UNAUTHORIZED when not (the check
 * runs now if no statement carried it), or the store's error. */
enum err store_client_confirm(struct store_tx *tx);

/*
 * Sends what the backend held back in this transaction and returns its
 * error. A backend may hold back writes that need no answer, to send them
 * with the transaction's next statement or its commit (PostgreSQL, to save
 * round trips): their errors then surface at that later call. A caller that
 * must know which of its steps failed (an import naming the line) flushes
 * after each. ERR_OK when nothing was held back.
 */
enum err store_flush(struct store_tx *tx);
/* ERR_NOT_FOUND for an unknown or already revoked client. */
enum err store_client_revoke(struct store_tx *tx, const char *client_id, int64_t now);
enum err store_client_list(struct store_tx *tx, struct arena *a, struct client_row **out,
                           size_t *n);

/* ---- customers ------------------------------------------------------ */

/* Inserts the customer row, its contacts (ids and times set by the caller)
 * and its custom properties. */
enum err store_customer_insert(struct store_tx *tx, const char *account, const struct customer *c);
/*
 * Replaces the customer's fields; archives its active contacts and inserts
 * c->contacts; replaces its custom properties when `replace_props`.
 * ERR_NOT_FOUND for an unknown customer.
 */
enum err store_customer_update(struct store_tx *tx, const char *account, const struct customer *c,
                               bool replace_props);
/* The whole customer: row, active contacts, properties, and organizations
 * it is a member of. ERR_NOT_FOUND for an unknown customer. */
enum err store_customer_get(struct store_tx *tx, struct arena *a, const char *account,
                            const char *id, struct customer *out);
/* Sets archived_at when not yet set. ERR_NOT_FOUND for an unknown one. */
enum err store_customer_archive(struct store_tx *tx, const char *account, const char *id,
                                int64_t now);

/* What the organization rules need to know of a customer. */
struct customer_brief {
    bool found, archived;
    const char *legal_name;
};

/* One brief per id (ids need not be UUIDs: those are simply not found). */
enum err store_customer_briefs(struct store_tx *tx, struct arena *a, const char *account,
                               const char *const *ids, size_t n, struct customer_brief *out);

/* ---- lists ------------------------------------------------------------ */

/*
 * Keyset pagination. `key` is the sort value of the row a cursor points at
 * (a decimal string of created_at for the default sort); rows are ordered
 * by (key, id) in `desc` order. With `after`, rows past the cursor; with
 * `before`, rows ahead of it (returned in page order all the same).
 */
struct page_query {
    int limit;
    bool desc;
    bool has_cursor, cursor_after; /* cursor_after: true for after, false for before */
    const char *cursor_key;        /* NULL means SQL NULL sorted as "" */
    char cursor_id[ID_LEN + 1];
};

struct page_result {
    bool has_next, has_prev; /* rows exist past the last / ahead of the first */
    int64_t total;           /* rows matching the filters, all pages */
};

enum customer_sort { SORT_CREATED_AT, SORT_LEGAL_NAME, SORT_LABEL, SORT_PROPERTY };

struct customer_query {
    const char *legal_name, *email, *alias, *label; /* filters; NULL: none */
    bool include_archived;
    enum customer_sort sort;
    const char *sort_property; /* with SORT_PROPERTY */
    struct page_query page;
};

/*
 * A page of customers (with properties and organizations, without
 * contacts). keys[i] is the sort key of items[i], for cursors.
 * legal_name and label filter by case-insensitive substring, email by a
 * contact's exact email (case-insensitive), alias by an alias value.
 */
enum err store_customer_list(struct store_tx *tx, struct arena *a, const char *account,
                             const struct customer_query *q, struct customer **items,
                             const char ***keys, size_t *n, struct page_result *pr);
/* Distinct custom property keys of the account's customers, sorted. */
enum err store_property_keys(struct store_tx *tx, struct arena *a, const char *account,
                             const char ***out, size_t *n);

/* ---- contacts ---------------------------------------------------------- */

enum err store_contact_list(struct store_tx *tx, struct arena *a, const char *account,
                            const char *customer_id, bool include_archived, struct contact **out,
                            size_t *n);
enum err store_contact_get(struct store_tx *tx, struct arena *a, const char *account,
                           const char *customer_id, const char *id, struct contact *out);
enum err store_contact_insert(struct store_tx *tx, const char *account, const char *customer_id,
                              const struct contact *c);
/* Writes name, email, pref, updated_at and archived_at of contact c->id. */
enum err store_contact_update(struct store_tx *tx, const char *account, const char *customer_id,
                              const struct contact *c);

/* ---- aliases ------------------------------------------------------------ */

/* ERR_ALIAS_EXISTS when an undeleted alias of the account has the value. */
enum err store_alias_insert(struct store_tx *tx, const char *account, const struct alias *al);
/* Deleted aliases are not found. */
enum err store_alias_get(struct store_tx *tx, struct arena *a, const char *account, const char *id,
                         struct alias *out);
enum err store_alias_get_by_value(struct store_tx *tx, struct arena *a, const char *account,
                                  const char *value, struct alias *out);
/* Undeleted aliases, newest first unless page.desc is false; `value`
 * filters by exact value. Keys are ids. */
enum err store_alias_list(struct store_tx *tx, struct arena *a, const char *account,
                          const char *value, const struct page_query *pq, struct alias **out,
                          size_t *n, struct page_result *pr);
enum err store_alias_list_for_customer(struct store_tx *tx, struct arena *a, const char *account,
                                       const char *customer_id, struct alias **out, size_t *n);
/* Writes label (NULL clears it) and deleted_at of alias al->id. */
enum err store_alias_update(struct store_tx *tx, const char *account, const struct alias *al);

/* ---- organizations -------------------------------------------------------- */

/* Inserts the organization and its members in order. ERR_ORGANIZATION_EXISTS
 * when the owner already owns one. */
enum err store_org_insert(struct store_tx *tx, const char *account, const struct organization *o);
/* With owner and member names. ERR_NOT_FOUND for an unknown id. */
enum err store_org_get(struct store_tx *tx, struct arena *a, const char *account, const char *id,
                       struct organization *out);
/*
 * Tells the store that `o` is exactly what store_org_get would return in
 * this transaction now (a write that has just changed it knows), so that
 * the next read of it needs no rows. Sets o->rev. A no-op without an
 * organization cache; errors are the rev lookup's.
 */
enum err store_org_remember(struct store_tx *tx, const char *account, struct organization *o);
/* The id of the organization `owner_id` owns; ERR_NOT_FOUND when none. */
enum err store_org_id_by_owner(struct store_tx *tx, const char *account, const char *owner_id,
                               char out[ID_LEN + 1]);
/* Appends the ids that are not yet members, in the order given. */
enum err store_org_members_add(struct store_tx *tx, const char *account, const char *org_id,
                               const char *const *ids, size_t n);
/* Removes every member. */
enum err store_org_members_clear(struct store_tx *tx, const char *account, const char *org_id);
/* ERR_NOT_FOUND when the customer is not a member. */
enum err store_org_member_remove(struct store_tx *tx, const char *account, const char *org_id,
                                 const char *customer_id);
enum err store_org_member_count(struct store_tx *tx, const char *account, const char *org_id,
                                int64_t *n);
/* Deletes the organization and its memberships. ERR_NOT_FOUND when none. */
enum err store_org_delete(struct store_tx *tx, const char *account, const char *org_id);
/* True when `descendant` is `ancestor` or sits below it: reachable through
 * "owner of an organization -> its members" steps. */
enum err store_org_reaches(struct store_tx *tx, const char *account, const char *ancestor,
                           const char *descendant, bool *out);
/*
 * Call before the checks of a write that makes ids[0..n) members of the
 * organization `owner` owns (or would own): the rules it checks then hold
 * until the transaction ends, across processes, for every write that calls
 * it too. R6: no concurrent write adds an edge into `owner` or above it, or
 * out of an id; R1 and R2: writes for the same owner run one after the
 * other; R5 and R9: an archive of `owner` or of an id waits for this
 * transaction, and one that committed first is seen. Everything read
 * before the call may have changed since: read again what the checks use.
 *
 * On PostgreSQL, transaction-scoped locks (docs/postgresql.md); *locked is
 * then true and closes[i] says whether ids[i] is `owner` or sits above it,
 * so that making it a member would close a cycle (R6, no store_org_reaches
 * needed). On SQLite, whose single writer runs one write at a time, nothing
 * is done: *locked is false and `closes` untouched.
 */
enum err store_hierarchy_lock(struct store_tx *tx, const char *account, const char *owner,
                              const char *const *ids, size_t n, bool *closes, bool *locked);
/* Organizations, newest first unless page.desc is false, filtered by owner
 * and by member (NULL: no filter). Keys are ids. */
enum err store_org_list(struct store_tx *tx, struct arena *a, const char *account,
                        const char *owner_id, const char *member_id, const struct page_query *pq,
                        struct organization **out, size_t *n, struct page_result *pr);

/* ---- answer sizes ------------------------------------------------------- */

/*
 * What an answer embeds of organizations, counted without reading them, so
 * that one too large to send is refused before its rows are loaded: `orgs`
 * organization objects, `entries` owners and members in them, and
 * `name_bytes`, a floor of the bytes of their names (owners' names may be
 * left out). An organization embedded twice (two customers of a page in
 * it) counts twice, as it is rendered twice. See organization_text_floor.
 *
 * `limit` is the caller's: the answer limit (0: none) that the counts are
 * for. A backend where a count is a round trip of its own (PostgreSQL) may
 * instead guard the read that follows in the same transaction: the
 * store_*_extent call then answers counts that fit, and that read fails
 * with ERR_ANSWER_TOO_LARGE, before anything of it is loaded, when the
 * answer's floor passes `limit`; store_extent_refused then tells the
 * counts. Only the next read of the transaction is guarded.
 */
struct org_extent {
    int64_t orgs, entries, name_bytes;
    int64_t limit; /* in: set by the caller, kept by the calls below */
};

/* The organizations the answers for customers ids[0..n) embed (each of
 * their organizations, whole). Unknown ids embed nothing. */
enum err store_customers_extent(struct store_tx *tx, const char *account, const char *const *ids,
                                size_t n, struct org_extent *out);
/* The organizations ids[0..n) (unknown ones count as nothing). */
enum err store_orgs_extent(struct store_tx *tx, const char *account, const char *const *ids,
                           size_t n, struct org_extent *out);
/* What the page store_customer_list(q) answers embeds, found from the
 * page's keyset alone (no organization loaded). */
enum err store_customer_list_extent(struct store_tx *tx, struct arena *a, const char *account,
                                    const struct customer_query *q, struct org_extent *out);
/* The same for the page store_org_list answers. */
enum err store_org_list_extent(struct store_tx *tx, struct arena *a, const char *account,
                               const char *owner_id, const char *member_id,
                               const struct page_query *pq, struct org_extent *out);
/* ---- notification policies ----------------------------------------- */

/* ERR_CONFLICT when the account has a policy with p->id already. */
enum err store_policy_insert(struct store_tx *tx, const char *account,
                             const struct notification_policy *p);
/* The policy; in a write its row stays locked until the transaction ends
 * (PostgreSQL), so a read-change-write of it is atomic. ERR_NOT_FOUND. */
enum err store_policy_get(struct store_tx *tx, struct arena *a, const char *account, const char *id,
                          struct notification_policy *out);
/* Writes the types (all_types, types) and recipients of policy p->id.
 * ERR_NOT_FOUND when there is none. */
enum err store_policy_update(struct store_tx *tx, const char *account,
                             const struct notification_policy *p);
/* ERR_NOT_FOUND when there is none. */
enum err store_policy_delete(struct store_tx *tx, const char *account, const char *id);
/* Policies, newest first unless page.desc is false; with `type`, only
 * those that list it or list none (every type). Keys are ids. */
enum err store_policy_list(struct store_tx *tx, struct arena *a, const char *account,
                           const char *type, const struct page_query *pq,
                           struct notification_policy **out, size_t *n, struct page_result *pr);

/* ---- the activity log -------------------------------------------------- */

/*
 * Inside a store_write's function: the write did `verb` to the object
 * `object_id` of `object_type`, which belongs to the customer `entity_id`
 * (NULL: none). When the function succeeds, the store records the entry in
 * the same transaction (actor and trace id from the write; a replayed
 * Idempotency-Key records nothing); when it fails, nothing is recorded. A
 * later call replaces an earlier one of the same run. Strings are borrowed
 * until the function returns. Ignored outside a write.
 */
void store_activity_note(struct store_tx *tx, const char *object_type, const char *verb,
                         const char *object_id, const char *entity_id);

/* ---- the outbox ---------------------------------------------------------- */

/* Most events one write emits. */
#define STORE_EVENTS_MAX 4

/*
 * Inside a store_write's function: the write emits the event `type` about
 * `resource_type` `resource_id` (with `detail`, JSON text, or NULL). As with
 * store_activity_note, the store records it in the same transaction when
 * the function succeeds, and only when a policy of the account matches the
 * type then (one that lists it, or for Sequence's types one that lists
 * none); nothing when it fails. Events past STORE_EVENTS_MAX are dropped
 * (a programming error: the caller's table in docs/notifications.md says
 * how many it emits). Strings borrowed until the function returns.
 */
void store_event_note(struct store_tx *tx, const char *type, const char *resource_type,
                      const char *resource_id, const char *detail);

struct activity_query {
    const char *object_id, *entity_id; /* filters; NULL: none */
    struct page_query page;            /* keys are ids (newest first by default) */
};

/* ERR_NOT_FOUND for an unknown (or purged) entry. */
enum err store_activity_get(struct store_tx *tx, struct arena *a, const char *account,
                            const char *id, struct activity_entry *out);
enum err store_activity_list(struct store_tx *tx, struct arena *a, const char *account,
                             const struct activity_query *q, struct activity_entry **out, size_t *n,
                             struct page_result *pr);
/* After a read failed with ERR_ANSWER_TOO_LARGE: true, and the counts
 * that refused it in *out (its limit kept), when a guard of the extent
 * calls above refused it; false otherwise (and always on SQLite, which
 * counts in the extent calls themselves). */
bool store_extent_refused(struct store_tx *tx, struct org_extent *out);
/* ---- the hierarchy as a tree (tree.c of each backend) ------------------- */

/*
 * One customer of a tree read. Each customer appears once, at its minimum
 * depth (the fewest owner -> member steps from the customer the read starts
 * from); `links` gives every path all the same: the customers the walk
 * reached it from. For an ancestor, the customers of the answer (the start
 * included) that are members of the organization it owns; for a descendant,
 * the owners within the answer (the start included) at a depth less than
 * the walk's max_depth, of organizations it is a member of. Sorted by id.
 */
struct tree_node {
    char id[ID_LEN + 1];
    const char *legal_name;
    bool archived;
    int depth;
    char org_id[ID_LEN + 1]; /* ancestors: the organization it owns; "" otherwise */
    const char **links;
    size_t n_links;
};

/*
 * Every customer above `id` (owners of organizations it is a member of,
 * their owners, and so on), nearest first: by depth, then id. Walks at most
 * `max_depth` steps. ERR_NOT_FOUND for an unknown customer.
 */
enum err store_tree_ancestors(struct store_tx *tx, struct arena *a, const char *account,
                              const char *id, int max_depth, struct tree_node **out, size_t *n);

/*
 * A page of the customers below `root` (a customer id, or with `root_is_org`
 * an organization id standing for its owner), breadth-first: keyset on
 * (depth, id), depth from 1 to `max_depth`. The cursor key is the depth as
 * a decimal. pr->total counts them all; `seed` (when not NULL) receives the
 * root customer's id. ERR_NOT_FOUND for an unknown root;
 * ERR_CURSOR_INVALID for a cursor key that is not a depth.
 */
enum err store_tree_descendants(struct store_tx *tx, struct arena *a, const char *account,
                                const char *root, bool root_is_org, int max_depth,
                                const struct page_query *pq, struct tree_node **out, size_t *n,
                                struct page_result *pr, char *seed);

/*
 * For the depth limit: *up is the longest chain of owner -> member steps
 * from a customer at the top down to `owner`, and down[i] the longest chain
 * below ids[i], each counted up to `cap` steps (a longer one reads as cap).
 * Call after store_hierarchy_lock: docs/postgresql.md says why the answer
 * then stays true.
 */
enum err store_tree_heights(struct store_tx *tx, const char *account, const char *owner,
                            const char *const *ids, size_t n, int cap, int *up, int *down);

#endif
