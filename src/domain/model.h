/*
 * kinship's domain objects: customers, contacts, aliases, organizations.
 * Every string in these structs lives in an arena (the request's, or the
 * command's): the structs own nothing and need no destructor.
 * Timestamps are milliseconds since the epoch; 0 means "not set".
 */
#ifndef KINSHIP_DOMAIN_MODEL_H
#define KINSHIP_DOMAIN_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/id.h"

enum tax_status { TAX_TAXED, TAX_EXEMPT, TAX_REVERSE_CHARGED };
enum customer_status { CUSTOMER_ACTIVE, CUSTOMER_DRAFT };
enum billing_pref { BILLING_PRIMARY, BILLING_STANDARD, BILLING_NONE };

struct address {
    const char *line1, *line2, *town, *state, *postcode,
        *country; /* line2, state: NULL when absent */
};

struct contact {
    char id[ID_LEN + 1];
    const char *name, *email;
    enum billing_pref pref;
    int64_t created_at, updated_at, archived_at;
};

struct integration_id {
    const char *service, *id;
};

struct property {
    const char *key, *value;
};

/* A customer's id and legal name, as organizations show them. */
struct member {
    char id[ID_LEN + 1];
    const char *name;
};

struct organization {
    char id[ID_LEN + 1];
    struct member owner;
    struct member *members; /* in the order they were added (R7) */
    size_t n_members;
    int64_t created_at;
    /* The store's revision tag of everything above (see src/store/orgcache.h);
     * 0 from a store that keeps none. */
    int64_t rev;
};

struct customer {
    char id[ID_LEN + 1];
    int64_t created_at, updated_at, archived_at;
    const char *legal_name, *url, *label; /* url, label: NULL when absent */
    enum tax_status tax_status;
    enum customer_status status;
    struct address address;
    struct integration_id *integrations;
    size_t n_integrations;
    struct contact *contacts; /* active (not archived) contacts, in creation order */
    size_t n_contacts;
    struct property *props; /* sorted by key */
    size_t n_props;
    struct organization *orgs; /* organizations the customer is a member of */
    size_t n_orgs;
};

/* The body of POST /customers and PUT /customers/{id}. */
struct customer_input {
    struct customer c;    /* id, timestamps and orgs unused */
    bool props_given;     /* customProperties present: replace; absent: keep */
    const char **aliases; /* customerAliases: alias values to create */
    size_t n_aliases;
    const char *parent_id; /* NULL when absent (R2) */
};

struct alias {
    char id[ID_LEN + 1];
    char account_id[ID_LEN + 1];
    char customer_id[ID_LEN + 1];
    const char *value, *label; /* label: NULL when absent */
    int64_t created_at, deleted_at;
};

const char *tax_status_name(enum tax_status t);
const char *customer_status_name(enum customer_status s);
const char *billing_pref_name(enum billing_pref p);
bool tax_status_parse(const char *s, enum tax_status *out);
bool customer_status_parse(const char *s, enum customer_status *out);
bool billing_pref_parse(const char *s, enum billing_pref *out);
/* True for a service name of the IntegrationService enum. */
bool integration_service_valid(const char *s);

#endif
