/* Bounded growable buffer. */
#include "buf.h"
#include "mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, size_t limit)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->limit = limit;
}

void buf_fini(struct buf *b)
{
    free(b->data);
    buf_init(b, b->limit);
}

bool buf__grow(struct buf *b, size_t n)
{
    if (n > b->limit || b->len > b->limit - n)
        return false;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        if (b->limit < (size_t)-1 && cap > b->limit + 1)
            cap = b->limit + 1;
        b->data = xrealloc(b->data, cap);
        b->cap = cap;
    }
    return true;
}

bool buf_printf(struct buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return false;
    if ((size_t)n < sizeof(small))
        return buf_append(b, small, (size_t)n);
    char *big = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    bool ok = buf_append(b, big, (size_t)n);
    free(big);
    return ok;
}

char *buf_steal(struct buf *b)
{
    char *d = b->data;
    if (!d)
        d = xstrdup("");
    buf_init(b, b->limit);
    return d;
}
