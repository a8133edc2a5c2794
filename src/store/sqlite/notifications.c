/*
 * The SQLite backend's notification policies (see backend.h). A policy is
 * one row: its types as ",A,B," (NULL: every type) and its recipients one
 * a line (domain/notifications.h's list texts). Their keyset list is
 * lists.c's.
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

enum err store__sqlite_policy_from_row(void *ctx, struct arena *a, sqlite3_stmt *st, void *elem,
                                       size_t i)
{
    (void)i;
    struct notification_policy *out = elem;
    memset(out, 0, sizeof(*out));
    store__sqlite_col_id(st, 0, out->id);
    snprintf(out->account_id, sizeof(out->account_id), "%s", (const char *)ctx);
    out->name = store__sqlite_col_str(a, st, 1);
    const char *channel = (const char *)sqlite3_column_text(st, 2);
    out->channel = channel && strcmp(channel, "EMAIL") == 0 ? "EMAIL" : "WEBHOOK";
    out->secret = store__sqlite_col_str(a, st, 3);
    const char *types = (const char *)sqlite3_column_text(st, 4);
    out->all_types = types == NULL;
    if (types)
        policy_list_split(a, types, ',', &out->types, &out->n_types);
    const char *rs = (const char *)sqlite3_column_text(st, 5);
    policy_list_split(a, rs ? rs : "", '\n', &out->recipients, &out->n_recipients);
    out->created_at = sqlite3_column_int64(st, 6);
    return ERR_OK;
}

/* The texts the row keeps the lists in, in the arena `a`. */
static void policy_texts(struct arena *a, const struct notification_policy *p, const char **types,
                         const char **recipients)
{
    *types = p->all_types ? NULL : policy_list_join(a, p->types, p->n_types, ',');
    *recipients = policy_list_join(a, p->recipients, p->n_recipients, '\n');
}

enum err store__sqlite_policy_insert(struct store_tx *tx, const char *account,
                                     const struct notification_policy *p)
{
    struct arena *a = arena_create();
    const char *types, *recipients;
    policy_texts(a, p, &types, &recipients);
    enum err rc = store__sqlite_exec(
        TX_CONN(tx), Q_POLICY_INSERT,
        SQ_ARGS(SQ_TEXT(account), SQ_TEXT(p->id), SQ_TEXT(p->name), SQ_TEXT(p->channel),
                SQ_TEXT(p->secret), SQ_TEXT(types), SQ_TEXT(recipients), SQ_INT(p->created_at)),
        NULL);
    arena_destroy(a);
    return rc;
}

enum err store__sqlite_policy_get(struct store_tx *tx, struct arena *a, const char *account,
                                  const char *id, struct notification_policy *out)
{
    return store__sqlite_get(TX_CONN(tx), Q_POLICY_GET, SQ_ARGS(SQ_TEXT(account), SQ_TEXT(id)), a,
                             store__sqlite_policy_from_row, (void *)account, out);
}

enum err store__sqlite_policy_update(struct store_tx *tx, const char *account,
                                     const struct notification_policy *p)
{
    struct arena *a = arena_create();
    const char *types, *recipients;
    policy_texts(a, p, &types, &recipients);
    enum err rc = store__sqlite_changed(
        TX_CONN(tx), Q_POLICY_UPDATE,
        SQ_ARGS(SQ_TEXT(account), SQ_TEXT(p->id), SQ_TEXT(types), SQ_TEXT(recipients)), NULL);
    arena_destroy(a);
    return rc;
}

enum err store__sqlite_policy_delete(struct store_tx *tx, const char *account, const char *id)
{
    return store__sqlite_changed(TX_CONN(tx), Q_POLICY_DELETE,
                                 SQ_ARGS(SQ_TEXT(account), SQ_TEXT(id)), NULL);
}
