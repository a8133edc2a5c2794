/*
 * kinship export: an account as JSON lines (transfer.h has the format),
 * streamed page by page inside one read snapshot.
 */
#include "transfer.h"
#include "records.h"
#include "../core/clock.h"
#include "../core/id.h"
#include "../core/mem.h"
#include "../domain/parse.h" /* and jansson with it */

#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define PAGE 500

/* ---- export ---- */

struct export_op {
    const char *name;
    FILE *out;
    const char *store;
    struct arena *a;
    char *msg;
    size_t cap;
    size_t customers, aliases, orgs;
};

static json_t *jtime(int64_t ms)
{
    if (!ms)
        return json_null();
    char t[ISO_LEN + 1];
    clock_iso_ms(ms, t);
    return json_string(t);
}

static json_t *jstr_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* Sets the n members of table f from `rec`, absent ones as null. */
static void put_fields(json_t *o, const struct field *f, size_t n, const void *rec)
{
    for (size_t i = 0; i < n; i++) {
        const char *in = (const char *)rec + f[i].off;
        json_t *v = f[i].kind == FIELD_ID     ? json_string(in)
                    : f[i].kind == FIELD_TIME ? jtime(*(const int64_t *)in)
                                              : jstr_or_null(*(const char *const *)in);
        json_object_set_new(o, f[i].key, v);
    }
}

/* Writes one line; false when the output failed. */
static bool emit(FILE *out, json_t *o)
{
    char *line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!line)
        return false;
    bool ok = fputs(line, out) >= 0 && fputc('\n', out) != EOF;
    free(line);
    return ok;
}

static int contact_cmp(const void *x, const void *y)
{
    const struct contact *a = x, *b = y;
    if (a->created_at != b->created_at)
        return a->created_at < b->created_at ? -1 : 1;
    return strcmp(a->id, b->id);
}

/*
 * A customer line. Not the API's shape (domain/render.h) on purpose: the
 * export keeps what the store keeps and the API does not show, so that an
 * import gives back the same rows. Times keep their milliseconds (the API
 * shows whole seconds); absent values are written as null, not left out;
 * updatedAt and archived contacts are kept; what the API derives
 * (domain, isPending, organizations) is not written. Keys come in a fixed
 * order, which the format's readers and its tests rely on.
 */
static json_t *customer_render(struct customer *c, struct contact *contacts, size_t n)
{
    json_t *o = json_object();
    json_object_set_new(o, "kind", json_string("customer"));
    put_fields(o, customer_fields, FIELDS_COUNT(customer_fields), c);
    json_object_set_new(o, "taxStatus", json_string(tax_status_name(c->tax_status)));
    json_object_set_new(o, "status", json_string(customer_status_name(c->status)));
    const struct address *ad = &c->address;
    json_object_set_new(o, "address",
                        json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}", "line1", jstr_or_null(ad->line1),
                                  "line2", jstr_or_null(ad->line2), "town", jstr_or_null(ad->town),
                                  "state", jstr_or_null(ad->state), "postcode",
                                  jstr_or_null(ad->postcode), "country",
                                  jstr_or_null(ad->country)));
    json_t *ints = json_array();
    for (size_t i = 0; i < c->n_integrations; i++)
        json_array_append_new(ints, json_pack("{s:s?,s:s?}", "service", c->integrations[i].service,
                                              "id", c->integrations[i].id));
    json_object_set_new(o, "integrationIds", ints);
    /* Sorted here, not by the database: collations differ between backends. */
    if (c->n_props > 1)
        qsort(c->props, c->n_props, sizeof(*c->props), records_prop_cmp);
    json_t *props = json_object();
    for (size_t i = 0; i < c->n_props; i++)
        json_object_set_new(props, c->props[i].key, json_string(c->props[i].value));
    json_object_set_new(o, "customProperties", props);
    if (n > 1)
        qsort(contacts, n, sizeof(*contacts), contact_cmp);
    json_t *cs = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct contact *ct = &contacts[i];
        json_t *j = json_object();
        json_object_set_new(j, "id", json_string(ct->id));
        json_object_set_new(j, "name", jstr_or_null(ct->name));
        json_object_set_new(j, "email", jstr_or_null(ct->email));
        json_object_set_new(j, "billingPreference", json_string(billing_pref_name(ct->pref)));
        json_object_set_new(j, "createdAt", jtime(ct->created_at));
        json_object_set_new(j, "updatedAt", jtime(ct->updated_at));
        json_object_set_new(j, "archivedAt", jtime(ct->archived_at));
        json_array_append_new(cs, j);
    }
    json_object_set_new(o, "contacts", cs);
    return o;
}

static enum err fail(struct export_op *op, enum err rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum err fail(struct export_op *op, enum err rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(op->msg, op->cap, fmt, ap);
    va_end(ap);
    return rc;
}

/* Points pq after the row (key, last_id): the next page of an export. */
static void page_after(struct page_query *pq, const char *key, const char *last_id)
{
    pq->has_cursor = true;
    pq->cursor_after = true;
    pq->cursor_key = key;
    memcpy(pq->cursor_id, last_id, sizeof(pq->cursor_id));
}

static enum err export_customers(struct store_tx *tx, struct export_op *op, const char *account)
{
    struct customer_query q = {
        .include_archived = true,
        .sort = SORT_CREATED_AT,
        .page = {.limit = PAGE, .desc = false},
    };
    char key[32];
    for (;;) {
        arena_reset(op->a);
        struct customer *items = NULL;
        const char **keys = NULL;
        size_t n = 0;
        struct page_result pr;
        enum err rc = store_customer_list(tx, op->a, account, &q, &items, &keys, &n, &pr);
        if (rc)
            return fail(op, rc, "cannot list customers: %s", err_message(rc));
        for (size_t i = 0; i < n; i++) {
            struct contact *contacts = NULL;
            size_t nc = 0;
            if ((rc = store_contact_list(tx, op->a, account, items[i].id, true, &contacts, &nc)))
                return fail(op, rc, "cannot list contacts: %s", err_message(rc));
            if (!emit(op->out, customer_render(&items[i], contacts, nc)))
                return fail(op, ERR_UNAVAILABLE, "cannot write the export");
            op->customers++;
        }
        if (!pr.has_next || n == 0)
            return ERR_OK;
        snprintf(key, sizeof(key), "%s", keys[n - 1]);
        page_after(&q.page, key, items[n - 1].id);
    }
}

static json_t *alias_line(const struct alias *al)
{
    json_t *o = json_pack("{s:s}", "kind", "alias");
    put_fields(o, alias_fields, FIELDS_COUNT(alias_fields), al);
    return o;
}

/* An organization line: memberIds comes before createdAt. */
static json_t *org_line(const struct organization *org)
{
    json_t *members = json_array();
    for (size_t m = 0; m < org->n_members; m++)
        json_array_append_new(members, json_string(org->members[m].id));
    json_t *o = json_object();
    json_object_set_new(o, "kind", json_string("organization"));
    json_object_set_new(o, "id", json_string(org->id));
    json_object_set_new(o, "ownerId", json_string(org->owner.id));
    json_object_set_new(o, "memberIds", members);
    json_object_set_new(o, "createdAt", jtime(org->created_at));
    return o;
}

/* Writes the aliases, or the organizations, page by page in id order. */
static enum err export_records(struct store_tx *tx, struct export_op *op, const char *account,
                               bool orgs)
{
    struct page_query pq = {.limit = PAGE, .desc = false};
    for (;;) {
        arena_reset(op->a);
        struct alias *als = NULL;
        struct organization *os = NULL;
        size_t n = 0;
        struct page_result pr;
        enum err rc = orgs ? store_org_list(tx, op->a, account, NULL, NULL, &pq, &os, &n, &pr)
                           : store_alias_list(tx, op->a, account, NULL, &pq, &als, &n, &pr);
        if (rc)
            return fail(op, rc, "cannot list %s: %s", orgs ? "organizations" : "aliases",
                        err_message(rc));
        for (size_t i = 0; i < n; i++) {
            if (!emit(op->out, orgs ? org_line(&os[i]) : alias_line(&als[i])))
                return fail(op, ERR_UNAVAILABLE, "cannot write the export");
            ++*(orgs ? &op->orgs : &op->aliases);
        }
        if (!pr.has_next || n == 0)
            return ERR_OK;
        page_after(&pq, NULL, orgs ? os[n - 1].id : als[n - 1].id);
    }
}

static enum err export_tx(struct store_tx *tx, void *arg)
{
    struct export_op *op = arg;
    op->customers = op->aliases = op->orgs = 0;
    arena_reset(op->a);
    struct account_row *accounts = NULL;
    size_t n = 0;
    enum err rc = store_account_list(tx, op->a, &accounts, &n);
    if (rc)
        return fail(op, rc, "cannot list accounts: %s", err_message(rc));
    char account[ID_LEN + 1] = "";
    for (size_t i = 0; i < n && !account[0]; i++)
        if (strcmp(accounts[i].name, op->name) == 0)
            memcpy(account, accounts[i].id, sizeof(account));
    if (!account[0])
        return fail(op, ERR_NOT_FOUND, "no account named '%s'", op->name);
    json_t *h = json_object();
    json_object_set_new(h, "kind", json_string(FORMAT_KIND));
    json_object_set_new(h, "version", json_integer(FORMAT_VERSION));
    json_object_set_new(h, "account", json_string(op->name));
    json_object_set_new(h, "store", json_string(op->store));
    json_object_set_new(h, "exportedAt", jtime(clock_now_ms()));
    if (!emit(op->out, h))
        return fail(op, ERR_UNAVAILABLE, "cannot write the export");
    if ((rc = export_customers(tx, op, account)) || (rc = export_records(tx, op, account, false)) ||
        (rc = export_records(tx, op, account, true)))
        return rc;
    return ERR_OK;
}

enum err transfer_export(struct store *s, const char *account, FILE *out, char *msg, size_t cap)
{
    struct export_op op = {
        .name = account,
        .out = out,
        .store = store_kind(s),
        .a = arena_create(),
        .msg = msg,
        .cap = cap,
    };
    msg[0] = '\0';
    enum err rc = store_read(s, export_tx, &op);
    arena_destroy(op.a);
    if (rc == ERR_OK && fflush(out) != 0)
        rc = fail(&op, ERR_UNAVAILABLE, "cannot write the export");
    if (rc && !msg[0])
        fail(&op, rc, "%s", err_message(rc));
    if (rc == ERR_OK)
        snprintf(msg, cap, "exported %zu customers, %zu aliases, %zu organizations of account %s",
                 op.customers, op.aliases, op.orgs, account);
    return rc;
}
