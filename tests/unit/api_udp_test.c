/* Socket objects over UDP and raw sockets: modes, timeouts, errors, select,
 * poll and the epoll-like API, on runners over an in-process wire. */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "api_helpers.h"

TestSuite(api_udp, .init = api_one_runner, .fini = api_stop, .timeout = 20);

static int bound_udp(tapir_addr *where)
{
    int s = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_DGRAM, 0);
    cr_assert_geq(s, 0, "%s", tapir_strerror());
    API_OK(tapir_bind(s, TAPIR_ADDR("127.0.0.1", 0)));
    if (where)
        API_OK(tapir_getsockname(s, where));
    return s;
}

Test(api_udp, loopback_sendto_recvfrom)
{
    tapir_addr sa, ca, from;
    int s = bound_udp(&sa);
    cr_assert_str_eq(sa.host, "127.0.0.1");
    cr_assert_gt(sa.port, 0);
    int c = bound_udp(&ca);
    cr_assert_eq(tapir_sendto(c, "hello", 5, 0, &sa), 5);
    char buf[64];
    ssize_t n = tapir_recvfrom(s, buf, sizeof buf, 0, &from);
    cr_assert_eq(n, 5, "%s", tapir_strerror());
    cr_assert_eq(memcmp(buf, "hello", 5), 0);
    cr_assert_str_eq(from.host, "127.0.0.1");
    cr_assert_eq(from.port, ca.port);
    /* and back, to the address recvfrom gave */
    cr_assert_eq(tapir_sendto(s, "world", 5, 0, &from), 5);
    cr_assert_eq(tapir_recv(c, buf, sizeof buf, 0), 5);
    cr_assert_eq(memcmp(buf, "world", 5), 0);
    tapir_close(s);
    tapir_close(c);
}

Test(api_udp, defaults_and_identity)
{
    int s = tapir_socket(TAPIR_DEFAULT, TAPIR_DEFAULT, TAPIR_DEFAULT);
    if (s >= 0) { /* TCP may not be in yet: then the test is about UDP only */
        cr_assert_eq(tapir_family(s), TAPIR_AF_INET);
        cr_assert_eq(tapir_type(s), TAPIR_SOCK_STREAM);
        cr_assert_eq(tapir_proto(s), 0);
        tapir_close(s);
    }
    s = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_DGRAM, 0);
    cr_assert_geq(s, 0);
    cr_assert_eq(s, 3, "the first descriptor is 3, as in a fresh process");
    cr_assert_eq(tapir_fileno(s), s);
    cr_assert(tapir_gettimeout(s) < 0, "sockets start in the default timeout (None)");
    cr_assert_eq(tapir_getblocking(s), 1);
    int v;
    API_OK(tapir_getsockopt_int(s, TAPIR_SOL_SOCKET, TAPIR_SO_TYPE, &v));
    cr_assert_eq(v, TAPIR_SOCK_DGRAM);
    char r[TAPIR_REPR_MAX];
    cr_assert_str_eq(tapir_repr(s, r, sizeof r),
                     "<tapir.socket fd=3, family=AF_INET, type=SOCK_DGRAM, proto=0, laddr=('0.0.0.0', 0)>");
    API_OK(tapir_bind(s, TAPIR_ADDR("127.0.0.1", 50007)));
    API_OK(tapir_connect(s, TAPIR_ADDR("127.0.0.1", 41234)));
    cr_assert_str_eq(tapir_repr(s, r, sizeof r),
                     "<tapir.socket fd=3, family=AF_INET, type=SOCK_DGRAM, proto=0, laddr=('127.0.0.1', 50007), "
                     "raddr=('127.0.0.1', 41234)>");
    tapir_close(s);
    cr_assert_str_eq(tapir_repr(s, r, sizeof r), "<tapir.socket [closed] fd=-1>");
    /* SOCK_NONBLOCK in type: starts non-blocking, type reported without it */
    s = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_DGRAM | TAPIR_SOCK_NONBLOCK, 0);
    cr_assert_eq(tapir_gettimeout(s), 0.0);
    cr_assert_eq(tapir_type(s), TAPIR_SOCK_DGRAM);
    tapir_close(s);
}

Test(api_udp, creation_errors_like_linux)
{
    cr_assert_eq(tapir_socket(99, TAPIR_SOCK_DGRAM, 0), -1);
    cr_assert_str_eq(tapir_strerror(), "[Errno 97] Address family not supported by protocol");
    cr_assert_eq(tapir_socket(TAPIR_AF_INET, 99, 0), -1);
    cr_assert_str_eq(tapir_strerror(), "[Errno 22] Invalid argument");
    cr_assert_eq(tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_DGRAM, TAPIR_IPPROTO_TCP), -1);
    cr_assert_str_eq(tapir_strerror(), "[Errno 93] Protocol not supported");
    cr_assert_eq(tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_RAW, 0), -1);
    cr_assert_str_eq(tapir_strerror(), "[Errno 93] Protocol not supported");
    cr_assert_eq(tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_SEQPACKET, 0), -1);
    cr_assert_str_eq(tapir_strerror(), "[Errno 94] Socket type not supported");
}

Test(api_udp, argument_errors)
{
    int s = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_DGRAM, 0);
    cr_assert_eq(tapir_bind(s, TAPIR_ADDR("", 70000)), -1);
    cr_assert_eq(tapir_last_error()->kind, TAPIR_ERR_OVERFLOW);
    cr_assert_str_eq(tapir_strerror(), "bind(): port must be 0-65535.");
    cr_assert_eq(tapir_sendto(s, "x", 1, 0, TAPIR_ADDR("127.0.0.1", -1)), -1);
    cr_assert_str_eq(tapir_strerror(), "sendto(): port must be 0-65535.");
    cr_assert_eq(tapir_connect(s, TAPIR_ADDR("no.such.host.invalid", 1)), -1);
    cr_assert_eq(tapir_last_error()->kind, TAPIR_ERR_GAIERROR);
    cr_assert_str_eq(tapir_strerror(), "[Errno -2] Name or service not known");
    cr_assert_eq(tapir_settimeout(s, NAN), -1);
    cr_assert_eq(tapir_last_error()->kind, TAPIR_ERR_VALUE);
    cr_assert_str_eq(tapir_strerror(), "Invalid value NaN (not a number)");
    char buf[4];
    cr_assert_eq(tapir_recv_into(s, buf, sizeof buf, 5, 0), -1);
    cr_assert_str_eq(tapir_strerror(), "buffer too small for requested bytes");
    cr_assert_eq(tapir_send(s, "x", 1, 0), -1);
    cr_assert_str_eq(tapir_strerror(), "[Errno 89] Destination address required");
    static char big[70000];
    cr_assert_eq(tapir_sendto(s, big, sizeof big, 0, TAPIR_ADDR("127.0.0.1", 9)), -1);
    cr_assert_str_eq(tapir_strerror(), "[Errno 90] Message too long");
    int v;
    cr_assert_eq(tapir_getsockopt_int(s, TAPIR_SOL_SOCKET, 999, &v), -1);
    cr_assert_str_eq(tapir_strerror(), "[Errno 92] Protocol not available");
    cr_assert_eq(tapir_setsockopt_int(s, TAPIR_SOL_SOCKET, 999, 1), -1);
    cr_assert_eq(tapir_errno(), ENOPROTOOPT);
    /* a host on '<broadcast>' is INADDR_BROADCAST: refused without SO_BROADCAST */
    cr_assert_eq(tapir_sendto(s, "x", 1, 0, TAPIR_ADDR("<broadcast>", 9)), -1);
    cr_assert_str_eq(tapir_strerror(), "[Errno 13] Permission denied");
    tapir_close(s);
}

Test(api_udp, use_after_close_is_ebadf)
{
    int s = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_DGRAM, 0);
    API_OK(tapir_close(s));
    char buf[4];
    cr_assert_eq(tapir_recv(s, buf, 4, 0), -1);
    cr_assert_str_eq(tapir_strerror(), "[Errno 9] Bad file descriptor");
    cr_assert_eq(tapir_send(s, "x", 1, 0), -1);
    cr_assert_eq(tapir_errno(), EBADF);
    cr_assert_eq(tapir_bind(s, TAPIR_ADDR("", 0)), -1);
    cr_assert_eq(tapir_errno(), EBADF);
    cr_assert_eq(tapir_connect_ex(s, TAPIR_ADDR("127.0.0.1", 1)), EBADF);
    cr_assert_eq(tapir_fileno(s), -1);
    cr_assert_eq(tapir_close(s), -1);
    cr_assert_eq(tapir_errno(), EBADF);
    cr_assert(isnan(tapir_gettimeout(s)));
}

Test(api_udp, timeout_fires_on_time)
{
    int s = bound_udp(NULL);
    API_OK(tapir_settimeout(s, 0.2));
    cr_assert_eq(tapir_gettimeout(s), 0.2);
    char buf[16];
    API_TIMED(0.2, 0.25, {
        cr_assert_eq(tapir_recv(s, buf, sizeof buf, 0), -1);
        cr_assert_eq(tapir_last_error()->kind, TAPIR_ERR_TIMEOUT);
        cr_assert_str_eq(tapir_strerror(), "timed out");
    });
    tapir_close(s);
}

Test(api_udp, nonblocking_never_blocks)
{
    int s = bound_udp(NULL);
    API_OK(tapir_setblocking(s, false));
    cr_assert_eq(tapir_getblocking(s), 0);
    cr_assert_eq(tapir_gettimeout(s), 0.0);
    char buf[16];
    API_TIMED(0, 0.05, {
        for (int i = 0; i < 100; i++) {
            cr_assert_eq(tapir_recv(s, buf, sizeof buf, 0), -1);
            cr_assert_eq(tapir_errno(), EAGAIN);
        }
    });
    cr_assert_str_eq(tapir_strerror(), "[Errno 11] Resource temporarily unavailable");
    cr_assert_str_eq(tapir_error_class(tapir_last_error()), "BlockingIOError");
    /* MSG_DONTWAIT: one call non-blocking on a blocking socket */
    API_OK(tapir_setblocking(s, true));
    API_TIMED(0, 0.02, {
        cr_assert_eq(tapir_recv(s, buf, sizeof buf, TAPIR_MSG_DONTWAIT), -1);
        cr_assert_eq(tapir_errno(), EAGAIN);
    });
    tapir_close(s);
}

Test(api_udp, so_rcvtimeo_in_blocking_mode)
{
    int s = bound_udp(NULL);
    struct timeval tv = {0, 100000};
    API_OK(tapir_setsockopt(s, TAPIR_SOL_SOCKET, TAPIR_SO_RCVTIMEO, &tv, sizeof tv));
    struct timeval got;
    size_t len = sizeof got;
    API_OK(tapir_getsockopt(s, TAPIR_SOL_SOCKET, TAPIR_SO_RCVTIMEO, &got, &len));
    cr_assert(len == sizeof got && got.tv_sec == 0 && got.tv_usec == 100000);
    char buf[16];
    API_TIMED(0.1, 0.15, {
        cr_assert_eq(tapir_recv(s, buf, sizeof buf, 0), -1);
        /* Linux: EAGAIN, as Python shows it for a blocking socket */
        cr_assert_str_eq(tapir_strerror(), "[Errno 11] Resource temporarily unavailable");
    });
    /* in timeout mode the socket's own timeout rules, SO_RCVTIMEO does not */
    API_OK(tapir_settimeout(s, 0.25));
    API_TIMED(0.25, 0.3, {
        cr_assert_eq(tapir_recv(s, buf, sizeof buf, 0), -1);
        cr_assert_str_eq(tapir_strerror(), "timed out");
    });
    tv.tv_usec = 2000000;
    cr_assert_eq(tapir_setsockopt(s, TAPIR_SOL_SOCKET, TAPIR_SO_RCVTIMEO, &tv, sizeof tv), -1);
    cr_assert_eq(tapir_errno(), EDOM);
    tapir_close(s);
}

struct sender {
    tapir_addr to;
    double delay;
};

static void *send_later(void *arg)
{
    struct sender *s = arg;
    usleep((useconds_t)(s->delay * 1e6));
    int c = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_DGRAM, 0);
    tapir_sendto(c, "ping", 4, 0, &s->to);
    tapir_close(c);
    return NULL;
}

Test(api_udp, blocking_recv_wakes_on_data)
{
    struct sender snd = {.delay = 0.1};
    int s = bound_udp(&snd.to);
    pthread_t t;
    char buf[16];
    /* The sender's sleep may end late on a loaded machine, never early. */
    API_TIMED(0.09, 0.2, {
        pthread_create(&t, NULL, send_later, &snd);
        cr_assert_eq(tapir_recv(s, buf, sizeof buf, 0), 4, "%s", tapir_strerror());
        pthread_join(t, NULL);
    });
    tapir_close(s);
}

static void *close_later(void *arg)
{
    usleep(100000);
    tapir_close(*(int *)arg);
    return NULL;
}

Test(api_udp, close_wakes_a_blocked_caller)
{
    int s = bound_udp(NULL);
    pthread_t t;
    pthread_create(&t, NULL, close_later, &s);
    char buf[16];
    cr_assert_eq(tapir_recv(s, buf, sizeof buf, 0), -1);
    cr_assert_eq(tapir_errno(), EBADF);
    pthread_join(t, NULL);
}

Test(api_udp, peek_and_trunc)
{
    tapir_addr sa;
    int s = bound_udp(&sa);
    int c = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_DGRAM, 0);
    cr_assert_eq(tapir_sendto(c, "0123456789", 10, 0, &sa), 10);
    char buf[16];
    cr_assert_eq(tapir_recv(s, buf, 4, TAPIR_MSG_PEEK), 4);
    cr_assert_eq(memcmp(buf, "0123", 4), 0);
    cr_assert_eq(tapir_recv(s, buf, 4, TAPIR_MSG_TRUNC), 10, "MSG_TRUNC gives the real length");
    cr_assert_eq(memcmp(buf, "0123", 4), 0);
    API_OK(tapir_settimeout(s, 0));
    cr_assert_eq(tapir_recv(s, buf, 4, 0), -1, "the datagram was consumed");
    tapir_close(s);
    tapir_close(c);
}

Test(api_udp, connected_udp_filters)
{
    tapir_addr sa, ca, other;
    int s = bound_udp(&sa), c = bound_udp(&ca), o = bound_udp(&other);
    API_OK(tapir_connect(s, &ca));
    tapir_addr peer;
    API_OK(tapir_getpeername(s, &peer));
    cr_assert_eq(peer.port, ca.port);
    cr_assert_eq(tapir_sendto(o, "no", 2, 0, &sa), 2);
    cr_assert_eq(tapir_sendto(c, "yes", 3, 0, &sa), 3);
    char buf[8];
    cr_assert_eq(tapir_recv(s, buf, sizeof buf, 0), 3);
    cr_assert_eq(memcmp(buf, "yes", 3), 0);
    cr_assert_eq(tapir_send(s, "back", 4, 0), 4);
    cr_assert_eq(tapir_recv(c, buf, sizeof buf, 0), 4);
    tapir_close(s);
    tapir_close(c);
    tapir_close(o);
}

Test(api_udp, default_timeout)
{
    cr_assert(tapir_getdefaulttimeout() < 0);
    API_OK(tapir_setdefaulttimeout(0.05));
    int s = bound_udp(NULL);
    cr_assert_eq(tapir_gettimeout(s), 0.05);
    char buf[4];
    cr_assert_eq(tapir_recv(s, buf, 4, 0), -1);
    cr_assert_eq(tapir_last_error()->kind, TAPIR_ERR_TIMEOUT);
    API_OK(tapir_setdefaulttimeout(-1));
    tapir_close(s);
}

Test(api_udp, dup_and_fromfd_share_the_socket)
{
    tapir_addr sa;
    int s = bound_udp(&sa);
    API_OK(tapir_settimeout(s, 1.5));
    int d = tapir_dup(s);
    cr_assert_geq(d, 0);
    cr_assert_neq(d, s);
    cr_assert_eq(tapir_gettimeout(d), 1.5, "dup keeps the timeout, as Python's dup()");
    int f = tapir_fromfd(s, TAPIR_AF_INET, TAPIR_SOCK_DGRAM, 0);
    cr_assert(tapir_gettimeout(f) < 0, "fromfd: the default timeout");
    tapir_close(s);
    int c = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_DGRAM, 0);
    cr_assert_eq(tapir_sendto(c, "x", 1, 0, &sa), 1);
    char buf[4];
    cr_assert_eq(tapir_recv(d, buf, 4, 0), 1, "still open through the dup: %s", tapir_strerror());
    tapir_close(d);
    cr_assert_eq(tapir_sendto(c, "y", 1, 0, &sa), 1);
    cr_assert_eq(tapir_recv(f, buf, 4, 0), 1);
    tapir_close(f);
    tapir_close(c);
}

Test(api_udp, select_readiness)
{
    tapir_addr sa;
    int s = bound_udp(&sa);
    int r[1] = {s}, w[1] = {s}, nr = 1, nw = 1;
    cr_assert_eq(tapir_select(r, &nr, w, &nw, NULL, NULL, 0.0), 1);
    cr_assert_eq(nr, 0);
    cr_assert_eq(nw, 1, "a UDP socket is writable");
    API_TIMED(0.1, 0.15, {
        nr = 1;
        cr_assert_eq(tapir_select(r, &nr, NULL, NULL, NULL, NULL, 0.1), 0);
    });
    struct sender snd = {sa, 0.05};
    pthread_t t;
    pthread_create(&t, NULL, send_later, &snd);
    nr = 1;
    double t0 = api_now();
    cr_assert_eq(tapir_select(r, &nr, NULL, NULL, NULL, NULL, -1.0), 1);
    cr_assert_eq(nr, 1);
    cr_assert_eq(r[0], s);
    cr_assert_lt(api_now() - t0, 0.5);
    pthread_join(t, NULL);
    /* a bad descriptor: EBADF as select(2) */
    int bad[1] = {999};
    nr = 1;
    cr_assert_eq(tapir_select(bad, &nr, NULL, NULL, NULL, NULL, 0.0), -1);
    cr_assert_eq(tapir_errno(), EBADF);
    tapir_close(s);
}

Test(api_udp, poll_style)
{
    tapir_addr sa;
    int s = bound_udp(&sa);
    struct tapir_pollfd p[2] = {{s, TAPIR_POLLIN, 0}, {12345, TAPIR_POLLIN, 0}};
    cr_assert_eq(tapir_poll(p, 2, 0), 1);
    cr_assert_eq(p[0].revents, 0);
    cr_assert_eq(p[1].revents, TAPIR_POLLNVAL);
    int c = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_DGRAM, 0);
    tapir_sendto(c, "x", 1, 0, &sa);
    cr_assert_eq(tapir_poll(p, 1, 1000), 1);
    cr_assert_eq(p[0].revents, TAPIR_POLLIN);
    tapir_close(s);
    tapir_close(c);
}

Test(api_udp, epoll_reports_only_ready)
{
    enum { N = 200 };
    int s[N];
    tapir_addr a[N];
    tapir_epoll *ep = tapir_epoll_create();
    cr_assert_not_null(ep);
    for (int i = 0; i < N; i++) {
        s[i] = bound_udp(&a[i]);
        API_OK(tapir_epoll_register(ep, s[i], TAPIR_EPOLLIN));
    }
    cr_assert_eq(tapir_epoll_register(ep, s[0], TAPIR_EPOLLIN), -1);
    cr_assert_str_eq(tapir_strerror(), "[Errno 17] File exists");
    struct tapir_epoll_event ev[8];
    cr_assert_eq(tapir_epoll_poll(ep, ev, 8, 0.0), 0);
    double t0 = api_now();
    cr_assert_eq(tapir_epoll_poll(ep, ev, 8, 0.1), 0);
    cr_assert_geq(api_now() - t0, 0.1);
    int c = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_DGRAM, 0);
    tapir_sendto(c, "x", 1, 0, &a[123]);
    tapir_sendto(c, "y", 1, 0, &a[7]);
    int seen7 = 0, seen123 = 0;
    t0 = api_now();
    while ((seen7 + seen123) < 2 && api_now() - t0 < 2) {
        int n = tapir_epoll_poll(ep, ev, 8, 1.0);
        cr_assert_geq(n, 0);
        for (int i = 0; i < n; i++) {
            cr_assert_eq(ev[i].events, TAPIR_EPOLLIN);
            seen7 |= ev[i].fd == s[7];
            seen123 |= ev[i].fd == s[123];
            cr_assert(ev[i].fd == s[7] || ev[i].fd == s[123]);
        }
    }
    cr_assert(seen7 && seen123);
    /* level-triggered: still reported until read */
    cr_assert_eq(tapir_epoll_poll(ep, ev, 8, 0.0), 2);
    char buf[4];
    tapir_recv(s[7], buf, 4, 0);
    cr_assert_eq(tapir_epoll_poll(ep, ev, 8, 0.0), 1);
    cr_assert_eq(ev[0].fd, s[123]);
    API_OK(tapir_epoll_unregister(ep, s[123]));
    cr_assert_eq(tapir_epoll_poll(ep, ev, 8, 0.0), 0);
    cr_assert_eq(tapir_epoll_unregister(ep, s[123]), -1);
    cr_assert_eq(tapir_errno(), ENOENT);
    /* closing a registered socket forgets it */
    tapir_close(s[5]);
    tapir_epoll_close(ep);
    for (int i = 0; i < N; i++)
        if (i != 5)
            tapir_close(s[i]);
    tapir_close(c);
}

Test(api_udp, raw_icmp_echo_on_loopback)
{
    int s = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_RAW, TAPIR_IPPROTO_ICMP);
    cr_assert_geq(s, 0, "%s", tapir_strerror());
    char r[TAPIR_REPR_MAX];
    cr_assert_str_eq(tapir_repr(s, r, sizeof r),
                     "<tapir.socket fd=3, family=AF_INET, type=SOCK_RAW, proto=1, laddr=('0.0.0.0', 1)>"); /* Linux too */
    /* ICMP echo request, id 0x1234 seq 1, checksum filled in below */
    uint8_t req[16] = {8, 0, 0, 0, 0x12, 0x34, 0, 1, 't', 'a', 'p', 'i', 'r', '!', '!', '!'};
    uint32_t sum = 0;
    for (int i = 0; i < 16; i += 2)
        sum += (uint32_t)(req[i] << 8 | req[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    req[2] = (uint8_t)(~sum >> 8);
    req[3] = (uint8_t)~sum;
    cr_assert_eq(tapir_sendto(s, req, sizeof req, 0, TAPIR_ADDR("127.0.0.1", 0)), 16, "%s", tapir_strerror());
    API_OK(tapir_settimeout(s, 2.0));
    uint8_t buf[256];
    bool reply = false;
    for (int i = 0; i < 4 && !reply; i++) {
        tapir_addr from;
        ssize_t n = tapir_recvfrom(s, buf, sizeof buf, 0, &from);
        cr_assert_gt(n, 20, "%s", tapir_strerror());
        size_t ihl = (size_t)(buf[0] & 15) * 4;
        reply = buf[ihl] == 0 && buf[ihl + 4] == 0x12 && buf[ihl + 5] == 0x34;
        cr_assert_str_eq(from.host, "127.0.0.1");
    }
    cr_assert(reply, "an echo reply came back on the raw socket");
    tapir_close(s);
}

TestSuite(api_wire, .init = api_two_runners, .fini = api_stop, .timeout = 20);

Test(api_wire, udp_between_two_stacks)
{
    int s = tapir_socket_on(api_r2, TAPIR_AF_INET, TAPIR_SOCK_DGRAM, 0);
    API_OK(tapir_bind(s, TAPIR_ADDR("", 9999)));
    int c = tapir_socket_on(api_r1, TAPIR_AF_INET, TAPIR_SOCK_DGRAM, 0);
    API_OK(tapir_settimeout(s, 2.0));
    cr_assert_eq(tapir_sendto(c, "over the wire", 13, 0, TAPIR_ADDR("198.18.0.3", 9999)), 13);
    char buf[32];
    tapir_addr from;
    cr_assert_eq(tapir_recvfrom(s, buf, sizeof buf, 0, &from), 13, "%s", tapir_strerror());
    cr_assert_str_eq(from.host, "198.18.0.2");
    /* a datagram larger than the MTU is fragmented and reassembled */
    static char big[8000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)i;
    cr_assert_eq(tapir_sendto(c, big, sizeof big, 0, TAPIR_ADDR("198.18.0.3", 9999)), (ssize_t)sizeof big);
    static char got[9000];
    cr_assert_eq(tapir_recv(s, got, sizeof got, 0), (ssize_t)sizeof big, "%s", tapir_strerror());
    cr_assert_eq(memcmp(big, got, sizeof big), 0);
    /* ICMP port unreachable surfaces as ECONNREFUSED on a connected socket */
    API_OK(tapir_connect(c, TAPIR_ADDR("198.18.0.3", 9998)));
    API_OK(tapir_settimeout(c, 2.0));
    cr_assert_eq(tapir_send(c, "x", 1, 0), 1);
    cr_assert_eq(tapir_recv(c, buf, sizeof buf, 0), -1);
    cr_assert_str_eq(tapir_strerror(), "[Errno 111] Connection refused");
    tapir_close(s);
    tapir_close(c);
}
