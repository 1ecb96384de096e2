/* ICMPv4's internal entry points (stack/icmp.c). */
#ifndef TAPIR_STACK_ICMP4_H
#define TAPIR_STACK_ICMP4_H

#include <stdbool.h>
#include <stdint.h>

#include "stack/ip.h"

struct stack;

int icmp_init(struct stack *st);
void icmp_destroy(struct stack *st);
/* Sends an ICMP error of type/code about the datagram rx (rest: the 4 bytes
 * after the checksum, e.g. the next-hop MTU).  Applies every RFC 1122 3.2.2
 * rule and the rate limit; returns true if sent. */
bool icmp_send_error(struct stack *st, const struct ip_rx *about, uint8_t type, uint8_t code,
                     uint32_t rest);
/* Hands an error to the transport that sent the original datagram. */
void icmp_deliver_error(struct stack *st, const struct icmp_error *e);

#endif
