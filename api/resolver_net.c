/* The resolver's transport: DNS over tapir's own UDP and TCP sockets (the
 * public API, like any user program), never the kernel's.
 *
 * UDP: a fresh socket per try, bound to a random port (RFC 5452 9.2: the
 * port is the other 16 bits an off-path forger must guess), connected to
 * the server so the stack itself drops datagrams from anyone else.
 * TCP: RFC 1035 4.2.2 framing (two-byte length), one query per connection.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "api/error.h"
#include "api/resolver_int.h"
#include "api/tapir.h"

static uint64_t net_now(void *ctx)
{
    (void)ctx;
    return tapir_now_us();
}

static uint16_t net_random16(void *ctx)
{
    (void)ctx;
    uint16_t v = 0;
    while (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
        ;
    return v;
}

static void to_addr(const struct endpoint *ep, tapir_addr *a)
{
    char text[IPADDR_STRLEN];
    ipaddr_str(&ep->addr, text);
    if (ep->addr.family == TP_AF_INET6)
        tapir_addr_set6(a, text, ep->port, 0, ep->scope_id);
    else
        tapir_addr_set(a, text, ep->port);
}

static int family_of(const struct endpoint *ep)
{
    return ep->addr.family == TP_AF_INET6 ? TAPIR_AF_INET6 : TAPIR_AF_INET;
}

/* The error of the last failing tapir call, as -errno. */
static int last_errno(void)
{
    const tapir_error *e = tapir_last_error();
    if (e->kind == TAPIR_ERR_TIMEOUT)
        return -ETIMEDOUT;
    return e->code > 0 ? -e->code : -EIO;
}

static double remaining_s(uint64_t deadline)
{
    uint64_t now = tapir_now_us();
    return deadline > now ? (double)(deadline - now) / 1e6 : 0.0;
}

static int open_udp(const struct endpoint *server)
{
    int fd = tapir_socket(family_of(server), TAPIR_SOCK_DGRAM, 0);
    if (fd < 0)
        return last_errno();
    /* A random port in 1024..65535; a few tries if it is taken. */
    for (int i = 0; i < 8; i++) {
        tapir_addr local;
        int port = 1024 + (int)(net_random16(NULL) % (65536 - 1024));
        if (server->addr.family == TP_AF_INET6)
            tapir_addr_set6(&local, "", port, 0, 0);
        else
            tapir_addr_set(&local, "", port);
        if (tapir_bind(fd, &local) == 0)
            break;
        if (tapir_last_error()->code != EADDRINUSE)
            break; /* let connect pick an ephemeral port */
    }
    tapir_addr peer;
    to_addr(server, &peer);
    if (tapir_connect(fd, &peer) < 0) {
        int e = last_errno();
        tapir_close(fd);
        return e;
    }
    return fd;
}

static int net_udp(void *ctx, const struct endpoint *server, const uint8_t *q, size_t qlen,
                   uint64_t deadline, bool (*accept)(void *arg, const uint8_t *msg, size_t len), void *arg)
{
    (void)ctx;
    tapir_error saved = *tapir_last_error();
    int fd = open_udp(server);
    if (fd < 0)
        return fd;
    int rc = -ETIMEDOUT;
    uint8_t *buf = malloc(DNS_TCP_MAX);
    if (!buf) {
        tapir_close(fd);
        return -ENOMEM;
    }
    if (tapir_send(fd, q, qlen, 0) < 0) {
        rc = last_errno();
        goto out;
    }
    for (;;) {
        double left = remaining_s(deadline);
        if (left <= 0) {
            rc = -ETIMEDOUT;
            break;
        }
        tapir_settimeout(fd, left);
        ssize_t n = tapir_recv(fd, buf, DNS_TCP_MAX, 0);
        if (n < 0) {
            rc = last_errno();
            break;
        }
        if (accept(arg, buf, (size_t)n)) {
            rc = 0;
            break;
        }
    }
out:
    free(buf);
    tapir_close(fd);
    /* The resolver reports its own errors; a socket's is not the caller's. */
    tapir_set_error(saved.kind, saved.code, "%s", saved.message);
    return rc;
}

static int recv_exact(int fd, uint8_t *p, size_t n, uint64_t deadline)
{
    while (n > 0) {
        double left = remaining_s(deadline);
        if (left <= 0)
            return -ETIMEDOUT;
        tapir_settimeout(fd, left);
        ssize_t r = tapir_recv(fd, p, n, 0);
        if (r < 0)
            return last_errno();
        if (r == 0)
            return -ECONNRESET; /* closed before the whole answer */
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static ssize_t net_tcp(void *ctx, const struct endpoint *server, const uint8_t *q, size_t qlen,
                       uint8_t *resp, size_t cap, uint64_t deadline)
{
    (void)ctx;
    tapir_error saved = *tapir_last_error();
    ssize_t rc;
    int fd = tapir_socket(family_of(server), TAPIR_SOCK_STREAM, 0);
    if (fd < 0)
        return last_errno();
    tapir_addr peer;
    to_addr(server, &peer);
    uint8_t *msg = malloc(qlen + 2);
    if (!msg) {
        tapir_close(fd);
        return -ENOMEM;
    }
    msg[0] = (uint8_t)(qlen >> 8);
    msg[1] = (uint8_t)qlen;
    memcpy(msg + 2, q, qlen);
    uint8_t len[2];
    tapir_settimeout(fd, remaining_s(deadline) > 0 ? remaining_s(deadline) : 0.001);
    if (tapir_connect(fd, &peer) < 0 || tapir_sendall(fd, msg, qlen + 2, 0) < 0) {
        rc = last_errno();
        goto out;
    }
    if ((rc = recv_exact(fd, len, 2, deadline)) < 0)
        goto out;
    size_t n = (size_t)len[0] << 8 | len[1];
    if (n > cap || n < DNS_HDR_LEN) {
        rc = -EMSGSIZE;
        goto out;
    }
    if ((rc = recv_exact(fd, resp, n, deadline)) < 0)
        goto out;
    rc = (ssize_t)n;
out:
    free(msg);
    tapir_close(fd);
    tapir_set_error(saved.kind, saved.code, "%s", saved.message);
    return rc;
}

void resolver_net_transport(struct dns_transport *tr)
{
    memset(tr, 0, sizeof *tr);
    tr->udp = net_udp;
    tr->tcp = net_tcp;
    tr->now_us = net_now;
    tr->random16 = net_random16;
}
