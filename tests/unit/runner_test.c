/* The runner on a real-time memlink: two stacks on their own loop threads,
 * ping through raw sockets, timers firing with no traffic (the timerfd),
 * default runner bookkeeping, clean stop. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "api/error.h"
#include "api/runner.h"
#include "drivers/memlink.h"
#include "stack/checksum.h"
#include "stack/socket.h"
#include "stack/stack.h"

struct waiter {
    pthread_cond_t cv;
};

static void wake(struct sock *s, void *ctx)
{
    (void)s;
    pthread_cond_broadcast(&((struct waiter *)ctx)->cv);
}

static void pair(uint64_t delay, tapir_runner **a, tapir_runner **b)
{
    struct tapir_memlink_opts o = {.seed = 1, .delay_us = delay};
    struct tapir_memlink *m = tapir_memlink_create(&o);
    struct tapir_device *pa = tapir_memlink_port(m, "a"), *pb = tapir_memlink_port(m, "b");
    tapir_memlink_release(m);
    *a = tapir_runner_start_on(pa, "addr=198.18.0.1/24 seed=1");
    *b = tapir_runner_start_on(pb, "addr=198.18.0.2/24 seed=2");
    cr_assert(*a && *b);
}

/* One echo from r to dst; returns the RTT in µs, or 0 if none came in 2 s. */
static uint64_t echo(tapir_runner *r, struct sock *s, struct waiter *w, uint32_t dst, uint16_t seq)
{
    uint8_t m[64] = {8, 0, 0, 0, 0x42, 0x42, (uint8_t)(seq >> 8), (uint8_t)seq};
    uint16_t c = csum_finish(csum_add(0, m, sizeof m));
    m[2] = (uint8_t)(c >> 8);
    m[3] = (uint8_t)c;
    struct endpoint to = {.addr = ip4(dst)};
    tapir_runner_lock(r);
    uint64_t t0 = tapir_now_us(), until = t0 + 2000000;
    cr_assert_eq(sock_send(s, m, sizeof m, 0, &to), (ssize_t)sizeof m);
    uint64_t rtt = 0;
    for (;;) {
        uint8_t buf[256];
        ssize_t n = sock_recv(s, buf, sizeof buf, 0, NULL, NULL);
        if (n > 0) {
            const uint8_t *ic = buf + (buf[0] & 15) * 4;
            if (ic[0] == 0 && ic[4] == 0x42 && ic[6] == (uint8_t)(seq >> 8) && ic[7] == (uint8_t)seq) {
                rtt = tapir_now_us() - t0;
                break;
            }
            continue;
        }
        if (tapir_runner_wait(r, &w->cv, until) == ETIMEDOUT && tapir_now_us() >= until)
            break;
    }
    tapir_runner_unlock(r);
    return rtt ? rtt : 0;
}

Test(runner, two_runners_ping_over_memlink)
{
    tapir_runner *a, *b;
    pair(1000, &a, &b);
    cr_assert_eq(tapir_runner_default(), a, "the first runner started is the default");
    struct waiter w;
    tapir_runner_cond_init(&w.cv);
    struct sock *s;
    struct stack *st = tapir_runner_lock(a);
    cr_assert_eq(sock_create(st, TP_AF_INET, SOCK_RAW, IPPROTO_ICMP, &s), 0);
    sock_set_wake(s, wake, &w);
    tapir_runner_unlock(a);
    uint64_t rtts[20];
    for (int i = 0; i < 20; i++) {
        rtts[i] = echo(a, s, &w, IP4(198, 18, 0, 2), (uint16_t)(i + 1));
        cr_assert(rtts[i] > 0, "echo %d unanswered", i + 1);
        cr_assert(rtts[i] >= 2000, "echo %d came back in %llu us: faster than the wire", i + 1,
                  (unsigned long long)rtts[i]);
    }
    /* The loop wakes when a frame is due, not on some coarse tick (a timer
     * of the stack's, a second away): the median round trip stays near 2 ms,
     * and under 100 ms even on a machine loaded ten times over. */
    int under = 0;
    for (int i = 0; i < 20; i++)
        under += rtts[i] < 100000;
    cr_assert(under > 10, "the median round trip is over 100 ms (%d of 20 under)", under);
    struct tapir_counters c;
    tapir_runner_counters(b, &c);
    cr_assert_eq(c.icmp_tx_echo_replies, 20);
    tapir_runner_lock(a);
    sock_close(s);
    tapir_runner_unlock(a);
    pthread_cond_destroy(&w.cv);
    tapir_runner_stop(a);
    cr_assert_null(tapir_runner_default(), "stopping the default runner clears it");
    tapir_runner_stop(b);
}

Test(runner, timers_fire_without_traffic)
{
    /* Nobody has 198.18.0.99: the stack retries ARP on its timer, which only
     * the loop's timerfd can drive (no frames arrive to wake it). */
    tapir_runner *a, *b;
    pair(100, &a, &b);
    struct waiter w;
    tapir_runner_cond_init(&w.cv);
    struct sock *s;
    struct stack *st = tapir_runner_lock(a);
    cr_assert_eq(sock_create(st, TP_AF_INET, SOCK_RAW, IPPROTO_ICMP, &s), 0);
    sock_set_wake(s, wake, &w);
    tapir_runner_unlock(a);
    cr_assert_eq(echo(a, s, &w, IP4(198, 18, 0, 99), 1), 0);
    /* echo() waited 2 s; wait until the retries are surely done. */
    uint64_t until = tapir_now_us() + (uint64_t)ARP_RETRY_MS * ARP_MAX_REQUESTS * 1000 + 500000;
    tapir_runner_lock(a);
    while (tapir_now_us() < until)
        tapir_runner_wait(a, &w.cv, until);
    tapir_runner_unlock(a);
    struct tapir_counters c;
    tapir_runner_counters(a, &c);
    cr_assert_eq(c.arp_tx_requests, ARP_MAX_REQUESTS, "ARP requests sent: %llu",
                 (unsigned long long)c.arp_tx_requests);
    cr_assert(c.arp_unresolved >= 1);
    tapir_runner_lock(a);
    sock_close(s);
    tapir_runner_unlock(a);
    pthread_cond_destroy(&w.cv);
    tapir_runner_stop(b);
    tapir_runner_stop(a);
}

Test(runner, bad_config_closes_the_device)
{
    struct tapir_memlink *m = tapir_memlink_create(NULL);
    struct tapir_device *p = tapir_memlink_port(m, "a");
    tapir_memlink_release(m);
    /* The runner owns the device even on failure (ASan sees a leak otherwise). */
    cr_assert_null(tapir_runner_start_on(p, "addr=198.18.0.1/24 colour=blue"));
    cr_assert_eq(tapir_last_error()->kind, TAPIR_ERR_VALUE);
    cr_assert_not_null(strstr(tapir_last_error()->message, "unknown option 'colour'"), "%s",
                       tapir_last_error()->message);
    cr_assert_null(tapir_runner_start("addr=198.18.0.1/24"), "no device given");
    cr_assert_not_null(strstr(tapir_strerror(), "no device"), "%s", tapir_strerror());
    cr_assert_null(tapir_runner_start("tap=a pcap=b"));
    cr_assert_null(tapir_runner_start("pcap=tapirnoif0 addr=198.18.0.1/24"));
    cr_assert_eq(tapir_last_error()->kind, TAPIR_ERR_ERROR);
}

Test(runner, mac_from_config_or_device)
{
    struct tapir_memlink *m = tapir_memlink_create(NULL);
    struct tapir_device *pa = tapir_memlink_port(m, "a"), *pb = tapir_memlink_port(m, "b");
    tapir_memlink_release(m);
    uint8_t suggested[6];
    memcpy(suggested, pb->mac, 6);
    tapir_runner *a = tapir_runner_start_on(pa, "mac=02:11:22:33:44:55 hostname=alpha");
    tapir_runner *b = tapir_runner_start_on(pb, "");
    cr_assert(a && b);
    uint8_t mac[6];
    tapir_runner_mac(a, mac);
    cr_assert_eq(memcmp(mac, (uint8_t[]){2, 0x11, 0x22, 0x33, 0x44, 0x55}, 6), 0);
    tapir_runner_mac(b, mac);
    cr_assert_eq(memcmp(mac, suggested, 6), 0, "the device's suggested MAC");
    cr_assert_str_eq(tapir_runner_hostname(a), "alpha");
    cr_assert_str_eq(tapir_runner_hostname(b), "tapir");
    tapir_runner_stop(a);
    tapir_runner_stop(b);
}

Test(runner, fault_keys_drop_frames)
{
    /* A drops everything it sends: B never sees A's ARP request, so A's
     * pings go unanswered and B's counters stay at zero for ICMP. */
    struct tapir_memlink_opts o = {.seed = 1, .delay_us = 100};
    struct tapir_memlink *m = tapir_memlink_create(&o);
    struct tapir_device *pa = tapir_memlink_port(m, "a"), *pb = tapir_memlink_port(m, "b");
    tapir_memlink_release(m);
    tapir_runner *a = tapir_runner_start_on(pa, "addr=198.18.0.1/24 seed=1 drop_tx=1");
    tapir_runner *b = tapir_runner_start_on(pb, "addr=198.18.0.2/24 seed=2");
    cr_assert(a && b);
    struct waiter w;
    tapir_runner_cond_init(&w.cv);
    struct sock *s;
    struct stack *st = tapir_runner_lock(a);
    cr_assert_eq(sock_create(st, TP_AF_INET, SOCK_RAW, IPPROTO_ICMP, &s), 0);
    sock_set_wake(s, wake, &w);
    tapir_runner_unlock(a);
    cr_assert_eq(echo(a, s, &w, IP4(198, 18, 0, 2), 1), 0, "an answer through a dropping wire");
    struct tapir_counters cb;
    tapir_runner_counters(b, &cb);
    cr_assert_eq(cb.eth_rx_frames, 0, "B received %llu frames", (unsigned long long)cb.eth_rx_frames);
    tapir_runner_lock(a);
    sock_close(s);
    tapir_runner_unlock(a);
    pthread_cond_destroy(&w.cv);
    tapir_runner_stop(a);
    tapir_runner_stop(b);
}
