/*
 * The customer-organization rules of ARCHITECTURE.md (R1-R10), kinship's
 * depth limit (R11, docs/hierarchy.md) and the
 * contact rule (C1, Sequence's "at least one PRIMARY" for billing), each
 * written once, over a store transaction. The API (src/api) and `kinship import`
 * (src/cli) both call them, so what a request may do and what an import may
 * load are the same thing.
 *
 * A rule that is broken returns its error code and fills a plain verdict:
 * which rule, which field, a sentence and the ids at fault. The callers turn
 * the verdict into their own output (an error body, a line of the import's
 * message); nothing here knows HTTP or JSON. A function that fails for any
 * other reason (a store error) returns it and leaves verdict->rule NULL.
 *
 * Field names are the callers' ("ownerId", "memberIds", "customerIds",
 * "parentId"): the verdict names the one at fault. Ids are normalized
 * (id_normalize); arrays and strings in verdicts live in the arena `a`.
 * Every function may be run again by a retried transaction: none changes
 * its inputs.
 *
 * The operations below that add members (create, members change, parent
 * attach, admit) take store_hierarchy_lock before their first check, so
 * that R1, R2, R5, R6, R8 and R9 hold across concurrent writes and kinship
 * processes; members change then reads `cur` again, since it was read
 * before the locks.
 */
#ifndef KINSHIP_RULES_RULES_H
#define KINSHIP_RULES_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/err.h"
#include "../core/id.h"
#include "../core/mem.h"
#include "../domain/model.h"
#include "../store/store.h"

/* What a broken rule found. Zero it before a call; rule stays NULL when
 * nothing was broken (or a store error came first). */
struct rules_verdict {
    const char *rule;        /* "R1" ... "R10", "C1" */
    const char *field;       /* the field at fault; NULL: the request as a whole */
    char msg[256];           /* one sentence, quoting no input but ids */
    const char **ids;        /* the ids at fault, as given; n_ids of them */
    size_t n_ids;            /* also the count a message may name */
    char org_id[ID_LEN + 1]; /* R1: the organization the owner has; "" otherwise */
};

/* R8's bounds (settings members_per_request and members_per_organization)
 * and R11's (max_depth; 0: no limit). */
struct rules_limits {
    long per_request;
    long per_organization;
    long max_depth;
};

/* ---- single rules ---- */

/*
 * R5 for an owner or parent id as given, before any lookup: an id that is
 * not a UUID names no customer. Sets *out to the normalized id (in a).
 * ERR_CUSTOMER_NOT_FOUND (R5, `field`, the id listed) when it is not one.
 */
enum err rules_id_parse(struct arena *a, const char *field, const char *given, const char **out,
                        struct rules_verdict *v);

/*
 * R5 for one owner or parent: `id` names a customer of `account` that is not
 * archived. Sets *name to its legal name (in a). ERR_CUSTOMER_NOT_FOUND or
 * ERR_CUSTOMER_ARCHIVED, naming `field` and listing the id.
 */
enum err rules_owner_check(struct store_tx *tx, struct arena *a, const char *account,
                           const char *field, const char *id, const char **name,
                           struct rules_verdict *v);

/*
 * R1: `owner` owns no organization yet. ERR_ORGANIZATION_EXISTS with
 * verdict->org_id set to the one it owns.
 */
enum err rules_owner_free(struct store_tx *tx, const char *account, const char *field,
                          const char *owner, struct rules_verdict *v);

/*
 * R3 and R4 for a request: drops `owner` and repeated ids from ids[0..n),
 * keeping the order of first appearance (R7); returns how many are left.
 * Changes `ids` in place.
 */
size_t rules_members_normalize(const char *owner, const char **ids, size_t n);

/*
 * R3 and R4 held strictly, for a stored member list that cannot have been
 * normalized away (an import): ERR_FIELD_INVALID when the owner is among
 * its members (R3) or an id is listed twice (R4), listing those ids.
 */
enum err rules_members_distinct(struct arena *a, const char *field, const char *owner,
                                const char *const *ids, size_t n, struct rules_verdict *v);

/*
 * R5 (with R9) for customers joining an organization: each id names a
 * customer of `account` (else ERR_CUSTOMER_NOT_FOUND, listing all that do
 * not), none is archived (else ERR_CUSTOMER_ARCHIVED, listing them). Sets
 * names[i] (when names is not NULL) to each one's legal name.
 */
enum err rules_customers_live(struct store_tx *tx, struct arena *a, const char *account,
                              const char *field, const char *const *ids, size_t n,
                              const char **names, struct rules_verdict *v);

/*
 * R6: none of ids[0..n) is `owner` or has `owner` below it, directly or
 * through other organizations, so making them members of owner's
 * organization closes no cycle. ERR_HIERARCHY_CYCLE listing those that would.
 */
enum err rules_no_cycle(struct store_tx *tx, struct arena *a, const char *account,
                        const char *field, const char *owner, const char *const *ids, size_t n,
                        struct rules_verdict *v);

/*
 * R11, the depth limit: making ids[0..n) members of the organization
 * `owner` owns (or would own) keeps every chain of owner -> member steps
 * within lim->max_depth (a no-op when it is 0): the longest chain from the
 * top down to `owner`, plus one, plus the longest chain below the id.
 * ERR_DEPTH_LIMIT naming `field`, the limit, and the ids that would go too
 * deep. Call after store_hierarchy_lock and R6 (docs/postgresql.md says
 * why the answer then holds until the commit).
 */
enum err rules_depth(struct store_tx *tx, struct arena *a, const char *account,
                     const struct rules_limits *lim, const char *field, const char *owner,
                     const char *const *ids, size_t n, struct rules_verdict *v);

/* R8: at most lim->per_request ids in one request. ERR_LIMIT_EXCEEDED. */
enum err rules_limit_request(const struct rules_limits *lim, const char *field, size_t n,
                             struct rules_verdict *v);

/* R8: an organization of `total` members is within lim->per_organization.
 * ERR_LIMIT_EXCEEDED. */
enum err rules_limit_organization(const struct rules_limits *lim, const char *field, int64_t total,
                                  struct rules_verdict *v);

/*
 * Inserts `o` (store_org_insert). R10: when a concurrent write gave the owner
 * an organization first, ERR_ORGANIZATION_EXISTS naming `field`.
 */
enum err rules_org_insert(struct store_tx *tx, const char *account, const char *field,
                          const struct organization *o, struct rules_verdict *v);

/* ---- the operations, each rule applied in the API's order ---- */

/*
 * Creates the organization `owner` (normalized) owns with members ids[0..n)
 * (field "memberIds"): R5 for the owner ("ownerId"), R1, R3, R4, R5, R6, R8
 * per organization, then the insert (R10). *out is the new organization,
 * with names. Errors: the rules' above; store errors.
 */
enum err rules_org_create(struct store_tx *tx, struct arena *a, const char *account,
                          const struct rules_limits *lim, const char *owner, const char *const *ids,
                          size_t n, struct organization *out, struct rules_verdict *v);

/*
 * Adds ids[0..n) to `cur` (after its members, R7) or, with `replace`, makes
 * them its whole member list (field "customerIds"): R3, R4, then R5 and R6
 * for the customers that are not members yet (a member keeps its place even
 * archived since, R9), R8 per organization, then the change. *out is the
 * organization after it, with names. Errors: the rules'; store errors.
 */
enum err rules_org_members_change(struct store_tx *tx, struct arena *a, const char *account,
                                  const struct rules_limits *lim, const struct organization *cur,
                                  const char *const *ids, size_t n, bool replace,
                                  struct organization *out, struct rules_verdict *v);

/*
 * R2: makes `child` a member of the organization `parent` owns, creating it
 * when there is none (field "parentId"). R6 (a parent that is the child or
 * sits below it), R5 for the parent, R9 (an archived child keeps the
 * membership it has but joins no new organization: ERR_CUSTOMER_ARCHIVED,
 * no field), R4 (a member already: nothing changes) and R8 per organization.
 */
enum err rules_parent_attach(struct store_tx *tx, struct arena *a, const char *account,
                             const struct rules_limits *lim, const char *parent, const char *child,
                             struct rules_verdict *v);

/*
 * An organization as stored (a line of an import) admitted into `account`
 * as if it had been made through the API, after the ones admitted before
 * it: R3 and R4 held strictly (rules_members_distinct), R1, R5 for the
 * owner and the members, R6, R8 per organization, then the insert (R10).
 * R9 by the times: a customer archived before o->created_at cannot have
 * joined (or come to own) it, one archived since is a member R9 keeps;
 * archived_at(ctx, id) says when a customer was archived (0: it is not).
 * Fields: "ownerId", "memberIds". Errors: the rules'; store errors.
 */
enum err rules_org_admit(struct store_tx *tx, struct arena *a, const char *account,
                         const struct rules_limits *lim, const struct organization *o,
                         int64_t (*archived_at)(void *ctx, const char *id), void *ctx,
                         struct rules_verdict *v);

/* ---- the contact rule (contacts.c) ---- */

/*
 * C1 over a customer's contacts cs[0..n), as Sequence words it on
 * billingPreference: if any contact receives billing communications
 * (STANDARD or PRIMARY, not archived), at least one is PRIMARY. Any number
 * of PRIMARY contacts is fine; contacts that are all NONE (or none at all)
 * are fine too. ERR_CONFLICT naming `field` (NULL: none), the message
 * starting with `what` ("this change", "archiving this contact").
 */
enum err rules_contacts_billing(const struct contact *cs, size_t n, const char *field,
                                const char *what, struct rules_verdict *v);

/*
 * C1 for one contact write in `tx`: `after` is the contact as it is about to
 * be stored (new, changed or archived), in place of the stored contact with
 * its id. Reads the customer's active contacts (on PostgreSQL that locks the
 * customer's row, so contact writes to one customer run one at a time)
 * unless `after` is an active PRIMARY contact, which cannot break C1.
 * Errors: rules_contacts_billing's; store errors.
 */
enum err rules_contact_change(struct store_tx *tx, struct arena *a, const char *account,
                              const char *customer, const struct contact *after, const char *field,
                              const char *what, struct rules_verdict *v);

#endif
