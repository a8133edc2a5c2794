/* Failed-authentication counters: two set-associative tables (addresses,
 * client ids) of fixed size, one lock per set. */
#include "throttle.h"
#include "../core/mem.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SETS 512
#define WAYS 8
#define KEY_MAX 64 /* an IPv6 address in text or a client id, with room */

struct entry {
    char key[KEY_MAX];
    int64_t start_us; /* the window's first failure; 0: empty */
    long count;
    bool known; /* hash is the client's secret hash (id table) */
    uint8_t hash[SECRET_HASH_LEN];
};

struct table {
    pthread_mutex_t locks[SETS];
    struct entry e[SETS][WAYS];
};

struct throttle {
    long failures;
    int64_t window_us;
    struct table addrs, ids;
};

static void table_init(struct table *tb)
{
    for (int i = 0; i < SETS; i++)
        pthread_mutex_init(&tb->locks[i], NULL);
}

static void table_fini(struct table *tb)
{
    for (int i = 0; i < SETS; i++)
        pthread_mutex_destroy(&tb->locks[i]);
}

struct throttle *throttle_create(long failures, long window_s)
{
    if (failures <= 0)
        return NULL;
    struct throttle *t = xcalloc(1, sizeof(*t));
    t->failures = failures;
    t->window_us = (int64_t)(window_s > 0 ? window_s : 1) * 1000000;
    table_init(&t->addrs);
    table_init(&t->ids);
    return t;
}

void throttle_destroy(struct throttle *t)
{
    if (!t)
        return;
    table_fini(&t->addrs);
    table_fini(&t->ids);
    secret_wipe(t->ids.e, sizeof(t->ids.e));
    free(t);
}

static unsigned set_of(const char *key)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const char *p = key; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return h % SETS;
}

static bool expired(const struct throttle *t, const struct entry *e, int64_t now_us)
{
    return e->start_us == 0 || now_us - e->start_us >= t->window_us;
}

/* The live entry of `key` in its (locked) set, or NULL. */
static struct entry *find(struct throttle *t, struct entry *set, const char *key, int64_t now_us)
{
    for (int i = 0; i < WAYS; i++)
        if (!expired(t, &set[i], now_us) && strcmp(set[i].key, key) == 0)
            return &set[i];
    return NULL;
}

/* Whether `e` is throttled; *retry_s says for how long. */
static bool throttled(const struct throttle *t, const struct entry *e, int64_t now_us, int *retry_s)
{
    if (!e || e->count < t->failures)
        return false;
    int64_t left_us = e->start_us + t->window_us - now_us;
    *retry_s = (int)((left_us + 999999) / 1000000);
    if (*retry_s < 1)
        *retry_s = 1;
    return true;
}

bool throttle_addr_ok(struct throttle *t, const char *addr, int64_t now_us, int *retry_s)
{
    if (!t)
        return true;
    unsigned s = set_of(addr);
    pthread_mutex_lock(&t->addrs.locks[s]);
    bool ok = !throttled(t, find(t, t->addrs.e[s], addr, now_us), now_us, retry_s);
    pthread_mutex_unlock(&t->addrs.locks[s]);
    return ok;
}

bool throttle_id_ok(struct throttle *t, const char *id, const uint8_t given[SECRET_HASH_LEN],
                    int64_t now_us, int *retry_s)
{
    if (!t)
        return true;
    unsigned s = set_of(id);
    pthread_mutex_lock(&t->ids.locks[s]);
    struct entry *e = find(t, t->ids.e[s], id, now_us);
    bool ok = !throttled(t, e, now_us, retry_s) || (e->known && secret_hash_equal(given, e->hash));
    pthread_mutex_unlock(&t->ids.locks[s]);
    return ok;
}

/* Counts a failure for `key`: its live entry, else an empty or expired one
 * of the set, else the one with the fewest failures starts over. */
static void count(struct throttle *t, struct table *tb, const char *key,
                  const uint8_t known[SECRET_HASH_LEN], int64_t now_us)
{
    unsigned s = set_of(key);
    pthread_mutex_lock(&tb->locks[s]);
    struct entry *set = tb->e[s];
    struct entry *e = find(t, set, key, now_us);
    if (!e) {
        e = &set[0];
        for (int i = 0; i < WAYS; i++) {
            if (expired(t, &set[i], now_us)) {
                e = &set[i];
                break;
            }
            if (set[i].count < e->count)
                e = &set[i];
        }
        memset(e, 0, sizeof(*e));
        size_t n = strlen(key);
        memcpy(e->key, key, n < KEY_MAX ? n : KEY_MAX - 1);
        e->start_us = now_us ? now_us : 1;
    }
    e->count++;
    if (known) {
        memcpy(e->hash, known, SECRET_HASH_LEN);
        e->known = true;
    }
    pthread_mutex_unlock(&tb->locks[s]);
}

void throttle_fail(struct throttle *t, const char *addr, const char *id,
                   const uint8_t known[SECRET_HASH_LEN], int64_t now_us)
{
    if (!t)
        return;
    count(t, &t->addrs, addr, NULL, now_us);
    if (id)
        count(t, &t->ids, id, known, now_us);
}
