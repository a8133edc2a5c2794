/*
 * The PostgreSQL backend's tree reads (store.h, "the hierarchy as a
 * tree"): ancestors, a page of descendants and the depth limit's heights,
 * each one recursive statement, so a read is one round trip. Their text
 * depends on the cursor (as the list pages' does, lists.c), so they are
 * sent as text rather than prepared. Every step of a walk is an index
 * lookup kept apart by OFFSET 0 (statements.c says why); the walks keep
 * (customer, depth, the customer stepped from) rows with UNION and stop
 * after `max_depth` steps.
 * docs/hierarchy.md gives the design and the costs.
 */
#include "internal.h"
#include "../paging.h"
#include "../../core/buf.h"

/* One step of the walk `walk(id, d, link)`, down (to the members of the
 * organization walk.id owns) or up (to the owners of the organizations
 * walk.id is in), as LATERAL lookups that yield m.customer_id and
 * o.owner_id. */
#define PG_STEP_DOWN                                                                               \
    " CROSS JOIN LATERAL (SELECT id FROM organizations"                                            \
    " WHERE account_id = $1 AND owner_id = walk.id OFFSET 0) o"                                    \
    " CROSS JOIN LATERAL (SELECT customer_id FROM organization_members"                            \
    " WHERE account_id = $1 AND organization_id = o.id OFFSET 0) m"
#define PG_STEP_UP                                                                                 \
    " CROSS JOIN LATERAL (SELECT organization_id FROM organization_members"                        \
    " WHERE account_id = $1 AND customer_id = walk.id OFFSET 0) m"                                 \
    " CROSS JOIN LATERAL (SELECT owner_id FROM organizations"                                      \
    " WHERE account_id = $1 AND id = m.organization_id OFFSET 0) o"
/* Each customer's least depth, and the customers the walk reached it
 * from. */
#define PG_BEST_AND_LINKS                                                                          \
    " best AS MATERIALIZED (SELECT id, min(d) AS d FROM walk GROUP BY id),"                        \
    " links AS MATERIALIZED (SELECT DISTINCT id, link FROM walk)"

/* Row 0 is the customer itself (none: not found); then one row per
 * ancestor and customer it was reached from (`via`). */
static const char ancestors_sql[] =
    "WITH RECURSIVE walk(id, d, link) AS (SELECT id, 0, NULL::text COLLATE \"C\""
    " FROM customers WHERE account_id = $1 AND id = $2"
    " UNION SELECT o.owner_id, walk.d + 1, walk.id FROM walk" PG_STEP_UP
    " WHERE walk.d < $3)," PG_BEST_AND_LINKS
    " SELECT b.id, b.d, c.legal_name, c.archived_at IS NOT NULL, bo.id, l.link"
    " FROM best b CROSS JOIN LATERAL (SELECT legal_name, archived_at FROM customers"
    " WHERE account_id = $1 AND id = b.id OFFSET 0) c"
    " LEFT JOIN LATERAL (SELECT id FROM organizations WHERE b.d > 0 AND account_id = $1"
    " AND owner_id = b.id OFFSET 0) bo ON true JOIN links l ON l.id = b.id"
    " ORDER BY b.d, b.id, l.link";

/* $2 the owner, $3 the ids, $4 the cap: the owner's height above (root
 * NULL), then one row per id, its height below. */
static const char heights_sql[] =
    "WITH RECURSIVE up(id, d) AS (SELECT $2::text COLLATE \"C\", 0"
    " UNION SELECT o.owner_id, up.d + 1 FROM up"
    " CROSS JOIN LATERAL (SELECT organization_id FROM organization_members"
    " WHERE account_id = $1 AND customer_id = up.id OFFSET 0) m"
    " CROSS JOIN LATERAL (SELECT owner_id FROM organizations"
    " WHERE account_id = $1 AND id = m.organization_id OFFSET 0) o WHERE up.d < $4),"
    " walk(root, id, d) AS (SELECT x COLLATE \"C\", x COLLATE \"C\", 0"
    " FROM unnest($3::text[]) AS x UNION SELECT walk.root, m.customer_id, walk.d + 1"
    " FROM walk" PG_STEP_DOWN " WHERE walk.d < $4)"
    " SELECT NULL::text, (SELECT max(d) FROM up)"
    " UNION ALL SELECT root, max(d) FROM walk GROUP BY root";

/* A read whose one statement is this: no BEGIN (and no ROLLBACK). */
static PGresult *run_whole(struct store_tx *tx, const char *sql, const struct store__pg_params *p,
                           enum err *rc)
{
    struct store__pg_tx *t = store__pg_tx_of(tx);
    if (store__pg_read_first(tx))
        t->begin = NULL;
    return store__pg_run(t, NULL, sql, p, rc);
}

static const char *cell(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

enum err store__pg_tree_ancestors(struct store_tx *tx, struct arena *a, const char *account,
                                  const char *id, int max_depth, struct tree_node **out, size_t *n)
{
    struct store__pg_params p = {0};
    store__pg_texts(&p, account, id);
    store__pg_i64(&p, max_depth);
    enum err rc;
    PGresult *r = run_whole(tx, ancestors_sql, &p, &rc);
    if (!r)
        return rc;
    struct store__tree_rows rows = {0};
    for (int i = 0; i < PQntuples(r); i++)
        store__tree_row(&rows, a, PQgetvalue(r, i, 0), (int)store__pg_num(r, i, 1), cell(r, i, 2),
                        store__pg_flag(r, i, 3), cell(r, i, 4), cell(r, i, 5));
    PQclear(r);
    if (rows.n == 0)
        return ERR_NOT_FOUND;
    *out = rows.nodes + 1; /* past the customer itself */
    *n = rows.n - 1;
    return ERR_OK;
}

/* Appends "(d, id) op ($k, $i)". */
static void cursor_cmp(struct buf *b, enum page_cmp cmp, int k, int i)
{
    buf_printf(b, " AND (d, id) %s ($%d::int, $%d::text COLLATE \"C\")", page_cmp_sql(cmp), k, i);
}

enum err store__pg_tree_descendants(struct store_tx *tx, struct arena *a, const char *account,
                                    const char *root, bool root_is_org, int max_depth,
                                    const struct page_query *pq, struct tree_node **out, size_t *n,
                                    struct page_result *pr, char *seed)
{
    struct page_plan plan;
    page_plan_make(pq, &plan);
    const char *dir = plan.scan_desc ? "DESC" : "ASC";
    struct store__pg_params p = {0};
    store__pg_texts(&p, account, root);
    store__pg_i64(&p, max_depth);
    int k = 0, i = 0;
    if (pq->has_cursor) {
        k = store__pg_text(&p, pq->cursor_key); /* store.c checked it is a depth */
        i = store__pg_text(&p, pq->cursor_id);
    }
    int lim = store__pg_i64(&p, plan.limit + 1);

    struct buf b;
    buf_init(&b, 1 << 16);
    buf_printf(&b,
               "WITH RECURSIVE seed(id) AS (SELECT %s WHERE account_id = $1 AND id = $2),"
               " walk(id, d, link) AS (SELECT id, 0, NULL::text COLLATE \"C\" FROM seed"
               " UNION SELECT m.customer_id, walk.d + 1, walk.id FROM walk" PG_STEP_DOWN
               " WHERE walk.d < $3)," PG_BEST_AND_LINKS ","
               " page AS (SELECT id, d FROM best WHERE d > 0",
               root_is_org ? "owner_id FROM organizations" : "id FROM customers");
    if (pq->has_cursor)
        cursor_cmp(&b, plan.page_cmp, k, i);
    buf_printf(&b, " ORDER BY d %s, id %s LIMIT $%d)", dir, dir, lim);
    buf_puts(&b, " SELECT (SELECT id FROM seed), (SELECT count(*) FROM best WHERE d > 0), ");
    if (pq->has_cursor) {
        buf_puts(&b, "EXISTS (SELECT 1 FROM best WHERE d > 0");
        cursor_cmp(&b, plan.probe_cmp, k, i);
        buf_puts(&b, ")");
    } else {
        buf_puts(&b, "false");
    }
    buf_printf(&b,
               ", pg.id, pg.d, c.legal_name, c.archived_at IS NOT NULL, l.link"
               " FROM (SELECT 1) one LEFT JOIN page pg ON true"
               " LEFT JOIN LATERAL (SELECT legal_name, archived_at FROM customers"
               " WHERE account_id = $1 AND id = pg.id OFFSET 0) c ON true"
               " LEFT JOIN links l ON l.id = pg.id ORDER BY pg.d %s, pg.id %s, l.link",
               dir, dir);

    enum err rc;
    PGresult *r = run_whole(tx, b.data, &p, &rc);
    buf_fini(&b);
    if (!r)
        return rc;
    struct store__tree_rows rows = {0};
    bool found = PQntuples(r) > 0 && !PQgetisnull(r, 0, 0);
    bool probe = PQntuples(r) > 0 && store__pg_flag(r, 0, 2);
    if (found && seed)
        store__pg_id_copy(seed, r, 0, 0);
    pr->total = PQntuples(r) > 0 ? store__pg_num(r, 0, 1) : 0;
    for (int row = 0; row < PQntuples(r); row++)
        if (!PQgetisnull(r, row, 3))
            store__tree_row(&rows, a, PQgetvalue(r, row, 3), (int)store__pg_num(r, row, 4),
                            cell(r, row, 5), store__pg_flag(r, row, 6), NULL, cell(r, row, 7));
    PQclear(r);
    if (!found)
        return ERR_NOT_FOUND;
    *n = page_plan_finish(&plan, rows.n, probe, pr);
    if (plan.reversed)
        store__reverse(rows.nodes, *n, sizeof(*rows.nodes));
    *out = rows.nodes;
    return ERR_OK;
}

enum err store__pg_tree_heights(struct store_tx *tx, const char *account, const char *owner,
                                const char *const *ids, size_t n, int cap, int *up, int *down)
{
    struct store__pg_params p = {0};
    store__pg_texts(&p, account, owner, store__pg_ids_array(tx, ids, n));
    store__pg_i64(&p, cap);
    enum err rc;
    PGresult *r = store__pg_run(store__pg_tx_of(tx), NULL, heights_sql, &p, &rc);
    if (!r)
        return rc;
    for (int row = 0; row < PQntuples(r); row++) {
        int h = PQgetisnull(r, row, 1) ? 0 : (int)store__pg_num(r, row, 1);
        const char *root = cell(r, row, 0);
        if (!root)
            *up = h;
        for (size_t i = 0; root && i < n; i++)
            if (strcmp(ids[i], root) == 0)
                down[i] = h;
    }
    PQclear(r);
    return ERR_OK;
}
