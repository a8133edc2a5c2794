/* Country and state code tables of the Address schema. */
#ifndef KINSHIP_DOMAIN_CODES_H
#define KINSHIP_DOMAIN_CODES_H

#include <stdbool.h>

/* True for a code of the CountryCode1 enum (ISO 3166-1 alpha-2). */
bool codes_country_valid(const char *s);
/* True for a code of the State1 enum (US states and Canadian provinces). */
bool codes_state_valid(const char *s);
/* True when `state` is a subdivision of `country` (US or CA only). */
bool codes_state_in_country(const char *state, const char *country);
/* US and Canadian addresses must name their state or province. */
bool codes_state_required(const char *country);

#endif
