/* JSON rendering of the domain model. */
#include "render.h"
#include "../core/clock.h"
#include "../core/buf.h"
#include "parse.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

static void set_str(json_t *o, const char *k, const char *v)
{
    if (v)
        json_object_set_new_nocheck(o, k, json_string(v));
}

static void set_time(json_t *o, const char *k, int64_t ms)
{
    if (ms) {
        char iso[ISO_LEN + 1];
        clock_iso(ms, iso);
        json_object_set_new_nocheck(o, k, json_string(iso));
    }
}

/* The address's members, in the order both renderers write them. */
static const struct {
    const char *key;
    size_t off;
} address_members[] = {
    {"line1", offsetof(struct address, line1)},
    {"line2", offsetof(struct address, line2)},
    {"town", offsetof(struct address, town)},
    {"state", offsetof(struct address, state)},
    {"postcode", offsetof(struct address, postcode)},
    {"country", offsetof(struct address, country)},
};
#define N_ADDRESS_MEMBERS (sizeof(address_members) / sizeof(*address_members))

/* Member i of address_members in ad (NULL when not set). */
static const char *address_member(const struct address *ad, size_t i)
{
    return *(const char *const *)((const char *)ad + address_members[i].off);
}

static json_t *address_render(const struct address *ad)
{
    json_t *o = json_object();
    for (size_t i = 0; i < N_ADDRESS_MEMBERS; i++)
        set_str(o, address_members[i].key, address_member(ad, i));
    return o;
}

static json_t *member_render(const struct member *m)
{
    json_t *o = json_object();
    json_object_set_new_nocheck(o, "id", json_string(m->id));
    json_object_set_new_nocheck(o, "name", json_string(m->name));
    return o;
}

json_t *organization_render(const struct organization *org)
{
    json_t *o = json_object();
    json_object_set_new_nocheck(o, "id", json_string(org->id));
    json_object_set_new_nocheck(o, "owner", member_render(&org->owner));
    json_t *arr = json_array();
    for (size_t i = 0; i < org->n_members; i++)
        json_array_append_new(arr, member_render(&org->members[i]));
    json_object_set_new_nocheck(o, "members", arr);
    return o;
}

/* The bytes a JSON string escapes; the NUL ends the scan too. */
static const unsigned char escaped[256] = {[0 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1};

/* A JSON string as jansson writes it: quote, backslash and control bytes
 * escaped, everything else (UTF-8 included) as is. */
static void put_string(struct buf *b, const char *s)
{
    size_t n = 0;
    while (!escaped[(unsigned char)s[n]])
        n++;
    buf_append(b, "\"", 1);
    if (!s[n]) { /* nothing to escape: the common case */
        buf_append(b, s, n);
        buf_append(b, "\"", 1);
        return;
    }
    const char *run = s;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p >= 0x20 && *p != '"' && *p != '\\')
            continue;
        buf_append(b, run, (size_t)((const char *)p - run));
        char esc[8];
        switch (*p) {
        case '"':
            buf_append(b, "\\\"", 2);
            break;
        case '\\':
            buf_append(b, "\\\\", 2);
            break;
        case '\b':
            buf_append(b, "\\b", 2);
            break;
        case '\f':
            buf_append(b, "\\f", 2);
            break;
        case '\n':
            buf_append(b, "\\n", 2);
            break;
        case '\r':
            buf_append(b, "\\r", 2);
            break;
        case '\t':
            buf_append(b, "\\t", 2);
            break;
        default:
            snprintf(esc, sizeof(esc), "\\u%04X", *p);
            buf_append(b, esc, 6);
        }
        run = (const char *)p + 1;
    }
    buf_puts(b, run);
    buf_append(b, "\"", 1);
}

/* [item,item,...]: put writes each of the n items of `size` bytes. */
static void put_list(struct buf *b, const void *items, size_t n, size_t size,
                     void (*put)(struct buf *b, const void *item))
{
    buf_puts(b, "[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_puts(b, ",");
        put(b, (const char *)items + i * size);
    }
    buf_puts(b, "]");
}

static void put_member(struct buf *b, const void *item)
{
    const struct member *m = item;
    buf_puts(b, "{\"id\":");
    put_string(b, m->id);
    buf_puts(b, ",\"name\":");
    put_string(b, m->name ? m->name : "");
    buf_puts(b, "}");
}

void organization_render_into(struct buf *b, const struct organization *o)
{
    buf_puts(b, "{\"id\":");
    put_string(b, o->id);
    buf_puts(b, ",\"owner\":");
    put_member(b, &o->owner);
    buf_puts(b, ",\"members\":");
    put_list(b, o->members, o->n_members, sizeof(*o->members), put_member);
    buf_puts(b, "}");
}

static void put_org(struct buf *b, const void *item)
{
    organization_render_into(b, item);
}

/* The text of `b` (malloc'd), or NULL when an append did not fit. */
static char *whole_text(struct buf *b, size_t *len)
{
    if (b->failed) {
        buf_fini(b);
        return NULL;
    }
    *len = b->len;
    return buf_steal(b);
}

char *organization_render_text(const struct organization *o, size_t limit, size_t *len)
{
    struct buf b;
    buf_init(&b, limit);
    organization_render_into(&b, o);
    return whole_text(&b, len);
}

/* An organization and an owner or member with every string empty, as
 * organization_render_into writes them; ids are always ID_LEN bytes. */
#define ORG_TEXT_MIN (sizeof("{\"id\":\"\",\"owner\":,\"members\":[]}") - 1 + ID_LEN)
#define MEMBER_TEXT_MIN (sizeof("{\"id\":\"\",\"name\":\"\"}") - 1 + ID_LEN)

int64_t organization_text_floor(int64_t orgs, int64_t entries, int64_t name_bytes)
{
    return orgs * (int64_t)ORG_TEXT_MIN + entries * (int64_t)MEMBER_TEXT_MIN + name_bytes;
}

/* ,"k":"v" when v is set (set_str's rule); `first` leaves out the comma. */
static void put_field(struct buf *b, const char *k, const char *v, bool *first)
{
    if (!v)
        return;
    if (!*first)
        buf_puts(b, ",");
    *first = false;
    put_string(b, k);
    buf_puts(b, ":");
    put_string(b, v);
}

/* ,"k":"<ISO time>" when ms is set (set_time's rule). */
static void put_time(struct buf *b, const char *k, int64_t ms)
{
    if (!ms)
        return;
    char iso[ISO_LEN + 1];
    clock_iso(ms, iso);
    bool first = false;
    put_field(b, k, iso, &first);
}

/* customer_common's fields, without the closing brace. */
static void put_customer_common(struct buf *b, const struct customer *c, struct arena *a)
{
    /* The fields and their order are customer_common's. */
    bool first = false;
    buf_puts(b, "{\"id\":");
    put_string(b, c->id);
    put_time(b, "createdAt", c->created_at);
    buf_puts(b, ",\"organizations\":");
    put_list(b, c->orgs, c->n_orgs, sizeof(*c->orgs), put_org);
    put_field(b, "legalName", c->legal_name, &first);
    buf_puts(b, ",\"address\":{");
    bool in = true;
    for (size_t i = 0; i < N_ADDRESS_MEMBERS; i++)
        put_field(b, address_members[i].key, address_member(&c->address, i), &in);
    buf_puts(b, "}");
    put_field(b, "url", c->url, &first);
    if (c->url)
        put_field(b, "domain", url_domain(c->url, a), &first);
    put_field(b, "label", c->label, &first);
    buf_puts(b, ",\"integrationIds\":[");
    for (size_t i = 0; i < c->n_integrations; i++) {
        buf_puts(b, i ? ",{" : "{");
        in = true;
        put_field(b, "service", c->integrations[i].service, &in);
        put_field(b, "id", c->integrations[i].id, &in);
        buf_puts(b, ",\"isPending\":false}");
    }
    buf_puts(b, "]");
    put_time(b, "archivedAt", c->archived_at);
    put_field(b, "taxStatus", tax_status_name(c->tax_status), &first);
    buf_puts(b, ",\"customProperties\":{");
    in = true;
    for (size_t i = 0; i < c->n_props; i++)
        put_field(b, c->props[i].key, c->props[i].value, &in);
    buf_puts(b, "}");
}

void customer_render_list_text(struct buf *b, const struct customer *c, struct arena *a)
{
    put_customer_common(b, c, a);
    buf_puts(b, "}");
}

static void put_contact(struct buf *b, const void *item)
{
    const struct contact *ct = item;
    bool first = false;
    buf_puts(b, "{\"id\":");
    put_string(b, ct->id);
    put_field(b, "name", ct->name, &first);
    put_field(b, "email", ct->email, &first);
    put_field(b, "billingPreference", billing_pref_name(ct->pref), &first);
    put_time(b, "createdAt", ct->created_at);
    put_time(b, "updatedAt", ct->updated_at);
    put_time(b, "archivedAt", ct->archived_at);
    buf_puts(b, "}");
}

char *customer_render_text(const struct customer *c, struct arena *a, size_t limit, size_t *len)
{
    struct buf b;
    buf_init(&b, limit);
    put_customer_common(&b, c, a);
    buf_puts(&b, ",\"contacts\":");
    put_list(&b, c->contacts, c->n_contacts, sizeof(*c->contacts), put_contact);
    bool first = false;
    put_field(&b, "status", customer_status_name(c->status), &first);
    buf_puts(&b, "}");
    return whole_text(&b, len);
}

json_t *contact_render(const struct contact *c)
{
    json_t *o = json_object();
    json_object_set_new_nocheck(o, "id", json_string(c->id));
    json_object_set_new_nocheck(o, "name", json_string(c->name));
    json_object_set_new_nocheck(o, "email", json_string(c->email));
    json_object_set_new_nocheck(o, "billingPreference", json_string(billing_pref_name(c->pref)));
    set_time(o, "createdAt", c->created_at);
    set_time(o, "updatedAt", c->updated_at);
    set_time(o, "archivedAt", c->archived_at);
    return o;
}

static json_t *integrations_render(const struct customer *c)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < c->n_integrations; i++) {
        json_t *o = json_object();
        json_object_set_new_nocheck(o, "service", json_string(c->integrations[i].service));
        json_object_set_new_nocheck(o, "id", json_string(c->integrations[i].id));
        json_object_set_new_nocheck(o, "isPending", json_false());
        json_array_append_new(arr, o);
    }
    return arr;
}

/* The fields Customer and ListCustomerResponseModel share. */
static json_t *customer_common(const struct customer *c, struct arena *a)
{
    json_t *o = json_object();
    json_object_set_new_nocheck(o, "id", json_string(c->id));
    set_time(o, "createdAt", c->created_at);
    json_t *orgs = json_array();
    for (size_t i = 0; i < c->n_orgs; i++)
        json_array_append_new(orgs, organization_render(&c->orgs[i]));
    json_object_set_new_nocheck(o, "organizations", orgs);
    json_object_set_new_nocheck(o, "legalName", json_string(c->legal_name));
    json_object_set_new_nocheck(o, "address", address_render(&c->address));
    set_str(o, "url", c->url);
    if (c->url)
        set_str(o, "domain", url_domain(c->url, a));
    set_str(o, "label", c->label);
    json_object_set_new_nocheck(o, "integrationIds", integrations_render(c));
    set_time(o, "archivedAt", c->archived_at);
    json_object_set_new_nocheck(o, "taxStatus", json_string(tax_status_name(c->tax_status)));
    json_t *props = json_object();
    for (size_t i = 0; i < c->n_props; i++)
        json_object_set_new(props, c->props[i].key, json_string(c->props[i].value));
    json_object_set_new_nocheck(o, "customProperties", props);
    return o;
}

json_t *customer_render(const struct customer *c, struct arena *a)
{
    json_t *o = customer_common(c, a);
    json_t *contacts = json_array();
    for (size_t i = 0; i < c->n_contacts; i++)
        json_array_append_new(contacts, contact_render(&c->contacts[i]));
    json_object_set_new_nocheck(o, "contacts", contacts);
    json_object_set_new_nocheck(o, "status", json_string(customer_status_name(c->status)));
    return o;
}

json_t *customer_render_list_item(const struct customer *c, struct arena *a)
{
    return customer_common(c, a);
}

json_t *customer_render_legacy(const struct customer *c, struct arena *a)
{
    (void)a;
    json_t *o = json_object();
    json_object_set_new_nocheck(o, "id", json_string(c->id));
    set_time(o, "createdAt", c->created_at);
    json_object_set_new_nocheck(o, "legalName", json_string(c->legal_name));
    const struct contact *primary = NULL;
    json_t *billing = json_array();
    for (size_t i = 0; i < c->n_contacts; i++) {
        /* The first PRIMARY is `email`; every other contact that receives
         * billing communications (more PRIMARY ones too) is a billingEmail. */
        if (c->contacts[i].pref == BILLING_PRIMARY && !primary)
            primary = &c->contacts[i];
        else if (c->contacts[i].pref != BILLING_NONE)
            json_array_append_new(billing, json_string(c->contacts[i].email));
    }
    if (primary)
        set_str(o, "contactName", primary->name);
    json_object_set_new_nocheck(o, "address", address_render(&c->address));
    json_object_set_new_nocheck(o, "email", json_string(primary ? primary->email : ""));
    set_str(o, "url", c->url);
    set_str(o, "label", c->label);
    json_object_set_new_nocheck(o, "integrationIds", integrations_render(c));
    set_time(o, "archivedAt", c->archived_at);
    json_object_set_new_nocheck(o, "billingEmails", billing);
    json_object_set_new_nocheck(o, "taxStatus", json_string(tax_status_name(c->tax_status)));
    return o;
}

json_t *alias_render(const struct alias *al, bool full)
{
    json_t *o = json_object();
    json_object_set_new_nocheck(o, "id", json_string(al->id));
    json_object_set_new_nocheck(o, "sequenceAccountId", json_string(al->account_id));
    json_object_set_new_nocheck(o, "customerId", json_string(al->customer_id));
    json_object_set_new_nocheck(o, "value", json_string(al->value));
    set_time(o, "createdAt", al->created_at);
    if (full) {
        set_str(o, "label", al->label);
        set_time(o, "deletedAt", al->deleted_at);
    }
    return o;
}

json_t *pagination_render(const char *after, const char *before, int64_t total)
{
    json_t *o = json_object();
    set_str(o, "after", after);
    set_str(o, "before", before);
    json_object_set_new_nocheck(o, "totalResultSize", json_integer(total));
    return o;
}
