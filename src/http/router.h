/*
 * Matching a method and a path against one route table. Patterns are
 * literal segments and `{name}` segments, e.g. "/customers/{id}/archive";
 * a `{name}` segment matches one non-empty segment. Literal segments win
 * over parameters at the same depth ("/customers/by-alias/{alias}" beats
 * "/customers/{id}/aliases" for "/customers/by-alias/x").
 */
#ifndef KINSHIP_HTTP_ROUTER_H
#define KINSHIP_HTTP_ROUTER_H

#include "req.h"

struct route {
    enum http_method method;
    const char *pattern;
    void *handler; /* the application's; the router never calls it */
    unsigned flags;
    const char *name; /* for logs and metrics, e.g. "customers.get" */
};

enum route_match { ROUTE_MATCHED, ROUTE_NO_PATH, ROUTE_NO_METHOD };

/*
 * Finds the route for (method, path). On ROUTE_MATCHED sets *out and fills
 * params (pointers into the arena). On ROUTE_NO_METHOD writes the methods
 * the path allows, comma-separated, into allow (cap bytes). HEAD matches
 * GET routes.
 */
enum route_match router_match(const struct route *table, size_t n, enum http_method method,
                              const char *path, struct arena *a, const struct route **out,
                              const char *params[REQ_MAX_PARAMS], int *n_params, char *allow,
                              size_t cap);

/*
 * The name of the i-th `{name}` segment of `pattern` (from 0), copied into
 * the arena a, e.g. "customerId" for 1 in
 * "/customer-organizations/{id}/members/{customerId}"; NULL when the
 * pattern has no such segment.
 */
const char *router_param_name(const char *pattern, int i, struct arena *a);

#endif
