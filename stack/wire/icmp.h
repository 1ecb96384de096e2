/* ICMP for IPv4 (RFC 792). */
#ifndef TAPIR_STACK_WIRE_ICMP_H
#define TAPIR_STACK_WIRE_ICMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stack/wire/wire.h"

#define ICMP_HDR_LEN 8

/* types */
#define ICMP_ECHO_REPLY      0
#define ICMP_DEST_UNREACH    3
#define ICMP_SOURCE_QUENCH   4
#define ICMP_REDIRECT        5
#define ICMP_ECHO_REQUEST    8
#define ICMP_TIME_EXCEEDED   11
#define ICMP_PARAM_PROBLEM   12
#define ICMP_TIMESTAMP       13
#define ICMP_TIMESTAMP_REPLY 14

/* destination unreachable codes */
#define ICMP_NET_UNREACH     0
#define ICMP_HOST_UNREACH    1
#define ICMP_PROTO_UNREACH   2
#define ICMP_PORT_UNREACH    3
#define ICMP_FRAG_NEEDED     4
#define ICMP_SR_FAILED       5

/* time exceeded codes */
#define ICMP_EXC_TTL         0
#define ICMP_EXC_FRAGTIME    1

struct icmp_hdr {
    uint8_t type, code;
    uint16_t checksum;         /* as received (parse) / ignored (emit computes it) */
    uint32_t rest;             /* the 4 bytes after the checksum: id<<16|seq,
                                  next-hop MTU (low 16 bits), pointer<<24 ... */
    const uint8_t *data;       /* the bytes after the 8-byte header */
    size_t data_len;
};

/* Checks length >= 8 and (if verify_csum) the checksum over all len bytes. */
int icmp_parse(const uint8_t *buf, size_t len, struct icmp_hdr *out, bool verify_csum);
/* Writes the 8-byte header at buf, copies h->data (data_len bytes) after it
 * unless it is already there, and fills the checksum.  Returns 8 + data_len. */
size_t icmp_emit(const struct icmp_hdr *h, uint8_t *buf);

static inline bool icmp_is_error(uint8_t type)
{
    return type == ICMP_DEST_UNREACH || type == ICMP_SOURCE_QUENCH || type == ICMP_REDIRECT ||
           type == ICMP_TIME_EXCEEDED || type == ICMP_PARAM_PROBLEM;
}

static inline uint16_t icmp_echo_id(const struct icmp_hdr *h) { return (uint16_t)(h->rest >> 16); }
static inline uint16_t icmp_echo_seq(const struct icmp_hdr *h) { return (uint16_t)h->rest; }

#endif
