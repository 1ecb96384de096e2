/* IPv4 (RFC 791, RFC 1122 3.2.1 and 3.3): input validation and
 * demultiplexing, output with routing, source selection, fragmentation and
 * link resolution, and a small path MTU cache fed by ICMP.
 *
 * tapir is a host: it never forwards.  A datagram not addressed to it is
 * counted and dropped.  It accepts datagrams for any of its addresses on any
 * interface (the "weak host" model Linux uses, RFC 1122 3.3.4.2).
 */
#include "stack/ip4.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stack/arp.h"
#include "stack/checksum.h"
#include "stack/icmp4.h"
#include "stack/stack.h"
#include "stack/wire/eth.h"
#include "stack/wire/icmp.h"

struct pmtu_entry {
    uint32_t dst;
    uint32_t mtu;
    bool locked;               /* a report below IP4_MIN_PMTU: mtu is the floor, DF off */
    uint64_t expires;          /* µs; 0 = free slot */
};

struct ip4_state {
    uint16_t next_id;
    struct pmtu_entry pmtu[IP4_PMTU_CACHE];
};

int ip4_init(struct stack *st)
{
    st->ip4 = calloc(1, sizeof *st->ip4);
    if (!st->ip4)
        return -ENOMEM;
    /* A random start, so IDs say nothing about how long we have been up. */
    st->ip4->next_id = (uint16_t)rng_next(&st->rng);
    return 0;
}

void ip4_destroy(struct stack *st)
{
    free(st->ip4);
    st->ip4 = NULL;
}

/* ---- addresses ---- */

bool ip4_is_broadcast(const struct stack *st, uint32_t dst)
{
    if (dst == IP4_BROADCAST)
        return true;
    for (int i = 0; i < st->n_netifs; i++) {
        const struct netif *nif = &st->netifs[i];
        for (int j = 0; j < nif->n_ip4; j++) {
            uint8_t pl = nif->ip4[j].prefix_len;
            if (pl >= 31)
                continue; /* RFC 3021: /31 and /32 have no broadcast address */
            uint32_t mask = ip4_prefix_mask(pl);
            if ((dst & mask) == (nif->ip4[j].addr & mask) && (dst | mask) == IP4_BROADCAST)
                return true;
        }
    }
    return false;
}

/* RFC 1122 3.2.1.3: a source address that no host may have.  Such datagrams
 * are dropped silently. */
static bool martian_source(const struct stack *st, const struct netif *nif, uint32_t src)
{
    if (ip4_is_multicast(src) || ip4_is_reserved_e(src))
        return true;
    if (ip4_is_loopback(src) && !nif->loopback)
        return true; /* 127/8 never arrives from a wire */
    if (src != 0 && ip4_is_broadcast(st, src))
        return true;
    return false;
}

/* ---- input ---- */

static struct ip_rx make_rx(const struct ipv4_hdr *h, int ifindex, const uint8_t *pkt, bool bcast,
                            bool mcast)
{
    return (struct ip_rx){
        .ifindex = ifindex,
        .src = ip4(h->src),
        .dst = ip4(h->dst),
        .proto = h->proto,
        .ttl = h->ttl,
        .tos = h->tos,
        .dst_broadcast = bcast,
        .dst_multicast = mcast,
        .l4 = pkt + h->hdr_len,
        .l4_len = (size_t)h->total_len - h->hdr_len,
        .ip_hdr = pkt,
        .ip_hdr_len = h->hdr_len,
    };
}

static void demux(struct stack *st, const struct ipv4_hdr *h, int ifindex, const uint8_t *pkt,
                  bool bcast, bool mcast, bool tcp_csum_ok)
{
    struct ip_rx rx = make_rx(h, ifindex, pkt, bcast, mcast);
    rx.tcp_csum_ok = tcp_csum_ok && h->proto == IPPROTO_NUM_TCP;
    st->ctr.ip_rx_delivered++;
    /* Raw sockets see every datagram of their protocol first (as Linux's
     * raw_local_deliver), then the protocol handles it. */
    bool raw_took = raw_input(st, &rx);
    switch (h->proto) {
    case IPPROTO_NUM_ICMP: icmp4_input(st, &rx); break;
    case IPPROTO_NUM_UDP: udp_input(st, &rx); break;
    case IPPROTO_NUM_TCP: tcp_input(st, &rx); break;
    default:
        if (!raw_took) {
            st->ctr.ip_rx_delivered--;
            st->ctr.ip_rx_unknown_proto++;
            icmp_send_unreachable(st, &rx, ICMP_PROTO_UNREACH);
        }
        break;
    }
}

/* RFC 1122 3.2.2.5 (SHOULD), as Linux's ip_options_compile: a datagram for
 * us dropped for a malformed option earns a parameter problem pointing at
 * it (with the usual restraint of icmp_send_error: never about broadcasts,
 * multicasts, ICMP errors, later fragments; rate limited). */
static void bad_options(struct stack *st, const struct netif *nif, int ifindex, const uint8_t *pkt,
                        size_t len, bool link_bcast)
{
    size_t ptr = ipv4_bad_option(pkt, len);
    if (!ptr)
        return;
    struct ipv4_hdr h = {
        .hdr_len = (uint8_t)((pkt[0] & 0x0f) * 4),
        .total_len = get16(pkt + 2),
        .proto = pkt[9],
        .src = get32(pkt + 12),
        .dst = get32(pkt + 16),
    };
    if (!nif || martian_source(st, nif, h.src))
        return;
    bool bcast = link_bcast || ip4_is_broadcast(st, h.dst), mcast = ip4_is_multicast(h.dst);
    if (!bcast && !mcast && !stack_is_local4(st, h.dst))
        return;                  /* not ours: nothing to say about it */
    struct ip_rx rx = make_rx(&h, ifindex, pkt, bcast, mcast);
    icmp_send_error(st, &rx, ICMP_PARAM_PROBLEM, 0, (uint32_t)ptr << 24);
}

void ip4_input(struct stack *st, int ifindex, const uint8_t *pkt, size_t len, bool link_bcast)
{
    const struct netif *nif = stack_netif(st, ifindex);
    struct ipv4_hdr h;
    st->ctr.ip_rx++;
    switch (ipv4_parse(pkt, len, &h, true)) {
    case WIRE_OK: break;
    case WIRE_EVERSION: st->ctr.ip_rx_bad_version++; return;
    case WIRE_EHDR:
        st->ctr.ip_rx_bad_header++;
        bad_options(st, nif, ifindex, pkt, len, link_bcast);
        return;
    case WIRE_ECSUM: st->ctr.ip_rx_bad_checksum++; return;
    default: st->ctr.ip_rx_bad_length++; return;
    }
    if (!nif) {
        /* Looped back with no loopback interface configured: stands for it. */
        static const struct netif lo = {.index = -1, .loopback = true, .up = true};
        nif = &lo;
    }
    if (martian_source(st, nif, h.src)) {
        st->ctr.ip_rx_bad_source++;
        return;
    }
    bool bcast = ip4_is_broadcast(st, h.dst);
    bool mcast = ip4_is_multicast(h.dst);
    bool ours = stack_is_local4(st, h.dst);
    /* 127/8 is ours only through the loopback path. */
    if (ours && ip4_is_loopback(h.dst) && !nif->loopback)
        ours = false;
    /* We join no multicast group but all-hosts (RFC 1112: every host is in it). */
    if (!ours && !bcast && !(mcast && h.dst == IP4_ALL_HOSTS)) {
        st->ctr.ip_rx_not_for_us++;
        return;
    }
    /* A unicast IP datagram in a link-layer broadcast is suspicious (RFC
     * 1122 3.3.6 says a host SHOULD drop it... as a router would); we accept
     * it as Linux does, but never answer it with an ICMP error. */
    if (link_bcast && !bcast && !mcast)
        bcast = true;
    if (h.src == 0 && !bcast) {
        /* 0.0.0.0 may only ask (DHCP-style) for a broadcast answer. */
        st->ctr.ip_rx_bad_source++;
        return;
    }
    /* RFC 1122 3.3.5: a source route with addresses left names us as a hop
     * on the way, and a host that does not forward discards it and SHOULD
     * say "source route failed" (the usual rules of icmp_send_error apply:
     * never about broadcasts, ICMP errors, later fragments; rate limited).
     * (Linux, accept_source_route off on hosts, drops every source-routed
     * datagram silently.)  A completed route is ours (3.2.1.8c). */
    if (h.hdr_len > IPV4_HDR_LEN && ipv4_source_route(pkt, h.hdr_len, NULL) == IPV4_SRR_PENDING) {
        st->ctr.ip_rx_source_route++;
        struct ip_rx rx = make_rx(&h, ifindex, pkt, bcast, mcast);
        icmp_send_unreachable(st, &rx, ICMP_SR_FAILED);
        return;
    }
    /* RFC 1122 3.2.1.7: a host MUST NOT discard a datagram just because its
     * TTL is below 2, so the TTL is not checked here. */
    if (ipv4_is_fragment(&h)) {
        uint8_t *whole = NULL;
        size_t whole_len = 0;
        if (ip4_reass_input(st, ifindex, &h, pkt, bcast, &whole, &whole_len) != 1)
            return;
        struct ipv4_hdr wh;
        if (ipv4_parse(whole, whole_len, &wh, false) == 0)
            demux(st, &wh, ifindex, whole, bcast, mcast, false); /* the link vouched for one fragment at most */
        free(whole);
        return;
    }
    demux(st, &h, ifindex, pkt, bcast, mcast, (st->rx_flags & STACK_RX_TCP4_CSUM_OK) != 0);
}

/* ---- path MTU cache ---- */

static struct pmtu_entry *pmtu_find(struct stack *st, uint32_t dst)
{
    for (size_t i = 0; i < IP4_PMTU_CACHE; i++) {
        struct pmtu_entry *e = &st->ip4->pmtu[i];
        if (e->expires && e->dst == dst) {
            if (e->expires <= st->now) {
                e->expires = 0;
                return NULL;
            }
            return e;
        }
    }
    return NULL;
}

uint32_t ip4_pmtu_clamp(uint32_t mtu)
{
    if (mtu < IPV4_MIN_MTU)
        return 0;
    return mtu < IP4_MIN_PMTU ? IP4_MIN_PMTU : mtu;
}

void ip4_pmtu_update(struct stack *st, uint32_t dst, uint32_t mtu)
{
    /* RFC 1191: never below 68 (a smaller report is nonsense: ignored);
     * only ever lowered by ICMP.  Between 68 and IP4_MIN_PMTU, Linux's rule:
     * the path MTU stops at the floor and is "locked", so datagrams go
     * without DF and a router on a genuinely smaller link fragments them. */
    if (mtu < IPV4_MIN_MTU)
        return;
    bool locked = mtu < IP4_MIN_PMTU;
    mtu = ip4_pmtu_clamp(mtu);
    struct pmtu_entry *e = pmtu_find(st, dst);
    if (e) {
        if (mtu < e->mtu)
            e->mtu = mtu;
        if (locked)
            e->locked = true;
        e->expires = st->now + (uint64_t)IP4_PMTU_EXPIRE_MS * 1000;
        return;
    }
    /* A free slot, else the one closest to expiry. */
    struct pmtu_entry *slot = &st->ip4->pmtu[0];
    for (size_t i = 0; i < IP4_PMTU_CACHE; i++) {
        struct pmtu_entry *c = &st->ip4->pmtu[i];
        if (c->expires <= st->now) {
            slot = c;
            break;
        }
        if (c->expires < slot->expires)
            slot = c;
    }
    slot->dst = dst;
    slot->mtu = mtu;
    slot->locked = locked;
    slot->expires = st->now + (uint64_t)IP4_PMTU_EXPIRE_MS * 1000;
}

/* ---- output ---- */

/* Where a datagram to dst goes: the interface, next hop and MTU. */
struct path {
    int ifindex;               /* -1: to ourselves */
    uint32_t nexthop;
    uint32_t mtu;
    uint32_t src;
    bool no_df;                /* the path MTU is locked at its floor: never DF */
};

static int find_path(struct stack *st, uint32_t dst, int force_if, struct path *out)
{
    out->no_df = false;
    if (stack_is_local4(st, dst)) {
        out->ifindex = -1;
        out->nexthop = dst;
        out->mtu = TAPIR_LOOPBACK_MTU;
        /* Linux: 127/8 is answered from 127.0.0.1, our own addresses from themselves. */
        out->src = ip4_is_loopback(dst) ? IP4(127, 0, 0, 1) : dst;
        return 0;
    }
    const struct route4 *r = NULL;
    if (force_if >= 0) {
        /* SO_BINDTODEVICE, or a limited broadcast on a chosen interface: use
         * a route through that interface if one matches, else treat dst as
         * on-link there. */
        for (int i = 0; i < st->n_routes4; i++) {
            const struct route4 *c = &st->routes4[i];
            if (c->ifindex == force_if && (dst & ip4_prefix_mask(c->prefix_len)) == c->dest &&
                (!r || c->prefix_len > r->prefix_len))
                r = c;
        }
        if (!stack_netif(st, force_if))
            return -ENODEV;
        out->ifindex = force_if;
        out->nexthop = r && r->gateway ? r->gateway : dst;
    } else {
        r = stack_route4(st, dst);
        if (!r)
            return -ENETUNREACH;
        out->ifindex = r->ifindex;
        out->nexthop = r->gateway ? r->gateway : dst;
    }
    /* Broadcast and multicast never go through a gateway. */
    if (dst == IP4_BROADCAST || ip4_is_multicast(dst))
        out->nexthop = dst;
    const struct netif *nif = &st->netifs[out->ifindex];
    out->mtu = nif->mtu;
    struct pmtu_entry *pe = pmtu_find(st, dst);
    if (pe && pe->mtu < out->mtu)
        out->mtu = pe->mtu;
    if (pe && pe->locked)
        out->no_df = true;
    out->src = stack_source4(st, out->ifindex, dst);
    return 0;
}

uint32_t ip4_path_mtu(struct stack *st, uint32_t dst)
{
    struct path path;
    if (find_path(st, dst, -1, &path) != 0)
        return 0;
    return path.mtu;
}

uint32_t ip4_path_offloads(struct stack *st, uint32_t dst, int ifindex, uint32_t *mtu)
{
    struct path path;
    int err = find_path(st, dst, ifindex, &path);
    if (mtu)
        *mtu = err ? 0 : path.mtu;
    if (err || path.ifindex < 0)
        return 0;
    const struct netif *nif = &st->netifs[path.ifindex];
    return nif->loopback ? 0 : nif->offloads;
}

bool ip4_select_source(struct stack *st, uint32_t dst, uint32_t *src)
{
    struct path path;
    if (find_path(st, dst, -1, &path) != 0 || path.src == 0)
        return false;
    *src = path.src;
    return true;
}

/* Hands one finished IPv4 packet (data at its header) to the link. */
static int link_send(struct stack *st, const struct path *path, struct pkt *p)
{
    st->ctr.ip_tx++;
    p->l3_offset = 0;
    if (path->ifindex < 0) {
        stack_loopback_enqueue(st, p);
        return 0;
    }
    struct netif *nif = &st->netifs[path->ifindex];
    if (nif->loopback || nif->tun)
        return netif_output(st, path->ifindex, p, ETHERTYPE_IPV4, NULL);
    uint8_t mac[6];
    uint32_t nh = path->nexthop;
    if (nh == IP4_BROADCAST || ip4_is_broadcast(st, nh)) {
        memcpy(mac, eth_broadcast, 6);
    } else if (ip4_is_multicast(nh)) {
        eth_ip4_multicast_mac(nh, mac);
    } else {
        int rc = arp_resolve(st, path->ifindex, nh, p, mac);
        if (rc <= 0)
            return rc; /* queued (0) or dropped (< 0) */
    }
    return netif_output(st, path->ifindex, p, ETHERTYPE_IPV4, mac);
}

/* RFC 791 fragmentation: every fragment but the last carries a multiple of
 * 8 payload bytes; each gets a copy of the header with its offset and MF. */
static int fragment(struct stack *st, const struct path *path, struct pkt *p, struct ipv4_hdr *h)
{
    size_t payload = p->len;
    size_t per = ((path->mtu - IPV4_HDR_LEN) / 8) * 8;
    int err = 0;
    if (per == 0) { /* cannot happen: MTUs are >= 68 */
        pkt_free(p);
        return -EMSGSIZE;
    }
    for (size_t off = 0; off < payload; off += per) {
        size_t n = payload - off < per ? payload - off : per;
        struct pkt *f = pkt_alloc(n);
        if (!f) {
            err = -ENOBUFS;
            st->ctr.ip_tx_errors++;
            break;
        }
        memcpy(pkt_put(f, n), p->data + off, n);
        struct ipv4_hdr fh = *h;
        fh.total_len = (uint16_t)(IPV4_HDR_LEN + n);
        fh.frag_off = (uint16_t)off;
        fh.mf = off + n < payload;
        ipv4_emit(&fh, pkt_push(f, IPV4_HDR_LEN));
        st->ctr.ip_frag_created++;
        int rc = link_send(st, path, f);
        if (rc < 0 && !err)
            err = rc;
    }
    pkt_free(p);
    return err;
}

int ip4_output_hdrincl(struct stack *st, struct pkt *p, int ifindex)
{
    uint8_t *b = p->data;
    size_t hl = p->len >= IPV4_HDR_LEN ? (size_t)(b[0] & 0x0f) * 4 : 0;
    if (p->len < IPV4_HDR_LEN || b[0] >> 4 != 4 || hl < IPV4_HDR_LEN || hl > p->len ||
        p->len > IPV4_MAX_LEN) {
        pkt_free(p);
        return -EINVAL;
    }
    uint32_t dst = get32(b + 16);
    struct path path;
    int err = find_path(st, dst, ifindex, &path);
    if (err) {
        st->ctr.ip_tx_no_route++;
        pkt_free(p);
        return err;
    }
    if (p->len > path.mtu) {
        st->ctr.ip_frag_df_drops++;
        pkt_free(p);
        return -EMSGSIZE;
    }
    put16(b + 2, (uint16_t)p->len);
    if (get32(b + 12) == 0)
        put32(b + 12, path.src);
    if (get16(b + 4) == 0)
        put16(b + 4, st->ip4->next_id++);
    put16(b + 10, 0);
    put16(b + 10, csum_finish(csum_add(0, b, hl)));
    return link_send(st, &path, p);
}

int ip4_output(struct stack *st, struct pkt *p, const struct ip_tx *tx)
{
    uint32_t dst = tx->dst.v4;
    struct path path;
    int err = find_path(st, dst, tx->ifindex, &path);
    if (err) {
        st->ctr.ip_tx_no_route++;
        pkt_free(p);
        return err;
    }
    uint32_t src = tx->src.family == TP_AF_INET && tx->src.v4 ? tx->src.v4 : path.src;
    if (src == 0 && dst != IP4_BROADCAST) {
        st->ctr.ip_tx_errors++;
        pkt_free(p);
        return -EADDRNOTAVAIL;
    }
    /* RFC 1122 3.2.1.3: the source is one of our addresses, never a
     * broadcast or multicast one (a socket may bind those to receive; Linux
     * refuses to send from them too: EINVAL). */
    if (ip4_is_multicast(src) || ip4_is_reserved_e(src) || (src && ip4_is_broadcast(st, src))) {
        st->ctr.ip_tx_errors++;
        pkt_free(p);
        return -EINVAL;
    }
    if (p->len > IPV4_MAX_LEN - IPV4_HDR_LEN) {
        st->ctr.ip_tx_errors++;
        pkt_free(p);
        return -EMSGSIZE;
    }
    struct ipv4_hdr h = {
        .tos = tx->tos,
        .total_len = (uint16_t)(IPV4_HDR_LEN + p->len),
        .id = st->ip4->next_id++,
        .df = tx->df && !path.no_df,
        /* RFC 1122 3.2.1.7: never send TTL 0. */
        .ttl = tx->ttl ? tx->ttl : (st->cfg.ip_default_ttl ? st->cfg.ip_default_ttl : IP4_DEFAULT_TTL),
        .proto = tx->proto,
        .src = src,
        .dst = dst,
    };
    /* A super-segment the device cuts itself (TSO/USO) is not fragmented. */
    if (IPV4_HDR_LEN + p->len > path.mtu && !p->gso_size) {
        if (h.df) {
            st->ctr.ip_frag_df_drops++;
            pkt_free(p);
            return -EMSGSIZE;
        }
        return fragment(st, &path, p, &h);
    }
    uint8_t *hdr = pkt_push(p, IPV4_HDR_LEN);
    if (!hdr) {
        st->ctr.ip_tx_errors++;
        pkt_free(p);
        return -ENOBUFS;
    }
    ipv4_emit(&h, hdr);
    return link_send(st, &path, p);
}
