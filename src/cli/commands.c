/*
 * The command table: every command kinship answers, with its line in
 * `kinship --help`, its own --help text and the arguments it takes. Rows
 * of one command with subcommands (keys, accounts) share one help text.
 * `kinship --help` lists the rows in this order.
 */
#include "cli.h"

#define DB CLI_STORE

static const char help_serve[] =
    "usage: kinship serve [--config PATH] [--SETTING VALUE ...]\n\n"
    "Runs the server. Settings come from, lowest precedence first: their\n"
    "defaults, the --config file (or KINSHIP_CONFIG; lines `name = value`),\n"
    "KINSHIP_* environment variables, and flags (--name value or --name=value).\n"
    "Every value is checked before the port opens: a bad one is named and kinship\n"
    "exits 2. Migrations run at start. SIGTERM or SIGINT stop accepting, finish\n"
    "the requests in flight, and exit 0. GET /healthz, /readyz and /metrics\n"
    "answer without credentials; one access line per request goes to stderr.\n\n"
    "settings:\n";

static const char help_keys[] =
    "usage: kinship keys create --account NAME [--db URL]\n"
    "       kinship keys list [--account NAME] [--db URL]\n"
    "       kinship keys revoke CLIENT_ID [--db URL]\n\n"
    "create: makes the account NAME if it is new and a new API client in it,\n"
    "and prints one line, CLIENT_ID:CLIENT_SECRET. The secret is shown only\n"
    "this once; the database keeps a hash of it.\n"
    "list: one line per client: id, account, created, revoked.\n"
    "revoke: the client's credentials stop working at once, also for\n"
    "servers already running on the same database.\n";

static const char help_accounts[] =
    "usage: kinship accounts list [--db URL]\n\n"
    "One line per account: id, name, created, active API clients.\n";

static const char help_migrate[] =
    "usage: kinship migrate [--db URL]\n\n"
    "Applies pending database migrations and exits (serve does this too).\n";

static const char help_backup[] =
    "usage: kinship backup PATH [--db URL]\n\n"
    "Writes a consistent copy of a SQLite database to PATH, while servers\n"
    "keep reading and writing it (SQLite's online backup API). The copy is\n"
    "one self-contained file, checked, then renamed into place. To restore,\n"
    "stop kinship and put the copy where --db points (remove any -wal and\n"
    "-shm files beside it). For PostgreSQL use pg_dump.\n";

static const char help_export[] =
    "usage: kinship export --account NAME [--db URL] > FILE.jsonl\n\n"
    "Writes the account NAME to stdout as JSON lines: a header, then its\n"
    "customers (archived ones and archived contacts included), aliases and\n"
    "organizations, with their ids and times, read in one snapshot. API keys\n"
    "are not exported. See docs/operations.md for the format.\n";

static const char help_import[] =
    "usage: kinship import --account NAME [--db URL] [FILE]\n\n"
    "Reads an export from FILE (or stdin) into the account NAME, created\n"
    "when new, keeping ids and times: this moves an account between\n"
    "databases, SQLite and PostgreSQL alike. The whole file is checked,\n"
    "then written in one transaction; if a line breaks the API's rules\n"
    "(addresses and contacts included) or any row already exists in the\n"
    "account, nothing is written and the line at fault is named.\n";

static const char help_seed[] =
    "usage: kinship seed --account NAME [--db URL]\n\n"
    "Test only. Fills the account NAME (created when new) with the demo\n"
    "hierarchy: about 400 customers with contacts and aliases, five levels\n"
    "of organizations and one of 120 members, written through the same\n"
    "rules as the API; then prints a new key, CLIENT_ID:SECRET. A memory:\n"
    "store lives in its server: use serve --seed-demo NAME there.\n";

const struct cli_command cli_commands[] = {
    {"serve", NULL, "", "run the HTTP server", help_serve, serve_run, CLI_HELP_SETTINGS},
    {"keys", "create", "--account NAME", "create an API client (prints CLIENT_ID:SECRET)",
     help_keys, admin_keys_create, DB | CLI_NEED_ACCOUNT},
    {"keys", "list", "[--account NAME]", "list API clients", help_keys, admin_keys_list,
     DB | CLI_ACCOUNT},
    {"keys", "revoke", "CLIENT_ID", "revoke an API client at once", help_keys, admin_keys_revoke,
     DB | CLI_NEED_ARG},
    {"accounts", "list", "", "list accounts", help_accounts, admin_accounts_list, DB},
    {"migrate", NULL, "", "apply database migrations and exit", help_migrate, admin_migrate, DB},
    {"backup", NULL, "PATH", "copy a SQLite database to PATH while it serves", help_backup,
     admin_backup, DB | CLI_NEED_ARG},
    {"export", NULL, "--account NAME", "write an account as JSON lines to stdout", help_export,
     admin_export, DB | CLI_NEED_ACCOUNT},
    {"import", NULL, "--account NAME [FILE]", "read an export (FILE or stdin) into an account",
     help_import, admin_import, DB | CLI_NEED_ACCOUNT | CLI_ARG | CLI_INPUT},
    {"seed", NULL, "--account NAME", "test only: fill an account with the demo hierarchy",
     help_seed, seed_run, DB | CLI_NEED_ACCOUNT},
};

const size_t cli_commands_count = sizeof(cli_commands) / sizeof(*cli_commands);
