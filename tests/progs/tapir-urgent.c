/* Urgent data against a real peer, for the interop test tcp_urgent: public
 * API only.
 *
 *   tapir-urgent DEVICE-OPTIONS HOST PORT
 *
 * Connects, sends "hello" then "X" with MSG_OOB (the peer, Linux without
 * SO_OOBINLINE, takes the last urgent byte out of band), then waits with
 * select() until the peer's own urgent data makes the socket "exceptional",
 * and reads the 3 bytes the peer sent: tapir keeps urgent bytes in the
 * stream.  Prints "exceptional" when select said so and "got <text>".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/tapir.h"

static int die(const char *what)
{
    fprintf(stderr, "tapir-urgent: %s: %s\n", what, tapir_strerror());
    return 1;
}

int main(int argc, char **argv)
{
    char *config = tapir_runner_config_from_args(&argc, argv);
    if (!config)
        return 2;
    if (argc != 3) {
        fprintf(stderr, "usage: tapir-urgent DEVICE-OPTIONS HOST PORT\n");
        return 2;
    }
    tapir_runner *r = tapir_runner_start(config);
    if (!r)
        return die("runner");
    int s = tapir_create_connection(TAPIR_ADDR(argv[1], atoi(argv[2])), 10.0, NULL);
    if (s < 0)
        return die("connect");
    if (tapir_sendall(s, "hello", 5, 0) < 0 || tapir_send(s, "X", 1, TAPIR_MSG_OOB) != 1)
        return die("send");

    int x[1] = {s}, nx = 1, none = 0;
    if (tapir_select(NULL, &none, NULL, &none, x, &nx, 10.0) < 0)
        return die("select");
    if (nx == 1)
        printf("exceptional\n");
    char got[4];
    size_t len = 0;
    while (len < 3) {
        ssize_t n = tapir_recv(s, got + len, 3 - len, 0);
        if (n < 0)
            return die("recv");
        if (n == 0)
            break;
        len += (size_t)n;
    }
    got[len] = 0;
    printf("got %s\n", got);
    tapir_close(s);
    tapir_runner_stop(r);
    free(config);
    return 0;
}
