/*
 * The activity log: every successful write through the API records one
 * entry (the table in docs/notifications.md), in the write's transaction;
 * a refused or rolled-back write records none; and the two reads,
 * GET /activity-logs and GET /activity-logs/{id}, with their filters,
 * order, pages and tenancy.
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

HTTP_SUITE(activity, 180);

#define GHOST "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

static long long entries(const char *key)
{
    struct resp *r = req_as(&srv, key ? key : srv.key, "GET", "/activity-logs?limit=1", NULL, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    long long n = page_total(r);
    resp_free(r);
    return n;
}

/* The client id of the server's key. */
static const char *client_id(void)
{
    static char id[64];
    snprintf(id, sizeof(id), "%.*s", (int)strcspn(srv.key, ":"), srv.key);
    return id;
}

static long long seen; /* entries before the write being checked */

/*
 * Asserts that the write answered by `w` (status `status`) recorded exactly
 * one entry, the newest, of `verb` on the object `object` of `type` that
 * belongs to `entity` (NULL: none), by this client, with the write's
 * request id as its traceId; then frees w.
 */
static void expect_entry(struct resp *w, long status, const char *type, const char *verb,
                         const char *object, const char *entity)
{
    cr_assert_eq(w->status, status, "%s %s: %s", type, verb, w->body);
    char trace[128];
    snprintf(trace, sizeof(trace), "%s", resp_header(w, "X-Request-Id"));
    resp_free(w);
    struct resp *r = req(&srv, "GET", "/activity-logs?limit=1", NULL, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_eq(page_total(r), seen + 1, "%s %s records one entry: %s", type, verb, r->body);
    seen++;
    json_t *log = json_array_get(json_object_get(r->json, "items"), 0);
    cr_assert_str_eq(jstr(log, "origin"), "API");
    cr_assert_str_eq(jstr(log, "activityType"), type, "%s", r->body);
    cr_assert_str_eq(jstr(log, "traceId"), trace, "%s", r->body);
    json_t *item = json_array_get(json_object_get(log, "activityLogItems"), 0);
    cr_assert_str_eq(jstr(item, "activityLogId"), jstr(log, "id"));
    cr_assert_str_eq(jstr(item, "verb"), verb, "%s", r->body);
    json_t *actor = json_object_get(item, "activityLogActor");
    cr_assert_str_eq(jstr(actor, "id"), client_id(), "%s", r->body);
    cr_assert_str_eq(jstr(actor, "entityType"), "API_CLIENT");
    json_t *obj = json_object_get(item, "activityLogObject");
    cr_assert_str_eq(jstr(obj, "entityType"), type, "%s", r->body);
    cr_assert_str_eq(jstr(obj, "id"), object, "%s %s: %s", type, verb, r->body);
    if (entity)
        cr_assert_str_eq(jstr(obj, "entityId"), entity, "%s %s: %s", type, verb, r->body);
    else
        cr_assert_null(json_object_get(obj, "entityId"), "%s", r->body);
    resp_free(r);
}

/* Asserts that the write answered by `w` was refused with `status` and
 * recorded nothing; frees w. */
static void expect_none(struct resp *w, long status, const char *what)
{
    cr_assert_eq(w->status, status, "%s: %s", what, w->body);
    resp_free(w);
    cr_assert_eq(entries(NULL), seen, "%s recorded an entry", what);
}

static char *id_of(struct resp *r)
{
    return strdup(jstr(r->json, "id"));
}

Test(activity, every_write_route_records_its_entry)
{
    seen = entries(NULL);
    cr_assert_eq(seen, 0);
    char body[2048];

    /* customers */
    write_customer_body(body, sizeof(body), "Acme");
    struct resp *w = req(&srv, "POST", "/customers", body, NULL);
    char *cu = id_of(w);
    expect_entry(w, 201, "CUSTOMER", "CREATED", cu, cu);
    write_customer_body(body, sizeof(body), "Acme Two");
    expect_entry(reqf(&srv, "PUT", body, "/customers/%s", cu), 200, "CUSTOMER", "UPDATED", cu, cu);
    char *other = make_customer(&srv, NULL, "Other");
    seen++;
    char *member = make_customer(&srv, NULL, "Member");
    seen++;

    /* contacts */
    w = reqf(&srv, "POST",
             "{\"name\":\"Bob\",\"email\":\"bob@example.com\","
             "\"billingPreference\":\"STANDARD\"}",
             "/customers/%s/contacts", cu);
    char *con = id_of(w);
    expect_entry(w, 201, "CONTACT", "CREATED", con, cu);
    expect_entry(reqf(&srv, "PUT",
                      "{\"name\":\"Bob B\",\"email\":\"bob@example.com\","
                      "\"billingPreference\":\"NONE\"}",
                      "/customers/%s/contacts/%s", cu, con),
                 200, "CONTACT", "UPDATED", con, cu);
    expect_entry(reqf(&srv, "POST", NULL, "/customers/%s/contacts/%s/archive", cu, con), 200,
                 "CONTACT", "ARCHIVED", con, cu);

    /* aliases */
    snprintf(body, sizeof(body), "{\"customerId\":\"%s\",\"value\":\"crm-1\"}", cu);
    w = req(&srv, "POST", "/customer-aliases", body, NULL);
    char *al = id_of(w);
    expect_entry(w, 201, "CUSTOMER_ALIAS", "CREATED", al, cu);
    expect_entry(reqf(&srv, "PUT", "{\"label\":\"CRM\"}", "/customer-aliases/%s", al), 200,
                 "CUSTOMER_ALIAS", "UPDATED", al, cu);
    expect_entry(reqf(&srv, "DELETE", NULL, "/customer-aliases/%s", al), 200, "CUSTOMER_ALIAS",
                 "DELETED", al, cu);

    /* organizations */
    snprintf(body, sizeof(body), "{\"ownerId\":\"%s\",\"memberIds\":[\"%s\"]}", cu, member);
    w = req(&srv, "POST", "/customer-organizations", body, NULL);
    char *org = id_of(w);
    const char *ORG = "CUSTOMER_ORGANIZATION";
    expect_entry(w, 201, ORG, "CREATED", org, cu);
    snprintf(body, sizeof(body), "{\"customerIds\":[\"%s\"]}", other);
    expect_entry(reqf(&srv, "POST", body, "/customer-organizations/%s/members", org), 200, ORG,
                 "MEMBERS_ADDED", org, cu);
    snprintf(body, sizeof(body), "{\"customerIds\":[\"%s\",\"%s\"]}", member, other);
    expect_entry(reqf(&srv, "PUT", body, "/customer-organizations/%s/members", org), 200, ORG,
                 "MEMBERS_REPLACED", org, cu);
    expect_entry(reqf(&srv, "DELETE", NULL, "/customer-organizations/%s/members/%s", org, other),
                 200, ORG, "MEMBER_REMOVED", org, cu);
    expect_entry(reqf(&srv, "DELETE", NULL, "/customer-organizations/%s", org), 200, ORG, "DELETED",
                 org, cu);

    /* notification policies */
    w = req(&srv, "POST", "/notifications/policies",
            "{\"name\":\"n\",\"channel\":\"EMAIL\",\"recipients\":[\"a@b.com\"],"
            "\"notificationTypes\":[\"CUSTOMER_CREATED\"]}",
            NULL);
    char *pol = id_of(w);
    const char *POL = "NOTIFICATION_POLICY";
    expect_entry(w, 201, POL, "CREATED", pol, NULL);
    expect_entry(reqf(&srv, "POST", "{\"notificationTypes\":[\"CUSTOMER_UPDATED\"]}",
                      "/notifications/policies/%s/notification-types", pol),
                 200, POL, "NOTIFICATION_TYPES_ADDED", pol, NULL);
    expect_entry(reqf(&srv, "DELETE", NULL,
                      "/notifications/policies/%s/notification-types/CUSTOMER_CREATED", pol),
                 200, POL, "NOTIFICATION_TYPE_REMOVED", pol, NULL);
    expect_entry(reqf(&srv, "POST", "{\"recipients\":[\"c@d.com\"]}",
                      "/notifications/policies/%s/recipients", pol),
                 200, POL, "RECIPIENTS_ADDED", pol, NULL);
    expect_entry(reqf(&srv, "DELETE", NULL, "/notifications/policies/%s/recipients/a@b.com", pol),
                 200, POL, "RECIPIENT_REMOVED", pol, NULL);
    expect_entry(reqf(&srv, "DELETE", NULL, "/notifications/policies/%s", pol), 200, POL, "DELETED",
                 pol, NULL);

    /* the archive last: an archived customer takes no more changes */
    expect_entry(reqf(&srv, "POST", NULL, "/customers/%s/archive", cu), 200, "CUSTOMER", "ARCHIVED",
                 cu, cu);

    /* Reads record nothing. */
    struct resp *r = reqf(&srv, "GET", NULL, "/customers/%s", cu);
    resp_free(r);
    r = req(&srv, "GET", "/customers", NULL, NULL);
    resp_free(r);
    cr_assert_eq(entries(NULL), seen);
    free(cu);
    free(other);
    free(member);
    free(con);
    free(al);
    free(org);
    free(pol);
}

Test(activity, refused_writes_record_nothing)
{
    char *cu = make_customer(&srv, NULL, "Acme");
    char *b = make_customer(&srv, NULL, "Beta");
    seen = entries(NULL);
    cr_assert_eq(seen, 2);
    char body[1024];
    expect_none(req(&srv, "POST", "/customers", "{\"legalName\":\"x\"}", NULL), 400,
                "customer without fields");
    write_customer_body(body, sizeof(body), "Ghost");
    expect_none(reqf(&srv, "PUT", body, "/customers/%s", GHOST), 404, "update of a ghost");
    snprintf(body, sizeof(body), "{\"customerId\":\"%s\",\"value\":\"v1\"}", cu);
    struct resp *w = req(&srv, "POST", "/customer-aliases", body, NULL);
    cr_assert_eq(w->status, 201, "%s", w->body);
    resp_free(w);
    seen++;
    expect_none(req(&srv, "POST", "/customer-aliases", body, NULL), 409, "a taken alias value");
    snprintf(body, sizeof(body), "{\"ownerId\":\"%s\",\"memberIds\":[\"%s\"]}", cu, b);
    w = req(&srv, "POST", "/customer-organizations", body, NULL);
    cr_assert_eq(w->status, 201, "%s", w->body);
    resp_free(w);
    seen++;
    snprintf(body, sizeof(body), "{\"ownerId\":\"%s\",\"memberIds\":[\"%s\"]}", b, cu);
    expect_none(req(&srv, "POST", "/customer-organizations", body, NULL), 409, "a cycle");
    expect_none(req(&srv, "POST", "/notifications/policies",
                    "{\"name\":\"n\",\"channel\":\"EMAIL\",\"recipients\":[\"nope\"]}", NULL),
                400, "a bad policy");
    expect_none(reqf(&srv, "DELETE", NULL, "/notifications/policies/%s", GHOST), 404,
                "delete of a ghost policy");
    free(cu);
    free(b);
}

/* The contact archive notes its entry, then the contact rule refuses it
 * (409): the whole write rolls back, the entry with it. */
Test(activity, a_write_rolled_back_after_noting_records_nothing)
{
    char *cu = make_customer(&srv, NULL, "Acme");
    struct resp *r = reqf(&srv, "POST",
                          "{\"name\":\"Bob\",\"email\":\"bob@example.com\","
                          "\"billingPreference\":\"STANDARD\"}",
                          "/customers/%s/contacts", cu);
    cr_assert_eq(r->status, 201, "%s", r->body);
    resp_free(r);
    r = reqf(&srv, "GET", NULL, "/customers/%s/contacts", cu);
    const char *primary = NULL;
    json_t *items = json_object_get(r->json, "items");
    for (size_t i = 0; i < json_array_size(items); i++)
        if (strcmp(jstr(json_array_get(items, i), "billingPreference"), "PRIMARY") == 0)
            primary = jstr(json_array_get(items, i), "id");
    cr_assert(primary, "%s", r->body);
    char pid[64];
    snprintf(pid, sizeof(pid), "%s", primary);
    resp_free(r);
    seen = entries(NULL);
    cr_assert_eq(seen, 2);
    expect_none(reqf(&srv, "POST", NULL, "/customers/%s/contacts/%s/archive", cu, pid), 409,
                "archiving the only PRIMARY contact");
    free(cu);
}

Test(activity, an_idempotent_replay_records_nothing)
{
    char body[2048];
    write_customer_body(body, sizeof(body), "Acme");
    const char *const h[] = {"Idempotency-Key: act-1", NULL};
    struct resp *r = req(&srv, "POST", "/customers", body, h);
    cr_assert_eq(r->status, 201, "%s", r->body);
    resp_free(r);
    r = req(&srv, "POST", "/customers", body, h);
    cr_assert_eq(r->status, 201, "%s", r->body);
    cr_assert_str_eq(resp_header(r, "Idempotent-Replayed"), "true");
    resp_free(r);
    cr_assert_eq(entries(NULL), 1);
}

Test(activity, reads_filter_sort_page_and_stay_in_the_account)
{
    char *a = make_customer(&srv, NULL, "Acme");
    char *b = make_customer(&srv, NULL, "Beta");
    char body[256];
    snprintf(body, sizeof(body), "{\"customerId\":\"%s\",\"value\":\"crm-a\"}", a);
    struct resp *r = req(&srv, "POST", "/customer-aliases", body, NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    char *al = id_of(r);
    resp_free(r);

    /* By object: the alias alone; by entity: the customer and its alias. */
    r = reqf(&srv, "GET", NULL, "/activity-logs?activityLogObjectId=%s", al);
    cr_assert_eq(page_total(r), 1, "%s", r->body);
    resp_free(r);
    r = reqf(&srv, "GET", NULL, "/activity-logs?activityLogObjectEntityId=%s", a);
    cr_assert_eq(page_total(r), 2, "%s", r->body);
    resp_free(r);
    r = reqf(&srv, "GET", NULL,
             "/activity-logs?activityLogObjectId=%s&activityLogObjectEntityId=%s", b, b);
    cr_assert_eq(page_total(r), 1, "%s", r->body);
    resp_free(r);
    r = req(&srv, "GET", "/activity-logs?activityLogObjectId=no-such-object", NULL, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_eq(page_total(r), 0, "%s", r->body);
    resp_free(r);

    /* Newest first by default, oldest first with ASC; pages follow. */
    r = req(&srv, "GET", "/activity-logs?sortOrder=ASC&limit=2", NULL, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    json_t *first = json_array_get(json_object_get(r->json, "items"), 0);
    json_t *obj = json_object_get(json_array_get(json_object_get(first, "activityLogItems"), 0),
                                  "activityLogObject");
    cr_assert_str_eq(jstr(obj, "id"), a, "%s", r->body);
    char *after = strdup(jstr(json_object_get(r->json, "pagination"), "after"));
    char *log_id = strdup(jstr(first, "id"));
    resp_free(r);
    r = reqf(&srv, "GET", NULL, "/activity-logs?sortOrder=ASC&limit=2&after=%s", after);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_eq(json_array_size(json_object_get(r->json, "items")), 1, "%s", r->body);
    resp_free(r);
    r = reqf(&srv, "GET", NULL, "/activity-logs?limit=2&after=%s", after);
    cr_assert_eq(r->status, 400, "an ASC cursor in a DESC list: %s", r->body);
    cr_assert_str_eq(err_type_of(r), "InvalidCursor");
    resp_free(r);
    r = req(&srv, "GET", "/activity-logs?limit=1", NULL, NULL);
    obj = json_object_get(
        json_array_get(json_object_get(json_array_get(json_object_get(r->json, "items"), 0),
                                       "activityLogItems"),
                       0),
        "activityLogObject");
    cr_assert_str_eq(jstr(obj, "id"), al, "newest first: %s", r->body);
    resp_free(r);

    static const char *const bad[] = {"/activity-logs?sortOrder=UP", "/activity-logs?limit=101",
                                      "/activity-logs?activityLogObjectId="};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        r = req(&srv, "GET", bad[i], NULL, NULL);
        cr_assert_eq(r->status, 400, "%s: %s", bad[i], r->body);
        cr_assert_str_eq(err_type_of(r), "InvalidQueryParameter", "%s", r->body);
        resp_free(r);
    }

    /* One entry by id; unknown ids are 404. */
    r = reqf(&srv, "GET", NULL, "/activity-logs/%s", log_id);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "id"), log_id);
    cr_assert_eq(json_array_size(json_object_get(r->json, "activityLogItems")), 1, "%s", r->body);
    resp_free(r);
    r = req(&srv, "GET", "/activity-logs/" GHOST, NULL, NULL);
    cr_assert_eq(r->status, 404, "%s", r->body);
    resp_free(r);
    r = req(&srv, "GET", "/activity-logs/not-an-id", NULL, NULL);
    cr_assert_eq(r->status, 404, "%s", r->body);
    resp_free(r);

    /* Another account sees none of it. */
    char other[256];
    server_new_key(&srv, "act-b", other, sizeof(other));
    cr_assert_eq(entries(other), 0);
    char path[128];
    snprintf(path, sizeof(path), "/activity-logs/%s", log_id);
    r = req_as(&srv, other, "GET", path, NULL, NULL);
    cr_assert_eq(r->status, 404, "%s", r->body);
    resp_free(r);
    free(a);
    free(b);
    free(al);
    free(after);
    free(log_id);
}
