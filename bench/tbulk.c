/* tapir's side of the benchmarks: the same four modes as bench/kbulk.c, on
 * tapir's public API, so bench/run.sh compares like with like.
 *
 *   tbulk DEVICE-OPTIONS sink PORT
 *   tbulk DEVICE-OPTIONS source HOST PORT BYTES
 *   tbulk DEVICE-OPTIONS rr-server PORT
 *   tbulk DEVICE-OPTIONS rr-client HOST PORT SECONDS
 * DEVICE-OPTIONS as every tool takes them (--tap tap0 --addr 198.18.0.2/24,
 * or --config 'tap=tap0 addr=...').  Prints the same one-line results.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/tapir.h"

static double now_s(void)
{
    return (double)tapir_now_us() / 1e6;
}

static void die(const char *what)
{
    fprintf(stderr, "tbulk: %s: %s\n", what, tapir_strerror());
    exit(1);
}

static int listen_one(int port)
{
    int l = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_STREAM, 0);
    if (l < 0 || tapir_setsockopt_int(l, TAPIR_SOL_SOCKET, TAPIR_SO_REUSEADDR, 1) < 0 ||
        tapir_bind(l, TAPIR_ADDR("", port)) < 0 || tapir_listen(l, 1) < 0)
        die("listen");
    int c = tapir_accept(l, NULL);
    if (c < 0)
        die("accept");
    tapir_close(l);
    tapir_setsockopt_int(c, TAPIR_IPPROTO_TCP, TAPIR_TCP_NODELAY, 1);
    return c;
}

static int connect_to(const char *host, int port)
{
    /* The peer may still be starting: retry for a few seconds. */
    for (int i = 0;; i++) {
        int s = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_STREAM, 0);
        if (s < 0)
            die("socket");
        if (tapir_connect(s, TAPIR_ADDR(host, port)) == 0) {
            tapir_setsockopt_int(s, TAPIR_IPPROTO_TCP, TAPIR_TCP_NODELAY, 1);
            return s;
        }
        tapir_close(s);
        if (i == 50)
            die("connect");
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

int main(int argc, char **argv)
{
    char *config = tapir_runner_config_from_args(&argc, argv);
    if (!config)
        return 2;
    tapir_runner *r = tapir_runner_start(config);
    free(config);
    if (!r)
        die("runner");
    static char buf[1 << 17];
    int rc = 0;
    if (argc >= 3 && !strcmp(argv[1], "sink")) {
        int c = listen_one(atoi(argv[2]));
        double t0 = 0;
        long long total = 0;
        ssize_t n;
        while ((n = tapir_recv(c, buf, sizeof buf, 0)) > 0) {
            if (total == 0)
                t0 = now_s();
            total += n;
        }
        if (n < 0)
            die("recv");
        double dt = now_s() - t0;
        printf("bytes=%lld seconds=%.3f gbps=%.3f\n", total, dt, total * 8 / dt / 1e9);
        tapir_close(c);
    } else if (argc >= 5 && !strcmp(argv[1], "source")) {
        int s = connect_to(argv[2], atoi(argv[3]));
        long long want = atoll(argv[4]), sent = 0;
        memset(buf, 'x', sizeof buf);
        double t0 = now_s();
        while (sent < want) {
            size_t chunk = (size_t)(want - sent < (long long)sizeof buf ? want - sent : (long long)sizeof buf);
            if (tapir_sendall(s, buf, chunk, 0) < 0)
                die("sendall");
            sent += (long long)chunk;
        }
        tapir_shutdown(s, TAPIR_SHUT_WR);
        while (tapir_recv(s, buf, sizeof buf, 0) > 0) /* wait for the sink's close */
            ;
        double dt = now_s() - t0;
        printf("bytes=%lld seconds=%.3f gbps=%.3f\n", sent, dt, sent * 8 / dt / 1e9);
        tapir_close(s);
    } else if (argc >= 3 && !strcmp(argv[1], "rr-server")) {
        int c = listen_one(atoi(argv[2]));
        char b;
        while (tapir_recv(c, &b, 1, 0) == 1)
            if (tapir_send(c, &b, 1, 0) != 1)
                die("send");
        tapir_close(c);
    } else if (argc >= 5 && !strcmp(argv[1], "rr-client")) {
        int s = connect_to(argv[2], atoi(argv[3]));
        double secs = atof(argv[4]), t0 = now_s(), t;
        long long n = 0;
        char b = 'x';
        do {
            for (int i = 0; i < 100; i++, n++)
                if (tapir_send(s, &b, 1, 0) != 1 || tapir_recv(s, &b, 1, 0) != 1)
                    die("round trip");
            t = now_s();
        } while (t - t0 < secs);
        printf("roundtrips=%lld seconds=%.3f rps=%.0f\n", n, t - t0, n / (t - t0));
        tapir_close(s);
    } else {
        fprintf(stderr, "usage: tbulk DEVICE-OPTIONS sink PORT | source HOST PORT BYTES | "
                        "rr-server PORT | rr-client HOST PORT SECONDS\n");
        rc = 2;
    }
    tapir_runner_stop(r);
    return rc;
}
