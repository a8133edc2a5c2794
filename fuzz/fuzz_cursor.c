/*
 * libFuzzer harness: cursor decoding (page_cursor_decode), fed the text of
 * an `after`/`before` query parameter. The first byte picks the list's sort
 * and order; bit 7 set means the rest is the cursor's JSON, which the
 * harness encodes first (the fuzzer could hardly find valid base64url of
 * JSON by itself); otherwise the rest is the cursor text as a client sends
 * it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/api/api.h"
#include "../src/core/secret.h"

static const char *const sorts[] = {"id", "createdAt", "legalName", "label",
                                    "customProperties.region"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *sort = sorts[(data[0] & 0x3f) % (sizeof(sorts) / sizeof(*sorts))];
    bool desc = data[0] & 0x40;
    bool encode = data[0] & 0x80;
    data++;
    size--;

    char *text;
    if (encode) {
        size_t cap = size * 4 / 3 + 4;
        text = malloc(cap);
        secret_b64url_encode(data, size, text, cap);
    } else {
        text = malloc(size + 1);
        memcpy(text, data, size);
        text[size] = '\0';
    }

    struct arena *a = arena_create();
    struct page_query pq;
    memset(&pq, 0, sizeof(pq));
    const char *why = NULL;
    enum err rc = page_cursor_decode(text, sort, desc, a, &pq, &why);
    if (rc == ERR_OK) {
        if (!pq.has_cursor || !id_valid(pq.cursor_id))
            abort();
    } else if (rc != ERR_CURSOR_INVALID || !why || !*why || pq.has_cursor) {
        abort();
    }
    arena_destroy(a);
    free(text);
    return 0;
}
