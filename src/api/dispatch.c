/*
 * The dispatcher: the one place where a request meets the route table, the
 * common checks run (in the order the route's flags ask), and an error code
 * becomes a status and an error body.
 */
#include "api.h"
#include "metrics.h"
#include "ratelimit.h"
#include "../core/clock.h"
#include "../core/id.h"
#include "../core/log.h"
#include "../core/secret.h"
#include "../core/utf8.h"
#include "../core/workq.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void add_common_headers(struct req *r)
{
    req_add_header(r, "Content-Type", "application/json");
    req_add_header(r, "Sequence-Version", API_VERSION);
    req_add_header(r, "X-Request-Id", r->request_id);
    req_add_header(r, "Cache-Control", "no-store");
}

/* Renders the error body of `e` with the call's detail. */
static void respond_error(struct req *r, struct call *c, enum err e)
{
    json_t *err = json_object();
    json_object_set_new(err, "type", json_string(err_type(e)));
    const char *msg = c && c->err_msg[0] ? c->err_msg : err_message(e);
    json_object_set_new(err, "message", json_string(msg));
    if (c && c->err_field)
        json_object_set_new(err, "field", json_string(c->err_field));
    if (c && c->err_detail)
        json_object_update(err, c->err_detail);
    json_object_set_new(err, "requestId", json_string(r->request_id));
    json_t *body = json_pack("{s:o}", "error", err);
    size_t len;
    char *s = api_dump(body, &len);
    json_decref(body);
    req_respond(r, err_status(e), s, len);
    r->error_type = err_type(e);
    if (e == ERR_UNAVAILABLE)
        req_set_header(r, "Retry-After", "1");
}

static bool request_id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > REQUEST_ID_MAX)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.' && *s != ':')
            return false;
    return true;
}

static void set_request_id(struct req *r)
{
    const char *given = req_header(r, "X-Request-Id");
    if (given && request_id_ok(given))
        snprintf(r->request_id, sizeof(r->request_id), "%s", given);
    else
        id_new(r->request_id);
}

void api_early_error(struct req *r, enum err e, void *ud)
{
    (void)ud;
    set_request_id(r);
    add_common_headers(r);
    respond_error(r, NULL, e);
    /* The body was not read: the connection cannot be reused. */
    req_add_header(r, "Connection", "close");
}

static enum err check_version(struct call *c)
{
    const char *v = req_header(c->req, "Sequence-Version");
    if (!v || strcmp(v, API_VERSION) == 0)
        return ERR_OK;
    return call_fail(c, ERR_VERSION_UNKNOWN, NULL,
                     "Sequence-Version must be " API_VERSION " (or absent)");
}

static bool media_type_json(const char *ct)
{
    static const char want[] = "application/json";
    while (*ct == ' ')
        ct++;
    if (strncasecmp(ct, want, sizeof(want) - 1) != 0)
        return false;
    char next = ct[sizeof(want) - 1];
    return next == '\0' || next == ';' || next == ' ';
}

static enum err parse_body(struct call *c)
{
    struct req *r = c->req;
    const char *ct = req_header(r, "Content-Type");
    if (!r->body || r->body_len == 0)
        return call_fail(c, ERR_INVALID_JSON, NULL, "a JSON object body is required");
    if (ct && !media_type_json(ct))
        return call_fail(c, ERR_UNSUPPORTED_MEDIA_TYPE, NULL,
                         "Content-Type must be application/json");
    json_error_t je;
    c->body = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (!c->body)
        return call_fail(c, ERR_INVALID_JSON, NULL,
                         "request body is not valid JSON (line %d, column %d)", je.line, je.column);
    if (!json_is_object(c->body))
        return call_fail(c, ERR_INVALID_BODY, NULL, "request body must be a JSON object");
    return ERR_OK;
}

static enum err check_idempotency(struct call *c)
{
    const char *key = req_header(c->req, "Idempotency-Key");
    if (!key)
        return ERR_OK;
    size_t n = strlen(key);
    if (n == 0 || n > 255)
        return call_fail(c, ERR_IDEMPOTENCY_KEY_INVALID, "Idempotency-Key",
                         "Idempotency-Key must be 1 to 255 characters");
    for (const char *p = key; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
            return call_fail(c, ERR_IDEMPOTENCY_KEY_INVALID, "Idempotency-Key",
                             "Idempotency-Key must be printable ASCII");
    c->idem_key = key;
    /* The request is what the route and the body say, not how the body is
     * spelled: hash the canonical JSON. */
    const char *m = c->req->method_name;
    char *canon = c->body ? json_dumps(c->body, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    struct secret_part parts[] = {
        {m, strlen(m) + 1},
        {c->req->path, strlen(c->req->path) + 1},
        {canon, canon ? strlen(canon) : 0},
    };
    secret_hash_parts(parts, canon ? 3 : 2, c->idem_hash, IDEM_HASH_LEN);
    free(canon);
    return ERR_OK;
}

/*
 * ?dryRun=true on a write of ROUTE_DRY_RUN: every check and rule runs and
 * the answer is the write's, but the store rolls the write back. Not with
 * an Idempotency-Key (a dry run is not remembered, and a key's replay of a
 * dry run would be mistaken for the write). On any other write, dryRun is
 * refused, so that no client believes a real write was only tried.
 */
static enum err check_dry_run(struct call *c)
{
    const struct route *rt = c->req->route;
    if (!(rt->flags & ROUTE_DRY_RUN))
        return req_query(c->req, "dryRun")
                   ? call_fail(c, ERR_PARAM_INVALID, "dryRun", "this operation has no dry run")
                   : ERR_OK;
    enum err rc = call_bool_param(c, "dryRun", false, &c->dry_run);
    if (rc == ERR_OK && c->dry_run && c->idem_key)
        return call_fail(c, ERR_PARAM_INVALID, "dryRun",
                         "dryRun=true cannot be combined with Idempotency-Key");
    if (rc == ERR_OK && c->dry_run)
        req_add_header(c->req, "Kinship-Dry-Run", "true");
    return rc;
}

static bool is_text(const char *s)
{
    return utf8_valid(s, strlen(s));
}

/* The first query argument that is not UTF-8 text (the HTTP layer turns a
 * NUL into a byte UTF-8 never has). */
struct bad_arg {
    const char *name; /* its name, when the name is text */
    bool found;
};

static bool find_bad_arg(void *ud, const char *k, const char *v)
{
    struct bad_arg *b = ud;
    if (is_text(k) && is_text(v))
        return true;
    b->found = true;
    b->name = is_text(k) ? k : NULL;
    return false;
}

/*
 * Every path parameter and every query name and value must be UTF-8 text,
 * on every route, before anything else looks at them: PostgreSQL refuses
 * other bytes with an error (a 500 to the client), SQLite would store or
 * match them as they are. Checked whether or not the route reads the value,
 * so that the answer does not depend on which handler runs. The messages
 * name the parameter and quote none of its bytes.
 */
static enum err check_text(struct call *c)
{
    struct req *r = c->req;
    for (int i = 0; i < r->n_params; i++) {
        if (is_text(r->params[i]))
            continue;
        const char *name = router_param_name(r->route->pattern, i, c->a);
        return call_fail(c, ERR_PATH_PARAM_INVALID, name,
                         "the path parameter %s is not valid UTF-8 text", name ? name : "?");
    }
    struct bad_arg bad = {0};
    req_query_each(r, find_bad_arg, &bad);
    if (!bad.found)
        return ERR_OK;
    if (!bad.name)
        return call_fail(c, ERR_PARAM_INVALID, NULL,
                         "a query parameter's name is not valid UTF-8 text");
    return call_fail(c, ERR_PARAM_INVALID, bad.name, "%s is not valid UTF-8 text", bad.name);
}

static enum err check_fn(struct store_tx *tx, void *arg)
{
    enum err rc = store_client_check(tx, arg);
    return rc ? rc : store_client_confirm(tx);
}

/*
 * The end of a call whose client auth_check took from its cache: the
 * store says now whether the client was still active (on PostgreSQL from
 * the answer to a check sent with the read's statement). When it was not,
 * or the store cannot say, that is the answer, in place of the handler's:
 * its body and headers are dropped. A write that never reached the store
 * (refused before it) asks in a read of its own.
 */
static enum err confirm_client(struct call *c, int headers, enum err rc)
{
    c->client_unconfirmed = false;
    enum err cr = c->tx ? store_client_confirm(c->tx)
                        : store_read(c->api->store, check_fn, (void *)c->client_id);
    if (cr == ERR_OK)
        return rc;
    c->req->n_resp_headers = headers;
    req_respond(c->req, 500, NULL, 0);
    c->err_field = NULL;
    c->err_msg[0] = '\0';
    json_decref(c->err_detail);
    c->err_detail = NULL;
    return cr == ERR_UNAUTHORIZED ? auth_revoked(c) : cr;
}

/* Everything after routing: may wait on the store. */
static void run_checks(struct call *c)
{
    struct req *r = c->req;
    const struct route *rt = r->route;
    enum err rc = ERR_OK;
    int headers = r->n_resp_headers;
    if ((rt->flags & ROUTE_AUTH) && (rc = auth_check(c)))
        goto out;
    int retry_s = 1;
    if (c->client_id &&
        !ratelimit_take(c->api->ratelimit, c->client_id, clock_mono_us(), &retry_s)) {
        req_set_header(r, "Retry-After", arena_printf(c->a, "%d", retry_s));
        rc = call_fail(c, ERR_RATE_LIMITED, NULL, "rate limit of %ld requests a minute reached",
                       c->api->cfg->rate_limit);
        goto out;
    }
    if ((rt->flags & ROUTE_VERSIONED) && (rc = check_version(c)))
        goto out;
    if ((rt->flags & ROUTE_JSON_BODY) && (rc = parse_body(c)))
        goto out;
    if ((rt->flags & ROUTE_IDEMPOTENT) && (rc = check_idempotency(c)))
        goto out;
    if ((rt->flags & ROUTE_WRITE) && (rc = check_dry_run(c)))
        goto out;
    rc = ((api_handler)rt->handler)(c);
    /* A deferred write: the call is the writer thread's now (api_call_end). */
    if (c->deferred)
        return;
out:
    if (c->client_unconfirmed)
        rc = confirm_client(c, headers, rc);
    api_call_end(c, rc);
}

static enum err run_in_tx(struct store_tx *tx, void *arg)
{
    struct call *c = arg;
    c->tx = tx;
    c->ran = true;
    run_checks(c);
    c->tx = NULL;
    return ERR_OK;
}

/*
 * A read that needs credentials runs in one store transaction, the client
 * lookup included: one snapshot for the whole answer, and on SQLite one
 * pair of WAL read locks instead of two (they are system calls, and showed
 * in the profile of GET /customers/{id}).
 */
static void run(struct call *c)
{
    const struct route *rt = c->req->route;
    if (!(rt->flags & ROUTE_AUTH) || (rt->flags & ROUTE_WRITE)) {
        run_checks(c);
        return;
    }
    enum err rc = store_read(c->api->store, run_in_tx, c);
    if (rc && !c->ran)
        api_call_end(c, rc);
}

void api_call_end(struct call *c, enum err rc)
{
    if (rc)
        respond_error(c->req, c, rc);
    json_decref(c->body);
    c->body = NULL;
    json_decref(c->err_detail);
    c->err_detail = NULL;
}

/* On a worker. A call that waited in the queue longer than a store call
 * may wait for a connection is answered 503 with Retry-After, as the pool
 * would answer it: the queue is where requests wait when every worker (one
 * per connection on PostgreSQL) is busy. */
static void run_deferred(void *p)
{
    struct call *c = p;
    int64_t waited_us = clock_mono_us() - c->queued_us;
    if (c->queued_us && waited_us > (int64_t)c->api->cfg->busy_timeout_ms * 1000) {
        call_fail(c, ERR_UNAVAILABLE, NULL, "no worker was free within busy_timeout_ms");
        api_call_end(c, ERR_UNAVAILABLE);
    } else {
        run(c);
    }
    req_resume(c->req);
}

void api_handle(struct req *r, void *ud)
{
    struct api *api = ud;
    struct call *c = arena_zalloc(r->arena, sizeof(*c));
    c->api = api;
    c->req = r;
    c->a = r->arena;
    r->app = c;
    set_request_id(r);
    add_common_headers(r);

    char allow[64];
    const struct route *rt = NULL;
    switch (router_match(api_routes, api_routes_count, r->method, r->path, r->arena, &rt, r->params,
                         &r->n_params, allow, sizeof(allow))) {
    case ROUTE_NO_PATH:
        call_fail(c, ERR_ROUTE_NOT_FOUND, NULL, "no route for this path");
        respond_error(r, c, ERR_ROUTE_NOT_FOUND);
        return;
    case ROUTE_NO_METHOD:
        req_add_header(r, "Allow", arena_strdup(r->arena, allow));
        call_fail(c, ERR_METHOD_NOT_ALLOWED, NULL, "this path allows %s", allow);
        respond_error(r, c, ERR_METHOD_NOT_ALLOWED);
        return;
    case ROUTE_MATCHED:
        break;
    }
    r->route = rt;
    /* Answered inline: it needs no store and no credentials. */
    enum err rc = check_text(c);
    if (rc) {
        respond_error(r, c, rc);
        return;
    }
    /* Liveness, metrics and the document answer inline even when every
     * other request waits for a worker: a saturated pool must not make the
     * server look dead. */
    /* With asynchronous writes a write runs inline up to its commit, and
     * no thread waits for the commit (see call_write). */
    bool inline_write = (rt->flags & ROUTE_WRITE) && api->async_writes;
    /* A page (up to 100 customers, each with its organizations whole) may
     * take milliseconds: on a thread of its own it does not hold up the
     * polling thread's other connections. A few threads, not the 64
     * workers: 64 pages at once on 2 cores took turns and stretched the
     * p99 of each (180-260 ms against 65-95 ms). */
    if ((rt->flags & ROUTE_PAGE) && api->page_workers) {
        req_suspend(r);
        workq_submit(api->page_workers, run_deferred, c);
        return;
    }
    if (!inline_write &&
        ((rt->flags & ROUTE_WRITE) || (api->defer_all && !(rt->flags & ROUTE_NO_STORE)))) {
        req_suspend(r);
        c->queued_us = clock_mono_us();
        workq_submit(api->workers, run_deferred, c);
        return;
    }
    c->may_defer = inline_write;
    run(c);
}

/* The method as the access log shows it: the client chose its bytes, so
 * anything but a short HTTP token (RFC 9110 5.6.2) is logged as "-" and
 * cannot bloat the log or break a JSON line with bytes that are not
 * UTF-8. */
static const char *loggable_method(const char *m)
{
    if (!m || !*m || strlen(m) > 32)
        return "-";
    for (const char *p = m; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("!#$%&'*+-.^_`|~", *p))
            return "-";
    return m;
}

void api_complete(struct req *r, void *ud)
{
    struct api *api = ud;
    struct call *c = r->app;
    int64_t us = clock_mono_us() - r->start_us;
    const char *route = r->route ? r->route->name : "-";
    size_t idx = r->route ? (size_t)(r->route - api_routes) : api_routes_count;
    metrics_observe(api->metrics, idx, r->status, us);
    char status[8], dur[24];
    snprintf(status, sizeof(status), "%d", r->status);
    snprintf(dur, sizeof(dur), "%.3f", (double)us / 1000.0);
    log_kv(LOG_INFO, "request", "request_id", r->request_id[0] ? r->request_id : "-", "account",
           c && c->account ? c->account : "-", "method", loggable_method(r->method_name), "route",
           route, "status", status, "duration_ms", dur, "error",
           r->error_type ? r->error_type : "-", (const char *)NULL);
}
