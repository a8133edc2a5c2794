/*
 * The SQL of the PostgreSQL backend's notification policy and activity
 * log statements (internal to src/store/pg): statements.c expands
 * STORE__PG_NOTIFY_STMTS into its table after its own STMTS, in the order
 * of enum store__pg_st. Kept apart so that the statement table stays one
 * readable file.
 */
#ifndef KINSHIP_STORE_PG_NOTIFY_SQL_H
#define KINSHIP_STORE_PG_NOTIFY_SQL_H

#define STORE__PG_POLICY_COLS "id, name, channel, webhook_secret, types, recipients, created_at"
#define STORE__PG_ACTIVITY_COLS                                                                    \
    "id, item_id, created_at, trace_id, actor_id, object_type, object_id, entity_id, verb"

#define STORE__PG_NOTIFY_STMTS(X)                                                                  \
    X(POLICY_INSERT, "INSERT INTO notification_policies (account_id, " STORE__PG_POLICY_COLS       \
                     ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")                                  \
    X(POLICY_GET, "SELECT " STORE__PG_POLICY_COLS " FROM notification_policies"                    \
                  " WHERE account_id = $1 AND id = $2")                                            \
    /* in a write: the row stays locked for the read-change-write */                               \
    X(POLICY_LOCK, "SELECT " STORE__PG_POLICY_COLS " FROM notification_policies"                   \
                   " WHERE account_id = $1 AND id = $2 FOR UPDATE")                                \
    X(POLICY_UPDATE, "UPDATE notification_policies SET types = $3, recipients = $4"                \
                     " WHERE account_id = $1 AND id = $2")                                         \
    X(POLICY_DELETE, "DELETE FROM notification_policies WHERE account_id = $1 AND id = $2")        \
    X(ACTIVITY_INSERT, "INSERT INTO activity_logs (account_id, " STORE__PG_ACTIVITY_COLS           \
                       ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")                       \
    /* rows another purge holds are left to it */                                                  \
    X(ACTIVITY_PURGE, "DELETE FROM activity_logs WHERE (account_id, id) IN"                        \
                      " (SELECT account_id, id FROM activity_logs WHERE created_at < $1"           \
                      " ORDER BY created_at LIMIT 200 FOR UPDATE SKIP LOCKED)")                    \
    X(ACTIVITY_GET, "SELECT " STORE__PG_ACTIVITY_COLS " FROM activity_logs"                        \
                    " WHERE account_id = $1 AND id = $2")                                          \
    /* only when a policy lists the type ($7: ",TYPE,"), or lists none and                         \
     * the type is Sequence's ($8) */                                                              \
    X(EVENT_INSERT, "INSERT INTO outbox_events (account_id, id, type, resource_type, resource_id," \
                    " detail, created_at) SELECT $1, $2, $3, $4, $5, $6, $9"                       \
                    " WHERE EXISTS (SELECT 1 FROM notification_policies WHERE account_id = $1"     \
                    " AND ((types IS NULL AND $8::boolean) OR strpos(types, $7) > 0))")

#endif
