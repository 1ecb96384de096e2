/* Test helpers for the link and network layers: a capture device that
 * records what a stack sends, and a trivial two-stack wire (frames queued,
 * delivered when the test drains the queue: never re-entering a stack from
 * inside its own transmit call).  Header-only: each test file that includes
 * it gets its own static copies. */
#ifndef TAPIR_TESTS_NET_HELPERS_H
#define TAPIR_TESTS_NET_HELPERS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "stack/arp.h"
#include "stack/ip6.h"
#include "stack/stack.h"

struct cap_frame {
    struct cap_frame *next;
    size_t len;
    uint8_t data[];
};

/* A device that records every frame sent on it. */
struct capture {
    struct cap_frame *head, *tail;
    size_t count;
};

static inline int capture_tx(void *ctx, const uint8_t *frame, size_t len, const struct pkt *meta)
{
    (void)meta;
    struct capture *c = ctx;
    struct cap_frame *f = malloc(sizeof *f + len);
    f->next = NULL;
    f->len = len;
    memcpy(f->data, frame, len);
    if (c->tail)
        c->tail->next = f;
    else
        c->head = f;
    c->tail = f;
    c->count++;
    return 0;
}

/* Removes and returns the oldest captured frame (caller frees), or NULL. */
static inline struct cap_frame *capture_pop(struct capture *c)
{
    struct cap_frame *f = c->head;
    if (f) {
        c->head = f->next;
        if (!c->head)
            c->tail = NULL;
        c->count--;
    }
    return f;
}

static inline void capture_clear(struct capture *c)
{
    struct cap_frame *f;
    while ((f = capture_pop(c)))
        free(f);
}

/* Two stacks joined by a wire: end 0 and end 1. */
struct twire {
    struct stack *st[2];
    int ifx[2];
    struct capture q[2];       /* frames sent by end i, waiting to reach the other end */
    uint64_t now;
    uint64_t delivered;
    /* Optional filter: return false to drop a frame going from `from`. */
    int (*filter)(struct twire *w, int from, struct cap_frame *f);
    void *user;
};

static const uint8_t twire_mac[2][6] = {{0x02, 0, 0, 0, 0, 0x01}, {0x02, 0, 0, 0, 0, 0x02}};

/* Two stacks, each with one Ethernet interface (MTU mtu) on 198.18.0.1/24 and
 * 198.18.0.2/24, and a loopback. */
static inline void twire_init(struct twire *w, uint32_t mtu)
{
    memset(w, 0, sizeof *w);
    w->now = 1000000;
    for (int i = 0; i < 2; i++) {
        w->st[i] = stack_create(42 + (uint64_t)i, w->now);
        stack_add_loopback(w->st[i]);
        w->ifx[i] = stack_add_netif(w->st[i], "eth0", twire_mac[i], mtu, capture_tx, &w->q[i]);
        stack_add_ip4(w->st[i], w->ifx[i], IP4(198, 18, 0, 1 + (uint32_t)i), 24);
    }
}

/* Moves frames across until both directions are quiet (or max frames). */
static inline void twire_run(struct twire *w, int max)
{
    for (int n = 0; n < max;) {
        int moved = 0;
        for (int i = 0; i < 2; i++) {
            struct cap_frame *f = capture_pop(&w->q[i]);
            if (!f)
                continue;
            moved = 1;
            n++;
            if (!w->filter || w->filter(w, i, f)) {
                stack_input(w->st[1 - i], w->ifx[1 - i], f->data, f->len, w->now);
                w->delivered++;
            }
            free(f);
        }
        if (!moved) {
            stack_poll(w->st[0], w->now);
            stack_poll(w->st[1], w->now);
            if (!w->q[0].head && !w->q[1].head)
                break;
        }
    }
}

/* Advances time by us (in 10 ms steps, moving frames as they come). */
static inline void twire_advance(struct twire *w, uint64_t us)
{
    uint64_t end = w->now + us;
    while (w->now < end) {
        w->now += 10000 < end - w->now ? 10000 : end - w->now;
        stack_poll(w->st[0], w->now);
        stack_poll(w->st[1], w->now);
        twire_run(w, 100000);
    }
}

static inline void twire_fini(struct twire *w)
{
    for (int i = 0; i < 2; i++) {
        stack_destroy(w->st[i]);
        capture_clear(&w->q[i]);
    }
}

/* ---- One stack on a captured interface: the ARP / IPv4 / robustness tests'
 * fixture.  The stack is 198.18.0.2 (MAC 02:aa:00:00:00:01) on eth0, MTU
 * 1500; its peer is 198.18.0.1 (02:bb:00:00:00:02); everything the stack
 * sends lands in `cap`. ---- */
#define NET_OUR IP4(198, 18, 0, 2)
#define NET_PEER IP4(198, 18, 0, 1)
static inline const uint8_t *net_our_mac(void)
{
    static const uint8_t m[6] = {0x02, 0xaa, 0, 0, 0, 1};
    return m;
}
static inline const uint8_t *net_peer_mac(void)
{
    static const uint8_t m[6] = {0x02, 0xbb, 0, 0, 0, 2};
    return m;
}
#define NET_OUR_MAC net_our_mac()
#define NET_PEER_MAC net_peer_mac()

struct netfix {
    struct stack *st;
    int ifx;
    struct capture cap;
    uint64_t now;
};

/* What a test wants besides the interface (netfix_setup's flags). */
#define NETFIX_IPV4_ONLY    1u  /* IPv6 off: no DAD / router solicitation frames */
#define NETFIX_LOOPBACK     2u  /* a loopback interface (127.0.0.1) first */
#define NETFIX_STATIC_PEER  4u  /* the peer's MAC in the ARP cache, and the capture emptied */

/* The stack is created with `seed` at time `now` (µs). */
static inline void netfix_setup(struct netfix *f, uint64_t seed, uint64_t now, unsigned flags)
{
    memset(f, 0, sizeof *f);
    f->now = now;
    f->st = stack_create(seed, f->now);
    if (flags & NETFIX_IPV4_ONLY)
        stack_ip6_settings(f->st)->enabled = false;
    if (flags & NETFIX_LOOPBACK)
        stack_add_loopback(f->st);
    f->ifx = stack_add_netif(f->st, "eth0", NET_OUR_MAC, 1500, capture_tx, &f->cap);
    cr_assert_eq(stack_add_ip4(f->st, f->ifx, NET_OUR, 24), 0);
    if (flags & NETFIX_STATIC_PEER) {
        cr_assert_eq(arp_add_static(f->st, f->ifx, NET_PEER, NET_PEER_MAC), 0);
        capture_clear(&f->cap);
    }
}

static inline void netfix_teardown(struct netfix *f)
{
    stack_destroy(f->st);
    capture_clear(&f->cap);
}

#endif
