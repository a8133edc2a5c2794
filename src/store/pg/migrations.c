/*
 * The PostgreSQL schema as numbered migrations. A migration, once released,
 * never changes: later changes are new migrations. They are applied at open
 * in one transaction under an advisory lock, so kinship processes starting
 * together apply each migration exactly once (the others wait, then find
 * nothing to do).
 *
 * The schema mirrors the SQLite one: every table is keyed first by
 * account_id; ids are text; times are bigint milliseconds (NULL: not set).
 * Text columns use the "C" collation so that both backends order and
 * compare text alike, byte by byte, whatever the database's locale.
 *
 * The *_lookup indexes serve the lookups that writes make before they
 * insert (is this Idempotency-Key, alias value, owner taken?). Under
 * SERIALIZABLE such a read locks the index page where the value would be;
 * values that come in sequence (time-ordered ids, "key-41", "key-42") all
 * sit on the newest page, where every concurrent insert goes, and would
 * make concurrent writes abort one another. Hashed, neighbours spread over
 * the whole index. The unique constraints still guard the values. (Writes
 * ran SERIALIZABLE when migration 1 was made; at READ COMMITTED, since
 * migration 2, the hashed indexes simply serve the lookups.)
 */
#include "internal.h"
#include "../../core/clock.h"
#include "../../core/log.h"

#include <stdio.h>
#include <stdlib.h>

/* pg_advisory_xact_lock key: "kinship" in ASCII. */
#define MIGRATION_LOCK 0x6b696e73686970LL

static const char *const v1[] = {
    "CREATE TABLE accounts ("
    " id text COLLATE \"C\" PRIMARY KEY,"
    " name text COLLATE \"C\" NOT NULL,"
    " created_at bigint NOT NULL,"
    " CONSTRAINT accounts_name UNIQUE (name))",

    "CREATE TABLE api_clients ("
    " id text COLLATE \"C\" PRIMARY KEY,"
    " account_id text COLLATE \"C\" NOT NULL,"
    " secret_hash bytea NOT NULL,"
    " created_at bigint NOT NULL,"
    " revoked_at bigint)",
    "CREATE INDEX api_clients_account ON api_clients (account_id)",

    "CREATE TABLE customers ("
    " account_id text COLLATE \"C\" NOT NULL,"
    " id text COLLATE \"C\" NOT NULL,"
    " legal_name text COLLATE \"C\" NOT NULL,"
    " url text COLLATE \"C\","
    " label text COLLATE \"C\","
    " tax_status text COLLATE \"C\" NOT NULL,"
    " status text COLLATE \"C\" NOT NULL,"
    " line1 text COLLATE \"C\","
    " line2 text COLLATE \"C\","
    " town text COLLATE \"C\","
    " state text COLLATE \"C\","
    " postcode text COLLATE \"C\","
    " country text COLLATE \"C\","
    " integrations text COLLATE \"C\","
    " created_at bigint NOT NULL,"
    " updated_at bigint NOT NULL,"
    " archived_at bigint,"
    " PRIMARY KEY (account_id, id))",
    "CREATE INDEX customers_created ON customers (account_id, created_at, id)",

    "CREATE TABLE contacts ("
    " account_id text COLLATE \"C\" NOT NULL,"
    " customer_id text COLLATE \"C\" NOT NULL,"
    " id text COLLATE \"C\" NOT NULL,"
    " name text COLLATE \"C\","
    " email text COLLATE \"C\","
    " billing_preference text COLLATE \"C\" NOT NULL,"
    " created_at bigint NOT NULL,"
    " updated_at bigint NOT NULL,"
    " archived_at bigint,"
    " PRIMARY KEY (account_id, customer_id, id))",
    "CREATE INDEX contacts_email ON contacts (account_id, lower(email))",

    "CREATE TABLE customer_properties ("
    " account_id text COLLATE \"C\" NOT NULL,"
    " customer_id text COLLATE \"C\" NOT NULL,"
    " key text COLLATE \"C\" NOT NULL,"
    " value text COLLATE \"C\","
    " PRIMARY KEY (account_id, customer_id, key))",
    "CREATE INDEX customer_properties_key ON customer_properties (account_id, key)",

    "CREATE TABLE aliases ("
    " account_id text COLLATE \"C\" NOT NULL,"
    " id text COLLATE \"C\" NOT NULL,"
    " customer_id text COLLATE \"C\" NOT NULL,"
    " value text COLLATE \"C\" NOT NULL,"
    " label text COLLATE \"C\","
    " created_at bigint NOT NULL,"
    " deleted_at bigint,"
    " PRIMARY KEY (account_id, id))",
    "CREATE UNIQUE INDEX aliases_value ON aliases (account_id, value) WHERE deleted_at IS NULL",
    "CREATE INDEX aliases_customer ON aliases (account_id, customer_id)",
    "CREATE INDEX aliases_value_lookup ON aliases (md5(account_id || ':' || value))"
    " WHERE deleted_at IS NULL",

    "CREATE TABLE organizations ("
    " account_id text COLLATE \"C\" NOT NULL,"
    " id text COLLATE \"C\" NOT NULL,"
    " owner_id text COLLATE \"C\" NOT NULL,"
    " created_at bigint NOT NULL,"
    " PRIMARY KEY (account_id, id),"
    " CONSTRAINT organizations_owner UNIQUE (account_id, owner_id))",
    "CREATE INDEX organizations_owner_lookup ON organizations (md5(account_id || ':' || owner_id))",

    "CREATE TABLE organization_members ("
    " account_id text COLLATE \"C\" NOT NULL,"
    " organization_id text COLLATE \"C\" NOT NULL,"
    " customer_id text COLLATE \"C\" NOT NULL,"
    " position bigint NOT NULL,"
    " PRIMARY KEY (account_id, organization_id, customer_id))",
    "CREATE INDEX organization_members_customer ON organization_members (account_id, customer_id)",

    "CREATE TABLE idempotency_keys ("
    " account_id text COLLATE \"C\" NOT NULL,"
    " key text COLLATE \"C\" NOT NULL,"
    " request_hash bytea NOT NULL,"
    " status int NOT NULL,"
    " body text NOT NULL,"
    " created_at bigint NOT NULL,"
    " PRIMARY KEY (account_id, key))",
    "CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at)",
    "CREATE INDEX idempotency_keys_lookup ON idempotency_keys (md5(account_id || ':' || key))",
    NULL,
};

/*
 * Version 2: the functions of the write path's locking (docs/postgresql.md,
 * "How the concurrency rules are enforced"). Both are VOLATILE plpgsql, so
 * at READ COMMITTED each statement inside sees every transaction that
 * committed before it started: a read that follows a lock wait sees what
 * the lock's previous holder wrote, all in one round trip.
 *
 * kinship_hierarchy_lock(account, owner, ids) takes transaction-scoped
 * advisory locks on customers: exclusive on `owner` and on every customer
 * above it (through owner -> member edges), shared on each of `ids` (the
 * members added: two writes adding the same member need not wait for each
 * other, but one that has it as an ancestor must). It finds the ancestors
 * again after each round of locks and locks the new ones, until no new one
 * appears. The first round locks in sorted order, waiting; a later one
 * (ancestors that appeared meanwhile) only tries, and when another write
 * holds the lock fails with serialization_failure, which engine.c retries at once after a
 * short pause: waiting there could deadlock with a write that holds that
 * ancestor and waits for one of ours, and PostgreSQL would take a second
 * (deadlock_timeout) to notice. It then locks the customer
 * rows of `owner` and `ids` FOR SHARE (an archive waits for this write;
 * this write sees an archive that committed first) and the row of the
 * organization `owner` owns FOR UPDATE (a delete waits for this write).
 * Its rows answer what the checks after it would ask: kind 'A', the final
 * ancestors, `owner` included (the customers that would close a cycle as
 * members of owner's organization); 'C', the id, legal name and archived
 * flag of each of `owner` and `ids` that exists; 'O', the id of the
 * organization `owner` owns, when it has one. None of that can change
 * before the transaction ends, but by the transaction itself.
 *
 * kinship_idem_get(account, key) takes the advisory lock of the
 * Idempotency-Key, then reads its record: a second request with the same
 * key waits for the first to end, then sees its answer.
 */
static const char *const v2[] = {
    "CREATE FUNCTION kinship_hierarchy_lock(acct text, own text, ids text[])"
    " RETURNS TABLE (r_kind text, r_id text, r_name text, r_archived boolean)"
    " LANGUAGE plpgsql VOLATILE AS $f$"
    " DECLARE held text[] := '{}'; anc text[]; k text; excl boolean; got int;"
    " first boolean := true;"
    " BEGIN"
    "  LOOP"
    "   WITH RECURSIVE up(id) AS (SELECT own COLLATE \"C\""
    "    UNION SELECT o.owner_id FROM up"
    "    JOIN organization_members m ON m.account_id = acct AND m.customer_id = up.id"
    "    JOIN organizations o ON o.account_id = acct AND o.id = m.organization_id)"
    "   SELECT array_agg(id) INTO anc FROM up;"
    "   got := 0;"
    "   FOR k, excl IN SELECT x, bool_or(e) FROM"
    "    (SELECT a, true FROM unnest(anc) AS a"
    "     UNION ALL SELECT i, false FROM unnest(ids) AS i WHERE cardinality(held) = 0) AS u(x, e)"
    "    WHERE x IS NOT NULL AND NOT x = ANY (held) GROUP BY x ORDER BY x LOOP"
    "    IF NOT first THEN"
    "     IF NOT pg_try_advisory_xact_lock(hashtextextended(acct || ':' || k, 0)) THEN"
    "      RAISE EXCEPTION 'kinship: the hierarchy changed while it was being locked'"
    "       USING ERRCODE = 'serialization_failure';"
    "     END IF;"
    "    ELSIF excl THEN PERFORM pg_advisory_xact_lock(hashtextextended(acct || ':' || k, 0));"
    "    ELSE PERFORM pg_advisory_xact_lock_shared(hashtextextended(acct || ':' || k, 0));"
    "    END IF;"
    "    held := held || k;"
    "    got := got + 1;"
    "   END LOOP;"
    "   EXIT WHEN got = 0;"
    "   first := false;"
    "  END LOOP;"
    "  RETURN QUERY SELECT 'A'::text, x, NULL::text, NULL::boolean FROM unnest(anc) AS x;"
    "  RETURN QUERY SELECT 'C'::text, c.id::text, c.legal_name::text, c.archived_at IS NOT NULL"
    "   FROM customers c WHERE c.account_id = acct AND c.id = ANY (ids || own)"
    "   ORDER BY c.id FOR SHARE;"
    "  RETURN QUERY SELECT 'O'::text, o.id::text, NULL::text, NULL::boolean"
    "   FROM organizations o WHERE o.account_id = acct AND o.owner_id = own FOR UPDATE;"
    " END $f$",

    "CREATE FUNCTION kinship_idem_get(acct text, k text)"
    " RETURNS SETOF idempotency_keys LANGUAGE plpgsql VOLATILE AS $f$"
    " BEGIN"
    "  PERFORM pg_advisory_xact_lock(hashtextextended('idem:' || acct || ':' || k, 0));"
    "  RETURN QUERY SELECT * FROM idempotency_keys"
    "   WHERE md5(account_id || ':' || key) = md5(acct || ':' || k);"
    " END $f$",
    NULL,
};

/*
 * kinship_client_must_be_active(id): nothing when the API client exists
 * and is not revoked, else an error of SQLSTATE KS401
 * (STORE__PG_REVOKED). A write carries its client's check as this
 * statement, so the check may ride in the same round trip as the COMMIT:
 * a revoked client's write then fails instead of committing.
 */
static const char *const v3[] = {
    "CREATE FUNCTION kinship_client_must_be_active(cid text) RETURNS void"
    " LANGUAGE plpgsql STABLE AS $f$"
    " BEGIN"
    "  IF NOT EXISTS (SELECT 1 FROM api_clients WHERE id = cid AND revoked_at IS NULL) THEN"
    "   RAISE EXCEPTION 'kinship: unknown or revoked API client' USING ERRCODE = 'KS401';"
    "  END IF;"
    " END $f$",
    NULL,
};

/* Notification policies (types: ",A,B," or NULL for every type;
 * recipients: one a line), the activity log (one entry a write) and the
 * outbox. */
static const char *const v4[] = {
    "CREATE TABLE notification_policies ("
    " account_id text COLLATE \"C\" NOT NULL,"
    " id text COLLATE \"C\" NOT NULL,"
    " name text COLLATE \"C\" NOT NULL,"
    " channel text COLLATE \"C\" NOT NULL,"
    " webhook_secret text COLLATE \"C\","
    " types text COLLATE \"C\","
    " recipients text COLLATE \"C\" NOT NULL,"
    " created_at bigint NOT NULL,"
    " PRIMARY KEY (account_id, id))",
    "CREATE TABLE activity_logs ("
    " account_id text COLLATE \"C\" NOT NULL,"
    " id text COLLATE \"C\" NOT NULL,"
    " item_id text COLLATE \"C\" NOT NULL,"
    " created_at bigint NOT NULL,"
    " trace_id text COLLATE \"C\","
    " actor_id text COLLATE \"C\","
    " object_type text COLLATE \"C\" NOT NULL,"
    " object_id text COLLATE \"C\" NOT NULL,"
    " entity_id text COLLATE \"C\","
    " verb text COLLATE \"C\" NOT NULL,"
    " PRIMARY KEY (account_id, id))",
    "CREATE INDEX activity_logs_object ON activity_logs (account_id, object_id, id)",
    "CREATE INDEX activity_logs_entity ON activity_logs (account_id, entity_id, id)",
    "CREATE INDEX activity_logs_age ON activity_logs (created_at)",
    /* the outbox: events to deliver, in order (seq) */
    "CREATE TABLE outbox_events ("
    " seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " account_id text COLLATE \"C\" NOT NULL,"
    " id text COLLATE \"C\" NOT NULL UNIQUE,"
    " type text COLLATE \"C\" NOT NULL,"
    " resource_type text COLLATE \"C\" NOT NULL,"
    " resource_id text COLLATE \"C\" NOT NULL,"
    " detail text COLLATE \"C\","
    " created_at bigint NOT NULL,"
    " status text COLLATE \"C\" NOT NULL DEFAULT 'PENDING')",
    NULL,
};

/*
 * kinship_answer_guard(orgs, entries, name_bytes, lim, org_min,
 * member_min): true when answers embedding `orgs` organizations of
 * `entries` owners and members, whose names take `name_bytes`, may fit in
 * `lim` bytes (organization_text_floor with the coefficients org_min and
 * member_min), else an error of SQLSTATE KS422 (STORE__PG_TOO_LARGE) whose
 * DETAIL is the three counts. A read sends it in the pipeline ahead of its
 * statement: PostgreSQL skips what follows a failed statement, so an
 * answer too large is refused before any of its rows is read (reads.c).
 */
static const char *const v5[] = {
    "CREATE FUNCTION kinship_answer_guard(orgs bigint, entries bigint, name_bytes bigint,"
    " lim bigint, org_min bigint, member_min bigint) RETURNS boolean"
    " LANGUAGE plpgsql VOLATILE AS $f$"
    " BEGIN"
    "  IF orgs * org_min + entries * member_min + name_bytes > lim THEN"
    "   RAISE EXCEPTION 'kinship: answer larger than the answer limit' USING ERRCODE = 'KS422',"
    "    DETAIL = orgs || ' ' || entries || ' ' || name_bytes;"
    "  END IF;"
    "  RETURN true;"
    " END $f$",
    NULL,
};

static const struct migration {
    int version;
    const char *const *sql;
} migrations[] = {
    {1, v1}, {2, v2}, {3, v3}, {4, v4}, {5, v5},
};

#define N_MIGRATIONS (sizeof(migrations) / sizeof(*migrations))

/* Runs one statement and discards its result. */
static enum err exec(struct store__pg_tx *t, const char *sql, const struct store__pg_params *p)
{
    enum err rc;
    PGresult *r = store__pg_run(t, NULL, sql, p, &rc);
    PQclear(r);
    return rc;
}

enum err store__pg_migrate(struct store__pg_tx *t)
{
    enum err rc;
    struct store__pg_params p = {0};
    char timeout[24];
    snprintf(timeout, sizeof(timeout), "%d", t->timeout_ms);
    store__pg_text(&p, timeout);
    if ((rc = exec(t,
                   "SELECT set_config('statement_timeout', $1, true),"
                   " set_config('lock_timeout', $1, true)",
                   &p)))
        return rc;
    p.n = 0;
    store__pg_i64(&p, MIGRATION_LOCK);
    if ((rc = exec(t, "SELECT pg_advisory_xact_lock($1::bigint)", &p)) ||
        (rc = exec(t,
                   "CREATE TABLE IF NOT EXISTS schema_migrations ("
                   " version int PRIMARY KEY, applied_at bigint NOT NULL)",
                   NULL)))
        return rc;
    PGresult *r = store__pg_run(t, NULL, "SELECT coalesce(max(version), 0) FROM schema_migrations",
                                NULL, &rc);
    if (!r)
        return rc;
    int have = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    if (have > migrations[N_MIGRATIONS - 1].version)
        log_kv(LOG_WARN, "postgresql: schema is newer than this kinship", (const char *)NULL);

    for (size_t i = 0; i < N_MIGRATIONS; i++) {
        const struct migration *m = &migrations[i];
        if (m->version <= have)
            continue;
        for (const char *const *sql = m->sql; *sql; sql++)
            if ((rc = exec(t, *sql, NULL)))
                return rc;
        p.n = 0;
        store__pg_i64(&p, m->version);
        store__pg_i64(&p, clock_now_ms());
        if ((rc = exec(t, "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                       &p)))
            return rc;
        char v[16];
        snprintf(v, sizeof(v), "%d", m->version);
        log_kv(LOG_INFO, "postgresql: migration applied", "version", v, (const char *)NULL);
    }
    return ERR_OK;
}
