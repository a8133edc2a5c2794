/* The adapter-independent half of struct req. */
#include "req.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

void req_respond(struct req *r, int status, char *body, size_t len)
{
    free(r->resp_body);
    r->status = status;
    r->resp_body = body;
    r->resp_len = body ? len : 0;
}

void req_add_header(struct req *r, const char *name, const char *value)
{
    if (r->n_resp_headers >= REQ_MAX_HEADERS)
        return;
    r->resp_headers[r->n_resp_headers][0] = name;
    r->resp_headers[r->n_resp_headers][1] = value;
    r->n_resp_headers++;
}

void req_set_header(struct req *r, const char *name, const char *value)
{
    for (int i = 0; i < r->n_resp_headers; i++)
        if (strcasecmp(r->resp_headers[i][0], name) == 0) {
            r->resp_headers[i][1] = value;
            return;
        }
    req_add_header(r, name, value);
}

enum http_method http_method_parse(const char *s)
{
    static const struct {
        const char *name;
        enum http_method m;
    } methods[] = {
        {"GET", HTTP_GET},         {"HEAD", HTTP_HEAD},     {"POST", HTTP_POST},
        {"PUT", HTTP_PUT},         {"DELETE", HTTP_DELETE}, {"PATCH", HTTP_PATCH},
        {"OPTIONS", HTTP_OPTIONS},
    };
    for (size_t i = 0; i < sizeof(methods) / sizeof(*methods); i++)
        if (strcmp(s, methods[i].name) == 0)
            return methods[i].m;
    return HTTP_OTHER;
}
