/* The runner's configuration string, and the counters' text form. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "api/runner.h"
#include "api/runner_config.h"
#include "stack/addr.h"
#include "stack/counters.h"
#include "stack/stack.h"
#include "stack/sysctl.h"

Test(runner_config, full_string)
{
    struct runner_config c;
    char err[256];
    int rc = runner_config_parse("  tap=tap7 addr=198.18.0.2/24 gw=198.18.0.1 mac=02:00:00:aa:bb:cc "
                                 "mtu=9000 capture=/tmp/x.pcap trace=1 seed=42 hostname=h1 log=2 "
                                 "addr=198.19.0.2/16 offload=on",
                                 &c, err, sizeof err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_str_eq(c.tap, "tap7");
    cr_assert_eq(c.n_addr, 2);
    cr_assert_eq(c.addr[0].addr, IP4(198, 18, 0, 2));
    cr_assert_eq(c.addr[0].prefix_len, 24);
    cr_assert_eq(c.addr[1].addr, IP4(198, 19, 0, 2));
    cr_assert_eq(c.addr[1].prefix_len, 16);
    cr_assert_eq(c.gw, IP4(198, 18, 0, 1));
    cr_assert(c.has_mac);
    cr_assert_eq(c.mac[5], 0xcc);
    cr_assert_eq(c.mtu, 9000);
    cr_assert_str_eq(c.capture, "/tmp/x.pcap");
    cr_assert(c.trace);
    cr_assert(c.has_seed);
    cr_assert_eq(c.seed, 42);
    cr_assert_str_eq(c.hostname, "h1");
    cr_assert_eq(c.log_level, 2);
    cr_assert(c.offload);
}

Test(runner_config, empty_and_defaults)
{
    struct runner_config c;
    char err[256];
    cr_assert_eq(runner_config_parse(NULL, &c, err, sizeof err), 0);
    cr_assert_eq(runner_config_parse("", &c, err, sizeof err), 0);
    cr_assert_eq(c.n_addr, 0);
    cr_assert(!c.has_mac && !c.has_seed && !c.trace);
    cr_assert_eq(c.log_level, -1);
    cr_assert_eq(runner_config_parse("addr=198.18.0.9", &c, err, sizeof err), 0);
    cr_assert_eq(c.addr[0].prefix_len, 32, "no prefix: a host address");
}

Test(runner_config, ipv6_keys)
{
    struct runner_config c;
    char err[256];
    cr_assert_eq(runner_config_parse("addr=198.18.0.2/24 addr=fd00:198:18::2/64 gw=fe80::1 eui64=1 dad=0",
                                     &c, err, sizeof err), 0, "%s", err);
    cr_assert_eq(c.n_addr, 1);
    cr_assert_eq(c.n_addr6, 1);
    cr_assert_eq(c.addr6[0].prefix_len, 64);
    cr_assert_eq(c.addr6[0].addr[0], 0xfd);
    cr_assert_eq(c.addr6[0].addr[15], 2);
    cr_assert(c.has_gw6);
    cr_assert_eq(c.gw6[0], 0xfe);
    cr_assert(c.eui64 && !c.ipv6_off);
    cr_assert_eq(c.dad, 0);
    cr_assert_eq(runner_config_parse("addr=fd00::5 ipv6=0", &c, err, sizeof err), 0);
    cr_assert_eq(c.addr6[0].prefix_len, 128, "no prefix: a host address");
    cr_assert(c.ipv6_off);
    cr_assert_eq(runner_config_parse("", &c, err, sizeof err), 0);
    cr_assert_eq(c.dad, -1, "default DAD");
}

Test(runner_config, bad_input_gets_a_message)
{
    static const char *bad[] = {
        "tap", "=x", "colour=blue", "addr=198.18.0/24", "addr=198.18.0.2/33", "addr=fd00::1/129",
        "addr=ff02::1/64", "gw=ff02::1", "gw=::", "ipv6=maybe", "dad=11",
        "addr=0.0.0.0/0", "gw=nonsense", "mac=01:00:00:00:00:01", "mac=02:00:00", "mtu=12",
        "mtu=70000", "mtu=-5", "seed=abc", "trace=maybe", "log=7", "tap=", "tap=averyveryverylongname",
        "tap=a pcap=b", "addr=1.1.1.1/8 addr=1.1.1.2/8 addr=1.1.1.3/8 addr=1.1.1.4/8 addr=1.1.1.5/8",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct runner_config c;
        char err[256] = "";
        cr_assert_eq(runner_config_parse(bad[i], &c, err, sizeof err), -1, "accepted '%s'", bad[i]);
        cr_assert(strlen(err) > 0, "no message for '%s'", bad[i]);
    }
}

Test(runner_config, fault_keys)
{
    struct runner_config c;
    char err[256];
    cr_assert_eq(runner_config_parse("tap=t drop=0.25 dup_rx=1 corrupt_tx=0.001", &c, err, sizeof err), 0,
                 "%s", err);
    cr_assert(c.fault);
    cr_assert(c.drop_tx == 0.25 && c.drop_rx == 0.25);
    cr_assert(c.dup_rx == 1.0 && c.dup_tx == 0.0);
    cr_assert(c.corrupt_tx == 0.001 && c.corrupt_rx == 0.0);
    cr_assert_eq(runner_config_parse("tap=t", &c, err, sizeof err), 0);
    cr_assert(!c.fault);
    static const char *bad[] = {"drop=1.5", "drop=-0.1", "dup=abc", "corrupt_rx=nan", "drop_tx="};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(runner_config_parse(bad[i], &c, err, sizeof err), -1, "accepted '%s'", bad[i]);
}

Test(runner_config, counters_format_groups_nonzero)
{
    struct tapir_counters c;
    memset(&c, 0, sizeof c);
    c.eth_rx_frames = 12;
    c.icmp_rx_echo_requests = 3;
    c.ip6_rx = 1;
    char *s = tapir_counters_format(&c);
    cr_assert_not_null(s);
    cr_assert_str_eq(s, "Link:\n    12 frames received\n"
                        "Icmp:\n    3 ICMP echo requests received\n"
                        "Ip6:\n    1 IPv6 packets received\n");
    free(s);
    memset(&c, 0, sizeof c);
    s = tapir_counters_format(&c);
    cr_assert_str_eq(s, "");
    free(s);
}

Test(runner_config, sysctl_keys_checked_and_kept)
{
    struct runner_config c;
    char err[200];
    cr_assert_eq(runner_config_parse("tap=t0 net.ipv4.tcp_ecn=1 net.ipv4.tcp_rmem=4096,65536,1048576 "
                                     "net.ipv4.tcp_congestion_control=reno",
                                     &c, err, sizeof err),
                 0, "%s", err);
    cr_assert_eq(c.n_sysctls, 3);
    cr_assert_str_eq(c.sysctls[0][0], "net.ipv4.tcp_ecn");
    cr_assert_str_eq(c.sysctls[1][1], "4096 65536 1048576", "commas stand for spaces");
    /* Applied to settings they do what Linux's knobs do. */
    struct stack_settings s;
    memset(&s, 0, sizeof s);
    tcp_settings_default(&s.tcp);
    char note[100] = "";
    for (int i = 0; i < c.n_sysctls; i++)
        cr_assert_eq(stack_sysctl_set(&s, c.sysctls[i][0], c.sysctls[i][1], note, sizeof note), 0, "%s", note);
    cr_assert_eq(s.tcp.ecn, 1);
    cr_assert_eq(s.tcp.rmem[2], 1048576);
    cr_assert_str_eq(s.tcp.congestion, "reno");

    cr_assert_eq(runner_config_parse("net.ipv4.tcp_ecn=7", &c, err, sizeof err), -1);
    cr_assert(strstr(err, "tcp_ecn"), "%s", err);
    cr_assert_eq(runner_config_parse("net.ipv4.tcp_no_such_knob=1", &c, err, sizeof err), -1);
    cr_assert(strstr(err, "no such setting"), "%s", err);
    cr_assert_eq(runner_config_parse("net.ipv4.tcp_congestion_control=bbr", &c, err, sizeof err), -1);
    cr_assert(strstr(err, "cubic and reno"), "%s", err);
}

Test(runner_config, tcp_timewait_key)
{
    struct runner_config c;
    char err[256];
    cr_assert_eq(runner_config_parse("tap=t tcp_timewait_ms=1500", &c, err, sizeof err), 0, "%s", err);
    cr_assert_eq(c.tcp_timewait_ms, 1500);
    cr_assert_eq(runner_config_parse("tap=t", &c, err, sizeof err), 0);
    cr_assert_eq(c.tcp_timewait_ms, 0, "0: the stack's default");
    static const char *bad[] = {"tcp_timewait_ms=0", "tcp_timewait_ms=-1", "tcp_timewait_ms=600001",
                                "tcp_timewait_ms=1s"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(runner_config_parse(bad[i], &c, err, sizeof err), -1, "accepted '%s'", bad[i]);
}

Test(runner_config, gauges_format_lists_every_gauge)
{
    struct tapir_gauges g;
    memset(&g, 0, sizeof g);
    g.tcp_timewait = 3;
    char *s = tapir_gauges_format(&g);
    cr_assert_not_null(s);
    cr_assert(strstr(s, "tcp_timewait     3  TCP connections in TIME_WAIT\n"), "%s", s);
    cr_assert(strstr(s, "tcp_cbs          0  "), "zeros are listed too: %s", s);
    int lines = 0;
    for (const char *p = s; *p; p++)
        lines += *p == '\n';
    cr_assert_eq(lines, (int)(sizeof g / sizeof(uint64_t)));
    free(s);
}
