/* Name resolution with Python's functions and errors: the public part of
 * tapir's resolver (included by api/tapir.h; tapir_getaddrinfo() and
 * tapir_addrinfo are declared there).
 *
 *   Python                                       C
 *   socket.getaddrinfo('www.test', 80)           n = tapir_getaddrinfo("www.test", "80", 0, 0, 0, 0, &res);
 *   socket.getnameinfo(('198.18.0.1', 53), 0)    tapir_getnameinfo(TAPIR_ADDR("198.18.0.1", 53), 0,
 *                                                                  host, sizeof host, serv, sizeof serv);
 *   socket.gethostbyname('www.test')             tapir_gethostbyname("www.test", ip, sizeof ip);
 *   socket.gethostbyname_ex('www.test')          tapir_hostent *h = tapir_gethostbyname_ex("www.test");
 *   socket.gethostbyaddr('198.18.0.1')           h = tapir_gethostbyaddr("198.18.0.1");
 *   socket.getfqdn(), socket.gethostname()       tapir_getfqdn(NULL, buf, n), tapir_gethostname(buf, n)
 *   socket.getservbyname('http', 'tcp')          tapir_getservbyname("http", "tcp")   -> 80
 *
 * Errors, as Python raises them: socket.gaierror with EAI_* codes and glibc's
 * texts ("[Errno -2] Name or service not known", "[Errno -3] Temporary
 * failure in name resolution"); socket.herror for what gethostbyname_ex and
 * gethostbyaddr raise after the address lookup ("[Errno 1] Unknown host");
 * OSError without errno for the services table ("service/proto not found");
 * ValueError (Python's UnicodeError, from the idna codec) for a host name
 * with an empty or over-long label.
 *
 * Where names come from: the hosts file (default /etc/hosts), then DNS over
 * tapir's own UDP/TCP sockets to the configured name servers.  The kernel's
 * resolver and libc's getaddrinfo(3) are never used.  Name servers come from
 * (later wins): nothing by default (the machine's /etc/resolv.conf servers
 * are reached through the kernel, not through tapir), the resolv.conf-format
 * file named by $TAPIR_RESOLV_CONF, the runner's configuration string
 * (dns=IP[,IP] dns_search=a.test dns_options=ndots:1,timeout:2,attempts:2),
 * and tapir_resolver_configure() / tapir_resolver_load_conf().
 *
 * Blocking: a call without its own timeout is bounded by
 * tapir_getdefaulttimeout() (None: by resolv.conf's timeout and attempts);
 * running out of time gives EAI_AGAIN, as glibc does when no server answers.
 */
#ifndef TAPIR_API_RESOLVER_H
#define TAPIR_API_RESOLVER_H

#include <stddef.h>
#include <stdint.h>

#include "api/tapir.h"

#ifdef __cplusplus
extern "C" {
#endif

/* getaddrinfo() with a timeout in seconds (negative: None). */
int tapir_getaddrinfo_timeout(const char *host, const char *port, int family, int type, int proto,
                              int flags, double timeout, tapir_addrinfo **res);

/* getnameinfo(sockaddr, flags) -> (host, port).  sa->family 0 is read from the
 * host text.  host/serv buffers: TAPIR_NI_MAXHOST / TAPIR_NI_MAXSERV. */
int tapir_getnameinfo(const tapir_addr *sa, int flags, char *host, size_t hostlen, char *serv,
                      size_t servlen);

/* gethostbyname(name) -> dotted quad (IPv4 only, as Python's). */
int tapir_gethostbyname(const char *name, char *out, size_t n);

/* (hostname, aliaslist, ipaddrlist), as gethostbyname_ex / gethostbyaddr
 * return it.  Arrays are NULL-terminated; free with tapir_freehostent(). */
typedef struct tapir_hostent {
    char *name;
    char **aliases;
    int n_aliases;
    char **addrs;
    int n_addrs;
} tapir_hostent;
tapir_hostent *tapir_gethostbyname_ex(const char *name);
/* ip_address may also be a host name (resolved first, as Python does). */
tapir_hostent *tapir_gethostbyaddr(const char *ip_address);
void tapir_freehostent(tapir_hostent *h);

/* getfqdn(name=''): name NULL or "" means gethostname(). */
int tapir_getfqdn(const char *name, char *out, size_t n);
/* The stack's host name: the runner's hostname= key, tapir_sethostname(), or
 * the machine's node name. */
int tapir_gethostname(char *out, size_t n);
int tapir_sethostname(const char *name);

/* getservbyname(name, proto=None) -> port; getservbyport(port, proto=None)
 * -> name; getprotobyname(name) -> number.  proto NULL for None. -1 on error. */
int tapir_getservbyname(const char *name, const char *proto);
int tapir_getservbyport(int port, const char *proto, char *out, size_t n);
int tapir_getprotobyname(const char *name);

/* ---- configuration ---- */

/* resolv.conf text ("nameserver 198.18.0.1\noptions timeout:1"), over the
 * current settings; flushes the cache.  0, or -1 (ValueError) on bad text. */
int tapir_resolver_configure(const char *resolv_conf_text);
int tapir_resolver_load_conf(const char *path);
/* "198.18.0.1,fd00:198:18::1" ("IP#port" / "[IPv6]:port" for another port). */
int tapir_resolver_set_servers(const char *list);
/* The hosts file (NULL: /etc/hosts; "" : none). */
int tapir_resolver_set_hosts_file(const char *path);
void tapir_resolver_flush_cache(void);
/* For api/runner.c: offers one key=value of the runner's configuration.
 * Returns 1 if it was a resolver key (dns, dns_search, dns_options, hosts,
 * hostname: hostname is noted and 0 returned so the runner handles it too),
 * 0 if not, -1 (error set) on a bad value. */
int tapir_resolver_config_key(const char *key, const char *value);
/* One line per step of every lookup (tapir-host -v); NULL to stop. */
void tapir_resolver_set_trace(void (*fn)(void *ctx, const char *line), void *ctx);

typedef struct tapir_resolver_stats {
    uint64_t queries, udp_sent, tcp_sent, timeouts, tc_retries;
    uint64_t rx_bad, rx_mismatch, server_errors;
    uint64_t cache_hits, cache_neg_hits, cache_evictions;
} tapir_resolver_stats;
void tapir_resolver_get_stats(tapir_resolver_stats *out);

#ifdef __cplusplus
}
#endif

#endif
