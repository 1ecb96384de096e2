/* DNS message codec (RFC 1035 4, RFC 3596, RFC 6891).  See dns_wire.h for the
 * rules every parse enforces and why. */
#include "api/dns_wire.h"

#include <stdio.h>
#include <string.h>

const char *dns_strerror(int err)
{
    switch (err) {
    case DNS_OK: return "ok";
    case DNS_E_SHORT: return "message truncated";
    case DNS_E_PTR_LOOP: return "compression pointer loop";
    case DNS_E_PTR_FORWARD: return "compression pointer not backwards";
    case DNS_E_LABEL_TYPE: return "reserved label type";
    case DNS_E_NAME_LONG: return "name longer than 255 octets";
    case DNS_E_COUNT: return "section counts do not match the message";
    case DNS_E_RDATA: return "malformed rdata";
    case DNS_E_QDCOUNT: return "more than one question";
    case DNS_E_TOO_MANY: return "too many records";
    case DNS_E_TEXT: return "invalid name";
    case DNS_E_SPACE: return "no room";
    case DNS_E_NOT_RESPONSE: return "not a response to a standard query";
    case DNS_E_CHAIN: return "CNAME chain too long or looping";
    default: return "unknown error";
    }
}

/* ---- names ---- */

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

size_t dns_name_wire_len(const uint8_t *wire)
{
    size_t n = 0;
    while (wire[n] != 0)
        n += 1u + wire[n];
    return n + 1;
}

bool dns_name_eq(const uint8_t *a, const uint8_t *b)
{
    size_t i = 0;
    for (;;) {
        if (a[i] != b[i])
            return false;
        uint8_t l = a[i];
        if (l == 0)
            return true;
        for (size_t k = 1; k <= l; k++)
            if (lower(a[i + k]) != lower(b[i + k]))
                return false;
        i += 1u + l;
    }
}

int dns_name_from_text(const char *text, uint8_t wire[DNS_MAX_NAME])
{
    size_t out = 0;
    const char *s = text;
    if (s[0] == '.' && s[1] == '\0') { /* the root */
        wire[0] = 0;
        return 1;
    }
    if (*s == '\0')
        return DNS_E_TEXT;
    while (*s) {
        size_t len_pos = out++;
        unsigned len = 0;
        while (*s && *s != '.') {
            unsigned c = (unsigned char)*s++;
            if (c == '\\') {
                if (s[0] >= '0' && s[0] <= '9') {
                    if (!(s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9'))
                        return DNS_E_TEXT;
                    c = (unsigned)(s[0] - '0') * 100 + (unsigned)(s[1] - '0') * 10 +
                        (unsigned)(s[2] - '0');
                    if (c > 255)
                        return DNS_E_TEXT;
                    s += 3;
                } else if (*s) {
                    c = (unsigned char)*s++;
                } else {
                    return DNS_E_TEXT;
                }
            }
            if (++len > DNS_MAX_LABEL)
                return DNS_E_TEXT;
            if (out + 1 >= DNS_MAX_NAME) /* keep room for the root label */
                return DNS_E_NAME_LONG;
            wire[out++] = (uint8_t)c;
        }
        if (len == 0) /* "a..b" or ".a" */
            return DNS_E_TEXT;
        wire[len_pos] = (uint8_t)len;
        if (*s == '.')
            s++;
    }
    wire[out++] = 0;
    return (int)out;
}

int dns_name_to_text(const uint8_t *wire, char *text, size_t cap)
{
    size_t o = 0, i = 0;
    if (cap < 2)
        return DNS_E_SPACE;
    if (wire[0] == 0) {
        text[0] = '.';
        text[1] = '\0';
        return 1;
    }
    while (wire[i] != 0) {
        uint8_t l = wire[i++];
        if (o > 0) {
            if (o + 1 >= cap)
                return DNS_E_SPACE;
            text[o++] = '.';
        }
        for (uint8_t k = 0; k < l; k++, i++) {
            uint8_t c = wire[i];
            char tmp[5];
            size_t n;
            if (c == '.' || c == '\\') {
                tmp[0] = '\\';
                tmp[1] = (char)c;
                n = 2;
            } else if (c < 0x21 || c > 0x7e) {
                snprintf(tmp, sizeof tmp, "\\%03u", c);
                n = 4;
            } else {
                tmp[0] = (char)c;
                n = 1;
            }
            if (o + n >= cap)
                return DNS_E_SPACE;
            memcpy(text + o, tmp, n);
            o += n;
        }
    }
    text[o] = '\0';
    return (int)o;
}

int dns_name_read(const uint8_t *msg, size_t len, size_t off, uint8_t wire[DNS_MAX_NAME], size_t *next)
{
    uint8_t scratch[DNS_MAX_NAME];
    uint8_t *w = wire ? wire : scratch;
    size_t pos = off, seg_start = off, out = 0, after = 0;
    bool jumped = false;
    int hops = 0;
    for (;;) {
        if (pos >= len)
            return DNS_E_SHORT;
        uint8_t c = msg[pos];
        if ((c & 0xc0) == 0xc0) {
            if (pos + 1 >= len)
                return DNS_E_SHORT;
            size_t target = (size_t)(c & 0x3f) << 8 | msg[pos + 1];
            if (!jumped) {
                after = pos + 2;
                jumped = true;
            }
            /* Strictly before the segment we are in: targets decrease, so
             * the walk ends; a pointer into the header is nonsense too. */
            if (target >= seg_start || target < DNS_HDR_LEN)
                return DNS_E_PTR_FORWARD;
            if (++hops > DNS_MAX_PTR_HOPS)
                return DNS_E_PTR_LOOP;
            seg_start = pos = target;
            continue;
        }
        if (c & 0xc0)
            return DNS_E_LABEL_TYPE;
        if (out + 1u + c > DNS_MAX_NAME)
            return DNS_E_NAME_LONG;
        if (pos + 1u + c > len)
            return DNS_E_SHORT;
        memcpy(w + out, msg + pos, 1u + c);
        out += 1u + c;
        pos += 1u + c;
        if (c == 0)
            break;
    }
    if (next)
        *next = jumped ? after : pos;
    return (int)out;
}

int dns_reverse_name(int family, const uint8_t *a, char *text, size_t cap)
{
    int n;
    if (family == 2) {
        n = snprintf(text, cap, "%u.%u.%u.%u.in-addr.arpa", a[3], a[2], a[1], a[0]);
    } else if (family == 10) {
        static const char hex[] = "0123456789abcdef";
        if (cap < 16 * 4 + 9)
            return DNS_E_SPACE;
        char *p = text;
        for (int i = 15; i >= 0; i--) {
            *p++ = hex[a[i] & 15];
            *p++ = '.';
            *p++ = hex[a[i] >> 4];
            *p++ = '.';
        }
        strcpy(p, "ip6.arpa");
        n = (int)(p - text) + 8;
    } else {
        return DNS_E_TEXT;
    }
    return n < 0 || (size_t)n >= cap ? DNS_E_SPACE : n;
}

/* ---- writer ---- */

void dns_w_init(struct dns_writer *w, uint8_t *buf, size_t cap)
{
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->err = 0;
}

void dns_w_bytes(struct dns_writer *w, const void *p, size_t n)
{
    if (w->err || n > w->cap - w->len) {
        w->err = DNS_E_SPACE;
        return;
    }
    memcpy(w->buf + w->len, p, n);
    w->len += n;
}

void dns_w_u16(struct dns_writer *w, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    dns_w_bytes(w, b, 2);
}

void dns_w_u32(struct dns_writer *w, uint32_t v)
{
    dns_w_u16(w, (uint16_t)(v >> 16));
    dns_w_u16(w, (uint16_t)v);
}

void dns_w_header(struct dns_writer *w, const struct dns_header *h)
{
    dns_w_u16(w, h->id);
    dns_w_u16(w, h->flags);
    dns_w_u16(w, h->qdcount);
    dns_w_u16(w, h->ancount);
    dns_w_u16(w, h->nscount);
    dns_w_u16(w, h->arcount);
}

void dns_w_name(struct dns_writer *w, const char *text)
{
    uint8_t wire[DNS_MAX_NAME];
    int n = dns_name_from_text(text, wire);
    if (n < 0) {
        if (!w->err)
            w->err = n;
        return;
    }
    dns_w_bytes(w, wire, (size_t)n);
}

void dns_w_question(struct dns_writer *w, const char *name, uint16_t type)
{
    dns_w_name(w, name);
    dns_w_u16(w, type);
    dns_w_u16(w, DNS_C_IN);
}

void dns_w_rr(struct dns_writer *w, const char *name, uint16_t type, uint32_t ttl, const void *rdata,
              uint16_t rdlen)
{
    dns_w_name(w, name);
    dns_w_u16(w, type);
    dns_w_u16(w, DNS_C_IN);
    dns_w_u32(w, ttl);
    dns_w_u16(w, rdlen);
    dns_w_bytes(w, rdata, rdlen);
}

void dns_w_rr_name(struct dns_writer *w, const char *name, uint16_t type, uint32_t ttl,
                   const char *target)
{
    uint8_t wire[DNS_MAX_NAME];
    int n = dns_name_from_text(target, wire);
    if (n < 0) {
        if (!w->err)
            w->err = n;
        return;
    }
    dns_w_rr(w, name, type, ttl, wire, (uint16_t)n);
}

void dns_w_rr_soa(struct dns_writer *w, const char *name, uint32_t ttl, uint32_t minimum)
{
    uint8_t rd[2 * DNS_MAX_NAME + 20];
    struct dns_writer r;
    dns_w_init(&r, rd, sizeof rd);
    dns_w_name(&r, "ns.invalid");
    dns_w_name(&r, "hostmaster.invalid");
    dns_w_u32(&r, 1);      /* serial */
    dns_w_u32(&r, 3600);   /* refresh */
    dns_w_u32(&r, 600);    /* retry */
    dns_w_u32(&r, 86400);  /* expire */
    dns_w_u32(&r, minimum);
    dns_w_rr(w, name, DNS_T_SOA, ttl, rd, (uint16_t)r.len);
}

/* ---- queries ---- */

int dns_build_query(uint8_t *buf, size_t cap, uint16_t id, const uint8_t *qname_wire, uint16_t qtype,
                    uint16_t edns_udp_size)
{
    struct dns_writer w;
    struct dns_header h = {id, DNS_F_RD, 1, 0, 0, edns_udp_size ? 1 : 0};
    dns_w_init(&w, buf, cap);
    dns_w_header(&w, &h);
    dns_w_bytes(&w, qname_wire, dns_name_wire_len(qname_wire));
    dns_w_u16(&w, qtype);
    dns_w_u16(&w, DNS_C_IN);
    if (edns_udp_size) {
        /* OPT pseudo-RR (RFC 6891 6.1.2): root owner, CLASS = our UDP
         * payload size, TTL = extended RCODE 0, version 0, flags 0. */
        uint8_t root = 0;
        dns_w_bytes(&w, &root, 1);
        dns_w_u16(&w, DNS_T_OPT);
        dns_w_u16(&w, edns_udp_size);
        dns_w_u32(&w, 0);
        dns_w_u16(&w, 0);
    }
    return w.err ? w.err : (int)w.len;
}

/* ---- responses ---- */

int dns_parse_header(const uint8_t *buf, size_t len, struct dns_header *h)
{
    if (len < DNS_HDR_LEN)
        return DNS_E_SHORT;
    h->id = dns_rd16(buf);
    h->flags = dns_rd16(buf + 2);
    h->qdcount = dns_rd16(buf + 4);
    h->ancount = dns_rd16(buf + 6);
    h->nscount = dns_rd16(buf + 8);
    h->arcount = dns_rd16(buf + 10);
    return DNS_OK;
}

/* A name inside rdata must end exactly where the rdata (or the next field) says. */
static int rdata_name(const uint8_t *buf, size_t end, size_t off, size_t *next)
{
    int n = dns_name_read(buf, end, off, NULL, next);
    return n < 0 ? (n == DNS_E_SHORT ? DNS_E_RDATA : n) : DNS_OK;
}

static int check_rdata(const uint8_t *buf, const struct dns_rr *rr)
{
    size_t off = rr->rdata_off, end = off + rr->rdlen, next;
    int e;
    switch (rr->type) {
    case DNS_T_A:
        if (rr->rclass == DNS_C_IN && rr->rdlen != 4)
            return DNS_E_RDATA;
        return DNS_OK;
    case DNS_T_AAAA:
        if (rr->rclass == DNS_C_IN && rr->rdlen != 16)
            return DNS_E_RDATA;
        return DNS_OK;
    case DNS_T_CNAME:
    case DNS_T_PTR:
    case DNS_T_NS:
        /* Bounded by the rdata end: a compressed name may point back into
         * the message, but its own bytes must all lie inside the rdata. */
        if ((e = rdata_name(buf, end, off, &next)) < 0)
            return e;
        return next == end ? DNS_OK : DNS_E_RDATA;
    case DNS_T_SOA:
        if ((e = rdata_name(buf, end, off, &next)) < 0)
            return e;
        if ((e = rdata_name(buf, end, next, &next)) < 0)
            return e;
        return next + 20 == end ? DNS_OK : DNS_E_RDATA;
    default:
        return DNS_OK; /* opaque */
    }
}

int dns_parse(const uint8_t *buf, size_t len, struct dns_msg *m, struct dns_rr *rr, size_t max_rr)
{
    memset(m, 0, sizeof *m);
    m->buf = buf;
    m->len = len;
    m->rr = rr;
    int e = dns_parse_header(buf, len, &m->h);
    if (e < 0)
        return e;
    if (len > DNS_TCP_MAX) /* offsets are 16 bits, as the format's own */
        return DNS_E_COUNT;
    if (!(m->h.flags & DNS_F_QR) || (m->h.flags & DNS_F_OPCODE) != 0)
        return DNS_E_NOT_RESPONSE;
    if (m->h.qdcount > 1)
        return DNS_E_QDCOUNT;
    size_t pos = DNS_HDR_LEN, next;
    if (m->h.qdcount == 1) {
        if (pos >= len)
            return DNS_E_COUNT;
        if ((e = dns_name_read(buf, len, pos, NULL, &next)) < 0)
            return e;
        if (next + 4 > len)
            return DNS_E_SHORT;
        m->has_question = true;
        m->q_name_off = (uint16_t)pos;
        m->qtype = dns_rd16(buf + next);
        m->qclass = dns_rd16(buf + next + 2);
        pos = next + 4;
    }
    size_t total = (size_t)m->h.ancount + m->h.nscount + m->h.arcount;
    if (total > max_rr)
        return DNS_E_TOO_MANY;
    for (size_t i = 0; i < total; i++) {
        struct dns_rr *r = &rr[i];
        if (pos >= len) /* the counts promise records the message does not hold */
            return DNS_E_COUNT;
        if ((e = dns_name_read(buf, len, pos, NULL, &next)) < 0)
            return e;
        if (next + 10 > len)
            return DNS_E_SHORT;
        r->name_off = (uint16_t)pos;
        r->type = dns_rd16(buf + next);
        r->rclass = dns_rd16(buf + next + 2);
        r->ttl = dns_rd32(buf + next + 4);
        r->rdlen = dns_rd16(buf + next + 8);
        r->rdata_off = (uint16_t)(next + 10);
        r->section = i < m->h.ancount ? 1 : i < (size_t)m->h.ancount + m->h.nscount ? 2 : 3;
        if ((size_t)r->rdata_off + r->rdlen > len)
            return DNS_E_SHORT;
        if ((e = check_rdata(buf, r)) < 0)
            return e;
        if (r->type == DNS_T_OPT) {
            /* RFC 6891 6.1.1: only in the additional section, only one, owner root. */
            if (r->section != 3 || m->edns || buf[r->name_off] != 0)
                return DNS_E_RDATA;
            m->edns = true;
            m->edns_udp_size = r->rclass;
            m->edns_ext_rcode = (uint8_t)(r->ttl >> 24);
        }
        pos = (size_t)r->rdata_off + r->rdlen;
    }
    if (pos != len) /* bytes the counts do not account for */
        return DNS_E_COUNT;
    m->n_rr = total;
    return DNS_OK;
}

bool dns_matches_query(const struct dns_msg *m, uint16_t id, const uint8_t *qname_wire, uint16_t qtype)
{
    uint8_t w[DNS_MAX_NAME];
    if (m->h.id != id || !m->has_question || m->qtype != qtype || m->qclass != DNS_C_IN)
        return false;
    if (dns_name_read(m->buf, m->len, m->q_name_off, w, NULL) < 0)
        return false;
    return dns_name_eq(w, qname_wire);
}

/* ---- answers ---- */

static bool owner_is(const struct dns_msg *m, const struct dns_rr *r, const uint8_t *name)
{
    uint8_t w[DNS_MAX_NAME];
    return dns_name_read(m->buf, m->len, r->name_off, w, NULL) > 0 && dns_name_eq(w, name);
}

static uint32_t min32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

int dns_answer_extract(const struct dns_msg *m, const uint8_t *qname_wire, uint16_t qtype,
                       int max_chain, struct dns_answer *out, size_t *rr_idx, size_t max_out)
{
    memset(out, 0, sizeof *out);
    out->rcode = dns_rcode(m);
    out->ttl = UINT32_MAX;
    memcpy(out->cname, qname_wire, dns_name_wire_len(qname_wire));
    /* Follow CNAMEs owned by the current name (RFC 1034 3.6.2, 4.3.2). */
    for (;;) {
        const struct dns_rr *cn = NULL;
        for (size_t i = 0; i < m->n_rr && m->rr[i].section == 1; i++) {
            const struct dns_rr *r = &m->rr[i];
            if (r->type == DNS_T_CNAME && r->rclass == DNS_C_IN && qtype != DNS_T_CNAME &&
                owner_is(m, r, out->cname)) {
                cn = r;
                break;
            }
        }
        if (!cn)
            break;
        if (out->chain_len >= max_chain || out->chain_len >= DNS_MAX_CHAIN_RECORDED)
            return DNS_E_CHAIN;
        out->chain_rr[out->chain_len++] = (size_t)(cn - m->rr);
        out->ttl = min32(out->ttl, dns_ttl(cn->ttl));
        if (dns_name_read(m->buf, m->len, cn->rdata_off, out->cname, NULL) < 0)
            return DNS_E_RDATA;
    }
    for (size_t i = 0; i < m->n_rr && m->rr[i].section == 1; i++) {
        const struct dns_rr *r = &m->rr[i];
        if (r->type == qtype && r->rclass == DNS_C_IN && owner_is(m, r, out->cname)) {
            if (out->n < max_out && rr_idx)
                rr_idx[out->n] = i;
            out->n++;
            out->ttl = min32(out->ttl, dns_ttl(r->ttl));
        }
    }
    if (out->n > max_out)
        out->n = max_out;
    /* RFC 2308 5: the negative TTL is the minimum of the SOA's own TTL and
     * its MINIMUM field. */
    for (size_t i = 0; i < m->n_rr; i++) {
        const struct dns_rr *r = &m->rr[i];
        if (r->section == 2 && r->type == DNS_T_SOA && r->rclass == DNS_C_IN) {
            size_t end = (size_t)r->rdata_off + r->rdlen;
            uint32_t minimum = dns_rd32(m->buf + end - 4);
            out->negative_ttl = min32(dns_ttl(r->ttl), dns_ttl(minimum));
            out->negative_ttl_known = true;
            break;
        }
    }
    return DNS_OK;
}
