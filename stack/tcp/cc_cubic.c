/* CUBIC congestion control (RFC 9438).
 *
 * After a congestion event the window follows
 *     W_cubic(t) = C * (t - K)^3 + W_max                      (eq. 1)
 *     K = cbrt((W_max - cwnd_epoch) / C)                       (eq. 2)
 * in segments, t in seconds since the epoch began: concave up to W_max, flat
 * around it, then convex probing beyond.  A Reno-friendly estimate W_est
 * (4.3) keeps CUBIC at least as aggressive as Reno on short RTT paths.  On a
 * loss ssthresh = cwnd * beta (beta = 0.7; Linux's integer 717/1024), with
 * fast convergence (4.7) lowering W_max when the window is still shrinking.
 *
 * How the growth is counted follows Linux's bictcp_update, which the corpus
 * records: cwnd grows one segment per cnt segments acknowledged, cnt =
 * cwnd / (W_cubic - cwnd) in whole segments, at most 20 before the first
 * reduction (5% per RTT while the bandwidth is unknown), lowered when the
 * Reno estimate (one segment per cwnd*15/8 acknowledged) is ahead, at least
 * 2; credit counted against a larger cnt buys a segment at once.
 *
 * Slow start ends early, before a loss, when HyStart sees the path's queue
 * build up (Ha & Rhee, "Taming the elephants", 2011; Linux tcp_cubic.c,
 * which the packetdrill corpus checks).  Per round trip (until SND.UNA
 * passes the SND.NXT of the round's start) and once cwnd >= 16 segments:
 *   - delay: the smallest RTT of the round's first 8 ACKs, if it exceeds the
 *     connection's minimum RTT by more than clamp(min/8, 4 ms, 16 ms);
 *   - ACK train: ACKs keep arriving at most 2 ms apart for longer than
 *     half the minimum RTT since the round began;
 * sets ssthresh = cwnd (congestion avoidance from there).  Once found it
 * stays off until a retransmission timeout resets the controller.  The
 * setting tcp_settings.hystart chooses the detectors (Linux's
 * hystart_detect; 0 turns HyStart off).  RFC 9406 (HyStart++) is the IETF's
 * later variant (it adds a Conservative Slow Start phase); tapir follows
 * Linux's HyStart, see docs/rfc/rfc9406.md.
 */
#include <string.h>

#include "stack/tcp/cc.h"
#include "stack/tcp/tcp.h"

struct cubic {
    double w_max;          /* segments, window before the last reduction */
    double k;              /* seconds */
    double w_est;          /* Reno-friendly estimate, segments */
    double frac;           /* segments acknowledged toward the next increase (Linux's snd_cwnd_cnt) */
    uint64_t epoch_start;  /* µs; 0: no epoch (starts at the first CA ack) */
    double cwnd_epoch;
    /* HyStart */
    uint64_t round_start;  /* µs: when the current round began */
    uint64_t last_ack;     /* µs: the latest ACK of the current ACK train */
    uint32_t round_end;    /* the round ends when SND.UNA passes this */
    uint32_t delay_min;    /* µs: smallest RTT seen (0: none yet) */
    uint32_t curr_rtt;     /* µs: smallest RTT of this round's samples */
    uint8_t sample_cnt;    /* samples taken this round */
    bool found;            /* HyStart ended slow start already */
    double ack_cnt;        /* segments acknowledged toward w_est's next increase */
    bool lost;             /* w_max comes from a reduction (Linux: last_max_cwnd != 0) */
};
_Static_assert(sizeof(struct cubic) <= CC_STATE_BYTES, "cubic state fits");

static struct cubic *cb(struct tcpcb *tp) { return (struct cubic *)(void *)tp->cc_state; }

/* floor() for non-negative values (the library links no libm). */
static double floor_pos(double x)
{
    return (double)(uint64_t)x;
}

double cubic_w(double t, double w_max, double k)
{
    double d = t - k;
    return CUBIC_C * d * d * d + w_max;
}

/* Cube root by Newton's method (keeps the library free of libm). */
static double cube_root(double x)
{
    if (x <= 0)
        return 0.0;
    double y = x > 1 ? x / 3 : 1.0;
    for (int i = 0; i < 100; i++) {
        double ny = y - (y * y * y - x) / (3 * y * y);
        if (ny == y)
            break;
        y = ny;
    }
    return y;
}

double cubic_k(double w_max, double cwnd_epoch)
{
    return cube_root((w_max - cwnd_epoch) / CUBIC_C);
}

static void cubic_init(struct tcpcb *tp) { memset(tp->cc_state, 0, sizeof tp->cc_state); }

#define HYSTART_LOW_WINDOW  16     /* segments: below this HyStart does not look */
#define HYSTART_MIN_SAMPLES 8      /* RTT samples per round before the delay test */
#define HYSTART_ACK_DELTA   2000   /* µs: ACKs closer than this form a train */
#define HYSTART_DELAY_MIN   4000   /* µs: bounds of the delay threshold */
#define HYSTART_DELAY_MAX   16000

static void hystart_round_reset(struct tcpcb *tp)
{
    struct cubic *c = cb(tp);
    c->round_start = c->last_ack = tp->st->now;
    c->round_end = tp->snd_nxt;
    c->curr_rtt = UINT32_MAX;
    c->sample_cnt = 0;
}

static void cubic_conn_init(struct tcpcb *tp)
{
    tp->cwnd = cc_initial_window(tp);
    hystart_round_reset(tp);
}

static void hystart_exit(struct tcpcb *tp)
{
    cb(tp)->found = true;
    tp->ssthresh = tp->cwnd;
    tcp_trace(tp, TCP_EV_CWND, tp->cwnd, tp->ssthresh, 0);
}

static void hystart_update(struct tcpcb *tp, uint32_t rtt)
{
    struct cubic *c = cb(tp);
    uint8_t detect = tp->st->cfg.tcp.hystart;
    uint64_t now = tp->st->now;
    /* Below the low window HyStart does not look, and its rounds do not
     * advance either (Linux's hystart_update is not called): the first
     * round starts at the first ACK with cwnd >= 16 segments. */
    if (tp->cwnd < HYSTART_LOW_WINDOW * (uint32_t)tp->mss)
        return;
    if (seq_gt(tp->snd_una, c->round_end))
        hystart_round_reset(tp);
    if ((detect & 1) && now - c->last_ack <= HYSTART_ACK_DELTA) {
        c->last_ack = now;
        /* tapir does not pace: the train must outlast half the minimum RTT. */
        if (now - c->round_start > c->delay_min / 2) {
            hystart_exit(tp);
            return;
        }
    }
    if (detect & 2) {
        if (rtt < c->curr_rtt)
            c->curr_rtt = rtt;
        if (c->sample_cnt < HYSTART_MIN_SAMPLES) {
            c->sample_cnt++;
        } else {
            uint32_t thresh = c->delay_min / 8;
            if (thresh < HYSTART_DELAY_MIN)
                thresh = HYSTART_DELAY_MIN;
            if (thresh > HYSTART_DELAY_MAX)
                thresh = HYSTART_DELAY_MAX;
            if (c->curr_rtt > c->delay_min + thresh)
                hystart_exit(tp);
        }
    }
}

static void cubic_rtt_sample(struct tcpcb *tp, uint32_t rtt)
{
    struct cubic *c = cb(tp);
    /* Samples right after a reduction still carry the old queue (Linux
     * discards the first second of an epoch). */
    if (c->epoch_start && tp->st->now - c->epoch_start < 1000000)
        return;
    if (c->delay_min == 0 || rtt < c->delay_min)
        c->delay_min = rtt;
    if (!c->found && tp->cwnd < tp->ssthresh && tp->st->cfg.tcp.hystart)
        hystart_update(tp, rtt);
}

static void cubic_ack_received(struct tcpcb *tp, uint32_t acked)
{
    struct cubic *c = cb(tp);
    if (tp->cwnd < tp->ssthresh) {
        acked = cc_slow_start(tp, acked);
        if (!acked)
            return;
    }
    double mss = tp->mss;
    double cwnd = tp->cwnd / mss;
    uint64_t now = tp->st->now;
    if (c->epoch_start == 0) {
        c->epoch_start = now ? now : 1;
        c->cwnd_epoch = cwnd;
        if (cwnd < c->w_max) {
            c->k = cubic_k(c->w_max, cwnd);
        } else {
            c->k = 0;
            c->w_max = cwnd;
        }
        c->w_est = cwnd;
        c->ack_cnt = 0;
    }
    /* 4.2: the target is where W_cubic will be one RTT from now. */
    double rtt = (tp->min_rtt_us ? tp->min_rtt_us : (tp->srtt_us ? tp->srtt_us : 100000)) / 1e6;
    double t = (double)(now - c->epoch_start) / 1e6;
    double target = cubic_w(t + rtt, c->w_max, c->k);
    /* 4.4/4.5: cwnd grows by (target - cwnd) / cwnd per acknowledged
     * segment, counted as Linux's bictcp_update does: one segment per cnt
     * acknowledged, cnt = cwnd / (target - cwnd) in whole segments. */
    double bic = floor_pos(target > cwnd ? target : cwnd);
    double cnt = bic > cwnd ? floor_pos(cwnd / (bic - cwnd)) : 100 * cwnd;
    /* Before the first reduction the bandwidth is unknown and the curve,
     * flat at its origin, would hardly grow: at least 5% per RTT. */
    if (!c->lost && cnt > 20)
        cnt = 20;
    /* 4.3: Reno-friendly region, counted as Linux does: an estimate of
     * Reno's window (w_est) that grows a segment per cwnd*15/8 segments
     * acknowledged (Linux's beta_scale, alpha ~ 3(1-beta)/(1+beta)); when it
     * is ahead of cwnd, cwnd grows at least as fast as it would. */
    double segs = acked / mss;
    c->ack_cnt += segs;
    double delta = floor_pos(cwnd * 15 / 8);
    while (delta > 0 && c->ack_cnt > delta) {
        c->ack_cnt -= delta;
        c->w_est += 1;
    }
    if (c->w_est > cwnd && cnt > floor_pos(cwnd / (c->w_est - cwnd)))
        cnt = floor_pos(cwnd / (c->w_est - cwnd));
    /* At most one segment per two acknowledged (cwnd x1.5 per RTT). */
    if (cnt < 2)
        cnt = 2;
    /* Linux's tcp_cong_avoid_ai: segments acknowledged are counted against
     * cnt; credit earned while cnt was larger buys a segment at once. */
    if (c->frac >= cnt) {
        c->frac = 0;
        tp->cwnd += tp->mss;
    }
    c->frac += segs;
    if (c->frac >= cnt) {
        uint32_t whole = (uint32_t)(c->frac / cnt);
        c->frac -= whole * cnt;
        tp->cwnd += whole * tp->mss;
    }
}

static void cubic_reduce(struct tcpcb *tp)
{
    struct cubic *c = cb(tp);
    uint32_t segs = tp->cwnd / tp->mss;
    /* 4.7 fast convergence: a flow whose window keeps shrinking yields. */
    if (segs < c->w_max)
        c->w_max = segs * (1 + CUBIC_BETA) / 2;
    else
        c->w_max = segs;
    c->epoch_start = 0;
    c->frac = 0;
    c->lost = true;
    uint32_t ss = (segs * 717) >> 10;     /* beta = 0.7 in Linux's fixed point */
    tp->ssthresh = (ss > 2 ? ss : 2) * tp->mss;
}

static void cubic_cong_signal(struct tcpcb *tp, enum cc_signal sig)
{
    switch (sig) {
    case CC_NDUPACK:
    case CC_ECN:
        cubic_reduce(tp);
        break;
    case CC_RTO: {
        cubic_reduce(tp);
        tp->cwnd = tp->mss;
        /* Linux resets the controller on a timeout (bictcp_reset): W_max,
         * the minimum RTT and HyStart start over (RFC 9438 leaves W_max as
         * set by the reduction; the corpus checks Linux's growth). */
        struct cubic *c = cb(tp);
        c->w_max = 0;          /* the next epoch starts flat at cwnd (K = 0) */
        c->lost = false;
        c->k = 0;
        c->w_est = 0;
        c->delay_min = 0;
        c->found = false;
        hystart_round_reset(tp);
        break;
    }
    case CC_RTO_ERR:
        tp->cwnd = tp->prior_cwnd;
        tp->ssthresh = tp->prior_ssthresh;
        break;
    }
}

static void cubic_post_recovery(struct tcpcb *tp)
{
    tp->cwnd = tp->ssthresh;
}

static void cubic_after_idle(struct tcpcb *tp)
{
    uint32_t iw = cc_initial_window(tp);
    if (tp->cwnd > iw)
        tp->cwnd = iw;
    cb(tp)->epoch_start = 0;
}

/* After an application-limited pause the curve resumes where it left off:
 * the epoch moves forward by the idle time, so that the pause does not
 * count as time for the window to grow (Linux's bictcp_cwnd_event). */
static void cubic_tx_start(struct tcpcb *tp, uint64_t idle_us)
{
    struct cubic *c = cb(tp);
    uint64_t now = tp->st->now;
    if (c->epoch_start && idle_us) {
        c->epoch_start += idle_us;
        if (c->epoch_start > now)
            c->epoch_start = now;
    }
}

const struct cc_algo cc_cubic = {
    .name = "cubic",
    .init = cubic_init,
    .conn_init = cubic_conn_init,
    .rtt_sample = cubic_rtt_sample,
    .ack_received = cubic_ack_received,
    .cong_signal = cubic_cong_signal,
    .post_recovery = cubic_post_recovery,
    .after_idle = cubic_after_idle,
    .tx_start = cubic_tx_start,
};
