/* The fault injector middleware. */
#include "drivers/fault.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/gso.h"
#include "drivers/wrap.h"
#include "stack/checksum.h"
#include "stack/config.h"
#include "stack/pkt.h"
#include "stack/rng.h"

struct fault {
    struct wrap w;
    pthread_mutex_t mu;
    struct rng rng;
    struct tapir_fault_dir tx, rx;
    struct tapir_fault_stats st;
    uint8_t *scratch;        /* a corrupted copy of a frame being sent */
    uint8_t *held;           /* a received frame to hand out again (duplicate) */
    size_t held_len;
};

static bool chance(struct fault *f, double p)
{
    if (p <= 0)
        return false;
    return (double)(rng_next(&f->rng) >> 11) * (1.0 / 9007199254740992.0) < p;
}

static void flip_bit(struct fault *f, uint8_t *frame, size_t len)
{
    size_t from = len > 14 ? 14 : 0;
    uint32_t bit = rng_below(&f->rng, (uint32_t)((len - from) * 8));
    frame[from + bit / 8] ^= (uint8_t)(1u << (bit % 8));
}

/* Is the IP packet in this Ethernet frame ECN-capable (ECT(0) or ECT(1))? */
static bool ecn_capable(const uint8_t *frame, size_t len)
{
    if (len < 14 + 20)
        return false;
    uint16_t type = (uint16_t)(frame[12] << 8 | frame[13]);
    const uint8_t *ip = frame + 14;
    uint8_t ecn;
    if (type == 0x0800 && (ip[0] >> 4) == 4)
        ecn = ip[1] & 3;                 /* TOS byte: DSCP(6) ECN(2) */
    else if (type == 0x86dd && (ip[0] >> 4) == 6)
        ecn = (ip[1] >> 4) & 3;          /* traffic class straddles bytes 0-1 */
    else
        return false;
    return ecn == 1 || ecn == 2;
}

/* ECT -> CE, as a congested router would (RFC 3168 5), on an ECN-capable
 * packet (ecn_capable() said so). */
static void mark_ce(uint8_t *frame)
{
    uint8_t *ip = frame + 14;
    if ((ip[0] >> 4) == 6) {
        ip[1] |= 0x30;                   /* no IPv6 header checksum */
        return;
    }
    /* IPv4: the header checksum covers TOS; fix it incrementally (RFC 1624). */
    uint16_t old_word, new_word, check;
    memcpy(&old_word, ip, 2);
    ip[1] |= 3;
    memcpy(&new_word, ip, 2);
    memcpy(&check, ip + 10, 2);
    check = csum_update16(check, old_word, new_word);
    memcpy(ip + 10, &check, 2);
}

static int fa_send(struct tapir_device *d, const uint8_t *frame, size_t len, const struct pkt *meta);

static int fa_send_piece(void *d, const uint8_t *frame, size_t len)
{
    return fa_send(d, frame, len, NULL);
}

static int fa_send(struct tapir_device *d, const uint8_t *frame, size_t len, const struct pkt *meta)
{
    struct fault *f = d->priv;
    if (meta && meta->csum_offset) {
        /* An offloaded frame (a TSO super-segment, or a checksum left for
         * the device): the faults belong to the wire, which carries its
         * segments with finished checksums.  A bit flipped before the device
         * computes the checksum would go undetected, and a super-segment
         * dropped whole is not one lost segment.  So the frame is cut here
         * as the device would (drivers/gso.h), and each piece is a frame. */
        int rc = tapir_gso_segment(frame, len, meta, fa_send_piece, d);
        return rc < 0 ? rc : 0;
    }
    pthread_mutex_lock(&f->mu);
    f->st.tx_frames++;
    if (chance(f, f->tx.drop)) {
        f->st.tx_dropped++;
        pthread_mutex_unlock(&f->mu);
        return 0; /* lost on the wire: the sender cannot tell */
    }
    const uint8_t *out = frame;
    if (len && len <= TAPIR_MAX_FRAME && chance(f, f->tx.corrupt)) {
        memcpy(f->scratch, frame, len);
        flip_bit(f, f->scratch, len);
        out = f->scratch;
        f->st.tx_corrupted++;
    }
    if (len <= TAPIR_MAX_FRAME && chance(f, f->tx.ce) && ecn_capable(out, len)) {
        if (out != f->scratch) {          /* the caller's frame is const */
            memcpy(f->scratch, out, len);
            out = f->scratch;
        }
        mark_ce(f->scratch);
        f->st.tx_ce_marked++;
    }
    bool dup = chance(f, f->tx.duplicate);
    int rc = tapir_device_send(f->w.inner, out, len, meta);
    if (dup && rc == 0) {
        f->st.tx_duplicated++;
        tapir_device_send(f->w.inner, out, len, meta);
    }
    pthread_mutex_unlock(&f->mu);
    return rc;
}

static ssize_t fa_recv(struct tapir_device *d, uint8_t *buf, size_t cap, uint64_t now)
{
    struct fault *f = d->priv;
    pthread_mutex_lock(&f->mu);
    ssize_t n;
    /* Every frame it hands on is complete and checked by the stack: a bit
     * it flips must be caught as on a wire. */
    d->rx_flags = 0;
    if (f->held_len) {
        n = f->held_len <= cap ? (ssize_t)f->held_len : 0;
        if (n)
            memcpy(buf, f->held, f->held_len);
        f->held_len = 0;
        if (n) {
            pthread_mutex_unlock(&f->mu);
            return n;
        }
    }
    for (;;) {
        n = tapir_device_recv(f->w.inner, buf, cap, now);
        if (n <= 0)
            break;
        wrap_rx_flags(d, f->w.inner);
        tapir_device_rx_finish_csum(d, buf, (size_t)n);
        d->rx_flags = 0;
        f->st.rx_frames++;
        if (chance(f, f->rx.drop)) {
            f->st.rx_dropped++;
            continue;
        }
        if (chance(f, f->rx.corrupt)) {
            flip_bit(f, buf, (size_t)n);
            f->st.rx_corrupted++;
        }
        if (chance(f, f->rx.ce) && ecn_capable(buf, (size_t)n)) {
            mark_ce(buf);
            f->st.rx_ce_marked++;
        }
        if ((size_t)n <= TAPIR_MAX_FRAME && chance(f, f->rx.duplicate)) {
            memcpy(f->held, buf, (size_t)n);
            f->held_len = (size_t)n;
            f->st.rx_duplicated++;
        }
        break;
    }
    pthread_mutex_unlock(&f->mu);
    return n;
}

static void fa_close(struct tapir_device *d)
{
    struct fault *f = d->priv;
    tapir_device_close(f->w.inner);
    pthread_mutex_destroy(&f->mu);
    free(f->scratch);
    free(f->held);
    free(f);
}

static const struct tapir_device_ops fa_ops = {
    .send = fa_send,
    .recv = fa_recv,
    .fd = wrap_fd,
    .next_deadline = wrap_next_deadline,
    .close = fa_close,
    .set_mac = wrap_set_mac,
};

static bool valid(struct tapir_fault_dir d)
{
    return d.drop >= 0 && d.drop <= 1 && d.corrupt >= 0 && d.corrupt <= 1 && d.duplicate >= 0 &&
           d.duplicate <= 1 && d.ce >= 0 && d.ce <= 1;
}

struct tapir_device *tapir_fault_wrap(struct tapir_device *inner, const struct tapir_fault_opts *o)
{
    if (!o || !valid(o->tx) || !valid(o->rx)) {
        errno = EINVAL;
        return NULL;
    }
    struct fault *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->scratch = malloc(TAPIR_MAX_FRAME);
    f->held = malloc(TAPIR_MAX_FRAME);
    if (!f->scratch || !f->held) {
        free(f->scratch);
        free(f->held);
        free(f);
        errno = ENOMEM;
        return NULL;
    }
    pthread_mutex_init(&f->mu, NULL);
    rng_seed(&f->rng, o->seed);
    f->tx = o->tx;
    f->rx = o->rx;
    f->w.inner = inner;
    wrap_init(&f->w.dev, inner, &fa_ops, f);
    return &f->w.dev;
}

int tapir_fault_set(struct tapir_device *d, struct tapir_fault_dir tx, struct tapir_fault_dir rx)
{
    if (!valid(tx) || !valid(rx))
        return -EINVAL;
    struct fault *f = d->priv;
    pthread_mutex_lock(&f->mu);
    f->tx = tx;
    f->rx = rx;
    pthread_mutex_unlock(&f->mu);
    return 0;
}

void tapir_fault_stats(struct tapir_device *d, struct tapir_fault_stats *out)
{
    struct fault *f = d->priv;
    pthread_mutex_lock(&f->mu);
    *out = f->st;
    pthread_mutex_unlock(&f->mu);
}
