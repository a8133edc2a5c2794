/*
 * The PostgreSQL backend's keyset pages: customers, aliases and
 * organizations. paging.h plans a page (which comparisons, which scan
 * order, the page flags); page_run writes the plan as one statement that
 * returns the total, a probe for rows on the other side of the cursor and
 * the page's rows.
 */
#include "internal.h"
#include "notify_sql.h"
#include "../paging.h"
#include "../../core/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * One page of a list, in one statement: the total, a probe for rows on the
 * other side of the cursor, and limit + 1 rows from the cursor on (the
 * extra row tells whether more follow). With a `before` cursor the rows
 * are fetched backwards, nearest the cursor first, and reversed here.
 */
struct page_spec {
    const char *from;  /* "customers c" */
    const char *where; /* filters, with parameters already in p */
    const char *cols;  /* selected columns, the id first (named id) */
    const char *key;   /* sort key expression; NULL: the id alone */
    bool key_int;      /* the key is a bigint (cursor keys are decimal) */
    const char *id;    /* the id column, "c.id" */
    /* reads the columns `cols` of a row into an item of `size` bytes */
    store__pg_reader *read;
    const void *ctx;
    size_t size;
    /* With `detail`: a LATERAL subquery on the page's row p, columns of its
     * own, joined to each row and ordered by `detail_order` after the
     * page's order, so that each item comes as a run of rows; `ahead`
     * then leaves what the runs answer for the calls that follow
     * (reads.c). Rows of items at[0..n), item i from row at[i] to at[i + 1],
     * in the order fetched. The account is $1. */
    const char *detail, *detail_order;
    void (*ahead)(struct store_tx *tx, const PGresult *r, const int *at, size_t n, bool reversed,
                  const char *account);
    const char *account;
};

/* The page is all a read sends: its one statement is its snapshot, with
 * no BEGIN (and no ROLLBACK). */
static void whole_read(struct store_tx *tx)
{
    struct store__pg_tx *t = store__pg_tx_of(tx);
    if (store__pg_read_first(tx))
        t->begin = NULL;
}

/* Appends "(key, id) op (cursor key, cursor id)". */
static void cursor_cmp(struct buf *b, const struct page_spec *sp, enum page_cmp cmp, int k, int i)
{
    const char *op = page_cmp_sql(cmp);
    if (sp->key)
        buf_printf(b, "(%s, %s) %s ($%d%s, $%d)", sp->key, sp->id, op, k,
                   sp->key_int ? "::bigint" : "::text COLLATE \"C\"", i);
    else
        buf_printf(b, "%s %s $%d", sp->id, op, i);
}

/* The page's n items (rows at[0..n) of `r`) read with `read` from column
 * `col` on, in page order: rows fetched backwards are reversed. */
static void *page_items(struct arena *a, const PGresult *r, const int *at, size_t n, bool reversed,
                        int col, store__pg_reader *read, const void *ctx, size_t size)
{
    if (!n)
        return NULL;
    unsigned char *items = arena_zalloc(a, n * size);
    for (size_t i = 0; i < n; i++)
        read(a, r, at[i], col, ctx, items + i * size);
    if (reversed)
        store__reverse(items, n, size);
    return items;
}

/* The parameters of a keyset: the cursor's, when there is one, and the
 * number of rows, `rows`. */
struct keyset {
    int k, i, lim;
};

static enum err keyset_params(struct store__pg_params *p, const struct page_spec *sp,
                              const struct page_query *pq, int64_t rows, struct keyset *ks)
{
    ks->k = ks->i = 0;
    if (pq->has_cursor) {
        int64_t v;
        /* a NULL key is "" (text) or 0 (numbers) */
        const char *ck = pq->cursor_key ? pq->cursor_key : sp->key_int ? "0" : "";
        if (sp->key && sp->key_int && !store__parse_i64(ck, &v))
            return ERR_CURSOR_INVALID;
        if (sp->key)
            ks->k = store__pg_text(p, ck);
        ks->i = store__pg_text(p, pq->cursor_id);
    }
    ks->lim = store__pg_i64(p, rows);
    return ERR_OK;
}

/* " FROM ... LIMIT $n": the keyset's rows from the cursor on, in the order
 * fetched (the page's columns go before it). */
static void keyset_scan(struct buf *b, const struct page_spec *sp, const struct page_plan *plan,
                        const struct page_query *pq, const struct keyset *ks)
{
    const char *dir = plan->scan_desc ? "DESC" : "ASC";
    buf_printf(b, " FROM %s WHERE %s", sp->from, sp->where);
    if (pq->has_cursor) {
        buf_puts(b, " AND ");
        cursor_cmp(b, sp, plan->page_cmp, ks->k, ks->i);
    }
    buf_puts(b, " ORDER BY ");
    if (sp->key)
        buf_printf(b, "%s %s, ", sp->key, dir);
    buf_printf(b, "%s %s LIMIT $%d", sp->id, dir, ks->lim);
}

/*
 * Queues the answer guard of the page `sp` (engine.c, store__pg_guard_later):
 * the extent of the page's items, the very rows page_run will show (the
 * same keyset, without its extra row), held to `limit`. `mine` is
 * STORE__PG_MINE_OF_CUSTOMERS or _ORGS.
 */
static enum err page_guard(struct store_tx *tx, struct store__pg_params *p,
                           const struct page_spec *sp, const struct page_query *pq,
                           const char *mine, int64_t limit)
{
    struct page_plan plan;
    page_plan_make(pq, &plan);
    struct keyset ks;
    enum err rc = keyset_params(p, sp, pq, plan.limit, &ks);
    if (rc)
        return rc;
    int l = p->n + 1;
    store__pg_guard_params(p, limit);
    struct buf src, b;
    buf_init(&src, 1 << 20);
    buf_printf(&src, "(SELECT %s AS id", sp->id);
    keyset_scan(&src, sp, &plan, pq, &ks);
    buf_puts(&src, ") AS u(id)");
    buf_init(&b, 1 << 20);
    buf_printf(&b, STORE__PG_GUARD_SQL(STORE__PG_EXTENT_SQL("%s", "%s"), "%d", "%d", "%d"), l,
               l + 1, l + 2, src.data, mine);
    rc = store__pg_guard_later(tx, PG_ST__COUNT, b.data, p);
    buf_fini(&src);
    buf_fini(&b);
    return rc;
}

/* Runs the page and reads its rows into *(T **)out and *n, and with `keys`
 * their sort keys. */
static enum err page_run(struct store_tx *tx, struct arena *a, struct store__pg_params *p,
                         const struct page_spec *sp, const struct page_query *pq,
                         struct page_result *pr, void *out, size_t *n, const char ***keys)
{
    struct page_plan plan;
    page_plan_make(pq, &plan);
    if (sp->detail)
        whole_read(tx);
    const char *dir = plan.scan_desc ? "DESC" : "ASC";
    struct keyset ks;
    enum err rc = keyset_params(p, sp, pq, plan.limit + 1, &ks);
    if (rc)
        return rc;

    struct buf b;
    buf_init(&b, 1 << 20);
    buf_printf(&b,
               "SELECT t.total, t.probe, p.*%s FROM (SELECT (SELECT count(*) FROM %s WHERE %s)"
               " AS total, ",
               sp->detail ? ", d.*" : "", sp->from, sp->where);
    if (pq->has_cursor) {
        buf_printf(&b, "EXISTS (SELECT 1 FROM %s WHERE %s AND ", sp->from, sp->where);
        cursor_cmp(&b, sp, plan.probe_cmp, ks.k, ks.i);
        buf_puts(&b, ")");
    } else {
        buf_puts(&b, "false");
    }
    buf_printf(&b, " AS probe) t LEFT JOIN LATERAL (SELECT %s", sp->cols);
    if (sp->key)
        buf_printf(&b, ", %s AS sort_key", sp->key);
    keyset_scan(&b, sp, &plan, pq, &ks);
    buf_puts(&b, ") p ON true");
    if (sp->detail)
        buf_printf(&b, " LEFT JOIN LATERAL (%s) d ON true", sp->detail);
    buf_puts(&b, " ORDER BY ");
    if (sp->key)
        buf_printf(&b, "p.sort_key%s %s, ", sp->key_int ? "" : " COLLATE \"C\"", dir);
    buf_printf(&b, "p.id %s", dir);
    if (sp->detail)
        buf_printf(&b, ", %s", sp->detail_order);

    PGresult *r = store__pg_run(store__pg_tx_of(tx), NULL, b.data, p, &rc);
    buf_fini(&b);
    if (!r)
        return rc;

    int rows = PQntuples(r);
    if (rows == 1 && PQgetisnull(r, 0, 2))
        rows = 0; /* an empty page: only the totals */
    bool probe = PQntuples(r) > 0 && store__pg_flag(r, 0, 1);
    pr->total = PQntuples(r) > 0 ? store__pg_num(r, 0, 0) : 0;
    /* each item's first row (its run's, with a detail) */
    int *at = arena_alloc(store__pg_scratch(store__pg_tx_of(tx)), (size_t)(rows + 1) * sizeof(int));
    size_t items_n = 0;
    for (int row = 0; row < rows; row++)
        if (!sp->detail || row == 0 || strcmp(PQgetvalue(r, row, 2), PQgetvalue(r, row - 1, 2)))
            at[items_n++] = row;
    at[items_n] = rows;
    *n = page_plan_finish(&plan, items_n, probe, pr);
    /* the rows start with total and probe; the sort key follows `cols` */
    void *items = page_items(a, r, at, *n, plan.reversed, 2, sp->read, sp->ctx, sp->size);
    memcpy(out, &items, sizeof(items));
    if (keys)
        *keys = page_items(a, r, at, *n, plan.reversed, PQfnumber(r, "sort_key"),
                           store__pg_string_row, NULL, sizeof(**keys));
    if (sp->ahead)
        sp->ahead(tx, r, at, *n, plan.reversed, sp->account);
    PQclear(r);
    return ERR_OK;
}

/* ---- whole pages: what store.c reads after the rows ---- */

/*
 * An organization's rows as PG_ST_ORG_GET answers them (the owner, its
 * created_at and name, then each member and name, by position), for the
 * organization p.id.
 */
#define ORG_DETAIL                                                                                 \
    "SELECT o.owner_id AS d1, o.created_at::text AS d2, (SELECT legal_name FROM customers"         \
    " WHERE account_id = $1 AND id = o.owner_id) AS d3, m.customer_id AS d4,"                      \
    " (SELECT legal_name FROM customers WHERE account_id = $1 AND id = m.customer_id) AS d5,"      \
    " m.position AS dpos FROM organizations o LEFT JOIN LATERAL (SELECT customer_id, position"     \
    " FROM organization_members WHERE account_id = $1 AND organization_id = o.id OFFSET 0) m"      \
    " ON true WHERE o.account_id = $1 AND o.id = p.id OFFSET 0"

/* ORG_GET's answer for each organization of the page. */
static void orgs_ahead(struct store_tx *tx, const PGresult *r, const int *at, size_t n,
                       bool reversed, const char *account)
{
    (void)reversed;
    struct store__pg_tx *t = store__pg_tx_of(tx);
    int d1 = PQfnumber(r, "d1");
    const int cols[] = {d1, d1 + 1, d1 + 2, d1 + 3, d1 + 4};
    int *rows = arena_alloc(store__pg_scratch(t), ((size_t)at[n] + 1) * sizeof(int));
    for (int row = 0; row < at[n]; row++)
        rows[row] = row;
    for (size_t i = 0; i < n; i++) {
        struct store__pg_params p = {0};
        store__pg_texts(&p, account, PQgetvalue(r, at[i], 2));
        store__pg_ahead_put(t, PG_ST_ORG_GET, &p, r, rows + at[i], at[i + 1] - at[i], cols, 5);
    }
}

/*
 * A customer's properties (kind 1, by key: key, value) and the
 * organizations it is a member of (kind 2, as ORGS_GET's rows: the id,
 * owner, created_at, owner's name, member, member's name; oldest first,
 * then by id, members by position), for the customer p.id.
 */
#define CUSTOMER_DETAIL                                                                            \
    "SELECT 1 AS dk, NULL::bigint AS ds1, key COLLATE \"C\" AS ds2, NULL::bigint AS ds3,"          \
    " key AS d1, value AS d2, NULL AS d3, NULL AS d4, NULL AS d5, NULL AS d6"                      \
    " FROM customer_properties WHERE account_id = $1 AND customer_id = p.id"                       \
    " UNION ALL SELECT 2," STORE__PG_MEMBER_ORG_ROWS("", "p.id")

/*
 * The answers of store_customer_list's calls after the rows: CUSTOMERS_PROPS
 * and CUSTOMERS_ORG_IDS of the page's ids in page order, and ORGS_GET of
 * the organizations they name, each once, in the order store.c asks
 * (customers in page order, each one's as CUSTOMERS_ORG_IDS gave them).
 */
static void customers_ahead(struct store_tx *tx, const PGresult *r, const int *at, size_t n,
                            bool reversed, const char *account)
{
    struct store__pg_tx *t = store__pg_tx_of(tx);
    struct arena *a = store__pg_scratch(t);
    int dk = PQfnumber(r, "dk"), d1 = PQfnumber(r, "d1");
    size_t rows = (size_t)at[n] + 1;
    const char **ids = arena_alloc(a, (n + 1) * sizeof(*ids));
    const char **want = arena_alloc(a, rows * sizeof(*want));
    int *props = arena_alloc(a, rows * sizeof(int)), *org_ids = arena_alloc(a, rows * sizeof(int));
    int *org_rows = arena_alloc(a, rows * sizeof(int));
    int n_props = 0, n_org_ids = 0, n_org_rows = 0;
    size_t n_want = 0;
    for (size_t k = 0; k < n; k++) {
        size_t i = reversed ? n - 1 - k : k;
        ids[k] = PQgetvalue(r, at[i], 2);
        for (int row = at[i]; row < at[i + 1]; row++) {
            if (PQgetisnull(r, row, dk))
                continue;
            if (atoi(PQgetvalue(r, row, dk)) == 1) {
                props[n_props++] = row;
                continue;
            }
            const char *org = PQgetvalue(r, row, d1);
            if (row > at[i] && !PQgetisnull(r, row - 1, d1) &&
                strcmp(PQgetvalue(r, row - 1, d1), org) == 0)
                continue; /* the run of an organization already counted */
            org_ids[n_org_ids++] = row;
            size_t j = 0;
            while (j < n_want && strcmp(want[j], org) != 0)
                j++;
            if (j < n_want)
                continue;
            want[n_want++] = org;
            for (int m = row; m < at[i + 1] && strcmp(PQgetvalue(r, m, d1), org) == 0; m++)
                org_rows[n_org_rows++] = m;
        }
    }
    struct store__pg_params p = {0};
    store__pg_texts(&p, account, store__pg_ids_array(tx, ids, n));
    const int prop_cols[] = {2, d1, d1 + 1},
              org_cols[] = {d1, d1 + 1, d1 + 2, d1 + 3, d1 + 4, d1 + 5};
    store__pg_ahead_put(t, PG_ST_CUSTOMERS_PROPS, &p, r, props, n_props, prop_cols, 3);
    store__pg_ahead_put(t, PG_ST_CUSTOMERS_ORG_IDS, &p, r, org_ids, n_org_ids, prop_cols, 2);
    struct store__pg_params op = {0};
    store__pg_texts(&op, account, store__pg_ids_array(tx, want, n_want));
    store__pg_ahead_put(t, PG_ST_ORGS_GET, &op, r, org_rows, n_org_rows, org_cols, 6);
}

/* A substring pattern for ILIKE, in the transaction's scratch arena. */
static const char *like(struct store_tx *tx, const char *s)
{
    return store__like_pattern(store__pg_scratch(store__pg_tx_of(tx)), s);
}

/* The page of customers q asks for, its filters' parameters in p, its
 * WHERE clause in w (to free) and its sort key in key. */
static void customer_spec(struct store_tx *tx, const char *account, const struct customer_query *q,
                          struct store__pg_params *p, struct buf *w, char key[512],
                          struct page_spec *sp)
{
    buf_init(w, 8192);
    buf_printf(w, "c.account_id = $%d", store__pg_text(p, account));
    if (!q->include_archived)
        buf_puts(w, " AND c.archived_at IS NULL");
    if (q->legal_name)
        buf_printf(w, " AND c.legal_name ILIKE $%d", store__pg_text(p, like(tx, q->legal_name)));
    if (q->label)
        buf_printf(w, " AND c.label ILIKE $%d", store__pg_text(p, like(tx, q->label)));
    if (q->email)
        buf_printf(w,
                   " AND EXISTS (SELECT 1 FROM contacts ct WHERE ct.account_id = c.account_id"
                   " AND ct.customer_id = c.id AND ct.archived_at IS NULL"
                   " AND lower(ct.email) = lower($%d::text COLLATE \"C\"))",
                   store__pg_text(p, q->email));
    if (q->alias)
        buf_printf(w,
                   " AND EXISTS (SELECT 1 FROM aliases al WHERE al.account_id = c.account_id"
                   " AND al.customer_id = c.id AND al.deleted_at IS NULL AND al.value = $%d)",
                   store__pg_text(p, q->alias));

    *sp = (struct page_spec){.from = "customers c",
                             .where = w->data,
                             .cols = STORE__PG_CUSTOMER_COLS,
                             .id = "c.id",
                             .read = store__pg_customer_row,
                             .size = sizeof(struct customer),
                             .detail = CUSTOMER_DETAIL,
                             .detail_order = "d.dk, d.ds1, d.ds2, d.ds3",
                             .ahead = customers_ahead,
                             .account = account};
    enum customer_sort sort = q->sort;
    if (sort == SORT_PROPERTY && !q->sort_property)
        sort = SORT_CREATED_AT;
    switch (sort) {
    case SORT_CREATED_AT:
    default:
        sp->key = "c.created_at";
        sp->key_int = true;
        break;
    case SORT_LEGAL_NAME:
        sp->key = "c.legal_name COLLATE \"C\"";
        break;
    case SORT_LABEL:
        sp->key = "coalesce(c.label, '') COLLATE \"C\"";
        break;
    case SORT_PROPERTY:
        snprintf(key, 512,
                 "coalesce((SELECT cp.value FROM customer_properties cp"
                 " WHERE cp.account_id = c.account_id AND cp.customer_id = c.id"
                 " AND cp.key = $%d), '') COLLATE \"C\"",
                 store__pg_text(p, q->sort_property));
        sp->key = key;
        break;
    }
}

enum err store__pg_customer_list_rows(struct store_tx *tx, struct arena *a, const char *account,
                                      const struct customer_query *q, struct customer **items,
                                      const char ***keys, size_t *n, struct page_result *pr)
{
    struct store__pg_params p = {0};
    struct buf w;
    char key[512];
    struct page_spec sp;
    customer_spec(tx, account, q, &p, &w, key, &sp);
    enum err rc = page_run(tx, a, &p, &sp, &q->page, pr, items, n, keys);
    buf_fini(&w);
    return rc;
}

enum err store__pg_customer_list_extent(struct store_tx *tx, const char *account,
                                        const struct customer_query *q, struct org_extent *out)
{
    struct store__pg_params p = {0};
    struct buf w;
    char key[512];
    struct page_spec sp;
    customer_spec(tx, account, q, &p, &w, key, &sp);
    enum err rc = page_guard(tx, &p, &sp, &q->page, STORE__PG_MINE_OF_CUSTOMERS, out->limit);
    buf_fini(&w);
    return rc;
}

enum err store__pg_alias_list(struct store_tx *tx, struct arena *a, const char *account,
                              const char *value, const struct page_query *pq, struct alias **out,
                              size_t *n, struct page_result *pr)
{
    whole_read(tx);
    struct store__pg_params p = {0};
    char where[128];
    int acc = store__pg_text(&p, account);
    if (value)
        snprintf(where, sizeof(where),
                 "a.account_id = $%d AND a.deleted_at IS NULL AND a.value = $%d", acc,
                 store__pg_text(&p, value));
    else
        snprintf(where, sizeof(where), "a.account_id = $%d AND a.deleted_at IS NULL", acc);
    struct page_spec sp = {.from = "aliases a",
                           .where = where,
                           .cols = STORE__PG_ALIAS_COLS,
                           .id = "a.id",
                           .read = store__pg_alias_row,
                           .ctx = account,
                           .size = sizeof(**out)};
    return page_run(tx, a, &p, &sp, pq, pr, out, n, NULL);
}

/* The page of organizations by owner and member, its parameters in p and
 * its WHERE clause in `where`. */
static void org_spec(const char *account, const char *owner_id, const char *member_id,
                     struct store__pg_params *p, char where[512], struct page_spec *sp)
{
    int len = snprintf(where, 512, "o.account_id = $%d", store__pg_text(p, account));
    if (owner_id)
        len += snprintf(where + len, 512 - (size_t)len, " AND o.owner_id = $%d",
                        store__pg_text(p, owner_id));
    if (member_id)
        snprintf(where + len, 512 - (size_t)len,
                 " AND EXISTS (SELECT 1 FROM organization_members m"
                 " WHERE m.account_id = o.account_id AND m.organization_id = o.id"
                 " AND m.customer_id = $%d)",
                 store__pg_text(p, member_id));
    *sp = (struct page_spec){.from = "organizations o",
                             .where = where,
                             .cols = "o.id",
                             .id = "o.id",
                             .read = store__pg_string_row,
                             .size = sizeof(const char *),
                             .detail = ORG_DETAIL,
                             .detail_order = "d.dpos",
                             .ahead = orgs_ahead,
                             .account = account};
}

enum err store__pg_org_list_ids(struct store_tx *tx, struct arena *a, const char *account,
                                const char *owner_id, const char *member_id,
                                const struct page_query *pq, const char ***ids, size_t *n,
                                struct page_result *pr)
{
    struct store__pg_params p = {0};
    char where[512];
    struct page_spec sp;
    org_spec(account, owner_id, member_id, &p, where, &sp);
    return page_run(tx, a, &p, &sp, pq, pr, ids, n, NULL);
}

/* ---- notification policies and the activity log ---- */

enum err store__pg_policy_list(struct store_tx *tx, struct arena *a, const char *account,
                               const char *type, const struct page_query *pq,
                               struct notification_policy **out, size_t *n, struct page_result *pr)
{
    whole_read(tx);
    struct store__pg_params p = {0};
    char where[160];
    int len = snprintf(where, sizeof(where), "account_id = $%d", store__pg_text(&p, account));
    if (type) /* kinship's types go to no policy of every type */
        snprintf(where + len, sizeof(where) - (size_t)len, " AND (%sstrpos(types, $%d) > 0)",
                 notification_type_is_kinship(type) ? "" : "types IS NULL OR ",
                 store__pg_text(&p, arena_printf(a, ",%s,", type)));
    struct page_spec sp = {.from = "notification_policies",
                           .where = where,
                           .cols = STORE__PG_POLICY_COLS,
                           .id = "id",
                           .read = store__pg_policy_row,
                           .ctx = account,
                           .size = sizeof(**out)};
    return page_run(tx, a, &p, &sp, pq, pr, out, n, NULL);
}

enum err store__pg_activity_list(struct store_tx *tx, struct arena *a, const char *account,
                                 const struct activity_query *q, struct activity_entry **out,
                                 size_t *n, struct page_result *pr)
{
    whole_read(tx);
    struct store__pg_params p = {0};
    char where[160];
    int len = snprintf(where, sizeof(where), "account_id = $%d", store__pg_text(&p, account));
    if (q->object_id)
        len += snprintf(where + len, sizeof(where) - (size_t)len, " AND object_id = $%d",
                        store__pg_text(&p, q->object_id));
    if (q->entity_id)
        snprintf(where + len, sizeof(where) - (size_t)len, " AND entity_id = $%d",
                 store__pg_text(&p, q->entity_id));
    struct page_spec sp = {.from = "activity_logs",
                           .where = where,
                           .cols = STORE__PG_ACTIVITY_COLS,
                           .id = "id",
                           .read = store__pg_activity_row,
                           .ctx = account,
                           .size = sizeof(**out)};
    return page_run(tx, a, &p, &sp, &q->page, pr, out, n, NULL);
}

enum err store__pg_org_list_extent(struct store_tx *tx, const char *account, const char *owner_id,
                                   const char *member_id, const struct page_query *pq,
                                   struct org_extent *out)
{
    struct store__pg_params p = {0};
    char where[512];
    struct page_spec sp;
    org_spec(account, owner_id, member_id, &p, where, &sp);
    return page_guard(tx, &p, &sp, pq, STORE__PG_MINE_OF_ORGS, out->limit);
}
