/* TLS on a tapir socket: the transport of api/tls.h over the public socket
 * API (api/tapir.h), so OpenSSL's records ride tapir's own TCP.
 *
 * The transport's send and recv are one non-blocking attempt each
 * (sock_io_*_once) whatever the socket's mode; the wait is poll() on the one
 * socket with the time left; the mode itself is read from the socket at each
 * TLS call, so a settimeout() / setblocking() on the socket after wrapping
 * takes effect, as with Python's SSLSocket. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "api/error.h"
#include "api/sockimpl.h"
#include "api/tapir.h"
#include "api/tls.h"
#include "api/tls_internal.h"

/* The transport's context: the descriptor, and the connection (for the
 * select hook). */
struct sockctx {
    int fd;
    tapir_ssl_socket *tls;
};

static ssize_t sk_send(void *ctx, const void *buf, size_t len)
{
    struct sockctx *c = ctx;
    ssize_t n = sock_io_send_once(c->fd, buf, len, TAPIR_MSG_NOSIGNAL);
    if (n >= 0)
        return n;
    int e = tapir_errno();
    return -(e > 0 ? e : EIO);
}

static ssize_t sk_recv(void *ctx, void *buf, size_t len)
{
    struct sockctx *c = ctx;
    ssize_t n = sock_io_recv_once(c->fd, buf, len, 0);
    if (n >= 0)
        return n;
    int e = tapir_errno();
    return -(e > 0 ? e : EIO);
}

static int sk_wait(void *ctx, int what, double timeout)
{
    struct sockctx *c = ctx;
    struct tapir_pollfd p = {
        .fd = c->fd,
        .events = what == TAPIR_TLS_WAIT_READ ? TAPIR_POLLIN : TAPIR_POLLOUT,
    };
    /* rounded up: never wake before the deadline (no libm: ceil by hand) */
    int ms = timeout < 0 ? -1 : timeout > 2e6 ? 2000000000 : (int)(timeout * 1000.0 + 0.999);
    int n = tapir_poll(&p, 1, ms);
    if (n < 0) {
        int e = tapir_errno();
        return -(e > 0 ? e : EIO);
    }
    if (n > 0 && (p.revents & TAPIR_POLLNVAL))
        return -EBADF;
    /* POLLERR / POLLHUP count as ready: the next send / recv reports it. */
    return n > 0;
}

static double sk_gettimeout(void *ctx)
{
    struct sockctx *c = ctx;
    double t = tapir_gettimeout(c->fd);
    return isnan(t) ? -1.0 : t; /* closed: the next call fails with EBADF */
}

static void sk_close(void *ctx)
{
    struct sockctx *c = ctx;
    tapir_close(c->fd);
}

/* The transport for fd.  Its ctx is malloc'd and lives as long as the
 * connection (tls_new copies the struct; the box is freed by tls_free_ctx). */
static int sock_transport(int fd, struct tapir_tls_transport *t)
{
    if (tapir_fileno(fd) < 0)
        return -1; /* EBADF set */
    if (tapir_type(fd) != TAPIR_SOCK_STREAM) {
        tls_set_error(TLS_EK_VALUE, EINVAL, "only stream sockets are supported");
        return -1;
    }
    struct sockctx *c = malloc(sizeof *c);
    if (!c) {
        tapir_set_errno(ENOMEM);
        return -1;
    }
    c->fd = fd;
    c->tls = NULL;
    *t = (struct tapir_tls_transport){
        .ctx = c,
        .send = sk_send,
        .recv = sk_recv,
        .wait = sk_wait,
        .gettimeout = sk_gettimeout,
        .close = sk_close,
    };
    return 0;
}

/* select / poll on the socket count decrypted bytes as readable (the
 * hook in struct tfile), from wrap until unwrap / close. */
static bool sk_pending(void *ctx)
{
    struct sockctx *c = ctx;
    return tls_has_pending(c->tls);
}

static void set_hook(int fd, bool (*fn)(void *), void *ctx)
{
    struct fdref ref;
    const tapir_error saved = *tapir_last_error(); /* this is bookkeeping: keep the caller's error */
    if (fd_get(fd, &ref) == 0) {
        if (file_lock(ref.f)) {
            ref.f->pending = fn;
            ref.f->pending_ctx = ctx;
            tapir_runner_unlock(ref.f->r);
        }
        file_put(ref.f);
    }
    tapir_set_error(saved.kind, saved.code, "%s", saved.message);
}

static void sk_release(void *ctx)
{
    struct sockctx *c = ctx;
    set_hook(c->fd, NULL, NULL);
}

static tapir_ssl_socket *bind_socket(tapir_ssl_socket *s, struct tapir_tls_transport *t)
{
    if (!s) {
        free(t->ctx);
        return NULL;
    }
    struct sockctx *c = t->ctx;
    c->tls = s;
    tls_own_ctx(s, c);
    set_hook(c->fd, sk_pending, c);
    tls_set_release(s, sk_release, c);
    return s;
}

tapir_ssl_socket *tapir_ssl_wrap_socket(tapir_ssl_context *ctx, int sock, const char *server_hostname,
                                        int flags)
{
    struct tapir_tls_transport t;
    if (sock_transport(sock, &t) < 0)
        return NULL;
    return bind_socket(tls_new(ctx, &t, sock, server_hostname, flags), &t);
}

tapir_ssl_socket *tapir_ssl(int sock, const char *keyfile, const char *certfile)
{
    struct tapir_tls_transport t;
    if (sock_transport(sock, &t) < 0)
        return NULL;
    return bind_socket(tls_legacy_new(&t, sock, keyfile, certfile), &t);
}
