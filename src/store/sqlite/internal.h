/*
 * Internals of the SQLite backend (only src/store/sqlite includes this).
 *
 * engine.c owns connections, the reader pool, the group-commit writer and
 * the checkpointer; backup.c the online backup; migrations.c the schema
 * and its runner. statements.c holds every fixed statement's SQL, the
 * per-connection statement caches and the helpers that prepare, bind and
 * step them; each resource file (accounts.c, customers.c, contacts.c,
 * aliases.c, organizations.c, lists.c) holds the primitives of the backend
 * table over them, and backend.c the table itself.
 */
#ifndef KINSHIP_STORE_SQLITE_INTERNAL_H
#define KINSHIP_STORE_SQLITE_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "../backend.h"

struct buf;

/* ---- connections ---- */

/* Upper bounds of the per-connection statement caches (statements.c checks
 * its statement count against the first at compile time). */
#define SQLITE_FIXED_MAX 80
#define SQLITE_DYN_MAX 48

/* Transaction control statements, prepared once per connection. */
enum sqlite_ctl {
    CTL_BEGIN,
    CTL_BEGIN_IMMEDIATE,
    CTL_COMMIT,
    CTL_ROLLBACK,
    CTL_SAVEPOINT,
    CTL_RELEASE,
    CTL_ROLLBACK_TO,
    CTL__COUNT
};

/* One database connection and its prepared statements. It is used by one
 * thread at a time: the writer thread, or a reader holding it from the pool. */
struct store__sqlite_conn {
    sqlite3 *db;
    /* An I/O-class error (disk full, I/O error, read-only, corrupt, out of
     * memory) hit the current transaction: the writer must not commit it. */
    bool fault;
    struct store__sqlite_conn *next; /* the reader pool's free list */
    sqlite3_stmt *ctl[CTL__COUNT];
    sqlite3_stmt *fixed[SQLITE_FIXED_MAX]; /* by enum store__sqlite_stmt */
    struct {
        uint32_t key; /* the statement's shape; 0 for an empty slot */
        sqlite3_stmt *st;
    } dyn[SQLITE_DYN_MAX];
    unsigned dyn_next; /* the slot to evict next */
};

struct store__sqlite_tx {
    struct store_tx base;
    struct store__sqlite_conn *c;
};

static inline struct store__sqlite_conn *store__sqlite_conn_of(struct store_tx *tx)
{
    return ((struct store__sqlite_tx *)tx)->c;
}

#define TX_CONN(tx) store__sqlite_conn_of(tx)

/* ---- the engine (engine.c) ---- */

/* The checkpoint cycle, see engine.c's checkpointer_main. */
enum ck_state {
    CK_IDLE,     /* the WAL is under ck_next pages */
    CK_PASS,     /* the thread is copying the WAL into the database */
    CK_CATCH_UP, /* the writer copies the rest before its next batch */
};

struct store__sqlite_job;

/* The SQLite store: struct store, then what the engine keeps. */
struct store__sqlite_store {
    struct store base;
    char *path;

    /* The writer: a FIFO of jobs under `mu`, served by one thread. */
    pthread_mutex_t mu;
    pthread_cond_t wake; /* a job was queued, or stopping */
    struct store__sqlite_job *head, *tail;
    int64_t queued; /* jobs in the FIFO */
    bool stopping;
    bool writer_running;
    pthread_t writer;
    struct store__sqlite_conn *wconn;
    struct arena *warena;             /* scratch of the jobs, reset after each batch */
    struct store__sqlite_job **batch; /* batch_max slots */

    /* The readers: free connections under `rmu`, at most pool_size open. */
    pthread_mutex_t rmu;
    pthread_cond_t rfree_cv;
    struct store__sqlite_conn *rfree;
    int ropen, rfree_n;

    /* The checkpointer: woken by the writer's WAL hook, see checkpointer_main. */
    pthread_mutex_t ckmu;
    pthread_cond_t ckwake;
    atomic_int ck_state; /* enum ck_state; moves under ckmu */
    bool ck_stopping, ck_running;
    atomic_llong ck_next;   /* WAL pages that start the next pass */
    atomic_llong wal_pages; /* the WAL's size after the last commit */
    pthread_t ckpt;
    sqlite3 *ckdb; /* the checkpointer's own connection */

    /* For store_stats: counters only grow. */
    struct store__counters n;
    atomic_ullong n_checkpoints;
};

/*
 * Waiting out another connection's lock, for up to busy_timeout_ms in all.
 * The connection's busy handler already waits inside each try; this loop
 * covers the busy answers SQLite gives without waiting: a lock upgrade that
 * could deadlock (two new processes setting WAL mode at once), WAL recovery.
 */
struct store__sqlite_patience {
    int64_t deadline, delay;
    struct store__sqlite_store *s;
};

void store__sqlite_patience_start(struct store__sqlite_store *s, struct store__sqlite_patience *p);
/* True, after a pause, when `rc` is a busy answer worth another try. */
bool store__sqlite_patience_retry(struct store__sqlite_patience *p, int rc);

/* store__sqlite_ctl_run (statements.c), trying again while the database
 * is busy (patience). */
int store__sqlite_ctl_run_patiently(struct store__sqlite_store *s, struct store__sqlite_conn *c,
                                    enum sqlite_ctl which);

/* A connection from the reader pool (opened when none is free and fewer
 * than pool_size are open), and its return. */
enum err store__sqlite_reader_take(struct store__sqlite_store *s, struct store__sqlite_conn **out);
void store__sqlite_reader_give(struct store__sqlite_store *s, struct store__sqlite_conn *c);

/*
 * Opens the SQLite store at `path` with the backend table `be`: the writer
 * connection, pragmas, migrations, the writer thread. ERR_UNAVAILABLE when
 * the file cannot be opened or migrated; the reason is logged.
 */
enum err store__sqlite_engine_open(const char *path, const struct store_options *o,
                                   const struct store_backend *be, struct store **out);
/* The engine's entries of the backend table (see backend.h). */
void store__sqlite_close(struct store *s);
bool store__sqlite_ping(struct store *s);
enum err store__sqlite_read(struct store *s, store_fn fn, void *arg);
void store__sqlite_write_async(struct store *s, struct store_write *w, store_write_done done,
                               void *arg);
enum err store__sqlite_write(struct store *s, struct store_write *w);
void store__sqlite_stats(struct store *s, struct store_stats *out);
/* store_backup of a SQLite store (backup.c). */
enum err store__sqlite_backup(struct store *s, const char *path);

/* Applies the pending migrations (migrations.c) on the writer connection,
 * in one transaction. ERR_UNAVAILABLE when they cannot be (logged). */
enum err store__sqlite_migrate(struct store__sqlite_store *s, struct store__sqlite_conn *c);

/* ---- statements (statements.c) ---- */

/* Prepares the connection's control statements (c->ctl). */
enum err store__sqlite_prep_ctl(struct store__sqlite_conn *c);
/* Runs a control statement to completion; returns its result code. */
int store__sqlite_ctl_run(struct store__sqlite_conn *c, enum sqlite_ctl which);

/*
 * Maps a failed SQLite result code (an extended one) to the store's errors
 * and logs it: I/O-class errors become ERR_UNAVAILABLE and mark c->fault;
 * busy or locked become ERR_UNAVAILABLE; constraint violations become
 * ERR_CONFLICT (logged at debug level only: callers map the ones they
 * expect to domain errors); anything else is ERR_INTERNAL. `what` names
 * the operation (an SQL text is cut short).
 */
enum err store__sqlite_fail(struct store__sqlite_conn *c, int rc, const char *what);

/* The fixed statements, prepared once per connection on first use. Their
 * SQL is statements.c's table. */
enum store__sqlite_stmt {
    Q_IDEM_GET,
    Q_IDEM_PUT,
    Q_IDEM_EXPIRE,
    Q_ACCOUNT_BY_NAME,
    Q_ACCOUNT_INSERT,
    Q_ACCOUNT_LIST,
    Q_CLIENT_INSERT,
    Q_CLIENT_GET,
    Q_CLIENT_REVOKE,
    Q_CLIENT_LIST,
    Q_CUSTOMER_GET,
    Q_CUSTOMER_INSERT,
    Q_CUSTOMER_UPDATE,
    Q_CUSTOMER_ARCHIVE,
    Q_CUSTOMER_BRIEF,
    Q_CUSTOMERS_UNORDERED,
    Q_PROPS_GET,
    Q_PROPS_DELETE,
    Q_PROP_INSERT,
    Q_PROPERTY_KEYS,
    Q_CONTACTS_ACTIVE,
    Q_CONTACTS_ALL,
    Q_CONTACT_GET,
    Q_CONTACT_INSERT,
    Q_CONTACT_UPDATE,
    Q_CONTACTS_ARCHIVE,
    Q_ALIAS_INSERT,
    Q_ALIAS_GET,
    Q_ALIAS_GET_BY_VALUE,
    Q_ALIASES_OF_CUSTOMER,
    Q_ALIAS_UPDATE,
    Q_ORG_INSERT,
    Q_ORG_GET,
    Q_ORG_MEMBERS,
    Q_ORG_BY_OWNER,
    Q_ORGS_OF_MEMBER,
    Q_PAGE_PROPS,
    Q_PAGE_ORG_IDS,
    Q_ORG_MAX_POSITION,
    Q_ORG_MEMBER_INSERT,
    Q_ORG_MEMBERS_CLEAR,
    Q_ORG_MEMBER_REMOVE,
    Q_ORG_MEMBER_COUNT,
    Q_ORG_DELETE,
    Q_ORG_REACHES,
    Q_ORG_REV,
    Q_ORG_BUMP,
    Q_CUSTOMERS_ORG_EXTENT,
    Q_ORGS_EXTENT,
    /* notification policies and the activity log */
    Q_POLICY_INSERT,
    Q_POLICY_GET,
    Q_POLICY_UPDATE,
    Q_POLICY_DELETE,
    Q_ACTIVITY_INSERT,
    Q_ACTIVITY_PURGE,
    Q_ACTIVITY_GET,
    Q_EVENT_INSERT,
    Q__COUNT
};

/* The columns row readers expect, in this order. */
#define CUSTOMER_COLS                                                                              \
    "c.id, c.legal_name, c.url, c.label, c.tax_status, c.status, c.line1, c.line2, c.town, "       \
    "c.state, c.postcode, c.country, c.integrations, c.created_at, c.updated_at, c.archived_at"
#define CUSTOMER_NCOLS 16
#define CONTACT_COLS "id, name, email, billing_preference, created_at, updated_at, archived_at"
#define ALIAS_COLS "id, customer_id, value, label, created_at, deleted_at"
#define POLICY_COLS "id, name, channel, webhook_secret, types, recipients, created_at"
#define ACTIVITY_COLS                                                                              \
    "id, item_id, created_at, trace_id, actor_id, object_type, object_id, entity_id, verb"

/*
 * The values a statement binds to ?1, ?2, ... in order: SQ_ARGS(SQ_TEXT(a),
 * SQ_INT(n)). Texts and blobs are bound without copies (they must outlive
 * the call; the helpers clear the bindings before they return); a NULL
 * text binds NULL, and so does a time of 0 ("not set"). SQ_SKIP leaves a
 * parameter the statement does not use.
 */
enum store__sqlite_kind { SQK_SKIP, SQK_TEXT, SQK_INT, SQK_TIME, SQK_BLOB };

struct store__sqlite_val {
    enum store__sqlite_kind kind;
    const void *p; /* SQK_TEXT, SQK_BLOB */
    int64_t i;     /* SQK_INT, SQK_TIME; the length of SQK_BLOB */
};

struct store__sqlite_args {
    const struct store__sqlite_val *v;
    size_t n;
};

#define SQ_SKIP ((struct store__sqlite_val){.kind = SQK_SKIP})
#define SQ_TEXT(s) ((struct store__sqlite_val){.kind = SQK_TEXT, .p = (s)})
#define SQ_INT(x) ((struct store__sqlite_val){.kind = SQK_INT, .i = (x)})
#define SQ_TIME(x) ((struct store__sqlite_val){.kind = SQK_TIME, .i = (x)})
#define SQ_BLOB(b, len) ((struct store__sqlite_val){.kind = SQK_BLOB, .p = (b), .i = (len)})
#define SQ_NONE ((struct store__sqlite_args){NULL, 0})
#define SQ_ARGS(...)                                                                               \
    ((struct store__sqlite_args){(const struct store__sqlite_val[]){__VA_ARGS__},                  \
                                 sizeof((const struct store__sqlite_val[]){__VA_ARGS__}) /         \
                                     sizeof(struct store__sqlite_val)})

/* Reads the current row of `st` into `elem`, the i-th row of a result. */
typedef enum err (*store__sqlite_row_fn)(void *ctx, struct arena *a, sqlite3_stmt *st, void *elem,
                                         size_t i);

/* The row reader of a list of strings: column 0 into a const char *. */
enum err store__sqlite_text_row(void *ctx, struct arena *a, sqlite3_stmt *st, void *elem, size_t i);

/* Writes the SQL of the dynamic statement `shape` into b. */
typedef void (*store__sqlite_sql_fn)(struct buf *b, uint32_t shape);

/* Statement `id` of the connection, prepared on first use. */
enum err store__sqlite_prep(struct store__sqlite_conn *c, enum store__sqlite_stmt id,
                            sqlite3_stmt **out);
/* A statement whose text is a function of `shape` (never 0), from a small
 * cache of the connection (the oldest one goes when it is full). */
enum err store__sqlite_prep_dyn(struct store__sqlite_conn *c, uint32_t shape,
                                store__sqlite_sql_fn build, sqlite3_stmt **out);
/* Runs `sql`, a statement of one row (a pragma), and copies the text of
 * its first column into `out`. SQLITE_OK, or the result code that failed
 * (SQLITE_DONE: no row). For the engine's own statements, not cached. */
int store__sqlite_query_text(sqlite3 *db, const char *sql, char *out, size_t cap);
/* Binds args to ?1..?n of st; only those the statement has when `some`.
 * A failed bind (a value too big, or a bug) is logged, st reset. */
enum err store__sqlite_bind(struct store__sqlite_conn *c, sqlite3_stmt *st,
                            struct store__sqlite_args args, bool some);
/*
 * Ends one use of `st`: maps the last step result (SQLITE_ROW and
 * SQLITE_DONE are success), then resets the statement and drops its
 * bindings (they point into the caller's strings).
 */
enum err store__sqlite_finish(struct store__sqlite_conn *c, sqlite3_stmt *st, int src);

/* Where store__sqlite_collect puts rows: an arena array of `size`-byte
 * elements, each read by `row`. */
struct store__sqlite_rows {
    size_t size;
    store__sqlite_row_fn row;
    void *ctx;
    void *items; /* NULL while there are no rows */
    size_t n, cap;
};

/* Steps st for up to `max` rows into r, then finishes it; *more (when not
 * NULL) tells whether a row followed them. A row reader's error ends it. */
enum err store__sqlite_collect(struct store__sqlite_conn *c, sqlite3_stmt *st, struct arena *a,
                               struct store__sqlite_rows *r, size_t max, bool *more);

/*
 * The common runs of fixed statement `id` with `args`. exec runs one that
 * returns no rows, `*src` (when not NULL) receiving the step's result
 * code, so that callers can tell constraint violations apart; changed is
 * exec, then ERR_NOT_FOUND when no row changed. get reads the one row
 * into `elem` (ERR_NOT_FOUND without one); list reads every row into an
 * arena array whose address goes to `out` (the address of the caller's
 * `T *`; NULL when no rows), *n their count; strings lists column 0; id
 * and int read column 0 of the one row (ERR_NOT_FOUND without one).
 */
enum err store__sqlite_exec(struct store__sqlite_conn *c, enum store__sqlite_stmt id,
                            struct store__sqlite_args args, int *src);
enum err store__sqlite_changed(struct store__sqlite_conn *c, enum store__sqlite_stmt id,
                               struct store__sqlite_args args, int *src);
enum err store__sqlite_get(struct store__sqlite_conn *c, enum store__sqlite_stmt id,
                           struct store__sqlite_args args, struct arena *a,
                           store__sqlite_row_fn row, void *ctx, void *elem);
enum err store__sqlite_list(struct store__sqlite_conn *c, enum store__sqlite_stmt id,
                            struct store__sqlite_args args, struct arena *a, size_t size,
                            store__sqlite_row_fn row, void *ctx, void *out, size_t *n);
enum err store__sqlite_strings(struct store__sqlite_conn *c, enum store__sqlite_stmt id,
                               struct store__sqlite_args args, struct arena *a, const char ***out,
                               size_t *n);
enum err store__sqlite_id(struct store__sqlite_conn *c, enum store__sqlite_stmt id,
                          struct store__sqlite_args args, char out[ID_LEN + 1]);
enum err store__sqlite_int(struct store__sqlite_conn *c, enum store__sqlite_stmt id,
                           struct store__sqlite_args args, int64_t *out);

/* Column readers: text into the arena (NULL for NULL), an id into a fixed
 * buffer (cut at ID_LEN), a blob of exactly `len` bytes (false otherwise).
 * Inline: a list page calls them thousands of times from every resource's
 * file. */
static inline const char *store__sqlite_col_str(struct arena *a, sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    if (!t)
        return NULL;
    return arena_strndup(a, (const char *)t, (size_t)sqlite3_column_bytes(st, i));
}

static inline void store__sqlite_col_id(sqlite3_stmt *st, int i, char out[ID_LEN + 1])
{
    const unsigned char *t = sqlite3_column_text(st, i);
    size_t n = t ? (size_t)sqlite3_column_bytes(st, i) : 0;
    if (n > ID_LEN)
        n = ID_LEN;
    if (n)
        memcpy(out, t, n);
    out[n] = '\0';
}

static inline bool store__sqlite_col_blob(sqlite3_stmt *st, int i, uint8_t *out, size_t len)
{
    const void *p = sqlite3_column_blob(st, i);
    if (!p || (size_t)sqlite3_column_bytes(st, i) != len)
        return false;
    memcpy(out, p, len);
    return true;
}
/* Grows an arena array to hold n + 1 elements. */
void *store__sqlite_grow(struct arena *a, void *p, size_t n, size_t *cap, size_t size);
/* Logs a value the database should never hold; ERR_INTERNAL. */
enum err store__sqlite_corrupt(const char *what);

/* ---- the primitives of the backend table (see backend.h) ---- */

/* accounts.c */
enum err store__sqlite_idem_get(struct store_tx *tx, struct arena *a, const char *account,
                                const char *key, struct idem_record *out);
enum err store__sqlite_idem_put(struct store_tx *tx, const char *account, const char *key,
                                const struct idem_record *r);
enum err store__sqlite_account_ensure(struct store_tx *tx, const char *name, int64_t now,
                                      char id[ID_LEN + 1]);
enum err store__sqlite_account_reset(struct store_tx *tx, const char *account);
enum err store__sqlite_account_list(struct store_tx *tx, struct arena *a, struct account_row **out,
                                    size_t *n);
enum err store__sqlite_client_insert(struct store_tx *tx, const char *account_id,
                                     const char *client_id, const uint8_t hash[SECRET_HASH_LEN],
                                     int64_t now);
enum err store__sqlite_client_get(struct store_tx *tx, const char *client_id,
                                  char account_id[ID_LEN + 1], uint8_t hash[SECRET_HASH_LEN],
                                  int64_t *revoked_at);
enum err store__sqlite_client_revoke(struct store_tx *tx, const char *client_id, int64_t now);
enum err store__sqlite_client_list(struct store_tx *tx, struct arena *a, struct client_row **out,
                                   size_t *n);

/* customers.c; the row reader reads CUSTOMER_COLS into a struct customer
 * (elem), as lists.c does too. */
enum err store__sqlite_customer_from_row(void *ctx, struct arena *a, sqlite3_stmt *st, void *elem,
                                         size_t i);
enum err store__sqlite_customer_row_get(struct store_tx *tx, struct arena *a, const char *account,
                                        const char *id, struct customer *out);
enum err store__sqlite_customer_insert(struct store_tx *tx, const char *account,
                                       const struct customer *c);
enum err store__sqlite_customer_update(struct store_tx *tx, const char *account,
                                       const struct customer *c, bool replace_props);
enum err store__sqlite_customer_archive(struct store_tx *tx, const char *account, const char *id,
                                        int64_t now);
enum err store__sqlite_customer_briefs(struct store_tx *tx, struct arena *a, const char *account,
                                       const char *const *ids, size_t n,
                                       struct customer_brief *out);
enum err store__sqlite_customer_props(struct store_tx *tx, struct arena *a, const char *account,
                                      const char *customer_id, struct property **out, size_t *n);
enum err store__sqlite_property_keys(struct store_tx *tx, struct arena *a, const char *account,
                                     const char ***out, size_t *n);
enum err store__sqlite_customers_props(struct store_tx *tx, struct arena *a, const char *account,
                                       struct customer *items, size_t n);
enum err store__sqlite_customers_org_ids(struct store_tx *tx, struct arena *a, const char *account,
                                         const struct customer *items, size_t n, const char ***ids,
                                         size_t *n_ids);

/* contacts.c */
enum err store__sqlite_contact_list(struct store_tx *tx, struct arena *a, const char *account,
                                    const char *customer_id, bool include_archived,
                                    struct contact **out, size_t *n);
enum err store__sqlite_contact_get(struct store_tx *tx, struct arena *a, const char *account,
                                   const char *customer_id, const char *id, struct contact *out);
enum err store__sqlite_contact_insert(struct store_tx *tx, const char *account,
                                      const char *customer_id, const struct contact *c);
enum err store__sqlite_contact_update(struct store_tx *tx, const char *account,
                                      const char *customer_id, const struct contact *c);

/* aliases.c; the row reader reads ALIAS_COLS into a struct alias (elem) of
 * the account `ctx`, as lists.c does too. */
enum err store__sqlite_alias_from_row(void *ctx, struct arena *a, sqlite3_stmt *st, void *elem,
                                      size_t i);
enum err store__sqlite_alias_insert(struct store_tx *tx, const char *account,
                                    const struct alias *al);
enum err store__sqlite_alias_get(struct store_tx *tx, struct arena *a, const char *account,
                                 const char *id, struct alias *out);
enum err store__sqlite_alias_get_by_value(struct store_tx *tx, struct arena *a, const char *account,
                                          const char *value, struct alias *out);
enum err store__sqlite_alias_list_for_customer(struct store_tx *tx, struct arena *a,
                                               const char *account, const char *customer_id,
                                               struct alias **out, size_t *n);
enum err store__sqlite_alias_update(struct store_tx *tx, const char *account,
                                    const struct alias *al);

/* organizations.c */
enum err store__sqlite_org_insert(struct store_tx *tx, const char *account,
                                  const struct organization *o);
enum err store__sqlite_org_get(struct store_tx *tx, struct arena *a, const char *account,
                               const char *id, struct organization *out);
enum err store__sqlite_org_rev(struct store_tx *tx, const char *account, const char *id,
                               int64_t *rev);
enum err store__sqlite_org_id_by_owner(struct store_tx *tx, const char *account,
                                       const char *owner_id, char out[ID_LEN + 1]);
enum err store__sqlite_org_ids_of_member(struct store_tx *tx, struct arena *a, const char *account,
                                         const char *customer_id, const char ***out, size_t *n);
enum err store__sqlite_org_members_add(struct store_tx *tx, const char *account, const char *org_id,
                                       const char *const *ids, size_t n);
enum err store__sqlite_org_members_clear(struct store_tx *tx, const char *account,
                                         const char *org_id);
enum err store__sqlite_org_member_remove(struct store_tx *tx, const char *account,
                                         const char *org_id, const char *customer_id);
enum err store__sqlite_org_member_count(struct store_tx *tx, const char *account,
                                        const char *org_id, int64_t *n);
enum err store__sqlite_org_delete(struct store_tx *tx, const char *account, const char *org_id);
enum err store__sqlite_org_extent(struct store_tx *tx, const char *account, const char *const *ids,
                                  size_t n, bool of_customers, struct org_extent *out);
enum err store__sqlite_org_reaches(struct store_tx *tx, const char *account, const char *ancestor,
                                   const char *descendant, bool *out);
/* tree.c: the tree reads and the depth limit's heights. */
enum err store__sqlite_tree_ancestors(struct store_tx *tx, struct arena *a, const char *account,
                                      const char *id, int max_depth, struct tree_node **out,
                                      size_t *n);
enum err store__sqlite_tree_descendants(struct store_tx *tx, struct arena *a, const char *account,
                                        const char *root, bool root_is_org, int max_depth,
                                        const struct page_query *pq, struct tree_node **out,
                                        size_t *n, struct page_result *pr, char *seed);
enum err store__sqlite_tree_heights(struct store_tx *tx, const char *account, const char *owner,
                                    const char *const *ids, size_t n, int cap, int *up, int *down);

/* notifications.c and activity.c; the row readers read POLICY_COLS into
 * a struct notification_policy and ACTIVITY_COLS into a struct
 * activity_entry (elem) of the account `ctx`, as lists.c does too. */
enum err store__sqlite_policy_from_row(void *ctx, struct arena *a, sqlite3_stmt *st, void *elem,
                                       size_t i);
enum err store__sqlite_policy_insert(struct store_tx *tx, const char *account,
                                     const struct notification_policy *p);
enum err store__sqlite_policy_get(struct store_tx *tx, struct arena *a, const char *account,
                                  const char *id, struct notification_policy *out);
enum err store__sqlite_policy_update(struct store_tx *tx, const char *account,
                                     const struct notification_policy *p);
enum err store__sqlite_policy_delete(struct store_tx *tx, const char *account, const char *id);
enum err store__sqlite_activity_from_row(void *ctx, struct arena *a, sqlite3_stmt *st, void *elem,
                                         size_t i);
enum err store__sqlite_activity_insert(struct store_tx *tx, const struct activity_entry *e);
enum err store__sqlite_activity_purge(struct store_tx *tx, int64_t before);
enum err store__sqlite_activity_get(struct store_tx *tx, struct arena *a, const char *account,
                                    const char *id, struct activity_entry *out);
enum err store__sqlite_event_insert(struct store_tx *tx, const char *account,
                                    const struct outbox_event *e);

/* lists.c: the keyset lists */
enum err store__sqlite_customer_list_rows(struct store_tx *tx, struct arena *a, const char *account,
                                          const struct customer_query *q, struct customer **items,
                                          const char ***keys, size_t *n, struct page_result *pr);
enum err store__sqlite_alias_list(struct store_tx *tx, struct arena *a, const char *account,
                                  const char *value, const struct page_query *pq,
                                  struct alias **out, size_t *n, struct page_result *pr);
enum err store__sqlite_org_list_ids(struct store_tx *tx, struct arena *a, const char *account,
                                    const char *owner_id, const char *member_id,
                                    const struct page_query *pq, const char ***ids, size_t *n,
                                    struct page_result *pr);
enum err store__sqlite_policy_list(struct store_tx *tx, struct arena *a, const char *account,
                                   const char *type, const struct page_query *pq,
                                   struct notification_policy **out, size_t *n,
                                   struct page_result *pr);
enum err store__sqlite_activity_list(struct store_tx *tx, struct arena *a, const char *account,
                                     const struct activity_query *q, struct activity_entry **out,
                                     size_t *n, struct page_result *pr);

#endif
