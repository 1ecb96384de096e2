#include "stack/wire/eth.h"

#include <string.h>

const uint8_t eth_broadcast[ETH_ADDR_LEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

int eth_parse(const uint8_t *buf, size_t len, struct eth_hdr *out)
{
    if (len < ETH_HDR_LEN)
        return WIRE_ETRUNC;
    memcpy(out->dst, buf, ETH_ADDR_LEN);
    memcpy(out->src, buf + 6, ETH_ADDR_LEN);
    out->type = get16(buf + 12);
    /* Values up to 1500 are IEEE 802.3 lengths (LLC/SNAP frames), not types. */
    if (out->type < 0x0600)
        return WIRE_ELEN;
    return WIRE_OK;
}

void eth_emit(const struct eth_hdr *h, uint8_t *buf)
{
    memcpy(buf, h->dst, ETH_ADDR_LEN);
    memcpy(buf + 6, h->src, ETH_ADDR_LEN);
    put16(buf + 12, h->type);
}

void eth_ip4_multicast_mac(uint32_t group, uint8_t mac[ETH_ADDR_LEN])
{
    mac[0] = 0x01;
    mac[1] = 0x00;
    mac[2] = 0x5e;
    mac[3] = (uint8_t)((group >> 16) & 0x7f);
    mac[4] = (uint8_t)(group >> 8);
    mac[5] = (uint8_t)group;
}
