/* Bulk transfer both ways at once over an impaired wire (loss, reordering,
 * duplication), data compared by hash.  64 MB each way by default; the
 * environment variable TAPIR_SIM_MB changes it, and sanitizer builds use
 * 8 MB (ASan makes every byte copy several times slower). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "stack/tcp_info.h"
#include "stack/tcp/tcp.h"
#include "tests/sim/tcp_simnet.h"

#if defined(__SANITIZE_ADDRESS__)
#define SIM_DEFAULT_MB 8
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SIM_DEFAULT_MB 8
#endif
#endif
#ifndef SIM_DEFAULT_MB
#define SIM_DEFAULT_MB 64
#endif

static uint64_t sim_bytes(void)
{
    const char *e = getenv("TAPIR_SIM_MB");
    uint64_t mb = e ? strtoull(e, NULL, 10) : SIM_DEFAULT_MB;
    return (mb ? mb : 1) << 20;
}

/* A deterministic byte stream: xorshift64 per 8 bytes. */
struct gen {
    uint64_t x;
    uint8_t buf[8];
    int pos;
};
static void gen_init(struct gen *g, uint64_t seed) { g->x = seed * 0x9E3779B97F4A7C15ull + 1; g->pos = 8; }
static void gen_fill(struct gen *g, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (g->pos == 8) {
            g->x ^= g->x << 13;
            g->x ^= g->x >> 7;
            g->x ^= g->x << 17;
            memcpy(g->buf, &g->x, 8);
            g->pos = 0;
        }
        out[i] = g->buf[g->pos++];
    }
}

static uint64_t fnv(uint64_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

struct end {
    struct sock *s;
    struct gen g;
    uint64_t to_send, sent, received;
    uint64_t h_sent, h_recv;
    uint8_t pending[65536];
    size_t pend_off, pend_len;
    bool shut;
};

static void pump(struct end *e)
{
    for (;;) {
        if (e->pend_off == e->pend_len && e->sent + e->pend_len < e->to_send) {
            uint64_t left = e->to_send - e->sent;
            e->pend_len = left < sizeof e->pending ? (size_t)left : sizeof e->pending;
            e->pend_off = 0;
            gen_fill(&e->g, e->pending, e->pend_len);
            e->h_sent = fnv(e->h_sent, e->pending, e->pend_len);
        }
        if (e->pend_off == e->pend_len)
            break;
        ssize_t k = sock_send(e->s, e->pending + e->pend_off, e->pend_len - e->pend_off, 0, NULL);
        if (k <= 0)
            break;
        e->pend_off += (size_t)k;
        e->sent += (uint64_t)k;
        if (e->pend_off == e->pend_len)
            e->pend_off = e->pend_len = 0;
    }
    if (e->sent == e->to_send && !e->shut) {
        sock_shutdown(e->s, SHUT_WR);
        e->shut = true;
    }
    static uint8_t buf[65536];
    ssize_t k;
    while ((k = sock_recv(e->s, buf, sizeof buf, 0, NULL, NULL)) > 0) {
        e->h_recv = fnv(e->h_recv, buf, (size_t)k);
        e->received += (uint64_t)k;
    }
}

/* TAPIR_SIM_TRACE=1 prints every event of every connection (debugging). */
static void print_event(void *ctx, const struct tcpcb *tp, const struct tcp_event *ev)
{
    static const char *names[] = {"state", "cwnd", "rtt", "rexmit", "recovery", "send", "recv"};
    fprintf(stderr, "%c %10.6f %-8s %u %u %u\n", *(const char *)ctx, (double)ev->time / 1e6,
            names[ev->type], ev->a, ev->b, ev->c);
    (void)tp;
}

/* What a run did, to compare runs. */
struct outcome {
    uint64_t virtual_us;
    uint32_t retrans;
    uint64_t segments[2], trains[2], in_trains[2], wire_sent;
};

/* tso: the wire offers TSO and cuts the super-segments itself (memlink's
 * tso mode), so the impairments hit the pieces of each train. */
static struct outcome bulk_on(double loss, double reorder, double dup, const char *cc, uint64_t seed, bool tso)
{
    struct simnet n;
    struct tapir_memlink_opts o = {.seed = seed, .delay_us = 2000, .jitter_us = reorder > 0 ? 200 : 0,
                                   .loss = loss, .reorder = reorder, .duplicate = dup, .tso = tso};
    simnet_init(&n, &o);
    for (int i = 0; i < 2; i++) {
        snprintf(n.st[i]->cfg.tcp.congestion, sizeof n.st[i]->cfg.tcp.congestion, "%s", cc);
        n.st[i]->cfg.tcp.wmem[1] = 1 << 20;
        n.st[i]->cfg.tcp.rmem[1] = 1 << 20;
    }
    if (getenv("TAPIR_SIM_TRACE")) {
        tapir_tcp_trace_all(n.st[0], print_event, "A");
        tapir_tcp_trace_all(n.st[1], print_event, "B");
    }
    struct sock *l, *c, *a = NULL;
    cr_assert_eq(sock_create(n.st[1], TP_AF_INET, SOCK_STREAM, 0, &l), 0);
    struct endpoint ep = simnet_ep(1, 5001);
    cr_assert_eq(sock_bind(l, &ep), 0);
    cr_assert_eq(sock_listen(l, 4), 0);
    cr_assert_eq(sock_create(n.st[0], TP_AF_INET, SOCK_STREAM, 0, &c), 0);
    cr_assert_eq(sock_connect(c, &ep), -EINPROGRESS);
    uint64_t deadline = n.now + 30000000;
    while (!a && n.now < deadline) {
        simnet_step(&n, n.now + 100000);
        sock_accept(l, &a, NULL);
    }
    cr_assert_not_null(a, "accepted");
    uint64_t total = sim_bytes();
    struct end e[2];
    memset(e, 0, sizeof e);
    e[0].s = c;
    e[1].s = a;
    for (int i = 0; i < 2; i++) {
        gen_init(&e[i].g, seed * 2 + (uint64_t)i);
        e[i].to_send = total;
        e[i].h_sent = e[i].h_recv = 0xcbf29ce484222325ull;
    }
    deadline = n.now + (getenv("TAPIR_SIM_TRACE") ? 5 : 3600) * 1000000ull;
    uint64_t steps = 0;
    while (n.now < deadline) {
        pump(&e[0]);
        pump(&e[1]);
        if (e[0].received == total && e[1].received == total)
            break;
        simnet_step(&n, n.now + 1000000);
        steps++;
    }
    struct tapir_tcp_info ti;
    tapir_tcp_get_info(c, &ti);
    cr_log_info("%s loss %.2f: %.1f s virtual, %llu steps, retrans %u, cwnd %u\n", cc, loss,
                (double)(n.now - 1000000) / 1e6, (unsigned long long)steps, ti.tcpi_total_retrans,
                ti.tcpi_snd_cwnd);
    if (getenv("TAPIR_SIM_TRACE"))
        for (int i = 0; i < 2; i++) {
            struct tapir_counters *k = &n.st[i]->ctr;
            fprintf(stderr, "ethtx %llu tcptx %llu iptx %llu iperr %llu arpunres %llu arppend %llu ", (unsigned long long)k->eth_tx_frames, (unsigned long long)k->tcp_tx_segments, (unsigned long long)k->ip_tx, (unsigned long long)k->ip_tx_errors, (unsigned long long)k->arp_unresolved, (unsigned long long)k->arp_pending_drops); fprintf(stderr, "badack %llu chal %llu mem %llu ", (unsigned long long)k->tcp_rx_bad_ack, (unsigned long long)k->tcp_rx_challenge, (unsigned long long)k->tcp_rx_mem_drops); fprintf(stderr, "%d: rx %llu paws %llu oow %llu bad %llu csum %llu ooo %llu oood %llu ip_rx %llu eth_rx %llu\n", i,
                    (unsigned long long)k->tcp_rx_segments, (unsigned long long)k->tcp_rx_paws,
                    (unsigned long long)k->tcp_rx_out_of_window, (unsigned long long)k->tcp_rx_bad,
                    (unsigned long long)k->tcp_rx_bad_csum, (unsigned long long)k->tcp_rx_ooo,
                    (unsigned long long)k->tcp_rx_ooo_drops, (unsigned long long)k->ip_rx,
                    (unsigned long long)k->eth_rx_frames);
        }
    if (getenv("TAPIR_SIM_TRACE"))
        for (int i = 0; i < 2; i++) {
            struct tcpcb *t = tcp_from_sock(e[i].s);
            fprintf(stderr, "%d: state %s rcv_nxt %u adv %u rcvlen %u nooo %d [%u,%u) snd_una %u nxt %u wnd %u sndlen %u\n", i,
                    tcp_state_name(t->state), t->rcv_nxt, t->rcv_adv, t->rcvbuf.len, t->n_ooo, t->n_ooo ? t->ooo[0].start : 0, t->n_ooo ? t->ooo[0].end : 0,
                    t->snd_una, t->snd_nxt, t->snd_wnd, t->sndbuf.len);
        }
    cr_assert_eq(e[0].received, total, "B->A bytes %llu of %llu", (unsigned long long)e[0].received,
                 (unsigned long long)total);
    cr_assert_eq(e[1].received, total, "A->B bytes %llu", (unsigned long long)e[1].received);
    cr_assert_eq(e[0].h_recv, e[1].h_sent, "B->A data intact");
    cr_assert_eq(e[1].h_recv, e[0].h_sent, "A->B data intact");
    /* With TSO on, both senders used trains and the wire cut them; without
     * it, no train ever formed (the wire offers nothing). */
    struct tapir_memlink_stats ws;
    tapir_memlink_stats(n.wire, &ws);
    for (int i = 0; i < 2; i++) {
        const struct tapir_counters *k = &n.st[i]->ctr;
        cr_log_info("side %d: %llu TSO trains, %llu segments in them, %llu segments in all, %llu refused\n", i,
                    (unsigned long long)k->tcp_tx_tso_trains, (unsigned long long)k->tcp_tx_tso_segments,
                    (unsigned long long)k->tcp_tx_segments, (unsigned long long)k->tcp_tx_tso_refused);
        if (tso) {
            cr_assert_gt(k->tcp_tx_tso_trains, 0, "side %d sent TSO trains", i);
            cr_assert_gt(k->tcp_tx_tso_segments, 2 * k->tcp_tx_tso_trains, "side %d: trains of several segments", i);
        } else {
            cr_assert_eq(k->tcp_tx_tso_trains, 0);
        }
    }
    if (tso)
        cr_assert_eq(ws.tso_frames, n.st[0]->ctr.tcp_tx_tso_trains + n.st[1]->ctr.tcp_tx_tso_trains,
                     "the wire cut every train");
    else
        cr_assert_eq(ws.tso_frames, 0);
    struct outcome out = {.virtual_us = n.now, .retrans = ti.tcpi_total_retrans, .wire_sent = ws.sent};
    for (int i = 0; i < 2; i++) {
        out.segments[i] = n.st[i]->ctr.tcp_tx_segments;
        out.trains[i] = n.st[i]->ctr.tcp_tx_tso_trains;
        out.in_trains[i] = n.st[i]->ctr.tcp_tx_tso_segments;
    }
    /* Both saw EOF after the data. */
    char b;
    cr_assert_eq(sock_recv(c, &b, 1, 0, NULL, NULL), 0);
    cr_assert_eq(sock_recv(a, &b, 1, 0, NULL, NULL), 0);
    sock_close(c);
    sock_close(a);
    sock_close(l);
    simnet_run_until(&n, n.now + 5000000);
    simnet_fini(&n);
    return out;
}

static void bulk(double loss, double reorder, double dup, const char *cc, uint64_t seed)
{
    bulk_on(loss, reorder, dup, cc, seed, false);
}

Test(tcp_bulk, cubic_clean, .timeout = 300) { bulk(0, 0, 0, "cubic", 1); }
Test(tcp_bulk, newreno_clean, .timeout = 300) { bulk(0, 0, 0, "newreno", 2); }
Test(tcp_bulk, cubic_loss1, .timeout = 300) { bulk(0.01, 0.01, 0.01, "cubic", 3); }
Test(tcp_bulk, newreno_loss1, .timeout = 300) { bulk(0.01, 0.01, 0.01, "newreno", 4); }
Test(tcp_bulk, cubic_loss5, .timeout = 300) { bulk(0.05, 0.02, 0.02, "cubic", 5); }
Test(tcp_bulk, newreno_loss5, .timeout = 300) { bulk(0.05, 0.02, 0.02, "newreno", 6); }
/* TSO on the wire (memlink's tso mode): the same transfers, sent in trains.
 * A train only gathers segments tcp_xmit() built as it always did, and the
 * wire cuts it back into exactly those frames (same sizes, same order, same
 * instant), so with the same seed every loss, duplicate and reordering draw
 * falls on the same frame: the whole run must be the one without TSO, to the
 * segment, only with fewer device writes. */
static void bulk_tso(double loss, double reorder, double dup, const char *cc, uint64_t seed, double min_share)
{
    struct outcome plain = bulk_on(loss, reorder, dup, cc, seed, false);
    struct outcome tso = bulk_on(loss, reorder, dup, cc, seed, true);
    cr_assert_eq(tso.virtual_us, plain.virtual_us, "the same run in virtual time");
    cr_assert_eq(tso.retrans, plain.retrans, "the same retransmissions");
    cr_assert_eq(tso.wire_sent, plain.wire_sent, "the same frames on the wire");
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(tso.segments[i], plain.segments[i], "side %d: the same segments", i);
        cr_assert_geq((double)tso.in_trains[i], min_share * (double)tso.segments[i],
                      "side %d: %llu of %llu segments in trains", i, (unsigned long long)tso.in_trains[i],
                      (unsigned long long)tso.segments[i]);
    }
}

Test(tcp_bulk, cubic_tso_clean, .timeout = 300) { bulk_tso(0, 0, 0, "cubic", 7, 0.5); }
Test(tcp_bulk, cubic_tso_loss5, .timeout = 300) { bulk_tso(0.05, 0.02, 0.02, "cubic", 8, 0.01); }
Test(tcp_bulk, newreno_tso_loss1, .timeout = 300) { bulk_tso(0.01, 0.01, 0.01, "newreno", 9, 0.0); }
