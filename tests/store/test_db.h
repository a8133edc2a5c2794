/*
 * The database a store-level suite runs on (tests/store and tests/rules):
 * KINSHIP_TEST_STORE names the backend,
 *   sqlite  (the default) a fresh database file in a new temporary directory;
 *   pg      the database at KINSHIP_TEST_PG_URL (required; each suite makes
 *           accounts of its own, so runs on a shared server never meet).
 */
#ifndef KINSHIP_TEST_DB_H
#define KINSHIP_TEST_DB_H

#include <stddef.h>

#include "../../src/store/store.h"

struct test_db {
    char url[4096];
    char dir[256];     /* sqlite: the temporary directory; "" on pg */
    char db_path[512]; /* sqlite: the database file; "" on pg */
};

/* Readies the process for a store (libsodium; logs of errors only), sets
 * up db (a directory named after `prefix` on SQLite) and opens the store
 * there with the default options; fails the test when it cannot. */
void test_db_open(struct test_db *db, const char *prefix, struct store **out);

/* Closes the store (NULL: nothing to close) and removes the SQLite
 * directory with every file a test left in it. */
void test_db_close(struct test_db *db, struct store *s);

#endif
