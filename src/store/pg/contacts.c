/*
 * The PostgreSQL backend's contacts. Those of a customer this transaction
 * inserted are read back from memory (see customers.c). A write reads a
 * customer's contacts before it changes them (the billing rule C1,
 * src/rules/contacts.c): in a write, the reads lock the customer's row first
 * (store__pg_customer_lock), so such writes run one after the other and two
 * of them cannot each take away a different PRIMARY contact.
 */
#include "internal.h"

#include <string.h>

enum err store__pg_contact_list(struct store_tx *tx, struct arena *a, const char *account,
                                const char *customer_id, bool include_archived,
                                struct contact **out, size_t *n)
{
    const struct customer *f = store__pg_fresh_customer(tx, account, customer_id);
    if (f) {
        *out = f->n_contacts ? arena_zalloc(a, f->n_contacts * sizeof(**out)) : NULL;
        *n = 0;
        for (size_t i = 0; i < f->n_contacts; i++)
            if (include_archived || !f->contacts[i].archived_at)
                store__pg_contact_copy(a, &f->contacts[i], &(*out)[(*n)++]);
        if (*n == 0)
            *out = NULL;
        return ERR_OK;
    }
    enum err rc = store__pg_customer_lock(tx, account, customer_id);
    if (rc)
        return rc;
    struct store__pg_params p = {0};
    store__pg_texts(&p, account, customer_id);
    store__pg_bool(&p, include_archived);
    return store__pg_rows(tx, a, PG_ST_CONTACT_LIST, &p, store__pg_contact_row, NULL, sizeof(**out),
                          out, n);
}

enum err store__pg_contact_get(struct store_tx *tx, struct arena *a, const char *account,
                               const char *customer_id, const char *id, struct contact *out)
{
    const struct customer *f = store__pg_fresh_customer(tx, account, customer_id);
    if (f) {
        for (size_t i = 0; i < f->n_contacts; i++)
            if (strcmp(f->contacts[i].id, id) == 0) {
                store__pg_contact_copy(a, &f->contacts[i], out);
                return ERR_OK;
            }
        return ERR_NOT_FOUND;
    }
    enum err rc = store__pg_customer_lock(tx, account, customer_id);
    if (rc)
        return rc;
    struct store__pg_params p = {0};
    store__pg_texts(&p, account, customer_id, id);
    return store__pg_row(tx, a, PG_ST_CONTACT_GET, &p, NULL, store__pg_contact_row, NULL, out);
}

/* contact_insert and contact_update: the customer changes (its fresh entry
 * goes); only an insert writes created_at. */
static enum err contact_write(struct store_tx *tx, const char *account, const char *customer_id,
                              const struct contact *c, bool insert)
{
    store__pg_fresh_customer_drop(tx, account, customer_id);
    struct store__pg_params p = {0};
    store__pg_texts(&p, account, customer_id, c->id, c->name, c->email, billing_pref_name(c->pref));
    if (insert)
        store__pg_i64(&p, c->created_at);
    store__pg_i64(&p, c->updated_at);
    store__pg_ts(&p, c->archived_at);
    return insert ? store__pg_exec(tx, PG_ST_CONTACT_INSERT, &p, NULL)
                  : store__pg_exec_hit(tx, PG_ST_CONTACT_UPDATE, &p, ERR_NOT_FOUND);
}

enum err store__pg_contact_insert(struct store_tx *tx, const char *account, const char *customer_id,
                                  const struct contact *c)
{
    return contact_write(tx, account, customer_id, c, true);
}

enum err store__pg_contact_update(struct store_tx *tx, const char *account, const char *customer_id,
                                  const struct contact *c)
{
    return contact_write(tx, account, customer_id, c, false);
}
