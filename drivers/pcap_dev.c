/* The libpcap driver: capture with pcap_next_ex, send with pcap_inject. */
#include "drivers/pcap_dev.h"

#include <errno.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "stack/addr.h"

struct pcapdev {
    struct tapir_device dev;
    pcap_t *pc;
    int fd;
    /* One pcap_t is not for two threads at once, and recv runs while
     * another thread may send (device.h). */
    pthread_mutex_t mu;
};

static int pd_send(struct tapir_device *d, const uint8_t *frame, size_t len, const struct pkt *meta)
{
    (void)meta;
    struct pcapdev *p = d->priv;
    pthread_mutex_lock(&p->mu);
    errno = 0;
    int rc = pcap_inject(p->pc, frame, len) < 0 ? (errno ? -errno : -EIO) : 0;
    pthread_mutex_unlock(&p->mu);
    return rc;
}

static ssize_t pd_recv_locked(struct tapir_device *d, uint8_t *buf, size_t cap, uint64_t now)
{
    (void)now;
    struct pcapdev *p = d->priv;
    for (;;) {
        struct pcap_pkthdr *h;
        const u_char *data;
        int rc = pcap_next_ex(p->pc, &h, &data);
        if (rc == 0)
            return 0;          /* non-blocking: nothing now */
        if (rc < 0)
            return -EIO;
        /* A frame captured short (caplen < len) is not the frame: skip it. */
        if (h->caplen < h->len || h->caplen > cap)
            continue;
        memcpy(buf, data, h->caplen);
        return (ssize_t)h->caplen;
    }
}

static ssize_t pd_recv(struct tapir_device *d, uint8_t *buf, size_t cap, uint64_t now)
{
    struct pcapdev *p = d->priv;
    pthread_mutex_lock(&p->mu);
    ssize_t n = pd_recv_locked(d, buf, cap, now);
    pthread_mutex_unlock(&p->mu);
    return n;
}

static int pd_fd(struct tapir_device *d)
{
    return ((struct pcapdev *)d->priv)->fd;
}

static int pd_set_mac(struct tapir_device *d, const uint8_t mac[6])
{
    struct pcapdev *p = d->priv;
    char m[MAC_STRLEN], expr[160];
    mac_str(mac, m);
    snprintf(expr, sizeof expr, "ether dst %s or ether broadcast or ether multicast or arp", m);
    struct bpf_program prog;
    if (pcap_compile(p->pc, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0)
        return -EINVAL;
    int rc = pcap_setfilter(p->pc, &prog);
    pcap_freecode(&prog);
    return rc < 0 ? -EINVAL : 0;
}

static void pd_close(struct tapir_device *d)
{
    struct pcapdev *p = d->priv;
    pcap_close(p->pc);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

static const struct tapir_device_ops pcap_ops = {
    .send = pd_send,
    .recv = pd_recv,
    .fd = pd_fd,
    .close = pd_close,
    .set_mac = pd_set_mac,
};

static uint32_t if_mtu(const char *ifname)
{
    struct ifreq q;
    memset(&q, 0, sizeof q);
    strncpy(q.ifr_name, ifname, IFNAMSIZ - 1);
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return 1500;
    int rc = ioctl(s, SIOCGIFMTU, &q);
    close(s);
    return rc < 0 ? 1500 : (uint32_t)q.ifr_mtu;
}

struct tapir_device *tapir_pcap_open(const char *ifname, char err[256])
{
    err[0] = 0;
    if (!ifname || !ifname[0]) {
        snprintf(err, 256, "no interface name");
        return NULL;
    }
    struct pcapdev *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, 256, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&p->mu, NULL);
    p->pc = pcap_create(ifname, err);
    if (!p->pc)
        goto fail;
    /* Immediate mode: every frame is handed over at once, not batched for
     * a timeout; snaplen covers any frame. */
    pcap_set_immediate_mode(p->pc, 1);
    pcap_set_snaplen(p->pc, 65535);
    pcap_set_promisc(p->pc, 1);
    int rc = pcap_activate(p->pc);
    if (rc < 0) {
        snprintf(err, 256, "%s: %s", ifname, pcap_geterr(p->pc));
        goto fail;
    }
    if (pcap_datalink(p->pc) != DLT_EN10MB) {
        snprintf(err, 256, "%s: not an Ethernet interface", ifname);
        goto fail;
    }
    if (pcap_setnonblock(p->pc, 1, err) < 0)
        goto fail;
    if (pcap_setdirection(p->pc, PCAP_D_IN) < 0) {
        snprintf(err, 256, "%s: %s", ifname, pcap_geterr(p->pc));
        goto fail;
    }
    p->fd = pcap_get_selectable_fd(p->pc);
    if (p->fd < 0) {
        snprintf(err, 256, "%s: no selectable fd", ifname);
        goto fail;
    }
    p->dev.ops = &pcap_ops;
    p->dev.priv = p;
    p->dev.mtu = if_mtu(ifname);
    snprintf(p->dev.name, sizeof p->dev.name, "%s", ifname);
    return &p->dev;
fail:
    if (p->pc)
        pcap_close(p->pc);
    pthread_mutex_destroy(&p->mu);
    free(p);
    return NULL;
}
