/* Raw IPv4 sockets as Linux has them: receive whole packets (header
 * included) of their protocol, send with the stack's header or the caller's
 * (IP_HDRINCL / IPPROTO_RAW), filters (bind, connect, ICMP_FILTER). */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "net_helpers.h"
#include "stack/arp.h"
#include "stack/checksum.h"
#include "stack/socket.h"
#include "stack/wire/icmp.h"
#include "stack/wire/ipv4.h"

#define A IP4(198, 18, 0, 1)
#define B IP4(198, 18, 0, 2)

static struct sock *raw(struct stack *st, int proto)
{
    struct sock *s;
    cr_assert_eq(sock_create(st, AF_INET, SOCK_RAW, proto, &s), 0);
    return s;
}

static size_t echo(uint8_t *b, uint16_t seq)
{
    memset(b + 8, 0x42, 24);
    struct icmp_hdr h = {.type = ICMP_ECHO_REQUEST, .rest = 0x00070000u | seq, .data = b + 8, .data_len = 24};
    return icmp_emit(&h, b);
}

Test(raw, creation_rules)
{
    struct stack *st = stack_create(1, 0);
    struct sock *s;
    cr_assert_eq(sock_create(st, AF_INET, SOCK_RAW, 0, &s), -EPROTONOSUPPORT);
    cr_assert_eq(sock_create(st, AF_INET, SOCK_RAW, 256, &s), -EPROTONOSUPPORT);
    cr_assert_eq(sock_create(st, AF_INET, SOCK_RAW, IPPROTO_RAW, &s), 0);
    int v = 0;
    size_t l = sizeof v;
    cr_assert_eq(sock_getsockopt(s, IPPROTO_IP, IP_HDRINCL, &v, &l), 0);
    cr_assert_eq(v, 1, "IPPROTO_RAW implies IP_HDRINCL");
    struct endpoint name;
    cr_assert_eq(sock_getname(s, &name, false), 0);
    cr_assert_eq(name.port, IPPROTO_RAW, "Linux reports the protocol as the port");
    sock_close(s);
    stack_destroy(st);
}

Test(raw, ping_with_bad_checksum_is_dropped_by_peer)
{
    struct twire w;
    twire_init(&w, 1500);
    struct sock *s = raw(w.st[0], IPPROTO_ICMP);
    uint8_t m[64];
    size_t n = echo(m, 1);
    m[2] ^= 0xff; /* the caller's checksum is sent as is */
    struct endpoint to = {.addr = ip4(B)};
    cr_assert_eq(sock_send(s, m, n, 0, &to), (ssize_t)n);
    twire_run(&w, 100);
    cr_assert_eq(w.st[1]->ctr.icmp_rx_bad, 1);
    cr_assert_eq(w.st[1]->ctr.icmp_tx_echo_replies, 0);
    sock_close(s);
    twire_fini(&w);
}

Test(raw, filters_connect_and_icmp_filter)
{
    struct twire w;
    twire_init(&w, 1500);
    struct sock *all = raw(w.st[0], IPPROTO_ICMP), *conn = raw(w.st[0], IPPROTO_ICMP),
                *filt = raw(w.st[0], IPPROTO_ICMP), *udp = raw(w.st[0], IPPROTO_UDP);
    struct endpoint other = {.addr = ip4(IP4(198, 18, 0, 9))};
    cr_assert_eq(sock_connect(conn, &other), 0);
    uint32_t mask = 1u << ICMP_ECHO_REPLY;
    cr_assert_eq(sock_setsockopt(filt, SOL_RAW, 1 /* ICMP_FILTER */, &mask, sizeof mask), 0);
    cr_assert_eq(sock_setsockopt(udp, SOL_RAW, 1, &mask, sizeof mask), -EOPNOTSUPP);
    uint8_t m[64], got[128];
    size_t n = echo(m, 2);
    struct endpoint to = {.addr = ip4(B)};
    cr_assert_eq(sock_send(all, m, n, 0, &to), (ssize_t)n);
    twire_run(&w, 100);
    struct endpoint from;
    ssize_t r = sock_recv(all, got, sizeof got, 0, &from, NULL);
    cr_assert_eq(r, (ssize_t)(20 + n));
    cr_assert_eq(got[0], 0x45, "the IPv4 header comes first");
    cr_assert_eq(got[20], ICMP_ECHO_REPLY);
    cr_assert_eq(from.addr.v4, B);
    cr_assert_eq(sock_recv(conn, got, sizeof got, 0, NULL, NULL), -EAGAIN, "connected elsewhere");
    cr_assert_eq(sock_recv(filt, got, sizeof got, 0, NULL, NULL), -EAGAIN, "echo replies filtered");
    cr_assert_eq(sock_recv(udp, got, sizeof got, 0, NULL, NULL), -EAGAIN, "other protocol");
    sock_close(all), sock_close(conn), sock_close(filt), sock_close(udp);
    twire_fini(&w);
}

Test(raw, hdrincl_fills_length_checksum_source_id)
{
    struct capture cap = {0};
    struct stack *st = stack_create(1, 0);
    static const uint8_t mac[6] = {2, 0, 0, 0, 0, 1}, peer[6] = {2, 0, 0, 0, 0, 2};
    int ifx = stack_add_netif(st, "e", mac, 1500, capture_tx, &cap);
    stack_add_ip4(st, ifx, B, 24);
    capture_clear(&cap);
    arp_add_static(st, ifx, A, peer);
    struct sock *s = raw(st, IPPROTO_UDP);
    int one = 1;
    cr_assert_eq(sock_setsockopt(s, IPPROTO_IP, IP_HDRINCL, &one, sizeof one), 0);
    uint8_t pkt[40] = {0};
    pkt[0] = 0x45;
    pkt[8] = 33;  /* TTL */
    pkt[9] = 17;
    pkt[16] = 198, pkt[17] = 18, pkt[18] = 0, pkt[19] = 1;
    struct endpoint to = {.addr = ip4(A)};
    cr_assert_eq(sock_send(s, pkt, sizeof pkt, 0, &to), (ssize_t)sizeof pkt);
    struct cap_frame *f = capture_pop(&cap);
    cr_assert_not_null(f);
    struct ipv4_hdr h;
    cr_assert_eq(ipv4_parse(f->data + 14, f->len - 14, &h, true), 0, "checksum filled");
    cr_assert_eq(h.total_len, 40);
    cr_assert_eq(h.src, B, "source filled");
    cr_assert_neq(h.id, 0, "ID filled");
    cr_assert_eq(h.ttl, 33, "the rest is the caller's");
    free(f);
    /* Too big for the MTU: never fragmented. */
    static uint8_t big[2000];
    memcpy(big, pkt, 20);
    cr_assert_eq(sock_send(s, big, sizeof big, 0, &to), -EMSGSIZE);
    /* Not an IPv4 header. */
    pkt[0] = 0x60;
    cr_assert_eq(sock_send(s, pkt, sizeof pkt, 0, &to), -EINVAL);
    sock_close(s);
    stack_destroy(st);
    capture_clear(&cap);
}
