/* Unit tests of the stack's core pieces: addresses, checksums, packet
 * buffers, the timer wheel and the random generator. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "stack/addr.h"
#include "stack/checksum.h"
#include "stack/pkt.h"
#include "stack/rng.h"
#include "stack/timer.h"

/* ---- addresses ---- */

static void roundtrip(const char *in, const char *expect)
{
    struct ipaddr a;
    char buf[IPADDR_STRLEN];
    cr_assert_eq(ipaddr_parse(in, &a), 0, "parse %s", in);
    cr_assert_str_eq(ipaddr_str(&a, buf), expect, "format of %s", in);
}

Test(core_addr, ipv4_parse_and_format)
{
    struct ipaddr a;
    cr_assert_eq(ipaddr_parse("198.18.0.2", &a), 0);
    cr_assert_eq(a.family, TP_AF_INET);
    cr_assert_eq(a.v4, IP4(198, 18, 0, 2));
    roundtrip("0.0.0.0", "0.0.0.0");
    roundtrip("255.255.255.255", "255.255.255.255");
    const char *bad[] = {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1..2.3", "1.2.3.4 ", "a.b.c.d",
                         "1.2.3.0004", "-1.2.3.4"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(ipaddr_parse(bad[i], &a), -1, "'%s' must not parse", bad[i]);
}

Test(core_addr, ipv6_rfc5952_forms)
{
    roundtrip("fd00:198:18::2", "fd00:198:18::2");
    roundtrip("FD00:0198:0018:0:0:0:0:0002", "fd00:198:18::2");
    roundtrip("::", "::");
    roundtrip("::1", "::1");
    roundtrip("fe80::", "fe80::");
    roundtrip("1:0:0:2:0:0:0:3", "1:0:0:2::3");      /* longest run wins */
    roundtrip("1:0:0:2:0:0:3:4", "1::2:0:0:3:4");    /* first run on a tie */
    roundtrip("1:2:3:4:5:6:0:8", "1:2:3:4:5:6:0:8"); /* a single zero group stays */
    roundtrip("::ffff:198.18.0.2", "::ffff:198.18.0.2");
    struct ipaddr a;
    const char *bad[] = {":::", "1::2::3", "1:2:3:4:5:6:7:8:9", "12345::", "g::", "1:2:3:4:5:6:7",
                         ":1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8::"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(ipaddr_parse(bad[i], &a), -1, "'%s' must not parse", bad[i]);
}

Test(core_addr, mac)
{
    uint8_t m[6];
    char buf[MAC_STRLEN];
    cr_assert_eq(mac_parse("02:00:c6:12:00:02", m), 0);
    cr_assert_str_eq(mac_str(m, buf), "02:00:c6:12:00:02");
    cr_assert_eq(mac_parse("02:00:c6:12:00", m), -1);
    cr_assert_eq(mac_parse("02:00:c6:12:00:02:", m), -1);
    cr_assert_eq(mac_parse("0g:00:c6:12:00:02", m), -1);
}

/* ---- checksums ---- */

Test(core_csum, rfc1071_example)
{
    /* RFC 1071 section 3: the sum of these bytes is ddf2 (before inversion). */
    const uint8_t d[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    cr_assert_eq(csum_finish(csum_add(0, d, sizeof d)), (uint16_t)~0xddf2);
}

Test(core_csum, ipv4_header_verifies_to_zero)
{
    /* A real IPv4 header with its checksum (0xb861) in place sums to 0xffff. */
    uint8_t h[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                   0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
    cr_assert_eq(csum_finish(csum_add(0, h, sizeof h)), 0);
    h[10] = h[11] = 0;
    cr_assert_eq(csum_finish(csum_add(0, h, sizeof h)), 0xb861);
}

Test(core_csum, odd_length_and_chaining)
{
    const uint8_t d[] = {1, 2, 3, 4, 5, 6, 7};
    uint32_t whole = csum_add(0, d, 7);
    uint32_t chained = csum_add(csum_add(0, d, 4), d + 4, 3);
    cr_assert_eq(csum_finish(whole), csum_finish(chained));
}

/* The word-at-a-time definition (RFC 1071 4.1), the reference the fast
 * csum_add must agree with for every length, alignment, start sum and data
 * (all zeros, all ones and random bytes: the 0 / 0xffff edge cases). */
static uint16_t csum_reference(uint32_t sum, const uint8_t *p, size_t len)
{
    uint64_t s = sum;
    for (; len >= 2; p += 2, len -= 2)
        s += (uint32_t)(p[0] << 8 | p[1]);
    if (len)
        s += (uint32_t)p[0] << 8;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

Test(core_csum, fast_sum_matches_the_definition)
{
    static uint8_t buf[66000];
    struct rng r;
    rng_seed(&r, 11);
    for (int i = 0; i < 3000; i++) {
        size_t len = i < 30 ? sizeof buf - 8 - (size_t)i : rng_next(&r) % (i < 300 ? 9000 : 100);
        size_t off = rng_next(&r) % 8;
        int kind = (int)(rng_next(&r) % 3);
        if (kind == 2)
            rng_bytes(&r, buf, len + off);
        else
            memset(buf, kind ? 0xff : 0, len + off);
        uint32_t start = (rng_next(&r) % 3) ? (uint32_t)rng_next(&r) : 0;
        uint16_t want = csum_reference(start, buf + off, len);
        cr_assert_eq(csum_finish(csum_add(start, buf + off, len)), want, "len %zu off %zu kind %d", len, off, kind);
        size_t cut = (size_t)(rng_next(&r) % (len + 1)) & ~(size_t)1;
        cr_assert_eq(csum_finish(csum_add(csum_add(start, buf + off, cut), buf + off + cut, len - cut)), want,
                     "chained at %zu, len %zu", cut, len);
    }
}

Test(core_csum, incremental_update_matches_recompute)
{
    struct rng r;
    rng_seed(&r, 7);
    for (int i = 0; i < 1000; i++) {
        uint8_t h[20];
        rng_bytes(&r, h, sizeof h);
        h[10] = h[11] = 0;
        uint16_t c = csum_finish(csum_add(0, h, sizeof h));
        uint16_t old_word = (uint16_t)(h[8] << 8 | h[9]);
        h[8] = (uint8_t)rng_next(&r); /* change the TTL / protocol word */
        uint16_t new_word = (uint16_t)(h[8] << 8 | h[9]);
        uint16_t updated = csum_update16(c, old_word, new_word);
        uint16_t full = csum_finish(csum_add(0, h, sizeof h));
        /* 0x0000 and 0xffff are the same number in one's complement. */
        cr_assert(updated == full || (updated ^ full) == 0xffff, "iteration %d", i);
    }
}

Test(core_csum, pseudo_header_v4_and_v6)
{
    struct ipaddr s = ip4(IP4(198, 18, 0, 1)), d = ip4(IP4(198, 18, 0, 2));
    uint8_t ph[12] = {198, 18, 0, 1, 198, 18, 0, 2, 0, 6, 0, 20};
    cr_assert_eq(csum_finish(csum_pseudo(&s, &d, 6, 20)), csum_finish(csum_add(0, ph, 12)));
    struct ipaddr s6, d6;
    ipaddr_parse("fd00:198:18::1", &s6);
    ipaddr_parse("fd00:198:18::2", &d6);
    /* RFC 8200 8.1: src, dst, 32-bit length, 3 zero bytes, next header. */
    uint8_t ph6[40] = {0};
    memcpy(ph6, s6.v6, 16);
    memcpy(ph6 + 16, d6.v6, 16);
    ph6[33] = 0x01; /* length 0x00010100 exercises the upper half */
    ph6[34] = 0x01;
    ph6[39] = 58;
    cr_assert_eq(csum_finish(csum_pseudo(&s6, &d6, 58, 0x10100)), csum_finish(csum_add(0, ph6, 40)));
}

/* ---- packet buffers ---- */

Test(core_pkt, push_pull_put)
{
    struct pkt *p = pkt_alloc(100);
    cr_assert_not_null(p);
    uint8_t *tail = pkt_put(p, 100);
    cr_assert_not_null(tail);
    memset(tail, 0xab, 100);
    cr_assert_null(pkt_put(p, 1), "no room past the payload");
    uint8_t *h = pkt_push(p, 20);
    cr_assert_eq(h + 20, tail);
    cr_assert_eq(p->len, 120);
    cr_assert_not_null(pkt_push(p, PKT_HEADROOM - 20));
    cr_assert_null(pkt_push(p, 1), "headroom exhausted");
    struct pkt *c = pkt_clone(p);
    cr_assert_eq(c->len, p->len);
    cr_assert_eq(memcmp(c->data, p->data, p->len), 0);
    pkt_pull(c, PKT_HEADROOM);
    cr_assert_eq(c->len, 100);
    cr_assert_eq(c->data[0], 0xab);
    pkt_free(c);
    pkt_free(p);
}

/* ---- timer wheel ---- */

static int fired[16];
static uint64_t fired_at[16];
static uint64_t clock_now;
static struct timer timers[16];
static struct timer_wheel *wheel;

static void on_fire(struct stack *st, struct timer *t)
{
    (void)st;
    int i = (int)(t - timers);
    fired[i]++;
    fired_at[i] = clock_now;
}

static void advance_to(uint64_t t)
{
    /* Step as a runner would: to each next deadline, then to t. */
    for (;;) {
        uint64_t next = timer_wheel_next(wheel, clock_now);
        if (next > t)
            break;
        clock_now = next > clock_now ? next : clock_now;
        timer_wheel_run(wheel, NULL, clock_now);
    }
    clock_now = t;
    timer_wheel_run(wheel, NULL, clock_now);
}

static void setup_wheel(void)
{
    memset(fired, 0, sizeof fired);
    memset(fired_at, 0, sizeof fired_at);
    clock_now = 5000000;
    wheel = malloc(sizeof *wheel);
    timer_wheel_init(wheel, clock_now);
    for (int i = 0; i < 16; i++)
        timer_init(&timers[i], on_fire);
}

static void teardown_wheel(void)
{
    free(wheel);
}

Test(core_timer, fires_at_exact_deadlines_in_order, .init = setup_wheel, .fini = teardown_wheel)
{
    uint64_t t0 = clock_now;
    uint64_t delays[] = {200000, 1500, 40000, 1000000, 7 * 1000000, 513 * 1000};
    for (int i = 0; i < 6; i++)
        timer_arm(wheel, &timers[i], t0 + delays[i]);
    cr_assert_eq(timer_wheel_next(wheel, clock_now), t0 + 1500);
    advance_to(t0 + 10 * 1000000);
    for (int i = 0; i < 6; i++) {
        cr_assert_eq(fired[i], 1, "timer %d fired %d times", i, fired[i]);
        cr_assert_eq(fired_at[i], t0 + delays[i], "timer %d fired at +%llu", i,
                     (unsigned long long)(fired_at[i] - t0));
    }
    cr_assert_eq(timer_wheel_next(wheel, clock_now), UINT64_MAX);
}

Test(core_timer, cancel_and_rearm, .init = setup_wheel, .fini = teardown_wheel)
{
    uint64_t t0 = clock_now;
    timer_arm(wheel, &timers[0], t0 + 1000);
    timer_arm(wheel, &timers[1], t0 + 2000);
    timer_cancel(wheel, &timers[0]);
    timer_arm(wheel, &timers[1], t0 + 9000); /* moved later */
    cr_assert(!timer_armed(&timers[0]));
    advance_to(t0 + 5000);
    cr_assert_eq(fired[0], 0);
    cr_assert_eq(fired[1], 0);
    advance_to(t0 + 9000);
    cr_assert_eq(fired[1], 1);
    cr_assert_eq(wheel->count, 0);
}

Test(core_timer, past_deadline_fires_on_next_run, .init = setup_wheel, .fini = teardown_wheel)
{
    timer_arm(wheel, &timers[3], clock_now - 50000);
    cr_assert_leq(timer_wheel_next(wheel, clock_now), clock_now);
    timer_wheel_run(wheel, NULL, clock_now);
    cr_assert_eq(fired[3], 1);
}

/* A callback that re-arms itself and cancels another timer of its slot. */
static void rearm_and_cancel(struct stack *st, struct timer *t)
{
    on_fire(st, t);
    if (fired[0] < 3)
        timer_arm(wheel, t, clock_now);
    timer_cancel(wheel, &timers[1]);
}

Test(core_timer, callbacks_may_rearm_and_cancel, .init = setup_wheel, .fini = teardown_wheel)
{
    timers[0].fn = rearm_and_cancel;
    timer_arm(wheel, &timers[0], clock_now + 1000);
    timer_arm(wheel, &timers[1], clock_now + 1000);
    advance_to(clock_now + 1000);
    advance_to(clock_now + 1000);
    advance_to(clock_now + 1000);
    cr_assert_eq(fired[0], 3);
    cr_assert_eq(fired[1], 0, "cancelled from inside a callback");
    cr_assert_eq(wheel->count, 0);
}

Test(core_timer, long_gap_visits_each_slot_once, .init = setup_wheel, .fini = teardown_wheel)
{
    uint64_t t0 = clock_now;
    for (int i = 0; i < 16; i++)
        timer_arm(wheel, &timers[i], t0 + (uint64_t)(i + 1) * 333333);
    clock_now = t0 + 3600ull * 1000000; /* an hour later, one run */
    timer_wheel_run(wheel, NULL, clock_now);
    for (int i = 0; i < 16; i++)
        cr_assert_eq(fired[i], 1);
}

/* ---- randomness ---- */

Test(core_rng, deterministic_and_spread)
{
    struct rng a, b;
    rng_seed(&a, 42);
    rng_seed(&b, 42);
    for (int i = 0; i < 100; i++)
        cr_assert_eq(rng_next(&a), rng_next(&b));
    rng_seed(&b, 43);
    cr_assert_neq(rng_next(&a), rng_next(&b));
    unsigned buckets[10] = {0};
    for (int i = 0; i < 100000; i++)
        buckets[rng_below(&a, 10)]++;
    for (int i = 0; i < 10; i++)
        cr_assert(buckets[i] > 9500 && buckets[i] < 10500, "bucket %d: %u", i, buckets[i]);
}

Test(core_rng, siphash_reference_vectors)
{
    /* The SipHash paper's vector: key 00..0f, message 00..0e. */
    uint8_t key[16], msg[15];
    for (int i = 0; i < 16; i++)
        key[i] = (uint8_t)i;
    for (int i = 0; i < 15; i++)
        msg[i] = (uint8_t)i;
    cr_assert_eq(siphash24(key, msg, 15), 0xa129ca6149be45e5ull);
    /* The empty message: the first of the reference implementation's vectors. */
    cr_assert_eq(siphash24(key, msg, 0), 0x726fdb47dd0e0e31ull);
}
