/* The Python documentation's socket echo server, ported line for line to
 * tapir's C API (https://docs.python.org/3/library/socket.html#example).
 *
 *   tapir-echo-server [device options] [--dual] [--port N] [--forever]
 *
 * Device options (or $TAPIR_CONFIG): --tap NAME --addr A.B.C.D/N ... as in
 * tapir-up.  Default: the IPv4 example (HOST = '', one connection, then exit);
 * --dual: the getaddrinfo(None, PORT, AF_UNSPEC, SOCK_STREAM, 0, AI_PASSIVE)
 * variant; --forever: keep accepting (one connection after another).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/tapir.h"

static void usage(void)
{
    fprintf(stderr, "usage: tapir-echo-server [--tap NAME --addr A/N ...] [--dual] [--port N] [--forever]\n");
    exit(2);
}

/* The IPv4 example. */
static int serve_ipv4(int port)
{
    const char *HOST = "";              /* Symbolic name meaning all available interfaces */
    int PORT = port;                    /* Arbitrary non-privileged port */
    int s = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_STREAM, 0);
    if (s < 0)
        return -1;
    tapir_setsockopt_int(s, TAPIR_SOL_SOCKET, TAPIR_SO_REUSEADDR, 1); /* so tests may rerun at once */
    if (tapir_bind(s, TAPIR_ADDR(HOST, PORT)) < 0 || tapir_listen(s, 1) < 0) {
        tapir_close(s);
        return -1;
    }
    return s;
}

/* The dual-stack example: the first address getaddrinfo offers that binds. */
static int serve_dual(int port)
{
    char PORT[16];
    snprintf(PORT, sizeof PORT, "%d", port);
    int s = -1;
    tapir_addrinfo *res;
    int n = tapir_getaddrinfo(NULL, PORT, TAPIR_AF_UNSPEC, TAPIR_SOCK_STREAM, 0, TAPIR_AI_PASSIVE, &res);
    for (int i = 0; i < n; i++) {
        s = tapir_socket(res[i].family, res[i].type, res[i].proto);
        if (s < 0)
            continue;
        tapir_setsockopt_int(s, TAPIR_SOL_SOCKET, TAPIR_SO_REUSEADDR, 1);
        if (tapir_bind(s, &res[i].addr) < 0 || tapir_listen(s, 1) < 0) {
            tapir_close(s);
            s = -1;
            continue;
        }
        break;
    }
    if (n > 0)
        tapir_freeaddrinfo(res);
    return s;
}

int main(int argc, char **argv)
{
    char *config = tapir_runner_config_from_args(&argc, argv);
    if (!config)
        return 2;
    int port = 50007;
    bool dual = false, forever = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dual") == 0)
            dual = true;
        else if (strcmp(argv[i], "--forever") == 0)
            forever = true;
        else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
            port = atoi(argv[++i]);
        else
            usage();
    }
    tapir_runner *r = tapir_runner_start(config);
    free(config);
    if (!r) {
        tapir_perror("tapir-echo-server: runner");
        return 1;
    }
    int s = dual ? serve_dual(port) : serve_ipv4(port);
    if (s < 0) {
        if (dual)
            printf("could not open socket\n");
        else
            tapir_perror("tapir-echo-server");
        tapir_runner_stop(r);
        return 1;
    }
    char a[TAPIR_ADDR_STRLEN];
    tapir_addr la;
    tapir_getsockname(s, &la);
    fprintf(stderr, "tapir-echo-server: listening on %s\n", tapir_addr_str(&la, a, sizeof a));
    do {
        tapir_addr addr;
        int conn = tapir_accept(s, &addr);
        if (conn < 0) {
            tapir_perror("tapir-echo-server: accept");
            break;
        }
        printf("Connected by %s\n", tapir_addr_str(&addr, a, sizeof a));
        fflush(stdout);
        for (;;) {
            char data[1024];
            ssize_t n = tapir_recv(conn, data, sizeof data, 0);
            if (n <= 0) /* if not data: break */
                break;
            if (tapir_sendall(conn, data, (size_t)n, 0) < 0)
                break;
        }
        tapir_close(conn);
    } while (forever);
    tapir_close(s);
    tapir_runner_stop(r);
    return 0;
}
