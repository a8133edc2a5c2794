/*
 * Concurrency without false conflicts, on PostgreSQL (docs/postgresql.md,
 * "How the concurrency rules are enforced"): two kinship processes on one
 * database. Legal concurrent writes all answer 2xx and leave what they
 * answered; the races that have a real loser (same owner, a cycle closed
 * from both ends, the same Idempotency-Key, an archive against a member
 * add) have exactly the outcome one serial order would give, round after
 * round.
 */
#include "cmd.h"
#include "harness.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* srv (the suite's server) and peer, a second process on the same
 * database serving the same account. */
static struct server peer;
static void start_peer(void);
static void stop_peer(void);
HTTP_SUITE(pg_concurrency, 600, .ready = start_peer, .done = stop_peer);

static void start_peer(void)
{
    server_start_peer(&peer, &srv);
}

static void stop_peer(void)
{
    server_stop(&peer, true);
}

/* The server of request i: the two processes in turn. */
static struct server *server_of(int i)
{
    return i % 2 ? &peer : &srv;
}

/* ---- shots: requests started together ---- */

#define SHOTS_MAX 8

struct shot {
    struct server *s;
    const char *method, *path, *body;
    const char *const *headers;
    pthread_barrier_t *go;
    long status;
    char *resp, type[64];
};

static void *fire(void *p)
{
    struct shot *x = p;
    pthread_barrier_wait(x->go);
    struct resp *r = req(x->s, x->method, x->path, x->body, x->headers);
    x->status = r->status;
    x->resp = strdup(r->body ? r->body : "");
    snprintf(x->type, sizeof(x->type), "%s", err_type_of(r));
    resp_free(r);
    return NULL;
}

/* Runs shots[0..n) at once (each on the server its s names). */
static void volley(struct shot *shots, int n)
{
    pthread_t t[SHOTS_MAX];
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, (unsigned)n);
    for (int i = 0; i < n; i++) {
        shots[i].go = &go;
        pthread_create(&t[i], NULL, fire, &shots[i]);
    }
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&go);
}

static void shots_free(struct shot *shots, int n)
{
    for (int i = 0; i < n; i++)
        free(shots[i].resp);
}

/* The id of the organization in a 2xx answer (malloc'd). */
static char *id_in(const char *body)
{
    json_t *j = json_loads(body, 0, NULL);
    cr_assert(j, "not JSON: %s", body);
    char *id = strdup(jstr(j, "id"));
    json_decref(j);
    return id;
}

static char *org_body(const char *owner, const char *const *members, int n)
{
    char *b = malloc(128 + (size_t)n * 48);
    cr_assert(b);
    int len = sprintf(b, "{\"ownerId\":\"%s\",\"memberIds\":[", owner);
    for (int i = 0; i < n; i++)
        len += sprintf(b + len, "%s\"%s\"", i ? "," : "", members[i]);
    strcpy(b + len, "]}");
    return b;
}

/* The organizations `owner` owns (0 or 1). */
static long long orgs_owned(const char *owner)
{
    struct resp *r = reqf(&srv, "GET", NULL, "/customer-organizations?ownerId=%s", owner);
    cr_assert_eq(r->status, 200, "%s", r->body);
    long long n = page_total(r);
    resp_free(r);
    return n;
}

/* ---- twenty writers over shared members ---- */

#define WRITERS 20
#define PER_WRITER 30
#define POOL 24
#define PICK 3

struct writer {
    int i;
    char *owners[PER_WRITER];
    char **pool;
    long bad;         /* answers that were not 2xx */
    char first[1024]; /* the first of them */
    char *org[PER_WRITER], *answer[PER_WRITER];
};

static void writer_note(struct writer *w, struct resp *r, const char *what)
{
    if (r->status >= 200 && r->status < 300)
        return;
    if (!w->bad++)
        snprintf(w->first, sizeof(w->first), "%s: %ld %s", what, r->status, r->body);
}

static void *writer_run(void *p)
{
    struct writer *w = p;
    unsigned seed = (unsigned)w->i * 7919u + 17u;
    for (int k = 0; k < PER_WRITER; k++) {
        struct server *s = server_of(w->i + k);
        const char *members[PICK];
        int first = rand_r(&seed) % POOL;
        for (int m = 0; m < PICK; m++)
            members[m] = w->pool[(first + m * 5) % POOL];
        char *body = org_body(w->owners[k], members, PICK);
        struct resp *r = req(s, "POST", "/customer-organizations", body, NULL);
        free(body);
        writer_note(w, r, "create");
        if (r->status == 201) {
            w->org[k] = id_in(r->body);
            /* then more shared members added to it, on the other process */
            char add[256];
            snprintf(add, sizeof(add), "{\"customerIds\":[\"%s\",\"%s\"]}",
                     w->pool[(first + 1) % POOL], w->pool[(first + 2) % POOL]);
            struct resp *a = reqf(server_of(w->i + k + 1), "POST", add,
                                  "/customer-organizations/%s/members", w->org[k]);
            writer_note(w, a, "add");
            if (a->status == 200)
                w->answer[k] = strdup(a->body);
            resp_free(a);
        }
        resp_free(r);
    }
    return NULL;
}

Test(pg_concurrency, twenty_writers_over_shared_members_all_succeed)
{
    char *pool[POOL];
    for (int i = 0; i < POOL; i++)
        pool[i] = make_customer(server_of(i), NULL, "Shared member");
    static struct writer ws[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        ws[i] = (struct writer){.i = i, .pool = pool};
        for (int k = 0; k < PER_WRITER; k++)
            ws[i].owners[k] = make_customer(server_of(i + k), NULL, "Owner");
    }
    pthread_t t[WRITERS];
    for (int i = 0; i < WRITERS; i++)
        pthread_create(&t[i], NULL, writer_run, &ws[i]);
    for (int i = 0; i < WRITERS; i++)
        pthread_join(t[i], NULL);

    long bad = 0;
    const char *first = NULL;
    for (int i = 0; i < WRITERS; i++) {
        bad += ws[i].bad;
        if (ws[i].bad && !first)
            first = ws[i].first;
    }
    cr_log_info("twenty writers: %d creations, %ld answers not 2xx", WRITERS * PER_WRITER, bad);
    cr_assert_eq(bad, 0, "every legal write answers 2xx (%ld did not; first: %s)", bad, first);

    /* Every organization is as its last answer said. */
    for (int i = 0; i < WRITERS; i++)
        for (int k = 0; k < PER_WRITER; k++) {
            struct resp *r =
                reqf(server_of(k), "GET", NULL, "/customer-organizations/%s", ws[i].org[k]);
            cr_assert_eq(r->status, 200, "%s", r->body);
            json_t *want = json_loads(ws[i].answer[k], 0, NULL);
            char *got_ids = member_ids_of(r->json), *want_ids = member_ids_of(want);
            cr_assert_str_eq(got_ids, want_ids, "members as answered");
            cr_assert_str_eq(jstr(json_object_get(r->json, "owner"), "id"), ws[i].owners[k]);
            free(got_ids);
            free(want_ids);
            json_decref(want);
            resp_free(r);
            free(ws[i].org[k]);
            free(ws[i].answer[k]);
            free(ws[i].owners[k]);
        }
    for (int i = 0; i < POOL; i++)
        free(pool[i]);
}

/* ---- races with one winner ---- */

#define ROUNDS 50

Test(pg_concurrency, same_owner_from_both_processes_has_one_winner)
{
    char *member = make_customer(&srv, NULL, "Member");
    for (int round = 0; round < ROUNDS; round++) {
        char *owner = make_customer(server_of(round), NULL, "Owner");
        const char *m[] = {member};
        char *body = org_body(owner, m, 1);
        struct shot s[2];
        for (int i = 0; i < 2; i++)
            s[i] = (struct shot){.s = server_of(i + round),
                                 .method = "POST",
                                 .path = "/customer-organizations",
                                 .body = body};
        volley(s, 2);
        int won = s[0].status == 201 ? 0 : 1, lost = 1 - won;
        cr_assert_eq(s[won].status, 201, "round %d: one 201 (%ld %s)", round, s[won].status,
                     s[won].resp);
        cr_assert_eq(s[lost].status, 409, "round %d: the other 409 (%ld %s)", round, s[lost].status,
                     s[lost].resp);
        cr_assert_str_eq(s[lost].type, "OrganizationAlreadyExists");
        char *id = id_in(s[won].resp);
        cr_assert(strstr(s[lost].resp, id), "the 409 names the winner %s: %s", id, s[lost].resp);
        cr_assert_eq(orgs_owned(owner), 1);
        free(id);
        shots_free(s, 2);
        free(body);
        free(owner);
    }
    free(member);
}

/*
 * n customers c[0..n) and, at once, the organizations c[i] -> c[i+1 mod n]:
 * together they close a cycle, so exactly n - 1 are created and the last to
 * run answers 409 HierarchyCycle. Afterwards the organizations that exist
 * are the ones answered 201.
 */
static void cycle_round(int n, int round)
{
    char *c[SHOTS_MAX], *body[SHOTS_MAX];
    struct shot s[SHOTS_MAX];
    for (int i = 0; i < n; i++)
        c[i] = make_customer(server_of(i + round), NULL, "Link");
    for (int i = 0; i < n; i++) {
        const char *m[] = {c[(i + 1) % n]};
        body[i] = org_body(c[i], m, 1);
        s[i] = (struct shot){.s = server_of(i + round),
                             .method = "POST",
                             .path = "/customer-organizations",
                             .body = body[i]};
    }
    volley(s, n);
    int created = 0;
    for (int i = 0; i < n; i++) {
        if (s[i].status == 201) {
            created++;
        } else {
            cr_assert_eq(s[i].status, 409, "round %d: %ld %s", round, s[i].status, s[i].resp);
            cr_assert_str_eq(s[i].type, "HierarchyCycle", "round %d: %s", round, s[i].resp);
        }
        cr_assert_eq(orgs_owned(c[i]), s[i].status == 201 ? 1 : 0, "round %d: stored as answered",
                     round);
    }
    cr_assert_eq(created, n - 1, "round %d: %d of %d created, no cycle and no false conflict",
                 round, created, n);
    for (int i = 0; i < n; i++) {
        free(c[i]);
        free(body[i]);
    }
    shots_free(s, n);
}

Test(pg_concurrency, two_cycle_closed_from_both_ends_has_one_winner)
{
    for (int round = 0; round < ROUNDS; round++)
        cycle_round(2, round);
}

Test(pg_concurrency, three_cycle_closed_at_once_leaves_no_cycle)
{
    for (int round = 0; round < ROUNDS; round++)
        cycle_round(3, round);
}

Test(pg_concurrency, same_idempotency_key_on_both_processes_works_once)
{
    char *member = make_customer(&srv, NULL, "Member");
    for (int round = 0; round < ROUNDS; round++) {
        char *owner = make_customer(server_of(round), NULL, "Owner");
        const char *m[] = {member};
        char *body = org_body(owner, m, 1);
        char key[64];
        snprintf(key, sizeof(key), "Idempotency-Key: both-%d", round);
        const char *h[] = {key, NULL};
        struct shot s[2];
        for (int i = 0; i < 2; i++)
            s[i] = (struct shot){.s = server_of(i + round),
                                 .method = "POST",
                                 .path = "/customer-organizations",
                                 .body = body,
                                 .headers = h};
        volley(s, 2);
        for (int i = 0; i < 2; i++)
            cr_assert_eq(s[i].status, 201, "round %d: %ld %s", round, s[i].status, s[i].resp);
        cr_assert_str_eq(s[0].resp, s[1].resp, "round %d: the same answer twice", round);
        cr_assert_eq(orgs_owned(owner), 1);
        shots_free(s, 2);
        free(body);
        free(owner);
    }
    free(member);
}

/* True when the customer answer `body` lists organization `org`. */
static bool lists_org(const char *body, const char *org)
{
    json_t *j = json_loads(body, 0, NULL);
    cr_assert(j, "not JSON: %s", body);
    bool found = false;
    json_t *orgs = json_object_get(j, "organizations"), *o;
    size_t i;
    json_array_foreach(orgs, i, o)
    {
        const char *id = json_is_string(o) ? json_string_value(o) : jstr(o, "id");
        found = found || (id && strcmp(id, org) == 0);
    }
    json_decref(j);
    return found;
}

/*
 * An archive against an add of the same customer: either the add came
 * first (200, and the archive's answer, read after it, shows the
 * membership) or the archive did (the add refused, 400 CustomerArchived).
 * Never an add that read the customer live while the archive committed.
 */
Test(pg_concurrency, archive_racing_a_member_add_never_adds_an_archived_customer)
{
    char *owner = make_customer(&srv, NULL, "Owner");
    char body[128];
    snprintf(body, sizeof(body), "{\"ownerId\":\"%s\",\"memberIds\":[]}", owner);
    struct resp *r = req(&srv, "POST", "/customer-organizations", body, NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    char *org = id_in(r->body);
    resp_free(r);
    int added = 0, refused = 0;
    for (int round = 0; round < ROUNDS; round++) {
        char *x = make_customer(server_of(round), NULL, "Joiner");
        char add[128], add_path[128], arch_path[128];
        snprintf(add, sizeof(add), "{\"customerIds\":[\"%s\"]}", x);
        snprintf(add_path, sizeof(add_path), "/customer-organizations/%s/members", org);
        snprintf(arch_path, sizeof(arch_path), "/customers/%s/archive", x);
        struct shot s[2] = {
            {.s = server_of(round), .method = "POST", .path = add_path, .body = add},
            {.s = server_of(round + 1), .method = "POST", .path = arch_path},
        };
        volley(s, 2);
        cr_assert_eq(s[1].status, 200, "round %d: the archive: %ld %s", round, s[1].status,
                     s[1].resp);
        if (s[0].status == 200) {
            added++;
            cr_assert(lists_org(s[1].resp, org),
                      "round %d: the add succeeded, so it came first: the archive's answer "
                      "shows the membership: %s",
                      round, s[1].resp);
        } else {
            refused++;
            cr_assert_eq(s[0].status, 400, "round %d: %ld %s", round, s[0].status, s[0].resp);
            cr_assert_str_eq(s[0].type, "CustomerArchived", "round %d: %s", round, s[0].resp);
            cr_assert(!lists_org(s[1].resp, org), "round %d: not added", round);
        }
        shots_free(s, 2);
        free(x);
    }
    cr_log_info("archive against add: %d added first, %d refused", added, refused);
    free(org);
    free(owner);
}
