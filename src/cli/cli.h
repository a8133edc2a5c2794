/*
 * kinship's command line. One table (commands.c) lists every command, as
 * src/api/routes.c lists every operation: its name and subcommand, what
 * `kinship --help` says of it, its --help text, its handler, and flags for
 * the arguments it takes. One dispatcher (cli.c) reads the table: it
 * answers --help, rejects unknown commands and bad usage, loads the
 * settings, and for commands that work on a database opens it before the
 * handler runs and closes it after. Handlers do their command's work only.
 */
#ifndef KINSHIP_CLI_CLI_H
#define KINSHIP_CLI_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "../core/config.h"
#include "../store/store.h"

/* What a command takes; the dispatcher checks these before the handler. */
enum cli_flags {
    CLI_ACCOUNT = 1 << 0,      /* --account NAME is allowed */
    CLI_NEED_ACCOUNT = 1 << 1, /* --account NAME, not empty, is required (implies the above) */
    CLI_ARG = 1 << 2,          /* one positional argument is allowed */
    CLI_NEED_ARG = 1 << 3,     /* one positional argument is required (implies the above) */
    CLI_INPUT = 1 << 4,        /* the argument names a file to read; absent or "-": stdin */
    CLI_STORE = 1 << 5,        /* works on the database: opened before the handler */
    CLI_HELP_SETTINGS = 1 << 6 /* --help lists the settings table after the text */
};

/* One command's arguments, as the dispatcher hands them to the handler. */
struct cli_args {
    struct config cfg; /* settings: defaults, --config, environment, flags */
    char **rest;       /* the arguments that are not settings, in order */
    int n_rest;
    const char *account; /* CLI_ACCOUNT: --account's value, or NULL */
    const char *arg;     /* CLI_ARG: the positional argument, or NULL */
    FILE *in;            /* CLI_INPUT: the file to read (stdin when none) */
    struct store *store; /* CLI_STORE: the open database */
};

struct cli_command {
    const char *name;     /* argv[1] */
    const char *sub;      /* argv[2] for commands with subcommands, else NULL */
    const char *synopsis; /* arguments, as `kinship --help` lists them */
    const char *summary;  /* one line for `kinship --help` */
    const char *help;     /* `kinship NAME --help`; rows of one name share it */
    /* Does the command's work; returns the exit status (0 success, 1 failure). */
    int (*run)(const struct cli_command *cmd, struct cli_args *args);
    unsigned flags; /* enum cli_flags */
};

extern const struct cli_command cli_commands[];
extern const size_t cli_commands_count;

/*
 * Runs the command line `argv` (argv[0] is the program) and returns the
 * process's exit status: 0 success, 1 failure, 2 bad usage or a bad
 * setting. Messages go to stderr, --help and results to stdout.
 */
int cli_main(int argc, char **argv);

/*
 * Opens the database that cfg->db names with the store settings of `cfg`.
 * On failure says so on stderr and returns the store's error.
 */
enum err cli_store_open(const struct config *cfg, struct store **out);

/* The handlers (serve.c, admin.c). */
int serve_run(const struct cli_command *cmd, struct cli_args *args);
int admin_keys_create(const struct cli_command *cmd, struct cli_args *args);
int admin_keys_list(const struct cli_command *cmd, struct cli_args *args);
int admin_keys_revoke(const struct cli_command *cmd, struct cli_args *args);
int admin_accounts_list(const struct cli_command *cmd, struct cli_args *args);
int admin_migrate(const struct cli_command *cmd, struct cli_args *args);
int admin_backup(const struct cli_command *cmd, struct cli_args *args);
int admin_export(const struct cli_command *cmd, struct cli_args *args);
int admin_import(const struct cli_command *cmd, struct cli_args *args);

/*
 * Makes the account `account_name` when it is new (its id into `account`)
 * and the API client `client` with `secret` in it, inside `tx` (keys create
 * and seed share it). Errors: the store's.
 */
enum err admin_client_insert(struct store_tx *tx, const char *account_name, const char *client,
                             const char *secret, char account[ID_LEN + 1]);
/* The render callback of a command's store_write: no answer to render. */
void admin_no_render(void *arg, int *status, char **body);

/* The test twin (seed.c): fills `account` (a name, made when new) with the
 * demo hierarchy and a new API client, and prints CLIENT_ID:SECRET on
 * stdout; says on stderr why it could not. */
enum err seed_demo(struct store *store, const struct config *cfg, const char *account);
int seed_run(const struct cli_command *cmd, struct cli_args *args);

#endif
