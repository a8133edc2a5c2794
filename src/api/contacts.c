/*
 * Contacts of a customer, under the rule Sequence states for
 * billingPreference (C1, src/rules/contacts.c): when any contact receives
 * billing communications, at least one is PRIMARY. Several PRIMARY contacts
 * are fine, and a write changes only the contact it names (no PRIMARY is
 * ever demoted behind the caller's back); a write that would leave STANDARD
 * contacts without a PRIMARY one is a 409 Conflict naming the rule.
 */
#include "api.h"
#include "../core/clock.h"
#include "../domain/render.h"
#include "../rules/rules.h"

struct contact_op;
/* An operation's work, once its customer is known to exist. */
typedef enum err (*contact_run)(struct contact_op *op, struct store_tx *tx);

struct contact_op {
    struct call *c;
    contact_run run;
    const char *customer, *id;
    struct contact in, out;
    struct contact *items;
    size_t n;
    bool include_archived;
    int status;
};

static void render_contact(void *arg, int *status, char **body)
{
    struct contact_op *op = arg;
    render_json(contact_render(&op->out), op->status, status, body);
}

/* Every contact operation's transaction: the path's customer, then op->run. */
static enum err customer_tx(struct store_tx *tx, void *arg)
{
    struct contact_op *op = arg;
    enum err rc = call_customer_exists(op->c, tx, op->customer);
    /* A contact is part of its customer's shape (event table:
     * docs/notifications.md); a read records nothing. */
    store_event_note(tx, "CUSTOMER_UPDATED", "CUSTOMER", op->customer, NULL);
    return rc ? rc : op->run(op, tx);
}

/* A write's op: in the call's arena, not on the handler's stack (call_write). */
static struct contact_op *write_op(struct call *c, int status, contact_run run)
{
    struct contact_op *op = arena_zalloc(c->a, sizeof(*op));
    *op = (struct contact_op){.c = c,
                              .run = run,
                              .status = status,
                              .customer = call_id_param(c, 0),
                              .id = call_id_param(c, 1)};
    return op;
}

/* The path's contact into op->out. */
static enum err load_contact(struct contact_op *op, struct store_tx *tx)
{
    if (!op->id)
        return call_fail(op->c, ERR_NOT_FOUND, NULL, "no such contact");
    enum err rc = store_contact_get(tx, op->c->a, op->c->account, op->customer, op->id, &op->out);
    return rc == ERR_NOT_FOUND ? call_fail(op->c, rc, NULL, "no such contact") : rc;
}

/* C1 for op->out, about to be written (what: how the message begins). */
static enum err billing_rule(struct contact_op *op, struct store_tx *tx, const char *field,
                             const char *what)
{
    struct rules_verdict v = {0};
    enum err rc =
        rules_contact_change(tx, op->c->a, op->c->account, op->customer, &op->out, field, what, &v);
    return rc ? call_fail_verdict(op->c, rc, &v) : ERR_OK;
}

static enum err list(struct contact_op *op, struct store_tx *tx)
{
    return store_contact_list(tx, op->c->a, op->c->account, op->customer, op->include_archived,
                              &op->items, &op->n);
}

enum err api_contacts_list(struct call *c)
{
    struct contact_op op = {.c = c, .run = list, .customer = call_id_param(c, 0)};
    enum err rc;
    if ((rc = call_bool_param(c, "includeArchived", false, &op.include_archived)) ||
        (rc = call_read(c, customer_tx, &op)))
        return rc;
    json_t *items = json_array();
    for (size_t i = 0; i < op.n; i++)
        json_array_append_new(items, contact_render(&op.items[i]));
    call_json(c, 200, json_pack("{s:o}", "items", items));
    return ERR_OK;
}

static enum err create(struct contact_op *op, struct store_tx *tx)
{
    enum err rc;
    int64_t now = clock_now_ms();
    op->out = op->in;
    id_new(op->out.id);
    op->out.created_at = op->out.updated_at = now;
    if ((rc = billing_rule(op, tx, "billingPreference", "adding this contact")))
        return rc;
    store_activity_note(tx, "CONTACT", "CREATED", op->out.id, op->customer);
    return store_contact_insert(tx, op->c->account, op->customer, &op->out);
}

/* Parses the body into op->in, then runs op as the call's write. */
static enum err write_input(struct contact_op *op)
{
    struct verr ve = {0};
    enum err rc = contact_input_parse(op->c->body, op->c->a, &op->in, &ve);
    return rc ? call_fail_verr(op->c, rc, &ve) : call_write(op->c, customer_tx, render_contact, op);
}

enum err api_contacts_create(struct call *c)
{
    return write_input(write_op(c, 201, create));
}

static enum err update(struct contact_op *op, struct store_tx *tx)
{
    struct call *c = op->c;
    enum err rc = load_contact(op, tx);
    if (rc)
        return rc;
    if (op->out.archived_at)
        return call_fail(c, ERR_CONFLICT, NULL, "archived contacts cannot be changed");
    op->out.name = op->in.name;
    op->out.email = op->in.email;
    op->out.pref = op->in.pref;
    op->out.updated_at = clock_now_ms();
    if ((rc = billing_rule(op, tx, "billingPreference", "this change")))
        return rc;
    store_activity_note(tx, "CONTACT", "UPDATED", op->out.id, op->customer);
    return store_contact_update(tx, c->account, op->customer, &op->out);
}

enum err api_contacts_update(struct call *c)
{
    return write_input(write_op(c, 200, update));
}

static enum err archive(struct contact_op *op, struct store_tx *tx)
{
    enum err rc = load_contact(op, tx);
    if (rc == ERR_OK)
        store_activity_note(tx, "CONTACT", "ARCHIVED", op->out.id, op->customer);
    if (rc || op->out.archived_at)
        return rc;
    op->out.archived_at = op->out.updated_at = clock_now_ms();
    if ((rc = billing_rule(op, tx, NULL, "archiving this contact")))
        return rc;
    return store_contact_update(tx, op->c->account, op->customer, &op->out);
}

enum err api_contacts_archive(struct call *c)
{
    return call_write(c, customer_tx, render_contact, write_op(c, 200, archive));
}
