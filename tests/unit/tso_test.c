/* TSO: software segmentation (drivers/gso.c) and TCP's trains
 * (stack/tcp/tcp_output.c, "TSO trains").
 *
 * The TCP tests run two stacks on a small wire whose side A offers TSO and
 * checksum offload; what A sends is recorded with its offload metadata, then
 * cut by tapir_gso_segment (as the kernel behind the TAP would) and fed to B. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/gso.h"
#include "stack/arp.h"
#include "stack/ip4.h"
#include "stack/ip6.h"
#include "stack/checksum.h"
#include "stack/pkt.h"
#include "stack/socket.h"
#include "stack/stack.h"
#include "stack/tcp/tcp.h"
#include "stack/tcp_info.h"
#include "stack/wire/wire.h"

/* ---- software GSO on hand-built frames ---- */

struct pieces {
    int n;
    uint8_t *f[64];
    size_t len[64];
};

static int keep_piece(void *ctx, const uint8_t *frame, size_t len)
{
    struct pieces *p = ctx;
    cr_assert_lt(p->n, 64);
    p->f[p->n] = malloc(len);
    memcpy(p->f[p->n], frame, len);
    p->len[p->n++] = len;
    return 0;
}

static void pieces_free(struct pieces *p)
{
    for (int i = 0; i < p->n; i++)
        free(p->f[i]);
    p->n = 0;
}

/* An Ethernet frame with an IPv4 or IPv6 header and a TCP header with a
 * timestamp option (32 bytes), payload bytes i & 0xff, the TCP checksum
 * partial as TCP leaves it for a device. */
static size_t super_frame(uint8_t *b, bool v4, size_t payload, uint8_t flags, struct pkt *meta)
{
    memset(b, 0, 14);
    put16(b + 12, v4 ? 0x0800 : 0x86dd);
    size_t l3 = 14, iphl = v4 ? 20 : 40, l4 = l3 + iphl, thl = 32;
    uint8_t *ip = b + l3;
    memset(ip, 0, iphl);
    struct ipaddr src, dst;
    if (v4) {
        ip[0] = 0x45;
        put16(ip + 2, (uint16_t)(iphl + thl + payload));
        put16(ip + 4, 0x1234);
        ip[8] = 64;
        ip[9] = 6;
        put32(ip + 12, 0xc6120001);
        put32(ip + 16, 0xc6120002);
        put16(ip + 10, csum_finish(csum_add(0, ip, 20)));
        src = ip4(0xc6120001);
        dst = ip4(0xc6120002);
    } else {
        ip[0] = 0x60;
        put16(ip + 4, (uint16_t)(thl + payload));
        ip[6] = 6;
        ip[7] = 64;
        static const uint8_t a[16] = {0xfd, 0, 0x01, 0x98, 0, 0x18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
        memcpy(ip + 8, a, 16);
        memcpy(ip + 24, a, 16);
        ip[39] = 2;
        src.family = dst.family = TP_AF_INET6;
        memcpy(src.v6, ip + 8, 16);
        memcpy(dst.v6, ip + 24, 16);
    }
    uint8_t *th = b + l4;
    memset(th, 0, thl);
    put16(th, 40000);
    put16(th + 2, 80);
    put32(th + 4, 0xfffff000u);   /* wraps inside the train */
    put32(th + 8, 777);
    th[12] = (uint8_t)((thl / 4) << 4);
    th[13] = flags;
    put16(th + 14, 500);
    th[20] = 1;
    th[21] = 1;
    th[22] = 8;
    th[23] = 10;
    put32(th + 24, 1111);
    put32(th + 28, 2222);
    for (size_t i = 0; i < payload; i++)
        th[thl + i] = (uint8_t)i;
    size_t tl = thl + payload;
    put16(th + 16, (uint16_t)~csum_finish(csum_pseudo(&src, &dst, 6, (uint32_t)tl)));
    memset(meta, 0, sizeof *meta);
    meta->l3_offset = (uint16_t)l3;
    meta->csum_start = (uint16_t)l4;
    meta->csum_offset = 16;
    return l4 + tl;
}

static void check_pieces(bool v4)
{
    static uint8_t b[70000];
    struct pkt meta;
    size_t payload = 3500, per = 1000;
    uint8_t flags = TCP_ACK | TCP_PSH | TCP_FIN | TCP_CWR;
    size_t len = super_frame(b, v4, payload, flags, &meta);
    meta.gso_size = (uint16_t)per;
    meta.gso_type = v4 ? PKT_GSO_TCPV4 : PKT_GSO_TCPV6;
    struct pieces p = {0};
    cr_assert_eq(tapir_gso_segment(b, len, &meta, keep_piece, &p), 4);
    size_t l3 = 14, l4 = v4 ? 34 : 54, thl = 32, off = 0;
    for (int i = 0; i < p.n; i++) {
        uint8_t *f = p.f[i], *ip = f + l3, *th = f + l4;
        size_t n = i < 3 ? per : payload - 3 * per;
        cr_assert_eq(p.len[i], l4 + thl + n, "piece %d length", i);
        if (v4) {
            cr_assert_eq(get16(ip + 2), 20 + thl + n);
            cr_assert_eq(get16(ip + 4), 0x1234 + i, "IP ID advances per piece");
            cr_assert_eq(csum_finish(csum_add(0, ip, 20)), 0, "IPv4 header checksum");
        } else {
            cr_assert_eq(get16(ip + 4), thl + n, "IPv6 payload length");
        }
        cr_assert_eq(get32(th + 4), 0xfffff000u + (uint32_t)off, "sequence number of piece %d", i);
        cr_assert_eq(th[13] & (TCP_PSH | TCP_FIN), i == 3 ? (TCP_PSH | TCP_FIN) : 0, "PSH/FIN on the last only");
        cr_assert_eq(th[13] & TCP_CWR, i == 0 ? TCP_CWR : 0, "CWR on the first only");
        cr_assert(th[13] & TCP_ACK);
        cr_assert_eq(memcmp(th + 20, b + l4 + 20, 12), 0, "options copied");
        struct ipaddr s, d;
        if (v4) {
            s = ip4(get32(ip + 12));
            d = ip4(get32(ip + 16));
        } else {
            s.family = d.family = TP_AF_INET6;
            memcpy(s.v6, ip + 8, 16);
            memcpy(d.v6, ip + 24, 16);
        }
        cr_assert_eq(tcp_checksum(&s, &d, th, thl + n), 0, "piece %d: TCP checksum complete", i);
        cr_assert_eq(memcmp(th + thl, b + l4 + thl + off, n), 0, "piece %d payload", i);
        off += n;
    }
    pieces_free(&p);
}

Test(gso, ipv4_pieces) { check_pieces(true); }
Test(gso, ipv6_pieces) { check_pieces(false); }

Test(gso, checksum_only_frame_is_finished)
{
    static uint8_t b[4000];
    struct pkt meta;
    size_t len = super_frame(b, true, 999, TCP_ACK | TCP_PSH, &meta);
    struct pieces p = {0};
    cr_assert_eq(tapir_gso_segment(b, len, &meta, keep_piece, &p), 1);
    cr_assert_eq(p.len[0], len);
    cr_assert_eq(p.f[0][34 + 13], TCP_ACK | TCP_PSH);
    struct ipaddr s = ip4(0xc6120001), d = ip4(0xc6120002);
    cr_assert_eq(tcp_checksum(&s, &d, p.f[0] + 34, len - 34), 0);
    pieces_free(&p);
}

Test(gso, nonsense_metadata_refused)
{
    static uint8_t b[4000];
    struct pkt meta;
    size_t len = super_frame(b, true, 100, TCP_ACK, &meta);
    struct pieces p = {0};
    struct pkt m = meta;
    m.csum_offset = 0;
    cr_assert_eq(tapir_gso_segment(b, len, &m, keep_piece, &p), -EINVAL);
    m = meta;
    m.csum_start = (uint16_t)(len - 4);
    cr_assert_eq(tapir_gso_segment(b, len, &m, keep_piece, &p), -EINVAL);
    m = meta;
    b[14] = 0x55;   /* not IP */
    cr_assert_eq(tapir_gso_segment(b, len, &m, keep_piece, &p), -EINVAL);
    cr_assert_eq(p.n, 0);
}

/* The IPv4 header length must fit before the transport header csum_start
 * names: the header checksum of each piece is computed over it (an IHL of
 * 15 in front of a TCP header 20 bytes in read past the piece). */
Test(gso, ipv4_header_longer_than_its_place_refused)
{
    static uint8_t b[4000];
    struct pkt meta;
    size_t len = super_frame(b, true, 100, TCP_ACK, &meta);
    meta.gso_size = 1;
    meta.gso_type = PKT_GSO_TCPV4;
    b[14] = 0x4f;   /* IHL 15: 60 bytes, but the TCP header is 20 bytes in */
    struct pieces p = {0};
    cr_assert_eq(tapir_gso_segment(b, len, &meta, keep_piece, &p), -EINVAL);
    cr_assert_eq(p.n, 0);
    b[14] = 0x44;   /* IHL 4: shorter than any IPv4 header */
    cr_assert_eq(tapir_gso_segment(b, len, &meta, keep_piece, &p), -EINVAL);
    pieces_free(&p);
}

/* ---- TCP trains ---- */

#define MAXF 8192

struct rec {
    uint8_t *data;
    size_t len;
    struct pkt meta;
};

struct side {
    struct rec f[MAXF];
    int n;
    bool refuse;
};

struct tw {
    struct stack *st[2];
    int ifx[2];
    struct side side[2];
    uint64_t now;
    struct sock *a, *b;          /* A's connected socket, B's accepted one */
    struct tcpcb *tp;            /* A's */
};

static const uint8_t macs[2][6] = {{0x02, 0, 0, 0, 0, 1}, {0x02, 0, 0, 0, 0, 2}};

static int tw_tx(void *ctx, const uint8_t *frame, size_t len, const struct pkt *meta)
{
    struct side *s = ctx;
    if (s->refuse)
        return -1;
    cr_assert_lt(s->n, MAXF);
    struct rec *r = &s->f[s->n++];
    r->data = malloc(len);
    memcpy(r->data, frame, len);
    r->len = len;
    memset(&r->meta, 0, sizeof r->meta);
    if (meta)
        r->meta = *meta;
    return 0;
}

struct feed {
    struct tw *w;
    int to;
};

static int feed_piece(void *ctx, const uint8_t *frame, size_t len)
{
    struct feed *f = ctx;
    stack_input(f->w->st[f->to], f->w->ifx[f->to], frame, len, f->w->now);
    return 0;
}

static void side_clear(struct side *s)
{
    for (int i = 0; i < s->n; i++)
        free(s->f[i].data);
    s->n = 0;
}

/* Delivers everything recorded, cutting offloaded frames, until quiet. */
static void tw_run(struct tw *w)
{
    for (int round = 0; round < 10000; round++) {
        bool any = false;
        for (int i = 0; i < 2; i++) {
            struct side snap = {0};
            struct side *s = &w->side[i];
            if (!s->n)
                continue;
            any = true;
            /* Take the frames out first: delivering makes new ones. */
            static struct rec taken[MAXF];
            int n = s->n;
            memcpy(taken, s->f, (size_t)n * sizeof *taken);
            s->n = 0;
            (void)snap;
            for (int k = 0; k < n; k++) {
                struct feed fd = {w, 1 - i};
                if (taken[k].meta.csum_offset)
                    cr_assert_gt(tapir_gso_segment(taken[k].data, taken[k].len, &taken[k].meta, feed_piece, &fd), 0);
                else
                    feed_piece(&fd, taken[k].data, taken[k].len);
                free(taken[k].data);
            }
        }
        stack_poll(w->st[0], w->now);
        stack_poll(w->st[1], w->now);
        if (!any && !w->side[0].n && !w->side[1].n)
            return;
    }
    cr_assert_fail("the wire never went quiet");
}

static void tw_advance(struct tw *w, uint64_t us)
{
    uint64_t end = w->now + us;
    while (w->now < end) {
        w->now += 1000 < end - w->now ? 1000 : end - w->now;
        tw_run(w);
    }
}

/* A (198.18.0.1, offering TSO when tso) connected to B (198.18.0.2). */
static void tw_init(struct tw *w, bool tso)
{
    memset(w, 0, sizeof *w);
    w->now = 1000000;
    for (int i = 0; i < 2; i++) {
        w->st[i] = stack_create(42 + (uint64_t)i, w->now);
        stack_ip6_settings(w->st[i])->enabled = false;
        w->ifx[i] = stack_add_netif(w->st[i], "eth0", macs[i], 1500, tw_tx, &w->side[i]);
        stack_add_ip4(w->st[i], w->ifx[i], IP4(198, 18, 0, 1 + (uint32_t)i), 24);
        arp_add_static(w->st[i], w->ifx[i], IP4(198, 18, 0, 2 - (uint32_t)i), macs[1 - i]);
        w->st[i]->cfg.tcp.wmem[1] = 4 << 20;
        w->st[i]->cfg.tcp.rmem[1] = 4 << 20;
    }
    if (tso)
        stack_netif(w->st[0], w->ifx[0])->offloads = NETIF_OFF_TSO | NETIF_OFF_CSUM;
    struct sock *l;
    cr_assert_eq(sock_create(w->st[1], TP_AF_INET, 1, 0, &l), 0);
    struct endpoint ep = {.addr = ip4(IP4(198, 18, 0, 2)), .port = 5001};
    cr_assert_eq(sock_bind(l, &ep), 0);
    cr_assert_eq(sock_listen(l, 4), 0);
    cr_assert_eq(sock_create(w->st[0], TP_AF_INET, 1, 0, &w->a), 0);
    int one = 1;
    sock_setsockopt(w->a, TP_SOL_TCP, TP_TCP_NODELAY, &one, sizeof one);
    cr_assert_eq(sock_connect(w->a, &ep), -EINPROGRESS);
    tw_advance(w, 10000);
    cr_assert_eq(sock_accept(l, &w->b, NULL), 0);
    sock_close(l);
    w->tp = tcp_from_sock(w->a);
    cr_assert_eq(w->tp->state, TCPS_ESTABLISHED);
    /* A byte from B, so A learns B's scaled window (the SYN's is not). */
    cr_assert_eq(sock_send(w->b, "x", 1, 0, NULL), 1);
    tw_advance(w, 50000);
    char c;
    cr_assert_eq(sock_recv(w->a, &c, 1, 0, NULL, NULL), 1);
    tw_advance(w, 50000);
    cr_assert_gt(w->tp->snd_wnd, 1000000);
}

static void tw_fini(struct tw *w)
{
    for (int i = 0; i < 2; i++) {
        side_clear(&w->side[i]);
        stack_destroy(w->st[i]);
    }
}

static size_t fill(uint8_t *b, size_t n, uint32_t salt)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(i * 7 + salt + (i >> 9));
    return n;
}

/* Reads everything B has and compares it with want. */
static void expect_received(struct tw *w, const uint8_t *want, size_t n)
{
    static uint8_t got[1 << 20];
    size_t have = 0;
    ssize_t k;
    while (have < n && (k = sock_recv(w->b, got + have, n - have, 0, NULL, NULL)) > 0)
        have += (size_t)k;
    cr_assert_eq(have, n, "B got %zu of %zu bytes", have, n);
    cr_assert_eq(memcmp(got, want, n), 0, "B's bytes are A's");
}

/* The TCP bytes of A's data frames, as the peer sees them (trains cut). */
struct seglist {
    int n;
    size_t len[MAXF];
    uint8_t *tcp[MAXF];
};

static int keep_tcp(void *ctx, const uint8_t *frame, size_t len)
{
    struct seglist *s = ctx;
    cr_assert_lt(s->n, MAXF);
    s->tcp[s->n] = malloc(len - 34);
    memcpy(s->tcp[s->n], frame + 34, len - 34);
    s->len[s->n++] = len - 34;
    return 0;
}

static void seglist_free(struct seglist *s)
{
    for (int i = 0; i < s->n; i++)
        free(s->tcp[i]);
    s->n = 0;
}

/* 300 KB in one write with a large window: what A sends, cut. */
static void big_write(bool tso, struct seglist *out, uint64_t *trains)
{
    static struct tw w;
    tw_init(&w, tso);
    w.tp->cwnd = 4 << 20;
    w.tp->ssthresh = 4 << 20;
    side_clear(&w.side[0]);
    static uint8_t data[300000];
    fill(data, sizeof data, 3);
    cr_assert_eq(sock_send(w.a, data, sizeof data, 0, NULL), (ssize_t)sizeof data);
    /* Nothing waits in a train after the call: what left is all of SND.NXT. */
    size_t payload = 0;
    for (int i = 0; i < w.side[0].n; i++) {
        struct rec *r = &w.side[0].f[i];
        size_t hl = (size_t)(r->data[34 + 12] >> 4) * 4;
        payload += r->len - 34 - hl;
        if (r->meta.gso_size) {
            cr_assert(tso);
            cr_assert_eq(r->meta.gso_type, PKT_GSO_TCPV4);
            cr_assert_eq(r->meta.csum_start, 34, "csum_start counts from the frame's start");
            cr_assert_eq(r->meta.csum_offset, 16);
            cr_assert_eq(r->meta.gso_size, w.tp->mss);
            cr_assert_leq(r->len - 34, TCP_TSO_MAX_BYTES, "a train stays within 64 KB");
            /* A train ends at a PSH, at the 64 KB cap, or at the end of the call. */
            bool psh = r->data[34 + 13] & TCP_PSH;
            bool full = r->len - 34 + w.tp->mss > TCP_TSO_MAX_BYTES;
            bool last = i == w.side[0].n - 1;
            cr_assert(psh || full || last || !w.side[0].f[i + 1].meta.gso_size, "train %d ended early", i);
        }
    }
    cr_assert_eq(payload, w.tp->snd_nxt - w.tp->snd_una, "no data held back in a train");
    cr_assert_gt(payload, 100000, "a large flight went out at once: %zu, wnd %u", payload, w.tp->snd_wnd);
    *trains = w.st[0]->ctr.tcp_tx_tso_trains;
    for (int i = 0; i < w.side[0].n; i++) {
        struct rec *r = &w.side[0].f[i];
        if (r->meta.csum_offset)
            cr_assert_gt(tapir_gso_segment(r->data, r->len, &r->meta, keep_tcp, out), 0);
        else
            keep_tcp(out, r->data, r->len);
    }
    tw_run(&w);
    tw_advance(&w, 2000000);
    expect_received(&w, data, sizeof data);
    tw_fini(&w);
}

Test(tso_train, big_write_same_segments_as_without_tso, .timeout = 60)
{
    static struct seglist plain, tso;
    uint64_t t0, t1;
    big_write(false, &plain, &t0);
    big_write(true, &tso, &t1);
    cr_assert_eq(t0, 0);
    cr_assert_gt(t1, 2, "several trains");
    cr_assert_eq(tso.n, plain.n, "%d segments cut from trains, %d sent without TSO", tso.n, plain.n);
    for (int i = 0; i < plain.n; i++) {
        cr_assert_eq(tso.len[i], plain.len[i], "segment %d length", i);
        cr_assert_eq(memcmp(tso.tcp[i], plain.tcp[i], plain.len[i]), 0, "segment %d: the same bytes", i);
    }
    seglist_free(&plain);
    seglist_free(&tso);
}

/* A train driven by hand: tcp_xmit as tcp_output calls it, data queued but
 * held back (cwnd 0), the train installed on the connection. */
static struct tw hw;
static struct tcp_train htr;
static uint8_t hdata[200000];

static void hand_setup(void)
{
    tw_init(&hw, true);
    hw.tp->cwnd = 0;   /* tcp_output sends nothing: we do */
    cr_assert_eq(sock_send(hw.a, hdata, fill(hdata, sizeof hdata, 9), 0, NULL), (ssize_t)sizeof hdata);
    tw_run(&hw);
    side_clear(&hw.side[0]);
    htr = (struct tcp_train){.offloads = -1};
    hw.tp->train = &htr;
}

static void hand_teardown(void)
{
    hw.tp->train = NULL;
    tw_fini(&hw);
}

static void xmit(uint32_t len, uint8_t flags)
{
    cr_assert_eq(tcp_xmit(hw.tp, hw.tp->snd_nxt, len, flags), (int)len);
}

/* Frame i of A's: segments in it (gso_size pieces, 1 if plain), flags. */
static void expect_frame(int i, int segs, uint8_t flags)
{
    cr_assert_gt(hw.side[0].n, i, "frame %d sent", i);
    struct rec *r = &hw.side[0].f[i];
    size_t hl = (size_t)(r->data[34 + 12] >> 4) * 4, pay = r->len - 34 - hl;
    int n = r->meta.gso_size ? (int)((pay + r->meta.gso_size - 1) / r->meta.gso_size) : 1;
    cr_assert_eq(n, segs, "frame %d: %d segments, want %d", i, n, segs);
    cr_assert_eq(segs > 1, r->meta.gso_size != 0, "frame %d: only a train of several has gso_size", i);
    cr_assert_eq(r->data[34 + 13], flags, "frame %d flags %#x, want %#x", i, r->data[34 + 13], flags);
}

Test(tso_train, psh_ends_a_train, .init = hand_setup, .fini = hand_teardown)
{
    uint32_t mss = hw.tp->mss;
    xmit(mss, TCP_ACK);
    xmit(mss, TCP_ACK);
    xmit(mss, TCP_ACK | TCP_PSH);
    cr_assert_eq(hw.side[0].n, 0, "the train waits while it is being built");
    xmit(mss, TCP_ACK);   /* cannot join a train closed by PSH */
    cr_assert_eq(hw.side[0].n, 1);
    xmit(mss, TCP_ACK);
    tcp_train_send(hw.tp, &htr);
    expect_frame(0, 3, TCP_ACK | TCP_PSH);
    expect_frame(1, 2, TCP_ACK);
    cr_assert_eq(hw.st[0]->ctr.tcp_tx_tso_trains, 2);
    cr_assert_eq(hw.st[0]->ctr.tcp_tx_tso_segments, 5);
}

Test(tso_train, short_segment_ends_a_train, .init = hand_setup, .fini = hand_teardown)
{
    uint32_t mss = hw.tp->mss;
    xmit(mss, TCP_ACK);
    xmit(100, TCP_ACK);
    xmit(mss, TCP_ACK);   /* after a short one: a new train */
    tcp_train_send(hw.tp, &htr);
    expect_frame(0, 2, TCP_ACK);
    expect_frame(1, 1, TCP_ACK);
    cr_assert_eq(hw.side[0].f[0].meta.gso_size, mss);
}

Test(tso_train, non_contiguous_flushes_first, .init = hand_setup, .fini = hand_teardown)
{
    uint32_t mss = hw.tp->mss;
    xmit(mss, TCP_ACK);
    xmit(mss, TCP_ACK);
    /* A retransmission of the first segment: the train leaves before it. */
    cr_assert_eq(tcp_xmit(hw.tp, hw.tp->snd_una, mss, TCP_ACK), (int)mss);
    cr_assert_eq(hw.side[0].n, 2);
    expect_frame(0, 2, TCP_ACK);
    expect_frame(1, 1, TCP_ACK);
    cr_assert_eq(get32(hw.side[0].f[1].data + 34 + 4), hw.tp->snd_una, "the retransmission comes after");
    cr_assert_eq(tcp_train_send(hw.tp, &htr), 0, "nothing left in the train");
    cr_assert_eq(hw.side[0].n, 2);
}

Test(tso_train, capped_at_64k, .init = hand_setup, .fini = hand_teardown)
{
    uint32_t mss = hw.tp->mss;
    for (int i = 0; i < 100; i++)
        xmit(mss, TCP_ACK);
    tcp_train_send(hw.tp, &htr);
    uint32_t hl = TCP_HDR_LEN + 12;   /* timestamps */
    int per = (int)((TCP_TSO_MAX_BYTES - hl) / mss);
    int frames = (100 + per - 1) / per;
    cr_assert_eq(hw.side[0].n, frames);
    for (int i = 0; i < frames - 1; i++) {
        expect_frame(i, per, TCP_ACK);
        cr_assert_leq(hw.side[0].f[i].len - 34, TCP_TSO_MAX_BYTES);
    }
    expect_frame(frames - 1, 100 - per * (frames - 1), TCP_ACK);
}

Test(tso_train, urgent_and_fin, .init = hand_setup, .fini = hand_teardown)
{
    uint32_t mss = hw.tp->mss;
    xmit(mss, TCP_ACK);
    xmit(mss, TCP_ACK | TCP_FIN);   /* FIN ends it, on the last piece */
    tcp_train_send(hw.tp, &htr);
    expect_frame(0, 2, TCP_ACK | TCP_FIN);
    cr_assert(hw.tp->fin_sent);
}

Test(tso_train, no_train_without_the_offloads, .init = hand_setup, .fini = hand_teardown)
{
    /* Checksum offload missing: TSO alone is not enough. */
    stack_netif(hw.st[0], hw.ifx[0])->offloads = NETIF_OFF_TSO;
    uint32_t mss = hw.tp->mss;
    xmit(mss, TCP_ACK);
    cr_assert_eq(hw.side[0].n, 1, "sent at once, alone");
    xmit(mss, TCP_ACK);
    cr_assert_eq(hw.side[0].n, 2);
    cr_assert_eq(hw.side[0].f[0].meta.gso_size, 0);
    cr_assert_eq(hw.side[0].f[0].meta.csum_offset, 0);
}

/* The device refuses: every segment of the train steps back, and the data
 * goes later, intact.  200 KB: a train is refused inside the loop (when the
 * next segment would start another), which ends the loop there. */
Test(tso_train, refused_train_steps_back, .timeout = 60)
{
    static struct tw w;
    tw_init(&w, true);
    w.tp->cwnd = 4 << 20;
    w.tp->ssthresh = 4 << 20;
    static uint8_t data[200000];
    fill(data, sizeof data, 5);
    uint32_t una = w.tp->snd_una;
    w.side[0].refuse = true;
    cr_assert_eq(sock_send(w.a, data, sizeof data, 0, NULL), (ssize_t)sizeof data);
    /* sock_send runs tcp_output as the buffer fills: each call's train is refused. */
    cr_assert_geq(w.st[0]->ctr.tcp_tx_tso_refused, 1);
    cr_assert_eq(w.side[0].n, 0, "nothing reached the wire");
    cr_assert_eq(w.tp->snd_nxt, una, "SND.NXT stepped back over the whole train");
    cr_assert_eq(w.tp->txq_n, 0, "no RACK record for data that never left");
    cr_assert(!w.tp->rt_timing, "no RTT sample from it");
    cr_assert_eq(w.st[0]->ctr.tcp_retransmits, 0);
    w.side[0].refuse = false;
    tw_advance(&w, 3000000);
    expect_received(&w, data, sizeof data);
    cr_assert_gt(w.st[0]->ctr.tcp_tx_tso_trains, 0);
    tw_fini(&w);
}

/* Inside a call: the segment that would continue a refused train cannot go
 * (SND.NXT is back at the train's start: it would leave a hole). */
Test(tso_train, refused_inside_the_call, .init = hand_setup, .fini = hand_teardown)
{
    uint32_t mss = hw.tp->mss, una = hw.tp->snd_una;
    xmit(mss, TCP_ACK);
    xmit(mss, TCP_ACK | TCP_PSH);
    cr_assert_eq(hw.tp->snd_nxt, una + 2 * mss);
    cr_assert_gt(hw.tp->txq_n, 0);
    hw.side[0].refuse = true;
    cr_assert_eq(tcp_xmit(hw.tp, hw.tp->snd_nxt, mss, TCP_ACK), -ENOBUFS);
    cr_assert_eq(hw.tp->snd_nxt, una, "stepped back over the train");
    cr_assert_eq(hw.tp->txq_n, 0, "its RACK records gone");
    cr_assert_eq(hw.st[0]->ctr.tcp_tx_tso_refused, 1);
    cr_assert_eq(tcp_train_send(hw.tp, &htr), 0, "the train is empty");
    hw.side[0].refuse = false;
    xmit(mss, TCP_ACK);
    tcp_train_send(hw.tp, &htr);
    cr_assert_eq(get32(hw.side[0].f[0].data + 34 + 4), una, "the data goes again from the train's start");
}

/* ECN: a segment with CWR goes alone (the device would copy CWR onto every
 * piece, or need virtio's ECN bit); ECE, the same on every segment, travels
 * in trains, and so does the ECT(0) codepoint; a change of flags ends one. */
Test(tso_train, cwr_alone_ece_in_trains, .init = hand_setup, .fini = hand_teardown)
{
    uint32_t mss = hw.tp->mss;
    hw.tp->ecn_ok = true;
    hw.tp->ecn_cwr_pending = true;
    xmit(mss, TCP_ACK);   /* gets CWR: sent at once, alone */
    cr_assert_eq(hw.side[0].n, 1);
    xmit(mss, TCP_ACK);
    xmit(mss, TCP_ACK);
    hw.tp->ecn_ece_pending = true;
    xmit(mss, TCP_ACK);   /* gets ECE: a different header, a new train */
    xmit(mss, TCP_ACK);
    tcp_train_send(hw.tp, &htr);
    expect_frame(0, 1, TCP_ACK | TCP_CWR);
    expect_frame(1, 2, TCP_ACK);
    expect_frame(2, 2, TCP_ACK | TCP_ECE);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(hw.side[0].f[i].data[15] & 3, 2, "frame %d is ECT(0)", i);
}

/* A GSO frame as the kernel hands it to a TAP with offloads (64 KB, its TCP
 * checksum partial): the link vouches for it (STACK_RX_TCP4_CSUM_OK) and TCP
 * takes it whole without reading it twice; without that word it is a bad
 * checksum like any other. */
Test(tso_train, partial_checksum_frame_taken_when_the_link_vouches, .timeout = 60)
{
    static struct tw w;
    tw_init(&w, true);
    w.tp->cwnd = 4 << 20;
    side_clear(&w.side[0]);
    static uint8_t data[40000];
    size_t n = fill(data, 20u * w.tp->mss, 5);   /* whole segments: one train */
    cr_assert_eq(sock_send(w.a, data, n, 0, NULL), (ssize_t)n);
    cr_assert_eq(w.side[0].n, 1, "one train");
    struct rec *r = &w.side[0].f[0];
    cr_assert_eq(r->meta.csum_start, 34);
    cr_assert_eq(r->len, 34 + 32 + n);

    uint64_t bad = w.st[1]->ctr.tcp_rx_bad_csum;
    stack_input(w.st[1], w.ifx[1], r->data, r->len, w.now);
    cr_assert_eq(w.st[1]->ctr.tcp_rx_bad_csum, bad + 1, "unvouched: its partial checksum is checked and fails");
    char c;
    cr_assert_eq(sock_recv(w.b, &c, 1, 0, NULL, NULL), -EAGAIN);

    stack_input_flags(w.st[1], w.ifx[1], r->data, r->len, w.now, STACK_RX_TCP4_CSUM_OK);
    cr_assert_eq(w.st[1]->ctr.tcp_rx_bad_csum, bad + 1);
    side_clear(&w.side[0]);
    expect_received(&w, data, n);

    /* The word is about that frame only: a corrupted one without it is refused. */
    cr_assert_eq(sock_send(w.a, data, 1000, 0, NULL), 1000);
    cr_assert_eq(w.side[0].n, 1);
    r = &w.side[0].f[0];
    r->data[r->len - 1] ^= 1;
    stack_input(w.st[1], w.ifx[1], r->data, r->len, w.now);
    cr_assert_eq(w.st[1]->ctr.tcp_rx_bad_csum, bad + 2);
    tw_fini(&w);
}

/* STACK_RX_BATCH: a runner draining frames lets the every-second-segment ACK
 * wait for the stack_poll that ends the batch (one ACK per 64 KB at most, as
 * behind Linux's GRO); a frame at a time, TCP ACKs every second segment. */
static int acks_for(bool batch, int segs)
{
    static struct tw w;
    tw_init(&w, false);
    w.tp->cwnd = 4 << 20;
    static uint8_t data[200000];
    cr_assert_eq(sock_send(w.a, data, 1, 0, NULL), 1);   /* out of quick-ack mode */
    tw_advance(&w, 1000);
    char c;
    cr_assert_eq(sock_recv(w.b, &c, 1, 0, NULL, NULL), 1);
    struct tcpcb *b = tcp_from_sock(w.b);
    b->quickacks = 0;
    side_clear(&w.side[0]);
    side_clear(&w.side[1]);
    size_t n = fill(data, (size_t)segs * w.tp->mss, 1);
    cr_assert_eq(sock_send(w.a, data, n, 0, NULL), (ssize_t)n);
    cr_assert_eq(w.side[0].n, segs);
    for (int i = 0; i < segs; i++)
        stack_input_flags(w.st[1], w.ifx[1], w.side[0].f[i].data, w.side[0].f[i].len, w.now,
                          batch ? STACK_RX_BATCH : 0);
    int before_poll = w.side[1].n;
    stack_poll(w.st[1], w.now);
    int acks = w.side[1].n;
    if (batch && segs % 2 == 0) {
        cr_assert_eq(acks, before_poll + 1, "the batch's last ACK leaves in stack_poll");
        cr_assert_eq(b->rcv_wup, b->rcv_nxt, "everything acknowledged when the batch ends");
    }
    side_clear(&w.side[0]);
    tw_run(&w);
    expect_received(&w, data, n);
    tw_fini(&w);
    return acks;
}

Test(tso_train, batch_acks_like_gro, .timeout = 60)
{
    cr_assert_eq(acks_for(false, 10), 5, "every second segment");
    cr_assert_eq(acks_for(true, 10), 1, "one for the batch");
    int per64k = (int)(TCP_GRO_ACK_BYTES / 1448) + 1;   /* segments that fill 64 KB */
    cr_assert_eq(acks_for(true, 2 * per64k + 2), 3, "one per 64 KB, and the last two at the end");
    cr_assert_eq(acks_for(true, 2 * per64k + 1), 2, "a lone last segment waits for the delayed ACK, as ever");
}

/* The path MTU to B dropped to 1000 without TCP hearing of it (the ICMP
 * error was about another connection): every piece the device would cut
 * from a train must still fit the path.  A full segment (1448 + 32 + 20)
 * does not: it never joins a train, goes alone, IP refuses it (DF), and TCP
 * shrinks its MSS to the path's (1000 - 40, less 12 of timestamps); the
 * trains after it carry the smaller gso_size, and the data arrives whole. */
Test(tso_train, pieces_fit_a_lowered_path_mtu, .timeout = 60)
{
    static struct tw w;
    tw_init(&w, true);
    w.tp->cwnd = 4 << 20;
    w.tp->ssthresh = 4 << 20;
    ip4_pmtu_update(w.st[0], IP4(198, 18, 0, 2), 1000);
    side_clear(&w.side[0]);
    static uint8_t data[200000];
    fill(data, sizeof data, 11);
    cr_assert_eq(sock_send(w.a, data, sizeof data, 0, NULL), (ssize_t)sizeof data);
    cr_assert_eq(w.tp->mss, 1000 - 40 - 12, "MSS %u", w.tp->mss);
    int trains = 0;
    for (int i = 0; i < w.side[0].n; i++) {
        struct rec *r = &w.side[0].f[i];
        size_t hl = (size_t)(r->data[34 + 12] >> 4) * 4, pay = r->len - 34 - hl;
        size_t piece = 20 + hl + (r->meta.gso_size && r->meta.gso_size < pay ? r->meta.gso_size : pay);
        cr_assert_leq(piece, 1000, "frame %d: a %zu-byte piece for a 1000-byte path", i, piece);
        if (r->meta.gso_size) {
            cr_assert_eq(r->meta.gso_size, w.tp->mss, "the train follows the MSS after the shrink");
            trains++;
        }
    }
    cr_assert_gt(trains, 0, "trains still go");
    cr_assert_geq(w.st[0]->ctr.ip_frag_df_drops, 1, "the first full segment was refused");
    tw_run(&w);
    tw_advance(&w, 2000000);
    expect_received(&w, data, sizeof data);
    tw_fini(&w);
}

/* By hand: a segment bigger than the path does not start a train; it is
 * refused (never sent, SND.NXT where it was), the MSS shrinks, and the
 * next segments train at the new size. */
Test(tso_train, too_big_for_the_path_never_trains, .init = hand_setup, .fini = hand_teardown)
{
    uint32_t mss = hw.tp->mss, nxt = hw.tp->snd_nxt;
    ip4_pmtu_update(hw.st[0], IP4(198, 18, 0, 2), 1000);
    cr_assert_eq(tcp_xmit(hw.tp, nxt, mss, TCP_ACK), -EMSGSIZE);
    cr_assert_eq(hw.tp->snd_nxt, nxt, "not counted as sent");
    cr_assert_eq(tcp_train_send(hw.tp, &htr), 0, "no train holds it");
    cr_assert_eq(hw.side[0].n, 0);
    cr_assert_eq(hw.tp->mss, 1000 - 40 - 12);
    xmit(hw.tp->mss, TCP_ACK);
    xmit(hw.tp->mss, TCP_ACK);
    tcp_train_send(hw.tp, &htr);
    expect_frame(0, 2, TCP_ACK);
    cr_assert_eq(hw.side[0].f[0].meta.gso_size, 1000 - 40 - 12);
}
