/*
 * A growable byte buffer with a hard limit (a request body, a rendered
 * response). Appending past the limit fails, leaves the buffer as it was
 * and sets `failed`, which stays set: a writer that appends many pieces
 * checks once at the end that none was dropped.
 */
#ifndef KINSHIP_CORE_BUF_H
#define KINSHIP_CORE_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct buf {
    char *data;             /* NUL-terminated whenever len > 0 */
    size_t len, cap, limit; /* cap is never more than limit + 1 */
    bool failed;            /* an append did not fit: the content is not whole */
};

/* From this capacity on a buffer is a mapping of its own: `kinship serve`
 * sets glibc's mmap threshold to it (tune_malloc in main.c), and buf__grow
 * populates such buffers in one call instead of a fault per page. */
#define BUF_MAPPED_MIN ((size_t)256 * 1024)

void buf_init(struct buf *b, size_t limit);
void buf_fini(struct buf *b);
/* Makes room for `n` more bytes and the NUL; false (and `failed` set)
 * past the limit. */
bool buf__grow(struct buf *b, size_t n);

/*
 * Appends `n` bytes. Returns false past the limit, changing nothing but
 * `failed`.
 * Inline: the renderers append a few bytes at a time, and `perf` on a list
 * page put a tenth of the time in the call. Since cap never passes
 * limit + 1, fitting in cap is within the limit.
 */
static inline bool buf_append(struct buf *b, const void *p, size_t n)
{
    if (n >= b->cap - b->len && !buf__grow(b, n))
        return false;
    if (n) /* p may be NULL then (an empty buffer's data) */
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return true;
}

/* Appends a C string; its length folds to a constant for a literal. */
static inline bool buf_puts(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

bool buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the bytes to the caller (free() them) and empties `b` (`failed`
 * too: check it first). */
char *buf_steal(struct buf *b);

#endif
