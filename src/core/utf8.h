/*
 * UTF-8 validation of text that came from outside (the request's path and
 * query) before it reaches a store: PostgreSQL refuses a string that is not
 * UTF-8 with an error, SQLite keeps whatever bytes it is given, and a NUL
 * byte would cut a C string short. Checking once, at the door, makes both
 * stores answer the same and neither see the bytes.
 */
#ifndef KINSHIP_CORE_UTF8_H
#define KINSHIP_CORE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/*
 * True when the `len` bytes at `s` are well-formed UTF-8 (RFC 3629, Unicode
 * table 3-7) holding no U+0000. Refused: bytes that start no sequence
 * (0x80-0xBF alone, 0xC0, 0xC1, 0xF5-0xFF), truncated sequences, overlong
 * forms, the surrogates U+D800-U+DFFF, code points over U+10FFFF, and NUL.
 * The empty string is valid. Reads nothing past s + len.
 */
bool utf8_valid(const char *s, size_t len);

#endif
