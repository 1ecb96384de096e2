/* tapir-up: bring a tapir stack up on a device and keep it up (it answers
 * ARP and ping) until SIGINT or SIGTERM, then print its counters.
 *
 *   tapir-up --tap tap0 --addr 198.18.0.2/24 [--gw 198.18.0.1] [--capture f.pcap] [--trace]
 *   TAPIR_CONFIG='tap=tap0 addr=198.18.0.2/24' tapir-up
 *   tapir-up --pcap veth1 --addr 198.18.0.2/24 --time 30
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/tapir.h"
#include "stack/counters.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: tapir-up --tap NAME | --pcap IFNAME  --addr A.B.C.D/N [--gw A.B.C.D]\n"
            "                [--mac xx:xx:xx:xx:xx:xx] [--mtu N] [--capture FILE.pcap] [--trace]\n"
            "                [--seed N] [--hostname NAME] [--log 0|1|2] [--config 'key=value ...']\n"
            "                [--drop P] [--corrupt P] [--dup P]   (fault injection, 0..1)\n"
            "                [--time SECONDS] [-q]\n"
            "Keeps a tapir stack up on the device until SIGINT/SIGTERM (or --time), then\n"
            "prints its counters.  $TAPIR_CONFIG is read first (see api/runner.h).\n");
}

int main(int argc, char **argv)
{
    char *config = tapir_runner_config_from_args(&argc, argv);
    if (!config)
        return 2;
    double seconds = 0;
    int quiet = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--time") && i + 1 < argc) {
            seconds = atof(argv[++i]);
        } else if (!strcmp(argv[i], "-q")) {
            quiet = 1;
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "tapir-up: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }

    /* Signals are waited for with sigwait, so block them before any thread starts. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);

    tapir_runner *r = tapir_runner_start(config);
    if (!r) {
        fprintf(stderr, "tapir-up: cannot start on '%s': %s\n", config, tapir_strerror());
        free(config);
        return 1;
    }
    uint8_t mac[6];
    tapir_runner_mac(r, mac);
    printf("tapir-up: up (%s), MAC %02x:%02x:%02x:%02x:%02x:%02x; Ctrl-C to stop\n", config, mac[0],
           mac[1], mac[2], mac[3], mac[4], mac[5]);
    fflush(stdout);

    if (seconds > 0) {
        struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
        siginfo_t info;
        sigtimedwait(&sigs, &info, &ts);
    } else {
        int sig;
        sigwait(&sigs, &sig);
    }

    struct tapir_counters c;
    tapir_runner_counters(r, &c);
    tapir_runner_stop(r);
    if (!quiet) {
        char *text = tapir_counters_format(&c);
        printf("tapir-up: stopped. Counters:\n%s", text ? text : "");
        free(text);
    }
    free(config);
    return 0;
}
