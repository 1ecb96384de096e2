/* Whole tapir stacks on a memlink wire, in virtual time: the harness the
 * simulation tests share.  No threads, no fds, no clock: sim_run() moves time
 * from one event (a frame due on the wire, a stack timer) to the next, so a
 * minute of traffic takes milliseconds and a seed replays it exactly.
 *
 *   struct sim s;
 *   struct tapir_memlink_opts o = { .seed = 1, .delay_us = 1000, .loss = 0.2 };
 *   sim_init(&s, &o);
 *   struct sim_node *a = sim_node(&s, IP4(198,18,0,1), 24, 11);
 *   struct sim_node *b = sim_node(&s, IP4(198,18,0,2), 24, 12);
 *   ... sock_* calls on a->st / b->st ...
 *   sim_run(&s, 100000);        // 100 ms of virtual time
 *   sim_free(&s);
 */
#ifndef TAPIR_TESTS_SIM_H
#define TAPIR_TESTS_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/memlink.h"
#include "stack/config.h"
#include "stack/stack.h"

#define SIM_MAX_NODES 8
#define SIM_START_US 1000000u /* virtual time starts at 1 s, not 0 */

struct sim_node {
    struct stack *st;
    struct tapir_device *port;   /* the node's memlink port, possibly wrapped */
    int ifindex;
    uint32_t addr;
    uint8_t mac[6];
};

struct sim {
    struct tapir_memlink *link;
    uint64_t now;
    struct sim_node nodes[SIM_MAX_NODES];
    int n;
    uint64_t steps;              /* event-loop turns so far (a runaway guard) */
    uint8_t frame[TAPIR_MAX_FRAME];
};

/* o may be NULL (a perfect wire); virtual time is forced on. */
void sim_init(struct sim *s, const struct tapir_memlink_opts *o);
/* A stack on a new port, with loopback, addr/prefix and (if gw) a default
 * route; its MAC is the port's.  Aborts the test on failure. */
struct sim_node *sim_node(struct sim *s, uint32_t addr, uint8_t prefix, uint64_t seed);
struct sim_node *sim_node_gw(struct sim *s, uint32_t addr, uint8_t prefix, uint32_t gw, uint64_t seed);
/* Wraps the node's port in a pcap writer stamped with virtual time. */
void sim_capture(struct sim *s, struct sim_node *n, const char *path);
/* Runs every event for dt µs of virtual time. */
void sim_run(struct sim *s, uint64_t dt);
/* Runs until cond(ctx) is true (checked after each event) or max_dt passes;
 * returns cond's last answer. */
bool sim_run_until(struct sim *s, uint64_t max_dt, bool (*cond)(void *ctx), void *ctx);
void sim_free(struct sim *s);

#endif
