/*
 * The command-line dispatcher: finds the command in the table
 * (commands.c), answers --help, loads the settings every command takes,
 * checks the arguments against the row's flags, opens the database for the
 * commands that work on one, and runs the handler. Every usage message and
 * exit status that does not depend on the command's work comes from here.
 */
#include "cli.h"

#include "../api/api.h"
#include "../core/log.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLI_MAX_ARGS 64

/* The column where `kinship --help` starts a command's summary, less 3. */
#define SYNOPSIS_WIDTH 26

static void usage_main(FILE *f)
{
    fprintf(f,
            "kinship %s: a self-hosted server for Sequence's Customers API (%s)\n\n"
            "usage: kinship COMMAND [OPTIONS]\n\n"
            "commands:\n",
            KINSHIP_VERSION, API_VERSION);
    for (size_t i = 0; i < cli_commands_count; i++) {
        const struct cli_command *c = &cli_commands[i];
        char line[128];
        snprintf(line, sizeof(line), "%s%s%s%s%s", c->name, c->sub ? " " : "", c->sub ? c->sub : "",
                 *c->synopsis ? " " : "", c->synopsis);
        if (strlen(line) <= SYNOPSIS_WIDTH)
            fprintf(f, "  %-*s %s\n", SYNOPSIS_WIDTH, line, c->summary);
        else
            fprintf(f, "  %s\n  %-*s %s\n", line, SYNOPSIS_WIDTH, "", c->summary);
    }
    fputs("\nEvery command takes --db URL (default sqlite:data/kinship.db; environment\n"
          "KINSHIP_DB), --config PATH and --help. kinship --version prints the version.\n"
          "Exit status: 0 success, 1 failure, 2 bad usage or a bad setting.\n",
          f);
}

static bool is_help(const char *a)
{
    return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
}

/* The row of command `name` and subcommand `sub` (any row of `name` when
 * `sub` is NULL), or NULL. */
static const struct cli_command *find_command(const char *name, const char *sub)
{
    for (size_t i = 0; i < cli_commands_count; i++) {
        const struct cli_command *c = &cli_commands[i];
        if (strcmp(c->name, name) == 0 && (!sub || (c->sub && strcmp(c->sub, sub) == 0)))
            return c;
    }
    return NULL;
}

/* True when `flag` (a --name or --name=value argument) names a setting. */
static bool is_setting(const char *name)
{
    for (size_t k = 0; k < cfg_count; k++) {
        char flag[64];
        snprintf(flag, sizeof(flag), "%s", cfg_settings[k].name);
        for (char *p = flag; *p; p++)
            if (*p == '_')
                *p = '-';
        if (strcmp(flag, name) == 0 || strcmp(cfg_settings[k].name, name) == 0)
            return true;
    }
    return false;
}

/*
 * Loads settings for any command: --config first, then the environment,
 * then flags. Arguments that are not settings are left in `rest`. Returns 0,
 * or 2 after naming a bad setting on stderr.
 */
static int load_config(struct config *cfg, int argc, char **argv, char **rest, int *n_rest)
{
    char err[512];
    cfg_init(cfg);
    const char *file = getenv("KINSHIP_CONFIG");
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            file = argv[i + 1];
        else if (strncmp(argv[i], "--config=", 9) == 0)
            file = argv[i] + 9;
    }
    if (file && !cfg_load_file(cfg, file, err, sizeof(err))) {
        fprintf(stderr, "kinship: %s\n", err);
        return 2;
    }
    if (!cfg_load_env(cfg, err, sizeof(err))) {
        fprintf(stderr, "kinship: %s\n", err);
        return 2;
    }
    *n_rest = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--config") == 0) {
            i++;
            continue;
        }
        if (strncmp(a, "--config=", 9) == 0)
            continue;
        if (strncmp(a, "--", 2) == 0 && strcmp(a, "--help") != 0) {
            char name[64];
            const char *eq = strchr(a, '=');
            size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
            if (len < sizeof(name)) {
                memcpy(name, a + 2, len);
                name[len] = '\0';
                if (is_setting(name)) {
                    const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
                    if (!v) {
                        fprintf(stderr, "kinship: --%s needs a value\n", name);
                        return 2;
                    }
                    if (!cfg_set(cfg, name, v, err, sizeof(err))) {
                        fprintf(stderr, "kinship: %s\n", err);
                        return 2;
                    }
                    continue;
                }
            }
        }
        rest[(*n_rest)++] = argv[i];
    }
    return 0;
}

enum err cli_store_open(const struct config *cfg, struct store **out)
{
    struct store_options so;
    store_options_from_config(cfg, &so);
    enum err rc = store_open(cfg->db, &so, out);
    if (rc)
        fprintf(stderr, "kinship: cannot open the database %s\n", cfg->db);
    return rc;
}

/* Whether `account` and `arg` are what row `c` takes. */
static bool usage_ok(const struct cli_command *c, const char *account, const char *arg)
{
    if (account && !(c->flags & (CLI_ACCOUNT | CLI_NEED_ACCOUNT)))
        return false;
    if ((c->flags & CLI_NEED_ACCOUNT) && !(account && *account))
        return false;
    if (arg && !(c->flags & (CLI_ARG | CLI_NEED_ARG)))
        return false;
    return arg || !(c->flags & CLI_NEED_ARG);
}

/*
 * A command on a database: the subcommand (when the command has them),
 * --account and one positional argument, checked against the row; then the
 * input file and the database are opened around the handler.
 */
static int run_on_store(const struct cli_command *cmd, struct cli_args *a)
{
    log_setup(LOG_WARN, LOG_LOGFMT);
    const char *sub = cmd->sub && a->n_rest ? a->rest[0] : NULL;
    for (int i = cmd->sub ? 1 : 0; i < a->n_rest; i++) {
        const char *r = a->rest[i];
        if (strcmp(r, "--account") == 0 && i + 1 < a->n_rest)
            a->account = a->rest[++i];
        else if (strncmp(r, "--account=", 10) == 0)
            a->account = r + 10;
        else if (!a->arg && (r[0] != '-' || strcmp(r, "-") == 0))
            a->arg = r;
        else {
            fprintf(stderr, "kinship %s: unknown argument '%s'\n", cmd->name, r);
            return 2;
        }
    }
    const struct cli_command *row = !cmd->sub ? cmd : sub ? find_command(cmd->name, sub) : NULL;
    if (!row || !usage_ok(row, a->account, a->arg)) {
        fprintf(stderr, "kinship %s: bad usage (see kinship %s --help)\n", cmd->name, cmd->name);
        return 2;
    }
    FILE *opened = NULL;
    if (row->flags & CLI_INPUT) {
        if (a->arg && strcmp(a->arg, "-") != 0 && !(opened = fopen(a->arg, "r"))) {
            fprintf(stderr, "kinship %s: cannot read %s: %s\n", cmd->name, a->arg, strerror(errno));
            return 1;
        }
        a->in = opened ? opened : stdin;
    }
    int rc = 1;
    if (cli_store_open(&a->cfg, &a->store) == ERR_OK) {
        rc = row->run(row, a);
        store_close(a->store);
    }
    if (opened)
        fclose(opened);
    return rc;
}

/* Runs command `cmd` with the arguments after its name. */
static int run_command(const struct cli_command *cmd, int argc, char **argv)
{
    if (argc > CLI_MAX_ARGS) {
        fprintf(stderr, "kinship %s: too many arguments (at most %d)\n", cmd->name, CLI_MAX_ARGS);
        return 2;
    }
    for (int i = 0; i < argc; i++)
        if (is_help(argv[i])) {
            fputs(cmd->help, stdout);
            if (cmd->flags & CLI_HELP_SETTINGS)
                cfg_usage(stdout);
            return 0;
        }
    char *rest[CLI_MAX_ARGS];
    struct cli_args a = {.rest = rest};
    int rc = load_config(&a.cfg, argc, argv, rest, &a.n_rest);
    if (rc == 0)
        rc = cmd->flags & CLI_STORE ? run_on_store(cmd, &a) : cmd->run(cmd, &a);
    cfg_fini(&a.cfg);
    return rc;
}

int cli_main(int argc, char **argv)
{
    if (argc < 2 || is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
        usage_main(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("kinship %s (API %s)\n", KINSHIP_VERSION, API_VERSION);
        return 0;
    }
    const struct cli_command *cmd = find_command(argv[1], NULL);
    if (!cmd) {
        fprintf(stderr, "kinship: unknown command '%s' (see kinship --help)\n", argv[1]);
        return 2;
    }
    return run_command(cmd, argc - 2, argv + 2);
}
