/*
 * Running kinship as a service: settings from file, environment and flags
 * (precedence, validation before the port opens, --help against the
 * documentation), /healthz and /readyz, the /metrics exposition, the
 * access log in both formats, and the keys and accounts commands.
 */
#include "harness.h"
#include "cmd.h"

#include <criterion/criterion.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TestSuite(ops, .timeout = 240);

static bool on_pg(void)
{
    const char *s = getenv("KINSHIP_TEST_STORE");
    return s && strcmp(s, "pg") == 0;
}

/* ---- health ---- */

Test(ops, healthz_and_readyz_answer_without_credentials)
{
    struct server srv;
    server_start(&srv, NULL);
    const char *bad_auth[] = {"Authorization: Basic bm9wZTpub3Bl", NULL};
    for (int with_bad_auth = 0; with_bad_auth < 2; with_bad_auth++) {
        const char *const *h = with_bad_auth ? bad_auth : NULL;
        struct resp *r = req_as(&srv, NULL, "GET", "/healthz", NULL, h);
        cr_assert_eq(r->status, 200, "%s", r->body);
        cr_assert_str_eq(jstr(r->json, "status"), "ok");
        cr_assert(resp_header(r, "X-Request-Id"));
        resp_free(r);
        r = req_as(&srv, NULL, "GET", "/readyz", NULL, h);
        cr_assert_eq(r->status, 200, "%s", r->body);
        cr_assert_str_eq(jstr(r->json, "status"), "ready");
        cr_assert_str_eq(jstr(r->json, "store"), on_pg() ? "postgresql" : "sqlite");
        resp_free(r);
    }
    server_stop(&srv, true);
}

/* ---- metrics ---- */

struct sample {
    char name[128];
    char labels[512]; /* the text between the braces, or "" */
    double value;
};

struct exposition {
    struct sample *s;
    size_t n;
    char types[128][128]; /* family names with a # TYPE line */
    char type_of[128][16];
    size_t n_types;
};

static bool metric_name_ok(const char *s, size_t n)
{
    if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_' || s[0] == ':'))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == ':'))
            return false;
    return true;
}

/* `k="v",k2="v2"` with escapes \\ \" \n inside values. */
static bool labels_ok(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t start = i;
        while (i < n && p[i] != '=')
            i++;
        if (i >= n || !metric_name_ok(p + start, i - start) || i + 1 >= n || p[i + 1] != '"')
            return false;
        i += 2;
        while (i < n && p[i] != '"') {
            if (p[i] == '\\') {
                if (i + 1 >= n || (p[i + 1] != '\\' && p[i + 1] != '"' && p[i + 1] != 'n'))
                    return false;
                i++;
            }
            i++;
        }
        if (i >= n)
            return false;
        i++; /* the closing quote */
        if (i < n) {
            if (p[i] != ',')
                return false;
            i++;
        }
    }
    return true;
}

/* Parses the text format; fails the test on any line that is neither a
 * comment nor `name{labels} value`. */
static void parse_exposition(const char *text, struct exposition *e)
{
    memset(e, 0, sizeof(*e));
    size_t cap = 256;
    e->s = calloc(cap, sizeof(*e->s));
    const char *p = text;
    int lineno = 0;
    while (*p) {
        const char *eol = strchr(p, '\n');
        cr_assert(eol, "the exposition ends with a newline");
        size_t len = (size_t)(eol - p);
        char line[2048];
        cr_assert(len < sizeof(line));
        memcpy(line, p, len);
        line[len] = '\0';
        lineno++;
        p = eol + 1;
        if (line[0] == '#') {
            char kw[8], name[128], rest[256] = "";
            int got = sscanf(line, "# %7s %127s %255[^\n]", kw, name, rest);
            cr_assert(got >= 2, "line %d: a comment is # HELP or # TYPE: %s", lineno, line);
            if (strcmp(kw, "TYPE") == 0) {
                cr_assert(strcmp(rest, "counter") == 0 || strcmp(rest, "gauge") == 0 ||
                              strcmp(rest, "histogram") == 0 || strcmp(rest, "summary") == 0 ||
                              strcmp(rest, "untyped") == 0,
                          "line %d: type %s", lineno, rest);
                cr_assert(e->n_types < 128);
                snprintf(e->types[e->n_types], sizeof(e->types[0]), "%s", name);
                snprintf(e->type_of[e->n_types], sizeof(e->type_of[0]), "%s", rest);
                e->n_types++;
            } else {
                cr_assert_str_eq(kw, "HELP", "line %d: %s", lineno, line);
            }
            continue;
        }
        cr_assert(len > 0, "line %d is empty", lineno);
        struct sample s = {0};
        const char *brace = strchr(line, '{'), *space;
        if (brace) {
            const char *close = strrchr(line, '}');
            cr_assert(close && close > brace, "line %d: unclosed labels: %s", lineno, line);
            cr_assert(metric_name_ok(line, (size_t)(brace - line)), "line %d: name", lineno);
            memcpy(s.name, line, (size_t)(brace - line));
            cr_assert(labels_ok(brace + 1, (size_t)(close - brace - 1)), "line %d: labels: %s",
                      lineno, line);
            memcpy(s.labels, brace + 1, (size_t)(close - brace - 1));
            space = close + 1;
        } else {
            space = strchr(line, ' ');
            cr_assert(space, "line %d: no value: %s", lineno, line);
            cr_assert(metric_name_ok(line, (size_t)(space - line)), "line %d: name", lineno);
            memcpy(s.name, line, (size_t)(space - line));
        }
        cr_assert(*space == ' ', "line %d: one space before the value: %s", lineno, line);
        const char *v = space + 1;
        char *end;
        if (strcmp(v, "+Inf") == 0)
            s.value = INFINITY;
        else {
            s.value = strtod(v, &end);
            cr_assert(end != v && *end == '\0', "line %d: value '%s'", lineno, v);
        }
        if (e->n == cap)
            e->s = realloc(e->s, (cap *= 2) * sizeof(*e->s));
        e->s[e->n++] = s;
    }
}

static const char *family_type(const struct exposition *e, const char *family)
{
    for (size_t i = 0; i < e->n_types; i++)
        if (strcmp(e->types[i], family) == 0)
            return e->type_of[i];
    return NULL;
}

/* The value of the sample `name{labels}` (labels exactly as rendered), or
 * -1 when there is none. */
static double sample(const struct exposition *e, const char *name, const char *labels)
{
    for (size_t i = 0; i < e->n; i++)
        if (strcmp(e->s[i].name, name) == 0 && strcmp(e->s[i].labels, labels ? labels : "") == 0)
            return e->s[i].value;
    return -1;
}

static void scrape(struct server *srv, struct exposition *e)
{
    struct resp *r = req_as(srv, NULL, "GET", "/metrics", NULL, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    const char *ct = resp_header(r, "Content-Type");
    cr_assert(ct && strncmp(ct, "text/plain; version=0.0.4", 25) == 0, "Content-Type %s",
              ct ? ct : "(none)");
    parse_exposition(r->body, e);
    resp_free(r);
}

/* Every sample belongs to a typed family; histograms are cumulative, end
 * with +Inf, and +Inf equals _count. */
static void check_families(const struct exposition *e)
{
    for (size_t i = 0; i < e->n; i++) {
        char fam[128];
        snprintf(fam, sizeof(fam), "%s", e->s[i].name);
        const char *type = family_type(e, fam);
        if (!type) {
            static const char *const suffixes[] = {"_bucket", "_sum", "_count"};
            for (size_t k = 0; k < 3 && !type; k++) {
                size_t fl = strlen(fam), sl = strlen(suffixes[k]);
                if (fl > sl && strcmp(fam + fl - sl, suffixes[k]) == 0) {
                    fam[fl - sl] = '\0';
                    type = family_type(e, fam);
                    if (!type)
                        fam[fl - sl] = suffixes[k][0];
                }
            }
        }
        cr_assert(type, "%s has a # TYPE line", e->s[i].name);
        if (strcmp(type, "counter") == 0)
            cr_assert(e->s[i].value >= 0, "counter %s is not negative", e->s[i].name);
    }
    /* Histograms: per label set (the route), buckets in order. */
    for (size_t i = 0; i < e->n; i++) {
        const char *name = e->s[i].name;
        size_t nl = strlen(name);
        if (nl < 7 || strcmp(name + nl - 7, "_bucket") != 0)
            continue;
        if (i > 0 && strcmp(e->s[i - 1].name, name) == 0)
            continue; /* not the first bucket of its series */
        const char *le = strstr(e->s[i].labels, "le=\"");
        cr_assert(le, "a bucket has le: %s", e->s[i].labels);
        char series[512];
        snprintf(series, sizeof(series), "%.*s", (int)(le - e->s[i].labels),
                 e->s[i].labels); /* the labels before le, with their comma */
        double prev_le = -INFINITY, prev = 0, inf = -1;
        size_t j = i;
        for (; j < e->n && strcmp(e->s[j].name, name) == 0 &&
               strncmp(e->s[j].labels, series, strlen(series)) == 0;
             j++) {
            const char *l = strstr(e->s[j].labels, "le=\"") + 4;
            double bound = strncmp(l, "+Inf", 4) == 0 ? INFINITY : strtod(l, NULL);
            cr_assert(bound > prev_le, "%s{%s}: le ascends", name, e->s[j].labels);
            cr_assert(e->s[j].value >= prev, "%s{%s}: buckets are cumulative", name,
                      e->s[j].labels);
            prev_le = bound;
            prev = e->s[j].value;
            if (isinf(bound))
                inf = e->s[j].value;
        }
        cr_assert(isinf(prev_le), "%s{%s...}: the last bucket is +Inf", name, series);
        char base[128], labels[512];
        snprintf(base, sizeof(base), "%.*s_count", (int)(nl - 7), name);
        snprintf(labels, sizeof(labels), "%.*s", (int)(strlen(series) ? strlen(series) - 1 : 0),
                 series);
        double count = sample(e, base, labels);
        cr_assert_eq(inf, count, "%s{%s}: +Inf (%g) equals _count (%g)", name, labels, inf, count);
        snprintf(base, sizeof(base), "%.*s_sum", (int)(nl - 7), name);
        cr_assert(sample(e, base, labels) >= 0, "%s{%s} exists", base, labels);
        i = j - 1;
    }
}

static void exposition_free(struct exposition *e)
{
    free(e->s);
}

Test(ops, metrics_are_well_formed_prometheus_text_and_count_what_happens)
{
    struct server srv;
    server_start(&srv, NULL);
    struct exposition before, after;
    scrape(&srv, &before);
    check_families(&before);
    static const char *const families[] = {
        "kinship_build_info",
        "kinship_requests_in_flight",
        "kinship_requests_total",
        "kinship_request_duration_seconds",
        "kinship_store_info",
        "kinship_store_pool_max_connections",
        "kinship_store_writes_total",
        "kinship_store_write_batches_total",
        "kinship_store_commits_total",
        "kinship_store_rollbacks_total",
        "kinship_store_retries_total",
        "kinship_store_checkpoints_total",
        "kinship_store_errors_total",
        "kinship_store_pool_connections",
        "kinship_store_write_queue",
        "kinship_store_wal_pages",
        "kinship_store_org_cache_lookups_total",
        "kinship_store_org_cache_entries",
        "kinship_store_org_cache_bytes",
    };
    for (size_t i = 0; i < sizeof(families) / sizeof(*families); i++)
        cr_assert(family_type(&before, families[i]), "the exposition has %s", families[i]);
    cr_assert_eq(sample(&before, "kinship_store_info",
                        on_pg() ? "backend=\"postgresql\"" : "backend=\"sqlite\""),
                 1);
    char version[64] = "";
    {
        const char *args[] = {"--version", NULL};
        struct cmd_result r;
        cmd_run(args, NULL, NULL, 10, &r);
        cr_assert_eq(r.status, 0);
        sscanf(r.out, "kinship %63s", version);
        cmd_free(&r);
    }
    char labels[256];
    snprintf(labels, sizeof(labels), "version=\"%s\",api_version=\"2024-07-30\"", version);
    cr_assert_eq(sample(&before, "kinship_build_info", labels), 1, "build info: %s", labels);
    cr_assert_eq(sample(&before, "kinship_store_org_cache_bytes", "kind=\"budget\""),
                 on_pg() ? 0 : 4 << 20, "org_cache's default, 4 MiB (none on PostgreSQL)");
    cr_assert_geq(sample(&before, "kinship_requests_in_flight", NULL), 1,
                  "the scrape itself is in flight (%g)",
                  sample(&before, "kinship_requests_in_flight", NULL));

    /* Some traffic: reads, a write, an error, an unknown route. */
    for (int i = 0; i < 5; i++) {
        struct resp *r = req(&srv, "GET", "/customers", NULL, NULL);
        cr_assert_eq(r->status, 200);
        resp_free(r);
    }
    free(make_customer(&srv, NULL, "Metrics Ltd"));
    struct resp *r =
        req(&srv, "GET", "/customers/00000000-0000-7000-8000-000000000000", NULL, NULL);
    cr_assert_eq(r->status, 404);
    resp_free(r);
    r = req(&srv, "GET", "/no-such-route", NULL, NULL);
    cr_assert_eq(r->status, 404);
    resp_free(r);

    /* A request is counted when it completes, which may be just after its
     * answer reached the client (a write answered by the writer thread may
     * complete after the reads that followed it): scrape until every one
     * asserted below is in. */
    for (int i = 0; i < 100; i++) {
        scrape(&srv, &after);
        if (sample(&after, "kinship_requests_total", "route=\"unmatched\",status=\"404\"") >= 1 &&
            sample(&after, "kinship_requests_total", "route=\"customers.get\",status=\"404\"") >=
                1 &&
            sample(&after, "kinship_requests_total", "route=\"customers.create\",status=\"201\"") >=
                1)
            break;
        if (i == 99)
            break; /* the assertions below say what is missing */
        exposition_free(&after);
        usleep(10000);
    }
    check_families(&after);
    double list_before =
        sample(&before, "kinship_requests_total", "route=\"customers.list\",status=\"200\"");
    cr_assert_eq(
        sample(&after, "kinship_requests_total", "route=\"customers.list\",status=\"200\""),
        (list_before < 0 ? 0 : list_before) + 5);
    cr_assert_eq(
        sample(&after, "kinship_requests_total", "route=\"customers.create\",status=\"201\""), 1);
    cr_assert_eq(sample(&after, "kinship_requests_total", "route=\"customers.get\",status=\"404\""),
                 1);
    cr_assert_geq(sample(&after, "kinship_requests_total", "route=\"unmatched\",status=\"404\""),
                  1);
    cr_assert_eq(
        sample(&after, "kinship_request_duration_seconds_count", "route=\"customers.list\""),
        sample(&after, "kinship_requests_total", "route=\"customers.list\",status=\"200\""));
    cr_assert_geq(sample(&after, "kinship_requests_total", "route=\"ops.metrics\",status=\"200\""),
                  1, "the first scrape is counted");
    cr_assert_geq(sample(&after, "kinship_store_writes_total", NULL),
                  sample(&before, "kinship_store_writes_total", NULL) + 1);
    cr_assert_geq(sample(&after, "kinship_store_commits_total", NULL),
                  sample(&before, "kinship_store_commits_total", NULL) + 1);
    cr_assert_geq(sample(&after, "kinship_store_write_batches_total", NULL),
                  sample(&after, "kinship_store_commits_total", NULL));
    cr_assert_geq(sample(&after, "kinship_store_pool_connections", "state=\"in_use\""), 0);
    cr_assert_geq(sample(&after, "kinship_store_pool_connections", "state=\"idle\""), 0);
    cr_assert_leq(sample(&after, "kinship_store_pool_connections", "state=\"in_use\"") +
                      sample(&after, "kinship_store_pool_connections", "state=\"idle\""),
                  sample(&after, "kinship_store_pool_max_connections", NULL));
    /* Counters never go down. */
    for (size_t i = 0; i < before.n; i++) {
        const char *t = family_type(&before, before.s[i].name);
        if (t && strcmp(t, "counter") == 0)
            cr_assert_geq(sample(&after, before.s[i].name, before.s[i].labels), before.s[i].value,
                          "%s{%s} did not decrease", before.s[i].name, before.s[i].labels);
    }
    exposition_free(&before);
    exposition_free(&after);
    server_stop(&srv, true);
}

/* ---- the access log ---- */

/* The log line holding `needle` (malloc'd), or NULL. */
static char *log_line_with(const char *log, const char *needle)
{
    const char *hit = strstr(log, needle);
    if (!hit)
        return NULL;
    const char *start = hit;
    while (start > log && start[-1] != '\n')
        start--;
    const char *end = strchr(hit, '\n');
    size_t n = end ? (size_t)(end - start) : strlen(start);
    char *line = malloc(n + 1);
    memcpy(line, start, n);
    line[n] = '\0';
    return line;
}

/* The logfmt value of `key` in line (static buffer), or NULL. */
static const char *logfmt_get(const char *line, const char *key)
{
    static char v[512];
    char pat[64];
    snprintf(pat, sizeof(pat), "%s=", key);
    const char *p;
    if (strncmp(line, pat, strlen(pat)) == 0) {
        p = line + strlen(pat);
    } else {
        snprintf(pat, sizeof(pat), " %s=", key);
        if (!(p = strstr(line, pat)))
            return NULL;
        p += strlen(pat);
    }
    size_t n = 0;
    if (*p == '"') {
        p++;
        while (p[n] && p[n] != '"')
            n += p[n] == '\\' ? 2 : 1;
    } else {
        n = strcspn(p, " ");
    }
    snprintf(v, sizeof(v), "%.*s", (int)n, p);
    return v;
}

/* Waits for the log file to hold `needle` (the line is written after the
 * response is sent). */
static char *wait_log(struct server *s, const char *needle)
{
    for (int i = 0; i < 200; i++) {
        char *log = cmd_slurp(s->log);
        if (log && strstr(log, needle))
            return log;
        free(log);
        usleep(10000);
    }
    cr_assert_fail("%s never logged %s", s->log, needle);
    return NULL;
}

static const char *secret_of(const char *key)
{
    const char *colon = strchr(key, ':');
    cr_assert(colon);
    return colon + 1;
}

static const char *marked_body =
    "{\"legalName\":\"BODY-MARKER-7f3a\",\"address\":{\"line1\":\"1 Road\",\"town\":\"York\","
    "\"postcode\":\"YO1\",\"country\":\"GB\"},\"taxStatus\":\"TAXED\",\"contacts\":[{\"name\":"
    "\"Bo\",\"email\":\"marker-7f3a@acme.test\",\"billingPreference\":\"PRIMARY\"}]}";

Test(ops, access_log_logfmt_has_every_field_and_no_secret)
{
    struct server srv;
    server_start(&srv, NULL);
    const char *h1[] = {"X-Request-Id: ops-trace-1", NULL};
    struct resp *r = req(&srv, "GET", "/customers", NULL, h1);
    cr_assert_eq(r->status, 200);
    cr_assert_str_eq(resp_header(r, "X-Request-Id"), "ops-trace-1");
    resp_free(r);
    const char *h2[] = {"X-Request-Id: ops-trace-2", NULL};
    r = req(&srv, "GET", "/customers/nope", NULL, h2);
    cr_assert_eq(r->status, 404);
    resp_free(r);
    const char *h3[] = {"X-Request-Id: ops-trace-3", NULL};
    r = req(&srv, "POST", "/customers", marked_body, h3);
    cr_assert_eq(r->status, 201, "%s", r->body);
    resp_free(r);
    /* No X-Request-Id: one is made, sent back, in the error body and logged. */
    r = req_as(&srv, NULL, "GET", "/customers", NULL, NULL);
    cr_assert_eq(r->status, 401);
    char made[128];
    snprintf(made, sizeof(made), "%s", resp_header(r, "X-Request-Id"));
    cr_assert(strlen(made) >= 16, "a generated request id: %s", made);
    cr_assert_str_eq(jstr(json_object_get(r->json, "error"), "requestId"), made);
    resp_free(r);

    /* Access lines are written when a request completes, which may be just
     * after its answer reached the client: wait for each. */
    char needle[160];
    snprintf(needle, sizeof(needle), "request_id=%s", made);
    free(wait_log(&srv, "request_id=ops-trace-1 "));
    free(wait_log(&srv, "request_id=ops-trace-2 "));
    free(wait_log(&srv, "request_id=ops-trace-3 "));
    char *log = wait_log(&srv, needle);
    char *l1 = log_line_with(log, "request_id=ops-trace-1 ");
    cr_assert(l1, "the access line of ops-trace-1 is in the log");
    cr_assert(strncmp(l1, "time=", 5) == 0, "%s", l1);
    struct {
        const char *key, *want;
    } fields[] = {
        {"level", "info"}, {"msg", "request"},          {"request_id", "ops-trace-1"},
        {"method", "GET"}, {"route", "customers.list"}, {"status", "200"},
        {"error", "-"},
    };
    for (size_t i = 0; i < sizeof(fields) / sizeof(*fields); i++) {
        const char *v = logfmt_get(l1, fields[i].key);
        cr_assert(v && strcmp(v, fields[i].want) == 0, "%s=%s in: %s", fields[i].key,
                  fields[i].want, l1);
    }
    const char *t = logfmt_get(l1, "time");
    cr_assert(t && strlen(t) == 20 && t[10] == 'T' && t[19] == 'Z', "time: %s", l1);
    const char *acct = logfmt_get(l1, "account");
    cr_assert(acct && strlen(acct) == 36, "the account id: %s", l1);
    const char *dur = logfmt_get(l1, "duration_ms");
    char *end;
    cr_assert(dur && strtod(dur, &end) >= 0 && *end == '\0', "duration_ms: %s", l1);
    free(l1);

    char *l2 = log_line_with(log, "request_id=ops-trace-2 ");
    cr_assert(l2);
    cr_assert_str_eq(logfmt_get(l2, "status"), "404");
    cr_assert_str_eq(logfmt_get(l2, "error"), "NotFound");
    cr_assert_str_eq(logfmt_get(l2, "route"), "customers.get");
    free(l2);
    char *l3 = log_line_with(log, "request_id=ops-trace-3 ");
    cr_assert(l3);
    cr_assert_str_eq(logfmt_get(l3, "method"), "POST");
    cr_assert_str_eq(logfmt_get(l3, "status"), "201");
    free(l3);
    char *l4 = log_line_with(log, needle);
    cr_assert_str_eq(logfmt_get(l4, "account"), "-", "no account before credentials: %s", l4);
    cr_assert_str_eq(logfmt_get(l4, "error"), "Unauthorized");
    free(l4);

    cr_assert_null(strstr(log, secret_of(srv.key)), "the API secret is never logged");
    cr_assert_null(strstr(log, "BODY-MARKER-7f3a"), "request bodies are never logged");
    cr_assert_null(strstr(log, "marker-7f3a@acme.test"), "request bodies are never logged");
    cr_assert_null(strstr(log, "Basic "), "Authorization headers are never logged");
    free(log);
    server_stop(&srv, true);
}

Test(ops, access_log_json_lines_parse_and_have_every_field)
{
    struct server srv;
    const char *extra[] = {"--log-format", "json", NULL};
    server_start(&srv, extra);
    const char *h[] = {"X-Request-Id: ops-json-1", NULL};
    struct resp *r = req(&srv, "GET", "/customers/nope", NULL, h);
    cr_assert_eq(r->status, 404);
    resp_free(r);
    const char *h2[] = {"X-Request-Id: ops-json-2", NULL};
    r = req(&srv, "POST", "/customers", marked_body, h2);
    cr_assert_eq(r->status, 201);
    resp_free(r);
    /* Each access line is written when its request completes (see above). */
    free(wait_log(&srv, "\"request_id\":\"ops-json-1\""));
    char *log = wait_log(&srv, "\"request_id\":\"ops-json-2\"");
    /* The server's own lines are JSON; `kinship keys` lines (the harness
     * appends them to the same file) are logfmt, the commands' default. */
    json_t *access = NULL;
    int json_lines = 0;
    for (char *line = strtok(log, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] != '{')
            continue;
        json_error_t e;
        json_t *j = json_loads(line, 0, &e);
        cr_assert(json_is_object(j), "a JSON log line parses (%s): %s", e.text, line);
        cr_assert(json_is_string(json_object_get(j, "time")), "%s", line);
        cr_assert(json_is_string(json_object_get(j, "level")), "%s", line);
        cr_assert(json_is_string(json_object_get(j, "msg")), "%s", line);
        json_lines++;
        const char *rid = jstr(j, "request_id");
        if (rid && strcmp(rid, "ops-json-1") == 0 && !access)
            access = json_incref(j);
        json_decref(j);
    }
    cr_assert_geq(json_lines, 3, "listening and two requests at least");
    cr_assert(access, "the access line of ops-json-1");
    static const char *const keys[] = {"time",   "level", "msg",    "request_id",  "account",
                                       "method", "route", "status", "duration_ms", "error"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++)
        cr_assert(json_is_string(json_object_get(access, keys[i])), "the access line has %s",
                  keys[i]);
    cr_assert_str_eq(jstr(access, "msg"), "request");
    cr_assert_str_eq(jstr(access, "method"), "GET");
    cr_assert_str_eq(jstr(access, "route"), "customers.get");
    cr_assert_str_eq(jstr(access, "status"), "404");
    cr_assert_str_eq(jstr(access, "error"), "NotFound");
    json_decref(access);
    free(log);
    char *again = cmd_slurp(srv.log);
    cr_assert_null(strstr(again, "BODY-MARKER-7f3a"), "request bodies are never logged");
    cr_assert_null(strstr(again, secret_of(srv.key)), "the API secret is never logged");
    free(again);
    server_stop(&srv, true);
}

/* ---- settings ---- */

struct proc {
    pid_t pid;
    int port;
    char log[512];
};

/* Starts `kinship serve` with args and env (NAME=VALUE entries); stderr and
 * stdout go to log. Returns once /healthz answers on one of ports[] and
 * says which in p->port (0 when the process ended first). */
static void serve(struct proc *p, const char *const *args, const char *const *env, const int *ports,
                  size_t n_ports)
{
    p->port = 0;
    p->pid = fork();
    cr_assert(p->pid >= 0);
    if (p->pid == 0) {
        const char *argv[32];
        int n = 0;
        argv[n++] = cmd_bin();
        argv[n++] = "serve";
        for (int i = 0; args[i] && n < 31; i++)
            argv[n++] = args[i];
        argv[n] = NULL;
        for (int i = 0; env && env[i]; i++)
            putenv((char *)env[i]);
        int fd = open(p->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    for (int i = 0; i < 500; i++) {
        int st;
        if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
            p->pid = 0;
            return;
        }
        for (size_t k = 0; k < n_ports; k++) {
            if (!cmd_port_open(ports[k]))
                continue;
            struct server probe = {.port = ports[k]};
            struct resp *r = req_as(&probe, NULL, "GET", "/healthz", NULL, NULL);
            long code = r->status;
            resp_free(r);
            if (code == 200) {
                p->port = ports[k];
                return;
            }
        }
        usleep(20000);
    }
    cr_assert_fail("kinship serve did not come up (see %s)", p->log);
}

static void serve_stop(struct proc *p)
{
    if (!p->pid)
        return;
    kill(p->pid, SIGTERM);
    int st;
    waitpid(p->pid, &st, 0);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "clean exit on SIGTERM (see %s)", p->log);
    p->pid = 0;
}

Test(ops, settings_come_from_file_then_environment_then_flags)
{
    struct server srv;
    server_start(&srv, NULL);
    server_stop(&srv, false); /* only its database and directory are wanted */
    int a = cmd_free_port(), b = cmd_free_port(), c = cmd_free_port();
    cr_assert(a != b && b != c && a != c);
    int ports[] = {a, b, c};
    char conf[512], text[1024], env_listen[64], env_conf[600], flag_listen[64];
    snprintf(conf, sizeof(conf), "%s/kinship.conf", srv.dir);
    snprintf(text, sizeof(text),
             "# kinship settings\nlisten = 127.0.0.1:%d\ndb = \"%s\"\nlog_format = json\n"
             "workers = 4   # few\n",
             a, srv.db);
    cmd_write_file(conf, text);
    snprintf(env_listen, sizeof(env_listen), "KINSHIP_LISTEN=127.0.0.1:%d", b);
    snprintf(env_conf, sizeof(env_conf), "KINSHIP_CONFIG=%s", conf);
    snprintf(flag_listen, sizeof(flag_listen), "127.0.0.1:%d", c);
    struct proc p = {0};
    snprintf(p.log, sizeof(p.log), "%s/serve.log", srv.dir);

    /* The file alone: port A, JSON lines. */
    const char *file_only[] = {"--config", conf, NULL};
    serve(&p, file_only, NULL, ports, 3);
    cr_assert_eq(p.port, a, "the file's listen is used (see %s)", p.log);
    serve_stop(&p);
    char *log = cmd_slurp(p.log);
    cr_assert(log && log[0] == '{', "the file's log_format=json is used: %s", log);
    free(log);

    /* The environment beats the file: port B, logfmt. */
    const char *env[] = {env_listen, "KINSHIP_LOG_FORMAT=logfmt", NULL};
    serve(&p, file_only, env, ports, 3);
    cr_assert_eq(p.port, b, "KINSHIP_LISTEN beats the file");
    cr_assert_not(cmd_port_open(a));
    serve_stop(&p);
    log = cmd_slurp(p.log);
    cr_assert(log && strncmp(log, "time=", 5) == 0, "KINSHIP_LOG_FORMAT beats the file: %s", log);
    free(log);

    /* Flags beat both: port C, JSON again. KINSHIP_CONFIG names the file. */
    const char *env2[] = {env_listen, env_conf, "KINSHIP_LOG_FORMAT=logfmt", NULL};
    const char *flags[] = {"--listen", flag_listen, "--log-format=json", NULL};
    serve(&p, flags, env2, ports, 3);
    cr_assert_eq(p.port, c, "--listen beats KINSHIP_LISTEN");
    cr_assert_not(cmd_port_open(a));
    cr_assert_not(cmd_port_open(b));
    struct server at_c = {.port = c};
    struct resp *r = req_as(&at_c, srv.key, "GET", "/customers", NULL, NULL);
    cr_assert_eq(r->status, 200, "the file's db is used: the key made on it works");
    resp_free(r);
    serve_stop(&p);
    log = cmd_slurp(p.log);
    cr_assert(log && log[0] == '{', "--log-format beats the environment: %s", log);
    free(log);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", srv.dir);
    cr_assert_eq(system(cmd), 0);
}

Test(ops, a_bad_setting_exits_2_naming_it_before_the_port_opens)
{
    char dir[] = "/tmp/kinship-test-cfg-XXXXXX";
    cr_assert(mkdtemp(dir));
    char db[600], bad_conf[600], unknown_conf[600], text[256];
    snprintf(db, sizeof(db), "sqlite:%s/kinship.db", dir);
    snprintf(bad_conf, sizeof(bad_conf), "%s/bad.conf", dir);
    snprintf(unknown_conf, sizeof(unknown_conf), "%s/unknown.conf", dir);
    cmd_write_file(bad_conf, "listen = 127.0.0.1:1\nlog_format = xml\n");
    cmd_write_file(unknown_conf, "# fine\nfrobnicate = 1\n");
    int port = cmd_free_port();
    char listen[64];
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
    snprintf(text, sizeof(text), "%s/missing.conf", dir);
    struct {
        const char *args[8];
        const char *env[3];
        const char *names[3]; /* what the message must name */
    } cases[] = {
        {{"--listen", listen, "--db", db, "--workers", "0"}, {NULL}, {"workers"}},
        {{"--listen", listen, "--db", db, "--body-limit=12"}, {NULL}, {"body_limit"}},
        {{"--listen", listen, "--db", db},
         {"KINSHIP_BODY_LIMIT=12x"},
         {"KINSHIP_BODY_LIMIT", "body_limit"}},
        {{"--listen", listen, "--db", db},
         {"KINSHIP_LOG_FORMAT=xml"},
         {"KINSHIP_LOG_FORMAT", "log_format"}},
        {{"--config", bad_conf, "--listen", listen, "--db", db},
         {NULL},
         {"bad.conf:2:", "log_format"}},
        {{"--config", unknown_conf, "--listen", listen, "--db", db},
         {NULL},
         {"unknown.conf:2:", "frobnicate"}},
        {{"--config", text, "--listen", listen, "--db", db}, {NULL}, {"missing.conf"}},
        {{"--listen", "localhost", "--db", db}, {NULL}, {"listen"}},
        {{"--listen", listen, "--db", db, "--frobnicate", "1"}, {NULL}, {"frobnicate"}},
        {{"--listen", listen, "--db", db, "--pool-size"}, {NULL}, {"pool-size"}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        const char *args[10] = {"serve"};
        for (int k = 0; cases[i].args[k]; k++)
            args[k + 1] = cases[i].args[k];
        struct cmd_result r;
        cmd_run(args, cases[i].env, NULL, 20, &r);
        cr_assert_eq(r.status, 2, "case %zu exits 2 (got %d): %s", i, r.status, r.err);
        for (int k = 0; k < 3 && cases[i].names[k]; k++)
            cr_assert(strstr(r.err, cases[i].names[k]), "case %zu names %s: %s", i,
                      cases[i].names[k], r.err);
        cr_assert_null(strstr(r.err, "listening"), "case %zu: nothing listened: %s", i, r.err);
        cr_assert_not(cmd_port_open(port), "case %zu: the port never opened", i);
        cmd_free(&r);
    }
    /* Nothing was opened either: the database was never created. */
    snprintf(text, sizeof(text), "%s/kinship.db", dir);
    cr_assert_neq(access(text, F_OK), 0, "no database file was created");
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

/* One row of docs/configuration.md's table: `| \`name\` | \`ENV\` | \`default\` |`. */
static bool doc_row(const char *line, char *name, char *env, char *def, size_t cap)
{
    if (strncmp(line, "| `", 3) != 0)
        return false;
    const char *p = line + 3;
    char *outs[3] = {name, env, def};
    for (int i = 0; i < 3; i++) {
        const char *e = strchr(p, '`');
        if (!e || (size_t)(e - p) >= cap)
            return false;
        snprintf(outs[i], cap, "%.*s", (int)(e - p), p);
        if (i < 2) {
            p = strstr(e, "| `");
            if (!p)
                return false;
            p += 3;
        }
    }
    return true;
}

Test(ops, help_lists_every_command_and_every_documented_setting)
{
    const char *root = getenv("KINSHIP_SOURCE_ROOT");
    cr_assert(root, "KINSHIP_SOURCE_ROOT is set by meson");
    char path[512];
    snprintf(path, sizeof(path), "%s/docs/configuration.md", root);
    char *doc = cmd_slurp(path);
    cr_assert(doc, "%s", path);

    const char *serve_help[] = {"serve", "--help", NULL};
    struct cmd_result r;
    cmd_run(serve_help, NULL, NULL, 10, &r);
    cr_assert_eq(r.status, 0);
    int rows = 0;
    for (char *line = strtok(doc, "\n"); line; line = strtok(NULL, "\n")) {
        char name[64], env[64], def[128], flag[80];
        if (!doc_row(line, name, env, def, sizeof(name)) || strcmp(name, "setting") == 0)
            continue;
        snprintf(flag, sizeof(flag), "--%s", name);
        for (char *c = flag; *c; c++)
            if (*c == '_')
                *c = '-';
        char want[256];
        snprintf(want, sizeof(want), "default: %s; environment: %s", def, env);
        cr_assert(strstr(r.out, flag), "serve --help lists %s", flag);
        cr_assert(strstr(r.out, want), "serve --help says '%s'", want);
        rows++;
    }
    cr_assert_geq(rows, 15, "the documentation's table was read");
    cr_assert(strstr(r.out, "--config"));
    cmd_free(&r);
    free(doc);

    const char *main_help[] = {"--help", NULL};
    cmd_run(main_help, NULL, NULL, 10, &r);
    cr_assert_eq(r.status, 0);
    static const char *const commands[] = {"serve",       "keys create",   "keys list",
                                           "keys revoke", "accounts list", "migrate",
                                           "backup",      "export",        "import"};
    for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
        cr_assert(strstr(r.out, commands[i]), "kinship --help lists %s", commands[i]);
    cmd_free(&r);

    static const char *const each[] = {"serve",  "keys",   "accounts", "migrate",
                                       "backup", "export", "import"};
    for (size_t i = 0; i < sizeof(each) / sizeof(*each); i++) {
        const char *args[] = {each[i], "--help", NULL};
        cmd_run(args, NULL, NULL, 10, &r);
        cr_assert_eq(r.status, 0, "kinship %s --help exits 0", each[i]);
        char want[64];
        snprintf(want, sizeof(want), "usage: kinship %s", each[i]);
        cr_assert(strstr(r.out, want), "kinship %s --help: %s", each[i], r.out);
        cmd_free(&r);
    }
    const char *none[] = {NULL};
    cmd_run(none, NULL, NULL, 10, &r);
    cr_assert_eq(r.status, 2, "no command is bad usage");
    cmd_free(&r);
    const char *unknown[] = {"frobnicate", NULL};
    cmd_run(unknown, NULL, NULL, 10, &r);
    cr_assert_eq(r.status, 2);
    cmd_free(&r);
}

/* ---- keys and accounts ---- */

/* The line of `out` that starts with `prefix` (static buffer), or NULL. */
static const char *line_starting(const char *out, const char *prefix)
{
    static char line[512];
    for (const char *p = out; p && *p;) {
        const char *eol = strchr(p, '\n');
        size_t n = eol ? (size_t)(eol - p) : strlen(p);
        if (strncmp(p, prefix, strlen(prefix)) == 0) {
            snprintf(line, sizeof(line), "%.*s", (int)n, p);
            return line;
        }
        p = eol ? eol + 1 : NULL;
    }
    return NULL;
}

Test(ops, keys_create_list_revoke_and_accounts_list)
{
    struct server srv;
    server_start(&srv, NULL);
    char account[96], key[256];
    /* Every account of the run is listed: on PostgreSQL, every test's (a
     * shared database). */
    enum { OUT_CAP = 8 << 20 };
    char *out = malloc(OUT_CAP);
    snprintf(account, sizeof(account), "ops-cli-%d-%ld", getpid(), (long)time(NULL));
    const char *create[] = {"keys", "create", "--account", account, NULL};
    cr_assert_eq(kinship_cmd(&srv, create, key, sizeof(key)), 0);
    key[strcspn(key, "\n")] = '\0';
    char id[64];
    snprintf(id, sizeof(id), "%.*s", (int)(strchr(key, ':') - key), key);
    char key2[256];
    cr_assert_eq(kinship_cmd(&srv, create, key2, sizeof(key2)), 0, "a second key, same account");
    key2[strcspn(key2, "\n")] = '\0';

    const char *list[] = {"keys", "list", NULL};
    cr_assert_eq(kinship_cmd(&srv, list, out, OUT_CAP), 0);
    const char *l = line_starting(out, id);
    cr_assert(l, "keys list shows %s: %s", id, out);
    char want[256];
    snprintf(want, sizeof(want), "%s\t%s\t", id, account);
    cr_assert(strncmp(l, want, strlen(want)) == 0, "id, account: %s", l);
    cr_assert(strstr(l, "\tactive"), "active: %s", l);
    cr_assert_null(strstr(out, secret_of(key)), "keys list never shows a secret");

    const char *list_acct[] = {"keys", "list", "--account", account, NULL};
    cr_assert_eq(kinship_cmd(&srv, list_acct, out, OUT_CAP), 0);
    int lines = 0;
    for (char *p = out; *p; p++)
        lines += *p == '\n';
    cr_assert_eq(lines, 2, "--account shows that account's two clients: %s", out);

    const char *accounts[] = {"accounts", "list", NULL};
    cr_assert_eq(kinship_cmd(&srv, accounts, out, OUT_CAP), 0);
    snprintf(want, sizeof(want), "\t%s\t", account);
    const char *al = strstr(out, want);
    cr_assert(al, "accounts list shows %s: %s", account, out);
    const char *eol = strchr(al, '\n');
    cr_assert(eol && eol[-1] == '2' && eol[-2] == '\t', "two active clients: %.*s", (int)(eol - al),
              al);

    struct resp *r = req_as(&srv, key, "GET", "/customers", NULL, NULL);
    cr_assert_eq(r->status, 200);
    resp_free(r);
    const char *revoke[] = {"keys", "revoke", id, NULL};
    cr_assert_eq(kinship_cmd(&srv, revoke, NULL, 0), 0);
    r = req_as(&srv, key, "GET", "/customers", NULL, NULL);
    cr_assert_eq(r->status, 401, "a revoked key is refused at once");
    resp_free(r);
    r = req_as(&srv, key2, "GET", "/customers", NULL, NULL);
    cr_assert_eq(r->status, 200, "the other key of the account still works");
    resp_free(r);
    cr_assert_eq(kinship_cmd(&srv, list, out, OUT_CAP), 0);
    l = line_starting(out, id);
    cr_assert(l && !strstr(l, "active") && strstr(l, "Z"), "revoked, with its time: %s", l);
    cr_assert_eq(kinship_cmd(&srv, accounts, out, OUT_CAP), 0);
    al = strstr(out, want);
    eol = strchr(al, '\n');
    cr_assert(eol[-1] == '1' && eol[-2] == '\t', "one active client left");

    cr_assert_eq(kinship_cmd(&srv, revoke, NULL, 0), 1, "revoking twice fails");
    const char *revoke_junk[] = {"keys", "revoke", "not-an-id", NULL};
    cr_assert_eq(kinship_cmd(&srv, revoke_junk, NULL, 0), 1);
    const char *bare[] = {"keys", NULL};
    cr_assert_eq(kinship_cmd(&srv, bare, NULL, 0), 2);
    const char *no_account[] = {"keys", "create", NULL};
    cr_assert_eq(kinship_cmd(&srv, no_account, NULL, 0), 2);
    const char *extra[] = {"accounts", "list", "x", NULL};
    cr_assert_eq(kinship_cmd(&srv, extra, NULL, 0), 2);
    free(out);
    server_stop(&srv, true);
}

Test(ops, backup_of_postgresql_points_to_pg_dump)
{
    if (!on_pg())
        cr_skip_test("PostgreSQL only (SQLite backups: test_sqlite_ops.c)");
    struct server srv;
    server_start(&srv, NULL);
    char path[400];
    snprintf(path, sizeof(path), "%s/backup.db", srv.dir);
    const char *args[] = {"backup", path, "--db", srv.db, NULL};
    struct cmd_result r;
    cmd_run(args, NULL, NULL, 30, &r);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "pg_dump"), "%s", r.err);
    cr_assert_neq(access(path, F_OK), 0, "no file was written");
    cmd_free(&r);
    server_stop(&srv, true);
}

Test(ops, a_second_server_on_a_taken_port_exits_1_and_the_first_keeps_it)
{
    struct server srv;
    server_start(&srv, NULL);
    char listen[64];
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", srv.port);
    char db[600];
    snprintf(db, sizeof(db), "sqlite:%s/second.db", srv.dir);
    const char *args[] = {"serve", "--listen", listen, "--db", db, NULL};
    struct cmd_result r;
    cmd_run(args, NULL, NULL, 30, &r);
    cr_assert_eq(r.status, 1, "the port is taken: exit 1 (%d): %s", r.status, r.err);
    cr_assert(strstr(r.err, "cannot listen"), "%s", r.err);
    cmd_free(&r);
    for (int i = 0; i < 20; i++) {
        struct resp *h = req_as(&srv, srv.key, "GET", "/customers", NULL, NULL);
        cr_assert_eq(h->status, 200, "every request reaches the first server (its key works)");
        resp_free(h);
    }
    server_stop(&srv, true);
}
