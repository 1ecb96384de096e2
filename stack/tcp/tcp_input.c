/* TCP input: what happens when a segment arrives (RFC 9293 3.10.7), state by
 * state, with the robustness rules of RFC 5961 (blind RST/SYN/data
 * injection), PAWS (RFC 7323 5), SACK (RFC 2018, 6675), and the congestion
 * control and loss recovery hooks.
 *
 * The path of a segment:
 *   tcp_input          checksum, parse, find the connection (O(1) hash)
 *   listen_input       LISTEN: a SYN makes a SYN-RECEIVED child (or a SYN cookie)
 *   syn_sent_input     SYN-SENT: our SYN answered (or refused)
 *   sync_input         every other state, in the RFC's order of checks:
 *                      PAWS, sequence acceptability, RST, SYN, ACK, data, FIN
 */
#include <errno.h>
#include <string.h>

#include "stack/tcp/cc.h"
#include "stack/tcp/tcp.h"
#include "stack/wire/icmp.h"
#include "stack/wire/icmpv6.h"

/* A received segment, parsed and trimmed as processing goes on. */
struct seg {
    struct tcp_hdr h;
    uint32_t seq, ack;
    uint8_t flags;
    const uint8_t *data;
    uint32_t dlen;
    uint32_t wnd;              /* window as sent (unscaled field) */
};

static uint32_t seg_len(const struct seg *s)
{
    return s->dlen + ((s->flags & TCP_SYN) ? 1 : 0) + ((s->flags & TCP_FIN) ? 1 : 0);
}

/* RFC 9293 3.10.7.1: the reply to a segment for no connection, or an
 * unacceptable one in SYN-SENT / LISTEN: never a RST in answer to a RST. */
static void reset_reply(struct stack *st, const struct ip_rx *rx, const struct seg *s)
{
    if (s->flags & TCP_RST)
        return;
    if (s->flags & TCP_ACK)
        tcp_respond(st, &rx->dst, &rx->src, s->h.dport, s->h.sport, s->ack, 0, TCP_RST);
    else
        tcp_respond(st, &rx->dst, &rx->src, s->h.dport, s->h.sport, 0, s->seq + seg_len(s),
                    TCP_RST | TCP_ACK);
}

/* Options of a SYN (or SYN-ACK): what both ends agreed on. */
static void take_syn_options(struct tcpcb *tp, const struct tcp_opts *o)
{
    const struct tcp_settings *cfg = &tp->st->cfg.tcp;
    uint32_t peer_mss = o->mss_ok ? o->mss
                                  : (tp->faddr.family == TP_AF_INET6 ? TCP_MSS_DEFAULT6 : TCP_MSS_DEFAULT4);
    uint32_t path = tcp_path_mss(tp->st, &tp->faddr);
    if (peer_mss > path)
        peer_mss = path;
    if (peer_mss < TCP_MIN_MSS)
        peer_mss = TCP_MIN_MSS;
    tp->snd_mss = (uint16_t)peer_mss;
    tp->advmss = (uint16_t)(tp->user_mss && tp->user_mss < path ? tp->user_mss : path);
    /* RFC 7323 2.2: scaling only if both SYNs carry the option. */
    if (cfg->window_scaling && o->ws_ok) {
        tp->ws_ok = true;
        tp->snd_wscale = o->ws > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : o->ws;
    } else {
        tp->ws_ok = false;
        tp->snd_wscale = tp->rcv_wscale = 0;
    }
    tp->sack_ok = cfg->sack && o->sack_perm;
    tp->ts_ok = cfg->timestamps && o->ts_ok;
    if (tp->ts_ok) {
        tp->ts_recent = o->tsval;
        tp->ts_recent_time = tp->st->now;
    }
    tcp_update_mss(tp);
    tp->rcv_mss = tp->mss < TCP_MSS_DEFAULT4 ? tp->mss : TCP_MSS_DEFAULT4;
}

/* The connection is established: start congestion control and keepalive. */
static void established(struct tcpcb *tp)
{
    tcp_set_state(tp, TCPS_ESTABLISHED);
    tp->retransmits = 0;
    tp->backoff = 0;
    /* RFC 6298 5.7: if the SYN (or SYN-ACK) was retransmitted and no RTT was
     * measured, the RTO after the handshake is 3 s. */
    if (!tp->rtt_valid && tp->total_retrans)
        tp->rto_us = 3000000;
    tp->cc->conn_init(tp);
    tcp_sndbuf_expand(tp);       /* Linux's tcp_init_buffer_space */
    /* Linux starts the TCP_INFO idle clocks at establishment. */
    tp->last_ack_recv = tp->last_data_recv = tp->last_data_sent = tp->st->now;
    tcp_arm_keepalive(tp);
}

/* ---------------------------------------------------------------- LISTEN */

static struct tcpcb *new_child(struct tcpcb *lp, const struct ip_rx *rx, const struct seg *s)
{
    struct stack *st = lp->st;
    struct tcpcb *tp = tcp_alloc(st, lp->sk.family);
    if (!tp)
        return NULL;
    /* The child inherits the listener's socket options. */
    tp->sk = lp->sk;
    tp->sk.wake = NULL;
    tp->sk.wake_ctx = NULL;
    tp->sk.so_error = 0;
    tp->nodelay = lp->nodelay;
    tp->cork = lp->cork;
    tp->user_mss = lp->user_mss;
    tp->cc = lp->cc;
    tp->keep_idle_s = lp->keep_idle_s;
    tp->keep_intvl_s = lp->keep_intvl_s;
    tp->keep_cnt = lp->keep_cnt;
    tp->user_timeout_ms = lp->user_timeout_ms;
    tp->user_syncnt = lp->user_syncnt;
    tp->linger2_s = lp->linger2_s;
    tp->linger_on = lp->linger_on;
    tp->linger_secs = lp->linger_secs;
    tp->rcvbuf_locked = lp->rcvbuf_locked;
    tp->sndbuf_locked = lp->sndbuf_locked;
    tp->rcv_buf_limit = lp->rcv_buf_limit;
    tp->laddr = rx->dst;
    tp->lport = s->h.dport;
    tp->faddr = rx->src;
    tp->fport = s->h.sport;
    /* A link-local peer stays on the interface it came from (Linux). */
    if (ipaddr_is_link_scoped(&rx->src))
        tp->sk.bound_ifindex = rx->ifindex;
    tp->passive = true;
    tp->parent = lp;
    tp->cc->init(tp);
    tp->irs = s->seq;
    tp->rcv_nxt = s->seq + 1;
    tp->rcv_adv = tp->rcv_nxt;
    tp->rcv_wup = tp->rcv_nxt;
    tp->rcv_wscale = tcp_choose_wscale(tp);
    take_syn_options(tp, &s->h.opt);
    tp->snd_wnd = s->wnd;                 /* never scaled in a SYN */
    tp->max_sndwnd = tp->snd_wnd;
    tp->snd_wl1 = s->seq;
    tp->snd_wl2 = 0;
    tcp_ecn_syn_received(tp, s->flags);
    return tp;
}

/* ---- SYN cookies (RFC 4987 3.6): when the SYN queue is full, the SYN-ACK's
 * ISN itself carries what we need to rebuild the connection from the final
 * ACK: a keyed hash of the 4-tuple and a coarse clock (64 s), and the MSS as
 * an index into a small table.  Window scale, SACK and timestamps are lost
 * (we answer without them), as in the classic scheme. */
static const uint16_t cookie_mss[4] = {536, 1300, 1440, 1460};

static uint32_t cookie_hash(struct stack *st, const struct ip_rx *rx, uint16_t sport, uint16_t dport,
                            uint32_t peer_isn, uint32_t count)
{
    uint8_t key[44];
    memset(key, 0, sizeof key);
    if (rx->src.family == TP_AF_INET) {
        memcpy(key, &rx->src.v4, 4);
        memcpy(key + 16, &rx->dst.v4, 4);
    } else {
        memcpy(key, rx->src.v6, 16);
        memcpy(key + 16, rx->dst.v6, 16);
    }
    memcpy(key + 32, &sport, 2);
    memcpy(key + 34, &dport, 2);
    memcpy(key + 36, &peer_isn, 4);
    memcpy(key + 40, &count, 4);
    return (uint32_t)siphash24(st->secret, key, sizeof key);
}

static uint32_t cookie_make(struct stack *st, const struct ip_rx *rx, const struct seg *s, int mss_idx)
{
    uint32_t count = (uint32_t)(st->now / 64000000);
    /* top 8 bits: the clock; the rest: hash + MSS index in the low 2 bits. */
    uint32_t h = cookie_hash(st, rx, s->h.sport, s->h.dport, s->seq, count);
    return ((count & 0xff) << 24) | ((h & 0x3fffff) << 2) | (uint32_t)mss_idx;
}

/* The MSS index if `cookie` (our ISN) is valid for this ACK, or -1. */
static int cookie_check(struct stack *st, const struct ip_rx *rx, const struct seg *s, uint32_t cookie)
{
    uint32_t now = (uint32_t)(st->now / 64000000);
    for (uint32_t age = 0; age < 2; age++) {   /* this period or the previous one */
        uint32_t count = now - age;
        if (((cookie >> 24) & 0xff) != (count & 0xff))
            continue;
        uint32_t h = cookie_hash(st, rx, s->h.sport, s->h.dport, s->seq - 1, count);
        if (((cookie >> 2) & 0x3fffff) == (h & 0x3fffff))
            return (int)(cookie & 3);
    }
    return -1;
}

static bool accept_queue_full(const struct tcpcb *lp)
{
    return lp->n_accept > lp->backlog;   /* Linux: backlog + 1 fit */
}

static void enqueue_accept(struct tcpcb *lp, struct tcpcb *tp)
{
    tcp_synq_remove(tp);
    tcp_acceptq_push(lp, tp);
    sock_wake(&lp->sk);
}

static void sync_input(struct tcpcb *tp, const struct ip_rx *rx, struct seg *s);
static void trim(struct tcpcb *tp, struct seg *s);
static void process_urg(struct tcpcb *tp, const struct seg *s);
static void process_data(struct tcpcb *tp, struct seg *s);
static void process_fin(struct tcpcb *tp);

static void listen_input(struct tcpcb *lp, const struct ip_rx *rx, struct seg *s)
{
    struct stack *st = lp->st;
    const struct tcp_settings *cfg = &st->cfg.tcp;
    if (s->flags & TCP_RST)
        return;                               /* 3.10.7.2: ignore */
    if (s->flags & TCP_ACK) {
        /* No SYN-RECEIVED child for this ACK: a SYN cookie, or garbage. */
        int idx = (!(s->flags & TCP_SYN) && cfg->syncookies) ? cookie_check(st, rx, s, s->ack - 1) : -1;
        if (idx < 0 || accept_queue_full(lp)) {
            reset_reply(st, rx, s);
            return;
        }
        struct seg syn = *s;
        syn.seq = s->seq - 1;
        memset(&syn.h.opt, 0, sizeof syn.h.opt);
        syn.h.opt.mss_ok = true;
        syn.h.opt.mss = cookie_mss[idx];
        struct tcpcb *tp = new_child(lp, rx, &syn);
        if (!tp)
            return;
        tp->syncookie_child = true;
        tcp_init_seq(tp, s->ack - 1);
        tp->snd_una = tp->snd_nxt = s->ack;
        tp->rcv_wscale = 0;
        tcp_hash_insert(tp);
        tp->snd_wnd = s->wnd;
        tp->max_sndwnd = tp->snd_wnd;
        tp->snd_wl1 = s->seq;
        tp->snd_wl2 = s->ack;
        established(tp);
        enqueue_accept(lp, tp);
        st->ctr.tcp_passive_opens++;
        st->ctr.tcp_syncookies_recv++;
        /* The ACK may carry data: process it as in ESTABLISHED. */
        sync_input(tp, rx, s);
        return;
    }
    if (!(s->flags & TCP_SYN))
        return;
    if (accept_queue_full(lp)) {
        st->ctr.tcp_listen_drops++;
        return;
    }
    /* The SYN queue holds at most `backlog` children (Linux's rule), and
     * never more than max_syn_backlog. */
    int synq_cap = lp->backlog > 0 ? lp->backlog : 1;
    if (lp->n_synq >= synq_cap || (uint32_t)lp->n_synq >= cfg->max_syn_backlog) {
        if (!cfg->syncookies) {
            st->ctr.tcp_listen_drops++;
            return;
        }
        /* SYN queue full: answer with a cookie and keep no state. */
        uint32_t mss = s->h.opt.mss_ok ? s->h.opt.mss : TCP_MSS_DEFAULT4;
        int idx = 0;
        for (int i = 3; i >= 0; i--)
            if (cookie_mss[i] <= mss) {
                idx = i;
                break;
            }
        uint32_t isn = cookie_make(st, rx, s, idx);
        struct tcp_hdr h;
        memset(&h, 0, sizeof h);
        h.sport = s->h.dport;
        h.dport = s->h.sport;
        h.seq = isn;
        h.ack = s->seq + 1;
        h.flags = TCP_SYN | TCP_ACK;
        h.win = 65535;
        h.opt.mss_ok = true;
        h.opt.mss = (uint16_t)tcp_path_mss(st, &rx->src);
        size_t ol = tcp_opts_len(&h.opt);
        struct pkt *p = pkt_alloc(TCP_HDR_LEN + ol);
        if (!p)
            return;
        uint8_t *b = pkt_put(p, TCP_HDR_LEN + ol);
        tcp_hdr_write(b, &h);
        tcp_set_checksum(&rx->dst, &rx->src, b, TCP_HDR_LEN + ol);
        struct ip_tx tx;
        memset(&tx, 0, sizeof tx);
        tx.src = rx->dst;
        tx.dst = rx->src;
        tx.proto = IPPROTO_NUM_TCP;
        tx.df = true;
        tx.ifindex = ipaddr_is_link_scoped(&rx->src) ? rx->ifindex : -1;
        st->ctr.tcp_tx_segments++;
        st->ctr.tcp_syncookies_sent++;
        ip_output(st, p, &tx);
        return;
    }
    struct tcpcb *tp = new_child(lp, rx, s);
    if (!tp) {
        st->ctr.tcp_listen_drops++;
        return;
    }
    tcp_synq_add(lp, tp);
    tcp_init_seq(tp, tcp_new_isn(st, &tp->laddr, tp->lport, &tp->faddr, tp->fport));
    tcp_set_state(tp, TCPS_SYN_RECEIVED);
    tcp_hash_insert(tp);
    st->ctr.tcp_passive_opens++;
    /* RFC 9293 allows data on a SYN to be queued; like Linux (without Fast
     * Open) we do not take it: the peer sends it again after the handshake. */
    tcp_xmit(tp, tp->iss, 0, TCP_SYN | TCP_ACK);
}

/* ------------------------------------------------------------- SYN-SENT */

static void syn_sent_input(struct tcpcb *tp, const struct ip_rx *rx, struct seg *s)
{
    struct stack *st = tp->st;
    /* 3.10.7.3 first: check the ACK. */
    if (s->flags & TCP_ACK) {
        if (seq_leq(s->ack, tp->iss) || seq_gt(s->ack, tp->snd_nxt)) {
            reset_reply(st, rx, s);
            return;
        }
    }
    /* second: RST.  Acceptable only with an acceptable ACK (RFC 5961 3.2's
     * rule for SYN-SENT). */
    if (s->flags & TCP_RST) {
        if (s->flags & TCP_ACK) {
            st->ctr.tcp_attempt_fails++;
            tcp_close_conn(tp, ECONNREFUSED);
        }
        return;
    }
    if (!(s->flags & TCP_SYN))
        return;
    /* fourth: SYN. */
    tp->irs = s->seq;
    tp->rcv_nxt = s->seq + 1;
    tp->rcv_adv = tp->rcv_nxt;
    tp->rcv_wup = tp->rcv_nxt;
    bool want_ws = st->cfg.tcp.window_scaling;
    take_syn_options(tp, &s->h.opt);
    if (!want_ws)
        tp->ws_ok = false;
    if (!tp->ws_ok)
        tp->rcv_wscale = tp->snd_wscale = 0;
    tcp_ecn_synack_received(tp, s->flags);
    tp->snd_wnd = s->wnd;
    tp->max_sndwnd = tp->snd_wnd;
    tp->snd_wl1 = s->seq;
    tp->snd_wl2 = s->ack;
    if (s->flags & TCP_ACK) {
        /* Our SYN is acknowledged: ESTABLISHED. */
        tp->snd_una = s->ack;
        tp->soft_err = 0;
        tcp_fastopen_synack(tp, &s->h.opt);   /* RFC 7413: the cookie, the SYN's data */
        if (tp->rt_timing && seq_gt(s->ack, tp->rt_seq) && tp->retransmits == 0) {
            tcp_rtt_sample(tp, (uint32_t)(st->now - tp->rt_time));
            tp->rt_timing = false;
        }
        timer_cancel(&st->timers, &tp->t_rexmt);
        established(tp);
        if (s->dlen || (s->flags & (TCP_FIN | TCP_URG))) {
            /* 3.10.7.3: "if there are other controls or text in the
             * segment, then continue processing at the sixth step" (URG,
             * text, FIN), inside the window our SYN offered. */
            s->seq++;
            s->flags &= (uint8_t)~TCP_SYN;
            uint32_t w = tcp_rcv_window(tp);
            tp->rcv_adv = tp->rcv_nxt + (w < 65535 ? w : 65535);
            trim(tp, s);
            process_urg(tp, s);
            tcp_ecn_input(tp, rx->tos, s->flags, s->dlen);
            process_data(tp, s);
            if ((s->flags & TCP_FIN) && s->seq + s->dlen == tp->rcv_nxt)
                process_fin(tp);
        }
        tp->ack_now = true;
        tcp_output(tp);           /* the ACK, with any data queued meanwhile */
        sock_wake(&tp->sk);
        return;
    }
    /* Simultaneous open (3.10.7.3, figure 8): SYN-RECEIVED, and our SYN
     * again, now with an ACK. */
    tcp_set_state(tp, TCPS_SYN_RECEIVED);
    tcp_xmit(tp, tp->iss, 0, TCP_SYN | TCP_ACK);
}

/* ------------------------------------------------- synchronized states */

/* PAWS (RFC 7323 5.3): a segment whose TSval is older than TS.Recent is a
 * duplicate from an earlier incarnation of the sequence space. */
static bool paws_reject(struct tcpcb *tp, const struct seg *s)
{
    if (!tp->ts_ok || !s->h.opt.ts_ok || (s->flags & TCP_RST))
        return false;
    if (!seq_lt(s->h.opt.tsval, tp->ts_recent))
        return false;
    /* 5.5: TS.Recent older than 24 days is invalid: accept and resync. */
    if (tp->st->now - tp->ts_recent_time > 24ull * 86400 * 1000000)
        return false;
    return true;
}

/* The receive window we promised: RCV.WND for the acceptability test. */
static uint32_t rcv_wnd(const struct tcpcb *tp)
{
    return seq_gt(tp->rcv_adv, tp->rcv_nxt) ? tp->rcv_adv - tp->rcv_nxt : 0;
}

/* 3.10.7.4 first check: is any of the segment inside the window? */
static bool acceptable(const struct tcpcb *tp, const struct seg *s)
{
    uint32_t wnd = rcv_wnd(tp);
    uint32_t len = seg_len(s);
    uint32_t nxt = tp->rcv_nxt;
    if (len == 0) {
        if (wnd == 0)
            return s->seq == nxt;
        return seq_in(s->seq, nxt, nxt + wnd);
    }
    /* A zero window takes no text, "but special allowance should be made
     * to accept valid ACKs, URGs, and RSTs": a segment right at RCV.NXT
     * passes, trim() then cuts all its text (Linux lets SEG.SEQ = RCV.NXT
     * through the same way). */
    if (wnd == 0)
        return s->seq == nxt;
    return seq_in(s->seq, nxt, nxt + wnd) || seq_in(s->seq + len - 1, nxt, nxt + wnd);
}

/* Cut the segment to the window: the duplicate front (which D-SACK reports)
 * and anything past the right edge. */
static void trim(struct tcpcb *tp, struct seg *s)
{
    if (seq_lt(s->seq, tp->rcv_nxt)) {
        uint32_t d = tp->rcv_nxt - s->seq;
        if (s->flags & TCP_SYN) {
            s->flags &= (uint8_t)~TCP_SYN;
            s->seq++;
            d--;
        }
        if (d > s->dlen) {
            d = s->dlen;
            s->flags &= (uint8_t)~TCP_FIN;   /* an old FIN */
        }
        if (d && s->dlen) {
            tp->dsack_pending = tp->st->cfg.tcp.dsack;
            tp->dsack.start = s->seq;
            tp->dsack.end = s->seq + d;
        }
        s->data += d;
        s->dlen -= d;
        s->seq += d;
    }
    uint32_t right = tp->rcv_nxt + rcv_wnd(tp);
    if (seq_gt(s->seq + s->dlen, right)) {
        uint32_t keep = seq_gt(right, s->seq) ? right - s->seq : 0;
        if (keep == 0 && s->dlen)
            tp->ack_now = true;   /* none of it taken (a zero window): say so at once */
        s->dlen = keep;
        s->flags &= (uint8_t)~TCP_FIN;
    }
}

/* A reset ends the connection (3.10.7.4 second check, per state). */
static void reset_received(struct tcpcb *tp)
{
    struct stack *st = tp->st;
    int err = ECONNRESET;
    switch (tp->state) {
    case TCPS_SYN_RECEIVED:
        /* Passive: the child simply goes away (back to LISTEN); active
         * (simultaneous open): the connection was refused. */
        err = tp->passive ? 0 : ECONNREFUSED;
        break;
    case TCPS_CLOSE_WAIT:
        err = EPIPE;             /* the peer had closed already: Linux says EPIPE */
        st->ctr.tcp_estab_resets++;
        break;
    case TCPS_ESTABLISHED:
        st->ctr.tcp_estab_resets++;
        break;
    default:
        break;
    }
    tcp_close_conn(tp, err);
}

/* Was the congestion window what limited sending lately?  Growing cwnd when
 * the application sends little would only make a window never tested
 * (RFC 7661's concern; Linux's tcp_is_cwnd_limited). */
static bool cwnd_limited(const struct tcpcb *tp)
{
    if (tp->cwnd < tp->ssthresh)
        return tp->cwnd < 2 * tp->max_flight;
    return tp->cwnd_limited || tp->max_flight + tp->mss > tp->cwnd;
}

/* What an ACK means for the congestion state when RACK decides loss (RFC
 * 8985 with RFC 6937; Linux's tcp_fastretrans_alert with tcp_recovery=1):
 * recovery starts when a segment is deemed lost, not after DupThresh
 * duplicate ACKs. */
static void ack_congestion_rack(struct tcpcb *tp, uint32_t acked, uint32_t delivered, uint32_t newly_sacked)
{
    const struct tcp_settings *cfg = &tp->st->cfg.tcp;
    if (tp->ca_state == TCP_CA_Loss) {
        if (acked && seq_geq(tp->snd_una, tp->recover)) {
            tp->ca_state = TCP_CA_Open;
            tp->lost_high = tp->high_rxt = tp->snd_una;
        }
        if (acked)
            tp->cc->ack_received(tp, acked);
        tcp_trace(tp, TCP_EV_CWND, tp->cwnd, tp->ssthresh, 0);
        return;
    }
    if (tp->ca_state == TCP_CA_Recovery) {
        if (acked && seq_geq(tp->snd_una, tp->recover)) {
            tcp_exit_recovery(tp);
        } else {
            uint32_t lost = tcp_rack_mark_lost(tp);
            if (delivered)
                tcp_prr_ack(tp, delivered, acked && !lost);
        }
        tcp_trace(tp, TCP_EV_CWND, tp->cwnd, tp->ssthresh, 0);
        return;
    }
    if (acked)
        tp->dupacks = 0;
    else if (newly_sacked)
        tp->dupacks++;
    if (tp->ca_state != TCP_CA_Open || newly_sacked)
        tcp_rack_mark_lost(tp);
    if (tp->lost_cnt) {
        /* The loss is proven: fast recovery, the lost segments first. */
        tcp_enter_recovery(tp);
        if (delivered)
            tcp_prr_ack(tp, delivered, false);
        tcp_trace(tp, TCP_EV_CWND, tp->cwnd, tp->ssthresh, 0);
        return;
    }
    /* Grow cwnd with what was delivered, in order only (RFC 5681) unless
     * reordering is known to be high, then on any delivery (Linux's
     * tcp_may_raise_cwnd). */
    bool raise = tp->reordering > cfg->reordering ? (acked || newly_sacked) : acked != 0;
    /* ... but not during an ECN reduction (CWR, RFC 3168 6.1.2). */
    bool reducing = tcp_ecn_reducing(tp);
    if (raise && delivered && !reducing && cwnd_limited(tp))
        tp->cc->ack_received(tp, delivered);
    if (!reducing)
        tp->ca_state = tp->txq_sacked || tp->rxt_cnt ? TCP_CA_Disorder : TCP_CA_Open;
    tcp_trace(tp, TCP_EV_CWND, tp->cwnd, tp->ssthresh, 0);
}

/* RFC 5681 / 6675 / 6582 / 6937: what an ACK means for the congestion state. */
static void ack_congestion(struct tcpcb *tp, const struct seg *s, uint32_t acked, uint32_t newly_sacked,
                           uint32_t prior_sacked, bool window_changed, uint32_t newly_sacked_recs)
{
    const struct tcp_settings *cfg = &tp->st->cfg.tcp;
    uint32_t dupthresh = cfg->reordering ? cfg->reordering : 3;
    /* DeliveredData (RFC 6937): what left the network with this ACK. */
    uint32_t sacked_now = tcp_rack_on(tp) ? tp->txq_sacked_bytes : tp->sacked_bytes;
    int64_t delivered = (int64_t)acked + (int64_t)sacked_now - (int64_t)prior_sacked;
    if (delivered < 0)
        delivered = 0;
    if (tcp_rack_on(tp)) {
        ack_congestion_rack(tp, acked, (uint32_t)delivered, newly_sacked_recs);
        return;
    }

    if (acked && tp->ca_state == TCP_CA_Recovery) {
        if (seq_geq(tp->snd_una, tp->recover)) {
            tcp_exit_recovery(tp);
        } else {
            /* Partial ACK (RFC 6582 3.2 step 5): the next hole is lost too;
             * it goes out now. */
            tp->lost_high = seq_min(seq_max(tp->lost_high, tp->snd_una + tp->mss), tp->snd_nxt);
            if (!tp->sack_ok) {
                uint32_t segs = acked / tp->mss;
                tp->dupacks = tp->dupacks > segs ? tp->dupacks - segs : 0;
            }
            tcp_prr_ack(tp, (uint32_t)delivered, true);
        }
        tcp_trace(tp, TCP_EV_CWND, tp->cwnd, tp->ssthresh, 0);
        return;
    }
    if (acked && tp->ca_state == TCP_CA_Loss) {
        if (seq_geq(tp->snd_una, tp->recover)) {
            tp->ca_state = TCP_CA_Open;
            tp->lost_high = tp->high_rxt = tp->snd_una;
        }
        tp->cc->ack_received(tp, acked);
        tcp_trace(tp, TCP_EV_CWND, tp->cwnd, tp->ssthresh, 0);
        return;
    }
    if (acked) {
        /* After an ECN reduction (CWR state) the window does not grow until
         * the data sent before it is acknowledged (RFC 3168 6.1.2). */
        bool reducing = tcp_ecn_reducing(tp);
        /* Growth counts what this ACK delivered (RFC 6937 DeliveredData,
         * Linux's acked_sacked): data SACKed by earlier duplicate ACKs grew
         * nothing then, and is not counted when the cumulative ACK passes
         * it now, so reordering does not inflate cwnd. */
        uint32_t grow = (uint32_t)delivered;
        if (!tp->sack_ok) {
            /* Without SACK each duplicate ACK stood for a delivered segment
             * (Linux's Reno "sacked_out"): the cumulative ACK that follows
             * delivers the rest, at least one segment. */
            uint32_t dup = tp->dupacks * tp->mss;
            grow = acked > dup ? acked - dup : (acked < tp->mss ? acked : tp->mss);
        }
        if (!reducing && cwnd_limited(tp))
            tp->cc->ack_received(tp, grow);
        tp->dupacks = 0;
        if (!reducing)
            tp->ca_state = tp->sacked_bytes ? TCP_CA_Disorder : TCP_CA_Open;
        tcp_trace(tp, TCP_EV_CWND, tp->cwnd, tp->ssthresh, 0);
    } else {
        /* No new cumulative ACK.  A duplicate ACK (RFC 5681 2: no data, no
         * window change, data outstanding, same ACK), or one that SACKs new
         * data (RFC 6675 2). */
        bool dup = tp->snd_nxt != tp->snd_una && s->dlen == 0 && !(s->flags & (TCP_SYN | TCP_FIN)) &&
                   !window_changed;
        if (tp->sack_ok && newly_sacked)
            dup = true;
        if (!dup)
            return;
        tp->dupacks++;
        if (tp->ca_state == TCP_CA_Recovery) {
            tcp_prr_ack(tp, tp->sack_ok ? (uint32_t)delivered : tp->mss, true);
            return;
        }
        if (tp->ca_state == TCP_CA_Loss)
            return;
        if (tp->ca_state != TCP_CA_CWR)
            tp->ca_state = TCP_CA_Disorder;
    }
    if (tp->ca_state != TCP_CA_Disorder && tp->ca_state != TCP_CA_CWR)
        return;
    /* Fast retransmit (RFC 5681 3.2) after DupThresh duplicate ACKs, or with
     * SACK when IsLost(SND.UNA): more than (DupThresh-1)*SMSS bytes SACKed
     * above it (RFC 6675 5). */
    bool lost = tp->dupacks >= dupthresh;
    if (tp->sack_ok)
        lost = lost || tp->sacked_bytes > (dupthresh - 1) * tp->mss;
    else if (lost && !seq_gt(tp->snd_una, tp->recover) && tp->recover != tp->iss)
        lost = false;   /* RFC 6582 3.2 step 2: ACKs from before the last recovery */
    if (lost) {
        tcp_enter_recovery(tp);
        tcp_prr_ack(tp, tp->sack_ok ? (uint32_t)delivered : tp->mss, true);
    }
}

/* The ACK field (3.10.7.4 fifth check).  Returns false if the segment must
 * be dropped here (tp is still alive). */
static bool process_ack(struct tcpcb *tp, struct seg *s)
{
    struct stack *st = tp->st;
    uint32_t ack = s->ack;

    /* RFC 5961 5.2: acceptable if SND.UNA - MAX.SND.WND <= SEG.ACK <= SND.NXT.
     * Too old: challenge ACK (rate-limited).  Acknowledging data never sent:
     * RFC 9293 says "send an ACK"; Linux drops silently (no ACK war with a
     * confused or forged peer), and packetdrill checks that; we follow Linux. */
    uint32_t max_wnd = tp->max_sndwnd > tp->mss ? tp->max_sndwnd : tp->mss;
    if (seq_gt(ack, tp->snd_nxt)) {
        st->ctr.tcp_rx_bad_ack++;
        return false;
    }
    if (seq_lt(ack, tp->snd_una - max_wnd)) {
        st->ctr.tcp_rx_bad_ack++;
        tcp_send_challenge_ack(tp);
        return false;
    }
    /* The peer answered: whatever probes were out are answered too.  RFC
     * 1122 4.2.2.17 / RFC 9293 3.8.6.1: while the receiver keeps answering
     * our zero-window probes the connection MUST stay open, so only probes
     * nobody answers count toward giving up (Linux's tcp_ack zeroes
     * icsk_probes_out on every acceptable ACK).  TCP_USER_TIMEOUT still
     * counts from probe_stamp, which only an opening window clears. */
    tp->probes = 0;
    tp->soft_err = 0;            /* the path works after all (Linux's tcp_ack) */

    /* RACK counts SACKed bytes by record (the byte scoreboard is capped). */
    uint32_t prior_sacked = tcp_rack_on(tp) ? tp->txq_sacked_bytes : tp->sacked_bytes;
    uint32_t newly_sacked = 0, newly_sacked_recs = 0;
    /* The records first (RACK, reordering), then the byte scoreboard. */
    uint32_t prior_fack = tcp_rack_fack(tp, tp->snd_una);
    if (tp->sack_ok)
        newly_sacked_recs = tcp_rack_sack(tp, &s->h.opt, ack, prior_fack);
    if (tp->sack_ok && s->h.opt.n_sack)
        newly_sacked = tcp_sack_update(tp, &s->h.opt, ack);

    uint32_t new_wnd = s->wnd << tp->snd_wscale;
    bool window_changed = new_wnd != tp->snd_wnd;
    uint32_t acked = 0;

    uint32_t ack_rtt = 0;
    if (seq_gt(ack, tp->snd_una)) {
        acked = ack - tp->snd_una;
        ack_rtt = tcp_txlog_ack(tp, ack);
        /* RTT: the timed segment (Karn: never a retransmitted one), or the
         * timestamp echo (RFC 7323 4.1) when nothing is timed. */
        if (tp->rt_timing && seq_gt(ack, tp->rt_seq)) {
            tcp_rtt_sample(tp, (uint32_t)(st->now - tp->rt_time));
            tp->rt_timing = false;
        } else if (tp->ts_ok && s->h.opt.ts_ok && s->h.opt.tsecr) {
            /* RFC 7323 4.1: TSecr echoes the segment that moved the left
             * edge, retransmitted or not, so it is a valid sample even
             * where Karn's rule forbids timing (ms resolution). */
            uint32_t ms = tcp_ts_now(tp) - s->h.opt.tsecr;
            if (ms < 600000)
                tcp_rtt_sample(tp, ms * 1000);
        }
        /* Release acknowledged bytes from the send buffer. */
        uint32_t data = ack - tp->snd_buf_seq;
        if (seq_lt(ack, tp->snd_buf_seq))
            data = 0;
        if (data > tp->sndbuf.len)
            data = tp->sndbuf.len;
        ring_consume(&tp->sndbuf, data);
        tp->snd_buf_seq += data;
        tp->snd_una = ack;
        tp->bytes_acked += acked;
        tp->delivered += (acked + tp->mss - 1) / tp->mss;
        tcp_rack_ack(tp, ack, &s->h.opt, prior_fack);
        tcp_sack_trim(tp);
        if (seq_lt(tp->high_rxt, ack))
            tp->high_rxt = ack;
        if (seq_lt(tp->lost_high, ack))
            tp->lost_high = ack;
        /* Karn (RFC 6298 5.7 note): the backed-off RTO stays until a new
         * RTT sample (tcp_rtt_sample clears the backoff). */
        tp->retransmits = 0;
        tp->probes = 0;
        tp->probe_stamp = 0;
    }
    if (tp->sack_ok) {
        tcp_rack_update_reo_wnd(tp);
        if (!tcp_rack_on(tp))
            tcp_update_lost(tp);
    }
    /* The controller sees this ACK's RTT before its window growth (Linux's
     * pkts_acked before cong_avoid): CUBIC's HyStart reads it. */
    if (ack_rtt && tp->cc->rtt_sample && tcp_synchronized(tp->state))
        tp->cc->rtt_sample(tp, ack_rtt);
    if (tcp_synchronized(tp->state)) {
        tcp_ecn_echo(tp, s->flags);       /* ECE: reduce first, then no growth */
        ack_congestion(tp, s, acked, newly_sacked, prior_sacked, window_changed, newly_sacked_recs);
        if (tcp_pacing_on(tp))
            tcp_pacing_update_rate(tp);   /* the new cwnd and srtt (Linux: tcp_ack) */
    }

    /* Window update (3.10.7.4): only from a segment newer than the last one
     * that set it (SND.WL1, SND.WL2). */
    if (seq_lt(tp->snd_wl1, s->seq) || (tp->snd_wl1 == s->seq && seq_leq(tp->snd_wl2, ack))) {
        bool opened = new_wnd > tp->snd_wnd;
        tp->snd_wnd = new_wnd;
        tp->snd_wl1 = s->seq;
        tp->snd_wl2 = ack;
        if (tp->snd_wnd > tp->max_sndwnd)
            tp->max_sndwnd = tp->snd_wnd;
        if (opened && tp->snd_wnd) {
            timer_cancel(&st->timers, &tp->t_persist);
            if (tp->snd_nxt == tp->snd_una)
                tp->backoff = 0;
            tp->probes = 0;
            tp->probe_stamp = 0;
        }
    }

    if (acked) {
        /* RFC 6298 5.2/5.3: all acknowledged: stop the timer; else restart it. */
        if (tp->snd_una == tp->snd_nxt)
            timer_cancel(&st->timers, &tp->t_rexmt);
        else
            tcp_arm_rexmt(tp);
        if (tp->tlp_pending && seq_geq(tp->snd_una, tp->tlp_high_seq))
            tp->tlp_pending = false;         /* the probe's flight is acknowledged */
        tcp_schedule_tlp(tp);
        /* Send-buffer memory freed: a refused writer is woken once the
         * buffer is writable again (tcp_check_space, after our own
         * transmissions); everything acknowledged wakes whoever waits for
         * the queue to drain (close with SO_LINGER, sendall). */
        tcp_skb_acked(tp);
        tp->queue_shrunk = true;
        if (tp->snd_una == tp->snd_nxt && tp->sndbuf.len == 0) {
            if (tp->busy_since) {
                /* Nothing queued any more: the busy and limited clocks stop. */
                tcp_note_limited(tp, 0);
                tp->busy_us += st->now - tp->busy_since;
                tp->busy_since = 0;
            }
            sock_wake(&tp->sk);
        }
    }
    return true;
}

/* The URG bit (3.10.7.4 sixth check).  We keep urgent data in the stream
 * (as SO_OOBINLINE; RFC 6093 advises applications to use it so) and only
 * track the pointer, so poll reports POLLPRI until the reader passes it: the
 * stream is never altered.  The pointer only moves forward. */
static void process_urg(struct tcpcb *tp, const struct seg *s)
{
    if (!(s->flags & TCP_URG) || !s->h.urg)
        return;
    /* An offset from the segment's own SEG.SEQ (the header's, as Linux's
     * tcp_check_urg), not from s->seq, which trim() moved past a duplicate
     * front and the SYN-SENT path past the SYN. */
    uint32_t up = s->h.seq + s->h.urg;
    uint32_t read_pos = tp->rcv_nxt - tp->rcvbuf.len;
    if ((!tp->rcv_urg || seq_gt(up, tp->rcv_up)) && seq_gt(up, read_pos)) {
        tp->rcv_up = up;
        tp->rcv_urg = true;
        sock_wake(&tp->sk);
    }
}

/* The FIN at rcv_nxt (3.10.7.4 eighth check).  Returns false if tp is gone. */
static void process_fin(struct tcpcb *tp)
{
    tp->rcv_nxt++;
    tp->fin_rcvd = true;
    tp->ack_now = true;
    switch (tp->state) {
    case TCPS_SYN_RECEIVED:
    case TCPS_ESTABLISHED:
        tcp_set_state(tp, TCPS_CLOSE_WAIT);
        break;
    case TCPS_FIN_WAIT_1:
        /* Our FIN not yet acknowledged (else we would be in FIN-WAIT-2):
         * simultaneous close. */
        tcp_set_state(tp, TCPS_CLOSING);
        break;
    case TCPS_FIN_WAIT_2:
        tcp_send_ack(tp);
        tcp_enter_timewait(tp);
        break;
    case TCPS_TIME_WAIT:
        timer_arm(&tp->st->timers, &tp->t_2msl, tp->st->now + (uint64_t)tp->st->cfg.tcp.timewait_ms * 1000);
        break;
    default:
        break;
    }
    sock_wake(&tp->sk);
}

/* Segment text (3.10.7.4 seventh check). */
static void process_data(struct tcpcb *tp, struct seg *s)
{
    struct stack *st = tp->st;
    if (s->dlen == 0)
        return;
    if (!(tp->state == TCPS_ESTABLISHED || tp->state == TCPS_FIN_WAIT_1 || tp->state == TCPS_FIN_WAIT_2))
        return;                  /* text after the peer's FIN: ignored */

    /* Quick-ack at the start and after an idle spell (Linux's heuristic). */
    if (tp->bytes_received == 0 || st->now - tp->last_data_recv > tcp_current_rto(tp)) {
        uint32_t q = tp->rcv_buf_limit / (2u * (tp->rcv_mss ? tp->rcv_mss : 536));
        tp->quickacks = q < TCP_QUICKACKS ? (q ? q : 1) : TCP_QUICKACKS;
    }
    if (s->dlen > tp->rcv_mss)
        tp->rcv_mss = (uint16_t)(s->dlen < tp->advmss ? s->dlen : tp->advmss);
    /* Remember why the peer may be waiting for our ACK (tcp_cleanup_rbuf
     * uses it when the application reads, Linux's tcp_measure_rcv_mss): a
     * short segment ends a write, and a Nagle sender holds its next small
     * one until this data is acknowledged; a full one with PSH also ends a
     * write.  A second short one since our last ACK is ack_pushed2. */
    if (s->dlen < tp->rcv_mss) {
        if (tp->ack_pushed)
            tp->ack_pushed2 = true;
        tp->ack_pushed = true;
    } else if (s->flags & TCP_PSH) {
        tp->ack_pushed = true;
    }
    tp->last_data_recv = st->now;
    tp->data_segs_in++;
    tcp_trace(tp, TCP_EV_RECV, s->seq, s->dlen, 0);

    uint32_t off = s->seq - tp->rcv_nxt;                 /* >= 0 after trim */
    uint32_t need = tp->rcvbuf.len + off + s->dlen;
    for (int i = 0; i < tp->n_ooo; i++) {
        uint32_t e = tp->rcvbuf.len + (tp->ooo[i].end - tp->rcv_nxt);
        if (e > need)
            need = e;
    }
    if (ring_reserve(&tp->rcvbuf, need) != 0) {
        st->ctr.tcp_rx_mem_drops++;
        return;
    }
    if (off == 0) {
        ring_write_at(&tp->rcvbuf, tp->rcvbuf.len, s->data, s->dlen);
        tp->rcvbuf.len += s->dlen;
        tp->rcv_nxt += s->dlen;
        tp->bytes_received += s->dlen;
        uint32_t before = tp->rcv_nxt;
        uint32_t nxt = tcp_ooo_advance(tp);
        if (nxt != before) {
            tp->bytes_received += nxt - before;
            tp->rcvbuf.len += nxt - before;
            tp->rcv_nxt = nxt;
            tp->ack_now = true;  /* RFC 5681 4.2: ACK at once when a gap fills */
        }
        if (tp->n_ooo)
            tp->ack_now = true;  /* holes remain: keep SACK information flowing */
        tcp_ack_delayed(tp);
        sock_wake(&tp->sk);
    } else {
        /* Out of order: place it, remember the range, and send a duplicate
         * ACK at once (RFC 5681 4.2) carrying SACK blocks. */
        uint32_t covered_before = 0;
        for (int i = 0; i < tp->n_ooo; i++) {
            uint32_t a = seq_max(tp->ooo[i].start, s->seq), b = seq_min(tp->ooo[i].end, s->seq + s->dlen);
            if (seq_lt(a, b))
                covered_before += b - a;
        }
        if (!tcp_ooo_add(tp, s->seq, s->seq + s->dlen)) {
            st->ctr.tcp_rx_ooo_drops++;
            tp->ack_now = true;
            return;
        }
        ring_write_at(&tp->rcvbuf, tp->rcvbuf.len + off, s->data, s->dlen);
        if (covered_before == s->dlen && st->cfg.tcp.dsack) {
            tp->dsack_pending = true;    /* RFC 2883: a duplicate of out-of-order data */
            tp->dsack.start = s->seq;
            tp->dsack.end = s->seq + s->dlen;
        }
        st->ctr.tcp_rx_ooo++;
        tp->ack_now = true;
    }
}

/* Everything after LISTEN and SYN-SENT (3.10.7.4). */
static void sync_input(struct tcpcb *tp, const struct ip_rx *rx, struct seg *s)
{
    struct stack *st = tp->st;
    tp->segs_in++;
    tp->last_ack_recv = st->now;
    if (tp->keepalive_probing || tp->probes) {
        tp->keepalive_probing = false;
        if (!timer_armed(&tp->t_persist))
            tp->probes = 0;
    }

    /* TIME-WAIT: a new SYN may reopen the connection (RFC 9293 3.6.1, RFC
     * 6191): if its sequence number is beyond what we saw (or its timestamp
     * newer), drop the old incarnation and hand the SYN to the listener. */
    if (tp->state == TCPS_TIME_WAIT && (s->flags & TCP_SYN) && !(s->flags & (TCP_ACK | TCP_RST))) {
        bool newer = seq_gt(s->seq, tp->rcv_nxt) ||
                     (tp->ts_ok && s->h.opt.ts_ok && seq_gt(s->h.opt.tsval, tp->ts_recent));
        if (newer) {
            struct tcpcb *lp = tcp_lookup_listener(st, &rx->dst, s->h.dport);
            if (lp) {
                tcp_close_conn(tp, 0);
                listen_input(lp, rx, s);
                return;
            }
        }
    }

    /* first: PAWS, then the sequence number. */
    if (paws_reject(tp, s)) {
        st->ctr.tcp_rx_paws++;
        if (s->dlen)
            tcp_send_ack(tp);
        else
            tcp_send_challenge_ack(tp);
        return;
    }
    if (!acceptable(tp, s)) {
        st->ctr.tcp_rx_out_of_window++;
        if (s->flags & TCP_RST)
            return;
        if (s->dlen && seq_lt(s->seq, tp->rcv_nxt) && st->cfg.tcp.dsack && tp->sack_ok) {
            tp->dsack_pending = true;    /* RFC 2883: a duplicate segment */
            tp->dsack.start = s->seq;
            tp->dsack.end = s->seq + s->dlen;
            if (seq_gt(tp->dsack.end, tp->rcv_nxt))
                tp->dsack.end = tp->rcv_nxt;
        }
        /* Data segments are always answered (they cannot form an ACK loop);
         * pure ACKs and SYNs only within the rate limit (as Linux). */
        if (s->dlen && !(s->flags & TCP_SYN))
            tcp_send_ack(tp);
        else
            tcp_send_challenge_ack(tp);
        return;
    }

    /* RFC 7323 4.3: the peer's timestamp is remembered (below) only once the
     * segment has passed every check, its ACK included: a segment with a
     * bogus ACK must not move TS.Recent (Linux does the same). */
    bool ts_update = tp->ts_ok && s->h.opt.ts_ok && seq_leq(s->seq, tp->last_ack_sent) &&
                     seq_geq(s->seq + seg_len(s), tp->last_ack_sent) &&
                     !seq_lt(s->h.opt.tsval, tp->ts_recent);

    /* second: RST (RFC 5961 3.2): exactly RCV.NXT resets; elsewhere in the
     * window it earns a challenge ACK. */
    if (s->flags & TCP_RST) {
        if (s->seq == tp->rcv_nxt) {
            reset_received(tp);
        } else {
            st->ctr.tcp_rx_challenge++;
            tcp_send_challenge_ack(tp);
        }
        return;
    }

    trim(tp, s);

    /* fourth: SYN in a synchronized state (RFC 5961 4.2): challenge ACK.  A
     * retransmitted SYN in SYN-RECEIVED gets the SYN-ACK again. */
    if (s->flags & TCP_SYN) {
        if (tp->state == TCPS_SYN_RECEIVED && s->seq + 1 == tp->rcv_nxt) {
            tcp_xmit(tp, tp->iss, 0, TCP_SYN | TCP_ACK);
            return;
        }
        st->ctr.tcp_rx_challenge++;
        tcp_send_challenge_ack(tp);
        return;
    }

    /* fifth: ACK. */
    if (!(s->flags & TCP_ACK))
        return;
    if (tp->state == TCPS_SYN_RECEIVED) {
        if (!(seq_gt(s->ack, tp->snd_una) && seq_leq(s->ack, tp->snd_nxt))) {
            tcp_respond(st, &tp->laddr, &tp->faddr, tp->lport, tp->fport, s->ack, 0, TCP_RST);
            return;
        }
        struct tcpcb *lp = tp->parent;
        if (lp && accept_queue_full(lp)) {
            st->ctr.tcp_listen_drops++;
            return;                          /* Linux: stay, the SYN-ACK is resent */
        }
        if (tp->rt_timing && seq_gt(s->ack, tp->rt_seq) && tp->retransmits == 0)
            tcp_rtt_sample(tp, (uint32_t)(st->now - tp->rt_time));
        tp->rt_timing = false;
        tp->snd_una = s->ack;
        tp->snd_wnd = s->wnd << tp->snd_wscale;
        tp->max_sndwnd = tp->snd_wnd;
        tp->snd_wl1 = s->seq;
        tp->snd_wl2 = s->ack;
        timer_cancel(&st->timers, &tp->t_rexmt);
        established(tp);
        if (lp)
            enqueue_accept(lp, tp);
        else
            sock_wake(&tp->sk);              /* simultaneous open completes */
    } else {
        uint32_t fin_before = tp->fin_sent && seq_gt(tp->snd_una, tp->fin_seq);
        if (!process_ack(tp, s))
            return;
        bool fin_acked = tp->fin_sent && seq_gt(tp->snd_una, tp->fin_seq) && !fin_before;
        if (fin_acked) {
            switch (tp->state) {
            case TCPS_FIN_WAIT_1:
                tcp_set_state(tp, TCPS_FIN_WAIT_2);
                if (tp->user_closed)
                    tcp_arm_finwait2(tp);
                sock_wake(&tp->sk);
                break;
            case TCPS_CLOSING:
                tcp_enter_timewait(tp);
                return;
            case TCPS_LAST_ACK:
                tcp_close_conn(tp, 0);
                return;
            default:
                break;
            }
        }
        if (tp->state == TCPS_TIME_WAIT) {
            /* Only a retransmitted FIN is expected: ACK it, restart 2MSL. */
            if (s->flags & TCP_FIN) {
                tcp_send_ack(tp);
                timer_arm(&st->timers, &tp->t_2msl, st->now + (uint64_t)st->cfg.tcp.timewait_ms * 1000);
            }
            return;
        }
    }

    if (ts_update) {
        tp->ts_recent = s->h.opt.tsval;
        tp->ts_recent_time = st->now;
    }

    /* sixth: URG. */
    process_urg(tp, s);

    /* Data after close(): nobody will read it (Linux answers with RST). */
    if (tp->user_closed && s->dlen && (tp->state == TCPS_FIN_WAIT_1 || tp->state == TCPS_FIN_WAIT_2)) {
        /* The reset answers this segment (3.10.7.1 form: <SEQ=SEG.ACK><RST>). */
        tcp_respond(st, &tp->laddr, &tp->faddr, tp->lport, tp->fport, s->ack, 0, TCP_RST);
        tcp_close_conn(tp, 0);
        return;
    }

    /* seventh: text (and its ECN marks: RFC 3168 6.1.3). */
    tcp_ecn_input(tp, rx->tos, s->flags, s->dlen);
    process_data(tp, s);

    /* eighth: FIN, in order only; one beyond a hole waits for the hole. */
    if (s->flags & TCP_FIN) {
        uint32_t fseq = s->seq + s->dlen;
        if (fseq == tp->rcv_nxt && tp->n_ooo == 0) {
            process_fin(tp);
        } else if (seq_gt(fseq, tp->rcv_nxt)) {
            tp->ooo_fin = true;
            tp->ooo_fin_seq = fseq;
            tp->ack_now = true;
        }
    } else if (tp->ooo_fin && tp->ooo_fin_seq == tp->rcv_nxt && tp->n_ooo == 0) {
        tp->ooo_fin = false;
        process_fin(tp);
    }
    if (tp->state == TCPS_TIME_WAIT || tp->state == TCPS_CLOSED)
        return;
    tcp_output(tp);
    tcp_check_space(tp);
}

/* ------------------------------------------------------------- entry */

void tcp_input(struct stack *st, const struct ip_rx *rx)
{
    st->ctr.tcp_rx_segments++;
    /* RFC 1122 4.2.3.10: segments to broadcast or multicast addresses are
     * not for TCP. */
    if (rx->dst_broadcast || rx->dst_multicast) {
        st->ctr.tcp_rx_bad++;
        return;
    }
    struct seg s;
    if (tcp_hdr_parse(rx->l4, rx->l4_len, &s.h) != 0) {
        st->ctr.tcp_rx_bad++;
        return;
    }
    if (!rx->tcp_csum_ok && tcp_checksum(&rx->src, &rx->dst, rx->l4, rx->l4_len) != 0) {
        st->ctr.tcp_rx_bad_csum++;
        return;
    }
    if (s.h.sport == 0 || s.h.dport == 0) {
        st->ctr.tcp_rx_bad++;
        return;
    }
    s.seq = s.h.seq;
    s.ack = s.h.ack;
    s.flags = s.h.flags;
    s.data = rx->l4 + s.h.hdr_len;
    s.dlen = (uint32_t)(rx->l4_len - s.h.hdr_len);
    s.wnd = s.h.win;

    struct tcpcb *tp = tcp_lookup(st, &rx->dst, s.h.dport, &rx->src, s.h.sport);
    if (!tp) {
        tp = tcp_lookup_listener(st, &rx->dst, s.h.dport);
        if (!tp) {
            st->ctr.tcp_rx_no_socket++;
            reset_reply(st, rx, &s);
            return;
        }
        listen_input(tp, rx, &s);
        return;
    }
    if (tp->state == TCPS_SYN_SENT) {
        tp->segs_in++;
        syn_sent_input(tp, rx, &s);
        return;
    }
    if (tp->state == TCPS_CLOSED) {
        reset_reply(st, rx, &s);
        return;
    }
    sync_input(tp, rx, &s);
}

void tcp_icmp_error(struct stack *st, const struct icmp_error *e)
{
    if (e->l4_len < 8 || e->proto != IPPROTO_NUM_TCP)
        return;
    uint16_t sport = (uint16_t)(e->l4[0] << 8 | e->l4[1]);
    uint16_t dport = (uint16_t)(e->l4[2] << 8 | e->l4[3]);
    uint32_t seq = (uint32_t)e->l4[4] << 24 | (uint32_t)e->l4[5] << 16 | (uint32_t)e->l4[6] << 8 | e->l4[7];
    struct tcpcb *tp = tcp_lookup(st, &e->src, sport, &e->dst, dport);
    if (!tp)
        return;
    /* RFC 5927: believe the error only if it quotes a sequence number we
     * have in flight. */
    if (!seq_in(seq, tp->snd_una, tp->snd_nxt + 1))
        return;
    if (e->mtu || e->err == EMSGSIZE) {
        /* "Too big": path MTU business, never an error of the connection
         * (Linux); one without a believable MTU changes nothing. */
        if (!e->mtu)
            return;
        if (!sock_accepts_pmtu(&tp->sk))
            return;              /* IP_MTU_DISCOVER DONT/INTERPRET/OMIT: ignored, as Linux */
        /* Path MTU discovery: a smaller MSS, and resend what is in flight. */
        uint32_t hdrs = tp->faddr.family == TP_AF_INET6 ? 60 : 40;
        uint32_t mss = e->mtu > hdrs + TCP_MIN_MSS ? e->mtu - hdrs : TCP_MIN_MSS;
        if (mss < tp->snd_mss) {
            tp->snd_mss = (uint16_t)mss;
            tcp_update_mss(tp);
            if (tp->snd_nxt != tp->snd_una) {
                tp->high_rxt = tp->snd_una;
                tp->lost_high = tp->snd_nxt;
                tcp_rack_mark_all_lost(tp);
                if (tp->ca_state < TCP_CA_Recovery)
                    tp->ca_state = TCP_CA_Loss, tp->recover = tp->snd_nxt;
                tcp_output(tp);
            }
        }
        return;
    }
    /* RFC 1122 4.2.3.9, RFC 9293 3.9: destination unreachable 2-4 (ICMPv6:
     * 1 and 4) are hard errors and abort a connection still being opened.
     * Everything else is soft (unreachable 0, 1, 5, time exceeded, and
     * parameter problem, which RFC 1122 says to report but never abort on):
     * it MUST NOT abort, and is kept to be reported only if the connection
     * then gives up (instead of a bare ETIMEDOUT), as Linux's sk_err_soft.
     * Setting so_error for it would show POLLERR and fail a waiting connect
     * on a connection that may still succeed.  In synchronized states hard
     * errors are soft too (Linux; RFC 5461 4 describes that common choice
     * against 4.2.3.9's SHOULD).  Our own neighbour resolution giving up
     * (ARP / ND: no ICMP from the network) ends an opening at once, as on
     * Linux: connect() says "No route to host" after about 3 s. */
    bool param_problem = e->src.family == TP_AF_INET6 ? e->type == ICMP6_PARAM_PROBLEM
                                                      : e->type == ICMP_PARAM_PROBLEM;
    bool hard = (e->hard && !param_problem) || e->local;
    if (hard && (tp->state == TCPS_SYN_SENT || tp->state == TCPS_SYN_RECEIVED)) {
        if (tp->state == TCPS_SYN_SENT)
            st->ctr.tcp_attempt_fails++;
        tcp_close_conn(tp, e->err);
        return;
    }
    tp->soft_err = e->err;
}
