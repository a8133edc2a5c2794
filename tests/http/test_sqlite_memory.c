/* The memory: store (docs/console.md, "The test twin"): SQLite in memory,
 * seeded inside the serving process, shared by its writer and readers, and
 * nothing of it on disk. */
#include "harness.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

HTTP_SUITE(memory, 120,
           .extra = HTTP_ARGS("--db", "memory:", "--seed-demo", "demo", "--test-reset", "on"));

/* The key serve --seed-demo printed: the log's line of the form ID:SECRET. */
static void seeded_key(char *out, size_t cap)
{
    FILE *f = fopen(srv.log, "r");
    cr_assert(f, "%s", srv.log);
    char line[512];
    out[0] = '\0';
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        size_t n = strlen(line);
        if (n > 37 && n < cap && line[36] == ':' && !strchr(line, ' '))
            memcpy(out, line, n + 1);
    }
    fclose(f);
    cr_assert(out[0], "serve --seed-demo printed a key (see %s)", srv.log);
}

static long long total(const char *key)
{
    struct resp *r = req_as(&srv, key, "GET", "/customers?limit=1", NULL, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    long long n = page_total(r);
    resp_free(r);
    return n;
}

struct reader {
    const char *key;
    int ok;
};

static void *read_many(void *arg)
{
    struct reader *rd = arg;
    for (int i = 0; i < 50; i++) {
        struct resp *r =
            req_as(&srv, rd->key, "GET", "/customers/by-alias/northwind-group", NULL, NULL);
        rd->ok += r->status == 200;
        resp_free(r);
    }
    return NULL;
}

Test(memory, seeded_at_start_and_shared_by_writer_and_readers)
{
    char key[256];
    seeded_key(key, sizeof(key));
    cr_assert_eq(total(key), 400);
    /* Writes and reads at once: readers see what the writer committed. */
    struct reader rd[3] = {{key, 0}, {key, 0}, {key, 0}};
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, read_many, &rd[i]);
    for (int i = 0; i < 20; i++) {
        char name[32];
        snprintf(name, sizeof(name), "Written %d", i);
        free(make_customer(&srv, key, name));
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(t[i], NULL);
        cr_assert_eq(rd[i].ok, 50);
    }
    cr_assert_eq(total(key), 420);
    struct resp *r = req_as(&srv, key, "POST", "/_kinship/reset?seed=demo", NULL, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    resp_free(r);
    cr_assert_eq(total(key), 400);
}

Test(memory, nothing_reaches_the_disk)
{
    char key[256];
    seeded_key(key, sizeof(key));
    free(make_customer(&srv, key, "Volatile Ltd"));
    /* The harness made its first key in a SQLite file beside the log; the
     * memory store never opened it, so the seeded account is not there. */
    char out[4096];
    const char *args[] = {"accounts", "list", NULL};
    cr_assert_eq(kinship_cmd(&srv, args, out, sizeof(out)), 0);
    cr_assert(!strstr(out, "\tdemo\t"), "%s", out);
    /* A second server on memory: starts empty. */
    server_stop(&srv, true);
    server_start(&srv, HTTP_ARGS("--db", "memory:", "--seed-demo", "again"));
    char again[256];
    seeded_key(again, sizeof(again));
    cr_assert_eq(total(again), 400, "its own seed only, not Volatile Ltd");
}
