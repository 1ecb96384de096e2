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

/* ---- the decoder: reads big-endian fields with explicit bounds ---- */

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

static const char *ip4s(const uint8_t *p, char *buf)
{
    struct ipaddr a = ip4(be32(p));
    return ipaddr_str(&a, buf);
}

static void arp(struct out *o, const uint8_t *p, size_t n)
{
    char a[IPADDR_STRLEN], b[IPADDR_STRLEN], m[MAC_STRLEN];
    if (n < 28 || be16(p) != 1 || be16(p + 2) != 0x0800 || p[4] != 6 || p[5] != 4) {
        put(o, "ARP, unknown or truncated, length %zu", n);
        return;
    }
    uint16_t op = be16(p + 6);
    if (op == 1)
        put(o, "ARP, Request who-has %s tell %s", ip4s(p + 24, a), ip4s(p + 14, b));
    else if (op == 2)
        put(o, "ARP, Reply %s is-at %s", ip4s(p + 14, a), mac_str(p + 8, m));
    else
        put(o, "ARP, op %u", op);
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

static void tcp(struct out *o, const uint8_t *p, size_t n, const char *src, const char *dst)
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
}

static void icmp(struct out *o, const uint8_t *p, size_t n)
{
    if (n < 8) {
        put(o, "ICMP, truncated, length %zu", n);
        return;
    }
    uint8_t type = p[0], code = p[1];
    switch (type) {
    case 0:
    case 8:
        put(o, "ICMP echo %s, id %u, seq %u", type ? "request" : "reply", be16(p + 4), be16(p + 6));
        break;
    case 3: {
        static const char *why[] = {"net", "host", "protocol", "port", "need to frag"};
        if (code < 5)
            put(o, "ICMP %s unreachable", why[code]);
        else
            put(o, "ICMP unreachable code %u", code);
        if (code == 4)
            put(o, " (mtu %u)", be16(p + 6));
        break;
    }
    case 11:
        put(o, "ICMP time exceeded, code %u", code);
        break;
    default:
        put(o, "ICMP type %u code %u", type, code);
    }
    put(o, ", length %zu", n);
}

static void ipv4(struct out *o, const uint8_t *p, size_t n)
{
    char s[IPADDR_STRLEN], d[IPADDR_STRLEN];
    if (n < 20 || p[0] >> 4 != 4) {
        put(o, "IP, truncated or bad version, length %zu", n);
        return;
    }
    size_t hl = (size_t)(p[0] & 15) * 4, tot = be16(p + 2);
    if (hl < 20 || tot < hl || tot > n) {
        put(o, "IP %s > %s: bad header (ihl %zu, total %zu, frame %zu)", ip4s(p + 12, s),
            ip4s(p + 16, d), hl, tot, n);
        return;
    }
    ip4s(p + 12, s);
    ip4s(p + 16, d);
    uint16_t frag = be16(p + 6), id = be16(p + 4);
    size_t off = (size_t)(frag & 0x1fff) * 8;
    bool mf = frag & 0x2000;
    const uint8_t *l4 = p + hl;
    size_t l4n = tot - hl;
    if (off) {
        put(o, "IP %s > %s: ip-proto-%u (frag %u:%zu@%zu%s)", s, d, p[9], id, l4n, off, mf ? "+" : "");
        return;
    }
    switch (p[9]) {
    case 1:
        put(o, "IP %s > %s: ", s, d);
        icmp(o, l4, l4n);
        break;
    case 6:
        tcp(o, l4, l4n, s, d);
        break;
    case 17:
        if (l4n < 8)
            put(o, "IP %s > %s: UDP, truncated", s, d);
        else
            put(o, "IP %s.%u > %s.%u: UDP, length %u", s, be16(l4), d, be16(l4 + 2),
                be16(l4 + 4) >= 8 ? be16(l4 + 4) - 8 : 0);
        break;
    default:
        put(o, "IP %s > %s: ip-proto-%u, length %zu", s, d, p[9], l4n);
    }
    if (mf)
        put(o, " (frag %u:%zu@0+)", id, l4n);
    if (p[8] <= 1)
        put(o, " [ttl %u]", p[8]);
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
    trace(t, rc == 0 ? "tx" : "tx-refused", frame, len);
    return rc;
}

static ssize_t tr_recv(struct tapir_device *d, uint8_t *buf, size_t cap, uint64_t now)
{
    struct tracer *t = d->priv;
    ssize_t n = tapir_device_recv(t->w.inner, buf, cap, now);
    if (n > 0)
        trace(t, "rx", buf, (size_t)n);
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
