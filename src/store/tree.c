/*
 * The backend-neutral half of the tree reads and the depth limit (store.h,
 * "the hierarchy as a tree"): gathering a walk's rows into nodes, and the
 * calls into the backends' tree.c.
 */
#include "store.h"
#include "backend.h"
#include "paging.h"

#include <stdlib.h>
#include <string.h>

/* ---- the hierarchy as a tree ---- */

/* Grows an arena array of `size`-byte elements to hold n + 1. */
static void *grown(struct arena *a, void *p, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return p;
    *cap = *cap ? *cap * 2 : 8;
    void *q = arena_alloc(a, *cap * size);
    return n ? memcpy(q, p, n * size) : q;
}

void store__tree_row(struct store__tree_rows *r, struct arena *a, const char *id, int depth,
                     const char *name, bool archived, const char *org_id, const char *link)
{
    struct tree_node *t = r->n ? &r->nodes[r->n - 1] : NULL;
    if (!t || strcmp(t->id, id) != 0) {
        r->nodes = grown(a, r->nodes, r->n, &r->cap, sizeof(*r->nodes));
        t = &r->nodes[r->n++];
        memset(t, 0, sizeof(*t));
        snprintf(t->id, sizeof(t->id), "%s", id);
        snprintf(t->org_id, sizeof(t->org_id), "%s", org_id ? org_id : "");
        t->depth = depth;
        t->legal_name = arena_strdup(a, name ? name : "");
        t->archived = archived;
        r->link_cap = 0;
    }
    if (!link)
        return;
    t->links = grown(a, t->links, t->n_links, &r->link_cap, sizeof(*t->links));
    t->links[t->n_links++] = arena_strdup(a, link);
}

static int link_cmp(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* The backends give each node's links in any order: sorted here, once. */
static void links_sort(struct tree_node *nodes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (nodes[i].n_links > 1)
            qsort(nodes[i].links, nodes[i].n_links, sizeof(*nodes[i].links), link_cmp);
}

enum err store_tree_ancestors(struct store_tx *tx, struct arena *a, const char *account,
                              const char *id, int max_depth, struct tree_node **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    enum err rc = tx->be->tree_ancestors(tx, a, account, id, max_depth, out, n);
    if (rc == ERR_OK)
        links_sort(*out, *n);
    return rc;
}

enum err store_tree_descendants(struct store_tx *tx, struct arena *a, const char *account,
                                const char *root, bool root_is_org, int max_depth,
                                const struct page_query *pq, struct tree_node **out, size_t *n,
                                struct page_result *pr, char *seed)
{
    *out = NULL;
    *n = 0;
    int64_t depth;
    if (pq->has_cursor && (!pq->cursor_key || !store__parse_i64(pq->cursor_key, &depth) ||
                           depth < 1 || depth > INT32_MAX))
        return ERR_CURSOR_INVALID;
    enum err rc = tx->be->tree_descendants(tx, a, account, root, root_is_org, max_depth, pq, out, n,
                                           pr, seed);
    if (rc == ERR_OK)
        links_sort(*out, *n);
    return rc;
}

enum err store_tree_heights(struct store_tx *tx, const char *account, const char *owner,
                            const char *const *ids, size_t n, int cap, int *up, int *down)
{
    *up = 0;
    for (size_t i = 0; i < n; i++)
        down[i] = 0;
    return tx->be->tree_heights(tx, account, owner, ids, n, cap, up, down);
}
