/* Every read route answers from one statement sent to PostgreSQL: the
 * server's kinship_store_round_trips_total (/metrics, which sends none)
 * grows by exactly one per read request. Writes cost what
 * docs/postgresql.md ("Round trips") says. Each test has a server of its
 * own, so no other request is counted. PostgreSQL only. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

HTTP_SUITE(round_trips, 120);
/* The smallest answer limit: one organization of 300 members is past it. */
HTTP_SUITE_MORE(round_trips_refused, 120, .extra = HTTP_ARGS("--answer-limit", "65536"));

/* The server's round trips counter. */
static long long statements(void)
{
    struct resp *r = req_as(&srv, NULL, "GET", "/metrics", NULL, NULL);
    cr_assert_eq(r->status, 200);
    const char *p = strstr(r->body, "\nkinship_store_round_trips_total ");
    cr_assert(p, "no statements counter in /metrics");
    long long n = strtoll(p + strlen("\nkinship_store_round_trips_total "), NULL, 10);
    resp_free(r);
    return n;
}

/* GET path answers 200 with one statement sent. */
static void one_round_trip(const char *path)
{
    long long before = statements();
    struct resp *r = req(&srv, "GET", path, NULL, NULL);
    cr_assert_eq(r->status, 200, "%s: %s", path, r->body);
    resp_free(r);
    long long sent = statements() - before;
    cr_assert_eq(sent, 1, "%s sent %lld statements", path, sent);
}

static struct resp *post(const char *path, const char *body)
{
    return req(&srv, "POST", path, body, NULL);
}

Test(round_trips, every_read_route_is_one_statement)
{
    if (!srv.pg)
        return;
    char *a = make_customer(&srv, NULL, "Round Trip A");
    char *b = make_customer(&srv, NULL, "Round Trip B");
    char body[512], path[256];
    snprintf(body, sizeof(body), "{\"ownerId\":\"%s\",\"memberIds\":[\"%s\"]}", a, b);
    struct resp *r = post("/customer-organizations", body);
    cr_assert_eq(r->status, 201, "%s", r->body);
    char *org = strdup(jstr(r->json, "id"));
    resp_free(r);
    snprintf(body, sizeof(body), "{\"customerId\":\"%s\",\"value\":\"rt-alias\"}", a);
    r = post("/customer-aliases", body);
    cr_assert_eq(r->status, 201, "%s", r->body);
    resp_free(r);
    /* the API client seen once by a read: later reads find it cached */
    r = req(&srv, "GET", "/customer-custom-property-keys", NULL, NULL);
    resp_free(r);

    const char *fixed[] = {
        "/customer-custom-property-keys",
        "/customers/by-alias/rt-alias",
        "/customer-aliases",
        "/customer-aliases?limit=1",
        "/customers",
        "/customers?limit=1&sortBy=legalName",
        "/customers?limit=20&includeArchived=true",
        "/customer-organizations",
        "/customer-organizations?limit=1",
    };
    for (size_t i = 0; i < sizeof(fixed) / sizeof(*fixed); i++)
        one_round_trip(fixed[i]);
    const char *per_customer[] = {"/customers/%s",
                                  "/customers/%s/aliases",
                                  "/customers/%s/contacts",
                                  "/customers/%s/contacts?includeArchived=true",
                                  "/customers/%s/ancestors",
                                  "/customers/%s/descendants",
                                  "/customers/%s/descendants?limit=1&maxDepth=3"};
    for (size_t i = 0; i < sizeof(per_customer) / sizeof(*per_customer); i++) {
        snprintf(path, sizeof(path), per_customer[i], a);
        one_round_trip(path);
    }
    snprintf(path, sizeof(path), "/customer-organizations/%s", org);
    one_round_trip(path);
    snprintf(path, sizeof(path), "/customer-organizations/%s/tree?maxDepth=4", org);
    one_round_trip(path);
    snprintf(path, sizeof(path), "/customers/%s/ancestors", b);
    one_round_trip(path);
    snprintf(path, sizeof(path), "/customer-organizations?memberId=%s", b);
    one_round_trip(path);

    /* a page after a cursor, in both directions */
    r = req(&srv, "GET", "/customers?limit=1", NULL, NULL);
    cr_assert_eq(r->status, 200);
    const char *after = jstr(json_object_get(r->json, "pagination"), "after");
    cr_assert(after);
    snprintf(path, sizeof(path), "/customers?limit=1&after=%s", after);
    resp_free(r);
    one_round_trip(path);
    r = req(&srv, "GET", path, NULL, NULL);
    const char *before = jstr(json_object_get(r->json, "pagination"), "before");
    cr_assert(before);
    snprintf(path, sizeof(path), "/customers?limit=1&before=%s", before);
    resp_free(r);
    one_round_trip(path);
    free(a);
    free(b);
    free(org);
}

Test(round_trips, a_missing_customer_is_still_one_statement)
{
    if (!srv.pg)
        return;
    struct resp *r = req(&srv, "GET", "/customer-custom-property-keys", NULL, NULL);
    resp_free(r);
    const char *ghost = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
    const char *paths[] = {"/customers/%s/aliases", "/customers/%s/contacts", "/customers/%s"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(*paths); i++) {
        char path[256];
        snprintf(path, sizeof(path), paths[i], ghost);
        long long before = statements();
        r = req(&srv, "GET", path, NULL, NULL);
        cr_assert_eq(r->status, 404, "%s: %s", path, r->body);
        resp_free(r);
        cr_assert_eq(statements() - before, 1, "%s", path);
    }
    long long before = statements();
    r = req(&srv, "GET", "/customers/by-alias/nobody-has-this", NULL, NULL);
    cr_assert_eq(r->status, 404, "%s", r->body);
    resp_free(r);
    cr_assert_eq(statements() - before, 1);
}

/* A write (its API client cached) costs the round trips its answers need:
 * statements that can only fail ride with the next one or the COMMIT. */
static void write_costs(const char *method, const char *path, const char *body, long status,
                        long long trips)
{
    long long before = statements();
    struct resp *r = req(&srv, method, path, body, NULL);
    cr_assert_eq(r->status, status, "%s %s: %s", method, path, r->body);
    resp_free(r);
    long long sent = statements() - before;
    cr_assert_eq(sent, trips, "%s %s took %lld round trips, not %lld", method, path, sent, trips);
}

Test(round_trips, writes_take_the_round_trips_their_answers_need)
{
    if (!srv.pg)
        return;
    char *a = make_customer(&srv, NULL, "Writer A"); /* the client is cached now */
    char *b = make_customer(&srv, NULL, "Writer B");
    char *c = make_customer(&srv, NULL, "Writer C");
    char body[512], path[256];
    /* BEGIN, the client's check, the insert and COMMIT in one pipeline */
    write_costs("POST", "/customers",
                "{\"legalName\":\"One Trip\",\"address\":{\"line1\":\"1 Road\",\"town\":"
                "\"York\",\"postcode\":\"YO1\",\"country\":\"GB\"},\"taxStatus\":\"TAXED\","
                "\"contacts\":[{\"name\":\"Bo\",\"email\":\"bo@x.test\","
                "\"billingPreference\":\"PRIMARY\"}]}",
                201, 1);
    /* BEGIN + check + the hierarchy lock; the depth limit's heights
     * (max_depth, docs/hierarchy.md); the insert + COMMIT */
    snprintf(body, sizeof(body), "{\"ownerId\":\"%s\",\"memberIds\":[\"%s\"]}", a, b);
    write_costs("POST", "/customer-organizations", body, 201, 3);
    /* the same owner again: the lock's answer names its organization; no COMMIT */
    write_costs("POST", "/customer-organizations", body, 409, 1);
    /* members add: BEGIN + check + the organization; the lock + the
     * organization again; the depth limit's heights; the insert + COMMIT */
    struct resp *r = req(&srv, "GET", "/customer-organizations?limit=1", NULL, NULL);
    const char *org = jstr(json_array_get(json_object_get(r->json, "items"), 0), "id");
    cr_assert(org, "%s", r->body);
    snprintf(path, sizeof(path), "/customer-organizations/%s/members", org);
    resp_free(r);
    snprintf(body, sizeof(body), "{\"customerIds\":[\"%s\"]}", c);
    write_costs("POST", path, body, 200, 4);
    /* replace with the same member (no new edge: no heights): the
     * organization, the lock + the organization again, then the writes
     * and the organization read back, then COMMIT */
    write_costs("PUT", path, body, 200, 4);
    /* a dry run of a creation: the same statements, the insert flushed, no COMMIT */
    snprintf(body, sizeof(body), "{\"ownerId\":\"%s\",\"memberIds\":[\"%s\"]}", c, b);
    write_costs("POST", "/customer-organizations?dryRun=true", body, 201, 3);
    free(a);
    free(b);
    free(c);
}

/* GET path answers 422 AnswerTooLarge, counted (answerSizeAtLeast), with
 * `field`, in one round trip. */
static void refused_in_one(const char *path, const char *field)
{
    long long before = statements();
    struct resp *r = req(&srv, "GET", path, NULL, NULL);
    cr_assert_eq(r->status, 422, "%s: %ld %.300s", path, r->status, r->body);
    cr_assert_str_eq(err_type_of(r), "AnswerTooLarge", "%s", path);
    cr_assert_str_eq(err_field_of(r), field, "%s", path);
    json_t *e = json_object_get(r->json, "error");
    cr_assert_eq(json_integer_value(json_object_get(e, "answerLimit")), 65536);
    cr_assert_gt(json_integer_value(json_object_get(e, "answerSizeAtLeast")), 65536, "%s: %s", path,
                 r->body);
    resp_free(r);
    long long sent = statements() - before;
    cr_assert_eq(sent, 1, "%s sent %lld statements", path, sent);
}

/* An answer too large is refused by a guard that rides in the read's
 * round trip (docs/postgresql.md, "Reads"): still one, with the counts of
 * the refusal; the connection then serves the next read as usual. */
Test(round_trips_refused, a_refused_read_is_one_round_trip_too)
{
    if (!srv.pg)
        return;
    /* two organizations of the same 150 members (200-byte names): each
     * fits (about 38 KB), a member embeds both (about 77 KB) */
    enum { MEMBERS = 150 };
    char name[256], path[256], *owner[2], *org[2];
    memset(name, 'n', 200);
    name[200] = '\0';
    size_t cap = 64 + MEMBERS * 40, len = 0;
    char *ids = malloc(cap), *body = malloc(cap + 128);
    char *first = NULL;
    for (int i = 0; i < MEMBERS; i++) {
        char *id = make_customer(&srv, NULL, name);
        len += (size_t)snprintf(ids + len, cap - len, "%s\"%s\"", i ? "," : "", id);
        if (i == 0)
            first = id;
        else
            free(id);
    }
    for (int k = 0; k < 2; k++) {
        owner[k] = make_customer(&srv, NULL, k ? "Owner B" : "Owner A");
        snprintf(body, cap + 128, "{\"ownerId\":\"%s\",\"memberIds\":[%s]}", owner[k], ids);
        struct resp *r = post("/customer-organizations", body);
        cr_assert_eq(r->status, 201, "%.300s", r->body);
        org[k] = strdup(jstr(r->json, "id"));
        resp_free(r);
    }
    free(ids);
    free(body);

    snprintf(path, sizeof(path), "/customers/%s", first);
    refused_in_one(path, "");
    refused_in_one("/customers?limit=20&sortBy=legalName&sortOrder=DESC", "limit");
    refused_in_one("/customer-organizations", "limit");
    snprintf(path, sizeof(path), "/customer-organizations?memberId=%s", first);
    refused_in_one(path, "limit");
    /* what fits is answered, one round trip each */
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof(path), "/customer-organizations/%s", org[k]);
        one_round_trip(path);
        snprintf(path, sizeof(path), "/customers/%s", owner[k]);
        one_round_trip(path);
        free(owner[k]);
        free(org[k]);
    }
    one_round_trip("/customer-organizations?limit=1");
    one_round_trip("/customers?limit=2");
    free(first);
}

HTTP_SUITE_MORE(round_trips_no_depth_limit, 120, .extra = HTTP_ARGS("--max-depth", "0"));

/* Without the depth limit an organization's creation needs no heights. */
Test(round_trips_no_depth_limit, a_creation_without_the_depth_limit_takes_two)
{
    if (!srv.pg)
        return;
    char *a = make_customer(&srv, NULL, "Writer A"), *b = make_customer(&srv, NULL, "Writer B");
    char body[512];
    snprintf(body, sizeof(body), "{\"ownerId\":\"%s\",\"memberIds\":[\"%s\"]}", a, b);
    write_costs("POST", "/customer-organizations", body, 201, 2);
    free(a);
    free(b);
}
