/*
 * The store contract, aliases: insert, lookups by id and value, update,
 * and the alias list with its cursors.
 */
#include "store_fixture.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
