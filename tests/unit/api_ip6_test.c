/* Dual-stack TCP through the socket API, as Python sees it on Linux: an
 * AF_INET6 socket connecting to ::ffff:127.0.0.1 reaches an IPv4 listener
 * and names both ends as IPv4-mapped 4-tuples; an AF_INET6 listener on ::
 * takes IPv4 and IPv6 clients; IPV6_V6ONLY refuses the mapped connect. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "api_helpers.h"

TestSuite(api_ip6, .init = api_one_runner, .fini = api_stop, .timeout = 30);

static const char *str(const tapir_addr *a)
{
    static char buf[4][TAPIR_ADDR_STRLEN];
    static int k;
    k = (k + 1) % 4;
    return tapir_addr_str(a, buf[k], sizeof buf[k]);
}

static void echo(int from, int to)
{
    char buf[8];
    cr_assert_eq(tapir_sendall(from, "ping!", 5, 0), 0, "%s", tapir_strerror());
    cr_assert_eq(tapir_recv(to, buf, sizeof buf, 0), 5, "%s", tapir_strerror());
    cr_assert_eq(memcmp(buf, "ping!", 5), 0);
}

Test(api_ip6, inet6_client_to_mapped_address_of_ipv4_listener)
{
    int l = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_STREAM, 0);
    API_OK(l);
    API_OK(tapir_bind(l, TAPIR_ADDR("127.0.0.1", 0)));
    API_OK(tapir_listen(l, 4));
    tapir_addr la;
    API_OK(tapir_getsockname(l, &la));
    int c = tapir_socket(TAPIR_AF_INET6, TAPIR_SOCK_STREAM, 0);
    API_OK(c);
    API_OK(tapir_connect(c, TAPIR_ADDR6("::ffff:127.0.0.1", la.port, 0, 0)));
    tapir_addr peer, me, them;
    int a = tapir_accept(l, &peer);
    API_OK(a);
    API_OK(tapir_getsockname(c, &me));
    API_OK(tapir_getpeername(c, &them));
    char want[TAPIR_ADDR_STRLEN];
    snprintf(want, sizeof want, "('::ffff:127.0.0.1', %d, 0, 0)", la.port);
    cr_assert_str_eq(str(&them), want);
    cr_assert_eq(me.family, TAPIR_AF_INET6);
    snprintf(want, sizeof want, "('::ffff:127.0.0.1', %d, 0, 0)", me.port);
    cr_assert_str_eq(str(&me), want);
    /* The listener's side sees a plain IPv4 client. */
    snprintf(want, sizeof want, "('127.0.0.1', %d)", me.port);
    cr_assert_str_eq(str(&peer), want);
    echo(c, a);
    echo(a, c);
    tapir_close(a);
    tapir_close(c);
    tapir_close(l);
}

Test(api_ip6, dual_stack_listener_takes_both_families)
{
    int l = tapir_socket(TAPIR_AF_INET6, TAPIR_SOCK_STREAM, 0);
    API_OK(l);
    API_OK(tapir_bind(l, TAPIR_ADDR6("::", 0, 0, 0)));
    API_OK(tapir_listen(l, 4));
    tapir_addr la, peer, me;
    API_OK(tapir_getsockname(l, &la));
    /* An IPv4 client: its address reads IPv4-mapped. */
    int c4 = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_STREAM, 0);
    API_OK(tapir_connect(c4, TAPIR_ADDR("127.0.0.1", la.port)));
    int a4 = tapir_accept(l, &peer);
    API_OK(a4);
    API_OK(tapir_getsockname(c4, &me));
    char want[TAPIR_ADDR_STRLEN];
    snprintf(want, sizeof want, "('::ffff:127.0.0.1', %d, 0, 0)", me.port);
    cr_assert_str_eq(str(&peer), want);
    API_OK(tapir_getsockname(a4, &me));
    snprintf(want, sizeof want, "('::ffff:127.0.0.1', %d, 0, 0)", la.port);
    cr_assert_str_eq(str(&me), want);
    echo(c4, a4);
    /* An IPv6 client. */
    int c6 = tapir_socket(TAPIR_AF_INET6, TAPIR_SOCK_STREAM, 0);
    API_OK(tapir_connect(c6, TAPIR_ADDR6("::1", la.port, 0, 0)));
    int a6 = tapir_accept(l, &peer);
    API_OK(a6);
    API_OK(tapir_getsockname(c6, &me));
    snprintf(want, sizeof want, "('::1', %d, 0, 0)", me.port);
    cr_assert_str_eq(str(&peer), want);
    echo(a6, c6);
    tapir_close(a4);
    tapir_close(a6);
    tapir_close(c4);
    tapir_close(c6);
    tapir_close(l);
}

Test(api_ip6, v6only_refuses_mapped_and_frees_the_ipv4_port)
{
    int l4 = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_STREAM, 0);
    API_OK(tapir_bind(l4, TAPIR_ADDR("0.0.0.0", 0)));
    API_OK(tapir_listen(l4, 4));
    tapir_addr la;
    API_OK(tapir_getsockname(l4, &la));
    /* :: on the same port: taken for IPv4 already (Linux: EADDRINUSE) ... */
    int l6 = tapir_socket(TAPIR_AF_INET6, TAPIR_SOCK_STREAM, 0);
    cr_assert_lt(tapir_bind(l6, TAPIR_ADDR6("::", la.port, 0, 0)), 0);
    cr_assert_eq(tapir_errno(), EADDRINUSE, "%s", tapir_strerror());
    /* ... unless V6ONLY. */
    API_OK(tapir_setsockopt_int(l6, TAPIR_IPPROTO_IPV6, TAPIR_IPV6_V6ONLY, 1));
    API_OK(tapir_bind(l6, TAPIR_ADDR6("::", la.port, 0, 0)));
    tapir_close(l6);
    int c = tapir_socket(TAPIR_AF_INET6, TAPIR_SOCK_STREAM, 0);
    API_OK(tapir_setsockopt_int(c, TAPIR_IPPROTO_IPV6, TAPIR_IPV6_V6ONLY, 1));
    cr_assert_lt(tapir_connect(c, TAPIR_ADDR6("::ffff:127.0.0.1", la.port, 0, 0)), 0);
    cr_assert_eq(tapir_errno(), ENETUNREACH);
    cr_assert_str_eq(tapir_strerror(), "[Errno 101] Network is unreachable");
    tapir_close(c);
    tapir_close(l4);
}
