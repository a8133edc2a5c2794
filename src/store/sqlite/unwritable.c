/* The diagnosis behind "cannot open the SQLite database" (unwritable.h). */
#include "unwritable.h"
#include "../../core/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define BESIDE "kinship needs to write the database and create its -wal and -shm files beside it"

/* Whether the file `path` exists and cannot be written; the reason in out. */
static bool file_unwritable(const char *path, char *out, size_t cap)
{
    if (access(path, F_OK) != 0 || access(path, W_OK) == 0)
        return false;
    int e = errno;
    if (e == EROFS)
        snprintf(out, cap, "the file %s is on a read-only file system (%s)", path, BESIDE);
    else
        snprintf(out, cap, "the file %s is not writable: %s (%s)", path, strerror(e), BESIDE);
    return true;
}

bool store__sqlite_why_unwritable(const char *path, char *out, size_t cap)
{
    out[0] = '\0';
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == path)
        snprintf(dir, sizeof(dir), "/");
    else
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);

    struct statvfs vfs;
    if (statvfs(dir, &vfs) != 0) {
        int e = errno;
        if (e == ENOENT)
            snprintf(out, cap, "the directory %s does not exist", dir);
        else
            snprintf(out, cap, "the directory %s cannot be read: %s", dir, strerror(e));
        return true;
    }
    if (vfs.f_flag & ST_RDONLY) {
        snprintf(out, cap, "the directory %s is on a read-only file system (%s)", dir, BESIDE);
        return true;
    }
    if (access(dir, W_OK) != 0) {
        snprintf(out, cap, "the directory %s is not writable: %s (%s)", dir, strerror(errno),
                 BESIDE);
        return true;
    }
    char side[4200];
    if (file_unwritable(path, out, cap))
        return true;
    snprintf(side, sizeof(side), "%s-wal", path);
    if (file_unwritable(side, out, cap))
        return true;
    snprintf(side, sizeof(side), "%s-shm", path);
    return file_unwritable(side, out, cap);
}

/* Logs why a connection could not be opened or set up: SQLite's words, and
 * before them the reason the files cannot be written, when that is one
 * (SQLite says "unable to open database file" for a read-only directory). */
void store__sqlite_open_failed(const char *path, const char *what, const char *detail)
{
    char why[1024];
    if (store__sqlite_why_unwritable(path, why, sizeof(why)))
        log_kv(LOG_ERROR, what, "path", path, "why", why, "detail", detail, (const char *)NULL);
    else
        log_kv(LOG_ERROR, what, "path", path, "detail", detail, (const char *)NULL);
}
