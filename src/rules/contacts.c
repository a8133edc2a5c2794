/*
 * The contact rule (rules.h, C1), in Sequence's own words on
 * billingPreference: "For a given customer, if any contacts receive billing
 * communications then at least one contact must be designated PRIMARY for
 * billing." STANDARD and PRIMARY contacts receive billing communications,
 * NONE ones do not, and archived contacts are out of the count. Nothing
 * here changes a contact the caller did not name: no PRIMARY is demoted.
 */
#include "rules.h"

#include <stdio.h>
#include <string.h>

enum err rules_contacts_billing(const struct contact *cs, size_t n, const char *field,
                                const char *what, struct rules_verdict *v)
{
    bool billing = false;
    for (size_t i = 0; i < n; i++) {
        if (cs[i].archived_at || cs[i].pref == BILLING_NONE)
            continue;
        if (cs[i].pref == BILLING_PRIMARY)
            return ERR_OK;
        billing = true;
    }
    if (!billing)
        return ERR_OK;
    v->rule = "C1";
    v->field = field;
    snprintf(v->msg, sizeof(v->msg),
             "%s would leave STANDARD contacts, which receive billing communications, without a "
             "PRIMARY contact: a customer with billing contacts needs at least one PRIMARY; make "
             "another contact PRIMARY first",
             what);
    return ERR_CONFLICT;
}

enum err rules_contact_change(struct store_tx *tx, struct arena *a, const char *account,
                              const char *customer, const struct contact *after, const char *field,
                              const char *what, struct rules_verdict *v)
{
    /* A PRIMARY contact that stays active can only help. */
    if (!after->archived_at && after->pref == BILLING_PRIMARY)
        return ERR_OK;
    struct contact *cur;
    size_t n;
    enum err rc = store_contact_list(tx, a, account, customer, false, &cur, &n);
    if (rc)
        return rc;
    struct contact *all = arena_alloc(a, (n + 1) * sizeof(*all));
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(cur[i].id, after->id) != 0)
            all[k++] = cur[i];
    all[k++] = *after;
    return rules_contacts_billing(all, k, field, what, v);
}
