/*
 * The commands that manage a database directly: `keys`, `accounts`,
 * `migrate`, `backup`, `export` and `import`. The dispatcher has checked
 * their arguments and opened the database (which applies migrations) before
 * any of these runs.
 */
#include "cli.h"
#include "transfer.h"

#include "../core/clock.h"
#include "../core/id.h"
#include "../core/mem.h"
#include "../core/secret.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

enum err admin_client_insert(struct store_tx *tx, const char *account_name, const char *client,
                             const char *secret, char account[ID_LEN + 1])
{
    int64_t now = clock_now_ms();
    enum err rc = store_account_ensure(tx, account_name, now, account);
    if (rc)
        return rc;
    uint8_t hash[SECRET_HASH_LEN];
    secret_hash(secret, strlen(secret), hash);
    return store_client_insert(tx, account, client, hash, now);
}

static enum err key_create_tx(struct store_tx *tx, void *arg)
{
    struct key_op *op = arg;
    char account[ID_LEN + 1];
    return admin_client_insert(tx, op->account_name, op->client, op->secret, account);
}

void admin_no_render(void *arg, int *status, char **body)
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

/* The exit status of `e`, saying on stderr what failed when it did. */
static int status(const struct cli_command *cmd, enum err e)
{
    if (e == ERR_OK)
        return 0;
    fprintf(stderr, "kinship %s: %s\n", cmd->name, err_message(e));
    return 1;
}

int admin_keys_create(const struct cli_command *cmd, struct cli_args *args)
{
    struct key_op op = {.account_name = args->account};
    id_new(op.client);
    secret_new(op.secret);
    struct store_write w = {.fn = key_create_tx, .arg = &op, .render = admin_no_render};
    enum err e = store_write(args->store, &w);
    free(w.body);
    if (e == ERR_OK)
        printf("%s:%s\n", op.client, op.secret);
    return status(cmd, e);
}

int admin_keys_list(const struct cli_command *cmd, struct cli_args *args)
{
    struct key_op op = {.a = arena_create()};
    enum err e = store_read(args->store, key_list_tx, &op);
    for (size_t i = 0; e == ERR_OK && i < op.n; i++) {
        struct client_row *cr = &op.clients[i];
        if (args->account && strcmp(args->account, cr->account_name) != 0)
            continue;
        char t1[ISO_LEN + 1], t2[ISO_LEN + 1];
        printf("%s\t%s\t%s\t%s\n", cr->id, cr->account_name, fmt_time(cr->created_at, t1),
               cr->revoked_at ? fmt_time(cr->revoked_at, t2) : "active");
    }
    arena_destroy(op.a);
    return status(cmd, e);
}

int admin_keys_revoke(const struct cli_command *cmd, struct cli_args *args)
{
    const char *target = args->arg;
    char id[ID_LEN + 1];
    enum err e = ERR_NOT_FOUND;
    if (id_valid(target)) {
        id_normalize(target, id);
        struct key_op op = {.client_id = id};
        struct store_write w = {.fn = key_revoke_tx, .arg = &op, .render = admin_no_render};
        e = store_write(args->store, &w);
        free(w.body);
    }
    if (e == ERR_OK)
        fprintf(stderr, "revoked %s\n", target);
    else if (e == ERR_NOT_FOUND)
        fprintf(stderr, "kinship %s %s: no active client %s\n", cmd->name, cmd->sub, target);
    else
        return status(cmd, e);
    return e ? 1 : 0;
}

int admin_accounts_list(const struct cli_command *cmd, struct cli_args *args)
{
    struct key_op op = {.a = arena_create()};
    enum err e = store_read(args->store, account_list_tx, &op);
    for (size_t i = 0; e == ERR_OK && i < op.n; i++) {
        char t[ISO_LEN + 1];
        printf("%s\t%s\t%s\t%lld\n", op.accounts[i].id, op.accounts[i].name,
               fmt_time(op.accounts[i].created_at, t), (long long)op.accounts[i].clients);
    }
    arena_destroy(op.a);
    return status(cmd, e);
}

int admin_migrate(const struct cli_command *cmd, struct cli_args *args)
{
    (void)cmd;
    printf("migrations applied (%s)\n", store_kind(args->store));
    return 0;
}

int admin_backup(const struct cli_command *cmd, struct cli_args *args)
{
    enum err e = store_backup(args->store, args->arg);
    if (e == ERR_OK)
        fprintf(stderr, "kinship %s: wrote %s\n", cmd->name, args->arg);
    else if (strcmp(store_kind(args->store), "sqlite") != 0)
        fprintf(stderr,
                "kinship %s: backs up SQLite databases only; for PostgreSQL use "
                "pg_dump\n",
                cmd->name);
    else
        fprintf(stderr, "kinship %s: could not write %s (see the log line above)\n", cmd->name,
                args->arg);
    return e ? 1 : 0;
}

int admin_export(const struct cli_command *cmd, struct cli_args *args)
{
    char msg[512];
    enum err e = transfer_export(args->store, args->account, stdout, msg, sizeof(msg));
    fprintf(stderr, "kinship %s: %s\n", cmd->name, msg);
    return e ? 1 : 0;
}

int admin_import(const struct cli_command *cmd, struct cli_args *args)
{
    char msg[512];
    struct rules_limits lim = {.per_organization = args->cfg.members_per_organization,
                               .max_depth = args->cfg.max_depth};
    enum err e = transfer_import(args->store, args->account, args->in, &lim, msg, sizeof(msg));
    fprintf(stderr, "kinship %s: %s\n", cmd->name, msg);
    return e ? 1 : 0;
}
