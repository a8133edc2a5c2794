/*
 * kinship import: an account as JSON lines (transfer.h has the format;
 * export.c writes it). Import checks the whole file first, then writes it
 * in one transaction, through the same rules as the API.
 */
#include "transfer.h"
#include "records.h"
#include "../core/clock.h"
#include "../core/id.h"
#include "../core/mem.h"
#include "../domain/parse.h" /* and jansson with it */
#include "../rules/rules.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- times ---- */

/* "YYYY-MM-DDTHH:MM:SS[.mmm]Z", a real UTC time at or after the epoch. */
static bool time_parse(const char *s, int64_t *out)
{
    struct tm tm = {0};
    int used = 0, ms = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, &used) != 6 ||
        used != 19)
        return false;
    const char *p = s + used;
    if (*p == '.') {
        if (p[1] < '0' || p[1] > '9' || p[2] < '0' || p[2] > '9' || p[3] < '0' || p[3] > '9')
            return false;
        ms = (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
        p += 4;
    }
    if (strcmp(p, "Z") != 0)
        return false;
    struct tm want = tm;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm);
    struct tm back;
    if (t < 0 || !gmtime_r(&t, &back) || back.tm_year + 1900 != want.tm_year ||
        back.tm_mon + 1 != want.tm_mon || back.tm_mday != want.tm_mday ||
        back.tm_hour != want.tm_hour || back.tm_min != want.tm_min || back.tm_sec != want.tm_sec)
        return false;
    *out = (int64_t)t * 1000 + ms;
    return true;
}

/* ---- records ---- */

/* The members of every record with a history (id and its times). */
/* clang-format off */
#define FIELDS_STAMPED(type)                                                \
    {"id", FIELD_ID, true, offsetof(type, id)},                             \
    {"createdAt", FIELD_TIME, true, offsetof(type, created_at)},            \
    {"updatedAt", FIELD_TIME, true, offsetof(type, updated_at)},            \
    {"archivedAt", FIELD_TIME, false, offsetof(type, archived_at)}
/* clang-format on */

const struct field customer_fields[CUSTOMER_FIELDS_N] = {
    FIELDS_STAMPED(struct customer),
    {"legalName", FIELD_STR, true, offsetof(struct customer, legal_name)},
    {"url", FIELD_STR, false, offsetof(struct customer, url)},
    {"label", FIELD_STR, false, offsetof(struct customer, label)},
};

const struct field alias_fields[ALIAS_FIELDS_N] = {
    {"id", FIELD_ID, true, offsetof(struct alias, id)},
    {"customerId", FIELD_ID, true, offsetof(struct alias, customer_id)},
    {"value", FIELD_STR, true, offsetof(struct alias, value)},
    {"label", FIELD_STR, false, offsetof(struct alias, label)},
    {"createdAt", FIELD_TIME, true, offsetof(struct alias, created_at)},
};

int records_prop_cmp(const void *x, const void *y)
{
    return strcmp(((const struct property *)x)->key, ((const struct property *)y)->key);
}

/* ---- import ---- */

struct import_op {
    const char *name;
    struct arena *a;
    char *msg;
    size_t cap;
    size_t line; /* the line being read or written */

    struct customer *customers;
    size_t *customer_lines, n_customers, cap_customers;
    struct alias *aliases;
    size_t *alias_lines, n_aliases, cap_aliases;
    struct organization *orgs;
    size_t *org_lines, n_orgs, cap_orgs;

    const struct customer **by_id; /* the customers, sorted by id */
    struct rules_limits limits;
    const struct organization *org; /* the organization a rule was broken in */
    struct rules_verdict verdict;
};

static enum err bad(struct import_op *op, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A line that is not part of an export: "line N: <what>". */
static enum err bad(struct import_op *op, const char *fmt, ...)
{
    int n = snprintf(op->msg, op->cap, "line %zu: ", op->line);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < op->cap)
        vsnprintf(op->msg + n, op->cap - (size_t)n, fmt, ap);
    va_end(ap);
    return ERR_FIELD_INVALID;
}

/* Grows a parallel pair of arrays (items and their line numbers). */
static void *grow(void *items, size_t **lines, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return items;
    *cap = *cap ? *cap * 2 : 64;
    *lines = xrealloc(*lines, *cap * sizeof(**lines));
    return xrealloc(items, *cap * size);
}

/* Reads member f of o into `rec`, which starts zeroed: absent or null
 * leaves it so, unless required. */
static enum err get_field(struct import_op *op, json_t *o, const char *what, const struct field *f,
                          void *rec)
{
    char *out = (char *)rec + f->off;
    json_t *v = json_object_get(o, f->key);
    const char *s = json_string_value(v);
    /* An id that is not a string is as good as missing. */
    if (f->kind == FIELD_ID ? !s : !v || json_is_null(v))
        return f->required ? bad(op, "%s.%s: missing", what, f->key) : ERR_OK;
    if (f->kind == FIELD_ID && !id_valid(s))
        return bad(op, "%s.%s: not a UUID", what, f->key);
    if (f->kind == FIELD_STR && !s)
        return bad(op, "%s.%s: not a string", what, f->key);
    if (f->kind == FIELD_TIME && (!s || !time_parse(s, (int64_t *)out)))
        return bad(op, "%s.%s: not a time like 2024-07-30T12:00:00.000Z", what, f->key);
    if (f->kind == FIELD_ID)
        id_normalize(s, out);
    else if (f->kind == FIELD_STR)
        *(const char **)out = arena_strdup(op->a, s);
    return ERR_OK;
}

/* Reads the n members of table f in order: the first error is the answer. */
static enum err get_fields(struct import_op *op, json_t *o, const char *what, const struct field *f,
                           size_t n, void *rec)
{
    enum err rc = ERR_OK;
    for (size_t i = 0; !rc && i < n; i++)
        rc = get_field(op, o, what, &f[i], rec);
    return rc;
}

static enum err parse_contact(struct import_op *op, json_t *j, size_t i, struct contact *ct)
{
    char what[48];
    snprintf(what, sizeof(what), "customer.contacts[%zu]", i);
    if (!json_is_object(j))
        return bad(op, "%s: not an object", what);
    /* Name, email and billing preference by the API's own rules: what is
     * imported is served, and must be what the API could have written. */
    struct contact in;
    struct verr ve = {0};
    if (contact_input_parse(j, op->a, &in, &ve))
        return bad(op, "%s.%s", what, ve.msg);
    static const struct field fields[] = {FIELDS_STAMPED(struct contact)};
    enum err rc = get_fields(op, j, what, fields, FIELDS_COUNT(fields), ct);
    if (rc)
        return rc;
    ct->name = in.name;
    ct->email = in.email;
    ct->pref = in.pref;
    return ERR_OK;
}

struct customer_names {
    const char *tax, *status;
};

static enum err parse_customer(struct import_op *op, json_t *o, struct customer *c)
{
    /* The enums' names, read before they are parsed. */
    static const struct field names[] = {
        {"taxStatus", FIELD_STR, true, offsetof(struct customer_names, tax)},
        {"status", FIELD_STR, true, offsetof(struct customer_names, status)},
    };
    struct customer_names nm = {0};
    enum err rc;
    memset(c, 0, sizeof(*c));
    if ((rc = get_fields(op, o, "customer", customer_fields, FIELDS_COUNT(customer_fields), c)) ||
        (rc = get_fields(op, o, "customer", names, FIELDS_COUNT(names), &nm)))
        return rc;
    if (!tax_status_parse(nm.tax, &c->tax_status))
        return bad(op, "customer.taxStatus: not a tax status");
    if (!customer_status_parse(nm.status, &c->status))
        return bad(op, "customer.status: not a customer status");
    json_t *ad = json_object_get(o, "address");
    if (!json_is_object(ad))
        return bad(op, "customer.address: missing or not an object");
    struct verr ve = {0};
    if (address_parse(ad, op->a, &c->address, &ve))
        return bad(op, "customer.%s", ve.msg); /* "address.town is required" */

    json_t *ints = json_object_get(o, "integrationIds");
    if (ints && !json_is_null(ints)) {
        if (!json_is_array(ints))
            return bad(op, "customer.integrationIds: not an array");
        c->n_integrations = json_array_size(ints);
        c->integrations = arena_zalloc(op->a, (c->n_integrations + 1) * sizeof(*c->integrations));
        for (size_t i = 0; i < c->n_integrations; i++) {
            json_t *e = json_array_get(ints, i);
            const char *svc = json_string_value(json_object_get(e, "service"));
            const char *id = json_string_value(json_object_get(e, "id"));
            if (!svc || !id || !integration_service_valid(svc))
                return bad(op, "customer.integrationIds[%zu]: not {service, id}", i);
            c->integrations[i].service = arena_strdup(op->a, svc);
            c->integrations[i].id = arena_strdup(op->a, id);
        }
    }

    json_t *props = json_object_get(o, "customProperties");
    if (props && !json_is_null(props)) {
        if (!json_is_object(props))
            return bad(op, "customer.customProperties: not an object");
        c->props = arena_zalloc(op->a, (json_object_size(props) + 1) * sizeof(*c->props));
        const char *k;
        json_t *v;
        json_object_foreach(props, k, v)
        {
            if (!json_is_string(v))
                return bad(op, "customer.customProperties.%s: not a string", k);
            c->props[c->n_props].key = arena_strdup(op->a, k);
            c->props[c->n_props].value = arena_strdup(op->a, json_string_value(v));
            c->n_props++;
        }
        if (c->n_props > 1)
            qsort(c->props, c->n_props, sizeof(*c->props), records_prop_cmp);
    }

    json_t *cs = json_object_get(o, "contacts");
    if (cs && !json_is_null(cs)) {
        if (!json_is_array(cs))
            return bad(op, "customer.contacts: not an array");
        c->n_contacts = json_array_size(cs);
        c->contacts = arena_zalloc(op->a, (c->n_contacts + 1) * sizeof(*c->contacts));
        for (size_t i = 0; i < c->n_contacts; i++)
            if ((rc = parse_contact(op, json_array_get(cs, i), i, &c->contacts[i])))
                return rc;
    }
    /* C1, as every contact write keeps it: STANDARD contacts need a PRIMARY */
    struct rules_verdict v = {0};
    if (rules_contacts_billing(c->contacts, c->n_contacts, "contacts", "the customer's contacts",
                               &v))
        return bad(op, "customer.contacts: rule %s: %s", v.rule, v.msg);
    return ERR_OK;
}

static enum err parse_alias(struct import_op *op, json_t *o, struct alias *al)
{
    memset(al, 0, sizeof(*al));
    return get_fields(op, o, "alias", alias_fields, FIELDS_COUNT(alias_fields), al);
}

static enum err parse_org(struct import_op *op, json_t *o, struct organization *org)
{
    static const struct field fields[] = {
        {"id", FIELD_ID, true, offsetof(struct organization, id)},
        {"ownerId", FIELD_ID, true, offsetof(struct organization, owner.id)},
        {"createdAt", FIELD_TIME, true, offsetof(struct organization, created_at)},
    };
    memset(org, 0, sizeof(*org));
    enum err rc = get_fields(op, o, "organization", fields, FIELDS_COUNT(fields), org);
    if (rc)
        return rc;
    json_t *m = json_object_get(o, "memberIds");
    if (!json_is_array(m))
        return bad(op, "organization.memberIds: missing or not an array");
    org->n_members = json_array_size(m);
    org->members = arena_zalloc(op->a, (org->n_members + 1) * sizeof(*org->members));
    for (size_t i = 0; i < org->n_members; i++) {
        const char *id = json_string_value(json_array_get(m, i));
        if (!id || !id_valid(id))
            return bad(op, "organization.memberIds[%zu]: not a UUID", i);
        id_normalize(id, org->members[i].id);
    }
    return ERR_OK;
}

static int customer_cmp(const void *x, const void *y)
{
    const struct customer *a = *(const struct customer *const *)x;
    const struct customer *b = *(const struct customer *const *)y;
    return strcmp(a->id, b->id);
}

/* The file's customer with this id, or NULL (op->by_id is sorted). */
static const struct customer *customer_of(const struct import_op *op, const char *id)
{
    struct customer key;
    memcpy(key.id, id, sizeof(key.id));
    const struct customer *k = &key;
    const struct customer **hit =
        bsearch(&k, op->by_id, op->n_customers, sizeof(*op->by_id), customer_cmp);
    return hit ? *hit : NULL;
}

/* Aliases and organizations may name only customers of the file: the
 * import is of a whole account. Sorts op->by_id for customer_of. */
static enum err check_references(struct import_op *op)
{
    op->by_id = xmalloc((op->n_customers + 1) * sizeof(*op->by_id));
    for (size_t i = 0; i < op->n_customers; i++)
        op->by_id[i] = &op->customers[i];
    qsort(op->by_id, op->n_customers, sizeof(*op->by_id), customer_cmp);
    enum err rc = ERR_OK;
    for (size_t i = 0; !rc && i < op->n_aliases; i++) {
        op->line = op->alias_lines[i];
        if (!customer_of(op, op->aliases[i].customer_id))
            rc = bad(op, "alias.customerId: no customer with this id in the file");
    }
    for (size_t i = 0; !rc && i < op->n_orgs; i++) {
        const struct organization *o = &op->orgs[i];
        op->line = op->org_lines[i];
        if (!customer_of(op, o->owner.id))
            rc = bad(op, "organization.ownerId: no customer with this id in the file");
        for (size_t m = 0; !rc && m < o->n_members; m++)
            if (!customer_of(op, o->members[m].id))
                rc =
                    bad(op, "organization.memberIds[%zu]: no customer with this id in the file", m);
    }
    return rc;
}

static enum err parse_line(struct import_op *op, const char *text, bool first)
{
    json_error_t je;
    json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    enum err rc = ERR_OK;
    if (!json_is_object(o)) {
        rc = bad(op, "not a JSON object");
        goto out;
    }
    const char *kind = json_string_value(json_object_get(o, "kind"));
    if (!kind) {
        rc = bad(op, "no \"kind\"");
    } else if (first || strcmp(kind, FORMAT_KIND) == 0) {
        json_t *v = json_object_get(o, "version");
        if (!first || strcmp(kind, FORMAT_KIND) != 0)
            rc = bad(op, "the first line of an export is its {\"kind\":\"" FORMAT_KIND
                         "\"} header, and only the first");
        else if (!json_is_integer(v) || json_integer_value(v) != FORMAT_VERSION)
            rc = bad(op,
                     "export version %" JSON_INTEGER_FORMAT " is not %d, the one this "
                     "kinship reads",
                     json_is_integer(v) ? json_integer_value(v) : 0, FORMAT_VERSION);
    } else if (strcmp(kind, "customer") == 0) {
        if (op->n_aliases || op->n_orgs)
            rc = bad(op, "customers come before aliases and organizations");
        op->customers = grow(op->customers, &op->customer_lines, op->n_customers,
                             &op->cap_customers, sizeof(*op->customers));
        if (!rc && !(rc = parse_customer(op, o, &op->customers[op->n_customers])))
            op->customer_lines[op->n_customers++] = op->line;
    } else if (strcmp(kind, "alias") == 0) {
        op->aliases = grow(op->aliases, &op->alias_lines, op->n_aliases, &op->cap_aliases,
                           sizeof(*op->aliases));
        if (!(rc = parse_alias(op, o, &op->aliases[op->n_aliases])))
            op->alias_lines[op->n_aliases++] = op->line;
    } else if (strcmp(kind, "organization") == 0) {
        op->orgs = grow(op->orgs, &op->org_lines, op->n_orgs, &op->cap_orgs, sizeof(*op->orgs));
        if (!(rc = parse_org(op, o, &op->orgs[op->n_orgs])))
            op->org_lines[op->n_orgs++] = op->line;
    } else {
        rc = bad(op, "unknown kind \"%s\"", kind);
    }
out:
    json_decref(o);
    return rc;
}

/* rules_org_admit's view of the file: when a customer was archived. */
static int64_t archived_at(void *ctx, const char *id)
{
    const struct customer *c = customer_of(ctx, id);
    return c ? c->archived_at : 0;
}

/* "organization ID breaks R6 (HierarchyCycle): SENTENCE (memberIds: ID, ...)" */
static void verdict_text(const struct import_op *op, enum err rc, char *out, size_t cap)
{
    const struct rules_verdict *v = &op->verdict;
    size_t n = (size_t)snprintf(out, cap, "organization %s breaks %s (%s): %s", op->org->id,
                                v->rule, err_type(rc), v->msg);
    for (size_t i = 0; i < v->n_ids && n < cap; i++) {
        if (i == 0)
            n += (size_t)snprintf(out + n, cap - n, " (%s: %s", v->field ? v->field : "ids",
                                  v->ids[i]);
        else
            n += (size_t)snprintf(out + n, cap - n, ", %s", v->ids[i]);
    }
    if (v->n_ids && n < cap)
        snprintf(out + n, cap - n, ")");
}

static enum err import_tx(struct store_tx *tx, void *arg)
{
    struct import_op *op = arg;
    char account[ID_LEN + 1];
    op->line = 0;
    op->org = NULL;
    memset(&op->verdict, 0, sizeof(op->verdict));
    enum err rc = store_account_ensure(tx, op->name, clock_now_ms(), account);
    for (size_t i = 0; !rc && i < op->n_customers; i++) {
        op->line = op->customer_lines[i];
        if (!(rc = store_customer_insert(tx, account, &op->customers[i])))
            rc = store_flush(tx); /* an error is this line's, not a later one's */
    }
    for (size_t i = 0; !rc && i < op->n_aliases; i++) {
        op->line = op->alias_lines[i];
        memcpy(op->aliases[i].account_id, account, sizeof(account));
        rc = store_alias_insert(tx, account, &op->aliases[i]);
    }
    for (size_t i = 0; !rc && i < op->n_orgs; i++) {
        op->line = op->org_lines[i];
        op->org = &op->orgs[i];
        memset(&op->verdict, 0, sizeof(op->verdict));
        /* What an import may load is what the API could have made. */
        rc = rules_org_admit(tx, op->a, account, &op->limits, op->org, archived_at, op,
                             &op->verdict);
    }
    return rc;
}

static void no_render(void *arg, int *status, char **body)
{
    (void)arg;
    *status = 0;
    *body = NULL;
}

enum err transfer_import(struct store *s, const char *account, FILE *in,
                         const struct rules_limits *lim, char *msg, size_t cap)
{
    struct import_op op = {
        .name = account,
        .a = arena_create(),
        .msg = msg,
        .cap = cap,
        .limits = {.per_organization = lim->per_organization, .max_depth = lim->max_depth}};
    enum err rc = ERR_OK;
    char *text = NULL;
    size_t text_cap = 0;
    ssize_t len;
    bool first = true;
    msg[0] = '\0';
    while (!rc && (len = getline(&text, &text_cap, in)) >= 0) {
        op.line++;
        while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
            text[--len] = '\0';
        if (len == 0)
            continue;
        rc = parse_line(&op, text, first);
        first = false;
    }
    free(text);
    if (!rc && ferror(in)) {
        snprintf(msg, cap, "cannot read the input");
        rc = ERR_UNAVAILABLE;
    }
    if (!rc && first) {
        snprintf(msg, cap, "the input is empty: not an export");
        rc = ERR_FIELD_INVALID;
    }
    if (!rc)
        rc = check_references(&op);
    if (!rc) {
        struct store_write w = {.fn = import_tx, .arg = &op, .render = no_render};
        rc = store_write(s, &w);
        free(w.body);
        if (rc && op.verdict.rule) {
            char why[768];
            verdict_text(&op, rc, why, sizeof(why));
            snprintf(msg, cap, "line %zu: %s; nothing was imported", op.line, why);
        } else if (rc) {
            const char *why = rc == ERR_CONFLICT ? "the account already has a row with this id"
                              : rc == ERR_ALIAS_EXISTS
                                  ? "the account already has a live alias with this value"
                              : rc == ERR_ORGANIZATION_EXISTS
                                  ? "the owner already owns an organization in the account"
                                  : err_message(rc);
            if (op.line)
                snprintf(msg, cap, "line %zu: %s; nothing was imported", op.line, why);
            else
                snprintf(msg, cap, "%s; nothing was imported", why);
        } else {
            snprintf(msg, cap,
                     "imported %zu customers, %zu aliases, %zu organizations into account %s",
                     op.n_customers, op.n_aliases, op.n_orgs, account);
        }
    }
    free(op.customers);
    free(op.customer_lines);
    free(op.aliases);
    free(op.alias_lines);
    free(op.orgs);
    free(op.org_lines);
    free(op.by_id);
    arena_destroy(op.a);
    return rc;
}
