/* UDP (RFC 768, RFC 1122 4.1) at the stack level: sockets behind struct
 * sock_proto, family-neutral (IPv4 now, IPv6 through the same ip_output).
 *
 * Sockets are found by a hash of the local port, so a datagram costs one
 * short chain walk, never a scan of every socket.  Binding follows Linux:
 * two sockets may share a port when their addresses cannot both match a
 * datagram (different specific addresses or interfaces), or when both set
 * SO_REUSEADDR, or both set SO_REUSEPORT (then unicast datagrams are spread
 * over the group by a hash of the sender).  Port 0 picks an ephemeral port
 * at random in 32768-60999 (RFC 6056 algorithm 1: a random start, then the
 * next free one).
 *
 * Dual stack, as Linux: an AF_INET6 socket without IPV6_V6ONLY also takes
 * IPv4, naming IPv4 peers by mapped addresses (::ffff:a.b.c.d).  Bound to ::
 * it shares the IPv4 port space with AF_INET sockets; bound to a mapped
 * address it is an IPv4 socket in all but name.
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
#include "stack/wire/icmp.h"
#include "stack/wire/udp.h"

struct udp_sock {
    struct sock s;                 /* first: a struct sock * is a struct udp_sock * */
    struct udp_sock *hnext;
    struct udp_sock *all_prev, *all_next; /* every socket of the stack */
    bool hashed;
    struct endpoint local;         /* port 0: not bound yet; address any: wildcard */
    struct endpoint peer;
    bool connected;
    bool addr_locked, port_locked; /* chosen by the user's bind, kept across disconnect */
    bool shut_rd, shut_wr;
    struct dgram_queue rq;
};

struct udp_table {
    struct udp_sock *bucket[UDP_HASH_BUCKETS];
    struct udp_sock *all;
    size_t count;
};

static const struct sock_proto udp_proto;

int udp_init(struct stack *st)
{
    st->udp = calloc(1, sizeof *st->udp);
    return st->udp ? 0 : -ENOMEM;
}

void udp_destroy(struct stack *st)
{
    if (!st->udp)
        return;
    /* Sockets still open are freed with the stack (their users must not
     * touch them afterwards). */
    struct udp_sock *u = st->udp->all;
    while (u) {
        struct udp_sock *n = u->all_next;
        dgq_clear(&u->rq);
        free(u);
        u = n;
    }
    free(st->udp);
    st->udp = NULL;
}

size_t udp_sock_count(const struct stack *st)
{
    return st->udp->count;
}

static struct udp_sock **bucket(struct stack *st, uint16_t port)
{
    return &st->udp->bucket[port & (UDP_HASH_BUCKETS - 1)];
}

static void hash_add(struct stack *st, struct udp_sock *u)
{
    struct udp_sock **b = bucket(st, u->local.port);
    u->hnext = *b;
    *b = u;
    u->hashed = true;
}

static void hash_del(struct stack *st, struct udp_sock *u)
{
    if (!u->hashed)
        return;
    struct udp_sock **pp = bucket(st, u->local.port);
    while (*pp && *pp != u)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = u->hnext;
    u->hashed = false;
}

/* ---- addresses as a socket sees them ---- */

/* An address from the wire (IPv4 or IPv6) in the socket's own family: IPv4
 * becomes mapped for a dual-stack AF_INET6 socket.  false: the socket cannot
 * see this family at all. */
static bool as_sock_addr(const struct udp_sock *u, const struct ipaddr *a, struct ipaddr *out)
{
    if (u->s.family == a->family) {
        *out = *a;
        return true;
    }
    if (u->s.family == TP_AF_INET6 && a->family == TP_AF_INET && !u->s.v6only) {
        *out = ipaddr_map4(a->v4);
        return true;
    }
    return false;
}

/* An address the user gave (in the socket's family) as it goes on the wire:
 * mapped addresses become IPv4.  false: a V6ONLY socket and a mapped address. */
static bool to_wire(const struct udp_sock *u, const struct ipaddr *a, struct ipaddr *out)
{
    if (ipaddr_is_v4mapped(a)) {
        if (u->s.v6only)
            return false;
        *out = ip4(ipaddr_unmap4(a));
        return true;
    }
    *out = *a;
    return true;
}

/* The socket's bound address in IPv4 terms (0 = any), if it takes IPv4. */
static bool view4(int family, bool v6only, const struct ipaddr *a, uint32_t *out)
{
    if (family == TP_AF_INET) {
        *out = a->v4;
        return true;
    }
    if (v6only)
        return false;
    if (ipaddr_is_any(a)) {
        *out = 0;
        return true;
    }
    if (ipaddr_is_v4mapped(a)) {
        *out = ipaddr_unmap4(a);
        return true;
    }
    return false;
}

/* ... and in IPv6 terms, if it takes IPv6. */
static bool view6(int family, const struct ipaddr *a, struct ipaddr *out)
{
    if (family != TP_AF_INET6 || ipaddr_is_v4mapped(a))
        return false;
    *out = *a;
    return true;
}

/* The interface a link-scoped address's scope id names (RFC 4007 11.7:
 * fe80::1%2), against the one the socket is tied to.  -EINVAL when they
 * differ (Linux); else 0 with *oif: the interface to use, -1 any. */
static int scope_oif(const struct sock *s, const struct endpoint *ep, int *oif)
{
    *oif = s->bound_ifindex;
    if (!ipaddr_is_link_scoped(&ep->addr) || ep->scope_id == 0)
        return 0;
    if (s->bound_ifindex >= 0 && (uint32_t)s->bound_ifindex != ep->scope_id)
        return -EINVAL;
    *oif = (int)ep->scope_id;
    return 0;
}

/* ---- binding ---- */

static bool addr_overlap(const struct ipaddr *a, const struct ipaddr *b)
{
    return ipaddr_is_any(a) || ipaddr_is_any(b) || ipaddr_eq(a, b);
}

/* Would u, bound to addr:port, take datagrams some other socket takes too? */
static bool port_conflict(struct stack *st, const struct udp_sock *u, uint16_t port,
                          const struct ipaddr *addr)
{
    uint32_t u4 = 0, o4 = 0;
    struct ipaddr u6, o6;
    bool has4 = view4(u->s.family, u->s.v6only, addr, &u4);
    bool has6 = view6(u->s.family, addr, &u6);
    for (const struct udp_sock *o = *bucket(st, port); o; o = o->hnext) {
        if (o == u || o->local.port != port)
            continue;
        bool overlap = (has4 && view4(o->s.family, o->s.v6only, &o->local.addr, &o4) &&
                        (u4 == 0 || o4 == 0 || u4 == o4)) ||
                       (has6 && view6(o->s.family, &o->local.addr, &o6) && addr_overlap(&u6, &o6));
        if (!overlap)
            continue;
        if (o->s.bound_ifindex >= 0 && u->s.bound_ifindex >= 0 &&
            o->s.bound_ifindex != u->s.bound_ifindex)
            continue;
        if (o->s.reuseaddr && u->s.reuseaddr)
            continue;
        if (o->s.reuseport && u->s.reuseport)
            continue;
        return true;
    }
    return false;
}

static uint16_t pick_ephemeral(struct stack *st, const struct udp_sock *u, const struct ipaddr *addr)
{
    uint32_t range = UDP_EPHEMERAL_HIGH - UDP_EPHEMERAL_LOW + 1;
    uint32_t start = rng_below(&st->rng, range);
    for (uint32_t i = 0; i < range; i++) {
        uint16_t port = (uint16_t)(UDP_EPHEMERAL_LOW + (start + i) % range);
        if (!port_conflict(st, u, port, addr))
            return port;
    }
    return 0;
}

/* Broadcast/multicast test on a wire address. */
static bool is_broadcast(struct stack *st, const struct ipaddr *a)
{
    return a->family == TP_AF_INET && ip4_is_broadcast(st, a->v4);
}

static bool is_group(struct stack *st, const struct ipaddr *a)
{
    if (a->family == TP_AF_INET)
        return ip4_is_broadcast(st, a->v4) || ip4_is_multicast(a->v4);
    return a->family == TP_AF_INET6 && a->v6[0] == 0xff;
}

static bool addr_bindable(struct stack *st, const struct ipaddr *wire)
{
    if (ipaddr_is_any(wire))
        return true;
    if (wire->family == TP_AF_INET)
        return stack_is_local4(st, wire->v4) || ip4_is_broadcast(st, wire->v4) ||
               ip4_is_multicast(wire->v4);
    return true; /* IPv6: the IPv6 module will say; until then any address */
}

static int autobind(struct udp_sock *u)
{
    if (u->local.port)
        return 0;
    uint16_t port = pick_ephemeral(u->s.st, u, &u->local.addr);
    if (!port)
        return -EAGAIN; /* Linux's answer when the range is exhausted */
    u->local.port = port;
    hash_add(u->s.st, u);
    return 0;
}

static int udp_bind(struct sock *s, const struct endpoint *local)
{
    struct udp_sock *u = (struct udp_sock *)s;
    if (u->local.port)
        return -EINVAL;
    struct ipaddr wire;
    if (!to_wire(u, &local->addr, &wire))
        return -EINVAL; /* Linux: a V6ONLY socket cannot bind a mapped address */
    if (!addr_bindable(s->st, &wire))
        return -EADDRNOTAVAIL;
    /* A link-local address with its scope id ties the socket to that
     * interface (Linux inet6_bind). */
    int oif;
    if (scope_oif(s, local, &oif))
        return -EINVAL;
    uint16_t port = local->port;
    if (port == 0)
        port = pick_ephemeral(s->st, u, &local->addr);
    else if (port_conflict(s->st, u, port, &local->addr))
        return -EADDRINUSE;
    if (port == 0)
        return -EADDRINUSE;
    u->local.addr = local->addr;
    u->local.port = port;
    u->local.scope_id = local->scope_id;
    s->bound_ifindex = oif;
    u->addr_locked = !ipaddr_is_any(&local->addr);
    u->port_locked = local->port != 0;
    hash_add(s->st, u);
    return 0;
}

/* Linux: a datagram to 0.0.0.0 (or ::) goes to ourselves. */
static struct ipaddr fix_any_dst(const struct ipaddr *a)
{
    if (a->family == TP_AF_INET && a->v4 == 0)
        return ip4(IP4(127, 0, 0, 1));
    if (a->family == TP_AF_INET6 && ipaddr_is_any(a)) {
        struct ipaddr lo = *a;
        lo.v6[15] = 1;
        return lo;
    }
    return *a;
}

static int udp_connect(struct sock *s, const struct endpoint *peer)
{
    struct udp_sock *u = (struct udp_sock *)s;
    struct stack *st = s->st;
    if (peer->addr.family == TP_AF_UNSPEC) {
        /* Dissolve the association; what connect chose goes too. */
        u->connected = false;
        memset(&u->peer, 0, sizeof u->peer);
        if (!u->addr_locked) {
            memset(&u->local.addr, 0, sizeof u->local.addr);
            u->local.addr.family = (uint8_t)s->family;
            s->bound_ifindex = -1;   /* the interface connect tied it to goes too */
        }
        if (!u->port_locked && u->local.port) {
            hash_del(st, u);
            u->local.port = 0;
        }
        sock_wake(s);
        return 0;
    }
    struct ipaddr dst = fix_any_dst(&peer->addr), wdst;
    if (!to_wire(u, &dst, &wdst))
        return -ENETUNREACH;
    if (is_broadcast(st, &wdst) && !s->broadcast)
        return -EACCES;
    /* A link-local peer's scope id ties the socket to its interface (Linux
     * ip6_datagram_connect). */
    int oif;
    if (scope_oif(s, peer, &oif))
        return -EINVAL;
    struct ipaddr src = u->local.addr;
    if (!u->addr_locked || ipaddr_is_any(&src)) {
        struct ipaddr wsrc;
        if (!ip_select_source_on(st, &wdst, oif, &wsrc) || !as_sock_addr(u, &wsrc, &src))
            return -ENETUNREACH;
    }
    int err = autobind(u);
    if (err)
        return err;
    s->bound_ifindex = oif;
    u->local.addr = src;
    u->peer = *peer;
    u->peer.addr = dst;
    u->connected = true;
    sock_wake(s);
    return 0;
}

/* ---- sending ---- */

static ssize_t udp_send(struct sock *s, const void *buf, size_t len, int flags,
                        const struct endpoint *to)
{
    struct udp_sock *u = (struct udp_sock *)s;
    struct stack *st = s->st;
    /* Linux's order (udp_sendmsg): MSG_OOB, then the destination, the
     * route and the size; shutdown and a pending error only when the
     * datagram is being built (sock_alloc_send_skb). */
    if (flags & MSG_OOB)
        return -EOPNOTSUPP;
    struct endpoint dst;
    if (to)
        dst = *to;
    else if (u->connected)
        dst = u->peer;
    else
        return -EDESTADDRREQ;
    dst.addr = fix_any_dst(&dst.addr);
    if (dst.port == 0)
        return -EINVAL;
    struct ipaddr wdst; /* dst as it goes on the wire */
    if (!to_wire(u, &dst.addr, &wdst))
        return -ENETUNREACH;
    size_t max = wdst.family == TP_AF_INET ? 65535 - 20 - UDP_HDR_LEN : 65535 - UDP_HDR_LEN;
    if (len > max)
        return -EMSGSIZE;
    if (is_broadcast(st, &wdst) && !s->broadcast)
        return -EACCES;
    int oif;   /* a link-local destination's scope id picks the interface */
    if (scope_oif(s, &dst, &oif))
        return -EINVAL;
    int err = autobind(u);
    if (err)
        return err;
    struct ipaddr src;
    if (!ipaddr_is_any(&u->local.addr) && (u->connected || !is_group(st, &u->local.addr))) {
        /* Bound (or connected) to a unicast address: it is the source, and
         * it must be of the destination's family. */
        if (!to_wire(u, &u->local.addr, &src) || src.family != wdst.family)
            return -ENETUNREACH;
    } else if (!ip_select_source_on(st, &wdst, oif, &src)) {
        return -ENETUNREACH;
    }
    if (u->shut_wr)
        return -EPIPE;
    if (s->so_error) {
        /* A pending error (ICMP port unreachable on a connected socket) is
         * reported once by the next call, as Linux does. */
        int e = s->so_error;
        s->so_error = 0;
        return -e;
    }
    struct pkt *p = pkt_alloc(UDP_HDR_LEN + len);
    if (!p)
        return -ENOBUFS;
    uint8_t *h = pkt_put(p, UDP_HDR_LEN + len);
    if (len)
        memcpy(h + UDP_HDR_LEN, buf, len);
    struct udp_hdr uh = {.sport = u->local.port, .dport = dst.port};
    udp_emit(&uh, h, len, &src, &wdst);
    struct ip_tx tx = {
        .src = src,
        .dst = wdst,
        .proto = IPPROTO_NUM_UDP,
        .ttl = is_group(st, &wdst) && !is_broadcast(st, &wdst) ? (uint8_t)s->mcast_ttl : s->ttl,
        .tos = s->tos,
        .df = sock_ip_df(s, false),   /* only IP_MTU_DISCOVER asks for DF */
        .ifindex = oif,
    };
    err = ip_output(st, p, &tx);
    if (err)
        return err;
    st->ctr.udp_tx++;
    return (ssize_t)len;
}

/* ---- receiving ---- */

static ssize_t udp_recv(struct sock *s, void *buf, size_t len, int flags, struct endpoint *from,
                        size_t *full_len)
{
    struct udp_sock *u = (struct udp_sock *)s;
    if (s->so_error) {
        int e = s->so_error;
        s->so_error = 0;
        return -e;
    }
    ssize_t n = dgq_pop(&u->rq, buf, len, flags, from, full_len);
    if (n == -EAGAIN && u->shut_rd)
        return 0;
    return n;
}

/* Does u take a datagram src:sport -> dst:dport (addresses in the socket's
 * family, from as_sock_addr)? */
static bool matches(const struct udp_sock *u, const struct ip_rx *rx, uint16_t sport, uint16_t dport,
                    struct ipaddr *from)
{
    struct ipaddr src, dst;
    if (u->local.port != dport || !as_sock_addr(u, &rx->src, &src) || !as_sock_addr(u, &rx->dst, &dst))
        return false;
    if (!ipaddr_is_any(&u->local.addr) && !ipaddr_eq(&u->local.addr, &dst))
        return false;
    if (u->connected && (u->peer.port != sport || !ipaddr_eq(&u->peer.addr, &src)))
        return false;
    if (u->s.bound_ifindex >= 0 && u->s.bound_ifindex != rx->ifindex)
        return false;
    if (from)
        *from = src;
    return true;
}

static int score(const struct udp_sock *u)
{
    return (ipaddr_is_any(&u->local.addr) ? 0 : 2) + (u->connected ? 4 : 0) +
           (u->s.bound_ifindex >= 0 ? 1 : 0) + (u->s.family == TP_AF_INET ? 1 : 0);
}

static void deliver(struct stack *st, struct udp_sock *u, const struct ip_rx *rx, uint16_t sport,
                    const uint8_t *payload, size_t plen)
{
    struct endpoint from = {.port = sport};
    if (!as_sock_addr(u, &rx->src, &from.addr))
        return;
    /* An IPv6 link-local source is only meaningful with its interface. */
    if (from.addr.family == TP_AF_INET6 && from.addr.v6[0] == 0xfe && (from.addr.v6[1] & 0xc0) == 0x80)
        from.scope_id = (uint32_t)rx->ifindex;
    size_t limit = u->s.rcvbuf ? u->s.rcvbuf : UDP_RCVQ_MAX_BYTES;
    if (u->shut_rd || !dgq_push(&u->rq, &from, rx->ifindex, payload, plen, NULL, 0, limit)) {
        st->ctr.udp_rx_queue_full++;
        return;
    }
    sock_wake(&u->s);
}

void udp_input(struct stack *st, const struct ip_rx *rx)
{
    struct udp_hdr h;
    st->ctr.udp_rx++;
    if (udp_parse(rx->l4, rx->l4_len, &h, &rx->src, &rx->dst) != 0) {
        st->ctr.udp_rx_bad++;
        return;
    }
    const uint8_t *payload = rx->l4 + UDP_HDR_LEN;
    size_t plen = h.len - UDP_HDR_LEN;
    struct udp_sock *chain = *bucket(st, h.dport);

    if (rx->dst_broadcast || rx->dst_multicast) {
        /* Every socket that matches gets a copy (RFC 1122 4.1.3.6 leaves
         * the choice; Linux delivers to all). */
        bool any = false;
        for (struct udp_sock *u = chain; u; u = u->hnext) {
            if (matches(u, rx, h.sport, h.dport, NULL)) {
                deliver(st, u, rx, h.sport, payload, plen);
                any = true;
            }
        }
        if (!any)
            st->ctr.udp_rx_no_port++;
        return;
    }
    /* Unicast: the most specific socket; a SO_REUSEPORT group at the same
     * specificity shares the load by a hash of the sender. */
    struct udp_sock *best = NULL;
    int best_score = -1, ties = 0;
    for (struct udp_sock *u = chain; u; u = u->hnext) {
        if (!matches(u, rx, h.sport, h.dport, NULL))
            continue;
        int sc = score(u);
        if (sc > best_score) {
            best = u;
            best_score = sc;
            ties = 1;
        } else if (sc == best_score && u->s.reuseport && best->s.reuseport) {
            ties++;
        }
    }
    if (best && ties > 1) {
        struct {
            struct ipaddr a;
            uint16_t p;
        } key;
        memset(&key, 0, sizeof key);
        key.a = rx->src;
        key.p = h.sport;
        uint32_t pick = (uint32_t)(siphash24(st->secret, &key, sizeof key) % (uint32_t)ties);
        for (struct udp_sock *u = chain; u; u = u->hnext) {
            if (matches(u, rx, h.sport, h.dport, NULL) && score(u) == best_score && u->s.reuseport) {
                if (pick-- == 0) {
                    best = u;
                    break;
                }
            }
        }
    }
    if (!best) {
        st->ctr.udp_rx_no_port++;
        icmp_send_unreachable(st, rx, ICMP_PORT_UNREACH);
        return;
    }
    deliver(st, best, rx, h.sport, payload, plen);
}

void udp_icmp_error(struct stack *st, const struct icmp_error *e)
{
    if (e->l4_len < UDP_HDR_LEN)
        return;
    uint16_t sport = get16(e->l4), dport = get16(e->l4 + 2);
    for (struct udp_sock *u = *bucket(st, sport); u; u = u->hnext) {
        struct ipaddr us, them;
        if (u->local.port != sport || !as_sock_addr(u, &e->src, &us) || !as_sock_addr(u, &e->dst, &them))
            continue;
        if (!ipaddr_is_any(&u->local.addr) && !ipaddr_eq(&u->local.addr, &us))
            continue;
        /* Linux without IP_RECVERR: only a connected socket hears of it, and
         * only of hard errors (so an unconnected server is not disturbed by
         * one unreachable client). */
        if (!u->connected || u->peer.port != dport || !ipaddr_eq(&u->peer.addr, &them))
            continue;
        if (!e->hard)
            continue;
        u->s.so_error = e->err;
        sock_wake(&u->s);
    }
}

/* ---- the rest of the socket calls ---- */

static int udp_shutdown(struct sock *s, int how)
{
    struct udp_sock *u = (struct udp_sock *)s;
    if (how == SHUT_RD || how == SHUT_RDWR)
        u->shut_rd = true;
    if (how == SHUT_WR || how == SHUT_RDWR)
        u->shut_wr = true;
    sock_wake(s);
    /* Linux sets the flags and still answers ENOTCONN when not connected. */
    return u->connected ? 0 : -ENOTCONN;
}

static void udp_close(struct sock *s)
{
    struct udp_sock *u = (struct udp_sock *)s;
    struct udp_table *t = s->st->udp;
    hash_del(s->st, u);
    dgq_clear(&u->rq);
    if (u->all_prev)
        u->all_prev->all_next = u->all_next;
    else
        t->all = u->all_next;
    if (u->all_next)
        u->all_next->all_prev = u->all_prev;
    t->count--;
    free(u);
}

static uint32_t udp_poll(struct sock *s)
{
    struct udp_sock *u = (struct udp_sock *)s;
    uint32_t ev = 0;
    if (u->rq.head || u->shut_rd)
        ev |= SOCK_POLLIN;
    if (u->shut_rd)
        ev |= SOCK_POLLRDHUP;
    if (!u->shut_wr)
        ev |= SOCK_POLLOUT;
    if (s->so_error)
        ev |= SOCK_POLLERR;
    if (u->shut_rd && u->shut_wr)
        ev |= SOCK_POLLHUP;
    return ev;
}

static int udp_getname(struct sock *s, struct endpoint *out, bool peer)
{
    struct udp_sock *u = (struct udp_sock *)s;
    if (peer) {
        if (!u->connected)
            return -ENOTCONN;
        *out = u->peer;
        return 0;
    }
    *out = u->local;
    return 0;
}

static int udp_setsockopt(struct sock *s, int level, int name, const void *val, size_t len)
{
    struct udp_sock *u = (struct udp_sock *)s;
    /* Linux: the socket's family view is fixed once it has a port. */
    if (level == IPPROTO_IPV6 && name == IPV6_V6ONLY && u->local.port)
        return -EINVAL;
    return sock_setsockopt_common(s, level, name, val, len);
}

static const struct sock_proto udp_proto = {
    .name = "udp",
    .bind = udp_bind,
    .connect = udp_connect,
    .send = udp_send,
    .recv = udp_recv,
    .shutdown = udp_shutdown,
    .close = udp_close,
    .poll = udp_poll,
    .getname = udp_getname,
    .setsockopt = udp_setsockopt,
};

int udp_sock_create(struct stack *st, int family, struct sock **out)
{
    *out = NULL;
    if (family != TP_AF_INET && family != TP_AF_INET6)
        return -EAFNOSUPPORT;
    if (st->udp->count >= TAPIR_MAX_SOCKETS)
        return -ENFILE;
    struct udp_sock *u = calloc(1, sizeof *u);
    if (!u)
        return -ENOMEM;
    sock_init_common(&u->s, st, &udp_proto, family, SOCK_DGRAM, IPPROTO_UDP);
    u->s.rcvbuf = UDP_RCVQ_MAX_BYTES;
    u->s.sndbuf = UDP_RCVQ_MAX_BYTES;
    u->local.addr.family = (uint8_t)family;
    u->all_next = st->udp->all;
    if (u->all_next)
        u->all_next->all_prev = u;
    st->udp->all = u;
    st->udp->count++;
    *out = &u->s;
    return 0;
}
