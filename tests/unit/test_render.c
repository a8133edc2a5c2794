/* The direct renderers (organizations, customer list items) write exactly
 * what jansson would. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/buf.h"
#include "../../src/domain/render.h"

static void same(const struct organization *o)
{
    json_t *j = organization_render(o);
    char *want = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    size_t len;
    char *got = organization_render_text(o, (size_t)1 << 24, &len);
    cr_assert_str_eq(got, want);
    cr_assert_eq(len, strlen(want));
    free(got);
    /* The floor never passes the text; one byte short of it is refused
     * whole, and exactly its length is enough. */
    int64_t name_bytes = (int64_t)strlen(o->owner.name ? o->owner.name : "");
    for (size_t i = 0; i < o->n_members; i++)
        name_bytes += (int64_t)strlen(o->members[i].name ? o->members[i].name : "");
    cr_assert_leq(organization_text_floor(1, 1 + (int64_t)o->n_members, name_bytes), (int64_t)len);
    size_t short_len = 12345;
    cr_assert_null(organization_render_text(o, len - 1, &short_len));
    cr_assert_eq(short_len, 12345, "a refused text leaves the length alone");
    got = organization_render_text(o, len, &short_len);
    cr_assert_not_null(got);
    cr_assert_eq(short_len, len);
    free(got);
    free(want);
    json_decref(j);
}

Test(render, organization_text_matches_jansson)
{
    const char *names[] = {
        "Plain Ltd",
        "Quote \" and back\\slash",
        "tab\there\nnew\rline\b\f",
        "ctrl \x01\x1f end",
        "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
        "slash / and del \x7f",
        "",
    };
    size_t n = sizeof(names) / sizeof(*names);
    struct member ms[8];
    for (size_t i = 0; i < n; i++) {
        snprintf(ms[i].id, sizeof(ms[i].id), "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a%02zu", i);
        ms[i].name = names[i];
    }
    struct organization o = {.members = ms, .n_members = n};
    strcpy(o.id, "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4aff");
    strcpy(o.owner.id, "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4aee");
    o.owner.name = "Owner \"Inc\"";
    same(&o);
    o.n_members = 0;
    same(&o);
}

/* Every ASCII byte at every place of strings of several lengths: the
 * escape scan's fast path and its slow one, at the start, middle and end. */
Test(render, every_byte_at_every_place_of_a_string_matches_jansson)
{
    static const size_t lens[] = {1, 2, 7, 8, 9, 15, 16, 17, 24, 25};
    struct member m;
    snprintf(m.id, sizeof(m.id), "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a00");
    struct organization o = {.members = &m, .n_members = 1};
    strcpy(o.id, "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4aff");
    strcpy(o.owner.id, "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4aee");
    o.owner.name = "caf\xc3\xa9 owner, long enough for words";
    char name[32];
    for (size_t l = 0; l < sizeof(lens) / sizeof(*lens); l++)
        for (size_t at = 0; at < lens[l]; at++)
            for (int c = 1; c < 0x80; c++) {
                memset(name, 'a', lens[l]);
                name[lens[l]] = '\0';
                name[at] = (char)c;
                m.name = name;
                same(&o);
            }
}

/* customer_render_text against customer_render. */
static void same_customer(const struct customer *c)
{
    struct arena *a = arena_create();
    json_t *j = customer_render(c, a);
    char *want = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    size_t len;
    char *got = customer_render_text(c, a, (size_t)1 << 24, &len);
    cr_assert_str_eq(got, want);
    cr_assert_eq(len, strlen(want));
    free(got);
    cr_assert_null(customer_render_text(c, a, len - 1, &len));
    free(want);
    json_decref(j);
    arena_destroy(a);
}

static void same_list_item(const struct customer *c)
{
    struct arena *a = arena_create();
    json_t *j = customer_render_list_item(c, a);
    char *want = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    struct buf b;
    buf_init(&b, (size_t)1 << 24);
    customer_render_list_text(&b, c, a);
    cr_assert(!b.failed);
    char *got = buf_steal(&b);
    cr_assert_str_eq(got, want);
    free(got);
    free(want);
    json_decref(j);
    arena_destroy(a);
}

Test(render, customer_and_list_item_text_match_jansson)
{
    struct member ms[2] = {{.name = "M \"one\""}, {.name = "caf\xc3\xa9\n"}};
    strcpy(ms[0].id, "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a01");
    strcpy(ms[1].id, "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a02");
    struct organization orgs[2] = {{.members = ms, .n_members = 2}, {.members = NULL}};
    strcpy(orgs[0].id, "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4aff");
    strcpy(orgs[0].owner.id, "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4aee");
    orgs[0].owner.name = "Owner\\Inc";
    strcpy(orgs[1].id, "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4afe");
    strcpy(orgs[1].owner.id, "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4aed");
    orgs[1].owner.name = "";
    struct integration_id ints[2] = {{"Stripe", "cus_\"1"}, {"Xero", "x\t2"}};
    struct property props[2] = {{"region", "emea"}, {"seg\"ment", "sm\x01b"}};
    struct customer c = {
        .created_at = 1721000000000,
        .legal_name = "Acme \"Widgets\" Ltd",
        .address = {.line1 = "1 High St", .town = "Leeds", .postcode = "LS1", .country = "GB"},
        .tax_status = TAX_TAXED,
        .orgs = orgs,
        .n_orgs = 2,
        .integrations = ints,
        .n_integrations = 2,
        .props = props,
        .n_props = 2,
        .url = "https://www.acme.example/path?q=1",
        .label = "Enterprise",
        .archived_at = 1722000000000,
    };
    struct contact cts[2] = {
        {.name = "Ann \"A\"",
         .email = "ann@x.io",
         .pref = BILLING_PRIMARY,
         .created_at = 1721000000000,
         .updated_at = 1721000100000},
        {.name = "Bob\n",
         .email = "bob@x.io",
         .pref = BILLING_STANDARD,
         .created_at = 1721000000000,
         .updated_at = 1721000200000,
         .archived_at = 1721000300000},
    };
    strcpy(cts[0].id, "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4ac0");
    strcpy(cts[1].id, "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4ac1");
    c.contacts = cts;
    c.n_contacts = 2;
    c.status = CUSTOMER_ACTIVE;
    strcpy(c.id, "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a00");
    same_list_item(&c);
    same_customer(&c);
    /* The optional parts absent, the lists empty. */
    c.url = NULL;
    c.label = NULL;
    c.archived_at = 0;
    c.n_orgs = 0;
    c.n_integrations = 0;
    c.n_props = 0;
    c.address.line2 = "Floor 2";
    c.address.state = "Yorks";
    same_list_item(&c);
    c.n_contacts = 0;
    same_customer(&c);
}
