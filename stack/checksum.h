/* The Internet checksum (RFC 1071) and its incremental update (RFC 1624). */
#ifndef TAPIR_STACK_CHECKSUM_H
#define TAPIR_STACK_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

#include "stack/addr.h"

/* One's-complement sum of a byte range, folded to 32 bits, not inverted.
 * Start with sum = 0; chain calls for scattered data (each range but the last
 * must have an even length). */
uint32_t csum_add(uint32_t sum, const void *data, size_t len);
/* Fold to 16 bits and invert: the value that goes in the header. */
uint16_t csum_finish(uint32_t sum);
/* The pseudo-header sum for UDP/TCP/ICMPv6 over IPv4 or IPv6 (RFC 768, 9293, 8200 8.1). */
uint32_t csum_pseudo(const struct ipaddr *src, const struct ipaddr *dst, uint8_t proto, uint32_t len);
/* RFC 1624 eqn. 3: new checksum after a 16-bit field changed from old to new.
 * All three values as they are in the header (network order as stored). */
uint16_t csum_update16(uint16_t check, uint16_t old_val, uint16_t new_val);

#endif
