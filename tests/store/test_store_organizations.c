/*
 * The store contract, organizations: members in order, owners, reach,
 * the organization list, and a second store's organization cache.
 */
#include "store_fixture.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- organizations ---- */

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
    cr_assert_eq(store_open(fx.url, &opt, &S2), ERR_OK);
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
