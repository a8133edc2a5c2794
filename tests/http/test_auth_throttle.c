/*
 * Failed authentication is throttled per address and per client id
 * (issue 20, point 3; src/api/throttle.h): wrong secrets from one address
 * are answered 429 with Retry-After past the threshold; the right secret
 * from another address is still 200, even for a client id under attack;
 * the throttle ends with its window. Requests come from several loopback
 * addresses (Linux routes all of 127/8 to lo). Runs on both stores.
 */
#include "from_addr.h"
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define FAILURES "5"
#define WINDOW_S 3

static struct server srv;
HTTP_SUITE(auth_throttle, 120,
           .extra = HTTP_ARGS("--auth-failures", FAILURES, "--auth-window", "3"));

/* What one request from a given source address came back with. */
struct answer {
    long status;
    long retry_after; /* -1: no Retry-After */
    char type[64];    /* the error's type, or "" */
    bool shaped;      /* the body is {"error":{"type","message","requestId"}} */
};

/* GET /customers?limit=1 from source address `from` with `key`
 * (CLIENT_ID:SECRET), on a connection of its own. */
static struct answer get_from(const char *from, const char *key)
{
    struct answer a = {.retry_after = -1};
    char b64[512], msg[1024];
    b64_encode(key, b64);
    int n = snprintf(msg, sizeof(msg),
                     "GET /customers?limit=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\n"
                     "Connection: close\r\n\r\n",
                     b64);
    int fd = raw_connect_from(&srv, from, true);
    cr_assert(raw_send(fd, msg, (size_t)n));
    bool closed = false;
    char *out = raw_recv(fd, 10000, NULL, &closed);
    close(fd);
    cr_assert(closed, "the answer from %s came whole: %s", from, out);
    a.status = raw_status(out);
    const char *ra = strcasestr(out, "\r\nRetry-After:");
    if (ra)
        a.retry_after = strtol(ra + 15, NULL, 10);
    const char *body = strstr(out, "\r\n\r\n");
    json_t *j = body ? json_loads(body + 4, 0, NULL) : NULL;
    json_t *e = json_object_get(j, "error");
    const char *type = json_string_value(json_object_get(e, "type"));
    snprintf(a.type, sizeof(a.type), "%s", type ? type : "");
    a.shaped = type && json_is_string(json_object_get(e, "message")) &&
               json_is_string(json_object_get(e, "requestId"));
    json_decref(j);
    free(out);
    return a;
}

/* The server's key with its secret changed: the right client id, a wrong
 * secret. */
static void wrong_secret(char *out, size_t cap)
{
    snprintf(out, cap, "%s", srv.key);
    char *colon = strchr(out, ':');
    cr_assert(colon && colon[1]);
    colon[1] = colon[1] == 'x' ? 'y' : 'x';
}

static void assert_throttled(struct answer a, const char *what)
{
    cr_assert_eq(a.status, 429, "%s: 429, not %ld", what, a.status);
    cr_assert_str_eq(a.type, "RateLimited", "%s", what);
    cr_assert(a.shaped, "%s: the documented error shape", what);
    cr_assert(a.retry_after >= 1 && a.retry_after <= WINDOW_S,
              "%s: Retry-After within the window (%ld)", what, a.retry_after);
}

Test(auth_throttle, wrong_secrets_from_one_address_are_429_the_right_secret_elsewhere_is_200)
{
    char wrong[256];
    wrong_secret(wrong, sizeof(wrong));
    int n = atoi(FAILURES);
    for (int i = 0; i < n; i++) {
        struct answer a = get_from("127.0.0.2", wrong);
        cr_assert_eq(a.status, 401, "wrong secret %d of %d: 401, not %ld", i + 1, n, a.status);
        cr_assert_str_eq(a.type, "Unauthorized");
    }
    assert_throttled(get_from("127.0.0.2", wrong), "the next wrong secret from that address");
    assert_throttled(get_from("127.0.0.2", srv.key),
                     "even the right secret, from the throttled address");

    /* The client id has had as many failures, but the right secret from an
     * address that is not throttled goes through, on every try. */
    for (int i = 0; i < 3; i++) {
        struct answer a = get_from("127.0.0.1", srv.key);
        cr_assert_eq(a.status, 200, "the right secret from 127.0.0.1: %ld %s", a.status, a.type);
    }
    /* A wrong secret for the id under attack, from a fresh address: 429
     * at once (no store lookup is made for it). */
    assert_throttled(get_from("127.0.0.3", wrong), "a wrong secret for the throttled client id");

    /* The window ends: the address may try again. */
    usleep((WINDOW_S * 1000 + 500) * 1000);
    struct answer a = get_from("127.0.0.2", srv.key);
    cr_assert_eq(a.status, 200, "after the window, the right secret from 127.0.0.2: %ld", a.status);
    a = get_from("127.0.0.2", wrong);
    cr_assert_eq(a.status, 401, "after the window, a wrong secret is 401 again: %ld", a.status);
}

Test(auth_throttle, failures_spread_over_addresses_do_not_lock_the_client_out)
{
    char wrong[256];
    wrong_secret(wrong, sizeof(wrong));
    /* One wrong secret from each of five addresses: none of them is
     * throttled, the client id is. */
    for (int i = 0; i < atoi(FAILURES); i++) {
        char from[32];
        snprintf(from, sizeof(from), "127.0.0.%d", 10 + i);
        struct answer a = get_from(from, wrong);
        cr_assert_eq(a.status, 401, "from %s: %ld", from, a.status);
    }
    assert_throttled(get_from("127.0.0.20", wrong), "a wrong secret for the attacked client id");
    struct answer a = get_from("127.0.0.10", srv.key);
    cr_assert_eq(a.status, 200, "the right secret, even from an address that failed once: %ld",
                 a.status);
    a = get_from("127.0.0.1", srv.key);
    cr_assert_eq(a.status, 200, "the right secret from the client's own address: %ld", a.status);
}

Test(auth_throttle, unknown_client_ids_from_one_address_are_throttled_too)
{
    /* Guessing client ids (valid ids, none of them a client). */
    for (int i = 0; i < atoi(FAILURES); i++) {
        char key[128];
        snprintf(key, sizeof(key), "0190a1b2-c3d4-7e5f-8a9b-%012d:secret", i);
        struct answer a = get_from("127.0.0.4", key);
        cr_assert_eq(a.status, 401, "unknown id %d: %ld", i, a.status);
    }
    assert_throttled(get_from("127.0.0.4", srv.key), "the guessing address");
    struct answer a = get_from("127.0.0.1", srv.key);
    cr_assert_eq(a.status, 200, "another address is not affected: %ld", a.status);
}
