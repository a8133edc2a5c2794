/* Customer aliases: POST/GET /customer-aliases, PUT/DELETE
 * /customer-aliases/{id}, GET /customers/{id}/aliases and the lookup
 * GET /customers/by-alias/{alias}, against the real server. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

HTTP_SUITE(aliases, 120);

#define GHOST "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

static struct resp *create_as(const char *key, const char *customer, const char *value,
                              const char *label)
{
    char body[1024];
    if (label)
        snprintf(body, sizeof(body), "{\"customerId\":\"%s\",\"value\":\"%s\",\"label\":\"%s\"}",
                 customer, value, label);
    else
        snprintf(body, sizeof(body), "{\"customerId\":\"%s\",\"value\":\"%s\"}", customer, value);
    return req_as(&srv, key ? key : srv.key, "POST", "/customer-aliases", body, NULL);
}

static struct resp *create(const char *customer, const char *value, const char *label)
{
    return create_as(NULL, customer, value, label);
}

static char *create_id(const char *customer, const char *value)
{
    struct resp *r = create(customer, value, NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    char *id = strdup(jstr(r->json, "id"));
    resp_free(r);
    return id;
}

static void expect_error(struct resp *r, long status, const char *type, const char *field,
                         const char *what)
{
    cr_assert_eq(r->status, status, "%s: want %ld, got %ld %s", what, status, r->status, r->body);
    cr_assert_str_eq(err_type_of(r), type, "%s: %s", what, r->body);
    if (field)
        cr_assert_str_eq(err_field_of(r), field, "%s: %s", what, r->body);
}

/* The customer GET /customers/by-alias/{value} finds, or "" on 404. */
static const char *lookup(const char *value)
{
    static char out[64];
    struct resp *r = reqf(&srv, "GET", NULL, "/customers/by-alias/%s", value);
    cr_assert(r->status == 200 || r->status == 404, "%s", r->body);
    snprintf(out, sizeof(out), "%s", r->status == 200 ? jstr(r->json, "id") : "");
    if (r->status == 404)
        cr_assert_str_eq(err_type_of(r), "NotFound");
    resp_free(r);
    return out;
}

Test(aliases, create_answers_201_with_the_alias)
{
    char *cu = make_customer(&srv, NULL, "Acme");
    struct resp *r = create(cu, "crm-1", "CRM ID");
    cr_assert_eq(r->status, 201, "%s", r->body);
    json_t *a = r->json;
    cr_assert_eq(strlen(jstr(a, "id")), 36, "%s", r->body);
    cr_assert_eq(strlen(jstr(a, "sequenceAccountId")), 36, "%s", r->body);
    cr_assert_str_eq(jstr(a, "customerId"), cu);
    cr_assert_str_eq(jstr(a, "value"), "crm-1");
    cr_assert_str_eq(jstr(a, "label"), "CRM ID");
    cr_assert_eq(strlen(jstr(a, "createdAt")), 20, "%s", r->body);
    cr_assert_null(json_object_get(a, "deletedAt"), "%s", r->body);
    cr_assert_str_eq(lookup("crm-1"), cu);

    /* Without a label there is none; the account id is the same. */
    struct resp *r2 = create(cu, "crm-2", NULL);
    cr_assert_eq(r2->status, 201, "%s", r2->body);
    cr_assert_null(json_object_get(r2->json, "label"), "%s", r2->body);
    cr_assert_str_eq(jstr(r2->json, "sequenceAccountId"), jstr(a, "sequenceAccountId"));

    /* Another account has another account id. */
    char key[256];
    server_new_key(&srv, "alias-b", key, sizeof(key));
    char *theirs = make_customer(&srv, key, "Theirs");
    struct resp *r3 = create_as(key, theirs, "crm-1", NULL);
    cr_assert_eq(r3->status, 201, "values are unique per account only: %s", r3->body);
    cr_assert_str_neq(jstr(r3->json, "sequenceAccountId"), jstr(a, "sequenceAccountId"));
    resp_free(r3);
    cr_assert_str_eq(lookup("crm-1"), cu, "each account finds its own");

    /* The customer's alias list shows the short CustomerAlias shape. */
    struct resp *l = reqf(&srv, "GET", NULL, "/customers/%s/aliases", cu);
    cr_assert_eq(l->status, 200, "%s", l->body);
    json_t *items = json_object_get(l->json, "items");
    cr_assert_eq(json_array_size(items), 2, "%s", l->body);
    json_t *first = json_array_get(items, 0);
    cr_assert_str_eq(jstr(first, "id"), jstr(a, "id"), "oldest first: %s", l->body);
    cr_assert_str_eq(jstr(first, "value"), "crm-1");
    cr_assert_str_eq(jstr(first, "customerId"), cu);
    cr_assert_str_eq(jstr(first, "sequenceAccountId"), jstr(a, "sequenceAccountId"));
    cr_assert_str_eq(jstr(first, "createdAt"), jstr(a, "createdAt"));
    cr_assert_eq(json_object_size(first), 5,
                 "id, sequenceAccountId, customerId, value, "
                 "createdAt: %s",
                 l->body);
    cr_assert_str_eq(jstr(json_array_get(items, 1), "value"), "crm-2");
    resp_free(l);
    resp_free(r);
    resp_free(r2);
    free(cu);
    free(theirs);
}

Test(aliases, duplicate_values_are_409_and_freed_by_delete)
{
    char *one = make_customer(&srv, NULL, "One");
    char *two = make_customer(&srv, NULL, "Two");
    char *id = create_id(one, "shared");
    struct resp *r = create(one, "shared", NULL);
    expect_error(r, 409, "AliasAlreadyExists", "value", "same customer");
    resp_free(r);
    r = create(two, "shared", "other label");
    expect_error(r, 409, "AliasAlreadyExists", "value", "another customer");
    resp_free(r);
    r = req(&srv, "GET", "/customer-aliases?value=shared", NULL, NULL);
    cr_assert_eq(page_total(r), 1, "%s", r->body);
    resp_free(r);

    /* Values are exact: another spelling is another value. */
    r = create(two, "SHARED", NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    resp_free(r);

    r = reqf(&srv, "DELETE", NULL, "/customer-aliases/%s", id);
    cr_assert_eq(r->status, 200, "%s", r->body);
    resp_free(r);
    cr_assert_str_eq(lookup("shared"), "");
    r = create(two, "shared", NULL);
    cr_assert_eq(r->status, 201, "a deleted alias frees its value: %s", r->body);
    resp_free(r);
    cr_assert_str_eq(lookup("shared"), two);
    /* And it may come back to the first customer after another delete. */
    r = req(&srv, "GET", "/customer-aliases?value=shared", NULL, NULL);
    char again[64];
    snprintf(again, sizeof(again), "%s",
             jstr(json_array_get(json_object_get(r->json, "items"), 0), "id"));
    resp_free(r);
    r = reqf(&srv, "DELETE", NULL, "/customer-aliases/%s", again);
    cr_assert_eq(r->status, 200, "%s", r->body);
    resp_free(r);
    free(create_id(one, "shared"));
    cr_assert_str_eq(lookup("shared"), one);
    free(id);
    free(one);
    free(two);
}

Test(aliases, create_validation_and_unknown_customers)
{
    char *cu = make_customer(&srv, NULL, "Acme");
    char key[256];
    server_new_key(&srv, "alias-v", key, sizeof(key));
    char *theirs = make_customer(&srv, key, "Theirs");
    char long_value[300], ok_value[300];
    memset(long_value, 'v', 256);
    long_value[256] = '\0';
    memset(ok_value, 'v', 255);
    ok_value[255] = '\0';
    char body[1024];
    struct {
        const char *fmt, *type, *field;
    } cases[] = {
        {"{\"value\":\"x\"}%.0s", "MissingField", "customerId"},
        {"{\"customerId\":\"%s\"}", "MissingField", "value"},
        {"{\"customerId\":\"%s\",\"value\":null}", "MissingField", "value"},
        {"{\"customerId\":\"%s\",\"value\":\"\"}", "InvalidField", "value"},
        {"{\"customerId\":\"%s\",\"value\":\"   \"}", "InvalidField", "value"},
        {"{\"customerId\":\"%s\",\"value\":7}", "InvalidField", "value"},
        {"{\"customerId\":\"%s\",\"value\":\"x\",\"label\":7}", "InvalidField", "label"},
        {"{\"customerId\":7,\"value\":\"x\"}%.0s", "InvalidField", "customerId"},
        {"{\"customerId\":\"" GHOST "\",\"value\":\"x\"}%.0s", "CustomerNotFound", "customerId"},
        {"{\"customerId\":\"not-a-uuid\",\"value\":\"x\"}%.0s", "CustomerNotFound", "customerId"},
        {"{\"customerId\":\"%s\",\"value\":\"x\"}", "CustomerNotFound", "customerId"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        /* The last case names another account's customer. */
        snprintf(body, sizeof(body), cases[i].fmt,
                 i + 1 == sizeof(cases) / sizeof(*cases) ? theirs : cu);
        struct resp *r = req(&srv, "POST", "/customer-aliases", body, NULL);
        char what[32];
        snprintf(what, sizeof(what), "case %zu", i);
        expect_error(r, 400, cases[i].type, cases[i].field, what);
        resp_free(r);
    }
    struct resp *r = create(cu, long_value, NULL);
    expect_error(r, 400, "InvalidField", "value", "256 bytes");
    resp_free(r);
    r = req(&srv, "GET", "/customer-aliases", NULL, NULL);
    cr_assert_eq(page_total(r), 0, "nothing was created: %s", r->body);
    resp_free(r);
    r = create(cu, ok_value, NULL);
    cr_assert_eq(r->status, 201, "255 bytes is fine: %s", r->body);
    resp_free(r);
    free(cu);
    free(theirs);
}

Test(aliases, put_sets_or_clears_the_label)
{
    char *cu = make_customer(&srv, NULL, "Acme");
    struct resp *c = create(cu, "crm-7", "old");
    char id[64];
    snprintf(id, sizeof(id), "%s", jstr(c->json, "id"));

    struct resp *r = reqf(&srv, "PUT", "{\"label\":\"CRM ID\"}", "/customer-aliases/%s", id);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "label"), "CRM ID");
    cr_assert_str_eq(jstr(r->json, "value"), "crm-7", "the value stays");
    cr_assert_str_eq(jstr(r->json, "id"), id);
    cr_assert_str_eq(jstr(r->json, "customerId"), cu);
    cr_assert_str_eq(jstr(r->json, "createdAt"), jstr(c->json, "createdAt"));
    cr_assert_null(json_object_get(r->json, "deletedAt"));
    resp_free(r);
    r = req(&srv, "GET", "/customer-aliases?value=crm-7", NULL, NULL);
    cr_assert_str_eq(jstr(json_array_get(json_object_get(r->json, "items"), 0), "label"), "CRM ID",
                     "%s", r->body);
    resp_free(r);

    /* PUT replaces: a body without label clears it. */
    r = reqf(&srv, "PUT", "{}", "/customer-aliases/%s", id);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_null(json_object_get(r->json, "label"), "%s", r->body);
    resp_free(r);
    r = req(&srv, "GET", "/customer-aliases?value=crm-7", NULL, NULL);
    cr_assert_null(json_object_get(json_array_get(json_object_get(r->json, "items"), 0), "label"),
                   "%s", r->body);
    resp_free(r);

    struct {
        const char *body, *type;
    } bad[] = {
        {"{\"label\":\"\"}", "InvalidField"},
        {"{\"label\":5}", "InvalidField"},
        {"[]", "InvalidRequestBody"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        r = reqf(&srv, "PUT", bad[i].body, "/customer-aliases/%s", id);
        expect_error(r, 400, bad[i].type, NULL, bad[i].body);
        resp_free(r);
    }
    r = reqf(&srv, "PUT", "{\"label\":\"x\"}", "/customer-aliases/%s", GHOST);
    expect_error(r, 404, "NotFound", NULL, "unknown alias");
    resp_free(r);
    r = reqf(&srv, "PUT", "{\"label\":\"x\"}", "/customer-aliases/%s", "nope");
    expect_error(r, 404, "NotFound", NULL, "malformed alias id");
    resp_free(r);
    char key[256];
    server_new_key(&srv, "alias-put", key, sizeof(key));
    char path[128];
    snprintf(path, sizeof(path), "/customer-aliases/%s", id);
    r = req_as(&srv, key, "PUT", path, "{\"label\":\"stolen\"}", NULL);
    expect_error(r, 404, "NotFound", NULL, "another account's alias");
    resp_free(r);
    r = req_as(&srv, key, "DELETE", path, NULL, NULL);
    expect_error(r, 404, "NotFound", NULL, "another account's alias");
    resp_free(r);
    cr_assert_str_eq(lookup("crm-7"), cu, "untouched by the other account");
    resp_free(c);
    free(cu);
}

Test(aliases, delete_sets_deleted_at_and_the_alias_is_gone)
{
    char *cu = make_customer(&srv, NULL, "Acme");
    struct resp *c = create(cu, "to-go", "L");
    char id[64];
    snprintf(id, sizeof(id), "%s", jstr(c->json, "id"));
    char *keep = create_id(cu, "to-stay");
    cr_assert_str_eq(lookup("to-go"), cu);

    struct resp *r = reqf(&srv, "DELETE", NULL, "/customer-aliases/%s", id);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "id"), id);
    cr_assert_str_eq(jstr(r->json, "value"), "to-go");
    cr_assert_str_eq(jstr(r->json, "label"), "L");
    cr_assert_str_eq(jstr(r->json, "customerId"), cu);
    const char *deleted = jstr(r->json, "deletedAt");
    cr_assert(deleted && strlen(deleted) == 20, "deletedAt is set: %s", r->body);
    resp_free(r);

    cr_assert_str_eq(lookup("to-go"), "", "GET by alias: 404");
    r = reqf(&srv, "DELETE", NULL, "/customer-aliases/%s", id);
    expect_error(r, 404, "NotFound", NULL, "deleting twice");
    resp_free(r);
    r = reqf(&srv, "PUT", "{\"label\":\"x\"}", "/customer-aliases/%s", id);
    expect_error(r, 404, "NotFound", NULL, "changing a deleted alias");
    resp_free(r);
    r = reqf(&srv, "DELETE", NULL, "/customer-aliases/%s", GHOST);
    expect_error(r, 404, "NotFound", NULL, "unknown");
    resp_free(r);
    r = reqf(&srv, "DELETE", NULL, "/customer-aliases/%s", "nope");
    expect_error(r, 404, "NotFound", NULL, "malformed");
    resp_free(r);

    r = req(&srv, "GET", "/customer-aliases", NULL, NULL);
    cr_assert_eq(page_total(r), 1, "deleted aliases are not listed: %s", r->body);
    cr_assert_str_eq(jstr(json_array_get(json_object_get(r->json, "items"), 0), "id"), keep);
    resp_free(r);
    r = reqf(&srv, "GET", NULL, "/customers/%s/aliases", cu);
    cr_assert_eq(json_array_size(json_object_get(r->json, "items")), 1, "%s", r->body);
    cr_assert_str_eq(jstr(json_array_get(json_object_get(r->json, "items"), 0), "value"),
                     "to-stay");
    resp_free(r);
    r = req(&srv, "GET", "/customers?alias=to-go", NULL, NULL);
    cr_assert_eq(page_total(r), 0, "the customer list's alias filter agrees: %s", r->body);
    resp_free(r);
    r = req(&srv, "GET", "/customers?alias=to-stay", NULL, NULL);
    cr_assert_eq(page_total(r), 1, "%s", r->body);
    resp_free(r);
    resp_free(c);
    free(keep);
    free(cu);
}

Test(aliases, customer_alias_list_of_unknown_or_foreign_customers_is_404)
{
    char key[256];
    server_new_key(&srv, "alias-l", key, sizeof(key));
    char *theirs = make_customer(&srv, key, "Theirs");
    const char *ids[] = {GHOST, "not-a-uuid", theirs};
    for (size_t i = 0; i < 3; i++) {
        struct resp *r = reqf(&srv, "GET", NULL, "/customers/%s/aliases", ids[i]);
        expect_error(r, 404, "NotFound", NULL, ids[i]);
        resp_free(r);
    }
    char *cu = make_customer(&srv, NULL, "No Aliases");
    struct resp *r = reqf(&srv, "GET", NULL, "/customers/%s/aliases", cu);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_eq(json_array_size(json_object_get(r->json, "items")), 0, "%s", r->body);
    resp_free(r);
    free(cu);
    free(theirs);
}

/* ---- GET /customer-aliases ---- */

struct apage {
    char ids[100][40];
    size_t n;
    char *after, *before;
};

static void afetch(const char *query, struct apage *p)
{
    free(p->after);
    free(p->before);
    memset(p, 0, sizeof(*p));
    struct resp *r = reqf(&srv, "GET", NULL, "/customer-aliases?%s", query);
    cr_assert_eq(r->status, 200, "%s: %s", query, r->body);
    json_t *items = json_object_get(r->json, "items");
    p->n = json_array_size(items);
    for (size_t i = 0; i < p->n; i++) {
        json_t *a = json_array_get(items, i);
        snprintf(p->ids[i], sizeof(p->ids[i]), "%s", jstr(a, "id"));
        cr_assert(jstr(a, "value") && jstr(a, "customerId") && jstr(a, "sequenceAccountId"), "%s",
                  r->body);
        cr_assert_null(json_object_get(a, "deletedAt"), "%s", r->body);
        if (i)
            cr_assert(strcmp(p->ids[i - 1], p->ids[i]) > 0, "newest first: %s", r->body);
    }
    json_t *pg = json_object_get(r->json, "pagination");
    p->after = jstr(pg, "after") ? strdup(jstr(pg, "after")) : NULL;
    p->before = jstr(pg, "before") ? strdup(jstr(pg, "before")) : NULL;
    resp_free(r);
}

static int index_of(char (*ids)[40], int n, const char *id)
{
    for (int i = 0; i < n; i++)
        if (strcmp(ids[i], id) == 0)
            return i;
    return -1;
}

Test(aliases, list_pages_both_ways_and_filters_by_value)
{
    char *a = make_customer(&srv, NULL, "A");
    char *b = make_customer(&srv, NULL, "B");
    char ids[64][40];
    int n = 0;
    for (int i = 0; i < 10; i++) {
        char value[32];
        snprintf(value, sizeof(value), "v-%02d", i);
        char *id = create_id(i % 2 ? a : b, value);
        snprintf(ids[n++], sizeof(ids[0]), "%s", id);
        free(id);
    }
    /* A deleted one is never listed. */
    char *gone = create_id(a, "deleted-one");
    struct resp *r = reqf(&srv, "DELETE", NULL, "/customer-aliases/%s", gone);
    cr_assert_eq(r->status, 200);
    resp_free(r);

    /* Forward: newest first; aliases created meanwhile are newer, so
     * they sit before the walk's position and are not seen. */
    bool seen[64] = {false};
    int originals = n;
    struct apage p = {0};
    afetch("limit=3", &p);
    cr_assert_null(p.before);
    int pages = 0;
    for (;;) {
        pages++;
        for (size_t i = 0; i < p.n; i++) {
            int k = index_of(ids, n, p.ids[i]);
            cr_assert(k >= 0 && k < originals, "only the aliases present at the start: %s",
                      p.ids[i]);
            cr_assert(!seen[k], "seen twice");
            seen[k] = true;
        }
        if (!p.after)
            break;
        char value[32];
        snprintf(value, sizeof(value), "new-%02d", n);
        char *id = create_id(a, value);
        snprintf(ids[n++], sizeof(ids[0]), "%s", id);
        free(id);
        char q[512];
        snprintf(q, sizeof(q), "limit=3&after=%s", p.after);
        afetch(q, &p);
        cr_assert_not_null(p.before);
    }
    cr_assert_eq(pages, 4, "10 aliases, 3 a page");
    for (int i = 0; i < originals; i++)
        cr_assert(seen[i], "alias %d was never listed", i);

    /* Back from the last page: everything before it, the new ones too. */
    memset(seen, 0, sizeof(seen));
    for (size_t i = 0; i < p.n; i++)
        seen[index_of(ids, n, p.ids[i])] = true;
    int total = n;
    while (p.before) {
        char q[512];
        snprintf(q, sizeof(q), "limit=3&before=%s", p.before);
        afetch(q, &p);
        cr_assert_not_null(p.after);
        for (size_t i = 0; i < p.n; i++) {
            int k = index_of(ids, n, p.ids[i]);
            cr_assert(k >= 0, "%s", p.ids[i]);
            cr_assert(!seen[k], "seen twice going back");
            seen[k] = true;
        }
    }
    for (int i = 0; i < total; i++)
        cr_assert(seen[i], "alias %d was never listed going back", i);
    free(p.after);
    free(p.before);

    r = req(&srv, "GET", "/customer-aliases", NULL, NULL);
    cr_assert_eq(page_total(r), total, "%s", r->body);
    resp_free(r);

    /* value: exact match. */
    r = req(&srv, "GET", "/customer-aliases?value=v-03", NULL, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_eq(page_total(r), 1, "%s", r->body);
    json_t *only = json_array_get(json_object_get(r->json, "items"), 0);
    cr_assert_str_eq(jstr(only, "id"), ids[3]);
    cr_assert_str_eq(jstr(only, "customerId"), a);
    resp_free(r);
    static const char *const none[] = {"value=v-0", "value=V-03", "value=deleted-one",
                                       "value=nothing"};
    for (size_t i = 0; i < sizeof(none) / sizeof(*none); i++) {
        r = reqf(&srv, "GET", NULL, "/customer-aliases?%s", none[i]);
        cr_assert_eq(r->status, 200, "%s", r->body);
        cr_assert_eq(page_total(r), 0, "%s: %s", none[i], r->body);
        cr_assert_eq(json_array_size(json_object_get(r->json, "items")), 0);
        resp_free(r);
    }

    struct {
        const char *query, *type, *field;
    } bad[] = {
        {"value=", "InvalidQueryParameter", "value"},
    }; /* bad limits and cursors: test_paging.c */
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        r = reqf(&srv, "GET", NULL, "/customer-aliases?%s", bad[i].query);
        expect_error(r, 400, bad[i].type, bad[i].field, bad[i].query);
        resp_free(r);
    }

    /* Another account lists none of these. */
    char key[256];
    server_new_key(&srv, "alias-list", key, sizeof(key));
    r = req_as(&srv, key, "GET", "/customer-aliases", NULL, NULL);
    cr_assert_eq(page_total(r), 0, "%s", r->body);
    resp_free(r);
    free(gone);
    free(a);
    free(b);
}

Test(aliases, values_with_a_slash_are_refused)
{
    char *cu = make_customer(&srv, NULL, "Slash Co");
    char body[256];
    snprintf(body, sizeof(body), "{\"customerId\":\"%s\",\"value\":\"crm/42\"}", cu);
    struct resp *r = req(&srv, "POST", "/customer-aliases", body, NULL);
    cr_assert_eq(r->status, 400, "%s", r->body);
    cr_assert_str_eq(err_type_of(r), "InvalidField");
    cr_assert_str_eq(err_field_of(r), "value");
    resp_free(r);
    r = req(&srv, "POST", "/customers",
            "{\"legalName\":\"S\",\"address\":{\"line1\":\"1\",\"town\":\"T\",\"postcode\":\"P\","
            "\"country\":\"GB\"},\"taxStatus\":\"TAXED\",\"contacts\":[{\"name\":\"N\",\"email\":"
            "\"n@x.io\",\"billingPreference\":\"PRIMARY\"}],\"customerAliases\":[\"ok\",\"a/b\"]}",
            NULL);
    cr_assert_eq(r->status, 400, "%s", r->body);
    cr_assert_str_eq(err_field_of(r), "customerAliases[1]");
    resp_free(r);
    free(cu);
}
