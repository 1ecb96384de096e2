/* The executor: one fresh tapir stack per script, driven on a virtual clock.
 *
 * The stack has one TUN-like interface (bare IP packets) with the script's
 * local address 192.168.0.1; the script's remote end is 192.0.2.1 behind it
 * (packetdrill's defaults; these addresses never leave the process).  The
 * runner walks the events in order:
 *
 *   inbound packet   built from the script (seq numbers as written: they are
 *                    the remote side's own; ack, SACK blocks and TS ecr mapped
 *                    into tapir's space) and fed to stack_input() at its time
 *   outbound packet  the next packet tapir sent on the connection, captured by
 *                    the interface's tx callback; tapir's seq numbers are made
 *                    relative to its ISN, its TS val to the script's first
 *                    value; every field compared; the time checked against the
 *                    script's, within the tolerance (default 4 ms)
 *   system call      mapped onto the socket layer (stack/socket.h); blocking
 *                    calls (the default, as in packetdrill) start at their time
 *                    and return when the socket becomes ready, while later
 *                    events go on
 *   %{ code }%       evaluated against a TCP_INFO snapshot
 *   `command`        sysctl-like settings (sysctl.c)
 *
 * Time moves only forward and only here: between events the clock advances to
 * each timer deadline in turn (stack_next_deadline / stack_poll), so
 * retransmissions, delayed ACKs and probes fire at exactly their virtual time.
 *
 * Payload bytes are a known pattern of the stream offset, both ways: what
 * tapir sends is checked byte for byte, and what a read returns too.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "stack/socket.h"
#include "stack/stack.h"
/* TCP_INFO: the engine's own copy of Linux's struct tcp_info once the TCP
 * engine is in the build, Linux's header before that. */
#if __has_include("stack/tcp_info.h")
#include "stack/tcp_info.h"
typedef struct tapir_tcp_info drill_tcp_info;
#define DRILL_TCP_INFO TP_TCP_INFO
#else
#include <linux/tcp.h>
typedef struct tcp_info drill_tcp_info;
#define DRILL_TCP_INFO TCP_INFO
#endif
#include "tests/drill/run.h"
#include "tests/drill/sysctl.h"
#include "tests/drill/wire.h"

#define LOCAL_IP   IP4(192, 168, 0, 1)
#define REMOTE_IP  IP4(192, 0, 2, 1)
#define SCRIPT_PORT 8080          /* packetdrill's bind and connect port */
#define FIRST_REMOTE_PORT 40000   /* the script side's ports for passive opens */
#define T0 1000000                /* virtual time of script time 0 (µs) */
#define MAX_FDS 64
#define MAX_CONNS 16
#define MAX_EPOLL_ITEMS 16
#define MAX_TS_MAP 64
#define MAX_IO (4u << 20)          /* largest single read/write a script may ask */
#define ANY_TIME_LIMIT (600 * 1000000LL) /* `*` waits at most 10 virtual minutes */

struct captured {
    int64_t t;                    /* virtual µs */
    uint8_t *data;
    size_t len;
    struct captured *next;
};

/* A connection as the script sees it: a 4-tuple and the ISN offsets. */
struct conn {
    bool used;
    uint16_t lport, rport;        /* tapir's port, the script side's port; 0 unknown */
    bool have_local_isn;
    uint32_t local_isn_live, local_isn_script;
    bool have_remote_isn;
    uint32_t remote_isn;          /* the script's (= live) remote ISN */
    /* packetdrill's convention for the remote side (its socket.h): sequence
     * and ACK numbers in segments with SYN are absolute, in the others
     * relative to the connection's first remote SYN.  Scripts almost always
     * use ISN 0, where both readings agree. */
    bool have_seq_base;
    uint32_t seq_base;
    int fd;                       /* the socket owning it, -1 unknown */
    bool check_payload;           /* all writes used pattern data */
    /* TS val mapping: the first outbound pair anchors live -> script */
    bool ts_first;
    uint32_t first_script_val, first_actual_val;
    uint32_t ts_script[MAX_TS_MAP], ts_live[MAX_TS_MAP];
    int n_ts;
};

struct epitem {
    int fd;
    uint32_t events;
    uint64_t data;
    bool ready;                   /* woken since last reported (edge-triggered) */
};

enum fd_kind { FD_FREE, FD_SOCK, FD_EPOLL };

struct fdent {
    enum fd_kind kind;
    struct sock *s;
    bool nonblock;
    bool listener;
    struct endpoint connect_to;   /* the peer of the last connect() */
    uint64_t woff, roff;          /* stream offsets written / read */
    struct epitem items[MAX_EPOLL_ITEMS]; /* FD_EPOLL */
    int n_items;
};

/* A blocking call in progress. */
struct pending {
    bool active;
    const struct event *ev;
    int fd;
    int64_t start;                /* script µs */
    int64_t end;                  /* expected return, script µs */
    size_t done, total;           /* write progress */
    int flags;
    bool null_buf;                /* the script passed NULL as the buffer */
    bool is_write;                /* write/send...: retried only after a wake-up */
    bool woken;                   /* the socket signalled readiness since the call blocked */
};

struct run {
    const struct script *s;
    const struct drill_opts *o;
    struct stack *st;
    int ifindex;
    int64_t now;                  /* virtual µs */
    int64_t tolerance;            /* µs */
    int64_t ts_tick_usecs;        /* 0: TS val not checked */
    bool drop_tx;                 /* `tc qdisc ... limit 0`: the device drops */
    struct captured *cap_head, *cap_tail;
    struct conn conns[MAX_CONNS];
    struct conn *cur;             /* the connection under test */
    bool want_passive;            /* listen() called: the next SYN opens a new connection */
    uint16_t next_rport;
    uint16_t listen_port;
    int last_sock_fd;
    struct fdent fds[MAX_FDS];
    struct pending pend;
    struct code_env env;
    const struct event *prev;     /* the previous event */
    int64_t prev_time;            /* its script time */
    char *reason;
    size_t reason_len;
    bool failed;
    uint8_t *iobuf;
    char info_err[128];           /* why TCP_INFO could not be read, for messages */
};

static void vlog(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void vlog(struct run *r, const char *fmt, ...)
{
    if (!r->o->verbose)
        return;
    va_list ap;
    va_start(ap, fmt);
    printf("%9.6f ", (double)(r->now - T0) / 1e6);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

static int fail(struct run *r, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct run *r, int line, const char *fmt, ...)
{
    if (r->failed)
        return -1;
    r->failed = true;
    char msg[3072];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(r->reason, r->reason_len, "%s:%d: %s", r->s->path, line, msg);
    return -1;
}

static double secs(int64_t script_us) { return (double)script_us / 1e6; }
static int64_t script_now(const struct run *r) { return r->now - T0; }

/* ---------------- payload patterns ---------------- */

static uint8_t pat_local(uint64_t off) { return (uint8_t)(off * 7 + off / 251 + 3); }
static uint8_t pat_remote(uint64_t off) { return (uint8_t)(off * 13 + off / 253 + 5); }

/* ---------------- the interface ---------------- */

static int tun_tx(void *ctx, const uint8_t *frame, size_t len, const struct pkt *meta)
{
    (void)meta;
    struct run *r = ctx;
    if (r->drop_tx)
        return -1;
    struct captured *c = calloc(1, sizeof *c);
    if (!c)
        abort();
    c->data = malloc(len ? len : 1);
    if (!c->data)
        abort();
    memcpy(c->data, frame, len);
    c->len = len;
    c->t = r->now;
    if (r->cap_tail)
        r->cap_tail->next = c;
    else
        r->cap_head = c;
    r->cap_tail = c;
    return 0;
}

static void cap_free(struct captured *c)
{
    free(c->data);
    free(c);
}

static void cap_unlink(struct run *r, struct captured *c)
{
    struct captured **pp = &r->cap_head, *prev = NULL;
    while (*pp && *pp != c) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (!*pp)
        return;
    *pp = c->next;
    if (r->cap_tail == c)
        r->cap_tail = prev;
}

/* ---------------- fds and wake-ups ---------------- */

static void on_wake(struct sock *s, void *ctx)
{
    struct run *r = ctx;
    if (r->pend.active && r->pend.fd >= 0 && r->pend.fd < MAX_FDS && r->fds[r->pend.fd].s == s)
        r->pend.woken = true;
    for (int fd = 0; fd < MAX_FDS; fd++) {
        if (r->fds[fd].kind != FD_EPOLL)
            continue;
        for (int i = 0; i < r->fds[fd].n_items; i++) {
            int target = r->fds[fd].items[i].fd;
            if (target >= 0 && target < MAX_FDS && r->fds[target].s == s)
                r->fds[fd].items[i].ready = true;
        }
    }
}

/* Script fds are names: packetdrill binds the number a script expects from
 * socket()/accept() to whatever the call returns.  The runner simply uses
 * that number when it is free. */
static int alloc_fd(struct run *r, const struct event *ev)
{
    const struct expr *want = ev->sc.result;
    if (want && want->type == EX_INT && want->num >= 0 && want->num < MAX_FDS && r->fds[want->num].kind == FD_FREE)
        return (int)want->num;
    for (int fd = 3; fd < MAX_FDS; fd++)
        if (r->fds[fd].kind == FD_FREE)
            return fd;
    return -EMFILE;
}

static struct fdent *sock_fd(struct run *r, int64_t fd)
{
    if (fd < 0 || fd >= MAX_FDS || r->fds[fd].kind != FD_SOCK)
        return NULL;
    return &r->fds[fd];
}

/* ---------------- connections ---------------- */

static struct conn *conn_new(struct run *r)
{
    for (int i = 0; i < MAX_CONNS; i++) {
        if (!r->conns[i].used) {
            struct conn *c = &r->conns[i];
            memset(c, 0, sizeof *c);
            c->used = true;
            c->fd = -1;
            c->check_payload = true;
            return c;
        }
    }
    return NULL;
}

static struct conn *conn_by_ports(struct run *r, uint16_t lport, uint16_t rport)
{
    for (int i = 0; i < MAX_CONNS; i++)
        if (r->conns[i].used && r->conns[i].lport == lport && r->conns[i].rport == rport)
            return &r->conns[i];
    return NULL;
}

static struct conn *conn_by_fd(struct run *r, int fd)
{
    for (int i = 0; i < MAX_CONNS; i++)
        if (r->conns[i].used && r->conns[i].fd == fd)
            return &r->conns[i];
    return NULL;
}

/* The connection an active open on fd is about to start (connect(), or
 * sendto() with MSG_FASTOPEN): the one already tied to fd, else a new one
 * toward rport, with its local port once the socket has one.  NULL when the
 * table is full. */
static struct conn *conn_for_active_open(struct run *r, int fd, uint16_t rport, struct sock *s)
{
    struct conn *c = conn_by_fd(r, fd);
    if (c)
        return c;
    c = conn_new(r);
    if (!c)
        return NULL;
    c->rport = rport;
    c->fd = fd;
    struct endpoint le;
    if (sock_getname(s, &le, false) == 0 && le.port)
        c->lport = le.port;
    return c;
}

/* Live -> script for tapir's sequence space. */
static uint32_t local_to_script(const struct conn *c, uint32_t live)
{
    return c->have_local_isn ? live - c->local_isn_live + c->local_isn_script : live;
}
static uint32_t local_to_live(const struct conn *c, uint32_t script)
{
    return c->have_local_isn ? script - c->local_isn_script + c->local_isn_live : script;
}

/* ---------------- time ---------------- */

static int check_pending(struct run *r);

/* One stack entry at the current time, then whatever a blocking call needs. */
static void poll_stack(struct run *r)
{
    stack_poll(r->st, (uint64_t)r->now);
    check_pending(r);
}

/* Advances the clock to `until` (virtual µs), stopping at each timer
 * deadline on the way; stops early when stop() says so. */
static void advance(struct run *r, int64_t until, bool (*stop)(struct run *, void *), void *arg)
{
    for (int guard = 0; guard < 10000000 && !r->failed; guard++) {
        if (stop && stop(r, arg))
            return;
        uint64_t next = stack_next_deadline(r->st);
        int64_t step = next == UINT64_MAX ? until : (int64_t)next;
        if (step <= r->now)
            step = r->now;
        if (step > until) {
            if (until > r->now) {
                r->now = until;
                poll_stack(r);
            }
            return;
        }
        bool moved = step > r->now;
        r->now = step;
        poll_stack(r);
        if (!moved && step >= until)
            return;
        if (!moved) {
            /* A deadline at the current time that produced nothing new: move
             * on by a microsecond so a stale answer cannot spin us. */
            if (stack_next_deadline(r->st) <= (uint64_t)r->now)
                r->now++;
        }
    }
}

/* ---------------- TCP_INFO into the evaluator ---------------- */

static int load_tcp_info(struct run *r, int line)
{
    int fd = r->cur && r->cur->fd >= 0 ? r->cur->fd : r->last_sock_fd;
    struct fdent *f = sock_fd(r, fd);
    if (!f) {
        snprintf(r->info_err, sizeof r->info_err, " (no socket for TCP_INFO)");
        return 0;
    }
    (void)line;
    drill_tcp_info ti;
    memset(&ti, 0, sizeof ti);
    size_t len = sizeof ti;
    int rc = sock_getsockopt(f->s, IPPROTO_TCP, DRILL_TCP_INFO, &ti, &len);
    if (rc < 0) {
        /* Not fatal: a block that names no tcpi_ field still runs; one that
         * does fails on an undefined name, and the reason says why. */
        snprintf(r->info_err, sizeof r->info_err, " (no TCP_INFO: getsockopt(%d, IPPROTO_TCP, TCP_INFO) = %s)",
                 fd, errno_name(-rc));
        return 0;
    }
    r->info_err[0] = '\0';
#define F(name) code_set_int(&r->env, #name, (int64_t)ti.name)
    F(tcpi_state); F(tcpi_ca_state); F(tcpi_retransmits); F(tcpi_probes); F(tcpi_backoff);
    F(tcpi_options); F(tcpi_rto); F(tcpi_ato); F(tcpi_snd_mss); F(tcpi_rcv_mss);
    F(tcpi_unacked); F(tcpi_sacked); F(tcpi_lost); F(tcpi_retrans); F(tcpi_fackets);
    F(tcpi_last_data_sent); F(tcpi_last_ack_sent); F(tcpi_last_data_recv); F(tcpi_last_ack_recv);
    F(tcpi_pmtu); F(tcpi_rcv_ssthresh); F(tcpi_rtt); F(tcpi_rttvar); F(tcpi_snd_ssthresh);
    F(tcpi_snd_cwnd); F(tcpi_advmss); F(tcpi_reordering); F(tcpi_rcv_rtt); F(tcpi_rcv_space);
    F(tcpi_total_retrans); F(tcpi_pacing_rate); F(tcpi_max_pacing_rate); F(tcpi_bytes_acked);
    F(tcpi_bytes_received); F(tcpi_segs_out); F(tcpi_segs_in); F(tcpi_notsent_bytes);
    F(tcpi_min_rtt); F(tcpi_data_segs_in); F(tcpi_data_segs_out); F(tcpi_delivery_rate);
    F(tcpi_busy_time); F(tcpi_rwnd_limited); F(tcpi_sndbuf_limited); F(tcpi_delivered);
    F(tcpi_delivered_ce); F(tcpi_bytes_sent); F(tcpi_bytes_retrans); F(tcpi_dsack_dups);
    F(tcpi_reord_seen); F(tcpi_rcv_ooopack); F(tcpi_snd_wnd);
#undef F
    code_set_int(&r->env, "tcpi_snd_wscale", ti.tcpi_snd_wscale);
    code_set_int(&r->env, "tcpi_rcv_wscale", ti.tcpi_rcv_wscale);
    static const char *const consts[] = {"TCP_CA_Open", "TCP_CA_Disorder", "TCP_CA_CWR", "TCP_CA_Recovery",
                                         "TCP_CA_Loss", "TCP_ESTABLISHED", "TCP_SYN_SENT", "TCP_SYN_RECV",
                                         "TCP_FIN_WAIT1", "TCP_FIN_WAIT2", "TCP_TIME_WAIT", "TCP_CLOSE",
                                         "TCP_CLOSE_WAIT", "TCP_LAST_ACK", "TCP_LISTEN", "TCP_CLOSING", NULL};
    for (int i = 0; consts[i]; i++) {
        int64_t v;
        if (symbol_value(consts[i], &v))
            code_set_int(&r->env, consts[i], v);
    }
    return 0;
}

static void code_print(void *ctx, const char *line)
{
    struct run *r = ctx;
    if (r->o->verbose)
        printf("          print: %s\n", line);
}

/* ---------------- inbound packets ---------------- */

static int inbound(struct run *r, const struct event *ev)
{
    const struct dr_packet *p = &ev->pkt;
    struct conn *c = NULL;
    bool syn_only = (p->flags & TH_SYN) && !(p->flags & TH_ACK);
    if (p->has_ports) {
        c = conn_by_ports(r, p->dport, p->sport);
        if (!c) {
            c = conn_new(r);
            if (!c)
                return fail(r, ev->line, "too many connections");
            c->lport = p->dport;
            c->rport = p->sport;
        }
    } else if (!r->cur || (r->want_passive && syn_only)) {
        c = conn_new(r);
        if (!c)
            return fail(r, ev->line, "too many connections");
        c->lport = r->listen_port ? r->listen_port : SCRIPT_PORT;
        c->rport = r->next_rport++;
        if (syn_only)
            r->want_passive = false;
    } else {
        c = r->cur;
    }
    r->cur = c;
    if (c->lport == 0)
        return fail(r, ev->line, "inbound packet before tapir's first SYN: its port is not known yet");
    if ((p->flags & TH_SYN) && (!c->have_remote_isn || c->fd < 0)) {
        /* A SYN (or SYN-ACK) sets the script side's ISN, unless it is a SYN
         * on a live connection (RFC 5961 tests): a new SYN on a tuple whose
         * socket is gone (TIME_WAIT reuse) starts a new stream. */
        c->have_remote_isn = true;
        c->remote_isn = p->seq;
    }
    if ((p->flags & TH_SYN) && !c->have_seq_base) {
        c->have_seq_base = true;
        c->seq_base = p->seq;
    }

    struct wire_seg w;
    memset(&w, 0, sizeof w);
    w.src = REMOTE_IP;
    w.dst = LOCAL_IP;
    w.tos = (uint8_t)((p->tos >= 0 ? p->tos : 0) | (p->ecn >= 0 ? p->ecn : 0));
    w.ttl = (uint8_t)p->ttl;
    w.sport = c->rport;
    w.dport = c->lport;
    w.seq = (p->flags & TH_SYN) ? p->seq : p->seq + c->seq_base;
    w.flags = p->flags;
    w.ack = (p->flags & TH_ACK) ? local_to_live(c, p->ack) : 0;
    w.win = p->win >= 0 ? (uint16_t)p->win : 65535;
    w.urg = p->urg;
    w.n_opts = p->n_opts;
    memcpy(w.opts, p->opts, sizeof p->opts);
    for (int i = 0; i < w.n_opts; i++) {
        struct tcp_opt *o = &w.opts[i];
        if (o->kind == OPT_SACK) {
            for (int j = 0; j < o->n_sack; j++) {
                o->sack[j][0] = local_to_live(c, o->sack[j][0]);
                o->sack[j][1] = local_to_live(c, o->sack[j][1]);
            }
        } else if (o->kind == OPT_TS && (p->flags & TH_ACK)) {
            uint32_t ecr = o->ts_ecr;
            bool found = false;
            for (int k = c->n_ts - 1; k >= 0; k--) {
                if (c->ts_script[k] == ecr) {
                    o->ts_ecr = c->ts_live[k];
                    found = true;
                    break;
                }
            }
            if (!found && c->ts_first)
                o->ts_ecr = ecr - c->first_script_val + c->first_actual_val;
        }
    }
    uint8_t *payload = r->iobuf;
    if (p->len) {
        /* The peer's stream: byte k (k = 0 right after its SYN) is pat_remote(k). */
        uint32_t first = w.seq + ((p->flags & TH_SYN) ? 1 : 0);
        uint32_t isn = c->have_remote_isn ? c->remote_isn : 0;
        for (uint32_t i = 0; i < p->len; i++)
            payload[i] = pat_remote((uint32_t)(first + i - isn - 1));
    }
    w.payload = payload;
    w.payload_len = p->len;
    uint8_t pkt[70000];
    int n = wire_build(&w, pkt, sizeof pkt);
    if (n < 0)
        return fail(r, ev->line, "cannot build the inbound packet (options too long?)");
    if (r->o->verbose) {
        char buf[512];
        vlog(r, "inbound  < %s", dr_packet_str(p, buf, sizeof buf));
    }
    stack_input(r->st, r->ifindex, pkt, (size_t)n, (uint64_t)r->now);
    check_pending(r);
    return 0;
}

/* ---------------- outbound packets ---------------- */

/* The captured packet as the script would write it. */
static void to_script(const struct conn *c, const struct wire_seg *w, struct dr_packet *out)
{
    memset(out, 0, sizeof *out);
    out->flags = w->flags;
    out->seq = local_to_script(c, w->seq);
    out->len = (uint16_t)w->payload_len;
    out->end = out->seq + out->len;
    /* The remote side's numbers: relative unless SYN (see seq_base). */
    uint32_t base = (w->flags & TH_SYN) ? 0 : c->seq_base;
    out->ack = w->ack - base;
    out->win = w->win;
    out->urg = w->urg;
    out->ecn = -1;
    out->tos = -1;
    out->n_opts = w->n_opts;
    memcpy(out->opts, w->opts, sizeof w->opts);
    for (int i = 0; i < out->n_opts; i++) {
        struct tcp_opt *o = &out->opts[i];
        if (o->kind == OPT_SACK) { /* SACK blocks are in the remote's space */
            for (int j = 0; j < o->n_sack; j++) {
                o->sack[j][0] -= base;
                o->sack[j][1] -= base;
            }
            continue;
        }
        if (o->kind == OPT_TS && c->ts_first)
            o->ts_val = o->ts_val - c->first_actual_val + c->first_script_val;
    }
}

struct want_pkt {
    struct conn *c;
    uint16_t lport, rport;        /* when c is not known yet: explicit ports */
};

static bool belongs(struct run *r, const struct wire_seg *w, struct conn *c, bool syn_unknown)
{
    if (w->proto != 6)
        return false;
    if (c->lport && w->sport == c->lport && w->dport == c->rport)
        return true;
    /* An active open: tapir's port is learnt from its SYN. */
    if (syn_unknown && c->lport == 0 && (w->flags & TH_SYN) && !(w->flags & TH_ACK) && w->dport == c->rport)
        return true;
    (void)r;
    return false;
}

static struct captured *find_captured(struct run *r, struct conn *c, struct wire_seg *w, struct captured *after)
{
    char err[128];
    for (struct captured *k = after ? after->next : r->cap_head; k; k = k->next) {
        struct wire_seg tmp;
        if (wire_parse(k->data, k->len, &tmp, err, sizeof err) < 0) {
            *w = tmp;
            w->proto = 0xff; /* malformed: report it as the mismatch */
            return k;
        }
        if (belongs(r, &tmp, c, true)) {
            *w = tmp;
            return k;
        }
    }
    return NULL;
}

static bool have_packet(struct run *r, void *arg)
{
    struct wire_seg w;
    return find_captured(r, (struct conn *)arg, &w, NULL) != NULL;
}

static int field(struct run *r, int line, const char *name, uint32_t want, uint32_t got, char *diff, size_t dlen)
{
    (void)r;
    (void)line;
    if (want == got)
        return 0;
    snprintf(diff, dlen, "live packet field %s: expected: %u (0x%x) vs actual: %u (0x%x)", name, want, want, got,
             got);
    return -1;
}

static bool opt_equal(const struct tcp_opt *a, const struct tcp_opt *b)
{
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
    case OPT_MSS: return a->mss == b->mss;
    case OPT_WSCALE: return a->wscale == b->wscale;
    case OPT_SACK:
        if (a->n_sack != b->n_sack)
            return false;
        for (int i = 0; i < a->n_sack; i++)
            if (a->sack[i][0] != b->sack[i][0] || a->sack[i][1] != b->sack[i][1])
                return false;
        return true;
    case OPT_FASTOPEN: return a->cookie_len == b->cookie_len && memcmp(a->cookie, b->cookie, (size_t)a->cookie_len) == 0;
    default: return true; /* NOP, EOL, SACKOK; TS is checked apart */
    }
}

static int outbound(struct run *r, const struct event *ev, int64_t lo, int64_t hi)
{
    const struct dr_packet *p = &ev->pkt;
    struct conn *c;
    if (p->has_ports) {
        c = conn_by_ports(r, p->sport, p->dport);
        if (!c) {
            c = conn_new(r);
            if (!c)
                return fail(r, ev->line, "too many connections");
            c->lport = p->sport;
            c->rport = p->dport;
        }
    } else {
        c = r->cur;
    }
    if (!c)
        return fail(r, ev->line, "outbound packet expected but there is no connection yet");
    r->cur = c;
    /* Wait (advance the clock) until the connection has a packet out, or the
     * latest time the script allows has passed. */
    int64_t limit = ev->time_type == TIME_ANY ? r->now + ANY_TIME_LIMIT : T0 + hi + r->tolerance;
    advance(r, limit, have_packet, c);
    if (r->failed)
        return -1;
    struct wire_seg w;
    struct captured *k = find_captured(r, c, &w, NULL);
    char want[512], got[512];
    if (!k) {
        return fail(r, ev->line,
                    "expected outbound packet not sent: by %.6f sec no packet from tapir\n"
                    "  script packet: %9.6f > %s",
                    secs(limit - T0), secs(lo), dr_packet_str(p, want, sizeof want));
    }
    if (w.proto == 0xff) {
        char err[128];
        struct wire_seg tmp;
        wire_parse(k->data, k->len, &tmp, err, sizeof err);
        return fail(r, ev->line, "malformed outbound packet: %s", err);
    }
    /* Learn the ISN and ports from the SYN / SYN-ACK. */
    if ((w.flags & TH_SYN) && (p->flags & TH_SYN)) {
        if (c->lport == 0)
            c->lport = w.sport;
        c->have_local_isn = true;
        c->local_isn_live = w.seq;
        c->local_isn_script = p->seq;
    }
    /* Gather: the script may expect one TSO-sized segment where tapir sent
     * several MSS-sized ones (packetdrill aggregates the same way). */
    int64_t t_first = k->t;
    size_t total = w.payload_len;
    uint8_t agg_flags = w.flags;
    struct captured *parts[256];
    int n_parts = 1;
    parts[0] = k;
    uint32_t next_seq = w.seq + (uint32_t)w.payload_len;
    while (total < p->len && n_parts < 256) {
        struct wire_seg w2;
        struct captured *k2 = find_captured(r, c, &w2, parts[n_parts - 1]);
        if (!k2) {
            /* Maybe the rest is still to come (pacing): wait within the limit. */
            struct captured *last = parts[n_parts - 1];
            bool more = false;
            while (!more && r->now < limit && !r->failed) {
                uint64_t nd = stack_next_deadline(r->st);
                if (nd == UINT64_MAX || (int64_t)nd > limit)
                    break;
                r->now = (int64_t)nd > r->now ? (int64_t)nd : r->now + 1;
                poll_stack(r);
                more = find_captured(r, c, &w2, last) != NULL;
            }
            k2 = more ? find_captured(r, c, &w2, last) : NULL;
            if (!k2)
                break;
        }
        if (w2.proto == 0xff || w2.seq != next_seq || w2.ack != w.ack || w2.payload_len == 0 ||
            ((w2.flags | TH_PSH | TH_FIN) != (w.flags | TH_PSH | TH_FIN)) || (w.flags & TH_FIN))
            break;
        parts[n_parts++] = k2;
        total += w2.payload_len;
        agg_flags |= w2.flags & (TH_PSH | TH_FIN);
        next_seq += (uint32_t)w2.payload_len;
    }
    struct dr_packet act;
    to_script(c, &w, &act);
    act.flags = agg_flags;
    act.len = (uint16_t)(total > 65535 ? 65535 : total);
    act.end = act.seq + (uint32_t)total;

    /* TS option mapping (before printing, so the actual packet reads in the
     * script's TS space). */
    const struct tcp_opt *sts = NULL, *ats = NULL;
    for (int i = 0; i < p->n_opts; i++)
        if (p->opts[i].kind == OPT_TS)
            sts = &p->opts[i];
    for (int i = 0; i < w.n_opts; i++)
        if (w.opts[i].kind == OPT_TS)
            ats = &w.opts[i];
    if (sts && ats) {
        if (!c->ts_first) {
            c->ts_first = true;
            c->first_script_val = sts->ts_val;
            c->first_actual_val = ats->ts_val;
            to_script(c, &w, &act);
            act.flags = agg_flags;
            act.len = (uint16_t)(total > 65535 ? 65535 : total);
            act.end = act.seq + (uint32_t)total;
        }
        if (c->n_ts == MAX_TS_MAP) {
            memmove(c->ts_script, c->ts_script + 1, sizeof c->ts_script[0] * (MAX_TS_MAP - 1));
            memmove(c->ts_live, c->ts_live + 1, sizeof c->ts_live[0] * (MAX_TS_MAP - 1));
            c->n_ts--;
        }
        c->ts_script[c->n_ts] = sts->ts_val;
        c->ts_live[c->n_ts] = ats->ts_val;
        c->n_ts++;
    }

    char diff[512] = "";
    dr_packet_str(p, want, sizeof want);
    dr_packet_str(&act, got, sizeof got);
    int bad = 0;
    bad = bad || field(r, ev->line, "tcp_syn", !!(p->flags & TH_SYN), !!(act.flags & TH_SYN), diff, sizeof diff);
    bad = bad || field(r, ev->line, "tcp_rst", !!(p->flags & TH_RST), !!(act.flags & TH_RST), diff, sizeof diff);
    bad = bad || field(r, ev->line, "tcp_ack", !!(p->flags & TH_ACK), !!(act.flags & TH_ACK), diff, sizeof diff);
    bad = bad || field(r, ev->line, "tcp_fin", !!(p->flags & TH_FIN), !!(act.flags & TH_FIN), diff, sizeof diff);
    bad = bad || field(r, ev->line, "tcp_psh", !!(p->flags & TH_PSH), !!(act.flags & TH_PSH), diff, sizeof diff);
    bad = bad || field(r, ev->line, "tcp_urg", !!(p->flags & TH_URG), !!(act.flags & TH_URG), diff, sizeof diff);
    bad = bad || field(r, ev->line, "tcp_ece", !!(p->flags & TH_ECE), !!(act.flags & TH_ECE), diff, sizeof diff);
    bad = bad || field(r, ev->line, "tcp_cwr", !!(p->flags & TH_CWR), !!(act.flags & TH_CWR), diff, sizeof diff);
    bad = bad || field(r, ev->line, "tcp_reserved_bits", 0, w.reserved, diff, sizeof diff);
    bad = bad || field(r, ev->line, "tcp_seq", p->seq, act.seq, diff, sizeof diff);
    if (!bad && (p->flags & TH_ACK))
        bad = field(r, ev->line, "tcp_ack_seq", p->ack, act.ack, diff, sizeof diff);
    if (!bad && p->win >= 0)
        bad = field(r, ev->line, "tcp_window", (uint32_t)p->win, w.win, diff, sizeof diff);
    if (!bad)
        bad = field(r, ev->line, "tcp_urg_ptr", p->urg, w.urg, diff, sizeof diff);
    if (!bad)
        bad = field(r, ev->line, "tcp_payload_len", p->len, (uint32_t)total, diff, sizeof diff);
    if (!bad && p->ecn >= 0)
        bad = field(r, ev->line, "ip_ecn", (uint32_t)p->ecn, w.tos & 3u, diff, sizeof diff);
    if (!bad && p->tos >= 0)
        bad = field(r, ev->line, "tos", (uint32_t)p->tos, w.tos, diff, sizeof diff);
    if (!bad && p->ttl)
        bad = field(r, ev->line, "ttl", (uint32_t)p->ttl, w.ttl, diff, sizeof diff);
    if (!bad && !p->opts_any) {
        int i = 0;
        for (; i < p->n_opts && i < w.n_opts; i++) {
            const struct tcp_opt *so = &p->opts[i], *ao = &w.opts[i];
            if (so->kind != ao->kind || !opt_equal(so, ao)) {
                snprintf(diff, sizeof diff, "bad outbound TCP options (option %d differs)", i + 1);
                bad = 1;
                break;
            }
            if (so->kind == OPT_TS) {
                uint32_t mapped = ao->ts_val - c->first_actual_val + c->first_script_val;
                if (r->ts_tick_usecs) {
                    int64_t d = (int64_t)(int32_t)(mapped - so->ts_val);
                    if (d < 0)
                        d = -d;
                    int64_t tol = r->tolerance;
                    if (d * r->ts_tick_usecs > tol) {
                        snprintf(diff, sizeof diff,
                                 "bad outbound TCP timestamp value: expected %u vs actual %u (tolerance %" PRId64
                                 " usecs, tick %" PRId64 " usecs)",
                                 so->ts_val, mapped, tol, r->ts_tick_usecs);
                        bad = 1;
                        break;
                    }
                }
                if (so->ts_ecr != ao->ts_ecr) {
                    snprintf(diff, sizeof diff, "bad outbound TCP timestamp echo reply: expected %u vs actual %u",
                             so->ts_ecr, ao->ts_ecr);
                    bad = 1;
                    break;
                }
            }
        }
        if (!bad && (i < p->n_opts || i < w.n_opts)) {
            snprintf(diff, sizeof diff, "bad outbound TCP options (expected %d options, got %d)", p->n_opts,
                     w.n_opts);
            bad = 1;
        }
    }
    if (!bad && c->check_payload && total > 0 && c->have_local_isn) {
        /* Payload bytes: the pattern of tapir's stream offset. */
        for (int i = 0; i < n_parts && !bad; i++) {
            struct wire_seg wp;
            char err[128];
            wire_parse(parts[i]->data, parts[i]->len, &wp, err, sizeof err);
            /* Data in a SYN (TCP Fast Open) starts after the SYN's number. */
            uint32_t off0 = wp.seq + ((wp.flags & TH_SYN) ? 1u : 0u) - c->local_isn_live - 1;
            for (size_t j = 0; j < wp.payload_len; j++) {
                if (wp.payload[j] != pat_local(off0 + (uint32_t)j)) {
                    snprintf(diff, sizeof diff,
                             "incorrect outbound data payload: byte at stream offset %u is %u, the application "
                             "wrote %u there",
                             off0 + (uint32_t)j, wp.payload[j], pat_local(off0 + (uint32_t)j));
                    bad = 1;
                    break;
                }
            }
        }
    }
    int64_t t_script = t_first - T0;
    if (!bad && ev->time_type != TIME_ANY) {
        if (t_script < lo - r->tolerance || t_script > hi + r->tolerance) {
            if (lo == hi)
                snprintf(diff, sizeof diff,
                         "timing error: expected outbound packet at %.6f sec but happened at %.6f sec; tolerance "
                         "%.6f sec",
                         secs(lo), secs(t_script), secs(r->tolerance));
            else
                snprintf(diff, sizeof diff,
                         "timing error: expected outbound packet in time range %.6f~%.6f sec but happened at "
                         "%.6f sec",
                         secs(lo), secs(hi), secs(t_script));
            bad = 1;
        }
    }
    if (r->o->verbose)
        vlog(r, "outbound > %s  (sent at %.6f)", got, secs(t_script));
    if (bad) {
        return fail(r, ev->line, "error handling packet: %s\n  script packet: %9.6f > %s\n  actual packet: %9.6f > %s",
                    diff, secs(lo), want, secs(t_script), got);
    }
    for (int i = 0; i < n_parts; i++) {
        cap_unlink(r, parts[i]);
        cap_free(parts[i]);
    }
    return 0;
}

/* ---------------- system calls ---------------- */

static const char *sc_name(const struct event *ev) { return ev->sc.name; }

static int eval_int(struct run *r, const struct event *ev, const struct expr *e, int64_t *out)
{
    char buf[256];
    switch (e->type) {
    case EX_INT: *out = e->num; return 0;
    case EX_WORD:
        if (symbol_value(e->str, out))
            return 0;
        return fail(r, ev->line, "unknown symbol '%s' in %s()", e->str, sc_name(ev));
    case EX_OR: {
        int64_t a, b;
        if (eval_int(r, ev, e->lhs, &a) || eval_int(r, ev, e->rhs, &b))
            return -1;
        *out = a | b;
        return 0;
    }
    case EX_LIST:
        if (e->n_items == 1)
            return eval_int(r, ev, e->items[0], out);
        break;
    case EX_CALL:
        if ((strcmp(e->str, "htons") == 0 || strcmp(e->str, "htonl") == 0) && e->n_items == 1)
            return eval_int(r, ev, e->items[0], out);
        break;
    default: break;
    }
    return fail(r, ev->line, "expected an integer in %s(), found %s", sc_name(ev), expr_str(e, buf, sizeof buf));
}

static int arg_int(struct run *r, const struct event *ev, int i, int64_t *out)
{
    if (i >= ev->sc.n_args)
        return fail(r, ev->line, "%s(): missing argument %d", sc_name(ev), i + 1);
    return eval_int(r, ev, ev->sc.args[i], out);
}

static const struct expr *field_of(const struct expr *st, const char *name)
{
    if (!st || st->type != EX_STRUCT)
        return NULL;
    for (int i = 0; i < st->n_items; i++)
        if (st->items[i]->type == EX_FIELD && strcmp(st->items[i]->str, name) == 0)
            return st->items[i]->rhs;
    return NULL;
}

/* A sockaddr argument: `...` means the script's own address. */
static int arg_sockaddr(struct run *r, const struct event *ev, int i, uint32_t def_ip, struct endpoint *ep)
{
    memset(ep, 0, sizeof *ep);
    ep->addr = ip4(def_ip);
    ep->port = SCRIPT_PORT;
    if (i >= ev->sc.n_args || ev->sc.args[i]->type == EX_ELLIPSIS)
        return 0;
    const struct expr *e = ev->sc.args[i];
    const struct expr *port = field_of(e, "sin_port"), *addr = field_of(e, "sin_addr");
    if (!port || !addr)
        return fail(r, ev->line, "%s(): unsupported address argument", sc_name(ev));
    int64_t v;
    if (eval_int(r, ev, port, &v))
        return -1;
    ep->port = (uint16_t)v;
    if (addr->type == EX_CALL && addr->n_items == 1 && addr->items[0]->type == EX_STRING) {
        struct ipaddr a;
        if (ipaddr_parse(addr->items[0]->str, &a) != 0 || a.family != TP_AF_INET)
            return fail(r, ev->line, "%s(): bad address \"%s\"", sc_name(ev), addr->items[0]->str);
        ep->addr = a;
    } else {
        return fail(r, ev->line, "%s(): sin_addr must be inet_addr(\"...\")", sc_name(ev));
    }
    return 0;
}

/* Fills the write buffer with tapir's stream pattern from offset off. */
static void fill_write(struct run *r, uint64_t off, size_t len)
{
    for (size_t i = 0; i < len; i++)
        r->iobuf[i] = pat_local(off + i);
}

/* The result compared with the script's expectation. */
static int check_result(struct run *r, const struct event *ev, int64_t rc)
{
    const struct syscall *sc = &ev->sc;
    char buf[256];
    if (sc->result->type == EX_ELLIPSIS)
        return 0;
    int64_t want;
    if (eval_int(r, ev, sc->result, &want))
        return -1;
    if (rc < 0) {
        int err = (int)-rc;
        if (want != -1)
            return fail(r, ev->line, "runtime error in %s call: Expected result %s but got -1 with errno %d (%s)",
                        sc->name, expr_str(sc->result, buf, sizeof buf), err, errno_name(err));
        /* packetdrill checks the errno only when the script names one
         * (run_system_call.c end_syscall): "= -1" alone accepts any. */
        if (!sc->errno_name)
            return 0;
        int64_t want_err;
        if (!symbol_value(sc->errno_name, &want_err))
            return fail(r, ev->line, "unknown errno %s", sc->errno_name);
        if (want_err != err)
            return fail(r, ev->line, "runtime error in %s call: Expected errno %d (%s) but got %d (%s)", sc->name,
                        (int)want_err, sc->errno_name, err, errno_name(err));
        return 0;
    }
    if (rc != want)
        return fail(r, ev->line, "runtime error in %s call: Expected result %s but got %" PRId64, sc->name,
                    expr_str(sc->result, buf, sizeof buf), rc);
    return 0;
}

/* Verifies read data against tapir-side delivery: the remote pattern. */
static int check_read(struct run *r, const struct event *ev, struct fdent *f, const uint8_t *data, ssize_t n)
{
    struct conn *c = conn_by_fd(r, (int)(f - r->fds));
    if (n <= 0 || !c || !c->have_remote_isn)
        return 0;
    for (ssize_t i = 0; i < n; i++) {
        if (data[i] != pat_remote(f->roff + (uint64_t)i))
            return fail(r, ev->line, "%s returned wrong data: byte at stream offset %" PRIu64 " is %u, the peer sent %u",
                        sc_name(ev), f->roff + (uint64_t)i, data[i], pat_remote(f->roff + (uint64_t)i));
    }
    return 0;
}

enum try_result { TRY_DONE, TRY_BLOCKED };

/* One attempt at a call that may block.  *rc gets the result when done. */
static enum try_result try_call(struct run *r, struct pending *pd, int64_t *rc)
{
    const struct event *ev = pd->ev;
    const char *name = ev->sc.name;
    struct fdent *f = sock_fd(r, pd->fd);
    if (!f) {
        *rc = -EBADF;
        return TRY_DONE;
    }
    bool nonblock = f->nonblock || (pd->flags & MSG_DONTWAIT);
    if (strcmp(name, "accept") == 0 || strcmp(name, "accept4") == 0) {
        struct sock *child;
        struct endpoint peer;
        int e = sock_accept(f->s, &child, &peer);
        if (e == -EAGAIN && !nonblock)
            return TRY_BLOCKED;
        if (e < 0) {
            *rc = e;
            return TRY_DONE;
        }
        int fd = alloc_fd(r, ev);
        if (fd < 0) {
            sock_close(child);
            *rc = fd;
            return TRY_DONE;
        }
        memset(&r->fds[fd], 0, sizeof r->fds[fd]);
        r->fds[fd].kind = FD_SOCK;
        r->fds[fd].s = child;
        sock_set_wake(child, on_wake, r);
        r->last_sock_fd = fd;
        struct conn *c = conn_by_ports(r, f->s ? r->listen_port : 0, peer.port);
        if (!c)
            c = conn_by_ports(r, SCRIPT_PORT, peer.port);
        if (c && c->fd < 0)
            c->fd = fd;
        *rc = fd;
        return TRY_DONE;
    }
    if (strcmp(name, "connect") == 0) {
        uint32_t ev_mask = sock_poll(f->s);
        if (!(ev_mask & (SOCK_POLLOUT | SOCK_POLLERR | SOCK_POLLHUP)))
            return TRY_BLOCKED;
        /* Linux's blocking connect() ends as a second connect() would: 0
         * (the socket is then connected: the next one is EISCONN) or the
         * attempt's error. */
        int e = sock_connect(f->s, &f->connect_to);
        if (e == -EALREADY)
            return TRY_BLOCKED;
        *rc = e;
        return TRY_DONE;
    }
    if (strcmp(name, "read") == 0 || strcmp(name, "recv") == 0 || strcmp(name, "recvfrom") == 0 ||
        strcmp(name, "readv") == 0 || strcmp(name, "recvmsg") == 0) {
        size_t want = pd->total;
        ssize_t n = sock_recv(f->s, pd->null_buf ? NULL : r->iobuf, want, pd->flags & ~MSG_DONTWAIT, NULL, NULL);
        if (n == -EAGAIN && !nonblock)
            return TRY_BLOCKED;
        if (n > 0 && !(pd->flags & MSG_PEEK)) {
            if (check_read(r, ev, f, r->iobuf, n) < 0)
                return TRY_DONE;
            f->roff += (uint64_t)n;
        }
        *rc = n;
        return TRY_DONE;
    }
    if (strcmp(name, "write") == 0 || strcmp(name, "send") == 0 || strcmp(name, "sendto") == 0 ||
        strcmp(name, "sendmsg") == 0 || strcmp(name, "writev") == 0) {
        bool null_buf = pd->null_buf;
        /* sendto(MSG_FASTOPEN) connects to its address (TCP Fast Open). */
        const struct endpoint *to = (pd->flags & MSG_FASTOPEN) ? &f->connect_to : NULL;
        for (;;) {
            size_t left = pd->total - pd->done;
            ssize_t n;
            if (null_buf) {
                n = sock_send(f->s, NULL, left, pd->flags & ~MSG_DONTWAIT, to);
            } else {
                fill_write(r, f->woff, left);
                n = sock_send(f->s, r->iobuf, left, pd->flags & ~MSG_DONTWAIT, to);
            }
            if (n > 0) {
                pd->done += (size_t)n;
                f->woff += (uint64_t)n;
                if (pd->done == pd->total || nonblock) {
                    *rc = (int64_t)pd->done;
                    return TRY_DONE;
                }
                continue;
            }
            if (n == -EAGAIN && !nonblock)
                return TRY_BLOCKED;
            if (n == 0 && pd->total == 0) {
                *rc = 0;
                return TRY_DONE;
            }
            /* An error after a partial write reports the bytes written. */
            *rc = pd->done ? (int64_t)pd->done : (n == 0 ? 0 : n);
            return TRY_DONE;
        }
    }
    *rc = -ENOSYS;
    return TRY_DONE;
}

static int finish_call(struct run *r, struct pending *pd, int64_t rc)
{
    const struct event *ev = pd->ev;
    int64_t t = script_now(r);
    vlog(r, "%s() returns %" PRId64 "%s%s", ev->sc.name, rc, rc < 0 ? " " : "", rc < 0 ? errno_name((int)-rc) : "");
    if (check_result(r, ev, rc) < 0)
        return -1;
    if (t < pd->end - r->tolerance || t > pd->end + r->tolerance)
        return fail(r, ev->line, "timing error: expected system call return at %.6f sec but happened at %.6f sec",
                    secs(pd->end), secs(t));
    return 0;
}

static int check_pending(struct run *r)
{
    if (!r->pend.active || r->failed)
        return 0;
    /* A blocked writer sleeps until the socket wakes it (Linux's
     * sk_stream_wait_memory: woken by sk_stream_write_space only once the
     * buffer is writable again), not at every packet. */
    if (r->pend.is_write && !r->pend.woken)
        return 0;
    r->pend.woken = false;
    int64_t rc;
    if (try_call(r, &r->pend, &rc) == TRY_BLOCKED)
        return 0;
    struct pending pd = r->pend;
    r->pend.active = false;
    return finish_call(r, &pd, rc);
}

static bool pending_done(struct run *r, void *arg)
{
    (void)arg;
    return !r->pend.active;
}

/* Waits for the blocking call to return (as packetdrill waits for its
 * system call thread before the next call). */
static int wait_pending(struct run *r)
{
    if (!r->pend.active)
        return 0;
    int64_t limit = T0 + r->pend.end + r->tolerance;
    advance(r, limit, pending_done, NULL);
    if (r->failed)
        return -1;
    if (r->pend.active)
        return fail(r, r->pend.ev->line, "blocking %s() did not return by %.6f sec (expected at %.6f sec)",
                    r->pend.ev->sc.name, secs(limit - T0), secs(r->pend.end));
    return 0;
}

static int start_blocking(struct run *r, const struct event *ev, int fd, size_t total, int flags, bool null_buf,
                          int64_t start, int64_t end)
{
    struct pending pd;
    memset(&pd, 0, sizeof pd);
    pd.active = true;
    pd.ev = ev;
    pd.fd = fd;
    pd.start = start;
    pd.end = end;
    pd.total = total;
    pd.flags = flags;
    pd.null_buf = null_buf;
    int64_t rc;
    if (try_call(r, &pd, &rc) == TRY_DONE) {
        if (r->failed)
            return -1;
        return finish_call(r, &pd, rc);
    }
    vlog(r, "%s() blocks", ev->sc.name);
    const char *nm = ev->sc.name;
    pd.is_write = strcmp(nm, "write") == 0 || strcmp(nm, "send") == 0 || strcmp(nm, "sendto") == 0 ||
                  strcmp(nm, "sendmsg") == 0 || strcmp(nm, "writev") == 0;
    pd.woken = false;
    r->pend = pd;
    return 0;
}

/* epoll_wait's answer now: ready items (edge-triggered ones only once). */
static int epoll_collect(struct run *r, struct fdent *ep, struct epoll_event *out, int max)
{
    int n = 0;
    for (int i = 0; i < ep->n_items && n < max; i++) {
        struct epitem *it = &ep->items[i];
        struct fdent *f = sock_fd(r, it->fd);
        if (!f)
            continue;
        uint32_t mask = sock_poll(f->s);
        uint32_t ev = 0;
        if (mask & SOCK_POLLIN) ev |= EPOLLIN;
        if (mask & SOCK_POLLOUT) ev |= EPOLLOUT;
        if (mask & SOCK_POLLPRI) ev |= EPOLLPRI;
        if (mask & SOCK_POLLERR) ev |= EPOLLERR;
        if (mask & SOCK_POLLHUP) ev |= EPOLLHUP;
        if (mask & SOCK_POLLRDHUP) ev |= EPOLLRDHUP;
        ev &= it->events | EPOLLERR | EPOLLHUP;
        bool et = it->events & EPOLLET;
        if (et && !it->ready)
            continue;
        it->ready = false;
        if (!ev)
            continue;
        out[n].events = ev;
        out[n].data.u64 = it->data;
        n++;
    }
    return n;
}

static int do_syscall(struct run *r, const struct event *ev, int64_t start)
{
    const struct syscall *sc = &ev->sc;
    const char *name = sc->name;
    int64_t end = start;
    if (sc->end_usecs != NO_END_TIME)
        end = (ev->time_type == TIME_REL ? start - ev->t : 0) + sc->end_usecs;
    char buf[512];
    if (r->o->verbose) {
        size_t n = (size_t)snprintf(buf, sizeof buf, "%s(", name);
        for (int i = 0; i < sc->n_args && n < sizeof buf; i++) {
            char a[256];
            n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", i ? ", " : "", expr_str(sc->args[i], a, sizeof a));
        }
        vlog(r, "syscall  %s)", buf);
    }
    int64_t fdv = -1, v;
    if (strcmp(name, "socket") == 0) {
        int64_t dom = AF_INET, type, proto = 0;
        if (sc->n_args > 0 && sc->args[0]->type != EX_ELLIPSIS && arg_int(r, ev, 0, &dom))
            return -1;
        if (arg_int(r, ev, 1, &type))
            return -1;
        if (sc->n_args > 2 && sc->args[2]->type != EX_ELLIPSIS && arg_int(r, ev, 2, &proto))
            return -1;
        struct sock *s;
        int rc = sock_create(r->st, (int)dom, (int)type, (int)proto, &s);
        if (rc == 0) {
            int fd = alloc_fd(r, ev);
            if (fd < 0) {
                sock_close(s);
                rc = fd;
            } else {
                memset(&r->fds[fd], 0, sizeof r->fds[fd]);
                r->fds[fd].kind = FD_SOCK;
                r->fds[fd].s = s;
                r->fds[fd].nonblock = (type & SOCK_NONBLOCK) != 0;
                sock_set_wake(s, on_wake, r);
                r->last_sock_fd = fd;
                rc = fd;
            }
        }
        return check_result(r, ev, rc);
    }
    if (strcmp(name, "epoll_create") == 0 || strcmp(name, "epoll_create1") == 0) {
        int fd = alloc_fd(r, ev);
        if (fd >= 0) {
            memset(&r->fds[fd], 0, sizeof r->fds[fd]);
            r->fds[fd].kind = FD_EPOLL;
        }
        return check_result(r, ev, fd);
    }
    if (arg_int(r, ev, 0, &fdv))
        return -1;
    if (fdv < 0 || fdv >= MAX_FDS || r->fds[fdv].kind == FD_FREE)
        return check_result(r, ev, -EBADF);
    struct fdent *f = &r->fds[fdv];
    if (strcmp(name, "close") == 0) {
        if (f->kind == FD_SOCK) {
            struct conn *c = conn_by_fd(r, (int)fdv);
            if (c)
                c->fd = -1;
            sock_close(f->s);
            if (r->pend.active && r->pend.fd == fdv)
                r->pend.active = false;
        }
        /* drop it from epoll sets */
        for (int e = 0; e < MAX_FDS; e++) {
            if (r->fds[e].kind != FD_EPOLL)
                continue;
            for (int i = 0; i < r->fds[e].n_items; i++)
                if (r->fds[e].items[i].fd == fdv)
                    r->fds[e].items[i--] = r->fds[e].items[--r->fds[e].n_items];
        }
        memset(f, 0, sizeof *f);
        check_pending(r);
        return check_result(r, ev, 0);
    }
    if (strcmp(name, "epoll_ctl") == 0) {
        int64_t op, tfd;
        if (f->kind != FD_EPOLL)
            return check_result(r, ev, -EINVAL);
        if (arg_int(r, ev, 1, &op) || arg_int(r, ev, 2, &tfd))
            return -1;
        if (!sock_fd(r, tfd))
            return check_result(r, ev, -EBADF);
        int64_t evmask = 0, data = tfd;
        if (sc->n_args > 3 && sc->args[3]->type == EX_STRUCT) {
            const struct expr *e = field_of(sc->args[3], "events");
            if (e && eval_int(r, ev, e, &evmask))
                return -1;
            const char *keys[] = {"fd", "ptr", "u32", "u64"};
            for (int k = 0; k < 4; k++) {
                const struct expr *d = field_of(sc->args[3], keys[k]);
                if (d && eval_int(r, ev, d, &data))
                    return -1;
            }
        }
        int idx = -1;
        for (int i = 0; i < f->n_items; i++)
            if (f->items[i].fd == tfd)
                idx = i;
        if (op == EPOLL_CTL_ADD) {
            if (idx >= 0)
                return check_result(r, ev, -EEXIST);
            if (f->n_items == MAX_EPOLL_ITEMS)
                return check_result(r, ev, -ENOSPC);
            f->items[f->n_items++] = (struct epitem){.fd = (int)tfd, .events = (uint32_t)evmask,
                                                      .data = (uint64_t)data, .ready = true};
        } else if (op == EPOLL_CTL_MOD) {
            if (idx < 0)
                return check_result(r, ev, -ENOENT);
            f->items[idx].events = (uint32_t)evmask;
            f->items[idx].data = (uint64_t)data;
            f->items[idx].ready = true;
        } else if (op == EPOLL_CTL_DEL) {
            if (idx < 0)
                return check_result(r, ev, -ENOENT);
            f->items[idx] = f->items[--f->n_items];
        } else {
            return check_result(r, ev, -EINVAL);
        }
        return check_result(r, ev, 0);
    }
    if (strcmp(name, "epoll_wait") == 0) {
        int64_t max, timeout;
        if (f->kind != FD_EPOLL)
            return check_result(r, ev, -EINVAL);
        if (arg_int(r, ev, 2, &max) || arg_int(r, ev, 3, &timeout))
            return -1;
        struct epoll_event got[MAX_EPOLL_ITEMS];
        int n = epoll_collect(r, f, got, max < MAX_EPOLL_ITEMS ? (int)max : MAX_EPOLL_ITEMS);
        if (n == 0 && timeout != 0) {
            int64_t until = timeout < 0 ? r->now + ANY_TIME_LIMIT : r->now + timeout * 1000;
            while (n == 0 && r->now < until && !r->failed) {
                uint64_t nd = stack_next_deadline(r->st);
                int64_t step = nd == UINT64_MAX || (int64_t)nd > until ? until : (int64_t)nd;
                r->now = step > r->now ? step : r->now + 1;
                poll_stack(r);
                n = epoll_collect(r, f, got, max < MAX_EPOLL_ITEMS ? (int)max : MAX_EPOLL_ITEMS);
            }
        }
        vlog(r, "epoll_wait() -> %d event(s)%s", n, n ? ":" : "");
        for (int i = 0; i < n; i++)
            vlog(r, "  events=%#x data=%" PRIu64, got[i].events, (uint64_t)got[i].data.u64);
        if (check_result(r, ev, n) < 0)
            return -1;
        /* The expected events, one struct or a list of them. */
        const struct expr *exp = sc->n_args > 1 ? sc->args[1] : NULL;
        const struct expr *one[1];
        const struct expr *const *list = NULL;
        int n_exp = 0;
        if (exp && exp->type == EX_STRUCT) {
            one[0] = exp;
            list = one;
            n_exp = 1;
        } else if (exp && exp->type == EX_LIST) {
            list = (const struct expr *const *)exp->items;
            n_exp = exp->n_items;
        }
        for (int i = 0; i < n && i < n_exp; i++) {
            const struct expr *evs = field_of(list[i], "events");
            int64_t want;
            if (evs && !eval_int(r, ev, evs, &want) && (uint32_t)want != got[i].events)
                return fail(r, ev->line, "epoll_wait: event %d: expected events %#x but got %#x", i + 1,
                            (unsigned)want, got[i].events);
            const struct expr *fdexp = field_of(list[i], "fd");
            if (fdexp && !eval_int(r, ev, fdexp, &want) && (uint64_t)want != got[i].data.u64)
                return fail(r, ev->line, "epoll_wait: event %d: expected fd %" PRId64 " but got %" PRIu64, i + 1,
                            want, (uint64_t)got[i].data.u64);
        }
        return r->failed ? -1 : 0;
    }
    if (f->kind != FD_SOCK)
        return check_result(r, ev, -ENOTSOCK);
    if (strcmp(name, "bind") == 0) {
        struct endpoint ep;
        if (arg_sockaddr(r, ev, 1, LOCAL_IP, &ep))
            return -1;
        int rc = sock_bind(f->s, &ep);
        if (rc == 0)
            r->listen_port = ep.port;
        return check_result(r, ev, rc);
    }
    if (strcmp(name, "listen") == 0) {
        if (arg_int(r, ev, 1, &v))
            return -1;
        int rc = sock_listen(f->s, (int)v);
        if (rc == 0) {
            f->listener = true;
            r->want_passive = true;
            if (!r->listen_port) {
                struct endpoint ep;
                if (sock_getname(f->s, &ep, false) == 0)
                    r->listen_port = ep.port;
            }
        }
        return check_result(r, ev, rc);
    }
    if (strcmp(name, "connect") == 0) {
        struct endpoint ep;
        if (arg_sockaddr(r, ev, 1, REMOTE_IP, &ep))
            return -1;
        f->connect_to = ep;
        int rc = sock_connect(f->s, &ep);
        if (rc == 0 || rc == -EINPROGRESS) {
            struct conn *c = conn_for_active_open(r, (int)fdv, ep.port, f->s);
            if (!c)
                return fail(r, ev->line, "too many connections");
            r->cur = c;
        }
        if (rc == -EINPROGRESS && !f->nonblock)
            return start_blocking(r, ev, (int)fdv, 0, 0, false, start, end);
        return check_result(r, ev, rc);
    }
    if (strcmp(name, "accept") == 0 || strcmp(name, "accept4") == 0)
        return start_blocking(r, ev, (int)fdv, 0, 0, false, start, end);
    if (strcmp(name, "read") == 0 || strcmp(name, "recv") == 0 || strcmp(name, "recvfrom") == 0) {
        int64_t len, flags = 0;
        if (arg_int(r, ev, 2, &len))
            return -1;
        if (strcmp(name, "read") != 0 && arg_int(r, ev, 3, &flags))
            return -1;
        if (len < 0 || len > MAX_IO)
            return fail(r, ev->line, "%s(): length %" PRId64 " out of the runner's range", name, len);
        bool null_buf = sc->n_args > 1 && sc->args[1]->type == EX_WORD && strcmp(sc->args[1]->str, "NULL") == 0;
        return start_blocking(r, ev, (int)fdv, (size_t)len, (int)flags, null_buf, start, end);
    }
    if (strcmp(name, "write") == 0 || strcmp(name, "send") == 0 || strcmp(name, "sendto") == 0) {
        int64_t len, flags = 0;
        if (arg_int(r, ev, 2, &len))
            return -1;
        if (strcmp(name, "write") != 0 && arg_int(r, ev, 3, &flags))
            return -1;
        if (len < 0 || len > MAX_IO)
            return fail(r, ev->line, "%s(): length %" PRId64 " out of the runner's range", name, len);
        const struct expr *b = sc->n_args > 1 ? sc->args[1] : NULL;
        bool null_buf = b && b->type == EX_WORD && strcmp(b->str, "NULL") == 0;
        if ((flags & MSG_FASTOPEN) && strcmp(name, "sendto") == 0) {
            /* TCP Fast Open: sendto() is also the connect(); the SYN it
             * sends opens the connection under test. */
            struct endpoint ep;
            if (arg_sockaddr(r, ev, 4, REMOTE_IP, &ep))
                return -1;
            f->connect_to = ep;
            struct conn *c = conn_for_active_open(r, (int)fdv, ep.port, f->s);
            if (!c)
                return fail(r, ev->line, "too many connections");
            r->cur = c;
        }
        if (b && b->type == EX_STRING) {
            struct conn *c = conn_by_fd(r, (int)fdv);
            if (c)
                c->check_payload = false; /* not our pattern any more */
        }
        return start_blocking(r, ev, (int)fdv, (size_t)len, (int)flags, null_buf, start, end);
    }
    if (strcmp(name, "sendmsg") == 0 || strcmp(name, "writev") == 0) {
        /* The total of the iovec lengths, sent as one stream write. */
        const struct expr *iov = NULL;
        int64_t flags = 0;
        if (strcmp(name, "sendmsg") == 0) {
            iov = sc->n_args > 1 ? field_of(sc->args[1], "msg_iov") : NULL;
            if (arg_int(r, ev, 2, &flags))
                return -1;
        } else {
            iov = sc->n_args > 1 ? sc->args[1] : NULL;
        }
        if (!iov || iov->type != EX_LIST)
            return fail(r, ev->line, "%s(): cannot read the iovec", name);
        int64_t total = 0;
        for (int i = 0; i < iov->n_items; i++) {
            const struct expr *it = iov->items[i];
            if (it->type != EX_STRUCT || it->n_items != 2)
                return fail(r, ev->line, "%s(): an iovec element must be {..., len}", name);
            int64_t l;
            if (eval_int(r, ev, it->items[1], &l))
                return -1;
            total += l;
        }
        if (total > MAX_IO)
            return fail(r, ev->line, "%s(): too long", name);
        return start_blocking(r, ev, (int)fdv, (size_t)total, (int)flags, false, start, end);
    }
    if (strcmp(name, "shutdown") == 0) {
        if (arg_int(r, ev, 1, &v))
            return -1;
        int rc = sock_shutdown(f->s, (int)v);
        check_pending(r);
        return check_result(r, ev, rc);
    }
    if (strcmp(name, "fcntl") == 0) {
        int64_t cmd, arg = 0;
        if (arg_int(r, ev, 1, &cmd))
            return -1;
        if (cmd == F_GETFL)
            return check_result(r, ev, O_RDWR | (f->nonblock ? O_NONBLOCK : 0));
        if (cmd == F_SETFL) {
            if (arg_int(r, ev, 2, &arg))
                return -1;
            f->nonblock = (arg & O_NONBLOCK) != 0;
            return check_result(r, ev, 0);
        }
        if (cmd == F_GETFD || cmd == F_SETFD)
            return check_result(r, ev, 0);
        return check_result(r, ev, -EINVAL);
    }
    if (strcmp(name, "setsockopt") == 0) {
        int64_t level, opt, len;
        if (arg_int(r, ev, 1, &level) || arg_int(r, ev, 2, &opt) || arg_int(r, ev, 4, &len))
            return -1;
        const struct expr *val = sc->n_args > 3 ? sc->args[3] : NULL;
        uint8_t vbuf[64];
        memset(vbuf, 0, sizeof vbuf);
        if (!val || len < 0 || len > (int64_t)sizeof vbuf)
            return fail(r, ev->line, "setsockopt(): bad value or length");
        if (val->type == EX_STRUCT) {
            /* struct linger {onoff, linger} */
            const struct expr *on = field_of(val, "onoff"), *lg = field_of(val, "linger");
            int64_t a = 0, b = 0;
            if ((on && eval_int(r, ev, on, &a)) || (lg && eval_int(r, ev, lg, &b)))
                return -1;
            struct linger l = {.l_onoff = (int)a, .l_linger = (int)b};
            memcpy(vbuf, &l, sizeof l);
        } else if (val->type == EX_STRING) {
            snprintf((char *)vbuf, sizeof vbuf, "%s", val->str);
        } else {
            int64_t x;
            if (eval_int(r, ev, val, &x))
                return -1;
            int32_t i32 = (int32_t)x;
            memcpy(vbuf, &i32, sizeof i32);
        }
        int rc = sock_setsockopt(f->s, (int)level, (int)opt, vbuf, (size_t)len);
        check_pending(r);
        return check_result(r, ev, rc);
    }
    if (strcmp(name, "getsockopt") == 0) {
        int64_t level, opt;
        if (arg_int(r, ev, 1, &level) || arg_int(r, ev, 2, &opt))
            return -1;
        uint8_t vbuf[512];
        memset(vbuf, 0, sizeof vbuf);
        int64_t want_len = 4;
        if (sc->n_args > 4 && sc->args[4]->type != EX_ELLIPSIS && eval_int(r, ev, sc->args[4], &want_len))
            return -1;
        size_t len = want_len > 0 && want_len <= (int64_t)sizeof vbuf ? (size_t)want_len : sizeof vbuf;
        int rc = sock_getsockopt(f->s, (int)level, (int)opt, vbuf, &len);
        if (check_result(r, ev, rc) < 0)
            return -1;
        if (rc < 0)
            return 0;
        const struct expr *val = sc->args[3];
        if (val->type == EX_LIST && val->n_items == 1) {
            int64_t want;
            if (eval_int(r, ev, val, &want))
                return -1;
            int32_t got;
            memcpy(&got, vbuf, sizeof got);
            if ((uint32_t)got != (uint32_t)want)
                return fail(r, ev->line, "getsockopt: expected value %" PRId64 " but got %d", want, got);
        } else if (val->type == EX_STRUCT) {
            struct linger l;
            memcpy(&l, vbuf, sizeof l);
            const struct expr *on = field_of(val, "onoff"), *lg = field_of(val, "linger");
            int64_t a, b;
            if (on && !eval_int(r, ev, on, &a) && a != l.l_onoff)
                return fail(r, ev->line, "getsockopt: expected onoff %" PRId64 " but got %d", a, l.l_onoff);
            if (lg && !eval_int(r, ev, lg, &b) && b != l.l_linger)
                return fail(r, ev->line, "getsockopt: expected linger %" PRId64 " but got %d", b, l.l_linger);
        } else if (val->type == EX_STRING) {
            if (strncmp((const char *)vbuf, val->str, len) != 0)
                return fail(r, ev->line, "getsockopt: expected \"%s\" but got \"%.*s\"", val->str, (int)len,
                            (const char *)vbuf);
        }
        if (sc->n_args > 4 && sc->args[4]->type == EX_LIST && (int64_t)len != want_len)
            return fail(r, ev->line, "getsockopt: expected length %" PRId64 " but got %zu", want_len, len);
        return r->failed ? -1 : 0;
    }
    if (strcmp(name, "ioctl") == 0) {
        int64_t req;
        if (arg_int(r, ev, 1, &req))
            return -1;
        if (req != FIONREAD)
            return fail(r, ev->line, "ioctl(): only SIOCINQ/FIONREAD is supported");
        /* Bytes ready to read: a peek at the receive queue. */
        ssize_t n = sock_recv(f->s, r->iobuf, MAX_IO, MSG_PEEK, NULL, NULL);
        if (n == -EAGAIN)
            n = 0;
        if (n < 0)
            return check_result(r, ev, n);
        if (check_result(r, ev, 0) < 0)
            return -1;
        int64_t want;
        if (sc->n_args > 2 && sc->args[2]->type != EX_ELLIPSIS && !eval_int(r, ev, sc->args[2], &want) &&
            want != n)
            return fail(r, ev->line, "ioctl(SIOCINQ): expected %" PRId64 " bytes but %zd are queued", want, n);
        return r->failed ? -1 : 0;
    }
    return fail(r, ev->line, "unsupported system call %s()", name);
}

/* ---------------- commands ---------------- */

static int apply_command(struct run *r, int line, const char *cmd, bool init)
{
    char note[512] = "";
    int rc = sysctl_apply_command(r->st, cmd, &r->drop_tx, note, sizeof note);
    if (note[0])
        vlog(r, "command: %s", note);
    if (rc < 0)
        return fail(r, line, "unsupported %scommand: %s", init ? "init " : "", note);
    return 0;
}

/* ---------------- the run ---------------- */

static int run_events(struct run *r)
{
    for (const struct script_option *o = r->s->options; o; o = o->next) {
        if (strcmp(o->name, "tolerance_usecs") == 0 && o->value)
            r->tolerance = strtoll(o->value, NULL, 10);
        else if (strcmp(o->name, "tcp_ts_tick_usecs") == 0 && o->value)
            r->ts_tick_usecs = strtoll(o->value, NULL, 10);
        else if (strcmp(o->name, "ip_version") == 0 && o->value && strcmp(o->value, "ipv4") != 0)
            return fail(r, 1, "--ip_version=%s: only ipv4 is supported", o->value);
        else
            vlog(r, "option --%s ignored", o->name);
    }
    if (r->s->init_command && apply_command(r, 1, r->s->init_command, true) < 0)
        return -1;
    for (const struct event *ev = r->s->events; ev && !r->failed; ev = ev->next) {
        /* The event's time in script µs.  Relative times count from now,
         * except that consecutive inbound packets anchor on each other. */
        bool inb = ev->type == EV_PACKET && ev->pkt.inbound;
        bool prev_inb = r->prev && r->prev->type == EV_PACKET && r->prev->pkt.inbound;
        int64_t base = inb && prev_inb ? r->prev_time : script_now(r);
        int64_t lo = ev->t, hi = ev->t;
        switch (ev->time_type) {
        case TIME_ABS: break;
        case TIME_REL: lo += base; hi = lo; break;
        case TIME_ABS_RANGE: hi = ev->t_end; break;
        case TIME_REL_RANGE: lo += base; hi = ev->t_end + base; break;
        case TIME_ANY: lo = hi = script_now(r); break;
        }
        if (ev->type == EV_SYSCALL && r->pend.active && wait_pending(r) < 0)
            return -1;
        if (ev->type == EV_PACKET && !ev->pkt.inbound) {
            if (outbound(r, ev, lo, hi) < 0)
                return -1;
        } else {
            if (T0 + lo > r->now)
                advance(r, T0 + lo, NULL, NULL);
            if (r->failed)
                return -1;
            if (script_now(r) > lo + r->tolerance)
                return fail(r, ev->line, "timing error: expected %s at %.6f sec but happened at %.6f sec; tolerance %.6f sec",
                            ev->type == EV_PACKET ? "inbound packet" : ev->type == EV_SYSCALL ? "system call start"
                                                                                             : "event",
                            secs(lo), secs(script_now(r)), secs(r->tolerance));
            switch (ev->type) {
            case EV_PACKET:
                if (inbound(r, ev) < 0)
                    return -1;
                break;
            case EV_SYSCALL:
                if (do_syscall(r, ev, lo) < 0)
                    return -1;
                break;
            case EV_CODE: {
                if (load_tcp_info(r, ev->line) < 0)
                    return -1;
                char err[512];
                if (code_run(&r->env, ev->text, err, sizeof err) < 0)
                    return fail(r, ev->line, "%s%s", err, strstr(err, "not defined") ? r->info_err : "");
                break;
            }
            case EV_COMMAND:
                if (apply_command(r, ev->line, ev->text, false) < 0)
                    return -1;
                break;
            }
        }
        r->prev = ev;
        r->prev_time = lo;
    }
    if (!r->failed && r->pend.active)
        wait_pending(r);
    return r->failed ? -1 : 0;
}

int drill_run(const struct script *s, const struct drill_opts *opts, char *reason, size_t len)
{
    struct run *r = calloc(1, sizeof *r);
    if (!r)
        abort();
    r->s = s;
    r->o = opts;
    r->reason = reason;
    r->reason_len = len;
    reason[0] = '\0';
    r->tolerance = 4000;
    r->now = T0;
    r->next_rport = FIRST_REMOTE_PORT;
    r->last_sock_fd = -1;
    r->iobuf = malloc(MAX_IO);
    if (!r->iobuf)
        abort();
    code_env_init(&r->env);
    r->env.print = code_print;
    r->env.print_ctx = r;
    r->st = stack_create(opts->seed, (uint64_t)r->now);
    int rc = -1;
    if (!r->st) {
        snprintf(reason, len, "%s: stack_create failed", s->path);
        goto out;
    }
    r->ifindex = stack_add_tun(r->st, "tun0", 1500, tun_tx, r);
    if (r->ifindex < 0 || stack_add_ip4(r->st, r->ifindex, LOCAL_IP, 24) < 0 ||
        stack_add_route4(r->st, 0, 0, 0, r->ifindex) < 0) {
        snprintf(reason, len, "%s: cannot set up the TUN interface", s->path);
        goto out;
    }
    sysctl_defaults(r->st);
    rc = run_events(r);
out:
    for (int fd = 0; fd < MAX_FDS; fd++)
        if (r->fds[fd].kind == FD_SOCK)
            sock_close(r->fds[fd].s);
    if (r->st)
        stack_destroy(r->st);
    while (r->cap_head) {
        struct captured *n = r->cap_head->next;
        cap_free(r->cap_head);
        r->cap_head = n;
    }
    code_env_free(&r->env);
    free(r->iobuf);
    free(r);
    return rc;
}
