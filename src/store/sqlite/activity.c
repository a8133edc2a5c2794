/*
 * The SQLite backend's activity log and outbox: one row an entry or event,
 * written inside the write it records (store.c's write body); entries are
 * purged by age a batch at a time. The log's keyset list is lists.c's.
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

enum err store__sqlite_activity_from_row(void *ctx, struct arena *a, sqlite3_stmt *st, void *elem,
                                         size_t i)
{
    (void)i;
    struct activity_entry *out = elem;
    memset(out, 0, sizeof(*out));
    store__sqlite_col_id(st, 0, out->id);
    store__sqlite_col_id(st, 1, out->item_id);
    snprintf(out->account_id, sizeof(out->account_id), "%s", (const char *)ctx);
    out->created_at = sqlite3_column_int64(st, 2);
    out->trace_id = store__sqlite_col_str(a, st, 3);
    out->actor_id = store__sqlite_col_str(a, st, 4);
    out->object_type = store__sqlite_col_str(a, st, 5);
    out->object_id = store__sqlite_col_str(a, st, 6);
    out->entity_id = store__sqlite_col_str(a, st, 7);
    out->verb = store__sqlite_col_str(a, st, 8);
    if (!out->object_type || !out->object_id || !out->verb)
        return store__sqlite_corrupt("activity_logs row");
    return ERR_OK;
}

enum err store__sqlite_activity_insert(struct store_tx *tx, const struct activity_entry *e)
{
    return store__sqlite_exec(
        TX_CONN(tx), Q_ACTIVITY_INSERT,
        SQ_ARGS(SQ_TEXT(e->account_id), SQ_TEXT(e->id), SQ_TEXT(e->item_id), SQ_INT(e->created_at),
                SQ_TEXT(e->trace_id), SQ_TEXT(e->actor_id), SQ_TEXT(e->object_type),
                SQ_TEXT(e->object_id), SQ_TEXT(e->entity_id), SQ_TEXT(e->verb)),
        NULL);
}

enum err store__sqlite_activity_purge(struct store_tx *tx, int64_t before)
{
    return store__sqlite_exec(TX_CONN(tx), Q_ACTIVITY_PURGE, SQ_ARGS(SQ_INT(before)), NULL);
}

enum err store__sqlite_event_insert(struct store_tx *tx, const char *account,
                                    const struct outbox_event *e)
{
    char like[96];
    snprintf(like, sizeof(like), ",%s,", e->type);
    return store__sqlite_exec(
        TX_CONN(tx), Q_EVENT_INSERT,
        SQ_ARGS(SQ_TEXT(account), SQ_TEXT(e->id), SQ_TEXT(e->type), SQ_TEXT(e->resource_type),
                SQ_TEXT(e->resource_id), SQ_TEXT(e->detail), SQ_TEXT(like),
                SQ_INT(!notification_type_is_kinship(e->type)), SQ_INT(e->created_at)),
        NULL);
}

enum err store__sqlite_activity_get(struct store_tx *tx, struct arena *a, const char *account,
                                    const char *id, struct activity_entry *out)
{
    return store__sqlite_get(TX_CONN(tx), Q_ACTIVITY_GET, SQ_ARGS(SQ_TEXT(account), SQ_TEXT(id)), a,
                             store__sqlite_activity_from_row, (void *)account, out);
}
