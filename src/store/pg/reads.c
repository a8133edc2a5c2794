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
#include "../../core/log.h"

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
enum { KIND_CUSTOMER, KIND_CONTACT, KIND_PROPERTY, KIND_ORG, KIND_ALIAS };

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

/* ---- answers ahead ---- */

struct store__pg_ahead {
    struct store__pg_ahead *next;
    enum store__pg_st st;
    int n_params, rows, cols;
    const char **params; /* NULL entries: SQL NULL */
    const char **cells;  /* rows * cols, NULL entries: SQL NULL */
    bool once;           /* a write's: taken once, then gone */
};

void store__pg_ahead_put(struct store__pg_tx *t, enum store__pg_st st,
                         const struct store__pg_params *p, const PGresult *r, const int *rows,
                         int n, const int *cols, int ncols)
{
    struct arena *a = store__pg_scratch(t);
    struct store__pg_ahead *e = arena_zalloc(a, sizeof(*e));
    e->st = st;
    e->n_params = p->n;
    e->params = arena_zalloc(a, (size_t)(p->n ? p->n : 1) * sizeof(*e->params));
    for (int i = 0; i < p->n; i++)
        e->params[i] = p->v[i] ? arena_strdup(a, p->v[i]) : NULL;
    e->rows = n;
    e->cols = ncols;
    e->cells = arena_zalloc(a, ((size_t)n * (size_t)ncols + 1) * sizeof(*e->cells));
    for (int i = 0; i < n; i++)
        for (int k = 0; k < ncols; k++)
            e->cells[i * ncols + k] = store__pg_str(a, r, rows[i], cols[k]);
    e->next = t->ahead;
    t->ahead = e;
}

static bool same_params(const struct store__pg_ahead *e, const struct store__pg_params *p)
{
    if (e->n_params != p->n)
        return false;
    for (int i = 0; i < p->n; i++) {
        if (p->fmt[i] || !e->params[i] != !p->v[i])
            return false;
        if (p->v[i] && strcmp(e->params[i], p->v[i]) != 0)
            return false;
    }
    return true;
}

PGresult *store__pg_ahead_take(struct store__pg_tx *t, enum store__pg_st st,
                               const struct store__pg_params *p)
{
    static const struct store__pg_params none = {0};
    struct store__pg_ahead **at = &t->ahead, *e;
    while ((e = *at) && (e->st != st || !same_params(e, p ? p : &none)))
        at = &e->next;
    if (!e || (!t->read && !e->once))
        return NULL;
    if (e->once)
        *at = e->next;
    /* a result as the server would send it: text columns, the same rows */
    PGresult *r = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
    PGresAttDesc *att = arena_zalloc(store__pg_scratch(t), (size_t)e->cols * sizeof(*att) + 1);
    for (int k = 0; k < e->cols; k++)
        att[k] = (PGresAttDesc){.name = "", .typid = 25 /* text */, .typlen = -1, .atttypmod = -1};
    bool ok = r && PQsetResultAttrs(r, e->cols, att);
    for (int i = 0; ok && i < e->rows; i++)
        for (int k = 0; ok && k < e->cols; k++) {
            const char *v = e->cells[i * e->cols + k];
            ok = PQsetvalue(r, i, k, (char *)(v ? v : ""), v ? (int)strlen(v) : -1);
        }
    if (!ok) {
        log_kv(LOG_ERROR, "out of memory", "where", "postgresql result", (const char *)NULL);
        abort();
    }
    return r;
}

bool store__pg_read_first(struct store_tx *tx)
{
    struct store__pg_tx *t = store__pg_tx_of(tx);
    return t->read && !t->begun && t->ok == 0 && !t->failed;
}

/* Numbers 0 .. n - 1, for ahead_put's columns. */
static const int seq[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19};

void store__pg_ahead_forget(struct store__pg_tx *t)
{
    if (!t->read)
        t->ahead = NULL;
}

void store__pg_ahead_once(struct store__pg_tx *t, enum store__pg_st st,
                          const struct store__pg_params *p, const PGresult *r)
{
    int rows = PQntuples(r), cols = PQnfields(r);
    if (cols > (int)(sizeof(seq) / sizeof(*seq)))
        return;
    int *all = arena_alloc(store__pg_scratch(t), (size_t)(rows ? rows : 1) * sizeof(int));
    for (int i = 0; i < rows; i++)
        all[i] = i;
    store__pg_ahead_put(t, st, p, r, all, rows, seq, cols);
    t->ahead->once = true;
}

/* The rows [row, end) of `r` as an array of row numbers in scratch. */
static int *row_range(struct store__pg_tx *t, int row, int end)
{
    int *rows =
        arena_alloc(store__pg_scratch(t), (size_t)(end > row ? end - row : 1) * sizeof(int));
    for (int i = row; i < end; i++)
        rows[i - row] = i;
    return rows;
}

/* ---- one customer's scope: its brief, contacts and aliases ---- */

/* Columns of PG_ST_CUSTOMER_SCOPE (statements.c): the kind, two sort
 * keys, then the readers' columns. */
enum { SCOPE_COLS = 3 };
enum { SCOPE_BRIEF, SCOPE_CONTACT, SCOPE_ALIAS };

PGresult *store__pg_customer_scope(struct store_tx *tx, const struct store__pg_params *p,
                                   enum err *rc)
{
    struct store__pg_tx *t = store__pg_tx_of(tx);
    /* briefs' parameters: the account and the array of one id, {"ID"} */
    const char *arr = p->v[1];
    size_t len = arr ? strlen(arr) : 0;
    char id[ID_LEN + 1];
    if (len != ID_LEN + 4 || strncmp(arr, "{\"", 2) != 0 || strcmp(arr + len - 2, "\"}") != 0)
        return NULL;
    memcpy(id, arr + 2, ID_LEN);
    id[ID_LEN] = '\0';
    struct store__pg_params sp = {0};
    store__pg_texts(&sp, p->v[0], id);
    PGresult *r = store__pg_query(tx, PG_ST_CUSTOMER_SCOPE, &sp, rc);
    if (!r)
        return NULL;
    int row = 0, end;
    /* the brief: ord, legal_name, archived */
    end = kind_end(r, row, SCOPE_BRIEF);
    store__pg_ahead_put(t, PG_ST_CUSTOMER_BRIEFS, p, r, row_range(t, row, end), end - row,
                        seq + SCOPE_COLS, 3);
    /* the contacts, all of them and the active ones */
    row = end;
    end = kind_end(r, row, SCOPE_CONTACT);
    int *active =
        arena_alloc(store__pg_scratch(t), (size_t)(end > row ? end - row : 1) * sizeof(int));
    int n_active = 0;
    for (int i = row; i < end; i++)
        if (PQgetisnull(r, i, SCOPE_COLS + 6))
            active[n_active++] = i;
    for (int all = 0; all < 2; all++) {
        struct store__pg_params cp = {0};
        store__pg_texts(&cp, p->v[0], id);
        store__pg_bool(&cp, all);
        store__pg_ahead_put(t, PG_ST_CONTACT_LIST, &cp, r, all ? row_range(t, row, end) : active,
                            all ? end - row : n_active, seq + SCOPE_COLS, 7);
    }
    /* the aliases */
    row = end;
    end = kind_end(r, row, SCOPE_ALIAS);
    store__pg_ahead_put(t, PG_ST_ALIAS_LIST_FOR_CUSTOMER, &sp, r, row_range(t, row, end), end - row,
                        seq + SCOPE_COLS, 6);
    PQclear(r);
    return store__pg_ahead_take(t, PG_ST_CUSTOMER_BRIEFS, p);
}

/* ---- a customer by alias ---- */

enum err store__pg_alias_whole(struct store_tx *tx, struct arena *a, const char *account,
                               const char *value, struct alias *out)
{
    struct store__pg_tx *t = store__pg_tx_of(tx);
    struct store__pg_params p = {0};
    store__pg_texts(&p, account, value);
    enum err rc;
    PGresult *r = store__pg_query(tx, PG_ST_ALIAS_WHOLE, &p, &rc);
    if (!r)
        return rc;
    /* the customer's rows as PG_ST_CUSTOMER_WHOLE's, then the alias's */
    int rows = PQntuples(r);
    if (rows == 0 || row_kind(r, rows - 1) != KIND_ALIAS) {
        PQclear(r);
        return ERR_NOT_FOUND;
    }
    store__pg_alias_row(a, r, rows - 1, WHOLE_COLS, account, out);
    struct store__pg_params cp = {0};
    store__pg_texts(&cp, account, out->customer_id);
    store__pg_ahead_put(t, PG_ST_CUSTOMER_WHOLE, &cp, r, row_range(t, 0, rows - 1), rows - 1, seq,
                        WHOLE_COLS + 16);
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
