/* TCP pieces one at a time: the header codec (options round trip, every
 * truncation, bad data offsets, unknown options), sequence helpers, the
 * RTO computation (RFC 6298), CUBIC's window function (RFC 9438), the
 * sender's SACK scoreboard and the receiver's out-of-order ranges. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "stack/stack.h"
#include "stack/tcp/cc.h"
#include "stack/tcp/tcp.h"
#include "stack/wire/tcp.h"

/* ---- codec ---- */

static size_t build(uint8_t *buf, const struct tcp_opts *o, uint8_t flags)
{
    struct tcp_hdr h;
    memset(&h, 0, sizeof h);
    h.sport = 1234;
    h.dport = 80;
    h.seq = 0x01020304;
    h.ack = 0xfffffff0;
    h.flags = flags;
    h.win = 65535;
    h.urg = 7;
    h.opt = *o;
    return tcp_hdr_write(buf, &h);
}

Test(tcp_codec, syn_options_linux_layout)
{
    struct tcp_opts o = {.mss_ok = true, .mss = 1460, .sack_perm = true, .ts_ok = true, .tsval = 100,
                         .tsecr = 0, .ws_ok = true, .ws = 8};
    uint8_t buf[60];
    size_t n = build(buf, &o, TCP_SYN);
    cr_assert_eq(n, 40);
    /* <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 8> */
    static const uint8_t want[] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 100, 0, 0, 0, 0, 1, 3, 3, 8};
    cr_assert_eq(memcmp(buf + 20, want, sizeof want), 0);
    /* Without timestamps: <mss 1460,nop,nop,sackOK,nop,wscale 8> */
    o.ts_ok = false;
    n = build(buf, &o, TCP_SYN | TCP_ACK);
    cr_assert_eq(n, 32);
    static const uint8_t want2[] = {2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 8};
    cr_assert_eq(memcmp(buf + 20, want2, sizeof want2), 0);
}

Test(tcp_codec, round_trip_all_options)
{
    struct tcp_opts o = {.mss_ok = true, .mss = 536, .ws_ok = true, .ws = 14, .sack_perm = true,
                         .ts_ok = true, .tsval = 0xdeadbeef, .tsecr = 0x01020304};
    uint8_t buf[60];
    size_t n = build(buf, &o, TCP_SYN);
    struct tcp_hdr h;
    cr_assert_eq(tcp_hdr_parse(buf, n, &h), 0);
    cr_assert_eq(h.hdr_len, n);
    cr_assert_eq(h.sport, 1234);
    cr_assert_eq(h.seq, 0x01020304);
    cr_assert_eq(h.ack, 0xfffffff0);
    cr_assert_eq(h.urg, 7);
    cr_assert(h.opt.mss_ok && h.opt.mss == 536);
    cr_assert(h.opt.ws_ok && h.opt.ws == 14);
    cr_assert(h.opt.sack_perm);
    cr_assert(h.opt.ts_ok && h.opt.tsval == 0xdeadbeef && h.opt.tsecr == 0x01020304);
    /* Data segment: TS + 3 SACK blocks fill 40 bytes exactly; a 4th does not fit. */
    struct tcp_opts d = {.ts_ok = true, .tsval = 5, .tsecr = 6, .n_sack = 4};
    for (int i = 0; i < 4; i++) {
        d.sack[i].start = 1000u * (uint32_t)i + 1;
        d.sack[i].end = 1000u * (uint32_t)i + 500;
    }
    n = build(buf, &d, TCP_ACK);
    cr_assert_eq(n, 60);
    cr_assert_eq(tcp_hdr_parse(buf, n, &h), 0);
    cr_assert_eq(h.opt.n_sack, 3);
    cr_assert_eq(h.opt.sack[2].start, 2001);
    cr_assert_eq(h.opt.sack[2].end, 2500);
    /* Without TS all four fit. */
    d.ts_ok = false;
    n = build(buf, &d, TCP_ACK);
    cr_assert_eq(tcp_hdr_parse(buf, n, &h), 0);
    cr_assert_eq(h.opt.n_sack, 4);
}

/* RFC 7413 4.1.1: Fast Open goes last, padded with NOPs as Linux writes it
 * (what packetdrill scripts expect: "...,wscale 8,FO,nop,nop"); an empty
 * option (a cookie request) and a cookie both round-trip; odd or out-of-range
 * cookie lengths are ignored, not fatal. */
Test(tcp_codec, fastopen_option)
{
    struct tcp_opts o = {.mss_ok = true, .mss = 1460, .sack_perm = true, .ws_ok = true, .ws = 8,
                         .fo_ok = true};
    uint8_t buf[60];
    size_t n = build(buf, &o, TCP_SYN);
    cr_assert_eq(n, 36);
    /* <mss 1460,nop,nop,sackOK,nop,wscale 8,FO,nop,nop> */
    static const uint8_t want[] = {2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 8, 34, 2, 1, 1};
    cr_assert_eq(memcmp(buf + 20, want, sizeof want), 0);
    struct tcp_hdr h;
    cr_assert_eq(tcp_hdr_parse(buf, n, &h), 0);
    cr_assert(h.opt.fo_ok && h.opt.fo_len == 0);
    /* With timestamps and an 8-byte cookie: 20 + 12 = 32 bytes of options. */
    o.ts_ok = true;
    o.fo_len = 8;
    memcpy(o.fo_cookie, "\xab\xcd\x12\x34\x56\x78\x9a\xbc", 8);
    n = build(buf, &o, TCP_SYN);
    cr_assert_eq(n, 52);
    cr_assert_eq(buf[40], 34);
    cr_assert_eq(buf[41], 10);
    cr_assert_eq(buf[50], 1);
    cr_assert_eq(buf[51], 1);
    cr_assert_eq(tcp_hdr_parse(buf, n, &h), 0);
    cr_assert(h.opt.fo_ok && h.opt.fo_len == 8);
    cr_assert_eq(memcmp(h.opt.fo_cookie, o.fo_cookie, 8), 0);
    cr_assert(h.opt.ts_ok && h.opt.ws_ok && h.opt.sack_perm && h.opt.mss == 1460);
    /* A 4-byte cookie needs no padding; a 16-byte one is the largest. */
    struct tcp_opts c = {.fo_ok = true, .fo_len = 4};
    cr_assert_eq(tcp_opts_len(&c), 8);
    c.fo_len = 16;
    cr_assert_eq(tcp_opts_len(&c), 20);
    /* Bad lengths: 3 (odd), 4 (a 2-byte cookie), 20 (an 18-byte cookie). */
    static const uint8_t bad[] = {3, 4, 20};
    for (size_t i = 0; i < sizeof bad; i++) {
        uint8_t raw[20] = {34, bad[i]};
        for (int k = bad[i]; k < 20; k++)
            raw[k] = 1;
        struct tcp_opts p;
        cr_assert_eq(tcp_opts_parse(raw, 20, &p), 0, "len %u", bad[i]);
        cr_assert(!p.fo_ok, "len %u", bad[i]);
    }
}

Test(tcp_codec, every_truncation_rejected)
{
    struct tcp_opts o = {.mss_ok = true, .mss = 1460, .sack_perm = true, .ts_ok = true, .ws_ok = true};
    uint8_t buf[60];
    size_t n = build(buf, &o, TCP_SYN);
    struct tcp_hdr h;
    for (size_t len = 0; len < n; len++)
        cr_assert_eq(tcp_hdr_parse(buf, len, &h), -1, "truncated to %zu", len);
    cr_assert_eq(tcp_hdr_parse(buf, n, &h), 0);
}

Test(tcp_codec, bad_data_offset)
{
    struct tcp_opts o = {0};
    uint8_t buf[64];
    size_t n = build(buf, &o, TCP_ACK);
    struct tcp_hdr h;
    for (int off = 0; off < 5; off++) {
        buf[12] = (uint8_t)(off << 4);
        cr_assert_eq(tcp_hdr_parse(buf, n, &h), -1, "offset %d", off);
    }
    buf[12] = 6 << 4;          /* 24 bytes claimed, 20 present */
    cr_assert_eq(tcp_hdr_parse(buf, n, &h), -1);
}

Test(tcp_codec, unknown_options_skipped_bad_lengths_rejected)
{
    uint8_t buf[40];
    memset(buf, 0, sizeof buf);
    buf[12] = 8 << 4;          /* 32 bytes: 12 of options */
    /* kind 30 (MPTCP) len 4, NOP, MSS */
    uint8_t opts[12] = {30, 4, 0xaa, 0xbb, 1, 2, 4, 0x02, 0x18, 0, 0, 0};
    memcpy(buf + 20, opts, sizeof opts);
    struct tcp_hdr h;
    cr_assert_eq(tcp_hdr_parse(buf, 32, &h), 0);
    cr_assert(h.opt.mss_ok && h.opt.mss == 536);
    /* length 0, 1 and past the end: the segment is invalid */
    buf[21] = 0;
    cr_assert_eq(tcp_hdr_parse(buf, 32, &h), -1);
    buf[21] = 1;
    cr_assert_eq(tcp_hdr_parse(buf, 32, &h), -1);
    buf[21] = 13;
    cr_assert_eq(tcp_hdr_parse(buf, 32, &h), -1);
    /* a kind with no room for its length byte */
    memset(buf + 20, 1, 12);
    buf[31] = 30;
    cr_assert_eq(tcp_hdr_parse(buf, 32, &h), -1);
    /* wrong fixed length for MSS: ignored, not fatal */
    uint8_t o2[12] = {2, 3, 5, 1, 1, 1, 1, 1, 1, 1, 1, 0};
    memcpy(buf + 20, o2, sizeof o2);
    cr_assert_eq(tcp_hdr_parse(buf, 32, &h), 0);
    cr_assert(!h.opt.mss_ok);
    /* EOL ends the list */
    uint8_t o3[12] = {0, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99};
    memcpy(buf + 20, o3, sizeof o3);
    cr_assert_eq(tcp_hdr_parse(buf, 32, &h), 0);
}

Test(tcp_codec, checksum_with_pseudo_header)
{
    struct tcp_opts o = {0};
    uint8_t buf[64];
    size_t n = build(buf, &o, TCP_ACK);
    memcpy(buf + n, "data!", 5);
    n += 5;
    struct ipaddr a = ip4(IP4(198, 18, 0, 1)), b = ip4(IP4(198, 18, 0, 2));
    tcp_set_checksum(&a, &b, buf, n);
    cr_assert_eq(tcp_checksum(&a, &b, buf, n), 0);
    cr_assert_neq(tcp_checksum(&b, &a, buf, n - 1), 0);
    buf[n - 1] ^= 1;
    cr_assert_neq(tcp_checksum(&a, &b, buf, n), 0);
}

/* ---- sequence numbers ---- */

Test(tcp_seq, wraparound)
{
    cr_assert(seq_lt(0xfffffff0u, 0x10u));
    cr_assert(seq_gt(0x10u, 0xfffffff0u));
    cr_assert(seq_leq(5, 5) && seq_geq(5, 5));
    cr_assert(!seq_lt(5, 5));
    cr_assert(seq_in(0, 0xffffff00u, 0x100u));
    cr_assert(!seq_in(0x100u, 0xffffff00u, 0x100u));
    cr_assert_eq(seq_max(0xfffffff0u, 3), 3);
    cr_assert_eq(seq_min(0xfffffff0u, 3), 0xfffffff0u);
}

/* ---- a control block on a real stack, for the algorithm tests ---- */

static struct stack *st;
static struct tcpcb *tp;

static void setup(void)
{
    st = stack_create(7, 1000000);
    struct sock *s;
    cr_assert_eq(sock_create(st, TP_AF_INET, 1 /* SOCK_STREAM */, 0, &s), 0);
    tp = tcp_from_sock(s);
    tp->mss = 1000;
}

static void teardown(void)
{
    sock_close(&tp->sk);
    stack_destroy(st);
}

Test(tcp_rto, rfc6298, .init = setup, .fini = teardown)
{
    /* 2.1: 1 s before any sample */
    cr_assert_eq(tcp_current_rto(tp), 1000000);
    /* 2.2: first sample R = 100 ms: SRTT 100, RTTVAR 50, RTO = 100 + max(200, 200) */
    tcp_rtt_sample(tp, 100000);
    cr_assert_eq(tp->srtt_us, 100000);
    cr_assert_eq(tp->rttvar_us, 50000);
    cr_assert_eq(tp->rto_us, 300000);
    /* 2.3: R' = 200 ms: RTTVAR = 3/4*50 + 1/4*100 = 62.5, SRTT = 7/8*100 + 1/8*200 = 112.5 */
    tcp_rtt_sample(tp, 200000);
    cr_assert_eq(tp->rttvar_us, 62500);
    cr_assert_eq(tp->srtt_us, 112500);
    cr_assert_eq(tp->rto_us, 112500 + 250000);
    /* Tiny RTTs: the floor (rto_min as G) holds. */
    for (int i = 0; i < 50; i++)
        tcp_rtt_sample(tp, 100);
    cr_assert_geq(tp->rto_us, 200000);
    cr_assert_lt(tp->rto_us, 210000);
    /* 5.5: backoff doubles, 2.5: capped at 120 s */
    tp->backoff = 1;
    cr_assert_eq(tcp_current_rto(tp), 2 * tp->rto_us);
    tp->backoff = 15;
    cr_assert_eq(tcp_current_rto(tp), 120000000);
}

/* ---- CUBIC ---- */

Test(tcp_cubic, window_function_rfc9438)
{
    /* W_max 100, cwnd at epoch 70 (beta 0.7): K = cbrt(30/0.4) */
    double k = cubic_k(100, 70);
    cr_assert_float_eq(k * k * k, 30 / 0.4, 1e-9, "K^3 = W_max(1-beta)/C");
    cr_assert_float_eq(cubic_w(0, 100, k), 70, 1e-6, "starts at beta*W_max");
    cr_assert_float_eq(cubic_w(k, 100, k), 100, 1e-9, "plateau at W_max after K");
    for (double t = 0; t < 10; t += 0.25)
        cr_assert_float_eq(cubic_w(t, 100, k), 0.4 * (t - k) * (t - k) * (t - k) + 100, 1e-9);
    cr_assert_float_eq(cubic_k(50, 50), 0, 1e-12);
}

Test(tcp_cubic, loss_sets_ssthresh_beta, .init = setup, .fini = teardown)
{
    tp->cc = &cc_cubic;
    tp->cc->init(tp);
    tp->cwnd = 10 * tp->mss;
    tp->cc->cong_signal(tp, CC_NDUPACK);
    cr_assert_eq(tp->ssthresh, 7 * tp->mss);
    tp->cc->post_recovery(tp);
    cr_assert_eq(tp->cwnd, 7 * tp->mss);
    tp->cc->cong_signal(tp, CC_RTO);
    cr_assert_eq(tp->cwnd, tp->mss);
}

Test(tcp_newreno, slow_start_and_avoidance, .init = setup, .fini = teardown)
{
    tp->cc = &cc_newreno;
    tp->cc->init(tp);
    tp->cc->conn_init(tp);
    cr_assert_eq(tp->cwnd, 10 * tp->mss, "IW10");
    tp->ssthresh = 12 * tp->mss;
    tp->cc->ack_received(tp, 3 * tp->mss);      /* 2 to ssthresh, 1 left for CA */
    cr_assert_eq(tp->cwnd, 12 * tp->mss);
    for (int i = 0; i < 11; i++)
        tp->cc->ack_received(tp, tp->mss);
    cr_assert_eq(tp->cwnd, 13 * tp->mss, "one MSS per window in congestion avoidance");
}

/* ---- sender scoreboard ---- */

static struct tcp_opts sacks(int n, const uint32_t *b)
{
    struct tcp_opts o;
    memset(&o, 0, sizeof o);
    o.n_sack = (uint8_t)n;
    for (int i = 0; i < n; i++) {
        o.sack[i].start = b[2 * i];
        o.sack[i].end = b[2 * i + 1];
    }
    return o;
}

Test(tcp_sack, scoreboard_merge_trim_lost, .init = setup, .fini = teardown)
{
    tp->snd_una = 1;
    tp->snd_nxt = 10001;
    tp->high_rxt = tp->lost_high = 1;
    uint32_t b1[] = {2001, 3001};
    struct tcp_opts o = sacks(1, b1);
    cr_assert_eq(tcp_sack_update(tp, &o, 1), 1000);
    uint32_t b2[] = {3001, 5001, 6001, 7001};
    o = sacks(2, b2);
    cr_assert_eq(tcp_sack_update(tp, &o, 1), 3000);
    cr_assert_eq(tp->n_sb, 2, "adjacent blocks merged");
    cr_assert_eq(tp->sacked_bytes, 4000);
    /* Repeats add nothing; D-SACK below the ACK and blocks past SND.NXT are ignored. */
    uint32_t b3[] = {2001, 3001, 0, 1, 9001, 20001};
    o = sacks(3, b3);
    cr_assert_eq(tcp_sack_update(tp, &o, 1), 0);
    cr_assert(tcp_sack_is_sacked(tp, 2500) && !tcp_sack_is_sacked(tp, 5500));
    cr_assert_eq(tcp_sack_bytes_between(tp, 1, 10001), 4000);
    /* IsLost: more than 2*MSS SACKed above 1..2001 and 5001..6001 */
    tp->ca_state = TCP_CA_Recovery;
    tcp_update_lost(tp);
    cr_assert_eq(tp->lost_high, 2001);
    uint32_t seq, len;
    cr_assert(tcp_next_lost(tp, &seq, &len, 1000));
    cr_assert_eq(seq, 1);
    cr_assert_eq(len, 1000);
    tp->high_rxt = 1001;
    cr_assert(tcp_next_lost(tp, &seq, &len, 1000));
    cr_assert_eq(seq, 1001);
    tp->high_rxt = 2001;
    cr_assert(!tcp_next_lost(tp, &seq, &len, 1000), "nothing lost above HighRxt");
    /* A cumulative ACK trims. */
    tp->snd_una = 4001;
    tcp_sack_trim(tp);
    cr_assert_eq(tp->sacked_bytes, 2000);
    cr_assert_eq(tp->sb[0].start, 4001);
}

Test(tcp_sack, scoreboard_is_capped, .init = setup, .fini = teardown)
{
    tp->snd_una = 1;
    tp->snd_nxt = 1000001;
    for (uint32_t i = 0; i < 200; i++) {
        uint32_t b[] = {1 + i * 2000, 1001 + i * 2000};
        struct tcp_opts o = sacks(1, b);
        tcp_sack_update(tp, &o, 1);
    }
    cr_assert_eq(tp->n_sb, TCP_SACK_SCOREBOARD_MAX);
}

/* ---- receiver: out-of-order ranges ---- */

Test(tcp_reass, overlaps_merge_and_advance, .init = setup, .fini = teardown)
{
    tp->rcv_nxt = 1000;
    cr_assert(tcp_ooo_add(tp, 3000, 4000));
    cr_assert(tcp_ooo_add(tp, 1500, 2000));
    cr_assert(tcp_ooo_add(tp, 3500, 4500));      /* overlaps the first */
    cr_assert(tcp_ooo_add(tp, 2000, 2100));      /* touches the second */
    cr_assert_eq(tp->n_ooo, 2);
    cr_assert_eq(tp->ooo[0].start, 1500);
    cr_assert_eq(tp->ooo[0].end, 2100);
    cr_assert_eq(tp->ooo[1].start, 3000);
    cr_assert_eq(tp->ooo[1].end, 4500);
    /* SACK blocks: most recently changed first (RFC 2018 4). */
    tp->sack_ok = true;
    struct tcp_sack_block blk[4];
    int n = tcp_sack_fill(tp, blk, 4);
    cr_assert_eq(n, 2);
    cr_assert_eq(blk[0].start, 1500);
    cr_assert_eq(blk[1].start, 3000);
    /* A D-SACK goes first. */
    tp->dsack_pending = true;
    tp->dsack.start = 500;
    tp->dsack.end = 600;
    n = tcp_sack_fill(tp, blk, 4);
    cr_assert_eq(n, 3);
    cr_assert_eq(blk[0].start, 500);
    /* The hole below 1500 fills: rcv_nxt jumps to 2100. */
    tp->rcv_nxt = 1600;
    cr_assert_eq(tcp_ooo_advance(tp), 2100);
    cr_assert_eq(tp->n_ooo, 1);
}

Test(tcp_reass, range_cap, .init = setup, .fini = teardown)
{
    tp->rcv_nxt = 0;
    for (int i = 0; i < TCP_OOO_MAX_RANGES; i++)
        cr_assert(tcp_ooo_add(tp, 100u * (uint32_t)i + 10, 100u * (uint32_t)i + 20));
    cr_assert(!tcp_ooo_add(tp, 100000, 100010), "a new range past the cap is refused");
    cr_assert(tcp_ooo_add(tp, 15, 25), "merging into an existing one still works");
}
