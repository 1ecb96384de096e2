/* tapir-simdemo: the demo's show without a TAP device.  Two tapir stacks,
 * each on its own runner, joined by memlink (the in-process wire, here with
 * a 1 ms delay): A (198.18.0.1) pings B (198.18.0.2), then B pings A.  A's
 * frames are traced to stderr and captured to a pcap file.
 *
 *   tapir-simdemo [--capture FILE] [-c COUNT]
 *
 * TEMPORARY (like tapir-ping): echo requests go through the stack's sock_*
 * layer under the runner lock until api/tapir.h lands.
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "api/runner.h"
#include "drivers/memlink.h"
#include "stack/addr.h"
#include "stack/checksum.h"
#include "stack/counters.h"
#include "stack/socket.h"

struct pinger {
    tapir_runner *r;
    struct sock *s;
    pthread_cond_t cv;
};

static void wake(struct sock *s, void *ctx)
{
    (void)s;
    pthread_cond_broadcast(&((struct pinger *)ctx)->cv);
}

static int ping(tapir_runner *r, const char *name, uint32_t dst, int count)
{
    struct pinger p = {.r = r};
    tapir_runner_cond_init(&p.cv);
    struct stack *st = tapir_runner_lock(r);
    int rc = sock_create(st, TP_AF_INET, SOCK_RAW, IPPROTO_ICMP, &p.s);
    if (rc == 0)
        sock_set_wake(p.s, wake, &p);
    tapir_runner_unlock(r);
    if (rc < 0) {
        fprintf(stderr, "raw socket: %s\n", strerror(-rc));
        return 0;
    }
    char ds[IPADDR_STRLEN];
    struct ipaddr d = ip4(dst);
    ipaddr_str(&d, ds);
    printf("%s: PING %s 56(84) bytes of data.\n", name, ds);
    int got = 0;
    for (int seq = 1; seq <= count; seq++) {
        uint8_t m[64] = {8, 0, 0, 0, 0x12, 0x34, 0, (uint8_t)seq};
        for (int i = 8; i < 64; i++)
            m[i] = (uint8_t)i;
        uint16_t c = csum_finish(csum_add(0, m, sizeof m));
        m[2] = (uint8_t)(c >> 8);
        m[3] = (uint8_t)c;
        struct endpoint to = {.addr = d};
        uint64_t t0 = tapir_now_us(), until = t0 + 1000000;
        tapir_runner_lock(r);
        sock_send(p.s, m, sizeof m, 0, &to);
        uint8_t buf[2048];
        for (;;) {
            ssize_t n = sock_recv(p.s, buf, sizeof buf, 0, NULL, NULL);
            if (n > 0) {
                size_t ihl = (size_t)(buf[0] & 15) * 4;
                const uint8_t *ic = buf + ihl;
                if ((size_t)n >= ihl + 8 && ic[0] == 0 && ic[7] == seq && ic[4] == 0x12) {
                    printf("%s: %zu bytes from %s: icmp_seq=%d ttl=%u time=%.3f ms\n", name,
                           (size_t)n - ihl, ds, seq, buf[8], (double)(tapir_now_us() - t0) / 1000.0);
                    got++;
                    break;
                }
                continue;
            }
            if (tapir_now_us() >= until) {
                printf("%s: no reply for icmp_seq=%d\n", name, seq);
                break;
            }
            tapir_runner_wait(r, &p.cv, until);
        }
        tapir_runner_unlock(r);
        fflush(stdout);
        struct timespec pause = {0, 200 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    printf("%s: %d packets transmitted, %d received, %d%% packet loss\n\n", name, count, got,
           count ? 100 * (count - got) / count : 0);
    tapir_runner_lock(r);
    sock_close(p.s);
    tapir_runner_unlock(r);
    pthread_cond_destroy(&p.cv);
    return got;
}

static void counters(tapir_runner *r, const char *name)
{
    struct tapir_counters c;
    tapir_runner_counters(r, &c);
    char *t = tapir_counters_format(&c);
    printf("%s's counters:\n%s\n", name, t ? t : "");
    free(t);
}

int main(int argc, char **argv)
{
    const char *capture = NULL;
    int count = 3;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--capture") && i + 1 < argc)
            capture = argv[++i];
        else if (!strcmp(argv[i], "-c") && i + 1 < argc)
            count = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: tapir-simdemo [--capture FILE] [-c COUNT]\n");
            return 2;
        }
    }
    struct tapir_memlink_opts o = {.seed = 1, .delay_us = 1000};
    struct tapir_memlink *m = tapir_memlink_create(&o);
    struct tapir_device *pa = tapir_memlink_port(m, "wire-a"), *pb = tapir_memlink_port(m, "wire-b");
    tapir_memlink_release(m);
    if (!pa || !pb) {
        fprintf(stderr, "tapir-simdemo: cannot make the wire\n");
        return 1;
    }
    char cfg[512];
    snprintf(cfg, sizeof cfg, "addr=198.18.0.1/24 trace=1 seed=1%s%s", capture ? " capture=" : "",
             capture ? capture : "");
    tapir_runner *a = tapir_runner_start_on(pa, cfg);
    tapir_runner *b = tapir_runner_start_on(pb, "addr=198.18.0.2/24 seed=2");
    if (!a || !b) {
        fprintf(stderr, "tapir-simdemo: cannot start the stacks\n");
        return 1;
    }
    printf("Two tapir stacks on a simulated wire (memlink, 1 ms one way):\n"
           "  A = 198.18.0.1 (its frames are traced below, lines with tx/rx)\n"
           "  B = 198.18.0.2\n\n");
    fflush(stdout);
    int ok = ping(a, "A", IP4(198, 18, 0, 2), count);
    ok += ping(b, "B", IP4(198, 18, 0, 1), count);
    counters(a, "A");
    counters(b, "B");
    tapir_runner_stop(a);
    tapir_runner_stop(b);
    return ok == 2 * count ? 0 : 1;
}
