/*
 * The PostgreSQL backend's primitives: one SQL statement each (a primitive
 * that touches several tables uses data-modifying CTEs, so it is still one
 * round trip), prepared per connection, values always passed as parameters.
 * Lists are built per query shape (filters, sort, cursor) and run unnamed.
 *
 * Constraints that callers turn into answers are checked with
 * ON CONFLICT DO NOTHING, which keeps the transaction usable: a conflict
 * with a row that a concurrent transaction committed after our snapshot
 * raises a serialization failure instead, and pg.c retries the write.
 */
#include "pg.h"
#include "../../core/buf.h"
#include "../../core/clock.h"
#include "../../core/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CUSTOMER_COLS                                                                              \
    "c.id, c.legal_name, c.url, c.label, c.tax_status, c.status, c.line1, c.line2, c.town, "       \
    "c.state, c.postcode, c.country, c.integrations, c.created_at, c.updated_at, c.archived_at"
#define CUSTOMER_NCOLS 16
#define CONTACT_COLS "id, name, email, billing_preference, created_at, updated_at, archived_at"
#define ALIAS_COLS "a.id, a.customer_id, a.value, a.label, a.created_at, a.deleted_at"

#define STMTS(X)                                                                                   \
    X(IDEM_GET,                                                                                    \
      "SELECT account_id, key, request_hash, status, body, created_at FROM idempotency_keys"       \
      " WHERE md5(account_id || ':' || key) = md5($1 || ':' || $2)")                               \
    X(IDEM_PUT,                                                                                    \
      "INSERT INTO idempotency_keys"                                                               \
      " (account_id, key, request_hash, status, body, created_at)"                                 \
      " VALUES ($1, $2, $3, $4, $5, $6)"                                                           \
      " ON CONFLICT (account_id, key) DO UPDATE SET request_hash = EXCLUDED.request_hash,"         \
      " status = EXCLUDED.status, body = EXCLUDED.body, created_at = EXCLUDED.created_at"          \
      " WHERE idempotency_keys.created_at <= $7")                                                  \
    X(IDEM_PURGE, "DELETE FROM idempotency_keys WHERE (account_id, key) IN"                        \
                  " (SELECT account_id, key FROM idempotency_keys WHERE created_at <= $1"          \
                  " ORDER BY created_at LIMIT 200 FOR UPDATE SKIP LOCKED)")                        \
    X(ACCOUNT_ENSURE, "WITH ins AS (INSERT INTO accounts (id, name, created_at)"                   \
                      " VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING RETURNING id)"           \
                      " SELECT id FROM ins UNION ALL SELECT id FROM accounts WHERE name = $2")     \
    X(ACCOUNT_LIST, "SELECT a.id, a.name, a.created_at, (SELECT count(*) FROM api_clients c"       \
                    " WHERE c.account_id = a.id AND c.revoked_at IS NULL)"                         \
                    " FROM accounts a ORDER BY a.name")                                            \
    X(CLIENT_INSERT, "INSERT INTO api_clients (id, account_id, secret_hash, created_at)"           \
                     " VALUES ($1, $2, $3, $4)")                                                   \
    X(CLIENT_GET, "SELECT account_id, secret_hash, revoked_at FROM api_clients WHERE id = $1")     \
    X(CLIENT_REVOKE,                                                                               \
      "UPDATE api_clients SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")               \
    X(CLIENT_LIST, "SELECT c.id, c.account_id, a.name, c.created_at, c.revoked_at"                 \
                   " FROM api_clients c JOIN accounts a ON a.id = c.account_id"                    \
                   " ORDER BY c.created_at, c.id")                                                 \
    X(CUSTOMER_GET, "SELECT " CUSTOMER_COLS " FROM customers c"                                    \
                    " WHERE c.account_id = $1 AND c.id = $2")                                      \
    X(CUSTOMER_INSERT,                                                                             \
      "WITH c AS (INSERT INTO customers (account_id, id, legal_name, url, label, tax_status,"      \
      " status, line1, line2, town, state, postcode, country, integrations, created_at,"           \
      " updated_at, archived_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,"       \
      " $13, $14, $15, $16, $17)),"                                                                \
      " ct AS (INSERT INTO contacts (account_id, customer_id, " CONTACT_COLS ")"                   \
      " SELECT $1, $2, x.* FROM unnest($18::text[], $19::text[], $20::text[], $21::text[],"        \
      " $22::bigint[], $23::bigint[], $24::bigint[]) AS x),"                                       \
      " p AS (INSERT INTO customer_properties (account_id, customer_id, key, value)"               \
      " SELECT $1, $2, x.* FROM unnest($25::text[], $26::text[]) AS x)"                            \
      " SELECT 1")                                                                                 \
    X(CUSTOMER_UPDATE, CUSTOMER_UPDATE_SQL(""))                                                    \
    X(CUSTOMER_UPDATE_PROPS, CUSTOMER_UPDATE_SQL(CUSTOMER_PROPS_SQL))                              \
    X(CUSTOMER_ARCHIVE, "WITH u AS (UPDATE customers SET archived_at = $3"                         \
                        " WHERE account_id = $1 AND id = $2 AND archived_at IS NULL)"              \
                        " SELECT count(*) FROM customers WHERE account_id = $1 AND id = $2")       \
    X(CUSTOMER_BRIEFS, "SELECT x.ord, c.legal_name, c.archived_at IS NOT NULL"                     \
                       " FROM unnest($2::text[]) WITH ORDINALITY AS x(id, ord)"                    \
                       " CROSS JOIN LATERAL (SELECT legal_name, archived_at FROM customers"        \
                       " WHERE account_id = $1 AND id = x.id OFFSET 0) c")                         \
    X(CUSTOMER_PROPS, "SELECT key, value FROM customer_properties"                                 \
                      " WHERE account_id = $1 AND customer_id = $2 ORDER BY key")                  \
    X(CUSTOMERS_PROPS, "SELECT customer_id, key, value FROM customer_properties"                   \
                       " WHERE account_id = $1 AND customer_id = ANY ($2::text[])"                 \
                       " ORDER BY customer_id, key")                                               \
    X(PROPERTY_KEYS, "SELECT DISTINCT key FROM customer_properties WHERE account_id = $1"          \
                     " ORDER BY key")                                                              \
    X(CONTACT_LIST, "SELECT " CONTACT_COLS " FROM contacts"                                        \
                    " WHERE account_id = $1 AND customer_id = $2"                                  \
                    " AND ($3::boolean OR archived_at IS NULL) ORDER BY created_at, id")           \
    X(CONTACT_GET, "SELECT " CONTACT_COLS " FROM contacts"                                         \
                   " WHERE account_id = $1 AND customer_id = $2 AND id = $3")                      \
    X(CONTACT_INSERT, "INSERT INTO contacts (account_id, customer_id, " CONTACT_COLS ")"           \
                      " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")                              \
    X(CONTACT_UPDATE, "UPDATE contacts SET name = $4, email = $5, billing_preference = $6,"        \
                      " updated_at = $7, archived_at = $8"                                         \
                      " WHERE account_id = $1 AND customer_id = $2 AND id = $3")                   \
    X(ALIAS_INSERT, "INSERT INTO aliases"                                                          \
                    " (account_id, id, customer_id, value, label, created_at, deleted_at)"         \
                    " VALUES ($1, $2, $3, $4, $5, $6, $7)"                                         \
                    " ON CONFLICT (account_id, value) WHERE deleted_at IS NULL DO NOTHING")        \
    X(ALIAS_GET, "SELECT " ALIAS_COLS " FROM aliases a"                                            \
                 " WHERE a.account_id = $1 AND a.id = $2 AND a.deleted_at IS NULL")                \
    X(ALIAS_GET_BY_VALUE, "SELECT " ALIAS_COLS ", a.account_id FROM aliases a"                     \
                          " WHERE md5(a.account_id || ':' || a.value) = md5($1 || ':' || $2)"      \
                          " AND a.deleted_at IS NULL")                                             \
    X(ALIAS_LIST_FOR_CUSTOMER, "SELECT " ALIAS_COLS " FROM aliases a"                              \
                               " WHERE a.account_id = $1 AND a.customer_id = $2"                   \
                               " AND a.deleted_at IS NULL ORDER BY a.created_at, a.id")            \
    X(ALIAS_UPDATE, "UPDATE aliases SET label = $3, deleted_at = $4"                               \
                    " WHERE account_id = $1 AND id = $2")                                          \
    X(ORG_INSERT,                                                                                  \
      "WITH o AS (INSERT INTO organizations (account_id, id, owner_id, created_at)"                \
      " VALUES ($1, $2, $3, $4) ON CONFLICT (account_id, owner_id) DO NOTHING RETURNING id),"      \
      " m AS (INSERT INTO organization_members (account_id, organization_id, customer_id,"         \
      " position) SELECT $1, o.id, x.id, x.ord FROM o, (SELECT id, min(ord) AS ord"                \
      " FROM unnest($5::text[]) WITH ORDINALITY AS u(id, ord) GROUP BY id) x"                      \
      " ON CONFLICT DO NOTHING)"                                                                   \
      " SELECT count(*) FROM o")                                                                   \
    X(ORG_GET, "SELECT o.owner_id, o.created_at, (SELECT legal_name FROM customers"                \
               " WHERE account_id = $1 AND id = o.owner_id), m.customer_id,"                       \
               " (SELECT legal_name FROM customers WHERE account_id = $1 AND id = m.customer_id)"  \
               " FROM organizations o LEFT JOIN LATERAL (SELECT customer_id, position"             \
               " FROM organization_members WHERE account_id = $1 AND organization_id = o.id"       \
               " OFFSET 0) m ON true"                                                              \
               " WHERE o.account_id = $1 AND o.id = $2 ORDER BY m.position")                       \
    /* ORG_GET for a list page's organizations, in one round trip. */                              \
    X(ORGS_GET, "SELECT o.id, o.owner_id, o.created_at, (SELECT legal_name FROM customers"         \
                " WHERE account_id = $1 AND id = o.owner_id), m.customer_id,"                      \
                " (SELECT legal_name FROM customers WHERE account_id = $1 AND id = m.customer_id)" \
                " FROM organizations o LEFT JOIN LATERAL (SELECT customer_id, position"            \
                " FROM organization_members WHERE account_id = $1 AND organization_id = o.id"      \
                " OFFSET 0) m ON true"                                                             \
                " WHERE o.account_id = $1 AND o.id = ANY($2::text[]) ORDER BY o.id, m.position")   \
    X(ORG_NAMES, "SELECT x.ord, (SELECT legal_name FROM customers"                                 \
                 " WHERE account_id = $1 AND id = x.id)"                                           \
                 " FROM unnest($2::text[]) WITH ORDINALITY AS x(id, ord)")                         \
    X(ORG_ID_BY_OWNER, "SELECT id, account_id, owner_id FROM organizations"                        \
                       " WHERE md5(account_id || ':' || owner_id) = md5($1 || ':' || $2)")         \
    /* In any order (store.c orders a customer's organizations); the page's                        \
     * by customer, so that its rows are grouped. */                                               \
    X(ORG_IDS_OF_MEMBER, "SELECT organization_id FROM organization_members"                        \
                         " WHERE account_id = $1 AND customer_id = $2")                            \
    X(CUSTOMERS_ORG_IDS, "SELECT customer_id, organization_id FROM organization_members"           \
                         " WHERE account_id = $1 AND customer_id = ANY ($2::text[])"               \
                         " ORDER BY customer_id")                                                  \
    X(ORG_MEMBERS_ADD,                                                                             \
      "INSERT INTO organization_members (account_id, organization_id, customer_id, position)"      \
      " SELECT $1, $2, x.id, b.base + x.ord"                                                       \
      " FROM (SELECT id, min(ord) AS ord FROM unnest($3::text[]) WITH ORDINALITY AS u(id, ord)"    \
      " GROUP BY id) x,"                                                                           \
      " (SELECT coalesce(max(position), 0) AS base FROM organization_members"                      \
      " WHERE account_id = $1 AND organization_id = $2) b"                                         \
      " WHERE NOT EXISTS (SELECT 1 FROM organization_members m WHERE m.account_id = $1"            \
      " AND m.organization_id = $2 AND m.customer_id = x.id)"                                      \
      " ON CONFLICT DO NOTHING")                                                                   \
    X(ORG_MEMBERS_CLEAR, "DELETE FROM organization_members"                                        \
                         " WHERE account_id = $1 AND organization_id = $2")                        \
    X(ORG_MEMBER_REMOVE, "DELETE FROM organization_members"                                        \
                         " WHERE account_id = $1 AND organization_id = $2 AND customer_id = $3")   \
    X(ORG_MEMBER_COUNT, "SELECT count(*) FROM organization_members"                                \
                        " WHERE account_id = $1 AND organization_id = $2")                         \
    X(ORG_DELETE, "WITH o AS (DELETE FROM organizations WHERE account_id = $1 AND id = $2"         \
                  " RETURNING id),"                                                                \
                  " m AS (DELETE FROM organization_members"                                        \
                  " WHERE account_id = $1 AND organization_id = $2)"                               \
                  " SELECT count(*) FROM o")                                                       \
    X(ORG_REACHES, "WITH RECURSIVE r(id) AS (SELECT $2::text COLLATE \"C\""                        \
                   " UNION SELECT m.customer_id FROM r"                                            \
                   " CROSS JOIN LATERAL (SELECT id FROM organizations"                             \
                   " WHERE md5(account_id || ':' || owner_id) = md5($1 || ':' || r.id)"            \
                   " OFFSET 0) o"                                                                  \
                   " CROSS JOIN LATERAL (SELECT customer_id FROM organization_members"             \
                   " WHERE account_id = $1 AND organization_id = o.id OFFSET 0) m)"                \
                   " SELECT EXISTS (SELECT 1 FROM r WHERE r.id = $3)")

/*
 * customer_update: the row, then (only when it exists) its active contacts
 * archived and the new ones inserted, and, with the props variant, its
 * properties replaced: keys not given deleted, the given ones upserted
 * (a DELETE and an INSERT of one key cannot share a statement).
 */
#define CUSTOMER_UPDATE_SQL(props)                                                                 \
    "WITH u AS (UPDATE customers SET legal_name = $3, url = $4, label = $5, tax_status = $6,"      \
    " status = $7, line1 = $8, line2 = $9, town = $10, state = $11, postcode = $12,"               \
    " country = $13, integrations = $14, updated_at = $15"                                         \
    " WHERE account_id = $1 AND id = $2 RETURNING id),"                                            \
    " a AS (UPDATE contacts SET archived_at = $15, updated_at = $15"                               \
    " WHERE account_id = $1 AND customer_id = $2 AND archived_at IS NULL"                          \
    " AND EXISTS (SELECT 1 FROM u)),"                                                              \
    " ct AS (INSERT INTO contacts (account_id, customer_id, " CONTACT_COLS ")"                     \
    " SELECT $1, $2, x.* FROM unnest($16::text[], $17::text[], $18::text[], $19::text[],"          \
    " $20::bigint[], $21::bigint[], $22::bigint[]) AS x WHERE EXISTS (SELECT 1 FROM u))" props     \
    " SELECT count(*) FROM u"

#define CUSTOMER_PROPS_SQL                                                                         \
    ", d AS (DELETE FROM customer_properties WHERE account_id = $1 AND customer_id = $2"           \
    " AND key <> ALL ($23::text[]) AND EXISTS (SELECT 1 FROM u)),"                                 \
    " p AS (INSERT INTO customer_properties (account_id, customer_id, key, value)"                 \
    " SELECT $1, $2, x.* FROM unnest($23::text[], $24::text[]) AS x"                               \
    " WHERE EXISTS (SELECT 1 FROM u)"                                                              \
    " ON CONFLICT (account_id, customer_id, key) DO UPDATE SET value = EXCLUDED.value)"

/*
 * Prepared statements run with generic plans, which cannot know how many
 * rows one account holds: joins are written as LATERAL subqueries kept
 * apart by OFFSET 0 (or as scalar subqueries), so that every step is an
 * index lookup whatever the statistics say. Under SERIALIZABLE that also
 * keeps predicate locks narrow, hence few false serialization failures.
 *
 * Lookups by Idempotency-Key, alias value and owner go through the hashed
 * *_lookup indexes (see pg_migrations.c). Their WHERE clauses hold no plain
 * condition on the columns of another index, so no other index can serve
 * them; account and value are checked on the rows returned (match_row).
 * In org_reaches the hash of account and owner id alone picks the rows:
 * owner ids are server-made UUIDs, so no two differ only by a collision.
 */
enum {
#define X(name, sql) ST_##name,
    STMTS(X)
#undef X
        ST__COUNT
};

_Static_assert(ST__COUNT <= STORE__PG_STMT_MAX, "prepared statements do not fit the bit set");

static const struct store__pg_stmt stmts[] = {
#define X(name, sql) {ST_##name, "kinship_" #name, sql},
    STMTS(X)
#undef X
};

/* ---- helpers ---- */

static PGresult *run(struct store_tx *tx, int st, const struct store__pg_params *p, enum err *rc)
{
    return store__pg_run(store__pg_tx_of(tx), &stmts[st], NULL, p, rc);
}

/* Runs a statement whose result is not needed; *affected gets the rows it
 * changed when not NULL. */
static enum err exec(struct store_tx *tx, int st, const struct store__pg_params *p,
                     int64_t *affected)
{
    enum err rc;
    PGresult *r = run(tx, st, p, &rc);
    if (!r)
        return rc;
    if (affected)
        *affected = strtoll(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return ERR_OK;
}

/* A column as an arena string; NULL for SQL NULL. */
static const char *str(struct arena *a, const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : arena_strdup(a, PQgetvalue(r, row, col));
}

/* A column as an arena string; "" for SQL NULL. */
static const char *str0(struct arena *a, const PGresult *r, int row, int col)
{
    return arena_strdup(a, PQgetvalue(r, row, col));
}

/* A bigint column; 0 for SQL NULL. */
static int64_t num(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? 0 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static void id_copy(char out[ID_LEN + 1], const PGresult *r, int row, int col)
{
    snprintf(out, ID_LEN + 1, "%s", PQgetvalue(r, row, col));
}

/* The first row whose column `kcol` is `key` and account_id `account`;
 * -1 when none. */
static int match_row(const PGresult *r, const char *account, const char *kcol, const char *key)
{
    int acol = PQfnumber(r, "account_id"), col = PQfnumber(r, kcol);
    for (int i = 0; acol >= 0 && col >= 0 && i < PQntuples(r); i++)
        if (strcmp(PQgetvalue(r, i, acol), account) == 0 && strcmp(PQgetvalue(r, i, col), key) == 0)
            return i;
    return -1;
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Decodes a bytea column (hex output, "\x...") of exactly n bytes. */
static bool bytes(const PGresult *r, int row, int col, uint8_t *out, size_t n)
{
    const char *s = PQgetvalue(r, row, col);
    if (s[0] != '\\' || s[1] != 'x' || strlen(s + 2) != 2 * n)
        return false;
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(s[2 + 2 * i]), lo = hexval(s[3 + 2 * i]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

/* ---- array literals, for unnest() and ANY() ---- */

struct array {
    struct buf b;
    bool any;
};

static void array_start(struct array *x)
{
    buf_init(&x->b, (size_t)1 << 30);
    buf_puts(&x->b, "{");
    x->any = false;
}

static void array_sep(struct array *x)
{
    if (x->any)
        buf_puts(&x->b, ",");
    x->any = true;
}

static void array_str(struct array *x, const char *s)
{
    array_sep(x);
    if (!s) {
        buf_puts(&x->b, "NULL");
        return;
    }
    buf_puts(&x->b, "\"");
    for (const char *p = s; *p; p++) {
        if (*p == '"' || *p == '\\')
            buf_append(&x->b, "\\", 1);
        buf_append(&x->b, p, 1);
    }
    buf_puts(&x->b, "\"");
}

/* A timestamp element: 0 is NULL. */
static void array_ts(struct array *x, int64_t v)
{
    array_sep(x);
    if (v)
        buf_printf(&x->b, "%lld", (long long)v);
    else
        buf_puts(&x->b, "NULL");
}

/* The literal, in the transaction's scratch arena. */
static const char *array_end(struct store_tx *tx, struct array *x)
{
    buf_puts(&x->b, "}");
    const char *s = arena_strdup(store__pg_scratch(store__pg_tx_of(tx)), x->b.data);
    buf_fini(&x->b);
    return s;
}

static const char *ids_array(struct store_tx *tx, const char *const *ids, size_t n)
{
    struct array x;
    array_start(&x);
    for (size_t i = 0; i < n; i++)
        array_str(&x, ids[i]);
    return array_end(tx, &x);
}

/* Seven parallel arrays of contact columns (CONTACT_COLS order). */
static void contact_arrays(struct store_tx *tx, const struct contact *cs, size_t n,
                           struct store__pg_params *p)
{
    struct array x[7];
    for (int k = 0; k < 7; k++)
        array_start(&x[k]);
    for (size_t i = 0; i < n; i++) {
        const struct contact *c = &cs[i];
        array_str(&x[0], c->id);
        array_str(&x[1], c->name);
        array_str(&x[2], c->email);
        array_str(&x[3], billing_pref_name(c->pref));
        array_ts(&x[4], c->created_at);
        array_ts(&x[5], c->updated_at);
        array_ts(&x[6], c->archived_at);
    }
    for (int k = 0; k < 7; k++)
        store__pg_text(p, array_end(tx, &x[k]));
}

static void prop_arrays(struct store_tx *tx, const struct property *ps, size_t n,
                        struct store__pg_params *p)
{
    struct array k, v;
    array_start(&k);
    array_start(&v);
    for (size_t i = 0; i < n; i++) {
        array_str(&k, ps[i].key);
        array_str(&v, ps[i].value);
    }
    store__pg_text(p, array_end(tx, &k));
    store__pg_text(p, array_end(tx, &v));
}

/* ---- rows to structs ---- */

static void customer_from_row(struct arena *a, const PGresult *r, int row, int col,
                              struct customer *c)
{
    id_copy(c->id, r, row, col);
    c->legal_name = str0(a, r, row, col + 1);
    c->url = str(a, r, row, col + 2);
    c->label = str(a, r, row, col + 3);
    if (!tax_status_parse(PQgetvalue(r, row, col + 4), &c->tax_status))
        c->tax_status = TAX_TAXED;
    if (!customer_status_parse(PQgetvalue(r, row, col + 5), &c->status))
        c->status = CUSTOMER_ACTIVE;
    c->address.line1 = str(a, r, row, col + 6);
    c->address.line2 = str(a, r, row, col + 7);
    c->address.town = str(a, r, row, col + 8);
    c->address.state = str(a, r, row, col + 9);
    c->address.postcode = str(a, r, row, col + 10);
    c->address.country = str(a, r, row, col + 11);
    store__integrations_decode(
        a, PQgetisnull(r, row, col + 12) ? NULL : PQgetvalue(r, row, col + 12), c);
    c->created_at = num(r, row, col + 13);
    c->updated_at = num(r, row, col + 14);
    c->archived_at = num(r, row, col + 15);
}

static void contact_from_row(struct arena *a, const PGresult *r, int row, struct contact *c)
{
    id_copy(c->id, r, row, 0);
    c->name = str(a, r, row, 1);
    c->email = str(a, r, row, 2);
    if (!billing_pref_parse(PQgetvalue(r, row, 3), &c->pref))
        c->pref = BILLING_STANDARD;
    c->created_at = num(r, row, 4);
    c->updated_at = num(r, row, 5);
    c->archived_at = num(r, row, 6);
}

static void alias_from_row(struct arena *a, const char *account, const PGresult *r, int row,
                           int col, struct alias *al)
{
    id_copy(al->id, r, row, col);
    snprintf(al->account_id, sizeof(al->account_id), "%s", account);
    id_copy(al->customer_id, r, row, col + 1);
    al->value = str0(a, r, row, col + 2);
    al->label = str(a, r, row, col + 3);
    al->created_at = num(r, row, col + 4);
    al->deleted_at = num(r, row, col + 5);
}

/* ---- idempotency ---- */

static enum err idem_get(struct store_tx *tx, struct arena *a, const char *account, const char *key,
                         struct idem_record *out)
{
    struct store__pg_params p = {0};
    store__pg_text(&p, account);
    store__pg_text(&p, key);
    enum err rc;
    PGresult *r = run(tx, ST_IDEM_GET, &p, &rc);
    if (!r)
        return rc;
    int row = match_row(r, account, "key", key);
    if (row < 0) {
        rc = ERR_NOT_FOUND;
    } else {
        if (!bytes(r, row, 2, out->hash, IDEM_HASH_LEN))
            memset(out->hash, 0, IDEM_HASH_LEN); /* never equal to a real hash */
        out->status = (int)num(r, row, 3);
        out->body = (char *)str0(a, r, row, 4);
        out->created_at = num(r, row, 5);
    }
    PQclear(r);
    return rc;
}

static enum err idem_put(struct store_tx *tx, const char *account, const char *key,
                         const struct idem_record *rec)
{
    struct store__pg_params p = {0};
    store__pg_text(&p, account);
    store__pg_text(&p, key);
    store__pg_bin(&p, rec->hash, IDEM_HASH_LEN);
    store__pg_i64(&p, rec->status);
    store__pg_text(&p, rec->body ? rec->body : "");
    store__pg_i64(&p, rec->created_at);
    store__pg_i64(&p, rec->created_at - IDEM_TTL_MS);
    int64_t n = 0;
    enum err rc = exec(tx, ST_IDEM_PUT, &p, &n);
    if (rc)
        return rc;
    /* A live record that idem_get did not see: only a race can do that,
     * and SERIALIZABLE reports races before we get here. */
    if (n != 1)
        return ERR_CONFLICT;
    store__pg_tx_of(tx)->idem_written = true;
    return ERR_OK;
}

void store__pg_idem_purge(struct store__pg_tx *t)
{
    struct store__pg_params p = {0};
    store__pg_i64(&p, clock_now_ms() - IDEM_TTL_MS);
    enum err rc;
    PGresult *r = store__pg_run(t, &stmts[ST_IDEM_PURGE], NULL, &p, &rc);
    PQclear(r);
}

/* ---- accounts and clients ---- */

static enum err account_ensure(struct store_tx *tx, const char *name, int64_t now,
                               char id[ID_LEN + 1])
{
    char fresh[ID_LEN + 1];
    id_new(fresh);
    struct store__pg_params p = {0};
    store__pg_text(&p, fresh);
    store__pg_text(&p, name);
    store__pg_i64(&p, now);
    enum err rc;
    PGresult *r = run(tx, ST_ACCOUNT_ENSURE, &p, &rc);
    if (!r)
        return rc;
    if (PQntuples(r) == 0)
        rc = ERR_INTERNAL;
    else
        id_copy(id, r, 0, 0);
    PQclear(r);
    return rc;
}

static enum err account_list(struct store_tx *tx, struct arena *a, struct account_row **out,
                             size_t *n)
{
    enum err rc;
    PGresult *r = run(tx, ST_ACCOUNT_LIST, NULL, &rc);
    if (!r)
        return rc;
    int rows = PQntuples(r);
    *out = rows ? arena_zalloc(a, (size_t)rows * sizeof(**out)) : NULL;
    for (int i = 0; i < rows; i++) {
        struct account_row *x = &(*out)[i];
        id_copy(x->id, r, i, 0);
        x->name = str0(a, r, i, 1);
        x->created_at = num(r, i, 2);
        x->clients = num(r, i, 3);
    }
    *n = (size_t)rows;
    PQclear(r);
    return ERR_OK;
}

static enum err client_insert(struct store_tx *tx, const char *account_id, const char *client_id,
                              const uint8_t hash[SECRET_HASH_LEN], int64_t now)
{
    struct store__pg_params p = {0};
    store__pg_text(&p, client_id);
    store__pg_text(&p, account_id);
    store__pg_bin(&p, hash, SECRET_HASH_LEN);
    store__pg_i64(&p, now);
    return exec(tx, ST_CLIENT_INSERT, &p, NULL);
}

static enum err client_get(struct store_tx *tx, const char *client_id, char account_id[ID_LEN + 1],
                           uint8_t hash[SECRET_HASH_LEN], int64_t *revoked_at)
{
    struct store__pg_params p = {0};
    store__pg_text(&p, client_id);
    enum err rc;
    PGresult *r = run(tx, ST_CLIENT_GET, &p, &rc);
    if (!r)
        return rc;
    if (PQntuples(r) == 0) {
        rc = ERR_NOT_FOUND;
    } else if (!bytes(r, 0, 1, hash, SECRET_HASH_LEN)) {
        rc = ERR_INTERNAL;
    } else {
        id_copy(account_id, r, 0, 0);
        *revoked_at = num(r, 0, 2);
    }
    PQclear(r);
    return rc;
}

static enum err client_revoke(struct store_tx *tx, const char *client_id, int64_t now)
{
    struct store__pg_params p = {0};
    store__pg_text(&p, client_id);
    store__pg_i64(&p, now);
    int64_t n = 0;
    enum err rc = exec(tx, ST_CLIENT_REVOKE, &p, &n);
    return rc ? rc : n ? ERR_OK : ERR_NOT_FOUND;
}

static enum err client_list(struct store_tx *tx, struct arena *a, struct client_row **out,
                            size_t *n)
{
    enum err rc;
    PGresult *r = run(tx, ST_CLIENT_LIST, NULL, &rc);
    if (!r)
        return rc;
    int rows = PQntuples(r);
    *out = rows ? arena_zalloc(a, (size_t)rows * sizeof(**out)) : NULL;
    for (int i = 0; i < rows; i++) {
        struct client_row *x = &(*out)[i];
        id_copy(x->id, r, i, 0);
        id_copy(x->account_id, r, i, 1);
        x->account_name = str0(a, r, i, 2);
        x->created_at = num(r, i, 3);
        x->revoked_at = num(r, i, 4);
    }
    *n = (size_t)rows;
    PQclear(r);
    return ERR_OK;
}

/* ---- read-your-writes ---- */

/*
 * A write often reads back what it has just inserted (the answer shows the
 * new customer or organization). Those reads are answered from what the
 * insert was given, as the database would return it, without reading the
 * indexes: ids are time-ordered, so the newest index pages are the ones
 * every concurrent insert writes to, and under SERIALIZABLE (whose read
 * locks cover whole index pages) reading one's own fresh rows back through
 * them makes concurrent creations abort one another. An entry is dropped
 * as soon as the transaction changes that customer or organization.
 */
#define FRESH_MAX 64

struct store__pg_fresh_customer {
    struct store__pg_fresh_customer *next;
    const char *account;
    struct customer c; /* contacts by (created_at, id), props by key */
};

static int contact_order(const void *x, const void *y)
{
    const struct contact *a = x, *b = y;
    if (a->created_at != b->created_at)
        return a->created_at < b->created_at ? -1 : 1;
    return strcmp(a->id, b->id);
}

static int prop_order(const void *x, const void *y)
{
    const struct property *a = x, *b = y;
    return strcmp(a->key, b->key);
}

/* The customer's columns as customer_row_get returns them. */
static void customer_scalars(struct arena *a, const struct customer *src, struct customer *dst)
{
    snprintf(dst->id, sizeof(dst->id), "%s", src->id);
    dst->legal_name = arena_strdup(a, src->legal_name ? src->legal_name : "");
    dst->url = arena_strdup(a, src->url);
    dst->label = arena_strdup(a, src->label);
    dst->tax_status = src->tax_status;
    dst->status = src->status;
    dst->address.line1 = arena_strdup(a, src->address.line1);
    dst->address.line2 = arena_strdup(a, src->address.line2);
    dst->address.town = arena_strdup(a, src->address.town);
    dst->address.state = arena_strdup(a, src->address.state);
    dst->address.postcode = arena_strdup(a, src->address.postcode);
    dst->address.country = arena_strdup(a, src->address.country);
    dst->created_at = src->created_at;
    dst->updated_at = src->updated_at;
    dst->archived_at = src->archived_at;
}

static void contact_copy(struct arena *a, const struct contact *src, struct contact *dst)
{
    *dst = *src;
    snprintf(dst->id, sizeof(dst->id), "%s", src->id);
    dst->name = arena_strdup(a, src->name);
    dst->email = arena_strdup(a, src->email);
}

static void fresh_customer_add(struct store_tx *tx, const char *account, const struct customer *c)
{
    struct store__pg_tx *t = store__pg_tx_of(tx);
    int count = 0;
    for (struct store__pg_fresh_customer *f = t->fresh_customers; f; f = f->next)
        count++;
    if (count >= FRESH_MAX)
        return;
    struct arena *a = store__pg_scratch(t);
    struct store__pg_fresh_customer *f = arena_zalloc(a, sizeof(*f));
    f->account = arena_strdup(a, account);
    struct customer *d = &f->c;
    customer_scalars(a, c, d);
    /* integrations go through their column's JSON, as they would */
    char *json = store__integrations_encode(c);
    store__integrations_decode(a, json, d);
    free(json);
    if (c->n_contacts) {
        d->contacts = arena_zalloc(a, c->n_contacts * sizeof(*d->contacts));
        for (size_t i = 0; i < c->n_contacts; i++)
            contact_copy(a, &c->contacts[i], &d->contacts[i]);
        d->n_contacts = c->n_contacts;
        qsort(d->contacts, d->n_contacts, sizeof(*d->contacts), contact_order);
    }
    if (c->n_props) {
        d->props = arena_zalloc(a, c->n_props * sizeof(*d->props));
        for (size_t i = 0; i < c->n_props; i++) {
            d->props[i].key = arena_strdup(a, c->props[i].key);
            d->props[i].value = arena_strdup(a, c->props[i].value ? c->props[i].value : "");
        }
        d->n_props = c->n_props;
        qsort(d->props, d->n_props, sizeof(*d->props), prop_order);
    }
    f->next = t->fresh_customers;
    t->fresh_customers = f;
}

static const struct customer *fresh_customer(struct store_tx *tx, const char *account,
                                             const char *id)
{
    for (struct store__pg_fresh_customer *f = store__pg_tx_of(tx)->fresh_customers; f; f = f->next)
        if (strcmp(f->c.id, id) == 0 && strcmp(f->account, account) == 0)
            return &f->c;
    return NULL;
}

/* The customer changes: later reads go to the database. */
static void fresh_customer_drop(struct store_tx *tx, const char *account, const char *id)
{
    for (struct store__pg_fresh_customer **f = &store__pg_tx_of(tx)->fresh_customers; *f;
         f = &(*f)->next)
        if (strcmp((*f)->c.id, id) == 0 && strcmp((*f)->account, account) == 0) {
            *f = (*f)->next;
            return;
        }
}

/* ---- customers ---- */

static enum err customer_row_get(struct store_tx *tx, struct arena *a, const char *account,
                                 const char *id, struct customer *out)
{
    const struct customer *f = fresh_customer(tx, account, id);
    if (f) {
        customer_scalars(a, f, out);
        out->integrations = NULL;
        out->n_integrations = f->n_integrations;
        if (f->n_integrations) {
            out->integrations = arena_zalloc(a, f->n_integrations * sizeof(*out->integrations));
            for (size_t i = 0; i < f->n_integrations; i++) {
                out->integrations[i].service = arena_strdup(a, f->integrations[i].service);
                out->integrations[i].id = arena_strdup(a, f->integrations[i].id);
            }
        }
        return ERR_OK;
    }
    struct store__pg_params p = {0};
    store__pg_text(&p, account);
    store__pg_text(&p, id);
    enum err rc;
    PGresult *r = run(tx, ST_CUSTOMER_GET, &p, &rc);
    if (!r)
        return rc;
    if (PQntuples(r) == 0)
        rc = ERR_NOT_FOUND;
    else
        customer_from_row(a, r, 0, 0, out);
    PQclear(r);
    return rc;
}

/* The customer's scalar columns after account and id ($3 .. $14). */
static void customer_fields(struct store__pg_params *p, const struct customer *c,
                            const char *integrations)
{
    store__pg_text(p, c->legal_name);
    store__pg_text(p, c->url);
    store__pg_text(p, c->label);
    store__pg_text(p, tax_status_name(c->tax_status));
    store__pg_text(p, customer_status_name(c->status));
    store__pg_text(p, c->address.line1);
    store__pg_text(p, c->address.line2);
    store__pg_text(p, c->address.town);
    store__pg_text(p, c->address.state);
    store__pg_text(p, c->address.postcode);
    store__pg_text(p, c->address.country);
    store__pg_text(p, integrations);
}

static enum err customer_insert(struct store_tx *tx, const char *account, const struct customer *c)
{
    char *integrations = store__integrations_encode(c);
    struct store__pg_params p = {0};
    store__pg_text(&p, account);
    store__pg_text(&p, c->id);
    customer_fields(&p, c, integrations);
    store__pg_i64(&p, c->created_at);
    store__pg_i64(&p, c->updated_at);
    store__pg_ts(&p, c->archived_at);
    contact_arrays(tx, c->contacts, c->n_contacts, &p);
    prop_arrays(tx, c->props, c->n_props, &p);
    enum err rc = exec(tx, ST_CUSTOMER_INSERT, &p, NULL);
    free(integrations);
    if (rc == ERR_OK)
        fresh_customer_add(tx, account, c);
    return rc;
}

static enum err customer_update(struct store_tx *tx, const char *account, const struct customer *c,
                                bool replace_props)
{
    fresh_customer_drop(tx, account, c->id);
    char *integrations = store__integrations_encode(c);
    struct store__pg_params p = {0};
    store__pg_text(&p, account);
    store__pg_text(&p, c->id);
    customer_fields(&p, c, integrations);
    store__pg_i64(&p, c->updated_at);
    contact_arrays(tx, c->contacts, c->n_contacts, &p);
    if (replace_props)
        prop_arrays(tx, c->props, c->n_props, &p);
    enum err rc;
    PGresult *r = run(tx, replace_props ? ST_CUSTOMER_UPDATE_PROPS : ST_CUSTOMER_UPDATE, &p, &rc);
    free(integrations);
    if (!r)
        return rc;
    rc = num(r, 0, 0) ? ERR_OK : ERR_NOT_FOUND;
    PQclear(r);
    return rc;
}

static enum err customer_archive(struct store_tx *tx, const char *account, const char *id,
                                 int64_t now)
{
    fresh_customer_drop(tx, account, id);
    struct store__pg_params p = {0};
    store__pg_text(&p, account);
    store__pg_text(&p, id);
    store__pg_i64(&p, now);
    enum err rc;
    PGresult *r = run(tx, ST_CUSTOMER_ARCHIVE, &p, &rc);
    if (!r)
        return rc;
    rc = num(r, 0, 0) ? ERR_OK : ERR_NOT_FOUND;
    PQclear(r);
    return rc;
}

static enum err customer_briefs(struct store_tx *tx, struct arena *a, const char *account,
                                const char *const *ids, size_t n, struct customer_brief *out)
{
    /* fresh customers are answered here, the others asked for */
    struct arena *scratch = store__pg_scratch(store__pg_tx_of(tx));
    const char **ask = arena_alloc(scratch, n * sizeof(*ask));
    size_t *pos = arena_alloc(scratch, n * sizeof(*pos)), m = 0;
    for (size_t i = 0; i < n; i++) {
        const struct customer *f = fresh_customer(tx, account, ids[i]);
        if (f) {
            out[i].found = true;
            out[i].archived = f->archived_at != 0;
            out[i].legal_name = arena_strdup(a, f->legal_name);
        } else {
            ask[m] = ids[i];
            pos[m++] = i;
        }
    }
    if (m == 0)
        return ERR_OK;
    struct store__pg_params p = {0};
    store__pg_text(&p, account);
    store__pg_text(&p, ids_array(tx, ask, m));
    enum err rc;
    PGresult *r = run(tx, ST_CUSTOMER_BRIEFS, &p, &rc);
    if (!r)
        return rc;
    for (int i = 0; i < PQntuples(r); i++) {
        int64_t ord = num(r, i, 0);
        if (ord < 1 || (size_t)ord > m)
            continue;
        struct customer_brief *b = &out[pos[ord - 1]];
        b->found = true;
        b->legal_name = str0(a, r, i, 1);
        b->archived = PQgetvalue(r, i, 2)[0] == 't';
    }
    PQclear(r);
    return ERR_OK;
}

static enum err customer_props(struct store_tx *tx, struct arena *a, const char *account,
                               const char *customer_id, struct property **out, size_t *n)
{
    const struct customer *f = fresh_customer(tx, account, customer_id);
    if (f) {
        *out = f->n_props ? arena_zalloc(a, f->n_props * sizeof(**out)) : NULL;
        for (size_t i = 0; i < f->n_props; i++) {
            (*out)[i].key = arena_strdup(a, f->props[i].key);
            (*out)[i].value = arena_strdup(a, f->props[i].value);
        }
        *n = f->n_props;
        return ERR_OK;
    }
    struct store__pg_params p = {0};
    store__pg_text(&p, account);
    store__pg_text(&p, customer_id);
    enum err rc;
    PGresult *r = run(tx, ST_CUSTOMER_PROPS, &p, &rc);
    if (!r)
        return rc;
    int rows = PQntuples(r);
    *out = rows ? arena_zalloc(a, (size_t)rows * sizeof(**out)) : NULL;
    for (int i = 0; i < rows; i++) {
        (*out)[i].key = str0(a, r, i, 0);
        (*out)[i].value = str0(a, r, i, 1);
    }
    *n = (size_t)rows;
    PQclear(r);
    return ERR_OK;
}

static enum err property_keys(struct store_tx *tx, struct arena *a, const char *account,
                              const char ***out, size_t *n)
{
    struct store__pg_params p = {0};
    store__pg_text(&p, account);
    enum err rc;
    PGresult *r = run(tx, ST_PROPERTY_KEYS, &p, &rc);
    if (!r)
        return rc;
    int rows = PQntuples(r);
    *out = rows ? arena_zalloc(a, (size_t)rows * sizeof(**out)) : NULL;
    for (int i = 0; i < rows; i++)
        (*out)[i] = str0(a, r, i, 0);
    *n = (size_t)rows;
    PQclear(r);
    return ERR_OK;
}

/* ---- keyset pages ---- */

/*
 * One page of a list, in one statement: the total, a probe for rows on the
 * other side of the cursor, and limit + 1 rows from the cursor on (the
 * extra row tells whether more follow). With a `before` cursor the rows
 * are fetched backwards, nearest the cursor first, and the caller reverses
 * them.
 */
struct page_spec {
    const char *from;  /* "customers c" */
    const char *where; /* filters, with parameters already in p */
    const char *cols;  /* selected columns, the id first (named id) */
    const char *key;   /* sort key expression; NULL: the id alone */
    bool key_int;      /* the key is a bigint (cursor keys are decimal) */
    const char *id;    /* the id column, "c.id" */
};

struct page_rows {
    PGresult *r;
    int n;        /* rows of the page (result rows 0 .. n-1) */
    bool reverse; /* page row i is result row n-1-i */
    int col;      /* first column of `cols` in the result */
};

static bool parse_i64(const char *s, int64_t *out)
{
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

/* Appends "(key, id) op (cursor key, cursor id)". */
static void cursor_cmp(struct buf *b, const struct page_spec *sp, const char *op, int k, int i)
{
    if (sp->key)
        buf_printf(b, "(%s, %s) %s ($%d%s, $%d)", sp->key, sp->id, op, k,
                   sp->key_int ? "::bigint" : "::text COLLATE \"C\"", i);
    else
        buf_printf(b, "%s %s $%d", sp->id, op, i);
}

static enum err page_run(struct store_tx *tx, struct store__pg_params *p,
                         const struct page_spec *sp, const struct page_query *pq,
                         struct page_result *pr, struct page_rows *out)
{
    bool before = pq->has_cursor && !pq->cursor_after;
    bool fetch_desc = pq->desc != before;
    const char *dir = fetch_desc ? "DESC" : "ASC";
    /* past the cursor in fetch order; and its complement, for the probe */
    const char *past = fetch_desc ? "<" : ">", *back = fetch_desc ? ">=" : "<=";
    int limit = pq->limit > 0 ? pq->limit : 0;
    int k = 0, i = 0;

    if (pq->has_cursor) {
        int64_t v;
        /* a NULL key is "" (text) or 0 (numbers) */
        const char *ck = pq->cursor_key ? pq->cursor_key : sp->key_int ? "0" : "";
        if (sp->key && sp->key_int && !parse_i64(ck, &v))
            return ERR_CURSOR_INVALID;
        if (sp->key)
            k = store__pg_text(p, ck);
        i = store__pg_text(p, pq->cursor_id);
    }
    int lim = store__pg_i64(p, (int64_t)limit + 1);

    struct buf b;
    buf_init(&b, 1 << 20);
    buf_printf(&b,
               "SELECT t.total, t.probe, p.* FROM (SELECT (SELECT count(*) FROM %s WHERE %s)"
               " AS total, ",
               sp->from, sp->where);
    if (pq->has_cursor) {
        buf_printf(&b, "EXISTS (SELECT 1 FROM %s WHERE %s AND ", sp->from, sp->where);
        cursor_cmp(&b, sp, back, k, i);
        buf_puts(&b, ")");
    } else {
        buf_puts(&b, "false");
    }
    buf_printf(&b, " AS probe) t LEFT JOIN LATERAL (SELECT %s", sp->cols);
    if (sp->key)
        buf_printf(&b, ", %s AS sort_key", sp->key);
    buf_printf(&b, " FROM %s WHERE %s", sp->from, sp->where);
    if (pq->has_cursor) {
        buf_puts(&b, " AND ");
        cursor_cmp(&b, sp, past, k, i);
    }
    buf_puts(&b, " ORDER BY ");
    if (sp->key)
        buf_printf(&b, "%s %s, ", sp->key, dir);
    buf_printf(&b, "%s %s LIMIT $%d) p ON true ORDER BY ", sp->id, dir, lim);
    if (sp->key)
        buf_printf(&b, "p.sort_key%s %s, ", sp->key_int ? "" : " COLLATE \"C\"", dir);
    buf_printf(&b, "p.id %s", dir);

    enum err rc;
    PGresult *r = store__pg_run(store__pg_tx_of(tx), NULL, b.data, p, &rc);
    buf_fini(&b);
    if (!r)
        return rc;

    int rows = PQntuples(r);
    if (rows == 1 && PQgetisnull(r, 0, 2))
        rows = 0; /* an empty page: only the totals */
    bool more = rows > limit;
    bool other = PQntuples(r) > 0 && PQgetvalue(r, 0, 1)[0] == 't';
    pr->total = PQntuples(r) > 0 ? num(r, 0, 0) : 0;
    pr->has_next = before ? other : more;
    pr->has_prev = before ? more : other;
    out->r = r;
    out->n = more ? limit : rows;
    out->reverse = before;
    out->col = 2;
    return ERR_OK;
}

static int page_row(const struct page_rows *pg, int i)
{
    return pg->reverse ? pg->n - 1 - i : i;
}

/* Escapes LIKE wildcards and wraps `s` for a substring match. */
static const char *like_pattern(struct store_tx *tx, const char *s)
{
    struct arena *a = store__pg_scratch(store__pg_tx_of(tx));
    char *out = arena_alloc(a, 2 * strlen(s) + 3), *o = out;
    *o++ = '%';
    for (; *s; s++) {
        if (*s == '%' || *s == '_' || *s == '\\')
            *o++ = '\\';
        *o++ = *s;
    }
    *o++ = '%';
    *o = '\0';
    return out;
}

static enum err customer_list_rows(struct store_tx *tx, struct arena *a, const char *account,
                                   const struct customer_query *q, struct customer **items,
                                   const char ***keys, size_t *n, struct page_result *pr)
{
    struct store__pg_params p = {0};
    struct buf w;
    char key[512];
    buf_init(&w, 8192);
    buf_printf(&w, "c.account_id = $%d", store__pg_text(&p, account));
    if (!q->include_archived)
        buf_puts(&w, " AND c.archived_at IS NULL");
    if (q->legal_name)
        buf_printf(&w, " AND c.legal_name ILIKE $%d",
                   store__pg_text(&p, like_pattern(tx, q->legal_name)));
    if (q->label)
        buf_printf(&w, " AND c.label ILIKE $%d", store__pg_text(&p, like_pattern(tx, q->label)));
    if (q->email)
        buf_printf(&w,
                   " AND EXISTS (SELECT 1 FROM contacts ct WHERE ct.account_id = c.account_id"
                   " AND ct.customer_id = c.id AND ct.archived_at IS NULL"
                   " AND lower(ct.email) = lower($%d::text COLLATE \"C\"))",
                   store__pg_text(&p, q->email));
    if (q->alias)
        buf_printf(&w,
                   " AND EXISTS (SELECT 1 FROM aliases al WHERE al.account_id = c.account_id"
                   " AND al.customer_id = c.id AND al.deleted_at IS NULL AND al.value = $%d)",
                   store__pg_text(&p, q->alias));

    struct page_spec sp = {
        .from = "customers c", .where = w.data, .cols = CUSTOMER_COLS, .id = "c.id"};
    enum customer_sort sort = q->sort;
    if (sort == SORT_PROPERTY && !q->sort_property)
        sort = SORT_CREATED_AT;
    switch (sort) {
    case SORT_CREATED_AT:
    default:
        sp.key = "c.created_at";
        sp.key_int = true;
        break;
    case SORT_LEGAL_NAME:
        sp.key = "c.legal_name COLLATE \"C\"";
        break;
    case SORT_LABEL:
        sp.key = "coalesce(c.label, '') COLLATE \"C\"";
        break;
    case SORT_PROPERTY:
        snprintf(key, sizeof(key),
                 "coalesce((SELECT cp.value FROM customer_properties cp"
                 " WHERE cp.account_id = c.account_id AND cp.customer_id = c.id"
                 " AND cp.key = $%d), '') COLLATE \"C\"",
                 store__pg_text(&p, q->sort_property));
        sp.key = key;
        break;
    }

    struct page_rows pg;
    enum err rc = page_run(tx, &p, &sp, &q->page, pr, &pg);
    buf_fini(&w);
    if (rc)
        return rc;
    *items = pg.n ? arena_zalloc(a, (size_t)pg.n * sizeof(**items)) : NULL;
    *keys = pg.n ? arena_zalloc(a, (size_t)pg.n * sizeof(**keys)) : NULL;
    for (int i = 0; i < pg.n; i++) {
        int row = page_row(&pg, i);
        customer_from_row(a, pg.r, row, pg.col, &(*items)[i]);
        (*keys)[i] = str0(a, pg.r, row, pg.col + CUSTOMER_NCOLS);
    }
    *n = (size_t)pg.n;
    PQclear(pg.r);
    return ERR_OK;
}

/* ---- contacts ---- */

static enum err contact_list(struct store_tx *tx, struct arena *a, const char *account,
                             const char *customer_id, bool include_archived, struct contact **out,
                             size_t *n)
{
    const struct customer *f = fresh_customer(tx, account, customer_id);
    if (f) {
        *out = f->n_contacts ? arena_zalloc(a, f->n_contacts * sizeof(**out)) : NULL;
        *n = 0;
        for (size_t i = 0; i < f->n_contacts; i++)
            if (include_archived || !f->contacts[i].archived_at)
                contact_copy(a, &f->contacts[i], &(*out)[(*n)++]);
        if (*n == 0)
            *out = NULL;
        return ERR_OK;
    }
    struct store__pg_params p = {0};
    store__pg_text(&p, account);
    store__pg_text(&p, customer_id);
    store__pg_bool(&p, include_archived);
    enum err rc;
    PGresult *r = run(tx, ST_CONTACT_LIST, &p, &rc);
    if (!r)
        return rc;
    int rows = PQntuples(r);
    *out = rows ? arena_zalloc(a, (size_t)rows * sizeof(**out)) : NULL;
    for (int i = 0; i < rows; i++)
        contact_from_row(a, r, i, &(*out)[i]);
    *n = (size_t)rows;
    PQclear(r);
    return ERR_OK;
}

static enum err contact_get(struct store_tx *tx, struct arena *a, const char *account,
                            const char *customer_id, const char *id, struct contact *out)
{
    const struct customer *f = fresh_customer(tx, account, customer_id);
    if (f) {
        for (size_t i = 0; i < f->n_contacts; i++)
            if (strcmp(f->contacts[i].id, id) == 0) {
                contact_copy(a, &f->contacts[i], out);
                return ERR_OK;
            }
        return ERR_NOT_FOUND;
    }
    struct store__pg_params p = {0};
    store__pg_text(&p, account);
    store__pg_text(&p, customer_id);
    store__pg_text(&p, id);
    enum err rc;
    PGresult *r = run(tx, ST_CONTACT_GET, &p, &rc);
    if (!r)
        return rc;
    if (PQntuples(r) == 0)
        rc = ERR_NOT_FOUND;
    else
        contact_from_row(a, r, 0, out);
    PQclear(r);
    return rc;
}

static enum err contact_insert(struct store_tx *tx, const char *account, const char *customer_id,
                               const struct contact *c)
{
    fresh_customer_drop(tx, account, customer_id);
    struct store__pg_params p = {0};
    store__pg_text(&p, account);
    store__pg_text(&p, customer_id);
    store__pg_text(&p, c->id);
    store__pg_text(&p, c->name);
    store__pg_text(&p, c->email);
    store__pg_text(&p, billing_pref_name(c->pref));
    store__pg_i64(&p, c->created_at);
    store__pg_i64(&p, c->updated_at);
    store__pg_ts(&p, c->archived_at);
    return exec(tx, ST_CONTACT_INSERT, &p, NULL);
}

static enum err contact_update(struct store_tx *tx, const char *account, const char *customer_id,
                               const struct contact *c)
{
    fresh_customer_drop(tx, account, customer_id);
    struct store__pg_params p = {0};
    store__pg_text(&p, account);
    store__pg_text(&p, customer_id);
    store__pg_text(&p, c->id);
    store__pg_text(&p, c->name);
    store__pg_text(&p, c->email);
    store__pg_text(&p, billing_pref_name(c->pref));
    store__pg_i64(&p, c->updated_at);
    store__pg_ts(&p, c->archived_at);
    int64_t n = 0;
    enum err rc = exec(tx, ST_CONTACT_UPDATE, &p, &n);
    return rc ? rc : n ? ERR_OK : ERR_NOT_FOUND;
}

/* ---- aliases ---- */

static enum err alias_insert(struct store_tx *tx, const char *account, const struct alias *al)
{
    struct store__pg_params p = {0};
    store__pg_text(&p, account);
    store__pg_text(&p, al->id);
    store__pg_text(&p, al->customer_id);
    store__pg_text(&p, al->value);
    store__pg_text(&p, al->label);
    store__pg_i64(&p, al->created_at);
    store__pg_ts(&p, al->deleted_at);
    int64_t n = 0;
    enum err rc = exec(tx, ST_ALIAS_INSERT, &p, &n);
    return rc ? rc : n ? ERR_OK : ERR_ALIAS_EXISTS;
}

static enum err alias_one(struct store_tx *tx, struct arena *a, int st, const char *account,
                          const char *arg, struct alias *out)
{
    struct store__pg_params p = {0};
    store__pg_text(&p, account);
    store__pg_text(&p, arg);
    enum err rc;
    PGresult *r = run(tx, st, &p, &rc);
    if (!r)
        return rc;
    /* by value, the hashed lookup: account and value checked here */
    int row = st == ST_ALIAS_GET_BY_VALUE ? match_row(r, account, "value", arg)
              : PQntuples(r)              ? 0
                                          : -1;
    if (row < 0)
        rc = ERR_NOT_FOUND;
    else
        alias_from_row(a, account, r, row, 0, out);
    PQclear(r);
    return rc;
}

static enum err alias_get(struct store_tx *tx, struct arena *a, const char *account, const char *id,
                          struct alias *out)
{
    return alias_one(tx, a, ST_ALIAS_GET, account, id, out);
}

static enum err alias_get_by_value(struct store_tx *tx, struct arena *a, const char *account,
                                   const char *value, struct alias *out)
{
    return alias_one(tx, a, ST_ALIAS_GET_BY_VALUE, account, value, out);
}

static enum err alias_list(struct store_tx *tx, struct arena *a, const char *account,
                           const char *value, const struct page_query *pq, struct alias **out,
                           size_t *n, struct page_result *pr)
{
    struct store__pg_params p = {0};
    char where[128];
    int acc = store__pg_text(&p, account);
    if (value)
        snprintf(where, sizeof(where),
                 "a.account_id = $%d AND a.deleted_at IS NULL AND a.value = $%d", acc,
                 store__pg_text(&p, value));
    else
        snprintf(where, sizeof(where), "a.account_id = $%d AND a.deleted_at IS NULL", acc);
    struct page_spec sp = {.from = "aliases a", .where = where, .cols = ALIAS_COLS, .id = "a.id"};
    struct page_rows pg;
    enum err rc = page_run(tx, &p, &sp, pq, pr, &pg);
    if (rc)
        return rc;
    *out = pg.n ? arena_zalloc(a, (size_t)pg.n * sizeof(**out)) : NULL;
    for (int i = 0; i < pg.n; i++)
        alias_from_row(a, account, pg.r, page_row(&pg, i), pg.col, &(*out)[i]);
    *n = (size_t)pg.n;
    PQclear(pg.r);
    return ERR_OK;
}

static enum err alias_list_for_customer(struct store_tx *tx, struct arena *a, const char *account,
                                        const char *customer_id, struct alias **out, size_t *n)
{
    struct store__pg_params p = {0};
    store__pg_text(&p, account);
    store__pg_text(&p, customer_id);
    enum err rc;
    PGresult *r = run(tx, ST_ALIAS_LIST_FOR_CUSTOMER, &p, &rc);
    if (!r)
        return rc;
    int rows = PQntuples(r);
    *out = rows ? arena_zalloc(a, (size_t)rows * sizeof(**out)) : NULL;
    for (int i = 0; i < rows; i++)
        alias_from_row(a, account, r, i, 0, &(*out)[i]);
    *n = (size_t)rows;
    PQclear(r);
    return ERR_OK;
}

static enum err alias_update(struct store_tx *tx, const char *account, const struct alias *al)
{
    struct store__pg_params p = {0};
    store__pg_text(&p, account);
    store__pg_text(&p, al->id);
    store__pg_text(&p, al->label);
    store__pg_ts(&p, al->deleted_at);
    int64_t n = 0;
    enum err rc = exec(tx, ST_ALIAS_UPDATE, &p, &n);
    return rc ? rc : n ? ERR_OK : ERR_NOT_FOUND;
}

/* ---- organizations ---- */

/* Organizations inserted by this transaction: see "read-your-writes" above. */
#define FRESH_MAX_MEMBERS 256

struct store__pg_fresh_org {
    struct store__pg_fresh_org *next;
    const char *account;
    char id[ID_LEN + 1], owner[ID_LEN + 1];
    int64_t created_at;
    const char **members; /* deduplicated, first occurrence kept, as stored */
    size_t n;
};

static void fresh_add(struct store_tx *tx, const char *account, const struct organization *o)
{
    if (o->n_members > FRESH_MAX_MEMBERS)
        return;
    struct store__pg_tx *t = store__pg_tx_of(tx);
    struct arena *a = store__pg_scratch(t);
    struct store__pg_fresh_org *f = arena_zalloc(a, sizeof(*f));
    f->account = arena_strdup(a, account);
    snprintf(f->id, sizeof(f->id), "%s", o->id);
    snprintf(f->owner, sizeof(f->owner), "%s", o->owner.id);
    f->created_at = o->created_at;
    f->members = arena_zalloc(a, (o->n_members + 1) * sizeof(*f->members));
    for (size_t i = 0; i < o->n_members; i++) {
        size_t j = 0;
        while (j < f->n && strcmp(f->members[j], o->members[i].id) != 0)
            j++;
        if (j == f->n)
            f->members[f->n++] = arena_strdup(a, o->members[i].id);
    }
    f->next = t->fresh;
    t->fresh = f;
}

static struct store__pg_fresh_org *fresh_find(struct store_tx *tx, const char *account,
                                              const char *id)
{
    struct store__pg_fresh_org *f = store__pg_tx_of(tx)->fresh;
    while (f && (strcmp(f->id, id) != 0 || strcmp(f->account, account) != 0))
        f = f->next;
    return f;
}

/* The organization changes: later reads go to the database (any account's
 * entry of that id goes: dropping too much is harmless). */
static void fresh_drop(struct store_tx *tx, const char *id)
{
    for (struct store__pg_fresh_org **f = &store__pg_tx_of(tx)->fresh; *f; f = &(*f)->next)
        if (strcmp((*f)->id, id) == 0) {
            *f = (*f)->next;
            return;
        }
}

static enum err fresh_get(struct store_tx *tx, struct arena *a, const char *account,
                          const struct store__pg_fresh_org *f, struct organization *out)
{
    memset(out, 0, sizeof(*out));
    memcpy(out->id, f->id, sizeof(out->id));
    memcpy(out->owner.id, f->owner, sizeof(out->owner.id));
    out->created_at = f->created_at;
    out->members = f->n ? arena_zalloc(a, f->n * sizeof(*out->members)) : NULL;
    out->n_members = f->n;
    for (size_t i = 0; i < f->n; i++)
        snprintf(out->members[i].id, sizeof(out->members[i].id), "%s", f->members[i]);

    /* names: fresh customers from memory, the others asked for; entry k
     * is the owner (k = 0) or member k - 1 */
    const char **names = arena_zalloc(a, (f->n + 1) * sizeof(*names));
    struct array x;
    array_start(&x);
    size_t *pos = arena_alloc(store__pg_scratch(store__pg_tx_of(tx)), (f->n + 1) * sizeof(*pos));
    size_t m = 0;
    for (size_t k = 0; k <= f->n; k++) {
        const char *id = k ? f->members[k - 1] : f->owner;
        const struct customer *c = fresh_customer(tx, account, id);
        if (c) {
            names[k] = arena_strdup(a, c->legal_name);
        } else {
            array_str(&x, id);
            pos[m++] = k;
        }
    }
    const char *ask = array_end(tx, &x);
    if (m) {
        struct store__pg_params p = {0};
        store__pg_text(&p, account);
        store__pg_text(&p, ask);
        enum err rc;
        PGresult *r = run(tx, ST_ORG_NAMES, &p, &rc);
        if (!r)
            return rc;
        for (int i = 0; i < PQntuples(r); i++) {
            int64_t ord = num(r, i, 0);
            if (ord >= 1 && (size_t)ord <= m)
                names[pos[ord - 1]] = str0(a, r, i, 1);
        }
        PQclear(r);
    }
    out->owner.name = names[0] ? names[0] : "";
    for (size_t i = 0; i < f->n; i++)
        out->members[i].name = names[i + 1] ? names[i + 1] : "";
    return ERR_OK;
}

static enum err org_insert(struct store_tx *tx, const char *account, const struct organization *o)
{
    struct array x;
    array_start(&x);
    for (size_t i = 0; i < o->n_members; i++)
        array_str(&x, o->members[i].id);
    struct store__pg_params p = {0};
    store__pg_text(&p, account);
    store__pg_text(&p, o->id);
    store__pg_text(&p, o->owner.id);
    store__pg_i64(&p, o->created_at);
    store__pg_text(&p, array_end(tx, &x));
    enum err rc;
    PGresult *r = run(tx, ST_ORG_INSERT, &p, &rc);
    if (!r)
        return rc;
    rc = num(r, 0, 0) ? ERR_OK : ERR_ORGANIZATION_EXISTS;
    PQclear(r);
    if (rc == ERR_OK)
        fresh_add(tx, account, o);
    return rc;
}

static enum err org_get(struct store_tx *tx, struct arena *a, const char *account, const char *id,
                        struct organization *out)
{
    const struct store__pg_fresh_org *f = fresh_find(tx, account, id);
    if (f)
        return fresh_get(tx, a, account, f, out);
    struct store__pg_params p = {0};
    store__pg_text(&p, account);
    store__pg_text(&p, id);
    enum err rc;
    PGresult *r = run(tx, ST_ORG_GET, &p, &rc);
    if (!r)
        return rc;
    int rows = PQntuples(r);
    if (rows == 0) {
        PQclear(r);
        return ERR_NOT_FOUND;
    }
    memset(out, 0, sizeof(*out));
    snprintf(out->id, sizeof(out->id), "%s", id);
    id_copy(out->owner.id, r, 0, 0);
    out->created_at = num(r, 0, 1);
    out->owner.name = str0(a, r, 0, 2);
    if (!PQgetisnull(r, 0, 3)) {
        out->members = arena_zalloc(a, (size_t)rows * sizeof(*out->members));
        for (int i = 0; i < rows; i++) {
            id_copy(out->members[i].id, r, i, 3);
            out->members[i].name = str0(a, r, i, 4);
        }
        out->n_members = (size_t)rows;
    }
    PQclear(r);
    return ERR_OK;
}

/* Runs `st` with the account ($1) and the array of ids ($2). */
static PGresult *run_ids(struct store_tx *tx, int st, const char *account, const char *const *ids,
                         size_t n, enum err *rc)
{
    struct store__pg_params p = {0};
    store__pg_text(&p, account);
    store__pg_text(&p, ids_array(tx, ids, n));
    return run(tx, st, &p, rc);
}

/* The end of the run of rows from `row` on with the same column 0: the
 * rows of one customer, or of one organization. */
static int same_key_end(PGresult *r, int row)
{
    const char *key = PQgetvalue(r, row, 0);
    int end = row + 1;
    while (end < PQntuples(r) && strcmp(PQgetvalue(r, end, 0), key) == 0)
        end++;
    return end;
}

/* Reads rows [row, end) of an ORGS_GET answer (one organization) into out. */
static void org_from_rows(struct arena *a, PGresult *r, int row, int end, struct organization *out)
{
    memset(out, 0, sizeof(*out));
    id_copy(out->id, r, row, 0);
    id_copy(out->owner.id, r, row, 1);
    out->created_at = num(r, row, 2);
    out->owner.name = str0(a, r, row, 3);
    if (PQgetisnull(r, row, 4))
        return; /* no members: the one row of the LEFT JOIN */
    out->members = arena_zalloc(a, (size_t)(end - row) * sizeof(*out->members));
    for (int i = row; i < end; i++) {
        id_copy(out->members[i - row].id, r, i, 4);
        out->members[i - row].name = str0(a, r, i, 5);
    }
    out->n_members = (size_t)(end - row);
}

/* org_get for each of ids[0..n) (distinct), into out[0..n): the ones this
 * transaction wrote as org_get reads them, the others in one statement. */
static enum err orgs_get(struct store_tx *tx, struct arena *a, const char *account,
                         const char *const *ids, size_t n, struct organization *out)
{
    bool *got = arena_zalloc(a, n ? n : 1);
    const char **ask = arena_alloc(a, (n ? n : 1) * sizeof(*ask));
    size_t m = 0;
    enum err rc;
    for (size_t i = 0; i < n; i++) {
        const struct store__pg_fresh_org *f = fresh_find(tx, account, ids[i]);
        if (!f) {
            ask[m++] = ids[i];
        } else if ((rc = fresh_get(tx, a, account, f, &out[i]))) {
            return rc;
        } else {
            got[i] = true;
        }
    }
    if (m) {
        PGresult *r = run_ids(tx, ST_ORGS_GET, account, ask, m, &rc);
        if (!r)
            return rc;
        for (int row = 0, end; row < PQntuples(r); row = end) {
            end = same_key_end(r, row);
            const char *id = PQgetvalue(r, row, 0);
            for (size_t i = 0; i < n; i++)
                if (!got[i] && strcmp(ids[i], id) == 0) {
                    org_from_rows(a, r, row, end, &out[i]);
                    got[i] = true;
                    break;
                }
        }
        PQclear(r);
    }
    for (size_t i = 0; i < n; i++)
        if (!got[i])
            return ERR_NOT_FOUND;
    return ERR_OK;
}

static enum err org_id_by_owner(struct store_tx *tx, const char *account, const char *owner_id,
                                char out[ID_LEN + 1])
{
    struct store__pg_params p = {0};
    store__pg_text(&p, account);
    store__pg_text(&p, owner_id);
    enum err rc;
    PGresult *r = run(tx, ST_ORG_ID_BY_OWNER, &p, &rc);
    if (!r)
        return rc;
    int row = match_row(r, account, "owner_id", owner_id);
    if (row < 0)
        rc = ERR_NOT_FOUND;
    else
        id_copy(out, r, row, 0);
    PQclear(r);
    return rc;
}

static enum err org_ids_of_member(struct store_tx *tx, struct arena *a, const char *account,
                                  const char *customer_id, const char ***out, size_t *n)
{
    struct store__pg_params p = {0};
    store__pg_text(&p, account);
    store__pg_text(&p, customer_id);
    enum err rc;
    PGresult *r = run(tx, ST_ORG_IDS_OF_MEMBER, &p, &rc);
    if (!r)
        return rc;
    int rows = PQntuples(r);
    *out = rows ? arena_zalloc(a, (size_t)rows * sizeof(**out)) : NULL;
    for (int i = 0; i < rows; i++)
        (*out)[i] = str0(a, r, i, 0);
    *n = (size_t)rows;
    PQclear(r);
    return ERR_OK;
}

/* The index in items of the customer `id` (rows come sorted by customer,
 * items in the page's order); n when absent. */
static size_t item_of(const struct customer *items, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(items[i].id, id) == 0)
            return i;
    return n;
}

/* One statement for a page's customers: the rows of `st` carry the
 * customer id in column 0; *first and *count give each item's rows. */
static PGresult *run_for_items(struct store_tx *tx, struct arena *a, int st, const char *account,
                               const struct customer *items, size_t n, int **first, int **count,
                               enum err *rc)
{
    const char **ids = arena_alloc(a, (n ? n : 1) * sizeof(*ids));
    for (size_t i = 0; i < n; i++)
        ids[i] = items[i].id;
    PGresult *r = run_ids(tx, st, account, ids, n, rc);
    if (!r)
        return NULL;
    *first = arena_zalloc(a, (n ? n : 1) * sizeof(**first));
    *count = arena_zalloc(a, (n ? n : 1) * sizeof(**count));
    for (int row = 0, end; row < PQntuples(r); row = end) {
        end = same_key_end(r, row);
        size_t k = item_of(items, n, PQgetvalue(r, row, 0));
        if (k < n) {
            (*first)[k] = row;
            (*count)[k] = end - row;
        }
    }
    return r;
}

static enum err customers_props(struct store_tx *tx, struct arena *a, const char *account,
                                struct customer *items, size_t n)
{
    int *first, *count;
    enum err rc;
    PGresult *r = run_for_items(tx, a, ST_CUSTOMERS_PROPS, account, items, n, &first, &count, &rc);
    if (!r)
        return rc;
    for (size_t k = 0; k < n; k++) {
        struct customer *c = &items[k];
        c->n_props = (size_t)count[k];
        c->props = count[k] ? arena_zalloc(a, (size_t)count[k] * sizeof(*c->props)) : NULL;
        for (int i = 0; i < count[k]; i++) {
            c->props[i].key = str0(a, r, first[k] + i, 1);
            c->props[i].value = str0(a, r, first[k] + i, 2);
        }
    }
    PQclear(r);
    return ERR_OK;
}

static enum err customers_org_ids(struct store_tx *tx, struct arena *a, const char *account,
                                  const struct customer *items, size_t n, const char ***ids,
                                  size_t *n_ids)
{
    int *first, *count;
    enum err rc;
    PGresult *r =
        run_for_items(tx, a, ST_CUSTOMERS_ORG_IDS, account, items, n, &first, &count, &rc);
    if (!r)
        return rc;
    for (size_t k = 0; k < n; k++) {
        n_ids[k] = (size_t)count[k];
        ids[k] = count[k] ? arena_zalloc(a, (size_t)count[k] * sizeof(**ids)) : NULL;
        for (int i = 0; i < count[k]; i++)
            ids[k][i] = str0(a, r, first[k] + i, 1);
    }
    PQclear(r);
    return ERR_OK;
}

static enum err org_members_add(struct store_tx *tx, const char *account, const char *org_id,
                                const char *const *ids, size_t n)
{
    fresh_drop(tx, org_id);
    struct store__pg_params p = {0};
    store__pg_text(&p, account);
    store__pg_text(&p, org_id);
    store__pg_text(&p, ids_array(tx, ids, n));
    return exec(tx, ST_ORG_MEMBERS_ADD, &p, NULL);
}

static enum err org_members_clear(struct store_tx *tx, const char *account, const char *org_id)
{
    fresh_drop(tx, org_id);
    struct store__pg_params p = {0};
    store__pg_text(&p, account);
    store__pg_text(&p, org_id);
    return exec(tx, ST_ORG_MEMBERS_CLEAR, &p, NULL);
}

static enum err org_member_remove(struct store_tx *tx, const char *account, const char *org_id,
                                  const char *customer_id)
{
    fresh_drop(tx, org_id);
    struct store__pg_params p = {0};
    store__pg_text(&p, account);
    store__pg_text(&p, org_id);
    store__pg_text(&p, customer_id);
    int64_t n = 0;
    enum err rc = exec(tx, ST_ORG_MEMBER_REMOVE, &p, &n);
    return rc ? rc : n ? ERR_OK : ERR_NOT_FOUND;
}

static enum err org_member_count(struct store_tx *tx, const char *account, const char *org_id,
                                 int64_t *n)
{
    struct store__pg_params p = {0};
    store__pg_text(&p, account);
    store__pg_text(&p, org_id);
    enum err rc;
    PGresult *r = run(tx, ST_ORG_MEMBER_COUNT, &p, &rc);
    if (!r)
        return rc;
    *n = num(r, 0, 0);
    PQclear(r);
    return ERR_OK;
}

static enum err org_delete(struct store_tx *tx, const char *account, const char *org_id)
{
    fresh_drop(tx, org_id);
    struct store__pg_params p = {0};
    store__pg_text(&p, account);
    store__pg_text(&p, org_id);
    enum err rc;
    PGresult *r = run(tx, ST_ORG_DELETE, &p, &rc);
    if (!r)
        return rc;
    rc = num(r, 0, 0) ? ERR_OK : ERR_NOT_FOUND;
    PQclear(r);
    return rc;
}

static enum err org_reaches(struct store_tx *tx, const char *account, const char *ancestor,
                            const char *descendant, bool *out)
{
    struct store__pg_params p = {0};
    store__pg_text(&p, account);
    store__pg_text(&p, ancestor);
    store__pg_text(&p, descendant);
    enum err rc;
    PGresult *r = run(tx, ST_ORG_REACHES, &p, &rc);
    if (!r)
        return rc;
    *out = PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    return ERR_OK;
}

static enum err org_list_ids(struct store_tx *tx, struct arena *a, const char *account,
                             const char *owner_id, const char *member_id,
                             const struct page_query *pq, const char ***ids, size_t *n,
                             struct page_result *pr)
{
    struct store__pg_params p = {0};
    char where[512];
    int len = snprintf(where, sizeof(where), "o.account_id = $%d", store__pg_text(&p, account));
    if (owner_id)
        len += snprintf(where + len, sizeof(where) - (size_t)len, " AND o.owner_id = $%d",
                        store__pg_text(&p, owner_id));
    if (member_id)
        snprintf(where + len, sizeof(where) - (size_t)len,
                 " AND EXISTS (SELECT 1 FROM organization_members m"
                 " WHERE m.account_id = o.account_id AND m.organization_id = o.id"
                 " AND m.customer_id = $%d)",
                 store__pg_text(&p, member_id));
    struct page_spec sp = {.from = "organizations o", .where = where, .cols = "o.id", .id = "o.id"};
    struct page_rows pg;
    enum err rc = page_run(tx, &p, &sp, pq, pr, &pg);
    if (rc)
        return rc;
    *ids = pg.n ? arena_zalloc(a, (size_t)pg.n * sizeof(**ids)) : NULL;
    for (int i = 0; i < pg.n; i++)
        (*ids)[i] = str0(a, pg.r, page_row(&pg, i), pg.col);
    *n = (size_t)pg.n;
    PQclear(pg.r);
    return ERR_OK;
}

const struct store_backend store__pg_backend = {
    .name = "postgresql",
    .blocks = true,
    .close = store__pg_close,
    .ping = store__pg_ping,
    .read = store__pg_read,
    .write = store__pg_write,
    .stats = store__pg_stats,
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
    .org_id_by_owner = org_id_by_owner,
    .org_ids_of_member = org_ids_of_member,
    .customers_props = customers_props,
    .customers_org_ids = customers_org_ids,
    .orgs_get = orgs_get,
    .org_members_add = org_members_add,
    .org_members_clear = org_members_clear,
    .org_member_remove = org_member_remove,
    .org_member_count = org_member_count,
    .org_delete = org_delete,
    .org_reaches = org_reaches,
    .org_list_ids = org_list_ids,
};
