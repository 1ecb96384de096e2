/* Parsing the runner's configuration string: space-separated key=value. */
#include "api/runner_config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack/addr.h"
#include "stack/stack.h"
#include "stack/sysctl.h"

static int fail(char *err, size_t n, const char *fmt, const char *a, const char *b)
{
    snprintf(err, n, fmt, a, b);
    return -1;
}

static int copy_str(char *dst, size_t cap, const char *v, const char *key, char *err, size_t n)
{
    if (!*v || strlen(v) >= cap)
        return fail(err, n, "bad value for %s: '%s'", key, v);
    strcpy(dst, v);
    return 0;
}

static int parse_u64(const char *v, uint64_t *out)
{
    if (!*v || *v == '-')
        return -1;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 0);
    if (errno || *end)
        return -1;
    *out = x;
    return 0;
}

static int parse_bool(const char *v, bool *out)
{
    if (!strcmp(v, "1") || !strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "true"))
        *out = true;
    else if (!strcmp(v, "0") || !strcmp(v, "no") || !strcmp(v, "off") || !strcmp(v, "false"))
        *out = false;
    else
        return -1;
    return 0;
}

static int parse_prob(const char *v, double *out)
{
    if (!*v)
        return -1;
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || *end || !(x >= 0 && x <= 1)) /* also refuses NaN */
        return -1;
    *out = x;
    return 0;
}

/* Fault keys: a name and the fields it sets (both directions or one). */
static int fault_key(struct runner_config *c, const char *key, const char *v, char *err, size_t n)
{
    static const struct {
        const char *key;
        size_t tx, rx; /* offsets of the fields set */
    } keys[] = {
        {"drop", offsetof(struct runner_config, drop_tx), offsetof(struct runner_config, drop_rx)},
        {"drop_tx", offsetof(struct runner_config, drop_tx), offsetof(struct runner_config, drop_tx)},
        {"drop_rx", offsetof(struct runner_config, drop_rx), offsetof(struct runner_config, drop_rx)},
        {"corrupt", offsetof(struct runner_config, corrupt_tx), offsetof(struct runner_config, corrupt_rx)},
        {"corrupt_tx", offsetof(struct runner_config, corrupt_tx), offsetof(struct runner_config, corrupt_tx)},
        {"corrupt_rx", offsetof(struct runner_config, corrupt_rx), offsetof(struct runner_config, corrupt_rx)},
        {"dup", offsetof(struct runner_config, dup_tx), offsetof(struct runner_config, dup_rx)},
        {"dup_tx", offsetof(struct runner_config, dup_tx), offsetof(struct runner_config, dup_tx)},
        {"dup_rx", offsetof(struct runner_config, dup_rx), offsetof(struct runner_config, dup_rx)},
        {"ce", offsetof(struct runner_config, ce_tx), offsetof(struct runner_config, ce_rx)},
        {"ce_tx", offsetof(struct runner_config, ce_tx), offsetof(struct runner_config, ce_tx)},
        {"ce_rx", offsetof(struct runner_config, ce_rx), offsetof(struct runner_config, ce_rx)},
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (strcmp(key, keys[i].key))
            continue;
        double p;
        if (parse_prob(v, &p) < 0)
            return fail(err, n, "bad probability for %s: '%s' (0..1)", key, v);
        *(double *)(void *)((char *)c + keys[i].tx) = p;
        *(double *)(void *)((char *)c + keys[i].rx) = p;
        c->fault = true;
        return 0;
    }
    return 1; /* not a fault key */
}

static int one(struct runner_config *c, const char *key, const char *v, char *err, size_t n)
{
    int fk = fault_key(c, key, v, err, n);
    if (fk <= 0)
        return fk;
    uint64_t x;
    struct ipaddr a;
    if (!strcmp(key, "tap"))
        return copy_str(c->tap, 16, v, key, err, n); /* IFNAMSIZ */
    if (!strcmp(key, "pcap"))
        return copy_str(c->pcap, 16, v, key, err, n);
    if (!strcmp(key, "capture"))
        return copy_str(c->capture, sizeof c->capture, v, key, err, n);
    if (!strcmp(key, "hostname"))
        return copy_str(c->hostname, sizeof c->hostname, v, key, err, n);
    if (!strcmp(key, "dns") || !strcmp(key, "dns_search") || !strcmp(key, "dns_options") ||
        !strcmp(key, "hosts")) {
        if (c->n_resolver_keys >= RUNNER_RESOLVER_KEYS)
            return fail(err, n, "too many resolver options ('%s')%s", key, "");
        if (copy_str(c->resolver_keys[c->n_resolver_keys][1], 256, v, key, err, n) < 0)
            return -1;
        snprintf(c->resolver_keys[c->n_resolver_keys][0], 256, "%.32s", key);
        c->n_resolver_keys++;
        return 0;
    }
    if (!strncmp(key, "net.", 4)) {
        /* A sysctl: checked now against default settings, so a typo or a
         * knob tapir cannot honour fails at start, with the reason. */
        if (c->n_sysctls >= RUNNER_SYSCTLS)
            return fail(err, n, "too many sysctl options ('%s')%s", key, "");
        if (strlen(key) >= sizeof c->sysctls[0][0] || strlen(v) >= sizeof c->sysctls[0][1])
            return fail(err, n, "sysctl option too long: '%s'%s", key, "");
        char *name = c->sysctls[c->n_sysctls][0], *val = c->sysctls[c->n_sysctls][1];
        strcpy(name, key);
        strcpy(val, v);
        for (char *p = val; *p; p++)
            if (*p == ',')
                *p = ' ';
        struct stack_settings probe;
        memset(&probe, 0, sizeof probe);
        tcp_settings_default(&probe.tcp);
        char note[200] = "";
        if (stack_sysctl_set(&probe, name, val, note, sizeof note) < 0)
            return fail(err, n, "%s%s", note, "");
        if (strstr(note, "no tapir setting"))
            return fail(err, n, "%s: tapir has no such setting%s", key, "");
        c->n_sysctls++;
        return 0;
    }
    if (!strcmp(key, "addr")) {
        char ip[64];
        const char *slash = strchr(v, '/');
        size_t len = slash ? (size_t)(slash - v) : strlen(v);
        if (len >= sizeof ip)
            return fail(err, n, "bad address '%s'%s", v, "");
        memcpy(ip, v, len);
        ip[len] = 0;
        uint64_t plen = 32;
        if (ipaddr_parse(ip, &a) == 0 && a.family == TP_AF_INET6) {
            plen = 128;
            if ((slash && (parse_u64(slash + 1, &plen) < 0 || plen > 128)) || a.v6[0] == 0xff)
                return fail(err, n, "bad address '%s' (want IPV6/N)%s", v, "");
            if (c->n_addr6 >= TAPIR_MAX_IF_ADDRS)
                return fail(err, n, "too many addresses ('%s')%s", v, "");
            memcpy(c->addr6[c->n_addr6].addr, a.v6, 16);
            c->addr6[c->n_addr6].prefix_len = (uint8_t)plen;
            c->n_addr6++;
            return 0;
        }
        if (ipaddr_parse(ip, &a) < 0 || a.family != TP_AF_INET || a.v4 == 0 ||
            (slash && (parse_u64(slash + 1, &plen) < 0 || plen > 32)))
            return fail(err, n, "bad address '%s' (want A.B.C.D/N)%s", v, "");
        if (c->n_addr >= TAPIR_MAX_IF_ADDRS)
            return fail(err, n, "too many addresses ('%s')%s", v, "");
        c->addr[c->n_addr].addr = a.v4;
        c->addr[c->n_addr].prefix_len = (uint8_t)plen;
        c->n_addr++;
        return 0;
    }
    if (!strcmp(key, "gw") && ipaddr_parse(v, &a) == 0 && a.family == TP_AF_INET6) {
        if (a.v6[0] == 0xff || ipaddr_is_any(&a))
            return fail(err, n, "bad gateway '%s'%s", v, "");
        memcpy(c->gw6, a.v6, 16);
        c->has_gw6 = true;
        return 0;
    }
    if (!strcmp(key, "ipv6")) {
        bool on;
        if (parse_bool(v, &on) < 0)
            return fail(err, n, "bad value for ipv6: '%s'%s", v, "");
        c->ipv6_off = !on;
        return 0;
    }
    if (!strcmp(key, "eui64")) {
        if (parse_bool(v, &c->eui64) < 0)
            return fail(err, n, "bad value for eui64: '%s'%s", v, "");
        return 0;
    }
    if (!strcmp(key, "dad")) {
        if (parse_u64(v, &x) < 0 || x > 10)
            return fail(err, n, "bad DAD transmit count '%s' (0..10)%s", v, "");
        c->dad = (int)x;
        return 0;
    }
    if (!strcmp(key, "gw")) {
        if (ipaddr_parse(v, &a) < 0 || a.family != TP_AF_INET || a.v4 == 0)
            return fail(err, n, "bad gateway '%s'%s", v, "");
        c->gw = a.v4;
        return 0;
    }
    if (!strcmp(key, "mac")) {
        if (mac_parse(v, c->mac) < 0 || (c->mac[0] & 1))
            return fail(err, n, "bad MAC '%s' (want a unicast xx:xx:xx:xx:xx:xx)%s", v, "");
        c->has_mac = true;
        return 0;
    }
    if (!strcmp(key, "mtu")) {
        if (parse_u64(v, &x) < 0 || x < 68 || x > 65535)
            return fail(err, n, "bad MTU '%s' (68..65535)%s", v, "");
        c->mtu = (uint32_t)x;
        return 0;
    }
    if (!strcmp(key, "seed")) {
        if (parse_u64(v, &c->seed) < 0)
            return fail(err, n, "bad seed '%s'%s", v, "");
        c->has_seed = true;
        return 0;
    }
    if (!strcmp(key, "trace")) {
        if (parse_bool(v, &c->trace) < 0)
            return fail(err, n, "bad value for trace: '%s'%s", v, "");
        return 0;
    }
    if (!strcmp(key, "offload")) {
        if (parse_bool(v, &c->offload) < 0)
            return fail(err, n, "bad value for offload: '%s'%s", v, "");
        return 0;
    }
    if (!strcmp(key, "tcp_timewait_ms")) {
        if (parse_u64(v, &x) < 0 || x < 1 || x > 600000)
            return fail(err, n, "bad tcp_timewait_ms '%s' (1..600000)%s", v, "");
        c->tcp_timewait_ms = (uint32_t)x;
        return 0;
    }
    if (!strcmp(key, "log")) {
        if (parse_u64(v, &x) < 0 || x > 2)
            return fail(err, n, "bad log level '%s' (0..2)%s", v, "");
        c->log_level = (int)x;
        return 0;
    }
    return fail(err, n, "unknown option '%s'%s", key, "");
}

int runner_config_parse(const char *s, struct runner_config *c, char *err, size_t n)
{
    memset(c, 0, sizeof *c);
    c->log_level = -1;
    c->dad = -1;
    if (n)
        err[0] = 0;
    if (!s)
        return 0;
    char tok[512];
    while (*s) {
        while (*s == ' ' || *s == '\t' || *s == '\n')
            s++;
        if (!*s)
            break;
        size_t len = strcspn(s, " \t\n");
        if (len >= sizeof tok)
            return fail(err, n, "option too long: '%.40s...'%s", s, "");
        memcpy(tok, s, len);
        tok[len] = 0;
        s += len;
        char *eq = strchr(tok, '=');
        if (!eq || eq == tok)
            return fail(err, n, "expected key=value, got '%s'%s", tok, "");
        *eq = 0;
        if (one(c, tok, eq + 1, err, n) < 0)
            return -1;
    }
    if (c->tap[0] && c->pcap[0])
        return fail(err, n, "tap= and pcap= are two devices: give one%s%s", "", "");
    return 0;
}
