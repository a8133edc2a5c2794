/*
 * kinship's SQLite schema, one migration per entry. Every tenant table is
 * keyed first by account_id so that no query can reach another account's
 * rows and accounts could later move to shards. Ids are lowercase UUID text,
 * times are milliseconds since the epoch, enum columns hold the API names.
 * Small, id-keyed tables are WITHOUT ROWID: a primary-key lookup is then one
 * b-tree descent instead of two.
 *
 * A migration, once released, is never edited: schema changes append a new
 * one. store__sqlite_migrate applies the pending ones at open, inside one
 * transaction.
 */
#include "internal.h"
#include "../../core/clock.h"
#include "../../core/log.h"

#include <stdio.h>

struct migration {
    int version; /* strictly increasing from 1 */
    const char *sql;
};

static const char v1[] =
    "CREATE TABLE accounts ("
    "  id TEXT NOT NULL PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  created_at INTEGER NOT NULL"
    ");"
    "CREATE TABLE api_clients ("
    "  id TEXT NOT NULL PRIMARY KEY,"
    "  account_id TEXT NOT NULL REFERENCES accounts(id),"
    "  secret_hash BLOB NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  revoked_at INTEGER"
    ");"
    "CREATE INDEX api_clients_account ON api_clients(account_id);"

    "CREATE TABLE customers ("
    "  account_id TEXT NOT NULL REFERENCES accounts(id),"
    "  id TEXT NOT NULL,"
    "  legal_name TEXT NOT NULL,"
    "  url TEXT,"
    "  label TEXT,"
    "  tax_status TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  line1 TEXT, line2 TEXT, town TEXT, state TEXT, postcode TEXT, country TEXT,"
    "  integrations TEXT,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  archived_at INTEGER,"
    "  PRIMARY KEY (account_id, id)"
    ") WITHOUT ROWID;"
    /* The default list order, and the legal name sort. */
    "CREATE INDEX customers_created ON customers(account_id, created_at, id);"
    "CREATE INDEX customers_legal_name ON customers(account_id, legal_name, id);"

    "CREATE TABLE contacts ("
    "  account_id TEXT NOT NULL,"
    "  customer_id TEXT NOT NULL,"
    "  id TEXT NOT NULL,"
    "  name TEXT,"
    "  email TEXT,"
    "  billing_preference TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  archived_at INTEGER,"
    "  PRIMARY KEY (account_id, customer_id, id),"
    "  FOREIGN KEY (account_id, customer_id) REFERENCES customers(account_id, id)"
    ") WITHOUT ROWID;"
    /* The email filter of the customer list. */
    "CREATE INDEX contacts_email ON contacts(account_id, email COLLATE NOCASE);"

    "CREATE TABLE customer_properties ("
    "  account_id TEXT NOT NULL,"
    "  customer_id TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  PRIMARY KEY (account_id, customer_id, key),"
    "  FOREIGN KEY (account_id, customer_id) REFERENCES customers(account_id, id)"
    ") WITHOUT ROWID;"
    "CREATE INDEX customer_properties_key ON customer_properties(account_id, key);"

    "CREATE TABLE aliases ("
    "  account_id TEXT NOT NULL,"
    "  id TEXT NOT NULL,"
    "  customer_id TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  label TEXT,"
    "  created_at INTEGER NOT NULL,"
    "  deleted_at INTEGER,"
    "  PRIMARY KEY (account_id, id),"
    "  FOREIGN KEY (account_id, customer_id) REFERENCES customers(account_id, id)"
    ") WITHOUT ROWID;"
    /* A value names one live alias; deleting an alias frees its value. */
    "CREATE UNIQUE INDEX aliases_value ON aliases(account_id, value) WHERE deleted_at IS NULL;"
    "CREATE INDEX aliases_customer ON aliases(account_id, customer_id);"

    "CREATE TABLE organizations ("
    "  account_id TEXT NOT NULL,"
    "  id TEXT NOT NULL,"
    "  owner_id TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (account_id, id),"
    /* R1: a customer owns at most one organization. */
    "  UNIQUE (account_id, owner_id),"
    "  FOREIGN KEY (account_id, owner_id) REFERENCES customers(account_id, id)"
    ") WITHOUT ROWID;"
    "CREATE TABLE organization_members ("
    "  account_id TEXT NOT NULL,"
    "  organization_id TEXT NOT NULL,"
    "  customer_id TEXT NOT NULL,"
    "  position INTEGER NOT NULL,"
    "  PRIMARY KEY (account_id, organization_id, customer_id),"
    "  FOREIGN KEY (account_id, organization_id) REFERENCES organizations(account_id, id)"
    "    ON DELETE CASCADE,"
    "  FOREIGN KEY (account_id, customer_id) REFERENCES customers(account_id, id)"
    ") WITHOUT ROWID;"
    "CREATE INDEX organization_members_customer"
    "  ON organization_members(account_id, customer_id);"
    "CREATE INDEX organization_members_position"
    "  ON organization_members(account_id, organization_id, position);"

    /* Bodies can be large: a rowid table keeps them out of the key b-tree. */
    "CREATE TABLE idempotency_keys ("
    "  account_id TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  request_hash BLOB NOT NULL,"
    "  status INTEGER NOT NULL,"
    "  body TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (account_id, key)"
    ");"
    "CREATE INDEX idempotency_keys_created ON idempotency_keys(account_id, created_at);";

/*
 * 2: customer counts per account, kept by triggers in the same transaction
 * as the rows, so that an unfiltered list's totalResultSize is one lookup
 * instead of a scan of every customer of the account.
 */
static const char v2[] =
    "CREATE TABLE customer_counts ("
    "  account_id TEXT PRIMARY KEY,"
    "  total INTEGER NOT NULL,"
    "  active INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "INSERT INTO customer_counts (account_id, total, active)"
    "  SELECT account_id, COUNT(*), SUM(archived_at IS NULL) FROM customers GROUP BY account_id;"
    "CREATE TRIGGER customer_counts_insert AFTER INSERT ON customers BEGIN"
    "  INSERT INTO customer_counts (account_id, total, active)"
    "    VALUES (NEW.account_id, 1, NEW.archived_at IS NULL)"
    "    ON CONFLICT (account_id) DO UPDATE SET total = total + 1,"
    "      active = active + (NEW.archived_at IS NULL);"
    "END;"
    "CREATE TRIGGER customer_counts_archive AFTER UPDATE OF archived_at ON customers"
    "  WHEN (OLD.archived_at IS NULL) <> (NEW.archived_at IS NULL) BEGIN"
    "  UPDATE customer_counts SET active = active + (NEW.archived_at IS NULL)"
    "    - (OLD.archived_at IS NULL) WHERE account_id = NEW.account_id;"
    "END;"
    "CREATE TRIGGER customer_counts_delete AFTER DELETE ON customers BEGIN"
    "  UPDATE customer_counts SET total = total - 1, active = active - (OLD.archived_at IS NULL)"
    "    WHERE account_id = OLD.account_id;"
    "END;";

/*
 * The triggers that keep names and revision tags on organization rows,
 * made by migrations 3 and 4 and made again by 5 when it rebuilds the
 * table they name.
 */
#define TRIGGER_MEMBER_NAME_RENAME                                                                 \
    "CREATE TRIGGER member_name_rename AFTER UPDATE OF legal_name ON customers"                    \
    "  WHEN OLD.legal_name IS NOT NEW.legal_name BEGIN"                                            \
    "  UPDATE organization_members SET member_name = NEW.legal_name"                               \
    "    WHERE account_id = NEW.account_id AND customer_id = NEW.id;"                              \
    "END;"
#define TRIGGER_MEMBER_NAME_FILL                                                                   \
    "CREATE TRIGGER member_name_fill AFTER INSERT ON organization_members"                         \
    "  WHEN NEW.member_name IS NULL BEGIN"                                                         \
    "  UPDATE organization_members SET member_name = (SELECT legal_name FROM customers c"          \
    "    WHERE c.account_id = NEW.account_id AND c.id = NEW.customer_id)"                          \
    "    WHERE account_id = NEW.account_id AND organization_id = NEW.organization_id"              \
    "    AND customer_id = NEW.customer_id;"                                                       \
    "END;"
#define TRIGGER_ORGANIZATION_REV_RENAME                                                            \
    "CREATE TRIGGER organization_rev_rename AFTER UPDATE OF legal_name ON customers"               \
    "  WHEN OLD.legal_name IS NOT NEW.legal_name BEGIN"                                            \
    "  UPDATE organizations SET rev = random()"                                                    \
    "    WHERE account_id = NEW.account_id AND owner_id = NEW.id;"                                 \
    "  UPDATE organizations SET rev = random()"                                                    \
    "    WHERE account_id = NEW.account_id AND id IN (SELECT organization_id"                      \
    "      FROM organization_members WHERE account_id = NEW.account_id"                            \
    "      AND customer_id = NEW.id);"                                                             \
    "END;"

/*
 * 3: each membership row keeps its customer's legal name, kept by a
 * trigger when the customer is renamed, so that reading an organization is
 * one range of organization_members and not a lookup in customers per
 * member: the members of a large organization are spread over the whole
 * customers table, and with a million customers reading 10,000 of them by
 * id took 100 ms. Rows written without a name (by hand, by an old import)
 * get it from the second trigger.
 */
static const char v3[] =
    "ALTER TABLE organization_members ADD COLUMN member_name TEXT;"
    "UPDATE organization_members SET member_name = (SELECT legal_name FROM customers c"
    "  WHERE c.account_id = organization_members.account_id"
    "  AND c.id = organization_members.customer_id);" TRIGGER_MEMBER_NAME_RENAME
        TRIGGER_MEMBER_NAME_FILL;

/*
 * 4: each organization's revision tag, for the organization cache
 * (src/store/orgcache.h). The store writes a fresh random() into rev with
 * every change to what the organization shows; this trigger covers a
 * rename of its owner or of a member. Existing rows get random tags too.
 */
static const char v4[] = "ALTER TABLE organizations ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;"
                         "UPDATE organizations SET rev = random();" TRIGGER_ORGANIZATION_REV_RENAME;

/*
 * 5: organization_members clustered by (organization, position), the order
 * members are read in, with a unique index by customer that also keeps a
 * customer from joining one organization twice. Before, the table was
 * keyed by (organization, customer) and had a second index by
 * (organization, position): adding a member wrote two leaves of the same
 * organization's rows, and in the write-ahead log of POST .../members the
 * position index was 4 pages in 10 (docs/performance.md). Positions are
 * renumbered 1, 2, ... per organization in their order (ties by customer
 * id), so rows written by hand with equal positions cannot stop the copy.
 * The triggers that name the table are dropped first and made again after
 * the swap.
 */
static const char v5[] =
    "DROP TRIGGER IF EXISTS member_name_rename;"
    "DROP TRIGGER IF EXISTS organization_rev_rename;"
    "CREATE TABLE organization_members_v5 ("
    "  account_id TEXT NOT NULL,"
    "  organization_id TEXT NOT NULL,"
    "  customer_id TEXT NOT NULL,"
    "  position INTEGER NOT NULL,"
    "  member_name TEXT,"
    "  PRIMARY KEY (account_id, organization_id, position),"
    "  FOREIGN KEY (account_id, organization_id) REFERENCES organizations(account_id, id)"
    "    ON DELETE CASCADE,"
    "  FOREIGN KEY (account_id, customer_id) REFERENCES customers(account_id, id)"
    ") WITHOUT ROWID;"
    "INSERT INTO organization_members_v5"
    "  (account_id, organization_id, customer_id, position, member_name)"
    "  SELECT account_id, organization_id, customer_id,"
    "    row_number() OVER (PARTITION BY account_id, organization_id"
    "      ORDER BY position, customer_id),"
    "    member_name FROM organization_members;"
    "DROP TABLE organization_members;"
    "ALTER TABLE organization_members_v5 RENAME TO organization_members;"
    "CREATE UNIQUE INDEX organization_members_customer"
    "  ON organization_members(account_id, customer_id, "
    "organization_id);" TRIGGER_MEMBER_NAME_RENAME TRIGGER_MEMBER_NAME_FILL
        TRIGGER_ORGANIZATION_REV_RENAME;

/*
 * 6: each organization keeps its owner's legal name, kept by a trigger
 * when the owner is renamed, so that reading an organization is no longer
 * a lookup in customers for its owner: with a million customers that
 * lookup was a B-tree search of the largest table for every read the
 * organization cache could not answer (docs/performance.md). Rows written
 * without the name (by hand, by the benchmark's preload) get it from the
 * second trigger.
 */
static const char v6[] =
    "ALTER TABLE organizations ADD COLUMN owner_name TEXT;"
    "UPDATE organizations SET owner_name = (SELECT legal_name FROM customers c"
    "  WHERE c.account_id = organizations.account_id AND c.id = organizations.owner_id);"
    "CREATE TRIGGER organization_owner_rename AFTER UPDATE OF legal_name ON customers"
    "  WHEN OLD.legal_name IS NOT NEW.legal_name BEGIN"
    "  UPDATE organizations SET owner_name = NEW.legal_name"
    "    WHERE account_id = NEW.account_id AND owner_id = NEW.id;"
    "END;"
    "CREATE TRIGGER organization_owner_fill AFTER INSERT ON organizations"
    "  WHEN NEW.owner_name IS NULL BEGIN"
    "  UPDATE organizations SET owner_name = (SELECT legal_name FROM customers c"
    "    WHERE c.account_id = NEW.account_id AND c.id = NEW.owner_id)"
    "    WHERE account_id = NEW.account_id AND id = NEW.id;"
    "END;";

/*
 * Whether a customer row's id carries its creation time: the id's first 12
 * hex digits (a UUIDv7's 48-bit millisecond time, kinship's ids) in
 * lowercase, equal to created_at. 1 when it does not (NULLs included), in
 * plain SQL, so that rows written by hand or by the benchmark's preload
 * are counted too.
 */
/* clang-format off */
#define HEX_DIGIT(row, i, shift)                                                                   \
    "((instr('0123456789abcdef', substr(" row ".id, " #i ", 1)) - 1) << " #shift ")"
#define ID_TIME(row)                                                                               \
    "(" HEX_DIGIT(row, 1, 44) " | " HEX_DIGIT(row, 2, 40) " | " HEX_DIGIT(row, 3, 36)             \
    " | " HEX_DIGIT(row, 4, 32) " | " HEX_DIGIT(row, 5, 28) " | " HEX_DIGIT(row, 6, 24)           \
    " | " HEX_DIGIT(row, 7, 20) " | " HEX_DIGIT(row, 8, 16) " | " HEX_DIGIT(row, 10, 12)          \
    " | " HEX_DIGIT(row, 11, 8) " | " HEX_DIGIT(row, 12, 4) " | " HEX_DIGIT(row, 13, 0) ")"
/* clang-format on */
#define HX "[0-9a-f]"
#define UNORDERED(row)                                                                             \
    "(CASE WHEN " row ".id GLOB '" HX HX HX HX HX HX HX HX "-" HX HX HX HX "*' AND " row           \
    ".created_at = " ID_TIME(row) " THEN 0 ELSE 1 END)"

/*
 * 7: per account, the customers whose ids do not carry their creation time
 * (UNORDERED above). While an account has none, ordering its customers by
 * (created_at, id) is ordering them by id, and a page in creation order is
 * one range of the table's primary key rather than a search of the table
 * for every entry of customers_created: 100 searches a page
 * (docs/performance.md). Customers made through the API carry their time;
 * an import of ids from elsewhere usually does not, and that account's
 * pages then go through customers_created as before.
 */
static const char v7[] =
    "ALTER TABLE customer_counts ADD COLUMN unordered INTEGER NOT NULL DEFAULT 0;"
    "UPDATE customer_counts SET unordered = (SELECT COALESCE(SUM(" UNORDERED(
        "c") "), 0)"
             "  FROM customers c WHERE c.account_id = customer_counts.account_id);"
             "DROP TRIGGER IF EXISTS customer_counts_insert;"
             "CREATE TRIGGER customer_counts_insert AFTER INSERT ON customers BEGIN"
             "  INSERT INTO customer_counts (account_id, total, active, unordered)"
             "    VALUES (NEW.account_id, 1, NEW.archived_at IS NULL, " UNORDERED(
                 "NEW") ")"
                        "    ON CONFLICT (account_id) DO UPDATE SET total = total + 1,"
                        "      active = active + (NEW.archived_at IS NULL), unordered = unordered "
                        "+ excluded.unordered;"
                        "END;"
                        "DROP TRIGGER IF EXISTS customer_counts_delete;"
                        "CREATE TRIGGER customer_counts_delete AFTER DELETE ON customers BEGIN"
                        "  UPDATE customer_counts SET total = total - 1, active = active - "
                        "(OLD.archived_at IS NULL),"
                        "    unordered = unordered - " UNORDERED(
                            "OLD") " WHERE account_id = OLD.account_id;"
                                   "END;"
                                   "CREATE TRIGGER customer_counts_reorder AFTER UPDATE OF id, "
                                   "created_at ON customers BEGIN"
                                   "  UPDATE customer_counts SET unordered = unordered "
                                   "- " UNORDERED("OLD") " + " UNORDERED(
                                       "NEW") "    WHERE account_id = NEW.account_id;"
                                              "END;";

/* Notification policies (types: ",A,B," or NULL for every type;
 * recipients: one a line), the activity log (one entry a write) and the
 * outbox. */
static const char v8[] =
    "CREATE TABLE notification_policies ("
    "  account_id TEXT NOT NULL REFERENCES accounts(id),"
    "  id TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  channel TEXT NOT NULL,"
    "  webhook_secret TEXT,"
    "  types TEXT,"
    "  recipients TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (account_id, id)"
    ") WITHOUT ROWID;"
    "CREATE TABLE activity_logs ("
    "  account_id TEXT NOT NULL,"
    "  id TEXT NOT NULL,"
    "  item_id TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  trace_id TEXT,"
    "  actor_id TEXT,"
    "  object_type TEXT NOT NULL,"
    "  object_id TEXT NOT NULL,"
    "  entity_id TEXT,"
    "  verb TEXT NOT NULL,"
    "  UNIQUE (account_id, id)"
    ");"
    "CREATE INDEX activity_logs_object ON activity_logs(account_id, object_id, id);"
    "CREATE INDEX activity_logs_entity ON activity_logs(account_id, entity_id, id);"
    "CREATE INDEX activity_logs_age ON activity_logs(created_at);"
    /* the outbox: events to deliver, in order (seq) */
    "CREATE TABLE outbox_events ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  account_id TEXT NOT NULL,"
    "  id TEXT NOT NULL UNIQUE,"
    "  type TEXT NOT NULL,"
    "  resource_type TEXT NOT NULL,"
    "  resource_id TEXT NOT NULL,"
    "  detail TEXT,"
    "  created_at INTEGER NOT NULL,"
    "  status TEXT NOT NULL DEFAULT 'PENDING'"
    ");";

static const struct migration migrations[] = {
    {1, v1}, {2, v2}, {3, v3}, {4, v4}, {5, v5}, {6, v6}, {7, v7}, {8, v8},
};

#define N_MIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))

enum err store__sqlite_migrate(struct store__sqlite_store *s, struct store__sqlite_conn *c)
{
    enum err rc = ERR_OK;
    sqlite3_stmt *st = NULL;
    int src = store__sqlite_ctl_run_patiently(s, c, CTL_BEGIN_IMMEDIATE);
    if (src != SQLITE_DONE)
        return store__sqlite_fail(c, src, "begin migrations");
    src = sqlite3_exec(c->db,
                       "CREATE TABLE IF NOT EXISTS schema_migrations ("
                       "version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
                       NULL, NULL, NULL);
    if (src != SQLITE_OK) {
        rc = store__sqlite_fail(c, src, "create schema_migrations");
        goto out;
    }
    src = sqlite3_prepare_v2(c->db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", -1,
                             &st, NULL);
    if (src == SQLITE_OK)
        src = sqlite3_step(st);
    if (src != SQLITE_ROW) {
        rc = store__sqlite_fail(c, src, "read schema version");
        goto out;
    }
    int current = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    st = NULL;
    int latest = migrations[N_MIGRATIONS - 1].version;
    if (current > latest) {
        char have[16], know[16];
        snprintf(have, sizeof(have), "%d", current);
        snprintf(know, sizeof(know), "%d", latest);
        log_kv(LOG_ERROR, "the database schema is newer than this kinship", "path", s->path,
               "schema", have, "known", know, (const char *)NULL);
        rc = ERR_UNAVAILABLE;
        goto out;
    }
    src = sqlite3_prepare_v2(c->db,
                             "INSERT INTO schema_migrations(version, applied_at) "
                             "VALUES (?1, ?2)",
                             -1, &st, NULL);
    if (src != SQLITE_OK) {
        rc = store__sqlite_fail(c, src, "prepare schema_migrations");
        goto out;
    }
    for (size_t i = 0; i < N_MIGRATIONS; i++) {
        const struct migration *m = &migrations[i];
        if (m->version <= current)
            continue;
        char v[16];
        snprintf(v, sizeof(v), "%d", m->version);
        src = sqlite3_exec(c->db, m->sql, NULL, NULL, NULL);
        if (src == SQLITE_OK) {
            sqlite3_bind_int(st, 1, m->version);
            sqlite3_bind_int64(st, 2, clock_now_ms());
            src = sqlite3_step(st);
            sqlite3_reset(st);
            if (src == SQLITE_DONE)
                src = SQLITE_OK;
        }
        if (src != SQLITE_OK) {
            log_kv(LOG_ERROR, "migration failed", "version", v, (const char *)NULL);
            rc = store__sqlite_fail(c, src, "migration");
            if (rc == ERR_CONFLICT || rc == ERR_INTERNAL)
                rc = ERR_UNAVAILABLE;
            goto out;
        }
        log_kv(LOG_INFO, "migration applied", "version", v, (const char *)NULL);
    }
    sqlite3_finalize(st);
    st = NULL;
    src = store__sqlite_ctl_run_patiently(s, c, CTL_COMMIT);
    if (src != SQLITE_DONE) {
        rc = store__sqlite_fail(c, src, "commit migrations");
        goto out;
    }
    return ERR_OK;
out:
    sqlite3_finalize(st);
    if (!sqlite3_get_autocommit(c->db))
        store__sqlite_ctl_run(c, CTL_ROLLBACK);
    return rc ? rc : ERR_UNAVAILABLE;
}
