/*
 * The PostgreSQL backend's activity log and outbox (the SQL is
 * notify_sql.h's, the pages lists.c's). A write's entry, its events and the
 * occasional purge are queued (store__pg_exec_later): they ride with the
 * write's COMMIT and cost no round trip of their own.
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

void store__pg_activity_row(struct arena *a, const PGresult *r, int row, int col, const void *ctx,
                            void *item)
{
    struct activity_entry *e = item;
    memset(e, 0, sizeof(*e));
    store__pg_id_copy(e->id, r, row, col);
    store__pg_id_copy(e->item_id, r, row, col + 1);
    snprintf(e->account_id, sizeof(e->account_id), "%s", (const char *)ctx);
    e->created_at = store__pg_num(r, row, col + 2);
    e->trace_id = store__pg_str(a, r, row, col + 3);
    e->actor_id = store__pg_str(a, r, row, col + 4);
    e->object_type = store__pg_str0(a, r, row, col + 5);
    e->object_id = store__pg_str0(a, r, row, col + 6);
    e->entity_id = store__pg_str(a, r, row, col + 7);
    e->verb = store__pg_str0(a, r, row, col + 8);
}

enum err store__pg_activity_insert(struct store_tx *tx, const struct activity_entry *e)
{
    struct store__pg_params p = {0};
    store__pg_texts(&p, e->account_id, e->id, e->item_id);
    store__pg_i64(&p, e->created_at);
    store__pg_texts(&p, e->trace_id, e->actor_id, e->object_type, e->object_id, e->entity_id,
                    e->verb);
    return store__pg_exec_later(tx, PG_ST_ACTIVITY_INSERT, &p);
}

enum err store__pg_activity_purge(struct store_tx *tx, int64_t before)
{
    struct store__pg_params p = {0};
    store__pg_i64(&p, before);
    return store__pg_exec_later(tx, PG_ST_ACTIVITY_PURGE, &p);
}

enum err store__pg_event_insert(struct store_tx *tx, const char *account,
                                const struct outbox_event *e)
{
    struct store__pg_params p = {0};
    store__pg_texts(&p, account, e->id, e->type, e->resource_type, e->resource_id, e->detail);
    store__pg_text(&p, arena_printf(store__pg_scratch(store__pg_tx_of(tx)), ",%s,", e->type));
    store__pg_bool(&p, !notification_type_is_kinship(e->type));
    store__pg_i64(&p, e->created_at);
    return store__pg_exec_later(tx, PG_ST_EVENT_INSERT, &p);
}

enum err store__pg_activity_get(struct store_tx *tx, struct arena *a, const char *account,
                                const char *id, struct activity_entry *out)
{
    struct store__pg_params p = {0};
    store__pg_texts(&p, account, id);
    return store__pg_row(tx, a, PG_ST_ACTIVITY_GET, &p, NULL, store__pg_activity_row, account, out);
}
