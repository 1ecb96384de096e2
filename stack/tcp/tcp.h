/* The TCP engine's internal header: the connection control block (the
 * "TCB" of RFC 9293 3.3.1), sequence-number helpers, states, and the
 * functions the files of stack/tcp/ offer each other.
 *
 * The engine is split by concern, FreeBSD-style:
 *   tcp_subr.c    tables (4-tuple hash, listeners, ports), ISNs, create/free
 *   tcp_input.c   segment arrival, RFC 9293 3.10.7, every state
 *   tcp_output.c  what to send now: segmentation, Nagle, windows, options
 *   tcp_timer.c   retransmission (RFC 6298), delayed ACK, persist, keepalive, 2MSL
 *   tcp_sack.c    SACK receiver blocks, sender scoreboard, loss recovery (RFC 6675, 6937)
 *   tcp_rack.c    sent-segment records and RACK time-based loss detection (RFC 8985)
 *   tcp_buf.c     the byte rings behind the send and receive buffers
 *   tcp_usrreq.c  the socket face (struct sock_proto)
 *   cc*.c         congestion control modules behind struct cc_algo (cc.h)
 *
 * Sequence space: SND.UNA <= SND.NXT; the send buffer holds the bytes from
 * snd_buf_seq on (unacknowledged and not yet sent); the receive ring holds
 * in-order bytes the user has not read, and out-of-order bytes beyond them
 * at their final place.
 */
#ifndef TAPIR_STACK_TCP_TCP_H
#define TAPIR_STACK_TCP_TCP_H

#include <stdbool.h>
#include <stdint.h>

#include "stack/addr.h"
#include "stack/ip.h"
#include "stack/socket.h"
#include "stack/stack.h"
#include "stack/timer.h"
#include "stack/tcp_info.h"
#include "stack/wire/tcp.h"

/* ---- Sequence numbers: modulo 2^32 comparisons (RFC 9293 3.4) ---- */
static inline bool seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline bool seq_leq(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static inline bool seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
static inline bool seq_geq(uint32_t a, uint32_t b) { return (int32_t)(a - b) >= 0; }
static inline uint32_t seq_max(uint32_t a, uint32_t b) { return seq_gt(a, b) ? a : b; }
static inline uint32_t seq_min(uint32_t a, uint32_t b) { return seq_lt(a, b) ? a : b; }
/* a <= x < b */
static inline bool seq_in(uint32_t x, uint32_t a, uint32_t b) { return seq_leq(a, x) && seq_lt(x, b); }

/* ---- States (RFC 9293 3.3.2) ---- */
enum tcp_state_id {
    TCPS_CLOSED,
    TCPS_LISTEN,
    TCPS_SYN_SENT,
    TCPS_SYN_RECEIVED,
    TCPS_ESTABLISHED,
    TCPS_CLOSE_WAIT,
    TCPS_FIN_WAIT_1,
    TCPS_CLOSING,
    TCPS_LAST_ACK,
    TCPS_FIN_WAIT_2,
    TCPS_TIME_WAIT,
};
const char *tcp_state_name(int state);
/* States where a SYN has been seen both ways. */
static inline bool tcp_synchronized(int s) { return s >= TCPS_ESTABLISHED; }

/* Congestion-avoidance states, Linux's tcpi_ca_state values. */
enum { TCP_CA_Open = 0, TCP_CA_Disorder = 1, TCP_CA_CWR = 2, TCP_CA_Recovery = 3, TCP_CA_Loss = 4 };

/* ---- Byte rings (tcp_buf.c) ---- */
/* A ring of bytes that grows on demand up to `limit`: connections that move
 * little data cost little memory. */
struct tcp_ring {
    uint8_t *buf;
    uint32_t cap;   /* allocated bytes */
    uint32_t head;  /* index of the first byte */
    uint32_t len;   /* bytes stored from head (in-order data) */
};
/* Makes room for `need` bytes from head. 0, or -ENOBUFS. */
int ring_reserve(struct tcp_ring *r, uint32_t need);
void ring_write_at(struct tcp_ring *r, uint32_t off, const void *src, uint32_t n);
void ring_read_at(const struct tcp_ring *r, uint32_t off, void *dst, uint32_t n);
void ring_consume(struct tcp_ring *r, uint32_t n);
void ring_free(struct tcp_ring *r);

/* ---- Congestion control hooks (cc.h) ---- */
struct cc_algo;
#define CC_STATE_BYTES 96   /* per-connection private state of the algorithm */

#define TCP_TRACE_RING 256  /* events kept per connection when the ring is on */

/* ---- Send times of first transmissions (tcp_txlog.c) ---- */
struct tcp_txrec {
    uint32_t start, end;   /* [start, end): new data sent at `time` */
    uint64_t time;         /* µs */
};

/* ---- Receive-side out-of-order bookkeeping ---- */
struct tcp_ooo_range {
    uint32_t start, end;   /* [start, end), all beyond rcv_nxt */
    uint32_t stamp;        /* recency, for the SACK block order of RFC 2018 4 */
};

/* ---- Sent-segment records (tcp_rack.c) ----
 * One record per segment sent, in sequence order, covering [SND.UNA, SND.NXT):
 * when it was last (re)sent and what the peer said of it.  RACK (RFC 8985)
 * reads the send times; recovery reads the flags. */
struct tcp_txseg {
    uint32_t start, end;         /* sequence range, FIN included */
    uint64_t xmit_us;            /* last (re)transmission, stack clock */
    uint32_t delivered;          /* tp->rack_delivered when sent (a rate sample's prior_delivered) */
    uint8_t flags;               /* TXS_* */
};
#define TXS_SACKED   0x01        /* the peer SACKed all of it */
#define TXS_LOST     0x02        /* deemed lost (RACK or a timeout) */
#define TXS_RETRANS  0x04        /* retransmitted at least once */
#define TXS_RXT_OUT  0x08        /* a retransmission of it is in flight */

/* ---- The control block ---- */
/* A control block's place in one of the per-stack hash chains (tcp_subr.c):
 * the next block, the pointer that points at this one (removal in O(1)),
 * and whether it is linked at all.  One type for every table. */
struct tcp_link {
    struct tcpcb *next, **pprev;
    bool on;
};

/* A TSO train (tcp_output.c): consecutive full-sized new-data segments of
 * one tcp_output() call, with identical headers, gathered into one packet
 * that the device (the TAP's vnet header, the kernel's GSO behind it) cuts
 * back into those segments.  One write() then carries up to 64 KB instead
 * of one segment: the cost model of DESIGN.md ("Speed").  It lives on
 * tcp_output()'s stack and never outlives the call. */
struct tcp_train {
    struct pkt *p;               /* the first segment's header + every segment's payload; NULL: empty */
    uint32_t seq, end;           /* the sequence space it holds (end counts a FIN) */
    uint16_t hlen;               /* TCP header length (the same in every segment) */
    uint16_t seg;                /* payload per segment (gso_size); the last may be shorter */
    uint16_t nsegs;
    uint8_t tos;                 /* the IP TOS byte (ECN codepoint) of every segment */
    bool closed;                 /* the last segment is in (PSH, FIN, or short): takes no more */
    bool fin;
    int offloads;                /* the route's NETIF_OFF_*; -1: not asked yet */
    uint32_t pmtu;               /* the path MTU, asked with offloads: no piece may exceed it */
    uint32_t refused;            /* segments the device refused in trains of this call */
};

struct tcpcb {
    struct sock sk;              /* first: a struct sock * is a struct tcpcb * */
    struct stack *st;
    int state;

    /* Addressing */
    struct ipaddr laddr, faddr;
    uint16_t lport, fport;

    /* Table links (tcp_subr.c) */
    struct tcp_link hlink;          /* 4-tuple hash */
    struct tcp_link plink;          /* bound-port table (bind/listen/connect owners) */
    struct tcp_link llink;          /* listener table */
    bool on_accept_q;

    /* Listener side */
    struct tcpcb *parent;        /* the listener of a passive child, until accepted */
    struct tcpcb *acc_next;      /* link in the parent's accept queue */
    struct tcpcb *acc_head, *acc_tail;
    int backlog;                 /* accept queue cap (listen's argument) */
    int n_accept, n_synq;        /* queued established children / SYN-RECEIVED children */

    /* Send sequence variables (RFC 9293 3.3.1) */
    uint32_t iss, snd_una, snd_nxt, snd_wnd, snd_wl1, snd_wl2, snd_up;
    uint32_t max_sndwnd;         /* largest window the peer offered (SWS, RFC 5961) */
    uint32_t snd_sml;            /* end of the last small segment sent (Minshall's Nagle) */
    uint32_t snd_buf_seq;        /* sequence number of the send buffer's first byte */
    uint32_t fin_seq;            /* our FIN's sequence number, when fin_sent */
    /* Receive sequence variables */
    uint32_t irs, rcv_nxt, rcv_adv, rcv_up;
    uint32_t rcv_wup;            /* rcv_nxt when we last sent an ACK */
    uint32_t rcv_buf_limit;      /* receive buffer size: the window's ceiling */
    uint32_t rcvq_copied;        /* bytes the user read since rcvq_time (autotuning) */
    uint64_t rcvq_time;

    /* Buffers */
    struct tcp_ring sndbuf, rcvbuf;
    /* Send-buffer accounting as Linux's (tcp_sndbuf.c); the limit is sk.sndbuf */
    uint32_t *skb_end;           /* ends of the modelled buffers, oldest first (a ring) */
    uint32_t skb_cap, skb_head, skb_n;
    bool nospace;                /* a write was refused since the last write-space wake-up */
    bool queue_shrunk;           /* an ACK freed send-buffer memory */
    struct tcp_ooo_range ooo[TCP_OOO_MAX_RANGES];
    int n_ooo;
    uint32_t ooo_stamp;
    bool ooo_fin;                /* a FIN arrived beyond rcv_nxt, at ooo_fin_seq */
    uint32_t ooo_fin_seq;
    struct tcpcb *sq_next, **sq_prev;   /* in the parent's SYN queue (SYN-RECEIVED children) */
    struct tcpcb *synq_head;     /* listener: its SYN-RECEIVED children */
    bool push_now;               /* uncorked: send the tail despite Nagle, once */
    uint32_t notsent_lowat;      /* TCP_NOTSENT_LOWAT, 0: tcp_settings.notsent_lowat */
    uint32_t push_mark;          /* end of the last write without MSG_MORE: its segment gets PSH */
    uint32_t pushed_end;         /* end of the data handed to transmission without MSG_MORE (a write's
                                  * end, or a full buffer pushed inside a long write): chunk PSH marks
                                  * apply below it */
    bool dsack_pending;          /* a D-SACK block to report (RFC 2883) */
    struct tcp_sack_block dsack;

    /* Negotiated options */
    uint16_t snd_mss;            /* peer's MSS (option or default), clamped by path MTU */
    uint16_t mss;                /* payload per segment: snd_mss minus our option bytes */
    uint16_t advmss;             /* the MSS we announce */
    uint16_t rcv_mss;            /* estimate of the peer's segment size (delayed ACK) */
    uint16_t user_mss;           /* TCP_MAXSEG, 0 none */
    uint8_t snd_wscale, rcv_wscale;
    bool ws_ok, ts_ok, sack_ok;
    bool rcvbuf_locked, sndbuf_locked;   /* set by SO_RCVBUF / SO_SNDBUF */
    uint32_t ts_offset;          /* random per connection: TSval = clock + offset */
    uint32_t ts_recent;          /* TS.Recent (RFC 7323 4.3) */
    uint64_t ts_recent_time;     /* when ts_recent was set (µs): PAWS 24-day rule */
    uint32_t last_ack_sent;      /* Last.ACK.sent (RFC 7323 4.3) */

    /* Flags */
    bool fin_sent, fin_rcvd;
    bool shut_rd, shut_wr;       /* user's shutdown(); shut_wr makes us send FIN */
    bool user_closed;            /* the user let go (an orphan now) */
    uint8_t user_syncnt;         /* TCP_SYNCNT: SYN retransmissions (1..127), 0: tcp_syn_retries */
    int16_t linger2_s;           /* TCP_LINGER2: orphaned FIN_WAIT_2 seconds, 0: tcp_fin_timeout, -1: none */
    bool quickack_off;           /* TCP_QUICKACK set to 0 (read back as 0, as Linux's pingpong mode) */
    bool ss_connecting;          /* Linux's SS_CONNECTING: connect() said EINPROGRESS, no later connect() has told how it went */
    /* TCP Fast Open, client side (RFC 7413; tcp_fastopen.c) */
    bool fo_connect;             /* TCP_FASTOPEN_CONNECT: connect() may leave the SYN to the first write */
    bool fo_deferred;            /* connect() returned 0 and sent nothing: the first write sends the SYN */
    bool fo_syn;                 /* the SYN about to go carries the Fast Open option (first SYN only) */
    bool fo_asked;               /* our SYN carried it: the SYN-ACK's cookie is to be cached */
    bool nodelay, cork, more;    /* TCP_NODELAY, TCP_CORK, MSG_MORE (true only inside that send call) */
    bool ack_now;                /* send an ACK on the next tcp_output */
    /* Why the pending delayed ACK might be wanted sooner (Linux's
     * ICSK_ACK_PUSHED / ICSK_ACK_PUSHED2; cleared by every ACK we send):
     * ack_pushed: a segment shorter than rcv_mss (or a full one with PSH)
     * arrived, so the peer probably stopped writing and may be waiting for
     * this ACK (Nagle holds its next small segment until then);
     * ack_pushed2: a second such segment arrived without our ACK between.
     * tcp_cleanup_rbuf() acts on them when the application reads. */
    bool ack_pushed, ack_pushed2;
    /* Interactive ("pingpong") mode, Linux's inet_csk_in_pingpong_mode():
     * we sent data within the delayed-ACK timeout of receiving some, so the
     * application answers what it reads and our ACK can ride on the answer.
     * A read then does not hurry a pending ACK for ack_pushed alone.  Left
     * when a delayed ACK had to be sent by its timer (no answer came). */
    bool pingpong;
    bool passive;                /* came from a listener */
    bool syncookie_child;
    bool linger_on;
    int linger_secs;
    bool keepalive_probing;
    /* Urgent data (RFC 9293 3.8.5, RFC 6093): kept in the stream both ways */
    bool snd_urg;                /* send(MSG_OOB) set snd_up: segments before it carry URG */
    bool rcv_urg;                /* the peer's urgent pointer rcv_up is ahead of the reader */
    /* ECN (tcp_ecn.c, RFC 3168) */
    bool ecn_ok;                 /* negotiated: data goes out ECT(0) */
    bool ecn_syn_sent;           /* our last SYN asked for ECN */
    bool ecn_seen;               /* an ECT/CE packet arrived (tcpi_options) */
    bool ecn_ece_pending;        /* receiver: echo ECE until the peer's CWR */
    bool ecn_cwr_pending;        /* sender: the next new data segment carries CWR */
    uint32_t ecn_cwr_high;       /* sender: the CWR state lasts until SND.UNA reaches this */

    /* Retransmission and RTT (RFC 6298) */
    uint32_t srtt_us, rttvar_us, rto_us;
    uint32_t min_rtt_us, last_rtt_us;
    bool rtt_valid;              /* at least one sample */
    bool rt_timing;              /* a segment is being timed */
    uint32_t rt_seq;             /* ... this one */
    uint64_t rt_time;            /* ... sent at */
    int backoff;                 /* exponential backoff shift */
    int retransmits;             /* consecutive timeouts (tcpi_retransmits) */
    int probes;                  /* zero-window / keepalive probes sent unanswered */
    int soft_err;                /* the last soft ICMP error (errno), told only if we give up (Linux's sk_err_soft) */
    uint64_t rexmit_start;       /* first timeout of the current run (give-up clock) */
    uint64_t probe_stamp;        /* first probe-timer expiry of the current run (TCP_USER_TIMEOUT clock), 0 none */
    uint32_t user_timeout_ms;    /* TCP_USER_TIMEOUT, 0 default */
    uint32_t keep_idle_s, keep_intvl_s, keep_cnt;   /* 0: settings' defaults */

    /* Congestion control and loss recovery (cc.h, tcp_sack.c) */
    const struct cc_algo *cc;
    uint64_t cc_state[CC_STATE_BYTES / 8];
    uint32_t cwnd, ssthresh;     /* bytes */
    int ca_state;
    uint32_t recover;            /* recovery point (RFC 6582 "recover", RFC 6675 RecoveryPoint) */
    uint32_t dupacks;
    uint32_t high_rxt;           /* highest sequence retransmitted in this episode (RFC 6675 HighRxt) */
    uint32_t lost_high;          /* un-SACKed data below this is deemed lost */
    uint32_t prr_delivered, prr_out, recover_fs;   /* RFC 6937 */
    uint32_t prior_cwnd, prior_ssthresh;
    struct tcp_sack_block sb[TCP_SACK_SCOREBOARD_MAX];   /* SACKed ranges, sorted */
    int n_sb;
    uint32_t sacked_bytes;       /* sum of sb ranges */
    uint64_t last_send_time;     /* for restart after idle */
    bool cwnd_limited;           /* the last send was stopped by cwnd */
    uint32_t max_flight;         /* largest flight in the current window (app-limited check) */
    uint32_t flight_mark;        /* ... measured until SND.UNA passes this */
    struct tcp_txrec txlog[TCP_TXLOG_MAX];   /* send times of recent bursts (tcp_txlog.c) */
    uint8_t txlog_head, txlog_n;
    uint32_t snd_max;            /* highest sequence ever sent + 1: below it a send is a retransmission */
    uint64_t ss_grow_time;       /* when slow start last grew cwnd (PSH placement, tcp_output.c) */
    uint32_t pushed_seq;         /* end of the data last marked for PSH (Linux's pushed_seq) */
    uint32_t psh_marks[TCP_PSH_MARKS];   /* forced-push positions not yet acknowledged, in order */
    uint8_t psh_head, psh_n;

    /* Sent-segment records and RACK (tcp_rack.c, RFC 8985) */
    struct tcp_train *train;     /* the current tcp_output() call's TSO train, or NULL */
    struct tcp_txseg *txq;       /* ring, txq_cap a power of 2 */
    uint32_t txq_cap, txq_head, txq_n;
    uint32_t txq_sacked;         /* records SACKED (Linux sacked_out) */
    uint32_t txq_sacked_bytes;   /* ... their bytes (RACK's pipe: the byte scoreboard is capped) */
    uint32_t lost_cnt, lost_bytes;       /* records LOST and not SACKED (Linux lost_out) */
    uint32_t rxt_cnt, rxt_bytes;         /* records with a retransmission in flight (retrans_out) */
    uint32_t lost_hint;          /* no record below this is lost and waiting to be resent */
    uint64_t rack_xmit_us;       /* RACK.xmit_ts: send time of the most recent delivered segment */
    uint32_t rack_end_seq;       /* RACK.end_seq */
    uint32_t rack_rtt_us;        /* RACK.rtt */
    uint32_t rack_fack;          /* highest SACKed sequence (end of the highest SACKed record) */
    uint32_t rack_delivered;     /* segments delivered (SACKed or ACKed), counted once */
    uint32_t rack_last_delivered;/* rack_delivered when reo_wnd last grew */
    uint32_t ack_prior_delivered;/* this ACK: delivered-stamp of its most recently sent segment */
    uint64_t ack_latest_xmit;
    bool rack_advanced, rack_dsack_seen;
    uint8_t reo_wnd_steps, reo_wnd_persist;
    uint32_t reordering;         /* reordering degree in segments (Linux tp->reordering) */
    uint32_t reord_seen, dsack_dups;

    /* RFC 5961 challenge ACK rate limit, and other out-of-window ACKs */
    uint64_t last_oow_ack;

    /* Timers */
    struct timer t_rexmt, t_persist, t_delack, t_keep, t_2msl, t_tlp;
    struct timer t_reo;          /* RACK reordering timer (RFC 8985 6.3) */
    struct timer t_pace;         /* pacing: the next burst's departure time (tcp_pacing.c) */

    /* Pacing (tcp_pacing.c) */
    uint64_t pacing_rate;        /* bytes/s; 0 not yet computed, UINT64_MAX unlimited */
    uint64_t pace_next_ns;       /* earliest departure of the next burst (Linux's tcp_wstamp_ns) */
    uint64_t pace_credit_ns;     /* how late the current burst started (Linux's jitter credit) */
    uint32_t pace_left;          /* segments the current burst may still take; 0: none open */
    uint32_t pace_bytes;         /* bytes sent in the current burst */
    uint32_t tlp_high_seq;       /* SND.NXT when the tail loss probe went out; 0: none pending */
    bool tlp_pending;
    uint32_t quickacks;          /* ACK immediately this many more times (Linux quick-ack) */
    uint64_t last_data_recv, last_data_sent, last_ack_recv;
    uint64_t established_time;

    /* Statistics for TCP_INFO */
    uint64_t bytes_acked, bytes_received, bytes_sent, bytes_retrans;
    uint32_t segs_out, segs_in, data_segs_out, data_segs_in;
    uint32_t total_retrans;
    uint64_t rwnd_limited_us, sndbuf_limited_us, busy_us;
    uint64_t limited_since;      /* start of the current rwnd/sndbuf limited spell */
    int limited_kind;            /* 0 none, 1 rwnd, 2 sndbuf */
    uint64_t busy_since;
    uint32_t delivered;          /* segments delivered (for delivery rate) */
    uint64_t delivery_rate;      /* bytes/s, last estimate */

    /* Event trace (off unless a tool asks) */
    tcp_trace_fn trace;
    void *trace_ctx;
    struct tcp_event *trace_ring;
    uint32_t trace_head, trace_count;
};

static inline struct tcpcb *tcp_from_sock(struct sock *s) { return (struct tcpcb *)(void *)s; }

/* ---- Per-stack TCP state (tcp_subr.c) ---- */
struct tcp_state {
    struct tcpcb *conn_hash[TCP_CONN_HASH_SIZE];
    struct tcpcb *port_hash[TCP_PORT_HASH_SIZE];
    struct tcpcb *listen_hash[TCP_PORT_HASH_SIZE];
    uint32_t port_perturb[TCP_PORT_PERTURB];   /* RFC 6056 Algorithm 4's table (tcp_pick_port) */
    /* How many blocks, connections, TIME_WAITs...: st->gauges (counters.h). */
    /* Trace hook for every connection (a tool sets it); per connection too. */
    tcp_trace_fn trace;
    void *trace_ctx;
    /* Fast Open cookies the servers gave us, by server address (tcp_fastopen.c). */
    struct tcp_fo_entry {
        struct ipaddr addr;      /* family 0: a free slot */
        uint16_t mss;            /* the server's MSS (sizes the data of the next SYN) */
        uint8_t len;
        uint8_t cookie[TCP_FO_COOKIE_MAX];
        uint64_t used;           /* µs: last stored or used (the oldest goes first) */
    } fo_cache[TCP_FO_CACHE_SIZE];
};

/* ---- tcp_subr.c ---- */
struct tcp_state *tcp_state_get(struct stack *st);   /* created on first use */
void tcp_stack_free(struct stack *st);                /* at stack_destroy: every connection */
struct tcpcb *tcp_alloc(struct stack *st, int family);
void tcp_free(struct tcpcb *tp);
void tcp_hash_insert(struct tcpcb *tp);
void tcp_hash_remove(struct tcpcb *tp);
void tcp_port_insert(struct tcpcb *tp);
void tcp_port_remove(struct tcpcb *tp);
void tcp_listen_insert(struct tcpcb *tp);
void tcp_listen_remove(struct tcpcb *tp);
struct tcpcb *tcp_lookup(struct stack *st, const struct ipaddr *laddr, uint16_t lport,
                         const struct ipaddr *faddr, uint16_t fport);
struct tcpcb *tcp_lookup_listener(struct stack *st, const struct ipaddr *laddr, uint16_t lport);
/* bind(): is (laddr, lport) free for tp?  0 or -EADDRINUSE. */
int tcp_port_check(struct tcpcb *tp, const struct ipaddr *laddr, uint16_t lport);
/* An ephemeral port: RFC 6056 Algorithm 3.  faddr NULL: for bind(port 0).
 * 0 when none is free. */
uint16_t tcp_pick_port(struct tcpcb *tp, const struct ipaddr *laddr, const struct ipaddr *faddr,
                       uint16_t fport);
uint32_t tcp_new_isn(struct stack *st, const struct ipaddr *laddr, uint16_t lport,
                     const struct ipaddr *faddr, uint16_t fport);
/* Moves to a new state (traced; keeps the TIME_WAIT count). */
void tcp_set_state(struct tcpcb *tp, int state);
/* ISS and the send variables that start from it. */
void tcp_init_seq(struct tcpcb *tp, uint32_t iss);
/* The receive window scale to ask for (RFC 7323 2.3). */
uint8_t tcp_choose_wscale(const struct tcpcb *tp);
void tcp_synq_add(struct tcpcb *lp, struct tcpcb *child);
void tcp_synq_remove(struct tcpcb *child);
/* The accept queue: established children a listener holds for accept(),
 * oldest first.  push appends; pop takes the oldest (NULL: empty); unlink
 * takes a child out wherever it is. */
void tcp_acceptq_push(struct tcpcb *lp, struct tcpcb *child);
struct tcpcb *tcp_acceptq_pop(struct tcpcb *lp);
void tcp_acceptq_unlink(struct tcpcb *child);
/* The connection is over: CLOSED, out of the tables, timers off; err (>0)
 * goes to so_error.  Frees tp if the user already closed it, so the caller
 * must not touch tp after this returns true. */
bool tcp_close_conn(struct tcpcb *tp, int err);
void tcp_trace(struct tcpcb *tp, int type, uint32_t a, uint32_t b, uint32_t c);
/* Effective MSS for our segments given the options in use. */
void tcp_update_mss(struct tcpcb *tp);
uint32_t tcp_path_mss(struct stack *st, const struct ipaddr *faddr);
/* TCP timestamp clock: ms (Linux's 1 kHz). */
static inline uint32_t tcp_ts_now(const struct tcpcb *tp) { return (uint32_t)(tp->st->now / 1000) + tp->ts_offset; }

/* ---- tcp_input.c ---- */
/* Lets the listener's SYN handling run for a segment (also used from TIME_WAIT reuse). */

/* ---- tcp_output.c ---- */
/* Sends what the windows, Nagle and the state allow; an ACK if one is due. */
void tcp_output(struct tcpcb *tp);
/* Sends one segment: seq, payload [seq, seq+len) from the send buffer, flags.
 * Returns the payload bytes sent (fewer than len when options left less
 * room; FIN is then left off), or -errno. */
int tcp_xmit(struct tcpcb *tp, uint32_t seq, uint32_t len, uint8_t flags);
/* Sends the TSO train tr (tcp_output.c), if it holds anything, and empties
 * it; a refusal steps SND.NXT back over it.  0 or -errno.  tcp_output()
 * owns the train of its call (tp->train); tests drive one by hand. */
int tcp_train_send(struct tcpcb *tp, struct tcp_train *tr);
void tcp_send_ack(struct tcpcb *tp);
/* A RST or ACK not tied to a connection (RFC 9293 3.10.7.1 / 3.5.2). */
void tcp_respond(struct stack *st, const struct ipaddr *src, const struct ipaddr *dst, uint16_t sport,
                 uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags);
/* The window we would advertise now (bytes, unscaled). */
uint32_t tcp_rcv_window(struct tcpcb *tp);
/* Bytes in flight per RFC 6675 "pipe". */
uint32_t tcp_pipe(const struct tcpcb *tp);
/* Have the window and Nagle's rule room for a segment? (persist decisions) */
void tcp_ack_delayed(struct tcpcb *tp);   /* data arrived: ACK now or arm the delayed-ACK timer */
/* RFC 5961 challenge ACK (and other out-of-window ACKs), rate-limited per socket. */
void tcp_send_challenge_ack(struct tcpcb *tp);

/* ---- tcp_timer.c ---- */
void tcp_timers_init(struct tcpcb *tp);
void tcp_timers_cancel(struct tcpcb *tp);
void tcp_rtt_sample(struct tcpcb *tp, uint32_t rtt_us);
uint32_t tcp_current_rto(const struct tcpcb *tp);   /* rto with backoff, capped */
void tcp_arm_rexmt(struct tcpcb *tp);               /* (re)start with the current RTO */
void tcp_arm_persist(struct tcpcb *tp);
void tcp_arm_keepalive(struct tcpcb *tp);
void tcp_arm_delack(struct tcpcb *tp);
void tcp_enter_timewait(struct tcpcb *tp);
void tcp_arm_finwait2(struct tcpcb *tp);
/* RACK-TLP (RFC 8985 7): arm the probe timeout if a tail loss probe applies. */
void tcp_schedule_tlp(struct tcpcb *tp);

/* tcp_pacing.c: Linux's internal TCP pacing (the fq qdisc's model). */
uint64_t tcp_pacing_rate_calc(uint32_t mss, uint32_t cwnd, uint32_t in_flight, uint32_t ssthresh,
                              uint32_t srtt_us, uint32_t ss_ratio, uint32_t ca_ratio, uint64_t max_rate);
bool tcp_pacing_on(const struct tcpcb *tp);
void tcp_pacing_update_rate(struct tcpcb *tp);
bool tcp_pacing_wait(struct tcpcb *tp, uint32_t cwnd_room);
void tcp_pacing_sent(struct tcpcb *tp, uint32_t len);
void tcp_pacing_end(struct tcpcb *tp);
uint32_t tcp_pacing_burst_cap(struct tcpcb *tp);
void tcp_pacing_fire(struct stack *st, struct timer *t);

/* ---- tcp_ecn.c (RFC 3168) ---- */
/* A listener's child saw this SYN: ECN-setup SYN and our setting -> ecn_ok. */
void tcp_ecn_syn_received(struct tcpcb *tp, uint8_t syn_flags);
/* SYN-SENT got a SYN-ACK (or a SYN: simultaneous open). */
void tcp_ecn_synack_received(struct tcpcb *tp, uint8_t flags);
/* For an outgoing segment: adds ECE/CWR to *flags, returns the IP ECN field. */
uint8_t tcp_ecn_output(struct tcpcb *tp, uint32_t seq, uint32_t len, uint8_t *flags);
/* An acceptable segment arrived: CE marks and CWR (receiver side). */
void tcp_ecn_input(struct tcpcb *tp, uint8_t ip_tos, uint8_t flags, uint32_t dlen);
/* An ACK arrived: ECE makes the sender reduce (once per window); true if it did. */
bool tcp_ecn_echo(struct tcpcb *tp, uint8_t flags);
/* cwnd was cut (ECE, recovery, timeout): the next new data carries CWR. */
void tcp_ecn_window_reduced(struct tcpcb *tp);
/* In the CWR state and the data sent before the cut not all acknowledged
 * yet: no cwnd growth, the state stays.  Once false, ACK processing leaves
 * CWR as from any other state. */
bool tcp_ecn_reducing(const struct tcpcb *tp);

/* The user queued [start, end) of one write (more: MSG_MORE): Linux's forced
 * pushes inside it, and, when `final`, the write's end (tcp_output.c). */
void tcp_psh_write(struct tcpcb *tp, uint32_t start, uint32_t end, bool more, bool final);

/* ---- tcp_txlog.c ---- */
/* tcp_xmit sent [seq, end) now: remember when, if it is a first transmission;
 * a retransmission makes every older record ambiguous (Karn) and clears them. */
void tcp_txlog_sent(struct tcpcb *tp, uint32_t seq, uint32_t end);
/* An ACK moved SND.UNA from una to ack: the RTT of the newest byte it
 * acknowledged, if that byte's first and only transmission is on record;
 * else 0.  Drops the records the ACK passed. */
uint32_t tcp_txlog_ack(struct tcpcb *tp, uint32_t ack);

/* ---- tcp_sndbuf.c ---- */
uint32_t tcp_size_goal(const struct tcpcb *tp);
uint32_t tcp_notsent_bytes(const struct tcpcb *tp);
uint64_t tcp_wmem_queued(const struct tcpcb *tp);        /* Linux's sk_wmem_queued */
bool tcp_sndbuf_memory_free(const struct tcpcb *tp);     /* may a write start a new buffer? */
bool tcp_sndbuf_writeable(const struct tcpcb *tp);       /* POLLOUT */
uint32_t tcp_skb_tail_room(const struct tcpcb *tp, uint32_t goal);
void tcp_skb_append(struct tcpcb *tp, uint32_t n, bool new_skb);

/* ---- tcp_fastopen.c: TCP Fast Open, client side (RFC 7413) ---- */
bool tcp_fastopen_client_on(const struct stack *st);   /* tcp_fastopen & 1 */
/* Remembers server addr's cookie (and MSS) for the next connections. */
void tcp_fastopen_cache_set(struct stack *st, const struct ipaddr *addr, uint16_t mss, const uint8_t *cookie,
                            uint8_t len);
/* connect() with TCP_FASTOPEN_CONNECT, the connection set up in SYN-SENT:
 * true when the SYN waits for the first write (a cookie is cached); else
 * the SYN connect() sends asks for a cookie. */
bool tcp_fastopen_defer_connect(struct tcpcb *tp);
/* The SYN's Fast Open option (tcp_xmit, while tp->fo_syn). */
void tcp_fastopen_syn_options(struct tcpcb *tp, struct tcp_opts *o);
/* Should this send() start the connection (a deferred connect, or
 * MSG_FASTOPEN on a closed socket)? */
bool tcp_fastopen_wants_send(const struct tcpcb *tp, int flags);
/* Sends the first SYN, with data from buf when a cookie is cached: the
 * bytes taken, 0, or -EINPROGRESS / -EAGAIN when none went (explicit:
 * sendto(MSG_FASTOPEN)). */
ssize_t tcp_fastopen_send_syn(struct tcpcb *tp, const void *buf, size_t len, bool explicit);
/* The SYN-ACK arrived (SND.UNA updated): cache its cookie, retire the SYN's
 * data it acknowledges, send again what it does not. */
void tcp_fastopen_synack(struct tcpcb *tp, const struct tcp_opts *o);
void tcp_skb_split(struct tcpcb *tp, uint32_t seq);      /* a burst ended inside a buffer */
void tcp_skb_acked(struct tcpcb *tp);                    /* after SND.UNA moved */
void tcp_skb_free(struct tcpcb *tp);
void tcp_sndbuf_expand(struct tcpcb *tp);                /* autotuning (not after SO_SNDBUF) */
void tcp_check_space(struct tcpcb *tp);                  /* after input: grow and wake a refused writer */
void tcp_sndbuf_write_space(struct tcpcb *tp);           /* wake the writer if writable */
/* tcpi_rwnd_limited / tcpi_sndbuf_limited clocks (tcp_output.c): kind 0 none, 1 rwnd, 2 sndbuf. */
void tcp_note_limited(struct tcpcb *tp, int kind);

/* ---- tcp_sack.c ---- */
/* Receiver: record an out-of-order range; returns false if the cap refuses it. */
bool tcp_ooo_add(struct tcpcb *tp, uint32_t start, uint32_t end);
/* Receiver: after rcv_nxt moved, how far contiguous data now reaches. */
uint32_t tcp_ooo_advance(struct tcpcb *tp);
/* Receiver: fill the SACK blocks of an outgoing ACK (D-SACK first). */
int tcp_sack_fill(struct tcpcb *tp, struct tcp_sack_block *out, int max);
/* Sender: take a received ACK's SACK blocks; returns newly SACKed bytes. */
uint32_t tcp_sack_update(struct tcpcb *tp, const struct tcp_opts *o, uint32_t ack);
void tcp_sack_trim(struct tcpcb *tp);               /* drop ranges below snd_una */
void tcp_sack_clear(struct tcpcb *tp);
bool tcp_sack_is_sacked(const struct tcpcb *tp, uint32_t seq);
/* SACKed bytes in [a, b). */
uint32_t tcp_sack_bytes_between(const struct tcpcb *tp, uint32_t a, uint32_t b);
/* Next range to retransmit at or after `from`: start and length (<= max_len); false if none. */
bool tcp_next_lost(const struct tcpcb *tp, uint32_t *seq, uint32_t *len, uint32_t max_len);
/* Recompute lost_high from the scoreboard (RFC 6675 IsLost, DupThresh). */
void tcp_update_lost(struct tcpcb *tp);
/* Loss recovery steps, called from ACK processing. */
void tcp_enter_recovery(struct tcpcb *tp);
void tcp_exit_recovery(struct tcpcb *tp);
/* PRR: set cwnd for this ACK (RFC 6937).  ssrb_bonus: the slow-start
 * reduction bound may add one MSS (RFC 6937 always; Linux only when SND.UNA
 * advanced and nothing new was lost). */
void tcp_prr_ack(struct tcpcb *tp, uint32_t delivered, bool ssrb_bonus);

/* ---- tcp_rack.c ---- */
/* Is RACK the loss detector of this connection? (SACK and the setting) */
static inline bool tcp_rack_on(const struct tcpcb *tp) { return tp->sack_ok && tp->st->cfg.tcp.rack; }
/* tcp_xmit sent [seq, end) (FIN counted, SYN not); old_nxt: SND.NXT before.
 * ok: the device took it (a failed retransmission is not one). */
void tcp_txq_sent(struct tcpcb *tp, uint32_t seq, uint32_t end, uint32_t old_nxt, bool ok);
/* New data from `from` on never left (the device refused a TSO train):
 * its records go, as SND.NXT steps back to from. */
void tcp_txq_unsent(struct tcpcb *tp, uint32_t from);
void tcp_txq_free(struct tcpcb *tp);
/* Highest SACKed sequence, or SND.UNA (Linux tcp_highest_sack_seq). */
uint32_t tcp_rack_fack(const struct tcpcb *tp, uint32_t una);
/* Start of an ACK's processing: SACK blocks tag the records (D-SACK noted,
 * reordering measured); returns the records newly SACKed. */
uint32_t tcp_rack_sack(struct tcpcb *tp, const struct tcp_opts *o, uint32_t ack, uint32_t prior_fack);
/* The cumulative ACK moved to ack: drop the records below it. */
void tcp_rack_ack(struct tcpcb *tp, uint32_t ack, const struct tcp_opts *o, uint32_t prior_fack);
/* End of an ACK's processing: the D-SACK-driven reo_wnd (RFC 8985 6.2). */
void tcp_rack_update_reo_wnd(struct tcpcb *tp);
/* RACK loss detection after an ACK (RFC 8985 6.2 step 5): marks what is
 * lost, arms the reordering timer for what may still be.  Returns how many
 * records were newly marked lost. */
uint32_t tcp_rack_mark_lost(struct tcpcb *tp);
/* A timeout (or a smaller path MTU): everything not SACKed is lost. */
void tcp_rack_mark_all_lost(struct tcpcb *tp);
/* Next record to retransmit: lost, not SACKed, not resent yet. */
bool tcp_rack_next_lost(struct tcpcb *tp, uint32_t *seq, uint32_t *len, uint32_t max_len);
/* The RACK reordering timer fired. */
void tcp_rack_timeout(struct tcpcb *tp);

#endif
