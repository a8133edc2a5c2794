/*
 * Raw HTTP abuse over plain TCP, the bytes libcurl would never send:
 * malformed request lines, broken chunked bodies, ambiguous framing
 * (Content-Length with Transfer-Encoding, Content-Length twice), huge
 * headers, pipelined requests, and clients that vanish mid-body or
 * mid-response. After each, a correct request (libcurl, through the
 * harness) must still get its right answer; at the end the server must
 * stop cleanly, which under the sanitizer build also means no leak.
 *
 * Who answers what: libmicrohttpd refuses what it cannot parse itself, with
 * its own small HTML bodies (400, 413, 414, 431, 505); kinship refuses the
 * framing libmicrohttpd would accept but a proxy might read differently
 * (400 InvalidHeader, in the API's error shape). libmicrohttpd 0.9.75 writes
 * the status line and headers of its answer to a malformed Content-Length
 * twice; only the status line is asserted there.
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

static char *known_id; /* a customer whose GET must keep answering */
static char auth[512]; /* "Authorization: Basic ..." for the first key */
static void make_known(void);
static void free_known(void);

/* A short request timeout, so that requests that can never complete are
 * cut off quickly. */
HTTP_SUITE(raw_http, 240, .extra = HTTP_ARGS("--request-timeout", "2"), .ready = make_known,
           .done = free_known);

static void make_known(void)
{
    known_id = make_customer(&srv, NULL, "Raw Co");
    char enc[400];
    b64_encode(srv.key, enc);
    snprintf(auth, sizeof(auth), "Authorization: Basic %s\r\n", enc);
}

static void free_known(void)
{
    free(known_id);
}

/* The server's right answer to a correct request, through libcurl. */
static void assert_still_serving(const char *after)
{
    struct resp *r = reqf(&srv, "GET", NULL, "/customers/%s", known_id);
    cr_assert_eq(r->status, 200, "after %s: %ld %s", after, r->status, r->body);
    cr_assert_str_eq(jstr(r->json, "id"), known_id, "after %s", after);
    cr_assert_str_eq(jstr(r->json, "legalName"), "Raw Co");
    resp_free(r);
}

/* Expands "{AUTH}" to the Authorization line. */
static char *expand(const char *tmpl, size_t *len)
{
    size_t cap = strlen(tmpl) + strlen(auth) + 1;
    char *out = malloc(cap);
    const char *at = strstr(tmpl, "{AUTH}");
    if (at)
        *len = (size_t)snprintf(out, cap, "%.*s%s%s", (int)(at - tmpl), tmpl, auth, at + 6);
    else
        *len = (size_t)snprintf(out, cap, "%s", tmpl);
    return out;
}

#define POST_CUSTOMERS                                                                             \
    "POST /customers HTTP/1.1\r\nHost: x\r\n{AUTH}Content-Type: application/json\r\n"

struct raw_case {
    const char *name;
    const char *request;
    int status;       /* expected status; 0: closed without an answer */
    const char *type; /* the API error type, or NULL: libmicrohttpd's own answer */
};

static const struct raw_case cases[] = {
    /* malformed request lines */
    {"no version (HTTP/0.9 style)", "GET /healthz\r\n\r\n", 400, NULL},
    {"a token after the version", "GET /healthz HTTP/1.1 extra\r\nHost: x\r\n\r\n", 400, NULL},
    {"unknown HTTP version", "GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n", 505, NULL},
    {"a single word", "GARBAGE\r\n\r\n", 0, NULL},
    {"control bytes", "\x01\x02\x03\x04\r\n\r\n", 0, NULL},
    {"binary in the method", "G\xff\xfeT /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 405,
     "MethodNotAllowed"},
    {"path without a slash", "GET healthz HTTP/1.1\r\nHost: x\r\n\r\n", 404, "RouteNotFound"},
    {"encoded NUL in the path", "GET /customers/%00 HTTP/1.1\r\nHost: x\r\n{AUTH}\r\n", 400,
     "InvalidPathParameter"},
    {"a header line without a colon", "GET /healthz HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", 400,
     NULL},
    /* broken chunked bodies */
    {"chunk size not hex", POST_CUSTOMERS "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
     400, NULL},
    {"chunk longer than its size",
     POST_CUSTOMERS "Transfer-Encoding: chunked\r\n\r\n2\r\n{\"a\":1}\r\n0\r\n\r\n", 400, NULL},
    {"negative chunk size",
     POST_CUSTOMERS "Transfer-Encoding: chunked\r\n\r\n-2\r\n{}\r\n0\r\n\r\n", 400, NULL},
    {"chunk size overflowing 64 bits",
     POST_CUSTOMERS "Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFFFF\r\n{}\r\n0\r\n\r\n",
     413, NULL},
    {"chunked body that never ends", POST_CUSTOMERS "Transfer-Encoding: chunked\r\n\r\n2\r\n{}", 0,
     NULL},
    /* ambiguous framing: refused by kinship before any body is read */
    {"Content-Length with Transfer-Encoding",
     POST_CUSTOMERS "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
     400, "InvalidHeader"},
    {"Transfer-Encoding with Content-Length",
     POST_CUSTOMERS "Transfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n{}", 400,
     "InvalidHeader"},
    {"two different Content-Lengths",
     POST_CUSTOMERS "Content-Length: 2\r\nContent-Length: 30\r\n\r\n{}", 400, "InvalidHeader"},
    {"the same Content-Length twice",
     POST_CUSTOMERS "Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}", 400, "InvalidHeader"},
    {"Transfer-Encoding twice",
     POST_CUSTOMERS "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
     400, "InvalidHeader"},
    {"a transfer coding other than chunked", POST_CUSTOMERS "Transfer-Encoding: gzip\r\n\r\n{}",
     400, "InvalidHeader"},
    {"gzip, chunked", POST_CUSTOMERS "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 400,
     "InvalidHeader"},
    /* malformed Content-Length: libmicrohttpd's own answers */
    {"negative Content-Length", POST_CUSTOMERS "Content-Length: -1\r\n\r\n{}", 400, NULL},
    {"Content-Length with letters", POST_CUSTOMERS "Content-Length: 1x\r\n\r\n{}", 400, NULL},
    {"Content-Length as a list", POST_CUSTOMERS "Content-Length: 2, 2\r\n\r\n{}", 400, NULL},
    {"Content-Length over 2^64", POST_CUSTOMERS "Content-Length: 99999999999999999999999\r\n\r\n",
     413, NULL},
};

Test(raw_http, malformed_requests_are_refused_and_the_server_goes_on)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        const struct raw_case *k = &cases[i];
        size_t len;
        char *msg = expand(k->request, &len);
        bool closed = false;
        /* Longer than the request timeout (2 s) plus the reaper's period. */
        char *out = raw_exchange(&srv, msg, len, 4000, &closed);
        int status = raw_status(out);
        if (k->status == 0) {
            cr_assert(out[0] == '\0' || status == 400, "%s: no answer expected: %s", k->name, out);
            cr_assert(closed, "%s: the server closes the connection", k->name);
        } else {
            cr_assert_eq(status, k->status, "%s: want %d: %s", k->name, k->status, out);
            if (k->type) {
                char want[80];
                snprintf(want, sizeof(want), "\"type\":\"%s\"", k->type);
                cr_assert(strstr(out, want), "%s: the API's error shape: %s", k->name, out);
            }
        }
        free(out);
        free(msg);
        assert_still_serving(k->name);
    }
    /* No refused request created anything. */
    struct resp *r = req(&srv, "GET", "/customers", NULL, NULL);
    cr_assert_eq(page_total(r), 1, "%s", r->body);
    resp_free(r);
}

Test(raw_http, huge_headers_are_refused)
{
    /* One 70 KB header, and 2000 small ones: both overflow the 32 KB
     * --header-limit, which libmicrohttpd enforces with 431. */
    size_t big = 70000;
    char *msg = malloc(big + 128);
    int n = snprintf(msg, 128, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Huge: ");
    memset(msg + n, 'h', big);
    n += (int)big;
    n += snprintf(msg + n, 128, "\r\n\r\n");
    bool closed = false;
    char *out = raw_exchange(&srv, msg, (size_t)n, 4000, &closed);
    cr_assert_eq(raw_status(out), 431, "%s", out);
    free(out);
    free(msg);
    assert_still_serving("one huge header");

    msg = malloc(2000 * 16 + 128);
    n = snprintf(msg, 128, "GET /healthz HTTP/1.1\r\nHost: x\r\n");
    for (int i = 0; i < 2000; i++)
        n += sprintf(msg + n, "X-%d: y\r\n", i);
    n += sprintf(msg + n, "\r\n");
    out = raw_exchange(&srv, msg, (size_t)n, 4000, &closed);
    cr_assert_eq(raw_status(out), 431, "%s", out);
    free(out);
    free(msg);
    assert_still_serving("2000 headers");
}

/* Reads one response off `*p` (Content-Length framed); advances *p. */
static int next_response(const char **p, char *body, size_t cap)
{
    int status = raw_status(*p);
    const char *end = strstr(*p, "\r\n\r\n");
    cr_assert(status && end, "a whole response: [%s]", *p);
    const char *cl = strcasestr(*p, "\r\nContent-Length:");
    cr_assert(cl && cl < end, "framed by Content-Length: [%s]", *p);
    size_t len = strtoul(cl + 17, NULL, 10);
    end += 4;
    cr_assert(strlen(end) >= len, "the body is all there");
    snprintf(body, cap, "%.*s", (int)len, end);
    *p = end + len;
    return status;
}

Test(raw_http, pipelined_requests_are_answered_in_order)
{
    char tmpl[2048];
    snprintf(tmpl, sizeof(tmpl),
             "GET /customers/%s HTTP/1.1\r\nHost: x\r\n{AUTH}\r\n"
             "GET /customers/00000000-0000-7000-8000-000000000000 HTTP/1.1\r\nHost: x\r\n{AUTH}\r\n"
             "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
             known_id);
    /* {AUTH} appears twice: expand both. */
    size_t len;
    char *once = expand(tmpl, &len);
    char *msg = expand(once, &len);
    free(once);
    bool closed = false;
    char *out = raw_exchange(&srv, msg, len, 4000, &closed);
    const char *p = out;
    char body[4096];
    cr_assert_eq(next_response(&p, body, sizeof(body)), 200, "first: %s", out);
    cr_assert(strstr(body, known_id), "the first answer is the first request's: %s", body);
    cr_assert_eq(next_response(&p, body, sizeof(body)), 404, "second: %s", out);
    cr_assert(strstr(body, "\"NotFound\""), "%s", body);
    cr_assert_eq(next_response(&p, body, sizeof(body)), 200, "third: %s", out);
    cr_assert(strstr(body, "\"ok\""), "%s", body);
    cr_assert_str_eq(p, "", "nothing more");
    cr_assert(closed, "Connection: close is honoured");
    free(out);
    free(msg);

    /* A write (answered on a worker thread) pipelined with a read: the
     * read's answer must wait for the write's. */
    const char *cust = "{\"legalName\":\"Piped\",\"address\":{\"line1\":\"1\",\"town\":\"T\","
                       "\"postcode\":\"P\",\"country\":\"GB\"},\"taxStatus\":\"TAXED\","
                       "\"contacts\":[{\"name\":\"N\",\"email\":\"n@x.io\","
                       "\"billingPreference\":\"PRIMARY\"}]}";
    snprintf(tmpl, sizeof(tmpl),
             POST_CUSTOMERS "Content-Length: %zu\r\n\r\n%s"
                            "GET /customers?legalName=Piped HTTP/1.1\r\nHost: x\r\n{AUTH}"
                            "Connection: close\r\n\r\n",
             strlen(cust), cust);
    once = expand(tmpl, &len);
    msg = expand(once, &len);
    free(once);
    out = raw_exchange(&srv, msg, len, 4000, &closed);
    p = out;
    cr_assert_eq(next_response(&p, body, sizeof(body)), 201, "the write: %s", out);
    cr_assert(strstr(body, "\"Piped\""), "%s", body);
    cr_assert_eq(next_response(&p, body, sizeof(body)), 200, "the read: %s", out);
    cr_assert(strstr(body, "\"totalResultSize\":1"), "the read sees the write: %s", body);
    free(out);
    free(msg);
    assert_still_serving("pipelined requests");
}

/* Closes with a reset (SO_LINGER 0) rather than an orderly FIN. */
static void reset_close(int fd)
{
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(fd);
}

/* A connection whose receive buffer (and so TCP window) is small. */
static int connect_small_window(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert(fd >= 0);
    int small = 2048;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)srv.port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
    return fd;
}

Test(raw_http, clients_that_vanish_mid_body_or_mid_response)
{
    size_t len;
    char *head = expand(POST_CUSTOMERS "Content-Length: 1000\r\n\r\n{\"legalName\":", &len);
    char *chunked = expand(POST_CUSTOMERS "Transfer-Encoding: chunked\r\n\r\n100\r\n{\"le", &len);
    char *post = NULL;
    {
        const char *cust = "{\"legalName\":\"Gone\",\"address\":{\"line1\":\"1\",\"town\":\"T\","
                           "\"postcode\":\"P\",\"country\":\"GB\"},\"taxStatus\":\"TAXED\","
                           "\"contacts\":[{\"name\":\"N\",\"email\":\"n@x.io\","
                           "\"billingPreference\":\"PRIMARY\"}]}";
        char tmpl[1024];
        snprintf(tmpl, sizeof(tmpl), POST_CUSTOMERS "Content-Length: %zu\r\n\r\n%s", strlen(cust),
                 cust);
        post = expand(tmpl, &len);
    }
    for (int round = 0; round < 10; round++) {
        bool rst = round % 2;
        /* Mid-body, Content-Length framed. */
        int fd = raw_connect(&srv);
        raw_send(fd, head, strlen(head));
        usleep(10000);
        rst ? reset_close(fd) : close(fd);
        /* Mid-body, chunked. */
        fd = raw_connect(&srv);
        raw_send(fd, chunked, strlen(chunked));
        usleep(10000);
        rst ? reset_close(fd) : close(fd);
        /* A whole write, then gone before the answer (the request is
         * suspended on a worker when the client leaves). */
        fd = raw_connect(&srv);
        raw_send(fd, post, strlen(post));
        rst ? reset_close(fd) : close(fd);
        /* Mid-response: a small receive window and twenty pipelined
         * requests for the 130 KB OpenAPI document, so the server is still
         * writing when the client goes. */
        fd = connect_small_window();
        const char get[] = "GET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n";
        for (int i = 0; i < 20; i++)
            raw_send(fd, get, sizeof(get) - 1);
        char buf[256];
        ssize_t got = recv(fd, buf, sizeof(buf), 0);
        cr_assert(got > 0, "the answer has begun");
        usleep(20000);
        rst ? reset_close(fd) : close(fd);
        /* Half-close after a whole request: the answer still comes. */
        fd = raw_connect(&srv);
        const char hz[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
        raw_send(fd, hz, sizeof(hz) - 1);
        shutdown(fd, SHUT_WR);
        char *out = raw_recv_answer(fd, 10000);
        cr_assert_eq(raw_status(out), 200, "half-closed client: %s", out);
        free(out);
        close(fd);
    }
    free(head);
    free(chunked);
    free(post);
    assert_still_serving("vanishing clients");
    /* Every acknowledged-or-not write is whole: each "Gone" customer that
     * exists is readable. */
    struct resp *r = req(&srv, "GET", "/customers?legalName=Gone&limit=100", NULL, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert(page_total(r) <= 10, "%s", r->body);
    resp_free(r);
    /* Hanging up is the client's doing: counted as 499, never as a 500. */
    r = req_as(&srv, NULL, "GET", "/metrics", NULL, NULL);
    cr_assert_eq(r->status, 200);
    cr_assert(!strstr(r->body, "status=\"500\""), "no 500 counted: %s", r->body);
    cr_assert(strstr(r->body, "status=\"499\""), "abandoned requests are 499: %s", r->body);
    resp_free(r);
}

Test(raw_http, hostile_bytes_do_not_reach_the_access_log)
{
    /* A method of binary bytes, and one of 20 KB. */
    const char bin[] = "G\xff\xfe\x01T /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    bool closed = false;
    char *out = raw_exchange(&srv, bin, sizeof(bin) - 1, 4000, &closed);
    cr_assert_eq(raw_status(out), 405, "%s", out);
    free(out);
    size_t n = 20000;
    char *big = malloc(n + 128);
    memset(big, 'M', n);
    int tail = snprintf(big + n, 128, " /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    out = raw_exchange(&srv, big, n + (size_t)tail, 4000, &closed);
    cr_assert_eq(raw_status(out), 405, "%.200s", out);
    free(out);
    free(big);
    assert_still_serving("hostile methods");

    char *log = server_stop_log(&srv);
    size_t line = 0;
    for (const unsigned char *p = (const unsigned char *)log; *p; p++) {
        cr_assert(*p < 0x80, "the log holds a byte that is not ASCII: %s", log);
        line = *p == '\n' ? 0 : line + 1;
        cr_assert(line < 1024, "a log line over 1 KB");
    }
    free(log);
}
