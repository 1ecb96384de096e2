/* IPv4 + TCP packets for the runner: building the inbound ones a script
 * describes and reading back the outbound ones tapir sends.  This is the
 * runner's own small codec (it checks tapir's, so it must not share it).
 */
#include <stdio.h>
#include <string.h>

#include "stack/checksum.h"
#include "tests/drill/wire.h"

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t tcp_checksum(uint32_t src, uint32_t dst, const uint8_t *tcp, size_t len)
{
    struct ipaddr s = ip4(src), d = ip4(dst);
    uint32_t sum = csum_pseudo(&s, &d, 6, (uint32_t)len);
    sum = csum_add(sum, tcp, len);
    return csum_finish(sum);
}

/* Options in the order written; SACK and TS values already mapped by the
 * caller.  Returns the options length (padded to 4 with EOL, as
 * packetdrill does), or -1 if they do not fit in 40 bytes. */
static int encode_options(const struct tcp_opt *opts, int n, uint8_t *out)
{
    int len = 0;
    for (int i = 0; i < n; i++) {
        const struct tcp_opt *o = &opts[i];
        int need = o->kind == OPT_NOP || o->kind == OPT_EOL ? 1
                   : o->kind == OPT_MSS                     ? 4
                   : o->kind == OPT_WSCALE                  ? 3
                   : o->kind == OPT_SACKOK                  ? 2
                   : o->kind == OPT_SACK                    ? 2 + 8 * o->n_sack
                   : o->kind == OPT_TS                      ? 10
                   : o->kind == OPT_FASTOPEN                ? 2 + o->cookie_len
                                                            : 0;
        if (need == 0 || len + need > 40)
            return -1;
        uint8_t *p = out + len;
        p[0] = o->kind;
        if (need > 1)
            p[1] = (uint8_t)need;
        switch (o->kind) {
        case OPT_MSS: put16(p + 2, o->mss); break;
        case OPT_WSCALE: p[2] = o->wscale; break;
        case OPT_SACK:
            for (int j = 0; j < o->n_sack; j++) {
                put32(p + 2 + 8 * j, o->sack[j][0]);
                put32(p + 6 + 8 * j, o->sack[j][1]);
            }
            break;
        case OPT_TS: put32(p + 2, o->ts_val); put32(p + 6, o->ts_ecr); break;
        case OPT_FASTOPEN: memcpy(p + 2, o->cookie, (size_t)o->cookie_len); break;
        default: break;
        }
        len += need;
    }
    while (len % 4)
        out[len++] = OPT_EOL;
    return len;
}

int wire_build(const struct wire_seg *w, uint8_t *buf, size_t cap)
{
    uint8_t opts[44];
    int olen = encode_options(w->opts, w->n_opts, opts);
    if (olen < 0)
        return -1;
    size_t tcp_len = 20 + (size_t)olen + w->payload_len;
    size_t total = 20 + tcp_len;
    if (total > cap || total > 65535)
        return -1;
    uint8_t *ip = buf, *tcp = buf + 20;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    ip[1] = w->tos;
    put16(ip + 2, (uint16_t)total);
    put16(ip + 6, 0x4000); /* DF */
    ip[8] = w->ttl ? w->ttl : 64;
    ip[9] = 6;
    put32(ip + 12, w->src);
    put32(ip + 16, w->dst);
    put16(ip + 10, csum_finish(csum_add(0, ip, 20)));
    memset(tcp, 0, 20);
    put16(tcp, w->sport);
    put16(tcp + 2, w->dport);
    put32(tcp + 4, w->seq);
    put32(tcp + 8, w->ack);
    tcp[12] = (uint8_t)(((20 + olen) / 4) << 4);
    tcp[13] = w->flags;
    put16(tcp + 14, w->win);
    put16(tcp + 18, w->urg);
    memcpy(tcp + 20, opts, (size_t)olen);
    if (w->payload_len)
        memcpy(tcp + 20 + olen, w->payload, w->payload_len);
    put16(tcp + 16, tcp_checksum(w->src, w->dst, tcp, tcp_len));
    return (int)total;
}

int wire_parse(const uint8_t *buf, size_t len, struct wire_seg *w, char *err, size_t errlen)
{
    memset(w, 0, sizeof *w);
    if (len < 20 || (buf[0] >> 4) != 4) {
        snprintf(err, errlen, "not an IPv4 packet");
        return -1;
    }
    size_t ihl = (size_t)(buf[0] & 15) * 4, total = get16(buf + 2);
    if (ihl < 20 || total < ihl || total > len) {
        snprintf(err, errlen, "bad IPv4 header or length (ihl %zu, total %zu, captured %zu)", ihl, total, len);
        return -1;
    }
    if (csum_finish(csum_add(0, buf, ihl)) != 0) {
        snprintf(err, errlen, "bad outbound IP checksum");
        return -1;
    }
    w->tos = buf[1];
    w->ttl = buf[8];
    w->proto = buf[9];
    w->src = get32(buf + 12);
    w->dst = get32(buf + 16);
    w->df = (get16(buf + 6) & 0x4000) != 0;
    if ((get16(buf + 6) & 0x3fff) != 0) {
        snprintf(err, errlen, "outbound IPv4 fragment");
        return -1;
    }
    if (w->proto != 6)
        return 0; /* not TCP: the caller decides */
    const uint8_t *tcp = buf + ihl;
    size_t tlen = total - ihl;
    if (tlen < 20) {
        snprintf(err, errlen, "TCP header truncated");
        return -1;
    }
    size_t off = (size_t)(tcp[12] >> 4) * 4;
    if (off < 20 || off > tlen) {
        snprintf(err, errlen, "bad TCP data offset %zu", off);
        return -1;
    }
    if (tcp_checksum(w->src, w->dst, tcp, tlen) != 0) {
        snprintf(err, errlen, "bad outbound TCP checksum");
        return -1;
    }
    w->sport = get16(tcp);
    w->dport = get16(tcp + 2);
    w->seq = get32(tcp + 4);
    w->ack = get32(tcp + 8);
    w->flags = tcp[13];
    w->reserved = tcp[12] & 0x0f;
    w->win = get16(tcp + 14);
    w->urg = get16(tcp + 18);
    w->payload = tcp + off;
    w->payload_len = tlen - off;
    /* Options: kind by kind; unknown ones kept with their kind only. */
    const uint8_t *o = tcp + 20, *end = tcp + off;
    while (o < end) {
        if (w->n_opts == DR_MAX_OPTS) {
            snprintf(err, errlen, "too many outbound TCP options");
            return -1;
        }
        struct tcp_opt *t = &w->opts[w->n_opts];
        memset(t, 0, sizeof *t);
        t->kind = o[0];
        if (o[0] == OPT_EOL) {
            /* EOL then padding: packetdrill lists one eol */
            w->n_opts++;
            break;
        }
        if (o[0] == OPT_NOP) {
            w->n_opts++;
            o++;
            continue;
        }
        if (end - o < 2 || o[1] < 2 || o[1] > end - o) {
            snprintf(err, errlen, "malformed outbound TCP option %u", o[0]);
            return -1;
        }
        uint8_t olen = o[1];
        bool ok = true;
        switch (o[0]) {
        case OPT_MSS: ok = olen == 4; if (ok) t->mss = get16(o + 2); break;
        case OPT_WSCALE: ok = olen == 3; if (ok) t->wscale = o[2]; break;
        case OPT_SACKOK: ok = olen == 2; break;
        case OPT_SACK:
            ok = olen >= 10 && (olen - 2) % 8 == 0 && (olen - 2) / 8 <= 4;
            if (ok) {
                t->n_sack = (olen - 2) / 8;
                for (int j = 0; j < t->n_sack; j++) {
                    t->sack[j][0] = get32(o + 2 + 8 * j);
                    t->sack[j][1] = get32(o + 6 + 8 * j);
                }
            }
            break;
        case OPT_TS: ok = olen == 10; if (ok) { t->ts_val = get32(o + 2); t->ts_ecr = get32(o + 6); } break;
        case OPT_FASTOPEN:
            ok = olen - 2 <= (int)sizeof t->cookie;
            if (ok) {
                t->cookie_len = olen - 2;
                memcpy(t->cookie, o + 2, (size_t)t->cookie_len);
            }
            break;
        default: break;
        }
        if (!ok) {
            snprintf(err, errlen, "bad length %u for outbound TCP option %u", olen, o[0]);
            return -1;
        }
        w->n_opts++;
        o += olen;
    }
    return 0;
}
