/*
 * PostgreSQL backend: the connection pool, statement execution and
 * transactions. Many kinship processes may share one database: writes run
 * at READ COMMITTED, and every rule that spans rows is enforced by unique
 * indexes and by locks taken before the rule is checked (locks.c,
 * docs/postgresql.md). A write that still meets a deadlock is retried
 * here, never by handlers; one that cannot finish answers ERR_UNAVAILABLE
 * (503), never a conflict it did not have.
 *
 * Every wait is bounded: for a free connection (busy_timeout_ms), for a
 * connection to open (connect_timeout_s), for a statement (statement_timeout
 * and lock_timeout on the server, the same plus a grace period on the
 * client). A connection that breaks is dropped and reopened on next use, so
 * the store recovers by itself when the database comes back.
 * A read sends no BEGIN for a statement that answers it whole (reads.c).
 */
#include "internal.h"
#include "../../core/clock.h"
#include "../../core/log.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WRITE_ATTEMPTS 10
#define GRACE_MS 2000 /* the client waits this much past statement_timeout */
#define MIGRATE_TIMEOUT_MS 60000
#define IDLE_TX_TIMEOUT_MS 60000
#define PURGE_EVERY 128      /* idempotent writes between purges of expired keys */
#define LOG_EVERY_US 1000000 /* at most one "unavailable" line a second */

/* ---- logging ---- */

/* libpq's messages end with a newline and may span lines: keep the first. */
static void first_line(const char *msg, char *out, size_t cap)
{
    snprintf(out, cap, "%s", msg ? msg : "");
    out[strcspn(out, "\r\n")] = '\0';
}

/* Logs that the database cannot be reached, at most once a second. */
static void log_down(struct store__pg *s, const char *op, const char *msg)
{
    int64_t now = clock_mono_us();
    long long last = atomic_load(&s->last_log_us);
    if (last && now - last < LOG_EVERY_US)
        return;
    if (!atomic_compare_exchange_strong(&s->last_log_us, &last, now))
        return;
    char line[256];
    first_line(msg, line, sizeof(line));
    log_kv(LOG_WARN, "postgresql unavailable", "op", op, "error", line, (const char *)NULL);
}

static void quiet_notices(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

/* ---- waiting on a connection ---- */

/* Waits until PQgetResult will not block. False when the deadline passed;
 * a broken connection returns true (PQgetResult then reports it). */
static bool await(PGconn *pg, int64_t deadline_us)
{
    while (PQisBusy(pg)) {
        if (PQstatus(pg) == CONNECTION_BAD)
            return true;
        int64_t left = deadline_us - clock_mono_us();
        if (left <= 0)
            return false;
        if (left > 3600LL * 1000000)
            left = 3600LL * 1000000;
        struct pollfd pfd = {.fd = PQsocket(pg), .events = POLLIN};
        if (pfd.fd < 0)
            return true;
        int n = poll(&pfd, 1, (int)((left + 999) / 1000));
        if (n < 0 && errno != EINTR)
            return true;
        if (n > 0 && !PQconsumeInput(pg))
            return true;
    }
    return true;
}

enum got { GOT_OK, GOT_TIMEOUT, GOT_BROKEN };

/* The next result (NULL at the end of a query's results). */
static enum got next_result(PGconn *pg, int64_t deadline_us, PGresult **out)
{
    *out = NULL;
    if (!await(pg, deadline_us))
        return GOT_TIMEOUT;
    *out = PQgetResult(pg);
    if (!*out && PQstatus(pg) == CONNECTION_BAD)
        return GOT_BROKEN;
    return GOT_OK;
}

static bool result_ok(const PGresult *r)
{
    ExecStatusType st = PQresultStatus(r);
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

/*
 * Reads the rest of one query's results up to its terminating NULL. With
 * `keep`, holds on to the first failed result, or else the last one (left
 * NULL when none came; the caller clears it, whatever the answer); without,
 * clears them all and stops at a broken connection.
 */
static enum got drain(PGconn *pg, int64_t deadline_us, PGresult **keep)
{
    for (int i = 0; i < 1000; i++) {
        PGresult *r;
        enum got g = next_result(pg, deadline_us, &r);
        if (g != GOT_OK)
            return g;
        if (!r)
            return GOT_OK;
        if (!keep) {
            PQclear(r);
            if (PQstatus(pg) == CONNECTION_BAD)
                return GOT_BROKEN;
        } else if (*keep && !result_ok(*keep)) {
            PQclear(r); /* keep the first error */
        } else {
            PQclear(*keep);
            *keep = r;
        }
    }
    return GOT_BROKEN;
}

/* Runs `sql` by the simple protocol (several statements allowed) outside
 * any transaction machinery. True when every statement succeeded. */
static bool simple(PGconn *pg, const char *sql, int64_t deadline_us, char *err, size_t cap)
{
    if (!PQsendQuery(pg, sql)) {
        first_line(PQerrorMessage(pg), err, cap);
        return false;
    }
    PGresult *r = NULL;
    enum got g = drain(pg, deadline_us, &r);
    bool ok = g == GOT_OK && (!r || result_ok(r));
    if (g != GOT_OK)
        snprintf(err, cap, "%s", g == GOT_TIMEOUT ? "timeout" : "connection lost");
    else if (!ok)
        first_line(PQresultErrorMessage(r), err, cap);
    PQclear(r);
    return ok;
}

/* ---- connections ---- */

static void conn_free(struct store__pg_conn *c)
{
    if (c) {
        PQfinish(c->pg);
        free(c);
    }
}

static void conns_free(struct store__pg_conn *c)
{
    while (c) {
        struct store__pg_conn *next = c->next;
        conn_free(c);
        c = next;
    }
}

static int64_t deadline_after(int ms)
{
    return clock_mono_us() + (int64_t)ms * 1000;
}

/* Opens a connection with the session settings kinship relies on: bounded
 * statements and lock waits, and synchronous_commit on (a 2xx is durable). */
static struct store__pg_conn *conn_open(struct store__pg *s, bool loud)
{
    /* Later keywords win: the URL may name the application, not the rest. */
    const char *keys[] = {"application_name",    "dbname",           "client_encoding",
                          "connect_timeout",     "keepalives",       "keepalives_idle",
                          "keepalives_interval", "keepalives_count", NULL};
    const char *vals[] = {"kinship", s->url, "UTF8", s->connect_s, "1", "30", "10", "3", NULL};
    PGconn *pg = PQconnectdbParams(keys, vals, 1);
    if (!pg) {
        log_kv(LOG_ERROR, "postgresql: out of memory connecting", (const char *)NULL);
        return NULL;
    }
    if (PQstatus(pg) != CONNECTION_OK) {
        if (loud) {
            char line[256];
            first_line(PQerrorMessage(pg), line, sizeof(line));
            log_kv(LOG_ERROR, "postgresql: cannot connect", "error", line, (const char *)NULL);
        } else {
            log_down(s, "connect", PQerrorMessage(pg));
        }
        PQfinish(pg);
        return NULL;
    }
    PQsetNoticeProcessor(pg, quiet_notices, NULL);

    int t = s->base.opt.busy_timeout_ms;
    char sql[512], err[256];
    snprintf(sql, sizeof(sql),
             "SET statement_timeout = %d; SET lock_timeout = %d; "
             "SET idle_in_transaction_session_timeout = %d; SET synchronous_commit = on",
             t, t, t > IDLE_TX_TIMEOUT_MS ? t : IDLE_TX_TIMEOUT_MS);
    if (!simple(pg, sql, deadline_after(t + GRACE_MS), err, sizeof(err))) {
        if (loud)
            log_kv(LOG_ERROR, "postgresql: session setup failed", "error", err, (const char *)NULL);
        else
            log_down(s, "session setup", err);
        PQfinish(pg);
        return NULL;
    }
    struct store__pg_conn *c = xcalloc(1, sizeof(*c));
    c->pg = pg;
    return c;
}

/* True when `c` can run a new transaction: reads what earlier transactions
 * left unread (their fire-and-forget end) and checks the state. */
static bool conn_ready(struct store__pg *s, struct store__pg_conn *c)
{
    int64_t deadline = deadline_after(s->base.opt.busy_timeout_ms + GRACE_MS);
    while (c->pending > 0) {
        PGresult *r;
        if (next_result(c->pg, deadline, &r) != GOT_OK || !r)
            return false;
        bool ok = result_ok(r);
        PQclear(r);
        if (!ok || drain(c->pg, deadline, NULL) != GOT_OK)
            return false;
        c->pending--;
    }
    return PQstatus(c->pg) == CONNECTION_OK && PQtransactionStatus(c->pg) == PQTRANS_IDLE;
}

/* Hands out a connection: an idle one, a new one while the pool has room,
 * or the first one released within busy_timeout_ms. ERR_UNAVAILABLE when
 * none comes or a new one cannot be opened. */
static enum err acquire(struct store__pg *s, struct store__pg_conn **out)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    int64_t ns = until.tv_nsec + (int64_t)s->base.opt.busy_timeout_ms * 1000000;
    until.tv_sec += (time_t)(ns / 1000000000);
    until.tv_nsec = (long)(ns % 1000000000);

    struct store__pg_conn *c = NULL;
    bool open_new = false, timed_out = false;
    pthread_mutex_lock(&s->mu);
    while (!c && !open_new) {
        if (s->closing) {
            pthread_mutex_unlock(&s->mu);
            return ERR_UNAVAILABLE;
        }
        if (s->idle) {
            c = s->idle;
            s->idle = c->next;
            c->next = NULL;
        } else if (s->total < s->base.opt.pool_size) {
            s->total++;
            open_new = true;
        } else if (timed_out) {
            /* looked once more: a signal that came with the timeout is kept */
            pthread_mutex_unlock(&s->mu);
            log_down(s, "acquire", "no free connection within busy_timeout_ms");
            return ERR_UNAVAILABLE;
        } else {
            s->waiting++;
            timed_out = pthread_cond_timedwait(&s->cv, &s->mu, &until) == ETIMEDOUT;
            s->waiting--;
        }
    }
    s->busy++;
    pthread_mutex_unlock(&s->mu);

    if (c && !conn_ready(s, c)) {
        conn_free(c); /* its slot goes to the new connection */
        c = NULL;
    }
    if (!c && !(c = conn_open(s, false))) {
        pthread_mutex_lock(&s->mu);
        s->total--;
        s->busy--;
        s->closing ? pthread_cond_broadcast(&s->cv) : pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->mu);
        return ERR_UNAVAILABLE;
    }
    *out = c;
    return ERR_OK;
}

/* Returns `c` to the pool, or drops it. `drop_idle`: the connection broke,
 * so the idle ones (likely from the same server life) are dropped too. */
static void pool_put(struct store__pg *s, struct store__pg_conn *c, bool discard, bool drop_idle)
{
    struct store__pg_conn *dropped = NULL;
    if (discard) {
        conn_free(c);
        c = NULL;
    }
    pthread_mutex_lock(&s->mu);
    s->busy--;
    if (c) {
        c->next = s->idle;
        s->idle = c;
    } else {
        s->total--;
    }
    if (drop_idle) {
        dropped = s->idle;
        s->idle = NULL;
        for (struct store__pg_conn *d = dropped; d; d = d->next)
            s->total--;
    }
    /* One connection or slot came back: one waiter can use it (waking all
     * made the rest sleep again, a storm of context switches). */
    if (s->closing || (s->waiting && dropped))
        pthread_cond_broadcast(&s->cv);
    else if (s->waiting)
        pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    conns_free(dropped);
}

/* ---- transactions ---- */

static void tx_init(struct store__pg_tx *t, struct store__pg *s, const char *begin)
{
    memset(t, 0, sizeof(*t));
    t->base.be = &store__pg_backend;
    t->base.s = &s->base;
    t->s = s;
    t->begin = begin;
    t->timeout_ms = s->base.opt.busy_timeout_ms;
}

/* Ends the transaction without waiting for the answer (the next user of
 * the connection reads it), then gives the connection back. */
static void tx_release(struct store__pg_tx *t)
{
    struct store__pg_conn *c = t->c;
    bool broken = t->fail == PG_FAIL_CONN;
    bool discard = broken || t->fail == PG_FAIL_TIMEOUT || PQstatus(c->pg) != CONNECTION_OK;
    if (!discard && t->begun) {
        if (PQsendQuery(c->pg, "ROLLBACK"))
            c->pending++;
        else
            discard = true;
    }
    if (!discard && c->pending == 0 && PQtransactionStatus(c->pg) != PQTRANS_IDLE)
        discard = true;
    t->c = NULL;
    t->begun = false;
    pool_put(t->s, c, discard, broken);
}

static void tx_fini(struct store__pg_tx *t)
{
    arena_destroy(t->scratch);
    t->scratch = NULL;
}

struct arena *store__pg_scratch(struct store__pg_tx *t)
{
    if (!t->scratch)
        t->scratch = arena_create();
    return t->scratch;
}

static bool is_conn_state(const char *st)
{
    return strncmp(st, "08", 2) == 0 || strcmp(st, "57P01") == 0 || strcmp(st, "57P02") == 0 ||
           strcmp(st, "57P03") == 0;
}

/* What a unique violation means to a caller, by constraint name. */
static enum err unique_err(const char *constraint)
{
    if (strcmp(constraint, "aliases_value") == 0)
        return ERR_ALIAS_EXISTS;
    if (strcmp(constraint, "organizations_owner") == 0)
        return ERR_ORGANIZATION_EXISTS;
    return ERR_CONFLICT;
}

/* Marks the transaction failed (nothing more runs in it) and returns the
 * caller's error. */
static enum err tx_abort(struct store__pg_tx *t, enum store__pg_fail f, enum err e)
{
    t->failed = true;
    t->fail = f;
    t->fail_err = e;
    return e;
}

/* Records why the transaction failed and returns the caller's error. */
static enum err tx_fail(struct store__pg_tx *t, const PGresult *r, const char *what)
{
    const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    enum store__pg_fail f = PG_FAIL_OTHER;
    enum err e = ERR_INTERNAL;
    if (PQstatus(t->c->pg) == CONNECTION_BAD || !st || is_conn_state(st)) {
        f = PG_FAIL_CONN;
        e = ERR_UNAVAILABLE;
        log_down(t->s, what, r ? PQresultErrorMessage(r) : PQerrorMessage(t->c->pg));
    } else if (strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0) {
        f = PG_FAIL_RETRY;
        e = ERR_CONFLICT;
    } else if (strcmp(st, "23505") == 0) {
        const char *cn = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME);
        snprintf(t->constraint, sizeof(t->constraint), "%s", cn ? cn : "");
        f = PG_FAIL_UNIQUE;
        e = unique_err(t->constraint);
    } else if (strncmp(st, "23", 2) == 0) {
        e = ERR_CONFLICT;
    } else if (strcmp(st, "57014") == 0 || strcmp(st, "55P03") == 0) {
        /* statement_timeout or lock_timeout: the server cancelled the
         * statement, the connection itself is fine */
        e = ERR_UNAVAILABLE;
        log_down(t->s, what, PQresultErrorMessage(r));
    } else if (strncmp(st, "53", 2) == 0 || strncmp(st, "58", 2) == 0 || strcmp(st, "25006") == 0 ||
               strcmp(st, "57P04") == 0) {
        /* disk full, out of memory, too many connections, read-only server */
        e = ERR_UNAVAILABLE;
        log_down(t->s, what, PQresultErrorMessage(r));
    } else {
        /* Data errors (class 22) quote input values: log their code only. */
        char line[256] = "";
        if (strncmp(st, "22", 2) != 0)
            first_line(PQresultErrorMessage(r), line, sizeof(line));
        log_kv(LOG_ERROR, "postgresql: statement failed", "statement", what, "sqlstate", st,
               "error", line, (const char *)NULL);
    }
    return tx_abort(t, f, e);
}

/* Sends the prepared statement `stmt` or, with stmt NULL, `sql`. */
static int send_query(PGconn *pg, const struct store__pg_stmt *stmt, const char *sql,
                      const struct store__pg_params *p)
{
    int np = p ? p->n : 0;
    const char *const *v = p ? p->v : NULL;
    const int *len = p ? p->len : NULL, *fmt = p ? p->fmt : NULL;
    return stmt ? PQsendQueryPrepared(pg, stmt->name, np, v, len, fmt, 0)
                : PQsendQueryParams(pg, sql, np, NULL, v, len, fmt, 0);
}

/* What one round trip may carry, in the order sent: BEGIN, the API
 * client's check (with its PREPARE when new on the connection), the
 * statement's PREPARE, the statement. */
enum part { PART_BEGIN, PART_CHECK_PREP, PART_CHECK, PART_PREP, PART_STMT, PART__N };

/*
 * Sends the parts marked in `sent` as one pipeline, then reads their
 * results into res[] (NULL for what was not sent). In a pipeline the
 * statements up to the sync run as one implicit transaction; without
 * BEGIN each still takes a snapshot of its own (READ COMMITTED).
 */
static enum got send_pipeline(struct store__pg_tx *t, const struct store__pg_stmt *stmt,
                              const char *sql, const struct store__pg_params *p,
                              const bool sent[PART__N], int64_t deadline, PGresult *res[PART__N])
{
    PGconn *pg = t->c->pg;
    const struct store__pg_stmt *check = store__pg_stmt(PG_ST_CLIENT_ACTIVE);
    struct store__pg_params cp = {0};
    store__pg_text(&cp, t->check_client);

    if (!PQenterPipelineMode(pg))
        return GOT_BROKEN;
    if ((sent[PART_BEGIN] && !PQsendQueryParams(pg, t->begin, 0, NULL, NULL, NULL, NULL, 0)) ||
        (sent[PART_CHECK_PREP] && !PQsendPrepare(pg, check->name, check->sql, 0, NULL)) ||
        (sent[PART_CHECK] && !send_query(pg, check, NULL, &cp)) ||
        (sent[PART_PREP] && !PQsendPrepare(pg, stmt->name, stmt->sql, 0, NULL)) ||
        !send_query(pg, stmt, sql, p) || !PQpipelineSync(pg))
        return GOT_BROKEN;
    for (int i = 0; i < PART__N; i++) {
        if (!sent[i])
            continue;
        enum got g = next_result(pg, deadline, &res[i]);
        if (g == GOT_OK && !res[i])
            g = GOT_BROKEN;
        if (g == GOT_OK)
            g = drain(pg, deadline, NULL);
        if (g != GOT_OK)
            return g;
    }
    PGresult *sync;
    enum got g = next_result(pg, deadline, &sync);
    if (g != GOT_OK)
        return g;
    bool synced = sync && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
    PQclear(sync);
    if (!synced || !PQexitPipelineMode(pg))
        return GOT_BROKEN;
    return GOT_OK;
}

/* Sends the statement alone and reads its result (the first error, or the
 * last result). */
static enum got send_one(struct store__pg_tx *t, const struct store__pg_stmt *stmt, const char *sql,
                         const struct store__pg_params *p, int64_t deadline, PGresult **out)
{
    if (!send_query(t->c->pg, stmt, sql, p))
        return GOT_BROKEN;
    enum got g = drain(t->c->pg, deadline, out);
    return g == GOT_OK && !*out ? GOT_BROKEN : g;
}

/* Which parts go with the statement (see enum part). */
static void plan_parts(struct store__pg_tx *t, const struct store__pg_stmt *stmt,
                       bool sent[PART__N])
{
    uint64_t have = t->c->prepared;
    /* A read whose statement is a snapshot of its own needs no
     * transaction while none is open: no BEGIN now, no ROLLBACK after. */
    sent[PART_BEGIN] = t->begin && !(t->read && stmt && store__pg_whole(stmt->idx));
    sent[PART_CHECK] = t->check == PG_CHECK_PENDING;
    sent[PART_CHECK_PREP] = sent[PART_CHECK] && !(have & (1ULL << PG_ST_CLIENT_ACTIVE));
    sent[PART_PREP] = stmt && !(have & (1ULL << stmt->idx)) &&
                      !(sent[PART_CHECK_PREP] && stmt->idx == PG_ST_CLIENT_ACTIVE);
    sent[PART_STMT] = true;
}

PGresult *store__pg_run(struct store__pg_tx *t, const struct store__pg_stmt *stmt, const char *sql,
                        const struct store__pg_params *p, enum err *rc)
{
    const char *what = stmt ? stmt->name : "query";
    if (t->failed) {
        *rc = t->fail_err;
        return NULL;
    }
    int64_t deadline = deadline_after(t->timeout_ms + GRACE_MS);
    bool sent[PART__N];
    plan_parts(t, stmt, sent);
    PGresult *res[PART__N] = {NULL};
    bool piped = sent[PART_BEGIN] || sent[PART_CHECK] || sent[PART_PREP];
    if (sent[PART_CHECK])
        t->check = PG_CHECK_SENT;
    enum got g = piped ? send_pipeline(t, stmt, sql, p, sent, deadline, res)
                       : send_one(t, stmt, sql, p, deadline, &res[PART_STMT]);
    PGresult *out = NULL;
    if (res[PART_BEGIN] && result_ok(res[PART_BEGIN])) {
        t->begun = true;
        t->begin = NULL;
    }
    if (res[PART_CHECK_PREP] && result_ok(res[PART_CHECK_PREP]))
        t->c->prepared |= 1ULL << PG_ST_CLIENT_ACTIVE;
    if (res[PART_CHECK] && result_ok(res[PART_CHECK]))
        store__pg_check_answer(t, res[PART_CHECK]);
    if (res[PART_PREP] && result_ok(res[PART_PREP]))
        t->c->prepared |= 1ULL << stmt->idx;
    int bad = -1;
    for (int i = 0; g == GOT_OK && bad < 0 && i < PART__N; i++)
        if (sent[i] && !result_ok(res[i]))
            bad = i;
    if (g != GOT_OK) {
        bool timeout = g == GOT_TIMEOUT;
        log_down(t->s, what,
                 timeout ? "no answer before the client deadline" : PQerrorMessage(t->c->pg));
        *rc = tx_abort(t, timeout ? PG_FAIL_TIMEOUT : PG_FAIL_CONN, ERR_UNAVAILABLE);
    } else if (bad >= 0) {
        const char *names[PART__N] = {"begin", "kinship_CLIENT_ACTIVE", "kinship_CLIENT_ACTIVE",
                                      what, what};
        *rc = tx_fail(t, res[bad], names[bad]);
    } else {
        out = res[PART_STMT];
        res[PART_STMT] = NULL;
        t->ok++;
        *rc = ERR_OK;
    }
    for (int i = 0; i < PART__N; i++)
        PQclear(res[i]);
    return out;
}

/* Commits; on success the change is on disk (synchronous_commit = on). */
static enum err tx_commit(struct store__pg_tx *t)
{
    enum err rc;
    PGresult *r = store__pg_run(t, NULL, "COMMIT", NULL, &rc);
    if (!r)
        return rc;
    /* COMMIT of an aborted transaction answers ROLLBACK */
    bool committed = strcmp(PQcmdStatus(r), "COMMIT") == 0;
    PQclear(r);
    t->begun = false;
    if (!committed) {
        log_kv(LOG_ERROR, "postgresql: commit rolled back", (const char *)NULL);
        return tx_abort(t, PG_FAIL_OTHER, ERR_INTERNAL);
    }
    return ERR_OK;
}

static void backoff(int attempt)
{
    static _Thread_local uint64_t x;
    if (!x)
        x = (uint64_t)clock_mono_us() ^ ((uint64_t)(uintptr_t)&x << 16) ^ 0x9e3779b97f4a7c15ULL;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    int64_t cap = 1000LL << (attempt < 6 ? attempt : 6); /* 1 ms .. 64 ms */
    int64_t us = cap / 2 + (int64_t)(x % (uint64_t)cap);
    struct timespec ts = {.tv_sec = (time_t)(us / 1000000), .tv_nsec = (long)(us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

/*
 * Retry policy of a failed attempt:
 *  - deadlock (or a serialization failure, which READ COMMITTED does not
 *    raise): again, after a short jittered pause;
 *  - unique violation: again once, since it may be a race that the next
 *    attempt sees as a committed row; the same constraint failing twice in
 *    a row is a real conflict;
 *  - broken connection before COMMIT was sent: again at once on a fresh
 *    connection (nothing was committed); after COMMIT was sent the outcome
 *    is unknown, so the caller gets ERR_UNAVAILABLE.
 * When the attempts run out, ERR_UNAVAILABLE: the write was legal as far as
 * anyone knows, so the client is told to come back (503), not that it
 * conflicted (409). A lock wait past busy_timeout_ms (lock_timeout) is
 * ERR_UNAVAILABLE too (tx_fail).
 */
enum err store__pg_write(struct store *base, struct store_write *w)
{
    struct store__pg *s = (struct store__pg *)base;
    struct arena *a = arena_create();
    enum err rc = ERR_UNAVAILABLE;
    char last_unique[64] = "";
    int reconnects = 0;
    bool done = false;

    for (int attempt = 0; !done && attempt < WRITE_ATTEMPTS; attempt++) {
        struct store__pg_tx t;
        tx_init(&t, s, "BEGIN ISOLATION LEVEL READ COMMITTED");
        t.writing = true;
        if (attempt)
            store__count(&s->ctr.retries, 1);
        if ((rc = acquire(s, &t.c))) {
            done = true;
            break;
        }
        store__count(&s->ctr.batches, 1);
        arena_reset(a);
        bool committing = false;
        rc = store__write_body(&t.base, w, a);
        if (rc == ERR_OK && !t.failed && t.begun) {
            committing = true;
            rc = tx_commit(&t);
            if (rc == ERR_OK)
                store__count(&s->ctr.commits, 1);
        }
        if (t.begun)
            store__count(&s->ctr.rollbacks, 1);
        bool pause = false;
        if (!t.failed) {
            done = true;
        } else {
            switch (t.fail) {
            case PG_FAIL_RETRY:
                pause = true;
                break;
            case PG_FAIL_UNIQUE:
                if (strcmp(t.constraint, last_unique) == 0) {
                    done = true;
                    rc = rc ? rc : t.fail_err;
                } else {
                    snprintf(last_unique, sizeof(last_unique), "%s", t.constraint);
                }
                break;
            case PG_FAIL_CONN:
                if (committing || reconnects++ > s->base.opt.pool_size) {
                    done = true;
                    rc = ERR_UNAVAILABLE;
                }
                break;
            default:
                done = true;
                rc = t.fail_err;
                break;
            }
        }
        if (done && rc == ERR_OK && t.idem_written &&
            atomic_fetch_add(&s->idem_writes, 1) % PURGE_EVERY == PURGE_EVERY - 1)
            store__pg_idem_purge(&t);
        tx_release(&t);
        tx_fini(&t);
        if (!done && pause)
            backoff(attempt);
    }
    if (!done) {
        log_kv(LOG_WARN, "postgresql: write gave up after retries", (const char *)NULL);
        rc = ERR_UNAVAILABLE;
    }
    if (rc) {
        free(w->body);
        w->body = NULL;
        w->replayed = false;
        w->status = 0;
    }
    arena_destroy(a);
    store__count_answer(&s->ctr, rc);
    store__count(&s->ctr.writes, 1);
    return rc;
}

enum err store__pg_read(struct store *base, store_fn fn, void *arg)
{
    struct store__pg *s = (struct store__pg *)base;
    for (int attempt = 0;; attempt++) {
        struct store__pg_tx t;
        tx_init(&t, s, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
        t.read = true;
        enum err rc = acquire(s, &t.c);
        if (rc) {
            store__count_answer(&s->ctr, rc);
            return rc;
        }
        rc = fn(&t.base, arg);
        /* A connection found dead by the first statement (the server
         * restarted since it was last used): once more on a fresh one. */
        bool again =
            t.failed && t.fail == PG_FAIL_CONN && t.ok == 0 && attempt <= s->base.opt.pool_size;
        if (t.failed && (rc == ERR_OK || t.fail == PG_FAIL_CONN || t.fail == PG_FAIL_TIMEOUT))
            rc = t.fail_err;
        tx_release(&t);
        tx_fini(&t);
        if (!again) {
            store__count_answer(&s->ctr, rc);
            return rc;
        }
        store__count(&s->ctr.retries, 1);
    }
}

void store__pg_close(struct store *base)
{
    struct store__pg *s = (struct store__pg *)base;
    pthread_mutex_lock(&s->mu);
    s->closing = true;
    pthread_cond_broadcast(&s->cv);
    while (s->busy > 0)
        pthread_cond_wait(&s->cv, &s->mu);
    struct store__pg_conn *idle = s->idle;
    s->idle = NULL;
    pthread_mutex_unlock(&s->mu);
    conns_free(idle);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s->url);
    free(s);
}

static void check_durability(PGconn *pg)
{
    PGresult *r = PQexec(pg, "SHOW fsync");
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
        strcmp(PQgetvalue(r, 0, 0), "off") == 0)
        log_kv(LOG_WARN, "postgresql: fsync is off, committed writes may be lost on a crash",
               (const char *)NULL);
    PQclear(r);
}

enum err store__pg_start(struct store__pg *s)
{
    struct store__pg_tx t;
    tx_init(&t, s, "BEGIN");
    t.timeout_ms = MIGRATE_TIMEOUT_MS > t.timeout_ms ? MIGRATE_TIMEOUT_MS : t.timeout_ms;
    if (!(t.c = conn_open(s, true)))
        return ERR_UNAVAILABLE;
    s->total = s->busy = 1;
    check_durability(t.c->pg);
    enum err rc = store__pg_migrate(&t);
    if (rc == ERR_OK)
        rc = tx_commit(&t);
    if (rc) {
        log_kv(LOG_ERROR, "postgresql: migrations failed", "error", err_type(rc),
               (const char *)NULL);
        rc = ERR_UNAVAILABLE;
    }
    tx_release(&t);
    tx_fini(&t);
    return rc;
}
