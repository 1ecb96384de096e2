/* Sent-segment records and RACK loss detection (RFC 8985).
 *
 * Every segment we send gets a record: its sequence range, when it was last
 * (re)sent, and flags (SACKed, lost, retransmitted, a retransmission in
 * flight).  The records sit in a ring in sequence order and cover exactly
 * [SND.UNA, SND.NXT): the cumulative ACK drops them from the front, new data
 * appends at the back, a retransmission of part of a record splits it.
 *
 * RACK ("recent acknowledgment") decides loss by time, not by counting
 * duplicate ACKs: when the peer delivers (SACKs or ACKs) a segment, every
 * segment sent *before* it and not yet delivered is lost once it has been
 * out for longer than RACK.rtt (the round trip of that delivered segment)
 * plus a reordering window:
 *
 *     lost  <=>  sent before RACK.xmit_ts  and  now - xmit_ts >= RACK.rtt + reo_wnd
 *
 * A segment not yet old enough may still be merely reordered: the RACK
 * reordering timer comes back for it when it would be.  The window is
 * min_rtt/4 (times reo_wnd_steps, which D-SACKs raise: RFC 8985 6.2 step 4),
 * at most SRTT, and zero while no reordering has been seen and either
 * recovery is under way or DupThresh segments are SACKed (Linux's rule, so a
 * plain three-SACK loss is repaired at once as with RFC 6675).
 *
 * Alongside, as Linux does, the reordering degree (tcpi_reordering) grows
 * when a never-retransmitted segment is delivered below the highest SACKed
 * one: the distance, in segments.
 *
 * The scan for lost segments walks the records in sequence order.  Original
 * transmissions are in time order too, so it stops at the first original
 * sent after RACK.xmit_ts; only retransmissions, which may be anywhere, are
 * checked one by one.  (RFC 8985 suggests a list in send-time order; the
 * sequence-order ring with that stopping rule visits the same candidates
 * without a second list to keep.)
 */
#include <stdlib.h>
#include <string.h>

#include "stack/tcp/cc.h"
#include "stack/tcp/tcp.h"

/* ------------------------------------------------------------ the ring */

static struct tcp_txseg *rec(const struct tcpcb *tp, uint32_t i)
{
    return &tp->txq[(tp->txq_head + i) & (tp->txq_cap - 1)];
}

/* Room for one more record; false when at the cap (or out of memory). */
static bool txq_grow(struct tcpcb *tp)
{
    if (tp->txq_n < tp->txq_cap)
        return true;
    if (tp->txq_cap >= TCP_TXQ_MAX)
        return false;
    uint32_t ncap = tp->txq_cap ? tp->txq_cap * 2 : 16;
    struct tcp_txseg *n = malloc(ncap * sizeof *n);
    if (!n)
        return false;
    for (uint32_t i = 0; i < tp->txq_n; i++)
        n[i] = *rec(tp, i);
    free(tp->txq);
    tp->txq = n;
    tp->txq_cap = ncap;
    tp->txq_head = 0;
    return true;
}

void tcp_txq_free(struct tcpcb *tp)
{
    free(tp->txq);
    tp->txq = NULL;
    tp->txq_cap = tp->txq_n = tp->txq_head = 0;
    tp->txq_sacked = tp->txq_sacked_bytes = tp->lost_cnt = tp->lost_bytes = tp->rxt_cnt = tp->rxt_bytes = 0;
}

/* Index of the first record ending after seq (txq_n if none): binary
 * search, the records being sorted and disjoint. */
static uint32_t find(const struct tcpcb *tp, uint32_t seq)
{
    uint32_t lo = 0, hi = tp->txq_n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (seq_leq(rec(tp, mid)->end, seq))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Cuts record i in two at `at` (strictly inside it).  False if there is no
 * room for another record: the caller then treats the record whole. */
static bool split(struct tcpcb *tp, uint32_t i, uint32_t at)
{
    if (!txq_grow(tp))
        return false;
    for (uint32_t j = tp->txq_n; j > i + 1; j--)
        *rec(tp, j) = *rec(tp, j - 1);
    tp->txq_n++;
    struct tcp_txseg *a = rec(tp, i), *b = rec(tp, i + 1);
    *b = *a;
    a->end = at;
    b->start = at;
    /* Counts of records (not bytes) gain one where the flag is set. */
    if (a->flags & TXS_SACKED)
        tp->txq_sacked++;
    else {
        if (a->flags & TXS_LOST)
            tp->lost_cnt++;
        if (a->flags & TXS_RXT_OUT)
            tp->rxt_cnt++;
    }
    return true;
}

static uint32_t rlen(const struct tcp_txseg *r) { return r->end - r->start; }

static void clear_rxt(struct tcpcb *tp, struct tcp_txseg *r)
{
    if (r->flags & TXS_RXT_OUT) {
        r->flags &= (uint8_t)~TXS_RXT_OUT;
        tp->rxt_cnt--;
        tp->rxt_bytes -= rlen(r);
    }
}

static void set_lost(struct tcpcb *tp, struct tcp_txseg *r)
{
    if (r->flags & TXS_SACKED)
        return;
    clear_rxt(tp, r);              /* a retransmission lost again */
    if (!(r->flags & TXS_LOST)) {
        r->flags |= TXS_LOST;
        tp->lost_cnt++;
        tp->lost_bytes += rlen(r);
    }
    if (seq_lt(r->start, tp->lost_hint) || seq_lt(tp->lost_hint, tp->snd_una))
        tp->lost_hint = r->start;
}

static void set_sacked(struct tcpcb *tp, struct tcp_txseg *r)
{
    clear_rxt(tp, r);
    if (r->flags & TXS_LOST) {
        tp->lost_cnt--;
        tp->lost_bytes -= rlen(r);
    }
    r->flags = (uint8_t)((r->flags & ~TXS_LOST) | TXS_SACKED);
    tp->txq_sacked++;
    tp->txq_sacked_bytes += rlen(r);
}

/* A record leaves (acknowledged): its share of the counters goes. */
static void forget(struct tcpcb *tp, struct tcp_txseg *r, uint32_t bytes)
{
    if (r->flags & TXS_SACKED) {
        tp->txq_sacked_bytes -= bytes;
        return;
    }
    if (r->flags & TXS_LOST)
        tp->lost_bytes -= bytes;
    if (r->flags & TXS_RXT_OUT)
        tp->rxt_bytes -= bytes;
}

void tcp_txq_sent(struct tcpcb *tp, uint32_t seq, uint32_t end, uint32_t old_nxt, bool ok)
{
    uint64_t now = tp->st->now;
    if (seq_lt(seq, tp->snd_una))
        seq = tp->snd_una;
    /* The part already sent before: a retransmission. */
    uint32_t rend = seq_min(end, old_nxt);
    if (ok && seq_lt(seq, rend)) {
        uint32_t i = find(tp, seq);
        if (i < tp->txq_n && seq_lt(rec(tp, i)->start, seq) && split(tp, i, seq))
            i++;
        for (; i < tp->txq_n && seq_lt(rec(tp, i)->start, rend); i++) {
            struct tcp_txseg *r = rec(tp, i);
            if (seq_lt(rend, r->end)) {
                split(tp, i, rend);
                r = rec(tp, i);
            }
            r->xmit_us = now;
            r->delivered = tp->rack_delivered;
            if (r->flags & TXS_SACKED)
                continue;
            r->flags |= TXS_RETRANS;
            if (!(r->flags & TXS_RXT_OUT)) {
                r->flags |= TXS_RXT_OUT;
                tp->rxt_cnt++;
                tp->rxt_bytes += rlen(r);
            }
        }
    }
    /* New sequence space: a new record (or, at the cap, a longer last one). */
    uint32_t nstart = seq_max(seq, old_nxt);
    if (tp->txq_n && seq_lt(nstart, rec(tp, tp->txq_n - 1)->end))
        nstart = rec(tp, tp->txq_n - 1)->end;   /* never overlap a record */
    if (!seq_lt(nstart, end))
        return;
    if (!txq_grow(tp)) {
        if (tp->txq_n) {
            struct tcp_txseg *last = rec(tp, tp->txq_n - 1);
            if (last->end == nstart && !(last->flags & (TXS_SACKED | TXS_LOST | TXS_RXT_OUT))) {
                last->end = end;
                last->xmit_us = now;
            }
        }
        return;
    }
    struct tcp_txseg *r = rec(tp, tp->txq_n++);
    r->start = nstart;
    r->end = end;
    r->xmit_us = now;
    r->delivered = tp->rack_delivered;
    r->flags = 0;
}

void tcp_txq_unsent(struct tcpcb *tp, uint32_t from)
{
    /* The refused data is the newest: its records are the last ones, and no
     * ACK can have marked them (a train is flushed within the tcp_output()
     * call that sent it), so they carry no flags and no counted bytes. */
    while (tp->txq_n) {
        struct tcp_txseg *r = rec(tp, tp->txq_n - 1);
        if (seq_leq(r->end, from))
            break;
        if (seq_lt(r->start, from)) {
            r->end = from;   /* a record extended at the cap: cut back */
            break;
        }
        tp->txq_n--;
    }
}

/* ------------------------------------------------------------ RACK state */

/* Was (t1, seq1) sent after (t2, seq2)?  Same time: the higher sequence
 * (RFC 8985 6.2 step 2, for segments sent in one burst). */
static bool sent_after(uint64_t t1, uint64_t t2, uint32_t seq1, uint32_t seq2)
{
    return t1 > t2 || (t1 == t2 && seq_gt(seq1, seq2));
}

/* RFC 8985 6.2 step 2: a segment was delivered; RACK moves to it if it was
 * sent later than the one RACK holds.  A retransmitted segment delivered
 * sooner than min_rtt after its retransmission was the original arriving
 * late: ambiguous, so it does not count. */
static void rack_advance(struct tcpcb *tp, const struct tcp_txseg *r)
{
    uint64_t now = tp->st->now;
    uint32_t rtt = now > r->xmit_us ? (uint32_t)(now - r->xmit_us) : 0;
    if ((r->flags & TXS_RETRANS) && rtt < tp->min_rtt_us)
        return;
    tp->rack_advanced = true;
    tp->rack_rtt_us = rtt;
    if (sent_after(r->xmit_us, tp->rack_xmit_us, r->end, tp->rack_end_seq)) {
        tp->rack_xmit_us = r->xmit_us;
        tp->rack_end_seq = r->end;
    }
    /* The rate sample of this ACK: the most recently sent delivered segment. */
    if (!tp->ack_prior_delivered || r->xmit_us >= tp->ack_latest_xmit) {
        tp->ack_prior_delivered = r->delivered;
        tp->ack_latest_xmit = r->xmit_us;
    }
}

uint32_t tcp_rack_fack(const struct tcpcb *tp, uint32_t una)
{
    return tp->txq_sacked ? seq_max(tp->rack_fack, una) : una;
}

/* A never-retransmitted segment starting at low_seq was delivered below the
 * highest SACKed sequence: reordering, by that distance (Linux's
 * tcp_check_sack_reordering). */
static void check_reordering(struct tcpcb *tp, uint32_t low_seq, uint32_t una)
{
    uint32_t fack = tcp_rack_fack(tp, una);
    uint32_t mss = tp->mss ? tp->mss : 536;
    if (!seq_lt(low_seq, fack))
        return;
    uint32_t metric = fack - low_seq;
    if (metric > tp->reordering * mss) {
        uint32_t r = (metric + mss - 1) / mss;
        tp->reordering = r < TCP_MAX_REORDERING ? r : TCP_MAX_REORDERING;
    }
    tp->reord_seen++;
}

static uint32_t segs_of(const struct tcpcb *tp, const struct tcp_txseg *r)
{
    uint32_t mss = tp->mss ? tp->mss : 536;
    return (rlen(r) + mss - 1) / mss;
}

uint32_t tcp_rack_sack(struct tcpcb *tp, const struct tcp_opts *o, uint32_t ack, uint32_t prior_fack)
{
    tp->ack_prior_delivered = 0;
    tp->ack_latest_xmit = 0;
    if (o->n_sack == 0)
        return 0;
    /* D-SACK (RFC 2883): the first block below the cumulative ACK, or
     * inside the second block, reports a duplicate: RACK's reordering
     * window may have been too short (RFC 8985 6.2 step 4). */
    const struct tcp_sack_block *b0 = &o->sack[0];
    if (seq_lt(b0->start, b0->end) &&
        (seq_leq(b0->end, ack) ||
         (o->n_sack > 1 && seq_geq(b0->start, o->sack[1].start) && seq_leq(b0->end, o->sack[1].end)))) {
        tp->rack_dsack_seen = true;
        tp->dsack_dups++;
    }
    /* The blocks in sequence order, as the highest SACKed point then moves
     * up as they are taken. */
    struct tcp_sack_block blk[TCP_MAX_SACK];
    int n = 0;
    for (int i = 0; i < o->n_sack && n < TCP_MAX_SACK; i++) {
        struct tcp_sack_block b = o->sack[i];
        if (seq_lt(b.start, tp->snd_una))
            b.start = tp->snd_una;
        if (!seq_lt(b.start, b.end) || seq_gt(b.end, tp->snd_nxt))
            continue;
        int j = n++;
        while (j > 0 && seq_lt(b.start, blk[j - 1].start)) {
            blk[j] = blk[j - 1];
            j--;
        }
        blk[j] = b;
    }
    uint32_t reord = tp->snd_nxt, newly = 0;
    for (int k = 0; k < n; k++) {
        /* Only records wholly inside the block count: a partly SACKed
         * segment is still missing a piece (Linux does the same for a
         * one-MSS skb). */
        for (uint32_t i = find(tp, blk[k].start); i < tp->txq_n; i++) {
            struct tcp_txseg *r = rec(tp, i);
            if (seq_gt(r->end, blk[k].end))
                break;
            if (seq_lt(r->start, blk[k].start) || (r->flags & TXS_SACKED))
                continue;
            rack_advance(tp, r);
            if (!(r->flags & TXS_RETRANS) && seq_lt(r->start, tcp_rack_fack(tp, tp->snd_una)) &&
                seq_lt(r->start, reord))
                reord = r->start;
            set_sacked(tp, r);
            tp->rack_delivered += segs_of(tp, r);
            if (tp->txq_sacked == 1 || seq_gt(r->end, tp->rack_fack))
                tp->rack_fack = r->end;
            newly++;
        }
    }
    if (seq_lt(reord, prior_fack))
        check_reordering(tp, reord, tp->snd_una);
    return newly;
}

/* RFC 7323 4 / Linux tcp_skb_spurious_retrans: the ACK echoes a timestamp
 * older than the retransmission, so the original got through. */
static bool spurious_retrans(const struct tcpcb *tp, const struct tcp_txseg *r, const struct tcp_opts *o)
{
    if (!(r->flags & TXS_RETRANS) || !tp->ts_ok || !o->ts_ok || !o->tsecr)
        return false;
    uint32_t ts = (uint32_t)(r->xmit_us / 1000) + tp->ts_offset;
    return seq_lt(o->tsecr, ts);
}

void tcp_rack_ack(struct tcpcb *tp, uint32_t ack, const struct tcp_opts *o, uint32_t prior_fack)
{
    uint32_t reord = tp->snd_nxt;
    while (tp->txq_n) {
        struct tcp_txseg *r = rec(tp, 0);
        if (seq_gt(r->end, ack)) {
            if (seq_lt(r->start, ack)) {
                /* Partly acknowledged: trim its front. */
                forget(tp, r, ack - r->start);
                r->start = ack;
            }
            break;
        }
        if (r->flags & TXS_SACKED) {
            tp->txq_sacked--;
            forget(tp, r, rlen(r));
        } else {
            tp->rack_delivered += segs_of(tp, r);
            if (!spurious_retrans(tp, r, o))
                rack_advance(tp, r);
            if (!(r->flags & TXS_RETRANS) && seq_lt(r->start, reord))
                reord = r->start;
            if (r->flags & TXS_LOST)
                tp->lost_cnt--;
            if (r->flags & TXS_RXT_OUT)
                tp->rxt_cnt--;
            forget(tp, r, rlen(r));
        }
        tp->txq_head = (tp->txq_head + 1) & (tp->txq_cap - 1);
        tp->txq_n--;
    }
    if (seq_lt(tp->lost_hint, ack))
        tp->lost_hint = ack;
    /* A hole filled by an original transmission: that was reordering. */
    if (seq_lt(reord, prior_fack))
        check_reordering(tp, reord, ack);
}

void tcp_rack_update_reo_wnd(struct tcpcb *tp)
{
    /* RFC 8985 6.2 step 4 (Linux tcp_rack_update_reo_wnd): a D-SACK grows
     * the window by one step of min_rtt/4, at most once per round trip
     * (only if this ACK's segment was sent after the last growth); the
     * growth lasts 16 recoveries, then the window falls back to one step. */
    uint32_t prior = tp->ack_prior_delivered;
    if (!prior)
        return;
    if ((int32_t)(prior - tp->rack_last_delivered) < 0)
        tp->rack_dsack_seen = false;
    if (tp->rack_dsack_seen) {
        if (tp->reo_wnd_steps < 255)
            tp->reo_wnd_steps++;
        tp->rack_dsack_seen = false;
        tp->rack_last_delivered = tp->rack_delivered;
        tp->reo_wnd_persist = TCP_RACK_RECOVERY_THRESH;
    } else if (!tp->reo_wnd_persist) {
        tp->reo_wnd_steps = 1;
    }
}

/* RFC 8985 6.2 step 4: the reordering window. */
static uint32_t reo_wnd(const struct tcpcb *tp)
{
    if (!tp->reord_seen) {
        /* No reordering seen: be quick during recovery, and once DupThresh
         * segments are SACKed (Linux; RFC 8985 allows either). */
        if (tp->ca_state >= TCP_CA_Recovery || tp->txq_sacked >= tp->reordering)
            return 0;
    }
    uint64_t w = (uint64_t)(tp->min_rtt_us / 4) * (tp->reo_wnd_steps ? tp->reo_wnd_steps : 1);
    return (uint32_t)(w < tp->srtt_us ? w : tp->srtt_us);
}

/* RFC 8985 6.2 step 5: mark lost what was sent before RACK.xmit_ts and has
 * been out longer than RACK.rtt + reo_wnd; *wait gets the longest time one
 * of the others still has to go.  Returns the records marked. */
static uint32_t detect_loss(struct tcpcb *tp, uint64_t *wait)
{
    uint64_t now = tp->st->now;
    int64_t win = (int64_t)tp->rack_rtt_us + reo_wnd(tp);
    uint32_t marked = 0;
    *wait = 0;
    for (uint32_t i = 0; i < tp->txq_n; i++) {
        struct tcp_txseg *r = rec(tp, i);
        if ((r->flags & TXS_SACKED) || (r->flags & (TXS_LOST | TXS_RXT_OUT)) == TXS_LOST)
            continue;             /* delivered, or lost and waiting to be resent */
        if (!sent_after(tp->rack_xmit_us, r->xmit_us, tp->rack_end_seq, r->end)) {
            if (!(r->flags & TXS_RETRANS))
                break;            /* originals go in time order: the rest is later */
            continue;
        }
        int64_t remaining = win - (int64_t)(now - r->xmit_us);
        if (remaining <= 0) {
            set_lost(tp, r);
            marked++;
        } else if ((uint64_t)remaining > *wait) {
            *wait = (uint64_t)remaining;
        }
    }
    return marked;
}

static void arm_reo(struct tcpcb *tp, uint64_t wait)
{
    struct stack *st = tp->st;
    if (!wait) {
        timer_cancel(&st->timers, &tp->t_reo);
        return;
    }
    wait += TCP_RACK_TIMER_SLACK_US;
    uint64_t rto = tcp_current_rto(tp);
    timer_arm(&st->timers, &tp->t_reo, st->now + (wait < rto ? wait : rto));
}

uint32_t tcp_rack_mark_lost(struct tcpcb *tp)
{
    if (!tp->rack_advanced)
        return 0;
    tp->rack_advanced = false;     /* no new delivery, nothing new to learn */
    uint64_t wait;
    uint32_t n = detect_loss(tp, &wait);
    arm_reo(tp, wait);
    return n;
}

void tcp_rack_timeout(struct tcpcb *tp)
{
    if (!tcp_rack_on(tp) || tp->snd_una == tp->snd_nxt || !tcp_synchronized(tp->state) ||
        tp->state == TCPS_TIME_WAIT)
        return;
    uint64_t wait;
    uint32_t n = detect_loss(tp, &wait);
    arm_reo(tp, wait);
    if (!n)
        return;
    tcp_trace(tp, TCP_EV_RETRANSMIT, tp->snd_una, n, 3);
    if (tp->ca_state < TCP_CA_Recovery) {
        /* The timer proved a loss: recovery starts without another ACK,
         * with one segment's worth of PRR credit (Linux). */
        tcp_enter_recovery(tp);
        tcp_prr_ack(tp, tp->mss, false);
    }
    tcp_output(tp);
}

void tcp_rack_mark_all_lost(struct tcpcb *tp)
{
    for (uint32_t i = 0; i < tp->txq_n; i++)
        set_lost(tp, rec(tp, i));
    tp->lost_hint = tp->snd_una;
    timer_cancel(&tp->st->timers, &tp->t_reo);
}

bool tcp_rack_next_lost(struct tcpcb *tp, uint32_t *seq, uint32_t *len, uint32_t max_len)
{
    if (!tp->lost_cnt)
        return false;
    uint32_t from = seq_max(tp->lost_hint, tp->snd_una);
    for (uint32_t i = find(tp, from); i < tp->txq_n; i++) {
        struct tcp_txseg *r = rec(tp, i);
        if ((r->flags & (TXS_LOST | TXS_SACKED | TXS_RXT_OUT)) != TXS_LOST)
            continue;
        tp->lost_hint = r->start;
        *seq = r->start;
        *len = rlen(r) < max_len ? rlen(r) : max_len;
        return true;
    }
    tp->lost_hint = tp->snd_nxt;
    return false;
}
