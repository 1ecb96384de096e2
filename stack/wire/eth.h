/* Ethernet II frames (IEEE 802.3 with an EtherType; no 802.1Q tags, no LLC). */
#ifndef TAPIR_STACK_WIRE_ETH_H
#define TAPIR_STACK_WIRE_ETH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stack/wire/wire.h"

#define ETH_HDR_LEN 14
#define ETH_ADDR_LEN 6
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP  0x0806
#define ETHERTYPE_IPV6 0x86DD

struct eth_hdr {
    uint8_t dst[ETH_ADDR_LEN];
    uint8_t src[ETH_ADDR_LEN];
    uint16_t type;             /* EtherType, host order */
};

extern const uint8_t eth_broadcast[ETH_ADDR_LEN];

/* 0, or WIRE_ETRUNC if shorter than a header; WIRE_ELEN for an 802.3 length
 * field (type < 0x0600) which we do not speak. */
int eth_parse(const uint8_t *buf, size_t len, struct eth_hdr *out);
/* Writes ETH_HDR_LEN bytes. */
void eth_emit(const struct eth_hdr *h, uint8_t *buf);

static inline bool eth_is_multicast(const uint8_t mac[ETH_ADDR_LEN])
{
    return mac[0] & 1; /* the group bit; broadcast included */
}

static inline bool eth_is_broadcast(const uint8_t mac[ETH_ADDR_LEN])
{
    return (mac[0] & mac[1] & mac[2] & mac[3] & mac[4] & mac[5]) == 0xff;
}

static inline bool eth_is_zero(const uint8_t mac[ETH_ADDR_LEN])
{
    return (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0;
}

/* RFC 1112 6.4: 01:00:5e + the low 23 bits of the group address. */
void eth_ip4_multicast_mac(uint32_t group, uint8_t mac[ETH_ADDR_LEN]);

#endif
