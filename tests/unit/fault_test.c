/* The fault injector over a memlink. */
#include <criterion/criterion.h>
#include <string.h>

#include "drivers/fault.h"
#include "drivers/memlink.h"
#include "stack/config.h"

static uint8_t buf[TAPIR_MAX_FRAME];

struct pair {
    struct tapir_device *a, *b;
};

static struct pair wire(void)
{
    struct tapir_memlink_opts o = {.virtual_time = true};
    struct tapir_memlink *m = tapir_memlink_create(&o);
    struct pair p = {tapir_memlink_port(m, "a"), tapir_memlink_port(m, "b")};
    tapir_memlink_release(m);
    return p;
}

static int drain(struct tapir_device *d)
{
    int n = 0;
    while (tapir_device_recv(d, buf, sizeof buf, 0) > 0)
        n++;
    return n;
}

Test(fault, drop_all_and_none)
{
    struct pair p = wire();
    struct tapir_fault_opts o = {.seed = 1, .tx = {.drop = 1.0}};
    struct tapir_device *fa = tapir_fault_wrap(p.a, &o);
    cr_assert_not_null(fa);
    uint8_t f[64] = {0};
    for (int i = 0; i < 10; i++)
        cr_assert_eq(tapir_device_send(fa, f, sizeof f, NULL), 0);
    cr_assert_eq(drain(p.b), 0);
    cr_assert_eq(tapir_fault_set(fa, (struct tapir_fault_dir){0}, (struct tapir_fault_dir){0}), 0);
    for (int i = 0; i < 10; i++)
        tapir_device_send(fa, f, sizeof f, NULL);
    cr_assert_eq(drain(p.b), 10);
    struct tapir_fault_stats s;
    tapir_fault_stats(fa, &s);
    cr_assert_eq(s.tx_frames, 20);
    cr_assert_eq(s.tx_dropped, 10);
    tapir_device_close(fa);
    tapir_device_close(p.b);
}

Test(fault, corrupt_flips_one_bit_past_ethernet)
{
    struct pair p = wire();
    struct tapir_fault_opts o = {.seed = 2, .tx = {.corrupt = 1.0}};
    struct tapir_device *fa = tapir_fault_wrap(p.a, &o);
    uint8_t f[100];
    for (int k = 0; k < 50; k++) {
        for (size_t i = 0; i < sizeof f; i++)
            f[i] = (uint8_t)(i * 7 + k);
        tapir_device_send(fa, f, sizeof f, NULL);
        cr_assert_eq(tapir_device_recv(p.b, buf, sizeof buf, 0), 100);
        int bits = 0;
        for (size_t i = 0; i < sizeof f; i++) {
            bits += __builtin_popcount(f[i] ^ buf[i]);
            if (i < 14)
                cr_assert_eq(f[i], buf[i], "Ethernet header must stay intact");
        }
        cr_assert_eq(bits, 1);
    }
    tapir_device_close(fa);
    tapir_device_close(p.b);
}

Test(fault, duplicate_both_directions)
{
    struct pair p = wire();
    struct tapir_fault_opts o = {.seed = 3, .tx = {.duplicate = 1.0}, .rx = {.duplicate = 1.0}};
    struct tapir_device *fa = tapir_fault_wrap(p.a, &o);
    uint8_t f[64] = {1, 2, 3};
    tapir_device_send(fa, f, sizeof f, NULL);
    cr_assert_eq(drain(p.b), 2, "a duplicated send arrives twice");
    tapir_device_send(p.b, f, sizeof f, NULL);
    cr_assert_eq(drain(fa), 2, "a duplicated receive is handed out twice");
    tapir_device_close(fa);
    tapir_device_close(p.b);
}

Test(fault, rx_drop_rate_and_determinism)
{
    int counts[2];
    for (int run = 0; run < 2; run++) {
        struct pair p = wire();
        struct tapir_fault_opts o = {.seed = 99, .rx = {.drop = 0.3}};
        struct tapir_device *fb = tapir_fault_wrap(p.b, &o);
        uint8_t f[64] = {0};
        int got = 0;
        for (int i = 0; i < 4000; i++) {
            tapir_device_send(p.a, f, sizeof f, NULL);
            got += drain(fb);
        }
        counts[run] = got;
        cr_assert(got > 2600 && got < 3000, "30%% drop passed %d of 4000", got);
        tapir_device_close(fb);
        tapir_device_close(p.a);
    }
    cr_assert_eq(counts[0], counts[1], "same seed, same drops");
}

Test(fault, bad_probability_refused)
{
    struct pair p = wire();
    struct tapir_fault_opts o = {.tx = {.drop = -0.1}};
    cr_assert_null(tapir_fault_wrap(p.a, &o));
    tapir_device_close(p.a);
    tapir_device_close(p.b);
}
