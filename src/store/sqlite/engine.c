/*
 * The SQLite store's engine: connections, a pool of reader connections,
 * a checkpoint thread, and one writer thread that owns the only write connection
 * and commits queued writes in groups.
 *
 * Why one writer: SQLite admits one writer at a time anyway, and a commit
 * with synchronous=FULL costs an fsync. Callers of store_write queue a job
 * and sleep; the writer takes every queued job (up to batch_max), runs each
 * inside its own savepoint of one transaction, commits once and wakes them
 * all. A job that fails rolls back to its savepoint and leaves no trace; a
 * fault that touches the whole transaction (I/O error, disk full, failed
 * commit) rolls the batch back and answers ERR_UNAVAILABLE to every job in
 * it, so no caller is ever told a change is stored when it is not.
 *
 * Readers run in WAL snapshots (BEGIN ... COMMIT) on pooled connections that
 * are opened on first need, and never block the writer or each other.
 *
 * Checkpoints (copying the WAL back into the database file, with an fsync
 * of that file) run on a thread of their own. SQLite would otherwise run
 * one inside the commit that takes the WAL past 1,000 pages, and every
 * write queued behind that commit would wait for it: on the benchmark
 * machine that was 20-90 ms once every hundred commits, the whole p99.
 * The writer still runs a short catch-up checkpoint after the thread's
 * passes (see checkpointer_main): without it the WAL would never start
 * over under steady load, and grow without end.
 *
 * `memory:` (docs/console.md) is this engine on a memdb database of its own,
 * shared by its writer and readers: no WAL, no checkpoints (a reader waits
 * out a batch's write lock in the busy handler), nothing durable.
 */
#include "internal.h"
#include "unwritable.h"
#include "../../core/clock.h"
#include "../../core/log.h"
#include "../../core/mem.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A queued write: a waiting caller's (on its stack, woken through `cv`) or
 * an asynchronous one (on the heap, ended by calling `end`). */
struct store__sqlite_job {
    struct store_write *w;
    enum err rc;
    bool done;
    pthread_cond_t cv; /* signalled under the store's mutex when done */
    store_write_done end;
    void *end_arg;
    struct store__sqlite_job *next;
};

/* Tells a thread to stop (sets *stopping under `mu` and wakes it through
 * `wake`) and waits for it to end. */
static void thread_stop(pthread_mutex_t *mu, pthread_cond_t *wake, bool *stopping, pthread_t t)
{
    pthread_mutex_lock(mu);
    *stopping = true;
    pthread_cond_signal(wake);
    pthread_mutex_unlock(mu);
    pthread_join(t, NULL);
}

/* ---- connections ---- */

static void conn_close(struct store__sqlite_conn *c)
{
    if (!c)
        return;
    if (c->db) {
        /* Every statement of the connection, cached or not. */
        sqlite3_stmt *st;
        while ((st = sqlite3_next_stmt(c->db, NULL)))
            sqlite3_finalize(st);
        sqlite3_close(c->db);
    }
    free(c);
}

/* Runs a pragma or other SQL whose rows do not matter. */
static int exec(struct store__sqlite_conn *c, const char *sql)
{
    return sqlite3_exec(c->db, sql, NULL, NULL, NULL);
}

void store__sqlite_patience_start(struct store__sqlite_store *s, struct store__sqlite_patience *p)
{
    p->deadline = clock_mono_us() + (int64_t)s->base.opt.busy_timeout_ms * 1000;
    p->delay = 1000;
    p->s = s;
}

bool store__sqlite_patience_retry(struct store__sqlite_patience *p, int rc)
{
    int prim = rc & 0xff;
    if ((prim != SQLITE_BUSY && prim != SQLITE_LOCKED) || clock_mono_us() >= p->deadline)
        return false;
    store__count(&p->s->n.retries, 1);
    struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)p->delay * 1000};
    nanosleep(&ts, NULL);
    if (p->delay < 64000)
        p->delay *= 2;
    return true;
}

int store__sqlite_ctl_run_patiently(struct store__sqlite_store *s, struct store__sqlite_conn *c,
                                    enum sqlite_ctl which)
{
    struct store__sqlite_patience p;
    store__sqlite_patience_start(s, &p);
    int rc;
    do
        rc = store__sqlite_ctl_run(c, which);
    while (store__sqlite_patience_retry(&p, rc));
    return rc;
}

/*
 * The busy handler of every connection: SQLite's own (sqlite3_busy_timeout)
 * schedule of sleeps, up to busy_timeout_ms in all, with each wait counted
 * for store_stats. Returns 0 to give up.
 */
static int on_busy(void *arg, int n)
{
    static const int delays[] = {1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100};
    static const int totals[] = {0, 1, 3, 8, 18, 33, 53, 78, 103, 128, 178, 228};
    enum { N = sizeof(delays) / sizeof(*delays) };
    struct store__sqlite_store *s = arg;
    int timeout = s->base.opt.busy_timeout_ms;
    int delay, prior;
    if (n < N) {
        delay = delays[n];
        prior = totals[n];
    } else {
        delay = delays[N - 1];
        prior = totals[N - 1] + delay * (n - (N - 1));
    }
    if (prior + delay > timeout) {
        delay = timeout - prior;
        if (delay <= 0)
            return 0;
    }
    store__count(&s->n.retries, 1);
    sqlite3_sleep(delay);
    return 1;
}

/* The memdb URI that `memory:` opens; only engine_open makes such paths. */
#define MEMORY_URI "file:/kinship-memory-"

static bool in_memory(const struct store__sqlite_store *s)
{
    return strncmp(s->path, MEMORY_URI, sizeof(MEMORY_URI) - 1) == 0;
}

static enum err conn_open(struct store__sqlite_store *s, bool writer,
                          struct store__sqlite_conn **out)
{
    enum err rc = ERR_UNAVAILABLE;
    struct store__sqlite_conn *c = xcalloc(1, sizeof(*c));
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    if (writer)
        flags |= SQLITE_OPEN_CREATE;
    if (in_memory(s))
        flags |= SQLITE_OPEN_URI;
    int src = sqlite3_open_v2(s->path, &c->db, flags, NULL);
    if (src != SQLITE_OK) {
        store__sqlite_open_failed(s->path, "cannot open the SQLite database",
                                  c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(src));
        goto out;
    }
    sqlite3_busy_handler(c->db, on_busy, s);
    /* SQLite opens a file it may not write read-only, without a word: the
     * server would start and answer every write 503. */
    if (writer && sqlite3_db_readonly(c->db, "main") == 1) {
        store__sqlite_open_failed(s->path, "cannot open the SQLite database for writing",
                                  "opened read-only");
        goto out;
    }
    if (writer && !in_memory(s)) {
        /* WAL lets readers run beside the writer; it is a property of the
         * file, so only the connection that may create the file sets it. */
        char mode[16] = "";
        struct store__sqlite_patience p;
        store__sqlite_patience_start(s, &p);
        do
            src = store__sqlite_query_text(c->db, "PRAGMA journal_mode=WAL", mode, sizeof(mode));
        while (store__sqlite_patience_retry(&p, src));
        if (strcmp(mode, "wal") != 0) {
            store__sqlite_open_failed(s->path, "cannot put the SQLite database in WAL mode",
                                      src == SQLITE_OK ? mode : sqlite3_errmsg(c->db));
            goto out;
        }
    }
    src = exec(c, "PRAGMA synchronous=FULL;"
                  "PRAGMA foreign_keys=ON;"
                  "PRAGMA temp_store=MEMORY;");
    /* The writer reads what every rule checks: with SQLite's default 2 MiB
     * of page cache, `perf` on POST .../members showed a tenth of its time
     * in malloc/free and pread, pages being dropped and read again. */
    if (src == SQLITE_OK && writer)
        src = exec(c, "PRAGMA cache_size=-32768;");
    /* A reader only reads: a write through it would be a bug. */
    if (src == SQLITE_OK && !writer)
        /* 8 MiB of page cache per reader (the default is 2 MiB): hot
         * customers and organizations stay in memory. 16 MiB was no
         * faster with a million customers (docs/performance.md), and four
         * busy readers then held 64 MiB. */
        src = exec(c, "PRAGMA query_only=ON; PRAGMA cache_size=-8192;");
    if (src != SQLITE_OK) {
        store__sqlite_open_failed(s->path, "cannot configure the SQLite connection",
                                  sqlite3_errmsg(c->db));
        goto out;
    }
    if ((rc = store__sqlite_prep_ctl(c)))
        goto out;
    *out = c;
    c = NULL;
    rc = ERR_OK;
out:
    conn_close(c);
    return rc;
}

/* ---- the checkpointer ---- */

/*
 * New WAL pages that start a pass of the checkpoint thread: SQLite's own
 * autocheckpoint size. A pass ends with an fsync of the database file, and
 * commits on the same disk wait behind that writeback: the smaller the
 * pass, the shorter the wait.
 */
#define PASS_PAGES 1000

/*
 * A checkpoint ends when a pass finds the WAL at opt.checkpoint_pages or
 * more (16,000 by default: 64 MiB with 4 KiB pages). Its end costs the
 * writer a catch-up, a pause of a few milliseconds for every write queued
 * behind it; ending every 1,000 pages, that came 18 times a second under
 * POST .../members at 64 connections and was that case's p90. The price of
 * ending less often: the WAL file keeps about checkpoint_pages on disk,
 * and recovery after a crash reads that much.
 */

/* The passes that end a checkpoint, at most, and the pages they may leave
 * to the writer's catch-up. */
#define END_PASSES 8
#define CATCH_UP_PAGES 32

/* The WAL size that starts the next pass when it holds `pages`: PASS_PAGES
 * more, but not past the end of the checkpoint. */
static int64_t next_pass(const struct store__sqlite_store *s, int64_t pages)
{
    int64_t end = s->base.opt.checkpoint_pages, next = pages + PASS_PAGES;
    return pages < end && next > end ? end : next;
}

/*
 * The writer connection's WAL hook, called in the writer thread after each
 * commit with the WAL's size in pages. It replaces SQLite's autocheckpoint
 * on that connection.
 */
static int on_wal_commit(void *arg, sqlite3 *db, const char *schema, int pages)
{
    (void)db;
    (void)schema;
    struct store__sqlite_store *s = arg;
    atomic_store_explicit(&s->wal_pages, pages, memory_order_relaxed);
    if (pages >= atomic_load(&s->ck_next) && atomic_load(&s->ck_state) == CK_IDLE) {
        pthread_mutex_lock(&s->ckmu);
        atomic_store(&s->ck_state, CK_PASS);
        pthread_cond_signal(&s->ckwake);
        pthread_mutex_unlock(&s->ckmu);
    }
    return SQLITE_OK;
}

/*
 * A checkpoint runs in two steps, so that the writer never waits for the
 * costly part.
 *
 * 1. This thread runs PASSIVE checkpoints (passes), one every PASS_PAGES
 *    new pages: each copies the frames no reader still needs into the
 *    database file and fsyncs that file, beside the writer, which keeps
 *    appending to the WAL meanwhile, and never waits for the writer or a
 *    reader. Once the WAL holds checkpoint_pages, passes follow at once,
 *    each copying what was appended during the one before, until at most
 *    CATCH_UP_PAGES are left, a pass copies nothing new (a reader holds an
 *    old snapshot), or END_PASSES ran.
 *
 * 2. Then the writer, before its next batch, runs a RESTART checkpoint
 *    (see writer_catch_up): it copies only the frames appended during the
 *    last pass and waits a few milliseconds at most for readers of older
 *    snapshots. The next write starts the WAL from its beginning again.
 *    With a single pass before it, the writer copied the 100-250 frames
 *    appended during that pass, and the catch-up took 5-10 ms.
 *
 * Step 2 is needed because SQLite reuses the WAL only when a write begins
 * with every frame copied and no reader left on an older snapshot. Under
 * steady load neither holds by chance (there is always a batch running and
 * a request reading), and the WAL would grow without end.
 */
static void *checkpointer_main(void *arg)
{
    struct store__sqlite_store *s = arg;
    pthread_mutex_lock(&s->ckmu);
    for (;;) {
        while (atomic_load(&s->ck_state) != CK_PASS && !s->ck_stopping)
            pthread_cond_wait(&s->ckwake, &s->ckmu);
        if (s->ck_stopping)
            break;
        pthread_mutex_unlock(&s->ckmu);
        bool end = false;
        int copied = -1; /* frames of the WAL in the database file */
        for (int pass = 0; pass < END_PASSES; pass++) {
            int before = copied;
            int rc =
                sqlite3_wal_checkpoint_v2(s->ckdb, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, &copied);
            store__count(&s->n_checkpoints, 1);
            if (rc != SQLITE_OK) {
                if ((rc & 0xff) != SQLITE_BUSY)
                    log_kv(LOG_WARN, "sqlite checkpoint failed", "detail", sqlite3_errmsg(s->ckdb),
                           (const char *)NULL);
                break;
            }
            int64_t pages = atomic_load_explicit(&s->wal_pages, memory_order_relaxed);
            if (pages < s->base.opt.checkpoint_pages)
                break; /* a pass on the way */
            end = true;
            if (pages - copied <= CATCH_UP_PAGES || copied <= before)
                break;
        }
        atomic_store(&s->ck_next,
                     next_pass(s, atomic_load_explicit(&s->wal_pages, memory_order_relaxed)));
        pthread_mutex_lock(&s->ckmu);
        atomic_store(&s->ck_state, end ? CK_CATCH_UP : CK_IDLE);
    }
    pthread_mutex_unlock(&s->ckmu);
    return NULL;
}

/* The catch-up's patience with readers: four 1 ms sleeps. */
static int on_busy_catch_up(void *arg, int n)
{
    (void)arg;
    if (n >= 4)
        return 0;
    sqlite3_sleep(1);
    return 1;
}

/*
 * Step 2 of a checkpoint (see checkpointer_main), in the writer thread
 * between two batches. When a reader keeps its old snapshot longer than
 * the catch-up waits (a backup, an export), the WAL keeps growing and the
 * next attempt comes after PASS_PAGES more pages, so a long reader costs
 * the writes one short wait per thousand pages, not one per batch.
 */
static void writer_catch_up(struct store__sqlite_store *s)
{
    sqlite3 *db = s->wconn->db;
    sqlite3_busy_handler(db, on_busy_catch_up, s);
    int rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_RESTART, NULL, NULL);
    sqlite3_busy_handler(db, on_busy, s);
    store__count(&s->n_checkpoints, 1);
    int64_t pages = rc == SQLITE_OK ? 0 : atomic_load_explicit(&s->wal_pages, memory_order_relaxed);
    atomic_store(&s->ck_next, next_pass(s, pages));
    atomic_store(&s->ck_state, CK_IDLE);
}

static enum err checkpointer_start(struct store__sqlite_store *s)
{
    atomic_store(&s->ck_next, next_pass(s, 0));
    int src =
        sqlite3_open_v2(s->path, &s->ckdb,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, NULL);
    if (src == SQLITE_OK)
        src = sqlite3_exec(s->ckdb, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
    if (src != SQLITE_OK) {
        log_kv(LOG_ERROR, "cannot open the SQLite checkpoint connection", "path", s->path, "detail",
               s->ckdb ? sqlite3_errmsg(s->ckdb) : sqlite3_errstr(src), (const char *)NULL);
        return ERR_UNAVAILABLE;
    }
    if (pthread_create(&s->ckpt, NULL, checkpointer_main, s) != 0) {
        log_kv(LOG_ERROR, "cannot start the SQLite checkpoint thread", (const char *)NULL);
        return ERR_UNAVAILABLE;
    }
    s->ck_running = true;
    sqlite3_wal_hook(s->wconn->db, on_wal_commit, s);
    return ERR_OK;
}

static void checkpointer_stop(struct store__sqlite_store *s)
{
    if (s->ck_running)
        thread_stop(&s->ckmu, &s->ckwake, &s->ck_stopping, s->ckpt);
    s->ck_running = false;
    sqlite3_close(s->ckdb);
    s->ckdb = NULL;
}

/* ---- the writer ---- */

static void fail_batch(struct store__sqlite_job **jobs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct store_write *w = jobs[i]->w;
        free(w->body);
        w->body = NULL;
        w->replayed = false;
        w->status = 0;
        jobs[i]->rc = ERR_UNAVAILABLE;
    }
}

/* One transaction for the batch, one savepoint per job, one commit. */
static void run_batch(struct store__sqlite_store *s, struct store__sqlite_job **jobs, size_t n)
{
    struct store__sqlite_conn *c = s->wconn;
    struct store__sqlite_tx tx = {.base = {.be = s->base.be, .s = &s->base}, .c = c};
    const char *failed = NULL;
    int src = SQLITE_OK;
    size_t undone = 0; /* jobs rolled back to their savepoint */
    store__count(&s->n.batches, 1);

    /* A fault may have left a transaction open (a failed rollback). */
    if (!sqlite3_get_autocommit(c->db))
        store__sqlite_ctl_run(c, CTL_ROLLBACK);
    c->fault = false;
    src = store__sqlite_ctl_run_patiently(s, c, CTL_BEGIN_IMMEDIATE);
    if (src != SQLITE_DONE) {
        store__sqlite_fail(c, src, "begin write");
        fail_batch(jobs, n);
        store__count(&s->n.rollbacks, n);
        return;
    }
    for (size_t i = 0; i < n && !failed; i++) {
        struct store__sqlite_job *j = jobs[i];
        if ((src = store__sqlite_ctl_run(c, CTL_SAVEPOINT)) != SQLITE_DONE) {
            failed = "savepoint";
            break;
        }
        j->rc = store__write_body(&tx.base, j->w, s->warena);
        /* SQLite itself rolls the transaction back on some errors. */
        if (c->fault || sqlite3_get_autocommit(c->db)) {
            failed = "job";
            break;
        }
        /* A dry run keeps its answer and leaves no trace either. */
        if (j->rc || j->w->dry_run) {
            if (j->rc) {
                free(j->w->body);
                j->w->body = NULL;
            }
            if ((src = store__sqlite_ctl_run(c, CTL_ROLLBACK_TO)) != SQLITE_DONE)
                failed = "rollback to savepoint";
            else
                undone++;
        }
        if (!failed && (src = store__sqlite_ctl_run(c, CTL_RELEASE)) != SQLITE_DONE)
            failed = "release savepoint";
    }
    if (!failed && (src = store__sqlite_ctl_run_patiently(s, c, CTL_COMMIT)) != SQLITE_DONE)
        failed = "commit";
    if (failed) {
        if (src != SQLITE_DONE && src != SQLITE_OK)
            store__sqlite_fail(c, src, failed);
        char count[24];
        snprintf(count, sizeof(count), "%zu", n);
        log_kv(LOG_ERROR, "write batch rolled back", "stage", failed, "jobs", count,
               (const char *)NULL);
        if (!sqlite3_get_autocommit(c->db))
            store__sqlite_ctl_run(c, CTL_ROLLBACK);
        fail_batch(jobs, n);
        undone = n; /* every job of the batch, run or not */
    } else {
        store__count(&s->n.commits, 1);
    }
    store__count(&s->n.rollbacks, undone);
    c->fault = false;
    arena_reset(s->warena);
}

static void *writer_main(void *arg)
{
    struct store__sqlite_store *s = arg;
    size_t max = (size_t)s->base.opt.batch_max;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->head && !s->stopping)
            pthread_cond_wait(&s->wake, &s->mu);
        if (!s->head)
            break; /* stopping, and every queued job is done */
        size_t n = 0;
        while (s->head && n < max) {
            s->batch[n++] = s->head;
            s->head = s->head->next;
        }
        if (!s->head)
            s->tail = NULL;
        s->queued -= (int64_t)n;
        pthread_mutex_unlock(&s->mu);
        if (atomic_load(&s->ck_state) == CK_CATCH_UP)
            writer_catch_up(s);
        run_batch(s, s->batch, n);
        /* Asynchronous writes end here, outside the lock: their callbacks
         * answer requests. */
        for (size_t i = 0; i < n; i++) {
            struct store__sqlite_job *j = s->batch[i];
            if (!j->end)
                continue;
            store__count(&s->n.writes, 1);
            store__count_answer(&s->n, j->rc);
            j->end(j->w, j->rc, j->end_arg);
            free(j);
            s->batch[i] = NULL;
        }
        pthread_mutex_lock(&s->mu);
        for (size_t i = 0; i < n; i++) {
            if (!s->batch[i])
                continue;
            s->batch[i]->done = true;
            pthread_cond_signal(&s->batch[i]->cv);
        }
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* Appends j to the writer's FIFO; the caller holds s->mu. */
static void enqueue(struct store__sqlite_store *s, struct store__sqlite_job *j)
{
    *(s->tail ? &s->tail->next : &s->head) = j;
    s->tail = j;
    s->queued++;
    pthread_cond_signal(&s->wake);
}

void store__sqlite_write_async(struct store *base, struct store_write *w, store_write_done end,
                               void *arg)
{
    struct store__sqlite_store *s = (struct store__sqlite_store *)base;
    struct store__sqlite_job *j = xcalloc(1, sizeof(*j));
    j->w = w;
    j->rc = ERR_INTERNAL;
    j->end = end;
    j->end_arg = arg;
    pthread_mutex_lock(&s->mu);
    bool stopping = s->stopping;
    if (!stopping)
        enqueue(s, j);
    pthread_mutex_unlock(&s->mu);
    if (stopping) {
        store__count(&s->n.writes, 1);
        store__count_answer(&s->n, ERR_UNAVAILABLE);
        end(w, ERR_UNAVAILABLE, arg);
        free(j);
    }
}

enum err store__sqlite_write(struct store *base, struct store_write *w)
{
    struct store__sqlite_store *s = (struct store__sqlite_store *)base;
    /* From inside a write's own function this would wait for itself. */
    if (pthread_equal(pthread_self(), s->writer)) {
        log_kv(LOG_ERROR, "store_write called from inside a write", (const char *)NULL);
        return ERR_INTERNAL;
    }
    struct store__sqlite_job j = {.w = w, .rc = ERR_INTERNAL};
    pthread_cond_init(&j.cv, NULL);
    pthread_mutex_lock(&s->mu);
    if (s->stopping) {
        j.rc = ERR_UNAVAILABLE;
    } else {
        enqueue(s, &j);
        while (!j.done)
            pthread_cond_wait(&j.cv, &s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    pthread_cond_destroy(&j.cv);
    store__count(&s->n.writes, 1);
    store__count_answer(&s->n, j.rc);
    return j.rc;
}

/* ---- the readers ---- */

enum err store__sqlite_reader_take(struct store__sqlite_store *s, struct store__sqlite_conn **out)
{
    pthread_mutex_lock(&s->rmu);
    for (;;) {
        if (s->rfree) {
            struct store__sqlite_conn *c = s->rfree;
            s->rfree = c->next;
            s->rfree_n--;
            pthread_mutex_unlock(&s->rmu);
            c->next = NULL;
            *out = c;
            return ERR_OK;
        }
        if (s->ropen < s->base.opt.pool_size)
            break;
        pthread_cond_wait(&s->rfree_cv, &s->rmu);
    }
    /* Open a new one outside the lock: others may use the free ones. */
    s->ropen++;
    pthread_mutex_unlock(&s->rmu);
    enum err rc = conn_open(s, false, out);
    if (rc) {
        pthread_mutex_lock(&s->rmu);
        s->ropen--;
        pthread_cond_signal(&s->rfree_cv);
        pthread_mutex_unlock(&s->rmu);
    }
    return rc;
}

void store__sqlite_reader_give(struct store__sqlite_store *s, struct store__sqlite_conn *c)
{
    pthread_mutex_lock(&s->rmu);
    c->next = s->rfree;
    s->rfree = c;
    s->rfree_n++;
    pthread_cond_signal(&s->rfree_cv);
    pthread_mutex_unlock(&s->rmu);
}

enum err store__sqlite_read(struct store *base, store_fn fn, void *arg)
{
    struct store__sqlite_store *s = (struct store__sqlite_store *)base;
    struct store__sqlite_conn *c = NULL;
    enum err rc = store__sqlite_reader_take(s, &c);
    if (rc) {
        store__count_answer(&s->n, rc);
        return rc;
    }
    struct store__sqlite_tx tx = {.base = {.be = base->be, .s = base}, .c = c};
    int src = store__sqlite_ctl_run(c, CTL_BEGIN);
    if (src != SQLITE_DONE) {
        rc = store__sqlite_fail(c, src, "begin read");
        goto out;
    }
    rc = fn(&tx.base, arg);
    if (!sqlite3_get_autocommit(c->db)) {
        src = store__sqlite_ctl_run(c, CTL_COMMIT);
        if (src != SQLITE_DONE) {
            enum err crc = store__sqlite_fail(c, src, "end read");
            store__sqlite_ctl_run(c, CTL_ROLLBACK);
            if (!rc)
                rc = crc;
        }
    }
out:
    c->fault = false;
    store__sqlite_reader_give(s, c);
    store__count_answer(&s->n, rc);
    return rc;
}

static enum err ping_fn(struct store_tx *tx, void *arg)
{
    struct store__sqlite_conn *c = store__sqlite_conn_of(tx);
    int src = exec(c, "SELECT version FROM schema_migrations LIMIT 1");
    return src == SQLITE_OK ? ERR_OK : store__sqlite_fail(c, src, "ping");
}

bool store__sqlite_ping(struct store *s)
{
    return store__sqlite_read(s, ping_fn, NULL) == ERR_OK;
}

/* ---- stats ---- */

void store__sqlite_stats(struct store *base, struct store_stats *out)
{
    struct store__sqlite_store *s = (struct store__sqlite_store *)base;
    store__counters_read(&s->n, out);
    out->checkpoints = atomic_load_explicit(&s->n_checkpoints, memory_order_relaxed);
    out->wal_pages = atomic_load_explicit(&s->wal_pages, memory_order_relaxed);
    out->pool_max = s->base.opt.pool_size;
    pthread_mutex_lock(&s->rmu);
    out->pool_open = s->ropen;
    out->pool_in_use = s->ropen - s->rfree_n;
    pthread_mutex_unlock(&s->rmu);
    pthread_mutex_lock(&s->mu);
    out->write_queue = s->queued;
    pthread_mutex_unlock(&s->mu);
}

/* ---- open and close ---- */

void store__sqlite_close(struct store *base)
{
    struct store__sqlite_store *s = (struct store__sqlite_store *)base;
    if (!s)
        return;
    if (s->writer_running)
        thread_stop(&s->mu, &s->wake, &s->stopping, s->writer);
    /* After the writer: its last commits may still wake the checkpointer. */
    checkpointer_stop(s);
    conn_close(s->wconn);
    /* Reads still running would use freed connections: wait for them. */
    pthread_mutex_lock(&s->rmu);
    while (s->rfree_n < s->ropen)
        pthread_cond_wait(&s->rfree_cv, &s->rmu);
    pthread_mutex_unlock(&s->rmu);
    while (s->rfree) {
        struct store__sqlite_conn *c = s->rfree;
        s->rfree = c->next;
        conn_close(c);
    }
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->rmu);
    pthread_cond_destroy(&s->rfree_cv);
    pthread_mutex_destroy(&s->ckmu);
    pthread_cond_destroy(&s->ckwake);
    arena_destroy(s->warena);
    free(s->batch);
    free(s->path);
    free(s);
}

/*
 * Library-wide settings, made once before SQLite initializes itself.
 * Memory statistics off: with them on (Debian's default), every allocation
 * SQLite makes takes one process-wide mutex to count its bytes, and `perf`
 * on a list page at 64 connections showed the readers queueing on it
 * (pthread_mutex_lock, __lll_lock_wait). kinship never reads those counts.
 */
static void library_configure(void)
{
    if (sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) != SQLITE_OK)
        log_kv(LOG_WARN, "SQLite was initialized before kinship could configure it",
               (const char *)NULL);
}

enum err store__sqlite_engine_open(const char *path, const struct store_options *o,
                                   const struct store_backend *be, struct store **out)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, library_configure);
    enum err rc;
    if (strcmp(path, ":memory:") == 0) {
        /* Every connection would see its own empty database. */
        log_kv(LOG_ERROR, "an in-memory SQLite database cannot be shared; use a file",
               (const char *)NULL);
        return ERR_UNAVAILABLE;
    }
    struct store__sqlite_store *s = xcalloc(1, sizeof(*s));
    s->base.be = be;
    s->base.opt = *o;
    if (s->base.opt.pool_size < 1)
        s->base.opt.pool_size = 1;
    if (s->base.opt.batch_max < 1)
        s->base.opt.batch_max = 1;
    if (s->base.opt.checkpoint_pages < 100)
        s->base.opt.checkpoint_pages = 100;
    if (s->base.opt.busy_timeout_ms < 0)
        s->base.opt.busy_timeout_ms = 0;
    static atomic_uint serial; /* memdb names are the process's own */
    char uri[64];
    snprintf(uri, sizeof(uri), MEMORY_URI "%u?vfs=memdb", atomic_fetch_add(&serial, 1));
    s->path = xstrdup(strcmp(path, "memory:") == 0 ? uri : path);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->wake, NULL);
    pthread_mutex_init(&s->rmu, NULL);
    pthread_cond_init(&s->rfree_cv, NULL);
    pthread_mutex_init(&s->ckmu, NULL);
    pthread_cond_init(&s->ckwake, NULL);
    s->warena = arena_create();
    s->batch = xcalloc((size_t)s->base.opt.batch_max, sizeof(*s->batch));

    if ((rc = conn_open(s, true, &s->wconn)) || (rc = store__sqlite_migrate(s, s->wconn)) ||
        (!in_memory(s) && (rc = checkpointer_start(s))))
        goto fail;
    if (pthread_create(&s->writer, NULL, writer_main, s) != 0) {
        log_kv(LOG_ERROR, "cannot start the SQLite writer thread", (const char *)NULL);
        rc = ERR_UNAVAILABLE;
        goto fail;
    }
    s->writer_running = true;
    *out = &s->base;
    return ERR_OK;
fail:
    store__sqlite_close(&s->base);
    return rc == ERR_UNAVAILABLE ? rc : ERR_UNAVAILABLE;
}
