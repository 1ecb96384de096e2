/* The IPv6 module's own state and the calls between its files:
 *   ip6.c        input validation, extension headers, demux; output, routes,
 *                source selection, fragmentation, path MTU
 *   ip6_reass.c  fragment reassembly (RFC 8200 4.5, RFC 5722)
 *   icmp6.c      ICMPv6 (RFC 4443): echo, errors in and out, MLD
 *   nd.c         Neighbor Discovery (RFC 4861): the neighbour cache, NS/NA,
 *                RS/RA, redirects
 *   slaac.c      addresses (RFC 4862, RFC 7217): link-local, static, SLAAC,
 *                DAD, lifetimes
 * The rest of the stack sees only stack/ip6.h and the stack_*ip6* calls in
 * stack/stack.h.
 */
#ifndef TAPIR_STACK_IP6_INT_H
#define TAPIR_STACK_IP6_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stack/config.h"
#include "stack/ip.h"
#include "stack/ip6.h"
#include "stack/pkt.h"
#include "stack/timer.h"
#include "stack/wire/icmpv6.h"
#include "stack/wire/ipv6.h"

struct stack;

/* ---- addresses (slaac.c) ---- */

struct ip6_ifaddr {
    bool used;
    uint8_t addr[16];
    uint8_t prefix_len;
    uint8_t state;             /* IP6_ADDR_* (stack.h) */
    uint8_t origin;            /* IP6_ORIGIN_* (stack.h) */
    int ifindex;
    uint64_t valid_until;      /* µs; UINT64_MAX: forever */
    uint64_t preferred_until;
    int dad_left;              /* DAD probes still to send */
    int dad_counter;           /* RFC 7217 DAD_Counter (regenerations after conflicts) */
    uint8_t dad_nonce[6];      /* RFC 7527: tells our own looped-back NS from another node's */
    struct timer dad_timer;
    struct timer life_timer;
};

/* ---- routes (ip6.c) ---- */

#define IP6_ROUTE_STATIC   0   /* added by the user */
#define IP6_ROUTE_CONNECTED 1  /* the prefix of an address we hold */
#define IP6_ROUTE_RA_PREFIX 2  /* on-link prefix learned from an RA */
#define IP6_ROUTE_RA_DEFAULT 3 /* default router learned from an RA */
#define IP6_ROUTE_REDIRECT 4   /* host route learned from a Redirect */

struct ip6_route {
    bool used;
    uint8_t dest[16];
    uint8_t prefix_len;
    bool has_gw;
    uint8_t gw[16];
    int ifindex;
    uint8_t origin;
    uint64_t expires;          /* µs; UINT64_MAX: never */
};

/* ---- per interface ---- */

struct ip6_netif {
    bool enabled;
    int ifindex;
    struct ip6_ifaddr addrs[IP6_MAX_IF_ADDRS];
    uint32_t mtu;              /* IPv6 link MTU (link MTU, or an RA's MTU option) */
    uint8_t cur_hop_limit;     /* from RAs; default IP6_DEFAULT_HOP_LIMIT */
    uint32_t base_reachable_ms, reachable_ms, retrans_ms;
    int rs_left;               /* router solicitations still to send */
    bool got_ra;
    struct timer rs_timer;
    /* Multicast groups a socket joined (besides all-nodes and solicited-node). */
    uint8_t groups[IP6_MAX_MCAST_GROUPS][16];
    int n_groups;
};

struct ip6_pmtu {
    bool used;
    uint8_t dst[16];
    uint32_t mtu;
    uint64_t expires;
};

struct nd_cache;    /* nd.c */
struct ip6_reass;   /* ip6_reass.c */

struct ip6_state {
    struct ip6_netif nif[TAPIR_MAX_NETIFS];
    struct ip6_route routes[IP6_MAX_ROUTES];
    struct ip6_pmtu pmtu[IP6_PMTU_CACHE];
    struct nd_cache *nd;
    struct ip6_reass *reass;
    uint32_t frag_id;
    /* ICMPv6 error token bucket (RFC 4443 2.4 (f)) */
    uint64_t tokens_at;
    uint32_t tokens;
    struct ip6_settings set;
};

/* The IPv6 state, created on first use (NULL only when memory is out). */
struct ip6_state *ip6_state(struct stack *st);
struct ip6_netif *ip6_netif(struct stack *st, int ifindex);  /* NULL if no such interface */

/* ip6.c */
/* Builds the IPv6 header in front of p and sends it on ifindex to nexthop
 * (resolving it with ND); used by ND/MLD for packets that pick their own
 * interface and addresses.  hbh_router_alert adds a Hop-by-Hop header with
 * the Router Alert option (MLD). Takes p. */
int ip6_send_on(struct stack *st, int ifindex, struct pkt *p, const uint8_t src[16],
                const uint8_t dst[16], uint8_t proto, uint8_t hop_limit, bool hbh_router_alert);
/* Sends an already-built IPv6 packet (data at its header) on ifindex to the
 * link-layer neighbour of nexthop; multicast needs no resolution. */
int ip6_link_send(struct stack *st, int ifindex, const uint8_t nexthop[16], struct pkt *p);
void ip6_pmtu_update(struct stack *st, const uint8_t dst[16], uint32_t mtu);
int ip6_route_add(struct stack *st, const uint8_t dest[16], uint8_t prefix_len, const uint8_t *gw,
                  int ifindex, uint8_t origin, uint64_t expires);
void ip6_route_del(struct stack *st, const uint8_t dest[16], uint8_t prefix_len, const uint8_t *gw,
                   int ifindex, uint8_t origin);
/* The first-hop router currently used for dst (for Redirect validation). */
bool ip6_route_lookup(struct stack *st, const uint8_t dst[16], int *ifindex, uint8_t nexthop[16]);
/* Is a one of ours (any state but duplicate); *tentative tells if not yet usable. */
struct ip6_ifaddr *ip6_find_addr(struct stack *st, int ifindex, const uint8_t a[16]);
struct ip6_ifaddr *ip6_find_addr_any(struct stack *st, const uint8_t a[16]);
/* A usable (preferred, else deprecated) source address on ifindex for dst. */
bool ip6_source_for(struct stack *st, int ifindex, const uint8_t dst[16], uint8_t out[16]);
bool ip6_is_joined(struct stack *st, int ifindex, const uint8_t group[16]);

/* ip6_reass.c */
int ip6_reass_init(struct stack *st);
void ip6_reass_destroy(struct stack *st);
/* One fragment: pkt is the whole packet (40 + payload), x the walk that
 * stopped at its Fragment header. 1: complete, *out (malloc'd, a whole
 * packet without the Fragment header, Next Header patched) and *out_len
 * belong to the caller, and *resume_off / *resume_nh_off say where the walk
 * goes on.  0: held.  < 0: dropped (counted; -EINVAL with a Parameter
 * Problem already sent where one is due). */
int ip6_reass_input(struct stack *st, int ifindex, const uint8_t *pkt, size_t len, bool link_mcast,
                    const struct ip6_ext *x, uint8_t **out, size_t *out_len, size_t *resume_off,
                    size_t *resume_nh_off);
/* Bytes held / datagrams being reassembled (tests). */
size_t ip6_reass_bytes(struct stack *st);
size_t ip6_reass_count(struct stack *st);

/* icmp6.c */
void icmp6_input(struct stack *st, const struct ip_rx *rx);
/* An ICMPv6 error about the packet pkt[0..len) that arrived on ifindex
 * (link_mcast: in a link-layer multicast or broadcast frame).  Every rule of
 * RFC 4443 2.4 (e) and the rate limit apply; true if sent. */
bool icmp6_send_error(struct stack *st, int ifindex, const uint8_t *pkt, size_t len, bool link_mcast,
                      uint8_t type, uint8_t code, uint32_t param);
/* Sends an MLDv2 report of every group joined on ifindex (on join and in
 * answer to a query). */
void mld_report(struct stack *st, int ifindex);

/* nd.c */
int nd_init(struct stack *st);
void nd_destroy(struct stack *st);
void nd_input(struct stack *st, const struct ip_rx *rx, uint8_t type);
/* Sends p (data at its IPv6 header) to the neighbour nexthop on ifindex:
 * at once when its link address is known, else after resolution (p waits
 * in a bounded queue).  Takes p.  0 sent or queued, -errno dropped. */
int nd_resolve_send(struct stack *st, int ifindex, const uint8_t nexthop[16], struct pkt *p);
void nd_send_ns(struct stack *st, int ifindex, const uint8_t target[16], const uint8_t *src,
                const uint8_t dst[16], const uint8_t *nonce);
void nd_send_rs(struct stack *st, int ifindex);
void nd_netif_up(struct stack *st, int ifindex);
/* Forget every neighbour and queued packet learned on ifindex. */
void nd_flush(struct stack *st, int ifindex);

/* slaac.c */
/* Add an address in its first state (tentative, DAD scheduled; or
 * preferred at once where DAD does not apply). */
int slaac_addr_add(struct stack *st, int ifindex, const uint8_t addr[16], uint8_t prefix_len,
                   uint8_t origin, uint32_t valid_s, uint32_t preferred_s);
/* DAD hooks called by nd.c: an NS or NA for a tentative address. */
void slaac_dad_ns(struct stack *st, struct ip6_ifaddr *a, const uint8_t *nonce, size_t nonce_len);
void slaac_dad_na(struct stack *st, struct ip6_ifaddr *a);
/* Prefix Information from a Router Advertisement (RFC 4862 5.5.3). */
void slaac_prefix(struct stack *st, int ifindex, const struct nd_prefix *pi);
void slaac_netif_up(struct stack *st, int ifindex);
/* The interface identifier for prefix on ifindex (RFC 7217 or EUI-64). */
void slaac_make_iid(struct stack *st, int ifindex, const uint8_t prefix[16], int dad_counter,
                    uint8_t out[16]);

/* Lifetimes in seconds from RAs to absolute µs deadlines. */
static inline uint64_t ip6_deadline(uint64_t now, uint32_t seconds)
{
    return seconds == 0xffffffffu ? UINT64_MAX : now + (uint64_t)seconds * 1000000u;
}

#endif
