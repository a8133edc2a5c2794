/*
 * Logging to stderr, one line per event, as logfmt (key=value) or JSON.
 * Callers pass fields already free of secrets; values are quoted and
 * escaped here, so raw input cannot forge a line.
 */
#ifndef KINSHIP_CORE_LOG_H
#define KINSHIP_CORE_LOG_H

#include <stdbool.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };
enum log_format { LOG_LOGFMT, LOG_JSON };

void log_setup(enum log_level min, enum log_format fmt);
/* Logs `msg` with a NULL-terminated list of key, value string pairs. */
void log_kv(enum log_level lvl, const char *msg, ...) __attribute__((sentinel));
void log_printf(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool log_parse_level(const char *s, enum log_level *out);

#endif
