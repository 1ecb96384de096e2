/* The shell lines of packetdrill scripts, read as configuration.
 *
 * packetdrill runs `../common/defaults.sh` (Linux sysctls every script
 * assumes), `set_sysctls.py /proc/sys/net/ipv4/NAME=VALUE ...`, `sysctl -q
 * net.ipv4.NAME=VALUE`, `tc qdisc ...` and `ethtool ...` as root on the test
 * machine.  Here each line becomes the matching tapir setting; lines about
 * things tapir does not have (fastopen keys, pacing ratios, qdiscs) are noted
 * and skipped; a line the runner cannot read at all is refused.  The sysctl
 * names themselves are mapped in stack/sysctl.c (the runner uses it too).
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack/stack.h"
#include "stack/sysctl.h"
#include "tests/drill/sysctl.h"

/* defaults.sh, as its sysctl lines. */
static const char *const defaults_sh[][2] = {
    {"tcp_rmem", "4096 540000 15728640"},
    {"tcp_wmem", "4096 262144 4194304"},
    {"tcp_timestamps", "1"},
    {"tcp_syn_retries", "5"},
    {"tcp_synack_retries", "5"},
    {"tcp_frto", "2"},
    {"tcp_sack", "1"},
    {"tcp_dsack", "1"},
    {"tcp_fack", "0"},
    {"tcp_reordering", "3"},
    {"tcp_congestion_control", "cubic"},
    {"tcp_slow_start_after_idle", "0"},
    {"tcp_early_retrans", "4"},
    {"tcp_recovery", "1"},
    {"tcp_tso_win_divisor", "3"},
    {"tcp_ecn", "0"},
    {"tcp_ecn_option", "2"},
    {"tcp_pacing_ss_ratio", "200"},
    {"tcp_pacing_ca_ratio", "120"},
    {"tcp_notsent_lowat", "4294967295"},
    {"tcp_fastopen", "0x70403"},
    {"tcp_fastopen_key", "a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4"},
    {"tcp_syncookies", "1"},
};

void sysctl_defaults(struct stack *st)
{
    /* The settings a script changes start from tapir's (Linux's) defaults. */
    if (st->cfg.tcp.rmem[1] == 0)
        tcp_settings_default(&st->cfg.tcp);
}

/* NAME=VALUE with the value maybe quoted. */
static int apply_assignment(struct stack *st, char *arg, char *note, size_t notelen)
{
    char *eq = strchr(arg, '=');
    if (!eq)
        return 0;
    *eq = '\0';
    char *value = eq + 1;
    size_t vl = strlen(value);
    if (vl >= 2 && (value[0] == '"' || value[0] == '\'') && value[vl - 1] == value[0]) {
        value[vl - 1] = '\0';
        value++;
    }
    return stack_sysctl_set(&st->cfg, arg, value, note, notelen);
}

/* Splits a line into words; quotes group (kept in the word, stripped later). */
static int split(char *line, char **argv, int max)
{
    int n = 0;
    char *p = line;
    while (*p && n < max) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        argv[n++] = p;
        char q = 0;
        while (*p && (q || !isspace((unsigned char)*p))) {
            if (!q && (*p == '"' || *p == '\''))
                q = *p;
            else if (q && *p == q)
                q = 0;
            p++;
        }
        if (*p)
            *p++ = '\0';
    }
    return n;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int apply_line(struct stack *st, char *line, bool *drop_tx, char *note, size_t notelen)
{
    char *argv[64];
    /* Drop redirections (> /dev/null 2>&1) and everything after them. */
    char *redir = strstr(line, " > /dev/null");
    if (redir)
        *redir = '\0';
    int argc = split(line, argv, 64);
    if (argc == 0 || argv[0][0] == '#')
        return 0;
    const char *cmd = argv[0];
    if (ends_with(cmd, "defaults.sh")) {
        char tmp[128];
        for (size_t i = 0; i < sizeof defaults_sh / sizeof defaults_sh[0]; i++) {
            snprintf(tmp, sizeof tmp, "%s", defaults_sh[i][1]);
            if (stack_sysctl_set(&st->cfg, defaults_sh[i][0], tmp, note, notelen) < 0)
                return -1;
        }
        return 0;
    }
    if (ends_with(cmd, "set_sysctls.py") || strcmp(cmd, "sysctl") == 0) {
        for (int i = 1; i < argc; i++) {
            if (argv[i][0] == '-')
                continue;
            if (apply_assignment(st, argv[i], note, notelen) < 0)
                return -1;
        }
        return 0;
    }
    if (strstr(cmd, "sysctl_restore") || strcmp(cmd, "ip") == 0 || strcmp(cmd, "ethtool") == 0)
        return 0;
    if (strcmp(cmd, "tc") == 0) {
        /* A qdisc that holds nothing: the device drops every packet. */
        bool limit0 = false;
        for (int i = 1; i + 1 < argc; i++)
            if (strcmp(argv[i], "limit") == 0 && strcmp(argv[i + 1], "0") == 0)
                limit0 = true;
        bool del = argc > 2 && strcmp(argv[2], "delete") == 0;
        /* The fq qdisc paces what TCP sends (tcp_pacing.c). */
        bool fq = false;
        for (int i = 1; i + 1 < argc; i++)
            if (strcmp(argv[i], "root") == 0 && strcmp(argv[i + 1], "fq") == 0)
                fq = true;
        if (!del) {
            *drop_tx = limit0;
            st->cfg.tcp.pacing = fq;
        }
        return 0;
    }
    if (strcmp(cmd, "echo") == 0 && argc == 4 && strcmp(argv[2], ">") == 0 &&
        strncmp(argv[3], "/sys/module/tcp_cubic/parameters/", 33) == 0) {
        /* HyStart's switches map onto tcp_settings.hystart (the detector
         * bits; "hystart" 0 turns both off). */
        const char *param = argv[3] + 33;
        char *end = NULL;
        unsigned long v = strtoul(argv[1], &end, 10);
        bool num = end && *end == '\0' && end != argv[1];
        if (num && strcmp(param, "hystart_detect") == 0 && v <= 3) {
            st->cfg.tcp.hystart = (uint8_t)v;
            return 0;
        }
        if (num && strcmp(param, "hystart") == 0 && v <= 1) {
            if (v == 0)
                st->cfg.tcp.hystart = 0;
            else if (st->cfg.tcp.hystart == 0)
                st->cfg.tcp.hystart = TCP_HYSTART_DETECT;
            return 0;
        }
        sysctl_note(note, notelen, "cubic parameter %s=%s: no tapir setting (ignored)", param, argv[1]);
        return 0;
    }
    sysctl_note(note, notelen, "cannot map shell command '%s'%s", cmd, "");
    return -1;
}

int sysctl_apply_command(struct stack *st, const char *cmd, bool *drop_tx, char *note, size_t notelen)
{
    note[0] = '\0';
    /* Join continued lines, then split on newlines and ';'. */
    char *buf = strdup(cmd);
    if (!buf)
        abort();
    for (char *p = buf; *p; p++)
        if (p[0] == '\\' && p[1] == '\n')
            p[0] = p[1] = ' ';
    int rc = 0;
    char *save = NULL;
    for (char *line = strtok_r(buf, "\n;", &save); line && rc == 0; line = strtok_r(NULL, "\n;", &save))
        rc = apply_line(st, line, drop_tx, note, notelen);
    free(buf);
    return rc;
}
