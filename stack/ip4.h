/* The IPv4 layer's internal entry points (stack/ip4.c, stack/ip4_reass.c).
 * Transports use stack/ip.h; this is for stack.c, ICMP and tests. */
#ifndef TAPIR_STACK_IP4_H
#define TAPIR_STACK_IP4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stack/ip.h"
#include "stack/pkt.h"
#include "stack/wire/ipv4.h"

struct stack;

int ip4_init(struct stack *st);
void ip4_destroy(struct stack *st);
/* An IPv4 packet (from its header) arrived on ifindex. link_bcast: the link
 * layer destination was broadcast/multicast. */
void ip4_input(struct stack *st, int ifindex, const uint8_t *pkt, size_t len, bool link_bcast);
int ip4_output(struct stack *st, struct pkt *p, const struct ip_tx *tx);
/* IP_HDRINCL output for raw sockets: p holds a whole IPv4 packet written by
 * the caller.  As Linux (raw(7)): total length and header checksum are always
 * filled in, source address and ID when zero; never fragmented (-EMSGSIZE).
 * Takes ownership. 0 or -errno. */
int ip4_output_hdrincl(struct stack *st, struct pkt *p, int ifindex);
uint32_t ip4_path_mtu(struct stack *st, uint32_t dst);
/* IPv4 half of ip_path_offloads(). */
uint32_t ip4_path_offloads(struct stack *st, uint32_t dst, int ifindex, uint32_t *mtu);
bool ip4_select_source(struct stack *st, uint32_t dst, uint32_t *src);
/* ICMP "fragmentation needed" said the path to dst has this MTU. */
/* A "fragmentation needed" MTU as the stack takes it: 0 if below 68 (not
 * believed), raised to IP4_MIN_PMTU if below that. */
uint32_t ip4_pmtu_clamp(uint32_t mtu);
void ip4_pmtu_update(struct stack *st, uint32_t dst, uint32_t mtu);
/* Is dst a broadcast address for us (limited, or directed on any interface)? */
bool ip4_is_broadcast(const struct stack *st, uint32_t dst);

/* Reassembly (stack/ip4_reass.c). */
int ip4_reass_init(struct stack *st);
void ip4_reass_destroy(struct stack *st);
/* Feeds one fragment (pkt: whole IPv4 packet, h: its parsed header).
 * bcast: it came as a broadcast, link-layer or IP (RFC 1122 3.2.2: no ICMP
 * error about it, the reassembly timeout's included).
 * 1: the datagram is complete; *out (malloc'd: a 20..60-byte header with
 * total length fixed and no fragment bits, then the payload) and *out_len
 * are the caller's to free.  0: held.  < 0: dropped (counted). */
int ip4_reass_input(struct stack *st, int ifindex, const struct ipv4_hdr *h, const uint8_t *pkt, bool bcast,
                    uint8_t **out, size_t *out_len);
/* Bytes held / datagrams in progress (tests). */
size_t ip4_reass_bytes(const struct stack *st);
size_t ip4_reass_count(const struct stack *st);

#endif
