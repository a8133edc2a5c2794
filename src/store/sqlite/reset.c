/* The SQLite half of emptying one account (../reset.h). */
#include "internal.h"
#include "../reset.h"

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
