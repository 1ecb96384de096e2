/* Unit tests of the IPv4-side wire codecs: Ethernet II, ARP, IPv4, ICMPv4,
 * UDP.  Each: a good packet round trip, every truncation length, bad
 * checksums, bad lengths, bad versions. */
#include <criterion/criterion.h>
#include <string.h>

#include "stack/checksum.h"
#include "stack/wire/arp.h"
#include "stack/wire/eth.h"
#include "stack/wire/icmp.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/udp.h"

/* ---- Ethernet ---- */

Test(eth_wire, round_trip)
{
    struct eth_hdr h = {.dst = {1, 2, 3, 4, 5, 6}, .src = {0x02, 9, 8, 7, 6, 5}, .type = ETHERTYPE_IPV4};
    uint8_t buf[ETH_HDR_LEN];
    eth_emit(&h, buf);
    cr_assert_eq(buf[12], 0x08);
    cr_assert_eq(buf[13], 0x00);
    struct eth_hdr g;
    cr_assert_eq(eth_parse(buf, sizeof buf, &g), 0);
    cr_assert_eq(memcmp(&g.dst, h.dst, 6), 0);
    cr_assert_eq(memcmp(&g.src, h.src, 6), 0);
    cr_assert_eq(g.type, ETHERTYPE_IPV4);
}

Test(eth_wire, every_truncation)
{
    uint8_t buf[ETH_HDR_LEN] = {0};
    buf[12] = 0x86;
    buf[13] = 0xdd;
    struct eth_hdr g;
    for (size_t n = 0; n < ETH_HDR_LEN; n++)
        cr_assert_eq(eth_parse(buf, n, &g), WIRE_ETRUNC, "len %zu", n);
    cr_assert_eq(eth_parse(buf, ETH_HDR_LEN, &g), 0);
}

Test(eth_wire, length_field_is_not_a_type)
{
    uint8_t buf[ETH_HDR_LEN] = {0};
    buf[12] = 0x05;
    buf[13] = 0xdc; /* 1500: an 802.3 length */
    struct eth_hdr g;
    cr_assert_eq(eth_parse(buf, sizeof buf, &g), WIRE_ELEN);
}

Test(eth_wire, multicast_mac_mapping)
{
    uint8_t mac[6];
    eth_ip4_multicast_mac(IP4(239, 129, 2, 3), mac);
    uint8_t want[6] = {0x01, 0x00, 0x5e, 0x01, 0x02, 0x03};
    cr_assert_eq(memcmp(mac, want, 6), 0);
    cr_assert(eth_is_multicast(mac));
    cr_assert(eth_is_broadcast(eth_broadcast));
    cr_assert_not(eth_is_broadcast(mac));
}

/* ---- ARP ---- */

static void good_arp(uint8_t *buf)
{
    struct arp_pkt a = {.op = ARP_OP_REQUEST, .sha = {0x02, 1, 2, 3, 4, 5}, .spa = IP4(198, 18, 0, 1),
                        .tha = {0}, .tpa = IP4(198, 18, 0, 2)};
    arp_pkt_emit(&a, buf);
}

Test(arp_wire, round_trip_known_bytes)
{
    uint8_t buf[ARP_PKT_LEN];
    good_arp(buf);
    static const uint8_t want[ARP_PKT_LEN] = {0, 1, 8, 0, 6, 4, 0, 1, 0x02, 1, 2, 3, 4, 5, 198, 18, 0, 1,
                                              0, 0, 0, 0, 0, 0, 198, 18, 0, 2};
    cr_assert_eq(memcmp(buf, want, sizeof want), 0);
    struct arp_pkt g;
    cr_assert_eq(arp_pkt_parse(buf, sizeof buf, &g), 0);
    cr_assert_eq(g.op, ARP_OP_REQUEST);
    cr_assert_eq(g.spa, IP4(198, 18, 0, 1));
    cr_assert_eq(g.tpa, IP4(198, 18, 0, 2));
    cr_assert_eq(g.sha[5], 5);
}

Test(arp_wire, every_truncation_and_padding)
{
    uint8_t buf[64] = {0};
    good_arp(buf);
    struct arp_pkt g;
    for (size_t n = 0; n < ARP_PKT_LEN; n++)
        cr_assert_eq(arp_pkt_parse(buf, n, &g), WIRE_ETRUNC, "len %zu", n);
    /* Ethernet pads ARP to 46 bytes: trailing bytes are fine. */
    cr_assert_eq(arp_pkt_parse(buf, 46, &g), 0);
}

Test(arp_wire, other_hardware_or_protocol_refused)
{
    struct arp_pkt g;
    for (int field = 0; field < 4; field++) {
        uint8_t buf[ARP_PKT_LEN];
        good_arp(buf);
        static const int at[4] = {1, 2, 4, 5};
        buf[at[field]] ^= 0x10;
        cr_assert_eq(arp_pkt_parse(buf, sizeof buf, &g), WIRE_EVERSION, "field %d", field);
    }
    uint8_t buf[ARP_PKT_LEN];
    good_arp(buf);
    buf[7] = 3; /* RARP request */
    cr_assert_eq(arp_pkt_parse(buf, sizeof buf, &g), WIRE_EVALUE);
}

/* ---- IPv4 ---- */

static size_t good_ip(uint8_t *buf, size_t payload)
{
    struct ipv4_hdr h = {.tos = 0x10, .total_len = (uint16_t)(20 + payload), .id = 0xbeef, .df = true,
                         .ttl = 64, .proto = 17, .src = IP4(198, 18, 0, 1), .dst = IP4(198, 18, 0, 2)};
    ipv4_emit(&h, buf);
    memset(buf + 20, 0xab, payload);
    return 20 + payload;
}

Test(ipv4_wire, round_trip)
{
    uint8_t buf[64];
    size_t n = good_ip(buf, 8);
    cr_assert_eq(buf[0], 0x45);
    cr_assert_eq(csum_finish(csum_add(0, buf, 20)), 0, "header checksum verifies");
    struct ipv4_hdr h;
    cr_assert_eq(ipv4_parse(buf, n, &h, true), 0);
    cr_assert_eq(h.hdr_len, 20);
    cr_assert_eq(h.tos, 0x10);
    cr_assert_eq(h.total_len, 28);
    cr_assert_eq(h.id, 0xbeef);
    cr_assert(h.df);
    cr_assert_not(h.mf);
    cr_assert_eq(h.frag_off, 0);
    cr_assert_eq(h.ttl, 64);
    cr_assert_eq(h.proto, 17);
    cr_assert_eq(h.src, IP4(198, 18, 0, 1));
    cr_assert_eq(h.dst, IP4(198, 18, 0, 2));
    cr_assert_not(ipv4_is_fragment(&h));
}

Test(ipv4_wire, fragment_fields)
{
    uint8_t buf[64];
    struct ipv4_hdr h = {.total_len = 28, .mf = true, .frag_off = 1480, .ttl = 1, .proto = 1,
                         .src = 1, .dst = 2};
    ipv4_emit(&h, buf);
    cr_assert_eq(buf[6], 0x20 | (185 >> 8));
    cr_assert_eq(buf[7], 185 & 0xff);
    struct ipv4_hdr g;
    cr_assert_eq(ipv4_parse(buf, 28, &g, true), 0);
    cr_assert(g.mf);
    cr_assert_eq(g.frag_off, 1480);
    cr_assert(ipv4_is_fragment(&g));
}

Test(ipv4_wire, every_truncation)
{
    uint8_t buf[64];
    size_t n = good_ip(buf, 8);
    struct ipv4_hdr h;
    for (size_t k = 0; k < n; k++) {
        int rc = ipv4_parse(buf, k, &h, true);
        cr_assert(rc == WIRE_ETRUNC || rc == WIRE_ELEN, "len %zu gave %d", k, rc);
    }
    /* Padding after total_len (Ethernet minimum frame) is fine. */
    cr_assert_eq(ipv4_parse(buf, sizeof buf, &h, true), 0);
    cr_assert_eq(h.total_len, 28);
}

Test(ipv4_wire, bad_checksum_every_bit)
{
    uint8_t buf[64];
    size_t n = good_ip(buf, 8);
    struct ipv4_hdr h;
    for (int bit = 0; bit < 20 * 8; bit++) {
        uint8_t b[64];
        memcpy(b, buf, n);
        b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        int rc = ipv4_parse(b, n, &h, true);
        cr_assert_neq(rc, 0, "bit %d flipped and still accepted", bit);
    }
    /* Without verification a wrong checksum passes (for quoted headers). */
    buf[10] ^= 1;
    cr_assert_eq(ipv4_parse(buf, n, &h, false), 0);
}

Test(ipv4_wire, bad_version_ihl_and_lengths)
{
    uint8_t buf[64];
    size_t n = good_ip(buf, 8);
    struct ipv4_hdr h;
    uint8_t b[64];
    memcpy(b, buf, n);
    b[0] = 0x65;
    cr_assert_eq(ipv4_parse(b, n, &h, false), WIRE_EVERSION);
    memcpy(b, buf, n);
    b[0] = 0x44; /* IHL 4: 16 bytes */
    cr_assert_eq(ipv4_parse(b, n, &h, false), WIRE_EHDR);
    memcpy(b, buf, n);
    b[0] = 0x4f; /* IHL 15: 60 bytes, longer than the buffer */
    cr_assert_eq(ipv4_parse(b, n, &h, false), WIRE_ETRUNC);
    memcpy(b, buf, n);
    b[2] = 0;
    b[3] = 19; /* total < header */
    cr_assert_eq(ipv4_parse(b, n, &h, false), WIRE_ELEN);
    memcpy(b, buf, n);
    b[3] = 29; /* total > buffer */
    cr_assert_eq(ipv4_parse(b, n, &h, false), WIRE_ELEN);
}

static size_t ip_with_options(uint8_t *buf, const uint8_t *opt, size_t optlen)
{
    size_t hl = 20 + optlen;
    good_ip(buf, 0);
    buf[0] = (uint8_t)(0x40 | hl / 4);
    memcpy(buf + 20, opt, optlen);
    buf[2] = 0;
    buf[3] = (uint8_t)hl;
    buf[10] = buf[11] = 0;
    uint16_t c = csum_finish(csum_add(0, buf, hl));
    buf[10] = (uint8_t)(c >> 8);
    buf[11] = (uint8_t)c;
    return hl;
}

Test(ipv4_wire, options_skipped_safely)
{
    uint8_t buf[80];
    struct ipv4_hdr h;
    /* NOP, NOP, router alert (type 148, len 4), EOL... */
    static const uint8_t ok[8] = {1, 1, 148, 4, 0, 0, 0, 0};
    size_t n = ip_with_options(buf, ok, sizeof ok);
    cr_assert_eq(ipv4_parse(buf, n, &h, true), 0);
    cr_assert_eq(h.hdr_len, 28);
    /* A timestamp option claiming 40 bytes inside an 8-byte area. */
    static const uint8_t overrun[8] = {68, 40, 5, 0, 0, 0, 0, 0};
    n = ip_with_options(buf, overrun, sizeof overrun);
    cr_assert_eq(ipv4_parse(buf, n, &h, true), WIRE_EHDR);
    /* Length 0 and 1 would loop forever or overlap. */
    static const uint8_t zero_len[4] = {7, 0, 0, 0};
    n = ip_with_options(buf, zero_len, sizeof zero_len);
    cr_assert_eq(ipv4_parse(buf, n, &h, true), WIRE_EHDR);
    static const uint8_t one_len[4] = {7, 1, 0, 0};
    n = ip_with_options(buf, one_len, sizeof one_len);
    cr_assert_eq(ipv4_parse(buf, n, &h, true), WIRE_EHDR);
    /* A type byte with no room for its length. */
    static const uint8_t no_len[4] = {1, 1, 1, 7};
    n = ip_with_options(buf, no_len, sizeof no_len);
    cr_assert_eq(ipv4_parse(buf, n, &h, true), WIRE_EHDR);
    /* Bytes after EOL are not looked at. */
    static const uint8_t after_eol[4] = {0, 0xff, 0xff, 0xff};
    n = ip_with_options(buf, after_eol, sizeof after_eol);
    cr_assert_eq(ipv4_parse(buf, n, &h, true), 0);
}

Test(ipv4_wire, address_classes)
{
    cr_assert(ip4_is_multicast(IP4(224, 0, 0, 1)));
    cr_assert(ip4_is_multicast(IP4(239, 255, 255, 255)));
    cr_assert_not(ip4_is_multicast(IP4(240, 0, 0, 0)));
    cr_assert(ip4_is_reserved_e(IP4(255, 255, 255, 255)));
    cr_assert(ip4_is_loopback(IP4(127, 1, 2, 3)));
    cr_assert_not(ip4_is_loopback(IP4(128, 0, 0, 1)));
}

/* ---- ICMP ---- */

Test(icmp_wire, echo_round_trip)
{
    uint8_t buf[64];
    uint8_t data[16];
    for (int i = 0; i < 16; i++)
        data[i] = (uint8_t)i;
    struct icmp_hdr h = {.type = ICMP_ECHO_REQUEST, .rest = 0x12340007, .data = data, .data_len = 16};
    size_t n = icmp_emit(&h, buf);
    cr_assert_eq(n, 24);
    cr_assert_eq(csum_finish(csum_add(0, buf, n)), 0);
    struct icmp_hdr g;
    cr_assert_eq(icmp_parse(buf, n, &g, true), 0);
    cr_assert_eq(g.type, ICMP_ECHO_REQUEST);
    cr_assert_eq(icmp_echo_id(&g), 0x1234);
    cr_assert_eq(icmp_echo_seq(&g), 7);
    cr_assert_eq(g.data_len, 16);
    cr_assert_eq(memcmp(g.data, data, 16), 0);
}

Test(icmp_wire, odd_length_checksum_and_in_place_data)
{
    uint8_t buf[64];
    memset(buf + 8, 0x5a, 7);
    struct icmp_hdr h = {.type = ICMP_ECHO_REPLY, .rest = 1, .data = buf + 8, .data_len = 7};
    size_t n = icmp_emit(&h, buf);
    cr_assert_eq(n, 15);
    struct icmp_hdr g;
    cr_assert_eq(icmp_parse(buf, n, &g, true), 0);
    cr_assert_eq(g.data[6], 0x5a);
}

Test(icmp_wire, every_truncation_and_bad_checksum)
{
    uint8_t buf[64];
    struct icmp_hdr h = {.type = ICMP_DEST_UNREACH, .code = ICMP_PORT_UNREACH, .data = NULL, .data_len = 0};
    size_t n = icmp_emit(&h, buf);
    struct icmp_hdr g;
    for (size_t k = 0; k < ICMP_HDR_LEN; k++)
        cr_assert_eq(icmp_parse(buf, k, &g, true), WIRE_ETRUNC);
    cr_assert_eq(icmp_parse(buf, n, &g, true), 0);
    for (int bit = 0; bit < 64; bit++) {
        uint8_t b[8];
        memcpy(b, buf, 8);
        b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        cr_assert_eq(icmp_parse(b, 8, &g, true), WIRE_ECSUM, "bit %d", bit);
    }
    cr_assert(icmp_is_error(ICMP_DEST_UNREACH));
    cr_assert(icmp_is_error(ICMP_TIME_EXCEEDED));
    cr_assert_not(icmp_is_error(ICMP_ECHO_REQUEST));
}

/* ---- UDP ---- */

static const struct ipaddr *src4(void)
{
    static struct ipaddr a;
    a = ip4(IP4(198, 18, 0, 1));
    return &a;
}

static const struct ipaddr *dst4(void)
{
    static struct ipaddr a;
    a = ip4(IP4(198, 18, 0, 2));
    return &a;
}

static size_t good_udp(uint8_t *buf, size_t payload)
{
    for (size_t i = 0; i < payload; i++)
        buf[UDP_HDR_LEN + i] = (uint8_t)(i + 1);
    struct udp_hdr h = {.sport = 40000, .dport = 53};
    udp_emit(&h, buf, payload, src4(), dst4());
    return UDP_HDR_LEN + payload;
}

Test(udp_wire, round_trip)
{
    uint8_t buf[64];
    size_t n = good_udp(buf, 11);
    struct udp_hdr h;
    cr_assert_eq(udp_parse(buf, n, &h, src4(), dst4()), 0);
    cr_assert_eq(h.sport, 40000);
    cr_assert_eq(h.dport, 53);
    cr_assert_eq(h.len, 19);
    cr_assert_neq(h.checksum, 0);
}

Test(udp_wire, every_truncation)
{
    uint8_t buf[64];
    size_t n = good_udp(buf, 11);
    struct udp_hdr h;
    for (size_t k = 0; k < n; k++) {
        int rc = udp_parse(buf, k, &h, src4(), dst4());
        cr_assert(rc == WIRE_ETRUNC || rc == WIRE_ELEN, "len %zu: %d", k, rc);
    }
}

Test(udp_wire, bad_checksum_and_lengths)
{
    uint8_t buf[64];
    size_t n = good_udp(buf, 11);
    struct udp_hdr h;
    buf[UDP_HDR_LEN] ^= 0x40;
    cr_assert_eq(udp_parse(buf, n, &h, src4(), dst4()), WIRE_ECSUM);
    buf[UDP_HDR_LEN] ^= 0x40;
    /* The pseudo-header counts: another destination fails. */
    struct ipaddr other = ip4(IP4(198, 18, 0, 3));
    cr_assert_eq(udp_parse(buf, n, &h, src4(), &other), WIRE_ECSUM);
    /* Length field below 8 or beyond the buffer. */
    uint8_t b[64];
    memcpy(b, buf, n);
    b[4] = 0;
    b[5] = 7;
    cr_assert_eq(udp_parse(b, n, &h, src4(), dst4()), WIRE_ELEN);
    b[5] = (uint8_t)(n + 1);
    cr_assert_eq(udp_parse(b, n, &h, src4(), dst4()), WIRE_ELEN);
}

Test(udp_wire, zero_checksum_means_none_on_ipv4_only)
{
    uint8_t buf[64];
    size_t n = good_udp(buf, 4);
    buf[6] = buf[7] = 0;
    buf[UDP_HDR_LEN] ^= 0xff; /* not covered by any checksum now */
    struct udp_hdr h;
    cr_assert_eq(udp_parse(buf, n, &h, src4(), dst4()), 0);
    uint8_t a6[16] = {0xfd, 0, 1, 0x98, 0, 0x18};
    struct ipaddr s6 = ip6(a6), d6 = ip6(a6);
    cr_assert_eq(udp_parse(buf, n, &h, &s6, &d6), WIRE_ECSUM);
}

Test(udp_wire, computed_zero_is_sent_as_ffff)
{
    /* Find a payload whose checksum computes to 0; it must go out as 0xffff
     * (RFC 768) and still verify. */
    uint8_t buf[16];
    for (unsigned v = 0; v < 65536; v++) {
        buf[8] = (uint8_t)(v >> 8);
        buf[9] = (uint8_t)v;
        struct udp_hdr h = {.sport = 1, .dport = 2};
        udp_emit(&h, buf, 2, src4(), dst4());
        if (buf[6] == 0xff && buf[7] == 0xff) {
            struct udp_hdr g;
            cr_assert_eq(udp_parse(buf, 10, &g, src4(), dst4()), 0);
            return;
        }
        cr_assert(buf[6] || buf[7], "a zero checksum was emitted");
    }
    cr_assert_fail("no payload gave a zero checksum");
}
