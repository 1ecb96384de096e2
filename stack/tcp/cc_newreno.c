/* NewReno congestion control (RFC 5681 slow start and congestion avoidance;
 * the recovery mechanics of RFC 6582 live in tcp_sack.c/tcp_input.c, with PRR
 * setting cwnd during recovery). */
#include <string.h>

#include "stack/tcp/cc.h"
#include "stack/tcp/tcp.h"

struct newreno {
    uint32_t acked_cnt;   /* bytes acknowledged towards the next cwnd increase */
};
_Static_assert(sizeof(struct newreno) <= CC_STATE_BYTES, "newreno state fits");

static struct newreno *nr(struct tcpcb *tp) { return (struct newreno *)(void *)tp->cc_state; }

static void nr_init(struct tcpcb *tp) { memset(tp->cc_state, 0, sizeof tp->cc_state); }

static void nr_conn_init(struct tcpcb *tp)
{
    tp->cwnd = cc_initial_window(tp);
}

static void nr_ack_received(struct tcpcb *tp, uint32_t acked)
{
    if (tp->cwnd < tp->ssthresh) {
        acked = cc_slow_start(tp, acked);
        if (!acked)
            return;
    }
    /* Congestion avoidance (RFC 5681 3.1, byte counting per RFC 3465):
     * one SMSS more per cwnd's worth of bytes acknowledged. */
    struct newreno *s = nr(tp);
    s->acked_cnt += acked;
    if (s->acked_cnt >= tp->cwnd) {
        s->acked_cnt -= tp->cwnd;
        tp->cwnd += tp->mss;
    }
}

static uint32_t half_flight(const struct tcpcb *tp)
{
    /* RFC 5681 eq. 4: ssthresh = max(FlightSize / 2, 2*SMSS) */
    uint32_t flight = tp->snd_nxt - tp->snd_una;
    uint32_t h = flight / 2;
    return h > 2u * tp->mss ? h : 2u * tp->mss;
}

static void nr_cong_signal(struct tcpcb *tp, enum cc_signal sig)
{
    switch (sig) {
    case CC_NDUPACK:
    case CC_ECN:
        tp->ssthresh = half_flight(tp);
        nr(tp)->acked_cnt = 0;
        break;
    case CC_RTO:
        tp->ssthresh = half_flight(tp);
        tp->cwnd = tp->mss;           /* loss window (RFC 5681 3.1) */
        nr(tp)->acked_cnt = 0;
        break;
    case CC_RTO_ERR:
        tp->cwnd = tp->prior_cwnd;
        tp->ssthresh = tp->prior_ssthresh;
        break;
    }
}

static void nr_post_recovery(struct tcpcb *tp)
{
    /* RFC 6937: at the end of recovery cwnd = ssthresh. */
    tp->cwnd = tp->ssthresh;
}

static void nr_after_idle(struct tcpcb *tp)
{
    /* RFC 5681 4.1: cwnd = min(RW, cwnd), RW = IW. */
    uint32_t iw = cc_initial_window(tp);
    if (tp->cwnd > iw)
        tp->cwnd = iw;
}

const struct cc_algo cc_newreno = {
    .name = "newreno",
    .init = nr_init,
    .conn_init = nr_conn_init,
    .ack_received = nr_ack_received,
    .cong_signal = nr_cong_signal,
    .post_recovery = nr_post_recovery,
    .after_idle = nr_after_idle,
};
