/*
 * The PostgreSQL backend: its table of primitives (store.c calls them
 * through it) and the opening of a store.
 */
#include "internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

const struct store_backend store__pg_backend = {
    .name = "postgresql",
    .blocks = true,
    .close = store__pg_close,
    .ping = store__pg_ping,
    .read = store__pg_read,
    .write = store__pg_write,
    .stats = store__pg_stats,
    .idem_get = store__pg_idem_get,
    .idem_put = store__pg_idem_put,
    .account_ensure = store__pg_account_ensure,
    .account_list = store__pg_account_list,
    .account_reset = store__pg_account_reset,
    .client_insert = store__pg_client_insert,
    .client_get = store__pg_client_get,
    .client_revoke = store__pg_client_revoke,
    .client_list = store__pg_client_list,
    .customer_row_get = store__pg_customer_row_get,
    .customer_insert = store__pg_customer_insert,
    .customer_update = store__pg_customer_update,
    .customer_archive = store__pg_customer_archive,
    .customer_briefs = store__pg_customer_briefs,
    .customer_props = store__pg_customer_props,
    .customer_list_rows = store__pg_customer_list_rows,
    .property_keys = store__pg_property_keys,
    .contact_list = store__pg_contact_list,
    .contact_get = store__pg_contact_get,
    .contact_insert = store__pg_contact_insert,
    .contact_update = store__pg_contact_update,
    .alias_insert = store__pg_alias_insert,
    .alias_get = store__pg_alias_get,
    .alias_get_by_value = store__pg_alias_get_by_value,
    .alias_list = store__pg_alias_list,
    .alias_list_for_customer = store__pg_alias_list_for_customer,
    .alias_update = store__pg_alias_update,
    .org_insert = store__pg_org_insert,
    .org_get = store__pg_org_get,
    .org_id_by_owner = store__pg_org_id_by_owner,
    .org_ids_of_member = store__pg_org_ids_of_member,
    .customers_props = store__pg_customers_props,
    .customers_org_ids = store__pg_customers_org_ids,
    .orgs_get = store__pg_orgs_get,
    .org_members_add = store__pg_org_members_add,
    .org_members_clear = store__pg_org_members_clear,
    .org_member_remove = store__pg_org_member_remove,
    .org_member_count = store__pg_org_member_count,
    .org_extent = store__pg_org_extent,
    .customer_list_extent = store__pg_customer_list_extent,
    .org_list_extent = store__pg_org_list_extent,
    .extent_refused = store__pg_extent_refused,
    .org_delete = store__pg_org_delete,
    .org_reaches = store__pg_org_reaches,
    .hierarchy_lock = store__pg_hierarchy_lock,
    .org_list_ids = store__pg_org_list_ids,
    .customer_whole = store__pg_customer_whole,
    .client_check = store__pg_client_check,
    .client_confirm = store__pg_client_confirm,
    .flush = store__pg_flush,
    /* notification policies and the activity log */
    .policy_insert = store__pg_policy_insert,
    .policy_get = store__pg_policy_get,
    .policy_update = store__pg_policy_update,
    .policy_delete = store__pg_policy_delete,
    .policy_list = store__pg_policy_list,
    .activity_insert = store__pg_activity_insert,
    .activity_purge = store__pg_activity_purge,
    .activity_get = store__pg_activity_get,
    .activity_list = store__pg_activity_list,
    .event_insert = store__pg_event_insert,
    .tree_ancestors = store__pg_tree_ancestors,
    .tree_descendants = store__pg_tree_descendants,
    .tree_heights = store__pg_tree_heights,
};

enum err store__pg_open(const char *url, const struct store_options *o, struct store **out)
{
    struct store__pg *s = xcalloc(1, sizeof(*s));
    s->base.be = &store__pg_backend;
    s->base.opt = *o;
    if (s->base.opt.pool_size < 1)
        s->base.opt.pool_size = 1;
    if (s->base.opt.busy_timeout_ms < 1)
        s->base.opt.busy_timeout_ms = 1;
    /* 0 would let libpq wait forever for a server that does not answer */
    snprintf(s->connect_s, sizeof(s->connect_s), "%d",
             o->connect_timeout_s > 0 ? o->connect_timeout_s : STORE_CONNECT_TIMEOUT_S);
    s->url = xstrdup(url);
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);
    atomic_init(&s->idem_writes, 0);
    atomic_init(&s->last_log_us, 0);

    enum err rc = store__pg_start(s);
    if (rc) {
        store__pg_close(&s->base);
        return rc;
    }
    *out = &s->base;
    return ERR_OK;
}

/* The counters engine.c keeps, and the pool as it is now (see
 * store__pg_stats in internal.h). */
void store__pg_stats(struct store *base, struct store_stats *out)
{
    struct store__pg *s = (struct store__pg *)base;
    store__counters_read(&s->ctr, out);
    pthread_mutex_lock(&s->mu);
    out->pool_in_use = s->busy;
    out->pool_open = s->total;
    out->pool_max = s->base.opt.pool_size;
    out->write_queue = s->waiting;
    pthread_mutex_unlock(&s->mu);
}
