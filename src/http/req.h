/*
 * One HTTP request as the rest of kinship sees it: no libmicrohttpd type
 * crosses this header. The adapter (server.c) fills the request side; the
 * application sets the response side and either answers before its handler
 * returns, or calls req_suspend() and later req_resume() from any thread.
 */
#ifndef KINSHIP_HTTP_REQ_H
#define KINSHIP_HTTP_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/mem.h"

enum http_method {
    HTTP_GET,
    HTTP_HEAD,
    HTTP_POST,
    HTTP_PUT,
    HTTP_DELETE,
    HTTP_PATCH,
    HTTP_OPTIONS,
    HTTP_OTHER
};

#define REQ_MAX_PARAMS 4
#define REQ_MAX_HEADERS 8
#define REQUEST_ID_MAX 64

struct route;

struct req {
    struct arena *arena; /* lives until the request completes */
    enum http_method method;
    const char *method_name;
    /* Decoded, without the query string. Here and in the query's names and
     * values, a percent-encoded NUL arrives as the byte 0xFF (never valid
     * UTF-8), not as a NUL that would cut the string short. */
    const char *path;
    const char *body; /* NUL-terminated; NULL when there is none */
    size_t body_len;
    const char *client_addr;
    int64_t start_us;

    /* Set by the router. */
    const struct route *route;
    const char *params[REQ_MAX_PARAMS];
    int n_params;

    char request_id[REQUEST_ID_MAX + 1];
    const char *account_id; /* after authentication; arena */

    /* The response. */
    int status;
    char *resp_body; /* malloc'd, owned by the request */
    size_t resp_len;
    const char *resp_headers[REQ_MAX_HEADERS][2]; /* static or arena strings */
    int n_resp_headers;
    const char *error_type; /* for the access log; static */

    void *conn; /* the adapter's */
    void *app;  /* the application's */
};

/* A request header's value, or NULL. Case-insensitive name. */
const char *req_header(struct req *r, const char *name);
/* A query argument's decoded value, or NULL. */
const char *req_query(struct req *r, const char *name);
/* Calls fn for every query argument; stops when fn returns false. */
void req_query_each(struct req *r, bool (*fn)(void *ud, const char *k, const char *v), void *ud);

/* Sets the response; takes ownership of `body` (malloc'd, may be NULL). */
void req_respond(struct req *r, int status, char *body, size_t len);
/* Adds a response header; name and value must outlive the request. */
void req_add_header(struct req *r, const char *name, const char *value);
/* Replaces the value of a header added before, or adds it. */
void req_set_header(struct req *r, const char *name, const char *value);

/* Called from the handler, before it returns: the answer comes later. */
void req_suspend(struct req *r);
/* Called once, from any thread, after the response is set. */
void req_resume(struct req *r);

enum http_method http_method_parse(const char *s);

#endif
