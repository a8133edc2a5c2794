/*
 * The PostgreSQL backend's notification policies (see backend.h; the SQL
 * is notify_sql.h's, their pages lists.c's). A policy is one row: its
 * types as ",A,B," (NULL: every type) and its recipients one a line. In a
 * write a policy is read FOR UPDATE, so that two writes that change its
 * lists run one after the other.
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

void store__pg_policy_row(struct arena *a, const PGresult *r, int row, int col, const void *ctx,
                          void *item)
{
    struct notification_policy *p = item;
    memset(p, 0, sizeof(*p));
    store__pg_id_copy(p->id, r, row, col);
    snprintf(p->account_id, sizeof(p->account_id), "%s", (const char *)ctx);
    p->name = store__pg_str0(a, r, row, col + 1);
    p->channel = strcmp(PQgetvalue(r, row, col + 2), "EMAIL") == 0 ? "EMAIL" : "WEBHOOK";
    p->secret = store__pg_str(a, r, row, col + 3);
    p->all_types = PQgetisnull(r, row, col + 4);
    if (!p->all_types)
        policy_list_split(a, PQgetvalue(r, row, col + 4), ',', &p->types, &p->n_types);
    policy_list_split(a, PQgetvalue(r, row, col + 5), '\n', &p->recipients, &p->n_recipients);
    p->created_at = store__pg_num(r, row, col + 6);
}

/* Appends the types and recipients texts of `p` (made in the transaction's
 * scratch arena) to the parameters. */
static void lists_params(struct store_tx *tx, const struct notification_policy *p,
                         struct store__pg_params *pp)
{
    struct arena *a = store__pg_scratch(store__pg_tx_of(tx));
    store__pg_text(pp, p->all_types ? NULL : policy_list_join(a, p->types, p->n_types, ','));
    store__pg_text(pp, policy_list_join(a, p->recipients, p->n_recipients, '\n'));
}

enum err store__pg_policy_insert(struct store_tx *tx, const char *account,
                                 const struct notification_policy *p)
{
    struct store__pg_params pp = {0};
    store__pg_texts(&pp, account, p->id, p->name, p->channel, p->secret);
    lists_params(tx, p, &pp);
    store__pg_i64(&pp, p->created_at);
    return store__pg_exec(tx, PG_ST_POLICY_INSERT, &pp, NULL);
}

enum err store__pg_policy_get(struct store_tx *tx, struct arena *a, const char *account,
                              const char *id, struct notification_policy *out)
{
    struct store__pg_params p = {0};
    store__pg_texts(&p, account, id);
    enum store__pg_st st = store__pg_tx_of(tx)->writing ? PG_ST_POLICY_LOCK : PG_ST_POLICY_GET;
    return store__pg_row(tx, a, st, &p, NULL, store__pg_policy_row, account, out);
}

enum err store__pg_policy_update(struct store_tx *tx, const char *account,
                                 const struct notification_policy *p)
{
    struct store__pg_params pp = {0};
    store__pg_texts(&pp, account, p->id);
    lists_params(tx, p, &pp);
    return store__pg_exec_hit(tx, PG_ST_POLICY_UPDATE, &pp, ERR_NOT_FOUND);
}

enum err store__pg_policy_delete(struct store_tx *tx, const char *account, const char *id)
{
    struct store__pg_params p = {0};
    store__pg_texts(&p, account, id);
    return store__pg_exec_hit(tx, PG_ST_POLICY_DELETE, &p, ERR_NOT_FOUND);
}
