/*
 * The PostgreSQL backend's accounts, API clients and Idempotency-Key
 * records (with the purge of expired records that engine.c runs after
 * some idempotent writes).
 */
#include "internal.h"
#include "../../core/clock.h"

#include <string.h>

/* ---- idempotency ---- */

static void idem_row(struct arena *a, const PGresult *r, int row, int col, const void *ctx,
                     void *item)
{
    struct idem_record *out = item;
    if (!store__pg_bytes(r, row, col + 2, out->hash, IDEM_HASH_LEN))
        memset(out->hash, 0, IDEM_HASH_LEN); /* never equal to a real hash */
    out->status = (int)store__pg_num(r, row, col + 3);
    out->body = (char *)store__pg_str0(a, r, row, col + 4);
    out->created_at = store__pg_num(r, row, col + 5);
}

enum err store__pg_idem_get(struct store_tx *tx, struct arena *a, const char *account,
                            const char *key, struct idem_record *out)
{
    struct store__pg_params p = {0};
    store__pg_texts(&p, account, key);
    struct store__pg_match m = {account, "key", key};
    return store__pg_row(tx, a, PG_ST_IDEM_GET, &p, &m, idem_row, NULL, out);
}

enum err store__pg_idem_put(struct store_tx *tx, const char *account, const char *key,
                            const struct idem_record *rec)
{
    struct store__pg_params p = {0};
    store__pg_texts(&p, account, key);
    store__pg_bin(&p, rec->hash, IDEM_HASH_LEN);
    store__pg_i64(&p, rec->status);
    store__pg_text(&p, rec->body ? rec->body : "");
    store__pg_i64(&p, rec->created_at);
    store__pg_i64(&p, rec->created_at - IDEM_TTL_MS);
    int64_t n = 0;
    enum err rc = store__pg_exec(tx, PG_ST_IDEM_PUT, &p, &n);
    if (rc)
        return rc;
    /* A live record that idem_get did not see: idem_get holds the key's
     * lock until the commit, so no race can do that. */
    if (n != 1)
        return ERR_CONFLICT;
    store__pg_tx_of(tx)->idem_written = true;
    return ERR_OK;
}

void store__pg_idem_purge(struct store__pg_tx *t)
{
    struct store__pg_params p = {0};
    store__pg_i64(&p, clock_now_ms() - IDEM_TTL_MS);
    enum err rc;
    PQclear(store__pg_query(&t->base, PG_ST_IDEM_PURGE, &p, &rc));
}

/* ---- accounts and clients ---- */

enum err store__pg_account_ensure(struct store_tx *tx, const char *name, int64_t now,
                                  char id[ID_LEN + 1])
{
    char fresh[ID_LEN + 1];
    id_new(fresh);
    struct store__pg_params p = {0};
    store__pg_texts(&p, fresh, name);
    store__pg_i64(&p, now);
    enum err rc =
        store__pg_row(tx, NULL, PG_ST_ACCOUNT_ENSURE, &p, NULL, store__pg_id_row, NULL, id);
    /* the statement answers the row it inserted or the one it found */
    return rc == ERR_NOT_FOUND ? ERR_INTERNAL : rc;
}

static void account_row(struct arena *a, const PGresult *r, int row, int col, const void *ctx,
                        void *item)
{
    struct account_row *x = item;
    store__pg_id_copy(x->id, r, row, col);
    x->name = store__pg_str0(a, r, row, col + 1);
    x->created_at = store__pg_num(r, row, col + 2);
    x->clients = store__pg_num(r, row, col + 3);
}

enum err store__pg_account_list(struct store_tx *tx, struct arena *a, struct account_row **out,
                                size_t *n)
{
    return store__pg_rows(tx, a, PG_ST_ACCOUNT_LIST, NULL, account_row, NULL, sizeof(**out), out,
                          n);
}

enum err store__pg_client_insert(struct store_tx *tx, const char *account_id, const char *client_id,
                                 const uint8_t hash[SECRET_HASH_LEN], int64_t now)
{
    struct store__pg_params p = {0};
    store__pg_texts(&p, client_id, account_id);
    store__pg_bin(&p, hash, SECRET_HASH_LEN);
    store__pg_i64(&p, now);
    return store__pg_exec(tx, PG_ST_CLIENT_INSERT, &p, NULL);
}

enum err store__pg_client_get(struct store_tx *tx, const char *client_id,
                              char account_id[ID_LEN + 1], uint8_t hash[SECRET_HASH_LEN],
                              int64_t *revoked_at)
{
    struct store__pg_params p = {0};
    store__pg_text(&p, client_id);
    enum err rc;
    PGresult *r = store__pg_query(tx, PG_ST_CLIENT_GET, &p, &rc);
    if (!r)
        return rc;
    if (PQntuples(r) == 0) {
        rc = ERR_NOT_FOUND;
    } else if (!store__pg_bytes(r, 0, 1, hash, SECRET_HASH_LEN)) {
        rc = ERR_INTERNAL;
    } else {
        store__pg_id_copy(account_id, r, 0, 0);
        *revoked_at = store__pg_num(r, 0, 2);
    }
    PQclear(r);
    return rc;
}

enum err store__pg_client_revoke(struct store_tx *tx, const char *client_id, int64_t now)
{
    struct store__pg_params p = {0};
    store__pg_text(&p, client_id);
    store__pg_i64(&p, now);
    return store__pg_exec_hit(tx, PG_ST_CLIENT_REVOKE, &p, ERR_NOT_FOUND);
}

static void client_row(struct arena *a, const PGresult *r, int row, int col, const void *ctx,
                       void *item)
{
    struct client_row *x = item;
    store__pg_id_copy(x->id, r, row, col);
    store__pg_id_copy(x->account_id, r, row, col + 1);
    x->account_name = store__pg_str0(a, r, row, col + 2);
    x->created_at = store__pg_num(r, row, col + 3);
    x->revoked_at = store__pg_num(r, row, col + 4);
}

enum err store__pg_client_list(struct store_tx *tx, struct arena *a, struct client_row **out,
                               size_t *n)
{
    return store__pg_rows(tx, a, PG_ST_CLIENT_LIST, NULL, client_row, NULL, sizeof(**out), out, n);
}

/* The test twin's reset (store_account_reset). */
enum err store__pg_account_reset(struct store_tx *tx, const char *account)
{
    struct store__pg_params p = {0};
    store__pg_text(&p, account);
    for (size_t i = 0; store__reset_sql[i]; i++) {
        enum err rc = ERR_OK;
        PGresult *r = store__pg_run(store__pg_tx_of(tx), NULL, store__reset_sql[i], &p, &rc);
        if (!r)
            return rc;
        PQclear(r);
    }
    return ERR_OK;
}
