/* Wall and monotonic clocks. */
#include "clock.h"

#include <stdbool.h>
#include <time.h>

int64_t clock_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * Days since 1970-01-01 to a proleptic Gregorian date, by 400-year eras
 * (146,097 days each, the calendar's whole cycle): the day of the era
 * gives the year of the era, and a year counted from March puts the leap
 * day last, so months have a fixed pattern (153 days a five-month run).
 * gmtime_r and strftime did this before; both take glibc's time zone
 * lock, which `perf` showed on list pages of a hundred customers.
 */
static void civil(int64_t days, int64_t *y, int *m, int *d)
{
    int64_t z = days + 719468; /* days since 0000-03-01 */
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;                                      /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
    int64_t mp = (5 * doy + 2) / 153;                                    /* March = 0 */
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static void put2(char *p, int v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

/* "YYYY-MM-DDTHH:MM:SS" then ".mmmZ" (with_ms) or "Z". */
static void iso(int64_t ms, bool with_ms, char out[ISO_LEN + 1])
{
    int64_t s = ms / 1000 - (ms % 1000 < 0);
    int64_t days = s / 86400, sec = s % 86400;
    if (sec < 0) {
        sec += 86400;
        days--;
    }
    int64_t y;
    int m, d;
    civil(days, &y, &m, &d);
    size_t n = 19;
    if (y < 0 || y > 9999) { /* strftime's text for what the API never shows */
        time_t t = (time_t)s;
        struct tm tm;
        n = gmtime_r(&t, &tm) ? strftime(out, ISO_LEN + 1, "%Y-%m-%dT%H:%M:%S", &tm) : 0;
        if (!n) {
            out[0] = '\0';
            return;
        }
    } else {
        put2(out, (int)(y / 100));
        put2(out + 2, (int)(y % 100));
        out[4] = '-';
        put2(out + 5, m);
        out[7] = '-';
        put2(out + 8, d);
        out[10] = 'T';
        put2(out + 11, (int)(sec / 3600));
        out[13] = ':';
        put2(out + 14, (int)(sec / 60 % 60));
        out[16] = ':';
        put2(out + 17, (int)(sec % 60));
    }
    /* By hand, not snprintf: a list page writes hundreds of these. */
    char *p = out + n;
    size_t room = ISO_LEN - n; /* characters left before the terminator */
    if (with_ms && room >= 5) {
        int f = (int)(ms - s * 1000);
        p[0] = '.';
        p[1] = (char)('0' + f / 100);
        put2(p + 2, f % 100);
        p[4] = 'Z';
        p[5] = '\0';
    } else if (!with_ms && room >= 1) {
        p[0] = 'Z';
        p[1] = '\0';
    } else {
        out[0] = '\0';
    }
}

void clock_iso(int64_t ms, char out[ISO_LEN + 1])
{
    iso(ms, false, out);
}

void clock_iso_ms(int64_t ms, char out[ISO_LEN + 1])
{
    iso(ms, true, out);
}
