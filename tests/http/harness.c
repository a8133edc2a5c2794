/* See harness.h. */
#include "harness.h"
#include "cmd.h"

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *bin(void)
{
    const char *b = getenv("KINSHIP_BIN");
    cr_assert(b, "KINSHIP_BIN is not set");
    return b;
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
    socklen_t l = sizeof(a);
    getsockname(fd, (struct sockaddr *)&a, &l);
    close(fd);
    return ntohs(a.sin_port);
}

int kinship_cmd(struct server *s, const char *const *args, char *out, size_t cap)
{
    int pipefd[2];
    cr_assert(pipe(pipefd) == 0);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        const char *argv[32];
        int n = 0;
        argv[n++] = bin();
        for (int i = 0; args[i] && n < 28; i++)
            argv[n++] = args[i];
        argv[n++] = "--db";
        argv[n++] = s->db;
        argv[n] = NULL;
        dup2(pipefd[1], 1);
        int errfd = open(s->log, O_WRONLY | O_APPEND | O_CREAT, 0644);
        if (errfd >= 0)
            dup2(errfd, 2);
        close(pipefd[0]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(pipefd[1]);
    size_t off = 0;
    char sink[4096];
    for (;;) {
        char *dst = out && off + 1 < cap ? out + off : sink;
        size_t room = out && off + 1 < cap ? cap - off - 1 : sizeof(sink);
        ssize_t r = read(pipefd[0], dst, room);
        if (r <= 0)
            break;
        if (dst != sink)
            off += (size_t)r;
    }
    if (out && cap)
        out[off] = '\0';
    close(pipefd[0]);
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

void server_new_key(struct server *s, const char *tag, char *out, size_t cap)
{
    char account[128];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(account, sizeof(account), "%s-%d-%ld-%ld", tag, getpid(), (long)ts.tv_sec, ts.tv_nsec);
    const char *args[] = {"keys", "create", "--account", account, NULL};
    int rc = kinship_cmd(s, args, out, cap);
    cr_assert_eq(rc, 0, "keys create failed (%d)", rc);
    size_t n = strlen(out);
    while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
        out[--n] = '\0';
    cr_assert(strchr(out, ':'), "keys create printed no CLIENT_ID:SECRET");
}

static void spawn(struct server *s, const char *const *extra)
{
    char listen[64];
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", s->port);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        const char *argv[48];
        int n = 0;
        argv[n++] = bin();
        argv[n++] = "serve";
        argv[n++] = "--listen";
        argv[n++] = listen;
        argv[n++] = "--db";
        argv[n++] = s->db;
        for (int i = 0; extra && extra[i] && n < 46; i++)
            argv[n++] = extra[i];
        argv[n] = NULL;
        int fd = open(s->log, O_WRONLY | O_APPEND | O_CREAT, 0644);
        if (fd >= 0) {
            dup2(fd, 2);
            dup2(fd, 1);
        }
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    s->pid = pid;
    /* Wait until /healthz answers. */
    for (int i = 0; i < 500; i++) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            s->pid = 0;
            return;
        }
        struct resp *r = req_as(s, NULL, "GET", "/healthz", NULL, NULL);
        long code = r->status;
        resp_free(r);
        if (code == 200)
            return;
        usleep(20000);
    }
    cr_assert_fail("the server did not come up (see %s)", s->log);
}

void server_start(struct server *s, const char *const *extra)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->dir, sizeof(s->dir), "/tmp/kinship-test-XXXXXX");
    cr_assert(mkdtemp(s->dir), "mkdtemp");
    snprintf(s->log, sizeof(s->log), "%s/server.log", s->dir);
    const char *store = getenv("KINSHIP_TEST_STORE");
    if (store && strcmp(store, "pg") == 0) {
        const char *url = getenv("KINSHIP_TEST_PG_URL");
        cr_assert(url && *url, "KINSHIP_TEST_STORE=pg needs KINSHIP_TEST_PG_URL");
        snprintf(s->db, sizeof(s->db), "%s", url);
        s->pg = true;
    } else {
        snprintf(s->db, sizeof(s->db), "sqlite:%s/kinship.db", s->dir);
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    server_new_key(s, "test", s->key, sizeof(s->key));
    for (int attempt = 0; attempt < 5; attempt++) {
        s->port = free_port();
        spawn(s, extra);
        if (s->pid)
            return;
    }
    cr_assert_fail("the server would not start (see %s)", s->log);
}

void server_restart(struct server *s, const char *const *extra)
{
    spawn(s, extra);
    cr_assert(s->pid, "the server would not restart (see %s)", s->log);
}

static void stop(struct server *s, bool check, char **log)
{
    if (!s->pid)
        return;
    kill(s->pid, SIGTERM);
    int st = 0;
    for (int i = 0; i < 1500; i++) {
        if (waitpid(s->pid, &st, WNOHANG) == s->pid)
            break;
        usleep(10000);
        if (i == 1499) {
            kill(s->pid, SIGKILL);
            waitpid(s->pid, &st, 0);
            cr_assert_fail("the server did not stop on SIGTERM");
        }
    }
    s->pid = 0;
    if (check)
        cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
                  "the server did not exit 0 on SIGTERM (status %d; see %s)", st, s->log);
    if (log) {
        FILE *f = fopen(s->log, "rb");
        cr_assert(f, "cannot read %s", s->log);
        size_t cap = 4096, n = 0;
        char *text = malloc(cap);
        for (;;) {
            if (cap - n < 1024)
                text = realloc(text, cap *= 2);
            size_t got = fread(text + n, 1, cap - n - 1, f);
            if (got == 0)
                break;
            n += got;
        }
        text[n] = '\0';
        fclose(f);
        *log = text;
    }
    /* A clean stop leaves nothing to look at: remove the directory (a failed
     * assertion above keeps it, with the server's log). */
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "umount -l %s/small 2>/dev/null; rm -rf '%s'", s->dir, s->dir);
    if (check && system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", s->dir);
}

void server_stop(struct server *s, bool check)
{
    stop(s, check, NULL);
}

char *server_stop_log(struct server *s)
{
    char *log = NULL;
    cr_assert(s->pid, "the server is not running");
    stop(s, true, &log);
    return log;
}

void http_suite_init(struct server *s, const struct http_suite *suite)
{
    server_start(s, suite->extra);
    if (suite->ready)
        suite->ready();
}

void http_suite_fini(struct server *s, const struct http_suite *suite)
{
    if (suite->done)
        suite->done();
    server_stop(s, true);
}

void server_kill(struct server *s)
{
    if (!s->pid)
        return;
    kill(s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
    s->pid = 0;
}

struct sink {
    char *data;
    size_t len;
};

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
    struct sink *k = ud;
    size_t add = size * n;
    k->data = realloc(k->data, k->len + add + 1);
    memcpy(k->data + k->len, p, add);
    k->len += add;
    k->data[k->len] = '\0';
    return add;
}

static void contract_log(const char *method, const char *path, struct resp *r)
{
    const char *file = getenv("KINSHIP_CONTRACT_LOG");
    if (!file)
        return;
    const char *ct = resp_header(r, "Content-Type");
    if (!ct || strncmp(ct, "application/json", 16) != 0)
        return;
    json_t *rec = json_pack("{s:s,s:s,s:I,s:O?}", "method", method, "path", path, "status",
                            (json_int_t)r->status, "body", r->json);
    char *line = json_dumps(rec, JSON_COMPACT);
    json_decref(rec);
    int fd = open(file, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd >= 0) {
        flock(fd, LOCK_EX);
        size_t n = strlen(line);
        line[n] = '\n';
        ssize_t w = write(fd, line, n + 1);
        (void)w;
        flock(fd, LOCK_UN);
        close(fd);
    }
    free(line);
}

struct resp *req_as(struct server *s, const char *key, const char *method, const char *path,
                    const char *body, const char *const *headers)
{
    CURL *c = curl_easy_init();
    cr_assert(c);
    char url[2048];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", s->port, path);
    struct sink b = {0}, h = {0};
    struct curl_slist *hl = NULL;
    bool has_ct = false;
    for (int i = 0; headers && headers[i]; i++) {
        hl = curl_slist_append(hl, headers[i]);
        if (strncasecmp(headers[i], "Content-Type:", 13) == 0)
            has_ct = true;
    }
    if (body && !has_ct)
        hl = curl_slist_append(hl, "Content-Type: application/json");
    hl = curl_slist_append(hl, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    if (key) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERPWD, key);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    struct resp *r = calloc(1, sizeof(*r));
    CURLcode cc = curl_easy_perform(c);
    if (cc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    r->body = b.data ? b.data : strdup("");
    r->headers = h.data ? h.data : strdup("");
    r->json = json_loads(r->body, 0, NULL);
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    if (cc == CURLE_OK)
        contract_log(method, path, r);
    return r;
}

struct resp *req(struct server *s, const char *method, const char *path, const char *body,
                 const char *const *headers)
{
    return req_as(s, s->key, method, path, body, headers);
}

const char *resp_header(struct resp *r, const char *name)
{
    static __thread char value[1024];
    size_t nl = strlen(name);
    for (const char *p = r->headers; p && *p;) {
        const char *eol = strstr(p, "\r\n");
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (len > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ')
                v++;
            size_t vl = len - (size_t)(v - p);
            if (vl >= sizeof(value))
                vl = sizeof(value) - 1;
            memcpy(value, v, vl);
            value[vl] = '\0';
            return value;
        }
        p = eol ? eol + 2 : NULL;
    }
    return NULL;
}

void resp_free(struct resp *r)
{
    if (!r)
        return;
    json_decref(r->json);
    free(r->body);
    free(r->headers);
    free(r);
}

int raw_try_connect(struct server *s, int *err)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)s->port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
        return fd;
    *err = errno;
    close(fd);
    return -1;
}

int raw_connect(struct server *s)
{
    int err = 0, fd = raw_try_connect(s, &err);
    cr_assert(fd >= 0, "connect: %s", strerror(err));
    return fd;
}

bool raw_send(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        len -= (size_t)w;
    }
    return true;
}

/* Waits up to timeout_ms for bytes and appends them to *buf (kept
 * NUL-terminated): 1 when some came, 0 at the timeout, -1 when the peer
 * closed or reset the connection. */
static int recv_more(int fd, int timeout_ms, char **buf, size_t *n, size_t *cap)
{
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int pr = poll(&p, 1, timeout_ms);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            return 0;
        if (*cap - *n < 2048)
            *buf = realloc(*buf, *cap *= 2);
        ssize_t r = recv(fd, *buf + *n, *cap - *n - 1, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        *n += (size_t)r;
        (*buf)[*n] = '\0';
        return 1;
    }
}

char *raw_recv(int fd, int timeout_ms, size_t *len, bool *closed)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    buf[0] = '\0';
    int got;
    while ((got = recv_more(fd, timeout_ms, &buf, &n, &cap)) > 0)
        ;
    if (len)
        *len = n;
    if (closed)
        *closed = got < 0;
    return buf;
}

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* True when buf[0..n) holds a whole answer framed by Content-Length. */
static bool answer_whole(const char *buf, size_t n)
{
    const char *end = strstr(buf, "\r\n\r\n");
    if (!end)
        return false;
    const char *cl = strcasestr(buf, "\r\ncontent-length:");
    if (!cl || cl > end)
        return true; /* no body announced (or not framed by length) */
    size_t want = strtoul(cl + 17, NULL, 10);
    return n - (size_t)(end + 4 - buf) >= want;
}

char *raw_recv_answer(int fd, int timeout_ms)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    buf[0] = '\0';
    int64_t until = now_ms() + timeout_ms;
    while (!answer_whole(buf, n) && now_ms() < until &&
           recv_more(fd, (int)(until - now_ms()), &buf, &n, &cap) > 0)
        ;
    return buf;
}

char *raw_exchange(struct server *s, const void *data, size_t len, int timeout_ms, bool *closed)
{
    int fd = raw_connect(s);
    raw_send(fd, data, len);
    char *out = raw_recv(fd, timeout_ms, NULL, closed);
    close(fd);
    return out;
}

int raw_status(const char *text)
{
    int code = 0;
    if (text && sscanf(text, "HTTP/1.%*1[01] %3d", &code) == 1)
        return code;
    return 0;
}

json_t *jsonf(const char *fmt, ...)
{
    char buf[16384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    json_error_t e;
    json_t *j = json_loads(buf, 0, &e);
    cr_assert(j, "bad JSON in test: %s", e.text);
    return j;
}

char *ids_of(json_t *arr)
{
    size_t cap = 64 * (json_array_size(arr) + 1), off = 0;
    char *out = calloc(1, cap);
    for (size_t i = 0; i < json_array_size(arr); i++)
        off += (size_t)snprintf(out + off, cap - off, "%s%s", i ? "," : "",
                                jstr(json_array_get(arr, i), "id"));
    return out;
}

char *member_ids_of(json_t *org)
{
    return ids_of(json_object_get(org, "members"));
}

void write_customer_body(char *out, size_t cap, const char *name)
{
    snprintf(out, cap,
             "{\"legalName\":\"%s\",\"address\":{\"line1\":\"1 Main St\",\"town\":\"Leeds\","
             "\"postcode\":\"LS1 1AA\",\"country\":\"GB\"},\"taxStatus\":\"TAXED\","
             "\"contacts\":[{\"name\":\"Ann\",\"email\":\"ann@example.com\","
             "\"billingPreference\":\"PRIMARY\"}]}",
             name);
}

void rename_customer(struct server *s, const char *id, const char *name)
{
    char body[2048];
    write_customer_body(body, sizeof(body), name);
    struct resp *r = reqf(s, "PUT", body, "/customers/%s", id);
    cr_assert_eq(r->status, 200, "rename customer: %ld %s", r->status, r->body);
    resp_free(r);
}

char *make_customer(struct server *s, const char *key, const char *name)
{
    char body[2048];
    write_customer_body(body, sizeof(body), name);
    struct resp *r = req_as(s, key ? key : s->key, "POST", "/customers", body, NULL);
    cr_assert_eq(r->status, 201, "create customer: %ld %s", r->status, r->body);
    char *id = strdup(json_string_value(json_object_get(r->json, "id")));
    resp_free(r);
    return id;
}

const char *err_type_of(struct resp *r)
{
    const char *t = json_string_value(json_object_get(json_object_get(r->json, "error"), "type"));
    return t ? t : "";
}

const char *err_field_of(struct resp *r)
{
    const char *f = json_string_value(json_object_get(json_object_get(r->json, "error"), "field"));
    return f ? f : "";
}

struct resp *reqf(struct server *s, const char *method, const char *body, const char *path_fmt, ...)
{
    char path[4096];
    va_list ap;
    va_start(ap, path_fmt);
    int n = vsnprintf(path, sizeof(path), path_fmt, ap);
    va_end(ap);
    cr_assert(n >= 0 && (size_t)n < sizeof(path), "path too long for reqf");
    return req(s, method, path, body, NULL);
}

const char *jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

long long page_total(struct resp *r)
{
    json_t *t = json_object_get(json_object_get(r->json, "pagination"), "totalResultSize");
    return json_is_integer(t) ? (long long)json_integer_value(t) : -1;
}

void b64_encode(const char *in, char *out)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(in), o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned char)in[i] << 16;
        if (i + 1 < n)
            v |= (unsigned char)in[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)in[i + 2];
        out[o++] = t[(v >> 18) & 63];
        out[o++] = t[(v >> 12) & 63];
        out[o++] = i + 1 < n ? t[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? t[v & 63] : '=';
    }
    out[o] = '\0';
}

void server_start_peer(struct server *peer, const struct server *of)
{
    cr_assert(of->pg, "a peer process needs the shared PostgreSQL");
    *peer = *of;
    peer->port = cmd_free_port();
    snprintf(peer->log, sizeof(peer->log), "%s/peer.log", of->dir);
    server_restart(peer, NULL);
}
