/*
 * Customer organizations: create (the seed operation), add and replace
 * members, and kinship's extensions (get, list, delete, remove a member).
 * The rules R1-R10 of ARCHITECTURE.md live in src/rules: the handlers here
 * parse, run them inside the write transaction, and render.
 */
#include "api.h"
#include "../core/buf.h"
#include "../domain/render.h"

#include <stdlib.h>
#include <string.h>

#define ORG "CUSTOMER_ORGANIZATION" /* the activity log's object type */

struct org_op {
    struct call *c;
    const char *org_id; /* path id, for member operations */
    const char *owner;  /* create */
    const char **ids;   /* requested member ids, as given */
    size_t n;
    bool replace;
    const char *remove;      /* member removal */
    struct organization org; /* the answer */
    int status;
    char *body; /* a write's answer, rendered in its transaction (malloc'd) */
};

/* A write's last step: op->org rendered in the write's transaction, so
 * that an answer that does not fit rolls the write back (nothing changed,
 * AnswerTooLarge) instead of following a change. */
static enum err org_answer(struct org_op *op)
{
    size_t len;
    free(op->body); /* a retried write renders again */
    op->body = organization_render_text(&op->org, call_answer_limit(op->c), &len);
    return op->body ? ERR_OK : call_answer_too_large(op->c, 0, 0);
}

static enum err create_tx(struct store_tx *tx, void *arg)
{
    struct org_op *op = arg;
    struct call *c = op->c;
    struct rules_limits lim = call_limits(c);
    struct rules_verdict v = {0};
    enum err rc =
        rules_org_create(tx, c->a, c->account, &lim, op->owner, op->ids, op->n, &op->org, &v);
    if (rc)
        return call_fail_verdict(c, rc, &v);
    store_activity_note(tx, ORG, "CREATED", op->org.id, op->org.owner.id);
    store_event_note(tx, "ORGANIZATION_CREATED", ORG, op->org.id,
                     event_members_detail(c->a, NULL, &op->org));
    return org_answer(op);
}

/* A write's answer, rendered by org_answer: the store takes it over. */
static void render_org(void *arg, int *status, char **body)
{
    struct org_op *op = arg;
    *status = op->status;
    *body = op->body;
    op->body = NULL;
}

static enum err parse_ids(struct call *c, const char *field, struct org_op *op)
{
    struct verr ve = {0};
    enum err rc = id_list_parse(c->body, field, c->a, &op->ids, &op->n, &ve);
    if (rc)
        return call_fail_verr(c, rc, &ve);
    struct rules_limits lim = call_limits(c);
    struct rules_verdict v = {0};
    rc = rules_limit_request(&lim, field, op->n, &v);
    return rc ? call_fail_verdict(c, rc, &v) : ERR_OK;
}

enum err api_orgs_create(struct call *c)
{
    struct org_op *op = arena_zalloc(c->a, sizeof(*op));
    *op = (struct org_op){.c = c, .status = 201};
    struct verr ve = {0};
    const char *given;
    enum err rc = string_field_parse(c->body, "ownerId", true, c->a, &given, &ve);
    if (rc)
        return call_fail_verr(c, rc, &ve);
    if ((rc = parse_ids(c, "memberIds", op)))
        return rc;
    struct rules_verdict v = {0};
    if ((rc = rules_id_parse(c->a, "ownerId", given, &op->owner, &v)))
        return call_fail_verdict(c, rc, &v);
    return call_write(c, create_tx, render_org, op);
}

/* Loads the organization of the path, or answers 404. */
static enum err load_org(struct call *c, struct store_tx *tx, const char *id,
                         struct organization *out)
{
    if (!id)
        return call_fail(c, ERR_NOT_FOUND, NULL, "no such customer organization");
    enum err rc = store_org_get(tx, c->a, c->account, id, out);
    if (rc == ERR_NOT_FOUND)
        return call_fail(c, rc, NULL, "no such customer organization");
    return rc;
}

static enum err members_tx(struct store_tx *tx, void *arg)
{
    struct org_op *op = arg;
    struct call *c = op->c;
    struct organization cur;
    enum err rc;
    if ((rc = load_org(c, tx, op->org_id, &cur)))
        return rc;
    struct rules_limits lim = call_limits(c);
    struct rules_verdict v = {0};
    rc = rules_org_members_change(tx, c->a, c->account, &lim, &cur, op->ids, op->n, op->replace,
                                  &op->org, &v);
    if (rc)
        return call_fail_verdict(c, rc, &v);
    store_activity_note(tx, ORG, op->replace ? "MEMBERS_REPLACED" : "MEMBERS_ADDED", op->org.id,
                        op->org.owner.id);
    store_event_note(tx,
                     op->replace ? "ORGANIZATION_MEMBERS_REPLACED" : "ORGANIZATION_MEMBERS_ADDED",
                     ORG, op->org.id, event_members_detail(c->a, &cur, &op->org));
    return org_answer(op);
}

static enum err members_change(struct call *c, bool replace)
{
    struct org_op *op = arena_zalloc(c->a, sizeof(*op));
    *op = (struct org_op){.c = c, .status = 200, .replace = replace, .org_id = call_id_param(c, 0)};
    enum err rc = parse_ids(c, "customerIds", op);
    if (rc)
        return rc;
    return call_write(c, members_tx, render_org, op);
}

enum err api_orgs_members_add(struct call *c)
{
    return members_change(c, false);
}

enum err api_orgs_members_replace(struct call *c)
{
    return members_change(c, true);
}

/* ---- extensions ---- */

/* The organization, when its answer may fit (counted before it is read). */
static enum err get_tx(struct store_tx *tx, void *arg)
{
    struct org_op *op = arg;
    struct call *c = op->c;
    struct org_extent e;
    call_extent_start(c, &e);
    enum err rc = op->org_id ? store_orgs_extent(tx, c->account, &op->org_id, 1, &e) : ERR_OK;
    if (rc || (op->org_id && (rc = call_answer_fits(c, &e, 0))))
        return rc;
    return call_answer_read(c, tx, load_org(c, tx, op->org_id, &op->org), 0);
}

enum err api_orgs_get(struct call *c)
{
    struct org_op op = {.c = c, .org_id = call_id_param(c, 0)};
    enum err rc = call_read(c, get_tx, &op);
    if (rc)
        return rc;
    size_t len = 0;
    char *body = organization_render_text(&op.org, call_answer_limit(c), &len);
    return call_answer_text(c, 200, body, len);
}

static enum err delete_tx(struct store_tx *tx, void *arg)
{
    struct org_op *op = arg;
    enum err rc = load_org(op->c, tx, op->org_id, &op->org);
    if (rc || (rc = store_org_delete(tx, op->c->account, op->org.id)))
        return rc;
    store_activity_note(tx, ORG, "DELETED", op->org.id, op->org.owner.id);
    store_event_note(tx, "ORGANIZATION_DELETED", ORG, op->org.id,
                     event_members_detail(op->c->a, &op->org, NULL));
    return org_answer(op);
}

enum err api_orgs_delete(struct call *c)
{
    struct org_op *op = arena_zalloc(c->a, sizeof(*op));
    *op = (struct org_op){.c = c, .status = 200, .org_id = call_id_param(c, 0)};
    return call_write(c, delete_tx, render_org, op);
}

static enum err remove_tx(struct store_tx *tx, void *arg)
{
    struct org_op *op = arg;
    struct call *c = op->c;
    struct organization cur;
    enum err rc = load_org(c, tx, op->org_id, &cur);
    if (rc)
        return rc;
    if (!op->remove)
        return call_fail(c, ERR_NOT_FOUND, NULL, "the customer is not a member");
    rc = store_org_member_remove(tx, c->account, cur.id, op->remove);
    if (rc == ERR_NOT_FOUND)
        return call_fail(c, rc, NULL, "the customer is not a member of this organization");
    if (rc || (rc = store_org_get(tx, c->a, c->account, cur.id, &op->org)))
        return rc;
    store_activity_note(tx, ORG, "MEMBER_REMOVED", op->org.id, op->org.owner.id);
    store_event_note(tx, "ORGANIZATION_MEMBER_REMOVED", ORG, op->org.id,
                     event_members_detail(c->a, &cur, &op->org));
    return org_answer(op);
}

enum err api_orgs_member_remove(struct call *c)
{
    struct org_op *op = arena_zalloc(c->a, sizeof(*op));
    *op = (struct org_op){
        .c = c, .status = 200, .org_id = call_id_param(c, 0), .remove = call_id_param(c, 1)};
    return call_write(c, remove_tx, render_org, op);
}

struct list_op {
    struct call *c;
    const char *owner, *member;
    struct page_query pq;
    struct organization *items;
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
    enum err rc = store_org_list_extent(tx, c->a, c->account, op->owner, op->member, &op->pq, &e);
    if (rc || (rc = call_answer_fits(c, &e, op->pq.limit)))
        return rc;
    rc = store_org_list(tx, c->a, c->account, op->owner, op->member, &op->pq, &op->items, &op->n,
                        &op->pr);
    return call_answer_read(c, tx, rc, op->pq.limit);
}

static enum err id_filter(struct call *c, const char *name, const char **out)
{
    const char *v = req_query(c->req, name);
    *out = NULL;
    if (!v)
        return ERR_OK;
    if (!id_valid(v))
        return call_fail(c, ERR_PARAM_INVALID, name, "%s must be a customer id", name);
    char *id = arena_alloc(c->a, ID_LEN + 1);
    id_normalize(v, id);
    *out = id;
    return ERR_OK;
}

enum err api_orgs_list(struct call *c)
{
    struct list_op op = {.c = c};
    enum err rc;
    if ((rc = id_filter(c, "ownerId", &op.owner)) || (rc = id_filter(c, "memberId", &op.member)) ||
        (rc = call_page(c, "id", true, &op.pq)) || (rc = call_read(c, list_tx, &op)))
        return rc;
    struct buf page;
    call_page_begin(c, &page);
    for (size_t i = 0; i < op.n && !page.failed; i++) {
        if (i)
            buf_puts(&page, ",");
        organization_render_into(&page, &op.items[i]);
    }
    const char *after =
        op.n ? page_cursor(c, "id", true, NULL, op.items[op.n - 1].id, op.pr.has_next) : NULL;
    const char *before =
        op.n ? page_cursor(c, "id", true, NULL, op.items[0].id, op.pr.has_prev) : NULL;
    return call_page_end(c, &page, op.pq.limit, after, before, op.pr.total);
}
