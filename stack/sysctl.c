/* Linux's sysctl names mapped onto tapir's run-time settings (stack/stack.h).
 *
 * Researchers know Linux's knobs (net.ipv4.tcp_sack, tcp_ecn, tcp_rmem ...);
 * tapir's settings are modelled on them, and this file is the one place
 * that knows both vocabularies.  tapir-drill applies packetdrill scripts'
 * sysctl lines through it, the runner its configuration's net.ipv4.NAME=V
 * keys.  A knob tapir has no counterpart for is noted, not silently taken.
 */
#include "stack/sysctl.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack/stack.h"

/* Sysctls with no effect on what a script observes from tapir. */
static const char *const no_effect[] = {
    "tcp_fastopen_key", "tcp_ecn_option", "tcp_tso_win_divisor", "tcp_fack", NULL,
};

void sysctl_note(char *note, size_t len, const char *fmt, const char *a, const char *b)
{
    size_t n = strlen(note);
    if (n + 2 >= len)
        return;
    if (n)
        n += (size_t)snprintf(note + n, len - n, "; ");
    if (n < len)
        snprintf(note + n, len - n, fmt, a, b);
}

/* "/proc/sys/net/ipv4/tcp_sack", "net.ipv4.tcp_sack", "net/ipv4/tcp_sack" -> "tcp_sack". */
static const char *sysctl_leaf(const char *path)
{
    const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
    const char *cut = slash > dot ? slash : dot;
    return cut ? cut + 1 : path;
}

static int parse_u32(const char *v, uint32_t *out)
{
    char *end;
    unsigned long long x = strtoull(v, &end, 0);
    if (end == v || *end != '\0' || x > 0xffffffffULL)
        return -1;
    *out = (uint32_t)x;
    return 0;
}

static int parse_triple(const char *v, uint32_t out[3])
{
    unsigned long long a, b, c;
    if (sscanf(v, "%llu %llu %llu", &a, &b, &c) != 3)
        return -1;
    out[0] = (uint32_t)a;
    out[1] = (uint32_t)b;
    out[2] = (uint32_t)c;
    return 0;
}

/* Sysctls that are one field of struct tcp_settings: a number, or on/off. */
struct field_sysctl {
    const char *name;
    size_t off;
    bool is_bool;
};
#define NUM(name, field) {name, offsetof(struct tcp_settings, field), false}
#define BOOL(name, field) {name, offsetof(struct tcp_settings, field), true}
static const struct field_sysctl fields[] = {
    NUM("tcp_syn_retries", syn_retries),
    NUM("tcp_synack_retries", synack_retries),
    NUM("tcp_retries2", retries2),
    NUM("tcp_keepalive_time", keepalive_time_s),
    NUM("tcp_keepalive_intvl", keepalive_intvl_s),
    NUM("tcp_keepalive_probes", keepalive_probes),
    NUM("tcp_invalid_ratelimit", invalid_ratelimit_ms),
    NUM("tcp_reordering", reordering),
    NUM("tcp_notsent_lowat", notsent_lowat),
    NUM("tcp_max_syn_backlog", max_syn_backlog),
    NUM("tcp_max_tw_buckets", max_tw),
    NUM("tcp_pacing_ss_ratio", pacing_ss_ratio),
    NUM("tcp_pacing_ca_ratio", pacing_ca_ratio),
    NUM("tcp_min_tso_segs", min_tso_segs),
    BOOL("tcp_timestamps", timestamps),
    BOOL("tcp_window_scaling", window_scaling),
    BOOL("tcp_sack", sack),
    BOOL("tcp_dsack", dsack),
    BOOL("tcp_slow_start_after_idle", slow_start_after_idle),
};
#undef NUM
#undef BOOL

int stack_sysctl_set(struct stack_settings *cfg, const char *path, const char *value, char *note, size_t notelen)
{
    struct tcp_settings *t = &cfg->tcp;
    const char *name = sysctl_leaf(path);
    uint32_t v;
    for (int i = 0; no_effect[i]; i++) {
        if (strcmp(no_effect[i], name) == 0)
            return 0;
    }
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (strcmp(fields[i].name, name) != 0)
            continue;
        if (parse_u32(value, &v) < 0)
            goto bad;
        /* Percentages Linux bounds to 3000 (its table's extra2): above, the
         * pacing rate's product (window * ratio * 10000) could overflow. */
        if (v > 3000 && (strcmp(name, "tcp_pacing_ss_ratio") == 0 || strcmp(name, "tcp_pacing_ca_ratio") == 0))
            goto bad;
        if (fields[i].is_bool) {
            bool b = v != 0;
            memcpy((char *)t + fields[i].off, &b, sizeof b);
        } else {
            memcpy((char *)t + fields[i].off, &v, sizeof v);
        }
        return 0;
    }
    if (strcmp(name, "tcp_rmem") == 0 || strcmp(name, "tcp_wmem") == 0) {
        uint32_t tr[3];
        if (parse_triple(value, tr) < 0)
            goto bad;
        memcpy(name[4] == 'r' ? t->rmem : t->wmem, tr, sizeof tr);
        return 0;
    }
    if (strcmp(name, "tcp_congestion_control") == 0) {
        if (strcmp(value, "cubic") != 0 && strcmp(value, "reno") != 0 && strcmp(value, "newreno") != 0) {
            sysctl_note(note, notelen, "%s=%s: tapir has cubic and reno only", name, value);
            return -1;
        }
        snprintf(t->congestion, sizeof t->congestion, "%s", value);
        return 0;
    }
    if (strcmp(name, "tcp_syncookies") == 0) {
        if (parse_u32(value, &v) < 0 || v > 2)
            goto bad;
        if (v == 2) {
            sysctl_note(note, notelen, "%s=%s: tapir has no always-on SYN cookie mode", name, value);
            return -1;
        }
        t->syncookies = v == 1;
        return 0;
    }
    if (strcmp(name, "tcp_fastopen") == 0) {
        /* Linux's bits, kept whole: 0x1 client (tcp_fastopen.c), 0x2 server
         * (tapir has no server side yet: a listener ignores Fast Open and
         * answers a SYN's data with a plain handshake, as RFC 7413 allows),
         * the others (no-cookie modes, the default queue length) unused. */
        if (parse_u32(value, &v) < 0)
            goto bad;
        t->fastopen = v;
        return 0;
    }
    if (strcmp(name, "default_qdisc") == 0) {
        /* net.core.default_qdisc: with fq, Linux paces every TCP flow
         * (tcp_pacing.c does it here); the others leave flows unpaced
         * unless SO_MAX_PACING_RATE asks. */
        static const char *unpaced[] = {"pfifo_fast", "fq_codel", "pfifo", "bfifo", "noqueue", "sfq", NULL};
        if (strcmp(value, "fq") == 0) {
            t->pacing = true;
            return 0;
        }
        for (int i = 0; unpaced[i]; i++) {
            if (strcmp(value, unpaced[i]) == 0) {
                t->pacing = false;
                return 0;
            }
        }
        sysctl_note(note, notelen, "%s=%s: tapir knows fq (pacing) and the unpaced qdiscs only", name, value);
        return -1;
    }
    if (strcmp(name, "tcp_ecn") == 0) {
        if (parse_u32(value, &v) < 0)
            goto bad;
        if (v > 2) {
            sysctl_note(note, notelen, "%s=%s: tapir has classic ECN only (RFC 3168), no AccECN", name, value);
            return -1;
        }
        t->ecn = (uint8_t)v;   /* 0 off, 1 ask and accept, 2 accept when asked */
        return 0;
    }
    if (strcmp(name, "tcp_recovery") == 0) {
        if (parse_u32(value, &v) < 0)
            goto bad;
        t->rack = (v & 1) != 0;
        return 0;
    }
    if (strcmp(name, "tcp_early_retrans") == 0) {
        /* Linux: 3 and 4 enable tail loss probes, 0-2 leave them off. */
        if (parse_u32(value, &v) < 0)
            goto bad;
        t->tlp = v >= 3;
        return 0;
    }
    if (strcmp(name, "tcp_fin_timeout") == 0) {
        if (parse_u32(value, &v) < 0)
            goto bad;
        t->fin_timeout_ms = v * 1000;
        return 0;
    }
    if (strcmp(name, "ip_local_port_range") == 0) {
        unsigned lo, hi;
        if (sscanf(value, "%u %u", &lo, &hi) != 2 || lo > hi || hi > 65535)
            goto bad;
        t->port_lo = (uint16_t)lo;
        t->port_hi = (uint16_t)hi;
        return 0;
    }
    /* A few of the IP layer's. */
    if (strcmp(name, "ip_default_ttl") == 0) {
        if (parse_u32(value, &v) < 0 || v < 1 || v > 255)
            goto bad;
        cfg->ip_default_ttl = (uint8_t)v;
        return 0;
    }
    if (strcmp(name, "icmp_echo_ignore_broadcasts") == 0) {
        if (parse_u32(value, &v) < 0 || v > 1)
            goto bad;
        cfg->icmp_echo_ignore_broadcasts = v == 1;
        return 0;
    }
    if (strcmp(name, "ipfrag_time") == 0) {
        if (parse_u32(value, &v) < 0 || v == 0 || v > 3600)
            goto bad;
        cfg->ip4_reass_timeout_ms = v * 1000;
        return 0;
    }
    /* Linux knobs with no tapir counterpart: said, not silently dropped. */
    sysctl_note(note, notelen, "%s=%s: no tapir setting (ignored)", name, value);
    return 0;
bad:
    sysctl_note(note, notelen, "%s: bad value '%s'", name, value);
    return -1;
}
