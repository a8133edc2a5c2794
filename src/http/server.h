/*
 * The HTTP server: libmicrohttpd behind kinship's own types. Requests are
 * read whole (bounded) and handed to one application callback; the server
 * owns connections, limits and timeouts.
 */
#ifndef KINSHIP_HTTP_SERVER_H
#define KINSHIP_HTTP_SERVER_H

#include <stddef.h>

#include "../core/err.h"
#include "req.h"

struct http_options {
    const char *host;  /* IPv4 or IPv6 literal, or "localhost" */
    int port;          /* 0: any free port (see http_server_port) */
    size_t body_limit; /* bytes; larger bodies get 413 */
    unsigned threads;  /* polling threads */
    unsigned max_connections;
    unsigned max_per_ip;        /* 0: no limit */
    unsigned idle_timeout_s;    /* a connection silent this long is closed */
    unsigned request_timeout_s; /* a request not received whole by then is cut off (0: never) */
    size_t header_limit;        /* bytes of request line and headers together */
    unsigned max_headers;       /* header count */
};

/* Called for every complete request. It must either set a response before
 * returning, or call req_suspend() and later req_resume(). */
typedef void (*http_handler)(struct req *r, void *ud);
/* Called when a request is finished (answered or aborted): logs, metrics. */
typedef void (*http_complete)(struct req *r, void *ud);

/* Pre-answers the server writes itself (413, 431, ...), in the API's error
 * shape. Set by the application; receives status and error code. */
typedef void (*http_early_error)(struct req *r, enum err e, void *ud);

struct http_server;

/* ERR_UNAVAILABLE when the address cannot be bound (logged; *out is then
 * NULL). *out is set before the first request can arrive, so the
 * application may pass a pointer its handlers read. */
enum err http_server_start(const struct http_options *o, http_handler handler,
                           http_early_error early, http_complete complete, void *ud,
                           struct http_server **out);
int http_server_port(const struct http_server *s);
/* Stops accepting, waits for requests in flight (suspended ones included)
 * to finish, then closes. A client still sending its request has one more
 * second to finish it, then is cut off. NULL is a no-op. */
void http_server_stop(struct http_server *s);
/* Requests received and not yet completed. */
unsigned http_server_in_flight(const struct http_server *s);

#endif
