/* The socket API's concurrency checks as a plain program, so they run under
 * ThreadSanitizer (`make tsan`): Criterion's runner does not start under
 * TSan (Criterion issue #274), so these do not live in tests/unit.
 *
 *   api-threads [SECONDS]
 *
 * On one runner (the stack's loopback, 127.0.0.1):
 *   1. 64 threads, each with its own echo connection (served by 64 more
 *      threads), for SECONDS: no deadlock, no data mixed between them;
 *   2. one thread sending while another receives on the same socket, both
 *      directions at once;
 *   3. threads blocked in select / epoll / recv woken by data and by close.
 * Ends with "api-threads: N passed, N failed"; exit 1 if any failed. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api/tapir.h"
#include "drivers/memlink.h"

static int passed, failed;
static double run_for = 2.0;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "  check failed at line %d: %s: ", __LINE__, #cond);                  \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fprintf(stderr, " (%s)\n", tapir_strerror());                                          \
            return false;                                                                          \
        }                                                                                          \
    } while (0)

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int listener(tapir_addr *where)
{
    int l = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_STREAM, 0);
    if (l < 0 || tapir_bind(l, TAPIR_ADDR("127.0.0.1", 0)) < 0 || tapir_listen(l, 128) < 0 ||
        tapir_getsockname(l, where) < 0)
        return -1;
    return l;
}

/* ---- 1. 64 echo connections ---- */

enum { N = 64 };

struct client {
    int id;
    tapir_addr server;
    long rounds;
    int errors;
};

static void *server_conn(void *arg)
{
    int a = (int)(intptr_t)arg;
    char buf[4096];
    ssize_t k;
    while ((k = tapir_recv(a, buf, sizeof buf, 0)) > 0)
        if (tapir_sendall(a, buf, (size_t)k, 0) < 0)
            break;
    tapir_close(a);
    return NULL;
}

static void *client(void *arg)
{
    struct client *c = arg;
    int s = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_STREAM, 0);
    if (s < 0 || tapir_settimeout(s, 20) < 0 || tapir_connect(s, &c->server) < 0) {
        c->errors++;
        if (s >= 0)
            tapir_close(s);
        return NULL;
    }
    double end = now() + run_for;
    char msg[512], back[512];
    while (now() < end) {
        size_t len = 1 + (size_t)(c->rounds % 500);
        for (size_t i = 0; i < len; i++)
            msg[i] = (char)(c->id * 31 + (int)i + (int)c->rounds);
        if (tapir_sendall(s, msg, len, 0) < 0 || tapir_recv(s, back, len, TAPIR_MSG_WAITALL) != (ssize_t)len) {
            c->errors++;
            break;
        }
        if (memcmp(msg, back, len) != 0)
            c->errors++;
        c->rounds++;
    }
    tapir_close(s);
    return NULL;
}

struct acceptor {
    int l;
    pthread_t th[N];
    int n;
};

static void *accept_loop(void *arg)
{
    struct acceptor *ac = arg;
    while (ac->n < N) {
        int a = tapir_accept(ac->l, NULL);
        if (a < 0)
            break;
        pthread_create(&ac->th[ac->n++], NULL, server_conn, (void *)(intptr_t)a);
    }
    return NULL;
}

static bool test_64_echo(void)
{
    tapir_addr la;
    int l = listener(&la);
    CHECK(l >= 0, "listener");
    struct acceptor ac = {.l = l};
    pthread_t at;
    pthread_create(&at, NULL, accept_loop, &ac);
    static struct client c[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        c[i] = (struct client){.id = i, .server = la};
        pthread_create(&th[i], NULL, client, &c[i]);
    }
    long rounds = 0;
    int errors = 0, idle = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        errors += c[i].errors;
        idle += c[i].rounds == 0;
        rounds += c[i].rounds;
    }
    pthread_join(at, NULL);
    for (int i = 0; i < ac.n; i++)
        pthread_join(ac.th[i], NULL);
    tapir_close(l);
    printf("  64 threads: %ld echo round trips in %.1f s\n", rounds, run_for);
    CHECK(errors == 0, "%d errors", errors);
    CHECK(idle == 0, "%d threads made no progress", idle);
    return true;
}

/* ---- 2. one sender and one receiver on each end ---- */

struct dir {
    int fd;
    size_t n, got;
    int bad, ok;
};

static void *sender(void *arg)
{
    struct dir *d = arg;
    char *b = malloc(d->n);
    for (size_t i = 0; i < d->n; i++)
        b[i] = (char)(i % 251);
    d->ok = tapir_sendall(d->fd, b, d->n, 0) == 0;
    free(b);
    return NULL;
}

static void *receiver(void *arg)
{
    struct dir *d = arg;
    char *b = malloc(65536);
    ssize_t k;
    while ((k = tapir_recv(d->fd, b, 65536, 0)) > 0) {
        for (ssize_t i = 0; i < k; i++)
            d->bad += b[i] != (char)((d->got + (size_t)i) % 251);
        d->got += (size_t)k;
    }
    free(b);
    return NULL;
}

static bool test_duplex(void)
{
    int sv[2];
    CHECK(tapir_socketpair(TAPIR_DEFAULT, TAPIR_DEFAULT, TAPIR_DEFAULT, sv) == 0, "socketpair");
    struct dir s0 = {.fd = sv[0], .n = 8u << 20}, s1 = {.fd = sv[1], .n = 8u << 20};
    struct dir r0 = {.fd = sv[0]}, r1 = {.fd = sv[1]};
    pthread_t t[4];
    pthread_create(&t[0], NULL, sender, &s0);
    pthread_create(&t[1], NULL, sender, &s1);
    pthread_create(&t[2], NULL, receiver, &r0);
    pthread_create(&t[3], NULL, receiver, &r1);
    pthread_join(t[0], NULL);
    pthread_join(t[1], NULL);
    tapir_shutdown(sv[0], TAPIR_SHUT_WR);
    tapir_shutdown(sv[1], TAPIR_SHUT_WR);
    pthread_join(t[2], NULL);
    pthread_join(t[3], NULL);
    tapir_close(sv[0]);
    tapir_close(sv[1]);
    CHECK(s0.ok && s1.ok, "sendall");
    CHECK(r0.got == s1.n && r1.got == s0.n, "got %zu and %zu", r0.got, r1.got);
    CHECK(r0.bad + r1.bad == 0, "%d bytes wrong", r0.bad + r1.bad);
    return true;
}

/* ---- 3. waiters woken by data and by close ---- */

struct waiter_arg {
    int fd;
    int result;
    tapir_epoll *ep;
};

static void *select_waiter(void *arg)
{
    struct waiter_arg *w = arg;
    int r[1] = {w->fd}, nr = 1;
    w->result = tapir_select(r, &nr, NULL, NULL, NULL, NULL, 10.0);
    return NULL;
}

static void *epoll_waiter(void *arg)
{
    struct waiter_arg *w = arg;
    struct tapir_epoll_event ev[4];
    w->result = tapir_epoll_poll(w->ep, ev, 4, 10.0);
    return NULL;
}

static void *recv_waiter(void *arg)
{
    struct waiter_arg *w = arg;
    char b[8];
    w->result = (int)tapir_recv(w->fd, b, sizeof b, 0);
    if (w->result < 0)
        w->result = -tapir_errno();
    return NULL;
}

static bool test_wakeups(void)
{
    int u = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_DGRAM, 0), v = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_DGRAM, 0);
    tapir_addr ua;
    CHECK(u >= 0 && v >= 0 && tapir_bind(u, TAPIR_ADDR("127.0.0.1", 0)) == 0 && tapir_getsockname(u, &ua) == 0,
          "udp");
    tapir_epoll *ep = tapir_epoll_create();
    CHECK(ep && tapir_epoll_register(ep, u, TAPIR_EPOLLIN) == 0, "epoll");
    struct waiter_arg ws = {.fd = u}, we = {.fd = u, .ep = ep};
    pthread_t t1, t2;
    pthread_create(&t1, NULL, select_waiter, &ws);
    pthread_create(&t2, NULL, epoll_waiter, &we);
    usleep(50000);
    CHECK(tapir_sendto(v, "x", 1, 0, &ua) == 1, "sendto");
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    CHECK(ws.result == 1 && we.result == 1, "select %d, epoll %d", ws.result, we.result);
    tapir_epoll_close(ep);
    /* a recv blocked on a socket another thread closes returns EBADF */
    int w = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_DGRAM, 0);
    tapir_bind(w, TAPIR_ADDR("127.0.0.1", 0));
    struct waiter_arg wr = {.fd = w};
    pthread_create(&t1, NULL, recv_waiter, &wr);
    usleep(50000);
    tapir_close(w);
    pthread_join(t1, NULL);
    CHECK(wr.result == -EBADF, "recv after close: %d", wr.result);
    tapir_close(u);
    tapir_close(v);
    return true;
}

static void run(const char *name, bool (*fn)(void))
{
    printf("%s\n", name);
    fflush(stdout);
    if (fn()) {
        passed++;
        printf("  ok\n");
    } else {
        failed++;
        printf("  FAILED\n");
    }
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        run_for = atof(argv[1]);
    struct tapir_memlink *m = tapir_memlink_create(NULL);
    struct tapir_device *d = m ? tapir_memlink_port(m, "a") : NULL;
    tapir_memlink_release(m);
    tapir_runner *r = d ? tapir_runner_start_on(d, "addr=198.18.0.2/24 seed=1") : NULL;
    if (!r) {
        tapir_perror("api-threads: runner");
        return 1;
    }
    int probe = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_STREAM, 0);
    if (probe < 0) {
        printf("SKIP: no TCP engine in this build (%s)\napi-threads: 0 passed, 0 failed\n", tapir_strerror());
        tapir_runner_stop(r);
        return 0;
    }
    tapir_close(probe);
    run("64 threads, each its own echo connection", test_64_echo);
    run("one sender and one receiver per socket, both ends", test_duplex);
    run("select / epoll / recv waiters woken by data and close", test_wakeups);
    tapir_runner_stop(r);
    printf("api-threads: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
