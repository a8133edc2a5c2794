/*
 * The PostgreSQL backend's organizations and their members (their list
 * pages are in lists.c), and the organizations this transaction inserted.
 */
#include "internal.h"
#include "../../domain/render.h"

#include <stdio.h>
#include <string.h>

/* ---- read-your-writes (see customers.c) ---- */

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
    struct arena *scratch = store__pg_scratch(store__pg_tx_of(tx));
    const char **ask = arena_alloc(scratch, (f->n + 1) * sizeof(*ask));
    size_t *pos = arena_alloc(scratch, (f->n + 1) * sizeof(*pos));
    size_t m = 0;
    for (size_t k = 0; k <= f->n; k++) {
        const char *id = k ? f->members[k - 1] : f->owner;
        const struct customer *c = store__pg_fresh_customer(tx, account, id);
        if (c) {
            names[k] = arena_strdup(a, c->legal_name);
        } else {
            ask[m] = id;
            pos[m++] = k;
        }
    }
    enum err rc = m ? store__pg_query_ords(tx, a, PG_ST_ORG_NAMES, account, ask, m, pos,
                                           store__pg_string_row, names, sizeof(*names))
                    : ERR_OK;
    if (rc)
        return rc;
    out->owner.name = names[0] ? names[0] : "";
    for (size_t i = 0; i < f->n; i++)
        out->members[i].name = names[i + 1] ? names[i + 1] : "";
    return ERR_OK;
}

/* ---- organizations ---- */

enum err store__pg_org_insert(struct store_tx *tx, const char *account,
                              const struct organization *o)
{
    const char **ids = arena_alloc(store__pg_scratch(store__pg_tx_of(tx)),
                                   (o->n_members ? o->n_members : 1) * sizeof(*ids));
    for (size_t i = 0; i < o->n_members; i++)
        ids[i] = o->members[i].id;
    struct store__pg_params p = {0};
    store__pg_texts(&p, account, o->id, o->owner.id);
    store__pg_i64(&p, o->created_at);
    store__pg_text(&p, store__pg_ids_array(tx, ids, o->n_members));
    /* Under the owner's hierarchy lock, which found it owning nothing,
     * no kinship write can give it an organization first: the insert then
     * goes with the COMMIT. Otherwise it runs now, so that a conflict on
     * organizations_owner (ERR_ORGANIZATION_EXISTS) is this call's answer.
     * (Should a writer that skipped the lock win anyway, the queued
     * insert fails the commit on that constraint, and the write's retry
     * finds the organization.) */
    char held[ID_LEN + 1];
    enum err owned = ERR_OK;
    bool later =
        store__pg_locked_org(tx, account, o->owner.id, held, &owned) && owned == ERR_NOT_FOUND;
    store__pg_locked_forget(tx);
    store__pg_tx_of(tx)->members_written = true;
    enum err rc = later ? store__pg_exec_later(tx, PG_ST_ORG_INSERT, &p)
                        : store__pg_exec(tx, PG_ST_ORG_INSERT, &p, NULL);
    if (rc == ERR_OK)
        fresh_add(tx, account, o);
    return rc;
}

enum err store__pg_org_get(struct store_tx *tx, struct arena *a, const char *account,
                           const char *id, struct organization *out)
{
    const struct store__pg_fresh_org *f = fresh_find(tx, account, id);
    if (f)
        return fresh_get(tx, a, account, f, out);
    struct store__pg_params p = {0};
    store__pg_texts(&p, account, id);
    enum err rc;
    PGresult *r = store__pg_query(tx, PG_ST_ORG_GET, &p, &rc);
    if (!r)
        return rc;
    /* read by a write before its locks: the lock reads it again (locks.c) */
    struct store__pg_tx *t = store__pg_tx_of(tx);
    if (t->writing && !t->locked)
        snprintf(t->reread_org, sizeof(t->reread_org), "%s", id);
    int rows = PQntuples(r);
    if (rows == 0) {
        rc = ERR_NOT_FOUND;
    } else {
        store__pg_org_rows(a, r, 0, rows, 0, out);
        snprintf(out->id, sizeof(out->id), "%s", id);
    }
    PQclear(r);
    return rc;
}

enum err store__pg_orgs_get(struct store_tx *tx, struct arena *a, const char *account,
                            const char *const *ids, size_t n, struct organization *out)
{
    bool *got = arena_zalloc(a, n ? n : 1);
    const char **ask = arena_alloc(a, (n ? n : 1) * sizeof(*ask));
    size_t *pos = arena_alloc(a, (n ? n : 1) * sizeof(*pos)), m = 0;
    enum err rc;
    for (size_t i = 0; i < n; i++) {
        const struct store__pg_fresh_org *f = fresh_find(tx, account, ids[i]);
        if (!f) {
            ask[m] = ids[i];
            pos[m++] = i;
        } else if ((rc = fresh_get(tx, a, account, f, &out[i]))) {
            return rc;
        } else {
            got[i] = true;
        }
    }
    if (m) {
        int *first, *count;
        PGresult *r =
            store__pg_query_groups(tx, a, PG_ST_ORGS_GET, account, ask, m, &first, &count, &rc);
        if (!r)
            return rc;
        for (size_t j = 0; j < m; j++)
            if (count[j]) {
                struct organization *o = &out[pos[j]];
                store__pg_org_rows(a, r, first[j], first[j] + count[j], 1, o);
                store__pg_id_copy(o->id, r, first[j], 0);
                got[pos[j]] = true;
            }
        PQclear(r);
    }
    for (size_t i = 0; i < n; i++)
        if (!got[i])
            return ERR_NOT_FOUND;
    return ERR_OK;
}

enum err store__pg_org_id_by_owner(struct store_tx *tx, const char *account, const char *owner_id,
                                   char out[ID_LEN + 1])
{
    enum err rc;
    if (store__pg_locked_org(tx, account, owner_id, out, &rc))
        return rc;
    struct store__pg_params p = {0};
    store__pg_texts(&p, account, owner_id);
    struct store__pg_match m = {account, "owner_id", owner_id};
    return store__pg_row(tx, NULL, PG_ST_ORG_ID_BY_OWNER, &p, &m, store__pg_id_row, NULL, out);
}

enum err store__pg_org_ids_of_member(struct store_tx *tx, struct arena *a, const char *account,
                                     const char *customer_id, const char ***out, size_t *n)
{
    /* A customer this transaction created is in no organization until
     * the transaction writes one. */
    if (!store__pg_tx_of(tx)->members_written &&
        store__pg_fresh_customer(tx, account, customer_id)) {
        *out = NULL;
        *n = 0;
        return ERR_OK;
    }
    struct store__pg_params p = {0};
    store__pg_texts(&p, account, customer_id);
    return store__pg_rows(tx, a, PG_ST_ORG_IDS_OF_MEMBER, &p, store__pg_string_row, NULL,
                          sizeof(**out), out, n);
}

enum err store__pg_customers_org_ids(struct store_tx *tx, struct arena *a, const char *account,
                                     const struct customer *items, size_t n, const char ***ids,
                                     size_t *n_ids)
{
    int *first, *count;
    enum err rc;
    PGresult *r = store__pg_customer_groups(tx, a, PG_ST_CUSTOMERS_ORG_IDS, account, items, n,
                                            &first, &count, &rc);
    if (!r)
        return rc;
    for (size_t k = 0; k < n; k++) {
        n_ids[k] = (size_t)count[k];
        ids[k] = store__pg_items(a, r, first[k], (size_t)count[k], 1, store__pg_string_row, NULL,
                                 sizeof(**ids));
    }
    PQclear(r);
    return ERR_OK;
}

/* Runs `st`, which changes organization `org_id` (so its fresh entry goes),
 * with the account ($1), the organization ($2) and, when not NULL, `arg`
 * ($3); as store__pg_exec_hit (`none` ERR_OK: any number of rows). */
static enum err org_change(struct store_tx *tx, enum store__pg_st st, const char *account,
                           const char *org_id, const char *arg, enum err none)
{
    fresh_drop(tx, org_id);
    store__pg_tx_of(tx)->members_written = true;
    struct store__pg_params p = {0};
    store__pg_texts(&p, account, org_id);
    if (arg)
        store__pg_text(&p, arg);
    /* Any number of rows will do: no answer is needed, so it waits for
     * the transaction's next round trip. */
    if (none == ERR_OK)
        return store__pg_exec_later(tx, st, &p);
    return store__pg_exec_hit(tx, st, &p, none);
}

enum err store__pg_org_members_add(struct store_tx *tx, const char *account, const char *org_id,
                                   const char *const *ids, size_t n)
{
    return org_change(tx, PG_ST_ORG_MEMBERS_ADD, account, org_id, store__pg_ids_array(tx, ids, n),
                      ERR_OK);
}

enum err store__pg_org_members_clear(struct store_tx *tx, const char *account, const char *org_id)
{
    return org_change(tx, PG_ST_ORG_MEMBERS_CLEAR, account, org_id, NULL, ERR_OK);
}

enum err store__pg_org_member_remove(struct store_tx *tx, const char *account, const char *org_id,
                                     const char *customer_id)
{
    return org_change(tx, PG_ST_ORG_MEMBER_REMOVE, account, org_id, customer_id, ERR_NOT_FOUND);
}

enum err store__pg_org_member_count(struct store_tx *tx, const char *account, const char *org_id,
                                    int64_t *n)
{
    struct store__pg_params p = {0};
    store__pg_texts(&p, account, org_id);
    return store__pg_count(tx, PG_ST_ORG_MEMBER_COUNT, &p, n);
}

enum err store__pg_org_delete(struct store_tx *tx, const char *account, const char *org_id)
{
    fresh_drop(tx, org_id);
    store__pg_locked_forget(tx);
    /* The row lock first: a members add that held it has committed, and
     * the delete's statement sees its members. */
    enum err rc = store__pg_org_lock(tx, account, org_id);
    if (rc)
        return rc;
    struct store__pg_params p = {0};
    store__pg_texts(&p, account, org_id);
    return store__pg_count_hit(tx, PG_ST_ORG_DELETE, &p, ERR_NOT_FOUND);
}

enum err store__pg_org_reaches(struct store_tx *tx, const char *account, const char *ancestor,
                               const char *descendant, bool *out)
{
    struct store__pg_params p = {0};
    store__pg_texts(&p, account, ancestor, descendant);
    enum err rc;
    PGresult *r = store__pg_query(tx, PG_ST_ORG_REACHES, &p, &rc);
    if (!r)
        return rc;
    *out = store__pg_flag(r, 0, 0);
    PQclear(r);
    return ERR_OK;
}

/* ---- answer sizes ---- */

static const char customers_extent_sql[] =
    STORE__PG_EXTENT_SQL("unnest($2::text[]) AS u(id)", STORE__PG_MINE_OF_CUSTOMERS);
static const char orgs_extent_sql[] =
    STORE__PG_EXTENT_SQL("unnest($2::text[]) AS u(id)", STORE__PG_MINE_OF_ORGS);

void store__pg_guard_params(struct store__pg_params *p, int64_t limit)
{
    store__pg_i64(p, limit);
    store__pg_i64(p, organization_text_floor(1, 0, 0));
    store__pg_i64(p, organization_text_floor(0, 1, 0));
}

/*
 * store_customers_extent and store_orgs_extent. With a limit, no round
 * trip of its own: the counts fit, and a guard (PG_ST_GUARD_*) queued
 * ahead of the next statement refuses the read there when they do not
 * (docs/postgresql.md, "Reads"). Without one, the counts are asked for.
 */
enum err store__pg_org_extent(struct store_tx *tx, const char *account, const char *const *ids,
                              size_t n, bool of_customers, struct org_extent *out)
{
    struct store__pg_tx *t = store__pg_tx_of(tx);
    /* customers this write created are in no organization yet */
    const char **ask = arena_alloc(store__pg_scratch(t), n * sizeof(*ask));
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!of_customers || t->members_written || !store__pg_fresh_customer(tx, account, ids[i]))
            ask[m++] = ids[i];
    if (m == 0)
        return ERR_OK;
    struct store__pg_params p = {0};
    store__pg_texts(&p, account);
    store__pg_text(&p, store__pg_ids_array(tx, ask, m));
    if (out->limit > 0) {
        store__pg_guard_params(&p, out->limit);
        return store__pg_guard_later(tx, of_customers ? PG_ST_GUARD_CUSTOMERS : PG_ST_GUARD_ORGS,
                                     NULL, &p);
    }
    enum err rc;
    PGresult *r =
        store__pg_run(t, NULL, of_customers ? customers_extent_sql : orgs_extent_sql, &p, &rc);
    if (!r)
        return rc;
    out->orgs = store__pg_num(r, 0, 0);
    out->entries = store__pg_num(r, 0, 1);
    out->name_bytes = store__pg_num(r, 0, 2);
    PQclear(r);
    return ERR_OK;
}

bool store__pg_extent_refused(struct store_tx *tx, struct org_extent *out)
{
    struct store__pg_tx *t = store__pg_tx_of(tx);
    if (!t->refused)
        return false;
    out->orgs = t->refused_extent.orgs;
    out->entries = t->refused_extent.entries;
    out->name_bytes = t->refused_extent.name_bytes;
    return true;
}
