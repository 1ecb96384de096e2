/* SO_LINGER with l_onoff=1 and l_linger > 0, as Linux's close does it:
 * close() waits until the FIN (after all the data) is acknowledged, or
 * until l_linger seconds pass; then it returns 0 and the connection goes on
 * in the background.  Over the stack's loopback, between two sockets of one
 * runner.  (Against the kernel: tests/interop/api_linger.test.sh.) */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_helpers.h"

TestSuite(api_linger, .init = api_one_runner, .fini = api_stop, .timeout = 60);

struct linger_opt {
    int onoff, linger;
};

/* A connected pair over 127.0.0.1: *c connects, *a is accepted. */
static void pair(int *c, int *a)
{
    int l = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_STREAM, 0);
    cr_assert_geq(l, 0, "%s", tapir_strerror());
    API_OK(tapir_bind(l, TAPIR_ADDR("127.0.0.1", 0)));
    API_OK(tapir_listen(l, 1));
    tapir_addr la;
    API_OK(tapir_getsockname(l, &la));
    *c = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_STREAM, 0);
    API_OK(tapir_connect(*c, &la));
    *a = tapir_accept(l, NULL);
    cr_assert_geq(*a, 0, "%s", tapir_strerror());
    tapir_close(l);
}

struct slow_reader {
    int fd;
    size_t chunk;
    long pause_us;
    atomic_size_t total;
    int bad;
    ssize_t last;
};

static void *read_slowly(void *arg)
{
    struct slow_reader *r = arg;
    char *buf = malloc(r->chunk);
    ssize_t k;
    while ((k = tapir_recv(r->fd, buf, r->chunk, 0)) > 0) {
        size_t t = atomic_load(&r->total);
        for (ssize_t i = 0; i < k; i++)
            r->bad += buf[i] != (char)((t + (size_t)i) % 251);
        atomic_store(&r->total, t + (size_t)k);
        struct timespec ts = {0, r->pause_us * 1000};
        nanosleep(&ts, NULL);
    }
    r->last = k;
    free(buf);
    return NULL;
}

Test(api_linger, close_waits_until_the_data_is_acknowledged)
{
    int c, a;
    pair(&c, &a);
    /* Small buffers, so most of the data waits for the slow reader. */
    API_OK(tapir_setsockopt_int(c, TAPIR_SOL_SOCKET, TAPIR_SO_SNDBUF, 32768));
    API_OK(tapir_setsockopt_int(a, TAPIR_SOL_SOCKET, TAPIR_SO_RCVBUF, 32768));
    int rcvbuf;
    API_OK(tapir_getsockopt_int(a, TAPIR_SOL_SOCKET, TAPIR_SO_RCVBUF, &rcvbuf));
    size_t n = 1u << 20;
    char *big = malloc(n);
    for (size_t i = 0; i < n; i++)
        big[i] = (char)(i % 251);
    struct slow_reader r = {.fd = a, .chunk = 8192, .pause_us = 5000};
    pthread_t t;
    pthread_create(&t, NULL, read_slowly, &r);
    API_OK(tapir_sendall(c, big, n, 0));
    size_t at_sendall = atomic_load(&r.total);
    struct linger_opt lg = {1, 20};
    API_OK(tapir_setsockopt(c, TAPIR_SOL_SOCKET, TAPIR_SO_LINGER, &lg, sizeof lg));
    double t0 = api_now();
    cr_assert_eq(tapir_close(c), 0);
    double dt = api_now() - t0;
    size_t at_close = atomic_load(&r.total);
    /* The FIN is acknowledged once every byte is in a's receive buffer: the
     * reader must have taken all but at most that buffer's worth. */
    cr_assert_geq(at_close + (size_t)rcvbuf, n,
                  "close returned with %zu of %zu bytes read (rcvbuf %d; %zu when sendall returned)", at_close,
                  n, rcvbuf, at_sendall);
    cr_assert_lt(dt, 10.0, "the acknowledgment ended the wait, not the linger time (%.3f s)", dt);
    pthread_join(t, NULL);
    cr_assert_eq(atomic_load(&r.total), n);
    cr_assert_eq(r.bad, 0);
    cr_assert_eq(r.last, 0, "EOF after the data");
    free(big);
    tapir_close(a);
}

Test(api_linger, close_returns_after_the_linger_time_and_the_connection_goes_on)
{
    int c, a;
    pair(&c, &a);
    /* Nobody reads a: fill every buffer, so the FIN cannot even be sent. */
    API_OK(tapir_setblocking(c, false));
    static char chunk[65536];
    for (size_t i = 0; i < sizeof chunk; i++)
        chunk[i] = (char)(i % 251);
    size_t queued = 0;
    ssize_t k;
    for (int i = 0; i < 100000; i++) {
        /* keep the byte pattern continuous: send from the right offset */
        size_t off = queued % 251;
        k = tapir_send(c, chunk + off, sizeof chunk - 251, 0);
        if (k <= 0)
            break;
        queued += (size_t)k;
    }
    cr_assert_eq(tapir_errno(), EAGAIN);
    cr_assert_gt(queued, 0);
    struct linger_opt lg = {1, 1};
    API_OK(tapir_setsockopt(c, TAPIR_SOL_SOCKET, TAPIR_SO_LINGER, &lg, sizeof lg));
    double t0 = api_now();
    cr_assert_eq(tapir_close(c), 0, "close returns 0 when the linger time passes (Linux)");
    double dt = api_now() - t0;
    cr_assert(dt >= 1.0 && dt < 1.5, "waited the linger time, even in non-blocking mode: %.3f s", dt);
    /* the data and the FIN still arrive: the close went on in the background */
    struct slow_reader r = {.fd = a, .chunk = 65536, .pause_us = 0};
    API_OK(tapir_settimeout(a, 10));
    read_slowly(&r);
    cr_assert_eq(r.last, 0, "EOF: %s", tapir_strerror());
    cr_assert_eq(atomic_load(&r.total), queued);
    cr_assert_eq(r.bad, 0);
    tapir_close(a);
}

Test(api_linger, unread_data_resets_without_waiting)
{
    int c, a;
    pair(&c, &a);
    API_OK(tapir_sendall(a, "unread", 6, 0));
    char b;
    API_OK(tapir_settimeout(c, 2));
    cr_assert_eq(tapir_recv(c, &b, 1, TAPIR_MSG_PEEK), 1, "the data is there");
    struct linger_opt lg = {1, 5};
    API_OK(tapir_setsockopt(c, TAPIR_SOL_SOCKET, TAPIR_SO_LINGER, &lg, sizeof lg));
    double t0 = api_now();
    tapir_close(c);
    cr_assert_lt(api_now() - t0, 0.5, "Linux resets at once: no linger wait");
    API_OK(tapir_settimeout(a, 2));
    char buf[8];
    cr_assert_eq(tapir_recv(a, buf, sizeof buf, 0), -1);
    cr_assert_str_eq(tapir_strerror(), "[Errno 104] Connection reset by peer");
    tapir_close(a);
}
