/* An echo server on the epoll-like API, for the many-connections interop
 * test:
 *
 *   tapir-epoll-echo [device options] PORT
 *
 * Non-blocking listener and connections, one tapir_epoll, level-triggered.
 * Runs until SIGINT/SIGTERM, then prints how many connections it served and
 * the most it had open at once. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/tapir.h"

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

int main(int argc, char **argv)
{
    char *config = tapir_runner_config_from_args(&argc, argv);
    if (!config || argc != 2) {
        fprintf(stderr, "usage: tapir-epoll-echo [--tap NAME --addr A/N ...] PORT\n");
        return 2;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    tapir_runner *r = tapir_runner_start(config);
    free(config);
    if (!r) {
        tapir_perror("tapir-epoll-echo: runner");
        return 1;
    }
    int l = tapir_create_server(TAPIR_ADDR("", atoi(argv[1])), TAPIR_AF_INET, 4096, false, false);
    if (l < 0) {
        tapir_perror("tapir-epoll-echo: listen");
        return 1;
    }
    tapir_setblocking(l, false);
    tapir_epoll *ep = tapir_epoll_create();
    tapir_epoll_register(ep, l, TAPIR_EPOLLIN);
    printf("tapir-epoll-echo: listening\n");
    fflush(stdout);
    long served = 0, open = 0, most = 0;
    struct tapir_epoll_event ev[256];
    char buf[16384];
    while (!stop) {
        int n = tapir_epoll_poll(ep, ev, 256, 0.2);
        if (n < 0) {
            tapir_perror("tapir-epoll-echo: poll");
            break;
        }
        for (int i = 0; i < n; i++) {
            int fd = ev[i].fd;
            if (fd == l) {
                int c;
                while ((c = tapir_accept(l, NULL)) >= 0) {
                    tapir_setblocking(c, false);
                    tapir_epoll_register(ep, c, TAPIR_EPOLLIN);
                    served++;
                    if (++open > most)
                        most = open;
                }
                continue;
            }
            ssize_t k = tapir_recv(fd, buf, sizeof buf, 0);
            if (k > 0) {
                /* Small messages: the send buffer has room; sendall would
                 * wait (the socket is non-blocking: it fails instead). */
                if (tapir_send(fd, buf, (size_t)k, 0) != k)
                    fprintf(stderr, "short send on %d: %s\n", fd, tapir_strerror());
            } else if (k == 0 || tapir_errno() != EAGAIN) {
                tapir_close(fd); /* forgets the registration too */
                open--;
            }
        }
    }
    printf("served %ld connections, at most %ld open at once\n", served, most);
    tapir_epoll_close(ep);
    tapir_close(l);
    tapir_runner_stop(r);
    return 0;
}
