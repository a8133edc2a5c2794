/*
 * The store suite's shared fixture: every test of the one `test_store`
 * executable (the files named after store.h's sections) runs in suite
 * `store`, whose init opens the store named by KINSHIP_TEST_STORE
 *   sqlite  a fresh database file in a temporary directory;
 *   pg      the database at KINSHIP_TEST_PG_URL (required),
 * and makes two fresh, uniquely named accounts, so that runs on a shared
 * PostgreSQL never see each other's rows; fini closes the store and removes
 * the SQLite directory. Only store.h is used: no backend headers.
 *
 * The names are short on purpose: they are the suite's vocabulary (S the
 * store, A the test's arena, R and W one read or write transaction).
 */
#ifndef KINSHIP_TEST_STORE_FIXTURE_H
#define KINSHIP_TEST_STORE_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../src/core/clock.h"
#include "../../src/core/id.h"
#include "../../src/core/log.h"
#include "../../src/core/mem.h"
#include "../../src/core/secret.h"
#include "../../src/store/store.h"
#include "test_db.h"

extern struct store *S;
extern struct arena *A;   /* the test's arena */
extern struct test_db fx; /* the store's URL, and on SQLite its directory and file */
extern char acct_a[ID_LEN + 1], acct_b[ID_LEN + 1];
extern char acct_name[64], acct_b_name[64];
/* The tests' clock: every row is created at T0 plus a few milliseconds. */
static const int64_t T0 = 1700000000000LL;

/* True when the store under test is SQLite. */
bool is_sqlite(void);
/* store_write without an idempotency key; the answer's body is dropped. */
enum err write_fn(struct store *s, store_fn fn, void *arg);

/*
 * One primitive call per transaction, through a single dispatcher: the
 * tests then read as sequences of calls. Inputs and outputs share the
 * struct; outputs live in the test arena.
 */
enum op_kind {
    OP_ACCOUNT_ENSURE,
    OP_ACCOUNT_LIST,
    OP_CLIENT_INSERT,
    OP_CLIENT_GET,
    OP_CLIENT_REVOKE,
    OP_CLIENT_LIST,
    OP_CUSTOMER_INSERT,
    OP_CUSTOMER_UPDATE,
    OP_CUSTOMER_GET,
    OP_CUSTOMER_ARCHIVE,
    OP_CUSTOMER_BRIEFS,
    OP_CUSTOMER_LIST,
    OP_PROPERTY_KEYS,
    OP_CONTACT_LIST,
    OP_CONTACT_GET,
    OP_CONTACT_INSERT,
    OP_CONTACT_UPDATE,
    OP_ALIAS_INSERT,
    OP_ALIAS_GET,
    OP_ALIAS_GET_BY_VALUE,
    OP_ALIAS_LIST,
    OP_ALIAS_LIST_FOR_CUSTOMER,
    OP_ALIAS_UPDATE,
    OP_ORG_INSERT,
    OP_ORG_GET,
    OP_ORG_ID_BY_OWNER,
    OP_ORG_MEMBERS_ADD,
    OP_ORG_MEMBERS_CLEAR,
    OP_ORG_MEMBER_REMOVE,
    OP_ORG_MEMBER_COUNT,
    OP_ORG_DELETE,
    OP_ORG_REACHES,
    OP_ORG_LIST,
};

struct op {
    enum op_kind k;
    const char *acct;
    const char *id, *id2, *str;
    const struct customer *customer;
    const struct contact *contact;
    const struct alias *alias;
    const struct organization *org;
    const struct customer_query *cq;
    const struct page_query *pq;
    const char *const *ids;
    size_t n_ids;
    bool flag;
    int64_t now;
    const uint8_t *hash;
    /* out */
    struct customer c_out;
    struct customer *c_items;
    const char **keys;
    size_t n;
    struct page_result pr;
    struct contact ct_out;
    struct contact *ct_items;
    struct alias al_out;
    struct alias *al_items;
    struct organization org_out;
    struct organization *org_items;
    struct customer_brief *briefs;
    const char **strs;
    char id_out[ID_LEN + 1];
    uint8_t hash_out[SECRET_HASH_LEN];
    int64_t i64;
    bool b;
    struct account_row *accounts;
    struct client_row *clients;
};

/* The store_fn that runs o's one primitive (o is its arg). */
enum err op_fn(struct store_tx *tx, void *arg);
/* o in a read transaction of S. */
enum err R(struct op *o);
/* o in a write transaction of S (no idempotency key). */
enum err W(struct op *o);
/* store_account_ensure of `name` into id; asserts success. */
void ensure_account(const char *name, char id[ID_LEN + 1]);

/* ---- builders (they live in A and assert success) ---- */

/* A customer with two contacts, two properties and one integration id,
 * created at T0 + dt. */
struct customer *mk_customer(const char *name, int64_t dt);
/* mk_customer inserted into `account`. */
struct customer *insert_customer_in(const char *account, const char *name, int64_t dt);
/* insert_customer_in acct_a. */
struct customer *insert_customer(const char *name, int64_t dt);
/* store_customer_get; asserts it is found. */
struct customer get_customer(const char *account, const char *id);
/* An alias of customer_id created at T0 + dt (not inserted). */
struct alias *mk_alias(const char *customer_id, const char *value, int64_t dt);
/* An organization of owner with the n members, created at T0 + dt (not
 * inserted). */
struct organization *mk_org(const char *owner, const char *const *members, size_t n, int64_t dt);
/* mk_org inserted into acct_a. */
struct organization *insert_org(const char *owner, const char *const *members, size_t n,
                                int64_t dt);
/* Sets pq's cursor: after (set_after) or before (set_before) key/id. */
void set_after(struct page_query *pq, const char *key, const char *id);
void set_before(struct page_query *pq, const char *key, const char *id);
/* Runs a customer list of acct_a; asserts success. */
struct op list_customers(const struct customer_query *q);
/* Asserts the legal names of a customer list's page, in order. */
void expect_names(const struct op *o, const char *const *names, size_t n);
/* Asserts the member ids of acct_a's organization org_id, in order. */
void expect_members(const char *org_id, const char *const *ids, size_t n);

/* NAMES("a", "b") is the two arguments (array, count) expect_names wants. */
#define NAMES(...)                                                                                 \
    (const char *const[]){__VA_ARGS__},                                                            \
        sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)

#endif
