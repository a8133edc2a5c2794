/* Secrets, hashes and base64, all over libsodium. */
#include "secret.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>

void secret_init(void)
{
    if (sodium_init() < 0) {
        fprintf(stderr, "level=fatal msg=\"libsodium failed to initialise\"\n");
        abort();
    }
}

void secret_new(char out[SECRET_TEXT_LEN + 1])
{
    uint8_t raw[32];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(out, SECRET_TEXT_LEN + 1, raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof(raw));
}

void secret_hash(const char *secret, size_t len, uint8_t out[SECRET_HASH_LEN])
{
    crypto_generichash(out, SECRET_HASH_LEN, (const unsigned char *)secret, len, NULL, 0);
}

bool secret_hash_equal(const uint8_t a[SECRET_HASH_LEN], const uint8_t b[SECRET_HASH_LEN])
{
    return sodium_memcmp(a, b, SECRET_HASH_LEN) == 0;
}

static long decode(const char *in, size_t len, void *out, size_t cap, int variant)
{
    size_t n = 0;
    const char *end = NULL;
    if (sodium_base642bin(out, cap, in, len, NULL, &n, &end, variant) != 0)
        return -1;
    if (end != in + len)
        return -1;
    return (long)n;
}

long secret_b64_decode(const char *in, size_t len, void *out, size_t cap)
{
    return decode(in, len, out, cap, sodium_base64_VARIANT_ORIGINAL);
}

void secret_b64url_encode(const void *in, size_t n, char *out, size_t cap)
{
    sodium_bin2base64(out, cap, in, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

long secret_b64url_decode(const char *in, size_t len, void *out, size_t cap)
{
    return decode(in, len, out, cap, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}
