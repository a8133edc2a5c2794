/*
 * The store contract, customers: insert, get, update (contacts and
 * properties replaced), archive, and the briefs the organization rules read.
 */
#include "store_fixture.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
