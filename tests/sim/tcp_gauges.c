/* The TCP gauges (stack/counters.h): each one goes up while its state
 * exists and back to zero when it goes, over every way a connection ends:
 * client closes first (TIME_WAIT on the client), server closes first
 * (TIME_WAIT on the server), unread data (RST), SO_LINGER 0 (RST), a port
 * nobody listens on (refused), a listener closed with connections still in
 * its SYN queue and accept queue. */
#include <criterion/criterion.h>
#include <errno.h>
#include <sys/socket.h>

#include "stack/wire/eth.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/tcp.h"
#include "tests/sim/tcp_simnet.h"

#define G(n, i) ((n)->st[i]->gauges)

static void expect_zero(struct simnet *n, int i)
{
    const struct tapir_gauges *g = &G(n, i);
#define ZERO(name, desc) cr_assert_eq(g->name, 0, "stack %c: %s = %lu (%s)", 'A' + i, #name, \
                                      (unsigned long)g->name, desc);
    TAPIR_GAUGES(ZERO)
#undef ZERO
}

static struct sock *listener(struct simnet *n, int port, int backlog)
{
    struct sock *l;
    cr_assert_eq(sock_create(n->st[1], TP_AF_INET, SOCK_STREAM, 0, &l), 0);
    struct endpoint ep = simnet_ep(1, (uint16_t)port);
    cr_assert_eq(sock_bind(l, &ep), 0);
    cr_assert_eq(sock_listen(l, backlog), 0);
    return l;
}

static struct sock *connect_to(struct simnet *n, int port)
{
    struct sock *c;
    cr_assert_eq(sock_create(n->st[0], TP_AF_INET, SOCK_STREAM, 0, &c), 0);
    struct endpoint dst = simnet_ep(1, (uint16_t)port);
    cr_assert_eq(sock_connect(c, &dst), -EINPROGRESS);
    return c;
}

/* A SYN to B:port from 198.18.0.9, a host that is not there: B's SYN-ACK
 * waits for an ARP answer that never comes, so the child stays in
 * SYN_RECEIVED, in the listener's SYN queue. */
static void syn_from_nowhere(struct simnet *n, int port)
{
    uint8_t frame[ETH_HDR_LEN + 20 + 20] = {0};
    struct eth_hdr eh = {.type = ETHERTYPE_IPV4, .dst = {0x02, 0, 0, 0, 0, 2}, .src = {0x02, 0, 0, 0, 0, 9}};
    eth_emit(&eh, frame);
    struct ipv4_hdr ih = {.hdr_len = 20, .total_len = 40, .ttl = 64, .proto = 6,
                          .src = IP4(198, 18, 0, 9), .dst = IP4(198, 18, 0, 2)};
    ipv4_emit(&ih, frame + ETH_HDR_LEN);
    struct tcp_hdr th = {.sport = 40000, .dport = (uint16_t)port, .seq = 12345, .flags = TCP_SYN, .win = 65535};
    uint8_t *seg = frame + ETH_HDR_LEN + 20;
    tcp_hdr_write(seg, &th);
    struct ipaddr src = {.family = TP_AF_INET, .v4 = ih.src}, dst = {.family = TP_AF_INET, .v4 = ih.dst};
    tcp_set_checksum(&src, &dst, seg, 20);
    stack_input(n->st[1], n->ifx[1], frame, sizeof frame, n->now);
}

static void set_linger0(struct sock *s)
{
    struct linger l = {.l_onoff = 1, .l_linger = 0};
    cr_assert_eq(sock_setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof l), 0);
}

Test(tcp_gauges, up_and_back_to_zero_every_way_a_connection_ends)
{
    struct simnet n;
    struct tapir_memlink_opts o = {.seed = 21, .delay_us = 2000};
    simnet_init(&n, &o);
    /* Shorter TIME_WAIT, so the test needs less virtual time. */
    n.st[0]->cfg.tcp.timewait_ms = n.st[1]->cfg.tcp.timewait_ms = 2000;
    expect_zero(&n, 0);
    expect_zero(&n, 1);

    struct sock *l = listener(&n, 80, 16);
    cr_assert_eq(G(&n, 1).tcp_listeners, 1);
    cr_assert_eq(G(&n, 1).tcp_port_binds, 1);
    cr_assert_eq(G(&n, 1).tcp_cbs, 1);

    enum { CLIENT_FIRST, SERVER_FIRST, UNREAD_RST, LINGER0_CLIENT, LINGER0_SERVER, WAYS };
    for (int way = 0; way < WAYS; way++) {
        struct sock *c = connect_to(&n, 80);
        cr_assert_eq(G(&n, 0).tcp_conns, 1);
        cr_assert_eq(G(&n, 0).tcp_port_binds, 1, "connect() holds an ephemeral port");
        simnet_run_until(&n, n.now + 100000);
        cr_assert(sock_poll(c) & SOCK_POLLOUT, "way %d: connected", way);
        cr_assert_eq(G(&n, 1).tcp_acceptq, 1, "established, not accepted yet");
        cr_assert_eq(G(&n, 1).tcp_synq, 0);
        struct sock *a = NULL;
        struct endpoint peer;
        cr_assert_eq(sock_accept(l, &a, &peer), 0);
        cr_assert_eq(G(&n, 1).tcp_acceptq, 0);
        cr_assert_eq(G(&n, 1).tcp_conns, 1);
        cr_assert_eq(G(&n, 1).tcp_cbs, 2);
        cr_assert_eq(sock_send(c, "ping", 4, 0, NULL), 4);
        simnet_run_until(&n, n.now + 100000);
        char buf[8];
        switch (way) {
        case CLIENT_FIRST:
        case SERVER_FIRST: {
            /* A graceful close; whoever closes first goes through TIME_WAIT. */
            int first = way == CLIENT_FIRST ? 0 : 1;
            struct sock *ends[2] = {c, a};
            cr_assert_eq(sock_recv(a, buf, sizeof buf, 0, NULL, NULL), 4);
            sock_close(ends[first]);
            simnet_run_until(&n, n.now + 100000);
            sock_close(ends[1 - first]);
            simnet_run_until(&n, n.now + 100000);
            cr_assert_eq(G(&n, first).tcp_timewait, 1, "the closer waits");
            cr_assert_eq(G(&n, 1 - first).tcp_timewait, 0);
            break;
        }
        case UNREAD_RST:
            sock_close(a); /* "ping" unread: RST */
            simnet_run_until(&n, n.now + 100000);
            cr_assert_eq(sock_recv(c, buf, sizeof buf, 0, NULL, NULL), -ECONNRESET);
            cr_assert_eq(G(&n, 0).tcp_conns, 0, "a reset connection leaves the table");
            sock_close(c);
            break;
        case LINGER0_CLIENT:
            set_linger0(c);
            sock_close(c);
            simnet_run_until(&n, n.now + 100000);
            cr_assert_eq(sock_recv(a, buf, sizeof buf, 0, NULL, NULL), 4, "data before the RST");
            cr_assert_eq(sock_recv(a, buf, sizeof buf, 0, NULL, NULL), -ECONNRESET);
            sock_close(a);
            break;
        case LINGER0_SERVER:
            cr_assert_eq(sock_recv(a, buf, sizeof buf, 0, NULL, NULL), 4);
            set_linger0(a);
            sock_close(a);
            simnet_run_until(&n, n.now + 100000);
            cr_assert_eq(sock_send(c, "x", 1, 0, NULL), -ECONNRESET, "the next send reports the RST");
            sock_close(c);
            break;
        }
        cr_assert_eq(G(&n, 1).tcp_listeners, 1, "way %d: the listener stays", way);
        /* TIME_WAIT ends after timewait_ms; then only the listener is left. */
        simnet_run_until(&n, n.now + 2500000);
        expect_zero(&n, 0);
        cr_assert_eq(G(&n, 1).tcp_cbs, 1, "way %d: only the listener is left", way);
        cr_assert_eq(G(&n, 1).tcp_conns, 0, "way %d", way);
        cr_assert_eq(G(&n, 1).tcp_timewait, 0, "way %d", way);
        cr_assert_eq(G(&n, 1).tcp_port_binds, 1, "way %d", way);
    }

    /* Refused: no listener on 81. */
    struct sock *c = connect_to(&n, 81);
    simnet_run_until(&n, n.now + 100000);
    cr_assert(sock_poll(c) & SOCK_POLLERR);
    cr_assert_eq(G(&n, 0).tcp_conns, 0, "a refused connection leaves the table");
    sock_close(c);
    expect_zero(&n, 0);

    /* A listener closed with one connection in its accept queue and one in
     * its SYN queue. */
    struct sock *c1 = connect_to(&n, 80);
    simnet_run_until(&n, n.now + 100000);
    cr_assert_eq(G(&n, 1).tcp_acceptq, 1);
    syn_from_nowhere(&n, 80);
    simnet_run_until(&n, n.now + 5000);
    cr_assert_eq(G(&n, 1).tcp_synq, 1, "synq %lu", (unsigned long)G(&n, 1).tcp_synq);
    cr_assert_eq(G(&n, 1).tcp_acceptq, 1);
    cr_assert_eq(G(&n, 1).tcp_conns, 2);
    sock_close(l);
    simnet_run_until(&n, n.now + 100000);
    expect_zero(&n, 1);
    char b;
    cr_assert_eq(sock_recv(c1, &b, 1, 0, NULL, NULL), -ECONNRESET, "the unaccepted child was reset");
    sock_close(c1);
    simnet_run_until(&n, n.now + 3000000);
    expect_zero(&n, 0);
    simnet_fini(&n);
}

/* The TIME_WAIT cap (tcp_max_tw_buckets) skips the wait and the gauge
 * never passes it by more than the one connection being closed. */
Test(tcp_gauges, timewait_gauge_respects_the_cap)
{
    struct simnet n;
    struct tapir_memlink_opts o = {.seed = 22, .delay_us = 1000};
    simnet_init(&n, &o);
    n.st[0]->cfg.tcp.max_tw = 3;
    struct sock *l = listener(&n, 80, 16);
    for (int i = 0; i < 6; i++) {
        struct sock *c = connect_to(&n, 80);
        simnet_run_until(&n, n.now + 50000);
        struct sock *a = NULL;
        struct endpoint peer;
        cr_assert_eq(sock_accept(l, &a, &peer), 0);
        sock_close(c);
        simnet_run_until(&n, n.now + 50000);
        sock_close(a);
        simnet_run_until(&n, n.now + 50000);
        cr_assert_leq(G(&n, 0).tcp_timewait, 4, "%lu in TIME_WAIT", (unsigned long)G(&n, 0).tcp_timewait);
    }
    cr_assert_geq(G(&n, 0).tcp_timewait, 3);
    simnet_run_until(&n, n.now + 61000000);
    expect_zero(&n, 0);
    sock_close(l);
    expect_zero(&n, 1);
    simnet_fini(&n);
}
