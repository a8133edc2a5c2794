/* Operational endpoints: liveness, readiness, metrics, the API document. */
#include "api.h"
#include "metrics.h"
#include "../http/server.h"

#include <stdlib.h>
#include <string.h>

enum err api_ops_healthz(struct call *c)
{
    call_json(c, 200, json_pack("{s:s}", "status", "ok"));
    return ERR_OK;
}

enum err api_ops_readyz(struct call *c)
{
    if (!store_ping(c->api->store))
        return call_fail(c, ERR_UNAVAILABLE, NULL, "the store does not answer");
    call_json(c, 200,
              json_pack("{s:s,s:s}", "status", "ready", "store", store_kind(c->api->store)));
    return ERR_OK;
}

enum err api_ops_metrics(struct call *c)
{
    struct buf b;
    buf_init(&b, 16 * 1024 * 1024);
    metrics_render(c->api->metrics, &b, c->api->server ? http_server_in_flight(c->api->server) : 0);
    struct store_stats st;
    store_stats(c->api->store, &st);
    metrics_render_store(&b, &st);
    if (b.failed) { /* never a page cut short */
        buf_fini(&b);
        return call_fail(c, ERR_INTERNAL, NULL, "the metrics do not fit in 16 MiB");
    }
    size_t len = b.len;
    req_respond(c->req, 200, buf_steal(&b), len);
    req_set_header(c->req, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    return ERR_OK;
}

enum err api_ops_openapi(struct call *c)
{
    if (!c->api->openapi)
        return call_fail(c, ERR_NOT_FOUND, NULL, "no OpenAPI document is loaded");
    char *doc = malloc(c->api->openapi_len + 1);
    if (!doc)
        return ERR_INTERNAL;
    memcpy(doc, c->api->openapi, c->api->openapi_len + 1);
    req_respond(c->req, 200, doc, c->api->openapi_len);
    return ERR_OK;
}
