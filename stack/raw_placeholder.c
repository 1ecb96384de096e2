/* PLACEHOLDER until the raw module lands: refuses to create raw sockets.
 * The module's own file replaces this one (delete it then). */
#include <errno.h>

#include "stack/socket.h"

int raw_sock_create(struct stack *st, int family, int protocol, struct sock **out) { (void)st; (void)family; (void)protocol; *out = 0; return -EPROTONOSUPPORT; }
