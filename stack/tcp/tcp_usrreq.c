/* The socket face of TCP: struct sock_proto for SOCK_STREAM.  Calls never
 * block: they return what is possible now, -EAGAIN / -EINPROGRESS otherwise,
 * and the socket's wake hook fires when readiness may have changed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "stack/ip4.h"
#include "stack/tcp/cc.h"
#include "stack/tcp/tcp.h"
#include "stack/wire/ipv4.h"

static const struct sock_proto tcp_proto;

static int get_int(const void *val, size_t len, int *out)
{
    if (len < sizeof(int))
        return -EINVAL;
    memcpy(out, val, sizeof(int));
    return 0;
}

/* Linux's do_tcp_getsockopt: a shorter buffer gets the int's first bytes. */
static int put_int(void *val, size_t *len, int v)
{
    size_t n = *len < sizeof v ? *len : sizeof v;
    memcpy(val, &v, n);
    *len = n;
    return 0;
}

int tcp_sock_create(struct stack *st, int family, struct sock **out)
{
    *out = NULL;
    struct tcpcb *tp = tcp_alloc(st, family);
    if (!tp)
        return -ENOBUFS;
    uint32_t rb = tp->sk.rcvbuf, sb = tp->sk.sndbuf;
    sock_init_common(&tp->sk, st, &tcp_proto, family, SOCK_STREAM, 6 /* IPPROTO_TCP */);
    tp->sk.rcvbuf = rb;
    tp->sk.sndbuf = sb;
    tp->cc->init(tp);
    *out = &tp->sk;
    return 0;
}

static bool connected_once(const struct tcpcb *tp)
{
    return tp->established_time != 0 || tp->fin_rcvd;
}

/* ---- bind / listen / accept / connect ---- */

static int tcp_bind(struct sock *s, const struct endpoint *local)
{
    struct tcpcb *tp = tcp_from_sock(s);
    if (tp->state != TCPS_CLOSED || tp->lport || tp->plink.on)
        return -EINVAL;
    struct ipaddr addr = local->addr;
    if (ipaddr_is_v4mapped(&addr)) {
        /* An AF_INET6 socket bound to ::ffff:a.b.c.d is an IPv4 socket in
         * all but name (Linux); V6ONLY forbids it.  Held as IPv4 inside, so
         * it shares the IPv4 port space and takes IPv4 segments. */
        if (s->v6only)
            return -EINVAL;
        addr = ip4(ipaddr_unmap4(&addr));
    }
    if (!ipaddr_is_any(&addr) && (addr.family == TP_AF_INET ? !stack_is_local4(s->st, addr.v4)
                                                            : !stack_is_local6(s->st, addr.v6)))
        return -EADDRNOTAVAIL;
    /* fe80::x%N: the scope id ties the socket to interface N (Linux). */
    int oif = s->bound_ifindex;
    if (ipaddr_is_link_scoped(&addr) && local->scope_id) {
        if (oif >= 0 && (uint32_t)oif != local->scope_id)
            return -EINVAL;
        oif = (int)local->scope_id;
    }
    uint16_t port = local->port;
    if (port == 0) {
        port = tcp_pick_port(tp, &addr, NULL, 0);
        if (!port)
            return -EADDRINUSE;
    } else {
        int err = tcp_port_check(tp, &addr, port);
        if (err)
            return err;
    }
    tp->laddr = addr;
    tp->lport = port;
    s->bound_ifindex = oif;
    tcp_port_insert(tp);
    return 0;
}

static int tcp_listen(struct sock *s, int backlog)
{
    struct tcpcb *tp = tcp_from_sock(s);
    if (backlog < 0)
        backlog = 0;
    if (backlog > 4096)
        backlog = 4096;          /* Linux somaxconn */
    if (tp->state == TCPS_LISTEN) {
        tp->backlog = backlog;
        return 0;
    }
    if (tp->state != TCPS_CLOSED || tp->hlink.on)
        return -EINVAL;
    if (!tp->lport) {
        struct endpoint any;
        memset(&any, 0, sizeof any);
        any.addr.family = (uint8_t)s->family;
        int err = tcp_bind(s, &any);
        if (err)
            return err;
    }
    /* A port shared through SO_REUSEADDR cannot become a listener's. */
    int err = tcp_port_check(tp, &tp->laddr, tp->lport);
    if (err)
        return err;
    tp->backlog = backlog;
    tcp_set_state(tp, TCPS_LISTEN);
    tcp_listen_insert(tp);
    return 0;
}

static int tcp_accept(struct sock *s, struct sock **child, struct endpoint *peer)
{
    struct tcpcb *lp = tcp_from_sock(s);
    if (lp->state != TCPS_LISTEN)
        return -EINVAL;
    struct tcpcb *c = tcp_acceptq_pop(lp);
    if (!c)
        return -EAGAIN;
    if (peer) {
        memset(peer, 0, sizeof *peer);
        peer->addr = c->faddr;
        peer->port = c->fport;
        if (ipaddr_is_link_scoped(&c->faddr) && c->sk.bound_ifindex >= 0)
            peer->scope_id = (uint32_t)c->sk.bound_ifindex;
    }
    *child = &c->sk;
    return 0;
}

static int connect_setup(struct tcpcb *tp, const struct endpoint *peer);

static int tcp_connect(struct sock *s, const struct endpoint *peer)
{
    struct tcpcb *tp = tcp_from_sock(s);
    /* A connect() Fast Open deferred (tcp_fastopen.c) counts as done: a
     * second one is EISCONN, as Linux says (__inet_stream_connect). */
    if (tp->fo_deferred)
        return -EISCONN;
    /* Linux keeps the socket's own state beside TCP's (__inet_stream_connect):
     * after a connect() that said EINPROGRESS, the next one reports how that
     * attempt went: EALREADY while it is on, 0 once it is established (the
     * one after is EISCONN), or its error, taken from SO_ERROR
     * (ECONNABORTED when SO_ERROR already gave it away); after an error the
     * socket may connect anew. */
    if (tp->ss_connecting) {
        if (tp->state == TCPS_SYN_SENT || tp->state == TCPS_SYN_RECEIVED)
            return -EALREADY;
        tp->ss_connecting = false;
        if (tp->state != TCPS_CLOSED)
            return 0;
        int e = s->so_error;
        s->so_error = 0;
        return e ? -e : -ECONNABORTED;
    }
    switch (tp->state) {
    case TCPS_CLOSED:
        break;
    case TCPS_SYN_SENT:
    case TCPS_SYN_RECEIVED:
        return -EALREADY;
    default:
        return -EISCONN;
    }
    if (connected_once(tp) || tp->hlink.on)
        return -EISCONN;
    int err = connect_setup(tp, peer);
    if (err)
        return err;
    /* TCP_FASTOPEN_CONNECT with a cookie: the SYN waits for the data. */
    if (tcp_fastopen_defer_connect(tp))
        return 0;
    tcp_xmit(tp, tp->iss, 0, TCP_SYN);
    tp->fo_syn = false;          /* a retransmitted SYN goes without Fast Open */
    tp->ss_connecting = true;
    return -EINPROGRESS;
}

/* connect()'s work up to the SYN: addresses, port, ISN, SYN-SENT. */
static int connect_setup(struct tcpcb *tp, const struct endpoint *peer)
{
    struct sock *s = &tp->sk;
    struct stack *st = s->st;
    if (peer->addr.family == TP_AF_UNSPEC)
        return -EAFNOSUPPORT;
    if (peer->port == 0)
        return -ECONNREFUSED;
    struct ipaddr dst = peer->addr, src = tp->laddr;
    /* The unspecified address as a destination is this host (Linux:
     * ip_route_connect's daddr 0 -> the bound address or 127.0.0.1;
     * tcp_v6_connect's :: -> ::1, or 127.0.0.1 mapped on a mapped socket):
     * Python's connect(('', port)). */
    if (ipaddr_is_any(&dst)) {
        if (dst.family == TP_AF_INET)
            dst = src.family == TP_AF_INET && !ipaddr_is_any(&src) ? src : ip4(IP4(127, 0, 0, 1));
        else if (ipaddr_is_v4mapped(&src))
            dst = ipaddr_map4(IP4(127, 0, 0, 1));
        else
            dst.v6[15] = 1;
    }
    if (dst.family == TP_AF_INET6 && dst.v6[0] == 0xff)
        return -ENETUNREACH;     /* multicast: no connection (Linux tcp_v6_connect) */
    if (ipaddr_is_v4mapped(&dst)) {
        /* Dual stack (RFC 4038 6.1, Linux tcp_v6_connect): an AF_INET6
         * socket reaches an IPv4 peer named ::ffff:a.b.c.d by speaking
         * IPv4.  The connection's addresses are IPv4 inside, like those of a
         * dual-stack listener's IPv4 children; the socket API maps them
         * back for getsockname/getpeername. */
        if (s->v6only)
            return -ENETUNREACH;
        /* Bound to a genuine IPv6 address: no IPv4 source to speak from
         * (Linux fails such a connect too). */
        if (src.family == TP_AF_INET6 && !ipaddr_is_any(&src))
            return -ENETUNREACH;
        dst = ip4(ipaddr_unmap4(&dst));
        if (src.family == TP_AF_INET6)
            src = ip4(0);
    } else if (dst.family == TP_AF_INET6 && src.family == TP_AF_INET) {
        return -ENETUNREACH;     /* bound to a mapped (IPv4) address, peer IPv6 */
    }
    /* RFC 1122 4.2.3.10 (RFC 9293 3.9.1): an OPEN to a broadcast or
     * multicast address MUST fail; Linux says ENETUNREACH (tcp_v4_connect). */
    if (dst.family == TP_AF_INET && (ip4_is_multicast(dst.v4) || ip4_is_reserved_e(dst.v4) ||
                                     ip4_is_broadcast(st, dst.v4)))
        return -ENETUNREACH;
    /* A link-local peer's scope id names the interface (RFC 4007 11.7); the
     * connection stays on it (Linux tcp_v6_connect binds the socket to it).
     * Without one, the first IPv6 interface (find_path). */
    int oif = s->bound_ifindex;
    if (ipaddr_is_link_scoped(&dst) && peer->scope_id) {
        if (oif >= 0 && (uint32_t)oif != peer->scope_id)
            return -EINVAL;
        oif = (int)peer->scope_id;
    }
    if (ipaddr_is_any(&src)) {
        if (!ip_select_source_on(st, &dst, oif, &src))
            return -ENETUNREACH;
    }
    s->bound_ifindex = oif;
    uint16_t lport = tp->lport;
    if (!lport) {
        lport = tcp_pick_port(tp, &src, &dst, peer->port);
        if (!lport)
            return -EADDRNOTAVAIL;
    } else if (tcp_lookup(st, &src, lport, &dst, peer->port)) {
        return -EADDRNOTAVAIL;
    }
    tp->laddr = src;
    tp->lport = lport;
    tp->faddr = dst;
    tp->fport = peer->port;
    tcp_port_insert(tp);
    tcp_hash_insert(tp);
    tp->advmss = (uint16_t)tcp_path_mss(st, &tp->faddr);
    if (tp->user_mss && tp->user_mss < tp->advmss)
        tp->advmss = tp->user_mss;
    tp->snd_mss = tp->advmss < 536 ? tp->advmss : 536;
    tp->mss = tp->snd_mss;
    tp->rcv_wscale = tcp_choose_wscale(tp);
    tcp_init_seq(tp, tcp_new_isn(st, &tp->laddr, tp->lport, &tp->faddr, tp->fport));
    tcp_set_state(tp, TCPS_SYN_SENT);
    st->ctr.tcp_active_opens++;
    return 0;
}

/* ---- send / recv ---- */

static ssize_t tcp_send(struct sock *s, const void *buf, size_t len, int flags, const struct endpoint *to)
{
    struct tcpcb *tp = tcp_from_sock(s);
    if (tcp_fastopen_wants_send(tp, flags)) {
        /* Fast Open (tcp_fastopen.c): this write sends the SYN, with the
         * data when the server gave us a cookie before. */
        bool explicit = !tp->fo_deferred;
        if (explicit) {
            /* sendto(MSG_FASTOPEN): connect() to the address given. */
            if (!tcp_fastopen_client_on(s->st))
                return -EOPNOTSUPP;
            if (!to)
                return -EDESTADDRREQ;
            if (connected_once(tp) || tp->hlink.on)
                return -EISCONN;
            int err = connect_setup(tp, to);
            if (err)
                return err;
        }
        return tcp_fastopen_send_syn(tp, buf, len, explicit);
    }
    if (flags & MSG_FASTOPEN) {
        /* MSG_FASTOPEN is a connect(): on a socket that is connecting or
         * connected it fails as a second connect() would (Linux's
         * tcp_sendmsg_fastopen -> __inet_stream_connect). */
        if (tp->state == TCPS_SYN_SENT || tp->state == TCPS_SYN_RECEIVED)
            return -EALREADY;
        return -EISCONN;
    }
    if (s->so_error) {
        int e = s->so_error;
        s->so_error = 0;
        return -e;
    }
    if (tp->shut_wr)
        return -EPIPE;
    if (tp->state == TCPS_SYN_SENT || tp->state == TCPS_SYN_RECEIVED)
        return -EAGAIN;          /* Linux waits for the handshake */
    if (tp->state != TCPS_ESTABLISHED && tp->state != TCPS_CLOSE_WAIT)
        return -EPIPE;
    if (len == 0)
        return 0;
    /* Copy into the send buffer as Linux's tcp_sendmsg fills its buffers
     * (see tcp_sndbuf.c): top up the last unsent buffer to the size goal,
     * start a new one only while memory is free, and let each full buffer
     * go out before filling the next (tcp_push_one / forced push), which is
     * where transmission bursts split buffers. */
    uint32_t goal = tcp_size_goal(tp);
    size_t done = 0;
    while (done < len) {
        uint32_t room = tcp_skb_tail_room(tp, goal);
        bool fresh = room == 0;
        if (fresh) {
            if (!tcp_sndbuf_memory_free(tp))
                break;
            room = goal;
        }
        uint32_t n = len - done < room ? (uint32_t)(len - done) : room;
        if (tp->sndbuf.len + (uint64_t)n > 0x7fffffffu)
            break;
        if (ring_reserve(&tp->sndbuf, tp->sndbuf.len + n) != 0) {
            if (done == 0)
                return -ENOBUFS;
            break;
        }
        if (tp->busy_since == 0 && tp->sndbuf.len == 0)
            tp->busy_since = s->st->now;
        ring_write_at(&tp->sndbuf, tp->sndbuf.len, (const uint8_t *)buf + done, n);
        tp->sndbuf.len += n;
        tcp_skb_append(tp, n, fresh);
        done += n;
        if (n == room && done < len) {
            /* A full buffer goes before the next is filled (Linux's
             * tcp_push_one): what is queued so far counts as pushed. */
            if (!(flags & MSG_MORE))
                tp->pushed_end = tp->snd_buf_seq + tp->sndbuf.len;
            uint32_t cur = tp->snd_buf_seq + tp->sndbuf.len;
            tcp_psh_write(tp, cur - (uint32_t)done, cur, true, false);
            tcp_output(tp);
        }
    }
    if (done < len)
        tp->nospace = true;      /* a refused writer: the next ACK may wake it */
    if (done == 0)
        return -EAGAIN;
    /* PSH marks the end of what the application handed over (RFC 9293
     * 3.9.1 "push"); with MSG_MORE it has more to say, so no push (but
     * see tcp_psh_write: Linux's forced pushes in long writes). */
    uint32_t wend = tp->snd_buf_seq + tp->sndbuf.len;
    tcp_psh_write(tp, wend - (uint32_t)done, wend, (flags & MSG_MORE) != 0, true);
    if (!(flags & MSG_MORE))
        tp->pushed_end = wend;
    if (flags & MSG_OOB) {
        /* Urgent: the pointer goes one past the last byte of this write (the
         * BSD and Linux reading of RFC 9293's urgent pointer; RFC 6093 3.2),
         * and, as in Linux, urgent data does not wait for Nagle. */
        tp->snd_up = tp->snd_buf_seq + tp->sndbuf.len;
        tp->snd_urg = true;
        tp->push_now = true;
    }
    /* MSG_MORE corks this call's own transmission only (Linux: the push at
     * the end of tcp_sendmsg uses TCP_NAGLE_CORK): a small tail stays
     * queued, but the next ACK, a later send without the flag or the probe
     * timer sends it under the socket's usual Nagle/TCP_NODELAY rule. */
    tp->more = (flags & MSG_MORE) != 0;
    tcp_output(tp);
    tp->more = false;
    return (ssize_t)done;
}

/* Would an ACK now offer a much larger window than the peer last heard of?
 * "Much": at least twice what is left of the window we advertised, and that
 * remainder is at most half the largest window we could offer (Linux's rule
 * in tcp_cleanup_rbuf; above half, doubling it is impossible anyway).  A
 * window that only crept open waits for the next ACK: an update per read
 * would be a segment per read (receiver SWS avoidance, RFC 9293 3.8.6.2.2). */
static bool window_opened(struct tcpcb *tp)
{
    if (!(tp->state == TCPS_ESTABLISHED || tp->state == TCPS_FIN_WAIT_1 || tp->state == TCPS_FIN_WAIT_2) ||
        tp->shut_rd)
        return false;            /* the peer sends no more: a window is useless */
    uint32_t cur = seq_gt(tp->rcv_adv, tp->rcv_nxt) ? tp->rcv_adv - tp->rcv_nxt : 0;
    uint32_t maxwin = (uint32_t)65535 << tp->rcv_wscale;
    uint32_t clamp = tp->rcv_buf_limit < maxwin ? tp->rcv_buf_limit : maxwin;
    if ((uint64_t)2 * cur > clamp)
        return false;
    uint32_t now = tcp_rcv_window(tp);   /* what an ACK would offer (SWS-rounded) */
    return now > 0 && now >= 2 * cur;
}

/* The application just took `copied` bytes out of the receive buffer
 * (Linux's tcp_cleanup_rbuf).  Two reasons to send an ACK right away rather
 * than leave it to the delayed-ACK timer or to the next data we send:
 *
 * 1. An ACK is pending (the delayed-ACK timer runs) and
 *    a. more than one full segment is unacknowledged (RFC 1122 4.2.3.2 wants
 *       an ACK for every second full segment; tcp_ack_delayed left it to the
 *       end of a receive batch), or
 *    b. the read emptied the receive queue and the last data was "pushed"
 *       (ack_pushed: it ended the peer's write).  The peer has probably
 *       stopped and may be waiting for this very ACK: Nagle keeps its next
 *       small segment back until it comes, and nothing else will carry it
 *       for 40 ms.  In interactive mode (tp->pingpong) the application is
 *       expected to answer, and the answer carries the ACK at no cost, so
 *       one pushed segment is not enough; two short segments without an
 *       ACK between (ack_pushed2) still are.
 * 2. The read freed enough buffer to open the window a lot (window_opened):
 *    a sender stalled on our window can go on at once.
 */
static void tcp_cleanup_rbuf(struct tcpcb *tp, uint32_t copied)
{
    if (!copied)
        return;
    bool ack = false;
    if (timer_armed(&tp->t_delack) && tcp_synchronized(tp->state)) {
        bool drained = tp->rcvbuf.len == 0 && tp->n_ooo == 0;
        if (tp->rcv_nxt - tp->rcv_wup > tp->rcv_mss)
            ack = true;                                           /* 1a */
        else if (drained && (tp->ack_pushed2 || (tp->ack_pushed && !tp->pingpong)))
            ack = true;                                           /* 1b */
    }
    if (ack || window_opened(tp))
        tcp_send_ack(tp);
}

/* Receive-buffer autotuning (Linux's dynamic right-sizing, simplified):
 * once per RTT (at least TCP_RCV_RTT_MIN_US), if the application read more than a quarter of the buffer,
 * let the buffer grow to twice that amount, up to tcp_rmem[2], so the
 * window never limits a fast reader.  Not when SO_RCVBUF fixed the size. */
static void rcvbuf_autotune(struct tcpcb *tp, uint32_t n)
{
    uint64_t now = tp->st->now;
    tp->rcvq_copied += n;
    /* The interval is the RTT, but never shorter than Linux's receiver RTT
     * can be (one 1 ms timestamp tick): on a sub-millisecond path srtt
     * would make every read its own interval, and the buffer would only
     * ever grow to four reads. */
    uint64_t rtt = tp->srtt_us > TCP_RCV_RTT_MIN_US ? tp->srtt_us : TCP_RCV_RTT_MIN_US;
    if (now - tp->rcvq_time < rtt)
        return;
    if (!tp->rcvbuf_locked && tp->rcvq_copied > tp->rcv_buf_limit / 4) {
        uint64_t want = 4ull * tp->rcvq_copied;
        uint32_t cap = tp->st->cfg.tcp.rmem[2];
        if (want > cap)
            want = cap;
        if (want > tp->rcv_buf_limit) {
            tp->rcv_buf_limit = (uint32_t)want;
            tp->sk.rcvbuf = tp->rcv_buf_limit;
        }
    }
    tp->rcvq_copied = 0;
    tp->rcvq_time = now;
}

static ssize_t tcp_recv(struct sock *s, void *buf, size_t len, int flags, struct endpoint *from,
                        size_t *full_len)
{
    struct tcpcb *tp = tcp_from_sock(s);
    if (flags & MSG_OOB)
        return -EINVAL;          /* urgent data stays in the stream (inline) */
    if (tp->state == TCPS_LISTEN)
        return -ENOTCONN;
    if (from) {
        memset(from, 0, sizeof *from);
        from->addr = tp->faddr;
        from->port = tp->fport;
    }
    if (tp->rcvbuf.len > 0 && len > 0) {
        uint32_t n = len < tp->rcvbuf.len ? (uint32_t)len : tp->rcvbuf.len;
        ring_read_at(&tp->rcvbuf, 0, buf, n);
        if (!(flags & MSG_PEEK)) {
            ring_consume(&tp->rcvbuf, n);
            /* Read past the urgent byte: no more POLLPRI. */
            if (tp->rcv_urg && seq_geq(tp->rcv_nxt - tp->rcvbuf.len, tp->rcv_up))
                tp->rcv_urg = false;
            rcvbuf_autotune(tp, n);
            tcp_cleanup_rbuf(tp, n);
        }
        if (full_len)
            *full_len = n;
        return n;
    }
    if (full_len)
        *full_len = 0;
    if (tp->rcvbuf.len > 0)
        return 0;                /* len == 0 */
    if (s->so_error) {
        int e = s->so_error;
        s->so_error = 0;
        return -e;
    }
    if (tp->fin_rcvd || tp->shut_rd)
        return 0;
    if (tp->state == TCPS_CLOSED)
        return connected_once(tp) ? 0 : -ENOTCONN;
    return -EAGAIN;
}

/* ---- shutdown / close ---- */

static void abort_with_rst(struct tcpcb *tp);

/* A listener stops (Linux's inet_csk_listen_stop): unaccepted connections
 * are reset, half-open ones just vanish. */
static void listen_stop(struct tcpcb *tp)
{
    tcp_listen_remove(tp);
    struct tcpcb *c;
    while ((c = tcp_acceptq_pop(tp))) {
        c->user_closed = true;
        abort_with_rst(c);
        tcp_close_conn(c, 0);
    }
    while (tp->synq_head) {
        c = tp->synq_head;
        tcp_synq_remove(c);
        c->parent = NULL;
        tcp_free(c);
    }
}

static void send_fin(struct tcpcb *tp)
{
    if (tp->shut_wr)
        return;
    tp->shut_wr = true;
    switch (tp->state) {
    case TCPS_ESTABLISHED:
    case TCPS_SYN_RECEIVED:
        tcp_set_state(tp, TCPS_FIN_WAIT_1);
        break;
    case TCPS_CLOSE_WAIT:
        tcp_set_state(tp, TCPS_LAST_ACK);
        break;
    default:
        return;
    }
    tcp_output(tp);
}

static int tcp_shutdown(struct sock *s, int how)
{
    struct tcpcb *tp = tcp_from_sock(s);
    switch (tp->state) {
    case TCPS_CLOSED:
        return -ENOTCONN;
    case TCPS_LISTEN:
        /* Linux (inet_shutdown): SHUT_WR leaves a listener as it is;
         * SHUT_RD stops it as tcp_disconnect does -- queued connections are
         * reset, half-open ones dropped, and the socket is a closed one that
         * keeps its port (accept: EINVAL; it may listen again). */
        if (how != SHUT_WR) {
            listen_stop(tp);
            tcp_set_state(tp, TCPS_CLOSED);
            sock_wake(s);
        }
        return 0;
    case TCPS_SYN_SENT:
        tcp_close_conn(tp, 0);
        return 0;
    default:
        break;
    }
    if (how == SHUT_RD || how == SHUT_RDWR) {
        tp->shut_rd = true;
        sock_wake(s);
    }
    if (how == SHUT_WR || how == SHUT_RDWR) {
        send_fin(tp);
        sock_wake(s);
    }
    return 0;
}

static void abort_with_rst(struct tcpcb *tp)
{
    if (tcp_synchronized(tp->state) && tp->state != TCPS_TIME_WAIT)
        tcp_xmit(tp, tp->snd_nxt, 0, TCP_RST | TCP_ACK);
    else if (tp->state == TCPS_SYN_RECEIVED)
        tcp_xmit(tp, tp->snd_nxt, 0, TCP_RST | TCP_ACK);
}

static void tcp_close(struct sock *s)
{
    struct tcpcb *tp = tcp_from_sock(s);
    tp->user_closed = true;
    switch (tp->state) {
    case TCPS_LISTEN:
        listen_stop(tp);
        tcp_free(tp);
        return;
    case TCPS_CLOSED:
    case TCPS_SYN_SENT:
        tcp_close_conn(tp, 0);
        return;
    default:
        break;
    }
    /* Unread data, or SO_LINGER with a zero timeout: abort with RST
     * (RFC 9293 3.10.4 allows it; Linux does it, RFC 2525 2.17). */
    if (tp->rcvbuf.len > 0 || tp->n_ooo > 0 || (tp->linger_on && tp->linger_secs == 0)) {
        abort_with_rst(tp);
        tcp_close_conn(tp, 0);
        return;
    }
    tp->shut_rd = true;
    send_fin(tp);
    if (tp->state == TCPS_FIN_WAIT_2)
        tcp_arm_finwait2(tp);
}

/* ---- options ---- */

static int tcp_setsockopt(struct sock *s, int level, int name, const void *val, size_t len)
{
    struct tcpcb *tp = tcp_from_sock(s);
    int v = 0, err;
    if (level == SOL_SOCKET) {
        if (name == SO_LINGER) {
            struct linger l;
            if (len < sizeof l)
                return -EINVAL;
            memcpy(&l, val, sizeof l);
            tp->linger_on = l.l_onoff != 0;
            tp->linger_secs = l.l_linger;
            return 0;
        }
        err = sock_setsockopt_common(s, level, name, val, len);
        if (err)
            return err;
        if (name == SO_KEEPALIVE)
            tcp_arm_keepalive(tp);
        if (name == SO_RCVBUF) {
            tp->rcvbuf_locked = true;
            tp->rcv_buf_limit = s->rcvbuf;
            if (window_opened(tp))
                tcp_send_ack(tp);
        }
        if (name == SO_SNDBUF) {
            tp->sndbuf_locked = true;   /* no autotuning any more (Linux's SOCK_SNDBUF_LOCK) */
            tcp_sndbuf_write_space(tp);
        }
        return 0;
    }
    if (level != TP_SOL_TCP)
        return sock_setsockopt_common(s, level, name, val, len);
    if (name == TP_TCP_CONGESTION) {
        char nm[16];
        size_t n = len < sizeof nm - 1 ? len : sizeof nm - 1;
        memcpy(nm, val, n);
        nm[n] = 0;
        const struct cc_algo *cc = cc_find(nm);
        if (!cc)
            return -ENOENT;
        if (cc != tp->cc) {
            tp->cc = cc;
            cc->init(tp);
        }
        return 0;
    }
    if ((err = get_int(val, len, &v)))
        return err;
    switch (name) {
    case TP_TCP_FASTOPEN_CONNECT:
        /* Linux: 0 or 1, only before connect(), and only with the client
         * side on (tcp_fastopen & 1). */
        if (v < 0 || v > 1)
            return -EINVAL;
        if (!tcp_fastopen_client_on(s->st))
            return -EOPNOTSUPP;
        if (tp->state != TCPS_CLOSED)
            return -EINVAL;
        tp->fo_connect = v != 0;
        return 0;
    case TP_TCP_NODELAY:
        tp->nodelay = v != 0;
        if (tp->nodelay) {
            tp->push_now = true;
            tcp_output(tp);
        }
        return 0;
    case TP_TCP_CORK:
        tp->cork = v != 0;
        if (!tp->cork) {
            tp->push_now = true;  /* uncorking sends the tail now */
            tcp_output(tp);
        }
        return 0;
    case TP_TCP_MAXSEG:
        if (v < TCP_MIN_MSS || v > 32767)
            return -EINVAL;
        tp->user_mss = (uint16_t)v;
        if (tcp_synchronized(tp->state))
            tcp_update_mss(tp);
        return 0;
    case TP_TCP_KEEPIDLE:
    case TP_TCP_KEEPINTVL:
        if (v < 1 || v > 32767)
            return -EINVAL;
        if (name == TP_TCP_KEEPIDLE) {
            tp->keep_idle_s = (uint32_t)v;
            tcp_arm_keepalive(tp);
        } else {
            tp->keep_intvl_s = (uint32_t)v;
        }
        return 0;
    case TP_TCP_KEEPCNT:
        if (v < 1 || v > 127)
            return -EINVAL;
        tp->keep_cnt = (uint32_t)v;
        return 0;
    case TP_TCP_SYNCNT:
        if (v < 1 || v > 127)
            return -EINVAL;
        tp->user_syncnt = (uint8_t)v;
        return 0;
    case TP_TCP_LINGER2:
        /* Linux: negative is -1 (no FIN_WAIT_2), 0 the system's
         * tcp_fin_timeout, at most 120 s (TCP_FIN_TIMEOUT_MAX). */
        tp->linger2_s = (int16_t)(v < 0 ? -1 : v > 120 ? 120 : v);
        return 0;
    case TP_TCP_USER_TIMEOUT:
        if (v < 0)
            return -EINVAL;
        tp->user_timeout_ms = (uint32_t)v;
        return 0;
    case TP_TCP_QUICKACK:
        /* Linux: 0 enters interactive (pingpong) mode, 1 leaves it, and an
         * ACK already waiting goes at once if the reader has drained the
         * queue (as if the data had been pushed). */
        tp->quickack_off = v == 0;
        tp->pingpong = v == 0;
        if (v) {
            tp->quickacks = TCP_QUICKACKS;
            if (timer_armed(&tp->t_delack)) {
                tp->ack_pushed = true;
                tcp_cleanup_rbuf(tp, 1);
            }
        }
        return 0;
    case TP_TCP_NOTSENT_LOWAT:
        /* Bytes not yet sent above which a write stops early and POLLOUT
         * is withheld (POLLOUT needs twice less); 0 means the system's
         * tcp_notsent_lowat.  Linux signals write space at once. */
        tp->notsent_lowat = (uint32_t)v;
        tcp_sndbuf_write_space(tp);
        return 0;
    default:
        return -ENOPROTOOPT;
    }
}

static int tcpi_state_of(int st)
{
    switch (st) {
    case TCPS_ESTABLISHED: return TP_TCPI_ESTABLISHED;
    case TCPS_SYN_SENT: return TP_TCPI_SYN_SENT;
    case TCPS_SYN_RECEIVED: return TP_TCPI_SYN_RECV;
    case TCPS_FIN_WAIT_1: return TP_TCPI_FIN_WAIT1;
    case TCPS_FIN_WAIT_2: return TP_TCPI_FIN_WAIT2;
    case TCPS_TIME_WAIT: return TP_TCPI_TIME_WAIT;
    case TCPS_CLOSE_WAIT: return TP_TCPI_CLOSE_WAIT;
    case TCPS_LAST_ACK: return TP_TCPI_LAST_ACK;
    case TCPS_LISTEN: return TP_TCPI_LISTEN;
    case TCPS_CLOSING: return TP_TCPI_CLOSING;
    default: return TP_TCPI_CLOSE;
    }
}

static uint32_t segs(const struct tcpcb *tp, uint32_t bytes)
{
    uint32_t m = tp->mss ? tp->mss : 536;
    return (bytes + m - 1) / m;
}

static uint32_t ms_since(uint64_t now, uint64_t t)
{
    return t && now >= t ? (uint32_t)((now - t) / 1000) : 0;
}

int tapir_tcp_get_info(struct sock *s, struct tapir_tcp_info *i)
{
    if (!s || s->proto != &tcp_proto)
        return -EOPNOTSUPP;
    struct tcpcb *tp = tcp_from_sock(s);
    uint64_t now = s->st->now;
    memset(i, 0, sizeof *i);
    i->tcpi_state = (uint8_t)tcpi_state_of(tp->state);
    i->tcpi_ca_state = (uint8_t)tp->ca_state;
    i->tcpi_retransmits = (uint8_t)tp->retransmits;
    i->tcpi_probes = (uint8_t)tp->probes;
    i->tcpi_backoff = (uint8_t)tp->backoff;
    i->tcpi_options = (uint8_t)((tp->ts_ok ? TP_TCPI_OPT_TIMESTAMPS : 0) | (tp->sack_ok ? TP_TCPI_OPT_SACK : 0) |
                                (tp->ws_ok ? TP_TCPI_OPT_WSCALE : 0) |
                                (tp->ecn_ok ? TP_TCPI_OPT_ECN : 0) | (tp->ecn_seen ? TP_TCPI_OPT_ECN_SEEN : 0));
    if (tp->ws_ok) {
        i->tcpi_snd_wscale = tp->snd_wscale & 15;
        i->tcpi_rcv_wscale = tp->rcv_wscale & 15;
    }
    i->tcpi_rto = tcp_current_rto(tp);
    i->tcpi_ato = s->st->cfg.tcp.delack_ms * 1000;
    i->tcpi_snd_mss = tp->mss;
    i->tcpi_rcv_mss = tp->rcv_mss;
    if (tp->state != TCPS_LISTEN) {
        i->tcpi_unacked = segs(tp, tp->snd_nxt - tp->snd_una);
        i->tcpi_sacked = tp->sacked_bytes / (tp->mss ? tp->mss : 1);
        if (!tp->sack_ok)
            i->tcpi_sacked = tp->dupacks;
        if (tcp_rack_on(tp)) {
            /* Linux's sacked_out, lost_out, retrans_out: counts of segments. */
            i->tcpi_sacked = tp->txq_sacked;
            i->tcpi_lost = tp->lost_cnt;
            i->tcpi_retrans = tp->rxt_cnt;
        } else if (tp->ca_state >= TCP_CA_Recovery && seq_gt(tp->lost_high, tp->snd_una)) {
            uint32_t lost = tp->lost_high - tp->snd_una - tcp_sack_bytes_between(tp, tp->snd_una, tp->lost_high);
            i->tcpi_lost = segs(tp, lost);
            uint32_t hr = seq_min(tp->high_rxt, tp->lost_high);
            if (seq_gt(hr, tp->snd_una))
                i->tcpi_retrans = segs(tp, hr - tp->snd_una - tcp_sack_bytes_between(tp, tp->snd_una, hr));
        }
    } else {
        i->tcpi_unacked = (uint32_t)tp->n_accept;   /* Linux: accept queue length */
        i->tcpi_sacked = (uint32_t)tp->backlog;
    }
    i->tcpi_last_data_sent = ms_since(now, tp->last_data_sent);
    i->tcpi_last_data_recv = ms_since(now, tp->last_data_recv);
    i->tcpi_last_ack_recv = ms_since(now, tp->last_ack_recv);
    i->tcpi_pmtu = tp->snd_mss + (tp->faddr.family == TP_AF_INET6 ? 60u : 40u);
    i->tcpi_rcv_ssthresh = tcp_rcv_window(tp);
    i->tcpi_rtt = tp->srtt_us;
    i->tcpi_rttvar = tp->rttvar_us;
    i->tcpi_snd_ssthresh = tp->ssthresh >= 0x7fffffff ? 0x7fffffff : tp->ssthresh / (tp->mss ? tp->mss : 1);
    i->tcpi_snd_cwnd = tp->cwnd / (tp->mss ? tp->mss : 1);
    i->tcpi_advmss = tp->advmss;
    i->tcpi_reordering = tp->reordering;
    i->tcpi_reord_seen = tp->reord_seen;
    i->tcpi_dsack_dups = tp->dsack_dups;
    i->tcpi_rcv_space = tp->rcv_buf_limit;
    i->tcpi_total_retrans = tp->total_retrans;
    i->tcpi_bytes_acked = tp->bytes_acked;
    i->tcpi_bytes_received = tp->bytes_received;
    i->tcpi_segs_out = tp->segs_out;
    i->tcpi_segs_in = tp->segs_in;
    uint32_t off = tp->snd_nxt - tp->snd_buf_seq;
    i->tcpi_notsent_bytes = off < tp->sndbuf.len ? tp->sndbuf.len - off : 0;
    i->tcpi_min_rtt = tp->min_rtt_us;
    i->tcpi_data_segs_in = tp->data_segs_in;
    i->tcpi_data_segs_out = tp->data_segs_out;
    if (tp->srtt_us)
        i->tcpi_delivery_rate = (uint64_t)tp->cwnd * 1000000 / tp->srtt_us;
    i->tcpi_busy_time = tp->busy_us + (tp->busy_since ? now - tp->busy_since : 0);
    i->tcpi_rwnd_limited = tp->rwnd_limited_us + (tp->limited_kind == 1 ? now - tp->limited_since : 0);
    i->tcpi_sndbuf_limited = tp->sndbuf_limited_us + (tp->limited_kind == 2 ? now - tp->limited_since : 0);
    i->tcpi_delivered = tp->delivered;
    i->tcpi_bytes_sent = tp->bytes_sent;
    i->tcpi_bytes_retrans = tp->bytes_retrans;
    i->tcpi_snd_wnd = tp->snd_wnd;
    return 0;
}

static int tcp_getsockopt(struct sock *s, int level, int name, void *val, size_t *len)
{
    struct tcpcb *tp = tcp_from_sock(s);
    if (level == SOL_SOCKET && name == SO_ACCEPTCONN)
        return put_int(val, len, tp->state == TCPS_LISTEN);
    if (level == SOL_SOCKET && name == SO_LINGER) {
        struct linger l = {.l_onoff = tp->linger_on, .l_linger = tp->linger_secs};
        if (*len < sizeof l)
            return -EINVAL;
        memcpy(val, &l, sizeof l);
        *len = sizeof l;
        return 0;
    }
    if (level != TP_SOL_TCP)
        return sock_getsockopt_common(s, level, name, val, len);
    switch (name) {
    case TP_TCP_NODELAY: return put_int(val, len, tp->nodelay);
    case TP_TCP_CORK: return put_int(val, len, tp->cork);
    case TP_TCP_MAXSEG:
        if (tcp_synchronized(tp->state))
            return put_int(val, len, tp->mss);
        return put_int(val, len, tp->user_mss ? tp->user_mss : TCP_MSS_DEFAULT4);
    case TP_TCP_KEEPIDLE:
        return put_int(val, len, (int)(tp->keep_idle_s ? tp->keep_idle_s : s->st->cfg.tcp.keepalive_time_s));
    case TP_TCP_KEEPINTVL:
        return put_int(val, len, (int)(tp->keep_intvl_s ? tp->keep_intvl_s : s->st->cfg.tcp.keepalive_intvl_s));
    case TP_TCP_KEEPCNT:
        return put_int(val, len, (int)(tp->keep_cnt ? tp->keep_cnt : s->st->cfg.tcp.keepalive_probes));
    case TP_TCP_SYNCNT: return put_int(val, len, tp->user_syncnt ? tp->user_syncnt : (int)s->st->cfg.tcp.syn_retries);
    case TP_TCP_LINGER2:
        return put_int(val, len, tp->linger2_s ? tp->linger2_s : (int)(s->st->cfg.tcp.fin_timeout_ms / 1000));
    case TP_TCP_USER_TIMEOUT: return put_int(val, len, (int)tp->user_timeout_ms);
    /* Linux reports !pingpong; tapir reports what TCP_QUICKACK last set
     * (1 until it is set to 0), not the interactive mode it infers itself. */
    case TP_TCP_QUICKACK: return put_int(val, len, !tp->quickack_off);
    case TP_TCP_NOTSENT_LOWAT: return put_int(val, len, (int)tp->notsent_lowat);
    case TP_TCP_FASTOPEN_CONNECT: return put_int(val, len, tp->fo_connect);
    case TP_TCP_CONGESTION: {
        size_t n = strlen(tp->cc->name) + 1;
        if (n > *len)
            n = *len;
        memcpy(val, tp->cc->name, n);
        *len = n;
        return 0;
    }
    case TP_TCP_INFO: {
        struct tapir_tcp_info info;
        tapir_tcp_get_info(s, &info);
        size_t n = *len < sizeof info ? *len : sizeof info;
        memcpy(val, &info, n);
        *len = n;
        return 0;
    }
    default:
        return -ENOPROTOOPT;
    }
}

/* ---- readiness ---- */

static uint32_t tcp_poll(struct sock *s)
{
    struct tcpcb *tp = tcp_from_sock(s);
    uint32_t m = 0;
    if (tp->state == TCPS_LISTEN)
        return tp->acc_head ? SOCK_POLLIN : 0;
    if (s->so_error)
        m |= SOCK_POLLERR;
    if ((tp->shut_rd || tp->fin_rcvd) && tp->shut_wr)
        m |= SOCK_POLLHUP;
    if (tp->state == TCPS_CLOSED)
        m |= SOCK_POLLHUP;
    if (tp->fin_rcvd || tp->shut_rd)
        m |= SOCK_POLLIN | SOCK_POLLRDHUP;
    /* A Fast Open connect() left the SYN to the first write: the socket is
     * writable so that the application writes (Linux's tcp_poll). */
    if (tp->fo_deferred)
        return m | SOCK_POLLOUT;
    if (tp->state == TCPS_SYN_SENT || tp->state == TCPS_SYN_RECEIVED)
        return m;
    if (tp->rcvbuf.len > 0)
        m |= SOCK_POLLIN;
    if (tp->rcv_urg)
        m |= SOCK_POLLPRI;       /* urgent data not read yet: select's "exceptional" */
    if (tp->shut_wr || tp->state == TCPS_CLOSED) {
        m |= SOCK_POLLOUT;   /* a write would not block (it fails at once) */
    } else {
        /* Linux's __sk_stream_is_writeable(sk, 1): free memory at least
         * half of what is queued, unsent bytes under half the low-water
         * mark.  Not writable: the next ACK that frees memory wakes us. */
        if (tcp_sndbuf_writeable(tp))
            m |= SOCK_POLLOUT;
        else
            tp->nospace = true;
    }
    return m;
}

static int tcp_getname(struct sock *s, struct endpoint *out, bool peer)
{
    struct tcpcb *tp = tcp_from_sock(s);
    if (peer) {
        if (!tp->hlink.on && !connected_once(tp))
            return -ENOTCONN;
        /* Linux (inet_getname): no peer in CLOSE either, as after a reset. */
        if (tp->state == TCPS_LISTEN || tp->state == TCPS_SYN_SENT || tp->state == TCPS_CLOSED)
            return -ENOTCONN;
        out->addr = tp->faddr;
        out->port = tp->fport;
    } else {
        out->addr = tp->laddr;
        if (out->addr.family == TP_AF_UNSPEC)
            out->addr.family = (uint8_t)s->family;
        out->port = tp->lport;
    }
    /* A link-local address reads with its interface: ('fe80::1', 80, 0, 2). */
    out->scope_id = ipaddr_is_link_scoped(&out->addr) && s->bound_ifindex >= 0 ? (uint32_t)s->bound_ifindex : 0;
    return 0;
}

/* ---- trace controls ---- */

int tapir_tcp_trace_ring(struct sock *s, int on)
{
    if (!s || s->proto != &tcp_proto)
        return -EOPNOTSUPP;
    struct tcpcb *tp = tcp_from_sock(s);
    if (on && !tp->trace_ring) {
        tp->trace_ring = calloc(TCP_TRACE_RING, sizeof *tp->trace_ring);
        if (!tp->trace_ring)
            return -ENOMEM;
        tp->trace_head = tp->trace_count = 0;
    } else if (!on) {
        free(tp->trace_ring);
        tp->trace_ring = NULL;
    }
    return 0;
}

size_t tapir_tcp_trace_read(struct sock *s, struct tcp_event *out, size_t max)
{
    if (!s || s->proto != &tcp_proto)
        return 0;
    struct tcpcb *tp = tcp_from_sock(s);
    size_t n = 0;
    while (n < max && tp->trace_count) {
        out[n++] = tp->trace_ring[tp->trace_head];
        tp->trace_head = (tp->trace_head + 1) % TCP_TRACE_RING;
        tp->trace_count--;
    }
    return n;
}

int tapir_tcp_trace_fn(struct sock *s, tcp_trace_fn fn, void *ctx)
{
    if (!s || s->proto != &tcp_proto)
        return -EOPNOTSUPP;
    struct tcpcb *tp = tcp_from_sock(s);
    tp->trace = fn;
    tp->trace_ctx = ctx;
    return 0;
}

static const struct sock_proto tcp_proto = {
    .name = "tcp",
    .bind = tcp_bind,
    .listen = tcp_listen,
    .accept = tcp_accept,
    .connect = tcp_connect,
    .send = tcp_send,
    .recv = tcp_recv,
    .shutdown = tcp_shutdown,
    .close = tcp_close,
    .setsockopt = tcp_setsockopt,
    .getsockopt = tcp_getsockopt,
    .poll = tcp_poll,
    .getname = tcp_getname,
};
