/* logfmt / JSON line logger. One write(2) per line keeps lines whole. */
#include "log.h"
#include "buf.h"
#include "clock.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static enum log_level min_level = LOG_INFO;
static enum log_format format = LOG_LOGFMT;

static const char *level_names[] = {"debug", "info", "warn", "error"};

void log_setup(enum log_level min, enum log_format fmt)
{
    min_level = min;
    format = fmt;
}

bool log_parse_level(const char *s, enum log_level *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return true;
        }
    }
    return false;
}

static void put_escaped(struct buf *b, const char *v)
{
    buf_puts(b, "\"");
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (*p == '"' || *p == '\\') {
            char e[2] = {'\\', (char)*p};
            buf_append(b, e, 2);
        } else if (*p < 0x20 || *p == 0x7f) {
            buf_printf(b, "\\u%04x", *p);
        } else {
            buf_append(b, p, 1);
        }
    }
    buf_puts(b, "\"");
}

static void put_field(struct buf *b, const char *k, const char *v, bool first)
{
    if (format == LOG_JSON) {
        buf_puts(b, first ? "{" : ",");
        put_escaped(b, k);
        buf_puts(b, ":");
        put_escaped(b, v);
    } else {
        if (!first)
            buf_puts(b, " ");
        buf_puts(b, k);
        buf_puts(b, "=");
        /* Bare values when safe, quoted otherwise. */
        bool bare = *v != '\0';
        for (const char *p = v; *p && bare; p++)
            bare = *p > ' ' && *p != '"' && *p != '=' && *p != '\\' && (unsigned char)*p < 0x7f;
        if (bare)
            buf_puts(b, v);
        else
            put_escaped(b, v);
    }
}

static void emit(enum log_level lvl, const char *msg, va_list ap)
{
    struct buf b;
    buf_init(&b, 64 * 1024);
    char ts[ISO_LEN + 1];
    clock_iso(clock_now_ms(), ts);
    put_field(&b, "time", ts, true);
    put_field(&b, "level", level_names[lvl], false);
    put_field(&b, "msg", msg, false);
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (!k)
            break;
        const char *v = va_arg(ap, const char *);
        put_field(&b, k, v ? v : "", false);
    }
    buf_puts(&b, format == LOG_JSON ? "}\n" : "\n");
    if (b.data) {
        ssize_t w = write(STDERR_FILENO, b.data, b.len);
        (void)w;
    }
    buf_fini(&b);
}

void log_kv(enum log_level lvl, const char *msg, ...)
{
    if (lvl < min_level)
        return;
    va_list ap;
    va_start(ap, msg);
    emit(lvl, msg, ap);
    va_end(ap);
}

static void emit_one(enum log_level lvl, const char *msg, ...)
{
    va_list ap;
    va_start(ap, msg);
    emit(lvl, msg, ap);
    va_end(ap);
}

void log_printf(enum log_level lvl, const char *fmt, ...)
{
    if (lvl < min_level)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    emit_one(lvl, msg, (const char *)NULL);
}
