/* Route matching against the real route table and a small one. */
#include <criterion/criterion.h>
#include <string.h>

#include "../../src/api/api.h"
#include "../../src/http/router.h"

static const struct route table[] = {
    {HTTP_GET, "/customers", NULL, 0, "list"},
    {HTTP_POST, "/customers", NULL, 0, "create"},
    {HTTP_GET, "/customers/{id}", NULL, 0, "get"},
    {HTTP_GET, "/customers/by-alias/{alias}", NULL, 0, "by_alias"},
    {HTTP_GET, "/customers/{id}/aliases", NULL, 0, "aliases"},
    {HTTP_DELETE, "/orgs/{id}/members/{customerId}", NULL, 0, "remove"},
};

static enum route_match go(enum http_method m, const char *path, const struct route **rt,
                           const char *params[REQ_MAX_PARAMS], int *np, char *allow)
{
    static struct arena *a;
    if (!a)
        a = arena_create();
    return router_match(table, sizeof(table) / sizeof(*table), m, path, a, rt, params, np, allow,
                        64);
}

Test(router, literal_and_params)
{
    const struct route *rt;
    const char *p[REQ_MAX_PARAMS];
    int np;
    char allow[64];
    cr_assert_eq(go(HTTP_GET, "/customers", &rt, p, &np, allow), ROUTE_MATCHED);
    cr_assert_str_eq(rt->name, "list");
    cr_assert_eq(go(HTTP_GET, "/customers/abc", &rt, p, &np, allow), ROUTE_MATCHED);
    cr_assert_str_eq(rt->name, "get");
    cr_assert_eq(np, 1);
    cr_assert_str_eq(p[0], "abc");
    cr_assert_eq(go(HTTP_DELETE, "/orgs/o1/members/c2", &rt, p, &np, allow), ROUTE_MATCHED);
    cr_assert_eq(np, 2);
    cr_assert_str_eq(p[0], "o1");
    cr_assert_str_eq(p[1], "c2");
}

Test(router, literal_beats_parameter)
{
    const struct route *rt;
    const char *p[REQ_MAX_PARAMS];
    int np;
    char allow[64];
    cr_assert_eq(go(HTTP_GET, "/customers/by-alias/x", &rt, p, &np, allow), ROUTE_MATCHED);
    cr_assert_str_eq(rt->name, "by_alias");
    cr_assert_str_eq(p[0], "x");
    cr_assert_eq(go(HTTP_GET, "/customers/c1/aliases", &rt, p, &np, allow), ROUTE_MATCHED);
    cr_assert_str_eq(rt->name, "aliases");
}

Test(router, no_path_and_no_method)
{
    const struct route *rt;
    const char *p[REQ_MAX_PARAMS];
    int np;
    char allow[64];
    cr_assert_eq(go(HTTP_GET, "/nope", &rt, p, &np, allow), ROUTE_NO_PATH);
    cr_assert_eq(go(HTTP_GET, "/customers/", &rt, p, &np, allow), ROUTE_NO_PATH);
    cr_assert_eq(go(HTTP_GET, "/customers//aliases", &rt, p, &np, allow), ROUTE_NO_PATH);
    cr_assert_eq(go(HTTP_GET, "customers", &rt, p, &np, allow), ROUTE_NO_PATH);
    cr_assert_eq(go(HTTP_PUT, "/customers", &rt, p, &np, allow), ROUTE_NO_METHOD);
    cr_assert_str_eq(allow, "GET, HEAD, POST");
    cr_assert_eq(go(HTTP_GET, "/orgs/o/members/c", &rt, p, &np, allow), ROUTE_NO_METHOD);
    cr_assert_str_eq(allow, "DELETE");
}

Test(router, head_matches_get)
{
    const struct route *rt;
    const char *p[REQ_MAX_PARAMS];
    int np;
    char allow[64];
    cr_assert_eq(go(HTTP_HEAD, "/customers", &rt, p, &np, allow), ROUTE_MATCHED);
    cr_assert_str_eq(rt->name, "list");
}

Test(router, real_table_has_no_duplicate_routes_and_every_write_is_flagged)
{
    for (size_t i = 0; i < api_routes_count; i++) {
        const struct route *r = &api_routes[i];
        cr_assert(r->handler, "%s has a handler", r->name);
        if (r->method == HTTP_POST || r->method == HTTP_PUT || r->method == HTTP_DELETE)
            cr_assert(r->flags & ROUTE_WRITE, "%s changes data", r->name);
        if ((r->method == HTTP_POST || r->method == HTTP_PUT) && (r->flags & ROUTE_AUTH))
            cr_assert(r->flags & ROUTE_IDEMPOTENT, "%s honours Idempotency-Key", r->name);
        for (size_t j = i + 1; j < api_routes_count; j++)
            cr_assert(!(api_routes[j].method == r->method &&
                        strcmp(api_routes[j].pattern, r->pattern) == 0),
                      "%s duplicated", r->pattern);
    }
}
