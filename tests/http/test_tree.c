/* The hierarchy as a first-class resource (docs/hierarchy.md): tree reads
 * (ancestors, descendants, an organization's tree), the depth limit
 * (max_depth, 409 HierarchyTooDeep) and ?dryRun=true on organization
 * writes. A reference model checks the tree reads after random operations.
 * Runs on both stores. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

HTTP_SUITE(tree, 300);
HTTP_SUITE_MORE(tree_shallow, 300, .extra = HTTP_ARGS("--max-depth", "2", "--tree-nodes", "3"));
HTTP_SUITE_MORE(tree_model, 300, .extra = HTTP_ARGS("--max-depth", "4"));

static struct resp *create_org(const char *owner, const char *members_csv)
{
    json_t *body = json_pack("{s:s,s:[]}", "ownerId", owner, "memberIds");
    char *copy = strdup(members_csv);
    for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ","))
        json_array_append_new(json_object_get(body, "memberIds"), json_string(tok));
    free(copy);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    struct resp *r = req(&srv, "POST", "/customer-organizations", text, NULL);
    free(text);
    return r;
}

/* The id of the organization a 201 answer created (malloc'd); frees r. */
static char *created_id(struct resp *r)
{
    cr_assert_eq(r->status, 201, "%s", r->body);
    char *id = strdup(jstr(r->json, "id"));
    resp_free(r);
    return id;
}

static char *org(const char *owner, const char *members_csv)
{
    return created_id(create_org(owner, members_csv));
}

/* "id:depth:link|link" of each item, joined by ' ' (malloc'd). */
static char *nodes_of(json_t *items, const char *links)
{
    size_t cap = 256 * (json_array_size(items) + 1), off = 0;
    char *out = calloc(1, cap);
    for (size_t i = 0; i < json_array_size(items); i++) {
        json_t *it = json_array_get(items, i);
        off += (size_t)snprintf(out + off, cap - off, "%s%s:%lld:", i ? " " : "", jstr(it, "id"),
                                (long long)json_integer_value(json_object_get(it, "depth")));
        json_t *l = json_object_get(it, links);
        for (size_t j = 0; j < json_array_size(l); j++)
            off += (size_t)snprintf(out + off, cap - off, "%s%s", j ? "|" : "",
                                    json_string_value(json_array_get(l, j)));
    }
    return out;
}

static char *ancestors(const char *id)
{
    struct resp *r = reqf(&srv, "GET", NULL, "/customers/%s/ancestors", id);
    cr_assert_eq(r->status, 200, "%s", r->body);
    char *s = nodes_of(json_object_get(r->json, "items"), "via");
    resp_free(r);
    return s;
}

/* Every descendant, walked page by page with `limit` (and `extra` query). */
static char *descendants(const char *id, int limit, const char *extra)
{
    json_t *all = json_array();
    char after[2048] = "";
    long long total = -1;
    for (int guard = 0; guard < 10000; guard++) {
        struct resp *r = reqf(&srv, "GET", NULL, "/customers/%s/descendants?limit=%d%s%s%s", id,
                              limit, extra, *after ? "&after=" : "", after);
        cr_assert_eq(r->status, 200, "%s", r->body);
        json_t *items = json_object_get(r->json, "items");
        for (size_t i = 0; i < json_array_size(items); i++)
            json_array_append(all, json_array_get(items, i));
        total = page_total(r);
        const char *next = jstr(json_object_get(r->json, "pagination"), "after");
        snprintf(after, sizeof(after), "%s", next ? next : "");
        resp_free(r);
        if (!*after)
            break;
    }
    cr_assert_eq((long long)json_array_size(all), total);
    char *s = nodes_of(all, "parentIds");
    json_decref(all);
    return s;
}

/* The ids in order a < b as two strings, for expected link lists. */
static char *pair(const char *a, const char *b)
{
    char *out = malloc(80);
    snprintf(out, 80, "%s|%s", strcmp(a, b) < 0 ? a : b, strcmp(a, b) < 0 ? b : a);
    return out;
}

Test(tree, a_diamond_reads_each_customer_once_at_its_least_depth)
{
    char *a = make_customer(&srv, NULL, "A"), *b = make_customer(&srv, NULL, "B");
    char *c = make_customer(&srv, NULL, "C"), *d = make_customer(&srv, NULL, "D");
    char *e = make_customer(&srv, NULL, "E");
    char csv[200];
    snprintf(csv, sizeof(csv), "%s,%s", b, c);
    char *oa = org(a, csv);
    char *ob = org(b, d), *oc = org(c, d), *od = org(d, e);
    /* a customer that is also a direct member of A: D at depth 1 and 2 */
    struct resp *r = reqf(&srv, "GET", NULL, "/customers/%s/ancestors", e);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "customerId"), e);
    json_t *items = json_object_get(r->json, "items");
    cr_assert_eq(json_array_size(items), 4, "%s", r->body);
    json_t *first = json_array_get(items, 0);
    cr_assert_str_eq(jstr(first, "id"), d);
    cr_assert_str_eq(jstr(first, "legalName"), "D");
    cr_assert_str_eq(jstr(first, "organizationId"), od);
    resp_free(r);
    char *bc = pair(b, c), want[2048];
    char *s = ancestors(e);
    char first_two[400];
    snprintf(first_two, sizeof(first_two), "%s:2:%s %s:2:%s", strcmp(b, c) < 0 ? b : c, d,
             strcmp(b, c) < 0 ? c : b, d);
    snprintf(want, sizeof(want), "%s:1:%s %s %s:3:%s", d, e, first_two, a, bc);
    cr_assert_str_eq(s, want);
    free(s);

    s = descendants(a, 100, "");
    snprintf(want, sizeof(want), "%s:1:%s %s:1:%s %s:2:%s %s:3:%s", strcmp(b, c) < 0 ? b : c, a,
             strcmp(b, c) < 0 ? c : b, a, d, bc, e, d);
    cr_assert_str_eq(s, want);
    /* the same walked one by one, and to a depth */
    char *one = descendants(a, 1, "");
    cr_assert_str_eq(one, want);
    char *two = descendants(a, 2, "&maxDepth=2");
    cr_assert(strstr(want, two) == want && !strstr(two, e), "%s", two);
    free(s);
    free(one);
    free(two);

    /* backwards from the last page */
    r = reqf(&srv, "GET", NULL, "/customers/%s/descendants?limit=2", a);
    const char *after = jstr(json_object_get(r->json, "pagination"), "after");
    cr_assert(after);
    struct resp *r2 =
        reqf(&srv, "GET", NULL, "/customers/%s/descendants?limit=2&after=%s", a, after);
    cr_assert_eq(r2->status, 200);
    const char *before = jstr(json_object_get(r2->json, "pagination"), "before");
    cr_assert(before);
    struct resp *r3 =
        reqf(&srv, "GET", NULL, "/customers/%s/descendants?limit=2&before=%s", a, before);
    cr_assert_eq(r3->status, 200);
    char *p1 = nodes_of(json_object_get(r->json, "items"), "parentIds");
    char *p3 = nodes_of(json_object_get(r3->json, "items"), "parentIds");
    cr_assert_str_eq(p1, p3);
    free(p1);
    free(p3);
    resp_free(r);
    resp_free(r2);
    resp_free(r3);

    /* an organization's tree to a depth */
    r = reqf(&srv, "GET", NULL, "/customer-organizations/%s/tree?maxDepth=2", oa);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "ownerId"), a);
    cr_assert_eq(json_integer_value(json_object_get(r->json, "total")), 3);
    cr_assert_eq(json_array_size(json_object_get(r->json, "items")), 3);
    resp_free(r);
    r = reqf(&srv, "GET", NULL, "/customer-organizations/%s/tree", ob);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_eq(json_array_size(json_object_get(r->json, "items")), 1); /* maxDepth 1 */
    resp_free(r);

    /* a top customer has no ancestors; a leaf no descendants */
    s = ancestors(a);
    cr_assert_str_eq(s, "");
    free(s);
    s = descendants(e, 20, "");
    cr_assert_str_eq(s, "");
    free(s);
    free(bc);
    free(a), free(b), free(c), free(d), free(e), free(oa), free(ob), free(oc), free(od);
}

Test(tree, unknown_ids_and_bad_parameters)
{
    const char *ghost = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
    const char *paths[] = {"/customers/%s/ancestors", "/customers/%s/descendants",
                           "/customer-organizations/%s/tree"};
    for (size_t i = 0; i < 3; i++) {
        struct resp *r = reqf(&srv, "GET", NULL, paths[i], ghost);
        cr_assert_eq(r->status, 404, "%s", r->body);
        cr_assert_str_eq(err_type_of(r), "NotFound");
        resp_free(r);
        r = reqf(&srv, "GET", NULL, paths[i], "not-an-id");
        cr_assert_eq(r->status, 404, "%s", r->body);
        resp_free(r);
    }
    char *a = make_customer(&srv, NULL, "A");
    const char *bad[] = {"maxDepth=0", "maxDepth=x", "maxDepth=1000001", "limit=0", "after=zzz"};
    for (size_t i = 0; i < 5; i++) {
        struct resp *r = reqf(&srv, "GET", NULL, "/customers/%s/descendants?%s", a, bad[i]);
        cr_assert_eq(r->status, 400, "%s: %s", bad[i], r->body);
        resp_free(r);
    }
    /* a cursor of another list */
    struct resp *r = req(&srv, "GET", "/customers?limit=1", NULL, NULL);
    free(make_customer(&srv, NULL, "B"));
    resp_free(r);
    r = req(&srv, "GET", "/customers?limit=1", NULL, NULL);
    const char *other = jstr(json_object_get(r->json, "pagination"), "after");
    cr_assert(other);
    struct resp *r2 = reqf(&srv, "GET", NULL, "/customers/%s/descendants?after=%s", a, other);
    cr_assert_eq(r2->status, 400, "%s", r2->body);
    cr_assert_str_eq(err_type_of(r2), "InvalidCursor");
    resp_free(r2);
    resp_free(r);
    free(a);
}

/* ---- the depth limit (max_depth 2) and the tree's size (tree_nodes 3) ---- */

/* METHOD path (printf-style) with `body` answers `status`, and when `type`
 * is not NULL the error `type` on `field`. */
static void answers(const char *method, const char *body, long status, const char *type,
                    const char *field, const char *fmt, const char *id)
{
    struct resp *r = reqf(&srv, method, body, fmt, id);
    cr_assert_eq(r->status, status, "%s %s: %s", method, fmt, r->body);
    if (type) {
        cr_assert_str_eq(err_type_of(r), type);
        cr_assert_str_eq(err_field_of(r), field);
    }
    resp_free(r);
}

/* {"customerIds":["id"]} in a static buffer. */
static const char *just(const char *id)
{
    static char body[128];
    snprintf(body, sizeof(body), "{\"customerIds\":[\"%s\"]}", id);
    return body;
}

Test(tree_shallow, a_write_past_max_depth_is_409_on_every_path)
{
    char *a = make_customer(&srv, NULL, "A"), *b = make_customer(&srv, NULL, "B");
    char *c = make_customer(&srv, NULL, "C"), *d = make_customer(&srv, NULL, "D");
    char *x = make_customer(&srv, NULL, "X");
    char *oa = org(a, b), *ob = org(b, c); /* A -> B -> C: 2 levels */
    /* create: C -> D would be level 3 */
    struct resp *r = create_org(c, d);
    cr_assert_eq(r->status, 409, "%s", r->body);
    cr_assert_str_eq(err_type_of(r), "HierarchyTooDeep");
    cr_assert_str_eq(err_field_of(r), "memberIds");
    const char *msg = jstr(json_object_get(r->json, "error"), "message");
    cr_assert(msg && strstr(msg, "at most 2 levels"), "%s", msg);
    json_t *ids = json_object_get(json_object_get(r->json, "error"), "customerIds");
    cr_assert_eq(json_array_size(ids), 1);
    cr_assert_str_eq(json_string_value(json_array_get(ids, 0)), d);
    resp_free(r);
    /* members add and replace: a tall subtree below the member (X -> D
     * under A's chain) */
    char *ox = org(x, d);
    const char *members = "/customer-organizations/%s/members";
    answers("POST", just(a), 409, "HierarchyTooDeep", "customerIds", members, ox);
    answers("PUT", just(a), 409, "HierarchyTooDeep", "customerIds", members, ox);
    /* parentId on create and update */
    char cbody[2048];
    write_customer_body(cbody, sizeof(cbody), "Deep");
    size_t len = strlen(cbody);
    snprintf(cbody + len - 1, sizeof(cbody) - len + 1, ",\"parentId\":\"%s\"}", c);
    answers("POST", cbody, 409, "HierarchyTooDeep", "parentId", "/customers%s", "");
    answers("PUT", cbody, 409, "HierarchyTooDeep", "parentId", "/customers/%s", d);
    /* within the limit: D joins B's organization (level 2); X does not,
     * since X owns D: A -> B -> X -> D is 3 levels */
    answers("POST", just(d), 200, NULL, NULL, members, ob);
    answers("POST", just(x), 409, "HierarchyTooDeep", "customerIds", members, ob);
    /* an organization's tree larger than tree_nodes (3): A's holds B, C, D,
     * then Y too */
    const char *tree = "/customer-organizations/%s/tree?maxDepth=5";
    answers("GET", NULL, 200, NULL, NULL, tree, oa);
    char *y = make_customer(&srv, NULL, "Y");
    answers("POST", just(y), 200, NULL, NULL, members, oa);
    answers("GET", NULL, 400, "LimitExceeded", "maxDepth", tree, oa);
    answers("GET", NULL, 200, NULL, NULL, "/customer-organizations/%s/tree?maxDepth=1", oa);
    free(a), free(b), free(c), free(d), free(x), free(y), free(oa), free(ob), free(ox);
}

/* ---- dry runs ---- */

/* Drops, at every level, what differs between two runs of a create: ids
 * the server makes, times, the request id. */
static void strip(json_t *j)
{
    const char *drop[] = {"id", "createdAt", "updatedAt", "requestId"};
    if (json_is_object(j)) {
        for (size_t i = 0; i < 4; i++)
            json_object_del(j, drop[i]);
        const char *k;
        json_t *v;
        json_object_foreach(j, k, v) strip(v);
    } else if (json_is_array(j)) {
        for (size_t i = 0; i < json_array_size(j); i++)
            strip(json_array_get(j, i));
    }
}

/* The body, stripped, as compact text (malloc'd). */
static char *stable(json_t *j)
{
    json_t *copy = json_deep_copy(j);
    strip(copy);
    char *s = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(copy);
    return s;
}

static char *state(void)
{
    struct resp *r = req(&srv, "GET", "/customer-organizations?limit=100", NULL, NULL);
    cr_assert_eq(r->status, 200);
    char *s = json_dumps(json_object_get(r->json, "items"), JSON_COMPACT | JSON_SORT_KEYS);
    resp_free(r);
    return s;
}

/* The dry run of METHOD path body answers as the write then does, and
 * changes nothing itself. */
static void dry_then_real(const char *method, const char *path, const char *body, long status)
{
    char dry[1024];
    snprintf(dry, sizeof(dry), "%s%sdryRun=true", path, strchr(path, '?') ? "&" : "?");
    char *before = state();
    struct resp *d = req(&srv, method, dry, body, NULL);
    cr_assert_eq(d->status, status, "%s %s: %s", method, dry, d->body);
    const char *h = resp_header(d, "Kinship-Dry-Run");
    cr_assert(h && strcmp(h, "true") == 0);
    char *after = state();
    cr_assert_str_eq(before, after, "the dry run changed something");
    struct resp *w = req(&srv, method, path, body, NULL);
    cr_assert_eq(w->status, status, "%s %s: %s", method, path, w->body);
    char *sd = stable(d->json), *sw = stable(w->json);
    cr_assert_str_eq(sd, sw);
    free(sd), free(sw), free(before), free(after);
    resp_free(d);
    resp_free(w);
}

Test(tree, a_dry_run_answers_as_the_write_and_changes_nothing)
{
    char *a = make_customer(&srv, NULL, "A"), *b = make_customer(&srv, NULL, "B");
    char *c = make_customer(&srv, NULL, "C");
    char body[512], path[256];
    snprintf(body, sizeof(body), "{\"ownerId\":\"%s\",\"memberIds\":[\"%s\"]}", a, b);
    dry_then_real("POST", "/customer-organizations", body, 201);
    /* illegal: a second organization for A, and a cycle */
    dry_then_real("POST", "/customer-organizations", body, 409);
    snprintf(body, sizeof(body), "{\"ownerId\":\"%s\",\"memberIds\":[\"%s\"]}", b, a);
    dry_then_real("POST", "/customer-organizations", body, 409);
    struct resp *r = reqf(&srv, "GET", NULL, "/customer-organizations?ownerId=%s", a);
    char *oa = strdup(jstr(json_array_get(json_object_get(r->json, "items"), 0), "id"));
    resp_free(r);
    snprintf(path, sizeof(path), "/customer-organizations/%s/members", oa);
    snprintf(body, sizeof(body), "{\"customerIds\":[\"%s\"]}", c);
    dry_then_real("POST", path, body, 200);
    dry_then_real("PUT", path, body, 200);
    snprintf(body, sizeof(body), "{\"customerIds\":[\"%s\"]}", a);
    dry_then_real("POST", path, body, 200); /* the owner: left out (R3) */
    snprintf(body, sizeof(body), "{\"customerIds\":[\"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b\"]}");
    dry_then_real("PUT", path, body, 400);
    snprintf(path, sizeof(path), "/customer-organizations/%s/members/%s", oa, c);
    dry_then_real("DELETE", path, NULL, 200);
    dry_then_real("DELETE", path, NULL, 404);
    /* parentId on a customer's create and update */
    char cbody[2048];
    write_customer_body(cbody, sizeof(cbody), "Child");
    size_t len = strlen(cbody);
    snprintf(cbody + len - 1, sizeof(cbody) - len + 1, ",\"parentId\":\"%s\"}", c);
    dry_then_real("POST", "/customers", cbody, 201);
    snprintf(path, sizeof(path), "/customers/%s", b);
    dry_then_real("PUT", path, cbody, 200);
    snprintf(path, sizeof(path), "/customer-organizations/%s", oa);
    dry_then_real("DELETE", path, NULL, 200);
    dry_then_real("DELETE", path, NULL, 404);

    /* with an Idempotency-Key: refused; on a write without a dry run: refused */
    snprintf(body, sizeof(body), "{\"ownerId\":\"%s\",\"memberIds\":[]}", c);
    r = req(&srv, "POST", "/customer-organizations?dryRun=true", body,
            (const char *const[]){"Idempotency-Key: k1", NULL});
    cr_assert_eq(r->status, 400, "%s", r->body);
    cr_assert_str_eq(err_field_of(r), "dryRun");
    resp_free(r);
    r = reqf(&srv, "POST", NULL, "/customers/%s/archive?dryRun=true", c);
    cr_assert_eq(r->status, 400, "%s", r->body);
    cr_assert_str_eq(err_field_of(r), "dryRun");
    resp_free(r);
    r = req(&srv, "POST", "/customer-organizations?dryRun=yes", body, NULL);
    cr_assert_eq(r->status, 400, "%s", r->body);
    resp_free(r);
    r = reqf(&srv, "GET", NULL, "/customers/%s", c);
    cr_assert(!json_object_get(r->json, "archivedAt") ||
                  json_is_null(json_object_get(r->json, "archivedAt")),
              "%s", r->body);
    resp_free(r);
    free(a), free(b), free(c), free(oa);
}

/* ---- the reference model ---- */

#define NC 14
#define LIMIT 4 /* the suite's max_depth */

struct model {
    char *ids[NC];
    bool member[NC][NC]; /* member[o][m]: m is in the organization o owns */
    bool owns[NC];
    char org_id[NC][40];
};

static int index_of(struct model *m, const char *id)
{
    for (int i = 0; i < NC; i++)
        if (strcmp(m->ids[i], id) == 0)
            return i;
    cr_assert_fail("unknown id %s", id);
    return -1;
}

/* The organizations as the API reads them back. */
static void model_read(struct model *m)
{
    memset(m->member, 0, sizeof(m->member));
    memset(m->owns, 0, sizeof(m->owns));
    char after[2048] = "";
    for (;;) {
        struct resp *r = reqf(&srv, "GET", NULL, "/customer-organizations?limit=100%s%s",
                              *after ? "&after=" : "", after);
        cr_assert_eq(r->status, 200);
        json_t *items = json_object_get(r->json, "items");
        for (size_t i = 0; i < json_array_size(items); i++) {
            json_t *o = json_array_get(items, i);
            int ow = index_of(m, jstr(json_object_get(o, "owner"), "id"));
            m->owns[ow] = true;
            snprintf(m->org_id[ow], sizeof(m->org_id[ow]), "%s", jstr(o, "id"));
            json_t *mem = json_object_get(o, "members");
            for (size_t j = 0; j < json_array_size(mem); j++)
                m->member[ow][index_of(m, jstr(json_array_get(mem, j), "id"))] = true;
        }
        const char *next = jstr(json_object_get(r->json, "pagination"), "after");
        snprintf(after, sizeof(after), "%s", next ? next : "");
        resp_free(r);
        if (!*after)
            break;
    }
}

static int id_cmp(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The least depth of each customer from `from`, up (ancestors) or down,
 * to `maxd` steps. */
static void walk(struct model *m, int from, bool up, int maxd, int *depth)
{
    for (int i = 0; i < NC; i++)
        depth[i] = -1;
    depth[from] = 0;
    for (int d = 0; d < maxd; d++)
        for (int i = 0; i < NC; i++)
            if (depth[i] == d)
                for (int j = 0; j < NC; j++)
                    if (depth[j] < 0 && (up ? m->member[j][i] : m->member[i][j]))
                        depth[j] = d + 1;
}

/* The expected text of nodes_of for a read from `from` to `maxd` steps:
 * each customer at its least depth, linked to those the walk reached it
 * from (within the answer, at a depth less than maxd). */
static char *expect(struct model *m, int from, bool up, int maxd)
{
    int depth[NC];
    walk(m, from, up, maxd, depth);
    char *order[NC];
    int n = 0;
    for (int d = 1; d < NC; d++) {
        int first = n;
        for (int i = 0; i < NC; i++)
            if (depth[i] == d)
                order[n++] = m->ids[i];
        qsort(order + first, (size_t)(n - first), sizeof(*order), id_cmp);
    }
    char *out = calloc(1, 8192);
    size_t off = 0;
    for (int k = 0; k < n; k++) {
        int i = index_of(m, order[k]);
        char *links[NC];
        int nl = 0;
        for (int j = 0; j < NC; j++)
            if (depth[j] >= 0 && depth[j] < maxd && (up ? m->member[i][j] : m->member[j][i]))
                links[nl++] = m->ids[j];
        qsort(links, (size_t)nl, sizeof(*links), id_cmp);
        off +=
            (size_t)snprintf(out + off, 8192 - off, "%s%s:%d:", k ? " " : "", order[k], depth[i]);
        for (int l = 0; l < nl; l++)
            off += (size_t)snprintf(out + off, 8192 - off, "%s%s", l ? "|" : "", links[l]);
    }
    return out;
}

/* The longest chain of steps below i. */
static int height(struct model *m, int i)
{
    int h = 0;
    for (int j = 0; j < NC; j++)
        if (m->member[i][j]) {
            int hj = 1 + height(m, j);
            h = hj > h ? hj : h;
        }
    return h;
}

static void model_check(struct model *m)
{
    model_read(m);
    for (int i = 0; i < NC; i++) {
        cr_assert_leq(height(m, i), LIMIT, "a chain deeper than max_depth");
        char *got = ancestors(m->ids[i]), *want = expect(m, i, true, NC);
        cr_assert_str_eq(got, want, "ancestors of %d", i);
        free(got), free(want);
        got = descendants(m->ids[i], 3, "");
        want = expect(m, i, false, NC);
        cr_assert_str_eq(got, want, "descendants of %d", i);
        free(got), free(want);
        got = descendants(m->ids[i], 2, "&maxDepth=2");
        want = expect(m, i, false, 2);
        cr_assert_str_eq(got, want, "descendants of %d to depth 2", i);
        free(got), free(want);
    }
}

static unsigned rnd(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return (*s >> 16) & 0x7fff;
}

/* A JSON array of a few random customers' ids. */
static void some_ids(struct model *m, unsigned *s, char *out, size_t cap)
{
    int k = (int)(rnd(s) % 4);
    size_t off = (size_t)snprintf(out, cap, "[");
    for (int i = 0; i < k; i++)
        off +=
            (size_t)snprintf(out + off, cap - off, "%s\"%s\"", i ? "," : "", m->ids[rnd(s) % NC]);
    snprintf(out + off, cap - off, "]");
}

Test(tree_model, tree_reads_equal_the_model_after_random_writes)
{
    struct model m;
    for (int i = 0; i < NC; i++) {
        char name[16];
        snprintf(name, sizeof(name), "M%d", i);
        m.ids[i] = make_customer(&srv, NULL, name);
    }
    unsigned seed = 20261203u;
    int ok = 0, refused = 0;
    for (int step = 0; step < 300; step++) {
        int who = (int)(rnd(&seed) % NC), op = (int)(rnd(&seed) % 100);
        char ids[1024], body[1200];
        some_ids(&m, &seed, ids, sizeof(ids));
        struct resp *r;
        if (!m.owns[who] || op < 15) {
            snprintf(body, sizeof(body), "{\"ownerId\":\"%s\",\"memberIds\":%s}", m.ids[who], ids);
            r = req(&srv, "POST", "/customer-organizations", body, NULL);
        } else if (op < 55) {
            snprintf(body, sizeof(body), "{\"customerIds\":%s}", ids);
            r = reqf(&srv, "POST", body, "/customer-organizations/%s/members", m.org_id[who]);
        } else if (op < 70) {
            snprintf(body, sizeof(body), "{\"customerIds\":%s}", ids);
            r = reqf(&srv, "PUT", body, "/customer-organizations/%s/members", m.org_id[who]);
        } else if (op < 88) {
            r = reqf(&srv, "DELETE", NULL, "/customer-organizations/%s/members/%s", m.org_id[who],
                     m.ids[rnd(&seed) % NC]);
        } else if (op < 97) {
            r = reqf(&srv, "DELETE", NULL, "/customer-organizations/%s", m.org_id[who]);
        } else {
            r = reqf(&srv, "POST", NULL, "/customers/%s/archive", m.ids[who]);
        }
        cr_assert(r->status < 500, "step %d: %ld %s", step, r->status, r->body);
        if (r->status < 300)
            ok++;
        else
            refused++;
        resp_free(r);
        if (step % 3 == 2)
            model_check(&m);
        else
            model_read(&m);
    }
    cr_assert_gt(ok, 50);
    cr_assert_gt(refused, 10);
    model_check(&m);
    for (int i = 0; i < NC; i++)
        free(m.ids[i]);
}
