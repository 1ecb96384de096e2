/* tapir-ping: ping(8) on tapir.  Sends ICMP echo requests from a tapir stack
 * through a raw ICMP socket and prints what comes back, as iputils' ping does:
 *
 *   $ tapir-ping --tap tap0 --addr 198.18.0.2/24 -c 3 198.18.0.1
 *   PING 198.18.0.1 (198.18.0.1) 56(84) bytes of data.
 *   64 bytes from 198.18.0.1: icmp_seq=1 ttl=64 time=0.412 ms
 *   ...
 *   --- 198.18.0.1 ping statistics ---
 *   3 packets transmitted, 3 received, 0% packet loss, time 2003ms
 *   rtt min/avg/max/mdev = 0.101/0.215/0.412/0.139 ms
 *
 * It brings up its own runner from the device options (or $TAPIR_CONFIG),
 * and uses only the public API: a SOCK_RAW IPPROTO_ICMP socket (api/tapir.h)
 * that hands back each reply with its IPv4 header, as Linux's raw sockets do.
 *
 * IPv6 (-6, or an IPv6 destination): a SOCK_RAW IPPROTO_ICMPV6 socket; the
 * stack fills the ICMPv6 checksum and hands back the message alone (no IPv6
 * header), as Linux does; a link-local destination takes %SCOPE_ID.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/tapir.h"

/* The Internet checksum (RFC 1071) of an ICMP message: ours to fill, as on
 * Linux's raw sockets. */
static uint16_t icmp_checksum(const uint8_t *p, size_t n)
{
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        sum += (uint32_t)p[n - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* Waits until `until` (µs, tapir_now_us clock) for a datagram: its length,
 * 0 if none came, -1 on an error. */
static ssize_t recv_until(int s, void *buf, size_t len, uint64_t until)
{
    uint64_t now = tapir_now_us();
    double secs = until > now ? (double)(until - now) / 1e6 : 0.0;
    if (tapir_settimeout(s, secs) < 0)
        return -1;
    ssize_t n = tapir_recv(s, buf, len, 0);
    if (n < 0 && (tapir_last_error()->kind == TAPIR_ERR_TIMEOUT || tapir_errno() == EAGAIN))
        return 0;
    return n;
}

/* recv_until with the sender's address (IPv6: no header to read it from). */
static ssize_t recv6_until(int s, void *buf, size_t len, uint64_t until, tapir_addr *from)
{
    uint64_t now = tapir_now_us();
    double secs = until > now ? (double)(until - now) / 1e6 : 0.0;
    if (tapir_settimeout(s, secs) < 0)
        return -1;
    ssize_t n = tapir_recvfrom(s, buf, len, 0, from);
    if (n < 0 && (tapir_last_error()->kind == TAPIR_ERR_TIMEOUT || tapir_errno() == EAGAIN))
        return 0;
    return n;
}

/* One ICMPv6 message on the raw socket: an echo reply of ours, or an error
 * quoting one of our requests (IPv6 header, then the echo request). */
static void handle6(const uint8_t *ic, size_t iclen, const tapir_addr *from, uint16_t id, uint64_t t,
                    const uint64_t *sent_at, uint8_t *seen, bool quiet, long *received, long *dups,
                    long *errors, double *rmin, double *rmax, double *rsum, double *rsum2)
{
    if (iclen < 8)
        return;
    if (ic[0] == 129 && ic[1] == 0) {
        uint16_t rid = (uint16_t)(ic[4] << 8 | ic[5]), seq = (uint16_t)(ic[6] << 8 | ic[7]);
        if (rid != id || !sent_at[seq])
            return;
        double ms = (double)(t - sent_at[seq]) / 1000.0;
        bool dup = seen[seq];
        if (dup) {
            (*dups)++;
        } else {
            seen[seq] = 1;
            (*received)++;
            *rsum += ms;
            *rsum2 += ms * ms;
            if (ms < *rmin) *rmin = ms;
            if (ms > *rmax) *rmax = ms;
        }
        if (!quiet) {
            printf("%zu bytes from %s: icmp_seq=%u time=%.3f ms%s\n", iclen, from->host, seq, ms,
                   dup ? " (DUP!)" : "");
            fflush(stdout);
        }
    } else if ((ic[0] == 1 || ic[0] == 3) && iclen >= 8 + 40 + 8) {
        const uint8_t *q = ic + 8, *qe = ic + 8 + 40;
        if (q[6] != 58 || qe[0] != 128 || (uint16_t)(qe[4] << 8 | qe[5]) != id)
            return;
        (*errors)++;
        if (!quiet) {
            printf("From %s icmp_seq=%u %s\n", from->host, (unsigned)(qe[6] << 8 | qe[7]),
                   ic[0] == 3 ? "Time exceeded: Hop limit" : ic[1] == 3 ? "Destination unreachable: Address unreachable"
                   : ic[1] == 4 ? "Destination unreachable: Port unreachable" : "Destination unreachable");
            fflush(stdout);
        }
    }
}

/* ---- ping ---- */

static volatile sig_atomic_t interrupted;
static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: tapir-ping [-4|-6] [-c count] [-i interval] [-s size] [-W timeout] [-w deadline] [-q]\n"
            "                  --tap NAME | --pcap IF  --addr A.B.C.D/N [--gw A.B.C.D] [device options]\n"
            "                  DESTINATION\n"
            "Device options as tapir-up's; $TAPIR_CONFIG is read first.\n");
}

static double arg_num(const char *opt, const char *v)
{
    char *end;
    double x = strtod(v, &end);
    if (!*v || *end || x < 0 || isnan(x)) {
        fprintf(stderr, "tapir-ping: invalid argument for %s: '%s'\n", opt, v);
        exit(2);
    }
    return x;
}

#define SEQ_SLOTS 65536

/* Square root by Newton's method: the build links no libm. */
static double root(double x)
{
    if (x <= 0)
        return 0;
    double g = x > 1 ? x : 1;
    for (int i = 0; i < 60; i++)
        g = 0.5 * (g + x / g);
    return g;
}

int main(int argc, char **argv)
{
    char *config = tapir_runner_config_from_args(&argc, argv);
    if (!config)
        return 2;
    long count = 0;
    double interval = 1.0, timeout = 10.0, deadline = 0;
    long size = 56;
    bool quiet = false, want6 = false;
    const char *dest = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] == '-' && a[1] && !a[2] && strchr("ciWws", a[1])) {
            if (i + 1 >= argc) {
                usage(stderr);
                return 2;
            }
            double v = arg_num(a, argv[++i]);
            switch (a[1]) {
            case 'c': count = (long)v; break;
            case 'i': interval = v; break;
            case 'W': timeout = v; break;
            case 'w': deadline = v; break;
            case 's': size = (long)v; break;
            }
        } else if (!strcmp(a, "-q")) {
            quiet = true;
        } else if (!strcmp(a, "-6")) {
            want6 = true;
        } else if (!strcmp(a, "-4")) {
            want6 = false;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (a[0] == '-') {
            fprintf(stderr, "tapir-ping: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        } else if (dest) {
            usage(stderr);
            return 2;
        } else {
            dest = a;
        }
    }
    if (!dest) {
        usage(stderr);
        return 2;
    }
    uint8_t dst4[4], dst6[16];
    /* "fe80::1%1": the part after '%' is the scope id (tapir's interface). */
    char host6[TAPIR_INET6_ADDRSTRLEN + 16];
    snprintf(host6, sizeof host6, "%s", dest);
    char *pct = strchr(host6, '%');
    unsigned long scope = 0;
    if (pct) {
        scope = strtoul(pct + 1, NULL, 10);
        *pct = '\0';
    }
    bool v6 = want6 || tapir_inet_pton(TAPIR_AF_INET, dest, dst4) != 4;
    if (v6 ? tapir_inet_pton(TAPIR_AF_INET6, host6, dst6) != 16
           : tapir_inet_pton(TAPIR_AF_INET, dest, dst4) != 4) {
        fprintf(stderr, "tapir-ping: %s: Name or service not known\n", dest);
        return 2;
    }
    if (size > 65507 || size < 0) {
        fprintf(stderr, "tapir-ping: invalid -s value: '%ld': out of range: 0 <= value <= 65507\n", size);
        return 2;
    }
    if (interval < 0.002)
        interval = 0.002; /* iputils refuses < 2 ms for users; we just clamp */

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    tapir_runner *r = tapir_runner_start(config);
    if (!r) {
        fprintf(stderr, "tapir-ping: cannot start a stack on '%s': %s\n", config, tapir_strerror());
        return 2;
    }
    int sk = v6 ? tapir_socket_on(r, TAPIR_AF_INET6, TAPIR_SOCK_RAW, TAPIR_IPPROTO_ICMPV6)
                : tapir_socket_on(r, TAPIR_AF_INET, TAPIR_SOCK_RAW, TAPIR_IPPROTO_ICMP);
    if (sk < 0) {
        fprintf(stderr, "tapir-ping: socket: %s\n", tapir_strerror());
        tapir_runner_stop(r);
        return 2;
    }

    char dstr[TAPIR_INET6_ADDRSTRLEN];
    tapir_addr to;
    if (v6) {
        tapir_inet_ntop(TAPIR_AF_INET6, dst6, 16, dstr, sizeof dstr);
        tapir_addr_set6(&to, dstr, 0, 0, (uint32_t)scope);
        printf("PING %s (%s) %ld data bytes\n", dest, dstr, size);
    } else {
        tapir_inet_ntop(TAPIR_AF_INET, dst4, 4, dstr, sizeof dstr);
        tapir_addr_set(&to, dstr, 0);
        printf("PING %s (%s) %ld(%ld) bytes of data.\n", dest, dstr, size, size + 28);
    }
    fflush(stdout);

    uint16_t id = (uint16_t)getpid();
    size_t len = 8 + (size_t)size;
    uint8_t *req = calloc(1, len), *rep = malloc(65536);
    uint64_t *sent_at = calloc(SEQ_SLOTS, sizeof *sent_at);
    uint8_t *seen = calloc(SEQ_SLOTS, 1);
    if (!req || !rep || !sent_at || !seen) {
        fprintf(stderr, "tapir-ping: out of memory\n");
        return 2;
    }
    for (size_t i = 16; i < len; i++) /* after the 8-byte header and timestamp */
        req[i] = (uint8_t)(i - 8);

    long transmitted = 0, received = 0, dups = 0, errors = 0;
    double rmin = 1e18, rmax = 0, rsum = 0, rsum2 = 0;
    uint64_t start = tapir_now_us(), next_send = start, last_send = start;
    uint64_t end_by = deadline > 0 ? start + (uint64_t)(deadline * 1e6) : UINT64_MAX;

    while (!interrupted) {
        uint64_t now = tapir_now_us();
        if (now >= end_by)
            break;
        bool all_sent = count > 0 && transmitted >= count;
        /* After the last request, as iputils: wait -W seconds if nothing has
         * come back at all, else two of the longest round trips seen. */
        uint64_t linger = received ? (uint64_t)(2 * rmax * 1000) + 10000 : (uint64_t)(timeout * 1e6);
        if (all_sent && (received >= count || now >= last_send + linger))
            break;
        if (!all_sent && now >= next_send) {
            uint16_t seq = (uint16_t)(transmitted + 1);
            req[0] = v6 ? 128 : 8; /* echo request */
            req[1] = 0;
            req[2] = req[3] = 0;
            req[4] = (uint8_t)(id >> 8);
            req[5] = (uint8_t)id;
            req[6] = (uint8_t)(seq >> 8);
            req[7] = (uint8_t)seq;
            for (int b = 0; b < 8 && 8 + b < (int)len; b++) /* send time, as iputils carries it */
                req[8 + b] = (uint8_t)(now >> (8 * (7 - b)));
            uint16_t c = v6 ? 0 : icmp_checksum(req, len);   /* ICMPv6: the stack's job */
            req[2] = (uint8_t)(c >> 8);
            req[3] = (uint8_t)c;
            sent_at[seq] = now;
            seen[seq] = 0;
            if (tapir_sendto(sk, req, len, 0, &to) < 0 && !quiet)
                printf("tapir-ping: sendmsg: %s\n", tapir_strerror());
            transmitted++;
            last_send = now;
            next_send = now + (uint64_t)(interval * 1e6);
            continue;
        }
        /* Wait for replies until the next thing to do, in slices short
         * enough to notice Ctrl-C. */
        uint64_t until = all_sent ? last_send + linger : next_send;
        if (until > end_by)
            until = end_by;
        if (until > now + 100000)
            until = now + 100000;
        tapir_addr src6;
        ssize_t n = v6 ? recv6_until(sk, rep, 65536, until, &src6) : recv_until(sk, rep, 65536, until);
        if (n < 0) {
            fprintf(stderr, "tapir-ping: recv: %s\n", tapir_strerror());
            break;
        }
        if (n == 0)
            continue;
        uint64_t t = tapir_now_us();
        if (v6) {
            handle6(rep, (size_t)n, &src6, id, t, sent_at, seen, quiet, &received, &dups, &errors,
                    &rmin, &rmax, &rsum, &rsum2);
            continue;
        }
        /* A raw socket hands us the IPv4 header too. */
        size_t ihl = (size_t)(rep[0] & 15) * 4;
        if ((size_t)n < ihl + 8 || ihl < 20)
            continue;
        const uint8_t *ic = rep + ihl;
        size_t iclen = (size_t)n - ihl;
        char from[TAPIR_INET_ADDRSTRLEN];
        tapir_inet_ntop(TAPIR_AF_INET, rep + 12, 4, from, sizeof from);
        if (ic[0] == 0 && ic[1] == 0) {
            uint16_t rid = (uint16_t)(ic[4] << 8 | ic[5]), seq = (uint16_t)(ic[6] << 8 | ic[7]);
            if (rid != id || !sent_at[seq])
                continue;
            double ms = (double)(t - sent_at[seq]) / 1000.0;
            bool dup = seen[seq];
            if (dup) {
                dups++;
            } else {
                seen[seq] = 1;
                received++;
                rsum += ms;
                rsum2 += ms * ms;
                if (ms < rmin) rmin = ms;
                if (ms > rmax) rmax = ms;
            }
            if (!quiet) {
                printf("%zu bytes from %s: icmp_seq=%u ttl=%u time=%.3f ms%s\n", iclen, from, seq,
                       rep[8], ms, dup ? " (DUP!)" : "");
                fflush(stdout);
            }
        } else if ((ic[0] == 3 || ic[0] == 11) && iclen >= 8 + 20 + 8) {
            /* An error about one of our requests: the quote holds its header. */
            const uint8_t *q = ic + 8;
            size_t qihl = (size_t)(q[0] & 15) * 4;
            if (qihl < 20 || iclen < 8 + qihl + 8 || q[9] != 1)
                continue;
            const uint8_t *qe = q + qihl;
            if (qe[0] != 8 || (uint16_t)(qe[4] << 8 | qe[5]) != id)
                continue;
            errors++;
            if (!quiet) {
                printf("From %s icmp_seq=%u %s\n", from, (unsigned)(qe[6] << 8 | qe[7]),
                       ic[0] == 11 ? "Time to live exceeded" : ic[1] == 1 ? "Destination Host Unreachable"
                       : ic[1] == 0 ? "Destination Net Unreachable" : "Destination Unreachable");
                fflush(stdout);
            }
        }
    }

    uint64_t elapsed = tapir_now_us() - start;
    printf("\n--- %s ping statistics ---\n", dest);
    printf("%ld packets transmitted, %ld received", transmitted, received);
    if (dups)
        printf(", +%ld duplicates", dups);
    if (errors)
        printf(", +%ld errors", errors);
    double loss = transmitted ? 100.0 * (double)(transmitted - received) / (double)transmitted : 0;
    printf(", %g%% packet loss, time %llums\n", loss, (unsigned long long)(elapsed / 1000));
    if (received) {
        double avg = rsum / (double)received;
        double var = rsum2 / (double)received - avg * avg;
        printf("rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms\n", rmin, avg, rmax, root(var));
    }
    fflush(stdout);

    tapir_close(sk);
    tapir_runner_stop(r);
    free(req);
    free(rep);
    free(sent_at);
    free(seen);
    free(config);
    if (received == 0 || (count && deadline > 0 && received < count))
        return 1;
    return 0;
}
