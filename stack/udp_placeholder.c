/* PLACEHOLDER until the udp module lands: refuses to create udp sockets.
 * The module's own file replaces this one (delete it then). */
#include <errno.h>

#include "stack/socket.h"

int udp_sock_create(struct stack *st, int family, struct sock **out) { (void)st; (void)family; *out = 0; return -EPROTONOSUPPORT; }
