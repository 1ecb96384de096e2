/* Every compile-time tunable and limit of the stack, in one place, each with
 * what it does and its default (the idea of lwIP's opt.h).  Run-time settings
 * that a user or a test script changes (the sysctl-like ones: buffer sizes,
 * SACK on/off, congestion control...) live in struct stack_settings
 * (stack/stack.h) and take their defaults from here.
 *
 * Where an RFC leaves room, the defaults follow Linux's observable choices.
 */
#ifndef TAPIR_STACK_CONFIG_H
#define TAPIR_STACK_CONFIG_H

/* ---- Time ---- */
/* Resolution of the timer wheel (µs per tick) and its size. 1 ms x 512 slots:
 * timers within half a second are found in one turn. */
#define TIMER_TICK_US        1000
#define TIMER_WHEEL_SLOTS    512

/* ---- Interfaces ---- */
#define TAPIR_MAX_NETIFS     8    /* interfaces per stack, loopback included */
#define TAPIR_MAX_IF_ADDRS   4    /* IPv4 addresses per interface */
#define TAPIR_MAX_ROUTES     32   /* IPv4 routing table entries */
#define TAPIR_DEFAULT_MTU    1500
#define TAPIR_LOOPBACK_MTU   65536
#define TAPIR_MAX_FINI       8     /* stack_at_destroy hooks */
#define LOOPBACK_DRAIN_MAX   4096  /* looped-back packets delivered per entry point (bounds any loop) */
#define TAPIR_MAX_FRAME      65550 /* largest frame a device hands us (64 KB GRO + headers) */

/* ---- ARP (RFC 826, RFC 1122 2.3.2) ---- */
#define ARP_CACHE_MAX        512   /* entries; the least recently used goes when full */
#define ARP_REACHABLE_MS     30000 /* a confirmed entry is trusted this long, then STALE */
#define ARP_STALE_MS         60000 /* a STALE entry unused this long is removed */
#define ARP_RETRY_MS         1000  /* between requests for an INCOMPLETE entry */
#define ARP_MAX_REQUESTS     3     /* requests before giving up (host unreachable) */
/* Packets queued per unresolved address (the oldest dropped past either
 * cap).  Enough for one 64 KB datagram in fragments, as Linux's
 * unres_qlen_bytes allows. */
#define ARP_PENDING_MAX      64
#define ARP_PENDING_MAX_BYTES (128u << 10)
#define ARP_HASH_BUCKETS     256   /* hash chains of the cache (power of two) */

/* ---- IPv4 ---- */
#define IP4_DEFAULT_TTL      64
#define IP4_REASS_TIMEOUT_MS 30000          /* RFC 1122 suggests 60-120 s; Linux 30 s */
#define IP4_REASS_MAX_BYTES  (4u << 20)     /* all datagrams in reassembly (Linux ipfrag_high_thresh) */
#define IP4_REASS_MAX_DGRAMS 64             /* datagrams in reassembly at once */
#define IP4_REASS_MAX_FRAGS  64             /* fragments per datagram */
#define IP4_PMTU_CACHE       64             /* destinations with a learned path MTU */
#define IP4_PMTU_EXPIRE_MS   600000         /* a learned path MTU is forgotten after (Linux mtu_expires) */
#define IP4_DEAD_GATEWAY_MS  60000          /* a gateway ARP could not resolve is avoided this long
                                             * when another route of the same prefix exists (RFC 1122
                                             * 3.3.1.4 dead gateway detection) */
#define IP4_MIN_PMTU         552            /* "fragmentation needed" below this is taken as this, and the
                                             * path then sent without DF (Linux min_pmtu): a forged ICMP
                                             * cannot shrink TCP to slivers nor black-hole it */

/* ---- ICMP ---- */
#define ICMP_RATE_MS         1000  /* token bucket refill: one error per this many ms ... */
#define ICMP_RATE_BURST      50    /* ... with this burst (Linux icmp_ratelimit / msgs_burst) */

/* ---- UDP ---- */
#define UDP_RCVQ_MAX_BYTES   (212992) /* per-socket receive queue (Linux rmem_default) */
#define UDP_DGRAM_OVERHEAD   256      /* bytes charged per queued datagram besides its payload,
                                         so a flood of tiny datagrams is bounded too */
#define UDP_HASH_BUCKETS     1024     /* port hash chains (power of two) */
#define UDP_EPHEMERAL_LOW    32768    /* RFC 6056 range, as Linux ip_local_port_range */
#define UDP_EPHEMERAL_HIGH   60999
#define RAW_RCVQ_MAX_BYTES   (212992) /* per raw socket receive queue */

/* ---- IPv6 (RFC 8200) ---- */
#define IP6_DEFAULT_HOP_LIMIT 64
#define IP6_MAX_IF_ADDRS     8      /* IPv6 addresses per interface (link-local, static, SLAAC) */
#define IP6_MAX_ROUTES       32     /* IPv6 routes: static, connected, RA prefixes, routers, redirects */
#define IP6_MAX_MCAST_GROUPS 8      /* groups sockets join per interface (besides ff02::1, solicited-node) */
#define IP6_REASS_TIMEOUT_MS 60000  /* RFC 8200 4.5: 60 s (Linux ip6frag_time) */
#define IP6_REASS_MAX_BYTES  (4u << 20) /* all datagrams in reassembly (Linux ip6frag_high_thresh) */
#define IP6_REASS_MAX_DGRAMS 64     /* datagrams in reassembly at once */
#define IP6_REASS_MAX_FRAGS  64     /* fragments per datagram */
#define IP6_PMTU_CACHE       64     /* destinations with a learned path MTU */
#define IP6_PMTU_EXPIRE_MS   600000 /* a learned path MTU is forgotten after (RFC 8201: >= 5 min) */

/* ---- Neighbor Discovery (RFC 4861 10) and SLAAC (RFC 4862) ---- */
#define ND_CACHE_MAX         256    /* neighbour entries; a STALE one unused longest goes when full */
#define ND_HASH_BUCKETS      64     /* hash chains of the cache (power of two) */
/* Packets queued per unresolved neighbour, the oldest dropped past the cap.
 * As for ARP (64): a burst sent while the first solicitation goes unanswered
 * (a peer whose link just came up) must not lose all but the last few;
 * Linux queues up to 101 (unres_qlen). */
#define ND_PENDING_MAX       64
#define ND_REACHABLE_MS      30000  /* REACHABLE_TIME */
#define ND_RETRANS_MS        1000   /* RETRANS_TIMER */
#define ND_DELAY_FIRST_PROBE_MS 5000 /* DELAY_FIRST_PROBE_TIME */
#define ND_MAX_MULTICAST_SOLICIT 3
#define ND_MAX_UNICAST_SOLICIT 3
#define ND_STALE_GC_MS       60000  /* a STALE entry unused this long is removed (Linux gc_stale_time) */
#define ND_MAX_RTR_SOLICITATIONS 3
#define ND_RTR_SOLICITATION_INTERVAL_MS 4000
#define ND_MAX_RTR_SOLICITATION_DELAY_MS 1000
#define IP6_DAD_TRANSMITS    1      /* DupAddrDetectTransmits */
#define IP6_IDGEN_RETRIES    3      /* RFC 7217: new stable ids tried after DAD conflicts */

/* ---- Sockets ---- */
#define TAPIR_MAX_SOCKETS    65536

/* ---- AF_UNIX sockets (stack/unix.c): Linux's defaults ---- */
#define UNIX_SNDBUF_DEFAULT  212992   /* SO_SNDBUF (Linux wmem_default): a stream sender's bytes
                                         waiting at the peer are capped at it; a datagram must be
                                         smaller than it less 32 (EMSGSIZE, as Linux) */
#define UNIX_RCVBUF_DEFAULT  212992   /* SO_RCVBUF (Linux rmem_default): caps the bytes (payload +
                                         UDP_DGRAM_OVERHEAD each) of a datagram receive queue */
#define UNIX_STREAM_MAX_BYTES (4u << 20) /* a stream direction never holds more, whatever SO_SNDBUF */
#define UNIX_DGRAM_QLEN      512      /* datagrams queued per receiver (Linux net.unix.max_dgram_qlen) */
#define UNIX_NAME_HASH       256      /* hash chains of the bound names (power of two) */
#define UNIX_CHUNK           4096     /* smallest piece a stream's byte queue grows by */

/* ---- Resolver (api/resolver.c, api/hosts.c; RFC 1035, RFC 2308) ---- */
#define RESOLV_MAX_SERVERS   4     /* name servers used (glibc MAXNS is 3) */
#define RESOLV_MAX_SEARCH    6     /* search domains (glibc MAXDNSRCH) */
#define RESOLV_DEFAULT_TIMEOUT_MS 5000 /* first try per server (resolv.conf "timeout", glibc 5 s) */
#define RESOLV_DEFAULT_ATTEMPTS 2  /* rounds over the servers (resolv.conf "attempts") */
#define RESOLV_MAX_TIMEOUT_MS 30000 /* a single try never waits longer, whatever the backoff */
#define RESOLV_EDNS_UDP_SIZE 1232  /* UDP payload we advertise with "options edns0" (DNS flag day 2020) */
#define RESOLV_MAX_CHAIN     8     /* CNAME links followed, in one answer and across queries */
#define RESOLV_MAX_ADDRS     64    /* addresses kept from one answer */
#define RESOLV_MAX_PTR       8     /* names kept from one PTR answer */
#define RESOLV_MAX_RRS       1024  /* records parsed in one message; more is rejected */
#define RESOLV_CACHE_MAX     256   /* cached answers (positive and negative); the soonest to expire goes */
#define RESOLV_CACHE_MAX_TTL 86400 /* seconds: longer TTLs are cut to this */
#define RESOLV_NEG_MAX_TTL   10800 /* seconds: negative answers at most 3 h (RFC 2308 5) */
#define HOSTS_MAX_LINES      16384 /* lines read from a hosts file */
#define HOSTS_MAX_NAMES      36    /* names on one hosts line (glibc: 35 aliases) */
/* ---- TCP (run-time settings with Linux's defaults: struct tcp_settings) ---- */
#define TCP_CONN_HASH_SIZE   16384 /* 4-tuple hash buckets (power of 2): O(1) lookup to ~10^5 conns */
#define TCP_PORT_HASH_SIZE   1024  /* bound-port and listener buckets (power of 2) */
#define TCP_PORT_PERTURB     256   /* RFC 6056 Algorithm 4: counters for ephemeral port choice */
#define TCP_MAX_CONNS        65536 /* connections per stack, TIME_WAIT included */
#define TCP_OOO_MAX_RANGES   32    /* out-of-order ranges kept per connection (SegmentSmack cap) */
#define TCP_SACK_SCOREBOARD_MAX 32 /* SACKed ranges the sender tracks (SACK-panic class cap) */
#define TCP_TXQ_MAX          8192  /* sent-segment records per connection (power of 2; RACK's
                                    * per-segment send times): past it, new data joins the last
                                    * record (coarser loss detection, never unbounded memory) */
#define TCP_TSO_MAX_BYTES    (65535 - 40) /* a TSO train's TCP header + payload: fits IPv4's total
                                    * length and IPv6's payload length (Linux: GSO_MAX_SIZE 64 KB) */
#define TCP_MAX_REORDERING   300   /* Linux tcp_max_reordering: cap of the adaptive reordering degree */
#define TCP_RACK_RECOVERY_THRESH 16 /* recoveries a D-SACK-widened reo_wnd persists (Linux, RFC 8985 6.2) */
#define TCP_RACK_TIMER_SLACK_US 2000 /* added to the RACK reordering timer (Linux: TCP_TIMEOUT_MIN, 2 jiffies) */
#define TCP_GRO_ACK_BYTES    65536    /* STACK_RX_BATCH: bytes a deferred ACK may cover (Linux's GRO
                                       * coalesces up to 64 KB into one frame, ACKed once) */
#define TCP_RMEM_MIN         4096
#define TCP_RMEM_DEFAULT     131072   /* Linux tcp_rmem[1] */
#define TCP_RMEM_MAX         6291456  /* Linux tcp_rmem[2]: also sets the window scale */
#define TCP_RCV_RTT_MIN_US   1000     /* receive autotuning's shortest measuring interval: Linux's
                                       * receiver RTT comes from 1 ms timestamp ticks, never below
                                       * one tick; a sub-ms srtt made it one read (the window stuck
                                       * at 4 reads, 512 KB) */
#define TCP_WMEM_MIN         4096
#define TCP_WMEM_DEFAULT     16384    /* Linux tcp_wmem[1] */
#define TCP_WMEM_MAX         4194304  /* Linux tcp_wmem[2] */
/* Send-buffer memory accounting (tcp_sndbuf.c), Linux's x86-64 numbers:
 * each modelled buffer ("skb") costs its payload plus TCP_SKB_OVERHEAD
 * (SKB_TRUESIZE of tcp_stream_alloc_skb's 1 KB head: 704 + 256 + 320);
 * autotuning sizes a segment's worst case as the next power of two of
 * mss + TCP_SKB_HEADROOM (MAX_TCP_HEADER 320 + skb_shared_info 320) plus
 * TCP_SKB_STRUCT (the struct sk_buff, 256). */
#define TCP_SKB_OVERHEAD     1280
#define TCP_SKB_HEADROOM     640
#define TCP_SKB_STRUCT       256
#define TCP_SIZE_GOAL_MAX    65536    /* bytes per buffer: one 64 KB TSO frame (GSO_LEGACY_MAX_SIZE) */
#define TCP_SKB_MODEL_MAX    65536    /* buffer boundaries kept per connection (beyond: merged) */
#define TCP_NOTSENT_LOWAT_DEFAULT 0xffffffffu /* Linux tcp_notsent_lowat: no limit */
#define TCP_RTO_MIN_MS       200      /* Linux; RFC 6298 says 1 s (SHOULD): see docs/rfc/rfc6298.md */
#define TCP_RTO_INIT_MS      1000     /* RFC 6298 2.1 */
#define TCP_RTO_MAX_MS       120000   /* Linux TCP_RTO_MAX */
/* When the local interface refused a segment (a full or dropping queue:
 * ENOBUFS), the probe timer retries after this long instead of backing off
 * (Linux's TCP_RESOURCE_PROBE_INTERVAL). */
#define TCP_RESOURCE_PROBE_MS 500
#define TCP_DELACK_MIN_MS    40       /* Linux TCP_DELACK_MIN: delayed ACK timer */
#define TCP_DELACK_MAX_MS    200      /* RFC 9293: < 500 ms */
#define TCP_QUICKACKS        16       /* Linux TCP_MAX_QUICKACKS: ACK at once at start */
#define TCP_MAX_SYN_BACKLOG  2048     /* SYN-RECEIVED children per listener before SYN cookies */
#define TCP_FIN_TIMEOUT_MS   60000    /* orphaned FIN_WAIT_2 lifetime (Linux tcp_fin_timeout) */
#define TCP_TIMEWAIT_MS      60000    /* TIME_WAIT length, 2*MSL (Linux TCP_TIMEWAIT_LEN) */
#define TCP_MAX_TW           131072   /* TIME_WAIT connections kept (Linux tcp_max_tw_buckets) */
#define TCP_SYN_RETRIES      6        /* Linux tcp_syn_retries */
#define TCP_SYNACK_RETRIES   5        /* Linux tcp_synack_retries */
#define TCP_RETRIES2         15       /* Linux tcp_retries2: give up after ~924 s */
#define TCP_KEEPALIVE_TIME_S       7200     /* RFC 9293: >= 2 hours */
#define TCP_KEEPALIVE_INTVL_S      75
#define TCP_KEEPALIVE_PROBES          9
#define TCP_INVALID_RATELIMIT_MS 500  /* challenge-ACK / out-of-window ACK rate limit per socket */
#define TCP_INIT_CWND        10       /* segments, RFC 6928 (Linux TCP_INIT_CWND) */
#define TCP_REORDERING       3        /* DupThresh (RFC 5681, 6675) */
#define TCP_EPHEMERAL_LO     32768    /* Linux ip_local_port_range */
#define TCP_EPHEMERAL_HI     60999
#define TCP_MSS_DEFAULT4     536      /* RFC 9293 3.7.1: no MSS option, IPv4 */
#define TCP_MSS_DEFAULT6     1220     /* ... IPv6 */
#define TCP_MIN_MSS          88       /* floor for MSS from the peer / ICMP (Linux TCP_MIN_SND_MSS 48+) */
#define TCP_CC_DEFAULT       "cubic"
#define TCP_ECN_DEFAULT      2        /* Linux tcp_ecn: accept ECN when the peer asks (RFC 3168) */
#define TCP_FASTOPEN_DEFAULT 1        /* Linux tcp_fastopen: client side on, server side off (RFC 7413) */
#define TCP_FO_CACHE_SIZE    16       /* Fast Open cookies remembered, one per server address (oldest evicted) */
#define TCP_HYSTART_DETECT   3        /* CUBIC HyStart: 1 ACK train + 2 delay (Linux hystart_detect) */
#define TCP_PSH_MARKS        16       /* PSH positions inside unacknowledged data (forced pushes in
                                       * long writes); when full, further marks are not kept */
#define TCP_TXLOG_MAX        32       /* send-time records per connection (per-ACK RTT samples for
                                       * delay-based slow-start exit); when full, later bursts are
                                       * simply not sampled */

#endif
