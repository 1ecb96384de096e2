/* Socket objects with Python's semantics on the stack's non-blocking sockets.
 *
 * The stack (stack/socket.h) only ever says "done" or "-EAGAIN, I will wake
 * you".  This file adds what Python's socket module adds on top of a kernel
 * socket: a descriptor table, the three modes (blocking, non-blocking,
 * timeout), errors as exceptions, and addresses as tuples.  A blocking call
 * tries the operation with the runner locked; if the stack says -EAGAIN it
 * sleeps on the socket's condition variable (never spins) until the stack's
 * wake hook fires or the deadline passes, and tries again.  The shape of the
 * loop is CPython's sock_call_ex().
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include "api/resolver_int.h"
#include "api/sockimpl.h"
#include "stack/config.h"
#include "stack/tcp_info.h"

#define FD_BASE 3                 /* first descriptor, as a fresh process's first socket */
#define FD_LIMIT (FD_BASE + TAPIR_MAX_SOCKETS)
#define TIMED_OUT (-100000)       /* a call's own result: Python's timeout, not an errno */

struct tfd {
    struct tfile *f;
    int family, type, proto;
    double timeout;
};

static pthread_mutex_t tab_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tfd **tab;          /* indexed by descriptor */
static int tab_cap;
static int tab_hint = FD_BASE;    /* no free descriptor below this */
static double default_timeout = -1.0;

/* ---- time ---- */

uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t deadline_after(double timeout)
{
    if (timeout < 0 || timeout > 1e9)
        return UINT64_MAX;
    return mono_us() + (uint64_t)(timeout * 1e6 + 0.5);
}

/* ---- waking and waiting ---- */

static void wake_all(struct tfile *f)
{
    f->gen++;
    pthread_cond_broadcast(&f->cond);
    for (struct waitref *w = f->waiters; w; w = w->next) {
        w->w->fired = true;
        pthread_cond_signal(&w->w->cond);
    }
    epoll_wake(f);
}

/* The stack's wake hook: runs with the runner locked, inside a stack call. */
static void on_wake(struct sock *s, void *ctx)
{
    (void)s;
    wake_all(ctx);
}

void file_wait(struct tfile *f, uint64_t deadline)
{
    uint64_t gen = f->gen;
    pthread_mutex_t *m = tapir_runner_mutex(f->r);
    /* unlock() first, not a bare cond_wait: it tells the loop thread about
     * timers the attempt armed (a SYN's retransmission...). The generation
     * count closes the window between the two. */
    tapir_runner_unlock(f->r);
    pthread_mutex_lock(m);
    while (f->gen == gen && f->sk) {
        if (deadline == UINT64_MAX) {
            pthread_cond_wait(&f->cond, m);
        } else {
            struct timespec ts = {(time_t)(deadline / 1000000u), (long)(deadline % 1000000u) * 1000};
            if (pthread_cond_timedwait(&f->cond, m, &ts) == ETIMEDOUT)
                break;
        }
    }
    pthread_mutex_unlock(m);
}

struct sock *file_lock(struct tfile *f)
{
    tapir_runner_lock(f->r);
    if (!f->sk) {
        tapir_runner_unlock(f->r);
        tapir_set_errno(EBADF);
        return NULL;
    }
    return f->sk;
}

/* ---- the descriptor table ---- */

static struct tfile *file_new(tapir_runner *r, struct sock *sk)
{
    struct tfile *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&f->cond, &ca);
    pthread_condattr_destroy(&ca);
    f->r = r;
    f->sk = sk;
    sock_set_wake(sk, on_wake, f); /* caller holds the runner lock */
    return f;
}

static void file_free(struct tfile *f)
{
    pthread_cond_destroy(&f->cond);
    free(f);
}

/* A new descriptor for f.  timeout NAN: the default timeout. */
static int fd_install(struct tfile *f, int family, int type, int proto, double timeout)
{
    struct tfd *d = malloc(sizeof *d);
    if (!d)
        return tapir_set_errno(ENOMEM);
    d->f = f;
    d->family = family;
    d->type = type;
    d->proto = proto;
    pthread_mutex_lock(&tab_lock);
    d->timeout = isnan(timeout) ? default_timeout : timeout;
    int fd = tab_hint;
    while (fd < tab_cap && tab[fd])
        fd++;
    if (fd >= FD_LIMIT) {
        pthread_mutex_unlock(&tab_lock);
        free(d);
        return tapir_set_errno(EMFILE);
    }
    if (fd >= tab_cap) {
        int ncap = tab_cap ? tab_cap * 2 : 64;
        while (ncap <= fd)
            ncap *= 2;
        struct tfd **nt = realloc(tab, (size_t)ncap * sizeof *nt);
        if (!nt) {
            pthread_mutex_unlock(&tab_lock);
            free(d);
            return tapir_set_errno(ENOMEM);
        }
        memset(nt + tab_cap, 0, (size_t)(ncap - tab_cap) * sizeof *nt);
        tab = nt;
        tab_cap = ncap;
    }
    tab[fd] = d;
    tab_hint = fd + 1;
    f->holders++;
    f->refs++;
    pthread_mutex_unlock(&tab_lock);
    return fd;
}

int fd_get(int fd, struct fdref *out)
{
    pthread_mutex_lock(&tab_lock);
    struct tfd *d = fd >= 0 && fd < tab_cap ? tab[fd] : NULL;
    if (!d) {
        pthread_mutex_unlock(&tab_lock);
        return tapir_set_errno(EBADF);
    }
    out->fd = fd;
    out->f = d->f;
    out->family = d->family;
    out->type = d->type;
    out->proto = d->proto;
    out->timeout = d->timeout;
    d->f->refs++;
    pthread_mutex_unlock(&tab_lock);
    return 0;
}

double fd_timeout_if(int fd, struct tfile *f, double dflt)
{
    pthread_mutex_lock(&tab_lock);
    struct tfd *d = fd >= 0 && fd < tab_cap ? tab[fd] : NULL;
    double t = d && d->f == f ? d->timeout : dflt;
    pthread_mutex_unlock(&tab_lock);
    return t;
}

void file_put(struct tfile *f)
{
    pthread_mutex_lock(&tab_lock);
    bool last = --f->refs == 0;
    pthread_mutex_unlock(&tab_lock);
    if (last)
        file_free(f);
}

void file_hold(struct tfile *f)
{
    pthread_mutex_lock(&tab_lock);
    f->holders++;
    f->refs++;
    pthread_mutex_unlock(&tab_lock);
}

/* Is a TCP socket in a state where its FIN is out but not acknowledged
 * (Linux's `closing()` in sk_stream_wait_close)? */
static bool fin_unacked(struct sock *sk)
{
    struct tapir_tcp_info ti;
    if (tapir_tcp_get_info(sk, &ti) < 0)
        return false;
    return ti.tcpi_state == TP_TCPI_FIN_WAIT1 || ti.tcpi_state == TP_TCPI_CLOSING ||
           ti.tcpi_state == TP_TCPI_LAST_ACK;
}

/* SO_LINGER with l_onoff=1 and l_linger > 0, as Linux's close does it
 * (tcp_close, then sk_stream_wait_close): the FIN goes out after the data
 * and close waits until it is acknowledged or l_linger seconds pass; either
 * way close returns 0 and what is left goes on in the background.  Linux
 * waits whatever the socket's mode.  The FIN is sent by shutdown(SHUT_WR)
 * while the socket is still ours to watch; the real close follows.  With
 * unread data Linux resets at once and does not wait: so no wait here.
 * Runner locked; returns locked. */
static void linger_wait(struct tfile *f, struct sock *sk)
{
    struct linger l;
    size_t len = sizeof l;
    if (sk->protocol != TAPIR_IPPROTO_TCP || sock_getsockopt(sk, SOL_SOCKET, SO_LINGER, &l, &len) < 0 ||
        !l.l_onoff || l.l_linger <= 0)
        return;
    char c;
    if (sock_recv(sk, &c, 1, MSG_PEEK, NULL, NULL) > 0)
        return;
    struct tapir_tcp_info ti;
    if (tapir_tcp_get_info(sk, &ti) < 0 ||
        (ti.tcpi_state != TP_TCPI_ESTABLISHED && ti.tcpi_state != TP_TCPI_CLOSE_WAIT && !fin_unacked(sk)))
        return;
    sock_shutdown(sk, SHUT_WR);
    uint64_t deadline = mono_us() + (uint64_t)l.l_linger * 1000000u;
    while (fin_unacked(sk) && mono_us() < deadline) {
        file_wait(f, deadline);
        tapir_runner_lock(f->r);
    }
}

/* The last holder gone: the stack socket is closed (the protocol may live on:
 * FIN, TIME_WAIT) and every caller still waiting on it wakes to EBADF. */
static void file_drop_holder(struct tfile *f, int fd)
{
    pthread_mutex_lock(&tab_lock);
    bool last = --f->holders == 0;
    pthread_mutex_unlock(&tab_lock);
    tapir_runner_lock(f->r);
    if (fd >= 0)
        epoll_forget_fd(f, fd);
    if (last) {
        if (f->sk)
            linger_wait(f, f->sk);
        struct sock *sk = f->sk;
        f->sk = NULL;
        if (sk)
            sock_close(sk);
        epoll_forget_fd(f, -1);
        wake_all(f);
    }
    tapir_runner_unlock(f->r);
    file_put(f);
}

void file_release(struct tfile *f) { file_drop_holder(f, -1); }

int tapir_close(int fd)
{
    pthread_mutex_lock(&tab_lock);
    struct tfd *d = fd >= 0 && fd < tab_cap ? tab[fd] : NULL;
    if (!d) {
        pthread_mutex_unlock(&tab_lock);
        return tapir_set_errno(EBADF);
    }
    tab[fd] = NULL;
    if (fd < tab_hint)
        tab_hint = fd;
    pthread_mutex_unlock(&tab_lock);
    file_drop_holder(d->f, fd);
    free(d);
    return 0;
}

/* ---- creating sockets ---- */

static int check_runner(tapir_runner *r)
{
    if (!r)
        return tapir_set_error(TAPIR_ERR_ERROR, ENETDOWN,
                               "[Errno %d] %s (no tapir runner started)", ENETDOWN,
                               tapir_errno_text(ENETDOWN));
    return 0;
}

/* Wraps a new stack socket in a file and a descriptor (runner locked). */
static int wrap_sock(tapir_runner *r, struct sock *sk, int family, int type, int proto, double timeout)
{
    struct tfile *f = file_new(r, sk);
    if (!f) {
        sock_close(sk);
        return tapir_set_errno(ENOMEM);
    }
    int fd = fd_install(f, family, type, proto, timeout);
    if (fd < 0) {
        f->sk = NULL;
        sock_close(sk);
        file_free(f);
    }
    return fd;
}

/* Python's defaults for arguments left at TAPIR_DEFAULT (family: socket()'s
 * AF_INET or socketpair()'s AF_UNIX); returns the type without its flags. */
static int py_defaults(int *family, int *type, int *proto, int default_family)
{
    if (*family == TAPIR_DEFAULT)
        *family = default_family;
    if (*type == TAPIR_DEFAULT)
        *type = TAPIR_SOCK_STREAM;
    if (*proto == TAPIR_DEFAULT)
        *proto = 0;
    return *type & ~(TAPIR_SOCK_NONBLOCK | TAPIR_SOCK_CLOEXEC);
}

int tapir_socket_on(tapir_runner *r, int family, int type, int proto)
{
    int base = py_defaults(&family, &type, &proto, TAPIR_AF_INET);
    if (family != TAPIR_AF_INET && family != TAPIR_AF_INET6 && family != TAPIR_AF_UNIX)
        return tapir_set_errno(EAFNOSUPPORT);
    if (base <= 0 || base > 10)          /* Linux: type >= SOCK_MAX */
        return tapir_set_errno(EINVAL);
    if (check_runner(r))
        return -1;
    struct stack *st = tapir_runner_lock(r);
    struct sock *sk;
    int rc = sock_create(st, family, base, proto, &sk);
    if (rc < 0) {
        tapir_runner_unlock(r);
        return tapir_set_errno(rc);
    }
    /* Python: SOCK_NONBLOCK in type makes the socket start non-blocking. */
    int fd = wrap_sock(r, sk, family, base, proto, (type & TAPIR_SOCK_NONBLOCK) ? 0.0 : NAN);
    tapir_runner_unlock(r);
    return fd;
}

int tapir_socket(int family, int type, int proto)
{
    return tapir_socket_on(tapir_runner_default(), family, type, proto);
}

/* socketpair(): Python on Linux calls socketpair(2), so AF_UNIX (the
 * default) works and AF_INET fails with EOPNOTSUPP. */
int tapir_socketpair(int family, int type, int proto, int fds[2])
{
    tapir_runner *r = tapir_runner_default();
    int base = py_defaults(&family, &type, &proto, TAPIR_AF_UNIX);
    if (!fds)
        return tapir_set_errno(EFAULT);
    if (check_runner(r))
        return -1;
    struct stack *st = tapir_runner_lock(r);
    struct sock *a, *b;
    int rc = sock_socketpair(st, family, base, proto, &a, &b);
    if (rc < 0) {
        tapir_runner_unlock(r);
        return tapir_set_errno(rc);
    }
    double timeout = (type & TAPIR_SOCK_NONBLOCK) ? 0.0 : NAN;
    int fa = wrap_sock(r, a, family, base, proto, timeout);
    int fb = fa < 0 ? -1 : wrap_sock(r, b, family, base, proto, timeout);
    if (fa < 0)
        sock_close(b);
    tapir_runner_unlock(r);
    if (fb < 0) {
        tapir_error saved = *tapir_last_error();
        if (fa >= 0)
            tapir_close(fa);
        tapir_set_error(saved.kind, saved.code, "%s", saved.message);
        return -1;
    }
    fds[0] = fa;
    fds[1] = fb;
    return 0;
}

static int dup_as(int fd, bool keep_identity, int family, int type, int proto)
{
    struct fdref r;
    if (fd_get(fd, &r))
        return -1;
    file_hold(r.f);
    int nfd = keep_identity ? fd_install(r.f, r.family, r.type, r.proto, r.timeout)
                            : fd_install(r.f, family, type, proto, NAN);
    /* fd_install added its own holder: drop the one that bridged the gap
     * (closing the socket if the original was closed meanwhile and the
     * install failed), then fd_get's reference. */
    file_release(r.f);
    file_put(r.f);
    return nfd;
}

int tapir_dup(int fd) { return dup_as(fd, true, 0, 0, 0); }

int tapir_fromfd(int fd, int family, int type, int proto)
{
    struct fdref r;
    if (fd_get(fd, &r))
        return -1;
    file_put(r.f);
    if (family == TAPIR_DEFAULT)
        family = r.family;
    if (type == TAPIR_DEFAULT)
        type = r.type;
    if (proto == TAPIR_DEFAULT)
        proto = r.proto;
    return dup_as(fd, false, family, type & ~(TAPIR_SOCK_NONBLOCK | TAPIR_SOCK_CLOEXEC), proto);
}

int tapir_detach(int fd)
{
    pthread_mutex_lock(&tab_lock);
    struct tfd *d = fd >= 0 && fd < tab_cap ? tab[fd] : NULL;
    if (d)
        d->timeout = default_timeout;
    pthread_mutex_unlock(&tab_lock);
    return d ? fd : tapir_set_errno(EBADF);
}

int tapir_fileno(int fd)
{
    struct fdref r;
    if (fd_get(fd, &r))
        return -1;
    file_put(r.f);
    return fd;
}

static int ident(int fd, int which)
{
    struct fdref r;
    if (fd_get(fd, &r))
        return -1;
    file_put(r.f);
    return which == 0 ? r.family : which == 1 ? r.type : r.proto;
}
int tapir_family(int fd) { return ident(fd, 0); }
int tapir_type(int fd) { return ident(fd, 1); }
int tapir_proto(int fd) { return ident(fd, 2); }

/* ---- timeouts ---- */

int timeout_check(double t)
{
    if (isnan(t))
        return tapir_set_error(TAPIR_ERR_VALUE, EINVAL, "Invalid value NaN (not a number)");
    /* CPython converts the seconds to its 64-bit nanosecond time first: what
     * does not fit (inf, 1e300, anything past about 292 years) overflows. */
    if (t * 1e9 >= 9223372036854775808.0)
        return tapir_set_error(TAPIR_ERR_OVERFLOW, ERANGE, "timestamp out of range for platform time_t");
    return 0;
}

int tapir_settimeout(int fd, double timeout)
{
    if (timeout_check(timeout))
        return -1;
    if (timeout < 0)
        timeout = -1.0;
    pthread_mutex_lock(&tab_lock);
    struct tfd *d = fd >= 0 && fd < tab_cap ? tab[fd] : NULL;
    if (d)
        d->timeout = timeout;
    pthread_mutex_unlock(&tab_lock);
    return d ? 0 : tapir_set_errno(EBADF);
}

double tapir_gettimeout(int fd)
{
    struct fdref r;
    if (fd_get(fd, &r))
        return NAN;
    file_put(r.f);
    return r.timeout;
}

int tapir_setblocking(int fd, bool flag) { return tapir_settimeout(fd, flag ? -1.0 : 0.0); }

int tapir_getblocking(int fd)
{
    struct fdref r;
    if (fd_get(fd, &r))
        return -1;
    file_put(r.f);
    return r.timeout != 0.0;
}

double tapir_getdefaulttimeout(void)
{
    pthread_mutex_lock(&tab_lock);
    double t = default_timeout;
    pthread_mutex_unlock(&tab_lock);
    return t;
}

int tapir_setdefaulttimeout(double timeout)
{
    if (timeout_check(timeout))
        return -1;
    pthread_mutex_lock(&tab_lock);
    default_timeout = timeout < 0 ? -1.0 : timeout;
    pthread_mutex_unlock(&tab_lock);
    return 0;
}

/* ---- the call loop: Python's three modes ---- */

struct mode {
    bool init;
    bool nonblock;     /* one attempt only */
    bool timeo_eagain; /* blocking mode with SO_RCVTIMEO/SO_SNDTIMEO: EAGAIN at the deadline */
    uint64_t deadline; /* UINT64_MAX: none */
};

/* Called with the runner locked (for the SO_*TIMEO values). */
static void mode_init(struct mode *m, const struct fdref *r, bool writing, bool dontwait)
{
    m->init = true;
    m->nonblock = dontwait || r->timeout == 0.0;
    m->timeo_eagain = false;
    m->deadline = UINT64_MAX;
    if (m->nonblock)
        return;
    if (r->timeout > 0) {
        m->deadline = deadline_after(r->timeout);
    } else {
        /* Linux honours SO_RCVTIMEO/SO_SNDTIMEO only on blocking sockets, and
         * Python's None timeout is a blocking socket: EAGAIN when it expires. */
        uint64_t t = writing ? r->f->sndtimeo_us : r->f->rcvtimeo_us;
        if (t) {
            m->deadline = mono_us() + t;
            m->timeo_eagain = true;
        }
    }
}

typedef ssize_t (*attempt_fn)(struct sock *sk, void *arg);

/* One operation under Python's rules: the attempt's result, -errno, or TIMED_OUT. */
static ssize_t call(struct fdref *r, struct mode *m, bool writing, bool dontwait, attempt_fn fn, void *arg)
{
    struct tfile *f = r->f;
    for (;;) {
        struct sock *sk = file_lock(f);
        if (!sk)
            return -EBADF;
        if (!m->init)
            mode_init(m, r, writing, dontwait);
        ssize_t rc = fn(sk, arg);
        if (rc != -EAGAIN || m->nonblock) {
            tapir_runner_unlock(f->r);
            return rc;
        }
        if (m->deadline != UINT64_MAX && mono_us() >= m->deadline) {
            tapir_runner_unlock(f->r);
            return m->timeo_eagain ? -EAGAIN : TIMED_OUT;
        }
        file_wait(f, m->deadline);
    }
}

static int fail(ssize_t rc)
{
    if (rc == TIMED_OUT)
        return tapir_set_timeout_error();
    return tapir_set_errno((int)-rc);
}

/* Does MSG_DONTWAIT make this call a single attempt?  In blocking mode, yes
 * (the kernel answers EAGAIN).  In timeout mode CPython waits for readiness
 * with poll() before each attempt and takes an EAGAIN from the attempt as a
 * false alarm, so the flag changes nothing: the call waits up to the
 * timeout and then raises "timed out", as here. */
static bool msg_dontwait(const struct fdref *r, int flags)
{
    return (flags & TAPIR_MSG_DONTWAIT) && !(r->timeout > 0);
}

/* Flags the stack sees: the ones that are about waiting are ours. */
#define API_FLAGS (TAPIR_MSG_DONTWAIT | TAPIR_MSG_WAITALL | TAPIR_MSG_NOSIGNAL)

/* ---- receiving ---- */

struct recv_arg {
    void *buf;
    size_t n;
    int flags;
    struct endpoint *from;
    size_t full;
};

static ssize_t recv_attempt(struct sock *sk, void *p)
{
    struct recv_arg *a = p;
    a->full = 0;
    ssize_t rc = sock_recv(sk, a->buf, a->n, a->flags, a->from, &a->full);
    if (rc >= 0 && (a->flags & TAPIR_MSG_TRUNC) && sk->type != TAPIR_SOCK_STREAM && a->full > (size_t)rc)
        rc = (ssize_t)a->full; /* Linux: the datagram's real length */
    return rc;
}

ssize_t sock_io_recv(struct fdref *r, void *buf, size_t n, int flags, tapir_addr *from)
{
    struct endpoint ep;
    memset(&ep, 0, sizeof ep);
    struct recv_arg a = {buf, n, flags & ~API_FLAGS, from ? &ep : NULL, 0};
    struct mode m = {0};
    bool dontwait = msg_dontwait(r, flags);
    ssize_t rc;
    /* MSG_WAITALL waits for all n bytes in blocking mode only: in timeout
     * mode CPython's socket is non-blocking underneath, where Linux returns
     * what is there once poll() says readable. */
    if ((flags & TAPIR_MSG_WAITALL) && r->type == TAPIR_SOCK_STREAM && !(flags & TAPIR_MSG_PEEK) &&
        r->timeout < 0) {
        /* Wait for all n bytes (or EOF, an error, the deadline): a partial
         * count is returned rather than lose what already arrived. */
        size_t total = 0;
        rc = 0;
        while (total < n) {
            a.buf = (char *)buf + total;
            a.n = n - total;
            rc = call(r, &m, false, dontwait, recv_attempt, &a);
            if (rc <= 0)
                break;
            total += (size_t)rc;
        }
        if (total > 0)
            rc = (ssize_t)total;
    } else {
        rc = call(r, &m, false, dontwait, recv_attempt, &a);
    }
    if (rc < 0)
        return fail(rc);
    if (from)
        endpoint_to_addr(r->family, &ep, from);
    return rc;
}

/* The receiving calls, checked in CPython's order: the arguments first
 * (ValueError even on a closed socket), then the socket.  what: the
 * method's name in Python's messages.  zero_is_done: recv() and recv_into()
 * (CPython's sock_recv_guts) return at once for 0 bytes without touching
 * the socket, so recv(0) neither blocks nor takes a datagram, nor fails on a
 * closed socket; recvfrom() and recvmsg() do call recvfrom(2). */
static ssize_t recv_common(int fd, void *buf, size_t n, int flags, tapir_addr *from, const char *what,
                           bool zero_is_done)
{
    if (n > (size_t)SSIZE_MAX)
        return tapir_set_error(TAPIR_ERR_VALUE, EINVAL, "negative buffersize in %s", what);
    if (n == 0 && zero_is_done)
        return 0;
    struct fdref r;
    if (fd_get(fd, &r))
        return -1;
    if (!buf && n) {
        file_put(r.f);
        return tapir_set_error(TAPIR_ERR_TYPE, EFAULT, "a writable buffer is required");
    }
    ssize_t rc = sock_io_recv(&r, buf, n, flags, from);
    file_put(r.f);
    return rc;
}

ssize_t tapir_recvfrom(int fd, void *buf, size_t n, int flags, tapir_addr *from)
{
    return recv_common(fd, buf, n, flags, from, "recvfrom", false);
}

ssize_t tapir_recv(int fd, void *buf, size_t n, int flags)
{
    return recv_common(fd, buf, n, flags, NULL, "recv", true);
}

ssize_t tapir_recvfrom_into(int fd, void *buf, size_t buflen, size_t nbytes, int flags, tapir_addr *from)
{
    if (nbytes > (size_t)SSIZE_MAX)
        return tapir_set_error(TAPIR_ERR_VALUE, EINVAL, "negative buffersize in recvfrom_into");
    if (nbytes == 0)
        nbytes = buflen;
    else if (nbytes > buflen)
        return tapir_set_error(TAPIR_ERR_VALUE, EINVAL, "nbytes is greater than the length of the buffer");
    return recv_common(fd, buf, nbytes, flags, from, "recvfrom_into", false);
}

ssize_t tapir_recv_into(int fd, void *buf, size_t buflen, size_t nbytes, int flags)
{
    if (nbytes > (size_t)SSIZE_MAX)
        return tapir_set_error(TAPIR_ERR_VALUE, EINVAL, "negative buffersize in recv_into");
    if (nbytes == 0)
        nbytes = buflen;
    else if (nbytes > buflen)
        return tapir_set_error(TAPIR_ERR_VALUE, EINVAL, "buffer too small for requested bytes");
    return recv_common(fd, buf, nbytes, flags, NULL, "recv_into", true);
}

/* ---- sending ---- */

struct send_arg {
    const void *buf;
    size_t n;
    int flags;
    const struct endpoint *to;
};

static ssize_t send_attempt(struct sock *sk, void *p)
{
    struct send_arg *a = p;
    return sock_send(sk, a->buf, a->n, a->flags, a->to);
}

/* all: keep going until everything is sent (sendall; and a blocking stream
 * send(), which Linux completes unless interrupted).  *sent: bytes sent. */
static ssize_t send_loop(struct fdref *r, const void *buf, size_t n, int flags, const struct endpoint *to,
                         bool all, size_t *sent)
{
    struct send_arg a = {buf, n, flags & ~API_FLAGS, to};
    struct mode m = {0};
    bool dontwait = msg_dontwait(r, flags);
    size_t total = 0;
    ssize_t rc;
    bool connecting;
    do {
        connecting = false;
        a.buf = (const char *)buf + total;
        a.n = n - total;
        rc = call(r, &m, true, dontwait, send_attempt, &a);
        if (a.flags & MSG_FASTOPEN) {
            /* sendto(MSG_FASTOPEN) is connect() and send() (TCP Fast Open):
             * only the first attempt connects; the rest is an ordinary
             * send.  A blocking one waits for the connection as Linux's
             * does (tcp_sendmsg_fastopen): "in progress" (no data rode in
             * the SYN) is nothing sent yet, and the next attempt waits. */
            a.flags &= ~MSG_FASTOPEN;
            if (rc == -EINPROGRESS && all && !m.nonblock) {
                rc = 0;
                connecting = true;
            }
        }
        if (rc < 0)
            break;
        total += (size_t)rc;
    } while (all && total < n && (rc > 0 || n == 0 || connecting));
    *sent = total;
    return rc < 0 ? rc : (ssize_t)total;
}

int sock_io_sendall(struct fdref *r, const void *buf, size_t n, int flags, size_t *sent)
{
    ssize_t rc = send_loop(r, buf, n, flags, NULL, true, sent);
    return rc < 0 ? fail(rc) : 0;
}

/* addr_to_endpoint for a call on r: a host name is resolved within the
 * socket's timeout (the default timeout for blocking and non-blocking
 * sockets: a name lookup cannot be non-blocking). */
static int resolving_addr_to_endpoint(const struct fdref *r, const tapir_addr *a, const char *caller,
                                      struct endpoint *ep)
{
    resolver_set_call_timeout(true, r->timeout > 0 ? r->timeout : tapir_getdefaulttimeout());
    int rc = addr_to_endpoint(r->family, a, caller, ep);
    resolver_set_call_timeout(false, 0);
    return rc;
}

static ssize_t send_common(int fd, const void *buf, size_t n, int flags, const tapir_addr *to, const char *who)
{
    struct fdref r;
    if (fd_get(fd, &r))
        return -1;
    ssize_t rc;
    struct endpoint ep;
    size_t sent = 0;
    if (!buf && n) {
        rc = tapir_set_error(TAPIR_ERR_TYPE, EFAULT, "a bytes-like object is required, not 'NoneType'");
    } else if (to && resolving_addr_to_endpoint(&r, to, who, &ep)) {
        rc = -1;
    } else {
        bool blocking_stream = r.type == TAPIR_SOCK_STREAM && r.timeout < 0;
        rc = send_loop(&r, buf, n, flags, to ? &ep : NULL, blocking_stream, &sent);
        if (rc < 0)
            rc = sent > 0 ? (ssize_t)sent : fail(rc);
    }
    file_put(r.f);
    return rc;
}

/* One attempt whatever the socket's mode: for a transport that does its own
 * waiting (TLS, api/tls_socket.c), where MSG_DONTWAIT would not do in
 * timeout mode (see msg_dontwait). */
ssize_t sock_io_send_once(int fd, const void *buf, size_t n, int flags)
{
    struct fdref r;
    if (fd_get(fd, &r))
        return -1;
    r.timeout = 0.0;
    size_t sent = 0;
    ssize_t rc = send_loop(&r, buf, n, flags, NULL, false, &sent);
    if (rc < 0)
        rc = sent > 0 ? (ssize_t)sent : fail(rc);
    file_put(r.f);
    return rc;
}

ssize_t sock_io_recv_once(int fd, void *buf, size_t n, int flags)
{
    struct fdref r;
    if (fd_get(fd, &r))
        return -1;
    r.timeout = 0.0;
    ssize_t rc = sock_io_recv(&r, buf, n, flags, NULL);
    file_put(r.f);
    return rc;
}

ssize_t tapir_send(int fd, const void *buf, size_t n, int flags)
{
    return send_common(fd, buf, n, flags, NULL, "send");
}

ssize_t tapir_sendto(int fd, const void *buf, size_t n, int flags, const tapir_addr *address)
{
    if (!address)
        return tapir_set_error(TAPIR_ERR_TYPE, EINVAL, "sendto(): address required");
    return send_common(fd, buf, n, flags, address, "sendto");
}

int tapir_sendall(int fd, const void *buf, size_t n, int flags)
{
    struct fdref r;
    if (fd_get(fd, &r))
        return -1;
    int rc;
    size_t sent;
    if (!buf && n)
        rc = tapir_set_error(TAPIR_ERR_TYPE, EFAULT, "a bytes-like object is required, not 'NoneType'");
    else
        rc = sock_io_sendall(&r, buf, n, flags, &sent);
    file_put(r.f);
    return rc;
}

/* ---- connecting ---- */

static int so_error(struct sock *sk)
{
    int v = 0;
    size_t len = sizeof v;
    if (sock_getsockopt(sk, TAPIR_SOL_SOCKET, TAPIR_SO_ERROR, &v, &len) < 0)
        return 0;
    return v;
}

static ssize_t connect_attempt(struct sock *sk, void *ep)
{
    return sock_connect(sk, ep);
}

/* 0 connected, an errno, TIMED_OUT, or -1 (error already set: bad address). */
static int do_connect(struct fdref *r, const tapir_addr *a, const char *caller)
{
    struct endpoint ep;
    if (resolving_addr_to_endpoint(r, a, caller, &ep))
        return -1;
    if (r->family == TAPIR_AF_UNIX) {
        /* Done at once, or -EAGAIN while the listener's backlog is full:
         * then a blocking connect waits, as on Linux.  In timeout mode
         * CPython's socket is non-blocking underneath and raises the EAGAIN
         * (BlockingIOError) at once. */
        struct mode m = {0};
        ssize_t rc = call(r, &m, true, r->timeout >= 0, connect_attempt, &ep);
        return rc == TIMED_OUT ? TIMED_OUT : (int)-rc;
    }
    struct tfile *f = r->f;
    struct sock *sk = file_lock(f);
    if (!sk)
        return EBADF;
    int rc = sock_connect(sk, &ep);
    if (rc != -EINPROGRESS) {
        tapir_runner_unlock(f->r);
        return -rc;
    }
    struct mode m = {0};
    mode_init(&m, r, true, false);
    if (m.nonblock) {
        tapir_runner_unlock(f->r);
        return EINPROGRESS;
    }
    /* Wait for the handshake: until the socket is writable (or in error). */
    for (;;) {
        uint32_t ev = sock_poll(sk);
        if (ev & (SOCK_POLLOUT | SOCK_POLLERR | SOCK_POLLHUP)) {
            int e;
            if (r->timeout < 0) {
                /* Blocking: Linux's connect(2) waits in the kernel and then
                 * says how it went as a second connect would, which leaves
                 * the socket connected (a later connect() is EISCONN). */
                e = -sock_connect(sk, &ep);
            } else {
                /* Timeout mode: CPython polls, then reads SO_ERROR and never
                 * calls connect() again, so the next connect() still
                 * answers for this attempt (0, or ECONNABORTED). */
                e = so_error(sk);
                if (!e && !(ev & SOCK_POLLOUT))
                    e = ECONNREFUSED;
            }
            if (e != EALREADY) {
                tapir_runner_unlock(f->r);
                return e;
            }
        }
        if (m.deadline != UINT64_MAX && mono_us() >= m.deadline) {
            tapir_runner_unlock(f->r);
            /* Linux's blocking connect with SO_SNDTIMEO gives EINPROGRESS. */
            return m.timeo_eagain ? EINPROGRESS : TIMED_OUT;
        }
        file_wait(f, m.deadline);
        if (!(sk = file_lock(f)))
            return EBADF;
    }
}

int tapir_connect(int fd, const tapir_addr *address)
{
    struct fdref r;
    if (fd_get(fd, &r))
        return -1;
    int rc = do_connect(&r, address, "connect");
    file_put(r.f);
    if (rc == 0)
        return 0;
    if (rc == -1)
        return -1;
    return fail(rc == TIMED_OUT ? TIMED_OUT : -rc);
}

int tapir_connect_ex(int fd, const tapir_addr *address)
{
    struct fdref r;
    if (fd_get(fd, &r))
        return EBADF;
    int rc = do_connect(&r, address, "connect_ex");
    file_put(r.f);
    if (rc == -1)
        return -1;
    if (rc == TIMED_OUT)
        rc = EAGAIN; /* CPython's connect_ex: EWOULDBLOCK when the timeout expires */
    if (rc)
        tapir_set_errno(rc);
    return rc;
}

/* ---- accepting ---- */

struct accept_arg {
    struct sock *child;
    struct endpoint peer;
};

static ssize_t accept_attempt(struct sock *sk, void *p)
{
    struct accept_arg *a = p;
    return sock_accept(sk, &a->child, &a->peer);
}

int tapir_accept(int fd, tapir_addr *peer)
{
    struct fdref r;
    if (fd_get(fd, &r))
        return -1;
    struct accept_arg a;
    memset(&a, 0, sizeof a);
    struct mode m = {0};
    ssize_t rc = call(&r, &m, false, false, accept_attempt, &a);
    int nfd;
    if (rc < 0) {
        nfd = fail(rc);
    } else {
        tapir_runner_lock(r.f->r);
        /* Python: the new socket has the listener's family/type/proto and the
         * default timeout. */
        nfd = wrap_sock(r.f->r, a.child, r.family, r.type, r.proto, NAN);
        tapir_runner_unlock(r.f->r);
        if (nfd >= 0 && peer)
            endpoint_to_addr(r.family, &a.peer, peer);
    }
    file_put(r.f);
    return nfd;
}

/* ---- the rest of the methods ---- */

int tapir_bind(int fd, const tapir_addr *address)
{
    struct fdref r;
    if (fd_get(fd, &r))
        return -1;
    struct endpoint ep;
    int rc = -1;
    if (!resolving_addr_to_endpoint(&r, address, "bind", &ep)) {
        struct sock *sk = file_lock(r.f);
        if (sk) {
            rc = sock_bind(sk, &ep);
            tapir_runner_unlock(r.f->r);
            rc = rc < 0 ? tapir_set_errno(rc) : 0;
        }
    }
    file_put(r.f);
    return rc;
}

int tapir_listen(int fd, int backlog)
{
    if (backlog == TAPIR_BACKLOG_DEFAULT)
        backlog = TAPIR_SOMAXCONN < 128 ? TAPIR_SOMAXCONN : 128;
    if (backlog < 0)
        backlog = 0;
    struct fdref r;
    if (fd_get(fd, &r))
        return -1;
    int rc = -1;
    struct sock *sk = file_lock(r.f);
    if (sk) {
        rc = sock_listen(sk, backlog);
        if (rc == 0)
            r.f->listening = true;
        tapir_runner_unlock(r.f->r);
        rc = rc < 0 ? tapir_set_errno(rc) : 0;
    }
    file_put(r.f);
    return rc;
}

int tapir_shutdown(int fd, int how)
{
    struct fdref r;
    if (fd_get(fd, &r))
        return -1;
    int rc = -1;
    struct sock *sk = file_lock(r.f);
    if (sk) {
        rc = sock_shutdown(sk, how);
        tapir_runner_unlock(r.f->r);
        rc = rc < 0 ? tapir_set_errno(rc) : 0;
    }
    file_put(r.f);
    return rc;
}

static int getname(int fd, tapir_addr *out, bool peer)
{
    struct fdref r;
    if (fd_get(fd, &r))
        return -1;
    int rc = -1;
    struct endpoint ep;
    struct sock *sk = file_lock(r.f);
    if (sk) {
        rc = sock_getname(sk, &ep, peer);
        tapir_runner_unlock(r.f->r);
        if (rc < 0)
            rc = tapir_set_errno(rc);
        else if (out)
            endpoint_to_addr(r.family, &ep, out);
    }
    file_put(r.f);
    return rc < 0 ? -1 : 0;
}

int tapir_getsockname(int fd, tapir_addr *out) { return getname(fd, out, false); }
int tapir_getpeername(int fd, tapir_addr *out) { return getname(fd, out, true); }

/* SO_RCVTIMEO/SO_SNDTIMEO are about waiting, which is this layer's business. */
static int set_timeo(struct tfile *f, int name, const void *val, size_t len)
{
    struct timeval tv;
    if (len < sizeof tv)
        return -EINVAL;
    memcpy(&tv, val, sizeof tv);
    if (tv.tv_usec < 0 || tv.tv_usec >= 1000000)
        return -EDOM;
    uint64_t us = tv.tv_sec < 0 ? 0 : (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
    if (name == TAPIR_SO_RCVTIMEO)
        f->rcvtimeo_us = us;
    else
        f->sndtimeo_us = us;
    return 0;
}

static int get_timeo(struct tfile *f, int name, void *val, size_t *len)
{
    struct timeval tv;
    if (*len < sizeof tv)
        return -EINVAL;
    uint64_t us = name == TAPIR_SO_RCVTIMEO ? f->rcvtimeo_us : f->sndtimeo_us;
    tv.tv_sec = (time_t)(us / 1000000u);
    tv.tv_usec = (suseconds_t)(us % 1000000u);
    memcpy(val, &tv, sizeof tv);
    *len = sizeof tv;
    return 0;
}

int tapir_setsockopt(int fd, int level, int name, const void *val, size_t len)
{
    struct fdref r;
    if (fd_get(fd, &r))
        return -1;
    int rc = -1;
    struct sock *sk = file_lock(r.f);
    if (sk) {
        if (!val && len)
            rc = -EFAULT;
        else if (level == TAPIR_SOL_SOCKET && (name == TAPIR_SO_RCVTIMEO || name == TAPIR_SO_SNDTIMEO))
            rc = set_timeo(r.f, name, val, len);
        else
            rc = sock_setsockopt(sk, level, name, val, len);
        tapir_runner_unlock(r.f->r);
        rc = rc < 0 ? tapir_set_errno(rc) : 0;
    }
    file_put(r.f);
    return rc;
}

int tapir_getsockopt(int fd, int level, int name, void *val, size_t *len)
{
    struct fdref r;
    if (fd_get(fd, &r))
        return -1;
    int rc = -1;
    struct sock *sk = file_lock(r.f);
    if (sk) {
        if (!val || !len)
            rc = -EFAULT;
        else if (level == TAPIR_SOL_SOCKET && (name == TAPIR_SO_RCVTIMEO || name == TAPIR_SO_SNDTIMEO))
            rc = get_timeo(r.f, name, val, len);
        else {
            rc = sock_getsockopt(sk, level, name, val, len);
            if (rc == -ENOPROTOOPT && level == TAPIR_SOL_SOCKET && name == TAPIR_SO_ACCEPTCONN) {
                int v = r.f->listening;
                rc = *len < sizeof v ? -EINVAL : 0;
                if (!rc) {
                    memcpy(val, &v, sizeof v);
                    *len = sizeof v;
                }
            }
        }
        tapir_runner_unlock(r.f->r);
        rc = rc < 0 ? tapir_set_errno(rc) : 0;
    }
    file_put(r.f);
    return rc;
}

int tapir_setsockopt_int(int fd, int level, int name, int value)
{
    return tapir_setsockopt(fd, level, name, &value, sizeof value);
}

int tapir_getsockopt_int(int fd, int level, int name, int *value)
{
    size_t len = sizeof *value;
    return tapir_getsockopt(fd, level, name, value, &len);
}

int tapir_has_ipv6(void) { return TAPIR_HAS_IPV6; }

int tapir_has_dualstack_ipv6(void)
{
    tapir_error saved = *tapir_last_error();
    int s = tapir_socket(TAPIR_AF_INET6, TAPIR_SOCK_STREAM, 0);
    int ok = s >= 0 && tapir_setsockopt_int(s, TAPIR_IPPROTO_IPV6, TAPIR_IPV6_V6ONLY, 0) == 0;
    if (s >= 0)
        tapir_close(s);
    tapir_set_error(saved.kind, saved.code, "%s", saved.message);
    return ok;
}

/* ---- repr ---- */

char *tapir_repr(int fd, char *buf, size_t n)
{
    struct fdref r;
    tapir_error saved = *tapir_last_error();
    if (fd_get(fd, &r)) {
        snprintf(buf, n, "<tapir.socket [closed] fd=-1>");
        tapir_set_error(saved.kind, saved.code, "%s", saved.message);
        return buf;
    }
    file_put(r.f);
    char t1[16], t2[16], a[TAPIR_ADDR_STRLEN];
    size_t used = (size_t)snprintf(buf, n, "<tapir.socket fd=%d, family=%s, type=%s, proto=%d", fd,
                                   family_name(r.family, t1), type_name(r.type, t2), r.proto);
    tapir_addr addr;
    /* Python prints an address only if it is truthy: not an unnamed
     * AF_UNIX socket's "". */
    if (used < n && tapir_getsockname(fd, &addr) == 0 && !(addr.family == TAPIR_AF_UNIX && !addr.path_len))
        used += (size_t)snprintf(buf + used, n - used, ", laddr=%s", tapir_addr_str(&addr, a, sizeof a));
    if (used < n && tapir_getpeername(fd, &addr) == 0 && !(addr.family == TAPIR_AF_UNIX && !addr.path_len))
        used += (size_t)snprintf(buf + used, n - used, ", raddr=%s", tapir_addr_str(&addr, a, sizeof a));
    if (used < n)
        snprintf(buf + used, n - used, ">");
    tapir_set_error(saved.kind, saved.code, "%s", saved.message);
    return buf;
}
