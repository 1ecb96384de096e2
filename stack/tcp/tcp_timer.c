/* TCP timers, all on the stack's timer wheel:
 *   rexmt    retransmission timeout (RFC 6298), SYN and SYN-ACK retries, give-up
 *   persist  zero-window probes (RFC 9293 3.8.6.1)
 *   delack   delayed ACK (RFC 9293 3.8.6.3; 40 ms as Linux)
 *   keep     keep-alive probes (RFC 9293 3.8.4; off unless SO_KEEPALIVE)
 *   2msl     TIME_WAIT (2*MSL) and the orphaned FIN_WAIT_2 limit
 */
#include <errno.h>

#include "stack/tcp/cc.h"
#include "stack/tcp/tcp.h"

static void rexmt_fire(struct stack *st, struct timer *t);
static void persist_fire(struct stack *st, struct timer *t);
static void delack_fire(struct stack *st, struct timer *t);
static void keep_fire(struct stack *st, struct timer *t);
static void twomsl_fire(struct stack *st, struct timer *t);
static void tlp_fire(struct stack *st, struct timer *t);
static void reo_fire(struct stack *st, struct timer *t);

void tcp_timers_init(struct tcpcb *tp)
{
    timer_init(&tp->t_rexmt, rexmt_fire);
    timer_init(&tp->t_persist, persist_fire);
    timer_init(&tp->t_delack, delack_fire);
    timer_init(&tp->t_keep, keep_fire);
    timer_init(&tp->t_2msl, twomsl_fire);
    timer_init(&tp->t_tlp, tlp_fire);
    timer_init(&tp->t_reo, reo_fire);
    timer_init(&tp->t_pace, tcp_pacing_fire);
}

void tcp_timers_cancel(struct tcpcb *tp)
{
    struct timer_wheel *w = &tp->st->timers;
    timer_cancel(w, &tp->t_rexmt);
    timer_cancel(w, &tp->t_persist);
    timer_cancel(w, &tp->t_delack);
    timer_cancel(w, &tp->t_keep);
    timer_cancel(w, &tp->t_2msl);
    timer_cancel(w, &tp->t_tlp);
    timer_cancel(w, &tp->t_reo);
    timer_cancel(w, &tp->t_pace);
}

/* ---- RTT estimation and the RTO (RFC 6298) ---- */

void tcp_rtt_sample(struct tcpcb *tp, uint32_t r)
{
    const struct tcp_settings *cfg = &tp->st->cfg.tcp;
    if (r == 0)
        r = 1;
    if (!tp->rtt_valid) {
        /* 2.2: the first measurement R: SRTT <- R, RTTVAR <- R/2 */
        tp->srtt_us = r;
        tp->rttvar_us = r / 2;
        tp->rtt_valid = true;
    } else {
        /* 2.3: RTTVAR <- (1 - beta) * RTTVAR + beta * |SRTT - R'|,
         *      SRTT <- (1 - alpha) * SRTT + alpha * R', alpha 1/8, beta 1/4 */
        uint32_t delta = tp->srtt_us > r ? tp->srtt_us - r : r - tp->srtt_us;
        tp->rttvar_us = (3 * tp->rttvar_us + delta) / 4;
        tp->srtt_us = (7 * tp->srtt_us + r) / 8;
    }
    /* RTO <- SRTT + max(G, K*RTTVAR), K = 4.  Linux's choice, which we
     * follow: G is rto_min (200 ms), instead of a 1 s floor on the sum. */
    uint64_t var = 4ull * tp->rttvar_us;
    uint64_t g = (uint64_t)cfg->rto_min_ms * 1000;
    uint64_t rto = tp->srtt_us + (var > g ? var : g);
    uint64_t max = (uint64_t)cfg->rto_max_ms * 1000;
    tp->rto_us = (uint32_t)(rto > max ? max : rto);
    tp->last_rtt_us = r;
    tp->backoff = 0;
    if (tp->min_rtt_us == 0 || r < tp->min_rtt_us)
        tp->min_rtt_us = r;
    tcp_trace(tp, TCP_EV_RTT, r, tp->srtt_us, tp->rto_us);
}

uint32_t tcp_current_rto(const struct tcpcb *tp)
{
    /* 5.5: back off the timer (RTO <- RTO * 2), up to the maximum. */
    uint64_t max = (uint64_t)tp->st->cfg.tcp.rto_max_ms * 1000;
    uint64_t rto = (uint64_t)tp->rto_us << (tp->backoff > 20 ? 20 : tp->backoff);
    return (uint32_t)(rto > max ? max : rto);
}

void tcp_arm_rexmt(struct tcpcb *tp)
{
    uint64_t iv = tcp_current_rto(tp);
    /* TCP_USER_TIMEOUT (RFC 5482): once retransmitting, never sleep past the
     * moment the user's limit runs out, so the connection is aborted on time
     * rather than one (long, backed-off) RTO later (Linux's
     * tcp_clamp_rto_to_user_timeout). */
    if (tp->user_timeout_ms && tp->retransmits > 0) {
        uint64_t ut = (uint64_t)tp->user_timeout_ms * 1000;
        uint64_t el = tp->st->now - tp->rexmit_start;
        uint64_t rem = el < ut ? ut - el : 1;
        if (rem < iv)
            iv = rem;
    }
    timer_arm(&tp->st->timers, &tp->t_rexmt, tp->st->now + iv);
}

/* Has the connection been retransmitting for too long? Linux's rule: the
 * time `retries2` backed-off timeouts would take from rto_min, or the
 * user's TCP_USER_TIMEOUT. */
static bool gave_up(struct tcpcb *tp, int retries)
{
    const struct tcp_settings *cfg = &tp->st->cfg.tcp;
    uint64_t elapsed = tp->st->now - tp->rexmit_start;
    if (tp->user_timeout_ms)
        return elapsed >= (uint64_t)tp->user_timeout_ms * 1000;
    if (tp->retransmits < retries)
        return false;
    uint64_t limit = 0, rto = (uint64_t)cfg->rto_min_ms * 1000;
    uint64_t max = (uint64_t)cfg->rto_max_ms * 1000;
    for (int i = 0; i < retries; i++) {
        limit += rto;
        rto = rto * 2 > max ? max : rto * 2;
    }
    return elapsed >= limit || tp->retransmits >= retries + 10;
}

static bool tlp_probe(struct tcpcb *tp);

/* What the user hears when we give up on the peer: the last soft ICMP error
 * if one came (a router said why), else "timed out" (Linux's tcp_write_err). */
static int tcp_timeout_err(const struct tcpcb *tp)
{
    return tp->soft_err ? tp->soft_err : ETIMEDOUT;
}

static void rexmt_fire(struct stack *st, struct timer *t)
{
    struct tcpcb *tp = container_of(t, struct tcpcb, t_rexmt);
    const struct tcp_settings *cfg = &st->cfg.tcp;

    /* The probe timeout is capped at the RTO: when both fall due at once the
     * tail loss probe goes first and the RTO counts again from it (RFC 8985
     * 7.3; Linux's one timer serves both, the PTO winning). */
    if (timer_armed(&tp->t_tlp) && tp->t_tlp.expires <= st->now) {
        timer_cancel(&st->timers, &tp->t_tlp);
        if (tlp_probe(tp))
            return;
    }

    if (tp->state == TCPS_SYN_SENT || tp->state == TCPS_SYN_RECEIVED) {
        /* TCP_SYNCNT overrides both (Linux: icsk_syn_retries, a listener's
         * for its SYN-ACKs, inherited here by the child). */
        uint32_t limit = tp->user_syncnt                ? tp->user_syncnt
                         : tp->state == TCPS_SYN_SENT ? cfg->syn_retries
                                                       : cfg->synack_retries;
        bool expired = tp->user_timeout_ms && tp->retransmits > 0 &&
                       st->now - tp->rexmit_start >= (uint64_t)tp->user_timeout_ms * 1000;
        if ((uint32_t)tp->retransmits >= limit || expired) {
            if (tp->state == TCPS_SYN_SENT)
                st->ctr.tcp_attempt_fails++;
            tcp_close_conn(tp, tcp_timeout_err(tp));
            return;
        }
        if (tp->retransmits == 0)
            tp->rexmit_start = st->now;
        tp->retransmits++;
        tp->backoff++;
        tp->rt_timing = false;
        tp->total_retrans++;
        st->ctr.tcp_retransmits++;
        tcp_trace(tp, TCP_EV_RETRANSMIT, tp->iss, 0, 1);
        tcp_xmit(tp, tp->iss, 0, tp->state == TCPS_SYN_SENT ? TCP_SYN : TCP_SYN | TCP_ACK);
        tcp_arm_rexmt(tp);
        return;
    }
    if (tp->snd_nxt == tp->snd_una || tp->state == TCPS_CLOSED || tp->state == TCPS_TIME_WAIT)
        return;

    if (tp->retransmits == 0)
        tp->rexmit_start = st->now - tcp_current_rto(tp);
    if (gave_up(tp, (int)cfg->retries2)) {
        tcp_close_conn(tp, tcp_timeout_err(tp));
        return;
    }
    tp->retransmits++;
    if (tp->backoff < 20)
        tp->backoff++;

    /* RFC 5681 3.1 eq. 4 and 5: on the first timeout of an episode, ssthresh
     * falls to half the flight and cwnd to one segment (the controller
     * decides the numbers).  Everything outstanding and not SACKed is then
     * deemed lost and resent in order, in slow start (go-back-N on holes). */
    if (tp->ca_state != TCP_CA_Loss) {
        tp->prior_cwnd = tp->cwnd;
        tp->prior_ssthresh = tp->ssthresh;
        tp->cc->cong_signal(tp, CC_RTO);
        tcp_ecn_window_reduced(tp);
    } else {
        tp->cwnd = tp->mss;
    }
    /* A timeout in the Disorder state after DupThresh SACKs: the reordering
     * degree was overestimated (Linux's tcp_enter_loss). */
    if (tp->ca_state <= TCP_CA_Disorder && tp->txq_sacked >= cfg->reordering && tp->reordering > cfg->reordering)
        tp->reordering = cfg->reordering;
    tp->ca_state = TCP_CA_Loss;
    tp->recover = tp->snd_nxt;
    tp->high_rxt = tp->snd_una;
    tp->lost_high = tp->snd_nxt;
    tcp_rack_mark_all_lost(tp);
    tp->dupacks = 0;
    tp->rt_timing = false;          /* Karn */
    tcp_trace(tp, TCP_EV_CWND, tp->cwnd, tp->ssthresh, 1);
    tcp_arm_rexmt(tp);
    tcp_output(tp);
}

/* ---- persist: probe a zero window ----
 * The same timer (Linux's probe0 timer) also runs when nothing is in flight
 * and data waits for another reason: Nagle / TCP_CORK / MSG_MORE holding a
 * small tail (the "200 ms ceiling"), or the interface refusing our segments
 * (a full or dropping queue: ENOBUFS).  Its probes count in tcpi_probes and
 * against TCP_USER_TIMEOUT (RFC 5482) from the first expiry, or against
 * tcp_retries2 probes. */

/* Linux's tcp_clamp_probe0_to_user_timeout: never sleep past the moment the
 * user timeout runs out (at least 2 ms, two jiffies). */
static uint64_t probe_clamp(const struct tcpcb *tp, uint64_t iv)
{
    if (!tp->user_timeout_ms || !tp->probe_stamp)
        return iv;
    uint64_t ut = (uint64_t)tp->user_timeout_ms * 1000;
    uint64_t el = tp->st->now - tp->probe_stamp;
    uint64_t rem = el < ut ? ut - el : 0;
    if (rem < 2000)
        rem = 2000;
    return iv < rem ? iv : rem;
}

void tcp_arm_persist(struct tcpcb *tp)
{
    /* The probe interval backs off like the RTO (RFC 1122 4.2.2.17), bounded. */
    const struct tcp_settings *cfg = &tp->st->cfg.tcp;
    uint64_t iv = (uint64_t)tp->rto_us << (tp->backoff > 20 ? 20 : tp->backoff);
    uint64_t lo = (uint64_t)cfg->rto_min_ms * 1000, hi = (uint64_t)cfg->rto_max_ms * 1000;
    iv = iv < lo ? lo : iv > hi ? hi : iv;
    timer_arm(&tp->st->timers, &tp->t_persist, tp->st->now + probe_clamp(tp, iv));
}

static void persist_fire(struct stack *st, struct timer *t)
{
    struct tcpcb *tp = container_of(t, struct tcpcb, t_persist);
    uint32_t off = tp->snd_nxt - tp->snd_buf_seq;
    if (!(tp->state == TCPS_ESTABLISHED || tp->state == TCPS_CLOSE_WAIT ||
          tp->state == TCPS_FIN_WAIT_1 || tp->state == TCPS_LAST_ACK || tp->state == TCPS_CLOSING))
        return;
    if (off >= tp->sndbuf.len && !(tp->shut_wr && !tp->fin_sent)) {
        tp->probe_stamp = 0;
        return;
    }
    /* A window that never opens, or an interface that never takes our
     * segments: give up like a retransmission would. */
    if (!tp->probe_stamp) {
        tp->probe_stamp = st->now ? st->now : 1;
    } else if (tp->user_timeout_ms && st->now - tp->probe_stamp >= (uint64_t)tp->user_timeout_ms * 1000) {
        tcp_close_conn(tp, tcp_timeout_err(tp));
        return;
    }
    if ((uint32_t)tp->probes >= st->cfg.tcp.retries2) {
        tcp_close_conn(tp, tcp_timeout_err(tp));
        return;
    }
    uint32_t wnd_end = tp->snd_una + tp->snd_wnd;
    if (seq_gt(wnd_end, tp->snd_nxt)) {
        /* The window is open (held back by Nagle, cork, SWS, or a refused
         * send): send what fits, as Linux's tcp_write_wakeup does. */
        uint32_t len = wnd_end - tp->snd_nxt;
        uint32_t avail = tp->sndbuf.len - off;
        if (len > avail)
            len = avail;
        if (len > tp->mss)
            len = tp->mss;
        if (len) {
            if (tcp_xmit(tp, tp->snd_nxt, len, TCP_ACK | TCP_PSH) >= 0) {
                /* In flight now: the retransmission timer takes over. */
                tp->probes = 0;
                tp->probe_stamp = 0;
                tp->backoff = 0;
                return;
            }
            /* Refused locally: retry soon, no backoff (the peer is not
             * the problem). */
            tp->probes++;
            timer_arm(&st->timers, &tp->t_persist,
                      st->now + probe_clamp(tp, (uint64_t)TCP_RESOURCE_PROBE_MS * 1000));
            return;
        }
    }
    /* A probe the receiver must answer with an ACK carrying its window: a
     * segment just below the window (Linux's tcp_xmit_probe_skb). */
    int rc = tcp_xmit(tp, tp->snd_una - 1, 0, TCP_ACK);
    tp->probes++;
    if (rc < 0) {
        timer_arm(&st->timers, &tp->t_persist,
                  st->now + probe_clamp(tp, (uint64_t)TCP_RESOURCE_PROBE_MS * 1000));
        return;
    }
    if (tp->backoff < 20)
        tp->backoff++;
    tcp_arm_persist(tp);
}

/* ---- delayed ACK ---- */

void tcp_arm_delack(struct tcpcb *tp)
{
    if (!timer_armed(&tp->t_delack))
        timer_arm(&tp->st->timers, &tp->t_delack,
                  tp->st->now + (uint64_t)tp->st->cfg.tcp.delack_ms * 1000);
}

static void delack_fire(struct stack *st, struct timer *t)
{
    (void)st;
    struct tcpcb *tp = container_of(t, struct tcpcb, t_delack);
    /* The timer ran out with at most one segment's worth unacknowledged:
     * a real delay, and in interactive mode a wrong guess (no answer came
     * to carry the ACK), so leave that mode (Linux's delayed-ACK timer
     * does the same).  More than a segment means the timer was only the
     * end-of-batch flush tcp_ack_delayed() arms, which proves nothing. */
    if (tp->pingpong && tp->rcv_nxt - tp->rcv_wup <= tp->rcv_mss)
        tp->pingpong = false;
    if (tcp_synchronized(tp->state) || tp->state == TCPS_SYN_RECEIVED)
        tcp_send_ack(tp);
}

/* ---- keep-alive ---- */

static uint64_t keep_idle_us(const struct tcpcb *tp)
{
    uint32_t s = tp->keep_idle_s ? tp->keep_idle_s : tp->st->cfg.tcp.keepalive_time_s;
    return (uint64_t)s * 1000000;
}

void tcp_arm_keepalive(struct tcpcb *tp)
{
    if (!tp->sk.keepalive || !(tp->state == TCPS_ESTABLISHED || tp->state == TCPS_CLOSE_WAIT ||
                               tp->state == TCPS_FIN_WAIT_1 || tp->state == TCPS_FIN_WAIT_2)) {
        timer_cancel(&tp->st->timers, &tp->t_keep);
        return;
    }
    timer_arm(&tp->st->timers, &tp->t_keep, tp->st->now + keep_idle_us(tp));
}

static void keep_fire(struct stack *st, struct timer *t)
{
    struct tcpcb *tp = container_of(t, struct tcpcb, t_keep);
    const struct tcp_settings *cfg = &st->cfg.tcp;
    if (!tp->sk.keepalive || !tcp_synchronized(tp->state) || tp->state == TCPS_TIME_WAIT)
        return;
    uint64_t intvl = (uint64_t)(tp->keep_intvl_s ? tp->keep_intvl_s : cfg->keepalive_intvl_s) * 1000000;
    uint32_t cnt = tp->keep_cnt ? tp->keep_cnt : cfg->keepalive_probes;
    /* Data in flight or queued: the retransmission timer watches the peer. */
    if (tp->snd_nxt != tp->snd_una || tp->sndbuf.len > tp->snd_nxt - tp->snd_buf_seq) {
        tcp_arm_keepalive(tp);
        return;
    }
    uint64_t idle = st->now - tp->last_ack_recv;
    if (idle < keep_idle_us(tp) && tp->probes == 0) {
        timer_arm(&st->timers, &tp->t_keep, tp->last_ack_recv + keep_idle_us(tp));
        return;
    }
    if ((uint32_t)tp->probes >= cnt ||
        (tp->user_timeout_ms && idle >= keep_idle_us(tp) + (uint64_t)tp->user_timeout_ms * 1000)) {
        /* The peer is gone: tell it, in case it is only unreachable (Linux). */
        tcp_xmit(tp, tp->snd_nxt, 0, TCP_RST | TCP_ACK);
        tcp_close_conn(tp, tcp_timeout_err(tp));
        return;
    }
    /* RFC 9293 3.8.4: a probe with SEG.SEQ = SND.NXT-1 and no data. */
    tcp_xmit(tp, tp->snd_una - 1, 0, TCP_ACK);
    tp->probes++;
    tp->keepalive_probing = true;
    timer_arm(&st->timers, &tp->t_keep, st->now + intvl);
}

/* ---- TIME_WAIT and FIN_WAIT_2 ---- */

void tcp_enter_timewait(struct tcpcb *tp)
{
    struct stack *st = tp->st;
    tcp_set_state(tp, TCPS_TIME_WAIT);
    timer_cancel(&st->timers, &tp->t_rexmt);
    timer_cancel(&st->timers, &tp->t_persist);
    timer_cancel(&st->timers, &tp->t_keep);
    timer_cancel(&st->timers, &tp->t_delack);
    timer_cancel(&st->timers, &tp->t_reo);
    /* No data can flow any more: release the send buffer now. */
    ring_free(&tp->sndbuf);
    tcp_txq_free(tp);
    tp->snd_buf_seq = tp->snd_una;
    /* Past the cap on TIME_WAIT connections, skip the wait (as Linux does
     * when tcp_max_tw_buckets is exceeded): the timer fires at once. */
    uint64_t len = st->gauges.tcp_timewait > st->cfg.tcp.max_tw ? 0 : (uint64_t)st->cfg.tcp.timewait_ms * 1000;
    timer_arm(&st->timers, &tp->t_2msl, st->now + len);
    sock_wake(&tp->sk);
}

void tcp_arm_finwait2(struct tcpcb *tp)
{
    /* TCP_LINGER2: the socket's own FIN_WAIT_2 time; negative: none, the
     * orphan goes at once (Linux's tcp_done when linger2 < 0). */
    uint64_t ms = tp->linger2_s > 0 ? (uint64_t)tp->linger2_s * 1000
                  : tp->linger2_s < 0 ? 0
                                      : tp->st->cfg.tcp.fin_timeout_ms;
    timer_arm(&tp->st->timers, &tp->t_2msl, tp->st->now + ms * 1000);
}

static void twomsl_fire(struct stack *st, struct timer *t)
{
    (void)st;
    struct tcpcb *tp = container_of(t, struct tcpcb, t_2msl);
    if (tp->state == TCPS_TIME_WAIT || (tp->state == TCPS_FIN_WAIT_2 && tp->user_closed))
        tcp_close_conn(tp, 0);
}

/* ---- tail loss probe (RFC 8985 7) ----
 * When the last segments of a flight are lost, no duplicate ACKs come back
 * and only the RTO would notice.  A probe timeout (PTO) of about two RTTs
 * after the last transmission sends one segment (new data if the window
 * allows, else the last one again) to draw an ACK, whose SACK information
 * then starts fast recovery instead of a timeout.  Like Linux: only with
 * SACK, only in the Open state, one probe per flight. */

void tcp_schedule_tlp(struct tcpcb *tp)
{
    struct stack *st = tp->st;
    if (!st->cfg.tcp.tlp || !tp->sack_ok || !tp->rtt_valid || tp->tlp_pending ||
        tp->ca_state != TCP_CA_Open || tp->snd_nxt == tp->snd_una ||
        !(tp->state == TCPS_ESTABLISHED || tp->state == TCPS_CLOSE_WAIT || tp->state == TCPS_FIN_WAIT_1 ||
          tp->state == TCPS_CLOSING || tp->state == TCPS_LAST_ACK)) {
        timer_cancel(&st->timers, &tp->t_tlp);
        return;
    }
    /* PTO = 2*SRTT plus room for the receiver's delayed ACK when only one
     * segment is out (7.2); Linux's numbers: + rto_min for one segment,
     * + 2 ms otherwise. */
    uint64_t pto = 2ull * tp->srtt_us;
    uint32_t flight = tp->snd_nxt - tp->snd_una;
    pto += flight <= tp->mss ? (uint64_t)st->cfg.tcp.rto_min_ms * 1000 : 2000;
    /* Never later than the RTO itself. */
    if (timer_armed(&tp->t_rexmt) && tp->t_rexmt.expires > st->now && st->now + pto > tp->t_rexmt.expires)
        pto = tp->t_rexmt.expires - st->now;
    timer_arm(&st->timers, &tp->t_tlp, st->now + pto);
}

static void tlp_fire(struct stack *st, struct timer *t)
{
    (void)st;
    tlp_probe(container_of(t, struct tcpcb, t_tlp));
}

/* Sends the probe; false if none applies now. */
static bool tlp_probe(struct tcpcb *tp)
{
    struct stack *st = tp->st;
    if (tp->snd_nxt == tp->snd_una || tp->ca_state >= TCP_CA_Recovery || tp->tlp_pending)
        return false;
    uint32_t off = tp->snd_nxt - tp->snd_buf_seq;
    uint32_t avail = off < tp->sndbuf.len && !tp->fin_sent ? tp->sndbuf.len - off : 0;
    uint32_t wnd_end = tp->snd_una + tp->snd_wnd;
    uint32_t usable = seq_gt(wnd_end, tp->snd_nxt) ? wnd_end - tp->snd_nxt : 0;
    tp->tlp_pending = true;
    tp->tlp_high_seq = tp->snd_nxt;
    if (avail && usable) {
        /* 7.3: new data if the receive window allows. */
        uint32_t len = avail < tp->mss ? avail : tp->mss;
        if (len > usable)
            len = usable;
        uint32_t seq = tp->snd_nxt;
        uint8_t fl = TCP_ACK | (seq_lt(seq, tp->push_mark) && seq_geq(seq + len, tp->push_mark) ? TCP_PSH : 0);
        tcp_xmit(tp, seq, len, fl);
    } else {
        /* ... else the highest-sequence segment again (a FIN on its own
         * if we sent one: Linux keeps the FIN in its own buffer). */
        uint32_t data_end = tp->snd_buf_seq + tp->sndbuf.len;
        uint32_t seq, len;
        uint8_t fl = TCP_ACK;
        if (tp->fin_sent) {
            seq = tp->fin_seq;
            len = 0;
            fl |= TCP_FIN;
        } else {
            uint32_t end = seq_min(tp->snd_nxt, data_end);
            len = end - tp->snd_una;
            if (len > tp->mss)
                len = tp->mss;
            seq = end - len;
            if (seq_lt(seq, tp->push_mark) && seq_geq(seq + len, tp->push_mark))
                fl |= TCP_PSH;
        }
        st->ctr.tcp_retransmits++;
        tp->total_retrans++;
        tcp_trace(tp, TCP_EV_RETRANSMIT, seq, len, 2);
        tcp_xmit(tp, seq, len, fl);
    }
    st->ctr.tcp_tlp_probes++;
    /* The RTO now counts from the probe. */
    tcp_arm_rexmt(tp);
    return true;
}

/* ---- RACK reordering timer (RFC 8985 6.3): tcp_rack.c decides ---- */

static void reo_fire(struct stack *st, struct timer *t)
{
    (void)st;
    tcp_rack_timeout(container_of(t, struct tcpcb, t_reo));
}
