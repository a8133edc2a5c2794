/*
 * The PostgreSQL backend's write-path locks. Writes run at READ COMMITTED:
 * each statement sees every transaction that committed before it started,
 * so a rule that spans rows holds when the writes it could race with take
 * a common lock before they read, and read in a statement after the lock.
 * docs/postgresql.md ("How the concurrency rules are enforced") says which
 * lock guards which rule and why no race is lost.
 */
#include "internal.h"

#include <string.h>

/* What the last hierarchy_lock of this transaction found out, as true
 * until the transaction ends as its locks make it, unless the transaction
 * itself changes it (store__pg_locked_forget). In scratch. */
struct store__pg_locked {
    const char *account, *owner;
    const char **asked; /* owner and the ids, whose briefs are known */
    size_t n_asked;
    const char **names; /* per asked id: its legal name, NULL when not found */
    bool *archived;
    char org_id[ID_LEN + 1]; /* "" when owner owns none */
};

static size_t asked_index(const struct store__pg_locked *l, const char *id)
{
    for (size_t i = 0; i < l->n_asked; i++)
        if (strcmp(l->asked[i], id) == 0)
            return i;
    return l->n_asked;
}

enum err store__pg_hierarchy_lock(struct store_tx *tx, const char *account, const char *owner,
                                  const char *const *ids, size_t n, bool *closes)
{
    struct store__pg_tx *t = store__pg_tx_of(tx);
    t->locked = NULL;
    struct store__pg_params p = {0}, o = {0};
    store__pg_texts(&p, account, owner, store__pg_ids_array(tx, ids, n));
    enum err rc;
    PGresult *r, *org = NULL;
    if (*t->reread_org) {
        /* An organization this write read before the lock is read again
         * after it, in the lock's round trip (a statement in the same
         * pipeline runs after the lock is taken): the rules ask for it
         * next (rules_org_members_change), and find it ahead. */
        char org_id[ID_LEN + 1];
        memcpy(org_id, t->reread_org, sizeof(org_id));
        *t->reread_org = '\0';
        store__pg_texts(&o, account, org_id);
        r = store__pg_run_pair(t, PG_ST_HIERARCHY_LOCK, &p, PG_ST_ORG_GET, &o, &org, &rc);
        if (org)
            store__pg_ahead_once(t, PG_ST_ORG_GET, &o, org);
        PQclear(org);
    } else {
        r = store__pg_query(tx, PG_ST_HIERARCHY_LOCK, &p, &rc);
    }
    if (!r)
        return rc;
    struct arena *a = store__pg_scratch(t);
    struct store__pg_locked *l = arena_zalloc(a, sizeof(*l));
    l->account = arena_strdup(a, account);
    l->owner = arena_strdup(a, owner);
    l->asked = arena_alloc(a, (n + 1) * sizeof(*l->asked));
    l->names = arena_zalloc(a, (n + 1) * sizeof(*l->names));
    l->archived = arena_zalloc(a, n + 1);
    l->asked[l->n_asked++] = l->owner;
    for (size_t i = 0; i < n; i++)
        l->asked[l->n_asked++] = arena_strdup(a, ids[i]);
    for (size_t i = 0; i < n; i++)
        closes[i] = false;
    /* Rows: 'A' an ancestor of owner (itself included), 'C' the brief of
     * an asked customer, 'O' owner's organization (migrations.c, v2). */
    for (int k = 0; k < PQntuples(r); k++) {
        const char *kind = PQgetvalue(r, k, 0), *id = PQgetvalue(r, k, 1);
        if (*kind == 'A') {
            for (size_t i = 0; i < n; i++)
                closes[i] = closes[i] || strcmp(id, ids[i]) == 0;
        } else if (*kind == 'O') {
            store__pg_id_copy(l->org_id, r, k, 1);
        } else {
            for (size_t i = 0; i < l->n_asked; i++)
                if (strcmp(l->asked[i], id) == 0) {
                    l->names[i] = store__pg_str0(a, r, k, 2);
                    l->archived[i] = store__pg_flag(r, k, 3);
                }
        }
    }
    PQclear(r);
    t->locked = l;
    return ERR_OK;
}

bool store__pg_locked_brief(struct store_tx *tx, struct arena *a, const char *account,
                            const char *id, struct customer_brief *out)
{
    const struct store__pg_locked *l = store__pg_tx_of(tx)->locked;
    size_t i;
    if (!l || strcmp(l->account, account) != 0 || (i = asked_index(l, id)) == l->n_asked)
        return false;
    out->found = l->names[i] != NULL;
    out->archived = l->archived[i];
    out->legal_name = l->names[i] ? arena_strdup(a, l->names[i]) : NULL;
    return true;
}

bool store__pg_locked_org(struct store_tx *tx, const char *account, const char *owner,
                          char out[ID_LEN + 1], enum err *rc)
{
    const struct store__pg_locked *l = store__pg_tx_of(tx)->locked;
    if (!l || strcmp(l->account, account) != 0 || strcmp(l->owner, owner) != 0)
        return false;
    memcpy(out, l->org_id, sizeof(l->org_id));
    *rc = *l->org_id ? ERR_OK : ERR_NOT_FOUND;
    return true;
}

void store__pg_locked_forget(struct store_tx *tx)
{
    store__pg_tx_of(tx)->locked = NULL;
}

enum err store__pg_customer_lock(struct store_tx *tx, const char *account, const char *id)
{
    struct store__pg_tx *t = store__pg_tx_of(tx);
    if (!t->writing || strcmp(t->locked_customer, id) == 0)
        return ERR_OK;
    struct store__pg_params p = {0};
    store__pg_texts(&p, account, id);
    enum err rc = store__pg_exec(tx, PG_ST_CUSTOMER_LOCK, &p, NULL);
    if (rc == ERR_OK)
        store__pg_customer_held(tx, id);
    return rc;
}

void store__pg_customer_held(struct store_tx *tx, const char *id)
{
    struct store__pg_tx *t = store__pg_tx_of(tx);
    size_t len = strlen(id);
    if (t->writing && len < sizeof(t->locked_customer))
        memcpy(t->locked_customer, id, len + 1);
}

enum err store__pg_org_lock(struct store_tx *tx, const char *account, const char *org_id)
{
    struct store__pg_params p = {0};
    store__pg_texts(&p, account, org_id);
    return store__pg_exec(tx, PG_ST_ORG_LOCK, &p, NULL);
}
