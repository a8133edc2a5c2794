/*
 * The SQLite backend's statements: the SQL of every fixed statement, the
 * per-connection caches they are prepared into (fixed ones by id, list
 * queries by shape), and the helpers every query file runs them with, so
 * that each primitive says which statement it runs with which values and
 * what it reads back, and nothing else. Every statement binds the account
 * id, so no row of another tenant can be reached.
 */
#include "internal.h"
#include "../../core/buf.h"
#include "../../core/log.h"
#include "../../core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The end of the two extent statements, over mine(org): orgs, entries
 * (each organization's owner and members), bytes of the members' names. */
#define ORG_EXTENT_SQL                                                                             \
    ", ext(org, n, b) AS (SELECT organization_id, COUNT(*), "                                      \
    "SUM(LENGTH(CAST(member_name AS BLOB))) FROM organization_members "                            \
    "WHERE account_id = ?1 AND organization_id IN (SELECT org FROM mine) "                         \
    "GROUP BY organization_id) "                                                                   \
    "SELECT COUNT(*), COUNT(*) + COALESCE(SUM(ext.n), 0), COALESCE(SUM(ext.b), 0) "                \
    "FROM mine LEFT JOIN ext ON ext.org = mine.org"

_Static_assert(Q__COUNT <= SQLITE_FIXED_MAX, "raise SQLITE_FIXED_MAX");

/* ---- errors ---- */

static bool io_class(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_NOMEM:
        return true;
    default:
        return false;
    }
}

enum err store__sqlite_fail(struct store__sqlite_conn *c, int rc, const char *what)
{
    char op[96];
    snprintf(op, sizeof(op), "%s", what ? what : "?");
    char code[16];
    snprintf(code, sizeof(code), "%d", rc);
    const char *detail = c && c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc);
    int prim = rc & 0xff;
    if (prim == SQLITE_CONSTRAINT) {
        log_kv(LOG_DEBUG, "sqlite constraint", "op", op, "code", code, "detail", detail,
               (const char *)NULL);
        return ERR_CONFLICT;
    }
    if (io_class(rc)) {
        if (c)
            c->fault = true;
        log_kv(LOG_ERROR, "sqlite storage failure", "op", op, "code", code, "detail", detail,
               (const char *)NULL);
        return ERR_UNAVAILABLE;
    }
    if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED) {
        log_kv(LOG_WARN, "sqlite busy", "op", op, "code", code, "detail", detail,
               (const char *)NULL);
        return ERR_UNAVAILABLE;
    }
    log_kv(LOG_ERROR, "sqlite error", "op", op, "code", code, "detail", detail, (const char *)NULL);
    return ERR_INTERNAL;
}

/* ---- transaction control ---- */

static const char *const ctl_sql[CTL__COUNT] = {
    [CTL_BEGIN] = "BEGIN",
    [CTL_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
    [CTL_COMMIT] = "COMMIT",
    [CTL_ROLLBACK] = "ROLLBACK",
    [CTL_SAVEPOINT] = "SAVEPOINT job",
    [CTL_RELEASE] = "RELEASE job",
    [CTL_ROLLBACK_TO] = "ROLLBACK TO job",
};

enum err store__sqlite_prep_ctl(struct store__sqlite_conn *c)
{
    for (int i = 0; i < CTL__COUNT; i++) {
        int src =
            sqlite3_prepare_v3(c->db, ctl_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &c->ctl[i], NULL);
        if (src != SQLITE_OK)
            return store__sqlite_fail(c, src, ctl_sql[i]);
    }
    return ERR_OK;
}

int store__sqlite_ctl_run(struct store__sqlite_conn *c, enum sqlite_ctl which)
{
    sqlite3_stmt *st = c->ctl[which];
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? SQLITE_DONE : rc;
}

/* ---- the fixed statements ---- */

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
    /* store_customers_extent and store_orgs_extent: ?2 is a JSON array of
     * ids, searched one by one (IN: a join let the planner scan every
     * membership of the account for each id). Each organization's members
     * are counted once, however many customers of ?2 embed it; member_name
     * is what the answer shows. */
    [Q_CUSTOMERS_ORG_EXTENT] =
        "WITH mine(org) AS (SELECT organization_id FROM organization_members "
        "WHERE account_id = ?1 AND customer_id IN "
        "(SELECT value FROM json_each(?2))) " ORG_EXTENT_SQL,
    [Q_ORGS_EXTENT] = "WITH mine(org) AS (SELECT id FROM organizations WHERE account_id = ?1 "
                      "AND id IN (SELECT value FROM json_each(?2))) " ORG_EXTENT_SQL,
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
    /* notification policies and the activity log */
    [Q_POLICY_INSERT] = "INSERT INTO notification_policies (account_id, " POLICY_COLS
                        ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [Q_POLICY_GET] = "SELECT " POLICY_COLS " FROM notification_policies "
                     "WHERE account_id = ?1 AND id = ?2",
    [Q_POLICY_UPDATE] = "UPDATE notification_policies SET types = ?3, recipients = ?4 "
                        "WHERE account_id = ?1 AND id = ?2",
    [Q_POLICY_DELETE] = "DELETE FROM notification_policies WHERE account_id = ?1 AND id = ?2",
    [Q_ACTIVITY_INSERT] = "INSERT INTO activity_logs (account_id, " ACTIVITY_COLS
                          ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [Q_ACTIVITY_PURGE] = "DELETE FROM activity_logs WHERE rowid IN (SELECT rowid FROM "
                         "activity_logs WHERE created_at < ?1 ORDER BY created_at LIMIT 200)",
    [Q_ACTIVITY_GET] = "SELECT " ACTIVITY_COLS " FROM activity_logs "
                       "WHERE account_id = ?1 AND id = ?2",
    /* Only when a policy matches: one listing the type (?7: ",TYPE,"), or
     * listing none when the type is Sequence's (?8 = 1). */
    [Q_EVENT_INSERT] = "INSERT INTO outbox_events (account_id, id, type, resource_type, "
                       "resource_id, detail, created_at) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?9 "
                       "WHERE EXISTS (SELECT 1 FROM notification_policies WHERE account_id = ?1 "
                       "AND ((types IS NULL AND ?8) OR instr(types, ?7) > 0))",
};

/* ---- preparing ---- */

enum err store__sqlite_prep(struct store__sqlite_conn *c, enum store__sqlite_stmt id,
                            sqlite3_stmt **out)
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

enum err store__sqlite_prep_dyn(struct store__sqlite_conn *c, uint32_t shape,
                                store__sqlite_sql_fn build, sqlite3_stmt **out)
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

int store__sqlite_query_text(sqlite3 *db, const char *sql_text, char *out, size_t cap)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql_text, -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        snprintf(out, cap, "%s", t ? (const char *)t : "");
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

/* ---- binding and stepping ---- */

static int bind_one(sqlite3_stmt *st, int i, const struct store__sqlite_val *v)
{
    switch (v->kind) {
    case SQK_TEXT:
        return v->p ? sqlite3_bind_text(st, i, v->p, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
    case SQK_INT:
        return sqlite3_bind_int64(st, i, v->i);
    case SQK_TIME:
        return v->i ? sqlite3_bind_int64(st, i, v->i) : sqlite3_bind_null(st, i);
    case SQK_BLOB:
        return sqlite3_bind_blob(st, i, v->p, (int)v->i, SQLITE_STATIC);
    case SQK_SKIP:
    default:
        return SQLITE_OK;
    }
}

enum err store__sqlite_bind(struct store__sqlite_conn *c, sqlite3_stmt *st,
                            struct store__sqlite_args args, bool some)
{
    int n = some ? sqlite3_bind_parameter_count(st) : (int)args.n;
    int b = SQLITE_OK;
    for (int i = 0; i < (int)args.n && i < n; i++)
        b |= bind_one(st, i + 1, &args.v[i]);
    if (b == SQLITE_OK)
        return ERR_OK;
    enum err rc = store__sqlite_fail(c, sqlite3_errcode(c->db), "bind");
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == ERR_OK ? ERR_INTERNAL : rc;
}

enum err store__sqlite_finish(struct store__sqlite_conn *c, sqlite3_stmt *st, int src)
{
    enum err rc = ERR_OK;
    if (src != SQLITE_ROW && src != SQLITE_DONE)
        rc = store__sqlite_fail(c, src, sqlite3_sql(st));
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

/* Statement `id`, prepared, with args bound. */
static enum err start(struct store__sqlite_conn *c, enum store__sqlite_stmt id,
                      struct store__sqlite_args args, sqlite3_stmt **st)
{
    enum err rc = store__sqlite_prep(c, id, st);
    return rc ? rc : store__sqlite_bind(c, *st, args, false);
}

enum err store__sqlite_exec(struct store__sqlite_conn *c, enum store__sqlite_stmt id,
                            struct store__sqlite_args args, int *src)
{
    sqlite3_stmt *st;
    if (src)
        *src = SQLITE_OK;
    enum err rc = start(c, id, args, &st);
    if (rc)
        return rc;
    int r = sqlite3_step(st);
    if (src)
        *src = r;
    return store__sqlite_finish(c, st, r == SQLITE_ROW ? SQLITE_DONE : r);
}

enum err store__sqlite_changed(struct store__sqlite_conn *c, enum store__sqlite_stmt id,
                               struct store__sqlite_args args, int *src)
{
    enum err rc = store__sqlite_exec(c, id, args, src);
    if (rc)
        return rc;
    return sqlite3_changes(c->db) > 0 ? ERR_OK : ERR_NOT_FOUND;
}

enum err store__sqlite_get(struct store__sqlite_conn *c, enum store__sqlite_stmt id,
                           struct store__sqlite_args args, struct arena *a,
                           store__sqlite_row_fn row, void *ctx, void *elem)
{
    sqlite3_stmt *st;
    enum err rc = start(c, id, args, &st);
    if (rc)
        return rc;
    int src = sqlite3_step(st);
    enum err rrc = src == SQLITE_ROW ? row(ctx, a, st, elem, 0) : ERR_NOT_FOUND;
    rc = store__sqlite_finish(c, st, src);
    return rc ? rc : rrc;
}

enum err store__sqlite_collect(struct store__sqlite_conn *c, sqlite3_stmt *st, struct arena *a,
                               struct store__sqlite_rows *r, size_t max, bool *more)
{
    int src;
    if (more)
        *more = false;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        if (r->n == max) {
            if (more)
                *more = true;
            break;
        }
        r->items = store__sqlite_grow(a, r->items, r->n, &r->cap, r->size);
        enum err rc = r->row(r->ctx, a, st, (unsigned char *)r->items + r->n * r->size, r->n);
        if (rc) {
            store__sqlite_finish(c, st, SQLITE_DONE);
            return rc;
        }
        r->n++;
    }
    return store__sqlite_finish(c, st, src);
}

enum err store__sqlite_list(struct store__sqlite_conn *c, enum store__sqlite_stmt id,
                            struct store__sqlite_args args, struct arena *a, size_t size,
                            store__sqlite_row_fn row, void *ctx, void *out, size_t *n)
{
    sqlite3_stmt *st;
    struct store__sqlite_rows r = {.size = size, .row = row, .ctx = ctx};
    enum err rc = start(c, id, args, &st);
    if (rc || (rc = store__sqlite_collect(c, st, a, &r, SIZE_MAX, NULL)))
        return rc;
    memcpy(out, &r.items, sizeof(r.items));
    *n = r.n;
    return ERR_OK;
}

enum err store__sqlite_text_row(void *ctx, struct arena *a, sqlite3_stmt *st, void *elem, size_t i)
{
    *(const char **)elem = store__sqlite_col_str(a, st, 0);
    return ERR_OK;
}

enum err store__sqlite_strings(struct store__sqlite_conn *c, enum store__sqlite_stmt id,
                               struct store__sqlite_args args, struct arena *a, const char ***out,
                               size_t *n)
{
    return store__sqlite_list(c, id, args, a, sizeof(**out), store__sqlite_text_row, NULL, out, n);
}

static enum err id_row(void *ctx, struct arena *a, sqlite3_stmt *st, void *elem, size_t i)
{
    store__sqlite_col_id(st, 0, elem);
    return ERR_OK;
}

enum err store__sqlite_id(struct store__sqlite_conn *c, enum store__sqlite_stmt id,
                          struct store__sqlite_args args, char out[ID_LEN + 1])
{
    return store__sqlite_get(c, id, args, NULL, id_row, NULL, out);
}

static enum err int_row(void *ctx, struct arena *a, sqlite3_stmt *st, void *elem, size_t i)
{
    *(int64_t *)elem = sqlite3_column_int64(st, 0);
    return ERR_OK;
}

enum err store__sqlite_int(struct store__sqlite_conn *c, enum store__sqlite_stmt id,
                           struct store__sqlite_args args, int64_t *out)
{
    return store__sqlite_get(c, id, args, NULL, int_row, NULL, out);
}

/* ---- reading columns ---- */

void *store__sqlite_grow(struct arena *a, void *p, size_t n, size_t *cap, size_t size)
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

enum err store__sqlite_corrupt(const char *what)
{
    log_kv(LOG_ERROR, "unexpected value in the database", "column", what, (const char *)NULL);
    return ERR_INTERNAL;
}
