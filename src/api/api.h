/*
 * The application: the route table, the checks every route shares, and
 * one handler per operation. A handler gets a `struct call` whose common
 * checks have passed (credentials, version, JSON body, Idempotency-Key),
 * does its work through the store, and either sets the response and returns
 * ERR_OK or returns an error (with detail set by call_fail) that the
 * dispatcher renders from the error table.
 */
#ifndef KINSHIP_API_H
#define KINSHIP_API_H

#include <stdbool.h>

#include "../core/config.h"
#include "../core/err.h"
#include "../domain/parse.h" /* and with it jansson's json_t: only src/domain includes jansson */
#include "../http/req.h"
#include "../http/router.h"
#include "../rules/rules.h"
#include "../store/store.h"

#define API_VERSION "2024-07-30"

struct workq;
struct metrics;
struct ratelimit;
struct http_server;
struct auth_cache;
struct throttle;

struct api {
    struct store *store;
    const struct config *cfg;
    struct workq *workers;
    /* List pages run here, one thread per core, in arrival order (NULL:
     * on the polling threads). */
    struct workq *page_workers;
    /* Run every request that touches the store on a worker. Off: reads
     * run on the polling threads, on PostgreSQL too, where a read is one
     * round trip (serve.c says why). */
    bool defer_all;
    /* The store commits writes without a waiting thread (SQLite): writes
     * run inline like reads, and the writer thread answers them. */
    bool async_writes;
    struct metrics *metrics;
    struct ratelimit *ratelimit; /* NULL: off */
    struct http_server *server;  /* for requests in flight */
    /* API clients already seen (auth.c), so that a read checks only that
     * its client is still active; NULL: every request looks its client up. */
    struct auth_cache *auth_cache;
    struct throttle *throttle; /* failed authentication (throttle.h); NULL: off */
    const char *openapi;       /* the OpenAPI document served at /openapi.json */
    size_t openapi_len;
};

struct call {
    struct api *api;
    struct req *req;
    struct arena *a;
    const char *account; /* the caller's account id */
    const char *client_id;
    json_t *body; /* the parsed JSON body, with ROUTE_JSON_BODY */
    const char *idem_key;
    uint8_t idem_hash[IDEM_HASH_LEN];
    bool dry_run; /* ?dryRun=true: call_write rolls the write back */
    /* error detail */
    const char *err_field;
    char err_msg[256];
    json_t *err_detail; /* extra members of the error object */
    /* call_write may queue the write and return before it is done (the
     * call runs inline and the store writes asynchronously). */
    bool may_defer;
    bool deferred; /* it did: the writer thread ends the call */
    /* A read request's one transaction, from the credentials check to the
     * answer: call_read and auth_check use it when set. */
    struct store_tx *tx;
    bool ran; /* the checks and the handler ran (inside tx) */
    /* auth_check found the client in the cache and left whether it is
     * still active to store_client_confirm (dispatch.c asks after the
     * handler, and answers 401 in place of its answer when it is not), or,
     * in a write, to the store's write itself (call_write hands it over). */
    bool client_unconfirmed;
    int64_t queued_us; /* when the call was queued for a worker */
};

typedef enum err (*api_handler)(struct call *c);

/* Route flags: the common checks a route asks for. */
enum {
    ROUTE_AUTH = 1u << 0,       /* Basic credentials */
    ROUTE_VERSIONED = 1u << 1,  /* Sequence-Version */
    ROUTE_JSON_BODY = 1u << 2,  /* a JSON object body */
    ROUTE_IDEMPOTENT = 1u << 3, /* honours Idempotency-Key */
    ROUTE_WRITE = 1u << 4,      /* changes data: runs on a worker */
    ROUTE_EXTENSION = 1u << 5,  /* kinship's, not Sequence's */
    ROUTE_NO_STORE = 1u << 6,   /* never touches the store: always answered inline */
    ROUTE_PAGE = 1u << 7,       /* a page of items: runs on a worker, even on SQLite */
    ROUTE_DRY_RUN = 1u << 8,    /* a write that answers ?dryRun=true (docs/hierarchy.md) */
};

#define ROUTE_API (ROUTE_AUTH | ROUTE_VERSIONED)

extern const struct route api_routes[];
extern const size_t api_routes_count;

/* http callbacks (ud is the struct api). */
void api_handle(struct req *r, void *ud);
void api_early_error(struct req *r, enum err e, void *ud);
void api_complete(struct req *r, void *ud);

/* ---- helpers for handlers (common.c) ---- */

enum err call_fail(struct call *c, enum err e, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
enum err call_fail_verr(struct call *c, enum err e, const struct verr *ve);
/* ERR_OK when `customer` (NULL: the path held no id) is one of the caller's
 * customers, else ERR_NOT_FOUND "no such customer"; or the store's error. */
enum err call_customer_exists(struct call *c, struct store_tx *tx, const char *customer);
/*
 * The error answer of a broken organization rule (src/rules): type and
 * message from the verdict, its field, and the ids at fault as
 * `customerIds` (R1: the existing `organizationId`). Returns rc. When no
 * rule was broken (verdict->rule is NULL: a store error), returns rc alone.
 */
enum err call_fail_verdict(struct call *c, enum err rc, const struct rules_verdict *v);
/* R8's bounds, from the server's settings. */
struct rules_limits call_limits(const struct call *c);
/* Adds a member to the error object (takes the reference). */
void call_detail(struct call *c, const char *key, json_t *value);
/* Responds with `body` rendered (takes the reference). */
void call_json(struct call *c, int status, json_t *body);
/* json_dumps for responses: compact; malloc'd; length in *len. */
char *api_dump(const json_t *j, size_t *len);
/* Path parameter i as a normalized id, or NULL when it cannot be an id. */
const char *call_id_param(struct call *c, int i);
enum err call_read(struct call *c, store_fn fn, void *arg);
/*
 * Runs fn atomically with the call's Idempotency-Key; render produces the
 * answer (in the transaction), which becomes the response. A replay sets
 * the header Idempotent-Replayed: true.
 *
 * With c->may_defer the write may only be queued: the request is suspended,
 * c->deferred is set, ERR_OK returned, and the store's writer thread ends
 * the call (api_call_end) and resumes the request. So a handler returns
 * call_write's answer and touches nothing after it, and `arg`, like all
 * fn reads, lives in the call's arena, not on the handler's stack.
 */
enum err call_write(struct call *c, store_fn fn,
                    void (*render)(void *arg, int *status, char **body), void *arg);
/* The end of every call: the error response for rc (when not ERR_OK) and
 * the release of the parsed body. */
void api_call_end(struct call *c, enum err rc);
/*
 * Answer sizes (the answer_limit setting). Customers embed their
 * organizations whole, so an answer can be far larger than anything its
 * request says; none is ever sent cut short. Twice guarded: before the
 * store reads the organizations, call_answer_fits compares a floor of the
 * answer's size, counted by the store (store_*_extent), with the limit; and
 * every text renderer writes into a buffer bounded by the limit, which
 * refuses the answer whole if it still does not fit (escaped names can
 * make it larger than its floor).
 *
 * `page_limit` is the list's limit parameter (0 for an answer that is not
 * a page): a page of more than one item is told to ask for fewer; a single
 * item, which cannot be asked for in parts, is told that the operator can
 * raise the limit.
 */
size_t call_answer_limit(const struct call *c);
/* 422 AnswerTooLarge, with answerLimit and (when at_least > 0)
 * answerSizeAtLeast in the error object. Returns the error. */
enum err call_answer_too_large(struct call *c, int page_limit, int64_t at_least);
/* ERR_OK when answers embedding `e` may fit, else call_answer_too_large.
 * call_extent_start readies `e` for the store's store_*_extent calls (the
 * limit they hold the answer to). */
struct org_extent;
void call_extent_start(struct call *c, struct org_extent *e);
enum err call_answer_fits(struct call *c, const struct org_extent *e, int page_limit);
/* `rc` of the read that followed a store_*_extent call: when the store
 * refused it there (ERR_ANSWER_TOO_LARGE, store_extent_refused), the same
 * refusal as call_answer_fits'; else rc. */
struct store_tx;
enum err call_answer_read(struct call *c, struct store_tx *tx, enum err rc, int page_limit);
/* Answers `body` (a renderer's text, taken over), or AnswerTooLarge when
 * the renderer returned NULL for passing the limit. */
enum err call_answer_text(struct call *c, int status, char *body, size_t len);
/* A list page, {"items":[...],"pagination":{...}}, written as text into
 * one buffer bounded by the answer limit: call_page_begin starts it, the
 * caller appends the items (comma-separated JSON), call_page_end closes it
 * and answers 200 with it (taking the buffer over), or, when an append did
 * not fit, frees it and returns AnswerTooLarge. Pages are the largest
 * answers: their items skip jansson's objects, and the body is never
 * copied whole. */
struct buf;
void call_page_begin(struct call *c, struct buf *b);
enum err call_page_end(struct call *c, struct buf *b, int page_limit, const char *after,
                       const char *before, int64_t total);
/* Answers 200 with {"items": items, "pagination"} (takes the reference)
 * for a list keyed by id alone in `desc` order whose page runs from the
 * id `first` to `last` (NULL: an empty page). */
void call_page_json(struct call *c, json_t *items, const char *first, const char *last, bool desc,
                    const struct page_result *pr);
/* Renders `j` into status/body for call_write's render callbacks. */
void render_json(json_t *j, int status, int *out_status, char **out_body);

/* Pagination: limit (1-100, default 20) and after/before cursors for a
 * list sorted by `sort` in `desc` order. */
enum err call_page(struct call *c, const char *sort, bool desc, struct page_query *pq);
/*
 * The pure half of call_page's cursor check: decodes the text of an
 * `after`/`before` cursor for a list sorted by `sort` in `desc` order and
 * sets pq->has_cursor, pq->cursor_key (in arena a; NULL when the list has no
 * key) and pq->cursor_id. ERR_CURSOR_INVALID when the text is not a cursor
 * page_cursor issued, or was issued for another sort or order; *why then
 * says which (a phrase to follow the parameter's name, quoting no input).
 */
enum err page_cursor_decode(const char *text, const char *sort, bool desc, struct arena *a,
                            struct page_query *pq, const char **why);
/* The cursor text for a row; NULL when `want` is false. */
const char *page_cursor(struct call *c, const char *sort, bool desc, const char *key,
                        const char *id, bool want);
/* Query flag parsing: "true"/"false" (absent: def). */
enum err call_bool_param(struct call *c, const char *name, bool def, bool *out);

/* ---- handlers ---- */

enum err api_customers_create(struct call *c);
enum err api_customers_get(struct call *c);
enum err api_customers_update(struct call *c);
enum err api_customers_list(struct call *c);
enum err api_customers_archive(struct call *c);
enum err api_customers_by_alias(struct call *c);
enum err api_customers_property_keys(struct call *c);

enum err api_contacts_list(struct call *c);
enum err api_contacts_create(struct call *c);
enum err api_contacts_update(struct call *c);
enum err api_contacts_archive(struct call *c);

enum err api_aliases_list(struct call *c);
enum err api_aliases_create(struct call *c);
enum err api_aliases_update(struct call *c);
enum err api_aliases_delete(struct call *c);
enum err api_aliases_for_customer(struct call *c);

enum err api_orgs_create(struct call *c);
enum err api_orgs_get(struct call *c);
enum err api_orgs_list(struct call *c);
enum err api_orgs_delete(struct call *c);
enum err api_orgs_members_add(struct call *c);
enum err api_orgs_members_replace(struct call *c);
enum err api_orgs_member_remove(struct call *c);

/* notifications.c, activity.c */
enum err api_policies_list(struct call *c);
enum err api_policies_create(struct call *c);
enum err api_policies_get(struct call *c);
enum err api_policies_delete(struct call *c);
enum err api_policies_types_add(struct call *c);
enum err api_policies_type_remove(struct call *c);
enum err api_policies_recipients_add(struct call *c);
enum err api_policies_recipient_remove(struct call *c);
enum err api_activity_list(struct call *c);
enum err api_activity_get(struct call *c);
/* tree.c: the hierarchy as a tree (kinship extensions) */
enum err api_tree_ancestors(struct call *c);
enum err api_tree_descendants(struct call *c);
enum err api_tree_organization(struct call *c);

enum err api_ops_healthz(struct call *c);
enum err api_ops_readyz(struct call *c);
enum err api_ops_openapi(struct call *c);
enum err api_ops_metrics(struct call *c);

/*
 * auth.c: checks the Authorization header; sets c->account. With a cache,
 * a client seen before is not looked up: its secret is checked against the
 * cached hash, and whether it is still active is left for later
 * (c->client_unconfirmed): in a read's transaction (c->tx) to
 * store_client_confirm, which the backend may answer from the read's own
 * round trip; in a write to the store's write (store_write's client_id).
 */
enum err auth_check(struct call *c);
/* An empty cache of API clients (account and secret hash by client id;
 * never a revocation: that is always asked of the store). Thread-safe. */
struct auth_cache *auth_cache_create(void);
/* NULL is a no-op. */
void auth_cache_destroy(struct auth_cache *ac);
/* The answer to a call whose client auth_check found revoked after the
 * fact: 401 as auth_check answers it (the caller renders the error). */
enum err auth_revoked(struct call *c);

/* Longest decoded Basic credentials (clientId:clientSecret), in bytes. */
#define AUTH_BASIC_MAX 255

/*
 * The pure half of auth_check: parses an Authorization header value into
 * the client id (normalized, NUL-terminated) and the secret's bytes (not
 * NUL-terminated; *secret_len of them, at most cap). Looks nothing up.
 * ERR_UNAUTHORIZED when the value is not the Basic scheme, not base64, not
 * clientId:clientSecret, or names no well-formed client id; *why then says
 * which, in words that quote nothing of the header. The caller wipes
 * `secret` (secret_wipe) when done with it.
 */
enum err auth_parse_basic(const char *header, char client_id[ID_LEN + 1], char *secret, size_t cap,
                          size_t *secret_len, const char **why);

#endif
