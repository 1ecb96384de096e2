/* The runner's own IPv4 + TCP codec (wire.c). */
#ifndef TAPIR_DRILL_WIRE_H
#define TAPIR_DRILL_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tests/drill/drill.h"

/* One TCP segment with its IPv4 header fields, host order. */
struct wire_seg {
    uint32_t src, dst;
    uint8_t tos, ttl, proto;
    bool df;
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t flags, reserved;
    uint16_t win, urg;
    int n_opts;
    struct tcp_opt opts[DR_MAX_OPTS];
    const uint8_t *payload;
    size_t payload_len;
};

/* Writes the IPv4 packet into buf. Returns its length or -1 (too big). */
int wire_build(const struct wire_seg *w, uint8_t *buf, size_t cap);
/* Reads an IPv4 packet (checksums verified).  proto != 6: not TCP, only the
 * IP fields are filled.  Returns 0 or -1 with a message. */
int wire_parse(const uint8_t *buf, size_t len, struct wire_seg *w, char *err, size_t errlen);

#endif
