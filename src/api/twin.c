/*
 * The test twin: the demo hierarchy (twin.h) and POST /_kinship/reset,
 * which empties the caller's account (and with ?seed=demo fills it again)
 * when the operator turned test_reset on; otherwise the route answers as if
 * it did not exist.
 */
#include "api.h"
#include "twin.h"

#include "../core/id.h"
#include "../core/clock.h"

#include <stdio.h>
#include <string.h>

/* ---- the demo hierarchy ---- */

struct place {
    const char *country, *state, *city;
};

/* Four regions of five countries each: the group's second and third levels. */
static const char *const regions[] = {"Europe", "Americas", "Asia Pacific", "Africa"};
static const struct place places[4][5] = {
    {{"GB", NULL, "London"},
     {"DE", NULL, "Berlin"},
     {"FR", NULL, "Paris"},
     {"ES", NULL, "Madrid"},
     {"IT", NULL, "Milan"}},
    {{"US", "NY", "New York"},
     {"CA", "ON", "Toronto"},
     {"BR", NULL, "Sao Paulo"},
     {"MX", NULL, "Monterrey"},
     {"AR", NULL, "Cordoba"}},
    {{"JP", NULL, "Osaka"},
     {"SG", NULL, "Singapore"},
     {"IN", NULL, "Pune"},
     {"KR", NULL, "Busan"},
     {"NZ", NULL, "Wellington"}},
    {{"ZA", NULL, "Cape Town"},
     {"KE", NULL, "Nairobi"},
     {"NG", NULL, "Lagos"},
     {"EG", NULL, "Cairo"},
     {"MA", NULL, "Casablanca"}},
};
static const char *const branches[] = {"North", "Central", "Harbour"};
enum { STORES_PER_BRANCH = 3, LARGE_MEMBERS = 120, OWN = 14 };

struct demo {
    struct store_tx *tx;
    struct arena *a;
    const char *account;
    const struct rules_limits *lim;
    struct twin_counts n;
    int64_t now;
};

/* Lower-case letters and digits of `name`, dashes between words. */
static const char *slug(struct arena *a, const char *name)
{
    size_t len = strlen(name);
    char *out = arena_alloc(a, len + 1), *p = out;
    for (const char *s = name; *s; s++) {
        char ch = *s;
        if (ch >= 'A' && ch <= 'Z')
            ch = (char)(ch - 'A' + 'a');
        if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))
            *p++ = ch;
        else if (p > out && p[-1] != '-')
            *p++ = '-';
    }
    while (p > out && p[-1] == '-')
        p--;
    *p = '\0';
    return out;
}

/* One customer with its billing contact and alias; its id into `id`. */
static enum err customer_add(struct demo *d, const char *name, const struct place *pl,
                             char id[ID_LEN + 1])
{
    struct arena *a = d->a;
    const char *s = slug(a, name);
    struct contact *ct = arena_zalloc(a, sizeof(*ct));
    id_new(ct->id);
    ct->name = arena_printf(a, "Accounts payable, %s", name);
    ct->email = arena_printf(a, "billing@%s.example", s);
    ct->pref = BILLING_PRIMARY;
    ct->created_at = ct->updated_at = d->now;
    struct customer cu = {
        .legal_name = name,
        .tax_status = TAX_TAXED,
        .status = CUSTOMER_ACTIVE,
        .address = {.line1 = arena_printf(a, "%zu Market Street", d->n.customers + 1),
                    .town = pl->city,
                    .state = pl->state,
                    .postcode = arena_printf(a, "%05zu", 10000 + d->n.customers),
                    .country = pl->country},
        .contacts = ct,
        .n_contacts = 1,
    };
    id_new(cu.id);
    cu.created_at = cu.updated_at = id_time_ms(cu.id);
    enum err rc = store_customer_insert(d->tx, d->account, &cu);
    if (rc)
        return rc;
    struct alias al = {.value = s, .created_at = d->now};
    id_new(al.id);
    memcpy(al.account_id, d->account, ID_LEN + 1);
    memcpy(al.customer_id, cu.id, ID_LEN + 1);
    if ((rc = store_alias_insert(d->tx, d->account, &al)))
        return rc;
    d->n.customers++;
    d->n.aliases++;
    memcpy(id, cu.id, ID_LEN + 1);
    return ERR_OK;
}

/* A customer that joins the organization `parent` owns (R2, as parentId). */
static enum err child_add(struct demo *d, const char *parent, const char *name,
                          const struct place *pl, char id[ID_LEN + 1], bool *parent_new)
{
    enum err rc = customer_add(d, name, pl, id);
    if (rc)
        return rc;
    struct rules_verdict v;
    if ((rc = rules_parent_attach(d->tx, d->a, d->account, d->lim, parent, id, &v)))
        return rc;
    if (*parent_new) {
        d->n.organizations++;
        *parent_new = false;
    }
    return ERR_OK;
}

/* The group: holding, regions, countries, branches, stores. */
static enum err group_add(struct demo *d)
{
    static const struct place hq = {"GB", NULL, "London"};
    char root[ID_LEN + 1], region[ID_LEN + 1], country[ID_LEN + 1], branch[ID_LEN + 1],
        store[ID_LEN + 1];
    enum err rc = customer_add(d, "Northwind Group", &hq, root);
    bool root_new = true;
    for (int r = 0; !rc && r < 4; r++) {
        const char *rn = arena_printf(d->a, "Northwind %s", regions[r]);
        bool region_new = true;
        if ((rc = child_add(d, root, rn, &places[r][0], region, &root_new)))
            break;
        for (int c = 0; !rc && c < 5; c++) {
            const struct place *pl = &places[r][c];
            const char *cn = arena_printf(d->a, "Northwind %s %s", pl->country, pl->city);
            bool country_new = true;
            if ((rc = child_add(d, region, cn, pl, country, &region_new)))
                break;
            for (int b = 0; !rc && b < 3; b++) {
                const char *bn = arena_printf(d->a, "%s %s Branch", pl->city, branches[b]);
                bool branch_new = true;
                if ((rc = child_add(d, country, bn, pl, branch, &country_new)))
                    break;
                for (int s = 0; !rc && s < STORES_PER_BRANCH; s++) {
                    const char *sn =
                        arena_printf(d->a, "%s %s Store %d", pl->city, branches[b], s + 1);
                    rc = child_add(d, branch, sn, pl, store, &branch_new);
                }
            }
        }
    }
    return rc;
}

/* One organization of LARGE_MEMBERS, made in one rules_org_create. */
static enum err large_add(struct demo *d)
{
    static const struct place pl = {"NL", NULL, "Rotterdam"};
    char owner[ID_LEN + 1];
    enum err rc = customer_add(d, "Contoso Retail", &pl, owner);
    const char **ids = arena_alloc(d->a, LARGE_MEMBERS * sizeof(*ids));
    for (size_t i = 0; !rc && i < LARGE_MEMBERS; i++) {
        char *id = arena_alloc(d->a, ID_LEN + 1);
        rc = customer_add(d, arena_printf(d->a, "Contoso Outlet %03zu", i + 1), &pl, id);
        ids[i] = id;
    }
    if (rc)
        return rc;
    struct organization o;
    struct rules_verdict v;
    rc = rules_org_create(d->tx, d->a, d->account, d->lim, owner, ids, LARGE_MEMBERS, &o, &v);
    if (rc == ERR_OK)
        d->n.organizations++;
    return rc;
}

/* Customers in no organization. */
static enum err own_add(struct demo *d)
{
    static const struct place pl = {"IE", NULL, "Dublin"};
    static const char *const trades[] = {"Bakery", "Studio",  "Garage", "Pharmacy",
                                         "Books",  "Florist", "Optics"};
    char id[ID_LEN + 1];
    enum err rc = ERR_OK;
    for (int i = 0; !rc && i < OWN; i++)
        rc = customer_add(d, arena_printf(d->a, "Fabrikam %s %d", trades[i % 7], i / 7 + 1), &pl,
                          id);
    return rc;
}

enum err twin_demo_fill(struct store_tx *tx, struct arena *a, const char *account,
                        const struct rules_limits *lim, struct twin_counts *out)
{
    struct demo d = {.tx = tx, .a = a, .account = account, .lim = lim, .now = clock_now_ms()};
    enum err rc;
    if ((rc = group_add(&d)) || (rc = large_add(&d)) || (rc = own_add(&d)))
        return rc;
    *out = d.n;
    return ERR_OK;
}

/* ---- POST /_kinship/reset ---- */

struct reset_op {
    struct call *c;
    bool seed;
    struct twin_counts n;
};

static enum err reset_tx(struct store_tx *tx, void *arg)
{
    struct reset_op *op = arg;
    struct call *c = op->c;
    enum err rc = store_account_reset(tx, c->account);
    if (rc || !op->seed)
        return rc;
    struct rules_limits lim = call_limits(c);
    return twin_demo_fill(tx, c->a, c->account, &lim, &op->n);
}

static void render_reset(void *arg, int *status, char **body)
{
    struct reset_op *op = arg;
    char text[160] = "{\"reset\":true}";
    if (op->seed)
        snprintf(text, sizeof(text),
                 "{\"reset\":true,\"seeded\":{\"customers\":%zu,\"organizations\":%zu}}",
                 op->n.customers, op->n.organizations);
    *status = 200;
    *body = xstrdup(text);
}

enum err api_twin_reset(struct call *c)
{
    if (strcmp(c->api->cfg->test_reset, "on") != 0)
        return call_fail(c, ERR_ROUTE_NOT_FOUND, NULL, "no route for this path");
    const char *seed = req_query(c->req, "seed");
    if (seed && strcmp(seed, "demo") != 0)
        return call_fail(c, ERR_PARAM_INVALID, "seed", "seed must be demo");
    struct reset_op *op = arena_zalloc(c->a, sizeof(*op));
    *op = (struct reset_op){.c = c, .seed = seed != NULL};
    return call_write(c, reset_tx, render_reset, op);
}
