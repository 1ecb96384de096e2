/* The pcap writer middleware. */
#include "drivers/pcap_writer.h"

#include <pcap/pcap.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>

#include "drivers/wrap.h"

struct pw {
    struct wrap w;
    pthread_mutex_t mu;     /* sends (app threads) and receives (loop thread) may race */
    pcap_t *dead;
    pcap_dumper_t *dump;
    uint64_t (*clock)(void *ctx);
    void *clock_ctx;
    uint64_t count;
};

static void record(struct pw *p, const uint8_t *frame, size_t len)
{
    struct pcap_pkthdr h;
    if (p->clock) {
        uint64_t t = p->clock(p->clock_ctx);
        h.ts.tv_sec = (time_t)(t / 1000000u);
        h.ts.tv_usec = (suseconds_t)(t % 1000000u);
    } else {
        gettimeofday(&h.ts, NULL);
    }
    h.caplen = h.len = (bpf_u_int32)len;
    pthread_mutex_lock(&p->mu);
    pcap_dump((u_char *)p->dump, &h, frame);
    pcap_dump_flush(p->dump);
    p->count++;
    pthread_mutex_unlock(&p->mu);
}

static int pw_send(struct tapir_device *d, const uint8_t *frame, size_t len, const struct pkt *meta)
{
    struct pw *p = d->priv;
    int rc = tapir_device_send(p->w.inner, frame, len, meta);
    if (rc == 0) /* what went on the wire: a refused frame is not recorded */
        record(p, frame, len);
    return rc;
}

static ssize_t pw_recv(struct tapir_device *d, uint8_t *buf, size_t cap, uint64_t now)
{
    struct pw *p = d->priv;
    ssize_t n = tapir_device_recv(p->w.inner, buf, cap, now);
    if (n > 0) {
        /* The capture holds frames as a wire would carry them: a checksum
         * the kernel left partial is finished first (only when capturing). */
        wrap_rx_flags(d, p->w.inner);
        tapir_device_rx_finish_csum(d, buf, (size_t)n);
        record(p, buf, (size_t)n);
    }
    return n;
}

static void pw_close(struct tapir_device *d)
{
    struct pw *p = d->priv;
    tapir_device_close(p->w.inner);
    pcap_dump_close(p->dump);
    pcap_close(p->dead);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

static const struct tapir_device_ops pw_ops = {
    .send = pw_send,
    .recv = pw_recv,
    .fd = wrap_fd,
    .next_deadline = wrap_next_deadline,
    .close = pw_close,
    .set_mac = wrap_set_mac,
};

struct tapir_device *tapir_pcap_writer_wrap(struct tapir_device *inner, const char *path, char err[256])
{
    err[0] = 0;
    struct pw *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, 256, "out of memory");
        return NULL;
    }
    p->dead = pcap_open_dead(DLT_EN10MB, 65535);
    if (!p->dead) {
        snprintf(err, 256, "pcap_open_dead failed");
        free(p);
        return NULL;
    }
    p->dump = pcap_dump_open(p->dead, path);
    if (!p->dump) {
        snprintf(err, 256, "%s", pcap_geterr(p->dead));
        pcap_close(p->dead);
        free(p);
        return NULL;
    }
    pthread_mutex_init(&p->mu, NULL);
    p->w.inner = inner;
    wrap_init(&p->w.dev, inner, &pw_ops, p);
    return &p->w.dev;
}

void tapir_pcap_writer_set_clock(struct tapir_device *d, uint64_t (*clock)(void *ctx), void *ctx)
{
    struct pw *p = d->priv;
    pthread_mutex_lock(&p->mu);
    p->clock = clock;
    p->clock_ctx = ctx;
    pthread_mutex_unlock(&p->mu);
}

uint64_t tapir_pcap_writer_count(struct tapir_device *d)
{
    struct pw *p = d->priv;
    pthread_mutex_lock(&p->mu);
    uint64_t n = p->count;
    pthread_mutex_unlock(&p->mu);
    return n;
}
