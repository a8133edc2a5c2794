/*
 * Operations that only the SQLite store has: /readyz turning 503 when the
 * database stops answering, the busy-retry counter of /metrics, and
 * `kinship backup` of a database that is being written, restored by
 * putting the copy in place.
 */
#include "harness.h"
#include "cmd.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

HTTP_SUITE(sqlite_ops, 300);

/* The database file of srv (without "sqlite:"). */
static const char *db_path(void)
{
    return srv.db + 7;
}

/* The first line sqlite3 prints for `sql` (any quoting: the statement
 * goes through a file, not the shell). */
static char *sqlite_answer(const char *db, const char *sql)
{
    char path[1200];
    snprintf(path, sizeof(path), "%s.sql", db);
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fputs(sql, f);
    fclose(f);
    char cmd[2600];
    snprintf(cmd, sizeof(cmd), "sqlite3 '%s' < '%s' 2>&1", db, path);
    FILE *p = popen(cmd, "r");
    cr_assert(p);
    char *out = calloc(1, 65536);
    size_t n = fread(out, 1, 65535, p);
    out[n] = '\0';
    pclose(p);
    out[strcspn(out, "\n")] = '\0';
    remove(path);
    return out;
}

static long get_status(const char *path, char **type)
{
    struct resp *r = req_as(&srv, NULL, "GET", path, NULL, NULL);
    long st = r->status;
    if (type)
        *type = strdup(err_type_of(r));
    if (st == 503)
        cr_assert(resp_header(r, "Retry-After"), "503 carries Retry-After");
    resp_free(r);
    return st;
}

/* A sample's value in a /metrics scrape (0 when absent). */
static double metric(const char *series)
{
    struct resp *r = req_as(&srv, NULL, "GET", "/metrics", NULL, NULL);
    cr_assert_eq(r->status, 200);
    double v = 0;
    size_t n = strlen(series);
    for (const char *p = r->body; p && *p;) {
        if (strncmp(p, series, n) == 0 && p[n] == ' ')
            v = strtod(p + n + 1, NULL);
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    resp_free(r);
    return v;
}

/*
 * The server's readiness check reads the schema version. Another process
 * renames that table away: the store no longer answers the check, so
 * /readyz says 503 while /healthz (the process) still says 200; renamed
 * back, /readyz is 200 again. (Deleting or chmod-ing the file would not do:
 * the server keeps it open, and tests run as root.)
 */
Test(sqlite_ops, readyz_is_503_while_the_store_does_not_answer)
{
    cr_assert_eq(get_status("/readyz", NULL), 200);
    double errors = metric("kinship_store_errors_total{kind=\"internal\"}") +
                    metric("kinship_store_errors_total{kind=\"unavailable\"}");
    char *out = sqlite_answer(db_path(), "ALTER TABLE schema_migrations RENAME TO away;");
    cr_assert_str_eq(out, "", "%s", out);
    free(out);
    char *type = NULL;
    cr_assert_eq(get_status("/readyz", &type), 503);
    cr_assert_str_eq(type, "ServiceUnavailable");
    free(type);
    cr_assert_eq(get_status("/healthz", NULL), 200, "the process itself is alive");
    cr_assert_gt(metric("kinship_store_errors_total{kind=\"internal\"}") +
                     metric("kinship_store_errors_total{kind=\"unavailable\"}"),
                 errors, "the failed check is a store error in /metrics");
    out = sqlite_answer(db_path(), "ALTER TABLE away RENAME TO schema_migrations;");
    cr_assert_str_eq(out, "", "%s", out);
    free(out);
    cr_assert_eq(get_status("/readyz", NULL), 200, "ready again");
}

/* Runs `begin` in the sqlite3 shell on the database in the background, and
 * `end` `secs` seconds later; returns once `begin` has had time to run. */
static void hold_in_sqlite3(const char *begin, int secs, const char *end)
{
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "(echo '%s'; sleep %d; echo '%s') | sqlite3 '%s' >/dev/null &",
             begin, secs, end, db_path());
    cr_assert_eq(system(cmd), 0);
    usleep(300 * 1000);
}

static const char *body =
    "{\"legalName\":\"Busy Ltd\",\"address\":{\"line1\":\"1\",\"town\":\"T\",\"postcode\":\"P\","
    "\"country\":\"GB\"},\"taxStatus\":\"TAXED\",\"contacts\":[{\"name\":\"N\",\"email\":"
    "\"n@x.io\",\"billingPreference\":\"PRIMARY\"}]}";

Test(sqlite_ops, a_write_that_waits_for_a_lock_counts_busy_retries)
{
    double retries = metric("kinship_store_retries_total");
    double commits = metric("kinship_store_commits_total");
    /* Another process holds the write lock for a second (busy_timeout_ms is 5000). */
    hold_in_sqlite3("BEGIN IMMEDIATE; CREATE TABLE IF NOT EXISTS lock_holder(x);", 1, "ROLLBACK;");
    struct resp *r = req(&srv, "POST", "/customers", body, NULL);
    cr_assert_eq(r->status, 201, "the write waited for the lock: %s", r->body);
    resp_free(r);
    cr_assert_gt(metric("kinship_store_retries_total"), retries, "the waits are counted");
    cr_assert_geq(metric("kinship_store_commits_total"), commits + 1);
}

/* ---- checkpoints ---- */

/* Restarts srv with checkpoints every `pages` WAL pages (on the same
 * database: a stop without the check keeps the directory). */
static void checkpoint_every(const char *pages)
{
    const char *const extra[] = {"--checkpoint-pages", pages, NULL};
    server_stop(&srv, false);
    server_restart(&srv, extra);
}

/*
 * Writes customers one at a time until the WAL has been checkpointed and
 * started over (its size in pages falls back after passing `pages`), at
 * most `limit` writes. Returns the largest WAL size seen; *restarted tells
 * whether it fell back.
 */
static double write_until_wal_restarts(double pages, int limit, bool *restarted)
{
    double most = 0;
    *restarted = false;
    for (int i = 0; i < limit && !*restarted; i++) {
        struct resp *r = req(&srv, "POST", "/customers", body, NULL);
        cr_assert_eq(r->status, 201, "write %d: %s", i, r->body);
        resp_free(r);
        double now = metric("kinship_store_wal_pages");
        if (now > most)
            most = now;
        *restarted = most >= pages && now < most / 2;
    }
    return most;
}

Test(sqlite_ops, the_wal_is_checkpointed_beside_the_writer_and_starts_over)
{
    checkpoint_every("1000");
    double before = metric("kinship_store_checkpoints_total");
    bool restarted;
    double most = write_until_wal_restarts(1000, 3000, &restarted);
    cr_assert(restarted, "the WAL started over (it reached %.0f pages)", most);
    /* At least one pass of the checkpoint thread and the writer's catch-up. */
    cr_assert_geq(metric("kinship_store_checkpoints_total"), before + 2);
    /* It started over soon after passing 1,000 pages, not at some cap. */
    cr_assert_lt(most, 1100, "the WAL grew to %.0f pages", most);
}

Test(sqlite_ops, checkpoint_pages_sets_where_the_wal_starts_over)
{
    checkpoint_every("2500");
    /* On the way, a pass copies the WAL every 1,000 pages, and the WAL
     * goes on growing. */
    double before = metric("kinship_store_checkpoints_total"), pages = 0;
    for (int i = 0; i < 3000 && pages < 1500; i++) {
        struct resp *r = req(&srv, "POST", "/customers", body, NULL);
        cr_assert_eq(r->status, 201, "write %d: %s", i, r->body);
        resp_free(r);
        pages = metric("kinship_store_wal_pages");
    }
    cr_assert_geq(pages, 1500, "the WAL grew past 1,500 pages (%.0f)", pages);
    for (int i = 0; i < 200 && metric("kinship_store_checkpoints_total") <= before; i++)
        usleep(10000);
    cr_assert_gt(metric("kinship_store_checkpoints_total"), before, "a pass ran at 1,000 pages");
    bool restarted;
    double most = write_until_wal_restarts(2500, 6000, &restarted);
    cr_assert(restarted, "the WAL started over (it reached %.0f pages)", most);
    /* Soon after passing 2,500 (within 10%, as above: a write now also
     * records its activity entry, and a slow machine lets a few more in
     * before the pass), not at some cap. */
    cr_assert_lt(most, 2750, "the WAL grew to %.0f pages", most);
}

Test(sqlite_ops, a_reader_holding_an_old_snapshot_delays_the_checkpoint_not_the_writes)
{
    checkpoint_every("1000");
    /* Another process reads in one snapshot for 3 seconds. */
    hold_in_sqlite3("BEGIN; SELECT count(*) FROM customers;", 3, "COMMIT;");
    /* Writes go on while the snapshot is held; the WAL cannot start over
     * before the reader leaves. */
    double most = 0;
    for (int i = 0; i < 300; i++) {
        struct resp *r = req(&srv, "POST", "/customers", body, NULL);
        cr_assert_eq(r->status, 201, "a write while the reader holds its snapshot: %s", r->body);
        resp_free(r);
        double pages = metric("kinship_store_wal_pages");
        if (pages > most)
            most = pages;
    }
    sleep(4); /* the reader has left */
    bool restarted;
    double after = write_until_wal_restarts(1000, 4000, &restarted);
    cr_assert(restarted, "the WAL started over once the reader left (%.0f pages, %.0f before)",
              after, most);
}

/* ---- backup ---- */

struct writer {
    atomic_int acked, failed;
    atomic_bool stop;
};

/* Criterion's assertions belong to the test's thread: this one counts. */
static void *write_loop(void *arg)
{
    struct writer *w = arg;
    while (!atomic_load(&w->stop)) {
        struct resp *r = req(&srv, "POST", "/customers", body, NULL);
        atomic_fetch_add(r->status == 201 ? &w->acked : &w->failed, 1);
        resp_free(r);
    }
    return NULL;
}

static long long customers_in(const char *db)
{
    char *out = sqlite_answer(db, "SELECT count(*) FROM customers;");
    long long n = atoll(out);
    free(out);
    return n;
}

Test(sqlite_ops, backup_while_writes_go_on_is_consistent_and_restores)
{
    /* Rows, and 32 MB of ballast, so that the copy takes a while. */
    for (int i = 0; i < 150; i++) {
        struct resp *r = req(&srv, "POST", "/customers", body, NULL);
        cr_assert_eq(r->status, 201);
        resp_free(r);
    }
    char *out0 = sqlite_answer(db_path(), "CREATE TABLE ballast(b); WITH RECURSIVE n(i) AS "
                                          "(SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 32) "
                                          "INSERT INTO ballast SELECT randomblob(1048576) FROM n;");
    cr_assert_str_eq(out0, "", "%s", out0);
    free(out0);
    long long base = customers_in(db_path());
    struct writer w = {0};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, write_loop, &w);
    while (atomic_load(&w.acked) < 20 && !atomic_load(&w.failed))
        usleep(1000);
    char path[400];
    snprintf(path, sizeof(path), "%s/backup.db", srv.dir);
    long long before = base + atomic_load(&w.acked);
    const char *args[] = {"backup", path, NULL};
    cr_assert_eq(kinship_cmd(&srv, args, NULL, 0), 0, "see %s", srv.log);
    int during = atomic_load(&w.acked);
    long long after = base + during + 2; /* + the two in flight */
    cr_log_info("%lld writes were acknowledged while the backup ran", after - 2 - before);
    while (atomic_load(&w.acked) < 60 && !atomic_load(&w.failed))
        usleep(1000);
    atomic_store(&w.stop, true);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    cr_assert_eq(atomic_load(&w.failed), 0, "every write during the backup succeeded");

    char *check = sqlite_answer(path, "PRAGMA integrity_check;");
    cr_assert_str_eq(check, "ok", "the copy is sound: %s", check);
    free(check);
    char *mode = sqlite_answer(path, "PRAGMA journal_mode;");
    cr_assert_str_eq(mode, "delete", "one self-contained file");
    free(mode);
    char wal[420];
    snprintf(wal, sizeof(wal), "%s-wal", path);
    cr_assert_neq(access(wal, F_OK), 0, "no -wal beside the copy");
    long long n = customers_in(path);
    cr_assert(n >= before && n <= after,
              "every write acknowledged before the backup began is in it, and nothing from "
              "after it ended (%lld <= %lld <= %lld)",
              before, n, after);
    char *torn = sqlite_answer(path, "SELECT count(*) FROM customers c WHERE (SELECT count(*) "
                                     "FROM contacts t WHERE t.customer_id = c.id) != 1;");
    cr_assert_str_eq(torn, "0", "no customer without its contact: writes are whole");
    free(torn);
    long long live = customers_in(db_path());
    cr_assert_gt(live, n, "writes went on during and after the backup");

    /* A backup refuses to overwrite the database itself, or to write nowhere. */
    const char *self[] = {"backup", db_path(), NULL};
    cr_assert_eq(kinship_cmd(&srv, self, NULL, 0), 1);
    cr_assert_eq(customers_in(db_path()), live, "the database is untouched");
    const char *nowhere[] = {"backup", "/nonexistent-dir/backup.db", NULL};
    cr_assert_eq(kinship_cmd(&srv, nowhere, NULL, 0), 1);
    const char *usage[] = {"backup", NULL};
    cr_assert_eq(kinship_cmd(&srv, usage, NULL, 0), 2);

    /* Restore: stop, put the copy in place (and drop the old WAL), start. */
    server_stop(&srv, false);
    char cmd[4096];
    snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && rm -f '%s-wal' '%s-shm'", path, db_path(),
             db_path(), db_path());
    cr_assert_eq(system(cmd), 0);
    server_restart(&srv, NULL);
    struct resp *r = req(&srv, "GET", "/customers?limit=1", NULL, NULL);
    cr_assert_eq(r->status, 200, "the key made before the backup works: %s", r->body);
    cr_assert_eq(page_total(r), n, "the restored database has what the backup had");
    resp_free(r);
    r = req(&srv, "POST", "/customers", body, NULL);
    cr_assert_eq(r->status, 201, "and takes writes");
    resp_free(r);
}

/* ---- migrations ---- */

/* The schema version of srv's database. */
static char *schema_version(void)
{
    return sqlite_answer(db_path(), "SELECT MAX(version) FROM schema_migrations;");
}

/* Runs `sql` on srv's database, which must print nothing (no error). */
static void sqlite_ok(const char *sql)
{
    char *out = sqlite_answer(db_path(), sql);
    cr_assert_str_eq(out, "", "%s: %s", sql, out);
    free(out);
}

/* The schema version a store has once every migration ran. */
#define LATEST_MIGRATION "8"

/* Migration 8 (notification policies, the activity log, the outbox) comes after 7:
 * undoing 7 undoes it too. */
#define UNDO_MIGRATION_8                                                                           \
    "DROP TABLE notification_policies; DROP TABLE activity_logs;"                                  \
    "DROP TABLE outbox_events;"

/* Takes a database back to before migration 7 as far as these tests need:
 * its column and the triggers that name it (7 makes the two counting
 * triggers again). */
#define UNDO_MIGRATION_7                                                                           \
    UNDO_MIGRATION_8                                                                               \
    "DROP TRIGGER customer_counts_insert; DROP TRIGGER customer_counts_delete;"                    \
    "DROP TRIGGER customer_counts_reorder; ALTER TABLE customer_counts DROP COLUMN unordered;"

/* The ids GET /customers lists in creation order, "ASC" or "DESC", joined
 * with commas. */
static char *ids_by_creation(const char *order)
{
    struct resp *r =
        reqf(&srv, "GET", NULL, "/customers?sortBy=createdAt&sortOrder=%s&limit=100", order);
    cr_assert_eq(r->status, 200, "%s", r->body);
    char *out = ids_of(json_object_get(r->json, "items"));
    resp_free(r);
    return out;
}

static void expect_creation_order(const char *oldest, const char *middle, const char *newest)
{
    char want[256];
    snprintf(want, sizeof(want), "%s,%s,%s", oldest, middle, newest);
    char *got = ids_by_creation("ASC");
    cr_assert_str_eq(got, want, "oldest first");
    free(got);
    snprintf(want, sizeof(want), "%s,%s,%s", newest, middle, oldest);
    got = ids_by_creation("DESC");
    cr_assert_str_eq(got, want, "newest first");
    free(got);
}

static void expect_unordered(const char *n)
{
    char *out = sqlite_answer(db_path(), "SELECT unordered FROM customer_counts;");
    cr_assert_str_eq(out, n, "customers whose ids do not carry their time");
    free(out);
}

/*
 * Migration 7 counts the customers whose ids do not carry their creation
 * time, and its triggers keep the count; while it is not 0 the list in
 * creation order cannot be the table's id order. Here a customer written by
 * hand has the latest id and the oldest time.
 */
Test(sqlite_ops, migration_7_keeps_creation_order_for_ids_that_do_not_carry_their_time)
{
    char *a = make_customer(&srv, NULL, "Seven A");
    char *b = make_customer(&srv, NULL, "Seven B");
    expect_unordered("0");
    const char *x = "7fffffff-ffff-7fff-8fff-ffffffffffff";
    char sql[1024];
    snprintf(sql, sizeof(sql),
             "CREATE TEMP TABLE t AS SELECT * FROM customers WHERE id = '%s';"
             "UPDATE t SET id = '%s', legal_name = 'Seven X', created_at = 1000, updated_at = 1000;"
             "INSERT INTO customers SELECT * FROM t;",
             a, x);
    sqlite_ok(sql);
    expect_unordered("1");
    expect_creation_order(x, a, b);

    /* Counted again by the migration itself on an older database. */
    server_kill(&srv);
    sqlite_ok(UNDO_MIGRATION_7 "DELETE FROM schema_migrations WHERE version >= 7;");
    server_restart(&srv, NULL);
    char *out = schema_version();
    cr_assert_str_eq(out, LATEST_MIGRATION);
    free(out);
    expect_unordered("1");
    expect_creation_order(x, a, b);

    /* Its time set to the one its id carries: the count drops back to 0,
     * and x is the newest. */
    snprintf(sql, sizeof(sql), "UPDATE customers SET created_at = 0x7fffffffffff WHERE id = '%s';",
             x);
    sqlite_ok(sql);
    expect_unordered("0");
    expect_creation_order(a, b, x);

    /* Customers made through the API carry their time; x gone by hand,
     * the counts are back to the API's. */
    char *c = make_customer(&srv, NULL, "Seven C");
    snprintf(sql, sizeof(sql), "DELETE FROM customers WHERE id = '%s';", x);
    sqlite_ok(sql);
    out = sqlite_answer(db_path(), "SELECT total || ',' || unordered FROM customer_counts;");
    cr_assert_str_eq(out, "3,0");
    free(out);
    expect_creation_order(a, b, c);
    free(a);
    free(b);
    free(c);
}

Test(sqlite_ops, migrations_3_to_7_upgrade_existing_organizations)
{
    char *owner = make_customer(&srv, NULL, "Mig Owner");
    char *m = make_customer(&srv, NULL, "Mig Member");
    char org_body[256];
    snprintf(org_body, sizeof(org_body), "{\"ownerId\":\"%s\",\"memberIds\":[\"%s\"]}", owner, m);
    struct resp *r = req(&srv, "POST", "/customer-organizations", org_body, NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    char *org = strdup(jstr(r->json, "id"));
    resp_free(r);
    /* Back to schema 2: no names on the memberships or the organizations,
     * no revision tags, no triggers. (The database stays where it is after
     * a kill; a stop would remove it.) */
    server_kill(&srv);
    char *out = sqlite_answer(db_path(),
                              "DROP TRIGGER member_name_rename; DROP TRIGGER member_name_fill; "
                              "DROP TRIGGER organization_rev_rename; "
                              "DROP TRIGGER organization_owner_rename; "
                              "DROP TRIGGER organization_owner_fill; "
                              "ALTER TABLE organization_members DROP COLUMN member_name; "
                              "ALTER TABLE organizations DROP COLUMN rev; "
                              "ALTER TABLE organizations DROP COLUMN owner_name; " UNDO_MIGRATION_7
                              "DELETE FROM schema_migrations WHERE version >= 3;");
    cr_assert_str_eq(out, "", "%s", out);
    free(out);
    server_restart(&srv, NULL);
    r = reqf(&srv, "GET", NULL, "/customer-organizations/%s", org);
    cr_assert_eq(r->status, 200, "%s", r->body);
    json_t *m0 = json_array_get(json_object_get(r->json, "members"), 0);
    cr_assert_str_eq(jstr(m0, "name"), "Mig Member", "%s", r->body);
    cr_assert_str_eq(jstr(json_object_get(r->json, "owner"), "name"), "Mig Owner", "%s", r->body);
    resp_free(r);
    out = schema_version();
    cr_assert_str_eq(out, LATEST_MIGRATION);
    free(out);
    /* Migration 4 tagged the organization: a rename of its member changes
     * the tag, and the next read shows the new name. */
    char *before = sqlite_answer(db_path(), "SELECT rev FROM organizations;");
    cr_assert_str_neq(before, "0", "a random tag, not the column's default");
    rename_customer(&srv, m, "Mig Renamed");
    out = sqlite_answer(db_path(), "SELECT rev FROM organizations;");
    cr_assert_str_neq(out, before, "the rename wrote a new tag");
    free(out);
    free(before);
    r = reqf(&srv, "GET", NULL, "/customer-organizations/%s", org);
    m0 = json_array_get(json_object_get(r->json, "members"), 0);
    cr_assert_str_eq(jstr(m0, "name"), "Mig Renamed", "%s", r->body);
    resp_free(r);
    /* Migration 6 keeps the owner's name on the organization: a rename of
     * the owner shows too. */
    rename_customer(&srv, owner, "Mig Owner Renamed");
    r = reqf(&srv, "GET", NULL, "/customer-organizations/%s", org);
    cr_assert_str_eq(jstr(json_object_get(r->json, "owner"), "name"), "Mig Owner Renamed", "%s",
                     r->body);
    resp_free(r);
    free(org);
    free(owner);
    free(m);
}

Test(sqlite_ops, an_organization_written_by_hand_gets_its_owners_name)
{
    char *owner = make_customer(&srv, NULL, "Hand Owner");
    const char *org = "0190aaaa-0000-7000-8000-000000000001";
    char sql[512];
    snprintf(sql, sizeof(sql),
             "INSERT INTO organizations (account_id, id, owner_id, created_at)"
             " SELECT account_id, '%s', id, 1 FROM customers WHERE id = '%s';",
             org, owner);
    char *out = sqlite_answer(db_path(), sql);
    cr_assert_str_eq(out, "", "%s", out);
    free(out);
    struct resp *r = reqf(&srv, "GET", NULL, "/customer-organizations/%s", org);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(jstr(json_object_get(r->json, "owner"), "name"), "Hand Owner", "%s", r->body);
    resp_free(r);
    free(owner);
}

/* The members of `org` as "id,id,...", in the order GET shows them. */
static char *member_ids(const char *org)
{
    struct resp *r = reqf(&srv, "GET", NULL, "/customer-organizations/%s", org);
    cr_assert_eq(r->status, 200, "%s", r->body);
    char *out = member_ids_of(r->json);
    resp_free(r);
    return out;
}

Test(sqlite_ops, migration_5_keeps_the_member_order_and_one_row_per_member)
{
    char *owner = make_customer(&srv, NULL, "Five Owner");
    char *m[5];
    for (int i = 0; i < 5; i++)
        m[i] = make_customer(&srv, NULL, "Five Member");
    char json[512];
    snprintf(json, sizeof(json), "{\"ownerId\":\"%s\",\"memberIds\":[\"%s\",\"%s\",\"%s\",\"%s\"]}",
             owner, m[0], m[1], m[2], m[3]);
    struct resp *r = req(&srv, "POST", "/customer-organizations", json, NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    char *org = strdup(jstr(r->json, "id"));
    resp_free(r);
    /* Back to schema 4: its membership table keyed by (organization, customer),
     * with an index by position, and no owner names; then positions as a
     * hand-edited database might hold them: out of order, and two equal.
     * (legacy_alter_table: the rename leaves alone the triggers that name
     * the table.) */
    server_kill(&srv);
    char sql[2048];
    snprintf(sql, sizeof(sql),
             "PRAGMA legacy_alter_table = ON;"
             "CREATE TABLE om4 (account_id TEXT NOT NULL, organization_id TEXT NOT NULL,"
             " customer_id TEXT NOT NULL, position INTEGER NOT NULL, member_name TEXT,"
             " PRIMARY KEY (account_id, organization_id, customer_id)) WITHOUT ROWID;"
             "INSERT INTO om4 SELECT account_id, organization_id, customer_id, position,"
             " member_name FROM organization_members;"
             "DROP TABLE organization_members;"
             "ALTER TABLE om4 RENAME TO organization_members;"
             "CREATE INDEX organization_members_customer"
             " ON organization_members(account_id, customer_id);"
             "CREATE INDEX organization_members_position"
             " ON organization_members(account_id, organization_id, position);"
             "UPDATE organization_members SET position = CASE customer_id"
             " WHEN '%s' THEN 10 WHEN '%s' THEN 5 WHEN '%s' THEN 5 ELSE 1 END;"
             "DROP TRIGGER organization_owner_rename;"
             "DROP TRIGGER organization_owner_fill;"
             "ALTER TABLE organizations DROP COLUMN owner_name;" UNDO_MIGRATION_7
             "DELETE FROM schema_migrations WHERE version >= 5;",
             m[0], m[1], m[2]);
    char *out = sqlite_answer(db_path(), sql);
    cr_assert_str_eq(out, "", "%s", out);
    free(out);
    server_restart(&srv, NULL);
    out = schema_version();
    cr_assert_str_eq(out, LATEST_MIGRATION);
    free(out);
    /* The old order, ties by customer id; positions 1 to 4. */
    const char *lo = strcmp(m[1], m[2]) < 0 ? m[1] : m[2];
    const char *hi = lo == m[1] ? m[2] : m[1];
    char want[1024];
    snprintf(want, sizeof(want), "%s,%s,%s,%s", m[3], lo, hi, m[0]);
    char *got = member_ids(org);
    cr_assert_str_eq(got, want);
    free(got);
    snprintf(sql, sizeof(sql),
             "SELECT group_concat(position) FROM (SELECT position FROM organization_members"
             " WHERE organization_id = '%s' ORDER BY position);",
             org);
    out = sqlite_answer(db_path(), sql);
    cr_assert_str_eq(out, "1,2,3,4");
    free(out);
    /* A member already there is not added twice; a new one comes last. */
    snprintf(json, sizeof(json), "{\"customerIds\":[\"%s\",\"%s\"]}", m[0], m[4]);
    r = reqf(&srv, "POST", json, "/customer-organizations/%s/members", org);
    cr_assert_lt(r->status, 300, "%s", r->body);
    resp_free(r);
    snprintf(want + strlen(want), sizeof(want) - strlen(want), ",%s", m[4]);
    got = member_ids(org);
    cr_assert_str_eq(got, want);
    free(got);
    /* The triggers were made again: a rename shows in the organization. */
    rename_customer(&srv, lo, "Five Renamed");
    r = reqf(&srv, "GET", NULL, "/customer-organizations/%s", org);
    cr_assert_str_eq(jstr(json_array_get(json_object_get(r->json, "members"), 1), "name"),
                     "Five Renamed", "%s", r->body);
    resp_free(r);
    free(org);
    free(owner);
    for (int i = 0; i < 5; i++)
        free(m[i]);
}

/* ---- the organization cache against the rows ---- */

/* "owner:id=name,id=name" of organization `id`, from its rows. */
static char *org_from_rows(const char *id)
{
    char sql[1024];
    snprintf(sql, sizeof(sql),
             "SELECT (SELECT legal_name FROM customers c WHERE c.id = o.owner_id) || ':' ||"
             " COALESCE((SELECT group_concat(customer_id || '=' || member_name, ',') FROM"
             " (SELECT customer_id, member_name FROM organization_members m"
             " WHERE m.organization_id = o.id ORDER BY position)), '')"
             " FROM organizations o WHERE o.id = '%s';",
             id);
    return sqlite_answer(db_path(), sql);
}

/* The same from an answer's organization object. */
static char *org_from_json(json_t *o)
{
    char *out = calloc(1, 65536);
    size_t off = (size_t)snprintf(out, 65536, "%s:", jstr(json_object_get(o, "owner"), "name"));
    json_t *ms = json_object_get(o, "members");
    for (size_t i = 0; i < json_array_size(ms); i++) {
        json_t *m = json_array_get(ms, i);
        off += (size_t)snprintf(out + off, 65536 - off, "%s%s=%s", i ? "," : "", jstr(m, "id"),
                                jstr(m, "name"));
    }
    return out;
}

/* The organization object `o` (an answer about `org`) is what its rows hold. */
static void expect_answer_is_rows(json_t *o, const char *org, const char *what)
{
    char *answer = org_from_json(o), *rows = org_from_rows(org);
    cr_assert_str_eq(answer, rows, "%s: the answer is what the rows hold", what);
    free(answer);
    free(rows);
}

static void expect_rows_agree(const char *org, const char *what)
{
    struct resp *r = reqf(&srv, "GET", NULL, "/customer-organizations/%s", org);
    cr_assert_eq(r->status, 200, "%s", r->body);
    expect_answer_is_rows(r->json, org, what);
    resp_free(r);
}

/*
 * A write that changes an organization leaves it in the organization cache
 * as it knows it, and the next reads start from there: what they answer
 * must be exactly what the rows hold, after adds of new, present and
 * repeated members, a removal, a rename, and a failed write.
 */
Test(sqlite_ops, organizations_read_from_memory_match_their_rows)
{
    char *owner = make_customer(&srv, NULL, "Rows Owner");
    char *c[6];
    for (int i = 0; i < 6; i++)
        c[i] = make_customer(&srv, NULL, i % 2 ? "Odd \\\"Member\\\"" : "Even Member");
    char rb[1024];
    snprintf(rb, sizeof(rb), "{\"ownerId\":\"%s\",\"memberIds\":[\"%s\"]}", owner, c[0]);
    struct resp *r = req(&srv, "POST", "/customer-organizations", rb, NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    char *org = strdup(jstr(r->json, "id"));
    resp_free(r);
    expect_rows_agree(org, "created");

    static const int adds[][3] = {{1, -1, -1}, {0, 2, 3}, {3, 3, 4}, {4, 1, 5}};
    for (size_t k = 0; k < sizeof(adds) / sizeof(*adds); k++) {
        size_t off = (size_t)snprintf(rb, sizeof(rb), "{\"customerIds\":[");
        for (int j = 0; j < 3 && adds[k][j] >= 0; j++)
            off += (size_t)snprintf(rb + off, sizeof(rb) - off, "%s\"%s\"", j ? "," : "",
                                    c[adds[k][j]]);
        snprintf(rb + off, sizeof(rb) - off, "]}");
        r = reqf(&srv, "POST", rb, "/customer-organizations/%s/members", org);
        cr_assert_eq(r->status, 200, "%s", r->body);
        char what[64];
        snprintf(what, sizeof(what), "add %zu, the write's answer", k);
        expect_answer_is_rows(r->json, org, what);
        resp_free(r);
        expect_rows_agree(org, "after an add");
    }
    r = reqf(&srv, "DELETE", NULL, "/customer-organizations/%s/members/%s", org, c[2]);
    cr_assert_eq(r->status, 200, "%s", r->body);
    resp_free(r);
    expect_rows_agree(org, "after a removal");
    /* A write that fails (an unknown customer) changes nothing. */
    snprintf(rb, sizeof(rb), "{\"customerIds\":[\"%s\",\"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b\"]}",
             c[2]);
    r = reqf(&srv, "POST", rb, "/customer-organizations/%s/members", org);
    cr_assert_eq(r->status, 400, "%s", r->body);
    resp_free(r);
    expect_rows_agree(org, "after a failed add");
    r = reqf(&srv, "POST", NULL, "/customer-organizations/%s/members", org); /* no body */
    resp_free(r);
    expect_rows_agree(org, "after a bad request");
    free(org);
    free(owner);
    for (int i = 0; i < 6; i++)
        free(c[i]);
}
