/* AF_UNIX socket objects: socketpair (Python's default family on Linux),
 * paths in the runner's own namespace, echo in the three modes, select /
 * poll / epoll readiness, makefile line I/O, datagram boundaries and
 * senders' paths, and Python's errors and messages. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "api_helpers.h"

TestSuite(api_unix, .init = api_one_runner, .fini = api_stop, .timeout = 30);

static void *echo_thread(void *arg)
{
    int s = (int)(intptr_t)arg;
    char buf[4096];
    ssize_t k;
    while ((k = tapir_recv(s, buf, sizeof buf, 0)) > 0)
        if (tapir_sendall(s, buf, (size_t)k, 0) < 0)
            break;
    tapir_close(s);
    return NULL;
}

struct wjob {
    int fd;
    const char *p;
    size_t n;
    int rc;
};

static void *write_all(void *arg)
{
    struct wjob *j = arg;
    j->rc = tapir_sendall(j->fd, j->p, j->n, 0);
    return NULL;
}

Test(api_unix, socketpair_defaults_and_blocking_echo)
{
    int sv[2];
    API_OK(tapir_socketpair(TAPIR_DEFAULT, TAPIR_DEFAULT, TAPIR_DEFAULT, sv));
    cr_assert_eq(tapir_family(sv[0]), TAPIR_AF_UNIX, "Python on Linux: AF_UNIX by default");
    cr_assert_eq(tapir_type(sv[0]), TAPIR_SOCK_STREAM);
    cr_assert_eq(tapir_proto(sv[0]), 0);
    char r[TAPIR_REPR_MAX];
    char want[128];
    snprintf(want, sizeof want, "<tapir.socket fd=%d, family=AF_UNIX, type=SOCK_STREAM, proto=0>", sv[0]);
    cr_assert_str_eq(tapir_repr(sv[0], r, sizeof r), want, "unnamed: no laddr/raddr, as Python");
    tapir_addr a;
    API_OK(tapir_getpeername(sv[0], &a));
    cr_assert_eq(a.family, TAPIR_AF_UNIX);
    cr_assert_str_eq(a.host, "");

    pthread_t t, wt;
    pthread_create(&t, NULL, echo_thread, (void *)(intptr_t)sv[1]);
    /* 4 MB through the echo in blocking mode (more than any buffer): one
     * thread writes, this one reads */
    static char out[1 << 22], in[1 << 22];
    for (size_t i = 0; i < sizeof out; i++)
        out[i] = (char)(i * 7 % 251);
    struct wjob j = {sv[0], out, sizeof out, 0};
    pthread_create(&wt, NULL, write_all, &j);
    size_t got = 0;
    while (got < sizeof in) {
        ssize_t k = tapir_recv(sv[0], in + got, sizeof in - got, 0);
        cr_assert_gt(k, 0, "%s", tapir_strerror());
        got += (size_t)k;
    }
    pthread_join(wt, NULL);
    cr_assert_eq(j.rc, 0);
    cr_assert_eq(memcmp(in, out, sizeof in), 0, "every byte, in order");
    API_OK(tapir_shutdown(sv[0], TAPIR_SHUT_WR));
    char c;
    cr_assert_eq(tapir_recv(sv[0], &c, 1, 0), 0, "the echo saw EOF and closed: EOF here");
    pthread_join(t, NULL);
    tapir_close(sv[0]);
}

Test(api_unix, timeout_and_nonblocking_modes)
{
    int sv[2];
    API_OK(tapir_socketpair(TAPIR_AF_UNIX, TAPIR_SOCK_STREAM, 0, sv));
    char buf[64];
    /* timeout mode: "timed out" within 50 ms of the deadline */
    API_OK(tapir_settimeout(sv[0], 0.2));
    API_TIMED(0.2, 0.25, cr_assert_eq(tapir_recv(sv[0], buf, sizeof buf, 0), -1));
    cr_assert_eq(tapir_last_error()->kind, TAPIR_ERR_TIMEOUT);
    cr_assert_str_eq(tapir_strerror(), "timed out");
    API_OK(tapir_sendall(sv[1], "ping", 4, 0));
    cr_assert_eq(tapir_recv(sv[0], buf, sizeof buf, 0), 4);
    /* non-blocking: EAGAIN at once, then select says when */
    API_OK(tapir_setblocking(sv[1], false));
    API_TIMED(0, 0.05, cr_assert_eq(tapir_recv(sv[1], buf, sizeof buf, 0), -1));
    cr_assert_eq(tapir_errno(), EAGAIN);
    cr_assert_str_eq(tapir_strerror(), "[Errno 11] Resource temporarily unavailable");
    /* fill the pipe without blocking: a partial send, then EAGAIN */
    static char big[1 << 20];
    ssize_t n = tapir_send(sv[1], big, sizeof big, 0);
    cr_assert(n > 0 && (size_t)n < sizeof big, "partial send: %zd", n);
    cr_assert_eq(tapir_send(sv[1], big, 1, 0), -1);
    cr_assert_eq(tapir_errno(), EAGAIN);
    int wl[1] = {sv[1]}, nw = 1, z = 0;
    cr_assert_eq(tapir_select(NULL, &z, wl, &nw, NULL, &z, 0.0), 0, "full: not writable");
    /* sendall under a timeout: the whole call times out, what went stays */
    API_OK(tapir_settimeout(sv[1], 0.1));
    API_TIMED(0.1, 0.15, cr_assert_eq(tapir_sendall(sv[1], big, sizeof big, 0), -1));
    cr_assert_eq(tapir_last_error()->kind, TAPIR_ERR_TIMEOUT);
    size_t drained = 0;
    API_OK(tapir_settimeout(sv[0], 0.0));
    ssize_t k;
    while ((k = tapir_recv(sv[0], big, sizeof big, 0)) > 0)
        drained += (size_t)k;
    cr_assert_geq(drained, (size_t)n);
    nw = 1;
    wl[0] = sv[1];
    cr_assert_eq(tapir_select(NULL, &z, wl, &nw, NULL, &z, 1.0), 1, "writable once drained");
    tapir_close(sv[0]);
    tapir_close(sv[1]);
}

Test(api_unix, paths_listen_accept_select_and_epoll)
{
    int l = tapir_socket(TAPIR_AF_UNIX, TAPIR_SOCK_STREAM, 0);
    cr_assert_geq(l, 0, "%s", tapir_strerror());
    API_OK(tapir_bind(l, TAPIR_UNIX("/run/tapir-test.sock")));
    API_OK(tapir_listen(l, TAPIR_BACKLOG_DEFAULT));
    int acc;
    API_OK(tapir_getsockopt_int(l, TAPIR_SOL_SOCKET, TAPIR_SO_ACCEPTCONN, &acc));
    cr_assert_eq(acc, 1);
    char r[TAPIR_REPR_MAX], want[160];
    snprintf(want, sizeof want,
             "<tapir.socket fd=%d, family=AF_UNIX, type=SOCK_STREAM, proto=0, laddr=/run/tapir-test.sock>", l);
    cr_assert_str_eq(tapir_repr(l, r, sizeof r), want);
    int rl[1] = {l}, nr = 1, z = 0;
    cr_assert_eq(tapir_select(rl, &nr, NULL, &z, NULL, &z, 0.0), 0, "nothing to accept");

    int c = tapir_socket(TAPIR_AF_UNIX, TAPIR_SOCK_STREAM, 0);
    API_OK(tapir_connect(c, TAPIR_ADDR("/run/tapir-test.sock", 0))); /* family 0: the socket's */
    nr = 1;
    cr_assert_eq(tapir_select(rl, &nr, NULL, &z, NULL, &z, 1.0), 1, "a listener is readable when accept will not block");
    tapir_addr peer;
    int a = tapir_accept(l, &peer);
    cr_assert_geq(a, 0, "%s", tapir_strerror());
    cr_assert_eq(peer.family, TAPIR_AF_UNIX);
    cr_assert_str_eq(peer.host, "", "an unnamed client");
    tapir_addr name;
    API_OK(tapir_getsockname(a, &name));
    cr_assert_str_eq(name.host, "/run/tapir-test.sock");
    API_OK(tapir_getpeername(c, &name));
    cr_assert_str_eq(name.host, "/run/tapir-test.sock");
    char s[TAPIR_ADDR_STRLEN];
    cr_assert_str_eq(tapir_addr_str(&name, s, sizeof s), "/run/tapir-test.sock", "str() of a path");

    tapir_epoll *ep = tapir_epoll_create();
    API_OK(tapir_epoll_register(ep, a, TAPIR_EPOLLIN));
    struct tapir_epoll_event ev[4];
    cr_assert_eq(tapir_epoll_poll(ep, ev, 4, 0.0), 0);
    API_OK(tapir_sendall(c, "line\n", 5, 0));
    cr_assert_eq(tapir_epoll_poll(ep, ev, 4, 1.0), 1, "epoll: readable");
    cr_assert_eq(ev[0].fd, a);
    struct tapir_pollfd pf = {.fd = a, .events = TAPIR_POLLIN};
    cr_assert_eq(tapir_poll(&pf, 1, 0), 1);
    char buf[16];
    cr_assert_eq(tapir_recv(a, buf, sizeof buf, 0), 5);
    cr_assert_eq(tapir_epoll_poll(ep, ev, 4, 0.0), 0, "drained");
    tapir_close(c);
    cr_assert_eq(tapir_epoll_poll(ep, ev, 4, 1.0), 1, "EOF is readable");
    cr_assert(ev[0].events & TAPIR_EPOLLHUP);
    cr_assert_eq(tapir_recv(a, buf, sizeof buf, 0), 0);
    tapir_epoll_close(ep);
    tapir_close(a);
    tapir_close(l);
}

Test(api_unix, makefile_line_io)
{
    int sv[2];
    API_OK(tapir_socketpair(TAPIR_DEFAULT, TAPIR_DEFAULT, TAPIR_DEFAULT, sv));
    FILE *w = tapir_makefile(sv[0], "w");
    FILE *rd = tapir_makefile(sv[1], "r");
    cr_assert(w && rd);
    for (int i = 0; i < 100; i++)
        fprintf(w, "line %d of a tapir AF_UNIX stream\n", i);
    fflush(w);
    fclose(w);
    tapir_close(sv[0]); /* the stream still held it: now EOF */
    char line[128];
    int n = 0;
    while (fgets(line, sizeof line, rd)) {
        char want[64];
        snprintf(want, sizeof want, "line %d of a tapir AF_UNIX stream\n", n);
        cr_assert_str_eq(line, want);
        n++;
    }
    cr_assert_eq(n, 100);
    cr_assert(feof(rd) && !ferror(rd));
    fclose(rd);
    tapir_close(sv[1]);
}

Test(api_unix, dgram_boundaries_and_sender_paths)
{
    int r = tapir_socket(TAPIR_AF_UNIX, TAPIR_SOCK_DGRAM, 0), s = tapir_socket(TAPIR_AF_UNIX, TAPIR_SOCK_DGRAM, 0);
    cr_assert(r >= 0 && s >= 0);
    API_OK(tapir_bind(r, TAPIR_UNIX("/dg/r")));
    API_OK(tapir_bind(s, TAPIR_UNIX("/dg/s")));
    cr_assert_eq(tapir_sendto(s, "first", 5, 0, TAPIR_UNIX("/dg/r")), 5);
    cr_assert_eq(tapir_sendto(s, "second!", 7, 0, TAPIR_UNIX("/dg/r")), 7);
    char buf[64];
    tapir_addr from;
    cr_assert_eq(tapir_recvfrom(r, buf, 3, 0, &from), 3, "the rest of a datagram is lost, as on Linux");
    cr_assert_str_eq(from.host, "/dg/s");
    cr_assert_eq(tapir_recvfrom(r, buf, sizeof buf, TAPIR_MSG_PEEK, &from), 7, "the next datagram whole");
    cr_assert_eq(tapir_recvfrom(r, buf, sizeof buf, 0, &from), 7);
    cr_assert_eq(memcmp(buf, "second!", 7), 0);
    /* answer to the path recvfrom gave */
    cr_assert_eq(tapir_sendto(r, "ok", 2, 0, &from), 2);
    cr_assert_eq(tapir_recv(s, buf, sizeof buf, 0), 2);
    /* an abstract name, printed as Python prints bytes */
    int t = tapir_socket(TAPIR_AF_UNIX, TAPIR_SOCK_DGRAM, 0);
    API_OK(tapir_bind(t, TAPIR_UNIX_ABSTRACT("\0tapir", 6)));
    tapir_addr name;
    API_OK(tapir_getsockname(t, &name));
    char str[TAPIR_ADDR_STRLEN];
    cr_assert_str_eq(tapir_addr_str(&name, str, sizeof str), "b'\\x00tapir'");
    cr_assert_eq(tapir_sendto(s, "abs", 3, 0, &name), 3);
    cr_assert_eq(tapir_recvfrom(t, buf, sizeof buf, 0, &from), 3);
    /* from an unnamed sender: Python's None, and None is no address */
    int u = tapir_socket(TAPIR_AF_UNIX, TAPIR_SOCK_DGRAM, 0);
    cr_assert_eq(tapir_sendto(u, "anon", 4, 0, TAPIR_UNIX("/dg/r")), 4);
    cr_assert_eq(tapir_recvfrom(r, buf, sizeof buf, 0, &from), 4);
    cr_assert_str_eq(tapir_addr_str(&from, str, sizeof str), "None");
    cr_assert_eq(tapir_sendto(r, "x", 1, 0, &from), -1);
    cr_assert_eq(tapir_last_error()->kind, TAPIR_ERR_TYPE);
    tapir_close(u);
    /* a connected pair keeps boundaries too */
    int sv[2];
    API_OK(tapir_socketpair(TAPIR_AF_UNIX, TAPIR_SOCK_DGRAM, 0, sv));
    cr_assert_eq(tapir_type(sv[0]), TAPIR_SOCK_DGRAM);
    cr_assert_eq(tapir_send(sv[0], "a", 1, 0), 1);
    cr_assert_eq(tapir_send(sv[0], "bc", 2, 0), 2);
    cr_assert_eq(tapir_recv(sv[1], buf, sizeof buf, 0), 1);
    cr_assert_eq(tapir_recv(sv[1], buf, sizeof buf, 0), 2);
    /* the receiver's queue is bounded: a non-blocking sender sees EAGAIN */
    API_OK(tapir_setblocking(sv[0], false));
    int sent = 0;
    while (tapir_send(sv[0], "x", 1, 0) == 1 && sent < 100000)
        sent++;
    cr_assert_lt(sent, 100000);
    cr_assert_eq(tapir_errno(), EAGAIN);
    tapir_close(sv[0]);
    tapir_close(sv[1]);
    tapir_close(t);
    tapir_close(r);
    tapir_close(s);
}

Test(api_unix, errors_and_messages_like_python)
{
    int s = tapir_socket(TAPIR_AF_UNIX, TAPIR_SOCK_STREAM, 0);
    cr_assert_eq(tapir_connect(s, TAPIR_UNIX("/no/such/path")), -1);
    cr_assert_str_eq(tapir_strerror(), "[Errno 2] No such file or directory");
    char longp[200];
    memset(longp, 'p', sizeof longp - 1);
    longp[sizeof longp - 1] = '\0';
    cr_assert_eq(tapir_bind(s, TAPIR_UNIX(longp)), -1);
    cr_assert_eq(tapir_last_error()->kind, TAPIR_ERR_ERROR);
    cr_assert_str_eq(tapir_strerror(), "AF_UNIX path too long");
    longp[108] = '\0';
    cr_assert_eq(tapir_connect(s, TAPIR_UNIX(longp)), -1, "108 bytes fit sun_path");
    cr_assert_eq(tapir_errno(), ENOENT);
    cr_assert_eq(tapir_connect(s, TAPIR_ADDR("198.18.0.1", 7)), -1);
    cr_assert_eq(tapir_last_error()->kind, TAPIR_ERR_TYPE);
    char buf[4];
    cr_assert_eq(tapir_recv(s, buf, sizeof buf, 0), -1);
    cr_assert_str_eq(tapir_strerror(), "[Errno 22] Invalid argument", "recv on an unconnected stream (Linux)");
    API_OK(tapir_bind(s, TAPIR_UNIX("/e/taken")));
    int t = tapir_socket(TAPIR_AF_UNIX, TAPIR_SOCK_STREAM, 0);
    cr_assert_eq(tapir_bind(t, TAPIR_UNIX("/e/taken")), -1);
    cr_assert_str_eq(tapir_strerror(), "[Errno 98] Address already in use");
    cr_assert_eq(tapir_connect(t, TAPIR_UNIX("/e/taken")), -1);
    cr_assert_str_eq(tapir_strerror(), "[Errno 111] Connection refused", "bound, not listening");
    cr_assert_eq(tapir_connect_ex(t, TAPIR_UNIX("/e/none")), ENOENT);
    int d = tapir_socket(TAPIR_AF_UNIX, TAPIR_SOCK_DGRAM, 0);
    API_OK(tapir_listen(s, 1));
    cr_assert_eq(tapir_connect(d, TAPIR_UNIX("/e/taken")), -1);
    cr_assert_str_eq(tapir_strerror(), "[Errno 91] Protocol wrong type for socket");
    int sv[2];
    cr_assert_eq(tapir_socketpair(TAPIR_AF_INET, TAPIR_SOCK_STREAM, 0, sv), -1);
    cr_assert_str_eq(tapir_strerror(), "[Errno 95] Operation not supported", "as socketpair(2) on Linux");
    cr_assert_eq(tapir_socket(TAPIR_AF_UNIX, TAPIR_SOCK_STREAM, TAPIR_IPPROTO_TCP), -1);
    cr_assert_str_eq(tapir_strerror(), "[Errno 93] Protocol not supported");
    /* EPIPE after the peer closed; EBADF after our own close */
    API_OK(tapir_socketpair(TAPIR_DEFAULT, TAPIR_DEFAULT, TAPIR_DEFAULT, sv));
    tapir_close(sv[1]);
    cr_assert_eq(tapir_send(sv[0], "x", 1, TAPIR_MSG_NOSIGNAL), -1);
    cr_assert_str_eq(tapir_strerror(), "[Errno 32] Broken pipe");
    cr_assert_eq(tapir_recv(sv[0], buf, sizeof buf, 0), 0, "EOF");
    tapir_close(sv[0]);
    cr_assert_eq(tapir_recv(sv[0], buf, sizeof buf, 0), -1);
    cr_assert_str_eq(tapir_strerror(), "[Errno 9] Bad file descriptor");
    tapir_close(d);
    tapir_close(t);
    tapir_close(s);
}

Test(api_unix, dup_options_so_error_and_reset)
{
    int sv[2];
    API_OK(tapir_socketpair(TAPIR_DEFAULT, TAPIR_DEFAULT, TAPIR_DEFAULT, sv));
    int v;
    API_OK(tapir_setsockopt_int(sv[0], TAPIR_SOL_SOCKET, TAPIR_SO_RCVBUF, 65536));
    API_OK(tapir_getsockopt_int(sv[0], TAPIR_SOL_SOCKET, TAPIR_SO_RCVBUF, &v));
    cr_assert_eq(v, 131072, "doubled, as Linux reports it");
    API_OK(tapir_getsockopt_int(sv[0], TAPIR_SOL_SOCKET, TAPIR_SO_TYPE, &v));
    cr_assert_eq(v, TAPIR_SOCK_STREAM);
    int d = tapir_dup(sv[0]);
    cr_assert_geq(d, 0);
    tapir_close(sv[0]);
    API_OK(tapir_sendall(d, "via dup", 7, 0));
    char buf[16];
    cr_assert_eq(tapir_recv(sv[1], buf, sizeof buf, 0), 7);
    /* closing with unread data resets the peer: SO_ERROR says so once */
    API_OK(tapir_sendall(sv[1], "unread", 6, 0));
    tapir_close(d);
    API_OK(tapir_getsockopt_int(sv[1], TAPIR_SOL_SOCKET, TAPIR_SO_ERROR, &v));
    cr_assert_eq(v, ECONNRESET);
    API_OK(tapir_getsockopt_int(sv[1], TAPIR_SOL_SOCKET, TAPIR_SO_ERROR, &v));
    cr_assert_eq(v, 0);
    cr_assert_eq(tapir_recv(sv[1], buf, sizeof buf, 0), 0);
    tapir_close(sv[1]);
}

struct later {
    int l;
    double delay;
};

static void *accept_later(void *arg)
{
    struct later *x = arg;
    struct timespec ts = {0, (long)(x->delay * 1e9)};
    nanosleep(&ts, NULL);
    int a = tapir_accept(x->l, NULL);
    return (void *)(intptr_t)a;
}

Test(api_unix, blocking_connect_waits_for_backlog_room)
{
    int l = tapir_socket(TAPIR_AF_UNIX, TAPIR_SOCK_STREAM, 0);
    API_OK(tapir_bind(l, TAPIR_UNIX("/bl")));
    API_OK(tapir_listen(l, 0));
    int c1 = tapir_socket(TAPIR_AF_UNIX, TAPIR_SOCK_STREAM, 0), c2 = tapir_socket(TAPIR_AF_UNIX, TAPIR_SOCK_STREAM, 0);
    API_OK(tapir_connect(c1, TAPIR_UNIX("/bl")));
    API_OK(tapir_setblocking(c2, false));
    cr_assert_eq(tapir_connect(c2, TAPIR_UNIX("/bl")), -1);
    cr_assert_eq(tapir_errno(), EAGAIN, "non-blocking, backlog full: EAGAIN (Linux)");
    API_OK(tapir_settimeout(c2, 5.0));
    cr_assert_eq(tapir_connect(c2, TAPIR_UNIX("/bl")), -1);
    cr_assert_str_eq(tapir_strerror(), "[Errno 11] Resource temporarily unavailable",
                     "timeout mode: CPython's non-blocking connect raises at once");
    API_OK(tapir_setblocking(c2, true));
    struct later x = {l, 0.2};
    pthread_t t;
    pthread_create(&t, NULL, accept_later, &x);
    double t0 = api_now();
    API_OK(tapir_connect(c2, TAPIR_UNIX("/bl")));
    double dt = api_now() - t0;
    cr_assert(dt >= 0.15 && dt < 2.0, "blocked until the accept made room: %.3f s", dt);
    void *ret;
    pthread_join(t, &ret);
    int a1 = (int)(intptr_t)ret;
    cr_assert_geq(a1, 0);
    int a2 = tapir_accept(l, NULL);
    cr_assert_geq(a2, 0);
    tapir_close(a1);
    tapir_close(a2);
    tapir_close(c1);
    tapir_close(c2);
    tapir_close(l);
}
