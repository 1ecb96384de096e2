/* IPv4 reassembly (RFC 791 3.2, RFC 1122 3.3.2, RFC 815's idea of tracking
 * what is still missing).
 *
 * Each datagram in progress, keyed by (src, dst, protocol, ID) as RFC 791
 * says, keeps one flat buffer that grows to the furthest byte seen, and a
 * bitmap of the bytes received.  That makes every fragment cheap to place
 * and every overlap easy to judge:
 *   - an overlap carrying the same bytes (a duplicate, or a retransmission
 *     cut differently) is harmless and accepted;
 *   - an overlap carrying different bytes is an attack or a broken sender
 *     (RFC 5722's reasoning, which Linux also applies to IPv4 since 2018):
 *     the whole datagram is dropped and counted.
 * Limits: 30 s from the first fragment (a timer; then ICMP time exceeded if
 * we had the first fragment, RFC 792), at most IP4_REASS_MAX_FRAGS fragments
 * per datagram, IP4_REASS_MAX_DGRAMS datagrams and ip4_reass_max_bytes of
 * memory in all (the oldest datagram is evicted to make room), and a datagram
 * may never exceed 65535 bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stack/checksum.h"
#include "stack/icmp4.h"
#include "stack/ip4.h"
#include "stack/stack.h"
#include "stack/wire/icmp.h"

#define MAX_PAYLOAD (IPV4_MAX_LEN - IPV4_HDR_LEN) /* a first header of 20 bytes; checked exactly below */

struct reass_dgram {
    struct reass_dgram *next;      /* in the table, oldest first */
    uint32_t src, dst;
    uint16_t id;
    uint8_t proto;
    int ifindex;
    struct timer timer;
    uint8_t *buf;                  /* payload bytes, by offset */
    size_t cap;                    /* bytes allocated for buf */
    uint8_t *have;                 /* bitmap: payload byte i received */
    size_t received;               /* bytes marked in the bitmap */
    size_t total;                  /* payload length, known once the last fragment came; 0 before */
    unsigned nfrags;
    uint8_t hdr[IPV4_MAX_HDR_LEN]; /* the first fragment's header */
    uint8_t hdr_len;               /* 0 until the first fragment came */
    bool hdr_bcast;                /* ... as a (link-layer) broadcast: no ICMP error about it */
};

struct ip4_reass {
    struct reass_dgram *head, *tail;
    size_t count;
    size_t bytes;                  /* charged memory of all datagrams */
};

#define BITMAP_BYTES ((MAX_PAYLOAD + 7) / 8)

static size_t charge(const struct reass_dgram *d)
{
    return sizeof *d + d->cap + BITMAP_BYTES;
}

int ip4_reass_init(struct stack *st)
{
    st->reass4 = calloc(1, sizeof *st->reass4);
    return st->reass4 ? 0 : -ENOMEM;
}

static void unlink_dgram(struct stack *st, struct reass_dgram *d)
{
    struct ip4_reass *r = st->reass4;
    struct reass_dgram **pp = &r->head, *prev = NULL;
    while (*pp && *pp != d) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (!*pp)
        return;
    *pp = d->next;
    if (r->tail == d)
        r->tail = prev;
    r->count--;
    r->bytes -= charge(d);
}

static void free_dgram(struct stack *st, struct reass_dgram *d)
{
    unlink_dgram(st, d);
    timer_cancel(&st->timers, &d->timer);
    free(d->buf);
    free(d->have);
    free(d);
}

void ip4_reass_destroy(struct stack *st)
{
    if (!st->reass4)
        return;
    while (st->reass4->head)
        free_dgram(st, st->reass4->head);
    free(st->reass4);
    st->reass4 = NULL;
}

static void expire(struct stack *st, struct timer *t)
{
    struct reass_dgram *d = container_of(t, struct reass_dgram, timer);
    st->ctr.ip_reass_timeouts++;
    /* RFC 792 / RFC 1122 3.2.2.4: time exceeded (code 1) to the sender, but
     * only if the first fragment came, since the error quotes it. */
    if (d->hdr_len && d->received >= 8 && (d->have[0] == 0xff)) {
        uint8_t quote[IPV4_MAX_HDR_LEN + 8];
        memcpy(quote, d->hdr, d->hdr_len);
        memcpy(quote + d->hdr_len, d->buf, 8);
        struct ip_rx about = {
            .ifindex = d->ifindex,
            .src = ip4(d->src),
            .dst = ip4(d->dst),
            .proto = d->proto,
            .l4 = quote + d->hdr_len,
            .l4_len = 8,
            .ip_hdr = quote,
            .ip_hdr_len = d->hdr_len,
            .dst_broadcast = d->hdr_bcast || ip4_is_broadcast(st, d->dst),
            .dst_multicast = ip4_is_multicast(d->dst),
        };
        icmp_send_error(st, &about, ICMP_TIME_EXCEEDED, ICMP_EXC_FRAGTIME, 0);
    }
    free_dgram(st, d);
}

static bool bit(const uint8_t *map, size_t i)
{
    return map[i >> 3] & (1u << (i & 7));
}

/* Marks [from, to) received; returns how many bytes were new. */
static size_t mark(uint8_t *map, size_t from, size_t to)
{
    size_t fresh = 0;
    for (size_t i = from; i < to; i++) {
        if (!bit(map, i)) {
            map[i >> 3] |= (uint8_t)(1u << (i & 7));
            fresh++;
        }
    }
    return fresh;
}

static struct reass_dgram *find(struct stack *st, const struct ipv4_hdr *h)
{
    for (struct reass_dgram *d = st->reass4->head; d; d = d->next)
        if (d->id == h->id && d->src == h->src && d->dst == h->dst && d->proto == h->proto)
            return d;
    return NULL;
}

static void drop(struct stack *st, struct reass_dgram *d)
{
    free_dgram(st, d);
}

/* Makes room for `need` more charged bytes by evicting the oldest datagrams
 * other than `keep`.  False if it cannot. */
static bool make_room(struct stack *st, size_t need, const struct reass_dgram *keep)
{
    struct ip4_reass *r = st->reass4;
    size_t cap = st->cfg.ip4_reass_max_bytes;
    while (r->bytes + need > cap) {
        struct reass_dgram *victim = r->head;
        if (victim == keep)
            victim = victim->next;
        if (!victim)
            return false;
        st->ctr.ip_reass_over_cap++;
        free_dgram(st, victim);
    }
    return true;
}

int ip4_reass_input(struct stack *st, int ifindex, const struct ipv4_hdr *h, const uint8_t *pkt, bool bcast,
                    uint8_t **out, size_t *out_len)
{
    struct ip4_reass *r = st->reass4;
    const uint8_t *data = pkt + h->hdr_len;
    size_t len = (size_t)h->total_len - h->hdr_len;
    size_t off = h->frag_off;
    size_t end = off + len;
    st->ctr.ip_reass_fragments++;

    /* Fragments other than the last carry multiples of 8 bytes (RFC 791);
     * an empty fragment says nothing; nothing may reach past 65535. */
    if ((h->mf && (len == 0 || len % 8 != 0)) || end > MAX_PAYLOAD) {
        st->ctr.ip_reass_bad++;
        struct reass_dgram *d = find(st, h);
        if (d && end > MAX_PAYLOAD)
            drop(st, d); /* a datagram that cannot be valid any more */
        return -EINVAL;
    }

    struct reass_dgram *d = find(st, h);
    if (!d) {
        if (r->count >= IP4_REASS_MAX_DGRAMS) {
            st->ctr.ip_reass_over_cap++;
            drop(st, r->head);
        }
        if (!make_room(st, sizeof *d + BITMAP_BYTES, NULL)) {
            st->ctr.ip_reass_over_cap++;
            return -ENOBUFS;
        }
        d = calloc(1, sizeof *d);
        if (!d || !(d->have = calloc(1, BITMAP_BYTES))) {
            free(d);
            st->ctr.ip_reass_over_cap++;
            return -ENOBUFS;
        }
        d->src = h->src;
        d->dst = h->dst;
        d->id = h->id;
        d->proto = h->proto;
        d->ifindex = ifindex;
        timer_init(&d->timer, expire);
        timer_arm(&st->timers, &d->timer, st->now + (uint64_t)st->cfg.ip4_reass_timeout_ms * 1000);
        if (r->tail)
            r->tail->next = d;
        else
            r->head = d;
        r->tail = d;
        r->count++;
        r->bytes += charge(d);
    }

    if (++d->nfrags > IP4_REASS_MAX_FRAGS) {
        st->ctr.ip_reass_over_cap++;
        drop(st, d);
        return -ENOBUFS;
    }
    /* The last fragment fixes the length; anything contradicting it (another
     * "last" elsewhere, bytes beyond it) makes the datagram inconsistent. */
    if (!h->mf) {
        bool bad = d->total && d->total != end;
        for (size_t i = end; !bad && !d->total && i < d->cap; i++)
            bad = bit(d->have, i);
        if (bad) {
            st->ctr.ip_reass_overlaps++;
            drop(st, d);
            return -EINVAL;
        }
        d->total = end;
    } else if (d->total && end > d->total) {
        st->ctr.ip_reass_overlaps++;
        drop(st, d);
        return -EINVAL;
    }
    if (end > d->cap) {
        /* Grow in 2 KB steps so a run of fragments does not realloc each time. */
        size_t ncap = (end + 2047) & ~(size_t)2047;
        if (ncap > MAX_PAYLOAD)
            ncap = MAX_PAYLOAD;
        size_t old = charge(d);
        if (!make_room(st, ncap - d->cap, d)) {
            st->ctr.ip_reass_over_cap++;
            drop(st, d);
            return -ENOBUFS;
        }
        uint8_t *nb = realloc(d->buf, ncap);
        if (!nb) {
            st->ctr.ip_reass_over_cap++;
            drop(st, d);
            return -ENOBUFS;
        }
        d->buf = nb;
        d->cap = ncap;
        r->bytes += charge(d) - old;
    }
    /* Overlap check: bytes we already have must match. */
    bool dup = false;
    for (size_t i = off; i < end; i++) {
        if (bit(d->have, i)) {
            if (d->buf[i] != data[i - off]) {
                st->ctr.ip_reass_overlaps++;
                drop(st, d);
                return -EINVAL;
            }
            dup = true;
        }
    }
    if (dup)
        st->ctr.ip_reass_dups++;
    memcpy(d->buf + off, data, len);
    d->received += mark(d->have, off, end);
    if (off == 0 && !d->hdr_len) {
        memcpy(d->hdr, pkt, h->hdr_len);
        d->hdr_len = h->hdr_len;
        d->hdr_bcast = bcast;
    }
    if (!d->total || d->received != d->total || !d->hdr_len)
        return 0;

    /* Complete: the first fragment's header (its options included, RFC 791)
     * with the total length set and the fragment fields cleared. */
    size_t whole_len = d->hdr_len + d->total;
    if (whole_len > IPV4_MAX_LEN) {
        st->ctr.ip_reass_bad++;
        drop(st, d);
        return -EINVAL;
    }
    uint8_t *whole = malloc(whole_len);
    if (!whole) {
        st->ctr.ip_reass_over_cap++;
        drop(st, d);
        return -ENOBUFS;
    }
    memcpy(whole, d->hdr, d->hdr_len);
    memcpy(whole + d->hdr_len, d->buf, d->total);
    put16(whole + 2, (uint16_t)whole_len);
    put16(whole + 6, 0);
    put16(whole + 10, 0);
    put16(whole + 10, csum_finish(csum_add(0, whole, d->hdr_len)));
    st->ctr.ip_reass_ok++;
    drop(st, d);
    *out = whole;
    *out_len = whole_len;
    return 1;
}

size_t ip4_reass_bytes(const struct stack *st)
{
    return st->reass4->bytes;
}

size_t ip4_reass_count(const struct stack *st)
{
    return st->reass4->count;
}
