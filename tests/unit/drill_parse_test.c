/* Unit tests of tapir-drill's script parser and %{ }% evaluator.  The parser
 * lives in tests/drill/ (built into the tapir-drill tool); it depends on libc
 * only, so its sources are compiled into this test directly. */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/drill/code.c"
#include "tests/drill/lex.c"
#include "tests/drill/parse.c"
#include "tests/drill/sym.c"

static struct script parse_ok(const char *src)
{
    struct script s;
    char err[512];
    int r = parse_script("t.pkt", src, strlen(src), &s, err, sizeof err);
    cr_assert_eq(r, 0, "parse failed: %s", err);
    return s;
}

static void parse_fails(const char *src, const char *needle)
{
    struct script s;
    char err[512];
    int r = parse_script("t.pkt", src, strlen(src), &s, err, sizeof err);
    cr_assert_eq(r, -1, "parse should fail: %s", src);
    cr_assert(strstr(err, needle) != NULL, "error '%s' lacks '%s'", err, needle);
}

Test(drill_parse, times_absolute_relative_ranges)
{
    struct script s = parse_ok("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
                               "+.1 close(3) = 0\n"
                               "+0.200~+0.300 > . 1:1(0) ack 1\n"
                               "1.5 > . 1:1(0) ack 1\n"
                               "* > . 1:1(0) ack 1\n"
                               "+.1...0.200 accept(3, ..., ...) = 4\n");
    struct event *e = s.events;
    cr_assert_eq(e->time_type, TIME_ABS);
    cr_assert_eq(e->t, 0);
    e = e->next;
    cr_assert_eq(e->time_type, TIME_REL);
    cr_assert_eq(e->t, 100000);
    e = e->next;
    cr_assert_eq(e->time_type, TIME_REL_RANGE);
    cr_assert_eq(e->t, 200000);
    cr_assert_eq(e->t_end, 300000);
    e = e->next;
    cr_assert_eq(e->time_type, TIME_ABS);
    cr_assert_eq(e->t, 1500000);
    e = e->next;
    cr_assert_eq(e->time_type, TIME_ANY);
    e = e->next;
    cr_assert_eq(e->type, EV_SYSCALL);
    cr_assert_eq(e->t, 100000);
    cr_assert_eq(e->sc.end_usecs, 200000);
    cr_assert_str_eq(e->sc.name, "accept");
    script_free(&s);
}

Test(drill_parse, packet_fields_and_options)
{
    struct script s = parse_ok("0 < S 0:0(0) win 32792 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>\n"
                               "+0 > S. 0:0(0) ack 1 <...>\n"
                               "+0 < P. 1:1001(1000) ack 1 win 257 <sack 1001:2001 3001:4001,nop,nop>\n"
                               "+0 < - 1:1001(1000) win 20000\n"
                               "+0 > FP. 13001:20001(7000) ack 1\n"
                               "+0 < 1234>8080 R 5:5(0)\n");
    struct event *e = s.events;
    struct dr_packet *p = &e->pkt;
    cr_assert(p->inbound);
    cr_assert_eq(p->flags, TH_SYN);
    cr_assert_eq(p->win, 32792);
    cr_assert_eq(p->n_opts, 5);
    cr_assert_eq(p->opts[0].kind, OPT_MSS);
    cr_assert_eq(p->opts[0].mss, 1460);
    cr_assert_eq(p->opts[2].kind, OPT_TS);
    cr_assert_eq(p->opts[2].ts_val, 100);
    cr_assert_eq(p->opts[4].wscale, 7);
    p = &e->next->pkt;
    cr_assert(!p->inbound);
    cr_assert_eq(p->flags, TH_SYN | TH_ACK);
    cr_assert(p->opts_any);
    cr_assert_eq(p->win, -1);
    p = &e->next->next->pkt;
    cr_assert_eq(p->flags, TH_PSH | TH_ACK);
    cr_assert_eq(p->len, 1000);
    cr_assert_eq(p->opts[0].kind, OPT_SACK);
    cr_assert_eq(p->opts[0].n_sack, 2);
    cr_assert_eq(p->opts[0].sack[1][0], 3001);
    p = &e->next->next->next->pkt;
    cr_assert_eq(p->flags, 0);
    p = &e->next->next->next->next->pkt;
    cr_assert_eq(p->flags, TH_FIN | TH_PSH | TH_ACK);
    p = &e->next->next->next->next->next->pkt;
    cr_assert(p->has_ports);
    cr_assert_eq(p->sport, 1234);
    cr_assert_eq(p->dport, 8080);
    cr_assert_eq(p->flags, TH_RST);
    char buf[256];
    cr_assert_str_eq(dr_packet_str(&e->pkt, buf, sizeof buf),
                     "S 0:0(0) win 32792 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>");
    script_free(&s);
}

Test(drill_parse, syscalls_errno_structs)
{
    struct script s = parse_ok(
        "--tolerance_usecs=10000\n"
        "`../common/defaults.sh\n../common/set_sysctls.py /proc/sys/net/ipv4/tcp_timestamps=0`\n"
        "0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n"
        "+0 fcntl(3, F_GETFL) = 0x2 (flags O_RDWR)\n"
        "+0 epoll_ctl(5, EPOLL_CTL_ADD, 4, {events=EPOLLOUT|EPOLLIN|EPOLLET, fd=4}) = 0\n"
        "+0 sendmsg(4, {msg_name(...)=..., msg_iov(2)=[{..., 40}, {..., 2}], msg_flags=0}, MSG_MORE) = 42\n"
        "+0 setsockopt(4, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0\n"
        "+0 %{ assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd }%\n"
        "+0 `tc qdisc`\n"
        "`/tmp/sysctl_restore_${PPID}.sh`\n");
    cr_assert_str_eq(s.options->name, "tolerance_usecs");
    cr_assert_str_eq(s.options->value, "10000");
    cr_assert(strstr(s.init_command, "set_sysctls.py") != NULL);
    cr_assert(strstr(s.cleanup_command, "restore") != NULL);
    struct event *e = s.events;
    cr_assert_eq(e->sc.result->num, -1);
    cr_assert_str_eq(e->sc.errno_name, "EINPROGRESS");
    cr_assert_str_eq(e->sc.note, "Operation now in progress");
    e = e->next;
    cr_assert(e->sc.result->hex);
    cr_assert_eq(e->sc.result->num, 2);
    cr_assert_null(e->sc.errno_name);
    e = e->next;
    struct expr *ev = e->sc.args[3];
    cr_assert_eq(ev->type, EX_STRUCT);
    cr_assert_eq(ev->n_items, 2);
    cr_assert_eq(ev->items[0]->type, EX_FIELD);
    cr_assert_str_eq(ev->items[0]->str, "events");
    cr_assert_eq(ev->items[0]->rhs->type, EX_OR);
    e = e->next;
    struct expr *msg = e->sc.args[1];
    cr_assert_eq(msg->items[1]->type, EX_FIELD);
    cr_assert_str_eq(msg->items[1]->str, "msg_iov");
    cr_assert_eq(msg->items[1]->rhs->type, EX_LIST);
    cr_assert_eq(msg->items[1]->rhs->n_items, 2);
    e = e->next->next;
    cr_assert_eq(e->type, EV_CODE);
    cr_assert_str_eq(e->text, "assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd");
    cr_assert_eq(e->next->type, EV_COMMAND);
    script_free(&s);
}

Test(drill_parse, errors_name_the_line)
{
    parse_fails("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < S 0:5(0) win 100\n", "t.pkt:2:");
    parse_fails("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < S 0:5(0) win 100\n", "inconsistent");
    parse_fails("0 < S 0:0(0) <...>\n", "only be used with outbound");
    parse_fails("+.1~+.2 write(3, ..., 1) = 1\n", "range can only be used");
    parse_fails("1 close(3) = 0\n", "first event should be at time 0");
    parse_fails("0 < S 0:0(0) <mss 1460,bogus 3>\n", "unsupported TCP option");
    parse_fails("0 close(3 = 0\n", "t.pkt:1:");
    parse_fails("0 < X 0:0(0)\n", "unknown TCP flag");
}

static int run_code(struct code_env *env, const char *text, char *err)
{
    return code_run(env, text, err, 512);
}

Test(drill_code, arithmetic_comparisons_and_asserts)
{
    struct code_env env;
    code_env_init(&env);
    char err[512];
    code_set_int(&env, "tcpi_snd_cwnd", 10);
    code_set_int(&env, "tcpi_last_data_recv", 1000);
    cr_assert_eq(run_code(&env, "assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd", err), 0, "%s", err);
    cr_assert_eq(run_code(&env, "assert 990 <= tcpi_last_data_recv <= 1010, tcpi_last_data_recv", err), 0, "%s", err);
    cr_assert_eq(run_code(&env, "cwnd = 58; cwnd += 1; assert cwnd == 59\nassert cwnd * 2 - 18 == 100", err), 0,
                 "%s", err);
    cr_assert_eq(run_code(&env, "assert cwnd == 59 and not cwnd == 60 or 1 / 0", err), 0, "%s", err);
    cr_assert_eq(run_code(&env, "assert 7 // 2 == 3 and -7 // 2 == -4 and 7 % 3 == 1 and 0x10 | 1 == 17", err),
                 0, "%s", err);
    cr_assert_eq(run_code(&env, "assert (1 + 2) * 3 == 9 and 2 ** 10 == 1024 and 1 << 4 == 16", err), 0, "%s",
                 err);
    cr_assert_eq(run_code(&env, "assert 'cwnd=%d' % tcpi_snd_cwnd == 'cwnd=10'", err), 0, "%s", err);
    cr_assert_eq(run_code(&env, "assert '%d %s' % (1, 'x') == '1 x'", err), 0, "%s", err);
    cr_assert_eq(run_code(&env, "TCP_INFINITE_SSTHRESH = 0x7fffffff\nassert TCP_INFINITE_SSTHRESH == 2147483647",
                          err), 0, "%s", err);
    cr_assert_eq(run_code(&env, "assert tcpi_snd_cwnd == 10, \\\n tcpi_snd_cwnd  # comment", err), 0, "%s", err);
    cr_assert_eq(run_code(&env, "x = 3\nassert (x >\n 2)", err), 0, "%s", err);
    code_env_free(&env);
}

Test(drill_code, failures_are_reported)
{
    struct code_env env;
    code_env_init(&env);
    char err[512];
    code_set_int(&env, "tcpi_snd_cwnd", 12);
    cr_assert_eq(run_code(&env, "assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd", err), -1);
    cr_assert(strstr(err, "AssertionError: 12") != NULL, "%s", err);
    cr_assert_eq(run_code(&env, "x = 1\n\nassert x == 2, 'x=%d' % x", err), -1);
    cr_assert(strstr(err, "code line 3") != NULL, "%s", err);
    cr_assert(strstr(err, "x=1") != NULL, "%s", err);
    cr_assert_eq(run_code(&env, "assert nosuch == 1", err), -1);
    cr_assert(strstr(err, "not defined") != NULL, "%s", err);
    code_env_free(&env);
}

Test(drill_sym, constants)
{
    int64_t v;
    cr_assert(symbol_value("SOCK_STREAM", &v));
    cr_assert_eq(v, 1);
    cr_assert(symbol_value("EINPROGRESS", &v));
    cr_assert_eq(v, 115);
    cr_assert(symbol_value("TCP_CA_Recovery", &v));
    cr_assert_eq(v, 3);
    cr_assert(!symbol_value("NO_SUCH_THING", &v));
    cr_assert_str_eq(errno_name(111), "ECONNREFUSED");
}
