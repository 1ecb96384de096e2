/* makefile(): a real FILE* on a socket, through glibc's fopencookie, so
 * fgets/fprintf/fread work on a tapir connection.
 *
 * As Python documents, it is meant for blocking sockets.  With a timeout or
 * in non-blocking mode a read or write may not complete; then the stream's
 * error indicator is set (ferror), the thread-local tapir error says why
 * ("timed out", EAGAIN), and no data is lost:
 *   - reads: the cookie returns -1 with errno EAGAIN, which glibc's fgets
 *     answers by returning the partial line it has, nothing dropped;
 *   - writes: glibc throws away its buffer when the cookie writes short, so
 *     the cookie never writes short: what it could not send it keeps in its
 *     own pending buffer, sends first next time (or at fclose), and marks
 *     the stream in error.
 * The stream holds the socket open: it is closed when both the descriptor
 * and the stream are closed (Python's _io_refs).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/sockimpl.h"

struct cookie {
    struct fdref ref;       /* fd, file, identity; the timeout is re-read per call */
    FILE *stream;
    char *pending;          /* written by the user, not yet sent */
    size_t npending, cap;
};

static void refresh_timeout(struct cookie *c)
{
    c->ref.timeout = fd_timeout_if(c->ref.fd, c->ref.f, c->ref.timeout);
}

static ssize_t ck_read(void *p, char *buf, size_t size)
{
    struct cookie *c = p;
    refresh_timeout(c);
    ssize_t n = sock_io_recv(&c->ref, buf, size, 0, NULL);
    if (n < 0) {
        const tapir_error *e = tapir_last_error();
        errno = e->kind == TAPIR_ERR_TIMEOUT || e->code == EAGAIN ? EAGAIN : e->code ? e->code : EIO;
        return -1;
    }
    return n;
}

static void mark_error(struct cookie *c)
{
#ifdef _IO_ERR_SEEN
    if (c->stream)
        c->stream->_flags |= _IO_ERR_SEEN;
#else
    (void)c;
#endif
}

/* Sends the pending bytes; 0 when all are gone, -1 if some remain. */
static int flush_pending(struct cookie *c)
{
    if (!c->npending)
        return 0;
    size_t sent = 0;
    int rc = sock_io_sendall(&c->ref, c->pending, c->npending, 0, &sent);
    memmove(c->pending, c->pending + sent, c->npending - sent);
    c->npending -= sent;
    return rc < 0 ? -1 : 0;
}

static int keep(struct cookie *c, const char *buf, size_t size)
{
    if (c->npending + size > c->cap) {
        size_t ncap = c->cap ? c->cap : 4096;
        while (ncap < c->npending + size)
            ncap *= 2;
        char *np = realloc(c->pending, ncap);
        if (!np)
            return -1;
        c->pending = np;
        c->cap = ncap;
    }
    memcpy(c->pending + c->npending, buf, size);
    c->npending += size;
    return 0;
}

static ssize_t ck_write(void *p, const char *buf, size_t size)
{
    struct cookie *c = p;
    refresh_timeout(c);
    if (flush_pending(c) < 0) {
        if (keep(c, buf, size) < 0)
            return 0;
        mark_error(c);
        errno = tapir_last_error()->kind == TAPIR_ERR_TIMEOUT ? EAGAIN : tapir_errno();
        return (ssize_t)size;
    }
    size_t sent = 0;
    if (sock_io_sendall(&c->ref, buf, size, 0, &sent) < 0) {
        const tapir_error *e = tapir_last_error();
        if (e->kind != TAPIR_ERR_TIMEOUT && e->code != EAGAIN) {
            /* A real error (reset, EPIPE): nothing more will go out. */
            errno = e->code ? e->code : EIO;
            return (ssize_t)sent;
        }
        if (keep(c, buf + sent, size - sent) < 0)
            return (ssize_t)sent;
        mark_error(c);
        errno = EAGAIN;
    }
    return (ssize_t)size;
}

static int ck_close(void *p)
{
    struct cookie *c = p;
    refresh_timeout(c);
    int rc = flush_pending(c) < 0 ? -1 : 0;
    file_release(c->ref.f);
    file_put(c->ref.f);
    free(c->pending);
    free(c);
    return rc;
}

FILE *tapir_makefile(int fd, const char *mode)
{
    bool rd = false, wr = false;
    for (const char *m = mode ? mode : "r"; *m; m++) {
        if (*m == 'r')
            rd = true;
        else if (*m == 'w')
            wr = true;
        else if (*m != 'b') {
            tapir_set_error(TAPIR_ERR_VALUE, EINVAL, "invalid mode '%s' (only r, w, b allowed)", mode);
            return NULL;
        }
    }
    if (!rd && !wr)
        rd = true;
    struct cookie *c = calloc(1, sizeof *c);
    if (!c) {
        tapir_set_errno(ENOMEM);
        return NULL;
    }
    if (fd_get(fd, &c->ref)) {
        free(c);
        return NULL;
    }
    file_hold(c->ref.f);
    cookie_io_functions_t io = {rd ? ck_read : NULL, wr ? ck_write : NULL, NULL, ck_close};
    FILE *fp = fopencookie(c, rd && wr ? "r+" : rd ? "r" : "w", io);
    if (!fp) {
        file_release(c->ref.f);
        file_put(c->ref.f);
        free(c);
        tapir_set_errno(ENOMEM);
        return NULL;
    }
    c->stream = fp;
    return fp;
}
