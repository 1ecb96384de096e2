/* Helpers for the IPv6 stack tests: one stack with a capture device on
 * fd00:198:18::/64, and a peer (fe80::1 / fd00:198:18::1) whose frames the
 * test writes by hand. Header-only, static copies per test file. */
#ifndef TAPIR_TESTS_IP6_HELPERS_H
#define TAPIR_TESTS_IP6_HELPERS_H

#include <string.h>

#include "net_helpers.h"
#include "stack/ip6.h"
#include "stack/ip6_int.h"
#include "stack/stack.h"
#include "stack/wire/icmpv6.h"
#include "stack/wire/ipv6.h"

static const uint8_t my_mac6[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
static const uint8_t peer_mac6[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
static const uint8_t PEER_LL[16] = {0xfe, 0x80, [15] = 1};
static const uint8_t PEER_G[16] = {0xfd, 0x00, 0x01, 0x98, 0x00, 0x18, [15] = 1};
static const uint8_t MY_G[16] = {0xfd, 0x00, 0x01, 0x98, 0x00, 0x18, [15] = 2};
static const uint8_t PREFIX[16] = {0xfd, 0x00, 0x01, 0x98, 0x00, 0x18};

struct f6 {
    struct stack *st;
    int ifx;
    struct capture cap;
    uint64_t now;
};

static inline void f6_advance(struct f6 *f, uint64_t us)
{
    uint64_t end = f->now + us;
    while (f->now < end) {
        f->now += 10000 < end - f->now ? 10000 : end - f->now;
        stack_poll(f->st, f->now);
    }
}

/* A stack with IPv6 up on eth0 (its link-local through DAD); with_global:
 * fd00:198:18::2/64 too.  The capture is empty on return. */
static inline void f6_setup(struct f6 *f, bool with_global)
{
    memset(f, 0, sizeof *f);
    f->now = 1000000;
    f->st = stack_create(7, f->now);
    stack_ip6_settings(f->st)->rs_delay_max_ms = 0;
    stack_add_loopback(f->st);
    f->ifx = stack_add_netif(f->st, "eth0", my_mac6, 1500, capture_tx, &f->cap);
    if (with_global)
        stack_add_ip6(f->st, f->ifx, MY_G, 64);
    f6_advance(f, 3000000);   /* DAD done, RS sent */
    capture_clear(&f->cap);
}

static inline void f6_teardown(struct f6 *f)
{
    stack_destroy(f->st);
    capture_clear(&f->cap);
}

/* Our link-local address (the first one of that origin). */
static inline bool f6_ll(struct f6 *f, uint8_t out[16])
{
    struct ip6_addr_info a[16];
    int n = stack_ip6_addrs(f->st, f->ifx, a, 16);
    for (int i = 0; i < n; i++)
        if (a[i].origin == IP6_ORIGIN_LINKLOCAL && a[i].state != IP6_ADDR_DUPLICATE) {
            memcpy(out, a[i].addr, 16);
            return true;
        }
    return false;
}

static inline int f6_state(struct f6 *f, const uint8_t addr[16])
{
    struct ip6_addr_info a[16];
    int n = stack_ip6_addrs(f->st, f->ifx, a, 16);
    for (int i = 0; i < n; i++)
        if (memcmp(a[i].addr, addr, 16) == 0)
            return a[i].state;
    return -1;
}

/* Builds Ethernet + IPv6 (+ the given extension bytes) + payload into buf;
 * ICMPv6 payloads get their checksum. Returns the frame length. */
static inline size_t f6_frame(uint8_t *buf, const uint8_t src[16], const uint8_t dst[16], uint8_t hop,
                              uint8_t first, const uint8_t *ext, size_t elen, uint8_t proto,
                              const uint8_t *pl, size_t plen)
{
    uint8_t dmac[6];
    if (ip6_is_multicast(dst))
        ip6_mcast_mac(dst, dmac);
    else
        memcpy(dmac, my_mac6, 6);
    memcpy(buf, dmac, 6);
    memcpy(buf + 6, peer_mac6, 6);
    buf[12] = 0x86;
    buf[13] = 0xdd;
    struct ip6_hdr h = {.payload_len = (uint16_t)(elen + plen), .next = elen ? first : proto,
                        .hop_limit = hop};
    memcpy(h.src, src, 16);
    memcpy(h.dst, dst, 16);
    ip6_emit(buf + 14, &h);
    if (elen)
        memcpy(buf + 54, ext, elen);
    if (plen)
        memcpy(buf + 54 + elen, pl, plen);
    if (proto == IP6_NH_ICMPV6 && plen >= 4)
        icmp6_set_checksum(buf + 54 + elen, plen, src, dst);
    return 54 + elen + plen;
}

static inline void f6_feed(struct f6 *f, const uint8_t *frame, size_t len)
{
    stack_input(f->st, f->ifx, frame, len, f->now);
}

/* Sends an ICMPv6 message (already built, checksum done here) from src to dst. */
static inline void f6_icmp(struct f6 *f, const uint8_t src[16], const uint8_t dst[16], uint8_t hop,
                           const uint8_t *msg, size_t len)
{
    static uint8_t buf[70000];
    size_t n = f6_frame(buf, src, dst, hop, 0, NULL, 0, IP6_NH_ICMPV6, msg, len);
    f6_feed(f, buf, n);
}

/* Pops captured frames until one is IPv6 ICMPv6 of the given type (0: any
 * IPv6); NULL if none.  Caller frees. Skips extension headers. */
static inline struct cap_frame *f6_pop_icmp(struct f6 *f, uint8_t type, size_t *l4_off)
{
    struct cap_frame *fr;
    while ((fr = capture_pop(&f->cap))) {
        if (fr->len >= 54 && fr->data[12] == 0x86 && fr->data[13] == 0xdd) {
            struct ip6_ext x;
            ip6_ext_walk(fr->data + 14, fr->len - 14, fr->data[14 + 6], 40, 6, false, &x);
            if (x.verdict == IP6_EXT_OK && x.proto == IP6_NH_ICMPV6 && fr->len > 14 + x.l4_off &&
                (type == 0 || fr->data[14 + x.l4_off] == type)) {
                if (l4_off)
                    *l4_off = 14 + x.l4_off;
                return fr;
            }
        }
        free(fr);
    }
    return NULL;
}

/* The peer's neighbour solicitation for our global address, with its
 * link-layer address: into m (64 bytes); sn gets the solicited-node group
 * it goes to.  Returns the message length. */
static inline size_t f6_ns_for_me(uint8_t m[64], uint8_t sn[16])
{
    ip6_solicited_node(MY_G, sn);
    return nd_emit_ns(m, 64, MY_G, peer_mac6, NULL, 0);
}

/* A router advertisement from the peer (with its link-layer address): Cur
 * Hop Limit, router lifetime, one /64 PREFIX option (on-link, autonomous)
 * with these lifetimes, and an MTU option unless mtu is 0.  Returns the
 * message length. */
static inline size_t f6_ra_msg(uint8_t *m, size_t cap, uint8_t cur_hop, uint16_t router_life,
                               uint32_t valid, uint32_t pref, uint32_t mtu)
{
    struct nd_ra ra;
    memset(&ra, 0, sizeof ra);
    ra.cur_hop_limit = cur_hop;
    ra.router_lifetime = router_life;
    ra.opts.src_lladdr = peer_mac6;
    if (mtu) {
        ra.opts.has_mtu = true;
        ra.opts.mtu = mtu;
    }
    ra.opts.n_prefix = 1;
    ra.opts.prefix[0] = (struct nd_prefix){.prefix_len = 64, .onlink = true, .autonomous = true,
                                           .valid_lifetime = valid, .preferred_lifetime = pref};
    memcpy(ra.opts.prefix[0].prefix, PREFIX, 16);
    return nd_emit_ra(m, cap, &ra);
}

/* The peer answers our neighbour solicitation for it (solicited NA). */
static inline void f6_peer_na(struct f6 *f, const uint8_t peer[16], const uint8_t to[16], bool solicited)
{
    uint8_t m[32];
    size_t n = nd_emit_na(m, sizeof m, peer, false, solicited, true, peer_mac6);
    f6_icmp(f, peer, to, 255, m, n);
}

#endif
