/*
 * Notification policies (Sequence's webhooks and email notifications):
 * who is told of which events, by which channel. A policy's lists change
 * through their own operations (types and recipients added or removed
 * one at a time); the rest of a policy never changes. docs/notifications.md
 * says what kinship chose where Sequence is silent.
 */
#include "api.h"
#include "../core/clock.h"
#include "../core/secret.h"

#include <string.h>

#define OBJECT "NOTIFICATION_POLICY"

struct policy_op {
    struct call *c;
    const char *id;
    struct notification_policy p;
    bool with_secret;
    /* what to change: types added, recipients added, or one of either gone */
    const char **add;
    size_t n_add;
    const char *type, *recipient;
    const char *verb;
    int status;
    /* a list */
    struct notification_policy *items;
    size_t n;
    struct page_query pq;
    struct page_result pr;
};

static void render_policy(void *arg, int *status, char **body)
{
    struct policy_op *op = arg;
    render_json(policy_render(&op->p, op->with_secret), op->status, status, body);
}

static enum err load(struct policy_op *op, struct store_tx *tx)
{
    if (!op->id)
        return call_fail(op->c, ERR_NOT_FOUND, NULL, "no such notification policy");
    enum err rc = store_policy_get(tx, op->c->a, op->c->account, op->id, &op->p);
    return rc == ERR_NOT_FOUND ? call_fail(op->c, rc, NULL, "no such notification policy") : rc;
}

static enum err create_tx(struct store_tx *tx, void *arg)
{
    struct policy_op *op = arg;
    store_activity_note(tx, OBJECT, "CREATED", op->p.id, NULL);
    return store_policy_insert(tx, op->c->account, &op->p);
}

enum err api_policies_create(struct call *c)
{
    struct policy_op *op = arena_zalloc(c->a, sizeof(*op));
    *op = (struct policy_op){.c = c, .status = 201, .with_secret = true};
    struct verr ve = {0};
    enum err rc = policy_create_parse(c->body, c->a, &op->p, &ve);
    if (rc)
        return call_fail_verr(c, rc, &ve);
    id_new(op->p.id);
    memcpy(op->p.account_id, c->account, ID_LEN + 1);
    op->p.created_at = clock_now_ms();
    if (strcmp(op->p.channel, "WEBHOOK") == 0 && !op->p.secret) {
        char s[SECRET_TEXT_LEN + 1];
        secret_new(s);
        op->p.secret = arena_printf(c->a, "whsec_%s", s);
        secret_wipe(s, sizeof(s));
    }
    return call_write(c, create_tx, render_policy, op);
}

static enum err get_tx(struct store_tx *tx, void *arg)
{
    return load(arg, tx);
}

enum err api_policies_get(struct call *c)
{
    struct policy_op op = {.c = c, .id = call_id_param(c, 0)};
    enum err rc = call_read(c, get_tx, &op);
    if (rc)
        return rc;
    call_json(c, 200, policy_render(&op.p, false));
    return ERR_OK;
}

static enum err delete_tx(struct store_tx *tx, void *arg)
{
    struct policy_op *op = arg;
    enum err rc = load(op, tx);
    if (rc)
        return rc;
    store_activity_note(tx, OBJECT, "DELETED", op->id, NULL);
    return store_policy_delete(tx, op->c->account, op->id);
}

enum err api_policies_delete(struct call *c)
{
    struct policy_op *op = arena_zalloc(c->a, sizeof(*op));
    *op = (struct policy_op){.c = c, .status = 200, .id = call_id_param(c, 0)};
    return call_write(c, delete_tx, render_policy, op);
}

/* Appends the distinct strings of add[0..n) to the list *items (of *n),
 * in the arena. */
static void list_add(struct arena *a, const char ***items, size_t *n, const char *const *add,
                     size_t n_add)
{
    const char **out = arena_alloc(a, (*n + n_add + 1) * sizeof(*out));
    size_t k = *n;
    if (k)
        memcpy(out, *items, k * sizeof(*out));
    for (size_t i = 0; i < n_add; i++) {
        size_t j = 0;
        while (j < k && strcmp(out[j], add[i]) != 0)
            j++;
        if (j == k)
            out[k++] = add[i];
    }
    *items = out;
    *n = k;
}

/* Removes `s` from the list; false when it is not there. */
static bool list_remove(const char **items, size_t *n, const char *s)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(items[i], s) == 0) {
            memmove(&items[i], &items[i + 1], (*n - i - 1) * sizeof(*items));
            (*n)--;
            return true;
        }
    return false;
}

/* Adds op->add to the policy's types (a policy of every type stays so). */
static enum err types_add(struct policy_op *op)
{
    if (!op->p.all_types)
        list_add(op->c->a, &op->p.types, &op->p.n_types, op->add, op->n_add);
    return ERR_OK;
}

static enum err type_remove(struct policy_op *op)
{
    struct call *c = op->c;
    if (op->p.all_types)
        return call_fail(c, ERR_CONFLICT, "type",
                         "this policy matches every notification type and lists none to remove; "
                         "create a policy that lists the types it wants instead");
    if (!list_remove(op->p.types, &op->p.n_types, op->type))
        return call_fail(c, ERR_NOT_FOUND, "type", "the policy does not list this type");
    return ERR_OK;
}

static enum err recipients_add(struct policy_op *op)
{
    struct call *c = op->c;
    struct verr ve = {0};
    enum err rc = policy_recipients_parse(c->body, op->p.channel, c->a, &op->add, &op->n_add, &ve);
    if (rc)
        return call_fail_verr(c, rc, &ve);
    list_add(c->a, &op->p.recipients, &op->p.n_recipients, op->add, op->n_add);
    if (op->p.n_recipients > POLICY_RECIPIENTS_MAX)
        return call_fail(c, ERR_LIMIT_EXCEEDED, "recipients", "a policy has at most %d recipients",
                         POLICY_RECIPIENTS_MAX);
    return ERR_OK;
}

static enum err recipient_remove(struct policy_op *op)
{
    struct call *c = op->c;
    if (!list_remove(op->p.recipients, &op->p.n_recipients, op->recipient))
        return call_fail(c, ERR_NOT_FOUND, "recipient", "the policy has no such recipient");
    if (op->p.n_recipients == 0)
        return call_fail(c, ERR_CONFLICT, "recipient",
                         "this is the policy's last recipient; delete the policy instead");
    return ERR_OK;
}

/* The change of one list, by verb. */
static enum err change_tx(struct store_tx *tx, void *arg)
{
    struct policy_op *op = arg;
    enum err rc = load(op, tx);
    if (rc)
        return rc;
    if (strcmp(op->verb, "NOTIFICATION_TYPES_ADDED") == 0)
        rc = types_add(op);
    else if (strcmp(op->verb, "NOTIFICATION_TYPE_REMOVED") == 0)
        rc = type_remove(op);
    else if (strcmp(op->verb, "RECIPIENTS_ADDED") == 0)
        rc = recipients_add(op);
    else
        rc = recipient_remove(op);
    if (rc)
        return rc;
    store_activity_note(tx, OBJECT, op->verb, op->id, NULL);
    return store_policy_update(tx, op->c->account, &op->p);
}

static struct policy_op *change_op(struct call *c, const char *verb)
{
    struct policy_op *op = arena_zalloc(c->a, sizeof(*op));
    *op = (struct policy_op){.c = c, .status = 200, .id = call_id_param(c, 0), .verb = verb};
    return op;
}

enum err api_policies_types_add(struct call *c)
{
    struct policy_op *op = change_op(c, "NOTIFICATION_TYPES_ADDED");
    struct verr ve = {0};
    enum err rc = policy_types_parse(c->body, c->a, &op->add, &op->n_add, &ve);
    if (rc)
        return call_fail_verr(c, rc, &ve);
    return call_write(c, change_tx, render_policy, op);
}

enum err api_policies_type_remove(struct call *c)
{
    struct policy_op *op = change_op(c, "NOTIFICATION_TYPE_REMOVED");
    /* A value outside the enum is not listed by any policy: 404 below. */
    op->type = c->req->n_params > 1 ? c->req->params[1] : "";
    return call_write(c, change_tx, render_policy, op);
}

enum err api_policies_recipients_add(struct call *c)
{
    struct policy_op *op = change_op(c, "RECIPIENTS_ADDED");
    return call_write(c, change_tx, render_policy, op);
}

/* The path's recipient. A URL's slashes end a path segment even when
 * percent-encoded (the path is decoded before it is routed), so a webhook
 * recipient may also be given as "base64url:" and its base64url form. */
static const char *recipient_param(struct call *c)
{
    static const char prefix[] = "base64url:";
    const char *p = c->req->n_params > 1 ? c->req->params[1] : "";
    if (strncmp(p, prefix, sizeof(prefix) - 1) != 0)
        return p;
    p += sizeof(prefix) - 1;
    char *out = arena_alloc(c->a, POLICY_RECIPIENT_MAX + 1);
    long n = secret_b64url_decode(p, strlen(p), out, POLICY_RECIPIENT_MAX);
    if (n < 0)
        return "";
    out[n] = '\0';
    return out;
}

enum err api_policies_recipient_remove(struct call *c)
{
    struct policy_op *op = change_op(c, "RECIPIENT_REMOVED");
    /* Bad base64url names no recipient: 404 below. */
    op->recipient = recipient_param(c);
    return call_write(c, change_tx, render_policy, op);
}

static enum err list_tx(struct store_tx *tx, void *arg)
{
    struct policy_op *op = arg;
    return store_policy_list(tx, op->c->a, op->c->account, op->type, &op->pq, &op->items, &op->n,
                             &op->pr);
}

enum err api_policies_list(struct call *c)
{
    struct policy_op op = {.c = c};
    const char *type = req_query(c->req, "notificationType");
    enum err rc;
    if (type && !(op.type = notification_type_find(type)))
        return call_fail(c, ERR_PARAM_INVALID, "notificationType",
                         "notificationType must be a NotificationType");
    if ((rc = call_page(c, "id", true, &op.pq)) || (rc = call_read(c, list_tx, &op)))
        return rc;
    json_t *items = json_array();
    for (size_t i = 0; i < op.n; i++)
        json_array_append_new(items, policy_render(&op.items[i], false));
    call_page_json(c, items, op.n ? op.items[0].id : NULL, op.n ? op.items[op.n - 1].id : NULL,
                   true, &op.pr);
    return ERR_OK;
}
