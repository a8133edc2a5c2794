/*
 * The store contract, the store itself: store_write's idempotency,
 * atomicity and concurrency, opening and reopening, two stores on one
 * database, and SQLite's disk-full recovery.
 */
#include "store_fixture.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

/* ---- store_write: idempotency, atomicity, concurrency ---- */

struct counted {
    struct customer *c;
    const char *account;
    int runs;
    enum err fail_with; /* after the insert */
};

static enum err counted_fn(struct store_tx *tx, void *arg)
{
    struct counted *k = arg;
    k->runs++;
    enum err rc = store_customer_insert(tx, k->account, k->c);
    return rc ? rc : k->fail_with;
}

static void counted_render(void *arg, int *status, char **body)
{
    struct counted *k = arg;
    *status = 201;
    char buf[128];
    snprintf(buf, sizeof(buf), "{\"id\":\"%s\"}", k->c->id);
    *body = xstrdup(buf);
}

static enum err idem_write(const char *account, const char *key, uint8_t hash_byte,
                           struct counted *k, struct store_write *w)
{
    *w = (struct store_write){.fn = counted_fn,
                              .arg = k,
                              .render = counted_render,
                              .account_id = account,
                              .idem_key = key};
    memset(w->idem_hash, hash_byte, IDEM_HASH_LEN);
    return store_write(S, w);
}

static bool customer_exists(const char *account, const char *id)
{
    struct op o = {.k = OP_CUSTOMER_GET, .acct = account, .id = id};
    enum err rc = R(&o);
    cr_assert(rc == ERR_OK || rc == ERR_NOT_FOUND);
    return rc == ERR_OK;
}

Test(store, idempotency)
{
    struct counted k = {.c = mk_customer("idem", 0), .account = acct_a};
    struct store_write w;
    cr_assert_eq(idem_write(acct_a, "key-1", 1, &k, &w), ERR_OK);
    cr_assert_not(w.replayed);
    cr_assert_eq(w.status, 201);
    cr_assert_not_null(w.body);
    char *first = w.body;
    cr_assert_eq(k.runs, 1);

    /* Same key, same hash: the first answer, without running fn. */
    struct counted k2 = {.c = mk_customer("idem again", 1), .account = acct_a};
    cr_assert_eq(idem_write(acct_a, "key-1", 1, &k2, &w), ERR_OK);
    cr_assert(w.replayed);
    cr_assert_eq(w.status, 201);
    cr_assert_str_eq(w.body, first);
    cr_assert_eq(k2.runs, 0, "fn not run on replay");
    cr_assert_not(customer_exists(acct_a, k2.c->id));
    free(w.body);

    /* Same key, other hash: conflict, nothing run. */
    cr_assert_eq(idem_write(acct_a, "key-1", 2, &k2, &w), ERR_IDEMPOTENCY_CONFLICT);
    cr_assert_null(w.body);
    cr_assert_eq(k2.runs, 0);
    cr_assert_not(customer_exists(acct_a, k2.c->id));

    /* Keys belong to an account. */
    struct counted kb = {.c = mk_customer("idem b", 2), .account = acct_b};
    cr_assert_eq(idem_write(acct_b, "key-1", 2, &kb, &w), ERR_OK);
    cr_assert_not(w.replayed);
    cr_assert_eq(kb.runs, 1);
    cr_assert(customer_exists(acct_b, kb.c->id));
    free(w.body);

    /* A failed write records no answer: the retry runs fn. */
    struct counted kf = {
        .c = mk_customer("idem fail", 3), .account = acct_a, .fail_with = ERR_CUSTOMER_NOT_FOUND};
    cr_assert_eq(idem_write(acct_a, "key-2", 3, &kf, &w), ERR_CUSTOMER_NOT_FOUND);
    cr_assert_null(w.body);
    cr_assert_not(customer_exists(acct_a, kf.c->id));
    kf.fail_with = ERR_OK;
    cr_assert_eq(idem_write(acct_a, "key-2", 3, &kf, &w), ERR_OK);
    cr_assert_not(w.replayed);
    cr_assert_eq(kf.runs, 2);
    cr_assert(customer_exists(acct_a, kf.c->id));
    free(w.body);

    /* The original record still answers. */
    cr_assert_eq(idem_write(acct_a, "key-1", 1, &k2, &w), ERR_OK);
    cr_assert(w.replayed);
    cr_assert_str_eq(w.body, first);
    free(w.body);
    free(first);
}

/* Several ops in one transaction, stopping at the first error. */
struct seq {
    struct op **ops;
    size_t n;
};

static enum err seq_fn(struct store_tx *tx, void *arg)
{
    struct seq *sq = arg;
    for (size_t i = 0; i < sq->n; i++) {
        enum err rc = op_fn(tx, sq->ops[i]);
        if (rc)
            return rc;
    }
    return ERR_OK;
}

Test(store, failed_fn_leaves_nothing)
{
    struct counted k = {
        .c = mk_customer("doomed", 0), .account = acct_a, .fail_with = ERR_CONFLICT};
    struct store_write w = {.fn = counted_fn, .arg = &k, .render = counted_render};
    cr_assert_eq(store_write(S, &w), ERR_CONFLICT);
    cr_assert_null(w.body);
    cr_assert_not(customer_exists(acct_a, k.c->id), "contacts and row rolled back");
    struct op o = {.k = OP_PROPERTY_KEYS, .acct = acct_a};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_eq(o.n, 0, "properties rolled back");
    struct customer_query q = {
        .email = k.c->contacts[0].email, .include_archived = true, .page = {.limit = 5}};
    o = list_customers(&q);
    cr_assert_eq(o.pr.total, 0);

    /* A constraint failure in the middle of fn: the earlier insert goes too. */
    struct customer *owner = insert_customer("owner", 1);
    insert_org(owner->id, NULL, 0, 0);
    struct customer *half = mk_customer("half", 2);
    struct op ins = {.k = OP_CUSTOMER_INSERT, .acct = acct_a, .customer = half};
    struct op dup = {.k = OP_ORG_INSERT, .acct = acct_a, .org = mk_org(owner->id, NULL, 0, 1)};
    struct op *ops[] = {&ins, &dup};
    struct seq sq = {ops, 2};
    cr_assert_eq(write_fn(S, seq_fn, &sq), ERR_ORGANIZATION_EXISTS);
    cr_assert_not(customer_exists(acct_a, half->id));
}

/* 32 writers check for the owner's organization, then insert one. */
struct race {
    const char *owner;
    pthread_barrier_t *start;
    enum err rc;
    char org_id[ID_LEN + 1];
};

static enum err race_fn(struct store_tx *tx, void *arg)
{
    struct race *r = arg;
    char existing[ID_LEN + 1];
    enum err rc = store_org_id_by_owner(tx, acct_a, r->owner, existing);
    if (rc == ERR_OK)
        return ERR_ORGANIZATION_EXISTS;
    if (rc != ERR_NOT_FOUND)
        return rc;
    struct organization o = {.created_at = T0};
    memcpy(o.id, r->org_id, sizeof(o.id));
    snprintf(o.owner.id, sizeof(o.owner.id), "%s", r->owner);
    return store_org_insert(tx, acct_a, &o);
}

static void *race_thread(void *arg)
{
    struct race *r = arg;
    pthread_barrier_wait(r->start);
    r->rc = write_fn(S, race_fn, r);
    return NULL;
}

Test(store, concurrent_org_insert_one_wins)
{
    enum { N = 32 };
    struct customer *owner = insert_customer("contested", 0);
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, N);
    struct race r[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        r[i] = (struct race){.owner = owner->id, .start = &start, .rc = ERR_INTERNAL};
        id_new(r[i].org_id);
        cr_assert_eq(pthread_create(&th[i], NULL, race_thread, &r[i]), 0);
    }
    for (int i = 0; i < N; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&start);
    int won = -1, lost = 0;
    for (int i = 0; i < N; i++) {
        if (r[i].rc == ERR_OK) {
            cr_assert_eq(won, -1, "two writers won");
            won = i;
        } else {
            cr_assert_eq(r[i].rc, ERR_ORGANIZATION_EXISTS, "writer %d: %s", i, err_type(r[i].rc));
            lost++;
        }
    }
    cr_assert_neq(won, -1, "nobody won");
    cr_assert_eq(lost, N - 1);
    struct op o = {.k = OP_ORG_ID_BY_OWNER, .acct = acct_a, .id = owner->id};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_str_eq(o.id_out, r[won].org_id);
    struct page_query pq = {.limit = 50, .desc = true};
    o = (struct op){.k = OP_ORG_LIST, .acct = acct_a, .pq = &pq};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_eq(o.pr.total, 1);
}

/* Writers that each add one edge owner -> member after store_hierarchy_lock
 * and the R6 check it allows: edges that together close a cycle. */
struct edge {
    const char *owner, *member;
    pthread_barrier_t *start;
    enum err rc;
};

static enum err edge_fn(struct store_tx *tx, void *arg)
{
    struct edge *e = arg;
    bool closes = false, locked = false;
    enum err rc = store_hierarchy_lock(tx, acct_a, e->owner, &e->member, 1, &closes, &locked);
    if (rc == ERR_OK && !locked)
        rc = store_org_reaches(tx, acct_a, e->member, e->owner, &closes);
    if (rc)
        return rc;
    if (closes)
        return ERR_HIERARCHY_CYCLE;
    struct member m = {.name = ""};
    snprintf(m.id, sizeof(m.id), "%s", e->member);
    struct organization o = {.created_at = T0, .members = &m, .n_members = 1};
    id_new(o.id);
    snprintf(o.owner.id, sizeof(o.owner.id), "%s", e->owner);
    return store_org_insert(tx, acct_a, &o);
}

static void *edge_thread(void *arg)
{
    struct edge *e = arg;
    pthread_barrier_wait(e->start);
    e->rc = write_fn(S, edge_fn, e);
    return NULL;
}

/* Rounds of n customers whose edges c[i] -> c[i+1 mod n] are added at
 * once: exactly n - 1 commit, the last refused as a cycle. */
Test(store, concurrent_edges_never_close_a_cycle)
{
    enum { ROUNDS = 20, MAXN = 4 };
    for (int round = 0; round < ROUNDS; round++) {
        int n = 2 + round % (MAXN - 1);
        struct customer *c[MAXN];
        for (int i = 0; i < n; i++)
            c[i] = insert_customer(arena_printf(A, "link-%d-%d", round, i), round * 10 + i);
        pthread_barrier_t start;
        pthread_barrier_init(&start, NULL, (unsigned)n);
        struct edge e[MAXN];
        pthread_t th[MAXN];
        for (int i = 0; i < n; i++) {
            e[i] = (struct edge){.owner = c[i]->id,
                                 .member = c[(i + 1) % n]->id,
                                 .start = &start,
                                 .rc = ERR_INTERNAL};
            cr_assert_eq(pthread_create(&th[i], NULL, edge_thread, &e[i]), 0);
        }
        for (int i = 0; i < n; i++)
            pthread_join(th[i], NULL);
        pthread_barrier_destroy(&start);
        int ok = 0;
        for (int i = 0; i < n; i++) {
            if (e[i].rc == ERR_OK)
                ok++;
            else
                cr_assert_eq(e[i].rc, ERR_HIERARCHY_CYCLE, "round %d edge %d: %s", round, i,
                             err_type(e[i].rc));
        }
        cr_assert_eq(ok, n - 1, "round %d: %d of %d edges committed", round, ok, n);
    }
}

/* Writers that share commits: the failures leave no trace, the successes
 * are all there, replays included. */
struct mixed {
    struct counted k;
    pthread_barrier_t *start;
    char key[32];
    bool with_key;
    enum err rc;
};

static void *mixed_thread(void *arg)
{
    struct mixed *m = arg;
    pthread_barrier_wait(m->start);
    struct store_write w;
    if (m->with_key) {
        m->rc = idem_write(acct_a, m->key, 7, &m->k, &w);
    } else {
        w = (struct store_write){.fn = counted_fn, .arg = &m->k, .render = counted_render};
        m->rc = store_write(S, &w);
    }
    free(w.body);
    return NULL;
}

Test(store, concurrent_writes_fail_alone)
{
    enum { N = 48 };
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, N);
    struct mixed *m = arena_zalloc(A, N * sizeof(*m));
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        m[i].k = (struct counted){.c = mk_customer(arena_printf(A, "w%d", i), i),
                                  .account = acct_a,
                                  .fail_with = i % 3 == 1 ? ERR_HIERARCHY_CYCLE : ERR_OK};
        m[i].start = &start;
        m[i].with_key = i % 2 == 0;
        snprintf(m[i].key, sizeof(m[i].key), "mixed-%d", i);
        cr_assert_eq(pthread_create(&th[i], NULL, mixed_thread, &m[i]), 0);
    }
    for (int i = 0; i < N; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&start);
    int64_t ok = 0;
    for (int i = 0; i < N; i++) {
        bool fails = i % 3 == 1;
        cr_assert_eq(m[i].rc, fails ? ERR_HIERARCHY_CYCLE : ERR_OK, "writer %d", i);
        cr_assert_eq(customer_exists(acct_a, m[i].k.c->id), !fails, "writer %d", i);
        ok += !fails;
    }
    struct customer_query q = {.include_archived = true, .page = {.limit = 1}};
    struct op o = list_customers(&q);
    cr_assert_eq(o.pr.total, ok);
    /* The keyed successes replay; the keyed failures run again. */
    for (int i = 0; i < N; i += 2) {
        struct counted k = {.c = mk_customer("retry", 1000 + i), .account = acct_a};
        struct store_write w;
        cr_assert_eq(idem_write(acct_a, m[i].key, 7, &k, &w), ERR_OK);
        cr_assert_eq(w.replayed, i % 3 != 1, "writer %d", i);
        free(w.body);
    }
}

/* Readers run beside writers that insert customers two at a time: every
 * snapshot holds an even number. */
struct pair_writer {
    int rounds;
    enum err rc;
    pthread_barrier_t *start;
};

static enum err pair_fn(struct store_tx *tx, void *arg)
{
    enum err rc = ERR_OK;
    for (int i = 0; i < 2 && !rc; i++) {
        struct customer c = {.legal_name = "pair", .created_at = T0, .updated_at = T0};
        id_new(c.id);
        rc = store_customer_insert(tx, acct_a, &c);
    }
    return rc;
}

static void *pair_writer_thread(void *arg)
{
    struct pair_writer *p = arg;
    pthread_barrier_wait(p->start);
    for (int i = 0; i < p->rounds && !p->rc; i++)
        p->rc = write_fn(S, pair_fn, NULL);
    return NULL;
}

struct reader {
    int rounds;
    enum err rc;
    bool odd_seen;
    int64_t last;
    pthread_barrier_t *start;
};

static enum err count_fn(struct store_tx *tx, void *arg)
{
    struct reader *r = arg;
    struct arena *a = arena_create();
    struct customer_query q = {.include_archived = true, .page = {.limit = 2, .desc = true}};
    struct customer *items;
    const char **keys;
    size_t n;
    struct page_result pr;
    enum err rc = store_customer_list(tx, a, acct_a, &q, &items, &keys, &n, &pr);
    if (rc == ERR_OK) {
        if (pr.total % 2)
            r->odd_seen = true;
        if (pr.total < r->last)
            r->odd_seen = true; /* went back in time */
        r->last = pr.total;
    }
    arena_destroy(a);
    return rc;
}

static void *reader_thread(void *arg)
{
    struct reader *r = arg;
    pthread_barrier_wait(r->start);
    for (int i = 0; i < r->rounds && !r->rc; i++)
        r->rc = store_read(S, count_fn, r);
    return NULL;
}

Test(store, concurrent_reads_see_whole_writes)
{
    enum { NW = 4, NR = 12 };
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, NW + NR);
    struct pair_writer w[NW];
    struct reader r[NR];
    pthread_t th[NW + NR];
    for (int i = 0; i < NW; i++) {
        w[i] = (struct pair_writer){.rounds = 40, .start = &start};
        cr_assert_eq(pthread_create(&th[i], NULL, pair_writer_thread, &w[i]), 0);
    }
    for (int i = 0; i < NR; i++) {
        r[i] = (struct reader){.rounds = 150, .start = &start};
        cr_assert_eq(pthread_create(&th[NW + i], NULL, reader_thread, &r[i]), 0);
    }
    for (int i = 0; i < NW + NR; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&start);
    for (int i = 0; i < NW; i++)
        cr_assert_eq(w[i].rc, ERR_OK, "writer %d: %s", i, err_type(w[i].rc));
    for (int i = 0; i < NR; i++) {
        cr_assert_eq(r[i].rc, ERR_OK, "reader %d: %s", i, err_type(r[i].rc));
        cr_assert_not(r[i].odd_seen, "reader %d saw half a write", i);
    }
    struct customer_query q = {.include_archived = true, .page = {.limit = 1}};
    struct op o = list_customers(&q);
    cr_assert_eq(o.pr.total, NW * 40 * 2);
}

/* ---- the store itself ---- */

Test(store, kind_ping_and_reopen)
{
    cr_assert(store_ping(S));
    const char *kind = store_kind(S);
    cr_assert(strcmp(kind, "sqlite") == 0 || strcmp(kind, "postgresql") == 0);
    if (strcmp(kind, "sqlite") == 0)
        cr_assert_not(store_blocks(S));
    struct customer *c = insert_customer("durable", 0);
    store_close(S);
    S = NULL;
    struct store_options opt;
    store_options_default(&opt);
    cr_assert_eq(store_open(fx.url, &opt, &S), ERR_OK, "reopen (migrations already applied)");
    struct customer g = get_customer(acct_a, c->id);
    cr_assert_str_eq(g.legal_name, "durable");
    cr_assert_eq(g.n_contacts, 2);
}

/* Two stores on one database (as `kinship keys create` beside a running
 * server): both write at once, each sees the other's rows. */
struct twin {
    struct store *s;
    int rounds;
    enum err rc;
    char (*ids)[ID_LEN + 1];
    pthread_barrier_t *start;
};

static enum err twin_fn(struct store_tx *tx, void *arg)
{
    struct customer c = {.legal_name = "twin", .created_at = T0, .updated_at = T0};
    memcpy(c.id, arg, sizeof(c.id));
    return store_customer_insert(tx, acct_a, &c);
}

static void *twin_thread(void *arg)
{
    struct twin *t = arg;
    pthread_barrier_wait(t->start);
    for (int i = 0; i < t->rounds && !t->rc; i++)
        t->rc = write_fn(t->s, twin_fn, t->ids[i]);
    return NULL;
}

Test(store, two_stores_one_database)
{
    struct store_options opt;
    store_options_default(&opt);
    struct store *s2 = NULL;
    cr_assert_eq(store_open(fx.url, &opt, &s2), ERR_OK);
    enum { ROUNDS = 60 };
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, 4);
    struct twin t[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        t[i] = (struct twin){.s = i % 2 ? s2 : S, .rounds = ROUNDS, .start = &start};
        t[i].ids = arena_alloc(A, ROUNDS * sizeof(*t[i].ids));
        for (int j = 0; j < ROUNDS; j++)
            id_new(t[i].ids[j]);
        cr_assert_eq(pthread_create(&th[i], NULL, twin_thread, &t[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&start);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(t[i].rc, ERR_OK, "writer %d: %s", i, err_type(t[i].rc));
    struct customer_query q = {.include_archived = true, .page = {.limit = 1}};
    struct op o = {.k = OP_CUSTOMER_LIST, .acct = acct_a, .cq = &q};
    cr_assert_eq(store_read(s2, op_fn, &o), ERR_OK);
    cr_assert_eq(o.pr.total, 4 * ROUNDS);
    o = list_customers(&q);
    cr_assert_eq(o.pr.total, 4 * ROUNDS);
    store_close(s2);
}

/* Processes starting together on a database nobody has migrated yet: each
 * open waits for the others' migrations instead of failing. */
struct opener {
    const char *url;
    pthread_barrier_t *start;
    struct store *s;
    enum err rc;
};

static void *opener_thread(void *arg)
{
    struct opener *op = arg;
    struct store_options opt;
    store_options_default(&opt);
    pthread_barrier_wait(op->start);
    op->rc = store_open(op->url, &opt, &op->s);
    return NULL;
}

Test(store, concurrent_opens_of_a_new_database)
{
    enum { N = 6 };
    char fresh[sizeof(fx.url)];
    if (is_sqlite())
        snprintf(fresh, sizeof(fresh), "sqlite:%s/fresh.db", fx.dir);
    else
        snprintf(fresh, sizeof(fresh), "%s", fx.url);
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, N);
    struct opener op[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        op[i] = (struct opener){.url = fresh, .start = &start, .rc = ERR_INTERNAL};
        cr_assert_eq(pthread_create(&th[i], NULL, opener_thread, &op[i]), 0);
    }
    for (int i = 0; i < N; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&start);
    for (int i = 0; i < N; i++)
        cr_assert_eq(op[i].rc, ERR_OK, "open %d: %s", i, err_type(op[i].rc));
    char name[64], id1[ID_LEN + 1], id2[ID_LEN + 1];
    char u[ID_LEN + 1];
    id_new(u);
    snprintf(name, sizeof(name), "test-%s", u);
    struct op o = {.k = OP_ACCOUNT_ENSURE, .str = name, .now = T0};
    cr_assert_eq(write_fn(op[0].s, op_fn, &o), ERR_OK);
    memcpy(id1, o.id_out, sizeof(id1));
    o = (struct op){.k = OP_ACCOUNT_ENSURE, .str = name, .now = T0};
    cr_assert_eq(write_fn(op[N - 1].s, op_fn, &o), ERR_OK);
    memcpy(id2, o.id_out, sizeof(id2));
    cr_assert_str_eq(id1, id2, "one database behind every store");
    for (int i = 0; i < N; i++)
        store_close(op[i].s);
}

/* SQLite: when the disk refuses writes, store_write answers
 * ERR_UNAVAILABLE and stores nothing of that write; what it acknowledged is
 * there; once the disk takes writes again, so does the store. The file size
 * limit (RLIMIT_FSIZE) plays the full disk. */
Test(store, sqlite_disk_full_then_recovers)
{
    if (!is_sqlite())
        cr_skip_test("SQLite only");
    signal(SIGXFSZ, SIG_IGN);
    char wal[600];
    snprintf(wal, sizeof(wal), "%s-wal", fx.db_path);
    struct stat sd, sw;
    cr_assert_eq(stat(fx.db_path, &sd), 0);
    off_t cur = sd.st_size;
    if (stat(wal, &sw) == 0 && sw.st_size > cur)
        cur = sw.st_size;
    struct rlimit old, lim;
    cr_assert_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = (rlim_t)cur + 96 * 1024;
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);

    char *big = arena_alloc(A, 6001);
    memset(big, 'x', 6000);
    big[6000] = '\0';
    struct customer *acked[400];
    struct customer *refused[400];
    size_t n_acked = 0, n_refused = 0;
    for (int i = 0; i < 400 && n_refused < 3; i++) {
        struct customer *c = mk_customer(arena_printf(A, "%d-%s", i, big), i);
        struct op o = {.k = OP_CUSTOMER_INSERT, .acct = acct_a, .customer = c};
        enum err rc = W(&o);
        if (rc == ERR_OK) {
            acked[n_acked++] = c;
        } else {
            cr_assert_eq(rc, ERR_UNAVAILABLE, "%s", err_type(rc));
            refused[n_refused++] = c;
        }
    }
    cr_assert_gt(n_refused, 0, "the size limit never hit");
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &old), 0);

    struct customer *after = insert_customer("after the fault", 5000);
    for (size_t i = 0; i < n_acked; i++)
        cr_assert(customer_exists(acct_a, acked[i]->id), "acknowledged write %zu lost", i);
    for (size_t i = 0; i < n_refused; i++)
        cr_assert_not(customer_exists(acct_a, refused[i]->id), "refused write %zu stored", i);

    /* And from the file itself. */
    store_close(S);
    S = NULL;
    struct store_options opt;
    store_options_default(&opt);
    cr_assert_eq(store_open(fx.url, &opt, &S), ERR_OK);
    for (size_t i = 0; i < n_acked; i++)
        cr_assert(customer_exists(acct_a, acked[i]->id), "acknowledged write %zu lost", i);
    for (size_t i = 0; i < n_refused; i++)
        cr_assert_not(customer_exists(acct_a, refused[i]->id));
    cr_assert(customer_exists(acct_a, after->id));
}
