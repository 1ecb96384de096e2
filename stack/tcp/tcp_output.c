/* TCP output: deciding what to send now and building segments.
 *
 * tcp_output() is called whenever something may have changed what can be
 * sent (user data queued, an ACK opened the window, a timer fired).  It
 * sends, in this order: retransmissions of data deemed lost (loss recovery,
 * RFC 6675 NextSeg), new data as the send window, the congestion window,
 * Nagle's rule (RFC 9293 3.7.4) and sender-side SWS avoidance (3.8.6.2.1)
 * allow, a FIN once all data is out, and finally a pure ACK if one is due.
 * Segments bound for a device that offers TSO travel in trains (below).
 */
#include <errno.h>
#include <string.h>

#include "stack/checksum.h"
#include "stack/tcp/cc.h"
#include "stack/tcp/tcp.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/ipv6.h"
#include "stack/wire/wire.h"

static uint32_t min32(uint32_t a, uint32_t b) { return a < b ? a : b; }
static bool psh_marked(struct tcpcb *tp, uint32_t seq, uint32_t end);

uint32_t tcp_pipe(const struct tcpcb *tp)
{
    /* RFC 6675 "pipe": bytes sent and not yet acknowledged, minus those the
     * peer SACKed, minus those deemed lost and not yet retransmitted.  Without
     * SACK each duplicate ACK stands for one segment that left the network
     * (as Linux counts them), which makes limited transmit (RFC 3042) and
     * NewReno recovery fall out of the same rule. */
    uint32_t out = tp->snd_nxt - tp->snd_una;
    if (tcp_rack_on(tp)) {
        /* With RACK the records say what is lost (anywhere, not only below
         * one point) and what has been resent: Linux's packets_out -
         * (sacked_out + lost_out) + retrans_out, in bytes. */
        uint64_t left = (uint64_t)tp->txq_sacked_bytes + tp->lost_bytes;
        uint64_t pipe = (uint64_t)out + tp->rxt_bytes;
        return pipe > left ? (uint32_t)(pipe - left) : 0;
    }
    uint32_t sacked = tp->sack_ok ? tp->sacked_bytes : min32(tp->dupacks * tp->mss, out);
    if (sacked > out)
        sacked = out;
    uint32_t pipe = out - sacked;
    uint32_t from = seq_max(tp->high_rxt, tp->snd_una);
    if (seq_gt(tp->lost_high, from)) {
        uint32_t lost = tp->lost_high - from;
        uint32_t s = tp->sack_ok ? tcp_sack_bytes_between(tp, from, tp->lost_high) : 0;
        lost = lost > s ? lost - s : 0;
        pipe = pipe > lost ? pipe - lost : 0;
    }
    return pipe;
}

uint32_t tcp_rcv_window(struct tcpcb *tp)
{
    uint32_t limit = tp->rcv_buf_limit;
    uint32_t used = tp->rcvbuf.len;
    uint32_t space = limit > used ? limit - used : 0;
    uint32_t maxwin = (uint32_t)65535 << tp->rcv_wscale;
    if (space > maxwin)
        space = maxwin;
    /* Receiver SWS avoidance (RFC 9293 3.8.6.2.2, RFC 1122 4.2.3.3): never
     * offer a sliver of window; wait until at least min(buffer/2, MSS) is
     * free... */
    uint32_t step = min32(limit / 2, tp->rcv_mss);
    if (space < step)
        space = 0;
    /* ... and never move the right edge back (3.8.6: shrinking the window
     * is strongly discouraged), nor forward by less than that step. */
    uint32_t cur = seq_gt(tp->rcv_adv, tp->rcv_nxt) ? tp->rcv_adv - tp->rcv_nxt : 0;
    if (space < cur || space - cur < step)
        space = cur;
    return space;
}

/* The window field for a segment, and the right edge it offers. */
static uint16_t window_field(struct tcpcb *tp, bool syn)
{
    uint32_t win = tcp_rcv_window(tp);
    uint32_t field, adv;
    if (syn) {
        /* RFC 7323 2.2: the window in a SYN is never scaled. */
        field = min32(win, 65535);
        adv = field;
    } else {
        uint32_t cur = seq_gt(tp->rcv_adv, tp->rcv_nxt) ? tp->rcv_adv - tp->rcv_nxt : 0;
        field = win >> tp->rcv_wscale;
        if ((field << tp->rcv_wscale) < cur)   /* rounding must not shrink it */
            field = (cur + (1u << tp->rcv_wscale) - 1) >> tp->rcv_wscale;
        if (field > 65535)
            field = 65535;
        adv = field << tp->rcv_wscale;
    }
    if (seq_gt(tp->rcv_nxt + adv, tp->rcv_adv))
        tp->rcv_adv = tp->rcv_nxt + adv;
    return (uint16_t)field;
}

static int send_pkt(struct stack *st, const struct ipaddr *src, const struct ipaddr *dst, struct pkt *p,
                    uint8_t ttl, uint8_t tos, bool df, int ifindex)
{
    struct ip_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.src = *src;
    tx.dst = *dst;
    tx.proto = IPPROTO_NUM_TCP;
    tx.ttl = ttl;
    tx.tos = tos;
    tx.df = df;             /* path MTU discovery (RFC 1191 / 8201) unless IP_MTU_DISCOVER says no */
    tx.nofrag = true;       /* IPv6: never fragmented at the source, EMSGSIZE instead (tcp_xmit) */
    tx.ifindex = ifindex;   /* -1, or the interface a link-local peer is on */
    return ip_output(st, p, &tx);
}

/* ---- TSO trains --------------------------------------------------------
 *
 * Why: on a TAP every write() costs a syscall and the kernel's whole receive
 * path, so one write per 1448-byte segment caps a stream far below the
 * kernel's own (DESIGN.md, "Speed: the cost model").  A device that offers
 * TSO and checksum offload (NETIF_OFF_TSO | NETIF_OFF_CSUM: the TAP with its
 * vnet header, memlink in tso mode) takes a super-segment, one TCP header
 * and up to 64 KB of payload, and cuts it into gso_size pieces itself: the
 * header copied into each with the sequence number advanced, PSH and FIN on
 * the last piece only, every checksum finished (Linux's GSO).
 *
 * How, without changing a single decision: tcp_output() and tcp_xmit() work
 * one segment at a time as they always did, with all their book-keeping
 * (PSH rules, RACK records, RTT timing, counters).  Only at the very end,
 * where tcp_xmit() would hand its finished segment to IP, the segment may
 * join the current tcp_output() call's train instead, if the device will
 * cut the train back into exactly the segments tcp_xmit() built:
 *   - it is new data at SND.NXT, where the train ends;
 *   - its header is the train's but for the sequence number and PSH/FIN:
 *     same ACK, window and options (timestamps; no SACK blocks), same TOS
 *     byte (ECN codepoint); flags ACK (and ECE) only, plus PSH or FIN, which
 *     end the train since only the last piece may carry them.  No URG (the
 *     urgent pointer differs per segment) and no CWR (it belongs on the
 *     first piece alone and virtio would want the ECN bit): such a segment
 *     goes alone;
 *   - its payload is the train's segment size (gso_size, the first
 *     segment's); a shorter one may end a train, not continue it;
 *   - the train stays within TCP_TSO_MAX_BYTES (64 KB);
 *   - each piece (IP header, TCP header, gso_size of payload) fits the path
 *     MTU IP knows now.  The device cuts pieces without ever looking at the
 *     path, and IP lets a train by whole (it is not fragmented), so this is
 *     the only place the check can be.  A segment too big for the path
 *     (the path MTU was lowered by an ICMP error TCP did not believe, or one
 *     about another connection) goes alone: IP refuses it (DF, or IPv6's
 *     no fragmentation) and tcp_xmit shrinks the MSS to the path's; the
 *     trains after it have the smaller gso_size.
 * The train leaves ("flush") when a segment comes that cannot join it, and
 * always at the end of tcp_output(): no data waits past the call that
 * decided to send it, and the wire order is the order tcp_xmit() ran in.
 *
 * A train of one segment leaves as a plain segment (full checksum, no
 * offload metadata).  A longer one leaves with the checksum partial: the
 * field holds the pseudo-header sum over the whole length (Linux's
 * CHECKSUM_PARTIAL); the device finishes it per piece.
 *
 * A device that refuses a train (-ENOBUFS, its queue full) refuses every
 * segment in it.  They are all new data, so what tcp_xmit() does for one
 * refused new segment applies to the lot: SND.NXT steps back to the train's
 * first byte (never sent, so the peer is not charged with a loss), their
 * RACK records go, an RTT sample or FIN among them is undone, and the probe
 * timer retries (tcp_output arms it).  A segment that would have continued
 * the refused train cannot go either: it would leave a hole. */

static bool tcp_is_v4(const struct tcpcb *tp)
{
    return tp->faddr.family == TP_AF_INET || ipaddr_is_v4mapped(&tp->faddr);
}

/* Sends the train, if any, and empties it.  0 or -errno from IP. */
int tcp_train_send(struct tcpcb *tp, struct tcp_train *tr)
{
    struct pkt *p = tr->p;
    if (!p)
        return 0;
    tr->p = NULL;
    struct stack *st = tp->st;
    if (tr->nsegs == 1) {
        tcp_set_checksum(&tp->laddr, &tp->faddr, p->data, p->len);
    } else {
        uint32_t pseudo = csum_pseudo(&tp->laddr, &tp->faddr, IPPROTO_NUM_TCP, (uint32_t)p->len);
        put16(p->data + 16, (uint16_t)~csum_finish(pseudo));   /* folded, not inverted */
        pkt_csum_partial(p, 16);
        p->gso_size = tr->seg;
        p->gso_type = tcp_is_v4(tp) ? PKT_GSO_TCPV4 : PKT_GSO_TCPV6;
        st->ctr.tcp_tx_tso_trains++;
        st->ctr.tcp_tx_tso_segments += tr->nsegs;
    }
    int rc = send_pkt(st, &tp->laddr, &tp->faddr, p, tp->sk.ttl, tr->tos, sock_ip_df(&tp->sk, true),
                      tp->sk.bound_ifindex);
    if (rc == -ENOBUFS && tp->snd_nxt == tr->end) {
        st->ctr.tcp_tx_tso_refused++;
        tr->refused += tr->nsegs;
        tp->snd_nxt = tr->seq;
        if (tr->fin)
            tp->fin_sent = false;
        if (tp->rt_timing && seq_geq(tp->rt_seq, tr->seq))
            tp->rt_timing = false;
        tcp_txq_unsent(tp, tr->seq);
        if (tp->ca_state >= TCP_CA_Recovery) {   /* tcp_output counted them for PRR */
            uint32_t bytes = tr->end - tr->seq - (tr->fin ? 1u : 0u);
            tp->prr_out = tp->prr_out > bytes ? tp->prr_out - bytes : 0;
        }
        if (tp->snd_nxt == tp->snd_una)
            timer_cancel(&st->timers, &tp->t_rexmt);
    }
    return rc;
}

/* The train's header and a segment's, equal but for SEQ, PSH/FIN and the
 * checksum (not yet computed in either)? */
static bool train_header_matches(const struct tcp_train *tr, const uint8_t *h, size_t hl, uint8_t tos)
{
    const uint8_t *t = tr->p->data;
    return hl == tr->hlen && tos == tr->tos && !memcmp(t, h, 4) /* ports */ &&
           !memcmp(t + 8, h + 8, 5) /* ACK, data offset */ &&
           ((t[13] ^ h[13]) & ~(TCP_PSH | TCP_FIN)) == 0 && !memcmp(t + 14, h + 14, 2) /* window */ &&
           !memcmp(t + 18, h + 18, hl - 18) /* urgent pointer, options */;
}

static void train_append(struct tcpcb *tp, struct tcp_train *tr, uint32_t seq, uint32_t len, uint8_t flags,
                         uint32_t room)
{
    ring_read_at(&tp->sndbuf, seq - tp->snd_buf_seq, pkt_put(tr->p, len), len);
    tr->p->data[13] |= flags & (TCP_PSH | TCP_FIN);   /* on the last piece only: the device sees to it */
    tr->fin = flags & TCP_FIN;
    tr->end = seq + len + (tr->fin ? 1u : 0u);
    tr->nsegs++;
    if ((flags & (TCP_PSH | TCP_FIN)) || len < tr->seg || len < room)
        tr->closed = true;
}

/* Called by tcp_xmit with the segment's final header, before it would build
 * a packet.  1: the segment is in the train now (its payload copied there);
 * 0: it goes alone as before (a train it did not fit left first);
 * -ENOBUFS: it continued a train the device refused, and cannot go. */
static int train_take(struct tcpcb *tp, const struct tcp_hdr *h, uint32_t seq, uint32_t len, uint8_t flags,
                      uint8_t tos, uint32_t room)
{
    struct tcp_train *tr = tp->train;
    if (!tr)
        return 0;
    bool eligible = len > 0 && seq == tp->snd_nxt && (flags & TCP_ACK) &&
                    !(flags & ~(TCP_ACK | TCP_ECE | TCP_PSH | TCP_FIN)) && h->opt.n_sack == 0;
    uint8_t hdr[TCP_HDR_LEN + TCP_MAX_OPT_LEN];
    size_t hl = 0;
    if (tr->p) {
        if (eligible && !tr->closed && seq == tr->end && len <= tr->seg &&
            tr->hlen + (tr->end - tr->seq) + len <= TCP_TSO_MAX_BYTES) {
            hl = tcp_hdr_write(hdr, h);
            if (train_header_matches(tr, hdr, hl, tos)) {
                train_append(tp, tr, seq, len, flags, room);
                return 1;
            }
        }
        if (tcp_train_send(tp, tr) == -ENOBUFS && seq_gt(seq, tp->snd_nxt))
            return -ENOBUFS;   /* SND.NXT stepped back below it: it would leave a hole */
    }
    if (!eligible)
        return 0;
    if (tr->offloads < 0)
        tr->offloads = (int)ip_path_offloads(tp->st, &tp->faddr, tp->sk.bound_ifindex, &tr->pmtu);
    uint32_t need = NETIF_OFF_TSO | NETIF_OFF_CSUM;
    if (((uint32_t)tr->offloads & need) != need)
        return 0;
    uint32_t iphl = tcp_is_v4(tp) ? IPV4_HDR_LEN : IP6_HDR_LEN;
    if (iphl + tcp_opts_len(&h->opt) + TCP_HDR_LEN + len > tr->pmtu)
        return 0;   /* bigger than the path: alone, to be refused and shrink the MSS */
    struct pkt *p = pkt_alloc(TCP_TSO_MAX_BYTES);
    if (!p)
        return 0;   /* it goes alone (and meets the same shortage there) */
    if (!hl)
        hl = tcp_hdr_write(hdr, h);
    memcpy(pkt_put(p, hl), hdr, hl);
    *tr = (struct tcp_train){.p = p, .seq = seq, .end = seq, .hlen = (uint16_t)hl, .seg = (uint16_t)len,
                             .tos = tos, .offloads = tr->offloads, .pmtu = tr->pmtu, .refused = tr->refused};
    train_append(tp, tr, seq, len, flags, room);
    return 1;
}

int tcp_xmit(struct tcpcb *tp, uint32_t seq, uint32_t len, uint8_t flags)
{
    struct stack *st = tp->st;
    const struct tcp_settings *cfg = &st->cfg.tcp;
    struct tcp_hdr h;
    memset(&h, 0, sizeof h);
    h.sport = tp->lport;
    h.dport = tp->fport;
    h.seq = seq;
    h.flags = flags;
    bool syn = flags & TCP_SYN;
    if (flags & TCP_ACK)
        h.ack = tp->rcv_nxt;

    if (syn) {
        h.opt.mss_ok = true;
        h.opt.mss = tp->user_mss && tp->user_mss < tp->advmss ? tp->user_mss : tp->advmss;
        if (!(flags & TCP_ACK)) {
            /* Active open: offer what the settings enable. */
            h.opt.ws_ok = cfg->window_scaling;
            h.opt.sack_perm = cfg->sack;
            h.opt.ts_ok = cfg->timestamps;
            if (tp->fo_syn)
                tcp_fastopen_syn_options(tp, &h.opt);   /* RFC 7413: tcp_fastopen.c */
        } else {
            /* SYN-ACK: answer only what the peer offered (RFC 7323 1.3, RFC 2018 2). */
            h.opt.ws_ok = tp->ws_ok;
            h.opt.sack_perm = tp->sack_ok;
            h.opt.ts_ok = tp->ts_ok;
        }
        h.opt.ws = tp->rcv_wscale;
    } else {
        h.opt.ts_ok = tp->ts_ok;
    }
    if (h.opt.ts_ok) {
        h.opt.tsval = tcp_ts_now(tp);
        /* RFC 7323 3.2: TSecr is TS.Recent when ACK is set, else zero. */
        h.opt.tsecr = (flags & TCP_ACK) ? tp->ts_recent : 0;
    }
    if (tp->sack_ok && !syn && (flags & TCP_ACK) && !(flags & TCP_RST))
        h.opt.n_sack = (uint8_t)tcp_sack_fill(tp, h.opt.sack, TCP_MAX_SACK);
    h.win = (flags & TCP_RST) ? 0 : window_field(tp, syn);
    /* Urgent mode (RFC 9293 3.8.5): every segment that starts before the
     * urgent pointer says where it is, until the peer has acknowledged it. */
    if (tp->snd_urg && seq_geq(tp->snd_una, tp->snd_up))
        tp->snd_urg = false;
    if (tp->snd_urg && seq_lt(seq, tp->snd_up) && !syn && !(flags & TCP_RST)) {
        uint32_t off = tp->snd_up - seq;
        flags |= TCP_URG;
        h.urg = (uint16_t)(off > 0xffff ? 0xffff : off);   /* RFC 6093 4: farther than the field reaches */
    }

    size_t optlen = tcp_opts_len(&h.opt);
    /* The segment must fit the peer's MSS with all our options: SACK blocks
     * take room that the cached mss (which counts only timestamps) does not
     * know about, so the payload shrinks here (Linux's tcp_current_mss). */
    uint32_t mss_cap = tp->snd_mss;
    if (tp->user_mss && tp->user_mss < mss_cap)
        mss_cap = tp->user_mss;
    uint32_t room = mss_cap > optlen ? mss_cap - (uint32_t)optlen : 1;
    if (len > room) {
        len = room;
        flags &= (uint8_t)~TCP_FIN;
    }
    /* ECN (RFC 3168): ECE/CWR flags and the ECT codepoint of this segment.
     * The TOS byte's low two bits belong to ECN, not to IP_TOS. */
    uint8_t ecn = tcp_ecn_output(tp, seq, len, &flags);
    uint8_t tos = (uint8_t)((tp->sk.tos & ~3u) | ecn);
    h.flags = flags;
    /* The end of building: the segment joins the TSO train, or is a packet
     * of its own (see "TSO trains" above). */
    int trained = train_take(tp, &h, seq, len, flags, tos, room);
    if (trained < 0)
        return trained;
    struct pkt *p = NULL;
    if (!trained) {
        p = pkt_alloc(TCP_HDR_LEN + optlen + len);
        if (!p)
            return -ENOBUFS;
        uint8_t *b = pkt_put(p, TCP_HDR_LEN + optlen + len);
        size_t hl = tcp_hdr_write(b, &h);
        if (len)
            ring_read_at(&tp->sndbuf, seq + (syn ? 1 : 0) - tp->snd_buf_seq, b + hl, len);   /* data in a SYN: Fast Open */
        tcp_set_checksum(&tp->laddr, &tp->faddr, b, hl + len);
    }

    /* Book-keeping before the packet leaves (ip_output may loop it back). */
    if (flags & TCP_ACK) {
        tp->rcv_wup = tp->rcv_nxt;
        tp->last_ack_sent = tp->rcv_nxt;
        tp->ack_now = false;
        tp->dsack_pending = false;
        tp->ack_pushed = tp->ack_pushed2 = false;   /* this ACK answers them */
        if (tp->quickacks)
            tp->quickacks--;
        timer_cancel(&st->timers, &tp->t_delack);
    }
    uint32_t end = seq + len + (syn ? 1 : 0) + ((flags & TCP_FIN) ? 1 : 0);
    tcp_txlog_sent(tp, seq, end);
    uint32_t old_nxt = tp->snd_nxt;
    if (seq_gt(end, tp->snd_nxt)) {
        /* New sequence space: time it if nothing is being timed (RFC 6298 3). */
        if (!tp->rt_timing) {
            tp->rt_timing = true;
            tp->rt_seq = seq;
            tp->rt_time = st->now;
        }
        tp->snd_nxt = end;
    } else if (end != seq && tp->rt_timing && seq_leq(seq, tp->rt_seq) && seq_lt(tp->rt_seq, end)) {
        /* Karn's algorithm: a retransmitted segment gives no RTT sample. */
        tp->rt_timing = false;
    }
    if (flags & TCP_FIN) {
        tp->fin_sent = true;
        tp->fin_seq = end - 1;
    }
    if (end != seq && !timer_armed(&tp->t_rexmt)) {
        timer_cancel(&st->timers, &tp->t_persist);
        tcp_arm_rexmt(tp);
    }
    if (len && len < tp->mss)
        tp->snd_sml = seq + len;
    tp->segs_out++;
    if (len) {
        /* Data leaves with nothing in flight: the controller hears how long
         * the application left it idle (Linux's CA_EVENT_TX_START). */
        if (old_nxt == tp->snd_una && seq == old_nxt && tp->last_data_sent && tp->cc->tx_start)
            tp->cc->tx_start(tp, st->now - tp->last_data_sent);
        tp->data_segs_out++;
        tp->bytes_sent += len;
        tp->last_data_sent = st->now;
        /* Data sent within the delayed-ACK timeout of data received: the
         * application answers what it reads (a request/response exchange),
         * so ACKs are best left to ride on its answers (Linux's
         * tcp_event_data_sent; its threshold is one such answer). */
        if (tp->bytes_received && st->now - tp->last_data_recv < (uint64_t)st->cfg.tcp.delack_ms * 1000)
            tp->pingpong = true;
    }
    tp->last_send_time = st->now;
    if (flags & TCP_RST)
        st->ctr.tcp_rst_tx++;
    tcp_trace(tp, TCP_EV_SEND, seq, len, flags);
    st->ctr.tcp_tx_segments++;
    /* A segment in the train has not left yet: it counts as sent until the
     * train is refused, which undoes it then (tcp_train_send). */
    int rc = trained ? 0
                     : send_pkt(st, &tp->laddr, &tp->faddr, p, tp->sk.ttl, tos, sock_ip_df(&tp->sk, true),
                                tp->sk.bound_ifindex);
    if (rc == -EMSGSIZE && len && !syn && !(flags & TCP_RST)) {
        /* IP refused a datagram larger than the path MTU it knows (IPv4 with
         * DF; IPv6 never fragments TCP), which an ICMP error this connection
         * did not see or believe lowered (one about another connection to
         * the same host, or UDP's).  Nothing would ever tell this connection
         * otherwise: it follows the path's MTU now, as Linux's
         * tcp_current_mss does on every send, and the segment counts as
         * refused (below: resent smaller; tcp_output tries again at once). */
        uint32_t path_mss = tcp_path_mss(st, &tp->faddr);
        if (path_mss < tp->snd_mss) {
            tp->snd_mss = (uint16_t)path_mss;
            tcp_update_mss(tp);
        }
    }
    if ((rc == -ENOBUFS || rc == -EMSGSIZE) && len && end == tp->snd_nxt && seq_gt(end, seq) && !syn &&
        !(flags & TCP_RST)) {
        /* New data the interface refused (its queue full or dropping) never
         * left: as in Linux, it is not counted as sent, so SND.NXT steps
         * back and the probe timer retries it (tcp_output arms it) without
         * charging the peer with a loss.  A refused retransmission is as
         * good as lost on the wire: the retransmission timer recovers it. */
        tp->snd_nxt = seq;
        if (flags & TCP_FIN)
            tp->fin_sent = false;
        if (tp->rt_timing && seq_geq(tp->rt_seq, seq))
            tp->rt_timing = false;
        if (tp->snd_nxt == tp->snd_una)
            timer_cancel(&st->timers, &tp->t_rexmt);
        return rc;
    }
    /* The sent-segment records (RACK): new data gets one; a retransmission
     * the interface refused is not one (Linux): the caller hears of it and
     * stops. */
    if (!syn && end != seq)
        tcp_txq_sent(tp, seq, end, old_nxt, rc >= 0);
    if (rc < 0 && !syn && end != seq && seq_leq(end, old_nxt))
        return rc;
    return (int)len;
}

void tcp_send_ack(struct tcpcb *tp)
{
    tcp_xmit(tp, tp->snd_nxt, 0, TCP_ACK);
}

void tcp_send_challenge_ack(struct tcpcb *tp)
{
    /* RFC 5961 7: rate-limited, per socket (a global limit leaks state to
     * off-path attackers: CVE-2016-5696). */
    uint64_t now = tp->st->now;
    uint64_t gap = (uint64_t)tp->st->cfg.tcp.invalid_ratelimit_ms * 1000;
    if (tp->last_oow_ack && now - tp->last_oow_ack < gap)
        return;
    tp->last_oow_ack = now ? now : 1;
    tcp_send_ack(tp);
}

void tcp_respond(struct stack *st, const struct ipaddr *src, const struct ipaddr *dst, uint16_t sport,
                 uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags)
{
    struct tcp_hdr h;
    memset(&h, 0, sizeof h);
    h.sport = sport;
    h.dport = dport;
    h.seq = seq;
    h.ack = ack;
    h.flags = flags;
    struct pkt *p = pkt_alloc(TCP_HDR_LEN);
    if (!p)
        return;
    uint8_t *b = pkt_put(p, TCP_HDR_LEN);
    tcp_hdr_write(b, &h);
    tcp_set_checksum(src, dst, b, TCP_HDR_LEN);
    if (flags & TCP_RST)
        st->ctr.tcp_rst_tx++;
    st->ctr.tcp_tx_segments++;
    send_pkt(st, src, dst, p, 0, 0, true, -1);
}

void tcp_ack_delayed(struct tcpcb *tp)
{
    /* RFC 9293 3.8.6.3 / RFC 1122 4.2.3.2: ACK at least every second
     * full-sized segment, otherwise within the delayed-ACK timeout (40 ms,
     * Linux's).  At the start of a connection (and after idle) Linux ACKs
     * every segment for a while ("quick-ack") so the peer's slow start is
     * not held back. */
    uint32_t unacked = tp->rcv_nxt - tp->rcv_wup;
    if (tp->quickacks)
        tp->ack_now = true;
    else if (unacked > tp->rcv_mss && (!(tp->st->rx_flags & STACK_RX_BATCH) || unacked >= TCP_GRO_ACK_BYTES))
        tp->ack_now = true;
    else if (unacked > tp->rcv_mss)
        /* In a batch (STACK_RX_BATCH): the delayed-ACK timer, due now,
         * fires in the stack_poll that ends it, unless an ACK leaves first. */
        timer_arm(&tp->st->timers, &tp->t_delack, tp->st->now);
    else
        tcp_arm_delack(tp);
}

/* Send [seq, seq+len) again: data from the buffer, with FIN if it covers it.
 * False if nothing went out. */
static bool retransmit(struct tcpcb *tp, uint32_t seq, uint32_t len)
{
    uint32_t data_end = tp->snd_buf_seq + tp->sndbuf.len;
    uint32_t dlen = seq_lt(seq, data_end) ? min32(len, data_end - seq) : 0;
    uint8_t flags = TCP_ACK;
    if (dlen && psh_marked(tp, seq, seq + dlen))
        flags |= TCP_PSH;
    if (tp->fin_sent && seq + dlen == tp->fin_seq && len > dlen)
        flags |= TCP_FIN;
    if (dlen == 0 && !(flags & TCP_FIN))
        return false;
    int sent = tcp_xmit(tp, seq, dlen, flags);
    if (sent < 0)
        return false;
    if ((uint32_t)sent < dlen)
        flags &= (uint8_t)~TCP_FIN;
    dlen = (uint32_t)sent;
    tp->st->ctr.tcp_retransmits++;
    tp->total_retrans++;
    tp->bytes_retrans += dlen;
    tcp_trace(tp, TCP_EV_RETRANSMIT, seq, dlen, 0);
    tp->high_rxt = seq + dlen + ((flags & TCP_FIN) ? 1 : 0);
    tp->prr_out += dlen ? dlen : 1;
    return true;
}

/* Where PSH goes (RFC 9293 3.9.1 and RFC 1122 4.2.2.2 leave it to the
 * implementation; the receiver may deliver data without it).  tapir copies
 * what Linux's packets show, as the packetdrill corpus records them:
 *
 *   1. The segment that carries the end of a write has PSH (Linux's
 *      tcp_push -> tcp_mark_push), unless the write said MSG_MORE.  When a
 *      later write is queued before that segment left, the two coalesce and
 *      only the new end is marked (tcp_sendmsg clears the PSH of the skb it
 *      appends to): push_mark holds the end of the latest write.
 *   2. New data goes out in "chunks", as Linux's tcp_write_xmit hands the
 *      device one TSO/GSO packet at a time: at most half of cwnd (Linux's
 *      tcp_cwnd_test, "at least 2 GSO packets in flight"), at most what cwnd
 *      still allows, ended early by the receive window, and with a sub-MSS
 *      tail sent on its own.  A chunk of two or more segments sent while the
 *      window still grows fast (slow start, cwnd < ssthresh, or PRR's
 *      slow-start reduction bound in recovery) shows PSH on its last segment;
 *      single segments (limited transmit, ACK clocking in congestion
 *      avoidance) and congestion-avoidance bursts do not; nor does data
 *      not yet pushed (MSG_MORE holds its skb unmarked), nor urgent data
 *      (Linux sends it without TSO, one segment per packet).
 *   3. A retransmission carries PSH only if it carries a write's end (rule
 *      1); the chunk marks of rule 2 are a property of the first sending.
 *
 *   4. Linux's "forced push": inside a long write, the end of the skb (two
 *      segments here) that takes the data more than half the largest window
 *      offered past the last PSH gets one too (tcp_psh_write keeps those
 *      positions, TCP_PSH_MARKS of them, until acknowledged). */
/* Linux's skbs at the low rates of these tests hold two segments
 * (tcp_min_tso_segs); a forced push marks the end of the skb that takes the
 * written data more than half the largest window past the last mark
 * (tcp_sendmsg's forced_push), and the end of a MSG_MORE write that did. */
void tcp_psh_write(struct tcpcb *tp, uint32_t start, uint32_t end, bool more, bool final)
{
    uint32_t half = tp->max_sndwnd / 2;
    uint32_t goal = 2u * (tp->mss ? tp->mss : 1);
    while (tp->psh_n < TCP_PSH_MARKS) {
        /* The first skb boundary beyond pushed_seq + half. */
        uint32_t beyond = tp->pushed_seq + half + 1;
        uint32_t k = seq_gt(beyond, start) ? (beyond - start + goal - 1) / goal : 1;
        uint32_t b = start + k * goal;
        if (!seq_lt(b, end))
            break;
        tp->psh_marks[(tp->psh_head + tp->psh_n) % TCP_PSH_MARKS] = b;
        tp->psh_n++;
        tp->pushed_seq = b;
    }
    if (final && (!more || seq_gt(end, tp->pushed_seq + half))) {
        tp->push_mark = end;
        tp->pushed_seq = end;
    }
}

/* Does [seq, end) carry a PSH position (a write's end or a forced push)? */
static bool psh_marked(struct tcpcb *tp, uint32_t seq, uint32_t end)
{
    if (seq_lt(seq, tp->push_mark) && seq_geq(end, tp->push_mark))
        return true;
    while (tp->psh_n && seq_leq(tp->psh_marks[tp->psh_head], tp->snd_una)) {
        tp->psh_head = (uint8_t)((tp->psh_head + 1) % TCP_PSH_MARKS);
        tp->psh_n--;
    }
    for (unsigned i = 0; i < tp->psh_n; i++) {
        uint32_t m = tp->psh_marks[(tp->psh_head + i) % TCP_PSH_MARKS];
        if (seq_lt(seq, m) && seq_geq(end, m))
            return true;
        if (seq_gt(m, end))
            break;
    }
    return false;
}

struct psh_chunk {
    uint32_t left;   /* segments the current chunk may still take */
    uint32_t segs;   /* segments sent in it so far */
};

static bool psh_chunk_end(struct tcpcb *tp, struct psh_chunk *c, uint32_t len, uint32_t avail, uint32_t usable,
                          uint32_t cwnd_room)
{
    uint32_t mss = tp->mss ? tp->mss : 1;
    if (c->left == 0) {
        uint32_t half = tp->cwnd / mss / 2;
        uint32_t room = cwnd_room / mss;
        uint32_t pace = tcp_pacing_burst_cap(tp);   /* 0 unless pacing */
        c->left = half > 1 ? half : 1;
        if (pace && pace < c->left)
            c->left = pace;
        if (room && room < c->left)
            c->left = room;
        c->segs = 0;
    }
    c->segs++;
    c->left--;
    /* Can a full segment follow in this chunk? */
    bool last = c->left == 0 || avail - len < mss || usable - len < mss || cwnd_room - len < mss;
    if (!last)
        return false;
    c->left = 0;
    /* "Slow start" as of the ACK that opened this room: growth to cwnd ==
     * ssthresh by this very ACK still counts. */
    bool growing = tp->cwnd < tp->ssthresh || tp->ss_grow_time == tp->st->now ||
                   tp->ca_state == TCP_CA_Recovery;
    return c->segs >= 2 && growing && len == mss;
}

void tcp_note_limited(struct tcpcb *tp, int kind)
{
    uint64_t now = tp->st->now;
    if (tp->limited_kind == kind)
        return;
    if (tp->limited_kind == 1)
        tp->rwnd_limited_us += now - tp->limited_since;
    else if (tp->limited_kind == 2)
        tp->sndbuf_limited_us += now - tp->limited_since;
    tp->limited_kind = kind;
    tp->limited_since = now;
}

void tcp_output(struct tcpcb *tp)
{
    struct stack *st = tp->st;
    if (tp->state == TCPS_CLOSED || tp->state == TCPS_LISTEN || tp->state == TCPS_SYN_SENT ||
        tp->state == TCPS_SYN_RECEIVED || tp->state == TCPS_TIME_WAIT) {
        if (tp->ack_now && tp->state != TCPS_CLOSED && tp->state != TCPS_LISTEN && tp->state != TCPS_SYN_SENT)
            tcp_send_ack(tp);
        return;
    }

    /* RFC 5681 4.1: restart the window after an idle period longer than an RTO. */
    if (tp->snd_nxt == tp->snd_una && st->cfg.tcp.slow_start_after_idle && tp->last_send_time &&
        st->now - tp->last_send_time > tcp_current_rto(tp) && tp->cc->after_idle &&
        tp->sndbuf.len > 0)
        tp->cc->after_idle(tp);

    bool sent = false;
    uint32_t nsent = 0;
    bool blocked_by_rwnd = false;
    bool cwnd_stop = false;
    struct psh_chunk chunk = {0, 0};
    /* This call's TSO train (see "TSO trains").  Were tcp_output ever
     * re-entered for this connection, the inner call sends the outer
     * train first and then uses it: wire order holds either way. */
    struct tcp_train own = {.offloads = -1};
    struct tcp_train *train = tp->train ? tp->train : &own;
    if (tp->train)
        tcp_train_send(tp, tp->train);
    tp->train = train;
    uint32_t refused_before = train->refused;
    for (int guard = 0; guard < 4096; guard++) {
        uint32_t pipe = tcp_pipe(tp);
        uint32_t cwnd_room = tp->cwnd > pipe ? tp->cwnd - pipe : 0;

        /* 1. Retransmit what is deemed lost (RFC 6675 NextSeg rule 1). */
        uint32_t rseq, rlen;
        bool lost = tcp_rack_on(tp) ? tcp_rack_next_lost(tp, &rseq, &rlen, tp->mss)
                                    : tcp_next_lost(tp, &rseq, &rlen, tp->mss);
        /* A segment IP refused as larger than the path shrank the MSS
         * (tcp_xmit): it goes again at once, smaller.  The MSS only ever
         * shrinks here, so this ends. */
        uint16_t mss_before = tp->mss;
        if (tp->ca_state >= TCP_CA_Recovery && lost) {
            if (cwnd_room == 0 || cwnd_room < min32(rlen, tp->mss))
                break;
            if (tcp_pacing_wait(tp, cwnd_room))   /* not yet: the pacing timer resumes */
                break;
            if (!retransmit(tp, rseq, rlen)) {
                if (tp->mss < mss_before)
                    continue;
                break;
            }
            tcp_pacing_sent(tp, rlen);
            sent = true;
            nsent++;
            continue;
        }

        /* 2. New data. */
        uint32_t off = tp->snd_nxt - tp->snd_buf_seq;
        uint32_t avail = off <= tp->sndbuf.len ? tp->sndbuf.len - off : 0;
        if (tp->fin_sent)
            avail = 0;
        uint32_t wnd_end = tp->snd_una + tp->snd_wnd;
        uint32_t usable = seq_gt(wnd_end, tp->snd_nxt) ? wnd_end - tp->snd_nxt : 0;
        uint32_t len = min32(min32(avail, tp->mss), min32(usable, cwnd_room));
        bool want_fin = tp->shut_wr && !tp->fin_sent &&
                        (tp->state == TCPS_FIN_WAIT_1 || tp->state == TCPS_CLOSING ||
                         tp->state == TCPS_LAST_ACK);
        bool fin = want_fin && len == avail;
        /* Receive-window limited only when the congestion window had room
         * (Linux tests cwnd first: a full cwnd is not an rwnd limit). */
        if (avail && len < min32(avail, tp->mss) && usable < min32(avail, tp->mss) &&
            cwnd_room >= min32(avail, tp->mss))
            blocked_by_rwnd = true;

        if (avail && len == 0 && usable && cwnd_room < min32(avail, tp->mss))
            cwnd_stop = true;
        if (len == 0 && !(fin && avail == 0))
            break;
        if (len > 0 && len < tp->mss) {
            if (len == avail) {
                /* The tail of the queued data: Nagle's algorithm (RFC 9293
                 * 3.7.4) holds a small segment while an earlier small one is
                 * unacknowledged (Minshall's variant, as Linux), TCP_CORK and
                 * MSG_MORE hold it until a full segment can go. */
                bool small_out = seq_gt(tp->snd_sml, tp->snd_una) && seq_leq(tp->snd_sml, tp->snd_nxt);
                if (!fin && !tp->push_now && (tp->cork || tp->more || (!tp->nodelay && small_out)))
                    break;
            } else {
                /* Window- or cwnd-limited: sender SWS avoidance (3.8.6.2.1)
                 * sends a partial segment only if it is at least half the
                 * largest window the peer ever offered. */
                if (!(usable >= tp->max_sndwnd / 2 && tp->max_sndwnd > 0 && usable == len))
                    break;
            }
        }
        if (len && tcp_pacing_wait(tp, cwnd_room))   /* not yet: the pacing timer resumes */
            break;
        uint8_t flags = TCP_ACK;
        uint32_t seq = tp->snd_nxt;
        if (len && psh_marked(tp, seq, seq + len))
            flags |= TCP_PSH;
        if (len && psh_chunk_end(tp, &chunk, len, avail, usable, cwnd_room) && seq_geq(seq, tp->snd_max) &&
            seq_lt(seq, tp->pushed_end) && !tp->snd_urg)
            flags |= TCP_PSH;
        if (fin)
            flags |= TCP_FIN;
        int n = tcp_xmit(tp, tp->snd_nxt, len, flags);
        if (n == -EMSGSIZE && tp->mss < mss_before)
            continue;
        if (n < 0)
            break;
        if (tp->ca_state >= TCP_CA_Recovery)
            tp->prr_out += (uint32_t)n;
        if (n)
            tcp_pacing_sent(tp, (uint32_t)n);
        sent = true;
        nsent++;
        if (fin && (uint32_t)n == len)
            break;
    }
    tcp_pacing_end(tp);   /* a paced burst never outlives the call either */
    /* The train never outlives the call.  Segments the device refused
     * (inside the loop or now) did not leave: "sent" counts the rest. */
    tcp_train_send(tp, train);
    if (train == &own)
        tp->train = NULL;
    if (train->refused != refused_before)
        sent = nsent > train->refused - refused_before;
    tp->push_now = false;
    /* How much of cwnd is used, per window of data (Linux's
     * tcp_cwnd_validate): the cwnd_limited test of ACK processing reads it. */
    if (sent) {
        uint32_t out = tp->snd_nxt - tp->snd_una;
        if (seq_geq(tp->snd_una, tp->flight_mark) || cwnd_stop || (!tp->cwnd_limited && out > tp->max_flight)) {
            tp->cwnd_limited = cwnd_stop;
            tp->max_flight = out;
            tp->flight_mark = tp->snd_nxt;
        }
    }
    if (!sent && tp->ack_now)
        tcp_send_ack(tp);
    /* RFC 8985 7.2 / Linux's tcp_write_xmit: the probe timeout counts
     * from the latest transmission, so each burst (a FIN too) re-arms it. */
    if (sent)
        tcp_schedule_tlp(tp);

    /* Nothing in flight, data waiting, and a window too small: the persist
     * timer probes the window (RFC 9293 3.8.6.1). */
    uint32_t off = tp->snd_nxt - tp->snd_buf_seq;
    bool waiting = off < tp->sndbuf.len && !tp->fin_sent;
    /* The same timer bounds how long Nagle, TCP_CORK or MSG_MORE may hold
     * data back with nothing in flight (Linux's probe timer: the "200 ms
     * ceiling" of TCP_CORK): when it fires, what the window allows goes. */
    if (waiting && tp->snd_nxt == tp->snd_una && !timer_armed(&tp->t_rexmt) && !timer_armed(&tp->t_persist))
        tcp_arm_persist(tp);
    /* A burst that ended inside a modelled buffer splits it (Linux's
     * tso_fragment), which the send-buffer accounting counts. */
    if (sent)
        tcp_skb_split(tp, tp->snd_nxt);
    /* The limited-time clocks of TCP_INFO, as Linux's chronos: receive-window
     * limited while the peer's window holds data back; send-buffer limited
     * from a send that emptied the unsent queue, not stopped by cwnd, while
     * a refused writer waits (tcp_cwnd_validate), until the write-space
     * wake-up (tcp_sndbuf_write_space).  The send-buffer clock wins. */
    if (tp->limited_kind != 2)
        tcp_note_limited(tp, waiting && blocked_by_rwnd ? 1 : 0);
    if (sent && !waiting && !cwnd_stop && tp->nospace &&
        (tp->state == TCPS_ESTABLISHED || tp->state == TCPS_CLOSE_WAIT))
        tcp_note_limited(tp, 2);
}
