/* The settings table and its loaders. */
#include "config.h"
#include "mem.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define OFF(f) offsetof(struct config, f)

const struct cfg_setting cfg_settings[] = {
    {"listen", CFG_STRING, "127.0.0.1:8080", 0, 0, NULL, OFF(listen),
     "address and port to listen on (HOST:PORT; port 0 picks a free one)"},
    {"db", CFG_STRING, "sqlite:data/kinship.db", 0, 0, NULL, OFF(db),
     "database URL: sqlite:PATH or postgresql://..."},
    {"threads", CFG_INT, "0", 0, 256, NULL, OFF(threads), "HTTP polling threads (0: one per core)"},
    {"workers", CFG_INT, "64", 1, 4096, NULL, OFF(workers),
     "worker threads for writes on PostgreSQL, at most pool_size of them (reads run on the "
     "polling threads; SQLite needs none)"},
    {"body_limit", CFG_INT, "1048576", 1024, 1073741824, NULL, OFF(body_limit),
     "largest request body in bytes (larger: 413)"},
    {"answer_limit", CFG_INT, "8388608", 65536, 1073741824, NULL, OFF(answer_limit),
     "largest answer body in bytes: a larger one is refused before its first byte (422 "
     "AnswerTooLarge), so no request holds more than about twice this much memory"},
    {"header_limit", CFG_INT, "32768", 4096, 1048576, NULL, OFF(header_limit),
     "bytes of request line and headers together (larger: 431)"},
    {"max_headers", CFG_INT, "64", 8, 1024, NULL, OFF(max_headers),
     "most request headers (more: 431)"},
    {"max_connections", CFG_INT, "1024", 1, 65536, NULL, OFF(max_connections),
     "most open client connections"},
    {"max_connections_per_ip", CFG_INT, "256", 0, 65536, NULL, OFF(max_connections_per_ip),
     "most open connections from one client address, so that one address cannot take every "
     "connection (0: no limit; behind a proxy every client has the proxy's address)"},
    {"idle_timeout", CFG_INT, "30", 1, 3600, NULL, OFF(idle_timeout),
     "seconds a connection may stay silent, mid-request included"},
    {"request_timeout", CFG_INT, "30", 1, 3600, NULL, OFF(request_timeout),
     "seconds a client may take to send one whole request (slow clients are cut off)"},
    {"pool_size", CFG_INT, "8", 1, 1024, NULL, OFF(pool_size),
     "database connections (PostgreSQL) or read connections (SQLite)"},
    {"busy_timeout_ms", CFG_INT, "5000", 10, 600000, NULL, OFF(busy_timeout_ms),
     "how long one store call may wait for a lock or a connection"},
    {"batch_max", CFG_INT, "256", 1, 65536, NULL, OFF(batch_max),
     "SQLite: most writes that share one durable commit"},
    {"checkpoint_pages", CFG_INT, "16000", 100, 1048576, NULL, OFF(checkpoint_pages),
     "SQLite: write-ahead log pages (4 KiB each) after which the log starts over; the log file "
     "keeps about that size"},
    {"org_cache", CFG_INT, "4", 0, 4096, NULL, OFF(org_cache),
     "SQLite: MiB of memory that keeps whole organizations between requests (0: off)"},
    {"members_per_request", CFG_INT, "1000", 1, 1000000, NULL, OFF(members_per_request),
     "most customer ids in one organization request (R8)"},
    {"members_per_organization", CFG_INT, "10000", 1, 10000000, NULL, OFF(members_per_organization),
     "most members of one organization (R8)"},
    /* the hierarchy's depth limit and tree reads (docs/hierarchy.md) */
    {"max_depth", CFG_INT, "64", 0, 100000, NULL, OFF(max_depth),
     "most owner -> member steps from a customer at the top of the hierarchy to any customer "
     "below it; a write that would go deeper is answered 409 HierarchyTooDeep (0: no limit)"},
    {"tree_nodes", CFG_INT, "10000", 1, 1000000, NULL, OFF(tree_nodes),
     "most customers one organization tree read answers (more: 400 LimitExceeded; page "
     "through /customers/{id}/descendants instead)"},
    {"rate_limit", CFG_INT, "0", 0, 1000000, NULL, OFF(rate_limit),
     "requests per minute per API client (0: off)"},
    {"auth_failures", CFG_INT, "20", 0, 1000000, NULL, OFF(auth_failures),
     "failed authentications from one address, or for one client id, within auth_window after "
     "which its tries are answered 429 until the window ends (0: off)"},
    {"auth_window", CFG_INT, "60", 1, 86400, NULL, OFF(auth_window),
     "seconds, from the first failure, over which auth_failures counts"},
    {"activity_retention_days", CFG_INT, "90", 0, 36500, NULL, OFF(activity_retention_days),
     "days the activity log keeps an entry (GET /activity-logs); older ones are purged a few at "
     "a time by later writes (0: kept for ever)"},
    {"log_format", CFG_ENUM, "logfmt", 0, 0, "logfmt|json", OFF(log_format),
     "access and event log format on stderr"},
    {"log_level", CFG_ENUM, "info", 0, 0, "debug|info|warn|error", OFF(log_level),
     "least severe event level logged"},
    /* The test twin (docs/console.md): for test suites, never production. */
    {"seed_demo", CFG_STRING, "", 0, 0, NULL, OFF(seed_demo),
     "test only: at start, fill this account with the demo hierarchy and print a new key "
     "(CLIENT_ID:SECRET) on stdout (empty: off)"},
    {"test_reset", CFG_ENUM, "off", 0, 0, "off|on", OFF(test_reset),
     "test only: POST /_kinship/reset empties the caller's account (off: the route is 404)"},
};

const size_t cfg_count = sizeof(cfg_settings) / sizeof(*cfg_settings);

static const struct cfg_setting *find(const char *name)
{
    for (size_t i = 0; i < cfg_count; i++) {
        const char *a = cfg_settings[i].name, *b = name;
        while (*a && (*a == *b || (*a == '_' && *b == '-'))) {
            a++;
            b++;
        }
        if (*a == '\0' && *b == '\0')
            return &cfg_settings[i];
    }
    return NULL;
}

static bool choice_ok(const char *choices, const char *v)
{
    size_t n = strlen(v);
    for (const char *p = choices; *p;) {
        size_t len = strcspn(p, "|");
        if (len == n && memcmp(p, v, n) == 0)
            return true;
        p += len;
        if (*p == '|')
            p++;
    }
    return false;
}

bool cfg_set(struct config *c, const char *name, const char *value, char *err, size_t cap)
{
    const struct cfg_setting *s = find(name);
    if (!s) {
        snprintf(err, cap, "unknown setting '%s'", name);
        return false;
    }
    char *field = (char *)c + s->offset;
    switch (s->type) {
    case CFG_STRING:
    case CFG_ENUM:
        if (s->type == CFG_ENUM && !choice_ok(s->choices, value)) {
            snprintf(err, cap, "%s must be one of %s", s->name, s->choices);
            return false;
        }
        /* Empty only where the default is: such a setting is off when empty. */
        if (s->type == CFG_STRING && *value == '\0' && *s->def != '\0') {
            snprintf(err, cap, "%s must not be empty", s->name);
            return false;
        }
        free(*(char **)field);
        *(char **)field = xstrdup(value);
        return true;
    case CFG_INT: {
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (errno || end == value || *end != '\0' || v < s->min || v > s->max) {
            snprintf(err, cap, "%s must be a whole number from %ld to %ld", s->name, s->min,
                     s->max);
            return false;
        }
        *(long *)field = v;
        return true;
    }
    }
    return false;
}

void cfg_init(struct config *c)
{
    memset(c, 0, sizeof(*c));
    char err[128];
    for (size_t i = 0; i < cfg_count; i++)
        if (!cfg_set(c, cfg_settings[i].name, cfg_settings[i].def, err, sizeof(err)))
            abort(); /* a default out of its own bounds is a programming error */
}

void cfg_fini(struct config *c)
{
    for (size_t i = 0; i < cfg_count; i++)
        if (cfg_settings[i].type != CFG_INT) {
            char **f = (char **)((char *)c + cfg_settings[i].offset);
            free(*f);
            *f = NULL;
        }
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

bool cfg_load_file(struct config *c, const char *path, char *err, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, cap, "cannot read config file %s: %s", path, strerror(errno));
        return false;
    }
    char line[4096];
    int lineno = 0;
    bool ok = true;
    while (ok && fgets(line, sizeof(line), f)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *l = trim(line);
        if (*l == '\0')
            continue;
        char *eq = strchr(l, '=');
        if (!eq) {
            snprintf(err, cap, "%s:%d: expected name = value", path, lineno);
            ok = false;
            break;
        }
        *eq = '\0';
        char *name = trim(l), *value = trim(eq + 1);
        size_t vl = strlen(value);
        if (vl >= 2 && value[0] == '"' && value[vl - 1] == '"') {
            value[vl - 1] = '\0';
            value++;
        }
        char sub[256];
        if (!cfg_set(c, name, value, sub, sizeof(sub))) {
            snprintf(err, cap, "%s:%d: %s", path, lineno, sub);
            ok = false;
        }
    }
    fclose(f);
    return ok;
}

void cfg_env_name(const char *name, char *out, size_t cap)
{
    size_t o = (size_t)snprintf(out, cap, "KINSHIP_");
    for (const char *p = name; *p && o + 1 < cap; p++)
        out[o++] = (char)toupper((unsigned char)*p);
    out[o < cap ? o : cap - 1] = '\0';
}

bool cfg_load_env(struct config *c, char *err, size_t cap)
{
    for (size_t i = 0; i < cfg_count; i++) {
        char env[64];
        cfg_env_name(cfg_settings[i].name, env, sizeof(env));
        const char *v = getenv(env);
        if (!v)
            continue;
        char sub[256];
        if (!cfg_set(c, cfg_settings[i].name, v, sub, sizeof(sub))) {
            snprintf(err, cap, "%s: %s", env, sub);
            return false;
        }
    }
    return true;
}

void cfg_usage(FILE *f)
{
    for (size_t i = 0; i < cfg_count; i++) {
        const struct cfg_setting *s = &cfg_settings[i];
        char flag[64], env[64];
        snprintf(flag, sizeof(flag), "--%s", s->name);
        for (char *p = flag; *p; p++)
            if (*p == '_')
                *p = '-';
        cfg_env_name(s->name, env, sizeof(env));
        fprintf(f, "  %-28s %s\n  %-28s default: %s; environment: %s\n", flag, s->help, "", s->def,
                env);
    }
}

bool cfg_split_listen(const char *s, char *host, size_t cap, int *port)
{
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s)
        return false;
    const char *h = s;
    size_t hl = (size_t)(colon - s);
    if (h[0] == '[') {
        if (hl < 2 || h[hl - 1] != ']')
            return false;
        h++;
        hl -= 2;
    }
    if (hl == 0 || hl >= cap)
        return false;
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end != '\0' || end == colon + 1 || p < 0 || p > 65535)
        return false;
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = (int)p;
    return true;
}
