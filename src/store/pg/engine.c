/*
 * PostgreSQL backend: statement execution and transactions (connections
 * are pool.c's). Many kinship processes may share one database: writes run
 * at READ COMMITTED, and every rule that spans rows is enforced by unique
 * indexes and by locks taken before the rule is checked (locks.c,
 * docs/postgresql.md). A write that still meets a deadlock is retried
 * here, never by handlers; one that cannot finish answers ERR_UNAVAILABLE
 * (503), never a conflict it did not have.
 *
 * Every wait is bounded: for a free connection (busy_timeout_ms), for a
 * connection to open (connect_timeout_s), for a statement (statement_timeout
 * and lock_timeout on the server, the same plus a grace period on the
 * client).
 *
 * Round trips: a transaction's BEGIN, the API client's check, a
 * statement's PREPARE and the statements queued by store__pg_exec_later go
 * in one pipeline with the next statement that needs an answer, or with
 * the COMMIT. A read sends no BEGIN for a statement that answers it whole (reads.c).
 */
#include "internal.h"
#include "../../core/clock.h"
#include "../../core/log.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WRITE_ATTEMPTS 10
#define STORE__PG_GRACE_MS 2000 /* the client waits this much past statement_timeout */
#define MIGRATE_TIMEOUT_MS 60000
#define PURGE_EVERY 128 /* idempotent writes between purges of expired keys */

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
    store__pg_pool_put(t->s, c, discard, broken);
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
        store__pg_log_down(t->s, what, r ? PQresultErrorMessage(r) : PQerrorMessage(t->c->pg));
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
    } else if (strcmp(st, STORE__PG_REVOKED) == 0) {
        e = ERR_UNAUTHORIZED; /* a write's client check (reads.c) */
    } else if (strcmp(st, STORE__PG_TOO_LARGE) == 0) {
        /* an answer guard (organizations.c): its DETAIL is the counts */
        const char *d = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL);
        long long o, n, b;
        e = ERR_ANSWER_TOO_LARGE;
        if (d && sscanf(d, "%lld %lld %lld", &o, &n, &b) == 3) {
            t->refused = true;
            t->refused_extent.orgs = o;
            t->refused_extent.entries = n;
            t->refused_extent.name_bytes = b;
        }
    } else if (strcmp(st, "57014") == 0 || strcmp(st, "55P03") == 0) {
        /* statement_timeout or lock_timeout: the server cancelled the
         * statement, the connection itself is fine */
        e = ERR_UNAVAILABLE;
        store__pg_log_down(t->s, what, PQresultErrorMessage(r));
    } else if (strncmp(st, "53", 2) == 0 || strncmp(st, "58", 2) == 0 || strcmp(st, "25006") == 0 ||
               strcmp(st, "57P04") == 0) {
        /* disk full, out of memory, too many connections, read-only server */
        e = ERR_UNAVAILABLE;
        store__pg_log_down(t->s, what, PQresultErrorMessage(r));
    } else {
        /* Data errors (class 22) quote input values: log their code only. */
        char line[256] = "";
        if (strncmp(st, "22", 2) != 0)
            store__pg_first_line(PQresultErrorMessage(r), line, sizeof(line));
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
 * client's check, the queued statements, the statement that needs an
 * answer; each prepared statement preceded by its PREPARE when the
 * connection has not prepared it yet. */
enum role { ROLE_BEGIN, ROLE_PREPARE, ROLE_CHECK, ROLE_LATER, ROLE_MAIN, ROLE_NEXT };

struct part {
    enum role role;
    const struct store__pg_stmt *stmt; /* NULL: `sql` */
    const char *sql;
    const struct store__pg_params *p;
    PGresult *res;
};

#define PARTS_MAX (3 + 2 * STORE__PG_LATER_MAX + 4)

struct plan {
    struct part part[PARTS_MAX];
    int n;
    uint64_t preparing; /* statements whose PREPARE is in this plan */
    struct store__pg_params check;
};

static void plan_add(struct plan *pl, struct store__pg_tx *t, enum role role,
                     const struct store__pg_stmt *stmt, const char *sql,
                     const struct store__pg_params *p)
{
    if (stmt && !((t->c->prepared | pl->preparing) & (1ULL << stmt->idx))) {
        pl->preparing |= 1ULL << stmt->idx;
        pl->part[pl->n++] = (struct part){.role = ROLE_PREPARE, .stmt = stmt};
    }
    pl->part[pl->n++] = (struct part){.role = role, .stmt = stmt, .sql = sql, .p = p};
}

/* Which parts go with the statement `stmt` (or `sql`; neither: only what
 * is queued), and `next` after it when not NULL. */
static void plan_make(struct plan *pl, struct store__pg_tx *t, const struct store__pg_stmt *stmt,
                      const char *sql, const struct store__pg_params *p,
                      const struct store__pg_stmt *next, const struct store__pg_params *next_p)
{
    pl->n = 0;
    pl->preparing = 0;
    /* A read whose statement is a snapshot of its own needs no
     * transaction while none is open: no BEGIN now, no ROLLBACK after. */
    if (t->begin && !(t->read && stmt && store__pg_whole(stmt->idx)))
        pl->part[pl->n++] = (struct part){.role = ROLE_BEGIN, .sql = t->begin};
    if (t->check == PG_CHECK_PENDING) {
        memset(&pl->check, 0, sizeof(pl->check));
        store__pg_text(&pl->check, t->check_client);
        plan_add(pl, t, ROLE_CHECK,
                 store__pg_stmt(t->writing ? PG_ST_CLIENT_MUST : PG_ST_CLIENT_ACTIVE), NULL,
                 &pl->check);
    }
    for (int i = 0; i < t->n_later; i++)
        plan_add(pl, t, ROLE_LATER, t->later[i].stmt, t->later[i].sql, &t->later[i].p);
    if (stmt || sql)
        plan_add(pl, t, ROLE_MAIN, stmt, sql, p);
    if (next)
        plan_add(pl, t, ROLE_NEXT, next, NULL, next_p);
}

/* Sends the plan's parts as one pipeline (one alone as it is), then reads
 * a result for each. In a pipeline the statements up to the sync run as
 * one implicit transaction unless BEGIN opened one; without BEGIN each
 * still takes a snapshot of its own (READ COMMITTED). */
static enum store__pg_got plan_send(struct plan *pl, struct store__pg_tx *t, int64_t deadline)
{
    PGconn *pg = t->c->pg;
    bool piped = pl->n > 1;
    if (piped && !PQenterPipelineMode(pg))
        return PG_GOT_BROKEN;
    for (int i = 0; i < pl->n; i++) {
        struct part *x = &pl->part[i];
        int ok = x->role == ROLE_PREPARE ? PQsendPrepare(pg, x->stmt->name, x->stmt->sql, 0, NULL)
                                         : send_query(pg, x->stmt, x->sql, x->p);
        if (!ok)
            return PG_GOT_BROKEN;
    }
    if (piped && !PQpipelineSync(pg))
        return PG_GOT_BROKEN;
    for (int i = 0; i < pl->n; i++) {
        struct part *x = &pl->part[i];
        enum store__pg_got g = piped ? store__pg_next_result(pg, deadline, &x->res)
                                     : store__pg_drain(pg, deadline, &x->res);
        if (g == PG_GOT_OK && !x->res)
            g = PG_GOT_BROKEN;
        if (g == PG_GOT_OK && piped)
            g = store__pg_drain(pg, deadline, NULL);
        if (g != PG_GOT_OK)
            return g;
    }
    if (!piped)
        return PG_GOT_OK;
    PGresult *sync;
    enum store__pg_got g = store__pg_next_result(pg, deadline, &sync);
    if (g != PG_GOT_OK)
        return g;
    bool synced = sync && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
    PQclear(sync);
    return synced && PQexitPipelineMode(pg) ? PG_GOT_OK : PG_GOT_BROKEN;
}

/* Takes in what the parts' results say about the transaction and the
 * connection; returns the index of the first part that failed, or -1. */
static int plan_take(struct plan *pl, struct store__pg_tx *t)
{
    int bad = -1;
    for (int i = 0; i < pl->n; i++) {
        struct part *x = &pl->part[i];
        if (!x->res)
            continue;
        bool ok = store__pg_result_ok(x->res);
        if (!ok && bad < 0)
            bad = i;
        if (!ok)
            continue;
        if (x->role == ROLE_BEGIN) {
            t->begun = true;
            t->begin = NULL;
        } else if (x->role == ROLE_PREPARE) {
            t->c->prepared |= 1ULL << x->stmt->idx;
        } else if (x->role == ROLE_CHECK && x->stmt->idx == PG_ST_CLIENT_MUST) {
            t->check = PG_CHECK_ACTIVE;
        } else if (x->role == ROLE_CHECK) {
            store__pg_check_answer(t, x->res);
        }
    }
    return bad;
}

/* Runs a plan of `stmt` (or `sql`, or only what is queued) and, when
 * `next` is not NULL, `next` after it in the same round trip, whose result
 * goes to *next_out. */
static PGresult *plan_run(struct store__pg_tx *t, const struct store__pg_stmt *stmt,
                          const char *sql, const struct store__pg_params *p,
                          const struct store__pg_stmt *next, const struct store__pg_params *next_p,
                          PGresult **next_out, enum err *rc)
{
    const char *what = stmt ? stmt->name : sql ? "query" : "queued statements";
    if (t->failed) {
        *rc = t->fail_err;
        return NULL;
    }
    int64_t deadline = store__pg_deadline_after(t->timeout_ms + STORE__PG_GRACE_MS);
    struct plan pl;
    plan_make(&pl, t, stmt, sql, p, next, next_p);
    if (t->check == PG_CHECK_PENDING)
        t->check = PG_CHECK_SENT;
    t->n_later = 0;
    store__count(&t->s->ctr.round_trips, 1);
    enum store__pg_got g = plan_send(&pl, t, deadline);
    int bad = plan_take(&pl, t);
    PGresult *out = NULL;
    if (g != PG_GOT_OK) {
        bool timeout = g == PG_GOT_TIMEOUT;
        store__pg_log_down(t->s, what,
                           timeout ? "no answer before the client deadline"
                                   : PQerrorMessage(t->c->pg));
        *rc = tx_abort(t, timeout ? PG_FAIL_TIMEOUT : PG_FAIL_CONN, ERR_UNAVAILABLE);
    } else if (bad >= 0) {
        const struct part *x = &pl.part[bad];
        *rc = tx_fail(t, x->res, x->stmt ? x->stmt->name : x->role == ROLE_BEGIN ? "begin" : what);
    } else {
        for (int i = 0; i < pl.n; i++) {
            struct part *x = &pl.part[i];
            PGresult **to = x->role == ROLE_MAIN ? &out : x->role == ROLE_NEXT ? next_out : NULL;
            if (to) {
                *to = x->res;
                x->res = NULL;
            }
        }
        t->ok++;
        *rc = ERR_OK;
    }
    for (int i = 0; i < pl.n; i++)
        PQclear(pl.part[i].res);
    return out;
}

PGresult *store__pg_run(struct store__pg_tx *t, const struct store__pg_stmt *stmt, const char *sql,
                        const struct store__pg_params *p, enum err *rc)
{
    return plan_run(t, stmt, sql, p, NULL, NULL, NULL, rc);
}

PGresult *store__pg_run_pair(struct store__pg_tx *t, enum store__pg_st st,
                             const struct store__pg_params *p, enum store__pg_st next,
                             const struct store__pg_params *next_p, PGresult **next_out,
                             enum err *rc)
{
    *next_out = NULL;
    return plan_run(t, store__pg_stmt(st), NULL, p, store__pg_stmt(next), next_p, next_out, rc);
}

enum err store__pg_flush(struct store_tx *tx)
{
    struct store__pg_tx *t = store__pg_tx_of(tx);
    enum err rc = t->failed ? t->fail_err : ERR_OK;
    if (rc == ERR_OK && t->n_later > 0)
        plan_run(t, NULL, NULL, NULL, NULL, NULL, NULL, &rc);
    return rc;
}

/* A copy of `p` whose values live in the transaction's scratch arena. */
static void params_keep(struct store__pg_tx *t, const struct store__pg_params *p,
                        struct store__pg_params *q)
{
    struct arena *a = store__pg_scratch(t);
    *q = *p;
    for (int i = 0; i < p->n; i++) {
        if (!p->v[i])
            continue;
        if (p->v[i] == p->num[i]) {
            q->v[i] = q->num[i];
        } else if (p->fmt[i]) {
            char *b = arena_alloc(a, (size_t)p->len[i] + 1);
            memcpy(b, p->v[i], (size_t)p->len[i]);
            q->v[i] = b;
        } else {
            q->v[i] = arena_strdup(a, p->v[i]);
        }
    }
}

/* Queues `stmt` (or `sql`) to go with the next statement. */
static enum err later_add(struct store_tx *tx, const struct store__pg_stmt *stmt, const char *sql,
                          const struct store__pg_params *p)
{
    struct store__pg_tx *t = store__pg_tx_of(tx);
    enum err rc = ERR_OK;
    /* the queue is full: send it now */
    if (t->n_later == STORE__PG_LATER_MAX && (rc = store__pg_flush(tx)))
        return rc;
    if (!t->later)
        t->later = arena_alloc(store__pg_scratch(t), STORE__PG_LATER_MAX * sizeof(*t->later));
    struct store__pg_later *l = &t->later[t->n_later++];
    l->stmt = stmt;
    l->sql = sql ? arena_strdup(store__pg_scratch(t), sql) : NULL;
    if (p)
        params_keep(t, p, &l->p);
    else
        memset(&l->p, 0, sizeof(l->p));
    return ERR_OK;
}

enum err store__pg_exec_later(struct store_tx *tx, enum store__pg_st st,
                              const struct store__pg_params *p)
{
    struct store__pg_tx *t = store__pg_tx_of(tx);
    if (t->failed)
        return t->fail_err;
    store__pg_ahead_forget(t); /* a write: what was read ahead may change */
    return later_add(tx, store__pg_stmt(st), NULL, p);
}

enum err store__pg_guard_later(struct store_tx *tx, enum store__pg_st st, const char *sql,
                               const struct store__pg_params *p)
{
    struct store__pg_tx *t = store__pg_tx_of(tx);
    if (t->failed)
        return t->fail_err;
    return later_add(tx, st == PG_ST__COUNT ? NULL : store__pg_stmt(st), sql, p);
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
        if ((rc = store__pg_acquire(s, &t.c))) {
            done = true;
            break;
        }
        store__count(&s->ctr.batches, 1);
        arena_reset(a);
        bool committing = false;
        rc = store__write_body(&t.base, w, a);
        if (rc != ERR_OK && rc != ERR_UNAUTHORIZED && t.check == PG_CHECK_PENDING && !t.failed) {
            /* The client's check was left to a COMMIT that will not come:
             * ask now, without the queued statements (rolled back anyway),
             * so that a revoked client is told so, not the write's error. */
            t.n_later = 0;
            enum err cr = store__pg_client_confirm(&t.base);
            rc = cr ? cr : rc;
        }
        /* A dry run ends here: tx_release rolls it back. */
        if (rc == ERR_OK && !t.failed && !w->dry_run && (t.begun || t.n_later)) {
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
        enum err rc = store__pg_acquire(s, &t.c);
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
    if (!(t.c = store__pg_conn_open(s, true)))
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
