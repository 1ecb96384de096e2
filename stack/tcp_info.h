/* What the TCP engine shows the layers above (the socket API, the
 * packetdrill runner, tools): option numbers (Linux's values), the TCP_INFO
 * structure (Linux's struct tcp_info: same field names, order and units, so
 * scripts written for Linux read it unchanged), and the per-connection event
 * trace.
 */
#ifndef TAPIR_STACK_TCP_INFO_H
#define TAPIR_STACK_TCP_INFO_H

#include <stddef.h>
#include <stdint.h>

struct sock;
struct stack;

/* IPPROTO_TCP socket options (Linux's numbers). */
#define TP_SOL_TCP            6
#define TP_TCP_NODELAY        1
#define TP_TCP_MAXSEG         2
#define TP_TCP_CORK           3
#define TP_TCP_KEEPIDLE       4
#define TP_TCP_KEEPINTVL      5
#define TP_TCP_KEEPCNT        6
#define TP_TCP_SYNCNT         7
#define TP_TCP_LINGER2        8
#define TP_TCP_INFO           11
#define TP_TCP_QUICKACK       12
#define TP_TCP_CONGESTION     13
#define TP_TCP_USER_TIMEOUT   18
#define TP_TCP_NOTSENT_LOWAT  25
#define TP_TCP_FASTOPEN_CONNECT 30

/* tcpi_state values (Linux's TCP_ESTABLISHED = 1 ...). */
enum {
    TP_TCPI_ESTABLISHED = 1, TP_TCPI_SYN_SENT, TP_TCPI_SYN_RECV, TP_TCPI_FIN_WAIT1, TP_TCPI_FIN_WAIT2,
    TP_TCPI_TIME_WAIT, TP_TCPI_CLOSE, TP_TCPI_CLOSE_WAIT, TP_TCPI_LAST_ACK, TP_TCPI_LISTEN, TP_TCPI_CLOSING,
};
/* tcpi_options bits */
#define TP_TCPI_OPT_TIMESTAMPS 1
#define TP_TCPI_OPT_SACK       2
#define TP_TCPI_OPT_WSCALE     4
#define TP_TCPI_OPT_ECN        8   /* ECN negotiated (RFC 3168) */
#define TP_TCPI_OPT_ECN_SEEN   16  /* an ECT or CE packet arrived */

/* Linux's struct tcp_info (include/uapi/linux/tcp.h), field for field.
 * Times in µs unless the name says otherwise (tcpi_last_*: ms). cwnd and
 * ssthresh in segments, as Linux. */
struct tapir_tcp_info {
    uint8_t tcpi_state;
    uint8_t tcpi_ca_state;
    uint8_t tcpi_retransmits;
    uint8_t tcpi_probes;
    uint8_t tcpi_backoff;
    uint8_t tcpi_options;
    uint8_t tcpi_snd_wscale : 4, tcpi_rcv_wscale : 4;
    uint8_t tcpi_delivery_rate_app_limited : 1, tcpi_fastopen_client_fail : 2;

    uint32_t tcpi_rto;
    uint32_t tcpi_ato;
    uint32_t tcpi_snd_mss;
    uint32_t tcpi_rcv_mss;

    uint32_t tcpi_unacked;
    uint32_t tcpi_sacked;
    uint32_t tcpi_lost;
    uint32_t tcpi_retrans;
    uint32_t tcpi_fackets;

    uint32_t tcpi_last_data_sent;
    uint32_t tcpi_last_ack_sent;
    uint32_t tcpi_last_data_recv;
    uint32_t tcpi_last_ack_recv;

    uint32_t tcpi_pmtu;
    uint32_t tcpi_rcv_ssthresh;
    uint32_t tcpi_rtt;
    uint32_t tcpi_rttvar;
    uint32_t tcpi_snd_ssthresh;
    uint32_t tcpi_snd_cwnd;
    uint32_t tcpi_advmss;
    uint32_t tcpi_reordering;

    uint32_t tcpi_rcv_rtt;
    uint32_t tcpi_rcv_space;

    uint32_t tcpi_total_retrans;

    uint64_t tcpi_pacing_rate;
    uint64_t tcpi_max_pacing_rate;
    uint64_t tcpi_bytes_acked;
    uint64_t tcpi_bytes_received;
    uint32_t tcpi_segs_out;
    uint32_t tcpi_segs_in;

    uint32_t tcpi_notsent_bytes;
    uint32_t tcpi_min_rtt;
    uint32_t tcpi_data_segs_in;
    uint32_t tcpi_data_segs_out;

    uint64_t tcpi_delivery_rate;

    uint64_t tcpi_busy_time;
    uint64_t tcpi_rwnd_limited;
    uint64_t tcpi_sndbuf_limited;

    uint32_t tcpi_delivered;
    uint32_t tcpi_delivered_ce;

    uint64_t tcpi_bytes_sent;
    uint64_t tcpi_bytes_retrans;
    uint32_t tcpi_dsack_dups;
    uint32_t tcpi_reord_seen;

    uint32_t tcpi_rcv_ooopack;

    uint32_t tcpi_snd_wnd;
};

/* Fills *info for a TCP socket (also what getsockopt(TCP_INFO) returns).
 * 0, or -EOPNOTSUPP for a non-TCP socket. */
int tapir_tcp_get_info(struct sock *s, struct tapir_tcp_info *info);

/* ---- Event trace: state changes, cwnd and RTT samples, retransmissions ----
 * Either a callback (called synchronously from inside the stack: it must not
 * call back into it) or a ring of the last TCP_TRACE_RING events per
 * connection that a tool reads later with tapir_tcp_trace_read. */
enum tcp_event_type {
    TCP_EV_STATE,       /* a = old state, b = new state (tcp_state_name) */
    TCP_EV_CWND,        /* a = cwnd bytes, b = ssthresh bytes, c = 1 after a timeout */
    TCP_EV_RTT,         /* a = sample µs, b = srtt µs, c = rto µs */
    TCP_EV_RETRANSMIT,  /* a = seq, b = len, c = 1 timeout / 0 fast */
    TCP_EV_RECOVERY,    /* a = 1 enter / 0 exit, b = recovery point */
    TCP_EV_SEND,        /* a = seq, b = len, c = flags */
    TCP_EV_RECV,        /* a = seq, b = len */
};
struct tcp_event {
    uint64_t time;      /* µs, the stack's clock */
    uint8_t type;       /* enum tcp_event_type */
    uint32_t a, b, c;
};
struct tcpcb;
typedef void (*tcp_trace_fn)(void *ctx, const struct tcpcb *tp, const struct tcp_event *ev);
/* A callback for every connection of the stack (NULL: off). */
void tapir_tcp_trace_all(struct stack *st, tcp_trace_fn fn, void *ctx);
/* A callback for one connection (NULL: off). */
int tapir_tcp_trace_fn(struct sock *s, tcp_trace_fn fn, void *ctx);
int tapir_tcp_trace_ring(struct sock *s, int on);
/* Copies up to max events, oldest first, and removes them. Returns the count. */
size_t tapir_tcp_trace_read(struct sock *s, struct tcp_event *out, size_t max);

#endif
