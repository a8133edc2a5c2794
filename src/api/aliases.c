/*
 * Customer aliases: other names (an id in a CRM, say) by which a customer
 * is found. Values are unique among an account's undeleted aliases;
 * deleting an alias frees its value.
 */
#include "api.h"
#include "../core/clock.h"
#include "../domain/render.h"

#include <string.h>

struct alias_op {
    struct call *c;
    const char *id, *customer;
    struct alias al;
    struct alias *items;
    size_t n;
    const char *value;
    struct page_query pq;
    struct page_result pr;
    int status;
};

static void render_alias(void *arg, int *status, char **body)
{
    struct alias_op *op = arg;
    render_json(alias_render(&op->al, true), op->status, status, body);
}

static enum err load(struct alias_op *op, struct store_tx *tx)
{
    if (!op->id)
        return call_fail(op->c, ERR_NOT_FOUND, NULL, "no such customer alias");
    enum err rc = store_alias_get(tx, op->c->a, op->c->account, op->id, &op->al);
    return rc == ERR_NOT_FOUND ? call_fail(op->c, rc, NULL, "no such customer alias") : rc;
}

static enum err create_tx(struct store_tx *tx, void *arg)
{
    struct alias_op *op = arg;
    struct call *c = op->c;
    struct customer_brief b;
    enum err rc = store_customer_briefs(tx, c->a, c->account, &op->customer, 1, &b);
    if (rc)
        return rc;
    if (!b.found)
        return call_fail(c, ERR_CUSTOMER_NOT_FOUND, "customerId",
                         "customerId does not name a customer of this account");
    id_new(op->al.id);
    memcpy(op->al.account_id, c->account, ID_LEN + 1);
    memcpy(op->al.customer_id, op->customer, ID_LEN + 1);
    op->al.created_at = clock_now_ms();
    store_activity_note(tx, "CUSTOMER_ALIAS", "CREATED", op->al.id, op->al.customer_id);
    rc = store_alias_insert(tx, c->account, &op->al);
    if (rc == ERR_ALIAS_EXISTS)
        return call_fail(c, rc, "value", "this alias value is already in use in this account");
    return rc;
}

enum err api_aliases_create(struct call *c)
{
    struct alias_op *op = arena_zalloc(c->a, sizeof(*op));
    *op = (struct alias_op){.c = c, .status = 201};
    struct verr ve = {0};
    enum err rc;
    if ((rc = string_field_parse(c->body, "customerId", true, c->a, &op->customer, &ve)) ||
        (rc = string_field_parse(c->body, "value", true, c->a, &op->al.value, &ve)) ||
        (rc = string_field_parse(c->body, "label", false, c->a, &op->al.label, &ve)))
        return call_fail_verr(c, rc, &ve);
    if (strlen(op->al.value) > 255)
        return call_fail(c, ERR_FIELD_INVALID, "value", "value must be at most 255 bytes");
    /* GET /customers/by-alias/{alias} carries the value in the path, where a
     * slash cannot survive proxies that decode %2F. */
    if (strchr(op->al.value, '/'))
        return call_fail(c, ERR_FIELD_INVALID, "value", "value must not contain '/'");
    if (!id_valid(op->customer))
        return call_fail(c, ERR_CUSTOMER_NOT_FOUND, "customerId",
                         "customerId does not name a customer of this account");
    char *cid = arena_alloc(c->a, ID_LEN + 1);
    id_normalize(op->customer, cid);
    op->customer = cid;
    return call_write(c, create_tx, render_alias, op);
}

static enum err update_tx(struct store_tx *tx, void *arg)
{
    struct alias_op *op = arg;
    const char *label = op->value;
    enum err rc = load(op, tx);
    if (rc)
        return rc;
    op->al.label = label;
    store_activity_note(tx, "CUSTOMER_ALIAS", "UPDATED", op->al.id, op->al.customer_id);
    return store_alias_update(tx, op->c->account, &op->al);
}

enum err api_aliases_update(struct call *c)
{
    struct alias_op *op = arena_zalloc(c->a, sizeof(*op));
    *op = (struct alias_op){.c = c, .status = 200, .id = call_id_param(c, 0)};
    struct verr ve = {0};
    enum err rc = string_field_parse(c->body, "label", false, c->a, &op->value, &ve);
    if (rc)
        return call_fail_verr(c, rc, &ve);
    return call_write(c, update_tx, render_alias, op);
}

static enum err delete_tx(struct store_tx *tx, void *arg)
{
    struct alias_op *op = arg;
    enum err rc = load(op, tx);
    if (rc)
        return rc;
    op->al.deleted_at = clock_now_ms();
    store_activity_note(tx, "CUSTOMER_ALIAS", "DELETED", op->al.id, op->al.customer_id);
    return store_alias_update(tx, op->c->account, &op->al);
}

enum err api_aliases_delete(struct call *c)
{
    struct alias_op *op = arena_zalloc(c->a, sizeof(*op));
    *op = (struct alias_op){.c = c, .status = 200, .id = call_id_param(c, 0)};
    return call_write(c, delete_tx, render_alias, op);
}

static enum err list_tx(struct store_tx *tx, void *arg)
{
    struct alias_op *op = arg;
    return store_alias_list(tx, op->c->a, op->c->account, op->value, &op->pq, &op->items, &op->n,
                            &op->pr);
}

enum err api_aliases_list(struct call *c)
{
    struct alias_op op = {.c = c, .value = req_query(c->req, "value")};
    enum err rc;
    if (op.value && (*op.value == '\0' || strlen(op.value) > 255))
        return call_fail(c, ERR_PARAM_INVALID, "value", "value must be 1 to 255 bytes");
    if ((rc = call_page(c, "id", true, &op.pq)) || (rc = call_read(c, list_tx, &op)))
        return rc;
    json_t *items = json_array();
    for (size_t i = 0; i < op.n; i++)
        json_array_append_new(items, alias_render(&op.items[i], true));
    const char *after = NULL, *before = NULL;
    if (op.n) {
        after = page_cursor(c, "id", true, NULL, op.items[op.n - 1].id, op.pr.has_next);
        before = page_cursor(c, "id", true, NULL, op.items[0].id, op.pr.has_prev);
    }
    call_json(c, 200,
              json_pack("{s:o,s:o}", "items", items, "pagination",
                        pagination_render(after, before, op.pr.total)));
    return ERR_OK;
}

static enum err for_customer_tx(struct store_tx *tx, void *arg)
{
    struct alias_op *op = arg;
    struct call *c = op->c;
    enum err rc = call_customer_exists(c, tx, op->customer);
    if (rc)
        return rc;
    return store_alias_list_for_customer(tx, c->a, c->account, op->customer, &op->items, &op->n);
}

enum err api_aliases_for_customer(struct call *c)
{
    struct alias_op op = {.c = c, .customer = call_id_param(c, 0)};
    enum err rc = call_read(c, for_customer_tx, &op);
    if (rc)
        return rc;
    json_t *items = json_array();
    for (size_t i = 0; i < op.n; i++)
        json_array_append_new(items, alias_render(&op.items[i], false));
    call_json(c, 200, json_pack("{s:o}", "items", items));
    return ERR_OK;
}
