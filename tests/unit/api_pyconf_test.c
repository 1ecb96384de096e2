/* Differential checks against CPython 3.11's socket module on Linux: each
 * expected value is what python3 printed for the same case against the
 * kernel on loopback (the Python line is the comment next to the check).
 * The cases are the edges Python documents or shows: argument errors and
 * their order, timeouts, MSG_* flags, state errors, socket options. */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "api_helpers.h"

TestSuite(api_pyconf, .init = api_one_runner, .fini = api_stop, .timeout = 30);

static int tcp(void)
{
    int s = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_STREAM, 0);
    cr_assert_geq(s, 0, "%s", tapir_strerror());
    return s;
}

static int udp(void)
{
    int s = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_DGRAM, 0);
    cr_assert_geq(s, 0, "%s", tapir_strerror());
    return s;
}

/* A port on 127.0.0.1 nobody listens on. */
static int closed_port(void)
{
    tapir_addr a;
    int s = tcp();
    API_OK(tapir_bind(s, TAPIR_ADDR("127.0.0.1", 0)));
    API_OK(tapir_getsockname(s, &a));
    tapir_close(s);
    return a.port;
}

#define ERR_IS(kind_, msg_)                                                                        \
    do {                                                                                           \
        cr_assert_eq(tapir_last_error()->kind, (kind_), "kind %d: %s", tapir_last_error()->kind,   \
                     tapir_strerror());                                                            \
        cr_assert_str_eq(tapir_strerror(), (msg_));                                                \
    } while (0)

/* ---- timeouts ---- */

Test(api_pyconf, timeout_out_of_range_overflows)
{
    int s = tcp();
    /* s.settimeout(math.inf) -> OverflowError: timestamp out of range for platform time_t */
    cr_assert_eq(tapir_settimeout(s, INFINITY), -1);
    ERR_IS(TAPIR_ERR_OVERFLOW, "timestamp out of range for platform time_t");
    /* s.settimeout(1e300) -> OverflowError: timestamp out of range for platform time_t */
    cr_assert_eq(tapir_settimeout(s, 1e300), -1);
    ERR_IS(TAPIR_ERR_OVERFLOW, "timestamp out of range for platform time_t");
    /* s.settimeout(9223372037.0) -> OverflowError (past 2**63 ns) */
    cr_assert_eq(tapir_settimeout(s, 9223372037.0), -1);
    ERR_IS(TAPIR_ERR_OVERFLOW, "timestamp out of range for platform time_t");
    /* s.settimeout(9223372036.0); s.gettimeout() -> 9223372036.0 */
    API_OK(tapir_settimeout(s, 9223372036.0));
    cr_assert_eq(tapir_gettimeout(s), 9223372036.0);
    /* socket.setdefaulttimeout(math.inf) -> OverflowError: timestamp out of range for platform time_t */
    cr_assert_eq(tapir_setdefaulttimeout(INFINITY), -1);
    ERR_IS(TAPIR_ERR_OVERFLOW, "timestamp out of range for platform time_t");
    cr_assert_lt(tapir_getdefaulttimeout(), 0); /* unchanged: None */
    tapir_close(s);
}

/* In timeout mode CPython polls for readiness before each attempt, so
 * MSG_DONTWAIT does not make the call return at once. */
Test(api_pyconf, dontwait_in_timeout_mode_times_out)
{
    int c, a;
    char buf[4];
    api_tcp_pair(&c, &a);
    API_OK(tapir_settimeout(c, 0.2));
    /* c.settimeout(0.1); c.recv(1, MSG_DONTWAIT) -> TimeoutError: timed out */
    API_TIMED(0.19, 1.0, cr_assert_eq(tapir_recv(c, buf, 1, TAPIR_MSG_DONTWAIT), -1));
    ERR_IS(TAPIR_ERR_TIMEOUT, "timed out");
    /* c.settimeout(None); c.recv(1, MSG_DONTWAIT) -> BlockingIOError: [Errno 11] */
    API_OK(tapir_settimeout(c, TAPIR_TIMEOUT_NONE));
    API_TIMED(0, 0.1, cr_assert_eq(tapir_recv(c, buf, 1, TAPIR_MSG_DONTWAIT), -1));
    ERR_IS(TAPIR_ERR_ERROR, "[Errno 11] Resource temporarily unavailable");
    /* data waiting: the flag is no obstacle in timeout mode */
    API_OK(tapir_settimeout(c, 0.2));
    cr_assert_eq(tapir_send(a, "ab", 2, 0), 2);
    cr_assert_eq(tapir_recv(c, buf, 2, TAPIR_MSG_DONTWAIT | TAPIR_MSG_WAITALL), 2);
    tapir_close(c);
    tapir_close(a);

    int u = udp();
    API_OK(tapir_bind(u, TAPIR_ADDR("127.0.0.1", 0)));
    API_OK(tapir_settimeout(u, 0.2));
    /* u.settimeout(0.2); u.recvfrom(1, MSG_DONTWAIT) -> TimeoutError: timed out */
    tapir_addr from;
    API_TIMED(0.19, 1.0, cr_assert_eq(tapir_recvfrom(u, buf, 1, TAPIR_MSG_DONTWAIT, &from), -1));
    ERR_IS(TAPIR_ERR_TIMEOUT, "timed out");
    tapir_close(u);
}

/* ---- recv family: argument checks first, recv(0) returns at once ---- */

Test(api_pyconf, recv_argument_errors_come_before_the_socket)
{
    char buf[8];
    int s = tcp();
    /* s.recvfrom(-1) -> ValueError: negative buffersize in recvfrom */
    cr_assert_eq(tapir_recvfrom(s, buf, (size_t)-1, 0, NULL), -1);
    ERR_IS(TAPIR_ERR_VALUE, "negative buffersize in recvfrom");
    /* s.recvmsg(-1) -> ValueError: negative buffer size in recvmsg() */
    cr_assert_eq(tapir_recvmsg(s, buf, (size_t)-1, 0, NULL, NULL), -1);
    ERR_IS(TAPIR_ERR_VALUE, "negative buffer size in recvmsg()");
    tapir_close(s);
    /* closed: s.recv(-1) -> ValueError: negative buffersize in recv */
    cr_assert_eq(tapir_recv(s, buf, (size_t)-1, 0), -1);
    ERR_IS(TAPIR_ERR_VALUE, "negative buffersize in recv");
    /* closed: s.recvfrom(-1) -> ValueError: negative buffersize in recvfrom */
    cr_assert_eq(tapir_recvfrom(s, buf, (size_t)-1, 0, NULL), -1);
    ERR_IS(TAPIR_ERR_VALUE, "negative buffersize in recvfrom");
    /* closed: s.recv_into(bytearray(2), -1) -> ValueError: negative buffersize in recv_into */
    cr_assert_eq(tapir_recv_into(s, buf, 2, (size_t)-1, 0), -1);
    ERR_IS(TAPIR_ERR_VALUE, "negative buffersize in recv_into");
    /* closed: s.recv_into(bytearray(2), 3) -> ValueError: buffer too small for requested bytes */
    cr_assert_eq(tapir_recv_into(s, buf, 2, 3, 0), -1);
    ERR_IS(TAPIR_ERR_VALUE, "buffer too small for requested bytes");
    /* closed: s.recvmsg(-1) -> ValueError: negative buffer size in recvmsg() */
    cr_assert_eq(tapir_recvmsg(s, buf, (size_t)-1, 0, NULL, NULL), -1);
    ERR_IS(TAPIR_ERR_VALUE, "negative buffer size in recvmsg()");
    /* closed: s.recv(1) -> OSError: [Errno 9] Bad file descriptor */
    cr_assert_eq(tapir_recv(s, buf, 1, 0), -1);
    ERR_IS(TAPIR_ERR_ERROR, "[Errno 9] Bad file descriptor");
}

Test(api_pyconf, recv_zero_returns_at_once)
{
    char buf[16];
    int s = tcp();
    /* socket().recv(0) -> b'' (unconnected: no ENOTCONN, CPython does not call recv) */
    cr_assert_eq(tapir_recv(s, buf, 0, 0), 0);
    /* socket().recv_into(bytearray(0)) -> 0 */
    cr_assert_eq(tapir_recv_into(s, buf, 0, 0, 0), 0);
    tapir_close(s);
    /* closed: s.recv(0) -> b'' */
    cr_assert_eq(tapir_recv(s, buf, 0, 0), 0);

    int c, a;
    api_tcp_pair(&c, &a);
    /* connected, blocking, nothing to read: c.recv(0) -> b'' at once */
    API_TIMED(0, 0.1, cr_assert_eq(tapir_recv(c, buf, 0, 0), 0));
    tapir_close(c);
    tapir_close(a);

    int u = udp(), v = udp();
    tapir_addr ua;
    API_OK(tapir_bind(u, TAPIR_ADDR("127.0.0.1", 0)));
    API_OK(tapir_getsockname(u, &ua));
    API_OK(tapir_settimeout(u, 0.2));
    /* u.recv(0) with no datagram -> b'' at once (no timeout) */
    API_TIMED(0, 0.1, cr_assert_eq(tapir_recv(u, buf, 0, 0), 0));
    cr_assert_eq(tapir_sendto(v, "hello", 5, 0, &ua), 5);
    /* u.recv(0) -> b''; u.recv(10) -> b'hello': the datagram was not taken */
    cr_assert_eq(tapir_recv(u, buf, 0, 0), 0);
    cr_assert_eq(tapir_recv(u, buf, sizeof buf, 0), 5);
    cr_assert_eq(memcmp(buf, "hello", 5), 0);
    /* u.recvfrom(0) with no datagram -> TimeoutError: timed out (recvfrom does call) */
    API_TIMED(0.19, 1.0, cr_assert_eq(tapir_recvfrom(u, buf, 0, 0, NULL), -1));
    ERR_IS(TAPIR_ERR_TIMEOUT, "timed out");
    /* u.recvmsg(0) -> TimeoutError: timed out */
    API_TIMED(0.19, 1.0, cr_assert_eq(tapir_recvmsg(u, buf, 0, 0, NULL, NULL), -1));
    ERR_IS(TAPIR_ERR_TIMEOUT, "timed out");
    /* u.recv_into(bytearray(5), 0) -> TimeoutError (nbytes 0 is the whole buffer) */
    API_TIMED(0.19, 1.0, cr_assert_eq(tapir_recv_into(u, buf, 5, 0, 0), -1));
    ERR_IS(TAPIR_ERR_TIMEOUT, "timed out");
    tapir_close(u);
    tapir_close(v);
}

/* ---- connect: the socket's own state beside TCP's ---- */

Test(api_pyconf, connect_again_reports_the_attempt_in_progress)
{
    tapir_addr la;
    int l = api_tcp_listener(&la);
    int c = tcp();
    API_OK(tapir_setblocking(c, false));
    /* c.setblocking(False); c.connect_ex(addr) -> 115 */
    cr_assert_eq(tapir_connect_ex(c, &la), EINPROGRESS);
    usleep(50000);
    /* time.sleep(0.05); c.connect_ex(addr) -> 0 (established meanwhile) */
    cr_assert_eq(tapir_connect_ex(c, &la), 0);
    /* c.connect_ex(addr) -> 106 */
    cr_assert_eq(tapir_connect_ex(c, &la), EISCONN);
    /* c.connect(addr) -> OSError: [Errno 106] Transport endpoint is already connected */
    cr_assert_eq(tapir_connect(c, &la), -1);
    ERR_IS(TAPIR_ERR_ERROR, "[Errno 106] Transport endpoint is already connected");
    tapir_close(c);

    /* Timeout mode: CPython never calls connect() again, so the next one
     * answers for the first: s.settimeout(2); s.connect(a); s.connect(a) -> None */
    c = tcp();
    API_OK(tapir_settimeout(c, 2.0));
    API_OK(tapir_connect(c, &la));
    API_OK(tapir_connect(c, &la));
    /* ... and the third: OSError: [Errno 106] Transport endpoint is already connected */
    cr_assert_eq(tapir_connect(c, &la), -1);
    ERR_IS(TAPIR_ERR_ERROR, "[Errno 106] Transport endpoint is already connected");
    tapir_close(c);

    /* Blocking: the kernel's connect marks the socket connected:
     * s.connect(a); s.connect(a) -> OSError: [Errno 106] */
    c = tcp();
    API_OK(tapir_connect(c, &la));
    cr_assert_eq(tapir_connect(c, &la), -1);
    ERR_IS(TAPIR_ERR_ERROR, "[Errno 106] Transport endpoint is already connected");
    tapir_close(c);
    tapir_close(l);
}

Test(api_pyconf, connect_again_after_a_refused_attempt)
{
    tapir_addr to;
    tapir_addr_set(&to, "127.0.0.1", closed_port());
    int c = tcp(), v;
    API_OK(tapir_setblocking(c, false));
    /* s.setblocking(False); s.connect_ex(('127.0.0.1', 1)) -> 115 */
    cr_assert_eq(tapir_connect_ex(c, &to), EINPROGRESS);
    usleep(50000);
    /* s.connect_ex(...) -> 111 (the attempt's error) */
    cr_assert_eq(tapir_connect_ex(c, &to), ECONNREFUSED);
    /* s.connect_ex(...) -> 115 (a new attempt) */
    cr_assert_eq(tapir_connect_ex(c, &to), EINPROGRESS);
    usleep(50000);
    /* s.getsockopt(SOL_SOCKET, SO_ERROR) -> 111; then s.connect_ex(...) -> 103 */
    API_OK(tapir_getsockopt_int(c, TAPIR_SOL_SOCKET, TAPIR_SO_ERROR, &v));
    cr_assert_eq(v, ECONNREFUSED);
    cr_assert_eq(tapir_connect_ex(c, &to), ECONNABORTED);
    tapir_close(c);

    /* Timeout mode reads SO_ERROR itself: s.settimeout(1);
     * s.connect_ex(a) -> 111, s.connect_ex(a) -> 103 */
    c = tcp();
    API_OK(tapir_settimeout(c, 1.0));
    cr_assert_eq(tapir_connect_ex(c, &to), ECONNREFUSED);
    cr_assert_eq(tapir_connect_ex(c, &to), ECONNABORTED);
    /* s.getpeername() -> OSError: [Errno 107] Transport endpoint is not connected */
    tapir_addr peer;
    cr_assert_eq(tapir_getpeername(c, &peer), -1);
    ERR_IS(TAPIR_ERR_ERROR, "[Errno 107] Transport endpoint is not connected");
    tapir_close(c);

    /* Blocking: each connect is a new attempt: connect -> [Errno 111], connect -> [Errno 111] */
    c = tcp();
    cr_assert_eq(tapir_connect(c, &to), -1);
    ERR_IS(TAPIR_ERR_ERROR, "[Errno 111] Connection refused");
    cr_assert_eq(tapir_connect(c, &to), -1);
    ERR_IS(TAPIR_ERR_ERROR, "[Errno 111] Connection refused");
    tapir_close(c);
}

Test(api_pyconf, getpeername_after_a_reset_is_enotconn)
{
    int c, a;
    tapir_addr peer;
    api_tcp_pair(&c, &a);
    struct {
        int onoff, linger;
    } lg = {1, 0};
    API_OK(tapir_setsockopt(a, TAPIR_SOL_SOCKET, TAPIR_SO_LINGER, &lg, sizeof lg));
    tapir_close(a);
    usleep(50000);
    /* c.getpeername() -> OSError: [Errno 107] Transport endpoint is not connected */
    cr_assert_eq(tapir_getpeername(c, &peer), -1);
    ERR_IS(TAPIR_ERR_ERROR, "[Errno 107] Transport endpoint is not connected");
    /* c.recv(1) -> ConnectionResetError: [Errno 104] Connection reset by peer */
    char b;
    cr_assert_eq(tapir_recv(c, &b, 1, 0), -1);
    ERR_IS(TAPIR_ERR_ERROR, "[Errno 104] Connection reset by peer");
    /* c.connect(addr) -> OSError: [Errno 106] (the socket stays "connected") */
    cr_assert_eq(tapir_connect(c, TAPIR_ADDR("127.0.0.1", 9)), -1);
    ERR_IS(TAPIR_ERR_ERROR, "[Errno 106] Transport endpoint is already connected");
    tapir_close(c);

    /* The peer's FIN leaves the peer name: c.getpeername() -> ('127.0.0.1', port) */
    api_tcp_pair(&c, &a);
    tapir_close(a);
    usleep(50000);
    API_OK(tapir_getpeername(c, &peer));
    cr_assert_str_eq(peer.host, "127.0.0.1");
    tapir_close(c);
}

/* ---- UDP: which error comes first ---- */

Test(api_pyconf, udp_send_errors_in_linux_order)
{
    int u = udp(), v = udp();
    tapir_addr va;
    API_OK(tapir_bind(v, TAPIR_ADDR("127.0.0.1", 0)));
    API_OK(tapir_getsockname(v, &va));
    /* u.sendto(b'x', MSG_OOB, addr) -> OSError: [Errno 95] Operation not supported */
    cr_assert_eq(tapir_sendto(u, "x", 1, TAPIR_MSG_OOB, &va), -1);
    ERR_IS(TAPIR_ERR_ERROR, "[Errno 95] Operation not supported");
    /* u.shutdown(SHUT_RDWR) -> OSError: [Errno 107] (the flags are set all the same) */
    cr_assert_eq(tapir_shutdown(u, TAPIR_SHUT_RDWR), -1);
    ERR_IS(TAPIR_ERR_ERROR, "[Errno 107] Transport endpoint is not connected");
    /* u.sendto(b'x', ('127.0.0.1', 0)) -> OSError: [Errno 22] Invalid argument */
    cr_assert_eq(tapir_sendto(u, "x", 1, 0, TAPIR_ADDR("127.0.0.1", 0)), -1);
    ERR_IS(TAPIR_ERR_ERROR, "[Errno 22] Invalid argument");
    /* u.sendto(b'x', MSG_OOB, addr) -> OSError: [Errno 95] Operation not supported */
    cr_assert_eq(tapir_sendto(u, "x", 1, TAPIR_MSG_OOB, &va), -1);
    ERR_IS(TAPIR_ERR_ERROR, "[Errno 95] Operation not supported");
    /* u.send(b'x') -> OSError: [Errno 89] Destination address required */
    cr_assert_eq(tapir_send(u, "x", 1, 0), -1);
    ERR_IS(TAPIR_ERR_ERROR, "[Errno 89] Destination address required");
    /* u.sendto(b'x', addr) -> BrokenPipeError: [Errno 32] Broken pipe */
    cr_assert_eq(tapir_sendto(u, "x", 1, 0, &va), -1);
    ERR_IS(TAPIR_ERR_ERROR, "[Errno 32] Broken pipe");
    /* u.recv(10) (blocking, after SHUT_RD) -> b'' */
    char buf[8];
    cr_assert_eq(tapir_recv(u, buf, sizeof buf, 0), 0);
    tapir_close(u);
    tapir_close(v);
}

/* ---- socket options ---- */

Test(api_pyconf, getsockopt_short_buffers_and_wrong_levels)
{
    int s = tcp(), v;
    uint8_t b[8];
    size_t n;
    /* s.getsockopt(SOL_SOCKET, SO_TYPE, 2).hex() -> '0100' */
    memset(b, 0xee, sizeof b);
    n = 2;
    API_OK(tapir_getsockopt(s, TAPIR_SOL_SOCKET, TAPIR_SO_TYPE, b, &n));
    cr_assert_eq(n, 2);
    cr_assert(b[0] == 1 && b[1] == 0 && b[2] == 0xee);
    /* s.setsockopt(SOL_SOCKET, SO_REUSEADDR, 5); s.getsockopt(SOL_SOCKET, SO_REUSEADDR, 1).hex() -> '01' */
    API_OK(tapir_setsockopt_int(s, TAPIR_SOL_SOCKET, TAPIR_SO_REUSEADDR, 5));
    n = 1;
    API_OK(tapir_getsockopt(s, TAPIR_SOL_SOCKET, TAPIR_SO_REUSEADDR, b, &n));
    cr_assert(n == 1 && b[0] == 1);
    /* s.getsockopt(IPPROTO_IP, IP_TTL, 1).hex() -> '40' (one byte: do_ip_getsockopt) */
    n = 1;
    API_OK(tapir_getsockopt(s, TAPIR_IPPROTO_IP, TAPIR_IP_TTL, b, &n));
    cr_assert(n == 1 && b[0] == 64);
    /* s.getsockopt(SOL_TCP, TCP_NODELAY, 2).hex() -> '0000' */
    n = 2;
    API_OK(tapir_getsockopt(s, TAPIR_SOL_TCP, TAPIR_TCP_NODELAY, b, &n));
    cr_assert(n == 2 && b[0] == 0 && b[1] == 0);
    /* s.getsockopt(IPPROTO_IPV6, IPV6_V6ONLY) on AF_INET -> [Errno 95] Operation not supported */
    cr_assert_eq(tapir_getsockopt_int(s, TAPIR_IPPROTO_IPV6, TAPIR_IPV6_V6ONLY, &v), -1);
    ERR_IS(TAPIR_ERR_ERROR, "[Errno 95] Operation not supported");
    /* s.getsockopt(SOL_UDP, 1) -> [Errno 95]; s.getsockopt(999, 1) -> [Errno 95] */
    cr_assert_eq(tapir_getsockopt_int(s, TAPIR_SOL_UDP, 1, &v), -1);
    cr_assert_eq(tapir_errno(), EOPNOTSUPP);
    cr_assert_eq(tapir_getsockopt_int(s, 999, 1, &v), -1);
    cr_assert_eq(tapir_errno(), EOPNOTSUPP);
    /* s.setsockopt(IPPROTO_IPV6, IPV6_V6ONLY, 1) -> [Errno 92] Protocol not available */
    cr_assert_eq(tapir_setsockopt_int(s, TAPIR_IPPROTO_IPV6, TAPIR_IPV6_V6ONLY, 1), -1);
    ERR_IS(TAPIR_ERR_ERROR, "[Errno 92] Protocol not available");
    /* s.getsockopt(SOL_SOCKET, 999) -> [Errno 92]; s.getsockopt(SOL_TCP, 999) -> [Errno 92] */
    cr_assert_eq(tapir_getsockopt_int(s, TAPIR_SOL_SOCKET, 999, &v), -1);
    cr_assert_eq(tapir_errno(), ENOPROTOOPT);
    cr_assert_eq(tapir_getsockopt_int(s, TAPIR_SOL_TCP, 999, &v), -1);
    cr_assert_eq(tapir_errno(), ENOPROTOOPT);
    tapir_close(s);

    int u = udp();
    /* u.getsockopt(SOL_TCP, TCP_NODELAY) -> [Errno 95] Operation not supported */
    cr_assert_eq(tapir_getsockopt_int(u, TAPIR_SOL_TCP, TAPIR_TCP_NODELAY, &v), -1);
    ERR_IS(TAPIR_ERR_ERROR, "[Errno 95] Operation not supported");
    /* u.setsockopt(SOL_TCP, TCP_NODELAY, 1) -> [Errno 92] Protocol not available */
    cr_assert_eq(tapir_setsockopt_int(u, TAPIR_SOL_TCP, TAPIR_TCP_NODELAY, 1), -1);
    ERR_IS(TAPIR_ERR_ERROR, "[Errno 92] Protocol not available");
    tapir_close(u);
}

Test(api_pyconf, ip_ttl_tos_quickack_values)
{
    int s = tcp(), v;
    /* s.setsockopt(IPPROTO_IP, IP_TTL, 0) -> [Errno 22] Invalid argument */
    cr_assert_eq(tapir_setsockopt_int(s, TAPIR_IPPROTO_IP, TAPIR_IP_TTL, 0), -1);
    ERR_IS(TAPIR_ERR_ERROR, "[Errno 22] Invalid argument");
    /* 256 -> [Errno 22]; -2 -> [Errno 22]; 255 -> 255; -1 -> 64 */
    cr_assert_eq(tapir_setsockopt_int(s, TAPIR_IPPROTO_IP, TAPIR_IP_TTL, 256), -1);
    cr_assert_eq(tapir_errno(), EINVAL);
    cr_assert_eq(tapir_setsockopt_int(s, TAPIR_IPPROTO_IP, TAPIR_IP_TTL, -2), -1);
    cr_assert_eq(tapir_errno(), EINVAL);
    API_OK(tapir_setsockopt_int(s, TAPIR_IPPROTO_IP, TAPIR_IP_TTL, 255));
    API_OK(tapir_getsockopt_int(s, TAPIR_IPPROTO_IP, TAPIR_IP_TTL, &v));
    cr_assert_eq(v, 255);
    API_OK(tapir_setsockopt_int(s, TAPIR_IPPROTO_IP, TAPIR_IP_TTL, -1));
    API_OK(tapir_getsockopt_int(s, TAPIR_IPPROTO_IP, TAPIR_IP_TTL, &v));
    cr_assert_eq(v, 64);
    /* TCP keeps the ECN bits: IP_TOS 0xff -> 252, 1 -> 0, 0x10 -> 16 */
    API_OK(tapir_setsockopt_int(s, TAPIR_IPPROTO_IP, TAPIR_IP_TOS, 0xff));
    API_OK(tapir_getsockopt_int(s, TAPIR_IPPROTO_IP, TAPIR_IP_TOS, &v));
    cr_assert_eq(v, 252);
    API_OK(tapir_setsockopt_int(s, TAPIR_IPPROTO_IP, TAPIR_IP_TOS, 1));
    API_OK(tapir_getsockopt_int(s, TAPIR_IPPROTO_IP, TAPIR_IP_TOS, &v));
    cr_assert_eq(v, 0);
    API_OK(tapir_setsockopt_int(s, TAPIR_IPPROTO_IP, TAPIR_IP_TOS, 0x10));
    API_OK(tapir_getsockopt_int(s, TAPIR_IPPROTO_IP, TAPIR_IP_TOS, &v));
    cr_assert_eq(v, 16);
    /* s.getsockopt(SOL_TCP, TCP_QUICKACK) -> 1; after setting 0 -> 0 */
    API_OK(tapir_getsockopt_int(s, TAPIR_SOL_TCP, TAPIR_TCP_QUICKACK, &v));
    cr_assert_eq(v, 1);
    API_OK(tapir_setsockopt_int(s, TAPIR_SOL_TCP, TAPIR_TCP_QUICKACK, 0));
    API_OK(tapir_getsockopt_int(s, TAPIR_SOL_TCP, TAPIR_TCP_QUICKACK, &v));
    cr_assert_eq(v, 0);
    tapir_close(s);

    /* UDP keeps them all: u.setsockopt(IPPROTO_IP, IP_TOS, 0xff) -> 255; IP_TTL 0 -> [Errno 22] */
    int u = udp();
    API_OK(tapir_setsockopt_int(u, TAPIR_IPPROTO_IP, TAPIR_IP_TOS, 0xff));
    API_OK(tapir_getsockopt_int(u, TAPIR_IPPROTO_IP, TAPIR_IP_TOS, &v));
    cr_assert_eq(v, 255);
    cr_assert_eq(tapir_setsockopt_int(u, TAPIR_IPPROTO_IP, TAPIR_IP_TTL, 0), -1);
    cr_assert_eq(tapir_errno(), EINVAL);
    tapir_close(u);

    /* AF_INET6 TCP: IPV6_TCLASS 0xff -> 252; IPV6_UNICAST_HOPS -1 -> 64, 256 -> [Errno 22] */
    int s6 = tapir_socket(TAPIR_AF_INET6, TAPIR_SOCK_STREAM, 0);
    cr_assert_geq(s6, 0, "%s", tapir_strerror());
    API_OK(tapir_setsockopt_int(s6, TAPIR_IPPROTO_IPV6, TAPIR_IPV6_TCLASS, 0xff));
    API_OK(tapir_getsockopt_int(s6, TAPIR_IPPROTO_IPV6, TAPIR_IPV6_TCLASS, &v));
    cr_assert_eq(v, 252);
    API_OK(tapir_setsockopt_int(s6, TAPIR_IPPROTO_IPV6, TAPIR_IPV6_UNICAST_HOPS, -1));
    API_OK(tapir_getsockopt_int(s6, TAPIR_IPPROTO_IPV6, TAPIR_IPV6_UNICAST_HOPS, &v));
    cr_assert_eq(v, 64);
    cr_assert_eq(tapir_setsockopt_int(s6, TAPIR_IPPROTO_IPV6, TAPIR_IPV6_UNICAST_HOPS, 256), -1);
    cr_assert_eq(tapir_errno(), EINVAL);
    tapir_close(s6);
}

/* ---- loopback: delivered before the sending call returns ---- */

Test(api_pyconf, loopback_delivery_is_done_when_send_returns)
{
    int u = udp(), v = udp();
    tapir_addr ua;
    char buf[16];
    API_OK(tapir_bind(u, TAPIR_ADDR("127.0.0.1", 0)));
    API_OK(tapir_getsockname(u, &ua));
    for (int i = 0; i < 50; i++) {
        /* v.sendto(b'hello', addr); u.recv(10, MSG_DONTWAIT) -> b'hello' (every time) */
        cr_assert_eq(tapir_sendto(v, "hello", 5, 0, &ua), 5);
        cr_assert_eq(tapir_recv(u, buf, sizeof buf, TAPIR_MSG_DONTWAIT), 5, "try %d: %s", i, tapir_strerror());
    }
    tapir_close(u);
    tapir_close(v);

    /* TCP_NODELAY: the check is about delivery, not Nagle.  (Linux would
     * not need it here: reading a pushed segment sends the delayed ACK at
     * once, tcp_cleanup_rbuf; tapir waits for the delayed-ACK timer.) */
    int c, a;
    api_tcp_pair(&c, &a);
    API_OK(tapir_setsockopt_int(c, TAPIR_SOL_TCP, TAPIR_TCP_NODELAY, 1));
    API_OK(tapir_setblocking(a, false));
    for (int i = 0; i < 50; i++) {
        /* c.send(b'ab'); a.recv(10) (non-blocking) -> b'ab' */
        cr_assert_eq(tapir_send(c, "ab", 2, 0), 2);
        cr_assert_eq(tapir_recv(a, buf, sizeof buf, 0), 2, "try %d: %s", i, tapir_strerror());
    }
    /* a.close(); c.recv(10) (non-blocking) -> b'' (the FIN is in) */
    tapir_close(a);
    API_OK(tapir_setblocking(c, false));
    cr_assert_eq(tapir_recv(c, buf, sizeof buf, 0), 0, "%s", tapir_strerror());
    tapir_close(c);
}

/* ---- select and epoll timeouts ---- */

Test(api_pyconf, select_and_epoll_timeouts_out_of_range)
{
    int s = tcp();
    int rl[1] = {s}, nr = 1;
    /* select.select([s], [], [], math.inf) -> OverflowError: timestamp out of range for platform time_t */
    cr_assert_eq(tapir_select(rl, &nr, NULL, NULL, NULL, NULL, INFINITY), -1);
    ERR_IS(TAPIR_ERR_OVERFLOW, "timestamp out of range for platform time_t");
    /* select.select([], [], [], 1e300) -> OverflowError: timestamp out of range for platform time_t */
    cr_assert_eq(tapir_select(NULL, NULL, NULL, NULL, NULL, NULL, 1e300), -1);
    ERR_IS(TAPIR_ERR_OVERFLOW, "timestamp out of range for platform time_t");
    /* select.select([s], [], [], math.nan) -> ValueError: Invalid value NaN (not a number) */
    nr = 1;
    cr_assert_eq(tapir_select(rl, &nr, NULL, NULL, NULL, NULL, NAN), -1);
    ERR_IS(TAPIR_ERR_VALUE, "Invalid value NaN (not a number)");
    tapir_epoll *ep = tapir_epoll_create();
    cr_assert_not_null(ep);
    struct tapir_epoll_event ev[2];
    /* select.epoll().poll(math.inf) -> OverflowError: timestamp out of range for platform time_t */
    cr_assert_eq(tapir_epoll_poll(ep, ev, 2, INFINITY), -1);
    ERR_IS(TAPIR_ERR_OVERFLOW, "timestamp out of range for platform time_t");
    tapir_epoll_close(ep);
    tapir_close(s);
}

/* ---- MSG_WAITALL: all the bytes in blocking mode only ---- */

Test(api_pyconf, waitall_in_timeout_mode_returns_what_is_there)
{
    int c, a;
    char buf[16];
    api_tcp_pair(&c, &a);
    cr_assert_eq(tapir_send(c, "hello", 5, 0), 5);
    API_OK(tapir_settimeout(a, 1.0));
    /* a.settimeout(1.0); a.recv(10, MSG_WAITALL) -> b'hello' at once (non-blocking underneath) */
    API_TIMED(0, 0.5, cr_assert_eq(tapir_recv(a, buf, 10, TAPIR_MSG_WAITALL), 5));
    /* blocking mode: a.recv(10, MSG_WAITALL) waits for all 10 */
    API_OK(tapir_settimeout(a, TAPIR_TIMEOUT_NONE));
    cr_assert_eq(tapir_send(c, "hello", 5, 0), 5);
    cr_assert_eq(tapir_send(c, "world", 5, 0), 5);
    cr_assert_eq(tapir_recv(a, buf, 10, TAPIR_MSG_WAITALL), 10);
    cr_assert_eq(memcmp(buf, "helloworld", 10), 0);
    tapir_close(c);
    tapir_close(a);
}

/* ---- addresses ---- */

Test(api_pyconf, connect_to_the_unspecified_address_is_this_host)
{
    tapir_addr la, peer;
    int l = api_tcp_listener(&la);
    int c = tcp();
    /* c.connect(('', port)); c.getpeername() -> ('127.0.0.1', port) */
    API_OK(tapir_connect(c, TAPIR_ADDR("", la.port)));
    API_OK(tapir_getpeername(c, &peer));
    cr_assert_str_eq(peer.host, "127.0.0.1");
    cr_assert_eq(peer.port, la.port);
    int a = tapir_accept(l, NULL);
    cr_assert_geq(a, 0, "%s", tapir_strerror());
    tapir_close(a);
    tapir_close(c);
    /* c.connect(('0.0.0.0', closed_port)) -> ConnectionRefusedError: [Errno 111] */
    c = tcp();
    cr_assert_eq(tapir_connect(c, TAPIR_ADDR("0.0.0.0", closed_port())), -1);
    ERR_IS(TAPIR_ERR_ERROR, "[Errno 111] Connection refused");
    tapir_close(c);
    /* c.connect(('127.0.0.1', 0)) -> ConnectionRefusedError: [Errno 111] */
    c = tcp();
    cr_assert_eq(tapir_connect(c, TAPIR_ADDR("127.0.0.1", 0)), -1);
    ERR_IS(TAPIR_ERR_ERROR, "[Errno 111] Connection refused");
    tapir_close(c);
    tapir_close(l);

    /* AF_INET6: '::' is ::1 */
    int l6 = tapir_socket(TAPIR_AF_INET6, TAPIR_SOCK_STREAM, 0);
    cr_assert_geq(l6, 0, "%s", tapir_strerror());
    API_OK(tapir_bind(l6, TAPIR_ADDR6("::1", 0, 0, 0)));
    API_OK(tapir_listen(l6, 5));
    API_OK(tapir_getsockname(l6, &la));
    int c6 = tapir_socket(TAPIR_AF_INET6, TAPIR_SOCK_STREAM, 0);
    API_OK(tapir_connect(c6, TAPIR_ADDR6("::", la.port, 0, 0)));
    API_OK(tapir_getpeername(c6, &peer));
    cr_assert_str_eq(peer.host, "::1");
    tapir_close(c6);
    tapir_close(l6);
}

Test(api_pyconf, unix_sock_raw_is_a_datagram_socket)
{
    /* socket(AF_UNIX, SOCK_RAW).type -> SOCK_RAW (3); SO_TYPE -> 2 (Linux makes it SOCK_DGRAM) */
    int s = tapir_socket(TAPIR_AF_UNIX, TAPIR_SOCK_RAW, 0);
    cr_assert_geq(s, 0, "%s", tapir_strerror());
    cr_assert_eq(tapir_type(s), TAPIR_SOCK_RAW);
    int v;
    API_OK(tapir_getsockopt_int(s, TAPIR_SOL_SOCKET, TAPIR_SO_TYPE, &v));
    cr_assert_eq(v, TAPIR_SOCK_DGRAM);
    tapir_close(s);
    /* socketpair(AF_UNIX, SOCK_RAW): datagrams keep their boundaries */
    int fds[2];
    API_OK(tapir_socketpair(TAPIR_AF_UNIX, TAPIR_SOCK_RAW, 0, fds));
    cr_assert_eq(tapir_send(fds[0], "ab", 2, 0), 2);
    cr_assert_eq(tapir_send(fds[0], "cd", 2, 0), 2);
    char buf[8];
    cr_assert_eq(tapir_recv(fds[1], buf, sizeof buf, 0), 2);
    cr_assert_eq(tapir_recv(fds[1], buf, sizeof buf, 0), 2);
    tapir_close(fds[0]);
    tapir_close(fds[1]);
}

/* ---- names ---- */

Test(api_pyconf, empty_host_names)
{
    char out[64];
    /* socket.gethostbyaddr('') -> OSError: wildcard resolved to multiple address */
    cr_assert_null(tapir_gethostbyaddr(""));
    ERR_IS(TAPIR_ERR_ERROR, "wildcard resolved to multiple address");
    cr_assert_eq(tapir_errno(), 0);
    /* socket.gethostbyname('') -> '0.0.0.0' */
    API_OK(tapir_gethostbyname("", out, sizeof out));
    cr_assert_str_eq(out, "0.0.0.0");
    /* socket.getnameinfo(('', 80), 0) -> gaierror: [Errno -2] Name or service not known */
    char h[TAPIR_NI_MAXHOST], sv[TAPIR_NI_MAXSERV];
    cr_assert_eq(tapir_getnameinfo(TAPIR_ADDR("", 80), 0, h, sizeof h, sv, sizeof sv), -1);
    ERR_IS(TAPIR_ERR_GAIERROR, "[Errno -2] Name or service not known");
    /* socket.getaddrinfo('', 80, 0, SOCK_STREAM, 0, AI_PASSIVE) -> gaierror: [Errno -2] */
    tapir_addrinfo *ai;
    cr_assert_eq(tapir_getaddrinfo("", "80", 0, TAPIR_SOCK_STREAM, 0, TAPIR_AI_PASSIVE, &ai), -1);
    ERR_IS(TAPIR_ERR_GAIERROR, "[Errno -2] Name or service not known");
}

/* ---- create_connection: the last error, as Lib/socket.py ---- */

Test(api_pyconf, create_connection_raises_the_last_error)
{
    /* A name with an IPv6 and an IPv4 address; a source address of one
     * family makes the attempt on the other family fail differently
     * (bind: gaierror [Errno -9]) from the refused one ([Errno 111]).
     * Python 3.11: exceptions.clear()  # raise only the last error */
    char path[] = "/tmp/tapir-pyconf-hosts-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    const char *hosts = "::1 two.pyconf.test\n127.0.0.1 two.pyconf.test\n";
    cr_assert_eq(write(fd, hosts, strlen(hosts)), (ssize_t)strlen(hosts));
    close(fd);
    API_OK(tapir_resolver_set_hosts_file(path));
    int port = closed_port();
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    tapir_addrinfo *ai;
    int n = tapir_getaddrinfo("two.pyconf.test", ps, 0, TAPIR_SOCK_STREAM, 0, 0, &ai);
    cr_assert_eq(n, 2, "%s", n < 0 ? tapir_strerror() : "");
    int last_family = ai[1].family;
    tapir_freeaddrinfo(ai);
    cr_assert_eq(tapir_create_connection(TAPIR_ADDR("two.pyconf.test", port), TAPIR_TIMEOUT_DEFAULT,
                                         TAPIR_ADDR("127.0.0.1", 0)),
                 -1);
    if (last_family == TAPIR_AF_INET) {
        /* tried ::1 (bind fails), then 127.0.0.1: ConnectionRefusedError: [Errno 111] */
        ERR_IS(TAPIR_ERR_ERROR, "[Errno 111] Connection refused");
    } else {
        ERR_IS(TAPIR_ERR_GAIERROR, "[Errno -9] Address family for hostname not supported");
    }
    /* A source port out of range is OverflowError, not caught by the loop:
     * create_connection(a, source_address=('127.0.0.1', 70000)) -> OverflowError */
    cr_assert_eq(tapir_create_connection(TAPIR_ADDR("two.pyconf.test", port), TAPIR_TIMEOUT_DEFAULT,
                                         TAPIR_ADDR("127.0.0.1", 70000)),
                 -1);
    ERR_IS(TAPIR_ERR_OVERFLOW, "bind(): port must be 0-65535.");
    tapir_resolver_set_hosts_file(NULL);
    unlink(path);
}

Test(api_pyconf, more_socket_options_linux_reports)
{
    int s = tcp(), u = udp(), v;
    /* s.getsockopt(SOL_SOCKET, SO_RCVLOWAT) -> 1; SO_SNDLOWAT -> 1; SO_PRIORITY -> 0; SO_DEBUG -> 0 */
    API_OK(tapir_getsockopt_int(s, TAPIR_SOL_SOCKET, TAPIR_SO_RCVLOWAT, &v));
    cr_assert_eq(v, 1);
    API_OK(tapir_getsockopt_int(s, TAPIR_SOL_SOCKET, TAPIR_SO_SNDLOWAT, &v));
    cr_assert_eq(v, 1);
    API_OK(tapir_getsockopt_int(s, TAPIR_SOL_SOCKET, TAPIR_SO_PRIORITY, &v));
    cr_assert_eq(v, 0);
    API_OK(tapir_getsockopt_int(s, TAPIR_SOL_SOCKET, TAPIR_SO_DEBUG, &v));
    cr_assert_eq(v, 0);
    /* s.setsockopt(SOL_SOCKET, SO_SNDLOWAT, 5) -> OSError: [Errno 92] Protocol not available */
    cr_assert_eq(tapir_setsockopt_int(s, TAPIR_SOL_SOCKET, TAPIR_SO_SNDLOWAT, 5), -1);
    ERR_IS(TAPIR_ERR_ERROR, "[Errno 92] Protocol not available");
    /* SO_PRIORITY 3 -> 3; SO_DEBUG 5 -> 1 (as root) */
    API_OK(tapir_setsockopt_int(s, TAPIR_SOL_SOCKET, TAPIR_SO_PRIORITY, 3));
    API_OK(tapir_getsockopt_int(s, TAPIR_SOL_SOCKET, TAPIR_SO_PRIORITY, &v));
    cr_assert_eq(v, 3);
    API_OK(tapir_setsockopt_int(s, TAPIR_SOL_SOCKET, TAPIR_SO_DEBUG, 5));
    API_OK(tapir_getsockopt_int(s, TAPIR_SOL_SOCKET, TAPIR_SO_DEBUG, &v));
    cr_assert_eq(v, 1);
    /* TCP: IP_MULTICAST_TTL -> 1, IP_MULTICAST_LOOP -> 1; setting the TTL: [Errno 22];
     * IP_MULTICAST_LOOP 0 -> 0 */
    API_OK(tapir_getsockopt_int(s, TAPIR_IPPROTO_IP, TAPIR_IP_MULTICAST_TTL, &v));
    cr_assert_eq(v, 1);
    API_OK(tapir_getsockopt_int(s, TAPIR_IPPROTO_IP, TAPIR_IP_MULTICAST_LOOP, &v));
    cr_assert_eq(v, 1);
    cr_assert_eq(tapir_setsockopt_int(s, TAPIR_IPPROTO_IP, TAPIR_IP_MULTICAST_TTL, 5), -1);
    ERR_IS(TAPIR_ERR_ERROR, "[Errno 22] Invalid argument");
    API_OK(tapir_setsockopt_int(s, TAPIR_IPPROTO_IP, TAPIR_IP_MULTICAST_LOOP, 0));
    API_OK(tapir_getsockopt_int(s, TAPIR_IPPROTO_IP, TAPIR_IP_MULTICAST_LOOP, &v));
    cr_assert_eq(v, 0);
    /* UDP: IP_MULTICAST_TTL 5 -> 5; 256 -> [Errno 22]; -1 -> 1 */
    API_OK(tapir_setsockopt_int(u, TAPIR_IPPROTO_IP, TAPIR_IP_MULTICAST_TTL, 5));
    API_OK(tapir_getsockopt_int(u, TAPIR_IPPROTO_IP, TAPIR_IP_MULTICAST_TTL, &v));
    cr_assert_eq(v, 5);
    cr_assert_eq(tapir_setsockopt_int(u, TAPIR_IPPROTO_IP, TAPIR_IP_MULTICAST_TTL, 256), -1);
    cr_assert_eq(tapir_errno(), EINVAL);
    API_OK(tapir_setsockopt_int(u, TAPIR_IPPROTO_IP, TAPIR_IP_MULTICAST_TTL, -1));
    API_OK(tapir_getsockopt_int(u, TAPIR_IPPROTO_IP, TAPIR_IP_MULTICAST_TTL, &v));
    cr_assert_eq(v, 1);
    tapir_close(s);
    tapir_close(u);
}

/* ---- shutdown() of a listener ---- */

Test(api_pyconf, shutdown_of_a_listener)
{
    for (int how = TAPIR_SHUT_RD; how <= TAPIR_SHUT_RDWR; how++) {
        tapir_addr la;
        int l = api_tcp_listener(&la), v = -1;
        API_OK(tapir_settimeout(l, 0.2));
        /* l.shutdown(how) -> None for all three */
        API_OK(tapir_shutdown(l, how));
        int c = tcp();
        API_OK(tapir_settimeout(c, 1.0));
        if (how == TAPIR_SHUT_WR) {
            /* SHUT_WR: still listening: SO_ACCEPTCONN 1, connect() -> None */
            API_OK(tapir_getsockopt_int(l, TAPIR_SOL_SOCKET, TAPIR_SO_ACCEPTCONN, &v));
            cr_assert_eq(v, 1);
            API_OK(tapir_connect(c, &la));
            int a = tapir_accept(l, NULL);
            cr_assert_geq(a, 0, "%s", tapir_strerror());
            tapir_close(a);
        } else {
            /* SHUT_RD / SHUT_RDWR stop it: l.accept() -> OSError: [Errno 22] Invalid argument */
            cr_assert_eq(tapir_accept(l, NULL), -1);
            ERR_IS(TAPIR_ERR_ERROR, "[Errno 22] Invalid argument");
            /* l.getsockopt(SOL_SOCKET, SO_ACCEPTCONN) -> 0 */
            API_OK(tapir_getsockopt_int(l, TAPIR_SOL_SOCKET, TAPIR_SO_ACCEPTCONN, &v));
            cr_assert_eq(v, 0);
            /* connect -> ConnectionRefusedError: [Errno 111] Connection refused */
            cr_assert_eq(tapir_connect(c, &la), -1);
            ERR_IS(TAPIR_ERR_ERROR, "[Errno 111] Connection refused");
            /* l.listen() -> None: the port is still its own; it takes connections again */
            API_OK(tapir_listen(l, 5));
            int c2 = tcp();
            API_OK(tapir_connect(c2, &la));
            int a = tapir_accept(l, NULL);
            cr_assert_geq(a, 0, "%s", tapir_strerror());
            tapir_close(a);
            tapir_close(c2);
        }
        tapir_close(c);
        tapir_close(l);
    }
}

Test(api_pyconf, tcp_syncnt_and_linger2_values)
{
    int s = tcp(), v;
    /* s.getsockopt(SOL_TCP, TCP_SYNCNT) -> 6; TCP_LINGER2 -> 60 */
    API_OK(tapir_getsockopt_int(s, TAPIR_SOL_TCP, TAPIR_TCP_SYNCNT, &v));
    cr_assert_eq(v, 6);
    API_OK(tapir_getsockopt_int(s, TAPIR_SOL_TCP, TAPIR_TCP_LINGER2, &v));
    cr_assert_eq(v, 60);
    /* TCP_SYNCNT: 3 -> 3, 127 -> 127; 128, 0, -1 -> [Errno 22] Invalid argument */
    API_OK(tapir_setsockopt_int(s, TAPIR_SOL_TCP, TAPIR_TCP_SYNCNT, 3));
    API_OK(tapir_getsockopt_int(s, TAPIR_SOL_TCP, TAPIR_TCP_SYNCNT, &v));
    cr_assert_eq(v, 3);
    API_OK(tapir_setsockopt_int(s, TAPIR_SOL_TCP, TAPIR_TCP_SYNCNT, 127));
    API_OK(tapir_getsockopt_int(s, TAPIR_SOL_TCP, TAPIR_TCP_SYNCNT, &v));
    cr_assert_eq(v, 127);
    int bad[] = {128, 0, -1};
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(tapir_setsockopt_int(s, TAPIR_SOL_TCP, TAPIR_TCP_SYNCNT, bad[i]), -1);
        ERR_IS(TAPIR_ERR_ERROR, "[Errno 22] Invalid argument");
    }
    /* TCP_LINGER2: 30 -> 30, 0 -> 60, -1 -> -1, -5 -> -1, 100 -> 100, 200 -> 120, 1 -> 1 */
    int set[] = {30, 0, -1, -5, 100, 200, 1}, got[] = {30, 60, -1, -1, 100, 120, 1};
    for (int i = 0; i < 7; i++) {
        API_OK(tapir_setsockopt_int(s, TAPIR_SOL_TCP, TAPIR_TCP_LINGER2, set[i]));
        API_OK(tapir_getsockopt_int(s, TAPIR_SOL_TCP, TAPIR_TCP_LINGER2, &v));
        cr_assert_eq(v, got[i], "set %d: got %d, Linux %d", set[i], v, got[i]);
    }
    tapir_close(s);
}

Test(api_pyconf, ipv6_multicast_hops_and_loop)
{
    int v;
    int s6 = tapir_socket(TAPIR_AF_INET6, TAPIR_SOCK_STREAM, 0), u6 = tapir_socket(TAPIR_AF_INET6, TAPIR_SOCK_DGRAM, 0);
    cr_assert(s6 >= 0 && u6 >= 0, "%s", tapir_strerror());
    /* socket(AF_INET6).getsockopt(IPPROTO_IPV6, IPV6_MULTICAST_HOPS) -> 1; IPV6_MULTICAST_LOOP -> 1 */
    API_OK(tapir_getsockopt_int(s6, TAPIR_IPPROTO_IPV6, TAPIR_IPV6_MULTICAST_HOPS, &v));
    cr_assert_eq(v, 1);
    API_OK(tapir_getsockopt_int(s6, TAPIR_IPPROTO_IPV6, TAPIR_IPV6_MULTICAST_LOOP, &v));
    cr_assert_eq(v, 1);
    /* TCP: setsockopt(IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 5) -> [Errno 92] Protocol not available */
    cr_assert_eq(tapir_setsockopt_int(s6, TAPIR_IPPROTO_IPV6, TAPIR_IPV6_MULTICAST_HOPS, 5), -1);
    ERR_IS(TAPIR_ERR_ERROR, "[Errno 92] Protocol not available");
    /* IPV6_MULTICAST_LOOP: 0 -> 0; 2 -> [Errno 22] */
    API_OK(tapir_setsockopt_int(s6, TAPIR_IPPROTO_IPV6, TAPIR_IPV6_MULTICAST_LOOP, 0));
    API_OK(tapir_getsockopt_int(s6, TAPIR_IPPROTO_IPV6, TAPIR_IPV6_MULTICAST_LOOP, &v));
    cr_assert_eq(v, 0);
    cr_assert_eq(tapir_setsockopt_int(s6, TAPIR_IPPROTO_IPV6, TAPIR_IPV6_MULTICAST_LOOP, 2), -1);
    ERR_IS(TAPIR_ERR_ERROR, "[Errno 22] Invalid argument");
    /* UDP: hops 5 -> 5, -1 -> 1, 0 -> 0, 256 and -2 -> [Errno 22] */
    int set[] = {5, -1, 0}, got[] = {5, 1, 0};
    for (int i = 0; i < 3; i++) {
        API_OK(tapir_setsockopt_int(u6, TAPIR_IPPROTO_IPV6, TAPIR_IPV6_MULTICAST_HOPS, set[i]));
        API_OK(tapir_getsockopt_int(u6, TAPIR_IPPROTO_IPV6, TAPIR_IPV6_MULTICAST_HOPS, &v));
        cr_assert_eq(v, got[i]);
    }
    cr_assert_eq(tapir_setsockopt_int(u6, TAPIR_IPPROTO_IPV6, TAPIR_IPV6_MULTICAST_HOPS, 256), -1);
    cr_assert_eq(tapir_errno(), EINVAL);
    cr_assert_eq(tapir_setsockopt_int(u6, TAPIR_IPPROTO_IPV6, TAPIR_IPV6_MULTICAST_HOPS, -2), -1);
    cr_assert_eq(tapir_errno(), EINVAL);
    tapir_close(s6);
    tapir_close(u6);
}
