/* tapir-drill: runs packetdrill scripts against tapir, in-process, on a
 * virtual clock: no root, no TUN device, no waiting for real time.
 *
 *   tapir-drill [--verbose] [--parse-only] [--seed=N] script.pkt...
 *
 * Prints one line per script: "PASS path" or "FAIL path: reason" (the
 * reason in packetdrill's form: script:line, expected vs actual packet).
 * Exit status 0 when every script passed, 1 otherwise, 2 on usage errors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/drill/drill.h"
#include "tests/drill/run.h"

static void usage(void)
{
    fprintf(stderr,
            "usage: tapir-drill [--verbose] [--parse-only] [--seed=N] script.pkt...\n"
            "  Runs packetdrill scripts against tapir's TCP in-process on a virtual clock.\n"
            "  --verbose     print every event, packet and system call as it runs\n"
            "  --parse-only  only parse the scripts (and print their events)\n"
            "  --seed=N      the stack's random seed (default 1)\n");
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf)
            abort();
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    fclose(f);
    buf[n < cap ? n : cap - 1] = '\0';
    *len = n;
    return buf;
}

static void dump_events(const struct script *s)
{
    for (const struct script_option *o = s->options; o; o = o->next)
        printf("  option --%s%s%s\n", o->name, o->value ? "=" : "", o->value ? o->value : "");
    if (s->init_command)
        printf("  init `%s`\n", s->init_command);
    for (const struct event *e = s->events; e; e = e->next) {
        char t[64], buf[1024];
        switch (e->time_type) {
        case TIME_ANY: snprintf(t, sizeof t, "*"); break;
        case TIME_ABS: snprintf(t, sizeof t, "%.6f", e->t / 1e6); break;
        case TIME_REL: snprintf(t, sizeof t, "+%.6f", e->t / 1e6); break;
        case TIME_ABS_RANGE: snprintf(t, sizeof t, "%.6f~%.6f", e->t / 1e6, e->t_end / 1e6); break;
        case TIME_REL_RANGE: snprintf(t, sizeof t, "+%.6f~+%.6f", e->t / 1e6, e->t_end / 1e6); break;
        }
        printf("  %4d %-22s ", e->line, t);
        switch (e->type) {
        case EV_PACKET:
            printf("%c %s\n", e->pkt.inbound ? '<' : '>', dr_packet_str(&e->pkt, buf, sizeof buf));
            break;
        case EV_SYSCALL: {
            if (e->sc.end_usecs != NO_END_TIME)
                printf("...%.6f ", e->sc.end_usecs / 1e6);
            printf("%s(", e->sc.name);
            for (int i = 0; i < e->sc.n_args; i++)
                printf("%s%s", i ? ", " : "", expr_str(e->sc.args[i], buf, sizeof buf));
            printf(") = %s", expr_str(e->sc.result, buf, sizeof buf));
            if (e->sc.errno_name)
                printf(" %s", e->sc.errno_name);
            if (e->sc.note)
                printf(" (%s)", e->sc.note);
            printf("\n");
            break;
        }
        case EV_CODE: printf("%%{ %s }%%\n", e->text); break;
        case EV_COMMAND: printf("`%s`\n", e->text); break;
        }
    }
    if (s->cleanup_command)
        printf("  cleanup `%s`\n", s->cleanup_command);
}

int main(int argc, char **argv)
{
    struct drill_opts opts = {.seed = 1};
    bool parse_only = false;
    int first = 1, failed = 0, n_scripts = 0;
    for (; first < argc && argv[first][0] == '-' && argv[first][1]; first++) {
        const char *a = argv[first];
        if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
            opts.verbose = true;
        } else if (strcmp(a, "--parse-only") == 0) {
            parse_only = true;
        } else if (strncmp(a, "--seed=", 7) == 0) {
            opts.seed = strtoull(a + 7, NULL, 0);
        } else if (strcmp(a, "--help") == 0) {
            usage();
            return 0;
        } else if (strcmp(a, "--") == 0) {
            first++;
            break;
        } else {
            fprintf(stderr, "tapir-drill: unknown option %s\n", a);
            usage();
            return 2;
        }
    }
    if (first >= argc) {
        usage();
        return 2;
    }
    for (int i = first; i < argc; i++) {
        const char *path = argv[i];
        size_t len;
        char *src = read_file(path, &len);
        n_scripts++;
        if (!src) {
            printf("FAIL %s: cannot read: %s\n", path, strerror(errno));
            failed++;
            continue;
        }
        struct script s;
        char err[1024];
        if (parse_script(path, src, len, &s, err, sizeof err) != 0) {
            printf("FAIL %s: parse error: %s\n", path, err);
            failed++;
            free(src);
            continue;
        }
        if (parse_only) {
            printf("PARSED %s\n", path);
            if (opts.verbose)
                dump_events(&s);
        } else {
            char reason[4096];
            if (drill_run(&s, &opts, reason, sizeof reason) == 0) {
                printf("PASS %s\n", path);
            } else {
                if (strncmp(reason, path, strlen(path)) == 0)
                    printf("FAIL %s\n", reason);
                else
                    printf("FAIL %s: %s\n", path, reason);
                failed++;
            }
        }
        fflush(stdout);
        script_free(&s);
        free(src);
    }
    if (n_scripts > 1)
        printf("tapir-drill: %d passed, %d failed\n", n_scripts - failed, failed);
    return failed ? 1 : 0;
}
