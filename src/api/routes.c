/*
 * The route table: every operation kinship serves, with the common checks
 * each asks for. Sequence's 19 operations first, then kinship's extensions,
 * then the operational endpoints.
 */
#include "api.h"
#include "console.h"
#include "twin.h"

#define R(m, p, h, f, n)                                                                           \
    {                                                                                              \
        HTTP_##m, p, (void *)(h), f, n                                                             \
    }

#define API_READ ROUTE_API
#define API_BODY (ROUTE_API | ROUTE_JSON_BODY | ROUTE_IDEMPOTENT | ROUTE_WRITE)
#define API_POST (ROUTE_API | ROUTE_IDEMPOTENT | ROUTE_WRITE)
#define API_DEL (ROUTE_API | ROUTE_WRITE)
#define API_PAGE (ROUTE_API | ROUTE_PAGE)
#define EXT ROUTE_EXTENSION
/* ?dryRun=true: the answer the write would give, nothing changed */
#define DRY ROUTE_DRY_RUN

const struct route api_routes[] = {
    R(GET, "/customers", api_customers_list, API_PAGE, "customers.list"),
    R(POST, "/customers", api_customers_create, API_BODY | DRY, "customers.create"),
    R(GET, "/customers/by-alias/{alias}", api_customers_by_alias, API_READ, "customers.by_alias"),
    R(GET, "/customers/{id}", api_customers_get, API_READ, "customers.get"),
    R(PUT, "/customers/{id}", api_customers_update, API_BODY | DRY, "customers.update"),
    R(POST, "/customers/{id}/archive", api_customers_archive, API_POST, "customers.archive"),
    R(GET, "/customers/{id}/aliases", api_aliases_for_customer, API_READ, "customers.aliases"),
    R(GET, "/customer-custom-property-keys", api_customers_property_keys, API_READ,
      "customers.property_keys"),
    R(GET, "/customers/{customer}/contacts", api_contacts_list, API_READ, "contacts.list"),
    R(POST, "/customers/{customer}/contacts", api_contacts_create, API_BODY, "contacts.create"),
    R(PUT, "/customers/{customer}/contacts/{id}", api_contacts_update, API_BODY, "contacts.update"),
    R(POST, "/customers/{customer}/contacts/{id}/archive", api_contacts_archive, API_POST,
      "contacts.archive"),
    R(GET, "/customer-aliases", api_aliases_list, API_PAGE, "aliases.list"),
    R(POST, "/customer-aliases", api_aliases_create, API_BODY, "aliases.create"),
    R(PUT, "/customer-aliases/{id}", api_aliases_update, API_BODY, "aliases.update"),
    R(DELETE, "/customer-aliases/{id}", api_aliases_delete, API_DEL, "aliases.delete"),
    R(POST, "/customer-organizations", api_orgs_create, API_BODY | DRY, "organizations.create"),
    R(POST, "/customer-organizations/{id}/members", api_orgs_members_add, API_BODY | DRY,
      "organizations.members_add"),
    R(PUT, "/customer-organizations/{id}/members", api_orgs_members_replace, API_BODY | DRY,
      "organizations.members_replace"),
    /* Sequence's notification policies and activity logs */
    R(GET, "/notifications/policies", api_policies_list, API_READ, "notifications.list"),
    R(POST, "/notifications/policies", api_policies_create, API_BODY, "notifications.create"),
    R(GET, "/notifications/policies/{id}", api_policies_get, API_READ, "notifications.get"),
    R(DELETE, "/notifications/policies/{id}", api_policies_delete, API_DEL, "notifications.delete"),
    R(POST, "/notifications/policies/{id}/notification-types", api_policies_types_add, API_BODY,
      "notifications.types_add"),
    R(DELETE, "/notifications/policies/{id}/notification-types/{type}", api_policies_type_remove,
      API_DEL, "notifications.type_remove"),
    R(POST, "/notifications/policies/{id}/recipients", api_policies_recipients_add, API_BODY,
      "notifications.recipients_add"),
    R(DELETE, "/notifications/policies/{id}/recipients/{recipient}", api_policies_recipient_remove,
      API_DEL, "notifications.recipient_remove"),
    R(GET, "/activity-logs", api_activity_list, API_READ, "activity.list"),
    R(GET, "/activity-logs/{id}", api_activity_get, API_READ, "activity.get"),
    /* kinship extensions */
    R(GET, "/customer-organizations", api_orgs_list, API_PAGE | EXT, "organizations.list"),
    R(GET, "/customer-organizations/{id}", api_orgs_get, API_READ | EXT, "organizations.get"),
    R(DELETE, "/customer-organizations/{id}", api_orgs_delete, API_DEL | EXT | DRY,
      "organizations.delete"),
    R(DELETE, "/customer-organizations/{id}/members/{customerId}", api_orgs_member_remove,
      API_DEL | EXT | DRY, "organizations.member_remove"),
    /* the hierarchy as a tree (tree.c, docs/hierarchy.md) */
    R(GET, "/customers/{id}/ancestors", api_tree_ancestors, API_READ | EXT, "tree.ancestors"),
    R(GET, "/customers/{id}/descendants", api_tree_descendants, API_PAGE | EXT, "tree.descendants"),
    R(GET, "/customer-organizations/{id}/tree", api_tree_organization, API_PAGE | EXT,
      "tree.organization"),
    /* operations */
    R(GET, "/healthz", api_ops_healthz, EXT | ROUTE_NO_STORE, "ops.healthz"),
    R(GET, "/readyz", api_ops_readyz, EXT, "ops.readyz"),
    R(GET, "/metrics", api_ops_metrics, EXT | ROUTE_NO_STORE, "ops.metrics"),
    R(GET, "/openapi.json", api_ops_openapi, EXT | ROUTE_NO_STORE, "ops.openapi"),
    /* the console and the test twin (docs/console.md) */
    R(GET, "/console", api_console_index, EXT | ROUTE_NO_STORE, "console.index"),
    R(GET, "/console/{file}", api_console_file, EXT | ROUTE_NO_STORE, "console.file"),
    R(POST, "/_kinship/reset", api_twin_reset, ROUTE_AUTH | ROUTE_WRITE | ROUTE_IDEMPOTENT | EXT,
      "twin.reset"),
};

const size_t api_routes_count = sizeof(api_routes) / sizeof(*api_routes);
