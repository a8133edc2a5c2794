/*
 * The PostgreSQL backend's aliases (their list pages are in lists.c).
 */
#include "internal.h"

enum err store__pg_alias_insert(struct store_tx *tx, const char *account, const struct alias *al)
{
    struct store__pg_params p = {0};
    store__pg_texts(&p, account, al->id, al->customer_id, al->value, al->label);
    store__pg_i64(&p, al->created_at);
    store__pg_ts(&p, al->deleted_at);
    return store__pg_exec_hit(tx, PG_ST_ALIAS_INSERT, &p, ERR_ALIAS_EXISTS);
}

enum err store__pg_alias_get(struct store_tx *tx, struct arena *a, const char *account,
                             const char *id, struct alias *out)
{
    struct store__pg_params p = {0};
    store__pg_texts(&p, account, id);
    return store__pg_row(tx, a, PG_ST_ALIAS_GET, &p, NULL, store__pg_alias_row, account, out);
}

enum err store__pg_alias_get_by_value(struct store_tx *tx, struct arena *a, const char *account,
                                      const char *value, struct alias *out)
{
    /* a read: the customer too (the by-alias route reads it next) */
    if (store__pg_read_first(tx))
        return store__pg_alias_whole(tx, a, account, value, out);
    struct store__pg_params p = {0};
    store__pg_texts(&p, account, value);
    /* the hashed lookup: account and value checked here */
    struct store__pg_match m = {account, "value", value};
    return store__pg_row(tx, a, PG_ST_ALIAS_GET_BY_VALUE, &p, &m, store__pg_alias_row, account,
                         out);
}

enum err store__pg_alias_list_for_customer(struct store_tx *tx, struct arena *a,
                                           const char *account, const char *customer_id,
                                           struct alias **out, size_t *n)
{
    struct store__pg_params p = {0};
    store__pg_texts(&p, account, customer_id);
    return store__pg_rows(tx, a, PG_ST_ALIAS_LIST_FOR_CUSTOMER, &p, store__pg_alias_row, account,
                          sizeof(**out), out, n);
}

enum err store__pg_alias_update(struct store_tx *tx, const char *account, const struct alias *al)
{
    struct store__pg_params p = {0};
    store__pg_texts(&p, account, al->id, al->label);
    store__pg_ts(&p, al->deleted_at);
    return store__pg_exec_hit(tx, PG_ST_ALIAS_UPDATE, &p, ERR_NOT_FOUND);
}
