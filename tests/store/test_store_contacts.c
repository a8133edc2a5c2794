/*
 * The store contract, contacts: list, get, insert and update of a
 * customer's contacts.
 */
#include "store_fixture.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
