/*
 * The organization cache: a chained hash table over (account, id) and a
 * least-recently-used list, under one mutex. An entry is one allocation:
 * the header, the member array, then every name.
 */
#include "orgcache.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry {
    struct entry *hnext;       /* hash chain */
    struct entry *prev, *next; /* LRU list, most recent first */
    unsigned refs;             /* the table's one while linked, plus readers' arenas */
    struct org_cache *cache;
    uint64_t hash;
    size_t size; /* counted against the budget */
    int64_t rev;
    char account[ID_LEN + 1];
    struct organization org; /* members and names point into this allocation */
};

struct org_cache {
    pthread_mutex_t mu;
    struct entry **buckets;
    size_t mask;
    struct entry *head, *tail;
    size_t entries, bytes, budget;
    uint64_t hits, misses;
    size_t held; /* entries out of the table that readers' arenas still hold */
    bool closed; /* destroyed: the last release frees the cache */
};

static uint64_t key_hash(const char *account, const char *id)
{
    uint64_t h = 14695981039346656037ULL; /* FNV-1a */
    for (const char *p = id; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    for (const char *p = account; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    return h;
}

struct org_cache *org_cache_create(size_t budget)
{
    if (budget == 0)
        return NULL;
    struct org_cache *oc = xcalloc(1, sizeof(*oc));
    size_t n = 64;
    while (n < budget / 1024)
        n *= 2;
    oc->buckets = xcalloc(n, sizeof(*oc->buckets));
    oc->mask = n - 1;
    oc->budget = budget;
    pthread_mutex_init(&oc->mu, NULL);
    return oc;
}

static void cache_free(struct org_cache *oc)
{
    free(oc->buckets);
    pthread_mutex_destroy(&oc->mu);
    free(oc);
}

static struct entry *unlink_entry(struct org_cache *oc, struct entry *e);

/* Entries an arena still holds (a reader that outlives the store, as a
 * test's arena may) are freed by their last release, and the cache with
 * the last of them. */
void org_cache_destroy(struct org_cache *oc)
{
    if (!oc)
        return;
    struct entry *dead = NULL, *v;
    pthread_mutex_lock(&oc->mu);
    while (oc->head)
        if ((v = unlink_entry(oc, oc->head))) {
            v->hnext = dead;
            dead = v;
        }
    oc->closed = true;
    bool last = oc->held == 0;
    pthread_mutex_unlock(&oc->mu);
    while (dead) {
        v = dead->hnext;
        free(dead);
        dead = v;
    }
    if (last)
        cache_free(oc);
}

/* Under the mutex. */
static struct entry *find(struct org_cache *oc, uint64_t h, const char *account, const char *id)
{
    for (struct entry *e = oc->buckets[h & oc->mask]; e; e = e->hnext)
        if (e->hash == h && strcmp(e->org.id, id) == 0 && strcmp(e->account, account) == 0)
            return e;
    return NULL;
}

static void lru_remove(struct org_cache *oc, struct entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        oc->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        oc->tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_push(struct org_cache *oc, struct entry *e)
{
    e->prev = NULL;
    e->next = oc->head;
    if (oc->head)
        oc->head->prev = e;
    oc->head = e;
    if (!oc->tail)
        oc->tail = e;
}

/* Takes `e` out of the table and the list; returns it when nobody holds it
 * any more, for the caller to free once the mutex is released. */
static struct entry *unlink_entry(struct org_cache *oc, struct entry *e)
{
    struct entry **p = &oc->buckets[e->hash & oc->mask];
    while (*p != e)
        p = &(*p)->hnext;
    *p = e->hnext;
    lru_remove(oc, e);
    oc->entries--;
    oc->bytes -= e->size;
    if (--e->refs == 0)
        return e;
    oc->held++;
    return NULL;
}

/* An arena release: the reader is done with the entry. */
static void entry_release(void *arg)
{
    struct entry *e = arg;
    struct org_cache *oc = e->cache;
    pthread_mutex_lock(&oc->mu);
    bool last = --e->refs == 0;
    if (last)
        oc->held--; /* only entries out of the table reach 0 here */
    bool cache_last = oc->closed && oc->held == 0;
    pthread_mutex_unlock(&oc->mu);
    if (last)
        free(e);
    if (last && cache_last)
        cache_free(oc);
}

bool org_cache_get(struct org_cache *oc, const char *account, const char *id, int64_t rev,
                   struct arena *a, struct organization *out)
{
    uint64_t h = key_hash(account, id);
    pthread_mutex_lock(&oc->mu);
    struct entry *e = find(oc, h, account, id);
    if (!e || e->rev != rev) {
        oc->misses++;
        pthread_mutex_unlock(&oc->mu);
        return false;
    }
    oc->hits++;
    e->refs++;
    lru_remove(oc, e);
    lru_push(oc, e);
    pthread_mutex_unlock(&oc->mu);
    /* The entry cannot change or go while the arena holds it. */
    arena_on_release(a, entry_release, e);
    *out = e->org;
    return true;
}

/* Appends s and its NUL at *at; returns where it went (NULL for NULL). */
static const char *put_name(char **at, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = *at;
    memcpy(p, s, n);
    *at += n;
    return p;
}

void org_cache_put(struct org_cache *oc, const char *account, const struct organization *o)
{
    size_t names_len = o->owner.name ? strlen(o->owner.name) + 1 : 0;
    for (size_t i = 0; i < o->n_members; i++)
        names_len += o->members[i].name ? strlen(o->members[i].name) + 1 : 0;
    size_t members_size = o->n_members * sizeof(struct member);
    size_t size = sizeof(struct entry) + members_size + names_len;
    if (size > oc->budget / 4)
        return;

    struct entry *e = xmalloc(size);
    memset(e, 0, sizeof(*e));
    e->org = *o;
    e->org.members = (struct member *)(e + 1);
    char *at = (char *)e->org.members + members_size;
    e->org.owner.name = put_name(&at, o->owner.name);
    for (size_t i = 0; i < o->n_members; i++) {
        e->org.members[i] = o->members[i];
        e->org.members[i].name = put_name(&at, o->members[i].name);
    }
    if (!o->n_members)
        e->org.members = NULL;
    snprintf(e->account, sizeof(e->account), "%s", account);
    e->rev = o->rev;
    e->size = size;
    e->hash = key_hash(account, o->id);
    e->refs = 1;
    e->cache = oc;

    /* What leaves the table is freed after the mutex is released; hnext
     * is free to chain it once it is unlinked. */
    struct entry *victims = NULL, *v;
    pthread_mutex_lock(&oc->mu);
    struct entry *old = find(oc, e->hash, account, o->id);
    if (old && old->rev == o->rev) {
        /* Another reader put the same revision first. */
        pthread_mutex_unlock(&oc->mu);
        free(e);
        return;
    }
    if (old && (v = unlink_entry(oc, old))) {
        v->hnext = victims;
        victims = v;
    }
    struct entry **b = &oc->buckets[e->hash & oc->mask];
    e->hnext = *b;
    *b = e;
    lru_push(oc, e);
    oc->entries++;
    oc->bytes += size;
    while (oc->bytes > oc->budget && oc->tail != e) {
        if ((v = unlink_entry(oc, oc->tail))) {
            v->hnext = victims;
            victims = v;
        }
    }
    pthread_mutex_unlock(&oc->mu);
    while (victims) {
        struct entry *next = victims->hnext;
        free(victims);
        victims = next;
    }
}

void org_cache_stats(struct org_cache *oc, struct org_cache_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (!oc)
        return;
    pthread_mutex_lock(&oc->mu);
    out->hits = oc->hits;
    out->misses = oc->misses;
    out->entries = oc->entries;
    out->bytes = oc->bytes;
    out->budget = oc->budget;
    pthread_mutex_unlock(&oc->mu);
}
