/* The ARP cache (RFC 826, RFC 1122 2.3.2): IPv4 next hop -> MAC, per
 * interface.  Internal to the stack; stack_input and ip4 output call it.
 *
 * States: INCOMPLETE (request sent, packets wait in a bounded queue),
 * REACHABLE (confirmed by the neighbour recently), STALE (older than the
 * reachable time: still used, and a new request, at most one per second, is
 * sent when it is), STATIC (set by arp_add_static; never expires).
 */
#ifndef TAPIR_STACK_ARP_H
#define TAPIR_STACK_ARP_H

#include <stddef.h>
#include <stdint.h>

#include "stack/pkt.h"

struct stack;

enum arp_state { ARP_NONE = 0, ARP_INCOMPLETE, ARP_REACHABLE, ARP_STALE, ARP_STATIC };

int arp_init(struct stack *st);
void arp_destroy(struct stack *st);
/* An ARP packet (after the Ethernet header) arrived on ifindex. */
void arp_input(struct stack *st, int ifindex, const uint8_t *pkt, size_t len);
/* Finds the MAC of nexthop on ifindex for p (an IPv4 packet, data at its
 * header).  1: mac filled, p untouched (the caller sends it).  0: p queued
 * until the reply comes (ownership taken).  < 0: p freed, -errno. */
int arp_resolve(struct stack *st, int ifindex, uint32_t nexthop, struct pkt *p, uint8_t mac[6]);
/* Announces addr on ifindex (gratuitous ARP request, RFC 5227 2.3). */
void arp_announce(struct stack *st, int ifindex, uint32_t addr);
/* A permanent entry (tests, static configurations). 0 or -errno. */
int arp_add_static(struct stack *st, int ifindex, uint32_t ip, const uint8_t mac[6]);
/* Inspection for tests and tools: the state of (ifindex, ip); mac filled if known. */
enum arp_state arp_lookup(struct stack *st, int ifindex, uint32_t ip, uint8_t mac[6]);
/* Entries in the cache / packets waiting for resolution of (ifindex, ip). */
size_t arp_count(struct stack *st);
size_t arp_pending(struct stack *st, int ifindex, uint32_t ip);

#endif
