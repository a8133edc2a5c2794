/* Segment-wise route matching. Tables are small; a linear scan is fast. */
#include "router.h"

#include <stdio.h>
#include <string.h>

static const char *method_names[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};

/* Matches one pattern; returns the number of literal segments matched (for
 * precedence) or -1. */
static int match(const char *pattern, const char *path, struct arena *a,
                 const char *params[REQ_MAX_PARAMS], int *n_params)
{
    const char *p = pattern, *s = path;
    int literal = 0, np = 0;
    if (*p != '/' || *s != '/')
        return -1;
    while (*p && *s) {
        if (*p != '/' || *s != '/')
            return -1;
        p++;
        s++;
        size_t plen = strcspn(p, "/");
        size_t slen = strcspn(s, "/");
        if (plen > 1 && p[0] == '{') {
            if (slen == 0 || np >= REQ_MAX_PARAMS)
                return -1;
            if (a)
                params[np] = arena_strndup(a, s, slen);
            np++;
        } else {
            if (plen != slen || memcmp(p, s, plen) != 0)
                return -1;
            literal++;
        }
        p += plen;
        s += slen;
    }
    if (*p || *s)
        return -1;
    *n_params = np;
    return literal;
}

enum route_match router_match(const struct route *table, size_t n, enum http_method method,
                              const char *path, struct arena *a, const struct route **out,
                              const char *params[REQ_MAX_PARAMS], int *n_params, char *allow,
                              size_t cap)
{
    const struct route *best = NULL;
    int best_score = -1;
    bool any_path = false;
    unsigned allowed = 0;
    enum http_method want = method == HTTP_HEAD ? HTTP_GET : method;
    int np = 0;

    for (size_t i = 0; i < n; i++) {
        int score = match(table[i].pattern, path, NULL, params, &np);
        if (score < 0)
            continue;
        any_path = true;
        allowed |= 1u << table[i].method;
        if (table[i].method == want && score > best_score) {
            best = &table[i];
            best_score = score;
        }
    }
    if (best) {
        match(best->pattern, path, a, params, n_params);
        *out = best;
        return ROUTE_MATCHED;
    }
    if (!any_path)
        return ROUTE_NO_PATH;
    if (allowed & (1u << HTTP_GET))
        allowed |= 1u << HTTP_HEAD;
    size_t off = 0;
    if (cap)
        allow[0] = '\0';
    for (unsigned m = 0; m < sizeof(method_names) / sizeof(*method_names); m++) {
        if (!(allowed & (1u << m)))
            continue;
        int w = snprintf(allow + off, cap - off, "%s%s", off ? ", " : "", method_names[m]);
        if (w < 0 || (size_t)w >= cap - off)
            break;
        off += (size_t)w;
    }
    return ROUTE_NO_METHOD;
}

const char *router_param_name(const char *pattern, int i, struct arena *a)
{
    /* The segments match() takes for parameters, in order. */
    for (const char *p = pattern; *p == '/';) {
        p++;
        size_t plen = strcspn(p, "/");
        if (plen > 1 && p[0] == '{' && i-- == 0) {
            size_t len = strcspn(p + 1, "}/");
            return arena_strndup(a, p + 1, len);
        }
        p += plen;
    }
    return NULL;
}
