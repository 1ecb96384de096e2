/* One tapir stack: interfaces, neighbour caches, routes, protocol tables,
 * timers and counters.  Sans-I/O: the owner feeds it frames and the current
 * time, and it answers by calling each interface's transmit function and
 * the sockets' notify hooks.  It never reads a clock, sleeps, or makes a
 * syscall, so given the same inputs and seed it does exactly the same thing.
 *
 * Not thread-safe by itself: the owner (api/runner.c, a test, the packetdrill
 * runner) serialises all calls.
 *
 *   struct stack *st = stack_create(seed, now);
 *   int lo  = stack_add_loopback(st);                       // 127.0.0.1/8
 *   int eth = stack_add_netif(st, "tap0", mac, 1500, tx, ctx);
 *   stack_add_ip4(st, eth, IP4(198,18,0,2), 24);
 *   stack_add_route4(st, 0, 0, IP4(198,18,0,1), eth);      // default gateway
 *   for (;;) { stack_input(st, eth, frame, len, now); stack_poll(st, now); }
 */
#ifndef TAPIR_STACK_STACK_H
#define TAPIR_STACK_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stack/addr.h"
#include "stack/config.h"
#include "stack/counters.h"
#include "stack/pkt.h"
#include "stack/rng.h"
#include "stack/timer.h"

/* Sends one frame on the device behind an interface.  Returns 0, or -1 if
 * the device dropped it (counted; the stack goes on). */
typedef int (*netif_tx_fn)(void *ctx, const uint8_t *frame, size_t len, const struct pkt *meta);

struct ip4_ifaddr {
    uint32_t addr;
    uint8_t prefix_len;
};

struct netif {
    int index;                 /* position in stack->netifs, >= 0 */
    char name[16];
    uint8_t mac[6];
    uint32_t mtu;              /* IP MTU (payload of the link frame) */
    bool up;
    bool loopback;             /* no link layer: frames are IP packets */
    bool tun;                  /* L3-only device (stack_add_tun): frames are bare IP packets */
    struct ip4_ifaddr ip4[TAPIR_MAX_IF_ADDRS];
    int n_ip4;
    netif_tx_fn tx;
    void *tx_ctx;
    uint32_t offloads;         /* NETIF_OFF_* the device accepts in pkt metadata */
};
#define NETIF_OFF_CSUM 1u      /* partial L4 checksums (csum_start/offset) */
#define NETIF_OFF_TSO  2u      /* TCP super-segments (gso_size) */
#define NETIF_OFF_USO  4u      /* UDP super-segments */

struct route4 {
    uint32_t dest;
    uint8_t prefix_len;
    uint32_t gateway;          /* 0 = on-link */
    int ifindex;
    uint32_t metric;
    uint64_t dead_until;       /* µs: the gateway failed to resolve (ARP); avoided until then */
};

/* Run-time settings: the things Linux exposes as sysctls.  Defaults from
 * config.h; a runner or a test may change them at any time. */
/* TCP's sysctl-like settings (Linux names in comments); defaults from
 * config.h via tcp_settings_default(). */
struct tcp_settings {
    uint32_t rmem[3];              /* tcp_rmem: min, default, max receive buffer */
    uint32_t wmem[3];              /* tcp_wmem: min, default, max send buffer */
    bool timestamps;               /* tcp_timestamps (RFC 7323) */
    bool window_scaling;           /* tcp_window_scaling */
    bool sack;                     /* tcp_sack (RFC 2018) */
    bool dsack;                    /* tcp_dsack (RFC 2883) */
    bool syncookies;               /* tcp_syncookies: when the SYN queue is full */
    uint32_t fastopen;             /* tcp_fastopen (RFC 7413): bit 0 client, bit 1 server (Linux's bits) */
    uint8_t ecn;                   /* tcp_ecn (RFC 3168): 0 off, 1 ask and accept, 2 accept only */
    bool slow_start_after_idle;    /* tcp_slow_start_after_idle (RFC 5681 4.1) */
    bool rack;                     /* tcp_recovery & 1: RACK-TLP time-based loss detection (RFC 8985);
                                    * off: RFC 6675 DupThresh/IsLost */
    bool tlp;                      /* tcp_early_retrans >= 3: tail loss probes (RFC 8985 7) */
    char congestion[16];           /* tcp_congestion_control: "cubic", "newreno"/"reno" */
    uint32_t rto_min_ms, rto_init_ms, rto_max_ms;
    uint32_t delack_ms;            /* delayed ACK timeout (Linux TCP_DELACK_MIN) */
    uint32_t max_syn_backlog;      /* tcp_max_syn_backlog */
    uint32_t fin_timeout_ms;       /* tcp_fin_timeout */
    uint32_t timewait_ms;          /* TIME_WAIT length (2*MSL) */
    uint32_t max_tw;               /* tcp_max_tw_buckets */
    uint32_t syn_retries, synack_retries, retries2;
    uint32_t keepalive_time_s, keepalive_intvl_s, keepalive_probes;
    uint32_t invalid_ratelimit_ms; /* tcp_invalid_ratelimit */
    uint32_t init_cwnd;            /* segments */
    uint32_t reordering;           /* tcp_reordering: DupThresh */
    uint32_t notsent_lowat;        /* tcp_notsent_lowat: unsent bytes allowed before POLLOUT stops (TCP_NOTSENT_LOWAT's default) */
    uint16_t port_lo, port_hi;     /* ip_local_port_range */
    uint8_t hystart;               /* CUBIC slow-start exit (Linux tcp_cubic hystart_detect):
                                    * bit 0 ACK train, bit 1 delay increase; 0 off */
    bool pacing;                   /* pace every connection's departures (Linux with the fq qdisc:
                                    * tcp_pacing.c); off by default */
    uint32_t pacing_ss_ratio;      /* tcp_pacing_ss_ratio: % of cwnd*mss/srtt in slow start (200) */
    uint32_t pacing_ca_ratio;      /* tcp_pacing_ca_ratio: % in congestion avoidance (120) */
    uint32_t min_tso_segs;         /* tcp_min_tso_segs: least segments a paced burst holds (2) */
};
void tcp_settings_default(struct tcp_settings *t);

struct stack_settings {
    uint8_t ip_default_ttl;
    bool icmp_echo_ignore_broadcasts;
    uint32_t icmp_rate_ms, icmp_rate_burst;
    uint32_t arp_reachable_ms, arp_retry_ms, arp_max_requests;
    uint32_t ip4_reass_timeout_ms, ip4_reass_max_bytes;
    struct tcp_settings tcp;       /* stack_create fills it with tcp_settings_default() */
};

struct arp_table;   /* stack/arp.c */
struct ip4_reass;   /* stack/ip4_reass.c */
struct icmp_state;  /* stack/icmp.c */
struct udp_table;   /* stack/udp.c */
struct raw_table;   /* stack/raw.c */
struct tcp_state;   /* stack/tcp/ */
struct ip6_state;   /* stack/ip6*.c */
struct ip4_state;   /* stack/ip4.c: IP ID counter, path MTU cache */
struct unix_ns;     /* stack/unix.c: AF_UNIX names and sockets */

typedef void (*stack_log_fn)(void *ctx, int level, const char *msg);
#define TAPIR_LOG_ERROR 0
#define TAPIR_LOG_INFO 1
#define TAPIR_LOG_DEBUG 2

struct stack {
    uint64_t now;              /* µs, the time given to the latest call */
    unsigned rx_flags;         /* STACK_RX_* of the frame stack_input_flags is handling, else 0 */
    struct rng rng;
    uint8_t secret[16];        /* key for ISNs (RFC 6528) and port choice (RFC 6056) */
    struct stack_settings cfg;
    struct tapir_counters ctr;
    struct tapir_gauges gauges;    /* live state (counters.h): up and down */
    struct timer_wheel timers;

    struct netif netifs[TAPIR_MAX_NETIFS];
    int n_netifs;
    struct route4 routes4[TAPIR_MAX_ROUTES];
    int n_routes4;

    struct arp_table *arp;
    struct ip4_reass *reass4;
    struct icmp_state *icmp;
    struct udp_table *udp;
    struct raw_table *raw;
    struct tcp_state *tcp;
    struct ip6_state *ip6;

    /* Packets sent to ourselves (loopback, or to one of our own addresses)
     * wait here and are delivered at the end of the current entry point, so
     * output never re-enters input. */
    struct pkt *loop_head, *loop_tail;
    bool draining_loop;

    stack_log_fn log;
    void *log_ctx;
    int log_level;

    struct ip4_state *ip4;
    int loopback_ifindex;      /* -1 until stack_add_loopback */
    /* Modules that allocate per-stack state lazily (TCP, IPv6) register a
     * teardown here with stack_at_destroy(); run in reverse order. */
    void (*fini[TAPIR_MAX_FINI])(struct stack *st);
    int n_fini;
    struct unix_ns *unix_ns;   /* NULL until the first AF_UNIX socket */
};

struct stack *stack_create(uint64_t seed, uint64_t now);
void stack_destroy(struct stack *st);


/* Interfaces.  Return the new index, or -1 (table full / bad argument). */
int stack_add_netif(struct stack *st, const char *name, const uint8_t mac[6], uint32_t mtu,
                    netif_tx_fn tx, void *tx_ctx);
int stack_add_loopback(struct stack *st);
/* An L3-only interface, like a Linux TUN device: no Ethernet header, no ARP.
 * stack_input() on it takes bare IP packets (the version nibble says IPv4 or
 * IPv6) and tx is handed bare IP packets.  mtu is the largest IP packet.
 * Routes and addresses work as on any interface (use stack_add_ip4 and
 * stack_add_route4).  The packetdrill runner injects and captures through it.
 * Returns the new index, or -1. */
int stack_add_tun(struct stack *st, const char *name, uint32_t mtu, netif_tx_fn tx, void *tx_ctx);
struct netif *stack_netif(struct stack *st, int ifindex);
/* Adds an address (and its on-link route); sends a gratuitous ARP. 0 or -errno. */
int stack_add_ip4(struct stack *st, int ifindex, uint32_t addr, uint8_t prefix_len);
int stack_add_route4(struct stack *st, uint32_t dest, uint8_t prefix_len, uint32_t gateway, int ifindex);
/* Longest prefix wins, then a route whose gateway is not known dead, then the
 * lowest metric.  NULL: no route. */
const struct route4 *stack_route4(const struct stack *st, uint32_t dst);
/* What ARP learned of addr on ifindex: it answered (alive), or it never did
 * (the routes through it are avoided for IP4_DEAD_GATEWAY_MS).  No-op for an
 * address that is no gateway. */
void stack_gateway_seen(struct stack *st, int ifindex, uint32_t addr, bool alive);
/* Is addr one of ours (on any interface, or in 127/8)? */
bool stack_is_local4(const struct stack *st, uint32_t addr);
/* The source address to use towards dst through ifindex (RFC 1122 3.3.4.3). */
uint32_t stack_source4(const struct stack *st, int ifindex, uint32_t dst);

/* A frame arrived on ifindex at time now (µs). The bytes are only borrowed. */
void stack_input(struct stack *st, int ifindex, const uint8_t *frame, size_t len, uint64_t now);
/* The same, with what the link knows about the frame:
 * STACK_RX_TCP4_CSUM_OK: an unfragmented IPv4 TCP segment whose checksum the
 * link vouches for (a TAP's CHECKSUM_PARTIAL or DATA_VALID frame: it never
 * left the host's memory), so TCP does not verify it again; the checksum
 * field may hold only the pseudo-header sum.  Raw sockets see it as is, as
 * on Linux. */
#define STACK_RX_TCP4_CSUM_OK 1u
/* STACK_RX_BATCH: the caller is draining frames in a batch and calls
 * stack_poll as soon as the batch ends.  An ACK owed only by the "every
 * second full segment" rule waits for that stack_poll, until
 * TCP_GRO_ACK_BYTES are unacknowledged: what a Linux receiver does behind GRO
 * (one ACK per coalesced frame), since a frame at a time through a TAP never
 * meets GRO.  Without it (packetdrill, simulations), TCP ACKs as RFC 9293 says. */
#define STACK_RX_BATCH 2u
void stack_input_flags(struct stack *st, int ifindex, const uint8_t *frame, size_t len, uint64_t now,
                       unsigned flags);
/* Run the timers due at now and deliver looped-back packets. */
void stack_poll(struct stack *st, uint64_t now);
/* When stack_poll should next be called (µs); UINT64_MAX: nothing pending. */
uint64_t stack_next_deadline(const struct stack *st);

/* Moves the stack's clock forward (entry points call it; monotonic). */
void stack_set_time(struct stack *st, uint64_t now);

/* Queue a packet (starting at its IP header) for delivery to ourselves.
 * Takes ownership.  Delivered at the end of the current stack_input /
 * stack_poll, or (when queued from a socket call, outside any entry point) at
 * the next stack_poll: stack_next_deadline() then answers "now". */
void stack_loopback_enqueue(struct stack *st, struct pkt *p);
/* Delivers the looped-back packets now.  For a caller outside any stack
 * entry point (the API, once a socket call has returned), so that what a
 * call sent to ourselves has arrived when it returns, as on Linux. */
void stack_loopback_flush(struct stack *st);

/* Link output for the network layers: sends p (data at its IP header; takes
 * ownership) on ifindex.  On Ethernet the frame goes to dst_mac with the
 * given EtherType; on TUN dst_mac and ethertype are ignored; on loopback the
 * packet is queued for delivery to ourselves.  0 or -errno (p freed). */
int netif_output(struct stack *st, int ifindex, struct pkt *p, uint16_t ethertype,
                 const uint8_t dst_mac[6]);

/* Registers fn to run at stack_destroy (before the stack's own tables go).
 * 0, or -ENOSPC when TAPIR_MAX_FINI hooks are registered. */
int stack_at_destroy(struct stack *st, void (*fn)(struct stack *st));

void stack_logf(struct stack *st, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- IPv6 (stack/ip6.c, nd.c, slaac.c; types in stack/ip6.h) ---- */
struct ip6_settings;
struct ip6_addr_info;
/* The IPv6 knobs; NULL only if memory is exhausted. */
struct ip6_settings *stack_ip6_settings(struct stack *st);
/* Brings IPv6 up on an interface: link-local address (DAD), the all-nodes
 * group, router solicitation.  Called by stack_add_netif when IPv6 is
 * enabled; a caller may call it again after changing settings (no-op when
 * already up).  The loopback gets ::1.  0 or -errno. */
int stack_ip6_up(struct stack *st, int ifindex);
/* A static address with its on-link prefix; DAD runs first (the address is
 * tentative until it passes).  0 or -errno (-EEXIST, -ENOSPC, -EINVAL). */
int stack_add_ip6(struct stack *st, int ifindex, const uint8_t addr[16], uint8_t prefix_len);
int stack_del_ip6(struct stack *st, int ifindex, const uint8_t addr[16]);
/* A route: gateway NULL = on-link. A /0 with a gateway is a default route. */
int stack_add_route6(struct stack *st, const uint8_t dest[16], uint8_t prefix_len,
                     const uint8_t *gateway, int ifindex);
/* The addresses held (all interfaces when ifindex < 0); returns how many
 * were written to out (at most max). */
int stack_ip6_addrs(struct stack *st, int ifindex, struct ip6_addr_info *out, int max);
/* Is a one of our usable IPv6 addresses (or ::1)? */
bool stack_is_local6(struct stack *st, const uint8_t a[16]);
/* The neighbour cache entry of addr on ifindex: its ND_* state (0: none) and
 * link-layer address (mac may be NULL). */
int stack_ip6_neighbour(struct stack *st, int ifindex, const uint8_t addr[16], uint8_t mac[6]);
/* Joins / leaves an IPv6 multicast group on ifindex (sends MLD reports). */
int stack_ip6_join(struct stack *st, int ifindex, const uint8_t group[16]);
int stack_ip6_leave(struct stack *st, int ifindex, const uint8_t group[16]);

#endif
