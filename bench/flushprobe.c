/*
 * flushprobe: how long a small durable append takes on this disk, alone and
 * while another thread writes pages back the way a checkpoint does.
 *
 * It stands in for kinship's SQLite writer (append a commit's frames to the
 * WAL, then fdatasync) and its checkpoint thread (write scattered pages of
 * the database file, then fdatasync). On the benchmark machine the appends'
 * flush p99 went from about 1-2 ms alone to 10-12 ms beside the writeback:
 * one disk serves both, and a flush waits for what was queued before it
 * (docs/performance.md, "Checkpoints beside the writer").
 *
 *   cc -O2 -o flushprobe bench/flushprobe.c -lpthread
 *   ./flushprobe DIR [SECONDS]
 *
 * DIR must be on the disk to measure; the probe makes two files there (144
 * MiB together) and removes them. Each phase runs SECONDS (default 4).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_SIZE (64L << 20) /* the stand-in WAL */
#define DB_PAGES 20480L      /* the stand-in database: 80 MiB of 4 KiB pages */
#define APPEND 16384         /* one commit's frames */
#define APPEND_GAP_US 3000   /* between two commits */
#define BURST_PAGES 4000     /* pages one checkpoint pass writes back */
#define BURST_GAP_US 150000  /* between two passes */
#define MAX_SAMPLES 100000

static atomic_bool stop_burst;
static int db_fd;

static long long now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000LL + t.tv_nsec / 1000;
}

static void die(const char *what)
{
    fprintf(stderr, "flushprobe: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* The checkpoint stand-in: scattered page writes, then one flush. */
static void *burst_main(void *arg)
{
    (void)arg;
    static char page[4096];
    memset(page, 0x5a, sizeof(page));
    unsigned seed = 1;
    while (!atomic_load(&stop_burst)) {
        for (int i = 0; i < BURST_PAGES; i++) {
            off_t at = (off_t)(rand_r(&seed) % DB_PAGES) * 4096;
            if (pwrite(db_fd, page, sizeof(page), at) != (ssize_t)sizeof(page))
                die("write the database file");
        }
        if (fdatasync(db_fd) != 0)
            die("flush the database file");
        usleep(BURST_GAP_US);
    }
    return NULL;
}

static int by_value(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

/* Appends and flushes for `seconds`; prints the flushes' percentiles. */
static void measure(int log_fd, int seconds, const char *label)
{
    static long long lat[MAX_SAMPLES];
    static char buf[APPEND];
    memset(buf, 0xa5, sizeof(buf));
    size_t n = 0;
    off_t at = 0;
    long long end = now_us() + seconds * 1000000LL;
    while (now_us() < end && n < MAX_SAMPLES) {
        if (pwrite(log_fd, buf, sizeof(buf), at) != (ssize_t)sizeof(buf))
            die("write the log file");
        at = (at + APPEND) % LOG_SIZE;
        long long t0 = now_us();
        if (fdatasync(log_fd) != 0)
            die("flush the log file");
        lat[n++] = now_us() - t0;
        usleep(APPEND_GAP_US);
    }
    qsort(lat, n, sizeof(*lat), by_value);
    printf("%-28s %6zu flushes  p50 %6.2f ms  p90 %6.2f ms  p99 %6.2f ms  max %6.2f ms\n", label, n,
           lat[n / 2] / 1e3, lat[n * 9 / 10] / 1e3, lat[n * 99 / 100] / 1e3, lat[n - 1] / 1e3);
}

/* Creates `path` with `size` bytes written (not a sparse file) and flushed. */
static int make_file(const char *path, off_t size)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        die(path);
    static char zero[1 << 20];
    for (off_t at = 0; at < size; at += (off_t)sizeof(zero))
        if (pwrite(fd, zero, sizeof(zero), at) != (ssize_t)sizeof(zero))
            die(path);
    if (fdatasync(fd) != 0)
        die(path);
    return fd;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: flushprobe DIR [SECONDS]\n");
        return 2;
    }
    int seconds = argc == 3 ? atoi(argv[2]) : 4;
    if (seconds < 1)
        seconds = 1;
    char log_path[4096], db_path[4096];
    snprintf(log_path, sizeof(log_path), "%s/flushprobe-log", argv[1]);
    snprintf(db_path, sizeof(db_path), "%s/flushprobe-db", argv[1]);
    int log_fd = make_file(log_path, LOG_SIZE);
    db_fd = make_file(db_path, DB_PAGES * 4096);

    measure(log_fd, seconds, "appends alone");
    pthread_t burst;
    if (pthread_create(&burst, NULL, burst_main, NULL) != 0)
        die("start the writeback thread");
    measure(log_fd, seconds, "appends beside writeback");
    atomic_store(&stop_burst, true);
    pthread_join(burst, NULL);

    close(log_fd);
    close(db_fd);
    unlink(log_path);
    unlink(db_path);
    return 0;
}
