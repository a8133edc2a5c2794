/*
 * The store contract, lists: the customer list's sorts, filters and keyset
 * cursors, and the custom property keys.
 */
#include "store_fixture.h"

#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
