/* The contract between the network layer (IPv4, IPv6) and the transports
 * (ICMP, UDP, TCP, raw sockets), kept family-neutral so that one TCP engine
 * serves both.  The IP layer validates, reassembles and demultiplexes; a
 * transport gets a struct ip_rx and never looks at the IP header itself,
 * except to quote it in an ICMP error.
 */
#ifndef TAPIR_STACK_IP_H
#define TAPIR_STACK_IP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stack/addr.h"
#include "stack/pkt.h"

struct stack;

/* IP protocol numbers */
#define IPPROTO_NUM_ICMP   1
#define IPPROTO_NUM_TCP    6
#define IPPROTO_NUM_UDP    17
#define IPPROTO_NUM_ICMPV6 58

/* A datagram handed up by IPv4 or IPv6, reassembled if it was fragmented. */
struct ip_rx {
    int ifindex;
    struct ipaddr src, dst;
    uint8_t proto;             /* after IPv6 extension headers */
    uint8_t ttl;               /* TTL / hop limit */
    uint8_t tos;               /* TOS / traffic class */
    bool dst_broadcast;        /* limited or directed broadcast */
    bool dst_multicast;
    const uint8_t *l4;         /* transport header + payload */
    size_t l4_len;
    const uint8_t *ip_hdr;     /* the original IP header (for ICMP errors' quote) */
    size_t ip_hdr_len;
    bool fragmented;           /* IPv6: it carried a Fragment header (reassembled, or an
                                * atomic fragment): ND refuses such messages (RFC 6980) */
    bool link_mcast;           /* IPv6: it came in a link-layer multicast/broadcast frame
                                * (no ICMPv6 error about it: RFC 4443 2.4 e.4, e.5) */
    bool tcp_csum_ok;          /* IPv4 TCP: the link vouched for the checksum
                                * (STACK_RX_TCP4_CSUM_OK): TCP need not verify it */
};

/* What a transport asks of ip_output.  src may be unspecified: the IP layer
 * picks the source address of the outgoing interface. */
struct ip_tx {
    struct ipaddr src, dst;
    uint8_t proto;
    uint8_t ttl;               /* 0: the stack's default */
    uint8_t tos;
    bool df;                   /* IPv4 Don't Fragment (TCP sets it: PMTUD) */
    bool nofrag;               /* IPv6: never fragment at the source; larger than the
                                * path MTU is -EMSGSIZE.  TCP sets it: it sizes its
                                * segments to the path instead (RFC 8201 5.2; Linux's
                                * ip6_xmit never fragments TCP either) */
    int ifindex;               /* -1: route; >= 0 force this interface (link-local, broadcast) */
};

/* Sends p (its data starts at the transport header) over IPv4 or IPv6 as
 * tx->dst says.  Takes ownership of p.  Returns 0 or -errno (-ENETUNREACH:
 * no route, as Linux answers; -EMSGSIZE: too big with DF; -ENOBUFS: memory;
 * -EADDRNOTAVAIL: no source address).  A packet waiting for ARP counts as
 * sent (0); if the address never resolves, the transport hears of it through
 * its *_icmp_error hook (EHOSTUNREACH, soft). */
int ip_output(struct stack *st, struct pkt *p, const struct ip_tx *tx);
/* The MTU of the path to dst as the stack knows it (route MTU, or what ICMP
 * told us); 0 if there is no route. */
uint32_t ip_path_mtu(struct stack *st, const struct ipaddr *dst);
/* The offloads (NETIF_OFF_*, stack/stack.h) of the interface a packet to
 * dst leaves by (out of ifindex when >= 0); 0 when it stays in this host
 * (loopback) or there is no route.  TCP asks before it builds a TSO train,
 * and learns the path MTU the same way (*mtu, when not NULL: 0 if no route),
 * since a device cutting a train never checks the pieces against the path. */
uint32_t ip_path_offloads(struct stack *st, const struct ipaddr *dst, int ifindex, uint32_t *mtu);
/* The source address the stack would use towards dst; false if no route. */
bool ip_select_source(struct stack *st, const struct ipaddr *dst, struct ipaddr *src);
/* The same, out of interface ifindex (-1: any): an IPv6 link-local peer's
 * scope id, or a socket bound to an interface.  IPv4 ignores ifindex. */
bool ip_select_source_on(struct stack *st, const struct ipaddr *dst, int ifindex, struct ipaddr *src);

/* Is a an IPv6 address whose meaning depends on the link (link-local
 * unicast, or multicast of interface/link scope): the ones a scope id names
 * an interface for (RFC 4007 6). */
static inline bool ipaddr_is_link_scoped(const struct ipaddr *a)
{
    if (a->family != TP_AF_INET6)
        return false;
    if (a->v6[0] == 0xfe && (a->v6[1] & 0xc0) == 0x80)
        return true;
    return a->v6[0] == 0xff && (a->v6[1] & 0x0f) <= 2;
}

/* An ICMP / ICMPv6 error about a datagram we sent, decoded for the transport. */
struct icmp_error {
    struct ipaddr reporter;    /* who sent the ICMP error */
    struct ipaddr src, dst;    /* of the original datagram */
    uint8_t proto;             /* of the original datagram */
    uint8_t type, code;        /* ICMP type/code as received */
    int err;                   /* errno equivalent: ECONNREFUSED, EHOSTUNREACH, EMSGSIZE... */
    bool hard;                 /* a hard error (RFC 1122 4.2.3.9: port/protocol unreachable) */
    bool local;                /* from this host itself (its neighbour resolution gave up), not the network */
    uint32_t mtu;              /* next-hop MTU (frag needed / packet too big), else 0 */
    const uint8_t *l4;         /* start of the original transport header */
    size_t l4_len;             /* bytes of it quoted (>= 8 guaranteed) */
};

/* Transport entry points the IP layer calls (each in its own file). */
void icmp4_input(struct stack *st, const struct ip_rx *rx);
void udp_input(struct stack *st, const struct ip_rx *rx);
void tcp_input(struct stack *st, const struct ip_rx *rx);
/* Raw sockets get a copy of every datagram of their protocol; true if one
 * took it (then "protocol unreachable" is not sent). */
bool raw_input(struct stack *st, const struct ip_rx *rx);
void udp_icmp_error(struct stack *st, const struct icmp_error *e);
void tcp_icmp_error(struct stack *st, const struct icmp_error *e);

/* ICMP errors we generate (rate limited; never about ICMP errors, broadcasts
 * or fragments other than the first: RFC 1122 3.2.2). */
void icmp_send_unreachable(struct stack *st, const struct ip_rx *about, uint8_t code);

#endif
