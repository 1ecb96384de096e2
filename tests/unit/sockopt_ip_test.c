/* IPv4-level socket options as Linux takes them: an int or a single byte
 * (IP_TOS, IP_MTU_DISCOVER), IP_MTU_DISCOVER's values and what they do to
 * DF on the wire (TCP sets DF unless told DONT/OMIT; UDP only when asked),
 * SO_ZEROCOPY accepted on TCP and UDP only, and IP_MULTICAST_TTL. */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "net_helpers.h"
#include "stack/socket.h"

#ifndef SO_ZEROCOPY
#define SO_ZEROCOPY 60
#endif

/* DF bits of the IPv4 packets stack 0 sent with protocol `proto`. */
struct df_seen {
    int proto;
    int with_df, without_df;
};
static struct df_seen seen;

static int note_df(struct twire *w, int from, struct cap_frame *f)
{
    (void)w;
    if (from == 0 && f->len >= 14 + 20 && f->data[12] == 0x08 && f->data[13] == 0x00 &&
        f->data[14 + 9] == seen.proto) {
        if (f->data[14 + 6] & 0x40)
            seen.with_df++;
        else
            seen.without_df++;
    }
    return 1;
}

static struct endpoint ep(uint32_t a, uint16_t port)
{
    struct endpoint e = {.addr = ip4(a), .port = port};
    return e;
}

Test(sockopt_ip, byte_sized_values_and_pmtudisc_range)
{
    struct stack *st = stack_create(1, 0);
    stack_add_loopback(st);
    struct sock *s;
    cr_assert_eq(sock_create(st, AF_INET, SOCK_STREAM, 0, &s), 0);
    int v = -1;
    size_t len = sizeof v;
    cr_assert_eq(sock_getsockopt(s, IPPROTO_IP, IP_MTU_DISCOVER, &v, &len), 0);
    cr_assert_eq(v, IP_PMTUDISC_WANT, "Linux's default");
    uint8_t b = IP_PMTUDISC_DONT;
    cr_assert_eq(sock_setsockopt(s, IPPROTO_IP, IP_MTU_DISCOVER, &b, 1), 0);
    len = sizeof v;
    cr_assert_eq(sock_getsockopt(s, IPPROTO_IP, IP_MTU_DISCOVER, &v, &len), 0);
    cr_assert_eq(v, IP_PMTUDISC_DONT);
    b = 6;
    cr_assert_eq(sock_setsockopt(s, IPPROTO_IP, IP_MTU_DISCOVER, &b, 1), -EINVAL);
    b = 0x10;
    cr_assert_eq(sock_setsockopt(s, IPPROTO_IP, IP_TOS, &b, 1), 0);
    len = sizeof v;
    cr_assert_eq(sock_getsockopt(s, IPPROTO_IP, IP_TOS, &v, &len), 0);
    cr_assert_eq(v, 0x10);
    cr_assert_eq(sock_setsockopt(s, IPPROTO_IP, IP_TOS, &b, 0), -EINVAL);
    /* SO_ZEROCOPY: 0 or 1 on TCP and UDP, reported back; not on raw sockets. */
    v = 1;
    cr_assert_eq(sock_setsockopt(s, SOL_SOCKET, SO_ZEROCOPY, &v, sizeof v), 0);
    len = sizeof v;
    v = 0;
    cr_assert_eq(sock_getsockopt(s, SOL_SOCKET, SO_ZEROCOPY, &v, &len), 0);
    cr_assert_eq(v, 1);
    v = 2;
    cr_assert_eq(sock_setsockopt(s, SOL_SOCKET, SO_ZEROCOPY, &v, sizeof v), -EINVAL);
    struct sock *r;
    cr_assert_eq(sock_create(st, AF_INET, SOCK_RAW, IPPROTO_ICMP, &r), 0);
    v = 1;
    cr_assert_eq(sock_setsockopt(r, SOL_SOCKET, SO_ZEROCOPY, &v, sizeof v), -EOPNOTSUPP);
    sock_close(r);
    sock_close(s);
    stack_destroy(st);
}

/* TCP: DF by default (path MTU discovery), none with IP_PMTUDISC_DONT. */
static void tcp_df_run(int pmtudisc, int *with, int *without)
{
    struct twire w;
    twire_init(&w, 1500);
    w.filter = note_df;
    seen = (struct df_seen){.proto = IPPROTO_TCP};
    struct sock *l, *c, *a = NULL;
    cr_assert_eq(sock_create(w.st[1], AF_INET, SOCK_STREAM, 0, &l), 0);
    struct endpoint le = ep(IP4(198, 18, 0, 2), 8080);
    cr_assert_eq(sock_bind(l, &le), 0);
    cr_assert_eq(sock_listen(l, 4), 0);
    cr_assert_eq(sock_create(w.st[0], AF_INET, SOCK_STREAM, 0, &c), 0);
    if (pmtudisc >= 0) {
        uint8_t b = (uint8_t)pmtudisc;
        cr_assert_eq(sock_setsockopt(c, IPPROTO_IP, IP_MTU_DISCOVER, &b, 1), 0);
    }
    cr_assert_eq(sock_connect(c, &le), -EINPROGRESS);
    twire_run(&w, 1000);
    cr_assert_eq(sock_accept(l, &a, NULL), 0);
    cr_assert_eq(sock_send(c, "hello", 5, 0, NULL), 5);
    twire_run(&w, 1000);
    *with = seen.with_df;
    *without = seen.without_df;
    sock_close(a);
    sock_close(c);
    sock_close(l);
    twire_advance(&w, 100000);
    twire_fini(&w);
}

Test(sockopt_ip, tcp_df_follows_ip_mtu_discover)
{
    int with, without;
    tcp_df_run(-1, &with, &without);
    cr_assert_gt(with, 1);
    cr_assert_eq(without, 0, "default: every TCP segment carries DF");
    tcp_df_run(IP_PMTUDISC_DONT, &with, &without);
    cr_assert_eq(with, 0, "IP_PMTUDISC_DONT: no DF");
    cr_assert_gt(without, 1);
    tcp_df_run(IP_PMTUDISC_PROBE, &with, &without);
    cr_assert_gt(with, 1);
    cr_assert_eq(without, 0);
}

/* UDP: no DF unless IP_MTU_DISCOVER asks for it. */
Test(sockopt_ip, udp_df_only_when_asked)
{
    struct twire w;
    twire_init(&w, 1500);
    w.filter = note_df;
    seen = (struct df_seen){.proto = IPPROTO_UDP};
    struct sock *u;
    cr_assert_eq(sock_create(w.st[0], AF_INET, SOCK_DGRAM, 0, &u), 0);
    struct endpoint to = ep(IP4(198, 18, 0, 2), 9);
    cr_assert_eq(sock_send(u, "x", 1, 0, &to), 1);
    twire_run(&w, 100);
    cr_assert_eq(seen.with_df, 0);
    cr_assert_eq(seen.without_df, 1);
    int v = IP_PMTUDISC_DO;
    cr_assert_eq(sock_setsockopt(u, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof v), 0);
    cr_assert_eq(sock_send(u, "y", 1, 0, &to), 1);
    twire_run(&w, 100);
    cr_assert_eq(seen.with_df, 1);
    sock_close(u);
    twire_fini(&w);
}

/* IP_MULTICAST_TTL: the TTL of IPv4 multicast datagrams (Linux's default 1),
 * IP_TTL that of the others. */
static int ttl_seen[4], n_ttl_seen;

static int note_ttl(struct twire *w, int from, struct cap_frame *f)
{
    (void)w;
    if (from == 0 && f->len >= 14 + 20 && f->data[12] == 0x08 && f->data[13] == 0x00 &&
        f->data[14 + 9] == IPPROTO_UDP && n_ttl_seen < 4)
        ttl_seen[n_ttl_seen++] = f->data[14 + 8];
    return 1;
}

Test(sockopt_ip, udp_multicast_ttl)
{
    struct twire w;
    twire_init(&w, 1500);
    w.filter = note_ttl;
    n_ttl_seen = 0;
    /* A route for the groups, as Linux needs one (224.0.0.0/4 on the link). */
    cr_assert_eq(stack_add_route4(w.st[0], IP4(224, 0, 0, 0), 4, 0, w.ifx[0]), 0);
    struct sock *u;
    cr_assert_eq(sock_create(w.st[0], AF_INET, SOCK_DGRAM, 0, &u), 0);
    struct endpoint grp = ep(IP4(239, 1, 2, 3), 9), uni = ep(IP4(198, 18, 0, 2), 9);
    cr_assert_eq(sock_send(u, "a", 1, 0, &grp), 1);
    int v = 5;
    cr_assert_eq(sock_setsockopt(u, IPPROTO_IP, IP_MULTICAST_TTL, &v, sizeof v), 0);
    cr_assert_eq(sock_send(u, "b", 1, 0, &grp), 1);
    v = 33;
    cr_assert_eq(sock_setsockopt(u, IPPROTO_IP, IP_TTL, &v, sizeof v), 0);
    cr_assert_eq(sock_send(u, "c", 1, 0, &uni), 1);
    twire_run(&w, 100);
    cr_assert_eq(n_ttl_seen, 3);
    cr_assert_eq(ttl_seen[0], 1, "multicast: TTL 1 by default");
    cr_assert_eq(ttl_seen[1], 5);
    cr_assert_eq(ttl_seen[2], 33, "unicast: IP_TTL");
    sock_close(u);
    twire_fini(&w);
}

/* TCP_SYNCNT: how many times a SYN is sent again before connect() gives up
 * with ETIMEDOUT (Linux's icsk_syn_retries over tcp_syn_retries). */
static int syns_seen;

static int drop_tcp(struct twire *w, int from, struct cap_frame *f)
{
    (void)w;
    bool tcp = f->len >= 14 + 20 && f->data[12] == 0x08 && f->data[13] == 0x00 && f->data[14 + 9] == IPPROTO_TCP;
    if (tcp && from == 0 && (f->data[14 + 20 + 13] & 0x02))
        syns_seen++;
    return !tcp;
}

Test(sockopt_ip, tcp_syncnt_limits_syn_retries)
{
    struct twire w;
    twire_init(&w, 1500);
    w.filter = drop_tcp;
    syns_seen = 0;
    struct sock *c;
    cr_assert_eq(sock_create(w.st[0], AF_INET, SOCK_STREAM, 0, &c), 0);
    int v = 2;
    cr_assert_eq(sock_setsockopt(c, IPPROTO_TCP, 7 /* TCP_SYNCNT */, &v, sizeof v), 0);
    struct endpoint to = ep(IP4(198, 18, 0, 2), 80);
    cr_assert_eq(sock_connect(c, &to), -EINPROGRESS);
    /* SYN at 0, again at 1 s and 3 s, given up at 7 s. */
    twire_advance(&w, 6500000);
    cr_assert_eq(syns_seen, 3);
    cr_assert_eq(sock_connect(c, &to), -EALREADY);
    twire_advance(&w, 1000000);
    cr_assert_eq(syns_seen, 3);
    cr_assert_eq(sock_connect(c, &to), -ETIMEDOUT);
    sock_close(c);
    twire_fini(&w);
}

/* TCP_LINGER2: an orphaned connection's FIN_WAIT_2 time. */
Test(sockopt_ip, tcp_linger2_bounds_an_orphans_fin_wait2)
{
    struct twire w;
    twire_init(&w, 1500);
    struct sock *l, *c, *a = NULL;
    cr_assert_eq(sock_create(w.st[1], AF_INET, SOCK_STREAM, 0, &l), 0);
    struct endpoint le = ep(IP4(198, 18, 0, 2), 8080);
    cr_assert_eq(sock_bind(l, &le), 0);
    cr_assert_eq(sock_listen(l, 4), 0);
    cr_assert_eq(sock_create(w.st[0], AF_INET, SOCK_STREAM, 0, &c), 0);
    int v = 5;
    cr_assert_eq(sock_setsockopt(c, IPPROTO_TCP, 8 /* TCP_LINGER2 */, &v, sizeof v), 0);
    cr_assert_eq(sock_connect(c, &le), -EINPROGRESS);
    twire_run(&w, 1000);
    cr_assert_eq(sock_accept(l, &a, NULL), 0);
    uint64_t before = w.st[0]->gauges.tcp_conns;
    sock_close(c);           /* FIN, ACKed: FIN_WAIT_2, the peer never closes */
    twire_advance(&w, 4000000);
    cr_assert_eq(w.st[0]->gauges.tcp_conns, before, "still in FIN_WAIT_2 after 4 s");
    twire_advance(&w, 2000000);
    cr_assert_eq(w.st[0]->gauges.tcp_conns, before - 1, "gone after TCP_LINGER2's 5 s");
    sock_close(a);
    sock_close(l);
    twire_advance(&w, 100000);
    twire_fini(&w);
}
