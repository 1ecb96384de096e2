/* Selective acknowledgements and loss recovery.
 *
 * Receiver side (RFC 2018, RFC 2883): out-of-order data sits in the receive
 * ring at its final place; here we keep the list of its ranges, merge them,
 * advance RCV.NXT when a hole fills, and build the SACK blocks of outgoing
 * ACKs (a D-SACK block first when a duplicate arrived, then the most recently
 * changed range, then the others by recency).
 *
 * Sender side (RFC 6675): a scoreboard of SACKed ranges (sorted, merged,
 * capped), the IsLost rule, NextSeg (tcp_next_lost), and recovery entry and
 * exit with Proportional Rate Reduction (RFC 6937) setting cwnd on each ACK.
 */
#include <string.h>

#include "stack/tcp/cc.h"
#include "stack/tcp/tcp.h"

/* ---------------------------------------------------------- receiver */

bool tcp_ooo_add(struct tcpcb *tp, uint32_t start, uint32_t end)
{
    /* Merge every range that overlaps or touches [start, end). */
    int w = 0;
    uint32_t s = start, e = end;
    struct tcp_ooo_range keep[TCP_OOO_MAX_RANGES];
    for (int i = 0; i < tp->n_ooo; i++) {
        struct tcp_ooo_range r = tp->ooo[i];
        if (seq_leq(r.start, e) && seq_leq(s, r.end)) {
            s = seq_min(s, r.start);
            e = seq_max(e, r.end);
        } else {
            keep[w++] = r;
        }
    }
    if (w >= TCP_OOO_MAX_RANGES)
        return false;                  /* a new range and no room: refuse it */
    /* Insert sorted by start. */
    int pos = 0;
    while (pos < w && seq_lt(keep[pos].start, s))
        pos++;
    memmove(&keep[pos + 1], &keep[pos], (size_t)(w - pos) * sizeof keep[0]);
    keep[pos].start = s;
    keep[pos].end = e;
    keep[pos].stamp = ++tp->ooo_stamp;
    memcpy(tp->ooo, keep, (size_t)(w + 1) * sizeof keep[0]);
    tp->n_ooo = w + 1;
    return true;
}

uint32_t tcp_ooo_advance(struct tcpcb *tp)
{
    uint32_t nxt = tp->rcv_nxt;
    int i = 0;
    while (i < tp->n_ooo && seq_leq(tp->ooo[i].start, nxt)) {
        nxt = seq_max(nxt, tp->ooo[i].end);
        i++;
    }
    if (i) {
        memmove(tp->ooo, tp->ooo + i, (size_t)(tp->n_ooo - i) * sizeof tp->ooo[0]);
        tp->n_ooo -= i;
    }
    return nxt;
}

int tcp_sack_fill(struct tcpcb *tp, struct tcp_sack_block *out, int max)
{
    int n = 0;
    if (tp->dsack_pending && tp->st->cfg.tcp.dsack && n < max)
        out[n++] = tp->dsack;
    /* RFC 2018 4: the first block holds the most recently received data;
     * then the others, most recent first. */
    bool used[TCP_OOO_MAX_RANGES] = {false};
    while (n < max) {
        int best = -1;
        for (int i = 0; i < tp->n_ooo; i++)
            if (!used[i] && (best < 0 || tp->ooo[i].stamp > tp->ooo[best].stamp))
                best = i;
        if (best < 0)
            break;
        used[best] = true;
        out[n].start = tp->ooo[best].start;
        out[n].end = tp->ooo[best].end;
        n++;
    }
    return n;
}

/* ------------------------------------------------------------ sender */

static void recount(struct tcpcb *tp)
{
    uint32_t sum = 0;
    for (int i = 0; i < tp->n_sb; i++)
        sum += tp->sb[i].end - tp->sb[i].start;
    tp->sacked_bytes = sum;
}

/* Adds [s, e) to the scoreboard; returns the bytes newly covered. */
static uint32_t sb_add(struct tcpcb *tp, uint32_t s, uint32_t e)
{
    uint32_t before = tp->sacked_bytes;
    struct tcp_sack_block keep[TCP_SACK_SCOREBOARD_MAX + 1];
    int w = 0;
    for (int i = 0; i < tp->n_sb; i++) {
        struct tcp_sack_block b = tp->sb[i];
        if (seq_leq(b.start, e) && seq_leq(s, b.end)) {
            s = seq_min(s, b.start);
            e = seq_max(e, b.end);
        } else {
            keep[w++] = b;
        }
    }
    if (w >= TCP_SACK_SCOREBOARD_MAX)
        return 0;                      /* full: forget this block (bounded work and memory) */
    int pos = 0;
    while (pos < w && seq_lt(keep[pos].start, s))
        pos++;
    memmove(&keep[pos + 1], &keep[pos], (size_t)(w - pos) * sizeof keep[0]);
    keep[pos].start = s;
    keep[pos].end = e;
    memcpy(tp->sb, keep, (size_t)(w + 1) * sizeof keep[0]);
    tp->n_sb = w + 1;
    recount(tp);
    return tp->sacked_bytes - before;
}

uint32_t tcp_sack_update(struct tcpcb *tp, const struct tcp_opts *o, uint32_t ack)
{
    uint32_t newly = 0;
    uint32_t base = seq_max(ack, tp->snd_una);
    for (int i = 0; i < o->n_sack; i++) {
        uint32_t s = o->sack[i].start, e = o->sack[i].end;
        if (!seq_lt(s, e))
            continue;
        /* D-SACK (RFC 2883): a block at or below the cumulative ACK, or
         * inside the second block, reports a duplicate, not new data. */
        if (seq_leq(e, base))
            continue;
        /* Blocks must lie inside what we sent: anything else is bogus. */
        if (seq_gt(e, tp->snd_nxt) || seq_lt(s, tp->snd_una - (1u << 30)))
            continue;
        if (seq_lt(s, base))
            s = base;
        newly += sb_add(tp, s, e);
    }
    return newly;
}

void tcp_sack_trim(struct tcpcb *tp)
{
    int w = 0;
    for (int i = 0; i < tp->n_sb; i++) {
        struct tcp_sack_block b = tp->sb[i];
        if (seq_leq(b.end, tp->snd_una))
            continue;
        if (seq_lt(b.start, tp->snd_una))
            b.start = tp->snd_una;
        tp->sb[w++] = b;
    }
    tp->n_sb = w;
    recount(tp);
}

void tcp_sack_clear(struct tcpcb *tp)
{
    tp->n_sb = 0;
    tp->sacked_bytes = 0;
}

bool tcp_sack_is_sacked(const struct tcpcb *tp, uint32_t seq)
{
    for (int i = 0; i < tp->n_sb; i++)
        if (seq_in(seq, tp->sb[i].start, tp->sb[i].end))
            return true;
    return false;
}

uint32_t tcp_sack_bytes_between(const struct tcpcb *tp, uint32_t a, uint32_t b)
{
    uint32_t sum = 0;
    for (int i = 0; i < tp->n_sb; i++) {
        uint32_t s = seq_max(a, tp->sb[i].start), e = seq_min(b, tp->sb[i].end);
        if (seq_lt(s, e))
            sum += e - s;
    }
    return sum;
}

bool tcp_next_lost(const struct tcpcb *tp, uint32_t *seq, uint32_t *len, uint32_t max_len)
{
    /* NextSeg (RFC 6675 4) rule 1: the lowest un-SACKed sequence number above
     * HighRxt that IsLost. */
    uint32_t from = seq_max(tp->high_rxt, tp->snd_una);
    uint32_t end = seq_min(tp->lost_high, tp->snd_nxt);
    while (seq_lt(from, end)) {
        uint32_t stop = end;
        bool inside = false;
        for (int i = 0; i < tp->n_sb; i++) {
            if (seq_in(from, tp->sb[i].start, tp->sb[i].end)) {
                from = tp->sb[i].end;
                inside = true;
                break;
            }
            if (seq_gt(tp->sb[i].start, from) && seq_lt(tp->sb[i].start, stop))
                stop = tp->sb[i].start;
        }
        if (inside)
            continue;
        uint32_t n = stop - from;
        /* A hole smaller than a segment is resent as a whole segment, as
         * Linux resends whole skbs: the SACKed bytes it covers again are
         * harmless duplicates, and the receiver sees the segment it missed. */
        if (n < max_len && stop != end)
            n = seq_min(from + max_len, tp->snd_nxt) - from;
        *seq = from;
        *len = n < max_len ? n : max_len;
        return true;
    }
    return false;
}

void tcp_update_lost(struct tcpcb *tp)
{
    if (tp->ca_state < TCP_CA_Recovery || tp->n_sb == 0)
        return;
    /* IsLost: walk the scoreboard from the top; once more than
     * (DupThresh-1)*SMSS bytes are SACKed above a block's start, every
     * un-SACKed byte below it is lost. */
    uint32_t dupthresh = tp->st->cfg.tcp.reordering ? tp->st->cfg.tcp.reordering : 3;
    uint32_t thr = (dupthresh - 1) * tp->mss, acc = 0;
    for (int i = tp->n_sb - 1; i >= 0; i--) {
        acc += tp->sb[i].end - tp->sb[i].start;
        if (acc > thr) {
            if (seq_gt(tp->sb[i].start, tp->lost_high))
                tp->lost_high = tp->sb[i].start;
            break;
        }
    }
}

void tcp_enter_recovery(struct tcpcb *tp)
{
    if (tp->ca_state != TCP_CA_CWR) {       /* an ECN reduction already cut this window */
        tp->prior_cwnd = tp->cwnd;
        tp->prior_ssthresh = tp->ssthresh;
        tp->cc->cong_signal(tp, CC_NDUPACK);  /* sets ssthresh */
        tcp_ecn_window_reduced(tp);
    }
    tp->ca_state = TCP_CA_Recovery;
    tp->recover = tp->snd_nxt;
    tp->high_rxt = tp->snd_una;
    /* RFC 6675: the first unacknowledged segment is lost (the fast
     * retransmit).  With RACK the records already say what is lost. */
    if (!tcp_rack_on(tp)) {
        tp->lost_high = seq_min(seq_max(tp->lost_high, tp->snd_una + tp->mss), tp->snd_nxt);
        tcp_update_lost(tp);
    }
    tp->prr_delivered = 0;
    tp->prr_out = 0;
    tp->recover_fs = tp->snd_nxt - tp->snd_una;
    tcp_trace(tp, TCP_EV_RECOVERY, 1, tp->recover, 0);
}

void tcp_exit_recovery(struct tcpcb *tp)
{
    tp->ca_state = tp->sacked_bytes ? TCP_CA_Disorder : TCP_CA_Open;
    tp->cc->post_recovery(tp);
    tp->lost_high = tp->high_rxt = tp->snd_una;
    tp->dupacks = 0;
    /* A D-SACK-widened reordering window lasts a number of recoveries. */
    if (tp->reo_wnd_persist)
        tp->reo_wnd_persist--;
    tcp_trace(tp, TCP_EV_RECOVERY, 0, tp->snd_una, 0);
}

void tcp_prr_ack(struct tcpcb *tp, uint32_t delivered, bool ssrb_bonus)
{
    /* RFC 6937 3: on each ACK in recovery,
     *   prr_delivered += DeliveredData
     *   pipe > ssthresh:  sndcnt = CEIL(prr_delivered * ssthresh / RecoverFS) - prr_out
     *   otherwise (SSRB): sndcnt = MIN(ssthresh - pipe,
     *                                  MAX(prr_delivered - prr_out, DeliveredData) + MSS)
     *   cwnd = pipe + sndcnt
     * and, as Linux, at least the fast retransmit goes out. */
    tp->prr_delivered += delivered;
    uint32_t pipe = tcp_pipe(tp);
    int64_t sndcnt;
    if (pipe > tp->ssthresh) {
        uint64_t fs = tp->recover_fs ? tp->recover_fs : 1;
        sndcnt = (int64_t)(((uint64_t)tp->prr_delivered * tp->ssthresh + fs - 1) / fs) - tp->prr_out;
    } else {
        int64_t a = (int64_t)tp->prr_delivered - tp->prr_out;
        int64_t lim = (a > (int64_t)delivered ? a : (int64_t)delivered) + (ssrb_bonus ? tp->mss : 0);
        int64_t room = (int64_t)tp->ssthresh - pipe;
        sndcnt = room < lim ? room : lim;
    }
    if (sndcnt < 0)
        sndcnt = 0;
    if (tp->prr_out == 0 && sndcnt < tp->mss)
        sndcnt = tp->mss;
    tp->cwnd = pipe + (uint32_t)sndcnt;
}
