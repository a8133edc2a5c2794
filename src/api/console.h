/*
 * The console (docs/console.md): the files of web/console, embedded at
 * build time by scripts/embed_assets.py, and the routes that serve them.
 */
#ifndef KINSHIP_API_CONSOLE_H
#define KINSHIP_API_CONSOLE_H

#include "../core/err.h"

#include <stddef.h>

struct call;

/* One embedded file: its name under /console/, its media type, its bytes. */
struct console_asset {
    const char *name;
    const char *type;
    const unsigned char *data;
    size_t len;
};

/* The generated table (console_assets.c). */
extern const struct console_asset console_assets[];
extern const size_t console_assets_count;

/* GET /console: index.html. GET /console/{file}: that file, or 404
 * NotFound. Both with the console's Content-Security-Policy. */
enum err api_console_index(struct call *c);
enum err api_console_file(struct call *c);

#endif
