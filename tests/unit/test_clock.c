/* ISO 8601 text of times, against the C library's own conversion. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../../src/core/clock.h"

/* What clock_iso must write for years 0-9999: gmtime_r's fields of the
 * whole second at or before `ms`, the year in four digits (strftime's %Y
 * would not pad year 1). */
static void expected(int64_t ms, char out[ISO_LEN + 1])
{
    int64_t s = ms / 1000 - (ms % 1000 < 0);
    time_t t = (time_t)s;
    struct tm tm;
    cr_assert_not_null(gmtime_r(&t, &tm));
    char text[64];
    snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    cr_assert_eq(strlen(text), 20, "%s", text);
    memcpy(out, text, 21);
}

static void check(int64_t ms)
{
    char got[ISO_LEN + 1], want[ISO_LEN + 1];
    memset(got, 'x', sizeof(got));
    clock_iso(ms, got);
    expected(ms, want);
    cr_assert_str_eq(got, want, "ms %lld", (long long)ms);
}

/* Seconds since the epoch of a UTC date, for the cases below. */
static int64_t at(int y, int mon, int d, int h, int mi, int s)
{
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mon - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = s};
    return (int64_t)timegm(&tm);
}

Test(clock, known_days)
{
    char out[ISO_LEN + 1];
    clock_iso(0, out);
    cr_assert_str_eq(out, "1970-01-01T00:00:00Z");
    clock_iso(1722340800123, out); /* the API version's day, noon */
    cr_assert_str_eq(out, "2024-07-30T12:00:00Z");
    clock_iso(-1, out); /* the last millisecond of 1969 */
    cr_assert_str_eq(out, "1969-12-31T23:59:59Z");
    clock_iso(951782400000, out);
    cr_assert_str_eq(out, "2000-02-29T00:00:00Z");
}

Test(clock, month_and_century_edges)
{
    static const int years[] = {1,    99,   100,  400,  1600, 1899, 1900, 1969, 1970, 1999,
                                2000, 2001, 2023, 2024, 2038, 2099, 2100, 2400, 9999};
    for (size_t i = 0; i < sizeof(years) / sizeof(years[0]); i++)
        for (int mon = 1; mon <= 12; mon++) {
            int64_t first = at(years[i], mon, 1, 0, 0, 0) * 1000;
            check(first);
            check(first - 1); /* the month before's last millisecond */
            check(first + 999);
        }
    check(at(9999, 12, 31, 23, 59, 59) * 1000 + 999);
    check(at(0, 1, 1, 0, 0, 0) * 1000);
}

Test(clock, every_day_of_four_centuries)
{
    /* 1900-2300 holds every kind of leap rule: 1900 and 2100 are not,
     * 2000 is. A different second of the day each day. */
    int64_t from = at(1900, 1, 1, 0, 0, 0), to = at(2300, 1, 1, 0, 0, 0);
    uint64_t x = 88172645463325252u;
    for (int64_t day = from; day < to; day += 86400) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        check((day + (int64_t)(x % 86400)) * 1000 + (int64_t)(x % 1000));
    }
}

Test(clock, years_the_api_never_shows_fall_back_to_the_library)
{
    int64_t ms = at(10000, 1, 1, 0, 0, 0) * 1000;
    char got[ISO_LEN + 1], want[ISO_LEN + 1];
    clock_iso(ms, got);
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    cr_assert_not_null(gmtime_r(&t, &tm));
    strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%SZ", &tm);
    cr_assert_str_eq(got, want);
}

/* clock_iso_ms (export keeps milliseconds): the same text as clock_iso with
 * ".mmm" before the Z, the milliseconds of the second at or before `ms`. */
Test(clock, milliseconds_follow_the_second)
{
    static const int64_t cases[] = {0, 1, 999, 1000, 1722340800123, -1, -999, -1000, -1001};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t ms = cases[i];
        char got[ISO_LEN + 1], want[ISO_LEN + 1], sec[ISO_LEN + 1];
        memset(got, 'x', sizeof(got));
        clock_iso_ms(ms, got);
        clock_iso(ms, sec);
        int64_t frac = ms % 1000 < 0 ? ms % 1000 + 1000 : ms % 1000;
        snprintf(want, sizeof(want), "%.19s.%03lldZ", sec, (long long)frac);
        cr_assert_str_eq(got, want, "ms %lld", (long long)ms);
    }
}
