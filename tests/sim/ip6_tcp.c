/* TCP over IPv6 between two stacks on a simulated wire (fd00:198:18::1 and
 * ::2, plus IPv4 198.18.0.1 / .2): a transfer with the MSS the IPv6 MTU
 * allows, a packet-too-big shrinking the MSS of a live connection, and dual
 * stack: an AF_INET6 socket connecting to an IPv4-mapped address, V6ONLY
 * refusing it, binding a mapped address, and the port space a :: socket
 * shares with AF_INET ones. */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "stack/ip6.h"
#include "stack/tcp/tcp.h"
#include "stack/tcp_info.h"
#include "stack/wire/icmpv6.h"
#include "stack/wire/ipv6.h"
#include "tests/sim/tcp_simnet.h"

static const uint8_t G6[2][16] = {{0xfd, 0x00, 0x01, 0x98, 0x00, 0x18, [15] = 1},
                                  {0xfd, 0x00, 0x01, 0x98, 0x00, 0x18, [15] = 2}};

/* A router between A and the wire whose next link has a smaller MTU: what
 * A sends through it (IPv6 packets, or each piece a TSO train would be cut
 * into) larger than that is dropped, and a Packet Too Big quoting it goes
 * back to A after the step (one waiting at a time: routers rate-limit
 * them).  It counts what A put on the wire: the largest packet, and any
 * Fragment header. */
static struct router6 {
    netif_tx_fn tx;
    void *ctx;
    uint32_t mtu;                  /* 0: passes everything */
    size_t biggest;                /* largest IPv6 packet (or TSO piece) passed */
    unsigned frags, dropped, ptbs;
    size_t qlen;                   /* a PTB to send: the quote of the dropped packet */
    uint8_t quote[ICMP6_ERR_QUOTE_MAX];
} rt;

static int router_tx(void *ctx, const uint8_t *frame, size_t len, const struct pkt *meta)
{
    (void)ctx;
    if (len >= 14 + 40 + 20 && frame[12] == 0x86 && frame[13] == 0xdd) {
        const uint8_t *ip = frame + 14;
        size_t size = len - 14;
        if (ip[6] == IP6_NH_FRAGMENT)
            rt.frags++;
        if (meta && meta->gso_size && ip[6] == IP6_NH_TCP) {
            size_t thl = (size_t)(ip[40 + 12] >> 4) * 4, pay = size - 40 - thl;
            size = 40 + thl + (pay < meta->gso_size ? pay : meta->gso_size);   /* one piece */
        }
        if (rt.mtu && size > rt.mtu) {
            rt.dropped++;
            if (!rt.qlen) {
                rt.qlen = len - 14 < sizeof rt.quote ? len - 14 : sizeof rt.quote;
                memcpy(rt.quote, ip, rt.qlen);
            }
            return 0;
        }
        if (size > rt.biggest)
            rt.biggest = size;
    }
    return rt.tx(rt.ctx, frame, len, meta);
}

/* Puts the router in front of A's interface, passing up to mtu. */
static void router_install(struct simnet *n, uint32_t mtu)
{
    struct netif *nif = stack_netif(n->st[0], n->ifx[0]);
    memset(&rt, 0, sizeof rt);
    rt.tx = nif->tx;
    rt.ctx = nif->tx_ctx;
    rt.mtu = mtu;
    nif->tx = router_tx;
}

/* Sends the waiting Packet Too Big, if any, to A (from fd00:198:18::99). */
static void router_flush(struct simnet *n)
{
    if (!rt.qlen)
        return;
    static uint8_t frame[14 + 40 + 8 + ICMP6_ERR_QUOTE_MAX];
    static const uint8_t mac_a[6] = {0x02, 0, 0, 0, 0, 1}, mac_r[6] = {0x02, 0, 0, 0, 0, 0x99};
    static const uint8_t router[16] = {0xfd, 0x00, 0x01, 0x98, 0x00, 0x18, [15] = 0x99};
    memcpy(frame, mac_a, 6);
    memcpy(frame + 6, mac_r, 6);
    frame[12] = 0x86, frame[13] = 0xdd;
    size_t m = icmp6_emit_error(frame + 54, sizeof frame - 54, ICMP6_PACKET_TOO_BIG, 0, rt.mtu, rt.quote,
                                rt.qlen);
    cr_assert_gt(m, 0);
    struct ip6_hdr oh = {.payload_len = (uint16_t)m, .next = IP6_NH_ICMPV6, .hop_limit = 64};
    memcpy(oh.src, router, 16);
    memcpy(oh.dst, G6[0], 16);
    ip6_emit(frame + 14, &oh);
    icmp6_set_checksum(frame + 54, m, router, G6[0]);
    rt.qlen = 0;
    rt.ptbs++;
    stack_input(n->st[0], n->ifx[0], frame, 54 + m, n->now);
}

/* The simnet with IPv6 too: both global addresses through DAD; tso: the
 * ports offer TSO (memlink cuts the trains). */
static void init6_tso(struct simnet *n, uint64_t seed, bool tso)
{
    memset(&rt, 0, sizeof rt);
    struct tapir_memlink_opts o = {.seed = seed, .delay_us = 5000, .tso = tso};
    simnet_init(n, &o);
    for (int i = 0; i < 2; i++)
        cr_assert_eq(stack_add_ip6(n->st[i], n->ifx[i], G6[i], 64), 0);
    simnet_run_until(n, n->now + 4000000);
    for (int i = 0; i < 2; i++)
        cr_assert(stack_is_local6(n->st[i], G6[i]), "stack %d: address past DAD", i);
}

static void init6(struct simnet *n, uint64_t seed)
{
    init6_tso(n, seed, false);
}

static struct endpoint ep6(const uint8_t a[16], uint16_t port)
{
    struct endpoint e;
    memset(&e, 0, sizeof e);
    e.addr = ip6(a);
    e.port = port;
    return e;
}

static struct endpoint any6(uint16_t port)
{
    static const uint8_t zero[16];
    return ep6(zero, port);
}

static struct endpoint mapped(int side, uint16_t port)
{
    struct endpoint e;
    memset(&e, 0, sizeof e);
    e.addr = ipaddr_map4(IP4(198, 18, 0, 1 + (uint32_t)side));
    e.port = port;
    return e;
}

static struct sock *listener(struct simnet *n, int side, int family, const struct endpoint *at)
{
    struct sock *l;
    cr_assert_eq(sock_create(n->st[side], family, SOCK_STREAM, 0, &l), 0);
    cr_assert_eq(sock_bind(l, at), 0);
    cr_assert_eq(sock_listen(l, 16), 0);
    return l;
}

/* Connects c to dst and accepts on l; returns the accepted socket and the
 * peer accept() named. */
static struct sock *connect_accept(struct simnet *n, struct sock *c, const struct endpoint *dst,
                                   struct sock *l, struct endpoint *peer)
{
    cr_assert_eq(sock_connect(c, dst), -EINPROGRESS);
    simnet_run_until(n, n->now + 1000000);
    cr_assert(sock_poll(c) & SOCK_POLLOUT, "connect completes");
    struct sock *a = NULL;
    cr_assert_eq(sock_accept(l, &a, peer), 0);
    return a;
}

/* Closes the sockets of a test (NULL: none) and takes the wire down. */
static void finish(struct simnet *n, struct sock *c, struct sock *a, struct sock *l)
{
    struct sock *all[3] = {c, a, l};
    for (int i = 0; i < 3; i++)
        if (all[i])
            sock_close(all[i]);
    simnet_fini(n);
}

/* Moves len bytes from s to r (pattern checked), the wire running. */
static void transfer(struct simnet *n, struct sock *s, struct sock *r, size_t len)
{
    static uint8_t buf[65536];
    size_t sent = 0, got = 0;
    for (int round = 0; got < len && round < 20000; round++) {
        while (sent < len) {
            size_t k = len - sent < sizeof buf ? len - sent : sizeof buf;
            for (size_t i = 0; i < k; i++)
                buf[i] = (uint8_t)((sent + i) % 251);
            ssize_t w = sock_send(s, buf, k, 0, NULL);
            if (w <= 0)
                break;
            sent += (size_t)w;
        }
        simnet_step(n, n->now + 10000);
        router_flush(n);
        ssize_t k;
        while ((k = sock_recv(r, buf, sizeof buf, 0, NULL, NULL)) > 0) {
            for (ssize_t i = 0; i < k; i++)
                cr_assert_eq(buf[i], (uint8_t)((got + (size_t)i) % 251), "byte %zu", got + (size_t)i);
            got += (size_t)k;
        }
    }
    cr_assert_eq(got, len, "all %zu bytes arrived (got %zu)", len, got);
}

/* A fresh IPv6 wire and one connection over it, A (c) to a listener (l) on
 * [fd00:198:18::2]:80; a is B's accepted end, peer what accept() named. */
static void open6_tso(struct simnet *n, uint64_t seed, bool tso, struct sock **c, struct sock **a,
                      struct sock **l, struct endpoint *peer)
{
    init6_tso(n, seed, tso);
    struct endpoint at = ep6(G6[1], 80);
    *l = listener(n, 1, TP_AF_INET6, &at);
    cr_assert_eq(sock_create(n->st[0], TP_AF_INET6, SOCK_STREAM, 0, c), 0);
    *a = connect_accept(n, *c, &at, *l, peer);
}

static void open6(struct simnet *n, uint64_t seed, struct sock **c, struct sock **a, struct sock **l,
                  struct endpoint *peer)
{
    open6_tso(n, seed, false, c, a, l, peer);
}

Test(ip6_tcp_sim, transfer_with_mss_from_ipv6_mtu)
{
    struct simnet n;
    struct sock *c, *a, *l;
    struct endpoint peer;
    open6(&n, 1, &c, &a, &l, &peer);
    cr_assert_eq(peer.addr.family, TP_AF_INET6);
    cr_assert(memcmp(peer.addr.v6, G6[0], 16) == 0, "the peer is fd00:198:18::1");
    struct tapir_tcp_info ti;
    cr_assert_eq(tapir_tcp_get_info(c, &ti), 0);
    /* 1500 - 40 (IPv6) - 20 (TCP) = 1440, less 12 of timestamps. */
    cr_assert_eq(ti.tcpi_snd_mss, 1428, "IPv6 MSS %u", ti.tcpi_snd_mss);
    cr_assert_eq(ti.tcpi_pmtu, 1500);
    transfer(&n, c, a, 2u << 20);
    transfer(&n, a, c, 300000);
    struct endpoint me;
    cr_assert_eq(sock_getname(c, &me, false), 0);
    cr_assert(me.addr.family == TP_AF_INET6 && memcmp(me.addr.v6, G6[0], 16) == 0);
    cr_assert_gt(n.st[0]->ctr.ip6_tx, 1000);
    finish(&n, c, a, l);
}

/* An ICMPv6 Packet Too Big from a router between the two (fd00:198:18::99)
 * about A's segment in flight: MTU 1280. */
static void inject_ptb(struct simnet *n, struct tcpcb *tp)
{
    uint8_t inner[48];
    struct ip6_hdr ih = {.payload_len = 1400, .next = IP6_NH_TCP, .hop_limit = 64};
    memcpy(ih.src, G6[0], 16);
    memcpy(ih.dst, G6[1], 16);
    ip6_emit(inner, &ih);
    uint8_t *t = inner + 40;
    t[0] = (uint8_t)(tp->lport >> 8), t[1] = (uint8_t)tp->lport;
    t[2] = (uint8_t)(tp->fport >> 8), t[3] = (uint8_t)tp->fport;
    t[4] = (uint8_t)(tp->snd_una >> 24), t[5] = (uint8_t)(tp->snd_una >> 16);
    t[6] = (uint8_t)(tp->snd_una >> 8), t[7] = (uint8_t)tp->snd_una;
    uint8_t frame[14 + 40 + 8 + sizeof inner];
    static const uint8_t mac_a[6] = {0x02, 0, 0, 0, 0, 1}, mac_r[6] = {0x02, 0, 0, 0, 0, 0x99};
    memcpy(frame, mac_a, 6);
    memcpy(frame + 6, mac_r, 6);
    frame[12] = 0x86, frame[13] = 0xdd;
    size_t m = icmp6_emit_error(frame + 54, sizeof frame - 54, ICMP6_PACKET_TOO_BIG, 0, 1280, inner,
                                sizeof inner);
    cr_assert_eq(m, 8 + sizeof inner);
    struct ip6_hdr oh = {.payload_len = (uint16_t)m, .next = IP6_NH_ICMPV6, .hop_limit = 64};
    static const uint8_t router[16] = {0xfd, 0x00, 0x01, 0x98, 0x00, 0x18, [15] = 0x99};
    memcpy(oh.src, router, 16);
    memcpy(oh.dst, G6[0], 16);
    ip6_emit(frame + 14, &oh);
    icmp6_set_checksum(frame + 54, m, router, G6[0]);
    stack_input(n->st[0], n->ifx[0], frame, 54 + m, n->now);
}

Test(ip6_tcp_sim, packet_too_big_shrinks_mss_of_live_connection)
{
    struct simnet n;
    struct sock *c, *a, *l;
    struct endpoint peer;
    open6(&n, 2, &c, &a, &l, &peer);
    transfer(&n, c, a, 200000);
    /* Data in flight when the PTB comes. */
    static uint8_t blob[60000];
    cr_assert_gt(sock_send(c, blob, sizeof blob, 0, NULL), 0);
    struct tcpcb *tp = tcp_from_sock(c);
    cr_assert_neq(tp->snd_una, tp->snd_nxt, "something in flight");
    inject_ptb(&n, tp);
    cr_assert_eq(n.st[0]->ctr.icmp6_rx_ptb, 1);
    struct ipaddr b = ip6(G6[1]);
    cr_assert_eq(ip6_path_mtu(n.st[0], &b), 1280, "the path MTU is lowered");
    struct tapir_tcp_info ti;
    cr_assert_eq(tapir_tcp_get_info(c, &ti), 0);
    /* 1280 - 60 = 1220, less 12 of timestamps. */
    cr_assert_eq(ti.tcpi_snd_mss, 1208, "MSS after the PTB: %u", ti.tcpi_snd_mss);
    cr_assert_eq(ti.tcpi_pmtu, 1280);
    /* The rest flows in the smaller segments, and whole. */
    simnet_run_until(&n, n.now + 2000000);
    static uint8_t sink[65536];
    ssize_t k;
    size_t got = 0;
    while ((k = sock_recv(a, sink, sizeof sink, 0, NULL, NULL)) > 0)
        got += (size_t)k;
    cr_assert_eq(got, sizeof blob);
    transfer(&n, c, a, 100000);
    /* A PTB quoting a sequence number not in flight is ignored (RFC 5927). */
    uint32_t una = tp->snd_una;
    tp->snd_una -= 1000000;
    inject_ptb(&n, tp);
    tp->snd_una = una;
    cr_assert_eq(tapir_tcp_get_info(c, &ti), 0);
    cr_assert_eq(ti.tcpi_snd_mss, 1208);
    finish(&n, c, a, l);
}

/* RFC 8201 5.2 / 4: the router beyond A has a 1280-byte link and says so
 * with Packet Too Big.  TCP shrinks its segments to the path (1280 - 40 -
 * 20, less 12 of timestamps) and resends what was dropped: from then on
 * nothing A puts on the wire is bigger than 1280 or fragmented (IPv6 would
 * fragment a TCP segment too big for the path at the source), and the data
 * arrives whole.  tso: the same with TSO trains, whose pieces must fit too. */
static void ptb_keeps_segments_within_the_path(uint64_t seed, bool tso)
{
    struct simnet n;
    struct sock *c, *a, *l;
    struct endpoint peer;
    open6_tso(&n, seed, tso, &c, &a, &l, &peer);
    router_install(&n, 1280);
    transfer(&n, c, a, 400000);
    cr_assert_geq(rt.ptbs, 1, "the first full segments needed a Packet Too Big");
    cr_assert_leq(rt.biggest, 1280, "a %zu-byte packet reached the 1280-byte link", rt.biggest);
    cr_assert_eq(rt.frags, 0, "%u fragments on the wire", rt.frags);
    cr_assert_eq(n.st[0]->ctr.ip6_frag_created, 0);
    struct tapir_tcp_info ti;
    cr_assert_eq(tapir_tcp_get_info(c, &ti), 0);
    cr_assert_eq(ti.tcpi_snd_mss, 1208, "MSS %u", ti.tcpi_snd_mss);
    if (tso)
        cr_assert_gt(n.st[0]->ctr.tcp_tx_tso_trains, 0, "trains still go, with the smaller pieces");
    /* Once learned, nothing more is dropped. */
    unsigned dropped = rt.dropped;
    transfer(&n, c, a, 300000);
    cr_assert_eq(rt.dropped, dropped);
    cr_assert_leq(rt.biggest, 1280);
    finish(&n, c, a, l);
}

Test(ip6_tcp_sim, ptb_1280_no_segment_bigger_than_the_path) { ptb_keeps_segments_within_the_path(5, false); }
Test(ip6_tcp_sim, ptb_1280_no_segment_bigger_than_the_path_tso) { ptb_keeps_segments_within_the_path(6, true); }

/* The path MTU to B was lowered by a Packet Too Big about another
 * connection: this one never hears a PTB of its own, yet its segments must
 * fit the path IP knows.  IP refuses the first full one (EMSGSIZE, where it
 * used to fragment it), TCP takes the path's MSS and sends it again at once:
 * not one packet of it is dropped at the router or fragmented.  tso: a
 * segment too big for the path never joins a train (the device would cut
 * pieces of the old MSS); the trains after the shrink have the new size. */
static void follows_path_mtu_of_another_connection(uint64_t seed, bool tso)
{
    struct simnet n;
    struct sock *c, *a, *l;
    struct endpoint peer;
    open6_tso(&n, seed, tso, &c, &a, &l, &peer);
    struct sock *c2, *a2;
    cr_assert_eq(sock_create(n.st[0], TP_AF_INET6, SOCK_STREAM, 0, &c2), 0);
    struct endpoint at = ep6(G6[1], 80);
    a2 = connect_accept(&n, c2, &at, l, &peer);
    router_install(&n, 1280);
    transfer(&n, c, a, 100000);
    cr_assert_geq(rt.ptbs, 1);
    struct ipaddr b = ip6(G6[1]);
    cr_assert_eq(ip6_path_mtu(n.st[0], &b), 1280);
    struct tapir_tcp_info ti;
    cr_assert_eq(tapir_tcp_get_info(c2, &ti), 0);
    cr_assert_eq(ti.tcpi_snd_mss, 1428, "the second connection heard nothing yet");
    rt.biggest = 0;
    rt.dropped = rt.ptbs = rt.frags = 0;
    transfer(&n, c2, a2, 400000);
    cr_assert_eq(rt.dropped, 0, "%u packets bigger than the path left A", rt.dropped);
    cr_assert_eq(rt.ptbs, 0);
    cr_assert_eq(rt.frags, 0, "%u fragments on the wire", rt.frags);
    cr_assert_eq(n.st[0]->ctr.ip6_frag_created, 0);
    cr_assert_leq(rt.biggest, 1280, "a %zu-byte packet", rt.biggest);
    cr_assert_geq(n.st[0]->ctr.ip6_tx_too_big, 1, "IP refused the first full segment");
    cr_assert_eq(tapir_tcp_get_info(c2, &ti), 0);
    cr_assert_eq(ti.tcpi_snd_mss, 1208, "MSS %u", ti.tcpi_snd_mss);
    if (tso)
        cr_assert_gt(n.st[0]->ctr.tcp_tx_tso_trains, 0);
    sock_close(c2);
    sock_close(a2);
    finish(&n, c, a, l);
}

Test(ip6_tcp_sim, follows_path_mtu_lowered_for_another_connection)
{
    follows_path_mtu_of_another_connection(7, false);
}

Test(ip6_tcp_sim, follows_path_mtu_lowered_for_another_connection_tso)
{
    follows_path_mtu_of_another_connection(8, true);
}

Test(ip6_tcp_sim, connect_to_ipv4_mapped_speaks_ipv4)
{
    struct simnet n;
    init6(&n, 3);
    /* B: a plain AF_INET listener. */
    struct endpoint at4 = simnet_ep(1, 80);
    struct sock *l = listener(&n, 1, TP_AF_INET, &at4), *c;
    cr_assert_eq(sock_create(n.st[0], TP_AF_INET6, SOCK_STREAM, 0, &c), 0);
    uint64_t v6_before = n.st[0]->ctr.ip6_tx;
    struct endpoint dst = mapped(1, 80), peer;
    struct sock *a = connect_accept(&n, c, &dst, l, &peer);
    cr_assert_eq(peer.addr.family, TP_AF_INET, "B sees an IPv4 client");
    cr_assert_eq(peer.addr.v4, IP4(198, 18, 0, 1));
    /* Inside, A's connection is IPv4 (the API maps it back to ::ffff:...). */
    struct endpoint me, them;
    cr_assert_eq(sock_getname(c, &me, false), 0);
    cr_assert_eq(sock_getname(c, &them, true), 0);
    cr_assert_eq(me.addr.family, TP_AF_INET);
    cr_assert_eq(me.addr.v4, IP4(198, 18, 0, 1));
    cr_assert_eq(me.port, peer.port);
    cr_assert_eq(them.addr.v4, IP4(198, 18, 0, 2));
    cr_assert_eq(them.port, 80);
    struct tapir_tcp_info ti;
    cr_assert_eq(tapir_tcp_get_info(c, &ti), 0);
    cr_assert_eq(ti.tcpi_snd_mss, 1448, "the IPv4 MSS: %u", ti.tcpi_snd_mss);
    transfer(&n, c, a, 500000);
    transfer(&n, a, c, 500000);
    cr_assert_lt(n.st[0]->ctr.ip6_tx - v6_before, 10, "no TCP went out over IPv6");
    /* Asked again, connect() first reports the attempt that said
     * EINPROGRESS (0: established), then a second connection from the same
     * socket is refused, as on Linux (__inet_stream_connect). */
    cr_assert_eq(sock_connect(c, &dst), 0);
    cr_assert_eq(sock_connect(c, &dst), -EISCONN);
    sock_close(c);
    sock_close(a);

    /* Bound to :: first, then connected to a mapped address: works too. */
    cr_assert_eq(sock_create(n.st[0], TP_AF_INET6, SOCK_STREAM, 0, &c), 0);
    struct endpoint any = any6(40000);
    cr_assert_eq(sock_bind(c, &any), 0);
    a = connect_accept(&n, c, &dst, l, &peer);
    cr_assert_eq(peer.port, 40000);
    transfer(&n, c, a, 10000);
    finish(&n, c, a, l);
}

Test(ip6_tcp_sim, mapped_connect_errors)
{
    struct simnet n;
    init6(&n, 4);
    struct endpoint dst = mapped(1, 80);
    struct sock *c;
    /* IPV6_V6ONLY: no IPv4 peers (Linux: ENETUNREACH). */
    cr_assert_eq(sock_create(n.st[0], TP_AF_INET6, SOCK_STREAM, 0, &c), 0);
    int one = 1;
    cr_assert_eq(sock_setsockopt(c, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one), 0);
    cr_assert_eq(sock_connect(c, &dst), -ENETUNREACH);
    sock_close(c);
    /* Bound to a genuine IPv6 address: no IPv4 source. */
    cr_assert_eq(sock_create(n.st[0], TP_AF_INET6, SOCK_STREAM, 0, &c), 0);
    struct endpoint mine = ep6(G6[0], 0);
    cr_assert_eq(sock_bind(c, &mine), 0);
    cr_assert_eq(sock_connect(c, &dst), -ENETUNREACH);
    sock_close(c);
    /* Bound to a mapped (so IPv4) address: no IPv6 peer. */
    cr_assert_eq(sock_create(n.st[0], TP_AF_INET6, SOCK_STREAM, 0, &c), 0);
    struct endpoint m4 = mapped(0, 0);
    cr_assert_eq(sock_bind(c, &m4), 0);
    struct endpoint v6dst = ep6(G6[1], 80);
    cr_assert_eq(sock_connect(c, &v6dst), -ENETUNREACH);
    sock_close(c);
    /* A multicast peer. */
    cr_assert_eq(sock_create(n.st[0], TP_AF_INET6, SOCK_STREAM, 0, &c), 0);
    static const uint8_t mc[16] = {0xff, 0x02, [15] = 1};
    struct endpoint mdst = ep6(mc, 80);
    cr_assert_eq(sock_connect(c, &mdst), -ENETUNREACH);
    sock_close(c);
    /* Binding an address that is not ours, or a mapped one under V6ONLY. */
    cr_assert_eq(sock_create(n.st[0], TP_AF_INET6, SOCK_STREAM, 0, &c), 0);
    struct endpoint other = ep6(G6[1], 0);
    cr_assert_eq(sock_bind(c, &other), -EADDRNOTAVAIL);
    struct endpoint other4 = mapped(1, 0);
    cr_assert_eq(sock_bind(c, &other4), -EADDRNOTAVAIL);
    cr_assert_eq(sock_setsockopt(c, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one), 0);
    cr_assert_eq(sock_bind(c, &m4), -EINVAL);
    sock_close(c);
    simnet_fini(&n);
}

Test(ip6_tcp_sim, listener_on_mapped_address_takes_ipv4_only)
{
    struct simnet n;
    init6(&n, 5);
    struct endpoint at = mapped(1, 81);
    struct sock *l = listener(&n, 1, TP_AF_INET6, &at), *c;
    /* An IPv4 client gets in. */
    cr_assert_eq(sock_create(n.st[0], TP_AF_INET, SOCK_STREAM, 0, &c), 0);
    struct endpoint dst4 = simnet_ep(1, 81), peer;
    struct sock *a = connect_accept(&n, c, &dst4, l, &peer);
    cr_assert_eq(peer.addr.family, TP_AF_INET);
    transfer(&n, c, a, 10000);
    sock_close(c);
    sock_close(a);
    /* An IPv6 client is refused: nothing listens on fd00:198:18::2 port 81. */
    cr_assert_eq(sock_create(n.st[0], TP_AF_INET6, SOCK_STREAM, 0, &c), 0);
    struct endpoint dst6 = ep6(G6[1], 81);
    cr_assert_eq(sock_connect(c, &dst6), -EINPROGRESS);
    simnet_run_until(&n, n.now + 1000000);
    char b;
    cr_assert_eq(sock_recv(c, &b, 1, 0, NULL, NULL), -ECONNREFUSED);
    finish(&n, c, NULL, l);
}

Test(ip6_tcp_sim, dual_stack_port_space)
{
    struct simnet n;
    init6(&n, 6);
    struct sock *s6, *s4;
    /* :: without V6ONLY holds the port for IPv4 too (Linux: EADDRINUSE). */
    cr_assert_eq(sock_create(n.st[1], TP_AF_INET6, SOCK_STREAM, 0, &s6), 0);
    struct endpoint a6 = any6(90);
    cr_assert_eq(sock_bind(s6, &a6), 0);
    cr_assert_eq(sock_create(n.st[1], TP_AF_INET, SOCK_STREAM, 0, &s4), 0);
    struct endpoint a4 = simnet_ep(1, 90);
    a4.addr = ip4(0);
    cr_assert_eq(sock_bind(s4, &a4), -EADDRINUSE);
    struct endpoint b4 = simnet_ep(1, 90);
    cr_assert_eq(sock_bind(s4, &b4), -EADDRINUSE);
    sock_close(s4);
    sock_close(s6);
    /* ... and the other way round. */
    cr_assert_eq(sock_create(n.st[1], TP_AF_INET, SOCK_STREAM, 0, &s4), 0);
    cr_assert_eq(sock_bind(s4, &a4), 0);
    cr_assert_eq(sock_create(n.st[1], TP_AF_INET6, SOCK_STREAM, 0, &s6), 0);
    cr_assert_eq(sock_bind(s6, &a6), -EADDRINUSE);
    /* With V6ONLY the two live side by side, each taking its own family. */
    int one = 1;
    cr_assert_eq(sock_setsockopt(s6, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one), 0);
    cr_assert_eq(sock_bind(s6, &a6), 0);
    cr_assert_eq(sock_listen(s6, 4), 0);
    cr_assert_eq(sock_listen(s4, 4), 0);
    struct sock *c4, *c6;
    cr_assert_eq(sock_create(n.st[0], TP_AF_INET6, SOCK_STREAM, 0, &c6), 0);
    struct endpoint d6 = ep6(G6[1], 90), peer;
    struct sock *x6 = connect_accept(&n, c6, &d6, s6, &peer);
    cr_assert_eq(peer.addr.family, TP_AF_INET6);
    cr_assert_eq(sock_create(n.st[0], TP_AF_INET6, SOCK_STREAM, 0, &c4), 0);
    struct endpoint d4 = mapped(1, 90);
    struct sock *x4 = connect_accept(&n, c4, &d4, s4, &peer);
    cr_assert_eq(peer.addr.family, TP_AF_INET);
    sock_close(x4);
    sock_close(x6);
    sock_close(c4);
    sock_close(c6);
    finish(&n, s4, s6, NULL);
}
