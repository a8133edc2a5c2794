/*
 * The server's limits, each against a server started with that limit set
 * low: header count and header bytes (431), connections per client address,
 * slow clients (--request-timeout), the per-client rate limit (429 with
 * Retry-After) and the list page size. After every refusal the server must
 * go on answering well-behaved requests. (The body limit is in
 * test_common.c.)
 *
 * What answers: a header count over --max-headers is refused by kinship
 * itself, in the API's error shape (431 RequestHeaderFieldsTooLarge). Header
 * bytes over --header-limit never reach kinship: --header-limit is
 * libmicrohttpd's per-connection memory pool, and libmicrohttpd 0.9.75
 * answers 431 Request Header Fields Too Large itself, with its own small
 * HTML body and Connection: close; a request line that alone does not fit
 * gets 414 URI Too Long the same way. The tests assert those statuses.
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>

TestSuite(limits, .timeout = 180);

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The server still answers a normal authenticated request. */
static void assert_serving(struct server *s)
{
    struct resp *r = req(s, "GET", "/customers?limit=1", NULL, NULL);
    cr_assert_eq(r->status, 200, "the server still serves: %ld %s", r->status, r->body);
    resp_free(r);
}

/* A raw GET /healthz with `extra` header lines of its own after Host. */
static char *get_with_headers(struct server *s, int extra, size_t pad, bool *closed)
{
    size_t cap = 256 + (size_t)extra * 32 + pad;
    char *msg = malloc(cap);
    size_t n = (size_t)snprintf(msg, cap, "GET /healthz HTTP/1.1\r\nHost: x\r\n");
    for (int i = 0; i < extra; i++)
        n += (size_t)snprintf(msg + n, cap - n, "X-Pad-%d: v\r\n", i);
    if (pad) {
        n += (size_t)snprintf(msg + n, cap - n, "X-Big: ");
        memset(msg + n, 'a', pad);
        n += pad;
        n += (size_t)snprintf(msg + n, cap - n, "\r\n");
    }
    n += (size_t)snprintf(msg + n, cap - n, "Connection: close\r\n\r\n");
    char *out = raw_exchange(s, msg, n, 5000, closed);
    free(msg);
    return out;
}

Test(limits, header_count_over_max_headers_is_431_in_the_api_shape)
{
    struct server srv;
    const char *extra[] = {"--max-headers", "10", NULL};
    server_start(&srv, extra);

    /* Host + 8 + Connection = 10 headers: at the limit. */
    bool closed = false;
    char *out = get_with_headers(&srv, 8, 0, &closed);
    cr_assert_eq(raw_status(out), 200, "10 headers are allowed: %s", out);
    free(out);
    /* 11 headers: one over. */
    out = get_with_headers(&srv, 9, 0, &closed);
    cr_assert_eq(raw_status(out), 431, "11 headers: %s", out);
    cr_assert(strstr(out, "\"RequestHeaderFieldsTooLarge\""), "the API's error shape: %s", out);
    cr_assert(strcasestr(out, "Connection: close"), "%s", out);
    cr_assert(closed, "the connection is closed after the refusal");
    free(out);

    /* The same through libcurl, far over the limit. */
    const char *many[40];
    char names[39][32];
    for (int i = 0; i < 39; i++) {
        snprintf(names[i], sizeof(names[i]), "X-Many-%d: %d", i, i);
        many[i] = names[i];
    }
    many[39] = NULL;
    struct resp *r = req(&srv, "GET", "/customers", NULL, many);
    cr_assert_eq(r->status, 431, "%ld %s", r->status, r->body);
    cr_assert_str_eq(err_type_of(r), "RequestHeaderFieldsTooLarge");
    resp_free(r);
    assert_serving(&srv);
    server_stop(&srv, true);
}

Test(limits, header_bytes_over_header_limit_are_431_from_libmicrohttpd)
{
    struct server srv;
    const char *extra[] = {"--header-limit", "4096", NULL};
    server_start(&srv, extra);

    /* Well under the limit: answered. */
    bool closed = false;
    char *out = get_with_headers(&srv, 0, 2500, &closed);
    cr_assert_eq(raw_status(out), 200, "2.5 KB of headers fit in 4 KB: %s", out);
    free(out);
    /* Over it: libmicrohttpd answers 431 itself and closes. */
    out = get_with_headers(&srv, 0, 6000, &closed);
    cr_assert_eq(raw_status(out), 431, "%s", out);
    cr_assert(strcasestr(out, "Connection: close"), "%s", out);
    cr_assert(closed);
    free(out);
    /* Far over it (1 MB of one header), sent through libcurl. */
    size_t big = 1 << 20;
    char *h = malloc(big + 16);
    memcpy(h, "X-Huge: ", 8);
    memset(h + 8, 'b', big);
    h[8 + big] = '\0';
    const char *hs[] = {h, NULL};
    struct resp *r = req(&srv, "GET", "/customers", NULL, hs);
    /* libcurl may see the 431 or, when the server closes while it is still
     * sending, a reset (status 0): either way the request was refused. */
    cr_assert(r->status == 431 || r->status == 0, "%ld", r->status);
    resp_free(r);
    free(h);
    /* A request line that alone overflows the pool: 414. */
    char line[8192];
    int n = snprintf(line, sizeof(line), "GET /customers/");
    memset(line + n, 'c', 6000);
    n += 6000;
    n += snprintf(line + n, sizeof(line) - (size_t)n, " HTTP/1.1\r\nHost: x\r\n\r\n");
    out = raw_exchange(&srv, line, (size_t)n, 5000, &closed);
    cr_assert_eq(raw_status(out), 414, "%s", out);
    free(out);

    assert_serving(&srv);
    server_stop(&srv, true);
}

Test(limits, connections_per_ip_over_the_limit_are_closed)
{
    struct server srv;
    const char *extra[] = {"--max-connections-per-ip", "3", NULL};
    server_start(&srv, extra);

    usleep(200000); /* the start-up probes' connections are gone */
    const char get[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    int fds[3];
    char *out;
    for (int i = 0; i < 3; i++) {
        fds[i] = raw_connect(&srv);
        /* answered: the server has accepted it (however busy the machine) */
        cr_assert(raw_send(fds[i], get, sizeof(get) - 1));
        out = raw_recv_answer(fds[i], 10000);
        cr_assert_eq(raw_status(out), 200, "connection %d: %s", i, out);
        free(out);
    }

    /* The 4th: the kernel completes the handshake, the server closes it at
     * once without an answer. */
    int extra_fd = raw_connect(&srv);
    raw_send(extra_fd, get, sizeof(get) - 1);
    bool closed = false;
    out = raw_recv(extra_fd, 10000, NULL, &closed);
    cr_assert(closed && out[0] == '\0', "the 4th connection is closed unanswered: [%s]", out);
    free(out);
    close(extra_fd);
    /* libcurl's own new connection is refused the same way. */
    struct resp *r = req_as(&srv, NULL, "GET", "/healthz", NULL, NULL);
    cr_assert_eq(r->status, 0, "refused while 3 are open: %ld", r->status);
    resp_free(r);

    /* The first three work, and keep working (keep-alive). */
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 3; i++) {
            cr_assert(raw_send(fds[i], get, sizeof(get) - 1));
            out = raw_recv_answer(fds[i], 10000);
            cr_assert_eq(raw_status(out), 200, "connection %d, round %d: %s", i, round, out);
            free(out);
        }

    /* One closes: a new connection is served again. */
    close(fds[0]);
    long status = 0;
    for (int i = 0; i < 50 && status != 200; i++) {
        usleep(50000);
        r = req(&srv, "GET", "/customers", NULL, NULL);
        status = r->status;
        resp_free(r);
    }
    cr_assert_eq(status, 200, "a slot is free again");
    close(fds[1]);
    close(fds[2]);
    server_stop(&srv, true);
}

/* Sends `msg` one byte a second until the server closes the connection;
 * meanwhile a normal request each second must be answered. Returns the
 * seconds until the close (or -1 when the whole message went out). */
static double dribble(struct server *s, const char *msg)
{
    int fd = raw_connect(s);
    double start = now_s();
    double cut = -1;
    for (size_t i = 0; msg[i]; i++) {
        if (!raw_send(fd, msg + i, 1)) {
            cut = now_s() - start;
            break;
        }
        bool closed = false;
        char *got = raw_recv(fd, 1000, NULL, &closed);
        cr_assert(got[0] == '\0' || closed, "nothing is answered to half a request: %s", got);
        free(got);
        if (closed) {
            cut = now_s() - start;
            break;
        }
        struct resp *r = req(s, "GET", "/customers?limit=1", NULL, NULL);
        cr_assert_eq(r->status, 200, "others are served meanwhile: %ld", r->status);
        resp_free(r);
    }
    close(fd);
    return cut;
}

Test(limits, slow_clients_are_cut_off_at_the_request_timeout)
{
    struct server srv;
    const char *extra[] = {"--request-timeout", "3", "--idle-timeout", "60", NULL};
    server_start(&srv, extra);

    /* Headers a byte a second: the idle timeout (60 s) never fires, the
     * request timeout (3 s) does. The margin covers the reaper's 250 ms
     * period and a slow machine. */
    const char *slow_headers = "GET /customers HTTP/1.1\r\nHost: localhost\r\n"
                               "X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    double cut = dribble(&srv, slow_headers);
    cr_assert(cut >= 2.5 && cut <= 3 + 3.0, "cut off after %.2f s (timeout 3 s)", cut);

    /* Headers at once, then the body a byte a second: the same. */
    char slow_body[512];
    snprintf(slow_body, sizeof(slow_body),
             "POST /customers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             "Content-Length: 200\r\n\r\n");
    int fd = raw_connect(&srv);
    double start = now_s();
    cr_assert(raw_send(fd, slow_body, strlen(slow_body)));
    double body_cut = -1;
    for (int i = 0; i < 200; i++) {
        if (!raw_send(fd, "{", 1)) {
            body_cut = now_s() - start;
            break;
        }
        bool closed = false;
        char *got = raw_recv(fd, 1000, NULL, &closed);
        free(got);
        if (closed) {
            body_cut = now_s() - start;
            break;
        }
    }
    close(fd);
    cr_assert(body_cut >= 2.5 && body_cut <= 3 + 3.0, "body cut off after %.2f s", body_cut);

    assert_serving(&srv);
    server_stop(&srv, true);
}

Test(limits, a_client_mid_request_does_not_hold_up_shutdown)
{
    struct server srv;
    server_start(&srv, NULL); /* --request-timeout 30 */
    int fd = raw_connect(&srv);
    const char *part = "POST /customers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       "Content-Length: 100\r\n\r\n{\"legal";
    cr_assert(raw_send(fd, part, strlen(part)));
    usleep(300000);
    double start = now_s();
    server_stop(&srv, true);
    double took = now_s() - start;
    cr_assert(took < 5.0, "SIGTERM to exit took %.2f s with a client mid-request", took);
    close(fd);
}

/* User and system CPU time of process `pid` so far, in clock ticks (-1
 * when it cannot be read). */
static long cpu_ticks(pid_t pid)
{
    char path[64], text[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    const char *p = strrchr(text, ')'); /* the name may hold spaces */
    long utime = 0, stime = 0;
    if (!p ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld", &utime, &stime) != 2)
        return -1;
    return utime + stime;
}

/* Clients that keep both polling threads busy: each opens a connection,
 * sends one request, reads the start of the answer and closes, over and
 * over, until the server goes away. */
struct hammer {
    struct server *srv;
    volatile bool stop;
    unsigned answers;
};

static void *hammer_main(void *arg)
{
    struct hammer *h = arg;
    const char *get = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    while (!h->stop) {
        int e = 0, fd = raw_try_connect(h->srv, &e);
        if (fd < 0)
            break; /* refused: the server is stopping */
        char got[16] = "";
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (raw_send(fd, get, strlen(get)) && poll(&p, 1, 1000) == 1 &&
            recv(fd, got, sizeof(got) - 1, 0) > 0 && raw_status(got) == 200)
            __atomic_add_fetch(&h->answers, 1, __ATOMIC_RELAXED);
        close(fd);
    }
    return NULL;
}

/* SIGTERM while connections come and go on both polling threads: the
 * server stops listening and exits 0 every time. (Stopping through
 * libmicrohttpd's MHD_quiesce_daemon raced the polling threads' own epoll
 * bookkeeping and now and then aborted the process.) */
Test(limits, sigterm_under_load_exits_cleanly_every_time)
{
    for (int round = 0; round < 12; round++) {
        struct server srv;
        server_start(&srv, NULL);
        struct hammer h = {.srv = &srv};
        pthread_t t[6];
        for (int i = 0; i < 6; i++)
            cr_assert_eq(pthread_create(&t[i], NULL, hammer_main, &h), 0);
        usleep(200000);
        unsigned before = __atomic_load_n(&h.answers, __ATOMIC_RELAXED);
        server_stop(&srv, true); /* SIGTERM; asserts exit status 0 */
        h.stop = true;
        for (int i = 0; i < 6; i++)
            pthread_join(t[i], NULL);
        cr_assert_gt(before, 0, "round %d: the clients were answered before the stop", round);
    }
}

/* SIGTERM: new connections are refused at once, and a request whose body
 * is still arriving has the drain's grace to finish; its answer comes, and
 * what it wrote is there after a restart. */
Test(limits, sigterm_refuses_new_connections_and_finishes_a_request_being_sent)
{
    struct server srv;
    server_start(&srv, NULL);
    char enc[400], head[1024], body[2048];
    b64_encode(srv.key, enc);
    write_customer_body(body, sizeof(body), "Drained Co");
    snprintf(head, sizeof(head),
             "POST /customers HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\n"
             "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
             enc, strlen(body));
    int fd = raw_connect(&srv);
    cr_assert(raw_send(fd, head, strlen(head)) && raw_send(fd, body, 20));
    usleep(200000);
    kill(srv.pid, SIGTERM);
    usleep(50000);
    long cpu0 = cpu_ticks(srv.pid);
    usleep(250000); /* the server is draining (its grace is 1 s) */
    /* Waiting is all it does: no thread spins on the closed socket (a
     * listening socket only shut down is readable for ever). */
    long spent = cpu_ticks(srv.pid) - cpu0;
    cr_assert(cpu0 >= 0 && spent < sysconf(_SC_CLK_TCK) / 10,
              "the draining server used %ld clock ticks of CPU in 250 ms", spent);

    int e = 0, probe = raw_try_connect(&srv, &e);
    if (probe >= 0)
        close(probe);
    cr_assert(probe < 0 && e == ECONNREFUSED, "a new connection while draining was %s",
              probe >= 0 ? "accepted" : strerror(e));

    cr_assert(raw_send(fd, body + 20, strlen(body) - 20));
    bool closed = false;
    char *got = raw_recv(fd, 3000, NULL, &closed);
    close(fd);
    cr_assert(got && raw_status(got) == 201, "the request being sent at SIGTERM got: %s",
              got ? got : "(nothing)");
    const char *at = strstr(got, "\"id\":\"");
    cr_assert(at, "no id in %s", got);
    char id[64] = "";
    sscanf(at + 6, "%63[^\"]", id);
    free(got);

    int st = 0; /* it exits by itself, and cleanly */
    cr_assert_eq(waitpid(srv.pid, &st, 0), srv.pid);
    srv.pid = 0;
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit status %d after SIGTERM", st);
    server_restart(&srv, NULL);
    struct resp *r = reqf(&srv, "GET", NULL, "/customers/%s", id);
    cr_assert_eq(r->status, 200, "the drained write after a restart: %ld %s", r->status, r->body);
    cr_assert_str_eq(jstr(r->json, "legalName"), "Drained Co");
    resp_free(r);
    server_stop(&srv, true);
}

Test(limits, rate_limit_is_per_client_with_retry_after)
{
    struct server srv;
    const char *extra[] = {"--rate-limit", "5", NULL};
    server_start(&srv, extra);

    for (int i = 0; i < 5; i++) {
        struct resp *r = req(&srv, "GET", "/customers", NULL, NULL);
        cr_assert_eq(r->status, 200, "request %d of 5: %ld %s", i + 1, r->status, r->body);
        resp_free(r);
    }
    struct resp *r = req(&srv, "GET", "/customers", NULL, NULL);
    cr_assert_eq(r->status, 429, "the 6th in a minute: %ld %s", r->status, r->body);
    cr_assert_str_eq(err_type_of(r), "RateLimited");
    const char *ra = resp_header(r, "Retry-After");
    cr_assert(ra, "429 carries Retry-After");
    char *end;
    long wait = strtol(ra, &end, 10);
    cr_assert(*ra && *end == '\0' && wait >= 1 && wait <= 60,
              "Retry-After is a whole number of seconds: [%s]", ra);
    resp_free(r);
    /* Writes count too, and are refused without effect. */
    r = req(&srv, "POST", "/customer-aliases", "{}", NULL);
    cr_assert_eq(r->status, 429);
    resp_free(r);

    /* Another client (another account) has its own budget. */
    char other[256];
    server_new_key(&srv, "rate-other", other, sizeof(other));
    for (int i = 0; i < 5; i++) {
        r = req_as(&srv, other, "GET", "/customers", NULL, NULL);
        cr_assert_eq(r->status, 200, "the other client, request %d: %ld", i + 1, r->status);
        resp_free(r);
    }
    /* Unauthenticated operational endpoints are not limited. */
    for (int i = 0; i < 10; i++) {
        r = req_as(&srv, NULL, "GET", "/healthz", NULL, NULL);
        cr_assert_eq(r->status, 200);
        resp_free(r);
    }

    /* Retry-After tells the truth: after it, a token is back. */
    sleep((unsigned)wait);
    r = req(&srv, "GET", "/customers", NULL, NULL);
    cr_assert_eq(r->status, 200, "after Retry-After (%ld s): %ld %s", wait, r->status, r->body);
    resp_free(r);
    server_stop(&srv, true);
}

Test(limits, list_page_size_is_1_to_100)
{
    struct server srv;
    server_start(&srv, NULL);
    char *id = make_customer(&srv, NULL, "Paged Co");
    const char *lists[] = {"/customers", "/customer-aliases", "/customer-organizations"};
    for (size_t i = 0; i < sizeof(lists) / sizeof(*lists); i++) {
        const char *bad[] = {"101", "0", "-1", "1000000000000000000000", "ten", "", "5x"};
        for (size_t b = 0; b < sizeof(bad) / sizeof(*bad); b++) {
            struct resp *r = reqf(&srv, "GET", NULL, "%s?limit=%s", lists[i], bad[b]);
            cr_assert_eq(r->status, 400, "%s limit=%s: %ld", lists[i], bad[b], r->status);
            cr_assert_str_eq(err_type_of(r), "InvalidQueryParameter");
            cr_assert_str_eq(err_field_of(r), "limit");
            resp_free(r);
        }
        const char *good[] = {"1", "100"};
        for (size_t g = 0; g < sizeof(good) / sizeof(*good); g++) {
            struct resp *r = reqf(&srv, "GET", NULL, "%s?limit=%s", lists[i], good[g]);
            cr_assert_eq(r->status, 200, "%s limit=%s: %ld %s", lists[i], good[g], r->status,
                         r->body);
            resp_free(r);
        }
    }
    free(id);
    server_stop(&srv, true);
}
