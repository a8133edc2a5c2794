/* What every route shares: credentials, Sequence-Version, JSON bodies,
 * limits, routing errors, the error shape, shutdown, and tenancy. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

HTTP_SUITE(common, 120, .extra = HTTP_ARGS("--body-limit", "4096"));

static const char *valid_customer =
    "{\"legalName\":\"Acme\",\"address\":{\"line1\":\"1 Road\",\"town\":\"York\","
    "\"postcode\":\"YO1\",\"country\":\"GB\"},\"taxStatus\":\"TAXED\",\"contacts\":[{\"name\":"
    "\"Bo\",\"email\":\"bo@acme.test\",\"billingPreference\":\"PRIMARY\"}]}";

static json_int_t customer_total(void)
{
    struct resp *r = req(&srv, "GET", "/customers?includeArchived=true", NULL, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    json_int_t n = json_integer_value(
        json_object_get(json_object_get(r->json, "pagination"), "totalResultSize"));
    resp_free(r);
    return n;
}

static void assert_error_shape(struct resp *r, long status, const char *type)
{
    cr_assert_eq(r->status, status, "want %ld, got %ld: %s", status, r->status, r->body);
    cr_assert(r->json, "error body is JSON: %s", r->body);
    json_t *e = json_object_get(r->json, "error");
    cr_assert(json_is_object(e), "{\"error\":{...}}: %s", r->body);
    cr_assert_str_eq(json_string_value(json_object_get(e, "type")), type, "%s", r->body);
    cr_assert(json_string_length(json_object_get(e, "message")) > 0, "%s", r->body);
    cr_assert_str_eq(resp_header(r, "Sequence-Version"), "2024-07-30");
    cr_assert(resp_header(r, "X-Request-Id"));
}

Test(common, credentials_missing_malformed_unknown_wrong_or_revoked_are_401)
{
    struct resp *r = req_as(&srv, NULL, "GET", "/customers", NULL, NULL);
    assert_error_shape(r, 401, "Unauthorized");
    resp_free(r);

    const char *bad_headers[][2] = {
        {"Authorization: Bearer abc", "scheme"},
        {"Authorization: Basic !!!notbase64", "base64"},
        {"Authorization: Basic bm9jb2xvbg==", "no colon"},
        {"Authorization: Basic MDE5MGExYjItYzNkNC03ZTVmLThhOWItMGMxZDJlM2Y0YTViOnNlY3JldA==",
         "unknown client"},
    };
    for (size_t i = 0; i < sizeof(bad_headers) / sizeof(*bad_headers); i++) {
        const char *h[] = {bad_headers[i][0], NULL};
        r = req_as(&srv, NULL, "GET", "/customers", NULL, h);
        assert_error_shape(r, 401, "Unauthorized");
        resp_free(r);
    }
    char wrong[300];
    snprintf(wrong, sizeof(wrong), "%s", srv.key);
    wrong[strlen(wrong) - 1] ^= 1;
    r = req_as(&srv, wrong, "GET", "/customers", NULL, NULL);
    assert_error_shape(r, 401, "Unauthorized");
    resp_free(r);

    char other[256];
    server_new_key(&srv, "revoked", other, sizeof(other));
    r = req_as(&srv, other, "GET", "/customers", NULL, NULL);
    cr_assert_eq(r->status, 200);
    resp_free(r);
    char id[64];
    snprintf(id, sizeof(id), "%.*s", (int)(strchr(other, ':') - other), other);
    const char *args[] = {"keys", "revoke", id, NULL};
    cr_assert_eq(kinship_cmd(&srv, args, NULL, 0), 0);
    r = req_as(&srv, other, "GET", "/customers", NULL, NULL);
    assert_error_shape(r, 401, "Unauthorized");
    resp_free(r);
}

/*
 * A read checks that its client is still active in its own round trip (on
 * PostgreSQL with the read's one statement, or alone when the read sends
 * none): after `kinship keys revoke` in another process, the very next
 * request of each kind is 401, and no part of the handler's answer leaks.
 */
Test(common, revoked_key_is_refused_by_the_next_read_of_every_kind)
{
    char key[256];
    server_new_key(&srv, "revoked-reads", key, sizeof(key));
    char *owner = make_customer(&srv, key, "Revoked Owner");
    char *member = make_customer(&srv, key, "Revoked Member");
    char body[256], org_path[128], path[128];
    snprintf(body, sizeof(body), "{\"ownerId\":\"%s\",\"memberIds\":[\"%s\"]}", owner, member);
    struct resp *r = req_as(&srv, key, "POST", "/customer-organizations", body, NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    snprintf(org_path, sizeof(org_path), "/customer-organizations/%s", jstr(r->json, "id"));
    resp_free(r);
    snprintf(path, sizeof(path), "/customers/%s", member);
    const char *paths[] = {path, org_path, "/customers/not-an-id", "/customers"};
    size_t n = sizeof(paths) / sizeof(*paths);
    /* twice each: the second read of a key comes from the server's cache */
    for (int round = 0; round < 2; round++)
        for (size_t i = 0; i < n; i++) {
            r = req_as(&srv, key, "GET", paths[i], NULL, NULL);
            cr_assert_eq(r->status, i == 2 ? 404 : 200, "%s: %s", paths[i], r->body);
            resp_free(r);
        }
    char id[64];
    snprintf(id, sizeof(id), "%.*s", (int)(strchr(key, ':') - key), key);
    const char *args[] = {"keys", "revoke", id, NULL};
    cr_assert_eq(kinship_cmd(&srv, args, NULL, 0), 0);
    for (size_t i = 0; i < n; i++) {
        r = req_as(&srv, key, "GET", paths[i], NULL, NULL);
        assert_error_shape(r, 401, "Unauthorized");
        cr_assert(resp_header(r, "WWW-Authenticate"), "%s", paths[i]);
        cr_assert(!strstr(r->body, "Revoked"), "%s leaks the answer: %s", paths[i], r->body);
        resp_free(r);
    }
    free(owner);
    free(member);
}

/* The customers of `key`'s account, archived ones included. */
static json_int_t total_as(const char *key)
{
    struct resp *r = req_as(&srv, key, "GET", "/customers?includeArchived=true", NULL, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    json_int_t n = json_integer_value(
        json_object_get(json_object_get(r->json, "pagination"), "totalResultSize"));
    resp_free(r);
    return n;
}

/*
 * A write whose client the server has cached confirms the client inside
 * the write (on PostgreSQL in the write's first round trip, or with its
 * COMMIT, which the check then fails): after `kinship keys revoke` in
 * another process, the very next write of each kind is 401 and changes
 * nothing, including one whose body is bad and one that would replay an
 * Idempotency-Key.
 */
Test(common, revoked_key_is_refused_by_the_next_write_of_every_kind)
{
    /* two clients of one account: the second sees what the first did */
    char account[64], key[256], witness[256];
    snprintf(account, sizeof(account), "revoked-writes-%d", (int)getpid());
    const char *create[] = {"keys", "create", "--account", account, NULL};
    cr_assert_eq(kinship_cmd(&srv, create, key, sizeof(key)), 0);
    cr_assert_eq(kinship_cmd(&srv, create, witness, sizeof(witness)), 0);
    key[strcspn(key, "\r\n")] = '\0';
    witness[strcspn(witness, "\r\n")] = '\0';
    char *owner = make_customer(&srv, key, "Writes Owner");
    char *member = make_customer(&srv, key, "Writes Member");
    char *other = make_customer(&srv, key, "Writes Other");
    const char *idem[] = {"Idempotency-Key: revoked-writes-1", NULL};
    struct resp *r = req_as(&srv, key, "POST", "/customers", valid_customer, idem);
    cr_assert_eq(r->status, 201, "%s", r->body);
    resp_free(r);
    char id[64];
    snprintf(id, sizeof(id), "%.*s", (int)(strchr(key, ':') - key), key);
    const char *args[] = {"keys", "revoke", id, NULL};
    cr_assert_eq(kinship_cmd(&srv, args, NULL, 0), 0);
    json_int_t before = total_as(witness);

    char org[256], path[128];
    snprintf(org, sizeof(org), "{\"ownerId\":\"%s\",\"memberIds\":[\"%s\"]}", owner, member);
    snprintf(path, sizeof(path), "/customers/%s/archive", other);
    const struct {
        const char *method, *path, *body;
        const char *const *headers;
    } writes[] = {
        {"POST", "/customers", valid_customer, NULL},
        {"POST", "/customers", valid_customer, idem}, /* would be a replay */
        {"POST", "/customers", "{\"legalName\":\"no address\"}", NULL},
        {"POST", "/customer-organizations", org, NULL},
        {"POST", path, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof(writes) / sizeof(*writes); i++) {
        r = req_as(&srv, key, writes[i].method, writes[i].path, writes[i].body, writes[i].headers);
        assert_error_shape(r, 401, "Unauthorized");
        cr_assert(resp_header(r, "WWW-Authenticate"), "write %zu", i);
        resp_free(r);
    }
    cr_assert_eq(total_as(witness), before, "no customer was created");
    snprintf(path, sizeof(path), "/customers/%s", owner);
    r = req_as(&srv, witness, "GET", path, NULL, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_eq(json_array_size(json_object_get(r->json, "organizations")), 0,
                 "no organization was created: %s", r->body);
    resp_free(r);
    snprintf(path, sizeof(path), "/customers/%s", other);
    r = req_as(&srv, witness, "GET", path, NULL, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "status"), "ACTIVE", "not archived: %s", r->body);
    resp_free(r);
    free(owner);
    free(member);
    free(other);
}

Test(common, sequence_version_header)
{
    struct resp *r = req(&srv, "GET", "/customers", NULL, NULL);
    cr_assert_eq(r->status, 200);
    cr_assert_str_eq(resp_header(r, "Sequence-Version"), "2024-07-30");
    resp_free(r);
    const char *ok[] = {"Sequence-Version: 2024-07-30", NULL};
    r = req(&srv, "GET", "/customers", NULL, ok);
    cr_assert_eq(r->status, 200);
    resp_free(r);
    /* Sequence's document spells the header `sequence-version`: the same
     * header (names are case-insensitive), checked the same way. */
    const char *lower[] = {"sequence-version: 2024-07-30", NULL};
    r = req(&srv, "GET", "/customers", NULL, lower);
    cr_assert_eq(r->status, 200, "%s", r->body);
    resp_free(r);
    const char *lower_old[] = {"sequence-version: 2024-05-09", NULL};
    r = req(&srv, "GET", "/customers", NULL, lower_old);
    assert_error_shape(r, 400, "UnrecognisedApiVersion");
    resp_free(r);
    const char *old[] = {"Sequence-Version: 2024-05-09", NULL};
    r = req(&srv, "GET", "/customers", NULL, old);
    assert_error_shape(r, 400, "UnrecognisedApiVersion");
    resp_free(r);
    json_int_t before = customer_total();
    r = req(&srv, "POST", "/customers", valid_customer, old);
    assert_error_shape(r, 400, "UnrecognisedApiVersion");
    resp_free(r);
    cr_assert_eq(customer_total(), before, "a refused request changes nothing");
}

Test(common, bad_json_bodies_are_400_and_change_nothing)
{
    json_int_t before = customer_total();
    struct {
        const char *body, *type;
    } cases[] = {
        {"{\"legalName\": ", "InvalidJson"},
        {"[1,2,3]", "InvalidRequestBody"},
        {"\"text\"", "InvalidRequestBody"},
        {"{} trailing", "InvalidJson"},
        {"{\"legalName\":\"\xff\xfe\"}", "InvalidJson"},
        {"{\"a\":1,\"a\":2}", "InvalidJson"},
        {"{\"legalName\":42,\"address\":{},\"taxStatus\":\"TAXED\",\"contacts\":[]}",
         "InvalidField"},
        {"{\"legalName\":\"X\",\"address\":[],\"taxStatus\":\"TAXED\",\"contacts\":[]}",
         "InvalidField"},
        {"", "InvalidJson"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        struct resp *r = req(&srv, "POST", "/customers", cases[i].body, NULL);
        assert_error_shape(r, 400, cases[i].type);
        resp_free(r);
    }
    cr_assert_eq(customer_total(), before);
}

Test(common, content_type_must_be_json)
{
    const char *h[] = {"Content-Type: text/plain", NULL};
    struct resp *r = req(&srv, "POST", "/customers", valid_customer, h);
    assert_error_shape(r, 415, "UnsupportedMediaType");
    resp_free(r);
    const char *h2[] = {"Content-Type: application/json; charset=utf-8", NULL};
    r = req(&srv, "POST", "/customers", valid_customer, h2);
    cr_assert_eq(r->status, 201, "%s", r->body);
    resp_free(r);
}

Test(common, body_over_the_limit_is_413)
{
    json_int_t before = customer_total();
    char *big = malloc(8192);
    memset(big, ' ', 8191);
    big[8191] = '\0';
    memcpy(big, valid_customer, strlen(valid_customer));
    struct resp *r = req(&srv, "POST", "/customers", big, NULL);
    assert_error_shape(r, 413, "PayloadTooLarge");
    resp_free(r);
    /* chunked: no Content-Length up front */
    const char *chunked[] = {"Transfer-Encoding: chunked", NULL};
    r = req(&srv, "POST", "/customers", big, chunked);
    assert_error_shape(r, 413, "PayloadTooLarge");
    resp_free(r);
    free(big);
    cr_assert_eq(customer_total(), before);
    r = req(&srv, "POST", "/customers", valid_customer, NULL);
    cr_assert_eq(r->status, 201, "the server still serves: %s", r->body);
    resp_free(r);
}

Test(common, unknown_path_is_404_and_wrong_method_is_405_with_allow)
{
    struct resp *r = req(&srv, "GET", "/nothing-here", NULL, NULL);
    assert_error_shape(r, 404, "RouteNotFound");
    resp_free(r);
    r = req(&srv, "DELETE", "/customers", NULL, NULL);
    assert_error_shape(r, 405, "MethodNotAllowed");
    const char *allow = resp_header(r, "Allow");
    cr_assert(allow && strstr(allow, "GET") && strstr(allow, "POST"), "Allow: %s",
              allow ? allow : "(none)");
    resp_free(r);
    r = req(&srv, "PATCH", "/customer-organizations", NULL, NULL);
    assert_error_shape(r, 405, "MethodNotAllowed");
    cr_assert(strstr(resp_header(r, "Allow"), "POST"));
    resp_free(r);
}

Test(common, request_id_is_echoed_when_valid)
{
    const char *h[] = {"X-Request-Id: trace-123.abc", NULL};
    struct resp *r = req(&srv, "GET", "/customers/nope", NULL, h);
    cr_assert_eq(r->status, 404);
    cr_assert_str_eq(resp_header(r, "X-Request-Id"), "trace-123.abc");
    cr_assert_str_eq(
        json_string_value(json_object_get(json_object_get(r->json, "error"), "requestId")),
        "trace-123.abc");
    resp_free(r);
    const char *bad[] = {"X-Request-Id: has spaces in it", NULL};
    r = req(&srv, "GET", "/customers/nope", NULL, bad);
    cr_assert_str_neq(resp_header(r, "X-Request-Id"), "has spaces in it");
    resp_free(r);
}

Test(common, another_account_sees_nothing_of_the_first)
{
    char *id = make_customer(&srv, NULL, "Private Co");
    char other[256];
    server_new_key(&srv, "tenant-b", other, sizeof(other));
    char path[128];
    snprintf(path, sizeof(path), "/customers/%s", id);
    struct resp *r = req_as(&srv, other, "GET", path, NULL, NULL);
    assert_error_shape(r, 404, "NotFound");
    resp_free(r);
    r = req_as(&srv, other, "GET", "/customers", NULL, NULL);
    cr_assert_eq(r->status, 200);
    cr_assert_eq(json_array_size(json_object_get(r->json, "items")), 0, "%s", r->body);
    resp_free(r);
    r = req(&srv, "GET", path, NULL, NULL);
    cr_assert_eq(r->status, 200, "the owner still sees it");
    resp_free(r);
    free(id);
}

Test(common, keys_create_prints_one_line)
{
    char out[1024];
    const char *args[] = {"keys", "create", "--account", "one-line", NULL};
    cr_assert_eq(kinship_cmd(&srv, args, out, sizeof(out)), 0);
    char *nl = strchr(out, '\n');
    cr_assert(nl && nl[1] == '\0', "exactly one line: [%s]", out);
    cr_assert(strchr(out, ':'));
    const char *bad[] = {"keys", "create", NULL};
    cr_assert_neq(kinship_cmd(&srv, bad, NULL, 0), 0, "--account is required");
}
