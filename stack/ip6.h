/* What the rest of the stack calls in the IPv6 module (stack/ip6*.c).
 * Until IPv6 lands, stack/ip6_placeholder.c provides stubs that count and
 * drop; the IPv6 module replaces that file and implements these. */
#ifndef TAPIR_STACK_IP6_H
#define TAPIR_STACK_IP6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stack/addr.h"
#include "stack/ip.h"
#include "stack/pkt.h"

struct stack;

/* An IPv6 packet (starting at its IPv6 header; Ethernet already removed)
 * arrived on ifindex.  Borrowed bytes. */
void ip6_input(struct stack *st, int ifindex, const uint8_t *pkt, size_t len);
/* IPv6 half of ip_output(): same contract. */
int ip6_output(struct stack *st, struct pkt *p, const struct ip_tx *tx);
/* IPv6 halves of ip_path_mtu() and ip_select_source(). */
uint32_t ip6_path_mtu(struct stack *st, const struct ipaddr *dst);
bool ip6_select_source(struct stack *st, const struct ipaddr *dst, struct ipaddr *src);
/* icmp_send_unreachable() for an IPv6 datagram.  code is the ICMPv4 code the
 * transport asked for (ICMP_PORT_UNREACH 3 -> ICMPv6 type 1 code 4;
 * ICMP_PROTO_UNREACH 2 -> Parameter Problem code 1); the IPv6 module maps it. */
void icmp6_send_unreachable(struct stack *st, const struct ip_rx *about, uint8_t code);

#endif
