/*
 * Error codes. Fallible functions return `enum err`; ERR_OK is zero so that
 * `if (rc)` reads as "on failure".
 */
#ifndef KINSHIP_CORE_ERR_H
#define KINSHIP_CORE_ERR_H

#include "err_list.h"

enum err {
#define X(name, status, type, msg) ERR_##name,
    ERR_MAP(X)
#undef X
        ERR__COUNT
};

/* HTTP status for `e`; 500 for a value outside the table. */
int err_status(enum err e);
/* Stable `error.type` string for `e`. Static storage. */
const char *err_type(enum err e);
/* Default human message for `e`. Static storage. */
const char *err_message(enum err e);

#endif
