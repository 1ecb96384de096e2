/* Helpers for the api_* tests: runners on an in-process wire. */
#ifndef TAPIR_TESTS_API_HELPERS_H
#define TAPIR_TESTS_API_HELPERS_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <time.h>

#include "api/tapir.h"
#include "drivers/memlink.h"

/* One runner (198.18.0.2/24 on a memlink port nobody else listens on,
 * plus the stack's own loopback 127.0.0.1); or two on one wire (.2 and .3). */
static tapir_runner *api_r1, *api_r2;

static inline void api_one_runner(void)
{
    struct tapir_memlink *m = tapir_memlink_create(NULL);
    cr_assert_not_null(m);
    struct tapir_device *d = tapir_memlink_port(m, "a");
    tapir_memlink_release(m);
    api_r1 = tapir_runner_start_on(d, "addr=198.18.0.2/24 seed=1");
    cr_assert_not_null(api_r1, "runner: %s", tapir_strerror());
}

static inline void api_two_runners(void)
{
    struct tapir_memlink *m = tapir_memlink_create(NULL);
    cr_assert_not_null(m);
    struct tapir_device *a = tapir_memlink_port(m, "a"), *b = tapir_memlink_port(m, "b");
    tapir_memlink_release(m);
    api_r1 = tapir_runner_start_on(a, "addr=198.18.0.2/24 seed=1");
    cr_assert_not_null(api_r1, "runner: %s", tapir_strerror());
    api_r2 = tapir_runner_start_on(b, "addr=198.18.0.3/24 seed=2");
    cr_assert_not_null(api_r2, "runner: %s", tapir_strerror());
}

static inline void api_stop(void)
{
    if (api_r2)
        tapir_runner_stop(api_r2);
    if (api_r1)
        tapir_runner_stop(api_r1);
    api_r1 = api_r2 = NULL;
}

static inline double api_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Timing on a shared two-core machine: a wake-up can be late because the
 * scheduler ran something else, never early.  The timed statements run up to
 * three times and must land in [low, high) once; too early fails at once.
 * A systematic error (a timeout that fires late, a call that blocks) fails
 * all three. */
#define API_TIMED(low, high, ...)                                                                  \
    do {                                                                                           \
        double dt_ = 0;                                                                            \
        for (int try_ = 0; try_ < 3; try_++) {                                                     \
            double t0_ = api_now();                                                                \
            __VA_ARGS__;                                                                           \
            dt_ = api_now() - t0_;                                                                 \
            cr_assert_geq(dt_, (low), "too early: %.3f s < %.3f s", dt_, (double)(low));          \
            if (dt_ < (high))                                                                      \
                break;                                                                             \
            /* Not cr_log_warn: any warning makes Criterion exit 1 with every  \
             * test passed, which failed `make test` on a loaded machine. */      \
            fprintf(stderr, "[note] %s:%d: %.3f s, wanted [%.3f, %.3f): try %d of 3\n", __FILE__, \
                    __LINE__, dt_, (double)(low), (double)(high), try_ + 1);                       \
        }                                                                                          \
        cr_assert_lt(dt_, (high), "%.3f s in the last of 3 tries, wanted [%.3f, %.3f)", dt_,      \
                     (double)(low), (double)(high));                                               \
    } while (0)

#define API_OK(call) cr_assert((call) >= 0, "%s: %s", #call, tapir_strerror())

/* A TCP listener on 127.0.0.1 (a port the stack picks) and its address. */
static inline int api_tcp_listener(tapir_addr *where)
{
    int l = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_STREAM, 0);
    cr_assert_geq(l, 0, "%s", tapir_strerror());
    API_OK(tapir_bind(l, TAPIR_ADDR("127.0.0.1", 0)));
    API_OK(tapir_listen(l, TAPIR_BACKLOG_DEFAULT));
    API_OK(tapir_getsockname(l, where));
    return l;
}

/* A connected TCP pair over loopback: *c the connecting side, *a the
 * accepted one. */
static inline void api_tcp_pair(int *c, int *a)
{
    tapir_addr la;
    int l = api_tcp_listener(&la);
    *c = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_STREAM, 0);
    API_OK(tapir_connect(*c, &la));
    *a = tapir_accept(l, NULL);
    cr_assert_geq(*a, 0, "%s", tapir_strerror());
    tapir_close(l);
}

#endif
