/*
 * The SQLite store's primitives: the SQL behind every entry of the backend
 * table, and the table itself. Fixed statements are prepared once per
 * connection (by id); the list queries, whose text depends on the filters,
 * sort and cursor in use, are built on first use and kept in a small cache
 * keyed by their shape. Every statement binds the account id, so no row of
 * another tenant can be reached.
 */
#include "sqlite_int.h"
#include "../../core/buf.h"
#include "../../core/log.h"
#include "../../core/mem.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- fixed statements ---- */

enum q {
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
    Q__COUNT
};

_Static_assert(Q__COUNT <= SQLITE_FIXED_MAX, "raise SQLITE_FIXED_MAX");

#define CUSTOMER_COLS                                                                              \
    "c.id, c.legal_name, c.url, c.label, c.tax_status, c.status, c.line1, c.line2, c.town, "       \
    "c.state, c.postcode, c.country, c.integrations, c.created_at, c.updated_at, c.archived_at"
#define CUSTOMER_NCOLS 16
#define CONTACT_COLS "id, name, email, billing_preference, created_at, updated_at, archived_at"
#define ALIAS_COLS "id, customer_id, value, label, created_at, deleted_at"

static const char *const sql[Q__COUNT] = {
    [Q_IDEM_GET] = "SELECT request_hash, status, body, created_at FROM idempotency_keys "
                   "WHERE account_id = ?1 AND key = ?2",
    [Q_IDEM_PUT] = "INSERT INTO idempotency_keys "
                   "(account_id, key, request_hash, status, body, created_at) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                   "ON CONFLICT (account_id, key) DO UPDATE SET "
                   "request_hash = excluded.request_hash, status = excluded.status, "
                   "body = excluded.body, created_at = excluded.created_at",
    [Q_IDEM_EXPIRE] = "DELETE FROM idempotency_keys WHERE rowid IN ("
                      "SELECT rowid FROM idempotency_keys "
                      "WHERE account_id = ?1 AND created_at < ?2 LIMIT 16)",

    [Q_ACCOUNT_BY_NAME] = "SELECT id FROM accounts WHERE name = ?1",
    [Q_ACCOUNT_INSERT] = "INSERT INTO accounts (id, name, created_at) VALUES (?1, ?2, ?3)",
    [Q_ACCOUNT_LIST] = "SELECT a.id, a.name, a.created_at, (SELECT COUNT(*) FROM api_clients k "
                       "WHERE k.account_id = a.id AND k.revoked_at IS NULL) "
                       "FROM accounts a ORDER BY a.name",
    [Q_CLIENT_INSERT] = "INSERT INTO api_clients (id, account_id, secret_hash, created_at) "
                        "VALUES (?1, ?2, ?3, ?4)",
    [Q_CLIENT_GET] = "SELECT account_id, secret_hash, revoked_at FROM api_clients WHERE id = ?1",
    [Q_CLIENT_REVOKE] = "UPDATE api_clients SET revoked_at = ?2 "
                        "WHERE id = ?1 AND revoked_at IS NULL",
    [Q_CLIENT_LIST] = "SELECT k.id, k.account_id, a.name, k.created_at, k.revoked_at "
                      "FROM api_clients k JOIN accounts a ON a.id = k.account_id "
                      "ORDER BY k.created_at, k.id",

    [Q_CUSTOMER_GET] = "SELECT " CUSTOMER_COLS " FROM customers c "
                       "WHERE c.account_id = ?1 AND c.id = ?2",
    [Q_CUSTOMER_INSERT] =
        "INSERT INTO customers (account_id, id, legal_name, url, label, tax_status, status, "
        "line1, line2, town, state, postcode, country, integrations, created_at, updated_at, "
        "archived_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
    [Q_CUSTOMER_UPDATE] =
        "UPDATE customers SET legal_name = ?3, url = ?4, label = ?5, tax_status = ?6, "
        "status = ?7, line1 = ?8, line2 = ?9, town = ?10, state = ?11, postcode = ?12, "
        "country = ?13, integrations = ?14, updated_at = ?16 "
        "WHERE account_id = ?1 AND id = ?2",
    [Q_CUSTOMER_ARCHIVE] = "UPDATE customers SET archived_at = COALESCE(archived_at, ?3) "
                           "WHERE account_id = ?1 AND id = ?2",
    [Q_CUSTOMER_BRIEF] = "SELECT legal_name, archived_at FROM customers "
                         "WHERE account_id = ?1 AND id = ?2",
    [Q_PROPS_GET] = "SELECT key, value FROM customer_properties "
                    "WHERE account_id = ?1 AND customer_id = ?2 ORDER BY key",
    [Q_PROPS_DELETE] = "DELETE FROM customer_properties "
                       "WHERE account_id = ?1 AND customer_id = ?2",
    [Q_PROP_INSERT] = "INSERT INTO customer_properties (account_id, customer_id, key, value) "
                      "VALUES (?1, ?2, ?3, ?4)",
    [Q_PROPERTY_KEYS] = "SELECT DISTINCT key FROM customer_properties "
                        "WHERE account_id = ?1 ORDER BY key",

    [Q_CONTACTS_ACTIVE] = "SELECT " CONTACT_COLS " FROM contacts "
                          "WHERE account_id = ?1 AND customer_id = ?2 AND archived_at IS NULL "
                          "ORDER BY created_at, id",
    [Q_CONTACTS_ALL] = "SELECT " CONTACT_COLS " FROM contacts "
                       "WHERE account_id = ?1 AND customer_id = ?2 ORDER BY created_at, id",
    [Q_CONTACT_GET] = "SELECT " CONTACT_COLS " FROM contacts "
                      "WHERE account_id = ?1 AND customer_id = ?2 AND id = ?3",
    [Q_CONTACT_INSERT] = "INSERT INTO contacts (account_id, customer_id, id, name, email, "
                         "billing_preference, created_at, updated_at, archived_at) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [Q_CONTACT_UPDATE] = "UPDATE contacts SET name = ?4, email = ?5, billing_preference = ?6, "
                         "updated_at = ?8, archived_at = ?9 "
                         "WHERE account_id = ?1 AND customer_id = ?2 AND id = ?3",
    [Q_CONTACTS_ARCHIVE] = "UPDATE contacts SET archived_at = ?3, updated_at = ?3 "
                           "WHERE account_id = ?1 AND customer_id = ?2 AND archived_at IS NULL",

    [Q_ALIAS_INSERT] = "INSERT INTO aliases (account_id, id, customer_id, value, label, "
                       "created_at, deleted_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [Q_ALIAS_GET] = "SELECT " ALIAS_COLS " FROM aliases "
                    "WHERE account_id = ?1 AND id = ?2 AND deleted_at IS NULL",
    [Q_ALIAS_GET_BY_VALUE] = "SELECT " ALIAS_COLS " FROM aliases "
                             "WHERE account_id = ?1 AND value = ?2 AND deleted_at IS NULL",
    [Q_ALIASES_OF_CUSTOMER] = "SELECT " ALIAS_COLS " FROM aliases WHERE account_id = ?1 "
                              "AND customer_id = ?2 AND deleted_at IS NULL "
                              "ORDER BY created_at, id",
    [Q_ALIAS_UPDATE] = "UPDATE aliases SET label = ?3, deleted_at = ?4 "
                       "WHERE account_id = ?1 AND id = ?2",

    /* rev (migration 4): every statement that changes what an organization
     * shows writes a fresh random() into it: this insert, Q_ORG_BUMP after
     * member changes, and the rename trigger. See src/store/orgcache.h. */
    [Q_ORG_INSERT] = "INSERT INTO organizations "
                     "(account_id, id, owner_id, created_at, rev, owner_name) "
                     "VALUES (?1, ?2, ?3, ?4, random(), (SELECT legal_name FROM customers "
                     "WHERE account_id = ?1 AND id = ?3))",
    [Q_ORG_REV] = "SELECT rev FROM organizations WHERE account_id = ?1 AND id = ?2",
    [Q_ORG_BUMP] = "UPDATE organizations SET rev = random() WHERE account_id = ?1 AND id = ?2",
    /* The owner's name is kept on the row (migration 6): no search of the
     * customers table for it. */
    [Q_ORG_GET] = "SELECT id, owner_id, created_at, owner_name, rev FROM organizations "
                  "WHERE account_id = ?1 AND id = ?2",
    /* The names are kept on the membership rows (migration 3): a large
     * organization's members are spread over the customers table. */
    [Q_ORG_MEMBERS] = "SELECT customer_id, member_name FROM organization_members "
                      "WHERE account_id = ?1 AND organization_id = ?2 "
                      "ORDER BY position",
    [Q_ORG_BY_OWNER] = "SELECT id FROM organizations WHERE account_id = ?1 AND owner_id = ?2",
    /* The index by customer covers it: one search, no join. store.c puts a
     * customer's organizations in order once it has read them (an ORDER BY
     * here made SQLite open a sorter on every run, for one or two rows). */
    [Q_ORGS_OF_MEMBER] = "SELECT organization_id FROM organization_members "
                         "WHERE account_id = ?1 AND customer_id = ?2",
    /* Migration 7: the account's customers whose ids do not carry their
     * creation time (no row: no customers). */
    [Q_CUSTOMERS_UNORDERED] = "SELECT unordered FROM customer_counts WHERE account_id = ?1",
    /* A list page's properties and memberships, for the customers whose ids
     * lie in [?2, ?3]: one ordered range of the table or index (page_scan). */
    [Q_PAGE_PROPS] = "SELECT customer_id, key, value FROM customer_properties "
                     "WHERE account_id = ?1 AND customer_id >= ?2 AND customer_id <= ?3 "
                     "ORDER BY customer_id, key",
    [Q_PAGE_ORG_IDS] = "SELECT customer_id, organization_id FROM organization_members "
                       "WHERE account_id = ?1 AND customer_id >= ?2 AND customer_id <= ?3 "
                       "ORDER BY customer_id",
    [Q_ORG_MAX_POSITION] = "SELECT COALESCE(MAX(position), 0) FROM organization_members "
                           "WHERE account_id = ?1 AND organization_id = ?2",
    [Q_ORG_MEMBER_INSERT] = "INSERT INTO organization_members "
                            "(account_id, organization_id, customer_id, position, member_name) "
                            "VALUES (?1, ?2, ?3, ?4, (SELECT legal_name FROM customers "
                            "WHERE account_id = ?1 AND id = ?3)) ON CONFLICT DO NOTHING",
    [Q_ORG_MEMBERS_CLEAR] = "DELETE FROM organization_members "
                            "WHERE account_id = ?1 AND organization_id = ?2",
    [Q_ORG_MEMBER_REMOVE] = "DELETE FROM organization_members "
                            "WHERE account_id = ?1 AND organization_id = ?2 "
                            "AND customer_id = ?3",
    [Q_ORG_MEMBER_COUNT] = "SELECT COUNT(*) FROM organization_members "
                           "WHERE account_id = ?1 AND organization_id = ?2",
    [Q_ORG_DELETE] = "DELETE FROM organizations WHERE account_id = ?1 AND id = ?2",
    /* Owner -> members edges from ?2. UNION (not UNION ALL) keeps each
     * customer once, so the walk ends even if the data held a cycle. */
    [Q_ORG_REACHES] = "WITH RECURSIVE below(id) AS ("
                      "  SELECT ?2"
                      "  UNION"
                      "  SELECT m.customer_id FROM below"
                      "  JOIN organizations o ON o.account_id = ?1 AND o.owner_id = below.id"
                      "  JOIN organization_members m"
                      "    ON m.account_id = ?1 AND m.organization_id = o.id"
                      ") SELECT EXISTS (SELECT 1 FROM below WHERE id = ?3)",
};

/* ---- statement plumbing ---- */

static enum err prep(struct store__sqlite_conn *c, enum q id, sqlite3_stmt **out)
{
    if (!c->fixed[id]) {
        int src =
            sqlite3_prepare_v3(c->db, sql[id], -1, SQLITE_PREPARE_PERSISTENT, &c->fixed[id], NULL);
        if (src != SQLITE_OK) {
            c->fixed[id] = NULL;
            return store__sqlite_fail(c, src, sql[id]);
        }
    }
    *out = c->fixed[id];
    return ERR_OK;
}

typedef void (*sql_builder)(struct buf *b, uint32_t shape);

/* A statement whose text is a function of `shape` (never 0), cached. */
static enum err prep_dyn(struct store__sqlite_conn *c, uint32_t shape, sql_builder build,
                         sqlite3_stmt **out)
{
    for (unsigned i = 0; i < SQLITE_DYN_MAX; i++) {
        if (c->dyn[i].key == shape) {
            *out = c->dyn[i].st;
            return ERR_OK;
        }
    }
    struct buf b;
    buf_init(&b, 16 * 1024);
    build(&b, shape);
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v3(c->db, b.data, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    enum err rc = src == SQLITE_OK ? ERR_OK : store__sqlite_fail(c, src, b.data);
    buf_fini(&b);
    if (rc)
        return rc;
    unsigned slot = c->dyn_next;
    c->dyn_next = (slot + 1) % SQLITE_DYN_MAX;
    sqlite3_finalize(c->dyn[slot].st);
    c->dyn[slot].key = shape;
    c->dyn[slot].st = st;
    *out = st;
    return ERR_OK;
}

/*
 * Ends one use of `st`: maps the last step result (SQLITE_ROW and
 * SQLITE_DONE are success), then resets the statement and drops its
 * bindings (they point into the caller's strings).
 */
static enum err finish(struct store__sqlite_conn *c, sqlite3_stmt *st, int src)
{
    enum err rc = ERR_OK;
    if (src != SQLITE_ROW && src != SQLITE_DONE)
        rc = store__sqlite_fail(c, src, sqlite3_sql(st));
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

/* Runs a statement that returns no rows. *src receives the result code
 * (constraint violations are told apart by it). */
static enum err run(struct store__sqlite_conn *c, sqlite3_stmt *st, int *src)
{
    int r = sqlite3_step(st);
    if (src)
        *src = r;
    return finish(c, st, r == SQLITE_ROW ? SQLITE_DONE : r);
}

/* A failed bind: the values do not fit (too big), or a bug. */
static enum err bind_failed(struct store__sqlite_conn *c, sqlite3_stmt *st)
{
    enum err rc = store__sqlite_fail(c, sqlite3_errcode(c->db), "bind");
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == ERR_OK ? ERR_INTERNAL : rc;
}

/* Strings are bound without copies: they outlive the step, and finish()
 * clears the bindings. */
static int bind_str(sqlite3_stmt *st, int i, const char *s)
{
    return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

/* 0 ("not set") is stored as NULL. */
static int bind_time(sqlite3_stmt *st, int i, int64_t t)
{
    return t ? sqlite3_bind_int64(st, i, t) : sqlite3_bind_null(st, i);
}

static int bind_acct(sqlite3_stmt *st, const char *account, const char *id)
{
    int b = bind_str(st, 1, account);
    if (id)
        b |= bind_str(st, 2, id);
    return b;
}

static const char *col_str(struct arena *a, sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    if (!t)
        return NULL;
    return arena_strndup(a, (const char *)t, (size_t)sqlite3_column_bytes(st, i));
}

static void col_id(sqlite3_stmt *st, int i, char out[ID_LEN + 1])
{
    const unsigned char *t = sqlite3_column_text(st, i);
    size_t n = t ? (size_t)sqlite3_column_bytes(st, i) : 0;
    if (n > ID_LEN)
        n = ID_LEN;
    if (n)
        memcpy(out, t, n);
    out[n] = '\0';
}

static bool col_blob(sqlite3_stmt *st, int i, uint8_t *out, size_t len)
{
    const void *p = sqlite3_column_blob(st, i);
    if (!p || (size_t)sqlite3_column_bytes(st, i) != len)
        return false;
    memcpy(out, p, len);
    return true;
}

/* Grows an arena array to hold n + 1 elements. */
static void *grow(struct arena *a, void *p, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return p;
    size_t nc = *cap ? *cap * 2 : 8;
    void *q = arena_alloc(a, nc * size);
    if (n)
        memcpy(q, p, n * size);
    *cap = nc;
    return q;
}

static enum err corrupt(const char *what)
{
    log_kv(LOG_ERROR, "unexpected value in the database", "column", what, (const char *)NULL);
    return ERR_INTERNAL;
}

#define TX_CONN(tx) store__sqlite_conn_of(tx)

/* ---- idempotency ---- */

static enum err idem_get(struct store_tx *tx, struct arena *a, const char *account, const char *key,
                         struct idem_record *out)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    sqlite3_stmt *st = NULL;
    enum err rc = prep(c, Q_IDEM_GET, &st);
    if (rc)
        return rc;
    if (bind_acct(st, account, key))
        return bind_failed(c, st);
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        if (!col_blob(st, 0, out->hash, IDEM_HASH_LEN)) {
            finish(c, st, src);
            return corrupt("idempotency_keys.request_hash");
        }
        out->status = sqlite3_column_int(st, 1);
        out->body = (char *)col_str(a, st, 2);
        if (!out->body)
            out->body = arena_strdup(a, "");
        out->created_at = sqlite3_column_int64(st, 3);
    }
    rc = finish(c, st, src);
    return rc ? rc : src == SQLITE_ROW ? ERR_OK : ERR_NOT_FOUND;
}

static enum err idem_put(struct store_tx *tx, const char *account, const char *key,
                         const struct idem_record *r)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    sqlite3_stmt *st = NULL;
    enum err rc = prep(c, Q_IDEM_PUT, &st);
    if (rc)
        return rc;
    int b = bind_acct(st, account, key);
    b |= sqlite3_bind_blob(st, 3, r->hash, IDEM_HASH_LEN, SQLITE_STATIC);
    b |= sqlite3_bind_int(st, 4, r->status);
    b |= bind_str(st, 5, r->body ? r->body : "");
    b |= sqlite3_bind_int64(st, 6, r->created_at);
    if (b)
        return bind_failed(c, st);
    if ((rc = run(c, st, NULL)))
        return rc;
    /* A few expired records of the account go with each new one, so the
     * table stays bounded without a sweeper. */
    if ((rc = prep(c, Q_IDEM_EXPIRE, &st)))
        return rc;
    b = bind_acct(st, account, NULL);
    b |= sqlite3_bind_int64(st, 2, r->created_at - IDEM_TTL_MS);
    if (b)
        return bind_failed(c, st);
    return run(c, st, NULL);
}

/* ---- accounts and clients ---- */

static enum err account_ensure(struct store_tx *tx, const char *name, int64_t now,
                               char id[ID_LEN + 1])
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    sqlite3_stmt *st = NULL;
    enum err rc = prep(c, Q_ACCOUNT_BY_NAME, &st);
    if (rc)
        return rc;
    if (bind_str(st, 1, name))
        return bind_failed(c, st);
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW)
        col_id(st, 0, id);
    if ((rc = finish(c, st, src)) || src == SQLITE_ROW)
        return rc;
    char nid[ID_LEN + 1];
    id_new(nid);
    if ((rc = prep(c, Q_ACCOUNT_INSERT, &st)))
        return rc;
    if (bind_str(st, 1, nid) | bind_str(st, 2, name) | sqlite3_bind_int64(st, 3, now))
        return bind_failed(c, st);
    if ((rc = run(c, st, NULL)))
        return rc;
    memcpy(id, nid, ID_LEN + 1);
    return ERR_OK;
}

static enum err account_list(struct store_tx *tx, struct arena *a, struct account_row **out,
                             size_t *n)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    sqlite3_stmt *st = NULL;
    enum err rc = prep(c, Q_ACCOUNT_LIST, &st);
    if (rc)
        return rc;
    struct account_row *v = NULL;
    size_t len = 0, cap = 0;
    int src;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        v = grow(a, v, len, &cap, sizeof(*v));
        struct account_row *r = &v[len++];
        col_id(st, 0, r->id);
        r->name = col_str(a, st, 1);
        r->created_at = sqlite3_column_int64(st, 2);
        r->clients = sqlite3_column_int64(st, 3);
    }
    if ((rc = finish(c, st, src)))
        return rc;
    *out = v;
    *n = len;
    return ERR_OK;
}

static enum err client_insert(struct store_tx *tx, const char *account_id, const char *client_id,
                              const uint8_t hash[SECRET_HASH_LEN], int64_t now)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    sqlite3_stmt *st = NULL;
    enum err rc = prep(c, Q_CLIENT_INSERT, &st);
    if (rc)
        return rc;
    if (bind_str(st, 1, client_id) | bind_str(st, 2, account_id) |
        sqlite3_bind_blob(st, 3, hash, SECRET_HASH_LEN, SQLITE_STATIC) |
        sqlite3_bind_int64(st, 4, now))
        return bind_failed(c, st);
    return run(c, st, NULL);
}

static enum err client_get(struct store_tx *tx, const char *client_id, char account_id[ID_LEN + 1],
                           uint8_t hash[SECRET_HASH_LEN], int64_t *revoked_at)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    sqlite3_stmt *st = NULL;
    enum err rc = prep(c, Q_CLIENT_GET, &st);
    if (rc)
        return rc;
    if (bind_str(st, 1, client_id))
        return bind_failed(c, st);
    int src = sqlite3_step(st);
    bool ok = true;
    if (src == SQLITE_ROW) {
        col_id(st, 0, account_id);
        ok = col_blob(st, 1, hash, SECRET_HASH_LEN);
        *revoked_at = sqlite3_column_int64(st, 2);
    }
    if ((rc = finish(c, st, src)))
        return rc;
    if (!ok)
        return corrupt("api_clients.secret_hash");
    return src == SQLITE_ROW ? ERR_OK : ERR_NOT_FOUND;
}

/* Runs a prepared UPDATE or DELETE; ERR_NOT_FOUND when it touched no row. */
static enum err run_changes(struct store__sqlite_conn *c, sqlite3_stmt *st, int *src)
{
    enum err rc = run(c, st, src);
    if (rc)
        return rc;
    return sqlite3_changes(c->db) > 0 ? ERR_OK : ERR_NOT_FOUND;
}

static enum err client_revoke(struct store_tx *tx, const char *client_id, int64_t now)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    sqlite3_stmt *st = NULL;
    enum err rc = prep(c, Q_CLIENT_REVOKE, &st);
    if (rc)
        return rc;
    if (bind_str(st, 1, client_id) | sqlite3_bind_int64(st, 2, now))
        return bind_failed(c, st);
    return run_changes(c, st, NULL);
}

static enum err client_list(struct store_tx *tx, struct arena *a, struct client_row **out,
                            size_t *n)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    sqlite3_stmt *st = NULL;
    enum err rc = prep(c, Q_CLIENT_LIST, &st);
    if (rc)
        return rc;
    struct client_row *v = NULL;
    size_t len = 0, cap = 0;
    int src;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        v = grow(a, v, len, &cap, sizeof(*v));
        struct client_row *r = &v[len++];
        col_id(st, 0, r->id);
        col_id(st, 1, r->account_id);
        r->account_name = col_str(a, st, 2);
        r->created_at = sqlite3_column_int64(st, 3);
        r->revoked_at = sqlite3_column_int64(st, 4);
    }
    if ((rc = finish(c, st, src)))
        return rc;
    *out = v;
    *n = len;
    return ERR_OK;
}

/* ---- customers ---- */

/* Reads the CUSTOMER_COLS of the current row into *out. */
static enum err customer_from_row(struct arena *a, sqlite3_stmt *st, struct customer *out)
{
    memset(out, 0, sizeof(*out));
    col_id(st, 0, out->id);
    out->legal_name = col_str(a, st, 1);
    out->url = col_str(a, st, 2);
    out->label = col_str(a, st, 3);
    const char *tax = (const char *)sqlite3_column_text(st, 4);
    const char *status = (const char *)sqlite3_column_text(st, 5);
    if (!tax || !tax_status_parse(tax, &out->tax_status))
        return corrupt("customers.tax_status");
    if (!status || !customer_status_parse(status, &out->status))
        return corrupt("customers.status");
    out->address.line1 = col_str(a, st, 6);
    out->address.line2 = col_str(a, st, 7);
    out->address.town = col_str(a, st, 8);
    out->address.state = col_str(a, st, 9);
    out->address.postcode = col_str(a, st, 10);
    out->address.country = col_str(a, st, 11);
    store__integrations_decode(a, (const char *)sqlite3_column_text(st, 12), out);
    out->created_at = sqlite3_column_int64(st, 13);
    out->updated_at = sqlite3_column_int64(st, 14);
    out->archived_at = sqlite3_column_int64(st, 15);
    return ERR_OK;
}

static enum err customer_row_get(struct store_tx *tx, struct arena *a, const char *account,
                                 const char *id, struct customer *out)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    sqlite3_stmt *st = NULL;
    enum err rc = prep(c, Q_CUSTOMER_GET, &st);
    if (rc)
        return rc;
    if (bind_acct(st, account, id))
        return bind_failed(c, st);
    int src = sqlite3_step(st);
    enum err rrc = src == SQLITE_ROW ? customer_from_row(a, st, out) : ERR_NOT_FOUND;
    rc = finish(c, st, src);
    return rc ? rc : rrc;
}

/* Binds ?2..?16 of Q_CUSTOMER_INSERT / Q_CUSTOMER_UPDATE; *integrations
 * receives the malloc'd JSON to free after the step. */
static int bind_customer(sqlite3_stmt *st, const struct customer *cu, char **integrations)
{
    *integrations = cu->n_integrations ? store__integrations_encode(cu) : NULL;
    int b = bind_str(st, 2, cu->id);
    b |= bind_str(st, 3, cu->legal_name);
    b |= bind_str(st, 4, cu->url);
    b |= bind_str(st, 5, cu->label);
    b |= bind_str(st, 6, tax_status_name(cu->tax_status));
    b |= bind_str(st, 7, customer_status_name(cu->status));
    b |= bind_str(st, 8, cu->address.line1);
    b |= bind_str(st, 9, cu->address.line2);
    b |= bind_str(st, 10, cu->address.town);
    b |= bind_str(st, 11, cu->address.state);
    b |= bind_str(st, 12, cu->address.postcode);
    b |= bind_str(st, 13, cu->address.country);
    b |= bind_str(st, 14, *integrations);
    b |= sqlite3_bind_int64(st, 16, cu->updated_at);
    return b;
}

static enum err contact_insert(struct store_tx *tx, const char *account, const char *customer_id,
                               const struct contact *ct)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    sqlite3_stmt *st = NULL;
    enum err rc = prep(c, Q_CONTACT_INSERT, &st);
    if (rc)
        return rc;
    int b = bind_acct(st, account, customer_id);
    b |= bind_str(st, 3, ct->id);
    b |= bind_str(st, 4, ct->name);
    b |= bind_str(st, 5, ct->email);
    b |= bind_str(st, 6, billing_pref_name(ct->pref));
    b |= sqlite3_bind_int64(st, 7, ct->created_at);
    b |= sqlite3_bind_int64(st, 8, ct->updated_at ? ct->updated_at : ct->created_at);
    b |= bind_time(st, 9, ct->archived_at);
    if (b)
        return bind_failed(c, st);
    return run(c, st, NULL);
}

static enum err props_insert(struct store__sqlite_conn *c, const char *account,
                             const struct customer *cu)
{
    sqlite3_stmt *st = NULL;
    enum err rc = prep(c, Q_PROP_INSERT, &st);
    for (size_t i = 0; !rc && i < cu->n_props; i++) {
        if (bind_acct(st, account, cu->id) | bind_str(st, 3, cu->props[i].key) |
            bind_str(st, 4, cu->props[i].value))
            return bind_failed(c, st);
        rc = run(c, st, NULL);
    }
    return rc;
}

static enum err contacts_insert(struct store_tx *tx, const char *account, const struct customer *cu)
{
    enum err rc = ERR_OK;
    for (size_t i = 0; !rc && i < cu->n_contacts; i++)
        rc = contact_insert(tx, account, cu->id, &cu->contacts[i]);
    return rc;
}

static enum err customer_insert(struct store_tx *tx, const char *account, const struct customer *cu)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    sqlite3_stmt *st = NULL;
    enum err rc = prep(c, Q_CUSTOMER_INSERT, &st);
    if (rc)
        return rc;
    char *integrations = NULL;
    int b = bind_str(st, 1, account) | bind_customer(st, cu, &integrations);
    b |= sqlite3_bind_int64(st, 15, cu->created_at);
    b |= bind_time(st, 17, cu->archived_at);
    if (b) {
        rc = bind_failed(c, st);
    } else {
        rc = run(c, st, NULL);
    }
    free(integrations);
    if (rc)
        return rc;
    if ((rc = contacts_insert(tx, account, cu)))
        return rc;
    return props_insert(c, account, cu);
}

static enum err customer_update(struct store_tx *tx, const char *account, const struct customer *cu,
                                bool replace_props)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    sqlite3_stmt *st = NULL;
    enum err rc = prep(c, Q_CUSTOMER_UPDATE, &st);
    if (rc)
        return rc;
    char *integrations = NULL;
    if (bind_str(st, 1, account) | bind_customer(st, cu, &integrations))
        rc = bind_failed(c, st);
    else
        rc = run_changes(c, st, NULL);
    free(integrations);
    if (rc)
        return rc;
    /* The old contacts stay, archived, for the contact endpoints' history. */
    if ((rc = prep(c, Q_CONTACTS_ARCHIVE, &st)))
        return rc;
    if (bind_acct(st, account, cu->id) | sqlite3_bind_int64(st, 3, cu->updated_at))
        return bind_failed(c, st);
    if ((rc = run(c, st, NULL)) || (rc = contacts_insert(tx, account, cu)))
        return rc;
    if (!replace_props)
        return ERR_OK;
    if ((rc = prep(c, Q_PROPS_DELETE, &st)))
        return rc;
    if (bind_acct(st, account, cu->id))
        return bind_failed(c, st);
    if ((rc = run(c, st, NULL)))
        return rc;
    return props_insert(c, account, cu);
}

static enum err customer_archive(struct store_tx *tx, const char *account, const char *id,
                                 int64_t now)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    sqlite3_stmt *st = NULL;
    enum err rc = prep(c, Q_CUSTOMER_ARCHIVE, &st);
    if (rc)
        return rc;
    if (bind_acct(st, account, id) | sqlite3_bind_int64(st, 3, now))
        return bind_failed(c, st);
    return run_changes(c, st, NULL);
}

static enum err customer_briefs(struct store_tx *tx, struct arena *a, const char *account,
                                const char *const *ids, size_t n, struct customer_brief *out)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    sqlite3_stmt *st = NULL;
    enum err rc = prep(c, Q_CUSTOMER_BRIEF, &st);
    for (size_t i = 0; !rc && i < n; i++) {
        memset(&out[i], 0, sizeof(out[i]));
        if (!id_valid(ids[i]))
            continue;
        if (bind_acct(st, account, ids[i]))
            return bind_failed(c, st);
        int src = sqlite3_step(st);
        if (src == SQLITE_ROW) {
            out[i].found = true;
            out[i].legal_name = col_str(a, st, 0);
            out[i].archived = sqlite3_column_type(st, 1) != SQLITE_NULL;
        }
        rc = finish(c, st, src);
    }
    return rc;
}

static enum err customer_props(struct store_tx *tx, struct arena *a, const char *account,
                               const char *customer_id, struct property **out, size_t *n)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    sqlite3_stmt *st = NULL;
    enum err rc = prep(c, Q_PROPS_GET, &st);
    if (rc)
        return rc;
    if (bind_acct(st, account, customer_id))
        return bind_failed(c, st);
    struct property *v = NULL;
    size_t len = 0, cap = 0;
    int src;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        v = grow(a, v, len, &cap, sizeof(*v));
        v[len].key = col_str(a, st, 0);
        v[len].value = col_str(a, st, 1);
        len++;
    }
    if ((rc = finish(c, st, src)))
        return rc;
    *out = v;
    *n = len;
    return ERR_OK;
}

static enum err property_keys(struct store_tx *tx, struct arena *a, const char *account,
                              const char ***out, size_t *n)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    sqlite3_stmt *st = NULL;
    enum err rc = prep(c, Q_PROPERTY_KEYS, &st);
    if (rc)
        return rc;
    if (bind_acct(st, account, NULL))
        return bind_failed(c, st);
    const char **v = NULL;
    size_t len = 0, cap = 0;
    int src;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        v = grow(a, v, len, &cap, sizeof(*v));
        v[len++] = col_str(a, st, 0);
    }
    if ((rc = finish(c, st, src)))
        return rc;
    *out = v;
    *n = len;
    return ERR_OK;
}

/* ---- keyset lists ---- */

/*
 * A list statement's shape, packed into 32 bits (the dynamic cache key):
 * which list, which statement of it, the cursor comparison, the scan
 * direction, the sort and the filters in use.
 */
enum list_family { FAM_CUSTOMERS = 1, FAM_ALIASES, FAM_ORGS };
enum list_kind { KIND_PAGE, KIND_PROBE, KIND_COUNT };
enum list_cmp { CMP_NONE, CMP_GT, CMP_LT, CMP_GE, CMP_LE };

static const char *const cmp_ops[] = {"", ">", "<", ">=", "<="};

#define SHAPE(fam, kind, cmp, desc, sort, filters)                                                 \
    ((uint32_t)(fam) << 24 | (uint32_t)(kind) << 20 | (uint32_t)(cmp) << 16 |                      \
     (uint32_t)(desc) << 15 | (uint32_t)(sort) << 12 | (uint32_t)(filters))
#define SHAPE_KIND(s) ((enum list_kind)(((s) >> 20) & 0xf))
#define SHAPE_CMP(s) ((enum list_cmp)(((s) >> 16) & 0xf))
#define SHAPE_DESC(s) (((s) >> 15) & 1)
#define SHAPE_SORT(s) ((enum customer_sort)(((s) >> 12) & 0x7))
#define SHAPE_FILTERS(s) ((s)&0xfff)

/*
 * Parameters of every list statement: ?1 the account, ?2..?6 filters,
 * ?7 the cursor key, ?8 the cursor id, ?9 the limit. A statement uses a
 * subset; binding checks the statement's parameter count.
 */
enum { P_ACCOUNT = 1, P_F1, P_F2, P_F3, P_F4, P_F5, P_CKEY, P_CID, P_LIMIT };

/* How one page query runs (see struct page_query). */
struct plan {
    enum list_cmp page_cmp;  /* rows strictly past / ahead of the cursor */
    enum list_cmp probe_cmp; /* the other side, cursor row included */
    bool scan_desc;          /* the fetch order */
    bool reversed;           /* before a cursor: fetched backwards */
};

static void plan_make(const struct page_query *pq, struct plan *p)
{
    bool desc = pq->desc;
    p->reversed = pq->has_cursor && !pq->cursor_after;
    p->scan_desc = p->reversed ? !desc : desc;
    if (!pq->has_cursor) {
        p->page_cmp = p->probe_cmp = CMP_NONE;
    } else if (pq->cursor_after) {
        p->page_cmp = desc ? CMP_LT : CMP_GT;
        p->probe_cmp = desc ? CMP_GE : CMP_LE;
    } else {
        p->page_cmp = desc ? CMP_GT : CMP_LT;
        p->probe_cmp = desc ? CMP_LE : CMP_GE;
    }
}

static int bind_opt_str(sqlite3_stmt *st, int i, const char *s)
{
    return i <= sqlite3_bind_parameter_count(st) ? bind_str(st, i, s) : SQLITE_OK;
}

static int bind_opt_int(sqlite3_stmt *st, int i, int64_t v)
{
    return i <= sqlite3_bind_parameter_count(st) ? sqlite3_bind_int64(st, i, v) : SQLITE_OK;
}

/* What differs between the lists: the SQL, the filter values, the rows. */
struct list_spec {
    uint32_t family, sort, filters;
    sql_builder build;
    const char *f[5]; /* values of ?2..?6 (NULL: unused) */
    bool key_is_int;  /* the cursor key binds as an integer */
    int64_t ckey_int;
    const char *ckey_str;
    /* Reads the current row into `elem`, row i of the page. */
    enum err (*row)(void *ctx, struct arena *a, sqlite3_stmt *st, void *elem, size_t i);
    void *ctx;
    size_t elem_size;
    void *items; /* out: the rows, in page order (arena) */
    size_t cap;
};

static int bind_list(sqlite3_stmt *st, const char *account, const struct list_spec *ls,
                     const struct page_query *pq, int64_t limit)
{
    int b = bind_str(st, P_ACCOUNT, account);
    for (int i = 0; i < 5; i++)
        if (ls->f[i])
            b |= bind_opt_str(st, P_F1 + i, ls->f[i]);
    if (pq->has_cursor) {
        if (ls->key_is_int)
            b |= bind_opt_int(st, P_CKEY, ls->ckey_int);
        else
            b |= bind_opt_str(st, P_CKEY, ls->ckey_str ? ls->ckey_str : "");
        b |= bind_opt_str(st, P_CID, pq->cursor_id);
    }
    b |= bind_opt_int(st, P_LIMIT, limit);
    return b;
}

static void reverse(void *items, size_t n, size_t size)
{
    unsigned char tmp[256];
    unsigned char *p = items;
    for (size_t i = 0, j = n ? n - 1 : 0; i < j; i++, j--) {
        unsigned char *x = p + i * size, *y = p + j * size;
        for (size_t off = 0; off < size; off += sizeof(tmp)) {
            size_t k = size - off < sizeof(tmp) ? size - off : sizeof(tmp);
            memcpy(tmp, x + off, k);
            memcpy(x + off, y + off, k);
            memcpy(y + off, tmp, k);
        }
    }
}

/* Runs the page, probe and count statements of one list request. */
static enum err list_run(struct store__sqlite_conn *c, struct arena *a, const char *account,
                         struct list_spec *ls, const struct page_query *pq, size_t *n,
                         struct page_result *pr)
{
    struct plan p;
    plan_make(pq, &p);
    int64_t limit = pq->limit > 0 ? pq->limit : 0;
    struct page_result r = {0};

    sqlite3_stmt *st = NULL;
    enum err rc =
        prep_dyn(c, SHAPE(ls->family, KIND_PAGE, p.page_cmp, p.scan_desc, ls->sort, ls->filters),
                 ls->build, &st);
    if (rc)
        return rc;
    if (bind_list(st, account, ls, pq, limit + 1))
        return bind_failed(c, st);
    size_t got = 0;
    int src;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        if ((int64_t)got == limit) {
            got++; /* one more than a page: there is more */
            break;
        }
        ls->items = grow(a, ls->items, got, &ls->cap, ls->elem_size);
        void *elem = (unsigned char *)ls->items + got * ls->elem_size;
        if ((rc = ls->row(ls->ctx, a, st, elem, got))) {
            finish(c, st, SQLITE_DONE);
            return rc;
        }
        got++;
    }
    if ((rc = finish(c, st, src)))
        return rc;
    bool more = (int64_t)got > limit;
    size_t rows = more ? (size_t)limit : got;
    if (p.reversed) {
        reverse(ls->items, rows, ls->elem_size);
        r.has_prev = more;
    } else {
        r.has_next = more;
    }

    if (pq->has_cursor) {
        rc = prep_dyn(c, SHAPE(ls->family, KIND_PROBE, p.probe_cmp, 0, ls->sort, ls->filters),
                      ls->build, &st);
        if (rc)
            return rc;
        if (bind_list(st, account, ls, pq, 0))
            return bind_failed(c, st);
        src = sqlite3_step(st);
        bool exists = src == SQLITE_ROW && sqlite3_column_int(st, 0) != 0;
        if ((rc = finish(c, st, src)))
            return rc;
        if (p.reversed)
            r.has_next = exists;
        else
            r.has_prev = exists;
    }

    rc = prep_dyn(c, SHAPE(ls->family, KIND_COUNT, CMP_NONE, 0, 0, ls->filters), ls->build, &st);
    if (rc)
        return rc;
    struct page_query none = {0};
    if (bind_list(st, account, ls, &none, 0))
        return bind_failed(c, st);
    src = sqlite3_step(st);
    if (src == SQLITE_ROW)
        r.total = sqlite3_column_int64(st, 0);
    if ((rc = finish(c, st, src)))
        return rc;
    *n = rows;
    *pr = r;
    return ERR_OK;
}

/* Wraps the body of a list query into the statement `shape` asks for:
 * `from_where` is "FROM ... WHERE ..." with the filters, `key` and `id`
 * the sort expressions. */
static void list_sql(struct buf *b, uint32_t shape, const char *cols, const char *from_where,
                     const char *key, const char *id)
{
    enum list_kind kind = SHAPE_KIND(shape);
    enum list_cmp cmp = SHAPE_CMP(shape);
    const char *dir = SHAPE_DESC(shape) ? "DESC" : "ASC";
    if (kind == KIND_COUNT)
        buf_printf(b, "SELECT COUNT(*) %s", from_where);
    else if (kind == KIND_PROBE)
        buf_printf(b, "SELECT EXISTS (SELECT 1 %s", from_where);
    else
        buf_printf(b, "SELECT %s %s", cols, from_where);
    if (cmp != CMP_NONE) {
        if (key)
            buf_printf(b, " AND (%s, %s) %s (?%d, ?%d)", key, id, cmp_ops[cmp], P_CKEY, P_CID);
        else
            buf_printf(b, " AND %s %s ?%d", id, cmp_ops[cmp], P_CID);
    }
    if (kind == KIND_PROBE)
        buf_puts(b, ")");
    if (kind == KIND_PAGE) {
        if (key)
            buf_printf(b, " ORDER BY %s %s, %s %s", key, dir, id, dir);
        else
            buf_printf(b, " ORDER BY %s %s", id, dir);
        buf_printf(b, " LIMIT ?%d", P_LIMIT);
    }
}

/* -- customers -- */

enum {
    CF_ACTIVE = 1, /* archived ones left out */
    CF_LEGAL_NAME = 2,
    CF_LABEL = 4,
    CF_EMAIL = 8,
    CF_ALIAS = 16,
};

/*
 * The creation order of an account none of whose customers has an id that
 * disagrees with its created_at (migration 7): the primary key's order, so
 * that a page is one range of the table. A shape of its own, past the API's
 * sorts; its cursor key is still created_at, which the statements leave out.
 */
#define SORT_BY_ID ((enum customer_sort)7)

static const char *customer_key_expr(enum customer_sort sort)
{
    switch (sort) {
    case SORT_LEGAL_NAME:
        return "c.legal_name";
    case SORT_LABEL:
        return "COALESCE(c.label, '')";
    case SORT_PROPERTY:
        return "COALESCE(p.value, '')";
    case SORT_CREATED_AT:
    default:
        return "c.created_at";
    }
}

static void customers_sql(struct buf *b, uint32_t shape)
{
    uint32_t f = SHAPE_FILTERS(shape);
    enum customer_sort sort = SHAPE_SORT(shape);
    if (SHAPE_KIND(shape) == KIND_COUNT && (f & ~CF_ACTIVE) == 0) {
        /* No filter but the archived one: the trigger-kept count. */
        buf_printf(b,
                   "SELECT COALESCE((SELECT %s FROM customer_counts WHERE account_id = ?%d), 0)",
                   f & CF_ACTIVE ? "active" : "total", P_ACCOUNT);
        return;
    }
    bool join = sort == SORT_PROPERTY && SHAPE_KIND(shape) != KIND_COUNT;
    struct buf w;
    buf_init(&w, 8 * 1024);
    buf_puts(&w, "FROM customers c");
    if (join)
        buf_printf(&w,
                   " LEFT JOIN customer_properties p ON p.account_id = c.account_id"
                   " AND p.customer_id = c.id AND p.key = ?%d",
                   P_F5);
    buf_printf(&w, " WHERE c.account_id = ?%d", P_ACCOUNT);
    if (f & CF_ACTIVE)
        buf_puts(&w, " AND c.archived_at IS NULL");
    if (f & CF_LEGAL_NAME)
        buf_printf(&w, " AND c.legal_name LIKE ?%d ESCAPE '\\'", P_F1);
    if (f & CF_LABEL)
        buf_printf(&w, " AND c.label LIKE ?%d ESCAPE '\\'", P_F2);
    if (f & CF_EMAIL)
        buf_printf(&w,
                   " AND c.id IN (SELECT ct.customer_id FROM contacts ct"
                   " WHERE ct.account_id = ?%d AND ct.email = ?%d COLLATE NOCASE"
                   " AND ct.archived_at IS NULL)",
                   P_ACCOUNT, P_F3);
    if (f & CF_ALIAS)
        buf_printf(&w,
                   " AND c.id IN (SELECT al.customer_id FROM aliases al"
                   " WHERE al.account_id = ?%d AND al.value = ?%d AND al.deleted_at IS NULL)",
                   P_ACCOUNT, P_F4);
    char cols[256];
    snprintf(cols, sizeof(cols), "%s, %s", CUSTOMER_COLS, customer_key_expr(sort));
    list_sql(b, shape, cols, w.data, sort == SORT_BY_ID ? NULL : customer_key_expr(sort), "c.id");
    buf_fini(&w);
}

/* "%text%" for LIKE, with the wildcards of `s` escaped. */
static const char *like_pattern(struct arena *a, const char *s)
{
    size_t n = strlen(s);
    char *p = arena_alloc(a, 2 * n + 3), *o = p;
    *o++ = '%';
    for (; *s; s++) {
        if (*s == '%' || *s == '_' || *s == '\\')
            *o++ = '\\';
        *o++ = *s;
    }
    *o++ = '%';
    *o = '\0';
    return p;
}

struct customer_keys {
    const char **keys; /* parallel to the rows */
    size_t cap;
    bool int_key;
};

static enum err customer_row(void *ctx, struct arena *a, sqlite3_stmt *st, void *elem, size_t i)
{
    struct customer_keys *ck = ctx;
    enum err rc = customer_from_row(a, st, elem);
    if (rc)
        return rc;
    ck->keys = grow(a, ck->keys, i, &ck->cap, sizeof(*ck->keys));
    if (ck->int_key)
        ck->keys[i] =
            arena_printf(a, "%" PRId64, (int64_t)sqlite3_column_int64(st, CUSTOMER_NCOLS));
    else
        ck->keys[i] = col_str(a, st, CUSTOMER_NCOLS);
    if (!ck->keys[i])
        ck->keys[i] = arena_strdup(a, "");
    return ERR_OK;
}

/* How many of the account's customers have ids that do not carry their
 * creation time (0 when it has none). */
static enum err customers_unordered(struct store__sqlite_conn *c, const char *account, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    enum err rc = prep(c, Q_CUSTOMERS_UNORDERED, &st);
    if (rc)
        return rc;
    if (bind_str(st, 1, account))
        return bind_failed(c, st);
    int src = sqlite3_step(st);
    *out = src == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    return finish(c, st, src);
}

static enum err customer_list_rows(struct store_tx *tx, struct arena *a, const char *account,
                                   const struct customer_query *q, struct customer **items,
                                   const char ***keys, size_t *n, struct page_result *pr)
{
    enum customer_sort sort = q->sort;
    if (sort > SORT_PROPERTY || (sort == SORT_PROPERTY && !q->sort_property))
        sort = SORT_CREATED_AT;
    struct customer_keys ck = {.int_key = sort == SORT_CREATED_AT};
    struct list_spec ls = {
        .family = FAM_CUSTOMERS,
        .sort = (uint32_t)sort,
        .build = customers_sql,
        .row = customer_row,
        .ctx = &ck,
        .elem_size = sizeof(**items),
        .key_is_int = ck.int_key,
    };
    if (!q->include_archived)
        ls.filters |= CF_ACTIVE;
    if (q->legal_name) {
        ls.filters |= CF_LEGAL_NAME;
        ls.f[0] = like_pattern(a, q->legal_name);
    }
    if (q->label) {
        ls.filters |= CF_LABEL;
        ls.f[1] = like_pattern(a, q->label);
    }
    if (q->email) {
        ls.filters |= CF_EMAIL;
        ls.f[2] = q->email;
    }
    if (q->alias) {
        ls.filters |= CF_ALIAS;
        ls.f[3] = q->alias;
    }
    if (sort == SORT_PROPERTY)
        ls.f[4] = q->sort_property;
    if (q->page.has_cursor) {
        if (ck.int_key) {
            const char *k = q->page.cursor_key ? q->page.cursor_key : "0";
            char *end = NULL;
            long long v = strtoll(k, &end, 10);
            if (end == k || *end)
                return ERR_CURSOR_INVALID;
            ls.ckey_int = v;
        } else {
            ls.ckey_str = q->page.cursor_key;
        }
    }
    /* By id when that is the same order; the LIKE filters read every row
     * either way. The email and alias filters keep their plans, which start
     * from the few customers they name. */
    enum err rc;
    if (sort == SORT_CREATED_AT && !(ls.filters & (CF_EMAIL | CF_ALIAS))) {
        int64_t unordered = 1;
        if ((rc = customers_unordered(TX_CONN(tx), account, &unordered)))
            return rc;
        if (unordered == 0)
            ls.sort = (uint32_t)SORT_BY_ID;
    }
    rc = list_run(TX_CONN(tx), a, account, &ls, &q->page, n, pr);
    if (rc)
        return rc;
    if (q->page.has_cursor && !q->page.cursor_after)
        reverse(ck.keys, *n, sizeof(*ck.keys)); /* as list_run did the rows */
    *items = ls.items;
    *keys = ck.keys;
    return ERR_OK;
}

/* -- aliases -- */

enum { AF_VALUE = 1 };

static void aliases_sql(struct buf *b, uint32_t shape)
{
    char fw[256];
    snprintf(fw, sizeof(fw), "FROM aliases WHERE account_id = ?%d AND deleted_at IS NULL%s",
             P_ACCOUNT, SHAPE_FILTERS(shape) & AF_VALUE ? " AND value = ?2" : "");
    list_sql(b, shape, ALIAS_COLS, fw, NULL, "id");
}

/* Reads ALIAS_COLS of the current row. */
static void alias_from_row(struct arena *a, sqlite3_stmt *st, const char *account,
                           struct alias *out)
{
    memset(out, 0, sizeof(*out));
    col_id(st, 0, out->id);
    snprintf(out->account_id, sizeof(out->account_id), "%s", account);
    col_id(st, 1, out->customer_id);
    out->value = col_str(a, st, 2);
    out->label = col_str(a, st, 3);
    out->created_at = sqlite3_column_int64(st, 4);
    out->deleted_at = sqlite3_column_int64(st, 5);
}

static enum err alias_row(void *ctx, struct arena *a, sqlite3_stmt *st, void *elem, size_t i)
{
    alias_from_row(a, st, ctx, elem);
    return ERR_OK;
}

static enum err alias_list(struct store_tx *tx, struct arena *a, const char *account,
                           const char *value, const struct page_query *pq, struct alias **out,
                           size_t *n, struct page_result *pr)
{
    struct list_spec ls = {
        .family = FAM_ALIASES,
        .filters = value ? AF_VALUE : 0,
        .build = aliases_sql,
        .f = {value},
        .row = alias_row,
        .ctx = (void *)account,
        .elem_size = sizeof(**out),
    };
    enum err rc = list_run(TX_CONN(tx), a, account, &ls, pq, n, pr);
    if (!rc)
        *out = ls.items;
    return rc;
}

/* -- organizations -- */

enum { OF_OWNER = 1, OF_MEMBER = 2 };

static void orgs_sql(struct buf *b, uint32_t shape)
{
    uint32_t f = SHAPE_FILTERS(shape);
    char fw[512];
    snprintf(fw, sizeof(fw), "FROM organizations o WHERE o.account_id = ?%d%s%s", P_ACCOUNT,
             f & OF_OWNER ? " AND o.owner_id = ?2" : "",
             f & OF_MEMBER ? " AND o.id IN (SELECT m.organization_id FROM organization_members m"
                             " WHERE m.account_id = ?1 AND m.customer_id = ?3)"
                           : "");
    list_sql(b, shape, "o.id", fw, NULL, "o.id");
}

static enum err org_id_row(void *ctx, struct arena *a, sqlite3_stmt *st, void *elem, size_t i)
{
    *(const char **)elem = col_str(a, st, 0);
    return ERR_OK;
}

static enum err org_list_ids(struct store_tx *tx, struct arena *a, const char *account,
                             const char *owner_id, const char *member_id,
                             const struct page_query *pq, const char ***ids, size_t *n,
                             struct page_result *pr)
{
    struct list_spec ls = {
        .family = FAM_ORGS,
        .filters = (owner_id ? OF_OWNER : 0) | (member_id ? OF_MEMBER : 0),
        .build = orgs_sql,
        .f = {owner_id, member_id},
        .row = org_id_row,
        .elem_size = sizeof(**ids),
    };
    enum err rc = list_run(TX_CONN(tx), a, account, &ls, pq, n, pr);
    if (!rc)
        *ids = ls.items;
    return rc;
}

/* ---- contacts ---- */

static enum err contact_from_row(sqlite3_stmt *st, struct arena *a, struct contact *out)
{
    memset(out, 0, sizeof(*out));
    col_id(st, 0, out->id);
    out->name = col_str(a, st, 1);
    out->email = col_str(a, st, 2);
    const char *pref = (const char *)sqlite3_column_text(st, 3);
    if (!pref || !billing_pref_parse(pref, &out->pref))
        return corrupt("contacts.billing_preference");
    out->created_at = sqlite3_column_int64(st, 4);
    out->updated_at = sqlite3_column_int64(st, 5);
    out->archived_at = sqlite3_column_int64(st, 6);
    return ERR_OK;
}

static enum err contact_list(struct store_tx *tx, struct arena *a, const char *account,
                             const char *customer_id, bool include_archived, struct contact **out,
                             size_t *n)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    sqlite3_stmt *st = NULL;
    enum err rc = prep(c, include_archived ? Q_CONTACTS_ALL : Q_CONTACTS_ACTIVE, &st);
    if (rc)
        return rc;
    if (bind_acct(st, account, customer_id))
        return bind_failed(c, st);
    struct contact *v = NULL;
    size_t len = 0, cap = 0;
    int src;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        v = grow(a, v, len, &cap, sizeof(*v));
        if ((rc = contact_from_row(st, a, &v[len++]))) {
            finish(c, st, SQLITE_DONE);
            return rc;
        }
    }
    if ((rc = finish(c, st, src)))
        return rc;
    *out = v;
    *n = len;
    return ERR_OK;
}

static enum err contact_get(struct store_tx *tx, struct arena *a, const char *account,
                            const char *customer_id, const char *id, struct contact *out)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    sqlite3_stmt *st = NULL;
    enum err rc = prep(c, Q_CONTACT_GET, &st);
    if (rc)
        return rc;
    if (bind_acct(st, account, customer_id) | bind_str(st, 3, id))
        return bind_failed(c, st);
    int src = sqlite3_step(st);
    enum err rrc = src == SQLITE_ROW ? contact_from_row(st, a, out) : ERR_NOT_FOUND;
    rc = finish(c, st, src);
    return rc ? rc : rrc;
}

static enum err contact_update(struct store_tx *tx, const char *account, const char *customer_id,
                               const struct contact *ct)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    sqlite3_stmt *st = NULL;
    enum err rc = prep(c, Q_CONTACT_UPDATE, &st);
    if (rc)
        return rc;
    int b = bind_acct(st, account, customer_id);
    b |= bind_str(st, 3, ct->id);
    b |= bind_str(st, 4, ct->name);
    b |= bind_str(st, 5, ct->email);
    b |= bind_str(st, 6, billing_pref_name(ct->pref));
    b |= sqlite3_bind_int64(st, 8, ct->updated_at);
    b |= bind_time(st, 9, ct->archived_at);
    if (b)
        return bind_failed(c, st);
    return run_changes(c, st, NULL);
}

/* ---- aliases ---- */

static enum err alias_insert(struct store_tx *tx, const char *account, const struct alias *al)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    sqlite3_stmt *st = NULL;
    enum err rc = prep(c, Q_ALIAS_INSERT, &st);
    if (rc)
        return rc;
    int b = bind_acct(st, account, al->id);
    b |= bind_str(st, 3, al->customer_id);
    b |= bind_str(st, 4, al->value);
    b |= bind_str(st, 5, al->label);
    b |= sqlite3_bind_int64(st, 6, al->created_at);
    b |= bind_time(st, 7, al->deleted_at);
    if (b)
        return bind_failed(c, st);
    int src;
    rc = run(c, st, &src);
    return src == SQLITE_CONSTRAINT_UNIQUE ? ERR_ALIAS_EXISTS : rc;
}

/* Runs a prepared single-alias query. */
static enum err alias_one(struct store__sqlite_conn *c, sqlite3_stmt *st, struct arena *a,
                          const char *account, struct alias *out)
{
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW)
        alias_from_row(a, st, account, out);
    enum err rc = finish(c, st, src);
    return rc ? rc : src == SQLITE_ROW ? ERR_OK : ERR_NOT_FOUND;
}

static enum err alias_get(struct store_tx *tx, struct arena *a, const char *account, const char *id,
                          struct alias *out)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    sqlite3_stmt *st = NULL;
    enum err rc = prep(c, Q_ALIAS_GET, &st);
    if (rc)
        return rc;
    if (bind_acct(st, account, id))
        return bind_failed(c, st);
    return alias_one(c, st, a, account, out);
}

static enum err alias_get_by_value(struct store_tx *tx, struct arena *a, const char *account,
                                   const char *value, struct alias *out)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    sqlite3_stmt *st = NULL;
    enum err rc = prep(c, Q_ALIAS_GET_BY_VALUE, &st);
    if (rc)
        return rc;
    if (bind_acct(st, account, value))
        return bind_failed(c, st);
    return alias_one(c, st, a, account, out);
}

static enum err alias_list_for_customer(struct store_tx *tx, struct arena *a, const char *account,
                                        const char *customer_id, struct alias **out, size_t *n)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    sqlite3_stmt *st = NULL;
    enum err rc = prep(c, Q_ALIASES_OF_CUSTOMER, &st);
    if (rc)
        return rc;
    if (bind_acct(st, account, customer_id))
        return bind_failed(c, st);
    struct alias *v = NULL;
    size_t len = 0, cap = 0;
    int src;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        v = grow(a, v, len, &cap, sizeof(*v));
        alias_from_row(a, st, account, &v[len++]);
    }
    if ((rc = finish(c, st, src)))
        return rc;
    *out = v;
    *n = len;
    return ERR_OK;
}

static enum err alias_update(struct store_tx *tx, const char *account, const struct alias *al)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    sqlite3_stmt *st = NULL;
    enum err rc = prep(c, Q_ALIAS_UPDATE, &st);
    if (rc)
        return rc;
    if (bind_acct(st, account, al->id) | bind_str(st, 3, al->label) |
        bind_time(st, 4, al->deleted_at))
        return bind_failed(c, st);
    int src;
    rc = run_changes(c, st, &src);
    return src == SQLITE_CONSTRAINT_UNIQUE ? ERR_ALIAS_EXISTS : rc;
}

/* ---- organizations ---- */

/* Writes a fresh rev on the organization (see Q_ORG_INSERT). */
static enum err org_bump(struct store__sqlite_conn *c, const char *account, const char *org_id)
{
    sqlite3_stmt *st = NULL;
    enum err rc = prep(c, Q_ORG_BUMP, &st);
    if (rc)
        return rc;
    if (bind_acct(st, account, org_id))
        return bind_failed(c, st);
    return run(c, st, NULL);
}

/* Appends members after the last position, skipping present ones, and
 * counts those added in *added. The ids come from `ids`, or from `members`
 * when ids is NULL. */
static enum err members_append(struct store__sqlite_conn *c, const char *account,
                               const char *org_id, const char *const *ids,
                               const struct member *members, size_t n, size_t *added)
{
    sqlite3_stmt *st = NULL;
    enum err rc = prep(c, Q_ORG_MAX_POSITION, &st);
    if (rc)
        return rc;
    if (bind_acct(st, account, org_id))
        return bind_failed(c, st);
    int src = sqlite3_step(st);
    int64_t pos = src == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    if ((rc = finish(c, st, src)) || (rc = prep(c, Q_ORG_MEMBER_INSERT, &st)))
        return rc;
    *added = 0;
    for (size_t i = 0; i < n; i++) {
        const char *id = ids ? ids[i] : members[i].id;
        if (bind_acct(st, account, org_id) | bind_str(st, 3, id) |
            sqlite3_bind_int64(st, 4, pos + 1))
            return bind_failed(c, st);
        if ((rc = run(c, st, NULL)))
            return rc;
        /* Ids already members were skipped and take no position. */
        if (sqlite3_changes(c->db) > 0) {
            pos++;
            ++*added;
        }
    }
    return ERR_OK;
}

static enum err org_insert(struct store_tx *tx, const char *account, const struct organization *o)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    sqlite3_stmt *st = NULL;
    enum err rc = prep(c, Q_ORG_INSERT, &st);
    if (rc)
        return rc;
    if (bind_acct(st, account, o->id) | bind_str(st, 3, o->owner.id) |
        sqlite3_bind_int64(st, 4, o->created_at))
        return bind_failed(c, st);
    int src;
    rc = run(c, st, &src);
    if (src == SQLITE_CONSTRAINT_UNIQUE)
        return ERR_ORGANIZATION_EXISTS;
    if (rc || !o->n_members)
        return rc;
    size_t added; /* the insert wrote the rev */
    return members_append(c, account, o->id, NULL, o->members, o->n_members, &added);
}

static enum err org_members_add(struct store_tx *tx, const char *account, const char *org_id,
                                const char *const *ids, size_t n)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    size_t added;
    enum err rc = members_append(c, account, org_id, ids, NULL, n, &added);
    return rc || !added ? rc : org_bump(c, account, org_id);
}

static enum err org_rev(struct store_tx *tx, const char *account, const char *id, int64_t *rev)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    sqlite3_stmt *st = NULL;
    enum err rc = prep(c, Q_ORG_REV, &st);
    if (rc)
        return rc;
    if (bind_acct(st, account, id))
        return bind_failed(c, st);
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW)
        *rev = sqlite3_column_int64(st, 0);
    if ((rc = finish(c, st, src)))
        return rc;
    return src == SQLITE_ROW ? ERR_OK : ERR_NOT_FOUND;
}

static enum err org_get(struct store_tx *tx, struct arena *a, const char *account, const char *id,
                        struct organization *out)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    sqlite3_stmt *st = NULL;
    enum err rc = prep(c, Q_ORG_GET, &st);
    if (rc)
        return rc;
    if (bind_acct(st, account, id))
        return bind_failed(c, st);
    struct organization o = {0};
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        col_id(st, 0, o.id);
        col_id(st, 1, o.owner.id);
        o.created_at = sqlite3_column_int64(st, 2);
        o.owner.name = col_str(a, st, 3);
        o.rev = sqlite3_column_int64(st, 4);
    }
    if ((rc = finish(c, st, src)))
        return rc;
    if (src != SQLITE_ROW)
        return ERR_NOT_FOUND;
    if ((rc = prep(c, Q_ORG_MEMBERS, &st)))
        return rc;
    if (bind_acct(st, account, id))
        return bind_failed(c, st);
    size_t cap = 0;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        o.members = grow(a, o.members, o.n_members, &cap, sizeof(*o.members));
        struct member *m = &o.members[o.n_members++];
        col_id(st, 0, m->id);
        m->name = col_str(a, st, 1);
    }
    if ((rc = finish(c, st, src)))
        return rc;
    *out = o;
    return ERR_OK;
}

/* Runs a prepared query whose one row is one id. */
static enum err one_id(struct store__sqlite_conn *c, sqlite3_stmt *st, char out[ID_LEN + 1])
{
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW)
        col_id(st, 0, out);
    enum err rc = finish(c, st, src);
    return rc ? rc : src == SQLITE_ROW ? ERR_OK : ERR_NOT_FOUND;
}

static enum err org_id_by_owner(struct store_tx *tx, const char *account, const char *owner_id,
                                char out[ID_LEN + 1])
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    sqlite3_stmt *st = NULL;
    enum err rc = prep(c, Q_ORG_BY_OWNER, &st);
    if (rc)
        return rc;
    if (bind_acct(st, account, owner_id))
        return bind_failed(c, st);
    return one_id(c, st, out);
}

static enum err org_ids_of_member(struct store_tx *tx, struct arena *a, const char *account,
                                  const char *customer_id, const char ***out, size_t *n)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    sqlite3_stmt *st = NULL;
    enum err rc = prep(c, Q_ORGS_OF_MEMBER, &st);
    if (rc)
        return rc;
    if (bind_acct(st, account, customer_id))
        return bind_failed(c, st);
    const char **v = NULL;
    size_t len = 0, cap = 0;
    int src;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        v = grow(a, v, len, &cap, sizeof(*v));
        v[len++] = col_str(a, st, 0);
    }
    if ((rc = finish(c, st, src)))
        return rc;
    *out = v;
    *n = len;
    return ERR_OK;
}

/*
 * List pages (customers_props, customers_org_ids). A page in creation order
 * holds customers whose ids are neighbours too (ids are UUIDv7, their time
 * the creation time), so their properties and memberships, keyed by
 * customer id, are one range of rows: a single ordered scan reads them,
 * where one statement per customer searched the b-tree from its root a
 * hundred times (docs/performance.md). Other pages (sorted by name, or
 * filtered, or with imported ids) are read customer by customer: a page
 * whose ids are not in order never tries the scan, and a scan that meets
 * more than 2n + PAGE_SCAN_SLACK rows of customers off a page of n gives up.
 */
enum { PAGE_SCAN_SLACK = 64 };

typedef void (*page_take)(void *ctx, size_t k, sqlite3_stmt *st);

/* +1 when the items' ids ascend, -1 when they descend, 0 otherwise. */
static int page_direction(const struct customer *items, size_t n)
{
    if (n < 2)
        return 0;
    int dir = strcmp(items[0].id, items[1].id) < 0 ? 1 : -1;
    for (size_t i = 1; i < n; i++) {
        int d = strcmp(items[i - 1].id, items[i].id);
        if (d == 0 || (d < 0) != (dir > 0))
            return 0;
    }
    return dir;
}

/*
 * Runs `id` over the page's id range and hands each row to `take` with the
 * index of its customer (column 0 names it). *whole is false, and the
 * caller must read customer by customer, when the page is not in id order
 * or the range held too many other customers' rows; `take` may then have
 * seen some rows already.
 */
static enum err page_scan(struct store__sqlite_conn *c, enum q id, const char *account,
                          const struct customer *items, size_t n, page_take take, void *ctx,
                          bool *whole)
{
    *whole = false;
    int dir = page_direction(items, n);
    if (!dir)
        return ERR_OK;
    sqlite3_stmt *st = NULL;
    enum err rc = prep(c, id, &st);
    if (rc)
        return rc;
    const char *lo = dir > 0 ? items[0].id : items[n - 1].id;
    const char *hi = dir > 0 ? items[n - 1].id : items[0].id;
    if (bind_str(st, 1, account) | bind_str(st, 2, lo) | bind_str(st, 3, hi))
        return bind_failed(c, st);
    size_t j = 0, others = 0, slack = 2 * n + PAGE_SCAN_SLACK;
    int src;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        const char *cid = (const char *)sqlite3_column_text(st, 0);
        if (!cid)
            continue;
        int d = 1;
        while (j < n && (d = strcmp(items[dir > 0 ? j : n - 1 - j].id, cid)) < 0)
            j++;
        if (j < n && d == 0) {
            take(ctx, dir > 0 ? j : n - 1 - j, st);
        } else if (++others > slack) {
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            return ERR_OK;
        }
    }
    if ((rc = finish(c, st, src)))
        return rc;
    *whole = true;
    return ERR_OK;
}

struct props_take {
    struct arena *a;
    struct customer *items;
    size_t *cap;
};

static void take_prop(void *ctx, size_t k, sqlite3_stmt *st)
{
    struct props_take *t = ctx;
    struct customer *cu = &t->items[k];
    cu->props = grow(t->a, cu->props, cu->n_props, &t->cap[k], sizeof(*cu->props));
    cu->props[cu->n_props].key = col_str(t->a, st, 1);
    cu->props[cu->n_props].value = col_str(t->a, st, 2);
    cu->n_props++;
}

static enum err customers_props(struct store_tx *tx, struct arena *a, const char *account,
                                struct customer *items, size_t n)
{
    struct props_take t = {.a = a, .items = items, .cap = arena_zalloc(a, n * sizeof(size_t))};
    for (size_t k = 0; k < n; k++) {
        items[k].props = NULL;
        items[k].n_props = 0;
    }
    bool whole;
    enum err rc = page_scan(TX_CONN(tx), Q_PAGE_PROPS, account, items, n, take_prop, &t, &whole);
    for (size_t k = 0; rc == ERR_OK && !whole && k < n; k++)
        rc = customer_props(tx, a, account, items[k].id, &items[k].props, &items[k].n_props);
    return rc;
}

struct org_ids_take {
    struct arena *a;
    const char ***ids;
    size_t *n_ids, *cap;
};

static void take_org_id(void *ctx, size_t k, sqlite3_stmt *st)
{
    struct org_ids_take *t = ctx;
    t->ids[k] = grow(t->a, t->ids[k], t->n_ids[k], &t->cap[k], sizeof(**t->ids));
    t->ids[k][t->n_ids[k]++] = col_str(t->a, st, 1);
}

static enum err customers_org_ids(struct store_tx *tx, struct arena *a, const char *account,
                                  const struct customer *items, size_t n, const char ***ids,
                                  size_t *n_ids)
{
    struct org_ids_take t = {
        .a = a, .ids = ids, .n_ids = n_ids, .cap = arena_zalloc(a, n * sizeof(size_t))};
    for (size_t k = 0; k < n; k++) {
        ids[k] = NULL;
        n_ids[k] = 0;
    }
    bool whole;
    enum err rc =
        page_scan(TX_CONN(tx), Q_PAGE_ORG_IDS, account, items, n, take_org_id, &t, &whole);
    for (size_t k = 0; rc == ERR_OK && !whole && k < n; k++)
        rc = org_ids_of_member(tx, a, account, items[k].id, &ids[k], &n_ids[k]);
    return rc;
}

static enum err members_clear(struct store__sqlite_conn *c, const char *account, const char *org_id)
{
    sqlite3_stmt *st = NULL;
    enum err rc = prep(c, Q_ORG_MEMBERS_CLEAR, &st);
    if (rc)
        return rc;
    if (bind_acct(st, account, org_id))
        return bind_failed(c, st);
    return run(c, st, NULL);
}

static enum err org_members_clear(struct store_tx *tx, const char *account, const char *org_id)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    enum err rc = members_clear(c, account, org_id);
    return rc ? rc : org_bump(c, account, org_id);
}

static enum err org_member_remove(struct store_tx *tx, const char *account, const char *org_id,
                                  const char *customer_id)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    sqlite3_stmt *st = NULL;
    enum err rc = prep(c, Q_ORG_MEMBER_REMOVE, &st);
    if (rc)
        return rc;
    if (bind_acct(st, account, org_id) | bind_str(st, 3, customer_id))
        return bind_failed(c, st);
    if ((rc = run_changes(c, st, NULL)))
        return rc;
    return org_bump(c, account, org_id);
}

static enum err org_member_count(struct store_tx *tx, const char *account, const char *org_id,
                                 int64_t *n)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    sqlite3_stmt *st = NULL;
    enum err rc = prep(c, Q_ORG_MEMBER_COUNT, &st);
    if (rc)
        return rc;
    if (bind_acct(st, account, org_id))
        return bind_failed(c, st);
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW)
        *n = sqlite3_column_int64(st, 0);
    return finish(c, st, src);
}

static enum err org_delete(struct store_tx *tx, const char *account, const char *org_id)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    enum err rc = members_clear(c, account, org_id);
    sqlite3_stmt *st = NULL;
    if (rc || (rc = prep(c, Q_ORG_DELETE, &st)))
        return rc;
    if (bind_acct(st, account, org_id))
        return bind_failed(c, st);
    return run_changes(c, st, NULL);
}

static enum err org_reaches(struct store_tx *tx, const char *account, const char *ancestor,
                            const char *descendant, bool *out)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    sqlite3_stmt *st = NULL;
    enum err rc = prep(c, Q_ORG_REACHES, &st);
    if (rc)
        return rc;
    if (bind_acct(st, account, ancestor) | bind_str(st, 3, descendant))
        return bind_failed(c, st);
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW)
        *out = sqlite3_column_int(st, 0) != 0;
    return finish(c, st, src);
}

/* ---- the table ---- */

static const struct store_backend backend = {
    .name = "sqlite",
    .blocks = false,
    .close = store__sqlite_close,
    .ping = store__sqlite_ping,
    .read = store__sqlite_read,
    .write = store__sqlite_write,
    .write_async = store__sqlite_write_async,
    .stats = store__sqlite_stats,
    .idem_get = idem_get,
    .idem_put = idem_put,
    .account_ensure = account_ensure,
    .account_list = account_list,
    .client_insert = client_insert,
    .client_get = client_get,
    .client_revoke = client_revoke,
    .client_list = client_list,
    .customer_row_get = customer_row_get,
    .customer_insert = customer_insert,
    .customer_update = customer_update,
    .customer_archive = customer_archive,
    .customer_briefs = customer_briefs,
    .customer_props = customer_props,
    .customer_list_rows = customer_list_rows,
    .property_keys = property_keys,
    .contact_list = contact_list,
    .contact_get = contact_get,
    .contact_insert = contact_insert,
    .contact_update = contact_update,
    .alias_insert = alias_insert,
    .alias_get = alias_get,
    .alias_get_by_value = alias_get_by_value,
    .alias_list = alias_list,
    .alias_list_for_customer = alias_list_for_customer,
    .alias_update = alias_update,
    .org_insert = org_insert,
    .org_get = org_get,
    .org_rev = org_rev,
    .org_id_by_owner = org_id_by_owner,
    .org_ids_of_member = org_ids_of_member,
    .customers_props = customers_props,
    .customers_org_ids = customers_org_ids,
    .org_members_add = org_members_add,
    .org_members_clear = org_members_clear,
    .org_member_remove = org_member_remove,
    .org_member_count = org_member_count,
    .org_delete = org_delete,
    .org_reaches = org_reaches,
    .org_list_ids = org_list_ids,
};

enum err store__sqlite_open(const char *path, const struct store_options *o, struct store **out)
{
    return store__sqlite_engine_open(path, o, &backend, out);
}
