/* IPv6 on a running stack: input validation, extension headers through the
 * stack (Parameter Problems), reassembly incl. RFC 5722 overlaps, ICMPv6
 * echo and error rules (RFC 4443 2.4), rate limiting, Packet Too Big and the
 * path MTU, output fragmentation, loopback, and a robustness run of random
 * and mutated frames. */
#include <criterion/criterion.h>
#include <errno.h>
#include <sys/socket.h>

#include "ip6_helpers.h"
#include "stack/ip.h"
#include "stack/socket.h"
#include "stack/tcp_info.h"
#include "stack/wire/tcp.h"
#include "stack/wire/udp.h"

static uint8_t fbuf[70000];

/* The peer's neighbour entry, so that our replies go out at once. */
static void know_peer(struct f6 *f)
{
    uint8_t m[64], sn[16];
    size_t n = f6_ns_for_me(m, sn);
    f6_icmp(f, PEER_G, sn, 255, m, n);
    f6_peer_na(f, PEER_G, MY_G, true);
    capture_clear(&f->cap);
}

static size_t echo_msg(uint8_t *m, size_t cap, uint16_t seq, size_t plen)
{
    uint8_t pl[4000];
    for (size_t i = 0; i < plen && i < sizeof pl; i++)
        pl[i] = (uint8_t)i;
    return icmp6_emit_echo(m, cap, ICMP6_ECHO_REQUEST, 0x4242, seq, pl, plen);
}

Test(ip6_stack, echo_reply_global_and_linklocal)
{
    struct f6 f;
    f6_setup(&f, true);
    know_peer(&f);
    uint8_t m[64];
    size_t n = echo_msg(m, sizeof m, 1, 20);
    f6_icmp(&f, PEER_G, MY_G, 64, m, n);
    size_t off = 0; /* set by the pop helper; -O1 cannot see it */
    struct cap_frame *fr = f6_pop_icmp(&f, ICMP6_ECHO_REPLY, &off);
    cr_assert_not_null(fr);
    cr_assert(memcmp(fr->data + 14 + 8, MY_G, 16) == 0);
    cr_assert(memcmp(fr->data + 14 + 24, PEER_G, 16) == 0);
    cr_assert_eq(fr->len - off, n);
    cr_assert(memcmp(fr->data + off + 4, m + 4, n - 4) == 0, "id, seq, payload echoed");
    cr_assert_eq(icmp6_checksum(fr->data + 14 + 8, fr->data + 14 + 24, fr->data + off, n), 0);
    free(fr);
    /* Link-local: to fe80::<ours>, answered from it. */
    uint8_t ll[16];
    f6_ll(&f, ll);
    uint8_t ms[64], sn[16];
    ip6_solicited_node(ll, sn);
    size_t k = nd_emit_ns(ms, sizeof ms, ll, peer_mac6, NULL, 0);
    f6_icmp(&f, PEER_LL, sn, 255, ms, k);
    capture_clear(&f.cap);
    f6_icmp(&f, PEER_LL, ll, 64, m, n);
    fr = f6_pop_icmp(&f, ICMP6_ECHO_REPLY, &off);
    cr_assert_not_null(fr);
    cr_assert(memcmp(fr->data + 14 + 8, ll, 16) == 0);
    free(fr);
    cr_assert_eq(f.st->ctr.icmp6_tx_echo_replies, 2);
    /* A bad checksum is dropped. */
    size_t len = f6_frame(fbuf, PEER_G, MY_G, 64, 0, NULL, 0, IP6_NH_ICMPV6, m, n);
    fbuf[len - 1] ^= 1;
    f6_feed(&f, fbuf, len);
    cr_assert_eq(f.st->ctr.icmp6_rx_bad, 1);
    f6_teardown(&f);
}

Test(ip6_stack, input_validation)
{
    struct f6 f;
    f6_setup(&f, true);
    know_peer(&f);
    uint8_t m[64];
    size_t n = echo_msg(m, sizeof m, 1, 8);
    size_t len = f6_frame(fbuf, PEER_G, MY_G, 64, 0, NULL, 0, IP6_NH_ICMPV6, m, n);
    /* Truncated frames. */
    uint64_t rx0 = f.st->ctr.icmp6_rx;
    for (size_t l = 14; l < len; l++)
        f6_feed(&f, fbuf, l);
    cr_assert_eq(f.st->ctr.icmp6_rx, rx0);
    /* Link padding after the payload is ignored. */
    f6_feed(&f, fbuf, len);   /* baseline */
    memset(fbuf + len, 0, 10);
    f6_feed(&f, fbuf, len + 10);
    cr_assert_eq(f.st->ctr.icmp6_rx_echo_requests, 2);
    /* Not for us. */
    uint8_t other[16];
    memcpy(other, MY_G, 16);
    other[15] = 99;
    len = f6_frame(fbuf, PEER_G, other, 64, 0, NULL, 0, IP6_NH_ICMPV6, m, n);
    f6_feed(&f, fbuf, len);
    cr_assert_eq(f.st->ctr.ip6_rx_not_for_us, 1);
    /* Multicast source, loopback from the wire. */
    len = f6_frame(fbuf, ip6_all_nodes, MY_G, 64, 0, NULL, 0, IP6_NH_ICMPV6, m, n);
    f6_feed(&f, fbuf, len);
    uint8_t one[16] = {[15] = 1};
    len = f6_frame(fbuf, PEER_G, one, 64, 0, NULL, 0, IP6_NH_ICMPV6, m, n);
    f6_feed(&f, fbuf, len);
    cr_assert_eq(f.st->ctr.ip6_rx_bad_source, 2);
    /* A group we did not join. */
    uint8_t grp[16] = {0xff, 0x02, [15] = 0x42};
    len = f6_frame(fbuf, PEER_G, grp, 64, 0, NULL, 0, IP6_NH_ICMPV6, m, n);
    f6_feed(&f, fbuf, len);
    cr_assert_eq(f.st->ctr.ip6_rx_not_for_us, 2);
    /* Joined: accepted. */
    cr_assert_eq(stack_ip6_join(f.st, f.ifx, grp), 0);
    len = f6_frame(fbuf, PEER_G, grp, 64, 0, NULL, 0, IP6_NH_ICMPV6, m, n);
    f6_feed(&f, fbuf, len);
    cr_assert_eq(f.st->ctr.icmp6_rx_echo_requests, 3);
    /* Version 4 in an IPv6 EtherType. */
    len = f6_frame(fbuf, PEER_G, MY_G, 64, 0, NULL, 0, IP6_NH_ICMPV6, m, n);
    fbuf[14] = 0x45;
    f6_feed(&f, fbuf, len);
    cr_assert_eq(f.st->ctr.ip6_rx_bad_version, 1);
    f6_teardown(&f);
}

Test(ip6_stack, tentative_address_gets_nothing)
{
    struct f6 f;
    f6_setup(&f, false);
    cr_assert_eq(stack_add_ip6(f.st, f.ifx, MY_G, 64), 0);
    uint8_t m[64];
    size_t n = echo_msg(m, sizeof m, 1, 8);
    f6_icmp(&f, PEER_G, MY_G, 64, m, n);
    cr_assert_eq(f.st->ctr.ip6_rx_tentative, 1);
    cr_assert_eq(f.st->ctr.icmp6_rx, 0);
    f6_teardown(&f);
}

static struct cap_frame *pop_param_problem(struct f6 *f, uint8_t *code, uint32_t *ptr)
{
    size_t off = 0; /* set by the pop helper; -O1 cannot see it */
    struct cap_frame *fr = f6_pop_icmp(f, ICMP6_PARAM_PROBLEM, &off);
    if (fr) {
        struct icmp6_hdr h;
        icmp6_parse(fr->data + off, fr->len - off, NULL, NULL, &h);
        *code = h.code;
        *ptr = h.data;
    }
    return fr;
}

Test(ip6_stack, routing_header_type0_refused)
{
    struct f6 f;
    f6_setup(&f, true);
    know_peer(&f);
    uint8_t ext[24] = {IP6_NH_ICMPV6, 2, 0, 1};
    uint8_t m[64];
    size_t n = echo_msg(m, sizeof m, 1, 8);
    size_t len = f6_frame(fbuf, PEER_G, MY_G, 64, IP6_NH_ROUTING, ext, sizeof ext, IP6_NH_ICMPV6, m, n);
    f6_feed(&f, fbuf, len);
    uint8_t code;
    uint32_t ptr;
    struct cap_frame *fr = pop_param_problem(&f, &code, &ptr);
    cr_assert_not_null(fr);
    cr_assert_eq(code, 0);
    cr_assert_eq(ptr, 42);
    free(fr);
    cr_assert_eq(f.st->ctr.icmp6_rx_echo_requests, 0);
    /* Segments Left 0: the header is skipped and the echo answered. */
    ext[3] = 0;
    len = f6_frame(fbuf, PEER_G, MY_G, 64, IP6_NH_ROUTING, ext, sizeof ext, IP6_NH_ICMPV6, m, n);
    f6_feed(&f, fbuf, len);
    cr_assert_eq(f.st->ctr.icmp6_rx_echo_requests, 1);
    fr = f6_pop_icmp(&f, ICMP6_ECHO_REPLY, NULL);
    cr_assert_not_null(fr);
    free(fr);
    f6_teardown(&f);
}

Test(ip6_stack, unknown_next_header_and_options)
{
    struct f6 f;
    f6_setup(&f, true);
    know_peer(&f);
    uint8_t pl[16] = {0};
    size_t len = f6_frame(fbuf, PEER_G, MY_G, 64, 0, NULL, 0, 253, pl, sizeof pl);
    f6_feed(&f, fbuf, len);
    cr_assert_eq(f.st->ctr.ip6_rx_unknown_proto, 1);
    uint8_t code;
    uint32_t ptr;
    struct cap_frame *fr = pop_param_problem(&f, &code, &ptr);
    cr_assert_not_null(fr);
    cr_assert_eq(code, 1);
    cr_assert_eq(ptr, 6);
    /* The error quotes the packet. */
    cr_assert(memcmp(fr->data + 14 + 40 + 8, fbuf + 14, 40) == 0);
    free(fr);
    /* Unknown option 11xxxxxx to us: code 2 pointing at it. */
    uint8_t ext[8] = {IP6_NH_NONE, 0, 0xc9, 4, 0, 0, 0, 0};
    len = f6_frame(fbuf, PEER_G, MY_G, 64, IP6_NH_DSTOPTS, ext, sizeof ext, IP6_NH_NONE, NULL, 0);
    f6_feed(&f, fbuf, len);
    fr = pop_param_problem(&f, &code, &ptr);
    cr_assert_not_null(fr);
    cr_assert_eq(code, 2);
    cr_assert_eq(ptr, 42);
    free(fr);
    /* ... but not to a multicast destination. */
    len = f6_frame(fbuf, PEER_G, ip6_all_nodes, 64, IP6_NH_DSTOPTS, ext, sizeof ext, IP6_NH_NONE, NULL, 0);
    f6_feed(&f, fbuf, len);
    cr_assert_null(pop_param_problem(&f, &code, &ptr));
    /* 10xxxxxx: even to multicast (RFC 4443 2.4 (e.3) exception). */
    ext[2] = 0x89;
    len = f6_frame(fbuf, PEER_G, ip6_all_nodes, 64, IP6_NH_DSTOPTS, ext, sizeof ext, IP6_NH_NONE, NULL, 0);
    f6_feed(&f, fbuf, len);
    fr = pop_param_problem(&f, &code, &ptr);
    cr_assert_not_null(fr);
    cr_assert_eq(code, 2);
    cr_assert(memcmp(fr->data + 14 + 8, MY_G, 16) == 0, "from a unicast address of ours");
    free(fr);
    /* Hop-by-Hop not first: Parameter Problem code 1. */
    uint8_t ext2[16] = {IP6_NH_HOPOPTS, 0, 1, 4, 0, 0, 0, 0, IP6_NH_NONE, 0, 1, 4};
    len = f6_frame(fbuf, PEER_G, MY_G, 64, IP6_NH_DSTOPTS, ext2, sizeof ext2, IP6_NH_NONE, NULL, 0);
    f6_feed(&f, fbuf, len);
    fr = pop_param_problem(&f, &code, &ptr);
    cr_assert_not_null(fr);
    cr_assert_eq(code, 1);
    cr_assert_eq(ptr, 40);
    free(fr);
    f6_teardown(&f);
}

Test(ip6_stack, no_error_about_errors_or_from_unspecified)
{
    struct f6 f;
    f6_setup(&f, true);
    know_peer(&f);
    /* An ICMPv6 error (dest unreachable) whose inner packet has an
     * unknown option: we answer nothing (never an error about an error). */
    uint8_t ext[8] = {IP6_NH_ICMPV6, 0, 0xc9, 4, 0, 0, 0, 0};
    uint8_t e[48] = {ICMP6_DST_UNREACH, 4};
    size_t len = f6_frame(fbuf, PEER_G, MY_G, 64, IP6_NH_DSTOPTS, ext, sizeof ext, IP6_NH_ICMPV6, e, sizeof e);
    f6_feed(&f, fbuf, len);
    cr_assert_eq(f.cap.count, 0);
    cr_assert_geq(f.st->ctr.icmp6_tx_suppressed, 1);
    /* From :: : nobody to tell. */
    static const uint8_t any[16];
    uint8_t pl[8] = {0};
    len = f6_frame(fbuf, any, MY_G, 64, 0, NULL, 0, 253, pl, sizeof pl);
    f6_feed(&f, fbuf, len);
    cr_assert_eq(f.cap.count, 0);
    f6_teardown(&f);
}

/* RFC 4443 2.4 (e.4, e.5): no error about a packet that came in a link-layer
 * multicast or broadcast frame, even when its IPv6 destination is our
 * unicast address; the exceptions of (e.3) still apply (Parameter Problem
 * code 2 for a 10xxxxxx option). */
static size_t relink(uint8_t *frame, size_t len, const uint8_t mac[6])
{
    memcpy(frame, mac, 6);
    return len;
}

Test(ip6_stack, no_error_about_link_multicast_or_broadcast_frames)
{
    struct f6 f;
    f6_setup(&f, true);
    know_peer(&f);
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    static const uint8_t allnodes_mac[6] = {0x33, 0x33, 0, 0, 0, 1};
    const uint8_t *macs[2] = {bcast, allnodes_mac};
    uint8_t code;
    uint32_t ptr;
    /* Unknown Next Header: Parameter Problem code 1 to a unicast frame ... */
    uint8_t pl[16] = {0};
    size_t len = f6_frame(fbuf, PEER_G, MY_G, 64, 0, NULL, 0, 253, pl, sizeof pl);
    f6_feed(&f, fbuf, len);
    struct cap_frame *fr = pop_param_problem(&f, &code, &ptr);
    cr_assert_not_null(fr, "the control: a unicast frame gets its error");
    free(fr);
    /* ... none to the same packet in a broadcast or multicast frame. */
    for (int i = 0; i < 2; i++) {
        uint64_t sup = f.st->ctr.icmp6_tx_suppressed;
        f6_feed(&f, fbuf, relink(fbuf, len, macs[i]));
        cr_assert_eq(f.st->ctr.ip6_rx_unknown_proto, 2u + (unsigned)i, "the packet was taken in");
        cr_assert_null(pop_param_problem(&f, &code, &ptr), "frame %d: no error", i);
        cr_assert_eq(f.st->ctr.icmp6_tx_suppressed, sup + 1);
    }
    /* UDP to a closed port: port unreachable only for a unicast frame. */
    uint8_t u[8 + 4] = {0};
    memcpy(u + 8, "ping", 4);
    struct udp_hdr uh = {.sport = 4000, .dport = 9};
    struct ipaddr s6 = ip6(PEER_G), d6 = ip6(MY_G);
    udp_emit(&uh, u, 4, &s6, &d6);
    len = f6_frame(fbuf, PEER_G, MY_G, 64, 0, NULL, 0, IP6_NH_UDP, u, sizeof u);
    f6_feed(&f, fbuf, len);
    fr = f6_pop_icmp(&f, ICMP6_DST_UNREACH, NULL);
    cr_assert_not_null(fr, "port unreachable for a unicast frame");
    free(fr);
    for (int i = 0; i < 2; i++) {
        f6_feed(&f, fbuf, relink(fbuf, len, macs[i]));
        cr_assert_null(f6_pop_icmp(&f, ICMP6_DST_UNREACH, NULL), "frame %d: no port unreachable", i);
    }
    /* A bad fragment (not a multiple of 8, M set): code 0 only for unicast. */
    uint8_t frag[8 + 13] = {IP6_NH_UDP, 0, 0, 1, 0, 0, 0, 7};
    len = f6_frame(fbuf, PEER_G, MY_G, 64, IP6_NH_FRAGMENT, frag, sizeof frag, IP6_NH_NONE, NULL, 0);
    f6_feed(&f, fbuf, len);
    fr = pop_param_problem(&f, &code, &ptr);
    cr_assert_not_null(fr);
    free(fr);
    f6_feed(&f, fbuf, relink(fbuf, len, bcast));
    cr_assert_null(pop_param_problem(&f, &code, &ptr), "no error about a broadcast fragment");
    /* The exception: an unknown 10xxxxxx option asks for code 2 even then. */
    uint8_t ext[8] = {IP6_NH_NONE, 0, 0x89, 4, 0, 0, 0, 0};
    len = f6_frame(fbuf, PEER_G, MY_G, 64, IP6_NH_DSTOPTS, ext, sizeof ext, IP6_NH_NONE, NULL, 0);
    f6_feed(&f, fbuf, relink(fbuf, len, bcast));
    fr = pop_param_problem(&f, &code, &ptr);
    cr_assert_not_null(fr, "Parameter Problem code 2 is the exception");
    cr_assert_eq(code, 2);
    free(fr);
    f6_teardown(&f);
}

/* RFC 8200 8.1: over IPv6 the UDP checksum is mandatory; a datagram with a
 * zero checksum MUST be discarded (IPv4's "no checksum" does not exist here),
 * and it earns no port unreachable either. */
Test(ip6_stack, udp_zero_checksum_dropped)
{
    struct f6 f;
    f6_setup(&f, true);
    know_peer(&f);
    struct sock *s;
    cr_assert_eq(sock_create(f.st, TP_AF_INET6, SOCK_DGRAM, 0, &s), 0);
    struct endpoint at;
    memset(&at, 0, sizeof at);
    at.addr.family = TP_AF_INET6;
    at.port = 5353;
    cr_assert_eq(sock_bind(s, &at), 0);
    uint8_t u[8 + 5] = {0};
    memcpy(u + 8, "hello", 5);
    struct udp_hdr uh = {.sport = 4000, .dport = 5353};
    struct ipaddr s6 = ip6(PEER_G), d6 = ip6(MY_G);
    udp_emit(&uh, u, 5, &s6, &d6);
    /* Zero checksum: dropped, counted, nothing sent back. */
    uint8_t z[sizeof u];
    memcpy(z, u, sizeof u);
    z[6] = z[7] = 0;
    size_t len = f6_frame(fbuf, PEER_G, MY_G, 64, 0, NULL, 0, IP6_NH_UDP, z, sizeof z);
    f6_feed(&f, fbuf, len);
    char buf[16];
    cr_assert_eq(sock_recv(s, buf, sizeof buf, 0, NULL, NULL), -EAGAIN);
    cr_assert_eq(f.st->ctr.udp_rx_bad, 1);
    cr_assert_eq(f.cap.count, 0);
    /* The same datagram with its checksum arrives. */
    len = f6_frame(fbuf, PEER_G, MY_G, 64, 0, NULL, 0, IP6_NH_UDP, u, sizeof u);
    f6_feed(&f, fbuf, len);
    cr_assert_eq(sock_recv(s, buf, sizeof buf, 0, NULL, NULL), 5);
    cr_assert(memcmp(buf, "hello", 5) == 0);
    sock_close(s);
    f6_teardown(&f);
}

/* RFC 9293 3.7.1 (RFC 8200 8.3): a peer whose SYN has no MSS option is
 * taken to accept 1220 bytes over IPv6 (1280 - 40 - 20), not IPv4's 536 and
 * not our own 1440. */
static size_t tcp6_seg(uint8_t *seg, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags)
{
    struct tcp_hdr h;
    memset(&h, 0, sizeof h);
    h.sport = sport;
    h.dport = dport;
    h.seq = seq;
    h.ack = ack;
    h.flags = flags;
    h.win = 65535;
    size_t n = tcp_hdr_write(seg, &h);
    struct ipaddr s6 = ip6(PEER_G), d6 = ip6(MY_G);
    tcp_set_checksum(&s6, &d6, seg, n);
    return n;
}

Test(ip6_stack, tcp_mss_1220_when_the_syn_has_no_option)
{
    struct f6 f;
    f6_setup(&f, true);
    know_peer(&f);
    struct sock *l, *c;
    cr_assert_eq(sock_create(f.st, TP_AF_INET6, SOCK_STREAM, 0, &l), 0);
    struct endpoint at;
    memset(&at, 0, sizeof at);
    at.addr.family = TP_AF_INET6;
    at.port = 80;
    cr_assert_eq(sock_bind(l, &at), 0);
    cr_assert_eq(sock_listen(l, 4), 0);
    uint8_t seg[64];
    size_t n = tcp6_seg(seg, 40000, 80, 1000, 0, TCP_SYN);
    size_t len = f6_frame(fbuf, PEER_G, MY_G, 64, 0, NULL, 0, IP6_NH_TCP, seg, n);
    f6_feed(&f, fbuf, len);
    struct cap_frame *fr = capture_pop(&f.cap);
    cr_assert_not_null(fr, "the SYN-ACK");
    cr_assert_eq(fr->data[14 + 6], IP6_NH_TCP);
    uint32_t iss = get32(fr->data + 54 + 4);
    cr_assert_eq(fr->data[54 + 13], TCP_SYN | TCP_ACK);
    free(fr);
    n = tcp6_seg(seg, 40000, 80, 1001, iss + 1, TCP_ACK);
    len = f6_frame(fbuf, PEER_G, MY_G, 64, 0, NULL, 0, IP6_NH_TCP, seg, n);
    f6_feed(&f, fbuf, len);
    cr_assert_eq(sock_accept(l, &c, NULL), 0);
    struct tapir_tcp_info ti;
    cr_assert_eq(tapir_tcp_get_info(c, &ti), 0);
    cr_assert_eq(ti.tcpi_snd_mss, 1220, "snd_mss %u", ti.tcpi_snd_mss);
    sock_close(c);
    sock_close(l);
    f6_teardown(&f);
}

/* RFC 4443 2.4 (d) / 3.1: an ICMPv6 error reaches the socket that sent the
 * packet: port unreachable (code 4, hard) refuses a connected UDP socket
 * (ECONNREFUSED, as Linux); no route (code 0, soft) is not reported to UDP
 * (Linux without IPV6_RECVERR). */
static void udp6_error_about_last_sent(struct f6 *f, uint8_t code)
{
    struct cap_frame *fr = capture_pop(&f->cap);
    cr_assert_not_null(fr, "our datagram");
    uint8_t msg[256];
    size_t n = icmp6_emit_error(msg, sizeof msg, ICMP6_DST_UNREACH, code, 0, fr->data + 14, fr->len - 14);
    f6_icmp(f, PEER_G, MY_G, 64, msg, n);
    free(fr);
}

Test(ip6_stack, udp_port_unreachable_refuses_connected_socket)
{
    struct f6 f;
    f6_setup(&f, true);
    know_peer(&f);
    struct sock *s;
    cr_assert_eq(sock_create(f.st, TP_AF_INET6, SOCK_DGRAM, 0, &s), 0);
    struct endpoint peer = {.addr = ip6(PEER_G), .port = 9};
    cr_assert_eq(sock_connect(s, &peer), 0);
    char buf[8];
    cr_assert_eq(sock_send(s, "x", 1, 0, NULL), 1);
    udp6_error_about_last_sent(&f, 0);      /* no route: soft */
    cr_assert_eq(sock_recv(s, buf, sizeof buf, 0, NULL, NULL), -EAGAIN);
    cr_assert_eq(sock_send(s, "y", 1, 0, NULL), 1);
    udp6_error_about_last_sent(&f, 4);      /* port unreachable: hard */
    cr_assert_eq(sock_recv(s, buf, sizeof buf, 0, NULL, NULL), -ECONNREFUSED);
    cr_assert_eq(sock_recv(s, buf, sizeof buf, 0, NULL, NULL), -EAGAIN, "reported once");
    sock_close(s);
    f6_teardown(&f);
}

/* A neighbour that never answers ND (RFC 4861 7.2.2: three solicitations,
 * then address unreachable for what waited): a TCP connect to it ends with
 * "No route to host" after about 3 s, as on Linux, not after the SYN
 * retries. */
Test(ip6_stack, tcp_connect_to_unresolved_neighbour_fails_fast)
{
    struct f6 f;
    f6_setup(&f, true);
    struct sock *c;
    cr_assert_eq(sock_create(f.st, TP_AF_INET6, SOCK_STREAM, 0, &c), 0);
    uint8_t ghost[16];
    memcpy(ghost, PREFIX, 16);
    ghost[15] = 0x77;
    struct endpoint peer = {.addr = ip6(ghost), .port = 80};
    cr_assert_eq(sock_connect(c, &peer), -EINPROGRESS);
    f6_advance(&f, 5000000);
    cr_assert(sock_poll(c) & SOCK_POLLERR);
    int err = 0;
    size_t len = sizeof err;
    cr_assert_eq(sock_getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len), 0);
    cr_assert_eq(err, EHOSTUNREACH);
    sock_close(c);
    f6_teardown(&f);
}

/* RFC 4291 2.7: a multicast address is never the source of a packet, even
 * for a socket bound to one (to receive) and then connected. */
Test(ip6_stack, never_sent_from_a_multicast_source)
{
    struct f6 f;
    f6_setup(&f, true);
    know_peer(&f);
    struct sock *s;
    cr_assert_eq(sock_create(f.st, TP_AF_INET6, SOCK_DGRAM, 0, &s), 0);
    static const uint8_t group[16] = {0xff, 0x0e, [13] = 1, [15] = 3};
    struct endpoint at = {.addr = ip6(group), .port = 7000};
    cr_assert_eq(sock_bind(s, &at), 0);
    struct endpoint peer = {.addr = ip6(PEER_G), .port = 9};
    cr_assert_eq(sock_connect(s, &peer), 0);
    cr_assert_eq(sock_send(s, "x", 1, 0, NULL), -EINVAL);
    cr_assert_eq(f.cap.count, 0);
    sock_close(s);
    f6_teardown(&f);
}

/* RFC 4443 2.4 (a), (b): an unknown error type (< 128) is taken as an
 * error (counted, seen by raw sockets) and an unknown informational type
 * (>= 128) is silently dropped; neither draws an answer. */
Test(ip6_stack, unknown_icmpv6_types_dropped_silently)
{
    struct f6 f;
    f6_setup(&f, true);
    know_peer(&f);
    struct sock *raw;
    cr_assert_eq(sock_create(f.st, TP_AF_INET6, SOCK_RAW, IPPROTO_NUM_ICMPV6, &raw), 0);
    uint8_t m[16] = {100, 0, 0, 0, 1, 2, 3, 4};      /* unknown error type 100 */
    uint64_t errs = f.st->ctr.icmp6_rx_errors;
    f6_icmp(&f, PEER_G, MY_G, 64, m, sizeof m);
    cr_assert_eq(f.st->ctr.icmp6_rx_errors, errs + 1);
    m[0] = 200;                                       /* unknown informational 200 */
    f6_icmp(&f, PEER_G, MY_G, 64, m, sizeof m);
    cr_assert_eq(f.st->ctr.icmp6_rx_errors, errs + 1);
    cr_assert_eq(f.cap.count, 0, "nothing answered");
    uint8_t got[64];
    cr_assert_gt(sock_recv(raw, got, sizeof got, 0, NULL, NULL), 0, "raw sockets see the error");
    sock_close(raw);
    f6_teardown(&f);
}

Test(ip6_stack, error_rate_limit)
{
    struct f6 f;
    f6_setup(&f, true);
    know_peer(&f);
    uint8_t pl[8] = {0};
    size_t len = f6_frame(fbuf, PEER_G, MY_G, 64, 0, NULL, 0, 253, pl, sizeof pl);
    for (int i = 0; i < 200; i++)
        f6_feed(&f, fbuf, len);
    cr_assert_eq(f.st->ctr.icmp6_tx_errors, ICMP_RATE_BURST);
    cr_assert_eq(f.st->ctr.icmp6_tx_ratelimited, 200 - ICMP_RATE_BURST);
    /* Tokens come back with time. */
    f6_advance(&f, 2 * (uint64_t)ICMP_RATE_MS * 1000);
    f6_feed(&f, fbuf, len);
    cr_assert_eq(f.st->ctr.icmp6_tx_errors, ICMP_RATE_BURST + 1);
    f6_teardown(&f);
}

/* Fragment `whole` (an upper-layer message of proto) into pieces: offsets
 * and lengths given; feeds each piece. */
static void feed_frag(struct f6 *f, uint32_t id, uint8_t proto, const uint8_t *whole, size_t off, size_t n,
                      bool more)
{
    uint8_t fh[8];
    struct ip6_frag fr = {.next = proto, .offset = (uint16_t)off, .more = more, .id = id};
    ip6_frag_emit(fh, &fr);
    size_t len = f6_frame(fbuf, PEER_G, MY_G, 64, IP6_NH_FRAGMENT, fh, 8, 0xff /* no csum */, whole + off, n);
    f6_feed(f, fbuf, len);
}

static size_t big_echo(uint8_t *m, size_t plen)
{
    size_t n = echo_msg(m, 5000, 9, plen);
    icmp6_set_checksum(m, n, PEER_G, MY_G);
    return n;
}

Test(ip6_stack, reassembly_in_and_out_of_order)
{
    struct f6 f;
    f6_setup(&f, true);
    know_peer(&f);
    static uint8_t m[5000];
    size_t n = big_echo(m, 3000);   /* 3008 bytes */
    feed_frag(&f, 1, IP6_NH_ICMPV6, m, 0, 1448, true);
    feed_frag(&f, 1, IP6_NH_ICMPV6, m, 1448, 1448, true);
    cr_assert_eq(ip6_reass_count(f.st), 1);
    feed_frag(&f, 1, IP6_NH_ICMPV6, m, 2896, n - 2896, false);
    cr_assert_eq(f.st->ctr.ip6_reass_ok, 1);
    cr_assert_eq(f.st->ctr.icmp6_rx_echo_requests, 1);
    cr_assert_eq(ip6_reass_count(f.st), 0);
    cr_assert_eq(ip6_reass_bytes(f.st), 0);
    /* The reply is 3008 bytes: fragmented by us at the 1500 MTU. */
    int frags = 0;
    size_t total = 0;
    struct cap_frame *fr;
    while ((fr = capture_pop(&f.cap))) {
        cr_assert_leq(fr->len - 14, 1500);
        if (fr->data[14 + 6] == IP6_NH_FRAGMENT) {
            frags++;
            total += fr->len - 14 - 48;
        }
        free(fr);
    }
    cr_assert_eq(frags, 3);
    cr_assert_eq(total, n);
    cr_assert_eq(f.st->ctr.ip6_frag_created, 3);
    /* Out of order, with an exact duplicate. */
    feed_frag(&f, 2, IP6_NH_ICMPV6, m, 2896, n - 2896, false);
    feed_frag(&f, 2, IP6_NH_ICMPV6, m, 1448, 1448, true);
    feed_frag(&f, 2, IP6_NH_ICMPV6, m, 1448, 1448, true);
    cr_assert_eq(f.st->ctr.ip6_reass_duplicates, 1);
    feed_frag(&f, 2, IP6_NH_ICMPV6, m, 0, 1448, true);
    cr_assert_eq(f.st->ctr.ip6_reass_ok, 2);
    cr_assert_eq(f.st->ctr.icmp6_rx_echo_requests, 2);
    f6_teardown(&f);
}

Test(ip6_stack, reassembly_overlap_drops_whole_datagram_rfc5722)
{
    struct f6 f;
    f6_setup(&f, true);
    know_peer(&f);
    static uint8_t m[5000];
    size_t n = big_echo(m, 3000);
    feed_frag(&f, 3, IP6_NH_ICMPV6, m, 0, 1448, true);
    feed_frag(&f, 3, IP6_NH_ICMPV6, m, 1440, 1448, true);   /* overlaps by 8 */
    cr_assert_eq(f.st->ctr.ip6_reass_overlaps, 1);
    cr_assert_eq(ip6_reass_count(f.st), 0, "abandoned");
    cr_assert_eq(ip6_reass_bytes(f.st), 0);
    /* The rest cannot complete it, even the "right" pieces. */
    feed_frag(&f, 3, IP6_NH_ICMPV6, m, 1448, 1448, true);
    feed_frag(&f, 3, IP6_NH_ICMPV6, m, 2896, n - 2896, false);
    feed_frag(&f, 3, IP6_NH_ICMPV6, m, 0, 1448, true);
    cr_assert_eq(f.st->ctr.ip6_reass_ok, 0);
    cr_assert_eq(f.st->ctr.icmp6_rx_echo_requests, 0);
    /* No ICMP error about it (RFC 5722). */
    cr_assert_null(f6_pop_icmp(&f, 0, NULL));
    /* After the timeout the id is free again. */
    f6_advance(&f, (uint64_t)IP6_REASS_TIMEOUT_MS * 1000 + 20000);
    feed_frag(&f, 3, IP6_NH_ICMPV6, m, 0, 1448, true);
    feed_frag(&f, 3, IP6_NH_ICMPV6, m, 1448, 1448, true);
    feed_frag(&f, 3, IP6_NH_ICMPV6, m, 2896, n - 2896, false);
    cr_assert_eq(f.st->ctr.ip6_reass_ok, 1);
    f6_teardown(&f);
}

Test(ip6_stack, reassembly_timeout_sends_time_exceeded)
{
    struct f6 f;
    f6_setup(&f, true);
    know_peer(&f);
    static uint8_t m[5000];
    big_echo(m, 3000);
    feed_frag(&f, 4, IP6_NH_ICMPV6, m, 0, 1448, true);        /* first fragment came */
    feed_frag(&f, 5, IP6_NH_ICMPV6, m, 1448, 1448, true);     /* no first fragment */
    cr_assert_eq(ip6_reass_count(f.st), 2);
    f6_advance(&f, (uint64_t)IP6_REASS_TIMEOUT_MS * 1000 - 1000000);
    cr_assert_eq(ip6_reass_count(f.st), 2, "not yet at 59 s");
    f6_advance(&f, 1100000);
    cr_assert_eq(ip6_reass_count(f.st), 0);
    cr_assert_eq(f.st->ctr.ip6_reass_timeouts, 2);
    cr_assert_eq(ip6_reass_bytes(f.st), 0);
    size_t off = 0; /* set by the pop helper; -O1 cannot see it */
    struct cap_frame *fr = f6_pop_icmp(&f, ICMP6_TIME_EXCEEDED, &off);
    cr_assert_not_null(fr);
    cr_assert_eq(fr->data[off + 1], ICMP6_TIMEX_REASS);
    free(fr);
    cr_assert_null(f6_pop_icmp(&f, ICMP6_TIME_EXCEEDED, &off), "only for the one with a first fragment");
    f6_teardown(&f);
}

/* RFC 4443 2.4 (e.4, e.5) holds for the reassembly timeout too: a first
 * fragment that came in a link-layer broadcast or multicast frame earns no
 * Time Exceeded when the rest never comes. */
Test(ip6_stack, reassembly_timeout_silent_for_link_multicast_first_fragment)
{
    struct f6 f;
    f6_setup(&f, true);
    know_peer(&f);
    static uint8_t m[5000];
    big_echo(m, 3000);
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    uint8_t fh[8];
    struct ip6_frag fr6 = {.next = IP6_NH_ICMPV6, .offset = 0, .more = true, .id = 6};
    ip6_frag_emit(fh, &fr6);
    size_t len = f6_frame(fbuf, PEER_G, MY_G, 64, IP6_NH_FRAGMENT, fh, 8, 0xff, m, 1448);
    f6_feed(&f, fbuf, relink(fbuf, len, bcast));
    cr_assert_eq(ip6_reass_count(f.st), 1, "the first fragment was taken in");
    f6_advance(&f, (uint64_t)IP6_REASS_TIMEOUT_MS * 1000 + 1000000);
    cr_assert_eq(f.st->ctr.ip6_reass_timeouts, 1);
    size_t off = 0;
    cr_assert_null(f6_pop_icmp(&f, ICMP6_TIME_EXCEEDED, &off), "no error about a broadcast frame");
    f6_teardown(&f);
}

Test(ip6_stack, reassembly_bad_fragments)
{
    struct f6 f;
    f6_setup(&f, true);
    know_peer(&f);
    static uint8_t m[70000];
    size_t n = big_echo(m, 3000);
    (void)n;
    /* Not a multiple of 8 with M set: Parameter Problem code 0 -> payload length. */
    feed_frag(&f, 6, IP6_NH_ICMPV6, m, 0, 1001, true);
    uint8_t code;
    uint32_t ptr;
    struct cap_frame *fr = pop_param_problem(&f, &code, &ptr);
    cr_assert_not_null(fr);
    cr_assert_eq(code, 0);
    cr_assert_eq(ptr, 4);
    free(fr);
    /* Past 65535: pointer at the fragment offset field. */
    feed_frag(&f, 7, IP6_NH_ICMPV6, m, 65528, 16, false);
    fr = pop_param_problem(&f, &code, &ptr);
    cr_assert_not_null(fr);
    cr_assert_eq(ptr, 42);
    free(fr);
    /* First fragment without the whole upper-layer header (RFC 7112): code 3. */
    uint8_t ext[8] = {IP6_NH_ICMPV6, 0, 1, 4, 0, 0, 0, 0};
    uint8_t fh[8];
    struct ip6_frag fg = {.next = IP6_NH_DSTOPTS, .offset = 0, .more = true, .id = 8};
    ip6_frag_emit(fh, &fg);
    uint8_t both[16];
    memcpy(both, fh, 8);
    memcpy(both + 8, ext, 8);
    size_t len = f6_frame(fbuf, PEER_G, MY_G, 64, IP6_NH_FRAGMENT, both, 16, 0xff, NULL, 0);
    f6_feed(&f, fbuf, len);
    fr = pop_param_problem(&f, &code, &ptr);
    cr_assert_not_null(fr);
    cr_assert_eq(code, 3);
    free(fr);
    cr_assert_eq(f.st->ctr.ip6_reass_bad, 2);
    cr_assert_eq(f.st->ctr.ip6_reass_incomplete_chain, 1);
    cr_assert_eq(ip6_reass_count(f.st), 0);
    f6_teardown(&f);
}

/* A first fragment (offset 0, M set) carrying `ext` then `l4` bytes of
 * upper-layer data, padded to a multiple of 8 with zeros. */
static void first_frag(struct f6 *f, uint32_t id, uint8_t next, const uint8_t *ext, size_t elen,
                       size_t l4)
{
    uint8_t body[8 + 64 + 64] = {0};
    struct ip6_frag fg = {.next = next, .offset = 0, .more = true, .id = id};
    ip6_frag_emit(body, &fg);
    if (elen)
        memcpy(body + 8, ext, elen);
    size_t n = 8 + elen + l4;
    n = (n + 7) / 8 * 8;
    cr_assert_leq(n, sizeof body);
    size_t len = f6_frame(fbuf, PEER_G, MY_G, 64, IP6_NH_FRAGMENT, body, n, 0xff, NULL, 0);
    f6_feed(f, fbuf, len);
}

Test(ip6_stack, first_fragment_needs_whole_header_chain_rfc7112)
{
    struct f6 f;
    f6_setup(&f, true);
    know_peer(&f);
    uint8_t code = 0;
    uint32_t ptr = 0;
    /* TCP with only 16 bytes of its 20-byte header in the first fragment:
     * the flags are not there for a filter to see. */
    first_frag(&f, 21, IP6_NH_TCP, NULL, 0, 16);
    cr_assert_eq(f.st->ctr.ip6_reass_incomplete_chain, 1);
    cr_assert_eq(ip6_reass_count(f.st), 0, "nothing held for it");
    struct cap_frame *fr = pop_param_problem(&f, &code, &ptr);
    cr_assert_not_null(fr);
    cr_assert_eq(code, ICMP6_PARAMPROB_FIRSTFRAG);
    free(fr);
    /* All 20 bytes: held for reassembly. */
    first_frag(&f, 22, IP6_NH_TCP, NULL, 0, 24);
    cr_assert_eq(f.st->ctr.ip6_reass_incomplete_chain, 1);
    cr_assert_eq(ip6_reass_count(f.st), 1);
    /* UDP needs its 8 bytes: 8 is enough. */
    first_frag(&f, 23, IP6_NH_UDP, NULL, 0, 8);
    cr_assert_eq(f.st->ctr.ip6_reass_incomplete_chain, 1);
    cr_assert_eq(ip6_reass_count(f.st), 2);
    /* A Destination Options header that goes on past the fragment's end. */
    uint8_t dst_long[8] = {IP6_NH_UDP, 4 /* 40 bytes */, IP6_OPT_PADN, 4, 0, 0, 0, 0};
    first_frag(&f, 24, IP6_NH_DSTOPTS, dst_long, sizeof dst_long, 0);
    cr_assert_eq(f.st->ctr.ip6_reass_incomplete_chain, 2);
    /* A chain ending in a Routing header, the next header left for the
     * second fragment: no upper-layer header at all. */
    uint8_t rt[8] = {IP6_NH_UDP, 0, 4, 0, 0, 0, 0, 0};
    first_frag(&f, 25, IP6_NH_ROUTING, rt, sizeof rt, 0);
    cr_assert_eq(f.st->ctr.ip6_reass_incomplete_chain, 3);
    cr_assert_eq(ip6_reass_count(f.st), 2);
    f6_teardown(&f);
}

Test(ip6_stack, reassembly_caps)
{
    struct f6 f;
    f6_setup(&f, true);
    know_peer(&f);
    static uint8_t m[5000];
    big_echo(m, 3000);
    /* More datagrams than the table holds. */
    for (uint32_t id = 100; id < 100 + IP6_REASS_MAX_DGRAMS + 10; id++)
        feed_frag(&f, id, IP6_NH_ICMPV6, m, 1448, 1448, true);
    cr_assert_eq(ip6_reass_count(f.st), IP6_REASS_MAX_DGRAMS);
    cr_assert_eq(f.st->ctr.ip6_reass_over_cap, 10);
    cr_assert_leq(ip6_reass_bytes(f.st), IP6_REASS_MAX_BYTES);
    /* Too many fragments in one datagram: it is dropped. */
    f6_advance(&f, (uint64_t)IP6_REASS_TIMEOUT_MS * 1000 + 20000);
    for (int i = 0; i < IP6_REASS_MAX_FRAGS + 1; i++)
        feed_frag(&f, 999, IP6_NH_ICMPV6, m, 8 + (size_t)i * 16, 8, true);
    cr_assert_eq(ip6_reass_count(f.st), 0);
    f6_teardown(&f);
}

Test(ip6_stack, atomic_fragment_processed_whole)
{
    struct f6 f;
    f6_setup(&f, true);
    know_peer(&f);
    uint8_t m[64];
    size_t n = echo_msg(m, sizeof m, 1, 8);
    icmp6_set_checksum(m, n, PEER_G, MY_G);
    /* A pending datagram with the same id must not interfere (RFC 6946). */
    static uint8_t big[5000];
    big_echo(big, 3000);
    feed_frag(&f, 77, IP6_NH_ICMPV6, big, 1448, 1448, true);
    feed_frag(&f, 77, IP6_NH_ICMPV6, m, 0, n, false);
    cr_assert_eq(f.st->ctr.ip6_reass_atomic, 1);
    cr_assert_eq(f.st->ctr.icmp6_rx_echo_requests, 1);
    cr_assert_eq(ip6_reass_count(f.st), 1);
    f6_teardown(&f);
}

Test(ip6_stack, packet_too_big_lowers_path_mtu)
{
    struct f6 f;
    f6_setup(&f, true);
    know_peer(&f);
    struct ipaddr d = ip6(PEER_G);
    cr_assert_eq(ip6_path_mtu(f.st, &d), 1500);
    /* A PTB quoting a packet we sent (from MY_G to PEER_G). */
    uint8_t inner[48] = {0x60};
    inner[5] = 8;
    inner[6] = IP6_NH_UDP;
    inner[7] = 64;
    memcpy(inner + 8, MY_G, 16);
    memcpy(inner + 24, PEER_G, 16);
    uint8_t msg[8 + 48];
    size_t n = icmp6_emit_error(msg, sizeof msg, ICMP6_PACKET_TOO_BIG, 0, 1400, inner, sizeof inner);
    uint8_t router[16] = {0xfd, 0x00, 0x01, 0x98, 0x00, 0x18, [15] = 0x99};
    f6_icmp(&f, router, MY_G, 64, msg, n);
    cr_assert_eq(f.st->ctr.icmp6_rx_ptb, 1);
    cr_assert_eq(ip6_path_mtu(f.st, &d), 1400);
    /* Never below 1280. */
    n = icmp6_emit_error(msg, sizeof msg, ICMP6_PACKET_TOO_BIG, 0, 500, inner, sizeof inner);
    f6_icmp(&f, router, MY_G, 64, msg, n);
    cr_assert_eq(ip6_path_mtu(f.st, &d), IP6_MIN_MTU);
    /* Never raised by a PTB. */
    n = icmp6_emit_error(msg, sizeof msg, ICMP6_PACKET_TOO_BIG, 0, 9000, inner, sizeof inner);
    f6_icmp(&f, router, MY_G, 64, msg, n);
    cr_assert_eq(ip6_path_mtu(f.st, &d), IP6_MIN_MTU);
    /* Output now fragments at 1280. */
    struct pkt *p = pkt_alloc(2000);
    memset(pkt_put(p, 2000), 0x11, 2000);
    struct ip_tx tx = {.dst = d, .proto = IP6_NH_UDP, .ifindex = -1};
    cr_assert_eq(ip_output(f.st, p, &tx), 0);
    struct cap_frame *fr;
    int k = 0;
    while ((fr = capture_pop(&f.cap))) {
        cr_assert_leq(fr->len - 14, IP6_MIN_MTU);
        k++;
        free(fr);
    }
    cr_assert_eq(k, 2);
    /* The entry expires (RFC 8201: try larger again later). */
    f6_advance(&f, (uint64_t)IP6_PMTU_EXPIRE_MS * 1000 + 10000);
    know_peer(&f);
    cr_assert_eq(ip6_path_mtu(f.st, &d), 1500);
    f6_teardown(&f);
}

Test(ip6_stack, output_source_selection_and_errors)
{
    struct f6 f;
    f6_setup(&f, true);
    struct ipaddr src;
    struct ipaddr d = ip6(PEER_G);
    cr_assert(ip6_select_source(f.st, &d, &src));
    cr_assert(memcmp(src.v6, MY_G, 16) == 0);
    struct ipaddr dll = ip6(PEER_LL);
    uint8_t ll[16];
    f6_ll(&f, ll);
    cr_assert(ip6_select_source(f.st, &dll, &src));
    cr_assert(memcmp(src.v6, ll, 16) == 0, "link-local for link-local");
    /* No route: an address off every prefix, no default router. */
    uint8_t far[16] = {0xfd, 0x00, 0x99, [15] = 5};
    struct ipaddr df = ip6(far);
    cr_assert(!ip6_select_source(f.st, &df, &src));
    struct pkt *p = pkt_alloc(10);
    pkt_put(p, 10);
    struct ip_tx tx = {.dst = df, .proto = IP6_NH_UDP, .ifindex = -1};
    cr_assert_eq(ip_output(f.st, p, &tx), -ENETUNREACH);
    cr_assert_eq(f.st->ctr.ip6_tx_no_route, 1);
    /* A static default route makes it reachable through the gateway. */
    static const uint8_t any[16];
    cr_assert_eq(stack_add_route6(f.st, any, 0, PEER_LL, f.ifx), 0);
    cr_assert(ip6_select_source(f.st, &df, &src));
    cr_assert(memcmp(src.v6, MY_G, 16) == 0);
    f6_teardown(&f);
}

Test(ip6_stack, loopback_ping_to_own_addresses)
{
    struct f6 f;
    f6_setup(&f, true);
    uint8_t one[16] = {[15] = 1};
    const uint8_t *targets[2] = {one, MY_G};
    for (int i = 0; i < 2; i++) {
        uint64_t before = f.st->ctr.icmp6_rx_echo_replies;
        struct pkt *p = pkt_alloc(16);
        uint8_t *m = pkt_put(p, 16);
        icmp6_emit_echo(m, 16, ICMP6_ECHO_REQUEST, 1, 1, (const uint8_t *)"12345678", 8);
        uint8_t src[16];
        memcpy(src, targets[i], 16);
        icmp6_set_checksum(m, 16, src, targets[i]);
        struct ip_tx tx = {.src = ip6(src), .dst = ip6(targets[i]), .proto = IP6_NH_ICMPV6, .ifindex = -1};
        cr_assert_eq(ip_output(f.st, p, &tx), 0);
        stack_poll(f.st, f.now);
        cr_assert_eq(f.st->ctr.icmp6_rx_echo_replies, before + 1, "target %d", i);
    }
    cr_assert_eq(f.cap.count, 0, "nothing left the stack");
    f6_teardown(&f);
}

Test(ip6_stack, v4mapped_destination_goes_out_as_ipv4)
{
    struct f6 f;
    f6_setup(&f, true);
    stack_add_ip4(f.st, f.ifx, IP4(198, 18, 0, 2), 24);
    capture_clear(&f.cap);
    uint8_t mapped[16] = {[10] = 0xff, 0xff, 198, 18, 0, 1};
    struct pkt *p = pkt_alloc(8);
    pkt_put(p, 8);
    struct ip_tx tx = {.dst = ip6(mapped), .proto = IP6_NH_UDP, .ifindex = -1};
    cr_assert_eq(ip_output(f.st, p, &tx), 0);
    struct cap_frame *fr = capture_pop(&f.cap);
    cr_assert_not_null(fr);
    cr_assert_eq(fr->data[12], 0x08, "ARP or IPv4, not IPv6");
    free(fr);
    f6_teardown(&f);
}

Test(ip6_stack, ipv6_off_drops_everything)
{
    struct f6 f;
    memset(&f, 0, sizeof f);
    f.st = stack_create(7, 0);
    stack_ip6_settings(f.st)->enabled = false;
    f.ifx = stack_add_netif(f.st, "eth0", my_mac6, 1500, capture_tx, &f.cap);
    f6_advance(&f, 5000000);
    cr_assert_eq(f.cap.count, 0, "no DAD, RS or MLD");
    uint8_t m[64];
    size_t n = echo_msg(m, sizeof m, 1, 8);
    f6_icmp(&f, PEER_LL, ip6_all_nodes, 64, m, n);
    cr_assert_eq(f.st->ctr.icmp6_rx, 0);
    f6_teardown(&f);
}

/* ~100k random and mutated IPv6 frames through stack_input: no crash, no
 * leak (ASan), no reading out of bounds; the stack still answers a ping. */
Test(ip6_stack, robustness_random_and_mutated_frames, .timeout = 120)
{
    struct f6 f;
    f6_setup(&f, true);
    know_peer(&f);
    struct rng r;
    rng_seed(&r, 20261123);
    /* Seeds: valid frames of many kinds. */
    static uint8_t seeds[8][1600];
    size_t slen[8];
    uint8_t m[1500], sn[16];
    size_t n = echo_msg(m, sizeof m, 1, 64);
    slen[0] = f6_frame(seeds[0], PEER_G, MY_G, 64, 0, NULL, 0, IP6_NH_ICMPV6, m, n);
    n = f6_ns_for_me(m, sn);
    slen[1] = f6_frame(seeds[1], PEER_G, sn, 255, 0, NULL, 0, IP6_NH_ICMPV6, m, n);
    n = f6_ra_msg(m, sizeof m, 0, 600, 600, 300, 0);
    slen[2] = f6_frame(seeds[2], PEER_LL, ip6_all_nodes, 255, 0, NULL, 0, IP6_NH_ICMPV6, m, n);
    uint8_t ext[24] = {IP6_NH_ROUTING, 0, 1, 4, 0, 0, 0, 0, IP6_NH_FRAGMENT, 0, 0, 0, 0, 0, 0, 0,
                       IP6_NH_UDP, 0, 0, 1, 0, 0, 0, 9};
    uint8_t udp[16] = {0x12, 0x34, 0x00, 0x35, 0, 16};
    slen[3] = f6_frame(seeds[3], PEER_G, MY_G, 64, IP6_NH_DSTOPTS, ext, sizeof ext, IP6_NH_UDP, udp, 16);
    n = nd_emit_na(m, sizeof m, PEER_G, true, true, true, peer_mac6);
    slen[4] = f6_frame(seeds[4], PEER_G, MY_G, 255, 0, NULL, 0, IP6_NH_ICMPV6, m, n);
    uint8_t inner[48] = {0x60, 0, 0, 0, 0, 8, IP6_NH_TCP, 64};
    memcpy(inner + 8, MY_G, 16);
    memcpy(inner + 24, PEER_G, 16);
    n = icmp6_emit_error(m, sizeof m, ICMP6_PACKET_TOO_BIG, 0, 1300, inner, 48);
    slen[5] = f6_frame(seeds[5], PEER_G, MY_G, 64, 0, NULL, 0, IP6_NH_ICMPV6, m, n);
    uint8_t fh[8];
    struct ip6_frag fg = {.next = IP6_NH_ICMPV6, .offset = 0, .more = true, .id = 5};
    ip6_frag_emit(fh, &fg);
    n = echo_msg(m, sizeof m, 1, 1000);
    slen[6] = f6_frame(seeds[6], PEER_G, MY_G, 64, IP6_NH_FRAGMENT, fh, 8, 0xff, m, 1008);
    uint8_t mq[28] = {ICMP6_MLD_QUERY, 0, 0, 0, 0x03, 0xe8};
    slen[7] = f6_frame(seeds[7], PEER_LL, ip6_all_nodes, 1, 0, NULL, 0, IP6_NH_ICMPV6, mq, 28);

    static uint8_t fr[1600];
    for (int i = 0; i < 100000; i++) {
        uint32_t kind = rng_below(&r, 10);
        size_t len;
        if (kind == 0) {
            /* Pure noise after a valid Ethernet/IPv6 start. */
            len = 14 + rng_below(&r, 1500);
            rng_bytes(&r, fr, len);
            memcpy(fr, my_mac6, 6);
            fr[12] = 0x86;
            fr[13] = 0xdd;
            if (len > 14)
                fr[14] = (uint8_t)(0x60 | (fr[14] & 0x0f));
        } else {
            int s = (int)rng_below(&r, 8);
            len = slen[s];
            memcpy(fr, seeds[s], len);
            int flips = 1 + (int)rng_below(&r, 6);
            for (int k = 0; k < flips; k++) {
                size_t at = 14 + rng_below(&r, (uint32_t)(len - 14));
                if (rng_below(&r, 2))
                    fr[at] = (uint8_t)rng_next(&r);
                else
                    fr[at] ^= (uint8_t)(1u << rng_below(&r, 8));
            }
            if (rng_below(&r, 8) == 0)
                len = 14 + rng_below(&r, (uint32_t)(len - 14 + 1));
            /* Keep checksums right half the time, so deeper code is reached. */
            if (rng_below(&r, 2) && len > 54 && fr[14 + 6] == IP6_NH_ICMPV6) {
                size_t pl = len - 54;
                icmp6_set_checksum(fr + 54, pl, fr + 14 + 8, fr + 14 + 24);
            }
        }
        stack_input(f.st, f.ifx, fr, len, f.now);
        if (i % 1000 == 0) {
            f.now += 500000;
            stack_poll(f.st, f.now);
            capture_clear(&f.cap);
        }
    }
    capture_clear(&f.cap);
    cr_assert_gt(f.st->ctr.ip6_rx, 90000);
    /* Still alive and answering. */
    f6_advance(&f, 61000000);
    know_peer(&f);
    n = echo_msg(m, sizeof m, 1, 8);
    uint64_t before = f.st->ctr.icmp6_tx_echo_replies;
    f6_icmp(&f, PEER_G, MY_G, 64, m, n);
    cr_assert_eq(f.st->ctr.icmp6_tx_echo_replies, before + 1);
    f6_teardown(&f);
}
