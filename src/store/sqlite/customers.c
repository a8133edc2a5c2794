/*
 * The SQLite backend's customers: their rows, properties and the batch
 * reads of a list page (see backend.h). Contacts are contacts.c's; the
 * keyset list of customers is lists.c's.
 */
#include "internal.h"
#include "../../domain/integrations.h"
#include "../../core/mem.h"

#include <stdlib.h>
#include <string.h>

enum err store__sqlite_customer_from_row(void *ctx, struct arena *a, sqlite3_stmt *st, void *elem,
                                         size_t i)
{
    struct customer *out = elem;
    memset(out, 0, sizeof(*out));
    store__sqlite_col_id(st, 0, out->id);
    out->legal_name = store__sqlite_col_str(a, st, 1);
    out->url = store__sqlite_col_str(a, st, 2);
    out->label = store__sqlite_col_str(a, st, 3);
    const char *tax = (const char *)sqlite3_column_text(st, 4);
    const char *status = (const char *)sqlite3_column_text(st, 5);
    if (!tax || !tax_status_parse(tax, &out->tax_status))
        return store__sqlite_corrupt("customers.tax_status");
    if (!status || !customer_status_parse(status, &out->status))
        return store__sqlite_corrupt("customers.status");
    struct address *ad = &out->address;
    ad->line1 = store__sqlite_col_str(a, st, 6);
    ad->line2 = store__sqlite_col_str(a, st, 7);
    ad->town = store__sqlite_col_str(a, st, 8);
    ad->state = store__sqlite_col_str(a, st, 9);
    ad->postcode = store__sqlite_col_str(a, st, 10);
    ad->country = store__sqlite_col_str(a, st, 11);
    integrations_decode(a, (const char *)sqlite3_column_text(st, 12), out);
    out->created_at = sqlite3_column_int64(st, 13);
    out->updated_at = sqlite3_column_int64(st, 14);
    out->archived_at = sqlite3_column_int64(st, 15);
    return ERR_OK;
}

enum err store__sqlite_customer_row_get(struct store_tx *tx, struct arena *a, const char *account,
                                        const char *id, struct customer *out)
{
    return store__sqlite_get(TX_CONN(tx), Q_CUSTOMER_GET, SQ_ARGS(SQ_TEXT(account), SQ_TEXT(id)), a,
                             store__sqlite_customer_from_row, NULL, out);
}

/* Writes the customer's row: Q_CUSTOMER_INSERT, or Q_CUSTOMER_UPDATE
 * (ERR_NOT_FOUND when there is no such row), which leaves out created_at
 * (?15) and archived_at (?17). */
static enum err customer_write(struct store__sqlite_conn *c, const char *account,
                               const struct customer *cu, bool insert)
{
    char *integrations = cu->n_integrations ? integrations_encode(cu) : NULL;
    const struct address *ad = &cu->address;
    const struct store__sqlite_val v[] = {
        SQ_TEXT(account),
        SQ_TEXT(cu->id),
        SQ_TEXT(cu->legal_name),
        SQ_TEXT(cu->url),
        SQ_TEXT(cu->label),
        SQ_TEXT(tax_status_name(cu->tax_status)),
        SQ_TEXT(customer_status_name(cu->status)),
        SQ_TEXT(ad->line1),
        SQ_TEXT(ad->line2),
        SQ_TEXT(ad->town),
        SQ_TEXT(ad->state),
        SQ_TEXT(ad->postcode),
        SQ_TEXT(ad->country),
        SQ_TEXT(integrations),
        insert ? SQ_INT(cu->created_at) : SQ_SKIP,
        SQ_INT(cu->updated_at),
        insert ? SQ_TIME(cu->archived_at) : SQ_SKIP,
    };
    struct store__sqlite_args args = {v, sizeof(v) / sizeof(*v)};
    enum err rc = insert ? store__sqlite_exec(c, Q_CUSTOMER_INSERT, args, NULL)
                         : store__sqlite_changed(c, Q_CUSTOMER_UPDATE, args, NULL);
    free(integrations);
    return rc;
}

static enum err props_insert(struct store__sqlite_conn *c, const char *account,
                             const struct customer *cu)
{
    enum err rc = ERR_OK;
    for (size_t i = 0; !rc && i < cu->n_props; i++) {
        const struct property *p = &cu->props[i];
        rc = store__sqlite_exec(
            c, Q_PROP_INSERT,
            SQ_ARGS(SQ_TEXT(account), SQ_TEXT(cu->id), SQ_TEXT(p->key), SQ_TEXT(p->value)), NULL);
    }
    return rc;
}

static enum err contacts_insert(struct store_tx *tx, const char *account, const struct customer *cu)
{
    enum err rc = ERR_OK;
    for (size_t i = 0; !rc && i < cu->n_contacts; i++)
        rc = store__sqlite_contact_insert(tx, account, cu->id, &cu->contacts[i]);
    return rc;
}

enum err store__sqlite_customer_insert(struct store_tx *tx, const char *account,
                                       const struct customer *cu)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    enum err rc = customer_write(c, account, cu, true);
    if (rc || (rc = contacts_insert(tx, account, cu)))
        return rc;
    return props_insert(c, account, cu);
}

enum err store__sqlite_customer_update(struct store_tx *tx, const char *account,
                                       const struct customer *cu, bool replace_props)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    enum err rc = customer_write(c, account, cu, false);
    if (rc)
        return rc;
    /* The old contacts stay, archived, for the contact endpoints' history. */
    rc = store__sqlite_exec(c, Q_CONTACTS_ARCHIVE,
                            SQ_ARGS(SQ_TEXT(account), SQ_TEXT(cu->id), SQ_INT(cu->updated_at)),
                            NULL);
    if (rc || (rc = contacts_insert(tx, account, cu)) || !replace_props)
        return rc;
    rc = store__sqlite_exec(c, Q_PROPS_DELETE, SQ_ARGS(SQ_TEXT(account), SQ_TEXT(cu->id)), NULL);
    return rc ? rc : props_insert(c, account, cu);
}

enum err store__sqlite_customer_archive(struct store_tx *tx, const char *account, const char *id,
                                        int64_t now)
{
    return store__sqlite_changed(TX_CONN(tx), Q_CUSTOMER_ARCHIVE,
                                 SQ_ARGS(SQ_TEXT(account), SQ_TEXT(id), SQ_INT(now)), NULL);
}

static enum err brief_row(void *ctx, struct arena *a, sqlite3_stmt *st, void *elem, size_t i)
{
    struct customer_brief *b = elem;
    b->found = true;
    b->legal_name = store__sqlite_col_str(a, st, 0);
    b->archived = sqlite3_column_type(st, 1) != SQLITE_NULL;
    return ERR_OK;
}

enum err store__sqlite_customer_briefs(struct store_tx *tx, struct arena *a, const char *account,
                                       const char *const *ids, size_t n, struct customer_brief *out)
{
    enum err rc = ERR_OK;
    for (size_t i = 0; !rc && i < n; i++) {
        memset(&out[i], 0, sizeof(out[i]));
        if (!id_valid(ids[i]))
            continue;
        rc = store__sqlite_get(TX_CONN(tx), Q_CUSTOMER_BRIEF,
                               SQ_ARGS(SQ_TEXT(account), SQ_TEXT(ids[i])), a, brief_row, NULL,
                               &out[i]);
        if (rc == ERR_NOT_FOUND)
            rc = ERR_OK;
    }
    return rc;
}

static enum err prop_row(void *ctx, struct arena *a, sqlite3_stmt *st, void *elem, size_t i)
{
    struct property *p = elem;
    p->key = store__sqlite_col_str(a, st, 0);
    p->value = store__sqlite_col_str(a, st, 1);
    return ERR_OK;
}

enum err store__sqlite_customer_props(struct store_tx *tx, struct arena *a, const char *account,
                                      const char *customer_id, struct property **out, size_t *n)
{
    return store__sqlite_list(TX_CONN(tx), Q_PROPS_GET,
                              SQ_ARGS(SQ_TEXT(account), SQ_TEXT(customer_id)), a, sizeof(**out),
                              prop_row, NULL, out, n);
}

enum err store__sqlite_property_keys(struct store_tx *tx, struct arena *a, const char *account,
                                     const char ***out, size_t *n)
{
    return store__sqlite_strings(TX_CONN(tx), Q_PROPERTY_KEYS, SQ_ARGS(SQ_TEXT(account)), a, out,
                                 n);
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
static enum err page_scan(struct store__sqlite_conn *c, enum store__sqlite_stmt id,
                          const char *account, const struct customer *items, size_t n,
                          page_take take, void *ctx, bool *whole)
{
    *whole = false;
    int dir = page_direction(items, n);
    if (!dir)
        return ERR_OK;
    const char *lo = dir > 0 ? items[0].id : items[n - 1].id;
    const char *hi = dir > 0 ? items[n - 1].id : items[0].id;
    sqlite3_stmt *st = NULL;
    enum err rc = store__sqlite_prep(c, id, &st);
    if (rc || (rc = store__sqlite_bind(c, st, SQ_ARGS(SQ_TEXT(account), SQ_TEXT(lo), SQ_TEXT(hi)),
                                       false)))
        return rc;
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
    if ((rc = store__sqlite_finish(c, st, src)))
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
    cu->props = store__sqlite_grow(t->a, cu->props, cu->n_props, &t->cap[k], sizeof(*cu->props));
    cu->props[cu->n_props].key = store__sqlite_col_str(t->a, st, 1);
    cu->props[cu->n_props].value = store__sqlite_col_str(t->a, st, 2);
    cu->n_props++;
}

enum err store__sqlite_customers_props(struct store_tx *tx, struct arena *a, const char *account,
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
        rc = store__sqlite_customer_props(tx, a, account, items[k].id, &items[k].props,
                                          &items[k].n_props);
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
    t->ids[k] = store__sqlite_grow(t->a, t->ids[k], t->n_ids[k], &t->cap[k], sizeof(**t->ids));
    t->ids[k][t->n_ids[k]++] = store__sqlite_col_str(t->a, st, 1);
}

enum err store__sqlite_customers_org_ids(struct store_tx *tx, struct arena *a, const char *account,
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
        rc = store__sqlite_org_ids_of_member(tx, a, account, items[k].id, &ids[k], &n_ids[k]);
    return rc;
}
