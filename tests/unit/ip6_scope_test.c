/* Scope ids (RFC 4007 11.7) on a host with two Ethernet links: the same
 * link-local peer fe80::1 is reached through the interface its scope id
 * names, from that interface's own link-local address, for UDP (sendto,
 * connect, bind) and TCP (connect, and a listener's child answering on the
 * link the SYN came from, its peer reading ('fe80::1', port, 0, N)). */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "ip6_helpers.h"
#include "stack/socket.h"
#include "stack/wire/tcp.h"
#include "stack/wire/udp.h"

struct two {
    struct stack *st;
    int ifx[2];
    struct capture cap[2];
    uint8_t ll[2][16];        /* our link-local address on each */
    uint64_t now;
};

static const uint8_t mac2[2][6] = {{0x02, 0, 0, 0, 0, 0x02}, {0x02, 0, 0, 0, 0, 0x12}};

static void two_advance(struct two *t, uint64_t us)
{
    uint64_t end = t->now + us;
    while (t->now < end) {
        t->now += 10000 < end - t->now ? 10000 : end - t->now;
        stack_poll(t->st, t->now);
    }
}

static void two_setup(struct two *t)
{
    memset(t, 0, sizeof *t);
    t->now = 1000000;
    t->st = stack_create(11, t->now);
    stack_ip6_settings(t->st)->rs_delay_max_ms = 0;
    stack_add_loopback(t->st);
    t->ifx[0] = stack_add_netif(t->st, "eth0", mac2[0], 1500, capture_tx, &t->cap[0]);
    t->ifx[1] = stack_add_netif(t->st, "eth1", mac2[1], 1500, capture_tx, &t->cap[1]);
    two_advance(t, 3000000);   /* both link-local addresses through DAD */
    for (int i = 0; i < 2; i++) {
        struct ip6_addr_info a[8];
        int n = stack_ip6_addrs(t->st, t->ifx[i], a, 8);
        bool found = false;
        for (int k = 0; k < n; k++)
            if (a[k].origin == IP6_ORIGIN_LINKLOCAL && a[k].state == IP6_ADDR_PREFERRED) {
                memcpy(t->ll[i], a[k].addr, 16);
                found = true;
            }
        cr_assert(found, "eth%d has its link-local address", i);
        capture_clear(&t->cap[i]);
    }
    cr_assert(memcmp(t->ll[0], t->ll[1], 16) != 0);
}

static void two_teardown(struct two *t)
{
    stack_destroy(t->st);
    for (int i = 0; i < 2; i++)
        capture_clear(&t->cap[i]);
}

/* A frame from fe80::1 (peer_mac6) to us on link i. */
static void feed(struct two *t, int i, const uint8_t dst[16], uint8_t proto, const uint8_t *pl, size_t n)
{
    static uint8_t buf[2000];
    size_t len = f6_frame(buf, PEER_LL, dst, 255, 0, NULL, 0, proto, pl, n);
    if (!ip6_is_multicast(dst))
        memcpy(buf, mac2[i], 6);
    stack_input(t->st, t->ifx[i], buf, len, t->now);
}

/* The next IPv6 frame on link i with Next Header proto, or NULL; *l4 its
 * transport header.  Neighbour solicitations for fe80::1 on the way are
 * answered by the peer on that link (and skipped). */
static struct cap_frame *next_on(struct two *t, int i, uint8_t proto, size_t *l4)
{
    struct cap_frame *fr;
    for (int round = 0; round < 4; round++) {
        while ((fr = capture_pop(&t->cap[i]))) {
            if (fr->len < 54 || fr->data[12] != 0x86 || fr->data[13] != 0xdd) {
                free(fr);
                continue;
            }
            uint8_t nh = fr->data[14 + 6];
            if (nh == IP6_NH_ICMPV6 && fr->data[54] == ICMP6_ND_NS) {
                cr_assert(memcmp(fr->data + 22, t->ll[i], 16) == 0,
                          "the NS on eth%d comes from eth%d's link-local address", i, i);
                uint8_t m[32];
                size_t n = nd_emit_na(m, sizeof m, PEER_LL, false, true, true, peer_mac6);
                icmp6_set_checksum(m, n, PEER_LL, t->ll[i]);
                feed(t, i, t->ll[i], IP6_NH_ICMPV6, m, n);
                free(fr);
                continue;
            }
            if (nh == proto) {
                *l4 = 54;
                return fr;
            }
            free(fr);
        }
        two_advance(t, 10000);
    }
    return NULL;
}

static struct endpoint ll_ep(const uint8_t a[16], uint16_t port, uint32_t scope)
{
    struct endpoint e;
    memset(&e, 0, sizeof e);
    e.addr = ip6(a);
    e.port = port;
    e.scope_id = scope;
    return e;
}

Test(ip6_scope, udp_sendto_connect_bind_follow_the_scope_id)
{
    struct two t;
    two_setup(&t);
    struct sock *u;
    cr_assert_eq(sock_create(t.st, AF_INET6, SOCK_DGRAM, 0, &u), 0);
    /* fe80::1%eth1: out of eth1, from eth1's address; nothing on eth0. */
    struct endpoint to1 = ll_ep(PEER_LL, 5000, (uint32_t)t.ifx[1]);
    cr_assert_eq(sock_send(u, "one", 3, 0, &to1), 3);
    size_t l4 = 0;
    struct cap_frame *fr = next_on(&t, 1, IP6_NH_UDP, &l4);
    cr_assert_not_null(fr, "the datagram left through eth1");
    cr_assert(memcmp(fr->data + 22, t.ll[1], 16) == 0, "from eth1's link-local address");
    free(fr);
    cr_assert_eq(t.cap[0].count, 0, "nothing on eth0");
    /* fe80::1%eth0: the other link. */
    struct endpoint to0 = ll_ep(PEER_LL, 5000, (uint32_t)t.ifx[0]);
    cr_assert_eq(sock_send(u, "zero", 4, 0, &to0), 4);
    fr = next_on(&t, 0, IP6_NH_UDP, &l4);
    cr_assert_not_null(fr, "the datagram left through eth0");
    cr_assert(memcmp(fr->data + 22, t.ll[0], 16) == 0);
    free(fr);
    cr_assert_eq(t.cap[1].count, 0);
    /* connect(fe80::1%eth1) ties the socket to eth1: its name says so, and
     * a datagram to fe80::1%eth0 is refused as on Linux. */
    cr_assert_eq(sock_connect(u, &to1), 0);
    struct endpoint me, them;
    cr_assert_eq(sock_getname(u, &me, false), 0);
    cr_assert(memcmp(me.addr.v6, t.ll[1], 16) == 0, "source chosen on eth1");
    cr_assert_eq(sock_getname(u, &them, true), 0);
    cr_assert_eq(them.scope_id, (uint32_t)t.ifx[1]);
    cr_assert_eq(sock_send(u, "x", 1, 0, &to0), -EINVAL);
    cr_assert_eq(sock_send(u, "two", 3, 0, NULL), 3);
    fr = next_on(&t, 1, IP6_NH_UDP, &l4);
    cr_assert_not_null(fr);
    free(fr);
    /* A datagram from fe80::1 on eth1 arrives with scope id eth1. */
    uint8_t d[8 + 2];
    struct udp_hdr uh = {.sport = 5000, .dport = me.port};
    struct ipaddr s6 = ip6(PEER_LL), d6 = ip6(t.ll[1]);
    memcpy(d + 8, "hi", 2);
    udp_emit(&uh, d, 2, &s6, &d6);
    feed(&t, 1, t.ll[1], IP6_NH_UDP, d, sizeof d);
    char buf[8];
    struct endpoint from;
    cr_assert_eq(sock_recv(u, buf, sizeof buf, 0, &from, NULL), 2);
    cr_assert_eq(from.scope_id, (uint32_t)t.ifx[1]);
    sock_close(u);
    /* bind(fe80::<eth0>%eth0): tied to eth0; a send to fe80::1%eth1 is refused. */
    cr_assert_eq(sock_create(t.st, AF_INET6, SOCK_DGRAM, 0, &u), 0);
    struct endpoint b0 = ll_ep(t.ll[0], 0, (uint32_t)t.ifx[0]);
    cr_assert_eq(sock_bind(u, &b0), 0);
    cr_assert_eq(sock_send(u, "x", 1, 0, &to1), -EINVAL);
    cr_assert_eq(sock_send(u, "y", 1, 0, &to0), 1);
    sock_close(u);
    two_teardown(&t);
}

Test(ip6_scope, tcp_connect_and_accept_on_the_scoped_link)
{
    struct two t;
    two_setup(&t);
    /* connect(fe80::1%eth1): the SYN leaves through eth1 from eth1's address. */
    struct sock *c;
    cr_assert_eq(sock_create(t.st, AF_INET6, SOCK_STREAM, 0, &c), 0);
    struct endpoint to1 = ll_ep(PEER_LL, 80, (uint32_t)t.ifx[1]);
    cr_assert_eq(sock_connect(c, &to1), -EINPROGRESS);
    size_t l4 = 0;
    struct cap_frame *fr = next_on(&t, 1, IP6_NH_TCP, &l4);
    cr_assert_not_null(fr, "the SYN left through eth1");
    cr_assert(memcmp(fr->data + 22, t.ll[1], 16) == 0);
    struct tcp_hdr h;
    cr_assert_eq(tcp_hdr_parse(fr->data + l4, fr->len - l4, &h), 0);
    cr_assert_eq(h.flags, TCP_SYN);
    free(fr);
    cr_assert_eq(t.cap[0].count, 0, "nothing on eth0");
    struct endpoint me;
    cr_assert_eq(sock_getname(c, &me, false), 0);
    cr_assert(memcmp(me.addr.v6, t.ll[1], 16) == 0);
    cr_assert_eq(me.scope_id, (uint32_t)t.ifx[1], "getsockname: ('fe80::...', port, 0, eth1)");
    sock_close(c);

    /* A listener on ::; fe80::1 opens a connection on eth1. */
    struct sock *l;
    cr_assert_eq(sock_create(t.st, AF_INET6, SOCK_STREAM, 0, &l), 0);
    static const uint8_t zero[16];
    struct endpoint any = ll_ep(zero, 8080, 0);
    cr_assert_eq(sock_bind(l, &any), 0);
    cr_assert_eq(sock_listen(l, 4), 0);
    struct ipaddr peer = ip6(PEER_LL), mine = ip6(t.ll[1]);
    uint8_t seg[20];
    struct tcp_hdr syn = {.sport = 4000, .dport = 8080, .seq = 1000, .flags = TCP_SYN, .win = 65535};
    tcp_hdr_write(seg, &syn);
    tcp_set_checksum(&peer, &mine, seg, 20);
    feed(&t, 1, t.ll[1], IP6_NH_TCP, seg, 20);
    fr = next_on(&t, 1, IP6_NH_TCP, &l4);
    cr_assert_not_null(fr, "the SYN-ACK went back through eth1");
    cr_assert(memcmp(fr->data + 22, t.ll[1], 16) == 0);
    cr_assert_eq(tcp_hdr_parse(fr->data + l4, fr->len - l4, &h), 0);
    cr_assert_eq(h.flags, TCP_SYN | TCP_ACK);
    free(fr);
    cr_assert_eq(t.cap[0].count, 0);
    struct tcp_hdr ack = {.sport = 4000, .dport = 8080, .seq = 1001, .ack = h.seq + 1, .flags = TCP_ACK,
                          .win = 65535};
    tcp_hdr_write(seg, &ack);
    tcp_set_checksum(&peer, &mine, seg, 20);
    feed(&t, 1, t.ll[1], IP6_NH_TCP, seg, 20);
    struct sock *a = NULL;
    struct endpoint from;
    cr_assert_eq(sock_accept(l, &a, &from), 0);
    cr_assert(memcmp(from.addr.v6, PEER_LL, 16) == 0);
    cr_assert_eq(from.scope_id, (uint32_t)t.ifx[1], "accept: ('fe80::1', 4000, 0, eth1)");
    struct endpoint them;
    cr_assert_eq(sock_getname(a, &them, true), 0);
    cr_assert_eq(them.scope_id, (uint32_t)t.ifx[1]);
    /* Its data goes out through eth1 too. */
    cr_assert_eq(sock_send(a, "data", 4, 0, NULL), 4);
    fr = next_on(&t, 1, IP6_NH_TCP, &l4);
    cr_assert_not_null(fr, "data through eth1");
    free(fr);
    cr_assert_eq(t.cap[0].count, 0);
    sock_close(a);
    sock_close(l);
    two_teardown(&t);
}
