/* TCP socket options and send flags through the public API, with Linux's
 * values: MSG_MORE, TCP_NOTSENT_LOWAT, TCP_USER_TIMEOUT, IP_MTU_DISCOVER,
 * IP_TOS.  One runner, the stack's own loopback. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "api_helpers.h"

TestSuite(api_tcpopt, .init = api_one_runner, .fini = api_stop, .timeout = 30);

/* A connected pair over 127.0.0.1: *c connects, *a is accepted. */
static void opt_pair(int *c, int *a)
{
    tapir_addr la;
    int l = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_STREAM, 0);
    cr_assert_geq(l, 0, "%s", tapir_strerror());
    API_OK(tapir_bind(l, TAPIR_ADDR("127.0.0.1", 0)));
    API_OK(tapir_listen(l, TAPIR_BACKLOG_DEFAULT));
    API_OK(tapir_getsockname(l, &la));
    *c = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_STREAM, 0);
    API_OK(tapir_connect(*c, &la));
    *a = tapir_accept(l, NULL);
    cr_assert_geq(*a, 0, "%s", tapir_strerror());
    tapir_close(l);
}

Test(api_tcpopt, linux_values)
{
    cr_assert_eq(TAPIR_MSG_MORE, 0x8000);
    cr_assert_eq(TAPIR_TCP_NOTSENT_LOWAT, 25);
    cr_assert_eq(TAPIR_TCP_USER_TIMEOUT, 18);
    cr_assert_eq(TAPIR_IP_MTU_DISCOVER, 10);
    cr_assert_eq(TAPIR_IP_TOS, 1);
}

/* MSG_MORE corks the call that carries it: with TCP_NODELAY and nothing in
 * flight a small MSG_MORE send stays queued; the next send without it
 * pushes both. */
Test(api_tcpopt, msg_more_holds_until_plain_send)
{
    int c, a;
    opt_pair(&c, &a);
    API_OK(tapir_setsockopt_int(c, TAPIR_IPPROTO_TCP, TAPIR_TCP_NODELAY, 1));
    char buf[64];
    cr_assert_eq(tapir_send(c, "hello ", 6, TAPIR_MSG_MORE), 6, "%s", tapir_strerror());
    API_OK(tapir_settimeout(a, 0.05));
    cr_assert_eq(tapir_recv(a, buf, sizeof buf, 0), -1, "MSG_MORE data went out at once");
    cr_assert_eq(tapir_last_error()->kind, TAPIR_ERR_TIMEOUT);
    cr_assert_eq(tapir_send(c, "world", 5, 0), 5);
    API_OK(tapir_settimeout(a, 2.0));
    size_t got = 0;
    while (got < 11) {
        ssize_t k = tapir_recv(a, buf + got, sizeof buf - got, 0);
        cr_assert_gt(k, 0, "%s", tapir_strerror());
        got += (size_t)k;
    }
    cr_assert_eq(memcmp(buf, "hello world", 11), 0);
    tapir_close(c);
    tapir_close(a);
}

/* TCP_USER_TIMEOUT (ms, RFC 5482) and TCP_NOTSENT_LOWAT (bytes) are kept
 * and read back; a negative user timeout is refused as Linux does. */
Test(api_tcpopt, user_timeout_and_notsent_lowat)
{
    int c, a;
    opt_pair(&c, &a);
    int v = -1;
    API_OK(tapir_getsockopt_int(c, TAPIR_IPPROTO_TCP, TAPIR_TCP_USER_TIMEOUT, &v));
    cr_assert_eq(v, 0);
    API_OK(tapir_setsockopt_int(c, TAPIR_IPPROTO_TCP, TAPIR_TCP_USER_TIMEOUT, 3000));
    API_OK(tapir_getsockopt_int(c, TAPIR_IPPROTO_TCP, TAPIR_TCP_USER_TIMEOUT, &v));
    cr_assert_eq(v, 3000);
    cr_assert_eq(tapir_setsockopt_int(c, TAPIR_IPPROTO_TCP, TAPIR_TCP_USER_TIMEOUT, -1), -1);
    cr_assert_eq(tapir_errno(), EINVAL);
    API_OK(tapir_setsockopt_int(c, TAPIR_IPPROTO_TCP, TAPIR_TCP_NOTSENT_LOWAT, 32000));
    API_OK(tapir_getsockopt_int(c, TAPIR_IPPROTO_TCP, TAPIR_TCP_NOTSENT_LOWAT, &v));
    cr_assert_eq(v, 32000);
    tapir_close(c);
    tapir_close(a);
}

/* IP_MTU_DISCOVER through the API: Linux's default (WANT), the named values,
 * one-byte values, the range check. */
Test(api_tcpopt, ip_mtu_discover)
{
    int c, a;
    opt_pair(&c, &a);
    int v = -1;
    API_OK(tapir_getsockopt_int(c, TAPIR_IPPROTO_IP, TAPIR_IP_MTU_DISCOVER, &v));
    cr_assert_eq(v, TAPIR_IP_PMTUDISC_WANT);
    API_OK(tapir_setsockopt_int(c, TAPIR_IPPROTO_IP, TAPIR_IP_MTU_DISCOVER, TAPIR_IP_PMTUDISC_PROBE));
    API_OK(tapir_getsockopt_int(c, TAPIR_IPPROTO_IP, TAPIR_IP_MTU_DISCOVER, &v));
    cr_assert_eq(v, TAPIR_IP_PMTUDISC_PROBE);
    unsigned char b = TAPIR_IP_PMTUDISC_DONT;
    API_OK(tapir_setsockopt(c, TAPIR_IPPROTO_IP, TAPIR_IP_MTU_DISCOVER, &b, 1));
    API_OK(tapir_getsockopt_int(c, TAPIR_IPPROTO_IP, TAPIR_IP_MTU_DISCOVER, &v));
    cr_assert_eq(v, TAPIR_IP_PMTUDISC_DONT);
    cr_assert_eq(tapir_setsockopt_int(c, TAPIR_IPPROTO_IP, TAPIR_IP_MTU_DISCOVER, 6), -1);
    cr_assert_eq(tapir_errno(), EINVAL);
    tapir_close(c);
    tapir_close(a);
}
