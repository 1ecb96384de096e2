/* What the rest of the stack calls in the IPv6 module (stack/ip6*.c).
 * Until IPv6 lands, stack/ip6_placeholder.c provides stubs that count and
 * drop; the IPv6 module replaces that file and implements these. */
#ifndef TAPIR_STACK_IP6_H
#define TAPIR_STACK_IP6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stack/addr.h"
#include "stack/ip.h"
#include "stack/pkt.h"

struct stack;

/* An IPv6 packet (starting at its IPv6 header; Ethernet already removed)
 * arrived on ifindex.  Borrowed bytes. */
void ip6_input(struct stack *st, int ifindex, const uint8_t *pkt, size_t len, bool link_mcast);
/* IPv6 half of ip_output(): same contract. */
int ip6_output(struct stack *st, struct pkt *p, const struct ip_tx *tx);
/* IPv6 halves of ip_path_mtu() and ip_select_source(). */
uint32_t ip6_path_mtu(struct stack *st, const struct ipaddr *dst);
uint32_t ip6_path_offloads(struct stack *st, const struct ipaddr *dst, int ifindex, uint32_t *mtu);
bool ip6_select_source(struct stack *st, const struct ipaddr *dst, struct ipaddr *src);
bool ip6_select_source_on(struct stack *st, const struct ipaddr *dst, int ifindex, struct ipaddr *src);
/* icmp_send_unreachable() for an IPv6 datagram.  code is the ICMPv4 code the
 * transport asked for (ICMP_PORT_UNREACH 3 -> ICMPv6 type 1 code 4;
 * ICMP_PROTO_UNREACH 2 -> Parameter Problem code 1); the IPv6 module maps it. */
void icmp6_send_unreachable(struct stack *st, const struct ip_rx *about, uint8_t code);

/* ---- The IPv6 module's public face (beyond what stack.c calls) ---- */

/* Address states (RFC 4862 5.4, 5.5.4). */
#define IP6_ADDR_TENTATIVE  0  /* DAD running: not used, packets to it dropped */
#define IP6_ADDR_PREFERRED  1
#define IP6_ADDR_DEPRECATED 2  /* still valid, not chosen for new communication */
#define IP6_ADDR_DUPLICATE  3  /* DAD found another node using it: never used */
/* Where an address came from. */
#define IP6_ORIGIN_LINKLOCAL 0
#define IP6_ORIGIN_STATIC    1
#define IP6_ORIGIN_SLAAC     2
#define IP6_ORIGIN_LOOPBACK  3

/* What the IPv6 module is told to do; the sysctl-like knobs Linux has under
 * net.ipv6.conf.*.  Read by stack_ip6_settings(); change before interfaces
 * come up. */
struct ip6_settings {
    bool enabled;              /* IPv6 on new interfaces (default on, like Linux) */
    bool eui64;                /* link-local / SLAAC interface ids from the MAC (RFC 4291
                                * appendix A) instead of stable opaque ids (RFC 7217, default) */
    bool accept_ra;            /* process Router Advertisements (default on) */
    bool autoconf;             /* form SLAAC addresses from RA prefixes (default on) */
    bool accept_redirects;     /* default on */
    uint8_t dad_transmits;     /* DupAddrDetectTransmits (RFC 4862: 1); 0 = no DAD */
    uint8_t default_hop_limit; /* 64 */
    uint32_t rs_delay_max_ms;  /* MAX_RTR_SOLICITATION_DELAY (1 s) before the first RS / DAD NS */
};

/* One address as the IPv6 module holds it (stack_ip6_addrs). */
struct ip6_addr_info {
    int ifindex;
    uint8_t addr[16];
    uint8_t prefix_len;
    uint8_t state;             /* IP6_ADDR_* */
    uint8_t origin;            /* IP6_ORIGIN_* */
    uint64_t valid_until, preferred_until;  /* µs, UINT64_MAX: forever */
};

/* Neighbour cache states (RFC 4861 7.3.2) for stack_ip6_neighbour(). */
#define ND_INCOMPLETE 1
#define ND_REACHABLE  2
#define ND_STALE      3
#define ND_DELAY      4
#define ND_PROBE      5

#endif
