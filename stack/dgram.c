#include "stack/dgram.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "stack/config.h"

bool dgq_push(struct dgram_queue *q, const struct endpoint *from, int ifindex, const void *a,
              size_t alen, const void *b, size_t blen, size_t limit)
{
    size_t len = alen + blen;
    size_t charge = len + UDP_DGRAM_OVERHEAD;
    if (q->bytes + charge > limit)
        return false;
    struct dgram *d = malloc(sizeof *d + len);
    if (!d)
        return false;
    d->next = NULL;
    d->from = *from;
    d->ifindex = ifindex;
    d->len = len;
    if (alen)
        memcpy(d->data, a, alen);
    if (blen)
        memcpy(d->data + alen, b, blen);
    if (q->tail)
        q->tail->next = d;
    else
        q->head = d;
    q->tail = d;
    q->count++;
    q->bytes += charge;
    return true;
}

ssize_t dgq_pop(struct dgram_queue *q, void *buf, size_t len, int flags, struct endpoint *from,
                size_t *full_len)
{
    struct dgram *d = q->head;
    if (!d)
        return -EAGAIN;
    size_t n = d->len < len ? d->len : len;
    if (n)
        memcpy(buf, d->data, n);
    if (from)
        *from = d->from;
    if (full_len)
        *full_len = d->len;
    ssize_t ret = (flags & MSG_TRUNC) ? (ssize_t)d->len : (ssize_t)n;
    if (!(flags & MSG_PEEK)) {
        q->head = d->next;
        if (!q->head)
            q->tail = NULL;
        q->count--;
        q->bytes -= d->len + UDP_DGRAM_OVERHEAD;
        free(d);
    }
    return ret;
}

void dgq_clear(struct dgram_queue *q)
{
    while (q->head) {
        struct dgram *d = q->head;
        q->head = d->next;
        free(d);
    }
    q->tail = NULL;
    q->count = 0;
    q->bytes = 0;
}
