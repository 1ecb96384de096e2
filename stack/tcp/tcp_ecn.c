/* Explicit Congestion Notification for TCP (RFC 3168 6.1).
 *
 * A router that would drop a packet of an ECN-capable flow may instead mark
 * it "Congestion Experienced" (CE) in the IP header.  TCP carries that news
 * back to the sender and the sender slows down as if a packet were lost,
 * without losing one:
 *
 *   negotiation  the active opener sends SYN with ECE+CWR ("ECN-setup SYN");
 *                a willing passive side answers SYN-ACK with ECE alone.  Only
 *                then is the connection ECN-capable (tp->ecn_ok).
 *   sending      new data segments carry ECT(0) in the IP header; never SYNs,
 *                pure ACKs, retransmissions or window probes (6.1.1, 6.1.5).
 *   receiver     a CE-marked data segment makes us set ECE on every ACK we
 *                send, until a segment with CWR arrives (6.1.3).
 *   sender       an ACK with ECE reduces the window once per window of data
 *                (cc's CC_ECN: the same reduction as a loss, 6.1.2), and the
 *                next new data segment carries CWR to stop the echo.
 *
 * The setting follows Linux's net.ipv4.tcp_ecn: 0 never, 1 ask on active
 * opens and accept on passive ones, 2 (the default) only accept when asked.
 * As Linux (tcp_ecn_fallback), a retransmitted SYN drops ECE+CWR: RFC 3168
 * 6.1.1.1 allows it, and it gets through middleboxes that eat ECN SYNs.  An
 * ECN-setup SYN-ACK that arrives after the fallback still answers our first
 * SYN (a peer sets ECE on a SYN-ACK only in reply to an ECN-setup SYN), so it
 * turns ECN on, as in Linux, where the fallback clears only the SYN's flags.
 */
#include "stack/tcp/cc.h"
#include "stack/tcp/tcp.h"

#define ECN_NOT_ECT 0u
#define ECN_ECT0    2u
#define ECN_CE      3u
#define ECN_MASK    3u

void tcp_ecn_syn_received(struct tcpcb *tp, uint8_t syn_flags)
{
    const struct tcp_settings *cfg = &tp->st->cfg.tcp;
    /* Passive side (a listener's child): an ECN-setup SYN has both bits. */
    tp->ecn_ok = cfg->ecn != 0 && (syn_flags & (TCP_ECE | TCP_CWR)) == (TCP_ECE | TCP_CWR);
    if (tp->ecn_ok)
        tp->st->ctr.tcp_ecn_negotiated++;
}

void tcp_ecn_synack_received(struct tcpcb *tp, uint8_t flags)
{
    /* Active side: an ECN-setup SYN-ACK has ECE and not CWR (6.1.1); a
     * SYN (simultaneous open) must have both, like ours. */
    bool want = (flags & TCP_ACK) ? (flags & (TCP_ECE | TCP_CWR)) == TCP_ECE
                                  : (flags & (TCP_ECE | TCP_CWR)) == (TCP_ECE | TCP_CWR);
    tp->ecn_ok = tp->ecn_syn_sent && want;
    if (tp->ecn_ok)
        tp->st->ctr.tcp_ecn_negotiated++;
}

uint8_t tcp_ecn_output(struct tcpcb *tp, uint32_t seq, uint32_t len, uint8_t *flags)
{
    const struct tcp_settings *cfg = &tp->st->cfg.tcp;
    if (*flags & TCP_RST)
        return ECN_NOT_ECT;
    if (*flags & TCP_SYN) {
        if (!(*flags & TCP_ACK)) {
            /* Our SYN: ask only on the first one (fallback on retransmission);
             * once asked, the question stands for the SYN-ACK. */
            if (cfg->ecn == 1 && tp->retransmits == 0) {
                tp->ecn_syn_sent = true;
                *flags |= TCP_ECE | TCP_CWR;
            }
        } else if (tp->ecn_ok) {
            *flags |= TCP_ECE;            /* SYN-ACK: never ECT (6.1.1) */
        }
        return ECN_NOT_ECT;
    }
    if (!tp->ecn_ok)
        return ECN_NOT_ECT;
    if ((*flags & TCP_ACK) && tp->ecn_ece_pending)
        *flags |= TCP_ECE;
    /* New data inside the peer's window: ECT(0), and CWR if a reduction is
     * to be announced.  Retransmissions and window probes stay Not-ECT. */
    bool new_data = len > 0 && seq_geq(seq, tp->snd_nxt) && seq_leq(seq + len, tp->snd_una + tp->snd_wnd);
    if (!new_data)
        return ECN_NOT_ECT;
    if (tp->ecn_cwr_pending) {
        *flags |= TCP_CWR;
        tp->ecn_cwr_pending = false;
    }
    return ECN_ECT0;
}

void tcp_ecn_input(struct tcpcb *tp, uint8_t ip_tos, uint8_t flags, uint32_t dlen)
{
    if (!tp->ecn_ok)
        return;
    if (ip_tos & ECN_MASK)
        tp->ecn_seen = true;
    /* CWR first: a segment may both end the old echo and start a new one. */
    if (flags & TCP_CWR)
        tp->ecn_ece_pending = false;
    if (dlen && (ip_tos & ECN_MASK) == ECN_CE) {
        tp->st->ctr.tcp_ecn_ce_received++;
        if (!tp->ecn_ece_pending)
            tp->ack_now = true;           /* tell the sender at once (Linux's quick ACK) */
        tp->ecn_ece_pending = true;
    }
}

bool tcp_ecn_echo(struct tcpcb *tp, uint8_t flags)
{
    if (!tp->ecn_ok || !(flags & TCP_ECE) || (flags & TCP_SYN))
        return false;
    /* React once per window of data (6.1.2): the CWR state lasts until
     * everything sent before this reduction is acknowledged, and a loss
     * recovery has already reduced (and announced it with CWR). */
    if (tp->ca_state >= TCP_CA_CWR)
        return false;
    tp->st->ctr.tcp_ecn_reductions++;
    tp->prior_cwnd = tp->cwnd;
    tp->prior_ssthresh = tp->ssthresh;
    tp->cc->cong_signal(tp, CC_ECN);      /* sets ssthresh */
    tp->cwnd = tp->ssthresh;
    tp->ca_state = TCP_CA_CWR;
    tp->ecn_cwr_high = tp->snd_nxt;
    tcp_ecn_window_reduced(tp);
    tcp_trace(tp, TCP_EV_CWND, tp->cwnd, tp->ssthresh, 0);
    return true;
}

void tcp_ecn_window_reduced(struct tcpcb *tp)
{
    /* Any reduction (ECE, loss recovery, timeout) is announced once, on the
     * next new data segment: CWR tells the receiver to stop echoing ECE. */
    if (tp->ecn_ok)
        tp->ecn_cwr_pending = true;
}

bool tcp_ecn_reducing(const struct tcpcb *tp)
{
    return tp->ca_state == TCP_CA_CWR && seq_lt(tp->snd_una, tp->ecn_cwr_high);
}
