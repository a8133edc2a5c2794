/*
 * HTTP Basic authentication: base64(clientId:clientSecret). The client is
 * looked up on every request (so a revocation takes effect at once) and the
 * secret's hash compared in constant time. No part of the credentials is
 * ever logged or echoed.
 */
#include "api.h"
#include "../core/secret.h"

#include <string.h>
#include <strings.h>

struct lookup {
    const char *client_id;
    char account[ID_LEN + 1];
    uint8_t hash[SECRET_HASH_LEN];
    int64_t revoked_at;
};

static enum err lookup_fn(struct store_tx *tx, void *arg)
{
    struct lookup *l = arg;
    return store_client_get(tx, l->client_id, l->account, l->hash, &l->revoked_at);
}

static enum err unauthorized(struct call *c, const char *why)
{
    req_add_header(c->req, "WWW-Authenticate", "Basic realm=\"kinship\"");
    return call_fail(c, ERR_UNAUTHORIZED, NULL, "%s", why);
}

enum err auth_parse_basic(const char *header, char client_id[ID_LEN + 1], char *secret, size_t cap,
                          size_t *secret_len, const char **why)
{
    if (strncasecmp(header, "Basic ", 6) != 0) {
        *why = "the Authorization scheme must be Basic";
        return ERR_UNAUTHORIZED;
    }
    const char *h = header + 6;
    while (*h == ' ')
        h++;
    size_t len = strlen(h);
    while (len && h[len - 1] == ' ')
        len--;
    char raw[AUTH_BASIC_MAX + 1];
    long n = len < 340 ? secret_b64_decode(h, len, raw, sizeof(raw) - 1) : -1;
    if (n < 0) {
        *why = "the Basic credentials are not valid base64";
        return ERR_UNAUTHORIZED;
    }
    raw[n] = '\0';
    enum err rc = ERR_UNAUTHORIZED;
    char *colon = memchr(raw, ':', (size_t)n);
    if (!colon || memchr(raw, '\0', (size_t)n)) {
        *why = "the Basic credentials must be clientId:clientSecret";
        goto out;
    }
    *colon = '\0';
    const char *given = colon + 1;
    size_t given_len = (size_t)n - (size_t)(given - raw);
    if (!id_valid(raw) || given_len > cap) {
        *why = "unknown or revoked API client";
        goto out;
    }
    id_normalize(raw, client_id);
    memcpy(secret, given, given_len);
    *secret_len = given_len;
    rc = ERR_OK;
out:
    secret_wipe(raw, sizeof(raw));
    return rc;
}

enum err auth_check(struct call *c)
{
    const char *h = req_header(c->req, "Authorization");
    if (!h)
        return unauthorized(c, "credentials are required (HTTP Basic: client id and secret)");
    char id[ID_LEN + 1];
    char secret[AUTH_BASIC_MAX];
    size_t secret_len = 0;
    const char *why = NULL;
    enum err rc = auth_parse_basic(h, id, secret, sizeof(secret), &secret_len, &why);
    if (rc) {
        rc = unauthorized(c, why);
        goto out;
    }
    struct lookup l = {0};
    l.client_id = id;
    uint8_t given[SECRET_HASH_LEN];
    secret_hash(secret, secret_len, given);
    rc = c->tx ? lookup_fn(c->tx, &l) : store_read(c->api->store, lookup_fn, &l);
    if (rc == ERR_NOT_FOUND ||
        (rc == ERR_OK && (!secret_hash_equal(given, l.hash) || l.revoked_at))) {
        rc = unauthorized(c, "unknown or revoked API client");
        goto out;
    }
    if (rc)
        goto out;
    c->account = arena_strdup(c->a, l.account);
    c->client_id = arena_strdup(c->a, id);
    c->req->account_id = c->account;
out:
    secret_wipe(secret, sizeof(secret));
    return rc;
}
