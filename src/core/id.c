/* UUIDv7 generation and checking. */
#include "id.h"

#include <ctype.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t last_ms;
static uint16_t last_seq; /* 12-bit counter in rand_a within one ms */

/* Random bytes come from libsodium a few hundred at a time: one getrandom
 * call serves about twenty-five ids instead of one. Each byte is used once. */
static __thread uint8_t pool[256];
static __thread size_t pool_left;

static void random_bytes(uint8_t *out, size_t n)
{
    if (pool_left < n) {
        randombytes_buf(pool, sizeof(pool));
        pool_left = sizeof(pool);
    }
    memcpy(out, pool + sizeof(pool) - pool_left, n);
    sodium_memzero(pool + sizeof(pool) - pool_left, n);
    pool_left -= n;
}

void id_new(char out[ID_LEN + 1])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    uint8_t rnd[10];
    random_bytes(rnd, sizeof(rnd));

    /* Monotonic within the process: a counter seeded at random each new
     * millisecond, bumped within it; on overflow borrow the next ms. */
    pthread_mutex_lock(&lock);
    if (ms > last_ms) {
        last_ms = ms;
        last_seq = (uint16_t)(((rnd[0] << 8) | rnd[1]) & 0x07ff);
    } else {
        if (++last_seq > 0x0fff) {
            last_ms++;
            last_seq = 0;
        }
        ms = last_ms;
    }
    uint16_t seq = last_seq;
    pthread_mutex_unlock(&lock);

    uint8_t b[16];
    for (int i = 0; i < 6; i++)
        b[i] = (uint8_t)(ms >> (40 - 8 * i));
    b[6] = (uint8_t)(0x70 | (seq >> 8));
    b[7] = (uint8_t)seq;
    b[8] = (uint8_t)(0x80 | (rnd[2] & 0x3f));
    memcpy(b + 9, rnd + 3, 7);

    static const char hex[] = "0123456789abcdef";
    char *o = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *o++ = '-';
        *o++ = hex[b[i] >> 4];
        *o++ = hex[b[i] & 15];
    }
    *o = '\0';
}

bool id_valid(const char *s)
{
    if (!s)
        return false;
    for (int i = 0; i < ID_LEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return false;
        } else if (!isxdigit((unsigned char)s[i])) {
            return false;
        }
    }
    return s[ID_LEN] == '\0';
}

void id_normalize(const char *s, char out[ID_LEN + 1])
{
    for (int i = 0; i < ID_LEN; i++)
        out[i] = (char)tolower((unsigned char)s[i]);
    out[ID_LEN] = '\0';
}

int64_t id_time_ms(const char *id)
{
    int64_t ms = 0;
    for (int i = 0; i < 13; i++) {
        if (id[i] == '-')
            continue;
        int c = tolower((unsigned char)id[i]);
        ms = ms * 16 + (isdigit(c) ? c - '0' : c - 'a' + 10);
    }
    return ms;
}
