/* UDP's and raw IP's per-stack tables (stack/udp.c, stack/raw.c). */
#ifndef TAPIR_STACK_UDP_H
#define TAPIR_STACK_UDP_H

#include <stddef.h>

struct stack;

int udp_init(struct stack *st);
void udp_destroy(struct stack *st);
int raw_init(struct stack *st);
void raw_destroy(struct stack *st);
/* Sockets open (tests). */
size_t udp_sock_count(const struct stack *st);

#endif
