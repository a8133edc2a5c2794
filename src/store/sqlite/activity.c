/*
 * The SQLite backend's activity log: one row an entry, written inside the
 * write it records (store.c's write body), purged by age a batch at a time.
 * Its keyset list is lists.c's.
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

enum err store__sqlite_activity_get(struct store_tx *tx, struct arena *a, const char *account,
                                    const char *id, struct activity_entry *out)
{
    return store__sqlite_get(TX_CONN(tx), Q_ACTIVITY_GET, SQ_ARGS(SQ_TEXT(account), SQ_TEXT(id)), a,
                             store__sqlite_activity_from_row, (void *)account, out);
}
