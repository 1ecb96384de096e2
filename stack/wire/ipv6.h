/* IPv6 wire codec (RFC 8200): the fixed header, and a bounded walk of the
 * extension header chain.
 *
 * This is the only place that knows the byte layout of an IPv6 header.  The
 * parsed form (struct ip6_hdr) is host order; addresses stay as 16 bytes in
 * their natural order (stack/addr.h).
 *
 * The walk (ip6_ext_walk) stops at the first header that is not an
 * extension header it knows (the upper layer: TCP, UDP, ICMPv6, or anything
 * else), at No Next Header, or at a Fragment header that is not atomic
 * (reassembly must happen before the rest of the chain can be read).  Every
 * length is checked against what is really there; a hostile chain (too
 * long, too many headers, Hop-by-Hop not first, bad option lengths) stops the
 * walk with a verdict that says whether an ICMPv6 Parameter Problem is owed
 * and where it points.
 */
#ifndef TAPIR_STACK_WIRE_IPV6_H
#define TAPIR_STACK_WIRE_IPV6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IP6_HDR_LEN      40
#define IP6_MIN_MTU      1280   /* RFC 8200 5: every link carries this much */
#define IP6_FRAG_HDR_LEN 8

/* Next Header values (IANA "Assigned Internet Protocol Numbers"). */
#define IP6_NH_HOPOPTS   0
#define IP6_NH_TCP       6
#define IP6_NH_UDP       17
#define IP6_NH_ROUTING   43
#define IP6_NH_FRAGMENT  44
#define IP6_NH_ESP       50
#define IP6_NH_AH        51
#define IP6_NH_ICMPV6    58
#define IP6_NH_NONE      59
#define IP6_NH_DSTOPTS   60

/* Options inside Hop-by-Hop and Destination Options headers (RFC 8200 4.2). */
#define IP6_OPT_PAD1         0x00
#define IP6_OPT_PADN         0x01
#define IP6_OPT_JUMBO        0xc2  /* RFC 2675: not supported, answered as unknown */
#define IP6_OPT_ROUTER_ALERT 0x05  /* RFC 2711: MLD messages carry it */

/* The fixed header, parsed (host order). */
struct ip6_hdr {
    uint8_t tclass;            /* traffic class (DSCP + ECN) */
    uint32_t flow;             /* 20-bit flow label */
    uint16_t payload_len;      /* bytes after the fixed header */
    uint8_t next;              /* first Next Header */
    uint8_t hop_limit;
    uint8_t src[16], dst[16];
};

enum ip6_parse_err {
    IP6_OK = 0,
    IP6_ERR_SHORT = -1,        /* fewer than 40 bytes */
    IP6_ERR_VERSION = -2,      /* version field is not 6 */
    IP6_ERR_LENGTH = -3,       /* payload length runs past the buffer */
};

/* Parses the fixed header at buf.  On success h->payload_len <= len - 40
 * (bytes past it in the buffer are link padding the caller trims).  A zero
 * payload length is taken literally (jumbograms are not supported). */
int ip6_parse(const uint8_t *buf, size_t len, struct ip6_hdr *h);
/* Writes the 40-byte fixed header. */
void ip6_emit(uint8_t *buf, const struct ip6_hdr *h);

/* Address classes (RFC 4291 2.4). */
bool ip6_is_unspecified(const uint8_t a[16]);
bool ip6_is_loopback(const uint8_t a[16]);
bool ip6_is_multicast(const uint8_t a[16]);
bool ip6_is_linklocal(const uint8_t a[16]);          /* fe80::/10 */
bool ip6_is_v4mapped(const uint8_t a[16]);           /* ::ffff:0:0/96 */
/* Multicast scope (the low nibble of the second byte); 0 for unicast. */
unsigned ip6_mcast_scope(const uint8_t a[16]);
/* Solicited-node multicast address of a (RFC 4291 2.7.1): ff02::1:ffXX:XXXX. */
void ip6_solicited_node(const uint8_t a[16], uint8_t out[16]);
bool ip6_is_solicited_node(const uint8_t a[16]);
/* Ethernet destination for an IPv6 multicast address (RFC 2464 7): 33:33 + low 32 bits. */
void ip6_mcast_mac(const uint8_t a[16], uint8_t mac[6]);
/* Do the first prefix_len bits of a and b agree? */
bool ip6_prefix_eq(const uint8_t a[16], const uint8_t b[16], unsigned prefix_len);
/* Well-known addresses. */
extern const uint8_t ip6_all_nodes[16];      /* ff02::1 */
extern const uint8_t ip6_all_routers[16];    /* ff02::2 */
extern const uint8_t ip6_all_mldv2_routers[16]; /* ff02::16 */

/* The Fragment header (RFC 8200 4.5), parsed. */
struct ip6_frag {
    uint8_t next;              /* Next Header of the fragmentable part */
    uint16_t offset;           /* in bytes (the wire field x 8) */
    bool more;                 /* M flag */
    uint32_t id;
};
/* Parses 8 bytes at buf. -1 if fewer than 8. */
int ip6_frag_parse(const uint8_t *buf, size_t len, struct ip6_frag *f);
void ip6_frag_emit(uint8_t *buf, const struct ip6_frag *f);

/* What the extension header walk found. */
enum ip6_ext_verdict {
    IP6_EXT_OK = 0,            /* reached the upper layer (or No Next Header) */
    IP6_EXT_FRAGMENT,          /* stopped at a non-atomic Fragment header: reassemble */
    IP6_EXT_DROP,              /* drop silently (counted by the caller) */
    IP6_EXT_PARAM_PROBLEM,     /* drop and send Parameter Problem (code, pointer) */
};

/* Limits on a chain we are willing to walk.  A legitimate packet has a
 * handful of extension headers; these stop quadratic work and deep chains. */
#define IP6_EXT_MAX_HDRS    8     /* extension headers per packet */
#define IP6_EXT_MAX_PAD     7     /* consecutive padding bytes inside an options header
                                   * (RFC 8200 4.2: alignment never needs more) */

struct ip6_ext {
    enum ip6_ext_verdict verdict;
    uint8_t proto;             /* upper-layer Next Header when OK; IP6_NH_FRAGMENT when FRAGMENT */
    size_t l4_off;             /* offset (from the IPv6 header) of the upper layer / fragment header */
    size_t nh_off;             /* offset of the byte that named `proto` (for Parameter Problem code 1) */
    int n_hdrs;                /* extension headers walked */
    bool router_alert;         /* a Hop-by-Hop Router Alert option was present */
    bool had_atomic_frag;      /* an atomic fragment header (offset 0, M 0) was skipped (RFC 6946) */
    bool had_routing;
    /* Valid when verdict is IP6_EXT_FRAGMENT (or had_atomic_frag). */
    struct ip6_frag frag;
    size_t frag_off;           /* offset of the Fragment header */
    /* Valid when verdict is IP6_EXT_PARAM_PROBLEM: the ICMPv6 code (0 erroneous header
     * field, 1 unrecognized Next Header, 2 unrecognized option) and pointer (an offset
     * from the IPv6 header). `even_if_multicast`: code 2 for an option type whose two
     * high bits are 10 is sent even to a multicast destination (RFC 8200 4.2). */
    uint8_t pp_code;
    uint32_t pp_pointer;
    bool pp_even_if_multicast;
};

/* Upper layers the caller handles: the walk stops at these (and at
 * anything it does not recognize as an extension header). */
/* Walks the chain of the packet `pkt` (starting at its fixed IPv6 header,
 * `len` bytes = 40 + payload length), beginning with Next Header `first`
 * found at `start` (40 for a fresh packet; after reassembly the caller
 * restarts behind the Fragment header).  `dst_multicast` decides whether an
 * unknown option of type 11xxxxxx earns a Parameter Problem. */
void ip6_ext_walk(const uint8_t *pkt, size_t len, uint8_t first, size_t start, size_t first_nh_off,
                  bool dst_multicast, struct ip6_ext *out);

/* Skips the extension headers of a whole packet without judging their
 * contents (the way to find "what is this packet" when deciding whether an
 * ICMPv6 error may be sent about it).  Returns the offset of the upper layer
 * and sets *proto; returns 0 if the chain is truncated, too long, or meets a
 * non-first fragment. */
size_t ip6_skip_ext(const uint8_t *pkt, size_t len, uint8_t *proto);

/* Is nh an extension header the walk knows? */
bool ip6_nh_is_ext(uint8_t nh);

#endif
