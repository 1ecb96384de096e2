/* The simulation harness (see sim.h). */
#include "tests/sim/sim.h"

#include <criterion/criterion.h>
#include <string.h>

#include "drivers/pcap_writer.h"

void sim_init(struct sim *s, const struct tapir_memlink_opts *o)
{
    memset(s, 0, sizeof *s);
    struct tapir_memlink_opts opts = {0};
    if (o)
        opts = *o;
    opts.virtual_time = true;
    s->link = tapir_memlink_create(&opts);
    cr_assert_not_null(s->link);
    s->now = SIM_START_US;
    tapir_memlink_set_time(s->link, s->now);
}

static int node_tx(void *ctx, const uint8_t *frame, size_t len, const struct pkt *meta)
{
    struct sim_node *n = ctx;
    return tapir_device_send(n->port, frame, len, meta) == 0 ? 0 : -1;
}

struct sim_node *sim_node_gw(struct sim *s, uint32_t addr, uint8_t prefix, uint32_t gw, uint64_t seed)
{
    cr_assert(s->n < SIM_MAX_NODES);
    struct sim_node *n = &s->nodes[s->n++];
    n->port = tapir_memlink_port(s->link, "sim");
    cr_assert_not_null(n->port);
    memcpy(n->mac, n->port->mac, 6);
    n->addr = addr;
    n->st = stack_create(seed, s->now);
    cr_assert_not_null(n->st);
    cr_assert(stack_add_loopback(n->st) >= 0);
    n->ifindex = stack_add_netif(n->st, "eth0", n->mac, n->port->mtu, node_tx, n);
    cr_assert(n->ifindex >= 0);
    stack_netif(n->st, n->ifindex)->offloads = n->port->offloads;   /* memlink's tso mode */
    cr_assert_eq(stack_add_ip4(n->st, n->ifindex, addr, prefix), 0);
    if (gw)
        cr_assert(stack_add_route4(n->st, 0, 0, gw, n->ifindex) >= 0);
    return n;
}

struct sim_node *sim_node(struct sim *s, uint32_t addr, uint8_t prefix, uint64_t seed)
{
    return sim_node_gw(s, addr, prefix, 0, seed);
}

static uint64_t sim_clock(void *ctx)
{
    return ((struct sim *)ctx)->now;
}

void sim_capture(struct sim *s, struct sim_node *n, const char *path)
{
    char err[256];
    struct tapir_device *w = tapir_pcap_writer_wrap(n->port, path, err);
    cr_assert_not_null(w, "capture %s: %s", path, err);
    tapir_pcap_writer_set_clock(w, sim_clock, s);
    n->port = w;
}

/* Everything due at s->now: frames into stacks, stack timers; repeated
 * while delivering made more due now (a zero-delay wire). */
static void settle(struct sim *s)
{
    for (int round = 0; round < 1000; round++) {
        bool any = false;
        for (int i = 0; i < s->n; i++) {
            struct sim_node *n = &s->nodes[i];
            ssize_t k;
            while ((k = tapir_device_recv(n->port, s->frame, sizeof s->frame, s->now)) > 0) {
                stack_input(n->st, n->ifindex, s->frame, (size_t)k, s->now);
                any = true;
            }
            stack_poll(n->st, s->now);
        }
        if (!any)
            return;
    }
}

static uint64_t next_event(struct sim *s)
{
    uint64_t t = tapir_memlink_next_deadline(s->link);
    for (int i = 0; i < s->n; i++) {
        uint64_t d = stack_next_deadline(s->nodes[i].st);
        if (d < t)
            t = d;
    }
    return t;
}

bool sim_run_until(struct sim *s, uint64_t max_dt, bool (*cond)(void *ctx), void *ctx)
{
    uint64_t end = s->now + max_dt;
    for (;;) {
        settle(s);
        if (cond && cond(ctx))
            return true;
        uint64_t t = next_event(s);
        if (t <= s->now)
            t = s->now + 1; /* a deadline that did not clear: move on anyway */
        if (t > end)
            t = end;
        if (t == s->now)
            return cond ? cond(ctx) : false;
        s->now = t;
        tapir_memlink_set_time(s->link, s->now);
        cr_assert(++s->steps < 100000000u, "simulation runaway");
    }
}

void sim_run(struct sim *s, uint64_t dt)
{
    sim_run_until(s, dt, NULL, NULL);
}

void sim_free(struct sim *s)
{
    for (int i = 0; i < s->n; i++) {
        stack_destroy(s->nodes[i].st);
        tapir_device_close(s->nodes[i].port);
    }
    tapir_memlink_release(s->link);
    s->n = 0;
}
