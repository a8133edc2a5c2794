/* POST /customers validation and GET /customers/{id}. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

HTTP_SUITE(customers, 120);

#define ADDR                                                                                       \
    "{\"line1\":\"1 "                                                                              \
    "Road\",\"town\":\"Austin\",\"postcode\":\"78701\",\"country\":\"US\",\"state\":\"TX\"}"
#define CONTACT "{\"name\":\"Bo\",\"email\":\"bo@acme.test\",\"billingPreference\":\"PRIMARY\"}"

Test(customers, create_answers_a_full_customer)
{
    const char *body =
        "{\"legalName\":\"Acme Inc\",\"address\":" ADDR ",\"taxStatus\":\"TAX_EXEMPT\","
        "\"url\":\"https://www.acme.test/about\",\"label\":\"big\",\"contacts\":[" CONTACT
        ",{\"name\":\"Cy\",\"email\":\"cy@acme.test\",\"billingPreference\":\"STANDARD\"}],"
        "\"integrationIds\":[{\"service\":\"Stripe\",\"id\":\"cus_1\"}],"
        "\"customProperties\":{\"tier\":\"gold\",\"region\":\"EU\"},\"status\":\"DRAFT\"}";
    struct resp *r = req(&srv, "POST", "/customers", body, NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    json_t *c = r->json;
    cr_assert_str_eq(json_string_value(json_object_get(c, "legalName")), "Acme Inc");
    cr_assert_str_eq(json_string_value(json_object_get(c, "taxStatus")), "TAX_EXEMPT");
    cr_assert_str_eq(json_string_value(json_object_get(c, "status")), "DRAFT");
    cr_assert_str_eq(json_string_value(json_object_get(c, "domain")), "acme.test");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(c, "address"), "state")),
                     "TX");
    cr_assert_eq(json_array_size(json_object_get(c, "contacts")), 2);
    cr_assert_eq(json_array_size(json_object_get(c, "organizations")), 0);
    json_t *ii = json_array_get(json_object_get(c, "integrationIds"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(ii, "service")), "Stripe");
    cr_assert(json_is_false(json_object_get(ii, "isPending")));
    cr_assert_str_eq(
        json_string_value(json_object_get(json_object_get(c, "customProperties"), "tier")), "gold");
    const char *created = json_string_value(json_object_get(c, "createdAt"));
    cr_assert(created && strlen(created) == 20 && created[19] == 'Z', "%s", created);
    cr_assert_null(json_object_get(c, "archivedAt"));

    char path[128];
    snprintf(path, sizeof(path), "/customers/%s", json_string_value(json_object_get(c, "id")));
    struct resp *g = req(&srv, "GET", path, NULL, NULL);
    cr_assert_eq(g->status, 200);
    cr_assert(json_equal(g->json, r->json), "GET answers what POST answered:\n%s\n%s", g->body,
              r->body);
    resp_free(g);
    resp_free(r);
}

Test(customers, defaults)
{
    const char *body = "{\"legalName\":\"D\",\"address\":" ADDR
                       ",\"taxStatus\":\"TAXED\",\"contacts\":[" CONTACT "]}";
    struct resp *r = req(&srv, "POST", "/customers", body, NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    cr_assert_str_eq(json_string_value(json_object_get(r->json, "status")), "ACTIVE");
    cr_assert(json_is_object(json_object_get(r->json, "customProperties")));
    cr_assert_eq(json_array_size(json_object_get(r->json, "integrationIds")), 0);
    cr_assert_null(json_object_get(r->json, "url"));
    resp_free(r);
}

Test(customers, validation_names_the_field)
{
    struct {
        const char *body, *type, *field;
    } cases[] = {
        {"{\"address\":" ADDR ",\"taxStatus\":\"TAXED\",\"contacts\":[" CONTACT "]}",
         "MissingField", "legalName"},
        {"{\"legalName\":\"  \",\"address\":" ADDR ",\"taxStatus\":\"TAXED\",\"contacts\":[" CONTACT
         "]}",
         "InvalidField", "legalName"},
        {"{\"legalName\":\"X\",\"taxStatus\":\"TAXED\",\"contacts\":[" CONTACT "]}", "MissingField",
         "address"},
        {"{\"legalName\":\"X\",\"address\":" ADDR ",\"contacts\":[" CONTACT "]}", "MissingField",
         "taxStatus"},
        {"{\"legalName\":\"X\",\"address\":" ADDR ",\"taxStatus\":\"taxed\",\"contacts\":[" CONTACT
         "]}",
         "InvalidField", "taxStatus"},
        {"{\"legalName\":\"X\",\"address\":" ADDR ",\"taxStatus\":\"TAXED\"}", "MissingField",
         "contacts"},
        {"{\"legalName\":\"X\",\"address\":" ADDR ",\"taxStatus\":\"TAXED\",\"contacts\":[]}",
         "InvalidField", "contacts"},
        {"{\"legalName\":\"X\",\"address\":" ADDR
         ",\"taxStatus\":\"TAXED\",\"contacts\":[{\"name\":\"Bo\",\"email\":\"bo@acme.test\","
         "\"billingPreference\":\"STANDARD\"}]}",
         "InvalidField", "contacts"},
        /* Two PRIMARY contacts are fine (Sequence: "at least one"); none
         * is not, even when no contact receives billing communications. */
        {"{\"legalName\":\"X\",\"address\":" ADDR
         ",\"taxStatus\":\"TAXED\",\"contacts\":[{\"name\":\"Bo\",\"email\":\"bo@acme.test\","
         "\"billingPreference\":\"NONE\"}]}",
         "InvalidField", "contacts"},
        {"{\"legalName\":\"X\",\"address\":" ADDR
         ",\"taxStatus\":\"TAXED\",\"contacts\":[{\"name\":\"Bo\",\"email\":\"not-an-email\","
         "\"billingPreference\":\"PRIMARY\"}]}",
         "InvalidField", "contacts[0].email"},
        {"{\"legalName\":\"X\",\"address\":" ADDR
         ",\"taxStatus\":\"TAXED\",\"contacts\":[{\"name\":\"Bo\",\"email\":\"bo@x.io\","
         "\"billingPreference\":\"SOMETIMES\"}]}",
         "InvalidField", "contacts[0].billingPreference"},
        {"{\"legalName\":\"X\",\"address\":" ADDR ",\"taxStatus\":\"TAXED\",\"contacts\":[" CONTACT
         "],\"status\":\"LIVE\"}",
         "InvalidField", "status"},
        {"{\"legalName\":\"X\",\"address\":{\"line1\":\"a\",\"town\":\"b\",\"postcode\":\"c\","
         "\"country\":\"XX\"},\"taxStatus\":\"TAXED\",\"contacts\":[" CONTACT "]}",
         "InvalidField", "address.country"},
        {"{\"legalName\":\"X\",\"address\":{\"line1\":\"a\",\"town\":\"b\",\"postcode\":\"c\","
         "\"country\":\"US\"},\"taxStatus\":\"TAXED\",\"contacts\":[" CONTACT "]}",
         "MissingField", "address.state"},
        {"{\"legalName\":\"X\",\"address\":{\"line1\":\"a\",\"town\":\"b\",\"postcode\":\"c\","
         "\"country\":\"CA\",\"state\":\"TX\"},\"taxStatus\":\"TAXED\",\"contacts\":[" CONTACT "]}",
         "InvalidField", "address.state"},
        {"{\"legalName\":\"X\",\"address\":{\"line1\":\"a\",\"town\":\"b\",\"postcode\":\"c\","
         "\"country\":\"US\",\"state\":\"ZZ\"},\"taxStatus\":\"TAXED\",\"contacts\":[" CONTACT "]}",
         "InvalidField", "address.state"},
        {"{\"legalName\":\"X\",\"address\":{\"town\":\"b\",\"postcode\":\"c\",\"country\":\"GB\"},"
         "\"taxStatus\":\"TAXED\",\"contacts\":[" CONTACT "]}",
         "MissingField", "address.line1"},
        {"{\"legalName\":\"X\",\"address\":" ADDR ",\"taxStatus\":\"TAXED\",\"contacts\":[" CONTACT
         "],\"customProperties\":{\"a\":1}}",
         "InvalidField", "customProperties.a"},
        {"{\"legalName\":\"X\",\"address\":" ADDR ",\"taxStatus\":\"TAXED\",\"contacts\":[" CONTACT
         "],\"customProperties\":[]}",
         "InvalidField", "customProperties"},
        {"{\"legalName\":\"X\",\"address\":" ADDR ",\"taxStatus\":\"TAXED\",\"contacts\":[" CONTACT
         "],\"integrationIds\":[{\"service\":\"Nope\",\"id\":\"1\"}]}",
         "InvalidField", "integrationIds[0].service"},
        {"{\"legalName\":\"X\",\"address\":" ADDR ",\"taxStatus\":\"TAXED\",\"contacts\":[" CONTACT
         "],\"pushToIntegrations\":[\"Stripe\"]}",
         "InvalidField", "pushToIntegrations"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        struct resp *r = req(&srv, "POST", "/customers", cases[i].body, NULL);
        cr_assert_eq(r->status, 400, "case %zu: %ld %s", i, r->status, r->body);
        json_t *e = json_object_get(r->json, "error");
        cr_assert_str_eq(json_string_value(json_object_get(e, "type")), cases[i].type,
                         "case %zu: %s", i, r->body);
        cr_assert_str_eq(json_string_value(json_object_get(e, "field")), cases[i].field,
                         "case %zu: %s", i, r->body);
        resp_free(r);
    }
    struct resp *r = req(&srv, "GET", "/customers?includeArchived=true", NULL, NULL);
    cr_assert_eq(json_array_size(json_object_get(r->json, "items")), 0, "nothing was created");
    resp_free(r);
}

Test(customers, get_unknown_or_malformed_id_is_404)
{
    struct resp *r =
        req(&srv, "GET", "/customers/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", NULL, NULL);
    cr_assert_eq(r->status, 404);
    cr_assert_str_eq(err_type_of(r), "NotFound");
    resp_free(r);
    r = req(&srv, "GET", "/customers/not-a-uuid", NULL, NULL);
    cr_assert_eq(r->status, 404);
    resp_free(r);
}
