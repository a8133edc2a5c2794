/* Request validation in the domain layer. */
#include <criterion/criterion.h>
#include <string.h>

#include "../../src/domain/codes.h"
#include "../../src/domain/parse.h"

static struct arena *a;

static void setup(void)
{
    a = arena_create();
}

static void teardown(void)
{
    arena_destroy(a);
}

TestSuite(parse, .init = setup, .fini = teardown);

static json_t *j(const char *s)
{
    json_t *v = json_loads(s, 0, NULL);
    cr_assert(v, "%s", s);
    return v;
}

Test(parse, email_shapes)
{
    const char *good[] = {"a@b.co", "first.last+tag@example.co.uk", "x_y@sub-domain.example.io"};
    const char *bad[] = {"",        "a",        "a@",      "@b.co",   "a@b",      "a@b.",
                         "a@.b.co", "a b@c.co", "a@@b.co", "a@b..co", "a<b@c.co", "a@b.co\n"};
    for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
        cr_assert(email_valid(good[i]), "%s", good[i]);
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        cr_assert_not(email_valid(bad[i]), "%s", bad[i]);
}

Test(parse, url_domain)
{
    cr_assert_str_eq(url_domain("https://www.Example.com/about", a), "example.com");
    cr_assert_str_eq(url_domain("http://user@shop.example.com:8080/x", a), "shop.example.com");
    cr_assert_null(url_domain("example.com", a));
    cr_assert_null(url_domain("https:///x", a));
}

Test(parse, country_and_state_codes)
{
    cr_assert(codes_country_valid("GB"));
    cr_assert(codes_country_valid("US"));
    cr_assert(codes_country_valid("ZW"));
    cr_assert_not(codes_country_valid("UK"));
    cr_assert_not(codes_country_valid("gb"));
    cr_assert(codes_state_in_country("NY", "US"));
    cr_assert(codes_state_in_country("QC", "CA"));
    cr_assert_not(codes_state_in_country("QC", "US"));
    cr_assert(codes_state_required("US"));
    cr_assert_not(codes_state_required("GB"));
}

Test(parse, customer_input_ok)
{
    json_t *b = j("{\"legalName\":\"Acme\",\"address\":{\"line1\":\"1\",\"town\":\"T\","
                  "\"postcode\":\"P\",\"country\":\"GB\"},\"taxStatus\":\"REVERSE_CHARGED\","
                  "\"contacts\":[{\"name\":\"N\",\"email\":\"n@x.io\",\"billingPreference\":"
                  "\"PRIMARY\"}],\"customProperties\":{\"z\":\"1\",\"a\":\"2\"},"
                  "\"customerAliases\":[\"crm-1\"],\"parentId\":"
                  "\"0190A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B\"}");
    struct customer_input in;
    struct verr ve = {0};
    cr_assert_eq(customer_input_parse(b, a, &in, &ve), ERR_OK, "%s", ve.msg);
    cr_assert_str_eq(in.c.legal_name, "Acme");
    cr_assert_eq(in.c.tax_status, TAX_REVERSE_CHARGED);
    cr_assert_eq(in.c.status, CUSTOMER_ACTIVE);
    cr_assert(in.props_given);
    cr_assert_eq(in.c.n_props, 2);
    cr_assert_str_eq(in.c.props[0].key, "a", "properties sorted by key");
    cr_assert_eq(in.n_aliases, 1);
    cr_assert_str_eq(in.parent_id, "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
    json_decref(b);
}

Test(parse, customer_props_absent_means_keep)
{
    json_t *b = j("{\"legalName\":\"Acme\",\"address\":{\"line1\":\"1\",\"town\":\"T\","
                  "\"postcode\":\"P\",\"country\":\"GB\"},\"taxStatus\":\"TAXED\","
                  "\"contacts\":[{\"name\":\"N\",\"email\":\"n@x.io\",\"billingPreference\":"
                  "\"PRIMARY\"}]}");
    struct customer_input in;
    struct verr ve = {0};
    cr_assert_eq(customer_input_parse(b, a, &in, &ve), ERR_OK, "%s", ve.msg);
    cr_assert_not(in.props_given);
    cr_assert_null(in.parent_id);
    json_decref(b);
}

Test(parse, id_lists)
{
    json_t *b = j("{\"memberIds\":[\"0190A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B\",\"nope\"]}");
    const char **ids;
    size_t n;
    struct verr ve = {0};
    cr_assert_eq(id_list_parse(b, "memberIds", a, &ids, &n, &ve), ERR_OK);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(ids[0], "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
    cr_assert_str_eq(ids[1], "nope");
    json_decref(b);
    b = j("{\"memberIds\":{}}");
    cr_assert_eq(id_list_parse(b, "memberIds", a, &ids, &n, &ve), ERR_FIELD_INVALID);
    cr_assert_str_eq(ve.field, "memberIds");
    json_decref(b);
    b = j("{}");
    cr_assert_eq(id_list_parse(b, "memberIds", a, &ids, &n, &ve), ERR_FIELD_MISSING);
    json_decref(b);
}
