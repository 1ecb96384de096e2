/* The runner's configuration string, parsed (api/runner.h lists the keys).
 * Internal to api/: the runner and its tests use it. */
#ifndef TAPIR_API_RUNNER_CONFIG_H
#define TAPIR_API_RUNNER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stack/config.h"

#define RUNNER_RESOLVER_KEYS 8
#define RUNNER_SYSCTLS 32
struct runner_config {
    char tap[32];                 /* tap=NAME */
    char pcap[32];                /* pcap=IFNAME */
    struct {
        uint32_t addr;            /* host order */
        uint8_t prefix_len;
    } addr[TAPIR_MAX_IF_ADDRS];   /* addr=A.B.C.D/N (may repeat) */
    int n_addr;
    uint32_t gw;                  /* gw=A.B.C.D, 0 none */
    struct {
        uint8_t addr[16];
        uint8_t prefix_len;
    } addr6[TAPIR_MAX_IF_ADDRS];  /* addr=IPV6/N (may repeat) */
    int n_addr6;
    uint8_t gw6[16];              /* gw=IPV6 (a router's link-local or global address) */
    bool has_gw6;
    bool ipv6_off;                /* ipv6=0: no IPv6 on the device (default on, like Linux) */
    bool eui64;                   /* eui64=1: interface ids from the MAC, not RFC 7217 */
    int dad;                      /* dad=N: DupAddrDetectTransmits (-1: the default, 1) */
    uint8_t mac[6];               /* mac=... */
    bool has_mac;
    uint32_t mtu;                 /* mtu=N, 0: the device's */
    char capture[256];            /* capture=FILE */
    bool trace;                   /* trace=1 */
    uint64_t seed;                /* seed=N */
    bool has_seed;
    char hostname[64];            /* hostname=NAME */
    bool offload;                 /* offload=1: TAP with IFF_VNET_HDR (TSO, checksum offload) */
    int log_level;                /* log=N: the stack's log to stderr (-1 off, 0 errors, 1 info, 2 debug) */
    uint32_t tcp_timewait_ms;     /* tcp_timewait_ms=N: TIME_WAIT length, 0: the default (2*MSL) */
    /* The fault injector (drivers/fault.h) between the device and the stack,
     * probabilities 0..1 per direction: drop_tx= drop_rx= corrupt_tx=
     * corrupt_rx= dup_tx= dup_rx= ce_tx= ce_rx= (drop= corrupt= dup= ce= set both
     * directions; ce: congestion marks on ECN-capable packets, RFC 3168). */
    double drop_tx, drop_rx, corrupt_tx, corrupt_rx, dup_tx, dup_rx, ce_tx, ce_rx;
    bool fault;                   /* any of them given */
    /* dns=IP[,IP] dns_search=D[,D] dns_options=O[,O] hosts=FILE: handed to the
     * resolver (tapir_resolver_config_key) when the runner starts. */
    char resolver_keys[RUNNER_RESOLVER_KEYS][2][256];
    int n_resolver_keys;
    /* net.ipv4.NAME=VALUE: Linux's sysctl names for the stack's settings
     * (stack/sysctl.c), applied in order when the stack is created; commas
     * in VALUE stand for the spaces of multi-number knobs (tcp_rmem). */
    char sysctls[RUNNER_SYSCTLS][2][64];
    int n_sysctls;
};

/* Parses s (NULL or "" is an empty configuration).  0, or -1 with a
 * message in err ("unknown option 'x'", "bad address '...'" ...). */
int runner_config_parse(const char *s, struct runner_config *c, char *err, size_t errlen);

#endif
