/* A middleware that prints one tcpdump-like line per frame crossing a
 * device, both directions, to a FILE*:
 *
 *   0.000000 tx ARP, Request who-has 198.18.0.1 tell 198.18.0.2, length 28
 *   0.000412 rx ARP, Reply 198.18.0.1 is-at 5a:1f:..., length 28
 *   0.000455 tx IP 198.18.0.2 > 198.18.0.1: ICMP echo request, id 7, seq 1, length 64
 *   0.013007 rx IP 198.18.0.1.80 > 198.18.0.2.40000: Flags [S.], seq 1, ack 2, win 64240, options [mss 1460], length 0
 *
 * Times are seconds since the first frame traced.  The decoder is
 * deliberately small and defensive: anything truncated or unknown is printed
 * as such, never trusted.
 */
#ifndef TAPIR_DRIVERS_TRACER_H
#define TAPIR_DRIVERS_TRACER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "drivers/device.h"

/* On success the tracer owns `inner`; out stays the caller's (not closed). */
struct tapir_device *tapir_tracer_wrap(struct tapir_device *inner, FILE *out);
/* A clock in µs for the timestamps (default: CLOCK_MONOTONIC). */
void tapir_tracer_set_clock(struct tapir_device *d, uint64_t (*clock)(void *ctx), void *ctx);

/* The description of one frame (no time, no direction), as the tracer
 * prints it; always NUL-terminated, truncated to cap. Returns out. */
char *tapir_trace_format(char *out, size_t cap, const uint8_t *frame, size_t len);

#endif
