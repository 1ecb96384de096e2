/* The TAP driver: one frame per read() and write() on /dev/net/tun. */
#include "drivers/tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5 /* older kernel headers lack it */
#endif

#include "stack/pkt.h"
#include "stack/stack.h"

struct tap {
    struct tapir_device dev;
    int fd;
    bool vnet;
    uint8_t kernel_mac[6];
};

/* Interface settings (MTU, flags, MAC) go through ioctls on any socket. */
static int ifreq_ioctl(unsigned long req, struct ifreq *ifr)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -errno;
    int rc = ioctl(s, req, ifr) < 0 ? -errno : 0;
    close(s);
    return rc;
}

static void set_ifname(struct ifreq *ifr, const char *name)
{
    memset(ifr, 0, sizeof *ifr);
    strncpy(ifr->ifr_name, name, IFNAMSIZ - 1);
}

/* vnet header fields are little-endian (TUNSETVNETLE semantics; x86 native). */
static uint16_t le16(uint16_t v)
{
    const uint8_t *b = (const uint8_t *)&v;
    return (uint16_t)(b[0] | b[1] << 8);
}

static void fill_vnet_hdr(struct virtio_net_hdr *h, const uint8_t *frame, size_t len,
                          const struct pkt *meta)
{
    memset(h, 0, sizeof *h);
    if (!meta)
        return;
    if (meta->csum_start && meta->csum_start < len) {
        h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
        h->csum_start = le16(meta->csum_start);
        h->csum_offset = le16(meta->csum_offset);
    }
    if (meta->gso_size && meta->gso_type) {
        h->gso_type = meta->gso_type;
        h->gso_size = le16(meta->gso_size);
        /* hdr_len: all headers up to the payload; for TCP the data offset
         * nibble tells the transport header's length. */
        size_t l4 = meta->csum_start;
        size_t hl = l4 + 8;
        if ((meta->gso_type & ~VIRTIO_NET_HDR_GSO_ECN) != VIRTIO_NET_HDR_GSO_UDP_L4 && l4 + 13 <= len)
            hl = l4 + (size_t)(frame[l4 + 12] >> 4) * 4;
        h->hdr_len = le16((uint16_t)hl);
    }
}

/* Is the frame an unfragmented IPv4 TCP segment in plain Ethernet, with its
 * TCP header at l4 (when l4 is not 0)?  Only those may skip the stack's
 * checksum check (stack_input_flags). */
static bool tcp4_frame(const uint8_t *f, size_t len, size_t l4)
{
    if (len < 14 + 20 || f[12] != 0x08 || f[13] != 0x00 || f[14] >> 4 != 4)
        return false;
    size_t ihl = (size_t)(f[14] & 0x0f) * 4;
    bool frag = (f[20] & 0x3f) || f[21]; /* MF or an offset */
    return ihl >= 20 && f[23] == 6 && !frag && (!l4 || l4 == 14 + ihl) && 14 + ihl + 20 <= len;
}

static int tap_send(struct tapir_device *d, const uint8_t *frame, size_t len, const struct pkt *meta)
{
    struct tap *t = d->priv;
    ssize_t n;
    if (t->vnet) {
        struct virtio_net_hdr h;
        fill_vnet_hdr(&h, frame, len, meta);
        struct iovec iov[2] = {{&h, sizeof h}, {(void *)frame, len}};
        n = writev(t->fd, iov, 2);
    } else {
        n = write(t->fd, frame, len);
    }
    if (n < 0)
        return -errno;
    return 0;
}

static ssize_t tap_recv(struct tapir_device *d, uint8_t *buf, size_t cap, uint64_t now)
{
    (void)now;
    struct tap *t = d->priv;
    for (;;) {
        ssize_t n;
        struct virtio_net_hdr h;
        if (t->vnet) {
            struct iovec iov[2] = {{&h, sizeof h}, {buf, cap}};
            n = readv(t->fd, iov, 2);
            if (n >= 0)
                n = n < (ssize_t)sizeof h ? 0 : n - (ssize_t)sizeof h;
        } else {
            n = read(t->fd, buf, cap);
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno == EAGAIN ? 0 : -errno;
        }
        d->rx_flags = 0;
        if (t->vnet && (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)) {
            /* A partial checksum (the field holds the pseudo-header sum).
             * TCP over IPv4 leaves it for whoever needs it: the stack
             * trusts the kernel's bytes and never does.  Anything else is
             * finished here. */
            d->rx_flags = TAPIR_RX_CSUM_PARTIAL;
            d->rx_csum_start = le16(h.csum_start);
            d->rx_csum_offset = le16(h.csum_offset);
            if (d->rx_csum_offset == 16 && tcp4_frame(buf, (size_t)n, d->rx_csum_start))
                d->rx_flags |= TAPIR_RX_TCP4_CSUM_OK;
            else
                tapir_device_rx_finish_csum(d, buf, (size_t)n);
        } else if (t->vnet && (h.flags & VIRTIO_NET_HDR_F_DATA_VALID) && tcp4_frame(buf, (size_t)n, 0)) {
            d->rx_flags = TAPIR_RX_TCP4_CSUM_OK; /* checked already (forwarded by the kernel) */
        }
        return n;
    }
}

static int tap_fd(struct tapir_device *d)
{
    return ((struct tap *)d->priv)->fd;
}

static void tap_close(struct tapir_device *d)
{
    struct tap *t = d->priv;
    close(t->fd);
    free(t);
}

static const struct tapir_device_ops tap_ops = {
    .send = tap_send,
    .recv = tap_recv,
    .fd = tap_fd,
    .close = tap_close,
};

struct tapir_device *tapir_tap_open(const struct tapir_tap_opts *o)
{
    if (!o || !o->name || !o->name[0] || strlen(o->name) >= IFNAMSIZ) {
        errno = EINVAL;
        return NULL;
    }
    struct tap *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    int err;
    t->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (t->fd < 0) {
        err = errno;
        free(t);
        errno = err;
        return NULL;
    }
    struct ifreq ifr;
    set_ifname(&ifr, o->name);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (o->vnet_hdr ? IFF_VNET_HDR : 0);
    if (ioctl(t->fd, TUNSETIFF, &ifr) < 0)
        goto fail;
    /* Offloads persist on the device: set exactly what this opener can
     * parse, every time (DESIGN.md, "TAP details that bite"). */
    unsigned off = 0;
    if (o->vnet_hdr) {
        int sz = sizeof(struct virtio_net_hdr);
        if (ioctl(t->fd, TUNSETVNETHDRSZ, &sz) < 0)
            goto fail;
        off = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
        t->vnet = true;
        t->dev.offloads = NETIF_OFF_CSUM | NETIF_OFF_TSO;
    }
    if (ioctl(t->fd, TUNSETOFFLOAD, off) < 0)
        goto fail;

    struct ifreq q;
    int rc;
    if (o->mtu) {
        set_ifname(&q, o->name);
        q.ifr_mtu = (int)o->mtu;
        if ((rc = ifreq_ioctl(SIOCSIFMTU, &q)) < 0) {
            errno = -rc;
            goto fail;
        }
    }
    set_ifname(&q, o->name);
    if ((rc = ifreq_ioctl(SIOCGIFMTU, &q)) < 0) {
        errno = -rc;
        goto fail;
    }
    t->dev.mtu = (uint32_t)q.ifr_mtu;
    set_ifname(&q, o->name);
    if (ifreq_ioctl(SIOCGIFHWADDR, &q) == 0) {
        memcpy(t->kernel_mac, q.ifr_hwaddr.sa_data, 6);
        /* Our suggested MAC: the kernel side's with the last byte changed,
         * locally administered and unicast.  It is the same every time a
         * stack opens this TAP, as a NIC keeps its MAC across restarts, so
         * the kernel's neighbour entry for us stays right: with a new MAC per
         * run, the kernel's first frames after a restart went to the old one
         * (its entry is only overridden a second after its last change). */
        memcpy(t->dev.mac, t->kernel_mac, 6);
        t->dev.mac[0] = (uint8_t)((t->dev.mac[0] | 0x02) & ~0x01);
        t->dev.mac[5] ^= 0x01;
    }
    if (o->bring_up) {
        set_ifname(&q, o->name);
        if ((rc = ifreq_ioctl(SIOCGIFFLAGS, &q)) == 0 && !(q.ifr_flags & IFF_UP)) {
            q.ifr_flags |= IFF_UP;
            rc = ifreq_ioctl(SIOCSIFFLAGS, &q);
        }
        if (rc < 0) {
            errno = -rc;
            goto fail;
        }
    }
    t->dev.ops = &tap_ops;
    t->dev.priv = t;
    snprintf(t->dev.name, sizeof t->dev.name, "%s", ifr.ifr_name);
    return &t->dev;
fail:
    err = errno;
    close(t->fd);
    free(t);
    errno = err;
    return NULL;
}

void tapir_tap_kernel_mac(struct tapir_device *d, uint8_t mac[6])
{
    memcpy(mac, ((struct tap *)d->priv)->kernel_mac, 6);
}
