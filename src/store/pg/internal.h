/*
 * Internals of the PostgreSQL backend (only src/store/pg includes this, and
 * only src/store/pg includes libpq-fe.h).
 *
 * engine.c owns connections: a bounded per-process pool, statement
 * execution with client-side deadlines, transactions and their retry
 * policy. statements.c holds the prepared statements and the helpers that
 * bind parameters and read results; migrations.c the numbered schema
 * migrations. One file a resource (accounts.c, customers.c, contacts.c,
 * aliases.c, organizations.c) holds its primitives; lists.c the keyset
 * pages; reads.c the whole reads of one statement; locks.c the write path's
 * locks; backend.c the backend table and store__pg_open.
 *
 * A transaction's BEGIN is sent lazily, pipelined with its first statement,
 * and a statement is prepared on a connection the first time it runs there
 * (pipelined too), so both cost no extra round trip.
 */
#ifndef KINSHIP_STORE_PG_INTERNAL_H
#define KINSHIP_STORE_PG_INTERNAL_H

#include "../backend.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* ---- the engine (engine.c) ---- */

struct store__pg_conn {
    PGconn *pg;
    uint64_t prepared; /* bit i: statement i is prepared here */
    int pending;       /* queries sent whose results are not read yet */
    struct store__pg_conn *next;
};

struct store__pg {
    struct store base;
    char *url;
    char connect_s[16];
    pthread_mutex_t mu;
    pthread_cond_t cv;           /* a connection came back, a slot freed, or closing */
    struct store__pg_conn *idle; /* most recently used first */
    int total;                   /* open or being opened */
    int busy;                    /* handed out */
    int waiting;                 /* callers waiting in acquire */
    bool closing;
    atomic_uint idem_writes;
    atomic_llong last_log_us;
    struct store__counters ctr; /* for store__pg_stats */
};

/* A statement prepared by name on each connection that runs it. */
struct store__pg_stmt {
    int idx; /* < STORE__PG_STMT_MAX: bit in a connection's prepared set */
    const char *name, *sql;
};

#define STORE__PG_STMT_MAX 64

/* Parameters of one statement, all sent as text except binary ones.
 * Values are borrowed, except numbers, which live in `num`. */
#define STORE__PG_PARAMS_MAX 32

struct store__pg_params {
    int n;
    const char *v[STORE__PG_PARAMS_MAX];
    int len[STORE__PG_PARAMS_MAX];
    int fmt[STORE__PG_PARAMS_MAX];
    char num[STORE__PG_PARAMS_MAX][24];
};

/* A statement queued by store__pg_exec_later, its parameters copied into
 * the transaction's scratch arena. */
struct store__pg_later {
    const struct store__pg_stmt *stmt; /* NULL: `sql`, run as text */
    const char *sql;
    struct store__pg_params p;
};

#define STORE__PG_LATER_MAX 8

/* Where the check of an API client stands (reads.c, engine.c). In a
 * write the check is PG_ST_CLIENT_MUST, which fails the transaction (with
 * STORE__PG_REVOKED) for a client not active: it can then also ride with
 * the COMMIT. */
enum store__pg_check {
    PG_CHECK_NONE,    /* nothing to check */
    PG_CHECK_PENDING, /* to send with the next statement */
    PG_CHECK_SENT,    /* sent, no answer read (the pipeline broke) */
    PG_CHECK_ACTIVE,  /* the client exists and is not revoked */
    PG_CHECK_REVOKED, /* revoked or unknown */
};

/* Why a transaction failed, which decides whether it is retried. */
enum store__pg_fail {
    PG_FAIL_NONE,
    PG_FAIL_RETRY,   /* serialization failure or deadlock */
    PG_FAIL_UNIQUE,  /* unique violation: maybe a race, see engine.c */
    PG_FAIL_CONN,    /* the connection broke */
    PG_FAIL_TIMEOUT, /* no answer before the client deadline */
    PG_FAIL_OTHER,
};

struct store__pg_tx {
    struct store_tx base;
    struct store__pg *s;
    struct store__pg_conn *c;
    const char *begin; /* BEGIN not sent yet (sent with the first statement) */
    bool begun;        /* a transaction is open on the server */
    bool failed;       /* a statement failed: nothing more runs */
    enum store__pg_fail fail;
    enum err fail_err;   /* what the failed statement answered */
    char constraint[64]; /* with PG_FAIL_UNIQUE */
    int ok;              /* statements that succeeded */
    int timeout_ms;      /* server-side bound of one statement */
    bool idem_written;
    bool writing; /* a write transaction (store__pg_write): rows may be locked */
    char locked_customer[ID_LEN + 1]; /* the last customer row locked FOR UPDATE */
    struct store__pg_locked *locked;  /* what the last hierarchy_lock found (locks.c) */
    struct arena *scratch;            /* lazily created, freed with the transaction */
    /* Customers and organizations this transaction inserted and has not
     * changed since (read-your-writes, customers.c and organizations.c),
     * in scratch. */
    struct store__pg_fresh_customer *fresh_customers;
    /* An organization or membership was written: a fresh customer may be
     * a member of something now (organizations.c). */
    bool members_written;
    struct store__pg_fresh_org *fresh;
    /* A read (store__pg_read): a statement of store__pg_whole runs with no
     * BEGIN while no transaction is open, being a snapshot of its own. */
    bool read;
    /* store_client_check deferred to the next statement (reads.c): the
     * client's check is pipelined ahead of it, in the same round trip. */
    enum store__pg_check check;
    char check_client[ID_LEN + 1];
    /* Statements queued by store__pg_exec_later (in scratch), sent with
     * the next statement or the COMMIT. */
    struct store__pg_later *later;
    int n_later;
    /* Answers a read's whole statement brought ahead of the statements
     * that will ask for them (reads.c), in scratch. */
    struct store__pg_ahead *ahead;
    /* The organization a write read before its hierarchy lock: the lock's
     * round trip reads it again (locks.c), for the rules' read after the
     * lock. "" when none. */
    char reread_org[ID_LEN + 1];
    /* An answer guard (store__pg_guard_later) failed the transaction
     * (ERR_ANSWER_TOO_LARGE): what it counted. */
    bool refused;
    struct org_extent refused_extent;
};

static inline struct store__pg_tx *store__pg_tx_of(struct store_tx *tx)
{
    return (struct store__pg_tx *)tx;
}

/* ---- connections (pool.c) ---- */

#define STORE__PG_GRACE_MS 2000
#define STORE__PG_REVOKED "KS401"   /* SQLSTATE of kinship_client_must_be_active */
#define STORE__PG_TOO_LARGE "KS422" /* SQLSTATE of kinship_answer_guard */

enum store__pg_got { PG_GOT_OK, PG_GOT_TIMEOUT, PG_GOT_BROKEN };

/* Hands out a connection: an idle one, a new one while the pool has room,
 * or the first one given back within busy_timeout_ms. ERR_UNAVAILABLE when
 * none comes or a new one cannot be opened. */
enum err store__pg_acquire(struct store__pg *s, struct store__pg_conn **out);
/* Gives `c` back, or drops it (`discard`). `drop_idle`: the connection
 * broke, so the idle ones (likely from the same server life) go too. */
void store__pg_pool_put(struct store__pg *s, struct store__pg_conn *c, bool discard,
                        bool drop_idle);
/* Opens a connection with kinship's session settings (bounded statements
 * and lock waits, synchronous_commit on). `loud`: a failure is an error in
 * the log, not the database being down. NULL when it cannot. */
struct store__pg_conn *store__pg_conn_open(struct store__pg *s, bool loud);
/* The next result of the connection (NULL at the end of a query's
 * results), waiting at most until deadline_us (clock_mono_us). */
enum store__pg_got store__pg_next_result(PGconn *pg, int64_t deadline_us, PGresult **out);
/* Reads the rest of one query's results up to its terminating NULL. With
 * `keep`, holds on to the first failed result, or else the last one (left
 * NULL when none came; the caller clears it, whatever the answer); without,
 * clears them all and stops at a broken connection. */
enum store__pg_got store__pg_drain(PGconn *pg, int64_t deadline_us, PGresult **keep);
bool store__pg_result_ok(const PGresult *r);
int64_t store__pg_deadline_after(int ms);
/* The first line of a libpq message (they end with a newline and may span
 * lines). */
void store__pg_first_line(const char *msg, char *out, size_t cap);
/* Logs that the database cannot be reached, at most once a second. */
void store__pg_log_down(struct store__pg *s, const char *op, const char *msg);

/* ---- transactions (engine.c) ---- */

/*
 * Runs a prepared statement (or, with stmt NULL, the text `sql`) with `p`
 * (NULL: no parameters). Returns the result, which the caller PQclear()s,
 * or NULL with *rc set: ERR_UNAVAILABLE when the connection broke or a
 * timeout passed, ERR_CONFLICT for a serialization failure, the mapped
 * error of a constraint, ERR_INTERNAL otherwise. After a failure the
 * transaction is aborted and every later call fails the same way.
 */
PGresult *store__pg_run(struct store__pg_tx *t, const struct store__pg_stmt *stmt, const char *sql,
                        const struct store__pg_params *p, enum err *rc);
/* Scratch memory that lives as long as the transaction. */
struct arena *store__pg_scratch(struct store__pg_tx *t);

/* Opens the store's first connection (loudly: a failure is logged as an
 * error, not as the database being down), warns when fsync is off and
 * applies pending migrations in one transaction. ERR_UNAVAILABLE when the
 * connection or a migration fails. `s` is set up by store__pg_open. */
enum err store__pg_start(struct store__pg *s);

void store__pg_close(struct store *s);
/* The backend's `flush` (store_flush): sends the queued statements. */
enum err store__pg_flush(struct store_tx *tx);
bool store__pg_ping(struct store *s);
enum err store__pg_read(struct store *s, store_fn fn, void *arg);
enum err store__pg_write(struct store *s, struct store_write *w);
/* The backend's `stats`: the counters of struct store__counters (writes:
 * store__pg_write calls answered; batches: transaction attempts; commits;
 * rollbacks: attempts that ended in ROLLBACK; unavailable and internal:
 * read and write calls so answered; retries: attempts after the first and
 * reads retried on a fresh connection), and, read under the pool's mutex,
 * pool_in_use, pool_open, pool_max and write_queue (callers waiting for a
 * connection). */
void store__pg_stats(struct store *s, struct store_stats *out);

/* Applies pending migrations in one transaction under an advisory lock
 * (migrations.c). */
enum err store__pg_migrate(struct store__pg_tx *t);

extern const struct store_backend store__pg_backend;

/* ---- statements and their parameters (statements.c) ---- */

/* The prepared statements, by name (their SQL is in statements.c). */
enum store__pg_st {
    PG_ST_IDEM_GET,
    PG_ST_IDEM_PUT,
    PG_ST_IDEM_PURGE,
    PG_ST_ACCOUNT_ENSURE,
    PG_ST_ACCOUNT_LIST,
    PG_ST_CLIENT_INSERT,
    PG_ST_CLIENT_GET,
    PG_ST_CLIENT_REVOKE,
    PG_ST_CLIENT_LIST,
    PG_ST_CUSTOMER_GET,
    PG_ST_CUSTOMER_INSERT,
    PG_ST_CUSTOMER_UPDATE,
    PG_ST_CUSTOMER_UPDATE_PROPS,
    PG_ST_CUSTOMER_ARCHIVE,
    PG_ST_CUSTOMER_BRIEFS,
    PG_ST_CUSTOMER_PROPS,
    PG_ST_CUSTOMERS_PROPS,
    PG_ST_PROPERTY_KEYS,
    PG_ST_CONTACT_LIST,
    PG_ST_CONTACT_GET,
    PG_ST_CONTACT_INSERT,
    PG_ST_CONTACT_UPDATE,
    PG_ST_ALIAS_INSERT,
    PG_ST_ALIAS_GET,
    PG_ST_ALIAS_GET_BY_VALUE,
    PG_ST_ALIAS_LIST_FOR_CUSTOMER,
    PG_ST_ALIAS_UPDATE,
    PG_ST_ORG_INSERT,
    PG_ST_ORG_GET,
    PG_ST_ORGS_GET,
    PG_ST_ORG_NAMES,
    PG_ST_ORG_ID_BY_OWNER,
    PG_ST_ORG_IDS_OF_MEMBER,
    PG_ST_CUSTOMERS_ORG_IDS,
    PG_ST_ORG_MEMBERS_ADD,
    PG_ST_ORG_MEMBERS_CLEAR,
    PG_ST_ORG_MEMBER_REMOVE,
    PG_ST_ORG_MEMBER_COUNT,
    PG_ST_ORG_DELETE,
    PG_ST_ORG_REACHES,
    PG_ST_CLIENT_ACTIVE,
    PG_ST_CLIENT_MUST,
    PG_ST_CUSTOMER_WHOLE,
    /* whole reads (reads.c), grouped: */
    PG_ST_ALIAS_WHOLE,
    PG_ST_CUSTOMER_SCOPE,
    PG_ST_HIERARCHY_LOCK,
    PG_ST_CUSTOMER_LOCK,
    PG_ST_ORG_LOCK,
    /* notification policies and the activity log (notify_sql.h) */
    PG_ST_POLICY_INSERT,
    PG_ST_POLICY_GET,
    PG_ST_POLICY_LOCK,
    PG_ST_POLICY_UPDATE,
    PG_ST_POLICY_DELETE,
    PG_ST_ACTIVITY_INSERT,
    PG_ST_ACTIVITY_PURGE,
    PG_ST_ACTIVITY_GET,
    PG_ST_EVENT_INSERT,
    PG_ST_GUARD_CUSTOMERS,
    PG_ST_GUARD_ORGS,
    PG_ST__COUNT
};

/* The columns that customer, contact and alias rows are read from, in the
 * order of store__pg_customer_row, store__pg_contact_row and
 * store__pg_alias_row. */
#define STORE__PG_CUSTOMER_COLS                                                                    \
    "c.id, c.legal_name, c.url, c.label, c.tax_status, c.status, c.line1, c.line2, c.town, "       \
    "c.state, c.postcode, c.country, c.integrations, c.created_at, c.updated_at, c.archived_at"
#define STORE__PG_CONTACT_COLS                                                                     \
    "id, name, email, billing_preference, created_at, updated_at, archived_at"
#define STORE__PG_ALIAS_COLS "a.id, a.customer_id, a.value, a.label, a.created_at, a.deleted_at"

/*
 * The organizations customer `cid` (an SQL expression) is a member of, as
 * rows of a whole read (statements.c, lists.c): three sort keys (oldest
 * first, then by id, members by position), then the organization's id and
 * the columns of store__pg_org_rows, then `pad` (more columns, for a
 * UNION ALL); the account is $1. Follows a "SELECT k,".
 */
#define STORE__PG_MEMBER_ORG_ROWS(pad, cid)                                                        \
    " o.created_at, o.id, m.position, o.id, o.owner_id, o.created_at::text,"                       \
    " (SELECT legal_name FROM customers WHERE account_id = $1 AND id = o.owner_id),"               \
    " m.customer_id,"                                                                              \
    " (SELECT legal_name FROM customers WHERE account_id = $1 AND id = m.customer_id)" pad         \
    " FROM organization_members x CROSS JOIN LATERAL (SELECT id, owner_id, created_at"             \
    " FROM organizations WHERE account_id = $1 AND id = x.organization_id OFFSET 0) o"             \
    " LEFT JOIN LATERAL (SELECT customer_id, position FROM organization_members"                   \
    " WHERE account_id = $1 AND organization_id = o.id OFFSET 0) m ON true"                        \
    " WHERE x.account_id = $1 AND x.customer_id = " cid

/*
 * What the answers for the ids of `src` (an SQL FROM item with a column
 * `id`, u) embed of organizations, as one row (orgs, entries, name_bytes):
 * see struct org_extent. mine(org) holds an organization once per id that
 * embeds it (`mine`, correlated with u.id: an organization of a customer,
 * or the organization itself); ext counts each one's members and their
 * names' bytes once. Every step is a LATERAL or correlated lookup by key,
 * so the plan stays an index search per id and per member even when the
 * planner knows nothing of the account yet (just imported: a join planned
 * for one row went through every customer for each member and passed the
 * statement timeout). The account is $1.
 */
#define STORE__PG_EXTENT_SQL(src, mine)                                                            \
    "WITH mine AS MATERIALIZED (SELECT x.org FROM " src " CROSS JOIN LATERAL (" mine ") AS x),"    \
    " ext AS MATERIALIZED (SELECT d.org, x.n, x.b FROM (SELECT DISTINCT org FROM mine) AS d"       \
    " CROSS JOIN LATERAL (SELECT count(*) AS n, sum((SELECT octet_length(c.legal_name)"            \
    " FROM customers c WHERE c.account_id = $1 AND c.id = m.customer_id)) AS b"                    \
    " FROM organization_members m WHERE m.account_id = $1 AND m.organization_id = d.org) AS x)"    \
    " SELECT count(*), count(*) + coalesce(sum(ext.n), 0), coalesce(sum(ext.b), 0)"                \
    " FROM mine LEFT JOIN ext ON ext.org = mine.org"
#define STORE__PG_MINE_OF_CUSTOMERS                                                                \
    "SELECT organization_id AS org FROM organization_members"                                      \
    " WHERE account_id = $1 AND customer_id = u.id"
#define STORE__PG_MINE_OF_ORGS                                                                     \
    "SELECT id AS org FROM organizations WHERE account_id = $1 AND id = u.id"
/* The answer guard over an extent query `extent` (migrations.c, v4):
 * kinship_answer_guard with the limit and the floor's coefficients as
 * the parameters $l, $o and $m. */
#define STORE__PG_GUARD_SQL(extent, l, o, m)                                                       \
    "SELECT kinship_answer_guard(e.o, e.n::bigint, e.b::bigint, $" l "::bigint, $" o               \
    "::bigint, $" m "::bigint)"                                                                    \
    " FROM (" extent ") AS e(o, n, b)"

/* The prepared statement `st`. */
const struct store__pg_stmt *store__pg_stmt(enum store__pg_st st);
/* True for a statement that answers a whole read on its own (its one
 * snapshot is all the read needs): in a read with no transaction open it
 * is sent without BEGIN (engine.c). */
bool store__pg_whole(int idx);

/* Appends a parameter and returns its number ($n). NULL `s` is SQL NULL. */
int store__pg_text(struct store__pg_params *p, const char *s);
int store__pg_i64(struct store__pg_params *p, int64_t v);
/* A timestamp column that may be unset: 0 is SQL NULL. */
int store__pg_ts(struct store__pg_params *p, int64_t v);
int store__pg_bool(struct store__pg_params *p, bool v);
/* Binary (bytea), `n` bytes of `b`. */
int store__pg_bin(struct store__pg_params *p, const void *b, int n);
/* Appends the n texts of `s` in order (store__pg_texts counts them). */
void store__pg_text_n(struct store__pg_params *p, const char *const *s, size_t n);
#define store__pg_texts(p, ...)                                                                    \
    store__pg_text_n((p), (const char *const[]){__VA_ARGS__},                                      \
                     sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

/* Array literals (for unnest() and ANY()), in the transaction's scratch
 * arena: of `n` texts, of the seven contact columns (STORE__PG_CONTACT_COLS
 * order, appended as seven parameters), of property keys and values (two
 * parameters). */
const char *store__pg_ids_array(struct store_tx *tx, const char *const *ids, size_t n);
void store__pg_contact_arrays(struct store_tx *tx, const struct contact *cs, size_t n,
                              struct store__pg_params *p);
void store__pg_prop_arrays(struct store_tx *tx, const struct property *ps, size_t n,
                           struct store__pg_params *p);

/* ---- running statements and reading results (statements.c) ---- */

/* store__pg_run of statement `st` (see there for the errors), or its
 * answer brought ahead by a whole read (reads.c). */
PGresult *store__pg_query(struct store_tx *tx, enum store__pg_st st,
                          const struct store__pg_params *p, enum err *rc);
/* store__pg_run of statement `st`, then statement `next` in the same round
 * trip: the first's result is returned, the second's put in *next_out
 * (both to PQclear; NULL and *rc set when either failed). */
PGresult *store__pg_run_pair(struct store__pg_tx *t, enum store__pg_st st,
                             const struct store__pg_params *p, enum store__pg_st next,
                             const struct store__pg_params *next_p, PGresult **next_out,
                             enum err *rc);
/*
 * Queues statement `st` with a copy of `p` instead of running it now: it
 * goes in the same pipeline as the transaction's next statement or its
 * COMMIT, in the order queued, so it costs no round trip of its own. For
 * statements whose only outcome that matters is an error: no rows or
 * count come back, and an error (a unique violation, say) fails the
 * transaction when the queue is sent, answered by the call that sent it
 * (the error as store__pg_run maps it). Returns the transaction's error if
 * it already failed, else ERR_OK.
 */
/* Queues an answer guard: the statement `st` (PG_ST__COUNT: the text
 * `sql`) goes in the pipeline ahead of the next statement, like
 * exec_later's, but it changes nothing, so what was read ahead stays.
 * A guard that raises STORE__PG_TOO_LARGE fails the transaction with
 * ERR_ANSWER_TOO_LARGE, the counts of its DETAIL kept in `refused_extent`;
 * PostgreSQL then skips the statements after it. */
enum err store__pg_guard_later(struct store_tx *tx, enum store__pg_st st, const char *sql,
                               const struct store__pg_params *p);
enum err store__pg_exec_later(struct store_tx *tx, enum store__pg_st st,
                              const struct store__pg_params *p);
/* Runs `st` and drops its result; *affected gets the rows it changed
 * when not NULL. */
enum err store__pg_exec(struct store_tx *tx, enum store__pg_st st, const struct store__pg_params *p,
                        int64_t *affected);
/* store__pg_exec that answers `none` when the statement changed no row. */
enum err store__pg_exec_hit(struct store_tx *tx, enum store__pg_st st,
                            const struct store__pg_params *p, enum err none);
/* Runs `st`, whose first column of its first row is a count, into *n. */
enum err store__pg_count(struct store_tx *tx, enum store__pg_st st,
                         const struct store__pg_params *p, int64_t *n);
/* store__pg_count that answers `none` when the count is 0. */
enum err store__pg_count_hit(struct store_tx *tx, enum store__pg_st st,
                             const struct store__pg_params *p, enum err none);

/* Reads row `row` of `r` into `item`; the fields start at column `col`.
 * `ctx` is the reader's own (the account, for aliases). */
typedef void store__pg_reader(struct arena *a, const PGresult *r, int row, int col, const void *ctx,
                              void *item);

/* Readers of the columns above: customer_row fills the row's fields (no
 * contacts, properties or organizations), alias_row takes the account as
 * ctx; string_row reads one column into a const char *, id_row into a
 * char[ID_LEN + 1], property_row a key and a value. */
store__pg_reader store__pg_customer_row, store__pg_contact_row, store__pg_alias_row,
    store__pg_string_row, store__pg_id_row, store__pg_property_row;

/* Rows first .. first + n - 1 of `r` read into a new array in `a` of n
 * items of `size` bytes (NULL when n is 0). */
void *store__pg_items(struct arena *a, const PGresult *r, int first, size_t n, int col,
                      store__pg_reader *read, const void *ctx, size_t size);
/* Runs `st` and reads all its rows with `read` into *(T **)out, an array of
 * *n items of `size` bytes in `a` (NULL when there are none). */
enum err store__pg_rows(struct store_tx *tx, struct arena *a, enum store__pg_st st,
                        const struct store__pg_params *p, store__pg_reader *read, const void *ctx,
                        size_t size, void *out, size_t *n);
/* A row picked by its account_id and its column `col` holding `key`: the
 * check of what a lookup through a hashed *_lookup index found. */
struct store__pg_match {
    const char *account, *col, *key;
};

/* Runs `st` and reads one row with `read` into `item`: the first, or with
 * `m` the one it picks. ERR_NOT_FOUND when there is none. */
enum err store__pg_row(struct store_tx *tx, struct arena *a, enum store__pg_st st,
                       const struct store__pg_params *p, const struct store__pg_match *m,
                       store__pg_reader *read, const void *ctx, void *item);

/* A column as an arena string: str gives NULL for SQL NULL, str0 "". */
const char *store__pg_str(struct arena *a, const PGresult *r, int row, int col);
const char *store__pg_str0(struct arena *a, const PGresult *r, int row, int col);
/* A bigint column; 0 for SQL NULL. */
int64_t store__pg_num(const PGresult *r, int row, int col);
/* A boolean column. */
bool store__pg_flag(const PGresult *r, int row, int col);
void store__pg_id_copy(char out[ID_LEN + 1], const PGresult *r, int row, int col);
/* Decodes a bytea column (hex output, "\x...") of exactly n bytes. */
bool store__pg_bytes(const PGresult *r, int row, int col, uint8_t *out, size_t n);
/*
 * Runs `st` with the account ($1) and the array of ids[0..n) ($2), whose
 * rows carry an id in column 0, each id's rows together. (*first)[k] and
 * (*count)[k], in `a`, give the rows of ids[k] (a count of 0: none). The
 * caller PQclear()s the result; NULL with *rc set as store__pg_run does.
 */
PGresult *store__pg_query_groups(struct store_tx *tx, struct arena *a, enum store__pg_st st,
                                 const char *account, const char *const *ids, size_t n, int **first,
                                 int **count, enum err *rc);

/* Runs `st` with the account ($1) and the array of ids[0..n) ($2), whose
 * rows start with the 1-based position of an id in the array; reads each
 * row with `read` (from column 1) into item pos[k] of `items` (items of
 * `size` bytes) for the id at position k + 1. */
enum err store__pg_query_ords(struct store_tx *tx, struct arena *a, enum store__pg_st st,
                              const char *account, const char *const *ids, size_t n,
                              const size_t *pos, store__pg_reader *read, void *items, size_t size);

/* ---- the primitives, one file a resource ---- */

/*
 * store__pg_NAME implements the slot NAME of struct store_backend, with the
 * slot's own type: its signature and contract are in backend.h, and the
 * compiler checks each definition against them.
 */
#define STORE__PG_PRIMITIVE(name) __typeof__(*((struct store_backend *)0)->name) store__pg_##name

/* accounts.c: idempotency records, accounts and API clients. */
STORE__PG_PRIMITIVE(idem_get);
STORE__PG_PRIMITIVE(idem_put);
STORE__PG_PRIMITIVE(account_ensure);
STORE__PG_PRIMITIVE(account_list);
STORE__PG_PRIMITIVE(account_reset);
STORE__PG_PRIMITIVE(client_insert);
STORE__PG_PRIMITIVE(client_get);
STORE__PG_PRIMITIVE(client_revoke);
STORE__PG_PRIMITIVE(client_list);
/* Deletes a bounded batch of expired Idempotency-Key records, outside any
 * transaction; failures are ignored. */
void store__pg_idem_purge(struct store__pg_tx *t);

/* notifications.c and activity.c; their row readers read the columns of
 * STORE__PG_POLICY_COLS and STORE__PG_ACTIVITY_COLS (notify_sql.h) of the
 * account ctx (lists.c reads pages with them too). */
STORE__PG_PRIMITIVE(policy_insert);
STORE__PG_PRIMITIVE(policy_get);
STORE__PG_PRIMITIVE(policy_update);
STORE__PG_PRIMITIVE(policy_delete);
STORE__PG_PRIMITIVE(policy_list);
STORE__PG_PRIMITIVE(activity_insert);
STORE__PG_PRIMITIVE(activity_purge);
STORE__PG_PRIMITIVE(activity_get);
STORE__PG_PRIMITIVE(activity_list);
STORE__PG_PRIMITIVE(event_insert);
store__pg_reader store__pg_policy_row, store__pg_activity_row;

/* customers.c */
STORE__PG_PRIMITIVE(customer_row_get);
STORE__PG_PRIMITIVE(customer_insert);
STORE__PG_PRIMITIVE(customer_update);
STORE__PG_PRIMITIVE(customer_archive);
STORE__PG_PRIMITIVE(customer_briefs);
STORE__PG_PRIMITIVE(customer_props);
STORE__PG_PRIMITIVE(customers_props);
STORE__PG_PRIMITIVE(property_keys);
/* The customer `id` as this transaction inserted it, when it has not
 * changed it since (read back from memory: customers.c says why); NULL
 * otherwise. Contacts come by (created_at, id), properties by key. */
const struct customer *store__pg_fresh_customer(struct store_tx *tx, const char *account,
                                                const char *id);
/* The customer changes: later reads go to the database. */
void store__pg_fresh_customer_drop(struct store_tx *tx, const char *account, const char *id);
/* A contact's fields copied into `a`. */
void store__pg_contact_copy(struct arena *a, const struct contact *src, struct contact *dst);
/* store__pg_query_groups of the ids of a page's customers items[0..n). */
PGresult *store__pg_customer_groups(struct store_tx *tx, struct arena *a, enum store__pg_st st,
                                    const char *account, const struct customer *items, size_t n,
                                    int **first, int **count, enum err *rc);

/* contacts.c */
STORE__PG_PRIMITIVE(contact_list);
STORE__PG_PRIMITIVE(contact_get);
STORE__PG_PRIMITIVE(contact_insert);
STORE__PG_PRIMITIVE(contact_update);

/* aliases.c */
STORE__PG_PRIMITIVE(alias_insert);
STORE__PG_PRIMITIVE(alias_get);
STORE__PG_PRIMITIVE(alias_get_by_value);
STORE__PG_PRIMITIVE(alias_list_for_customer);
STORE__PG_PRIMITIVE(alias_update);

/* organizations.c */
STORE__PG_PRIMITIVE(org_insert);
STORE__PG_PRIMITIVE(org_get);
STORE__PG_PRIMITIVE(orgs_get);
STORE__PG_PRIMITIVE(org_id_by_owner);
STORE__PG_PRIMITIVE(org_ids_of_member);
STORE__PG_PRIMITIVE(customers_org_ids);
STORE__PG_PRIMITIVE(org_members_add);
STORE__PG_PRIMITIVE(org_members_clear);
STORE__PG_PRIMITIVE(org_member_remove);
STORE__PG_PRIMITIVE(org_member_count);
STORE__PG_PRIMITIVE(org_extent);
STORE__PG_PRIMITIVE(extent_refused);
/* lists.c: the answer guards of a page (see org_extent). */
STORE__PG_PRIMITIVE(customer_list_extent);
STORE__PG_PRIMITIVE(org_list_extent);
/* Appends a guard's last three parameters: `limit` and the coefficients
 * of organization_text_floor (organizations.c). */
void store__pg_guard_params(struct store__pg_params *p, int64_t limit);
STORE__PG_PRIMITIVE(org_delete);
STORE__PG_PRIMITIVE(org_reaches);

/*
 * Reads rows [row, end) of an answer about one organization into out: its
 * owner's id, created_at and name from column `col` on, then each row's
 * member id and name (no members when the first is NULL: the one row of
 * the LEFT JOIN). The caller sets out->id. (reads.c)
 */
void store__pg_org_rows(struct arena *a, const PGresult *r, int row, int end, int col,
                        struct organization *out);

/* reads.c: whole reads in one statement, and the API client check that
 * rides along with a read's statement. */
STORE__PG_PRIMITIVE(customer_whole);
STORE__PG_PRIMITIVE(client_check);
STORE__PG_PRIMITIVE(client_confirm);
/* Reads the answer of the client check that engine.c sent ahead of a
 * read's statement (one row: the count of active clients) into t->check. */
void store__pg_check_answer(struct store__pg_tx *t, const PGresult *r);
/* locks.c: the write path's locks (docs/postgresql.md, "How the
 * concurrency rules are enforced"). */
STORE__PG_PRIMITIVE(hierarchy_lock);
/* tree.c: the tree reads (one statement each) and the depth limit's
 * heights. */
STORE__PG_PRIMITIVE(tree_ancestors);
STORE__PG_PRIMITIVE(tree_descendants);
STORE__PG_PRIMITIVE(tree_heights);
/* What the last hierarchy_lock read, while this transaction has not
 * changed it (docs/postgresql.md, round trips): locked_brief is a
 * customer_brief of an owner or id it locked, locked_org the organization
 * `owner` owns (*rc ERR_OK, or ERR_NOT_FOUND with none). Both return false
 * when they do not know; then the caller asks the database. */
bool store__pg_locked_brief(struct store_tx *tx, struct arena *a, const char *account,
                            const char *id, struct customer_brief *out);
bool store__pg_locked_org(struct store_tx *tx, const char *account, const char *owner,
                          char out[ID_LEN + 1], enum err *rc);
/* The transaction changes customers or organizations: what hierarchy_lock
 * read is forgotten. */
void store__pg_locked_forget(struct store_tx *tx);
/* In a write transaction, locks the row of customer `id` FOR UPDATE (once
 * in a row for the same customer), so that the statements after it see
 * every write that held it before; in a read, does nothing. Serializes the
 * writes that read a customer's contacts before changing them. */
enum err store__pg_customer_lock(struct store_tx *tx, const char *account, const char *id);
/* This write holds the row of customer `id` (an UPDATE of it locked it):
 * store__pg_customer_lock of it has nothing to do. */
void store__pg_customer_held(struct store_tx *tx, const char *id);
/* Locks the row of organization `org_id` FOR UPDATE (a write that adds
 * members holds it through hierarchy_lock): a delete reads its members in
 * the statement after this one, so none added meanwhile is left behind. */
enum err store__pg_org_lock(struct store_tx *tx, const char *account, const char *org_id);

/*
 * Answers ahead (reads.c). A read route's store calls are fixed by
 * store.c and the API; a whole statement answers all of them at once and
 * leaves here, keyed by statement and parameters, the answers of the
 * statements that those later calls would send. store__pg_query then
 * takes an answer from here instead of a round trip.
 *
 * ahead_put copies rows rows[0..n) of `r`, columns cols[0..ncols), as
 * the answer of `st` with parameters `p` (copied, with the rows, into the
 * transaction's scratch arena). ahead_take returns that answer as a new
 * result the caller PQclear()s, or NULL when none is held (always, outside
 * a read, but for ahead_once's).
 *
 * ahead_once keeps the whole of `r` for one take, in a write too: a
 * statement sent ahead in the same round trip as another (locks.c) whose
 * answer the very next call will ask for.
 */
void store__pg_ahead_put(struct store__pg_tx *t, enum store__pg_st st,
                         const struct store__pg_params *p, const PGresult *r, const int *rows,
                         int n, const int *cols, int ncols);
void store__pg_ahead_once(struct store__pg_tx *t, enum store__pg_st st,
                          const struct store__pg_params *p, const PGresult *r);
/* Drops a write's answers ahead (it is about to change something). */
void store__pg_ahead_forget(struct store__pg_tx *t);
PGresult *store__pg_ahead_take(struct store__pg_tx *t, enum store__pg_st st,
                               const struct store__pg_params *p);
/* True when `tx` is a read that has sent nothing yet: a whole statement
 * sent now is the read's only one. */
bool store__pg_read_first(struct store_tx *tx);
/* The first store call of a read that checks one customer exists
 * (CUSTOMER_BRIEFS of one id, parameters `p`): one statement reads with it
 * the customer's contacts and aliases, which such reads list next, and
 * answers the briefs. NULL when `p` is not one id, or when the statement
 * failed (*rc set; the transaction then fails every later statement). */
PGresult *store__pg_customer_scope(struct store_tx *tx, const struct store__pg_params *p,
                                   enum err *rc);
/* alias_get_by_value in a read: the alias and its customer whole, in one
 * statement (customer_whole then finds the customer ahead). */
enum err store__pg_alias_whole(struct store_tx *tx, struct arena *a, const char *account,
                               const char *value, struct alias *out);

/* lists.c: keyset pages, one statement each. */
STORE__PG_PRIMITIVE(customer_list_rows);
STORE__PG_PRIMITIVE(alias_list);
STORE__PG_PRIMITIVE(org_list_ids);

#endif
