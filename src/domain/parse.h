/*
 * Request bodies into domain structs. Each parser checks types, required
 * fields, enums and shapes, and on failure fills `struct verr` with the
 * field at fault (as a JSON path such as "contacts[1].email") and a message
 * that quotes no raw input. Strings point into the arena; the JSON value may
 * be freed afterwards. Unknown fields are ignored, as Sequence does.
 */
#ifndef KINSHIP_DOMAIN_PARSE_H
#define KINSHIP_DOMAIN_PARSE_H

#include <jansson.h>

#include "../core/err.h"
#include "../core/mem.h"
#include "model.h"

/* Longest accepted text field, in bytes. */
#define TEXT_MAX 1024
#define PROPERTIES_MAX 100
#define CONTACTS_MAX 100

struct verr {
    const char *field; /* static or arena string; NULL when no single field */
    char msg[256];
};

/* Fills `ve` (field and a printf message) and returns `code`: how a parser
 * fails. */
enum err verr_fail(struct verr *ve, enum err code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* CreateOrUpdateCustomerRequest. Requires at least one PRIMARY contact
 * (any number of them). */
enum err customer_input_parse(const json_t *body, struct arena *a, struct customer_input *out,
                              struct verr *ve);
/* The Address object `v` (required fields, country and state codes); its
 * fields and messages are named "address.line1" and so on. */
enum err address_parse(const json_t *v, struct arena *a, struct address *out, struct verr *ve);
/* ContactRequestModel. */
enum err contact_input_parse(const json_t *body, struct arena *a, struct contact *out,
                             struct verr *ve);
/*
 * An array of customer ids named `field` ("memberIds", "customerIds"). Ids
 * are returned as given (lowercased when they are UUIDs); ids that are not
 * UUIDs are kept so that the store can report them as CustomerNotFound.
 */
enum err id_list_parse(const json_t *body, const char *field, struct arena *a, const char ***out,
                       size_t *n, struct verr *ve);
/* The required string field `field` of `body`. */
enum err string_field_parse(const json_t *body, const char *field, bool required, struct arena *a,
                            const char **out, struct verr *ve);
/* True for an email address of a plausible shape (local@domain.tld). */
bool email_valid(const char *s);
/* The host of an http(s) URL without "www.", or NULL. */
const char *url_domain(const char *url, struct arena *a);

#endif
