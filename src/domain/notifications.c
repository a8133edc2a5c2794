/* Notification policies and activity log entries: parsing and rendering. */
#include "notifications.h"
#include "../core/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Sequence's NotificationType enum (2024-07-30), in its order. */
static const char *const types[] = {
    "CUSTOMER_CREATED",
    "CUSTOMER_UPDATED",
    "CUSTOMER_ARCHIVED",
    "INVOICE_CREATED",
    "INVOICE_ISSUED",
    "INVOICE_UPDATED",
    "INTEGRATION_SYNC_COMPLETED",
    "INTEGRATION_WEBHOOK_HANDLED",
    "MERCHANT_UPDATED",
    "BILLING_SCHEDULE_CREATED",
    "BILLING_SCHEDULE_UPDATED",
    "BILLING_SCHEDULE_ARCHIVED",
    "CREDIT_NOTE_CREATED",
    "CREDIT_NOTE_UPDATED",
    "CREDIT_NOTE_ISSUED",
    "QUOTE_PUBLISHED",
    "QUOTE_ACCEPTED",
    "QUOTE_SIGNED",
    "INVOICE_REMINDER_SENT",
    "WATCHTOWER_TASK_ASSIGNED",
};

/* kinship's organization types: a receiver written for Sequence's types
 * never sees them unless its policy lists them. */
static const char *const kinship_types[] = {
    "ORGANIZATION_CREATED",          "ORGANIZATION_DELETED",        "ORGANIZATION_MEMBERS_ADDED",
    "ORGANIZATION_MEMBERS_REPLACED", "ORGANIZATION_MEMBER_REMOVED",
};

static const char *find_in(const char *const *list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0)
            return list[i];
    return NULL;
}

const char *notification_type_find(const char *s)
{
    const char *t = find_in(types, sizeof(types) / sizeof(*types), s);
    return t ? t : find_in(kinship_types, sizeof(kinship_types) / sizeof(*kinship_types), s);
}

bool notification_type_is_kinship(const char *type)
{
    return find_in(kinship_types, sizeof(kinship_types) / sizeof(*kinship_types), type) != NULL;
}

/* The ids of a's members that b does not have, as a JSON array. */
static json_t *members_missing(const struct organization *a, const struct organization *b)
{
    json_t *out = json_array();
    for (size_t i = 0; a && i < a->n_members; i++) {
        bool found = false;
        for (size_t j = 0; b && j < b->n_members && !found; j++)
            found = strcmp(a->members[i].id, b->members[j].id) == 0;
        if (!found)
            json_array_append_new(out, json_string(a->members[i].id));
    }
    return out;
}

const char *event_members_detail(struct arena *a, const struct organization *before,
                                 const struct organization *after)
{
    json_t *j = json_pack("{s:o,s:o}", "added", members_missing(after, before), "removed",
                          members_missing(before, after));
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    const char *out = arena_strdup(a, text);
    free(text);
    return out;
}

/* The array member `name`: required, 1 to `max` elements, all strings. */
static enum err string_array(const json_t *body, const char *name, size_t max, const json_t **out,
                             struct verr *ve)
{
    const json_t *v = json_object_get(body, name);
    if (!v || json_is_null(v))
        return verr_fail(ve, ERR_FIELD_MISSING, name, "%s is required", name);
    if (!json_is_array(v))
        return verr_fail(ve, ERR_FIELD_INVALID, name, "%s must be an array", name);
    size_t n = json_array_size(v);
    if (n == 0 || n > max)
        return verr_fail(ve, ERR_FIELD_INVALID, name, "%s must hold 1 to %zu items", name, max);
    for (size_t i = 0; i < n; i++)
        if (!json_is_string(json_array_get(v, i)))
            return verr_fail(ve, ERR_FIELD_INVALID, name, "%s[%zu] must be a string", name, i);
    *out = v;
    return ERR_OK;
}

/* Appends s to items[0..*n) unless it is there already. */
static void add_distinct(const char **items, size_t *n, const char *s)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(items[i], s) == 0)
            return;
    items[(*n)++] = s;
}

enum err policy_types_parse(const json_t *body, struct arena *a, const char ***out, size_t *n,
                            struct verr *ve)
{
    const json_t *v;
    size_t max = sizeof(types) / sizeof(*types) + sizeof(kinship_types) / sizeof(*kinship_types);
    enum err rc = string_array(body, "notificationTypes", 4 * max, &v, ve);
    if (rc)
        return rc;
    const char **items = arena_alloc(a, json_array_size(v) * sizeof(*items));
    *n = 0;
    for (size_t i = 0; i < json_array_size(v); i++) {
        const char *t = notification_type_find(json_string_value(json_array_get(v, i)));
        if (!t)
            return verr_fail(ve, ERR_FIELD_INVALID, "notificationTypes",
                             "notificationTypes[%zu] is not a NotificationType", i);
        add_distinct(items, n, t);
    }
    *out = items;
    return ERR_OK;
}

static bool printable_ascii(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
            return false;
    return true;
}

/* True for a host a receiver must never be: link-local addresses (cloud
 * metadata services live there) and the names of metadata services. */
static bool host_refused(const char *h, size_t len)
{
    static const char *const names[] = {"metadata.google.internal", "metadata", "0.0.0.0", "[::]",
                                        "[fd00:ec2::254]"};
    for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
        if (strlen(names[i]) == len && strncasecmp(names[i], h, len) == 0)
            return true;
    if (len >= 8 && strncmp(h, "169.254.", 8) == 0)
        return true;
    if (len >= 5 && strncasecmp(h, "[fe8", 4) == 0)
        return true;
    return len >= 5 && (strncasecmp(h, "[fe9", 4) == 0 || strncasecmp(h, "[fea", 4) == 0 ||
                        strncasecmp(h, "[feb", 4) == 0);
}

static const char *webhook_check(const char *r)
{
    size_t len = strlen(r);
    if (!printable_ascii(r, len))
        return "must be printable ASCII without spaces (percent-encode the rest)";
    const char *rest;
    if (strncasecmp(r, "https://", 8) == 0)
        rest = r + 8;
    else if (strncasecmp(r, "http://", 7) == 0)
        rest = r + 7;
    else
        return "must be an http or https URL";
    if (strchr(r, '#'))
        return "must not have a fragment";
    size_t auth = strcspn(rest, "/?");
    if (memchr(rest, '@', auth))
        return "must not carry a user name or password";
    const char *host = rest;
    size_t hl = auth;
    if (host[0] == '[') {
        const char *end = memchr(host, ']', auth);
        if (!end)
            return "has a malformed IPv6 host";
        hl = (size_t)(end - host) + 1;
    } else {
        const char *colon = memchr(host, ':', auth);
        if (colon)
            hl = (size_t)(colon - host);
    }
    if (hl == 0)
        return "must name a host";
    if (hl < auth) {
        if (host[hl] != ':' || hl + 1 == auth)
            return "has a malformed port";
        long port = 0;
        for (size_t i = hl + 1; i < auth; i++) {
            if (host[i] < '0' || host[i] > '9' || port > 65535)
                return "has a malformed port";
            port = port * 10 + (host[i] - '0');
        }
        if (port < 1 || port > 65535)
            return "has a malformed port";
    }
    if (host_refused(host, hl))
        return "names a link-local or metadata address, which is never a receiver";
    return NULL;
}

const char *policy_recipient_check(const char *channel, const char *r)
{
    if (strlen(r) > POLICY_RECIPIENT_MAX)
        return "is too long";
    if (strcmp(channel, "EMAIL") == 0)
        return email_valid(r) ? NULL : "must be an email address";
    return webhook_check(r);
}

enum err policy_recipients_parse(const json_t *body, const char *channel, struct arena *a,
                                 const char ***out, size_t *n, struct verr *ve)
{
    const json_t *v;
    enum err rc = string_array(body, "recipients", POLICY_RECIPIENTS_MAX, &v, ve);
    if (rc)
        return rc;
    const char **items = arena_alloc(a, json_array_size(v) * sizeof(*items));
    *n = 0;
    for (size_t i = 0; i < json_array_size(v); i++) {
        const json_t *e = json_array_get(v, i);
        const char *s = json_string_value(e);
        const char *why = strlen(s) == json_string_length(e) ? policy_recipient_check(channel, s)
                                                             : "must not hold a NUL character";
        if (why)
            return verr_fail(ve, ERR_FIELD_INVALID, "recipients", "recipients[%zu] %s", i, why);
        add_distinct(items, n, arena_strdup(a, s));
    }
    *out = items;
    return ERR_OK;
}

enum err policy_create_parse(const json_t *body, struct arena *a, struct notification_policy *out,
                             struct verr *ve)
{
    memset(out, 0, sizeof(*out));
    const char *channel = NULL;
    enum err rc;
    if ((rc = string_field_parse(body, "name", true, a, &out->name, ve)) ||
        (rc = string_field_parse(body, "channel", true, a, &channel, ve)))
        return rc;
    if (strcmp(channel, "EMAIL") == 0)
        out->channel = "EMAIL";
    else if (strcmp(channel, "WEBHOOK") == 0)
        out->channel = "WEBHOOK";
    else
        return verr_fail(ve, ERR_FIELD_INVALID, "channel", "channel must be WEBHOOK or EMAIL");
    if ((rc = policy_recipients_parse(body, out->channel, a, &out->recipients, &out->n_recipients,
                                      ve)))
        return rc;
    const json_t *t = json_object_get(body, "notificationTypes");
    out->all_types = !t || json_is_null(t);
    if (!out->all_types && (rc = policy_types_parse(body, a, &out->types, &out->n_types, ve)))
        return rc;
    const json_t *sv = json_object_get(body, "webhookSecret");
    if (sv && !json_is_null(sv)) {
        if (out->channel[0] != 'W')
            return verr_fail(ve, ERR_FIELD_INVALID, "webhookSecret",
                             "webhookSecret is only for WEBHOOK policies");
        const char *s = json_is_string(sv) ? json_string_value(sv) : NULL;
        size_t len = s ? json_string_length(sv) : 0;
        if (!s || len < POLICY_SECRET_MIN || len > POLICY_SECRET_MAX || !printable_ascii(s, len))
            return verr_fail(ve, ERR_FIELD_INVALID, "webhookSecret",
                             "webhookSecret must be %d to %d printable ASCII characters",
                             POLICY_SECRET_MIN, POLICY_SECRET_MAX);
        out->secret = arena_strndup(a, s, len);
    }
    return ERR_OK;
}

static json_t *strings(const char *const *items, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_string(items[i]));
    return arr;
}

json_t *policy_render(const struct notification_policy *p, bool with_secret)
{
    char iso[ISO_LEN + 1];
    clock_iso(p->created_at, iso);
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:o,s:s}", "id", p->id, "createdAt", iso,
                          "sequenceAccountId", p->account_id, "name", p->name, "recipients",
                          strings(p->recipients, p->n_recipients), "channel", p->channel);
    if (!p->all_types)
        json_object_set_new_nocheck(o, "notificationTypes", strings(p->types, p->n_types));
    if (with_secret && p->secret)
        json_object_set_new_nocheck(o, "webhookSecret", json_string(p->secret));
    return o;
}

const char *policy_list_join(struct arena *a, const char *const *items, size_t n, char sep)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(items[i]) + 1;
    char *out = arena_alloc(a, len + 1), *p = out;
    *p++ = sep;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(items[i]);
        memcpy(p, items[i], l);
        p += l;
        *p++ = sep;
    }
    *p = '\0';
    return n ? out : "";
}

void policy_list_split(struct arena *a, const char *text, char sep, const char ***out, size_t *n)
{
    size_t cap = 0;
    for (const char *p = text; *p; p++)
        cap += *p == sep;
    const char **items = arena_alloc(a, (cap ? cap : 1) * sizeof(*items));
    *n = 0;
    const char *p = text && *text == sep ? text + 1 : text;
    while (p && *p) {
        const char *end = strchr(p, sep);
        size_t l = end ? (size_t)(end - p) : strlen(p);
        items[(*n)++] = arena_strndup(a, p, l);
        p = end ? end + 1 : NULL;
    }
    *out = items;
}

/* The item's name and summary, by object type and verb. */
static void activity_words(const struct activity_entry *e, char *name, size_t name_cap,
                           char *summary, size_t summary_cap)
{
    static const struct {
        const char *type, *noun;
    } nouns[] = {
        {"CUSTOMER", "Customer"},
        {"CONTACT", "Contact"},
        {"CUSTOMER_ALIAS", "Customer alias"},
        {"CUSTOMER_ORGANIZATION", "Customer organization"},
        {"NOTIFICATION_POLICY", "Notification policy"},
    };
    const char *noun = e->object_type;
    for (size_t i = 0; i < sizeof(nouns) / sizeof(*nouns); i++)
        if (strcmp(nouns[i].type, e->object_type) == 0)
            noun = nouns[i].noun;
    char verb[64];
    size_t k = 0;
    for (const char *p = e->verb; *p && k + 1 < sizeof(verb); p++)
        verb[k++] = *p == '_' ? ' ' : (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    verb[k] = '\0';
    snprintf(name, name_cap, "%s %s", noun, verb);
    snprintf(summary, summary_cap, "%s %s %s through the API", noun, e->object_id, verb);
}

json_t *activity_render(const struct activity_entry *e)
{
    char name[128], summary[256];
    activity_words(e, name, sizeof(name), summary, sizeof(summary));
    char iso[ISO_LEN + 1];
    clock_iso(e->created_at, iso);
    json_t *actor = json_pack("{s:s,s:s,s:s}", "id", e->actor_id ? e->actor_id : "", "entityType",
                              "API_CLIENT", "entityId", e->actor_id ? e->actor_id : "");
    json_t *object = json_pack("{s:s,s:s}", "id", e->object_id, "entityType", e->object_type);
    if (e->entity_id)
        json_object_set_new_nocheck(object, "entityId", json_string(e->entity_id));
    json_t *item =
        json_pack("{s:s,s:s,s:s,s:s,s:s,s:[],s:o,s:o}", "id", e->item_id, "activityLogId", e->id,
                  "verb", e->verb, "name", name, "summary", summary, "metadata", "activityLogActor",
                  actor, "activityLogObject", object);
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:[o]}", "id", e->id, "sequenceAccountId",
                          e->account_id, "activityType", e->object_type, "apiVersion", "2024-07-30",
                          "origin", "API", "createdAt", iso, "activityLogItems", item);
    if (e->trace_id)
        json_object_set_new_nocheck(o, "traceId", json_string(e->trace_id));
    return o;
}
