/* IPv4 headers (RFC 791).  Options are validated for well-formedness and
 * then skipped, except the source route options (RFC 1122 3.2.1.8c, 3.3.5):
 * a datagram whose route is not completed is not ours to deliver, and an
 * echo request that came by a completed one is answered back along it. */
#ifndef TAPIR_STACK_WIRE_IPV4_H
#define TAPIR_STACK_WIRE_IPV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stack/wire/wire.h"

#define IPV4_HDR_LEN 20        /* without options */
#define IPV4_MAX_HDR_LEN 60
#define IPV4_MAX_LEN 65535     /* header + payload */
#define IPV4_MIN_MTU 68        /* RFC 791: every host must accept 68-byte datagrams unfragmented */

struct ipv4_hdr {
    uint8_t hdr_len;           /* bytes (IHL * 4), 20..60 */
    uint8_t tos;               /* DSCP + ECN */
    uint16_t total_len;        /* header + payload */
    uint16_t id;
    bool df, mf;               /* Don't Fragment, More Fragments */
    uint16_t frag_off;         /* bytes (the field * 8) */
    uint8_t ttl;
    uint8_t proto;
    uint32_t src, dst;         /* host order */
};

static inline bool ipv4_is_fragment(const struct ipv4_hdr *h)
{
    return h->mf || h->frag_off != 0;
}

/* Checks version 4, IHL >= 5, header and total length within len, the
 * options' TLV structure and (if verify_csum) the header checksum.  Bytes
 * past total_len (Ethernet padding) are the caller's to ignore.  Returns 0 or
 * WIRE_ETRUNC / WIRE_EVERSION / WIRE_EHDR / WIRE_ELEN / WIRE_ECSUM. */
int ipv4_parse(const uint8_t *buf, size_t len, struct ipv4_hdr *out, bool verify_csum);
/* For a header that ipv4_parse refused with WIRE_EHDR: the offset (from the
 * header's start) of the malformed option, if that is what is wrong and the
 * rest of the header is sound (checksum included); 0 otherwise. */
size_t ipv4_bad_option(const uint8_t *buf, size_t len);
/* Writes a 20-byte header (no options) with its checksum; returns 20.
 * h->hdr_len is ignored. */
size_t ipv4_emit(const struct ipv4_hdr *h, uint8_t *buf);

/* Source route options (RFC 791 3.1: LSRR 131, SSRR 137; type, length,
 * pointer, then the route's addresses). */
#define IPV4_OPT_LSRR 131
#define IPV4_OPT_SSRR 137
enum ipv4_srr { IPV4_SRR_NONE, IPV4_SRR_DONE, IPV4_SRR_PENDING };
/* The source route of a parsed header hdr[0..hl): none, completed (the
 * pointer past the last address: we are the final destination; *opt is its
 * offset in hdr) or pending (addresses left: we would be a hop on the way). */
enum ipv4_srr ipv4_source_route(const uint8_t *hdr, size_t hl, size_t *opt);

/* Address classes (host order). */
static inline bool ip4_is_multicast(uint32_t a) { return (a >> 28) == 0xe; }     /* 224/4 */
static inline bool ip4_is_loopback(uint32_t a) { return (a >> 24) == 127; }      /* 127/8 */
static inline bool ip4_is_reserved_e(uint32_t a) { return (a >> 28) == 0xf; }    /* 240/4 incl. bcast */
#define IP4_BROADCAST 0xffffffffu
#define IP4_ALL_HOSTS 0xe0000001u /* 224.0.0.1 */

#endif
