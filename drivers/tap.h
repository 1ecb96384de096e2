/* A Linux TAP device (/dev/net/tun): the kernel sees a network interface,
 * we see its frames on a file descriptor.  Whatever the kernel sends out of
 * the interface we read; whatever we write it receives.
 *
 *   struct tapir_tap_opts o = { .name = "tap0" };
 *   struct tapir_device *d = tapir_tap_open(&o);   // NULL + errno on failure
 *
 * The interface's own MAC (what `ip link` shows) belongs to the kernel side,
 * so the device suggests none: the stack brings its own.
 *
 * Offloads: with .vnet_hdr every frame carries a virtio_net_hdr (handled here
 * only): sends may be TCP super-segments (pkt gso_size) and partial
 * checksums; receives may be GRO-coalesced and have their checksums finished
 * here.  Without it, offloads are explicitly cleared on the device: they
 * persist after the program that set them exits, and a plain reader would
 * otherwise be handed 64 KB frames.
 */
#ifndef TAPIR_DRIVERS_TAP_H
#define TAPIR_DRIVERS_TAP_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/device.h"

struct tapir_tap_opts {
    const char *name;     /* interface name (required, < IFNAMSIZ) */
    uint32_t mtu;         /* 0: keep the interface's; else set it (needs CAP_NET_ADMIN) */
    bool bring_up;        /* set the interface administratively up */
    bool vnet_hdr;        /* IFF_VNET_HDR + TSO/checksum offloads (see above) */
};

/* Opens TAP `name`, creating it (non-persistent) if it does not exist.
 * NULL with errno set on failure. */
struct tapir_device *tapir_tap_open(const struct tapir_tap_opts *o);
/* The kernel side's MAC (the interface's own), for tools and tests. */
void tapir_tap_kernel_mac(struct tapir_device *d, uint8_t mac[6]);

#endif
