/* A link device: where frames come from and go to.  One small ops struct for
 * every kind (TAP, a NIC through libpcap, the in-process memlink wire) and for
 * the middlewares that wrap any of them (pcap writer, tracer, fault injector).
 *
 * Devices know nothing of the stack: the runner moves frames between them.
 */
#ifndef TAPIR_DRIVERS_DEVICE_H
#define TAPIR_DRIVERS_DEVICE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct pkt;
struct tapir_device;

struct tapir_device_ops {
    /* Sends one frame. meta (may be NULL) carries offload hints (stack/pkt.h).
     * 0, or -errno (-EAGAIN: the device is full right now: dropped). */
    int (*send)(struct tapir_device *d, const uint8_t *frame, size_t len, const struct pkt *meta);
    /* Receives one frame into buf if one is ready at time now (µs).
     * Returns its length, 0 if none is ready, or -errno.  Sets d->rx_flags
     * (and rx_csum_*) for that frame.  One thread receives (the runner's
     * loop, without the stack lock) while others may send: a device whose
     * send and recv share state locks inside. */
    ssize_t (*recv)(struct tapir_device *d, uint8_t *buf, size_t cap, uint64_t now);
    /* A file descriptor that becomes readable when recv may have a frame, or -1. */
    int (*fd)(struct tapir_device *d);
    /* When the device next has something without its fd saying so (memlink
     * delays): µs, or UINT64_MAX. NULL: never. */
    uint64_t (*next_deadline)(struct tapir_device *d);
    void (*close)(struct tapir_device *d);
    /* Tells the device the MAC the stack will use on it (the pcap driver
     * filters captured frames by it).  0 or -errno.  NULL: nothing to do. */
    int (*set_mac)(struct tapir_device *d, const uint8_t mac[6]);
};

struct tapir_device {
    const struct tapir_device_ops *ops;
    char name[32];
    uint8_t mac[6];             /* a MAC the device suggests for the stack; all zero: none
                                 * (a TAP's own MAC is the kernel side's: we need another) */
    uint32_t mtu;               /* IP MTU: the largest frame is mtu + 14 (+4 VLAN) */
    uint32_t offloads;          /* NETIF_OFF_* (stack/stack.h) the device accepts */
    /* What the device knows about the frame its last recv returned:
     * TAPIR_RX_TCP4_CSUM_OK: an unfragmented IPv4 TCP segment whose checksum
     * the kernel vouches for (it never left the host: stack_input_flags's
     * STACK_RX_TCP4_CSUM_OK); with TAPIR_RX_CSUM_PARTIAL as well, the field
     * holds only the pseudo-header sum, to be finished over the bytes from
     * rx_csum_start (tapir_device_rx_finish_csum) by anyone who looks at or
     * changes the bytes.  Verifying and finishing would read every byte twice. */
    uint32_t rx_flags;
    uint16_t rx_csum_start, rx_csum_offset;
    void *priv;
};

#define TAPIR_RX_TCP4_CSUM_OK 1u
#define TAPIR_RX_CSUM_PARTIAL 2u

/* Finishes a partial checksum left by d's last recv in buf (the frame it
 * returned); the frame then carries its real checksum. */
void tapir_device_rx_finish_csum(struct tapir_device *d, uint8_t *buf, size_t len);

static inline int tapir_device_send(struct tapir_device *d, const uint8_t *f, size_t n, const struct pkt *m)
{
    return d->ops->send(d, f, n, m);
}
static inline ssize_t tapir_device_recv(struct tapir_device *d, uint8_t *buf, size_t cap, uint64_t now)
{
    return d->ops->recv(d, buf, cap, now);
}
static inline int tapir_device_fd(struct tapir_device *d)
{
    return d->ops->fd ? d->ops->fd(d) : -1;
}
static inline uint64_t tapir_device_next_deadline(struct tapir_device *d)
{
    return d->ops->next_deadline ? d->ops->next_deadline(d) : UINT64_MAX;
}
static inline int tapir_device_set_mac(struct tapir_device *d, const uint8_t mac[6])
{
    return d->ops->set_mac ? d->ops->set_mac(d, mac) : 0;
}
static inline void tapir_device_close(struct tapir_device *d)
{
    if (d)
        d->ops->close(d);
}

#endif
