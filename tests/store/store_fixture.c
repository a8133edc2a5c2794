/* See store_fixture.h. */
#include "store_fixture.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct store *S;
struct arena *A;
struct test_db fx;
char acct_a[ID_LEN + 1], acct_b[ID_LEN + 1];
char acct_name[64], acct_b_name[64];

bool is_sqlite(void)
{
    return strcmp(store_kind(S), "sqlite") == 0;
}

static void render_ok(void *arg, int *status, char **body)
{
    *status = 200;
    *body = xstrdup("{}");
}

/* store_write without an idempotency key; the answer's body is dropped. */
enum err write_fn(struct store *s, store_fn fn, void *arg)
{
    struct store_write w = {.fn = fn, .arg = arg, .render = render_ok};
    enum err rc = store_write(s, &w);
    free(w.body);
    return rc;
}

enum err op_fn(struct store_tx *tx, void *arg)
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

enum err R(struct op *o)
{
    return store_read(S, op_fn, o);
}

enum err W(struct op *o)
{
    return write_fn(S, op_fn, o);
}

void ensure_account(const char *name, char id[ID_LEN + 1])
{
    struct op o = {.k = OP_ACCOUNT_ENSURE, .str = name, .now = T0};
    cr_assert_eq(W(&o), ERR_OK, "account_ensure");
    memcpy(id, o.id_out, ID_LEN + 1);
}

static void setup(void)
{
    A = arena_create();
    test_db_open(&fx, "store", &S);
    char u1[ID_LEN + 1], u2[ID_LEN + 1];
    id_new(u1);
    id_new(u2);
    snprintf(acct_name, sizeof(acct_name), "test-%s", u1);
    snprintf(acct_b_name, sizeof(acct_b_name), "test-%s", u2);
    ensure_account(acct_name, acct_a);
    ensure_account(acct_b_name, acct_b);
}

static void teardown(void)
{
    test_db_close(&fx, S);
    S = NULL;
    arena_destroy(A);
}

TestSuite(store, .init = setup, .fini = teardown, .timeout = 120);

/* ---- builders ---- */

/* A customer with two contacts, two properties and one integration id,
 * created at T0 + dt. */
struct customer *mk_customer(const char *name, int64_t dt)
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

struct customer *insert_customer_in(const char *account, const char *name, int64_t dt)
{
    struct customer *c = mk_customer(name, dt);
    struct op o = {.k = OP_CUSTOMER_INSERT, .acct = account, .customer = c};
    cr_assert_eq(W(&o), ERR_OK, "customer_insert %s", name);
    return c;
}

struct customer *insert_customer(const char *name, int64_t dt)
{
    return insert_customer_in(acct_a, name, dt);
}

struct customer get_customer(const char *account, const char *id)
{
    struct op o = {.k = OP_CUSTOMER_GET, .acct = account, .id = id};
    cr_assert_eq(R(&o), ERR_OK, "customer_get");
    return o.c_out;
}

struct alias *mk_alias(const char *customer_id, const char *value, int64_t dt)
{
    struct alias *al = arena_zalloc(A, sizeof(*al));
    id_new(al->id);
    snprintf(al->customer_id, sizeof(al->customer_id), "%s", customer_id);
    al->value = arena_strdup(A, value);
    al->created_at = T0 + dt;
    return al;
}

struct organization *mk_org(const char *owner, const char *const *members, size_t n, int64_t dt)
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

struct organization *insert_org(const char *owner, const char *const *members, size_t n, int64_t dt)
{
    struct organization *org = mk_org(owner, members, n, dt);
    struct op o = {.k = OP_ORG_INSERT, .acct = acct_a, .org = org};
    cr_assert_eq(W(&o), ERR_OK, "org_insert");
    return org;
}

void set_after(struct page_query *pq, const char *key, const char *id)
{
    pq->has_cursor = true;
    pq->cursor_after = true;
    pq->cursor_key = key;
    snprintf(pq->cursor_id, sizeof(pq->cursor_id), "%s", id);
}

void set_before(struct page_query *pq, const char *key, const char *id)
{
    set_after(pq, key, id);
    pq->cursor_after = false;
}

/* Runs a customer list and checks the legal names of the page. */
struct op list_customers(const struct customer_query *q)
{
    struct op o = {.k = OP_CUSTOMER_LIST, .acct = acct_a, .cq = q};
    cr_assert_eq(R(&o), ERR_OK, "customer_list");
    return o;
}

void expect_names(const struct op *o, const char *const *names, size_t n)
{
    char got[1024] = "", want[1024] = "";
    for (size_t i = 0; i < o->n; i++)
        snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s ", o->c_items[i].legal_name);
    for (size_t i = 0; i < n; i++)
        snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s ", names[i]);
    cr_assert_str_eq(got, want, "page: got [%s] want [%s]", got, want);
}

void expect_members(const char *org_id, const char *const *ids, size_t n)
{
    struct op o = {.k = OP_ORG_GET, .acct = acct_a, .id = org_id};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_eq(o.org_out.n_members, n, "members: %zu, want %zu", o.org_out.n_members, n);
    for (size_t i = 0; i < n; i++)
        cr_assert_str_eq(o.org_out.members[i].id, ids[i], "member %zu", i);
}
