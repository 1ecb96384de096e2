#include "stack/checksum.h"

#include <string.h>

/* RFC 1071's sum does not care about byte order: summing words in the host's
 * order and swapping the folded result gives the same 16 bits as summing
 * big-endian words (1.2.B).  So the bulk goes 8 bytes a load into two 64-bit
 * accumulators (32-bit halves: no carry is lost for any length below 2^32
 * loads), several times faster than a byte pair at a time: every byte
 * received or sent passes through here at least once. */
static inline uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t a = 0, b = 0;
    while (len >= 32) {
        uint64_t w0 = load64(p), w1 = load64(p + 8), w2 = load64(p + 16), w3 = load64(p + 24);
        a += (w0 & 0xffffffffu) + (w1 & 0xffffffffu) + (w2 & 0xffffffffu) + (w3 & 0xffffffffu);
        b += (w0 >> 32) + (w1 >> 32) + (w2 >> 32) + (w3 >> 32);
        p += 32;
        len -= 32;
    }
    while (len >= 8) {
        uint64_t w = load64(p);
        a += w & 0xffffffffu;
        b += w >> 32;
        p += 8;
        len -= 8;
    }
    while (len >= 2) {
        uint16_t w;
        memcpy(&w, p, 2);
        a += w;
        p += 2;
        len -= 2;
    }
    if (len) {
        /* The odd last byte is the high half of a big-endian word. */
        uint16_t w;
        memcpy(&w, (const uint8_t[2]){p[0], 0}, 2);
        a += w;
    }
    uint64_t s = (a & 0xffffffffu) + (a >> 32) + (b & 0xffffffffu) + (b >> 32);
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    s = ((s & 0xff) << 8) | (s >> 8);
#endif
    /* Folded, this is 0 only if every word was 0, as the big-endian sum
     * would be: csum_finish gives the same answer as word by word. */
    uint64_t t = (uint64_t)sum + s;
    return (uint32_t)((t & 0xffffffffu) + (t >> 32));
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
