/* Token buckets in a fixed hash table with per-slot-group locks. */
#include "ratelimit.h"
#include "../core/id.h"
#include "../core/mem.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 4096 /* buckets are never evicted: clients are few */
#define LOCKS 64

struct bucket {
    struct bucket *next;
    char client[ID_LEN + 1];
    double tokens;
    int64_t at_us;
};

struct ratelimit {
    double capacity, per_us;
    pthread_mutex_t locks[LOCKS];
    struct bucket *slots[SLOTS];
};

struct ratelimit *ratelimit_create(long per_minute)
{
    if (per_minute <= 0)
        return NULL;
    struct ratelimit *rl = xcalloc(1, sizeof(*rl));
    rl->capacity = (double)per_minute;
    rl->per_us = (double)per_minute / 60e6;
    for (int i = 0; i < LOCKS; i++)
        pthread_mutex_init(&rl->locks[i], NULL);
    return rl;
}

void ratelimit_destroy(struct ratelimit *rl)
{
    if (!rl)
        return;
    for (int i = 0; i < SLOTS; i++) {
        struct bucket *b = rl->slots[i];
        while (b) {
            struct bucket *next = b->next;
            free(b);
            b = next;
        }
    }
    for (int i = 0; i < LOCKS; i++)
        pthread_mutex_destroy(&rl->locks[i]);
    free(rl);
}

static unsigned hash(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

bool ratelimit_take(struct ratelimit *rl, const char *client, int64_t now_us, int *retry_s)
{
    if (!rl)
        return true;
    unsigned slot = hash(client) % SLOTS;
    pthread_mutex_t *lock = &rl->locks[slot % LOCKS];
    pthread_mutex_lock(lock);
    struct bucket *b = rl->slots[slot];
    while (b && strcmp(b->client, client) != 0)
        b = b->next;
    if (!b) {
        b = xcalloc(1, sizeof(*b));
        strncpy(b->client, client, ID_LEN);
        b->tokens = rl->capacity;
        b->at_us = now_us;
        b->next = rl->slots[slot];
        rl->slots[slot] = b;
    }
    double t = b->tokens + (double)(now_us - b->at_us) * rl->per_us;
    b->tokens = t > rl->capacity ? rl->capacity : t;
    b->at_us = now_us;
    bool ok = b->tokens >= 1.0;
    if (ok) {
        b->tokens -= 1.0;
    } else {
        double wait_s = (1.0 - b->tokens) / (rl->per_us * 1e6);
        *retry_s = (int)wait_s + 1;
    }
    pthread_mutex_unlock(lock);
    return ok;
}
