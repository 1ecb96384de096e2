#include "stack/pkt.h"

#include <stdlib.h>
#include <string.h>

struct pkt *pkt_alloc(size_t payload)
{
    struct pkt *p = malloc(sizeof *p + PKT_HEADROOM + payload);
    if (!p)
        return NULL;
    memset(p, 0, sizeof *p);
    p->buf = (uint8_t *)(p + 1);
    p->cap = PKT_HEADROOM + payload;
    p->data = p->buf + PKT_HEADROOM;
    p->len = 0;
    return p;
}

void pkt_free(struct pkt *p)
{
    free(p);
}

uint8_t *pkt_push(struct pkt *p, size_t n)
{
    if ((size_t)(p->data - p->buf) < n)
        return NULL;
    p->data -= n;
    p->len += n;
    return p->data;
}

void pkt_pull(struct pkt *p, size_t n)
{
    if (n > p->len)
        n = p->len;
    p->data += n;
    p->len -= n;
}

uint8_t *pkt_put(struct pkt *p, size_t n)
{
    size_t used = (size_t)(p->data - p->buf) + p->len;
    if (p->cap - used < n)
        return NULL;
    uint8_t *tail = p->data + p->len;
    p->len += n;
    return tail;
}

struct pkt *pkt_clone(const struct pkt *p)
{
    size_t head = (size_t)(p->data - p->buf);
    struct pkt *c = malloc(sizeof *c + p->cap);
    if (!c)
        return NULL;
    *c = *p;
    c->buf = (uint8_t *)(c + 1);
    c->data = c->buf + head;
    c->next = NULL;
    memcpy(c->data, p->data, p->len);
    return c;
}
