/* Whole-stack tests of the link and network layers: two stacks on a trivial
 * in-test wire pinging each other, UDP between them, fragmentation, loopback. */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "net_helpers.h"
#include "stack/arp.h"
#include "stack/checksum.h"
#include "stack/ip4.h"
#include "stack/socket.h"
#include "stack/wire/icmp.h"
#include "stack/wire/ipv4.h"

static size_t make_echo(uint8_t *buf, uint16_t id, uint16_t seq, size_t payload)
{
    for (size_t i = 0; i < payload; i++)
        buf[ICMP_HDR_LEN + i] = (uint8_t)(i * 7 + 3);
    struct icmp_hdr h = {.type = ICMP_ECHO_REQUEST, .rest = (uint32_t)id << 16 | seq,
                         .data = buf + ICMP_HDR_LEN, .data_len = payload};
    return icmp_emit(&h, buf);
}

/* Sends an echo request of `payload` bytes from w->st[from] to dst and checks
 * the reply that comes back on a raw ICMP socket. */
static void ping_once(struct twire *w, int from, uint32_t dst, size_t payload, uint16_t seq)
{
    struct sock *s;
    cr_assert_eq(sock_create(w->st[from], AF_INET, SOCK_RAW, IPPROTO_ICMP, &s), 0);
    static uint8_t req[70000], got[70000];
    size_t n = make_echo(req, 0x1234, seq, payload);
    struct endpoint to = {.addr = ip4(dst)};
    cr_assert_eq(sock_send(s, req, n, 0, &to), (ssize_t)n);
    twire_run(w, 100000);
    struct endpoint peer;
    size_t full = 0;
    ssize_t r = sock_recv(s, got, sizeof got, 0, &peer, &full);
    /* A raw socket to ourselves also sees our own request first. */
    while (r > 0 && got[((got[0] & 0xf) * 4)] == ICMP_ECHO_REQUEST)
        r = sock_recv(s, got, sizeof got, 0, &peer, &full);
    cr_assert_gt(r, 0, "no echo reply (r=%zd)", r);
    struct ipv4_hdr ih;
    cr_assert_eq(ipv4_parse(got, (size_t)r, &ih, true), 0);
    cr_assert_eq(ih.src, dst);
    cr_assert_eq(peer.addr.v4, dst);
    struct icmp_hdr ic;
    cr_assert_eq(icmp_parse(got + ih.hdr_len, (size_t)r - ih.hdr_len, &ic, true), 0);
    cr_assert_eq(ic.type, ICMP_ECHO_REPLY);
    cr_assert_eq(icmp_echo_id(&ic), 0x1234);
    cr_assert_eq(icmp_echo_seq(&ic), seq);
    cr_assert_eq(ic.data_len, payload);
    cr_assert_eq(memcmp(ic.data, req + ICMP_HDR_LEN, payload), 0);
    sock_close(s);
}

Test(icmp, echo_between_two_stacks)
{
    struct twire w;
    twire_init(&w, 1500);
    ping_once(&w, 0, IP4(198, 18, 0, 2), 56, 1);
    ping_once(&w, 1, IP4(198, 18, 0, 1), 56, 2);
    cr_assert_eq(w.st[1]->ctr.icmp_tx_echo_replies, 1);
    cr_assert_eq(w.st[0]->ctr.icmp_tx_echo_replies, 1);
    uint8_t mac[6];
    cr_assert_eq(arp_lookup(w.st[0], w.ifx[0], IP4(198, 18, 0, 2), mac), ARP_REACHABLE);
    cr_assert_eq(memcmp(mac, twire_mac[1], 6), 0);
    twire_fini(&w);
}

Test(icmp, echo_to_self_and_loopback)
{
    struct twire w;
    twire_init(&w, 1500);
    ping_once(&w, 0, IP4(127, 0, 0, 1), 100, 1);
    ping_once(&w, 0, IP4(198, 18, 0, 1), 100, 2);
    /* Nothing went on the wire. */
    cr_assert_eq(w.st[1]->ctr.icmp_rx, 0);
    twire_fini(&w);
}

Test(ipv4, fragmentation_round_trip_4000_byte_ping)
{
    struct twire w;
    twire_init(&w, 1500);
    ping_once(&w, 0, IP4(198, 18, 0, 2), 4000, 7);
    cr_assert_eq(w.st[0]->ctr.ip_frag_created, 3);
    cr_assert_eq(w.st[1]->ctr.ip_reass_ok, 1);
    cr_assert_eq(w.st[1]->ctr.ip_frag_created, 3);
    cr_assert_eq(w.st[0]->ctr.ip_reass_ok, 1);
    twire_fini(&w);
}

Test(udp, datagram_between_two_stacks)
{
    struct twire w;
    twire_init(&w, 1500);
    struct sock *srv, *cli;
    cr_assert_eq(sock_create(w.st[1], AF_INET, SOCK_DGRAM, 0, &srv), 0);
    struct endpoint any5000 = {.addr = ip4(0), .port = 5000};
    cr_assert_eq(sock_bind(srv, &any5000), 0);
    cr_assert_eq(sock_create(w.st[0], AF_INET, SOCK_DGRAM, 0, &cli), 0);
    struct endpoint to = {.addr = ip4(IP4(198, 18, 0, 2)), .port = 5000};
    cr_assert_eq(sock_send(cli, "hello", 5, 0, &to), 5);
    twire_run(&w, 1000);
    char buf[64];
    struct endpoint from;
    size_t full;
    cr_assert_eq(sock_recv(srv, buf, sizeof buf, 0, &from, &full), 5);
    cr_assert_eq(memcmp(buf, "hello", 5), 0);
    cr_assert_eq(from.addr.v4, IP4(198, 18, 0, 1));
    struct endpoint me;
    cr_assert_eq(sock_getname(cli, &me, false), 0);
    cr_assert_eq(from.port, me.port);
    cr_assert(me.port >= 32768 && me.port <= 60999);
    /* Reply to the sender. */
    cr_assert_eq(sock_send(srv, "world!", 6, 0, &from), 6);
    twire_run(&w, 1000);
    cr_assert_eq(sock_recv(cli, buf, sizeof buf, 0, &from, &full), 6);
    cr_assert_eq(from.addr.v4, IP4(198, 18, 0, 2));
    cr_assert_eq(from.port, 5000);
    cr_assert_eq(sock_recv(cli, buf, sizeof buf, 0, &from, &full), -EAGAIN);
    sock_close(srv);
    sock_close(cli);
    twire_fini(&w);
}

Test(udp, port_unreachable_refuses_connected_socket)
{
    struct twire w;
    twire_init(&w, 1500);
    struct sock *cli;
    cr_assert_eq(sock_create(w.st[0], AF_INET, SOCK_DGRAM, 0, &cli), 0);
    struct endpoint to = {.addr = ip4(IP4(198, 18, 0, 2)), .port = 9};
    cr_assert_eq(sock_connect(cli, &to), 0);
    cr_assert_eq(sock_send(cli, "x", 1, 0, NULL), 1);
    twire_run(&w, 1000);
    cr_assert_eq(w.st[1]->ctr.icmp_tx_unreachables, 1);
    cr_assert(sock_poll(cli) & SOCK_POLLERR);
    char buf[8];
    cr_assert_eq(sock_recv(cli, buf, sizeof buf, 0, NULL, NULL), -ECONNREFUSED);
    cr_assert_eq(sock_recv(cli, buf, sizeof buf, 0, NULL, NULL), -EAGAIN);
    sock_close(cli);
    twire_fini(&w);
}

Test(udp, big_datagram_is_fragmented_and_reassembled)
{
    struct twire w;
    twire_init(&w, 1500);
    struct sock *a, *b;
    cr_assert_eq(sock_create(w.st[0], AF_INET, SOCK_DGRAM, 0, &a), 0);
    cr_assert_eq(sock_create(w.st[1], AF_INET, SOCK_DGRAM, 0, &b), 0);
    struct endpoint bep = {.addr = ip4(0), .port = 7000};
    cr_assert_eq(sock_bind(b, &bep), 0);
    static uint8_t big[20000], got[20000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 13);
    struct endpoint to = {.addr = ip4(IP4(198, 18, 0, 2)), .port = 7000};
    cr_assert_eq(sock_send(a, big, sizeof big, 0, &to), (ssize_t)sizeof big);
    twire_run(&w, 1000);
    cr_assert_eq(sock_recv(b, got, sizeof got, 0, NULL, NULL), (ssize_t)sizeof big);
    cr_assert_eq(memcmp(big, got, sizeof big), 0);
    sock_close(a);
    sock_close(b);
    twire_fini(&w);
}

Test(udp, loopback_between_sockets_of_one_stack)
{
    struct stack *st = stack_create(1, 0);
    stack_add_loopback(st);
    struct sock *a, *b;
    cr_assert_eq(sock_create(st, AF_INET, SOCK_DGRAM, 0, &a), 0);
    cr_assert_eq(sock_create(st, AF_INET, SOCK_DGRAM, 0, &b), 0);
    struct endpoint bep = {.addr = ip4(IP4(127, 0, 0, 1)), .port = 4000};
    cr_assert_eq(sock_bind(b, &bep), 0);
    cr_assert_eq(sock_send(a, "abc", 3, 0, &bep), 3);
    /* Not delivered inside the send: at the next poll, which is due now. */
    char buf[8];
    cr_assert_eq(sock_recv(b, buf, sizeof buf, 0, NULL, NULL), -EAGAIN);
    cr_assert_eq(stack_next_deadline(st), st->now);
    stack_poll(st, st->now);
    struct endpoint from;
    cr_assert_eq(sock_recv(b, buf, sizeof buf, 0, &from, NULL), 3);
    cr_assert_eq(from.addr.v4, IP4(127, 0, 0, 1));
    sock_close(a);
    sock_close(b);
    stack_destroy(st);
}

static int tun_tx(void *ctx, const uint8_t *frame, size_t len, const struct pkt *meta)
{
    return capture_tx(ctx, frame, len, meta);
}

Test(stack, tun_interface_carries_bare_ip)
{
    struct capture cap = {0};
    struct stack *st = stack_create(3, 0);
    int t = stack_add_tun(st, "tun0", 1500, tun_tx, &cap);
    cr_assert_geq(t, 0);
    cr_assert_eq(stack_add_ip4(st, t, IP4(198, 18, 1, 2), 24), 0);
    cr_assert_eq(cap.count, 0, "no gratuitous ARP on a TUN");
    /* An echo request as a bare IPv4 packet. */
    uint8_t pkt[128];
    size_t il = make_echo(pkt + 20, 9, 1, 32);
    struct ipv4_hdr h = {.total_len = (uint16_t)(20 + il), .ttl = 64, .proto = 1,
                         .src = IP4(198, 18, 1, 1), .dst = IP4(198, 18, 1, 2)};
    ipv4_emit(&h, pkt);
    stack_input(st, t, pkt, 20 + il, 1000);
    cr_assert_eq(cap.count, 1);
    struct cap_frame *f = capture_pop(&cap);
    struct ipv4_hdr r;
    cr_assert_eq(ipv4_parse(f->data, f->len, &r, true), 0);
    cr_assert_eq(r.src, IP4(198, 18, 1, 2));
    cr_assert_eq(r.dst, IP4(198, 18, 1, 1));
    cr_assert_eq(f->data[20], ICMP_ECHO_REPLY);
    free(f);
    stack_destroy(st);
}
