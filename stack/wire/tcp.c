/* TCP header codec: see tcp.h. */
#include "stack/wire/tcp.h"

#include <string.h>

#include "stack/checksum.h"

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

int tcp_opts_parse(const uint8_t *p, size_t len, struct tcp_opts *o)
{
    memset(o, 0, sizeof *o);
    size_t i = 0;
    while (i < len) {
        uint8_t kind = p[i];
        if (kind == TCPOPT_EOL)
            break;                      /* the rest is padding */
        if (kind == TCPOPT_NOP) {
            i++;
            continue;
        }
        /* Every other option has a length byte counting kind and length. */
        if (i + 1 >= len)
            return -1;
        uint8_t olen = p[i + 1];
        if (olen < 2 || olen > len - i)
            return -1;
        const uint8_t *v = p + i + 2;
        switch (kind) {
        case TCPOPT_MSS:
            if (olen == 4) {
                o->mss_ok = true;
                o->mss = get16(v);
            }
            break;
        case TCPOPT_WSCALE:
            if (olen == 3) {
                o->ws_ok = true;
                o->ws = v[0];
            }
            break;
        case TCPOPT_SACK_PERM:
            if (olen == 2)
                o->sack_perm = true;
            break;
        case TCPOPT_TS:
            if (olen == 10) {
                o->ts_ok = true;
                o->tsval = get32(v);
                o->tsecr = get32(v + 4);
            }
            break;
        case TCPOPT_SACK:
            /* 2 + 8n bytes, n = 1..4; anything else is ignored. */
            if (olen >= 10 && (olen - 2) % 8 == 0) {
                unsigned n = (olen - 2u) / 8u;
                if (n > TCP_MAX_SACK)
                    n = TCP_MAX_SACK;
                for (unsigned k = 0; k < n; k++) {
                    o->sack[k].start = get32(v + 8 * k);
                    o->sack[k].end = get32(v + 8 * k + 4);
                }
                o->n_sack = (uint8_t)n;
            }
            break;
        case TCPOPT_FASTOPEN:
            /* Empty: a cookie request; else a 4..16-byte even cookie
             * (RFC 7413 4.1.1); other lengths are ignored, as Linux does
             * (tcp_parse_fastopen_option). */
            if (olen == 2 || (olen - 2 >= TCP_FO_COOKIE_MIN && olen - 2 <= TCP_FO_COOKIE_MAX &&
                              (olen & 1) == 0)) {
                o->fo_ok = true;
                o->fo_len = (uint8_t)(olen - 2);
                memcpy(o->fo_cookie, v, o->fo_len);
            }
            break;
        default:
            break;                      /* unknown: skipped by its length */
        }
        i += olen;
    }
    return 0;
}

int tcp_hdr_parse(const uint8_t *seg, size_t len, struct tcp_hdr *h)
{
    if (len < TCP_HDR_LEN)
        return -1;
    h->sport = get16(seg);
    h->dport = get16(seg + 2);
    h->seq = get32(seg + 4);
    h->ack = get32(seg + 8);
    h->hdr_len = (uint8_t)((seg[12] >> 4) * 4);
    h->flags = seg[13];
    h->win = get16(seg + 14);
    h->csum = get16(seg + 16);
    h->urg = get16(seg + 18);
    if (h->hdr_len < TCP_HDR_LEN || h->hdr_len > len)
        return -1;
    return tcp_opts_parse(seg + TCP_HDR_LEN, h->hdr_len - TCP_HDR_LEN, &h->opt);
}

size_t tcp_opts_len(const struct tcp_opts *o)
{
    size_t n = 0;
    if (o->mss_ok)
        n += 4;
    if (o->ts_ok)
        n += 12;                        /* sackOK+TS or nop,nop,TS */
    else if (o->sack_perm)
        n += 4;                         /* nop,nop,sackOK */
    if (o->ws_ok)
        n += 4;                         /* nop,wscale */
    if (o->fo_ok)
        n += (2u + o->fo_len + 3u) & ~3u;  /* FO <cookie>, NOPs to 4 bytes */
    if (o->n_sack) {
        unsigned k = o->n_sack;
        /* What is left of the 40 bytes bounds the blocks. */
        while (k && n + 4 + 8 * k > TCP_MAX_OPT_LEN)
            k--;
        if (k)
            n += 4 + 8 * k;
    }
    return n;
}

size_t tcp_opts_write(uint8_t *buf, const struct tcp_opts *o)
{
    uint8_t *p = buf;
    if (o->mss_ok) {
        *p++ = TCPOPT_MSS;
        *p++ = 4;
        put16(p, o->mss);
        p += 2;
    }
    if (o->ts_ok) {
        if (o->sack_perm) {
            *p++ = TCPOPT_SACK_PERM;
            *p++ = 2;
        } else {
            *p++ = TCPOPT_NOP;
            *p++ = TCPOPT_NOP;
        }
        *p++ = TCPOPT_TS;
        *p++ = 10;
        put32(p, o->tsval);
        put32(p + 4, o->tsecr);
        p += 8;
    } else if (o->sack_perm) {
        *p++ = TCPOPT_NOP;
        *p++ = TCPOPT_NOP;
        *p++ = TCPOPT_SACK_PERM;
        *p++ = 2;
    }
    if (o->ws_ok) {
        *p++ = TCPOPT_NOP;
        *p++ = TCPOPT_WSCALE;
        *p++ = 3;
        *p++ = o->ws;
    }
    if (o->fo_ok) {
        /* Linux's layout: the option, then NOPs up to the 4-byte boundary. */
        *p++ = TCPOPT_FASTOPEN;
        *p++ = (uint8_t)(2 + o->fo_len);
        memcpy(p, o->fo_cookie, o->fo_len);
        p += o->fo_len;
        for (unsigned pad = (4u - (2u + o->fo_len) % 4u) % 4u; pad; pad--)
            *p++ = TCPOPT_NOP;
    }
    if (o->n_sack) {
        size_t used = (size_t)(p - buf);
        unsigned k = o->n_sack;
        while (k && used + 4 + 8 * k > TCP_MAX_OPT_LEN)
            k--;
        if (k) {
            *p++ = TCPOPT_NOP;
            *p++ = TCPOPT_NOP;
            *p++ = TCPOPT_SACK;
            *p++ = (uint8_t)(2 + 8 * k);
            for (unsigned i = 0; i < k; i++) {
                put32(p, o->sack[i].start);
                put32(p + 4, o->sack[i].end);
                p += 8;
            }
        }
    }
    return (size_t)(p - buf);
}

size_t tcp_hdr_write(uint8_t *buf, const struct tcp_hdr *h)
{
    size_t olen = tcp_opts_write(buf + TCP_HDR_LEN, &h->opt);
    size_t hlen = TCP_HDR_LEN + olen;
    put16(buf, h->sport);
    put16(buf + 2, h->dport);
    put32(buf + 4, h->seq);
    put32(buf + 8, h->ack);
    buf[12] = (uint8_t)((hlen / 4) << 4);
    buf[13] = h->flags;
    put16(buf + 14, h->win);
    put16(buf + 16, 0);
    put16(buf + 18, h->urg);
    return hlen;
}

uint16_t tcp_checksum(const struct ipaddr *src, const struct ipaddr *dst, const uint8_t *seg,
                      size_t len)
{
    uint32_t sum = csum_pseudo(src, dst, 6 /* TCP */, (uint32_t)len);
    return csum_finish(csum_add(sum, seg, len));
}

void tcp_set_checksum(const struct ipaddr *src, const struct ipaddr *dst, uint8_t *seg, size_t len)
{
    put16(seg + 16, 0);
    put16(seg + 16, tcp_checksum(src, dst, seg, len));
}
