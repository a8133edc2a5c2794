/*
 * Why a SQLite database cannot be opened for writing, in words an operator
 * can act on. SQLite itself says only "unable to open database file" or
 * "attempt to write a readonly database", and kinship needs to write the
 * database file and create its -wal and -shm files beside it.
 */
#ifndef KINSHIP_STORE_SQLITE_UNWRITABLE_H
#define KINSHIP_STORE_SQLITE_UNWRITABLE_H

#include <stdbool.h>
#include <stddef.h>

/* Looks at the database `path`, its directory and its -wal and -shm files,
 * and writes the first reason found why kinship cannot write them into
 * `out` (cap bytes): a read-only file system, a directory that is missing
 * or not writable, a file that is not writable. False (out empty) when it
 * finds none. */
bool store__sqlite_why_unwritable(const char *path, char *out, size_t cap);

/* Logs as an error that the database `path` could not be opened or set up
 * (`what`, and SQLite's words in `detail`), with before them the reason
 * the files cannot be written, when there is one (SQLite says "unable to
 * open database file" for a read-only directory). */
void store__sqlite_open_failed(const char *path, const char *what, const char *detail);

#endif
