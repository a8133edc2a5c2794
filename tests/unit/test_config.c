/* The settings table: defaults, bounds, sources, and docs kept in step. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/core/config.h"

Test(config, defaults_and_bounds)
{
    struct config c;
    char err[256];
    cfg_init(&c);
    cr_assert_str_eq(c.listen, "127.0.0.1:8080");
    cr_assert_str_eq(c.db, "sqlite:data/kinship.db");
    cr_assert_eq(c.body_limit, 1048576);
    cr_assert(cfg_set(&c, "body-limit", "2048", err, sizeof(err)), "%s", err);
    cr_assert_eq(c.body_limit, 2048);
    cr_assert_not(cfg_set(&c, "body_limit", "12", err, sizeof(err)));
    cr_assert(strstr(err, "body_limit"), "the error names the setting: %s", err);
    cr_assert_not(cfg_set(&c, "body_limit", "12x", err, sizeof(err)));
    cr_assert_not(cfg_set(&c, "log_format", "xml", err, sizeof(err)));
    cr_assert_not(cfg_set(&c, "nope", "1", err, sizeof(err)));
    cfg_fini(&c);
}

Test(config, file_then_environment)
{
    char path[] = "/tmp/kinship-cfg-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "# comment\nlisten = 127.0.0.1:9000\nworkers=8 # trailing\nlog_format = \"json\"\n");
    fclose(f);
    struct config c;
    char err[256];
    cfg_init(&c);
    cr_assert(cfg_load_file(&c, path, err, sizeof(err)), "%s", err);
    cr_assert_str_eq(c.listen, "127.0.0.1:9000");
    cr_assert_eq(c.workers, 8);
    cr_assert_str_eq(c.log_format, "json");
    setenv("KINSHIP_WORKERS", "16", 1);
    cr_assert(cfg_load_env(&c, err, sizeof(err)), "%s", err);
    cr_assert_eq(c.workers, 16, "environment beats file");
    setenv("KINSHIP_WORKERS", "0", 1);
    cr_assert_not(cfg_load_env(&c, err, sizeof(err)));
    cr_assert(strstr(err, "KINSHIP_WORKERS"), "%s", err);
    unsetenv("KINSHIP_WORKERS");
    cfg_fini(&c);
    f = fopen(path, "w");
    fprintf(f, "listen 127.0.0.1:1\n");
    fclose(f);
    cfg_init(&c);
    cr_assert_not(cfg_load_file(&c, path, err, sizeof(err)));
    cr_assert(strstr(err, ":1:"), "the error names the line: %s", err);
    cfg_fini(&c);
    unlink(path);
}

Test(config, listen_split)
{
    char h[64];
    int p;
    cr_assert(cfg_split_listen("127.0.0.1:8080", h, sizeof(h), &p));
    cr_assert_str_eq(h, "127.0.0.1");
    cr_assert_eq(p, 8080);
    cr_assert(cfg_split_listen("[::1]:0", h, sizeof(h), &p));
    cr_assert_str_eq(h, "::1");
    cr_assert_not(cfg_split_listen("127.0.0.1", h, sizeof(h), &p));
    cr_assert_not(cfg_split_listen(":80", h, sizeof(h), &p));
    cr_assert_not(cfg_split_listen("h:70000", h, sizeof(h), &p));
}

/* docs/configuration.md lists every setting with its default. */
Test(config, documentation_lists_every_setting)
{
    const char *root = getenv("KINSHIP_SOURCE_ROOT");
    cr_assert(root, "KINSHIP_SOURCE_ROOT is set by meson");
    char path[512];
    snprintf(path, sizeof(path), "%s/docs/configuration.md", root);
    FILE *f = fopen(path, "r");
    cr_assert(f, "%s exists", path);
    static char doc[65536];
    size_t n = fread(doc, 1, sizeof(doc) - 1, f);
    doc[n] = '\0';
    fclose(f);
    for (size_t i = 0; i < cfg_count; i++) {
        char row[256], env[64];
        cfg_env_name(cfg_settings[i].name, env, sizeof(env));
        snprintf(row, sizeof(row), "| `%s` | `%s` | `%s` |", cfg_settings[i].name, env,
                 cfg_settings[i].def);
        cr_assert(strstr(doc, row), "docs/configuration.md has the row: %s", row);
    }
}

/* man/kinship.1 documents every setting: its flag, default and variable. */
Test(config, man_page_lists_every_setting)
{
    const char *root = getenv("KINSHIP_SOURCE_ROOT");
    cr_assert(root, "KINSHIP_SOURCE_ROOT is set by meson");
    char path[512];
    snprintf(path, sizeof(path), "%s/man/kinship.1", root);
    FILE *f = fopen(path, "r");
    cr_assert(f, "%s exists", path);
    static char page[65536];
    size_t n = fread(page, 1, sizeof(page) - 1, f);
    page[n] = '\0';
    fclose(f);
    for (size_t i = 0; i < cfg_count; i++) {
        /* The item's tag line: \fB\-\-body\-limit\fR (roff's minus signs). */
        char tag[160] = ".TP\n\\fB";
        size_t o = strlen(tag);
        for (const char *p = "--"; *p; p++)
            o += (size_t)snprintf(tag + o, sizeof(tag) - o, "\\-");
        for (const char *p = cfg_settings[i].name; *p; p++)
            o += (size_t)snprintf(tag + o, sizeof(tag) - o, *p == '_' ? "\\-" : "%c", *p);
        snprintf(tag + o, sizeof(tag) - o, "\\fR ");
        const char *item = strstr(page, tag);
        cr_assert(item, "man/kinship.1 has an item for %s: %s", cfg_settings[i].name, tag);
        const char *end = strstr(item + strlen(tag), "\n.TP\n");
        const char *sh = strstr(item + strlen(tag), "\n.SH ");
        if (!end || (sh && sh < end))
            end = sh;
        size_t len = end ? (size_t)(end - item) : strlen(item);
        char body[1024], want[256], env[64];
        snprintf(body, sizeof(body), "%.*s", (int)len, item);
        snprintf(want, sizeof(want), "Default \\fB%s\\fR", cfg_settings[i].def);
        cr_assert(strstr(body, want), "the %s item says '%s':\n%s", cfg_settings[i].name, want,
                  body);
        cfg_env_name(cfg_settings[i].name, env, sizeof(env));
        snprintf(want, sizeof(want), "environment \\fB%s\\fR", env);
        cr_assert(strstr(body, want), "the %s item says '%s':\n%s", cfg_settings[i].name, want,
                  body);
    }
}
