/* The protocol-neutral half of the stack's socket layer: argument checks
 * every protocol shares, the SOL_SOCKET options, and dispatch. */
#include "stack/socket.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "stack/stack.h"
#include "stack/unix.h"

#ifndef SO_ZEROCOPY
#define SO_ZEROCOPY 60    /* Linux 4.14; older libc headers lack it */
#endif

int sock_create(struct stack *st, int family, int type, int protocol, struct sock **out)
{
    *out = NULL;
    type &= ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (family == TP_AF_UNIX) {
        /* Linux: protocol 0 or PF_UNIX. */
        if (protocol != 0 && protocol != TP_AF_UNIX)
            return -EPROTONOSUPPORT;
        return unix_sock_create(st, type, out);
    }
    if (family != TP_AF_INET && family != TP_AF_INET6)
        return -EAFNOSUPPORT;
    switch (type) {
    case SOCK_STREAM:
        if (protocol != 0 && protocol != IPPROTO_TCP)
            return -EPROTONOSUPPORT;
        return tcp_sock_create(st, family, out);
    case SOCK_DGRAM:
        if (protocol != 0 && protocol != IPPROTO_UDP)
            return -EPROTONOSUPPORT;
        return udp_sock_create(st, family, out);
    case SOCK_RAW:
        /* Linux: a raw socket needs a protocol; 0 is refused. */
        if (protocol <= 0 || protocol > 255)
            return -EPROTONOSUPPORT;
        return raw_sock_create(st, family, protocol, out);
    default:
        return -ESOCKTNOSUPPORT;
    }
}

int sock_socketpair(struct stack *st, int family, int type, int protocol, struct sock **a, struct sock **b)
{
    *a = *b = NULL;
    type &= ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (family != TP_AF_UNIX)
        return family == TP_AF_INET || family == TP_AF_INET6 ? -EOPNOTSUPP : -EAFNOSUPPORT;
    if (protocol != 0 && protocol != TP_AF_UNIX)
        return -EPROTONOSUPPORT;
    return unix_sock_pair(st, type, a, b);
}

void sock_init_common(struct sock *s, struct stack *st, const struct sock_proto *proto, int family,
                      int type, int protocol)
{
    memset(s, 0, sizeof *s);
    s->proto = proto;
    s->st = st;
    s->family = family;
    s->type = type;
    s->protocol = protocol;
    s->bound_ifindex = -1;
    s->pmtudisc = SOCK_PMTUDISC_UNSET;
    s->mcast_ttl = 1;
    s->mcast_loop = true;
}

/* IP_MTU_DISCOVER (Linux, ip(7)): DONT never sets DF and ignores path MTU
 * information; WANT and DO set DF and follow the path MTU (WANT would let
 * the kernel fragment oversized datagrams locally: tapir's UDP sends them
 * with DF and gets EMSGSIZE, as DO); PROBE sets DF but ignores the path MTU;
 * INTERPRET sets DF and believes only its own socket's errors (here: DF, no
 * path MTU update); OMIT never sets DF and ignores the path MTU. */
bool sock_ip_df(const struct sock *s, bool dflt)
{
    switch (s->pmtudisc) {
    case SOCK_PMTUDISC_UNSET: return dflt;
    case IP_PMTUDISC_DONT:
    case IP_PMTUDISC_OMIT: return false;
    default: return true;
    }
}

bool sock_accepts_pmtu(const struct sock *s)
{
    return s->pmtudisc == SOCK_PMTUDISC_UNSET || s->pmtudisc == IP_PMTUDISC_WANT ||
           s->pmtudisc == IP_PMTUDISC_DO || s->pmtudisc == IP_PMTUDISC_PROBE;
}

void sock_set_wake(struct sock *s, sock_wake_fn fn, void *ctx)
{
    s->wake = fn;
    s->wake_ctx = ctx;
}

static int check_endpoint(const struct sock *s, const struct endpoint *ep)
{
    if (!ep)
        return -EFAULT;
    if (ep->addr.family == s->family)
        return 0;
    /* An AF_INET6 socket may be given an IPv4 peer only as a mapped address,
     * which the caller (api/) has already turned into an IPv6 one. */
    return -EAFNOSUPPORT;
}

int sock_bind(struct sock *s, const struct endpoint *local)
{
    int err = check_endpoint(s, local);
    if (err)
        return err == -EAFNOSUPPORT && s->family == TP_AF_INET ? -EAFNOSUPPORT : err;
    return s->proto->bind ? s->proto->bind(s, local) : -EOPNOTSUPP;
}

int sock_listen(struct sock *s, int backlog)
{
    return s->proto->listen ? s->proto->listen(s, backlog) : -EOPNOTSUPP;
}

int sock_accept(struct sock *s, struct sock **child, struct endpoint *peer)
{
    *child = NULL;
    return s->proto->accept ? s->proto->accept(s, child, peer) : -EOPNOTSUPP;
}

int sock_connect(struct sock *s, const struct endpoint *peer)
{
    if (!peer)
        return -EFAULT;
    /* AF_UNSPEC dissolves a datagram socket's association (connect(2)). */
    if (peer->addr.family != TP_AF_UNSPEC) {
        int err = check_endpoint(s, peer);
        if (err)
            return err;
    }
    return s->proto->connect ? s->proto->connect(s, peer) : -EOPNOTSUPP;
}

ssize_t sock_send(struct sock *s, const void *buf, size_t len, int flags, const struct endpoint *to)
{
    if (!buf && len)
        return -EFAULT;
    if (to && s->type != SOCK_STREAM) {
        int err = check_endpoint(s, to);
        if (err)
            return err;
    }
    return s->proto->send(s, buf, len, flags, to);
}

ssize_t sock_recv(struct sock *s, void *buf, size_t len, int flags, struct endpoint *from,
                  size_t *full_len)
{
    if (!buf && len)
        return -EFAULT;
    return s->proto->recv(s, buf, len, flags, from, full_len);
}

int sock_shutdown(struct sock *s, int how)
{
    if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
        return -EINVAL;
    return s->proto->shutdown ? s->proto->shutdown(s, how) : -EOPNOTSUPP;
}

void sock_close(struct sock *s)
{
    if (!s)
        return;
    /* From here on the user holds no reference: never wake it again. */
    s->wake = NULL;
    s->wake_ctx = NULL;
    s->proto->close(s);
}

int sock_setsockopt(struct sock *s, int level, int name, const void *val, size_t len)
{
    if (!val && len)
        return -EFAULT;
    if (s->proto->setsockopt)
        return s->proto->setsockopt(s, level, name, val, len);
    return sock_setsockopt_common(s, level, name, val, len);
}

int sock_getsockopt(struct sock *s, int level, int name, void *val, size_t *len)
{
    if (!val || !len)
        return -EFAULT;
    if (s->proto->getsockopt)
        return s->proto->getsockopt(s, level, name, val, len);
    return sock_getsockopt_common(s, level, name, val, len);
}

uint32_t sock_poll(struct sock *s)
{
    return s->proto->poll(s);
}

int sock_getname(struct sock *s, struct endpoint *out, bool peer)
{
    memset(out, 0, sizeof *out);
    return s->proto->getname(s, out, peer);
}

static int get_int(const void *val, size_t len, int *out)
{
    /* Linux accepts a shorter value for boolean options only as a char; we
     * keep to int, as Python passes. */
    if (len < sizeof(int))
        return -EINVAL;
    memcpy(out, val, sizeof(int));
    return 0;
}

/* Linux's getsockopt: a buffer shorter than an int gets its first bytes
 * (sk_getsockopt, do_ipv6_getsockopt); len 0 is no error. */
static int put_int(void *val, size_t *len, int v)
{
    size_t n = *len < sizeof v ? *len : sizeof v;
    memcpy(val, &v, n);
    *len = n;
    return 0;
}

/* do_ip_getsockopt: a buffer shorter than an int gets a value that fits a
 * byte as one unsigned char. */
static int put_ip_int(void *val, size_t *len, int v)
{
    if (*len > 0 && *len < sizeof(int) && v >= 0 && v <= 255) {
        *(uint8_t *)val = (uint8_t)v;
        *len = 1;
        return 0;
    }
    return put_int(val, len, v);
}

/* IP_TTL: 1..255, -1 the stack's default (Linux: 0 is EINVAL).
 * IPV6_UNICAST_HOPS: -1..255; tapir stores 0 as "the default" too (it
 * sends no hop limit 0). */
static int set_hop_limit(struct sock *s, int v, bool zero_ok)
{
    if (v == -1 || (v == 0 && zero_ok))
        v = 0;
    else if (v < 1 || v > 255)
        return -EINVAL;
    s->ttl = (uint8_t)v;
    return 0;
}

/* IP_TOS / IPV6_TCLASS: on a stream socket the ECN bits are TCP's and a
 * new value leaves them as they were (Linux: __ip_sock_set_tos, and
 * do_ipv6_setsockopt's IPV6_TCLASS). */
static uint8_t tos_value(const struct sock *s, int v)
{
    uint8_t t = (uint8_t)v;
    if (s->type == SOCK_STREAM)
        t = (uint8_t)((t & ~3u) | (s->tos & 3u));
    return t;
}


int sock_setsockopt_common(struct sock *s, int level, int name, const void *val, size_t len)
{
    int v, err;
    if (level == SOL_SOCKET) {
        if (name == SO_LINGER)
            return -ENOPROTOOPT; /* protocol's (TCP) */
        if ((err = get_int(val, len, &v)))
            return err;
        switch (name) {
        case SO_REUSEADDR: s->reuseaddr = v != 0; return 0;
        case SO_REUSEPORT: s->reuseport = v != 0; return 0;
        case SO_BROADCAST: s->broadcast = v != 0; return 0;
        case SO_KEEPALIVE: s->keepalive = v != 0; return 0;
        /* Linux lets a privileged caller set any priority and SO_DEBUG;
         * tapir has no privileges to check, and neither changes what it
         * does (no queueing discipline, no debug tracing). */
        case SO_PRIORITY: s->priority = v; return 0;
        case SO_DEBUG: s->debug = v != 0; return 0;
        /* A cap on TCP's pacing rate, bytes/s; ~0 lifts it.  As in Linux,
         * a cap turns pacing on for the socket even without the stack-wide
         * setting, and for good (sk_pacing_status SK_PACING_NEEDED). */
        case SO_MAX_PACING_RATE:
            s->pacing_capped = v != -1;
            if (s->pacing_capped)
                s->pacing_needed = true;
            s->max_pacing_rate = (uint32_t)v;
            return 0;
        case SO_ZEROCOPY:
            /* Linux takes it on TCP and UDP sockets, 0 or 1.  tapir always
             * copies the data at send time (one copy into the send buffer),
             * so the flag changes nothing but what getsockopt reports, and
             * no completion notices are queued: see api/tapir.h. */
            if (!(s->type == SOCK_STREAM || (s->type == SOCK_DGRAM && s->protocol == IPPROTO_UDP)))
                return -EOPNOTSUPP;
            if (v < 0 || v > 1)
                return -EINVAL;
            s->zerocopy = v != 0;
            return 0;
        case SO_SNDBUF:
        case SO_RCVBUF: {
            /* Linux doubles the value (bookkeeping overhead) and enforces a minimum. */
            if (v < 0)
                v = 0;
            uint32_t dbl = (uint32_t)v > (1u << 30) ? (1u << 31) : (uint32_t)v * 2;
            if (name == SO_SNDBUF)
                s->sndbuf = dbl < 4608 ? 4608 : dbl;
            else
                s->rcvbuf = dbl < 2304 ? 2304 : dbl;
            return 0;
        }
        default: return -ENOPROTOOPT;
        }
    }
    if (level == IPPROTO_IPV6 && s->family == TP_AF_INET6) {
        if ((err = get_int(val, len, &v)))
            return err;
        switch (name) {
        case IPV6_V6ONLY: s->v6only = v != 0; return 0;
        case IPV6_UNICAST_HOPS: return set_hop_limit(s, v, true);
        /* The multicast pair shares the IPv4 fields: an AF_INET6 socket
         * takes no IPv4-level options here.  Linux: the hops are not for a
         * stream socket (ENOPROTOOPT), -1 is the default 1; the loop flag
         * is 0 or 1. */
        case IPV6_MULTICAST_HOPS:
            if (s->type == SOCK_STREAM)
                return -ENOPROTOOPT;
            if (v < -1 || v > 255)
                return -EINVAL;
            s->mcast_ttl = v == -1 ? 1 : v;
            return 0;
        case IPV6_MULTICAST_LOOP:
            if (v != 0 && v != 1)
                return -EINVAL;
            s->mcast_loop = v;
            return 0;
        case IPV6_TCLASS: s->tos = tos_value(s, v < 0 ? 0 : v); return 0;
        default: return -ENOPROTOOPT;
        }
    }
    if (level == IPPROTO_IP && s->family == TP_AF_INET) {
        /* Linux's ip_setsockopt takes its integer options as an int, or as
         * a single byte when the caller passes less than an int. */
        if (len >= sizeof(int)) {
            memcpy(&v, val, sizeof v);
        } else if (len >= 1) {
            v = *(const uint8_t *)val;
        } else {
            return -EINVAL;
        }
        switch (name) {
        case IP_MTU_DISCOVER:
            if (v < IP_PMTUDISC_DONT || v > IP_PMTUDISC_OMIT)
                return -EINVAL;
            s->pmtudisc = (uint8_t)v;
            return 0;
        case IP_TTL: return set_hop_limit(s, v, false);
        case IP_TOS: s->tos = tos_value(s, v); return 0;
        case IP_MULTICAST_TTL:
            /* Linux: not on a stream socket; -1 is the default, 1. */
            if (s->type == SOCK_STREAM)
                return -EINVAL;
            if (v == -1)
                v = 1;
            if (v < 0 || v > 255)
                return -EINVAL;
            s->mcast_ttl = v;
            return 0;
        case IP_MULTICAST_LOOP: s->mcast_loop = v != 0; return 0;
        default: return -ENOPROTOOPT;
        }
    }
    return -ENOPROTOOPT;
}

int sock_getsockopt_common(struct sock *s, int level, int name, void *val, size_t *len)
{
    if (level == SOL_SOCKET) {
        switch (name) {
        case SO_REUSEADDR: return put_int(val, len, s->reuseaddr);
        case SO_REUSEPORT: return put_int(val, len, s->reuseport);
        case SO_BROADCAST: return put_int(val, len, s->broadcast);
        case SO_KEEPALIVE: return put_int(val, len, s->keepalive);
        case SO_PRIORITY: return put_int(val, len, s->priority);
        case SO_DEBUG: return put_int(val, len, s->debug);
        case SO_MAX_PACING_RATE: return put_int(val, len, s->pacing_capped ? (int)s->max_pacing_rate : -1);
        /* tapir's receive and send low-water marks are Linux's defaults,
         * 1 byte (SO_SNDLOWAT cannot be set on Linux either; setting
         * SO_RCVLOWAT is not implemented: ENOPROTOOPT). */
        case SO_RCVLOWAT:
        case SO_SNDLOWAT: return put_int(val, len, 1);
        case SO_ZEROCOPY: return put_int(val, len, s->zerocopy);
        case SO_TYPE: return put_int(val, len, s->type);
        case SO_PROTOCOL: return put_int(val, len, s->protocol);
        case SO_DOMAIN: return put_int(val, len, s->family);
        case SO_SNDBUF: return put_int(val, len, (int)s->sndbuf);
        case SO_RCVBUF: return put_int(val, len, (int)s->rcvbuf);
        case SO_ERROR: {
            int e = s->so_error;
            s->so_error = 0;
            return put_int(val, len, e);
        }
        default: return -ENOPROTOOPT;
        }
    }
    if (level == IPPROTO_IPV6 && s->family == TP_AF_INET6) {
        switch (name) {
        case IPV6_V6ONLY: return put_int(val, len, s->v6only);
        case IPV6_UNICAST_HOPS: return put_int(val, len, s->ttl ? s->ttl : 64);
        case IPV6_TCLASS: return put_int(val, len, s->tos);
        case IPV6_MULTICAST_HOPS: return put_int(val, len, s->mcast_ttl);
        case IPV6_MULTICAST_LOOP: return put_int(val, len, s->mcast_loop);
        default: return -ENOPROTOOPT;
        }
    }
    if (level == IPPROTO_IP && s->family == TP_AF_INET) {
        switch (name) {
        case IP_TTL: return put_ip_int(val, len, s->ttl ? s->ttl : s->st->cfg.ip_default_ttl);
        case IP_TOS: return put_ip_int(val, len, s->tos);
        case IP_MULTICAST_TTL: return put_ip_int(val, len, s->mcast_ttl);
        case IP_MULTICAST_LOOP: return put_ip_int(val, len, s->mcast_loop);
        case IP_MTU_DISCOVER:
            return put_ip_int(val, len, s->pmtudisc == SOCK_PMTUDISC_UNSET ? IP_PMTUDISC_WANT : s->pmtudisc);
        default: return -ENOPROTOOPT;
        }
    }
    /* An AF_INET socket passes any other level to ip_getsockopt, which
     * answers EOPNOTSUPP (setsockopt's ip_setsockopt: ENOPROTOOPT). */
    if (s->family == TP_AF_INET && level != SOL_SOCKET && level != IPPROTO_IP &&
        !(level == IPPROTO_UDP && s->protocol == IPPROTO_UDP))
        return -EOPNOTSUPP;
    return -ENOPROTOOPT;
}
