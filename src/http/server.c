/*
 * libmicrohttpd adapter. One polling thread per core (epoll); a handler that
 * cannot answer at once suspends its connection, and whoever finishes the
 * work resumes it from another thread. Bodies are collected in a bounded
 * buffer; a Content-Length over the limit is refused before the body is read.
 */
#include "server.h"
#include "../core/buf.h"
#include "../core/clock.h"
#include "../core/log.h"
#include "../core/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

/* One TCP connection, tracked so that the reaper can cut off clients that
 * take too long to send a request (one byte a second keeps an idle timeout
 * from firing, not this one). */
struct sock {
    struct sock *prev, *next;
    int fd;
    int64_t since_us; /* when the current request began (or the last ended) */
    bool handling;    /* the request is received: the server's turn */
};

/* How long a stopping server still waits for requests being sent. */
#define DRAIN_GRACE_US 1000000

struct http_server {
    struct MHD_Daemon *d;
    pthread_mutex_t socks_mu;
    struct sock socks; /* list head */
    int64_t drain_us;  /* when stopping began (0: serving); under socks_mu */
    pthread_t reaper;
    bool reaper_running;
    pthread_mutex_t stop_mu;
    pthread_cond_t stop_cv;
    bool stopping;
    struct http_options o;
    http_handler handler;
    http_early_error early;
    http_complete complete;
    void *ud;
    int port;
    atomic_uint in_flight;
};

enum conn_state { CONN_READING, CONN_SUSPENDED, CONN_READY };

struct conn {
    struct req req;
    struct http_server *srv;
    struct MHD_Connection *mc;
    struct sock *sock;
    struct buf body;
    enum err early; /* an error found while reading, answered at the end */
    enum conn_state state;
    bool suspended; /* set by req_suspend on the polling thread */
    bool queued;    /* a response was handed to libmicrohttpd */
    char addr[INET6_ADDRSTRLEN];
};

const char *req_header(struct req *r, const char *name)
{
    struct conn *c = r->conn;
    return MHD_lookup_connection_value(c->mc, MHD_HEADER_KIND, name);
}

const char *req_query(struct req *r, const char *name)
{
    struct conn *c = r->conn;
    return MHD_lookup_connection_value(c->mc, MHD_GET_ARGUMENT_KIND, name);
}

struct each_ctx {
    bool (*fn)(void *ud, const char *k, const char *v);
    void *ud;
};

static enum MHD_Result each_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    (void)kind;
    struct each_ctx *e = cls;
    return e->fn(e->ud, key, value ? value : "") ? MHD_YES : MHD_NO;
}

void req_query_each(struct req *r, bool (*fn)(void *ud, const char *k, const char *v), void *ud)
{
    struct conn *c = r->conn;
    struct each_ctx e = {fn, ud};
    MHD_get_connection_values(c->mc, MHD_GET_ARGUMENT_KIND, each_arg, &e);
}

void req_suspend(struct req *r)
{
    struct conn *c = r->conn;
    c->suspended = true;
    c->state = CONN_SUSPENDED;
    MHD_suspend_connection(c->mc);
}

void req_resume(struct req *r)
{
    struct conn *c = r->conn;
    /* The polling thread reads `state` only after the resume is processed,
     * which happens after this store (MHD signals through its own pipe). */
    __atomic_store_n(&c->state, CONN_READY, __ATOMIC_RELEASE);
    MHD_resume_connection(c->mc);
}

static enum MHD_Result send_response(struct conn *c)
{
    struct req *r = &c->req;
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        r->resp_len, r->resp_body ? r->resp_body : (char *)"",
        r->resp_body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    r->resp_body = NULL; /* MHD frees it now */
    c->queued = true;
    for (int i = 0; i < r->n_resp_headers; i++)
        MHD_add_response_header(resp, r->resp_headers[i][0], r->resp_headers[i][1]);
    enum MHD_Result ret = MHD_queue_response(c->mc, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* What on_request checks of the header block before reading a body. */
struct header_census {
    unsigned total;
    unsigned content_length;    /* Content-Length fields */
    unsigned transfer_encoding; /* Transfer-Encoding fields */
};

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    (void)kind;
    (void)value;
    struct header_census *h = cls;
    h->total++;
    if (key && strcasecmp(key, "Content-Length") == 0)
        h->content_length++;
    else if (key && strcasecmp(key, "Transfer-Encoding") == 0)
        h->transfer_encoding++;
    return MHD_YES;
}

/*
 * The body's framing must be unambiguous (RFC 9112 6.3): libmicrohttpd
 * reads the first of two Content-Length fields, prefers chunked over a
 * Content-Length given with it, and waits for the connection to close on
 * any other transfer coding. A proxy in front may have framed the same
 * bytes differently (request smuggling), so all of those are refused.
 */
static bool framing_ok(const struct header_census *h, const char *te)
{
    if (h->content_length > 1 || h->transfer_encoding > 1)
        return false;
    if (h->transfer_encoding && h->content_length)
        return false;
    return !te || strcasecmp(te, "chunked") == 0;
}

static void peer_addr(struct conn *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c->mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    c->addr[0] = '\0';
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, c->addr, sizeof(c->addr));
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, c->addr,
                  sizeof(c->addr));
}

static struct conn *conn_new(struct http_server *s, struct MHD_Connection *mc, const char *url,
                             const char *method)
{
    struct conn *c = xcalloc(1, sizeof(*c));
    c->srv = s;
    c->mc = mc;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    c->sock = ci ? ci->socket_context : NULL;
    buf_init(&c->body, s->o.body_limit);
    c->req.arena = arena_create();
    c->req.conn = c;
    c->req.method_name = arena_strdup(c->req.arena, method);
    c->req.method = http_method_parse(method);
    c->req.path = arena_strdup(c->req.arena, url);
    c->req.start_us = clock_mono_us();
    c->req.status = 500;
    peer_addr(c);
    c->req.client_addr = c->addr;
    atomic_fetch_add(&s->in_flight, 1);
    return c;
}

/* Answers an error found by the adapter itself, through the application's
 * renderer so the body has the API's error shape. */
static enum MHD_Result early_answer(struct conn *c, enum err e)
{
    c->srv->early(&c->req, e, c->srv->ud);
    return send_response(c);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *mc, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    struct http_server *s = cls;
    struct conn *c = *con_cls;

    if (!c) {
        c = conn_new(s, mc, url, method);
        *con_cls = c;
        struct header_census h = {0};
        MHD_get_connection_values(mc, MHD_HEADER_KIND, count_header, &h);
        if (s->o.max_headers && h.total > s->o.max_headers)
            return early_answer(c, ERR_HEADERS_TOO_LARGE);
        if (!framing_ok(&h, MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Transfer-Encoding")))
            return early_answer(c, ERR_HEADER_INVALID);
        const char *cl = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Content-Length");
        if (cl) {
            char *end;
            unsigned long long len = strtoull(cl, &end, 10);
            if (*end == '\0' && len > s->o.body_limit)
                return early_answer(c, ERR_PAYLOAD_TOO_LARGE);
        }
        return MHD_YES;
    }

    if (c->state == CONN_READING && *upload_data_size) {
        if (!c->early && !buf_append(&c->body, upload_data, *upload_data_size)) {
            c->early = ERR_PAYLOAD_TOO_LARGE;
            buf_fini(&c->body);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }

    if (c->state == CONN_READING) {
        if (c->early)
            return early_answer(c, c->early);
        struct req *r = &c->req;
        if (c->body.len) {
            r->body = arena_strndup(r->arena, c->body.data, c->body.len);
            r->body_len = c->body.len;
        }
        buf_fini(&c->body);
        if (c->sock) {
            pthread_mutex_lock(&s->socks_mu);
            c->sock->handling = true;
            pthread_mutex_unlock(&s->socks_mu);
        }
        s->handler(r, s->ud);
        /* Not `state`: a fast worker may have finished already, but the
         * answer must wait for MHD to process the resume. */
        if (c->suspended)
            return MHD_YES;
        return send_response(c);
    }

    if (__atomic_load_n(&c->state, __ATOMIC_ACQUIRE) == CONN_READY)
        return send_response(c);
    return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *mc, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)mc;
    (void)toe;
    struct http_server *s = cls;
    struct conn *c = *con_cls;
    if (!c)
        return;
    /* The client left before sending its request whole: nothing was
     * answered. Logged and counted as 499 (nginx's "client closed
     * request"), not as the 500 a request starts with, so that clients who
     * hang up cannot raise the server-error rate. */
    if (!c->queued)
        c->req.status = 499;
    if (s->complete)
        s->complete(&c->req, s->ud);
    if (c->sock) {
        pthread_mutex_lock(&s->socks_mu);
        c->sock->handling = false;
        c->sock->since_us = clock_mono_us();
        pthread_mutex_unlock(&s->socks_mu);
    }
    free(c->req.resp_body);
    buf_fini(&c->body);
    arena_destroy(c->req.arena);
    free(c);
    *con_cls = NULL;
    atomic_fetch_sub(&s->in_flight, 1);
}

static void on_connection(void *cls, struct MHD_Connection *mc, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct http_server *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
        struct sock *k = xcalloc(1, sizeof(*k));
        k->fd = ci ? ci->connect_fd : -1;
        k->since_us = clock_mono_us();
        pthread_mutex_lock(&s->socks_mu);
        k->next = s->socks.next;
        k->prev = &s->socks;
        s->socks.next->prev = k;
        s->socks.next = k;
        pthread_mutex_unlock(&s->socks_mu);
        *socket_context = k;
    } else if (*socket_context) {
        /* MHD closes the socket after this returns; once unlinked under the
         * lock, the reaper can no longer touch the descriptor. */
        struct sock *k = *socket_context;
        pthread_mutex_lock(&s->socks_mu);
        k->prev->next = k->next;
        k->next->prev = k->prev;
        pthread_mutex_unlock(&s->socks_mu);
        free(k);
        *socket_context = NULL;
    }
}

static void *reaper_main(void *arg)
{
    struct http_server *s = arg;
    int64_t limit = (int64_t)s->o.request_timeout_s * 1000000;
    pthread_mutex_lock(&s->stop_mu);
    while (!s->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 250 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->stop_cv, &s->stop_mu, &ts);
        int64_t now = clock_mono_us();
        pthread_mutex_lock(&s->socks_mu);
        /* Stopping: a request not received whole by now is not one in
         * flight, and must not hold the exit up for a whole timeout. */
        bool draining = s->drain_us && now - s->drain_us > DRAIN_GRACE_US;
        for (struct sock *k = s->socks.next; k != &s->socks; k = k->next) {
            if (k->handling || k->fd < 0 || (!draining && now - k->since_us <= limit))
                continue;
            shutdown(k->fd, SHUT_RDWR);
            k->since_us = now; /* once is enough; MHD notices and closes */
        }
        pthread_mutex_unlock(&s->socks_mu);
    }
    pthread_mutex_unlock(&s->stop_mu);
    return NULL;
}

/*
 * libmicrohttpd's decoding of %HH in the path and the query, with one
 * change: a decoded NUL becomes the byte 0xFF. The application sees the
 * path and the query's names and values as C strings, so a NUL would cut
 * one short and make it mean something else (`/customers/by-alias/a%00b`
 * would look up "a"); 0xFF is never part of UTF-8 text, so the
 * application's UTF-8 check refuses the value instead (see req.h).
 */
static size_t unescape(void *cls, struct MHD_Connection *mc, char *s)
{
    (void)cls;
    (void)mc;
    size_t n = MHD_http_unescape(s);
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\0')
            s[i] = (char)0xff;
    return n;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    log_kv(LOG_DEBUG, "http", "detail", msg, (const char *)NULL);
}

static void server_free(struct http_server *s)
{
    pthread_mutex_destroy(&s->socks_mu);
    pthread_mutex_destroy(&s->stop_mu);
    pthread_cond_destroy(&s->stop_cv);
    free(s);
}

enum err http_server_start(const struct http_options *o, http_handler handler,
                           http_early_error early, http_complete complete, void *ud,
                           struct http_server **out)
{
    struct http_server *s = xcalloc(1, sizeof(*s));
    s->o = *o;
    pthread_mutex_init(&s->socks_mu, NULL);
    pthread_mutex_init(&s->stop_mu, NULL);
    pthread_cond_init(&s->stop_cv, NULL);
    s->socks.next = s->socks.prev = &s->socks;
    s->handler = handler;
    s->early = early;
    s->complete = complete;
    s->ud = ud;

    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    socklen_t sl;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG;
    const char *host = strcmp(o->host, "localhost") == 0 ? "127.0.0.1" : o->host;
    struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)o->port);
        sl = sizeof(*in4);
    } else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)o->port);
        sl = sizeof(*in6);
        flags |= MHD_USE_IPv6;
    } else {
        log_kv(LOG_ERROR, "listen address is not an IP address", "host", o->host,
               (const char *)NULL);
        server_free(s);
        return ERR_UNAVAILABLE;
    }
    (void)sl;

    /* Published before the daemon's threads start, so that handlers may
     * read it (metrics reads in-flight requests) from the first request. */
    *out = s;
    s->d = MHD_start_daemon(
        flags, (uint16_t)o->port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, &ss,
        MHD_OPTION_THREAD_POOL_SIZE, o->threads, MHD_OPTION_CONNECTION_LIMIT, o->max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, o->max_per_ip, MHD_OPTION_CONNECTION_TIMEOUT,
        o->idle_timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT, o->header_limit,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_UNESCAPE_CALLBACK, unescape,
        NULL,
        /* No MHD_OPTION_LISTENING_ADDRESS_REUSE: its default is SO_REUSEADDR
         * alone, so a restart binds at once (past TIME_WAIT) but a second
         * server on a taken port fails instead of sharing it; 1 would add
         * SO_REUSEPORT (traffic split between them), an explicit 0 would
         * drop SO_REUSEADDR too (restarts fail while old connections linger). */
        MHD_OPTION_END);
    if (!s->d) {
        char port[16];
        snprintf(port, sizeof(port), "%d", o->port);
        log_kv(LOG_ERROR, "cannot listen", "host", o->host, "port", port, (const char *)NULL);
        *out = NULL;
        server_free(s);
        return ERR_UNAVAILABLE;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : o->port;
    if (o->request_timeout_s && pthread_create(&s->reaper, NULL, reaper_main, s) == 0)
        s->reaper_running = true;
    return ERR_OK;
}

int http_server_port(const struct http_server *s)
{
    return s->port;
}

unsigned http_server_in_flight(const struct http_server *s)
{
    return atomic_load(&((struct http_server *)s)->in_flight);
}

/*
 * Closes the listening socket under libmicrohttpd's feet, so that new
 * connections are refused at once and those queued but not yet accepted
 * are reset, while the polling threads go on with the connections they
 * have.
 *
 * Not MHD_quiesce_daemon: with epoll and a thread pool, it and a polling
 * thread both take the socket out of the thread's epoll set, neither under
 * a lock, and the loser's epoll_ctl fails and aborts the process ("Failed
 * to remove listen FD from epoll set", seen once in `make test` as a
 * SIGABRT on SIGTERM). Not shutdown() alone either: a shut listening
 * socket is readable for ever, and both polling threads spun on accept()
 * for the whole drain.
 *
 * Instead an unbound AF_UNIX socket takes the listening socket's number
 * (dup3). The listening socket's last reference goes, so the kernel closes
 * it and drops it from every epoll set; the number stays taken, so no file
 * opened meanwhile can take it under the polling threads (ThreadSanitizer
 * saw such a reuse race an epoll_ctl when this closed the number), and
 * MHD_stop_daemon closes the stand-in. An accept() that raced the swap
 * fails on the stand-in (EINVAL), and none follows: the listening socket
 * is out of the epoll sets.
 */
static void stop_listening(struct http_server *s)
{
    const union MHD_DaemonInfo *li = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_LISTEN_FD);
    if (!li || li->listen_fd == MHD_INVALID_SOCKET)
        return;
    int stand_in = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (stand_in < 0 || dup3(stand_in, li->listen_fd, O_CLOEXEC) < 0) {
        char why[64];
        snprintf(why, sizeof(why), "%s", strerror(errno));
        log_kv(LOG_WARN,
               "cannot close the listening socket before draining; new connections "
               "wait in its queue until the stop",
               "detail", why, (const char *)NULL);
    }
    if (stand_in >= 0)
        close(stand_in);
}

void http_server_stop(struct http_server *s)
{
    if (!s)
        return;
    stop_listening(s);
    pthread_mutex_lock(&s->socks_mu);
    s->drain_us = clock_mono_us();
    pthread_mutex_unlock(&s->socks_mu);
    /* Requests already received finish; new connections are refused, and
     * clients still sending a request get DRAIN_GRACE_US to finish it (the
     * reaper then cuts them off). Give in-flight work (up to a store
     * timeout) the time to answer. */
    for (int i = 0; i < 3000 && atomic_load(&s->in_flight) > 0; i++)
        usleep(10000);
    pthread_mutex_lock(&s->stop_mu);
    s->stopping = true;
    pthread_cond_signal(&s->stop_cv);
    pthread_mutex_unlock(&s->stop_mu);
    if (s->reaper_running)
        pthread_join(s->reaper, NULL);
    MHD_stop_daemon(s->d);
    server_free(s);
}
