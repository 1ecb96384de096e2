/* Software GSO: what a NIC with TSO (or the kernel's GSO behind a TAP) does
 * to a TCP super-segment, done in user space, so a simulated wire (memlink's
 * tso mode) can offer TSO to the stack and still carry ordinary frames.
 *
 * The super-segment is one Ethernet frame: headers as for a single segment
 * and up to 64 KB of payload, with metadata (stack/pkt.h): gso_size (payload
 * per piece), gso_type, and the partial checksum's csum_start (the TCP
 * header, from the frame's start) and csum_offset (16).  Each piece gets a
 * copy of the headers with, as Linux's tcp_gso_segment and the IPv4/IPv6
 * GSO handlers:
 *   - the sequence number advanced by the payload before it;
 *   - IPv4: total length and header checksum for its size, the IP ID of the
 *     first plus the piece's index; IPv6: payload length;
 *   - PSH and FIN only on the last piece, CWR only on the first;
 *   - the TCP checksum complete (pseudo-header of the piece's own length).
 * A frame with a partial checksum and no gso_size is one piece: only its
 * checksum is finished.
 */
#ifndef TAPIR_DRIVERS_GSO_H
#define TAPIR_DRIVERS_GSO_H

#include <stddef.h>
#include <stdint.h>

struct pkt;

/* Receives each piece in order; a nonzero return stops the cutting and is
 * returned by tapir_gso_segment. */
typedef int (*tapir_gso_emit_fn)(void *ctx, const uint8_t *frame, size_t len);

/* Cuts frame (len bytes, Ethernet first unless meta->l3_offset is 0) into
 * pieces as above and hands each to emit.  Returns the number of pieces,
 * -EINVAL for a frame or metadata that does not describe a TCP
 * super-segment over IPv4/IPv6, -ENOMEM, or what emit returned. */
int tapir_gso_segment(const uint8_t *frame, size_t len, const struct pkt *meta, tapir_gso_emit_fn emit,
                      void *ctx);

#endif
