/*
 * Serves the console's embedded files. Everything the console shows it
 * reads from the API with the key its user typed; this file holds no state
 * and reads no store. The policy lets the page load only its own files and
 * talk only to this server: no inline script or style, no frames, no other
 * origin.
 */
#include "api.h"
#include "console.h"

#include <stdlib.h>
#include <string.h>

static const char policy[] = "default-src 'self'; script-src 'self'; style-src 'self'; "
                             "img-src 'self' data:; connect-src 'self'; object-src 'none'; "
                             "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

static enum err serve(struct call *c, const char *name)
{
    for (size_t i = 0; i < console_assets_count; i++) {
        const struct console_asset *f = &console_assets[i];
        if (strcmp(f->name, name) != 0)
            continue;
        char *body = malloc(f->len + 1);
        if (!body)
            return ERR_INTERNAL;
        memcpy(body, f->data, f->len + 1);
        req_set_header(c->req, "Content-Type", f->type);
        req_set_header(c->req, "Content-Security-Policy", policy);
        req_set_header(c->req, "X-Content-Type-Options", "nosniff");
        req_set_header(c->req, "Referrer-Policy", "no-referrer");
        req_set_header(c->req, "X-Frame-Options", "DENY");
        req_respond(c->req, 200, body, f->len);
        return ERR_OK;
    }
    return call_fail(c, ERR_NOT_FOUND, NULL, "the console has no such file");
}

enum err api_console_index(struct call *c)
{
    return serve(c, "index.html");
}

enum err api_console_file(struct call *c)
{
    return serve(c, c->req->n_params > 0 ? c->req->params[0] : "");
}
