/* Two tapir stacks joined by a memlink wire in virtual time: the harness of
 * the TCP simulation tests.  Stack A is 198.18.0.1, stack B 198.18.0.2.
 * sim_step() moves the clock to the next thing that happens (a frame due on
 * the wire or a stack timer), delivers and polls; everything is
 * deterministic from the wire's seed. */
#ifndef TAPIR_TESTS_SIM_TCP_SIMNET_H
#define TAPIR_TESTS_SIM_TCP_SIMNET_H

#include <stdint.h>
#include <string.h>

#include "drivers/memlink.h"
#include "stack/socket.h"
#include "stack/stack.h"

struct simnet {
    struct stack *st[2];
    struct tapir_device *port[2];
    struct tapir_memlink *wire;
    int ifx[2];
    uint64_t now;
};

static int simnet_tx(void *ctx, const uint8_t *frame, size_t len, const struct pkt *meta)
{
    return tapir_device_send(ctx, frame, len, meta);
}

static inline void simnet_init(struct simnet *n, const struct tapir_memlink_opts *o)
{
    static const uint8_t mac[2][6] = {{0x02, 0, 0, 0, 0, 1}, {0x02, 0, 0, 0, 0, 2}};
    memset(n, 0, sizeof *n);
    struct tapir_memlink_opts opts = *o;
    opts.virtual_time = true;
    n->now = 1000000;
    n->wire = tapir_memlink_create(&opts);
    tapir_memlink_set_time(n->wire, n->now);
    for (int i = 0; i < 2; i++) {
        n->port[i] = tapir_memlink_port(n->wire, i ? "b" : "a");
        n->st[i] = stack_create(100 + (uint64_t)i + opts.seed * 7, n->now);
        n->ifx[i] = stack_add_netif(n->st[i], "eth0", mac[i], opts.mtu ? opts.mtu : 1500, simnet_tx,
                                    n->port[i]);
        stack_add_ip4(n->st[i], n->ifx[i], IP4(198, 18, 0, 1 + (uint32_t)i), 24);
        /* What the port offers (memlink's tso mode: TSO + checksum offload), as the runner does. */
        stack_netif(n->st[i], n->ifx[i])->offloads = n->port[i]->offloads;
    }
    tapir_memlink_release(n->wire);
}

static inline void simnet_fini(struct simnet *n)
{
    for (int i = 0; i < 2; i++) {
        stack_destroy(n->st[i]);
        tapir_device_close(n->port[i]);
    }
}

/* Advances to the next event no later than `limit`; returns false if
 * nothing is pending before it (the clock then stands at limit). */
static inline bool simnet_step(struct simnet *n, uint64_t limit)
{
    uint64_t t = limit;
    for (int i = 0; i < 2; i++) {
        uint64_t d = tapir_device_next_deadline(n->port[i]);
        if (d < t)
            t = d;
        d = stack_next_deadline(n->st[i]);
        if (d < t)
            t = d;
    }
    if (t < n->now)
        t = n->now;
    n->now = t;
    tapir_memlink_set_time(n->wire, t);
    static uint8_t buf[70000];
    bool any = false;
    for (int i = 0; i < 2; i++) {
        ssize_t k;
        while ((k = tapir_device_recv(n->port[i], buf, sizeof buf, t)) > 0) {
            stack_input(n->st[i], n->ifx[i], buf, (size_t)k, t);
            any = true;
        }
        stack_poll(n->st[i], t);
    }
    return any || t < limit;
}

/* Runs until the clock reaches `until`. */
static inline void simnet_run_until(struct simnet *n, uint64_t until)
{
    while (n->now < until)
        if (!simnet_step(n, until))
            break;
}

static inline struct endpoint simnet_ep(int side, uint16_t port)
{
    struct endpoint e;
    memset(&e, 0, sizeof e);
    e.addr = ip4(IP4(198, 18, 0, 1 + (uint32_t)side));
    e.port = port;
    return e;
}

#endif
