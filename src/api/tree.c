/*
 * The hierarchy as a tree (kinship extensions, docs/hierarchy.md): a
 * customer's ancestors, a page of its descendants (breadth-first), and an
 * organization's subtree to a bounded depth. Each customer appears once, at
 * its least depth; `via` and `parentIds` carry the other paths.
 */
#include "api.h"
#include "../core/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The most steps any walk takes: past every hierarchy the depth limit
 * allows, and a bound when it is off. */
#define TREE_WALK_MAX 1000000

struct tree_op {
    struct call *c;
    const char *id; /* path id: a customer, or an organization */
    int max_depth;
    struct page_query pq;
    struct tree_node *nodes;
    size_t n;
    struct page_result pr;
    char seed[ID_LEN + 1];
};

static json_t *ids_json(const char *const *ids, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_string(ids[i]));
    return arr;
}

/* One customer of an answer; `links` is named by the read. */
static json_t *node_json(const struct tree_node *t, const char *links)
{
    json_t *j = json_pack("{s:s,s:s,s:b,s:i}", "id", t->id, "legalName", t->legal_name, "archived",
                          t->archived, "depth", t->depth);
    if (t->org_id[0])
        json_object_set_new(j, "organizationId", json_string(t->org_id));
    json_object_set_new(j, links, ids_json(t->links, t->n_links));
    return j;
}

/* ?maxDepth: a whole number from 1 to TREE_WALK_MAX, `def` when absent. */
static enum err max_depth_param(struct call *c, int def, int *out)
{
    const char *v = req_query(c->req, "maxDepth");
    *out = def;
    if (!v)
        return ERR_OK;
    char *end;
    long d = strtol(v, &end, 10);
    if (*v == '\0' || *end != '\0' || d < 1 || d > TREE_WALK_MAX)
        return call_fail(c, ERR_PARAM_INVALID, "maxDepth",
                         "maxDepth must be a whole number from 1 to %d", TREE_WALK_MAX);
    *out = (int)d;
    return ERR_OK;
}

static enum err not_found(struct call *c, enum err rc, const char *what)
{
    return rc == ERR_NOT_FOUND ? call_fail(c, rc, NULL, "no such %s", what) : rc;
}

static enum err ancestors_tx(struct store_tx *tx, void *arg)
{
    struct tree_op *op = arg;
    if (!op->id)
        return not_found(op->c, ERR_NOT_FOUND, "customer");
    return not_found(op->c,
                     store_tree_ancestors(tx, op->c->a, op->c->account, op->id, op->max_depth,
                                          &op->nodes, &op->n),
                     "customer");
}

enum err api_tree_ancestors(struct call *c)
{
    struct tree_op op = {.c = c, .id = call_id_param(c, 0), .max_depth = TREE_WALK_MAX};
    enum err rc = call_read(c, ancestors_tx, &op);
    if (rc)
        return rc;
    json_t *items = json_array();
    for (size_t i = 0; i < op.n; i++)
        json_array_append_new(items, node_json(&op.nodes[i], "via"));
    call_json(c, 200, json_pack("{s:s,s:o}", "customerId", op.id, "items", items));
    return ERR_OK;
}

static enum err below_tx(struct store_tx *tx, void *arg, bool from_org, const char *what)
{
    struct tree_op *op = arg;
    if (!op->id)
        return not_found(op->c, ERR_NOT_FOUND, what);
    enum err rc =
        store_tree_descendants(tx, op->c->a, op->c->account, op->id, from_org, op->max_depth,
                               &op->pq, &op->nodes, &op->n, &op->pr, op->seed);
    if (rc == ERR_CURSOR_INVALID)
        return call_fail(op->c, rc, op->pq.cursor_after ? "after" : "before",
                         "the cursor is not one this list issued");
    return not_found(op->c, rc, what);
}

static enum err descendants_tx(struct store_tx *tx, void *arg)
{
    return below_tx(tx, arg, false, "customer");
}

enum err api_tree_descendants(struct call *c)
{
    struct tree_op op = {.c = c, .id = call_id_param(c, 0)};
    enum err rc;
    if ((rc = max_depth_param(c, TREE_WALK_MAX, &op.max_depth)) ||
        (rc = call_page(c, "depth", false, &op.pq)) || (rc = call_read(c, descendants_tx, &op)))
        return rc;
    struct buf page;
    call_page_begin(c, &page);
    for (size_t i = 0; i < op.n; i++) {
        json_t *j = node_json(&op.nodes[i], "parentIds");
        size_t len;
        char *text = api_dump(j, &len);
        json_decref(j);
        if (i)
            buf_puts(&page, ",");
        buf_append(&page, text, len);
        free(text);
    }
    const char *after = NULL, *before = NULL;
    if (op.n) {
        const struct tree_node *first = &op.nodes[0], *last = &op.nodes[op.n - 1];
        after = page_cursor(c, "depth", false, arena_printf(c->a, "%d", last->depth), last->id,
                            op.pr.has_next);
        before = page_cursor(c, "depth", false, arena_printf(c->a, "%d", first->depth), first->id,
                             op.pr.has_prev);
    }
    return call_page_end(c, &page, op.pq.limit, after, before, op.pr.total);
}

static enum err subtree_tx(struct store_tx *tx, void *arg)
{
    return below_tx(tx, arg, true, "customer organization");
}

enum err api_tree_organization(struct call *c)
{
    struct tree_op op = {.c = c, .id = call_id_param(c, 0)};
    long most = c->api->cfg->tree_nodes;
    enum err rc;
    if ((rc = max_depth_param(c, 1, &op.max_depth)))
        return rc;
    /* One row more than the bound tells a subtree that is too large. */
    op.pq.limit = (int)most;
    if ((rc = call_read(c, subtree_tx, &op)))
        return rc;
    if (op.pr.has_next)
        return call_fail(c, ERR_LIMIT_EXCEEDED, "maxDepth",
                         "the tree to this maxDepth holds %lld customers, more than the %ld one "
                         "answer may hold (tree_nodes): ask for less depth, or page through "
                         "GET /customers/%s/descendants",
                         (long long)op.pr.total, most, op.seed);
    json_t *items = json_array();
    for (size_t i = 0; i < op.n; i++)
        json_array_append_new(items, node_json(&op.nodes[i], "parentIds"));
    call_json(c, 200,
              json_pack("{s:s,s:s,s:i,s:I,s:o}", "organizationId", op.id, "ownerId", op.seed,
                        "maxDepth", op.max_depth, "total", (json_int_t)op.pr.total, "items",
                        items));
    return ERR_OK;
}
