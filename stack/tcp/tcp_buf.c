/* Byte rings behind the send and receive buffers.  The user's bytes are
 * copied in once (send) or out once (recv); segments are cut from the ring
 * when they are sent.  A ring starts empty and grows by doubling, so an idle
 * connection costs no buffer memory. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stack/tcp/tcp.h"

int ring_reserve(struct tcp_ring *r, uint32_t need)
{
    if (need <= r->cap)
        return 0;
    uint32_t cap = r->cap ? r->cap : 4096;
    while (cap < need)
        cap = cap > (1u << 30) ? need : cap * 2;
    uint8_t *nb = malloc(cap);
    if (!nb)
        return -ENOBUFS;
    /* Linearise: the stored bytes (and anything beyond them the caller
     * placed, up to the old capacity) move to the front in order. */
    if (r->cap) {
        uint32_t first = r->cap - r->head;
        memcpy(nb, r->buf + r->head, first);
        memcpy(nb + first, r->buf, r->head);
    }
    free(r->buf);
    r->buf = nb;
    r->cap = cap;
    r->head = 0;
    return 0;
}

void ring_write_at(struct tcp_ring *r, uint32_t off, const void *src, uint32_t n)
{
    const uint8_t *s = src;
    uint32_t pos = (r->head + off) % r->cap;
    uint32_t first = r->cap - pos < n ? r->cap - pos : n;
    memcpy(r->buf + pos, s, first);
    memcpy(r->buf, s + first, n - first);
}

void ring_read_at(const struct tcp_ring *r, uint32_t off, void *dst, uint32_t n)
{
    uint8_t *d = dst;
    if (!n)
        return;
    uint32_t pos = (r->head + off) % r->cap;
    uint32_t first = r->cap - pos < n ? r->cap - pos : n;
    memcpy(d, r->buf + pos, first);
    memcpy(d + first, r->buf, n - first);
}

void ring_consume(struct tcp_ring *r, uint32_t n)
{
    if (n > r->len)
        n = r->len;
    r->len -= n;
    /* head keeps moving even when the ring empties: out-of-order bytes may
     * already sit beyond it at their offsets. */
    r->head = r->cap ? (r->head + n) % r->cap : 0;
}

void ring_free(struct tcp_ring *r)
{
    free(r->buf);
    memset(r, 0, sizeof *r);
}
