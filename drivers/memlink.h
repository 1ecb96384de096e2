/* memlink: an in-process wire joining two or more devices, like a hub.
 * Every frame sent on one port is offered to each other port, after the
 * impairments configured here, all drawn from one seeded generator: the same
 * seed and the same sends at the same times give the same deliveries.
 *
 *   struct tapir_memlink_opts o = { .seed = 1, .delay_us = 5000, .loss = 0.2 };
 *   struct tapir_memlink *m = tapir_memlink_create(&o);
 *   struct tapir_device *a = tapir_memlink_port(m, "a"), *b = tapir_memlink_port(m, "b");
 *   tapir_memlink_release(m);   // the ports keep the wire alive until closed
 *
 * Time: a frame sent at t is delivered at t + queueing (rate limit) + delay
 * + jitter (+ reorder hold), and recv(now) hands out only frames whose time
 * has come; next_deadline says when the next one will.
 *   - real time (default): the clock is CLOCK_MONOTONIC in µs (the runner's
 *     tapir_now_us) and each port has an eventfd that becomes readable when
 *     a frame is queued to it, so a runner wakes and re-reads next_deadline.
 *   - virtual time (.virtual_time): no fds; the owner sets the clock with
 *     tapir_memlink_set_time() (recv(now) also moves it forward).  For
 *     simulations that run hours of traffic in milliseconds.
 *
 * TSO (.tso): the ports offer TSO and checksum offload (NETIF_OFF_TSO |
 * NETIF_OFF_CSUM), as a TAP with a vnet header does, and the wire cuts each
 * super-segment into ordinary segments itself (drivers/gso.h) before the
 * impairments, which then act on each segment as on the real wire: a sender
 * using TSO is tested against loss and reordering of the pieces.
 */
#ifndef TAPIR_DRIVERS_MEMLINK_H
#define TAPIR_DRIVERS_MEMLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/device.h"

#define MEMLINK_MAX_PORTS       16
#define MEMLINK_DEFAULT_INBOX   4096     /* frames in flight towards one port */
#define MEMLINK_DEFAULT_QUEUE   (256u << 10) /* bytes a sender may queue behind the rate limit */

struct tapir_memlink_opts {
    uint64_t seed;
    uint64_t delay_us;      /* one-way propagation delay */
    uint64_t jitter_us;     /* + uniform [0, jitter_us] per frame (may reorder) */
    double loss;            /* probability a frame is lost (per receiving port) */
    double duplicate;       /* probability a second copy is delivered too */
    double reorder;         /* probability a frame is held back reorder_us more ... */
    uint64_t reorder_us;    /* ... so later ones overtake it (0: 1 ms + delay) */
    double corrupt;         /* probability one random bit of the frame flips */
    uint64_t rate;          /* bytes/s each port may send, 0 = unlimited */
    size_t queue_bytes;     /* bytes waiting behind the rate limit before tail drop (0: default) */
    size_t inbox_frames;    /* frames in flight towards one port before drop (0: default) */
    uint32_t mtu;           /* the ports' MTU (0: 1500); longer frames are refused */
    bool virtual_time;      /* see above */
    bool tso;               /* see above */
};

struct tapir_memlink_stats {
    uint64_t sent;          /* frames handed to send() */
    uint64_t delivered;     /* frames handed out by recv() */
    uint64_t lost;          /* dropped by the loss draw */
    uint64_t duplicated;    /* extra copies made */
    uint64_t reordered;     /* frames held back */
    uint64_t corrupted;     /* frames with a bit flipped */
    uint64_t queue_drops;   /* dropped: sender's queue behind the rate limit full */
    uint64_t inbox_drops;   /* dropped: too many in flight towards the receiver */
    uint64_t oversize;      /* refused: longer than the MTU allows */
    uint64_t tso_frames;    /* super-segments (TSO) cut into segments; sent counts the segments */
    uint64_t bytes_delivered;
};

struct tapir_memlink;

/* NULL opts: a perfect wire (no delay, no loss). NULL + errno on failure. */
struct tapir_memlink *tapir_memlink_create(const struct tapir_memlink_opts *o);
/* A new port, as a device (close it with tapir_device_close).  NULL when
 * MEMLINK_MAX_PORTS are in use. */
struct tapir_device *tapir_memlink_port(struct tapir_memlink *m, const char *name);
/* Lets go of the creator's reference; the wire lives on while ports are open. */
void tapir_memlink_release(struct tapir_memlink *m);

/* Virtual time: moves the wire's clock to now (never backwards). */
void tapir_memlink_set_time(struct tapir_memlink *m, uint64_t now);
/* The earliest delivery time over all ports, UINT64_MAX if none is pending. */
uint64_t tapir_memlink_next_deadline(struct tapir_memlink *m);
/* Totals for the whole wire, and per port (frames that port sent / got). */
void tapir_memlink_stats(struct tapir_memlink *m, struct tapir_memlink_stats *out);
void tapir_memlink_port_stats(struct tapir_device *port, struct tapir_memlink_stats *out);

#endif
