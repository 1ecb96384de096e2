/* ICMPv6, Neighbor Discovery and MLDv2 wire codec. */
#include "stack/wire/icmpv6.h"

#include <string.h>

#include "stack/checksum.h"
#include "stack/wire/ipv6.h"

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

uint16_t icmp6_checksum(const uint8_t src[16], const uint8_t dst[16], const uint8_t *msg, size_t len)
{
    /* Pseudo-header: source, destination, 32-bit upper-layer length, three
     * zero bytes and Next Header 58 (RFC 8200 8.1). */
    uint8_t ph[8];
    wr32(ph, (uint32_t)len);
    ph[4] = ph[5] = ph[6] = 0;
    ph[7] = IP6_NH_ICMPV6;
    uint32_t sum = csum_add(0, src, 16);
    sum = csum_add(sum, dst, 16);
    sum = csum_add(sum, ph, 8);
    sum = csum_add(sum, msg, len);
    return csum_finish(sum);
}

void icmp6_set_checksum(uint8_t *msg, size_t len, const uint8_t src[16], const uint8_t dst[16])
{
    msg[2] = msg[3] = 0;
    wr16(msg + 2, icmp6_checksum(src, dst, msg, len));
}

int icmp6_parse(const uint8_t *msg, size_t len, const uint8_t *src, const uint8_t *dst,
                struct icmp6_hdr *h)
{
    if (len < 4)
        return ICMP6_ERR_SHORT;
    h->type = msg[0];
    h->code = msg[1];
    h->checksum = rd16(msg + 2);
    /* Every message we know has at least the 4 bytes after the checksum. */
    if (len < ICMP6_HDR_LEN)
        return ICMP6_ERR_SHORT;
    h->data = rd32(msg + 4);
    if (src && dst && icmp6_checksum(src, dst, msg, len) != 0)
        return ICMP6_ERR_CHECKSUM;
    return ICMP6_OK;
}

void icmp6_emit_hdr(uint8_t *msg, const struct icmp6_hdr *h)
{
    msg[0] = h->type;
    msg[1] = h->code;
    wr16(msg + 2, h->checksum);
    wr32(msg + 4, h->data);
}

size_t icmp6_emit_echo(uint8_t *msg, size_t cap, uint8_t type, uint16_t id, uint16_t seq,
                       const uint8_t *payload, size_t plen)
{
    if (cap < ICMP6_HDR_LEN || cap - ICMP6_HDR_LEN < plen)
        return 0;
    struct icmp6_hdr h = {.type = type, .code = 0, .data = (uint32_t)id << 16 | seq};
    icmp6_emit_hdr(msg, &h);
    if (plen)
        memmove(msg + ICMP6_HDR_LEN, payload, plen);
    return ICMP6_HDR_LEN + plen;
}

size_t icmp6_emit_error(uint8_t *msg, size_t cap, uint8_t type, uint8_t code, uint32_t param,
                        const uint8_t *quote, size_t qlen)
{
    if (cap < ICMP6_HDR_LEN)
        return 0;
    if (qlen > ICMP6_ERR_QUOTE_MAX)
        qlen = ICMP6_ERR_QUOTE_MAX;
    if (qlen > cap - ICMP6_HDR_LEN)
        qlen = cap - ICMP6_HDR_LEN;
    struct icmp6_hdr h = {.type = type, .code = code, .data = param};
    icmp6_emit_hdr(msg, &h);
    if (qlen)
        memmove(msg + ICMP6_HDR_LEN, quote, qlen);
    return ICMP6_HDR_LEN + qlen;
}

/* ---- ND options ---- */

int nd_parse_opts(const uint8_t *p, size_t len, struct nd_opts *o)
{
    memset(o, 0, sizeof *o);
    size_t i = 0;
    while (i < len) {
        if (len - i < 2)
            return ICMP6_ERR_OPTION;
        uint8_t type = p[i];
        size_t olen = (size_t)p[i + 1] * 8;
        /* RFC 4861 4.6: a length of 0 is invalid and the whole message is
         * dropped (it would loop forever otherwise). */
        if (olen == 0 || olen > len - i)
            return ICMP6_ERR_OPTION;
        const uint8_t *opt = p + i;
        switch (type) {
        case ND_OPT_SRC_LLADDR:
        case ND_OPT_TGT_LLADDR:
            /* Ethernet: 2 + 6 bytes = one unit.  Other lengths belong to
             * other link types and are skipped. */
            if (olen == 8) {
                if (type == ND_OPT_SRC_LLADDR && !o->src_lladdr)
                    o->src_lladdr = opt + 2;
                if (type == ND_OPT_TGT_LLADDR && !o->tgt_lladdr)
                    o->tgt_lladdr = opt + 2;
            }
            break;
        case ND_OPT_PREFIX_INFO:
            if (olen != 32)    /* RFC 4861 4.6.2: length 4; anything else is not one */
                break;
            o->n_prefix_seen++;
            if (o->n_prefix < ND_MAX_PREFIX_OPTS) {
                struct nd_prefix *pi = &o->prefix[o->n_prefix++];
                pi->prefix_len = opt[2];
                pi->onlink = opt[3] & 0x80;
                pi->autonomous = opt[3] & 0x40;
                pi->valid_lifetime = rd32(opt + 4);
                pi->preferred_lifetime = rd32(opt + 8);
                memcpy(pi->prefix, opt + 16, 16);
            }
            break;
        case ND_OPT_MTU:
            if (olen == 8) {
                o->has_mtu = true;
                o->mtu = rd32(opt + 4);
            }
            break;
        case ND_OPT_REDIRECTED:
            o->redirected = opt + 8;
            o->redirected_len = olen - 8;
            break;
        case ND_OPT_NONCE:
            o->nonce = opt + 2;
            o->nonce_len = olen - 2;
            break;
        default:
            /* Unknown options are skipped (RFC 4861 4.6). */
            break;
        }
        i += olen;
    }
    return ICMP6_OK;
}

/* The checks every ND message shares: code 0, minimum length, options. */
static int nd_common(const uint8_t *msg, size_t len, size_t min, struct nd_opts *o)
{
    if (len < min)
        return len < ICMP6_HDR_LEN ? ICMP6_ERR_SHORT : ICMP6_ERR_LENGTH;
    if (msg[1] != 0)
        return ICMP6_ERR_CODE;
    return nd_parse_opts(msg + min, len - min, o);
}

int nd_parse_rs(const uint8_t *msg, size_t len, struct nd_rs *out)
{
    return nd_common(msg, len, 8, &out->opts);
}

int nd_parse_ra(const uint8_t *msg, size_t len, struct nd_ra *out)
{
    int r = nd_common(msg, len, 16, &out->opts);
    if (r != ICMP6_OK)
        return r;
    out->cur_hop_limit = msg[4];
    out->managed = msg[5] & 0x80;
    out->other = msg[5] & 0x40;
    out->router_lifetime = rd16(msg + 6);
    out->reachable_time = rd32(msg + 8);
    out->retrans_timer = rd32(msg + 12);
    return ICMP6_OK;
}

int nd_parse_ns(const uint8_t *msg, size_t len, struct nd_ns *out)
{
    int r = nd_common(msg, len, 24, &out->opts);
    if (r != ICMP6_OK)
        return r;
    memcpy(out->target, msg + 8, 16);
    if (ip6_is_multicast(out->target))   /* RFC 4861 7.1.1 */
        return ICMP6_ERR_FIELD;
    return ICMP6_OK;
}

int nd_parse_na(const uint8_t *msg, size_t len, struct nd_na *out)
{
    int r = nd_common(msg, len, 24, &out->opts);
    if (r != ICMP6_OK)
        return r;
    out->router = msg[4] & 0x80;
    out->solicited = msg[4] & 0x40;
    out->override = msg[4] & 0x20;
    memcpy(out->target, msg + 8, 16);
    if (ip6_is_multicast(out->target))   /* RFC 4861 7.1.2 */
        return ICMP6_ERR_FIELD;
    return ICMP6_OK;
}

int nd_parse_redirect(const uint8_t *msg, size_t len, struct nd_redirect *out)
{
    int r = nd_common(msg, len, 40, &out->opts);
    if (r != ICMP6_OK)
        return r;
    memcpy(out->target, msg + 8, 16);
    memcpy(out->dest, msg + 24, 16);
    if (ip6_is_multicast(out->dest))     /* RFC 4861 8.1 */
        return ICMP6_ERR_FIELD;
    /* The target is either link-local (a better router) or the destination
     * itself (it is on-link). */
    if (!ip6_is_linklocal(out->target) && memcmp(out->target, out->dest, 16) != 0)
        return ICMP6_ERR_FIELD;
    return ICMP6_OK;
}

size_t nd_opt_put_lladdr(uint8_t *p, size_t cap, uint8_t type, const uint8_t mac[6])
{
    if (cap < 8)
        return 0;
    p[0] = type;
    p[1] = 1;
    memcpy(p + 2, mac, 6);
    return 8;
}

size_t nd_opt_put_prefix(uint8_t *p, size_t cap, const struct nd_prefix *pi)
{
    if (cap < 32)
        return 0;
    memset(p, 0, 32);
    p[0] = ND_OPT_PREFIX_INFO;
    p[1] = 4;
    p[2] = pi->prefix_len;
    p[3] = (uint8_t)((pi->onlink ? 0x80 : 0) | (pi->autonomous ? 0x40 : 0));
    wr32(p + 4, pi->valid_lifetime);
    wr32(p + 8, pi->preferred_lifetime);
    memcpy(p + 16, pi->prefix, 16);
    return 32;
}

size_t nd_opt_put_mtu(uint8_t *p, size_t cap, uint32_t mtu)
{
    if (cap < 8)
        return 0;
    memset(p, 0, 8);
    p[0] = ND_OPT_MTU;
    p[1] = 1;
    wr32(p + 4, mtu);
    return 8;
}

size_t nd_emit_rs(uint8_t *msg, size_t cap, const uint8_t *src_lladdr)
{
    size_t need = 8 + (src_lladdr ? 8 : 0);
    if (cap < need)
        return 0;
    memset(msg, 0, 8);
    msg[0] = ICMP6_ND_RS;
    if (src_lladdr)
        nd_opt_put_lladdr(msg + 8, 8, ND_OPT_SRC_LLADDR, src_lladdr);
    return need;
}

size_t nd_emit_ra(uint8_t *msg, size_t cap, const struct nd_ra *ra)
{
    if (cap < 16)
        return 0;
    memset(msg, 0, 16);
    msg[0] = ICMP6_ND_RA;
    msg[4] = ra->cur_hop_limit;
    msg[5] = (uint8_t)((ra->managed ? 0x80 : 0) | (ra->other ? 0x40 : 0));
    wr16(msg + 6, ra->router_lifetime);
    wr32(msg + 8, ra->reachable_time);
    wr32(msg + 12, ra->retrans_timer);
    size_t n = 16, k;
    if (ra->opts.src_lladdr) {
        if (!(k = nd_opt_put_lladdr(msg + n, cap - n, ND_OPT_SRC_LLADDR, ra->opts.src_lladdr)))
            return 0;
        n += k;
    }
    if (ra->opts.has_mtu) {
        if (!(k = nd_opt_put_mtu(msg + n, cap - n, ra->opts.mtu)))
            return 0;
        n += k;
    }
    for (int i = 0; i < ra->opts.n_prefix && i < ND_MAX_PREFIX_OPTS; i++) {
        if (!(k = nd_opt_put_prefix(msg + n, cap - n, &ra->opts.prefix[i])))
            return 0;
        n += k;
    }
    return n;
}

size_t nd_emit_ns(uint8_t *msg, size_t cap, const uint8_t target[16], const uint8_t *src_lladdr,
                  const uint8_t *nonce, size_t nonce_len)
{
    /* The nonce option: 2 bytes of header + nonce, padded to 8 (RFC 7527: 6 bytes). */
    size_t nonce_opt = nonce ? ((2 + nonce_len + 7) / 8) * 8 : 0;
    size_t need = 24 + (src_lladdr ? 8 : 0) + nonce_opt;
    if (cap < need || nonce_opt > 255 * 8)
        return 0;
    memset(msg, 0, need);
    msg[0] = ICMP6_ND_NS;
    memcpy(msg + 8, target, 16);
    size_t n = 24;
    if (src_lladdr)
        n += nd_opt_put_lladdr(msg + n, cap - n, ND_OPT_SRC_LLADDR, src_lladdr);
    if (nonce) {
        msg[n] = ND_OPT_NONCE;
        msg[n + 1] = (uint8_t)(nonce_opt / 8);
        memcpy(msg + n + 2, nonce, nonce_len);
        n += nonce_opt;
    }
    return n;
}

size_t nd_emit_na(uint8_t *msg, size_t cap, const uint8_t target[16], bool router, bool solicited,
                  bool override, const uint8_t *tgt_lladdr)
{
    size_t need = 24 + (tgt_lladdr ? 8 : 0);
    if (cap < need)
        return 0;
    memset(msg, 0, 24);
    msg[0] = ICMP6_ND_NA;
    msg[4] = (uint8_t)((router ? 0x80 : 0) | (solicited ? 0x40 : 0) | (override ? 0x20 : 0));
    memcpy(msg + 8, target, 16);
    if (tgt_lladdr)
        nd_opt_put_lladdr(msg + 24, 8, ND_OPT_TGT_LLADDR, tgt_lladdr);
    return need;
}

size_t nd_emit_redirect(uint8_t *msg, size_t cap, const uint8_t target[16], const uint8_t dest[16],
                        const uint8_t *tgt_lladdr, const uint8_t *quote, size_t qlen)
{
    /* The Redirected Header option is 8 bytes + the quote padded to 8, and
     * the whole message must fit the minimum MTU (RFC 4861 4.6.3). */
    size_t max_quote = (IP6_MIN_MTU - IP6_HDR_LEN - 40 - 8 - 8) & ~(size_t)7;
    if (qlen > max_quote)
        qlen = max_quote;
    size_t rh = quote ? 8 + ((qlen + 7) & ~(size_t)7) : 0;
    size_t need = 40 + (tgt_lladdr ? 8 : 0) + rh;
    if (cap < need)
        return 0;
    memset(msg, 0, need);
    msg[0] = ICMP6_ND_REDIRECT;
    memcpy(msg + 8, target, 16);
    memcpy(msg + 24, dest, 16);
    size_t n = 40;
    if (tgt_lladdr)
        n += nd_opt_put_lladdr(msg + n, cap - n, ND_OPT_TGT_LLADDR, tgt_lladdr);
    if (quote) {
        msg[n] = ND_OPT_REDIRECTED;
        msg[n + 1] = (uint8_t)(rh / 8);
        memcpy(msg + n + 8, quote, qlen);
        n += rh;
    }
    return n;
}

/* ---- MLD ---- */

int mld_parse_query(const uint8_t *msg, size_t len, struct mld_query *out)
{
    if (len < 24)
        return len < ICMP6_HDR_LEN ? ICMP6_ERR_SHORT : ICMP6_ERR_LENGTH;
    if (msg[0] != ICMP6_MLD_QUERY)
        return ICMP6_ERR_FIELD;
    memset(out, 0, sizeof *out);
    uint16_t code = rd16(msg + 4);
    memcpy(out->group, msg + 8, 16);
    if (len >= 28) {
        /* RFC 3810 5.1.3: Maximum Response Code, exponential above 32767. */
        out->v2 = true;
        if (code < 32768)
            out->max_resp_ms = code;
        else
            out->max_resp_ms = ((uint32_t)(code & 0x0fff) | 0x1000) << (((code >> 12) & 7) + 3);
        out->n_sources = rd16(msg + 26);
        if ((size_t)out->n_sources * 16 > len - 28)
            return ICMP6_ERR_LENGTH;
    } else {
        out->max_resp_ms = code;
    }
    return ICMP6_OK;
}

size_t mld2_emit_report(uint8_t *msg, size_t cap, uint8_t rec_type, const uint8_t (*groups)[16],
                        int n_groups)
{
    if (n_groups < 0 || n_groups > 0xffff)
        return 0;
    size_t need = 8 + (size_t)n_groups * 20;
    if (cap < need)
        return 0;
    memset(msg, 0, need);
    msg[0] = ICMP6_MLD2_REPORT;
    wr16(msg + 6, (uint16_t)n_groups);
    for (int i = 0; i < n_groups; i++) {
        uint8_t *r = msg + 8 + (size_t)i * 20;
        r[0] = rec_type;   /* aux data length 0, no sources */
        memcpy(r + 4, groups[i], 16);
    }
    return need;
}

int mld2_parse_report(const uint8_t *msg, size_t len,
                      void (*fn)(void *ctx, uint8_t rec_type, const uint8_t group[16]), void *ctx)
{
    if (len < 8)
        return ICMP6_ERR_SHORT;
    if (msg[0] != ICMP6_MLD2_REPORT)
        return ICMP6_ERR_FIELD;
    unsigned n = rd16(msg + 6);
    size_t off = 8;
    for (unsigned i = 0; i < n; i++) {
        if (len - off < 20)
            return ICMP6_ERR_LENGTH;
        const uint8_t *r = msg + off;
        size_t rlen = 20 + (size_t)rd16(r + 2) * 16 + (size_t)r[1] * 4;
        if (rlen > len - off)
            return ICMP6_ERR_LENGTH;
        if (fn)
            fn(ctx, r[0], r + 4);
        off += rlen;
    }
    return (int)n;
}
