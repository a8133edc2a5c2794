/* POST /customer-organizations as the seed page describes it, and rules
 * R1, R3-R7 and R10 of ARCHITECTURE.md, against the real server. */
#include "harness.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

HTTP_SUITE(organizations, 120);

static struct resp *create_org(const char *owner, const char *members_json)
{
    char body[8192];
    snprintf(body, sizeof(body), "{\"ownerId\":\"%s\",\"memberIds\":%s}", owner, members_json);
    return req(&srv, "POST", "/customer-organizations", body, NULL);
}

static const char *member_id(struct resp *r, size_t i)
{
    return json_string_value(
        json_object_get(json_array_get(json_object_get(r->json, "members"), i), "id"));
}

Test(organizations, seed_shape_owner_listed_as_member_is_left_out)
{
    char *owner = make_customer(&srv, NULL, "FinTech Solutions Inc.");
    char *m1 = make_customer(&srv, NULL, "Fintech Payment Processing");
    char members[256];
    /* The seed's own example lists the owner among the members (R3). */
    snprintf(members, sizeof(members), "[\"%s\",\"%s\"]", m1, owner);
    struct resp *r = create_org(owner, members);
    cr_assert_eq(r->status, 201, "%s", r->body);
    cr_assert_str_eq(resp_header(r, "Content-Type"), "application/json");
    cr_assert_str_eq(resp_header(r, "Sequence-Version"), "2024-07-30");
    json_t *o = r->json;
    cr_assert_eq(json_object_size(o), 3, "exactly id, owner, members: %s", r->body);
    const char *id = json_string_value(json_object_get(o, "id"));
    cr_assert(id && strlen(id) == 36 && id[14] == '7', "a UUIDv7 id: %s", r->body);
    json_t *ow = json_object_get(o, "owner");
    cr_assert_str_eq(json_string_value(json_object_get(ow, "id")), owner);
    cr_assert_str_eq(json_string_value(json_object_get(ow, "name")), "FinTech Solutions Inc.");
    json_t *ms = json_object_get(o, "members");
    cr_assert_eq(json_array_size(ms), 1, "the owner is not a member: %s", r->body);
    cr_assert_str_eq(member_id(r, 0), m1);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(ms, 0), "name")),
                     "Fintech Payment Processing");
    resp_free(r);
    free(owner);
    free(m1);
}

Test(organizations, empty_member_list_is_accepted)
{
    char *owner = make_customer(&srv, NULL, "Owner Ltd");
    struct resp *r = create_org(owner, "[]");
    cr_assert_eq(r->status, 201, "%s", r->body);
    cr_assert_eq(json_array_size(json_object_get(r->json, "members")), 0);
    resp_free(r);
    free(owner);
}

Test(organizations, duplicates_merged_and_order_kept)
{
    char *owner = make_customer(&srv, NULL, "Owner");
    char *a = make_customer(&srv, NULL, "A"), *b = make_customer(&srv, NULL, "B"),
         *c = make_customer(&srv, NULL, "C");
    char members[512];
    snprintf(members, sizeof(members), "[\"%s\",\"%s\",\"%s\",\"%s\",\"%s\"]", c, a, c, b, a);
    struct resp *r = create_org(owner, members);
    cr_assert_eq(r->status, 201, "%s", r->body);
    cr_assert_eq(json_array_size(json_object_get(r->json, "members")), 3, "%s", r->body);
    cr_assert_str_eq(member_id(r, 0), c);
    cr_assert_str_eq(member_id(r, 1), a);
    cr_assert_str_eq(member_id(r, 2), b);
    resp_free(r);
    /* The order survives a read through the customer's organizations. */
    char path[128];
    snprintf(path, sizeof(path), "/customers/%s", b);
    r = req(&srv, "GET", path, NULL, NULL);
    cr_assert_eq(r->status, 200);
    json_t *orgs = json_object_get(r->json, "organizations");
    cr_assert_eq(json_array_size(orgs), 1, "%s", r->body);
    json_t *ms = json_object_get(json_array_get(orgs, 0), "members");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(ms, 0), "id")), c);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(ms, 2), "id")), b);
    resp_free(r);
    free(owner);
    free(a);
    free(b);
    free(c);
}

Test(organizations, second_organization_for_an_owner_is_a_conflict)
{
    char *owner = make_customer(&srv, NULL, "Owner");
    struct resp *r = create_org(owner, "[]");
    cr_assert_eq(r->status, 201);
    char first[64];
    snprintf(first, sizeof(first), "%s", json_string_value(json_object_get(r->json, "id")));
    resp_free(r);
    r = create_org(owner, "[]");
    cr_assert_eq(r->status, 409, "%s", r->body);
    cr_assert_str_eq(err_type_of(r), "OrganizationAlreadyExists");
    json_t *e = json_object_get(r->json, "error");
    cr_assert_str_eq(json_string_value(json_object_get(e, "organizationId")), first);
    cr_assert(json_string_value(json_object_get(e, "message")));
    resp_free(r);
    free(owner);
}

Test(organizations, unknown_and_archived_customers_are_refused)
{
    char *owner = make_customer(&srv, NULL, "Owner");
    char *ok = make_customer(&srv, NULL, "Fine");
    const char *ghost = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
    char members[256];
    snprintf(members, sizeof(members), "[\"%s\",\"%s\",\"not-an-id\"]", ok, ghost);
    struct resp *r = create_org(owner, members);
    cr_assert_eq(r->status, 400, "%s", r->body);
    cr_assert_str_eq(err_type_of(r), "CustomerNotFound");
    json_t *ids = json_object_get(json_object_get(r->json, "error"), "customerIds");
    cr_assert_eq(json_array_size(ids), 2, "%s", r->body);
    cr_assert_str_eq(json_string_value(json_array_get(ids, 0)), ghost);
    resp_free(r);

    r = create_org(ghost, "[]");
    cr_assert_eq(r->status, 400);
    cr_assert_str_eq(err_type_of(r), "CustomerNotFound");
    resp_free(r);

    char path[128];
    snprintf(path, sizeof(path), "/customers/%s/archive", ok);
    r = req(&srv, "POST", path, NULL, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    resp_free(r);
    snprintf(members, sizeof(members), "[\"%s\"]", ok);
    r = create_org(owner, members);
    cr_assert_eq(r->status, 400, "%s", r->body);
    cr_assert_str_eq(err_type_of(r), "CustomerArchived");
    resp_free(r);

    /* Nothing was written by the failed attempts: the owner is still free. */
    r = create_org(owner, "[]");
    cr_assert_eq(r->status, 201, "%s", r->body);
    resp_free(r);
    free(owner);
    free(ok);
}

Test(organizations, cycles_are_refused_directly_and_through_levels)
{
    char *a = make_customer(&srv, NULL, "A"), *b = make_customer(&srv, NULL, "B"),
         *c = make_customer(&srv, NULL, "C");
    char m[128];
    snprintf(m, sizeof(m), "[\"%s\"]", b);
    struct resp *r = create_org(a, m); /* A -> B */
    cr_assert_eq(r->status, 201);
    resp_free(r);
    snprintf(m, sizeof(m), "[\"%s\"]", a);
    r = create_org(b, m); /* B -> A would close the loop */
    cr_assert_eq(r->status, 409, "%s", r->body);
    cr_assert_str_eq(err_type_of(r), "HierarchyCycle");
    resp_free(r);
    snprintf(m, sizeof(m), "[\"%s\"]", c);
    r = create_org(b, m); /* B -> C */
    cr_assert_eq(r->status, 201, "%s", r->body);
    resp_free(r);
    snprintf(m, sizeof(m), "[\"%s\"]", a);
    r = create_org(c, m); /* C -> A: A -> B -> C -> A */
    cr_assert_eq(r->status, 409, "%s", r->body);
    cr_assert_str_eq(err_type_of(r), "HierarchyCycle");
    resp_free(r);
    free(a);
    free(b);
    free(c);
}

Test(organizations, bad_bodies_are_400_and_name_the_field)
{
    char *owner = make_customer(&srv, NULL, "Owner");
    char body[512];
    struct {
        const char *body, *type, *field;
    } cases[] = {
        {"{\"memberIds\":[]}", "MissingField", "ownerId"},
        {"{\"ownerId\":\"%s\"}", "MissingField", "memberIds"},
        {"{\"ownerId\":\"%s\",\"memberIds\":\"x\"}", "InvalidField", "memberIds"},
        {"{\"ownerId\":\"%s\",\"memberIds\":[1]}", "InvalidField", "memberIds[0]"},
        {"{\"ownerId\":7,\"memberIds\":[]}", "InvalidField", "ownerId"},
        {"{\"ownerId\":null,\"memberIds\":[]}", "MissingField", "ownerId"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        snprintf(body, sizeof(body), cases[i].body, owner);
        struct resp *r = req(&srv, "POST", "/customer-organizations", body, NULL);
        cr_assert_eq(r->status, 400, "case %zu: %ld %s", i, r->status, r->body);
        cr_assert_str_eq(err_type_of(r), cases[i].type, "case %zu: %s", i, r->body);
        cr_assert_str_eq(
            json_string_value(json_object_get(json_object_get(r->json, "error"), "field")),
            cases[i].field, "case %zu: %s", i, r->body);
        resp_free(r);
    }
    struct resp *r = create_org(owner, "[]");
    cr_assert_eq(r->status, 201, "no failed case wrote anything: %s", r->body);
    resp_free(r);
    free(owner);
}

Test(organizations, credentials_are_required)
{
    char *owner = make_customer(&srv, NULL, "Owner");
    char body[256];
    snprintf(body, sizeof(body), "{\"ownerId\":\"%s\",\"memberIds\":[]}", owner);
    struct resp *r = req_as(&srv, NULL, "POST", "/customer-organizations", body, NULL);
    cr_assert_eq(r->status, 401);
    cr_assert_str_eq(err_type_of(r), "Unauthorized");
    resp_free(r);
    free(owner);
}

Test(organizations, another_account_cannot_use_these_ids)
{
    char *owner = make_customer(&srv, NULL, "Owner");
    char *member = make_customer(&srv, NULL, "Member");
    char other[256];
    server_new_key(&srv, "other", other, sizeof(other));
    char body[256];
    snprintf(body, sizeof(body), "{\"ownerId\":\"%s\",\"memberIds\":[\"%s\"]}", owner, member);
    struct resp *r = req_as(&srv, other, "POST", "/customer-organizations", body, NULL);
    cr_assert_eq(r->status, 400, "%s", r->body);
    cr_assert_str_eq(err_type_of(r), "CustomerNotFound");
    resp_free(r);
    char *mine = make_customer(&srv, other, "Mine");
    snprintf(body, sizeof(body), "{\"ownerId\":\"%s\",\"memberIds\":[\"%s\"]}", mine, member);
    r = req_as(&srv, other, "POST", "/customer-organizations", body, NULL);
    cr_assert_eq(r->status, 400, "%s", r->body);
    cr_assert_str_eq(err_type_of(r), "CustomerNotFound");
    resp_free(r);
    free(owner);
    free(member);
    free(mine);
}

struct race {
    const char *body;
    long status;
};

static void *race_one(void *p)
{
    struct race *r = p;
    struct resp *x = req(&srv, "POST", "/customer-organizations", r->body, NULL);
    r->status = x->status;
    resp_free(x);
    return NULL;
}

Test(organizations, racing_creates_for_one_owner_have_one_winner)
{
    char *owner = make_customer(&srv, NULL, "Contested Owner");
    char *member = make_customer(&srv, NULL, "Member");
    char body[256];
    snprintf(body, sizeof(body), "{\"ownerId\":\"%s\",\"memberIds\":[\"%s\"]}", owner, member);
    enum { N = 32 };
    pthread_t t[N];
    struct race rs[N];
    for (int i = 0; i < N; i++) {
        rs[i].body = body;
        pthread_create(&t[i], NULL, race_one, &rs[i]);
    }
    int created = 0, conflicts = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        created += rs[i].status == 201;
        conflicts += rs[i].status == 409;
    }
    cr_assert_eq(created, 1, "exactly one 201 (got %d)", created);
    cr_assert_eq(conflicts, N - 1, "the rest 409 (got %d)", conflicts);
    char path[128];
    snprintf(path, sizeof(path), "/customers/%s", member);
    struct resp *r = req(&srv, "GET", path, NULL, NULL);
    cr_assert_eq(json_array_size(json_object_get(r->json, "organizations")), 1, "%s", r->body);
    resp_free(r);
    free(owner);
    free(member);
}
