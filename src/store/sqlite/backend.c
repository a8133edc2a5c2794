/*
 * The SQLite backend's table (see backend.h) and its open function: the
 * engine's entries (engine.c, backup.c) and the primitives of the resource
 * files, each named store__sqlite_ and its slot.
 */
#include "internal.h"

#define SLOT(name) .name = store__sqlite_##name

static const struct store_backend backend = {
    .name = "sqlite",
    .blocks = false,
    SLOT(close),
    SLOT(ping),
    SLOT(read),
    SLOT(write),
    SLOT(write_async),
    SLOT(stats),
    SLOT(backup),
    SLOT(idem_get),
    SLOT(idem_put),
    SLOT(account_ensure),
    SLOT(account_list),
    SLOT(account_reset),
    SLOT(client_insert),
    SLOT(client_get),
    SLOT(client_revoke),
    SLOT(client_list),
    SLOT(customer_row_get),
    SLOT(customer_insert),
    SLOT(customer_update),
    SLOT(customer_archive),
    SLOT(customer_briefs),
    SLOT(customer_props),
    SLOT(customer_list_rows),
    SLOT(property_keys),
    SLOT(contact_list),
    SLOT(contact_get),
    SLOT(contact_insert),
    SLOT(contact_update),
    SLOT(alias_insert),
    SLOT(alias_get),
    SLOT(alias_get_by_value),
    SLOT(alias_list),
    SLOT(alias_list_for_customer),
    SLOT(alias_update),
    SLOT(org_insert),
    SLOT(org_get),
    SLOT(org_rev),
    SLOT(org_id_by_owner),
    SLOT(org_ids_of_member),
    SLOT(customers_props),
    SLOT(customers_org_ids),
    SLOT(org_members_add),
    SLOT(org_members_clear),
    SLOT(org_member_remove),
    SLOT(org_member_count),
    SLOT(org_extent),
    SLOT(org_delete),
    SLOT(org_reaches),
    SLOT(tree_ancestors),
    SLOT(tree_descendants),
    SLOT(tree_heights),
    SLOT(org_list_ids),
    /* notification policies and the activity log */
    SLOT(policy_insert),
    SLOT(policy_get),
    SLOT(policy_update),
    SLOT(policy_delete),
    SLOT(policy_list),
    SLOT(activity_insert),
    SLOT(activity_purge),
    SLOT(activity_get),
    SLOT(activity_list),
    SLOT(event_insert),
};

enum err store__sqlite_open(const char *path, const struct store_options *o, struct store **out)
{
    return store__sqlite_engine_open(path, o, &backend, out);
}
