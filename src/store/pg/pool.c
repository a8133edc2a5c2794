/*
 * PostgreSQL backend: connections. The pool (at most pool_size
 * connections a process, the first one given back within busy_timeout_ms
 * or ERR_UNAVAILABLE), opening a connection with the session settings
 * kinship relies on, and waiting for results against a client-side
 * deadline. A connection that breaks is dropped and reopened on next use,
 * so the store recovers by itself when the database comes back.
 */
#include "internal.h"
#include "../../core/clock.h"
#include "../../core/log.h"
#include "../../core/mem.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define IDLE_TX_TIMEOUT_MS 60000
#define LOG_EVERY_US 1000000 /* at most one "unavailable" line a second */

/* ---- logging ---- */

/* libpq's messages end with a newline and may span lines: keep the first. */
void store__pg_first_line(const char *msg, char *out, size_t cap)
{
    snprintf(out, cap, "%s", msg ? msg : "");
    out[strcspn(out, "\r\n")] = '\0';
}

/* Logs that the database cannot be reached, at most once a second. */
void store__pg_log_down(struct store__pg *s, const char *op, const char *msg)
{
    int64_t now = clock_mono_us();
    long long last = atomic_load(&s->last_log_us);
    if (last && now - last < LOG_EVERY_US)
        return;
    if (!atomic_compare_exchange_strong(&s->last_log_us, &last, now))
        return;
    char line[256];
    store__pg_first_line(msg, line, sizeof(line));
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

/* The next result (NULL at the end of a query's results). */
enum store__pg_got store__pg_next_result(PGconn *pg, int64_t deadline_us, PGresult **out)
{
    *out = NULL;
    if (!await(pg, deadline_us))
        return PG_GOT_TIMEOUT;
    *out = PQgetResult(pg);
    if (!*out && PQstatus(pg) == CONNECTION_BAD)
        return PG_GOT_BROKEN;
    return PG_GOT_OK;
}

bool store__pg_result_ok(const PGresult *r)
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
enum store__pg_got store__pg_drain(PGconn *pg, int64_t deadline_us, PGresult **keep)
{
    for (int i = 0; i < 1000; i++) {
        PGresult *r;
        enum store__pg_got g = store__pg_next_result(pg, deadline_us, &r);
        if (g != PG_GOT_OK)
            return g;
        if (!r)
            return PG_GOT_OK;
        if (!keep) {
            PQclear(r);
            if (PQstatus(pg) == CONNECTION_BAD)
                return PG_GOT_BROKEN;
        } else if (*keep && !store__pg_result_ok(*keep)) {
            PQclear(r); /* keep the first error */
        } else {
            PQclear(*keep);
            *keep = r;
        }
    }
    return PG_GOT_BROKEN;
}

/* Runs `sql` by the simple protocol (several statements allowed) outside
 * any transaction machinery. True when every statement succeeded. */
static bool simple(PGconn *pg, const char *sql, int64_t deadline_us, char *err, size_t cap)
{
    if (!PQsendQuery(pg, sql)) {
        store__pg_first_line(PQerrorMessage(pg), err, cap);
        return false;
    }
    PGresult *r = NULL;
    enum store__pg_got g = store__pg_drain(pg, deadline_us, &r);
    bool ok = g == PG_GOT_OK && (!r || store__pg_result_ok(r));
    if (g != PG_GOT_OK)
        snprintf(err, cap, "%s", g == PG_GOT_TIMEOUT ? "timeout" : "connection lost");
    else if (!ok)
        store__pg_first_line(PQresultErrorMessage(r), err, cap);
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

int64_t store__pg_deadline_after(int ms)
{
    return clock_mono_us() + (int64_t)ms * 1000;
}

/* Opens a connection with the session settings kinship relies on: bounded
 * statements and lock waits, and synchronous_commit on (a 2xx is durable). */
struct store__pg_conn *store__pg_conn_open(struct store__pg *s, bool loud)
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
            store__pg_first_line(PQerrorMessage(pg), line, sizeof(line));
            log_kv(LOG_ERROR, "postgresql: cannot connect", "error", line, (const char *)NULL);
        } else {
            store__pg_log_down(s, "connect", PQerrorMessage(pg));
        }
        PQfinish(pg);
        return NULL;
    }
    PQsetNoticeProcessor(pg, quiet_notices, NULL);

    int t = s->base.opt.busy_timeout_ms;
    char sql[512], err[256];
    snprintf(sql, sizeof(sql),
             "SET statement_timeout = %d; SET lock_timeout = %d; "
             "SET idle_in_transaction_session_timeout = %d; SET synchronous_commit = on; "
             "SET jit = off",
             t, t, t > IDLE_TX_TIMEOUT_MS ? t : IDLE_TX_TIMEOUT_MS);
    if (!simple(pg, sql, store__pg_deadline_after(t + STORE__PG_GRACE_MS), err, sizeof(err))) {
        if (loud)
            log_kv(LOG_ERROR, "postgresql: session setup failed", "error", err, (const char *)NULL);
        else
            store__pg_log_down(s, "session setup", err);
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
    int64_t deadline = store__pg_deadline_after(s->base.opt.busy_timeout_ms + STORE__PG_GRACE_MS);
    while (c->pending > 0) {
        PGresult *r;
        if (store__pg_next_result(c->pg, deadline, &r) != PG_GOT_OK || !r)
            return false;
        bool ok = store__pg_result_ok(r);
        PQclear(r);
        if (!ok || store__pg_drain(c->pg, deadline, NULL) != PG_GOT_OK)
            return false;
        c->pending--;
    }
    return PQstatus(c->pg) == CONNECTION_OK && PQtransactionStatus(c->pg) == PQTRANS_IDLE;
}

/* Hands out a connection: an idle one, a new one while the pool has room,
 * or the first one released within busy_timeout_ms. ERR_UNAVAILABLE when
 * none comes or a new one cannot be opened. */
enum err store__pg_acquire(struct store__pg *s, struct store__pg_conn **out)
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
            store__pg_log_down(s, "acquire", "no free connection within busy_timeout_ms");
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
    if (!c && !(c = store__pg_conn_open(s, false))) {
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
void store__pg_pool_put(struct store__pg *s, struct store__pg_conn *c, bool discard, bool drop_idle)
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
