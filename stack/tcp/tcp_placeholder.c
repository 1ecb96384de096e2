/* PLACEHOLDER until the tcp module lands: refuses to create tcp sockets.
 * The module's own file replaces this one (delete it then). */
#include <errno.h>

#include "stack/socket.h"

int tcp_sock_create(struct stack *st, int family, struct sock **out) { (void)st; (void)family; *out = 0; return -EPROTONOSUPPORT; }
