/* Software GSO (see gso.h). */
#include "drivers/gso.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "stack/checksum.h"
#include "stack/pkt.h"
#include "stack/wire/tcp.h"
#include "stack/wire/wire.h"

/* The TCP checksum of seg (len bytes, checksum field zero) between the
 * addresses of the IP header at ip: pseudo-header of this length. */
static uint16_t tcp_sum(const uint8_t *ip, bool v4, const uint8_t *seg, size_t len)
{
    uint32_t sum = v4 ? csum_add(0, ip + 12, 8) : csum_add(0, ip + 8, 32);
    sum = csum_add(sum, (const uint8_t[]){0, 6, (uint8_t)(len >> 8), (uint8_t)len}, 4);
    if (len > 0xffff) /* an IPv6 pseudo-header length is 32 bits; never here, but be exact */
        sum = csum_add(sum, (const uint8_t[]){0, 0, (uint8_t)(len >> 24), (uint8_t)(len >> 16)}, 4);
    return csum_finish(csum_add(sum, seg, len));
}

int tapir_gso_segment(const uint8_t *frame, size_t len, const struct pkt *meta, tapir_gso_emit_fn emit,
                      void *ctx)
{
    if (!meta || !meta->csum_offset)
        return -EINVAL;
    size_t l3 = meta->l3_offset, l4 = meta->csum_start;
    if (l4 < l3 + 20 || l4 + TCP_HDR_LEN > len || meta->csum_offset != 16)
        return -EINVAL;
    bool v4 = frame[l3] >> 4 == 4;
    if (!v4 && (frame[l3] >> 4 != 6 || l4 < l3 + 40))
        return -EINVAL;
    /* Each piece's IPv4 header checksum covers IHL words: they must lie
     * before the transport header. */
    if (v4 && ((frame[l3] & 0x0f) < 5 || l3 + (size_t)(frame[l3] & 0x0f) * 4 > l4))
        return -EINVAL;
    size_t thl = (size_t)(frame[l4 + 12] >> 4) * 4;
    if (thl < TCP_HDR_LEN || l4 + thl > len)
        return -EINVAL;
    size_t hdrs = l4 + thl, payload = len - hdrs;
    size_t per = meta->gso_size ? meta->gso_size : payload;
    if (per == 0)
        per = 1; /* a bare header (a checksum-only frame without payload): one piece */
    uint8_t *out = malloc(hdrs + per);
    if (!out)
        return -ENOMEM;
    uint32_t seq = get32(frame + l4 + 4);
    uint16_t id = v4 ? get16(frame + l3 + 4) : 0;
    uint8_t flags = frame[l4 + 13];
    int pieces = 0, rc = 0;
    for (size_t off = 0; off < payload || pieces == 0; off += per) {
        size_t n = payload - off < per ? payload - off : per;
        bool first = off == 0, last = off + n >= payload;
        memcpy(out, frame, hdrs);
        memcpy(out + hdrs, frame + hdrs + off, n);
        uint8_t *ip = out + l3, *th = out + l4;
        size_t l3len = (l4 - l3) + thl + n;
        if (v4) {
            put16(ip + 2, (uint16_t)l3len);
            put16(ip + 4, (uint16_t)(id + pieces));
            put16(ip + 10, 0);
            put16(ip + 10, csum_finish(csum_add(0, ip, (size_t)(ip[0] & 0x0f) * 4)));
        } else {
            put16(ip + 4, (uint16_t)(l3len - 40));
        }
        put32(th + 4, seq + (uint32_t)off);
        uint8_t f = flags;
        if (!last)
            f &= (uint8_t)~(TCP_PSH | TCP_FIN);
        if (!first)
            f &= (uint8_t)~TCP_CWR;
        th[13] = f;
        put16(th + 16, 0);
        put16(th + 16, tcp_sum(ip, v4, th, thl + n));
        pieces++;
        if ((rc = emit(ctx, out, hdrs + n)) != 0)
            break;
        if (last)
            break;
    }
    free(out);
    return rc ? rc : pieces;
}
