/* ICMPv6 wire codec (RFC 4443), Neighbor Discovery messages and options
 * (RFC 4861, RFC 7527 nonce), and MLDv2 (RFC 3810) as far as a host needs.
 *
 * Parsing validates everything that can be judged from the message bytes
 * alone (length, code, option lengths, target not multicast ...).  Checks
 * that need the IP header (hop limit 255, source address rules) are the
 * caller's: stack/nd.c does them.  Parsed forms are host order; addresses
 * stay 16 bytes, link-layer addresses 6 bytes (Ethernet).  Emitters write
 * the message with a zero checksum; icmp6_set_checksum() finishes it once
 * the IPv6 addresses are known.
 */
#ifndef TAPIR_STACK_WIRE_ICMPV6_H
#define TAPIR_STACK_WIRE_ICMPV6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ICMP6_HDR_LEN 8

/* Types (RFC 4443 2.1, 4861 4, 2710, 3810). */
#define ICMP6_DST_UNREACH      1
#define ICMP6_PACKET_TOO_BIG   2
#define ICMP6_TIME_EXCEEDED    3
#define ICMP6_PARAM_PROBLEM    4
#define ICMP6_ECHO_REQUEST     128
#define ICMP6_ECHO_REPLY       129
#define ICMP6_MLD_QUERY        130
#define ICMP6_MLD_REPORT       131
#define ICMP6_MLD_DONE         132
#define ICMP6_ND_RS            133
#define ICMP6_ND_RA            134
#define ICMP6_ND_NS            135
#define ICMP6_ND_NA            136
#define ICMP6_ND_REDIRECT      137
#define ICMP6_MLD2_REPORT      143

/* Destination Unreachable codes */
#define ICMP6_UNREACH_NOROUTE  0
#define ICMP6_UNREACH_ADMIN    1
#define ICMP6_UNREACH_BEYOND   2
#define ICMP6_UNREACH_ADDR     3
#define ICMP6_UNREACH_PORT     4
/* Time Exceeded codes */
#define ICMP6_TIMEX_HOPLIMIT   0
#define ICMP6_TIMEX_REASS      1
/* Parameter Problem codes */
#define ICMP6_PARAMPROB_HEADER     0
#define ICMP6_PARAMPROB_NEXTHEADER 1
#define ICMP6_PARAMPROB_OPTION     2
#define ICMP6_PARAMPROB_FIRSTFRAG  3  /* RFC 7112: incomplete header chain */

static inline bool icmp6_is_error(uint8_t type) { return type < 128; }

/* The first 8 bytes of every ICMPv6 message.  `data` is the 4 bytes after
 * the checksum: the MTU of Packet Too Big, the pointer of Parameter
 * Problem, id << 16 | seq of Echo, flags/reserved for ND. */
struct icmp6_hdr {
    uint8_t type, code;
    uint16_t checksum;
    uint32_t data;
};

enum icmp6_parse_err {
    ICMP6_OK = 0,
    ICMP6_ERR_SHORT = -1,
    ICMP6_ERR_CHECKSUM = -2,
    ICMP6_ERR_CODE = -3,       /* ND / MLD message with code != 0 */
    ICMP6_ERR_LENGTH = -4,     /* shorter than its type requires */
    ICMP6_ERR_OPTION = -5,     /* an option of length 0, or running past the end */
    ICMP6_ERR_FIELD = -6,      /* a field with a forbidden value (multicast target ...) */
};

/* The checksum over the pseudo-header (RFC 8200 8.1) and msg[0..len); the
 * checksum field is included, so a correct message sums to 0. */
uint16_t icmp6_checksum(const uint8_t src[16], const uint8_t dst[16], const uint8_t *msg, size_t len);
void icmp6_set_checksum(uint8_t *msg, size_t len, const uint8_t src[16], const uint8_t dst[16]);
/* Parses the header; with src/dst non-NULL, verifies the checksum too. */
int icmp6_parse(const uint8_t *msg, size_t len, const uint8_t *src, const uint8_t *dst,
                struct icmp6_hdr *h);
void icmp6_emit_hdr(uint8_t *msg, const struct icmp6_hdr *h);

/* Echo request / reply: header + payload. Returns the message length, or 0
 * if cap is too small. */
size_t icmp6_emit_echo(uint8_t *msg, size_t cap, uint8_t type, uint16_t id, uint16_t seq,
                       const uint8_t *payload, size_t plen);

/* An error message quoting as much of the offending packet as fits in the
 * minimum MTU (RFC 4443 2.4 (c)): at most 1280 - 40 - 8 bytes of quote.
 * `param` is the MTU (Packet Too Big), the pointer (Parameter Problem) or 0.
 * Returns the message length, or 0 if cap is too small for the header. */
#define ICMP6_ERR_QUOTE_MAX (1280 - 40 - 8)
size_t icmp6_emit_error(uint8_t *msg, size_t cap, uint8_t type, uint8_t code, uint32_t param,
                        const uint8_t *quote, size_t qlen);

/* ---- Neighbor Discovery options (RFC 4861 4.6) ---- */
#define ND_OPT_SRC_LLADDR  1
#define ND_OPT_TGT_LLADDR  2
#define ND_OPT_PREFIX_INFO 3
#define ND_OPT_REDIRECTED  4
#define ND_OPT_MTU         5
#define ND_OPT_NONCE       14   /* RFC 7527 (enhanced DAD) */
#define ND_OPT_RDNSS       25   /* RFC 8106: recognized, skipped */

#define ND_MAX_PREFIX_OPTS 8    /* prefix options kept from one RA (the rest ignored) */

struct nd_prefix {
    uint8_t prefix_len;
    bool onlink;               /* L flag */
    bool autonomous;           /* A flag: usable for SLAAC */
    uint32_t valid_lifetime;   /* seconds; 0xffffffff = infinity */
    uint32_t preferred_lifetime;
    uint8_t prefix[16];
};

/* The options of one ND message.  Pointers point into the message. */
struct nd_opts {
    const uint8_t *src_lladdr;     /* 6 bytes, NULL if absent */
    const uint8_t *tgt_lladdr;
    int n_prefix;                  /* kept, at most ND_MAX_PREFIX_OPTS */
    int n_prefix_seen;             /* in the message */
    struct nd_prefix prefix[ND_MAX_PREFIX_OPTS];
    bool has_mtu;
    uint32_t mtu;
    const uint8_t *redirected;     /* the quoted packet of a Redirected Header option */
    size_t redirected_len;
    const uint8_t *nonce;          /* RFC 7527 nonce bytes */
    size_t nonce_len;
};

/* Router Solicitation */
struct nd_rs {
    struct nd_opts opts;
};
/* Router Advertisement */
struct nd_ra {
    uint8_t cur_hop_limit;
    bool managed, other;           /* M, O flags */
    uint16_t router_lifetime;      /* seconds; 0: not a default router */
    uint32_t reachable_time;       /* ms; 0 unspecified */
    uint32_t retrans_timer;        /* ms; 0 unspecified */
    struct nd_opts opts;
};
/* Neighbor Solicitation */
struct nd_ns {
    uint8_t target[16];
    struct nd_opts opts;
};
/* Neighbor Advertisement */
struct nd_na {
    bool router, solicited, override;  /* R, S, O flags */
    uint8_t target[16];
    struct nd_opts opts;
};
/* Redirect */
struct nd_redirect {
    uint8_t target[16];            /* the better first hop */
    uint8_t dest[16];              /* the destination being redirected */
    struct nd_opts opts;
};

/* Each parser takes the whole ICMPv6 message (header included), already
 * checksum-verified, and returns ICMP6_OK or an icmp6_parse_err. */
int nd_parse_rs(const uint8_t *msg, size_t len, struct nd_rs *out);
int nd_parse_ra(const uint8_t *msg, size_t len, struct nd_ra *out);
int nd_parse_ns(const uint8_t *msg, size_t len, struct nd_ns *out);
int nd_parse_na(const uint8_t *msg, size_t len, struct nd_na *out);
int nd_parse_redirect(const uint8_t *msg, size_t len, struct nd_redirect *out);
/* The options area alone (used by the parsers; exposed for tests). */
int nd_parse_opts(const uint8_t *p, size_t len, struct nd_opts *out);

/* Emitters: write the message at msg (at most cap bytes) and return its
 * length, 0 if cap is too small.  lladdr arguments may be NULL (option
 * left out).  The checksum is left 0. */
size_t nd_emit_rs(uint8_t *msg, size_t cap, const uint8_t *src_lladdr);
size_t nd_emit_ra(uint8_t *msg, size_t cap, const struct nd_ra *ra);  /* opts: src lladdr, prefixes, MTU */
size_t nd_emit_ns(uint8_t *msg, size_t cap, const uint8_t target[16], const uint8_t *src_lladdr,
                  const uint8_t *nonce, size_t nonce_len);
size_t nd_emit_na(uint8_t *msg, size_t cap, const uint8_t target[16], bool router, bool solicited,
                  bool override, const uint8_t *tgt_lladdr);
size_t nd_emit_redirect(uint8_t *msg, size_t cap, const uint8_t target[16], const uint8_t dest[16],
                        const uint8_t *tgt_lladdr, const uint8_t *quote, size_t qlen);
/* Single options; each returns its length (a multiple of 8), 0 if no room. */
size_t nd_opt_put_lladdr(uint8_t *p, size_t cap, uint8_t type, const uint8_t mac[6]);
size_t nd_opt_put_prefix(uint8_t *p, size_t cap, const struct nd_prefix *pi);
size_t nd_opt_put_mtu(uint8_t *p, size_t cap, uint32_t mtu);

/* ---- MLD (RFC 2710 v1 query, RFC 3810 v2) ---- */
#define MLD2_MODE_IS_INCLUDE     1
#define MLD2_MODE_IS_EXCLUDE     2
#define MLD2_CHANGE_TO_INCLUDE   3
#define MLD2_CHANGE_TO_EXCLUDE   4

struct mld_query {
    bool v2;                       /* 28+ bytes: MLDv2 */
    uint32_t max_resp_ms;          /* v1: the field; v2: decoded Maximum Response Code */
    uint8_t group[16];             /* :: for a general query */
    uint16_t n_sources;            /* v2 */
};
int mld_parse_query(const uint8_t *msg, size_t len, struct mld_query *out);

/* An MLDv2 report with one record per group, all of `rec_type` with no
 * sources (joining = CHANGE_TO_EXCLUDE or MODE_IS_EXCLUDE {}; leaving =
 * CHANGE_TO_INCLUDE {}). Returns the length, 0 if cap is too small. */
size_t mld2_emit_report(uint8_t *msg, size_t cap, uint8_t rec_type, const uint8_t (*groups)[16],
                        int n_groups);
/* Walks a received MLDv2 report: calls fn for each record (type, group).
 * Returns the record count, or an icmp6_parse_err if malformed. */
int mld2_parse_report(const uint8_t *msg, size_t len,
                      void (*fn)(void *ctx, uint8_t rec_type, const uint8_t group[16]), void *ctx);

#endif
