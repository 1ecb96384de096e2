#include "stack/wire/udp.h"

#include "stack/checksum.h"

int udp_parse(const uint8_t *buf, size_t len, struct udp_hdr *out, const struct ipaddr *src,
              const struct ipaddr *dst)
{
    if (len < UDP_HDR_LEN)
        return WIRE_ETRUNC;
    out->sport = get16(buf);
    out->dport = get16(buf + 2);
    out->len = get16(buf + 4);
    out->checksum = get16(buf + 6);
    if (out->len < UDP_HDR_LEN || out->len > len)
        return WIRE_ELEN;
    if (src && dst) {
        if (out->checksum == 0) {
            if (src->family != TP_AF_INET)
                return WIRE_ECSUM;
        } else {
            uint32_t sum = csum_pseudo(src, dst, 17, out->len);
            if (csum_finish(csum_add(sum, buf, out->len)) != 0)
                return WIRE_ECSUM;
        }
    }
    return WIRE_OK;
}

size_t udp_emit(const struct udp_hdr *h, uint8_t *buf, size_t payload_len, const struct ipaddr *src,
                const struct ipaddr *dst)
{
    uint16_t len = (uint16_t)(UDP_HDR_LEN + payload_len);
    put16(buf, h->sport);
    put16(buf + 2, h->dport);
    put16(buf + 4, len);
    put16(buf + 6, 0);
    uint16_t c = csum_finish(csum_add(csum_pseudo(src, dst, 17, len), buf, len));
    put16(buf + 6, c ? c : 0xffff);
    return UDP_HDR_LEN;
}
