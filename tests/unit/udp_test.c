/* UDP socket semantics at the stack level (Linux's behaviour is the
 * reference): binding rules, ephemeral ports, connect filtering and
 * AF_UNSPEC, MSG_PEEK / MSG_TRUNC, queue bound, broadcast permission,
 * errors, wake-ups, SO_REUSEPORT spreading. */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "net_helpers.h"
#include "stack/socket.h"
#include "stack/udp.h"
#include "stack/wire/eth.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/udp.h"

#define A IP4(198, 18, 0, 1)
#define B IP4(198, 18, 0, 2)

static struct sock *udp(struct stack *st)
{
    struct sock *s;
    cr_assert_eq(sock_create(st, AF_INET, SOCK_DGRAM, 0, &s), 0);
    return s;
}

static struct endpoint ep(uint32_t a, uint16_t port)
{
    struct endpoint e = {.addr = ip4(a), .port = port};
    return e;
}

static int set_int(struct sock *s, int level, int name, int v)
{
    return sock_setsockopt(s, level, name, &v, sizeof v);
}

Test(udp, bind_rules_like_linux)
{
    struct stack *st = stack_create(1, 0);
    stack_add_loopback(st);
    struct sock *a = udp(st), *b = udp(st), *c = udp(st), *d = udp(st);
    struct endpoint any = ep(0, 5353), lo = ep(IP4(127, 0, 0, 1), 5353);
    cr_assert_eq(sock_bind(a, &any), 0);
    cr_assert_eq(sock_bind(a, &any), -EINVAL, "bound twice");
    cr_assert_eq(sock_bind(b, &any), -EADDRINUSE);
    cr_assert_eq(sock_bind(b, &lo), -EADDRINUSE, "wildcard covers every address");
    struct endpoint far = ep(IP4(203, 0, 113, 9), 5353);
    cr_assert_eq(sock_bind(b, &far), -EADDRNOTAVAIL);
    /* Both with SO_REUSEADDR: shared. */
    cr_assert_eq(set_int(c, SOL_SOCKET, SO_REUSEADDR, 1), 0);
    cr_assert_eq(sock_bind(c, &any), -EADDRINUSE, "a did not set it");
    sock_close(a);
    struct sock *a2 = udp(st);
    cr_assert_eq(set_int(a2, SOL_SOCKET, SO_REUSEADDR, 1), 0);
    cr_assert_eq(sock_bind(a2, &any), 0);
    cr_assert_eq(sock_bind(c, &any), 0);
    /* Both with SO_REUSEPORT, another port. */
    struct endpoint p2 = ep(0, 6000);
    cr_assert_eq(set_int(d, SOL_SOCKET, SO_REUSEPORT, 1), 0);
    cr_assert_eq(set_int(b, SOL_SOCKET, SO_REUSEPORT, 1), 0);
    cr_assert_eq(sock_bind(d, &p2), 0);
    cr_assert_eq(sock_bind(b, &p2), 0);
    /* Two different specific addresses never collide. */
    struct sock *e = udp(st), *g = udp(st);
    struct endpoint l1 = ep(IP4(127, 0, 0, 1), 7000), l2 = ep(IP4(127, 0, 0, 2), 7000);
    cr_assert_eq(sock_bind(e, &l1), 0);
    cr_assert_eq(sock_bind(g, &l2), 0);
    struct endpoint name;
    cr_assert_eq(sock_getname(g, &name, false), 0);
    cr_assert_eq(name.addr.v4, IP4(127, 0, 0, 2));
    cr_assert_eq(name.port, 7000);
    cr_assert_eq(sock_getname(g, &name, true), -ENOTCONN);
    sock_close(a2), sock_close(b), sock_close(c), sock_close(d), sock_close(e), sock_close(g);
    cr_assert_eq(udp_sock_count(st), 0);
    stack_destroy(st);
}

Test(udp, ephemeral_ports_random_in_range)
{
    struct stack *st = stack_create(99, 0);
    enum { N = 300 };
    static struct sock *s[N];
    uint16_t ports[N];
    int sequential = 0;
    for (int i = 0; i < N; i++) {
        s[i] = udp(st);
        struct endpoint any = ep(0, 0);
        cr_assert_eq(sock_bind(s[i], &any), 0);
        struct endpoint me;
        sock_getname(s[i], &me, false);
        ports[i] = me.port;
        cr_assert(me.port >= UDP_EPHEMERAL_LOW && me.port <= UDP_EPHEMERAL_HIGH, "port %u", me.port);
        for (int j = 0; j < i; j++)
            cr_assert_neq(ports[j], me.port, "port reused while in use");
        if (i && ports[i] == ports[i - 1] + 1)
            sequential++;
    }
    cr_assert_lt(sequential, 5, "ports look sequential (%d)", sequential);
    /* Spread: both halves of the range are used. */
    int low = 0;
    for (int i = 0; i < N; i++)
        low += ports[i] < (UDP_EPHEMERAL_LOW + UDP_EPHEMERAL_HIGH) / 2;
    cr_assert(low > N / 4 && low < 3 * N / 4, "low half: %d of %d", low, N);
    for (int i = 0; i < N; i++)
        sock_close(s[i]);
    stack_destroy(st);
}

Test(udp, connect_filters_and_af_unspec_dissolves)
{
    struct twire w;
    twire_init(&w, 1500);
    struct stack *sb = w.st[1];
    stack_add_ip4(w.st[0], w.ifx[0], IP4(198, 18, 0, 3), 24);
    struct sock *srv = udp(sb), *c1 = udp(w.st[0]), *c2 = udp(w.st[0]);
    struct endpoint bind_ep = ep(0, 9000);
    cr_assert_eq(sock_bind(srv, &bind_ep), 0);
    struct endpoint c1ep = ep(A, 1111), c2ep = ep(IP4(198, 18, 0, 3), 2222);
    cr_assert_eq(sock_bind(c1, &c1ep), 0);
    cr_assert_eq(sock_bind(c2, &c2ep), 0);
    struct endpoint peer = ep(A, 1111);
    cr_assert_eq(sock_connect(srv, &peer), 0);
    struct endpoint name;
    cr_assert_eq(sock_getname(srv, &name, false), 0);
    cr_assert_eq(name.addr.v4, B, "connect fixed the local address");
    cr_assert_eq(name.port, 9000);
    struct endpoint to = ep(B, 9000);
    cr_assert_eq(sock_send(c1, "one", 3, 0, &to), 3);
    cr_assert_eq(sock_send(c2, "two", 3, 0, &to), 3);
    twire_run(&w, 1000);
    char buf[16];
    struct endpoint from;
    cr_assert_eq(sock_recv(srv, buf, sizeof buf, 0, &from, NULL), 3);
    cr_assert_eq(memcmp(buf, "one", 3), 0);
    cr_assert_eq(sock_recv(srv, buf, sizeof buf, 0, &from, NULL), -EAGAIN, "c2 filtered out");
    /* The filtered datagram got a port unreachable, like Linux. */
    cr_assert_eq(sb->ctr.udp_rx_no_port, 1);
    struct endpoint unspec = {.addr = {.family = TP_AF_UNSPEC}};
    cr_assert_eq(sock_connect(srv, &unspec), 0);
    cr_assert_eq(sock_getname(srv, &from, true), -ENOTCONN);
    cr_assert_eq(sock_getname(srv, &name, false), 0);
    cr_assert_eq(name.addr.v4, 0, "address chosen by connect is released");
    cr_assert_eq(name.port, 9000, "port chosen by bind stays");
    cr_assert_eq(sock_send(c2, "two", 3, 0, &to), 3);
    twire_run(&w, 1000);
    cr_assert_eq(sock_recv(srv, buf, sizeof buf, 0, &from, NULL), 3);
    cr_assert_eq(from.addr.v4, IP4(198, 18, 0, 3));
    cr_assert_eq(from.port, 2222);
    cr_assert_eq(sock_send(srv, "x", 1, 0, NULL), -EDESTADDRREQ);
    sock_close(srv), sock_close(c1), sock_close(c2);
    twire_fini(&w);
}

Test(udp, peek_and_trunc)
{
    struct stack *st = stack_create(1, 0);
    stack_add_loopback(st);
    struct sock *a = udp(st), *b = udp(st);
    struct endpoint bep = ep(IP4(127, 0, 0, 1), 4444);
    cr_assert_eq(sock_bind(b, &bep), 0);
    cr_assert_eq(sock_send(a, "0123456789", 10, 0, &bep), 10);
    cr_assert_eq(sock_send(a, "", 0, 0, &bep), 0);
    stack_poll(st, 1);
    char buf[16] = {0};
    size_t full = 0;
    cr_assert_eq(sock_recv(b, buf, 4, MSG_PEEK, NULL, &full), 4);
    cr_assert_eq(full, 10);
    cr_assert_eq(sock_recv(b, buf, 4, MSG_PEEK | MSG_TRUNC, NULL, &full), 10);
    cr_assert_eq(sock_recv(b, buf, 4, 0, NULL, &full), 4, "truncated: the rest is lost");
    cr_assert_eq(memcmp(buf, "0123", 4), 0);
    cr_assert_eq(full, 10);
    /* The empty datagram is a datagram. */
    cr_assert(sock_poll(b) & SOCK_POLLIN);
    cr_assert_eq(sock_recv(b, buf, sizeof buf, 0, NULL, &full), 0);
    cr_assert_eq(full, 0);
    cr_assert_eq(sock_recv(b, buf, sizeof buf, 0, NULL, &full), -EAGAIN);
    cr_assert_not(sock_poll(b) & SOCK_POLLIN);
    cr_assert(sock_poll(b) & SOCK_POLLOUT);
    sock_close(a), sock_close(b);
    stack_destroy(st);
}

Test(udp, receive_queue_is_bounded)
{
    struct stack *st = stack_create(1, 0);
    stack_add_loopback(st);
    struct sock *a = udp(st), *b = udp(st);
    struct endpoint bep = ep(IP4(127, 0, 0, 1), 4445);
    cr_assert_eq(sock_bind(b, &bep), 0);
    cr_assert_eq(set_int(b, SOL_SOCKET, SO_RCVBUF, 4096), 0); /* Linux doubles: 8192 */
    static char big[1000];
    for (int i = 0; i < 20; i++)
        cr_assert_eq(sock_send(a, big, sizeof big, 0, &bep), (ssize_t)sizeof big);
    stack_poll(st, 1);
    int got = 0;
    while (sock_recv(b, big, sizeof big, 0, NULL, NULL) > 0)
        got++;
    cr_assert_eq(got, 8192 / (1000 + UDP_DGRAM_OVERHEAD));
    cr_assert_eq(st->ctr.udp_rx_queue_full, (uint64_t)(20 - got));
    sock_close(a), sock_close(b);
    stack_destroy(st);
}

Test(udp, broadcast_needs_so_broadcast)
{
    struct twire w;
    twire_init(&w, 1500);
    struct sock *s = udp(w.st[0]), *r1 = udp(w.st[1]), *r2 = udp(w.st[1]);
    struct endpoint bc = ep(IP4(198, 18, 0, 255), 67), lim = ep(IP4(255, 255, 255, 255), 67);
    cr_assert_eq(sock_send(s, "x", 1, 0, &bc), -EACCES);
    cr_assert_eq(sock_send(s, "x", 1, 0, &lim), -EACCES);
    cr_assert_eq(sock_connect(s, &bc), -EACCES);
    /* Two receivers sharing the port both get a copy. */
    cr_assert_eq(set_int(r1, SOL_SOCKET, SO_REUSEADDR, 1), 0);
    cr_assert_eq(set_int(r2, SOL_SOCKET, SO_REUSEADDR, 1), 0);
    struct endpoint any = ep(0, 67);
    cr_assert_eq(sock_bind(r1, &any), 0);
    cr_assert_eq(sock_bind(r2, &any), 0);
    /* A receiver bound to its unicast address does not see broadcasts. */
    struct sock *r3 = udp(w.st[1]);
    cr_assert_eq(set_int(r3, SOL_SOCKET, SO_REUSEADDR, 1), 0);
    struct endpoint uni = ep(B, 67);
    cr_assert_eq(sock_bind(r3, &uni), 0);
    cr_assert_eq(set_int(s, SOL_SOCKET, SO_BROADCAST, 1), 0);
    cr_assert_eq(sock_send(s, "hi", 2, 0, &bc), 2);
    /* 255.255.255.255 needs a route (or a bound device), as on Linux. */
    cr_assert_eq(sock_send(s, "hi", 2, 0, &lim), -ENETUNREACH);
    cr_assert_eq(stack_add_route4(w.st[0], 0, 0, IP4(198, 18, 0, 254), w.ifx[0]), 0);
    cr_assert_eq(sock_send(s, "hi", 2, 0, &lim), 2);
    twire_run(&w, 100);
    char buf[4];
    cr_assert_eq(sock_recv(r1, buf, sizeof buf, 0, NULL, NULL), 2);
    cr_assert_eq(sock_recv(r1, buf, sizeof buf, 0, NULL, NULL), 2);
    cr_assert_eq(sock_recv(r2, buf, sizeof buf, 0, NULL, NULL), 2);
    cr_assert_eq(sock_recv(r2, buf, sizeof buf, 0, NULL, NULL), 2);
    cr_assert_eq(sock_recv(r3, buf, sizeof buf, 0, NULL, NULL), -EAGAIN);
    cr_assert_eq(w.st[0]->ctr.arp_tx_requests, 0, "broadcasts need no ARP");
    cr_assert_eq(w.st[1]->ctr.icmp_tx_unreachables, 0);
    sock_close(s), sock_close(r1), sock_close(r2), sock_close(r3);
    twire_fini(&w);
}

Test(udp, caller_errors)
{
    struct stack *st = stack_create(1, 0);
    stack_add_loopback(st);
    struct sock *s = udp(st);
    struct endpoint p0 = ep(IP4(127, 0, 0, 1), 0), ok = ep(IP4(127, 0, 0, 1), 9);
    cr_assert_eq(sock_send(s, "x", 1, 0, &p0), -EINVAL);
    static char huge[65536];
    cr_assert_eq(sock_send(s, huge, 65508, 0, &ok), -EMSGSIZE);
    cr_assert_eq(sock_send(s, huge, 65507, 0, &ok), 65507);
    struct endpoint far = ep(IP4(203, 0, 113, 1), 9);
    cr_assert_eq(sock_send(s, "x", 1, 0, &far), -ENETUNREACH);
    cr_assert_eq(sock_connect(s, &far), -ENETUNREACH);
    cr_assert_eq(sock_listen(s, 1), -EOPNOTSUPP);
    cr_assert_eq(sock_shutdown(s, SHUT_RDWR), -ENOTCONN, "Linux: ENOTCONN, flags still set");
    cr_assert_eq(sock_send(s, "x", 1, 0, &ok), -EPIPE);
    char b[4];
    cr_assert_eq(sock_recv(s, b, sizeof b, 0, NULL, NULL), 0, "shut down for reading: EOF");
    struct sock *r;
    cr_assert_eq(sock_create(st, AF_INET, SOCK_DGRAM, IPPROTO_TCP, &r), -EPROTONOSUPPORT);
    sock_close(s);
    stack_poll(st, 1);
    stack_destroy(st);
}

static int wakes;
static void on_wake(struct sock *s, void *ctx)
{
    (void)s;
    (void)ctx;
    wakes++;
}

Test(udp, wake_hook_on_arrival_and_error)
{
    struct twire w;
    twire_init(&w, 1500);
    struct sock *srv = udp(w.st[1]), *cli = udp(w.st[0]);
    struct endpoint any = ep(0, 1234);
    cr_assert_eq(sock_bind(srv, &any), 0);
    sock_set_wake(srv, on_wake, NULL);
    sock_set_wake(cli, on_wake, NULL);
    wakes = 0;
    struct endpoint to = ep(B, 1234);
    cr_assert_eq(sock_send(cli, "a", 1, 0, &to), 1);
    twire_run(&w, 100);
    cr_assert_eq(wakes, 1);
    /* A connected socket is woken by the ICMP error, and only it. */
    struct endpoint closed = ep(B, 1235);
    cr_assert_eq(sock_connect(cli, &closed), 0);
    wakes = 0;
    cr_assert_eq(sock_send(cli, "b", 1, 0, NULL), 1);
    twire_run(&w, 100);
    cr_assert_eq(wakes, 1);
    cr_assert_eq(sock_send(cli, "c", 1, 0, NULL), -ECONNREFUSED, "reported once, by send too");
    cr_assert_eq(sock_send(cli, "c", 1, 0, NULL), 1);
    sock_close(srv), sock_close(cli);
    twire_fini(&w);
}

Test(udp, unconnected_socket_ignores_icmp_errors)
{
    struct twire w;
    twire_init(&w, 1500);
    struct sock *cli = udp(w.st[0]);
    struct endpoint closed = ep(B, 1235);
    cr_assert_eq(sock_send(cli, "b", 1, 0, &closed), 1);
    twire_run(&w, 100);
    cr_assert_eq(w.st[1]->ctr.icmp_tx_unreachables, 1);
    cr_assert_eq(w.st[0]->ctr.icmp_rx_errors, 1);
    char buf[4];
    cr_assert_eq(sock_recv(cli, buf, sizeof buf, 0, NULL, NULL), -EAGAIN);
    sock_close(cli);
    twire_fini(&w);
}

Test(udp, reuseport_group_spreads_by_sender)
{
    struct twire w;
    twire_init(&w, 1500);
    struct sock *g[2];
    struct endpoint any = ep(0, 5000);
    for (int i = 0; i < 2; i++) {
        g[i] = udp(w.st[1]);
        cr_assert_eq(set_int(g[i], SOL_SOCKET, SO_REUSEPORT, 1), 0);
        cr_assert_eq(sock_bind(g[i], &any), 0);
    }
    struct endpoint to = ep(B, 5000);
    for (int i = 0; i < 64; i++) {
        struct sock *c = udp(w.st[0]);
        cr_assert_eq(sock_send(c, "x", 1, 0, &to), 1);
        sock_close(c);
    }
    twire_run(&w, 1000);
    int got[2] = {0, 0};
    char b[4];
    for (int i = 0; i < 2; i++)
        while (sock_recv(g[i], b, sizeof b, 0, NULL, NULL) == 1)
            got[i]++;
    cr_assert_eq(got[0] + got[1], 64);
    cr_assert(got[0] > 10 && got[1] > 10, "spread %d/%d", got[0], got[1]);
    sock_close(g[0]), sock_close(g[1]);
    twire_fini(&w);
}

/* A datagram with checksum 0 (none) is accepted over IPv4 (RFC 768). */
Test(udp, zero_checksum_accepted)
{
    struct capture cap = {0};
    struct stack *st = stack_create(1, 0);
    static const uint8_t mac[6] = {2, 0, 0, 0, 0, 9};
    int ifx = stack_add_netif(st, "e", mac, 1500, capture_tx, &cap);
    stack_add_ip4(st, ifx, B, 24);
    struct sock *s = udp(st);
    struct endpoint any = ep(0, 53);
    cr_assert_eq(sock_bind(s, &any), 0);
    uint8_t f[64] = {0};
    memcpy(f, mac, 6);
    f[6] = 2;
    f[12] = 0x08;
    struct ipv4_hdr h = {.total_len = 20 + 8 + 3, .ttl = 9, .proto = 17, .src = A, .dst = B};
    ipv4_emit(&h, f + 14);
    uint8_t *u = f + 34;
    u[0] = 0x30, u[1] = 0x39, u[2] = 0, u[3] = 53, u[4] = 0, u[5] = 11, u[6] = 0, u[7] = 0;
    memcpy(u + 8, "abc", 3);
    stack_input(st, ifx, f, 34 + 11, 1);
    char b[8];
    struct endpoint from;
    cr_assert_eq(sock_recv(s, b, sizeof b, 0, &from, NULL), 3);
    cr_assert_eq(from.port, 12345);
    /* A wrong non-zero checksum is dropped. */
    u[7] = 1;
    stack_input(st, ifx, f, 34 + 11, 2);
    cr_assert_eq(st->ctr.udp_rx_bad, 1);
    sock_close(s);
    stack_destroy(st);
    capture_clear(&cap);
}

/* ---- dual stack: AF_INET6 sockets and IPv4 through mapped addresses ---- */

static struct endpoint ep6_any(uint16_t port)
{
    struct endpoint e;
    memset(&e, 0, sizeof e);
    e.addr.family = TP_AF_INET6;
    e.port = port;
    return e;
}

static struct endpoint ep_mapped(uint32_t a, uint16_t port)
{
    struct endpoint e = {.addr = ipaddr_map4(a), .port = port};
    return e;
}

Test(udp, dual_stack_socket_takes_ipv4_as_mapped)
{
    struct twire w;
    twire_init(&w, 1500);
    struct sock *srv, *cli = udp(w.st[0]);
    cr_assert_eq(sock_create(w.st[1], AF_INET6, SOCK_DGRAM, 0, &srv), 0);
    struct endpoint any6 = ep6_any(8000);
    cr_assert_eq(sock_bind(srv, &any6), 0);
    struct endpoint to = ep(B, 8000);
    cr_assert_eq(sock_send(cli, "v4", 2, 0, &to), 2);
    twire_run(&w, 100);
    char buf[8];
    struct endpoint from;
    cr_assert_eq(sock_recv(srv, buf, sizeof buf, 0, &from, NULL), 2);
    cr_assert(ipaddr_is_v4mapped(&from.addr));
    cr_assert_eq(ipaddr_unmap4(&from.addr), A);
    /* The reply to the mapped address goes out as IPv4. */
    cr_assert_eq(sock_send(srv, "ok", 2, 0, &from), 2);
    twire_run(&w, 100);
    struct endpoint from4;
    cr_assert_eq(sock_recv(cli, buf, sizeof buf, 0, &from4, NULL), 2);
    cr_assert_eq(from4.addr.family, TP_AF_INET);
    cr_assert_eq(from4.addr.v4, B);
    cr_assert_eq(from4.port, 8000);
    /* Connect to a mapped peer: the local name becomes mapped too. */
    cr_assert_eq(sock_connect(srv, &from), 0);
    struct endpoint me;
    cr_assert_eq(sock_getname(srv, &me, false), 0);
    cr_assert(ipaddr_is_v4mapped(&me.addr));
    cr_assert_eq(ipaddr_unmap4(&me.addr), B);
    cr_assert_eq(sock_send(srv, "c", 1, 0, NULL), 1);
    twire_run(&w, 100);
    cr_assert_eq(sock_recv(cli, buf, sizeof buf, 0, NULL, NULL), 1);
    sock_close(srv), sock_close(cli);
    twire_fini(&w);
}

Test(udp, v6only_and_port_sharing_across_families)
{
    struct stack *st = stack_create(1, 0);
    stack_add_loopback(st);
    struct sock *d6, *o6, *m6, *v4 = udp(st);
    cr_assert_eq(sock_create(st, AF_INET6, SOCK_DGRAM, 0, &d6), 0);
    cr_assert_eq(sock_create(st, AF_INET6, SOCK_DGRAM, 0, &o6), 0);
    cr_assert_eq(sock_create(st, AF_INET6, SOCK_DGRAM, 0, &m6), 0);
    struct endpoint any6 = ep6_any(9100), any4 = ep(0, 9100);
    /* A dual-stack :: holds the IPv4 port too. */
    cr_assert_eq(sock_bind(d6, &any6), 0);
    cr_assert_eq(sock_bind(v4, &any4), -EADDRINUSE);
    sock_close(d6);
    /* A V6ONLY :: does not. */
    cr_assert_eq(set_int(o6, IPPROTO_IPV6, IPV6_V6ONLY, 1), 0);
    cr_assert_eq(sock_bind(o6, &any6), 0);
    cr_assert_eq(sock_bind(v4, &any4), 0);
    cr_assert_eq(set_int(o6, IPPROTO_IPV6, IPV6_V6ONLY, 0), -EINVAL, "fixed once bound");
    /* A mapped address is IPv4 in all but name: it collides with 0.0.0.0. */
    struct endpoint lo_m = ep_mapped(IP4(127, 0, 0, 1), 9100);
    cr_assert_eq(sock_bind(m6, &lo_m), -EADDRINUSE);
    struct endpoint lo_m2 = ep_mapped(IP4(127, 0, 0, 1), 9101);
    cr_assert_eq(sock_bind(m6, &lo_m2), 0);
    /* IPv4 to port 9100 goes to the AF_INET socket, never the V6ONLY one. */
    struct sock *c = udp(st);
    struct endpoint to = ep(IP4(127, 0, 0, 1), 9100);
    cr_assert_eq(sock_send(c, "x", 1, 0, &to), 1);
    stack_poll(st, 1);
    char b[4];
    cr_assert_eq(sock_recv(v4, b, sizeof b, 0, NULL, NULL), 1);
    cr_assert_eq(sock_recv(o6, b, sizeof b, 0, NULL, NULL), -EAGAIN);
    /* A V6ONLY socket cannot reach or bind IPv4. */
    struct endpoint mapped_to = ep_mapped(IP4(127, 0, 0, 1), 9101);
    cr_assert_eq(sock_send(o6, "x", 1, 0, &mapped_to), -ENETUNREACH);
    struct sock *o6b;
    cr_assert_eq(sock_create(st, AF_INET6, SOCK_DGRAM, 0, &o6b), 0);
    cr_assert_eq(set_int(o6b, IPPROTO_IPV6, IPV6_V6ONLY, 1), 0);
    cr_assert_eq(sock_bind(o6b, &lo_m2), -EINVAL);
    int v = 0;
    size_t l = sizeof v;
    cr_assert_eq(sock_getsockopt(o6b, IPPROTO_IPV6, IPV6_V6ONLY, &v, &l), 0);
    cr_assert_eq(v, 1);
    /* The mapped-bound socket receives IPv4 sent to its address. */
    struct endpoint to2 = ep(IP4(127, 0, 0, 1), 9101);
    cr_assert_eq(sock_send(c, "y", 1, 0, &to2), 1);
    stack_poll(st, 2);
    struct endpoint from;
    cr_assert_eq(sock_recv(m6, b, sizeof b, 0, &from, NULL), 1);
    cr_assert(ipaddr_is_v4mapped(&from.addr));
    sock_close(o6), sock_close(m6), sock_close(v4), sock_close(c), sock_close(o6b);
    stack_destroy(st);
}

/* RFC 1122 3.2.1.3: a datagram never leaves with a broadcast or multicast
 * source, even from a socket bound to such an address to receive (Linux:
 * EINVAL). */
Test(udp, never_sent_from_a_broadcast_or_multicast_source)
{
    struct capture cap = {0};
    struct stack *st = stack_create(1, 0);
    static const uint8_t mac[6] = {2, 0, 0, 0, 0, 9};
    int ifx = stack_add_netif(st, "e", mac, 1500, capture_tx, &cap);
    stack_add_ip4(st, ifx, B, 24);
    static const uint8_t peer_mac[6] = {2, 0, 0, 0, 0, 1};
    cr_assert_eq(arp_add_static(st, ifx, A, peer_mac), 0);
    capture_clear(&cap);
    const uint32_t group_src[] = {IP4(198, 18, 0, 255), IP4(224, 0, 0, 9)};
    for (int i = 0; i < 2; i++) {
        struct sock *s = udp(st);
        int one = 1;
        cr_assert_eq(sock_setsockopt(s, SOL_SOCKET, SO_BROADCAST, &one, sizeof one), 0);
        struct endpoint at = ep(group_src[i], 7000);
        cr_assert_eq(sock_bind(s, &at), 0, "binding to receive is allowed");
        struct endpoint to = ep(A, 9);
        cr_assert_eq(sock_connect(s, &to), 0);
        cr_assert_eq(sock_send(s, "x", 1, 0, NULL), -EINVAL, "source %d", i);
        sock_close(s);
    }
    cr_assert_eq(cap.count, 0, "nothing went out");
    stack_destroy(st);
    capture_clear(&cap);
}
