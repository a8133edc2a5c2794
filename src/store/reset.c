/*
 * Emptying one account (reset.h): the statements both backends run, and the
 * choice of backend. It is not in the backend table (backend.h) because it
 * serves the test twin alone.
 */
#include "reset.h"
#include "backend.h"

#include <string.h>

const char *const store__reset_sql[] = {
    "DELETE FROM organization_members WHERE account_id = $1",
    "DELETE FROM organizations WHERE account_id = $1",
    "DELETE FROM aliases WHERE account_id = $1",
    "DELETE FROM contacts WHERE account_id = $1",
    "DELETE FROM customer_properties WHERE account_id = $1",
    "DELETE FROM idempotency_keys WHERE account_id = $1",
    "DELETE FROM customers WHERE account_id = $1",
    NULL,
};

enum err store_account_reset(struct store_tx *tx, const char *account)
{
    if (strcmp(tx->be->name, "sqlite") == 0)
        return store__sqlite_account_reset(tx, account);
    return store__pg_account_reset(tx, account);
}
