/* TLS on tapir sockets (api/tls_socket.c): two runners on an in-process
 * memlink wire (198.18.0.2 and .3), TCP between them, TLS on top.
 * Handshake and data, select counting decrypted bytes as readable, a
 * non-blocking connection driven by select, the socket's timeout carried
 * over, unexpected EOF over a real FIN, the legacy call, unwrap back to
 * plain TCP.  Skipped (with the reason) while tapir has no TCP. */
#include <errno.h>

#include "tests/unit/api_helpers.h"
#include "tests/unit/tls_common.h"

static void setup(void)
{
    tls_setup();
    api_two_runners();
}

static void teardown(void)
{
    api_stop();
    tls_teardown();
}

TestSuite(tls_socket, .init = setup, .fini = teardown, .timeout = 60);

static void need_tcp(void)
{
    int fd = tapir_socket_on(api_r1, TAPIR_AF_INET, TAPIR_SOCK_STREAM, 0);
    if (fd < 0 && tapir_errno() == EPROTONOSUPPORT)
        cr_skip_test("tapir has no TCP yet: %s", tapir_strerror());
    cr_assert(fd >= 0, "socket: %s", tapir_strerror());
    tapir_close(fd);
}

/* A listening socket on runner 2 (198.18.0.3:port). */
static int listener(int port)
{
    int l = tapir_socket_on(api_r2, TAPIR_AF_INET, TAPIR_SOCK_STREAM, 0);
    API_OK(l);
    API_OK(tapir_bind(l, TAPIR_ADDR("198.18.0.3", port)));
    API_OK(tapir_listen(l, 4));
    return l;
}

static int connect_to(int port)
{
    int c = tapir_socket_on(api_r1, TAPIR_AF_INET, TAPIR_SOCK_STREAM, 0);
    API_OK(c);
    tapir_settimeout(c, 10.0);
    API_OK(tapir_connect(c, TAPIR_ADDR("198.18.0.3", port)));
    return c;
}

/* The server side, in a thread: accept one, wrap, run body. */
struct srv {
    int lfd;
    const char *cert, *key;
    void (*body)(struct srv *, tapir_ssl_socket *);
    bool ok;
    char err[300];
    pthread_t th;
};

static void *srv_main(void *arg)
{
    struct srv *v = arg;
    int c = tapir_accept(v->lfd, NULL);
    if (c < 0) {
        snprintf(v->err, sizeof v->err, "accept: %s", tapir_strerror());
        return NULL;
    }
    tapir_settimeout(c, 10.0);
    tapir_ssl_context *ctx = tapir_ssl_context_new(TAPIR_PROTOCOL_TLS_SERVER);
    tapir_ssl_socket *s = NULL;
    if (tapir_ssl_context_load_cert_chain(ctx, tls_path(v->cert ? v->cert : "server.pem"),
                                          tls_path(v->key ? v->key : "server.key")) == 0)
        s = tapir_ssl_wrap_socket(ctx, c, NULL, TAPIR_SSL_SERVER_SIDE);
    tapir_ssl_context_free(ctx);
    if (!s) {
        snprintf(v->err, sizeof v->err, "server: %s", tapir_strerror());
        tapir_close(c);
        return NULL;
    }
    v->ok = true;
    v->body(v, s);
    tapir_ssl_close(s);
    return NULL;
}

static void srv_start(struct srv *v, int port)
{
    v->lfd = listener(port);
    cr_assert_eq(pthread_create(&v->th, NULL, srv_main, v), 0);
}

static void srv_join(struct srv *v)
{
    pthread_join(v->th, NULL);
    tapir_close(v->lfd);
}

static tapir_ssl_socket *verified_client(int fd, tapir_ssl_context **ctx, int flags)
{
    *ctx = tls_client_ctx(NULL);
    return tapir_ssl_wrap_socket(*ctx, fd, "tapir.test", flags);
}

/* Echo one read, then wait for close_notify and answer it. */
static void echo_body(struct srv *v, tapir_ssl_socket *s)
{
    (void)v;
    char buf[256];
    ssize_t n = tapir_ssl_recv(s, buf, sizeof buf);
    if (n > 0)
        tapir_ssl_sendall(s, buf, (size_t)n);
    while ((n = tapir_ssl_recv(s, buf, sizeof buf)) > 0)
        ;
    if (n == 0)
        tapir_ssl_unwrap(s);
}

Test(tls_socket, handshake_data_and_names_over_tapir_tcp)
{
    need_tcp();
    struct srv v = {.body = echo_body};
    srv_start(&v, 4433);
    int fd = connect_to(4433);
    tapir_ssl_context *ctx;
    tapir_ssl_socket *s = verified_client(fd, &ctx, 0);
    cr_assert_not_null(s, "handshake: %s", tapir_strerror());
    cr_assert_eq(tapir_ssl_fileno(s), fd);
    cr_assert_str_eq(tapir_ssl_version(s), "TLSv1.3");
    cr_assert_str_eq(tapir_ssl_server(s), TLSCERT_SERVER_SUBJECT);
    cr_assert_str_eq(tapir_ssl_issuer(s), TLSCERT_CA_SUBJECT);
    cr_assert_eq(tapir_ssl_sendall(s, "over tapir", 10), 0);
    char buf[32] = {0};
    cr_assert_eq(tapir_ssl_recv(s, buf, sizeof buf), 10, "%s", tapir_strerror());
    cr_assert_str_eq(buf, "over tapir");
    cr_assert_eq(tapir_ssl_unwrap(s), fd, "unwrap: %s", tapir_strerror());
    srv_join(&v);
    cr_assert(v.ok, "%s", v.err);
    /* Unwrapped: closing the TLS object leaves the socket open. */
    tapir_ssl_close(s);
    cr_assert_eq(tapir_fileno(fd), fd);
    tapir_close(fd);
    tapir_ssl_context_free(ctx);
}

static void two_records_body(struct srv *v, tapir_ssl_socket *s)
{
    (void)v;
    tapir_ssl_sendall(s, "hello world", 11); /* one record */
    char c;
    while (tapir_ssl_recv(s, &c, 1) > 0)
        ;
}

Test(tls_socket, select_counts_decrypted_bytes_as_readable)
{
    need_tcp();
    struct srv v = {.body = two_records_body};
    srv_start(&v, 4434);
    int fd = connect_to(4434);
    tapir_ssl_context *ctx;
    tapir_ssl_socket *s = verified_client(fd, &ctx, 0);
    cr_assert_not_null(s, "%s", tapir_strerror());
    int r[1] = {fd}, nr = 1, nz = 0;
    cr_assert_eq(tapir_select(r, &nr, NULL, &nz, NULL, &nz, 5.0), 1, "the record arrives");
    char buf[16];
    cr_assert_eq(tapir_ssl_recv(s, buf, 5), 5);
    /* The socket itself has nothing left: the record's rest is decrypted
     * inside TLS.  select must still say readable. */
    cr_assert_eq(tapir_ssl_pending(s), 6);
    r[0] = fd;
    nr = 1;
    cr_assert_eq(tapir_select(r, &nr, NULL, &nz, NULL, &nz, 0.0), 1, "pending bytes are readable");
    struct tapir_pollfd p = {.fd = fd, .events = TAPIR_POLLIN};
    cr_assert_eq(tapir_poll(&p, 1, 0), 1, "poll too");
    /* And the epoll-like API: registered now, level-triggered, the socket
     * has no bytes of its own, only the 6 TLS holds. */
    tapir_epoll *ep = tapir_epoll_create();
    cr_assert_not_null(ep);
    cr_assert_eq(tapir_epoll_register(ep, fd, TAPIR_EPOLLIN), 0);
    struct tapir_epoll_event ev[2];
    cr_assert_eq(tapir_epoll_poll(ep, ev, 2, 0.0), 1, "epoll counts pending bytes");
    cr_assert_eq(ev[0].fd, fd);
    cr_assert(ev[0].events & TAPIR_EPOLLIN);
    cr_assert_eq(tapir_epoll_poll(ep, ev, 2, 0.0), 1, "still readable (level-triggered)");
    cr_assert_eq(tapir_ssl_recv(s, buf, sizeof buf), 6);
    r[0] = fd;
    nr = 1;
    cr_assert_eq(tapir_select(r, &nr, NULL, &nz, NULL, &nz, 0.0), 0, "nothing more");
    cr_assert_eq(tapir_epoll_poll(ep, ev, 2, 0.0), 0, "epoll: nothing more");
    tapir_epoll_close(ep);
    tapir_ssl_close(s); /* no close_notify: the server's read ends with an error */
    srv_join(&v);
    tapir_ssl_context_free(ctx);
}

static void ping_pong_body(struct srv *v, tapir_ssl_socket *s)
{
    (void)v;
    char buf[64];
    for (int i = 0; i < 5; i++) {
        ssize_t n = tapir_ssl_recv(s, buf, sizeof buf);
        if (n <= 0)
            return;
        tapir_ssl_sendall(s, buf, (size_t)n);
    }
    if (tapir_ssl_recv(s, buf, sizeof buf) == 0)
        tapir_ssl_unwrap(s);
}

/* One call made to complete in non-blocking mode by waiting with select
 * for what want-read / want-write asks. */
static void wait_for_want(int fd, int *wants)
{
    const tapir_error *e = tapir_last_error();
    int l[1] = {fd}, n1 = 1, n0 = 0;
    if (e->kind == TAPIR_ERR_SSL_WANT_READ)
        cr_assert_eq(tapir_select(l, &n1, NULL, &n0, NULL, &n0, 5.0), 1, "select for read");
    else if (e->kind == TAPIR_ERR_SSL_WANT_WRITE)
        cr_assert_eq(tapir_select(NULL, &n0, l, &n1, NULL, &n0, 5.0), 1, "select for write");
    else
        cr_assert_fail("unexpected error %s", tapir_strerror());
    (*wants)++;
}

Test(tls_socket, nonblocking_driven_by_select)
{
    need_tcp();
    struct srv v = {.body = ping_pong_body};
    srv_start(&v, 4435);
    int fd = connect_to(4435);
    API_OK(tapir_setblocking(fd, false));
    tapir_ssl_context *ctx = tls_client_ctx(NULL);
    /* As in Python: non-blocking needs do_handshake_on_connect=False. */
    cr_assert_null(tapir_ssl_wrap_socket(ctx, fd, "tapir.test", 0));
    cr_assert_eq(tapir_last_error()->kind, TAPIR_ERR_VALUE);
    tapir_ssl_socket *s = tapir_ssl_wrap_socket(ctx, fd, "tapir.test", TAPIR_SSL_NO_HANDSHAKE_ON_CONNECT);
    cr_assert_not_null(s, "%s", tapir_strerror());
    int wants = 0;
    while (tapir_ssl_do_handshake(s) < 0)
        wait_for_want(fd, &wants);
    /* The server sends nothing before our first ping: a read now must ask
     * to wait (the handshake itself may or may not have had to: it can win
     * the race with the server thread). */
    char none[4];
    cr_assert_eq(tapir_ssl_recv(s, none, sizeof none), -1);
    cr_assert_eq(tapir_last_error()->kind, TAPIR_ERR_SSL_WANT_READ, "%s", tapir_strerror());
    cr_assert_str_eq(tapir_error_class(tapir_last_error()), "ssl.SSLWantReadError");
    for (int i = 0; i < 5; i++) {
        char msg[16], buf[16] = {0};
        int m = snprintf(msg, sizeof msg, "ping %d", i);
        while (tapir_ssl_send(s, msg, (size_t)m) < 0)
            wait_for_want(fd, &wants);
        ssize_t n;
        while ((n = tapir_ssl_recv(s, buf, sizeof buf - 1)) < 0)
            wait_for_want(fd, &wants);
        cr_assert_eq(n, m);
        cr_assert_str_eq(buf, msg);
    }
    while (tapir_ssl_unwrap(s) < 0)
        wait_for_want(fd, &wants);
    tapir_ssl_close(s);
    tapir_close(fd);
    srv_join(&v);
    cr_assert(v.ok, "%s", v.err);
    tapir_ssl_context_free(ctx);
}

static void silent_body(struct srv *v, tapir_ssl_socket *s)
{
    (void)v;
    char c;
    tapir_ssl_recv(s, &c, 1); /* until the client goes away */
}

Test(tls_socket, socket_timeout_carries_over)
{
    need_tcp();
    struct srv v = {.body = silent_body};
    srv_start(&v, 4436);
    int fd = connect_to(4436);
    tapir_ssl_context *ctx;
    tapir_ssl_socket *s = verified_client(fd, &ctx, 0);
    cr_assert_not_null(s, "%s", tapir_strerror());
    /* Set on the socket after wrapping: the TLS calls follow it. */
    API_OK(tapir_settimeout(fd, 0.3));
    char buf[8];
    double t0 = api_now();
    cr_assert_eq(tapir_ssl_recv(s, buf, sizeof buf), -1);
    double took = api_now() - t0;
    cr_assert_eq(tapir_last_error()->kind, TAPIR_ERR_TIMEOUT);
    cr_assert_str_eq(tapir_strerror(), "The read operation timed out");
    /* Never early; late by scheduling only (the suite runs tests in
     * parallel on few CPUs: the API's own tests hold the 50 ms bound). */
    cr_assert(took >= 0.29 && took < 0.5, "took %.3f s", took);
    tapir_ssl_close(s);
    srv_join(&v);
    tapir_ssl_context_free(ctx);
}

static void drop_body(struct srv *v, tapir_ssl_socket *s)
{
    (void)v;
    tapir_ssl_sendall(s, "bye", 3); /* then close: a FIN, no close_notify */
}

Test(tls_socket, fin_without_close_notify_is_unexpected_eof)
{
    need_tcp();
    struct srv v = {.body = drop_body};
    srv_start(&v, 4437);
    int fd = connect_to(4437);
    tapir_ssl_context *ctx;
    tapir_ssl_socket *s = verified_client(fd, &ctx, 0);
    cr_assert_not_null(s, "%s", tapir_strerror());
    char buf[8];
    ssize_t n = tapir_ssl_recv(s, buf, sizeof buf);
    cr_assert_eq(n, 3, "%zd %s", n, tapir_strerror());
    cr_assert_eq(tapir_ssl_recv(s, buf, sizeof buf), -1);
    const tapir_error *e = tapir_last_error();
    cr_assert_eq(e->kind, TAPIR_ERR_SSL);
    cr_assert_eq(e->code, TAPIR_SSL_ERROR_EOF);
    cr_assert_str_eq(e->message, "[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol");
    cr_assert_str_eq(tapir_error_class(e), "ssl.SSLEOFError");
    tapir_ssl_close(s);
    srv_join(&v);
    tapir_ssl_context_free(ctx);
}

Test(tls_socket, legacy_ssl_on_a_tapir_socket)
{
    need_tcp();
    struct srv v = {.body = echo_body, .cert = "expired.pem", .key = "expired.key"};
    srv_start(&v, 4438);
    int fd = connect_to(4438);
    tapir_ssl_socket *s = tapir_ssl(fd, NULL, NULL);
    cr_assert_not_null(s, "legacy ssl() on an expired certificate: %s", tapir_strerror());
    cr_assert_str_eq(tapir_ssl_server(s), TLSCERT_SERVER_SUBJECT);
    cr_assert_str_eq(tapir_ssl_issuer(s), TLSCERT_CA_SUBJECT);
    cr_assert_eq(tapir_ssl_write(s, "legacy", 6), 6);
    char buf[16] = {0};
    cr_assert_eq(tapir_ssl_read(s, buf, sizeof buf), 6);
    cr_assert_str_eq(buf, "legacy");
    cr_assert_eq(tapir_ssl_unwrap(s), fd);
    tapir_ssl_close(s);
    tapir_close(fd);
    srv_join(&v);
}

Test(tls_socket, wrap_refuses_a_closed_or_datagram_socket)
{
    tapir_ssl_context *ctx = tls_client_ctx(NULL);
    int u = tapir_socket_on(api_r1, TAPIR_AF_INET, TAPIR_SOCK_DGRAM, 0);
    API_OK(u);
    cr_assert_null(tapir_ssl_wrap_socket(ctx, u, "tapir.test", 0));
    cr_assert_eq(tapir_last_error()->kind, TAPIR_ERR_VALUE);
    tapir_close(u);
    cr_assert_null(tapir_ssl_wrap_socket(ctx, u, "tapir.test", 0));
    cr_assert_eq(tapir_errno(), EBADF, "%s", tapir_strerror());
    cr_assert_null(tapir_ssl(u, NULL, NULL));
    tapir_ssl_context_free(ctx);
}
