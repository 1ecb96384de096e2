/* TCP pacing's rate (stack/tcp/tcp_pacing.c, Linux's tcp_update_pacing_rate):
 * ratio% * max(cwnd, in flight) / srtt, the slow-start ratio while cwnd is
 * below half of ssthresh, capped by SO_MAX_PACING_RATE. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "stack/sysctl.h"
#include "stack/tcp/tcp.h"

#define NOCAP UINT64_MAX

Test(tcp_pacing, slow_start_rate_is_twice_cwnd_per_srtt)
{
    /* 10 segments of 1460 bytes per 100 ms is 146000 B/s; slow start paces
     * at 200 % of it. */
    cr_assert_eq(tcp_pacing_rate_calc(1460, 14600, 0, UINT32_MAX, 100000, 200, 120, NOCAP), 292000);
}

Test(tcp_pacing, congestion_avoidance_rate_is_120_percent)
{
    /* cwnd 20000 >= ssthresh/2 (30000/2): the CA ratio. */
    cr_assert_eq(tcp_pacing_rate_calc(1000, 20000, 0, 30000, 100000, 200, 120, NOCAP), 240000);
    /* Just below half of ssthresh: still slow start. */
    cr_assert_eq(tcp_pacing_rate_calc(1000, 14999, 0, 30000, 100000, 200, 120, NOCAP), 299980);
}

Test(tcp_pacing, in_flight_above_cwnd_counts)
{
    /* After a cwnd reduction more than cwnd may be in flight: the rate
     * follows what is out (Linux: max(cwnd, packets_out)). */
    cr_assert_eq(tcp_pacing_rate_calc(1000, 10000, 25000, 20000, 50000, 200, 120, NOCAP), 600000);
}

Test(tcp_pacing, no_rtt_sample_is_unpaced)
{
    cr_assert_eq(tcp_pacing_rate_calc(1460, 14600, 0, UINT32_MAX, 0, 200, 120, NOCAP), UINT64_MAX);
    /* ... unless SO_MAX_PACING_RATE caps it. */
    cr_assert_eq(tcp_pacing_rate_calc(1460, 14600, 0, UINT32_MAX, 0, 200, 120, 50000), 50000);
}

Test(tcp_pacing, max_pacing_rate_caps)
{
    cr_assert_eq(tcp_pacing_rate_calc(1460, 14600, 0, UINT32_MAX, 100000, 200, 120, 100000), 100000);
    /* A cap above the computed rate changes nothing. */
    cr_assert_eq(tcp_pacing_rate_calc(1460, 14600, 0, UINT32_MAX, 100000, 200, 120, 1000000), 292000);
}

Test(tcp_pacing, sysctl_ratios_apply)
{
    /* tcp_pacing_ss_ratio=100: pace at exactly cwnd/srtt. */
    cr_assert_eq(tcp_pacing_rate_calc(1000, 10000, 0, UINT32_MAX, 10000, 100, 120, NOCAP), 1000000);
    cr_assert_eq(tcp_pacing_rate_calc(1000, 10000, 0, 10000, 10000, 100, 150, NOCAP), 1500000);
}

/* net.core.default_qdisc=fq turns pacing on for every flow, as Linux with
 * the fq qdisc; an unpaced qdisc turns it off; one tapir does not know is
 * refused with the reason. */
Test(tcp_pacing, default_qdisc_sysctl)
{
    struct stack_settings cfg;
    memset(&cfg, 0, sizeof cfg);
    tcp_settings_default(&cfg.tcp);
    char note[128] = "";
    cr_assert_not(cfg.tcp.pacing, "off by default");
    cr_assert_eq(stack_sysctl_set(&cfg, "net.core.default_qdisc", "fq", note, sizeof note), 0);
    cr_assert(cfg.tcp.pacing);
    cr_assert_eq(stack_sysctl_set(&cfg, "net.core.default_qdisc", "fq_codel", note, sizeof note), 0);
    cr_assert_not(cfg.tcp.pacing);
    cr_assert_eq(stack_sysctl_set(&cfg, "net.core.default_qdisc", "cake", note, sizeof note), -1);
    cr_assert(strstr(note, "cake") != NULL, "%s", note);
}

/* The pacing ratios are percentages Linux bounds to 0..3000 (its sysctl
 * table's extra2); a larger one would overflow the rate's product
 * (window * ratio * 10000, 64 bits) into a tiny or zero rate: refused, the
 * old value kept. */
Test(tcp_pacing, ratio_sysctl_bounded_as_linux)
{
    struct stack_settings cfg;
    memset(&cfg, 0, sizeof cfg);
    tcp_settings_default(&cfg.tcp);
    char note[128] = "";
    cr_assert_eq(stack_sysctl_set(&cfg, "net.ipv4.tcp_pacing_ss_ratio", "3000", note, sizeof note), 0);
    cr_assert_eq(cfg.tcp.pacing_ss_ratio, 3000);
    cr_assert_eq(stack_sysctl_set(&cfg, "net.ipv4.tcp_pacing_ss_ratio", "4000000000", note, sizeof note), -1);
    cr_assert_eq(cfg.tcp.pacing_ss_ratio, 3000);
    cr_assert_eq(stack_sysctl_set(&cfg, "net.ipv4.tcp_pacing_ca_ratio", "3001", note, sizeof note), -1);
    cr_assert_eq(cfg.tcp.pacing_ca_ratio, 120);
    /* At the bound the product fits: 4 GB of window at 30x per 1 us. */
    cr_assert_eq(tcp_pacing_rate_calc(1460, UINT32_MAX, 0, 0, 1, 3000, 3000, NOCAP),
                 (uint64_t)UINT32_MAX * 3000 * 10000);
}
