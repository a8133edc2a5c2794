/*
 * The HTTP test harness: starts the real kinship binary ($KINSHIP_BIN) on a
 * free port with a fresh database (a temporary SQLite file, or the
 * PostgreSQL at $KINSHIP_TEST_PG_URL with a fresh account when
 * $KINSHIP_TEST_STORE=pg), and talks to it with libcurl. Every response is
 * also appended to $KINSHIP_CONTRACT_LOG (when set) for the contract check
 * against the OpenAPI document.
 */
#ifndef KINSHIP_TEST_HARNESS_H
#define KINSHIP_TEST_HARNESS_H

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

struct server {
    pid_t pid;
    int port;
    char dir[256]; /* temporary directory (logs, SQLite file) */
    char db[512];  /* database URL */
    char key[256]; /* CLIENT_ID:SECRET of the first account */
    char log[300]; /* the server's stderr */
    bool pg;
};

struct resp {
    long status;
    char *body;
    json_t *json;  /* NULL when the body is not JSON */
    char *headers; /* raw header block */
};

/* Starts a server; extra is a NULL-terminated list of serve arguments (or
 * NULL). Fails the test when the server does not come up. */
void server_start(struct server *s, const char *const *extra);
/* SIGTERM; when `check` is set, asserts a clean exit (status 0) and removes
 * the server's directory (its database and log). */
void server_stop(struct server *s, bool check);
/* Stops the server like server_stop(s, true) and returns the whole text of
 * its log (malloc'd), read before the directory is removed. */
char *server_stop_log(struct server *s);
/* SIGKILL, for crash tests. */
void server_kill(struct server *s);
/* Starts the binary again on the same database and port. */
void server_restart(struct server *s, const char *const *extra);
/* A second kinship process beside `of` (PostgreSQL only: the same
 * database and account, the same key), on a port and log of its own. */
void server_start_peer(struct server *peer, const struct server *of);
/* Creates an API client in a new account named after `tag`; returns
 * "CLIENT_ID:SECRET" (static buffer per call site: copy it). */
void server_new_key(struct server *s, const char *tag, char *out, size_t cap);
/* Runs `kinship ARGS... --db URL` and returns its exit status; stdout goes
 * into out (cap bytes) when out is not NULL. */
int kinship_cmd(struct server *s, const char *const *args, char *out, size_t cap);

/* ---- the suite fixture: a fresh server for every test ---- */

/* What a suite's server needs beyond the defaults (every member optional). */
struct http_suite {
    const char *const *extra; /* serve arguments, NULL-terminated (HTTP_ARGS), or NULL */
    void (*ready)(void);      /* runs after the server is up, or NULL */
    void (*done)(void);       /* runs before the server stops, or NULL */
};

/* server_start(s, suite->extra), then suite->ready. */
void http_suite_init(struct server *s, const struct http_suite *suite);
/* suite->done, then server_stop(s, true) (a clean exit is asserted). */
void http_suite_fini(struct server *s, const struct http_suite *suite);

/* HTTP_ARGS("--body-limit", "4096"): a NULL-terminated argument list. */
#define HTTP_ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/*
 * Declares the file's server, `static struct server srv`, and the Criterion
 * suite `name` (timeout in seconds) whose every test gets a fresh server on
 * a fresh database with its first key in srv.key, stopped and checked after
 * the test. The optional arguments are struct http_suite's designated
 * initializers:
 *
 *     HTTP_SUITE(aliases, 120);
 *     HTTP_SUITE(common, 120, .extra = HTTP_ARGS("--body-limit", "4096"));
 *
 * Hooks that use srv are declared before the macro and defined after it.
 */
#define HTTP_SUITE(name, timeout_s, ...)                                                           \
    static struct server srv;                                                                      \
    HTTP_SUITE_MORE(name, timeout_s, __VA_ARGS__)

/* A further suite on the srv of the file's HTTP_SUITE. */
#define HTTP_SUITE_MORE(name, timeout_s, ...)                                                      \
    static const struct http_suite name##_http_suite = {__VA_ARGS__};                              \
    static void name##_http_init(void)                                                             \
    {                                                                                              \
        http_suite_init(&srv, &name##_http_suite);                                                 \
    }                                                                                              \
    static void name##_http_fini(void)                                                             \
    {                                                                                              \
        http_suite_fini(&srv, &name##_http_suite);                                                 \
    }                                                                                              \
    TestSuite(name, .init = name##_http_init, .fini = name##_http_fini, .timeout = timeout_s)

/* ---- requests ---- */

/* A request with the server's first key. headers: NULL-terminated "Name: value" list. */
struct resp *req(struct server *s, const char *method, const char *path, const char *body,
                 const char *const *headers);
/* The same with explicit credentials (NULL: none). */
struct resp *req_as(struct server *s, const char *key, const char *method, const char *path,
                    const char *body, const char *const *headers);
/* A header's value in the response (static buffer), or NULL. */
const char *resp_header(struct resp *r, const char *name);
void resp_free(struct resp *r);

/* ---- raw TCP, for what libcurl would refuse to send ---- */

/* A TCP connection to the server (fails the test when it cannot connect). */
int raw_connect(struct server *s);
/* The same, but a refused connection returns -1 with its errno in *err. */
int raw_try_connect(struct server *s, int *err);
/* Writes all of data; false when the peer has closed (no SIGPIPE). */
bool raw_send(int fd, const void *data, size_t len);
/* Reads until the peer closes or `timeout_ms` pass without a byte; returns
 * what came (malloc'd, NUL-terminated; length in *len when len is set).
 * *closed (when set) says whether the peer closed the connection. */
char *raw_recv(int fd, int timeout_ms, size_t *len, bool *closed);
/* One answer with a Content-Length: reads until its headers and body are
 * in, the connection closes, or `timeout_ms` pass (a deadline for the
 * whole answer, not a silence as raw_recv's). The text, "" when none. */
char *raw_recv_answer(int fd, int timeout_ms);
/* Connects, sends data, reads as raw_recv does, closes. */
char *raw_exchange(struct server *s, const void *data, size_t len, int timeout_ms, bool *closed);
/* The status code of the HTTP response starting at `text`, or 0. */
int raw_status(const char *text);

/* json_loads of a formatted string; aborts the test on bad JSON. */
json_t *jsonf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The "id" of each object of the array `arr`, in order, joined by ','
 * (malloc'd). */
char *ids_of(json_t *arr);
/* ids_of an organization object's members. */
char *member_ids_of(json_t *org);
/* The full customer body of make_customer and rename_customer, named
 * `name` (JSON string content), into out. */
void write_customer_body(char *out, size_t cap, const char *name);
/* Creates a customer named `name` (a valid full body) and returns its id
 * (malloc'd). */
char *make_customer(struct server *s, const char *key, const char *name);
/* PUT /customers/{id} with make_customer's fields and the new name (JSON
 * string content, escapes included); asserts 200. */
void rename_customer(struct server *s, const char *id, const char *name);
/* Standard base64 (with padding) of the string `in` into out (4/3 of its
 * length plus 4 bytes): for hand-built Authorization headers. */
void b64_encode(const char *in, char *out);
/* The error type of an error response, or "". */
const char *err_type_of(struct resp *r);
/* The error's `field` member, or "". */
const char *err_field_of(struct resp *r);

/* A request with the server's first key and no extra headers, the path
 * formatted printf-style. */
struct resp *reqf(struct server *s, const char *method, const char *body, const char *path_fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The string member `key` of object `o`, or NULL. */
const char *jstr(const json_t *o, const char *key);
/* pagination.totalResultSize of a list response (-1 when absent). */
long long page_total(struct resp *r);

#endif
