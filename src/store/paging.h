/*
 * The backend-neutral half of keyset paging (internal to src/store): how a
 * struct page_query turns into the comparisons, the scan direction and the
 * page flags that both backends' SQL uses, plus the helpers their list
 * queries share. Each backend writes its own SQL from the plan; the plan
 * alone decides which rows a page holds.
 */
#ifndef KINSHIP_STORE_PAGING_H
#define KINSHIP_STORE_PAGING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* A comparison of (key, id) against the cursor's (key, id). */
enum page_cmp { PAGE_CMP_NONE, PAGE_CMP_GT, PAGE_CMP_LT, PAGE_CMP_GE, PAGE_CMP_LE };

/* The SQL operator of a comparison ("" for PAGE_CMP_NONE). */
const char *page_cmp_sql(enum page_cmp c);

/*
 * How one page query runs. The page is `limit` rows strictly past the
 * cursor (page_cmp) in scan order, fetched one row longer to learn whether
 * more follow; the probe asks whether any row lies on the cursor's other
 * side, the cursor row included (probe_cmp). Before a cursor the rows are
 * fetched backwards (scan_desc is the opposite of the page's order) and
 * the caller reverses them.
 */
struct page_plan {
    enum page_cmp page_cmp;  /* PAGE_CMP_NONE without a cursor */
    enum page_cmp probe_cmp; /* PAGE_CMP_NONE without a cursor */
    bool scan_desc;          /* the fetch order */
    bool reversed;           /* fetched backwards: reverse the rows */
    int64_t limit;           /* rows of a page (a negative limit is 0) */
};

void page_plan_make(const struct page_query *pq, struct page_plan *p);

/*
 * The page's flags from what the statements found: `fetched` rows (up to
 * limit + 1) and whether the probe found a row. Returns how many of the
 * fetched rows belong to the page. Sets has_next and has_prev of `pr`;
 * leaves total alone.
 */
size_t page_plan_finish(const struct page_plan *p, size_t fetched, bool probe_found,
                        struct page_result *pr);

/* "%s%" for a LIKE or ILIKE with ESCAPE '\': the wildcards of `s` (%, _
 * and \) escaped, wrapped for a substring match. Lives in `a`. */
const char *store__like_pattern(struct arena *a, const char *s);

/* Reverses n elements of `size` bytes each, in place. */
void store__reverse(void *items, size_t n, size_t size);

/* A decimal int64 cursor key; false for an empty, signed-junk or
 * out-of-range text. */
bool store__parse_i64(const char *s, int64_t *out);

#endif
