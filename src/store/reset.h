/*
 * Emptying one account: the test twin's reset (POST /_kinship/reset, see
 * docs/console.md). Test only: nothing in the API deletes a customer, and
 * this deletes every one of the account's.
 */
#ifndef KINSHIP_STORE_RESET_H
#define KINSHIP_STORE_RESET_H

#include "store.h"

/*
 * Deletes, inside the write transaction `tx`, every customer of `account`
 * with its contacts, properties and aliases, every organization and
 * membership, and every Idempotency-Key record. The account and its API
 * clients stay. Errors: the store's (ERR_UNAVAILABLE, ERR_INTERNAL).
 */
enum err store_account_reset(struct store_tx *tx, const char *account);

/* The statements, in the order they run (children before parents); both
 * dialects read `$1` as the account id. NULL-terminated. */
extern const char *const store__reset_sql[];

/* Each backend's runner of store__reset_sql (sqlite/reset.c, pg/reset.c). */
enum err store__sqlite_account_reset(struct store_tx *tx, const char *account);
enum err store__pg_account_reset(struct store_tx *tx, const char *account);

#endif
