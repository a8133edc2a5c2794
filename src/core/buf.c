/* Bounded growable buffer. */
#include "buf.h"
#include "mem.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/*
 * From BUF_MAPPED_MIN on a buffer is its own mapping, fresh from the kernel
 * on every allocation. Writing into it page by page takes a page fault per
 * 4 KiB, and a fault is dear on a VM: `perf` on the list walk over a
 * million customers (pages of 1.7 MB) put 17% of a page in them. Asking for
 * the pages in one call (MADV_POPULATE_WRITE, Linux 5.14) does the same
 * work without the faults; docs/performance.md has the figures.
 */
static void prefault(char *p, size_t from, size_t to)
{
#ifdef MADV_POPULATE_WRITE
    static size_t page;
    if (!page)
        page = (size_t)sysconf(_SC_PAGESIZE);
    uintptr_t a = ((uintptr_t)p + from + page - 1) & ~(uintptr_t)(page - 1);
    uintptr_t z = ((uintptr_t)p + to) & ~(uintptr_t)(page - 1);
    /* An older kernel says EINVAL; the pages then fault in as before. */
    if (z > a)
        (void)madvise((void *)a, z - a, MADV_POPULATE_WRITE);
#else
    (void)p;
    (void)from;
    (void)to;
#endif
}

void buf_init(struct buf *b, size_t limit)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->limit = limit;
    b->failed = false;
}

void buf_fini(struct buf *b)
{
    free(b->data);
    buf_init(b, b->limit);
}

bool buf__grow(struct buf *b, size_t n)
{
    if (n > b->limit || b->len > b->limit - n) {
        b->failed = true;
        return false;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        if (b->limit < (size_t)-1 && cap > b->limit + 1)
            cap = b->limit + 1;
        if (cap < BUF_MAPPED_MIN) {
            b->data = xrealloc(b->data, cap);
        } else if (b->cap < BUF_MAPPED_MIN) {
            /* Into a mapping: populated before the copy, which would
             * otherwise fault on every page it writes. */
            char *q = xmalloc(cap);
            prefault(q, 0, cap);
            if (b->len)
                memcpy(q, b->data, b->len + 1);
            free(b->data);
            b->data = q;
        } else {
            /* glibc moves a mapping's pages (mremap): only the tail is new. */
            b->data = xrealloc(b->data, cap);
            prefault(b->data, b->cap, cap);
        }
        b->cap = cap;
    }
    return true;
}

static void *xmalloc_cb(void *ctx, size_t n)
{
    (void)ctx;
    return xmalloc(n);
}

bool buf_printf(struct buf *b, const char *fmt, ...)
{
    char small[256];
    size_t n;
    va_list ap;
    va_start(ap, fmt);
    char *s = mem_vformat(small, sizeof(small), xmalloc_cb, NULL, &n, fmt, ap);
    va_end(ap);
    if (!s) {
        b->failed = true;
        return false;
    }
    bool ok = buf_append(b, s, n);
    if (s != small)
        free(s);
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
