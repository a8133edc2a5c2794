/* Allocation wrappers that abort on exhaustion, and the request arena. */
#include "mem.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n)
{
    fprintf(stderr, "level=fatal msg=\"out of memory\" bytes=%zu\n", n);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom(n * size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    char *d = xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/*
 * Blocks are chained newest first. A request usually fits the first 8 KiB
 * block; large allocations get a block of their own.
 */
#define ARENA_BLOCK 8192
#define ARENA_ALIGN 16

struct block {
    struct block *next;
    size_t size, used;
    _Alignas(ARENA_ALIGN) unsigned char data[];
};

struct release {
    struct release *next;
    void (*fn)(void *);
    void *arg;
};

struct arena {
    struct block *head;
    size_t total;
    struct release *releases; /* in the arena's own blocks, latest first */
};

static struct block *block_new(size_t size)
{
    struct block *b = xmalloc(sizeof(*b) + size);
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

struct arena *arena_create(void)
{
    struct arena *a = xmalloc(sizeof(*a));
    a->head = block_new(ARENA_BLOCK);
    a->total = 0;
    a->releases = NULL;
    return a;
}

void arena_on_release(struct arena *a, void (*fn)(void *), void *arg)
{
    struct release *r = arena_alloc(a, sizeof(*r));
    r->fn = fn;
    r->arg = arg;
    r->next = a->releases;
    a->releases = r;
}

static void run_releases(struct arena *a)
{
    while (a->releases) {
        struct release *r = a->releases;
        a->releases = r->next;
        r->fn(r->arg);
    }
}

void arena_reset(struct arena *a)
{
    run_releases(a);
    struct block *b = a->head;
    while (b->next) {
        struct block *next = b->next;
        free(b);
        b = next;
    }
    b->used = 0;
    a->head = b;
    a->total = 0;
}

void arena_destroy(struct arena *a)
{
    if (!a)
        return;
    run_releases(a);
    struct block *b = a->head;
    while (b) {
        struct block *next = b->next;
        free(b);
        b = next;
    }
    free(a);
}

void *arena_alloc(struct arena *a, size_t n)
{
    n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (n == 0)
        n = ARENA_ALIGN;
    struct block *b = a->head;
    if (b->size - b->used < n) {
        if (n > ARENA_BLOCK / 4) {
            /* A big allocation gets its own block behind the head, so the
             * head's free space stays usable. */
            struct block *big = block_new(n);
            big->used = n;
            big->next = b->next;
            b->next = big;
            a->total += n;
            return big->data;
        }
        b = block_new(ARENA_BLOCK);
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    a->total += n;
    return p;
}

void *arena_zalloc(struct arena *a, size_t n)
{
    void *p = arena_alloc(a, n);
    memset(p, 0, n);
    return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    char *d = arena_alloc(a, n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *arena_strdup(struct arena *a, const char *s)
{
    return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

char *mem_vformat(char *small, size_t cap, void *(*alloc)(void *ctx, size_t size), void *ctx,
                  size_t *len, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(small, cap, fmt, ap);
    char *out = small;
    if (n >= 0 && (size_t)n >= cap) {
        out = alloc(ctx, (size_t)n + 1);
        vsnprintf(out, (size_t)n + 1, fmt, again);
    }
    va_end(again);
    *len = n < 0 ? 0 : (size_t)n;
    return n < 0 ? NULL : out;
}

static void *arena_alloc_cb(void *a, size_t n)
{
    return arena_alloc(a, n);
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
    /* Most strings fit the stack buffer: one formatting pass. */
    char small[256];
    size_t n;
    va_list ap;
    va_start(ap, fmt);
    char *s = mem_vformat(small, sizeof(small), arena_alloc_cb, a, &n, fmt, ap);
    va_end(ap);
    /* A format error is the empty string. */
    return s && s != small ? s : arena_strndup(a, small, s ? n : 0);
}

size_t arena_used(const struct arena *a)
{
    return a->total;
}
