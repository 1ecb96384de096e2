/* ARP packets for IPv4 over Ethernet (RFC 826): the only combination we
 * speak, so parse refuses any other hardware/protocol type or length. */
#ifndef TAPIR_STACK_WIRE_ARP_H
#define TAPIR_STACK_WIRE_ARP_H

#include <stddef.h>
#include <stdint.h>

#include "stack/wire/wire.h"

#define ARP_PKT_LEN 28
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2

struct arp_pkt {
    uint16_t op;
    uint8_t sha[6];            /* sender hardware address */
    uint32_t spa;              /* sender protocol address, host order */
    uint8_t tha[6];
    uint32_t tpa;
};

/* 0; WIRE_ETRUNC if shorter than 28 bytes (trailing padding is fine);
 * WIRE_EVERSION for another htype/ptype/hlen/plen; WIRE_EVALUE for an
 * operation other than request or reply. */
int arp_pkt_parse(const uint8_t *buf, size_t len, struct arp_pkt *out);
/* Writes ARP_PKT_LEN bytes. */
void arp_pkt_emit(const struct arp_pkt *a, uint8_t *buf);

#endif
