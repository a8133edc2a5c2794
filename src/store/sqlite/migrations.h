/*
 * The SQLite schema as numbered migrations (internal to src/store/sqlite).
 * A migration, once released, is never edited: schema changes append a new
 * one. sqlite.c applies the pending ones at open, inside one transaction.
 */
#ifndef KINSHIP_STORE_SQLITE_MIGRATIONS_H
#define KINSHIP_STORE_SQLITE_MIGRATIONS_H

#include <stddef.h>

struct store__sqlite_migration {
    int version; /* strictly increasing from 1 */
    const char *sql;
};

extern const struct store__sqlite_migration store__sqlite_migrations[];
extern const size_t store__sqlite_n_migrations;

#endif
