/* A middleware that writes every frame crossing a device, both directions,
 * to a pcap file (libpcap's dump functions: tcpdump -r, tshark -r and
 * Wireshark read it).  Each frame is flushed as it is written, so the file is
 * readable while the stack runs.
 *
 *   struct tapir_device *d = tapir_pcap_writer_wrap(tap, "run.pcap", err);
 *
 * On success the wrapper owns `inner` (closing it closes both); on failure
 * (NULL, message in err) the caller still owns it.
 */
#ifndef TAPIR_DRIVERS_PCAP_WRITER_H
#define TAPIR_DRIVERS_PCAP_WRITER_H

#include <stdint.h>

#include "drivers/device.h"

struct tapir_device *tapir_pcap_writer_wrap(struct tapir_device *inner, const char *path, char err[256]);
/* Timestamps come from the wall clock unless given a clock (µs; simulations
 * pass their virtual one, so the capture shows simulated time). */
void tapir_pcap_writer_set_clock(struct tapir_device *d, uint64_t (*clock)(void *ctx), void *ctx);
/* Frames written so far. */
uint64_t tapir_pcap_writer_count(struct tapir_device *d);

#endif
