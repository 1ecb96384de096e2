/* Python's scatter/gather and file calls: socket.sendmsg, recvmsg,
 * recvmsg_into and sendfile, built on send/recv (api/socket.c), so every
 * mode (blocking, timeout, non-blocking) and error is theirs.
 *
 * Ancillary data (Python's ancdata / ancbufsize) is not carried: tapir has
 * no control messages to give (no SCM_RIGHTS between stacks, no IP_PKTINFO
 * yet), so the C calls have no parameter for it rather than one that would
 * be ignored.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/tapir.h"

/* Linux's UIO_MAXIOV: more buffers than this is EMSGSIZE for sendmsg(2). */
#define MSG_MAX_IOV 1024

/* Total length of the buffers, or -1 (error set) if they cannot be used. */
static ssize_t iov_total(const struct iovec *iov, int iovcnt)
{
    if (iovcnt < 0 || iovcnt > MSG_MAX_IOV)
        return tapir_set_errno(EMSGSIZE);
    if (iovcnt > 0 && !iov)
        return tapir_set_errno(EFAULT);
    size_t total = 0;
    for (int i = 0; i < iovcnt; i++) {
        if (iov[i].iov_len && !iov[i].iov_base)
            return tapir_set_errno(EFAULT);
        if (iov[i].iov_len > (size_t)SSIZE_MAX - total)
            return tapir_set_errno(EINVAL);   /* Linux: the lengths overflow ssize_t */
        total += iov[i].iov_len;
    }
    return (ssize_t)total;
}

ssize_t tapir_sendmsg(int fd, const struct iovec *iov, int iovcnt, int flags, const tapir_addr *address)
{
    ssize_t total = iov_total(iov, iovcnt);
    if (total < 0)
        return -1;
    /* One message from all the buffers (a datagram stays one datagram).
     * A single buffer goes as it is; several are gathered once. */
    const void *data = NULL;
    uint8_t *gathered = NULL;
    int nonempty = 0;
    for (int i = 0; i < iovcnt; i++) {
        if (iov[i].iov_len) {
            data = iov[i].iov_base;
            nonempty++;
        }
    }
    if (nonempty > 1) {
        gathered = malloc((size_t)total);
        if (!gathered)
            return tapir_set_errno(ENOMEM);
        size_t off = 0;
        for (int i = 0; i < iovcnt; i++) {
            if (!iov[i].iov_len)
                continue;          /* an empty buffer may have no base at all */
            memcpy(gathered + off, iov[i].iov_base, iov[i].iov_len);
            off += iov[i].iov_len;
        }
        data = gathered;
    }
    static const char empty[1];
    if (!data)
        data = empty;
    ssize_t n = address ? tapir_sendto(fd, data, (size_t)total, flags, address)
                        : tapir_send(fd, data, (size_t)total, flags);
    free(gathered);
    return n;
}

/* recvmsg into one buffer; *msg_flags gets MSG_TRUNC when a datagram was
 * longer than the buffer (its rest is lost, as recv's). */
static ssize_t recv_one(int fd, void *buf, size_t len, int flags, int *msg_flags, tapir_addr *address)
{
    int type = tapir_type(fd);
    if (type < 0)
        return -1;
    if (msg_flags)
        *msg_flags = 0;
    /* recvfrom, not recv: recvmsg(0) calls recvmsg(2) (it waits, and takes
     * a datagram), where Python's recv(0) returns at once. */
    if (type == TAPIR_SOCK_STREAM)
        return tapir_recvfrom(fd, buf, len, flags, address);
    /* Datagrams: ask for the real length to tell truncation. */
    ssize_t full = tapir_recvfrom(fd, buf, len, flags | TAPIR_MSG_TRUNC, address);
    if (full < 0)
        return -1;
    if ((size_t)full > len && msg_flags)
        *msg_flags |= TAPIR_MSG_TRUNC;
    if ((flags & TAPIR_MSG_TRUNC) || (size_t)full <= len)
        return full;
    return (ssize_t)len;
}

ssize_t tapir_recvmsg(int fd, void *buf, size_t bufsize, int flags, int *msg_flags, tapir_addr *address)
{
    if (bufsize > (size_t)SSIZE_MAX)
        return tapir_set_error(TAPIR_ERR_VALUE, EINVAL, "negative buffer size in recvmsg()");
    if (bufsize && !buf)
        return tapir_set_errno(EFAULT);
    return recv_one(fd, buf, bufsize, flags, msg_flags, address);
}

ssize_t tapir_recvmsg_into(int fd, const struct iovec *iov, int iovcnt, int flags, int *msg_flags,
                           tapir_addr *address)
{
    ssize_t total = iov_total(iov, iovcnt);
    if (total < 0)
        return -1;
    if (iovcnt == 1)
        return recv_one(fd, iov[0].iov_base, iov[0].iov_len, flags, msg_flags, address);
    /* Several buffers: receive once into a staging buffer, then scatter
     * (a datagram must be taken whole in one call). */
    uint8_t *stage = malloc(total ? (size_t)total : 1);
    if (!stage)
        return tapir_set_errno(ENOMEM);
    ssize_t n = recv_one(fd, stage, (size_t)total, flags, msg_flags, address);
    if (n > 0) {
        size_t left = (size_t)(n < total ? n : total), off = 0;
        for (int i = 0; i < iovcnt && left; i++) {
            size_t k = iov[i].iov_len < left ? iov[i].iov_len : left;
            if (k)
                memcpy(iov[i].iov_base, stage + off, k);
            off += k;
            left -= k;
        }
    }
    free(stage);
    return n;
}

ssize_t tapir_sendfile(int fd, int file_fd, off_t offset, size_t count)
{
    /* Python's socket.sendfile: SOCK_STREAM only, blocking or timeout mode
     * (ValueError otherwise), from `offset` until EOF or `count` bytes
     * (0: to EOF); returns what was sent.  The file's position is left after
     * what was sent, also when an error stops it early. */
    int type = tapir_type(fd);
    if (type < 0)
        return -1;
    if (type != TAPIR_SOCK_STREAM)
        return tapir_set_error(TAPIR_ERR_VALUE, 0, "only SOCK_STREAM type sockets are supported");
    if (tapir_gettimeout(fd) == 0.0)
        return tapir_set_error(TAPIR_ERR_VALUE, 0, "non-blocking sockets are not supported");
    if (offset < 0)
        return tapir_set_error(TAPIR_ERR_VALUE, 0, "negative offset '%lld'", (long long)offset);
    if (lseek(file_fd, offset, SEEK_SET) < 0)
        return tapir_set_errno(errno);
    static __thread char chunk[65536];
    size_t sent = 0;
    while (count == 0 || sent < count) {
        size_t want = sizeof chunk;
        if (count && count - sent < want)
            want = count - sent;
        ssize_t got = read(file_fd, chunk, want);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int e = errno;
            lseek(file_fd, offset + (off_t)sent, SEEK_SET);
            return tapir_set_errno(e);
        }
        if (got == 0)
            break;
        size_t done = 0;
        while (done < (size_t)got) {
            ssize_t n = tapir_send(fd, chunk + done, (size_t)got - done, 0);
            if (n < 0) {
                lseek(file_fd, offset + (off_t)(sent + done), SEEK_SET);
                return -1;        /* send's error (timeout, reset, ...) stays */
            }
            done += (size_t)n;
        }
        sent += done;
    }
    return (ssize_t)sent;
}
