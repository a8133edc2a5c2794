/*
 * The SQLite backend's customer organizations: an owner and its ordered
 * members (see backend.h). Their keyset list is lists.c's; the memberships
 * of a list page are read by customers.c.
 *
 * rev (migration 4): every statement that changes what an organization
 * shows writes a fresh random() into it: the insert, org_bump after
 * member changes, and the rename trigger. See src/store/orgcache.h.
 */
#include "internal.h"
#include "../../core/buf.h"

/* Writes a fresh rev on the organization. */
static enum err org_bump(struct store__sqlite_conn *c, const char *account, const char *org_id)
{
    return store__sqlite_exec(c, Q_ORG_BUMP, SQ_ARGS(SQ_TEXT(account), SQ_TEXT(org_id)), NULL);
}

/* Appends members after the last position, skipping present ones, and
 * counts those added in *added. The ids come from `ids`, or from `members`
 * when ids is NULL. */
static enum err members_append(struct store__sqlite_conn *c, const char *account,
                               const char *org_id, const char *const *ids,
                               const struct member *members, size_t n, size_t *added)
{
    int64_t pos = 0;
    enum err rc =
        store__sqlite_int(c, Q_ORG_MAX_POSITION, SQ_ARGS(SQ_TEXT(account), SQ_TEXT(org_id)), &pos);
    if (rc && rc != ERR_NOT_FOUND)
        return rc;
    *added = 0;
    for (size_t i = 0; i < n; i++) {
        const char *id = ids ? ids[i] : members[i].id;
        rc = store__sqlite_exec(
            c, Q_ORG_MEMBER_INSERT,
            SQ_ARGS(SQ_TEXT(account), SQ_TEXT(org_id), SQ_TEXT(id), SQ_INT(pos + 1)), NULL);
        if (rc)
            return rc;
        /* Ids already members were skipped and take no position. */
        if (sqlite3_changes(c->db) > 0) {
            pos++;
            ++*added;
        }
    }
    return ERR_OK;
}

enum err store__sqlite_org_insert(struct store_tx *tx, const char *account,
                                  const struct organization *o)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    int src;
    enum err rc = store__sqlite_exec(
        c, Q_ORG_INSERT,
        SQ_ARGS(SQ_TEXT(account), SQ_TEXT(o->id), SQ_TEXT(o->owner.id), SQ_INT(o->created_at)),
        &src);
    if (src == SQLITE_CONSTRAINT_UNIQUE)
        return ERR_ORGANIZATION_EXISTS;
    if (rc || !o->n_members)
        return rc;
    size_t added; /* the insert wrote the rev */
    return members_append(c, account, o->id, NULL, o->members, o->n_members, &added);
}

enum err store__sqlite_org_members_add(struct store_tx *tx, const char *account, const char *org_id,
                                       const char *const *ids, size_t n)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    size_t added;
    enum err rc = members_append(c, account, org_id, ids, NULL, n, &added);
    return rc || !added ? rc : org_bump(c, account, org_id);
}

enum err store__sqlite_org_rev(struct store_tx *tx, const char *account, const char *id,
                               int64_t *rev)
{
    return store__sqlite_int(TX_CONN(tx), Q_ORG_REV, SQ_ARGS(SQ_TEXT(account), SQ_TEXT(id)), rev);
}

static enum err org_row(void *ctx, struct arena *a, sqlite3_stmt *st, void *elem, size_t i)
{
    struct organization *o = elem;
    store__sqlite_col_id(st, 0, o->id);
    store__sqlite_col_id(st, 1, o->owner.id);
    o->created_at = sqlite3_column_int64(st, 2);
    o->owner.name = store__sqlite_col_str(a, st, 3);
    o->rev = sqlite3_column_int64(st, 4);
    return ERR_OK;
}

static enum err member_row(void *ctx, struct arena *a, sqlite3_stmt *st, void *elem, size_t i)
{
    struct member *m = elem;
    store__sqlite_col_id(st, 0, m->id);
    m->name = store__sqlite_col_str(a, st, 1);
    return ERR_OK;
}

enum err store__sqlite_org_get(struct store_tx *tx, struct arena *a, const char *account,
                               const char *id, struct organization *out)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    struct organization o = {0};
    enum err rc = store__sqlite_get(c, Q_ORG_GET, SQ_ARGS(SQ_TEXT(account), SQ_TEXT(id)), a,
                                    org_row, NULL, &o);
    if (rc ||
        (rc = store__sqlite_list(c, Q_ORG_MEMBERS, SQ_ARGS(SQ_TEXT(account), SQ_TEXT(id)), a,
                                 sizeof(*o.members), member_row, NULL, &o.members, &o.n_members)))
        return rc;
    *out = o;
    return ERR_OK;
}

enum err store__sqlite_org_id_by_owner(struct store_tx *tx, const char *account,
                                       const char *owner_id, char out[ID_LEN + 1])
{
    return store__sqlite_id(TX_CONN(tx), Q_ORG_BY_OWNER,
                            SQ_ARGS(SQ_TEXT(account), SQ_TEXT(owner_id)), out);
}

enum err store__sqlite_org_ids_of_member(struct store_tx *tx, struct arena *a, const char *account,
                                         const char *customer_id, const char ***out, size_t *n)
{
    return store__sqlite_strings(TX_CONN(tx), Q_ORGS_OF_MEMBER,
                                 SQ_ARGS(SQ_TEXT(account), SQ_TEXT(customer_id)), a, out, n);
}

static enum err members_clear(struct store__sqlite_conn *c, const char *account, const char *org_id)
{
    return store__sqlite_exec(c, Q_ORG_MEMBERS_CLEAR, SQ_ARGS(SQ_TEXT(account), SQ_TEXT(org_id)),
                              NULL);
}

enum err store__sqlite_org_members_clear(struct store_tx *tx, const char *account,
                                         const char *org_id)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    enum err rc = members_clear(c, account, org_id);
    return rc ? rc : org_bump(c, account, org_id);
}

enum err store__sqlite_org_member_remove(struct store_tx *tx, const char *account,
                                         const char *org_id, const char *customer_id)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    enum err rc = store__sqlite_changed(
        c, Q_ORG_MEMBER_REMOVE, SQ_ARGS(SQ_TEXT(account), SQ_TEXT(org_id), SQ_TEXT(customer_id)),
        NULL);
    return rc ? rc : org_bump(c, account, org_id);
}

enum err store__sqlite_org_member_count(struct store_tx *tx, const char *account,
                                        const char *org_id, int64_t *n)
{
    enum err rc = store__sqlite_int(TX_CONN(tx), Q_ORG_MEMBER_COUNT,
                                    SQ_ARGS(SQ_TEXT(account), SQ_TEXT(org_id)), n);
    return rc == ERR_NOT_FOUND ? ERR_OK : rc;
}

enum err store__sqlite_org_delete(struct store_tx *tx, const char *account, const char *org_id)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    enum err rc = members_clear(c, account, org_id);
    return rc ? rc
              : store__sqlite_changed(c, Q_ORG_DELETE, SQ_ARGS(SQ_TEXT(account), SQ_TEXT(org_id)),
                                      NULL);
}

enum err store__sqlite_org_reaches(struct store_tx *tx, const char *account, const char *ancestor,
                                   const char *descendant, bool *out)
{
    int64_t v = 0;
    enum err rc =
        store__sqlite_int(TX_CONN(tx), Q_ORG_REACHES,
                          SQ_ARGS(SQ_TEXT(account), SQ_TEXT(ancestor), SQ_TEXT(descendant)), &v);
    if (rc == ERR_OK)
        *out = v != 0;
    return rc == ERR_NOT_FOUND ? ERR_OK : rc;
}

static enum err extent_row(void *ctx, struct arena *a, sqlite3_stmt *st, void *elem, size_t i)
{
    struct org_extent *e = elem;
    e->orgs = sqlite3_column_int64(st, 0);
    e->entries = sqlite3_column_int64(st, 1);
    e->name_bytes = sqlite3_column_int64(st, 2);
    return ERR_OK;
}

enum err store__sqlite_org_extent(struct store_tx *tx, const char *account, const char *const *ids,
                                  size_t n, bool of_customers, struct org_extent *out)
{
    /* The ids as a JSON array for json_each; one that is not an id names
     * nothing and is left out (nothing in it then needs escaping). */
    struct buf b;
    buf_init(&b, (size_t)-1);
    buf_puts(&b, "[");
    for (size_t i = 0; i < n; i++) {
        if (!id_valid(ids[i]))
            continue;
        buf_puts(&b, b.len > 1 ? ",\"" : "\"");
        buf_puts(&b, ids[i]);
        buf_puts(&b, "\"");
    }
    buf_puts(&b, "]");
    enum err rc =
        store__sqlite_get(TX_CONN(tx), of_customers ? Q_CUSTOMERS_ORG_EXTENT : Q_ORGS_EXTENT,
                          SQ_ARGS(SQ_TEXT(account), SQ_TEXT(b.data)), NULL, extent_row, NULL, out);
    buf_fini(&b);
    return rc;
}
