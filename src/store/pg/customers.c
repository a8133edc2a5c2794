/*
 * The PostgreSQL backend's customers: their rows, properties and the batch
 * reads of a list page, and the customers this transaction inserted.
 */
#include "internal.h"
#include "../../domain/integrations.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- read-your-writes ---- */

/*
 * A write often reads back what it has just inserted (the answer shows the
 * new customer or organization). Those reads are answered from what the
 * insert was given, as the database would return it, without a round trip
 * (and without reading the newest index pages, which every concurrent
 * insert writes to: under SERIALIZABLE, which writes ran at before
 * migration 2, that made concurrent creations abort one another). An entry is dropped
 * as soon as the transaction changes that customer or organization
 * (organizations.c keeps the organizations).
 */
#define FRESH_MAX 64

struct store__pg_fresh_customer {
    struct store__pg_fresh_customer *next;
    const char *account;
    struct customer c; /* contacts by (created_at, id), props by key */
};

static int contact_order(const void *x, const void *y)
{
    const struct contact *a = x, *b = y;
    if (a->created_at != b->created_at)
        return a->created_at < b->created_at ? -1 : 1;
    return strcmp(a->id, b->id);
}

static int prop_order(const void *x, const void *y)
{
    const struct property *a = x, *b = y;
    return strcmp(a->key, b->key);
}

/* The customer's columns as customer_row_get returns them. */
static void customer_scalars(struct arena *a, const struct customer *src, struct customer *dst)
{
    snprintf(dst->id, sizeof(dst->id), "%s", src->id);
    dst->legal_name = arena_strdup(a, src->legal_name ? src->legal_name : "");
    dst->url = arena_strdup(a, src->url);
    dst->label = arena_strdup(a, src->label);
    dst->tax_status = src->tax_status;
    dst->status = src->status;
    dst->address.line1 = arena_strdup(a, src->address.line1);
    dst->address.line2 = arena_strdup(a, src->address.line2);
    dst->address.town = arena_strdup(a, src->address.town);
    dst->address.state = arena_strdup(a, src->address.state);
    dst->address.postcode = arena_strdup(a, src->address.postcode);
    dst->address.country = arena_strdup(a, src->address.country);
    dst->created_at = src->created_at;
    dst->updated_at = src->updated_at;
    dst->archived_at = src->archived_at;
}

void store__pg_contact_copy(struct arena *a, const struct contact *src, struct contact *dst)
{
    *dst = *src;
    snprintf(dst->id, sizeof(dst->id), "%s", src->id);
    dst->name = arena_strdup(a, src->name);
    dst->email = arena_strdup(a, src->email);
}

static void fresh_customer_add(struct store_tx *tx, const char *account, const struct customer *c)
{
    struct store__pg_tx *t = store__pg_tx_of(tx);
    int count = 0;
    for (struct store__pg_fresh_customer *f = t->fresh_customers; f; f = f->next)
        count++;
    if (count >= FRESH_MAX)
        return;
    struct arena *a = store__pg_scratch(t);
    struct store__pg_fresh_customer *f = arena_zalloc(a, sizeof(*f));
    f->account = arena_strdup(a, account);
    struct customer *d = &f->c;
    customer_scalars(a, c, d);
    /* integrations go through their column's JSON, as they would */
    char *json = integrations_encode(c);
    integrations_decode(a, json, d);
    free(json);
    if (c->n_contacts) {
        d->contacts = arena_zalloc(a, c->n_contacts * sizeof(*d->contacts));
        for (size_t i = 0; i < c->n_contacts; i++)
            store__pg_contact_copy(a, &c->contacts[i], &d->contacts[i]);
        d->n_contacts = c->n_contacts;
        qsort(d->contacts, d->n_contacts, sizeof(*d->contacts), contact_order);
    }
    if (c->n_props) {
        d->props = arena_zalloc(a, c->n_props * sizeof(*d->props));
        for (size_t i = 0; i < c->n_props; i++) {
            d->props[i].key = arena_strdup(a, c->props[i].key);
            d->props[i].value = arena_strdup(a, c->props[i].value ? c->props[i].value : "");
        }
        d->n_props = c->n_props;
        qsort(d->props, d->n_props, sizeof(*d->props), prop_order);
    }
    f->next = t->fresh_customers;
    t->fresh_customers = f;
}

const struct customer *store__pg_fresh_customer(struct store_tx *tx, const char *account,
                                                const char *id)
{
    for (struct store__pg_fresh_customer *f = store__pg_tx_of(tx)->fresh_customers; f; f = f->next)
        if (strcmp(f->c.id, id) == 0 && strcmp(f->account, account) == 0)
            return &f->c;
    return NULL;
}

void store__pg_fresh_customer_drop(struct store_tx *tx, const char *account, const char *id)
{
    for (struct store__pg_fresh_customer **f = &store__pg_tx_of(tx)->fresh_customers; *f;
         f = &(*f)->next)
        if (strcmp((*f)->c.id, id) == 0 && strcmp((*f)->account, account) == 0) {
            *f = (*f)->next;
            return;
        }
}

/* ---- customers ---- */

enum err store__pg_customer_row_get(struct store_tx *tx, struct arena *a, const char *account,
                                    const char *id, struct customer *out)
{
    const struct customer *f = store__pg_fresh_customer(tx, account, id);
    if (f) {
        customer_scalars(a, f, out);
        out->integrations = NULL;
        out->n_integrations = f->n_integrations;
        if (f->n_integrations) {
            out->integrations = arena_zalloc(a, f->n_integrations * sizeof(*out->integrations));
            for (size_t i = 0; i < f->n_integrations; i++) {
                out->integrations[i].service = arena_strdup(a, f->integrations[i].service);
                out->integrations[i].id = arena_strdup(a, f->integrations[i].id);
            }
        }
        return ERR_OK;
    }
    struct store__pg_params p = {0};
    store__pg_texts(&p, account, id);
    return store__pg_row(tx, a, PG_ST_CUSTOMER_GET, &p, NULL, store__pg_customer_row, NULL, out);
}

/* Account, id and the customer's scalar columns after them ($1 .. $14). */
static void customer_fields(struct store__pg_params *p, const char *account,
                            const struct customer *c, const char *integrations)
{
    store__pg_texts(p, account, c->id, c->legal_name, c->url, c->label,
                    tax_status_name(c->tax_status), customer_status_name(c->status),
                    c->address.line1, c->address.line2, c->address.town, c->address.state,
                    c->address.postcode, c->address.country, integrations);
}

enum err store__pg_customer_insert(struct store_tx *tx, const char *account,
                                   const struct customer *c)
{
    store__pg_locked_forget(tx);
    char *integrations = integrations_encode(c);
    struct store__pg_params p = {0};
    customer_fields(&p, account, c, integrations);
    store__pg_i64(&p, c->created_at);
    store__pg_i64(&p, c->updated_at);
    store__pg_ts(&p, c->archived_at);
    store__pg_contact_arrays(tx, c->contacts, c->n_contacts, &p);
    store__pg_prop_arrays(tx, c->props, c->n_props, &p);
    enum err rc = store__pg_exec_later(tx, PG_ST_CUSTOMER_INSERT, &p); /* copies p */
    free(integrations);
    if (rc == ERR_OK)
        fresh_customer_add(tx, account, c);
    return rc;
}

enum err store__pg_customer_update(struct store_tx *tx, const char *account,
                                   const struct customer *c, bool replace_props)
{
    /* The update archives the active contacts and replaces the properties
     * it reads in the same statement: the row lock first, so that the
     * statement sees every contact and property write that came before. */
    enum err rc = store__pg_customer_lock(tx, account, c->id);
    if (rc)
        return rc;
    store__pg_locked_forget(tx);
    store__pg_fresh_customer_drop(tx, account, c->id);
    char *integrations = integrations_encode(c);
    struct store__pg_params p = {0};
    customer_fields(&p, account, c, integrations);
    store__pg_i64(&p, c->updated_at);
    store__pg_contact_arrays(tx, c->contacts, c->n_contacts, &p);
    if (replace_props)
        store__pg_prop_arrays(tx, c->props, c->n_props, &p);
    rc = store__pg_count_hit(
        tx, replace_props ? PG_ST_CUSTOMER_UPDATE_PROPS : PG_ST_CUSTOMER_UPDATE, &p, ERR_NOT_FOUND);
    free(integrations);
    return rc;
}

enum err store__pg_customer_archive(struct store_tx *tx, const char *account, const char *id,
                                    int64_t now)
{
    store__pg_locked_forget(tx);
    store__pg_fresh_customer_drop(tx, account, id);
    struct store__pg_params p = {0};
    store__pg_texts(&p, account, id);
    store__pg_i64(&p, now);
    enum err rc = store__pg_count_hit(tx, PG_ST_CUSTOMER_ARCHIVE, &p, ERR_NOT_FOUND);
    if (rc == ERR_OK)
        store__pg_customer_held(tx, id); /* the update locked the row */
    return rc;
}

static void brief_row(struct arena *a, const PGresult *r, int row, int col, const void *ctx,
                      void *item)
{
    struct customer_brief *b = item;
    b->found = true;
    b->legal_name = store__pg_str0(a, r, row, col);
    b->archived = store__pg_flag(r, row, col + 1);
}

enum err store__pg_customer_briefs(struct store_tx *tx, struct arena *a, const char *account,
                                   const char *const *ids, size_t n, struct customer_brief *out)
{
    /* fresh customers and those hierarchy_lock read are answered here,
     * the others asked for */
    struct arena *scratch = store__pg_scratch(store__pg_tx_of(tx));
    const char **ask = arena_alloc(scratch, n * sizeof(*ask));
    size_t *pos = arena_alloc(scratch, n * sizeof(*pos)), m = 0;
    for (size_t i = 0; i < n; i++) {
        const struct customer *f = store__pg_fresh_customer(tx, account, ids[i]);
        if (f) {
            out[i].found = true;
            out[i].archived = f->archived_at != 0;
            out[i].legal_name = arena_strdup(a, f->legal_name);
        } else if (!store__pg_locked_brief(tx, a, account, ids[i], &out[i])) {
            ask[m] = ids[i];
            pos[m++] = i;
        }
    }
    if (m == 0)
        return ERR_OK;
    return store__pg_query_ords(tx, a, PG_ST_CUSTOMER_BRIEFS, account, ask, m, pos, brief_row, out,
                                sizeof(*out));
}

enum err store__pg_customer_props(struct store_tx *tx, struct arena *a, const char *account,
                                  const char *customer_id, struct property **out, size_t *n)
{
    const struct customer *f = store__pg_fresh_customer(tx, account, customer_id);
    if (f) {
        *out = f->n_props ? arena_zalloc(a, f->n_props * sizeof(**out)) : NULL;
        for (size_t i = 0; i < f->n_props; i++) {
            (*out)[i].key = arena_strdup(a, f->props[i].key);
            (*out)[i].value = arena_strdup(a, f->props[i].value);
        }
        *n = f->n_props;
        return ERR_OK;
    }
    struct store__pg_params p = {0};
    store__pg_texts(&p, account, customer_id);
    return store__pg_rows(tx, a, PG_ST_CUSTOMER_PROPS, &p, store__pg_property_row, NULL,
                          sizeof(**out), out, n);
}

PGresult *store__pg_customer_groups(struct store_tx *tx, struct arena *a, enum store__pg_st st,
                                    const char *account, const struct customer *items, size_t n,
                                    int **first, int **count, enum err *rc)
{
    const char **ids = arena_alloc(a, (n ? n : 1) * sizeof(*ids));
    for (size_t i = 0; i < n; i++)
        ids[i] = items[i].id;
    return store__pg_query_groups(tx, a, st, account, ids, n, first, count, rc);
}

enum err store__pg_customers_props(struct store_tx *tx, struct arena *a, const char *account,
                                   struct customer *items, size_t n)
{
    int *first, *count;
    enum err rc;
    PGresult *r = store__pg_customer_groups(tx, a, PG_ST_CUSTOMERS_PROPS, account, items, n, &first,
                                            &count, &rc);
    if (!r)
        return rc;
    for (size_t k = 0; k < n; k++) {
        items[k].n_props = (size_t)count[k];
        items[k].props = store__pg_items(a, r, first[k], (size_t)count[k], 1,
                                         store__pg_property_row, NULL, sizeof(*items[k].props));
    }
    PQclear(r);
    return ERR_OK;
}

enum err store__pg_property_keys(struct store_tx *tx, struct arena *a, const char *account,
                                 const char ***out, size_t *n)
{
    struct store__pg_params p = {0};
    store__pg_text(&p, account);
    return store__pg_rows(tx, a, PG_ST_PROPERTY_KEYS, &p, store__pg_string_row, NULL, sizeof(**out),
                          out, n);
}
