/* tapir_counters_format: the stack's counters as `netstat -s`-like text;
 * tapir_gauges_format: the state it holds now, one line per gauge. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/runner.h"
#include "stack/counters.h"

/* netstat -s groups counters by protocol; ours are grouped by the name's
 * prefix (eth_, arp_, ip_, icmp_, udp_, tcp_, ip6_ ...). */
static const char *section(const char *name, char *buf, size_t n)
{
    static const struct {
        const char *prefix, *title;
    } known[] = {{"eth", "Link"}, {"arp", "Arp"}, {"ip", "Ip"}, {"icmp", "Icmp"},
                 {"udp", "Udp"},  {"tcp", "Tcp"}, {"ip6", "Ip6"}, {"icmp6", "Icmp6"}};
    size_t len = strcspn(name, "_");
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strlen(known[i].prefix) == len && !strncmp(name, known[i].prefix, len))
            return known[i].title;
    snprintf(buf, n, "%.*s", (int)len, name);
    if (buf[0] >= 'a' && buf[0] <= 'z')
        buf[0] = (char)(buf[0] - 'a' + 'A');
    return buf;
}

/* Runs write(f, arg) on a memory stream and returns its text (caller
 * frees), or NULL. */
static char *text_of(void (*write)(FILE *f, const void *arg), const void *arg)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    if (!f)
        return NULL;
    write(f, arg);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

static void write_counters(FILE *f, const void *arg)
{
    const struct tapir_counters *c = arg;
    char last[32] = "", sbuf[32];
#define TAPIR_COUNTER_LINE(name, desc)                                                             \
    if (c->name) {                                                                                 \
        const char *s = section(#name, sbuf, sizeof sbuf);                                         \
        if (strcmp(s, last)) {                                                                     \
            fprintf(f, "%s:\n", s);                                                                \
            snprintf(last, sizeof last, "%s", s);                                                  \
        }                                                                                          \
        fprintf(f, "    %llu %s\n", (unsigned long long)c->name, desc);                            \
    }
    TAPIR_COUNTERS(TAPIR_COUNTER_LINE)
#undef TAPIR_COUNTER_LINE
}

char *tapir_counters_format(const struct tapir_counters *c)
{
    return text_of(write_counters, c);
}

static void write_gauges(FILE *f, const void *arg)
{
    const struct tapir_gauges *g = arg;
#define TAPIR_GAUGE_LINE(name, desc) fprintf(f, "%-16s %llu  %s\n", #name, (unsigned long long)g->name, desc);
    TAPIR_GAUGES(TAPIR_GAUGE_LINE)
#undef TAPIR_GAUGE_LINE
}

char *tapir_gauges_format(const struct tapir_gauges *g)
{
    return text_of(write_gauges, g);
}
