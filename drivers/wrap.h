/* What every middleware shares: it is a device holding another device
 * (`inner`), forwarding what it does not change.  Internal to drivers/. */
#ifndef TAPIR_DRIVERS_WRAP_H
#define TAPIR_DRIVERS_WRAP_H

#include <string.h>

#include "drivers/device.h"

/* The wrapper looks like the device it wraps: same name, MAC, MTU, offloads. */
static inline void wrap_init(struct tapir_device *w, struct tapir_device *inner,
                             const struct tapir_device_ops *ops, void *priv)
{
    memcpy(w->name, inner->name, sizeof w->name);
    memcpy(w->mac, inner->mac, 6);
    w->mtu = inner->mtu;
    w->offloads = inner->offloads;
    w->ops = ops;
    w->priv = priv;
}

/* Every middleware's priv starts with this. */
struct wrap {
    struct tapir_device dev;
    struct tapir_device *inner;
};

/* After the inner device's recv: its frame's flags are the wrapper's. */
static inline void wrap_rx_flags(struct tapir_device *w, const struct tapir_device *inner)
{
    w->rx_flags = inner->rx_flags;
    w->rx_csum_start = inner->rx_csum_start;
    w->rx_csum_offset = inner->rx_csum_offset;
}

static inline int wrap_fd(struct tapir_device *d)
{
    return tapir_device_fd(((struct wrap *)d->priv)->inner);
}
static inline uint64_t wrap_next_deadline(struct tapir_device *d)
{
    return tapir_device_next_deadline(((struct wrap *)d->priv)->inner);
}
static inline int wrap_set_mac(struct tapir_device *d, const uint8_t mac[6])
{
    memcpy(d->mac, mac, 6);
    return tapir_device_set_mac(((struct wrap *)d->priv)->inner, mac);
}

#endif
