/*
 * The organization rules (src/rules/rules.h) on a real store, without HTTP:
 *   KINSHIP_TEST_STORE=sqlite  a fresh database file in a temporary directory;
 *   KINSHIP_TEST_STORE=pg      the database at KINSHIP_TEST_PG_URL (required),
 *                              with fresh, unique account names per test.
 * Each rule function runs inside store_write (or store_read) as the API and
 * the import run it; the tests assert the verdicts: rule, field, error, the
 * ids at fault, and that a broken rule writes nothing.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/clock.h"
#include "../../src/core/id.h"
#include "../../src/core/log.h"
#include "../../src/core/mem.h"
#include "../../src/core/secret.h"
#include "../../src/rules/rules.h"
#include "../../src/store/store.h"
#include "../store/test_db.h"

/* ---- fixture ---- */

static struct store *S;
static struct test_db db;
static struct arena *A;
static char acc_a[ID_LEN + 1], acc_b[ID_LEN + 1]; /* two tenants */
static const struct rules_limits LIM = {.per_request = 1000, .per_organization = 10000};

static void render_ok(void *arg, int *status, char **body)
{
    (void)arg;
    *status = 200;
    *body = xstrdup("{}");
}

static enum err write_fn(store_fn fn, void *arg)
{
    struct store_write w = {.fn = fn, .arg = arg, .render = render_ok};
    enum err rc = store_write(S, &w);
    free(w.body);
    return rc;
}

/*
 * One rule function (or store step) per transaction, through a single
 * dispatcher, so that the tests read as sequences of calls. The verdict
 * and outputs live in the op and the test arena.
 */
enum kind {
    K_ACCOUNT,
    K_CUSTOMER,
    K_ARCHIVE,
    K_OWNER_CHECK,
    K_OWNER_FREE,
    K_LIVE,
    K_NO_CYCLE,
    K_CREATE,
    K_CHANGE,
    K_ATTACH,
    K_INSERT,
    K_COUNT,
    K_ADMIT,
};

struct op {
    enum kind k;
    const char *acct;
    const char *id, *id2; /* owner / parent, child; account name */
    const char *const *ids;
    size_t n;
    bool replace;
    struct rules_limits lim;
    const struct organization *org; /* K_CHANGE: the current one; K_INSERT: the new one */
    struct customer *customer;
    /* out */
    struct rules_verdict v;
    struct organization out;
    const char *name;
    const char **names;
    char id_out[ID_LEN + 1];
    int64_t count;
};

/* K_ADMIT's view of when customers were archived: (id, time) pairs. */
static struct {
    const char *id;
    int64_t at;
} archived_times[4];

static int64_t archived_at(void *ctx, const char *id)
{
    (void)ctx;
    for (size_t i = 0; i < 4; i++)
        if (archived_times[i].id && strcmp(archived_times[i].id, id) == 0)
            return archived_times[i].at;
    return 0;
}

static enum err op_fn(struct store_tx *tx, void *arg)
{
    struct op *o = arg;
    memset(&o->v, 0, sizeof(o->v));
    const struct rules_limits *lim = o->lim.per_request ? &o->lim : &LIM;
    switch (o->k) {
    case K_ACCOUNT:
        return store_account_ensure(tx, o->id, clock_now_ms(), o->id_out);
    case K_CUSTOMER:
        return store_customer_insert(tx, o->acct, o->customer);
    case K_ARCHIVE:
        return store_customer_archive(tx, o->acct, o->id, clock_now_ms());
    case K_OWNER_CHECK:
        return rules_owner_check(tx, A, o->acct, "ownerId", o->id, &o->name, &o->v);
    case K_OWNER_FREE:
        return rules_owner_free(tx, o->acct, "ownerId", o->id, &o->v);
    case K_LIVE:
        o->names = arena_zalloc(A, (o->n + 1) * sizeof(*o->names));
        return rules_customers_live(tx, A, o->acct, "memberIds", o->ids, o->n, o->names, &o->v);
    case K_NO_CYCLE:
        return rules_no_cycle(tx, A, o->acct, "memberIds", o->id, o->ids, o->n, &o->v);
    case K_CREATE:
        return rules_org_create(tx, A, o->acct, lim, o->id, o->ids, o->n, &o->out, &o->v);
    case K_CHANGE:
        return rules_org_members_change(tx, A, o->acct, lim, o->org, o->ids, o->n, o->replace,
                                        &o->out, &o->v);
    case K_ATTACH:
        return rules_parent_attach(tx, A, o->acct, lim, o->id, o->id2, &o->v);
    case K_INSERT:
        return rules_org_insert(tx, o->acct, "ownerId", o->org, &o->v);
    case K_ADMIT:
        return rules_org_admit(tx, A, o->acct, lim, o->org, archived_at, NULL, &o->v);
    case K_COUNT: {
        char org_id[ID_LEN + 1];
        enum err rc = store_org_id_by_owner(tx, o->acct, o->id, org_id);
        if (rc == ERR_NOT_FOUND) {
            o->count = -1;
            return ERR_OK;
        }
        return rc ? rc : store_org_member_count(tx, o->acct, org_id, &o->count);
    }
    }
    return ERR_INTERNAL;
}

static enum err W(struct op *o)
{
    return write_fn(op_fn, o);
}

static enum err R(struct op *o)
{
    return store_read(S, op_fn, o);
}

static void account(char id[ID_LEN + 1])
{
    char name[64], u[ID_LEN + 1];
    id_new(u);
    snprintf(name, sizeof(name), "rules-%s", u);
    struct op o = {.k = K_ACCOUNT, .id = name};
    cr_assert_eq(W(&o), ERR_OK, "account_ensure");
    memcpy(id, o.id_out, ID_LEN + 1);
}

static void setup(void)
{
    A = arena_create();
    test_db_open(&db, "rules", &S);
    account(acc_a);
    account(acc_b);
}

static void teardown(void)
{
    test_db_close(&db, S);
    S = NULL;
    arena_destroy(A);
}

TestSuite(rules, .init = setup, .fini = teardown, .timeout = 120);

/* ---- builders ---- */

/* A customer of `account` named `name`; its id (in the arena). */
static const char *customer_in(const char *account, const char *name)
{
    struct customer *c = arena_zalloc(A, sizeof(*c));
    id_new(c->id);
    c->created_at = c->updated_at = clock_now_ms();
    c->legal_name = arena_strdup(A, name);
    c->tax_status = TAX_EXEMPT;
    c->status = CUSTOMER_DRAFT;
    c->address = (struct address){
        .line1 = "1 Main St", .town = "Springfield", .postcode = "62701", .country = "US"};
    struct op o = {.k = K_CUSTOMER, .acct = account, .customer = c};
    cr_assert_eq(W(&o), ERR_OK, "customer_insert %s", name);
    return c->id;
}

static const char *customer(const char *name)
{
    return customer_in(acc_a, name);
}

static void archive(const char *id)
{
    struct op o = {.k = K_ARCHIVE, .acct = acc_a, .id = id};
    cr_assert_eq(W(&o), ERR_OK, "archive");
}

/* rules_org_create, which must succeed; the organization. */
static struct organization create(const char *owner, const char *const *ids, size_t n)
{
    struct op o = {.k = K_CREATE, .acct = acc_a, .id = owner, .ids = ids, .n = n};
    enum err rc = W(&o);
    cr_assert_eq(rc, ERR_OK, "create: %s %s", err_type(rc), o.v.msg);
    cr_assert_null(o.v.rule);
    return o.out;
}

/* The member count of the organization `owner` owns (-1: none). */
static int64_t count_of(const char *owner)
{
    struct op o = {.k = K_COUNT, .acct = acc_a, .id = owner};
    cr_assert_eq(R(&o), ERR_OK);
    return o.count;
}

/* A verdict as expected: error, rule, field (NULL: none) and ids. */
static void expect(const struct op *o, enum err got, enum err want, const char *rule,
                   const char *field, const char *const *ids, size_t n)
{
    cr_assert_eq(got, want, "%s, not %s (%s)", err_type(want), err_type(got), o->v.msg);
    cr_assert(o->v.rule, "a verdict");
    cr_assert_str_eq(o->v.rule, rule);
    if (field)
        cr_assert_str_eq(o->v.field, field);
    else
        cr_assert_null(o->v.field);
    cr_assert_eq(o->v.n_ids, n, "%zu ids at fault: %s", o->v.n_ids, o->v.msg);
    for (size_t i = 0; i < n; i++)
        cr_assert_str_eq(o->v.ids[i], ids[i], "id %zu", i);
    cr_assert(o->v.msg[0], "a message");
}

/* ---- single rules ---- */

Test(rules, r5_an_id_that_is_not_a_uuid_names_no_customer)
{
    struct rules_verdict v = {0};
    const char *out = NULL;
    cr_assert_eq(rules_id_parse(A, "ownerId", "nope", &out, &v), ERR_CUSTOMER_NOT_FOUND);
    cr_assert_str_eq(v.rule, "R5");
    cr_assert_str_eq(v.field, "ownerId");
    cr_assert_eq(v.n_ids, 1);
    cr_assert_str_eq(v.ids[0], "nope");
    cr_assert_str_eq(v.msg, "ownerId does not name a customer of this account");
    memset(&v, 0, sizeof(v));
    cr_assert_eq(rules_id_parse(A, "ownerId", "0190F000-0000-7000-8000-00000000000A", &out, &v),
                 ERR_OK);
    cr_assert_str_eq(out, "0190f000-0000-7000-8000-00000000000a", "normalized");
    cr_assert_null(v.rule);
}

Test(rules, r5_an_owner_is_a_live_customer_of_the_account)
{
    const char *live = customer("Live"), *dead = customer("Dead");
    const char *foreign = customer_in(acc_b, "Foreign");
    archive(dead);
    char unknown[ID_LEN + 1];
    id_new(unknown);
    struct op o = {.k = K_OWNER_CHECK, .acct = acc_a, .id = live};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_str_eq(o.name, "Live");
    const char *const cases[] = {unknown, foreign, dead};
    for (size_t i = 0; i < 3; i++) {
        o = (struct op){.k = K_OWNER_CHECK, .acct = acc_a, .id = cases[i]};
        enum err rc = R(&o);
        expect(&o, rc, i == 2 ? ERR_CUSTOMER_ARCHIVED : ERR_CUSTOMER_NOT_FOUND, "R5", "ownerId",
               &cases[i], 1);
    }
}

Test(rules, r1_one_organization_per_owner)
{
    const char *a = customer("A"), *b = customer("B");
    struct op o = {.k = K_OWNER_FREE, .acct = acc_a, .id = a};
    cr_assert_eq(R(&o), ERR_OK);
    struct organization org = create(a, NULL, 0);
    o = (struct op){.k = K_OWNER_FREE, .acct = acc_a, .id = a};
    expect(&o, R(&o), ERR_ORGANIZATION_EXISTS, "R1", "ownerId", NULL, 0);
    cr_assert_str_eq(o.v.org_id, org.id, "names the organization it owns");
    const char *const ids[] = {b};
    o = (struct op){.k = K_CREATE, .acct = acc_a, .id = a, .ids = ids, .n = 1};
    expect(&o, W(&o), ERR_ORGANIZATION_EXISTS, "R1", "ownerId", NULL, 0);
    cr_assert_str_eq(o.v.org_id, org.id);
    cr_assert_eq(count_of(a), 0, "the refused create added nobody");
    /* Owning one in another account does not count. */
    o = (struct op){.k = K_OWNER_FREE, .acct = acc_b, .id = a};
    cr_assert_eq(R(&o), ERR_OK);
}

Test(rules, r10_an_insert_that_loses_the_race_for_an_owner_is_a_verdict)
{
    const char *a = customer("A");
    create(a, NULL, 0);
    struct organization twin = {0};
    id_new(twin.id);
    memcpy(twin.owner.id, a, ID_LEN + 1);
    twin.created_at = clock_now_ms();
    struct op o = {.k = K_INSERT, .acct = acc_a, .org = &twin};
    expect(&o, W(&o), ERR_ORGANIZATION_EXISTS, "R10", "ownerId", NULL, 0);
}

Test(rules, r3_r4_the_owner_and_repeats_are_dropped_in_order)
{
    static const struct {
        const char *in[6];
        const char *out[6];
    } cases[] = {
        {{"b", "c", NULL}, {"b", "c", NULL}},
        {{"o", "b", NULL}, {"b", NULL}},
        {{"b", "o", "c", "o", NULL}, {"b", "c", NULL}},
        {{"c", "b", "c", "b", "d", NULL}, {"c", "b", "d", NULL}},
        {{"o", NULL}, {NULL}},
        {{NULL}, {NULL}},
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(*cases); k++) {
        const char *ids[6];
        size_t n = 0;
        while (cases[k].in[n]) {
            ids[n] = cases[k].in[n];
            n++;
        }
        size_t got = rules_members_normalize("o", ids, n);
        size_t want = 0;
        while (cases[k].out[want])
            want++;
        cr_assert_eq(got, want, "case %zu: %zu left", k, got);
        for (size_t i = 0; i < want; i++)
            cr_assert_str_eq(ids[i], cases[k].out[i], "case %zu, id %zu", k, i);
    }
}

Test(rules, r3_r4_held_strictly_for_a_stored_list)
{
    struct rules_verdict v = {0};
    const char *ok[] = {"b", "c"};
    cr_assert_eq(rules_members_distinct(A, "memberIds", "o", ok, 2, &v), ERR_OK);
    cr_assert_null(v.rule);
    const char *owner[] = {"b", "o"};
    cr_assert_eq(rules_members_distinct(A, "memberIds", "o", owner, 2, &v), ERR_FIELD_INVALID);
    cr_assert_str_eq(v.rule, "R3");
    cr_assert_eq(v.n_ids, 1);
    cr_assert_str_eq(v.ids[0], "o");
    memset(&v, 0, sizeof(v));
    const char *twice[] = {"b", "c", "b", "b", "c", "d"};
    cr_assert_eq(rules_members_distinct(A, "memberIds", "o", twice, 6, &v), ERR_FIELD_INVALID);
    cr_assert_str_eq(v.rule, "R4");
    cr_assert_eq(v.n_ids, 2, "each repeated id once");
    cr_assert_str_eq(v.ids[0], "b");
    cr_assert_str_eq(v.ids[1], "c");
}

Test(rules, r5_members_are_live_customers_of_the_account_all_culprits_listed)
{
    const char *a = customer("A"), *b = customer("B"), *dead = customer("Dead");
    const char *foreign = customer_in(acc_b, "Foreign");
    archive(dead);
    char unknown[ID_LEN + 1];
    id_new(unknown);
    const char *ids[] = {a, unknown, dead, foreign, b};
    struct op o = {.k = K_LIVE, .acct = acc_a, .ids = ids, .n = 5};
    const char *missing[] = {unknown, foreign};
    expect(&o, R(&o), ERR_CUSTOMER_NOT_FOUND, "R5", "memberIds", missing, 2);
    cr_assert_str_eq(o.v.msg, "2 of the customer ids do not name a customer of this account");
    const char *some[] = {a, dead, b};
    o = (struct op){.k = K_LIVE, .acct = acc_a, .ids = some, .n = 3};
    expect(&o, R(&o), ERR_CUSTOMER_ARCHIVED, "R5", "memberIds", &some[1], 1);
    const char *fine[] = {b, a};
    o = (struct op){.k = K_LIVE, .acct = acc_a, .ids = fine, .n = 2};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_str_eq(o.names[0], "B");
    cr_assert_str_eq(o.names[1], "A");
}

/* ---- R6: cycles of every length, through several organizations ---- */

Test(rules, r6_cycles_of_length_one_two_three_and_four)
{
    const char *c[5];
    for (int i = 0; i < 5; i++)
        c[i] = customer("C");
    /* Length 1: a customer under itself. */
    struct op o = {.k = K_NO_CYCLE, .acct = acc_a, .id = c[0], .ids = &c[0], .n = 1};
    expect(&o, R(&o), ERR_HIERARCHY_CYCLE, "R6", "memberIds", &c[0], 1);
    /* A chain c0 -> c1 -> c2 -> c3: each owns an organization with the next. */
    for (int i = 0; i < 3; i++)
        create(c[i], &c[i + 1], 1);
    for (int len = 2; len <= 4; len++) {
        /* c[len - 1] taking c0 closes a cycle of `len` organizations. */
        o = (struct op){.k = K_NO_CYCLE, .acct = acc_a, .id = c[len - 1], .ids = &c[0], .n = 1};
        expect(&o, R(&o), ERR_HIERARCHY_CYCLE, "R6", "memberIds", &c[0], 1);
        /* Only the culprit is listed, not the other ids of the list. */
        const char *more[] = {c[4], c[0]};
        o = (struct op){.k = K_NO_CYCLE, .acct = acc_a, .id = c[len - 1], .ids = more, .n = 2};
        expect(&o, R(&o), ERR_HIERARCHY_CYCLE, "R6", "memberIds", &more[1], 1);
    }
    /* Below one's owner already, but no cycle: c0 taking c2 directly. */
    o = (struct op){.k = K_NO_CYCLE, .acct = acc_a, .id = c[0], .ids = &c[2], .n = 1};
    cr_assert_eq(R(&o), ERR_OK);
    cr_assert_null(o.v.rule);
    /* The same message whatever the length. */
    char first[256];
    o = (struct op){.k = K_NO_CYCLE, .acct = acc_a, .id = c[0], .ids = &c[0], .n = 1};
    R(&o);
    snprintf(first, sizeof(first), "%s", o.v.msg);
    o = (struct op){.k = K_NO_CYCLE, .acct = acc_a, .id = c[3], .ids = &c[0], .n = 1};
    R(&o);
    cr_assert_str_eq(o.v.msg, first);
}

Test(rules, r6_through_create_members_change_and_parent)
{
    const char *a = customer("A"), *b = customer("B"), *c = customer("C");
    struct organization oa = create(a, &b, 1);
    struct organization ob = create(b, &c, 1);
    /* c creating an organization with a: a -> b -> c -> a. */
    struct op o = {.k = K_CREATE, .acct = acc_a, .id = c, .ids = &a, .n = 1};
    expect(&o, W(&o), ERR_HIERARCHY_CYCLE, "R6", "memberIds", &a, 1);
    cr_assert_eq(count_of(c), -1, "no organization was made");
    /* b adding a, by add and by replace. */
    for (int replace = 0; replace < 2; replace++) {
        o = (struct op){
            .k = K_CHANGE, .acct = acc_a, .org = &ob, .ids = &a, .n = 1, .replace = replace};
        expect(&o, W(&o), ERR_HIERARCHY_CYCLE, "R6", "customerIds", &a, 1);
    }
    cr_assert_eq(count_of(b), 1, "b's members unchanged");
    /* a under c by parentId: the parent is listed. */
    o = (struct op){.k = K_ATTACH, .acct = acc_a, .id = c, .id2 = a};
    expect(&o, W(&o), ERR_HIERARCHY_CYCLE, "R6", "parentId", &c, 1);
    /* a its own parent. */
    o = (struct op){.k = K_ATTACH, .acct = acc_a, .id = a, .id2 = a};
    expect(&o, W(&o), ERR_HIERARCHY_CYCLE, "R6", "parentId", &a, 1);
    cr_assert_eq(count_of(a), (int64_t)oa.n_members, "a's members unchanged");
}

/* ---- R8: limits ---- */

Test(rules, r8_members_per_request_and_per_organization)
{
    struct rules_limits lim = {.per_request = 2, .per_organization = 3};
    struct rules_verdict v = {0};
    cr_assert_eq(rules_limit_request(&lim, "memberIds", 2, &v), ERR_OK);
    cr_assert_eq(rules_limit_request(&lim, "memberIds", 3, &v), ERR_LIMIT_EXCEEDED);
    cr_assert_str_eq(v.rule, "R8");
    cr_assert_str_eq(v.msg, "at most 2 customer ids per request");
    memset(&v, 0, sizeof(v));
    cr_assert_eq(rules_limit_organization(&lim, "customerIds", 3, &v), ERR_OK);
    cr_assert_eq(rules_limit_organization(&lim, "customerIds", 4, &v), ERR_LIMIT_EXCEEDED);
    cr_assert_str_eq(v.field, "customerIds");
    cr_assert_str_eq(v.msg, "an organization may have at most 3 members");

    const char *c[6];
    for (int i = 0; i < 6; i++)
        c[i] = customer("M");
    /* Create: four members is one too many. */
    struct op o = {.k = K_CREATE, .acct = acc_a, .id = c[0], .ids = &c[1], .n = 4, .lim = lim};
    expect(&o, W(&o), ERR_LIMIT_EXCEEDED, "R8", "memberIds", NULL, 0);
    /* Repeats and the owner do not count (R3, R4 first). */
    const char *rep[] = {c[1], c[0], c[1], c[2]};
    o = (struct op){.k = K_CREATE, .acct = acc_a, .id = c[0], .ids = rep, .n = 4, .lim = lim};
    cr_assert_eq(W(&o), ERR_OK, "%s", o.v.msg);
    struct organization org = o.out;
    cr_assert_eq(org.n_members, 2);
    /* Adding two more makes four; adding a member again and one new is three. */
    o = (struct op){.k = K_CHANGE, .acct = acc_a, .org = &org, .ids = &c[3], .n = 2, .lim = lim};
    expect(&o, W(&o), ERR_LIMIT_EXCEEDED, "R8", "customerIds", NULL, 0);
    const char *again[] = {c[1], c[3]};
    o = (struct op){.k = K_CHANGE, .acct = acc_a, .org = &org, .ids = again, .n = 2, .lim = lim};
    cr_assert_eq(W(&o), ERR_OK, "%s", o.v.msg);
    cr_assert_eq(o.out.n_members, 3);
    org = o.out;
    /* Replacing counts the new list alone. */
    o = (struct op){
        .k = K_CHANGE, .acct = acc_a, .org = &org, .ids = &c[3], .n = 3, .lim = lim, .replace = 1};
    cr_assert_eq(W(&o), ERR_OK, "%s", o.v.msg);
    cr_assert_eq(o.out.n_members, 3);
    /* parentId: a fourth member is refused, and nothing is written. */
    o = (struct op){.k = K_ATTACH, .acct = acc_a, .id = c[0], .id2 = c[1], .lim = lim};
    expect(&o, W(&o), ERR_LIMIT_EXCEEDED, "R8", "parentId", NULL, 0);
    cr_assert_eq(count_of(c[0]), 3);
    /* A member already adds nothing: no limit tripped. */
    o = (struct op){.k = K_ATTACH, .acct = acc_a, .id = c[0], .id2 = c[4], .lim = lim};
    cr_assert_eq(W(&o), ERR_OK, "%s", o.v.msg);
}

/* ---- R9 and R2 ---- */

Test(rules, r9_an_archived_customer_keeps_its_memberships_but_joins_none)
{
    const char *a = customer("A"), *b = customer("B"), *c = customer("C"), *p = customer("P");
    const char *ids[] = {b, c};
    struct organization org = create(a, ids, 2);
    archive(b);
    /* Adding b again and replacing with b kept: fine. */
    struct op o = {.k = K_CHANGE, .acct = acc_a, .org = &org, .ids = &b, .n = 1};
    cr_assert_eq(W(&o), ERR_OK, "%s", o.v.msg);
    cr_assert_eq(o.out.n_members, 2);
    o = (struct op){.k = K_CHANGE, .acct = acc_a, .org = &org, .ids = &b, .n = 1, .replace = 1};
    cr_assert_eq(W(&o), ERR_OK, "%s", o.v.msg);
    cr_assert_eq(o.out.n_members, 1);
    cr_assert_str_eq(o.out.members[0].id, b);
    /* b newly into p's organization: refused, by a list and by parentId. */
    struct organization op = create(p, NULL, 0);
    o = (struct op){.k = K_CHANGE, .acct = acc_a, .org = &op, .ids = &b, .n = 1};
    expect(&o, W(&o), ERR_CUSTOMER_ARCHIVED, "R5", "customerIds", &b, 1);
    o = (struct op){.k = K_ATTACH, .acct = acc_a, .id = p, .id2 = b};
    expect(&o, W(&o), ERR_CUSTOMER_ARCHIVED, "R9", NULL, &b, 1);
    cr_assert_eq(count_of(p), 0);
    /* Naming the parent it has: nothing changes. */
    o = (struct op){.k = K_ATTACH, .acct = acc_a, .id = a, .id2 = b};
    cr_assert_eq(W(&o), ERR_OK, "%s", o.v.msg);
    cr_assert_eq(count_of(a), 1);
    /* An archived owner or parent is refused. */
    archive(a);
    o = (struct op){.k = K_ATTACH, .acct = acc_a, .id = a, .id2 = c};
    expect(&o, W(&o), ERR_CUSTOMER_ARCHIVED, "R5", "parentId", &a, 1);
}

Test(rules, r2_parent_makes_a_member_of_its_organization_creating_it)
{
    const char *p = customer("P"), *x = customer("X"), *y = customer("Y");
    cr_assert_eq(count_of(p), -1);
    struct op o = {.k = K_ATTACH, .acct = acc_a, .id = p, .id2 = x};
    cr_assert_eq(W(&o), ERR_OK, "%s", o.v.msg);
    cr_assert_eq(count_of(p), 1, "made, with x");
    o = (struct op){.k = K_ATTACH, .acct = acc_a, .id = p, .id2 = y};
    cr_assert_eq(W(&o), ERR_OK, "%s", o.v.msg);
    o = (struct op){.k = K_ATTACH, .acct = acc_a, .id = p, .id2 = x};
    cr_assert_eq(W(&o), ERR_OK, "%s", o.v.msg);
    cr_assert_eq(count_of(p), 2, "x once (R4)");
    /* A parent of another account, or none at all. */
    const char *foreign = customer_in(acc_b, "Foreign");
    o = (struct op){.k = K_ATTACH, .acct = acc_a, .id = foreign, .id2 = x};
    expect(&o, W(&o), ERR_CUSTOMER_NOT_FOUND, "R5", "parentId", &foreign, 1);
}

Test(rules, create_answers_with_the_members_in_order_and_named)
{
    const char *o1 = customer("Owner"), *a = customer("A"), *b = customer("B");
    const char *ids[] = {b, o1, a, b};
    struct organization org = create(o1, ids, 4);
    cr_assert_str_eq(org.owner.name, "Owner");
    cr_assert_eq(org.n_members, 2);
    cr_assert_str_eq(org.members[0].id, b, "R7: order as given");
    cr_assert_str_eq(org.members[0].name, "B");
    cr_assert_str_eq(org.members[1].id, a);
    /* Members of another account are not members of this one. */
    const char *foreign = customer_in(acc_b, "Foreign");
    const char *owner2 = customer("Owner 2");
    struct op o = {.k = K_CREATE, .acct = acc_a, .id = owner2, .ids = &foreign, .n = 1};
    expect(&o, W(&o), ERR_CUSTOMER_NOT_FOUND, "R5", "memberIds", &foreign, 1);
}

/* ---- an organization as stored (import) ---- */

/* An organization of `owner` with members ids[0..n), made at `at`. */
static struct organization *stored(const char *owner, const char *const *ids, size_t n, int64_t at)
{
    struct organization *o = arena_zalloc(A, sizeof(*o));
    id_new(o->id);
    memcpy(o->owner.id, owner, ID_LEN + 1);
    o->members = arena_zalloc(A, (n + 1) * sizeof(*o->members));
    for (size_t i = 0; i < n; i++)
        memcpy(o->members[i].id, ids[i], ID_LEN + 1);
    o->n_members = n;
    o->created_at = at;
    return o;
}

Test(rules, admit_holds_a_stored_organization_to_the_rules_with_r9_by_the_times)
{
    const char *own = customer("Owner"), *m = customer("M"), *early = customer("Early");
    const char *late = customer("Late");
    archive(early);
    archive(late);
    const int64_t t = 1722340800000; /* the organization's createdAt */
    archived_times[0].id = early;
    archived_times[0].at = t - 1;
    archived_times[1].id = late;
    archived_times[1].at = t + 1;
    /* R3 and R4 strictly: not dropped but refused. */
    const char *with_owner[] = {m, own};
    struct op o = {.k = K_ADMIT, .acct = acc_a, .org = stored(own, with_owner, 2, t)};
    expect(&o, W(&o), ERR_FIELD_INVALID, "R3", "memberIds", &own, 1);
    const char *twice[] = {m, m};
    o = (struct op){.k = K_ADMIT, .acct = acc_a, .org = stored(own, twice, 2, t)};
    expect(&o, W(&o), ERR_FIELD_INVALID, "R4", "memberIds", &m, 1);
    /* Archived before the organization was made: it cannot have joined. */
    const char *ids[] = {m, early};
    o = (struct op){.k = K_ADMIT, .acct = acc_a, .org = stored(own, ids, 2, t)};
    expect(&o, W(&o), ERR_CUSTOMER_ARCHIVED, "R5", "memberIds", &early, 1);
    o = (struct op){.k = K_ADMIT, .acct = acc_a, .org = stored(early, &m, 1, t)};
    expect(&o, W(&o), ERR_CUSTOMER_ARCHIVED, "R5", "ownerId", &early, 1);
    cr_assert_eq(count_of(own), -1, "nothing was written");
    /* Archived since: a membership R9 keeps. */
    const char *kept[] = {m, late};
    o = (struct op){.k = K_ADMIT, .acct = acc_a, .org = stored(own, kept, 2, t)};
    cr_assert_eq(W(&o), ERR_OK, "%s", o.v.msg);
    cr_assert_eq(count_of(own), 2);
    /* Then R1, and R6 against what was admitted before. */
    o = (struct op){.k = K_ADMIT, .acct = acc_a, .org = stored(own, NULL, 0, t)};
    expect(&o, W(&o), ERR_ORGANIZATION_EXISTS, "R1", "ownerId", NULL, 0);
    o = (struct op){.k = K_ADMIT, .acct = acc_a, .org = stored(m, &own, 1, t)};
    expect(&o, W(&o), ERR_HIERARCHY_CYCLE, "R6", "memberIds", &own, 1);
    /* R8. */
    o = (struct op){.k = K_ADMIT,
                    .acct = acc_a,
                    .org = stored(m, NULL, 0, t),
                    .lim = {.per_request = 1, .per_organization = 1}};
    cr_assert_eq(W(&o), ERR_OK, "%s", o.v.msg);
    const char *two[] = {m, own};
    const char *other = customer("Other");
    o = (struct op){.k = K_ADMIT,
                    .acct = acc_a,
                    .org = stored(other, two, 2, t),
                    .lim = {.per_request = 1, .per_organization = 1}};
    expect(&o, W(&o), ERR_LIMIT_EXCEEDED, "R8", "memberIds", NULL, 0);
}

/* C1 over lists of contacts: "P", "S", "N" are PRIMARY, STANDARD, NONE;
 * lowercase ones are archived (out of the count). */
Test(rules, c1_at_least_one_primary_while_any_contact_receives_billing)
{
    static const struct {
        const char *prefs;
        enum err want;
    } cases[] = {
        {"", ERR_OK},         {"N", ERR_OK},          {"NN", ERR_OK},       {"P", ERR_OK},
        {"PP", ERR_OK},       {"PPS", ERR_OK},        {"SPN", ERR_OK},      {"pN", ERR_OK},
        {"sN", ERR_OK},       {"S", ERR_CONFLICT},    {"SN", ERR_CONFLICT}, {"NS", ERR_CONFLICT},
        {"pS", ERR_CONFLICT}, {"SSpp", ERR_CONFLICT}, {"Sp", ERR_CONFLICT},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        struct contact cs[8];
        size_t n = strlen(cases[i].prefs);
        memset(cs, 0, sizeof(cs));
        for (size_t j = 0; j < n; j++) {
            char p = cases[i].prefs[j];
            cs[j].pref = (p == 'P' || p == 'p')   ? BILLING_PRIMARY
                         : (p == 'S' || p == 's') ? BILLING_STANDARD
                                                  : BILLING_NONE;
            cs[j].archived_at = p >= 'a' ? 1 : 0;
        }
        struct rules_verdict v = {0};
        enum err rc = rules_contacts_billing(cs, n, "billingPreference", "this change", &v);
        cr_expect_eq(rc, cases[i].want, "%s: got %d", cases[i].prefs, (int)rc);
        if (rc) {
            cr_expect_str_eq(v.rule, "C1", "%s", cases[i].prefs);
            cr_expect_str_eq(v.field, "billingPreference", "%s", cases[i].prefs);
            cr_expect(strncmp(v.msg, "this change ", 12) == 0, "%s: %s", cases[i].prefs, v.msg);
        } else {
            cr_expect_null(v.rule, "%s", cases[i].prefs);
        }
    }
}
