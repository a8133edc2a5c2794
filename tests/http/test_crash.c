/*
 * Crash consistency: concurrent writes (customers, organizations, member
 * additions), SIGKILL mid-flight, restart, and then every write that was
 * answered 2xx must be there, whole, and no organization half-written.
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct server srv;

#define THREADS 8
#define MAX_ACKS 4096

struct ack_org {
    char id[40], owner[40];
    char members[8][40]; /* members acknowledged as added */
    int n_members;
};

struct worker {
    int n;
    char customers[MAX_ACKS][40];
    int n_customers;
    struct ack_org orgs[MAX_ACKS / 4];
    int n_orgs;
};

static atomic_bool stop;
static struct worker workers[THREADS];

static bool new_customer(struct worker *w, char out[40])
{
    char body[1024];
    snprintf(body, sizeof(body),
             "{\"legalName\":\"Crash %d-%d\",\"address\":{\"line1\":\"1\",\"town\":\"T\","
             "\"postcode\":\"P\",\"country\":\"GB\"},\"taxStatus\":\"TAXED\",\"contacts\":[{"
             "\"name\":\"N\",\"email\":\"n@x.io\",\"billingPreference\":\"PRIMARY\"}]}",
             w->n, w->n_customers);
    struct resp *r = req(&srv, "POST", "/customers", body, NULL);
    bool ok = r->status == 201;
    if (ok && w->n_customers < MAX_ACKS) {
        snprintf(out, 40, "%s", jstr(r->json, "id"));
        memcpy(w->customers[w->n_customers++], out, 40);
    }
    resp_free(r);
    return ok;
}

static void *work(void *p)
{
    struct worker *w = p;
    char owner[40], m1[40], m2[40], extra[40];
    while (!atomic_load(&stop) && w->n_orgs < MAX_ACKS / 4 - 1) {
        if (!new_customer(w, owner) || !new_customer(w, m1) || !new_customer(w, m2))
            continue;
        char body[256];
        snprintf(body, sizeof(body), "{\"ownerId\":\"%s\",\"memberIds\":[\"%s\",\"%s\"]}", owner,
                 m1, m2);
        struct resp *r = req(&srv, "POST", "/customer-organizations", body, NULL);
        if (r->status != 201) {
            resp_free(r);
            continue;
        }
        struct ack_org *o = &w->orgs[w->n_orgs++];
        snprintf(o->id, sizeof(o->id), "%s", jstr(r->json, "id"));
        snprintf(o->owner, sizeof(o->owner), "%s", owner);
        memcpy(o->members[0], m1, 40);
        memcpy(o->members[1], m2, 40);
        o->n_members = 2;
        resp_free(r);
        if (!new_customer(w, extra))
            continue;
        snprintf(body, sizeof(body), "{\"customerIds\":[\"%s\"]}", extra);
        char path[128];
        snprintf(path, sizeof(path), "/customer-organizations/%s/members", o->id);
        r = req(&srv, "POST", path, body, NULL);
        if (r->status == 200)
            memcpy(o->members[o->n_members++], extra, 40);
        resp_free(r);
    }
    return NULL;
}

static bool has_member(json_t *org, const char *id)
{
    json_t *ms = json_object_get(org, "members");
    for (size_t i = 0; i < json_array_size(ms); i++)
        if (strcmp(jstr(json_array_get(ms, i), "id"), id) == 0)
            return true;
    return false;
}

Test(crash, acknowledged_writes_survive_sigkill, .timeout = 300)
{
    server_start(&srv, NULL);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        workers[i].n = i;
        pthread_create(&t[i], NULL, work, &workers[i]);
    }
    usleep(2500 * 1000);
    server_kill(&srv); /* in the middle of the load */
    atomic_store(&stop, true);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    server_restart(&srv, NULL);

    int customers = 0, orgs = 0;
    for (int i = 0; i < THREADS; i++) {
        struct worker *w = &workers[i];
        for (int k = 0; k < w->n_customers; k++, customers++) {
            struct resp *r = reqf(&srv, "GET", NULL, "/customers/%s", w->customers[k]);
            cr_assert_eq(r->status, 200, "acknowledged customer %s lost", w->customers[k]);
            cr_assert_eq(json_array_size(json_object_get(r->json, "contacts")), 1,
                         "customer %s whole", w->customers[k]);
            resp_free(r);
        }
        for (int k = 0; k < w->n_orgs; k++, orgs++) {
            struct ack_org *o = &w->orgs[k];
            struct resp *r = reqf(&srv, "GET", NULL, "/customer-organizations/%s", o->id);
            cr_assert_eq(r->status, 200, "acknowledged organization %s lost", o->id);
            cr_assert_str_eq(jstr(json_object_get(r->json, "owner"), "id"), o->owner);
            for (int m = 0; m < o->n_members; m++)
                cr_assert(has_member(r->json, o->members[m]), "member %s of %s lost", o->members[m],
                          o->id);
            resp_free(r);
        }
    }
    cr_assert_gt(orgs, 10, "the load did some work before the kill (%d orgs)", orgs);

    /* No organization, acknowledged or not, is half-written: each was
     * created with two members in one transaction. */
    char after[512] = "";
    for (;;) {
        struct resp *r = reqf(&srv, "GET", NULL, "/customer-organizations?limit=100%s%s",
                              after[0] ? "&after=" : "", after);
        cr_assert_eq(r->status, 200, "%s", r->body);
        json_t *items = json_object_get(r->json, "items");
        for (size_t i = 0; i < json_array_size(items); i++)
            cr_assert_geq(json_array_size(json_object_get(json_array_get(items, i), "members")), 2,
                          "organization %s half-written", jstr(json_array_get(items, i), "id"));
        const char *next = jstr(json_object_get(r->json, "pagination"), "after");
        if (!next) {
            resp_free(r);
            break;
        }
        snprintf(after, sizeof(after), "%s", next);
        resp_free(r);
    }
    cr_log_info("checked %d customers and %d organizations after SIGKILL", customers, orgs);
    server_stop(&srv, true);
}
