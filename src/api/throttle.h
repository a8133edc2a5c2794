/*
 * Throttling of failed authentication (issue 20). Failures are counted per
 * client address and per client id, each in a window that starts at its
 * first failure: after `failures` of them within `window_s` seconds, tries
 * are answered 429 until the window ends, without a store lookup.
 *
 * An attacker must not be able to lock a legitimate client out:
 * - an address that is throttled is refused whatever it sends, but only
 *   failures from that address count towards it;
 * - a client id that is throttled still lets the right secret through: the
 *   id's entry keeps the hash of the client's secret (a client's secret
 *   never changes), learnt from the lookup of a failed try, and only tries
 *   whose secret does not hash to it are refused. Those refusals count
 *   against the address that made them.
 *
 * Memory is bounded: each table has a fixed number of entries; a new key
 * takes an empty or expired entry of its set, else the one with the fewest
 * failures. All functions are safe to call from any thread; a NULL
 * throttle (off) lets everything through and records nothing.
 */
#ifndef KINSHIP_API_THROTTLE_H
#define KINSHIP_API_THROTTLE_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/secret.h"

struct throttle;

/* NULL (off) when failures is 0 or less. */
struct throttle *throttle_create(long failures, long window_s);
/* NULL is a no-op. */
void throttle_destroy(struct throttle *t);
/* Whether `addr` may try to authenticate at `now_us`. False when it is
 * throttled; *retry_s then says in how many seconds (at least 1) it may
 * try again. */
bool throttle_addr_ok(struct throttle *t, const char *addr, int64_t now_us, int *retry_s);
/* Whether a try for client `id` with a secret that hashes to `given` may go
 * on to the store. False when the id is throttled and `given` is not the
 * hash learnt for it; *retry_s as above. */
bool throttle_id_ok(struct throttle *t, const char *id, const uint8_t given[SECRET_HASH_LEN],
                    int64_t now_us, int *retry_s);
/* Counts one failed authentication from `addr` and, when `id` is not NULL,
 * for that client id. `known` is the client's real secret hash when the
 * store (or the credentials cache) found the client, else NULL. */
void throttle_fail(struct throttle *t, const char *addr, const char *id,
                   const uint8_t known[SECRET_HASH_LEN], int64_t now_us);

#endif
