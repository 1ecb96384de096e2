/* Service and protocol names: /etc/services ("NAME PORT/PROTO [ALIASES]")
 * and /etc/protocols ("NAME NUMBER [ALIASES]"), read at each call so an
 * edit is seen at once (the files are small); a built-in table of the
 * common ones when the files are missing (a minimal container). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/resolver_int.h"

static const char *services_path = "/etc/services";
static const char *protocols_path = "/etc/protocols";

void services_set_paths(const char *services, const char *protocols)
{
    services_path = services ? services : "/etc/services";
    protocols_path = protocols ? protocols : "/etc/protocols";
}

/* The built-in fallback: the lines of a typical /etc/services that matter. */
static const char *const builtin_services =
    "echo 7/tcp\necho 7/udp\ndiscard 9/tcp sink null\ndiscard 9/udp sink null\n"
    "daytime 13/tcp\ndaytime 13/udp\nchargen 19/tcp ttytst source\nchargen 19/udp ttytst source\n"
    "ftp-data 20/tcp\nftp 21/tcp\nssh 22/tcp\ntelnet 23/tcp\nsmtp 25/tcp mail\n"
    "time 37/tcp timserver\ntime 37/udp timserver\nwhois 43/tcp nicname\n"
    "domain 53/tcp\ndomain 53/udp\nbootps 67/udp\nbootpc 68/udp\ntftp 69/udp\n"
    "gopher 70/tcp\nfinger 79/tcp\nhttp 80/tcp www\nkerberos 88/tcp kerberos5 krb5 kerberos-sec\n"
    "kerberos 88/udp kerberos5 krb5 kerberos-sec\npop3 110/tcp pop-3\nsunrpc 111/tcp portmapper\n"
    "sunrpc 111/udp portmapper\nauth 113/tcp authentication tap ident\nnntp 119/tcp readnews untp\n"
    "ntp 123/udp\nnetbios-ns 137/udp\nimap2 143/tcp imap\nsnmp 161/tcp\nsnmp 161/udp\n"
    "snmp-trap 162/tcp snmptrap\nsnmp-trap 162/udp snmptrap\nbgp 179/tcp\nldap 389/tcp\n"
    "ldap 389/udp\nhttps 443/tcp\nhttps 443/udp\nsubmissions 465/tcp ssmtp smtps urd\n"
    "syslog 514/udp\nsubmission 587/tcp\nldaps 636/tcp\nimaps 993/tcp\npop3s 995/tcp\n"
    "socks 1080/tcp\nopenvpn 1194/tcp\nopenvpn 1194/udp\nmysql 3306/tcp\npostgresql 5432/tcp\n"
    "x11 6000/tcp x11-0\nhttp-alt 8080/tcp webcache\n";

static const char *const builtin_protocols =
    "ip 0 IP\nicmp 1 ICMP\nigmp 2 IGMP\ntcp 6 TCP\nudp 17 UDP\nipv6 41 IPv6\n"
    "ipv6-route 43 IPv6-Route\nipv6-frag 44 IPv6-Frag\ngre 47 GRE\nesp 50 IPSEC-ESP\n"
    "ah 51 IPSEC-AH\nipv6-icmp 58 IPv6-ICMP\nipv6-nonxt 59 IPv6-NoNxt\nipv6-opts 60 IPv6-Opts\n"
    "sctp 132 SCTP\nudplite 136 UDPLite\n";

/* Calls fn on each line's fields (comments gone); stops when fn returns 1. */
typedef int (*line_fn)(char **f, int n, void *arg);

static int for_each_line(const char *path, const char *builtin, line_fn fn, void *arg)
{
    FILE *f = fopen(path, "re");
    FILE *mem = NULL;
    if (!f)
        f = mem = fmemopen((void *)builtin, strlen(builtin), "r");
    if (!f)
        return -1;
    char *line = NULL;
    size_t cap = 0;
    int found = 0;
    while (!found && getline(&line, &cap, f) > 0) {
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *fields[40], *save = NULL;
        int n = 0;
        for (char *t = strtok_r(line, " \t\r\n", &save); t && n < 40; t = strtok_r(NULL, " \t\r\n", &save))
            fields[n++] = t;
        if (n >= 2)
            found = fn(fields, n, arg);
    }
    free(line);
    fclose(f);
    return found ? 0 : -1;
}

struct svc_query {
    const char *name, *proto;
    long port;
    uint16_t out_port;
    char *out_name;
    size_t cap;
};

/* "80/tcp" -> port and proto; -1 if malformed. */
static int split_port(char *field, long *port, const char **proto)
{
    char *slash = strchr(field, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    char *end;
    long p = strtol(field, &end, 10);
    if (*end || end == field || p < 0 || p > 65535)
        return -1;
    *port = p;
    *proto = slash + 1;
    return 0;
}

static bool proto_ok(const char *want, const char *have)
{
    return !want || !*want || strcmp(want, have) == 0;
}

static int by_name_fn(char **f, int n, void *arg)
{
    struct svc_query *q = arg;
    long port;
    const char *proto;
    if (split_port(f[1], &port, &proto) < 0 || !proto_ok(q->proto, proto))
        return 0;
    for (int i = 0; i < n; i++) {
        if (i == 1)
            continue;
        if (strcmp(f[i], q->name) == 0) {
            q->out_port = (uint16_t)port;
            return 1;
        }
    }
    return 0;
}

int services_by_name(const char *name, const char *proto, uint16_t *port)
{
    struct svc_query q = {.name = name, .proto = proto};
    if (for_each_line(services_path, builtin_services, by_name_fn, &q) < 0)
        return -1;
    *port = q.out_port;
    return 0;
}

static int by_port_fn(char **f, int n, void *arg)
{
    (void)n;
    struct svc_query *q = arg;
    long port;
    const char *proto;
    if (split_port(f[1], &port, &proto) < 0 || !proto_ok(q->proto, proto) || port != q->port)
        return 0;
    snprintf(q->out_name, q->cap, "%s", f[0]);
    return 1;
}

int services_by_port(uint16_t port, const char *proto, char *name, size_t cap)
{
    struct svc_query q = {.proto = proto, .port = port, .out_name = name, .cap = cap};
    return for_each_line(services_path, builtin_services, by_port_fn, &q);
}

static int proto_fn(char **f, int n, void *arg)
{
    struct svc_query *q = arg;
    char *end;
    long v = strtol(f[1], &end, 10);
    if (*end || v < 0 || v > 255)
        return 0;
    for (int i = 0; i < n; i++) {
        if (i != 1 && strcmp(f[i], q->name) == 0) {
            q->port = v;
            return 1;
        }
    }
    return 0;
}

int protocols_by_name(const char *name, int *number)
{
    struct svc_query q = {.name = name};
    if (for_each_line(protocols_path, builtin_protocols, proto_fn, &q) < 0)
        return -1;
    *number = (int)q.port;
    return 0;
}
