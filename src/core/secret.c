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

void secret_hash_parts(const struct secret_part *parts, size_t n, uint8_t *out, size_t out_len)
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, out_len);
    for (size_t i = 0; i < n; i++)
        crypto_generichash_update(&st, parts[i].data, parts[i].len);
    crypto_generichash_final(&st, out, out_len);
}

void secret_wipe(void *p, size_t len)
{
    sodium_memzero(p, len);
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
