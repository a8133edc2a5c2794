/*
 * A fixed pool of worker threads running queued jobs, for work that may
 * block (a durable commit, a database round trip) and so must not run on
 * the HTTP polling threads.
 */
#ifndef KINSHIP_CORE_WORKQ_H
#define KINSHIP_CORE_WORKQ_H

#include <stddef.h>

struct workq;

/* Starts `threads` workers with `stack_kb` KiB stacks. */
struct workq *workq_create(unsigned threads, size_t stack_kb);
/* Queues fn(arg); never blocks on the work itself. */
void workq_submit(struct workq *q, void (*fn)(void *arg), void *arg);
/* Runs every queued job, then joins the workers and frees q. NULL: no-op. */
void workq_destroy(struct workq *q);
/* Jobs queued and not yet started. */
size_t workq_pending(struct workq *q);

#endif
