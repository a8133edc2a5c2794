/* The database of a store-level suite (see test_db.h). */
#include "test_db.h"
#include "../../src/core/log.h"
#include "../../src/core/secret.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void test_db_open(struct test_db *db, const char *prefix, struct store **out)
{
    secret_init();
    log_setup(LOG_ERROR, LOG_LOGFMT);
    memset(db, 0, sizeof(*db));
    const char *kind = getenv("KINSHIP_TEST_STORE");
    if (!kind || !*kind)
        kind = "sqlite";
    if (strcmp(kind, "pg") == 0) {
        const char *u = getenv("KINSHIP_TEST_PG_URL");
        cr_assert(u && *u, "KINSHIP_TEST_STORE=pg needs KINSHIP_TEST_PG_URL");
        snprintf(db->url, sizeof(db->url), "%s", u);
    } else {
        cr_assert_str_eq(kind, "sqlite", "KINSHIP_TEST_STORE must be sqlite or pg");
        const char *tmp = getenv("TMPDIR");
        snprintf(db->dir, sizeof(db->dir), "%s/kinship-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp",
                 prefix);
        cr_assert(mkdtemp(db->dir), "mkdtemp: %s", strerror(errno));
        snprintf(db->db_path, sizeof(db->db_path), "%s/kinship.db", db->dir);
        snprintf(db->url, sizeof(db->url), "sqlite:%s", db->db_path);
    }
    struct store_options opt;
    store_options_default(&opt);
    cr_assert_eq(store_open(db->url, &opt, out), ERR_OK, "store_open %s", db->url);
}

void test_db_close(struct test_db *db, struct store *s)
{
    store_close(s);
    if (!db->dir[0])
        return;
    DIR *d = opendir(db->dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char p[sizeof(db->dir) + 256 + 2];
            snprintf(p, sizeof(p), "%s/%s", db->dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(db->dir);
}
