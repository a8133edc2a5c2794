/* Notification policies: the 8 operations of /notifications/policies, with
 * their statuses, validation and tenancy, against the real server. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

HTTP_SUITE(notifications, 120);

#define GHOST "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
#define P "/notifications/policies"

/* The NotificationType enum as api/openapi.json ($KINSHIP_SPEC) has it:
 * Sequence's (checked against Sequence's file by make test) and kinship's
 * own organization types. */
static json_t *notification_types(void)
{
    const char *path = getenv("KINSHIP_SPEC");
    cr_assert(path && *path, "KINSHIP_SPEC must name api/openapi.json");
    json_error_t e;
    json_t *doc = json_load_file(path, 0, &e);
    cr_assert(doc, "%s: %s", path, e.text);
    json_t *t = json_object_get(
        json_object_get(json_object_get(json_object_get(doc, "components"), "schemas"),
                        "NotificationType"),
        "enum");
    /* Sequence's 20 and kinship's 5 organization types. */
    cr_assert(json_array_size(t) == 25, "NotificationType has 25 values");
    json_incref(t);
    json_decref(doc);
    return t;
}

/* The answer is the error `status` of `type` naming `field` (NULL: any). */
static void expect_error(struct resp *r, long status, const char *type, const char *field,
                         const char *what)
{
    bool ok = r->status == status && strcmp(err_type_of(r), type) == 0 &&
              (!field || strcmp(err_field_of(r), field) == 0);
    cr_assert(ok, "%s: want %ld %s on %s, got %ld %s", what, status, type, field ? field : "-",
              r->status, r->body);
}

/* Creates a policy from `body`; returns its id (malloc'd). */
static char *create_id(const char *key, const char *body)
{
    struct resp *r = req_as(&srv, key ? key : srv.key, "POST", P, body, NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    char *id = strdup(jstr(r->json, "id"));
    resp_free(r);
    return id;
}

static char *email_policy(const char *types)
{
    char body[1024];
    snprintf(
        body, sizeof(body),
        "{\"name\":\"Finance\",\"channel\":\"EMAIL\",\"recipients\":[\"fin@example.com\"]%s%s}",
        types ? ",\"notificationTypes\":" : "", types ? types : "");
    return create_id(NULL, body);
}

/* The strings of array member `key`, joined by ','. */
static char *joined(const json_t *o, const char *key)
{
    static char out[4096];
    out[0] = '\0';
    const json_t *arr = json_object_get(o, key);
    for (size_t i = 0; i < json_array_size(arr); i++) {
        strcat(out, i ? "," : "");
        strcat(out, json_string_value(json_array_get(arr, i)));
    }
    return out;
}

Test(notifications, a_webhook_policy_gets_a_secret_shown_once)
{
    struct resp *r = req(&srv, "POST", P,
                         "{\"name\":\"Dev hooks\",\"channel\":\"WEBHOOK\","
                         "\"recipients\":[\"https://api.example.com/hooks\"],"
                         "\"notificationTypes\":[\"CUSTOMER_CREATED\",\"CUSTOMER_CREATED\"]}",
                         NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    cr_assert_eq(strlen(jstr(r->json, "id")), 36, "%s", r->body);
    cr_assert_eq(strlen(jstr(r->json, "sequenceAccountId")), 36, "%s", r->body);
    cr_assert_eq(strlen(jstr(r->json, "createdAt")), 20, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "name"), "Dev hooks");
    cr_assert_str_eq(jstr(r->json, "channel"), "WEBHOOK");
    cr_assert_str_eq(joined(r->json, "notificationTypes"), "CUSTOMER_CREATED");
    cr_assert_str_eq(joined(r->json, "recipients"), "https://api.example.com/hooks");
    const char *secret = jstr(r->json, "webhookSecret");
    cr_assert(secret && strncmp(secret, "whsec_", 6) == 0 && strlen(secret) == 49, "%s", r->body);
    char *id = strdup(jstr(r->json, "id"));
    char *first = strdup(secret);
    resp_free(r);

    r = reqf(&srv, "GET", NULL, P "/%s", id);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_null(json_object_get(r->json, "webhookSecret"), "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "name"), "Dev hooks");
    resp_free(r);

    /* Each generated secret is new; a given one is kept. */
    r = req(&srv, "POST", P,
            "{\"name\":\"h\",\"channel\":\"WEBHOOK\",\"recipients\":[\"http://h.example.com\"]}",
            NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    cr_assert_str_neq(jstr(r->json, "webhookSecret"), first);
    resp_free(r);
    r = req(&srv, "POST", P,
            "{\"name\":\"h\",\"channel\":\"WEBHOOK\",\"recipients\":[\"http://h.example.com\"],"
            "\"webhookSecret\":\"whsec_UserSubmittedSecret1234567890abc\"}",
            NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "webhookSecret"), "whsec_UserSubmittedSecret1234567890abc");
    resp_free(r);
    free(id);
    free(first);
}

Test(notifications, an_email_policy_without_types_matches_every_type)
{
    struct resp *r = req(&srv, "POST", P,
                         "{\"name\":\"Finance\",\"channel\":\"EMAIL\","
                         "\"recipients\":[\"fin@example.com\",\"ops@example.com\"]}",
                         NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    cr_assert_null(json_object_get(r->json, "notificationTypes"), "%s", r->body);
    cr_assert_null(json_object_get(r->json, "webhookSecret"), "%s", r->body);
    cr_assert_str_eq(joined(r->json, "recipients"), "fin@example.com,ops@example.com");
    resp_free(r);
}

Test(notifications, every_notification_type_is_accepted)
{
    json_t *all = notification_types();
    char *types = json_dumps(all, JSON_COMPACT);
    char *id = email_policy(types);
    struct resp *r = reqf(&srv, "GET", NULL, P "/%s", id);
    cr_assert(json_equal(json_object_get(r->json, "notificationTypes"), all), "%s", r->body);
    resp_free(r);
    /* And each is a filter of the list. */
    for (size_t i = 0; i < json_array_size(all); i++) {
        const char *t = json_string_value(json_array_get(all, i));
        r = reqf(&srv, "GET", NULL, P "?notificationType=%s", t);
        cr_assert_eq(r->status, 200, "%s", r->body);
        cr_assert_eq(page_total(r), 1, "%s: %s", t, r->body);
        resp_free(r);
    }
    free(types);
    free(id);
    json_decref(all);
}

struct bad_case {
    const char *body, *type, *field;
};

Test(notifications, bad_bodies_are_400_and_create_nothing)
{
    static const struct bad_case cases[] = {
        {"{\"channel\":\"EMAIL\",\"recipients\":[\"a@b.com\"]}", "MissingField", "name"},
        {"{\"name\":\"\",\"channel\":\"EMAIL\",\"recipients\":[\"a@b.com\"]}", "InvalidField",
         "name"},
        {"{\"name\":\"n\",\"recipients\":[\"a@b.com\"]}", "MissingField", "channel"},
        {"{\"name\":\"n\",\"channel\":\"SMS\",\"recipients\":[\"a@b.com\"]}", "InvalidField",
         "channel"},
        {"{\"name\":\"n\",\"channel\":\"EMAIL\"}", "MissingField", "recipients"},
        {"{\"name\":\"n\",\"channel\":\"EMAIL\",\"recipients\":[]}", "InvalidField", "recipients"},
        {"{\"name\":\"n\",\"channel\":\"EMAIL\",\"recipients\":\"a@b.com\"}", "InvalidField",
         "recipients"},
        {"{\"name\":\"n\",\"channel\":\"EMAIL\",\"recipients\":[7]}", "InvalidField", "recipients"},
        {"{\"name\":\"n\",\"channel\":\"EMAIL\",\"recipients\":[\"not-an-address\"]}",
         "InvalidField", "recipients"},
        {"{\"name\":\"n\",\"channel\":\"EMAIL\",\"recipients\":[\"https://x.example.com\"]}",
         "InvalidField", "recipients"},
        {"{\"name\":\"n\",\"channel\":\"WEBHOOK\",\"recipients\":[\"a@b.com\"]}", "InvalidField",
         "recipients"},
        {"{\"name\":\"n\",\"channel\":\"WEBHOOK\",\"recipients\":[\"ftp://x.example.com\"]}",
         "InvalidField", "recipients"},
        {"{\"name\":\"n\",\"channel\":\"WEBHOOK\",\"recipients\":[\"https://u:p@x.example.com\"]}",
         "InvalidField", "recipients"},
        {"{\"name\":\"n\",\"channel\":\"WEBHOOK\",\"recipients\":[\"https://x.example.com/#f\"]}",
         "InvalidField", "recipients"},
        {"{\"name\":\"n\",\"channel\":\"WEBHOOK\",\"recipients\":[\"https://x.example.com:0/\"]}",
         "InvalidField", "recipients"},
        {"{\"name\":\"n\",\"channel\":\"WEBHOOK\",\"recipients\":[\"https:///path\"]}",
         "InvalidField", "recipients"},
        {"{\"name\":\"n\",\"channel\":\"WEBHOOK\",\"recipients\":[\"http://169.254.169.254/x\"]}",
         "InvalidField", "recipients"},
        {"{\"name\":\"n\",\"channel\":\"WEBHOOK\","
         "\"recipients\":[\"http://metadata.google.internal/x\"]}",
         "InvalidField", "recipients"},
        {"{\"name\":\"n\",\"channel\":\"WEBHOOK\",\"recipients\":[\"http://[fe80::1]/x\"]}",
         "InvalidField", "recipients"},
        {"{\"name\":\"n\",\"channel\":\"WEBHOOK\",\"recipients\":[\"https://x.example.com/a b\"]}",
         "InvalidField", "recipients"},
        {"{\"name\":\"n\",\"channel\":\"EMAIL\",\"recipients\":[\"a@b.com\"],"
         "\"notificationTypes\":[\"CUSTOMER_DELETED\"]}",
         "InvalidField", "notificationTypes"},
        {"{\"name\":\"n\",\"channel\":\"EMAIL\",\"recipients\":[\"a@b.com\"],"
         "\"notificationTypes\":[]}",
         "InvalidField", "notificationTypes"},
        {"{\"name\":\"n\",\"channel\":\"EMAIL\",\"recipients\":[\"a@b.com\"],"
         "\"webhookSecret\":\"whsec_abcdefghijklmnop\"}",
         "InvalidField", "webhookSecret"},
        {"{\"name\":\"n\",\"channel\":\"WEBHOOK\",\"recipients\":[\"https://x.example.com\"],"
         "\"webhookSecret\":\"short\"}",
         "InvalidField", "webhookSecret"},
        {"{\"name\":\"n\",\"channel\":\"WEBHOOK\",\"recipients\":[\"https://x.example.com\"],"
         "\"webhookSecret\":\"has spaces in it, sixteen+\"}",
         "InvalidField", "webhookSecret"},
        {"[]", "InvalidRequestBody", NULL},
        {"{", "InvalidJson", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        struct resp *r = req(&srv, "POST", P, cases[i].body, NULL);
        expect_error(r, 400, cases[i].type, cases[i].field, cases[i].body);
        resp_free(r);
    }
    struct resp *r = req(&srv, "GET", P, NULL, NULL);
    cr_assert_eq(page_total(r), 0, "%s", r->body);
    resp_free(r);
}

Test(notifications, unknown_ids_are_404)
{
    static const char *const paths[][2] = {
        {"GET", P "/" GHOST},
        {"GET", P "/not-an-id"},
        {"DELETE", P "/" GHOST},
        {"DELETE", P "/" GHOST "/notification-types/CUSTOMER_CREATED"},
        {"DELETE", P "/" GHOST "/recipients/a@b.com"},
    };
    for (size_t i = 0; i < sizeof(paths) / sizeof(*paths); i++) {
        struct resp *r = req(&srv, paths[i][0], paths[i][1], NULL, NULL);
        expect_error(r, 404, "NotFound", NULL, paths[i][1]);
        resp_free(r);
    }
    struct resp *r = req(&srv, "POST", P "/" GHOST "/notification-types",
                         "{\"notificationTypes\":[\"CUSTOMER_CREATED\"]}", NULL);
    expect_error(r, 404, "NotFound", NULL, "types of a ghost");
    resp_free(r);
    r = req(&srv, "POST", P "/" GHOST "/recipients", "{\"recipients\":[\"a@b.com\"]}", NULL);
    expect_error(r, 404, "NotFound", NULL, "recipients of a ghost");
    resp_free(r);
}

Test(notifications, delete_answers_the_policy_and_it_is_gone)
{
    char *id = email_policy(NULL);
    struct resp *r = reqf(&srv, "DELETE", NULL, P "/%s", id);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "id"), id);
    cr_assert_str_eq(jstr(r->json, "name"), "Finance");
    resp_free(r);
    r = reqf(&srv, "GET", NULL, P "/%s", id);
    expect_error(r, 404, "NotFound", NULL, "after delete");
    resp_free(r);
    r = reqf(&srv, "DELETE", NULL, P "/%s", id);
    expect_error(r, 404, "NotFound", NULL, "second delete");
    resp_free(r);
    free(id);
}

Test(notifications, types_are_added_and_removed)
{
    char *id = email_policy("[\"CUSTOMER_CREATED\"]");
    struct resp *r = reqf(&srv, "POST",
                          "{\"notificationTypes\":[\"QUOTE_SIGNED\",\"CUSTOMER_CREATED\","
                          "\"QUOTE_SIGNED\"]}",
                          P "/%s/notification-types", id);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(joined(r->json, "notificationTypes"), "CUSTOMER_CREATED,QUOTE_SIGNED");
    resp_free(r);

    r = reqf(&srv, "POST", "{\"notificationTypes\":[\"NOPE\"]}", P "/%s/notification-types", id);
    expect_error(r, 400, "InvalidField", "notificationTypes", "bad type");
    resp_free(r);
    r = reqf(&srv, "POST", "{\"notificationTypes\":[]}", P "/%s/notification-types", id);
    expect_error(r, 400, "InvalidField", "notificationTypes", "no type");
    resp_free(r);
    r = reqf(&srv, "POST", "{}", P "/%s/notification-types", id);
    expect_error(r, 400, "MissingField", "notificationTypes", "no member");
    resp_free(r);

    r = reqf(&srv, "DELETE", NULL, P "/%s/notification-types/CUSTOMER_CREATED", id);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(joined(r->json, "notificationTypes"), "QUOTE_SIGNED");
    resp_free(r);
    r = reqf(&srv, "DELETE", NULL, P "/%s/notification-types/CUSTOMER_CREATED", id);
    expect_error(r, 404, "NotFound", "type", "not listed");
    resp_free(r);
    r = reqf(&srv, "DELETE", NULL, P "/%s/notification-types/NOT_A_TYPE", id);
    expect_error(r, 404, "NotFound", "type", "not a type");
    resp_free(r);
    /* The last one may go: the policy then lists none and matches none. */
    r = reqf(&srv, "DELETE", NULL, P "/%s/notification-types/QUOTE_SIGNED", id);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_eq(json_array_size(json_object_get(r->json, "notificationTypes")), 0, "%s", r->body);
    resp_free(r);
    r = req(&srv, "GET", P "?notificationType=QUOTE_SIGNED", NULL, NULL);
    cr_assert_eq(page_total(r), 0, "%s", r->body);
    resp_free(r);
    free(id);
}

Test(notifications, a_policy_of_every_type_stays_so)
{
    char *id = email_policy(NULL);
    struct resp *r = reqf(&srv, "POST", "{\"notificationTypes\":[\"QUOTE_SIGNED\"]}",
                          P "/%s/notification-types", id);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_null(json_object_get(r->json, "notificationTypes"), "%s", r->body);
    resp_free(r);
    r = reqf(&srv, "DELETE", NULL, P "/%s/notification-types/QUOTE_SIGNED", id);
    expect_error(r, 409, "Conflict", "type", "remove from every type");
    resp_free(r);
    free(id);
}

Test(notifications, recipients_are_added_and_removed)
{
    char *id = email_policy(NULL);
    struct resp *r =
        reqf(&srv, "POST", "{\"recipients\":[\"ops@example.com\",\"fin@example.com\"]}",
             P "/%s/recipients", id);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(joined(r->json, "recipients"), "fin@example.com,ops@example.com");
    resp_free(r);
    r = reqf(&srv, "POST", "{\"recipients\":[\"https://x.example.com\"]}", P "/%s/recipients", id);
    expect_error(r, 400, "InvalidField", "recipients", "a URL for an EMAIL policy");
    resp_free(r);

    r = reqf(&srv, "DELETE", NULL, P "/%s/recipients/nobody@example.com", id);
    expect_error(r, 404, "NotFound", "recipient", "not a recipient");
    resp_free(r);
    r = reqf(&srv, "DELETE", NULL, P "/%s/recipients/fin@example.com", id);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(joined(r->json, "recipients"), "ops@example.com");
    resp_free(r);
    r = reqf(&srv, "DELETE", NULL, P "/%s/recipients/ops@example.com", id);
    expect_error(r, 409, "Conflict", "recipient", "the last recipient");
    resp_free(r);
    free(id);
}

Test(notifications, a_webhook_url_is_removed_by_its_base64url_form)
{
    char *id = create_id(NULL, "{\"name\":\"h\",\"channel\":\"WEBHOOK\","
                               "\"recipients\":[\"https://a.example.com/x?y=1\","
                               "\"http://localhost:9/h\"]}");
    char enc[256];
    b64_encode("https://a.example.com/x?y=1", enc);
    for (char *p = enc; *p; p++)
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    enc[strcspn(enc, "=")] = '\0';
    struct resp *r = reqf(&srv, "DELETE", NULL, P "/%s/recipients/base64url:%s", id, enc);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(joined(r->json, "recipients"), "http://localhost:9/h");
    resp_free(r);
    r = reqf(&srv, "DELETE", NULL, P "/%s/recipients/base64url:%%21%%21", id);
    expect_error(r, 404, "NotFound", "recipient", "bad base64url");
    resp_free(r);
    free(id);
}

Test(notifications, at_most_100_recipients)
{
    char *id = email_policy(NULL);
    char body[8192] = "{\"recipients\":[";
    for (int i = 0; i < 100; i++)
        snprintf(body + strlen(body), sizeof(body) - strlen(body), "%s\"r%d@example.com\"",
                 i ? "," : "", i);
    strcat(body, "]}");
    struct resp *r = reqf(&srv, "POST", body, P "/%s/recipients", id);
    expect_error(r, 400, "LimitExceeded", "recipients", "101 recipients");
    resp_free(r);
    r = reqf(&srv, "GET", NULL, P "/%s", id);
    cr_assert_str_eq(joined(r->json, "recipients"), "fin@example.com", "unchanged: %s", r->body);
    resp_free(r);
    free(id);
}

Test(notifications, the_list_pages_and_filters)
{
    char *a = email_policy("[\"CUSTOMER_CREATED\"]");
    char *b = email_policy("[\"CUSTOMER_UPDATED\"]");
    char *c = email_policy(NULL);
    struct resp *r = req(&srv, "GET", P "?limit=2", NULL, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_eq(page_total(r), 3, "%s", r->body);
    json_t *items = json_object_get(r->json, "items");
    cr_assert_str_eq(jstr(json_array_get(items, 0), "id"), c, "newest first: %s", r->body);
    cr_assert_str_eq(jstr(json_array_get(items, 1), "id"), b, "%s", r->body);
    char *after = strdup(jstr(json_object_get(r->json, "pagination"), "after"));
    resp_free(r);
    r = reqf(&srv, "GET", NULL, P "?limit=2&after=%s", after);
    cr_assert_eq(r->status, 200, "%s", r->body);
    items = json_object_get(r->json, "items");
    cr_assert_eq(json_array_size(items), 1, "%s", r->body);
    cr_assert_str_eq(jstr(json_array_get(items, 0), "id"), a, "%s", r->body);
    cr_assert_null(jstr(json_object_get(r->json, "pagination"), "after"), "%s", r->body);
    cr_assert(jstr(json_object_get(r->json, "pagination"), "before"), "%s", r->body);
    resp_free(r);

    /* A type keeps the policies that list it and those that list none. */
    r = req(&srv, "GET", P "?notificationType=CUSTOMER_UPDATED", NULL, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    char want[128];
    snprintf(want, sizeof(want), "%s,%s", c, b);
    char *got = ids_of(json_object_get(r->json, "items"));
    cr_assert_str_eq(got, want, "%s", r->body);
    free(got);
    resp_free(r);

    static const char *const bad[] = {P "?notificationType=NOPE", P "?limit=0", P "?after=junk"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        r = req(&srv, "GET", bad[i], NULL, NULL);
        cr_assert_eq(r->status, 400, "%s: %s", bad[i], r->body);
        resp_free(r);
    }
    free(a);
    free(b);
    free(c);
    free(after);
}

Test(notifications, another_account_sees_nothing)
{
    char *id = email_policy("[\"CUSTOMER_CREATED\"]");
    char other[256];
    server_new_key(&srv, "notif-b", other, sizeof(other));
    struct resp *r = req_as(&srv, other, "GET", P, NULL, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_eq(page_total(r), 0, "%s", r->body);
    resp_free(r);
    char path[256];
    snprintf(path, sizeof(path), P "/%s", id);
    r = req_as(&srv, other, "GET", path, NULL, NULL);
    expect_error(r, 404, "NotFound", NULL, "B reads A's policy");
    resp_free(r);
    r = req_as(&srv, other, "DELETE", path, NULL, NULL);
    expect_error(r, 404, "NotFound", NULL, "B deletes A's policy");
    resp_free(r);
    snprintf(path, sizeof(path), P "/%s/recipients", id);
    r = req_as(&srv, other, "POST", path, "{\"recipients\":[\"b@b.com\"]}", NULL);
    expect_error(r, 404, "NotFound", NULL, "B adds to A's policy");
    resp_free(r);
    r = reqf(&srv, "GET", NULL, P "/%s", id);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(joined(r->json, "recipients"), "fin@example.com");
    resp_free(r);
    free(id);
}
