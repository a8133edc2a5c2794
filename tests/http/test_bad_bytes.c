/*
 * Bytes that are not UTF-8 text in the URL are a 400 on both stores, before
 * anything reaches the database (PostgreSQL used to answer 500, SQLite 200
 * or 404). The sweep walks the real route table (api_routes, linked from
 * the kinship library): every path parameter of every route, every query
 * parameter the OpenAPI document ($KINSHIP_SPEC) gives the route, one it
 * does not, and a query parameter's name, each with every bad sequence.
 * A route added later is swept as soon as it is in the table, and a route
 * missing from the document fails the test.
 *
 * Valid non-ASCII text still works, bodies with bad bytes are invalid JSON,
 * a refused request changes nothing, and the server logs no error line for
 * any of it.
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/api/api.h"

HTTP_SUITE(bad_bytes, 300);

/* Percent-encoded sequences that are not UTF-8 text. */
static const char *const bad_values[] = {
    "%ff",          /* never a UTF-8 byte */
    "%c0%af",       /* overlong '/' */
    "%ed%a0%80",    /* U+D800, a surrogate */
    "%f4%90%80%80", /* U+110000, past the last code point */
    "%00",          /* NUL: would cut the value short */
    "ab%00cd",      /* NUL inside */
    "caf%C3",       /* truncated */
    "%e0%80%80",    /* 3-byte overlong NUL */
};

/* Non-ASCII text that is valid: e acute, U+10FFFF, an emoji. */
static const char *const good_values[] = {"%C3%A9", "%F4%8F%BF%BF", "%F0%9F%98%80"};

#define N(a) (sizeof(a) / sizeof(*(a)))
#define PROBE "kinshipProbe" /* a query parameter no route reads */
#define SOME_ID "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

/* ---- the OpenAPI document: each operation's query parameters ---- */

static json_t *spec;

static json_t *load_spec(void)
{
    if (spec)
        return spec;
    const char *path = getenv("KINSHIP_SPEC");
    cr_assert(path && *path, "KINSHIP_SPEC must name api/openapi.json");
    json_error_t e;
    spec = json_load_file(path, 0, &e);
    cr_assert(spec, "%s:%d: %s", path, e.line, e.text);
    return spec;
}

/* A local "#/components/parameters/X" reference, followed. */
static json_t *deref(json_t *node)
{
    const char *ref = json_string_value(json_object_get(node, "$ref"));
    if (!ref)
        return node;
    const char prefix[] = "#/components/parameters/";
    cr_assert(strncmp(ref, prefix, sizeof(prefix) - 1) == 0, "unexpected reference %s", ref);
    json_t *params = json_object_get(json_object_get(load_spec(), "components"), "parameters");
    json_t *p = json_object_get(params, ref + sizeof(prefix) - 1);
    cr_assert(p, "%s does not resolve", ref);
    return p;
}

static const char *method_name(enum http_method m)
{
    static const char *const names[] = {
        [HTTP_GET] = "GET",         [HTTP_HEAD] = "HEAD",     [HTTP_POST] = "POST",
        [HTTP_PUT] = "PUT",         [HTTP_DELETE] = "DELETE", [HTTP_PATCH] = "PATCH",
        [HTTP_OPTIONS] = "OPTIONS",
    };
    cr_assert((size_t)m < N(names) && names[m], "a route with an unnamed method");
    return names[m];
}

/* The names of the query parameters documented for the route, plus PROBE. */
static size_t query_params(const struct route *rt, const char *out[], size_t cap)
{
    char key[16] = "";
    const char *m = method_name(rt->method);
    for (size_t i = 0; m[i] && i + 1 < sizeof(key); i++)
        key[i] = (char)tolower((unsigned char)m[i]);
    json_t *item = json_object_get(json_object_get(load_spec(), "paths"), rt->pattern);
    json_t *op = json_object_get(item, key);
    cr_assert(op, "route %s (%s) is not in the OpenAPI document", rt->name, rt->pattern);
    size_t n = 0;
    json_t *lists[2] = {json_object_get(item, "parameters"), json_object_get(op, "parameters")};
    for (int l = 0; l < 2; l++) {
        size_t i;
        json_t *p;
        json_array_foreach(lists[l], i, p)
        {
            json_t *d = deref(p);
            const char *in = json_string_value(json_object_get(d, "in"));
            if (in && strcmp(in, "query") == 0 && n < cap)
                out[n++] = json_string_value(json_object_get(d, "name"));
        }
    }
    cr_assert(n < cap);
    out[n++] = PROBE;
    return n;
}

/* The route's pattern with every {name} segment replaced: by `value` for
 * the one numbered `which` (from 0), by SOME_ID for the others. */
static void fill_path(const struct route *rt, int which, const char *value, char *out, size_t cap)
{
    size_t n = 0;
    int i = 0;
    for (const char *p = rt->pattern; *p;) {
        if (*p == '{') {
            n += (size_t)snprintf(out + n, cap - n, "%s", i++ == which ? value : SOME_ID);
            p += strcspn(p, "}") + 1;
            continue;
        }
        out[n++] = *p++;
    }
    out[n] = '\0';
}

static int count_params(const struct route *rt)
{
    int n = 0;
    for (const char *p = rt->pattern; (p = strchr(p, '{')); p++)
        n++;
    return n;
}

/* ---- assertions ---- */

static struct resp *send_route(const struct route *rt, const char *path)
{
    const char *body = (rt->flags & ROUTE_JSON_BODY) ? "{}" : NULL;
    return req(&srv, method_name(rt->method), path, body, NULL);
}

/* 400 of `type`, `field` naming the parameter ("" for none), and a message
 * that quotes none of the request's bytes. */
static void assert_refused(const char *path, struct resp *r, const char *type, const char *field)
{
    cr_assert_eq(r->status, 400, "%s: want 400, got %ld %s", path, r->status, r->body);
    cr_assert_str_eq(err_type_of(r), type, "%s: %s", path, r->body);
    cr_assert_str_eq(err_field_of(r), field, "%s: %s", path, r->body);
    const char *msg =
        json_string_value(json_object_get(json_object_get(r->json, "error"), "message"));
    cr_assert(msg && *msg, "%s: no message: %s", path, r->body);
    for (const unsigned char *p = (const unsigned char *)msg; *p; p++)
        cr_assert(*p >= 0x20 && *p < 0x7f && *p != '%', "%s: the message quotes the request: %s",
                  path, r->body);
}

/* Not the answer to bad bytes, and not a server error. */
static void assert_accepted(const char *path, struct resp *r)
{
    cr_assert(r->status < 500, "%s: %ld %s", path, r->status, r->body);
    const char *msg =
        json_string_value(json_object_get(json_object_get(r->json, "error"), "message"));
    cr_assert(strcmp(err_type_of(r), "InvalidPathParameter") != 0 && !(msg && strstr(msg, "UTF-8")),
              "%s: valid UTF-8 refused: %s", path, r->body);
}

/* Stops the server and asserts that it logged no error. */
static void assert_no_error_logged(void)
{
    char *log = server_stop_log(&srv);
    for (char *line = log; line && *line;) {
        char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        cr_assert(!memmem(line, len, "level=error", 11), "the server logged an error: %.*s",
                  (int)len, line);
        line = end ? end + 1 : NULL;
    }
    free(log);
}

/* ---- the sweep ---- */

/* One place a value can take in one route's request. */
struct position {
    const struct route *rt;
    char path[1024];
    const char *type;  /* the error type bad bytes there get */
    const char *field; /* and the field */
};

/* Calls fn for every parameter position of every route with `value`: the
 * path parameters, then the query parameters by name, then the value as a
 * query parameter's name. Returns the number of positions. */
static size_t each_position(const char *value, void (*fn)(const struct position *pos))
{
    size_t count = 0;
    for (size_t i = 0; i < api_routes_count; i++) {
        const struct route *rt = &api_routes[i];
        struct position pos = {.rt = rt, .type = "InvalidPathParameter"};
        int np = count_params(rt);
        struct arena *a = arena_create();
        for (int k = 0; k < np; k++) {
            pos.field = router_param_name(rt->pattern, k, a);
            cr_assert(pos.field, "%s: no name for path parameter %d", rt->name, k);
            fill_path(rt, k, value, pos.path, sizeof(pos.path));
            fn(&pos);
            count++;
        }
        const char *names[32];
        size_t nq = query_params(rt, names, N(names));
        char base[512];
        fill_path(rt, -1, "", base, sizeof(base));
        pos.type = "InvalidQueryParameter";
        for (size_t q = 0; q < nq; q++) {
            pos.field = names[q];
            snprintf(pos.path, sizeof(pos.path), "%s?%s=%s", base, names[q], value);
            fn(&pos);
            count++;
        }
        /* The value as a name (with and without a value). */
        pos.field = "";
        snprintf(pos.path, sizeof(pos.path), "%s?%s=1", base, value);
        fn(&pos);
        snprintf(pos.path, sizeof(pos.path), "%s?" PROBE "=1&%s", base, value);
        fn(&pos);
        count += 2;
        arena_destroy(a);
    }
    return count;
}

static void refuse_at(const struct position *pos)
{
    struct resp *r = send_route(pos->rt, pos->path);
    assert_refused(pos->path, r, pos->type, pos->field);
    resp_free(r);
}

Test(bad_bytes, every_parameter_of_every_route_refuses_them)
{
    size_t n = 0;
    for (size_t b = 0; b < N(bad_values); b++)
        n = each_position(bad_values[b], refuse_at);
    /* Every path parameter, every documented query parameter, PROBE and
     * the name twice on every route: well over 100 positions today. The
     * sweep must not shrink to nothing if the table or the document
     * changes shape. */
    cr_assert_geq(n, 100, "only %zu positions swept", n);
    assert_no_error_logged();
}

static void accept_at(const struct position *pos)
{
    struct resp *r = send_route(pos->rt, pos->path);
    assert_accepted(pos->path, r);
    resp_free(r);
}

Test(bad_bytes, valid_non_ascii_text_is_accepted_everywhere)
{
    for (size_t g = 0; g < N(good_values); g++)
        each_position(good_values[g], accept_at);
    assert_no_error_logged();
}

/* Gives customer `id` the alias `value` (JSON string content); returns the
 * alias's id (malloc'd). */
static char *add_alias(const char *id, const char *value)
{
    char body[512];
    snprintf(body, sizeof(body), "{\"customerId\":\"%s\",\"value\":\"%s\"}", id, value);
    struct resp *r = req(&srv, "POST", "/customer-aliases", body, NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    char *alias = strdup(jstr(r->json, "id"));
    resp_free(r);
    return alias;
}

/* Valid non-ASCII text finds what it names, on both stores. */
Test(bad_bytes, valid_non_ascii_text_finds_its_rows)
{
    char *id = make_customer(&srv, srv.key, "Caf\xc3\xa9 Cr\xc3\xa8me");
    free(add_alias(id, "caf\xc3\xa9-1"));
    free(add_alias(id, "smile-\xf0\x9f\x98\x80"));
    struct resp *r;

    const char *found[] = {
        "/customers/by-alias/caf%C3%A9-1",
        "/customers/by-alias/smile-%F0%9F%98%80",
    };
    for (size_t i = 0; i < N(found); i++) {
        r = req(&srv, "GET", found[i], NULL, NULL);
        cr_assert_eq(r->status, 200, "%s: %ld %s", found[i], r->status, r->body);
        cr_assert_str_eq(jstr(r->json, "id"), id);
        resp_free(r);
    }
    r = req(&srv, "GET", "/customers/by-alias/caf%C3%A9-2", NULL, NULL);
    cr_assert_eq(r->status, 404, "%ld %s", r->status, r->body);
    cr_assert_str_eq(err_type_of(r), "NotFound");
    resp_free(r);

    const char *lists[] = {
        "/customers?legalName=Caf%C3%A9%20Cr%C3%A8me",
        "/customers?alias=caf%C3%A9-1",
        "/customer-aliases?value=smile-%F0%9F%98%80",
    };
    for (size_t i = 0; i < N(lists); i++) {
        r = req(&srv, "GET", lists[i], NULL, NULL);
        cr_assert_eq(r->status, 200, "%s: %ld %s", lists[i], r->status, r->body);
        cr_assert_eq(page_total(r), 1, "%s: %s", lists[i], r->body);
        resp_free(r);
    }
    r = req(&srv, "GET", "/customers?legalName=Caf%C3%A8", NULL, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_eq(page_total(r), 0, "%s", r->body);
    resp_free(r);
    free(id);
    assert_no_error_logged();
}

/* A refused request changes nothing, whichever value was bad, and the
 * check comes before credentials: it needs none. */
Test(bad_bytes, a_refused_request_changes_nothing)
{
    char *id = make_customer(&srv, srv.key, "Kept");
    char *alias = add_alias(id, "kept-alias");

    char path[512];
    snprintf(path, sizeof(path), "/customer-aliases/%s?note=%%00", alias);
    struct resp *r = req(&srv, "DELETE", path, NULL, NULL);
    assert_refused(path, r, "InvalidQueryParameter", "note");
    resp_free(r);
    snprintf(path, sizeof(path), "/customers/%s/archive?%%ff", id);
    r = req(&srv, "POST", path, NULL, NULL);
    assert_refused(path, r, "InvalidQueryParameter", "");
    resp_free(r);
    snprintf(path, sizeof(path), "/customer-aliases/%s?x=%%ed%%a0%%80", alias);
    r = req(&srv, "PUT", path, "{\"value\":\"renamed\"}", NULL);
    assert_refused(path, r, "InvalidQueryParameter", "x");
    resp_free(r);
    /* A second value of a parameter counts as much as the first. */
    r = req(&srv, "GET", "/customers?legalName=Kept&legalName=%c0%af", NULL, NULL);
    assert_refused("legalName twice", r, "InvalidQueryParameter", "legalName");
    resp_free(r);
    /* No credentials: still 400, not 401. */
    r = req_as(&srv, NULL, "GET", "/customers/by-alias/%ff", NULL, NULL);
    assert_refused("by-alias without credentials", r, "InvalidPathParameter", "alias");
    resp_free(r);

    /* Raw bytes, not percent-encoded (Latin-1 e acute): the same. */
    const char raw[] = "GET /customers/by-alias/caf\xe9 HTTP/1.1\r\nHost: x\r\n"
                       "Connection: close\r\n\r\n";
    bool closed = false;
    char *out = raw_exchange(&srv, raw, sizeof(raw) - 1, 4000, &closed);
    cr_assert_eq(raw_status(out), 400, "%s", out);
    cr_assert(strstr(out, "\"InvalidPathParameter\""), "%s", out);
    free(out);

    r = req(&srv, "GET", "/customers/by-alias/kept-alias", NULL, NULL);
    cr_assert_eq(r->status, 200, "the alias is still there: %ld %s", r->status, r->body);
    cr_assert_str_eq(jstr(r->json, "id"), id);
    resp_free(r);
    r = reqf(&srv, "GET", NULL, "/customers/%s", id);
    cr_assert_str_eq(jstr(r->json, "status"), "ACTIVE", "not archived: %s", r->body);
    resp_free(r);
    free(alias);
    free(id);
    assert_no_error_logged();
}

/* jansson refuses bodies that are not UTF-8 (and \u0000, and lone
 * surrogate escapes): 400 InvalidJson on both stores, nothing stored. */
Test(bad_bytes, bodies_with_bad_bytes_are_invalid_json)
{
    char *id = make_customer(&srv, srv.key, "Body Owner");
    const char *texts[] = {
        "bad \xff byte",         "overlong \xc0\xaf",  "surrogate \xed\xa0\x80",
        "past \xf4\x90\x80\x80", "nul \\u0000 escape", "lone \\ud800 escape",
    };
    for (size_t i = 0; i < N(texts); i++) {
        char body[512];
        snprintf(body, sizeof(body), "{\"customerId\":\"%s\",\"value\":\"%s\"}", id, texts[i]);
        struct resp *r = req(&srv, "POST", "/customer-aliases", body, NULL);
        cr_assert_eq(r->status, 400, "alias %zu: %ld %s", i, r->status, r->body);
        cr_assert_str_eq(err_type_of(r), "InvalidJson", "alias %zu: %s", i, r->body);
        resp_free(r);
        snprintf(body, sizeof(body),
                 "{\"legalName\":\"%s\",\"address\":{\"line1\":\"1 A St\",\"town\":\"Bath\","
                 "\"postcode\":\"BA1\",\"country\":\"GB\"},\"taxStatus\":\"TAXED\","
                 "\"contacts\":[{\"name\":\"Ann\",\"email\":\"ann@a.test\","
                 "\"billingPreference\":\"PRIMARY\"}]}",
                 texts[i]);
        r = req(&srv, "POST", "/customers", body, NULL);
        cr_assert_eq(r->status, 400, "customer %zu: %ld %s", i, r->status, r->body);
        cr_assert_str_eq(err_type_of(r), "InvalidJson", "customer %zu: %s", i, r->body);
        resp_free(r);
    }
    struct resp *r = req(&srv, "GET", "/customer-aliases", NULL, NULL);
    cr_assert_eq(page_total(r), 0, "no alias was stored: %s", r->body);
    resp_free(r);
    r = req(&srv, "GET", "/customers", NULL, NULL);
    cr_assert_eq(page_total(r), 1, "no customer was stored: %s", r->body);
    resp_free(r);
    free(id);
    assert_no_error_logged();
}
