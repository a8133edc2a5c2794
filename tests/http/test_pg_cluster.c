/*
 * What only PostgreSQL makes possible: two kinship processes on one
 * database keeping the organization rules and idempotency between them,
 * and the database stopped and started under a running server. Runs alone
 * (it restarts the shared test database); needs KINSHIP_TEST_PG_DIR, the
 * data directory scripts/pg-test-server.sh was started with.
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* srv (the suite's server) and b, a second process on the same database
 * serving the same account. */
static struct server b;
static void start_peer(void);
static void stop_peer(void);
HTTP_SUITE(pg_cluster, 240, .ready = start_peer, .done = stop_peer);

static void start_peer(void)
{
    server_start_peer(&b, &srv);
}

static void stop_peer(void)
{
    server_stop(&b, true);
}

struct shot {
    struct server *s;
    const char *body;
    const char *const *headers;
    long status;
    char *resp;
};

static void *fire(void *p)
{
    struct shot *x = p;
    struct resp *r = req(x->s, "POST", "/customer-organizations", x->body, x->headers);
    x->status = r->status;
    x->resp = strdup(r->body);
    resp_free(r);
    return NULL;
}

static void race(const char *body, const char *const *headers, struct shot *shots, int n)
{
    pthread_t t[64];
    for (int i = 0; i < n; i++) {
        shots[i] = (struct shot){.s = i % 2 ? &b : &srv, .body = body, .headers = headers};
        pthread_create(&t[i], NULL, fire, &shots[i]);
    }
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
}

static long long orgs_of(const char *member)
{
    struct resp *r = reqf(&srv, "GET", NULL, "/customer-organizations?memberId=%s", member);
    cr_assert_eq(r->status, 200, "%s", r->body);
    long long n = page_total(r);
    resp_free(r);
    return n;
}

Test(pg_cluster, racing_creates_across_processes_have_one_winner)
{
    char *owner = make_customer(&srv, NULL, "Owner");
    char *member = make_customer(&b, NULL, "Member");
    char body[256];
    snprintf(body, sizeof(body), "{\"ownerId\":\"%s\",\"memberIds\":[\"%s\"]}", owner, member);
    struct shot shots[32];
    race(body, NULL, shots, 32);
    int created = 0, conflict = 0;
    for (int i = 0; i < 32; i++) {
        created += shots[i].status == 201;
        conflict += shots[i].status == 409;
        free(shots[i].resp);
    }
    cr_assert_eq(created, 1, "exactly one 201 across two processes (got %d)", created);
    cr_assert_eq(conflict, 31, "the others 409 (got %d)", conflict);
    cr_assert_eq(orgs_of(member), 1);
    free(owner);
    free(member);
}

Test(pg_cluster, racing_idempotent_retries_across_processes_make_one_organization)
{
    char *owner = make_customer(&srv, NULL, "Owner");
    char *member = make_customer(&srv, NULL, "Member");
    char body[256];
    snprintf(body, sizeof(body), "{\"ownerId\":\"%s\",\"memberIds\":[\"%s\"]}", owner, member);
    const char *h[] = {"Idempotency-Key: retry-across-processes", NULL};
    struct shot shots[16];
    race(body, h, shots, 16);
    for (int i = 0; i < 16; i++) {
        cr_assert_eq(shots[i].status, 201, "every retry answers the first answer: %ld %s",
                     shots[i].status, shots[i].resp);
        cr_assert_str_eq(shots[i].resp, shots[0].resp, "identical answers");
    }
    for (int i = 0; i < 16; i++)
        free(shots[i].resp);
    cr_assert_eq(orgs_of(member), 1, "one organization");
    free(owner);
    free(member);
}

static int pg_ctl(const char *verb)
{
    const char *dir = getenv("KINSHIP_TEST_PG_DIR");
    const char *root = getenv("KINSHIP_SOURCE_ROOT");
    const char *url = getenv("KINSHIP_TEST_PG_URL");
    cr_assert(dir && root && url, "KINSHIP_TEST_PG_DIR, KINSHIP_SOURCE_ROOT, KINSHIP_TEST_PG_URL");
    const char *port = strrchr(url, ':');
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "%s/scripts/pg-test-server.sh %s %s %.*s >/dev/null", root, verb,
             dir, strcmp(verb, "start") == 0 ? (int)strcspn(port + 1, "/") : 0, port + 1);
    return system(cmd);
}

Test(pg_cluster, database_stopped_and_started_under_load)
{
    char *kept = make_customer(&srv, NULL, "Written before the outage");
    cr_assert_eq(pg_ctl("stop"), 0, "stopping the test database");
    for (int i = 0; i < 3; i++) {
        struct resp *r = reqf(&srv, "GET", NULL, "/customers/%s", kept);
        cr_assert_eq(r->status, 503, "reads answer 503 while the database is down: %s", r->body);
        cr_assert(resp_header(r, "Retry-After"));
        resp_free(r);
        r = req(&b, "POST", "/customers",
                "{\"legalName\":\"Down\",\"address\":{\"line1\":\"1\",\"town\":\"T\",\"postcode\":"
                "\"P\",\"country\":\"GB\"},\"taxStatus\":\"TAXED\",\"contacts\":[{\"name\":\"N\","
                "\"email\":\"n@x.io\",\"billingPreference\":\"PRIMARY\"}]}",
                NULL);
        cr_assert_eq(r->status, 503, "writes answer 503 while the database is down: %s", r->body);
        resp_free(r);
    }
    struct resp *r = req_as(&srv, NULL, "GET", "/readyz", NULL, NULL);
    cr_assert_eq(r->status, 503, "not ready without the database");
    resp_free(r);
    cr_assert_eq(pg_ctl("start"), 0, "starting the test database again");
    long st = 0;
    for (int i = 0; i < 50 && st != 200; i++) {
        r = reqf(&srv, "GET", NULL, "/customers/%s", kept);
        st = r->status;
        resp_free(r);
        if (st != 200)
            usleep(100 * 1000);
    }
    cr_assert_eq(st, 200, "the server reconnects by itself and nothing was lost");
    char *after = make_customer(&b, NULL, "Written after the outage");
    r = reqf(&srv, "GET", NULL, "/customers/%s", after);
    cr_assert_eq(r->status, 200, "the other process sees it");
    resp_free(r);
    free(kept);
    free(after);
}
