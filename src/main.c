/*
 * kinship's command line: `serve` runs the server; `keys`, `accounts`,
 * `migrate`, `backup`, `export` and `import` manage a database directly.
 * Each command answers --help.
 */
#include "api/api.h"
#include "api/metrics.h"
#include "api/ratelimit.h"
#include "cli/transfer.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/secret.h"
#include "core/workq.h"
#include "http/server.h"
#include "store/store.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern const unsigned char kinship_openapi[];
extern const size_t kinship_openapi_len;

static void usage_main(FILE *f)
{
    fprintf(f, "kinship %s: a self-hosted server for Sequence's Customers API (%s)\n\n"
               "usage: kinship COMMAND [OPTIONS]\n\n"
               "commands:\n"
               "  serve                      run the HTTP server\n"
               "  keys create --account NAME create an API client (prints CLIENT_ID:SECRET)\n"
               "  keys list [--account NAME] list API clients\n"
               "  keys revoke CLIENT_ID      revoke an API client at once\n"
               "  accounts list              list accounts\n"
               "  migrate                    apply database migrations and exit\n"
               "  backup PATH                copy a SQLite database to PATH while it serves\n"
               "  export --account NAME      write an account as JSON lines to stdout\n"
               "  import --account NAME [FILE]\n"
               "                             read an export (FILE or stdin) into an account\n\n"
               "Every command takes --db URL (default sqlite:data/kinship.db; environment\n"
               "KINSHIP_DB), --config PATH and --help. kinship --version prints the version.\n"
               "Exit status: 0 success, 1 failure, 2 bad usage or a bad setting.\n",
            KINSHIP_VERSION, API_VERSION);
}

static void usage_serve(FILE *f)
{
    fprintf(f, "usage: kinship serve [--config PATH] [--SETTING VALUE ...]\n\n"
               "Runs the server. Settings come from, lowest precedence first: their\n"
               "defaults, the --config file (or KINSHIP_CONFIG; lines `name = value`),\n"
               "KINSHIP_* environment variables, and flags (--name value or --name=value).\n"
               "Every value is checked before the port opens: a bad one is named and kinship\n"
               "exits 2. Migrations run at start. SIGTERM or SIGINT stop accepting, finish\n"
               "the requests in flight, and exit 0. GET /healthz, /readyz and /metrics\n"
               "answer without credentials; one access line per request goes to stderr.\n\n"
               "settings:\n");
    cfg_usage(f);
}

/*
 * Loads settings for any command: --config first, then the environment,
 * then flags. Flags not in the settings table are left in `rest`.
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
                bool known = false;
                for (size_t k = 0; k < cfg_count && !known; k++) {
                    char flag[64];
                    snprintf(flag, sizeof(flag), "%s", cfg_settings[k].name);
                    for (char *p = flag; *p; p++)
                        if (*p == '_')
                            *p = '-';
                    known = strcmp(flag, name) == 0 || strcmp(cfg_settings[k].name, name) == 0;
                }
                if (known) {
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

static void setup_logging(const struct config *cfg)
{
    enum log_level lvl = LOG_INFO;
    log_parse_level(cfg->log_level, &lvl);
    log_setup(lvl, strcmp(cfg->log_format, "json") == 0 ? LOG_JSON : LOG_LOGFMT);
}

static enum err open_store(const struct config *cfg, struct store **out)
{
    struct store_options so;
    store_options_default(&so);
    so.pool_size = (int)cfg->pool_size;
    so.busy_timeout_ms = (int)cfg->busy_timeout_ms;
    so.batch_max = (int)cfg->batch_max;
    so.checkpoint_pages = (int)cfg->checkpoint_pages;
    so.org_cache_bytes = (size_t)cfg->org_cache << 20;
    enum err rc = store_open(cfg->db, &so, out);
    if (rc)
        fprintf(stderr, "kinship: cannot open the database %s\n", cfg->db);
    return rc;
}

/*
 * Answers of a few MB (a list page that names members of an organization of
 * 10,000) are built and freed on every thread. glibc raises its mmap
 * threshold after the first such free and then keeps the freed memory in
 * its per-thread heaps: in `make bench` with a million customers the server
 * stayed at 270 MiB after the load. A fixed threshold gives large buffers
 * back to the system as soon as they are freed.
 */
static void tune_malloc(void)
{
    mallopt(M_MMAP_THRESHOLD, (int)BUF_MAPPED_MIN);
    mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
}

static int cmd_serve(int argc, char **argv)
{
    struct config cfg;
    char *rest[64];
    int n_rest, rc = 0;
    if (argc > 64)
        return 2;
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage_serve(stdout);
            return 0;
        }
    if ((rc = load_config(&cfg, argc, argv, rest, &n_rest)))
        goto out_cfg;
    tune_malloc();
    if (n_rest) {
        fprintf(stderr, "kinship serve: unknown argument '%s' (see kinship serve --help)\n",
                rest[0]);
        rc = 2;
        goto out_cfg;
    }
    char host[128];
    int port;
    if (!cfg_split_listen(cfg.listen, host, sizeof(host), &port)) {
        fprintf(stderr, "kinship: listen must be HOST:PORT, not '%s'\n", cfg.listen);
        rc = 2;
        goto out_cfg;
    }
    setup_logging(&cfg);

    /* Signals go to this thread alone, through sigwait. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct store *store = NULL;
    if (open_store(&cfg, &store)) {
        rc = 1;
        goto out_cfg;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    struct api api = {
        .store = store,
        .cfg = &cfg,
        .workers = workq_create((unsigned)cfg.workers, 256),
        .defer_all = store_blocks(store),
        .async_writes = !store_blocks(store) && store_writes_async(store),
        .page_workers =
            store_blocks(store) ? NULL : workq_create((unsigned)(cores > 0 ? cores : 1), 256),
        .metrics = metrics_create(api_routes_count),
        .ratelimit = ratelimit_create(cfg.rate_limit),
        .openapi = (const char *)kinship_openapi,
        .openapi_len = kinship_openapi_len,
    };
    struct http_options ho = {
        .host = host,
        .port = port,
        .body_limit = (size_t)cfg.body_limit,
        .threads = cfg.threads ? (unsigned)cfg.threads : (unsigned)(cores > 0 ? cores : 1),
        .max_connections = (unsigned)cfg.max_connections,
        .max_per_ip = (unsigned)cfg.max_connections_per_ip,
        .idle_timeout_s = (unsigned)cfg.idle_timeout,
        .request_timeout_s = (unsigned)cfg.request_timeout,
        .header_limit = (size_t)cfg.header_limit,
        .max_headers = (unsigned)cfg.max_headers,
    };
    /* api.server is set before the first request: /metrics reads it. */
    if (http_server_start(&ho, api_handle, api_early_error, api_complete, &api, &api.server)) {
        rc = 1;
        goto out;
    }
    struct http_server *srv = api.server;
    char port_s[16];
    snprintf(port_s, sizeof(port_s), "%d", http_server_port(srv));
    log_kv(LOG_INFO, "listening", "host", host, "port", port_s, "store", store_kind(store),
           "version", KINSHIP_VERSION, (const char *)NULL);

    int sig = 0;
    while (sigwait(&set, &sig) != 0)
        ;
    log_kv(LOG_INFO, "stopping", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT",
           (const char *)NULL);
    http_server_stop(srv);
out:
    workq_destroy(api.workers);
    workq_destroy(api.page_workers);
    metrics_destroy(api.metrics);
    ratelimit_destroy(api.ratelimit);
    store_close(store);
    log_kv(LOG_INFO, "stopped", (const char *)NULL);
out_cfg:
    cfg_fini(&cfg);
    return rc;
}

/* ---- keys and accounts ---- */

struct key_op {
    const char *account_name;
    const char *client_id; /* revoke */
    char client[ID_LEN + 1];
    char secret[SECRET_TEXT_LEN + 1];
    struct arena *a;
    struct client_row *clients;
    struct account_row *accounts;
    size_t n;
};

static enum err key_create_tx(struct store_tx *tx, void *arg)
{
    struct key_op *op = arg;
    char account[ID_LEN + 1];
    int64_t now = clock_now_ms();
    enum err rc = store_account_ensure(tx, op->account_name, now, account);
    if (rc)
        return rc;
    uint8_t hash[SECRET_HASH_LEN];
    secret_hash(op->secret, strlen(op->secret), hash);
    return store_client_insert(tx, account, op->client, hash, now);
}

static void no_render(void *arg, int *status, char **body)
{
    (void)arg;
    *status = 0;
    *body = NULL;
}

static enum err key_revoke_tx(struct store_tx *tx, void *arg)
{
    struct key_op *op = arg;
    return store_client_revoke(tx, op->client_id, clock_now_ms());
}

static enum err key_list_tx(struct store_tx *tx, void *arg)
{
    struct key_op *op = arg;
    return store_client_list(tx, op->a, &op->clients, &op->n);
}

static enum err account_list_tx(struct store_tx *tx, void *arg)
{
    struct key_op *op = arg;
    return store_account_list(tx, op->a, &op->accounts, &op->n);
}

static const char *fmt_time(int64_t ms, char *buf)
{
    if (!ms)
        return "-";
    clock_iso(ms, buf);
    return buf;
}

static int cmd_admin(const char *cmd, int argc, char **argv)
{
    struct config cfg;
    char *rest[64];
    int n_rest, rc;
    if (argc > 64)
        return 2;
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            if (strcmp(cmd, "keys") == 0)
                printf("usage: kinship keys create --account NAME [--db URL]\n"
                       "       kinship keys list [--account NAME] [--db URL]\n"
                       "       kinship keys revoke CLIENT_ID [--db URL]\n\n"
                       "create: makes the account NAME if it is new and a new API client in it,\n"
                       "and prints one line, CLIENT_ID:CLIENT_SECRET. The secret is shown only\n"
                       "this once; the database keeps a hash of it.\n"
                       "list: one line per client: id, account, created, revoked.\n"
                       "revoke: the client's credentials stop working at once, also for\n"
                       "servers already running on the same database.\n");
            else if (strcmp(cmd, "accounts") == 0)
                printf("usage: kinship accounts list [--db URL]\n\n"
                       "One line per account: id, name, created, active API clients.\n");
            else if (strcmp(cmd, "backup") == 0)
                printf("usage: kinship backup PATH [--db URL]\n\n"
                       "Writes a consistent copy of a SQLite database to PATH, while servers\n"
                       "keep reading and writing it (SQLite's online backup API). The copy is\n"
                       "one self-contained file, checked, then renamed into place. To restore,\n"
                       "stop kinship and put the copy where --db points (remove any -wal and\n"
                       "-shm files beside it). For PostgreSQL use pg_dump.\n");
            else if (strcmp(cmd, "export") == 0)
                printf("usage: kinship export --account NAME [--db URL] > FILE.jsonl\n\n"
                       "Writes the account NAME to stdout as JSON lines: a header, then its\n"
                       "customers (archived ones and archived contacts included), aliases and\n"
                       "organizations, with their ids and times, read in one snapshot. API keys\n"
                       "are not exported. See docs/operations.md for the format.\n");
            else if (strcmp(cmd, "import") == 0)
                printf("usage: kinship import --account NAME [--db URL] [FILE]\n\n"
                       "Reads an export from FILE (or stdin) into the account NAME, created\n"
                       "when new, keeping ids and times: this moves an account between\n"
                       "databases, SQLite and PostgreSQL alike. The whole file is checked,\n"
                       "then written in one transaction; if a line breaks the API's rules\n"
                       "(addresses and contacts included) or any row already exists in the\n"
                       "account, nothing is written and the line at fault is named.\n");
            else
                printf("usage: kinship migrate [--db URL]\n\n"
                       "Applies pending database migrations and exits (serve does this too).\n");
            return 0;
        }
    if ((rc = load_config(&cfg, argc, argv, rest, &n_rest)))
        goto out_cfg;
    log_setup(LOG_WARN, LOG_LOGFMT);
    bool is_keys = strcmp(cmd, "keys") == 0, is_accounts = strcmp(cmd, "accounts") == 0;
    /* keys and accounts have subcommands; the others take arguments only. */
    bool has_sub = is_keys || is_accounts;
    const char *sub = has_sub && n_rest ? rest[0] : NULL;
    const char *account = NULL, *target = NULL;
    for (int i = has_sub ? 1 : 0; i < n_rest; i++) {
        if (strcmp(rest[i], "--account") == 0 && i + 1 < n_rest)
            account = rest[++i];
        else if (strncmp(rest[i], "--account=", 10) == 0)
            account = rest[i] + 10;
        else if (!target && (rest[i][0] != '-' || strcmp(rest[i], "-") == 0))
            target = rest[i];
        else {
            fprintf(stderr, "kinship %s: unknown argument '%s'\n", cmd, rest[i]);
            rc = 2;
            goto out_cfg;
        }
    }
    bool is_backup = strcmp(cmd, "backup") == 0, is_export = strcmp(cmd, "export") == 0,
         is_import = strcmp(cmd, "import") == 0;
    bool ok_usage =
        (is_keys && sub &&
         ((strcmp(sub, "create") == 0 && account && *account && !target) ||
          (strcmp(sub, "list") == 0 && !target) ||
          (strcmp(sub, "revoke") == 0 && target && !account))) ||
        (is_accounts && sub && strcmp(sub, "list") == 0 && !target && !account) ||
        (strcmp(cmd, "migrate") == 0 && !target && !account) || (is_backup && target && !account) ||
        (is_export && account && *account && !target) || (is_import && account && *account);
    if (!ok_usage) {
        fprintf(stderr, "kinship %s: bad usage (see kinship %s --help)\n", cmd, cmd);
        rc = 2;
        goto out_cfg;
    }
    FILE *in = NULL;
    if (is_import && target && strcmp(target, "-") != 0 && !(in = fopen(target, "r"))) {
        fprintf(stderr, "kinship import: cannot read %s: %s\n", target, strerror(errno));
        rc = 1;
        goto out_cfg;
    }
    struct store *store = NULL;
    if (open_store(&cfg, &store)) {
        if (in)
            fclose(in);
        rc = 1;
        goto out_cfg;
    }
    struct key_op op = {.account_name = account, .a = arena_create()};
    enum err e = ERR_OK;
    char msg[512];
    bool said = false; /* the failure has been explained on stderr */
    if (strcmp(cmd, "migrate") == 0) {
        printf("migrations applied (%s)\n", store_kind(store));
    } else if (is_backup) {
        e = store_backup(store, target);
        if (e == ERR_OK)
            fprintf(stderr, "kinship backup: wrote %s\n", target);
        else if (strcmp(store_kind(store), "sqlite") != 0)
            fprintf(stderr, "kinship backup: backs up SQLite databases only; for "
                            "PostgreSQL use pg_dump\n");
        else
            fprintf(stderr, "kinship backup: could not write %s (see the log line above)\n",
                    target);
        said = true;
    } else if (is_export || is_import) {
        e = is_export ? transfer_export(store, account, stdout, msg, sizeof(msg))
                      : transfer_import(store, account, in ? in : stdin, msg, sizeof(msg));
        fprintf(stderr, "kinship %s: %s\n", cmd, msg);
        said = true;
    } else if (is_accounts) {
        e = store_read(store, account_list_tx, &op);
        for (size_t i = 0; e == ERR_OK && i < op.n; i++) {
            char t[ISO_LEN + 1];
            printf("%s\t%s\t%s\t%lld\n", op.accounts[i].id, op.accounts[i].name,
                   fmt_time(op.accounts[i].created_at, t), (long long)op.accounts[i].clients);
        }
    } else if (strcmp(sub, "create") == 0) {
        id_new(op.client);
        secret_new(op.secret);
        struct store_write w = {.fn = key_create_tx, .arg = &op, .render = no_render};
        e = store_write(store, &w);
        free(w.body);
        if (e == ERR_OK)
            printf("%s:%s\n", op.client, op.secret);
    } else if (strcmp(sub, "list") == 0) {
        e = store_read(store, key_list_tx, &op);
        for (size_t i = 0; e == ERR_OK && i < op.n; i++) {
            struct client_row *cr = &op.clients[i];
            if (account && strcmp(account, cr->account_name) != 0)
                continue;
            char t1[ISO_LEN + 1], t2[ISO_LEN + 1];
            printf("%s\t%s\t%s\t%s\n", cr->id, cr->account_name, fmt_time(cr->created_at, t1),
                   cr->revoked_at ? fmt_time(cr->revoked_at, t2) : "active");
        }
    } else {
        char id[ID_LEN + 1];
        if (!id_valid(target)) {
            e = ERR_NOT_FOUND;
        } else {
            id_normalize(target, id);
            op.client_id = id;
            struct store_write w = {.fn = key_revoke_tx, .arg = &op, .render = no_render};
            e = store_write(store, &w);
            free(w.body);
        }
        if (e == ERR_OK)
            fprintf(stderr, "revoked %s\n", target);
        else if (e == ERR_NOT_FOUND)
            fprintf(stderr, "kinship keys revoke: no active client %s\n", target);
    }
    if (e && e != ERR_NOT_FOUND && !said)
        fprintf(stderr, "kinship %s: %s\n", cmd, err_message(e));
    rc = e ? 1 : 0;
    arena_destroy(op.a);
    store_close(store);
    if (in)
        fclose(in);
out_cfg:
    cfg_fini(&cfg);
    return rc;
}

int main(int argc, char **argv)
{
    secret_init();
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage_main(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("kinship %s (API %s)\n", KINSHIP_VERSION, API_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "serve") == 0)
        return cmd_serve(argc - 2, argv + 2);
    static const char *const admin[] = {"keys",   "accounts", "migrate",
                                        "backup", "export",   "import"};
    for (size_t i = 0; i < sizeof(admin) / sizeof(*admin); i++)
        if (strcmp(argv[1], admin[i]) == 0)
            return cmd_admin(argv[1], argc - 2, argv + 2);
    fprintf(stderr, "kinship: unknown command '%s' (see kinship --help)\n", argv[1]);
    return 2;
}
