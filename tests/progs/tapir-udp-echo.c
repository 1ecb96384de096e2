/* A UDP echo server on tapir, for interop tests: sends every datagram back
 * to where it came from.  Public API only.
 *
 *   tapir-udp-echo --tap tap0 --addr 198.18.0.2/24 [--port 7] [--time SECONDS]
 *
 * Prints "listening on PORT" once bound, one line per datagram echoed, and
 * exits after --time seconds (default 30) or on SIGINT/SIGTERM.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/tapir.h"

static volatile sig_atomic_t stop;
static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

int main(int argc, char **argv)
{
    char *config = tapir_runner_config_from_args(&argc, argv);
    if (!config)
        return 2;
    int port = 7;
    double seconds = 30;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--port") && i + 1 < argc)
            port = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--time") && i + 1 < argc)
            seconds = atof(argv[++i]);
        else {
            fprintf(stderr, "usage: tapir-udp-echo DEVICE-OPTIONS [--port N] [--time S]\n");
            return 2;
        }
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    tapir_runner *r = tapir_runner_start(config);
    if (!r) {
        fprintf(stderr, "tapir-udp-echo: %s\n", tapir_strerror());
        return 1;
    }
    int s = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_DGRAM, 0);
    if (s < 0 || tapir_bind(s, TAPIR_ADDR("", port)) < 0) {
        fprintf(stderr, "tapir-udp-echo: %s\n", tapir_strerror());
        return 1;
    }
    tapir_settimeout(s, 0.2); /* short waits, to notice signals and the time limit */
    printf("listening on %d\n", port);
    fflush(stdout);
    uint64_t end = tapir_now_us() + (uint64_t)(seconds * 1e6);
    static char buf[65536];
    long echoed = 0;
    while (!stop && tapir_now_us() < end) {
        tapir_addr from;
        ssize_t n = tapir_recvfrom(s, buf, sizeof buf, 0, &from);
        if (n < 0) {
            if (tapir_last_error()->kind == TAPIR_ERR_TIMEOUT)
                continue;
            fprintf(stderr, "tapir-udp-echo: recvfrom: %s\n", tapir_strerror());
            break;
        }
        char a[TAPIR_ADDR_STRLEN];
        if (tapir_sendto(s, buf, (size_t)n, 0, &from) < 0)
            fprintf(stderr, "tapir-udp-echo: sendto: %s\n", tapir_strerror());
        printf("echoed %zd bytes to %s\n", n, tapir_addr_str(&from, a, sizeof a));
        fflush(stdout);
        echoed++;
    }
    tapir_close(s);
    struct tapir_counters c;
    tapir_runner_counters(r, &c);
    tapir_runner_stop(r);
    char *t = tapir_counters_format(&c);
    printf("echoed %ld datagrams\n%s", echoed, t ? t : "");
    free(t);
    free(config);
    return 0;
}
