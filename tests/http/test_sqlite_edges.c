/*
 * The edges of serving (issue 20): one client address flooding the server
 * with idle or slowloris connections must not keep another address from
 * being served, with the default settings; and a database that cannot be
 * written says why. Neither depends on the store, so this runs on SQLite
 * only. Root is assumed, as in test_sqlite_faults.c (a tmpfs is mounted).
 *
 * The flood comes from 127.0.0.2 (Linux routes all of 127/8 to lo), the
 * client that must be served uses 127.0.0.1. The assertions are not
 * timings: every request of the served client must be answered, each
 * within a deadline far above a normal answer and far below the 20-30 s a
 * flood held clients up for before, and the flood's connections beyond the
 * per-address limit must be closed by the server.
 */
#include "from_addr.h"
#include "harness.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* More than the default max_connections (1024): without a per-address
 * limit, one address alone fills the server. */
#define FLOOD 1100
/* The documented default of max_connections_per_ip. */
#define PER_IP_DEFAULT 256
/* How long one request of the served client may take at most. */
#define DEADLINE_MS 5000

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits up to `ms` for fd to be readable (or closed); true when it is. */
static bool wait_readable(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, ms) == 1;
}

/* One GET /healthz from 127.0.0.1 on a new connection, all of it (connect
 * included) within `deadline_ms`; the status, or 0 when none came in time. */
static int served_get(struct server *s, int deadline_ms)
{
    int64_t end = now_ms() + deadline_ms;
    int fd = raw_connect_from(s, "127.0.0.1", false);
    if (fd < 0)
        return 0;
    int status = 0;
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    if (poll(&p, 1, deadline_ms) != 1)
        goto out;
    int soerr = 0;
    socklen_t sl = sizeof(soerr);
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
    if (soerr)
        goto out;
    const char get[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    if (send(fd, get, sizeof(get) - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof(get) - 1))
        goto out;
    char buf[2048];
    size_t got = 0;
    while (got < sizeof(buf) - 1) {
        int left = (int)(end - now_ms());
        if (left <= 0 || !wait_readable(fd, left))
            goto out;
        ssize_t n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    buf[got] = '\0';
    status = raw_status(buf);
out:
    close(fd);
    return status;
}

/* The flood's connections that the server has closed: readable with
 * nothing to read, or reset. */
static int count_closed(const int *fds, int n)
{
    int closed = 0;
    for (int i = 0; i < n; i++) {
        if (fds[i] < 0 || !wait_readable(fds[i], 0))
            continue;
        char c;
        ssize_t r = recv(fds[i], &c, 1, MSG_DONTWAIT);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
            closed++;
    }
    return closed;
}

/* The served client: `rounds` requests in turn, each answered 200 within
 * DEADLINE_MS; `between` runs before each (the slowloris sends a byte). */
static void assert_served(struct server *s, int rounds, void (*between)(void *), void *ud)
{
    for (int i = 0; i < rounds; i++) {
        if (between)
            between(ud);
        int64_t t0 = now_ms();
        int status = served_get(s, DEADLINE_MS);
        cr_assert_eq(status, 200,
                     "request %d from 127.0.0.1 answered within %d ms while 127.0.0.2 floods "
                     "(status %d after %lld ms)",
                     i, DEADLINE_MS, status, (long long)(now_ms() - t0));
    }
}

struct flood {
    int fds[FLOOD];
    size_t sent; /* bytes of the slow request each connection has sent */
};

static void flood_open(struct server *s, struct flood *f)
{
    for (int i = 0; i < FLOOD; i++)
        f->fds[i] = raw_connect_from(s, "127.0.0.2", false);
    f->sent = 0;
    /* The server has had time to accept what it accepts. */
    usleep(1500 * 1000);
}

static void flood_close(struct flood *f)
{
    for (int i = 0; i < FLOOD; i++)
        if (f->fds[i] >= 0)
            close(f->fds[i]);
}

static void assert_limited(const struct flood *f)
{
    int closed = count_closed(f->fds, FLOOD);
    cr_assert_geq(closed, FLOOD - PER_IP_DEFAULT,
                  "the server closed the flood's connections beyond the per-address limit "
                  "(%d of %d closed; the limit is %d)",
                  closed, FLOOD, PER_IP_DEFAULT);
}

static struct server srv;

Test(edges_flood, idle_connections_from_one_address_do_not_starve_another, .timeout = 120)
{
    server_start(&srv, NULL);
    static struct flood f;
    flood_open(&srv, &f);
    assert_served(&srv, 4, NULL, NULL);
    assert_limited(&f);
    flood_close(&f);
    server_stop(&srv, true);
}

/* One more byte of a request that never ends, on each flood connection. */
static void slowloris_step(void *ud)
{
    struct flood *f = ud;
    static const char head[] = "GET /customers HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    char c = f->sent < sizeof(head) - 1 ? head[f->sent] : 'a';
    for (int i = 0; i < FLOOD; i++)
        if (f->fds[i] >= 0 && send(f->fds[i], &c, 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
            errno != EAGAIN) {
            close(f->fds[i]);
            f->fds[i] = -1;
        }
    f->sent++;
}

Test(edges_flood, slowloris_from_one_address_does_not_starve_another, .timeout = 120)
{
    server_start(&srv, NULL);
    static struct flood f;
    flood_open(&srv, &f);
    int before = count_closed(f.fds, FLOOD);
    cr_assert_geq(before, FLOOD - PER_IP_DEFAULT,
                  "the server closed the connections beyond the per-address limit (%d of %d)",
                  before, FLOOD);
    /* Header bytes one at a time, a request of ours after each. */
    assert_served(&srv, 8, slowloris_step, &f);
    flood_close(&f);
    server_stop(&srv, true);
}

/* ---- a database that cannot be written ---- */

/* Runs `kinship serve` on `db` (a bounded time) and returns its exit status
 * and, in out, everything it wrote to stderr and stdout. */
static int serve_output(const char *db, char *out, size_t cap)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "timeout 30 %s serve --listen 127.0.0.1:0 --db sqlite:%s 2>&1",
             getenv("KINSHIP_BIN"), db);
    FILE *p = popen(cmd, "r");
    cr_assert(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Asserts that serving `db` fails at once and says `why`. */
static void assert_refused(const char *db, const char *why)
{
    char out[8192];
    int st = serve_output(db, out, sizeof(out));
    cr_assert_eq(st, 1, "kinship serve exits 1 (not 124: it did not start serving): %d\n%s", st,
                 out);
    cr_assert(strstr(out, "cannot open the database"), "%s", out);
    cr_assert(strstr(out, why), "the message says why (%s):\n%s", why, out);
    cr_assert(strstr(out, "-wal and -shm"), "and what kinship needs to write:\n%s", out);
}

static char ro_dir[64];

static void ro_cleanup(void)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "chattr -R -i %s 2>/dev/null; umount %s/m 2>/dev/null; rm -rf %s",
             ro_dir, ro_dir, ro_dir);
    system(cmd);
}

TestSuite(edges_readonly, .fini = ro_cleanup, .timeout = 120);

static void make_db(const char *db)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "%s migrate --db sqlite:%s >/dev/null 2>&1", getenv("KINSHIP_BIN"),
             db);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
}

Test(edges_readonly, a_read_only_file_system_is_named)
{
    snprintf(ro_dir, sizeof(ro_dir), "/tmp/kinship-ro-XXXXXX");
    cr_assert(mkdtemp(ro_dir));
    char cmd[512], db[128], fresh[128], expect[256];
    snprintf(cmd, sizeof(cmd), "mkdir %s/m && mount -t tmpfs -o size=8m tmpfs %s/m", ro_dir,
             ro_dir);
    cr_assert_eq(system(cmd), 0, "mounting a tmpfs needs root: %s", cmd);
    snprintf(db, sizeof(db), "%s/m/kinship.db", ro_dir);
    make_db(db);
    snprintf(cmd, sizeof(cmd), "mount -o remount,ro %s/m", ro_dir);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    snprintf(expect, sizeof(expect), "the directory %s/m is on a read-only file system", ro_dir);
    assert_refused(db, expect);
    /* A database still to be created there: the same reason. */
    snprintf(fresh, sizeof(fresh), "%s/m/new.db", ro_dir);
    assert_refused(fresh, expect);
}

/* chattr +i refuses writes even to root (tests run as root, for whom
 * permission bits are no obstacle). */
Test(edges_readonly, a_directory_or_file_that_cannot_be_written_is_named)
{
    snprintf(ro_dir, sizeof(ro_dir), "/tmp/kinship-ro-XXXXXX");
    cr_assert(mkdtemp(ro_dir));
    char cmd[512], db[128], expect[256];
    snprintf(db, sizeof(db), "%s/kinship.db", ro_dir);
    make_db(db);

    snprintf(cmd, sizeof(cmd), "chattr +i %s", db);
    cr_assert_eq(system(cmd), 0, "chattr needs root and a file system with attributes");
    snprintf(expect, sizeof(expect), "the file %s is not writable", db);
    assert_refused(db, expect);
    snprintf(cmd, sizeof(cmd), "chattr -i %s && chattr +i %s", db, ro_dir);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    snprintf(expect, sizeof(expect), "the directory %s is not writable", ro_dir);
    char fresh[128];
    snprintf(fresh, sizeof(fresh), "%s/new.db", ro_dir);
    assert_refused(fresh, expect);
}
