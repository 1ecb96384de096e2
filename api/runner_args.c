/* tapir_runner_config_from_args: the device options every tool shares,
 * turned into a runner configuration string. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/runner.h"

static const struct {
    const char *opt, *key;
    int flag;               /* takes no value: key=1 */
} opts[] = {
    {"--tap", "tap", 0},           {"--pcap", "pcap", 0},         {"--addr", "addr", 0},
    {"--gw", "gw", 0},             {"--mac", "mac", 0},           {"--mtu", "mtu", 0},
    {"--capture", "capture", 0},   {"--trace", "trace", 1},       {"--seed", "seed", 0},
    {"--hostname", "hostname", 0}, {"--offload", "offload", 1},   {"--log", "log", 0},
    {"--dns", "dns", 0},           {"--dns-search", "dns_search", 0},
    {"--dns-options", "dns_options", 0}, {"--hosts", "hosts", 0},
    {"--drop", "drop", 0},         {"--corrupt", "corrupt", 0},   {"--dup", "dup", 0},
    {"--ce", "ce", 0},
    {"--config", NULL, 0},
};

static int append(char **s, size_t *len, const char *key, const char *val)
{
    size_t need = *len + (key ? strlen(key) + 1 : 0) + strlen(val) + 2;
    char *n = realloc(*s, need);
    if (!n)
        return -1;
    *s = n;
    *len += (size_t)sprintf(n + *len, "%s%s%s%s", *len ? " " : "", key ? key : "", key ? "=" : "", val);
    return 0;
}

char *tapir_runner_config_from_args(int *argc, char **argv)
{
    char *s = calloc(1, 1);
    size_t len = 0;
    const char *env = getenv("TAPIR_CONFIG");
    if (!s || (env && *env && append(&s, &len, NULL, env) < 0))
        goto oom;
    int out = 1;
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) { /* the rest is the tool's */
            while (i < *argc)
                argv[out++] = argv[i++];
            break;
        }
        size_t k;
        size_t n = sizeof opts / sizeof opts[0];
        for (k = 0; k < n; k++) {
            size_t ol = strlen(opts[k].opt);
            if (!strncmp(a, opts[k].opt, ol) && (a[ol] == 0 || a[ol] == '='))
                break;
        }
        if (k == n) {
            argv[out++] = argv[i];
            continue;
        }
        const char *val;
        const char *eq = strchr(a, '=');
        if (opts[k].flag) {
            val = eq ? eq + 1 : "1";
        } else if (eq) {
            val = eq + 1;
        } else if (i + 1 < *argc) {
            val = argv[++i];
        } else {
            fprintf(stderr, "%s needs a value\n", a);
            free(s);
            return NULL;
        }
        if (opts[k].key && (!*val || strpbrk(val, " \t\n"))) {
            fprintf(stderr, "%s: bad value '%s'\n", opts[k].opt, val);
            free(s);
            return NULL;
        }
        if (append(&s, &len, opts[k].key, val) < 0)
            goto oom;
    }
    argv[out] = NULL;
    *argc = out;
    return s;
oom:
    free(s);
    fprintf(stderr, "out of memory\n");
    return NULL;
}
