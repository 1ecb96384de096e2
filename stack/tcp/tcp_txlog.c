/* Send times of first transmissions, for one RTT sample per ACK.
 *
 * RFC 6298 times one segment per round trip, which is all the RTO needs.  A
 * delay-based slow-start exit (CUBIC's HyStart, RFC 9406 HyStart++) needs
 * the RTT of (almost) every ACK, as Linux measures it from each packet's
 * send time (tcp_clean_rtx_queue -> pkts_acked).  tapir's send buffer is a
 * byte ring without per-segment metadata, so this file keeps a short log of
 * bursts: [start, end) sent at one instant (one tcp_output pass sends many
 * segments at the same `now`, so a burst is one record however long).
 *
 * Bounded (TCP_TXLOG_MAX records): when the log is full a new burst is not
 * recorded, so its ACKs give no sample; a missing sample is harmless, a
 * wrong one is not.  Karn's rule: a retransmission clears the log, since an
 * ACK covering retransmitted data cannot say which transmission it answers.
 * The cost is O(1) per send and amortised O(1) per ACK (records are in
 * sequence order; the ACK pops those it passed).
 */
#include "stack/tcp/tcp.h"

static struct tcp_txrec *rec_at(struct tcpcb *tp, unsigned i)
{
    return &tp->txlog[(tp->txlog_head + i) % TCP_TXLOG_MAX];
}

void tcp_txlog_sent(struct tcpcb *tp, uint32_t seq, uint32_t end)
{
    if (seq == end)
        return;
    if (seq_lt(seq, tp->snd_max)) {
        /* Old sequence space again: a retransmission (or go-back-N). */
        tp->txlog_n = 0;
        if (seq_gt(end, tp->snd_max))
            tp->snd_max = end;
        return;
    }
    uint64_t now = tp->st->now;
    if (tp->txlog_n) {
        struct tcp_txrec *last = rec_at(tp, tp->txlog_n - 1u);
        if (last->time == now && last->end == seq) {
            last->end = end;
            tp->snd_max = end;
            return;
        }
    }
    tp->snd_max = end;
    if (tp->txlog_n == TCP_TXLOG_MAX)
        return;
    struct tcp_txrec *r = rec_at(tp, tp->txlog_n);
    r->start = seq;
    r->end = end;
    r->time = now;
    tp->txlog_n++;
}

uint32_t tcp_txlog_ack(struct tcpcb *tp, uint32_t ack)
{
    uint32_t rtt = 0;
    uint32_t newest = ack - 1;   /* the last byte this ACK covers */
    while (tp->txlog_n) {
        struct tcp_txrec *r = rec_at(tp, 0);
        if (seq_gt(r->start, newest))
            break;
        if (seq_lt(newest, r->end)) {
            uint64_t d = tp->st->now - r->time;
            rtt = d ? (uint32_t)(d > UINT32_MAX ? UINT32_MAX : d) : 1;
            if (seq_leq(r->end, ack)) {
                tp->txlog_head = (uint8_t)((tp->txlog_head + 1) % TCP_TXLOG_MAX);
                tp->txlog_n--;
            } else {
                r->start = ack;
            }
            break;
        }
        /* Entirely acknowledged (by this ACK or, via SACK, before). */
        tp->txlog_head = (uint8_t)((tp->txlog_head + 1) % TCP_TXLOG_MAX);
        tp->txlog_n--;
    }
    return rtt;
}
