/* PLACEHOLDER until the tcp module lands: refuses to create tcp sockets.
 * The module's own file replaces this one (delete it then). */
#include <errno.h>

#include "stack/socket.h"

int tcp_sock_create(struct stack *st, int family, struct sock **out) { (void)st; (void)family; *out = 0; return -EPROTONOSUPPORT; }

/* Until the TCP engine lands: segments and ICMP errors for TCP are ignored. */
#include "stack/ip.h"
#include "stack/stack.h"

void tcp_input(struct stack *st, const struct ip_rx *rx) { (void)rx; st->ctr.tcp_rx_segments++; }
void tcp_icmp_error(struct stack *st, const struct icmp_error *e) { (void)st; (void)e; }
