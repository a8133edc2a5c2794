/*
 * Domain structs into the JSON shapes of the 2024-07-30 schemas. Each
 * json_t function returns a new reference the caller owns (json_decref).
 *
 * Customers and organizations also have *_text renderers that write the
 * same compact JSON straight into a buffer; the server answers with those.
 * customer_render, customer_render_list_item and organization_render stay
 * as the readable definition of each shape: tests/unit/test_render.c holds
 * the text renderers byte-equal to them.
 */
#ifndef KINSHIP_DOMAIN_RENDER_H
#define KINSHIP_DOMAIN_RENDER_H

#include <jansson.h>

#include "../core/mem.h"
#include "model.h"

/* Customer: the full shape of GET/POST/PUT /customers. */
json_t *customer_render(const struct customer *c, struct arena *a);
/* ListCustomerResponseModel: a list item (no contacts, no status). */
json_t *customer_render_list_item(const struct customer *c, struct arena *a);
/* Customer20240509: the shape of GET /customers/by-alias/{alias}. */
json_t *customer_render_legacy(const struct customer *c, struct arena *a);
json_t *contact_render(const struct contact *c);
json_t *organization_render(const struct organization *o);
/* The same organization as compact JSON text, byte for byte what
 * organization_render would dump, written straight into a buffer: large
 * organizations skip building thousands of JSON objects. malloc'd; NULL
 * when it would be longer than `limit` bytes (no more than that is ever
 * held). */
char *organization_render_text(const struct organization *o, size_t limit, size_t *len);
/*
 * The fewest bytes that `orgs` organizations holding `entries` owners and
 * members in all, whose names take `name_bytes`, can take as text: never
 * more than the text is, so an answer whose floor passes a limit is
 * certainly over it. Counted before anything is read (store's org_extent).
 */
int64_t organization_text_floor(int64_t orgs, int64_t entries, int64_t name_bytes);
/* customer_render_list_item as compact JSON text, appended to `b`: byte for
 * byte what jansson would dump, without building the objects of the
 * customer's organizations and their members. Past b's limit b->failed
 * is set (and the text is not whole). */
struct buf;
void customer_render_list_text(struct buf *b, const struct customer *c, struct arena *a);
/* organization_render_text, appended to `b`. */
void organization_render_into(struct buf *b, const struct organization *o);
/* customer_render as compact JSON text (malloc'd), byte for byte; NULL
 * when longer than `limit` bytes. */
char *customer_render_text(const struct customer *c, struct arena *a, size_t limit, size_t *len);
/* CustomerAliasResponseModel; CustomerAlias when `full` is false. */
json_t *alias_render(const struct alias *al, bool full);
/* PaginationMeta5; NULL cursors are left out. */
json_t *pagination_render(const char *after, const char *before, int64_t total);

#endif
