/* The resolver's insides, shared by api/hosts.c, api/services.c,
 * api/resolv_conf.c, api/resolver.c, api/resolver_net.c and api/netdb.c
 * (and the unit tests).  Not part of the public API: see api/resolver.h.
 *
 *   netdb.c       Python's functions (getaddrinfo & co): flags, ports, errors
 *     -> hosts.c        the hosts file, consulted first
 *     -> resolver.c     the stub resolver: cache, servers, retries, CNAMEs
 *          -> resolver_net.c   queries over tapir's own UDP/TCP sockets
 *             (or a fake transport in the unit tests)
 *          -> dns_wire.c       the message codec
 *   services.c    /etc/services and /etc/protocols (or a built-in table)
 *   resolv_conf.c nameserver/search/ndots/timeout/attempts/options
 */
#ifndef TAPIR_API_RESOLVER_INT_H
#define TAPIR_API_RESOLVER_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "api/dns_wire.h"
#include "stack/addr.h"
#include "stack/config.h"

/* EAI_* codes (glibc's values; api/tapir.h has the same definitions). */
#ifndef TAPIR_EAI_NONAME
#define TAPIR_EAI_BADFLAGS   (-1)
#define TAPIR_EAI_NONAME     (-2)
#define TAPIR_EAI_AGAIN      (-3)
#define TAPIR_EAI_FAIL       (-4)
#define TAPIR_EAI_NODATA     (-5)
#define TAPIR_EAI_MEMORY     (-10)
#endif

/* ---- hosts file (hosts.c) ---- */

struct hosts_line {
    struct ipaddr addr;
    uint32_t scope_id;
    int n_names;                     /* names[0] is the canonical name */
    char *names[HOSTS_MAX_NAMES];
};

struct hosts_table {
    struct hosts_line *lines;
    size_t n;
    bool loaded;                     /* the file existed and was read */
};

/* Reads a hosts-format file ("ADDRESS NAME [ALIASES...]", '#' comments).
 * A missing file gives an empty table (loaded = false) and 0; lines that do
 * not parse are skipped, as glibc does. -1 only on memory failure. */
int hosts_load(struct hosts_table *t, const char *path);
int hosts_parse_text(struct hosts_table *t, const char *text);
void hosts_free(struct hosts_table *t);
/* Addresses for name (ASCII case-insensitive) of family (TP_AF_UNSPEC: all), in
 * file order.  *canon gets the first matching line's first name.  Returns
 * the count found (up to max). */
size_t hosts_by_name(const struct hosts_table *t, const char *name, int family, struct ipaddr *out,
                     size_t max, const char **canon);
/* The first line for an address, or NULL. */
const struct hosts_line *hosts_by_addr(const struct hosts_table *t, const struct ipaddr *a);

/* ---- services and protocols (services.c) ---- */

/* proto NULL or "" = any.  Return 0 and the value, -1 if unknown. */
int services_by_name(const char *name, const char *proto, uint16_t *port);
int services_by_port(uint16_t port, const char *proto, char *name, size_t cap);
int protocols_by_name(const char *name, int *number);
/* Where they come from (tests point these at their own files). NULL: defaults. */
void services_set_paths(const char *services, const char *protocols);

/* ---- resolv.conf (resolv_conf.c) ---- */

struct resolv_conf {
    struct endpoint servers[RESOLV_MAX_SERVERS];
    int n_servers;
    char search[RESOLV_MAX_SEARCH][DNS_TEXT_MAX / 4];
    int n_search;
    int ndots;                       /* default 1 */
    int timeout_ms;                  /* first try per server; default 5000 */
    int attempts;                    /* rounds over all servers; default 2 */
    bool rotate;                     /* start at a different server each query */
    bool edns0;                      /* advertise RESOLV_EDNS_UDP_SIZE */
    bool use_vc;                     /* TCP only */
    bool no_cache;
};

void resolv_conf_defaults(struct resolv_conf *rc);
/* Parses resolv.conf text over rc's current values.  Unknown lines are
 * ignored (as glibc does); a malformed nameserver is ignored too.  Returns
 * the number of lines used. */
int resolv_conf_parse(struct resolv_conf *rc, const char *text);
/* Reads a file; -1 if it cannot be read. */
int resolv_conf_load(struct resolv_conf *rc, const char *path);
/* "198.18.0.1,fd00:198:18::1" or with ports ("198.18.0.1#5353",
 * "[fd00:198:18::1]:5353"): replaces the server list. -1 on a bad list. */
int resolv_conf_set_servers(struct resolv_conf *rc, const char *list);
/* The runner's configuration keys dns=, dns_search=, dns_options=: 1 if key
 * is one of them (and applied), 0 if not ours, -1 if the value is bad. */
int resolv_conf_key(struct resolv_conf *rc, const char *key, const char *value);

/* ---- transport (resolver_net.c, or a fake in tests) ---- */

struct dns_transport {
    /* One UDP exchange: send q to server from a fresh socket on a random
     * port, then deliver every datagram that arrives from the server to
     * accept() until it returns true or the deadline (µs, tapir_now_us
     * clock) passes.  Returns 0 when accept() took one, -ETIMEDOUT, or
     * another -errno (ECONNREFUSED from an ICMP error, ...). */
    int (*udp)(void *ctx, const struct endpoint *server, const uint8_t *q, size_t qlen,
               uint64_t deadline_us,
               bool (*accept)(void *arg, const uint8_t *msg, size_t len), void *arg);
    /* One TCP exchange (RFC 1035 4.2.2: two-byte length prefix). Returns
     * the response length, or -errno. */
    ssize_t (*tcp)(void *ctx, const struct endpoint *server, const uint8_t *q, size_t qlen,
                   uint8_t *resp, size_t cap, uint64_t deadline_us);
    uint64_t (*now_us)(void *ctx);
    /* 16 unpredictable bits for a query ID. */
    uint16_t (*random16)(void *ctx);
    void *ctx;
};

/* ---- the stub resolver (resolver.c) ---- */

struct dns_stats {
    uint64_t queries, udp_sent, tcp_sent, timeouts, tc_retries;
    uint64_t rx_bad;                 /* unparseable datagrams */
    uint64_t rx_mismatch;            /* wrong ID or question: ignored */
    uint64_t server_errors;          /* SERVFAIL, REFUSED, ... or a malformed matched answer */
    uint64_t cache_hits, cache_neg_hits, cache_evictions;
};

struct cache_entry;

struct dns_resolver {
    pthread_mutex_t lock;            /* guards conf, cache, stats */
    struct resolv_conf conf;
    struct dns_transport tr;
    struct cache_entry *cache;       /* RESOLV_CACHE_MAX slots */
    size_t n_cache;
    unsigned next_server;            /* for "options rotate" */
    struct dns_stats stats;
    /* Called with one line per step when not NULL (tapir-host -v). */
    void (*trace)(void *ctx, const char *line);
    void *trace_ctx;
};

/* What one lookup found. */
struct dns_result {
    int status;                      /* 0, or an EAI_* value (negative) */
    char canon[DNS_TEXT_MAX];        /* end of the CNAME chain, text */
    int n_aliases;                   /* CNAME owners crossed (gethostbyname_ex's aliaslist) */
    char aliases[RESOLV_MAX_CHAIN][DNS_TEXT_MAX / 4];
    size_t n;
    struct ipaddr addrs[RESOLV_MAX_ADDRS];       /* for A / AAAA */
    char names[RESOLV_MAX_PTR][DNS_TEXT_MAX / 4]; /* for PTR */
    bool from_cache;
};

void dns_resolver_init(struct dns_resolver *r, const struct dns_transport *tr);
void dns_resolver_destroy(struct dns_resolver *r);
void dns_resolver_flush(struct dns_resolver *r);
/* One fully qualified name and type (A, AAAA, PTR): cache, then the servers.
 * deadline_us: UINT64_MAX for none (resolv.conf's schedule alone).
 * status EAI_NONAME (NXDOMAIN), EAI_NODATA (no record of that type),
 * EAI_AGAIN (no usable answer: timeouts, SERVFAIL, garbage), EAI_FAIL (FORMERR,
 * NOTIMP, a looping chain). */
void dns_resolve(struct dns_resolver *r, const char *name, uint16_t qtype, uint64_t deadline_us,
                 struct dns_result *out);
/* With the search list and ndots (RFC 1535 / resolv.conf(5) rules). */
void dns_resolve_search(struct dns_resolver *r, const char *name, uint16_t qtype,
                        uint64_t deadline_us, struct dns_result *out);

/* The process-wide resolver netdb.c uses (created on first use, over
 * tapir's own sockets). */
struct dns_resolver *resolver_global(void);
/* Tests: put the global resolver on another transport (NULL: tapir's). */
void resolver_set_transport(const struct dns_transport *tr);
/* The hook api/addr.c's resolve_host() calls for a name: addresses of name
 * for family, in getaddrinfo's order; count or a negative EAI code. */
int tapir_resolver_hook(const char *name, int family, struct ipaddr *out, int max);
/* The timeout of the socket call resolving a name (api/socket.c sets it
 * around addr_to_endpoint); the hook uses it instead of the default. */
void resolver_set_call_timeout(bool set, double timeout);
/* The transport over tapir's sockets (resolver_net.c). */
void resolver_net_transport(struct dns_transport *tr);

#endif
