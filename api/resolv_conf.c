/* resolv.conf(5)-style configuration: nameserver, search, domain, and
 * options ndots:N timeout:N attempts:N rotate edns0 use-vc no-cache.
 *
 * Where tapir's resolver gets it (api/resolver.c, in this order, later wins):
 *   1. defaults: NO name servers.  tapir runs its own stack on its own
 *      network, so the machine's /etc/resolv.conf name servers (reached
 *      through the kernel) usually mean nothing to it, and sending there
 *      would leak queries off the test network.
 *   2. the file named by the environment variable TAPIR_RESOLV_CONF;
 *   3. the runner's configuration string: dns=IP[,IP...] (servers),
 *      dns_search=a.test,b.test, dns_options=ndots:2,timeout:1,attempts:3
 *      (api/runner.c hands these keys to tapir_resolver_config_key());
 *   4. explicit calls: tapir_resolver_configure(text) / _load_conf(path).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/resolver_int.h"

void resolv_conf_defaults(struct resolv_conf *rc)
{
    memset(rc, 0, sizeof *rc);
    rc->ndots = 1;
    rc->timeout_ms = RESOLV_DEFAULT_TIMEOUT_MS;
    rc->attempts = RESOLV_DEFAULT_ATTEMPTS;
}

/* "198.18.0.1", "198.18.0.1#5353", "fd00:198:18::1", "[fd00:198:18::1]:5353",
 * "fe80::1%2" (numeric scope). */
static int parse_server(const char *s, struct endpoint *ep)
{
    char host[64];
    const char *port = NULL;
    size_t n;
    memset(ep, 0, sizeof *ep);
    ep->port = 53;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || (close[1] != '\0' && close[1] != ':'))
            return -1;
        n = (size_t)(close - s - 1);
        if (n >= sizeof host)
            return -1;
        memcpy(host, s + 1, n);
        host[n] = '\0';
        if (close[1] == ':')
            port = close + 2;
    } else {
        const char *hash = strchr(s, '#');
        n = hash ? (size_t)(hash - s) : strlen(s);
        if (n >= sizeof host)
            return -1;
        memcpy(host, s, n);
        host[n] = '\0';
        if (hash)
            port = hash + 1;
    }
    char *pct = strchr(host, '%');
    if (pct) {
        char *end;
        unsigned long v = strtoul(pct + 1, &end, 10);
        if (*end || end == pct + 1)
            return -1;
        ep->scope_id = (uint32_t)v;
        *pct = '\0';
    }
    if (ipaddr_parse(host, &ep->addr) < 0)
        return -1;
    if (port) {
        char *end;
        long p = strtol(port, &end, 10);
        if (*end || end == port || p <= 0 || p > 65535)
            return -1;
        ep->port = (uint16_t)p;
    }
    return 0;
}

static void set_search(struct resolv_conf *rc, char *list, const char *seps)
{
    char *save = NULL;
    rc->n_search = 0;
    for (char *t = strtok_r(list, seps, &save); t && rc->n_search < RESOLV_MAX_SEARCH;
         t = strtok_r(NULL, seps, &save)) {
        uint8_t w[DNS_MAX_NAME];
        if (strlen(t) < sizeof rc->search[0] && dns_name_from_text(t, w) > 0)
            snprintf(rc->search[rc->n_search++], sizeof rc->search[0], "%s", t);
    }
}

static void set_option(struct resolv_conf *rc, const char *opt)
{
    int v;
    if (sscanf(opt, "ndots:%d", &v) == 1)
        rc->ndots = v < 0 ? 0 : v > 15 ? 15 : v; /* glibc caps ndots at 15 */
    else if (sscanf(opt, "timeout:%d", &v) == 1)
        rc->timeout_ms = (v < 1 ? 1 : v > 30 ? 30 : v) * 1000;
    else if (sscanf(opt, "timeout_ms:%d", &v) == 1) /* tapir's own: tests want short waits */
        rc->timeout_ms = v < 10 ? 10 : v > RESOLV_MAX_TIMEOUT_MS ? RESOLV_MAX_TIMEOUT_MS : v;
    else if (sscanf(opt, "attempts:%d", &v) == 1)
        rc->attempts = v < 1 ? 1 : v > 5 ? 5 : v;
    else if (strcmp(opt, "rotate") == 0)
        rc->rotate = true;
    else if (strcmp(opt, "edns0") == 0)
        rc->edns0 = true;
    else if (strcmp(opt, "use-vc") == 0 || strcmp(opt, "usevc") == 0)
        rc->use_vc = true;
    else if (strcmp(opt, "no-cache") == 0)
        rc->no_cache = true;
}

int resolv_conf_set_servers(struct resolv_conf *rc, const char *list)
{
    struct endpoint eps[RESOLV_MAX_SERVERS];
    int n = 0;
    char *copy = strdup(list), *save = NULL;
    if (!copy)
        return -1;
    for (char *t = strtok_r(copy, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
        if (n == RESOLV_MAX_SERVERS || parse_server(t, &eps[n]) < 0) {
            free(copy);
            return -1;
        }
        n++;
    }
    free(copy);
    memcpy(rc->servers, eps, sizeof eps);
    rc->n_servers = n;
    return 0;
}

int resolv_conf_parse(struct resolv_conf *rc, const char *text)
{
    int used = 0;
    bool servers_reset = false;
    char *copy = strdup(text), *save_line = NULL;
    if (!copy)
        return 0;
    for (char *line = strtok_r(copy, "\n", &save_line); line; line = strtok_r(NULL, "\n", &save_line)) {
        /* resolv.conf(5): a line starting with '#' or ';' is a comment (not
         * elsewhere: "198.18.0.9#5300" is a server with a port). */
        char *first = line + strspn(line, " \t");
        if (*first == '#' || *first == ';')
            continue;
        char *save = NULL;
        char *key = strtok_r(line, " \t\r", &save);
        if (!key)
            continue;
        char *rest = save ? save + strspn(save, " \t") : NULL;
        if (strcmp(key, "nameserver") == 0) {
            char *v = strtok_r(NULL, " \t\r", &save);
            struct endpoint ep;
            if (!v || parse_server(v, &ep) < 0)
                continue;
            /* A file's nameserver lines replace the list, they do not add to it. */
            if (!servers_reset) {
                rc->n_servers = 0;
                servers_reset = true;
            }
            if (rc->n_servers < RESOLV_MAX_SERVERS)
                rc->servers[rc->n_servers++] = ep;
            used++;
        } else if (strcmp(key, "search") == 0 || strcmp(key, "domain") == 0) {
            if (rest) {
                set_search(rc, rest, " \t\r");
                used++;
            }
        } else if (strcmp(key, "options") == 0) {
            for (char *o = strtok_r(NULL, " \t\r", &save); o; o = strtok_r(NULL, " \t\r", &save))
                set_option(rc, o);
            used++;
        }
    }
    free(copy);
    return used;
}

int resolv_conf_load(struct resolv_conf *rc, const char *path)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    size_t cap = 1 << 16;
    char *text = malloc(cap);
    if (!text) {
        fclose(f);
        return -1;
    }
    size_t n = fread(text, 1, cap - 1, f); /* a resolv.conf longer than 64 KB is cut */
    fclose(f);
    text[n] = '\0';
    resolv_conf_parse(rc, text);
    free(text);
    return 0;
}

/* The runner's keys (see the top of this file).  Returns 1 if key was ours. */
int resolv_conf_key(struct resolv_conf *rc, const char *key, const char *value)
{
    if (strcmp(key, "dns") == 0)
        return resolv_conf_set_servers(rc, value) < 0 ? -1 : 1;
    if (strcmp(key, "dns_search") == 0) {
        char *copy = strdup(value);
        if (!copy)
            return -1;
        set_search(rc, copy, ",");
        free(copy);
        return 1;
    }
    if (strcmp(key, "dns_options") == 0) {
        char *copy = strdup(value), *save = NULL;
        if (!copy)
            return -1;
        for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save))
            set_option(rc, o);
        free(copy);
        return 1;
    }
    return 0;
}
