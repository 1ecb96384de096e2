/* tapir-nc: a small netcat on tapir's socket API.
 *
 *   tapir-nc [device options] [-u] [-v] [-w SECS] [-p SRCPORT] HOST PORT   connect
 *   tapir-nc [device options] -l [-u] [-v] [-w SECS] [HOST] PORT           listen (one peer)
 *   tapir-nc [device options] -z [-v] [-w SECS] HOST PORT                  port check
 *
 * stdin goes to the peer, the peer's bytes to stdout.  At the end of stdin
 * (TCP) the sending half is shut down (SHUT_WR), and tapir-nc exits once the
 * peer closes its side.  UDP: each read from stdin is one datagram; a
 * listener answers whoever sent the first datagram.  -w: give up after SECS
 * idle seconds (and the connect timeout).  -z: connect and close, exit 0 if
 * the port is open.  -s: print the stack's counters (netstat -s style) on
 * stderr at exit.
 *
 * IPv6: -6, or an IPv6 HOST.  `-6 -l PORT` listens on :: and, as on Linux
 * (IPV6_V6ONLY off), takes IPv4 peers too (as ::ffff:a.b.c.d).
 *
 * The socket side waits with tapir_select (stdin is a kernel descriptor, so
 * a thread copies it in).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/tapir.h"

static int sock = -1;
static bool udp, verbose, stats;
static volatile bool stdin_done;

static void usage(void)
{
    fprintf(stderr, "usage: tapir-nc [--tap NAME --addr A/N ...] [-l] [-u] [-z] [-v] [-s] [-w SECS] [-p PORT] "
                    "[HOST] PORT\n");
    exit(2);
}

static void *stdin_pump(void *arg)
{
    (void)arg;
    char buf[65536];
    for (;;) {
        ssize_t n = read(0, buf, udp ? 65507 : sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (udp ? tapir_send(sock, buf, (size_t)n, 0) < 0 : tapir_sendall(sock, buf, (size_t)n, 0) < 0) {
            if (verbose)
                tapir_perror("tapir-nc: send");
            break;
        }
    }
    if (!udp)
        tapir_shutdown(sock, TAPIR_SHUT_WR);
    stdin_done = true;
    return NULL;
}

/* Copies the socket to stdout until EOF, an error, or `idle` seconds of
 * silence (negative: no limit). */
static int pump_out(double idle)
{
    char buf[65536];
    for (;;) {
        int r[1] = {sock}, nr = 1;
        int k = tapir_select(r, &nr, NULL, NULL, NULL, NULL, idle);
        if (k < 0) {
            tapir_perror("tapir-nc: select");
            return 1;
        }
        if (k == 0) {
            if (udp && !stdin_done)
                continue;
            if (verbose)
                fprintf(stderr, "tapir-nc: idle for %.1f s, quitting\n", idle);
            return udp ? 0 : 1;
        }
        ssize_t n = tapir_recv(sock, buf, sizeof buf, 0);
        if (n < 0) {
            if (tapir_errno() == EAGAIN)
                continue;
            tapir_perror("tapir-nc: recv");
            return 1;
        }
        if (n == 0 && !udp)
            return 0;
        if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
            return 1;
        fflush(stdout);
    }
}

int main(int argc, char **argv)
{
    char *config = tapir_runner_config_from_args(&argc, argv);
    if (!config)
        return 2;
    bool listen_mode = false, zero = false, v6 = false;
    double wait_s = -1;
    int srcport = 0;
    const char *args[2];
    int nargs = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] == '-' && a[1] && nargs == 0) {
            for (const char *f = a + 1; *f; f++) {
                switch (*f) {
                case 'l': listen_mode = true; break;
                case 'u': udp = true; break;
                case 'z': zero = true; break;
                case 'v': verbose = true; break;
                case 's': stats = true; break;
                case '6': v6 = true; break;
                case '4': v6 = false; break;
                case 'w':
                    if (i + 1 >= argc)
                        usage();
                    wait_s = atof(argv[++i]);
                    break;
                case 'p':
                    if (i + 1 >= argc)
                        usage();
                    srcport = atoi(argv[++i]);
                    break;
                default: usage();
                }
            }
        } else if (nargs < 2) {
            args[nargs++] = a;
        } else {
            usage();
        }
    }
    const char *host = nargs == 2 ? args[0] : "";
    if (nargs < 1 || (!listen_mode && nargs != 2))
        usage();
    int port = atoi(args[nargs - 1]);
    if (strchr(host, ':'))
        v6 = true;
    int fam = v6 ? TAPIR_AF_INET6 : TAPIR_AF_INET;
    tapir_addr where;
    if (v6)
        tapir_addr_set6(&where, host, port, 0, 0);
    else
        tapir_addr_set(&where, host, port);

    tapir_runner *r = tapir_runner_start(config);
    free(config);
    if (!r) {
        tapir_perror("tapir-nc: runner");
        return 1;
    }
    int type = udp ? TAPIR_SOCK_DGRAM : TAPIR_SOCK_STREAM;
    int rc = 1;
    if (listen_mode) {
        int l = tapir_socket(fam, type, 0);
        tapir_setsockopt_int(l, TAPIR_SOL_SOCKET, TAPIR_SO_REUSEADDR, 1);
        if (l < 0 || tapir_bind(l, &where) < 0 || (!udp && tapir_listen(l, 1) < 0)) {
            tapir_perror("tapir-nc: listen");
            goto out;
        }
        tapir_addr peer;
        char a[TAPIR_ADDR_STRLEN];
        if (verbose)
            fprintf(stderr, "Listening on %s %d\n", host[0] ? host : v6 ? "::" : "0.0.0.0", port);
        if (udp) {
            /* The first datagram says who the peer is. */
            char buf[65536];
            ssize_t n = tapir_recvfrom(l, buf, sizeof buf, 0, &peer);
            if (n < 0 || tapir_connect(l, &peer) < 0) {
                tapir_perror("tapir-nc: recvfrom");
                goto out;
            }
            fwrite(buf, 1, (size_t)n, stdout);
            fflush(stdout);
            sock = l;
        } else {
            sock = tapir_accept(l, &peer);
            tapir_close(l);
            if (sock < 0) {
                tapir_perror("tapir-nc: accept");
                goto out;
            }
        }
        if (verbose)
            fprintf(stderr, "Connection received on %s\n", tapir_addr_str(&peer, a, sizeof a));
    } else {
        sock = tapir_socket(fam, type, 0);
        if (sock < 0) {
            tapir_perror("tapir-nc: socket");
            goto out;
        }
        if (wait_s > 0)
            tapir_settimeout(sock, wait_s);
        if ((srcport && tapir_bind(sock, v6 ? TAPIR_ADDR6("", srcport, 0, 0) : TAPIR_ADDR("", srcport)) < 0) ||
            tapir_connect(sock, &where) < 0) {
            if (verbose || !zero)
                fprintf(stderr, "tapir-nc: connect to %s port %d (%s) failed: %s\n", host, port,
                        udp ? "udp" : "tcp", tapir_strerror());
            goto out;
        }
        tapir_settimeout(sock, -1);
        if (zero) {
            if (verbose)
                fprintf(stderr, "Connection to %s %d port [%s/*] succeeded!\n", host, port, udp ? "udp" : "tcp");
            rc = 0;
            goto out;
        }
    }
    pthread_t t;
    pthread_create(&t, NULL, stdin_pump, NULL);
    pthread_detach(t);
    rc = pump_out(wait_s);
out:
    if (sock >= 0)
        tapir_close(sock);
    if (stats) {
        struct tapir_counters c;
        tapir_runner_counters(r, &c);
        char *text = tapir_counters_format(&c);
        if (text)
            fputs(text, stderr);
        free(text);
    }
    tapir_runner_stop(r);
    return rc;
}
