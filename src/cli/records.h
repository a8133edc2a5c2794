/*
 * The records of kinship export and import (cli/transfer.c, cli/export.c):
 * which members each record kind has, and how they map to the domain
 * structs. Private to src/cli.
 */
#ifndef KINSHIP_CLI_RECORDS_H
#define KINSHIP_CLI_RECORDS_H

#include "../domain/model.h"

#include <stdbool.h>
#include <stddef.h>

#define FORMAT_KIND "kinship-export"
#define FORMAT_VERSION 1

/* What a record's member holds. */
enum field_kind { FIELD_ID, FIELD_STR, FIELD_TIME };

/* One member of a record: its key, what it holds, whether it must be there
 * (an id always must), and where it goes in the record. */
struct field {
    const char *key;
    enum field_kind kind;
    bool required;
    size_t off;
};

#define CUSTOMER_FIELDS_N 7
#define ALIAS_FIELDS_N 5
extern const struct field customer_fields[CUSTOMER_FIELDS_N];
extern const struct field alias_fields[ALIAS_FIELDS_N];
#define FIELDS_COUNT(t) (sizeof(t) / sizeof(*(t)))

/* qsort order of a customer's properties in a record: by key. */
int records_prop_cmp(const void *x, const void *y);

#endif
