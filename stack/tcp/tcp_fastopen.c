/* TCP Fast Open (RFC 7413), the client side, as Linux does it.
 *
 * The idea: a normal connection costs a round trip before the first byte of
 * data can go (SYN, SYN-ACK, then data).  With Fast Open the client puts its
 * first data in the SYN itself, and the server may hand it to the
 * application before the handshake ends.  To keep a forged SYN from making
 * a server do work (and answer with data) for a spoofed address, the server
 * only accepts data in a SYN that carries a cookie it gave the client
 * earlier: a keyed hash of the client's address, returned in the SYN-ACK's
 * Fast Open option.  So it goes in two steps:
 *
 *   1. first connection: the SYN carries an empty Fast Open option (kind 34,
 *      length 2: "please give me a cookie"); the SYN-ACK carries the cookie,
 *      which we remember per server address (the cache below);
 *   2. later connections: the SYN carries the cookie and the first data.
 *      The server's SYN-ACK acknowledges the data if it took it, else only
 *      the SYN, and we send the data again after the handshake, as ordinary
 *      data.  Nothing is lost either way: Fast Open is an optimisation.
 *
 * The socket interface is Linux's:
 *   - sendto(fd, buf, len, MSG_FASTOPEN, addr) on an unconnected socket is
 *     connect() and write() together: with a cookie the data rides in the
 *     SYN (sendto returns how much); without one the SYN asks for a cookie,
 *     no data goes, and sendto says EINPROGRESS (the data is the caller's
 *     to write again once connected).
 *   - setsockopt(TCP_FASTOPEN_CONNECT, 1) then connect(): with a cookie
 *     cached, connect() returns 0 at once and sends nothing; the SYN (with
 *     the data) leaves at the first write.  Without a cookie connect() works
 *     as usual, its SYN asking for a cookie.
 * A SYN's Fast Open option is in the first SYN only: a retransmitted SYN is
 * a plain SYN without data (the server may have dropped the first for its
 * option: RFC 7413 4.1.3 "the client ... SHOULD ... retransmit a SYN
 * without the Fast Open option"; Linux sends it without data too).
 *
 * The sysctl tcp_fastopen (stack/sysctl.c) bit 0x1 enables all this, as in
 * Linux (on by default).  The server side (bit 0x2) is not implemented: a
 * listener ignores the option and the data in a SYN, and the client sends
 * the data again after the handshake, which RFC 7413 allows.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "stack/tcp/tcp.h"

#ifndef MSG_FASTOPEN
#define MSG_FASTOPEN 0x20000000
#endif

/* Linux's MAX_TCP_OPTION_SPACE: the data in a SYN leaves room for every
 * option a SYN might carry, whatever this one carries (tcp_send_syn_data). */
#define SYN_OPTION_SPACE 40

bool tcp_fastopen_client_on(const struct stack *st)
{
    return (st->cfg.tcp.fastopen & 1u) != 0;
}

/* ---- the cookie cache: a few servers, the least recently used evicted ---- */

static struct tcp_fo_entry *cache_find(struct stack *st, const struct ipaddr *addr)
{
    struct tcp_state *ts = tcp_state_get(st);
    if (!ts)
        return NULL;
    for (int i = 0; i < TCP_FO_CACHE_SIZE; i++) {
        struct tcp_fo_entry *e = &ts->fo_cache[i];
        if (e->addr.family && ipaddr_eq(&e->addr, addr))
            return e;
    }
    return NULL;
}

void tcp_fastopen_cache_set(struct stack *st, const struct ipaddr *addr, uint16_t mss, const uint8_t *cookie,
                            uint8_t len)
{
    struct tcp_state *ts = tcp_state_get(st);
    if (!ts || len < TCP_FO_COOKIE_MIN || len > TCP_FO_COOKIE_MAX)
        return;
    struct tcp_fo_entry *e = cache_find(st, addr);
    if (!e) {
        /* A free slot, else the one unused for longest. */
        e = &ts->fo_cache[0];
        for (int i = 0; i < TCP_FO_CACHE_SIZE; i++) {
            struct tcp_fo_entry *c = &ts->fo_cache[i];
            if (!c->addr.family) {
                e = c;
                break;
            }
            if (c->used < e->used)
                e = c;
        }
    }
    e->addr = *addr;
    e->mss = mss;
    e->len = len;
    memcpy(e->cookie, cookie, len);
    e->used = st->now;
}

/* The cookie for tp's server, or NULL. */
static struct tcp_fo_entry *cookie_for(struct tcpcb *tp)
{
    struct tcp_fo_entry *e = cache_find(tp->st, &tp->faddr);
    if (e)
        e->used = tp->st->now;
    return e;
}

/* ---- the SYN ---- */

bool tcp_fastopen_defer_connect(struct tcpcb *tp)
{
    if (!tp->fo_connect || !tcp_fastopen_client_on(tp->st))
        return false;
    if (cookie_for(tp)) {
        tp->fo_deferred = true;     /* the first write sends the SYN */
        return true;
    }
    tp->fo_syn = true;              /* connect()'s SYN asks for a cookie */
    return false;
}

void tcp_fastopen_syn_options(struct tcpcb *tp, struct tcp_opts *o)
{
    o->fo_ok = true;
    o->fo_len = 0;                  /* a cookie request ... */
    struct tcp_fo_entry *e = cookie_for(tp);
    if (e) {                        /* ... or the cookie we have */
        o->fo_len = e->len;
        memcpy(o->fo_cookie, e->cookie, e->len);
    }
    tp->fo_asked = true;
}

/* Queues data[0..n) as the first bytes of the stream (right after the SYN). */
static int queue_syn_data(struct tcpcb *tp, const void *data, uint32_t n)
{
    if (ring_reserve(&tp->sndbuf, n) != 0)
        return -ENOBUFS;
    if (tp->busy_since == 0)
        tp->busy_since = tp->st->now;
    ring_write_at(&tp->sndbuf, 0, data, n);
    tp->sndbuf.len = n;
    tcp_skb_append(tp, n, true);
    /* The write's end is a push position (tcp_psh_write's rule 1): data
     * that goes again after the handshake carries PSH, as in Linux. */
    tp->pushed_end = tp->push_mark = tp->pushed_seq = tp->snd_buf_seq + n;
    return 0;
}

ssize_t tcp_fastopen_send_syn(struct tcpcb *tp, const void *buf, size_t len, bool explicit)
{
    tp->fo_deferred = false;
    uint32_t n = 0;
    struct tcp_fo_entry *e = cookie_for(tp);
    if (e && len) {
        /* As much as fits one segment of the server's MSS (cached with the
         * cookie) with room for a SYN's options. */
        uint32_t mss = e->mss && e->mss < tp->advmss ? e->mss : tp->advmss;
        uint32_t space = mss > SYN_OPTION_SPACE ? mss - SYN_OPTION_SPACE : 0;
        n = len < space ? (uint32_t)len : space;
        if (n && queue_syn_data(tp, buf, n) < 0)
            n = 0;
        if (n)
            tp->snd_mss = (uint16_t)mss;   /* the SYN may be that large; the SYN-ACK sets it anew */
    }
    tp->fo_syn = true;
    tcp_xmit(tp, tp->iss, n, TCP_SYN);
    tp->fo_syn = false;             /* retransmitted SYNs go without it */
    tp->ss_connecting = true;
    if (n)
        return (ssize_t)n;
    if (len == 0)
        return explicit ? -EINPROGRESS : 0;
    /* No data went: sendto(MSG_FASTOPEN) says the connection is under way
     * (Linux: EINPROGRESS); a write after a deferred connect() found no
     * cookie any more and waits for the handshake like any other write. */
    return explicit ? -EINPROGRESS : -EAGAIN;
}

/* ---- the SYN-ACK ---- */

void tcp_fastopen_synack(struct tcpcb *tp, const struct tcp_opts *o)
{
    if (!tp->fo_asked)
        return;
    tp->fo_asked = false;
    /* A cookie (a new one, or the same again) replaces what we had. */
    if (o->fo_ok && o->fo_len)
        tcp_fastopen_cache_set(tp->st, &tp->faddr, o->mss_ok ? o->mss : 0, o->fo_cookie, o->fo_len);
    /* The data the SYN carried, as far as the server took it, is delivered:
     * out of the send buffer.  What it did not take (a SYN-ACK acknowledging
     * only the SYN: no cookie accepted, or our SYN was retransmitted without
     * data) goes again now as ordinary data: SND.NXT steps back to it. */
    uint32_t taken = tp->snd_una - tp->snd_buf_seq;
    if (seq_gt(tp->snd_una, tp->snd_buf_seq) && taken <= tp->sndbuf.len) {
        ring_consume(&tp->sndbuf, taken);
        tp->snd_buf_seq += taken;
        tp->bytes_acked += taken;
    }
    if (seq_lt(tp->snd_una, tp->snd_nxt))
        tp->snd_nxt = tp->snd_una;
}

/* ---- the entry points from send() ---- */

bool tcp_fastopen_wants_send(const struct tcpcb *tp, int flags)
{
    return tp->fo_deferred || ((flags & MSG_FASTOPEN) && tp->state == TCPS_CLOSED);
}
