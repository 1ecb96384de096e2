/* A TCP client on tapir that sends N bytes and closes with SO_LINGER, for
 * the interop test against the kernel (tests/interop/api_linger.test.sh).
 * Public API only.
 *
 *   tapir-linger DEVICE-OPTIONS --connect HOST --port P --bytes N
 *                [--linger S] [--sndbuf B] [--stay S]
 *
 * Prints "sent N" when sendall returned, then "close returned R after T s
 * at mono M" (M: CLOCK_MONOTONIC seconds, the clock Python's
 * time.monotonic() reads), and keeps the stack up for --stay seconds so
 * what the close left in the background can finish.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/tapir.h"

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    char *config = tapir_runner_config_from_args(&argc, argv);
    if (!config)
        return 2;
    const char *host = NULL;
    int port = 0, linger = 10, sndbuf = 0;
    size_t n = 0;
    double stay = 5;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--connect") && i + 1 < argc)
            host = argv[++i];
        else if (!strcmp(argv[i], "--port") && i + 1 < argc)
            port = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--bytes") && i + 1 < argc)
            n = (size_t)strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--linger") && i + 1 < argc)
            linger = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--sndbuf") && i + 1 < argc)
            sndbuf = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--stay") && i + 1 < argc)
            stay = atof(argv[++i]);
        else {
            fprintf(stderr, "usage: tapir-linger DEVICE-OPTIONS --connect HOST --port P --bytes N "
                            "[--linger S] [--sndbuf B] [--stay S]\n");
            return 2;
        }
    }
    if (!host || !port) {
        fprintf(stderr, "tapir-linger: --connect and --port are required\n");
        return 2;
    }
    tapir_runner *r = tapir_runner_start(config);
    if (!r) {
        fprintf(stderr, "tapir-linger: %s\n", tapir_strerror());
        return 1;
    }
    char *buf = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)(i % 251);
    int s = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_STREAM, 0);
    struct {
        int onoff, linger;
    } lg = {1, linger};
    if (s < 0 || tapir_settimeout(s, 30) < 0 ||
        (sndbuf && tapir_setsockopt_int(s, TAPIR_SOL_SOCKET, TAPIR_SO_SNDBUF, sndbuf) < 0) ||
        tapir_connect(s, TAPIR_ADDR(host, port)) < 0 || tapir_sendall(s, buf, n, 0) < 0 ||
        tapir_setsockopt(s, TAPIR_SOL_SOCKET, TAPIR_SO_LINGER, &lg, sizeof lg) < 0) {
        fprintf(stderr, "tapir-linger: %s\n", tapir_strerror());
        return 1;
    }
    printf("sent %zu\n", n);
    fflush(stdout);
    double t0 = mono();
    int rc = tapir_close(s);
    double t1 = mono();
    printf("close returned %d after %.3f s at mono %.6f\n", rc, t1 - t0, t1);
    fflush(stdout);
    struct timespec ts = {(time_t)stay, (long)((stay - (double)(time_t)stay) * 1e9)};
    nanosleep(&ts, NULL);
    free(buf);
    tapir_runner_stop(r);
    return rc == 0 ? 0 : 1;
}
