/* The contacts of a customer: list, create, update, archive, and the
 * billing rule C1 (src/rules/contacts.c, in Sequence's words: "if any
 * contacts receive billing communications then at least one contact must be
 * designated PRIMARY"), against the real server. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

HTTP_SUITE(contacts, 120);

#define GHOST "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

/* make_customer's one contact: Ann, ann@example.com, PRIMARY. */

static struct resp *list(const char *customer, const char *query)
{
    return reqf(&srv, "GET", NULL, "/customers/%s/contacts%s%s", customer, query ? "?" : "",
                query ? query : "");
}

static struct resp *add(const char *customer, const char *name, const char *email, const char *pref)
{
    char body[512];
    snprintf(body, sizeof(body), "{\"name\":\"%s\",\"email\":\"%s\",\"billingPreference\":\"%s\"}",
             name, email, pref);
    return reqf(&srv, "POST", body, "/customers/%s/contacts", customer);
}

static char *add_id(const char *customer, const char *name, const char *email, const char *pref)
{
    struct resp *r = add(customer, name, email, pref);
    cr_assert_eq(r->status, 201, "%s", r->body);
    char *id = strdup(jstr(r->json, "id"));
    resp_free(r);
    return id;
}

static struct resp *update(const char *customer, const char *id, const char *name,
                           const char *email, const char *pref)
{
    char body[512];
    snprintf(body, sizeof(body), "{\"name\":\"%s\",\"email\":\"%s\",\"billingPreference\":\"%s\"}",
             name, email, pref);
    return reqf(&srv, "PUT", body, "/customers/%s/contacts/%s", customer, id);
}

static struct resp *archive(const char *customer, const char *id)
{
    return reqf(&srv, "POST", NULL, "/customers/%s/contacts/%s/archive", customer, id);
}

/* The id of the customer's only PRIMARY contact (asserting there is one):
 * for customers made with one PRIMARY contact and no other. */
static char *primary_of(const char *customer)
{
    struct resp *r = list(customer, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    json_t *items = json_object_get(r->json, "items");
    char *found = NULL;
    for (size_t i = 0; i < json_array_size(items); i++) {
        json_t *c = json_array_get(items, i);
        if (strcmp(jstr(c, "billingPreference"), "PRIMARY") == 0) {
            cr_assert_null(found, "two PRIMARY contacts: %s", r->body);
            found = strdup(jstr(c, "id"));
        }
    }
    cr_assert_not_null(found, "no PRIMARY contact: %s", r->body);
    resp_free(r);
    return found;
}

/* The billingPreference of contact `id` in the customer's list (archived
 * included), or NULL when it is not there. */
static const char *pref_of(const char *customer, const char *id)
{
    static char out[16];
    struct resp *r = list(customer, "includeArchived=true");
    json_t *items = json_object_get(r->json, "items");
    const char *res = NULL;
    for (size_t i = 0; i < json_array_size(items); i++)
        if (strcmp(jstr(json_array_get(items, i), "id"), id) == 0) {
            snprintf(out, sizeof(out), "%s", jstr(json_array_get(items, i), "billingPreference"));
            res = out;
        }
    resp_free(r);
    return res;
}

/* How many active contacts of the customer are PRIMARY. */
static int primaries_of(const char *customer)
{
    struct resp *r = list(customer, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    json_t *items = json_object_get(r->json, "items");
    int n = 0;
    for (size_t i = 0; i < json_array_size(items); i++)
        n += strcmp(jstr(json_array_get(items, i), "billingPreference"), "PRIMARY") == 0;
    resp_free(r);
    return n;
}

static void expect_error(struct resp *r, long status, const char *type, const char *field,
                         const char *what)
{
    cr_assert_eq(r->status, status, "%s: want %ld, got %ld %s", what, status, r->status, r->body);
    cr_assert_str_eq(err_type_of(r), type, "%s: %s", what, r->body);
    if (field)
        cr_assert_str_eq(err_field_of(r), field, "%s: %s", what, r->body);
}

Test(contacts, create_answers_201_with_the_contact)
{
    char *cu = make_customer(&srv, NULL, "Acme");
    struct resp *r = add(cu, "Bo", "bo@acme.test", "STANDARD");
    cr_assert_eq(r->status, 201, "%s", r->body);
    json_t *c = r->json;
    const char *id = jstr(c, "id");
    cr_assert(id && strlen(id) == 36, "%s", r->body);
    cr_assert_str_eq(jstr(c, "name"), "Bo");
    cr_assert_str_eq(jstr(c, "email"), "bo@acme.test");
    cr_assert_str_eq(jstr(c, "billingPreference"), "STANDARD");
    cr_assert_eq(strlen(jstr(c, "createdAt")), 20, "%s", r->body);
    cr_assert_str_eq(jstr(c, "updatedAt"), jstr(c, "createdAt"));
    cr_assert_null(json_object_get(c, "archivedAt"), "%s", r->body);
    cr_assert_eq(json_object_size(c), 6, "id, name, email, billingPreference, times: %s", r->body);

    /* The list answers the same object, after the first contact. */
    struct resp *l = list(cu, NULL);
    cr_assert_eq(l->status, 200, "%s", l->body);
    json_t *items = json_object_get(l->json, "items");
    cr_assert_eq(json_array_size(items), 2, "%s", l->body);
    cr_assert_str_eq(jstr(json_array_get(items, 0), "email"), "ann@example.com");
    cr_assert(json_equal(json_array_get(items, 1), c), "%s\n%s", l->body, r->body);
    resp_free(l);

    /* A STANDARD contact leaves the PRIMARY alone; NONE is accepted too. */
    char *p = primary_of(cu);
    resp_free(add(cu, "Nia", "nia@acme.test", "NONE"));
    char *p2 = primary_of(cu);
    cr_assert_str_eq(p, p2);

    /* And the customer shows its contacts. */
    struct resp *g = reqf(&srv, "GET", NULL, "/customers/%s", cu);
    cr_assert_eq(json_array_size(json_object_get(g->json, "contacts")), 3, "%s", g->body);
    resp_free(g);
    resp_free(r);
    free(p);
    free(p2);
    free(cu);
}

Test(contacts, a_new_primary_keeps_the_old_one_primary)
{
    char *cu = make_customer(&srv, NULL, "Acme");
    char *ann = primary_of(cu);
    struct resp *r = add(cu, "Bo", "bo@acme.test", "PRIMARY");
    cr_assert_eq(r->status, 201, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "billingPreference"), "PRIMARY");
    char bo[64];
    snprintf(bo, sizeof(bo), "%s", jstr(r->json, "id"));
    resp_free(r);
    cr_assert_str_eq(pref_of(cu, ann), "PRIMARY", "nothing demoted behind the caller's back");
    cr_assert_str_eq(pref_of(cu, bo), "PRIMARY");

    /* Making an existing contact PRIMARY by update leaves the others too. */
    char *cy = add_id(cu, "Cy", "cy@acme.test", "STANDARD");
    r = update(cu, cy, "Cy", "cy@acme.test", "PRIMARY");
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "billingPreference"), "PRIMARY");
    resp_free(r);
    cr_assert_eq(primaries_of(cu), 3);
    cr_assert_str_eq(pref_of(cu, ann), "PRIMARY");
    cr_assert_str_eq(pref_of(cu, bo), "PRIMARY");

    /* With other PRIMARY contacts left, one may step down. */
    r = update(cu, ann, "Ann", "ann@example.com", "STANDARD");
    cr_assert_eq(r->status, 200, "%s", r->body);
    resp_free(r);
    cr_assert_str_eq(pref_of(cu, ann), "STANDARD");
    cr_assert_eq(primaries_of(cu), 2);

    /* The customer's view agrees. */
    r = reqf(&srv, "GET", NULL, "/customers/%s", cu);
    json_t *cs = json_object_get(r->json, "contacts");
    int primaries = 0;
    for (size_t i = 0; i < json_array_size(cs); i++)
        primaries += strcmp(jstr(json_array_get(cs, i), "billingPreference"), "PRIMARY") == 0;
    cr_assert_eq(primaries, 2, "%s", r->body);
    resp_free(r);
    free(ann);
    free(cy);
    free(cu);
}

Test(contacts, update_answers_200_and_changes_the_contact)
{
    char *cu = make_customer(&srv, NULL, "Acme");
    char *bo = add_id(cu, "Bo", "bo@acme.test", "STANDARD");
    struct resp *before = list(cu, NULL);
    struct resp *r = update(cu, bo, "Robert", "robert@acme.test", "NONE");
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "id"), bo);
    cr_assert_str_eq(jstr(r->json, "name"), "Robert");
    cr_assert_str_eq(jstr(r->json, "email"), "robert@acme.test");
    cr_assert_str_eq(jstr(r->json, "billingPreference"), "NONE");
    cr_assert_str_eq(jstr(r->json, "createdAt"),
                     jstr(json_array_get(json_object_get(before->json, "items"), 1), "createdAt"));
    cr_assert_null(json_object_get(r->json, "archivedAt"));
    struct resp *l = list(cu, NULL);
    cr_assert(json_equal(json_array_get(json_object_get(l->json, "items"), 1), r->json), "%s",
              l->body);
    resp_free(l);
    resp_free(r);
    resp_free(before);

    /* The customer list's email filter follows the change. */
    r = req(&srv, "GET", "/customers?email=robert@acme.test", NULL, NULL);
    cr_assert_eq(page_total(r), 1, "%s", r->body);
    resp_free(r);
    r = req(&srv, "GET", "/customers?email=bo@acme.test", NULL, NULL);
    cr_assert_eq(page_total(r), 0, "%s", r->body);
    resp_free(r);
    free(bo);
    free(cu);
}

Test(contacts, the_last_primary_stays_while_others_receive_billing)
{
    char *cu = make_customer(&srv, NULL, "Acme");
    char *ann = primary_of(cu);
    /* Alone: STANDARD would receive billing communications with no PRIMARY. */
    struct resp *r = update(cu, ann, "Ann", "ann@example.com", "STANDARD");
    expect_error(r, 409, "Conflict", "billingPreference", "the only contact to STANDARD");
    resp_free(r);
    cr_assert_str_eq(pref_of(cu, ann), "PRIMARY", "unchanged");
    /* With a STANDARD contact around, NONE is refused too. */
    char *bo = add_id(cu, "Bo", "bo@acme.test", "STANDARD");
    static const char *const prefs[] = {"STANDARD", "NONE"};
    for (int i = 0; i < 2; i++) {
        r = update(cu, ann, "Ann Changed", "ann@example.com", prefs[i]);
        expect_error(r, 409, "Conflict", "billingPreference", prefs[i]);
        resp_free(r);
    }
    r = list(cu, NULL);
    cr_assert_str_eq(jstr(json_array_get(json_object_get(r->json, "items"), 0), "name"), "Ann",
                     "a refused change changes nothing: %s", r->body);
    resp_free(r);
    cr_assert_str_eq(pref_of(cu, ann), "PRIMARY");
    cr_assert_str_eq(pref_of(cu, bo), "STANDARD");
    /* Once Bo no longer receives billing, Ann may stop too: no contact
     * receives billing communications, which the rule allows. */
    r = update(cu, bo, "Bo", "bo@acme.test", "NONE");
    cr_assert_eq(r->status, 200, "%s", r->body);
    resp_free(r);
    r = update(cu, ann, "Ann", "ann@example.com", "NONE");
    cr_assert_eq(r->status, 200, "no contact receives billing: %s", r->body);
    resp_free(r);
    cr_assert_eq(primaries_of(cu), 0);
    /* Now a STANDARD contact needs a PRIMARY one first; NONE is fine. */
    r = add(cu, "Cy", "cy@acme.test", "STANDARD");
    expect_error(r, 409, "Conflict", "billingPreference", "STANDARD without a PRIMARY");
    resp_free(r);
    r = update(cu, bo, "Bo", "bo@acme.test", "STANDARD");
    expect_error(r, 409, "Conflict", "billingPreference", "back to STANDARD without a PRIMARY");
    resp_free(r);
    resp_free(add(cu, "Di", "di@acme.test", "NONE"));
    r = list(cu, "includeArchived=true");
    cr_assert_eq(json_array_size(json_object_get(r->json, "items")), 3, "Cy was not added: %s",
                 r->body);
    resp_free(r);
    char *cy = add_id(cu, "Cy", "cy@acme.test", "PRIMARY");
    r = add(cu, "Ed", "ed@acme.test", "STANDARD");
    cr_assert_eq(r->status, 201, "with a PRIMARY contact: %s", r->body);
    resp_free(r);
    free(ann);
    free(bo);
    free(cy);
    free(cu);
}

Test(contacts, archive_hides_the_contact_and_is_idempotent)
{
    char *cu = make_customer(&srv, NULL, "Acme");
    char *bo = add_id(cu, "Bo", "bo@acme.test", "STANDARD");
    struct resp *r = archive(cu, bo);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "id"), bo);
    char at[32];
    snprintf(at, sizeof(at), "%s", jstr(r->json, "archivedAt") ? jstr(r->json, "archivedAt") : "");
    cr_assert_eq(strlen(at), 20, "archivedAt is set: %s", r->body);
    resp_free(r);

    r = list(cu, NULL);
    json_t *items = json_object_get(r->json, "items");
    cr_assert_eq(json_array_size(items), 1, "hidden by default: %s", r->body);
    cr_assert_str_eq(jstr(json_array_get(items, 0), "email"), "ann@example.com");
    resp_free(r);
    static const char *const visible[] = {"includeArchived=true"};
    r = list(cu, visible[0]);
    items = json_object_get(r->json, "items");
    cr_assert_eq(json_array_size(items), 2, "%s", r->body);
    cr_assert_str_eq(jstr(json_array_get(items, 1), "archivedAt"), at, "%s", r->body);
    resp_free(r);
    r = list(cu, "includeArchived=false");
    cr_assert_eq(json_array_size(json_object_get(r->json, "items")), 1, "%s", r->body);
    resp_free(r);

    r = archive(cu, bo);
    cr_assert_eq(r->status, 200, "archiving again is fine: %s", r->body);
    cr_assert_str_eq(jstr(r->json, "archivedAt"), at);
    resp_free(r);

    /* Archived contacts are history: they cannot be changed. */
    r = update(cu, bo, "Bo", "bo@acme.test", "STANDARD");
    expect_error(r, 409, "Conflict", NULL, "update an archived contact");
    resp_free(r);
    r = update(cu, bo, "Bo", "bo@acme.test", "PRIMARY");
    expect_error(r, 409, "Conflict", NULL, "promote an archived contact");
    resp_free(r);
    char *p = primary_of(cu);
    cr_assert_str_neq(p, bo);
    free(p);

    /* Nor is the customer's view of its contacts. */
    r = reqf(&srv, "GET", NULL, "/customers/%s", cu);
    cr_assert_eq(json_array_size(json_object_get(r->json, "contacts")), 1, "%s", r->body);
    resp_free(r);

    r = list(cu, "includeArchived=1");
    expect_error(r, 400, "InvalidQueryParameter", "includeArchived", "includeArchived=1");
    resp_free(r);
    free(bo);
    free(cu);
}

Test(contacts, archiving_the_last_primary_is_refused_only_while_others_receive_billing)
{
    char *cu = make_customer(&srv, NULL, "Acme");
    char *ann = primary_of(cu);
    char *bo = add_id(cu, "Bo", "bo@acme.test", "STANDARD");
    struct resp *r = archive(cu, ann);
    expect_error(r, 409, "Conflict", NULL, "archive the last PRIMARY");
    resp_free(r);
    cr_assert_str_eq(pref_of(cu, ann), "PRIMARY");
    r = list(cu, NULL);
    cr_assert_eq(json_array_size(json_object_get(r->json, "items")), 2, "%s", r->body);
    resp_free(r);

    /* With another PRIMARY contact, the first can go, still PRIMARY. */
    char *cy = add_id(cu, "Cy", "cy@acme.test", "PRIMARY");
    r = archive(cu, ann);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "billingPreference"), "PRIMARY", "archived as it was");
    cr_assert(jstr(r->json, "archivedAt"), "%s", r->body);
    resp_free(r);
    char *p = primary_of(cu);
    cr_assert_str_eq(p, cy);
    free(p);
    cr_assert_str_eq(pref_of(cu, bo), "STANDARD", "untouched");

    /* Cy is now the last PRIMARY, and Bo still receives billing. */
    r = archive(cu, cy);
    expect_error(r, 409, "Conflict", NULL, "archive the last PRIMARY again");
    resp_free(r);
    /* STANDARD and NONE contacts can always be archived. */
    r = archive(cu, bo);
    cr_assert_eq(r->status, 200, "%s", r->body);
    resp_free(r);
    /* Nobody else receives billing: the last PRIMARY can be archived. */
    char *di = add_id(cu, "Di", "di@acme.test", "NONE");
    r = archive(cu, cy);
    cr_assert_eq(r->status, 200, "only a NONE contact is left: %s", r->body);
    resp_free(r);
    r = list(cu, NULL);
    json_t *items = json_object_get(r->json, "items");
    cr_assert_eq(json_array_size(items), 1, "%s", r->body);
    cr_assert_str_eq(jstr(json_array_get(items, 0), "id"), di);
    resp_free(r);
    free(ann);
    free(bo);
    free(cy);
    free(di);
    free(cu);
}

Test(contacts, bad_bodies_are_400_and_name_the_field)
{
    char *cu = make_customer(&srv, NULL, "Acme");
    char *ann = primary_of(cu);
    struct {
        const char *body, *type, *field;
    } cases[] = {
        {"{\"email\":\"a@b.test\",\"billingPreference\":\"STANDARD\"}", "MissingField", "name"},
        {"{\"name\":\"A\",\"billingPreference\":\"STANDARD\"}", "MissingField", "email"},
        {"{\"name\":\"A\",\"email\":\"a@b.test\"}", "MissingField", "billingPreference"},
        {"{\"name\":\" \",\"email\":\"a@b.test\",\"billingPreference\":\"STANDARD\"}",
         "InvalidField", "name"},
        {"{\"name\":5,\"email\":\"a@b.test\",\"billingPreference\":\"STANDARD\"}", "InvalidField",
         "name"},
        {"{\"name\":\"A\",\"email\":\"not-an-email\",\"billingPreference\":\"STANDARD\"}",
         "InvalidField", "email"},
        {"{\"name\":\"A\",\"email\":\"a@b\",\"billingPreference\":\"STANDARD\"}", "InvalidField",
         "email"},
        {"{\"name\":\"A\",\"email\":\"a@b.test\",\"billingPreference\":\"primary\"}",
         "InvalidField", "billingPreference"},
        {"{\"name\":\"A\",\"email\":\"a@b.test\",\"billingPreference\":\"ALWAYS\"}", "InvalidField",
         "billingPreference"},
        {"[]", "InvalidRequestBody", NULL},
        {"{", "InvalidJson", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        char what[48];
        struct resp *r = reqf(&srv, "POST", cases[i].body, "/customers/%s/contacts", cu);
        snprintf(what, sizeof(what), "create case %zu", i);
        expect_error(r, 400, cases[i].type, cases[i].field, what);
        resp_free(r);
        r = reqf(&srv, "PUT", cases[i].body, "/customers/%s/contacts/%s", cu, ann);
        snprintf(what, sizeof(what), "update case %zu", i);
        expect_error(r, 400, cases[i].type, cases[i].field, what);
        resp_free(r);
    }
    struct resp *r = list(cu, "includeArchived=true");
    cr_assert_eq(json_array_size(json_object_get(r->json, "items")), 1, "nothing written: %s",
                 r->body);
    cr_assert_str_eq(jstr(json_array_get(json_object_get(r->json, "items"), 0), "name"), "Ann");
    resp_free(r);
    free(ann);
    free(cu);
}

Test(contacts, unknown_or_foreign_customers_and_contacts_are_404)
{
    char *cu = make_customer(&srv, NULL, "Mine");
    char *ann = primary_of(cu);
    char *other_cu = make_customer(&srv, NULL, "Also Mine");
    char *other_contact = primary_of(other_cu);
    char key[256];
    server_new_key(&srv, "contacts-b", key, sizeof(key));
    char *theirs = make_customer(&srv, key, "Theirs");
    char path[256];
    snprintf(path, sizeof(path), "/customers/%s/contacts", theirs);
    struct resp *t = req_as(&srv, key, "GET", path, NULL, NULL);
    cr_assert_eq(t->status, 200, "%s", t->body);
    char their_contact[64];
    snprintf(their_contact, sizeof(their_contact), "%s",
             jstr(json_array_get(json_object_get(t->json, "items"), 0), "id"));
    resp_free(t);

    const char *body = "{\"name\":\"X\",\"email\":\"x@y.test\",\"billingPreference\":\"STANDARD\"}";
    /* (customer, contact) pairs that name nothing this account has */
    const char *pairs[][2] = {
        {GHOST, ann},            /* unknown customer */
        {"not-a-uuid", ann},     /* malformed customer */
        {theirs, their_contact}, /* another account's */
        {cu, GHOST},             /* unknown contact */
        {cu, "not-a-uuid"},      /* malformed contact */
        {cu, other_contact},     /* a contact of another customer */
        {cu, their_contact},     /* another account's contact */
    };
    for (size_t i = 0; i < sizeof(pairs) / sizeof(*pairs); i++) {
        char what[48];
        struct resp *r;
        if (i < 3) {
            r = reqf(&srv, "GET", NULL, "/customers/%s/contacts", pairs[i][0]);
            snprintf(what, sizeof(what), "list %zu", i);
            expect_error(r, 404, "NotFound", NULL, what);
            resp_free(r);
            r = reqf(&srv, "POST", body, "/customers/%s/contacts", pairs[i][0]);
            snprintf(what, sizeof(what), "create %zu", i);
            expect_error(r, 404, "NotFound", NULL, what);
            resp_free(r);
        }
        r = reqf(&srv, "PUT", body, "/customers/%s/contacts/%s", pairs[i][0], pairs[i][1]);
        snprintf(what, sizeof(what), "update %zu", i);
        expect_error(r, 404, "NotFound", NULL, what);
        resp_free(r);
        r = reqf(&srv, "POST", NULL, "/customers/%s/contacts/%s/archive", pairs[i][0], pairs[i][1]);
        snprintf(what, sizeof(what), "archive %zu", i);
        expect_error(r, 404, "NotFound", NULL, what);
        resp_free(r);
    }
    /* Nothing changed anywhere. */
    struct resp *r = list(other_cu, "includeArchived=true");
    cr_assert_eq(json_array_size(json_object_get(r->json, "items")), 1, "%s", r->body);
    cr_assert_str_eq(jstr(json_array_get(json_object_get(r->json, "items"), 0), "name"), "Ann");
    resp_free(r);
    t = req_as(&srv, key, "GET", path, NULL, NULL);
    cr_assert_eq(json_array_size(json_object_get(t->json, "items")), 1, "%s", t->body);
    cr_assert_str_eq(jstr(json_array_get(json_object_get(t->json, "items"), 0), "name"), "Ann",
                     "%s", t->body);
    resp_free(t);
    r = list(cu, "includeArchived=true");
    cr_assert_eq(json_array_size(json_object_get(r->json, "items")), 1, "%s", r->body);
    resp_free(r);
    free(cu);
    free(ann);
    free(other_cu);
    free(other_contact);
    free(theirs);
}

Test(contacts, contact_ids_are_matched_case_insensitively)
{
    char *cu = make_customer(&srv, NULL, "Acme");
    char *bo = add_id(cu, "Bo", "bo@acme.test", "STANDARD");
    char upper_cu[64], upper_bo[64];
    snprintf(upper_cu, sizeof(upper_cu), "%s", cu);
    snprintf(upper_bo, sizeof(upper_bo), "%s", bo);
    for (char *p = upper_cu; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'f' ? *p - 32 : *p);
    for (char *p = upper_bo; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'f' ? *p - 32 : *p);
    struct resp *r = update(upper_cu, upper_bo, "Bob", "bo@acme.test", "STANDARD");
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "id"), bo, "ids come back lowercase");
    resp_free(r);
    free(bo);
    free(cu);
}
