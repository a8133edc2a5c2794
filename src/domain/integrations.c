/*
 * A customer's integrationIds as the stores keep them: one JSON text
 * column, [{"service":"...","id":"..."},...]. Both backends write and read
 * it through these functions, so that the JSON library stays in the domain.
 */
#include "integrations.h"

#include <jansson.h>
#include <string.h>

char *integrations_encode(const struct customer *c)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < c->n_integrations; i++)
        json_array_append_new(arr, json_pack("{s:s,s:s}", "service", c->integrations[i].service,
                                             "id", c->integrations[i].id));
    char *s = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    return s;
}

/* Skips `lit` at *p; false when *p does not start with it. */
static bool skip_lit(const char **p, const char *lit)
{
    size_t n = strlen(lit);
    if (strncmp(*p, lit, n) != 0)
        return false;
    *p += n;
    return true;
}

/* A string's bytes up to its closing quote, which it skips. */
static const char *take_str(struct arena *a, const char **p)
{
    const char *end = strchr(*p, '"');
    if (!end)
        return NULL;
    const char *s = arena_strndup(a, *p, (size_t)(end - *p));
    *p = end + 1;
    return s;
}

#define FAST_INTEGRATIONS_MAX 16

/*
 * The column exactly as integrations_encode writes it for printable
 * ASCII without escapes: [{"service":"...","id":"..."},...]. Such text means
 * what its bytes say, with no parser. False, with nothing decoded, for
 * anything else, which jansson then reads. A list page decodes the column
 * of every customer that has integrations, and json_loads for the fifth of
 * them that do was 6% of the page in `perf`.
 */
static bool integrations_fast(struct arena *a, const char *text, struct customer *c)
{
    for (const char *q = text; *q; q++)
        if (*q < 0x20 || *q > 0x7e || *q == '\\')
            return false;
    struct integration_id got[FAST_INTEGRATIONS_MAX];
    size_t n = 0;
    const char *p = text;
    if (!skip_lit(&p, "["))
        return false;
    for (;;) {
        if (n == FAST_INTEGRATIONS_MAX || !skip_lit(&p, "{\"service\":\"") ||
            !(got[n].service = take_str(a, &p)) || !skip_lit(&p, ",\"id\":\"") ||
            !(got[n].id = take_str(a, &p)) || !skip_lit(&p, "}"))
            return false;
        n++;
        if (skip_lit(&p, "]"))
            break;
        if (!skip_lit(&p, ","))
            return false;
    }
    if (*p)
        return false;
    c->integrations = arena_alloc(a, n * sizeof(*c->integrations));
    memcpy(c->integrations, got, n * sizeof(*got));
    c->n_integrations = n;
    return true;
}

void integrations_decode(struct arena *a, const char *text, struct customer *c)
{
    c->integrations = NULL;
    c->n_integrations = 0;
    /* Most customers have none: no parse for them (jansson was 4% of a list
     * page, from the fifth of the customers that have some). */
    if (!text || strcmp(text, "[]") == 0 || integrations_fast(a, text, c))
        return;
    json_t *arr = json_loads(text, 0, NULL);
    size_t n = json_array_size(arr);
    if (n) {
        c->integrations = arena_zalloc(a, n * sizeof(*c->integrations));
        for (size_t i = 0; i < n; i++) {
            json_t *e = json_array_get(arr, i);
            c->integrations[i].service =
                arena_strdup(a, json_string_value(json_object_get(e, "service")));
            c->integrations[i].id = arena_strdup(a, json_string_value(json_object_get(e, "id")));
        }
        c->n_integrations = n;
    }
    json_decref(arr);
}
