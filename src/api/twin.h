/*
 * The test twin (docs/console.md): a realistic demo hierarchy written
 * through the store and the organization rules, and the reset route. For
 * test suites and demonstrations, never for production data.
 */
#ifndef KINSHIP_API_TWIN_H
#define KINSHIP_API_TWIN_H

#include "../core/mem.h"
#include "../rules/rules.h"
#include "../store/store.h"

/* What twin_demo_fill wrote. */
struct twin_counts {
    size_t customers, organizations, aliases;
};

/*
 * Fills `account` (an account id), inside the write transaction `tx`, with
 * the demo hierarchy: a group of five levels (a holding, four regions,
 * twenty countries, sixty branches, 180 stores), one large flat
 * organization of 120 members, and a few customers of their own; every
 * customer has a PRIMARY billing contact and an alias. Organizations are
 * made by rules_parent_attach and rules_org_create, as the API makes them,
 * under the limits `lim`. Names are the same on every run; ids are new.
 * Errors: the store's and the rules' (ERR_ALIAS_EXISTS when the account
 * already holds the demo's aliases). Strings live in `a`.
 */
enum err twin_demo_fill(struct store_tx *tx, struct arena *a, const char *account,
                        const struct rules_limits *lim, struct twin_counts *out);

struct call;

/* POST /_kinship/reset: store_account_reset of the caller's account, then
 * twin_demo_fill with ?seed=demo; 404 RouteNotFound unless test_reset is
 * on; 400 InvalidQueryParameter for another seed. */
enum err api_twin_reset(struct call *c);

#endif
