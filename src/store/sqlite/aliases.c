/*
 * The SQLite backend's aliases: alternative values that name a customer,
 * unique per account among the live ones (see backend.h). Their keyset
 * list is lists.c's.
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

enum err store__sqlite_alias_from_row(void *ctx, struct arena *a, sqlite3_stmt *st, void *elem,
                                      size_t i)
{
    struct alias *out = elem;
    memset(out, 0, sizeof(*out));
    store__sqlite_col_id(st, 0, out->id);
    snprintf(out->account_id, sizeof(out->account_id), "%s", (const char *)ctx);
    store__sqlite_col_id(st, 1, out->customer_id);
    out->value = store__sqlite_col_str(a, st, 2);
    out->label = store__sqlite_col_str(a, st, 3);
    out->created_at = sqlite3_column_int64(st, 4);
    out->deleted_at = sqlite3_column_int64(st, 5);
    return ERR_OK;
}

enum err store__sqlite_alias_insert(struct store_tx *tx, const char *account,
                                    const struct alias *al)
{
    int src;
    enum err rc = store__sqlite_exec(
        TX_CONN(tx), Q_ALIAS_INSERT,
        SQ_ARGS(SQ_TEXT(account), SQ_TEXT(al->id), SQ_TEXT(al->customer_id), SQ_TEXT(al->value),
                SQ_TEXT(al->label), SQ_INT(al->created_at), SQ_TIME(al->deleted_at)),
        &src);
    return src == SQLITE_CONSTRAINT_UNIQUE ? ERR_ALIAS_EXISTS : rc;
}

/* The live alias that `key` names: its id (Q_ALIAS_GET) or its value
 * (Q_ALIAS_GET_BY_VALUE). */
static enum err alias_one(struct store_tx *tx, enum store__sqlite_stmt id, struct arena *a,
                          const char *account, const char *key, struct alias *out)
{
    return store__sqlite_get(TX_CONN(tx), id, SQ_ARGS(SQ_TEXT(account), SQ_TEXT(key)), a,
                             store__sqlite_alias_from_row, (void *)account, out);
}

enum err store__sqlite_alias_get(struct store_tx *tx, struct arena *a, const char *account,
                                 const char *id, struct alias *out)
{
    return alias_one(tx, Q_ALIAS_GET, a, account, id, out);
}

enum err store__sqlite_alias_get_by_value(struct store_tx *tx, struct arena *a, const char *account,
                                          const char *value, struct alias *out)
{
    return alias_one(tx, Q_ALIAS_GET_BY_VALUE, a, account, value, out);
}

enum err store__sqlite_alias_list_for_customer(struct store_tx *tx, struct arena *a,
                                               const char *account, const char *customer_id,
                                               struct alias **out, size_t *n)
{
    return store__sqlite_list(TX_CONN(tx), Q_ALIASES_OF_CUSTOMER,
                              SQ_ARGS(SQ_TEXT(account), SQ_TEXT(customer_id)), a, sizeof(**out),
                              store__sqlite_alias_from_row, (void *)account, out, n);
}

enum err store__sqlite_alias_update(struct store_tx *tx, const char *account,
                                    const struct alias *al)
{
    int src;
    enum err rc = store__sqlite_changed(
        TX_CONN(tx), Q_ALIAS_UPDATE,
        SQ_ARGS(SQ_TEXT(account), SQ_TEXT(al->id), SQ_TEXT(al->label), SQ_TIME(al->deleted_at)),
        &src);
    return src == SQLITE_CONSTRAINT_UNIQUE ? ERR_ALIAS_EXISTS : rc;
}
