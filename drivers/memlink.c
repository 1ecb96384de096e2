/* memlink: frames in flight wait in a min-heap per receiving port, ordered
 * by delivery time (then by sequence, so equal times keep send order). */
#include "drivers/memlink.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "drivers/gso.h"
#include "stack/pkt.h"
#include "stack/rng.h"
#include "stack/stack.h"

struct inflight {
    uint64_t at;            /* delivery time, µs */
    uint64_t seq;           /* tie-break: send order */
    uint8_t *data;
    size_t len;
};

struct port {
    struct tapir_device dev;
    struct tapir_memlink *m;
    int efd;                /* -1 in virtual time */
    struct inflight *heap;
    size_t n;
    uint64_t busy_until;    /* when this port's sender finishes its queue (rate limit) */
    struct tapir_memlink_stats st;
};

struct tapir_memlink {
    pthread_mutex_t mu;
    struct tapir_memlink_opts o;
    struct rng rng;
    uint64_t vnow;          /* virtual clock */
    uint64_t seq;
    int refs;               /* creator + open ports */
    struct port *ports[MEMLINK_MAX_PORTS];
    int n_ports;
    unsigned ports_made;    /* for the suggested MACs */
    struct tapir_memlink_stats st;
};

static uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t link_now(struct tapir_memlink *m)
{
    return m->o.virtual_time ? m->vnow : mono_us();
}

/* A draw with probability p, from the wire's generator.  p <= 0 draws
 * nothing, so turning one impairment on does not shift the others' streams
 * for a given seed less than necessary. */
static bool chance(struct tapir_memlink *m, double p)
{
    if (p <= 0)
        return false;
    double u = (double)(rng_next(&m->rng) >> 11) * (1.0 / 9007199254740992.0);
    return u < p;
}

static bool earlier(const struct inflight *a, const struct inflight *b)
{
    return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void heap_push(struct port *p, struct inflight f)
{
    size_t i = p->n++;
    p->heap[i] = f;
    while (i > 0) {
        size_t up = (i - 1) / 2;
        if (!earlier(&p->heap[i], &p->heap[up]))
            break;
        struct inflight t = p->heap[i];
        p->heap[i] = p->heap[up];
        p->heap[up] = t;
        i = up;
    }
}

static struct inflight heap_pop(struct port *p)
{
    struct inflight top = p->heap[0];
    p->heap[0] = p->heap[--p->n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, s = i;
        if (l < p->n && earlier(&p->heap[l], &p->heap[s]))
            s = l;
        if (r < p->n && earlier(&p->heap[r], &p->heap[s]))
            s = r;
        if (s == i)
            break;
        struct inflight t = p->heap[i];
        p->heap[i] = p->heap[s];
        p->heap[s] = t;
        i = s;
    }
    return top;
}

static void put_ref(struct tapir_memlink *m)
{
    /* called with m->mu held; unlocks it */
    bool last = --m->refs == 0;
    pthread_mutex_unlock(&m->mu);
    if (last) {
        pthread_mutex_destroy(&m->mu);
        free(m);
    }
}

/* Queue one copy of a frame towards port `to`, delivered at `at`. */
static void enqueue(struct tapir_memlink *m, struct port *to, const uint8_t *frame, size_t len,
                    uint64_t at)
{
    if (to->n >= m->o.inbox_frames) {
        m->st.inbox_drops++;
        to->st.inbox_drops++;
        return;
    }
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy) {
        m->st.inbox_drops++;
        to->st.inbox_drops++;
        return;
    }
    memcpy(copy, frame, len);
    if (chance(m, m->o.corrupt) && len) {
        uint32_t bit = rng_below(&m->rng, (uint32_t)(len * 8));
        copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        m->st.corrupted++;
        to->st.corrupted++;
    }
    heap_push(to, (struct inflight){.at = at, .seq = m->seq++, .data = copy, .len = len});
    if (to->efd >= 0) {
        uint64_t one = 1;
        ssize_t w = write(to->efd, &one, sizeof one);
        (void)w; /* the counter saturating is harmless: it is readable anyway */
    }
}

static uint64_t one_way_delay(struct tapir_memlink *m)
{
    uint64_t d = m->o.delay_us;
    if (m->o.jitter_us)
        d += rng_next(&m->rng) % (m->o.jitter_us + 1);
    return d;
}

static int send_frame(struct port *from, const uint8_t *frame, size_t len)
{
    struct tapir_memlink *m = from->m;
    pthread_mutex_lock(&m->mu);
    uint64_t now = link_now(m);
    m->st.sent++;
    from->st.sent++;
    if (len > (size_t)m->o.mtu + 18 || len < 14) {
        m->st.oversize++;
        from->st.oversize++;
        pthread_mutex_unlock(&m->mu);
        return -EMSGSIZE;
    }
    /* Rate limit: the sender serialises its frames; what waits behind the
     * limit is a queue of bounded size (tail drop, like a NIC's ring). */
    uint64_t depart = now;
    if (m->o.rate) {
        uint64_t start = from->busy_until > now ? from->busy_until : now;
        uint64_t queued = (start - now) * m->o.rate / 1000000u;
        if (queued + len > m->o.queue_bytes) {
            m->st.queue_drops++;
            from->st.queue_drops++;
            pthread_mutex_unlock(&m->mu);
            return 0; /* lost on the wire, as far as the sender can tell */
        }
        from->busy_until = start + (len * 1000000u + m->o.rate - 1) / m->o.rate;
        depart = from->busy_until;
    }
    for (int i = 0; i < m->n_ports; i++) {
        struct port *to = m->ports[i];
        if (to == from)
            continue;
        if (chance(m, m->o.loss)) {
            m->st.lost++;
            to->st.lost++;
            continue;
        }
        uint64_t at = depart + one_way_delay(m);
        if (chance(m, m->o.reorder)) {
            at += m->o.reorder_us;
            m->st.reordered++;
            to->st.reordered++;
        }
        enqueue(m, to, frame, len, at);
        if (chance(m, m->o.duplicate)) {
            m->st.duplicated++;
            to->st.duplicated++;
            enqueue(m, to, frame, len, depart + one_way_delay(m));
        }
    }
    pthread_mutex_unlock(&m->mu);
    return 0;
}

static int send_piece(void *ctx, const uint8_t *frame, size_t len)
{
    return send_frame(ctx, frame, len);
}

static int ml_send(struct tapir_device *d, const uint8_t *frame, size_t len, const struct pkt *meta)
{
    struct port *from = d->priv;
    if (!from->m->o.tso || !meta || !meta->csum_offset)
        return send_frame(from, frame, len);
    /* An offloaded frame: the wire does what the NIC would (gso.h). */
    if (meta->gso_size) {
        pthread_mutex_lock(&from->m->mu);
        from->m->st.tso_frames++;
        from->st.tso_frames++;
        pthread_mutex_unlock(&from->m->mu);
    }
    int rc = tapir_gso_segment(frame, len, meta, send_piece, from);
    return rc < 0 ? rc : 0;
}

static ssize_t ml_recv(struct tapir_device *d, uint8_t *buf, size_t cap, uint64_t now)
{
    struct port *p = d->priv;
    struct tapir_memlink *m = p->m;
    pthread_mutex_lock(&m->mu);
    if (m->o.virtual_time && now > m->vnow)
        m->vnow = now;
    while (p->n && p->heap[0].at <= now) {
        struct inflight f = heap_pop(p);
        if (f.len > cap) { /* the caller's buffer is too small: the frame is lost */
            free(f.data);
            m->st.inbox_drops++;
            p->st.inbox_drops++;
            continue;
        }
        memcpy(buf, f.data, f.len);
        free(f.data);
        m->st.delivered++;
        p->st.delivered++;
        m->st.bytes_delivered += f.len;
        p->st.bytes_delivered += f.len;
        pthread_mutex_unlock(&m->mu);
        return (ssize_t)f.len;
    }
    /* Nothing due: reset the eventfd under the lock, so a frame queued after
     * this point signals it again (no lost wake-up). */
    if (p->efd >= 0) {
        uint64_t v;
        ssize_t r = read(p->efd, &v, sizeof v);
        (void)r;
    }
    pthread_mutex_unlock(&m->mu);
    return 0;
}

static int ml_fd(struct tapir_device *d)
{
    return ((struct port *)d->priv)->efd;
}

static uint64_t ml_next_deadline(struct tapir_device *d)
{
    struct port *p = d->priv;
    pthread_mutex_lock(&p->m->mu);
    uint64_t t = p->n ? p->heap[0].at : UINT64_MAX;
    pthread_mutex_unlock(&p->m->mu);
    return t;
}

static void ml_close(struct tapir_device *d)
{
    struct port *p = d->priv;
    struct tapir_memlink *m = p->m;
    pthread_mutex_lock(&m->mu);
    for (int i = 0; i < m->n_ports; i++) {
        if (m->ports[i] == p) {
            m->ports[i] = m->ports[--m->n_ports];
            break;
        }
    }
    while (p->n)
        free(heap_pop(p).data);
    free(p->heap);
    if (p->efd >= 0)
        close(p->efd);
    free(p);
    put_ref(m);
}

static const struct tapir_device_ops memlink_ops = {
    .send = ml_send,
    .recv = ml_recv,
    .fd = ml_fd,
    .next_deadline = ml_next_deadline,
    .close = ml_close,
};

struct tapir_memlink *tapir_memlink_create(const struct tapir_memlink_opts *o)
{
    struct tapir_memlink *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    if (o)
        m->o = *o;
    if (m->o.loss < 0 || m->o.loss > 1 || m->o.duplicate < 0 || m->o.duplicate > 1 ||
        m->o.reorder < 0 || m->o.reorder > 1 || m->o.corrupt < 0 || m->o.corrupt > 1) {
        free(m);
        errno = EINVAL;
        return NULL;
    }
    if (!m->o.mtu)
        m->o.mtu = 1500;
    if (!m->o.inbox_frames)
        m->o.inbox_frames = MEMLINK_DEFAULT_INBOX;
    if (!m->o.queue_bytes)
        m->o.queue_bytes = MEMLINK_DEFAULT_QUEUE;
    if (!m->o.reorder_us)
        m->o.reorder_us = 1000 + m->o.delay_us;
    rng_seed(&m->rng, m->o.seed);
    pthread_mutex_init(&m->mu, NULL);
    m->refs = 1;
    return m;
}

struct tapir_device *tapir_memlink_port(struct tapir_memlink *m, const char *name)
{
    pthread_mutex_lock(&m->mu);
    struct port *p = NULL;
    if (m->n_ports >= MEMLINK_MAX_PORTS) {
        errno = ENOSPC;
        goto out;
    }
    p = calloc(1, sizeof *p);
    if (!p)
        goto out;
    p->heap = calloc(m->o.inbox_frames, sizeof *p->heap);
    p->efd = -1;
    if (p->heap && !m->o.virtual_time)
        p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (!p->heap || (!m->o.virtual_time && p->efd < 0)) {
        free(p->heap);
        free(p);
        p = NULL;
        goto out;
    }
    p->m = m;
    p->dev.ops = &memlink_ops;
    p->dev.priv = p;
    p->dev.mtu = m->o.mtu;
    p->dev.offloads = m->o.tso ? NETIF_OFF_TSO | NETIF_OFF_CSUM : 0;
    snprintf(p->dev.name, sizeof p->dev.name, "%s", name ? name : "memlink");
    /* A suggested MAC per port: locally administered, port number last. */
    const uint8_t mac[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, (uint8_t)++m->ports_made};
    memcpy(p->dev.mac, mac, 6);
    m->ports[m->n_ports++] = p;
    m->refs++;
out:
    pthread_mutex_unlock(&m->mu);
    return p ? &p->dev : NULL;
}

void tapir_memlink_release(struct tapir_memlink *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->mu);
    put_ref(m);
}

void tapir_memlink_set_time(struct tapir_memlink *m, uint64_t now)
{
    pthread_mutex_lock(&m->mu);
    if (now > m->vnow)
        m->vnow = now;
    pthread_mutex_unlock(&m->mu);
}

uint64_t tapir_memlink_next_deadline(struct tapir_memlink *m)
{
    pthread_mutex_lock(&m->mu);
    uint64_t t = UINT64_MAX;
    for (int i = 0; i < m->n_ports; i++)
        if (m->ports[i]->n && m->ports[i]->heap[0].at < t)
            t = m->ports[i]->heap[0].at;
    pthread_mutex_unlock(&m->mu);
    return t;
}

void tapir_memlink_stats(struct tapir_memlink *m, struct tapir_memlink_stats *out)
{
    pthread_mutex_lock(&m->mu);
    *out = m->st;
    pthread_mutex_unlock(&m->mu);
}

void tapir_memlink_port_stats(struct tapir_device *port, struct tapir_memlink_stats *out)
{
    struct port *p = port->priv;
    pthread_mutex_lock(&p->m->mu);
    *out = p->st;
    pthread_mutex_unlock(&p->m->mu);
}
