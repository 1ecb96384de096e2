/* TCP bookkeeping: the per-stack tables that find a connection for a segment
 * in O(1), control block life cycle, initial sequence numbers (RFC 6528) and
 * ephemeral ports (RFC 6056), state changes and the event trace. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "stack/tcp/cc.h"
#include "stack/tcp/tcp.h"

void tcp_settings_default(struct tcp_settings *t)
{
    memset(t, 0, sizeof *t);
    t->rmem[0] = TCP_RMEM_MIN;
    t->rmem[1] = TCP_RMEM_DEFAULT;
    t->rmem[2] = TCP_RMEM_MAX;
    t->wmem[0] = TCP_WMEM_MIN;
    t->wmem[1] = TCP_WMEM_DEFAULT;
    t->wmem[2] = TCP_WMEM_MAX;
    t->notsent_lowat = TCP_NOTSENT_LOWAT_DEFAULT;
    t->timestamps = true;
    t->window_scaling = true;
    t->sack = true;
    t->dsack = true;
    t->syncookies = true;
    t->fastopen = TCP_FASTOPEN_DEFAULT;
    t->ecn = TCP_ECN_DEFAULT;
    t->slow_start_after_idle = true;
    t->rack = true;
    t->tlp = true;
    strcpy(t->congestion, TCP_CC_DEFAULT);
    t->rto_min_ms = TCP_RTO_MIN_MS;
    t->rto_init_ms = TCP_RTO_INIT_MS;
    t->rto_max_ms = TCP_RTO_MAX_MS;
    t->delack_ms = TCP_DELACK_MIN_MS;
    t->max_syn_backlog = TCP_MAX_SYN_BACKLOG;
    t->fin_timeout_ms = TCP_FIN_TIMEOUT_MS;
    t->timewait_ms = TCP_TIMEWAIT_MS;
    t->max_tw = TCP_MAX_TW;
    t->syn_retries = TCP_SYN_RETRIES;
    t->synack_retries = TCP_SYNACK_RETRIES;
    t->retries2 = TCP_RETRIES2;
    t->keepalive_time_s = TCP_KEEPALIVE_TIME_S;
    t->keepalive_intvl_s = TCP_KEEPALIVE_INTVL_S;
    t->keepalive_probes = TCP_KEEPALIVE_PROBES;
    t->invalid_ratelimit_ms = TCP_INVALID_RATELIMIT_MS;
    t->init_cwnd = TCP_INIT_CWND;
    t->reordering = TCP_REORDERING;
    t->port_lo = TCP_EPHEMERAL_LO;
    t->port_hi = TCP_EPHEMERAL_HI;
    t->hystart = TCP_HYSTART_DETECT;
    t->pacing = false;
    t->pacing_ss_ratio = 200;
    t->pacing_ca_ratio = 120;
    t->min_tso_segs = 2;
}

struct tcp_state *tcp_state_get(struct stack *st)
{
    if (!st->tcp) {
        st->tcp = calloc(1, sizeof *st->tcp);
        if (!st->tcp)
            return NULL;
        /* A stack whose creator did not fill the TCP settings gets Linux's. */
        if (st->cfg.tcp.rmem[1] == 0)
            tcp_settings_default(&st->cfg.tcp);
        for (int i = 0; i < TCP_PORT_PERTURB; i++)
            st->tcp->port_perturb[i] = (uint32_t)rng_next(&st->rng);
        if (stack_at_destroy(st, tcp_stack_free) != 0) {
            free(st->tcp);
            st->tcp = NULL;
        }
    }
    return st->tcp;
}

void tcp_stack_free(struct stack *st)
{
    struct tcp_state *ts = st->tcp;
    if (!ts)
        return;
    /* Every control block is in at least one table: the 4-tuple hash, the
     * listener table or the port table.  Free the users' sockets too: the
     * stack is going away. */
    for (size_t i = 0; i < TCP_CONN_HASH_SIZE; i++)
        while (ts->conn_hash[i])
            tcp_free(ts->conn_hash[i]);
    for (size_t i = 0; i < TCP_PORT_HASH_SIZE; i++) {
        while (ts->listen_hash[i])
            tcp_free(ts->listen_hash[i]);
        while (ts->port_hash[i])
            tcp_free(ts->port_hash[i]);
    }
    free(ts);
    st->tcp = NULL;
}

static const char *const state_names[] = {
    "CLOSED",     "LISTEN",  "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED", "CLOSE_WAIT",
    "FIN_WAIT_1", "CLOSING", "LAST_ACK", "FIN_WAIT_2",   "TIME_WAIT",
};

const char *tcp_state_name(int state)
{
    if (state < 0 || state > TCPS_TIME_WAIT)
        return "?";
    return state_names[state];
}

struct tcpcb *tcp_alloc(struct stack *st, int family)
{
    struct tcp_state *ts = tcp_state_get(st);
    if (!ts || st->gauges.tcp_cbs >= TCP_MAX_CONNS)
        return NULL;
    struct tcpcb *tp = calloc(1, sizeof *tp);
    if (!tp)
        return NULL;
    const struct tcp_settings *cfg = &st->cfg.tcp;
    tp->st = st;
    tp->state = TCPS_CLOSED;
    tp->laddr.family = tp->faddr.family = (uint8_t)family;
    tp->sk.rcvbuf = cfg->rmem[1];
    tp->sk.sndbuf = cfg->wmem[1];
    tp->rcv_buf_limit = cfg->rmem[1];
    tp->cc = cc_find(cfg->congestion);
    if (!tp->cc)
        tp->cc = &cc_cubic;
    tp->rto_us = cfg->rto_init_ms * 1000u;
    tp->advmss = family == TP_AF_INET6 ? 1440 : 1460;
    tp->snd_mss = family == TP_AF_INET6 ? TCP_MSS_DEFAULT6 : TCP_MSS_DEFAULT4;
    tp->mss = tp->snd_mss;
    tp->rcv_mss = TCP_MSS_DEFAULT4;
    tp->ts_offset = (uint32_t)rng_next(&st->rng);
    tp->ssthresh = UINT32_MAX;
    tp->ca_state = TCP_CA_Open;
    tp->reordering = cfg->reordering ? cfg->reordering : TCP_REORDERING;
    tp->reo_wnd_steps = 1;
    tp->rack_delivered = 1;      /* the SYN, as Linux counts it: stamps are never 0 */
    tcp_timers_init(tp);
    st->gauges.tcp_cbs++;
    return tp;
}

void tcp_free(struct tcpcb *tp)
{
    struct stack *st = tp->st;
    tcp_timers_cancel(tp);
    tcp_txq_free(tp);
    if (tp->state == TCPS_TIME_WAIT)
        st->gauges.tcp_timewait--;
    tcp_hash_remove(tp);
    tcp_port_remove(tp);
    tcp_listen_remove(tp);
    /* A listener's unaccepted children die with it (callers reset them first). */
    struct tcpcb *c;
    while ((c = tcp_acceptq_pop(tp)))
        tcp_free(c);
    if (tp->parent) {
        if (tp->on_accept_q)
            tcp_acceptq_unlink(tp);
        else
            tcp_synq_remove(tp);
    }
    /* A listener's SYN-RECEIVED children go with it. */
    while (tp->synq_head) {
        struct tcpcb *c = tp->synq_head;
        tcp_synq_remove(c);
        c->parent = NULL;
        tcp_free(c);
    }
    ring_free(&tp->sndbuf);
    ring_free(&tp->rcvbuf);
    tcp_skb_free(tp);
    free(tp->trace_ring);
    st->gauges.tcp_cbs--;
    free(tp);
}

/* ---- the 4-tuple hash ---- */

/* The keyed hash (SipHash-2-4 under the stack's secret) of a connection's
 * addresses and ports.  Each use gets its own domain, so that what one
 * reveals (a hash bucket's timing, a port) says nothing of another (an ISN). */
enum hash_use { HASH_CONN = 1, HASH_ISN, HASH_PORT_OFFSET, HASH_PORT_TABLE };

static uint32_t tuple_hash(struct stack *st, enum hash_use use, const struct ipaddr *laddr, uint16_t lport,
                           const struct ipaddr *faddr, uint16_t fport)
{
    uint8_t key[40];
    memset(key, 0, sizeof key);
    key[36] = (uint8_t)use;
    if (laddr->family == TP_AF_INET) {
        memcpy(key, &laddr->v4, 4);
        memcpy(key + 16, &faddr->v4, 4);
    } else {
        memcpy(key, laddr->v6, 16);
        memcpy(key + 16, faddr->v6, 16);
    }
    memcpy(key + 32, &lport, 2);
    memcpy(key + 34, &fport, 2);
    return (uint32_t)siphash24(st->secret, key, 37);
}

static bool tuple_eq(const struct tcpcb *tp, const struct ipaddr *laddr, uint16_t lport,
                     const struct ipaddr *faddr, uint16_t fport)
{
    return tp->lport == lport && tp->fport == fport && ipaddr_eq(&tp->laddr, laddr) &&
           ipaddr_eq(&tp->faddr, faddr);
}

/* ---- hash chains: one link type (struct tcp_link) for every table ---- */

/* The link at byte offset `off` in tp: which table's chain it is. */
static struct tcp_link *link_at(struct tcpcb *tp, size_t off)
{
    return (struct tcp_link *)(void *)((char *)tp + off);
}

/* Pushes tp at the front of the chain at *head.  false if already linked. */
static bool chain_insert(struct tcpcb **head, struct tcpcb *tp, size_t off)
{
    struct tcp_link *l = link_at(tp, off);
    if (l->on)
        return false;
    l->next = *head;
    if (l->next)
        link_at(l->next, off)->pprev = &l->next;
    *head = tp;
    l->pprev = head;
    l->on = true;
    return true;
}

/* Takes tp out of its chain.  false if it was not linked. */
static bool chain_remove(struct tcpcb *tp, size_t off)
{
    struct tcp_link *l = link_at(tp, off);
    if (!l->on)
        return false;
    *l->pprev = l->next;
    if (l->next)
        link_at(l->next, off)->pprev = l->pprev;
    l->next = NULL;
    l->pprev = NULL;
    l->on = false;
    return true;
}

#define HLINK offsetof(struct tcpcb, hlink)
#define PLINK offsetof(struct tcpcb, plink)
#define LLINK offsetof(struct tcpcb, llink)

void tcp_hash_insert(struct tcpcb *tp)
{
    uint32_t h = tuple_hash(tp->st, HASH_CONN, &tp->laddr, tp->lport, &tp->faddr, tp->fport) & (TCP_CONN_HASH_SIZE - 1);
    if (chain_insert(&tp->st->tcp->conn_hash[h], tp, HLINK))
        tp->st->gauges.tcp_conns++;
}

void tcp_hash_remove(struct tcpcb *tp)
{
    if (chain_remove(tp, HLINK))
        tp->st->gauges.tcp_conns--;
}

struct tcpcb *tcp_lookup(struct stack *st, const struct ipaddr *laddr, uint16_t lport,
                         const struct ipaddr *faddr, uint16_t fport)
{
    struct tcp_state *ts = st->tcp;
    if (!ts)
        return NULL;
    uint32_t h = tuple_hash(st, HASH_CONN, laddr, lport, faddr, fport) & (TCP_CONN_HASH_SIZE - 1);
    for (struct tcpcb *tp = ts->conn_hash[h]; tp; tp = tp->hlink.next)
        if (tuple_eq(tp, laddr, lport, faddr, fport))
            return tp;
    return NULL;
}

/* ---- ports and listeners: small chains keyed by the local port ---- */

void tcp_port_insert(struct tcpcb *tp)
{
    if (chain_insert(&tp->st->tcp->port_hash[tp->lport & (TCP_PORT_HASH_SIZE - 1)], tp, PLINK))
        tp->st->gauges.tcp_port_binds++;
}

void tcp_port_remove(struct tcpcb *tp)
{
    if (chain_remove(tp, PLINK))
        tp->st->gauges.tcp_port_binds--;
}

void tcp_listen_insert(struct tcpcb *tp)
{
    if (chain_insert(&tp->st->tcp->listen_hash[tp->lport & (TCP_PORT_HASH_SIZE - 1)], tp, LLINK))
        tp->st->gauges.tcp_listeners++;
}

void tcp_listen_remove(struct tcpcb *tp)
{
    if (chain_remove(tp, LLINK))
        tp->st->gauges.tcp_listeners--;
}

struct tcpcb *tcp_lookup_listener(struct stack *st, const struct ipaddr *laddr, uint16_t lport)
{
    struct tcp_state *ts = st->tcp;
    if (!ts)
        return NULL;
    struct tcpcb *wild = NULL;
    for (struct tcpcb *tp = ts->listen_hash[lport & (TCP_PORT_HASH_SIZE - 1)]; tp; tp = tp->llink.next) {
        if (tp->lport != lport || tp->laddr.family != laddr->family)
            continue;
        if (ipaddr_eq(&tp->laddr, laddr))
            return tp;              /* a specific address wins */
        if (ipaddr_is_any(&tp->laddr))
            wild = tp;
    }
    if (wild || laddr->family != TP_AF_INET)
        return wild;
    /* Dual stack (RFC 4038 / Linux): an AF_INET6 listener on :: without
     * IPV6_V6ONLY takes IPv4 connections too; its children talk IPv4 and
     * show their addresses as IPv4-mapped ones. */
    for (struct tcpcb *tp = ts->listen_hash[lport & (TCP_PORT_HASH_SIZE - 1)]; tp; tp = tp->llink.next)
        if (tp->lport == lport && tp->laddr.family == TP_AF_INET6 && ipaddr_is_any(&tp->laddr) &&
            !tp->sk.v6only)
            return tp;
    return NULL;
}

/* Is a (bound by socket ta) a dual-stack wildcard: :: on an AF_INET6 socket
 * without IPV6_V6ONLY, which takes IPv4 connections too? */
static bool dual_any(const struct tcpcb *ta, const struct ipaddr *a)
{
    return a->family == TP_AF_INET6 && ipaddr_is_any(a) && ta->sk.family == TP_AF_INET6 &&
           !ta->sk.v6only;
}

/* Could a connection match both a (bound by ta) and b (bound by tb)?  Across
 * families only through a dual-stack wildcard: as on Linux, an AF_INET6
 * socket on :: and an AF_INET one on the same port conflict unless the first
 * is V6ONLY.  (IPv4 addresses bound through mapped ones are held as IPv4.) */
static bool addr_overlap(const struct tcpcb *ta, const struct ipaddr *a, const struct tcpcb *tb,
                         const struct ipaddr *b)
{
    if (a->family == b->family)
        return ipaddr_is_any(a) || ipaddr_is_any(b) || ipaddr_eq(a, b);
    return (a->family == TP_AF_INET && dual_any(tb, b)) || (b->family == TP_AF_INET && dual_any(ta, a));
}

int tcp_port_check(struct tcpcb *tp, const struct ipaddr *laddr, uint16_t lport)
{
    struct tcp_state *ts = tp->st->tcp;
    for (struct tcpcb *o = ts->port_hash[lport & (TCP_PORT_HASH_SIZE - 1)]; o; o = o->plink.next) {
        if (o == tp || o->lport != lport || !addr_overlap(o, &o->laddr, tp, laddr))
            continue;
        /* SO_REUSEADDR on both lets a port be shared unless one listens
         * (Linux); SO_REUSEPORT on both shares it fully. */
        if (tp->sk.reuseport && o->sk.reuseport)
            continue;
        if (tp->sk.reuseaddr && (o->sk.reuseaddr || o->user_closed) && o->state != TCPS_LISTEN)
            continue;
        return -EADDRINUSE;
    }
    return 0;
}

uint16_t tcp_pick_port(struct tcpcb *tp, const struct ipaddr *laddr, const struct ipaddr *faddr,
                       uint16_t fport)
{
    struct stack *st = tp->st;
    struct tcp_state *ts = st->tcp;
    const struct tcp_settings *cfg = &st->cfg.tcp;
    uint32_t lo = cfg->port_lo, hi = cfg->port_hi;
    if (hi < lo || lo == 0) {
        lo = TCP_EPHEMERAL_LO;
        hi = TCP_EPHEMERAL_HI;
    }
    uint32_t num = hi - lo + 1;
    /* RFC 6056 3.3.4 (Algorithm 4, "double-hash"), with the random
     * increments of its Algorithm 5 as Linux does since 2022: the port is
     *   lo + (F(addresses, remote port) + table[G(same)]) mod num
     * F a keyed hash spreading destinations over the range, G picking one of
     * TCP_PORT_PERTURB counters that move on by a random step after each
     * choice.  Ports are unpredictable off-path; a connection to one
     * destination tells nothing of the ports used towards others (Algorithm
     * 3's single counter does: a host-tracking leak); and successive ports
     * to one destination are not consecutive.  bind(port 0) has no
     * destination: its offset is random. */
    uint32_t offset, *counter;
    uint32_t unbound = 0;
    if (faddr) {
        offset = tuple_hash(st, HASH_PORT_OFFSET, laddr, 0, faddr, fport);
        counter = &ts->port_perturb[tuple_hash(st, HASH_PORT_TABLE, laddr, 0, faddr, fport) % TCP_PORT_PERTURB];
    } else {
        offset = (uint32_t)rng_next(&st->rng);
        counter = &unbound;
    }
    uint32_t tries = 0;
    for (uint32_t count = 0; count < num; count++) {
        uint16_t port = (uint16_t)(lo + (offset + *counter + tries) % num);
        tries++;
        bool ok = true;
        for (struct tcpcb *o = ts->port_hash[port & (TCP_PORT_HASH_SIZE - 1)]; o; o = o->plink.next) {
            if (o->lport != port || !addr_overlap(o, &o->laddr, tp, laddr))
                continue;
            /* bind(0) wants a port nobody holds; connect() only needs the
             * 4-tuple to be new and no listener or bound socket on it. */
            if (!faddr || o->state == TCPS_LISTEN || o->state == TCPS_CLOSED ||
                (ipaddr_eq(&o->faddr, faddr) && o->fport == fport)) {
                ok = false;
                break;
            }
        }
        if (ok && faddr && tcp_lookup(st, laddr, port, faddr, fport))
            ok = false;
        if (ok) {
            *counter += tries + 1 + rng_below(&st->rng, 8);
            return port;
        }
    }
    return 0;
}

uint32_t tcp_new_isn(struct stack *st, const struct ipaddr *laddr, uint16_t lport,
                     const struct ipaddr *faddr, uint16_t fport)
{
    /* RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport, secretkey),
     * M a timer ticking every 4 µs, F a keyed hash (SipHash-2-4). */
    uint32_t f = tuple_hash(st, HASH_ISN, laddr, lport, faddr, fport);
    uint32_t m = (uint32_t)(st->now / 4);
    return m + f;
}

void tcp_set_state(struct tcpcb *tp, int state)
{
    if (tp->state == state)
        return;
    struct tapir_gauges *g = &tp->st->gauges;
    if (tp->state == TCPS_TIME_WAIT)
        g->tcp_timewait--;
    if (state == TCPS_TIME_WAIT)
        g->tcp_timewait++;
    if (state == TCPS_ESTABLISHED)
        tp->established_time = tp->st->now;
    tcp_trace(tp, TCP_EV_STATE, (uint32_t)tp->state, (uint32_t)state, 0);
    stack_logf(tp->st, TAPIR_LOG_DEBUG, "tcp %u->%u: %s -> %s", tp->lport, tp->fport,
               tcp_state_name(tp->state), tcp_state_name(state));
    tp->state = state;
}

bool tcp_close_conn(struct tcpcb *tp, int err)
{
    tcp_set_state(tp, TCPS_CLOSED);
    /* Both directions are shut now (Linux's SHUTDOWN_MASK): reads give the
     * error then EOF, writes EPIPE, poll says IN|RDHUP|HUP. */
    tp->shut_rd = tp->shut_wr = true;
    /* A Fast Open connect() that left its SYN to the first write is over
     * too (Linux's tcp_disconnect clears defer_connect): that write must
     * not send a SYN from a closed connection. */
    tp->fo_deferred = false;
    tcp_timers_cancel(tp);
    tcp_hash_remove(tp);
    if (err)
        tp->sk.so_error = err;
    /* A child nobody accepted yet (SYN-RECEIVED) was never the user's. */
    if (tp->parent && !tp->on_accept_q) {
        tcp_free(tp);
        return true;
    }
    if (tp->user_closed) {
        tcp_free(tp);
        return true;
    }
    sock_wake(&tp->sk);
    return false;
}

void tcp_trace(struct tcpcb *tp, int type, uint32_t a, uint32_t b, uint32_t c)
{
    struct tcp_state *ts = tp->st->tcp;
    if (!tp->trace && !tp->trace_ring && !(ts && ts->trace))
        return;
    struct tcp_event ev = {.time = tp->st->now, .type = (uint8_t)type, .a = a, .b = b, .c = c};
    if (tp->trace_ring) {
        tp->trace_ring[(tp->trace_head + tp->trace_count) % TCP_TRACE_RING] = ev;
        if (tp->trace_count < TCP_TRACE_RING)
            tp->trace_count++;
        else
            tp->trace_head = (tp->trace_head + 1) % TCP_TRACE_RING;
    }
    if (tp->trace)
        tp->trace(tp->trace_ctx, tp, &ev);
    if (ts && ts->trace)
        ts->trace(ts->trace_ctx, tp, &ev);
}

uint32_t tcp_path_mss(struct stack *st, const struct ipaddr *faddr)
{
    uint32_t mtu = ip_path_mtu(st, faddr);
    uint32_t hdrs = faddr->family == TP_AF_INET6 ? 60 : 40;
    if (mtu == 0)
        mtu = TAPIR_DEFAULT_MTU;
    if (mtu > 65535)
        mtu = 65535;
    return mtu > hdrs + TCP_MIN_MSS ? mtu - hdrs : TCP_MIN_MSS;
}

void tcp_update_mss(struct tcpcb *tp)
{
    uint32_t m = tp->snd_mss;
    if (tp->user_mss && tp->user_mss < m)
        m = tp->user_mss;
    if (tp->ts_ok)
        m -= 12;   /* nop,nop,TS on every segment */
    if (m < 8)
        m = 8;
    tp->mss = (uint16_t)m;
}

void tcp_init_seq(struct tcpcb *tp, uint32_t iss)
{
    tp->iss = iss;
    tp->snd_una = tp->snd_nxt = tp->snd_max = iss;
    tp->txlog_n = 0;
    tp->snd_buf_seq = iss + 1;     /* the SYN takes one sequence number */
    tp->snd_sml = iss;
    tp->recover = tp->high_rxt = tp->lost_high = iss;
    tp->flight_mark = iss;
    tp->push_mark = iss;
    tp->pushed_end = iss;
    tp->pushed_seq = iss;
    tp->psh_n = 0;
    tp->snd_wl2 = iss;
}

uint8_t tcp_choose_wscale(const struct tcpcb *tp)
{
    /* Enough that the largest receive buffer this socket may grow to fits in
     * 16 bits.  Linux sizes it from tcp_rmem[2] unless the user fixed
     * SO_RCVBUF, which is what packetdrill scripts see (wscale 7 or 8). */
    const struct tcp_settings *cfg = &tp->st->cfg.tcp;
    if (!cfg->window_scaling)
        return 0;
    uint64_t space = tp->rcvbuf_locked ? tp->rcv_buf_limit : cfg->rmem[2];
    if (space < tp->rcv_buf_limit)
        space = tp->rcv_buf_limit;
    uint8_t ws = 0;
    while (space > 65535 && ws < TCP_MAX_WSCALE) {
        space >>= 1;
        ws++;
    }
    return ws;
}

void tcp_synq_add(struct tcpcb *lp, struct tcpcb *c)
{
    c->sq_next = lp->synq_head;
    if (c->sq_next)
        c->sq_next->sq_prev = &c->sq_next;
    lp->synq_head = c;
    c->sq_prev = &lp->synq_head;
    lp->n_synq++;
    lp->st->gauges.tcp_synq++;
}

void tcp_synq_remove(struct tcpcb *c)
{
    if (!c->sq_prev)
        return;
    *c->sq_prev = c->sq_next;
    if (c->sq_next)
        c->sq_next->sq_prev = c->sq_prev;
    c->sq_next = NULL;
    c->sq_prev = NULL;
    c->st->gauges.tcp_synq--;
    if (c->parent && c->parent->n_synq)
        c->parent->n_synq--;
}

void tcp_acceptq_push(struct tcpcb *lp, struct tcpcb *c)
{
    c->on_accept_q = true;
    c->acc_next = NULL;
    if (lp->acc_tail)
        lp->acc_tail->acc_next = c;
    else
        lp->acc_head = c;
    lp->acc_tail = c;
    lp->n_accept++;
    lp->st->gauges.tcp_acceptq++;
}

struct tcpcb *tcp_acceptq_pop(struct tcpcb *lp)
{
    struct tcpcb *c = lp->acc_head;
    if (!c)
        return NULL;
    lp->acc_head = c->acc_next;
    if (!lp->acc_head)
        lp->acc_tail = NULL;
    lp->n_accept--;
    lp->st->gauges.tcp_acceptq--;
    c->acc_next = NULL;
    c->on_accept_q = false;
    c->parent = NULL;
    return c;
}

void tcp_acceptq_unlink(struct tcpcb *c)
{
    struct tcpcb *lp = c->parent;
    if (!c->on_accept_q || !lp)
        return;
    struct tcpcb *prev = NULL;
    for (struct tcpcb *x = lp->acc_head; x; prev = x, x = x->acc_next) {
        if (x != c)
            continue;
        if (prev)
            prev->acc_next = c->acc_next;
        else
            lp->acc_head = c->acc_next;
        if (lp->acc_tail == c)
            lp->acc_tail = prev;
        lp->n_accept--;
        lp->st->gauges.tcp_acceptq--;
        break;
    }
    c->acc_next = NULL;
    c->on_accept_q = false;
}

void tapir_tcp_trace_all(struct stack *st, tcp_trace_fn fn, void *ctx)
{
    struct tcp_state *ts = tcp_state_get(st);
    if (!ts)
        return;
    ts->trace = fn;
    ts->trace_ctx = ctx;
}
