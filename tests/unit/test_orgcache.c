/*
 * The organization cache (src/store/orgcache.c): what goes in comes out
 * whole, held for the reader's arena (evicted or not), only at the
 * revision it was put at, only for its account; the budget holds, least
 * recently used first; and readers and writers on several threads leave it
 * consistent (the ASan run checks the reference counting).
 */
#include <criterion/criterion.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "../../src/store/orgcache.h"

static const char ACCT[] = "0190f1a8-0000-7000-8000-00000000000a";
static const char OTHER[] = "0190f1a8-0000-7000-8000-00000000000b";

/* An organization "org-<k>" with n members named "member <i> of <k>", in `a`. */
static struct organization mk(struct arena *a, int k, size_t n, int64_t rev)
{
    struct organization o = {0};
    k %= 1000000;
    snprintf(o.id, sizeof(o.id), "0190f1a8-0000-7000-8000-%012d", k);
    snprintf(o.owner.id, sizeof(o.owner.id), "0190f1a8-0000-7000-9000-%012d", k);
    o.owner.name = arena_printf(a, "owner of %d", k);
    o.members = arena_zalloc(a, (n ? n : 1) * sizeof(*o.members));
    o.n_members = n;
    for (size_t i = 0; i < n; i++) {
        snprintf(o.members[i].id, sizeof(o.members[i].id), "0190f1a8-0000-7000-a000-%012u",
                 (unsigned)(i % 1000000));
        o.members[i].name = arena_printf(a, "member %zu of %d", i, k);
    }
    o.created_at = 1700000000000LL + k;
    o.rev = rev;
    return o;
}

static void expect_same(const struct organization *got, const struct organization *want)
{
    cr_assert_str_eq(got->id, want->id);
    cr_assert_str_eq(got->owner.id, want->owner.id);
    cr_assert_str_eq(got->owner.name, want->owner.name);
    cr_assert_eq(got->created_at, want->created_at);
    cr_assert_eq(got->rev, want->rev);
    cr_assert_eq(got->n_members, want->n_members);
    for (size_t i = 0; i < want->n_members; i++) {
        cr_assert_str_eq(got->members[i].id, want->members[i].id, "member %zu", i);
        cr_assert_str_eq(got->members[i].name, want->members[i].name, "member %zu", i);
    }
}

Test(orgcache, off_when_the_budget_is_zero)
{
    cr_assert_null(org_cache_create(0));
    struct org_cache_stats st;
    org_cache_stats(NULL, &st);
    cr_assert_eq(st.entries + st.bytes + st.budget + st.hits + st.misses, 0);
    org_cache_destroy(NULL);
}

Test(orgcache, gives_back_a_copy_at_the_same_revision_only)
{
    struct org_cache *oc = org_cache_create(1 << 20);
    struct arena *a = arena_create(), *out = arena_create();
    struct organization o = mk(a, 1, 3, 42);
    struct organization got;
    cr_assert_not(org_cache_get(oc, ACCT, o.id, 42, out, &got), "empty");
    org_cache_put(oc, ACCT, &o);
    cr_assert(org_cache_get(oc, ACCT, o.id, 42, out, &got));
    expect_same(&got, &o);
    cr_assert_neq(got.members, o.members, "the cache's own array");
    cr_assert_neq((void *)got.owner.name, (void *)o.owner.name, "and its own strings");
    /* What was read outlives what was put. */
    struct organization want = mk(out, 1, 3, 42);
    arena_destroy(a);
    expect_same(&got, &want);

    cr_assert_not(org_cache_get(oc, ACCT, want.id, 43, out, &got), "another revision");
    cr_assert_not(org_cache_get(oc, OTHER, want.id, 42, out, &got), "another account");
    struct org_cache_stats st;
    org_cache_stats(oc, &st);
    cr_assert_eq(st.hits, 1);
    cr_assert_eq(st.misses, 3);
    cr_assert_eq(st.entries, 1);
    cr_assert_gt(st.bytes, 3 * sizeof(struct member));
    cr_assert_eq(st.budget, 1 << 20);
    arena_destroy(out);
    org_cache_destroy(oc);
}

Test(orgcache, a_new_revision_replaces_the_old_and_empty_organizations_work)
{
    struct org_cache *oc = org_cache_create(1 << 20);
    struct arena *a = arena_create();
    struct organization v1 = mk(a, 7, 2, 1), v2 = mk(a, 7, 0, 2);
    v2.owner.name = NULL;
    org_cache_put(oc, ACCT, &v1);
    org_cache_put(oc, ACCT, &v2);
    org_cache_put(oc, ACCT, &v2); /* a second reader putting the same: kept once */
    struct organization got;
    cr_assert_not(org_cache_get(oc, ACCT, v1.id, 1, a, &got), "the old revision is gone");
    cr_assert(org_cache_get(oc, ACCT, v2.id, 2, a, &got));
    cr_assert_eq(got.n_members, 0);
    cr_assert_null(got.owner.name, "a NULL name stays NULL");
    struct org_cache_stats st;
    org_cache_stats(oc, &st);
    cr_assert_eq(st.entries, 1);
    arena_destroy(a);
    org_cache_destroy(oc);
}

Test(orgcache, keeps_to_its_budget_least_recently_used_out_first)
{
    struct arena *a = arena_create();
    struct organization probe = mk(a, 0, 10, 1);
    struct org_cache *big = org_cache_create(1 << 20);
    org_cache_put(big, ACCT, &probe);
    struct org_cache_stats st;
    org_cache_stats(big, &st);
    size_t one = st.bytes;
    org_cache_destroy(big);

    /* Room for four entries of this size. */
    struct org_cache *oc = org_cache_create(4 * one + one / 2);
    struct organization o[6];
    for (int k = 0; k < 6; k++)
        o[k] = mk(a, k, 10, 1);
    struct organization got;
    for (int k = 0; k < 4; k++)
        org_cache_put(oc, ACCT, &o[k]);
    cr_assert(org_cache_get(oc, ACCT, o[0].id, 1, a, &got), "0 is used again");
    org_cache_put(oc, ACCT, &o[4]);
    org_cache_put(oc, ACCT, &o[5]);
    org_cache_stats(oc, &st);
    cr_assert_eq(st.entries, 4);
    cr_assert_leq(st.bytes, st.budget);
    cr_assert_not(org_cache_get(oc, ACCT, o[1].id, 1, a, &got), "1 was the least recently used");
    cr_assert_not(org_cache_get(oc, ACCT, o[2].id, 1, a, &got), "then 2");
    for (int k = 0; k < 6; k++)
        if (k != 1 && k != 2)
            cr_assert(org_cache_get(oc, ACCT, o[k].id, 1, a, &got), "%d stays", k);

    /* An organization larger than a quarter of the budget is not kept. */
    struct organization huge = mk(a, 99, 40, 1);
    org_cache_put(oc, ACCT, &huge);
    cr_assert_not(org_cache_get(oc, ACCT, huge.id, 1, a, &got));
    org_cache_stats(oc, &st);
    cr_assert_eq(st.entries, 4, "and pushes nothing out");
    arena_destroy(a);
    org_cache_destroy(oc);
}

/* An entry a reader holds stays whole after it leaves the cache, until the
 * reader's arena lets it go. */
Test(orgcache, a_held_entry_outlives_its_eviction)
{
    struct arena *a = arena_create(), *reader = arena_create();
    struct organization o = mk(a, 1, 5, 9);
    struct org_cache *oc = org_cache_create(1 << 20);
    org_cache_put(oc, ACCT, &o);
    struct organization got;
    cr_assert(org_cache_get(oc, ACCT, o.id, 9, reader, &got));
    struct organization next = mk(a, 1, 2, 10);
    org_cache_put(oc, ACCT, &next); /* replaces, and so evicts, revision 9 */
    struct org_cache_stats st;
    org_cache_stats(oc, &st);
    cr_assert_eq(st.entries, 1);
    expect_same(&got, &o);
    arena_destroy(reader); /* the last holder: the entry is freed (ASan checks) */
    cr_assert(org_cache_get(oc, ACCT, o.id, 10, a, &got));
    expect_same(&got, &next);
    arena_destroy(a);
    org_cache_destroy(oc);
}

/* Threads putting new revisions and reading whatever is there: every hit
 * must be a whole, consistent organization of the revision asked for. */
static struct org_cache *shared;

static void *churn(void *arg)
{
    int seed = (int)(intptr_t)arg;
    struct arena *a = arena_create();
    for (int i = 0; i < 4000; i++) {
        int k = (i * 7 + seed) % 16;
        int64_t rev = (i + seed) % 5;
        size_t n = (size_t)(rev * 3);
        struct organization got;
        if (org_cache_get(shared, ACCT, mk(a, k, 0, 0).id, rev, a, &got)) {
            struct organization want = mk(a, k, n, rev);
            expect_same(&got, &want);
        } else {
            struct organization o = mk(a, k, n, rev);
            org_cache_put(shared, ACCT, &o);
        }
        if (i % 64 == 0)
            arena_reset(a);
    }
    arena_destroy(a);
    return NULL;
}

Test(orgcache, stays_consistent_under_threads)
{
    /* A small budget, so that entries are evicted while others hold them. */
    shared = org_cache_create(8 * 1024);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, churn, (void *)(intptr_t)i), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    struct org_cache_stats st;
    org_cache_stats(shared, &st);
    /* Every lookup counted once, whoever won the races (how many hit
     * depends on the scheduling, so it is not asserted). */
    cr_assert_eq(st.hits + st.misses, 4 * 4000);
    cr_assert_leq(st.bytes, st.budget);
    org_cache_destroy(shared);
}

/* A reader's arena may outlive the cache (a store closed first): what it
 * holds stays readable, and the last release frees it all (ASan checks). */
Test(orgcache, a_reader_may_outlive_the_cache)
{
    struct arena *a = arena_create(), *reader = arena_create();
    struct organization o = mk(a, 3, 4, 1), p = mk(a, 4, 1, 1);
    struct org_cache *oc = org_cache_create(1 << 20);
    org_cache_put(oc, ACCT, &o);
    org_cache_put(oc, ACCT, &p);
    struct organization got;
    cr_assert(org_cache_get(oc, ACCT, o.id, 1, reader, &got));
    org_cache_destroy(oc);
    expect_same(&got, &o);
    arena_destroy(reader);
    arena_destroy(a);
}
