/* Sockets given host names: sendto, connect and bind resolve through tapir's
 * resolver (as Python's setipaddr does), within the socket's timeout.
 *   resolver_sock [device options] --dns IP normal
 *   resolver_sock [device options] --dns IP#PORT silent NAME   (a server that never answers)
 * Prints one line per check; exit status 0 if all passed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/tapir.h"

static int failures;

static void check(int ok, const char *what)
{
    printf("%s %s\n", ok ? "ok" : "FAILED", what);
    if (!ok) {
        printf("  last error: %s\n", tapir_strerror());
        failures++;
    }
}

int main(int argc, char **argv)
{
    char *config = tapir_runner_config_from_args(&argc, argv);
    if (!config || argc < 2)
        return 2;
    tapir_runner *r = tapir_runner_start(config);
    if (!r) {
        tapir_perror("resolver_sock");
        return 2;
    }
    if (!strcmp(argv[1], "normal")) {
        int u = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_DGRAM, 0);
        tapir_settimeout(u, 3.0);
        check(tapir_sendto(u, "hello", 5, 0, TAPIR_ADDR("echo.example.test", 7777)) == 5,
              "sendto(('echo.example.test', 7777))");
        char buf[64] = {0};
        tapir_addr from;
        ssize_t n = tapir_recvfrom(u, buf, sizeof buf - 1, 0, &from);
        check(n == 5 && !memcmp(buf, "hello", 5) && !strcmp(from.host, "198.18.0.1"), "echo came back from 198.18.0.1");
        tapir_close(u);

        int t = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_STREAM, 0);
        tapir_settimeout(t, 5.0);
        check(tapir_connect(t, TAPIR_ADDR("echo.example.test", 7778)) == 0, "connect(('echo.example.test', 7778))");
        tapir_addr peer;
        check(tapir_getpeername(t, &peer) == 0 && !strcmp(peer.host, "198.18.0.1"), "peer is 198.18.0.1");
        check(tapir_sendall(t, "ping\n", 5, 0) == 0, "sendall");
        memset(buf, 0, sizeof buf);
        n = tapir_recv(t, buf, sizeof buf - 1, 0);
        check(n == 5 && !memcmp(buf, "ping\n", 5), "echo over TCP");
        tapir_close(t);

        t = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_STREAM, 0);
        int rc = tapir_connect(t, TAPIR_ADDR("nothere.example.test", 7778));
        check(rc == -1 && tapir_last_error()->kind == TAPIR_ERR_GAIERROR &&
                  !strcmp(tapir_strerror(), "[Errno -2] Name or service not known"),
              "connect to an unknown name: gaierror [Errno -2] Name or service not known");
        tapir_close(t);

        u = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_DGRAM, 0);
        check(tapir_bind(u, TAPIR_ADDR("localhost", 0)) == 0, "bind(('localhost', 0))");
        tapir_addr me;
        check(tapir_getsockname(u, &me) == 0 && !strcmp(me.host, "127.0.0.1"), "bound to 127.0.0.1");
        tapir_close(u);
    } else if (!strcmp(argv[1], "silent") && argc > 2) {
        int t = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_STREAM, 0);
        tapir_settimeout(t, 0.5);
        uint64_t t0 = tapir_now_us();
        int rc = tapir_connect(t, TAPIR_ADDR(argv[2], 80));
        double ms = (double)(tapir_now_us() - t0) / 1000.0;
        printf("connect took %.0f ms: %s\n", ms, tapir_strerror());
        check(rc == -1 && tapir_errno() == TAPIR_EAI_AGAIN, "unanswered name: [Errno -3]");
        check(ms >= 450 && ms < 1500, "within the socket's 0.5 s timeout (resolver's own: 5 s)");
        tapir_close(t);
    }
    tapir_runner_stop(r);
    free(config);
    return failures ? 1 : 0;
}
