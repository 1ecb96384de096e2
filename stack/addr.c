/* Text forms of addresses. Written here rather than borrowed from libc's
 * inet_ntop so that stack/ depends on nothing but itself. */
#include "stack/addr.h"

#include <stdio.h>

char *ipaddr_str(const struct ipaddr *a, char *buf)
{
    if (a->family == TP_AF_INET) {
        snprintf(buf, IPADDR_STRLEN, "%u.%u.%u.%u", a->v4 >> 24, (a->v4 >> 16) & 255,
                 (a->v4 >> 8) & 255, a->v4 & 255);
        return buf;
    }
    if (a->family != TP_AF_INET6) {
        snprintf(buf, IPADDR_STRLEN, "(none)");
        return buf;
    }
    /* RFC 5952: lowercase, leading zeros dropped, the longest run (>= 2) of
     * zero groups replaced by "::" (the first such run on a tie), IPv4-mapped
     * addresses written with a dotted-quad tail. */
    uint16_t g[8];
    for (int i = 0; i < 8; i++)
        g[i] = (uint16_t)(a->v6[2 * i] << 8 | a->v6[2 * i + 1]);
    int best = -1, best_len = 0;
    for (int i = 0; i < 8;) {
        if (g[i] != 0) {
            i++;
            continue;
        }
        int j = i;
        while (j < 8 && g[j] == 0)
            j++;
        if (j - i > best_len && j - i >= 2) {
            best = i;
            best_len = j - i;
        }
        i = j;
    }
    bool mapped = g[0] == 0 && g[1] == 0 && g[2] == 0 && g[3] == 0 && g[4] == 0 && g[5] == 0xffff;
    int groups = mapped ? 6 : 8;
    if (mapped) {
        best = 0;
        best_len = 5;
    }
    char *p = buf;
    for (int i = 0; i < groups;) {
        if (i == best) {
            p += sprintf(p, "::");
            i += best_len;
            continue;
        }
        if (i > 0 && i != best + best_len)
            *p++ = ':';
        p += sprintf(p, "%x", g[i]);
        i++;
    }
    if (mapped)
        sprintf(p, ":%u.%u.%u.%u", a->v6[12], a->v6[13], a->v6[14], a->v6[15]);
    else
        *p = '\0';
    return buf;
}

static int parse_v4(const char *s, uint32_t *out)
{
    uint32_t v = 0;
    for (int part = 0; part < 4; part++) {
        if (*s < '0' || *s > '9')
            return -1;
        unsigned n = 0, digits = 0;
        while (*s >= '0' && *s <= '9') {
            n = n * 10 + (unsigned)(*s++ - '0');
            if (++digits > 3 || n > 255)
                return -1;
        }
        v = v << 8 | n;
        if (part < 3 && *s++ != '.')
            return -1;
    }
    if (*s != '\0')
        return -1;
    *out = v;
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int parse_v6(const char *s, uint8_t out[16])
{
    uint16_t g[8] = {0};
    int n = 0, gap = -1;
    if (s[0] == ':') {
        if (s[1] != ':')
            return -1;
        s += 2;
        gap = 0;
        if (*s == '\0')
            goto done;
    }
    for (;;) {
        /* An embedded IPv4 tail takes the last two groups. */
        const char *dot = s;
        while (*dot && *dot != ':' && *dot != '.')
            dot++;
        if (*dot == '.') {
            uint32_t v4;
            if (n > 6 || parse_v4(s, &v4) < 0)
                return -1;
            g[n++] = (uint16_t)(v4 >> 16);
            g[n++] = (uint16_t)v4;
            break;
        }
        int digits = 0;
        unsigned v = 0;
        while (hexval(*s) >= 0) {
            v = v << 4 | (unsigned)hexval(*s++);
            if (++digits > 4)
                return -1;
        }
        if (digits == 0 || n >= 8)
            return -1;
        g[n++] = (uint16_t)v;
        if (*s == '\0')
            break;
        if (*s++ != ':')
            return -1;
        if (*s == ':') {
            if (gap >= 0)
                return -1;
            gap = n;
            s++;
            if (*s == '\0')
                break;
        }
    }
done:
    if (gap >= 0) {
        if (n == 8)
            return -1;
        int tail = n - gap;
        memmove(&g[8 - tail], &g[gap], (size_t)tail * sizeof g[0]);
        for (int i = gap; i < 8 - tail; i++)
            g[i] = 0;
    } else if (n != 8) {
        return -1;
    }
    for (int i = 0; i < 8; i++) {
        out[2 * i] = (uint8_t)(g[i] >> 8);
        out[2 * i + 1] = (uint8_t)g[i];
    }
    return 0;
}

int ipaddr_parse(const char *s, struct ipaddr *out)
{
    memset(out, 0, sizeof *out);
    if (strchr(s, ':')) {
        out->family = TP_AF_INET6;
        return parse_v6(s, out->v6);
    }
    out->family = TP_AF_INET;
    return parse_v4(s, &out->v4);
}

char *mac_str(const uint8_t m[6], char *buf)
{
    snprintf(buf, MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    return buf;
}

int mac_parse(const char *s, uint8_t mac[6])
{
    for (int i = 0; i < 6; i++) {
        int hi = hexval(s[0]), lo = hexval(s[1]);
        if (hi < 0 || lo < 0)
            return -1;
        mac[i] = (uint8_t)(hi << 4 | lo);
        s += 2;
        if (i < 5 && *s++ != ':')
            return -1;
    }
    return *s == '\0' ? 0 : -1;
}
