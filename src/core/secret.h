/*
 * API client secrets. A secret is 32 random bytes shown once as base64url;
 * the store keeps only its BLAKE2b-256 hash. Secrets are high-entropy, so a
 * fast hash is enough (a password-stretching KDF would only slow every
 * request); comparison is constant-time.
 */
#ifndef KINSHIP_CORE_SECRET_H
#define KINSHIP_CORE_SECRET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SECRET_HASH_LEN 32
#define SECRET_TEXT_LEN 43 /* base64url of 32 bytes, no padding */

/* Initialises libsodium; aborts when it cannot. Call once at start. */
void secret_init(void);
/* Writes a new secret's text form into out[SECRET_TEXT_LEN + 1]. */
void secret_new(char out[SECRET_TEXT_LEN + 1]);
void secret_hash(const char *secret, size_t len, uint8_t out[SECRET_HASH_LEN]);
/* One piece of a message hashed by secret_hash_parts. */
struct secret_part {
    const void *data;
    size_t len;
};

/*
 * BLAKE2b of the concatenation of `n` parts, `out_len` bytes (16 to 64) into
 * `out`: the same digest as hashing the parts joined into one buffer, without
 * joining them. Used where a request must be recognised again (idempotency).
 */
void secret_hash_parts(const struct secret_part *parts, size_t n, uint8_t *out, size_t out_len);
/* Constant-time equality of two hashes. */
bool secret_hash_equal(const uint8_t a[SECRET_HASH_LEN], const uint8_t b[SECRET_HASH_LEN]);
/* Overwrites `len` bytes at `p` with zeros in a way the compiler cannot drop,
 * for buffers that held a secret. */
void secret_wipe(void *p, size_t len);
/* Decodes standard base64 (with padding) into out (cap bytes). Returns the
 * decoded length or -1 when `in` is not valid base64 or does not fit. */
long secret_b64_decode(const char *in, size_t len, void *out, size_t cap);
/* base64url without padding of `n` bytes; out needs 4*n/3+4 bytes. */
void secret_b64url_encode(const void *in, size_t n, char *out, size_t cap);
/* Decodes base64url without padding. Returns the length or -1. */
long secret_b64url_decode(const char *in, size_t len, void *out, size_t cap);

#endif
