/* The hosts file (hosts(5)): "ADDRESS CANONICAL_NAME [ALIASES...]" per line,
 * '#' to the end of a line is a comment.  Consulted before DNS, as glibc's
 * default "hosts: files dns" does.  Lines that do not parse are skipped. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/resolver_int.h"

void hosts_free(struct hosts_table *t)
{
    for (size_t i = 0; i < t->n; i++)
        for (int k = 0; k < t->lines[i].n_names; k++)
            free(t->lines[i].names[k]);
    free(t->lines);
    memset(t, 0, sizeof *t);
}

/* "fe80::1%3": an IPv6 address with a numeric scope. */
static int parse_addr(const char *s, struct ipaddr *a, uint32_t *scope)
{
    char buf[64];
    *scope = 0;
    const char *pct = strchr(s, '%');
    if (!pct)
        return ipaddr_parse(s, a);
    size_t n = (size_t)(pct - s);
    if (n >= sizeof buf)
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *end;
    unsigned long v = strtoul(pct + 1, &end, 10);
    if (*end || end == pct + 1 || v > 0xffffffffu)
        return -1;
    *scope = (uint32_t)v;
    if (ipaddr_parse(buf, a) < 0 || a->family != TP_AF_INET6)
        return -1;
    return 0;
}

static int add_line(struct hosts_table *t, char *line, size_t *cap)
{
    char *hash = strchr(line, '#');
    if (hash)
        *hash = '\0';
    char *save = NULL;
    char *tok = strtok_r(line, " \t\r\n", &save);
    if (!tok)
        return 0;
    struct hosts_line hl;
    memset(&hl, 0, sizeof hl);
    if (parse_addr(tok, &hl.addr, &hl.scope_id) < 0)
        return 0;
    while ((tok = strtok_r(NULL, " \t\r\n", &save)) && hl.n_names < HOSTS_MAX_NAMES) {
        if (!(hl.names[hl.n_names] = strdup(tok)))
            goto oom;
        hl.n_names++;
    }
    if (hl.n_names == 0)
        return 0;
    if (t->n >= HOSTS_MAX_LINES)
        goto drop;
    if (t->n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        struct hosts_line *nl = realloc(t->lines, ncap * sizeof *nl);
        if (!nl)
            goto oom;
        t->lines = nl;
        *cap = ncap;
    }
    t->lines[t->n++] = hl;
    return 0;
drop:
    for (int k = 0; k < hl.n_names; k++)
        free(hl.names[k]);
    return 0;
oom:
    for (int k = 0; k < hl.n_names; k++)
        free(hl.names[k]);
    return -1;
}

int hosts_parse_text(struct hosts_table *t, const char *text)
{
    size_t cap = 0;
    hosts_free(t);
    t->loaded = true;
    while (*text) {
        const char *nl = strchr(text, '\n');
        size_t n = nl ? (size_t)(nl - text) : strlen(text);
        char *line = strndup(text, n);
        if (!line || add_line(t, line, &cap) < 0) {
            free(line);
            return -1;
        }
        free(line);
        text += n + (nl ? 1 : 0);
    }
    return 0;
}

int hosts_load(struct hosts_table *t, const char *path)
{
    hosts_free(t);
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    size_t cap = 0;
    char *line = NULL;
    size_t lcap = 0;
    int rc = 0;
    while (getline(&line, &lcap, f) > 0)
        if ((rc = add_line(t, line, &cap)) < 0)
            break;
    free(line);
    fclose(f);
    t->loaded = true;
    return rc;
}

/* Names compare without ASCII case; "localhost." is not "localhost" in a
 * hosts file (glibc's files backend compares the text as it is). */
static bool name_eq(const char *a, const char *b)
{
    return strcasecmp(a, b) == 0;
}

size_t hosts_by_name(const struct hosts_table *t, const char *name, int family, struct ipaddr *out,
                     size_t max, const char **canon)
{
    size_t n = 0;
    if (canon)
        *canon = NULL;
    for (size_t i = 0; i < t->n; i++) {
        const struct hosts_line *l = &t->lines[i];
        if (family != TP_AF_UNSPEC && l->addr.family != family)
            continue;
        for (int k = 0; k < l->n_names; k++) {
            if (!name_eq(l->names[k], name))
                continue;
            if (canon && !*canon)
                *canon = l->names[0];
            bool dup = false;
            for (size_t j = 0; j < n && j < max; j++)
                dup |= ipaddr_eq(&out[j], &l->addr);
            if (!dup && n < max)
                out[n++] = l->addr;
            break;
        }
    }
    return n;
}

const struct hosts_line *hosts_by_addr(const struct hosts_table *t, const struct ipaddr *a)
{
    for (size_t i = 0; i < t->n; i++)
        if (ipaddr_eq(&t->lines[i].addr, a))
            return &t->lines[i];
    return NULL;
}
