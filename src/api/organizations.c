/*
 * Customer organizations: create (the seed operation), add and replace
 * members, and kinship's extensions (get, list, delete, remove a member).
 * The rules R1-R10 of ARCHITECTURE.md are checked here, inside the write
 * transaction, so that what is checked is what is written.
 */
#include "api.h"
#include "../core/buf.h"
#include "../core/clock.h"
#include "../domain/render.h"

#include <string.h>

struct org_op {
    struct call *c;
    const char *org_id;  /* path id, for member operations */
    const char *owner;   /* create */
    const char **ids;    /* requested member ids, as given */
    size_t n;
    bool replace;
    const char *remove;  /* member removal */
    struct organization org; /* the answer */
    int status;
};

/* R3 and R4: the owner and repeated ids are dropped, order kept. */
static size_t normalize_ids(const char *owner, const char **ids, size_t n)
{
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(ids[i], owner) == 0)
            continue;
        bool seen = false;
        for (size_t j = 0; j < out && !seen; j++)
            seen = strcmp(ids[j], ids[i]) == 0;
        if (!seen)
            ids[out++] = ids[i];
    }
    return out;
}

static json_t *id_array(const char *const *ids, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(ids[i]));
    return a;
}

/*
 * R5 for `ids` (field names the request member) and R6 against `owner`.
 * Fills names[i] with each customer's legal name.
 */
static enum err check_members(struct call *c, struct store_tx *tx, const char *field,
                              const char *owner, const char **ids, size_t n, const char **names)
{
    struct customer_brief *b = arena_alloc(c->a, (n ? n : 1) * sizeof(*b));
    enum err rc = store_customer_briefs(tx, c->a, c->account, ids, n, b);
    if (rc)
        return rc;
    const char **bad = arena_alloc(c->a, (n ? n : 1) * sizeof(*bad));
    size_t nbad = 0;
    for (size_t i = 0; i < n; i++)
        if (!b[i].found)
            bad[nbad++] = ids[i];
    if (nbad) {
        call_detail(c, "customerIds", id_array(bad, nbad));
        return call_fail(c, ERR_CUSTOMER_NOT_FOUND, field,
                         "%zu of the customer ids do not name a customer of this account", nbad);
    }
    for (size_t i = 0; i < n; i++)
        if (b[i].archived)
            bad[nbad++] = ids[i];
    if (nbad) {
        call_detail(c, "customerIds", id_array(bad, nbad));
        return call_fail(c, ERR_CUSTOMER_ARCHIVED, field,
                         "archived customers cannot be added to an organization");
    }
    for (size_t i = 0; i < n; i++) {
        bool cycle = false;
        if ((rc = store_org_reaches(tx, c->account, ids[i], owner, &cycle)))
            return rc;
        if (cycle)
            bad[nbad++] = ids[i];
        names[i] = b[i].legal_name;
    }
    if (nbad) {
        call_detail(c, "customerIds", id_array(bad, nbad));
        return call_fail(c, ERR_HIERARCHY_CYCLE, field,
                         "the owner sits below these customers already: adding them would make a "
                         "cycle");
    }
    return ERR_OK;
}

static enum err check_owner(struct call *c, struct store_tx *tx, const char *field,
                            const char *owner, const char **name)
{
    struct customer_brief b;
    enum err rc = store_customer_briefs(tx, c->a, c->account, &owner, 1, &b);
    if (rc)
        return rc;
    if (!b.found) {
        call_detail(c, "customerIds", id_array(&owner, 1));
        return call_fail(c, ERR_CUSTOMER_NOT_FOUND, field,
                         "%s does not name a customer of this account", field);
    }
    if (b.archived) {
        call_detail(c, "customerIds", id_array(&owner, 1));
        return call_fail(c, ERR_CUSTOMER_ARCHIVED, field, "%s names an archived customer", field);
    }
    *name = b.legal_name;
    return ERR_OK;
}

static enum err limit_per_org(struct call *c, const char *field, int64_t total)
{
    long max = c->api->cfg->members_per_organization;
    if (total > max)
        return call_fail(c, ERR_LIMIT_EXCEEDED, field,
                         "an organization may have at most %ld members", max);
    return ERR_OK;
}

static enum err limit_per_request(struct call *c, const char *field, size_t n)
{
    long max = c->api->cfg->members_per_request;
    if ((long)n > max)
        return call_fail(c, ERR_LIMIT_EXCEEDED, field,
                         "at most %ld customer ids per request", max);
    return ERR_OK;
}

static void org_fill(struct organization *o, struct arena *a, const char *id, const char *owner,
                     const char *owner_name, const char **ids, const char **names, size_t n)
{
    memcpy(o->id, id, ID_LEN + 1);
    memcpy(o->owner.id, owner, ID_LEN + 1);
    o->owner.name = owner_name;
    o->members = arena_zalloc(a, (n ? n : 1) * sizeof(*o->members));
    o->n_members = n;
    for (size_t i = 0; i < n; i++) {
        memcpy(o->members[i].id, ids[i], ID_LEN + 1);
        o->members[i].name = names[i];
    }
}

static enum err create_tx(struct store_tx *tx, void *arg)
{
    struct org_op *op = arg;
    struct call *c = op->c;
    const char *owner_name;
    enum err rc;
    if ((rc = check_owner(c, tx, "ownerId", op->owner, &owner_name)))
        return rc;
    char existing[ID_LEN + 1];
    rc = store_org_id_by_owner(tx, c->account, op->owner, existing);
    if (rc == ERR_OK) {
        call_detail(c, "organizationId", json_string(existing));
        return call_fail(c, ERR_ORGANIZATION_EXISTS, "ownerId",
                         "this customer already owns organization %s", existing);
    }
    if (rc != ERR_NOT_FOUND)
        return rc;
    const char **names = arena_alloc(c->a, (op->n ? op->n : 1) * sizeof(*names));
    if ((rc = check_members(c, tx, "memberIds", op->owner, op->ids, op->n, names)) ||
        (rc = limit_per_org(c, "memberIds", (int64_t)op->n)))
        return rc;
    char id[ID_LEN + 1];
    id_new(id);
    org_fill(&op->org, c->a, id, op->owner, owner_name, op->ids, names, op->n);
    op->org.created_at = clock_now_ms();
    rc = store_org_insert(tx, c->account, &op->org);
    if (rc == ERR_ORGANIZATION_EXISTS)
        return call_fail(c, rc, "ownerId", "this customer already owns an organization");
    return rc;
}

static void render_org(void *arg, int *status, char **body)
{
    struct org_op *op = arg;
    size_t len;
    *status = op->status;
    *body = organization_render_text(&op->org, &len);
}

static enum err parse_ids(struct call *c, const char *field, struct org_op *op)
{
    struct verr ve = {0};
    enum err rc = id_list_parse(c->body, field, c->a, &op->ids, &op->n, &ve);
    if (rc)
        return call_fail_verr(c, rc, &ve);
    return limit_per_request(c, field, op->n);
}

enum err orgs_create(struct call *c)
{
    struct org_op *op = arena_zalloc(c->a, sizeof(*op));
    *op = (struct org_op){.c = c, .status = 201};
    struct verr ve = {0};
    enum err rc = string_field_parse(c->body, "ownerId", true, c->a, &op->owner, &ve);
    if (rc)
        return call_fail_verr(c, rc, &ve);
    if ((rc = parse_ids(c, "memberIds", op)))
        return rc;
    if (!id_valid(op->owner)) {
        call_detail(c, "customerIds", id_array(&op->owner, 1));
        return call_fail(c, ERR_CUSTOMER_NOT_FOUND, "ownerId",
                         "ownerId does not name a customer of this account");
    }
    char *owner = arena_alloc(c->a, ID_LEN + 1);
    id_normalize(op->owner, owner);
    op->owner = owner;
    op->n = normalize_ids(op->owner, op->ids, op->n);
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
    /* A copy: the store may run this function again, on the same op. */
    const char **ids = arena_alloc(c->a, (op->n ? op->n : 1) * sizeof(*ids));
    for (size_t i = 0; i < op->n; i++)
        ids[i] = op->ids[i];
    size_t n = normalize_ids(cur.owner.id, ids, op->n);
    /* Only customers that are not members yet are checked (R5, R6): a
     * member keeps its place even when archived since (R9). Adding leaves
     * current members alone (R4); replacing lists them where given (R7). */
    const char **fresh = arena_alloc(c->a, (n ? n : 1) * sizeof(*fresh));
    size_t n_fresh = 0;
    for (size_t i = 0; i < n; i++) {
        bool member = false;
        for (size_t j = 0; j < cur.n_members && !member; j++)
            member = strcmp(cur.members[j].id, ids[i]) == 0;
        if (!member)
            fresh[n_fresh++] = ids[i];
    }
    const char **names = arena_alloc(c->a, (n_fresh ? n_fresh : 1) * sizeof(*names));
    int64_t total = op->replace ? (int64_t)n : (int64_t)(n_fresh + cur.n_members);
    if ((rc = check_members(c, tx, "customerIds", cur.owner.id, fresh, n_fresh, names)) ||
        (rc = limit_per_org(c, "customerIds", total)))
        return rc;
    if (op->replace) {
        if ((rc = store_org_members_clear(tx, c->account, cur.id)) ||
            (rc = store_org_members_add(tx, c->account, cur.id, ids, n)))
            return rc;
        return store_org_get(tx, c->a, c->account, cur.id, &op->org);
    }
    if ((rc = store_org_members_add(tx, c->account, cur.id, fresh, n_fresh)))
        return rc;
    /* The new members follow the current ones (R7): the answer is known
     * without reading the organization again. */
    op->org = cur;
    op->org.n_members = cur.n_members + n_fresh;
    op->org.members =
        arena_alloc(c->a, (op->org.n_members ? op->org.n_members : 1) * sizeof(*op->org.members));
    if (cur.n_members)
        memcpy(op->org.members, cur.members, cur.n_members * sizeof(*cur.members));
    for (size_t i = 0; i < n_fresh; i++) {
        struct member *m = &op->org.members[cur.n_members + i];
        memcpy(m->id, fresh[i], ID_LEN + 1);
        m->name = names[i];
    }
    /* The next write to this organization (or read of it) then starts
     * from memory: the bench's adds went from ... (docs/performance.md). */
    return n_fresh ? store_org_remember(tx, c->account, &op->org) : ERR_OK;
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

enum err orgs_members_add(struct call *c)
{
    return members_change(c, false);
}

enum err orgs_members_replace(struct call *c)
{
    return members_change(c, true);
}

enum err orgs_attach_child(struct call *c, struct store_tx *tx, const char *parent,
                           const char *child)
{
    const char *parent_name;
    enum err rc;
    if ((rc = check_owner(c, tx, "parentId", parent, &parent_name)))
        return rc;
    bool cycle = false;
    if ((rc = store_org_reaches(tx, c->account, child, parent, &cycle)))
        return rc;
    if (cycle) {
        call_detail(c, "customerIds", id_array(&parent, 1));
        return call_fail(c, ERR_HIERARCHY_CYCLE, "parentId",
                         "the parent sits below this customer already");
    }
    char org_id[ID_LEN + 1];
    rc = store_org_id_by_owner(tx, c->account, parent, org_id);
    if (rc != ERR_OK && rc != ERR_NOT_FOUND)
        return rc;
    /* R9: an archived customer keeps the memberships it has (naming its
     * parent again changes nothing) but joins no new organization. */
    struct customer_brief cb;
    enum err brc = store_customer_briefs(tx, c->a, c->account, &child, 1, &cb);
    if (brc)
        return brc;
    if (cb.found && cb.archived) {
        struct organization cur;
        if (rc == ERR_OK) {
            if ((brc = store_org_get(tx, c->a, c->account, org_id, &cur)))
                return brc;
            for (size_t i = 0; i < cur.n_members; i++)
                if (strcmp(cur.members[i].id, child) == 0)
                    return ERR_OK;
        }
        call_detail(c, "customerIds", id_array(&child, 1));
        return call_fail(c, ERR_CUSTOMER_ARCHIVED, NULL,
                         "an archived customer cannot join an organization");
    }
    if (rc == ERR_NOT_FOUND) {
        struct organization o = {0};
        const char *name = "";
        char id[ID_LEN + 1];
        id_new(id);
        org_fill(&o, c->a, id, parent, parent_name, &child, &name, 1);
        o.created_at = clock_now_ms();
        return store_org_insert(tx, c->account, &o);
    }
    if (rc)
        return rc;
    /* Add first, then count: a child that is a member already adds nothing
     * and must not trip the limit (R4); too many rolls the whole write back. */
    int64_t count = 0;
    if ((rc = store_org_members_add(tx, c->account, org_id, &child, 1)) ||
        (rc = store_org_member_count(tx, c->account, org_id, &count)))
        return rc;
    return limit_per_org(c, "parentId", count);
}

/* ---- extensions ---- */

static enum err get_tx(struct store_tx *tx, void *arg)
{
    struct org_op *op = arg;
    return load_org(op->c, tx, op->org_id, &op->org);
}

enum err orgs_get(struct call *c)
{
    struct org_op op = {.c = c, .org_id = call_id_param(c, 0)};
    enum err rc = call_read(c, get_tx, &op);
    if (rc)
        return rc;
    size_t len;
    char *body = organization_render_text(&op.org, &len);
    req_respond(c->req, 200, body, len);
    return ERR_OK;
}

static enum err delete_tx(struct store_tx *tx, void *arg)
{
    struct org_op *op = arg;
    enum err rc = load_org(op->c, tx, op->org_id, &op->org);
    if (rc)
        return rc;
    return store_org_delete(tx, op->c->account, op->org.id);
}

enum err orgs_delete(struct call *c)
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
    if (rc)
        return rc;
    return store_org_get(tx, c->a, c->account, cur.id, &op->org);
}

enum err orgs_member_remove(struct call *c)
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

static enum err list_tx(struct store_tx *tx, void *arg)
{
    struct list_op *op = arg;
    return store_org_list(tx, op->c->a, op->c->account, op->owner, op->member, &op->pq,
                          &op->items, &op->n, &op->pr);
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

enum err orgs_list(struct call *c)
{
    struct list_op op = {.c = c};
    enum err rc;
    if ((rc = id_filter(c, "ownerId", &op.owner)) || (rc = id_filter(c, "memberId", &op.member)) ||
        (rc = call_page(c, "id", true, &op.pq)) || (rc = call_read(c, list_tx, &op)))
        return rc;
    struct buf page;
    call_page_begin(&page);
    for (size_t i = 0; i < op.n; i++) {
        if (i)
            buf_puts(&page, ",");
        organization_render_into(&page, &op.items[i]);
    }
    const char *after = op.n ? page_cursor(c, "id", true, NULL, op.items[op.n - 1].id,
                                           op.pr.has_next)
                             : NULL;
    const char *before = op.n ? page_cursor(c, "id", true, NULL, op.items[0].id, op.pr.has_prev)
                              : NULL;
    call_page_end(c, &page, after, before, op.pr.total);
    return ERR_OK;
}
