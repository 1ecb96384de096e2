/* UDP headers (RFC 768), over IPv4 or IPv6. */
#ifndef TAPIR_STACK_WIRE_UDP_H
#define TAPIR_STACK_WIRE_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stack/addr.h"
#include "stack/wire/wire.h"

#define UDP_HDR_LEN 8

struct udp_hdr {
    uint16_t sport, dport;
    uint16_t len;              /* header + payload, from the header */
    uint16_t checksum;         /* as received */
};

/* Checks len >= 8, 8 <= header length <= len (bytes past it are padding for
 * the caller to ignore) and, when src/dst are given, the checksum over the
 * pseudo-header.  A zero checksum means "none" over IPv4 (RFC 768) and is
 * refused over IPv6 (RFC 8200 8.1) with WIRE_ECSUM. */
int udp_parse(const uint8_t *buf, size_t len, struct udp_hdr *out, const struct ipaddr *src,
              const struct ipaddr *dst);
/* Writes the header at buf over payload_len bytes already at buf + 8 and
 * fills the checksum (0 is sent as 0xffff).  h->len and h->checksum are
 * ignored. Returns 8. */
size_t udp_emit(const struct udp_hdr *h, uint8_t *buf, size_t payload_len, const struct ipaddr *src,
                const struct ipaddr *dst);

#endif
