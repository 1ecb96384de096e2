/* Raw IP sockets (SOCK_RAW), as on Linux:
 * - a raw socket of protocol P receives a copy of every IPv4 datagram of
 *   protocol P addressed to us (after reassembly), the IPv4 header included,
 *   before the protocol itself handles it (so a raw ICMP socket sees echo
 *   replies, errors, everything);
 * - send takes the protocol's header and data; the stack adds the IPv4
 *   header.  The caller fills the ICMP checksum, as Linux requires.
 * IPv6 raw sockets receive the payload only (no IPv6 header), as Linux; their
 * output goes through ip6_output.
 * - IP_HDRINCL (implied by IPPROTO_RAW, whose sockets only send): the caller
 *   writes the IPv4 header too; the stack fills the total length and header
 *   checksum, and the source and ID when they are zero (raw(7)).
 * - ICMP_FILTER (SOL_RAW) on an ICMP socket: a bit mask of ICMP types the
 *   socket does not want (bit t set: type t filtered out).
 * This is what tapir-ping stands on.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "stack/checksum.h"
#include "stack/dgram.h"
#include "stack/ip4.h"
#include "stack/socket.h"
#include "stack/stack.h"
#include "stack/udp.h"

#define ICMP_FILTER_OPT 1 /* <linux/icmp.h> ICMP_FILTER, level SOL_RAW */

struct raw_sock {
    struct sock s;
    struct raw_sock *prev, *next;  /* in the list of its protocol */
    struct ipaddr local;           /* any: wildcard */
    struct ipaddr peer;
    bool connected;
    bool shut_rd, shut_wr;
    bool hdrincl;
    uint32_t icmp_filter;          /* ICMP_FILTER: bit t set = drop type t */
    struct dgram_queue rq;
};

struct raw_table {
    struct raw_sock *by_proto[256];
    size_t count;
};

int raw_init(struct stack *st)
{
    st->raw = calloc(1, sizeof *st->raw);
    return st->raw ? 0 : -ENOMEM;
}

void raw_destroy(struct stack *st)
{
    if (!st->raw)
        return;
    for (int p = 0; p < 256; p++) {
        struct raw_sock *r = st->raw->by_proto[p];
        while (r) {
            struct raw_sock *n = r->next;
            dgq_clear(&r->rq);
            free(r);
            r = n;
        }
    }
    free(st->raw);
    st->raw = NULL;
}

bool raw_input(struct stack *st, const struct ip_rx *rx)
{
    bool took = false;
    for (struct raw_sock *r = st->raw->by_proto[rx->proto]; r; r = r->next) {
        if (r->s.family != rx->src.family)
            continue;
        if (!ipaddr_is_any(&r->local) && !ipaddr_eq(&r->local, &rx->dst))
            continue;
        if (r->connected && !ipaddr_eq(&r->peer, &rx->src))
            continue;
        if (r->s.bound_ifindex >= 0 && r->s.bound_ifindex != rx->ifindex)
            continue;
        took = true;
        if (r->shut_rd)
            continue;
        if (rx->proto == IPPROTO_NUM_ICMP && rx->src.family == TP_AF_INET && r->icmp_filter &&
            rx->l4_len > 0 && rx->l4[0] < 32 && (r->icmp_filter & (1u << rx->l4[0])))
            continue;
        struct endpoint from = {.addr = rx->src};
        if (rx->src.family == TP_AF_INET6 && rx->src.v6[0] == 0xfe && (rx->src.v6[1] & 0xc0) == 0x80)
            from.scope_id = (uint32_t)rx->ifindex;   /* a link-local peer: which link */
        size_t limit = r->s.rcvbuf ? r->s.rcvbuf : RAW_RCVQ_MAX_BYTES;
        bool ok;
        if (rx->src.family == TP_AF_INET)
            ok = dgq_push(&r->rq, &from, rx->ifindex, rx->ip_hdr, rx->ip_hdr_len, rx->l4, rx->l4_len,
                          limit);
        else
            ok = dgq_push(&r->rq, &from, rx->ifindex, rx->l4, rx->l4_len, NULL, 0, limit);
        if (!ok) {
            st->ctr.raw_rx_queue_full++;
            continue;
        }
        sock_wake(&r->s);
    }
    return took;
}

static int raw_bind(struct sock *s, const struct endpoint *local)
{
    struct raw_sock *r = (struct raw_sock *)s;
    if (local->addr.family == TP_AF_INET && local->addr.v4 &&
        !stack_is_local4(s->st, local->addr.v4) && !ip4_is_broadcast(s->st, local->addr.v4) &&
        !ip4_is_multicast(local->addr.v4))
        return -EADDRNOTAVAIL;
    r->local = local->addr;
    return 0;
}

static int raw_connect(struct sock *s, const struct endpoint *peer)
{
    struct raw_sock *r = (struct raw_sock *)s;
    if (peer->addr.family == TP_AF_UNSPEC) {
        r->connected = false;
        return 0;
    }
    if (peer->addr.family == TP_AF_INET && ip4_is_broadcast(s->st, peer->addr.v4) && !s->broadcast)
        return -EACCES;
    r->peer = peer->addr;
    r->connected = true;
    return 0;
}

static ssize_t raw_send(struct sock *s, const void *buf, size_t len, int flags,
                        const struct endpoint *to)
{
    struct raw_sock *r = (struct raw_sock *)s;
    (void)flags;
    if (s->so_error) {
        int e = s->so_error;
        s->so_error = 0;
        return -e;
    }
    if (r->shut_wr)
        return -EPIPE;
    struct ipaddr dst;
    if (to)
        dst = to->addr;
    else if (r->connected)
        dst = r->peer;
    else
        return -EDESTADDRREQ;
    size_t max = dst.family == TP_AF_INET && !r->hdrincl ? 65535 - 20 : 65535;
    if (len > max)
        return -EMSGSIZE;
    if (dst.family == TP_AF_INET && ip4_is_broadcast(s->st, dst.v4) && !s->broadcast)
        return -EACCES;
    struct pkt *p = pkt_alloc(len);
    if (!p)
        return -ENOBUFS;
    if (len)
        memcpy(pkt_put(p, len), buf, len);
    if (r->hdrincl && dst.family == TP_AF_INET) {
        /* Linux routes by the header's destination, which `to` usually repeats. */
        int e = ip4_output_hdrincl(s->st, p, s->bound_ifindex);
        return e ? e : (ssize_t)len;
    }
    struct ip_tx tx = {
        .dst = dst,
        .proto = (uint8_t)s->protocol,
        .ttl = s->ttl,
        .tos = s->tos,
        .ifindex = s->bound_ifindex,
    };
    if (!ipaddr_is_any(&r->local) && !(dst.family == TP_AF_INET && ip4_is_broadcast(s->st, r->local.v4)))
        tx.src = r->local;
    if (dst.family == TP_AF_INET6) {
        /* A link-local destination names its link by the scope id. */
        if (to && to->scope_id && (dst.v6[0] == 0xfe && (dst.v6[1] & 0xc0) == 0x80))
            tx.ifindex = (int)to->scope_id;
        /* ICMPv6: the stack computes the checksum (RFC 3542 3.1, as Linux
         * does for every raw ICMPv6 socket); it covers the source address,
         * so the source is chosen here. */
        if (s->protocol == IPPROTO_NUM_ICMPV6 && len >= 4) {
            if (tx.src.family != TP_AF_INET6 && !ip_select_source(s->st, &dst, &tx.src)) {
                pkt_free(p);
                return -EADDRNOTAVAIL;
            }
            p->data[2] = p->data[3] = 0;
            uint16_t c = csum_finish(csum_add(csum_pseudo(&tx.src, &dst, IPPROTO_NUM_ICMPV6, (uint32_t)len),
                                              p->data, len));
            p->data[2] = (uint8_t)(c >> 8);
            p->data[3] = (uint8_t)c;
        }
    }
    int err = ip_output(s->st, p, &tx);
    return err ? err : (ssize_t)len;
}

static ssize_t raw_recv(struct sock *s, void *buf, size_t len, int flags, struct endpoint *from,
                        size_t *full_len)
{
    struct raw_sock *r = (struct raw_sock *)s;
    if (s->so_error) {
        int e = s->so_error;
        s->so_error = 0;
        return -e;
    }
    ssize_t n = dgq_pop(&r->rq, buf, len, flags, from, full_len);
    if (n == -EAGAIN && r->shut_rd)
        return 0;
    return n;
}

static int raw_shutdown(struct sock *s, int how)
{
    struct raw_sock *r = (struct raw_sock *)s;
    if (how == SHUT_RD || how == SHUT_RDWR)
        r->shut_rd = true;
    if (how == SHUT_WR || how == SHUT_RDWR)
        r->shut_wr = true;
    sock_wake(s);
    return r->connected ? 0 : -ENOTCONN;
}

static void raw_close(struct sock *s)
{
    struct raw_sock *r = (struct raw_sock *)s;
    struct raw_table *t = s->st->raw;
    if (r->prev)
        r->prev->next = r->next;
    else
        t->by_proto[s->protocol] = r->next;
    if (r->next)
        r->next->prev = r->prev;
    t->count--;
    dgq_clear(&r->rq);
    free(r);
}

static uint32_t raw_poll(struct sock *s)
{
    struct raw_sock *r = (struct raw_sock *)s;
    uint32_t ev = 0;
    if (r->rq.head || r->shut_rd)
        ev |= SOCK_POLLIN;
    if (!r->shut_wr)
        ev |= SOCK_POLLOUT;
    if (s->so_error)
        ev |= SOCK_POLLERR;
    return ev;
}

static int raw_getname(struct sock *s, struct endpoint *out, bool peer)
{
    struct raw_sock *r = (struct raw_sock *)s;
    if (peer) {
        if (!r->connected)
            return -ENOTCONN;
        out->addr = r->peer;
        return 0;
    }
    out->addr = r->local;
    /* Linux reports the protocol number in the port field of a raw socket's name. */
    out->port = (uint16_t)s->protocol;
    return 0;
}

static int raw_setsockopt(struct sock *s, int level, int name, const void *val, size_t len)
{
    struct raw_sock *r = (struct raw_sock *)s;
    if (level == SOL_RAW && name == ICMP_FILTER_OPT) {
        if (s->family != TP_AF_INET || s->protocol != IPPROTO_ICMP)
            return -EOPNOTSUPP;
        if (len < sizeof(uint32_t))
            return -EINVAL;
        memcpy(&r->icmp_filter, val, sizeof(uint32_t));
        return 0;
    }
    if (level == IPPROTO_IP && name == IP_HDRINCL && s->family == TP_AF_INET) {
        int v;
        if (len < sizeof v)
            return -EINVAL;
        memcpy(&v, val, sizeof v);
        if (s->protocol == IPPROTO_RAW)
            return 0; /* always on */
        r->hdrincl = v != 0;
        return 0;
    }
    return sock_setsockopt_common(s, level, name, val, len);
}

static int raw_getsockopt(struct sock *s, int level, int name, void *val, size_t *len)
{
    struct raw_sock *r = (struct raw_sock *)s;
    if (level == SOL_RAW && name == ICMP_FILTER_OPT) {
        if (s->family != TP_AF_INET || s->protocol != IPPROTO_ICMP)
            return -EOPNOTSUPP;
        if (*len < sizeof(uint32_t))
            return -EINVAL;
        memcpy(val, &r->icmp_filter, sizeof(uint32_t));
        *len = sizeof(uint32_t);
        return 0;
    }
    if (level == IPPROTO_IP && name == IP_HDRINCL && s->family == TP_AF_INET) {
        int v = r->hdrincl;
        if (*len < sizeof v)
            return -EINVAL;
        memcpy(val, &v, sizeof v);
        *len = sizeof v;
        return 0;
    }
    return sock_getsockopt_common(s, level, name, val, len);
}

static const struct sock_proto raw_proto = {
    .name = "raw",
    .bind = raw_bind,
    .connect = raw_connect,
    .send = raw_send,
    .recv = raw_recv,
    .shutdown = raw_shutdown,
    .close = raw_close,
    .poll = raw_poll,
    .getname = raw_getname,
    .setsockopt = raw_setsockopt,
    .getsockopt = raw_getsockopt,
};

int raw_sock_create(struct stack *st, int family, int protocol, struct sock **out)
{
    *out = NULL;
    if (family != TP_AF_INET && family != TP_AF_INET6)
        return -EAFNOSUPPORT;
    if (protocol <= 0 || protocol > 255)
        return -EPROTONOSUPPORT;
    if (st->raw->count >= TAPIR_MAX_SOCKETS)
        return -ENFILE;
    struct raw_sock *r = calloc(1, sizeof *r);
    if (!r)
        return -ENOMEM;
    sock_init_common(&r->s, st, &raw_proto, family, SOCK_RAW, protocol);
    r->s.rcvbuf = RAW_RCVQ_MAX_BYTES;
    r->s.sndbuf = RAW_RCVQ_MAX_BYTES;
    r->local.family = (uint8_t)family;
    r->peer.family = (uint8_t)family;
    r->hdrincl = family == TP_AF_INET && protocol == IPPROTO_RAW;
    r->next = st->raw->by_proto[protocol];
    if (r->next)
        r->next->prev = r;
    st->raw->by_proto[protocol] = r;
    st->raw->count++;
    *out = &r->s;
    return 0;
}
