/*
 * A growable byte buffer with a hard limit (a request body, a rendered
 * response). Appending past the limit fails and leaves the buffer as it was.
 */
#ifndef KINSHIP_CORE_BUF_H
#define KINSHIP_CORE_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct buf {
    char *data; /* NUL-terminated whenever len > 0 */
    size_t len, cap, limit;
};

void buf_init(struct buf *b, size_t limit);
void buf_fini(struct buf *b);
/* Appends `n` bytes. Returns false, changing nothing, past the limit. */
bool buf_append(struct buf *b, const void *p, size_t n);
bool buf_puts(struct buf *b, const char *s);
bool buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the bytes to the caller (free() them) and empties `b`. */
char *buf_steal(struct buf *b);

#endif
