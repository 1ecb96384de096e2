/* sendmsg / recvmsg / recvmsg_into / sendfile with Python's semantics, over
 * the stack's loopback (UDP datagrams, a TCP connection). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/api_helpers.h"

TestSuite(api_msg, .init = api_one_runner, .fini = api_stop, .timeout = 30);

static int udp_on_loopback(tapir_addr *where)
{
    int s = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_DGRAM, 0);
    cr_assert_geq(s, 0, "%s", tapir_strerror());
    API_OK(tapir_bind(s, TAPIR_ADDR("127.0.0.1", 0)));
    API_OK(tapir_getsockname(s, where));
    return s;
}

Test(api_msg, sendmsg_gathers_one_datagram_recvmsg_flags_truncation)
{
    tapir_addr sa, ca, from;
    int s = udp_on_loopback(&sa), c = udp_on_loopback(&ca);
    struct iovec parts[4] = {{"hel", 3}, {NULL, 0}, {"lo ", 3}, {"world", 5}};
    cr_assert_eq(tapir_sendmsg(c, parts, 4, 0, &sa), 11, "%s", tapir_strerror());
    char buf[64];
    int mflags = -1;
    cr_assert_eq(tapir_recvmsg(s, buf, sizeof buf, 0, &mflags, &from), 11, "one datagram, not four");
    cr_assert_eq(memcmp(buf, "hello world", 11), 0);
    cr_assert_eq(mflags, 0);
    cr_assert_eq(from.port, ca.port);

    /* A datagram longer than the buffer: the rest is lost, MSG_TRUNC says so. */
    cr_assert_eq(tapir_sendmsg(c, parts, 4, 0, &sa), 11);
    cr_assert_eq(tapir_recvmsg(s, buf, 4, 0, &mflags, NULL), 4);
    cr_assert_eq(mflags, TAPIR_MSG_TRUNC);
    tapir_setblocking(s, false);
    cr_assert_eq(tapir_recvmsg(s, buf, sizeof buf, 0, &mflags, NULL), -1, "the rest is gone");
    cr_assert_eq(tapir_errno(), EAGAIN);

    /* recvmsg_into scatters one datagram over several buffers. */
    tapir_setblocking(s, true);
    cr_assert_eq(tapir_sendmsg(c, parts, 4, 0, &sa), 11);
    char a[4], b[4], z[8];
    struct iovec into[3] = {{a, 4}, {b, 4}, {z, 8}};
    cr_assert_eq(tapir_recvmsg_into(s, into, 3, 0, &mflags, &from), 11);
    cr_assert_eq(memcmp(a, "hell", 4), 0);
    cr_assert_eq(memcmp(b, "o wo", 4), 0);
    cr_assert_eq(memcmp(z, "rld", 3), 0);
    cr_assert_eq(mflags, 0);

    /* Bad arguments from the caller get clear errors. */
    cr_assert_eq(tapir_sendmsg(c, parts, -1, 0, &sa), -1);
    cr_assert_eq(tapir_errno(), EMSGSIZE);
    struct iovec bad = {NULL, 5};
    cr_assert_eq(tapir_sendmsg(c, &bad, 1, 0, &sa), -1);
    cr_assert_eq(tapir_errno(), EFAULT);
    tapir_close(s);
    tapir_close(c);
    cr_assert_eq(tapir_sendmsg(c, parts, 4, 0, &sa), -1);
    cr_assert_eq(tapir_errno(), EBADF);
}

/* A connected TCP pair on loopback. */
static void tcp_pair(int *client, int *server)
{
    int l = tapir_create_server(TAPIR_ADDR("127.0.0.1", 0), TAPIR_AF_INET, 4, false, false);
    cr_assert_geq(l, 0, "%s", tapir_strerror());
    tapir_addr where;
    API_OK(tapir_getsockname(l, &where));
    *client = tapir_create_connection(&where, 5.0, NULL);
    cr_assert_geq(*client, 0, "%s", tapir_strerror());
    *server = tapir_accept(l, NULL);
    cr_assert_geq(*server, 0, "%s", tapir_strerror());
    tapir_close(l);
}

Test(api_msg, sendmsg_on_a_stream_and_sendfile)
{
    int c, s;
    tcp_pair(&c, &s);
    struct iovec parts[2] = {{"GET / ", 6}, {"HTTP/1.0\r\n", 10}};
    cr_assert_eq(tapir_sendmsg(c, parts, 2, 0, NULL), 16);
    char buf[64];
    int mflags = -1;
    cr_assert_eq(tapir_recvmsg(s, buf, 16, TAPIR_MSG_WAITALL, &mflags, NULL), 16);
    cr_assert_eq(memcmp(buf, "GET / HTTP/1.0\r\n", 16), 0);
    cr_assert_eq(mflags, 0);

    /* sendfile: a real file, from an offset, whole or counted. */
    char path[] = "/tmp/tapir-sendfile-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    unlink(path);
    static char content[300000];
    for (size_t i = 0; i < sizeof content; i++)
        content[i] = (char)('a' + i % 26);
    cr_assert_eq(write(fd, content, sizeof content), (ssize_t)sizeof content);
    cr_assert_eq(tapir_sendfile(c, fd, 1000, 0), (ssize_t)sizeof content - 1000, "%s", tapir_strerror());
    cr_assert_eq(lseek(fd, 0, SEEK_CUR), (off_t)sizeof content, "position after what was sent");
    cr_assert_eq(tapir_sendfile(c, fd, 5, 10), 10);
    cr_assert_eq(lseek(fd, 0, SEEK_CUR), 15);
    static char got[sizeof content];
    size_t want = sizeof content - 1000 + 10;
    cr_assert_eq(tapir_recv(s, got, want, TAPIR_MSG_WAITALL), (ssize_t)want);
    cr_assert_eq(memcmp(got, content + 1000, sizeof content - 1000), 0);
    cr_assert_eq(memcmp(got + sizeof content - 1000, content + 5, 10), 0);

    /* Python's refusals. */
    tapir_setblocking(c, false);
    cr_assert_eq(tapir_sendfile(c, fd, 0, 0), -1);
    cr_assert_eq(tapir_last_error()->kind, TAPIR_ERR_VALUE);
    tapir_setblocking(c, true);
    tapir_addr where;
    int u = udp_on_loopback(&where);
    cr_assert_eq(tapir_sendfile(u, fd, 0, 0), -1);
    cr_assert_eq(tapir_last_error()->kind, TAPIR_ERR_VALUE);
    cr_assert(strstr(tapir_strerror(), "SOCK_STREAM"), "%s", tapir_strerror());
    cr_assert_eq(tapir_sendfile(c, -1, 0, 0), -1);
    cr_assert_eq(tapir_errno(), EBADF);
    close(fd);
    tapir_close(u);
    tapir_close(c);
    tapir_close(s);
}
