/* The kernel's side of the benchmarks: bulk transfer and 1-byte
 * request/response over the Linux kernel's own sockets, to measure the
 * reference that tapir's figures are divided by (bench/run.sh).  The same
 * four modes as bench/tbulk.c, which runs them on tapir.
 *
 *   kbulk sink PORT                    accept one connection, read to EOF
 *   kbulk source HOST PORT BYTES       connect, write BYTES, close
 *   kbulk rr-server PORT               echo one byte per request until EOF
 *   kbulk rr-client HOST PORT SECONDS  1-byte round trips for SECONDS
 * Each prints one line: "bytes=N seconds=S gbps=G" or "roundtrips=N seconds=S rps=R".
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int die(const char *what)
{
    perror(what);
    exit(1);
}

static int listen_one(int port)
{
    int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    if (l < 0)
        die("socket");
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (bind(l, (struct sockaddr *)&a, sizeof a) < 0)
        die("bind");
    if (listen(l, 1) < 0)
        die("listen");
    int c = accept(l, NULL, NULL);
    if (c < 0)
        die("accept");
    close(l);
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return c;
}

static int connect_to(const char *host, int port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (s < 0 || inet_pton(AF_INET, host, &a.sin_addr) != 1)
        die("address");
    /* The peer may still be starting: retry for a few seconds. */
    for (int i = 0; connect(s, (struct sockaddr *)&a, sizeof a) < 0; i++) {
        if (i == 50)
            die("connect");
        usleep(100000);
    }
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return s;
}

int main(int argc, char **argv)
{
    static char buf[1 << 17];
    if (argc >= 3 && !strcmp(argv[1], "sink")) {
        int c = listen_one(atoi(argv[2]));
        double t0 = 0;
        long long total = 0;
        ssize_t n;
        while ((n = read(c, buf, sizeof buf)) > 0) {
            if (total == 0)
                t0 = now_s();
            total += n;
        }
        double dt = now_s() - t0;
        printf("bytes=%lld seconds=%.3f gbps=%.3f\n", total, dt, total * 8 / dt / 1e9);
        return 0;
    }
    if (argc >= 5 && !strcmp(argv[1], "source")) {
        int s = connect_to(argv[2], atoi(argv[3]));
        long long want = atoll(argv[4]), sent = 0;
        memset(buf, 'x', sizeof buf);
        double t0 = now_s();
        while (sent < want) {
            size_t chunk = (size_t)(want - sent < (long long)sizeof buf ? want - sent : (long long)sizeof buf);
            ssize_t n = write(s, buf, chunk);
            if (n <= 0)
                die("write");
            sent += n;
        }
        shutdown(s, SHUT_WR);
        while (read(s, buf, sizeof buf) > 0) /* wait for the sink's close */
            ;
        double dt = now_s() - t0;
        printf("bytes=%lld seconds=%.3f gbps=%.3f\n", sent, dt, sent * 8 / dt / 1e9);
        return 0;
    }
    if (argc >= 3 && !strcmp(argv[1], "rr-server")) {
        int c = listen_one(atoi(argv[2]));
        char b;
        while (read(c, &b, 1) == 1)
            if (write(c, &b, 1) != 1)
                die("write");
        return 0;
    }
    if (argc >= 5 && !strcmp(argv[1], "rr-client")) {
        int s = connect_to(argv[2], atoi(argv[3]));
        double secs = atof(argv[4]), t0 = now_s(), t;
        long long n = 0;
        char b = 'x';
        do {
            for (int i = 0; i < 100; i++, n++)
                if (write(s, &b, 1) != 1 || read(s, &b, 1) != 1)
                    die("round trip");
            t = now_s();
        } while (t - t0 < secs);
        printf("roundtrips=%lld seconds=%.3f rps=%.0f\n", n, t - t0, n / (t - t0));
        return 0;
    }
    fprintf(stderr, "usage: kbulk sink PORT | source HOST PORT BYTES | rr-server PORT | rr-client HOST PORT SECONDS\n");
    return 2;
}
