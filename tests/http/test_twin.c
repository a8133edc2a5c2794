/* The test twin on both stores (docs/console.md): POST /_kinship/reset,
 * off by default and on with test_reset, and `kinship seed`. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

HTTP_SUITE(twin_off, 120);
HTTP_SUITE_MORE(twin, 120, .extra = HTTP_ARGS("--test-reset", "on"));

static long long customers_total(const char *key)
{
    struct resp *r = req_as(&srv, key ? key : srv.key, "GET", "/customers?limit=1", NULL, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    long long n = page_total(r);
    resp_free(r);
    return n;
}

static long status_of(struct resp *r)
{
    long s = r->status;
    resp_free(r);
    return s;
}

/* POST `path` with the server's key is refused with status and type. */
static void post_refused(const char *path, long status, const char *type)
{
    struct resp *r = req(&srv, "POST", path, NULL, NULL);
    cr_assert_eq(r->status, status, "%s", r->body);
    cr_assert_str_eq(err_type_of(r), type);
    resp_free(r);
}

Test(twin_off, reset_is_no_route_unless_turned_on)
{
    char *id = make_customer(&srv, NULL, "Kept Ltd");
    post_refused("/_kinship/reset", 404, "RouteNotFound");
    cr_assert_eq(status_of(req_as(&srv, NULL, "POST", "/_kinship/reset", NULL, NULL)), 401);
    cr_assert_eq(customers_total(NULL), 1, "nothing was deleted");
    free(id);
}

Test(twin, reset_empties_only_the_callers_account)
{
    char other[256];
    server_new_key(&srv, "other", other, sizeof(other));
    char *kept = make_customer(&srv, other, "Other Account Ltd");
    char *owner = make_customer(&srv, NULL, "Owner Ltd");
    char *member = make_customer(&srv, NULL, "Member Ltd");
    json_t *body = jsonf("{\"ownerId\":\"%s\",\"memberIds\":[\"%s\"]}", owner, member);
    char *text = json_dumps(body, 0);
    cr_assert_eq(status_of(req(&srv, "POST", "/customer-organizations", text, NULL)), 201);
    free(text);
    json_decref(body);
    char alias[256];
    snprintf(alias, sizeof(alias), "{\"customerId\":\"%s\",\"value\":\"owner-alias\"}", owner);
    cr_assert_eq(status_of(req(&srv, "POST", "/customer-aliases", alias, NULL)), 201);

    struct resp *r = req(&srv, "POST", "/_kinship/reset", NULL, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(r->body, "{\"reset\":true}");
    resp_free(r);

    cr_assert_eq(customers_total(NULL), 0);
    cr_assert_eq(status_of(reqf(&srv, "GET", NULL, "/customers/%s", owner)), 404);
    cr_assert_eq(status_of(req(&srv, "GET", "/customers/by-alias/owner-alias", NULL, NULL)), 404);
    r = req(&srv, "GET", "/customer-organizations", NULL, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_eq(json_array_size(json_object_get(r->json, "items")), 0, "%s", r->body);
    resp_free(r);
    /* The key still works, the alias value is free again, the other
     * account is untouched. */
    char *again = make_customer(&srv, NULL, "Owner Ltd");
    snprintf(alias, sizeof(alias), "{\"customerId\":\"%s\",\"value\":\"owner-alias\"}", again);
    cr_assert_eq(status_of(req(&srv, "POST", "/customer-aliases", alias, NULL)), 201);
    cr_assert_eq(customers_total(other), 1);
    cr_assert_eq(status_of(req_as(&srv, other, "GET",
                                  (snprintf(alias, sizeof(alias), "/customers/%s", kept), alias),
                                  NULL, NULL)),
                 200);
    free(again);
    free(kept);
    free(owner);
    free(member);
}

Test(twin, reset_with_the_demo_refills_and_a_bad_seed_changes_nothing)
{
    char *id = make_customer(&srv, NULL, "Gone Ltd");
    post_refused("/_kinship/reset?seed=forest", 400, "InvalidQueryParameter");
    cr_assert_eq(customers_total(NULL), 1);

    struct resp *r = req(&srv, "POST", "/_kinship/reset?seed=demo", NULL, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    json_t *seeded = json_object_get(r->json, "seeded");
    cr_assert_eq(json_integer_value(json_object_get(seeded, "customers")), 400, "%s", r->body);
    cr_assert_eq(json_integer_value(json_object_get(seeded, "organizations")), 86, "%s", r->body);
    resp_free(r);
    cr_assert_eq(customers_total(NULL), 400);
    cr_assert_eq(status_of(reqf(&srv, "GET", NULL, "/customers/%s", id)), 404);

    /* Five levels: a store's organization is owned by its branch, whose
     * own is owned by its country, and so on up to the group. */
    const char *chain[] = {"london-north-store-1", "london-north-branch", "northwind-gb-london",
                           "northwind-europe", "northwind-group"};
    char parent_name[5][64] = {"London North Branch", "Northwind GB London", "Northwind Europe",
                               "Northwind Group", ""};
    for (int i = 0; i < 5; i++) {
        char path[128];
        snprintf(path, sizeof(path), "/customers/by-alias/%s", chain[i]);
        r = req(&srv, "GET", path, NULL, NULL);
        cr_assert_eq(r->status, 200, "%s: %s", chain[i], r->body);
        const char *cid = jstr(r->json, "id");
        cr_assert(jstr(r->json, "email") && strstr(jstr(r->json, "email"), chain[i]), "%s",
                  r->body);
        struct resp *c = reqf(&srv, "GET", NULL, "/customers/%s", cid);
        cr_assert_eq(c->status, 200, "%s", c->body);
        json_t *orgs = json_object_get(c->json, "organizations");
        if (i < 4) {
            cr_assert_eq(json_array_size(orgs), 1, "%s", c->body);
            const char *oid = jstr(json_array_get(orgs, 0), "id");
            struct resp *o = reqf(&srv, "GET", NULL, "/customer-organizations/%s", oid);
            cr_assert_eq(o->status, 200, "%s", o->body);
            cr_assert_str_eq(jstr(json_object_get(o->json, "owner"), "name"), parent_name[i]);
            resp_free(o);
        } else
            cr_assert_eq(json_array_size(orgs), 0, "the group is the top: %s", c->body);
        resp_free(c);
        resp_free(r);
    }
    free(id);
}

Test(twin, seed_command_fills_an_account_once_and_prints_a_key)
{
    char account[64], out[256];
    snprintf(account, sizeof(account), "seeded-%d-%ld", getpid(), (long)time(NULL));
    const char *args[] = {"seed", "--account", account, NULL};
    cr_assert_eq(kinship_cmd(&srv, args, out, sizeof(out)), 0);
    out[strcspn(out, "\n")] = '\0';
    cr_assert(strchr(out, ':'), "a key: %s", out);
    cr_assert_eq(customers_total(out), 400);
    struct resp *r = req_as(&srv, out, "GET", "/customers/by-alias/contoso-retail", NULL, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    resp_free(r);
    /* The demo is there: a second seed of the same account writes nothing. */
    char out2[256];
    cr_assert_eq(kinship_cmd(&srv, args, out2, sizeof(out2)), 1);
    cr_assert_str_eq(out2, "");
    cr_assert_eq(customers_total(out), 400);
    cr_assert_eq(customers_total(NULL), 0, "the server's own account is untouched");
}

Test(twin, seed_command_refuses_a_memory_database)
{
    /* Its data would die with the command: it says so and exits 2. */
    int st = system("\"$KINSHIP_BIN\" seed --account lost --db memory: >/dev/null 2>&1");
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2, "status %d", st);
}
