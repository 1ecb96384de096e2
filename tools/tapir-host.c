/* tapir-host: like host(1), on tapir's own stack and resolver.
 *
 *   tapir-host [-v] [-t A|AAAA|PTR] [-W SECONDS] --tap tap0 --addr 198.18.0.2/24 --dns 198.18.0.1 NAME|ADDRESS
 *
 * A name prints its addresses (and aliases); an address prints its name
 * (PTR).  -v prints each step of the lookup: the queries, to which server,
 * over UDP or TCP, what came back, the cache.  Built on the public API only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/tapir.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: tapir-host [-v] [-t A|AAAA|PTR] [-W SECONDS] [device options] NAME|ADDRESS\n"
               "  device options as tapir-up's (--tap, --addr, --gw, ...), plus --dns IP[,IP],\n"
               "  --dns-search D[,D], --dns-options ndots:1,timeout:2,attempts:2, --hosts FILE\n");
}

static void trace_line(void *ctx, const char *line)
{
    (void)ctx;
    printf("%s\n", line);
}

int main(int argc, char **argv)
{
    char *config = tapir_runner_config_from_args(&argc, argv);
    if (!config)
        return 2;
    int verbose = 0;
    const char *type = NULL, *target = NULL;
    double timeout = -1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-v"))
            verbose = 1;
        else if (!strcmp(argv[i], "-t") && i + 1 < argc)
            type = argv[++i];
        else if (!strcmp(argv[i], "-W") && i + 1 < argc)
            timeout = atof(argv[++i]);
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else if (argv[i][0] == '-' || target) {
            usage(stderr);
            return 2;
        } else
            target = argv[i];
    }
    if (!target) {
        usage(stderr);
        return 2;
    }
    tapir_runner *r = NULL;
    if (strstr(config, "tap=") || strstr(config, "pcap=")) {
        r = tapir_runner_start(config);
        if (!r) {
            tapir_perror("tapir-host");
            return 2;
        }
    } else if (*config) {
        /* No device: only the resolver's keys matter (hosts file, numerics). */
        char *save = NULL;
        for (char *kv = strtok_r(config, " ", &save); kv; kv = strtok_r(NULL, " ", &save)) {
            char *eq = strchr(kv, '=');
            if (eq) {
                *eq = '\0';
                tapir_resolver_config_key(kv, eq + 1);
            }
        }
    }
    if (timeout >= 0)
        tapir_setdefaulttimeout(timeout);
    if (verbose)
        tapir_resolver_set_trace(trace_line, NULL);
    int rc = 0;
    uint8_t packed[16];
    bool is_addr = tapir_inet_pton(TAPIR_AF_INET, target, packed) > 0 ||
                   tapir_inet_pton(TAPIR_AF_INET6, target, packed) > 0;
    if (is_addr || (type && !strcmp(type, "PTR"))) {
        tapir_hostent *h = tapir_gethostbyaddr(target);
        if (!h) {
            printf("Host %s not found: %s\n", target, tapir_strerror());
            rc = 1;
        } else {
            printf("%s domain name pointer %s.\n", target, h->name);
            for (int i = 0; i < h->n_aliases; i++)
                printf("%s domain name pointer %s.\n", target, h->aliases[i]);
            tapir_freehostent(h);
        }
    } else {
        int family = !type ? TAPIR_AF_UNSPEC : !strcmp(type, "AAAA") ? TAPIR_AF_INET6 : TAPIR_AF_INET;
        tapir_addrinfo *ai;
        int n = tapir_getaddrinfo(target, NULL, family, TAPIR_SOCK_STREAM, 0, TAPIR_AI_CANONNAME, &ai);
        if (n < 0) {
            printf("Host %s not found: %s\n", target, tapir_strerror());
            rc = 1;
        } else {
            if (n > 0 && ai[0].canonname[0] && strcasecmp(ai[0].canonname, target) != 0)
                printf("%s is an alias for %s.\n", target, ai[0].canonname);
            const char *name = n > 0 && ai[0].canonname[0] ? ai[0].canonname : target;
            for (int i = 0; i < n; i++)
                printf("%s has %saddress %s\n", name, ai[i].family == TAPIR_AF_INET6 ? "IPv6 " : "",
                       ai[i].addr.host);
            tapir_freeaddrinfo(ai);
        }
    }
    if (verbose) {
        tapir_resolver_stats s;
        tapir_resolver_get_stats(&s);
        printf(";; %llu queries, %llu over UDP, %llu over TCP (%llu after TC), %llu timeouts, "
               "%llu ignored (wrong ID/question), %llu malformed, %llu server errors, %llu cache hits\n",
               (unsigned long long)s.queries, (unsigned long long)s.udp_sent, (unsigned long long)s.tcp_sent,
               (unsigned long long)s.tc_retries, (unsigned long long)s.timeouts,
               (unsigned long long)s.rx_mismatch, (unsigned long long)s.rx_bad,
               (unsigned long long)s.server_errors, (unsigned long long)s.cache_hits);
    }
    if (r)
        tapir_runner_stop(r);
    free(config);
    return rc;
}
