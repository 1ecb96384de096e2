/* Addresses as Python's tuples, turned into the stack's endpoints and back,
 * with Python's checks and messages (CPython's getsockaddrarg/setipaddr). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/resolver_int.h"
#include "api/sockimpl.h"

tapir_addr *tapir_addr_set(tapir_addr *a, const char *host, int port)
{
    memset(a, 0, sizeof *a);
    if (!host)
        host = "";
    size_t n = strlen(host);
    if (n >= sizeof a->host)
        a->family = -1; /* too long: calls using it fail with ValueError */
    else
        memcpy(a->host, host, n + 1);
    a->port = port;
    return a;
}

tapir_addr *tapir_addr_set6(tapir_addr *a, const char *host, int port, uint32_t flowinfo,
                            uint32_t scope_id)
{
    tapir_addr_set(a, host, port);
    if (a->family == 0)
        a->family = TAPIR_AF_INET6;
    a->flowinfo = flowinfo;
    a->scope_id = scope_id;
    return a;
}

tapir_addr *tapir_addr_set_unix(tapir_addr *a, const void *path, size_t len)
{
    memset(a, 0, sizeof *a);
    a->family = TAPIR_AF_UNIX;
    if (!path)
        path = "";
    if (len == (size_t)-1)
        len = strlen(path);
    /* Longer than sun_path: kept as a length only, refused where used. */
    a->path_len = len > TP_UNIX_PATH_MAX ? TP_UNIX_PATH_MAX + 1 : (int)len;
    if (len <= TP_UNIX_PATH_MAX)
        memcpy(a->host, path, len);
    return a;
}

/* The bytes of an AF_UNIX address, and how many. */
static size_t unix_len(const tapir_addr *a)
{
    return a->path_len > 0 ? (size_t)a->path_len : strlen(a->host);
}

/* Python's str() of a bytes object (an abstract name): b'\x00name'. */
static void bytes_str(const char *p, size_t len, char *buf, size_t n)
{
    size_t o = (size_t)snprintf(buf, n, "b'");
    for (size_t i = 0; i < len && o + 5 < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '\\' || c == '\'')
            o += (size_t)snprintf(buf + o, n - o, "\\%c", c);
        else if (c >= 0x20 && c < 0x7f)
            buf[o++] = (char)c;
        else
            o += (size_t)snprintf(buf + o, n - o, "\\x%02x", c);
    }
    snprintf(buf + (o < n ? o : n - 1), n - (o < n ? o : n - 1), "'");
}

char *tapir_addr_str(const tapir_addr *a, char *buf, size_t n)
{
    if (!a)
        snprintf(buf, n, "None");
    else if (a->family == TAPIR_AF_INET6)
        snprintf(buf, n, "('%s', %d, %u, %u)", a->host, a->port, a->flowinfo, a->scope_id);
    else if (a->family == TAPIR_AF_UNIX && a->path_len < 0)
        snprintf(buf, n, "None");
    else if (a->family == TAPIR_AF_UNIX && unix_len(a) > 0 && a->host[0] == '\0')
        bytes_str(a->host, unix_len(a) < sizeof a->host ? unix_len(a) : sizeof a->host, buf, n);
    else if (a->family == TAPIR_AF_UNIX)
        snprintf(buf, n, "%s", a->host);
    else
        snprintf(buf, n, "('%s', %d)", a->host, a->port);
    return buf;
}

static tapir_resolve_fn resolver;

void tapir_set_resolver(tapir_resolve_fn fn) { resolver = fn; }

/* What getaddrinfo(3) would do for a numeric host or "localhost" (glibc
 * accepts the inet_aton forms "127.1", "0x7f.1" for IPv4). */
int resolve_host(const char *name, int family, struct ipaddr *out, int max)
{
    if (max < 1)
        return TAPIR_EAI_OVERFLOW;
    struct in_addr a4;
    uint8_t a6[16];
    if (inet_pton(AF_INET6, name, a6) == 1) {
        if (family == TAPIR_AF_INET)
            return TAPIR_EAI_ADDRFAMILY;
        out[0] = ip6(a6);
        return 1;
    }
    if (inet_aton(name, &a4)) {
        if (family == TAPIR_AF_INET6)
            return TAPIR_EAI_ADDRFAMILY;
        out[0] = ip4(ntohl(a4.s_addr));
        return 1;
    }
    if (strcasecmp(name, "localhost") == 0 || strcasecmp(name, "localhost.") == 0) {
        if (family == TAPIR_AF_INET6) {
            static const uint8_t lo6[16] = {[15] = 1};
            out[0] = ip6(lo6);
        } else {
            out[0] = ip4(IP4(127, 0, 0, 1));
        }
        return 1;
    }
    if (resolver)
        return resolver(name, family, out, max);
    /* Names: tapir's resolver (hosts file, then DNS over tapir's sockets). */
    return tapir_resolver_hook(name, family, out, max);
}

/* CPython's getsockaddrarg for AF_UNIX: a str or bytes path. */
static int unix_to_endpoint(const tapir_addr *a, struct endpoint *ep)
{
    if (!a || (a->family == TAPIR_AF_UNIX && a->path_len < 0))
        return tapir_set_error(TAPIR_ERR_TYPE, EINVAL, "a bytes-like object is required, not 'NoneType'");
    /* An AF_INET(6) address, or a family-0 one with a port: a tuple. */
    if ((a->family != 0 && a->family != TAPIR_AF_UNIX && a->family != -1) || (a->family == 0 && a->port != 0))
        return tapir_set_error(TAPIR_ERR_TYPE, EINVAL, "a bytes-like object is required, not 'tuple'");
    size_t len = unix_len(a);
    if (a->family == -1 || len > TP_UNIX_PATH_MAX)
        return tapir_set_error(TAPIR_ERR_ERROR, 0, "AF_UNIX path too long");
    ep->addr.family = TP_AF_UNIX;
    ep->path_len = (uint8_t)len;
    memcpy(ep->path, a->host, len);
    return 0;
}

int addr_to_endpoint(int family, const tapir_addr *a, const char *caller, struct endpoint *ep)
{
    char tmp[16];
    memset(ep, 0, sizeof *ep);
    if (family == TAPIR_AF_UNIX)
        return unix_to_endpoint(a, ep);
    if (!a)
        return tapir_set_error(TAPIR_ERR_TYPE, EINVAL, "%s(): %s address must be tuple, not NoneType",
                               caller, family_name(family, tmp));
    if (a->family == -1)
        return tapir_set_error(TAPIR_ERR_VALUE, EINVAL, "label too long");
    if (family != TAPIR_AF_INET && family != TAPIR_AF_INET6)
        return tapir_set_errno(EAFNOSUPPORT);
    if (a->family == TAPIR_AF_INET6 && family == TAPIR_AF_INET)
        return tapir_set_error(TAPIR_ERR_TYPE, EINVAL, "AF_INET address must be a pair (host, port)");
    if (a->family == TAPIR_AF_UNIX)
        return tapir_set_error(TAPIR_ERR_TYPE, EINVAL, "%s(): %s address must be tuple, not str", caller,
                               family_name(family, tmp));
    if (a->family != 0 && a->family != TAPIR_AF_INET && a->family != TAPIR_AF_INET6)
        return tapir_set_errno(EAFNOSUPPORT);
    if (a->port < 0 || a->port > 65535)
        return tapir_set_error(TAPIR_ERR_OVERFLOW, ERANGE, "%s(): port must be 0-65535.", caller);
    if (family == TAPIR_AF_INET6 && a->flowinfo > 0xfffff)
        return tapir_set_error(TAPIR_ERR_OVERFLOW, ERANGE, "%s(): flowinfo must be 0-1048575.", caller);
    ep->port = (uint16_t)a->port;
    if (family == TAPIR_AF_INET6) {
        ep->flowinfo = a->flowinfo;
        ep->scope_id = a->scope_id;
    }

    const char *host = a->host;
    if (host[0] == '\0') {
        static const uint8_t any6[16];
        ep->addr = family == TAPIR_AF_INET ? ip4(0) : ip6(any6);
        return 0;
    }
    if (strcmp(host, "<broadcast>") == 0 || strcmp(host, "255.255.255.255") == 0) {
        if (family != TAPIR_AF_INET)
            return tapir_set_error(TAPIR_ERR_ERROR, 0, "address family mismatched");
        ep->addr = ip4(0xffffffffu);
        return 0;
    }
    if (family == TAPIR_AF_INET) {
        struct in_addr a4;
        if (inet_pton(AF_INET, host, &a4) == 1) {
            ep->addr = ip4(ntohl(a4.s_addr));
            return 0;
        }
    } else {
        /* "fe80::1%3": a numeric scope after '%'. */
        char tmp[TAPIR_HOST_MAX];
        snprintf(tmp, sizeof tmp, "%s", host);
        char *pct = strchr(tmp, '%');
        if (pct) {
            char *end;
            unsigned long sc = strtoul(pct + 1, &end, 10);
            if (*end == '\0' && end != pct + 1) {
                *pct = '\0';
                ep->scope_id = (uint32_t)sc;
            }
        }
        uint8_t a6[16];
        if (inet_pton(AF_INET6, tmp, a6) == 1) {
            ep->addr = ip6(a6);
            return 0;
        }
    }
    struct ipaddr res;
    int n = resolve_host(host, family, &res, 1);
    if (n < 0)
        return tapir_set_gaierror(n);
    if (n == 0)
        return tapir_set_gaierror(TAPIR_EAI_NONAME);
    if (res.family != family)
        return tapir_set_gaierror(TAPIR_EAI_ADDRFAMILY);
    ep->addr = res;
    return 0;
}

void endpoint_to_addr(int family, const struct endpoint *ep, tapir_addr *out)
{
    memset(out, 0, sizeof *out);
    if (family == TAPIR_AF_UNIX) {
        /* Unnamed: "".  A datagram from an unnamed sender comes with no
         * address at all: Python's None. */
        out->family = TAPIR_AF_UNIX;
        if (ep->addr.family == TP_AF_UNSPEC)
            out->path_len = -1;
        if (ep->addr.family == TP_AF_UNIX) {
            memcpy(out->host, ep->path, ep->path_len);
            out->path_len = ep->path_len;
        }
        return;
    }
    struct ipaddr a = ep->addr;
    if (family == TAPIR_AF_INET6 && a.family == TP_AF_INET) {
        /* An IPv4 peer of a dual-stack AF_INET6 socket: ::ffff:a.b.c.d. */
        uint8_t m[16] = {[10] = 0xff, [11] = 0xff};
        m[12] = (uint8_t)(a.v4 >> 24);
        m[13] = (uint8_t)(a.v4 >> 16);
        m[14] = (uint8_t)(a.v4 >> 8);
        m[15] = (uint8_t)a.v4;
        a = ip6(m);
    }
    if (a.family == TP_AF_UNSPEC) {
        static const uint8_t any6[16];
        a = family == TAPIR_AF_INET6 ? ip6(any6) : ip4(0);
    }
    char buf[IPADDR_STRLEN];
    ipaddr_str(&a, buf);
    snprintf(out->host, sizeof out->host, "%s", buf);
    out->family = a.family;
    out->port = ep->port;
    if (a.family == TP_AF_INET6) {
        out->flowinfo = ep->flowinfo;
        out->scope_id = ep->scope_id;
    }
}
