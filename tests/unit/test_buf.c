/* The growable buffer, across the sizes where its memory changes hands
 * (a heap chunk, then a mapping of its own that is grown in place). */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/buf.h"

/* The byte at position i of every buffer these tests build. */
static char byte_at(size_t i)
{
    return (char)('!' + (i * 7 + i / 4093) % 90);
}

static void fill(char *p, size_t from, size_t n)
{
    for (size_t k = 0; k < n; k++)
        p[k] = byte_at(from + k);
}

static void assert_whole(const struct buf *b, size_t len)
{
    cr_assert_eq(b->len, len);
    cr_assert_gt(b->cap, len, "cap %zu, len %zu", b->cap, len);
    for (size_t i = 0; i < len; i++)
        if (b->data[i] != byte_at(i))
            cr_assert_fail("byte %zu of %zu changed (cap %zu)", i, len, b->cap);
    cr_assert_eq(b->data[len], '\0');
}

Test(buf, bytes_survive_every_growth_to_several_megabytes)
{
    struct buf b;
    buf_init(&b, (size_t)-1);
    char chunk[70000];
    size_t len = 0, grew = 0, last_cap = 0;
    /* Appends of uneven sizes, so that growths happen at every offset
     * within a page, and the whole is checked each time the buffer moved. */
    for (size_t step = 1; len < (size_t)5 << 20; step = step * 3 % 69997 + 1) {
        fill(chunk, len, step);
        cr_assert(buf_append(&b, chunk, step));
        len += step;
        if (b.cap != last_cap) {
            assert_whole(&b, len);
            last_cap = b.cap;
            grew++;
        }
    }
    assert_whole(&b, len);
    /* From 256 bytes to over 5 MB: mappings grown several times. */
    cr_assert_geq(grew, 10, "only %zu growths", grew);
    cr_assert_gt(b.cap, (size_t)5 << 20);
    char *taken = buf_steal(&b);
    cr_assert_eq(b.len, 0);
    cr_assert_eq(taken[0], byte_at(0));
    cr_assert_eq(taken[len - 1], byte_at(len - 1));
    free(taken);
    buf_fini(&b);
}

Test(buf, one_append_larger_than_a_mapping_from_empty_and_from_small)
{
    size_t big = (size_t)3 << 20;
    char *src = malloc(big);
    cr_assert_not_null(src);
    fill(src, 0, big);
    for (size_t head = 0; head <= 1000; head += 1000) {
        struct buf b;
        buf_init(&b, (size_t)-1);
        cr_assert(buf_append(&b, src, head));
        cr_assert(buf_append(&b, src + head, big - head));
        assert_whole(&b, big);
        buf_fini(&b);
        cr_assert_null(b.data);
    }
    free(src);
}

Test(buf, the_limit_holds_on_both_sides_of_the_mapping_size)
{
    /* Limits just under, at and over the size from which a buffer is a
     * mapping: the capacity is clamped to limit + 1 there too. */
    size_t limits[] = {256 * 1024 - 1, 256 * 1024, 256 * 1024 + 1, 600 * 1024};
    char *src = malloc(700 * 1024);
    cr_assert_not_null(src);
    fill(src, 0, 700 * 1024);
    for (size_t k = 0; k < sizeof(limits) / sizeof(limits[0]); k++) {
        size_t limit = limits[k];
        struct buf b;
        buf_init(&b, limit);
        cr_assert(buf_append(&b, src, 1000));
        cr_assert(buf_append(&b, src + 1000, limit - 1001));
        assert_whole(&b, limit - 1);
        cr_assert_leq(b.cap, limit + 1);
        /* Two bytes more than the room left: refused, nothing changed. */
        cr_assert_not(buf_append(&b, src + limit - 1, 2));
        assert_whole(&b, limit - 1);
        cr_assert(buf_append(&b, src + limit - 1, 1));
        assert_whole(&b, limit);
        cr_assert_not(buf_append(&b, src, 1));
        assert_whole(&b, limit);
        buf_fini(&b);
    }
    free(src);
}
