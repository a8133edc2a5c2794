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

enum err store__pg_hierarchy_lock(struct store_tx *tx, const char *account, const char *owner,
                                  const char *const *ids, size_t n, bool *closes)
{
    struct store__pg_params p = {0};
    store__pg_texts(&p, account, owner, store__pg_ids_array(tx, ids, n));
    enum err rc;
    PGresult *r = store__pg_query(tx, PG_ST_HIERARCHY_LOCK, &p, &rc);
    if (!r)
        return rc;
    /* The rows are owner's ancestors, itself included: a few at most. */
    int rows = PQntuples(r);
    for (size_t i = 0; i < n; i++) {
        closes[i] = false;
        for (int k = 0; k < rows && !closes[i]; k++)
            closes[i] = strcmp(PQgetvalue(r, k, 0), ids[i]) == 0;
    }
    PQclear(r);
    return ERR_OK;
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
