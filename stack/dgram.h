/* A bounded queue of received datagrams, shared by UDP and raw sockets:
 * each entry keeps its payload and where it came from. */
#ifndef TAPIR_STACK_DGRAM_H
#define TAPIR_STACK_DGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "stack/addr.h"

struct dgram {
    struct dgram *next;
    struct endpoint from;
    int ifindex;
    size_t len;
    uint8_t data[];
};

struct dgram_queue {
    struct dgram *head, *tail;
    size_t count;
    size_t bytes;              /* charged: payload + overhead per datagram */
};

/* Appends a copy of the datagram (two pieces, either may be empty) unless
 * that would take the charged bytes past limit.  false: full (or no memory). */
bool dgq_push(struct dgram_queue *q, const struct endpoint *from, int ifindex, const void *a,
              size_t alen, const void *b, size_t blen, size_t limit);
/* Copies the head datagram out (MSG_PEEK keeps it), as recv(2) would:
 * returns the bytes copied, or (flags & MSG_TRUNC) its real length; -EAGAIN
 * if empty.  *full_len gets the real length. */
ssize_t dgq_pop(struct dgram_queue *q, void *buf, size_t len, int flags, struct endpoint *from,
                size_t *full_len);
void dgq_clear(struct dgram_queue *q);

#endif
