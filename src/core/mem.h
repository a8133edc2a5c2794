/*
 * Allocation. Out of memory is not an error kinship tries to survive: the
 * x* functions log one line and abort, so no caller handles NULL and no
 * half-working server is left behind.
 *
 * An arena collects the many small strings of one request (or one command)
 * and frees them together. Nothing from an arena is freed one by one.
 */
#ifndef KINSHIP_CORE_MEM_H
#define KINSHIP_CORE_MEM_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

struct arena;

struct arena *arena_create(void);
/* Frees every allocation of `a`, then `a`. NULL is a no-op. */
void arena_destroy(struct arena *a);
/* Frees every allocation of `a` but keeps its first block for reuse. */
void arena_reset(struct arena *a);
/* Uninitialised memory aligned for any type; lives until the arena ends. */
void *arena_alloc(struct arena *a, size_t n);
void *arena_zalloc(struct arena *a, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * The one formatting pass of buf_printf and arena_printf: formats into
 * `small` (cap bytes) when the text fits, the common case, else into
 * alloc(ctx, n + 1) for its n bytes. Returns the text (small, or the
 * allocation, which the caller owns) and its length in *len; NULL on a
 * format error.
 */
char *mem_vformat(char *small, size_t cap, void *(*alloc)(void *ctx, size_t size), void *ctx,
                  size_t *len, const char *fmt, va_list ap);
/* Calls fn(arg) when `a` is next reset, or destroyed, latest registered
 * first: for things a request holds that are not arena memory. */
void arena_on_release(struct arena *a, void (*fn)(void *), void *arg);
/* Bytes handed out by `a` so far (for tests and metrics). */
size_t arena_used(const struct arena *a);

#endif
