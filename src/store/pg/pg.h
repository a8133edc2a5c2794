/*
 * Internals of the PostgreSQL backend (only src/store/pg includes this).
 *
 * pg.c owns connections: a bounded per-process pool, statement execution
 * with client-side deadlines, transactions and their retry policy.
 * pg_queries.c holds every primitive's SQL and the backend table;
 * pg_migrations.c the numbered schema migrations.
 *
 * A transaction's BEGIN is sent lazily, pipelined with its first statement,
 * and a statement is prepared on a connection the first time it runs there
 * (pipelined too), so both cost no extra round trip.
 */
#ifndef KINSHIP_STORE_PG_H
#define KINSHIP_STORE_PG_H

#include "../backend.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

/* A statement prepared by name on each connection that runs it. */
struct store__pg_stmt {
    int idx; /* < STORE__PG_STMT_MAX: bit in a connection's prepared set */
    const char *name, *sql;
};

#define STORE__PG_STMT_MAX 64

/* Parameters of one statement, all sent as text except binary ones.
 * Values are borrowed, except numbers, which live in `num`. */
#define STORE__PG_PARAMS_MAX 32

struct store__pg_params {
    int n;
    const char *v[STORE__PG_PARAMS_MAX];
    int len[STORE__PG_PARAMS_MAX];
    int fmt[STORE__PG_PARAMS_MAX];
    char num[STORE__PG_PARAMS_MAX][24];
};

/* Appends a parameter and returns its number ($n). NULL `s` is SQL NULL. */
int store__pg_text(struct store__pg_params *p, const char *s);
int store__pg_i64(struct store__pg_params *p, int64_t v);
/* A timestamp column that may be unset: 0 is SQL NULL. */
int store__pg_ts(struct store__pg_params *p, int64_t v);
int store__pg_bool(struct store__pg_params *p, bool v);
/* Binary (bytea), `n` bytes of `b`. */
int store__pg_bin(struct store__pg_params *p, const void *b, int n);

/* Why a transaction failed, which decides whether it is retried. */
enum store__pg_fail {
    PG_FAIL_NONE,
    PG_FAIL_RETRY,   /* serialization failure or deadlock */
    PG_FAIL_UNIQUE,  /* unique violation: maybe a race, see pg.c */
    PG_FAIL_CONN,    /* the connection broke */
    PG_FAIL_TIMEOUT, /* no answer before the client deadline */
    PG_FAIL_OTHER,
};

struct store__pg_conn;
struct store__pg;

struct store__pg_tx {
    struct store_tx base;
    struct store__pg *s;
    struct store__pg_conn *c;
    const char *begin; /* BEGIN not sent yet (sent with the first statement) */
    bool begun;        /* a transaction is open on the server */
    bool failed;       /* a statement failed: nothing more runs */
    enum store__pg_fail fail;
    enum err fail_err;   /* what the failed statement answered */
    char constraint[64]; /* with PG_FAIL_UNIQUE */
    int ok;              /* statements that succeeded */
    int timeout_ms;      /* server-side bound of one statement */
    bool idem_written;
    struct arena *scratch; /* lazily created, freed with the transaction */
    /* Customers and organizations this transaction inserted and has not
     * changed since (read-your-writes, pg_queries.c), in scratch. */
    struct store__pg_fresh_customer *fresh_customers;
    struct store__pg_fresh_org *fresh;
};

/*
 * Runs a prepared statement (or, with stmt NULL, the text `sql`) with `p`
 * (NULL: no parameters). Returns the result, which the caller PQclear()s,
 * or NULL with *rc set: ERR_UNAVAILABLE when the connection broke or a
 * timeout passed, ERR_CONFLICT for a serialization failure, the mapped
 * error of a constraint, ERR_INTERNAL otherwise. After a failure the
 * transaction is aborted and every later call fails the same way.
 */
PGresult *store__pg_run(struct store__pg_tx *t, const struct store__pg_stmt *stmt, const char *sql,
                        const struct store__pg_params *p, enum err *rc);
/* Scratch memory that lives as long as the transaction. */
struct arena *store__pg_scratch(struct store__pg_tx *t);

static inline struct store__pg_tx *store__pg_tx_of(struct store_tx *tx)
{
    return (struct store__pg_tx *)tx;
}

/* Applies pending migrations in one transaction under an advisory lock. */
enum err store__pg_migrate(struct store__pg_tx *t);

extern const struct store_backend store__pg_backend;

void store__pg_close(struct store *s);
bool store__pg_ping(struct store *s);
enum err store__pg_read(struct store *s, store_fn fn, void *arg);
enum err store__pg_write(struct store *s, struct store_write *w);
/* Deletes a bounded batch of expired Idempotency-Key records, outside any
 * transaction; failures are ignored. */
void store__pg_idem_purge(struct store__pg_tx *t);

#endif
