#include "stack/checksum.h"

uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t s = sum;
    /* Sum 16-bit big-endian words; a 64-bit accumulator cannot overflow for
     * any packet size we handle, so the carries are folded once at the end. */
    while (len >= 2) {
        s += (uint32_t)(p[0] << 8 | p[1]);
        p += 2;
        len -= 2;
    }
    if (len)
        s += (uint32_t)p[0] << 8;
    while (s >> 32)
        s = (s & 0xffffffffu) + (s >> 32);
    return (uint32_t)s;
}

uint16_t csum_finish(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

uint32_t csum_pseudo(const struct ipaddr *src, const struct ipaddr *dst, uint8_t proto, uint32_t len)
{
    uint64_t s = 0;
    if (src->family == TP_AF_INET) {
        s += (src->v4 >> 16) + (src->v4 & 0xffff);
        s += (dst->v4 >> 16) + (dst->v4 & 0xffff);
    } else {
        s += csum_add(0, src->v6, 16);
        s += csum_add(0, dst->v6, 16);
    }
    s += proto;
    s += (len >> 16) + (len & 0xffff);
    while (s >> 32)
        s = (s & 0xffffffffu) + (s >> 32);
    return (uint32_t)s;
}

uint16_t csum_update16(uint16_t check, uint16_t old_val, uint16_t new_val)
{
    /* HC' = ~(~HC + ~m + m') */
    uint32_t s = (uint16_t)~check + (uint32_t)(uint16_t)~old_val + new_val;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}
