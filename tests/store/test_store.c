/*
 * The store contract (store.h), run against both backends:
 *   KINSHIP_TEST_STORE=sqlite  a fresh database file in a temporary directory;
 *   KINSHIP_TEST_STORE=pg      the database at KINSHIP_TEST_PG_URL (required),
 *                              with fresh, unique account names per test.
 * Every test works inside its own accounts, so runs on a shared PostgreSQL
 * never see each other's rows. Only store.h is used: no backend headers.
 */
#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/core/clock.h"
#include "../../src/core/id.h"
#include "../../src/core/log.h"
#include "../../src/core/mem.h"
#include "../../src/core/secret.h"
#include "../../src/store/store.h"

/* ---- fixture ---- */

static struct store *S;
static char url[4096];
static char dir[256];     /* sqlite: the temporary directory */
static char db_path[512]; /* sqlite: the database file */
static struct arena *A;   /* the test's arena */
static char acct_a[ID_LEN + 1], acct_b[ID_LEN + 1];
static char acct_name[64], acct_b_name[64];
static const int64_t T0 = 1700000000000LL;

static bool is_sqlite(void)
{
    return strcmp(store_kind(S), "sqlite") == 0;
}

static void render_ok(void *arg, int *status, char **body)
{
    *status = 200;
    *body = xstrdup("{}");
}

/* store_write without an idempotency key; the answer's body is dropped. */
static enum err write_fn(struct store *s, store_fn fn, void *arg)
{
    struct store_write w = {.fn = fn, .arg = arg, .render = render_ok};
    enum err rc = store_write(s, &w);
    free(w.body);
    return rc;
}

/*
 * One primitive call per transaction, through a single dispatcher: the
 * tests then read as sequences of calls. Inputs and outputs share the
 * struct; outputs live in the test arena.
 */
enum op_kind {
    OP_ACCOUNT_ENSURE,
    OP_ACCOUNT_LIST,
    OP_CLIENT_INSERT,
    OP_CLIENT_GET,
    OP_CLIENT_REVOKE,
    OP_CLIENT_LIST,
    OP_CUSTOMER_INSERT,
    OP_CUSTOMER_UPDATE,
    OP_CUSTOMER_GET,
    OP_CUSTOMER_ARCHIVE,
    OP_CUSTOMER_BRIEFS,
    OP_CUSTOMER_LIST,
    OP_PROPERTY_KEYS,
    OP_CONTACT_LIST,
    OP_CONTACT_GET,
    OP_CONTACT_INSERT,
    OP_CONTACT_UPDATE,
    OP_ALIAS_INSERT,
    OP_ALIAS_GET,
    OP_ALIAS_GET_BY_VALUE,
    OP_ALIAS_LIST,
    OP_ALIAS_LIST_FOR_CUSTOMER,
    OP_ALIAS_UPDATE,
    OP_ORG_INSERT,
    OP_ORG_GET,
    OP_ORG_ID_BY_OWNER,
    OP_ORG_MEMBERS_ADD,
    OP_ORG_MEMBERS_CLEAR,
    OP_ORG_MEMBER_REMOVE,
    OP_ORG_MEMBER_COUNT,
    OP_ORG_DELETE,
    OP_ORG_REACHES,
    OP_ORG_LIST,
};

struct op {
    enum op_kind k;
    const char *acct;
    const char *id, *id2, *str;
    const struct customer *customer;
    const struct contact *contact;
    const struct alias *alias;
    const struct organization *org;
    const struct customer_query *cq;
    const struct page_query *pq;
    const char *const *ids;
    size_t n_ids;
    bool flag;
    int64_t now;
    const uint8_t *hash;
    /* out */
    struct customer c_out;
    struct customer *c_items;
    const char **keys;
    size_t n;
    struct page_result pr;
    struct contact ct_out;
    struct contact *ct_items;
    struct alias al_out;
    struct alias *al_items;
    struct organization org_out;
    struct organization *org_items;
    struct customer_brief *briefs;
    const char **strs;
    char id_out[ID_LEN + 1];
    uint8_t hash_out[SECRET_HASH_LEN];
    int64_t i64;
    bool b;
    struct account_row *accounts;
    struct client_row *clients;
};

static enum err op_fn(struct store_tx *tx, void *arg)
{
    struct op *o = arg;
    switch (o->k) {
    case OP_ACCOUNT_ENSURE:
        return store_account_ensure(tx, o->str, o->now, o->id_out);
    case OP_ACCOUNT_LIST:
        return store_account_list(tx, A, &o->accounts, &o->n);
    case OP_CLIENT_INSERT:
        return store_client_insert(tx, o->acct, o->id, o->hash, o->now);
    case OP_CLIENT_GET:
        return store_client_get(tx, o->id, o->id_out, o->hash_out, &o->i64);
    case OP_CLIENT_REVOKE:
        return store_client_revoke(tx, o->id, o->now);
    case OP_CLIENT_LIST:
        return store_client_list(tx, A, &o->clients, &o->n);
    case OP_CUSTOMER_INSERT:
        return store_customer_insert(tx, o->acct, o->customer);
    case OP_CUSTOMER_UPDATE:
        return store_customer_update(tx, o->acct, o->customer, o->flag);
    case OP_CUSTOMER_GET:
        return store_customer_get(tx, A, o->acct, o->id, &o->c_out);
    case OP_CUSTOMER_ARCHIVE:
        return store_customer_archive(tx, o->acct, o->id, o->now);
    case OP_CUSTOMER_BRIEFS:
        o->briefs = arena_zalloc(A, (o->n_ids + 1) * sizeof(*o->briefs));
        return store_customer_briefs(tx, A, o->acct, o->ids, o->n_ids, o->briefs);
    case OP_CUSTOMER_LIST:
        return store_customer_list(tx, A, o->acct, o->cq, &o->c_items, &o->keys, &o->n, &o->pr);
    case OP_PROPERTY_KEYS:
        return store_property_keys(tx, A, o->acct, &o->strs, &o->n);
    case OP_CONTACT_LIST:
        return store_contact_list(tx, A, o->acct, o->id, o->flag, &o->ct_items, &o->n);
    case OP_CONTACT_GET:
        return store_contact_get(tx, A, o->acct, o->id, o->id2, &o->ct_out);
    case OP_CONTACT_INSERT:
        return store_contact_insert(tx, o->acct, o->id, o->contact);
    case OP_CONTACT_UPDATE:
        return store_contact_update(tx, o->acct, o->id, o->contact);
    case OP_ALIAS_INSERT:
        return store_alias_insert(tx, o->acct, o->alias);
    case OP_ALIAS_GET:
        return store_alias_get(tx, A, o->acct, o->id, &o->al_out);
    case OP_ALIAS_GET_BY_VALUE:
        return store_alias_get_by_value(tx, A, o->acct, o->str, &o->al_out);
    case OP_ALIAS_LIST:
        return store_alias_list(tx, A, o->acct, o->str, o->pq, &o->al_items, &o->n, &o->pr);
    case OP_ALIAS_LIST_FOR_CUSTOMER:
        return store_alias_list_for_customer(tx, A, o->acct, o->id, &o->al_items, &o->n);
    case OP_ALIAS_UPDATE:
        return store_alias_update(tx, o->acct, o->alias);
    case OP_ORG_INSERT:
        return store_org_insert(tx, o->acct, o->org);
    case OP_ORG_GET:
        return store_org_get(tx, A, o->acct, o->id, &o->org_out);
    case OP_ORG_ID_BY_OWNER:
        return store_org_id_by_owner(tx, o->acct, o->id, o->id_out);
    case OP_ORG_MEMBERS_ADD:
        return store_org_members_add(tx, o->acct, o->id, o->ids, o->n_ids);
    case OP_ORG_MEMBERS_CLEAR:
        return store_org_members_clear(tx, o->acct, o->id);
    case OP_ORG_MEMBER_REMOVE:
        return store_org_member_remove(tx, o->acct, o->id, o->id2);
    case OP_ORG_MEMBER_COUNT:
        return store_org_member_count(tx, o->acct, o->id, &o->i64);
    case OP_ORG_DELETE:
        return store_org_delete(tx, o->acct, o->id);
    case OP_ORG_REACHES:
        return store_org_reaches(tx, o->acct, o->id, o->id2, &o->b);
    case OP_ORG_LIST:
        return store_org_list(tx, A, o->acct, o->id, o->id2, o->pq, &o->org_items, &o->n, &o->pr);
    }
    return ERR_INTERNAL;
}

static enum err R(struct op *o)
{
    return store_read(S, op_fn, o);
}

static enum err W(struct op *o)
{
    return write_fn(S, op_fn, o);
}

static void ensure_account(const char *name, char id[ID_LEN + 1])
{
    struct op o = {.k = OP_ACCOUNT_ENSURE, .str = name, .now = T0};
    cr_assert_eq(W(&o), ERR_OK, "account_ensure");
    memcpy(id, o.id_out, ID_LEN + 1);
}

static void setup(void)
{
    secret_init();
    log_setup(LOG_ERROR, LOG_LOGFMT);
    A = arena_create();
    const char *kind = getenv("KINSHIP_TEST_STORE");
    if (!kind || !*kind)
        kind = "sqlite";
    if (strcmp(kind, "pg") == 0) {
        const char *u = getenv("KINSHIP_TEST_PG_URL");
        cr_assert(u && *u, "KINSHIP_TEST_STORE=pg needs KINSHIP_TEST_PG_URL");
        snprintf(url, sizeof(url), "%s", u);
    } else {
        cr_assert_str_eq(kind, "sqlite", "KINSHIP_TEST_STORE must be sqlite or pg");
        const char *tmp = getenv("TMPDIR");
        snprintf(dir, sizeof(dir), "%s/kinship-store-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        cr_assert(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
        snprintf(db_path, sizeof(db_path), "%s/kinship.db", dir);
        snprintf(url, sizeof(url), "sqlite:%s", db_path);
    }
    struct store_options opt;
    store_options_default(&opt);
    cr_assert_eq(store_open(url, &opt, &S), ERR_OK, "store_open");
    char u1[ID_LEN + 1], u2[ID_LEN + 1];
    id_new(u1);
    id_new(u2);
    snprintf(acct_name, sizeof(acct_name), "test-%s", u1);
    snprintf(acct_b_name, sizeof(acct_b_name), "test-%s", u2);
    ensure_account(acct_name, acct_a);
    ensure_account(acct_b_name, acct_b);
}

/* Removes the temporary directory and every file a test left in it. */
static void rm_sqlite_dir(void)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char p[sizeof(dir) + 256 + 2];
            snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

static void teardown(void)
{
    store_close(S);
    S = NULL;
    if (dir[0])
        rm_sqlite_dir();
    arena_destroy(A);
}

TestSuite(store, .init = setup, .fini = teardown, .timeout = 120);

/* ---- builders ---- */

/* A customer with two contacts, two properties and one integration id,
 * created at T0 + dt. */
static struct customer *mk_customer(const char *name, int64_t dt)
{
    struct customer *c = arena_zalloc(A, sizeof(*c));
    id_new(c->id);
    c->created_at = c->updated_at = T0 + dt;
    c->legal_name = arena_strdup(A, name);
    c->url = "https://example.com";
    c->label = NULL;
    c->tax_status = TAX_EXEMPT;
    c->status = CUSTOMER_DRAFT;
    c->address = (struct address){.line1 = "1 Main St",
                                  .line2 = "Suite 2",
                                  .town = "Springfield",
                                  .state = "IL",
                                  .postcode = "62701",
                                  .country = "US"};
    c->integrations = arena_zalloc(A, sizeof(*c->integrations));
    c->integrations[0] = (struct integration_id){.service = "Stripe", .id = "cus_123"};
    c->n_integrations = 1;
    c->contacts = arena_zalloc(A, 2 * sizeof(*c->contacts));
    for (int i = 0; i < 2; i++) {
        struct contact *ct = &c->contacts[i];
        id_new(ct->id);
        ct->name = arena_printf(A, "%s contact %d", name, i);
        ct->email = arena_printf(A, "c%d.%s@example.com", i, c->id);
        ct->pref = i == 0 ? BILLING_PRIMARY : BILLING_STANDARD;
        ct->created_at = ct->updated_at = c->created_at + i;
    }
    c->n_contacts = 2;
    c->props = arena_zalloc(A, 2 * sizeof(*c->props));
    c->props[0] = (struct property){.key = "plan", .value = "gold"};
    c->props[1] = (struct property){.key = "region", .value = "emea"};
    c->n_props = 2;
    return c;
}

static struct customer *insert_customer_in(const char *account, const char *name, int64_t dt)
{
    struct customer *c = mk_customer(name, dt);
    struct op o = {.k = OP_CUSTOMER_INSERT, .acct = account, .customer = c};
    cr_assert_eq(W(&o), ERR_OK, "customer_insert %s", name);
    return c;
}

static struct customer *insert_customer(const char *name, int64_t dt)
{
    return insert_customer_in(acct_a, name, dt);
}

static struct customer get_customer(const char *account, const char *id)
{
    struct op o = {.k = OP_CUSTOMER_GET, .acct = account, .id = id};
    cr_assert_eq(R(&o), ERR_OK, "customer_get");
    return o.c_out;
}

static struct alias *mk_alias(const char *customer_id, const char *value, int64_t dt)
{
    struct alias *al = arena_zalloc(A, sizeof(*al));
    id_new(al->id);
    snprintf(al->customer_id, sizeof(al->customer_id), "%s", customer_id);
    al->value = arena_strdup(A, value);
    al->created_at = T0 + dt;
    return al;
}

static struct organization *mk_org(const char *owner, const char *const *members, size_t n,
                                   int64_t dt)
{
    struct organization *o = arena_zalloc(A, sizeof(*o));
    id_new(o->id);
    snprintf(o->owner.id, sizeof(o->owner.id), "%s", owner);
    o->members = arena_zalloc(A, (n + 1) * sizeof(*o->members));
    for (size_t i = 0; i < n; i++)
        snprintf(o->members[i].id, sizeof(o->members[i].id), "%s", members[i]);
    o->n_members = n;
    o->created_at = T0 + dt;
    return o;
}

static struct organization *insert_org(const char *owner, const char *const *members, size_t n,
                                       int64_t dt)
{
    struct organization *org = mk_org(owner, members, n, dt);
    struct op o = {.k = OP_ORG_INSERT, .acct = acct_a, .org = org};
    cr_assert_eq(W(&o), ERR_OK, "org_insert");
    return org;
}

static void set_after(struct page_query *pq, const char *key, const char *id)
{
    pq->has_cursor = true;
    pq->cursor_after = true;
    pq->cursor_key = key;
    snprintf(pq->cursor_id, sizeof(pq->cursor_id), "%s", id);
}

static void set_before(struct page_query *pq, const char *key, const char *id)
{
    set_after(pq, key, id);
    pq->cursor_after = false;
}

/* Runs a customer list and checks the legal names of the page. */
static struct op list_customers(const struct customer_query *q)
{
    struct op o = {.k = OP_CUSTOMER_LIST, .acct = acct_a, .cq = q};
    cr_assert_eq(R(&o), ERR_OK, "customer_list");
    return o;
}

static void expect_names(const struct op *o, const char *const *names, size_t n)
{
    char got[1024] = "", want[1024] = "";
    for (size_t i = 0; i < o->n; i++)
        snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s ", o->c_items[i].legal_name);
    for (size_t i = 0; i < n; i++)
        snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s ", names[i]);
    cr_assert_str_eq(got, want, "page: got [%s] want [%s]", got, want);
}

#define NAMES(...)                                                                                 \
    (const char *const[]){__VA_ARGS__},                                                            \
        sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)

/* ---- accounts and clients ---- */

Test(store, accounts_and_clients)
{
    char again[ID_LEN + 1];
    ensure_account(acct_name, again);
    cr_assert_str_eq(again, acct_a, "ensure finds the existing account");
    cr_assert(id_valid(acct_a));
    cr_assert_str_neq(acct_a, acct_b);

    char client[ID_LEN + 1];
    id_new(client);
    uint8_t hash[SECRET_HASH_LEN];
    secret_hash("s3cret", 6, hash);
    struct op o = {.k = OP_CLIENT_INSERT, .acct = acct_a, .id = client, .hash = hash, .now = T0};
    cr_assert_eq(W(&o), ERR_OK);

    o = (struct op){.k = OP_CLIENT_GET, .id = client};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_str_eq(o.id_out, acct_a);
    cr_assert(secret_hash_equal(o.hash_out, hash));
    cr_assert_eq(o.i64, 0, "not revoked");

    char unknown[ID_LEN + 1];
    id_new(unknown);
    o = (struct op){.k = OP_CLIENT_GET, .id = unknown};
    cr_assert_eq(R(&o), ERR_NOT_FOUND);

    o = (struct op){.k = OP_ACCOUNT_LIST};
    cr_assert_eq(R(&o), ERR_OK);
    bool seen = false;
    for (size_t i = 0; i < o.n; i++) {
        if (strcmp(o.accounts[i].id, acct_a) == 0) {
            seen = true;
            cr_assert_str_eq(o.accounts[i].name, acct_name);
            cr_assert_eq(o.accounts[i].clients, 1);
            cr_assert_eq(o.accounts[i].created_at, T0);
        }
    }
    cr_assert(seen, "account listed");

    o = (struct op){.k = OP_CLIENT_LIST};
    cr_assert_eq(R(&o), ERR_OK);
    seen = false;
    for (size_t i = 0; i < o.n; i++) {
        if (strcmp(o.clients[i].id, client) == 0) {
            seen = true;
            cr_assert_str_eq(o.clients[i].account_id, acct_a);
            cr_assert_str_eq(o.clients[i].account_name, acct_name);
            cr_assert_eq(o.clients[i].created_at, T0);
            cr_assert_eq(o.clients[i].revoked_at, 0);
        }
    }
    cr_assert(seen, "client listed");

    o = (struct op){.k = OP_CLIENT_REVOKE, .id = client, .now = T0 + 5};
    cr_assert_eq(W(&o), ERR_OK);
    o = (struct op){.k = OP_CLIENT_REVOKE, .id = client, .now = T0 + 6};
    cr_assert_eq(W(&o), ERR_NOT_FOUND, "already revoked");
    o = (struct op){.k = OP_CLIENT_REVOKE, .id = unknown, .now = T0 + 6};
    cr_assert_eq(W(&o), ERR_NOT_FOUND, "unknown client");
    o = (struct op){.k = OP_CLIENT_GET, .id = client};
    cr_assert_eq(R(&o), ERR_OK, "revoked clients are still found");
    cr_assert_eq(o.i64, T0 + 5);

    o = (struct op){.k = OP_ACCOUNT_LIST};
    cr_assert_eq(R(&o), ERR_OK);
    for (size_t i = 0; i < o.n; i++)
        if (strcmp(o.accounts[i].id, acct_a) == 0)
            cr_assert_eq(o.accounts[i].clients, 0, "revoked clients are not counted");
}

/* ---- customers ---- */

Test(store, customer_insert_get)
{
    struct customer *c = insert_customer("acme", 0);
    c->label = "vip";
    struct customer g = get_customer(acct_a, c->id);
    cr_assert_str_eq(g.id, c->id);
    cr_assert_str_eq(g.legal_name, "acme");
    cr_assert_str_eq(g.url, "https://example.com");
    cr_assert_null(g.label);
    cr_assert_eq(g.tax_status, TAX_EXEMPT);
    cr_assert_eq(g.status, CUSTOMER_DRAFT);
    cr_assert_str_eq(g.address.line1, "1 Main St");
    cr_assert_str_eq(g.address.line2, "Suite 2");
    cr_assert_str_eq(g.address.town, "Springfield");
    cr_assert_str_eq(g.address.state, "IL");
    cr_assert_str_eq(g.address.postcode, "62701");
    cr_assert_str_eq(g.address.country, "US");
    cr_assert_eq(g.created_at, T0);
    cr_assert_eq(g.updated_at, T0);
    cr_assert_eq(g.archived_at, 0);
    cr_assert_eq(g.n_integrations, 1);
    cr_assert_str_eq(g.integrations[0].service, "Stripe");
    cr_assert_str_eq(g.integrations[0].id, "cus_123");
    cr_assert_eq(g.n_contacts, 2);
    for (int i = 0; i < 2; i++) {
        cr_assert_str_eq(g.contacts[i].id, c->contacts[i].id, "contacts in creation order");
        cr_assert_str_eq(g.contacts[i].name, c->contacts[i].name);
        cr_assert_str_eq(g.contacts[i].email, c->contacts[i].email);
        cr_assert_eq(g.contacts[i].pref, c->contacts[i].pref);
        cr_assert_eq(g.contacts[i].created_at, c->contacts[i].created_at);
        cr_assert_eq(g.contacts[i].archived_at, 0);
    }
    cr_assert_eq(g.n_props, 2);
    cr_assert_str_eq(g.props[0].key, "plan");
    cr_assert_str_eq(g.props[0].value, "gold");
    cr_assert_str_eq(g.props[1].key, "region");
    cr_assert_eq(g.n_orgs, 0);

    /* Optional fields absent, no integrations, no properties. */
    struct customer *m = mk_customer("minimal", 1);
    m->url = NULL;
    m->address.line2 = NULL;
    m->address.state = NULL;
    m->n_integrations = 0;
    m->n_props = 0;
    m->status = CUSTOMER_ACTIVE;
    m->tax_status = TAX_REVERSE_CHARGED;
    struct op o = {.k = OP_CUSTOMER_INSERT, .acct = acct_a, .customer = m};
    cr_assert_eq(W(&o), ERR_OK);
    g = get_customer(acct_a, m->id);
    cr_assert_null(g.url);
    cr_assert_null(g.address.line2);
    cr_assert_null(g.address.state);
    cr_assert_eq(g.n_integrations, 0);
    cr_assert_eq(g.n_props, 0);
    cr_assert_eq(g.status, CUSTOMER_ACTIVE);
    cr_assert_eq(g.tax_status, TAX_REVERSE_CHARGED);

    char unknown[ID_LEN + 1];
    id_new(unknown);
    o = (struct op){.k = OP_CUSTOMER_GET, .acct = acct_a, .id = unknown};
    cr_assert_eq(R(&o), ERR_NOT_FOUND);
    o = (struct op){.k = OP_CUSTOMER_GET, .acct = acct_a, .id = "not-a-uuid"};
    cr_assert_eq(R(&o), ERR_NOT_FOUND);
}

Test(store, customer_update_replaces_contacts_and_props)
{
    struct customer *c = insert_customer("before", 0);
    struct customer u = *c;
    u.legal_name = "after";
    u.url = NULL;
    u.label = "gold";
    u.tax_status = TAX_TAXED;
    u.status = CUSTOMER_ACTIVE;
    u.address.line1 = "2 Side St";
    u.n_integrations = 0;
    u.updated_at = T0 + 100;
    struct contact nc = {.name = "new",
                         .email = "new@example.com",
                         .pref = BILLING_PRIMARY,
                         .created_at = T0 + 100,
                         .updated_at = T0 + 100};
    id_new(nc.id);
    u.contacts = &nc;
    u.n_contacts = 1;
    struct property np = {.key = "tier", .value = "1"};
    u.props = &np;
    u.n_props = 1;

    /* Properties kept. */
    struct op o = {.k = OP_CUSTOMER_UPDATE, .acct = acct_a, .customer = &u, .flag = false};
    cr_assert_eq(W(&o), ERR_OK);
    struct customer g = get_customer(acct_a, c->id);
    cr_assert_str_eq(g.legal_name, "after");
    cr_assert_null(g.url);
    cr_assert_str_eq(g.label, "gold");
    cr_assert_eq(g.tax_status, TAX_TAXED);
    cr_assert_eq(g.status, CUSTOMER_ACTIVE);
    cr_assert_str_eq(g.address.line1, "2 Side St");
    cr_assert_eq(g.n_integrations, 0);
    cr_assert_eq(g.created_at, T0, "created_at untouched");
    cr_assert_eq(g.updated_at, T0 + 100);
    cr_assert_eq(g.n_contacts, 1, "old contacts archived");
    cr_assert_str_eq(g.contacts[0].id, nc.id);
    cr_assert_eq(g.n_props, 2, "properties kept");
    cr_assert_str_eq(g.props[0].key, "plan");

    o = (struct op){.k = OP_CONTACT_LIST, .acct = acct_a, .id = c->id, .flag = true};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_eq(o.n, 3, "archived contacts are kept");
    for (size_t i = 0; i < o.n; i++) {
        if (strcmp(o.ct_items[i].id, nc.id) == 0) {
            cr_assert_eq(o.ct_items[i].archived_at, 0);
        } else {
            cr_assert_eq(o.ct_items[i].archived_at, T0 + 100);
            cr_assert_eq(o.ct_items[i].updated_at, T0 + 100);
        }
    }

    /* Properties replaced. */
    u.updated_at = T0 + 200;
    struct contact nc2 = nc;
    id_new(nc2.id);
    nc2.created_at = T0 + 200;
    u.contacts = &nc2;
    o = (struct op){.k = OP_CUSTOMER_UPDATE, .acct = acct_a, .customer = &u, .flag = true};
    cr_assert_eq(W(&o), ERR_OK);
    g = get_customer(acct_a, c->id);
    cr_assert_eq(g.n_props, 1);
    cr_assert_str_eq(g.props[0].key, "tier");
    cr_assert_str_eq(g.props[0].value, "1");
    cr_assert_eq(g.n_contacts, 1);
    cr_assert_str_eq(g.contacts[0].id, nc2.id);

    /* Replaced by none. */
    u.n_props = 0;
    u.n_contacts = 0;
    o = (struct op){.k = OP_CUSTOMER_UPDATE, .acct = acct_a, .customer = &u, .flag = true};
    cr_assert_eq(W(&o), ERR_OK);
    g = get_customer(acct_a, c->id);
    cr_assert_eq(g.n_props, 0);
    cr_assert_eq(g.n_contacts, 0);

    struct customer *ghost = mk_customer("ghost", 0);
    o = (struct op){.k = OP_CUSTOMER_UPDATE, .acct = acct_a, .customer = ghost, .flag = true};
    cr_assert_eq(W(&o), ERR_NOT_FOUND);
    o = (struct op){.k = OP_CUSTOMER_GET, .acct = acct_a, .id = ghost->id};
    cr_assert_eq(R(&o), ERR_NOT_FOUND, "a failed update leaves nothing behind");
}

Test(store, customer_archive)
{
    struct customer *c = insert_customer("old", 0);
    struct op o = {.k = OP_CUSTOMER_ARCHIVE, .acct = acct_a, .id = c->id, .now = T0 + 10};
    cr_assert_eq(W(&o), ERR_OK);
    struct customer g = get_customer(acct_a, c->id);
    cr_assert_eq(g.archived_at, T0 + 10);
    o.now = T0 + 20;
    cr_assert_eq(W(&o), ERR_OK, "archiving twice is not an error");
    g = get_customer(acct_a, c->id);
    cr_assert_eq(g.archived_at, T0 + 10, "the first archive time stays");

    char unknown[ID_LEN + 1];
    id_new(unknown);
    o = (struct op){.k = OP_CUSTOMER_ARCHIVE, .acct = acct_a, .id = unknown, .now = T0};
    cr_assert_eq(W(&o), ERR_NOT_FOUND);
}

Test(store, customer_briefs)
{
    struct customer *live = insert_customer("live", 0);
    struct customer *gone = insert_customer("gone", 1);
    struct op o = {.k = OP_CUSTOMER_ARCHIVE, .acct = acct_a, .id = gone->id, .now = T0 + 5};
    cr_assert_eq(W(&o), ERR_OK);
    char unknown[ID_LEN + 1];
    id_new(unknown);
    const char *ids[] = {gone->id, "nope", unknown, live->id, "", "'; DROP TABLE customers; --"};
    o = (struct op){.k = OP_CUSTOMER_BRIEFS, .acct = acct_a, .ids = ids, .n_ids = 6};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert(o.briefs[0].found);
    cr_assert(o.briefs[0].archived);
    cr_assert_str_eq(o.briefs[0].legal_name, "gone");
    cr_assert_not(o.briefs[1].found);
    cr_assert_not(o.briefs[2].found);
    cr_assert(o.briefs[3].found);
    cr_assert_not(o.briefs[3].archived);
    cr_assert_str_eq(o.briefs[3].legal_name, "live");
    cr_assert_not(o.briefs[4].found);
    cr_assert_not(o.briefs[5].found);

    o = (struct op){.k = OP_CUSTOMER_BRIEFS, .acct = acct_a, .ids = ids, .n_ids = 0};
    cr_assert_eq(R(&o), ERR_OK, "no ids");
}

/* ---- customer lists ---- */

/* Seven customers c0..c6 created at T0 + i, listed 3 at a time, while rows
 * are added before the first and after the last. */
Test(store, list_default_sort_pages_with_cursors)
{
    for (int i = 0; i < 7; i++)
        insert_customer(arena_printf(A, "c%d", i), i);

    struct customer_query q = {.page = {.limit = 3}};
    struct op o = list_customers(&q);
    expect_names(&o, NAMES("c0", "c1", "c2"));
    cr_assert(o.pr.has_next);
    cr_assert_not(o.pr.has_prev);
    cr_assert_eq(o.pr.total, 7);
    cr_assert_str_eq(o.keys[0], arena_printf(A, "%" PRId64, T0), "key: created_at in decimal");

    /* New rows at both ends while paging. */
    insert_customer("late", 1000);
    insert_customer("early", -1000);

    set_after(&q.page, o.keys[2], o.c_items[2].id);
    o = list_customers(&q);
    expect_names(&o, NAMES("c3", "c4", "c5"));
    cr_assert(o.pr.has_next);
    cr_assert(o.pr.has_prev);
    cr_assert_eq(o.pr.total, 9);
    const char *first_key = o.keys[0], *first_id = arena_strdup(A, o.c_items[0].id);

    set_after(&q.page, o.keys[2], o.c_items[2].id);
    o = list_customers(&q);
    expect_names(&o, NAMES("c6", "late"));
    cr_assert_not(o.pr.has_next);
    cr_assert(o.pr.has_prev);

    /* Past the end: empty, but rows lie behind. */
    set_after(&q.page, o.keys[1], o.c_items[1].id);
    o = list_customers(&q);
    cr_assert_eq(o.n, 0);
    cr_assert_not(o.pr.has_next);
    cr_assert(o.pr.has_prev);

    /* Back from c3: the three rows ahead, in page order. */
    set_before(&q.page, first_key, first_id);
    o = list_customers(&q);
    expect_names(&o, NAMES("c0", "c1", "c2"));
    cr_assert(o.pr.has_prev, "'early' is ahead of c0");
    cr_assert(o.pr.has_next);

    set_before(&q.page, o.keys[0], o.c_items[0].id);
    o = list_customers(&q);
    expect_names(&o, NAMES("early"));
    cr_assert_not(o.pr.has_prev);
    cr_assert(o.pr.has_next);

    /* Descending. */
    q = (struct customer_query){.page = {.limit = 4, .desc = true}};
    o = list_customers(&q);
    expect_names(&o, NAMES("late", "c6", "c5", "c4"));
    cr_assert(o.pr.has_next);
    cr_assert_not(o.pr.has_prev);
    set_after(&q.page, o.keys[3], o.c_items[3].id);
    o = list_customers(&q);
    expect_names(&o, NAMES("c3", "c2", "c1", "c0"));
    cr_assert(o.pr.has_next);
    cr_assert(o.pr.has_prev);
    set_before(&q.page, o.keys[0], o.c_items[0].id);
    o = list_customers(&q);
    expect_names(&o, NAMES("late", "c6", "c5", "c4"));
    cr_assert_not(o.pr.has_prev);
    cr_assert(o.pr.has_next);
}

Test(store, list_created_at_compares_numerically_and_ties_by_id)
{
    /* As strings "10000" < "9": a text comparison would reorder these. */
    insert_customer("n9", 9 - T0);
    insert_customer("n10", 10 - T0);
    insert_customer("n100", 100 - T0);
    insert_customer("n10000", 10000 - T0);
    struct customer_query q = {.page = {.limit = 10}};
    struct op o = list_customers(&q);
    expect_names(&o, NAMES("n9", "n10", "n100", "n10000"));
    cr_assert_str_eq(o.keys[0], "9");
    cr_assert_str_eq(o.keys[3], "10000");
    set_after(&q.page, "9", o.c_items[0].id);
    q.page.limit = 2;
    o = list_customers(&q);
    expect_names(&o, NAMES("n10", "n100"));
    cr_assert(o.pr.has_next);

    /* Equal created_at: ordered by id, and a cursor splits them. */
    struct customer *t[3];
    for (int i = 0; i < 3; i++)
        t[i] = insert_customer(arena_printf(A, "tie%d", i), 50000);
    const char *ids[3] = {t[0]->id, t[1]->id, t[2]->id};
    for (int i = 0; i < 3; i++) /* sort the ids */
        for (int j = i + 1; j < 3; j++)
            if (strcmp(ids[j], ids[i]) < 0) {
                const char *x = ids[i];
                ids[i] = ids[j];
                ids[j] = x;
            }
    q = (struct customer_query){.page = {.limit = 1}};
    const char *key = arena_printf(A, "%" PRId64, T0 + 50000);
    set_after(&q.page, key, ids[0]);
    o = list_customers(&q);
    cr_assert_eq(o.n, 1);
    cr_assert_str_eq(o.c_items[0].id, ids[1]);
    cr_assert(o.pr.has_next);
    cr_assert(o.pr.has_prev);
    set_before(&q.page, key, ids[2]);
    o = list_customers(&q);
    cr_assert_eq(o.n, 1);
    cr_assert_str_eq(o.c_items[0].id, ids[1]);
}

Test(store, list_sort_legal_name_label_property)
{
    const char *names[] = {"delta", "alpha", "charlie", "bravo", "echo"};
    const char *labels[] = {"b", NULL, "a", NULL, "c"};
    const char *plans[] = {"3", "1", NULL, "2", "0"};
    for (int i = 0; i < 5; i++) {
        struct customer *c = mk_customer(names[i], i);
        c->label = labels[i];
        c->n_props = 0;
        struct property p = {.key = "rank", .value = plans[i]};
        if (plans[i]) {
            c->props = &p;
            c->n_props = 1;
        }
        struct op o = {.k = OP_CUSTOMER_INSERT, .acct = acct_a, .customer = c};
        cr_assert_eq(W(&o), ERR_OK);
    }

    struct customer_query q = {.sort = SORT_LEGAL_NAME, .page = {.limit = 2}};
    struct op o = list_customers(&q);
    expect_names(&o, NAMES("alpha", "bravo"));
    cr_assert_str_eq(o.keys[1], "bravo");
    set_after(&q.page, o.keys[1], o.c_items[1].id);
    o = list_customers(&q);
    expect_names(&o, NAMES("charlie", "delta"));
    cr_assert(o.pr.has_prev);
    cr_assert(o.pr.has_next);
    set_before(&q.page, o.keys[0], o.c_items[0].id);
    o = list_customers(&q);
    expect_names(&o, NAMES("alpha", "bravo"));
    cr_assert_not(o.pr.has_prev);

    q = (struct customer_query){.sort = SORT_LEGAL_NAME, .page = {.limit = 5, .desc = true}};
    o = list_customers(&q);
    expect_names(&o, NAMES("echo", "delta", "charlie", "bravo", "alpha"));

    /* NULL labels sort as "". */
    q = (struct customer_query){.sort = SORT_LABEL, .page = {.limit = 5}};
    o = list_customers(&q);
    cr_assert_eq(o.n, 5);
    cr_assert_str_eq(o.keys[0], "");
    cr_assert_str_eq(o.keys[1], "");
    /* Equal keys go by id, and ids grow with creation: alpha before bravo. */
    expect_names(&o, NAMES("alpha", "bravo", "charlie", "delta", "echo"));
    /* A cursor on a NULL label (key NULL or ""). */
    q.page.limit = 2;
    set_after(&q.page, NULL, o.c_items[1].id);
    struct op o2 = list_customers(&q);
    expect_names(&o2, NAMES("charlie", "delta"));
    set_after(&q.page, "", o.c_items[1].id);
    o2 = list_customers(&q);
    expect_names(&o2, NAMES("charlie", "delta"));
    q = (struct customer_query){.sort = SORT_LABEL, .page = {.limit = 3, .desc = true}};
    o = list_customers(&q);
    expect_names(&o, NAMES("echo", "delta", "charlie"));
    set_after(&q.page, o.keys[2], o.c_items[2].id);
    o = list_customers(&q);
    cr_assert_eq(o.n, 2);
    cr_assert_not(o.pr.has_next);

    /* By a property; customers without it sort as "". */
    q = (struct customer_query){
        .sort = SORT_PROPERTY, .sort_property = "rank", .page = {.limit = 5}};
    o = list_customers(&q);
    expect_names(&o, NAMES("charlie", "echo", "alpha", "bravo", "delta"));
    cr_assert_str_eq(o.keys[0], "");
    cr_assert_str_eq(o.keys[1], "0");
    q.page.limit = 2;
    set_after(&q.page, "0", o.c_items[1].id);
    o = list_customers(&q);
    expect_names(&o, NAMES("alpha", "bravo"));
    cr_assert(o.pr.has_next);
    cr_assert(o.pr.has_prev);
    cr_assert_eq(o.pr.total, 5);
    q.page.desc = true;
    q.page.has_cursor = false;
    o = list_customers(&q);
    expect_names(&o, NAMES("delta", "bravo"));
}

Test(store, list_filters)
{
    struct customer *a = mk_customer("ACME Corp", 0);
    a->label = "Key Account";
    struct customer *b = mk_customer("The acme group", 1);
    struct customer *c = mk_customer("50% Off_Shop", 2);
    c->label = "key";
    struct customer *d = mk_customer("5000 Off Shop", 3);
    struct customer *e = mk_customer("acme archived", 4);
    struct customer *all[] = {a, b, c, d, e};
    for (int i = 0; i < 5; i++) {
        struct op o = {.k = OP_CUSTOMER_INSERT, .acct = acct_a, .customer = all[i]};
        cr_assert_eq(W(&o), ERR_OK);
    }
    struct op o = {.k = OP_CUSTOMER_ARCHIVE, .acct = acct_a, .id = e->id, .now = T0 + 50};
    cr_assert_eq(W(&o), ERR_OK);

    struct customer_query q = {.page = {.limit = 10}};
    o = list_customers(&q);
    expect_names(&o, NAMES("ACME Corp", "The acme group", "50% Off_Shop", "5000 Off Shop"));
    cr_assert_eq(o.pr.total, 4, "archived ones left out");
    q.include_archived = true;
    o = list_customers(&q);
    cr_assert_eq(o.n, 5);
    cr_assert_eq(o.pr.total, 5);

    q = (struct customer_query){.legal_name = "aCmE", .page = {.limit = 10}};
    o = list_customers(&q);
    expect_names(&o, NAMES("ACME Corp", "The acme group"));
    cr_assert_eq(o.pr.total, 2);
    q.include_archived = true;
    o = list_customers(&q);
    expect_names(&o, NAMES("ACME Corp", "The acme group", "acme archived"));

    /* LIKE wildcards in the filter are plain characters. */
    q = (struct customer_query){.legal_name = "50%", .page = {.limit = 10}};
    o = list_customers(&q);
    expect_names(&o, NAMES("50% Off_Shop"));
    q.legal_name = "f_s";
    o = list_customers(&q);
    expect_names(&o, NAMES("50% Off_Shop"));
    q.legal_name = "%";
    o = list_customers(&q);
    expect_names(&o, NAMES("50% Off_Shop"));
    q.legal_name = "nothing like it";
    o = list_customers(&q);
    cr_assert_eq(o.n, 0);
    cr_assert_eq(o.pr.total, 0);
    cr_assert_not(o.pr.has_next);

    q = (struct customer_query){.label = "KEY", .page = {.limit = 10}};
    o = list_customers(&q);
    expect_names(&o, NAMES("ACME Corp", "50% Off_Shop"));
    q.label = "account";
    o = list_customers(&q);
    expect_names(&o, NAMES("ACME Corp"));

    /* Email: exact, any case, active contacts only. */
    const char *email = b->contacts[1].email;
    char *upper = arena_strdup(A, email);
    for (char *p = upper; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    q = (struct customer_query){.email = upper, .page = {.limit = 10}};
    o = list_customers(&q);
    expect_names(&o, NAMES("The acme group"));
    cr_assert_eq(o.pr.total, 1);
    q.email = arena_strndup(A, email, strlen(email) - 1);
    o = list_customers(&q);
    cr_assert_eq(o.n, 0, "no substring match on email");
    struct customer bu = *b;
    bu.n_contacts = 0;
    bu.updated_at = T0 + 60;
    o = (struct op){.k = OP_CUSTOMER_UPDATE, .acct = acct_a, .customer = &bu, .flag = false};
    cr_assert_eq(W(&o), ERR_OK);
    q.email = email;
    o = list_customers(&q);
    cr_assert_eq(o.n, 0, "archived contacts do not match");

    /* Alias: undeleted, exact value. */
    struct alias *al = mk_alias(d->id, "shop-5000", 0);
    o = (struct op){.k = OP_ALIAS_INSERT, .acct = acct_a, .alias = al};
    cr_assert_eq(W(&o), ERR_OK);
    q = (struct customer_query){.alias = "shop-5000", .page = {.limit = 10}};
    o = list_customers(&q);
    expect_names(&o, NAMES("5000 Off Shop"));
    q.alias = "shop";
    o = list_customers(&q);
    cr_assert_eq(o.n, 0);
    al->deleted_at = T0 + 70;
    o = (struct op){.k = OP_ALIAS_UPDATE, .acct = acct_a, .alias = al};
    cr_assert_eq(W(&o), ERR_OK);
    q.alias = "shop-5000";
    o = list_customers(&q);
    cr_assert_eq(o.n, 0, "deleted aliases do not match");

    /* Filters combine, with paging and a sort. */
    q = (struct customer_query){
        .legal_name = "o", .label = "key", .sort = SORT_LEGAL_NAME, .page = {.limit = 1}};
    o = list_customers(&q);
    expect_names(&o, NAMES("50% Off_Shop"));
    cr_assert(o.pr.has_next);
    cr_assert_eq(o.pr.total, 2);
    set_after(&q.page, o.keys[0], o.c_items[0].id);
    o = list_customers(&q);
    expect_names(&o, NAMES("ACME Corp"));
    cr_assert_not(o.pr.has_next);
    cr_assert(o.pr.has_prev);
}

Test(store, list_items_carry_props_and_orgs)
{
    struct customer *owner = insert_customer("owner", 0);
    struct customer *kid = insert_customer("kid", 1);
    const char *m[] = {kid->id};
    struct organization *org = insert_org(owner->id, m, 1, 0);
    struct customer_query q = {.page = {.limit = 10}};
    struct op o = list_customers(&q);
    cr_assert_eq(o.n, 2);
    cr_assert_str_eq(o.c_items[1].id, kid->id);
    cr_assert_eq(o.c_items[1].n_props, 2);
    cr_assert_str_eq(o.c_items[1].props[1].value, "emea");
    cr_assert_eq(o.c_items[1].n_orgs, 1);
    cr_assert_str_eq(o.c_items[1].orgs[0].id, org->id);
    cr_assert_str_eq(o.c_items[1].orgs[0].owner.name, "owner");
    cr_assert_eq(o.c_items[0].n_orgs, 0, "owning is not membership");
}

Test(store, property_keys)
{
    struct op o = {.k = OP_PROPERTY_KEYS, .acct = acct_a};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_eq(o.n, 0);
    struct customer *c = mk_customer("p1", 0);
    struct property p1[] = {{"zeta", "1"}, {"alpha", "2"}};
    c->props = p1;
    c->n_props = 2;
    o = (struct op){.k = OP_CUSTOMER_INSERT, .acct = acct_a, .customer = c};
    cr_assert_eq(W(&o), ERR_OK);
    insert_customer("p2", 1); /* plan, region */
    insert_customer_in(acct_b, "other account", 2);
    o = (struct op){.k = OP_PROPERTY_KEYS, .acct = acct_a};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_eq(o.n, 4);
    cr_assert_str_eq(o.strs[0], "alpha");
    cr_assert_str_eq(o.strs[1], "plan");
    cr_assert_str_eq(o.strs[2], "region");
    cr_assert_str_eq(o.strs[3], "zeta");
}

/* ---- contacts ---- */

Test(store, contacts)
{
    struct customer *c = insert_customer("with contacts", 0);
    struct contact ct = {.name = "Third",
                         .email = "third@example.com",
                         .pref = BILLING_NONE,
                         .created_at = T0 + 50,
                         .updated_at = T0 + 50};
    id_new(ct.id);
    struct op o = {.k = OP_CONTACT_INSERT, .acct = acct_a, .id = c->id, .contact = &ct};
    cr_assert_eq(W(&o), ERR_OK);

    o = (struct op){.k = OP_CONTACT_GET, .acct = acct_a, .id = c->id, .id2 = ct.id};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_str_eq(o.ct_out.name, "Third");
    cr_assert_str_eq(o.ct_out.email, "third@example.com");
    cr_assert_eq(o.ct_out.pref, BILLING_NONE);
    cr_assert_eq(o.ct_out.created_at, T0 + 50);
    cr_assert_eq(o.ct_out.archived_at, 0);

    o = (struct op){.k = OP_CONTACT_LIST, .acct = acct_a, .id = c->id};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_eq(o.n, 3);
    cr_assert_str_eq(o.ct_items[0].id, c->contacts[0].id, "oldest first");
    cr_assert_str_eq(o.ct_items[1].id, c->contacts[1].id);
    cr_assert_str_eq(o.ct_items[2].id, ct.id);

    struct contact up = c->contacts[0];
    up.name = "Renamed";
    up.email = "renamed@example.com";
    up.pref = BILLING_STANDARD;
    up.updated_at = T0 + 60;
    up.archived_at = T0 + 60;
    o = (struct op){.k = OP_CONTACT_UPDATE, .acct = acct_a, .id = c->id, .contact = &up};
    cr_assert_eq(W(&o), ERR_OK);
    o = (struct op){.k = OP_CONTACT_GET, .acct = acct_a, .id = c->id, .id2 = up.id};
    cr_assert_eq(R(&o), ERR_OK, "archived contacts can be read by id");
    cr_assert_str_eq(o.ct_out.name, "Renamed");
    cr_assert_str_eq(o.ct_out.email, "renamed@example.com");
    cr_assert_eq(o.ct_out.pref, BILLING_STANDARD);
    cr_assert_eq(o.ct_out.updated_at, T0 + 60);
    cr_assert_eq(o.ct_out.archived_at, T0 + 60);
    cr_assert_eq(o.ct_out.created_at, c->contacts[0].created_at);

    o = (struct op){.k = OP_CONTACT_LIST, .acct = acct_a, .id = c->id, .flag = false};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_eq(o.n, 2);
    o = (struct op){.k = OP_CONTACT_LIST, .acct = acct_a, .id = c->id, .flag = true};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_eq(o.n, 3);
    cr_assert_str_eq(o.ct_items[0].id, up.id);

    /* Unarchive. */
    up.archived_at = 0;
    o = (struct op){.k = OP_CONTACT_UPDATE, .acct = acct_a, .id = c->id, .contact = &up};
    cr_assert_eq(W(&o), ERR_OK);
    o = (struct op){.k = OP_CONTACT_LIST, .acct = acct_a, .id = c->id, .flag = false};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_eq(o.n, 3);

    char unknown[ID_LEN + 1];
    id_new(unknown);
    o = (struct op){.k = OP_CONTACT_GET, .acct = acct_a, .id = c->id, .id2 = unknown};
    cr_assert_eq(R(&o), ERR_NOT_FOUND);
    struct contact ghost = up;
    memcpy(ghost.id, unknown, sizeof(ghost.id));
    o = (struct op){.k = OP_CONTACT_UPDATE, .acct = acct_a, .id = c->id, .contact = &ghost};
    cr_assert_eq(W(&o), ERR_NOT_FOUND);
    /* A contact is reached through its own customer only. */
    struct customer *other = insert_customer("other", 1);
    o = (struct op){.k = OP_CONTACT_GET, .acct = acct_a, .id = other->id, .id2 = ct.id};
    cr_assert_eq(R(&o), ERR_NOT_FOUND);
    o = (struct op){.k = OP_CONTACT_UPDATE, .acct = acct_a, .id = other->id, .contact = &up};
    cr_assert_eq(W(&o), ERR_NOT_FOUND);
}

/* ---- aliases ---- */

Test(store, aliases)
{
    struct customer *c = insert_customer("aliased", 0);
    struct customer *d = insert_customer("other", 1);
    struct alias *al = mk_alias(c->id, "acme-1", 0);
    al->label = "primary";
    struct op o = {.k = OP_ALIAS_INSERT, .acct = acct_a, .alias = al};
    cr_assert_eq(W(&o), ERR_OK);

    struct alias *dup = mk_alias(d->id, "acme-1", 1);
    o = (struct op){.k = OP_ALIAS_INSERT, .acct = acct_a, .alias = dup};
    cr_assert_eq(W(&o), ERR_ALIAS_EXISTS, "values are unique per account");
    struct alias *same_cust = mk_alias(c->id, "acme-1", 1);
    o = (struct op){.k = OP_ALIAS_INSERT, .acct = acct_a, .alias = same_cust};
    cr_assert_eq(W(&o), ERR_ALIAS_EXISTS);
    struct alias *case_differs = mk_alias(d->id, "ACME-1", 1);
    o = (struct op){.k = OP_ALIAS_INSERT, .acct = acct_a, .alias = case_differs};
    cr_assert_eq(W(&o), ERR_OK, "values are compared exactly");

    o = (struct op){.k = OP_ALIAS_GET, .acct = acct_a, .id = al->id};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_str_eq(o.al_out.id, al->id);
    cr_assert_str_eq(o.al_out.customer_id, c->id);
    cr_assert_str_eq(o.al_out.account_id, acct_a);
    cr_assert_str_eq(o.al_out.value, "acme-1");
    cr_assert_str_eq(o.al_out.label, "primary");
    cr_assert_eq(o.al_out.created_at, T0);
    cr_assert_eq(o.al_out.deleted_at, 0);

    o = (struct op){.k = OP_ALIAS_GET_BY_VALUE, .acct = acct_a, .str = "acme-1"};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_str_eq(o.al_out.id, al->id);
    o = (struct op){.k = OP_ALIAS_GET_BY_VALUE, .acct = acct_a, .str = "acme"};
    cr_assert_eq(R(&o), ERR_NOT_FOUND);

    /* Label changed, then cleared. */
    al->label = "renamed";
    o = (struct op){.k = OP_ALIAS_UPDATE, .acct = acct_a, .alias = al};
    cr_assert_eq(W(&o), ERR_OK);
    o = (struct op){.k = OP_ALIAS_GET, .acct = acct_a, .id = al->id};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_str_eq(o.al_out.label, "renamed");
    al->label = NULL;
    o = (struct op){.k = OP_ALIAS_UPDATE, .acct = acct_a, .alias = al};
    cr_assert_eq(W(&o), ERR_OK);
    o = (struct op){.k = OP_ALIAS_GET, .acct = acct_a, .id = al->id};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_null(o.al_out.label);

    /* Deleted: not found, and the value is free again. */
    al->deleted_at = T0 + 10;
    o = (struct op){.k = OP_ALIAS_UPDATE, .acct = acct_a, .alias = al};
    cr_assert_eq(W(&o), ERR_OK);
    o = (struct op){.k = OP_ALIAS_GET, .acct = acct_a, .id = al->id};
    cr_assert_eq(R(&o), ERR_NOT_FOUND);
    o = (struct op){.k = OP_ALIAS_GET_BY_VALUE, .acct = acct_a, .str = "acme-1"};
    cr_assert_eq(R(&o), ERR_NOT_FOUND);
    o = (struct op){.k = OP_ALIAS_INSERT, .acct = acct_a, .alias = dup};
    cr_assert_eq(W(&o), ERR_OK, "a deleted alias frees its value");
    o = (struct op){.k = OP_ALIAS_GET_BY_VALUE, .acct = acct_a, .str = "acme-1"};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_str_eq(o.al_out.id, dup->id);
    cr_assert_str_eq(o.al_out.customer_id, d->id);

    o = (struct op){.k = OP_ALIAS_LIST_FOR_CUSTOMER, .acct = acct_a, .id = d->id};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_eq(o.n, 2);
    o = (struct op){.k = OP_ALIAS_LIST_FOR_CUSTOMER, .acct = acct_a, .id = c->id};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_eq(o.n, 0, "deleted aliases are not listed");

    char unknown[ID_LEN + 1];
    id_new(unknown);
    struct alias ghost = *al;
    memcpy(ghost.id, unknown, sizeof(ghost.id));
    o = (struct op){.k = OP_ALIAS_UPDATE, .acct = acct_a, .alias = &ghost};
    cr_assert_eq(W(&o), ERR_NOT_FOUND);
}

Test(store, alias_list_pages)
{
    struct customer *c = insert_customer("many aliases", 0);
    struct alias *al[5];
    for (int i = 0; i < 5; i++) {
        al[i] = mk_alias(c->id, arena_printf(A, "v%d", i), i);
        struct op o = {.k = OP_ALIAS_INSERT, .acct = acct_a, .alias = al[i]};
        cr_assert_eq(W(&o), ERR_OK);
    }
    /* Ids are time-ordered: al[4] is the newest. */
    struct page_query pq = {.limit = 2, .desc = true};
    struct op o = {.k = OP_ALIAS_LIST, .acct = acct_a, .pq = &pq};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_eq(o.n, 2);
    cr_assert_str_eq(o.al_items[0].id, al[4]->id);
    cr_assert_str_eq(o.al_items[1].id, al[3]->id);
    cr_assert(o.pr.has_next);
    cr_assert_not(o.pr.has_prev);
    cr_assert_eq(o.pr.total, 5);

    set_after(&pq, NULL, o.al_items[1].id);
    o = (struct op){.k = OP_ALIAS_LIST, .acct = acct_a, .pq = &pq};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_eq(o.n, 2);
    cr_assert_str_eq(o.al_items[0].id, al[2]->id);
    cr_assert_str_eq(o.al_items[1].id, al[1]->id);
    cr_assert(o.pr.has_next);
    cr_assert(o.pr.has_prev);

    set_before(&pq, NULL, o.al_items[0].id);
    o = (struct op){.k = OP_ALIAS_LIST, .acct = acct_a, .pq = &pq};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_eq(o.n, 2);
    cr_assert_str_eq(o.al_items[0].id, al[4]->id);
    cr_assert_str_eq(o.al_items[1].id, al[3]->id);
    cr_assert_not(o.pr.has_prev);
    cr_assert(o.pr.has_next);

    pq = (struct page_query){.limit = 3, .desc = false};
    o = (struct op){.k = OP_ALIAS_LIST, .acct = acct_a, .pq = &pq};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_eq(o.n, 3);
    cr_assert_str_eq(o.al_items[0].id, al[0]->id);
    cr_assert_str_eq(o.al_items[2].id, al[2]->id);
    set_after(&pq, NULL, o.al_items[2].id);
    o = (struct op){.k = OP_ALIAS_LIST, .acct = acct_a, .pq = &pq};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_eq(o.n, 2);
    cr_assert_str_eq(o.al_items[1].id, al[4]->id);
    cr_assert_not(o.pr.has_next);
    cr_assert(o.pr.has_prev);

    /* The value filter, and deleted aliases left out. */
    pq = (struct page_query){.limit = 10, .desc = true};
    o = (struct op){.k = OP_ALIAS_LIST, .acct = acct_a, .str = "v3", .pq = &pq};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_eq(o.n, 1);
    cr_assert_str_eq(o.al_items[0].id, al[3]->id);
    cr_assert_str_eq(o.al_items[0].value, "v3");
    cr_assert_eq(o.pr.total, 1);
    al[3]->deleted_at = T0 + 100;
    o = (struct op){.k = OP_ALIAS_UPDATE, .acct = acct_a, .alias = al[3]};
    cr_assert_eq(W(&o), ERR_OK);
    o = (struct op){.k = OP_ALIAS_LIST, .acct = acct_a, .str = "v3", .pq = &pq};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_eq(o.n, 0);
    o = (struct op){.k = OP_ALIAS_LIST, .acct = acct_a, .pq = &pq};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_eq(o.n, 4);
    cr_assert_eq(o.pr.total, 4);
}

/* ---- organizations ---- */

static void expect_members(const char *org_id, const char *const *ids, size_t n)
{
    struct op o = {.k = OP_ORG_GET, .acct = acct_a, .id = org_id};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_eq(o.org_out.n_members, n, "members: %zu, want %zu", o.org_out.n_members, n);
    for (size_t i = 0; i < n; i++)
        cr_assert_str_eq(o.org_out.members[i].id, ids[i], "member %zu", i);
}

Test(store, organizations)
{
    struct customer *owner = insert_customer("owner", 0);
    struct customer *m[5];
    for (int i = 0; i < 5; i++)
        m[i] = insert_customer(arena_printf(A, "m%d", i), i + 1);
    const char *first[] = {m[2]->id, m[0]->id};
    struct organization *org = insert_org(owner->id, first, 2, 10);

    struct organization *second = mk_org(owner->id, NULL, 0, 11);
    struct op o = {.k = OP_ORG_INSERT, .acct = acct_a, .org = second};
    cr_assert_eq(W(&o), ERR_ORGANIZATION_EXISTS);

    o = (struct op){.k = OP_ORG_GET, .acct = acct_a, .id = org->id};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_str_eq(o.org_out.id, org->id);
    cr_assert_str_eq(o.org_out.owner.id, owner->id);
    cr_assert_str_eq(o.org_out.owner.name, "owner");
    cr_assert_eq(o.org_out.created_at, T0 + 10);
    cr_assert_eq(o.org_out.n_members, 2);
    cr_assert_str_eq(o.org_out.members[0].id, m[2]->id, "order as given");
    cr_assert_str_eq(o.org_out.members[0].name, "m2");
    cr_assert_str_eq(o.org_out.members[1].id, m[0]->id);
    cr_assert_str_eq(o.org_out.members[1].name, "m0");

    o = (struct op){.k = OP_ORG_ID_BY_OWNER, .acct = acct_a, .id = owner->id};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_str_eq(o.id_out, org->id);
    o = (struct op){.k = OP_ORG_ID_BY_OWNER, .acct = acct_a, .id = m[0]->id};
    cr_assert_eq(R(&o), ERR_NOT_FOUND);

    /* Only new ids are appended, in the order given. */
    const char *add[] = {m[3]->id, m[0]->id, m[1]->id, m[3]->id, m[2]->id};
    o = (struct op){.k = OP_ORG_MEMBERS_ADD, .acct = acct_a, .id = org->id, .ids = add, .n_ids = 5};
    cr_assert_eq(W(&o), ERR_OK);
    expect_members(org->id, (const char *[]){m[2]->id, m[0]->id, m[3]->id, m[1]->id}, 4);
    o = (struct op){.k = OP_ORG_MEMBER_COUNT, .acct = acct_a, .id = org->id};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_eq(o.i64, 4);

    o = (struct op){.k = OP_ORG_MEMBER_REMOVE, .acct = acct_a, .id = org->id, .id2 = m[0]->id};
    cr_assert_eq(W(&o), ERR_OK);
    cr_assert_eq(W(&o), ERR_NOT_FOUND, "not a member any more");
    o = (struct op){.k = OP_ORG_MEMBER_REMOVE, .acct = acct_a, .id = org->id, .id2 = m[4]->id};
    cr_assert_eq(W(&o), ERR_NOT_FOUND);
    expect_members(org->id, (const char *[]){m[2]->id, m[3]->id, m[1]->id}, 3);
    /* Re-added after a removal: at the end. */
    const char *again[] = {m[0]->id};
    o = (struct op){
        .k = OP_ORG_MEMBERS_ADD, .acct = acct_a, .id = org->id, .ids = again, .n_ids = 1};
    cr_assert_eq(W(&o), ERR_OK);
    expect_members(org->id, (const char *[]){m[2]->id, m[3]->id, m[1]->id, m[0]->id}, 4);

    /* Customers show the organizations they are members of. */
    struct customer g = get_customer(acct_a, m[3]->id);
    cr_assert_eq(g.n_orgs, 1);
    cr_assert_str_eq(g.orgs[0].id, org->id);
    cr_assert_str_eq(g.orgs[0].owner.id, owner->id);
    cr_assert_eq(g.orgs[0].n_members, 4);
    g = get_customer(acct_a, owner->id);
    cr_assert_eq(g.n_orgs, 0);

    o = (struct op){.k = OP_ORG_MEMBERS_CLEAR, .acct = acct_a, .id = org->id};
    cr_assert_eq(W(&o), ERR_OK);
    o = (struct op){.k = OP_ORG_MEMBER_COUNT, .acct = acct_a, .id = org->id};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_eq(o.i64, 0);
    expect_members(org->id, NULL, 0);
    g = get_customer(acct_a, m[3]->id);
    cr_assert_eq(g.n_orgs, 0);

    /* Appending to an emptied organization. */
    const char *later[] = {m[4]->id, m[1]->id};
    o = (struct op){
        .k = OP_ORG_MEMBERS_ADD, .acct = acct_a, .id = org->id, .ids = later, .n_ids = 2};
    cr_assert_eq(W(&o), ERR_OK);
    expect_members(org->id, later, 2);

    o = (struct op){.k = OP_ORG_DELETE, .acct = acct_a, .id = org->id};
    cr_assert_eq(W(&o), ERR_OK);
    cr_assert_eq(W(&o), ERR_NOT_FOUND);
    o = (struct op){.k = OP_ORG_GET, .acct = acct_a, .id = org->id};
    cr_assert_eq(R(&o), ERR_NOT_FOUND);
    o = (struct op){.k = OP_ORG_ID_BY_OWNER, .acct = acct_a, .id = owner->id};
    cr_assert_eq(R(&o), ERR_NOT_FOUND);
    o = (struct op){.k = OP_ORG_MEMBER_COUNT, .acct = acct_a, .id = org->id};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_eq(o.i64, 0, "memberships go with the organization");
    g = get_customer(acct_a, m[4]->id);
    cr_assert_eq(g.n_orgs, 0);

    /* The owner may own a new one now. */
    o = (struct op){.k = OP_ORG_INSERT, .acct = acct_a, .org = second};
    cr_assert_eq(W(&o), ERR_OK);
}

/* The names of org_id's owner and members as store `s` reads them,
 * "owner:m1,m2". */
static const char *org_names(struct store *s, const char *org_id)
{
    struct op o = {.k = OP_ORG_GET, .acct = acct_a, .id = org_id};
    cr_assert_eq(store_read(s, op_fn, &o), ERR_OK);
    struct buf_names {
        char text[512];
        size_t len;
    } b = {.len = 0};
    b.len += (size_t)snprintf(b.text, sizeof(b.text), "%s:", o.org_out.owner.name);
    for (size_t i = 0; i < o.org_out.n_members && b.len < sizeof(b.text); i++)
        b.len += (size_t)snprintf(b.text + b.len, sizeof(b.text) - b.len, "%s%s", i ? "," : "",
                                  o.org_out.members[i].name);
    return arena_strdup(A, b.text);
}

/*
 * Two stores on one database, as two kinship processes (or a running
 * server and `kinship import`) would be: what one changes, the other reads
 * at once, whatever it read (and may keep in its organization cache)
 * before. And an unchanged organization read twice comes from the cache
 * the second time, where the store keeps one.
 */
Test(store, a_second_store_never_reads_a_stale_organization)
{
    struct store_options opt;
    store_options_default(&opt);
    struct store *S2;
    cr_assert_eq(store_open(url, &opt, &S2), ERR_OK);
    struct customer *owner = insert_customer("Owner", 0);
    struct customer *m[3];
    for (int i = 0; i < 3; i++)
        m[i] = insert_customer(arena_printf(A, "m%d", i), i + 1);
    struct organization *org = insert_org(owner->id, (const char *[]){m[0]->id}, 1, 10);

    cr_assert_str_eq(org_names(S2, org->id), "Owner:m0");
    struct store_stats st0, st1;
    store_stats(S2, &st0);
    cr_assert_str_eq(org_names(S2, org->id), "Owner:m0");
    store_stats(S2, &st1);
    if (is_sqlite()) {
        cr_assert_eq(st1.org_cache_hits, st0.org_cache_hits + 1, "the second read is a hit");
        cr_assert_gt(st1.org_cache_entries, 0);
        cr_assert_gt(st1.org_cache_bytes, 0);
    }

    const char *add[] = {m[1]->id, m[2]->id};
    struct op o = {.k = OP_ORG_MEMBERS_ADD, .acct = acct_a, .id = org->id, .ids = add, .n_ids = 2};
    cr_assert_eq(W(&o), ERR_OK);
    cr_assert_str_eq(org_names(S2, org->id), "Owner:m0,m1,m2", "an addition");

    o = (struct op){.k = OP_ORG_MEMBER_REMOVE, .acct = acct_a, .id = org->id, .id2 = m[1]->id};
    cr_assert_eq(W(&o), ERR_OK);
    cr_assert_str_eq(org_names(S2, org->id), "Owner:m0,m2", "a removal");

    struct customer u = *m[2];
    u.legal_name = "m2 renamed";
    u.contacts = NULL; /* the update would insert them again */
    u.n_contacts = 0;
    o = (struct op){.k = OP_CUSTOMER_UPDATE, .acct = acct_a, .customer = &u};
    cr_assert_eq(W(&o), ERR_OK);
    cr_assert_str_eq(org_names(S2, org->id), "Owner:m0,m2 renamed", "a member's new name");
    u = *owner;
    u.legal_name = "Owner renamed";
    u.contacts = NULL;
    u.n_contacts = 0;
    o = (struct op){.k = OP_CUSTOMER_UPDATE, .acct = acct_a, .customer = &u};
    cr_assert_eq(W(&o), ERR_OK);
    cr_assert_str_eq(org_names(S2, org->id), "Owner renamed:m0,m2 renamed", "the owner's");
    struct customer g = get_customer(acct_a, m[0]->id);
    cr_assert_eq(g.n_orgs, 1);
    cr_assert_str_eq(g.orgs[0].owner.name, "Owner renamed", "in the customer's organizations");

    o = (struct op){.k = OP_ORG_MEMBERS_CLEAR, .acct = acct_a, .id = org->id};
    cr_assert_eq(W(&o), ERR_OK);
    cr_assert_str_eq(org_names(S2, org->id), "Owner renamed:", "a clear");

    o = (struct op){.k = OP_ORG_DELETE, .acct = acct_a, .id = org->id};
    cr_assert_eq(W(&o), ERR_OK);
    o = (struct op){.k = OP_ORG_GET, .acct = acct_a, .id = org->id};
    cr_assert_eq(store_read(S2, op_fn, &o), ERR_NOT_FOUND, "a deletion");
    store_close(S2);
}

Test(store, org_ids_of_member_oldest_first)
{
    struct customer *kid = insert_customer("kid", 0);
    struct customer *p[3];
    struct organization *org[3];
    const char *m[] = {kid->id};
    /* Created out of id order: the later created_at comes first. */
    int64_t when[] = {30, 10, 20};
    for (int i = 0; i < 3; i++) {
        p[i] = insert_customer(arena_printf(A, "parent%d", i), i + 1);
        org[i] = insert_org(p[i]->id, m, 1, when[i]);
    }
    struct customer g = get_customer(acct_a, kid->id);
    cr_assert_eq(g.n_orgs, 3);
    cr_assert_str_eq(g.orgs[0].id, org[1]->id);
    cr_assert_str_eq(g.orgs[1].id, org[2]->id);
    cr_assert_str_eq(g.orgs[2].id, org[0]->id);
    cr_assert_str_eq(g.orgs[0].owner.name, "parent1");
}

Test(store, org_reaches)
{
    /* a -> {b, x}, b -> {c}, c -> {d}; y alone. */
    struct customer *a = insert_customer("a", 0), *b = insert_customer("b", 1),
                    *c = insert_customer("c", 2), *d = insert_customer("d", 3),
                    *x = insert_customer("x", 4), *y = insert_customer("y", 5);
    insert_org(a->id, (const char *[]){b->id, x->id}, 2, 0);
    insert_org(b->id, (const char *[]){c->id}, 1, 1);
    struct organization *oc = insert_org(c->id, (const char *[]){d->id}, 1, 2);

    struct {
        const char *from, *to;
        bool want;
    } cases[] = {
        {a->id, b->id, true},  {a->id, c->id, true},  {a->id, d->id, true},  {b->id, d->id, true},
        {a->id, x->id, true},  {a->id, a->id, true},  {d->id, a->id, false}, {c->id, b->id, false},
        {x->id, d->id, false}, {b->id, x->id, false}, {a->id, y->id, false}, {y->id, a->id, false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        struct op o = {.k = OP_ORG_REACHES,
                       .acct = acct_a,
                       .id = cases[i].from,
                       .id2 = cases[i].to,
                       .b = !cases[i].want};
        cr_assert_eq(R(&o), ERR_OK);
        cr_assert_eq(o.b, cases[i].want, "case %zu", i);
    }

    /* Data with a cycle (the store does not forbid it): the walk ends. */
    insert_org(d->id, (const char *[]){a->id}, 1, 3);
    struct op o = {.k = OP_ORG_REACHES, .acct = acct_a, .id = b->id, .id2 = y->id, .b = true};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_not(o.b);
    o = (struct op){.k = OP_ORG_REACHES, .acct = acct_a, .id = d->id, .id2 = x->id};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert(o.b);

    /* A removed link cuts the chain. */
    o = (struct op){.k = OP_ORG_DELETE, .acct = acct_a, .id = oc->id};
    cr_assert_eq(W(&o), ERR_OK);
    o = (struct op){.k = OP_ORG_REACHES, .acct = acct_a, .id = a->id, .id2 = d->id, .b = true};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_not(o.b);
}

Test(store, org_list)
{
    struct customer *own[5];
    struct customer *shared = insert_customer("shared", 100);
    struct organization *org[5];
    for (int i = 0; i < 5; i++) {
        own[i] = insert_customer(arena_printf(A, "own%d", i), i);
        const char *m[] = {shared->id};
        org[i] = insert_org(own[i]->id, m, i % 2 == 0 ? 1 : 0, i);
    }
    /* Newest (largest id) first. */
    struct page_query pq = {.limit = 2, .desc = true};
    struct op o = {.k = OP_ORG_LIST, .acct = acct_a, .pq = &pq};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_eq(o.n, 2);
    cr_assert_str_eq(o.org_items[0].id, org[4]->id);
    cr_assert_str_eq(o.org_items[1].id, org[3]->id);
    cr_assert_str_eq(o.org_items[0].owner.name, "own4");
    cr_assert_eq(o.org_items[0].n_members, 1);
    cr_assert_str_eq(o.org_items[0].members[0].name, "shared");
    cr_assert(o.pr.has_next);
    cr_assert_not(o.pr.has_prev);
    cr_assert_eq(o.pr.total, 5);
    set_after(&pq, NULL, o.org_items[1].id);
    o = (struct op){.k = OP_ORG_LIST, .acct = acct_a, .pq = &pq};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_eq(o.n, 2);
    cr_assert_str_eq(o.org_items[0].id, org[2]->id);
    cr_assert_str_eq(o.org_items[1].id, org[1]->id);
    cr_assert(o.pr.has_next);
    cr_assert(o.pr.has_prev);
    set_before(&pq, NULL, o.org_items[0].id);
    o = (struct op){.k = OP_ORG_LIST, .acct = acct_a, .pq = &pq};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_eq(o.n, 2);
    cr_assert_str_eq(o.org_items[0].id, org[4]->id);
    cr_assert_not(o.pr.has_prev);

    /* By member: the even ones; ascending, paged. */
    pq = (struct page_query){.limit = 2, .desc = false};
    o = (struct op){.k = OP_ORG_LIST, .acct = acct_a, .id2 = shared->id, .pq = &pq};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_eq(o.n, 2);
    cr_assert_str_eq(o.org_items[0].id, org[0]->id);
    cr_assert_str_eq(o.org_items[1].id, org[2]->id);
    cr_assert(o.pr.has_next);
    cr_assert_eq(o.pr.total, 3);
    set_after(&pq, NULL, o.org_items[1].id);
    o = (struct op){.k = OP_ORG_LIST, .acct = acct_a, .id2 = shared->id, .pq = &pq};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_eq(o.n, 1);
    cr_assert_str_eq(o.org_items[0].id, org[4]->id);
    cr_assert_not(o.pr.has_next);
    cr_assert(o.pr.has_prev);

    /* By owner, and by both. */
    pq = (struct page_query){.limit = 10, .desc = true};
    o = (struct op){.k = OP_ORG_LIST, .acct = acct_a, .id = own[1]->id, .pq = &pq};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_eq(o.n, 1);
    cr_assert_str_eq(o.org_items[0].id, org[1]->id);
    cr_assert_eq(o.pr.total, 1);
    o = (struct op){
        .k = OP_ORG_LIST, .acct = acct_a, .id = own[1]->id, .id2 = shared->id, .pq = &pq};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_eq(o.n, 0, "org 1 has no members");
    o = (struct op){
        .k = OP_ORG_LIST, .acct = acct_a, .id = own[2]->id, .id2 = shared->id, .pq = &pq};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_eq(o.n, 1);
}

/* ---- tenancy ---- */

Test(store, tenancy)
{
    struct customer *c = insert_customer("tenant a", 0);
    struct customer *k = insert_customer("tenant a kid", 1);
    struct organization *org = insert_org(c->id, (const char *[]){k->id}, 1, 0);
    struct alias *al = mk_alias(c->id, "shared-value", 0);
    struct op o = {.k = OP_ALIAS_INSERT, .acct = acct_a, .alias = al};
    cr_assert_eq(W(&o), ERR_OK);
    const char *B = acct_b;

    o = (struct op){.k = OP_CUSTOMER_GET, .acct = B, .id = c->id};
    cr_assert_eq(R(&o), ERR_NOT_FOUND);
    struct customer u = *c;
    u.legal_name = "hijacked";
    o = (struct op){.k = OP_CUSTOMER_UPDATE, .acct = B, .customer = &u, .flag = true};
    cr_assert_eq(W(&o), ERR_NOT_FOUND);
    o = (struct op){.k = OP_CUSTOMER_ARCHIVE, .acct = B, .id = c->id, .now = T0};
    cr_assert_eq(W(&o), ERR_NOT_FOUND);
    const char *ids[] = {c->id};
    o = (struct op){.k = OP_CUSTOMER_BRIEFS, .acct = B, .ids = ids, .n_ids = 1};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_not(o.briefs[0].found);
    struct customer_query q = {.include_archived = true, .page = {.limit = 10}};
    o = (struct op){.k = OP_CUSTOMER_LIST, .acct = B, .cq = &q};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_eq(o.n, 0);
    cr_assert_eq(o.pr.total, 0);
    q.email = c->contacts[0].email;
    o = (struct op){.k = OP_CUSTOMER_LIST, .acct = B, .cq = &q};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_eq(o.n, 0);
    o = (struct op){.k = OP_PROPERTY_KEYS, .acct = B};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_eq(o.n, 0);

    o = (struct op){.k = OP_CONTACT_LIST, .acct = B, .id = c->id, .flag = true};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_eq(o.n, 0);
    o = (struct op){.k = OP_CONTACT_GET, .acct = B, .id = c->id, .id2 = c->contacts[0].id};
    cr_assert_eq(R(&o), ERR_NOT_FOUND);
    o = (struct op){.k = OP_CONTACT_UPDATE, .acct = B, .id = c->id, .contact = &c->contacts[0]};
    cr_assert_eq(W(&o), ERR_NOT_FOUND);

    o = (struct op){.k = OP_ALIAS_GET, .acct = B, .id = al->id};
    cr_assert_eq(R(&o), ERR_NOT_FOUND);
    o = (struct op){.k = OP_ALIAS_GET_BY_VALUE, .acct = B, .str = "shared-value"};
    cr_assert_eq(R(&o), ERR_NOT_FOUND);
    struct alias deleted = *al;
    deleted.deleted_at = T0 + 1;
    o = (struct op){.k = OP_ALIAS_UPDATE, .acct = B, .alias = &deleted};
    cr_assert_eq(W(&o), ERR_NOT_FOUND);
    struct page_query pq = {.limit = 10, .desc = true};
    o = (struct op){.k = OP_ALIAS_LIST, .acct = B, .pq = &pq};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_eq(o.n, 0);
    o = (struct op){.k = OP_ALIAS_LIST_FOR_CUSTOMER, .acct = B, .id = c->id};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_eq(o.n, 0);
    /* Alias values are unique per account, not globally. */
    struct customer *cb = insert_customer_in(B, "tenant b", 0);
    struct alias *alb = mk_alias(cb->id, "shared-value", 0);
    o = (struct op){.k = OP_ALIAS_INSERT, .acct = B, .alias = alb};
    cr_assert_eq(W(&o), ERR_OK);

    o = (struct op){.k = OP_ORG_GET, .acct = B, .id = org->id};
    cr_assert_eq(R(&o), ERR_NOT_FOUND);
    o = (struct op){.k = OP_ORG_ID_BY_OWNER, .acct = B, .id = c->id};
    cr_assert_eq(R(&o), ERR_NOT_FOUND);
    o = (struct op){.k = OP_ORG_MEMBER_COUNT, .acct = B, .id = org->id};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_eq(o.i64, 0);
    o = (struct op){.k = OP_ORG_MEMBER_REMOVE, .acct = B, .id = org->id, .id2 = k->id};
    cr_assert_eq(W(&o), ERR_NOT_FOUND);
    o = (struct op){.k = OP_ORG_MEMBERS_CLEAR, .acct = B, .id = org->id};
    W(&o); /* whatever it answers, A's members stay */
    o = (struct op){.k = OP_ORG_DELETE, .acct = B, .id = org->id};
    cr_assert_eq(W(&o), ERR_NOT_FOUND);
    o = (struct op){.k = OP_ORG_REACHES, .acct = B, .id = c->id, .id2 = k->id, .b = true};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_not(o.b);
    o = (struct op){.k = OP_ORG_LIST, .acct = B, .pq = &pq};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_eq(o.n, 0);
    /* B's owner may own an organization although A's customer does. */
    struct organization *orgb = mk_org(cb->id, NULL, 0, 0);
    memcpy(orgb->id, org->id, sizeof(orgb->id));
    o = (struct op){.k = OP_ORG_INSERT, .acct = B, .org = orgb};
    cr_assert_eq(W(&o), ERR_OK, "ids are scoped by account");

    /* A's rows are intact. */
    struct customer g = get_customer(acct_a, c->id);
    cr_assert_str_eq(g.legal_name, "tenant a");
    cr_assert_eq(g.archived_at, 0);
    cr_assert_eq(g.n_contacts, 2);
    expect_members(org->id, (const char *[]){k->id}, 1);
    o = (struct op){.k = OP_ORG_GET, .acct = acct_a, .id = org->id};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_str_eq(o.org_out.owner.id, c->id);
    o = (struct op){.k = OP_ALIAS_GET, .acct = acct_a, .id = al->id};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_str_eq(o.al_out.customer_id, c->id);
}

/* ---- store_write: idempotency, atomicity, concurrency ---- */

struct counted {
    struct customer *c;
    const char *account;
    int runs;
    enum err fail_with; /* after the insert */
};

static enum err counted_fn(struct store_tx *tx, void *arg)
{
    struct counted *k = arg;
    k->runs++;
    enum err rc = store_customer_insert(tx, k->account, k->c);
    return rc ? rc : k->fail_with;
}

static void counted_render(void *arg, int *status, char **body)
{
    struct counted *k = arg;
    *status = 201;
    char buf[128];
    snprintf(buf, sizeof(buf), "{\"id\":\"%s\"}", k->c->id);
    *body = xstrdup(buf);
}

static enum err idem_write(const char *account, const char *key, uint8_t hash_byte,
                           struct counted *k, struct store_write *w)
{
    *w = (struct store_write){.fn = counted_fn,
                              .arg = k,
                              .render = counted_render,
                              .account_id = account,
                              .idem_key = key};
    memset(w->idem_hash, hash_byte, IDEM_HASH_LEN);
    return store_write(S, w);
}

static bool customer_exists(const char *account, const char *id)
{
    struct op o = {.k = OP_CUSTOMER_GET, .acct = account, .id = id};
    enum err rc = R(&o);
    cr_assert(rc == ERR_OK || rc == ERR_NOT_FOUND);
    return rc == ERR_OK;
}

Test(store, idempotency)
{
    struct counted k = {.c = mk_customer("idem", 0), .account = acct_a};
    struct store_write w;
    cr_assert_eq(idem_write(acct_a, "key-1", 1, &k, &w), ERR_OK);
    cr_assert_not(w.replayed);
    cr_assert_eq(w.status, 201);
    cr_assert_not_null(w.body);
    char *first = w.body;
    cr_assert_eq(k.runs, 1);

    /* Same key, same hash: the first answer, without running fn. */
    struct counted k2 = {.c = mk_customer("idem again", 1), .account = acct_a};
    cr_assert_eq(idem_write(acct_a, "key-1", 1, &k2, &w), ERR_OK);
    cr_assert(w.replayed);
    cr_assert_eq(w.status, 201);
    cr_assert_str_eq(w.body, first);
    cr_assert_eq(k2.runs, 0, "fn not run on replay");
    cr_assert_not(customer_exists(acct_a, k2.c->id));
    free(w.body);

    /* Same key, other hash: conflict, nothing run. */
    cr_assert_eq(idem_write(acct_a, "key-1", 2, &k2, &w), ERR_IDEMPOTENCY_CONFLICT);
    cr_assert_null(w.body);
    cr_assert_eq(k2.runs, 0);
    cr_assert_not(customer_exists(acct_a, k2.c->id));

    /* Keys belong to an account. */
    struct counted kb = {.c = mk_customer("idem b", 2), .account = acct_b};
    cr_assert_eq(idem_write(acct_b, "key-1", 2, &kb, &w), ERR_OK);
    cr_assert_not(w.replayed);
    cr_assert_eq(kb.runs, 1);
    cr_assert(customer_exists(acct_b, kb.c->id));
    free(w.body);

    /* A failed write records no answer: the retry runs fn. */
    struct counted kf = {
        .c = mk_customer("idem fail", 3), .account = acct_a, .fail_with = ERR_CUSTOMER_NOT_FOUND};
    cr_assert_eq(idem_write(acct_a, "key-2", 3, &kf, &w), ERR_CUSTOMER_NOT_FOUND);
    cr_assert_null(w.body);
    cr_assert_not(customer_exists(acct_a, kf.c->id));
    kf.fail_with = ERR_OK;
    cr_assert_eq(idem_write(acct_a, "key-2", 3, &kf, &w), ERR_OK);
    cr_assert_not(w.replayed);
    cr_assert_eq(kf.runs, 2);
    cr_assert(customer_exists(acct_a, kf.c->id));
    free(w.body);

    /* The original record still answers. */
    cr_assert_eq(idem_write(acct_a, "key-1", 1, &k2, &w), ERR_OK);
    cr_assert(w.replayed);
    cr_assert_str_eq(w.body, first);
    free(w.body);
    free(first);
}

/* Several ops in one transaction, stopping at the first error. */
struct seq {
    struct op **ops;
    size_t n;
};

static enum err seq_fn(struct store_tx *tx, void *arg)
{
    struct seq *sq = arg;
    for (size_t i = 0; i < sq->n; i++) {
        enum err rc = op_fn(tx, sq->ops[i]);
        if (rc)
            return rc;
    }
    return ERR_OK;
}

Test(store, failed_fn_leaves_nothing)
{
    struct counted k = {
        .c = mk_customer("doomed", 0), .account = acct_a, .fail_with = ERR_CONFLICT};
    struct store_write w = {.fn = counted_fn, .arg = &k, .render = counted_render};
    cr_assert_eq(store_write(S, &w), ERR_CONFLICT);
    cr_assert_null(w.body);
    cr_assert_not(customer_exists(acct_a, k.c->id), "contacts and row rolled back");
    struct op o = {.k = OP_PROPERTY_KEYS, .acct = acct_a};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_eq(o.n, 0, "properties rolled back");
    struct customer_query q = {
        .email = k.c->contacts[0].email, .include_archived = true, .page = {.limit = 5}};
    o = list_customers(&q);
    cr_assert_eq(o.pr.total, 0);

    /* A constraint failure in the middle of fn: the earlier insert goes too. */
    struct customer *owner = insert_customer("owner", 1);
    insert_org(owner->id, NULL, 0, 0);
    struct customer *half = mk_customer("half", 2);
    struct op ins = {.k = OP_CUSTOMER_INSERT, .acct = acct_a, .customer = half};
    struct op dup = {.k = OP_ORG_INSERT, .acct = acct_a, .org = mk_org(owner->id, NULL, 0, 1)};
    struct op *ops[] = {&ins, &dup};
    struct seq sq = {ops, 2};
    cr_assert_eq(write_fn(S, seq_fn, &sq), ERR_ORGANIZATION_EXISTS);
    cr_assert_not(customer_exists(acct_a, half->id));
}

/* 32 writers check for the owner's organization, then insert one. */
struct race {
    const char *owner;
    pthread_barrier_t *start;
    enum err rc;
    char org_id[ID_LEN + 1];
};

static enum err race_fn(struct store_tx *tx, void *arg)
{
    struct race *r = arg;
    char existing[ID_LEN + 1];
    enum err rc = store_org_id_by_owner(tx, acct_a, r->owner, existing);
    if (rc == ERR_OK)
        return ERR_ORGANIZATION_EXISTS;
    if (rc != ERR_NOT_FOUND)
        return rc;
    struct organization o = {.created_at = T0};
    memcpy(o.id, r->org_id, sizeof(o.id));
    snprintf(o.owner.id, sizeof(o.owner.id), "%s", r->owner);
    return store_org_insert(tx, acct_a, &o);
}

static void *race_thread(void *arg)
{
    struct race *r = arg;
    pthread_barrier_wait(r->start);
    r->rc = write_fn(S, race_fn, r);
    return NULL;
}

Test(store, concurrent_org_insert_one_wins)
{
    enum { N = 32 };
    struct customer *owner = insert_customer("contested", 0);
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, N);
    struct race r[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        r[i] = (struct race){.owner = owner->id, .start = &start, .rc = ERR_INTERNAL};
        id_new(r[i].org_id);
        cr_assert_eq(pthread_create(&th[i], NULL, race_thread, &r[i]), 0);
    }
    for (int i = 0; i < N; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&start);
    int won = -1, lost = 0;
    for (int i = 0; i < N; i++) {
        if (r[i].rc == ERR_OK) {
            cr_assert_eq(won, -1, "two writers won");
            won = i;
        } else {
            cr_assert_eq(r[i].rc, ERR_ORGANIZATION_EXISTS, "writer %d: %s", i, err_type(r[i].rc));
            lost++;
        }
    }
    cr_assert_neq(won, -1, "nobody won");
    cr_assert_eq(lost, N - 1);
    struct op o = {.k = OP_ORG_ID_BY_OWNER, .acct = acct_a, .id = owner->id};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_str_eq(o.id_out, r[won].org_id);
    struct page_query pq = {.limit = 50, .desc = true};
    o = (struct op){.k = OP_ORG_LIST, .acct = acct_a, .pq = &pq};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_eq(o.pr.total, 1);
}

/* Writers that share commits: the failures leave no trace, the successes
 * are all there, replays included. */
struct mixed {
    struct counted k;
    pthread_barrier_t *start;
    char key[32];
    bool with_key;
    enum err rc;
};

static void *mixed_thread(void *arg)
{
    struct mixed *m = arg;
    pthread_barrier_wait(m->start);
    struct store_write w;
    if (m->with_key) {
        m->rc = idem_write(acct_a, m->key, 7, &m->k, &w);
    } else {
        w = (struct store_write){.fn = counted_fn, .arg = &m->k, .render = counted_render};
        m->rc = store_write(S, &w);
    }
    free(w.body);
    return NULL;
}

Test(store, concurrent_writes_fail_alone)
{
    enum { N = 48 };
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, N);
    struct mixed *m = arena_zalloc(A, N * sizeof(*m));
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        m[i].k = (struct counted){.c = mk_customer(arena_printf(A, "w%d", i), i),
                                  .account = acct_a,
                                  .fail_with = i % 3 == 1 ? ERR_HIERARCHY_CYCLE : ERR_OK};
        m[i].start = &start;
        m[i].with_key = i % 2 == 0;
        snprintf(m[i].key, sizeof(m[i].key), "mixed-%d", i);
        cr_assert_eq(pthread_create(&th[i], NULL, mixed_thread, &m[i]), 0);
    }
    for (int i = 0; i < N; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&start);
    int64_t ok = 0;
    for (int i = 0; i < N; i++) {
        bool fails = i % 3 == 1;
        cr_assert_eq(m[i].rc, fails ? ERR_HIERARCHY_CYCLE : ERR_OK, "writer %d", i);
        cr_assert_eq(customer_exists(acct_a, m[i].k.c->id), !fails, "writer %d", i);
        ok += !fails;
    }
    struct customer_query q = {.include_archived = true, .page = {.limit = 1}};
    struct op o = list_customers(&q);
    cr_assert_eq(o.pr.total, ok);
    /* The keyed successes replay; the keyed failures run again. */
    for (int i = 0; i < N; i += 2) {
        struct counted k = {.c = mk_customer("retry", 1000 + i), .account = acct_a};
        struct store_write w;
        cr_assert_eq(idem_write(acct_a, m[i].key, 7, &k, &w), ERR_OK);
        cr_assert_eq(w.replayed, i % 3 != 1, "writer %d", i);
        free(w.body);
    }
}

/* Readers run beside writers that insert customers two at a time: every
 * snapshot holds an even number. */
struct pair_writer {
    int rounds;
    enum err rc;
    pthread_barrier_t *start;
};

static enum err pair_fn(struct store_tx *tx, void *arg)
{
    enum err rc = ERR_OK;
    for (int i = 0; i < 2 && !rc; i++) {
        struct customer c = {.legal_name = "pair", .created_at = T0, .updated_at = T0};
        id_new(c.id);
        rc = store_customer_insert(tx, acct_a, &c);
    }
    return rc;
}

static void *pair_writer_thread(void *arg)
{
    struct pair_writer *p = arg;
    pthread_barrier_wait(p->start);
    for (int i = 0; i < p->rounds && !p->rc; i++)
        p->rc = write_fn(S, pair_fn, NULL);
    return NULL;
}

struct reader {
    int rounds;
    enum err rc;
    bool odd_seen;
    int64_t last;
    pthread_barrier_t *start;
};

static enum err count_fn(struct store_tx *tx, void *arg)
{
    struct reader *r = arg;
    struct arena *a = arena_create();
    struct customer_query q = {.include_archived = true, .page = {.limit = 2, .desc = true}};
    struct customer *items;
    const char **keys;
    size_t n;
    struct page_result pr;
    enum err rc = store_customer_list(tx, a, acct_a, &q, &items, &keys, &n, &pr);
    if (rc == ERR_OK) {
        if (pr.total % 2)
            r->odd_seen = true;
        if (pr.total < r->last)
            r->odd_seen = true; /* went back in time */
        r->last = pr.total;
    }
    arena_destroy(a);
    return rc;
}

static void *reader_thread(void *arg)
{
    struct reader *r = arg;
    pthread_barrier_wait(r->start);
    for (int i = 0; i < r->rounds && !r->rc; i++)
        r->rc = store_read(S, count_fn, r);
    return NULL;
}

Test(store, concurrent_reads_see_whole_writes)
{
    enum { NW = 4, NR = 12 };
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, NW + NR);
    struct pair_writer w[NW];
    struct reader r[NR];
    pthread_t th[NW + NR];
    for (int i = 0; i < NW; i++) {
        w[i] = (struct pair_writer){.rounds = 40, .start = &start};
        cr_assert_eq(pthread_create(&th[i], NULL, pair_writer_thread, &w[i]), 0);
    }
    for (int i = 0; i < NR; i++) {
        r[i] = (struct reader){.rounds = 150, .start = &start};
        cr_assert_eq(pthread_create(&th[NW + i], NULL, reader_thread, &r[i]), 0);
    }
    for (int i = 0; i < NW + NR; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&start);
    for (int i = 0; i < NW; i++)
        cr_assert_eq(w[i].rc, ERR_OK, "writer %d: %s", i, err_type(w[i].rc));
    for (int i = 0; i < NR; i++) {
        cr_assert_eq(r[i].rc, ERR_OK, "reader %d: %s", i, err_type(r[i].rc));
        cr_assert_not(r[i].odd_seen, "reader %d saw half a write", i);
    }
    struct customer_query q = {.include_archived = true, .page = {.limit = 1}};
    struct op o = list_customers(&q);
    cr_assert_eq(o.pr.total, NW * 40 * 2);
}

/* ---- the store itself ---- */

Test(store, kind_ping_and_reopen)
{
    cr_assert(store_ping(S));
    const char *kind = store_kind(S);
    cr_assert(strcmp(kind, "sqlite") == 0 || strcmp(kind, "postgresql") == 0);
    if (strcmp(kind, "sqlite") == 0)
        cr_assert_not(store_blocks(S));
    struct customer *c = insert_customer("durable", 0);
    store_close(S);
    S = NULL;
    struct store_options opt;
    store_options_default(&opt);
    cr_assert_eq(store_open(url, &opt, &S), ERR_OK, "reopen (migrations already applied)");
    struct customer g = get_customer(acct_a, c->id);
    cr_assert_str_eq(g.legal_name, "durable");
    cr_assert_eq(g.n_contacts, 2);
}

/* Two stores on one database (as `kinship keys create` beside a running
 * server): both write at once, each sees the other's rows. */
struct twin {
    struct store *s;
    int rounds;
    enum err rc;
    char (*ids)[ID_LEN + 1];
    pthread_barrier_t *start;
};

static enum err twin_fn(struct store_tx *tx, void *arg)
{
    struct customer c = {.legal_name = "twin", .created_at = T0, .updated_at = T0};
    memcpy(c.id, arg, sizeof(c.id));
    return store_customer_insert(tx, acct_a, &c);
}

static void *twin_thread(void *arg)
{
    struct twin *t = arg;
    pthread_barrier_wait(t->start);
    for (int i = 0; i < t->rounds && !t->rc; i++)
        t->rc = write_fn(t->s, twin_fn, t->ids[i]);
    return NULL;
}

Test(store, two_stores_one_database)
{
    struct store_options opt;
    store_options_default(&opt);
    struct store *s2 = NULL;
    cr_assert_eq(store_open(url, &opt, &s2), ERR_OK);
    enum { ROUNDS = 60 };
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, 4);
    struct twin t[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        t[i] = (struct twin){.s = i % 2 ? s2 : S, .rounds = ROUNDS, .start = &start};
        t[i].ids = arena_alloc(A, ROUNDS * sizeof(*t[i].ids));
        for (int j = 0; j < ROUNDS; j++)
            id_new(t[i].ids[j]);
        cr_assert_eq(pthread_create(&th[i], NULL, twin_thread, &t[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&start);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(t[i].rc, ERR_OK, "writer %d: %s", i, err_type(t[i].rc));
    struct customer_query q = {.include_archived = true, .page = {.limit = 1}};
    struct op o = {.k = OP_CUSTOMER_LIST, .acct = acct_a, .cq = &q};
    cr_assert_eq(store_read(s2, op_fn, &o), ERR_OK);
    cr_assert_eq(o.pr.total, 4 * ROUNDS);
    o = list_customers(&q);
    cr_assert_eq(o.pr.total, 4 * ROUNDS);
    store_close(s2);
}

/* Processes starting together on a database nobody has migrated yet: each
 * open waits for the others' migrations instead of failing. */
struct opener {
    const char *url;
    pthread_barrier_t *start;
    struct store *s;
    enum err rc;
};

static void *opener_thread(void *arg)
{
    struct opener *op = arg;
    struct store_options opt;
    store_options_default(&opt);
    pthread_barrier_wait(op->start);
    op->rc = store_open(op->url, &opt, &op->s);
    return NULL;
}

Test(store, concurrent_opens_of_a_new_database)
{
    enum { N = 6 };
    char fresh[sizeof(url)];
    if (is_sqlite())
        snprintf(fresh, sizeof(fresh), "sqlite:%s/fresh.db", dir);
    else
        snprintf(fresh, sizeof(fresh), "%s", url);
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, N);
    struct opener op[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        op[i] = (struct opener){.url = fresh, .start = &start, .rc = ERR_INTERNAL};
        cr_assert_eq(pthread_create(&th[i], NULL, opener_thread, &op[i]), 0);
    }
    for (int i = 0; i < N; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&start);
    for (int i = 0; i < N; i++)
        cr_assert_eq(op[i].rc, ERR_OK, "open %d: %s", i, err_type(op[i].rc));
    char name[64], id1[ID_LEN + 1], id2[ID_LEN + 1];
    char u[ID_LEN + 1];
    id_new(u);
    snprintf(name, sizeof(name), "test-%s", u);
    struct op o = {.k = OP_ACCOUNT_ENSURE, .str = name, .now = T0};
    cr_assert_eq(write_fn(op[0].s, op_fn, &o), ERR_OK);
    memcpy(id1, o.id_out, sizeof(id1));
    o = (struct op){.k = OP_ACCOUNT_ENSURE, .str = name, .now = T0};
    cr_assert_eq(write_fn(op[N - 1].s, op_fn, &o), ERR_OK);
    memcpy(id2, o.id_out, sizeof(id2));
    cr_assert_str_eq(id1, id2, "one database behind every store");
    for (int i = 0; i < N; i++)
        store_close(op[i].s);
}

/* SQLite: when the disk refuses writes, store_write answers
 * ERR_UNAVAILABLE and stores nothing of that write; what it acknowledged is
 * there; once the disk takes writes again, so does the store. The file size
 * limit (RLIMIT_FSIZE) plays the full disk. */
Test(store, sqlite_disk_full_then_recovers)
{
    if (!is_sqlite())
        cr_skip_test("SQLite only");
    signal(SIGXFSZ, SIG_IGN);
    char wal[600];
    snprintf(wal, sizeof(wal), "%s-wal", db_path);
    struct stat sd, sw;
    cr_assert_eq(stat(db_path, &sd), 0);
    off_t cur = sd.st_size;
    if (stat(wal, &sw) == 0 && sw.st_size > cur)
        cur = sw.st_size;
    struct rlimit old, lim;
    cr_assert_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = (rlim_t)cur + 96 * 1024;
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);

    char *big = arena_alloc(A, 6001);
    memset(big, 'x', 6000);
    big[6000] = '\0';
    struct customer *acked[400];
    struct customer *refused[400];
    size_t n_acked = 0, n_refused = 0;
    for (int i = 0; i < 400 && n_refused < 3; i++) {
        struct customer *c = mk_customer(arena_printf(A, "%d-%s", i, big), i);
        struct op o = {.k = OP_CUSTOMER_INSERT, .acct = acct_a, .customer = c};
        enum err rc = W(&o);
        if (rc == ERR_OK) {
            acked[n_acked++] = c;
        } else {
            cr_assert_eq(rc, ERR_UNAVAILABLE, "%s", err_type(rc));
            refused[n_refused++] = c;
        }
    }
    cr_assert_gt(n_refused, 0, "the size limit never hit");
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &old), 0);

    struct customer *after = insert_customer("after the fault", 5000);
    for (size_t i = 0; i < n_acked; i++)
        cr_assert(customer_exists(acct_a, acked[i]->id), "acknowledged write %zu lost", i);
    for (size_t i = 0; i < n_refused; i++)
        cr_assert_not(customer_exists(acct_a, refused[i]->id), "refused write %zu stored", i);

    /* And from the file itself. */
    store_close(S);
    S = NULL;
    struct store_options opt;
    store_options_default(&opt);
    cr_assert_eq(store_open(url, &opt, &S), ERR_OK);
    for (size_t i = 0; i < n_acked; i++)
        cr_assert(customer_exists(acct_a, acked[i]->id), "acknowledged write %zu lost", i);
    for (size_t i = 0; i < n_refused; i++)
        cr_assert_not(customer_exists(acct_a, refused[i]->id));
    cr_assert(customer_exists(acct_a, after->id));
}
