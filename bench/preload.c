/*
 * bench/preload.c: the benchmark's data generator. It writes straight into
 * kinship's schema (SQLite or PostgreSQL), with rows exactly as kinship
 * itself writes them (src/store/sqlite/, src/store/pg/):
 * ids are lowercase UUIDv7 text whose time is the row's created_at, times
 * are milliseconds since the epoch, enums hold the API names, integrations
 * are compact JSON text ([{"service":"Stripe","id":"..."}]) or NULL, every
 * customer has exactly one PRIMARY contact, member positions count from 1.
 *
 * The schema must exist already (run `kinship migrate --db URL` first); the
 * API key is made afterwards with `kinship keys create --account NAME`,
 * which finds the account this program created.
 *
 *   preload --db URL --account NAME --out DIR [--customers N] [--orgs M]
 *           [--big-org K] [--seed S]
 *       The preload: N customers (with contacts, some with a second contact,
 *       custom properties, integrations), M organizations of which one has
 *       K members and the rest 1-5 (a few nested one level), all in one
 *       transaction. Writes DIR/account.id, DIR/customers.ids (up to 100,000
 *       customers, spread over the whole table, none a member of the big
 *       organization), DIR/orgs.ids (the organizations but the big one, up
 *       to 100,000) and DIR/big_org.id.
 *
 *   preload --db URL --account NAME --pool N --out FILE
 *       N fresh customers that belong to no organization, ids appended to
 *       FILE, one a line (the write cases hand them out).
 *
 *   preload --db URL --account NAME --pgbench-pool N
 *       N fresh customers whose ids are 0b000000-0000-7000-8000-%012x for
 *       0..N-1 (PostgreSQL only): bench/pgbench_org.sql computes them.
 *
 * Speed: one transaction, prepared statements (SQLite, synchronous=OFF on
 * this connection only: it is setup) or COPY (PostgreSQL, then VACUUM
 * ANALYZE). Data is a pure function of the row number and the seed, so each
 * table is written in one pass and nothing large is held in memory.
 */
#define _GNU_SOURCE
#include <libpq-fe.h>
#include <sqlite3.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ID_LEN 36
#define SAMPLE_MAX 100000
#define PGBENCH_ID_FMT "0b000000-0000-7000-8000-%012" PRIx64

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("preload: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- deterministic randomness ---- */

static uint64_t seed = 0x6b696e73686970ULL;

static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* A random 64-bit value for (row, purpose). */
static uint64_t H(uint64_t i, uint64_t salt)
{
    return mix(mix(i ^ seed) ^ (salt * 0xd6e8feb86659fd93ULL));
}

/* ---- ids: the layout of src/core/id.c ---- */

static void uuid7(int64_t ms, unsigned seq, uint64_t r, char out[ID_LEN + 1])
{
    uint8_t b[16];
    for (int i = 0; i < 6; i++)
        b[i] = (uint8_t)((uint64_t)ms >> (40 - 8 * i));
    b[6] = (uint8_t)(0x70 | ((seq >> 8) & 0x0f));
    b[7] = (uint8_t)seq;
    b[8] = (uint8_t)(0x80 | (r & 0x3f));
    for (int i = 0; i < 7; i++)
        b[9 + i] = (uint8_t)(r >> (8 + 8 * i));
    static const char hex[] = "0123456789abcdef";
    char *o = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *o++ = '-';
        *o++ = hex[b[i] >> 4];
        *o++ = hex[b[i] & 15];
    }
    *o = '\0';
}

/* Monotonic ids for rows made "now" (pool mode, the account), as kinship's
 * id_new: a random 11-bit counter start each new ms, bumped within it. */
static int64_t mono_ms;
static unsigned mono_seq;
static uint64_t mono_n;

static int64_t id_now(char out[ID_LEN + 1])
{
    int64_t ms = now_ms();
    uint64_t r = H(mono_n++, 77);
    if (ms > mono_ms) {
        mono_ms = ms;
        mono_seq = (unsigned)(r >> 52) & 0x7ff;
    } else if (++mono_seq > 0xfff) {
        mono_ms++;
        mono_seq = 0;
    }
    uuid7(mono_ms, mono_seq, r, out);
    return mono_ms;
}

/* ---- values and sinks ---- */

enum vtype { V_NULL, V_TEXT, V_INT };

struct val {
    enum vtype t;
    const char *s;
    int64_t i;
};

static inline struct val txt_val(const char *s)
{
    return (struct val){.t = s ? V_TEXT : V_NULL, .s = s};
}

#define TXT(x) txt_val(x)
#define INT(x) ((struct val){.t = V_INT, .i = (x)})
#define TIME(x) ((struct val){.t = (x) ? V_INT : V_NULL, .i = (x)})

enum table { T_CUSTOMERS, T_CONTACTS, T_PROPS, T_ORGS, T_MEMBERS, T__COUNT };

static const char *const table_name[T__COUNT] = {"customers", "contacts", "customer_properties",
                                                 "organizations", "organization_members"};
static const char *const table_cols[T__COUNT] = {
    "account_id, id, legal_name, url, label, tax_status, status, line1, line2, town, state, "
    "postcode, country, integrations, created_at, updated_at, archived_at",
    "account_id, customer_id, id, name, email, billing_preference, created_at, updated_at, "
    "archived_at",
    "account_id, customer_id, key, value",
    "account_id, id, owner_id, created_at",
    "account_id, organization_id, customer_id, position",
};
static const int table_ncols[T__COUNT] = {17, 9, 4, 4, 4};

struct db {
    bool pg;
    sqlite3 *lite;
    sqlite3_stmt *ins[T__COUNT];
    PGconn *conn;
    char *buf; /* COPY data waiting to be sent */
    size_t len, cap;
    int table; /* the table being copied, -1: none */
    uint64_t rows[T__COUNT];
};

static void lite_check(struct db *d, int rc, const char *what)
{
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
        die("sqlite: %s: %s", what, sqlite3_errmsg(d->lite));
}

static void lite_exec(struct db *d, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(d->lite, sql, NULL, NULL, &err) != SQLITE_OK)
        die("sqlite: %s: %s", sql, err ? err : "?");
}

static PGresult *pg_exec(struct db *d, const char *sql, int n, const char *const *params)
{
    PGresult *r = PQexecParams(d->conn, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        die("postgresql: %s: %s", sql, PQerrorMessage(d->conn));
    return r;
}

static void db_open(struct db *d, const char *url)
{
    memset(d, 0, sizeof(*d));
    d->table = -1;
    if (strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0) {
        d->pg = true;
        d->conn = PQconnectdb(url);
        if (PQstatus(d->conn) != CONNECTION_OK)
            die("postgresql: %s", PQerrorMessage(d->conn));
        PQclear(pg_exec(d, "SET synchronous_commit = off", 0, NULL));
        d->cap = 1 << 20;
        d->buf = malloc(d->cap);
        if (!d->buf)
            die("out of memory");
        return;
    }
    const char *path = strncmp(url, "sqlite:", 7) == 0 ? url + 7 : url;
    if (sqlite3_open_v2(path, &d->lite, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        die("sqlite: cannot open %s (run `kinship migrate --db %s` first)", path, url);
    sqlite3_busy_timeout(d->lite, 30000);
    /* Setup only: the load need not survive a power cut. kinship's own
     * connections keep synchronous=FULL. */
    lite_exec(d, "PRAGMA synchronous=OFF; PRAGMA cache_size=-262144; PRAGMA temp_store=MEMORY;");
    for (int t = 0; t < T__COUNT; t++) {
        char sql[512];
        int n = snprintf(sql, sizeof(sql), "INSERT INTO %s (%s) VALUES (", table_name[t],
                         table_cols[t]);
        for (int c = 0; c < table_ncols[t]; c++)
            n += snprintf(sql + n, sizeof(sql) - (size_t)n, "%s?%d", c ? ", " : "", c + 1);
        snprintf(sql + n, sizeof(sql) - (size_t)n, ")");
        lite_check(
            d, sqlite3_prepare_v3(d->lite, sql, -1, SQLITE_PREPARE_PERSISTENT, &d->ins[t], NULL),
            sql);
    }
}

static void db_begin(struct db *d)
{
    if (d->pg)
        PQclear(pg_exec(d, "BEGIN", 0, NULL));
    else
        lite_exec(d, "BEGIN IMMEDIATE");
}

static void pg_flush(struct db *d)
{
    if (d->len && PQputCopyData(d->conn, d->buf, (int)d->len) != 1)
        die("postgresql: COPY: %s", PQerrorMessage(d->conn));
    d->len = 0;
}

static void pg_put(struct db *d, const char *s, size_t n)
{
    if (d->len + n > d->cap)
        pg_flush(d);
    memcpy(d->buf + d->len, s, n);
    d->len += n;
}

/* Starts writing rows of `t` (a COPY for PostgreSQL). */
static void table_start(struct db *d, enum table t)
{
    if (!d->pg)
        return;
    char sql[512];
    snprintf(sql, sizeof(sql), "COPY %s (%s) FROM STDIN", table_name[t], table_cols[t]);
    PGresult *r = PQexec(d->conn, sql);
    if (PQresultStatus(r) != PGRES_COPY_IN)
        die("postgresql: %s: %s", sql, PQerrorMessage(d->conn));
    PQclear(r);
    d->table = (int)t;
}

static void table_end(struct db *d)
{
    if (!d->pg || d->table < 0)
        return;
    pg_flush(d);
    if (PQputCopyEnd(d->conn, NULL) != 1)
        die("postgresql: COPY end: %s", PQerrorMessage(d->conn));
    PGresult *r;
    while ((r = PQgetResult(d->conn))) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            die("postgresql: COPY %s: %s", table_name[d->table], PQerrorMessage(d->conn));
        PQclear(r);
    }
    d->table = -1;
}

static void row(struct db *d, enum table t, const struct val *v)
{
    int n = table_ncols[t];
    d->rows[t]++;
    if (d->pg) {
        /* COPY text format. The generated values hold no tab, newline or
         * backslash, so none needs escaping. */
        char num[24];
        for (int c = 0; c < n; c++) {
            if (c)
                pg_put(d, "\t", 1);
            if (v[c].t == V_NULL)
                pg_put(d, "\\N", 2);
            else if (v[c].t == V_INT)
                pg_put(d, num, (size_t)snprintf(num, sizeof(num), "%" PRId64, v[c].i));
            else
                pg_put(d, v[c].s, strlen(v[c].s));
        }
        pg_put(d, "\n", 1);
        return;
    }
    sqlite3_stmt *st = d->ins[t];
    for (int c = 0; c < n; c++) {
        int rc = v[c].t == V_NULL  ? sqlite3_bind_null(st, c + 1)
                 : v[c].t == V_INT ? sqlite3_bind_int64(st, c + 1, v[c].i)
                                   : sqlite3_bind_text(st, c + 1, v[c].s, -1, SQLITE_STATIC);
        lite_check(d, rc, "bind");
    }
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        die("sqlite: insert into %s: %s", table_name[t], sqlite3_errmsg(d->lite));
    sqlite3_reset(st);
}

static void db_commit(struct db *d)
{
    if (d->pg) {
        PQclear(pg_exec(d, "COMMIT", 0, NULL));
        return;
    }
    lite_exec(d, "COMMIT");
}

/* After a load: fresh statistics (PostgreSQL; what autovacuum would reach
 * soon after) and no WAL left over for the server (SQLite). */
static void db_settle(struct db *d, bool big)
{
    if (d->pg) {
        for (int t = 0; t < T__COUNT; t++) {
            char sql[128];
            snprintf(sql, sizeof(sql), "VACUUM (ANALYZE) %s", table_name[t]);
            PQclear(pg_exec(d, sql, 0, NULL));
        }
        return;
    }
    if (big)
        lite_exec(d, "PRAGMA wal_checkpoint(TRUNCATE)");
}

static void db_close(struct db *d)
{
    if (d->pg) {
        PQfinish(d->conn);
        free(d->buf);
        return;
    }
    for (int t = 0; t < T__COUNT; t++)
        sqlite3_finalize(d->ins[t]);
    sqlite3_close(d->lite);
}

/* The account's id, creating the account (as kinship's account_ensure)
 * when it is new. */
static void account_ensure(struct db *d, const char *name, char id[ID_LEN + 1])
{
    char nid[ID_LEN + 1];
    int64_t at = id_now(nid);
    if (d->pg) {
        char ats[24];
        snprintf(ats, sizeof(ats), "%" PRId64, at);
        const char *p[3] = {nid, name, ats};
        PGresult *r =
            pg_exec(d,
                    "WITH ins AS (INSERT INTO accounts (id, name, created_at)"
                    " VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING RETURNING id)"
                    " SELECT id FROM ins UNION ALL SELECT id FROM accounts WHERE name = $2",
                    3, p);
        if (PQntuples(r) < 1)
            die("postgresql: no account %s", name);
        snprintf(id, ID_LEN + 1, "%s", PQgetvalue(r, 0, 0));
        PQclear(r);
        return;
    }
    sqlite3_stmt *st;
    lite_check(
        d, sqlite3_prepare_v2(d->lite, "SELECT id FROM accounts WHERE name = ?1", -1, &st, NULL),
        "prepare");
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        snprintf(id, ID_LEN + 1, "%s", (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
        return;
    }
    lite_check(d, rc, "select account");
    sqlite3_finalize(st);
    lite_check(d,
               sqlite3_prepare_v2(d->lite,
                                  "INSERT INTO accounts (id, name, created_at) VALUES (?1, ?2, ?3)",
                                  -1, &st, NULL),
               "prepare");
    sqlite3_bind_text(st, 1, nid, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, at);
    lite_check(d, sqlite3_step(st), "insert account");
    sqlite3_finalize(st);
    memcpy(id, nid, ID_LEN + 1);
}

static int64_t account_customers(struct db *d, const char *account)
{
    int64_t n = 0;
    if (d->pg) {
        const char *p[1] = {account};
        PGresult *r = pg_exec(
            d, "SELECT count(*) FROM (SELECT 1 FROM customers WHERE account_id = $1 LIMIT 1) x", 1,
            p);
        n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        PQclear(r);
        return n;
    }
    sqlite3_stmt *st;
    lite_check(d,
               sqlite3_prepare_v2(d->lite,
                                  "SELECT count(*) FROM (SELECT 1 FROM customers "
                                  "WHERE account_id = ?1 LIMIT 1)",
                                  -1, &st, NULL),
               "prepare");
    sqlite3_bind_text(st, 1, account, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* ---- what a customer looks like ---- */

static const char *const words1[] = {"Acme",    "Blue",   "Cedar", "Delta",   "Ember",   "Falcon",
                                     "Granite", "Harbor", "Iris",  "Juniper", "Kestrel", "Lumen",
                                     "Maple",   "Nimbus", "Orbit", "Pioneer", "Quartz",  "Redwood",
                                     "Summit",  "Tidal",  "Umbra", "Vertex",  "Willow",  "Zenith"};
static const char *const words2[] = {"Analytics", "Logistics", "Software", "Health", "Capital",
                                     "Foods",     "Energy",    "Robotics", "Media",  "Labs",
                                     "Systems",   "Retail",    "Ventures", "Studios"};
static const char *const suffixes[] = {"Ltd", "Inc.", "GmbH", "SAS", "B.V.", "LLC", "plc"};
static const char *const first_names[] = {"Ann",  "Ben",  "Chloe", "Dev",  "Eva", "Finn",
                                          "Gita", "Hugo", "Ines",  "Jon",  "Kai", "Lena",
                                          "Mo",   "Nia",  "Omar",  "Priya"};
static const char *const streets[] = {"High Street", "Main St",     "Station Road", "Market Square",
                                      "Church Lane", "Park Avenue", "Mill Road",    "King Street"};

struct place {
    const char *country, *town, *state, *postcode;
};
static const struct place places[] = {
    {"GB", "London", NULL, "EC1A 1AA"}, {"GB", "Manchester", NULL, "M1 1AE"},
    {"GB", "Leeds", NULL, "LS1 4AP"},   {"US", "New York", "NY", "10001"},
    {"US", "Austin", "TX", "73301"},    {"US", "San Francisco", "CA", "94103"},
    {"DE", "Berlin", NULL, "10115"},    {"FR", "Paris", NULL, "75001"},
    {"NL", "Amsterdam", NULL, "1011"},  {"IE", "Dublin", NULL, "D02"},
    {"CA", "Toronto", "ON", "M5H 2N2"}, {"AU", "Sydney", NULL, "2000"}};
static const char *const labels[] = {"Enterprise", "Partner", "Self-serve"};
static const char *const segments[] = {"smb", "mid-market", "enterprise"};
static const char *const regions[] = {"emea", "amer", "apac"};

#define N_OF(a) (sizeof(a) / sizeof(*(a)))

struct customer_row {
    char id[ID_LEN + 1];
    char name[96], url[96], line1[64], slug[64];
    char integrations[160];
    const char *label, *tax, *status, *line2;
    const struct place *place;
    int64_t created_at, archived_at;
    unsigned seq;
    uint64_t h;
};

/* The layout of the preload. */
struct plan {
    uint64_t n_customers, n_orgs, big; /* big: members of org 0 (0: none) */
    int64_t base_ms, step_ms, orgs_ms;
    uint64_t perm_a, perm_b;
    uint32_t *q_of;      /* customer index -> role position */
    uint64_t *org_start; /* role position of org j's owner */
    uint32_t *org_members;
    uint64_t used; /* role positions taken by organizations */
};

static uint64_t perm(const struct plan *p, uint64_t q)
{
    return (uint64_t)(((unsigned __int128)q * p->perm_a + p->perm_b) % p->n_customers);
}

static void customer_make(const struct plan *p, uint64_t i, bool standalone, struct customer_row *c)
{
    uint64_t h = H(i, 1);
    c->h = h;
    c->created_at = p->base_ms + (int64_t)i * p->step_ms;
    c->seq = (unsigned)(h >> 53) & 0x7ff; /* room for the contacts' +1, +2 */
    uuid7(c->created_at, c->seq, H(i, 2), c->id);
    const char *w1 = words1[h % N_OF(words1)], *w2 = words2[(h >> 8) % N_OF(words2)];
    const char *sfx = suffixes[(h >> 16) % N_OF(suffixes)];
    snprintf(c->name, sizeof(c->name), "%s %s %" PRIu64 " %s", w1, w2, i, sfx);
    snprintf(c->slug, sizeof(c->slug), "%c%s%" PRIu64, w1[0] | 0x20, w1 + 1, i);
    for (char *s = c->slug; *s; s++)
        *s = (char)(*s | 0x20);
    if ((h >> 20) % 2 == 0)
        snprintf(c->url, sizeof(c->url), "https://%s.example.com", c->slug);
    else
        c->url[0] = '\0';
    unsigned lab = (h >> 24) % 8;
    c->label = lab < N_OF(labels) ? labels[lab] : NULL;
    unsigned tax = (h >> 28) % 20;
    c->tax = tax < 16 ? "TAXED" : tax < 19 ? "TAX_EXEMPT" : "REVERSE_CHARGED";
    c->status = (h >> 33) % 20 == 0 ? "DRAFT" : "ACTIVE";
    c->place = &places[(h >> 38) % N_OF(places)];
    snprintf(c->line1, sizeof(c->line1), "%u %s", (unsigned)((h >> 42) % 400) + 1,
             streets[(h >> 50) % N_OF(streets)]);
    c->line2 = (h >> 54) % 5 == 0 ? "Floor 2" : NULL;
    unsigned integ = (h >> 57) % 16;
    if (integ == 0)
        snprintf(c->integrations, sizeof(c->integrations),
                 "[{\"service\":\"Stripe\",\"id\":\"cus_%012" PRIx64
                 "\"},{\"service\":\"Xero\",\"id\":\"%08" PRIx64 "\"}]",
                 (uint64_t)(H(i, 3) & 0xffffffffffffULL), (uint64_t)(H(i, 4) & 0xffffffffULL));
    else if (integ < 3)
        snprintf(c->integrations, sizeof(c->integrations),
                 "[{\"service\":\"Stripe\",\"id\":\"cus_%012" PRIx64 "\"}]",
                 (uint64_t)(H(i, 3) & 0xffffffffffffULL));
    else
        c->integrations[0] = '\0';
    /* A few standalone customers are archived, a day after they came. */
    c->archived_at = standalone && H(i, 5) % 200 == 0 ? c->created_at + 86400000 : 0;
}

static void customer_emit(struct db *d, const char *account, const struct customer_row *c)
{
    /* Archiving sets archived_at only (Q_CUSTOMER_ARCHIVE): updated_at
     * stays the creation time. */
    int64_t updated = c->created_at;
    struct val v[17] = {
        TXT(account),           TXT(c->id),
        TXT(c->name),           TXT(c->url[0] ? c->url : NULL),
        TXT(c->label),          TXT(c->tax),
        TXT(c->status),         TXT(c->line1),
        TXT(c->line2),          TXT(c->place->town),
        TXT(c->place->state),   TXT(c->place->postcode),
        TXT(c->place->country), TXT(c->integrations[0] ? c->integrations : NULL),
        INT(c->created_at),     INT(updated),
        TIME(c->archived_at),
    };
    row(d, T_CUSTOMERS, v);
}

static void contacts_emit(struct db *d, const char *account, const struct customer_row *c)
{
    char id[ID_LEN + 1], name[48], email[96];
    const char *fn = first_names[(c->h >> 4) % N_OF(first_names)];
    uuid7(c->created_at, c->seq + 1, H(c->h, 6), id);
    snprintf(email, sizeof(email), "billing@%s.example.com", c->slug);
    snprintf(name, sizeof(name), "%s Accounts", fn);
    /* Archiving a customer leaves its contacts as they were. */
    struct val v[9] = {TXT(account),       TXT(c->id),         TXT(id),
                       TXT(name),          TXT(email),         TXT("PRIMARY"),
                       INT(c->created_at), INT(c->created_at), TIME(0)};
    row(d, T_CONTACTS, v);
    if ((c->h >> 12) % 10 == 0) {
        uuid7(c->created_at, c->seq + 2, H(c->h, 7), id);
        snprintf(email, sizeof(email), "%c%s@%s.example.com", fn[0] | 0x20, fn + 1, c->slug);
        v[2] = TXT(id);
        v[3] = TXT(fn);
        v[5] = TXT("STANDARD");
        row(d, T_CONTACTS, v);
    }
}

static void props_emit(struct db *d, const char *account, const struct customer_row *c)
{
    /* Keys in the order kinship inserts them (sorted). */
    if ((c->h >> 36) % 7 == 0) {
        struct val v[4] = {TXT(account), TXT(c->id), TXT("region"),
                           TXT(regions[(c->h >> 40) % N_OF(regions)])};
        row(d, T_PROPS, v);
    }
    if ((c->h >> 44) % 5 == 0) {
        struct val v[4] = {TXT(account), TXT(c->id), TXT("segment"),
                           TXT(segments[(c->h >> 48) % N_OF(segments)])};
        row(d, T_PROPS, v);
    }
}

/* ---- the preload ---- */

static uint64_t gcd(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static void plan_make(struct plan *p, uint64_t customers, uint64_t orgs, uint64_t big)
{
    memset(p, 0, sizeof(*p));
    p->n_customers = customers;
    p->n_orgs = orgs;
    p->big = orgs ? big : 0;
    if (!customers)
        die("--customers must be at least 1");
    /* Role positions: the big organization first (owner, members), then
     * the other organizations' blocks (owner, 1-5 members), then customers
     * in no organization. A bijection scatters them over creation time. */
    p->org_start = calloc(orgs ? orgs : 1, sizeof(*p->org_start));
    p->org_members = calloc(orgs ? orgs : 1, sizeof(*p->org_members));
    if (!p->org_start || !p->org_members)
        die("out of memory");
    uint64_t q = 0;
    for (uint64_t j = 0; j < orgs; j++) {
        p->org_start[j] = q;
        p->org_members[j] = j == 0 && p->big ? (uint32_t)p->big : 1 + (uint32_t)(H(j, 11) % 5);
        q += 1 + p->org_members[j];
    }
    p->used = q;
    if (q > customers)
        die("%" PRIu64 " organizations need %" PRIu64 " customers; --customers is %" PRIu64, orgs,
            q, customers);
    /* A multiplier near n/phi, coprime with n: consecutive role positions
     * land far apart. (1000003 was used before; it is 3 modulo 10,000 and
     * 1,000,000, which put the big organization's members on every third
     * customer of one stretch, and list pages there named 33 of them.) */
    p->perm_a = (uint64_t)((double)customers * 0.6180339887498949) | 1;
    while (gcd(p->perm_a, customers) != 1)
        p->perm_a++;
    p->perm_a %= customers;
    if (!p->perm_a)
        p->perm_a = 1;
    p->perm_b = H(0, 12) % customers;
    p->q_of = malloc(customers * sizeof(*p->q_of));
    if (!p->q_of)
        die("out of memory");
    for (uint64_t k = 0; k < customers; k++)
        p->q_of[perm(p, k)] = (uint32_t)k;
    /* Customers over the last 30 days, one per step; organizations after,
     * one a millisecond; all in the past. */
    int64_t span = 30LL * 86400000;
    p->step_ms = span / (int64_t)customers;
    if (p->step_ms < 1)
        p->step_ms = 1;
    int64_t now = now_ms();
    p->base_ms = now - (int64_t)customers * p->step_ms - (int64_t)orgs - 120000;
    p->orgs_ms = p->base_ms + (int64_t)customers * p->step_ms + 60000;
}

static bool is_big_member(const struct plan *p, uint64_t i)
{
    uint32_t q = p->q_of[i];
    return p->big && q >= 1 && q <= p->big;
}

static void org_id(const struct plan *p, uint64_t j, char out[ID_LEN + 1])
{
    uuid7(p->orgs_ms + (int64_t)j, (unsigned)(H(j, 13) >> 53) & 0x7ff, H(j, 14), out);
}

static void customer_id_of(const struct plan *p, uint64_t q, char out[ID_LEN + 1])
{
    struct customer_row c;
    uint64_t i = perm(p, q);
    customer_make(p, i, false, &c);
    memcpy(out, c.id, ID_LEN + 1);
}

static FILE *out_file(const char *dir, const char *name, const char *mode)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, mode);
    if (!f)
        die("%s: %s", path, strerror(errno));
    return f;
}

static void preload(struct db *d, const char *account_name, const char *out, uint64_t customers,
                    uint64_t orgs, uint64_t big)
{
    struct plan p;
    plan_make(&p, customers, orgs, big);
    double t0 = mono_s();
    char account[ID_LEN + 1];
    db_begin(d);
    account_ensure(d, account_name, account);
    if (account_customers(d, account))
        die("account %s has customers already: the preload wants a fresh database", account_name);

    FILE *acc = out_file(out, "account.id", "w");
    fprintf(acc, "%s\n", account);
    fclose(acc);

    /* Customers, contacts, properties: one pass each, in creation order
     * (the order kinship would have written them in). */
    uint64_t stride = customers > SAMPLE_MAX ? customers / SAMPLE_MAX : 1;
    FILE *ids = out_file(out, "customers.ids", "w");
    struct customer_row c;
    for (int t = T_CUSTOMERS; t <= T_PROPS; t++) {
        table_start(d, (enum table)t);
        for (uint64_t i = 0; i < customers; i++) {
            bool standalone = p.q_of[i] >= p.used;
            customer_make(&p, i, standalone, &c);
            if (t == T_CUSTOMERS) {
                customer_emit(d, account, &c);
                if (!is_big_member(&p, i) && H(i, 8) % stride == 0)
                    fprintf(ids, "%s\n", c.id);
            } else if (t == T_CONTACTS) {
                contacts_emit(d, account, &c);
            } else {
                props_emit(d, account, &c);
            }
        }
        table_end(d);
        fprintf(stderr, "preload: %s: %" PRIu64 " rows (%.1fs)\n", table_name[t], d->rows[t],
                mono_s() - t0);
    }
    fclose(ids);

    /* Organizations, then their members in order. Every tenth organization
     * also lists the owner of the next one: a second level, never a cycle
     * (edges only go from organization j to j + 1). */
    FILE *oids = out_file(out, "orgs.ids", "w");
    FILE *bid = out_file(out, "big_org.id", "w");
    char oid[ID_LEN + 1], owner[ID_LEN + 1], member[ID_LEN + 1];
    table_start(d, T_ORGS);
    for (uint64_t j = 0; j < orgs; j++) {
        org_id(&p, j, oid);
        customer_id_of(&p, p.org_start[j], owner);
        struct val v[4] = {TXT(account), TXT(oid), TXT(owner), INT(p.orgs_ms + (int64_t)j)};
        row(d, T_ORGS, v);
        if (j == 0 && p.big)
            fprintf(bid, "%s\n", oid);
        else if (j <= SAMPLE_MAX)
            fprintf(oids, "%s\n", oid);
    }
    table_end(d);
    fclose(oids);
    fclose(bid);
    table_start(d, T_MEMBERS);
    for (uint64_t j = 0; j < orgs; j++) {
        org_id(&p, j, oid);
        uint32_t m = p.org_members[j];
        for (uint32_t k = 1; k <= m; k++) {
            customer_id_of(&p, p.org_start[j] + k, member);
            struct val v[4] = {TXT(account), TXT(oid), TXT(member), INT(k)};
            row(d, T_MEMBERS, v);
        }
        if (j >= 10 && j % 10 == 0 && j + 1 < orgs) {
            customer_id_of(&p, p.org_start[j + 1], member);
            struct val v[4] = {TXT(account), TXT(oid), TXT(member), INT((int64_t)m + 1)};
            row(d, T_MEMBERS, v);
        }
    }
    table_end(d);
    fprintf(stderr, "preload: organizations: %" PRIu64 ", members: %" PRIu64 " (%.1fs)\n",
            d->rows[T_ORGS], d->rows[T_MEMBERS], mono_s() - t0);
    db_commit(d);
    db_settle(d, true);
    fprintf(stderr, "preload: committed (%.1fs)\n", mono_s() - t0);
    free(p.q_of);
    free(p.org_start);
    free(p.org_members);
}

/* Fresh customers in no organization, made "now" like kinship makes them
 * (the customer's id, then its contact's). With `pgbench` their ids are
 * 0b000000-0000-7000-8000-<n in hex>. */
static void pool(struct db *d, const char *account_name, const char *out, uint64_t n, bool pgbench)
{
    double t0 = mono_s();
    char account[ID_LEN + 1];
    db_begin(d);
    account_ensure(d, account_name, account);
    FILE *f = NULL;
    if (out) {
        f = fopen(out, "a");
        if (!f)
            die("%s: %s", out, strerror(errno));
    }
    struct plan p = {.n_customers = 1};
    uint64_t salt = H((uint64_t)now_ms(), (uint64_t)getpid());
    /* Two tables, so two passes (one COPY at a time): the rows are made
     * once and kept. */
    struct pool_row {
        struct customer_row c;
        char contact[ID_LEN + 1];
    } *rows = calloc(n ? n : 1, sizeof(*rows));
    if (!rows)
        die("out of memory");
    for (uint64_t k = 0; k < n; k++) {
        struct customer_row *c = &rows[k].c;
        customer_make(&p, (k ^ salt) & 0xffffffffffULL, true, c);
        c->archived_at = 0;
        c->created_at = id_now(c->id);
        id_now(rows[k].contact);
        if (pgbench)
            snprintf(c->id, sizeof(c->id), PGBENCH_ID_FMT, (uint64_t)(k & 0xffffffffffffULL));
        snprintf(c->name, sizeof(c->name), "Pool %s %" PRIu64 " Ltd", pgbench ? "P" : "K", k);
    }
    for (int t = T_CUSTOMERS; t <= T_CONTACTS; t++) {
        table_start(d, (enum table)t);
        for (uint64_t k = 0; k < n; k++) {
            struct customer_row *c = &rows[k].c;
            if (t == T_CUSTOMERS) {
                customer_emit(d, account, c);
                if (f)
                    fprintf(f, "%s\n", c->id);
                continue;
            }
            char email[96];
            snprintf(email, sizeof(email), "billing@%s.example.com", c->slug);
            struct val v[9] = {TXT(account),         TXT(c->id),         TXT(rows[k].contact),
                               TXT("Pool Accounts"), TXT(email),         TXT("PRIMARY"),
                               INT(c->created_at),   INT(c->created_at), TIME(0)};
            row(d, T_CONTACTS, v);
        }
        table_end(d);
    }
    db_commit(d);
    if (d->pg)
        PQclear(pg_exec(d, "ANALYZE customers", 0, NULL));
    else
        /* The pool is setup, not load: its pages must not wait in the WAL
         * for the timed run's first checkpoint. */
        db_settle(d, true);
    if (f && fclose(f) != 0)
        die("%s: %s", out, strerror(errno));
    free(rows);
    fprintf(stderr, "preload: pool of %" PRIu64 " customers (%.1fs)\n", n, mono_s() - t0);
}

static void usage(void)
{
    fputs("usage: preload --db URL --account NAME --out DIR [--customers N] [--orgs M]\n"
          "                [--big-org K] [--seed S]\n"
          "       preload --db URL --account NAME --pool N --out FILE\n"
          "       preload --db URL --account NAME --pgbench-pool N\n",
          stderr);
    exit(2);
}

static uint64_t num_arg(const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *s == '\0' || *end != '\0')
        die("not a number: %s", s);
    return v;
}

int main(int argc, char **argv)
{
    const char *url = NULL, *account = NULL, *out = NULL;
    uint64_t customers = 10000, orgs = 1000, big = 100, pool_n = 0, pgb_n = 0;
    bool pool_mode = false, pgb_mode = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc)
            usage();
        const char *v = argv[++i];
        if (strcmp(a, "--db") == 0)
            url = v;
        else if (strcmp(a, "--account") == 0)
            account = v;
        else if (strcmp(a, "--out") == 0)
            out = v;
        else if (strcmp(a, "--customers") == 0)
            customers = num_arg(v);
        else if (strcmp(a, "--orgs") == 0)
            orgs = num_arg(v);
        else if (strcmp(a, "--big-org") == 0)
            big = num_arg(v);
        else if (strcmp(a, "--seed") == 0)
            seed = num_arg(v);
        else if (strcmp(a, "--pool") == 0)
            pool_mode = true, pool_n = num_arg(v);
        else if (strcmp(a, "--pgbench-pool") == 0)
            pgb_mode = true, pgb_n = num_arg(v);
        else
            usage();
    }
    if (!url || !account || (pool_mode && pgb_mode))
        usage();
    if (customers > UINT32_MAX || big > 10000000)
        die("too many rows");
    struct db d;
    db_open(&d, url);
    if (pgb_mode) {
        if (!d.pg)
            die("--pgbench-pool is for PostgreSQL");
        pool(&d, account, NULL, pgb_n, true);
    } else if (pool_mode) {
        if (!out)
            usage();
        pool(&d, account, out, pool_n, false);
    } else {
        if (!out)
            usage();
        preload(&d, account, out, customers, orgs, big);
    }
    db_close(&d);
    return 0;
}
