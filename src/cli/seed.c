/*
 * The test twin's seed (docs/console.md): `kinship seed --account NAME`
 * on a database, and `serve --seed-demo NAME` inside the serving process
 * (the only way to fill a memory: store). Both write the demo hierarchy
 * (src/api/twin.c) and a new API client in one transaction and print the
 * client's CLIENT_ID:SECRET on stdout.
 */
#include "cli.h"

#include "../api/twin.h"
#include "../core/id.h"
#include "../core/log.h"
#include "../core/secret.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct seed_op {
    const char *account_name;
    struct rules_limits lim;
    char client[ID_LEN + 1];
    char secret[SECRET_TEXT_LEN + 1];
    struct arena *a;
    struct twin_counts n;
};

static enum err seed_tx(struct store_tx *tx, void *arg)
{
    struct seed_op *op = arg;
    char account[ID_LEN + 1];
    enum err rc = admin_client_insert(tx, op->account_name, op->client, op->secret, account);
    return rc ? rc : twin_demo_fill(tx, op->a, account, &op->lim, &op->n);
}

enum err seed_demo(struct store *store, const struct config *cfg, const char *account)
{
    struct seed_op op = {
        .account_name = account,
        .lim = {.per_request = cfg->members_per_request,
                .per_organization = cfg->members_per_organization},
        .a = arena_create(),
    };
    id_new(op.client);
    secret_new(op.secret);
    struct store_write w = {.fn = seed_tx, .arg = &op, .render = admin_no_render};
    enum err rc = store_write(store, &w);
    free(w.body);
    arena_destroy(op.a);
    if (rc == ERR_ALIAS_EXISTS) {
        fprintf(stderr, "kinship: the account %s holds the demo already\n", account);
        return rc;
    }
    if (rc) {
        fprintf(stderr, "kinship: cannot seed the account %s: %s\n", account, err_message(rc));
        return rc;
    }
    char customers[24], orgs[24];
    snprintf(customers, sizeof(customers), "%zu", op.n.customers);
    snprintf(orgs, sizeof(orgs), "%zu", op.n.organizations);
    log_kv(LOG_INFO, "seeded the demo hierarchy", "account", account, "customers", customers,
           "organizations", orgs, (const char *)NULL);
    printf("%s:%s\n", op.client, op.secret);
    fflush(stdout);
    return ERR_OK;
}

int seed_run(const struct cli_command *cmd, struct cli_args *args)
{
    if (strcmp(args->cfg.db, "memory:") == 0) {
        fprintf(stderr,
                "kinship %s: a memory: database lives and dies with its server: use "
                "kinship serve --db memory: --seed-demo NAME\n",
                cmd->name);
        return 2;
    }
    return seed_demo(args->store, &args->cfg, args->account) ? 1 : 0;
}
