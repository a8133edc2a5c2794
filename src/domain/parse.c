/* Validation of request bodies against the 2024-07-30 schemas. */
#include "parse.h"
#include "codes.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum err verr_fail(struct verr *ve, enum err code, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ve->msg, sizeof(ve->msg), fmt, ap);
    va_end(ap);
    ve->field = field;
    return code;
}

static const char *join(struct arena *a, const char *prefix, const char *name)
{
    return prefix ? arena_printf(a, "%s.%s", prefix, name) : name;
}

/*
 * Member `name` of body, of JSON type `type` (`kind` names it in the
 * message: "an array"). Absent or null: *out = NULL (an error when
 * required).
 */
static enum err member(const json_t *body, const char *name, bool required, json_type type,
                       const char *kind, const json_t **out, struct verr *ve)
{
    const json_t *v = json_object_get(body, name);
    *out = NULL;
    if (!v || json_is_null(v))
        return required ? verr_fail(ve, ERR_FIELD_MISSING, name, "%s is required", name) : ERR_OK;
    if (json_typeof(v) != type)
        return verr_fail(ve, ERR_FIELD_INVALID, name, "%s must be %s", name, kind);
    *out = v;
    return ERR_OK;
}

static bool blank(const char *s)
{
    for (; *s; s++)
        if (!isspace((unsigned char)*s))
            return false;
    return true;
}

/*
 * A string member. Absent or null: *out = NULL (an error when required).
 * Present: must be a non-blank string of at most TEXT_MAX bytes.
 */
static enum err text(const json_t *obj, const char *prefix, const char *name, bool required,
                     struct arena *a, const char **out, struct verr *ve)
{
    const json_t *v = json_object_get(obj, name);
    *out = NULL;
    if (!v || json_is_null(v)) {
        if (required)
            return verr_fail(ve, ERR_FIELD_MISSING, join(a, prefix, name), "%s is required",
                             join(a, prefix, name));
        return ERR_OK;
    }
    if (!json_is_string(v))
        return verr_fail(ve, ERR_FIELD_INVALID, join(a, prefix, name), "%s must be a string",
                         join(a, prefix, name));
    size_t len = json_string_length(v);
    const char *s = json_string_value(v);
    if (len > TEXT_MAX)
        return verr_fail(ve, ERR_FIELD_INVALID, join(a, prefix, name), "%s is longer than %d bytes",
                         join(a, prefix, name), TEXT_MAX);
    if (blank(s))
        return verr_fail(ve, ERR_FIELD_INVALID, join(a, prefix, name), "%s must not be empty",
                         join(a, prefix, name));
    *out = arena_strndup(a, s, len);
    return ERR_OK;
}

enum err string_field_parse(const json_t *body, const char *field, bool required, struct arena *a,
                            const char **out, struct verr *ve)
{
    return text(body, NULL, field, required, a, out, ve);
}

bool email_valid(const char *s)
{
    size_t len = strlen(s);
    if (len < 3 || len > 254)
        return false;
    const char *at = strchr(s, '@');
    if (!at || at == s || strchr(at + 1, '@'))
        return false;
    const char *dom = at + 1;
    const char *dot = strrchr(dom, '.');
    if (!dot || dot == dom || dot[1] == '\0')
        return false;
    if (dom[0] == '.' || strstr(dom, ".."))
        return false;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == '(' || *p == ')' || *p == ',' || *p == ';' ||
            *p == ':' || *p == '<' || *p == '>' || *p == '[' || *p == ']' || *p == '\\' ||
            *p == '"' || (unsigned char)*p == 0x7f)
            return false;
    return true;
}

const char *url_domain(const char *url, struct arena *a)
{
    const char *p = url;
    if (strncasecmp(p, "https://", 8) == 0)
        p += 8;
    else if (strncasecmp(p, "http://", 7) == 0)
        p += 7;
    else
        return NULL;
    const char *at = NULL;
    size_t n = strcspn(p, "/?#");
    for (size_t i = 0; i < n; i++)
        if (p[i] == '@')
            at = p + i;
    if (at) {
        n -= (size_t)(at + 1 - p);
        p = at + 1;
    }
    size_t host = strcspn(p, ":/?#");
    if (host > n)
        host = n;
    if (host == 0)
        return NULL;
    if (host > 4 && strncasecmp(p, "www.", 4) == 0) {
        p += 4;
        host -= 4;
    }
    char *d = arena_strndup(a, p, host);
    for (char *q = d; *q; q++)
        *q = (char)tolower((unsigned char)*q);
    return d;
}

enum err address_parse(const json_t *v, struct arena *a, struct address *ad, struct verr *ve)
{
    enum err rc;
    if ((rc = text(v, "address", "line1", true, a, &ad->line1, ve)) ||
        (rc = text(v, "address", "line2", false, a, &ad->line2, ve)) ||
        (rc = text(v, "address", "town", true, a, &ad->town, ve)) ||
        (rc = text(v, "address", "postcode", true, a, &ad->postcode, ve)) ||
        (rc = text(v, "address", "country", true, a, &ad->country, ve)) ||
        (rc = text(v, "address", "state", false, a, &ad->state, ve)))
        return rc;
    if (!codes_country_valid(ad->country))
        return verr_fail(ve, ERR_FIELD_INVALID, "address.country",
                         "address.country must be an ISO 3166-1 alpha-2 code");
    if (ad->state && !codes_state_valid(ad->state))
        return verr_fail(ve, ERR_FIELD_INVALID, "address.state",
                         "address.state must be a US state or Canadian province code");
    if (codes_state_required(ad->country)) {
        if (!ad->state)
            return verr_fail(ve, ERR_FIELD_MISSING, "address.state",
                             "address.state is required for US and Canadian addresses");
        if (!codes_state_in_country(ad->state, ad->country))
            return verr_fail(ve, ERR_FIELD_INVALID, "address.state",
                             "address.state is not a subdivision of address.country");
    } else if (ad->state) {
        return verr_fail(ve, ERR_FIELD_INVALID, "address.state",
                         "address.state applies to US and Canadian addresses only");
    }
    return ERR_OK;
}

static enum err parse_contact_obj(const json_t *obj, const char *prefix, struct arena *a,
                                  struct contact *c, struct verr *ve)
{
    enum err rc;
    const char *pref = NULL;
    memset(c, 0, sizeof(*c));
    if ((rc = text(obj, prefix, "name", true, a, &c->name, ve)) ||
        (rc = text(obj, prefix, "email", true, a, &c->email, ve)) ||
        (rc = text(obj, prefix, "billingPreference", true, a, &pref, ve)))
        return rc;
    if (!email_valid(c->email))
        return verr_fail(ve, ERR_FIELD_INVALID, join(a, prefix, "email"),
                         "%s is not a valid email address", join(a, prefix, "email"));
    if (!billing_pref_parse(pref, &c->pref))
        return verr_fail(ve, ERR_FIELD_INVALID, join(a, prefix, "billingPreference"),
                         "%s must be one of PRIMARY, STANDARD, NONE",
                         join(a, prefix, "billingPreference"));
    return ERR_OK;
}

enum err contact_input_parse(const json_t *body, struct arena *a, struct contact *out,
                             struct verr *ve)
{
    return parse_contact_obj(body, NULL, a, out, ve);
}

static enum err parse_contacts(const json_t *body, struct arena *a, struct customer *c,
                               struct verr *ve)
{
    const json_t *v;
    enum err rc = member(body, "contacts", true, JSON_ARRAY, "an array", &v, ve);
    if (rc)
        return rc;
    size_t n = json_array_size(v);
    if (n > CONTACTS_MAX)
        return verr_fail(ve, ERR_LIMIT_EXCEEDED, "contacts", "at most %d contacts", CONTACTS_MAX);
    c->contacts = arena_zalloc(a, sizeof(*c->contacts) * (n ? n : 1));
    size_t primaries = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(v, i);
        const char *prefix = arena_printf(a, "contacts[%zu]", i);
        if (!json_is_object(e))
            return verr_fail(ve, ERR_FIELD_INVALID, prefix, "%s must be an object", prefix);
        if ((rc = parse_contact_obj(e, prefix, a, &c->contacts[i], ve)))
            return rc;
        primaries += c->contacts[i].pref == BILLING_PRIMARY;
    }
    c->n_contacts = n;
    /* Sequence on this field: "Needs atleast one Contact with a billing
     * preference of 'PRIMARY'"; several are fine. */
    if (primaries == 0)
        return verr_fail(
            ve, ERR_FIELD_INVALID, "contacts",
            "contacts must include at least one contact with billingPreference PRIMARY");
    return ERR_OK;
}

static enum err parse_integrations(const json_t *body, struct arena *a, struct customer *c,
                                   struct verr *ve)
{
    const json_t *v;
    enum err rc = member(body, "integrationIds", false, JSON_ARRAY, "an array", &v, ve);
    if (rc || !v)
        return rc;
    size_t n = json_array_size(v);
    if (n > 32)
        return verr_fail(ve, ERR_LIMIT_EXCEEDED, "integrationIds", "at most 32 integrationIds");
    c->integrations = arena_zalloc(a, sizeof(*c->integrations) * (n ? n : 1));
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(v, i);
        const char *prefix = arena_printf(a, "integrationIds[%zu]", i);
        if (!json_is_object(e))
            return verr_fail(ve, ERR_FIELD_INVALID, prefix, "%s must be an object", prefix);
        struct integration_id *ii = &c->integrations[i];
        if ((rc = text(e, prefix, "service", true, a, &ii->service, ve)) ||
            (rc = text(e, prefix, "id", true, a, &ii->id, ve)))
            return rc;
        if (!integration_service_valid(ii->service))
            return verr_fail(ve, ERR_FIELD_INVALID, join(a, prefix, "service"),
                             "%s is not a known integration service", join(a, prefix, "service"));
        for (size_t j = 0; j < i; j++)
            if (strcmp(c->integrations[j].service, ii->service) == 0)
                return verr_fail(ve, ERR_FIELD_INVALID, join(a, prefix, "service"),
                                 "%s appears twice", join(a, prefix, "service"));
    }
    c->n_integrations = n;
    return ERR_OK;
}

static int prop_cmp(const void *x, const void *y)
{
    return strcmp(((const struct property *)x)->key, ((const struct property *)y)->key);
}

static enum err parse_props(const json_t *body, struct arena *a, struct customer_input *in,
                            struct verr *ve)
{
    const json_t *v;
    enum err rc =
        member(body, "customProperties", false, JSON_OBJECT, "an object of strings", &v, ve);
    if (rc || !v)
        return rc;
    size_t n = json_object_size(v);
    if (n > PROPERTIES_MAX)
        return verr_fail(ve, ERR_LIMIT_EXCEEDED, "customProperties", "at most %d custom properties",
                         PROPERTIES_MAX);
    struct customer *c = &in->c;
    c->props = arena_zalloc(a, sizeof(*c->props) * (n ? n : 1));
    const char *key;
    json_t *val;
    size_t i = 0;
    json_object_foreach((json_t *)v, key, val)
    {
        const char *field = arena_printf(a, "customProperties.%s", key);
        size_t klen = strlen(key);
        if (klen == 0 || klen > 128 || blank(key))
            return verr_fail(ve, ERR_FIELD_INVALID, "customProperties",
                             "custom property keys must be 1 to 128 bytes");
        if (!json_is_string(val))
            return verr_fail(ve, ERR_FIELD_INVALID, field,
                             "custom property values must be strings");
        if (json_string_length(val) > TEXT_MAX ||
            strlen(json_string_value(val)) != json_string_length(val))
            return verr_fail(ve, ERR_FIELD_INVALID, field,
                             "custom property values must be at most %d bytes", TEXT_MAX);
        c->props[i].key = arena_strdup(a, key);
        c->props[i].value = arena_strdup(a, json_string_value(val));
        i++;
    }
    c->n_props = n;
    qsort(c->props, n, sizeof(*c->props), prop_cmp);
    in->props_given = true;
    return ERR_OK;
}

static enum err parse_string_array(const json_t *body, const char *field, size_t max,
                                   struct arena *a, const char ***out, size_t *n, struct verr *ve)
{
    const json_t *v;
    *out = NULL;
    *n = 0;
    enum err rc = member(body, field, false, JSON_ARRAY, "an array of strings", &v, ve);
    if (rc || !v)
        return rc;
    size_t len = json_array_size(v);
    if (len > max)
        return verr_fail(ve, ERR_LIMIT_EXCEEDED, field, "%s has more than %zu items", field, max);
    const char **arr = arena_alloc(a, sizeof(*arr) * (len ? len : 1));
    for (size_t i = 0; i < len; i++) {
        const json_t *e = json_array_get(v, i);
        const char *item = arena_printf(a, "%s[%zu]", field, i);
        if (!json_is_string(e))
            return verr_fail(ve, ERR_FIELD_INVALID, item, "%s must be a string", item);
        size_t sl = json_string_length(e);
        if (sl == 0 || sl > 255 || blank(json_string_value(e)) ||
            strlen(json_string_value(e)) != sl)
            return verr_fail(ve, ERR_FIELD_INVALID, item, "%s must be 1 to 255 bytes", item);
        arr[i] = arena_strndup(a, json_string_value(e), sl);
    }
    *out = arr;
    *n = len;
    return ERR_OK;
}

enum err customer_input_parse(const json_t *body, struct arena *a, struct customer_input *out,
                              struct verr *ve)
{
    memset(out, 0, sizeof(*out));
    struct customer *c = &out->c;
    const char *s = NULL;
    const json_t *address;
    enum err rc;
    if ((rc = text(body, NULL, "legalName", true, a, &c->legal_name, ve)) ||
        (rc = member(body, "address", true, JSON_OBJECT, "an object", &address, ve)) ||
        (rc = address_parse(address, a, &c->address, ve)) ||
        (rc = text(body, NULL, "taxStatus", true, a, &s, ve)))
        return rc;
    if (!tax_status_parse(s, &c->tax_status))
        return verr_fail(ve, ERR_FIELD_INVALID, "taxStatus",
                         "taxStatus must be one of TAXED, TAX_EXEMPT, REVERSE_CHARGED");
    if ((rc = parse_contacts(body, a, c, ve)) ||
        (rc = text(body, NULL, "url", false, a, &c->url, ve)) ||
        (rc = text(body, NULL, "label", false, a, &c->label, ve)) ||
        (rc = text(body, NULL, "status", false, a, &s, ve)))
        return rc;
    c->status = CUSTOMER_ACTIVE;
    if (s && !customer_status_parse(s, &c->status))
        return verr_fail(ve, ERR_FIELD_INVALID, "status", "status must be one of DRAFT, ACTIVE");
    if ((rc = parse_integrations(body, a, c, ve)) || (rc = parse_props(body, a, out, ve)) ||
        (rc = parse_string_array(body, "customerAliases", 32, a, &out->aliases, &out->n_aliases,
                                 ve)))
        return rc;
    for (size_t i = 0; i < out->n_aliases; i++) {
        if (strchr(out->aliases[i], '/'))
            return verr_fail(ve, ERR_FIELD_INVALID, arena_printf(a, "customerAliases[%zu]", i),
                             "alias values must not contain '/'");
    }
    for (size_t i = 0; i < out->n_aliases; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(out->aliases[i], out->aliases[j]) == 0)
                return verr_fail(ve, ERR_FIELD_INVALID, "customerAliases",
                                 "customerAliases lists a value twice");
    const char **push = NULL;
    size_t n_push = 0;
    if ((rc = parse_string_array(body, "pushToIntegrations", 8, a, &push, &n_push, ve)))
        return rc;
    for (size_t i = 0; i < n_push; i++)
        if (strcmp(push[i], "Xero") != 0)
            return verr_fail(ve, ERR_FIELD_INVALID, "pushToIntegrations",
                             "pushToIntegrations may only contain Xero");
    const json_t *pid;
    if ((rc = member(body, "parentId", false, JSON_STRING, "a string", &pid, ve)))
        return rc;
    if (pid) {
        if (!id_valid(json_string_value(pid)))
            return verr_fail(ve, ERR_CUSTOMER_NOT_FOUND, "parentId",
                             "parentId does not name a customer");
        char norm[ID_LEN + 1];
        id_normalize(json_string_value(pid), norm);
        out->parent_id = arena_strdup(a, norm);
    }
    return ERR_OK;
}

enum err id_list_parse(const json_t *body, const char *field, struct arena *a, const char ***out,
                       size_t *n, struct verr *ve)
{
    const json_t *v;
    enum err rc = member(body, field, true, JSON_ARRAY, "an array of customer ids", &v, ve);
    if (rc)
        return rc;
    size_t len = json_array_size(v);
    const char **arr = arena_alloc(a, sizeof(*arr) * (len ? len : 1));
    for (size_t i = 0; i < len; i++) {
        const json_t *e = json_array_get(v, i);
        if (!json_is_string(e)) {
            const char *item = arena_printf(a, "%s[%zu]", field, i);
            return verr_fail(ve, ERR_FIELD_INVALID, item, "%s must be a string", item);
        }
        const char *s = json_string_value(e);
        if (id_valid(s)) {
            char norm[ID_LEN + 1];
            id_normalize(s, norm);
            arr[i] = arena_strdup(a, norm);
        } else {
            if (json_string_length(e) > 64 || strlen(s) != json_string_length(e)) {
                const char *item = arena_printf(a, "%s[%zu]", field, i);
                return verr_fail(ve, ERR_FIELD_INVALID, item, "%s is not a customer id", item);
            }
            arr[i] = arena_strdup(a, s);
        }
    }
    *out = arr;
    *n = len;
    return ERR_OK;
}
