/* Failed-authentication throttling (src/api/throttle.h): thresholds,
 * windows, the right secret through a throttled id, and bounded tables. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../../src/api/throttle.h"

#define S 1000000LL /* one second in microseconds */

static const uint8_t right[SECRET_HASH_LEN] = {1, 2, 3};
static const uint8_t wrong[SECRET_HASH_LEN] = {9, 9, 9};

Test(throttle, off_lets_everything_through)
{
    struct throttle *t = throttle_create(0, 60);
    cr_assert_null(t);
    int retry = 0;
    throttle_fail(t, "10.0.0.1", "id", right, S);
    cr_assert(throttle_addr_ok(t, "10.0.0.1", S, &retry));
    cr_assert(throttle_id_ok(t, "id", wrong, S, &retry));
    throttle_destroy(t);
}

Test(throttle, an_address_is_throttled_until_its_window_ends)
{
    struct throttle *t = throttle_create(3, 10);
    int retry = 0;
    for (int i = 0; i < 3; i++) {
        cr_assert(throttle_addr_ok(t, "10.0.0.1", S + i, &retry), "failure %d", i);
        throttle_fail(t, "10.0.0.1", NULL, NULL, S + i);
    }
    cr_assert_not(throttle_addr_ok(t, "10.0.0.1", 2 * S, &retry));
    cr_assert_eq(retry, 9, "from the first failure (1 s) to its window's end (11 s)");
    cr_assert(throttle_addr_ok(t, "10.0.0.2", 2 * S, &retry), "another address is not");
    cr_assert_not(throttle_addr_ok(t, "10.0.0.1", 11 * S - 1, &retry));
    cr_assert_eq(retry, 1, "never 0");
    cr_assert(throttle_addr_ok(t, "10.0.0.1", 11 * S, &retry), "the window is over");
    /* A new window starts with the next failure. */
    throttle_fail(t, "10.0.0.1", NULL, NULL, 12 * S);
    cr_assert(throttle_addr_ok(t, "10.0.0.1", 12 * S, &retry));
    throttle_destroy(t);
}

Test(throttle, a_throttled_id_still_takes_its_right_secret)
{
    struct throttle *t = throttle_create(2, 60);
    int retry = 0;
    throttle_fail(t, "10.0.0.1", "client", right, S);
    throttle_fail(t, "10.0.0.2", "client", right, S);
    cr_assert_not(throttle_id_ok(t, "client", wrong, S, &retry), "a wrong secret: refused");
    cr_assert(throttle_id_ok(t, "client", right, S, &retry), "the right one: through");
    /* An id that was never found (no hash known): every try refused. */
    throttle_fail(t, "10.0.0.1", "ghost", NULL, S);
    throttle_fail(t, "10.0.0.1", "ghost", NULL, S);
    cr_assert_not(throttle_id_ok(t, "ghost", right, S, &retry));
    throttle_destroy(t);
}

Test(throttle, many_keys_stay_within_the_table_and_throttled_ones_are_kept)
{
    struct throttle *t = throttle_create(5, 60);
    int retry = 0;
    for (int i = 0; i < 5; i++)
        throttle_fail(t, "attacker", NULL, NULL, S);
    /* A hundred thousand addresses failing once each: the table does not
     * grow, and the throttled address, with the most failures of its set,
     * is not the one pushed out. */
    for (int i = 0; i < 100000; i++) {
        char addr[32];
        snprintf(addr, sizeof(addr), "10.%d.%d.%d", i >> 16 & 255, i >> 8 & 255, i & 255);
        throttle_fail(t, addr, NULL, NULL, S + i);
    }
    cr_assert_not(throttle_addr_ok(t, "attacker", 2 * S, &retry));
    throttle_destroy(t);
}
