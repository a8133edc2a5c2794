/*
 * The store contract, accounts and API clients (store.h's first section),
 * and tenancy: every primitive keeps to its own account.
 */
#include "store_fixture.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
