/*
 * Customers: create, get, update (full replace), archive, list, get by
 * alias, and the account's custom property keys.
 */
#include "api.h"
#include "../core/buf.h"
#include "../core/clock.h"
#include "../domain/render.h"

#include <stdlib.h>
#include <string.h>

struct cust_op {
    struct call *c;
    const char *id;
    struct customer_input in;
    struct customer out;
    int status;
    char *body; /* a write's answer, rendered in its transaction (malloc'd) */
};

/* A write's answer, rendered by customer_answer: the store takes it over. */
static void render_customer(void *arg, int *status, char **body)
{
    struct cust_op *op = arg;
    *status = op->status;
    *body = op->body;
    op->body = NULL;
}

/* The customer `id` whole into op->out, when its answer may fit: its
 * organizations are counted first, and not read when they cannot. */
static enum err customer_load(struct cust_op *op, struct store_tx *tx, const char *id)
{
    struct call *c = op->c;
    struct org_extent e;
    call_extent_start(c, &e);
    enum err rc = store_customers_extent(tx, c->account, &id, 1, &e);
    if (rc || (rc = call_answer_fits(c, &e, 0)))
        return rc;
    return call_answer_read(c, tx, store_customer_get(tx, c->a, c->account, id, &op->out), 0);
}

/* A write's last step: the customer `id` read and rendered in the write's
 * transaction, so that an answer that does not fit rolls the write back
 * (nothing changed, AnswerTooLarge) instead of following a change. */
static enum err customer_answer(struct cust_op *op, struct store_tx *tx, const char *id)
{
    enum err rc = customer_load(op, tx, id);
    if (rc)
        return rc;
    size_t len;
    free(op->body); /* a retried write renders again */
    op->body = customer_render_text(&op->out, op->c->a, call_answer_limit(op->c), &len);
    return op->body ? ERR_OK : call_answer_too_large(op->c, 0, 0);
}

static enum err not_found(struct call *c)
{
    return call_fail(c, ERR_NOT_FOUND, NULL, "no such customer");
}

/* Gives every contact of the input an id and the time `now`. */
static void stamp_contacts(struct customer *cu, int64_t now)
{
    for (size_t i = 0; i < cu->n_contacts; i++) {
        id_new(cu->contacts[i].id);
        cu->contacts[i].created_at = cu->contacts[i].updated_at = now;
        cu->contacts[i].archived_at = 0;
    }
}

/* customerAliases: attaches each value to the customer; a value another
 * customer holds is a conflict, one this customer holds already is kept. */
static enum err attach_aliases(struct call *c, struct store_tx *tx, const char *customer,
                               const struct customer_input *in, int64_t now)
{
    for (size_t i = 0; i < in->n_aliases; i++) {
        struct alias cur;
        enum err rc = store_alias_get_by_value(tx, c->a, c->account, in->aliases[i], &cur);
        if (rc == ERR_OK) {
            if (strcmp(cur.customer_id, customer) == 0)
                continue;
            return call_fail(c, ERR_ALIAS_EXISTS, "customerAliases",
                             "customerAliases[%zu] is already an alias of another customer", i);
        }
        if (rc != ERR_NOT_FOUND)
            return rc;
        struct alias al = {.value = in->aliases[i], .created_at = now};
        id_new(al.id);
        memcpy(al.account_id, c->account, ID_LEN + 1);
        memcpy(al.customer_id, customer, ID_LEN + 1);
        if ((rc = store_alias_insert(tx, c->account, &al)))
            return rc == ERR_ALIAS_EXISTS ? call_fail(c, rc, "customerAliases",
                                                      "customerAliases[%zu] is already in use", i)
                                          : rc;
    }
    return ERR_OK;
}

/* parentId (R2, src/rules): `child` joins the organization `parent` owns. */
static enum err attach_to_parent(struct call *c, struct store_tx *tx, const char *parent,
                                 const char *child)
{
    struct rules_limits lim = call_limits(c);
    struct rules_verdict v = {0};
    enum err rc = rules_parent_attach(tx, c->a, c->account, &lim, parent, child, &v);
    return rc ? call_fail_verdict(c, rc, &v) : ERR_OK;
}

static enum err create_tx(struct store_tx *tx, void *arg)
{
    struct cust_op *op = arg;
    struct call *c = op->c;
    struct customer *cu = &op->in.c;
    /* The id's own time: a customer's createdAt is the time its id carries,
     * which lets list pages in creation order read the table in id order
     * (SQLite's migration 7). */
    id_new(cu->id);
    int64_t now = id_time_ms(cu->id);
    cu->created_at = cu->updated_at = now;
    cu->archived_at = 0;
    stamp_contacts(cu, now);
    enum err rc;
    if ((rc = store_customer_insert(tx, c->account, cu)) ||
        (rc = attach_aliases(c, tx, cu->id, &op->in, now)))
        return rc;
    if (op->in.parent_id && (rc = attach_to_parent(c, tx, op->in.parent_id, cu->id)))
        return rc;
    store_activity_note(tx, "CUSTOMER", "CREATED", cu->id, cu->id);
    store_event_note(tx, "CUSTOMER_CREATED", "CUSTOMER", cu->id, NULL);
    return customer_answer(op, tx, cu->id);
}

/* Parses the body into op->in, then runs fn as the call's write. */
static enum err write_input(struct cust_op *op, store_fn fn)
{
    struct verr ve = {0};
    enum err rc = customer_input_parse(op->c->body, op->c->a, &op->in, &ve);
    return rc ? call_fail_verr(op->c, rc, &ve) : call_write(op->c, fn, render_customer, op);
}

enum err api_customers_create(struct call *c)
{
    struct cust_op *op = arena_zalloc(c->a, sizeof(*op));
    *op = (struct cust_op){.c = c, .status = 201};
    return write_input(op, create_tx);
}

static enum err update_tx(struct store_tx *tx, void *arg)
{
    struct cust_op *op = arg;
    struct call *c = op->c;
    struct customer *cu = &op->in.c;
    int64_t now = clock_now_ms();
    memcpy(cu->id, op->id, ID_LEN + 1);
    cu->updated_at = now;
    stamp_contacts(cu, now);
    enum err rc = store_customer_update(tx, c->account, cu, op->in.props_given);
    if (rc == ERR_NOT_FOUND)
        return not_found(c);
    if (rc || (rc = attach_aliases(c, tx, cu->id, &op->in, now)))
        return rc;
    if (op->in.parent_id && (rc = attach_to_parent(c, tx, op->in.parent_id, cu->id)))
        return rc;
    store_activity_note(tx, "CUSTOMER", "UPDATED", cu->id, cu->id);
    store_event_note(tx, "CUSTOMER_UPDATED", "CUSTOMER", cu->id, NULL);
    return customer_answer(op, tx, cu->id);
}

enum err api_customers_update(struct call *c)
{
    struct cust_op *op = arena_zalloc(c->a, sizeof(*op));
    *op = (struct cust_op){.c = c, .status = 200, .id = call_id_param(c, 0)};
    if (!op->id)
        return not_found(c);
    return write_input(op, update_tx);
}

static enum err get_tx(struct store_tx *tx, void *arg)
{
    struct cust_op *op = arg;
    enum err rc = customer_load(op, tx, op->id);
    return rc == ERR_NOT_FOUND ? not_found(op->c) : rc;
}

enum err api_customers_get(struct call *c)
{
    struct cust_op op = {.c = c, .id = call_id_param(c, 0)};
    if (!op.id)
        return not_found(c);
    enum err rc = call_read(c, get_tx, &op);
    if (rc)
        return rc;
    size_t len = 0;
    char *body = customer_render_text(&op.out, c->a, call_answer_limit(c), &len);
    return call_answer_text(c, 200, body, len);
}

static enum err archive_tx(struct store_tx *tx, void *arg)
{
    struct cust_op *op = arg;
    enum err rc = store_customer_archive(tx, op->c->account, op->id, clock_now_ms());
    if (rc == ERR_NOT_FOUND)
        return not_found(op->c);
    store_activity_note(tx, "CUSTOMER", "ARCHIVED", op->id, op->id);
    store_event_note(tx, "CUSTOMER_ARCHIVED", "CUSTOMER", op->id, NULL);
    return rc ? rc : customer_answer(op, tx, op->id);
}

enum err api_customers_archive(struct call *c)
{
    struct cust_op *op = arena_zalloc(c->a, sizeof(*op));
    *op = (struct cust_op){.c = c, .status = 200, .id = call_id_param(c, 0)};
    if (!op->id)
        return not_found(c);
    return call_write(c, archive_tx, render_customer, op);
}

struct alias_lookup {
    struct call *c;
    const char *value;
    struct customer out;
};

static enum err by_alias_tx(struct store_tx *tx, void *arg)
{
    struct alias_lookup *op = arg;
    struct alias al;
    enum err rc = store_alias_get_by_value(tx, op->c->a, op->c->account, op->value, &al);
    if (rc == ERR_OK)
        rc = store_customer_get(tx, op->c->a, op->c->account, al.customer_id, &op->out);
    if (rc == ERR_NOT_FOUND)
        return call_fail(op->c, rc, NULL, "no customer has this alias");
    return rc;
}

enum err api_customers_by_alias(struct call *c)
{
    struct alias_lookup op = {.c = c, .value = c->req->params[0]};
    enum err rc = call_read(c, by_alias_tx, &op);
    if (rc)
        return rc;
    call_json(c, 200, customer_render_legacy(&op.out, c->a));
    return ERR_OK;
}

struct keys_op {
    struct call *c;
    const char **keys;
    size_t n;
};

static enum err keys_tx(struct store_tx *tx, void *arg)
{
    struct keys_op *op = arg;
    return store_property_keys(tx, op->c->a, op->c->account, &op->keys, &op->n);
}

enum err api_customers_property_keys(struct call *c)
{
    struct keys_op op = {.c = c};
    enum err rc = call_read(c, keys_tx, &op);
    if (rc)
        return rc;
    json_t *items = json_array();
    for (size_t i = 0; i < op.n; i++)
        json_array_append_new(items, json_string(op.keys[i]));
    call_json(c, 200, json_pack("{s:o}", "items", items));
    return ERR_OK;
}

struct list_op {
    struct call *c;
    struct customer_query q;
    struct customer *items;
    const char **keys;
    size_t n;
    struct page_result pr;
};

/* The page, when its answer may fit: counted first from the page's keyset
 * (or, on PostgreSQL, guarded in the page's round trip), so that a page
 * too large is refused before any organization is read. */
static enum err list_tx(struct store_tx *tx, void *arg)
{
    struct list_op *op = arg;
    struct call *c = op->c;
    struct org_extent e;
    call_extent_start(c, &e);
    enum err rc = store_customer_list_extent(tx, c->a, c->account, &op->q, &e);
    if (rc || (rc = call_answer_fits(c, &e, op->q.page.limit)))
        return rc;
    rc = store_customer_list(tx, c->a, c->account, &op->q, &op->items, &op->keys, &op->n, &op->pr);
    return call_answer_read(c, tx, rc, op->q.page.limit);
}

/* sortBy: createdAt (default), legalName, label, or customProperties.<key>. */
static enum err parse_sort(struct call *c, struct customer_query *q, const char **name)
{
    const char *s = req_query(c->req, "sortBy");
    *name = s ? s : "createdAt";
    if (!s || strcmp(s, "createdAt") == 0) {
        q->sort = SORT_CREATED_AT;
    } else if (strcmp(s, "legalName") == 0) {
        q->sort = SORT_LEGAL_NAME;
    } else if (strcmp(s, "label") == 0) {
        q->sort = SORT_LABEL;
    } else if (strncmp(s, "customProperties.", 17) == 0 && s[17] && strlen(s + 17) <= 128) {
        q->sort = SORT_PROPERTY;
        q->sort_property = s + 17;
    } else {
        return call_fail(c, ERR_PARAM_INVALID, "sortBy",
                         "sortBy must be createdAt, legalName, label or customProperties.<key>");
    }
    return ERR_OK;
}

static enum err text_filter(struct call *c, const char *name, const char **out)
{
    const char *v = req_query(c->req, name);
    *out = NULL;
    if (!v)
        return ERR_OK;
    if (*v == '\0' || strlen(v) > TEXT_MAX)
        return call_fail(c, ERR_PARAM_INVALID, name, "%s must be 1 to %d bytes", name, TEXT_MAX);
    *out = v;
    return ERR_OK;
}

/* A createdAt cursor's key is a time in milliseconds: any other key was
 * not issued by this list. */
static enum err check_time_cursor(struct call *c, const struct customer_query *q)
{
    if (q->sort != SORT_CREATED_AT || !q->page.has_cursor)
        return ERR_OK;
    const char *k = q->page.cursor_key;
    const char *p = k && *k == '-' ? k + 1 : k;
    bool ok = p && *p && strlen(p) <= 18;
    for (; ok && *p; p++)
        ok = *p >= '0' && *p <= '9';
    if (ok)
        return ERR_OK;
    const char *name = q->page.cursor_after ? "after" : "before";
    return call_fail(c, ERR_CURSOR_INVALID, name, "%s is not a cursor this API issued", name);
}

enum err api_customers_list(struct call *c)
{
    struct list_op op = {.c = c};
    struct customer_query *q = &op.q;
    const char *sort_name, *order = req_query(c->req, "sortOrder");
    const char *billing = req_query(c->req, "billingStatus");
    enum err rc;
    if ((rc = parse_sort(c, q, &sort_name)))
        return rc;
    if (order && strcmp(order, "ASC") != 0 && strcmp(order, "DESC") != 0)
        return call_fail(c, ERR_PARAM_INVALID, "sortOrder", "sortOrder must be ASC or DESC");
    bool desc = !order || strcmp(order, "DESC") == 0;
    if (billing && strcmp(billing, "ACTIVE") != 0 && strcmp(billing, "INACTIVE") != 0)
        return call_fail(c, ERR_PARAM_INVALID, "billingStatus",
                         "billingStatus must be ACTIVE or INACTIVE");
    if ((rc = text_filter(c, "legalName", &q->legal_name)) ||
        (rc = text_filter(c, "email", &q->email)) || (rc = text_filter(c, "alias", &q->alias)) ||
        (rc = text_filter(c, "label", &q->label)) ||
        (rc = call_bool_param(c, "includeArchived", false, &q->include_archived)) ||
        (rc = call_page(c, sort_name, desc, &q->page)) || (rc = check_time_cursor(c, q)))
        return rc;
    /* kinship keeps no billing schedules: no customer has an ACTIVE one. */
    bool none = billing && strcmp(billing, "ACTIVE") == 0;
    if (!none && (rc = call_read(c, list_tx, &op)))
        return rc;
    const char *after = NULL, *before = NULL;
    if (op.n) {
        after = page_cursor(c, sort_name, desc, op.keys[op.n - 1], op.items[op.n - 1].id,
                            op.pr.has_next);
        before = page_cursor(c, sort_name, desc, op.keys[0], op.items[0].id, op.pr.has_prev);
    }
    /* A page of 100 customers, each with its organizations and their
     * members, was most of the list's time as jansson objects. */
    struct buf page;
    call_page_begin(c, &page);
    for (size_t i = 0; i < op.n && !page.failed; i++) {
        if (i)
            buf_puts(&page, ",");
        customer_render_list_text(&page, &op.items[i], c->a);
    }
    return call_page_end(c, &page, q->page.limit, after, before, op.pr.total);
}
