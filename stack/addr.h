/* Addresses and endpoints, family-neutral, in host byte order.
 *
 * Network byte order lives only inside the wire codecs (stack/wire/); everything
 * above them (routing, ARP, TCP, sockets) works with these host-order values.
 * An IPv4 address is a uint32_t whose most significant byte is the first
 * dotted-quad number (198.18.0.2 == 0xC6120002).  An IPv6 address is 16 bytes
 * in their natural (wire) order: there is no "host order" for them.
 */
#ifndef TAPIR_STACK_ADDR_H
#define TAPIR_STACK_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Linux's values, so they can cross the public API unchanged. */
#define TP_AF_UNSPEC 0
#define TP_AF_UNIX   1   /* local sockets in the stack's own namespace (stack/unix.h) */
#define TP_AF_INET   2
#define TP_AF_INET6  10

struct ipaddr {
    uint8_t family;            /* TP_AF_INET or TP_AF_INET6 (TP_AF_UNSPEC: none) */
    union {
        uint32_t v4;           /* host order */
        uint8_t v6[16];
    };
};

#define TP_UNIX_PATH_MAX 108    /* Linux's sizeof(sun_path) */

/* A transport endpoint: an address and a port (host order); for AF_UNIX
 * (addr.family TP_AF_UNIX) a name instead. */
struct endpoint {
    struct ipaddr addr;
    uint16_t port;
    uint32_t flowinfo;         /* IPv6 only */
    uint32_t scope_id;         /* IPv6 link-local: interface index */
    /* AF_UNIX only: path_len bytes of path, not NUL-terminated; a first
     * byte '\0' makes it a Linux abstract name; path_len 0: unnamed. */
    uint8_t path_len;
    char path[TP_UNIX_PATH_MAX];
};

static inline struct ipaddr ip4(uint32_t a)
{
    struct ipaddr r;
    memset(&r, 0, sizeof r);
    r.family = TP_AF_INET;
    r.v4 = a;
    return r;
}

#define IP4(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))

static inline struct ipaddr ip6(const uint8_t b[16])
{
    struct ipaddr r;
    memset(&r, 0, sizeof r);
    r.family = TP_AF_INET6;
    memcpy(r.v6, b, 16);
    return r;
}

static inline bool ipaddr_eq(const struct ipaddr *a, const struct ipaddr *b)
{
    if (a->family != b->family)
        return false;
    if (a->family == TP_AF_INET)
        return a->v4 == b->v4;
    if (a->family == TP_AF_INET6)
        return memcmp(a->v6, b->v6, 16) == 0;
    return true;
}

static inline bool ipaddr_is_any(const struct ipaddr *a)
{
    if (a->family == TP_AF_INET)
        return a->v4 == 0;
    if (a->family == TP_AF_INET6) {
        static const uint8_t zero[16];
        return memcmp(a->v6, zero, 16) == 0;
    }
    return true;
}

/* IPv4-mapped IPv6 addresses (::ffff:a.b.c.d, RFC 4291 2.5.5.2): how a
 * dual-stack AF_INET6 socket names IPv4 peers. */
static inline bool ipaddr_is_v4mapped(const struct ipaddr *a)
{
    static const uint8_t pfx[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return a->family == TP_AF_INET6 && memcmp(a->v6, pfx, 12) == 0;
}

static inline struct ipaddr ipaddr_map4(uint32_t v4)
{
    struct ipaddr r;
    memset(&r, 0, sizeof r);
    r.family = TP_AF_INET6;
    r.v6[10] = r.v6[11] = 0xff;
    r.v6[12] = (uint8_t)(v4 >> 24);
    r.v6[13] = (uint8_t)(v4 >> 16);
    r.v6[14] = (uint8_t)(v4 >> 8);
    r.v6[15] = (uint8_t)v4;
    return r;
}

/* The IPv4 address inside a mapped address (caller checked ipaddr_is_v4mapped). */
static inline uint32_t ipaddr_unmap4(const struct ipaddr *a)
{
    return (uint32_t)a->v6[12] << 24 | (uint32_t)a->v6[13] << 16 | (uint32_t)a->v6[14] << 8 | a->v6[15];
}

static inline uint32_t ip4_prefix_mask(unsigned prefix_len)
{
    return prefix_len == 0 ? 0 : prefix_len >= 32 ? 0xffffffffu : ~((1u << (32 - prefix_len)) - 1);
}

/* Text forms, for logs and tools: "198.18.0.2", "fd00:198:18::2" (RFC 5952).
 * buf must hold IPADDR_STRLEN bytes. Returns buf. */
#define IPADDR_STRLEN 46
char *ipaddr_str(const struct ipaddr *a, char *buf);
/* Parses dotted-quad or IPv6 text. Returns 0, or -1 if it is not an address. */
int ipaddr_parse(const char *s, struct ipaddr *out);

#define MAC_STRLEN 18
char *mac_str(const uint8_t mac[6], char *buf);
int mac_parse(const char *s, uint8_t mac[6]);

#endif
