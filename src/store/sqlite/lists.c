/*
 * The SQLite backend's keyset lists: customers, aliases and organizations
 * (see struct page_query). paging.h plans a page (the comparisons with the
 * cursor, the scan direction, the page flags); this file writes the SQL of
 * each list for the plan and runs it. A list statement's text depends on
 * the filters, sort and cursor in use, so it is built on first use and kept
 * in the connection's cache of dynamic statements, keyed by its shape.
 */
#include "internal.h"
#include "../paging.h"
#include "../../core/buf.h"
#include "../../core/mem.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

/*
 * A list statement's shape, packed into 32 bits (the dynamic cache key):
 * which list, which statement of it, the cursor comparison, the scan
 * direction, the sort and the filters in use.
 */
enum list_family { FAM_CUSTOMERS = 1, FAM_ALIASES, FAM_ORGS, FAM_POLICIES, FAM_ACTIVITY };
enum list_kind { KIND_PAGE, KIND_PROBE, KIND_COUNT };

#define SHAPE(fam, kind, cmp, desc, sort, filters)                                                 \
    ((uint32_t)(fam) << 24 | (uint32_t)(kind) << 20 | (uint32_t)(cmp) << 16 |                      \
     (uint32_t)(desc) << 15 | (uint32_t)(sort) << 12 | (uint32_t)(filters))
#define SHAPE_KIND(s) ((enum list_kind)(((s) >> 20) & 0xf))
#define SHAPE_CMP(s) ((enum page_cmp)(((s) >> 16) & 0xf))
#define SHAPE_DESC(s) (((s) >> 15) & 1)
#define SHAPE_SORT(s) ((enum customer_sort)(((s) >> 12) & 0x7))
#define SHAPE_FILTERS(s) ((s)&0xfff)

/*
 * Parameters of every list statement: ?1 the account, ?2..?6 filters,
 * ?7 the cursor key, ?8 the cursor id, ?9 the limit. A statement uses a
 * subset; binding checks the statement's parameter count.
 */
enum { P_ACCOUNT = 1, P_F1, P_F2, P_F3, P_F4, P_F5, P_CKEY, P_CID, P_LIMIT };

/* What differs between the lists: the SQL, the filter values, the rows. */
struct list_spec {
    uint32_t family, sort, filters;
    store__sqlite_sql_fn build;
    const char *f[5]; /* values of ?2..?6 (NULL: unused) */
    bool key_is_int;  /* the cursor key binds as an integer */
    int64_t ckey_int;
    const char *ckey_str;
    struct store__sqlite_rows rows; /* out: the rows, in page order */
};

/* Prepares the list statement of `kind` and `cmp` and binds what it uses. */
static enum err list_stmt(struct store__sqlite_conn *c, const char *account,
                          const struct list_spec *ls, enum list_kind kind, enum page_cmp cmp,
                          bool desc, const struct page_query *pq, int64_t limit, sqlite3_stmt **st)
{
    uint32_t sort = kind == KIND_COUNT ? 0 : ls->sort;
    enum err rc = store__sqlite_prep_dyn(c, SHAPE(ls->family, kind, cmp, desc, sort, ls->filters),
                                         ls->build, st);
    if (rc)
        return rc;
    bool cur = pq && pq->has_cursor;
    struct store__sqlite_val v[P_LIMIT] = {[P_ACCOUNT - 1] = SQ_TEXT(account)};
    for (int i = 0; i < 5; i++)
        if (ls->f[i])
            v[P_F1 - 1 + i] = SQ_TEXT(ls->f[i]);
    if (cur) {
        v[P_CKEY - 1] =
            ls->key_is_int ? SQ_INT(ls->ckey_int) : SQ_TEXT(ls->ckey_str ? ls->ckey_str : "");
        v[P_CID - 1] = SQ_TEXT(pq->cursor_id);
    }
    v[P_LIMIT - 1] = SQ_INT(limit);
    return store__sqlite_bind(c, *st, (struct store__sqlite_args){v, P_LIMIT}, true);
}

/* Runs the page, probe and count statements of one list request. */
static enum err list_run(struct store__sqlite_conn *c, struct arena *a, const char *account,
                         struct list_spec *ls, const struct page_query *pq, size_t *n,
                         struct page_result *pr)
{
    struct page_plan p;
    page_plan_make(pq, &p);
    struct page_result r = {0};
    sqlite3_stmt *st = NULL;
    bool more = false, found = false;
    enum err rc =
        list_stmt(c, account, ls, KIND_PAGE, p.page_cmp, p.scan_desc, pq, p.limit + 1, &st);
    if (rc || (rc = store__sqlite_collect(c, st, a, &ls->rows, (size_t)p.limit, &more)))
        return rc;
    if (pq->has_cursor) {
        rc = list_stmt(c, account, ls, KIND_PROBE, p.probe_cmp, false, pq, 0, &st);
        if (rc)
            return rc;
        int src = sqlite3_step(st);
        found = src == SQLITE_ROW && sqlite3_column_int(st, 0) != 0;
        if ((rc = store__sqlite_finish(c, st, src)))
            return rc;
    }
    size_t rows = page_plan_finish(&p, ls->rows.n + more, found, &r);
    if (p.reversed)
        store__reverse(ls->rows.items, rows, ls->rows.size);

    rc = list_stmt(c, account, ls, KIND_COUNT, PAGE_CMP_NONE, false, NULL, 0, &st);
    if (rc)
        return rc;
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW)
        r.total = sqlite3_column_int64(st, 0);
    if ((rc = store__sqlite_finish(c, st, src)))
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
    enum page_cmp cmp = SHAPE_CMP(shape);
    const char *dir = SHAPE_DESC(shape) ? "DESC" : "ASC";
    if (kind == KIND_COUNT)
        buf_printf(b, "SELECT COUNT(*) %s", from_where);
    else if (kind == KIND_PROBE)
        buf_printf(b, "SELECT EXISTS (SELECT 1 %s", from_where);
    else
        buf_printf(b, "SELECT %s %s", cols, from_where);
    if (cmp != PAGE_CMP_NONE) {
        if (key)
            buf_printf(b, " AND (%s, %s) %s (?%d, ?%d)", key, id, page_cmp_sql(cmp), P_CKEY, P_CID);
        else
            buf_printf(b, " AND %s %s ?%d", id, page_cmp_sql(cmp), P_CID);
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

/* ---- customers ---- */

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
        buf_printf(b, "SELECT COALESCE((SELECT %s FROM customer_counts WHERE account_id = ?%d), 0)",
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

struct customer_keys {
    const char **keys; /* parallel to the rows */
    size_t cap;
    bool int_key;
};

static enum err customer_row(void *ctx, struct arena *a, sqlite3_stmt *st, void *elem, size_t i)
{
    struct customer_keys *ck = ctx;
    enum err rc = store__sqlite_customer_from_row(NULL, a, st, elem, i);
    if (rc)
        return rc;
    ck->keys = store__sqlite_grow(a, ck->keys, i, &ck->cap, sizeof(*ck->keys));
    if (ck->int_key)
        ck->keys[i] =
            arena_printf(a, "%" PRId64, (int64_t)sqlite3_column_int64(st, CUSTOMER_NCOLS));
    else
        ck->keys[i] = store__sqlite_col_str(a, st, CUSTOMER_NCOLS);
    if (!ck->keys[i])
        ck->keys[i] = arena_strdup(a, "");
    return ERR_OK;
}

/* The list's filters and their values, from the query. */
static void customer_filters(struct arena *a, const struct customer_query *q, struct list_spec *ls)
{
    if (!q->include_archived)
        ls->filters |= CF_ACTIVE;
    if (q->legal_name) {
        ls->filters |= CF_LEGAL_NAME;
        ls->f[0] = store__like_pattern(a, q->legal_name);
    }
    if (q->label) {
        ls->filters |= CF_LABEL;
        ls->f[1] = store__like_pattern(a, q->label);
    }
    if (q->email) {
        ls->filters |= CF_EMAIL;
        ls->f[2] = q->email;
    }
    if (q->alias) {
        ls->filters |= CF_ALIAS;
        ls->f[3] = q->alias;
    }
    if (ls->sort == SORT_PROPERTY)
        ls->f[4] = q->sort_property;
}

enum err store__sqlite_customer_list_rows(struct store_tx *tx, struct arena *a, const char *account,
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
        .rows = {.size = sizeof(**items), .row = customer_row, .ctx = &ck},
        .key_is_int = ck.int_key,
    };
    customer_filters(a, q, &ls);
    if (q->page.has_cursor) {
        if (ck.int_key) {
            /* strtoll's reading: an out-of-range key is clamped. */
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
     * from the few customers they name. Migration 7 counts the account's
     * customers whose ids do not carry their creation time (no row: no
     * customers). */
    struct store__sqlite_conn *c = TX_CONN(tx);
    enum err rc;
    if (sort == SORT_CREATED_AT && !(ls.filters & (CF_EMAIL | CF_ALIAS))) {
        int64_t unordered = 0;
        rc = store__sqlite_int(c, Q_CUSTOMERS_UNORDERED, SQ_ARGS(SQ_TEXT(account)), &unordered);
        if (rc && rc != ERR_NOT_FOUND)
            return rc;
        if (unordered == 0)
            ls.sort = (uint32_t)SORT_BY_ID;
    }
    if ((rc = list_run(c, a, account, &ls, &q->page, n, pr)))
        return rc;
    if (q->page.has_cursor && !q->page.cursor_after)
        store__reverse(ck.keys, *n, sizeof(*ck.keys)); /* as list_run did the rows */
    *items = ls.rows.items;
    *keys = ck.keys;
    return ERR_OK;
}

/* ---- aliases ---- */

enum { AF_VALUE = 1 };

static void aliases_sql(struct buf *b, uint32_t shape)
{
    char fw[256];
    snprintf(fw, sizeof(fw), "FROM aliases WHERE account_id = ?%d AND deleted_at IS NULL%s",
             P_ACCOUNT, SHAPE_FILTERS(shape) & AF_VALUE ? " AND value = ?2" : "");
    list_sql(b, shape, ALIAS_COLS, fw, NULL, "id");
}

enum err store__sqlite_alias_list(struct store_tx *tx, struct arena *a, const char *account,
                                  const char *value, const struct page_query *pq,
                                  struct alias **out, size_t *n, struct page_result *pr)
{
    struct list_spec ls = {
        .family = FAM_ALIASES,
        .filters = value ? AF_VALUE : 0,
        .build = aliases_sql,
        .f = {value},
        .rows = {.size = sizeof(**out),
                 .row = store__sqlite_alias_from_row,
                 .ctx = (void *)account},
    };
    enum err rc = list_run(TX_CONN(tx), a, account, &ls, pq, n, pr);
    if (!rc)
        *out = ls.rows.items;
    return rc;
}

/* ---- organizations ---- */

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

enum err store__sqlite_org_list_ids(struct store_tx *tx, struct arena *a, const char *account,
                                    const char *owner_id, const char *member_id,
                                    const struct page_query *pq, const char ***ids, size_t *n,
                                    struct page_result *pr)
{
    struct list_spec ls = {
        .family = FAM_ORGS,
        .filters = (owner_id ? OF_OWNER : 0) | (member_id ? OF_MEMBER : 0),
        .build = orgs_sql,
        .f = {owner_id, member_id},
        .rows = {.size = sizeof(**ids), .row = store__sqlite_text_row},
    };
    enum err rc = list_run(TX_CONN(tx), a, account, &ls, pq, n, pr);
    if (!rc)
        *ids = ls.rows.items;
    return rc;
}

/* ---- notification policies ---- */

/* PF_TYPE: policies that list the type or none; PF_LISTED: only those that
 * list it (kinship's types go to no policy of every type). */
enum { PF_TYPE = 1, PF_LISTED = 2 };

static void policies_sql(struct buf *b, uint32_t shape)
{
    char fw[256];
    uint32_t f = SHAPE_FILTERS(shape);
    snprintf(fw, sizeof(fw), "FROM notification_policies WHERE account_id = ?%d%s%s", P_ACCOUNT,
             f & PF_LISTED ? " AND instr(types, ?2) > 0" : "",
             f & PF_TYPE ? " AND (types IS NULL OR instr(types, ?2) > 0)" : "");
    list_sql(b, shape, POLICY_COLS, fw, NULL, "id");
}

enum err store__sqlite_policy_list(struct store_tx *tx, struct arena *a, const char *account,
                                   const char *type, const struct page_query *pq,
                                   struct notification_policy **out, size_t *n,
                                   struct page_result *pr)
{
    struct list_spec ls = {
        .family = FAM_POLICIES,
        .filters = !type                                ? 0
                   : notification_type_is_kinship(type) ? PF_LISTED
                                                        : PF_TYPE,
        .build = policies_sql,
        .f = {type ? arena_printf(a, ",%s,", type) : NULL},
        .rows = {.size = sizeof(**out),
                 .row = store__sqlite_policy_from_row,
                 .ctx = (void *)account},
    };
    enum err rc = list_run(TX_CONN(tx), a, account, &ls, pq, n, pr);
    if (!rc)
        *out = ls.rows.items;
    return rc;
}

/* ---- the activity log ---- */

enum { LF_OBJECT = 1, LF_ENTITY = 2 };

static void activity_sql(struct buf *b, uint32_t shape)
{
    uint32_t f = SHAPE_FILTERS(shape);
    char fw[256];
    snprintf(fw, sizeof(fw), "FROM activity_logs WHERE account_id = ?%d%s%s", P_ACCOUNT,
             f & LF_OBJECT ? " AND object_id = ?2" : "",
             f & LF_ENTITY ? " AND entity_id = ?3" : "");
    list_sql(b, shape, ACTIVITY_COLS, fw, NULL, "id");
}

enum err store__sqlite_activity_list(struct store_tx *tx, struct arena *a, const char *account,
                                     const struct activity_query *q, struct activity_entry **out,
                                     size_t *n, struct page_result *pr)
{
    struct list_spec ls = {
        .family = FAM_ACTIVITY,
        .filters = (q->object_id ? LF_OBJECT : 0) | (q->entity_id ? LF_ENTITY : 0),
        .build = activity_sql,
        .f = {q->object_id, q->entity_id},
        .rows = {.size = sizeof(**out),
                 .row = store__sqlite_activity_from_row,
                 .ctx = (void *)account},
    };
    enum err rc = list_run(TX_CONN(tx), a, account, &ls, &q->page, n, pr);
    if (!rc)
        *out = ls.rows.items;
    return rc;
}
