/*
 * Tenant isolation at every route. Account A owns customers, contacts,
 * aliases and an organization; account B calls every authenticated route of
 * the real route table (api_routes, linked from the kinship library) with
 * A's ids in the path and in the body. Each call must be refused as if A's
 * ids did not exist (404, or 400 CustomerNotFound where an id travels in the
 * body), lists must show B nothing of A, no answer may carry anything of A
 * that the request did not, and afterwards everything of A must read
 * exactly as before.
 *
 * The cases are keyed by route name. A route with ROUTE_AUTH and no case
 * fails the test: a new route needs its isolation case.
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../src/api/api.h"

struct iso_case {
    const char *route; /* route->name */
    const char *method;
    const char *path; /* with {placeholders} */
    const char *body; /* with {placeholders}, or NULL */
    int status;
    const char *type; /* the error type, or NULL (2xx) */
};

#define ADDRESS                                                                                    \
    "\"address\":{\"line1\":\"1 B St\",\"town\":\"Bath\",\"postcode\":\"BA1\",\"country\":\"GB\"}"
#define CUSTOMER_B                                                                                 \
    "{\"legalName\":\"B Corp\"," ADDRESS ",\"taxStatus\":\"TAXED\",\"contacts\":["                 \
    "{\"name\":\"Bee\",\"email\":\"bee@b.test\",\"billingPreference\":\"PRIMARY\"}]"
#define CONTACT_B                                                                                  \
    "{\"name\":\"Bee Two\",\"email\":\"bee2@b.test\",\"billingPreference\":\"STANDARD\"}"

static const struct iso_case cases[] = {
    {"customers.list", "GET", "/customers?includeArchived=true", NULL, 200, NULL},
    {"customers.list", "GET", "/customers?alias={aliasA}", NULL, 200, NULL},
    {"customers.list", "GET", "/customers?limit=1&after={cursorA}", NULL, 200, NULL},
    {"customers.list", "GET", "/customers?sortBy=customProperties.isoaKey", NULL, 200, NULL},
    {"customers.create", "POST", "/customers", CUSTOMER_B ",\"parentId\":\"{cA1}\"}", 400,
     "CustomerNotFound"},
    {"customers.by_alias", "GET", "/customers/by-alias/{aliasA}", NULL, 404, "NotFound"},
    {"customers.get", "GET", "/customers/{cA1}", NULL, 404, "NotFound"},
    {"customers.get", "GET", "/customers/{CA1}", NULL, 404, "NotFound"},
    {"customers.update", "PUT", "/customers/{cA1}", CUSTOMER_B "}", 404, "NotFound"},
    {"customers.update", "PUT", "/customers/{cB1}", CUSTOMER_B ",\"parentId\":\"{cA3}\"}", 400,
     "CustomerNotFound"},
    {"customers.archive", "POST", "/customers/{cA2}/archive", NULL, 404, "NotFound"},
    {"customers.aliases", "GET", "/customers/{cA1}/aliases", NULL, 404, "NotFound"},
    {"customers.property_keys", "GET", "/customer-custom-property-keys", NULL, 200, NULL},
    {"contacts.list", "GET", "/customers/{cA1}/contacts", NULL, 404, "NotFound"},
    {"contacts.create", "POST", "/customers/{cA1}/contacts", CONTACT_B, 404, "NotFound"},
    {"contacts.update", "PUT", "/customers/{cA1}/contacts/{conA}", CONTACT_B, 404, "NotFound"},
    {"contacts.update", "PUT", "/customers/{cB1}/contacts/{conA}", CONTACT_B, 404, "NotFound"},
    {"contacts.archive", "POST", "/customers/{cA1}/contacts/{conA}/archive", NULL, 404, "NotFound"},
    {"contacts.archive", "POST", "/customers/{cB1}/contacts/{conA}/archive", NULL, 404, "NotFound"},
    {"aliases.list", "GET", "/customer-aliases", NULL, 200, NULL},
    {"aliases.list", "GET", "/customer-aliases?value={aliasA}", NULL, 200, NULL},
    {"aliases.create", "POST", "/customer-aliases",
     "{\"customerId\":\"{cA1}\",\"value\":\"b-new\"}", 400, "CustomerNotFound"},
    {"aliases.update", "PUT", "/customer-aliases/{aA}", "{\"label\":\"taken over\"}", 404,
     "NotFound"},
    {"aliases.delete", "DELETE", "/customer-aliases/{aA}", NULL, 404, "NotFound"},
    {"organizations.create", "POST", "/customer-organizations",
     "{\"ownerId\":\"{cA3}\",\"memberIds\":[\"{cA2}\"]}", 400, "CustomerNotFound"},
    {"organizations.create", "POST", "/customer-organizations",
     "{\"ownerId\":\"{cB2}\",\"memberIds\":[\"{cA3}\"]}", 400, "CustomerNotFound"},
    {"organizations.members_add", "POST", "/customer-organizations/{oA}/members",
     "{\"customerIds\":[\"{cB2}\"]}", 404, "NotFound"},
    {"organizations.members_add", "POST", "/customer-organizations/{oB}/members",
     "{\"customerIds\":[\"{cA3}\"]}", 400, "CustomerNotFound"},
    {"organizations.members_replace", "PUT", "/customer-organizations/{oA}/members",
     "{\"customerIds\":[]}", 404, "NotFound"},
    {"organizations.members_replace", "PUT", "/customer-organizations/{oB}/members",
     "{\"customerIds\":[\"{cA2}\"]}", 400, "CustomerNotFound"},
    {"organizations.list", "GET", "/customer-organizations", NULL, 200, NULL},
    {"organizations.list", "GET", "/customer-organizations?ownerId={cA1}", NULL, 200, NULL},
    {"organizations.list", "GET", "/customer-organizations?memberId={cA2}", NULL, 200, NULL},
    {"organizations.get", "GET", "/customer-organizations/{oA}", NULL, 404, "NotFound"},
    {"tree.ancestors", "GET", "/customers/{cA2}/ancestors", NULL, 404, "NotFound"},
    {"tree.descendants", "GET", "/customers/{cA1}/descendants", NULL, 404, "NotFound"},
    {"tree.organization", "GET", "/customer-organizations/{oA}/tree?maxDepth=9", NULL, 404,
     "NotFound"},
    {"tree.organization", "GET", "/customer-organizations/{oB}/tree?maxDepth=9", NULL, 200, NULL},
    {"organizations.delete", "DELETE", "/customer-organizations/{oA}", NULL, 404, "NotFound"},
    {"organizations.member_remove", "DELETE", "/customer-organizations/{oA}/members/{cA2}", NULL,
     404, "NotFound"},
    {"organizations.member_remove", "DELETE", "/customer-organizations/{oB}/members/{cA2}", NULL,
     404, "NotFound"},
    /* notification policies and the activity log */
    {"notifications.list", "GET", "/notifications/policies", NULL, 200, NULL},
    {"notifications.list", "GET", "/notifications/policies?notificationType=CUSTOMER_CREATED", NULL,
     200, NULL},
    {"notifications.create", "POST", "/notifications/policies",
     "{\"name\":\"B mail\",\"channel\":\"EMAIL\",\"recipients\":[\"bee@b.test\"]}", 201, NULL},
    {"notifications.get", "GET", "/notifications/policies/{pA}", NULL, 404, "NotFound"},
    {"notifications.delete", "DELETE", "/notifications/policies/{pA}", NULL, 404, "NotFound"},
    {"notifications.types_add", "POST", "/notifications/policies/{pA}/notification-types",
     "{\"notificationTypes\":[\"CUSTOMER_UPDATED\"]}", 404, "NotFound"},
    {"notifications.type_remove", "DELETE",
     "/notifications/policies/{pA}/notification-types/CUSTOMER_CREATED", NULL, 404, "NotFound"},
    {"notifications.recipients_add", "POST", "/notifications/policies/{pA}/recipients",
     "{\"recipients\":[\"bee@b.test\"]}", 404, "NotFound"},
    {"notifications.recipient_remove", "DELETE",
     "/notifications/policies/{pA}/recipients/ops@a.test", NULL, 404, "NotFound"},
    {"activity.list", "GET", "/activity-logs", NULL, 200, NULL},
    {"activity.list", "GET", "/activity-logs?activityLogObjectId={cA1}", NULL, 200, NULL},
    {"activity.list", "GET", "/activity-logs?activityLogObjectEntityId={cA1}", NULL, 200, NULL},
    {"activity.get", "GET", "/activity-logs/{logA}", NULL, 404, "NotFound"},
    /* Last: B empties its own account (test_reset is on here); A's stays. */
    {"twin.reset", "POST", "/_kinship/reset?seed=demo", NULL, 200, NULL},
};

static void setup_accounts(void);
HTTP_SUITE(isolation, 240, .ready = setup_accounts, .extra = HTTP_ARGS("--test-reset", "on"));
static char key_b[256];

/* Placeholder values. */
enum { CA1, CA1_UPPER, CA2, CA3, CONA, AA, OA, ALIASA, PA, LOGA, CURSORA, CB1, CB2, OB, N_VARS };
static const char *const var_names[N_VARS] = {"cA1",     "CA1", "cA2",    "cA3", "conA",
                                              "aA",      "oA",  "aliasA", "pA",  "logA",
                                              "cursorA", "cB1", "cB2",    "oB"};
static char vars[N_VARS][512];

/* Strings of A that B must never be shown (unless B sent them). */
static const char *const a_markers[] = {"IsoA", "isoa", "ISOA"};

static char *expand(const char *tmpl)
{
    size_t cap = strlen(tmpl) * 4 + 2048, n = 0;
    char *out = malloc(cap);
    for (const char *p = tmpl; *p;) {
        if (*p == '{') {
            const char *end = strchr(p, '}');
            bool done = false;
            for (int v = 0; end && v < N_VARS; v++)
                if (strlen(var_names[v]) == (size_t)(end - p - 1) &&
                    strncmp(p + 1, var_names[v], (size_t)(end - p - 1)) == 0) {
                    n += (size_t)snprintf(out + n, cap - n, "%s", vars[v]);
                    p = end + 1;
                    done = true;
                    break;
                }
            if (done)
                continue;
        }
        out[n++] = *p++;
    }
    out[n] = '\0';
    return out;
}

static char *create(const char *key, const char *path, const char *body, int want)
{
    struct resp *r = req_as(&srv, key, "POST", path, body, NULL);
    cr_assert_eq(r->status, want, "POST %s: %ld %s", path, r->status, r->body);
    char *id = strdup(jstr(r->json, "id"));
    resp_free(r);
    return id;
}

static void setup_accounts(void)
{
    /* Account A: the server's first key. */
    const char *a1 =
        "{\"legalName\":\"IsoA One\"," ADDRESS ",\"taxStatus\":\"TAXED\","
        "\"customProperties\":{\"isoaKey\":\"isoa-value\"},\"customerAliases\":[\"isoa-alias\"],"
        "\"contacts\":[{\"name\":\"IsoA Ann\",\"email\":\"ann@isoa.test\","
        "\"billingPreference\":\"PRIMARY\"},{\"name\":\"IsoA Bob\",\"email\":\"bob@isoa.test\","
        "\"billingPreference\":\"STANDARD\"}]}";
    char *id = create(srv.key, "/customers", a1, 201);
    snprintf(vars[CA1], sizeof(vars[CA1]), "%s", id);
    for (size_t i = 0; id[i]; i++)
        vars[CA1_UPPER][i] = (char)((id[i] >= 'a' && id[i] <= 'f') ? id[i] - 32 : id[i]);
    free(id);
    id = make_customer(&srv, srv.key, "IsoA Two");
    snprintf(vars[CA2], sizeof(vars[CA2]), "%s", id);
    free(id);
    id = make_customer(&srv, srv.key, "IsoA Three");
    snprintf(vars[CA3], sizeof(vars[CA3]), "%s", id);
    free(id);
    snprintf(vars[ALIASA], sizeof(vars[ALIASA]), "isoa-alias");

    char body[2048];
    snprintf(body, sizeof(body), "{\"customerId\":\"%s\",\"value\":\"isoa-second\"}", vars[CA1]);
    id = create(srv.key, "/customer-aliases", body, 201);
    snprintf(vars[AA], sizeof(vars[AA]), "%s", id);
    free(id);
    snprintf(body, sizeof(body), "{\"ownerId\":\"%s\",\"memberIds\":[\"%s\"]}", vars[CA1],
             vars[CA2]);
    id = create(srv.key, "/customer-organizations", body, 201);
    snprintf(vars[OA], sizeof(vars[OA]), "%s", id);
    free(id);

    struct resp *r = reqf(&srv, "GET", NULL, "/customers/%s/contacts", vars[CA1]);
    cr_assert_eq(r->status, 200, "%s", r->body);
    json_t *items = json_object_get(r->json, "items");
    for (size_t i = 0; i < json_array_size(items); i++)
        if (strcmp(jstr(json_array_get(items, i), "billingPreference"), "STANDARD") == 0)
            snprintf(vars[CONA], sizeof(vars[CONA]), "%s", jstr(json_array_get(items, i), "id"));
    cr_assert(vars[CONA][0], "A's STANDARD contact: %s", r->body);
    resp_free(r);

    id = create(srv.key, "/notifications/policies",
                "{\"name\":\"IsoA mail\",\"channel\":\"EMAIL\",\"recipients\":[\"ops@a.test\"]}",
                201);
    snprintf(vars[PA], sizeof(vars[PA]), "%s", id);
    free(id);
    r = req(&srv, "GET", "/activity-logs?limit=1", NULL, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    snprintf(vars[LOGA], sizeof(vars[LOGA]), "%s",
             jstr(json_array_get(json_object_get(r->json, "items"), 0), "id"));
    resp_free(r);

    r = req(&srv, "GET", "/customers?limit=1", NULL, NULL);
    const char *after = jstr(json_object_get(r->json, "pagination"), "after");
    cr_assert(after, "A's list has a next page: %s", r->body);
    snprintf(vars[CURSORA], sizeof(vars[CURSORA]), "%s", after);
    resp_free(r);

    /* Account B. */
    server_new_key(&srv, "iso-b", key_b, sizeof(key_b));
    id = create(key_b, "/customers", CUSTOMER_B "}", 201);
    snprintf(vars[CB1], sizeof(vars[CB1]), "%s", id);
    free(id);
    id = create(key_b, "/customers", CUSTOMER_B "}", 201);
    snprintf(vars[CB2], sizeof(vars[CB2]), "%s", id);
    free(id);
    snprintf(body, sizeof(body), "{\"ownerId\":\"%s\",\"memberIds\":[\"%s\"]}", vars[CB1],
             vars[CB2]);
    id = create(key_b, "/customer-organizations", body, 201);
    snprintf(vars[OB], sizeof(vars[OB]), "%s", id);
    free(id);
}

/* Everything of A, as A reads it. */
static json_t *snapshot_a(void)
{
    const char *paths[] = {
        "/customers/{cA1}",
        "/customers/{cA2}",
        "/customers/{cA3}",
        "/customers/{cA1}/aliases",
        "/customers/{cA1}/contacts",
        "/customers/by-alias/{aliasA}",
        "/customer-organizations/{oA}",
        "/customers?includeArchived=true&limit=100",
        "/customer-aliases?limit=100",
        "/customer-organizations?limit=100",
        "/customer-custom-property-keys",
        "/notifications/policies/{pA}",
        "/activity-logs?limit=100",
    };
    json_t *snap = json_object();
    for (size_t i = 0; i < sizeof(paths) / sizeof(*paths); i++) {
        char *path = expand(paths[i]);
        struct resp *r = req(&srv, "GET", path, NULL, NULL);
        cr_assert_eq(r->status, 200, "A reads %s: %ld %s", path, r->status, r->body);
        cr_assert(r->json, "%s", r->body);
        json_object_set(snap, paths[i], r->json);
        resp_free(r);
        free(path);
    }
    return snap;
}

static const struct iso_case *find_case(const char *route)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
        if (strcmp(cases[i].route, route) == 0)
            return &cases[i];
    return NULL;
}

/* The answer carries nothing of A that the request did not carry. */
static void assert_reveals_nothing(const struct iso_case *k, const char *path, const char *body,
                                   struct resp *r)
{
    for (int v = 0; v <= CURSORA; v++) {
        if (v == CURSORA || !vars[v][0])
            continue;
        /* Ids compare without regard to case. */
        bool sent = strcasestr(path, vars[v]) || (body && strcasestr(body, vars[v]));
        cr_assert(sent || !strcasestr(r->body, vars[v]), "%s %s (%s) reveals A's %s: %s", k->method,
                  path, k->route, var_names[v], r->body);
    }
    for (size_t m = 0; m < sizeof(a_markers) / sizeof(*a_markers); m++) {
        bool sent = strstr(path, a_markers[m]) || (body && strstr(body, a_markers[m]));
        cr_assert(sent || !strstr(r->body, a_markers[m]), "%s %s (%s) reveals A's data: %s",
                  k->method, path, k->route, r->body);
    }
}

/* The case's method and path reach the route it is filed under. */
static void assert_routes_to(const struct iso_case *k, const char *path)
{
    char bare[2048];
    snprintf(bare, sizeof(bare), "%.*s", (int)strcspn(path, "?"), path);
    struct arena *a = arena_create();
    const struct route *rt = NULL;
    const char *params[REQ_MAX_PARAMS];
    int n = 0;
    char allow[64];
    enum route_match m = router_match(api_routes, api_routes_count, http_method_parse(k->method),
                                      bare, a, &rt, params, &n, allow, sizeof(allow));
    cr_assert_eq(m, ROUTE_MATCHED, "case %s %s matches no route", k->method, k->path);
    cr_assert_str_eq(rt->name, k->route, "case %s %s is filed under %s but routes to %s", k->method,
                     k->path, k->route, rt->name);
    arena_destroy(a);
}

Test(isolation, every_authenticated_route_has_a_case)
{
    size_t missing = 0;
    for (size_t i = 0; i < api_routes_count; i++) {
        const struct route *rt = &api_routes[i];
        if (!(rt->flags & ROUTE_AUTH))
            continue;
        if (!find_case(rt->name)) {
            fprintf(stderr, "route %s (%s) has no isolation case in %s\n", rt->name, rt->pattern,
                    __FILE__);
            missing++;
        }
    }
    cr_assert_eq(missing, 0, "%zu authenticated route(s) without an isolation case", missing);
    for (size_t c = 0; c < sizeof(cases) / sizeof(*cases); c++) {
        bool known = false;
        for (size_t i = 0; i < api_routes_count; i++)
            known |= strcmp(api_routes[i].name, cases[c].route) == 0;
        cr_assert(known, "case for unknown route %s", cases[c].route);
    }
}

Test(isolation, another_account_can_neither_see_nor_change_anything)
{
    json_t *before = snapshot_a();
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        const struct iso_case *k = &cases[i];
        char *path = expand(k->path);
        char *body = k->body ? expand(k->body) : NULL;
        assert_routes_to(k, path);
        struct resp *r = req_as(&srv, key_b, k->method, path, body, NULL);
        cr_assert_eq(r->status, k->status, "B: %s %s (%s): want %d, got %ld %s", k->method, path,
                     k->route, k->status, r->status, r->body);
        if (k->type)
            cr_assert_str_eq(err_type_of(r), k->type, "B: %s %s: %s", k->method, path, r->body);
        assert_reveals_nothing(k, path, body, r);
        if (k->status == 200 && json_is_array(json_object_get(r->json, "items"))) {
            /* Lists: only B's rows (or nothing). */
            json_t *items = json_object_get(r->json, "items");
            for (size_t j = 0; j < json_array_size(items); j++) {
                const char *id = jstr(json_array_get(items, j), "id");
                if (!id)
                    continue; /* property keys are plain strings */
                for (int v = 0; v < CB1; v++)
                    cr_assert(strcmp(id, vars[v]) != 0, "B's %s lists A's %s", path, var_names[v]);
            }
        }
        resp_free(r);
        free(path);
        free(body);
    }
    json_t *after = snapshot_a();
    const char *key;
    json_t *want;
    json_object_foreach(before, key, want)
    {
        json_t *got = json_object_get(after, key);
        if (!json_equal(want, got)) {
            char *a = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS);
            char *b = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
            cr_assert_fail("A's %s changed:\nbefore %s\nafter  %s", key, a, b);
        }
    }
    json_decref(before);
    json_decref(after);
}

Test(isolation, values_unique_per_account_do_not_collide_across_accounts)
{
    /* B may use A's alias value (uniqueness is per account: a 409 would
     * tell B that A has it), and each account then finds its own. */
    char body[2048];
    snprintf(body, sizeof(body), "{\"customerId\":\"%s\",\"value\":\"%s\"}", vars[CB1],
             vars[ALIASA]);
    struct resp *r = req_as(&srv, key_b, "POST", "/customer-aliases", body, NULL);
    cr_assert_eq(r->status, 201, "%ld %s", r->status, r->body);
    resp_free(r);
    r = req_as(&srv, key_b, "GET", "/customers/by-alias/isoa-alias", NULL, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "id"), vars[CB1]);
    resp_free(r);
    r = req(&srv, "GET", "/customers/by-alias/isoa-alias", NULL, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "id"), vars[CA1]);
    resp_free(r);
    /* An organization owned by B's customer does not collide with A's
     * ownership rules either (R1 is per customer, within an account). */
    r = req_as(&srv, key_b, "GET", "/customer-organizations", NULL, NULL);
    cr_assert_eq(page_total(r), 1, "%s", r->body);
    resp_free(r);
}
