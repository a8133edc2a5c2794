/* Time: milliseconds since the epoch, and ISO 8601 text for the API. */
#ifndef KINSHIP_CORE_CLOCK_H
#define KINSHIP_CORE_CLOCK_H

#include <stdint.h>

#define ISO_LEN 24 /* "2024-07-30T12:00:00.000Z" */

int64_t clock_now_ms(void);
/* Monotonic microseconds, for durations. */
int64_t clock_mono_us(void);
/* Formats `ms` as UTC "YYYY-MM-DDTHH:MM:SSZ" into out[ISO_LEN + 1]: the
 * second at or before it, as Sequence's examples show whole seconds. Years
 * outside 0-9999, which the API never shows, get strftime's text. */
void clock_iso(int64_t ms, char out[ISO_LEN + 1]);
/* The same with the milliseconds, "YYYY-MM-DDTHH:MM:SS.mmmZ": the export
 * file's times, which keep what the store keeps. */
void clock_iso_ms(int64_t ms, char out[ISO_LEN + 1]);

#endif
