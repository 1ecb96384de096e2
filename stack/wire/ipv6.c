/* IPv6 wire codec: fixed header, address classes, Fragment header, and the
 * bounded walk of the extension header chain (RFC 8200 4). */
#include "stack/wire/ipv6.h"

#include <string.h>

const uint8_t ip6_all_nodes[16] = {0xff, 0x02, [15] = 0x01};
const uint8_t ip6_all_routers[16] = {0xff, 0x02, [15] = 0x02};
const uint8_t ip6_all_mldv2_routers[16] = {0xff, 0x02, [15] = 0x16};

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int ip6_parse(const uint8_t *buf, size_t len, struct ip6_hdr *h)
{
    if (len < IP6_HDR_LEN)
        return IP6_ERR_SHORT;
    if (buf[0] >> 4 != 6)
        return IP6_ERR_VERSION;
    uint32_t w0 = rd32(buf);
    h->tclass = (uint8_t)(w0 >> 20);
    h->flow = w0 & 0xfffff;
    h->payload_len = rd16(buf + 4);
    h->next = buf[6];
    h->hop_limit = buf[7];
    memcpy(h->src, buf + 8, 16);
    memcpy(h->dst, buf + 24, 16);
    if ((size_t)h->payload_len > len - IP6_HDR_LEN)
        return IP6_ERR_LENGTH;
    return IP6_OK;
}

void ip6_emit(uint8_t *buf, const struct ip6_hdr *h)
{
    uint32_t w0 = 6u << 28 | (uint32_t)h->tclass << 20 | (h->flow & 0xfffff);
    buf[0] = (uint8_t)(w0 >> 24);
    buf[1] = (uint8_t)(w0 >> 16);
    buf[2] = (uint8_t)(w0 >> 8);
    buf[3] = (uint8_t)w0;
    buf[4] = (uint8_t)(h->payload_len >> 8);
    buf[5] = (uint8_t)h->payload_len;
    buf[6] = h->next;
    buf[7] = h->hop_limit;
    memcpy(buf + 8, h->src, 16);
    memcpy(buf + 24, h->dst, 16);
}

bool ip6_is_unspecified(const uint8_t a[16])
{
    static const uint8_t zero[16];
    return memcmp(a, zero, 16) == 0;
}

bool ip6_is_loopback(const uint8_t a[16])
{
    static const uint8_t one[16] = {[15] = 1};
    return memcmp(a, one, 16) == 0;
}

bool ip6_is_multicast(const uint8_t a[16]) { return a[0] == 0xff; }
bool ip6_is_linklocal(const uint8_t a[16]) { return a[0] == 0xfe && (a[1] & 0xc0) == 0x80; }

bool ip6_is_v4mapped(const uint8_t a[16])
{
    static const uint8_t pfx[12] = {[10] = 0xff, [11] = 0xff};
    return memcmp(a, pfx, 12) == 0;
}

unsigned ip6_mcast_scope(const uint8_t a[16]) { return ip6_is_multicast(a) ? a[1] & 0x0f : 0; }

void ip6_solicited_node(const uint8_t a[16], uint8_t out[16])
{
    static const uint8_t pfx[13] = {0xff, 0x02, [11] = 0x01, [12] = 0xff};
    memcpy(out, pfx, 13);
    memcpy(out + 13, a + 13, 3);
}

bool ip6_is_solicited_node(const uint8_t a[16])
{
    static const uint8_t pfx[13] = {0xff, 0x02, [11] = 0x01, [12] = 0xff};
    return memcmp(a, pfx, 13) == 0;
}

void ip6_mcast_mac(const uint8_t a[16], uint8_t mac[6])
{
    mac[0] = 0x33;
    mac[1] = 0x33;
    memcpy(mac + 2, a + 12, 4);
}

bool ip6_prefix_eq(const uint8_t a[16], const uint8_t b[16], unsigned prefix_len)
{
    if (prefix_len > 128)
        prefix_len = 128;
    unsigned bytes = prefix_len / 8, bits = prefix_len % 8;
    if (memcmp(a, b, bytes) != 0)
        return false;
    if (bits == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - bits));
    return (a[bytes] & mask) == (b[bytes] & mask);
}

int ip6_frag_parse(const uint8_t *buf, size_t len, struct ip6_frag *f)
{
    if (len < IP6_FRAG_HDR_LEN)
        return -1;
    f->next = buf[0];
    uint16_t w = rd16(buf + 2);
    f->offset = (uint16_t)(w & 0xfff8);  /* 13 bits x 8 == the high 13 bits as they lie */
    f->more = w & 1;
    f->id = rd32(buf + 4);
    return 0;
}

void ip6_frag_emit(uint8_t *buf, const struct ip6_frag *f)
{
    buf[0] = f->next;
    buf[1] = 0;
    uint16_t w = (uint16_t)((f->offset & 0xfff8) | (f->more ? 1 : 0));
    buf[2] = (uint8_t)(w >> 8);
    buf[3] = (uint8_t)w;
    buf[4] = (uint8_t)(f->id >> 24);
    buf[5] = (uint8_t)(f->id >> 16);
    buf[6] = (uint8_t)(f->id >> 8);
    buf[7] = (uint8_t)f->id;
}

bool ip6_nh_is_ext(uint8_t nh)
{
    return nh == IP6_NH_HOPOPTS || nh == IP6_NH_ROUTING || nh == IP6_NH_FRAGMENT || nh == IP6_NH_DSTOPTS;
}

static void param_problem(struct ip6_ext *x, uint8_t code, size_t ptr)
{
    x->verdict = IP6_EXT_PARAM_PROBLEM;
    x->pp_code = code;
    x->pp_pointer = (uint32_t)ptr;
}

/* The TLV-encoded options of a Hop-by-Hop or Destination Options header at
 * pkt[off .. off+hlen).  Returns false when the packet must not go on (x
 * says why). */
static bool walk_options(const uint8_t *pkt, size_t off, size_t hlen, bool hbh, bool dst_multicast,
                         struct ip6_ext *x)
{
    size_t i = off + 2, end = off + hlen;
    unsigned pad_run = 0;
    while (i < end) {
        uint8_t type = pkt[i];
        if (type == IP6_OPT_PAD1) {
            if (++pad_run > IP6_EXT_MAX_PAD) {
                x->verdict = IP6_EXT_DROP;
                return false;
            }
            i++;
            continue;
        }
        if (i + 2 > end) {          /* the length byte is missing */
            param_problem(x, 0, i);
            return false;
        }
        uint8_t olen = pkt[i + 1];
        if (i + 2 + olen > end) {   /* the option runs past its header */
            param_problem(x, 0, i + 1);
            return false;
        }
        if (type == IP6_OPT_PADN) {
            pad_run += 2u + olen;
            if (pad_run > IP6_EXT_MAX_PAD) {
                x->verdict = IP6_EXT_DROP;
                return false;
            }
        } else {
            pad_run = 0;
            if (hbh && type == IP6_OPT_ROUTER_ALERT && olen == 2) {
                x->router_alert = true;
            } else {
                /* Unknown (or unsupported: jumbo) option: the two high bits of
                 * its type say what to do (RFC 8200 4.2). */
                switch (type >> 6) {
                case 0: /* skip over it */
                    break;
                case 1: /* discard silently */
                    x->verdict = IP6_EXT_DROP;
                    return false;
                case 2: /* discard, Parameter Problem code 2 even to multicast */
                    param_problem(x, 2, i);
                    x->pp_even_if_multicast = true;
                    return false;
                case 3: /* discard, Parameter Problem code 2 unless to multicast */
                    if (dst_multicast) {
                        x->verdict = IP6_EXT_DROP;
                        return false;
                    }
                    param_problem(x, 2, i);
                    return false;
                }
            }
        }
        i += 2u + olen;
    }
    return true;
}

void ip6_ext_walk(const uint8_t *pkt, size_t len, uint8_t first, size_t start, size_t first_nh_off,
                  bool dst_multicast, struct ip6_ext *out)
{
    struct ip6_ext *x = out;
    memset(x, 0, sizeof *x);
    uint8_t nh = first;
    size_t off = start, nh_off = first_nh_off;

    for (;;) {
        x->proto = nh;
        x->l4_off = off;
        x->nh_off = nh_off;
        if (!ip6_nh_is_ext(nh)) {
            x->verdict = IP6_EXT_OK;   /* upper layer, No Next Header, or unknown: caller decides */
            return;
        }
        if (++x->n_hdrs > IP6_EXT_MAX_HDRS) {
            x->verdict = IP6_EXT_DROP;
            return;
        }
        /* Hop-by-Hop is only allowed right after the fixed header (RFC 8200
         * 4.3); anywhere else it is an unrecognized Next Header. */
        if (nh == IP6_NH_HOPOPTS && off != IP6_HDR_LEN) {
            param_problem(x, 1, nh_off);
            return;
        }
        if (nh == IP6_NH_FRAGMENT) {
            if (off + IP6_FRAG_HDR_LEN > len) {
                x->verdict = IP6_EXT_DROP;
                return;
            }
            struct ip6_frag f;
            ip6_frag_parse(pkt + off, len - off, &f);
            x->frag = f;
            x->frag_off = off;
            if (f.offset == 0 && !f.more) {
                /* Atomic fragment (RFC 6946): process it as a whole packet. */
                x->had_atomic_frag = true;
                nh_off = off;
                nh = f.next;
                off += IP6_FRAG_HDR_LEN;
                continue;
            }
            x->verdict = IP6_EXT_FRAGMENT;
            return;
        }
        /* Hop-by-Hop, Routing, Destination Options share the first two bytes:
         * Next Header, Hdr Ext Len in 8-octet units not counting the first 8. */
        if (off + 2 > len) {
            x->verdict = IP6_EXT_DROP;
            return;
        }
        size_t hlen = ((size_t)pkt[off + 1] + 1) * 8;
        if (off + hlen > len) {
            /* The header runs past the payload length. */
            param_problem(x, 0, off + 1);
            return;
        }
        if (nh == IP6_NH_ROUTING) {
            x->had_routing = true;
            uint8_t segs_left = pkt[off + 3];
            /* We are a host and forward nothing: a Routing header that still
             * has segments to visit (including the deprecated type 0, RFC
             * 5095) is refused; one with Segments Left 0 is ignored. */
            if (segs_left != 0) {
                param_problem(x, 0, off + 2);
                return;
            }
        } else if (!walk_options(pkt, off, hlen, nh == IP6_NH_HOPOPTS, dst_multicast, x)) {
            return;
        }
        nh_off = off;
        nh = pkt[off];
        off += hlen;
    }
}

size_t ip6_skip_ext(const uint8_t *pkt, size_t len, uint8_t *proto)
{
    if (len < IP6_HDR_LEN)
        return 0;
    uint8_t nh = pkt[6];
    size_t off = IP6_HDR_LEN;
    for (int n = 0; ip6_nh_is_ext(nh); n++) {
        if (n >= IP6_EXT_MAX_HDRS || off + 8 > len)
            return 0;
        if (nh == IP6_NH_FRAGMENT) {
            if ((pkt[off + 2] << 8 | pkt[off + 3]) & 0xfff8)
                return 0;   /* not the first fragment: no upper-layer header here */
            nh = pkt[off];
            off += IP6_FRAG_HDR_LEN;
            continue;
        }
        size_t hlen = ((size_t)pkt[off + 1] + 1) * 8;
        nh = pkt[off];
        off += hlen;
    }
    if (off > len)
        return 0;
    *proto = nh;
    return off;
}
