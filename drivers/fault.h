/* A fault injector: a middleware that drops, corrupts and duplicates frames
 * crossing a device, each direction with its own probabilities, from one
 * seeded generator (the same seed and frames give the same faults).
 *
 * Corruption flips one random bit past the Ethernet header (byte 14 on), so
 * the frame still reaches the stack and exercises its checksum checks.
 * Congestion marking does what an AQM router (RED, CoDel with ECN) does
 * instead of dropping: an IPv4 or IPv6 packet whose ECN field says ECT(0) or
 * ECT(1) gets CE (RFC 3168 5), the IPv4 header checksum fixed up; packets
 * that are not ECN-capable pass unchanged.
 * A duplicated send is sent twice; a duplicated receive is handed out again
 * by the next recv().
 * An offloaded send (a TSO super-segment or a partial checksum, over a TAP
 * with offload=1) is cut into finished segments first (drivers/gso.h) and
 * each meets the faults as a frame of the wire would.
 */
#ifndef TAPIR_DRIVERS_FAULT_H
#define TAPIR_DRIVERS_FAULT_H

#include <stdint.h>

#include "drivers/device.h"

struct tapir_fault_dir {
    double drop, corrupt, duplicate;   /* probabilities, 0..1 */
    double ce;                         /* probability of marking an ECN-capable packet CE */
};

struct tapir_fault_opts {
    uint64_t seed;
    struct tapir_fault_dir tx, rx;
};

struct tapir_fault_stats {
    uint64_t tx_frames, tx_dropped, tx_corrupted, tx_duplicated, tx_ce_marked;
    uint64_t rx_frames, rx_dropped, rx_corrupted, rx_duplicated, rx_ce_marked;
};

/* NULL (errno EINVAL) for a probability outside 0..1; on success it owns inner. */
struct tapir_device *tapir_fault_wrap(struct tapir_device *inner, const struct tapir_fault_opts *o);
/* Changes the probabilities at run time (the generator goes on, not reseeded). */
int tapir_fault_set(struct tapir_device *d, struct tapir_fault_dir tx, struct tapir_fault_dir rx);
void tapir_fault_stats(struct tapir_device *d, struct tapir_fault_stats *out);

#endif
