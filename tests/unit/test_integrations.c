/* A customer's integrations column, decoded: the same with or without the
 * parser, for what kinship writes and for anything else found there. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/mem.h"
#include "../../src/domain/integrations.h"

static struct arena *A;

static void setup(void)
{
    A = arena_create();
}

static void teardown(void)
{
    arena_destroy(A);
}

TestSuite(integrations, .init = setup, .fini = teardown);

/* What jansson makes of `text`: "service=id;..." ("-" for a member that
 * is missing or not a string), or "" when it is no array. */
static char *by_jansson(const char *text)
{
    char *out = calloc(1, 65536);
    json_t *arr = json_loads(text, 0, NULL);
    size_t off = 0;
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *e = json_array_get(arr, i);
        const char *s = json_string_value(json_object_get(e, "service"));
        const char *id = json_string_value(json_object_get(e, "id"));
        off += (size_t)snprintf(out + off, 65536 - off, "%s=%s;", s ? s : "-", id ? id : "-");
    }
    json_decref(arr);
    return out;
}

static char *decoded(const char *text)
{
    struct customer c;
    memset(&c, 0xa5, sizeof(c));
    integrations_decode(A, text, &c);
    char *out = calloc(1, 65536);
    size_t off = 0;
    for (size_t i = 0; i < c.n_integrations; i++) {
        const char *s = c.integrations[i].service, *id = c.integrations[i].id;
        off += (size_t)snprintf(out + off, 65536 - off, "%s=%s;", s ? s : "-", id ? id : "-");
    }
    if (!c.n_integrations)
        cr_assert_null(c.integrations, "%s", text);
    return out;
}

static void same_as_jansson(const char *text)
{
    char *want = by_jansson(text), *got = decoded(text);
    cr_assert_str_eq(got, want, "column %s", text);
    free(want);
    free(got);
}

Test(integrations, what_kinship_writes_reads_back_whole)
{
    /* Every printable byte, the escaped ones ('"', '\\') among them, and
     * control and non-ASCII ones, in services and ids of 0 to 17 entries
     * (the fast reading keeps at most 16). */
    static const char *const pieces[] = {"Stripe",
                                         "cus_123",
                                         "",
                                         "a\"b",
                                         "back\\slash",
                                         "/",
                                         "tab\there",
                                         "\xc3\xa9t\xc3\xa9",
                                         "{\"x\":1}",
                                         "]",
                                         "}",
                                         ",\"id\":\"",
                                         "~ !#$%&'()*+-.:;<=>?@[]^_`{|}"};
    size_t np = sizeof(pieces) / sizeof(*pieces);
    for (size_t n = 0; n <= 17; n++) {
        for (size_t shift = 0; shift < np; shift++) {
            struct customer c = {0};
            struct integration_id ids[17];
            for (size_t i = 0; i < n; i++) {
                ids[i].service = pieces[(i + shift) % np];
                ids[i].id = pieces[(i * 7 + shift + 1) % np];
            }
            c.integrations = ids;
            c.n_integrations = n;
            char *text = integrations_encode(&c);
            struct customer back;
            integrations_decode(A, text, &back);
            cr_assert_eq(back.n_integrations, n, "%s", text);
            for (size_t i = 0; i < n; i++) {
                cr_assert_str_eq(back.integrations[i].service, ids[i].service, "%s", text);
                cr_assert_str_eq(back.integrations[i].id, ids[i].id, "%s", text);
            }
            same_as_jansson(text);
            free(text);
        }
    }
}

Test(integrations, other_text_reads_as_jansson_reads_it)
{
    static const char *const texts[] = {
        "[]",
        "[ ]",
        "[{\"service\":\"S\",\"id\":\"1\"}]",
        "[{\"id\":\"1\",\"service\":\"S\"}]",
        "[{\"service\":\"S\",\"id\":\"1\",\"extra\":\"x\"}]",
        "[{\"service\":\"S\"}]",
        "[{\"service\":\"S\",\"id\":2}]",
        "[{\"service\":\"S\", \"id\":\"1\"}]",
        " [{\"service\":\"S\",\"id\":\"1\"}]",
        "[{\"service\":\"S\",\"id\":\"1\"}] ",
        "[{\"service\":\"S\",\"id\":\"1\"},]",
        "[{\"service\":\"S\",\"id\":\"1\"}",
        "[{\"service\":\"S\",\"id\":\"1\"}]]",
        "[{\"service\":\"S\",\"id\":\"1\"}{\"service\":\"T\",\"id\":\"2\"}]",
        "[{\"service\":\"S\",\"id\":\"1\"},{\"service\":\"T\",\"id\":\"2\"}]",
        "[{\"service\":\"S\",\"id\":\"1}]",
        "[{\"service\":\"\\u00e9\",\"id\":\"1\"}]",
        "[{\"service\":\"S\",\"service\":\"T\",\"id\":\"1\"}]",
        "{\"service\":\"S\",\"id\":\"1\"}",
        "[{\"Service\":\"S\",\"id\":\"1\"}]",
        "not json",
        "",
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(*texts); i++)
        same_as_jansson(texts[i]);
}
