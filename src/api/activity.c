/*
 * The activity log: one entry for every successful write, recorded by the
 * store in the write's own transaction (store_activity_note; each write
 * handler says what it did). These are its two reads.
 */
#include "api.h"

#include <string.h>

struct activity_op {
    struct call *c;
    const char *id;
    struct activity_entry e;
    struct activity_query q;
    struct activity_entry *items;
    size_t n;
    struct page_result pr;
};

static enum err get_tx(struct store_tx *tx, void *arg)
{
    struct activity_op *op = arg;
    struct call *c = op->c;
    if (!op->id)
        return call_fail(c, ERR_NOT_FOUND, NULL, "no such activity log");
    enum err rc = store_activity_get(tx, c->a, c->account, op->id, &op->e);
    return rc == ERR_NOT_FOUND ? call_fail(c, rc, NULL, "no such activity log") : rc;
}

enum err api_activity_get(struct call *c)
{
    struct activity_op op = {.c = c, .id = call_id_param(c, 0)};
    enum err rc = call_read(c, get_tx, &op);
    if (rc)
        return rc;
    call_json(c, 200, activity_render(&op.e));
    return ERR_OK;
}

/* The filter `name`: an id (normalized) or any other text of 1 to 255
 * bytes, which then matches nothing. */
static enum err filter_param(struct call *c, const char *name, const char **out)
{
    const char *v = req_query(c->req, name);
    *out = NULL;
    if (!v)
        return ERR_OK;
    if (*v == '\0' || strlen(v) > 255)
        return call_fail(c, ERR_PARAM_INVALID, name, "%s must be 1 to 255 bytes", name);
    if (id_valid(v)) {
        char *id = arena_alloc(c->a, ID_LEN + 1);
        id_normalize(v, id);
        v = id;
    }
    *out = v;
    return ERR_OK;
}

static enum err list_tx(struct store_tx *tx, void *arg)
{
    struct activity_op *op = arg;
    return store_activity_list(tx, op->c->a, op->c->account, &op->q, &op->items, &op->n, &op->pr);
}

enum err api_activity_list(struct call *c)
{
    struct activity_op op = {.c = c};
    const char *order = req_query(c->req, "sortOrder");
    if (order && strcmp(order, "ASC") != 0 && strcmp(order, "DESC") != 0)
        return call_fail(c, ERR_PARAM_INVALID, "sortOrder", "sortOrder must be ASC or DESC");
    bool desc = !order || strcmp(order, "DESC") == 0;
    enum err rc;
    if ((rc = filter_param(c, "activityLogObjectId", &op.q.object_id)) ||
        (rc = filter_param(c, "activityLogObjectEntityId", &op.q.entity_id)) ||
        (rc = call_page(c, "id", desc, &op.q.page)) || (rc = call_read(c, list_tx, &op)))
        return rc;
    json_t *items = json_array();
    for (size_t i = 0; i < op.n; i++)
        json_array_append_new(items, activity_render(&op.items[i]));
    call_page_json(c, items, op.n ? op.items[0].id : NULL, op.n ? op.items[op.n - 1].id : NULL,
                   desc, &op.pr);
    return ERR_OK;
}
