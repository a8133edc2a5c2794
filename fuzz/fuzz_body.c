/*
 * libFuzzer harness: request-body validation. The input is parsed the way
 * the dispatcher parses a body (json_loadb with JSON_REJECT_DUPLICATES |
 * JSON_DECODE_ANY, objects only), then handed to every body parser a
 * handler uses: customers, contacts, organization member lists and the
 * alias fields. A failure must leave a message (and field) that can become
 * a JSON string: both reach the client in the error body.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/domain/parse.h"

static void check_verr(enum err rc, const struct verr *ve)
{
    if (rc == ERR_OK)
        return;
    json_t *m = json_string(ve->msg);
    if (!m || ve->msg[0] == '\0')
        abort(); /* the error body would lose its message */
    json_decref(m);
    if (ve->field) {
        json_t *f = json_string(ve->field);
        if (!f)
            abort();
        json_decref(f);
    }
}

static void check_text(const char *s, size_t max)
{
    if (s && strlen(s) > max)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t je;
    json_t *body =
        json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (!body)
        return 0;
    if (!json_is_object(body)) { /* the dispatcher answers 400 before any parser */
        json_decref(body);
        return 0;
    }
    struct arena *a = arena_create();
    struct verr ve;
    enum err rc;

    struct customer_input ci;
    memset(&ve, 0, sizeof(ve));
    rc = customer_input_parse(body, a, &ci, &ve);
    check_verr(rc, &ve);
    if (rc == ERR_OK) {
        size_t primaries = 0;
        for (size_t i = 0; i < ci.c.n_contacts; i++)
            primaries += ci.c.contacts[i].pref == BILLING_PRIMARY;
        if (primaries != 1 || !ci.c.legal_name || !ci.c.address.country)
            abort();
        check_text(ci.c.legal_name, TEXT_MAX);
        if (ci.parent_id && !id_valid(ci.parent_id))
            abort();
    }

    struct contact ct;
    memset(&ve, 0, sizeof(ve));
    rc = contact_input_parse(body, a, &ct, &ve);
    check_verr(rc, &ve);
    if (rc == ERR_OK && (!ct.name || !ct.email || !email_valid(ct.email)))
        abort();

    static const char *const id_fields[] = {"memberIds", "customerIds"};
    for (size_t f = 0; f < sizeof(id_fields) / sizeof(*id_fields); f++) {
        const char **ids = NULL;
        size_t n = 0;
        memset(&ve, 0, sizeof(ve));
        rc = id_list_parse(body, id_fields[f], a, &ids, &n, &ve);
        check_verr(rc, &ve);
        for (size_t i = 0; rc == ERR_OK && i < n; i++)
            if (!ids[i])
                abort();
    }

    static const struct {
        const char *name;
        bool required;
    } strings[] = {{"customerId", true}, {"value", true}, {"ownerId", true}, {"label", false}};
    for (size_t f = 0; f < sizeof(strings) / sizeof(*strings); f++) {
        const char *s = NULL;
        memset(&ve, 0, sizeof(ve));
        rc = string_field_parse(body, strings[f].name, strings[f].required, a, &s, &ve);
        check_verr(rc, &ve);
        if (rc == ERR_OK) {
            check_text(s, TEXT_MAX);
            if (strings[f].required && !s)
                abort();
        }
    }

    arena_destroy(a);
    json_decref(body);
    return 0;
}
