/* UUIDv7 ids. */
#include <criterion/criterion.h>
#include <string.h>
#include <time.h>

#include "../../src/core/clock.h"
#include "../../src/core/id.h"
#include "../../src/core/secret.h"

Test(id, new_ids_are_valid_v7_and_increase)
{
    secret_init();
    char prev[ID_LEN + 1] = "";
    for (int i = 0; i < 10000; i++) {
        char id[ID_LEN + 1];
        id_new(id);
        cr_assert(id_valid(id), "%s", id);
        cr_assert_eq(id[14], '7', "version 7: %s", id);
        cr_assert(strchr("89ab", id[19]), "RFC variant: %s", id);
        cr_assert(strcmp(prev, id) < 0, "increasing: %s then %s", prev, id);
        memcpy(prev, id, sizeof(prev));
    }
}

Test(id, time_is_encoded)
{
    secret_init();
    char id[ID_LEN + 1];
    int64_t before = clock_now_ms();
    id_new(id);
    int64_t t = id_time_ms(id);
    cr_assert(t >= before && t <= clock_now_ms() + 1, "%lld vs %lld", (long long)t,
              (long long)before);
}

Test(id, validation)
{
    cr_assert(id_valid("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"));
    cr_assert(id_valid("0190A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B"));
    cr_assert_not(id_valid(NULL));
    cr_assert_not(id_valid(""));
    cr_assert_not(id_valid("0190a1b2c3d47e5f8a9b0c1d2e3f4a5b"));
    cr_assert_not(id_valid("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5"));
    cr_assert_not(id_valid("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5bb"));
    cr_assert_not(id_valid("0190a1b2-c3d4-7e5f-8a9b_0c1d2e3f4a5b"));
    cr_assert_not(id_valid("g190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"));
    char n[ID_LEN + 1];
    id_normalize("0190A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B", n);
    cr_assert_str_eq(n, "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
}
