/* IPv6 header codec and extension header walking (RFC 8200), including
 * hostile chains. */
#include <criterion/criterion.h>
#include <string.h>

#include "stack/addr.h"
#include "stack/wire/ipv6.h"

static const uint8_t SRC[16] = {0xfd, 0x00, 0x01, 0x98, 0x00, 0x18, [15] = 1};
static const uint8_t DST[16] = {0xfd, 0x00, 0x01, 0x98, 0x00, 0x18, [15] = 2};

/* A packet: fixed header + `ext` bytes of chain + `tail` payload bytes. */
static size_t mk(uint8_t *buf, uint8_t first, const uint8_t *ext, size_t elen, size_t tail)
{
    struct ip6_hdr h = {.tclass = 0, .flow = 0, .payload_len = (uint16_t)(elen + tail),
                        .next = first, .hop_limit = 64};
    memcpy(h.src, SRC, 16);
    memcpy(h.dst, DST, 16);
    ip6_emit(buf, &h);
    if (elen)
        memcpy(buf + 40, ext, elen);
    memset(buf + 40 + elen, 0xab, tail);
    return 40 + elen + tail;
}

Test(ip6_wire, roundtrip)
{
    uint8_t b[64];
    struct ip6_hdr h = {.tclass = 0xb8, .flow = 0xabcde, .payload_len = 8, .next = 17, .hop_limit = 255};
    memcpy(h.src, SRC, 16);
    memcpy(h.dst, DST, 16);
    ip6_emit(b, &h);
    cr_assert_eq(b[0], 0x6b);
    cr_assert_eq(b[1], 0x8a);
    struct ip6_hdr g;
    cr_assert_eq(ip6_parse(b, 48, &g), IP6_OK);
    cr_assert_eq(g.tclass, 0xb8);
    cr_assert_eq(g.flow, 0xabcde);
    cr_assert_eq(g.payload_len, 8);
    cr_assert_eq(g.next, 17);
    cr_assert_eq(g.hop_limit, 255);
    cr_assert(memcmp(g.src, SRC, 16) == 0 && memcmp(g.dst, DST, 16) == 0);
}

Test(ip6_wire, truncations_and_version)
{
    uint8_t b[64];
    size_t n = mk(b, 59, NULL, 0, 8);
    struct ip6_hdr g;
    for (size_t l = 0; l < 40; l++)
        cr_assert_eq(ip6_parse(b, l, &g), IP6_ERR_SHORT, "len %zu", l);
    for (size_t l = 40; l < n; l++)
        cr_assert_eq(ip6_parse(b, l, &g), IP6_ERR_LENGTH, "len %zu", l);
    cr_assert_eq(ip6_parse(b, n, &g), IP6_OK);
    cr_assert_eq(ip6_parse(b, n + 0, &g), IP6_OK);
    b[0] = 0x45;
    cr_assert_eq(ip6_parse(b, n, &g), IP6_ERR_VERSION);
}

Test(ip6_wire, address_classes)
{
    uint8_t ll[16] = {0xfe, 0x80, [15] = 1}, mc[16] = {0xff, 0x02, [15] = 1}, sn[16];
    cr_assert(ip6_is_linklocal(ll));
    cr_assert(!ip6_is_linklocal(SRC));
    cr_assert(ip6_is_multicast(mc));
    cr_assert_eq(ip6_mcast_scope(mc), 2);
    cr_assert_eq(ip6_mcast_scope(SRC), 0);
    uint8_t a[16] = {0xfd, 0, [13] = 0x12, 0x34, 0x56};
    ip6_solicited_node(a, sn);
    uint8_t want[16] = {0xff, 0x02, [11] = 0x01, 0xff, 0x12, 0x34, 0x56};
    cr_assert(memcmp(sn, want, 16) == 0);
    cr_assert(ip6_is_solicited_node(sn));
    cr_assert(!ip6_is_solicited_node(mc));
    uint8_t mac[6], wmac[6] = {0x33, 0x33, 0xff, 0x12, 0x34, 0x56};
    ip6_mcast_mac(sn, mac);
    cr_assert(memcmp(mac, wmac, 6) == 0);
    uint8_t zero[16] = {0}, one[16] = {[15] = 1}, mapped[16] = {[10] = 0xff, 0xff, 198, 18, 0, 1};
    cr_assert(ip6_is_unspecified(zero) && !ip6_is_unspecified(one));
    cr_assert(ip6_is_loopback(one) && !ip6_is_loopback(zero));
    cr_assert(ip6_is_v4mapped(mapped) && !ip6_is_v4mapped(SRC));
    cr_assert(ip6_prefix_eq(SRC, DST, 64));
    cr_assert(ip6_prefix_eq(SRC, DST, 126));
    cr_assert(!ip6_prefix_eq(SRC, DST, 127));
    cr_assert(ip6_prefix_eq(SRC, ll, 6));  /* fd = 111111 01, fe = 111111 10 */
    cr_assert(!ip6_prefix_eq(SRC, ll, 7));
}

Test(ip6_wire, frag_header_roundtrip)
{
    uint8_t b[8];
    struct ip6_frag f = {.next = 17, .offset = 1448, .more = true, .id = 0xdeadbeef}, g;
    ip6_frag_emit(b, &f);
    cr_assert_eq(ip6_frag_parse(b, 7, &g), -1);
    cr_assert_eq(ip6_frag_parse(b, 8, &g), 0);
    cr_assert_eq(g.next, 17);
    cr_assert_eq(g.offset, 1448);
    cr_assert(g.more);
    cr_assert_eq(g.id, 0xdeadbeef);
}

Test(ip6_wire, walk_no_ext)
{
    uint8_t b[128];
    size_t n = mk(b, IP6_NH_UDP, NULL, 0, 8);
    struct ip6_ext x;
    ip6_ext_walk(b, n, b[6], 40, 6, false, &x);
    cr_assert_eq(x.verdict, IP6_EXT_OK);
    cr_assert_eq(x.proto, IP6_NH_UDP);
    cr_assert_eq(x.l4_off, 40);
    cr_assert_eq(x.nh_off, 6);
    cr_assert_eq(x.n_hdrs, 0);
}

Test(ip6_wire, walk_hbh_dst_routing0)
{
    /* HBH (router alert, pad) -> DstOpts (PadN) -> Routing type 0 segleft 0 -> UDP */
    uint8_t ext[24] = {
        IP6_NH_DSTOPTS, 0, IP6_OPT_ROUTER_ALERT, 2, 0, 0, IP6_OPT_PAD1, IP6_OPT_PAD1,
        IP6_NH_ROUTING, 0, IP6_OPT_PADN, 4, 0, 0, 0, 0,
        IP6_NH_UDP, 0, 0, 0, 0, 0, 0, 0,
    };
    uint8_t b[128];
    size_t n = mk(b, IP6_NH_HOPOPTS, ext, sizeof ext, 8);
    struct ip6_ext x;
    ip6_ext_walk(b, n, b[6], 40, 6, false, &x);
    cr_assert_eq(x.verdict, IP6_EXT_OK);
    cr_assert_eq(x.proto, IP6_NH_UDP);
    cr_assert_eq(x.l4_off, 64);
    cr_assert_eq(x.nh_off, 56);
    cr_assert_eq(x.n_hdrs, 3);
    cr_assert(x.router_alert);
    cr_assert(x.had_routing);
}

Test(ip6_wire, walk_routing_segments_left_refused)
{
    /* RFC 5095: RH0 with Segments Left != 0 -> Parameter Problem code 0 at the type field. */
    uint8_t ext[24] = {IP6_NH_UDP, 2, 0, 1};
    uint8_t b[128];
    size_t n = mk(b, IP6_NH_ROUTING, ext, sizeof ext, 8);
    struct ip6_ext x;
    ip6_ext_walk(b, n, b[6], 40, 6, false, &x);
    cr_assert_eq(x.verdict, IP6_EXT_PARAM_PROBLEM);
    cr_assert_eq(x.pp_code, 0);
    cr_assert_eq(x.pp_pointer, 42);
    /* any other type too */
    b[42] = 4;
    ip6_ext_walk(b, n, b[6], 40, 6, false, &x);
    cr_assert_eq(x.verdict, IP6_EXT_PARAM_PROBLEM);
}

Test(ip6_wire, walk_hbh_not_first)
{
    uint8_t ext[16] = {IP6_NH_HOPOPTS, 0, 1, 4, 0, 0, 0, 0, IP6_NH_UDP, 0, 1, 4};
    uint8_t b[128];
    size_t n = mk(b, IP6_NH_DSTOPTS, ext, sizeof ext, 8);
    struct ip6_ext x;
    ip6_ext_walk(b, n, b[6], 40, 6, false, &x);
    cr_assert_eq(x.verdict, IP6_EXT_PARAM_PROBLEM);
    cr_assert_eq(x.pp_code, 1);
    cr_assert_eq(x.pp_pointer, 40);  /* the Next Header byte of the DstOpts that named HBH */
}

Test(ip6_wire, walk_unknown_option_actions)
{
    uint8_t ext[8] = {IP6_NH_UDP, 0, 0x1e, 4, 0, 0, 0, 0};  /* 00: skip */
    uint8_t b[128];
    struct ip6_ext x;
    size_t n = mk(b, IP6_NH_DSTOPTS, ext, sizeof ext, 8);
    ip6_ext_walk(b, n, b[6], 40, 6, false, &x);
    cr_assert_eq(x.verdict, IP6_EXT_OK);
    cr_assert_eq(x.proto, IP6_NH_UDP);

    b[42] = 0x5e;  /* 01: discard */
    ip6_ext_walk(b, n, b[6], 40, 6, false, &x);
    cr_assert_eq(x.verdict, IP6_EXT_DROP);

    b[42] = 0x9e;  /* 10: param problem code 2 even to multicast */
    ip6_ext_walk(b, n, b[6], 40, 6, true, &x);
    cr_assert_eq(x.verdict, IP6_EXT_PARAM_PROBLEM);
    cr_assert_eq(x.pp_code, 2);
    cr_assert_eq(x.pp_pointer, 42);
    cr_assert(x.pp_even_if_multicast);

    b[42] = 0xde;  /* 11: param problem unless multicast */
    ip6_ext_walk(b, n, b[6], 40, 6, false, &x);
    cr_assert_eq(x.verdict, IP6_EXT_PARAM_PROBLEM);
    cr_assert(!x.pp_even_if_multicast);
    ip6_ext_walk(b, n, b[6], 40, 6, true, &x);
    cr_assert_eq(x.verdict, IP6_EXT_DROP);

    b[42] = IP6_OPT_JUMBO;  /* jumbo unsupported: 11 -> param problem */
    ip6_ext_walk(b, n, b[6], 40, 6, false, &x);
    cr_assert_eq(x.verdict, IP6_EXT_PARAM_PROBLEM);
}

Test(ip6_wire, walk_option_overruns)
{
    /* An option whose length runs past its header. */
    uint8_t ext[8] = {IP6_NH_UDP, 0, 0x1e, 5, 0, 0, 0, 0};
    uint8_t b[128];
    struct ip6_ext x;
    size_t n = mk(b, IP6_NH_DSTOPTS, ext, sizeof ext, 8);
    ip6_ext_walk(b, n, b[6], 40, 6, false, &x);
    cr_assert_eq(x.verdict, IP6_EXT_PARAM_PROBLEM);
    cr_assert_eq(x.pp_code, 0);
    /* Type byte as the very last byte of the header (no length). */
    uint8_t ext2[8] = {IP6_NH_UDP, 0, 1, 3, 0, 0, 0, 0x1e};
    n = mk(b, IP6_NH_DSTOPTS, ext2, sizeof ext2, 8);
    ip6_ext_walk(b, n, b[6], 40, 6, false, &x);
    cr_assert_eq(x.verdict, IP6_EXT_PARAM_PROBLEM);
}

Test(ip6_wire, walk_too_much_padding)
{
    /* A PadN of 14 bytes: more padding than alignment ever needs. */
    uint8_t ext[16] = {IP6_NH_UDP, 1, 1, 12};
    uint8_t b[128];
    struct ip6_ext x;
    size_t n = mk(b, IP6_NH_DSTOPTS, ext, sizeof ext, 8);
    ip6_ext_walk(b, n, b[6], 40, 6, false, &x);
    cr_assert_eq(x.verdict, IP6_EXT_DROP);
}

Test(ip6_wire, walk_header_past_end)
{
    /* Hdr Ext Len says 16 bytes but only 8 in the payload. */
    uint8_t ext[8] = {IP6_NH_UDP, 1, 1, 4};
    uint8_t b[128];
    struct ip6_ext x;
    size_t n = mk(b, IP6_NH_DSTOPTS, ext, sizeof ext, 0);
    ip6_ext_walk(b, n, b[6], 40, 6, false, &x);
    cr_assert_eq(x.verdict, IP6_EXT_PARAM_PROBLEM);
    cr_assert_eq(x.pp_pointer, 41);
    /* One byte of an extension header. */
    n = mk(b, IP6_NH_DSTOPTS, ext, 1, 0);
    ip6_ext_walk(b, n, b[6], 40, 6, false, &x);
    cr_assert_eq(x.verdict, IP6_EXT_DROP);
    /* A truncated fragment header. */
    n = mk(b, IP6_NH_FRAGMENT, ext, 7, 0);
    ip6_ext_walk(b, n, b[6], 40, 6, false, &x);
    cr_assert_eq(x.verdict, IP6_EXT_DROP);
}

Test(ip6_wire, walk_too_many_headers)
{
    /* 9 destination options headers in a row. */
    uint8_t ext[9 * 8];
    for (int i = 0; i < 9; i++) {
        uint8_t *h = ext + i * 8;
        memset(h, 0, 8);
        h[0] = i == 8 ? IP6_NH_UDP : IP6_NH_DSTOPTS;
        h[2] = 1;
        h[3] = 4;
    }
    uint8_t b[256];
    struct ip6_ext x;
    size_t n = mk(b, IP6_NH_DSTOPTS, ext, sizeof ext, 8);
    ip6_ext_walk(b, n, b[6], 40, 6, false, &x);
    cr_assert_eq(x.verdict, IP6_EXT_DROP);
    /* 8 is within bounds. */
    ext[7 * 8] = IP6_NH_UDP;
    n = mk(b, IP6_NH_DSTOPTS, ext, 8 * 8, 8);
    ip6_ext_walk(b, n, b[6], 40, 6, false, &x);
    cr_assert_eq(x.verdict, IP6_EXT_OK);
    cr_assert_eq(x.n_hdrs, 8);
}

Test(ip6_wire, walk_fragment_and_atomic)
{
    uint8_t ext[8];
    struct ip6_frag f = {.next = IP6_NH_UDP, .offset = 0, .more = true, .id = 7};
    ip6_frag_emit(ext, &f);
    uint8_t b[128];
    struct ip6_ext x;
    size_t n = mk(b, IP6_NH_FRAGMENT, ext, 8, 16);
    ip6_ext_walk(b, n, b[6], 40, 6, false, &x);
    cr_assert_eq(x.verdict, IP6_EXT_FRAGMENT);
    cr_assert_eq(x.frag_off, 40);
    cr_assert_eq(x.frag.id, 7);
    cr_assert(x.frag.more);
    /* Atomic: offset 0, M 0 -> walked through (RFC 6946). */
    f.more = false;
    ip6_frag_emit(ext, &f);
    n = mk(b, IP6_NH_FRAGMENT, ext, 8, 16);
    ip6_ext_walk(b, n, b[6], 40, 6, false, &x);
    cr_assert_eq(x.verdict, IP6_EXT_OK);
    cr_assert(x.had_atomic_frag);
    cr_assert_eq(x.proto, IP6_NH_UDP);
    cr_assert_eq(x.l4_off, 48);
    cr_assert_eq(x.nh_off, 40);
}

Test(ip6_wire, walk_random_chains_stay_in_bounds)
{
    /* Random bytes as a chain: the walk must never read past len (ASan
     * watches) and always gives a verdict with l4_off <= len. */
    uint32_t s = 12345;
    for (int iter = 0; iter < 20000; iter++) {
        uint8_t *b = malloc(200);
        size_t elen = 0;
        for (int i = 0; i < 160; i++) {
            s = s * 1103515245u + 12345u;
            b[40 + i] = (uint8_t)(s >> 16);
        }
        s = s * 1103515245u + 12345u;
        elen = (s >> 16) % 160;
        /* Bias next headers to extension headers so chains get deep. */
        static const uint8_t nhs[] = {0, 43, 44, 60, 60, 17};
        for (size_t i = 40; i < 40 + elen; i += 8)
            if (((s >> (i % 13)) & 3) != 0)
                b[i] = nhs[(s + i) % 6];
        s = s * 1103515245u + 12345u;
        uint8_t first = nhs[(s >> 16) % 6];
        struct ip6_hdr h = {.payload_len = (uint16_t)elen, .next = first, .hop_limit = 1};
        ip6_emit(b, &h);
        uint8_t *pkt = malloc(40 + elen);
        memcpy(pkt, b, 40 + elen);
        struct ip6_ext x;
        ip6_ext_walk(pkt, 40 + elen, first, 40, 6, (s & 1) != 0, &x);
        cr_assert(x.l4_off <= 40 + elen);
        cr_assert(x.n_hdrs <= IP6_EXT_MAX_HDRS + 1);
        free(pkt);
        free(b);
    }
}
