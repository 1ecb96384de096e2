/* TCP pacing: spreading a window of data over the round trip instead of
 * sending it in one burst, as Linux does with the fq qdisc or its internal
 * pacing (sk_pacing_rate, tcp_wstamp_ns: the "earliest departure time"
 * model).  Off by default; on for every connection with the stack setting
 * tcp.pacing (tapir-drill sets it for `tc qdisc ... fq`), and for one
 * socket with SO_MAX_PACING_RATE, which also caps the rate.
 *
 * Why pace?  A sender that answers each ACK with a back-to-back burst fills
 * the bottleneck queue for a moment: the RTT samples of that burst grow,
 * and CUBIC's HyStart (delay increase) leaves slow start too early.  Paced
 * segments arrive at the rate the path drains them.
 *
 * 1. The rate (Linux's tcp_update_pacing_rate), recomputed on every ACK:
 *
 *        rate = ratio% * max(cwnd, bytes in flight) / srtt   (bytes/s)
 *
 *    ratio is tcp_pacing_ss_ratio (200) while cwnd < ssthresh/2: slow start
 *    doubles cwnd each round, so the rate must be twice the current one to
 *    keep up; closer to ssthresh, and in congestion avoidance, it is
 *    tcp_pacing_ca_ratio (120).  Without an RTT sample yet the rate is
 *    unlimited.  SO_MAX_PACING_RATE caps the result.
 *
 * 2. Departures.  Data goes out in bursts (Linux's TSO/GSO packets): a burst
 *    holds tcp_min_tso_segs segments (more when the rate is high: about a
 *    millisecond's worth), at most half of cwnd and what cwnd allows.  A
 *    burst may start when the clock has reached pace_next_ns; it then moves
 *    pace_next_ns on by the burst's length at the rate:
 *
 *        pace_next_ns = max(pace_next_ns, now) + bytes * 1e9 / rate
 *
 *    A burst that starts late (the sender had nothing to send, or waited for
 *    an ACK) is forgiven up to half of its own length (Linux's credit for
 *    timer jitter), so an ACK-clocked sender is not held back a whole slot.
 *    The first 10 segments of a connection are not paced (as sch_fq's
 *    initial quantum).
 *
 * 3. tcp_output() asks tcp_pacing_wait() before each segment: when a new
 *    burst may not start yet, the pacing timer is armed for pace_next_ns and
 *    the output loop stops; the timer calls tcp_output() again.
 */
#include <stdint.h>

#include "stack/stack.h"
#include "stack/tcp/tcp.h"
#include "stack/timer.h"

#define NSEC_PER_SEC 1000000000ull
#define PACING_UNPACED_SEGS 10   /* the connection's first segments go unpaced */
#define PACING_SHIFT 10          /* a burst holds ~1/1024 s of data at the rate (sk_pacing_shift) */
#define PACING_MAX_BURST 65536   /* bytes: the largest TSO packet (Linux's gso max) */

bool tcp_pacing_on(const struct tcpcb *tp)
{
    return tp->st->cfg.tcp.pacing || tp->sk.pacing_needed;
}

/* The rate formula (1. above), a pure function so that unit tests check it.
 * cwnd, in_flight and ssthresh are bytes; mss is kept for the in-flight
 * rounding Linux applies (whole segments). */
uint64_t tcp_pacing_rate_calc(uint32_t mss, uint32_t cwnd, uint32_t in_flight, uint32_t ssthresh,
                              uint32_t srtt_us, uint32_t ss_ratio, uint32_t ca_ratio, uint64_t max_rate)
{
    (void)mss;
    uint64_t rate = UINT64_MAX;
    if (srtt_us) {
        uint32_t ratio = cwnd < ssthresh / 2 ? ss_ratio : ca_ratio;
        uint64_t window = cwnd > in_flight ? cwnd : in_flight;
        /* bytes/s = window * (ratio / 100) / (srtt_us / 1e6) */
        rate = window * ratio * 10000u / srtt_us;
    }
    return rate < max_rate ? rate : max_rate;
}

void tcp_pacing_update_rate(struct tcpcb *tp)
{
    const struct tcp_settings *t = &tp->st->cfg.tcp;
    uint64_t cap = tp->sk.pacing_capped ? tp->sk.max_pacing_rate : UINT64_MAX;
    tp->pacing_rate = tcp_pacing_rate_calc(tp->mss, tp->cwnd, tp->snd_nxt - tp->snd_una, tp->ssthresh,
                                           tp->srtt_us, t->pacing_ss_ratio, t->pacing_ca_ratio, cap);
}

/* Segments in one burst at the current rate (Linux's tcp_tso_autosize):
 * about 1 ms of data, at least tcp_min_tso_segs. */
static uint32_t burst_segs(struct tcpcb *tp)
{
    uint32_t mss = tp->mss ? tp->mss : 1;
    uint64_t bytes = tp->pacing_rate >> PACING_SHIFT;
    if (bytes > PACING_MAX_BURST)
        bytes = PACING_MAX_BURST;
    uint32_t segs = (uint32_t)(bytes / mss);
    uint32_t min = tp->st->cfg.tcp.min_tso_segs ? tp->st->cfg.tcp.min_tso_segs : 1;
    return segs > min ? segs : min;
}

/* The burst size tcp_output's PSH chunks follow while pacing (0: no cap). */
uint32_t tcp_pacing_burst_cap(struct tcpcb *tp)
{
    if (!tcp_pacing_on(tp))
        return 0;
    if (!tp->pacing_rate)
        tcp_pacing_update_rate(tp);
    return burst_segs(tp);
}

/* The pacing timer: the next burst's departure time has come. */
void tcp_pacing_fire(struct stack *st, struct timer *t)
{
    (void)st;
    tcp_output(container_of(t, struct tcpcb, t_pace));
}

/* May a segment go now?  Inside an open burst, yes.  Otherwise a new burst
 * opens if its departure time has come; if not, the pacing timer is armed
 * for it and the caller stops sending (true: wait). */
bool tcp_pacing_wait(struct tcpcb *tp, uint32_t cwnd_room)
{
    struct stack *st = tp->st;
    if (!tcp_pacing_on(tp) || tp->pace_left)
        return false;
    if (!tp->pacing_rate)
        tcp_pacing_update_rate(tp);
    /* A cap set since the last ACK applies at once (Linux lowers
     * sk_pacing_rate in setsockopt); a cap lifted waits for the next ACK. */
    if (tp->sk.pacing_capped && tp->pacing_rate > tp->sk.max_pacing_rate)
        tp->pacing_rate = tp->sk.max_pacing_rate;
    uint64_t now_ns = st->now * 1000u;
    if (tp->pace_next_ns > now_ns) {
        if (!timer_armed(&tp->t_pace))
            timer_arm(&st->timers, &tp->t_pace, (tp->pace_next_ns + 999) / 1000);
        return true;
    }
    /* Open a burst: its size as Linux's TSO packet (tcp_cwnd_test: at most
     * half of cwnd, and what cwnd still allows). */
    uint32_t mss = tp->mss ? tp->mss : 1;
    uint32_t segs = burst_segs(tp);
    uint32_t half = tp->cwnd / mss / 2;
    if (half < 1)
        half = 1;
    if (segs > half)
        segs = half;
    if (cwnd_room / mss && segs > cwnd_room / mss)
        segs = cwnd_room / mss;
    tp->pace_left = segs;
    tp->pace_bytes = 0;
    tp->pace_credit_ns = now_ns - tp->pace_next_ns;
    tp->pace_next_ns = now_ns;
    return false;
}

/* Closes the open burst: the next one may leave when this one has, at the
 * rate, less the credit for starting late (at most half its length). */
void tcp_pacing_end(struct tcpcb *tp)
{
    if (!tp->pace_left && !tp->pace_bytes)
        return;
    uint64_t rate = tp->pacing_rate;
    if (tp->pace_bytes && rate && rate != UINT64_MAX && tp->data_segs_out >= PACING_UNPACED_SEGS) {
        uint64_t len_ns = (uint64_t)tp->pace_bytes * NSEC_PER_SEC / rate;
        uint64_t credit = tp->pace_credit_ns < len_ns / 2 ? tp->pace_credit_ns : len_ns / 2;
        tp->pace_next_ns += len_ns - credit;
    }
    tp->pace_left = 0;
    tp->pace_bytes = 0;
}

/* A segment of len bytes left in the open burst; a short one ends it (a
 * sub-MSS tail is a packet of its own). */
void tcp_pacing_sent(struct tcpcb *tp, uint32_t len)
{
    if (!tcp_pacing_on(tp) || !tp->pace_left)
        return;
    tp->pace_bytes += len;
    tp->pace_left--;
    if (tp->pace_left == 0 || len < tp->mss)
        tcp_pacing_end(tp);
}
