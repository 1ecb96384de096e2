/* A packet buffer for the output path: bytes with headroom in front, so each
 * layer prepends its header without copying what the layer above wrote.
 *
 *   TCP builds header+payload at p->data, calls ip4_output();
 *   IPv4 does pkt_push(p, 20) and writes its header; Ethernet pushes 14 more.
 *
 * Ownership: whoever is handed a pkt (an *_output function) owns it and must
 * free it or keep it (the ARP pending queue keeps it).  The input path does not
 * use pkt: it parses frames in place (const bytes + length).
 */
#ifndef TAPIR_STACK_PKT_H
#define TAPIR_STACK_PKT_H

#include <stddef.h>
#include <stdint.h>

/* Room for Ethernet (14) + IPv6 (40) + a fragment header (8) + slack. */
#define PKT_HEADROOM 96

struct pkt {
    uint8_t *data;      /* first byte of the packet as it stands now */
    size_t len;         /* bytes from data */
    uint8_t *buf;       /* start of the allocation */
    size_t cap;         /* bytes in the allocation */
    struct pkt *next;   /* for queues (ARP pending, loopback, ...) */
    /* Offload hints for devices that can use them (TAP with IFF_VNET_HDR).
     * gso_size != 0: the packet is a TCP/UDP super-segment the device cuts
     * into gso_size pieces. csum_start/csum_offset: the L4 checksum is left
     * partial (pseudo-header only) for the device to finish; csum_start
     * counts from the first byte of the frame the device gets (the link
     * layer fills it in from l4_pos, see pkt_csum_partial). 0 = not used. */
    uint16_t gso_size;
    uint8_t gso_type;   /* 0 none, 1 TCPv4, 4 TCPv6, 5 UDP (virtio_net values) */
    uint16_t csum_start, csum_offset;
    uint16_t l3_offset; /* offset of the IP header from data, set by ip output */
    uint16_t l4_pos;    /* where the transport header sits, from buf (see below) */
};

/* virtio_net_hdr gso_type values (linux/virtio_net.h), kept here so the
 * sans-I/O stack need not include a kernel header. */
#define PKT_GSO_TCPV4 1
#define PKT_GSO_TCPV6 4
#define PKT_GSO_ECN   0x80

/* A packet with room for `payload` bytes after PKT_HEADROOM; data points at
 * the payload area, len = 0.  NULL when memory is exhausted. */
struct pkt *pkt_alloc(size_t payload);
void pkt_free(struct pkt *p);
/* Make room for n more header bytes in front; returns the new data pointer,
 * or NULL if the headroom is exhausted (a bug in the caller). */
uint8_t *pkt_push(struct pkt *p, size_t n);
/* Drop n bytes from the front. */
void pkt_pull(struct pkt *p, size_t n);
/* Append n bytes at the tail (reserve + return pointer); NULL if no room. */
uint8_t *pkt_put(struct pkt *p, size_t n);
/* A copy with the same headroom; NULL on exhaustion. */
struct pkt *pkt_clone(const struct pkt *p);

/* The transport layer, with its header at p->data, asks the device to
 * finish the checksum whose field is csum_offset bytes into that header.
 * Only the transport knows where its header starts, and only the link layer
 * knows how many header bytes end up in front of it; but lower layers push
 * their headers in front without moving the bytes, so the header's place in
 * the buffer (l4_pos) is fixed, and the link layer turns it into csum_start
 * (pkt_link_offsets) when the frame is finished. */
static inline void pkt_csum_partial(struct pkt *p, uint16_t csum_offset)
{
    p->l4_pos = (uint16_t)(p->data - p->buf);
    p->csum_offset = csum_offset;
}
/* Called by the link layer with data at the frame's first byte. */
static inline void pkt_link_offsets(struct pkt *p)
{
    if (p->csum_offset)
        p->csum_start = (uint16_t)(p->l4_pos - (uint16_t)(p->data - p->buf));
}

#endif
