/* IPv6 fragment reassembly (RFC 8200 4.5) with the security rules that came
 * after it:
 *   - overlapping fragments drop the whole datagram, silently (RFC 5722);
 *     the datagram stays "dead" until its timer runs out, so the fragments
 *     that follow cannot rebuild it.  Exact duplicates are only dropped
 *     themselves (RFC 8200 4.5 allows this);
 *   - the first fragment must hold the whole header chain and the
 *     upper-layer header (RFC 7112), or it is dropped and a Parameter
 *     Problem code 3 goes back;
 *   - atomic fragments never come here (the walk processes them whole,
 *     RFC 6946);
 *   - everything is capped: bytes held by all datagrams, datagrams at once,
 *     fragments per datagram (stack/config.h); 60 s timeout, after which a
 *     Time Exceeded code 1 is sent if the first fragment had arrived.
 * Datagrams are keyed by (source, destination, identification).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stack/ip6_int.h"
#include "stack/stack.h"

struct frag {
    struct frag *next;         /* sorted by offset */
    uint16_t off, len;
    uint8_t data[];
};

struct dgram {
    bool used;
    bool dead;                 /* abandoned (overlap): drop its fragments until the timer */
    uint8_t src[16], dst[16];
    uint32_t id;
    int ifindex;
    struct frag *frags;
    int n_frags;
    size_t bytes;              /* fragment data held */
    uint32_t total;            /* length of the fragmentable part, when the last fragment came */
    bool have_last;
    /* The first fragment's unfragmentable part (with the Fragment header
     * left out) and where the Next Header that named it lies. */
    uint8_t *head;
    size_t head_len, nh_off;
    uint8_t next;              /* Next Header of the fragmentable part */
    bool head_link_mcast;      /* the first fragment came in a link-layer multicast or
                                * broadcast frame: no Time Exceeded about it (RFC 4443
                                * 2.4 e.4, e.5) */
    struct timer timer;
};

struct ip6_reass {
    struct dgram d[IP6_REASS_MAX_DGRAMS];
    size_t bytes;
};

int ip6_reass_init(struct stack *st)
{
    st->ip6->reass = calloc(1, sizeof *st->ip6->reass);
    return st->ip6->reass ? 0 : -ENOMEM;
}

static void dgram_clear(struct stack *st, struct dgram *d)
{
    struct ip6_reass *r = st->ip6->reass;
    while (d->frags) {
        struct frag *f = d->frags;
        d->frags = f->next;
        free(f);
    }
    r->bytes -= d->bytes + d->head_len;
    free(d->head);
    d->head = NULL;
    d->head_len = 0;
    d->bytes = 0;
    d->n_frags = 0;
}

static void dgram_free(struct stack *st, struct dgram *d)
{
    timer_cancel(&st->timers, &d->timer);
    dgram_clear(st, d);
    d->used = false;
}

void ip6_reass_destroy(struct stack *st)
{
    if (!st->ip6 || !st->ip6->reass)
        return;
    for (int i = 0; i < IP6_REASS_MAX_DGRAMS; i++)
        if (st->ip6->reass->d[i].used)
            dgram_free(st, &st->ip6->reass->d[i]);
    free(st->ip6->reass);
    st->ip6->reass = NULL;
}

static void reass_timeout(struct stack *st, struct timer *t)
{
    struct dgram *d = container_of(t, struct dgram, timer);
    if (!d->dead) {
        st->ctr.ip6_reass_timeouts++;
        /* 4.5: Time Exceeded, fragment reassembly, if the first fragment came
         * (it is the one quoted). */
        if (d->head) {
            size_t qlen = d->head_len;
            struct frag *f = d->frags;
            uint8_t q[IP6_MIN_MTU];
            if (qlen <= sizeof q) {
                memcpy(q, d->head, qlen);
                if (f && f->off == 0) {
                    size_t n = f->len < sizeof q - qlen ? f->len : sizeof q - qlen;
                    memcpy(q + qlen, f->data, n);
                    qlen += n;
                }
                q[4] = (uint8_t)((qlen - IP6_HDR_LEN) >> 8);
                q[5] = (uint8_t)(qlen - IP6_HDR_LEN);
                icmp6_send_error(st, d->ifindex, q, qlen, d->head_link_mcast, ICMP6_TIME_EXCEEDED, ICMP6_TIMEX_REASS, 0);
            }
        }
    }
    dgram_free(st, d);
}

static struct dgram *find_or_new(struct stack *st, int ifindex, const uint8_t *pkt, uint32_t id)
{
    struct ip6_reass *r = st->ip6->reass;
    struct dgram *free_d = NULL;
    for (int i = 0; i < IP6_REASS_MAX_DGRAMS; i++) {
        struct dgram *d = &r->d[i];
        if (!d->used) {
            if (!free_d)
                free_d = d;
            continue;
        }
        if (d->id == id && memcmp(d->src, pkt + 8, 16) == 0 && memcmp(d->dst, pkt + 24, 16) == 0)
            return d;
    }
    if (!free_d)
        return NULL;
    struct dgram *d = free_d;
    memset(d, 0, sizeof *d);
    d->used = true;
    d->id = id;
    d->ifindex = ifindex;
    memcpy(d->src, pkt + 8, 16);
    memcpy(d->dst, pkt + 24, 16);
    timer_init(&d->timer, reass_timeout);
    timer_arm(&st->timers, &d->timer, st->now + (uint64_t)IP6_REASS_TIMEOUT_MS * 1000);
    return d;
}

/* Abandon the datagram (RFC 5722): drop what it holds, keep it dead. */
static void kill(struct stack *st, struct dgram *d)
{
    dgram_clear(st, d);
    d->dead = true;
}

int ip6_reass_input(struct stack *st, int ifindex, const uint8_t *pkt, size_t len, bool link_mcast,
                    const struct ip6_ext *x, uint8_t **out, size_t *out_len, size_t *resume_off,
                    size_t *resume_nh_off)
{
    struct ip6_reass *r = st->ip6->reass;
    st->ctr.ip6_reass_fragments++;
    size_t data_off = x->frag_off + IP6_FRAG_HDR_LEN;
    size_t flen = len - data_off;
    uint32_t off = x->frag.offset;
    /* 4.5: all but the last fragment carry a multiple of 8 bytes ... */
    if (x->frag.more && (flen % 8 != 0 || flen == 0)) {
        st->ctr.ip6_reass_bad++;
        icmp6_send_error(st, ifindex, pkt, len, link_mcast, ICMP6_PARAM_PROBLEM, ICMP6_PARAMPROB_HEADER, 4);
        return -EINVAL;
    }
    /* ... and no fragment reaches past 65535 bytes. */
    if (off + flen > 65535) {
        st->ctr.ip6_reass_bad++;
        icmp6_send_error(st, ifindex, pkt, len, link_mcast, ICMP6_PARAM_PROBLEM, ICMP6_PARAMPROB_HEADER,
                         (uint32_t)(x->frag_off + 2));
        return -EINVAL;
    }
    if (off == 0) {
        /* RFC 7112 5 (RFC 8200 4.5): the first fragment holds the whole
         * header chain through the upper-layer header -- TCP's 20 bytes,
         * the first 8 of anything else -- so a filter looking at it alone
         * sees the ports; one that does not is dropped. */
        struct ip6_ext y;
        ip6_ext_walk(pkt, len, x->frag.next, data_off, x->frag_off, false, &y);
        size_t need = y.proto == IP6_NH_NONE ? 0 : y.proto == IP6_NH_TCP ? 20 : 8;
        if (y.verdict != IP6_EXT_OK || len - y.l4_off < need) {
            st->ctr.ip6_reass_incomplete_chain++;
            icmp6_send_error(st, ifindex, pkt, len, link_mcast, ICMP6_PARAM_PROBLEM, ICMP6_PARAMPROB_FIRSTFRAG, 0);
            return -EINVAL;
        }
    }
    struct dgram *d = find_or_new(st, ifindex, pkt, x->frag.id);
    if (!d) {
        st->ctr.ip6_reass_over_cap++;
        return -ENOBUFS;
    }
    if (d->dead) {
        st->ctr.ip6_reass_overlaps++;
        return -EINVAL;
    }
    if (flen == 0 && x->frag.more) {
        st->ctr.ip6_reass_bad++;
        return -EINVAL;
    }
    /* The last fragment fixes the length; a conflicting one, or data past
     * it, makes the datagram garbage. */
    uint32_t end = off + (uint32_t)flen;
    if (!x->frag.more) {
        if (d->have_last && d->total != end) {
            st->ctr.ip6_reass_bad++;
            kill(st, d);
            return -EINVAL;
        }
        for (struct frag *f = d->frags; f; f = f->next)
            if ((uint32_t)f->off + f->len > end) {
                st->ctr.ip6_reass_bad++;
                kill(st, d);
                return -EINVAL;
            }
        d->have_last = true;
        d->total = end;
    } else if (d->have_last && end > d->total) {
        st->ctr.ip6_reass_bad++;
        kill(st, d);
        return -EINVAL;
    }
    /* Overlap (RFC 5722), or an exact duplicate (dropped alone). */
    struct frag **pp = &d->frags;
    for (struct frag *f = d->frags; f; f = f->next) {
        uint32_t fe = (uint32_t)f->off + f->len;
        if (f->off == off && f->len == flen) {
            st->ctr.ip6_reass_duplicates++;
            return 0;
        }
        if (off < fe && f->off < end) {
            st->ctr.ip6_reass_overlaps++;
            kill(st, d);
            return -EINVAL;
        }
        if (f->off < off)
            pp = &f->next;
    }
    size_t head_need = off == 0 ? x->frag_off : 0;
    if (d->n_frags >= IP6_REASS_MAX_FRAGS || r->bytes + flen + head_need > IP6_REASS_MAX_BYTES) {
        st->ctr.ip6_reass_over_cap++;
        dgram_free(st, d);
        return -ENOBUFS;
    }
    struct frag *nf = malloc(sizeof *nf + flen);
    if (!nf) {
        st->ctr.ip6_reass_over_cap++;
        return -ENOBUFS;
    }
    nf->off = (uint16_t)off;
    nf->len = (uint16_t)flen;
    memcpy(nf->data, pkt + data_off, flen);
    nf->next = *pp;
    *pp = nf;
    d->n_frags++;
    d->bytes += flen;
    r->bytes += flen;
    if (off == 0) {
        /* The unfragmentable part: everything before the Fragment header. */
        d->head = malloc(x->frag_off);
        if (!d->head) {
            dgram_free(st, d);
            return -ENOBUFS;
        }
        memcpy(d->head, pkt, x->frag_off);
        d->head_len = x->frag_off;
        d->nh_off = x->nh_off;
        d->next = x->frag.next;
        d->head_link_mcast = link_mcast;
        r->bytes += d->head_len;
    }
    /* Complete?  First and last present and no hole between. */
    if (!d->head || !d->have_last)
        return 0;
    uint32_t covered = 0;
    for (struct frag *f = d->frags; f; f = f->next) {
        if (f->off != covered)
            return 0;
        covered += f->len;
    }
    if (covered != d->total)
        return 0;
    size_t whole = d->head_len + d->total;
    if (whole - IP6_HDR_LEN > 65535) {
        st->ctr.ip6_reass_bad++;
        kill(st, d);
        return -EINVAL;
    }
    uint8_t *b = malloc(whole);
    if (!b) {
        dgram_free(st, d);
        return -ENOBUFS;
    }
    memcpy(b, d->head, d->head_len);
    for (struct frag *f = d->frags; f; f = f->next)
        memcpy(b + d->head_len + f->off, f->data, f->len);
    b[d->nh_off] = d->next;   /* the Fragment header is gone: its Next Header moves up */
    b[4] = (uint8_t)((whole - IP6_HDR_LEN) >> 8);
    b[5] = (uint8_t)(whole - IP6_HDR_LEN);
    *out = b;
    *out_len = whole;
    *resume_off = d->head_len;
    *resume_nh_off = d->nh_off;
    st->ctr.ip6_reass_ok++;
    dgram_free(st, d);
    return 1;
}

size_t ip6_reass_bytes(struct stack *st)
{
    return st->ip6 && st->ip6->reass ? st->ip6->reass->bytes : 0;
}

size_t ip6_reass_count(struct stack *st)
{
    size_t n = 0;
    if (!st->ip6 || !st->ip6->reass)
        return 0;
    for (int i = 0; i < IP6_REASS_MAX_DGRAMS; i++)
        n += st->ip6->reass->d[i].used && !st->ip6->reass->d[i].dead;
    return n;
}
