/*
 * The PostgreSQL backend's whole reads: a read route's answer from one
 * statement, one snapshot, one round trip, and no BEGIN or ROLLBACK (a
 * single statement is its own snapshot; engine.c sends none for the
 * statements of store__pg_whole). The API client's check rides along:
 * store_client_check only marks it, and engine.c pipelines it ahead of the
 * read's statement in the same flush.
 *
 * Rows are read into the domain structs with the same readers as the
 * primitives, so answers are byte-identical to the composed ones.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void store__pg_org_rows(struct arena *a, const PGresult *r, int row, int end, int col,
                        struct organization *out)
{
    memset(out, 0, sizeof(*out));
    store__pg_id_copy(out->owner.id, r, row, col);
    out->created_at = store__pg_num(r, row, col + 1);
    out->owner.name = store__pg_str0(a, r, row, col + 2);
    if (PQgetisnull(r, row, col + 3))
        return;
    out->members = arena_zalloc(a, (size_t)(end - row) * sizeof(*out->members));
    for (int i = row; i < end; i++) {
        store__pg_id_copy(out->members[i - row].id, r, i, col + 3);
        out->members[i - row].name = store__pg_str0(a, r, i, col + 4);
    }
    out->n_members = (size_t)(end - row);
}

/* ---- the whole customer ---- */

/* Columns of PG_ST_CUSTOMER_WHOLE (statements.c): the kind, three sort
 * keys, then the reader's columns. */
enum { WHOLE_KIND = 0, WHOLE_COLS = 4 };
enum { KIND_CUSTOMER, KIND_CONTACT, KIND_PROPERTY, KIND_ORG };

static int row_kind(const PGresult *r, int row)
{
    return atoi(PQgetvalue(r, row, WHOLE_KIND));
}

/* The end of the run of rows of kind `k` from `row` on. */
static int kind_end(const PGresult *r, int row, int k)
{
    int rows = PQntuples(r);
    while (row < rows && row_kind(r, row) == k)
        row++;
    return row;
}

/* The organizations of rows [row, end), one run of rows each (the run's
 * organization id in the first reader column). */
static void orgs_from_rows(struct arena *a, const PGresult *r, int row, int end,
                           struct customer *out)
{
    size_t n = 0;
    for (int i = row; i < end; i++)
        if (i == row || strcmp(PQgetvalue(r, i, WHOLE_COLS), PQgetvalue(r, i - 1, WHOLE_COLS)))
            n++;
    out->orgs = n ? arena_zalloc(a, n * sizeof(*out->orgs)) : NULL;
    out->n_orgs = n;
    size_t k = 0;
    for (int i = row; i < end;) {
        int j = i + 1;
        while (j < end && strcmp(PQgetvalue(r, j, WHOLE_COLS), PQgetvalue(r, i, WHOLE_COLS)) == 0)
            j++;
        store__pg_org_rows(a, r, i, j, WHOLE_COLS + 1, &out->orgs[k]);
        store__pg_id_copy(out->orgs[k].id, r, i, WHOLE_COLS);
        k++;
        i = j;
    }
}

enum err store__pg_customer_whole(struct store_tx *tx, struct arena *a, const char *account,
                                  const char *id, struct customer *out, bool *done)
{
    /* A write reads its own changes, some of them from memory
     * (customers.c): it composes the customer from the primitives. */
    *done = store__pg_tx_of(tx)->read;
    if (!*done)
        return ERR_OK;
    memset(out, 0, sizeof(*out));
    struct store__pg_params p = {0};
    store__pg_texts(&p, account, id);
    enum err rc;
    PGresult *r = store__pg_query(tx, PG_ST_CUSTOMER_WHOLE, &p, &rc);
    if (!r)
        return rc;
    int rows = PQntuples(r);
    if (rows == 0 || row_kind(r, 0) != KIND_CUSTOMER) {
        PQclear(r);
        return ERR_NOT_FOUND;
    }
    store__pg_customer_row(a, r, 0, WHOLE_COLS, NULL, out);
    int row = 1, end = kind_end(r, row, KIND_CONTACT);
    out->n_contacts = (size_t)(end - row);
    out->contacts = store__pg_items(a, r, row, out->n_contacts, WHOLE_COLS, store__pg_contact_row,
                                    NULL, sizeof(*out->contacts));
    row = end;
    end = kind_end(r, row, KIND_PROPERTY);
    out->n_props = (size_t)(end - row);
    out->props = store__pg_items(a, r, row, out->n_props, WHOLE_COLS, store__pg_property_row, NULL,
                                 sizeof(*out->props));
    row = end;
    end = kind_end(r, row, KIND_ORG);
    orgs_from_rows(a, r, row, end, out);
    PQclear(r);
    return ERR_OK;
}

/* ---- the API client's check ---- */

static enum err check_now(struct store_tx *tx, const char *client_id)
{
    struct store__pg_params p = {0};
    store__pg_text(&p, client_id);
    return store__pg_count_hit(tx, PG_ST_CLIENT_ACTIVE, &p, ERR_UNAUTHORIZED);
}

enum err store__pg_client_check(struct store_tx *tx, const char *client_id)
{
    struct store__pg_tx *t = store__pg_tx_of(tx);
    snprintf(t->check_client, sizeof(t->check_client), "%s", client_id);
    t->check = PG_CHECK_PENDING;
    return ERR_OK;
}

enum err store__pg_client_confirm(struct store_tx *tx)
{
    struct store__pg_tx *t = store__pg_tx_of(tx);
    switch (t->check) {
    case PG_CHECK_PENDING:
        /* A write with statements queued: they go with the COMMIT, and
         * the check with them, failing the commit when it must. */
        if (t->writing && t->n_later > 0)
            break;
        /* no statement carried it: one round trip of its own */
        t->check = PG_CHECK_NONE;
        return check_now(tx, t->check_client);
    case PG_CHECK_SENT:
        /* a write's failed check failed the transaction: ERR_UNAUTHORIZED */
        return t->failed ? t->fail_err : ERR_UNAVAILABLE;
    case PG_CHECK_REVOKED:
        return ERR_UNAUTHORIZED;
    case PG_CHECK_NONE:
    case PG_CHECK_ACTIVE:
        break;
    }
    return ERR_OK;
}

void store__pg_check_answer(struct store__pg_tx *t, const PGresult *r)
{
    bool active = PQntuples(r) == 1 && store__pg_num(r, 0, 0) == 1;
    t->check = active ? PG_CHECK_ACTIVE : PG_CHECK_REVOKED;
}

/* ---- the ping of /readyz ---- */

static enum err ping_fn(struct store_tx *tx, void *arg)
{
    (void)arg;
    enum err rc;
    PGresult *r = store__pg_run(store__pg_tx_of(tx), NULL, "SELECT 1", NULL, &rc);
    PQclear(r);
    return rc;
}

bool store__pg_ping(struct store *s)
{
    return store__pg_read(s, ping_fn, NULL) == ERR_OK;
}
