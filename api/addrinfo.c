/* getaddrinfo() with Python's results for what needs no name server:
 * numeric hosts, "localhost", host NULL (AI_PASSIVE: the wildcard; else
 * loopback), numeric ports and a few well-known service names.  Other names
 * go through the resolver hook (api/sockimpl.h, tapir_set_resolver): the
 * resolver issue replaces the hook's default "Name or service not known".
 * Never the C library's getaddrinfo(3). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/sockimpl.h"

#define MAX_ADDRS 16

static const struct {
    const char *name;
    int port;
} services[] = {
    {"echo", 7}, {"discard", 9}, {"daytime", 13}, {"ftp", 21}, {"ssh", 22}, {"telnet", 23},
    {"smtp", 25}, {"domain", 53}, {"http", 80}, {"pop3", 110}, {"ntp", 123}, {"imap", 143},
    {"https", 443}, {"http-alt", 8080},
};

static int parse_port(const char *port, int flags, int *out)
{
    if (!port || !*port) {
        *out = 0;
        return 0;
    }
    char *end;
    long v = strtol(port, &end, 10);
    if (*end == '\0') {
        if (v < 0 || v > 65535)
            return TAPIR_EAI_SERVICE;
        *out = (int)v;
        return 0;
    }
    if (flags & TAPIR_AI_NUMERICSERV)
        return TAPIR_EAI_NONAME;
    for (size_t i = 0; i < sizeof services / sizeof services[0]; i++)
        if (strcasecmp(services[i].name, port) == 0) {
            *out = services[i].port;
            return 0;
        }
    return TAPIR_EAI_SERVICE;
}

static bool numeric_host(const char *h)
{
    struct ipaddr tmp;
    /* resolve_host answers numerics without the hook; "localhost" is a name. */
    return strcasecmp(h, "localhost") != 0 && resolve_host(h, TAPIR_AF_UNSPEC, &tmp, 1) == 1;
}

int tapir_getaddrinfo(const char *host, const char *port, int family, int type, int proto, int flags,
                      tapir_addrinfo **res)
{
    *res = NULL;
    if (family != TAPIR_AF_UNSPEC && family != TAPIR_AF_INET && family != TAPIR_AF_INET6)
        return tapir_set_gaierror(TAPIR_EAI_FAMILY);
    if (type != 0 && type != TAPIR_SOCK_STREAM && type != TAPIR_SOCK_DGRAM && type != TAPIR_SOCK_RAW)
        return tapir_set_gaierror(TAPIR_EAI_SOCKTYPE);
    if ((!host || !*host) && (!port || !*port))
        return tapir_set_gaierror(TAPIR_EAI_NONAME);
    int pnum;
    int rc = parse_port(port, flags, &pnum);
    if (rc)
        return tapir_set_gaierror(rc);

    struct ipaddr addrs[MAX_ADDRS];
    int n = 0;
    static const uint8_t any6[16], lo6[16] = {[15] = 1};
    if (!host || !*host) {
        bool passive = flags & TAPIR_AI_PASSIVE;
        /* glibc's order, as Python shows it: passive 0.0.0.0 then ::,
         * otherwise ::1 then 127.0.0.1. */
        if (passive) {
            if (family != TAPIR_AF_INET6)
                addrs[n++] = ip4(0);
            if (family != TAPIR_AF_INET)
                addrs[n++] = ip6(any6);
        } else {
            if (family != TAPIR_AF_INET)
                addrs[n++] = ip6(lo6);
            if (family != TAPIR_AF_INET6)
                addrs[n++] = ip4(IP4(127, 0, 0, 1));
        }
    } else {
        if ((flags & TAPIR_AI_NUMERICHOST) && !numeric_host(host))
            return tapir_set_gaierror(TAPIR_EAI_NONAME);
        n = resolve_host(host, family, addrs, MAX_ADDRS);
        if (n < 0)
            return tapir_set_gaierror(n);
        if (n == 0)
            return tapir_set_gaierror(TAPIR_EAI_NONAME);
    }

    static const int types[3] = {TAPIR_SOCK_STREAM, TAPIR_SOCK_DGRAM, TAPIR_SOCK_RAW};
    static const int protos[3] = {TAPIR_IPPROTO_TCP, TAPIR_IPPROTO_UDP, 0};
    tapir_addrinfo *out = calloc((size_t)n * 3, sizeof *out);
    if (!out)
        return tapir_set_gaierror(TAPIR_EAI_MEMORY);
    int count = 0;
    for (int i = 0; i < n; i++) {
        for (int t = 0; t < 3; t++) {
            if (type && type != types[t])
                continue;
            int p = type == TAPIR_SOCK_RAW ? proto : protos[t];
            if (proto && type != TAPIR_SOCK_RAW && proto != protos[t])
                continue;
            tapir_addrinfo *ai = &out[count++];
            ai->family = addrs[i].family;
            ai->type = types[t];
            ai->proto = p;
            if ((flags & TAPIR_AI_CANONNAME) && i == 0 && count == 1)
                snprintf(ai->canonname, sizeof ai->canonname, "%s", host ? host : "");
            struct endpoint ep;
            memset(&ep, 0, sizeof ep);
            ep.addr = addrs[i];
            ep.port = (uint16_t)pnum;
            endpoint_to_addr(addrs[i].family, &ep, &ai->addr);
        }
    }
    if (count == 0) {
        free(out);
        return tapir_set_gaierror(TAPIR_EAI_SOCKTYPE);
    }
    *res = out;
    return count;
}

void tapir_freeaddrinfo(tapir_addrinfo *res) { free(res); }
