/*
 * Internal to src/store/sqlite: what the connection engine (sqlite.c) and
 * the SQL primitives (queries.c) share. The engine owns connections, the
 * reader pool, the group-commit writer and error mapping; queries.c owns the
 * statements and the backend table.
 */
#ifndef KINSHIP_STORE_SQLITE_INT_H
#define KINSHIP_STORE_SQLITE_INT_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "../backend.h"

/* Upper bounds of the per-connection statement caches (queries.c checks
 * its statement count against the first at compile time). */
#define SQLITE_FIXED_MAX 80
#define SQLITE_DYN_MAX 48

/* Transaction control statements, prepared once per connection. */
enum sqlite_ctl {
    CTL_BEGIN,
    CTL_BEGIN_IMMEDIATE,
    CTL_COMMIT,
    CTL_ROLLBACK,
    CTL_SAVEPOINT,
    CTL_RELEASE,
    CTL_ROLLBACK_TO,
    CTL__COUNT
};

/* One database connection and its prepared statements. It is used by one
 * thread at a time: the writer thread, or a reader holding it from the pool. */
struct store__sqlite_conn {
    sqlite3 *db;
    /* An I/O-class error (disk full, I/O error, read-only, corrupt, out of
     * memory) hit the current transaction: the writer must not commit it. */
    bool fault;
    struct store__sqlite_conn *next; /* the reader pool's free list */
    sqlite3_stmt *ctl[CTL__COUNT];
    sqlite3_stmt *fixed[SQLITE_FIXED_MAX]; /* by queries.c's statement id */
    struct {
        uint32_t key; /* the statement's shape; 0 for an empty slot */
        sqlite3_stmt *st;
    } dyn[SQLITE_DYN_MAX];
    unsigned dyn_next; /* the slot to evict next */
};

struct store__sqlite_tx {
    struct store_tx base;
    struct store__sqlite_conn *c;
};

static inline struct store__sqlite_conn *store__sqlite_conn_of(struct store_tx *tx)
{
    return ((struct store__sqlite_tx *)tx)->c;
}

/*
 * Maps a failed SQLite result code (an extended one) to the store's errors
 * and logs it: I/O-class errors become ERR_UNAVAILABLE and mark c->fault;
 * busy or locked become ERR_UNAVAILABLE; constraint violations become
 * ERR_CONFLICT (logged at debug level only: callers map the ones they
 * expect to domain errors); anything else is ERR_INTERNAL. `what` names
 * the operation (an SQL text is cut short).
 */
enum err store__sqlite_fail(struct store__sqlite_conn *c, int rc, const char *what);

/*
 * Opens the SQLite store at `path` with the backend table `be`: the writer
 * connection, pragmas, migrations, the writer thread. ERR_UNAVAILABLE when
 * the file cannot be opened or migrated; the reason is logged.
 */
enum err store__sqlite_engine_open(const char *path, const struct store_options *o,
                                   const struct store_backend *be, struct store **out);
/* The engine's entries of the backend table (see backend.h). */
void store__sqlite_close(struct store *s);
bool store__sqlite_ping(struct store *s);
enum err store__sqlite_read(struct store *s, store_fn fn, void *arg);
void store__sqlite_write_async(struct store *s, struct store_write *w, store_write_done done,
                               void *arg);
enum err store__sqlite_write(struct store *s, struct store_write *w);

#endif
