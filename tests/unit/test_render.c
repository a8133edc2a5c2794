/* The direct organization renderer writes exactly what jansson would. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/domain/render.h"

static void same(const struct organization *o)
{
    json_t *j = organization_render(o);
    char *want = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    size_t len;
    char *got = organization_render_text(o, &len);
    cr_assert_str_eq(got, want);
    cr_assert_eq(len, strlen(want));
    free(got);
    free(want);
    json_decref(j);
}

Test(render, organization_text_matches_jansson)
{
    const char *names[] = {
        "Plain Ltd", "Quote \" and back\\slash", "tab\there\nnew\rline\b\f",
        "ctrl \x01\x1f end", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "slash / and del \x7f", "",
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
