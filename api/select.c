/* Waiting for readiness on many sockets: select(), poll(), and an epoll-like
 * registration API.
 *
 * select and poll cost O(sockets given) per call, never O(sockets in the
 * stack): each watched socket links a waitref to the caller's waiter, and
 * the socket's wake hook signals it.  The epoll-like API keeps registrations;
 * wake hooks put items on a ready list, so a wait costs O(ready).
 *
 * Readiness follows Linux (fs/select.c, net/ipv4/tcp.c's tcp_poll), which is
 * what the socket HOWTO describes: a listening socket is readable when
 * accept() will not block, a connecting socket writable once the handshake
 * finished or failed (SO_ERROR tells which), a socket at EOF or in error
 * readable.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/sockimpl.h"

#define IN_SET (SOCK_POLLIN | SOCK_POLLHUP | SOCK_POLLERR | SOCK_POLLRDHUP)
#define OUT_SET (SOCK_POLLOUT | SOCK_POLLERR)
#define EX_SET (SOCK_POLLPRI)

static int cond_init_mono(pthread_cond_t *c)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(c, &ca);
    pthread_condattr_destroy(&ca);
    return rc;
}

/* Sleeps on cond (with the runner's mutex) until *flag is set or the deadline
 * passes.  Called with the runner locked; returns unlocked. */
static void wait_flag(tapir_runner *r, pthread_cond_t *cond, bool *flag, uint64_t deadline)
{
    pthread_mutex_t *m = tapir_runner_mutex(r);
    tapir_runner_unlock(r);
    pthread_mutex_lock(m);
    while (!*flag) {
        if (deadline == UINT64_MAX) {
            pthread_cond_wait(cond, m);
        } else {
            struct timespec ts = {(time_t)(deadline / 1000000u), (long)(deadline % 1000000u) * 1000};
            if (pthread_cond_timedwait(cond, m, &ts) == ETIMEDOUT)
                break;
        }
    }
    pthread_mutex_unlock(m);
}

static void sleep_until(uint64_t deadline)
{
    uint64_t now = mono_us();
    if (deadline == UINT64_MAX || deadline <= now)
        return;
    struct timespec ts = {(time_t)((deadline - now) / 1000000u), (long)((deadline - now) % 1000000u) * 1000};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

/* A socket's poll bits, plus readable while bytes wait above it (decrypted
 * TLS data: tfile.pending).  Runner locked, f->sk not NULL. */
static uint32_t file_poll(struct tfile *f)
{
    uint32_t ev = sock_poll(f->sk);
    if (f->pending && f->pending(f->pending_ctx))
        ev |= SOCK_POLLIN;
    return ev;
}

/* The shared core of select and poll.  For each entry: match[i] says which
 * poll bits make it ready; got[i] receives the socket's bits (SOCK_POLL*,
 * with 0x20 = POLLNVAL for a socket closed meanwhile).  Returns how many are
 * ready, or -1. */
static int wait_ready(struct fdref *refs, int n, const uint32_t *match, uint32_t *got, uint64_t deadline,
                      bool nowait)
{
    if (n == 0) {
        if (deadline == UINT64_MAX && !nowait)
            return tapir_set_error(TAPIR_ERR_VALUE, EINVAL, "nothing to wait for and no timeout");
        sleep_until(deadline);
        return 0;
    }
    tapir_runner *r = refs[0].f->r;
    for (int i = 1; i < n; i++)
        if (refs[i].f->r != r)
            return tapir_set_error(TAPIR_ERR_VALUE, EINVAL, "sockets of different runners in one wait");
    struct waiter w;
    cond_init_mono(&w.cond);
    struct waitref *links = calloc((size_t)n, sizeof *links);
    if (!links) {
        pthread_cond_destroy(&w.cond);
        return tapir_set_errno(ENOMEM);
    }
    bool linked = false;
    int ready;
    for (;;) {
        tapir_runner_lock(r);
        w.fired = false;
        ready = 0;
        for (int i = 0; i < n; i++) {
            struct tfile *f = refs[i].f;
            got[i] = f->sk ? file_poll(f) : 0x20u;
            if (got[i] & (match[i] | 0x20u))
                ready++;
        }
        if (ready || nowait || (deadline != UINT64_MAX && mono_us() >= deadline))
            break;
        if (!linked) {
            for (int i = 0; i < n; i++) {
                struct tfile *f = refs[i].f;
                links[i].w = &w;
                links[i].prev = NULL;
                links[i].next = f->waiters;
                if (f->waiters)
                    f->waiters->prev = &links[i];
                f->waiters = &links[i];
            }
            linked = true;
        }
        wait_flag(r, &w.cond, &w.fired, deadline);
    }
    if (linked) {
        for (int i = 0; i < n; i++) {
            struct tfile *f = refs[i].f;
            if (links[i].prev)
                links[i].prev->next = links[i].next;
            else
                f->waiters = links[i].next;
            if (links[i].next)
                links[i].next->prev = links[i].prev;
        }
    }
    tapir_runner_unlock(r);
    free(links);
    pthread_cond_destroy(&w.cond);
    return ready;
}

static int get_refs(struct fdref *refs, const int *fds, int n, int *taken)
{
    for (int i = 0; i < n; i++) {
        if (fd_get(fds[i], &refs[*taken]))
            return -1;
        (*taken)++;
    }
    return 0;
}

int tapir_select(int *rlist, int *nr, int *wlist, int *nw, int *xlist, int *nx, double timeout)
{
    int cr = nr ? *nr : 0, cw = nw ? *nw : 0, cx = nx ? *nx : 0;
    if (cr < 0 || cw < 0 || cx < 0 || (cr && !rlist) || (cw && !wlist) || (cx && !xlist))
        return tapir_set_error(TAPIR_ERR_VALUE, EINVAL, "bad list");
    if (timeout_check(timeout))
        return -1;
    int n = cr + cw + cx;
    struct fdref *refs = calloc((size_t)n + 1, sizeof *refs);
    uint32_t *match = calloc((size_t)n + 1, sizeof *match);
    uint32_t *got = calloc((size_t)n + 1, sizeof *got);
    int taken = 0, rc = -1;
    if (!refs || !match || !got) {
        tapir_set_errno(ENOMEM);
        goto out;
    }
    if (get_refs(refs, rlist, cr, &taken) || get_refs(refs, wlist, cw, &taken) ||
        get_refs(refs, xlist, cx, &taken))
        goto out;
    for (int i = 0; i < n; i++)
        match[i] = i < cr ? IN_SET : i < cr + cw ? OUT_SET : EX_SET;
    rc = wait_ready(refs, n, match, got, deadline_after(timeout), timeout == 0.0);
    if (rc < 0)
        goto out;
    /* Compact each list to its ready members. */
    int total = 0, k = 0;
    int *lists[3] = {rlist, wlist, xlist};
    int *counts[3] = {nr, nw, nx};
    int sizes[3] = {cr, cw, cx};
    for (int l = 0; l < 3; l++) {
        int out = 0;
        for (int j = 0; j < sizes[l]; j++, k++)
            if (got[k] & (match[k] | 0x20u))
                lists[l][out++] = lists[l][j];
        if (counts[l])
            *counts[l] = out;
        total += out;
    }
    rc = total;
out:
    for (int i = 0; i < taken; i++)
        file_put(refs[i].f);
    free(refs);
    free(match);
    free(got);
    return rc;
}

int tapir_poll(struct tapir_pollfd *fds, size_t nfds, int timeout_ms)
{
    if (nfds > 65536)
        return tapir_set_errno(EINVAL);
    struct fdref *refs = calloc(nfds + 1, sizeof *refs);
    uint32_t *match = calloc(nfds + 1, sizeof *match);
    uint32_t *got = calloc(nfds + 1, sizeof *got);
    int *idx = calloc(nfds + 1, sizeof *idx);
    int taken = 0, rc = -1;
    if (!refs || !match || !got || !idx) {
        tapir_set_errno(ENOMEM);
        goto out;
    }
    /* poll(2): a negative fd is skipped; a bad one reports POLLNVAL. */
    int nvals = 0;
    for (size_t i = 0; i < nfds; i++) {
        fds[i].revents = 0;
        if (fds[i].fd < 0)
            continue;
        tapir_error saved = *tapir_last_error();
        if (fd_get(fds[i].fd, &refs[taken])) {
            tapir_set_error(saved.kind, saved.code, "%s", saved.message);
            fds[i].revents = TAPIR_POLLNVAL;
            nvals++;
            continue;
        }
        match[taken] = (uint32_t)(uint16_t)fds[i].events | SOCK_POLLERR | SOCK_POLLHUP;
        idx[taken++] = (int)i;
    }
    uint64_t deadline = timeout_ms < 0 ? UINT64_MAX : mono_us() + (uint64_t)timeout_ms * 1000u;
    if (taken == 0) {
        if (!nvals)
            sleep_until(deadline);
        rc = nvals;
        goto out;
    }
    rc = wait_ready(refs, taken, match, got, deadline, timeout_ms == 0 || nvals > 0);
    if (rc < 0)
        goto out;
    rc = nvals;
    for (int t = 0; t < taken; t++) {
        uint32_t ev = got[t] & (match[t] | 0x20u);
        fds[idx[t]].revents = (short)ev;
        if (ev)
            rc++;
    }
out:
    for (int i = 0; i < taken; i++)
        file_put(refs[i].f);
    free(refs);
    free(match);
    free(got);
    free(idx);
    return rc;
}

/* ---- the epoll-like API ---- */

struct epitem {
    struct tapir_epoll *ep;
    struct tfile *f;
    int fd;
    uint32_t events;
    bool ready;                     /* on ep's ready list */
    struct epitem *fprev, *fnext;   /* in f->epitems */
    struct epitem *rprev, *rnext;   /* in ep's ready list */
};

struct tapir_epoll {
    tapir_runner *r;
    pthread_cond_t cond;
    bool signalled;                 /* a wake since the waiter last looked */
    struct epitem **byfd;
    int cap;
    struct epitem *rhead, *rtail;
};

static void ready_push(struct tapir_epoll *ep, struct epitem *it)
{
    it->ready = true;
    it->rnext = NULL;
    it->rprev = ep->rtail;
    if (ep->rtail)
        ep->rtail->rnext = it;
    else
        ep->rhead = it;
    ep->rtail = it;
}

static void ready_remove(struct tapir_epoll *ep, struct epitem *it)
{
    if (!it->ready)
        return;
    if (it->rprev)
        it->rprev->rnext = it->rnext;
    else
        ep->rhead = it->rnext;
    if (it->rnext)
        it->rnext->rprev = it->rprev;
    else
        ep->rtail = it->rprev;
    it->ready = false;
    it->rprev = it->rnext = NULL;
}

void epoll_wake(struct tfile *f)
{
    for (struct epitem *it = f->epitems; it; it = it->fnext) {
        if (!it->ready && it->events) {
            ready_push(it->ep, it);
            it->ep->signalled = true;
            pthread_cond_signal(&it->ep->cond);
        }
    }
}

static void item_free(struct epitem *it)
{
    struct tfile *f = it->f;
    if (it->fprev)
        it->fprev->fnext = it->fnext;
    else
        f->epitems = it->fnext;
    if (it->fnext)
        it->fnext->fprev = it->fprev;
    ready_remove(it->ep, it);
    it->ep->byfd[it->fd] = NULL;
    free(it);
}

void epoll_forget_fd(struct tfile *f, int fd)
{
    struct epitem *it = f->epitems;
    while (it) {
        struct epitem *next = it->fnext;
        if (fd < 0 || it->fd == fd)
            item_free(it);
        it = next;
    }
}

tapir_epoll *tapir_epoll_create_on(tapir_runner *r)
{
    if (!r) {
        tapir_set_error(TAPIR_ERR_ERROR, ENETDOWN, "[Errno %d] %s (no tapir runner started)", ENETDOWN,
                        tapir_errno_text(ENETDOWN));
        return NULL;
    }
    struct tapir_epoll *ep = calloc(1, sizeof *ep);
    if (!ep) {
        tapir_set_errno(ENOMEM);
        return NULL;
    }
    cond_init_mono(&ep->cond);
    ep->r = r;
    return ep;
}

tapir_epoll *tapir_epoll_create(void) { return tapir_epoll_create_on(tapir_runner_default()); }

static int ep_ctl(tapir_epoll *ep, int fd, uint32_t events, int op)
{
    if (!ep)
        return tapir_set_errno(EBADF);
    struct fdref r;
    if (fd_get(fd, &r))
        return -1;
    int rc = 0;
    if (r.f->r != ep->r) {
        file_put(r.f);
        return tapir_set_errno(EINVAL);
    }
    if (!file_lock(r.f)) {
        file_put(r.f);
        return -1;
    }
    struct epitem *it = fd < ep->cap ? ep->byfd[fd] : NULL;
    if (it && it->f != r.f) { /* a stale entry of a reused descriptor */
        item_free(it);
        it = NULL;
    }
    if (op == 0) { /* register */
        if (it) {
            rc = -EEXIST;
        } else {
            if (fd >= ep->cap) {
                int ncap = ep->cap ? ep->cap : 64;
                while (ncap <= fd)
                    ncap *= 2;
                struct epitem **nb = realloc(ep->byfd, (size_t)ncap * sizeof *nb);
                if (!nb) {
                    rc = -ENOMEM;
                    goto done;
                }
                memset(nb + ep->cap, 0, (size_t)(ncap - ep->cap) * sizeof *nb);
                ep->byfd = nb;
                ep->cap = ncap;
            }
            it = calloc(1, sizeof *it);
            if (!it) {
                rc = -ENOMEM;
                goto done;
            }
            it->ep = ep;
            it->f = r.f;
            it->fd = fd;
            it->events = events;
            it->fnext = r.f->epitems;
            if (r.f->epitems)
                r.f->epitems->fprev = it;
            r.f->epitems = it;
            ep->byfd[fd] = it;
            ready_push(ep, it); /* its current state is checked at the next wait */
        }
    } else if (!it) {
        rc = -ENOENT;
    } else if (op == 1) { /* modify */
        it->events = events;
        if (!it->ready)
            ready_push(ep, it);
    } else { /* unregister */
        item_free(it);
    }
done:
    tapir_runner_unlock(r.f->r);
    file_put(r.f);
    return rc < 0 ? tapir_set_errno(rc) : 0;
}

int tapir_epoll_register(tapir_epoll *ep, int fd, uint32_t events) { return ep_ctl(ep, fd, events, 0); }
int tapir_epoll_modify(tapir_epoll *ep, int fd, uint32_t events) { return ep_ctl(ep, fd, events, 1); }
int tapir_epoll_unregister(tapir_epoll *ep, int fd) { return ep_ctl(ep, fd, 0, 2); }

int tapir_epoll_poll(tapir_epoll *ep, struct tapir_epoll_event *out, int maxevents, double timeout)
{
    if (!ep)
        return tapir_set_errno(EBADF);
    if (maxevents <= 0 || !out)
        return tapir_set_error(TAPIR_ERR_VALUE, EINVAL, "maxevents must be greater than 0, got %d", maxevents);
    if (timeout_check(timeout))
        return -1;
    uint64_t deadline = deadline_after(timeout);
    int n;
    for (;;) {
        tapir_runner_lock(ep->r);
        ep->signalled = false;
        n = 0;
        /* Look at each item on the ready list once: report it and keep it
         * (level-triggered: it is looked at again next time), or drop it if
         * it is not ready after all (its next wake puts it back). */
        struct epitem *last = ep->rtail;
        struct epitem *it = ep->rhead;
        while (it && n < maxevents) {
            struct epitem *next = it == last ? NULL : it->rnext;
            uint32_t ev = !it->events ? 0 : it->f->sk ? file_poll(it->f) : SOCK_POLLHUP;
            ev &= it->events | SOCK_POLLERR | SOCK_POLLHUP;
            ready_remove(ep, it);
            if (ev) {
                out[n].fd = it->fd;
                out[n].events = ev;
                n++;
                if (it->events & TAPIR_EPOLLONESHOT)
                    it->events = 0;
                else if (!(it->events & TAPIR_EPOLLET))
                    ready_push(ep, it);
            }
            it = next;
        }
        if (n || timeout == 0.0 || (deadline != UINT64_MAX && mono_us() >= deadline))
            break;
        if (ep->rhead) { /* more items than maxevents or re-added: look again */
            tapir_runner_unlock(ep->r);
            continue;
        }
        wait_flag(ep->r, &ep->cond, &ep->signalled, deadline);
    }
    tapir_runner_unlock(ep->r);
    return n;
}

void tapir_epoll_close(tapir_epoll *ep)
{
    if (!ep)
        return;
    tapir_runner_lock(ep->r);
    for (int fd = 0; fd < ep->cap; fd++)
        if (ep->byfd[fd])
            item_free(ep->byfd[fd]);
    tapir_runner_unlock(ep->r);
    free(ep->byfd);
    pthread_cond_destroy(&ep->cond);
    free(ep);
}
