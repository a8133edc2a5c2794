/*
 * HTTP Basic authentication: base64(clientId:clientSecret). The secret's
 * hash is compared in constant time, and every request asks the store
 * whether its client is still active, so a revocation takes effect at once,
 * whichever process made it. A client's account and secret hash never
 * change: a request whose client is in the cache asks only that question,
 * inside its read or write, and on PostgreSQL the store folds it into the
 * request's first round trip. No part of the credentials is ever logged or
 * echoed. Credentials that fail are counted per address and per client id,
 * and past a threshold tries are answered 429 without a lookup (throttle.h
 * says how a legitimate client keeps its access meanwhile); a request
 * without credentials is not a try.
 */
#include "api.h"
#include "throttle.h"
#include "../core/clock.h"
#include "../core/mem.h"
#include "../core/secret.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the cache: direct-mapped, a newer client takes its slot ---- */

#define CACHE_SLOTS 4096

struct cache_slot {
    bool used;
    char id[ID_LEN + 1];
    char account[ID_LEN + 1];
    uint8_t hash[SECRET_HASH_LEN];
};

struct auth_cache {
    pthread_mutex_t mu;
    struct cache_slot slots[CACHE_SLOTS];
};

struct auth_cache *auth_cache_create(void)
{
    struct auth_cache *ac = xcalloc(1, sizeof(*ac));
    pthread_mutex_init(&ac->mu, NULL);
    return ac;
}

void auth_cache_destroy(struct auth_cache *ac)
{
    if (!ac)
        return;
    pthread_mutex_destroy(&ac->mu);
    secret_wipe(ac->slots, sizeof(ac->slots));
    free(ac);
}

static struct cache_slot *cache_slot(struct auth_cache *ac, const char *id)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const char *p = id; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return &ac->slots[h % CACHE_SLOTS];
}

static bool cache_get(struct auth_cache *ac, const char *id, char account[ID_LEN + 1],
                      uint8_t hash[SECRET_HASH_LEN])
{
    pthread_mutex_lock(&ac->mu);
    struct cache_slot *s = cache_slot(ac, id);
    bool hit = s->used && strcmp(s->id, id) == 0;
    if (hit) {
        memcpy(account, s->account, ID_LEN + 1);
        memcpy(hash, s->hash, SECRET_HASH_LEN);
    }
    pthread_mutex_unlock(&ac->mu);
    return hit;
}

static void cache_put(struct auth_cache *ac, const char *id, const char *account,
                      const uint8_t hash[SECRET_HASH_LEN])
{
    pthread_mutex_lock(&ac->mu);
    struct cache_slot *s = cache_slot(ac, id);
    s->used = true;
    snprintf(s->id, sizeof(s->id), "%s", id);
    snprintf(s->account, sizeof(s->account), "%s", account);
    memcpy(s->hash, hash, SECRET_HASH_LEN);
    pthread_mutex_unlock(&ac->mu);
}

static void cache_drop(struct auth_cache *ac, const char *id)
{
    pthread_mutex_lock(&ac->mu);
    struct cache_slot *s = cache_slot(ac, id);
    if (s->used && strcmp(s->id, id) == 0)
        memset(s, 0, sizeof(*s));
    pthread_mutex_unlock(&ac->mu);
}

/* ---- the check ---- */

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

/* A failed try: counted against the address and, when the credentials
 * named one, the client id (throttle.h), then answered 401. `known` is the
 * client's real secret hash when it was found. */
static enum err refused(struct call *c, const char *id, const uint8_t *known, const char *why)
{
    throttle_fail(c->api->throttle, c->req->client_addr, id, known, clock_mono_us());
    return unauthorized(c, why);
}

/* A try refused by the throttle, before any store lookup. */
static enum err throttled(struct call *c, int retry_s, const char *whose)
{
    req_set_header(c->req, "Retry-After", arena_printf(c->a, "%d", retry_s));
    return call_fail(c, ERR_RATE_LIMITED, NULL,
                     "too many failed authentications %s; try again in %d s", whose, retry_s);
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
    int retry_s = 1;
    if (!throttle_addr_ok(c->api->throttle, c->req->client_addr, clock_mono_us(), &retry_s))
        return throttled(c, retry_s, "from this address");
    const char *h = req_header(c->req, "Authorization");
    if (!h)
        return unauthorized(c, "credentials are required (HTTP Basic: client id and secret)");
    char id[ID_LEN + 1];
    char secret[AUTH_BASIC_MAX];
    size_t secret_len = 0;
    const char *why = NULL;
    enum err rc = auth_parse_basic(h, id, secret, sizeof(secret), &secret_len, &why);
    if (rc) {
        rc = refused(c, NULL, NULL, why);
        goto out;
    }
    struct lookup l = {0};
    l.client_id = id;
    uint8_t given[SECRET_HASH_LEN];
    secret_hash(secret, secret_len, given);
    if (!throttle_id_ok(c->api->throttle, id, given, clock_mono_us(), &retry_s)) {
        throttle_fail(c->api->throttle, c->req->client_addr, NULL, NULL, clock_mono_us());
        rc = throttled(c, retry_s, "for this client id");
        goto out;
    }
    struct auth_cache *ac = c->api->auth_cache;
    bool write = c->req->route && (c->req->route->flags & ROUTE_WRITE);
    if ((c->tx || write) && ac && cache_get(ac, id, l.account, l.hash)) {
        if (!secret_hash_equal(given, l.hash)) {
            rc = refused(c, id, l.hash, "unknown or revoked API client");
            goto out;
        }
        rc = c->tx ? store_client_check(c->tx, id) : ERR_OK;
        if (rc == ERR_UNAUTHORIZED) {
            cache_drop(ac, id);
            rc = refused(c, id, l.hash, "unknown or revoked API client");
        }
        if (rc)
            goto out;
        c->client_unconfirmed = true;
    } else {
        rc = c->tx ? lookup_fn(c->tx, &l) : store_read(c->api->store, lookup_fn, &l);
        if (rc == ERR_NOT_FOUND ||
            (rc == ERR_OK && (!secret_hash_equal(given, l.hash) || l.revoked_at))) {
            rc = refused(c, id, rc == ERR_OK ? l.hash : NULL, "unknown or revoked API client");
            goto out;
        }
        if (rc)
            goto out;
        if (ac)
            cache_put(ac, id, l.account, l.hash);
    }
    c->account = arena_strdup(c->a, l.account);
    c->client_id = arena_strdup(c->a, id);
    c->req->account_id = c->account;
out:
    secret_wipe(secret, sizeof(secret));
    return rc;
}

enum err auth_revoked(struct call *c)
{
    if (c->api->auth_cache && c->client_id)
        cache_drop(c->api->auth_cache, c->client_id);
    return unauthorized(c, "unknown or revoked API client");
}
