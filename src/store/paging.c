/*
 * Keyset paging shared by both backends: the plan of a page query and the
 * small helpers every list query needs (see paging.h).
 */
#include "paging.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const cmp_sql[] = {"", ">", "<", ">=", "<="};

const char *page_cmp_sql(enum page_cmp c)
{
    return cmp_sql[c];
}

void page_plan_make(const struct page_query *pq, struct page_plan *p)
{
    bool desc = pq->desc;
    p->limit = pq->limit > 0 ? pq->limit : 0;
    p->reversed = pq->has_cursor && !pq->cursor_after;
    p->scan_desc = p->reversed ? !desc : desc;
    if (!pq->has_cursor) {
        p->page_cmp = p->probe_cmp = PAGE_CMP_NONE;
    } else if (pq->cursor_after) {
        p->page_cmp = desc ? PAGE_CMP_LT : PAGE_CMP_GT;
        p->probe_cmp = desc ? PAGE_CMP_GE : PAGE_CMP_LE;
    } else {
        p->page_cmp = desc ? PAGE_CMP_GT : PAGE_CMP_LT;
        p->probe_cmp = desc ? PAGE_CMP_LE : PAGE_CMP_GE;
    }
}

size_t page_plan_finish(const struct page_plan *p, size_t fetched, bool probe_found,
                        struct page_result *pr)
{
    bool more = (int64_t)fetched > p->limit;
    pr->has_next = p->reversed ? probe_found : more;
    pr->has_prev = p->reversed ? more : probe_found;
    return more ? (size_t)p->limit : fetched;
}

const char *store__like_pattern(struct arena *a, const char *s)
{
    char *out = arena_alloc(a, 2 * strlen(s) + 3), *o = out;
    *o++ = '%';
    for (; *s; s++) {
        if (*s == '%' || *s == '_' || *s == '\\')
            *o++ = '\\';
        *o++ = *s;
    }
    *o++ = '%';
    *o = '\0';
    return out;
}

void store__reverse(void *items, size_t n, size_t size)
{
    unsigned char tmp[256];
    unsigned char *p = items;
    for (size_t i = 0, j = n ? n - 1 : 0; i < j; i++, j--) {
        unsigned char *x = p + i * size, *y = p + j * size;
        for (size_t off = 0; off < size; off += sizeof(tmp)) {
            size_t k = size - off < sizeof(tmp) ? size - off : sizeof(tmp);
            memcpy(tmp, x + off, k);
            memcpy(x + off, y + off, k);
            memcpy(y + off, tmp, k);
        }
    }
}

bool store__parse_i64(const char *s, int64_t *out)
{
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}
