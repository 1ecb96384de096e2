/* ICMPv4 (RFC 792, RFC 1122 3.2.2): echo replies, the errors we generate
 * (with a token-bucket rate limit), and the errors we receive, decoded and
 * handed to the transport that sent the offending datagram.
 *
 * Every ICMP message also reaches raw ICMP sockets (stack/raw.c), before
 * this file sees it: that is how ping gets its echo replies.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stack/icmp4.h"
#include "stack/ip4.h"
#include "stack/ip6.h"
#include "stack/stack.h"
#include "stack/wire/icmp.h"
#include "stack/wire/ipv4.h"

struct icmp_state {
    /* Token bucket for the errors we send (Linux icmp_ratelimit and
     * icmp_msgs_burst): one token per icmp_rate_ms, up to icmp_rate_burst. */
    uint64_t tokens_at;        /* µs when `tokens` was computed */
    uint32_t tokens;
};

int icmp_init(struct stack *st)
{
    st->icmp = calloc(1, sizeof *st->icmp);
    if (!st->icmp)
        return -ENOMEM;
    st->icmp->tokens = st->cfg.icmp_rate_burst;
    st->icmp->tokens_at = st->now;
    return 0;
}

void icmp_destroy(struct stack *st)
{
    free(st->icmp);
    st->icmp = NULL;
}

static bool rate_allow(struct stack *st)
{
    struct icmp_state *s = st->icmp;
    if (st->cfg.icmp_rate_ms == 0)
        return true; /* limit off */
    uint64_t period = (uint64_t)st->cfg.icmp_rate_ms * 1000;
    uint64_t earned = (st->now - s->tokens_at) / period;
    if (earned) {
        uint64_t t = s->tokens + earned;
        s->tokens = t > st->cfg.icmp_rate_burst ? st->cfg.icmp_rate_burst : (uint32_t)t;
        s->tokens_at += earned * period;
    }
    if (s->tokens == 0) {
        st->ctr.icmp_tx_ratelimited++;
        return false;
    }
    s->tokens--;
    return true;
}

static int send_icmp(struct stack *st, const struct icmp_hdr *h, uint32_t src, uint32_t dst,
                     uint8_t tos)
{
    struct pkt *p = pkt_alloc(ICMP_HDR_LEN + h->data_len);
    if (!p)
        return -ENOBUFS;
    icmp_emit(h, pkt_put(p, ICMP_HDR_LEN + h->data_len));
    struct ip_tx tx = {
        .src = ip4(src),
        .dst = ip4(dst),
        .proto = IPPROTO_NUM_ICMP,
        .tos = tos,
        .ifindex = -1,
    };
    st->ctr.icmp_tx++;
    return ip_output(st, p, &tx);
}

/* RFC 1122 3.2.2.6: an echo request that came by a completed source route
 * is answered along the reversed route.  Received from S with the recorded
 * route {G1 ... Gn}, the reply goes to Gn carrying {Gn-1 ... G1, S}, pointer
 * at the first (3.2.1.8c, case A).  Returns false if the request had no
 * route to reverse (the plain reply then applies). */
static bool echo_reply_source_routed(struct stack *st, const struct ip_rx *rx, const struct icmp_hdr *r,
                                     uint32_t from)
{
    size_t off;
    if (rx->ip_hdr_len <= IPV4_HDR_LEN ||
        ipv4_source_route(rx->ip_hdr, rx->ip_hdr_len, &off) != IPV4_SRR_DONE)
        return false;
    const uint8_t *o = rx->ip_hdr + off;
    size_t n = (size_t)(o[1] - 3) / 4;
    if (n == 0)
        return false;
    /* Gn, the first hop back, is whatever the requester wrote there: every
     * other reply goes to a source the input checked for martians, so this
     * one must be a plausible unicast neighbour too, never a broadcast,
     * multicast, loopback, unspecified or own address (a forged route would
     * turn us into a reflector).  Such a request goes unanswered. */
    uint32_t gn = get32(o + 3 + 4 * (n - 1));
    if (gn == 0 || ip4_is_multicast(gn) || ip4_is_reserved_e(gn) || ip4_is_loopback(gn) ||
        ip4_is_broadcast(st, gn) || stack_is_local4(st, gn))
        return true;
    size_t olen = 3 + 4 * n, hl = IPV4_HDR_LEN + ((olen + 3) & ~(size_t)3);
    struct pkt *p = pkt_alloc(hl + ICMP_HDR_LEN + r->data_len);
    if (!p)
        return true;
    uint8_t *b = pkt_put(p, hl + ICMP_HDR_LEN + r->data_len);
    memset(b, 0, hl);
    b[0] = (uint8_t)(0x40 | hl / 4);
    b[1] = rx->tos;
    b[8] = st->cfg.ip_default_ttl ? st->cfg.ip_default_ttl : IP4_DEFAULT_TTL;
    b[9] = IPPROTO_NUM_ICMP;
    put32(b + 12, from);
    put32(b + 16, gn);                                  /* Gn: the first hop back */
    uint8_t *ro = b + IPV4_HDR_LEN;
    ro[0] = o[0];
    ro[1] = (uint8_t)olen;
    ro[2] = 4;
    for (size_t i = 1; i < n; i++)                       /* Gn-1 ... G1 */
        memcpy(ro + 3 + 4 * (i - 1), o + 3 + 4 * (n - 1 - i), 4);
    put32(ro + 3 + 4 * (n - 1), rx->src.v4);            /* ... then S */
    icmp_emit(r, b + hl);
    st->ctr.icmp_tx++;
    if (ip4_output_hdrincl(st, p, -1) == 0)
        st->ctr.icmp_tx_echo_replies++;
    return true;
}

/* ---- errors we send ---- */

bool icmp_send_error(struct stack *st, const struct ip_rx *about, uint8_t type, uint8_t code,
                     uint32_t rest)
{
    if (about->src.family != TP_AF_INET)
        return false;
    uint32_t src = about->src.v4;
    /* RFC 1122 3.2.2: never about a broadcast or multicast datagram, nor one
     * whose source does not name a single host. */
    if (about->dst_broadcast || about->dst_multicast)
        return false;
    if (src == 0 || ip4_is_multicast(src) || ip4_is_reserved_e(src) || ip4_is_broadcast(st, src))
        return false;
    /* ... nor about an ICMP error (or an ICMP message we cannot read). */
    if (about->proto == IPPROTO_NUM_ICMP) {
        if (about->l4_len < 1 || icmp_is_error(about->l4[0]) || about->l4[0] > ICMP_TIMESTAMP_REPLY)
            return false;
    }
    /* ... nor about a fragment other than the first. */
    if (about->ip_hdr_len >= IPV4_HDR_LEN && (get16(about->ip_hdr + 6) & 0x1fff) != 0)
        return false;
    if (!rate_allow(st))
        return false;
    /* Quote the header and as much of the datagram as fits in 576 bytes
     * (RFC 1812 4.3.2.3; RFC 792 asks for at least 8 bytes). */
    size_t room = 576 - IPV4_HDR_LEN - ICMP_HDR_LEN;
    size_t qlen = about->ip_hdr_len + about->l4_len;
    if (qlen > room)
        qlen = room;
    uint8_t quote[576];
    size_t hl = about->ip_hdr_len < qlen ? about->ip_hdr_len : qlen;
    memcpy(quote, about->ip_hdr, hl);
    memcpy(quote + hl, about->l4, qlen - hl);
    struct icmp_hdr h = {.type = type, .code = code, .rest = rest, .data = quote, .data_len = qlen};
    /* From the address the datagram was sent to, when it is ours (it is: we
     * do not forward); the IP layer picks one otherwise. */
    uint32_t from = stack_is_local4(st, about->dst.v4) ? about->dst.v4 : 0;
    if (send_icmp(st, &h, from, src, 0) != 0)
        return false;
    if (type == ICMP_DEST_UNREACH)
        st->ctr.icmp_tx_unreachables++;
    return true;
}

void icmp_send_unreachable(struct stack *st, const struct ip_rx *about, uint8_t code)
{
    if (about->src.family == TP_AF_INET6) {
        icmp6_send_unreachable(st, about, code);
        return;
    }
    icmp_send_error(st, about, ICMP_DEST_UNREACH, code, 0);
}

/* ---- errors we receive ---- */

/* errno and hardness of each destination unreachable code (RFC 1122
 * 3.2.2.1 and 4.2.3.9; the same table as Linux's icmp_err_convert). */
static const struct {
    int err;
    bool hard;
} unreach_codes[16] = {
    {ENETUNREACH, false}, {EHOSTUNREACH, false}, {ENOPROTOOPT, true}, {ECONNREFUSED, true},
    {EMSGSIZE, false},    {EOPNOTSUPP, false},   {ENETUNREACH, true}, {EHOSTDOWN, true},
    {ENONET, true},       {ENETUNREACH, true},   {EHOSTUNREACH, true}, {ENETUNREACH, false},
    {EHOSTUNREACH, false}, {EHOSTUNREACH, true}, {EHOSTUNREACH, true}, {EHOSTUNREACH, true},
};

void icmp_deliver_error(struct stack *st, const struct icmp_error *e)
{
    switch (e->proto) {
    case IPPROTO_NUM_UDP: udp_icmp_error(st, e); break;
    case IPPROTO_NUM_TCP: tcp_icmp_error(st, e); break;
    default: break; /* raw sockets already saw the whole message */
    }
}

static void error_input(struct stack *st, const struct ip_rx *rx, const struct icmp_hdr *h)
{
    st->ctr.icmp_rx_errors++;
    /* From this host itself (looped back), not from the network: a wire
     * packet may claim one of our addresses as its source. */
    const struct netif *nif = stack_netif(st, rx->ifindex);
    struct icmp_error e = {.reporter = rx->src, .type = h->type, .code = h->code,
                           .local = (!nif || nif->loopback) && stack_is_local4(st, rx->src.v4)};
    switch (h->type) {
    case ICMP_DEST_UNREACH:
        if (h->code >= 16)
            return;
        e.err = unreach_codes[h->code].err;
        e.hard = unreach_codes[h->code].hard;
        if (h->code == ICMP_FRAG_NEEDED)
            e.mtu = ip4_pmtu_clamp(h->rest & 0xffff); /* RFC 1191 next-hop MTU, floored */
        break;
    case ICMP_TIME_EXCEEDED:
        e.err = EHOSTUNREACH;
        break;
    case ICMP_PARAM_PROBLEM:
        e.err = EPROTO;
        e.hard = true;
        break;
    default:
        /* Source quench is deprecated (RFC 6633) and redirects are for
         * routers we do not trust blindly: both ignored. */
        st->ctr.icmp_rx_ignored++;
        return;
    }
    /* The quote: the original IP header (which must be one of ours) and at
     * least 8 bytes of its transport header (RFC 792). */
    struct ipv4_hdr q;
    const uint8_t *d = h->data;
    size_t dlen = h->data_len;
    if (dlen < IPV4_HDR_LEN || d[0] >> 4 != 4)
        goto bad;
    size_t qhl = (size_t)(d[0] & 0x0f) * 4;
    if (qhl < IPV4_HDR_LEN || dlen < qhl + 8)
        goto bad;
    /* The quote's total length may exceed what was quoted: parse only the
     * header part, without the length-vs-buffer check. */
    q.proto = d[9];
    q.src = get32(d + 12);
    q.dst = get32(d + 16);
    if ((get16(d + 6) & 0x1fff) != 0)
        return; /* about a non-first fragment: no transport header to read */
    if (!stack_is_local4(st, q.src))
        goto bad; /* not about anything we sent */
    e.src = ip4(q.src);
    e.dst = ip4(q.dst);
    e.proto = q.proto;
    e.l4 = d + qhl;
    e.l4_len = dlen - qhl;
    if (h->type == ICMP_DEST_UNREACH && h->code == ICMP_FRAG_NEEDED && e.mtu)
        ip4_pmtu_update(st, q.dst, h->rest & 0xffff);
    icmp_deliver_error(st, &e);
    return;
bad:
    st->ctr.icmp_rx_bad++;
}

void icmp4_input(struct stack *st, const struct ip_rx *rx)
{
    struct icmp_hdr h;
    st->ctr.icmp_rx++;
    if (icmp_parse(rx->l4, rx->l4_len, &h, true) != 0) {
        st->ctr.icmp_rx_bad++;
        return;
    }
    switch (h.type) {
    case ICMP_ECHO_REQUEST: {
        st->ctr.icmp_rx_echo_requests++;
        /* RFC 1122 3.2.2.6 lets a host ignore broadcast pings; Linux does by
         * default (icmp_echo_ignore_broadcasts). */
        if ((rx->dst_broadcast || rx->dst_multicast) && st->cfg.icmp_echo_ignore_broadcasts)
            return;
        /* The reply carries the same identifier, sequence and data, from
         * the address pinged (or, for a broadcast, our address on that link). */
        uint32_t from = stack_is_local4(st, rx->dst.v4) ? rx->dst.v4
                                                        : stack_source4(st, rx->ifindex, rx->src.v4);
        struct icmp_hdr r = {.type = ICMP_ECHO_REPLY, .code = 0, .rest = h.rest, .data = h.data,
                             .data_len = h.data_len};
        if (echo_reply_source_routed(st, rx, &r, from))
            return;
        if (send_icmp(st, &r, from, rx->src.v4, rx->tos) == 0)
            st->ctr.icmp_tx_echo_replies++;
        return;
    }
    case ICMP_ECHO_REPLY:
        st->ctr.icmp_rx_echo_replies++;
        return;
    default:
        if (icmp_is_error(h.type))
            error_input(st, rx, &h);
        else
            st->ctr.icmp_rx_ignored++; /* timestamp, address mask... (RFC 1122 lets us) */
        return;
    }
}
