/*
 * The organization rules (rules.h): each checked here once, inside the
 * caller's transaction, so that what is checked is what is written. A write
 * that adds members takes store_hierarchy_lock before its first check, so
 * that what is checked stays true until it commits, whatever other writes
 * (and other kinship processes) run meanwhile. The depth limit (R11) is
 * checked after the locks and R6, in every operation that adds an edge.
 */
#include "rules.h"
#include "../core/clock.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* R6's one sentence, wherever the cycle would close. */
#define CYCLE_MSG "a customer cannot sit below itself, directly or through other organizations"

static enum err broke(struct rules_verdict *v, enum err e, const char *rule, const char *field,
                      const char **ids, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

/* Fills the verdict of a broken rule and returns its error. */
static enum err broke(struct rules_verdict *v, enum err e, const char *rule, const char *field,
                      const char **ids, size_t n, const char *fmt, ...)
{
    v->rule = rule;
    v->field = field;
    v->ids = ids;
    v->n_ids = n;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->msg, sizeof(v->msg), fmt, ap);
    va_end(ap);
    return e;
}

/* An array of `n` ids (at least one slot) in the arena. */
static const char **ids_alloc(struct arena *a, size_t n)
{
    return arena_alloc(a, (n ? n : 1) * sizeof(const char *));
}

static const char **one_id(struct arena *a, const char *id)
{
    const char **ids = ids_alloc(a, 1);
    ids[0] = arena_strdup(a, id);
    return ids;
}

enum err rules_id_parse(struct arena *a, const char *field, const char *given, const char **out,
                        struct rules_verdict *v)
{
    if (!id_valid(given))
        return broke(v, ERR_CUSTOMER_NOT_FOUND, "R5", field, one_id(a, given), 1,
                     "%s does not name a customer of this account", field);
    char *id = arena_alloc(a, ID_LEN + 1);
    id_normalize(given, id);
    *out = id;
    return ERR_OK;
}

enum err rules_owner_check(struct store_tx *tx, struct arena *a, const char *account,
                           const char *field, const char *id, const char **name,
                           struct rules_verdict *v)
{
    struct customer_brief b;
    enum err rc = store_customer_briefs(tx, a, account, &id, 1, &b);
    if (rc)
        return rc;
    if (!b.found)
        return broke(v, ERR_CUSTOMER_NOT_FOUND, "R5", field, one_id(a, id), 1,
                     "%s does not name a customer of this account", field);
    if (b.archived)
        return broke(v, ERR_CUSTOMER_ARCHIVED, "R5", field, one_id(a, id), 1,
                     "%s names an archived customer", field);
    *name = b.legal_name;
    return ERR_OK;
}

enum err rules_owner_free(struct store_tx *tx, const char *account, const char *field,
                          const char *owner, struct rules_verdict *v)
{
    char existing[ID_LEN + 1];
    enum err rc = store_org_id_by_owner(tx, account, owner, existing);
    if (rc == ERR_NOT_FOUND)
        return ERR_OK;
    if (rc)
        return rc;
    memcpy(v->org_id, existing, sizeof(existing));
    return broke(v, ERR_ORGANIZATION_EXISTS, "R1", field, NULL, 0,
                 "this customer already owns organization %s", existing);
}

/* True when `id` is one of ids[0..n). */
static bool listed(const char *const *ids, size_t n, const char *id)
{
    for (size_t j = 0; j < n; j++)
        if (strcmp(ids[j], id) == 0)
            return true;
    return false;
}

size_t rules_members_normalize(const char *owner, const char **ids, size_t n)
{
    size_t out = 0;
    /* The ids kept so far hold every id seen before i but the owner. */
    for (size_t i = 0; i < n; i++)
        if (strcmp(ids[i], owner) != 0 && !listed(ids, out, ids[i]))
            ids[out++] = ids[i];
    return out;
}

enum err rules_members_distinct(struct arena *a, const char *field, const char *owner,
                                const char *const *ids, size_t n, struct rules_verdict *v)
{
    const char **bad = ids_alloc(a, n);
    size_t nbad = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(ids[i], owner) == 0)
            bad[nbad++] = ids[i];
    if (nbad)
        return broke(v, ERR_FIELD_INVALID, "R3", field, bad, nbad,
                     "the owner is listed among its own members");
    for (size_t i = 0; i < n; i++)
        if (listed(ids, i, ids[i]) && !listed(bad, nbad, ids[i]))
            bad[nbad++] = ids[i];
    if (nbad)
        return broke(v, ERR_FIELD_INVALID, "R4", field, bad, nbad,
                     "%zu of the member ids are listed more than once", nbad);
    return ERR_OK;
}

enum err rules_customers_live(struct store_tx *tx, struct arena *a, const char *account,
                              const char *field, const char *const *ids, size_t n,
                              const char **names, struct rules_verdict *v)
{
    struct customer_brief *b = arena_alloc(a, (n ? n : 1) * sizeof(*b));
    enum err rc = store_customer_briefs(tx, a, account, ids, n, b);
    if (rc)
        return rc;
    const char **bad = ids_alloc(a, n);
    size_t nbad = 0;
    for (size_t i = 0; i < n; i++)
        if (!b[i].found)
            bad[nbad++] = ids[i];
    if (nbad)
        return broke(v, ERR_CUSTOMER_NOT_FOUND, "R5", field, bad, nbad,
                     "%zu of the customer ids do not name a customer of this account", nbad);
    for (size_t i = 0; i < n; i++)
        if (b[i].archived)
            bad[nbad++] = ids[i];
    if (nbad)
        return broke(v, ERR_CUSTOMER_ARCHIVED, "R5", field, bad, nbad,
                     "archived customers cannot be added to an organization");
    for (size_t i = 0; names && i < n; i++)
        names[i] = b[i].legal_name;
    return ERR_OK;
}

enum err rules_no_cycle(struct store_tx *tx, struct arena *a, const char *account,
                        const char *field, const char *owner, const char *const *ids, size_t n,
                        struct rules_verdict *v)
{
    const char **bad = ids_alloc(a, n);
    size_t nbad = 0;
    for (size_t i = 0; i < n; i++) {
        bool cycle = false;
        enum err rc = store_org_reaches(tx, account, ids[i], owner, &cycle);
        if (rc)
            return rc;
        if (cycle)
            bad[nbad++] = ids[i];
    }
    if (nbad)
        return broke(v, ERR_HIERARCHY_CYCLE, "R6", field, bad, nbad, CYCLE_MSG);
    return ERR_OK;
}

/*
 * Takes store_hierarchy_lock for `owner` and ids[0..n) (before any check
 * reads what it guards). *closes (in a) is then what the store found about
 * R6, one flag per id, or NULL where nothing was locked (SQLite): the
 * checks then ask store_org_reaches.
 */
static enum err hierarchy_lock(struct store_tx *tx, struct arena *a, const char *account,
                               const char *owner, const char *const *ids, size_t n, bool **closes)
{
    bool *c = arena_zalloc(a, n ? n : 1), locked = false;
    enum err rc = store_hierarchy_lock(tx, account, owner, ids, n, c, &locked);
    *closes = locked ? c : NULL;
    return rc;
}

/* rules_no_cycle for ids[0..n), from what hierarchy_lock found when it
 * found anything: closes[i] for ids[i]. */
static enum err no_cycle(struct store_tx *tx, struct arena *a, const char *account,
                         const char *field, const char *owner, const char *const *ids, size_t n,
                         const bool *closes, struct rules_verdict *v)
{
    if (!closes)
        return rules_no_cycle(tx, a, account, field, owner, ids, n, v);
    const char **bad = ids_alloc(a, n);
    size_t nbad = 0;
    for (size_t i = 0; i < n; i++)
        if (closes[i])
            bad[nbad++] = ids[i];
    if (nbad)
        return broke(v, ERR_HIERARCHY_CYCLE, "R6", field, bad, nbad, CYCLE_MSG);
    return ERR_OK;
}

enum err rules_depth(struct store_tx *tx, struct arena *a, const char *account,
                     const struct rules_limits *lim, const char *field, const char *owner,
                     const char *const *ids, size_t n, struct rules_verdict *v)
{
    if (lim->max_depth <= 0 || n == 0)
        return ERR_OK;
    /* Walks of max_depth + 1 steps tell a chain too long from one that fits. */
    int cap = lim->max_depth < INT32_MAX ? (int)lim->max_depth + 1 : INT32_MAX, up = 0;
    int *down = arena_zalloc(a, n * sizeof(*down)), deepest = 0;
    enum err rc = store_tree_heights(tx, account, owner, ids, n, cap, &up, down);
    if (rc)
        return rc;
    const char **bad = ids_alloc(a, n);
    size_t nbad = 0;
    for (size_t i = 0; i < n; i++) {
        int depth = up + 1 + down[i];
        if (depth > lim->max_depth) {
            bad[nbad++] = ids[i];
            deepest = depth > deepest ? depth : deepest;
        }
    }
    if (nbad)
        return broke(v, ERR_DEPTH_LIMIT, "R11", field, bad, nbad,
                     "the hierarchy may be at most %ld levels deep (max_depth); this change "
                     "would make it at least %d",
                     lim->max_depth, deepest);
    return ERR_OK;
}

enum err rules_limit_request(const struct rules_limits *lim, const char *field, size_t n,
                             struct rules_verdict *v)
{
    if ((long)n > lim->per_request)
        return broke(v, ERR_LIMIT_EXCEEDED, "R8", field, NULL, 0,
                     "at most %ld customer ids per request", lim->per_request);
    return ERR_OK;
}

enum err rules_limit_organization(const struct rules_limits *lim, const char *field, int64_t total,
                                  struct rules_verdict *v)
{
    if (total > lim->per_organization)
        return broke(v, ERR_LIMIT_EXCEEDED, "R8", field, NULL, 0,
                     "an organization may have at most %ld members", lim->per_organization);
    return ERR_OK;
}

enum err rules_org_insert(struct store_tx *tx, const char *account, const char *field,
                          const struct organization *o, struct rules_verdict *v)
{
    enum err rc = store_org_insert(tx, account, o);
    if (rc == ERR_ORGANIZATION_EXISTS)
        return broke(v, rc, "R10", field, NULL, 0, "this customer already owns an organization");
    return rc;
}

/* A new organization of `owner` with members ids[0..n) named names[i]. */
static void org_fill(struct organization *o, struct arena *a, const char *owner,
                     const char *owner_name, const char *const *ids, const char *const *names,
                     size_t n)
{
    memset(o, 0, sizeof(*o));
    id_new(o->id);
    memcpy(o->owner.id, owner, ID_LEN + 1);
    o->owner.name = owner_name;
    o->members = arena_zalloc(a, (n ? n : 1) * sizeof(*o->members));
    o->n_members = n;
    for (size_t i = 0; i < n; i++) {
        memcpy(o->members[i].id, ids[i], ID_LEN + 1);
        o->members[i].name = names[i];
    }
    o->created_at = clock_now_ms();
}

/* R3 and R4 on a copy of ids[0..n): the caller's list stays as given. */
static const char **normalized(struct arena *a, const char *owner, const char *const *ids, size_t n,
                               size_t *out_n)
{
    const char **copy = ids_alloc(a, n);
    for (size_t i = 0; i < n; i++)
        copy[i] = ids[i];
    *out_n = rules_members_normalize(owner, copy, n);
    return copy;
}

enum err rules_org_create(struct store_tx *tx, struct arena *a, const char *account,
                          const struct rules_limits *lim, const char *owner,
                          const char *const *given, size_t n_given, struct organization *out,
                          struct rules_verdict *v)
{
    const char *owner_name;
    size_t n;
    const char **ids = normalized(a, owner, given, n_given, &n);
    bool *closes;
    enum err rc;
    if ((rc = hierarchy_lock(tx, a, account, owner, ids, n, &closes)) ||
        (rc = rules_owner_check(tx, a, account, "ownerId", owner, &owner_name, v)) ||
        (rc = rules_owner_free(tx, account, "ownerId", owner, v)))
        return rc;
    const char **names = ids_alloc(a, n);
    if ((rc = rules_customers_live(tx, a, account, "memberIds", ids, n, names, v)) ||
        (rc = no_cycle(tx, a, account, "memberIds", owner, ids, n, closes, v)) ||
        (rc = rules_depth(tx, a, account, lim, "memberIds", owner, ids, n, v)) ||
        (rc = rules_limit_organization(lim, "memberIds", (int64_t)n, v)))
        return rc;
    org_fill(out, a, owner, owner_name, ids, names, n);
    return rules_org_insert(tx, account, "ownerId", out, v);
}

static bool is_member(const struct organization *o, const char *id)
{
    for (size_t j = 0; j < o->n_members; j++)
        if (strcmp(o->members[j].id, id) == 0)
            return true;
    return false;
}

enum err rules_org_members_change(struct store_tx *tx, struct arena *a, const char *account,
                                  const struct rules_limits *lim, const struct organization *cur,
                                  const char *const *given, size_t n_given, bool replace,
                                  struct organization *out, struct rules_verdict *v)
{
    size_t n;
    const char **ids = normalized(a, cur->owner.id, given, n_given, &n);
    bool *closes;
    enum err rc = hierarchy_lock(tx, a, account, cur->owner.id, ids, n, &closes);
    if (rc)
        return rc;
    /* What the caller read came before the locks: read it again. */
    struct organization again;
    if (closes) {
        if ((rc = store_org_get(tx, a, account, cur->id, &again)))
            return rc;
        cur = &again;
    }
    /* Only customers that are not members yet are checked (R5, R6): a
     * member keeps its place even when archived since (R9). Adding leaves
     * current members alone (R4); replacing lists them where given (R7). */
    const char **fresh = ids_alloc(a, n);
    bool *fresh_closes = closes ? arena_zalloc(a, n ? n : 1) : NULL;
    size_t n_fresh = 0;
    for (size_t i = 0; i < n; i++)
        if (!is_member(cur, ids[i])) {
            if (closes)
                fresh_closes[n_fresh] = closes[i];
            fresh[n_fresh++] = ids[i];
        }
    const char **names = ids_alloc(a, n_fresh);
    int64_t total = replace ? (int64_t)n : (int64_t)(n_fresh + cur->n_members);
    if ((rc = rules_customers_live(tx, a, account, "customerIds", fresh, n_fresh, names, v)) ||
        (rc = no_cycle(tx, a, account, "customerIds", cur->owner.id, fresh, n_fresh, fresh_closes,
                       v)) ||
        (rc = rules_depth(tx, a, account, lim, "customerIds", cur->owner.id, fresh, n_fresh, v)) ||
        (rc = rules_limit_organization(lim, "customerIds", total, v)))
        return rc;
    if (replace) {
        if ((rc = store_org_members_clear(tx, account, cur->id)) ||
            (rc = store_org_members_add(tx, account, cur->id, ids, n)))
            return rc;
        return store_org_get(tx, a, account, cur->id, out);
    }
    if ((rc = store_org_members_add(tx, account, cur->id, fresh, n_fresh)))
        return rc;
    /* The new members follow the current ones (R7): the answer is known
     * without reading the organization again. */
    *out = *cur;
    out->n_members = cur->n_members + n_fresh;
    out->members = arena_alloc(a, (out->n_members ? out->n_members : 1) * sizeof(*out->members));
    if (cur->n_members)
        memcpy(out->members, cur->members, cur->n_members * sizeof(*cur->members));
    for (size_t i = 0; i < n_fresh; i++) {
        struct member *m = &out->members[cur->n_members + i];
        memcpy(m->id, fresh[i], ID_LEN + 1);
        m->name = names[i];
    }
    /* The next write to this organization (or read of it) then starts
     * from memory (docs/performance.md). */
    return n_fresh ? store_org_remember(tx, account, out) : ERR_OK;
}

/* R9 for a child that is archived: fine when it is a member of the
 * organization `org_id` (when there is one) already. */
static enum err archived_child(struct store_tx *tx, struct arena *a, const char *account,
                               const char *org_id, const char *child, struct rules_verdict *v)
{
    if (org_id) {
        struct organization cur;
        enum err rc = store_org_get(tx, a, account, org_id, &cur);
        if (rc)
            return rc;
        if (is_member(&cur, child))
            return ERR_OK;
    }
    return broke(v, ERR_CUSTOMER_ARCHIVED, "R9", NULL, one_id(a, child), 1,
                 "an archived customer cannot join an organization");
}

enum err rules_parent_attach(struct store_tx *tx, struct arena *a, const char *account,
                             const struct rules_limits *lim, const char *parent, const char *child,
                             struct rules_verdict *v)
{
    const char *parent_name;
    enum err rc;
    /* A customer its own parent: the shortest cycle, before the parent is
     * looked at (an archived customer naming itself is a cycle too). */
    if (strcmp(parent, child) == 0)
        return broke(v, ERR_HIERARCHY_CYCLE, "R6", "parentId", one_id(a, parent), 1, CYCLE_MSG);
    bool *closes;
    if ((rc = hierarchy_lock(tx, a, account, parent, &child, 1, &closes)) ||
        (rc = rules_owner_check(tx, a, account, "parentId", parent, &parent_name, v)))
        return rc;
    bool cycle = closes && closes[0];
    if (!closes && (rc = store_org_reaches(tx, account, child, parent, &cycle)))
        return rc;
    if (cycle)
        return broke(v, ERR_HIERARCHY_CYCLE, "R6", "parentId", one_id(a, parent), 1, CYCLE_MSG);
    if ((rc = rules_depth(tx, a, account, lim, "parentId", parent, &child, 1, v)))
        return rc;
    char org_id[ID_LEN + 1];
    enum err found = store_org_id_by_owner(tx, account, parent, org_id);
    if (found != ERR_OK && found != ERR_NOT_FOUND)
        return found;
    struct customer_brief cb;
    if ((rc = store_customer_briefs(tx, a, account, &child, 1, &cb)))
        return rc;
    if (cb.found && cb.archived)
        return archived_child(tx, a, account, found == ERR_OK ? org_id : NULL, child, v);
    if (found == ERR_NOT_FOUND) {
        struct organization o;
        const char *name = "";
        org_fill(&o, a, parent, parent_name, &child, &name, 1);
        return store_org_insert(tx, account, &o);
    }
    /* Add first, then count: a child that is a member already adds nothing
     * and must not trip the limit (R4); too many rolls the whole write back. */
    int64_t count = 0;
    if ((rc = store_org_members_add(tx, account, org_id, &child, 1)) ||
        (rc = store_org_member_count(tx, account, org_id, &count)))
        return rc;
    return rules_limit_organization(lim, "parentId", count, v);
}

enum err rules_org_admit(struct store_tx *tx, struct arena *a, const char *account,
                         const struct rules_limits *lim, const struct organization *o,
                         int64_t (*archived_at)(void *ctx, const char *id), void *ctx,
                         struct rules_verdict *v)
{
    size_t n = o->n_members, n_fresh = 0;
    const char **ids = ids_alloc(a, n), **fresh = ids_alloc(a, n);
    for (size_t i = 0; i < n; i++) {
        ids[i] = o->members[i].id;
        int64_t t = archived_at(ctx, ids[i]);
        if (!t || t < o->created_at) /* a member R9 keeps is not checked again */
            fresh[n_fresh++] = ids[i];
    }
    const char *owner = o->owner.id, *name;
    int64_t owner_archived = archived_at(ctx, owner);
    bool *closes;
    enum err rc;
    if ((rc = rules_members_distinct(a, "memberIds", owner, ids, n, v)) ||
        (rc = hierarchy_lock(tx, a, account, owner, ids, n, &closes)) ||
        (rc = rules_owner_free(tx, account, "ownerId", owner, v)))
        return rc;
    if ((!owner_archived || owner_archived < o->created_at) &&
        (rc = rules_owner_check(tx, a, account, "ownerId", owner, &name, v)))
        return rc;
    if ((rc = rules_customers_live(tx, a, account, "memberIds", fresh, n_fresh, NULL, v)) ||
        (rc = no_cycle(tx, a, account, "memberIds", owner, ids, n, closes, v)) ||
        (rc = rules_depth(tx, a, account, lim, "memberIds", owner, ids, n, v)) ||
        (rc = rules_limit_organization(lim, "memberIds", (int64_t)n, v)))
        return rc;
    return rules_org_insert(tx, account, "ownerId", o, v);
}
