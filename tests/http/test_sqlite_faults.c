/*
 * Resource faults on the SQLite store: disk full, database files that can
 * no longer be written, and a database locked by another process. Each must answer 503 with
 * Retry-After, corrupt nothing, and heal by itself when the fault clears.
 * The database lives on a small tmpfs this test mounts (the suite runs as
 * root, as CI does).
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct server srv;
static char mnt[300];

static const char *body =
    "{\"legalName\":\"Fault Ltd\",\"address\":{\"line1\":\"1\",\"town\":\"T\",\"postcode\":\"P\","
    "\"country\":\"GB\"},\"taxStatus\":\"TAXED\",\"contacts\":[{\"name\":\"N\",\"email\":"
    "\"n@x.io\",\"billingPreference\":\"PRIMARY\"}]}";

/* Starts the server with its database on a fresh tmpfs of `size`. */
static void start_on_tmpfs(const char *size, const char *const *extra)
{
    server_start(&srv, extra);
    server_stop(&srv, true);
    snprintf(mnt, sizeof(mnt), "%s/small", srv.dir);
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "mkdir -p %s && mount -t tmpfs -o size=%s tmpfs %s", mnt, size, mnt);
    cr_assert_eq(system(cmd), 0, "mounting a tmpfs needs root: %s", cmd);
    snprintf(srv.db, sizeof(srv.db), "sqlite:%s/kinship.db", mnt);
    server_new_key(&srv, "faults", srv.key, sizeof(srv.key));
    server_restart(&srv, extra);
}

static void finish(void)
{
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "sqlite3 %s/kinship.db 'PRAGMA integrity_check;'", mnt);
    FILE *p = popen(cmd, "r");
    char out[256] = "";
    cr_assert(fgets(out, sizeof(out), p), "integrity_check answered");
    pclose(p);
    cr_assert_str_eq(out, "ok\n", "the database is not corrupted: %s", out);
    server_stop(&srv, true); /* also unmounts the tmpfs */
}

static long post(void)
{
    struct resp *r = req(&srv, "POST", "/customers", body, NULL);
    long st = r->status;
    if (st == 503) {
        cr_assert_str_eq(err_type_of(r), "ServiceUnavailable", "%s", r->body);
        cr_assert(resp_header(r, "Retry-After"), "503 carries Retry-After");
    } else {
        cr_assert_eq(st, 201, "%ld %s", st, r->body);
    }
    resp_free(r);
    return st;
}

static long long total(void)
{
    struct resp *r = req(&srv, "GET", "/customers", NULL, NULL);
    cr_assert_eq(r->status, 200, "reads still work: %s", r->body);
    long long n = page_total(r);
    resp_free(r);
    return n;
}

Test(sqlite_faults, disk_full_is_503_and_heals, .timeout = 180)
{
    start_on_tmpfs("3m", NULL);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(post(), 201);
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "dd if=/dev/zero of=%s/filler bs=64k 2>/dev/null", mnt);
    cr_assert_neq(system(cmd), 0, "dd stops when the disk is full");
    long long acked = 5;
    int refused = 0;
    for (int i = 0; i < 200 && refused < 3; i++) {
        if (post() == 201)
            acked++;
        else
            refused++;
    }
    cr_assert_eq(refused, 3, "writes on a full disk answer 503");
    cr_assert_eq(total(), acked, "every acknowledged write is there, nothing else");
    snprintf(cmd, sizeof(cmd), "rm -f %s/filler", mnt);
    cr_assert_eq(system(cmd), 0);
    cr_assert_eq(post(), 201, "the server heals by itself once there is space");
    cr_assert_eq(total(), acked + 1);
    finish();
}

Test(sqlite_faults, database_locked_by_another_process_is_503_and_heals, .timeout = 180)
{
    const char *extra[] = {"--busy-timeout-ms", "200", NULL};
    start_on_tmpfs("16m", extra);
    cr_assert_eq(post(), 201);
    char cmd[1200];
    /* Another process holds the write lock for three seconds. */
    snprintf(cmd, sizeof(cmd),
             "(echo 'BEGIN IMMEDIATE; CREATE TABLE IF NOT EXISTS lock_holder(x);'; sleep 3; "
             "echo 'ROLLBACK;') | sqlite3 %s/kinship.db &",
             mnt);
    cr_assert_eq(system(cmd), 0);
    usleep(700 * 1000);
    cr_assert_eq(post(), 503, "a write that cannot get the lock in time answers 503");
    cr_assert_eq(total(), 1, "reads are not blocked by the other process's lock");
    usleep(3000 * 1000);
    cr_assert_eq(post(), 201, "the lock is gone: writes succeed again");
    cr_assert_eq(total(), 2);
    finish();
}

/* chattr +i makes a file unwritable even for root and even through file
 * descriptors already open: the server's next commit fails as it would on a
 * file whose permissions or mount went read-only under it. */
static int immutable(const char *db, bool on)
{
    char cmd[2400];
    snprintf(cmd, sizeof(cmd), "chattr %si %s %s-wal", on ? "+" : "-", db, db);
    return system(cmd);
}

Test(sqlite_faults, database_files_not_writable_is_503_and_heals, .timeout = 180)
{
    server_start(&srv, NULL);
    cr_assert_eq(post(), 201);
    const char *db = srv.db + strlen("sqlite:");
    cr_assert_eq(immutable(db, true), 0, "chattr needs root and a file system with attributes");
    long a = post(), b = post();
    long long seen = total();
    immutable(db, false);
    cr_assert_eq(a, 503, "a write to an unwritable database answers 503");
    cr_assert_eq(b, 503);
    cr_assert_eq(seen, 1, "reads go on, and nothing refused was written");
    cr_assert_eq(post(), 201, "the server heals by itself once the files are writable");
    cr_assert_eq(total(), 2);
    snprintf(mnt, sizeof(mnt), "%.*s", (int)(sizeof(mnt) - 1), srv.dir);
    finish();
}
