/*
 * The SQLite backend's contacts of a customer (see backend.h). A customer
 * update archives the old ones and inserts the new (customers.c).
 */
#include "internal.h"

#include <string.h>

static enum err contact_row(void *ctx, struct arena *a, sqlite3_stmt *st, void *elem, size_t i)
{
    struct contact *out = elem;
    memset(out, 0, sizeof(*out));
    store__sqlite_col_id(st, 0, out->id);
    out->name = store__sqlite_col_str(a, st, 1);
    out->email = store__sqlite_col_str(a, st, 2);
    const char *pref = (const char *)sqlite3_column_text(st, 3);
    if (!pref || !billing_pref_parse(pref, &out->pref))
        return store__sqlite_corrupt("contacts.billing_preference");
    out->created_at = sqlite3_column_int64(st, 4);
    out->updated_at = sqlite3_column_int64(st, 5);
    out->archived_at = sqlite3_column_int64(st, 6);
    return ERR_OK;
}

enum err store__sqlite_contact_list(struct store_tx *tx, struct arena *a, const char *account,
                                    const char *customer_id, bool include_archived,
                                    struct contact **out, size_t *n)
{
    return store__sqlite_list(TX_CONN(tx), include_archived ? Q_CONTACTS_ALL : Q_CONTACTS_ACTIVE,
                              SQ_ARGS(SQ_TEXT(account), SQ_TEXT(customer_id)), a, sizeof(**out),
                              contact_row, NULL, out, n);
}

enum err store__sqlite_contact_get(struct store_tx *tx, struct arena *a, const char *account,
                                   const char *customer_id, const char *id, struct contact *out)
{
    return store__sqlite_get(TX_CONN(tx), Q_CONTACT_GET,
                             SQ_ARGS(SQ_TEXT(account), SQ_TEXT(customer_id), SQ_TEXT(id)), a,
                             contact_row, NULL, out);
}

/* Q_CONTACT_INSERT (?1..?9), or Q_CONTACT_UPDATE (ERR_NOT_FOUND when there
 * is no such contact), which leaves out created_at (?7). */
static enum err contact_write(struct store_tx *tx, const char *account, const char *customer_id,
                              const struct contact *ct, bool insert)
{
    int64_t updated = insert && !ct->updated_at ? ct->created_at : ct->updated_at;
    struct store__sqlite_args args = SQ_ARGS(
        SQ_TEXT(account), SQ_TEXT(customer_id), SQ_TEXT(ct->id), SQ_TEXT(ct->name),
        SQ_TEXT(ct->email), SQ_TEXT(billing_pref_name(ct->pref)),
        insert ? SQ_INT(ct->created_at) : SQ_SKIP, SQ_INT(updated), SQ_TIME(ct->archived_at));
    if (insert)
        return store__sqlite_exec(TX_CONN(tx), Q_CONTACT_INSERT, args, NULL);
    return store__sqlite_changed(TX_CONN(tx), Q_CONTACT_UPDATE, args, NULL);
}

enum err store__sqlite_contact_insert(struct store_tx *tx, const char *account,
                                      const char *customer_id, const struct contact *ct)
{
    return contact_write(tx, account, customer_id, ct, true);
}

enum err store__sqlite_contact_update(struct store_tx *tx, const char *account,
                                      const char *customer_id, const struct contact *ct)
{
    return contact_write(tx, account, customer_id, ct, false);
}
