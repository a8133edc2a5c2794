/*
 * Per-client rate limiting: a token bucket per API client holding up to
 * `per_minute` tokens, refilled continuously at per_minute / 60 a second.
 * Off when per_minute is 0.
 */
#ifndef KINSHIP_API_RATELIMIT_H
#define KINSHIP_API_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct ratelimit;

struct ratelimit *ratelimit_create(long per_minute);
void ratelimit_destroy(struct ratelimit *rl);
/* Takes a token for `client`. False when none is left; *retry_s then says
 * how many seconds until one is. NULL rl: always true. */
bool ratelimit_take(struct ratelimit *rl, const char *client, int64_t now_us, int *retry_s);

#endif
