#include "stack/wire/arp.h"

#include <string.h>

int arp_pkt_parse(const uint8_t *buf, size_t len, struct arp_pkt *out)
{
    if (len < ARP_PKT_LEN)
        return WIRE_ETRUNC;
    /* htype 1 (Ethernet), ptype 0x0800 (IPv4), hlen 6, plen 4 */
    if (get16(buf) != 1 || get16(buf + 2) != 0x0800 || buf[4] != 6 || buf[5] != 4)
        return WIRE_EVERSION;
    out->op = get16(buf + 6);
    if (out->op != ARP_OP_REQUEST && out->op != ARP_OP_REPLY)
        return WIRE_EVALUE;
    memcpy(out->sha, buf + 8, 6);
    out->spa = get32(buf + 14);
    memcpy(out->tha, buf + 18, 6);
    out->tpa = get32(buf + 24);
    return WIRE_OK;
}

void arp_pkt_emit(const struct arp_pkt *a, uint8_t *buf)
{
    put16(buf, 1);
    put16(buf + 2, 0x0800);
    buf[4] = 6;
    buf[5] = 4;
    put16(buf + 6, a->op);
    memcpy(buf + 8, a->sha, 6);
    put32(buf + 14, a->spa);
    memcpy(buf + 18, a->tha, 6);
    put32(buf + 24, a->tpa);
}
