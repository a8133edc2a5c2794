/*
 * The OpenAPI document against the route table: every route is documented,
 * nothing undocumented is served, and what the route's flags make the
 * dispatcher do (credentials, version header, JSON body, Idempotency-Key)
 * is what the document says. A route added without documentation, or an
 * operation documented but not served, fails here.
 *
 * The document is read from $KINSHIP_SPEC (meson sets it to api/openapi.json).
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../src/api/api.h"

static json_t *doc;

static void load(void)
{
    const char *path = getenv("KINSHIP_SPEC");
    cr_assert(path && *path, "KINSHIP_SPEC must name the OpenAPI document (api/openapi.json)");
    json_error_t e;
    doc = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
    cr_assert(doc, "%s:%d:%d: %s", path, e.line, e.column, e.text);
    cr_assert(json_is_object(json_object_get(doc, "paths")), "the document has no paths");
}

static void unload(void)
{
    json_decref(doc);
    doc = NULL;
}

TestSuite(openapi, .init = load, .fini = unload);

static const char *const op_methods[] = {"get",     "put",  "post",  "delete",
                                         "options", "head", "patch", "trace"};

static const char *method_key(enum http_method m)
{
    switch (m) {
    case HTTP_GET:
        return "get";
    case HTTP_HEAD:
        return "head";
    case HTTP_POST:
        return "post";
    case HTTP_PUT:
        return "put";
    case HTTP_DELETE:
        return "delete";
    case HTTP_PATCH:
        return "patch";
    case HTTP_OPTIONS:
        return "options";
    default:
        return NULL;
    }
}

static bool is_op_method(const char *k)
{
    for (size_t i = 0; i < sizeof(op_methods) / sizeof(*op_methods); i++)
        if (strcmp(op_methods[i], k) == 0)
            return true;
    return false;
}

/* Follows local references ("#/components/parameters/X"); NULL when one
 * does not resolve. */
static json_t *deref(json_t *node)
{
    for (int hops = 0; hops < 16 && json_is_object(node); hops++) {
        const char *ref = json_string_value(json_object_get(node, "$ref"));
        if (!ref)
            return node;
        if (strncmp(ref, "#/", 2) != 0)
            return NULL;
        json_t *cur = doc;
        char part[256];
        const char *p = ref + 2;
        while (cur && *p) {
            size_t n = strcspn(p, "/");
            size_t o = 0;
            for (size_t i = 0; i < n && o + 1 < sizeof(part); i++) {
                if (p[i] == '~' && i + 1 < n && (p[i + 1] == '0' || p[i + 1] == '1')) {
                    part[o++] = p[i + 1] == '0' ? '~' : '/';
                    i++;
                } else {
                    part[o++] = p[i];
                }
            }
            part[o] = '\0';
            cur = json_object_get(cur, part);
            p += n;
            if (*p == '/')
                p++;
        }
        node = cur;
    }
    return json_is_object(node) ? node : NULL;
}

static json_t *operation(const char *pattern, const char *method)
{
    return json_object_get(json_object_get(json_object_get(doc, "paths"), pattern), method);
}

static bool route_exists(const char *pattern, const char *method)
{
    for (size_t i = 0; i < api_routes_count; i++) {
        const char *m = method_key(api_routes[i].method);
        if (m && strcmp(m, method) == 0 && strcmp(api_routes[i].pattern, pattern) == 0)
            return true;
    }
    return false;
}

/* The parameter `name` in `in` of an operation (or of its path item). */
static json_t *find_param(const char *pattern, json_t *op, const char *name, const char *in)
{
    json_t *lists[2] = {
        json_object_get(op, "parameters"),
        json_object_get(json_object_get(json_object_get(doc, "paths"), pattern), "parameters"),
    };
    for (int l = 0; l < 2; l++) {
        size_t i;
        json_t *p;
        json_array_foreach(lists[l], i, p)
        {
            json_t *r = deref(p);
            cr_expect(r, "%s: a parameter reference does not resolve", pattern);
            if (!r)
                continue;
            const char *pn = json_string_value(json_object_get(r, "name"));
            const char *pi = json_string_value(json_object_get(r, "in"));
            if (!pn || !pi || strcmp(pi, in) != 0)
                continue;
            bool header = strcmp(in, "header") == 0;
            if (header ? strcasecmp(pn, name) == 0 : strcmp(pn, name) == 0)
                return r;
        }
    }
    return NULL;
}

static bool has_response(json_t *op, const char *status)
{
    return json_object_get(json_object_get(op, "responses"), status) != NULL;
}

/* True when the operation asks for credentials (its own `security`, or the
 * document's when it has none). */
static bool needs_credentials(json_t *op)
{
    json_t *sec = json_object_get(op, "security");
    if (!sec)
        sec = json_object_get(doc, "security");
    return json_is_array(sec) && json_array_size(sec) > 0;
}

Test(openapi, is_openapi_3_1)
{
    cr_assert_str_eq(json_string_value(json_object_get(doc, "openapi")), "3.1.0");
    json_t *schemes = json_object_get(json_object_get(doc, "components"), "securitySchemes");
    json_t *basic = json_object_get(schemes, "basicAuth");
    cr_assert_str_eq(json_string_value(json_object_get(basic, "type")), "http");
    cr_assert_str_eq(json_string_value(json_object_get(basic, "scheme")), "basic");
}

Test(openapi, every_route_is_documented)
{
    for (size_t i = 0; i < api_routes_count; i++) {
        const struct route *rt = &api_routes[i];
        const char *m = method_key(rt->method);
        cr_assert(m, "route %s has a method OpenAPI cannot describe", rt->name);
        cr_expect(operation(rt->pattern, m), "route %s (%s %s) is not in the OpenAPI document",
                  rt->name, m, rt->pattern);
    }
}

Test(openapi, every_operation_is_routed)
{
    const char *path;
    json_t *item;
    json_object_foreach(json_object_get(doc, "paths"), path, item)
    {
        const char *k;
        json_t *op;
        json_object_foreach(item, k, op)
        {
            if (!is_op_method(k))
                continue;
            cr_expect(route_exists(path, k), "the document describes %s %s, which no route serves",
                      k, path);
        }
    }
}

Test(openapi, route_flags_match_the_document)
{
    for (size_t i = 0; i < api_routes_count; i++) {
        const struct route *rt = &api_routes[i];
        const char *m = method_key(rt->method);
        json_t *op = m ? operation(rt->pattern, m) : NULL;
        if (!op)
            continue; /* reported by every_route_is_documented */
        unsigned f = rt->flags;

        /* Extensions are marked, Sequence's operations are not. */
        bool marked = json_is_true(json_object_get(op, "x-kinship-extension"));
        cr_expect_eq(marked, (f & ROUTE_EXTENSION) != 0,
                     "%s: x-kinship-extension is %s but the route %s ROUTE_EXTENSION", rt->name,
                     marked ? "true" : "not true", (f & ROUTE_EXTENSION) ? "has" : "lacks");

        /* The route's name, as in logs and metrics. */
        const char *named = json_string_value(json_object_get(op, "x-kinship-route"));
        cr_expect(named && strcmp(named, rt->name) == 0, "%s: x-kinship-route is %s", rt->name,
                  named ? named : "missing");

        /* Credentials. */
        bool auth = (f & ROUTE_AUTH) != 0;
        cr_expect_eq(needs_credentials(op), auth, "%s: the document %s credentials", rt->name,
                     auth ? "does not ask for" : "asks for");
        cr_expect_eq(has_response(op, "401"), auth, "%s: 401 %s documented", rt->name,
                     auth ? "is not" : "is");

        /* Sequence-Version. */
        bool versioned = (f & ROUTE_VERSIONED) != 0;
        cr_expect_eq(find_param(rt->pattern, op, "Sequence-Version", "header") != NULL, versioned,
                     "%s: Sequence-Version header %s documented", rt->name,
                     versioned ? "is not" : "is");

        /* JSON body. */
        bool body = (f & ROUTE_JSON_BODY) != 0;
        cr_expect_eq(json_object_get(op, "requestBody") != NULL, body,
                     "%s: a request body %s documented", rt->name, body ? "is not" : "is");
        if (body) {
            cr_expect(has_response(op, "415"), "%s: 415 is not documented", rt->name);
            cr_expect(has_response(op, "400"), "%s: 400 is not documented", rt->name);
        }

        /* Idempotency-Key. */
        bool idem = (f & ROUTE_IDEMPOTENT) != 0;
        cr_expect_eq(find_param(rt->pattern, op, "Idempotency-Key", "header") != NULL, idem,
                     "%s: Idempotency-Key header %s documented", rt->name, idem ? "is not" : "is");
        if (idem)
            cr_expect(has_response(op, "409"), "%s: 409 (IdempotencyKeyReused) is not documented",
                      rt->name);

        /* Path parameters: one per {name} segment, and no others. */
        int segments = 0;
        for (const char *p = strchr(rt->pattern, '{'); p; p = strchr(p + 1, '{')) {
            const char *end = strchr(p, '}');
            cr_assert(end, "%s: malformed pattern %s", rt->name, rt->pattern);
            char name[64];
            snprintf(name, sizeof(name), "%.*s", (int)(end - p - 1), p + 1);
            json_t *par = find_param(rt->pattern, op, name, "path");
            cr_expect(par, "%s: path parameter %s is not documented", rt->name, name);
            if (par)
                cr_expect(json_is_true(json_object_get(par, "required")),
                          "%s: path parameter %s must be required", rt->name, name);
            segments++;
        }
        int documented = 0;
        size_t j;
        json_t *p;
        json_array_foreach(json_object_get(op, "parameters"), j, p)
        {
            json_t *r = deref(p);
            const char *in = r ? json_string_value(json_object_get(r, "in")) : NULL;
            documented += in && strcmp(in, "path") == 0;
        }
        cr_expect_eq(documented, segments, "%s: %d path parameters documented, pattern has %d",
                     rt->name, documented, segments);

        /* A success answer. */
        bool ok = false;
        const char *status;
        json_t *resp;
        json_object_foreach(json_object_get(op, "responses"), status, resp) ok |= status[0] == '2';
        cr_expect(ok, "%s: no 2xx response is documented", rt->name);
    }
}

/* Every error type of the error table can appear in a documented error body. */
Test(openapi, error_types_are_documented)
{
    json_t *schemas = json_object_get(json_object_get(doc, "components"), "schemas");
    json_t *type = json_object_get(
        json_object_get(json_object_get(json_object_get(schemas, "ErrorBody"), "properties"),
                        "type"),
        "enum");
    cr_assert(json_is_array(type), "components.schemas.ErrorBody.properties.type.enum is missing");
    for (int e = ERR_OK + 1; e < ERR__COUNT; e++) {
        bool found = false;
        size_t i;
        json_t *v;
        json_array_foreach(type, i, v) found |=
            json_is_string(v) && strcmp(json_string_value(v), err_type(e)) == 0;
        cr_expect(found, "error type %s (HTTP %d) is not in ErrorBody.type", err_type(e),
                  err_status(e));
    }
}
