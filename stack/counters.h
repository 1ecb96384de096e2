/* Counters for every packet the stack handled and every reason it dropped
 * one, like `netstat -s`.  Each line: X(name, "description").  Add a counter
 * here and it appears in the struct, in tapir-up's exit report and in
 * tapir_counters_format() with no other change.
 */
#ifndef TAPIR_STACK_COUNTERS_H
#define TAPIR_STACK_COUNTERS_H

#include <stdint.h>

#define TAPIR_COUNTERS(X)                                                                          \
    /* link */                                                                                     \
    X(eth_rx_frames, "frames received")                                                            \
    X(eth_rx_bytes, "bytes received")                                                              \
    X(eth_tx_frames, "frames sent")                                                                \
    X(eth_tx_bytes, "bytes sent")                                                                  \
    X(eth_rx_short, "frames dropped: shorter than an Ethernet header")                             \
    X(eth_rx_not_for_us, "frames dropped: destination MAC not ours")                               \
    X(eth_rx_unknown_type, "frames dropped: unknown EtherType")                                    \
    X(eth_tx_errors, "frames the device refused")                                                  \
    /* ARP */                                                                                      \
    X(arp_rx, "ARP packets received")                                                              \
    X(arp_rx_bad, "ARP packets dropped: malformed")                                                \
    X(arp_rx_not_for_us, "ARP packets ignored: target not ours")                                   \
    X(arp_rx_requests, "ARP requests received")                                                    \
    X(arp_rx_replies, "ARP replies received")                                                      \
    X(arp_tx_requests, "ARP requests sent")                                                        \
    X(arp_tx_replies, "ARP replies sent")                                                          \
    X(arp_tx_gratuitous, "gratuitous ARPs sent")                                                   \
    X(arp_cache_evictions, "ARP entries evicted: cache full")                                      \
    X(arp_pending_drops, "packets dropped: ARP pending queue full")                                \
    X(arp_unresolved, "packets dropped: address did not resolve")                                  \
    X(arp_polls_failed, "ARP entries forgotten: unicast polls unanswered")                         \
    /* IPv4 */                                                                                     \
    X(ip_rx, "IPv4 packets received")                                                              \
    X(ip_rx_bad_version, "IPv4 dropped: bad version")                                              \
    X(ip_rx_bad_header, "IPv4 dropped: bad header length or options")                              \
    X(ip_rx_bad_length, "IPv4 dropped: total length vs frame")                                     \
    X(ip_rx_bad_checksum, "IPv4 dropped: bad header checksum")                                     \
    X(ip_rx_bad_source, "IPv4 dropped: martian source address")                                    \
    X(ip_rx_not_for_us, "IPv4 dropped: not addressed to us")                                       \
    X(ip_rx_source_route, "IPv4 dropped: source route not completed (we do not forward)")          \
    X(ip_rx_unknown_proto, "IPv4 dropped: unknown protocol")                                       \
    X(ip_rx_delivered, "IPv4 packets delivered to upper layers")                                   \
    X(ip_tx, "IPv4 packets sent")                                                                  \
    X(ip_tx_no_route, "IPv4 output dropped: no route")                                             \
    X(ip_tx_errors, "IPv4 output dropped: other errors")                                           \
    X(ip_frag_created, "IPv4 fragments created")                                                   \
    X(ip_frag_df_drops, "IPv4 output dropped: too big with DF set")                                \
    X(ip_reass_fragments, "IPv4 fragments received")                                               \
    X(ip_reass_ok, "IPv4 datagrams reassembled")                                                   \
    X(ip_reass_timeouts, "IPv4 reassemblies timed out")                                            \
    X(ip_reass_overlaps, "IPv4 fragments dropped: inconsistent overlap")                           \
    X(ip_reass_over_cap, "IPv4 fragments dropped: reassembly memory cap")                          \
    X(ip_reass_bad, "IPv4 fragments dropped: malformed")                                           \
    X(ip_reass_dups, "IPv4 fragments that duplicated bytes we had (accepted)")                     \
    /* ICMP */                                                                                     \
    X(icmp_rx, "ICMP messages received")                                                           \
    X(icmp_rx_bad, "ICMP dropped: short or bad checksum")                                          \
    X(icmp_rx_echo_requests, "ICMP echo requests received")                                        \
    X(icmp_rx_echo_replies, "ICMP echo replies received")                                          \
    X(icmp_rx_errors, "ICMP error messages received")                                              \
    X(icmp_rx_ignored, "ICMP messages ignored: redirect, source quench, other types")              \
    X(icmp_tx, "ICMP messages sent")                                                               \
    X(icmp_tx_echo_replies, "ICMP echo replies sent")                                              \
    X(icmp_tx_unreachables, "ICMP destination unreachables sent")                                  \
    X(icmp_tx_ratelimited, "ICMP errors not sent: rate limit")                                     \
    /* UDP */                                                                                      \
    X(udp_rx, "UDP datagrams received")                                                            \
    X(udp_rx_bad, "UDP dropped: short, bad length or bad checksum")                                \
    X(udp_rx_no_port, "UDP dropped: no socket on the port")                                        \
    X(udp_rx_queue_full, "UDP dropped: receive queue full")                                        \
    X(udp_tx, "UDP datagrams sent")                                                                \
    X(raw_rx_queue_full, "raw socket copies dropped: receive queue full")                          \
    /* TCP */                                                                                      \
    X(tcp_rx_segments, "TCP segments received")                                                    \
    X(tcp_rx_bad, "TCP dropped: short, bad offset or bad checksum")                                \
    X(tcp_rx_no_socket, "TCP segments for no socket (answered with RST)")                          \
    X(tcp_tx_segments, "TCP segments sent")                                                        \
    X(tcp_tx_tso_trains, "TCP super-segments sent (TSO trains, one device write each)")            \
    X(tcp_tx_tso_segments, "TCP segments sent inside TSO trains")                                  \
    X(tcp_tx_tso_refused, "TCP trains (TSO or single) the device refused: data steps back")        \
    X(tcp_retransmits, "TCP segments retransmitted")                                               \
    X(tcp_active_opens, "TCP active opens")                                                        \
    X(tcp_passive_opens, "TCP passive opens")                                                      \
    X(tcp_attempt_fails, "TCP connection attempts failed")                                         \
    X(tcp_estab_resets, "TCP connections reset")                                                   \
    X(tcp_rst_tx, "TCP resets sent")                                                               \
    X(tcp_rx_bad_csum, "TCP dropped: bad checksum")                                                \
    X(tcp_rx_bad_ack, "TCP ACKs outside SND.UNA-MAX.SND.WND..SND.NXT (RFC 5961 5)")               \
    X(tcp_rx_paws, "TCP segments dropped by PAWS (RFC 7323)")                                      \
    X(tcp_rx_out_of_window, "TCP segments outside the receive window")                             \
    X(tcp_rx_challenge, "TCP in-window RST/SYN answered with a challenge ACK (RFC 5961)")          \
    X(tcp_ecn_negotiated, "TCP connections that negotiated ECN (RFC 3168)")                         \
    X(tcp_ecn_ce_received, "TCP data segments received marked CE (congestion experienced)")         \
    X(tcp_ecn_reductions, "TCP window reductions for an ECN echo (ECE)")                            \
    X(tcp_rx_ooo, "TCP segments received out of order")                                           \
    X(tcp_rx_ooo_drops, "TCP out-of-order segments dropped: range cap")                            \
    X(tcp_rx_mem_drops, "TCP segments dropped: no buffer memory")                                  \
    X(tcp_listen_drops, "TCP SYNs dropped: listen queues full")                                    \
    X(tcp_syncookies_sent, "TCP SYN cookies sent")                                                 \
    X(tcp_syncookies_recv, "TCP SYN cookies validated")                                            \
    X(tcp_tlp_probes, "TCP tail loss probes sent (RFC 8985)")                                      \
    /* IPv6 */                                                                                     \
    X(ip6_rx, "IPv6 packets received")                                                             \
    X(ip6_rx_bad, "IPv6 dropped: malformed")                                                       \
    X(ip6_tx, "IPv6 packets sent")                                                                 \
    X(ip6_rx_bad_version, "IPv6 dropped: bad version")                                             \
    X(ip6_rx_bad_length, "IPv6 dropped: payload length vs frame")                                  \
    X(ip6_rx_bad_source, "IPv6 dropped: multicast or martian source")                              \
    X(ip6_rx_not_for_us, "IPv6 dropped: not addressed to us")                                      \
    X(ip6_rx_tentative, "IPv6 dropped: addressed to a tentative address")                          \
    X(ip6_rx_bad_ext, "IPv6 dropped: bad extension header chain")                                  \
    X(ip6_rx_unknown_proto, "IPv6 dropped: unknown Next Header")                                   \
    X(ip6_rx_delivered, "IPv6 packets delivered to upper layers")                                  \
    X(ip6_tx_no_route, "IPv6 output dropped: no route")                                            \
    X(ip6_tx_no_source, "IPv6 output dropped: no usable source address")                           \
    X(ip6_tx_errors, "IPv6 output dropped: other errors")                                          \
    X(ip6_tx_too_big, "IPv6 output refused: larger than the path MTU, not to be fragmented (TCP)") \
    X(ip6_frag_created, "IPv6 fragments created")                                                  \
    X(ip6_pmtu_updates, "IPv6 path MTUs lowered by Packet Too Big")                                \
    X(ip6_reass_fragments, "IPv6 fragments received")                                              \
    X(ip6_reass_atomic, "IPv6 atomic fragments processed whole (RFC 6946)")                        \
    X(ip6_reass_ok, "IPv6 datagrams reassembled")                                                  \
    X(ip6_reass_timeouts, "IPv6 reassemblies timed out")                                           \
    X(ip6_reass_overlaps, "IPv6 datagrams dropped: overlapping fragments (RFC 5722)")              \
    X(ip6_reass_duplicates, "IPv6 fragments dropped: exact duplicates")                            \
    X(ip6_reass_over_cap, "IPv6 fragments dropped: reassembly memory cap")                         \
    X(ip6_reass_bad, "IPv6 fragments dropped: malformed")                                          \
    X(ip6_reass_incomplete_chain, "IPv6 first fragments dropped: headers incomplete (RFC 7112)")   \
    /* ICMPv6 */                                                                                   \
    X(icmp6_rx, "ICMPv6 messages received")                                                        \
    X(icmp6_rx_bad, "ICMPv6 dropped: short or bad checksum")                                       \
    X(icmp6_rx_echo_requests, "ICMPv6 echo requests received")                                     \
    X(icmp6_rx_echo_replies, "ICMPv6 echo replies received")                                       \
    X(icmp6_rx_errors, "ICMPv6 error messages received")                                           \
    X(icmp6_rx_ptb, "ICMPv6 packet too big received")                                              \
    X(icmp6_tx, "ICMPv6 messages sent")                                                            \
    X(icmp6_tx_echo_replies, "ICMPv6 echo replies sent")                                           \
    X(icmp6_tx_errors, "ICMPv6 errors sent")                                                       \
    X(icmp6_tx_ratelimited, "ICMPv6 errors not sent: rate limit")                                  \
    X(icmp6_tx_suppressed, "ICMPv6 errors not sent: about an error, multicast or :: (RFC 4443)")   \
    /* Neighbor Discovery, SLAAC, MLD */                                                           \
    X(nd_rx_bad, "ND messages dropped: invalid (hop limit, code, length, options, source)")       \
    X(nd_rx_fragmented, "ND messages dropped: carried in fragments (RFC 6980)")                    \
    X(nd_rx_ns, "neighbour solicitations received")                                                \
    X(nd_rx_na, "neighbour advertisements received")                                               \
    X(nd_rx_rs, "router solicitations received (ignored: we are a host)")                         \
    X(nd_rx_ra, "router advertisements received")                                                  \
    X(nd_rx_redirects, "redirects received")                                                       \
    X(nd_tx_ns, "neighbour solicitations sent")                                                    \
    X(nd_tx_na, "neighbour advertisements sent")                                                   \
    X(nd_tx_rs, "router solicitations sent")                                                       \
    X(nd_cache_evictions, "neighbour entries evicted: cache full")                                 \
    X(nd_pending_drops, "packets dropped: ND pending queue full")                                  \
    X(nd_unresolved, "packets dropped: neighbour did not resolve")                                 \
    X(nd_dad_started, "duplicate address detections started")                                     \
    X(nd_dad_ok, "addresses that passed DAD")                                                      \
    X(nd_dad_duplicates, "addresses found duplicate by DAD")                                       \
    X(slaac_addrs, "addresses formed by SLAAC")                                                    \
    X(mld_rx_queries, "MLD queries received")                                                      \
    X(mld_tx_reports, "MLD reports sent")                                                          \
    /* AF_UNIX (no wire: what the local sockets did) */                                          \
    X(unix_connects, "AF_UNIX stream connections made")                                            \
    X(unix_refused, "AF_UNIX connects refused: no such name, not listening, wrong type")          \
    X(unix_backlog_full, "AF_UNIX connects that found the listener's backlog full")                \
    X(unix_stream_bytes, "AF_UNIX stream bytes passed")                                            \
    X(unix_dgrams, "AF_UNIX datagrams passed")                                                     \
    X(unix_dgram_queue_full, "AF_UNIX datagram sends that found the receiver's queue full")

struct tapir_counters {
#define TAPIR_COUNTER_FIELD(name, desc) uint64_t name;
    TAPIR_COUNTERS(TAPIR_COUNTER_FIELD)
#undef TAPIR_COUNTER_FIELD
};

/* Gauges: how much state the stack holds right now.  Unlike the counters
 * above (monotonic: "how many ever"), a gauge goes up when state is created
 * and down when it goes, so a program that opened and closed everything must
 * read zeros again: a non-zero gauge at rest is a leak.  Each line:
 * X(name, "description"); read with tapir_runner_gauges(). */
#define TAPIR_GAUGES(X)                                                                            \
    X(tcp_cbs, "TCP control blocks allocated (sockets, connections, TIME_WAIT)")                   \
    X(tcp_conns, "TCP connections in the 4-tuple table (SYN_SENT to TIME_WAIT)")                   \
    X(tcp_timewait, "TCP connections in TIME_WAIT")                                                \
    X(tcp_synq, "TCP SYN_RECEIVED children in listeners' SYN queues")                              \
    X(tcp_acceptq, "TCP established children waiting for accept()")                               \
    X(tcp_listeners, "TCP listening sockets")                                                      \
    X(tcp_port_binds, "TCP local ports held (bound, listening or connected sockets)")

struct tapir_gauges {
#define TAPIR_GAUGE_FIELD(name, desc) uint64_t name;
    TAPIR_GAUGES(TAPIR_GAUGE_FIELD)
#undef TAPIR_GAUGE_FIELD
};

#endif
