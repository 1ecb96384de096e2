/* The unit tests' memory transport (see tls_pipe.h). */
#include "tests/unit/tls_pipe.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct ring {
    unsigned char *buf;
    size_t head, len; /* bytes at buf[head..head+len) modulo cap */
};

struct side {
    struct tls_pipe *p;
    int end;
};

struct tls_pipe {
    pthread_mutex_t m;
    pthread_cond_t c;
    size_t cap;
    struct ring r[2];   /* r[i]: written by end i, read by end 1-i */
    bool closed[2];
    double timeout[2];
    size_t sent[2];
    struct side sides[2];
};

struct tls_pipe *tls_pipe_new(size_t cap)
{
    struct tls_pipe *p = calloc(1, sizeof *p);
    p->cap = cap;
    for (int i = 0; i < 2; i++) {
        p->r[i].buf = malloc(cap);
        p->timeout[i] = -1.0;
        p->sides[i].p = p;
        p->sides[i].end = i;
    }
    pthread_mutex_init(&p->m, NULL);
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&p->c, &a);
    pthread_condattr_destroy(&a);
    return p;
}

void tls_pipe_free(struct tls_pipe *p)
{
    if (!p)
        return;
    free(p->r[0].buf);
    free(p->r[1].buf);
    pthread_mutex_destroy(&p->m);
    pthread_cond_destroy(&p->c);
    free(p);
}

static ssize_t pipe_send(void *ctx, const void *buf, size_t len)
{
    struct side *sd = ctx;
    struct tls_pipe *p = sd->p;
    struct ring *r = &p->r[sd->end];
    pthread_mutex_lock(&p->m);
    ssize_t ret;
    if (p->closed[sd->end]) {
        ret = -EBADF;
    } else if (p->closed[1 - sd->end]) {
        ret = -EPIPE;
    } else if (r->len == p->cap) {
        ret = -EAGAIN;
    } else {
        size_t n = len < p->cap - r->len ? len : p->cap - r->len;
        for (size_t i = 0; i < n; i++)
            r->buf[(r->head + r->len + i) % p->cap] = ((const unsigned char *)buf)[i];
        r->len += n;
        p->sent[sd->end] += n;
        ret = (ssize_t)n;
        pthread_cond_broadcast(&p->c);
    }
    pthread_mutex_unlock(&p->m);
    return ret;
}

static ssize_t pipe_recv(void *ctx, void *buf, size_t len)
{
    struct side *sd = ctx;
    struct tls_pipe *p = sd->p;
    struct ring *r = &p->r[1 - sd->end];
    pthread_mutex_lock(&p->m);
    ssize_t ret;
    if (p->closed[sd->end]) {
        ret = -EBADF;
    } else if (r->len == 0) {
        ret = p->closed[1 - sd->end] ? 0 : -EAGAIN;
    } else {
        size_t n = len < r->len ? len : r->len;
        for (size_t i = 0; i < n; i++)
            ((unsigned char *)buf)[i] = r->buf[(r->head + i) % p->cap];
        r->head = (r->head + n) % p->cap;
        r->len -= n;
        ret = (ssize_t)n;
        pthread_cond_broadcast(&p->c);
    }
    pthread_mutex_unlock(&p->m);
    return ret;
}

static bool ready(struct tls_pipe *p, int end, int what)
{
    if (p->closed[1 - end] || p->closed[end])
        return true;
    if (what == TAPIR_TLS_WAIT_READ)
        return p->r[1 - end].len > 0;
    return p->r[end].len < p->cap;
}

static int pipe_wait(void *ctx, int what, double timeout)
{
    struct side *sd = ctx;
    struct tls_pipe *p = sd->p;
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    if (timeout > 0) {
        long ns = dl.tv_nsec + (long)((timeout - (double)(long)timeout) * 1e9);
        dl.tv_sec += (time_t)timeout + ns / 1000000000L;
        dl.tv_nsec = ns % 1000000000L;
    }
    pthread_mutex_lock(&p->m);
    int ret = 1;
    while (!ready(p, sd->end, what)) {
        if (timeout == 0) {
            ret = 0;
            break;
        }
        if (timeout < 0) {
            pthread_cond_wait(&p->c, &p->m);
        } else if (pthread_cond_timedwait(&p->c, &p->m, &dl) == ETIMEDOUT) {
            ret = ready(p, sd->end, what) ? 1 : 0;
            break;
        }
    }
    pthread_mutex_unlock(&p->m);
    return ret;
}

static double pipe_gettimeout(void *ctx)
{
    struct side *sd = ctx;
    pthread_mutex_lock(&sd->p->m);
    double t = sd->p->timeout[sd->end];
    pthread_mutex_unlock(&sd->p->m);
    return t;
}

void tls_pipe_close(struct tls_pipe *p, int end)
{
    pthread_mutex_lock(&p->m);
    p->closed[end] = true;
    pthread_cond_broadcast(&p->c);
    pthread_mutex_unlock(&p->m);
}

static void pipe_close(void *ctx)
{
    struct side *sd = ctx;
    tls_pipe_close(sd->p, sd->end);
}

struct tapir_tls_transport tls_pipe_end(struct tls_pipe *p, int end)
{
    struct tapir_tls_transport t = {
        .ctx = &p->sides[end],
        .send = pipe_send,
        .recv = pipe_recv,
        .wait = pipe_wait,
        .gettimeout = pipe_gettimeout,
        .close = pipe_close,
    };
    return t;
}

void tls_pipe_settimeout(struct tls_pipe *p, int end, double timeout)
{
    pthread_mutex_lock(&p->m);
    p->timeout[end] = timeout;
    pthread_mutex_unlock(&p->m);
}

size_t tls_pipe_sent(struct tls_pipe *p, int end)
{
    pthread_mutex_lock(&p->m);
    size_t n = p->sent[end];
    pthread_mutex_unlock(&p->m);
    return n;
}
