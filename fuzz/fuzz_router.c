/*
 * libFuzzer harness: router_match on the real route table (api_routes) with
 * an arbitrary method and path. The first byte picks the method; the rest,
 * up to a NUL, is the path as the adapter hands it over (decoded, without
 * the query string). Checks what the router promises: a match is a route of
 * that method whose parameters are non-empty segments, one per `{name}`; a
 * wrong method leaves a non-empty Allow list.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/api/api.h"

static int count_params(const char *pattern)
{
    int n = 0;
    for (const char *p = pattern; *p; p++)
        n += *p == '{';
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    enum http_method method = (enum http_method)(data[0] % (HTTP_OTHER + 1));
    char *path = malloc(size);
    memcpy(path, data + 1, size - 1);
    path[size - 1] = '\0';

    struct arena *a = arena_create();
    const struct route *rt = NULL;
    const char *params[REQ_MAX_PARAMS] = {0};
    int n_params = -1;
    char allow[64];
    enum route_match m = router_match(api_routes, api_routes_count, method, path, a, &rt, params,
                                      &n_params, allow, sizeof(allow));
    switch (m) {
    case ROUTE_MATCHED: {
        if (!rt || rt < api_routes || rt >= api_routes + api_routes_count)
            abort();
        enum http_method want = method == HTTP_HEAD ? HTTP_GET : method;
        if (rt->method != want || n_params != count_params(rt->pattern))
            abort();
        for (int i = 0; i < n_params; i++)
            if (!params[i] || !*params[i] || strchr(params[i], '/'))
                abort();
        break;
    }
    case ROUTE_NO_METHOD:
        if (memchr(allow, '\0', sizeof(allow)) == NULL || allow[0] == '\0')
            abort();
        break;
    case ROUTE_NO_PATH:
        break;
    default:
        abort();
    }
    arena_destroy(a);
    free(path);
    return 0;
}
