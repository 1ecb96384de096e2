/* Reads getaddrinfo / getnameinfo cases (one a line, as
 * tests/interop/resolver_gai_cases.py lists them) and prints tapir's results
 * in the same form as the script prints Python's, for a diff. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/tapir.h"

static const char *field(char **p)
{
    char *s = *p, *bar = strchr(s, '|');
    if (bar) {
        *bar = '\0';
        *p = bar + 1;
    } else {
        *p = s + strlen(s);
    }
    for (char *c = s; *c; c++)
        if (*c == '!')
            *c = '|';
    return strcmp(s, "-") == 0 ? NULL : s;
}

static void print_error(void)
{
    const tapir_error *e = tapir_last_error();
    if (e->kind == TAPIR_ERR_GAIERROR)
        printf("gaierror %d %s\n", e->code, tapir_gai_text(e->code));
    else if (e->kind == TAPIR_ERR_HERROR)
        printf("herror %d %s\n", e->code, tapir_herror_text(e->code));
    else if (e->kind == TAPIR_ERR_VALUE)
        printf("ValueError\n");
    else if (e->kind == TAPIR_ERR_OVERFLOW)
        printf("OverflowError %s\n", e->message);
    else
        printf("OSError %s\n", e->message);
}

int main(void)
{
    char line[2048];
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = '\0';
        printf("%s => ", line);
        char *p = line + 4;
        if (strncmp(line, "gai ", 4) == 0) {
            const char *host = field(&p), *port = field(&p);
            int family = atoi(field(&p)), type = atoi(field(&p)), proto = atoi(field(&p));
            int flags = atoi(field(&p));
            tapir_addrinfo *ai;
            int n = tapir_getaddrinfo(host, port, family, type, proto, flags, &ai);
            if (n < 0) {
                print_error();
                continue;
            }
            for (int i = 0; i < n; i++) {
                const tapir_addr *a = &ai[i].addr;
                printf("%s%d,%d,%d,%s,", i ? " " : "", ai[i].family, ai[i].type, ai[i].proto, ai[i].canonname);
                if (ai[i].family == TAPIR_AF_INET6)
                    printf("(%s,%d,%u,%u)", a->host, a->port, a->flowinfo, a->scope_id);
                else
                    printf("(%s,%d)", a->host, a->port);
            }
            printf("\n");
            tapir_freeaddrinfo(ai);
        } else if (strncmp(line, "gni ", 4) != 0) {
            /* ghn / ghx / gha NAME, gsn NAME|PROTO, gsp PORT|PROTO, gpn NAME */
            char kind[4];
            memcpy(kind, line, 3);
            kind[3] = '\0';
            if (!strcmp(kind, "ghn")) {
                char ip[64];
                if (tapir_gethostbyname(p, ip, sizeof ip) < 0)
                    print_error();
                else
                    printf("%s\n", ip);
            } else if (!strcmp(kind, "ghx") || !strcmp(kind, "gha")) {
                tapir_hostent *h = !strcmp(kind, "ghx") ? tapir_gethostbyname_ex(p) : tapir_gethostbyaddr(p);
                if (!h) {
                    print_error();
                    continue;
                }
                printf("%s [", h->name);
                for (int i = 0; i < h->n_aliases; i++)
                    printf("%s%s", i ? "," : "", h->aliases[i]);
                printf("] [");
                for (int i = 0; i < h->n_addrs; i++)
                    printf("%s%s", i ? "," : "", h->addrs[i]);
                printf("]\n");
                tapir_freehostent(h);
            } else if (!strcmp(kind, "gpn")) {
                int v = tapir_getprotobyname(p);
                if (v < 0)
                    print_error();
                else
                    printf("%d\n", v);
            } else {
                const char *a = field(&p), *proto = field(&p);
                if (!strcmp(kind, "gsn")) {
                    int v = tapir_getservbyname(a, proto);
                    if (v < 0)
                        print_error();
                    else
                        printf("%d\n", v);
                } else {
                    char name[64];
                    if (tapir_getservbyport(atoi(a), proto, name, sizeof name) < 0)
                        print_error();
                    else
                        printf("%s\n", name);
                }
            }
        } else {
            char *bar = strrchr(p, '|');
            int flags = atoi(bar + 1);
            *bar = '\0';
            char *parts[4];
            int n = 0;
            for (char *t = strtok(p, ","); t && n < 4; t = strtok(NULL, ","))
                parts[n++] = t;
            tapir_addr sa;
            if (n == 4)
                tapir_addr_set6(&sa, parts[0], atoi(parts[1]), (uint32_t)strtoul(parts[2], NULL, 10),
                                (uint32_t)strtoul(parts[3], NULL, 10));
            else
                tapir_addr_set(&sa, parts[0], atoi(parts[1]));
            sa.family = n == 4 ? TAPIR_AF_INET6 : 0;
            char host[TAPIR_NI_MAXHOST], serv[TAPIR_NI_MAXSERV];
            if (tapir_getnameinfo(&sa, flags, host, sizeof host, serv, sizeof serv) < 0)
                print_error();
            else
                printf("%s %s\n", host, serv);
        }
    }
    return 0;
}
