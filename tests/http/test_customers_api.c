/* GET /customers (filters, sorting, limits, cursors), PUT /customers/{id}
 * (full replace), POST /customers/{id}/archive, parentId (R2),
 * customerAliases, GET /customers/by-alias/{alias} and
 * GET /customer-custom-property-keys, against the real server. */
#include "harness.h"

#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

HTTP_SUITE(customers_api, 300);

#define ADDR "{\"line1\":\"1 Road\",\"town\":\"Leeds\",\"postcode\":\"LS1 1AA\",\"country\":\"GB\"}"
#define GHOST "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"

/* A valid customer body: legalName `name`, one PRIMARY contact with
 * `email` (NULL: a default one), and `extra` members when not NULL
 * ("\"label\":\"x\"" style, no leading comma). malloc'd. */
static char *body_of(const char *name, const char *email, const char *extra)
{
    char *b = NULL;
    int n = asprintf(&b,
                     "{\"legalName\":\"%s\",\"address\":" ADDR ",\"taxStatus\":\"TAXED\","
                     "\"contacts\":[{\"name\":\"Ann\",\"email\":\"%s\","
                     "\"billingPreference\":\"PRIMARY\"}]%s%s}",
                     name, email ? email : "ann@example.com", extra ? "," : "", extra ? extra : "");
    cr_assert(n > 0);
    return b;
}

/* POSTs `body` (taking it), asserts 201 and returns the new id (malloc'd). */
static char *create_body(char *body)
{
    struct resp *r = req(&srv, "POST", "/customers", body, NULL);
    cr_assert_eq(r->status, 201, "create: %ld %s\n%s", r->status, r->body, body);
    char *id = strdup(jstr(r->json, "id"));
    resp_free(r);
    free(body);
    return id;
}

static char *create(const char *name, const char *email, const char *extra)
{
    return create_body(body_of(name, email, extra));
}

static struct resp *get_customer(const char *id)
{
    return reqf(&srv, "GET", NULL, "/customers/%s", id);
}

static struct resp *put_customer(const char *id, const char *body)
{
    return reqf(&srv, "PUT", body, "/customers/%s", id);
}

static long long customer_count(bool archived_too)
{
    struct resp *r = req(
        &srv, "GET", archived_too ? "/customers?includeArchived=true" : "/customers", NULL, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    long long n = page_total(r);
    resp_free(r);
    return n;
}

static void archive(const char *id)
{
    struct resp *r = reqf(&srv, "POST", NULL, "/customers/%s/archive", id);
    cr_assert_eq(r->status, 200, "archive: %s", r->body);
    resp_free(r);
}

/* Asserts that GET /customers?<query> lists exactly `ids` (NULL-terminated),
 * in that order, with totalResultSize counting them. */
static void expect_list(const char *query, const char *const *ids)
{
    char path[1024];
    snprintf(path, sizeof(path), "/customers?limit=100%s%s", *query ? "&" : "", query);
    struct resp *r = req(&srv, "GET", path, NULL, NULL);
    cr_assert_eq(r->status, 200, "%s: %ld %s", query, r->status, r->body);
    json_t *items = json_object_get(r->json, "items");
    size_t want = 0;
    while (ids[want])
        want++;
    cr_assert_eq(json_array_size(items), want, "%s: want %zu items, got %s", query, want, r->body);
    for (size_t i = 0; i < want; i++)
        cr_assert_str_eq(jstr(json_array_get(items, i), "id"), ids[i], "%s: item %zu: %s", query, i,
                         r->body);
    cr_assert_eq(page_total(r), (long long)want, "%s: totalResultSize: %s", query, r->body);
    resp_free(r);
}

static void expect_error(struct resp *r, long status, const char *type, const char *field,
                         const char *what)
{
    cr_assert_eq(r->status, status, "%s: want %ld, got %ld %s", what, status, r->status, r->body);
    cr_assert_str_eq(err_type_of(r), type, "%s: %s", what, r->body);
    if (field)
        cr_assert_str_eq(err_field_of(r), field, "%s: %s", what, r->body);
}

/* ------------------------------------------------------------------ */
/* filters                                                             */

Test(customers_api, filters_narrow_the_list)
{
    char *alpha = create("Alpha Widgets Ltd", "ann@alpha.test",
                         "\"label\":\"Enterprise\",\"customerAliases\":[\"crm-alpha\"]");
    char *beta = create("Beta Widgets", "Bob@Beta.test", "\"label\":\"smb\"");
    char *gamma = create("Gamma Tools", "cy@gamma.test",
                         "\"label\":\"enterprise-plus\",\"customerAliases\":[\"crm-gamma\"]");
    char *pct = create("100% Cotton", "dee@cotton.test", NULL);
    char *zeros = create("1000 Cotton", "eve@cotton.test", NULL);
    char *gone = create("Archived Widgets", "ann@alpha.test", "\"customerAliases\":[\"crm-old\"]");
    archive(gone);

    struct {
        const char *query;
        const char *ids[8];
    } cases[] = {
        {"", {zeros, pct, gamma, beta, alpha}},
        {"includeArchived=false", {zeros, pct, gamma, beta, alpha}},
        {"includeArchived=true", {gone, zeros, pct, gamma, beta, alpha}},
        /* legalName: case-insensitive substring */
        {"legalName=widgets", {beta, alpha}},
        {"legalName=WIDGETS&includeArchived=true", {gone, beta, alpha}},
        {"legalName=Alpha%20Widgets%20Ltd", {alpha}},
        /* LIKE wildcards in the filter are literal characters */
        {"legalName=0%25", {pct}},
        {"legalName=_", {NULL}},
        {"legalName=nobody", {NULL}},
        /* email: a current contact's whole address, any case */
        {"email=ann@alpha.test", {alpha}},
        {"email=ann@alpha.test&includeArchived=true", {gone, alpha}},
        {"email=bob@beta.test", {beta}},
        {"email=BOB@BETA.TEST", {beta}},
        {"email=alpha.test", {NULL}},
        /* alias: an alias value, exactly */
        {"alias=crm-alpha", {alpha}},
        {"alias=crm-gamma", {gamma}},
        {"alias=crm", {NULL}},
        {"alias=crm-old", {NULL}},
        {"alias=crm-old&includeArchived=true", {gone}},
        /* label: case-insensitive substring */
        {"label=enterprise", {gamma, alpha}},
        {"label=SMB", {beta}},
        {"label=plus", {gamma}},
        /* filters combine */
        {"legalName=widgets&label=enterprise", {alpha}},
        {"legalName=cotton&email=dee@cotton.test", {pct}},
        {"legalName=widgets&alias=crm-gamma", {NULL}},
        /* kinship keeps no billing schedules: every customer is INACTIVE */
        {"billingStatus=ACTIVE", {NULL}},
        {"billingStatus=INACTIVE", {zeros, pct, gamma, beta, alpha}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
        expect_list(cases[i].query, cases[i].ids);

    /* List items are ListCustomerResponseModel: no contacts, no status. */
    struct resp *r = req(&srv, "GET", "/customers?alias=crm-alpha", NULL, NULL);
    json_t *it = json_array_get(json_object_get(r->json, "items"), 0);
    cr_assert_str_eq(jstr(it, "legalName"), "Alpha Widgets Ltd");
    cr_assert_str_eq(jstr(it, "label"), "Enterprise");
    cr_assert(json_is_array(json_object_get(it, "organizations")), "%s", r->body);
    cr_assert(json_is_object(json_object_get(it, "customProperties")), "%s", r->body);
    cr_assert(json_is_object(json_object_get(it, "address")), "%s", r->body);
    cr_assert_null(json_object_get(it, "contacts"), "%s", r->body);
    cr_assert_null(json_object_get(it, "archivedAt"), "%s", r->body);
    resp_free(r);
    r = req(&srv, "GET", "/customers?includeArchived=true&alias=crm-old", NULL, NULL);
    it = json_array_get(json_object_get(r->json, "items"), 0);
    cr_assert(jstr(it, "archivedAt"), "archived items say so: %s", r->body);
    resp_free(r);

    free(alpha);
    free(beta);
    free(gamma);
    free(pct);
    free(zeros);
    free(gone);
}

Test(customers_api, bad_query_parameters_are_400)
{
    free(create("Someone", NULL, NULL));
    struct {
        const char *query, *field;
    } cases[] = {
        {"includeArchived=yes", "includeArchived"},
        {"includeArchived=", "includeArchived"},
        {"includeArchived=TRUE", "includeArchived"},
        {"legalName=", "legalName"},
        {"email=", "email"},
        {"alias=", "alias"},
        {"label=", "label"},
        {"sortBy=name", "sortBy"},
        {"sortBy=customProperties.", "sortBy"},
        {"sortBy=customProperties", "sortBy"},
        {"sortBy=", "sortBy"},
        {"sortOrder=asc", "sortOrder"},
        {"sortOrder=UP", "sortOrder"},
        {"billingStatus=GONE", "billingStatus"},
    }; /* bad limits: test_paging.c, for every list */
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        struct resp *r = reqf(&srv, "GET", NULL, "/customers?%s", cases[i].query);
        expect_error(r, 400, "InvalidQueryParameter", cases[i].field, cases[i].query);
        resp_free(r);
    }
}

/* ------------------------------------------------------------------ */
/* sorting                                                             */

Test(customers_api, sort_by_every_column_and_order)
{
    char *charlie =
        create("Charlie", NULL, "\"label\":\"b\",\"customProperties\":{\"tier\":\"gold\"}");
    char *alpha = create("Alpha", NULL, "\"customProperties\":{\"tier\":\"bronze\"}");
    char *delta = create("Delta", NULL, "\"label\":\"a\"");
    char *bravo = create("Bravo", NULL,
                         "\"label\":\"c\",\"customProperties\":{\"tier\":\"silver\",\"x\":\"1\"}");
    struct {
        const char *query;
        const char *ids[5];
    } cases[] = {
        {"", {bravo, delta, alpha, charlie}}, /* newest first */
        {"sortOrder=DESC", {bravo, delta, alpha, charlie}},
        {"sortOrder=ASC", {charlie, alpha, delta, bravo}},
        {"sortBy=createdAt", {bravo, delta, alpha, charlie}},
        {"sortBy=createdAt&sortOrder=ASC", {charlie, alpha, delta, bravo}},
        {"sortBy=legalName&sortOrder=ASC", {alpha, bravo, charlie, delta}},
        {"sortBy=legalName", {delta, charlie, bravo, alpha}},
        {"sortBy=legalName&sortOrder=DESC", {delta, charlie, bravo, alpha}},
        /* no label sorts as the empty string */
        {"sortBy=label&sortOrder=ASC", {alpha, delta, charlie, bravo}},
        {"sortBy=label&sortOrder=DESC", {bravo, charlie, delta, alpha}},
        /* no such property sorts as the empty string */
        {"sortBy=customProperties.tier&sortOrder=ASC", {delta, alpha, charlie, bravo}},
        {"sortBy=customProperties.tier&sortOrder=DESC", {bravo, charlie, alpha, delta}},
        /* nobody has it: ties broken by id, which follows creation */
        {"sortBy=customProperties.nothing&sortOrder=ASC", {charlie, alpha, delta, bravo}},
        {"sortBy=customProperties.nothing&sortOrder=DESC", {bravo, delta, alpha, charlie}},
        /* sorting composes with filters */
        {"sortBy=legalName&sortOrder=ASC&label=b", {charlie}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
        expect_list(cases[i].query, cases[i].ids);
    free(alpha);
    free(bravo);
    free(charlie);
    free(delta);
}

/* ------------------------------------------------------------------ */
/* cursors                                                             */

/* Every customer the cursor tests created, in creation order. */
struct reg {
    char id[40];
    char name[32];
    char rank[32]; /* "" when the customer has no rank property */
    int seq;
};

static struct reg regs[300];
static int n_regs;

static int reg_add(const char *name, const char *rank)
{
    cr_assert(n_regs < (int)(sizeof(regs) / sizeof(*regs)));
    char extra[96];
    if (rank)
        snprintf(extra, sizeof(extra), "\"customProperties\":{\"rank\":\"%s\"}", rank);
    char *id = create(name, NULL, rank ? extra : NULL);
    struct reg *r = &regs[n_regs];
    snprintf(r->id, sizeof(r->id), "%s", id);
    snprintf(r->name, sizeof(r->name), "%s", name);
    snprintf(r->rank, sizeof(r->rank), "%s", rank ? rank : "");
    r->seq = n_regs;
    free(id);
    return n_regs++;
}

static const struct reg *reg_find(const char *id)
{
    for (int i = 0; i < n_regs; i++)
        if (strcmp(regs[i].id, id) == 0)
            return &regs[i];
    cr_assert_fail("the list returned a customer this test did not create: %s", id);
    return NULL;
}

enum key_kind { K_CREATED, K_NAME, K_RANK };

struct sort_case {
    const char *sort_by, *order;
    enum key_kind key;
};

/* The server's order: (sort key, id), creation order for createdAt (ids
 * are time-ordered and created_at never runs backwards). */
static int key_cmp(const struct reg *a, const struct reg *b, enum key_kind k)
{
    if (k == K_CREATED)
        return (a->seq > b->seq) - (a->seq < b->seq);
    int c = strcmp(k == K_NAME ? a->name : a->rank, k == K_NAME ? b->name : b->rank);
    return c ? c : strcmp(a->id, b->id);
}

/* < 0 when a comes before b in page order. */
static int page_cmp(const struct reg *a, const struct reg *b, const struct sort_case *sc)
{
    int c = key_cmp(a, b, sc->key);
    return strcmp(sc->order, "ASC") == 0 ? c : -c;
}

struct page {
    const struct reg *items[100];
    size_t n;
    char *after, *before;
    int regs_at_fetch;
};

static void page_free(struct page *p)
{
    free(p->after);
    free(p->before);
    memset(p, 0, sizeof(*p));
}

static void fetch(const struct sort_case *sc, int limit, const char *dir, const char *cursor,
                  struct page *p)
{
    char path[2048];
    snprintf(path, sizeof(path), "/customers?sortBy=%s&sortOrder=%s&limit=%d%s%s%s%s", sc->sort_by,
             sc->order, limit, cursor ? "&" : "", cursor ? dir : "", cursor ? "=" : "",
             cursor ? cursor : "");
    page_free(p);
    p->regs_at_fetch = n_regs;
    struct resp *r = req(&srv, "GET", path, NULL, NULL);
    cr_assert_eq(r->status, 200, "%s: %s", path, r->body);
    json_t *items = json_object_get(r->json, "items");
    p->n = json_array_size(items);
    cr_assert(p->n <= (size_t)limit, "%s: %s", path, r->body);
    for (size_t i = 0; i < p->n; i++) {
        p->items[i] = reg_find(jstr(json_array_get(items, i), "id"));
        if (i)
            cr_assert(page_cmp(p->items[i - 1], p->items[i], sc) < 0,
                      "%s: items %zu and %zu out of order: %s", path, i - 1, i, r->body);
    }
    json_t *pg = json_object_get(r->json, "pagination");
    const char *a = jstr(pg, "after"), *b = jstr(pg, "before");
    p->after = a ? strdup(a) : NULL;
    p->before = b ? strdup(b) : NULL;
    cr_assert_eq(page_total(r), n_regs, "%s: totalResultSize: %s", path, r->body);
    resp_free(r);
}

/* A customer for between two page requests, somewhere in every order. */
static int insert_between(void)
{
    static const char *const names[] = {"A00", "N03", "N07", "Z99", "N05"};
    static const char *const ranks[] = {NULL, "R00", "R05", "R99", "R03"};
    static int step;
    char name[32], rank[32];
    int k = step++;
    snprintf(name, sizeof(name), "%si%02d", names[k % 5], k);
    if (ranks[(k / 5 + k) % 5])
        snprintf(rank, sizeof(rank), "%si%02d", ranks[(k / 5 + k) % 5], k);
    return reg_add(name, ranks[(k / 5 + k) % 5] ? rank : NULL);
}

struct inserted {
    int idx;
    bool must_appear;
};

/*
 * Walks every page forward with `after`, then back with `before` from the
 * last page, creating a customer between any two page requests. Every
 * customer that existed when a walk began is seen exactly once, in order;
 * a customer created ahead of the walk's position is seen, one created
 * behind it is not.
 */
static void walk(const struct sort_case *sc, int limit)
{
    struct page p = {0};
    bool seen[300] = {false};
    struct inserted ins[100];
    size_t n_ins = 0;

    fetch(sc, limit, NULL, NULL, &p);
    cr_assert_null(p.before, "%s %s: the first page has nothing before it", sc->sort_by, sc->order);
    int originals = p.regs_at_fetch;
    const struct reg *prev = NULL;
    int pages = 0;
    for (;;) {
        pages++;
        for (size_t i = 0; i < p.n; i++) {
            const struct reg *it = p.items[i];
            cr_assert(!seen[it->seq], "%s %s: %s seen twice going forward", sc->sort_by, sc->order,
                      it->name);
            seen[it->seq] = true;
            if (prev)
                cr_assert(page_cmp(prev, it, sc) < 0, "%s %s: page %d starts out of order",
                          sc->sort_by, sc->order, pages);
            prev = it;
        }
        if (!p.after)
            break;
        cr_assert_eq(p.n, (size_t)limit, "only the last page may be short");
        cr_assert(n_ins < 100);
        int idx = insert_between();
        ins[n_ins].idx = idx;
        ins[n_ins].must_appear = page_cmp(prev, &regs[idx], sc) < 0;
        n_ins++;
        char *cur = strdup(p.after);
        fetch(sc, limit, "after", cur, &p);
        free(cur);
        cr_assert_not_null(p.before, "a page after a cursor has rows before it");
    }
    cr_assert(pages > 3, "the walk spans several pages (%d)", pages);
    for (int i = 0; i < originals; i++)
        cr_assert(seen[i], "%s %s: %s (existing at the start) was never listed going forward",
                  sc->sort_by, sc->order, regs[i].name);
    for (size_t i = 0; i < n_ins; i++)
        cr_assert_eq(seen[ins[i].idx], ins[i].must_appear,
                     "%s %s: %s created during the walk: seen %d, expected %d", sc->sort_by,
                     sc->order, regs[ins[i].idx].name, seen[ins[i].idx], ins[i].must_appear);

    /* Back from the last page. */
    memset(seen, 0, sizeof(seen));
    n_ins = 0;
    originals = p.regs_at_fetch;
    const struct reg *front = p.n ? p.items[0] : NULL;
    for (size_t i = 0; i < p.n; i++)
        seen[p.items[i]->seq] = true;
    pages = 1;
    while (p.before) {
        int idx = insert_between();
        ins[n_ins].idx = idx;
        ins[n_ins].must_appear = page_cmp(&regs[idx], front, sc) < 0;
        n_ins++;
        char *cur = strdup(p.before);
        fetch(sc, limit, "before", cur, &p);
        free(cur);
        pages++;
        cr_assert_not_null(p.after, "a page before a cursor has rows after it");
        cr_assert(p.n > 0);
        cr_assert(page_cmp(p.items[p.n - 1], front, sc) < 0,
                  "%s %s: a page reached with before ends ahead of the cursor", sc->sort_by,
                  sc->order);
        for (size_t i = 0; i < p.n; i++) {
            cr_assert(!seen[p.items[i]->seq], "%s %s: %s seen twice going back", sc->sort_by,
                      sc->order, p.items[i]->name);
            seen[p.items[i]->seq] = true;
        }
        if (p.before)
            cr_assert_eq(p.n, (size_t)limit, "only the first page may be short");
        front = p.items[0];
    }
    cr_assert(pages > 3, "the walk back spans several pages (%d)", pages);
    for (int i = 0; i < originals; i++)
        cr_assert(seen[i], "%s %s: %s (existing at the start) was never listed going back",
                  sc->sort_by, sc->order, regs[i].name);
    for (size_t i = 0; i < n_ins; i++)
        cr_assert_eq(seen[ins[i].idx], ins[i].must_appear,
                     "%s %s: %s created during the walk back: seen %d, expected %d", sc->sort_by,
                     sc->order, regs[ins[i].idx].name, seen[ins[i].idx], ins[i].must_appear);
    page_free(&p);
}

static void seed_walk_customers(void)
{
    /* Repeated names and ranks, so that ties are broken by id across
     * page boundaries; some customers have no rank at all. */
    for (int i = 0; i < 17; i++) {
        char name[16], rank[16];
        snprintf(name, sizeof(name), "N%02d", (i * 5) % 11);
        snprintf(rank, sizeof(rank), "R%02d", (i * 7) % 10);
        reg_add(name, i % 4 == 3 ? NULL : rank);
    }
}

Test(customers_api, cursors_walk_by_creation_time_while_customers_are_added)
{
    seed_walk_customers();
    const struct sort_case cases[] = {
        {"createdAt", "DESC", K_CREATED},
        {"createdAt", "ASC", K_CREATED},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
        walk(&cases[i], 4);
}

Test(customers_api, cursors_walk_by_legal_name_while_customers_are_added)
{
    seed_walk_customers();
    const struct sort_case cases[] = {
        {"legalName", "ASC", K_NAME},
        {"legalName", "DESC", K_NAME},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
        walk(&cases[i], 4);
}

Test(customers_api, cursors_walk_by_custom_property_while_customers_are_added)
{
    seed_walk_customers();
    const struct sort_case cases[] = {
        {"customProperties.rank", "ASC", K_RANK},
        {"customProperties.rank", "DESC", K_RANK},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
        walk(&cases[i], 3);
}

/* base64url without padding, as kinship's cursors are written. */
static void b64url(const char *in, char *out)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t n = strlen(in), o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)(unsigned char)in[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)(unsigned char)in[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)in[i + 2];
        out[o++] = t[(v >> 18) & 63];
        out[o++] = t[(v >> 12) & 63];
        if (i + 1 < n)
            out[o++] = t[(v >> 6) & 63];
        if (i + 2 < n)
            out[o++] = t[v & 63];
    }
    out[o] = '\0';
}

static char *first_cursor(const char *path)
{
    struct resp *r = req(&srv, "GET", path, NULL, NULL);
    cr_assert_eq(r->status, 200, "%s: %s", path, r->body);
    const char *c = jstr(json_object_get(r->json, "pagination"), "after");
    cr_assert(c, "%s has a next page: %s", path, r->body);
    char *out = strdup(c);
    resp_free(r);
    return out;
}

Test(customers_api, cursors_from_another_list_or_garbage_are_400)
{
    char *ids[5];
    for (int i = 0; i < 5; i++) {
        char name[16], extra[64];
        snprintf(name, sizeof(name), "C%d", i);
        snprintf(extra, sizeof(extra), "\"customProperties\":{\"rank\":\"%d\",\"o\":\"%d\"}", i,
                 4 - i);
        ids[i] = create(name, NULL, extra);
    }
    for (int i = 0; i < 2; i++) {
        char body[256];
        snprintf(body, sizeof(body), "{\"customerId\":\"%s\",\"value\":\"alias-%d\"}", ids[i], i);
        struct resp *r = req(&srv, "POST", "/customer-aliases", body, NULL);
        cr_assert_eq(r->status, 201, "%s", r->body);
        resp_free(r);
    }
    char *by_name = first_cursor("/customers?sortBy=legalName&sortOrder=ASC&limit=2");
    char *by_rank = first_cursor("/customers?sortBy=customProperties.rank&sortOrder=ASC&limit=2");
    char *by_time = first_cursor("/customers?limit=2");
    char *aliases = first_cursor("/customer-aliases?limit=1");

    /* The cursors work where they came from. */
    const char *own[][2] = {
        {"sortBy=legalName&sortOrder=ASC", by_name},
        {"sortBy=customProperties.rank&sortOrder=ASC", by_rank},
        {"", by_time},
        {"sortBy=createdAt&sortOrder=DESC", by_time},
    };
    for (size_t i = 0; i < sizeof(own) / sizeof(*own); i++) {
        struct resp *r = reqf(&srv, "GET", NULL, "/customers?%s%slimit=2&after=%s", own[i][0],
                              *own[i][0] ? "&" : "", own[i][1]);
        cr_assert_eq(r->status, 200, "case %zu: %s", i, r->body);
        cr_assert_eq(json_array_size(json_object_get(r->json, "items")), 2, "%s", r->body);
        resp_free(r);
    }

    /* Elsewhere they are refused, as after and as before. */
    const char *foreign[][2] = {
        {"sortBy=legalName&sortOrder=DESC", by_name},
        {"sortBy=legalName", by_name},
        {"sortBy=createdAt&sortOrder=ASC", by_name},
        {"", by_name},
        {"sortBy=label&sortOrder=ASC", by_name},
        {"sortBy=customProperties.legalName&sortOrder=ASC", by_name},
        {"sortBy=customProperties.o&sortOrder=ASC", by_rank},
        {"sortBy=customProperties.rank&sortOrder=DESC", by_rank},
        {"sortBy=legalName&sortOrder=ASC", by_rank},
        {"sortOrder=ASC", by_time},
        {"sortBy=legalName&sortOrder=DESC", by_time},
        {"", aliases},
        {"sortBy=legalName&sortOrder=ASC", aliases},
    };
    for (size_t i = 0; i < sizeof(foreign) / sizeof(*foreign); i++) {
        static const char *const dirs[] = {"after", "before"};
        for (int d = 0; d < 2; d++) {
            struct resp *r = reqf(&srv, "GET", NULL, "/customers?%s%s%s=%s", foreign[i][0],
                                  *foreign[i][0] ? "&" : "", dirs[d], foreign[i][1]);
            char what[64];
            snprintf(what, sizeof(what), "foreign case %zu (%s)", i, dirs[d]);
            expect_error(r, 400, "InvalidCursor", dirs[d], what);
            resp_free(r);
        }
    }
    /* A customer list's cursor means nothing to the alias list either. */
    struct resp *r = reqf(&srv, "GET", NULL, "/customer-aliases?after=%s", by_time);
    expect_error(r, 400, "InvalidCursor", "after", "customer cursor on aliases");
    resp_free(r);

    /* Garbage. The forged ones are well-formed base64url of JSON that no
     * list issued; the first forged one is valid and proves the encoding. */
    char forged[6][512], raw[512];
    snprintf(raw, sizeof(raw), "{\"s\":\"legalName\",\"o\":\"ASC\",\"k\":\"C2\",\"i\":\"%s\"}",
             ids[2]);
    b64url(raw, forged[0]);
    b64url("not json at all", forged[1]);
    b64url("{\"s\":\"createdAt\",\"o\":\"DESC\",\"k\":\"1\",\"i\":\"not-an-id\"}", forged[2]);
    snprintf(raw, sizeof(raw), "{\"s\":\"createdAt\",\"o\":\"DESC\",\"k\":\"soon\",\"i\":\"%s\"}",
             ids[2]);
    b64url(raw, forged[3]);
    snprintf(raw, sizeof(raw), "{\"o\":\"DESC\",\"k\":\"1\",\"i\":\"%s\"}", ids[2]);
    b64url(raw, forged[4]);
    b64url("[1,2,3]", forged[5]);

    r = reqf(&srv, "GET", NULL, "/customers?sortBy=legalName&sortOrder=ASC&after=%s", forged[0]);
    cr_assert_eq(r->status, 200, "a well-formed cursor: %s", r->body);
    cr_assert_str_eq(jstr(json_array_get(json_object_get(r->json, "items"), 0), "legalName"), "C3",
                     "%s", r->body);
    resp_free(r);

    char longest[2100];
    memset(longest, 'A', sizeof(longest) - 1);
    longest[sizeof(longest) - 1] = '\0';
    const char *garbage[] = {
        "garbage", "!!!!",    "",        "%C3%A9",  "eyJ9",    longest,
        forged[1], forged[2], forged[3], forged[4], forged[5],
    };
    for (size_t i = 0; i < sizeof(garbage) / sizeof(*garbage); i++) {
        static const char *const dirs[] = {"after", "before"};
        for (int d = 0; d < 2; d++) {
            r = reqf(&srv, "GET", NULL, "/customers?%s=%s", dirs[d], garbage[i]);
            char what[64];
            snprintf(what, sizeof(what), "garbage case %zu (%s)", i, dirs[d]);
            expect_error(r, 400, "InvalidCursor", dirs[d], what);
            resp_free(r);
        }
    }
    r = reqf(&srv, "GET", NULL, "/customers?after=%s&before=%s", by_time, by_time);
    expect_error(r, 400, "InvalidQueryParameter", NULL, "after and before together");
    resp_free(r);

    free(by_name);
    free(by_rank);
    free(by_time);
    free(aliases);
    for (int i = 0; i < 5; i++)
        free(ids[i]);
}

/* ------------------------------------------------------------------ */
/* PUT /customers/{id}                                                 */

static struct resp *contacts_of(const char *id, bool archived)
{
    return reqf(&srv, "GET", NULL, "/customers/%s/contacts%s", id,
                archived ? "?includeArchived=true" : "");
}

Test(customers_api, put_replaces_the_customer)
{
    const char *first =
        "{\"legalName\":\"Acme\",\"address\":" ADDR ",\"taxStatus\":\"TAXED\","
        "\"url\":\"https://acme.test\",\"label\":\"big\",\"status\":\"DRAFT\","
        "\"integrationIds\":[{\"service\":\"Stripe\",\"id\":\"cus_1\"}],"
        "\"customProperties\":{\"tier\":\"gold\",\"region\":\"EU\"},"
        "\"contacts\":[{\"name\":\"Ann\",\"email\":\"ann@acme.test\",\"billingPreference\":"
        "\"PRIMARY\"},{\"name\":\"Bob\",\"email\":\"bob@acme.test\",\"billingPreference\":"
        "\"STANDARD\"}]}";
    struct resp *c = req(&srv, "POST", "/customers", first, NULL);
    cr_assert_eq(c->status, 201, "%s", c->body);
    char id[64], created[32];
    snprintf(id, sizeof(id), "%s", jstr(c->json, "id"));
    snprintf(created, sizeof(created), "%s", jstr(c->json, "createdAt"));
    resp_free(c);

    /* Optional fields left out are cleared; customProperties left out are
     * kept; the contacts are exactly the new ones. */
    const char *second =
        "{\"legalName\":\"Acme Renamed\",\"address\":{\"line1\":\"9 Elm\",\"town\":\"Austin\","
        "\"postcode\":\"78701\",\"country\":\"US\",\"state\":\"TX\"},\"taxStatus\":"
        "\"TAX_EXEMPT\",\"contacts\":[{\"name\":\"Cy\",\"email\":\"cy@acme.test\","
        "\"billingPreference\":\"PRIMARY\"}]}";
    struct resp *r = put_customer(id, second);
    cr_assert_eq(r->status, 200, "%s", r->body);
    json_t *j = r->json;
    cr_assert_str_eq(jstr(j, "id"), id);
    cr_assert_str_eq(jstr(j, "createdAt"), created, "createdAt never changes");
    cr_assert_str_eq(jstr(j, "legalName"), "Acme Renamed");
    cr_assert_str_eq(jstr(j, "taxStatus"), "TAX_EXEMPT");
    cr_assert_str_eq(jstr(j, "status"), "ACTIVE", "status left out is the default");
    cr_assert_str_eq(jstr(json_object_get(j, "address"), "state"), "TX");
    cr_assert_str_eq(jstr(json_object_get(j, "address"), "line1"), "9 Elm");
    cr_assert_null(json_object_get(j, "url"), "%s", r->body);
    cr_assert_null(json_object_get(j, "domain"), "%s", r->body);
    cr_assert_null(json_object_get(j, "label"), "%s", r->body);
    cr_assert_eq(json_array_size(json_object_get(j, "integrationIds")), 0, "%s", r->body);
    json_t *props = json_object_get(j, "customProperties");
    cr_assert_eq(json_object_size(props), 2, "%s", r->body);
    cr_assert_str_eq(jstr(props, "tier"), "gold");
    cr_assert_str_eq(jstr(props, "region"), "EU");
    json_t *cs = json_object_get(j, "contacts");
    cr_assert_eq(json_array_size(cs), 1, "%s", r->body);
    cr_assert_str_eq(jstr(json_array_get(cs, 0), "email"), "cy@acme.test");
    cr_assert_str_eq(jstr(json_array_get(cs, 0), "billingPreference"), "PRIMARY");
    char cy[64];
    snprintf(cy, sizeof(cy), "%s", jstr(json_array_get(cs, 0), "id"));

    struct resp *g = get_customer(id);
    cr_assert(json_equal(g->json, r->json), "GET answers what PUT answered:\n%s\n%s", g->body,
              r->body);
    resp_free(g);
    resp_free(r);

    /* The old contacts are archived, not gone. */
    r = contacts_of(id, false);
    cr_assert_eq(json_array_size(json_object_get(r->json, "items")), 1, "%s", r->body);
    cr_assert_str_eq(jstr(json_array_get(json_object_get(r->json, "items"), 0), "id"), cy);
    resp_free(r);
    r = contacts_of(id, true);
    json_t *all = json_object_get(r->json, "items");
    cr_assert_eq(json_array_size(all), 3, "%s", r->body);
    int archived = 0;
    for (size_t i = 0; i < 3; i++) {
        json_t *ct = json_array_get(all, i);
        const char *email = jstr(ct, "email");
        bool old = strcmp(email, "ann@acme.test") == 0 || strcmp(email, "bob@acme.test") == 0;
        cr_assert_eq(jstr(ct, "archivedAt") != NULL, old, "%s", r->body);
        archived += old;
    }
    cr_assert_eq(archived, 2);
    resp_free(r);

    /* The list's email filter follows the current contacts. */
    const char *none[] = {NULL};
    const char *just[] = {id, NULL};
    expect_list("email=ann@acme.test", none);
    expect_list("email=cy@acme.test", just);

    /* customProperties given replace the old ones; {} clears them. */
    char *b = body_of("Acme Renamed", "cy@acme.test", "\"customProperties\":{\"tier\":\"silver\"}");
    r = put_customer(id, b);
    free(b);
    cr_assert_eq(r->status, 200, "%s", r->body);
    props = json_object_get(r->json, "customProperties");
    cr_assert_eq(json_object_size(props), 1, "%s", r->body);
    cr_assert_str_eq(jstr(props, "tier"), "silver");
    resp_free(r);
    b = body_of("Acme Renamed", "cy@acme.test", "\"customProperties\":{}");
    r = put_customer(id, b);
    free(b);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_eq(json_object_size(json_object_get(r->json, "customProperties")), 0, "%s", r->body);
    resp_free(r);
    r = contacts_of(id, true);
    cr_assert_eq(json_array_size(json_object_get(r->json, "items")), 5,
                 "every PUT archives the contacts and adds the given ones: %s", r->body);
    resp_free(r);
}

Test(customers_api, put_validation_is_400_and_changes_nothing)
{
    char *id = create("Keep Me", "keep@me.test", "\"customProperties\":{\"k\":\"v\"}");
    struct resp *before = get_customer(id);
    const char *contact =
        "{\"name\":\"Bo\",\"email\":\"bo@x.test\",\"billingPreference\":\"PRIMARY\"}";
    const char *standard =
        "{\"name\":\"Cy\",\"email\":\"cy@x.test\",\"billingPreference\":\"STANDARD\"}";
    struct {
        const char *fmt, *type, *field;
    } cases[] = {
        {"{\"address\":" ADDR ",\"taxStatus\":\"TAXED\",\"contacts\":[%s]}", "MissingField",
         "legalName"},
        {"{\"legalName\":\"X\",\"taxStatus\":\"TAXED\",\"contacts\":[%s]}", "MissingField",
         "address"},
        {"{\"legalName\":\"X\",\"address\":" ADDR ",\"contacts\":[%s]}", "MissingField",
         "taxStatus"},
        {"{\"legalName\":\"X\",\"address\":" ADDR ",\"taxStatus\":\"TAXED\"}%.0s", "MissingField",
         "contacts"},
        {"{\"legalName\":\"X\",\"address\":" ADDR ",\"taxStatus\":\"TAXED\",\"contacts\":[]%.0s}",
         "InvalidField", "contacts"},
        {"{\"legalName\":\"X\",\"address\":{\"line1\":\"a\",\"town\":\"b\",\"postcode\":\"c\","
         "\"country\":\"US\"},\"taxStatus\":\"TAXED\",\"contacts\":[%s]}",
         "MissingField", "address.state"},
        {"{\"legalName\":\"X\",\"address\":" ADDR
         ",\"taxStatus\":\"TAXED\",\"contacts\":[%s],\"customProperties\":{\"k\":2}}",
         "InvalidField", "customProperties.k"},
        {"{\"legalName\":\"X\",\"address\":" ADDR
         ",\"taxStatus\":\"TAXED\",\"contacts\":[%s],\"parentId\":7}",
         "InvalidField", "parentId"},
        {"{\"legalName\":\"X\",\"address\":" ADDR
         ",\"taxStatus\":\"TAXED\",\"contacts\":[%s],\"customerAliases\":[\"a\",\"a\"]}",
         "InvalidField", "customerAliases"},
        {"{\"legalName\":\"X\",\"address\":" ADDR
         ",\"taxStatus\":\"TAXED\",\"contacts\":[%s],\"customerAliases\":[\"\"]}",
         "InvalidField", "customerAliases[0]"},
        {"{\"legalName\":\"X\",\"address\":" ADDR
         ",\"taxStatus\":\"TAXED\",\"contacts\":[%s],\"status\":\"GONE\"}",
         "InvalidField", "status"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        char body[2048];
        snprintf(body, sizeof(body), cases[i].fmt, contact);
        struct resp *r = put_customer(id, body);
        char what[32];
        snprintf(what, sizeof(what), "case %zu", i);
        expect_error(r, 400, cases[i].type, cases[i].field, what);
        resp_free(r);
    }
    /* one STANDARD, no PRIMARY */
    char body[1024];
    snprintf(body, sizeof(body),
             "{\"legalName\":\"X\",\"address\":" ADDR ",\"taxStatus\":\"TAXED\",\"contacts\":[%s]}",
             standard);
    struct resp *r = put_customer(id, body);
    expect_error(r, 400, "InvalidField", "contacts", "no PRIMARY");
    resp_free(r);
    /* only NONE contacts: the request's own text needs a PRIMARY one */
    snprintf(body, sizeof(body),
             "{\"legalName\":\"X\",\"address\":" ADDR ",\"taxStatus\":\"TAXED\",\"contacts\":["
             "{\"name\":\"Di\",\"email\":\"di@x.test\",\"billingPreference\":\"NONE\"}]}");
    r = put_customer(id, body);
    expect_error(r, 400, "InvalidField", "contacts", "only NONE");
    resp_free(r);
    r = put_customer(id, "[]");
    expect_error(r, 400, "InvalidRequestBody", NULL, "not an object");
    resp_free(r);

    struct resp *after = get_customer(id);
    cr_assert(json_equal(before->json, after->json), "nothing changed:\n%s\n%s", before->body,
              after->body);
    resp_free(after);
    resp_free(before);
    r = contacts_of(id, true);
    cr_assert_eq(json_array_size(json_object_get(r->json, "items")), 1, "%s", r->body);
    resp_free(r);
    free(id);
}

/* Sequence: "Needs atleast one Contact with a billing preference of
 * 'PRIMARY'": two are fine, on create and on update, and both stay PRIMARY. */
Test(customers_api, several_primary_contacts_are_accepted)
{
    const char *two =
        "{\"legalName\":\"Duo\",\"address\":" ADDR ",\"taxStatus\":\"TAXED\","
        "\"contacts\":[{\"name\":\"Ann\",\"email\":\"ann@duo.test\",\"billingPreference\":"
        "\"PRIMARY\"},{\"name\":\"Bob\",\"email\":\"bob@duo.test\",\"billingPreference\":"
        "\"PRIMARY\"},{\"name\":\"Cy\",\"email\":\"cy@duo.test\",\"billingPreference\":"
        "\"STANDARD\"}]}";
    for (int put = 0; put < 2; put++) {
        struct resp *r;
        if (put) {
            char *id = create("Solo", NULL, NULL);
            r = put_customer(id, two);
            cr_assert_eq(r->status, 200, "PUT: %s", r->body);
            free(id);
        } else {
            r = req(&srv, "POST", "/customers", two, NULL);
            cr_assert_eq(r->status, 201, "POST: %s", r->body);
        }
        json_t *cs = json_object_get(r->json, "contacts");
        cr_assert_eq(json_array_size(cs), 3, "%s", r->body);
        static const char *const want[] = {"PRIMARY", "PRIMARY", "STANDARD"};
        for (size_t i = 0; i < 3; i++)
            cr_assert_str_eq(jstr(json_array_get(cs, i), "billingPreference"), want[i], "%s",
                             r->body);
        /* Read back, the same. */
        struct resp *g = get_customer(jstr(r->json, "id"));
        cr_assert(json_equal(json_object_get(g->json, "contacts"), cs), "%s\n%s", g->body, r->body);
        resp_free(g);
        resp_free(r);
    }
}

Test(customers_api, put_unknown_malformed_or_foreign_id_is_404)
{
    char *b = body_of("Nobody", NULL, NULL);
    struct resp *r = put_customer(GHOST, b);
    expect_error(r, 404, "NotFound", NULL, "unknown id");
    resp_free(r);
    r = put_customer("not-a-uuid", b);
    expect_error(r, 404, "NotFound", NULL, "malformed id");
    resp_free(r);
    cr_assert_eq(customer_count(true), 0, "a PUT to nowhere creates nothing");

    char other[256];
    server_new_key(&srv, "foreign", other, sizeof(other));
    char *theirs = make_customer(&srv, other, "Theirs");
    r = put_customer(theirs, b);
    expect_error(r, 404, "NotFound", NULL, "another account's customer");
    resp_free(r);
    char path[128];
    snprintf(path, sizeof(path), "/customers/%s", theirs);
    r = req_as(&srv, other, "GET", path, NULL, NULL);
    cr_assert_eq(r->status, 200);
    cr_assert_str_eq(jstr(r->json, "legalName"), "Theirs", "untouched: %s", r->body);
    resp_free(r);
    free(theirs);
    free(b);
}

/* ------------------------------------------------------------------ */
/* archive                                                             */

/* Waits until the wall clock has left the second `iso` names, so that
 * a new timestamp would differ from it. */
static void wait_past_second(const char *iso)
{
    for (int i = 0; i < 300; i++) {
        char now[32];
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
        if (strcmp(now, iso) > 0)
            return;
        usleep(10000);
    }
    cr_assert_fail("the clock did not move past %s", iso);
}

Test(customers_api, archive_is_idempotent_and_hides_the_customer)
{
    char *keep = create("Stays", NULL, NULL);
    char *id = create("Goes", NULL, NULL);
    struct resp *r = reqf(&srv, "POST", NULL, "/customers/%s/archive", id);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "id"), id);
    cr_assert_str_eq(jstr(r->json, "legalName"), "Goes");
    char at[32];
    snprintf(at, sizeof(at), "%s", jstr(r->json, "archivedAt"));
    cr_assert_eq(strlen(at), 20, "archivedAt is set: %s", r->body);
    resp_free(r);

    wait_past_second(at);
    r = reqf(&srv, "POST", NULL, "/customers/%s/archive", id);
    cr_assert_eq(r->status, 200, "archiving again is fine: %s", r->body);
    cr_assert_str_eq(jstr(r->json, "archivedAt"), at, "and keeps the first time: %s", r->body);
    resp_free(r);

    r = get_customer(id);
    cr_assert_eq(r->status, 200, "an archived customer can still be read");
    cr_assert_str_eq(jstr(r->json, "archivedAt"), at);
    resp_free(r);

    const char *active[] = {keep, NULL};
    const char *both[] = {id, keep, NULL};
    expect_list("", active);
    expect_list("includeArchived=true", both);
    expect_list("legalName=Goes", (const char *[]){NULL});

    r = reqf(&srv, "POST", NULL, "/customers/%s/archive", GHOST);
    expect_error(r, 404, "NotFound", NULL, "unknown");
    resp_free(r);
    r = reqf(&srv, "POST", NULL, "/customers/%s/archive", "nope");
    expect_error(r, 404, "NotFound", NULL, "malformed");
    resp_free(r);
    char other[256];
    server_new_key(&srv, "archiver", other, sizeof(other));
    char path[128];
    snprintf(path, sizeof(path), "/customers/%s/archive", keep);
    r = req_as(&srv, other, "POST", path, NULL, NULL);
    expect_error(r, 404, "NotFound", NULL, "another account's");
    resp_free(r);
    expect_list("", active);
    free(keep);
    free(id);
}

/* ------------------------------------------------------------------ */
/* parentId (R2)                                                       */

static const char *org_id_at(json_t *customer, size_t i)
{
    return jstr(json_array_get(json_object_get(customer, "organizations"), i), "id");
}

static void expect_members(json_t *org, const char *const *ids)
{
    json_t *ms = json_object_get(org, "members");
    size_t n = 0;
    while (ids[n])
        n++;
    char *dump = json_dumps(org, JSON_COMPACT);
    cr_assert_eq(json_array_size(ms), n, "want %zu members: %s", n, dump);
    for (size_t i = 0; i < n; i++)
        cr_assert_str_eq(jstr(json_array_get(ms, i), "id"), ids[i], "member %zu: %s", i, dump);
    free(dump);
}

static char *with_parent(const char *name, const char *parent)
{
    char extra[128];
    snprintf(extra, sizeof(extra), "\"parentId\":\"%s\"", parent);
    return body_of(name, NULL, extra);
}

Test(customers_api, parent_id_creates_or_joins_the_parents_organization)
{
    char *p = create("Parent Co", NULL, NULL);
    char *b = with_parent("Child One", p);
    struct resp *r = req(&srv, "POST", "/customers", b, NULL);
    free(b);
    cr_assert_eq(r->status, 201, "%s", r->body);
    char c1[64];
    snprintf(c1, sizeof(c1), "%s", jstr(r->json, "id"));
    json_t *orgs = json_object_get(r->json, "organizations");
    cr_assert_eq(json_array_size(orgs), 1, "a member of the parent's new organization: %s",
                 r->body);
    json_t *org = json_array_get(orgs, 0);
    cr_assert_str_eq(jstr(json_object_get(org, "owner"), "id"), p);
    cr_assert_str_eq(jstr(json_object_get(org, "owner"), "name"), "Parent Co");
    cr_assert_str_eq(jstr(json_array_get(json_object_get(org, "members"), 0), "name"), "Child One");
    expect_members(org, (const char *[]){c1, NULL});
    char org_id[64];
    snprintf(org_id, sizeof(org_id), "%s", jstr(org, "id"));
    resp_free(r);

    r = reqf(&srv, "GET", NULL, "/customer-organizations?ownerId=%s", p);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_eq(json_array_size(json_object_get(r->json, "items")), 1, "%s", r->body);
    cr_assert_str_eq(jstr(json_array_get(json_object_get(r->json, "items"), 0), "id"), org_id);
    resp_free(r);

    /* A second child joins the same organization, after the first. */
    char *c2 = create_body(with_parent("Child Two", p));
    r = get_customer(c2);
    cr_assert_str_eq(org_id_at(r->json, 0), org_id, "%s", r->body);
    expect_members(json_array_get(json_object_get(r->json, "organizations"), 0),
                   (const char *[]){c1, c2, NULL});
    resp_free(r);

    /* The parent owns the organization; it is not a member of it. */
    r = get_customer(p);
    cr_assert_eq(json_array_size(json_object_get(r->json, "organizations")), 0, "%s", r->body);
    resp_free(r);

    /* Omitting parentId on update leaves memberships alone. */
    b = body_of("Child One Renamed", NULL, NULL);
    r = put_customer(c1, b);
    free(b);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_eq(json_array_size(json_object_get(r->json, "organizations")), 1, "%s", r->body);
    cr_assert_str_eq(org_id_at(r->json, 0), org_id);
    resp_free(r);

    /* Naming the same parent again changes nothing (R4), in any case. */
    char upper[64];
    snprintf(upper, sizeof(upper), "%s", p);
    for (char *q = upper; *q; q++)
        *q = (char)toupper((unsigned char)*q);
    b = with_parent("Child One", upper);
    r = put_customer(c1, b);
    free(b);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_eq(json_array_size(json_object_get(r->json, "organizations")), 1, "%s", r->body);
    expect_members(json_array_get(json_object_get(r->json, "organizations"), 0),
                   (const char *[]){c1, c2, NULL});
    resp_free(r);

    /* Another parent: a membership there too; the first one stays. */
    char *q = create("Second Parent", NULL, NULL);
    b = with_parent("Child One", q);
    r = put_customer(c1, b);
    free(b);
    cr_assert_eq(r->status, 200, "%s", r->body);
    json_t *two = json_object_get(r->json, "organizations");
    cr_assert_eq(json_array_size(two), 2, "%s", r->body);
    cr_assert_str_eq(jstr(json_array_get(two, 0), "id"), org_id, "oldest first: %s", r->body);
    cr_assert_str_eq(jstr(json_object_get(json_array_get(two, 1), "owner"), "id"), q);
    resp_free(r);

    /* The parent may already own an organization made by hand: joined. */
    char *solo = create("Hand Made Owner", NULL, NULL);
    char *m = create("Hand Made Member", NULL, NULL);
    char body[256];
    snprintf(body, sizeof(body), "{\"ownerId\":\"%s\",\"memberIds\":[\"%s\"]}", solo, m);
    r = req(&srv, "POST", "/customer-organizations", body, NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    char hand[64];
    snprintf(hand, sizeof(hand), "%s", jstr(r->json, "id"));
    resp_free(r);
    char *c3 = create_body(with_parent("Child Three", solo));
    r = get_customer(c3);
    cr_assert_str_eq(org_id_at(r->json, 0), hand, "%s", r->body);
    expect_members(json_array_get(json_object_get(r->json, "organizations"), 0),
                   (const char *[]){m, c3, NULL});
    resp_free(r);

    free(p);
    free(c2);
    free(q);
    free(solo);
    free(m);
    free(c3);
}

Test(customers_api, parent_id_must_name_a_live_customer_of_the_account)
{
    char *live = create("Live", NULL, NULL);
    char *dead = create("Dead", NULL, NULL);
    archive(dead);
    char other[256];
    server_new_key(&srv, "parents", other, sizeof(other));
    char *foreign = make_customer(&srv, other, "Foreign");
    long long before = customer_count(true);

    struct {
        const char *parent_json, *type;
    } cases[] = {
        {"\"" GHOST "\"", "CustomerNotFound"},
        {"\"not-an-id\"", "CustomerNotFound"},
        {"\"\"", "CustomerNotFound"},
        {NULL, "CustomerNotFound"}, /* another account's customer */
        {NULL, "CustomerArchived"}, /* an archived one */
        {"42", "InvalidField"},
        {"[]", "InvalidField"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        char pj[96];
        if (cases[i].parent_json)
            snprintf(pj, sizeof(pj), "\"parentId\":%s", cases[i].parent_json);
        else
            snprintf(pj, sizeof(pj), "\"parentId\":\"%s\"",
                     strcmp(cases[i].type, "CustomerArchived") == 0 ? dead : foreign);
        char *b = body_of("Orphan", NULL, pj);
        struct resp *r = req(&srv, "POST", "/customers", b, NULL);
        char what[32];
        snprintf(what, sizeof(what), "create case %zu", i);
        expect_error(r, 400, cases[i].type, "parentId", what);
        resp_free(r);
        r = put_customer(live, b);
        snprintf(what, sizeof(what), "update case %zu", i);
        expect_error(r, 400, cases[i].type, "parentId", what);
        resp_free(r);
        free(b);
    }
    cr_assert_eq(customer_count(true), before, "no customer was created");
    struct resp *r = get_customer(live);
    cr_assert_str_eq(jstr(r->json, "legalName"), "Live", "the refused updates changed nothing");
    cr_assert_eq(json_array_size(json_object_get(r->json, "organizations")), 0);
    resp_free(r);
    r = req(&srv, "GET", "/customer-organizations", NULL, NULL);
    cr_assert_eq(page_total(r), 0, "no organization was made: %s", r->body);
    resp_free(r);
    free(live);
    free(dead);
    free(foreign);
}

Test(customers_api, parent_id_cycles_are_409)
{
    char *a = create("A", NULL, NULL);
    char *b = create_body(with_parent("B", a));
    char *c = create_body(with_parent("C", b));
    const char *parents[] = {a, b, c};
    for (size_t i = 0; i < 3; i++) {
        char *body = with_parent("A Renamed", parents[i]);
        struct resp *r = put_customer(a, body);
        free(body);
        char what[32];
        snprintf(what, sizeof(what), "A under %s", i == 0 ? "itself" : i == 1 ? "B" : "C");
        expect_error(r, 409, "HierarchyCycle", "parentId", what);
        resp_free(r);
    }
    /* B under C: C sits below B already. */
    char *body = with_parent("B", c);
    struct resp *r = put_customer(b, body);
    free(body);
    expect_error(r, 409, "HierarchyCycle", "parentId", "B under C");
    resp_free(r);

    r = get_customer(a);
    cr_assert_str_eq(jstr(r->json, "legalName"), "A", "a refused update is not applied at all");
    cr_assert_eq(json_array_size(json_object_get(r->json, "organizations")), 0, "%s", r->body);
    resp_free(r);

    /* C directly under A as well: below A already, but no cycle. */
    body = with_parent("C", a);
    r = put_customer(c, body);
    free(body);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_eq(json_array_size(json_object_get(r->json, "organizations")), 2, "%s", r->body);
    resp_free(r);
    free(a);
    free(b);
    free(c);
}

Test(customers_api, archived_customer_cannot_newly_join_through_parent_id)
{
    /* R9: an archived customer keeps its memberships but cannot be added. */
    char *p = create("Parent", NULL, NULL);
    char *q = create("Other Parent", NULL, NULL);
    char *child = create_body(with_parent("Child", p));
    archive(child);
    char *body = with_parent("Child", p);
    struct resp *r = put_customer(child, body);
    free(body);
    cr_assert_eq(r->status, 200, "restating a membership it has is fine: %s", r->body);
    cr_assert_eq(json_array_size(json_object_get(r->json, "organizations")), 1, "%s", r->body);
    resp_free(r);
    body = with_parent("Child", q);
    r = put_customer(child, body);
    free(body);
    expect_error(r, 400, "CustomerArchived", NULL, "archived child under a new parent");
    resp_free(r);
    r = get_customer(child);
    cr_assert_eq(json_array_size(json_object_get(r->json, "organizations")), 1, "%s", r->body);
    resp_free(r);
    free(p);
    free(q);
    free(child);
}

/* ------------------------------------------------------------------ */
/* customerAliases                                                     */

static void expect_alias_values(const char *id, const char *const *values)
{
    struct resp *r = reqf(&srv, "GET", NULL, "/customers/%s/aliases", id);
    cr_assert_eq(r->status, 200, "%s", r->body);
    json_t *items = json_object_get(r->json, "items");
    size_t n = 0;
    while (values[n])
        n++;
    cr_assert_eq(json_array_size(items), n, "%s", r->body);
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        for (size_t k = 0; k < n && !found; k++)
            found = strcmp(jstr(json_array_get(items, k), "value"), values[i]) == 0;
        cr_assert(found, "%s is an alias: %s", values[i], r->body);
    }
    resp_free(r);
}

Test(customers_api, customer_aliases_on_create_and_update)
{
    char *one = create("One", NULL, "\"customerAliases\":[\"a1\",\"a2\"]");
    expect_alias_values(one, (const char *[]){"a1", "a2", NULL});
    long long before = customer_count(true);

    /* A value another customer holds: 409, and nothing is created. */
    char *b = body_of("Two", NULL, "\"customerAliases\":[\"fresh\",\"a2\"]");
    struct resp *r = req(&srv, "POST", "/customers", b, NULL);
    free(b);
    expect_error(r, 409, "AliasAlreadyExists", "customerAliases", "taken on create");
    resp_free(r);
    cr_assert_eq(customer_count(true), before);
    r = req(&srv, "GET", "/customer-aliases?value=fresh", NULL, NULL);
    cr_assert_eq(page_total(r), 0, "the refused create attached nothing: %s", r->body);
    resp_free(r);

    /* Update attaches new values and keeps the old ones; a value the
     * customer holds already is fine. */
    b = body_of("One", NULL, "\"customerAliases\":[\"a1\",\"a3\"]");
    r = put_customer(one, b);
    free(b);
    cr_assert_eq(r->status, 200, "%s", r->body);
    resp_free(r);
    expect_alias_values(one, (const char *[]){"a1", "a2", "a3", NULL});

    char *two = create("Two", NULL, "\"customerAliases\":[\"b1\"]");
    b = body_of("Two Renamed", NULL, "\"customerAliases\":[\"a3\"]");
    r = put_customer(two, b);
    free(b);
    expect_error(r, 409, "AliasAlreadyExists", "customerAliases", "taken on update");
    resp_free(r);
    r = get_customer(two);
    cr_assert_str_eq(jstr(r->json, "legalName"), "Two", "the refused update changed nothing");
    resp_free(r);
    expect_alias_values(two, (const char *[]){"b1", NULL});

    /* Another account may hold the same values. */
    char other[256];
    server_new_key(&srv, "aliases", other, sizeof(other));
    b = body_of("Elsewhere", NULL, "\"customerAliases\":[\"a1\"]");
    r = req_as(&srv, other, "POST", "/customers", b, NULL);
    free(b);
    cr_assert_eq(r->status, 201, "%s", r->body);
    resp_free(r);
    free(one);
    free(two);
}

/* ------------------------------------------------------------------ */
/* GET /customers/by-alias/{alias}                                     */

Test(customers_api, by_alias_answers_the_2024_05_09_shape)
{
    const char *body =
        "{\"legalName\":\"Legacy Ltd\",\"address\":" ADDR ",\"taxStatus\":\"REVERSE_CHARGED\","
        "\"url\":\"https://legacy.test\",\"label\":\"old\","
        "\"integrationIds\":[{\"service\":\"Xero\",\"id\":\"x-1\"}],"
        "\"customProperties\":{\"k\":\"v\"},\"customerAliases\":[\"legacy-1\",\"crm 42\"],"
        "\"contacts\":[{\"name\":\"Sam\",\"email\":\"sam@legacy.test\",\"billingPreference\":"
        "\"STANDARD\"},{\"name\":\"Pat\",\"email\":\"pat@legacy.test\",\"billingPreference\":"
        "\"PRIMARY\"},{\"name\":\"Nia\",\"email\":\"nia@legacy.test\",\"billingPreference\":"
        "\"NONE\"},{\"name\":\"Tod\",\"email\":\"tod@legacy.test\",\"billingPreference\":"
        "\"STANDARD\"},{\"name\":\"Uma\",\"email\":\"uma@legacy.test\",\"billingPreference\":"
        "\"PRIMARY\"}]}";
    char *id = create_body(strdup(body));
    struct resp *full = get_customer(id);

    struct resp *r = req(&srv, "GET", "/customers/by-alias/legacy-1", NULL, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    json_t *j = r->json;
    static const char *const keys[] = {
        "id",  "createdAt", "legalName",      "contactName",   "address",  "email",
        "url", "label",     "integrationIds", "billingEmails", "taxStatus"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++)
        cr_assert(json_object_get(j, keys[i]), "%s present: %s", keys[i], r->body);
    cr_assert_eq(json_object_size(j), sizeof(keys) / sizeof(*keys), "nothing else: %s", r->body);
    cr_assert_str_eq(jstr(j, "id"), id);
    cr_assert_str_eq(jstr(j, "createdAt"), jstr(full->json, "createdAt"));
    cr_assert_str_eq(jstr(j, "legalName"), "Legacy Ltd");
    cr_assert_str_eq(jstr(j, "contactName"), "Pat", "the first PRIMARY contact's name");
    cr_assert_str_eq(jstr(j, "email"), "pat@legacy.test", "the first PRIMARY contact's email");
    cr_assert_str_eq(jstr(j, "url"), "https://legacy.test");
    cr_assert_str_eq(jstr(j, "label"), "old");
    cr_assert_str_eq(jstr(j, "taxStatus"), "REVERSE_CHARGED");
    cr_assert(json_equal(json_object_get(j, "address"), json_object_get(full->json, "address")));
    cr_assert(json_equal(json_object_get(j, "integrationIds"),
                         json_object_get(full->json, "integrationIds")));
    json_t *be = json_object_get(j, "billingEmails");
    cr_assert_eq(json_array_size(be), 3, "the other billing contacts' emails: %s", r->body);
    cr_assert_str_eq(json_string_value(json_array_get(be, 0)), "sam@legacy.test");
    cr_assert_str_eq(json_string_value(json_array_get(be, 1)), "tod@legacy.test");
    cr_assert_str_eq(json_string_value(json_array_get(be, 2)), "uma@legacy.test",
                     "a second PRIMARY receives billing too");
    resp_free(r);
    resp_free(full);

    /* A value with a space, percent-encoded in the path. */
    r = req(&srv, "GET", "/customers/by-alias/crm%2042", NULL, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "id"), id);
    resp_free(r);

    /* Archived customers are still found, and say so. */
    archive(id);
    r = req(&srv, "GET", "/customers/by-alias/legacy-1", NULL, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert(jstr(r->json, "archivedAt"), "%s", r->body);
    resp_free(r);

    r = req(&srv, "GET", "/customers/by-alias/nobody", NULL, NULL);
    expect_error(r, 404, "NotFound", NULL, "unknown alias");
    resp_free(r);
    r = req(&srv, "GET", "/customers/by-alias/LEGACY-1", NULL, NULL);
    expect_error(r, 404, "NotFound", NULL, "alias values are exact");
    resp_free(r);
    char other[256];
    server_new_key(&srv, "legacy", other, sizeof(other));
    r = req_as(&srv, other, "GET", "/customers/by-alias/legacy-1", NULL, NULL);
    expect_error(r, 404, "NotFound", NULL, "another account's alias");
    resp_free(r);
    free(id);
}

/* ------------------------------------------------------------------ */
/* GET /customer-custom-property-keys                                  */

static void expect_keys(const char *key, const char *const *want)
{
    struct resp *r = key ? req_as(&srv, key, "GET", "/customer-custom-property-keys", NULL, NULL)
                         : req(&srv, "GET", "/customer-custom-property-keys", NULL, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_eq(json_object_size(r->json), 1, "just items: %s", r->body);
    json_t *items = json_object_get(r->json, "items");
    size_t n = 0;
    while (want[n])
        n++;
    cr_assert_eq(json_array_size(items), n, "%s", r->body);
    for (size_t i = 0; i < n; i++)
        cr_assert_str_eq(json_string_value(json_array_get(items, i)), want[i], "%s", r->body);
    resp_free(r);
}

Test(customers_api, custom_property_keys_are_the_accounts_distinct_keys_sorted)
{
    expect_keys(NULL, (const char *[]){NULL});
    char *one = create("One", NULL, "\"customProperties\":{\"tier\":\"gold\",\"region\":\"EU\"}");
    char *two = create("Two", NULL, "\"customProperties\":{\"zone\":\"3\",\"tier\":\"silver\"}");
    free(create("Three", NULL, NULL));
    expect_keys(NULL, (const char *[]){"region", "tier", "zone", NULL});

    char *b = body_of("Two", NULL, "\"customProperties\":{\"tier\":\"bronze\"}");
    struct resp *r = put_customer(two, b);
    free(b);
    cr_assert_eq(r->status, 200, "%s", r->body);
    resp_free(r);
    expect_keys(NULL, (const char *[]){"region", "tier", NULL});

    char other[256];
    server_new_key(&srv, "keys", other, sizeof(other));
    expect_keys(other, (const char *[]){NULL});
    free(one);
    free(two);
}

/*
 * A list item is the customer as GET /customers/{id} answers it, without
 * contacts and status: its own properties and organizations, however the
 * page's rows were read (on PostgreSQL: two statements for the whole page).
 */
Test(customers_api, list_items_carry_each_customers_own_properties_and_organizations)
{
    char *a = create("Item A", NULL, "\"customProperties\":{\"tier\":\"gold\",\"k\":\"1\"}");
    char *b = create("Item B", NULL, NULL);
    char *c = create("Item C", NULL, "\"customProperties\":{\"tier\":\"tin\"}");
    char *d = create("Item D", NULL, NULL);
    char body[512];
    snprintf(body, sizeof(body), "{\"ownerId\":\"%s\",\"memberIds\":[\"%s\",\"%s\"]}", a, b, c);
    struct resp *r = req(&srv, "POST", "/customer-organizations", body, NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    resp_free(r);
    snprintf(body, sizeof(body), "{\"ownerId\":\"%s\",\"memberIds\":[\"%s\"]}", d, c);
    r = req(&srv, "POST", "/customer-organizations", body, NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    resp_free(r);

    struct resp *list = req(&srv, "GET", "/customers?limit=100", NULL, NULL);
    cr_assert_eq(list->status, 200, "%s", list->body);
    json_t *items = json_object_get(list->json, "items");
    const char *ids[] = {a, b, c, d};
    for (size_t k = 0; k < 4; k++) {
        json_t *item = NULL;
        for (size_t i = 0; i < json_array_size(items) && !item; i++)
            if (strcmp(jstr(json_array_get(items, i), "id"), ids[k]) == 0)
                item = json_array_get(items, i);
        cr_assert(item, "%s is listed", ids[k]);
        struct resp *one = get_customer(ids[k]);
        cr_assert_eq(one->status, 200);
        json_object_del(one->json, "contacts");
        json_object_del(one->json, "status");
        cr_assert(json_equal(item, one->json), "item %zu: %s\nvs %s", k,
                  json_dumps(item, JSON_COMPACT), one->body);
        resp_free(one);
    }
    resp_free(list);
    /* c is in two organizations; a has two properties. */
    struct resp *one = get_customer(c);
    cr_assert_eq(json_array_size(json_object_get(one->json, "organizations")), 2);
    resp_free(one);
    one = get_customer(a);
    cr_assert_eq(json_object_size(json_object_get(one->json, "customProperties")), 2);
    resp_free(one);
    free(a);
    free(b);
    free(c);
    free(d);
}

/* Asserts that every item of GET /customers?<query> is the customer as GET
 * /customers/{id} answers it, less contacts and status. Returns the
 * page's `after` cursor (malloc'd, NULL on the last page) and adds the
 * number of items to *n. */
static char *expect_items_as_read_alone(const char *query, size_t *n)
{
    char path[1024];
    snprintf(path, sizeof(path), "/customers?%s", query);
    struct resp *list = req(&srv, "GET", path, NULL, NULL);
    cr_assert_eq(list->status, 200, "%s: %s", query, list->body);
    json_t *items = json_object_get(list->json, "items");
    for (size_t i = 0; i < json_array_size(items); i++) {
        json_t *item = json_array_get(items, i);
        struct resp *one = get_customer(jstr(item, "id"));
        cr_assert_eq(one->status, 200);
        json_object_del(one->json, "contacts");
        json_object_del(one->json, "status");
        char *got = json_dumps(item, JSON_COMPACT | JSON_SORT_KEYS);
        cr_assert(json_equal(item, one->json), "%s: item %zu: %s\nvs %s", query, i, got, one->body);
        free(got);
        resp_free(one);
    }
    *n += json_array_size(items);
    const char *after = jstr(json_object_get(list->json, "pagination"), "after");
    char *next = after ? strdup(after) : NULL;
    resp_free(list);
    return next;
}

static void join_org(const char *owner, const char *const *members)
{
    char body[1024];
    size_t at = (size_t)snprintf(body, sizeof(body), "{\"ownerId\":\"%s\",\"memberIds\":[", owner);
    for (size_t i = 0; members[i]; i++)
        at += (size_t)snprintf(body + at, sizeof(body) - at, "%s\"%s\"", i ? "," : "", members[i]);
    snprintf(body + at, sizeof(body) - at, "]}");
    struct resp *r = req(&srv, "POST", "/customer-organizations", body, NULL);
    cr_assert_eq(r->status, 201, "%s", r->body);
    resp_free(r);
}

/*
 * The same, on pages of every kind: a page in creation order (either way)
 * has neighbouring ids, and SQLite reads its properties and memberships as
 * one range; a page by name does not and is read customer by customer; a
 * filtered page in creation order has ids in order but spread over the
 * table, and the range gives up after too many rows of other customers.
 * Every customer has properties, some several organizations.
 */
Test(customers_api, list_items_match_their_customers_on_every_kind_of_page)
{
    enum { N = 150 };
    char *c[N];
    for (int i = 0; i < N; i++) {
        char name[16], extra[256];
        snprintf(name, sizeof(name), "L%03d", (i * 67) % N); /* names out of creation order */
        snprintf(extra, sizeof(extra), "\"customProperties\":{\"n\":\"%d\"%s}%s", i,
                 i % 4 == 0 ? ",\"z\":\"x\"" : "",
                 i == 0 || i == N - 1 ? ",\"label\":\"edge\""
                 : i % 10 == 5        ? ",\"label\":\"mid\""
                                      : "");
        c[i] = create(name, NULL, extra);
    }
    join_org(c[10], (const char *const[]){c[11], c[12], c[13], c[14], NULL});
    join_org(c[20], (const char *const[]){c[12], c[21], NULL});
    join_org(c[30], (const char *const[]){c[140], c[12], NULL});
    join_org(c[141], (const char *const[]){c[0], c[N - 1], c[15], NULL});

    static const struct {
        const char *query;
        size_t items; /* on the first page */
    } pages[] = {
        {"limit=100", 100},
        {"limit=100&sortOrder=ASC", 100},
        {"limit=100&sortBy=legalName&sortOrder=ASC", 100},
        {"limit=100&label=edge", 2},
        {"limit=100&label=mid", 15},
    };
    for (size_t i = 0; i < sizeof(pages) / sizeof(*pages); i++) {
        size_t n = 0;
        free(expect_items_as_read_alone(pages[i].query, &n));
        cr_assert_eq(n, pages[i].items, "%s", pages[i].query);
    }
    /* A walk of short pages, each its own range. */
    size_t walked = 0;
    char *cur = expect_items_as_read_alone("limit=40&sortOrder=ASC", &walked);
    while (cur) {
        char q[512];
        snprintf(q, sizeof(q), "limit=40&sortOrder=ASC&after=%s", cur);
        free(cur);
        cur = expect_items_as_read_alone(q, &walked);
    }
    cr_assert_eq(walked, (size_t)N);
    for (int i = 0; i < N; i++)
        free(c[i]);
}
