/* TCP and broadcast/multicast addresses (RFC 1122 4.2.3.10, RFC 9293 3.9.1
 * OPEN): an active open to a broadcast or multicast address MUST fail, and
 * a SYN addressed to one MUST be discarded silently. */
#include <criterion/criterion.h>
#include <errno.h>
#include <sys/socket.h>

#include "net_helpers.h"
#include "stack/socket.h"
#include "stack/tcp/tcp.h"
#include "stack/wire/eth.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/tcp.h"

Test(tcp_bcast, connect_to_broadcast_or_multicast_fails)
{
    struct netfix f;
    netfix_setup(&f, 8, 1000000, NETFIX_IPV4_ONLY | NETFIX_STATIC_PEER);
    const uint32_t bad[] = {
        IP4(255, 255, 255, 255),      /* limited broadcast */
        IP4(198, 18, 0, 255),         /* our /24's directed broadcast */
        IP4(224, 0, 0, 1),            /* multicast */
        IP4(239, 1, 2, 3),
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct sock *s;
        cr_assert_eq(sock_create(f.st, TP_AF_INET, SOCK_STREAM, 0, &s), 0);
        struct endpoint peer = {.addr = ip4(bad[i]), .port = 80};
        cr_assert_eq(sock_connect(s, &peer), -ENETUNREACH, "address %zu", i);
        cr_assert_eq(tcp_from_sock(s)->state, TCPS_CLOSED);
        sock_close(s);
    }
    cr_assert_eq(f.cap.count, 0, "no SYN left");
    /* The same through an AF_INET6 socket and a mapped address. */
    struct sock *s6;
    cr_assert_eq(sock_create(f.st, TP_AF_INET6, SOCK_STREAM, 0, &s6), 0);
    struct endpoint m = {.addr = ipaddr_map4(IP4(224, 0, 0, 1)), .port = 80};
    cr_assert_eq(sock_connect(s6, &m), -ENETUNREACH);
    sock_close(s6);
    /* A unicast peer still works. */
    struct sock *s;
    cr_assert_eq(sock_create(f.st, TP_AF_INET, SOCK_STREAM, 0, &s), 0);
    struct endpoint ok = {.addr = ip4(NET_PEER), .port = 80};
    cr_assert_eq(sock_connect(s, &ok), -EINPROGRESS);
    cr_assert_eq(f.cap.count, 1, "the SYN");
    sock_close(s);
    netfix_teardown(&f);
}

/* A SYN to a broadcast or multicast address reaches no listener. */
Test(tcp_bcast, syn_to_broadcast_or_multicast_dropped)
{
    struct netfix f;
    netfix_setup(&f, 9, 1000000, NETFIX_IPV4_ONLY | NETFIX_STATIC_PEER);
    struct sock *l;
    cr_assert_eq(sock_create(f.st, TP_AF_INET, SOCK_STREAM, 0, &l), 0);
    struct endpoint at = {.addr = ip4(0), .port = 80};
    cr_assert_eq(sock_bind(l, &at), 0);
    cr_assert_eq(sock_listen(l, 4), 0);
    const uint32_t dsts[] = {IP4(255, 255, 255, 255), IP4(198, 18, 0, 255), IP4(224, 0, 0, 1), NET_OUR};
    for (size_t i = 0; i < 4; i++) {
        uint8_t frame[128];
        struct eth_hdr eh = {.type = ETHERTYPE_IPV4};
        memcpy(eh.dst, i < 3 ? eth_broadcast : NET_OUR_MAC, 6);
        memcpy(eh.src, NET_PEER_MAC, 6);
        eth_emit(&eh, frame);
        struct tcp_hdr h;
        memset(&h, 0, sizeof h);
        h.sport = 40000;
        h.dport = 80;
        h.seq = 1000;
        h.flags = TCP_SYN;
        h.win = 65535;
        uint8_t *seg = frame + ETH_HDR_LEN + 20;
        size_t n = tcp_hdr_write(seg, &h);
        struct ipaddr src = ip4(NET_PEER), dst = ip4(dsts[i]);
        tcp_set_checksum(&src, &dst, seg, n);
        struct ipv4_hdr ih = {.ttl = 64, .proto = 6, .src = NET_PEER, .dst = dsts[i], .id = 1,
                              .total_len = (uint16_t)(20 + n)};
        ipv4_emit(&ih, frame + ETH_HDR_LEN);
        stack_input(f.st, f.ifx, frame, ETH_HDR_LEN + 20 + n, f.now);
        if (i < 3)
            cr_assert_eq(f.cap.count, 0, "SYN %zu: no SYN-ACK, no RST", i);
    }
    cr_assert_eq(f.cap.count, 1, "the control: a SYN to our address is answered");
    sock_close(l);
    netfix_teardown(&f);
}
