/*
 * kinship's settings, from one declarative table (config.c). Each setting
 * has a name, a type, a default, bounds, an environment variable and a flag.
 * Sources, lowest precedence first: defaults, the file named by --config
 * (lines "name = value", '#' comments), KINSHIP_* environment variables,
 * command-line flags. Everything is validated before the server starts.
 */
#ifndef KINSHIP_CORE_CONFIG_H
#define KINSHIP_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct config {
    char *listen;
    char *db;
    long threads;
    long workers;
    long body_limit;
    long answer_limit;
    long header_limit;
    long max_headers;
    long max_connections;
    long max_connections_per_ip;
    long idle_timeout;
    long request_timeout;
    long pool_size;
    long busy_timeout_ms;
    long batch_max;
    long checkpoint_pages;
    long org_cache;
    long members_per_request;
    long members_per_organization;
    long max_depth;  /* 0: no depth limit */
    long tree_nodes; /* most customers of one tree read */
    long rate_limit;
    long auth_failures;
    long auth_window;
    long activity_retention_days;
    char *log_format;
    char *log_level;
    /* the test twin */
    char *seed_demo;
    char *test_reset;
};

enum cfg_type { CFG_STRING, CFG_INT, CFG_ENUM };

struct cfg_setting {
    const char *name; /* as in the file; the flag is --name with '_' as '-' */
    enum cfg_type type;
    const char *def;
    long min, max;       /* CFG_INT */
    const char *choices; /* CFG_ENUM: '|' separated */
    size_t offset;       /* into struct config */
    const char *help;
};

extern const struct cfg_setting cfg_settings[];
extern const size_t cfg_count;

/* Fills c with the defaults. */
void cfg_init(struct config *c);
void cfg_fini(struct config *c);
/* Sets one setting from text; false with a message in err (cap bytes) when
 * the name is unknown or the value is out of bounds. */
bool cfg_set(struct config *c, const char *name, const char *value, char *err, size_t cap);
/* Applies a file, then the environment. */
bool cfg_load_file(struct config *c, const char *path, char *err, size_t cap);
bool cfg_load_env(struct config *c, char *err, size_t cap);
/* The environment variable of a setting: KINSHIP_ + upper-case name. */
void cfg_env_name(const char *name, char *out, size_t cap);
/* Writes one line per setting: flag, default, environment variable, help. */
void cfg_usage(FILE *f);
/* Splits "HOST:PORT" ("[v6]:PORT" too). */
bool cfg_split_listen(const char *s, char *host, size_t cap, int *port);

#endif
