/* The PostgreSQL half of emptying one account (../reset.h). */
#include "internal.h"
#include "../reset.h"

enum err store__pg_account_reset(struct store_tx *tx, const char *account)
{
    struct store__pg_params p = {0};
    store__pg_text(&p, account);
    for (size_t i = 0; store__reset_sql[i]; i++) {
        enum err rc = ERR_OK;
        PGresult *r = store__pg_run(store__pg_tx_of(tx), NULL, store__reset_sql[i], &p, &rc);
        if (!r)
            return rc;
        PQclear(r);
    }
    return ERR_OK;
}
