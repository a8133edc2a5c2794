/*
 * Secrets never reach a log. A server at --log-level debug (so that
 * libmicrohttpd's own messages are logged too) serves good requests, a
 * wrong secret, a revoked key, malformed credentials and a key passed
 * around in other headers; then it is stopped and its whole log (the
 * `kinship keys` commands' stderr included) is searched for every secret
 * used, and for every Authorization value sent, in plain and base64 form.
 */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TestSuite(secrets, .timeout = 120);

#define MAX_SECRETS 32

struct secrets {
    char text[MAX_SECRETS][512];
    int n;
};

/* Remembers a CLIENT_ID:SECRET key: the secret, and the Authorization
 * value built from it. */
static void remember_key(struct secrets *s, const char *key)
{
    const char *secret = strchr(key, ':') + 1;
    snprintf(s->text[s->n++], sizeof(s->text[0]), "%s", secret);
    b64_encode(key, s->text[s->n++]);
}

static void expect(struct server *srv, const char *key, const char *path, long status)
{
    struct resp *r = req_as(srv, key, "GET", path, NULL, NULL);
    cr_assert_eq(r->status, status, "GET %s: %ld %s", path, r->status, r->body);
    cr_assert(!strstr(r->body, key ? strchr(key, ':') + 1 : "\x01"), "an answer echoes a secret");
    resp_free(r);
}

Test(secrets, no_secret_reaches_the_log)
{
    struct server srv;
    const char *extra[] = {"--log-level", "debug", NULL};
    server_start(&srv, extra);
    struct secrets s = {0};
    remember_key(&s, srv.key);

    /* Good requests, reads and writes. */
    expect(&srv, srv.key, "/customers", 200);
    char *id = make_customer(&srv, NULL, "Secretive Ltd");
    free(id);

    /* A second account's key. */
    char other[256];
    server_new_key(&srv, "secrets-b", other, sizeof(other));
    remember_key(&s, other);
    expect(&srv, other, "/customers", 200);

    /* The right client id with a wrong secret. */
    char wrong[256];
    snprintf(wrong, sizeof(wrong), "%.*s:%s", (int)(strchr(srv.key, ':') - srv.key), srv.key,
             "WrongSecretWrongSecretWrongSecretWrongSecr");
    remember_key(&s, wrong);
    expect(&srv, wrong, "/customers", 401);

    /* A revoked key, used after the revocation. */
    char revoked[256];
    server_new_key(&srv, "secrets-revoked", revoked, sizeof(revoked));
    remember_key(&s, revoked);
    expect(&srv, revoked, "/customers", 200);
    char cid[64];
    snprintf(cid, sizeof(cid), "%.*s", (int)(strchr(revoked, ':') - revoked), revoked);
    const char *args[] = {"keys", "revoke", cid, NULL};
    cr_assert_eq(kinship_cmd(&srv, args, NULL, 0), 0);
    expect(&srv, revoked, "/customers", 401);

    /* Malformed credentials carrying secret-looking text. */
    const char *raw_secret = "PlainTextSecretNotBase64PlainTextSecretNot";
    snprintf(s.text[s.n++], sizeof(s.text[0]), "%s", raw_secret);
    char h1[1024], h2[1024], h3[1024], enc[512];
    snprintf(h1, sizeof(h1), "Authorization: Basic %s", raw_secret);
    snprintf(h2, sizeof(h2), "Authorization: Bearer %s", raw_secret);
    b64_encode("not-a-uuid:NoUuidSecretNoUuidSecretNoUuidSecretNoUuid", enc);
    snprintf(s.text[s.n++], sizeof(s.text[0]), "%s", "NoUuidSecretNoUuidSecretNoUuidSecretNoUuid");
    snprintf(s.text[s.n++], sizeof(s.text[0]), "%s", enc);
    snprintf(h3, sizeof(h3), "Authorization: Basic %s", enc);
    const char *bad[] = {h1, h2, h3};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        const char *hs[] = {bad[i], NULL};
        struct resp *r = req_as(&srv, NULL, "GET", "/customers", NULL, hs);
        cr_assert_eq(r->status, 401, "%s: %ld", bad[i], r->status);
        cr_assert(!strstr(r->body, raw_secret), "the answer echoes the credentials");
        resp_free(r);
    }
    /* Credentials on requests refused before or after authentication:
     * 404, 405, 413-style early refusals, bad JSON. */
    expect(&srv, srv.key, "/no-such-route", 404);
    const char *many[80];
    char names[79][32];
    for (int i = 0; i < 79; i++) {
        snprintf(names[i], sizeof(names[i]), "X-Pad-%d: v", i);
        many[i] = names[i];
    }
    many[79] = NULL;
    struct resp *r = req(&srv, "GET", "/customers", NULL, many);
    cr_assert_eq(r->status, 431, "%ld", r->status);
    resp_free(r);
    r = req(&srv, "POST", "/customers", "{not json", NULL);
    cr_assert_eq(r->status, 400);
    resp_free(r);

    char *log = server_stop_log(&srv);
    cr_assert(strstr(log, "msg=request"), "the log has the access lines: %.400s", log);
    for (int i = 0; i < s.n; i++)
        cr_assert(!strstr(log, s.text[i]), "the log contains secret #%d (%.6s...)", i, s.text[i]);
    free(log);
}
