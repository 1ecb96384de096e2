/* memlink: timing, impairments roughly as configured, determinism. */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <time.h>
#include <string.h>

#include "drivers/memlink.h"
#include "stack/config.h"

static uint8_t buf[TAPIR_MAX_FRAME];

/* A minimal Ethernet-sized frame carrying a sequence number. */
static void frame(uint8_t *f, size_t len, uint32_t seq)
{
    memset(f, 0, len);
    memset(f, 0xff, 6);
    f[12] = 0x08;
    f[14] = (uint8_t)(seq >> 24);
    f[15] = (uint8_t)(seq >> 16);
    f[16] = (uint8_t)(seq >> 8);
    f[17] = (uint8_t)seq;
}
static uint32_t seq_of(const uint8_t *f)
{
    return (uint32_t)f[14] << 24 | (uint32_t)f[15] << 16 | (uint32_t)f[16] << 8 | f[17];
}

struct delivery {
    uint64_t at;
    uint32_t seq;
};

/* Sends n frames from a to b, one every `gap` µs of virtual time, and
 * collects deliveries by stepping the clock 100 µs at a time. */
static size_t run(const struct tapir_memlink_opts *o, int n, uint64_t gap, struct delivery *out, size_t cap)
{
    struct tapir_memlink *m = tapir_memlink_create(o);
    cr_assert_not_null(m);
    struct tapir_device *a = tapir_memlink_port(m, "a"), *b = tapir_memlink_port(m, "b");
    cr_assert(a && b);
    size_t got = 0;
    uint8_t f[100];
    int sent = 0;
    for (uint64_t t = 0; t < (uint64_t)n * gap + 10000000; t += 100) {
        tapir_memlink_set_time(m, t);
        while (sent < n && (uint64_t)sent * gap <= t) {
            frame(f, sizeof f, (uint32_t)sent);
            cr_assert_eq(tapir_device_send(a, f, sizeof f, NULL), 0);
            sent++;
        }
        ssize_t k;
        while ((k = tapir_device_recv(b, buf, sizeof buf, t)) > 0) {
            cr_assert_eq(k, (ssize_t)sizeof f);
            if (got < cap)
                out[got] = (struct delivery){t, seq_of(buf)};
            got++;
        }
        if (sent == n && tapir_memlink_next_deadline(m) == UINT64_MAX)
            break;
    }
    tapir_device_close(a);
    tapir_device_close(b);
    tapir_memlink_release(m);
    return got;
}

Test(memlink, delay_and_deadline)
{
    struct tapir_memlink_opts o = {.delay_us = 5000, .virtual_time = true};
    struct tapir_memlink *m = tapir_memlink_create(&o);
    struct tapir_device *a = tapir_memlink_port(m, "a"), *b = tapir_memlink_port(m, "b");
    tapir_memlink_release(m);
    cr_assert_eq(tapir_device_fd(a), -1, "virtual time needs no fd");
    uint8_t f[60];
    frame(f, sizeof f, 7);
    tapir_memlink_set_time(m, 1000);
    cr_assert_eq(tapir_device_send(a, f, sizeof f, NULL), 0);
    cr_assert_eq(tapir_device_next_deadline(b), 6000);
    cr_assert_eq(tapir_device_next_deadline(a), UINT64_MAX, "no echo to the sender");
    cr_assert_eq(tapir_device_recv(b, buf, sizeof buf, 5999), 0);
    cr_assert_eq(tapir_device_recv(b, buf, sizeof buf, 6000), 60);
    cr_assert_eq(seq_of(buf), 7);
    cr_assert_eq(tapir_device_recv(b, buf, sizeof buf, 7000), 0);
    cr_assert_eq(tapir_device_recv(a, buf, sizeof buf, 7000), 0);
    tapir_device_close(a);
    tapir_device_close(b);
}

Test(memlink, perfect_wire_keeps_order)
{
    struct tapir_memlink_opts o = {.seed = 1, .delay_us = 300, .virtual_time = true};
    static struct delivery d[2000];
    size_t n = run(&o, 2000, 50, d, 2000);
    cr_assert_eq(n, 2000);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(d[i].seq, i);
}

Test(memlink, same_seed_same_deliveries)
{
    struct tapir_memlink_opts o = {.seed = 42, .delay_us = 2000, .jitter_us = 1500, .loss = 0.1,
                                   .duplicate = 0.05, .reorder = 0.05, .virtual_time = true};
    static struct delivery d1[3000], d2[3000], d3[3000];
    size_t n1 = run(&o, 2000, 100, d1, 3000);
    size_t n2 = run(&o, 2000, 100, d2, 3000);
    cr_assert_eq(n1, n2);
    cr_assert_eq(memcmp(d1, d2, n1 * sizeof d1[0]), 0, "same seed, different deliveries");
    o.seed = 43;
    size_t n3 = run(&o, 2000, 100, d3, 3000);
    cr_assert(n3 != n1 || memcmp(d1, d3, n1 * sizeof d1[0]) != 0, "another seed should differ");
}

Test(memlink, loss_rate_as_configured)
{
    struct tapir_memlink_opts o = {.seed = 7, .loss = 0.2, .virtual_time = true};
    static struct delivery d[10000];
    size_t n = run(&o, 10000, 10, d, 10000);
    cr_assert(n > 7700 && n < 8300, "20%% loss delivered %zu of 10000", n);
}

Test(memlink, duplication_as_configured)
{
    struct tapir_memlink_opts o = {.seed = 9, .duplicate = 0.1, .virtual_time = true};
    static struct delivery d[12000];
    size_t n = run(&o, 10000, 10, d, 12000);
    cr_assert(n > 10800 && n < 11200, "10%% duplication delivered %zu for 10000", n);
}

Test(memlink, reordering_as_configured)
{
    struct tapir_memlink_opts o = {.seed = 11, .delay_us = 1000, .reorder = 0.1, .reorder_us = 5000,
                                   .virtual_time = true};
    static struct delivery d[5000];
    size_t n = run(&o, 5000, 100, d, 5000);
    cr_assert_eq(n, 5000, "reordering loses nothing");
    /* A held-back frame arrives after ones sent later: count frames that
     * arrive after a higher sequence number has been seen. */
    uint32_t max = 0;
    int late = 0;
    for (size_t i = 0; i < n; i++) {
        if (i && d[i].seq < max)
            late++;
        if (d[i].seq > max)
            max = d[i].seq;
    }
    cr_assert(late > 400 && late < 600, "10%% reordering made %d late frames", late);
}

Test(memlink, rate_limit_paces_and_bounds_queue)
{
    /* 1,000,000 B/s: a 1000-byte frame takes 1 ms on the wire. */
    struct tapir_memlink_opts o = {.rate = 1000000, .queue_bytes = 20000, .virtual_time = true};
    struct tapir_memlink *m = tapir_memlink_create(&o);
    struct tapir_device *a = tapir_memlink_port(m, "a"), *b = tapir_memlink_port(m, "b");
    tapir_memlink_release(m);
    static uint8_t f[1000];
    frame(f, sizeof f, 0);
    for (int i = 0; i < 100; i++)
        tapir_device_send(a, f, sizeof f, NULL);
    struct tapir_memlink_stats s;
    tapir_memlink_stats(m, &s);
    cr_assert_eq(s.queue_drops, 80, "20 KB queue holds 20 frames of 1000 bytes, got %llu drops",
                 (unsigned long long)s.queue_drops);
    int got = 0;
    uint64_t last = 0;
    for (uint64_t t = 0; t <= 30000; t += 100)
        while (tapir_device_recv(b, buf, sizeof buf, t) > 0) {
            got++;
            last = t;
        }
    cr_assert_eq(got, 20);
    cr_assert(last >= 19900 && last <= 20100, "20 frames at 1 ms each end near 20 ms, got %llu",
              (unsigned long long)last);
    tapir_device_close(a);
    tapir_device_close(b);
}

Test(memlink, hub_delivers_to_every_other_port)
{
    struct tapir_memlink_opts o = {.virtual_time = true};
    struct tapir_memlink *m = tapir_memlink_create(&o);
    struct tapir_device *p[3];
    for (int i = 0; i < 3; i++)
        p[i] = tapir_memlink_port(m, "p");
    cr_assert(memcmp(p[0]->mac, p[1]->mac, 6) != 0, "ports suggest distinct MACs");
    uint8_t f[64];
    frame(f, sizeof f, 1);
    tapir_device_send(p[1], f, sizeof f, NULL);
    cr_assert_eq(tapir_device_recv(p[0], buf, sizeof buf, 0), 64);
    cr_assert_eq(tapir_device_recv(p[2], buf, sizeof buf, 0), 64);
    cr_assert_eq(tapir_device_recv(p[1], buf, sizeof buf, 0), 0);
    for (int i = 0; i < 3; i++)
        tapir_device_close(p[i]);
    tapir_memlink_release(m);
}

Test(memlink, refuses_oversize_and_runts)
{
    struct tapir_memlink_opts o = {.mtu = 1500, .virtual_time = true};
    struct tapir_memlink *m = tapir_memlink_create(&o);
    struct tapir_device *a = tapir_memlink_port(m, "a"), *b = tapir_memlink_port(m, "b");
    tapir_memlink_release(m);
    static uint8_t f[2000];
    cr_assert_eq(tapir_device_send(a, f, 1514, NULL), 0);
    cr_assert_eq(tapir_device_send(a, f, 1600, NULL), -EMSGSIZE);
    cr_assert_eq(tapir_device_send(a, f, 10, NULL), -EMSGSIZE);
    struct tapir_memlink_stats s;
    tapir_memlink_port_stats(a, &s);
    cr_assert_eq(s.sent, 3);
    cr_assert_eq(s.oversize, 2);
    tapir_device_close(b);
    tapir_device_close(a);
}

Test(memlink, inbox_cap_drops)
{
    struct tapir_memlink_opts o = {.inbox_frames = 10, .virtual_time = true};
    struct tapir_memlink *m = tapir_memlink_create(&o);
    struct tapir_device *a = tapir_memlink_port(m, "a"), *b = tapir_memlink_port(m, "b");
    tapir_memlink_release(m);
    uint8_t f[64];
    frame(f, sizeof f, 0);
    for (int i = 0; i < 15; i++)
        tapir_device_send(a, f, sizeof f, NULL);
    struct tapir_memlink_stats s;
    tapir_memlink_port_stats(b, &s);
    cr_assert_eq(s.inbox_drops, 5);
    int got = 0;
    while (tapir_device_recv(b, buf, sizeof buf, 0) > 0)
        got++;
    cr_assert_eq(got, 10);
    tapir_device_close(a);
    tapir_device_close(b);
}

Test(memlink, eventfd_signals_real_time)
{
    struct tapir_memlink *m = tapir_memlink_create(NULL);
    struct tapir_device *a = tapir_memlink_port(m, "a"), *b = tapir_memlink_port(m, "b");
    tapir_memlink_release(m);
    int fd = tapir_device_fd(b);
    cr_assert(fd >= 0);
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    cr_assert_eq(poll(&pfd, 1, 0), 0, "nothing sent yet");
    uint8_t f[64];
    frame(f, sizeof f, 3);
    tapir_device_send(a, f, sizeof f, NULL);
    cr_assert_eq(poll(&pfd, 1, 1000), 1, "a frame queued makes the fd readable");
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t now = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
    cr_assert_eq(tapir_device_recv(b, buf, sizeof buf, now), 64);
    cr_assert_eq(tapir_device_recv(b, buf, sizeof buf, now), 0);
    cr_assert_eq(poll(&pfd, 1, 0), 0, "drained: not readable any more");
    tapir_device_close(a);
    tapir_device_close(b);
}

Test(memlink, bad_options_refused)
{
    struct tapir_memlink_opts o = {.loss = 1.5};
    cr_assert_null(tapir_memlink_create(&o));
}
