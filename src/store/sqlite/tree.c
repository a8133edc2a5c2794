/*
 * The SQLite backend's tree reads (store.h, "the hierarchy as a tree"):
 * ancestors, a page of descendants, and the heights the depth limit needs,
 * each one recursive statement along owner -> member edges. The walks keep
 * (customer, depth, the customer stepped from) rows with UNION, so a
 * customer reached along several paths is walked once per distinct depth
 * and the walk ends within `max_depth` steps; the answer keeps each
 * customer at its least depth, and the links the walk took to it.
 * docs/hierarchy.md gives the design and the costs.
 */
#include "internal.h"
#include "../paging.h"
#include "../../core/buf.h"

/* The statements' shapes in the connection's dynamic cache: a family of
 * their own (the lists use 1 to 3 in the top byte). */
enum tree_stmt { T_ANCESTORS = 1, T_UP, T_DOWN, T_PAGE };
#define TREE_SHAPE(kind, cmp, probe, desc, org)                                                    \
    (0x40u << 24 | (uint32_t)(kind) << 12 | (uint32_t)(cmp) << 8 | (uint32_t)(probe) << 4 |        \
     (uint32_t)(desc) << 1 | (uint32_t)(org))

/* One step of a walk whose table is `up` or `down`: to the owners of the
 * organizations up.id is in, or to the members of the one down.id owns.
 * CROSS JOIN keeps the walk's row the outer loop (SQLite's planner would
 * otherwise scan the account's memberships once per step). */
static const char step_up[] =
    " CROSS JOIN organization_members m ON m.account_id = ?1 AND m.customer_id = up.id"
    " JOIN organizations o ON o.account_id = ?1 AND o.id = m.organization_id";
static const char step_down[] =
    " CROSS JOIN organizations o ON o.account_id = ?1 AND o.owner_id = down.id"
    " JOIN organization_members m ON m.account_id = ?1 AND m.organization_id = o.id";

/* The walk `w`, whose rows carry the customer they stepped from in its
 * third column `from`, turned into each customer's least depth (best)
 * and its links. */
static void best_and_links(struct buf *b, const char *w, const char *from)
{
    buf_printf(b,
               " best(id, d) AS MATERIALIZED (SELECT id, min(d) FROM %s GROUP BY id),"
               " links(id, link) AS MATERIALIZED (SELECT DISTINCT id, %s FROM %s)",
               w, from, w);
}

static void build(struct buf *b, uint32_t shape)
{
    enum tree_stmt kind = (shape >> 12) & 0xf;
    enum page_cmp cmp = (shape >> 8) & 0xf, probe = (shape >> 4) & 0xf;
    const char *dir = (shape >> 1) & 1 ? "DESC" : "ASC";
    switch (kind) {
    case T_ANCESTORS:
        /* ?2 the customer, ?3 the most steps. The walk keeps the customer
         * it stepped up from (`via`), so each ancestor's links come from
         * the walk itself. Row 0 is the customer (none: it does not
         * exist); then one row per ancestor and link. */
        buf_printf(b,
                   "WITH RECURSIVE up(id, d, via) AS ("
                   " SELECT id, 0, NULL FROM customers WHERE account_id = ?1 AND id = ?2"
                   " UNION SELECT o.owner_id, up.d + 1, up.id FROM up%s WHERE up.d < ?3),",
                   step_up);
        best_and_links(b, "up", "via");
        buf_puts(b, " SELECT b.id, b.d, c.legal_name, c.archived_at IS NOT NULL, o.id, l.link"
                    " FROM best b JOIN customers c ON c.account_id = ?1 AND c.id = b.id"
                    " LEFT JOIN organizations o ON b.d > 0 AND o.account_id = ?1"
                    " AND o.owner_id = b.id JOIN links l ON l.id = b.id"
                    " ORDER BY b.d, b.id, l.link");
        return;
    case T_UP:
        buf_printf(b,
                   "WITH RECURSIVE up(id, d) AS (SELECT ?2, 0"
                   " UNION SELECT o.owner_id, up.d + 1 FROM up%s WHERE up.d < ?3)"
                   " SELECT max(d) FROM up",
                   step_up);
        return;
    case T_DOWN:
        buf_printf(b,
                   "WITH RECURSIVE down(id, d) AS (SELECT ?2, 0"
                   " UNION SELECT m.customer_id, down.d + 1 FROM down%s WHERE down.d < ?3)"
                   " SELECT max(d) FROM down",
                   step_down);
        return;
    case T_PAGE:
        break;
    }
    /* ?2 the root (a customer, or an organization for its owner), ?3 the
     * most steps, ?4 and ?5 the cursor's depth and id, ?6 the rows. One
     * row per node and parent it was reached from; the first columns are
     * the root (NULL: not found), the total and the probe. */
    buf_printf(b,
               "WITH RECURSIVE seed(id) AS (SELECT %s WHERE account_id = ?1 AND id = ?2),"
               " down(id, d, parent) AS (SELECT id, 0, NULL FROM seed UNION"
               " SELECT m.customer_id, down.d + 1, down.id FROM down%s WHERE down.d < ?3),",
               shape & 1 ? "owner_id FROM organizations" : "id FROM customers", step_down);
    best_and_links(b, "down", "parent");
    buf_puts(b, ", page(id, d) AS (SELECT id, d FROM best WHERE d > 0");
    if (cmp != PAGE_CMP_NONE)
        buf_printf(b, " AND (d, id) %s (?4, ?5)", page_cmp_sql(cmp));
    buf_printf(b, " ORDER BY d %s, id %s LIMIT ?6)", dir, dir);
    /* The first row (k = 0) says the root (NULL: not found), the total and
     * the probe; the page's rows follow (an inner join, so that SQLite
     * indexes `links` for it rather than scanning it per row). */
    buf_puts(b, " SELECT 0 AS k, (SELECT id FROM seed), (SELECT count(*) FROM best WHERE d > 0), ");
    if (probe != PAGE_CMP_NONE)
        buf_printf(b, "EXISTS (SELECT 1 FROM best WHERE d > 0 AND (d, id) %s (?4, ?5))",
                   page_cmp_sql(probe));
    else
        buf_puts(b, "0");
    buf_printf(b,
               ", NULL AS id, NULL AS d, NULL, NULL, NULL AS link UNION ALL"
               " SELECT 1, NULL, NULL, NULL, p.id, p.d, c.legal_name,"
               " c.archived_at IS NOT NULL, l.link FROM page p JOIN links l ON l.id = p.id"
               " JOIN customers c ON c.account_id = ?1 AND c.id = p.id"
               " ORDER BY k, d %s, id %s, link",
               dir, dir);
}

static enum err prepare(struct store__sqlite_conn *c, uint32_t shape,
                        struct store__sqlite_args args, sqlite3_stmt **st)
{
    enum err rc = store__sqlite_prep_dyn(c, shape, build, st);
    return rc ? rc : store__sqlite_bind(c, *st, args, true);
}

enum err store__sqlite_tree_ancestors(struct store_tx *tx, struct arena *a, const char *account,
                                      const char *id, int max_depth, struct tree_node **out,
                                      size_t *n)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    sqlite3_stmt *st;
    enum err rc = prepare(c, TREE_SHAPE(T_ANCESTORS, 0, 0, 0, 0),
                          SQ_ARGS(SQ_TEXT(account), SQ_TEXT(id), SQ_INT(max_depth)), &st);
    if (rc)
        return rc;
    struct store__tree_rows r = {0};
    int src;
    while ((src = sqlite3_step(st)) == SQLITE_ROW)
        store__tree_row(&r, a, (const char *)sqlite3_column_text(st, 0), sqlite3_column_int(st, 1),
                        (const char *)sqlite3_column_text(st, 2), sqlite3_column_int(st, 3) != 0,
                        (const char *)sqlite3_column_text(st, 4),
                        (const char *)sqlite3_column_text(st, 5));
    if ((rc = store__sqlite_finish(c, st, src)))
        return rc;
    if (r.n == 0)
        return ERR_NOT_FOUND;
    /* the first node is the customer itself (depth 0) */
    *out = r.nodes + 1;
    *n = r.n - 1;
    return ERR_OK;
}

enum err store__sqlite_tree_descendants(struct store_tx *tx, struct arena *a, const char *account,
                                        const char *root, bool root_is_org, int max_depth,
                                        const struct page_query *pq, struct tree_node **out,
                                        size_t *n, struct page_result *pr, char *seed)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    struct page_plan plan;
    page_plan_make(pq, &plan);
    int64_t depth = 0;
    if (pq->has_cursor)
        store__parse_i64(pq->cursor_key, &depth); /* store.c checked it */
    sqlite3_stmt *st;
    enum err rc =
        prepare(c, TREE_SHAPE(T_PAGE, plan.page_cmp, plan.probe_cmp, plan.scan_desc, root_is_org),
                SQ_ARGS(SQ_TEXT(account), SQ_TEXT(root), SQ_INT(max_depth), SQ_INT(depth),
                        SQ_TEXT(pq->has_cursor ? pq->cursor_id : ""), SQ_INT(plan.limit + 1)),
                &st);
    if (rc)
        return rc;
    struct store__tree_rows r = {0};
    bool found = false, probe = false;
    int src;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_int(st, 0) == 0) {
            found = sqlite3_column_type(st, 1) != SQLITE_NULL;
            if (found && seed)
                store__sqlite_col_id(st, 1, seed);
            pr->total = sqlite3_column_int64(st, 2);
            probe = sqlite3_column_int(st, 3) != 0;
            continue;
        }
        store__tree_row(&r, a, (const char *)sqlite3_column_text(st, 4), sqlite3_column_int(st, 5),
                        (const char *)sqlite3_column_text(st, 6), sqlite3_column_int(st, 7) != 0,
                        NULL, (const char *)sqlite3_column_text(st, 8));
    }
    if ((rc = store__sqlite_finish(c, st, src)))
        return rc;
    if (!found)
        return ERR_NOT_FOUND;
    *n = page_plan_finish(&plan, r.n, probe, pr);
    if (plan.reversed)
        store__reverse(r.nodes, *n, sizeof(*r.nodes));
    *out = r.nodes;
    return ERR_OK;
}

/* The one number of a T_UP or T_DOWN walk from `from`. */
static enum err height(struct store__sqlite_conn *c, enum tree_stmt kind, const char *account,
                       const char *from, int cap, int *out)
{
    sqlite3_stmt *st;
    enum err rc = prepare(c, TREE_SHAPE(kind, 0, 0, 0, 0),
                          SQ_ARGS(SQ_TEXT(account), SQ_TEXT(from), SQ_INT(cap)), &st);
    if (rc)
        return rc;
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW)
        *out = sqlite3_column_int(st, 0);
    return store__sqlite_finish(c, st, src);
}

enum err store__sqlite_tree_heights(struct store_tx *tx, const char *account, const char *owner,
                                    const char *const *ids, size_t n, int cap, int *up, int *down)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    enum err rc = height(c, T_UP, account, owner, cap, up);
    for (size_t i = 0; rc == ERR_OK && i < n; i++)
        rc = height(c, T_DOWN, account, ids[i], cap, &down[i]);
    return rc;
}
