/*
 * libFuzzer harness: the Basic-credential parser (auth_parse_basic), fed
 * any Authorization header value. On success the client id must be a
 * well-formed id and the secret must fit the caller's buffer.
 */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/api/api.h"
#include "../src/core/secret.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    secret_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *header = malloc(size + 1);
    memcpy(header, data, size);
    header[size] = '\0';

    char id[ID_LEN + 1];
    char secret[AUTH_BASIC_MAX];
    size_t secret_len = SIZE_MAX;
    const char *why = NULL;
    enum err rc = auth_parse_basic(header, id, secret, sizeof(secret), &secret_len, &why);
    if (rc == ERR_OK) {
        if (!id_valid(id) || strlen(id) != ID_LEN || secret_len > sizeof(secret))
            abort();
    } else if (rc != ERR_UNAUTHORIZED || !why || !*why) {
        abort();
    }
    sodium_memzero(secret, sizeof(secret));
    free(header);
    return 0;
}
