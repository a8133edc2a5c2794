/* Mutex + condition variable job queue; a singly linked FIFO. */
#include "workq.h"
#include "mem.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

struct job {
    struct job *next;
    void (*fn)(void *);
    void *arg;
};

struct workq {
    pthread_mutex_t lock;
    pthread_cond_t ready;
    struct job *head, *tail;
    size_t pending;
    bool stopping;
    unsigned n;
    pthread_t *threads;
};

static void *worker(void *p)
{
    struct workq *q = p;
    pthread_mutex_lock(&q->lock);
    for (;;) {
        while (!q->head && !q->stopping)
            pthread_cond_wait(&q->ready, &q->lock);
        struct job *j = q->head;
        if (!j)
            break;
        q->head = j->next;
        if (!q->head)
            q->tail = NULL;
        q->pending--;
        pthread_mutex_unlock(&q->lock);
        j->fn(j->arg);
        free(j);
        pthread_mutex_lock(&q->lock);
    }
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

struct workq *workq_create(unsigned threads, size_t stack_kb)
{
    struct workq *q = xcalloc(1, sizeof(*q));
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->ready, NULL);
    q->n = threads ? threads : 1;
    q->threads = xcalloc(q->n, sizeof(*q->threads));
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, stack_kb * 1024);
    for (unsigned i = 0; i < q->n; i++)
        if (pthread_create(&q->threads[i], &attr, worker, q) != 0)
            abort();
    pthread_attr_destroy(&attr);
    return q;
}

void workq_submit(struct workq *q, void (*fn)(void *arg), void *arg)
{
    struct job *j = xmalloc(sizeof(*j));
    j->next = NULL;
    j->fn = fn;
    j->arg = arg;
    pthread_mutex_lock(&q->lock);
    if (q->tail)
        q->tail->next = j;
    else
        q->head = j;
    q->tail = j;
    q->pending++;
    pthread_cond_signal(&q->ready);
    pthread_mutex_unlock(&q->lock);
}

size_t workq_pending(struct workq *q)
{
    pthread_mutex_lock(&q->lock);
    size_t n = q->pending;
    pthread_mutex_unlock(&q->lock);
    return n;
}

void workq_destroy(struct workq *q)
{
    if (!q)
        return;
    pthread_mutex_lock(&q->lock);
    q->stopping = true;
    pthread_cond_broadcast(&q->ready);
    pthread_mutex_unlock(&q->lock);
    for (unsigned i = 0; i < q->n; i++)
        pthread_join(q->threads[i], NULL);
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->ready);
    free(q->threads);
    free(q);
}
