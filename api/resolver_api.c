/* Python's name functions over tapir's resolver: getaddrinfo, getnameinfo,
 * gethostbyname(_ex), gethostbyaddr, getfqdn, gethostname, getservby*,
 * getprotobyname.  The argument checks and their order, the results and
 * their order, and the errors follow what CPython does on glibc 2.36
 * (socketmodule.c over getaddrinfo.c / getnameinfo.c), case by case: the
 * interop test resolver_pycompare.sh diffs ours against python3's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "api/error.h"
#include "api/resolver.h"
#include "api/resolver_int.h"
#include "api/runner.h"
#include "api/tapir.h"
#include "stack/ip6.h"
#include "stack/stack.h"

/* ---- process-wide state ---- */

static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct dns_resolver g_res;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER; /* hosts table and host name */
static char g_hosts_path[512] = "/etc/hosts";
static struct hosts_table g_hosts;
static bool g_hosts_valid;
static struct timespec g_hosts_mtime;
static off_t g_hosts_size;
static char g_hostname[256];

static void global_init(void)
{
    struct dns_transport tr;
    resolver_net_transport(&tr);
    dns_resolver_init(&g_res, &tr);
    const char *p = getenv("TAPIR_RESOLV_CONF");
    if (p && *p)
        resolv_conf_load(&g_res.conf, p);
    const char *h = getenv("TAPIR_HOSTS");
    if (h)
        snprintf(g_hosts_path, sizeof g_hosts_path, "%s", h);
}

struct dns_resolver *resolver_global(void)
{
    pthread_once(&once, global_init);
    return &g_res;
}

void resolver_set_transport(const struct dns_transport *tr)
{
    struct dns_transport net;
    struct dns_resolver *r = resolver_global();
    if (!tr) {
        resolver_net_transport(&net);
        tr = &net;
    }
    pthread_mutex_lock(&r->lock);
    r->tr = *tr;
    pthread_mutex_unlock(&r->lock);
    dns_resolver_flush(r);
}

/* Re-reads the hosts file when it changed.  Under g_lock. */
static void hosts_refresh(void)
{
    struct stat sb;
    if (g_hosts_path[0] == '\0') {
        if (!g_hosts_valid) {
            hosts_free(&g_hosts);
            g_hosts.loaded = true; /* "no hosts file": no built-in localhost either */
            g_hosts_valid = true;
        }
        return;
    }
    if (stat(g_hosts_path, &sb) < 0) {
        if (g_hosts_valid && !g_hosts.loaded)
            return;
        hosts_free(&g_hosts);
        g_hosts_valid = true;
        return;
    }
    if (g_hosts_valid && g_hosts.loaded && sb.st_mtim.tv_sec == g_hosts_mtime.tv_sec &&
        sb.st_mtim.tv_nsec == g_hosts_mtime.tv_nsec && sb.st_size == g_hosts_size)
        return;
    hosts_load(&g_hosts, g_hosts_path);
    g_hosts_mtime = sb.st_mtim;
    g_hosts_size = sb.st_size;
    g_hosts_valid = true;
}

/* Hosts lookup by name, with a built-in localhost when there is no file. */
static size_t hosts_lookup(const char *name, int family, struct ipaddr *out, size_t max, char *canon,
                           size_t canon_cap)
{
    const char *c = NULL;
    pthread_mutex_lock(&g_lock);
    hosts_refresh();
    size_t n = hosts_by_name(&g_hosts, name, family, out, max, &c);
    if (n && canon)
        snprintf(canon, canon_cap, "%s", c);
    bool loaded = g_hosts.loaded;
    pthread_mutex_unlock(&g_lock);
    if (n == 0 && !loaded && strcasecmp(name, "localhost") == 0) {
        if ((family == TP_AF_UNSPEC || family == TP_AF_INET) && n < max)
            out[n++] = ip4(IP4(127, 0, 0, 1));
        static const uint8_t lo6[16] = {[15] = 1};
        if ((family == TP_AF_UNSPEC || family == TP_AF_INET6) && n < max)
            out[n++] = ip6(lo6);
        if (canon)
            snprintf(canon, canon_cap, "localhost");
    }
    return n;
}

/* ---- numeric forms ---- */

/* inet_aton(3) without trailing text (glibc's __inet_aton_exact): 1 to 4
 * parts, each decimal, octal (leading 0) or hex (0x), the last filling the
 * remaining bytes: "127.1", "0x7f.1", "017.0.0.1" (= 15.0.0.1). */
static int aton_exact(const char *s, uint32_t *out)
{
    uint64_t parts[4];
    int n = 0;
    const char *p = s;
    for (;;) {
        if (*p < '0' || *p > '9')
            return -1;
        unsigned base = 10;
        if (*p == '0') {
            p++;
            if (*p == 'x' || *p == 'X') {
                base = 16;
                p++;
            } else {
                base = 8;
            }
        }
        uint64_t v = 0;
        for (;; p++) {
            int d;
            if (*p >= '0' && *p <= '9')
                d = *p - '0';
            else if (base == 16 && *p >= 'a' && *p <= 'f')
                d = *p - 'a' + 10;
            else if (base == 16 && *p >= 'A' && *p <= 'F')
                d = *p - 'A' + 10;
            else
                break;
            if ((unsigned)d >= base)
                return -1;
            v = v * base + (unsigned)d;
            if (v > 0xffffffffu)
                return -1;
        }
        if (*p == '.') {
            if (n == 3)
                return -1;
            parts[n++] = v;
            p++;
            continue;
        }
        parts[n] = v;
        break;
    }
    if (*p != '\0')
        return -1;
    static const uint64_t last_max[4] = {0xffffffffu, 0xffffff, 0xffff, 0xff};
    uint32_t a = 0;
    for (int i = 0; i < n; i++) {
        if (parts[i] > 0xff)
            return -1;
        a |= (uint32_t)parts[i] << (24 - 8 * i);
    }
    if (parts[n] > last_max[n])
        return -1;
    *out = a | (uint32_t)parts[n];
    return 0;
}

/* The stack's interface for a scope name ("tap0"), as its scope id. */
static int scope_by_name(const char *name, uint32_t *scope)
{
    tapir_runner *r = tapir_runner_default();
    if (!r)
        return -1;
    struct stack *st = tapir_runner_lock(r);
    int found = -1;
    for (int i = 0; i < st->n_netifs; i++) {
        if (strcmp(st->netifs[i].name, name) == 0) {
            *scope = (uint32_t)st->netifs[i].index + 1; /* ifindex-like: 1-based */
            found = 0;
        }
    }
    tapir_runner_unlock(r);
    return found;
}

static bool scope_name(uint32_t scope, char *out, size_t n)
{
    tapir_runner *r = tapir_runner_default();
    if (!r || scope == 0)
        return false;
    struct stack *st = tapir_runner_lock(r);
    bool ok = false;
    for (int i = 0; i < st->n_netifs; i++) {
        if ((uint32_t)st->netifs[i].index + 1 == scope) {
            snprintf(out, n, "%s", st->netifs[i].name);
            ok = true;
        }
    }
    tapir_runner_unlock(r);
    return ok;
}

static bool is_linklocal6(const uint8_t *a)
{
    return (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) || (a[0] == 0xff && (a[1] & 0x0f) == 0x02);
}

/* 1: numeric (out filled), 0: not numeric, <0: EAI code (a bad scope). */
static int parse_numeric6(const char *name, struct ipaddr *a, uint32_t *scope)
{
    char buf[64];
    const char *pct = strchr(name, '%');
    size_t n = pct ? (size_t)(pct - name) : strlen(name);
    *scope = 0;
    if (n >= sizeof buf)
        return 0;
    memcpy(buf, name, n);
    buf[n] = '\0';
    if (!strchr(buf, ':') || ipaddr_parse(buf, a) < 0 || a->family != TP_AF_INET6)
        return 0;
    if (pct) {
        const char *s = pct + 1;
        if (!(is_linklocal6(a->v6) && scope_by_name(s, scope) == 0)) {
            char *end;
            unsigned long v = strtoul(s, &end, 10);
            if (*s == '\0' || *end || v > 0xffffffffu)
                return TAPIR_EAI_NONAME;
            *scope = (uint32_t)v;
        }
    }
    return 1;
}

/* Python encodes a str host with the idna codec first; for ASCII that only
 * checks label lengths, and its UnicodeError is a ValueError. */
static int idna_check(const char *host)
{
    const char *label = host;
    for (const char *p = host;; p++) {
        if (*p == '.' || *p == '\0') {
            size_t len = (size_t)(p - label);
            if (*p == '.' && (len == 0 || len > 63))
                return tapir_set_error(TAPIR_ERR_VALUE, EINVAL,
                                       "encoding with 'idna' codec failed (UnicodeError: label empty or too long)");
            if (*p == '\0' && len > 63)
                return tapir_set_error(TAPIR_ERR_VALUE, EINVAL,
                                       "encoding with 'idna' codec failed (UnicodeError: label too long)");
            if (*p == '\0')
                return 0;
            label = p + 1;
        }
    }
}

/* glibc's res_hnok: what nss_dns accepts as a host name to query. */
static bool hostname_ok(const char *name)
{
    uint8_t w[DNS_MAX_NAME];
    if (dns_name_from_text(name, w) < 0)
        return false;
    for (size_t i = 0; w[i]; i += 1u + w[i]) {
        for (uint8_t k = 1; k <= w[i]; k++) {
            uint8_t c = w[i + k];
            bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
            if (!alnum && !((c == '-' || c == '_') && k > 1) && !(c == '_' && k == 1))
                return false;
        }
    }
    return true;
}

/* ---- the stack's own families (AI_ADDRCONFIG, destination ordering) ---- */

static void stack_families(bool *v4, bool *v6)
{
    *v4 = *v6 = false;
    tapir_runner *r = tapir_runner_default();
    if (!r)
        return;
    struct stack *st = tapir_runner_lock(r);
    for (int i = 0; i < st->n_netifs; i++)
        for (int k = 0; k < st->netifs[i].n_ip4; k++)
            if ((st->netifs[i].ip4[k].addr >> 24) != 127)
                *v4 = true;
    /* glibc's check_pf: loopback and link-local addresses do not count. */
    struct ip6_addr_info a6[16];
    int n6 = stack_ip6_addrs(st, -1, a6, 16);
    for (int i = 0; i < n6; i++) {
        const uint8_t *b = a6[i].addr;
        static const uint8_t lo6[16] = {[15] = 1};
        if (memcmp(b, lo6, 16) != 0 && !(b[0] == 0xfe && (b[1] & 0xc0) == 0x80))
            *v6 = true;
    }
    tapir_runner_unlock(r);
}

/* RFC 6724 2.1's default policy table: precedence of a destination. */
static int precedence(const struct ipaddr *a)
{
    if (a->family == TP_AF_INET)
        return 35;
    const uint8_t *b = a->v6;
    static const uint8_t lo[16] = {[15] = 1};
    static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};
    if (memcmp(b, lo, 16) == 0)
        return 50;
    if (memcmp(b, mapped, 12) == 0)
        return 35;
    if (b[0] == 0x20 && b[1] == 0x02)
        return 30;
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0)
        return 5;
    if ((b[0] & 0xfe) == 0xfc)
        return 3;
    return 40;
}

/* ---- getaddrinfo ---- */

struct typeproto {
    int socktype, protocol;
    bool protoany, noservice, dflt;
    const char *name;
};
/* glibc's gaih_inet_typeproto (order matters: it is the order of results). */
static const struct typeproto typeprotos[] = {
    {TAPIR_SOCK_STREAM, TAPIR_IPPROTO_TCP, false, false, true, "tcp"},
    {TAPIR_SOCK_DGRAM, TAPIR_IPPROTO_UDP, false, false, true, "udp"},
    {6 /* SOCK_DCCP */, 33 /* IPPROTO_DCCP */, false, false, false, "dccp"},
    {TAPIR_SOCK_DGRAM, TAPIR_IPPROTO_UDPLITE, false, false, false, "udplite"},
    {TAPIR_SOCK_STREAM, TAPIR_IPPROTO_SCTP, false, false, false, "sctp"},
    {TAPIR_SOCK_SEQPACKET, TAPIR_IPPROTO_SCTP, false, false, false, "sctp"},
    {TAPIR_SOCK_RAW, 0, true, true, true, "raw"},
};
#define N_TYPEPROTOS (sizeof typeprotos / sizeof typeprotos[0])

struct servtuple {
    int socktype, protocol, port;
};

struct addrtuple {
    struct ipaddr a;
    uint32_t scope;
};

#define GAI_MAX_ADDRS (2 * RESOLV_MAX_ADDRS)

static uint64_t deadline_from(double timeout)
{
    if (!(timeout >= 0)) /* negative or NaN: None */
        return UINT64_MAX;
    if (timeout > 1e7)
        timeout = 1e7;
    struct dns_resolver *r = resolver_global(); /* its clock: the transport's */
    return r->tr.now_us(r->tr.ctx) + (uint64_t)(timeout * 1e6);
}

/* DNS for one family.  Returns the count added, or a negative EAI code. */
static int dns_lookup(const char *name, uint16_t qtype, uint64_t deadline, struct addrtuple *out,
                      size_t max, char *canon, size_t canon_cap)
{
    struct dns_resolver *r = resolver_global();
    struct dns_result *res = malloc(sizeof *res);
    if (!res)
        return TAPIR_EAI_MEMORY;
    dns_resolve_search(r, name, qtype, deadline, res);
    int st = res->status;
    size_t n = 0;
    if (st == 0) {
        for (size_t i = 0; i < res->n && n < max; i++) {
            out[n].a = res->addrs[i];
            out[n++].scope = 0;
        }
        if (canon && !canon[0])
            snprintf(canon, canon_cap, "%s", res->canon);
    }
    free(res);
    return st ? st : (int)n;
}

/* Addresses of a name for family (with AI_V4MAPPED/AI_ALL when AF_INET6).
 * Returns the count or a negative EAI code. */
static int lookup_name(const char *name, int family, int flags, uint64_t deadline, struct addrtuple *at,
                       size_t max, char *canon, size_t canon_cap)
{
    struct ipaddr tmp[GAI_MAX_ADDRS];
    size_t n = 0;
    canon[0] = '\0';
    /* The hosts file first ("hosts: files dns"). */
    size_t h = hosts_lookup(name, family, tmp, max, canon, canon_cap);
    if (h == 0 && family == TP_AF_INET6 && (flags & TAPIR_AI_V4MAPPED))
        h = hosts_lookup(name, TP_AF_INET, tmp, max, canon, canon_cap);
    if (h > 0) {
        for (size_t i = 0; i < h; i++) {
            at[n].a = tmp[i];
            at[n].scope = 0;
            if (family == TP_AF_INET6 && tmp[i].family == TP_AF_INET) {
                uint8_t m[16] = {[10] = 0xff, [11] = 0xff};
                m[12] = (uint8_t)(tmp[i].v4 >> 24);
                m[13] = (uint8_t)(tmp[i].v4 >> 16);
                m[14] = (uint8_t)(tmp[i].v4 >> 8);
                m[15] = (uint8_t)tmp[i].v4;
                at[n].a = ip6(m);
            }
            n++;
        }
        return (int)n;
    }
    if (!hostname_ok(name))
        return TAPIR_EAI_NONAME;
    /* DNS: AAAA then A for AF_UNSPEC (glibc asks both at once; ordering is
     * decided afterwards anyway). */
    int st6 = 1, st4 = 1;
    if (family == TP_AF_UNSPEC || family == TP_AF_INET6) {
        st6 = dns_lookup(name, DNS_T_AAAA, deadline, at + n, max - n, canon, canon_cap);
        if (st6 > 0)
            n += (size_t)st6;
    }
    bool want4 = family == TP_AF_UNSPEC || family == TP_AF_INET ||
                 (family == TP_AF_INET6 && (flags & TAPIR_AI_V4MAPPED) &&
                  (n == 0 || (flags & TAPIR_AI_ALL)));
    if (want4) {
        size_t before = n;
        st4 = dns_lookup(name, DNS_T_A, deadline, at + n, max - n, canon, canon_cap);
        if (st4 > 0)
            n += (size_t)st4;
        if (family == TP_AF_INET6) {
            for (size_t i = before; i < n; i++) {
                uint32_t v = at[i].a.v4;
                uint8_t m[16] = {[10] = 0xff, [11] = 0xff};
                m[12] = (uint8_t)(v >> 24);
                m[13] = (uint8_t)(v >> 16);
                m[14] = (uint8_t)(v >> 8);
                m[15] = (uint8_t)v;
                at[i].a = ip6(m);
            }
        }
    }
    if (n > 0)
        return (int)n;
    /* Nothing: the most telling failure wins (glibc: TRY_AGAIN, then NO_DATA). */
    int sts[2] = {st6, st4};
    int worst = TAPIR_EAI_NONAME;
    bool nodata = false;
    for (int i = 0; i < 2; i++) {
        if (sts[i] == TAPIR_EAI_AGAIN || sts[i] == TAPIR_EAI_FAIL || sts[i] == TAPIR_EAI_MEMORY)
            worst = sts[i];
        nodata |= sts[i] == TAPIR_EAI_NODATA || sts[i] == 0;
    }
    if (worst != TAPIR_EAI_NONAME)
        return worst;
    return nodata ? TAPIR_EAI_NODATA : TAPIR_EAI_NONAME;
}

/* RFC 6724 destination ordering, reduced to the rules that matter for a
 * stub: 1 (avoid destinations we have no source for) and 6 (precedence);
 * stable otherwise. */
static void sort_destinations(struct addrtuple *at, size_t n)
{
    bool v4, v6;
    stack_families(&v4, &v6);
    if (!v4 && !v6)
        return;
    int key[GAI_MAX_ADDRS];
    for (size_t i = 0; i < n; i++) {
        const struct ipaddr *a = &at[i].a;
        static const uint8_t lo6[16] = {[15] = 1};
        bool usable = a->family == TP_AF_INET ? v4 || (a->v4 >> 24) == 127
                                               : v6 || memcmp(a->v6, lo6, 16) == 0;
        key[i] = (usable ? 100 : 0) + precedence(a);
    }
    for (size_t i = 1; i < n; i++) { /* insertion sort: stable, n is small */
        struct addrtuple t = at[i];
        int k = key[i];
        size_t j = i;
        for (; j > 0 && key[j - 1] < k; j--) {
            at[j] = at[j - 1];
            key[j] = key[j - 1];
        }
        at[j] = t;
        key[j] = k;
    }
}

static int gai(const char *host, const char *port, int family, int type, int proto, int flags,
               double timeout, tapir_addrinfo **res)
{
    static const int known = TAPIR_AI_PASSIVE | TAPIR_AI_CANONNAME | TAPIR_AI_NUMERICHOST |
                             TAPIR_AI_V4MAPPED | TAPIR_AI_ALL | TAPIR_AI_ADDRCONFIG |
                             TAPIR_AI_NUMERICSERV | 0x40 | 0x80 | 0x100 | 0x200; /* AI_IDN & co */
    *res = NULL;
    if (host && idna_check(host) < 0)
        return -1;
    if (host && host[0] == '*' && host[1] == '\0') /* glibc: "*" is no host */
        host = NULL;
    if (flags & ~known)
        return tapir_set_gaierror(TAPIR_EAI_BADFLAGS);
    if ((flags & TAPIR_AI_CANONNAME) && !host)
        return tapir_set_gaierror(TAPIR_EAI_BADFLAGS);
    if (!host && !port)
        return tapir_set_gaierror(TAPIR_EAI_NONAME);
    if (flags & TAPIR_AI_ADDRCONFIG) {
        bool v4, v6;
        stack_families(&v4, &v6);
        if (family == TAPIR_AF_UNSPEC && (v4 || v6)) {
            if (v4 != v6)
                family = v4 ? TAPIR_AF_INET : TAPIR_AF_INET6;
        } else if ((family == TAPIR_AF_INET && !v4) || (family == TAPIR_AF_INET6 && !v6)) {
            return tapir_set_gaierror(TAPIR_EAI_NONAME);
        }
    }
    /* The service: a number (strtoul, as glibc: " 80" is 80, "65536" is 0)
     * or a name. */
    bool have_service = port && port[0];
    long num = -1;
    if (have_service) {
        char *end;
        unsigned long v = strtoul(port, &end, 10);
        if (*end != '\0') {
            if (flags & TAPIR_AI_NUMERICSERV)
                return tapir_set_gaierror(TAPIR_EAI_NONAME);
            num = -1;
        } else {
            num = (int32_t)(uint32_t)v;
        }
    }
    if (family != TAPIR_AF_UNSPEC && family != TAPIR_AF_INET && family != TAPIR_AF_INET6)
        return tapir_set_gaierror(TAPIR_EAI_FAMILY);
    /* Socket type and protocol (glibc's gaih_inet). */
    const struct typeproto *tp = NULL;
    if (proto || type) {
        for (size_t i = 0; i < N_TYPEPROTOS; i++) {
            const struct typeproto *t = &typeprotos[i];
            if ((type != 0 && type != t->socktype) ||
                (proto != 0 && !t->protoany && proto != t->protocol))
                continue;
            tp = t;
            break;
        }
        if (!tp)
            return tapir_set_gaierror(type ? TAPIR_EAI_SOCKTYPE : TAPIR_EAI_SERVICE);
    }
    struct servtuple st[N_TYPEPROTOS];
    size_t n_st = 0;
    if (have_service && tp && tp->noservice)
        return tapir_set_gaierror(TAPIR_EAI_SERVICE);
    if (have_service && num < 0) {
        uint16_t p;
        if (tp) {
            if (services_by_name(port, tp->name, &p) < 0)
                return tapir_set_gaierror(TAPIR_EAI_SERVICE);
            st[n_st++] = (struct servtuple){tp->socktype, tp->protoany ? proto : tp->protocol, p};
        } else {
            for (size_t i = 0; i < N_TYPEPROTOS; i++) {
                const struct typeproto *t = &typeprotos[i];
                if (t->noservice || (type && type != t->socktype) ||
                    (proto && !t->protoany && proto != t->protocol))
                    continue;
                if (services_by_name(port, t->name, &p) == 0)
                    st[n_st++] = (struct servtuple){t->socktype, t->protocol, p};
            }
            if (n_st == 0)
                return tapir_set_gaierror(TAPIR_EAI_SERVICE);
        }
    } else {
        int p = have_service ? (uint16_t)num : 0;
        if (tp) {
            st[n_st++] = (struct servtuple){tp->socktype, tp->protoany ? proto : tp->protocol, p};
        } else {
            for (size_t i = 0; i < N_TYPEPROTOS; i++)
                if (typeprotos[i].dflt)
                    st[n_st++] = (struct servtuple){typeprotos[i].socktype, typeprotos[i].protocol, p};
        }
    }

    /* The host. */
    struct addrtuple *at = calloc(GAI_MAX_ADDRS, sizeof *at);
    char *canon = calloc(1, DNS_TEXT_MAX);
    if (!at || !canon) {
        free(at);
        free(canon);
        return tapir_set_gaierror(TAPIR_EAI_MEMORY);
    }
    size_t n_at = 0;
    int err = 0;
    bool numeric = false;
    if (host) {
        uint32_t v4;
        struct ipaddr a6;
        uint32_t scope;
        int r6;
        if (aton_exact(host, &v4) == 0) {
            numeric = true;
            if (family == TAPIR_AF_UNSPEC || family == TAPIR_AF_INET) {
                at[n_at++].a = ip4(v4);
            } else if (flags & TAPIR_AI_V4MAPPED) {
                uint8_t m[16] = {[10] = 0xff, [11] = 0xff};
                m[12] = (uint8_t)(v4 >> 24);
                m[13] = (uint8_t)(v4 >> 16);
                m[14] = (uint8_t)(v4 >> 8);
                m[15] = (uint8_t)v4;
                at[n_at++].a = ip6(m);
            } else {
                err = TAPIR_EAI_ADDRFAMILY;
            }
        } else if ((r6 = parse_numeric6(host, &a6, &scope)) != 0) {
            numeric = true;
            static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};
            if (r6 < 0) {
                err = r6;
            } else if (family == TAPIR_AF_UNSPEC || family == TAPIR_AF_INET6) {
                at[n_at].a = a6;
                at[n_at++].scope = scope;
            } else if (memcmp(a6.v6, mapped, 12) == 0) {
                at[n_at++].a = ip4(dns_rd32(a6.v6 + 12));
            } else {
                err = TAPIR_EAI_ADDRFAMILY;
            }
        }
        if (numeric) {
            if (flags & TAPIR_AI_CANONNAME)
                snprintf(canon, DNS_TEXT_MAX, "%s", host);
        } else if (flags & TAPIR_AI_NUMERICHOST) {
            err = TAPIR_EAI_NONAME;
        } else {
            int n = lookup_name(host, family, flags, deadline_from(timeout), at, GAI_MAX_ADDRS, canon,
                                DNS_TEXT_MAX);
            if (n < 0)
                err = n;
            else
                n_at = (size_t)n;
            if (n > 1)
                sort_destinations(at, n_at);
            if (!canon[0])
                snprintf(canon, DNS_TEXT_MAX, "%s", host);
        }
    } else {
        /* No host: the loopback addresses, or the wildcards with AI_PASSIVE,
         * in glibc's order. */
        static const uint8_t lo6[16] = {[15] = 1}, any6[16] = {0};
        bool passive = flags & TAPIR_AI_PASSIVE;
        if (passive && family == TAPIR_AF_UNSPEC) {
            at[n_at++].a = ip4(0);
            at[n_at++].a = ip6(any6);
        } else {
            if (family == TAPIR_AF_UNSPEC || family == TAPIR_AF_INET6)
                at[n_at++].a = ip6(passive ? any6 : lo6);
            if (family == TAPIR_AF_UNSPEC || family == TAPIR_AF_INET)
                at[n_at++].a = ip4(passive ? 0 : IP4(127, 0, 0, 1));
        }
    }
    if (err) {
        free(at);
        free(canon);
        return tapir_set_gaierror(err);
    }
    /* Results: each address with each service tuple. */
    bool got6 = false;
    for (size_t i = 0; i < n_at; i++) {
        static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};
        got6 |= at[i].a.family == TP_AF_INET6 && memcmp(at[i].a.v6, mapped, 12) != 0;
    }
    tapir_addrinfo *out = calloc(n_at * n_st + 1, sizeof *out);
    if (!out) {
        free(at);
        free(canon);
        return tapir_set_gaierror(TAPIR_EAI_MEMORY);
    }
    size_t n = 0;
    for (size_t i = 0; i < n_at; i++) {
        static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};
        const struct ipaddr *a = &at[i].a;
        if (!numeric && got6 && (flags & (TAPIR_AI_V4MAPPED | TAPIR_AI_ALL)) == TAPIR_AI_V4MAPPED &&
            a->family == TP_AF_INET6 && memcmp(a->v6, mapped, 12) == 0)
            continue;
        char text[IPADDR_STRLEN];
        ipaddr_str(a, text);
        for (size_t k = 0; k < n_st; k++) {
            tapir_addrinfo *ai = &out[n];
            ai->family = a->family == TP_AF_INET ? TAPIR_AF_INET : TAPIR_AF_INET6;
            ai->type = st[k].socktype;
            ai->proto = st[k].protocol;
            if (n == 0 && (flags & TAPIR_AI_CANONNAME))
                snprintf(ai->canonname, sizeof ai->canonname, "%s", canon);
            if (a->family == TP_AF_INET)
                tapir_addr_set(&ai->addr, text, st[k].port);
            else
                tapir_addr_set6(&ai->addr, text, st[k].port, 0, at[i].scope);
            n++;
        }
    }
    free(at);
    free(canon);
    *res = out;
    return (int)n;
}

int tapir_getaddrinfo_timeout(const char *host, const char *port, int family, int type, int proto,
                              int flags, double timeout, tapir_addrinfo **res)
{
    tapir_addrinfo *dummy;
    return gai(host, port, family, type, proto, flags, timeout, res ? res : &dummy);
}

int tapir_getaddrinfo(const char *host, const char *port, int family, int type, int proto, int flags,
                      tapir_addrinfo **res)
{
    return tapir_getaddrinfo_timeout(host, port, family, type, proto, flags, tapir_getdefaulttimeout(),
                                     res);
}

void tapir_freeaddrinfo(tapir_addrinfo *res)
{
    free(res);
}

/* The hook api/socket.c calls for a host name in an address tuple (Python's
 * setipaddr: getaddrinfo(name, None, family) and the addresses in order). */
static _Thread_local bool call_timeout_set;
static _Thread_local double call_timeout;

void resolver_set_call_timeout(bool set, double timeout)
{
    call_timeout_set = set;
    call_timeout = timeout;
}

int tapir_resolver_hook(const char *name, int family, struct ipaddr *out, int max)
{
    tapir_addrinfo *ai = NULL;
    double timeout = call_timeout_set ? call_timeout : tapir_getdefaulttimeout();
    int n = gai(name, NULL, family, 0, 0, 0, timeout, &ai);
    if (n < 0) {
        const tapir_error *e = tapir_last_error();
        return e->kind == TAPIR_ERR_GAIERROR ? e->code : TAPIR_EAI_NONAME;
    }
    int k = 0;
    for (int i = 0; i < n && k < max; i++) {
        struct ipaddr a;
        if (ipaddr_parse(ai[i].addr.host, &a) < 0)
            continue;
        bool dup = false;
        for (int j = 0; j < k; j++)
            dup |= ipaddr_eq(&out[j], &a);
        if (!dup)
            out[k++] = a;
    }
    tapir_freeaddrinfo(ai);
    return k;
}

/* ---- reverse lookups ---- */

/* Name of an address: hosts file, then PTR.  0, or an EAI code. */
static int reverse_lookup(const struct ipaddr *a, uint64_t deadline, char *name, size_t cap,
                          char ***aliases, int *n_aliases)
{
    pthread_mutex_lock(&g_lock);
    hosts_refresh();
    const struct hosts_line *l = hosts_by_addr(&g_hosts, a);
    if (l) {
        snprintf(name, cap, "%s", l->names[0]);
        if (aliases) {
            *aliases = calloc((size_t)l->n_names + 1, sizeof **aliases);
            for (int i = 1; *aliases && i < l->n_names; i++)
                (*aliases)[(*n_aliases)++] = strdup(l->names[i]);
        }
    }
    pthread_mutex_unlock(&g_lock);
    if (l)
        return 0;
    char rev[DNS_TEXT_MAX];
    uint8_t bytes[16];
    if (a->family == TP_AF_INET) {
        bytes[0] = (uint8_t)(a->v4 >> 24);
        bytes[1] = (uint8_t)(a->v4 >> 16);
        bytes[2] = (uint8_t)(a->v4 >> 8);
        bytes[3] = (uint8_t)a->v4;
    } else {
        memcpy(bytes, a->v6, 16);
    }
    if (dns_reverse_name(a->family, bytes, rev, sizeof rev) < 0)
        return TAPIR_EAI_FAIL;
    struct dns_result *res = malloc(sizeof *res);
    if (!res)
        return TAPIR_EAI_MEMORY;
    dns_resolve(resolver_global(), rev, DNS_T_PTR, deadline, res);
    int st = res->status;
    if (st == 0)
        snprintf(name, cap, "%s", res->names[0]);
    if (st == 0 && aliases) {
        *aliases = calloc((size_t)res->n + 1, sizeof **aliases);
        for (size_t i = 1; *aliases && i < res->n; i++)
            (*aliases)[(*n_aliases)++] = strdup(res->names[i]);
    }
    free(res);
    return st;
}

/* ---- getnameinfo ---- */

static const char *local_domain(char *buf, size_t n)
{
    char host[256];
    tapir_gethostname(host, sizeof host);
    const char *dot = strchr(host, '.');
    if (!dot)
        return NULL;
    snprintf(buf, n, "%s", dot + 1);
    return buf;
}

int tapir_getnameinfo(const tapir_addr *sa, int flags, char *host, size_t hostlen, char *serv,
                      size_t servlen)
{
    if (!sa)
        return tapir_set_error(TAPIR_ERR_TYPE, EINVAL, "getnameinfo() argument 1 must be a tuple");
    if (sa->flowinfo > 0xfffff)
        return tapir_set_error(TAPIR_ERR_OVERFLOW, ERANGE, "getnameinfo(): flowinfo must be 0-1048575.");
    char pbuf[32];
    snprintf(pbuf, sizeof pbuf, "%d", sa->port);
    tapir_addrinfo *ai = NULL;
    int n = gai(sa->host, pbuf, TAPIR_AF_UNSPEC, TAPIR_SOCK_DGRAM, 0, TAPIR_AI_NUMERICHOST, -1, &ai);
    if (n < 0)
        return -1;
    if (n > 1) {
        tapir_freeaddrinfo(ai);
        return tapir_set_error(TAPIR_ERR_ERROR, 0, "sockaddr resolved to multiple addresses");
    }
    struct ipaddr a;
    int port = ai[0].addr.port;
    int fam = ai[0].family;
    ipaddr_parse(ai[0].addr.host, &a);
    tapir_freeaddrinfo(ai);
    uint32_t scope = sa->scope_id;
    if (fam == TAPIR_AF_INET && sa->family == TAPIR_AF_INET6)
        return tapir_set_error(TAPIR_ERR_ERROR, 0, "IPv4 sockaddr must be 2 tuple");
    if (fam == TAPIR_AF_INET)
        scope = 0;
    /* glibc's checks. */
    if (flags & ~(TAPIR_NI_NUMERICHOST | TAPIR_NI_NUMERICSERV | TAPIR_NI_NOFQDN | TAPIR_NI_NAMEREQD |
                  TAPIR_NI_DGRAM | 32 | 64 | 128))
        return tapir_set_gaierror(TAPIR_EAI_BADFLAGS);
    char hbuf[TAPIR_NI_MAXHOST];
    bool named = false;
    if (!(flags & TAPIR_NI_NUMERICHOST)) {
        int st = reverse_lookup(&a, deadline_from(tapir_getdefaulttimeout()), hbuf, sizeof hbuf, NULL,
                                NULL);
        if (st == 0) {
            named = true;
            char dom[256];
            if ((flags & TAPIR_NI_NOFQDN) && local_domain(dom, sizeof dom)) {
                size_t hl = strlen(hbuf), dl = strlen(dom);
                if (hl > dl + 1 && hbuf[hl - dl - 1] == '.' && strcasecmp(hbuf + hl - dl, dom) == 0)
                    hbuf[hl - dl - 1] = '\0';
            }
        } else if (st == TAPIR_EAI_AGAIN) {
            return tapir_set_gaierror(TAPIR_EAI_AGAIN);
        }
    }
    if (!named) {
        if (flags & TAPIR_NI_NAMEREQD)
            return tapir_set_gaierror(TAPIR_EAI_NONAME);
        ipaddr_str(&a, hbuf);
        if (a.family == TP_AF_INET6 && scope != 0) {
            char ifn[32];
            size_t l = strlen(hbuf);
            if (is_linklocal6(a.v6) && scope_name(scope, ifn, sizeof ifn))
                snprintf(hbuf + l, sizeof hbuf - l, "%%%s", ifn);
            else
                snprintf(hbuf + l, sizeof hbuf - l, "%%%u", scope);
        }
    }
    char sbuf[TAPIR_NI_MAXSERV];
    if ((flags & TAPIR_NI_NUMERICSERV) ||
        services_by_port((uint16_t)port, (flags & TAPIR_NI_DGRAM) ? "udp" : "tcp", sbuf, sizeof sbuf) < 0)
        snprintf(sbuf, sizeof sbuf, "%d", port);
    if (strlen(hbuf) >= hostlen || strlen(sbuf) >= servlen)
        return tapir_set_gaierror(TAPIR_EAI_OVERFLOW);
    if (host)
        strcpy(host, hbuf);
    if (serv)
        strcpy(serv, sbuf);
    return 0;
}

/* ---- gethostby* ---- */

static int herrno_of(int eai)
{
    switch (eai) {
    case TAPIR_EAI_AGAIN: return 2;  /* TRY_AGAIN */
    case TAPIR_EAI_FAIL: return 3;   /* NO_RECOVERY */
    case TAPIR_EAI_NODATA: return 4; /* NO_DATA */
    default: return 1;               /* HOST_NOT_FOUND */
    }
}

/* Python's setipaddr(): the one address a name stands for. */
static int setipaddr(const char *name, int family, struct ipaddr *out)
{
    if (name[0] == '\0') {
        /* CPython asks getaddrinfo(NULL, "0", AI_PASSIVE) for this family
         * and wants one answer: AF_UNSPEC gives two (0.0.0.0 and ::). */
        if (family == TAPIR_AF_UNSPEC)
            return tapir_set_error(TAPIR_ERR_ERROR, 0, "wildcard resolved to multiple address");
        static const uint8_t any6[16];
        *out = family == TAPIR_AF_INET6 ? ip6(any6) : ip4(0);
        return 0;
    }
    if (strcmp(name, "<broadcast>") == 0 || strcmp(name, "255.255.255.255") == 0) {
        if (family != TAPIR_AF_INET && family != TAPIR_AF_UNSPEC)
            return tapir_set_error(TAPIR_ERR_ERROR, 0, "address family mismatched");
        *out = ip4(0xffffffffu);
        return 0;
    }
    tapir_addrinfo *ai = NULL;
    int n = gai(name, NULL, family, 0, 0, 0, tapir_getdefaulttimeout(), &ai);
    if (n < 0)
        return -1;
    ipaddr_parse(ai[0].addr.host, out);
    tapir_freeaddrinfo(ai);
    return 0;
}

int tapir_gethostbyname(const char *name, char *out, size_t n)
{
    struct ipaddr a;
    if (!name)
        return tapir_set_error(TAPIR_ERR_TYPE, EINVAL, "gethostbyname() argument 1 must be str, not None");
    if (setipaddr(name, TAPIR_AF_INET, &a) < 0)
        return -1;
    char text[IPADDR_STRLEN];
    ipaddr_str(&a, text);
    snprintf(out, n, "%s", text);
    return 0;
}

static tapir_hostent *hostent_new(const char *name, char **aliases, int n_aliases)
{
    tapir_hostent *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->name = strdup(name);
    h->aliases = aliases ? aliases : calloc(1, sizeof *h->aliases);
    h->n_aliases = n_aliases;
    h->addrs = calloc(GAI_MAX_ADDRS + 1, sizeof *h->addrs);
    if (!h->name || !h->aliases || !h->addrs) {
        tapir_freehostent(h);
        return NULL;
    }
    return h;
}

static void hostent_add(tapir_hostent *h, const struct ipaddr *a)
{
    char text[IPADDR_STRLEN];
    ipaddr_str(a, text);
    for (int i = 0; i < h->n_addrs; i++)
        if (strcmp(h->addrs[i], text) == 0)
            return;
    if (h->n_addrs < GAI_MAX_ADDRS && (h->addrs[h->n_addrs] = strdup(text)))
        h->n_addrs++;
}

void tapir_freehostent(tapir_hostent *h)
{
    if (!h)
        return;
    free(h->name);
    for (int i = 0; h->aliases && h->aliases[i]; i++)
        free(h->aliases[i]);
    free(h->aliases);
    for (int i = 0; h->addrs && h->addrs[i]; i++)
        free(h->addrs[i]);
    free(h->addrs);
    free(h);
}

tapir_hostent *tapir_gethostbyname_ex(const char *name)
{
    struct ipaddr a;
    if (!name) {
        tapir_set_error(TAPIR_ERR_TYPE, EINVAL, "gethostbyname_ex() argument 1 must be str, not None");
        return NULL;
    }
    if (setipaddr(name, TAPIR_AF_INET, &a) < 0)
        return NULL;
    /* gethostbyname_r(name) (glibc's digits-and-dots rule): a name made of
     * digits and dots only is an address or nothing; anything else is
     * looked up, and one that is not a valid host name is NO_RECOVERY. */
    uint32_t v4;
    if (name[0] >= '0' && name[0] <= '9' && strspn(name, "0123456789.") == strlen(name)) {
        if (aton_exact(name, &v4) < 0) {
            tapir_set_herror(1);
            return NULL;
        }
        tapir_hostent *h = hostent_new(name, NULL, 0);
        if (h)
            hostent_add(h, &a);
        return h;
    }
    struct ipaddr addrs[RESOLV_MAX_ADDRS];
    char canon[DNS_TEXT_MAX / 4] = "";
    size_t n = hosts_lookup(name, TP_AF_INET, addrs, RESOLV_MAX_ADDRS, canon, sizeof canon);
    if (n > 0) {
        /* hosts: the canonical name, and the line's other names as aliases. */
        char **aliases = calloc(HOSTS_MAX_NAMES + 1, sizeof *aliases);
        int na = 0;
        pthread_mutex_lock(&g_lock);
        for (size_t i = 0; aliases && i < g_hosts.n; i++) {
            const struct hosts_line *l = &g_hosts.lines[i];
            if (l->addr.family != TP_AF_INET || strcmp(l->names[0], canon) != 0)
                continue;
            for (int k = 1; k < l->n_names && na < HOSTS_MAX_NAMES; k++)
                aliases[na++] = strdup(l->names[k]);
            break;
        }
        pthread_mutex_unlock(&g_lock);
        tapir_hostent *h = hostent_new(canon, aliases, na);
        for (size_t i = 0; h && i < n; i++)
            hostent_add(h, &addrs[i]);
        return h;
    }
    if (!hostname_ok(name)) {
        tapir_set_herror(3); /* NO_RECOVERY, as glibc says for "" or "<broadcast>" */
        return NULL;
    }
    struct dns_result *res = malloc(sizeof *res);
    if (!res) {
        tapir_set_error(TAPIR_ERR_ERROR, ENOMEM, "[Errno 12] Cannot allocate memory");
        return NULL;
    }
    dns_resolve_search(resolver_global(), name, DNS_T_A, deadline_from(tapir_getdefaulttimeout()), res);
    if (res->status != 0) {
        tapir_set_herror(herrno_of(res->status));
        free(res);
        return NULL;
    }
    char **aliases = calloc(RESOLV_MAX_CHAIN + 1, sizeof *aliases);
    int na = 0;
    for (int i = 0; aliases && i < res->n_aliases; i++)
        aliases[na++] = strdup(res->aliases[i]);
    tapir_hostent *h = hostent_new(res->canon, aliases, na);
    for (size_t i = 0; h && i < res->n; i++)
        hostent_add(h, &res->addrs[i]);
    free(res);
    return h;
}

tapir_hostent *tapir_gethostbyaddr(const char *ip)
{
    struct ipaddr a;
    if (!ip) {
        tapir_set_error(TAPIR_ERR_TYPE, EINVAL, "gethostbyaddr() argument 1 must be str, not None");
        return NULL;
    }
    if (setipaddr(ip, TAPIR_AF_UNSPEC, &a) < 0)
        return NULL;
    char name[DNS_TEXT_MAX];
    char **aliases = NULL;
    int na = 0;
    int st = reverse_lookup(&a, deadline_from(tapir_getdefaulttimeout()), name, sizeof name, &aliases, &na);
    if (st != 0) {
        free(aliases);
        tapir_set_herror(herrno_of(st));
        return NULL;
    }
    tapir_hostent *h = hostent_new(name, aliases, na);
    if (h)
        hostent_add(h, &a);
    return h;
}

/* ---- host name, fqdn ---- */

int tapir_gethostname(char *out, size_t n)
{
    pthread_mutex_lock(&g_lock);
    tapir_runner *r = tapir_runner_default();
    struct utsname u;
    if (g_hostname[0])
        snprintf(out, n, "%s", g_hostname);
    else if (r)
        snprintf(out, n, "%s", tapir_runner_hostname(r));
    else
        snprintf(out, n, "%s", uname(&u) == 0 ? u.nodename : "localhost");
    pthread_mutex_unlock(&g_lock);
    return 0;
}

int tapir_sethostname(const char *name)
{
    if (!name || strlen(name) >= sizeof g_hostname)
        return tapir_set_errno(EINVAL);
    pthread_mutex_lock(&g_lock);
    snprintf(g_hostname, sizeof g_hostname, "%s", name);
    pthread_mutex_unlock(&g_lock);
    return 0;
}

int tapir_getfqdn(const char *name, char *out, size_t n)
{
    char buf[256];
    if (!name || !*name || strcmp(name, "0.0.0.0") == 0) {
        tapir_gethostname(buf, sizeof buf);
        name = buf;
    }
    snprintf(out, n, "%s", name);
    tapir_error saved = *tapir_last_error();
    tapir_hostent *h = tapir_gethostbyaddr(name);
    if (!h) { /* Python: except error: pass */
        tapir_set_error(saved.kind, saved.code, "%s", saved.message);
        return 0;
    }
    /* The first of hostname and aliases with a dot in it, else hostname. */
    const char *pick = h->name;
    if (!strchr(h->name, '.')) {
        for (int i = 0; i < h->n_aliases; i++)
            if (strchr(h->aliases[i], '.')) {
                pick = h->aliases[i];
                break;
            }
    }
    snprintf(out, n, "%s", pick);
    tapir_freehostent(h);
    return 0;
}

/* ---- services and protocols ---- */

int tapir_getservbyname(const char *name, const char *proto)
{
    uint16_t port;
    if (!name || services_by_name(name, proto, &port) < 0)
        return tapir_set_error(TAPIR_ERR_ERROR, 0, "service/proto not found");
    return port;
}

int tapir_getservbyport(int port, const char *proto, char *out, size_t n)
{
    if (port < 0 || port > 65535)
        return tapir_set_error(TAPIR_ERR_OVERFLOW, ERANGE, "getservbyport: port must be 0-65535.");
    if (services_by_port((uint16_t)port, proto, out, n) < 0)
        return tapir_set_error(TAPIR_ERR_ERROR, 0, "port/proto not found");
    return 0;
}

int tapir_getprotobyname(const char *name)
{
    int num;
    if (!name || protocols_by_name(name, &num) < 0)
        return tapir_set_error(TAPIR_ERR_ERROR, 0, "protocol not found");
    return num;
}

/* ---- configuration ---- */

int tapir_resolver_configure(const char *text)
{
    struct dns_resolver *r = resolver_global();
    if (!text)
        return tapir_set_error(TAPIR_ERR_VALUE, EINVAL, "resolver configuration text is NULL");
    pthread_mutex_lock(&r->lock);
    resolv_conf_parse(&r->conf, text);
    pthread_mutex_unlock(&r->lock);
    dns_resolver_flush(r);
    return 0;
}

int tapir_resolver_load_conf(const char *path)
{
    struct dns_resolver *r = resolver_global();
    pthread_mutex_lock(&r->lock);
    int rc = resolv_conf_load(&r->conf, path);
    pthread_mutex_unlock(&r->lock);
    if (rc < 0)
        return tapir_set_errno(errno ? errno : ENOENT);
    dns_resolver_flush(r);
    return 0;
}

int tapir_resolver_set_servers(const char *list)
{
    struct dns_resolver *r = resolver_global();
    pthread_mutex_lock(&r->lock);
    int rc = list ? resolv_conf_set_servers(&r->conf, list) : -1;
    pthread_mutex_unlock(&r->lock);
    if (rc < 0)
        return tapir_set_error(TAPIR_ERR_VALUE, EINVAL, "bad name server list: %s", list ? list : "(null)");
    dns_resolver_flush(r);
    return 0;
}

int tapir_resolver_set_hosts_file(const char *path)
{
    resolver_global();
    pthread_mutex_lock(&g_lock);
    snprintf(g_hosts_path, sizeof g_hosts_path, "%s", path ? path : "/etc/hosts");
    g_hosts_valid = false;
    hosts_free(&g_hosts);
    pthread_mutex_unlock(&g_lock);
    return 0;
}

void tapir_resolver_flush_cache(void)
{
    dns_resolver_flush(resolver_global());
}

int tapir_resolver_config_key(const char *key, const char *value)
{
    if (strcmp(key, "hostname") == 0) {
        tapir_sethostname(value);
        return 0;
    }
    if (strcmp(key, "hosts") == 0)
        return tapir_resolver_set_hosts_file(value) == 0 ? 1 : -1;
    struct dns_resolver *r = resolver_global();
    pthread_mutex_lock(&r->lock);
    int rc = resolv_conf_key(&r->conf, key, value);
    pthread_mutex_unlock(&r->lock);
    if (rc < 0)
        return tapir_set_error(TAPIR_ERR_VALUE, EINVAL, "bad value for %s: %s", key, value);
    if (rc > 0)
        dns_resolver_flush(r);
    return rc;
}

void tapir_resolver_set_trace(void (*fn)(void *ctx, const char *line), void *ctx)
{
    struct dns_resolver *r = resolver_global();
    pthread_mutex_lock(&r->lock);
    r->trace = fn;
    r->trace_ctx = ctx;
    pthread_mutex_unlock(&r->lock);
}

void tapir_resolver_get_stats(tapir_resolver_stats *out)
{
    struct dns_resolver *r = resolver_global();
    pthread_mutex_lock(&r->lock);
    const struct dns_stats *s = &r->stats;
    *out = (tapir_resolver_stats){s->queries, s->udp_sent, s->tcp_sent, s->timeouts, s->tc_retries,
                                  s->rx_bad, s->rx_mismatch, s->server_errors, s->cache_hits,
                                  s->cache_neg_hits, s->cache_evictions};
    pthread_mutex_unlock(&r->lock);
}
