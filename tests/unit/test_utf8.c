/* UTF-8 validation: the boundaries of every sequence length, and what the
 * HTTP layer must refuse (overlongs, surrogates, past U+10FFFF, NUL). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../../src/core/utf8.h"

struct utf8_case {
    const char *bytes; /* with \x escapes; `len` bytes (NULs included) */
    size_t len;
    bool valid;
    const char *what;
};

#define C(s, v, w)                                                                                 \
    {                                                                                              \
        s, sizeof(s) - 1, v, w                                                                     \
    }

static const struct utf8_case cases[] = {
    C("", true, "empty"),
    C("plain ASCII", true, "ASCII"),
    C("\x01", true, "U+0001"),
    C("\x7f", true, "U+007F, the last 1-byte"),
    C("\xc2\x80", true, "U+0080, the first 2-byte"),
    C("caf\xc3\xa9", true, "e acute"),
    C("\xdf\xbf", true, "U+07FF, the last 2-byte"),
    C("\xe0\xa0\x80", true, "U+0800, the first 3-byte"),
    C("\xed\x9f\xbf", true, "U+D7FF, just below the surrogates"),
    C("\xee\x80\x80", true, "U+E000, just above the surrogates"),
    C("\xef\xbf\xbd", true, "U+FFFD"),
    C("\xef\xbf\xbf", true, "U+FFFF, the last 3-byte"),
    C("\xf0\x90\x80\x80", true, "U+10000, the first 4-byte"),
    C("\xf0\x9f\x98\x80", true, "an emoji"),
    C("\xf4\x8f\xbf\xbf", true, "U+10FFFF, the last code point"),
    C("a\xe2\x82\xac"
      "b\xf0\x90\x8d\x88"
      "c",
      true, "mixed lengths"),

    C("\x00", false, "NUL"),
    C("ab\x00"
      "cd",
      false, "NUL inside"),
    C("\x80", false, "a lone continuation byte"),
    C("\xbf", false, "the last continuation byte alone"),
    C("\xc0\x80", false, "overlong NUL"),
    C("\xc0\xaf", false, "overlong '/'"),
    C("\xc1\xbf", false, "overlong U+007F"),
    C("\xe0\x80\xaf", false, "3-byte overlong '/'"),
    C("\xe0\x9f\xbf", false, "3-byte overlong U+07FF"),
    C("\xf0\x80\x80\xaf", false, "4-byte overlong '/'"),
    C("\xf0\x8f\xbf\xbf", false, "4-byte overlong U+FFFF"),
    C("\xed\xa0\x80", false, "U+D800, the first surrogate"),
    C("\xed\xaf\xbf", false, "U+DBFF"),
    C("\xed\xb0\x80", false, "U+DC00"),
    C("\xed\xbf\xbf", false, "U+DFFF, the last surrogate"),
    C("\xed\xa0\xbd\xed\xb8\x80", false, "a surrogate pair (CESU-8)"),
    C("\xf4\x90\x80\x80", false, "U+110000, past the last code point"),
    C("\xf5\x80\x80\x80", false, "lead byte 0xF5"),
    C("\xf7\xbf\xbf\xbf", false, "lead byte 0xF7"),
    C("\xf8\x88\x80\x80\x80", false, "a 5-byte form"),
    C("\xfc\x84\x80\x80\x80\x80", false, "a 6-byte form"),
    C("\xfe", false, "0xFE"),
    C("\xff", false, "0xFF"),
    C("\xc3", false, "2-byte truncated at the end"),
    C("\xc3x", false, "2-byte cut by ASCII"),
    C("\xe2\x82", false, "3-byte truncated at the end"),
    C("\xe2\x82x", false, "3-byte cut by ASCII"),
    C("\xe2x\xac", false, "3-byte with ASCII in the middle"),
    C("\xf0\x9f\x98", false, "4-byte truncated at the end"),
    C("\xf0\x9f\x98x", false, "4-byte cut by ASCII"),
    C("\xf0\x9f\xc3\xa9", false, "4-byte cut by a 2-byte"),
    C("\xc3\xa9\xa9", false, "a continuation byte too many"),
    C("ok\xff", false, "a bad byte after good text"),
};

Test(utf8, table)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        const struct utf8_case *k = &cases[i];
        cr_expect_eq(utf8_valid(k->bytes, k->len), k->valid, "%s: want %s", k->what,
                     k->valid ? "valid" : "invalid");
    }
}

/* Every code point encodes to a valid sequence, except the surrogates. */
Test(utf8, every_code_point)
{
    for (unsigned cp = 1; cp <= 0x10ffff; cp++) {
        unsigned char b[4];
        size_t n;
        if (cp < 0x80) {
            b[0] = (unsigned char)cp;
            n = 1;
        } else if (cp < 0x800) {
            b[0] = (unsigned char)(0xc0 | cp >> 6);
            b[1] = (unsigned char)(0x80 | (cp & 0x3f));
            n = 2;
        } else if (cp < 0x10000) {
            b[0] = (unsigned char)(0xe0 | cp >> 12);
            b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
            b[2] = (unsigned char)(0x80 | (cp & 0x3f));
            n = 3;
        } else {
            b[0] = (unsigned char)(0xf0 | cp >> 18);
            b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
            b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
            b[3] = (unsigned char)(0x80 | (cp & 0x3f));
            n = 4;
        }
        bool want = cp < 0xd800 || cp > 0xdfff;
        if (utf8_valid((const char *)b, n) != want)
            cr_assert_fail("U+%04X: want %s", cp, want ? "valid" : "invalid");
        /* One byte short is never valid. */
        if (n > 1 && utf8_valid((const char *)b, n - 1))
            cr_assert_fail("U+%04X cut to %zu bytes is valid", cp, n - 1);
    }
}

/* Overlong forms of every code point that has a shorter one. */
Test(utf8, every_overlong)
{
    for (unsigned cp = 0; cp < 0x10000; cp++) {
        unsigned char b[4];
        if (cp < 0x80) {
            b[0] = (unsigned char)(0xc0 | cp >> 6);
            b[1] = (unsigned char)(0x80 | (cp & 0x3f));
            cr_expect_not(utf8_valid((const char *)b, 2), "2-byte overlong U+%04X", cp);
        }
        if (cp < 0x800) {
            b[0] = 0xe0;
            b[1] = (unsigned char)(0x80 | cp >> 6);
            b[2] = (unsigned char)(0x80 | (cp & 0x3f));
            cr_expect_not(utf8_valid((const char *)b, 3), "3-byte overlong U+%04X", cp);
        }
        b[0] = 0xf0;
        b[1] = (unsigned char)(0x80 | cp >> 12);
        b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        b[3] = (unsigned char)(0x80 | (cp & 0x3f));
        cr_expect_not(utf8_valid((const char *)b, 4), "4-byte overlong U+%04X", cp);
    }
}

/* The length bounds the read: a valid prefix of a longer buffer is valid,
 * and bytes past `len` are never looked at. */
Test(utf8, reads_only_len_bytes)
{
    const char s[] = "caf\xc3\xa9\xff";
    cr_assert(utf8_valid(s, 5));
    cr_assert_not(utf8_valid(s, 6));
    cr_assert_not(utf8_valid(s, 4), "the cut e acute");
    cr_assert(utf8_valid(s, 0));
}
