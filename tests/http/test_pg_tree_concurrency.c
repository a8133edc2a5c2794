/*
 * The depth limit under concurrent writes (docs/postgresql.md, "R11: why
 * the depth limit holds"): two kinship processes on one database, both
 * with max_depth 3. Each round races two creations that are legal
 * alone and together would make a chain of 5: exactly one wins, the other
 * answers 409 HierarchyTooDeep, and no chain is deeper than the limit
 * afterwards, whichever process gets which write. PostgreSQL only.
 */
#include "cmd.h"
#include "harness.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEPTH "3"

static struct server other;
static void other_up(void);
static void other_down(void);
HTTP_SUITE(pg_tree_concurrency, 600, .extra = HTTP_ARGS("--max-depth", DEPTH), .ready = other_up,
           .done = other_down);

/* A second process on srv's database and account, with the same limit. */
static void other_up(void)
{
    cr_assert(srv.pg, "the race needs the shared PostgreSQL");
    memcpy(&other, &srv, sizeof(other));
    other.port = cmd_free_port();
    snprintf(other.log, sizeof(other.log), "%s/other.log", srv.dir);
    server_restart(&other, HTTP_ARGS("--max-depth", DEPTH));
}

static void other_down(void)
{
    server_stop(&other, true);
}

/* One organization's creation, started when both threads are ready. */
struct add {
    struct server *via;
    char path[160], body[160];
    pthread_barrier_t *start;
    long status;
    char type[48];
};

static void *add_run(void *p)
{
    struct add *a = p;
    pthread_barrier_wait(a->start);
    struct resp *r = req(a->via, "POST", a->path, a->body, NULL);
    a->status = r->status;
    snprintf(a->type, sizeof(a->type), "%s", err_type_of(r));
    resp_free(r);
    return NULL;
}

/* The organization `owner` owns with the one member `member`; its id. */
static char *own(const char *owner, const char *member)
{
    json_t *body = json_pack("{s:s,s:[s]}", "ownerId", owner, "memberIds", member);
    char *text = json_dumps(body, JSON_COMPACT), *id = NULL;
    json_decref(body);
    struct resp *r = req(&srv, "POST", "/customer-organizations", text, NULL);
    free(text);
    cr_assert_eq(r->status, 201, "%s", r->body);
    id = strdup(jstr(r->json, "id"));
    resp_free(r);
    return id;
}

/* The deepest ancestor depth of `id`, as the ancestors read says. */
static long long deepest_above(const char *id)
{
    struct resp *r = reqf(&srv, "GET", NULL, "/customers/%s/ancestors", id);
    cr_assert_eq(r->status, 200, "%s", r->body);
    json_t *items = json_object_get(r->json, "items");
    long long d = 0;
    for (size_t i = 0; i < json_array_size(items); i++) {
        long long di = json_integer_value(json_object_get(json_array_get(items, i), "depth"));
        d = di > d ? di : d;
    }
    resp_free(r);
    return d;
}

Test(pg_tree_concurrency, two_adds_that_together_pass_the_limit_have_one_winner)
{
    if (!srv.pg)
        return;
    int first_won = 0, second_won = 0;
    for (int round = 0; round < 16; round++) {
        /* A -> B, C -> D and E -> F; then B comes to own C (A..D, 3
         * levels) while D comes to own E (C..F, 3 levels): both would make
         * A..F, 5. */
        const char *names[] = {"A", "B", "C", "D", "E", "F"};
        char *c[6];
        for (int i = 0; i < 6; i++)
            c[i] = make_customer(&srv, NULL, names[i]);
        char *oa = own(c[0], c[1]), *oc = own(c[2], c[3]), *oe = own(c[4], c[5]);
        pthread_barrier_t start;
        pthread_barrier_init(&start, NULL, 2);
        struct add adds[2] = {{.via = round % 2 ? &other : &srv, .start = &start},
                              {.via = round % 2 ? &srv : &other, .start = &start}};
        for (int i = 0; i < 2; i++) {
            snprintf(adds[i].path, sizeof(adds[i].path), "/customer-organizations");
            snprintf(adds[i].body, sizeof(adds[i].body),
                     "{\"ownerId\":\"%s\",\"memberIds\":[\"%s\"]}", c[1 + 2 * i], c[2 + 2 * i]);
        }
        pthread_t t[2];
        for (int i = 0; i < 2; i++)
            pthread_create(&t[i], NULL, add_run, &adds[i]);
        for (int i = 0; i < 2; i++)
            pthread_join(t[i], NULL);
        pthread_barrier_destroy(&start);
        bool won0 = adds[0].status == 201, won1 = adds[1].status == 201;
        cr_assert(won0 != won1, "round %d: %ld and %ld", round, adds[0].status, adds[1].status);
        struct add *lost = won0 ? &adds[1] : &adds[0];
        cr_assert_eq(lost->status, 409, "round %d", round);
        cr_assert_str_eq(lost->type, "HierarchyTooDeep", "round %d", round);
        first_won += won0;
        second_won += won1;
        /* F, at the bottom of every chain, sits at most 3 below anyone */
        cr_assert_leq(deepest_above(c[5]), 3, "round %d", round);
        for (int i = 0; i < 6; i++)
            free(c[i]);
        free(oa), free(oc), free(oe);
    }
    cr_assert_eq(first_won + second_won, 16);
}
