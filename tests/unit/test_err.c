/* The error table: statuses, unique types, messages. */
#include <criterion/criterion.h>
#include <string.h>

#include "../../src/core/err.h"

Test(err, statuses_follow_the_table)
{
    cr_assert_eq(err_status(ERR_OK), 200);
    cr_assert_eq(err_status(ERR_INVALID_JSON), 400);
    cr_assert_eq(err_status(ERR_UNAUTHORIZED), 401);
    cr_assert_eq(err_status(ERR_NOT_FOUND), 404);
    cr_assert_eq(err_status(ERR_METHOD_NOT_ALLOWED), 405);
    cr_assert_eq(err_status(ERR_ORGANIZATION_EXISTS), 409);
    cr_assert_eq(err_status(ERR_PAYLOAD_TOO_LARGE), 413);
    cr_assert_eq(err_status(ERR_UNAVAILABLE), 503);
    cr_assert_str_eq(err_type(ERR_VERSION_UNKNOWN), "UnrecognisedApiVersion");
}

Test(err, out_of_range_is_internal)
{
    cr_assert_eq(err_status((enum err)9999), 500);
    cr_assert_str_eq(err_type((enum err) - 1), "InternalError");
}

Test(err, types_are_unique_and_messages_present)
{
    for (int i = 0; i < ERR__COUNT; i++) {
        cr_assert(err_message((enum err)i)[0] != '\0');
        cr_assert(err_status((enum err)i) >= 200 && err_status((enum err)i) < 600);
        for (int j = i + 1; j < ERR__COUNT; j++)
            cr_assert_str_neq(err_type((enum err)i), err_type((enum err)j), "%d and %d", i, j);
    }
}
