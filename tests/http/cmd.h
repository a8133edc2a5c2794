/*
 * The kinship binary as a command, for the operations tests: run with extra
 * environment and an optional stdin file, stdout and stderr captured, in
 * bounded time; plus free ports and whole files. Header-only (static) so
 * that each test file that wants it includes it and no build file changes.
 */
#ifndef KINSHIP_TEST_CMD_H
#define KINSHIP_TEST_CMD_H

#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct cmd_result {
    int status;      /* exit status; 128 + signal when killed; -1 when it timed out */
    char *out, *err; /* malloc'd, NUL-terminated */
};

static inline const char *cmd_bin(void)
{
    const char *b = getenv("KINSHIP_BIN");
    cr_assert(b, "KINSHIP_BIN is not set");
    return b;
}

static inline int64_t cmd_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Appends what fd has now to *buf; false at end of file. */
static inline bool cmd_drain(int fd, char **buf, size_t *len)
{
    char chunk[8192];
    ssize_t r = read(fd, chunk, sizeof(chunk));
    if (r < 0 && errno == EINTR)
        return true;
    if (r <= 0)
        return false;
    *buf = realloc(*buf, *len + (size_t)r + 1);
    memcpy(*buf + *len, chunk, (size_t)r);
    *len += (size_t)r;
    (*buf)[*len] = '\0';
    return true;
}

/*
 * Runs `kinship ARGS...` (args NULL-terminated, without the binary) with
 * the NAME=VALUE entries of env (NULL-terminated, or NULL) added to the
 * environment and stdin from stdin_path (or /dev/null). Killed after
 * timeout_s seconds.
 */
static inline void cmd_run(const char *const *args, const char *const *env, const char *stdin_path,
                           int timeout_s, struct cmd_result *r)
{
    int po[2], pe[2];
    cr_assert(pipe(po) == 0 && pipe(pe) == 0);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        const char *argv[64];
        int n = 0;
        argv[n++] = cmd_bin();
        for (int i = 0; args[i] && n < 63; i++)
            argv[n++] = args[i];
        argv[n] = NULL;
        for (int i = 0; env && env[i]; i++)
            putenv((char *)env[i]);
        int in = open(stdin_path ? stdin_path : "/dev/null", O_RDONLY);
        if (in >= 0)
            dup2(in, 0);
        dup2(po[1], 1);
        dup2(pe[1], 2);
        close(po[0]);
        close(pe[0]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);
    memset(r, 0, sizeof(*r));
    r->out = calloc(1, 1);
    r->err = calloc(1, 1);
    size_t lo = 0, le = 0;
    bool open_o = true, open_e = true, timed_out = false;
    int64_t deadline = cmd_now_ms() + (int64_t)timeout_s * 1000;
    while (open_o || open_e) {
        int64_t left = deadline - cmd_now_ms();
        if (left <= 0) {
            timed_out = true;
            kill(pid, SIGKILL);
            break;
        }
        struct pollfd p[2] = {{.fd = open_o ? po[0] : -1, .events = POLLIN},
                              {.fd = open_e ? pe[0] : -1, .events = POLLIN}};
        if (poll(p, 2, (int)left) <= 0)
            continue;
        if (p[0].revents && !cmd_drain(po[0], &r->out, &lo))
            open_o = false;
        if (p[1].revents && !cmd_drain(pe[0], &r->err, &le))
            open_e = false;
    }
    close(po[0]);
    close(pe[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    r->status = timed_out ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static inline void cmd_free(struct cmd_result *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

/* A port nothing listens on now (the kernel's pick). */
static inline int cmd_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
    socklen_t l = sizeof(a);
    getsockname(fd, (struct sockaddr *)&a, &l);
    close(fd);
    return ntohs(a.sin_port);
}

/* True when something accepts connections on 127.0.0.1:port. */
static inline bool cmd_port_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(fd);
    return ok;
}

/* The whole file (malloc'd), or NULL when it cannot be read. */
static inline char *cmd_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 8192, n = 0;
    char *text = malloc(cap);
    size_t got;
    while ((got = fread(text + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n < 4096)
            text = realloc(text, cap *= 2);
    }
    text[n] = '\0';
    fclose(f);
    return text;
}

/* Writes text to path (replacing it). */
static inline void cmd_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    cr_assert(f, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

#endif
