/* IPv4 headers (RFC 791).  Options are validated for well-formedness and
 * then skipped: tapir acts on none of them (RFC 1122 3.2.1.8 lets a host
 * ignore options it does not implement, and source routing is refused by
 * most stacks anyway). */
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
/* Writes a 20-byte header (no options) with its checksum; returns 20.
 * h->hdr_len is ignored. */
size_t ipv4_emit(const struct ipv4_hdr *h, uint8_t *buf);

/* Address classes (host order). */
static inline bool ip4_is_multicast(uint32_t a) { return (a >> 28) == 0xe; }     /* 224/4 */
static inline bool ip4_is_loopback(uint32_t a) { return (a >> 24) == 127; }      /* 127/8 */
static inline bool ip4_is_reserved_e(uint32_t a) { return (a >> 28) == 0xf; }    /* 240/4 incl. bcast */
#define IP4_BROADCAST 0xffffffffu
#define IP4_ALL_HOSTS 0xe0000001u /* 224.0.0.1 */

#endif
