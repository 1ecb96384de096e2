/* Helpers for the api_* tests: runners on an in-process wire. */
#ifndef TAPIR_TESTS_API_HELPERS_H
#define TAPIR_TESTS_API_HELPERS_H

#include <criterion/criterion.h>
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

#define API_OK(call) cr_assert((call) >= 0, "%s: %s", #call, tapir_strerror())

#endif
