/* UTF-8 validation, by the ranges of Unicode's table 3-7 ("well-formed
 * UTF-8 byte sequences"): the second byte's range depends on the first,
 * which is what rules out overlongs, surrogates and code points past
 * U+10FFFF without decoding. */
#include "utf8.h"

#include <stdint.h>

bool utf8_valid(const char *s, size_t len)
{
    const uint8_t *p = (const uint8_t *)s, *end = p + len;
    while (p < end) {
        uint8_t b = *p;
        if (b >= 0x01 && b <= 0x7f) {
            p++;
            continue;
        }
        size_t n;          /* continuation bytes */
        uint8_t lo = 0x80; /* the second byte's range */
        uint8_t hi = 0xbf;
        if (b >= 0xc2 && b <= 0xdf) {
            n = 1;
        } else if (b >= 0xe0 && b <= 0xef) {
            n = 2;
            if (b == 0xe0)
                lo = 0xa0; /* below: overlong */
            else if (b == 0xed)
                hi = 0x9f; /* above: surrogates */
        } else if (b >= 0xf0 && b <= 0xf4) {
            n = 3;
            if (b == 0xf0)
                lo = 0x90; /* below: overlong */
            else if (b == 0xf4)
                hi = 0x8f; /* above: past U+10FFFF */
        } else {
            return false; /* NUL, a lone continuation, 0xc0, 0xc1, 0xf5-0xff */
        }
        if ((size_t)(end - p) <= n || p[1] < lo || p[1] > hi)
            return false;
        for (size_t i = 2; i <= n; i++)
            if (p[i] < 0x80 || p[i] > 0xbf)
                return false;
        p += n + 1;
    }
    return true;
}
