/* tapir-simdemo: the demo's show without a TAP device.  Two tapir stacks,
 * each on its own runner, joined by memlink (the in-process wire, here with
 * a 1 ms delay): A (198.18.0.1) pings B (198.18.0.2), then B pings A, then
 * A talks TCP to an echo server on B (the Python docs' echo example, with
 * 20 KB more to show the window at work).  A's frames are traced to stderr
 * and captured to a pcap file.
 *
 *   tapir-simdemo [--capture FILE] [-c COUNT]
 *
 * Built on the public API: runners (api/runner.h) on memlink ports, raw
 * ICMP sockets and TCP sockets (api/tapir.h) on each.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/tapir.h"
#include "drivers/memlink.h"
#include "stack/counters.h"
#include "stack/tcp_info.h"

static uint16_t icmp_checksum(const uint8_t *p, size_t n)
{
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* `count` echo requests from r to dst, one every 200 ms, 1 s to answer each. */
static int ping(tapir_runner *r, const char *name, const char *dst, int count)
{
    int s = tapir_socket_on(r, TAPIR_AF_INET, TAPIR_SOCK_RAW, TAPIR_IPPROTO_ICMP);
    if (s < 0) {
        fprintf(stderr, "%s: socket: %s\n", name, tapir_strerror());
        return 0;
    }
    tapir_settimeout(s, 1.0);
    printf("%s: PING %s 56(84) bytes of data.\n", name, dst);
    int got = 0;
    for (int seq = 1; seq <= count; seq++) {
        uint8_t m[64] = {8, 0, 0, 0, 0x12, 0x34, 0, (uint8_t)seq};
        for (int i = 8; i < 64; i++)
            m[i] = (uint8_t)i;
        uint16_t c = icmp_checksum(m, sizeof m);
        m[2] = (uint8_t)(c >> 8);
        m[3] = (uint8_t)c;
        uint64_t t0 = tapir_now_us();
        if (tapir_sendto(s, m, sizeof m, 0, TAPIR_ADDR(dst, 0)) < 0)
            fprintf(stderr, "%s: sendto: %s\n", name, tapir_strerror());
        for (;;) {
            uint8_t buf[2048];
            ssize_t n = tapir_recv(s, buf, sizeof buf, 0);
            if (n < 0) {
                printf("%s: no reply for icmp_seq=%d (%s)\n", name, seq, tapir_strerror());
                break;
            }
            size_t ihl = (size_t)(buf[0] & 15) * 4; /* raw sockets give the IPv4 header */
            const uint8_t *ic = buf + ihl;
            if ((size_t)n >= ihl + 8 && ic[0] == 0 && ic[4] == 0x12 && ic[7] == seq) {
                printf("%s: %zu bytes from %s: icmp_seq=%d ttl=%u time=%.3f ms\n", name,
                       (size_t)n - ihl, dst, seq, buf[8], (double)(tapir_now_us() - t0) / 1000.0);
                got++;
                break;
            }
        }
        fflush(stdout);
        struct timespec pause = {0, 200 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    printf("%s: %d packets transmitted, %d received, %d%% packet loss\n\n", name, count, got,
           count ? 100 * (count - got) / count : 0);
    tapir_close(s);
    return got;
}

/* B's side: the echo server of Python's socket docs, one connection. */
#define ECHO_PORT 50007
struct server {
    tapir_runner *r;
    int ls;
};

static void *echo_server(void *arg)
{
    struct server *sv = arg;
    tapir_addr peer;
    int c = tapir_accept(sv->ls, &peer);
    if (c < 0) {
        fprintf(stderr, "B: accept: %s\n", tapir_strerror());
        return NULL;
    }
    char text[TAPIR_ADDR_STRLEN];
    printf("B: Connected by %s\n", tapir_addr_str(&peer, text, sizeof text));
    fflush(stdout);
    char buf[4096];
    ssize_t n;
    while ((n = tapir_recv(c, buf, sizeof buf, 0)) > 0)
        if (tapir_sendall(c, buf, (size_t)n, 0) < 0)
            break;
    tapir_close(c);
    return NULL;
}

/* A's side: send a line and 20 KB, read it all back, compare; 1 = intact. */
static int tcp_echo(tapir_runner *a, tapir_runner *b)
{
    struct server sv = {b, tapir_socket_on(b, TAPIR_AF_INET, TAPIR_SOCK_STREAM, 0)};
    if (sv.ls < 0 || tapir_bind(sv.ls, TAPIR_ADDR("", ECHO_PORT)) < 0 || tapir_listen(sv.ls, 1) < 0) {
        fprintf(stderr, "B: cannot listen: %s\n", tapir_strerror());
        return 0;
    }
    tapir_settimeout(sv.ls, 5.0);
    pthread_t th;
    if (pthread_create(&th, NULL, echo_server, &sv) != 0)
        return 0;
    int ok = 0;
    int s = tapir_socket_on(a, TAPIR_AF_INET, TAPIR_SOCK_STREAM, 0);
    tapir_settimeout(s, 5.0);
    static char out[12 + 20480], back[sizeof out];
    memcpy(out, "Hello, world", 12);
    for (size_t i = 12; i < sizeof out; i++)
        out[i] = (char)('a' + i % 26);
    size_t got = 0;
    if (tapir_connect(s, TAPIR_ADDR("198.18.0.2", ECHO_PORT)) < 0 || tapir_sendall(s, out, sizeof out, 0) < 0 ||
        tapir_shutdown(s, TAPIR_SHUT_WR) < 0) {
        fprintf(stderr, "A: %s\n", tapir_strerror());
    } else {
        ssize_t n;
        while (got < sizeof back && (n = tapir_recv(s, back + got, sizeof back - got, 0)) > 0)
            got += (size_t)n;
        ok = got == sizeof out && memcmp(out, back, got) == 0;
        printf("A: sent %zu bytes ('Hello, world' and 20 KB) to B's echo server, got %zu back%s\n", sizeof out,
               got, ok ? ", intact" : ", NOT intact");
        struct tapir_tcp_info ti;
        size_t len = sizeof ti;
        if (tapir_getsockopt(s, TAPIR_IPPROTO_TCP, TAPIR_TCP_INFO, &ti, &len) == 0)
            printf("A: TCP_INFO: rtt %.3f ms, cwnd %u segments, mss %u, %u segments out, %u retransmitted\n\n",
                   ti.tcpi_rtt / 1000.0, ti.tcpi_snd_cwnd, ti.tcpi_snd_mss, ti.tcpi_segs_out, ti.tcpi_total_retrans);
    }
    tapir_close(s);
    pthread_join(th, NULL);
    tapir_close(sv.ls);
    fflush(stdout);
    return ok;
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
        fprintf(stderr, "tapir-simdemo: cannot start the stacks: %s\n", tapir_strerror());
        return 1;
    }
    printf("Two tapir stacks on a simulated wire (memlink, 1 ms one way):\n"
           "  A = 198.18.0.1 (its frames are traced below, lines with tx/rx)\n"
           "  B = 198.18.0.2\n\n");
    fflush(stdout);
    int ok = ping(a, "A", "198.18.0.2", count);
    ok += ping(b, "B", "198.18.0.1", count);
    int tcp_ok = tcp_echo(a, b);
    counters(a, "A");
    counters(b, "B");
    tapir_runner_stop(a);
    tapir_runner_stop(b);
    return ok == 2 * count && tcp_ok ? 0 : 1;
}
