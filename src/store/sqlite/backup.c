/*
 * The online backup of a SQLite store (store_backup): a consistent copy of
 * the database, taken from one read snapshot while writes go on, checked,
 * made durable and moved into place under its name.
 */
#include "internal.h"
#include "../../core/log.h"
#include "../../core/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Copies every page of src into dst in one step, so in one read snapshot
 * of src: writers go on meanwhile (WAL) and the copy is consistent. */
static int copy_pages(struct store__sqlite_store *s, sqlite3 *dst, sqlite3 *src)
{
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
    if (!b)
        return sqlite3_extended_errcode(dst);
    struct store__sqlite_patience p;
    store__sqlite_patience_start(s, &p);
    int rc;
    do
        rc = sqlite3_backup_step(b, -1);
    while (rc == SQLITE_OK || store__sqlite_patience_retry(&p, rc));
    int frc = sqlite3_backup_finish(b);
    return rc == SQLITE_DONE ? frc : rc;
}

static bool fsync_path(const char *path, bool dir)
{
    int fd = open(path, dir ? O_RDONLY | O_DIRECTORY : O_RDONLY);
    if (fd < 0)
        return false;
    bool ok = fsync(fd) == 0;
    close(fd);
    return ok;
}

enum err store__sqlite_backup(struct store *base, const char *path)
{
    struct store__sqlite_store *s = (struct store__sqlite_store *)base;
    struct store__sqlite_conn *src = NULL;
    sqlite3 *dst = NULL;
    const char *stage = NULL, *detail = NULL;
    char text[64];
    int rc = SQLITE_OK;

    struct stat a, b;
    if (stat(path, &a) == 0 && stat(s->path, &b) == 0 && a.st_dev == b.st_dev &&
        a.st_ino == b.st_ino) {
        log_kv(LOG_ERROR, "the backup path is the database itself", "path", path,
               (const char *)NULL);
        return ERR_UNAVAILABLE;
    }
    size_t tl = strlen(path) + 32;
    char *tmp = xmalloc(tl);
    snprintf(tmp, tl, "%s.tmp-%ld", path, (long)getpid());
    unlink(tmp);

    if (store__sqlite_reader_take(s, &src)) {
        stage = "open a reader";
        goto out;
    }
    rc = sqlite3_open_v2(tmp, &dst,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_EXRESCODE, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(dst, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        stage = "create the copy";
        goto out;
    }
    if ((rc = copy_pages(s, dst, src->db)) != SQLITE_OK) {
        stage = "copy";
        goto out;
    }
    store__sqlite_reader_give(s, src);
    src = NULL;
    /* One self-contained file: no -wal beside it to forget. */
    rc = store__sqlite_query_text(dst, "PRAGMA journal_mode=DELETE", text, sizeof(text));
    if (rc != SQLITE_OK || strcmp(text, "delete") != 0) {
        stage = "leave WAL mode";
        goto out;
    }
    rc = store__sqlite_query_text(dst, "PRAGMA quick_check", text, sizeof(text));
    if (rc != SQLITE_OK || strcmp(text, "ok") != 0) {
        stage = "check the copy";
        detail = text;
        goto out;
    }
    rc = sqlite3_close(dst);
    dst = NULL;
    if (rc != SQLITE_OK) {
        stage = "close the copy";
        goto out;
    }
    /* Durable before it takes the name, and the name durable after. */
    char *dir = xstrdup(path), *slash = strrchr(dir, '/');
    if (slash)
        slash[slash == dir ? 1 : 0] = '\0';
    bool moved =
        fsync_path(tmp, false) && rename(tmp, path) == 0 && fsync_path(slash ? dir : ".", true);
    free(dir);
    if (!moved) {
        stage = "move the copy into place";
        detail = strerror(errno);
        goto out;
    }
    log_kv(LOG_INFO, "backup written", "path", path, (const char *)NULL);
    free(tmp);
    return ERR_OK;
out:
    if (!detail)
        detail = dst ? sqlite3_errmsg(dst) : src ? sqlite3_errmsg(src->db) : sqlite3_errstr(rc);
    log_kv(LOG_ERROR, "backup failed", "stage", stage, "path", path, "detail", detail,
           (const char *)NULL);
    if (src)
        store__sqlite_reader_give(s, src);
    sqlite3_close(dst);
    unlink(tmp);
    free(tmp);
    return ERR_UNAVAILABLE;
}
