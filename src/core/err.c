/* Lookups into the error table of err_list.h. */
#include "err.h"

struct err_row {
    int status;
    const char *type;
    const char *msg;
};

static const struct err_row rows[] = {
#define X(name, st, ty, m) [ERR_##name] = {st, ty, m},
    ERR_MAP(X)
#undef X
};

static const struct err_row *row(enum err e)
{
    if ((unsigned)e >= ERR__COUNT)
        e = ERR_INTERNAL;
    return &rows[e];
}

int err_status(enum err e)
{
    return row(e)->status;
}

const char *err_type(enum err e)
{
    return row(e)->type;
}

const char *err_message(enum err e)
{
    return row(e)->msg;
}
