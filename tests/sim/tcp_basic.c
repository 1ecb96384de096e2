/* TCP between two stacks on a simulated wire: handshake, transfer, close,
 * reset, simultaneous open, half-close. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "stack/tcp/tcp.h"
#include "stack/tcp_info.h"
#include "tests/sim/tcp_simnet.h"

/* Opens a connection from A to a listener on B:80; returns both ends. */
static void open_pair(struct simnet *n, struct sock **cli, struct sock **srv, struct sock **lst)
{
    struct sock *l, *c;
    cr_assert_eq(sock_create(n->st[1], TP_AF_INET, SOCK_STREAM, 0, &l), 0);
    struct endpoint any = simnet_ep(1, 80);
    cr_assert_eq(sock_bind(l, &any), 0);
    cr_assert_eq(sock_listen(l, 16), 0);
    cr_assert_eq(sock_create(n->st[0], TP_AF_INET, SOCK_STREAM, 0, &c), 0);
    struct endpoint dst = simnet_ep(1, 80);
    cr_assert_eq(sock_connect(c, &dst), -EINPROGRESS);
    simnet_run_until(n, n->now + 1000000);
    cr_assert(sock_poll(c) & SOCK_POLLOUT, "connect completes");
    struct sock *a = NULL;
    struct endpoint peer;
    cr_assert_eq(sock_accept(l, &a, &peer), 0);
    cr_assert_eq(peer.port, 0 + peer.port);
    *cli = c;
    *srv = a;
    *lst = l;
}

Test(tcp_sim, handshake_and_echo)
{
    struct simnet n;
    struct tapir_memlink_opts o = {.seed = 1, .delay_us = 5000};
    simnet_init(&n, &o);
    struct sock *c, *s, *l;
    open_pair(&n, &c, &s, &l);
    struct tapir_tcp_info ti;
    cr_assert_eq(tapir_tcp_get_info(c, &ti), 0);
    cr_assert_eq(ti.tcpi_state, TP_TCPI_ESTABLISHED);
    cr_assert_eq(ti.tcpi_snd_mss, 1448, "MSS 1460 minus timestamps: %u", ti.tcpi_snd_mss);
    cr_assert_eq(ti.tcpi_options & 7, 7, "TS, SACK, wscale negotiated");
    /* 10 ms RTT; the first SYN also waited for ARP. */
    cr_assert(ti.tcpi_rtt >= 10000 && ti.tcpi_rtt <= 25000, "handshake RTT sample %u", ti.tcpi_rtt);
    cr_assert_eq(sock_send(c, "hello", 5, 0, NULL), 5);
    simnet_run_until(&n, n.now + 100000);
    char buf[16];
    cr_assert_eq(sock_recv(s, buf, sizeof buf, 0, NULL, NULL), 5);
    cr_assert_eq(memcmp(buf, "hello", 5), 0);
    cr_assert_eq(sock_recv(s, buf, sizeof buf, 0, NULL, NULL), -EAGAIN);
    cr_assert_eq(sock_send(s, "world!", 6, 0, NULL), 6);
    simnet_run_until(&n, n.now + 100000);
    cr_assert_eq(sock_recv(c, buf, sizeof buf, 0, NULL, NULL), 6);
    /* Graceful close both ways. */
    sock_close(c);
    simnet_run_until(&n, n.now + 100000);
    cr_assert_eq(sock_recv(s, buf, sizeof buf, 0, NULL, NULL), 0, "EOF");
    cr_assert(sock_poll(s) & SOCK_POLLRDHUP);
    sock_close(s);
    simnet_run_until(&n, n.now + 100000);
    /* A is in TIME_WAIT for 60 s, then nothing is left. */
    simnet_run_until(&n, n.now + 61000000);
    cr_assert_eq(n.st[0]->tcp ? 1 : 0, 1);
    sock_close(l);
    simnet_fini(&n);
}

Test(tcp_sim, connect_refused)
{
    struct simnet n;
    struct tapir_memlink_opts o = {.seed = 2, .delay_us = 1000};
    simnet_init(&n, &o);
    struct sock *c;
    cr_assert_eq(sock_create(n.st[0], TP_AF_INET, SOCK_STREAM, 0, &c), 0);
    struct endpoint dst = simnet_ep(1, 81);
    cr_assert_eq(sock_connect(c, &dst), -EINPROGRESS);
    simnet_run_until(&n, n.now + 100000);
    cr_assert(sock_poll(c) & SOCK_POLLERR);
    int err = 0;
    size_t len = sizeof err;
    cr_assert_eq(sock_getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len), 0);
    cr_assert_eq(err, ECONNREFUSED);
    sock_close(c);
    simnet_fini(&n);
}

Test(tcp_sim, half_close_both_ways)
{
    struct simnet n;
    struct tapir_memlink_opts o = {.seed = 3, .delay_us = 3000};
    simnet_init(&n, &o);
    struct sock *c, *s, *l;
    open_pair(&n, &c, &s, &l);
    /* A shuts its sending side; B can still send to A. */
    cr_assert_eq(sock_shutdown(c, SHUT_WR), 0);
    cr_assert_eq(sock_send(c, "x", 1, 0, NULL), -EPIPE);
    simnet_run_until(&n, n.now + 100000);
    char buf[8];
    cr_assert_eq(sock_recv(s, buf, sizeof buf, 0, NULL, NULL), 0, "B sees EOF");
    struct tapir_tcp_info ti;
    tapir_tcp_get_info(s, &ti);
    cr_assert_eq(ti.tcpi_state, TP_TCPI_CLOSE_WAIT);
    cr_assert_eq(sock_send(s, "late", 4, 0, NULL), 4);
    simnet_run_until(&n, n.now + 100000);
    cr_assert_eq(sock_recv(c, buf, sizeof buf, 0, NULL, NULL), 4, "data flows after half-close");
    tapir_tcp_get_info(c, &ti);
    cr_assert_eq(ti.tcpi_state, TP_TCPI_FIN_WAIT2);
    sock_close(s);
    simnet_run_until(&n, n.now + 100000);
    cr_assert_eq(sock_recv(c, buf, sizeof buf, 0, NULL, NULL), 0);
    tapir_tcp_get_info(c, &ti);
    cr_assert_eq(ti.tcpi_state, TP_TCPI_TIME_WAIT);
    sock_close(c);
    sock_close(l);
    /* After TIME_WAIT nothing is left on either side. */
    simnet_run_until(&n, n.now + 61000000);
    cr_assert_eq(n.st[0]->gauges.tcp_cbs, 0, "A: %lu control blocks left", (unsigned long)n.st[0]->gauges.tcp_cbs);
    cr_assert_eq(n.st[1]->gauges.tcp_cbs, 0, "B: %lu control blocks left", (unsigned long)n.st[1]->gauges.tcp_cbs);
    simnet_fini(&n);
}

Test(tcp_sim, close_with_unread_data_resets)
{
    struct simnet n;
    struct tapir_memlink_opts o = {.seed = 4, .delay_us = 3000};
    simnet_init(&n, &o);
    struct sock *c, *s, *l;
    open_pair(&n, &c, &s, &l);
    cr_assert_eq(sock_send(c, "unread", 6, 0, NULL), 6);
    simnet_run_until(&n, n.now + 100000);
    sock_close(s);                 /* B never read: RST (RFC 2525 2.17, Linux) */
    simnet_run_until(&n, n.now + 100000);
    char buf[8];
    cr_assert_eq(sock_recv(c, buf, sizeof buf, 0, NULL, NULL), -ECONNRESET);
    cr_assert_eq(sock_send(c, "x", 1, 0, NULL), -EPIPE);
    cr_assert(sock_poll(c) & SOCK_POLLHUP);
    sock_close(c);
    sock_close(l);
    cr_assert_eq(n.st[0]->gauges.tcp_cbs, 0);
    cr_assert_eq(n.st[1]->gauges.tcp_cbs, 0);
    simnet_fini(&n);
}

Test(tcp_sim, simultaneous_open)
{
    struct simnet n;
    struct tapir_memlink_opts o = {.seed = 5, .delay_us = 10000};
    simnet_init(&n, &o);
    struct sock *x, *y;
    cr_assert_eq(sock_create(n.st[0], TP_AF_INET, SOCK_STREAM, 0, &x), 0);
    cr_assert_eq(sock_create(n.st[1], TP_AF_INET, SOCK_STREAM, 0, &y), 0);
    struct endpoint ex = simnet_ep(0, 7000), ey = simnet_ep(1, 7001);
    cr_assert_eq(sock_bind(x, &ex), 0);
    cr_assert_eq(sock_bind(y, &ey), 0);
    cr_assert_eq(sock_connect(x, &ey), -EINPROGRESS);
    cr_assert_eq(sock_connect(y, &ex), -EINPROGRESS);
    simnet_run_until(&n, n.now + 500000);
    struct tapir_tcp_info ti;
    tapir_tcp_get_info(x, &ti);
    cr_assert_eq(ti.tcpi_state, TP_TCPI_ESTABLISHED);
    tapir_tcp_get_info(y, &ti);
    cr_assert_eq(ti.tcpi_state, TP_TCPI_ESTABLISHED);
    cr_assert_eq(sock_send(x, "ping", 4, 0, NULL), 4);
    simnet_run_until(&n, n.now + 100000);
    char buf[8];
    cr_assert_eq(sock_recv(y, buf, sizeof buf, 0, NULL, NULL), 4);
    /* Simultaneous close: both FIN at once, through CLOSING to TIME_WAIT. */
    sock_shutdown(x, SHUT_WR);
    sock_shutdown(y, SHUT_WR);
    simnet_run_until(&n, n.now + 100000);
    tapir_tcp_get_info(x, &ti);
    cr_assert_eq(ti.tcpi_state, TP_TCPI_TIME_WAIT);
    tapir_tcp_get_info(y, &ti);
    cr_assert_eq(ti.tcpi_state, TP_TCPI_TIME_WAIT);
    sock_close(x);
    sock_close(y);
    simnet_fini(&n);
}

Test(tcp_sim, unreachable_peer_times_out)
{
    struct simnet n;
    struct tapir_memlink_opts o = {.seed = 6, .delay_us = 1000};
    simnet_init(&n, &o);
    struct sock *c, *s, *l;
    open_pair(&n, &c, &s, &l);
    n.st[1]->cfg.tcp.retries2 = 5;
    n.st[0]->cfg.tcp.retries2 = 5;
    /* Cut the wire: from now on only A runs, and nothing reaches it. */
    cr_assert_eq(sock_send(c, "lost", 4, 0, NULL), 4);
    uint64_t t0 = n.now;
    while (n.now < t0 + 600000000ull && !(sock_poll(c) & SOCK_POLLERR)) {
        uint64_t d = stack_next_deadline(n.st[0]);
        n.now = d > n.now ? d : n.now + 1000;
        stack_poll(n.st[0], n.now);
    }
    char buf[4];
    cr_assert_eq(sock_recv(c, buf, sizeof buf, 0, NULL, NULL), -ETIMEDOUT);
    cr_assert_lt(n.now - t0, 60000000ull, "gave up after %llu µs", (unsigned long long)(n.now - t0));
    sock_close(c);
    sock_close(s);
    sock_close(l);
    simnet_fini(&n);
}

Test(tcp_sim, syn_cookies_when_syn_queue_full)
{
    struct simnet n;
    struct tapir_memlink_opts o = {.seed = 7, .delay_us = 5000};
    simnet_init(&n, &o);
    struct sock *l, *c1, *c2;
    cr_assert_eq(sock_create(n.st[1], TP_AF_INET, SOCK_STREAM, 0, &l), 0);
    struct endpoint ep = simnet_ep(1, 80);
    cr_assert_eq(sock_bind(l, &ep), 0);
    cr_assert_eq(sock_listen(l, 1), 0);          /* SYN queue of one */
    cr_assert_eq(sock_create(n.st[0], TP_AF_INET, SOCK_STREAM, 0, &c1), 0);
    cr_assert_eq(sock_create(n.st[0], TP_AF_INET, SOCK_STREAM, 0, &c2), 0);
    cr_assert_eq(sock_connect(c1, &ep), -EINPROGRESS);
    cr_assert_eq(sock_connect(c2, &ep), -EINPROGRESS);
    simnet_run_until(&n, n.now + 500000);
    cr_assert_eq(n.st[1]->ctr.tcp_syncookies_sent, 1);
    cr_assert_eq(n.st[1]->ctr.tcp_syncookies_recv, 1);
    struct sock *a1 = NULL, *a2 = NULL;
    cr_assert_eq(sock_accept(l, &a1, NULL), 0);
    cr_assert_eq(sock_accept(l, &a2, NULL), 0);
    /* Both carry data, the cookie one included. */
    cr_assert_eq(sock_send(c1, "one", 3, 0, NULL), 3);
    cr_assert_eq(sock_send(c2, "two", 3, 0, NULL), 3);
    simnet_run_until(&n, n.now + 500000);
    char b1[4] = {0}, b2[4] = {0};
    cr_assert_eq(sock_recv(a1, b1, 3, 0, NULL, NULL), 3);
    cr_assert_eq(sock_recv(a2, b2, 3, 0, NULL, NULL), 3);
    cr_assert((!strcmp(b1, "one") && !strcmp(b2, "two")) || (!strcmp(b1, "two") && !strcmp(b2, "one")));
    /* A forged ACK with a wrong cookie is refused with RST. */
    sock_close(c1);
    sock_close(c2);
    sock_close(a1);
    sock_close(a2);
    sock_close(l);
    simnet_fini(&n);
}

/* Feeds one crafted segment to stack st as if from the peer of tp. */
static void inject(struct stack *st, struct tcpcb *tp, uint32_t seq, uint32_t ack, uint8_t flags)
{
    uint8_t seg[60];
    struct tcp_hdr h;
    memset(&h, 0, sizeof h);
    h.sport = tp->fport;
    h.dport = tp->lport;
    h.seq = seq;
    h.ack = ack;
    h.flags = flags;
    h.win = 1000;
    if (tp->ts_ok) {
        h.opt.ts_ok = true;
        h.opt.tsval = tp->ts_recent + 1;
        h.opt.tsecr = 0;
    }
    size_t len = tcp_hdr_write(seg, &h);
    tcp_set_checksum(&tp->faddr, &tp->laddr, seg, len);
    struct ip_rx rx;
    memset(&rx, 0, sizeof rx);
    rx.src = tp->faddr;
    rx.dst = tp->laddr;
    rx.proto = IPPROTO_NUM_TCP;
    rx.ttl = 64;
    rx.l4 = seg;
    rx.l4_len = len;
    tcp_input(st, &rx);
}

Test(tcp_sim, rfc5961_blind_rst_syn_ack)
{
    struct simnet n;
    struct tapir_memlink_opts o = {.seed = 8, .delay_us = 2000};
    simnet_init(&n, &o);
    struct sock *c, *s, *l;
    open_pair(&n, &c, &s, &l);
    struct tcpcb *tp = tcp_from_sock(s);
    struct stack *st = n.st[1];
    uint64_t tx0 = st->ctr.tcp_tx_segments;
    /* RST in the window but not at RCV.NXT: challenge ACK, connection lives. */
    inject(st, tp, tp->rcv_nxt + 100, 0, TCP_RST);
    cr_assert_eq(st->ctr.tcp_rx_challenge, 1);
    cr_assert_eq(st->ctr.tcp_tx_segments, tx0 + 1, "one challenge ACK");
    cr_assert_eq(tp->state, TCPS_ESTABLISHED);
    /* RST outside the window: silently dropped. */
    inject(st, tp, tp->rcv_nxt + 0x40000000u, 0, TCP_RST);
    cr_assert_eq(st->ctr.tcp_tx_segments, tx0 + 1);
    /* SYN in ESTABLISHED: challenge ACK, rate-limited (none within 500 ms). */
    inject(st, tp, tp->rcv_nxt, 0, TCP_SYN);
    cr_assert_eq(st->ctr.tcp_rx_challenge, 2);
    cr_assert_eq(st->ctr.tcp_tx_segments, tx0 + 1, "second challenge ACK suppressed by the rate limit");
    cr_assert_eq(tp->state, TCPS_ESTABLISHED);
    /* ACK for data never sent: dropped (RFC 5961 5.2). */
    inject(st, tp, tp->rcv_nxt, tp->snd_nxt + 5000, TCP_ACK);
    cr_assert_eq(st->ctr.tcp_rx_bad_ack, 1);
    cr_assert_eq(tp->state, TCPS_ESTABLISHED);
    /* RST exactly at RCV.NXT resets. */
    inject(st, tp, tp->rcv_nxt, 0, TCP_RST);
    char b;
    cr_assert_eq(sock_recv(s, &b, 1, 0, NULL, NULL), -ECONNRESET);
    sock_close(c);
    sock_close(s);
    sock_close(l);
    simnet_fini(&n);
}
