/* Helpers every handler uses: errors, JSON responses, store calls, paging. */
#include "api.h"
#include "../core/buf.h"
#include "../core/secret.h"
#include "../domain/render.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum err call_fail(struct call *c, enum err e, const char *field, const char *fmt, ...)
{
    c->err_field = field;
    c->err_msg[0] = '\0';
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err_msg, sizeof(c->err_msg), fmt, ap);
        va_end(ap);
    }
    return e;
}

enum err call_fail_verr(struct call *c, enum err e, const struct verr *ve)
{
    return call_fail(c, e, ve->field, "%s", ve->msg);
}

enum err call_customer_exists(struct call *c, struct store_tx *tx, const char *customer)
{
    if (!customer)
        return call_fail(c, ERR_NOT_FOUND, NULL, "no such customer");
    struct customer_brief b;
    enum err rc = store_customer_briefs(tx, c->a, c->account, &customer, 1, &b);
    if (rc)
        return rc;
    return b.found ? ERR_OK : call_fail(c, ERR_NOT_FOUND, NULL, "no such customer");
}

enum err call_fail_verdict(struct call *c, enum err rc, const struct rules_verdict *v)
{
    if (!v->rule)
        return rc;
    if (v->org_id[0])
        call_detail(c, "organizationId", json_string(v->org_id));
    if (v->n_ids) {
        json_t *ids = json_array();
        for (size_t i = 0; i < v->n_ids; i++)
            json_array_append_new(ids, json_string(v->ids[i]));
        call_detail(c, "customerIds", ids);
    }
    return call_fail(c, rc, v->field, "%s", v->msg);
}

struct rules_limits call_limits(const struct call *c)
{
    return (struct rules_limits){.per_request = c->api->cfg->members_per_request,
                                 .per_organization = c->api->cfg->members_per_organization,
                                 .max_depth = c->api->cfg->max_depth};
}

void call_detail(struct call *c, const char *key, json_t *value)
{
    if (!c->err_detail)
        c->err_detail = json_object();
    json_object_set_new(c->err_detail, key, value);
}

char *api_dump(const json_t *j, size_t *len)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!s)
        s = strdup("{}");
    *len = strlen(s);
    return s;
}

size_t call_answer_limit(const struct call *c)
{
    return (size_t)c->api->cfg->answer_limit;
}

enum err call_answer_too_large(struct call *c, int page_limit, int64_t at_least)
{
    long limit = c->api->cfg->answer_limit;
    call_detail(c, "answerLimit", json_integer(limit));
    if (at_least > 0)
        call_detail(c, "answerSizeAtLeast", json_integer(at_least));
    if (page_limit > 1)
        return call_fail(c, ERR_ANSWER_TOO_LARGE, "limit",
                         "the page would be larger than this server's answer limit of %ld bytes "
                         "(each customer embeds its organizations whole): ask for fewer items "
                         "with a smaller limit",
                         limit);
    return call_fail(c, ERR_ANSWER_TOO_LARGE, page_limit ? "limit" : NULL,
                     "the answer would be larger than this server's answer limit of %ld bytes "
                     "(organizations are embedded whole) and cannot be asked for in smaller "
                     "parts: the server's operator can raise --answer-limit",
                     limit);
}

void call_extent_start(struct call *c, struct org_extent *e)
{
    *e = (struct org_extent){.limit = c->api->cfg->answer_limit};
}

enum err call_answer_fits(struct call *c, const struct org_extent *e, int page_limit)
{
    int64_t floor = organization_text_floor(e->orgs, e->entries, e->name_bytes);
    return floor <= c->api->cfg->answer_limit ? ERR_OK
                                              : call_answer_too_large(c, page_limit, floor);
}

enum err call_answer_read(struct call *c, struct store_tx *tx, enum err rc, int page_limit)
{
    struct org_extent e;
    call_extent_start(c, &e);
    if (rc != ERR_ANSWER_TOO_LARGE || !store_extent_refused(tx, &e))
        return rc;
    /* the store's guard counted e past the limit: refused as counted here */
    enum err fits = call_answer_fits(c, &e, page_limit);
    return fits ? fits : call_answer_too_large(c, page_limit, 0);
}

enum err call_answer_text(struct call *c, int status, char *body, size_t len)
{
    if (!body)
        return call_answer_too_large(c, 0, 0);
    req_respond(c->req, status, body, len);
    return ERR_OK;
}

void call_page_begin(struct call *c, struct buf *b)
{
    buf_init(b, call_answer_limit(c));
    buf_puts(b, "{\"items\":[");
}

enum err call_page_end(struct call *c, struct buf *b, int page_limit, const char *after,
                       const char *before, int64_t total)
{
    buf_puts(b, "],\"pagination\":");
    json_t *pagination = pagination_render(after, before, total);
    size_t plen;
    char *ptext = api_dump(pagination, &plen);
    json_decref(pagination);
    buf_append(b, ptext, plen);
    free(ptext);
    buf_puts(b, "}");
    if (b->failed) {
        /* Nothing was sent: the page is refused whole. */
        buf_fini(b);
        return call_answer_too_large(c, page_limit, 0);
    }
    size_t len = b->len;
    req_respond(c->req, 200, buf_steal(b), len);
    return ERR_OK;
}

void call_json(struct call *c, int status, json_t *body)
{
    size_t len;
    char *s = api_dump(body, &len);
    json_decref(body);
    req_respond(c->req, status, s, len);
}

void call_page_json(struct call *c, json_t *items, const char *first, const char *last, bool desc,
                    const struct page_result *pr)
{
    const char *after = last ? page_cursor(c, "id", desc, NULL, last, pr->has_next) : NULL;
    const char *before = first ? page_cursor(c, "id", desc, NULL, first, pr->has_prev) : NULL;
    call_json(c, 200,
              json_pack("{s:o,s:o}", "items", items, "pagination",
                        pagination_render(after, before, pr->total)));
}

void render_json(json_t *j, int status, int *out_status, char **out_body)
{
    size_t len;
    *out_body = api_dump(j, &len);
    *out_status = status;
    json_decref(j);
}

const char *call_id_param(struct call *c, int i)
{
    if (i >= c->req->n_params || !id_valid(c->req->params[i]))
        return NULL;
    char *id = arena_alloc(c->a, ID_LEN + 1);
    id_normalize(c->req->params[i], id);
    return id;
}

enum err call_read(struct call *c, store_fn fn, void *arg)
{
    if (c->tx)
        return fn(c->tx, arg);
    return store_read(c->api->store, fn, arg);
}

/* A finished write becomes the call's response, or its error. */
static enum err write_answer(struct call *c, struct store_write *w, enum err rc)
{
    if (rc) {
        free(w->body);
        w->body = NULL;
        if (rc == ERR_UNAUTHORIZED && w->client_id)
            return auth_revoked(c);
        if (rc == ERR_IDEMPOTENCY_CONFLICT)
            return call_fail(c, rc, NULL,
                             "Idempotency-Key was already used with a different request");
        return rc;
    }
    if (w->replayed)
        req_add_header(c->req, "Idempotent-Replayed", "true");
    req_respond(c->req, w->status, w->body, w->body ? strlen(w->body) : 0);
    return ERR_OK;
}

/* On the store's writer thread: the end of a deferred call_write. */
static void write_done(struct store_write *w, enum err rc, void *arg)
{
    struct call *c = arg;
    api_call_end(c, write_answer(c, w, rc));
    req_resume(c->req);
}

enum err call_write(struct call *c, store_fn fn,
                    void (*render)(void *arg, int *status, char **body), void *arg)
{
    struct store_write *w = arena_zalloc(c->a, sizeof(*w));
    *w = (struct store_write){.fn = fn,
                              .arg = arg,
                              .render = render,
                              .account_id = c->account,
                              .actor_id = c->client_id,
                              .trace_id = c->req->request_id,
                              .dry_run = c->dry_run};
    if (c->client_unconfirmed && !c->tx) {
        /* The write itself confirms the client (auth_check). */
        w->client_id = c->client_id;
        c->client_unconfirmed = false;
    }
    if (c->idem_key) {
        w->idem_key = c->idem_key;
        memcpy(w->idem_hash, c->idem_hash, IDEM_HASH_LEN);
    }
    if (c->may_defer) {
        /* Suspended first: the writer may answer before this returns. */
        req_suspend(c->req);
        c->deferred = true;
        store_write_async(c->api->store, w, write_done, c);
        return ERR_OK;
    }
    return write_answer(c, w, store_write(c->api->store, w));
}

enum err call_bool_param(struct call *c, const char *name, bool def, bool *out)
{
    const char *v = req_query(c->req, name);
    if (!v) {
        *out = def;
        return ERR_OK;
    }
    if (strcmp(v, "true") == 0) {
        *out = true;
        return ERR_OK;
    }
    if (strcmp(v, "false") == 0) {
        *out = false;
        return ERR_OK;
    }
    return call_fail(c, ERR_PARAM_INVALID, name, "%s must be true or false", name);
}

/*
 * Cursors are base64url of a small JSON object naming the sort, the order,
 * and the row's sort key and id. Opaque to clients; checked on the way back
 * so that a cursor from one sort cannot be used with another.
 */
const char *page_cursor(struct call *c, const char *sort, bool desc, const char *key,
                        const char *id, bool want)
{
    if (!want)
        return NULL;
    /* Lists keyed by id alone have no key: "k" is left out. */
    json_t *j = json_pack("{s:s,s:s,s:s}", "s", sort, "o", desc ? "DESC" : "ASC", "i", id);
    if (key)
        json_object_set_new(j, "k", json_string(key));
    char *txt = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    size_t n = strlen(txt);
    size_t cap = n * 4 / 3 + 4;
    char *out = arena_alloc(c->a, cap);
    secret_b64url_encode(txt, n, out, cap);
    free(txt);
    return out;
}

enum err page_cursor_decode(const char *text, const char *sort, bool desc, struct arena *a,
                            struct page_query *pq, const char **why)
{
    size_t len = strlen(text);
    char raw[1024];
    long n = len < 1300 ? secret_b64url_decode(text, len, raw, sizeof(raw) - 1) : -1;
    if (n < 0) {
        *why = "is not a cursor this API issued";
        return ERR_CURSOR_INVALID;
    }
    raw[n] = '\0';
    json_t *j = json_loads(raw, JSON_REJECT_DUPLICATES, NULL);
    const char *s = NULL, *o = NULL, *k = NULL, *i = NULL;
    enum err rc = ERR_OK;
    json_t *kv = j ? json_object_get(j, "k") : NULL;
    bool k_ok = !kv || json_is_null(kv) || json_is_string(kv);
    if (kv && json_is_string(kv))
        k = json_string_value(kv);
    if (!j || !k_ok || json_unpack(j, "{s:s,s:s,s:s}", "s", &s, "o", &o, "i", &i) != 0 ||
        !id_valid(i)) {
        *why = "is not a cursor this API issued";
        rc = ERR_CURSOR_INVALID;
    } else if (strcmp(s, sort) != 0 || strcmp(o, desc ? "DESC" : "ASC") != 0) {
        *why = "was issued for another sortBy or sortOrder";
        rc = ERR_CURSOR_INVALID;
    } else {
        pq->has_cursor = true;
        pq->cursor_key = k ? arena_strdup(a, k) : NULL;
        id_normalize(i, pq->cursor_id);
    }
    json_decref(j);
    return rc;
}

static enum err decode_cursor(struct call *c, const char *name, const char *text, const char *sort,
                              bool desc, struct page_query *pq)
{
    const char *why = NULL;
    enum err rc = page_cursor_decode(text, sort, desc, c->a, pq, &why);
    if (rc)
        return call_fail(c, rc, name, "%s %s", name, why);
    return ERR_OK;
}

enum err call_page(struct call *c, const char *sort, bool desc, struct page_query *pq)
{
    memset(pq, 0, sizeof(*pq));
    pq->limit = 20;
    pq->desc = desc;
    const char *lim = req_query(c->req, "limit");
    if (lim) {
        char *end;
        long v = strtol(lim, &end, 10);
        if (*lim == '\0' || *end != '\0' || v < 1 || v > 100)
            return call_fail(c, ERR_PARAM_INVALID, "limit",
                             "limit must be a whole number from 1 to 100");
        pq->limit = (int)v;
    }
    const char *after = req_query(c->req, "after");
    const char *before = req_query(c->req, "before");
    if (after && before)
        return call_fail(c, ERR_PARAM_INVALID, "before", "use either after or before, not both");
    if (after) {
        pq->cursor_after = true;
        return decode_cursor(c, "after", after, sort, desc, pq);
    }
    if (before)
        return decode_cursor(c, "before", before, sort, desc, pq);
    return ERR_OK;
}
