/* ICMPv6 (RFC 4443): echo replies, the errors we receive (decoded and handed
 * to the transport that sent the offending packet, Packet Too Big feeding
 * the path MTU cache), the errors we send (with every "never about" rule of
 * 2.4 (e) and a token-bucket rate limit, 2.4 (f)), and MLDv2 reports
 * (RFC 3810) for the groups we listen to.  Neighbor Discovery messages go on
 * to stack/nd.c.  Raw ICMPv6 sockets see every message before this file.
 */
#include <errno.h>
#include <string.h>

#include "stack/icmp4.h"
#include "stack/ip6_int.h"
#include "stack/stack.h"
#include "stack/wire/icmp.h"

/* ---- sending ---- */

static int send_msg(struct stack *st, struct pkt *p, const uint8_t src[16], const uint8_t dst[16],
                    int ifindex)
{
    icmp6_set_checksum(p->data, p->len, src, dst);
    struct ip_tx tx = {
        .src = ip6(src),
        .dst = ip6(dst),
        .proto = IPPROTO_NUM_ICMPV6,
        .ifindex = ifindex,
    };
    st->ctr.icmp6_tx++;
    return ip_output(st, p, &tx);
}

static bool rate_allow(struct stack *st)
{
    struct ip6_state *s = st->ip6;
    if (st->cfg.icmp_rate_ms == 0)
        return true;
    uint64_t period = (uint64_t)st->cfg.icmp_rate_ms * 1000;
    uint64_t earned = (st->now - s->tokens_at) / period;
    if (earned) {
        uint64_t t = s->tokens + earned;
        s->tokens = t > st->cfg.icmp_rate_burst ? st->cfg.icmp_rate_burst : (uint32_t)t;
        s->tokens_at += earned * period;
    }
    if (s->tokens == 0) {
        st->ctr.icmp6_tx_ratelimited++;
        return false;
    }
    s->tokens--;
    return true;
}

bool icmp6_send_error(struct stack *st, int ifindex, const uint8_t *pkt, size_t len, bool link_mcast,
                      uint8_t type, uint8_t code, uint32_t param)
{
    if (!ip6_state(st) || len < IP6_HDR_LEN)
        return false;
    const uint8_t *osrc = pkt + 8, *odst = pkt + 24;
    /* RFC 4443 2.4 (e): never about a packet whose source does not name one
     * node, nor about a multicast packet, nor one that came in a link-layer
     * multicast or broadcast frame (e.3-e.5; the exceptions of e.3 hold for
     * all three: Packet Too Big, and Parameter Problem code 2 for an option
     * that asks for it), ... */
    bool exception = type == ICMP6_PACKET_TOO_BIG || (type == ICMP6_PARAM_PROBLEM && code == 2);
    if (ip6_is_unspecified(osrc) || ip6_is_multicast(osrc) ||
        ((ip6_is_multicast(odst) || link_mcast) && !exception)) {
        st->ctr.icmp6_tx_suppressed++;
        return false;
    }
    /* ... nor about an ICMPv6 error or a Redirect. */
    uint8_t proto = 0;
    size_t l4 = ip6_skip_ext(pkt, len, &proto);
    if (l4 && proto == IPPROTO_NUM_ICMPV6 && l4 < len) {
        uint8_t t = pkt[l4];
        if (icmp6_is_error(t) || t == ICMP6_ND_REDIRECT) {
            st->ctr.icmp6_tx_suppressed++;
            return false;
        }
    }
    if (!rate_allow(st))
        return false;
    uint8_t src[16];
    struct ip6_ifaddr *mine = ip6_find_addr_any(st, odst);
    if (mine && mine->state != IP6_ADDR_TENTATIVE && !ip6_is_multicast(odst))
        memcpy(src, odst, 16);
    else if (ip6_is_loopback(odst))
        memcpy(src, odst, 16);
    else if (!ip6_source_for(st, ifindex, osrc, src))
        return false;
    size_t qlen = len < ICMP6_ERR_QUOTE_MAX ? len : ICMP6_ERR_QUOTE_MAX;
    struct pkt *p = pkt_alloc(ICMP6_HDR_LEN + qlen);
    if (!p)
        return false;
    icmp6_emit_error(pkt_put(p, ICMP6_HDR_LEN + qlen), ICMP6_HDR_LEN + qlen, type, code, param, pkt, qlen);
    uint8_t dst[16];
    memcpy(dst, osrc, 16);
    bool ll = ip6_is_linklocal(dst) || ip6_is_linklocal(src);
    if (send_msg(st, p, src, dst, ll ? ifindex : -1) != 0)
        return false;
    st->ctr.icmp6_tx_errors++;
    return true;
}

void icmp6_send_unreachable(struct stack *st, const struct ip_rx *about, uint8_t code)
{
    /* The transports ask in ICMPv4 terms; rebuild the packet to quote. */
    uint8_t buf[ICMP6_ERR_QUOTE_MAX];
    size_t hl = about->ip_hdr_len < sizeof buf ? about->ip_hdr_len : sizeof buf;
    memcpy(buf, about->ip_hdr, hl);
    size_t ll = about->l4_len < sizeof buf - hl ? about->l4_len : sizeof buf - hl;
    memcpy(buf + hl, about->l4, ll);
    if (code == ICMP_PORT_UNREACH) {
        icmp6_send_error(st, about->ifindex, buf, hl + ll, about->link_mcast, ICMP6_DST_UNREACH, ICMP6_UNREACH_PORT, 0);
    } else if (code == ICMP_PROTO_UNREACH) {
        /* Parameter Problem code 1 points at the Next Header byte that named
         * the protocol: walk the chain again to find it. */
        struct ip6_ext x;
        ip6_ext_walk(buf, hl + ll, buf[6], IP6_HDR_LEN, 6, false, &x);
        icmp6_send_error(st, about->ifindex, buf, hl + ll, about->link_mcast, ICMP6_PARAM_PROBLEM,
                         ICMP6_PARAMPROB_NEXTHEADER, (uint32_t)x.nh_off);
    } else {
        icmp6_send_error(st, about->ifindex, buf, hl + ll, about->link_mcast, ICMP6_DST_UNREACH, ICMP6_UNREACH_ADDR, 0);
    }
}

/* ---- MLD ---- */

void mld_report(struct stack *st, int ifindex)
{
    struct netif *nif = stack_netif(st, ifindex);
    struct ip6_netif *n = ip6_netif(st, ifindex);
    if (!nif || !n || !n->enabled || nif->loopback || nif->tun)
        return;
    /* Every group but all-nodes (RFC 3810 6: never reported). */
    uint8_t groups[IP6_MAX_IF_ADDRS + IP6_MAX_MCAST_GROUPS][16];
    int k = 0;
    for (int i = 0; i < IP6_MAX_IF_ADDRS; i++) {
        const struct ip6_ifaddr *a = &n->addrs[i];
        if (!a->used || a->state == IP6_ADDR_DUPLICATE)
            continue;
        uint8_t g[16];
        ip6_solicited_node(a->addr, g);
        bool dup = false;
        for (int j = 0; j < k; j++)
            dup = dup || memcmp(groups[j], g, 16) == 0;
        if (!dup)
            memcpy(groups[k++], g, 16);
    }
    for (int i = 0; i < n->n_groups; i++)
        if (ip6_mcast_scope(n->groups[i]) > 1)
            memcpy(groups[k++], n->groups[i], 16);
    if (k == 0)
        return;
    size_t mlen = 8 + (size_t)k * 20;
    struct pkt *p = pkt_alloc(mlen);
    if (!p)
        return;
    mld2_emit_report(pkt_put(p, mlen), mlen, MLD2_CHANGE_TO_EXCLUDE, (const uint8_t(*)[16])groups, k);
    /* From the link-local address once it is usable, :: before (RFC 3810 5.2.13). */
    uint8_t src[16] = {0};
    for (int i = 0; i < IP6_MAX_IF_ADDRS; i++)
        if (n->addrs[i].used && n->addrs[i].state == IP6_ADDR_PREFERRED && ip6_is_linklocal(n->addrs[i].addr)) {
            memcpy(src, n->addrs[i].addr, 16);
            break;
        }
    icmp6_set_checksum(p->data, p->len, src, ip6_all_mldv2_routers);
    st->ctr.icmp6_tx++;
    st->ctr.mld_tx_reports++;
    ip6_send_on(st, ifindex, p, src, ip6_all_mldv2_routers, IPPROTO_NUM_ICMPV6, 1, true);
}

static void mld_query(struct stack *st, const struct ip_rx *rx)
{
    struct mld_query q;
    /* RFC 3810 5.1.14: from a link-local source, hop limit 1. */
    if (mld_parse_query(rx->l4, rx->l4_len, &q) != ICMP6_OK || !ip6_is_linklocal(rx->src.v6) ||
        rx->ttl != 1)
        return;
    st->ctr.mld_rx_queries++;
    if (ip6_is_unspecified(q.group) || ip6_is_joined(st, rx->ifindex, q.group))
        mld_report(st, rx->ifindex);
}

/* ---- receiving ---- */

static void echo_reply(struct stack *st, const struct ip_rx *rx)
{
    uint8_t src[16];
    const uint8_t *dst = rx->src.v6;
    if (ip6_is_unspecified(dst))
        return;
    if (!rx->dst_multicast)
        memcpy(src, rx->dst.v6, 16);
    else if (!ip6_source_for(st, rx->ifindex, dst, src))
        return;
    struct pkt *p = pkt_alloc(rx->l4_len);
    if (!p)
        return;
    uint8_t *m = pkt_put(p, rx->l4_len);
    memcpy(m, rx->l4, rx->l4_len);
    m[0] = ICMP6_ECHO_REPLY;
    m[1] = 0;
    bool ll = ip6_is_linklocal(dst) || ip6_is_linklocal(src);
    if (send_msg(st, p, src, dst, ll ? rx->ifindex : -1) == 0)
        st->ctr.icmp6_tx_echo_replies++;
}

/* The quoted packet of an error: where its transport header is. */
static void error_input(struct stack *st, const struct ip_rx *rx, const struct icmp6_hdr *h)
{
    st->ctr.icmp6_rx_errors++;
    const uint8_t *q = rx->l4 + ICMP6_HDR_LEN;
    size_t qlen = rx->l4_len - ICMP6_HDR_LEN;
    if (qlen < IP6_HDR_LEN || q[0] >> 4 != 6)
        return;
    /* Only errors about packets we sent (from one of our addresses) matter. */
    if (!stack_is_local6(st, q + 8))
        return;
    if (h->type == ICMP6_PACKET_TOO_BIG) {
        st->ctr.icmp6_rx_ptb++;
        ip6_pmtu_update(st, q + 24, h->data);
    }
    struct ip6_ext x;
    ip6_ext_walk(q, qlen, q[6], IP6_HDR_LEN, 6, false, &x);
    if (x.verdict == IP6_EXT_FRAGMENT && x.frag.offset == 0)   /* our first fragment */
        ip6_ext_walk(q, qlen, x.frag.next, x.frag_off + IP6_FRAG_HDR_LEN, x.frag_off, false, &x);
    if (x.verdict != IP6_EXT_OK || qlen - x.l4_off < 8)
        return;
    struct icmp_error e = {
        .reporter = rx->src,
        /* Our own ND gave up (nd.c sends it to us through loopback); a
         * wire packet may claim our address as its source. */
        .local = (!stack_netif(st, rx->ifindex) || stack_netif(st, rx->ifindex)->loopback) &&
                 stack_is_local6(st, rx->src.v6),
        .proto = x.proto,
        .type = h->type,
        .code = h->code,
        .l4 = q + x.l4_off,
        .l4_len = qlen - x.l4_off,
    };
    e.src = ip6(q + 8);
    e.dst = ip6(q + 24);
    /* Errno and hardness as Linux maps them (icmpv6_err_convert). */
    switch (h->type) {
    case ICMP6_DST_UNREACH:
        switch (h->code) {
        case ICMP6_UNREACH_NOROUTE: e.err = ENETUNREACH; break;
        case ICMP6_UNREACH_PORT: e.err = ECONNREFUSED; e.hard = true; break;
        case ICMP6_UNREACH_ADMIN: case 5: case 6: e.err = EACCES; e.hard = true; break;
        default: e.err = EHOSTUNREACH; break;
        }
        break;
    case ICMP6_PACKET_TOO_BIG:
        e.err = EMSGSIZE;
        e.mtu = h->data < IP6_MIN_MTU ? IP6_MIN_MTU : h->data;
        break;
    case ICMP6_TIME_EXCEEDED: e.err = EHOSTUNREACH; break;
    case ICMP6_PARAM_PROBLEM: e.err = EPROTO; e.hard = true; break;
    default: return;   /* unknown errors: nothing a transport can do (2.4 (d)) */
    }
    icmp_deliver_error(st, &e);
}

void icmp6_input(struct stack *st, const struct ip_rx *rx)
{
    st->ctr.icmp6_rx++;
    struct icmp6_hdr h;
    if (icmp6_parse(rx->l4, rx->l4_len, rx->src.v6, rx->dst.v6, &h) != ICMP6_OK) {
        st->ctr.icmp6_rx_bad++;
        return;
    }
    switch (h.type) {
    case ICMP6_ECHO_REQUEST:
        st->ctr.icmp6_rx_echo_requests++;
        echo_reply(st, rx);
        break;
    case ICMP6_ECHO_REPLY:
        st->ctr.icmp6_rx_echo_replies++;
        break;
    case ICMP6_DST_UNREACH:
    case ICMP6_PACKET_TOO_BIG:
    case ICMP6_TIME_EXCEEDED:
    case ICMP6_PARAM_PROBLEM:
        error_input(st, rx, &h);
        break;
    case ICMP6_ND_RS:
    case ICMP6_ND_RA:
    case ICMP6_ND_NS:
    case ICMP6_ND_NA:
    case ICMP6_ND_REDIRECT:
        nd_input(st, rx, h.type);
        break;
    case ICMP6_MLD_QUERY:
        mld_query(st, rx);
        break;
    default:
        if (icmp6_is_error(h.type))
            st->ctr.icmp6_rx_errors++;
        break;   /* unknown informational messages are dropped (2.4 (b)) */
    }
}
