/*
 * Identifiers: UUIDv7 (RFC 9562) in their 36-character lowercase text form.
 * The first 48 bits are the Unix time in milliseconds, so ids sort by
 * creation time; within one millisecond a process keeps them increasing.
 */
#ifndef KINSHIP_CORE_ID_H
#define KINSHIP_CORE_ID_H

#include <stdbool.h>
#include <stdint.h>

#define ID_LEN 36

/* Writes a new UUIDv7 and its NUL into out[ID_LEN + 1]. Thread-safe. */
void id_new(char out[ID_LEN + 1]);
/* True when `s` is a UUID in canonical 8-4-4-4-12 hex form (any version,
 * either case). */
bool id_valid(const char *s);
/* Copies `s` in lowercase into out; `s` must be id_valid(). */
void id_normalize(const char *s, char out[ID_LEN + 1]);
/* Milliseconds since the epoch encoded in a UUIDv7. */
int64_t id_time_ms(const char *id);

#endif
