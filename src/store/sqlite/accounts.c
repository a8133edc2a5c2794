/*
 * The SQLite backend's accounts, their API clients, and the records of
 * idempotent requests (see backend.h).
 */
#include "internal.h"
#include "../../core/mem.h"

#include <string.h>

/* ---- idempotency ---- */

static enum err idem_row(void *ctx, struct arena *a, sqlite3_stmt *st, void *elem, size_t i)
{
    struct idem_record *out = elem;
    if (!store__sqlite_col_blob(st, 0, out->hash, IDEM_HASH_LEN))
        return store__sqlite_corrupt("idempotency_keys.request_hash");
    out->status = sqlite3_column_int(st, 1);
    out->created_at = sqlite3_column_int64(st, 3);
    const char *body = store__sqlite_col_str(a, st, 2);
    out->body = body ? (char *)body : arena_strdup(a, "");
    return ERR_OK;
}

enum err store__sqlite_idem_get(struct store_tx *tx, struct arena *a, const char *account,
                                const char *key, struct idem_record *out)
{
    return store__sqlite_get(TX_CONN(tx), Q_IDEM_GET, SQ_ARGS(SQ_TEXT(account), SQ_TEXT(key)), a,
                             idem_row, NULL, out);
}

enum err store__sqlite_idem_put(struct store_tx *tx, const char *account, const char *key,
                                const struct idem_record *r)
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    enum err rc = store__sqlite_exec(
        c, Q_IDEM_PUT,
        SQ_ARGS(SQ_TEXT(account), SQ_TEXT(key), SQ_BLOB(r->hash, IDEM_HASH_LEN), SQ_INT(r->status),
                SQ_TEXT(r->body ? r->body : ""), SQ_INT(r->created_at)),
        NULL);
    if (rc)
        return rc;
    /* A few expired records of the account go with each new one, so the
     * table stays bounded without a sweeper. */
    return store__sqlite_exec(c, Q_IDEM_EXPIRE,
                              SQ_ARGS(SQ_TEXT(account), SQ_INT(r->created_at - IDEM_TTL_MS)), NULL);
}

/* ---- accounts ---- */

enum err store__sqlite_account_ensure(struct store_tx *tx, const char *name, int64_t now,
                                      char id[ID_LEN + 1])
{
    struct store__sqlite_conn *c = TX_CONN(tx);
    enum err rc = store__sqlite_id(c, Q_ACCOUNT_BY_NAME, SQ_ARGS(SQ_TEXT(name)), id);
    if (rc != ERR_NOT_FOUND)
        return rc;
    char nid[ID_LEN + 1];
    id_new(nid);
    rc = store__sqlite_exec(c, Q_ACCOUNT_INSERT, SQ_ARGS(SQ_TEXT(nid), SQ_TEXT(name), SQ_INT(now)),
                            NULL);
    if (rc)
        return rc;
    memcpy(id, nid, ID_LEN + 1);
    return ERR_OK;
}

static enum err account_row(void *ctx, struct arena *a, sqlite3_stmt *st, void *elem, size_t i)
{
    struct account_row *r = elem;
    store__sqlite_col_id(st, 0, r->id);
    r->name = store__sqlite_col_str(a, st, 1);
    r->created_at = sqlite3_column_int64(st, 2);
    r->clients = sqlite3_column_int64(st, 3);
    return ERR_OK;
}

enum err store__sqlite_account_list(struct store_tx *tx, struct arena *a, struct account_row **out,
                                    size_t *n)
{
    return store__sqlite_list(TX_CONN(tx), Q_ACCOUNT_LIST, SQ_NONE, a, sizeof(**out), account_row,
                              NULL, out, n);
}

/* ---- API clients ---- */

enum err store__sqlite_client_insert(struct store_tx *tx, const char *account_id,
                                     const char *client_id, const uint8_t hash[SECRET_HASH_LEN],
                                     int64_t now)
{
    return store__sqlite_exec(TX_CONN(tx), Q_CLIENT_INSERT,
                              SQ_ARGS(SQ_TEXT(client_id), SQ_TEXT(account_id),
                                      SQ_BLOB(hash, SECRET_HASH_LEN), SQ_INT(now)),
                              NULL);
}

/* A client's row: where its account id, hash and revocation time go. */
struct client_out {
    char *account_id;
    uint8_t *hash;
    int64_t *revoked_at;
};

static enum err client_row(void *ctx, struct arena *a, sqlite3_stmt *st, void *elem, size_t i)
{
    struct client_out *o = elem;
    store__sqlite_col_id(st, 0, o->account_id);
    bool ok = store__sqlite_col_blob(st, 1, o->hash, SECRET_HASH_LEN);
    *o->revoked_at = sqlite3_column_int64(st, 2);
    return ok ? ERR_OK : store__sqlite_corrupt("api_clients.secret_hash");
}

enum err store__sqlite_client_get(struct store_tx *tx, const char *client_id,
                                  char account_id[ID_LEN + 1], uint8_t hash[SECRET_HASH_LEN],
                                  int64_t *revoked_at)
{
    struct client_out o = {account_id, hash, revoked_at};
    return store__sqlite_get(TX_CONN(tx), Q_CLIENT_GET, SQ_ARGS(SQ_TEXT(client_id)), NULL,
                             client_row, NULL, &o);
}

enum err store__sqlite_client_revoke(struct store_tx *tx, const char *client_id, int64_t now)
{
    return store__sqlite_changed(TX_CONN(tx), Q_CLIENT_REVOKE,
                                 SQ_ARGS(SQ_TEXT(client_id), SQ_INT(now)), NULL);
}

static enum err client_list_row(void *ctx, struct arena *a, sqlite3_stmt *st, void *elem, size_t i)
{
    struct client_row *r = elem;
    store__sqlite_col_id(st, 0, r->id);
    store__sqlite_col_id(st, 1, r->account_id);
    r->created_at = sqlite3_column_int64(st, 3);
    r->revoked_at = sqlite3_column_int64(st, 4);
    r->account_name = store__sqlite_col_str(a, st, 2);
    return ERR_OK;
}

enum err store__sqlite_client_list(struct store_tx *tx, struct arena *a, struct client_row **out,
                                   size_t *n)
{
    return store__sqlite_list(TX_CONN(tx), Q_CLIENT_LIST, SQ_NONE, a, sizeof(**out),
                              client_list_row, NULL, out, n);
}

/* The test twin's reset (store_account_reset). */
enum err store__sqlite_account_reset(struct store_tx *tx, const char *account)
{
    struct store__sqlite_conn *c = store__sqlite_conn_of(tx);
    for (size_t i = 0; store__reset_sql[i]; i++) {
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(c->db, store__reset_sql[i], -1, &st, NULL);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_text(st, 1, account, -1, SQLITE_STATIC);
        if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_DONE)
            rc = SQLITE_OK;
        sqlite3_finalize(st);
        if (rc != SQLITE_OK)
            return store__sqlite_fail(c, rc, store__reset_sql[i]);
    }
    return ERR_OK;
}
