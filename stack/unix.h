/* AF_UNIX sockets inside the stack: SOCK_STREAM and SOCK_DGRAM between
 * sockets of one stack instance, with Linux's semantics (net/unix/af_unix.c)
 * seen through the protocol-neutral layer of stack/socket.h.
 *
 * Names live in a namespace owned by the stack instance, NOT in the file
 * system: bind("/tmp/x") creates no file, and two stacks (two runners) have
 * separate namespaces.  A name lives as long as the socket bound to it (as a
 * Linux abstract name does), so there is nothing to unlink.  A name is up to
 * 108 bytes (sun_path); one starting with '\0' is an abstract name, and
 * bind() with an empty name picks one ("\0" + five hex digits: Linux's
 * autobind).  Errors are Linux's: connect to a missing path ENOENT (a
 * missing abstract name ECONNREFUSED), to a socket of the other type
 * EPROTOTYPE, to one not listening ECONNREFUSED, bind to a taken name
 * EADDRINUSE.
 *
 * Streams: connect() completes at once (the child waits in the listener's
 * accept queue, connected already); the bytes one end sends wait in the
 * other's receive queue, at most the sender's SO_SNDBUF of them (capped by
 * UNIX_STREAM_MAX_BYTES): a full queue is flow control (-EAGAIN), never a
 * drop.  shutdown(SHUT_WR) is EOF for the peer; after the peer's close a
 * send is -EPIPE and a receive returns what was queued, then EOF (or
 * ECONNRESET once, if the peer closed with unread data).
 *
 * Datagrams: each keeps its boundaries and its sender's name (none for an
 * unnamed sender); a receiver queues at most UNIX_DGRAM_QLEN of them and
 * its SO_RCVBUF of bytes, and a sender finding it full gets -EAGAIN and is
 * woken when room appears.  A connected datagram socket takes datagrams
 * from its peer only (others get EPERM).
 */
#ifndef TAPIR_STACK_UNIX_H
#define TAPIR_STACK_UNIX_H

#include "stack/socket.h"

/* A new unbound AF_UNIX socket (type SOCK_STREAM or SOCK_DGRAM). */
int unix_sock_create(struct stack *st, int type, struct sock **out);
/* socketpair(2): two unnamed sockets connected to each other. */
int unix_sock_pair(struct stack *st, int type, struct sock **a, struct sock **b);

#endif
