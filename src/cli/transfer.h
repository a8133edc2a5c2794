/*
 * Moving one account out of a store and into another as JSON lines
 * (`kinship export` / `kinship import`). Both go through the public store
 * API only, so they work the same on every backend and move accounts
 * between SQLite and PostgreSQL.
 *
 * The format: one JSON object per line, each with a "kind".
 *
 *   {"kind":"kinship-export","version":1,"account":NAME,"store":KIND,"exportedAt":TIME}
 *   {"kind":"customer","id","createdAt","updatedAt","archivedAt","legalName","url","label",
 *    "taxStatus","status","address":{"line1","line2","town","state","postcode","country"},
 *    "integrationIds":[{"service","id"}],"customProperties":{KEY:VALUE},
 *    "contacts":[{"id","name","email","billingPreference","createdAt","updatedAt",
 *                 "archivedAt"}]}
 *   {"kind":"alias","id","customerId","value","label","createdAt"}
 *   {"kind":"organization","id","ownerId","memberIds":[...],"createdAt"}
 *
 * The header comes first, then every customer (archived ones and archived
 * contacts included; oldest first), then the live aliases, then the
 * organizations with their members in order, so each line refers only to
 * lines above it. Times are ISO 8601 UTC with milliseconds; absent values
 * are null. Nothing in an export names the account's id or its API
 * clients: keys are not moved (create new ones with `kinship keys create`).
 */
#ifndef KINSHIP_CLI_TRANSFER_H
#define KINSHIP_CLI_TRANSFER_H

#include <stddef.h>
#include <stdio.h>

#include "../rules/rules.h"
#include "../store/store.h"

/*
 * Writes the account named `account` to `out`, all of it read in one
 * snapshot. ERR_NOT_FOUND when there is no such account; ERR_UNAVAILABLE
 * when `out` cannot be written; store errors as they come. On failure `msg`
 * (cap bytes) says what went wrong.
 */
enum err transfer_export(struct store *s, const char *account, FILE *out, char *msg, size_t cap);

/*
 * Reads an export from `in` and inserts it into the account named
 * `account` (created when new), keeping every id and time. Every line is
 * checked before anything is written, and everything is written in one
 * transaction: on any failure nothing is. ERR_FIELD_INVALID for a line that
 * is not part of an export (msg names the line and the field); ERR_CONFLICT,
 * ERR_ALIAS_EXISTS or ERR_ORGANIZATION_EXISTS when the account already has
 * rows the file would add (msg names the line); store errors as they come.
 * The organization rules (src/rules) hold for every organization of the
 * file, as if it were made through the API in the file's order: a broken
 * one fails the import with the rule's error (ERR_HIERARCHY_CYCLE,
 * ERR_CUSTOMER_ARCHIVED, ...), and msg names the line, the organization,
 * the rule and the ids at fault. `lim` holds R8's bound of members per
 * organization and R11's depth limit (the settings members_per_organization
 * and max_depth); no per-request bound applies.
 * On success `msg` summarises what was imported.
 */
enum err transfer_import(struct store *s, const char *account, FILE *in,
                         const struct rules_limits *lim, char *msg, size_t cap);

#endif
