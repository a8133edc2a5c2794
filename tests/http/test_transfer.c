/*
 * kinship export / kinship import: an account made through the API is
 * exported, imported into a new account, into a new SQLite database and
 * (with $KINSHIP_TEST_PG_URL) into PostgreSQL, exported again and compared,
 * and served the same. An import that meets rows already there, or a file
 * that is not an export, writes nothing. Runs on both stores, so the pg
 * suite moves PostgreSQL -> SQLite and the http suite SQLite -> PostgreSQL.
 */
#include "harness.h"
#include "cmd.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TestSuite(transfer, .timeout = 300);

/* An address and a contact the API would accept, for lines written here. */
#define ADDRESS                                                                                    \
    "{\"line1\":\"1 Road\",\"town\":\"Leeds\",\"postcode\":\"LS1 1AA\",\"country\":\"GB\"}"
#define CONTACT                                                                                    \
    "{\"id\":\"01900000-0000-7000-8000-0000000000b0\",\"name\":\"Ann\","                           \
    "\"email\":\"ann@example.com\",\"billingPreference\":\"PRIMARY\","                             \
    "\"createdAt\":\"2024-07-30T12:00:00Z\",\"updatedAt\":\"2024-07-30T12:00:00Z\"}"

struct data {
    char key[256];
    char account[96];
    char c[5][64]; /* customers; c[3] is archived */
    char org[64];
    char archived_contact[64];
};

static char *post_id(struct server *s, const char *key, const char *path, const char *body,
                     long want)
{
    struct resp *r = req_as(s, key, "POST", path, body, NULL);
    cr_assert_eq(r->status, want, "POST %s: %ld %s", path, r->status, r->body);
    char *id = jstr(r->json, "id") ? strdup(jstr(r->json, "id")) : NULL;
    resp_free(r);
    return id;
}

static void unique_name(char *out, size_t cap, const char *tag)
{
    static int n;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(out, cap, "%s-%d-%ld-%ld-%d", tag, getpid(), (long)ts.tv_sec, ts.tv_nsec, n++);
}

/* An account with everything an export carries, made through the API. */
static void make_data(struct server *s, struct data *d)
{
    unique_name(d->account, sizeof(d->account), "transfer");
    const char *create[] = {"keys", "create", "--account", d->account, NULL};
    cr_assert_eq(kinship_cmd(s, create, d->key, sizeof(d->key)), 0);
    d->key[strcspn(d->key, "\n")] = '\0';

    char *id =
        post_id(s, d->key, "/customers",
                "{\"legalName\":\"Transfer One Ltd\",\"url\":\"https://one.example\","
                "\"label\":\"gold\",\"address\":{\"line1\":\"1 Main St\",\"line2\":\"Unit 2\","
                "\"town\":\"New York\",\"state\":\"NY\",\"postcode\":\"10001\","
                "\"country\":\"US\"},\"taxStatus\":\"TAX_EXEMPT\","
                "\"customProperties\":{\"tier\":\"gold\",\"Region\":\"EU\"},"
                "\"integrationIds\":[{\"service\":\"Xero\",\"id\":\"x-1\"}],"
                "\"contacts\":[{\"name\":\"Ann\",\"email\":\"ann@one.example\","
                "\"billingPreference\":\"PRIMARY\"},{\"name\":\"Bob\",\"email\":"
                "\"bob@one.example\",\"billingPreference\":\"STANDARD\"}]}",
                201);
    snprintf(d->c[0], sizeof(d->c[0]), "%s", id);
    free(id);
    for (int i = 1; i < 5; i++) {
        id = make_customer(s, d->key, i == 3 ? "Archived Co" : "Member Co");
        snprintf(d->c[i], sizeof(d->c[i]), "%s", id);
        free(id);
    }
    /* An archived contact, and a customer replaced by PUT (old contacts archived). */
    char path[256];
    snprintf(path, sizeof(path), "/customers/%s/contacts", d->c[0]);
    id = post_id(s, d->key, path,
                 "{\"name\":\"Cy\",\"email\":\"cy@one.example\",\"billingPreference\":\"NONE\"}",
                 201);
    snprintf(d->archived_contact, sizeof(d->archived_contact), "%s", id);
    snprintf(path, sizeof(path), "/customers/%s/contacts/%s/archive", d->c[0], id);
    free(id);
    free(post_id(s, d->key, path, NULL, 200));
    snprintf(path, sizeof(path), "/customers/%s", d->c[1]);
    struct resp *r =
        req_as(s, d->key, "PUT", path,
               "{\"legalName\":\"Member Co Renamed\",\"address\":{\"line1\":\"2 Road\","
               "\"town\":\"York\",\"postcode\":\"YO1\",\"country\":\"GB\"},"
               "\"taxStatus\":\"TAXED\",\"contacts\":[{\"name\":\"Di\",\"email\":"
               "\"di@two.example\",\"billingPreference\":\"PRIMARY\"}]}",
               NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    resp_free(r);
    snprintf(path, sizeof(path), "/customers/%s/archive", d->c[3]);
    free(post_id(s, d->key, path, NULL, 200));
    /* Aliases: two live, one deleted (not exported: deleted aliases are gone). */
    char body[512];
    snprintf(body, sizeof(body), "{\"customerId\":\"%s\",\"value\":\"t-one\",\"label\":\"main\"}",
             d->c[0]);
    free(post_id(s, d->key, "/customer-aliases", body, 201));
    snprintf(body, sizeof(body), "{\"customerId\":\"%s\",\"value\":\"t-two\"}", d->c[1]);
    free(post_id(s, d->key, "/customer-aliases", body, 201));
    snprintf(body, sizeof(body), "{\"customerId\":\"%s\",\"value\":\"t-gone\"}", d->c[2]);
    id = post_id(s, d->key, "/customer-aliases", body, 201);
    snprintf(path, sizeof(path), "/customer-aliases/%s", id);
    free(id);
    r = req_as(s, d->key, "DELETE", path, NULL, NULL);
    cr_assert(r->status == 200 || r->status == 204, "%ld %s", r->status, r->body);
    resp_free(r);
    /* An organization whose members are not in creation order. */
    snprintf(body, sizeof(body), "{\"ownerId\":\"%s\",\"memberIds\":[\"%s\",\"%s\"]}", d->c[0],
             d->c[4], d->c[1]);
    id = post_id(s, d->key, "/customer-organizations", body, 201);
    snprintf(d->org, sizeof(d->org), "%s", id);
    free(id);
}

/* Runs kinship with args, then --db db; returns stdout (malloc'd) and the
 * exit status; stderr into *err when err is set (malloc'd). */
static char *run_db(const char *const *args, const char *db, const char *stdin_path, int *status,
                    char **err)
{
    const char *argv[16];
    int n = 0;
    for (int i = 0; args[i] && n < 13; i++)
        argv[n++] = args[i];
    argv[n++] = "--db";
    argv[n++] = db;
    argv[n] = NULL;
    struct cmd_result r;
    cmd_run(argv, NULL, stdin_path, 120, &r);
    *status = r.status;
    if (err)
        *err = r.err;
    else
        free(r.err);
    return r.out;
}

static char *export_of(const char *db, const char *account)
{
    const char *args[] = {"export", "--account", account, NULL};
    int st;
    char *err;
    char *out = run_db(args, db, NULL, &st, &err);
    cr_assert_eq(st, 0, "export of %s from %s: %s", account, db, err);
    cr_assert(strstr(err, "exported"), "%s", err);
    free(err);
    return out;
}

static void import_into(const char *db, const char *account, const char *file, bool via_stdin)
{
    const char *with_file[] = {"import", "--account", account, file, NULL};
    const char *with_stdin[] = {"import", "--account", account, NULL};
    int st;
    char *err;
    free(run_db(via_stdin ? with_stdin : with_file, db, via_stdin ? file : NULL, &st, &err));
    cr_assert_eq(st, 0, "import into %s of %s: %s", account, db, err);
    cr_assert(strstr(err, "imported"), "%s", err);
    free(err);
}

/* Everything after the header line. */
static const char *body_of(const char *export)
{
    const char *nl = strchr(export, '\n');
    cr_assert(nl, "an export has a header line");
    return nl + 1;
}

static void check_header(const char *export, const char *account)
{
    char line[1024];
    snprintf(line, sizeof(line), "%.*s", (int)strcspn(export, "\n"), export);
    json_t *h = json_loads(line, 0, NULL);
    cr_assert(h, "the header is JSON: %s", line);
    cr_assert_str_eq(jstr(h, "kind"), "kinship-export");
    cr_assert_eq(json_integer_value(json_object_get(h, "version")), 1);
    cr_assert_str_eq(jstr(h, "account"), account);
    json_decref(h);
}

/* What the first export of make_data's account must hold. */
static void check_export(const char *export, const struct data *d)
{
    int customers = 0, aliases = 0, orgs = 0;
    const char *p = body_of(export);
    while (*p) {
        const char *nl = strchr(p, '\n');
        cr_assert(nl, "every line ends with a newline");
        char *line = strndup(p, (size_t)(nl - p));
        json_t *o = json_loads(line, 0, NULL);
        cr_assert(json_is_object(o), "a line is a JSON object: %s", line);
        const char *kind = jstr(o, "kind");
        cr_assert(kind);
        if (strcmp(kind, "customer") == 0) {
            cr_assert_eq(aliases + orgs, 0, "customers come first");
            customers++;
            const char *id = jstr(o, "id");
            json_t *contacts = json_object_get(o, "contacts");
            if (strcmp(id, d->c[0]) == 0) {
                cr_assert_eq(json_array_size(contacts), 3, "archived contacts too: %s", line);
                cr_assert_str_eq(jstr(o, "label"), "gold");
                cr_assert_str_eq(jstr(json_object_get(o, "customProperties"), "Region"), "EU");
                cr_assert_str_eq(
                    jstr(json_array_get(json_object_get(o, "integrationIds"), 0), "service"),
                    "Xero");
                cr_assert(strstr(line, d->archived_contact));
            } else if (strcmp(id, d->c[1]) == 0) {
                cr_assert_eq(json_array_size(contacts), 2, "the replaced contact too: %s", line);
                cr_assert_str_eq(jstr(o, "legalName"), "Member Co Renamed");
            } else if (strcmp(id, d->c[3]) == 0) {
                cr_assert(jstr(o, "archivedAt"), "the archived customer: %s", line);
            }
            cr_assert(strlen(jstr(o, "createdAt")) == 24, "times keep milliseconds: %s", line);
        } else if (strcmp(kind, "alias") == 0) {
            cr_assert_eq(orgs, 0, "aliases before organizations");
            aliases++;
            cr_assert_str_neq(jstr(o, "value"), "t-gone", "deleted aliases are not exported");
        } else {
            cr_assert_str_eq(kind, "organization");
            orgs++;
            cr_assert_str_eq(jstr(o, "id"), d->org);
            cr_assert_str_eq(jstr(o, "ownerId"), d->c[0]);
            json_t *m = json_object_get(o, "memberIds");
            cr_assert_eq(json_array_size(m), 2);
            cr_assert_str_eq(json_string_value(json_array_get(m, 0)), d->c[4], "member order kept");
            cr_assert_str_eq(json_string_value(json_array_get(m, 1)), d->c[1]);
        }
        json_decref(o);
        free(line);
        p = nl + 1;
    }
    cr_assert_eq(customers, 5);
    cr_assert_eq(aliases, 2);
    cr_assert_eq(orgs, 1);
}

/* Drops members that name the account (they differ by design). */
static void strip_account(json_t *j)
{
    if (json_is_object(j)) {
        json_object_del(j, "sequenceAccountId");
        const char *k;
        json_t *v;
        json_object_foreach(j, k, v) strip_account(v);
    } else if (json_is_array(j)) {
        size_t i;
        json_t *v;
        json_array_foreach(j, i, v) strip_account(v);
    }
}

/* The API answers the same for both accounts, but for their ids. */
static void same_over_http(struct server *a, const char *key_a, struct server *b, const char *key_b,
                           const struct data *d)
{
    char paths[8][200];
    int n = 0;
    snprintf(paths[n++], sizeof(paths[0]), "/customers/%s", d->c[0]);
    snprintf(paths[n++], sizeof(paths[0]), "/customers/%s", d->c[3]);
    snprintf(paths[n++], sizeof(paths[0]), "/customers/%s/contacts", d->c[0]);
    snprintf(paths[n++], sizeof(paths[0]), "/customers?includeArchived=true&limit=100");
    snprintf(paths[n++], sizeof(paths[0]), "/customer-aliases");
    snprintf(paths[n++], sizeof(paths[0]), "/customer-organizations/%s", d->org);
    snprintf(paths[n++], sizeof(paths[0]), "/customers/by-alias/t-one");
    snprintf(paths[n++], sizeof(paths[0]), "/customer-custom-property-keys");
    for (int i = 0; i < n; i++) {
        struct resp *ra = req_as(a, key_a, "GET", paths[i], NULL, NULL);
        struct resp *rb = req_as(b, key_b, "GET", paths[i], NULL, NULL);
        cr_assert_eq(ra->status, 200, "%s: %s", paths[i], ra->body);
        cr_assert_eq(rb->status, 200, "%s: %s", paths[i], rb->body);
        strip_account(ra->json);
        strip_account(rb->json);
        cr_assert(json_equal(ra->json, rb->json), "GET %s answers the same:\n%s\n%s", paths[i],
                  ra->body, rb->body);
        resp_free(ra);
        resp_free(rb);
    }
}

static void key_for(const char *db, const char *account, char *out, size_t cap)
{
    const char *args[] = {"keys", "create", "--account", account, NULL};
    int st;
    char *text = run_db(args, db, NULL, &st, NULL);
    cr_assert_eq(st, 0);
    snprintf(out, cap, "%.*s", (int)strcspn(text, "\n"), text);
    free(text);
}

Test(transfer, round_trip_into_a_new_account_of_the_same_database)
{
    struct server srv;
    server_start(&srv, NULL);
    struct data d;
    make_data(&srv, &d);
    char *first = export_of(srv.db, d.account);
    check_header(first, d.account);
    check_export(first, &d);
    char file[400];
    snprintf(file, sizeof(file), "%s/export.jsonl", srv.dir);
    cmd_write_file(file, first);

    char other[96], key[256];
    unique_name(other, sizeof(other), "transfer-copy");
    import_into(srv.db, other, file, true);
    char *second = export_of(srv.db, other);
    check_header(second, other);
    cr_assert_str_eq(body_of(second), body_of(first), "the same export but for the header");
    key_for(srv.db, other, key, sizeof(key));
    same_over_http(&srv, d.key, &srv, key, &d);

    /* Again into the same account: every id is taken; nothing is written. */
    const char *again[] = {"import", "--account", other, file, NULL};
    int st;
    char *err;
    free(run_db(again, srv.db, NULL, &st, &err));
    cr_assert_eq(st, 1, "%s", err);
    cr_assert(strstr(err, "line 2:") && strstr(err, "nothing was imported"), "%s", err);
    free(err);
    char *third = export_of(srv.db, other);
    cr_assert_str_eq(body_of(third), body_of(first), "the account is unchanged");
    free(third);
    free(second);
    free(first);
    server_stop(&srv, true);
}

/* The kind and id of each body line of an export, in order. */
struct line_ids {
    char kind[16];
    char id[64];
};

static size_t lines_of(const char *export, struct line_ids *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = body_of(export); *p && n < cap;) {
        size_t len = strcspn(p, "\n");
        json_error_t e;
        json_t *o = json_loadb(p, len, 0, &e);
        cr_assert(o, "line %zu of the body is JSON: %s", n + 1, e.text);
        snprintf(out[n].kind, sizeof(out[n].kind), "%s", jstr(o, "kind"));
        snprintf(out[n].id, sizeof(out[n].id), "%s", jstr(o, "id"));
        json_decref(o);
        n++;
        p += len + (p[len] == '\n');
    }
    return n;
}

/* Exports are read a page (500 rows) at a time: more customers, aliases
 * and organizations than that come out whole, once each, in their order,
 * and import back to the same export. */
Test(transfer, an_export_of_several_pages_is_whole_and_in_order)
{
    enum { N = 501 };
    struct server srv;
    server_start(&srv, NULL);
    char account[96], key[256];
    unique_name(account, sizeof(account), "transfer-pages");
    const char *create[] = {"keys", "create", "--account", account, NULL};
    cr_assert_eq(kinship_cmd(&srv, create, key, sizeof(key)), 0);
    key[strcspn(key, "\n")] = '\0';
    static char ids[N][64];
    for (int i = 0; i < N; i++) {
        char *id = make_customer(&srv, key, "Paged Co");
        snprintf(ids[i], sizeof(ids[i]), "%s", id);
        free(id);
        char body[256];
        snprintf(body, sizeof(body), "{\"customerId\":\"%.63s\",\"value\":\"paged-%d\"}", ids[i],
                 i);
        free(post_id(&srv, key, "/customer-aliases", body, 201));
        snprintf(body, sizeof(body), "{\"ownerId\":\"%.63s\",\"memberIds\":[]}", ids[i]);
        free(post_id(&srv, key, "/customer-organizations", body, 201));
    }

    char *first = export_of(srv.db, account);
    static struct line_ids lines[4 * N];
    size_t n = lines_of(first, lines, 4 * N);
    cr_assert_eq(n, 3 * N, "one line per customer, alias and organization: %zu", n);
    for (size_t i = 0; i < N; i++) {
        cr_assert_str_eq(lines[i].kind, "customer", "line %zu", i + 2);
        cr_assert_str_eq(lines[i].id, ids[i], "customers in the order they were made");
    }
    for (size_t i = N; i < 3 * N; i++) {
        const char *want = i < 2 * N ? "alias" : "organization";
        cr_assert_str_eq(lines[i].kind, want, "line %zu", i + 2);
        for (size_t k = i + 1; k < (i < 2 * N ? 2 * N : 3 * N); k++)
            cr_assert_str_neq(lines[i].id, lines[k].id, "%s %s twice", want, lines[i].id);
    }

    char file[400], other[96];
    snprintf(file, sizeof(file), "%s/paged.jsonl", srv.dir);
    cmd_write_file(file, first);
    unique_name(other, sizeof(other), "transfer-pages-copy");
    import_into(srv.db, other, file, false);
    char *second = export_of(srv.db, other);
    cr_assert_str_eq(body_of(second), body_of(first), "the same export but for the header");
    free(second);
    free(first);
    server_stop(&srv, true);
}

Test(transfer, one_failing_line_at_the_end_writes_nothing_not_even_the_account)
{
    struct server srv;
    server_start(&srv, NULL);
    struct data d;
    make_data(&srv, &d);
    char *first = export_of(srv.db, d.account);
    /* A second live alias with the value of the first one, last. */
    size_t n = strlen(first);
    char *bad = malloc(n + 256);
    snprintf(bad, n + 256,
             "%s{\"kind\":\"alias\",\"id\":\"01900000-0000-7000-8000-00000000abcd\","
             "\"customerId\":\"%s\",\"value\":\"t-one\",\"label\":null,"
             "\"createdAt\":\"2024-07-30T12:00:00.000Z\"}\n",
             first, d.c[2]);
    int lines = 0;
    for (const char *p = bad; *p; p++)
        lines += *p == '\n';
    char file[400];
    snprintf(file, sizeof(file), "%s/bad.jsonl", srv.dir);
    cmd_write_file(file, bad);
    char other[96];
    unique_name(other, sizeof(other), "transfer-atomic");
    const char *args[] = {"import", "--account", other, file, NULL};
    int st;
    char *err;
    free(run_db(args, srv.db, NULL, &st, &err));
    cr_assert_eq(st, 1, "%s", err);
    char want[64];
    snprintf(want, sizeof(want), "line %d:", lines);
    cr_assert(strstr(err, want) && strstr(err, "alias"), "names the last line: %s", err);
    free(err);
    const char *exp[] = {"export", "--account", other, NULL};
    free(run_db(exp, srv.db, NULL, &st, &err));
    cr_assert_eq(st, 1, "the account was not created either: %s", err);
    cr_assert(strstr(err, "no account"), "%s", err);
    free(err);
    free(bad);
    free(first);
    server_stop(&srv, true);
}

/* Starts a second server on `db`, sharing srv's directory and log. */
static void start_on(struct server *m, const struct server *srv, const char *db)
{
    *m = *srv;
    snprintf(m->db, sizeof(m->db), "%s", db);
    m->port = cmd_free_port();
    server_restart(m, NULL);
}

static void stop_second(struct server *m)
{
    kill(m->pid, SIGTERM);
    int st;
    waitpid(m->pid, &st, 0);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "clean exit (see %s)", m->log);
    m->pid = 0;
}

Test(transfer, round_trip_into_a_new_sqlite_database)
{
    struct server srv;
    server_start(&srv, NULL);
    struct data d;
    make_data(&srv, &d);
    char *first = export_of(srv.db, d.account);
    char file[400], db[450], key[256];
    snprintf(file, sizeof(file), "%s/export.jsonl", srv.dir);
    cmd_write_file(file, first);
    snprintf(db, sizeof(db), "sqlite:%s/moved.db", srv.dir);
    import_into(db, d.account, file, false);
    char *second = export_of(db, d.account);
    cr_assert_str_eq(body_of(second), body_of(first), "the same export from the new database");
    key_for(db, d.account, key, sizeof(key));
    struct server m;
    start_on(&m, &srv, db);
    same_over_http(&srv, d.key, &m, key, &d);
    stop_second(&m);
    free(second);
    free(first);
    server_stop(&srv, true);
}

Test(transfer, moves_to_postgresql_and_back)
{
    const char *pg = getenv("KINSHIP_TEST_PG_URL");
    if (!pg || !*pg)
        cr_skip_test("KINSHIP_TEST_PG_URL is not set");
    struct server srv;
    server_start(&srv, NULL);
    struct data d;
    make_data(&srv, &d);
    char *first = export_of(srv.db, d.account);
    char file[400], moved[96], key[256];
    snprintf(file, sizeof(file), "%s/export.jsonl", srv.dir);
    cmd_write_file(file, first);
    unique_name(moved, sizeof(moved), "transfer-pg");
    import_into(pg, moved, file, false);
    char *second = export_of(pg, moved);
    cr_assert_str_eq(body_of(second), body_of(first), "the same export from PostgreSQL");
    key_for(pg, moved, key, sizeof(key));
    struct server m;
    start_on(&m, &srv, pg);
    same_over_http(&srv, d.key, &m, key, &d);
    stop_second(&m);

    /* And back into a fresh SQLite file. */
    char db[450];
    snprintf(file, sizeof(file), "%s/from-pg.jsonl", srv.dir);
    cmd_write_file(file, second);
    snprintf(db, sizeof(db), "sqlite:%s/back.db", srv.dir);
    import_into(db, d.account, file, true);
    char *third = export_of(db, d.account);
    cr_assert_str_eq(body_of(third), body_of(first), "the same export after the round trip");
    free(third);
    free(second);
    free(first);
    server_stop(&srv, true);
}

Test(transfer, what_is_not_an_export_is_refused_with_its_line_and_writes_nothing)
{
    struct server srv;
    server_start(&srv, NULL);
    static const char header[] = "{\"kind\":\"kinship-export\",\"version\":1,\"account\":\"x\"}\n";
    static const char customer[] =
        "{\"kind\":\"customer\",\"id\":\"01900000-0000-7000-8000-000000000001\","
        "\"createdAt\":\"2024-07-30T12:00:00.000Z\",\"updatedAt\":\"2024-07-30T12:00:00Z\","
        "\"legalName\":\"X\",\"taxStatus\":\"TAXED\",\"status\":\"ACTIVE\",\"address\":" ADDRESS
        ",\"contacts\":[" CONTACT "]}\n";
    char ok[2048];
    snprintf(ok, sizeof(ok), "%s%s", header, customer);
    struct {
        char text[4096];
        const char *want[2];
    } cases[] = {
        {"", {"empty"}},
        {"not json\n", {"line 1:", "not a JSON object"}},
        {"", {"line 1:", "header"}},
        {"{\"kind\":\"kinship-export\",\"version\":2}\n", {"line 1:", "version"}},
        {"", {"line 2:", "customer.id"}},
        {"", {"line 2:", "customer.createdAt"}},
        {"", {"line 2:", "unknown kind"}},
        {"", {"line 2:", "alias.customerId"}},
        {"", {"line 3:", "organization.memberIds[0]"}},
        {"", {"line 2:", "customer.taxStatus"}},
        /* What is imported is served: the API's rules for addresses and
         * contacts hold (Sequence's answers require these fields). */
        {"", {"line 2:", "customer.address.line1 is required"}},
        {"", {"line 2:", "customer.address.state is required"}},
        {"", {"line 2:", "customer.contacts[0].email is required"}},
        {"", {"line 2:", "customer.contacts[1].email is not a valid email"}},
        /* C1: a STANDARD contact receives billing mail, so a PRIMARY must be there */
        {"", {"line 2:", "customer.contacts: rule C1"}},
    };
    snprintf(cases[2].text, sizeof(cases[2].text), "%s", customer);
    snprintf(cases[4].text, sizeof(cases[4].text), "%s%s", header,
             "{\"kind\":\"customer\",\"id\":\"nope\"}\n");
    snprintf(cases[5].text, sizeof(cases[5].text), "%s%s", header,
             "{\"kind\":\"customer\",\"id\":\"01900000-0000-7000-8000-000000000001\","
             "\"createdAt\":\"2024-02-30T00:00:00Z\"}\n");
    snprintf(cases[6].text, sizeof(cases[6].text), "%s%s", header, "{\"kind\":\"invoice\"}\n");
    snprintf(cases[7].text, sizeof(cases[7].text), "%s%s", header,
             "{\"kind\":\"alias\",\"id\":\"01900000-0000-7000-8000-000000000002\","
             "\"customerId\":\"01900000-0000-7000-8000-000000000009\",\"value\":\"v\","
             "\"createdAt\":\"2024-07-30T12:00:00Z\"}\n");
    snprintf(cases[8].text, sizeof(cases[8].text), "%s%s", ok,
             "{\"kind\":\"organization\",\"id\":\"01900000-0000-7000-8000-000000000003\","
             "\"ownerId\":\"01900000-0000-7000-8000-000000000001\",\"memberIds\":[\"x\"],"
             "\"createdAt\":\"2024-07-30T12:00:00Z\"}\n");
    snprintf(
        cases[9].text, sizeof(cases[9].text), "%s%s", header,
        "{\"kind\":\"customer\",\"id\":\"01900000-0000-7000-8000-000000000001\","
        "\"createdAt\":\"2024-07-30T12:00:00.000Z\",\"updatedAt\":\"2024-07-30T12:00:00Z\","
        "\"legalName\":\"X\",\"taxStatus\":\"MAYBE\",\"status\":\"ACTIVE\",\"address\":" ADDRESS
        "}\n");
    static const char *const wrong[][2] = {
        {"{\"town\":\"Leeds\",\"postcode\":\"LS1 1AA\",\"country\":\"GB\"}", CONTACT},
        {"{\"line1\":\"1 Main St\",\"town\":\"Albany\",\"postcode\":\"12207\",\"country\":\"US\"}",
         CONTACT},
        {ADDRESS, "{\"id\":\"01900000-0000-7000-8000-0000000000b1\",\"name\":\"Ann\","
                  "\"billingPreference\":\"PRIMARY\",\"createdAt\":\"2024-07-30T12:00:00Z\","
                  "\"updatedAt\":\"2024-07-30T12:00:00Z\"}"},
        {ADDRESS,
         CONTACT ",{\"id\":\"01900000-0000-7000-8000-0000000000b2\",\"name\":\"Bo\","
                 "\"email\":\"not an address\",\"billingPreference\":\"NONE\","
                 "\"createdAt\":\"2024-07-30T12:00:00Z\",\"updatedAt\":\"2024-07-30T12:00:00Z\"}"},
        {ADDRESS, "{\"id\":\"01900000-0000-7000-8000-0000000000b3\",\"name\":\"Cy\","
                  "\"email\":\"cy@example.com\",\"billingPreference\":\"STANDARD\","
                  "\"createdAt\":\"2024-07-30T12:00:00Z\",\"updatedAt\":\"2024-07-30T12:00:00Z\"}"},
    };
    for (size_t i = 0; i < 5; i++)
        snprintf(
            cases[10 + i].text, sizeof(cases[10 + i].text),
            "%s{\"kind\":\"customer\",\"id\":\"01900000-0000-7000-8000-000000000001\","
            "\"createdAt\":\"2024-07-30T12:00:00.000Z\",\"updatedAt\":\"2024-07-30T12:00:00Z\","
            "\"legalName\":\"X\",\"taxStatus\":\"TAXED\",\"status\":\"ACTIVE\","
            "\"address\":%s,\"contacts\":[%s]}\n",
            header, wrong[i][0], wrong[i][1]);
    char file[400], names[20][96];
    snprintf(file, sizeof(file), "%s/input.jsonl", srv.dir);
    size_t n = sizeof(cases) / sizeof(*cases);
    for (size_t i = 0; i < n; i++) {
        cmd_write_file(file, cases[i].text);
        unique_name(names[i], sizeof(names[i]), "transfer-bad");
        const char *args[] = {"import", "--account", names[i], file, NULL};
        int st;
        char *err;
        free(run_db(args, srv.db, NULL, &st, &err));
        cr_assert_eq(st, 1, "case %zu fails: %s", i, err);
        for (int k = 0; k < 2 && cases[i].want[k]; k++)
            cr_assert(strstr(err, cases[i].want[k]), "case %zu says %s: %s", i, cases[i].want[k],
                      err);
        free(err);
    }
    /* The well-formed file is imported (the cases differ from it only where they say). */
    cmd_write_file(file, ok);
    char good[96];
    unique_name(good, sizeof(good), "transfer-good");
    import_into(srv.db, good, file, false);
    const char *list[] = {"accounts", "list", NULL};
    int st;
    char *out = run_db(list, srv.db, NULL, &st, NULL);
    cr_assert_eq(st, 0);
    for (size_t i = 0; i < n; i++)
        cr_assert_null(strstr(out, names[i]), "case %zu created no account", i);
    cr_assert(strstr(out, good));
    free(out);
    const char *unknown[] = {"export", "--account", "no-such-account-anywhere", NULL};
    char *err;
    free(run_db(unknown, srv.db, NULL, &st, &err));
    cr_assert_eq(st, 1);
    cr_assert(strstr(err, "no account named"), "%s", err);
    free(err);
    const char *usage[] = {"export", NULL};
    free(run_db(usage, srv.db, NULL, &st, NULL));
    cr_assert_eq(st, 2, "--account is required");
    server_stop(&srv, true);
}

/* The organizations of customer `id` in the answer `r` (an item of a list
 * page when `list`), as "id,id,..." (malloc'd). */
static char *org_ids_in(struct resp *r, bool list, const char *id)
{
    json_t *c = r->json;
    if (list) {
        json_t *items = json_object_get(r->json, "items");
        c = NULL;
        for (size_t i = 0; i < json_array_size(items) && !c; i++)
            if (strcmp(jstr(json_array_get(items, i), "id"), id) == 0)
                c = json_array_get(items, i);
        cr_assert(c, "%s is listed: %s", id, r->body);
    }
    return ids_of(json_object_get(c, "organizations"));
}

/*
 * A customer's contacts and organizations are shown oldest first, then by
 * id. Made through the API, ids and creation times agree; imported ones
 * need not, and the order must come from the times: here the newest has
 * the smallest id, and two share a time.
 */
Test(transfer, imported_contacts_and_organizations_are_shown_oldest_first_whatever_their_ids)
{
    struct server srv;
    server_start(&srv, NULL);
    /* Customer c0 is the member; c1-c4 own one organization each (a1-a4).
     * Names out of creation order, so that a list by name is out of id
     * order too. */
#define PREFIX "01900000-0000-7000-8000-0000000000"
    char text[8192];
    size_t n = (size_t)snprintf(text, sizeof(text),
                                "{\"kind\":\"kinship-export\",\"version\":1,\"account\":\"x\"}\n");
    static const char *const names[] = {"M", "D", "B", "E", "A"};
    /* The newest has the smallest id; 1 and 2 share a time. So for the
     * contacts b1-b4 of c0 (b3 archived) and the organizations a1-a4. */
    static const char *const times[] = {"2024-03-01", "2024-03-01", "2024-02-01", "2024-01-01"};
    char contacts[1024];
    size_t m = 0;
    for (int i = 1; i <= 4; i++)
        m += (size_t)snprintf(
            contacts + m, sizeof(contacts) - m,
            "%s{\"id\":\"" PREFIX "b%d\",\"name\":\"N\",\"email\":\"n@example.com\","
            "\"billingPreference\":\"%s\","
            "\"createdAt\":\"%sT00:00:00.000Z\",\"updatedAt\":\"%sT00:00:00Z\"%s}",
            i > 1 ? "," : "", i, i == 4 ? "PRIMARY" : "STANDARD", times[i - 1], times[i - 1],
            i == 3 ? ",\"archivedAt\":\"2024-04-01T00:00:00Z\"" : "");
    for (int i = 0; i < 5; i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n,
                              "{\"kind\":\"customer\",\"id\":\"" PREFIX "c%d\","
                              "\"createdAt\":\"2024-07-30T12:00:0%d.000Z\","
                              "\"updatedAt\":\"2024-07-30T12:00:00Z\",\"legalName\":\"%s\","
                              "\"taxStatus\":\"TAXED\",\"status\":\"ACTIVE\",\"address\":" ADDRESS
                              ","
                              "\"contacts\":[%s]}\n",
                              i, i, names[i], i == 0 ? contacts : "");
    for (int i = 1; i <= 4; i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n,
                              "{\"kind\":\"organization\",\"id\":\"" PREFIX "a%d\","
                              "\"ownerId\":\"" PREFIX "c%d\",\"memberIds\":[\"" PREFIX "c0\"],"
                              "\"createdAt\":\"%sT00:00:00.000Z\"}\n",
                              i, i, times[i - 1]);
    cr_assert(n < sizeof(text));
    char file[400], account[96], key[256];
    snprintf(file, sizeof(file), "%s/orgs.jsonl", srv.dir);
    cmd_write_file(file, text);
    unique_name(account, sizeof(account), "transfer-order");
    import_into(srv.db, account, file, false);
    key_for(srv.db, account, key, sizeof(key));

    const char *want = PREFIX "a4," PREFIX "a3," PREFIX "a1," PREFIX "a2";
    static const char *const paths[] = {
        "/customers/" PREFIX "c0",
        "/customers?limit=100",
        "/customers?limit=100&sortOrder=ASC",
        "/customers?limit=100&sortBy=legalName&sortOrder=ASC",
    };
    for (size_t i = 0; i < sizeof(paths) / sizeof(*paths); i++) {
        struct resp *r = req_as(&srv, key, "GET", paths[i], NULL, NULL);
        cr_assert_eq(r->status, 200, "%s: %s", paths[i], r->body);
        char *got = org_ids_in(r, i > 0, PREFIX "c0");
        cr_assert_str_eq(got, want, "%s", paths[i]);
        free(got);
        resp_free(r);
    }
    static const struct {
        const char *path, *key, *want;
    } lists[] = {
        {"/customers/" PREFIX "c0", "contacts", PREFIX "b4," PREFIX "b1," PREFIX "b2"},
        {"/customers/" PREFIX "c0/contacts", "items", PREFIX "b4," PREFIX "b1," PREFIX "b2"},
        {"/customers/" PREFIX "c0/contacts?includeArchived=true", "items",
         PREFIX "b4," PREFIX "b3," PREFIX "b1," PREFIX "b2"},
    };
    for (size_t i = 0; i < sizeof(lists) / sizeof(*lists); i++) {
        struct resp *r = req_as(&srv, key, "GET", lists[i].path, NULL, NULL);
        cr_assert_eq(r->status, 200, "%s: %s", lists[i].path, r->body);
        json_t *arr = json_object_get(r->json, lists[i].key);
        char *got = ids_of(arr);
        cr_assert_str_eq(got, lists[i].want, "%s: %s", lists[i].path, r->body);
        free(got);
        resp_free(r);
    }
#undef PREFIX
    server_stop(&srv, true);
}

/* ---- the organization rules on import ---------------------------- */

/* Customer i of case k: a UUIDv7 of its own. */
static void case_id(char out[40], int k, int i)
{
    snprintf(out, 40, "01900000-%04x-7000-8000-%012x", k, i);
}

/* Appends a customer line; archived: its archivedAt, or NULL. */
static size_t put_customer(char *text, size_t cap, size_t n, const char *id, const char *archived)
{
    char arch[80] = "";
    if (archived)
        snprintf(arch, sizeof(arch), ",\"archivedAt\":\"%s\"", archived);
    return n + (size_t)snprintf(text + n, cap - n,
                                "{\"kind\":\"customer\",\"id\":\"%s\","
                                "\"createdAt\":\"2024-01-01T00:00:00.000Z\","
                                "\"updatedAt\":\"2024-01-01T00:00:00.000Z\"%s,"
                                "\"legalName\":\"Rule Co\",\"taxStatus\":\"TAXED\","
                                "\"status\":\"ACTIVE\",\"address\":" ADDRESS "}\n",
                                id, arch);
}

/* Appends an organization line: id, owner, members (a JSON list's inside). */
static size_t put_org(char *text, size_t cap, size_t n, const char *id, const char *owner,
                      const char *members)
{
    return n + (size_t)snprintf(text + n, cap - n,
                                "{\"kind\":\"organization\",\"id\":\"%s\",\"ownerId\":\"%s\","
                                "\"memberIds\":[%s],\"createdAt\":\"2024-07-30T12:00:00.000Z\"}\n",
                                id, owner, members);
}

/*
 * An import that breaks an organization rule fails whole, names the rule
 * and the ids at fault, and changes nothing: the account it was imported
 * into exports the same before and after, and serves the same. A member
 * archived after its organization was made is what R9 keeps: that imports.
 */
Test(transfer, imports_that_break_an_organization_rule_fail_whole_and_change_nothing)
{
    struct server srv;
    server_start(&srv, NULL);
    struct data d;
    make_data(&srv, &d); /* the account imported into, and another one's customers */
    char other[96];
    unique_name(other, sizeof(other), "transfer-rules-other");
    char *base = export_of(srv.db, d.account);
    char file[400];
    snprintf(file, sizeof(file), "%s/base.jsonl", srv.dir);
    cmd_write_file(file, base);
    import_into(srv.db, other, file, false); /* into `other`: same ids, another account */
    free(base);
    char *before = export_of(srv.db, d.account);
    struct resp *get_before = req_as(&srv, d.key, "GET", "/customer-organizations", NULL, NULL);

    enum { TWO_CYCLE, THREE_CYCLE, OWNER_MEMBER, ARCHIVED, FOREIGN, SECOND_ORG, TWICE, N_CASES };
    static const char *const want[N_CASES][3] = {
        [TWO_CYCLE] = {"R6", "HierarchyCycle", "below itself"},
        [THREE_CYCLE] = {"R6", "HierarchyCycle", "below itself"},
        [OWNER_MEMBER] = {"R3", "owner is listed among its own members", NULL},
        [ARCHIVED] = {"R5", "CustomerArchived", NULL},
        [FOREIGN] = {"organization.memberIds[0]", "no customer with this id in the file", NULL},
        [SECOND_ORG] = {"R1", "OrganizationAlreadyExists", NULL},
        [TWICE] = {"R4", "more than once", NULL},
    };
    for (int k = 0; k < N_CASES; k++) {
        char text[8192], c[4][40], o[3][40], m[3][128];
        size_t n = (size_t)snprintf(
            text, sizeof(text), "{\"kind\":\"kinship-export\",\"version\":1,\"account\":\"x\"}\n");
        for (int i = 0; i < 4; i++) {
            case_id(c[i], 0x100 + k, i + 1);
            n = put_customer(text, sizeof(text), n, c[i],
                             k == ARCHIVED && i == 1 ? "2024-02-01T00:00:00.000Z" : NULL);
        }
        for (int i = 0; i < 3; i++)
            case_id(o[i], 0x100 + k, 0x10 + i);
        /* The id at fault, that the message must list. */
        const char *culprit = c[0];
        switch (k) {
        case TWO_CYCLE: /* c0 -> c1 -> c0 */
            snprintf(m[0], sizeof(m[0]), "\"%s\"", c[1]);
            snprintf(m[1], sizeof(m[1]), "\"%s\"", c[0]);
            n = put_org(text, sizeof(text), n, o[0], c[0], m[0]);
            n = put_org(text, sizeof(text), n, o[1], c[1], m[1]);
            break;
        case THREE_CYCLE: /* c0 -> c1 -> c2 -> c0 */
            for (int i = 0; i < 3; i++) {
                snprintf(m[i], sizeof(m[i]), "\"%s\"", c[(i + 1) % 3]);
                n = put_org(text, sizeof(text), n, o[i], c[i], m[i]);
            }
            break;
        case OWNER_MEMBER:
            snprintf(m[0], sizeof(m[0]), "\"%s\",\"%s\"", c[1], c[0]);
            n = put_org(text, sizeof(text), n, o[0], c[0], m[0]);
            break;
        case ARCHIVED: /* c1 archived in February, the organization made in July */
            snprintf(m[0], sizeof(m[0]), "\"%s\",\"%s\"", c[2], c[1]);
            n = put_org(text, sizeof(text), n, o[0], c[0], m[0]);
            culprit = c[1];
            break;
        case FOREIGN: /* a customer of `other`, not of this file */
            snprintf(m[0], sizeof(m[0]), "\"%s\"", d.c[2]);
            n = put_org(text, sizeof(text), n, o[0], c[0], m[0]);
            culprit = NULL;
            break;
        case SECOND_ORG:
            snprintf(m[0], sizeof(m[0]), "\"%s\"", c[1]);
            snprintf(m[1], sizeof(m[1]), "\"%s\"", c[2]);
            n = put_org(text, sizeof(text), n, o[0], c[0], m[0]);
            n = put_org(text, sizeof(text), n, o[1], c[0], m[1]);
            culprit = o[0]; /* the organization it owns already */
            break;
        case TWICE:
            snprintf(m[0], sizeof(m[0]), "\"%s\",\"%s\",\"%s\"", c[1], c[2], c[1]);
            n = put_org(text, sizeof(text), n, o[0], c[0], m[0]);
            culprit = c[1];
            break;
        }
        cr_assert(n < sizeof(text));
        snprintf(file, sizeof(file), "%s/rules-%d.jsonl", srv.dir, k);
        cmd_write_file(file, text);
        const char *args[] = {"import", "--account", d.account, file, NULL};
        int st;
        char *err;
        free(run_db(args, srv.db, NULL, &st, &err));
        cr_assert_eq(st, 1, "case %d fails: %s", k, err);
        /* The file's own check comes before any write; the rules, inside it. */
        cr_assert(k == FOREIGN || strstr(err, "nothing was imported"), "case %d: %s", k, err);
        for (int w = 0; w < 3 && want[k][w]; w++)
            cr_assert(strstr(err, want[k][w]), "case %d says %s: %s", k, want[k][w], err);
        if (culprit)
            cr_assert(strstr(err, culprit), "case %d names %s: %s", k, culprit, err);
        free(err);
        char *after = export_of(srv.db, d.account);
        cr_assert_str_eq(body_of(after), body_of(before), "case %d changed nothing", k);
        free(after);
        struct resp *get_after = req_as(&srv, d.key, "GET", "/customer-organizations", NULL, NULL);
        cr_assert(json_equal(get_before->json, get_after->json), "case %d: %s", k, get_after->body);
        resp_free(get_after);
    }

    /* Archived in August, after the organization was made in July: a
     * membership R9 keeps, as an export of it holds. It imports. */
    char text[4096], c[2][40], o[40], m[64];
    size_t n = (size_t)snprintf(text, sizeof(text),
                                "{\"kind\":\"kinship-export\",\"version\":1,\"account\":\"x\"}\n");
    case_id(c[0], 0x200, 1);
    case_id(c[1], 0x200, 2);
    case_id(o, 0x200, 3);
    n = put_customer(text, sizeof(text), n, c[0], NULL);
    n = put_customer(text, sizeof(text), n, c[1], "2024-08-01T00:00:00.000Z");
    snprintf(m, sizeof(m), "\"%s\"", c[1]);
    put_org(text, sizeof(text), n, o, c[0], m);
    snprintf(file, sizeof(file), "%s/rules-kept.jsonl", srv.dir);
    cmd_write_file(file, text);
    char kept[96];
    unique_name(kept, sizeof(kept), "transfer-rules-kept");
    import_into(srv.db, kept, file, false);
    resp_free(get_before);
    free(before);
    server_stop(&srv, true);
}

/* R11 holds in an import too: with max_depth 2, a chain three levels deep
 * (c0 owns c1, c1 owns c2, c2 owns c3) fails at the organization that
 * would put c3 at depth 3, and nothing is written. */
Test(transfer, an_import_deeper_than_max_depth_fails_whole)
{
    struct server srv;
    server_start(&srv, NULL);
    char text[4096], c[4][40], o[3][40], m[3][64];
    size_t n = (size_t)snprintf(text, sizeof(text),
                                "{\"kind\":\"kinship-export\",\"version\":1,\"account\":\"x\"}\n");
    for (int i = 0; i < 4; i++) {
        case_id(c[i], 0x200, i + 1);
        n = put_customer(text, sizeof(text), n, c[i], NULL);
    }
    for (int i = 0; i < 3; i++) {
        case_id(o[i], 0x200, 0x10 + i);
        snprintf(m[i], sizeof(m[i]), "\"%s\"", c[i + 1]);
        n = put_org(text, sizeof(text), n, o[i], c[i], m[i]);
    }
    char file[400], name[96];
    snprintf(file, sizeof(file), "%s/deep.jsonl", srv.dir);
    cmd_write_file(file, text);
    unique_name(name, sizeof(name), "transfer-deep");
    const char *args[] = {"import", "--account", name, file, NULL};
    int st;
    char *err;
    setenv("KINSHIP_MAX_DEPTH", "2", 1);
    free(run_db(args, srv.db, NULL, &st, &err));
    unsetenv("KINSHIP_MAX_DEPTH");
    cr_assert_eq(st, 1, "%s", err);
    cr_assert(strstr(err, "R11") && strstr(err, "line 8:") && strstr(err, c[3]), "%s", err);
    free(err);
    const char *list[] = {"accounts", "list", NULL};
    char *out = run_db(list, srv.db, NULL, &st, NULL);
    cr_assert(!strstr(out, name), "nothing written, not even the account: %s", out);
    free(out);
    /* with the default limit (64) the same file imports */
    import_into(srv.db, name, file, false);
    server_stop(&srv, true);
}
