/* Idempotency-Key: the same key and body answer the first answer again
 * (Idempotent-Replayed: true) without doing the work twice; the same key
 * with another request is 409; keys are per account; failed requests are
 * not remembered (store__write_body writes the record in the request's own
 * transaction, only after the work succeeded). */
#include "harness.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

HTTP_SUITE(idempotency, 120);

#define GHOST "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
#define ADDR "{\"line1\":\"1 Road\",\"town\":\"Leeds\",\"postcode\":\"LS1 1AA\",\"country\":\"GB\"}"

static char *customer_body(const char *name)
{
    char *b = NULL;
    int n = asprintf(&b,
                     "{\"legalName\":\"%s\",\"address\":" ADDR ",\"taxStatus\":\"TAXED\","
                     "\"contacts\":[{\"name\":\"Ann\",\"email\":\"ann@example.com\","
                     "\"billingPreference\":\"PRIMARY\"}]}",
                     name);
    cr_assert(n > 0);
    return b;
}

/* A request with an Idempotency-Key (NULL account key: the server's). */
static struct resp *send_as(const char *account, const char *method, const char *path,
                            const char *body, const char *idem)
{
    char h[1024];
    snprintf(h, sizeof(h), "Idempotency-Key: %s", idem);
    const char *hs[] = {h, NULL};
    return req_as(&srv, account ? account : srv.key, method, path, body, hs);
}

static struct resp *send(const char *method, const char *path, const char *body, const char *idem)
{
    return send_as(NULL, method, path, body, idem);
}

static bool replayed(struct resp *r)
{
    const char *h = resp_header(r, "Idempotent-Replayed");
    return h && strcmp(h, "true") == 0;
}

static long long total(const char *account, const char *path)
{
    struct resp *r = req_as(&srv, account ? account : srv.key, "GET", path, NULL, NULL);
    cr_assert_eq(r->status, 200, "%s: %s", path, r->body);
    long long n = page_total(r);
    resp_free(r);
    return n;
}

static long long customers(void)
{
    return total(NULL, "/customers?includeArchived=true");
}

static long long organizations(void)
{
    return total(NULL, "/customer-organizations");
}

static void expect_error(struct resp *r, long status, const char *type, const char *what)
{
    cr_assert_eq(r->status, status, "%s: want %ld, got %ld %s", what, status, r->status, r->body);
    cr_assert_str_eq(err_type_of(r), type, "%s: %s", what, r->body);
}

static void expect_replay(struct resp *first, struct resp *again, const char *what)
{
    cr_assert_eq(again->status, first->status, "%s: %s", what, again->body);
    cr_assert_str_eq(again->body, first->body, "%s: the same bytes", what);
    cr_assert(replayed(again), "%s: Idempotent-Replayed: true", what);
    cr_assert_str_eq(resp_header(again, "Content-Type"), "application/json");
    cr_assert_str_eq(resp_header(again, "Sequence-Version"), "2024-07-30");
}

Test(idempotency, post_customers_is_done_once)
{
    char *body = customer_body("Once Ltd");
    struct resp *first = send("POST", "/customers", body, "create-once");
    cr_assert_eq(first->status, 201, "%s", first->body);
    cr_assert(!replayed(first), "a first answer is no replay");
    struct resp *again = send("POST", "/customers", body, "create-once");
    expect_replay(first, again, "second POST");
    resp_free(again);
    cr_assert_eq(customers(), 1, "one customer, not two");

    /* The same request spelled differently is the same request. */
    const char *respelled =
        "{ \"taxStatus\" : \"TAXED\", \"contacts\" : [ { \"billingPreference\" : \"PRIMARY\", "
        "\"email\" : \"ann@example.com\", \"name\" : \"Ann\" } ],\n \"address\" : { "
        "\"country\" : \"GB\", \"postcode\" : \"LS1 1AA\", \"town\" : \"Leeds\", \"line1\" : "
        "\"1 Road\" }, \"legalName\" : \"Once Ltd\" }";
    again = send("POST", "/customers", respelled, "create-once");
    expect_replay(first, again, "re-spelled body");
    resp_free(again);

    /* The answer replayed is the first one, even after the customer changed. */
    char *renamed = customer_body("Renamed Ltd");
    struct resp *put = reqf(&srv, "PUT", renamed, "/customers/%s", jstr(first->json, "id"));
    cr_assert_eq(put->status, 200, "%s", put->body);
    resp_free(put);
    again = send("POST", "/customers", body, "create-once");
    expect_replay(first, again, "after an update");
    cr_assert_str_eq(jstr(again->json, "legalName"), "Once Ltd");
    resp_free(again);
    cr_assert_eq(customers(), 1);

    /* Without a key, every POST creates. */
    struct resp *plain = req(&srv, "POST", "/customers", body, NULL);
    cr_assert_eq(plain->status, 201);
    cr_assert(!replayed(plain));
    resp_free(plain);
    cr_assert_eq(customers(), 2);
    resp_free(first);
    free(body);
    free(renamed);
}

Test(idempotency, same_key_with_another_request_is_409)
{
    char *body = customer_body("First");
    char *other = customer_body("Second");
    struct resp *first = send("POST", "/customers", body, "k-409");
    cr_assert_eq(first->status, 201, "%s", first->body);

    struct resp *r = send("POST", "/customers", other, "k-409");
    expect_error(r, 409, "IdempotencyKeyReused", "another body");
    cr_assert(!replayed(r));
    resp_free(r);
    /* Another route with the same body is another request too. */
    r = send("PUT", "/customers/" GHOST, body, "k-409");
    expect_error(r, 409, "IdempotencyKeyReused", "another route");
    resp_free(r);
    char org[256];
    snprintf(org, sizeof(org), "{\"ownerId\":\"%s\",\"memberIds\":[]}", jstr(first->json, "id"));
    r = send("POST", "/customer-organizations", org, "k-409");
    expect_error(r, 409, "IdempotencyKeyReused", "another operation");
    resp_free(r);
    cr_assert_eq(customers(), 1, "no work was done for the conflicts");
    cr_assert_eq(organizations(), 0);

    /* The key still answers its own request. */
    r = send("POST", "/customers", body, "k-409");
    expect_replay(first, r, "after the conflicts");
    resp_free(r);
    /* Keys are case-sensitive strings: another spelling is another key. */
    r = send("POST", "/customers", other, "K-409");
    cr_assert_eq(r->status, 201, "%s", r->body);
    resp_free(r);
    resp_free(first);
    free(body);
    free(other);
}

/* One idempotent operation, with a request that differs from it. */
struct op {
    const char *name, *method;
    char path[256], body[1024];
    char other_path[256], other_body[1024]; /* the different request */
    long status;
    const char *count_path; /* a list whose total must not move on replay */
};

Test(idempotency, every_creating_or_changing_operation_replays)
{
    /* Fixtures. */
    char *a = make_customer(&srv, NULL, "A");
    char *b = make_customer(&srv, NULL, "B");
    char *c = make_customer(&srv, NULL, "C");
    char *d = make_customer(&srv, NULL, "D");
    char *o = make_customer(&srv, NULL, "Owner");
    char *o2 = make_customer(&srv, NULL, "Owner Two");
    char path[256], contacts_a[256], contact_ids[3][64], alias_id[64], org_id[64];
    snprintf(contacts_a, sizeof(contacts_a), "/customers/%s/contacts?includeArchived=true", a);
    for (int i = 0; i < 3; i++) {
        char body[256];
        snprintf(body, sizeof(body),
                 "{\"name\":\"S%d\",\"email\":\"s%d@a.test\",\"billingPreference\":\"STANDARD\"}",
                 i, i);
        snprintf(path, sizeof(path), "/customers/%s/contacts", a);
        struct resp *r = req(&srv, "POST", path, body, NULL);
        cr_assert_eq(r->status, 201, "%s", r->body);
        snprintf(contact_ids[i], sizeof(contact_ids[i]), "%s", jstr(r->json, "id"));
        resp_free(r);
    }
    {
        char body[256];
        snprintf(body, sizeof(body), "{\"customerId\":\"%s\",\"value\":\"fixture\"}", a);
        struct resp *r = req(&srv, "POST", "/customer-aliases", body, NULL);
        cr_assert_eq(r->status, 201, "%s", r->body);
        snprintf(alias_id, sizeof(alias_id), "%s", jstr(r->json, "id"));
        resp_free(r);
        snprintf(body, sizeof(body), "{\"ownerId\":\"%s\",\"memberIds\":[]}", o2);
        r = req(&srv, "POST", "/customer-organizations", body, NULL);
        cr_assert_eq(r->status, 201, "%s", r->body);
        snprintf(org_id, sizeof(org_id), "%s", jstr(r->json, "id"));
        resp_free(r);
    }
    char *cb1 = customer_body("New One"), *cb2 = customer_body("New Two");
    char *cb3 = customer_body("D Renamed"), *cb4 = customer_body("D Other");

    struct op ops[11];
    memset(ops, 0, sizeof(ops));
    int n = 0;
#define OP(nm, m, st, cnt)                                                                         \
    (ops[n].name = nm, ops[n].method = m, ops[n].status = st, ops[n].count_path = cnt, &ops[n++])
    struct op *p;
    p = OP("customers.create", "POST", 201, "/customers?includeArchived=true");
    snprintf(p->path, sizeof(p->path), "/customers");
    snprintf(p->body, sizeof(p->body), "%s", cb1);
    snprintf(p->other_body, sizeof(p->other_body), "%s", cb2);

    p = OP("customers.update", "PUT", 200, NULL);
    snprintf(p->path, sizeof(p->path), "/customers/%s", d);
    snprintf(p->body, sizeof(p->body), "%s", cb3);
    snprintf(p->other_body, sizeof(p->other_body), "%s", cb4);

    p = OP("customers.archive", "POST", 200, "/customers");
    snprintf(p->path, sizeof(p->path), "/customers/%s/archive", c);
    snprintf(p->other_path, sizeof(p->other_path), "/customers/%s/archive", b);

    p = OP("contacts.create", "POST", 201, contacts_a);
    snprintf(p->path, sizeof(p->path), "/customers/%s/contacts", a);
    snprintf(p->body, sizeof(p->body),
             "{\"name\":\"New\",\"email\":\"new@a.test\",\"billingPreference\":\"PRIMARY\"}");
    snprintf(p->other_body, sizeof(p->other_body),
             "{\"name\":\"New\",\"email\":\"new@a.test\",\"billingPreference\":\"NONE\"}");

    p = OP("contacts.update", "PUT", 200, contacts_a);
    snprintf(p->path, sizeof(p->path), "/customers/%s/contacts/%s", a, contact_ids[0]);
    snprintf(p->body, sizeof(p->body),
             "{\"name\":\"S0 renamed\",\"email\":\"s0@a.test\",\"billingPreference\":\"NONE\"}");
    snprintf(p->other_body, sizeof(p->other_body),
             "{\"name\":\"S0 again\",\"email\":\"s0@a.test\",\"billingPreference\":\"NONE\"}");

    p = OP("contacts.archive", "POST", 200, contacts_a);
    snprintf(p->path, sizeof(p->path), "/customers/%s/contacts/%s/archive", a, contact_ids[1]);
    snprintf(p->other_path, sizeof(p->other_path), "/customers/%s/contacts/%s/archive", a,
             contact_ids[2]);

    p = OP("aliases.create", "POST", 201, "/customer-aliases");
    snprintf(p->path, sizeof(p->path), "/customer-aliases");
    snprintf(p->body, sizeof(p->body), "{\"customerId\":\"%s\",\"value\":\"crm-9\"}", b);
    snprintf(p->other_body, sizeof(p->other_body), "{\"customerId\":\"%s\",\"value\":\"crm-10\"}",
             b);

    p = OP("aliases.update", "PUT", 200, "/customer-aliases");
    snprintf(p->path, sizeof(p->path), "/customer-aliases/%s", alias_id);
    snprintf(p->body, sizeof(p->body), "{\"label\":\"CRM\"}");
    snprintf(p->other_body, sizeof(p->other_body), "{\"label\":\"ERP\"}");

    p = OP("organizations.create", "POST", 201, "/customer-organizations");
    snprintf(p->path, sizeof(p->path), "/customer-organizations");
    snprintf(p->body, sizeof(p->body), "{\"ownerId\":\"%s\",\"memberIds\":[\"%s\"]}", o, a);
    snprintf(p->other_body, sizeof(p->other_body), "{\"ownerId\":\"%s\",\"memberIds\":[\"%s\"]}", o,
             b);

    p = OP("organizations.members_add", "POST", 200, "/customer-organizations");
    snprintf(p->path, sizeof(p->path), "/customer-organizations/%s/members", org_id);
    snprintf(p->body, sizeof(p->body), "{\"customerIds\":[\"%s\"]}", b);
    snprintf(p->other_body, sizeof(p->other_body), "{\"customerIds\":[\"%s\"]}", d);

    p = OP("organizations.members_replace", "PUT", 200, "/customer-organizations");
    snprintf(p->path, sizeof(p->path), "/customer-organizations/%s/members", org_id);
    snprintf(p->body, sizeof(p->body), "{\"customerIds\":[\"%s\",\"%s\"]}", d, b);
    snprintf(p->other_body, sizeof(p->other_body), "{\"customerIds\":[\"%s\"]}", d);
#undef OP

    for (int i = 0; i < n; i++) {
        struct op *x = &ops[i];
        char key[96];
        snprintf(key, sizeof(key), "key-%s", x->name);
        const char *body = x->body[0] ? x->body : NULL;
        long long before = x->count_path ? total(NULL, x->count_path) : 0;
        struct resp *first = send(x->method, x->path, body, key);
        cr_assert_eq(first->status, x->status, "%s: %s", x->name, first->body);
        cr_assert(!replayed(first), "%s", x->name);
        long long done = x->count_path ? total(NULL, x->count_path) : 0;

        struct resp *again = send(x->method, x->path, body, key);
        expect_replay(first, again, x->name);
        resp_free(again);
        if (x->count_path)
            cr_assert_eq(total(NULL, x->count_path), done, "%s: done once (%lld, %lld)", x->name,
                         before, done);

        const char *opath = x->other_path[0] ? x->other_path : x->path;
        const char *obody = x->other_body[0] ? x->other_body : NULL;
        struct resp *r = send(x->method, opath, obody, key);
        expect_error(r, 409, "IdempotencyKeyReused", x->name);
        resp_free(r);
        if (x->count_path)
            cr_assert_eq(total(NULL, x->count_path), done, "%s: the conflict did nothing", x->name);
        again = send(x->method, x->path, body, key);
        expect_replay(first, again, x->name);
        resp_free(again);
        resp_free(first);
    }

    /* What the conflicting requests would have done was not done. */
    struct resp *r = reqf(&srv, "GET", NULL, "/customers/%s", b);
    cr_assert(!jstr(r->json, "archivedAt"), "b was not archived: %s", r->body);
    resp_free(r);
    r = req(&srv, "GET", "/customer-aliases?value=crm-10", NULL, NULL);
    cr_assert_eq(page_total(r), 0, "%s", r->body);
    resp_free(r);
    r = reqf(&srv, "GET", NULL, "/customer-organizations/%s", org_id);
    cr_assert_eq(json_array_size(json_object_get(r->json, "members")), 2, "%s", r->body);
    resp_free(r);
    r = reqf(&srv, "GET", NULL, "/customers/%s", d);
    cr_assert_str_eq(jstr(r->json, "legalName"), "D Renamed");
    resp_free(r);
    free(a);
    free(b);
    free(c);
    free(d);
    free(o);
    free(o2);
    free(cb1);
    free(cb2);
    free(cb3);
    free(cb4);
}

Test(idempotency, keys_belong_to_one_account)
{
    char other[256];
    server_new_key(&srv, "idem-b", other, sizeof(other));
    char *mine = customer_body("Mine");
    char *theirs = customer_body("Theirs");
    struct resp *a = send("POST", "/customers", mine, "shared-key");
    cr_assert_eq(a->status, 201, "%s", a->body);
    /* Another account may use the key with any request... */
    struct resp *b = send_as(other, "POST", "/customers", theirs, "shared-key");
    cr_assert_eq(b->status, 201, "%s", b->body);
    cr_assert(!replayed(b), "not the first account's answer");
    cr_assert_str_eq(jstr(b->json, "legalName"), "Theirs");
    resp_free(b);
    /* ...or with the very same request, and it is still its own. */
    b = send_as(other, "POST", "/customers", mine, "shared-key-2");
    struct resp *a2 = send("POST", "/customers", mine, "shared-key-2");
    cr_assert_eq(b->status, 201);
    cr_assert_eq(a2->status, 201);
    cr_assert(!replayed(a2));
    cr_assert_str_neq(jstr(a2->json, "id"), jstr(b->json, "id"));
    resp_free(a2);
    resp_free(b);

    struct resp *r = send("POST", "/customers", mine, "shared-key");
    expect_replay(a, r, "the first account's replay");
    resp_free(r);
    r = send_as(other, "POST", "/customers", theirs, "shared-key");
    cr_assert(replayed(r));
    cr_assert_str_eq(jstr(r->json, "legalName"), "Theirs");
    resp_free(r);
    cr_assert_eq(customers(), 2);
    cr_assert_eq(total(other, "/customers"), 2);
    resp_free(a);
    free(mine);
    free(theirs);
}

Test(idempotency, key_must_be_1_to_255_printable_characters)
{
    char *body = customer_body("Keyed");
    char k255[256], k256[257];
    memset(k255, 'k', 255);
    k255[255] = '\0';
    memset(k256, 'k', 256);
    k256[256] = '\0';
    struct resp *r = send("POST", "/customers", body, k256);
    expect_error(r, 400, "InvalidIdempotencyKey", "256 characters");
    cr_assert_str_eq(err_field_of(r), "Idempotency-Key");
    resp_free(r);
    const char *empty[] = {"Idempotency-Key;", NULL}; /* curl: the header, empty */
    r = req(&srv, "POST", "/customers", body, empty);
    expect_error(r, 400, "InvalidIdempotencyKey", "empty");
    resp_free(r);
    r = send("POST", "/customers", body, "caf\xc3\xa9");
    expect_error(r, 400, "InvalidIdempotencyKey", "not ASCII");
    resp_free(r);
    r = send("POST", "/customer-organizations", "{\"ownerId\":\"" GHOST "\",\"memberIds\":[]}",
             k256);
    expect_error(r, 400, "InvalidIdempotencyKey", "on another route");
    resp_free(r);
    cr_assert_eq(customers(), 0, "refused keys do no work");

    struct resp *first = send("POST", "/customers", body, k255);
    cr_assert_eq(first->status, 201, "255 characters is fine: %s", first->body);
    r = send("POST", "/customers", body, k255);
    expect_replay(first, r, "255 characters");
    resp_free(r);
    resp_free(first);
    first = send("POST", "/customers", body, "a key with spaces: and ~punctuation!");
    cr_assert_eq(first->status, 201, "%s", first->body);
    resp_free(first);
    cr_assert_eq(customers(), 2);
    free(body);
}

Test(idempotency, failed_requests_are_not_remembered)
{
    char *owner = make_customer(&srv, NULL, "Owner");
    char *member = make_customer(&srv, NULL, "Member");
    char bad[256], good[256];
    snprintf(bad, sizeof(bad), "{\"ownerId\":\"" GHOST "\",\"memberIds\":[\"%s\"]}", member);
    snprintf(good, sizeof(good), "{\"ownerId\":\"%s\",\"memberIds\":[\"%s\"]}", owner, member);

    /* A failure inside the write (R5): answered, not recorded. */
    struct resp *r = send("POST", "/customer-organizations", bad, "retry-me");
    expect_error(r, 400, "CustomerNotFound", "unknown owner");
    resp_free(r);
    r = send("POST", "/customer-organizations", bad, "retry-me");
    expect_error(r, 400, "CustomerNotFound", "the same failure again");
    cr_assert(!replayed(r), "a failure is worked out again, not replayed");
    resp_free(r);
    /* Fixed, with the same key: done (no IdempotencyKeyReused). */
    struct resp *first = send("POST", "/customer-organizations", good, "retry-me");
    cr_assert_eq(first->status, 201, "%s", first->body);
    cr_assert(!replayed(first));
    r = send("POST", "/customer-organizations", good, "retry-me");
    expect_replay(first, r, "the fixed request");
    resp_free(r);
    /* Now the key is the fixed request's. */
    r = send("POST", "/customer-organizations", bad, "retry-me");
    expect_error(r, 409, "IdempotencyKeyReused", "the failed body after success");
    resp_free(r);
    cr_assert_eq(organizations(), 1);

    /* A failure that depends on the state (R1: 409) is not remembered
     * either: once the state changes, the same request with the same key
     * does the work. */
    char *owner2 = make_customer(&srv, NULL, "Owner Two");
    char again[256];
    snprintf(again, sizeof(again), "{\"ownerId\":\"%s\",\"memberIds\":[]}", owner);
    r = send("POST", "/customer-organizations", again, "after-delete");
    expect_error(r, 409, "OrganizationAlreadyExists", "the owner has one");
    resp_free(r);
    r = reqf(&srv, "DELETE", NULL, "/customer-organizations/%s", jstr(first->json, "id"));
    cr_assert_eq(r->status, 200, "%s", r->body);
    resp_free(r);
    r = send("POST", "/customer-organizations", again, "after-delete");
    cr_assert_eq(r->status, 201, "the same request now succeeds: %s", r->body);
    cr_assert(!replayed(r));
    struct resp *r2 = send("POST", "/customer-organizations", again, "after-delete");
    expect_replay(r, r2, "after it succeeded");
    resp_free(r2);
    resp_free(r);

    /* A body refused before the store (validation) is not remembered. */
    char *cbody = customer_body("Valid");
    r = send("POST", "/customers", "{\"legalName\":\"Invalid\"}", "fix-body");
    expect_error(r, 400, "MissingField", "invalid body");
    resp_free(r);
    long long n = customers();
    r = send("POST", "/customers", cbody, "fix-body");
    cr_assert_eq(r->status, 201, "%s", r->body);
    resp_free(r);
    cr_assert_eq(customers(), n + 1);
    resp_free(first);
    free(owner);
    free(owner2);
    free(member);
    free(cbody);
}

/* ---- races ---- */

struct racer {
    const char *method, *path, *body, *key;
    pthread_barrier_t *go;
    long status;
    char *body_out;
    bool replayed;
};

static void *race_one(void *p)
{
    struct racer *x = p;
    pthread_barrier_wait(x->go);
    struct resp *r = send(x->method, x->path, x->body, x->key);
    x->status = r->status;
    x->body_out = strdup(r->body);
    x->replayed = replayed(r);
    resp_free(r);
    return NULL;
}

enum { RACERS = 16 };

static void race(const char *path, const char *body, const char *key, long want)
{
    pthread_t t[RACERS];
    struct racer rs[RACERS];
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, RACERS);
    for (int i = 0; i < RACERS; i++) {
        rs[i] = (struct racer){.method = "POST", .path = path, .body = body, .key = key, .go = &go};
        cr_assert_eq(pthread_create(&t[i], NULL, race_one, &rs[i]), 0);
    }
    for (int i = 0; i < RACERS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&go);
    int fresh = 0;
    for (int i = 0; i < RACERS; i++) {
        cr_assert_eq(rs[i].status, want, "racer %d: %ld %s", i, rs[i].status, rs[i].body_out);
        cr_assert_str_eq(rs[i].body_out, rs[0].body_out, "racer %d has another answer", i);
        fresh += !rs[i].replayed;
    }
    cr_assert_eq(fresh, 1, "exactly one racer did the work (%d answers were not replays)", fresh);
    for (int i = 0; i < RACERS; i++)
        free(rs[i].body_out);
}

Test(idempotency, racing_the_same_key_creates_one_organization)
{
    char *owner = make_customer(&srv, NULL, "Raced Owner");
    char *member = make_customer(&srv, NULL, "Raced Member");
    char body[256];
    snprintf(body, sizeof(body), "{\"ownerId\":\"%s\",\"memberIds\":[\"%s\"]}", owner, member);
    race("/customer-organizations", body, "race-org", 201);
    cr_assert_eq(organizations(), 1, "one organization exists");
    struct resp *r = reqf(&srv, "GET", NULL, "/customers/%s", member);
    cr_assert_eq(json_array_size(json_object_get(r->json, "organizations")), 1, "%s", r->body);
    resp_free(r);
    free(owner);
    free(member);
}

Test(idempotency, racing_the_same_key_creates_one_customer)
{
    char *body = customer_body("Raced Customer");
    race("/customers", body, "race-customer", 201);
    cr_assert_eq(customers(), 1, "one customer exists");
    free(body);
}
