/* AF_UNIX sockets at the stack level (stack/unix.c), Linux's af_unix.c as
 * the reference: names and their errors, stream connect/accept, flow
 * control, half-close, EOF / EPIPE / ECONNRESET after a close, datagram
 * boundaries, senders' names, bounded queues, connected datagram sockets,
 * poll bits and wake-ups. */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "stack/socket.h"
#include "stack/stack.h"
#include "stack/unix.h"

static struct endpoint path(const char *p)
{
    struct endpoint e;
    memset(&e, 0, sizeof e);
    e.addr.family = TP_AF_UNIX;
    e.path_len = (uint8_t)strlen(p);
    memcpy(e.path, p, e.path_len);
    return e;
}

static struct sock *usock(struct stack *st, int type)
{
    struct sock *s;
    cr_assert_eq(sock_create(st, AF_UNIX, type, 0, &s), 0);
    return s;
}

static int wakes;
static void count_wake(struct sock *s, void *ctx)
{
    (void)s;
    (void)ctx;
    wakes++;
}

/* A listener on name, a client connected to it, the accepted child. */
static void stream_pair(struct stack *st, const char *name, struct sock **l, struct sock **c, struct sock **a)
{
    struct endpoint ep = path(name);
    *l = usock(st, SOCK_STREAM);
    cr_assert_eq(sock_bind(*l, &ep), 0);
    cr_assert_eq(sock_listen(*l, 4), 0);
    *c = usock(st, SOCK_STREAM);
    cr_assert_eq(sock_connect(*c, &ep), 0, "connect completes at once");
    struct endpoint peer;
    cr_assert_eq(sock_accept(*l, a, &peer), 0);
    cr_assert_eq(peer.addr.family, TP_AF_UNIX);
    cr_assert_eq(peer.path_len, 0, "the client is unnamed");
}

Test(unix, create_checks_like_linux)
{
    struct stack *st = stack_create(1, 0);
    struct sock *s;
    cr_assert_eq(sock_create(st, AF_UNIX, SOCK_STREAM, IPPROTO_TCP, &s), -EPROTONOSUPPORT);
    cr_assert_eq(sock_create(st, AF_UNIX, SOCK_STREAM, 1, &s), 0, "PF_UNIX is the one protocol");
    int v;
    size_t len = sizeof v;
    cr_assert_eq(sock_getsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, &len), 0);
    cr_assert_eq(v, 212992, "Linux's wmem_default");
    sock_close(s);
    cr_assert_eq(sock_create(st, AF_UNIX, 7, 0, &s), -ESOCKTNOSUPPORT);
    struct sock *a, *b;
    cr_assert_eq(sock_socketpair(st, AF_INET, SOCK_STREAM, 0, &a, &b), -EOPNOTSUPP, "Linux: no AF_INET pairs");
    stack_destroy(st);
}

Test(unix, names_bind_and_connect_errors)
{
    struct stack *st = stack_create(1, 0);
    struct sock *a = usock(st, SOCK_STREAM), *b = usock(st, SOCK_STREAM), *d = usock(st, SOCK_DGRAM);
    struct endpoint p = path("/run/x.sock"), missing = path("/nowhere");
    cr_assert_eq(sock_bind(a, &p), 0);
    cr_assert_eq(sock_bind(a, &missing), -EINVAL, "bound twice");
    cr_assert_eq(sock_bind(b, &p), -EADDRINUSE);
    cr_assert_eq(sock_connect(b, &missing), -ENOENT, "a missing path: No such file or directory");
    cr_assert_eq(sock_connect(b, &p), -ECONNREFUSED, "bound but not listening");
    cr_assert_eq(sock_connect(d, &p), -EPROTOTYPE, "a datagram socket cannot reach a stream one");
    struct endpoint abs = path("x");
    abs.path[0] = '\0';
    cr_assert_eq(sock_connect(b, &abs), -ECONNREFUSED, "a missing abstract name: refused");
    cr_assert_eq(sock_listen(b, 1), -EINVAL, "listen needs a name");
    cr_assert_eq(sock_listen(d, 1), -EOPNOTSUPP);
    /* autobind: bind with an empty name picks "\0xxxxx" */
    struct endpoint none = path(""), name;
    cr_assert_eq(sock_bind(d, &none), 0);
    cr_assert_eq(sock_getname(d, &name, false), 0);
    cr_assert_eq(name.path_len, 6);
    cr_assert_eq(name.path[0], '\0');
    cr_assert_eq(sock_getname(d, &name, true), -ENOTCONN);
    /* the name goes with its socket: no file to unlink */
    sock_close(a);
    cr_assert_eq(sock_bind(b, &p), 0, "free again once its socket closed");
    sock_close(b);
    sock_close(d);
    cr_assert_gt(st->ctr.unix_refused, 0);
    stack_destroy(st);
}

Test(unix, stream_echo_names_and_poll)
{
    struct stack *st = stack_create(1, 0);
    struct sock *l, *c, *a;
    stream_pair(st, "/srv", &l, &c, &a);
    struct endpoint n;
    cr_assert_eq(sock_getname(a, &n, false), 0);
    cr_assert(n.path_len == 4 && memcmp(n.path, "/srv", 4) == 0, "the child has its listener's name");
    cr_assert_eq(sock_getname(c, &n, true), 0);
    cr_assert(n.path_len == 4 && memcmp(n.path, "/srv", 4) == 0, "the client's peer is the listener's name");
    cr_assert_eq(sock_getname(a, &n, true), 0);
    cr_assert_eq(n.path_len, 0);
    cr_assert_eq(sock_poll(l) & SOCK_POLLIN, 0, "accept queue empty again");
    cr_assert_eq(sock_poll(a) & (SOCK_POLLIN | SOCK_POLLOUT), SOCK_POLLOUT);
    sock_set_wake(a, count_wake, NULL);
    wakes = 0;
    cr_assert_eq(sock_send(c, "hello", 5, 0, NULL), 5);
    cr_assert_gt(wakes, 0, "the receiver is woken");
    cr_assert(sock_poll(a) & SOCK_POLLIN);
    char buf[16];
    cr_assert_eq(sock_recv(a, buf, 2, MSG_PEEK, NULL, NULL), 2);
    cr_assert_eq(sock_recv(a, buf, sizeof buf, 0, NULL, NULL), 5);
    cr_assert_eq(memcmp(buf, "hello", 5), 0);
    cr_assert_eq(sock_recv(a, buf, sizeof buf, 0, NULL, NULL), -EAGAIN);
    cr_assert_eq(sock_send(a, "ok", 2, 0, NULL), 2);
    cr_assert_eq(sock_recv(c, buf, sizeof buf, 0, NULL, NULL), 2);
    cr_assert_eq(sock_send(c, "x", 1, 0, &n), -EISCONN, "sendto on a connected stream");
    cr_assert_eq(st->ctr.unix_connects, 1);
    cr_assert_eq(st->ctr.unix_stream_bytes, 7);
    sock_close(a);
    sock_close(c);
    sock_close(l);
    stack_destroy(st);
}

Test(unix, stream_flow_control_by_sndbuf)
{
    struct stack *st = stack_create(1, 0);
    struct sock *x, *y;
    cr_assert_eq(sock_socketpair(st, AF_UNIX, SOCK_STREAM, 0, &x, &y), 0);
    int v = 4096; /* Linux doubles it: 8192 bytes in flight at most */
    cr_assert_eq(sock_setsockopt(x, SOL_SOCKET, SO_SNDBUF, &v, sizeof v), 0);
    static char big[20000];
    memset(big, 'q', sizeof big);
    cr_assert_eq(sock_send(x, big, sizeof big, 0, NULL), 8192, "a partial send up to the budget");
    cr_assert_eq(sock_send(x, big, 1, 0, NULL), -EAGAIN, "full: flow control, nothing dropped");
    cr_assert_eq(sock_poll(x) & SOCK_POLLOUT, 0);
    sock_set_wake(x, count_wake, NULL);
    wakes = 0;
    char buf[8192];
    cr_assert_eq(sock_recv(y, buf, 7000, 0, NULL, NULL), 7000);
    cr_assert_gt(wakes, 0, "the writer is woken when the reader makes room");
    cr_assert(sock_poll(x) & SOCK_POLLOUT, "writable again below a quarter");
    cr_assert_eq(sock_send(x, big, sizeof big, 0, NULL), 7000);
    size_t total = 0;
    ssize_t k;
    while ((k = sock_recv(y, buf, sizeof buf, 0, NULL, NULL)) > 0)
        total += (size_t)k;
    cr_assert_eq(total, 8192);
    sock_close(x);
    sock_close(y);
    stack_destroy(st);
}

Test(unix, stream_half_close_eof_epipe_reset)
{
    struct stack *st = stack_create(1, 0);
    struct sock *x, *y;
    cr_assert_eq(sock_socketpair(st, AF_UNIX, SOCK_STREAM, 0, &x, &y), 0);
    char buf[16];
    cr_assert_eq(sock_send(x, "last", 4, 0, NULL), 4);
    cr_assert_eq(sock_shutdown(x, SHUT_WR), 0);
    cr_assert_eq(sock_send(x, "more", 4, 0, NULL), -EPIPE, "after our own SHUT_WR");
    cr_assert(sock_poll(y) & SOCK_POLLRDHUP);
    cr_assert_eq(sock_recv(y, buf, sizeof buf, 0, NULL, NULL), 4, "queued bytes first");
    cr_assert_eq(sock_recv(y, buf, sizeof buf, 0, NULL, NULL), 0, "then EOF");
    cr_assert_eq(sock_send(y, "back", 4, 0, NULL), 4, "half-close: the other way still works");
    cr_assert_eq(sock_recv(x, buf, sizeof buf, 0, NULL, NULL), 4);
    /* y closes with unread data: x gets ECONNRESET once, then EOF; a send EPIPE */
    cr_assert_eq(sock_send(x, "z", 1, 0, NULL), -EPIPE, "y's read side is shut by x's SHUT_WR");
    sock_close(y);
    struct sock *p, *q;
    cr_assert_eq(sock_socketpair(st, AF_UNIX, SOCK_STREAM, 0, &p, &q), 0);
    cr_assert_eq(sock_send(p, "unread", 6, 0, NULL), 6);
    sock_close(q);
    uint32_t ev = sock_poll(p);
    cr_assert(ev & SOCK_POLLERR && ev & SOCK_POLLHUP && ev & SOCK_POLLIN);
    cr_assert_eq(sock_recv(p, buf, sizeof buf, 0, NULL, NULL), -ECONNRESET);
    cr_assert_eq(sock_recv(p, buf, sizeof buf, 0, NULL, NULL), 0);
    cr_assert_eq(sock_send(p, "a", 1, 0, NULL), -EPIPE);
    struct endpoint n;
    cr_assert_eq(sock_getname(p, &n, true), 0, "getpeername still answers, as on Linux");
    sock_close(p);
    sock_close(x);
    /* recv on a stream socket never connected: EINVAL (Linux) */
    struct sock *u = usock(st, SOCK_STREAM);
    cr_assert_eq(sock_recv(u, buf, sizeof buf, 0, NULL, NULL), -EINVAL);
    cr_assert_eq(sock_send(u, "a", 1, 0, NULL), -ENOTCONN);
    sock_close(u);
    stack_destroy(st);
}

Test(unix, backlog_and_listener_close)
{
    struct stack *st = stack_create(1, 0);
    struct endpoint ep = path("/q");
    struct sock *l = usock(st, SOCK_STREAM);
    cr_assert_eq(sock_bind(l, &ep), 0);
    cr_assert_eq(sock_listen(l, 1), 0);
    struct sock *c[3];
    for (int i = 0; i < 3; i++)
        c[i] = usock(st, SOCK_STREAM);
    cr_assert_eq(sock_connect(c[0], &ep), 0);
    cr_assert_eq(sock_connect(c[1], &ep), 0, "Linux lets backlog + 1 wait");
    sock_set_wake(c[2], count_wake, NULL);
    cr_assert_eq(sock_connect(c[2], &ep), -EAGAIN, "backlog full");
    cr_assert(sock_poll(l) & SOCK_POLLIN);
    cr_assert_eq(sock_send(c[0], "x", 1, 0, NULL), 1, "data may go before accept");
    wakes = 0;
    struct sock *a;
    cr_assert_eq(sock_accept(l, &a, NULL), 0);
    cr_assert_gt(wakes, 0, "the waiting connect is woken");
    char buf[4];
    cr_assert_eq(sock_recv(a, buf, sizeof buf, 0, NULL, NULL), 1);
    /* the listener closes with c[1] not accepted: c[1] is reset */
    sock_close(l);
    cr_assert_eq(sock_recv(c[1], buf, sizeof buf, 0, NULL, NULL), -ECONNRESET);
    cr_assert_eq(sock_connect(c[2], &ep), -ENOENT, "the name went with the listener");
    for (int i = 0; i < 3; i++)
        sock_close(c[i]);
    sock_close(a);
    stack_destroy(st);
}

Test(unix, dgram_boundaries_names_and_errors)
{
    struct stack *st = stack_create(1, 0);
    struct sock *r = usock(st, SOCK_DGRAM), *s = usock(st, SOCK_DGRAM), *anon = usock(st, SOCK_DGRAM);
    struct endpoint rp = path("/r"), sp = path("/s"), from, gone = path("/gone");
    cr_assert_eq(sock_bind(r, &rp), 0);
    cr_assert_eq(sock_bind(s, &sp), 0);
    cr_assert_eq(sock_send(s, "one", 3, 0, &rp), 3);
    cr_assert_eq(sock_send(s, "two!", 4, 0, &rp), 4);
    cr_assert_eq(sock_send(anon, "", 0, 0, &rp), 0, "an empty datagram is a datagram");
    cr_assert_eq(sock_send(s, "x", 1, 0, &gone), -ENOENT);
    cr_assert_eq(sock_send(s, "x", 1, 0, NULL), -ENOTCONN);
    char buf[16];
    size_t full;
    cr_assert_eq(sock_recv(r, buf, 2, 0, &from, &full), 2, "truncated to the buffer");
    cr_assert_eq(full, 3);
    cr_assert(from.addr.family == TP_AF_UNIX && from.path_len == 2 && memcmp(from.path, "/s", 2) == 0);
    cr_assert_eq(sock_recv(r, buf, sizeof buf, MSG_TRUNC, NULL, NULL), 4, "boundaries kept");
    cr_assert_eq(sock_recv(r, buf, sizeof buf, 0, &from, NULL), 0);
    cr_assert_eq(from.addr.family, TP_AF_UNSPEC, "an unnamed sender has no name (Python: None)");
    cr_assert_eq(sock_recv(r, buf, sizeof buf, 0, NULL, NULL), -EAGAIN);
    int v = 4608;
    cr_assert_eq(sock_setsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, sizeof v), 0);
    static char big[10000];
    cr_assert_eq(sock_send(s, big, 9216 - 31, 0, &rp), -EMSGSIZE, "Linux: sndbuf - 32 at most");
    cr_assert_eq(sock_send(s, big, 9216 - 32, 0, &rp), 9216 - 32);
    sock_close(r);
    sock_close(s);
    sock_close(anon);
    stack_destroy(st);
}

Test(unix, dgram_connected_queue_bound_and_peer_close)
{
    struct stack *st = stack_create(1, 0);
    struct sock *x, *y;
    cr_assert_eq(sock_socketpair(st, AF_UNIX, SOCK_DGRAM, 0, &x, &y), 0);
    struct sock *other = usock(st, SOCK_DGRAM);
    struct endpoint yn = path("/y");
    (void)yn;
    /* fill y's queue: UNIX_DGRAM_QLEN datagrams */
    int n = 0;
    while (sock_send(x, "d", 1, 0, NULL) == 1 && n < 10000)
        n++;
    cr_assert_eq(n, UNIX_DGRAM_QLEN, "bounded by count");
    cr_assert_eq(sock_send(x, "d", 1, 0, NULL), -EAGAIN, "full: the sender waits, nothing dropped");
    cr_assert_eq(sock_poll(x) & SOCK_POLLOUT, 0, "a connected sender is not writable");
    cr_assert_gt(st->ctr.unix_dgram_queue_full, 0);
    sock_set_wake(x, count_wake, NULL);
    wakes = 0;
    char buf[4];
    cr_assert_eq(sock_recv(y, buf, sizeof buf, 0, NULL, NULL), 1);
    cr_assert_gt(wakes, 0, "room wakes the sender");
    cr_assert(sock_poll(x) & SOCK_POLLOUT);
    /* y is connected to x: a third socket is refused (Linux EPERM) */
    struct endpoint auto_name = path("");
    cr_assert_eq(sock_bind(y, &auto_name), 0);
    struct endpoint yname;
    cr_assert_eq(sock_getname(y, &yname, false), 0);
    cr_assert_eq(sock_send(other, "e", 1, 0, &yname), -EPERM);
    /* y closes: x's next send is refused once, then it is not connected */
    sock_close(y);
    cr_assert_eq(sock_send(x, "d", 1, 0, NULL), -ECONNREFUSED);
    cr_assert_eq(sock_send(x, "d", 1, 0, NULL), -ENOTCONN);
    /* connect(AF_UNSPEC) dissolves an association */
    struct endpoint oname;
    cr_assert_eq(sock_bind(other, &auto_name), 0);
    cr_assert_eq(sock_getname(other, &oname, false), 0);
    cr_assert_eq(sock_connect(x, &oname), 0);
    cr_assert_eq(sock_send(x, "d", 1, 0, NULL), 1);
    struct endpoint unspec;
    memset(&unspec, 0, sizeof unspec);
    cr_assert_eq(sock_connect(x, &unspec), 0);
    cr_assert_eq(sock_send(x, "d", 1, 0, NULL), -ENOTCONN);
    sock_close(x);
    sock_close(other);
    stack_destroy(st);
}

Test(unix, shutdown_rd_makes_peer_send_epipe_and_destroy_frees_all)
{
    struct stack *st = stack_create(1, 0);
    struct sock *x, *y;
    cr_assert_eq(sock_socketpair(st, AF_UNIX, SOCK_STREAM, 0, &x, &y), 0);
    cr_assert_eq(sock_shutdown(y, SHUT_RD), 0);
    cr_assert_eq(sock_send(x, "a", 1, 0, NULL), -EPIPE);
    char buf[2];
    cr_assert_eq(sock_recv(y, buf, sizeof buf, 0, NULL, NULL), 0);
    cr_assert_eq(sock_send(y, "b", 1, 0, NULL), 1);
    /* sockets left open are freed by stack_destroy (ASan: no leak) */
    stack_destroy(st);
}
