/*
 * Paging, one contract for every paged route (ROUTE_PAGE in
 * src/api/routes.c): `limit` from 1 to 100 (20 when absent), `after` and
 * `before` cursors, and `pagination` with `after` when rows follow the
 * page, `before` when rows precede it, and `totalResultSize` always.
 *
 * A table names each paged list (a route, with a sort where the route has
 * several) and how to add its item i to a fresh account. Each list is then
 * walked forwards with after cursors and back from its last page with
 * before cursors, at several page sizes: every item once, in the
 * documented order, with the right pagination on the first, middle and
 * last pages. An empty account gets an empty page, and bad limits and
 * cursors are the documented 400s.
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

HTTP_SUITE(paging, 300);

/* More than the default page of 20. */
#define N_ITEMS 23

struct paged_list {
    const char *path;  /* the route, with its sort when it has one */
    bool oldest_first; /* the documented order; otherwise newest first */
    /* Adds item i (creation order) to the account of `key`; returns the
     * id the list shows (malloc'd). */
    char *(*make)(const char *key, int i);
};

static char *make_customer_item(const char *key, int i)
{
    char name[32];
    snprintf(name, sizeof(name), "Page %02d", i);
    return make_customer(&srv, key, name);
}

/* POSTs body to path as `key`, asserts 201 and returns the new id. */
static char *post_id(const char *key, const char *path, const char *body)
{
    struct resp *r = req_as(&srv, key, "POST", path, body, NULL);
    cr_assert_eq(r->status, 201, "POST %s: %ld %s", path, r->status, r->body);
    char *id = strdup(jstr(r->json, "id"));
    resp_free(r);
    return id;
}

static char *make_alias_item(const char *key, int i)
{
    char *customer = make_customer_item(key, i);
    char body[256];
    snprintf(body, sizeof(body), "{\"customerId\":\"%s\",\"value\":\"page-%02d\"}", customer, i);
    free(customer);
    return post_id(key, "/customer-aliases", body);
}

static char *make_org_item(const char *key, int i)
{
    char *owner = make_customer_item(key, i);
    char body[256];
    snprintf(body, sizeof(body), "{\"ownerId\":\"%s\",\"memberIds\":[]}", owner);
    free(owner);
    return post_id(key, "/customer-organizations", body);
}

static const struct paged_list lists[] = {
    {"/customers", false, make_customer_item},
    {"/customers?sortOrder=ASC", true, make_customer_item},
    {"/customers?sortBy=legalName&sortOrder=ASC", true, make_customer_item},
    {"/customers?sortBy=legalName&sortOrder=DESC", false, make_customer_item},
    {"/customer-aliases", false, make_alias_item},
    {"/customer-organizations", false, make_org_item},
};
#define N_LISTS (sizeof(lists) / sizeof(*lists))

/* A fresh account (its key into key) with n items of the list; their ids
 * in the list's order into ids. */
static void fill(const struct paged_list *l, int n, char key[256], char *ids[])
{
    server_new_key(&srv, "paging", key, 256);
    for (int i = 0; i < n; i++)
        ids[l->oldest_first ? i : n - 1 - i] = l->make(key, i);
}

/* GET of the list with `query` (may be "") added, as `key`. */
static struct resp *get(const struct paged_list *l, const char *key, const char *query)
{
    char path[2048];
    snprintf(path, sizeof(path), "%s%s%s", l->path,
             !*query                ? ""
             : strchr(l->path, '?') ? "&"
                                    : "?",
             query);
    return req_as(&srv, key, "GET", path, NULL, NULL);
}

struct page {
    json_t *items;
    const char *after, *before; /* NULL when absent */
    long long total;
    struct resp *r;
};

/* A 200 page of the list; p owns the response until page_free. */
static void fetch(const struct paged_list *l, const char *key, const char *query, struct page *p)
{
    p->r = get(l, key, query);
    cr_assert_eq(p->r->status, 200, "%s %s: %ld %s", l->path, query, p->r->status, p->r->body);
    p->items = json_object_get(p->r->json, "items");
    cr_assert(json_is_array(p->items), "%s %s: %s", l->path, query, p->r->body);
    json_t *pg = json_object_get(p->r->json, "pagination");
    cr_assert(json_is_object(pg), "%s %s: %s", l->path, query, p->r->body);
    p->after = jstr(pg, "after");
    p->before = jstr(pg, "before");
    p->total = page_total(p->r);
}

static void page_free(struct page *p)
{
    resp_free(p->r);
    memset(p, 0, sizeof(*p));
}

/* Asserts that page p (size limit) holds ids[from..] as a page starting at
 * `from` of n items must: its items, its cursors and the total. */
static void expect_page(const struct paged_list *l, const struct page *p, char *const ids[], int n,
                        int from, int limit, const char *what)
{
    int want = n - from < limit ? n - from : limit;
    cr_assert_eq((int)json_array_size(p->items), want, "%s %s: items at %d: %s", l->path, what,
                 from, p->r->body);
    for (int i = 0; i < want; i++)
        cr_assert_str_eq(jstr(json_array_get(p->items, (size_t)i), "id"), ids[from + i],
                         "%s %s: item %d: %s", l->path, what, from + i, p->r->body);
    cr_assert_eq(p->after != NULL, from + want < n, "%s %s: after at %d: %s", l->path, what, from,
                 p->r->body);
    cr_assert_eq(p->before != NULL, from > 0, "%s %s: before at %d: %s", l->path, what, from,
                 p->r->body);
    cr_assert_eq(p->total, n, "%s %s: totalResultSize: %s", l->path, what, p->r->body);
}

/* Walks the list forwards from its first page and back from its last, k
 * items a page. */
static void walk(const struct paged_list *l, const char *key, char *const ids[], int n, int k)
{
    char q[1024], what[64];
    struct page p;
    snprintf(q, sizeof(q), "limit=%d", k);
    fetch(l, key, q, &p);
    int from = 0, pages = 0;
    for (;;) {
        snprintf(what, sizeof(what), "limit %d forwards, page %d", k, pages);
        expect_page(l, &p, ids, n, from, k, what);
        from += (int)json_array_size(p.items);
        pages++;
        if (!p.after)
            break;
        snprintf(q, sizeof(q), "limit=%d&after=%s", k, p.after);
        page_free(&p);
        fetch(l, key, q, &p);
    }
    cr_assert_eq(from, n, "%s limit %d: the walk forwards ends with the last item", l->path, k);
    cr_assert_eq(pages, (n + k - 1) / k, "%s limit %d: pages forwards", l->path, k);

    /* Back from the last page: the pages before it, each one whole. */
    int end = n - (int)json_array_size(p.items);
    while (p.before) {
        snprintf(q, sizeof(q), "limit=%d&before=%s", k, p.before);
        page_free(&p);
        fetch(l, key, q, &p);
        int got = (int)json_array_size(p.items);
        cr_assert_eq(got, end < k ? end : k, "%s limit %d back: items before %d: %s", l->path, k,
                     end, p.r->body);
        snprintf(what, sizeof(what), "limit %d backwards", k);
        expect_page(l, &p, ids, n, end - got, k, what);
        end -= got;
    }
    cr_assert_eq(end, 0, "%s limit %d: the walk back ends with the first item", l->path, k);
    page_free(&p);
}

Test(paging, every_paged_list_walks_both_ways_in_order)
{
    static const int sizes[] = {1, 10, N_ITEMS - 1, N_ITEMS, 100};
    for (size_t i = 0; i < N_LISTS; i++) {
        const struct paged_list *l = &lists[i];
        char key[256];
        char *ids[N_ITEMS];
        fill(l, N_ITEMS, key, ids);

        /* No limit: the first 20. */
        struct page p;
        fetch(l, key, "", &p);
        expect_page(l, &p, ids, N_ITEMS, 0, 20, "the default page");
        page_free(&p);

        for (size_t s = 0; s < sizeof(sizes) / sizeof(*sizes); s++)
            walk(l, key, ids, N_ITEMS, sizes[s]);
        for (int j = 0; j < N_ITEMS; j++)
            free(ids[j]);
    }
}

Test(paging, an_empty_account_gets_an_empty_page)
{
    char key[256];
    server_new_key(&srv, "paging-empty", key, sizeof(key));
    for (size_t i = 0; i < N_LISTS; i++) {
        static const char *const queries[] = {"", "limit=1", "limit=100"};
        for (size_t q = 0; q < sizeof(queries) / sizeof(*queries); q++) {
            struct page p;
            fetch(&lists[i], key, queries[q], &p);
            cr_assert_eq(json_array_size(p.items), 0, "%s %s: %s", lists[i].path, queries[q],
                         p.r->body);
            cr_assert_null(p.after, "%s: %s", lists[i].path, p.r->body);
            cr_assert_null(p.before, "%s: %s", lists[i].path, p.r->body);
            cr_assert_eq(p.total, 0, "%s: %s", lists[i].path, p.r->body);
            page_free(&p);
        }
    }
}

static void expect_400(struct resp *r, const char *type, const char *field, const char *what)
{
    cr_assert_eq(r->status, 400, "%s: %ld %s", what, r->status, r->body);
    cr_assert_str_eq(err_type_of(r), type, "%s: %s", what, r->body);
    if (field)
        cr_assert_str_eq(err_field_of(r), field, "%s: %s", what, r->body);
}

Test(paging, bad_limits_and_cursors_are_400)
{
    static const struct {
        const char *query, *type, *field;
    } bad[] = {
        {"limit=0", "InvalidQueryParameter", "limit"},
        {"limit=101", "InvalidQueryParameter", "limit"},
        {"limit=-1", "InvalidQueryParameter", "limit"},
        {"limit=abc", "InvalidQueryParameter", "limit"},
        {"limit=x", "InvalidQueryParameter", "limit"},
        {"limit=", "InvalidQueryParameter", "limit"},
        {"limit=1.5", "InvalidQueryParameter", "limit"},
        {"limit=10x", "InvalidQueryParameter", "limit"},
        {"limit=99999999999999999999", "InvalidQueryParameter", "limit"},
        {"after=garbage", "InvalidCursor", "after"},
        {"before=garbage", "InvalidCursor", "before"},
        {"limit=1&after=garbage", "InvalidCursor", "after"},
    };
    for (size_t i = 0; i < N_LISTS; i++) {
        const struct paged_list *l = &lists[i];
        char key[256];
        char *ids[2];
        fill(l, 2, key, ids);
        for (size_t b = 0; b < sizeof(bad) / sizeof(*bad); b++) {
            char what[256];
            snprintf(what, sizeof(what), "%s %s", l->path, bad[b].query);
            struct resp *r = get(l, key, bad[b].query);
            expect_400(r, bad[b].type, bad[b].field, what);
            resp_free(r);
        }
        /* A cursor the list issued, but as after and before at once. */
        struct page p;
        fetch(l, key, "limit=1", &p);
        cr_assert_not_null(p.after, "%s: %s", l->path, p.r->body);
        char q[1024], what[256];
        snprintf(q, sizeof(q), "after=%s&before=%s", p.after, p.after);
        snprintf(what, sizeof(what), "%s after and before together", l->path);
        struct resp *r = get(l, key, q);
        expect_400(r, "InvalidQueryParameter", NULL, what);
        resp_free(r);
        page_free(&p);
        free(ids[0]);
        free(ids[1]);
    }
}
