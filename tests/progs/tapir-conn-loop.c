/* Opens and closes many TCP connections against a kernel peer, then checks
 * that the stack holds no state any more (its gauges back to zero), for the
 * interop test tcp_conn_loop.  Public API only.
 *
 *   tapir-conn-loop DEVICE-OPTIONS client HOST PORT N   tapir connects N times
 *   tapir-conn-loop DEVICE-OPTIONS server PORT N        tapir accepts N connections
 *
 * Each connection carries one line, "<i> <how>\n", from the client, echoed
 * back by the server; then it ends one of four ways, chosen by i % 4, so
 * every close path is exercised on both sides:
 *   0  the client closes first (its side goes through TIME_WAIT)
 *   1  the server closes first ("c" in the line: TIME_WAIT on the server)
 *   2  the client aborts: SO_LINGER 0, RST
 *   3  the client half-closes (shutdown SHUT_WR), reads the server's EOF,
 *      then closes (TIME_WAIT on the client)
 * The kernel side (tests/interop/tcp_conn_peer.py) plays the other role.
 *
 * At the end (the listener closed too) it waits, at most the TIME_WAIT
 * length plus --settle seconds, for every gauge to read zero, prints them
 * and the counters, and exits 0 only if all are zero and the opens counted
 * match N.  Use tcp_timewait_ms= (--config) to keep the wait short.
 * Prints "N connections in S s (R/s)" for the figures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/tapir.h"

static const char *prog = "tapir-conn-loop";

static int die(const char *what, int i)
{
    fprintf(stderr, "%s: connection %d: %s: %s\n", prog, i, what, tapir_strerror());
    return 1;
}

/* Reads one line (up to '\n') into buf; 0, or -1 (error set or EOF: *eof). */
static int read_line(int s, char *buf, size_t cap, bool *eof)
{
    size_t n = 0;
    *eof = false;
    while (n + 1 < cap) {
        ssize_t k = tapir_recv(s, buf + n, 1, 0);
        if (k < 0)
            return -1;
        if (k == 0) {
            *eof = true;
            return -1;
        }
        if (buf[n++] == '\n')
            break;
    }
    buf[n] = 0;
    return 0;
}

/* Reads until EOF; 0 at EOF, -1 on an error. */
static int read_eof(int s)
{
    char b[256];
    for (;;) {
        ssize_t k = tapir_recv(s, b, sizeof b, 0);
        if (k == 0)
            return 0;
        if (k < 0)
            return -1;
    }
}

static int one_client(const char *host, int port, int i)
{
    int s = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_STREAM, 0);
    if (s < 0)
        return die("socket", i);
    tapir_settimeout(s, 10.0);
    if (tapir_connect(s, TAPIR_ADDR(host, port)) < 0)
        return die("connect", i);
    int how = i % 4;
    char line[64], echo[64];
    int len = snprintf(line, sizeof line, "%d %s\n", i, how == 1 ? "c" : "w");
    if (tapir_sendall(s, line, (size_t)len, 0) < 0)
        return die("sendall", i);
    bool eof;
    if (read_line(s, echo, sizeof echo, &eof) < 0)
        return eof ? (fprintf(stderr, "%s: connection %d: EOF before the echo\n", prog, i), 1)
                   : die("recv", i);
    if (strcmp(echo, line)) {
        fprintf(stderr, "%s: connection %d: echo differs: '%s'\n", prog, i, echo);
        return 1;
    }
    switch (how) {
    case 1:
        if (read_eof(s) < 0)
            return die("recv (waiting for the server's FIN)", i);
        break;
    case 2: {
        int lin[2] = {1, 0}; /* struct linger {l_onoff, l_linger} */
        if (tapir_setsockopt(s, TAPIR_SOL_SOCKET, TAPIR_SO_LINGER, lin, sizeof lin) < 0)
            return die("setsockopt SO_LINGER", i);
        break;
    }
    case 3:
        if (tapir_shutdown(s, TAPIR_SHUT_WR) < 0)
            return die("shutdown", i);
        if (read_eof(s) < 0)
            return die("recv (after our shutdown)", i);
        break;
    }
    if (tapir_close(s) < 0)
        return die("close", i);
    return 0;
}

static int one_server(int l, int i)
{
    tapir_addr peer;
    int s = tapir_accept(l, &peer);
    if (s < 0)
        return die("accept", i);
    tapir_settimeout(s, 10.0);
    char line[64];
    bool eof;
    if (read_line(s, line, sizeof line, &eof) < 0)
        return eof ? (fprintf(stderr, "%s: connection %d: EOF before the line\n", prog, i), 1) : die("recv", i);
    if (tapir_sendall(s, line, strlen(line), 0) < 0)
        return die("sendall", i);
    if (!strstr(line, " c\n")) {
        /* The client ends it: FIN (maybe after a half-close) or RST. */
        if (read_eof(s) < 0 && tapir_errno() != 104 /* ECONNRESET: the client's abort */)
            return die("recv (waiting for the client's end)", i);
    }
    if (tapir_close(s) < 0)
        return die("close", i);
    return 0;
}

static bool all_zero(const struct tapir_gauges *g)
{
    static const struct tapir_gauges zero;
    return memcmp(g, &zero, sizeof zero) == 0;
}

int main(int argc, char **argv)
{
    char *config = tapir_runner_config_from_args(&argc, argv);
    if (!config)
        return 2;
    double settle = 5.0;
    int a = 1;
    if (a + 1 < argc && !strcmp(argv[a], "--settle")) {
        settle = atof(argv[a + 1]);
        a += 2;
    }
    bool client = a < argc && !strcmp(argv[a], "client");
    bool server = a < argc && !strcmp(argv[a], "server");
    if (!((client && argc - a == 4) || (server && argc - a == 3))) {
        fprintf(stderr, "usage: %s DEVICE-OPTIONS [--settle S] client HOST PORT N | server PORT N\n", prog);
        return 2;
    }
    const char *host = client ? argv[a + 1] : NULL;
    int port = atoi(argv[client ? a + 2 : a + 1]);
    int n = atoi(argv[client ? a + 3 : a + 2]);
    tapir_runner *r = tapir_runner_start(config);
    free(config);
    if (!r) {
        fprintf(stderr, "%s: %s\n", prog, tapir_strerror());
        return 1;
    }
    int rc = 0;
    int l = -1;
    if (server) {
        l = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_STREAM, 0);
        if (l < 0 || tapir_setsockopt_int(l, TAPIR_SOL_SOCKET, TAPIR_SO_REUSEADDR, 1) < 0 ||
            tapir_bind(l, TAPIR_ADDR("", port)) < 0 || tapir_listen(l, 16) < 0) {
            fprintf(stderr, "%s: listen: %s\n", prog, tapir_strerror());
            tapir_runner_stop(r);
            return 1;
        }
        tapir_settimeout(l, 30.0);
        printf("listening on %d\n", port);
        fflush(stdout);
    }
    uint64_t t0 = tapir_now_us();
    int done = 0;
    for (; done < n && rc == 0; done++)
        rc = client ? one_client(host, port, done) : one_server(l, done);
    if (rc)
        done--;
    double secs = (double)(tapir_now_us() - t0) / 1e6;
    printf("%d connections in %.3f s (%.0f/s)\n", done, secs, secs > 0 ? done / secs : 0.0);
    if (l >= 0)
        tapir_close(l);

    /* TIME_WAIT ends after its length; give it that plus settle seconds. */
    struct tapir_gauges g;
    uint64_t t1 = tapir_now_us();
    uint64_t limit = t1 + (uint64_t)(settle * 1e6);
    for (;;) {
        tapir_runner_gauges(r, &g);
        if (all_zero(&g) || tapir_now_us() >= limit)
            break;
        nanosleep(&(struct timespec){.tv_nsec = 50000000}, NULL);
    }
    printf("gauges after %.1f s:\n", (double)(tapir_now_us() - t1) / 1e6);
    char *text = tapir_gauges_format(&g);
    fputs(text ? text : "?\n", stdout);
    free(text);
    struct tapir_counters c;
    tapir_runner_counters(r, &c);
    printf("tcp_active_opens %llu tcp_passive_opens %llu tcp_estab_resets %llu tcp_rst_tx %llu "
           "tcp_retransmits %llu\n",
           (unsigned long long)c.tcp_active_opens, (unsigned long long)c.tcp_passive_opens,
           (unsigned long long)c.tcp_estab_resets, (unsigned long long)c.tcp_rst_tx,
           (unsigned long long)c.tcp_retransmits);
    if (rc == 0 && !all_zero(&g)) {
        printf("LEAK: the stack still holds state after every socket was closed\n");
        rc = 1;
    }
    uint64_t opens = client ? c.tcp_active_opens : c.tcp_passive_opens;
    if (rc == 0 && opens != (uint64_t)n) {
        printf("%s opens counted: %llu, expected %d\n", client ? "active" : "passive", (unsigned long long)opens, n);
        rc = 1;
    }
    fflush(stdout);
    tapir_runner_stop(r);
    if (rc == 0)
        printf("ok\n");
    return rc;
}
