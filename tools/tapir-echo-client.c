/* The Python documentation's socket echo client, ported line for line to
 * tapir's C API (https://docs.python.org/3/library/socket.html#example).
 *
 *   tapir-echo-client [device options] [--dual] [--port N] HOST [MESSAGE]
 *
 * Prints "Received b'Hello, world'" as the Python example does.  --dual:
 * the getaddrinfo(HOST, PORT, AF_UNSPEC, SOCK_STREAM) variant, trying each
 * address in turn.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/tapir.h"

static void usage(void)
{
    fprintf(stderr, "usage: tapir-echo-client [--tap NAME --addr A/N ...] [--dual] [--port N] HOST [MESSAGE]\n");
    exit(2);
}

/* Python's repr() of a bytes object. */
static void print_bytes_repr(const unsigned char *d, size_t n)
{
    bool sq = memchr(d, '\'', n) && !memchr(d, '"', n);
    char q = sq ? '"' : '\'';
    printf("b%c", q);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = d[i];
        if (c == (unsigned char)q || c == '\\')
            printf("\\%c", c);
        else if (c == '\n')
            printf("\\n");
        else if (c == '\r')
            printf("\\r");
        else if (c == '\t')
            printf("\\t");
        else if (c < 32 || c >= 127)
            printf("\\x%02x", c);
        else
            putchar(c);
    }
    printf("%c", q);
}

int main(int argc, char **argv)
{
    char *config = tapir_runner_config_from_args(&argc, argv);
    if (!config)
        return 2;
    int port = 50007;
    bool dual = false;
    const char *host = NULL, *message = "Hello, world";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dual") == 0)
            dual = true;
        else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
            port = atoi(argv[++i]);
        else if (argv[i][0] == '-')
            usage();
        else if (!host)
            host = argv[i];
        else
            message = argv[i];
    }
    if (!host)
        usage();
    tapir_runner *r = tapir_runner_start(config);
    free(config);
    if (!r) {
        tapir_perror("tapir-echo-client: runner");
        return 1;
    }
    const char *HOST = host; /* The remote host */
    int PORT = port;         /* The same port as used by the server */
    int s = -1;
    if (!dual) {
        s = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_STREAM, 0);
        if (s >= 0 && tapir_connect(s, TAPIR_ADDR(HOST, PORT)) < 0) {
            tapir_perror("tapir-echo-client");
            tapir_close(s);
            tapir_runner_stop(r);
            return 1;
        }
    } else {
        char sport[16];
        snprintf(sport, sizeof sport, "%d", PORT);
        tapir_addrinfo *res;
        int n = tapir_getaddrinfo(HOST, sport, TAPIR_AF_UNSPEC, TAPIR_SOCK_STREAM, 0, 0, &res);
        for (int i = 0; i < n; i++) {
            s = tapir_socket(res[i].family, res[i].type, res[i].proto);
            if (s < 0)
                continue;
            if (tapir_connect(s, &res[i].addr) < 0) {
                tapir_close(s);
                s = -1;
                continue;
            }
            break;
        }
        if (n > 0)
            tapir_freeaddrinfo(res);
        if (s < 0) {
            printf("could not open socket\n");
            tapir_runner_stop(r);
            return 1;
        }
    }
    unsigned char data[1024];
    ssize_t n = -1;
    if (tapir_sendall(s, message, strlen(message), 0) == 0)
        n = tapir_recv(s, data, sizeof data, 0);
    if (n < 0)
        tapir_perror("tapir-echo-client");
    tapir_close(s);
    if (n >= 0) {
        printf("Received ");
        print_bytes_repr(data, (size_t)n);
        printf("\n");
    }
    tapir_runner_stop(r);
    return n < 0;
}
