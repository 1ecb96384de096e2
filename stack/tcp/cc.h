/* Congestion control behind a small ops struct, chosen per socket
 * (TCP_CONGESTION), in the shape of FreeBSD's cc/cc.h.  The TCP core calls
 * these hooks at the moments that matter and never does cwnd arithmetic
 * itself; a controller owns tp->cwnd and tp->ssthresh (bytes) and keeps its
 * private state in tp->cc_state.
 *
 *   init          a connection starts using this controller (zero its state)
 *   conn_init     the connection is established: set the initial window
 *   rtt_sample    an ACK acknowledged new data whose send time is known:
 *                 its round-trip time in µs (optional; Linux's pkts_acked),
 *                 called before that ACK's ack_received
 *   ack_received  an ACK advanced SND.UNA by `acked` bytes outside recovery
 *   cong_signal   a congestion signal: CC_NDUPACK (fast retransmit: set
 *                 ssthresh; loss recovery sets cwnd), CC_RTO (timeout),
 *                 CC_RTO_ERR (the timeout was spurious: undo)
 *   post_recovery recovery ended: leave cwnd where the algorithm wants it
 *   after_idle    sending restarts after an idle period (RFC 5681 4.1)
 *   tx_start      data goes out with nothing in flight, idle_us after the
 *                 previous data (optional; Linux's CA_EVENT_TX_START)
 */
#ifndef TAPIR_STACK_TCP_CC_H
#define TAPIR_STACK_TCP_CC_H

#include <stdint.h>

struct tcpcb;

enum cc_signal { CC_NDUPACK, CC_RTO, CC_RTO_ERR, CC_ECN };

struct cc_algo {
    const char *name;
    void (*init)(struct tcpcb *tp);
    void (*conn_init)(struct tcpcb *tp);
    void (*rtt_sample)(struct tcpcb *tp, uint32_t rtt_us);
    void (*ack_received)(struct tcpcb *tp, uint32_t acked);
    void (*cong_signal)(struct tcpcb *tp, enum cc_signal sig);
    void (*post_recovery)(struct tcpcb *tp);
    void (*after_idle)(struct tcpcb *tp);
    void (*tx_start)(struct tcpcb *tp, uint64_t idle_us);
};

extern const struct cc_algo cc_newreno;
extern const struct cc_algo cc_cubic;

/* The controller called `name` ("reno" is an alias of "newreno"), or NULL. */
const struct cc_algo *cc_find(const char *name);

/* Helpers the controllers share. */
uint32_t cc_initial_window(const struct tcpcb *tp);
/* RFC 5681 slow start: cwnd grows by the bytes acked, up to ssthresh;
 * returns the part of `acked` left over for congestion avoidance. */
uint32_t cc_slow_start(struct tcpcb *tp, uint32_t acked);

/* CUBIC's window function (RFC 9438 4.2), exposed for tests:
 * W_cubic(t) = C*(t-K)^3 + W_max, in segments, t in seconds. */
double cubic_w(double t, double w_max, double k);
/* K = cbrt(W_max*(1-beta)/C) (RFC 9438 eq. 2) when cwnd_epoch = beta*W_max. */
double cubic_k(double w_max, double cwnd_epoch);
#define CUBIC_C    0.4
#define CUBIC_BETA 0.7

#endif
