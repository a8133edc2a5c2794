/*
 * The PostgreSQL backend's statements and the helpers every query file
 * uses: binding parameters, building array literals, running a statement
 * of the table and reading its rows (one id, one count, a list of items).
 *
 * Each primitive is one SQL statement (a primitive that touches several
 * tables uses data-modifying CTEs, so it is still one round trip),
 * prepared per connection, values always passed as parameters. Lists are
 * built per query shape (filters, sort, cursor) and run unnamed (lists.c).
 *
 * Constraints that callers turn into answers are checked with
 * ON CONFLICT DO NOTHING, which keeps the transaction usable: at READ
 * COMMITTED a conflict with a row that a concurrent transaction has not
 * committed yet waits for it, then does nothing if it committed.
 */
#include "internal.h"
#include "notify_sql.h"
#include "../../domain/integrations.h"
#include "../../core/buf.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STMTS(X)                                                                                   \
    /* Waits for a write holding the same key first (migrations.c, v2). */                         \
    X(IDEM_GET, "SELECT account_id, key, request_hash, status, body, created_at"                   \
                " FROM kinship_idem_get($1, $2)")                                                  \
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
    X(CUSTOMER_GET, "SELECT " STORE__PG_CUSTOMER_COLS " FROM customers c"                          \
                    " WHERE c.account_id = $1 AND c.id = $2")                                      \
    X(CUSTOMER_INSERT,                                                                             \
      "WITH c AS (INSERT INTO customers (account_id, id, legal_name, url, label, tax_status,"      \
      " status, line1, line2, town, state, postcode, country, integrations, created_at,"           \
      " updated_at, archived_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,"       \
      " $13, $14, $15, $16, $17)),"                                                                \
      " ct AS (INSERT INTO contacts (account_id, customer_id, " STORE__PG_CONTACT_COLS ")"         \
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
    X(CONTACT_LIST, "SELECT " STORE__PG_CONTACT_COLS " FROM contacts"                              \
                    " WHERE account_id = $1 AND customer_id = $2"                                  \
                    " AND ($3::boolean OR archived_at IS NULL) ORDER BY created_at, id")           \
    X(CONTACT_GET, "SELECT " STORE__PG_CONTACT_COLS " FROM contacts"                               \
                   " WHERE account_id = $1 AND customer_id = $2 AND id = $3")                      \
    X(CONTACT_INSERT, "INSERT INTO contacts (account_id, customer_id, " STORE__PG_CONTACT_COLS ")" \
                      " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")                              \
    X(CONTACT_UPDATE, "UPDATE contacts SET name = $4, email = $5, billing_preference = $6,"        \
                      " updated_at = $7, archived_at = $8"                                         \
                      " WHERE account_id = $1 AND customer_id = $2 AND id = $3")                   \
    X(ALIAS_INSERT, "INSERT INTO aliases"                                                          \
                    " (account_id, id, customer_id, value, label, created_at, deleted_at)"         \
                    " VALUES ($1, $2, $3, $4, $5, $6, $7)"                                         \
                    " ON CONFLICT (account_id, value) WHERE deleted_at IS NULL DO NOTHING")        \
    X(ALIAS_GET, "SELECT " STORE__PG_ALIAS_COLS " FROM aliases a"                                  \
                 " WHERE a.account_id = $1 AND a.id = $2 AND a.deleted_at IS NULL")                \
    X(ALIAS_GET_BY_VALUE, "SELECT " STORE__PG_ALIAS_COLS ", a.account_id FROM aliases a"           \
                          " WHERE md5(a.account_id || ':' || a.value) = md5($1 || ':' || $2)"      \
                          " AND a.deleted_at IS NULL")                                             \
    X(ALIAS_LIST_FOR_CUSTOMER, "SELECT " STORE__PG_ALIAS_COLS " FROM aliases a"                    \
                               " WHERE a.account_id = $1 AND a.customer_id = $2"                   \
                               " AND a.deleted_at IS NULL ORDER BY a.created_at, a.id")            \
    X(ALIAS_UPDATE, "UPDATE aliases SET label = $3, deleted_at = $4"                               \
                    " WHERE account_id = $1 AND id = $2")                                          \
    X(ORG_INSERT,                                                                                  \
      "WITH o AS (INSERT INTO organizations (account_id, id, owner_id, created_at)"                \
      " VALUES ($1, $2, $3, $4) RETURNING id),"                                                    \
      " m AS (INSERT INTO organization_members (account_id, organization_id, customer_id,"         \
      " position) SELECT $1, o.id, x.id, x.ord FROM o, (SELECT id, min(ord) AS ord"                \
      " FROM unnest($5::text[]) WITH ORDINALITY AS u(id, ord) GROUP BY id) x"                      \
      " ON CONFLICT DO NOTHING)"                                                                   \
      " SELECT 1")                                                                                 \
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
                   " SELECT EXISTS (SELECT 1 FROM r WHERE r.id = $3)")                             \
    /* The check of a client whose secret a read already knows (reads.c). */                       \
    X(CLIENT_ACTIVE, "SELECT count(*) FROM api_clients WHERE id = $1 AND revoked_at IS NULL")      \
    /* The same check in a write: fails the transaction when not active. */                        \
    X(CLIENT_MUST, "SELECT kinship_client_must_be_active($1)")                                     \
    X(CUSTOMER_WHOLE, CUSTOMER_WHOLE_SQL)                                                          \
    /* whole reads (reads.c), grouped: */                                                          \
    X(ALIAS_WHOLE, ALIAS_WHOLE_SQL)                                                                \
    X(CUSTOMER_SCOPE, CUSTOMER_SCOPE_SQL)                                                          \
    /* The write path's locks (locks.c). */                                                        \
    X(HIERARCHY_LOCK, "SELECT * FROM kinship_hierarchy_lock($1, $2, $3::text[])")                  \
    X(CUSTOMER_LOCK, "SELECT 1 FROM customers WHERE account_id = $1 AND id = $2 FOR UPDATE")       \
    X(ORG_LOCK, "SELECT 1 FROM organizations WHERE account_id = $1 AND id = $2 FOR UPDATE")        \
    /* Answer guards of the customers or organizations $2 (organizations.c) */                     \
    X(GUARD_CUSTOMERS, STORE__PG_GUARD_SQL(STORE__PG_EXTENT_SQL("unnest($2::text[]) AS u(id)",     \
                                                                STORE__PG_MINE_OF_CUSTOMERS),      \
                                           "3", "4", "5"))                                         \
    X(GUARD_ORGS, STORE__PG_GUARD_SQL(                                                             \
                      STORE__PG_EXTENT_SQL("unnest($2::text[]) AS u(id)", STORE__PG_MINE_OF_ORGS), \
                      "3", "4", "5"))

/*
 * The whole customer of store_customer_get in one statement (reads.c): one
 * row of each kind k, ordered by k and the sort keys s1, s2, s3, with the
 * columns of its reader from column 4 on, all as text (a cast to text
 * prints what the column's own output would):
 *   k = 0  the customer (STORE__PG_CUSTOMER_COLS);
 *   k = 1  its active contacts by (created_at, id) (STORE__PG_CONTACT_COLS);
 *   k = 2  its properties by key (key, value);
 *   k = 3  the organizations it is a member of, oldest first then by id,
 *          one row per member in position order: the organization's id,
 *          then the columns of store__pg_org_rows.
 */
#define WHOLE_NULLS(n) WHOLE_NULLS_##n
#define WHOLE_NULLS_9 ", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL"
#define WHOLE_NULLS_10 WHOLE_NULLS_9 ", NULL"
#define WHOLE_NULLS_14 WHOLE_NULLS_10 ", NULL, NULL, NULL, NULL"
/* clang-format off */
#define CUSTOMER_WHOLE_ROWS(cid)                                                                   \
    "SELECT 0 AS k, NULL::bigint AS s1, NULL::text COLLATE \"C\" AS s2, NULL::bigint AS s3,"       \
    " c.id, c.legal_name, c.url, c.label, c.tax_status, c.status, c.line1, c.line2, c.town,"       \
    " c.state, c.postcode, c.country, c.integrations, c.created_at::text, c.updated_at::text,"     \
    " c.archived_at::text FROM customers c WHERE c.account_id = $1 AND c.id = " cid                \
    " UNION ALL SELECT 1, created_at, id, NULL, id, name, email, billing_preference,"              \
    " created_at::text, updated_at::text, archived_at::text" WHOLE_NULLS(9) " FROM contacts"       \
    " WHERE account_id = $1 AND customer_id = " cid " AND archived_at IS NULL"                     \
    " UNION ALL SELECT 2, NULL, key, NULL, key, value" WHOLE_NULLS(14)                             \
    " FROM customer_properties WHERE account_id = $1 AND customer_id = " cid                       \
    " UNION ALL SELECT 3," STORE__PG_MEMBER_ORG_ROWS(WHOLE_NULLS(10), cid)
#define CUSTOMER_WHOLE_SQL CUSTOMER_WHOLE_ROWS("$2") " ORDER BY k, s1, s2, s3"

/*
 * The customer that has an alias, whole, in one statement (reads.c): the
 * rows of CUSTOMER_WHOLE_SQL for the alias's customer, then one of kind
 * k = 4, the alias (STORE__PG_ALIAS_COLS). The alias is looked up through
 * the hashed index (the CTE is a fence), its account and value checked on
 * the row found.
 */
#define ALIAS_WHOLE_SQL                                                                            \
    "WITH h AS MATERIALIZED (SELECT a.id, a.customer_id, a.value, a.label, a.created_at,"          \
    " a.deleted_at, a.account_id FROM aliases a"                                                   \
    " WHERE md5(a.account_id || ':' || a.value) = md5($1 || ':' || $2)"                            \
    " AND a.deleted_at IS NULL),"                                                                  \
    " al AS (SELECT * FROM h WHERE h.account_id = $1 AND h.value = $2 LIMIT 1) "                   \
    CUSTOMER_WHOLE_ROWS("(SELECT customer_id FROM al)")                                            \
    " UNION ALL SELECT 4, NULL, NULL, NULL, al.id, al.customer_id, al.value, al.label,"            \
    " al.created_at::text, al.deleted_at::text" WHOLE_NULLS(10) " FROM al"                         \
    " ORDER BY k, s1, s2, s3"
/* clang-format on */

/*
 * One customer's scope (reads.c): k = 0 its brief as CUSTOMER_BRIEFS
 * answers it for one id (ord, legal_name, archived); k = 1 all its
 * contacts by (created_at, id) (STORE__PG_CONTACT_COLS); k = 2 its live
 * aliases by (created_at, id) (STORE__PG_ALIAS_COLS). Two sort keys,
 * then the readers' columns, as text.
 */
#define CUSTOMER_SCOPE_SQL                                                                         \
    "SELECT 0 AS k, NULL::bigint AS s1, NULL::text COLLATE \"C\" AS s2, '1', c.legal_name,"        \
    " CASE WHEN c.archived_at IS NULL THEN 'f' ELSE 't' END, NULL, NULL, NULL, NULL"               \
    " FROM customers c WHERE c.account_id = $1 AND c.id = $2"                                      \
    " UNION ALL SELECT 1, created_at, id, id, name, email, billing_preference,"                    \
    " created_at::text, updated_at::text, archived_at::text FROM contacts"                         \
    " WHERE account_id = $1 AND customer_id = $2"                                                  \
    " UNION ALL SELECT 2, a.created_at, a.id, a.id, a.customer_id, a.value, a.label,"              \
    " a.created_at::text, a.deleted_at::text, NULL FROM aliases a"                                 \
    " WHERE a.account_id = $1 AND a.customer_id = $2 AND a.deleted_at IS NULL"                     \
    " ORDER BY k, s1, s2"

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
    " ct AS (INSERT INTO contacts (account_id, customer_id, " STORE__PG_CONTACT_COLS ")"           \
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
 * index lookup whatever the statistics say.
 *
 * Lookups by Idempotency-Key, alias value and owner go through the hashed
 * *_lookup indexes (see migrations.c). Their WHERE clauses hold no plain
 * condition on the columns of another index, so no other index can serve
 * them; account and value are checked on the rows returned (match_row).
 * In org_reaches the hash of account and owner id alone picks the rows:
 * owner ids are server-made UUIDs, so no two differ only by a collision.
 */
static const struct store__pg_stmt stmts[] = {
#define X(name, sql) [PG_ST_##name] = {PG_ST_##name, "kinship_" #name, sql},
    STMTS(X) STORE__PG_NOTIFY_STMTS(X)
#undef X
};

/* Every statement of the enum has its SQL here, once. */
#define ONE(name, sql) +1
_Static_assert((0 STMTS(ONE) STORE__PG_NOTIFY_STMTS(ONE)) == PG_ST__COUNT,
               "a statement without SQL");
#undef ONE
_Static_assert(PG_ST__COUNT <= STORE__PG_STMT_MAX, "prepared statements do not fit the bit set");

const struct store__pg_stmt *store__pg_stmt(enum store__pg_st st)
{
    return &stmts[st];
}

bool store__pg_whole(int idx)
{
    switch (idx) {
    case PG_ST_CLIENT_GET:
    case PG_ST_CLIENT_ACTIVE:
    case PG_ST_CUSTOMER_WHOLE:
    case PG_ST_ALIAS_WHOLE:
    case PG_ST_CUSTOMER_SCOPE:
    case PG_ST_ORG_GET:
    case PG_ST_PROPERTY_KEYS:
        return true;
    default:
        return false;
    }
}

/* ---- parameters ---- */

static int param(struct store__pg_params *p, const char *v, int len, int fmt)
{
    assert(p->n < STORE__PG_PARAMS_MAX);
    p->v[p->n] = v;
    p->len[p->n] = len;
    p->fmt[p->n] = fmt;
    return ++p->n;
}

int store__pg_text(struct store__pg_params *p, const char *s)
{
    return param(p, s, 0, 0);
}

void store__pg_text_n(struct store__pg_params *p, const char *const *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        param(p, s[i], 0, 0);
}

int store__pg_i64(struct store__pg_params *p, int64_t v)
{
    assert(p->n < STORE__PG_PARAMS_MAX);
    snprintf(p->num[p->n], sizeof(p->num[0]), "%lld", (long long)v);
    return param(p, p->num[p->n], 0, 0);
}

int store__pg_ts(struct store__pg_params *p, int64_t v)
{
    return v ? store__pg_i64(p, v) : param(p, NULL, 0, 0);
}

int store__pg_bool(struct store__pg_params *p, bool v)
{
    return param(p, v ? "true" : "false", 0, 0);
}

int store__pg_bin(struct store__pg_params *p, const void *b, int n)
{
    return param(p, b, n, 1);
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

const char *store__pg_ids_array(struct store_tx *tx, const char *const *ids, size_t n)
{
    struct array x;
    array_start(&x);
    for (size_t i = 0; i < n; i++)
        array_str(&x, ids[i]);
    return array_end(tx, &x);
}

void store__pg_contact_arrays(struct store_tx *tx, const struct contact *cs, size_t n,
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

void store__pg_prop_arrays(struct store_tx *tx, const struct property *ps, size_t n,
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

/* ---- columns ---- */

const char *store__pg_str(struct arena *a, const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : arena_strdup(a, PQgetvalue(r, row, col));
}

const char *store__pg_str0(struct arena *a, const PGresult *r, int row, int col)
{
    return arena_strdup(a, PQgetvalue(r, row, col));
}

int64_t store__pg_num(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? 0 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

bool store__pg_flag(const PGresult *r, int row, int col)
{
    return PQgetvalue(r, row, col)[0] == 't';
}

void store__pg_id_copy(char out[ID_LEN + 1], const PGresult *r, int row, int col)
{
    snprintf(out, ID_LEN + 1, "%s", PQgetvalue(r, row, col));
}

/* The first row whose column `kcol` is `key` and account_id `account`
 * (the check behind the hashed *_lookup indexes); -1 when none. */
static int match_row(const PGresult *r, const char *account, const char *kcol, const char *key)
{
    int acol = PQfnumber(r, "account_id"), col = PQfnumber(r, kcol);
    for (int i = 0; acol >= 0 && col >= 0 && i < PQntuples(r); i++)
        if (strcmp(PQgetvalue(r, i, acol), account) == 0 && strcmp(PQgetvalue(r, i, col), key) == 0)
            return i;
    return -1;
}

/* The end of the run of rows from `row` on with the same column 0. */
static int same_key_end(const PGresult *r, int row)
{
    const char *key = PQgetvalue(r, row, 0);
    int end = row + 1;
    while (end < PQntuples(r) && strcmp(PQgetvalue(r, end, 0), key) == 0)
        end++;
    return end;
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

bool store__pg_bytes(const PGresult *r, int row, int col, uint8_t *out, size_t n)
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

/* ---- rows to structs ---- */

/* created_at, updated_at and archived_at, from column `col` on. */
static void times(const PGresult *r, int row, int col, int64_t *created, int64_t *updated,
                  int64_t *archived)
{
    *created = store__pg_num(r, row, col);
    *updated = store__pg_num(r, row, col + 1);
    *archived = store__pg_num(r, row, col + 2);
}

void store__pg_customer_row(struct arena *a, const PGresult *r, int row, int col, const void *ctx,
                            void *item)
{
    struct customer *c = item;
    /* an unknown code reads as the default */
    if (!tax_status_parse(PQgetvalue(r, row, col + 4), &c->tax_status))
        c->tax_status = TAX_TAXED;
    if (!customer_status_parse(PQgetvalue(r, row, col + 5), &c->status))
        c->status = CUSTOMER_ACTIVE;
    store__pg_id_copy(c->id, r, row, col);
    c->legal_name = store__pg_str0(a, r, row, col + 1);
    c->url = store__pg_str(a, r, row, col + 2);
    c->label = store__pg_str(a, r, row, col + 3);
    c->address.line1 = store__pg_str(a, r, row, col + 6);
    c->address.line2 = store__pg_str(a, r, row, col + 7);
    c->address.town = store__pg_str(a, r, row, col + 8);
    c->address.state = store__pg_str(a, r, row, col + 9);
    c->address.postcode = store__pg_str(a, r, row, col + 10);
    c->address.country = store__pg_str(a, r, row, col + 11);
    integrations_decode(a, PQgetisnull(r, row, col + 12) ? NULL : PQgetvalue(r, row, col + 12), c);
    times(r, row, col + 13, &c->created_at, &c->updated_at, &c->archived_at);
}

void store__pg_contact_row(struct arena *a, const PGresult *r, int row, int col, const void *ctx,
                           void *item)
{
    struct contact *c = item;
    store__pg_id_copy(c->id, r, row, col);
    c->name = store__pg_str(a, r, row, col + 1);
    c->email = store__pg_str(a, r, row, col + 2);
    if (!billing_pref_parse(PQgetvalue(r, row, col + 3), &c->pref))
        c->pref = BILLING_STANDARD;
    times(r, row, col + 4, &c->created_at, &c->updated_at, &c->archived_at);
}

void store__pg_alias_row(struct arena *a, const PGresult *r, int row, int col, const void *ctx,
                         void *item)
{
    struct alias *al = item;
    store__pg_id_copy(al->id, r, row, col);
    snprintf(al->account_id, sizeof(al->account_id), "%s", (const char *)ctx);
    store__pg_id_copy(al->customer_id, r, row, col + 1);
    al->value = store__pg_str0(a, r, row, col + 2);
    al->label = store__pg_str(a, r, row, col + 3);
    al->created_at = store__pg_num(r, row, col + 4);
    al->deleted_at = store__pg_num(r, row, col + 5);
}

void store__pg_string_row(struct arena *a, const PGresult *r, int row, int col, const void *ctx,
                          void *item)
{
    *(const char **)item = store__pg_str0(a, r, row, col);
}

void store__pg_id_row(struct arena *a, const PGresult *r, int row, int col, const void *ctx,
                      void *item)
{
    store__pg_id_copy(item, r, row, col);
}

void store__pg_property_row(struct arena *a, const PGresult *r, int row, int col, const void *ctx,
                            void *item)
{
    struct property *pr = item;
    pr->key = store__pg_str0(a, r, row, col);
    pr->value = store__pg_str0(a, r, row, col + 1);
}

void *store__pg_items(struct arena *a, const PGresult *r, int first, size_t n, int col,
                      store__pg_reader *read, const void *ctx, size_t size)
{
    if (!n)
        return NULL;
    unsigned char *items = arena_zalloc(a, n * size);
    for (size_t i = 0; i < n; i++)
        read(a, r, first + (int)i, col, ctx, items + i * size);
    return items;
}

/* ---- running statements ---- */

PGresult *store__pg_query(struct store_tx *tx, enum store__pg_st st,
                          const struct store__pg_params *p, enum err *rc)
{
    struct store__pg_tx *t = store__pg_tx_of(tx);
    PGresult *r = t->ahead ? store__pg_ahead_take(t, st, p) : NULL;
    if (r) {
        *rc = ERR_OK;
        return r;
    }
    /* a read that starts by checking one customer (reads.c) */
    if (st == PG_ST_CUSTOMER_BRIEFS && store__pg_read_first(tx) &&
        (r = store__pg_customer_scope(tx, p, rc)))
        return r;
    return store__pg_run(t, &stmts[st], NULL, p, rc);
}

/* Runs `st` and reads its number into *n (when not NULL): the rows it
 * changed (`affected`), or else the count in its first column. */
static enum err number(struct store_tx *tx, enum store__pg_st st, const struct store__pg_params *p,
                       bool affected, int64_t *n)
{
    enum err rc;
    if (affected)
        store__pg_ahead_forget(store__pg_tx_of(tx)); /* a write: what was read ahead may change */
    PGresult *r = store__pg_query(tx, st, p, &rc);
    if (!r)
        return rc;
    if (n)
        *n = affected ? strtoll(PQcmdTuples(r), NULL, 10) : store__pg_num(r, 0, 0);
    PQclear(r);
    return ERR_OK;
}

/* number(), answering `none` when it is 0. */
static enum err number_hit(struct store_tx *tx, enum store__pg_st st,
                           const struct store__pg_params *p, bool affected, enum err none)
{
    int64_t n = 0;
    enum err rc = number(tx, st, p, affected, &n);
    return rc ? rc : n ? ERR_OK : none;
}

enum err store__pg_exec(struct store_tx *tx, enum store__pg_st st, const struct store__pg_params *p,
                        int64_t *affected)
{
    return number(tx, st, p, true, affected);
}

enum err store__pg_exec_hit(struct store_tx *tx, enum store__pg_st st,
                            const struct store__pg_params *p, enum err none)
{
    return number_hit(tx, st, p, true, none);
}

enum err store__pg_count(struct store_tx *tx, enum store__pg_st st,
                         const struct store__pg_params *p, int64_t *n)
{
    return number(tx, st, p, false, n);
}

enum err store__pg_count_hit(struct store_tx *tx, enum store__pg_st st,
                             const struct store__pg_params *p, enum err none)
{
    return number_hit(tx, st, p, false, none);
}

enum err store__pg_rows(struct store_tx *tx, struct arena *a, enum store__pg_st st,
                        const struct store__pg_params *p, store__pg_reader *read, const void *ctx,
                        size_t size, void *out, size_t *n)
{
    enum err rc;
    PGresult *r = store__pg_query(tx, st, p, &rc);
    if (!r)
        return rc;
    *n = (size_t)PQntuples(r);
    void *items = store__pg_items(a, r, 0, *n, 0, read, ctx, size);
    memcpy(out, &items, sizeof(items));
    PQclear(r);
    return ERR_OK;
}

enum err store__pg_row(struct store_tx *tx, struct arena *a, enum store__pg_st st,
                       const struct store__pg_params *p, const struct store__pg_match *m,
                       store__pg_reader *read, const void *ctx, void *item)
{
    enum err rc;
    PGresult *r = store__pg_query(tx, st, p, &rc);
    if (!r)
        return rc;
    int row = m ? match_row(r, m->account, m->col, m->key) : PQntuples(r) ? 0 : -1;
    if (row < 0)
        rc = ERR_NOT_FOUND;
    else
        read(a, r, row, 0, ctx, item);
    PQclear(r);
    return rc;
}

/* Runs `st` with the account ($1) and the array of ids[0..n) ($2). */
static PGresult *query_ids(struct store_tx *tx, enum store__pg_st st, const char *account,
                           const char *const *ids, size_t n, enum err *rc)
{
    struct store__pg_params p = {0};
    store__pg_texts(&p, account, store__pg_ids_array(tx, ids, n));
    return store__pg_query(tx, st, &p, rc);
}

enum err store__pg_query_ords(struct store_tx *tx, struct arena *a, enum store__pg_st st,
                              const char *account, const char *const *ids, size_t n,
                              const size_t *pos, store__pg_reader *read, void *items, size_t size)
{
    enum err rc;
    PGresult *r = query_ids(tx, st, account, ids, n, &rc);
    if (!r)
        return rc;
    for (int i = 0; i < PQntuples(r); i++) {
        int64_t ord = store__pg_num(r, i, 0);
        if (ord >= 1 && (size_t)ord <= n)
            read(a, r, i, 1, NULL, (unsigned char *)items + pos[ord - 1] * size);
    }
    PQclear(r);
    return ERR_OK;
}

PGresult *store__pg_query_groups(struct store_tx *tx, struct arena *a, enum store__pg_st st,
                                 const char *account, const char *const *ids, size_t n, int **first,
                                 int **count, enum err *rc)
{
    PGresult *r = query_ids(tx, st, account, ids, n, rc);
    if (!r)
        return NULL;
    *first = arena_zalloc(a, (n ? n : 1) * sizeof(**first));
    *count = arena_zalloc(a, (n ? n : 1) * sizeof(**count));
    for (int row = 0, end; row < PQntuples(r); row = end) {
        end = same_key_end(r, row);
        const char *key = PQgetvalue(r, row, 0);
        for (size_t k = 0; k < n; k++)
            if (strcmp(ids[k], key) == 0) {
                (*first)[k] = row;
                (*count)[k] = end - row;
                break;
            }
    }
    return r;
}
