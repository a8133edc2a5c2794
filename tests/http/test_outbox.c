/*
 * The outbox: the events each write route emits (the table in
 * docs/notifications.md), written in the write's transaction and only when
 * a policy of the account matches; none for a refused or rolled-back
 * write. Read straight from the database (sqlite3 or psql), since nothing
 * delivers them yet.
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

HTTP_SUITE(outbox, 180);

static char account[64];

/* The account's events, oldest first, one "type resource detail" a line
 * (malloc'd), from the database itself. */
static char *events(void)
{
    char cmd[2048], sql[512];
    snprintf(sql, sizeof(sql),
             "SELECT type || ' ' || resource_id || ' ' || COALESCE(detail, '-') FROM outbox_events"
             " WHERE account_id = '%s' ORDER BY seq",
             account);
    if (srv.pg)
        snprintf(cmd, sizeof(cmd), "psql -XtAq '%s' -c \"%s\"", srv.db, sql);
    else
        snprintf(cmd, sizeof(cmd), "sqlite3 '%s' \"%s\"", srv.db + strlen("sqlite:"), sql);
    FILE *f = popen(cmd, "r");
    cr_assert(f, "%s", cmd);
    size_t cap = 1 << 16, n = 0;
    char *out = calloc(1, cap);
    while (n + 1 < cap && fgets(out + n, (int)(cap - n), f))
        n += strlen(out + n);
    cr_assert_eq(pclose(f), 0, "%s", cmd);
    return out;
}

static void expect_events(const char *want, const char *what)
{
    char *got = events();
    cr_assert_str_eq(got, want, "%s", what);
    free(got);
}

/* Makes a policy from `body` and learns the account's id from it. */
static char *policy(const char *body)
{
    struct resp *r = req(&srv, "POST", "/notifications/policies", body, NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    snprintf(account, sizeof(account), "%s", jstr(r->json, "sequenceAccountId"));
    char *id = strdup(jstr(r->json, "id"));
    resp_free(r);
    return id;
}

static void ok(struct resp *r, long status)
{
    cr_assert_eq(r->status, status, "%s", r->body);
    resp_free(r);
}

Test(outbox, without_a_matching_policy_nothing_is_written)
{
    free(policy("{\"name\":\"n\",\"channel\":\"EMAIL\",\"recipients\":[\"a@b.com\"],"
                "\"notificationTypes\":[\"CUSTOMER_ARCHIVED\"]}"));
    char *cu = make_customer(&srv, NULL, "Acme");
    expect_events("", "CUSTOMER_CREATED matches no policy");
    ok(reqf(&srv, "POST", NULL, "/customers/%s/archive", cu), 200);
    char want[256];
    snprintf(want, sizeof(want), "CUSTOMER_ARCHIVED %s -\n", cu);
    expect_events(want, "the archive matches");
    free(cu);
}

Test(outbox, customer_routes_emit_sequences_types)
{
    free(policy(
        "{\"name\":\"all\",\"channel\":\"WEBHOOK\",\"recipients\":[\"https://x.example\"]}"));
    char *cu = make_customer(&srv, NULL, "Acme");
    char body[2048];
    write_customer_body(body, sizeof(body), "Acme Two");
    ok(reqf(&srv, "PUT", body, "/customers/%s", cu), 200);
    ok(reqf(&srv, "POST",
            "{\"name\":\"Bob\",\"email\":\"bob@example.com\",\"billingPreference\":\"STANDARD\"}",
            "/customers/%s/contacts", cu),
       201);
    snprintf(body, sizeof(body), "{\"customerId\":\"%s\",\"value\":\"crm-1\"}", cu);
    ok(req(&srv, "POST", "/customer-aliases", body, NULL), 201);
    char *m = make_customer(&srv, NULL, "Member");
    snprintf(body, sizeof(body), "{\"ownerId\":\"%s\",\"memberIds\":[\"%s\"]}", cu, m);
    ok(req(&srv, "POST", "/customer-organizations", body, NULL), 201);
    ok(reqf(&srv, "POST", NULL, "/customers/%s/archive", cu), 200);
    /* Refused writes emit nothing. */
    ok(reqf(&srv, "PUT", "{}", "/customers/%s", cu), 400);
    ok(req(&srv, "POST", "/customer-aliases", body, NULL), 400);

    char want[1024];
    snprintf(want, sizeof(want),
             "CUSTOMER_CREATED %s -\nCUSTOMER_UPDATED %s -\nCUSTOMER_UPDATED %s -\n"
             "CUSTOMER_CREATED %s -\nCUSTOMER_ARCHIVED %s -\n",
             cu, cu, cu, m, cu);
    expect_events(want, "aliases and organizations emit no Sequence type");
    free(cu);
    free(m);
}

Test(outbox, organization_types_go_only_to_policies_that_list_them)
{
    free(policy("{\"name\":\"orgs\",\"channel\":\"EMAIL\",\"recipients\":[\"a@b.com\"],"
                "\"notificationTypes\":[\"ORGANIZATION_CREATED\",\"ORGANIZATION_MEMBERS_ADDED\","
                "\"ORGANIZATION_MEMBER_REMOVED\",\"ORGANIZATION_DELETED\"]}"));
    char *o = make_customer(&srv, NULL, "Owner");
    char *a = make_customer(&srv, NULL, "A");
    char *b = make_customer(&srv, NULL, "B");
    char body[512];
    snprintf(body, sizeof(body), "{\"ownerId\":\"%s\",\"memberIds\":[\"%s\"]}", o, a);
    struct resp *r = req(&srv, "POST", "/customer-organizations", body, NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    char *org = strdup(jstr(r->json, "id"));
    resp_free(r);
    snprintf(body, sizeof(body), "{\"customerIds\":[\"%s\",\"%s\"]}", a, b);
    ok(reqf(&srv, "POST", body, "/customer-organizations/%s/members", org), 200);
    ok(reqf(&srv, "PUT", body, "/customer-organizations/%s/members", org), 200); /* not listed */
    ok(reqf(&srv, "DELETE", NULL, "/customer-organizations/%s/members/%s", org, a), 200);
    ok(reqf(&srv, "DELETE", NULL, "/customer-organizations/%s", org), 200);

    char want[2048];
    snprintf(want, sizeof(want),
             "ORGANIZATION_CREATED %s {\"added\":[\"%s\"],\"removed\":[]}\n"
             "ORGANIZATION_MEMBERS_ADDED %s {\"added\":[\"%s\"],\"removed\":[]}\n"
             "ORGANIZATION_MEMBER_REMOVED %s {\"added\":[],\"removed\":[\"%s\"]}\n"
             "ORGANIZATION_DELETED %s {\"added\":[],\"removed\":[\"%s\"]}\n",
             org, a, org, b, org, a, org, b);
    expect_events(want, "the listed organization types, with the ids that changed");

    /* A policy of every type does not get them, and the list says so. */
    free(policy("{\"name\":\"all\",\"channel\":\"EMAIL\",\"recipients\":[\"a@b.com\"]}"));
    struct resp *p = req(
        &srv, "GET", "/notifications/policies?notificationType=ORGANIZATION_CREATED", NULL, NULL);
    cr_assert_eq(page_total(p), 1, "%s", p->body);
    resp_free(p);
    p = req(&srv, "GET", "/notifications/policies?notificationType=CUSTOMER_CREATED", NULL, NULL);
    cr_assert_eq(page_total(p), 1, "%s", p->body);
    resp_free(p);
    free(o);
    free(a);
    free(b);
    free(org);
}

/* The contact rule refuses the archive after the event was noted: the
 * rolled-back write leaves no event. */
Test(outbox, a_rolled_back_write_leaves_no_event)
{
    free(policy("{\"name\":\"all\",\"channel\":\"EMAIL\",\"recipients\":[\"a@b.com\"]}"));
    char *cu = make_customer(&srv, NULL, "Acme");
    ok(reqf(&srv, "POST",
            "{\"name\":\"Bob\",\"email\":\"bob@example.com\",\"billingPreference\":\"STANDARD\"}",
            "/customers/%s/contacts", cu),
       201);
    struct resp *r = reqf(&srv, "GET", NULL, "/customers/%s/contacts", cu);
    char primary[64] = "";
    json_t *items = json_object_get(r->json, "items");
    for (size_t i = 0; i < json_array_size(items); i++)
        if (strcmp(jstr(json_array_get(items, i), "billingPreference"), "PRIMARY") == 0)
            snprintf(primary, sizeof(primary), "%s", jstr(json_array_get(items, i), "id"));
    resp_free(r);
    ok(reqf(&srv, "POST", NULL, "/customers/%s/contacts/%s/archive", cu, primary), 409);
    char want[512];
    snprintf(want, sizeof(want), "CUSTOMER_CREATED %s -\nCUSTOMER_UPDATED %s -\n", cu, cu);
    expect_events(want, "the 409 left nothing");
    free(cu);
}
