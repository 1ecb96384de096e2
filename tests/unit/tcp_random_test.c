/* What an off-path attacker must not be able to guess: initial sequence
 * numbers (RFC 6528) and ephemeral ports (RFC 6056), tested statistically
 * (RFCS.md: "ISNs unpredictable off-path", "test distribution and
 * non-sequential reuse").  The thresholds are wide enough that a correct
 * generator fails them with negligible probability, and tight enough that a
 * counter, a per-host constant or a poor hash fails them at once. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "stack/stack.h"
#include "stack/tcp/tcp.h"

static struct ipaddr v4(uint32_t a) { return (struct ipaddr){.family = TP_AF_INET, .v4 = a}; }

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Pearson's chi-square of counts against a uniform expectation. */
static double chi_square(const unsigned *bins, int n, unsigned total)
{
    double e = (double)total / n, x = 0;
    for (int i = 0; i < n; i++)
        x += (bins[i] - e) * (bins[i] - e) / e;
    return x;
}
/* 99.99th percentile of chi-square with 15 degrees of freedom is 44.3. */
#define CHI2_15_LIMIT 44.3

Test(tcp_random, isn_is_clock_plus_keyed_hash)
{
    struct stack *st = stack_create(11, 1000000);
    struct ipaddr l = v4(0xc6120002), f = v4(0xc6120001);
    uint32_t a = tcp_new_isn(st, &l, 40000, &f, 80);
    cr_assert_eq(tcp_new_isn(st, &l, 40000, &f, 80), a, "same tuple, same instant: same ISN");
    st->now += 4000;   /* the M component ticks every 4 µs (RFC 6528 3) */
    cr_assert_eq(tcp_new_isn(st, &l, 40000, &f, 80) - a, 1000u);
    struct stack *other = stack_create(12, 1000000 + 4000);
    cr_assert_neq(tcp_new_isn(other, &l, 40000, &f, 80), a + 1000u, "another secret, another F");
    stack_destroy(other);
    stack_destroy(st);
}

Test(tcp_random, isns_of_neighbouring_tuples_look_random)
{
    /* 20000 connections that differ only in the local port, at one instant:
     * an attacker who sees one ISN learns nothing of the next. */
    struct stack *st = stack_create(13, 5000000);
    struct ipaddr l = v4(0xc6120002), f = v4(0xc6120001);
    enum { N = 20000 };
    uint32_t *isn = malloc(N * sizeof *isn);
    unsigned bit_ones[32] = {0}, top[16] = {0}, step_top[16] = {0};
    for (int i = 0; i < N; i++) {
        isn[i] = tcp_new_isn(st, &l, (uint16_t)(10000 + i), &f, 443);
        for (int b = 0; b < 32; b++)
            bit_ones[b] += (isn[i] >> b) & 1;
        top[isn[i] >> 28]++;
        if (i)
            step_top[(isn[i] - isn[i - 1]) >> 28]++;
    }
    for (int b = 0; b < 32; b++)
        cr_assert(bit_ones[b] > N / 2 - 600 && bit_ones[b] < N / 2 + 600, "bit %d set in %u of %d ISNs", b,
                  bit_ones[b], N);
    cr_assert_lt(chi_square(top, 16, N), CHI2_15_LIMIT, "ISNs are not spread over the space");
    cr_assert_lt(chi_square(step_top, 16, N - 1), CHI2_15_LIMIT, "differences between ISNs are not spread");
    /* 20000 draws from 2^32: a repeat has probability ~5%; two are a bug. */
    qsort(isn, N, sizeof *isn, cmp_u32);
    int repeats = 0;
    for (int i = 1; i < N; i++)
        repeats += isn[i] == isn[i - 1];
    cr_assert_leq(repeats, 1, "%d repeated ISNs", repeats);
    free(isn);
    stack_destroy(st);
}

/* An active socket bound to nothing yet, to ask tcp_pick_port. */
static struct tcpcb *client(struct stack *st)
{
    struct sock *s;
    cr_assert_eq(sock_create(st, TP_AF_INET, 1 /* SOCK_STREAM */, 0, &s), 0);
    return tcp_from_sock(s);
}

Test(tcp_random, ephemeral_ports_spread_over_the_range)
{
    /* The first port towards each of 4000 destinations: all in Linux's
     * range, spread evenly over it. */
    struct stack *st = stack_create(14, 1000000);
    struct tcpcb *tp = client(st);
    struct ipaddr l = v4(0xc6120002);
    unsigned bins[16] = {0};
    const unsigned lo = TCP_EPHEMERAL_LO, hi = TCP_EPHEMERAL_HI, n = 4000;
    for (unsigned i = 0; i < n; i++) {
        struct ipaddr f = v4(0xc6130000 + i);
        uint16_t p = tcp_pick_port(tp, &l, &f, 80);
        cr_assert(p >= lo && p <= hi, "port %u outside %u-%u", p, lo, hi);
        bins[(p - lo) * 16 / (hi - lo + 1)]++;
    }
    cr_assert_lt(chi_square(bins, 16, n), CHI2_15_LIMIT, "ports cluster in part of the range");
    sock_close(&tp->sk);
    stack_destroy(st);
}

Test(tcp_random, successive_ports_to_one_destination_are_not_sequential)
{
    /* RFC 6056 2.1 / Algorithm 5: the next port to the same destination is
     * not the last plus one, and one stack's choices do not predict
     * another's. */
    struct stack *a = stack_create(15, 1000000), *b = stack_create(16, 1000000);
    struct tcpcb *ta = client(a), *tb = client(b);
    struct ipaddr l = v4(0xc6120002), f = v4(0xc6120001);
    enum { N = 2000 };
    int plus_one = 0, same_as_other = 0;
    uint16_t prev = 0;
    for (int i = 0; i < N; i++) {
        uint16_t p = tcp_pick_port(ta, &l, &f, 80);
        uint16_t q = tcp_pick_port(tb, &l, &f, 80);
        cr_assert_neq(p, 0);
        plus_one += i && p == (uint16_t)(prev + 1);
        same_as_other += p == q;
        prev = p;
    }
    cr_assert_lt(plus_one, N / 4, "%d of %d ports were the previous one plus one", plus_one, N);
    cr_assert_lt(same_as_other, N / 100, "two stacks chose the same port %d times of %d", same_as_other, N);
    sock_close(&ta->sk);
    sock_close(&tb->sk);
    stack_destroy(a);
    stack_destroy(b);
}

Test(tcp_random, ports_to_one_destination_do_not_reveal_others)
{
    /* Algorithm 3's single counter lets a peer count the connections a host
     * makes elsewhere (the ports it sees jump by that many).  With Algorithm
     * 4's table, connections to other destinations (other table slots, most
     * of the time) leave the gap between two ports to the observer the same
     * in distribution: check that 500 connections elsewhere do not push the
     * observer's next port 500 further, as a shared counter would. */
    struct stack *st = stack_create(17, 1000000);
    struct tcpcb *tp = client(st);
    struct ipaddr l = v4(0xc6120002), observer = v4(0xc6120001);
    int shifted = 0;
    for (int round = 0; round < 50; round++) {
        uint16_t p1 = tcp_pick_port(tp, &l, &observer, 80);
        for (uint32_t i = 0; i < 500; i++) {
            struct ipaddr f = v4(0xc6130000 + (uint32_t)round * 500 + i);
            tcp_pick_port(tp, &l, &f, 80);
        }
        uint16_t p2 = tcp_pick_port(tp, &l, &observer, 80);
        unsigned gap = (uint16_t)(p2 - p1);
        shifted += gap >= 500;
    }
    cr_assert_lt(shifted, 25, "the observer's ports moved with the traffic to others in %d of 50 rounds", shifted);
    sock_close(&tp->sk);
    stack_destroy(st);
}
