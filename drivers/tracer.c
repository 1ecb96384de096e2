/* The tracer middleware and its small frame decoder. */
#include "drivers/tracer.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "drivers/wrap.h"
#include "stack/addr.h"
#include "stack/checksum.h"
#include "stack/pkt.h"
#include "stack/wire/arp.h"
#include "stack/wire/icmp.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/udp.h"

/* ---- the decoder ----
 * ARP, IPv4, ICMP and UDP go through the stack's own wire codecs (so the
 * trace judges a frame as the stack will, and says "bad cksum" where the
 * stack will drop it); Ethernet and the TCP header are read here with
 * explicit bounds. */

struct out {
    char *p;
    size_t cap, len;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
    if (o->len + 1 >= o->cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len = o->len + (size_t)n >= o->cap ? o->cap - 1 : o->len + (size_t)n;
}

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void arp(struct out *o, const uint8_t *p, size_t n)
{
    char a[IPADDR_STRLEN], b[IPADDR_STRLEN], m[MAC_STRLEN];
    struct arp_pkt ap;
    if (arp_pkt_parse(p, n, &ap) != 0) {
        put(o, "ARP, unknown or malformed, length %zu", n);
        return;
    }
    struct ipaddr spa = ip4(ap.spa), tpa = ip4(ap.tpa);
    if (ap.op == ARP_OP_REQUEST)
        put(o, "ARP, Request who-has %s tell %s", ipaddr_str(&tpa, a), ipaddr_str(&spa, b));
    else
        put(o, "ARP, Reply %s is-at %s", ipaddr_str(&spa, a), mac_str(ap.sha, m));
    put(o, ", length %zu", n);
}

static void tcp_options(struct out *o, const uint8_t *p, size_t n)
{
    put(o, ", options [");
    size_t i = 0;
    bool first = true;
    while (i < n) {
        uint8_t kind = p[i];
        if (!first)
            put(o, ",");
        first = false;
        if (kind == 0) {
            put(o, "eol");
            break;
        }
        if (kind == 1) {
            put(o, "nop");
            i++;
            continue;
        }
        if (i + 1 >= n || p[i + 1] < 2 || i + p[i + 1] > n) {
            put(o, "bad opt");
            break;
        }
        uint8_t ol = p[i + 1];
        const uint8_t *v = p + i + 2;
        if (kind == 2 && ol == 4)
            put(o, "mss %u", be16(v));
        else if (kind == 3 && ol == 3)
            put(o, "wscale %u", v[0]);
        else if (kind == 4 && ol == 2)
            put(o, "sackOK");
        else if (kind == 8 && ol == 10)
            put(o, "TS val %u ecr %u", be32(v), be32(v + 4));
        else if (kind == 5 && (ol - 2) % 8 == 0) {
            put(o, "sack %d", (ol - 2) / 8);
            for (int k = 0; k < (ol - 2) / 8; k++)
                put(o, " {%u:%u}", be32(v + 8 * k), be32(v + 8 * k + 4));
        } else
            put(o, "opt-%u", kind);
        i += ol;
    }
    put(o, "]");
}

static void tcp(struct out *o, const uint8_t *p, size_t n, const char *src, const char *dst,
                const struct ipaddr *s_ip, const struct ipaddr *d_ip, bool whole)
{
    if (n < 20) {
        put(o, "IP %s > %s: TCP, truncated, length %zu", src, dst, n);
        return;
    }
    size_t hl = (size_t)(p[12] >> 4) * 4;
    put(o, "IP %s.%u > %s.%u: Flags [", src, be16(p), dst, be16(p + 2));
    uint8_t f = p[13];
    if (f & 0x02) put(o, "S");
    if (f & 0x01) put(o, "F");
    if (f & 0x04) put(o, "R");
    if (f & 0x08) put(o, "P");
    if (f & 0x20) put(o, "U");
    if (f & 0x40) put(o, "E");
    if (f & 0x80) put(o, "W");
    if (f & 0x10) put(o, ".");
    if (!(f & 0xdf)) put(o, "none");
    put(o, "], seq %u", be32(p + 4));
    if (f & 0x10)
        put(o, ", ack %u", be32(p + 8));
    put(o, ", win %u", be16(p + 14));
    if (hl < 20 || hl > n) {
        put(o, ", bad data offset %zu, length %zu", hl, n);
        return;
    }
    if (hl > 20)
        tcp_options(o, p + 20, hl - 20);
    put(o, ", length %zu", n - hl);
    if (whole && csum_finish(csum_add(csum_pseudo(s_ip, d_ip, 6, (uint32_t)n), p, n)) != 0)
        put(o, " [bad tcp cksum]");
}

static void icmp(struct out *o, const uint8_t *p, size_t n, bool whole)
{
    struct icmp_hdr h;
    if (icmp_parse(p, n, &h, false) != 0) {
        put(o, "ICMP, truncated, length %zu", n);
        return;
    }
    switch (h.type) {
    case ICMP_ECHO_REPLY:
    case ICMP_ECHO_REQUEST:
        put(o, "ICMP echo %s, id %u, seq %u", h.type == ICMP_ECHO_REQUEST ? "request" : "reply",
            (unsigned)(h.rest >> 16), (unsigned)(h.rest & 0xffff));
        break;
    case ICMP_DEST_UNREACH: {
        static const char *why[] = {"net", "host", "protocol", "port", "need to frag"};
        if (h.code < 5)
            put(o, "ICMP %s unreachable", why[h.code]);
        else
            put(o, "ICMP unreachable code %u", h.code);
        if (h.code == ICMP_FRAG_NEEDED)
            put(o, " (mtu %u)", (unsigned)(h.rest & 0xffff));
        break;
    }
    case ICMP_TIME_EXCEEDED:
        put(o, "ICMP time exceeded, code %u", h.code);
        break;
    default:
        put(o, "ICMP type %u code %u", h.type, h.code);
    }
    put(o, ", length %zu", n);
    if (whole && icmp_parse(p, n, &h, true) == WIRE_ECSUM)
        put(o, " [bad icmp cksum]");
}

static void ipv4(struct out *o, const uint8_t *p, size_t n)
{
    char s[IPADDR_STRLEN], d[IPADDR_STRLEN];
    struct ipv4_hdr h;
    int rc = ipv4_parse(p, n, &h, false);
    if (rc != 0) {
        put(o, "IP, %s, length %zu",
            rc == WIRE_EVERSION ? "bad version" : rc == WIRE_ETRUNC ? "truncated"
            : rc == WIRE_ELEN  ? "total length beyond the frame" : "bad header", n);
        return;
    }
    struct ipaddr sa = ip4(h.src), da = ip4(h.dst);
    ipaddr_str(&sa, s);
    ipaddr_str(&da, d);
    const uint8_t *l4 = p + h.hdr_len;
    size_t l4n = (size_t)h.total_len - h.hdr_len;
    bool whole = !ipv4_is_fragment(&h); /* only a whole datagram's L4 checksum can be checked */
    if (h.frag_off) {
        put(o, "IP %s > %s: ip-proto-%u (frag %u:%zu@%u%s)", s, d, h.proto, h.id, l4n, h.frag_off,
            h.mf ? "+" : "");
    } else {
        switch (h.proto) {
        case 1:
            put(o, "IP %s > %s: ", s, d);
            icmp(o, l4, l4n, whole);
            break;
        case 6:
            tcp(o, l4, l4n, s, d, &sa, &da, whole);
            break;
        case 17: {
            struct udp_hdr u;
            int urc = udp_parse(l4, l4n, &u, NULL, NULL);
            if (urc != 0) {
                put(o, "IP %s > %s: UDP, %s", s, d, urc == WIRE_ETRUNC ? "truncated" : "bad length");
                break;
            }
            put(o, "IP %s.%u > %s.%u: UDP, length %u", s, u.sport, d, u.dport, u.len - 8u);
            if (whole && udp_parse(l4, l4n, &u, &sa, &da) == WIRE_ECSUM)
                put(o, " [bad udp cksum]");
            break;
        }
        default:
            put(o, "IP %s > %s: ip-proto-%u, length %zu", s, d, h.proto, l4n);
        }
        if (h.mf)
            put(o, " (frag %u:%zu@0+)", h.id, l4n);
    }
    if (ipv4_parse(p, n, &h, true) == WIRE_ECSUM)
        put(o, " [bad ip cksum]");
    if (h.ttl <= 1)
        put(o, " [ttl %u]", h.ttl);
}

static void ipv6(struct out *o, const uint8_t *p, size_t n)
{
    char s[IPADDR_STRLEN], d[IPADDR_STRLEN];
    if (n < 40 || p[0] >> 4 != 6) {
        put(o, "IP6, truncated or bad version, length %zu", n);
        return;
    }
    struct ipaddr a = ip6(p + 8), b = ip6(p + 24);
    put(o, "IP6 %s > %s: next-header %u, payload length %u", ipaddr_str(&a, s), ipaddr_str(&b, d),
        p[6], be16(p + 4));
    if (p[6] == 58 && n >= 42)
        put(o, ", ICMP6 type %u code %u", p[40], p[41]);
}

char *tapir_trace_format(char *buf, size_t cap, const uint8_t *f, size_t len)
{
    struct out o = {buf, cap, 0};
    if (!cap)
        return buf;
    buf[0] = 0;
    if (len < 14) {
        put(&o, "runt frame, length %zu", len);
        return buf;
    }
    size_t off = 14;
    uint16_t type = be16(f + 12);
    if (type == 0x8100 && len >= 18) { /* one VLAN tag: show it, decode what follows */
        put(&o, "vlan %u, ", be16(f + 14) & 0xfff);
        type = be16(f + 16);
        off = 18;
    }
    switch (type) {
    case 0x0806:
        arp(&o, f + off, len - off);
        break;
    case 0x0800:
        ipv4(&o, f + off, len - off);
        break;
    case 0x86dd:
        ipv6(&o, f + off, len - off);
        break;
    default: {
        char a[MAC_STRLEN], b[MAC_STRLEN];
        put(&o, "%s > %s, ethertype 0x%04x, length %zu", mac_str(f + 6, a), mac_str(f, b), type, len);
    }
    }
    return buf;
}

/* ---- the middleware ---- */

struct tracer {
    struct wrap w;
    pthread_mutex_t mu;
    FILE *out;
    uint64_t (*clock)(void *ctx);
    void *clock_ctx;
    bool started;
    uint64_t t0;
};

static uint64_t mono_us(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void trace(struct tracer *t, const char *dir, const uint8_t *f, size_t len)
{
    char line[512];
    tapir_trace_format(line, sizeof line, f, len);
    pthread_mutex_lock(&t->mu);
    uint64_t now = t->clock(t->clock_ctx);
    if (!t->started) {
        t->started = true;
        t->t0 = now;
    }
    uint64_t rel = now >= t->t0 ? now - t->t0 : 0;
    fprintf(t->out, "%llu.%06llu %s %s\n", (unsigned long long)(rel / 1000000u),
            (unsigned long long)(rel % 1000000u), dir, line);
    fflush(t->out);
    pthread_mutex_unlock(&t->mu);
}

static int tr_send(struct tapir_device *d, const uint8_t *frame, size_t len, const struct pkt *meta)
{
    struct tracer *t = d->priv;
    int rc = tapir_device_send(t->w.inner, frame, len, meta);
    const char *dir = rc == 0 ? "tx" : "tx-refused";
    if (meta && meta->csum_offset && meta->csum_start + meta->csum_offset + 2u <= len) {
        /* Offloaded (offload=1): the checksum is the device's to finish, and
         * a TSO super-segment is one line here as in tcpdump on the kernel's
         * side.  Shown as the device will send it: checksum finished. */
        uint8_t *copy = malloc(len);
        if (copy) {
            memcpy(copy, frame, len);
            size_t at = (size_t)meta->csum_start + meta->csum_offset;
            uint16_t c = csum_finish(csum_add(0, copy + meta->csum_start, len - meta->csum_start));
            copy[at] = (uint8_t)(c >> 8);
            copy[at + 1] = (uint8_t)c;
            trace(t, meta->gso_size ? (rc == 0 ? "tx-tso" : "tx-tso-refused") : dir, copy, len);
            free(copy);
            return rc;
        }
    }
    trace(t, dir, frame, len);
    return rc;
}

static ssize_t tr_recv(struct tapir_device *d, uint8_t *buf, size_t cap, uint64_t now)
{
    struct tracer *t = d->priv;
    ssize_t n = tapir_device_recv(t->w.inner, buf, cap, now);
    if (n > 0) {
        wrap_rx_flags(d, t->w.inner);
        tapir_device_rx_finish_csum(d, buf, (size_t)n); /* else "[bad tcp cksum]" */
        trace(t, "rx", buf, (size_t)n);
    }
    return n;
}

static void tr_close(struct tapir_device *d)
{
    struct tracer *t = d->priv;
    tapir_device_close(t->w.inner);
    pthread_mutex_destroy(&t->mu);
    free(t);
}

static const struct tapir_device_ops tr_ops = {
    .send = tr_send,
    .recv = tr_recv,
    .fd = wrap_fd,
    .next_deadline = wrap_next_deadline,
    .close = tr_close,
    .set_mac = wrap_set_mac,
};

struct tapir_device *tapir_tracer_wrap(struct tapir_device *inner, FILE *out)
{
    struct tracer *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    pthread_mutex_init(&t->mu, NULL);
    t->out = out ? out : stderr;
    t->clock = mono_us;
    t->w.inner = inner;
    wrap_init(&t->w.dev, inner, &tr_ops, t);
    return &t->w.dev;
}

void tapir_tracer_set_clock(struct tapir_device *d, uint64_t (*clock)(void *ctx), void *ctx)
{
    struct tracer *t = d->priv;
    pthread_mutex_lock(&t->mu);
    t->clock = clock ? clock : mono_us;
    t->clock_ctx = ctx;
    t->started = false;
    pthread_mutex_unlock(&t->mu);
}
