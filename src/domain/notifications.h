/*
 * Notification policies (Sequence's webhooks and email notifications) and
 * activity log entries, as domain objects: the policy struct, the request
 * parsers (CreateNotificationPolicyRequest, AddNotificationTypesToPolicy-
 * Request, AddRecipientsToPolicyRequest), the recipient checks, the JSON
 * rendering of NotificationPolicy and ActivityLogResponse, and the text
 * forms the stores keep lists in. Strings live in the arena passed in.
 */
#ifndef KINSHIP_DOMAIN_NOTIFICATIONS_H
#define KINSHIP_DOMAIN_NOTIFICATIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parse.h"

/* Most recipients of one policy, and the longest recipient (bytes). */
#define POLICY_RECIPIENTS_MAX 100
#define POLICY_RECIPIENT_MAX 2048
/* Bounds of a webhookSecret the request gives. */
#define POLICY_SECRET_MIN 16
#define POLICY_SECRET_MAX 128

struct notification_policy {
    char id[ID_LEN + 1];
    char account_id[ID_LEN + 1];
    const char *name;
    const char *channel; /* "EMAIL" or "WEBHOOK" (static strings) */
    const char *secret;  /* WEBHOOK: the webhookSecret; EMAIL: NULL */
    /* The types the policy lists; all_types: none listed, every type. */
    bool all_types;
    const char **types;
    size_t n_types;
    const char **recipients;
    size_t n_recipients;
    int64_t created_at;
};

/* The NotificationType value equal to `s` (a static string), or NULL:
 * one of Sequence's enum, or of kinship's organization types
 * (ORGANIZATION_CREATED, ..._DELETED, ..._MEMBERS_ADDED, ..._MEMBERS_REPLACED,
 * ..._MEMBER_REMOVED), which go only to policies that list them. */
const char *notification_type_find(const char *s);
/* True for one of kinship's own types (not Sequence's). */
bool notification_type_is_kinship(const char *type);

/*
 * CreateNotificationPolicyRequest into `out` (id, account and created_at
 * are left for the caller; secret is NULL when the request gives none).
 * Recipients are checked for the channel (policy_recipient_check) and
 * duplicates dropped, as are duplicate types. ERR_FIELD_MISSING or
 * ERR_FIELD_INVALID with `ve` filled.
 */
enum err policy_create_parse(const json_t *body, struct arena *a, struct notification_policy *out,
                             struct verr *ve);
/* The required, non-empty "notificationTypes" array (duplicates dropped). */
enum err policy_types_parse(const json_t *body, struct arena *a, const char ***out, size_t *n,
                            struct verr *ve);
/* The required, non-empty "recipients" array, each checked for `channel`
 * (duplicates dropped). */
enum err policy_recipients_parse(const json_t *body, const char *channel, struct arena *a,
                                 const char ***out, size_t *n, struct verr *ve);
/*
 * NULL when `r` may be a recipient of a `channel` policy, else a phrase
 * saying why not (quoting none of it). EMAIL: an address of a plausible
 * shape. WEBHOOK: an absolute http or https URL of printable ASCII, with a
 * host, no user:password part and no fragment, whose host is not a
 * link-local or cloud metadata address (loopback is left to delivery,
 * which decides it per process).
 */
const char *policy_recipient_check(const char *channel, const char *r);

/* NotificationPolicy; the webhookSecret only `with_secret`. */
json_t *policy_render(const struct notification_policy *p, bool with_secret);

/* The list `items[0..n)` as one text, each item followed by `sep`, with a
 * leading `sep` ("" for no items); and back. Items never hold `sep`. */
const char *policy_list_join(struct arena *a, const char *const *items, size_t n, char sep);
void policy_list_split(struct arena *a, const char *text, char sep, const char ***out, size_t *n);

/* ---- the outbox ---- */

/* An event a write emits, recorded in its transaction when a policy of the
 * account matches its type (docs/notifications.md, "The outbox"). */
struct outbox_event {
    char id[ID_LEN + 1];
    const char *type;          /* a NotificationType */
    const char *resource_type; /* "CUSTOMER", "CUSTOMER_ORGANIZATION" */
    const char *resource_id;
    const char *detail; /* JSON text: the ids that changed; NULL: none */
    int64_t created_at;
};

/* {"added":[...],"removed":[...]} of the members in `after` and not in
 * `before`, and the other way round, for an organization event's detail
 * (in the arena; either may be NULL: no members). */
const char *event_members_detail(struct arena *a, const struct organization *before,
                                 const struct organization *after);

/* ---- the activity log ---- */

/* One write's entry: who did what to which object. */
struct activity_entry {
    char id[ID_LEN + 1];      /* the log's id */
    char item_id[ID_LEN + 1]; /* its one item's id */
    char account_id[ID_LEN + 1];
    int64_t created_at;
    const char *trace_id; /* the request id */
    const char *actor_id; /* the API client */
    const char *object_type, *verb;
    const char *object_id; /* the object written */
    const char *entity_id; /* the customer it belongs to; NULL: none */
};

/* ActivityLogResponse. */
json_t *activity_render(const struct activity_entry *e);

#endif
