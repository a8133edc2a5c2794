/*
 * A customer's integrationIds as a JSON text column (what both store
 * backends keep in customers.integrations).
 */
#ifndef KINSHIP_DOMAIN_INTEGRATIONS_H
#define KINSHIP_DOMAIN_INTEGRATIONS_H

#include "../core/mem.h"
#include "model.h"

/* The column's text for c's integrations: a JSON array of
 * {"service","id"} objects, compact. malloc'd; the caller frees it. */
char *integrations_encode(const struct customer *c);

/*
 * Sets c->integrations (in `a`) and c->n_integrations from the column's
 * text: none for NULL, "[]" or text jansson does not read as an array.
 * Text as integrations_encode writes it for printable ASCII without
 * escapes is read without a parser (a list page decodes many), with the
 * result jansson would give.
 */
void integrations_decode(struct arena *a, const char *text, struct customer *c);

#endif
