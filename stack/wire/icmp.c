#include "stack/wire/icmp.h"

#include <string.h>

#include "stack/checksum.h"

int icmp_parse(const uint8_t *buf, size_t len, struct icmp_hdr *out, bool verify_csum)
{
    if (len < ICMP_HDR_LEN)
        return WIRE_ETRUNC;
    if (verify_csum && csum_finish(csum_add(0, buf, len)) != 0)
        return WIRE_ECSUM;
    out->type = buf[0];
    out->code = buf[1];
    out->checksum = get16(buf + 2);
    out->rest = get32(buf + 4);
    out->data = buf + ICMP_HDR_LEN;
    out->data_len = len - ICMP_HDR_LEN;
    return WIRE_OK;
}

size_t icmp_emit(const struct icmp_hdr *h, uint8_t *buf)
{
    buf[0] = h->type;
    buf[1] = h->code;
    put16(buf + 2, 0);
    put32(buf + 4, h->rest);
    if (h->data_len && h->data != buf + ICMP_HDR_LEN)
        memmove(buf + ICMP_HDR_LEN, h->data, h->data_len);
    size_t len = ICMP_HDR_LEN + h->data_len;
    put16(buf + 2, csum_finish(csum_add(0, buf, len)));
    return len;
}
