#include "stack/wire/ipv4.h"

#include "stack/checksum.h"

/* RFC 791 3.1: options are either one byte (EOL 0, NOP 1) or type, length
 * (counting both) and data.  A length < 2 or running past the header is
 * malformed; EOL ends the list early.  Returns the offset in opt of the
 * malformed option, or -1 if all are well formed. */
static long bad_option(const uint8_t *opt, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t type = opt[i];
        if (type == 0)
            return -1;
        if (type == 1) {
            i++;
            continue;
        }
        if (i + 1 >= len)
            return (long)i;
        uint8_t olen = opt[i + 1];
        if (olen < 2 || olen > len - i)
            return (long)i;
        i += olen;
    }
    return -1;
}

size_t ipv4_bad_option(const uint8_t *buf, size_t len)
{
    if (len < IPV4_HDR_LEN || buf[0] >> 4 != 4)
        return 0;
    size_t hl = (size_t)(buf[0] & 0x0f) * 4;
    if (hl <= IPV4_HDR_LEN || hl > len || get16(buf + 2) < hl || get16(buf + 2) > len ||
        csum_finish(csum_add(0, buf, hl)) != 0)
        return 0;
    long at = bad_option(buf + IPV4_HDR_LEN, hl - IPV4_HDR_LEN);
    return at < 0 ? 0 : IPV4_HDR_LEN + (size_t)at;
}

enum ipv4_srr ipv4_source_route(const uint8_t *hdr, size_t hl, size_t *opt)
{
    /* The header passed ipv4_parse: every option's length is sane. */
    size_t i = IPV4_HDR_LEN;
    while (i < hl) {
        uint8_t type = hdr[i];
        if (type == 0)
            break;
        if (type == 1) {
            i++;
            continue;
        }
        uint8_t olen = hdr[i + 1];
        if (type == IPV4_OPT_LSRR || type == IPV4_OPT_SSRR) {
            if (opt)
                *opt = i;
            /* Pointer (from the option's start, 4 = first address) past
             * the last address: the route is completed. */
            return olen >= 3 && hdr[i + 2] > olen ? IPV4_SRR_DONE : IPV4_SRR_PENDING;
        }
        i += olen;
    }
    return IPV4_SRR_NONE;
}

int ipv4_parse(const uint8_t *buf, size_t len, struct ipv4_hdr *out, bool verify_csum)
{
    if (len < IPV4_HDR_LEN)
        return WIRE_ETRUNC;
    if (buf[0] >> 4 != 4)
        return WIRE_EVERSION;
    size_t hl = (size_t)(buf[0] & 0x0f) * 4;
    if (hl < IPV4_HDR_LEN)
        return WIRE_EHDR;
    if (hl > len)
        return WIRE_ETRUNC;
    uint16_t total = get16(buf + 2);
    if (total < hl || total > len)
        return WIRE_ELEN;
    if (verify_csum && csum_finish(csum_add(0, buf, hl)) != 0)
        return WIRE_ECSUM;
    if (hl > IPV4_HDR_LEN && bad_option(buf + IPV4_HDR_LEN, hl - IPV4_HDR_LEN) >= 0)
        return WIRE_EHDR;
    uint16_t frag = get16(buf + 6);
    /* The reserved flag bit (0x8000) must be zero: RFC 791.  Linux drops
     * nothing for it; we ignore it too, as an evil bit should not matter. */
    out->hdr_len = (uint8_t)hl;
    out->tos = buf[1];
    out->total_len = total;
    out->id = get16(buf + 4);
    out->df = (frag & 0x4000) != 0;
    out->mf = (frag & 0x2000) != 0;
    out->frag_off = (uint16_t)((frag & 0x1fff) * 8);
    out->ttl = buf[8];
    out->proto = buf[9];
    out->src = get32(buf + 12);
    out->dst = get32(buf + 16);
    return WIRE_OK;
}

size_t ipv4_emit(const struct ipv4_hdr *h, uint8_t *buf)
{
    buf[0] = 0x45;
    buf[1] = h->tos;
    put16(buf + 2, h->total_len);
    put16(buf + 4, h->id);
    put16(buf + 6, (uint16_t)((h->df ? 0x4000 : 0) | (h->mf ? 0x2000 : 0) | ((h->frag_off / 8) & 0x1fff)));
    buf[8] = h->ttl;
    buf[9] = h->proto;
    put16(buf + 10, 0);
    put32(buf + 12, h->src);
    put32(buf + 16, h->dst);
    put16(buf + 10, csum_finish(csum_add(0, buf, IPV4_HDR_LEN)));
    return IPV4_HDR_LEN;
}
