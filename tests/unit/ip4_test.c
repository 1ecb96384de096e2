/* IPv4: routing choice, source selection, input validation, acceptance
 * rules, protocol unreachable, DF, path MTU, and reassembly (in order, out
 * of order, duplicate, overlapping, timed out, over the caps). */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "net_helpers.h"
#include "stack/arp.h"
#include "stack/checksum.h"
#include "stack/ip.h"
#include "stack/ip4.h"
#include "stack/ip6.h"
#include "stack/socket.h"
#include "stack/wire/eth.h"
#include "stack/wire/icmp.h"
#include "stack/wire/ipv4.h"


static void setup(struct netfix *f)
{
    netfix_setup(f, 11, 1000000, NETFIX_IPV4_ONLY | NETFIX_LOOPBACK | NETFIX_STATIC_PEER);
}
static void teardown(struct netfix *f) { netfix_teardown(f); }

/* Feeds an IPv4 packet in an Ethernet frame to us.  hdr fields as given;
 * payload copied; checksum computed unless bad_csum. */
static void feed_ip(struct netfix *f, const struct ipv4_hdr *h, const void *payload, size_t len,
                    const uint8_t eth_dst[6])
{
    static uint8_t frame[70000];
    struct eth_hdr eh = {.type = ETHERTYPE_IPV4};
    memcpy(eh.dst, eth_dst ? eth_dst : NET_OUR_MAC, 6);
    memcpy(eh.src, NET_PEER_MAC, 6);
    eth_emit(&eh, frame);
    struct ipv4_hdr hh = *h;
    hh.total_len = (uint16_t)(20 + len);
    ipv4_emit(&hh, frame + ETH_HDR_LEN);
    memcpy(frame + ETH_HDR_LEN + 20, payload, len);
    stack_input(f->st, f->ifx, frame, ETH_HDR_LEN + 20 + len, f->now);
}

static struct ipv4_hdr hdr(uint32_t src, uint32_t dst, uint8_t proto)
{
    return (struct ipv4_hdr){.ttl = 64, .proto = proto, .src = src, .dst = dst, .id = 77};
}

static size_t echo(uint8_t *buf, size_t payload)
{
    memset(buf + 8, 0x61, payload);
    struct icmp_hdr h = {.type = ICMP_ECHO_REQUEST, .rest = 0x00010001, .data = buf + 8, .data_len = payload};
    return icmp_emit(&h, buf);
}

/* ---- routing ---- */

static int dummy_tx(void *ctx, const uint8_t *frame, size_t len, const struct pkt *meta)
{
    (void)ctx, (void)frame, (void)len, (void)meta;
    return 0;
}

Test(route4, longest_prefix_default_and_none)
{
    struct stack *st = stack_create(1, 0);
    int a = stack_add_netif(st, "a", NET_OUR_MAC, 1500, dummy_tx, NULL);
    int b = stack_add_netif(st, "b", NET_PEER_MAC, 1500, dummy_tx, NULL);
    cr_assert_eq(stack_add_ip4(st, a, IP4(198, 18, 0, 2), 24), 0);
    cr_assert_eq(stack_add_ip4(st, b, IP4(198, 19, 0, 2), 16), 0);
    cr_assert_null(stack_route4(st, IP4(203, 0, 113, 1)), "no default route yet");
    struct ipaddr src;
    struct ipaddr far = ip4(IP4(203, 0, 113, 1));
    cr_assert_not(ip_select_source(st, &far, &src));
    struct pkt *p = pkt_alloc(4);
    struct ip_tx tx = {.dst = far, .proto = 17, .ifindex = -1};
    cr_assert_eq(ip_output(st, p, &tx), -ENETUNREACH);
    cr_assert_eq(st->ctr.ip_tx_no_route, 1);

    cr_assert_eq(stack_add_route4(st, 0, 0, IP4(198, 18, 0, 1), a), 0);
    cr_assert_eq(stack_add_route4(st, IP4(198, 19, 7, 0), 24, IP4(198, 18, 0, 9), a), 0);
    cr_assert_eq(stack_add_route4(st, 0, 0, IP4(198, 18, 0, 1), a), -EEXIST);
    const struct route4 *r = stack_route4(st, IP4(203, 0, 113, 1));
    cr_assert_not_null(r);
    cr_assert_eq(r->prefix_len, 0);
    cr_assert_eq(r->gateway, IP4(198, 18, 0, 1));
    r = stack_route4(st, IP4(198, 19, 1, 1));
    cr_assert_eq(r->ifindex, b);
    cr_assert_eq(r->gateway, 0, "on-link /16");
    r = stack_route4(st, IP4(198, 19, 7, 1));
    cr_assert_eq(r->prefix_len, 24, "the /24 beats the /16");
    cr_assert_eq(r->ifindex, a);
    cr_assert(ip_select_source(st, &far, &src));
    cr_assert_eq(src.v4, IP4(198, 18, 0, 2));
    struct ipaddr on_b = ip4(IP4(198, 19, 3, 3));
    cr_assert(ip_select_source(st, &on_b, &src));
    cr_assert_eq(src.v4, IP4(198, 19, 0, 2));
    /* A down interface's routes are skipped. */
    stack_netif(st, b)->up = false;
    r = stack_route4(st, IP4(198, 19, 1, 1));
    cr_assert_eq(r->prefix_len, 0);
    stack_destroy(st);
}

Test(route4, metric_breaks_ties_and_host_route)
{
    struct stack *st = stack_create(1, 0);
    int a = stack_add_netif(st, "a", NET_OUR_MAC, 1500, dummy_tx, NULL);
    stack_add_ip4(st, a, IP4(198, 18, 0, 2), 24);
    cr_assert_eq(stack_add_route4(st, 0, 0, IP4(198, 18, 0, 1), a), 0);
    cr_assert_eq(stack_add_route4(st, 0, 0, IP4(198, 18, 0, 3), a), 0);
    st->routes4[st->n_routes4 - 2].metric = 100;
    cr_assert_eq(stack_route4(st, IP4(8, 8, 8, 8))->gateway, IP4(198, 18, 0, 3));
    cr_assert_eq(stack_add_route4(st, IP4(198, 18, 5, 5), 32, IP4(198, 18, 0, 4), a), 0);
    cr_assert_eq(stack_route4(st, IP4(198, 18, 5, 5))->gateway, IP4(198, 18, 0, 4));
    cr_assert_eq(stack_route4(st, IP4(198, 18, 5, 6))->gateway, IP4(198, 18, 0, 3));
    cr_assert_eq(stack_add_route4(st, 0, 33, 0, a), -EINVAL);
    cr_assert_eq(stack_add_route4(st, 0, 0, 0, 7), -EINVAL);
    stack_destroy(st);
}

Test(route4, addresses_and_local_checks)
{
    struct stack *st = stack_create(1, 0);
    int a = stack_add_netif(st, "a", NET_OUR_MAC, 1500, dummy_tx, NULL);
    cr_assert_eq(stack_add_ip4(st, a, IP4(198, 18, 0, 2), 24), 0);
    cr_assert_eq(stack_add_ip4(st, a, IP4(198, 18, 0, 2), 24), -EEXIST);
    cr_assert_eq(stack_add_ip4(st, a, IP4(224, 0, 0, 1), 24), -EINVAL);
    cr_assert_eq(stack_add_ip4(st, a, 0, 24), -EINVAL);
    cr_assert_eq(stack_add_ip4(st, 5, IP4(198, 18, 0, 3), 24), -ENODEV);
    cr_assert(stack_is_local4(st, IP4(198, 18, 0, 2)));
    cr_assert(stack_is_local4(st, IP4(127, 0, 0, 9)));
    cr_assert_not(stack_is_local4(st, IP4(198, 18, 0, 3)));
    cr_assert(ip4_is_broadcast(st, IP4(198, 18, 0, 255)));
    cr_assert(ip4_is_broadcast(st, IP4(255, 255, 255, 255)));
    cr_assert_not(ip4_is_broadcast(st, IP4(198, 18, 1, 255)));
    cr_assert_eq(stack_source4(st, a, IP4(8, 8, 8, 8)), IP4(198, 18, 0, 2));
    cr_assert_eq(stack_add_ip4(st, a, IP4(198, 18, 9, 2), 24), 0);
    cr_assert_eq(stack_source4(st, a, IP4(198, 18, 9, 7)), IP4(198, 18, 9, 2), "same-subnet source");
    stack_destroy(st);
}

/* ---- input ---- */

Test(ipv4, echo_reply_and_validation_counters)
{
    struct netfix f;
    setup(&f);
    uint8_t icmp[64];
    size_t n = echo(icmp, 20);
    struct ipv4_hdr h = hdr(NET_PEER, NET_OUR, 1);
    feed_ip(&f, &h, icmp, n, NULL);
    cr_assert_eq(f.st->ctr.icmp_tx_echo_replies, 1);
    cr_assert_eq(f.cap.count, 1);
    capture_clear(&f.cap);
    /* TTL 0 and 1 are fine for a host (RFC 1122 3.2.1.7). */
    h.ttl = 0;
    feed_ip(&f, &h, icmp, n, NULL);
    cr_assert_eq(f.st->ctr.icmp_tx_echo_replies, 2);
    h.ttl = 64;
    /* Corrupt the header checksum by hand. */
    uint8_t frame[128];
    struct eth_hdr eh = {.type = ETHERTYPE_IPV4};
    memcpy(eh.dst, NET_OUR_MAC, 6);
    memcpy(eh.src, NET_PEER_MAC, 6);
    eth_emit(&eh, frame);
    h.total_len = (uint16_t)(20 + n);
    ipv4_emit(&h, frame + 14);
    memcpy(frame + 34, icmp, n);
    frame[14 + 10] ^= 1;
    stack_input(f.st, f.ifx, frame, 34 + n, f.now);
    cr_assert_eq(f.st->ctr.ip_rx_bad_checksum, 1);
    frame[14 + 10] ^= 1;
    frame[14] = 0x55; /* version 5 */
    stack_input(f.st, f.ifx, frame, 34 + n, f.now);
    cr_assert_eq(f.st->ctr.ip_rx_bad_version, 1);
    frame[14] = 0x45;
    stack_input(f.st, f.ifx, frame, 30, f.now); /* shorter than the total length */
    cr_assert_eq(f.st->ctr.ip_rx_bad_length, 1);
    /* Frames shorter than an Ethernet header. */
    stack_input(f.st, f.ifx, frame, 13, f.now);
    cr_assert_eq(f.st->ctr.eth_rx_short, 1);
    /* Not our MAC. */
    frame[0] = 0x02;
    frame[5] = 0x77;
    stack_input(f.st, f.ifx, frame, 34 + n, f.now);
    cr_assert_eq(f.st->ctr.eth_rx_not_for_us, 1);
    cr_assert_eq(f.st->ctr.icmp_tx_echo_replies, 2);
    teardown(&f);
}

/* Feeds an IPv4 packet whose header carries the given options (a multiple
 * of 4 bytes). */
static void feed_ip_opts(struct netfix *f, const struct ipv4_hdr *h, const uint8_t *opts, size_t olen,
                         const void *payload, size_t len)
{
    static uint8_t frame[2048];
    struct eth_hdr eh = {.type = ETHERTYPE_IPV4};
    memcpy(eh.dst, NET_OUR_MAC, 6);
    memcpy(eh.src, NET_PEER_MAC, 6);
    eth_emit(&eh, frame);
    uint8_t *ip = frame + ETH_HDR_LEN;
    struct ipv4_hdr hh = *h;
    hh.total_len = (uint16_t)(20 + olen + len);
    ipv4_emit(&hh, ip);
    ip[0] = (uint8_t)(0x40 | (20 + olen) / 4);
    memcpy(ip + 20, opts, olen);
    memcpy(ip + 20 + olen, payload, len);
    put16(ip + 10, 0);
    put16(ip + 10, csum_finish(csum_add(0, ip, 20 + olen)));
    stack_input(f->st, f->ifx, frame, ETH_HDR_LEN + 20 + olen + len, f->now);
}

/* Pops the next captured frame and parses its IPv4 header (NULL if none). */
static struct cap_frame *pop_ip(struct netfix *f, struct ipv4_hdr *h)
{
    struct cap_frame *fr = capture_pop(&f->cap);
    if (fr)
        cr_assert_eq(ipv4_parse(fr->data + ETH_HDR_LEN, fr->len - ETH_HDR_LEN, h, true), 0);
    return fr;
}

/* RFC 791 / RFC 1122 3.2.1.8: options we do not act on are skipped by their
 * length, and the transport finds its header after them. */
Test(ipv4, options_skipped_end_to_end)
{
    struct netfix f;
    setup(&f);
    uint8_t icmp[64];
    size_t n = echo(icmp, 24);
    struct ipv4_hdr h = hdr(NET_PEER, NET_OUR, 1);
    /* NOP, NOP, router alert (148, length 4), then a timestamp option
     * (68, length 12, pointer 5: room for two stamps), padding to 20. */
    static const uint8_t opts[20] = {1, 1, 148, 4, 0, 0, 68, 12, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    feed_ip_opts(&f, &h, opts, sizeof opts, icmp, n);
    cr_assert_eq(f.st->ctr.icmp_tx_echo_replies, 1, "the echo under the options was found");
    struct ipv4_hdr r;
    struct cap_frame *fr = pop_ip(&f, &r);
    cr_assert_not_null(fr);
    cr_assert_eq(r.dst, NET_PEER);
    cr_assert_eq(r.total_len, 20 + n);
    const uint8_t *ic = fr->data + ETH_HDR_LEN + r.hdr_len;
    cr_assert_eq(ic[0], ICMP_ECHO_REPLY);
    cr_assert(memcmp(ic + 4, icmp + 4, n - 4) == 0, "same identifier, sequence and data");
    free(fr);
    teardown(&f);
}

/* A malformed option (RFC 1122 3.2.2.5 SHOULD, as Linux): the datagram is
 * dropped and a parameter problem (code 0) points at the option; none
 * about a broadcast. */
Test(ipv4, malformed_option_gets_parameter_problem)
{
    struct netfix f;
    setup(&f);
    uint8_t icmp[64];
    size_t n = echo(icmp, 8);
    struct ipv4_hdr h = hdr(NET_PEER, NET_OUR, 1);
    /* NOP, NOP, then an option of length 0 at header byte 22. */
    static const uint8_t opts[4] = {1, 1, 7, 0};
    feed_ip_opts(&f, &h, opts, sizeof opts, icmp, n);
    cr_assert_eq(f.st->ctr.ip_rx_bad_header, 1);
    cr_assert_eq(f.st->ctr.icmp_tx_echo_replies, 0);
    struct ipv4_hdr r;
    struct cap_frame *fr = pop_ip(&f, &r);
    cr_assert_not_null(fr);
    const uint8_t *ic = fr->data + ETH_HDR_LEN + r.hdr_len;
    cr_assert_eq(ic[0], ICMP_PARAM_PROBLEM);
    cr_assert_eq(ic[1], 0);
    cr_assert_eq(ic[4], 22, "the pointer names the bad option");
    cr_assert_eq(ic[8], 0x46, "the quote starts with the offending header");
    free(fr);
    /* An option running past the header: pointer at its type byte. */
    static const uint8_t overrun[4] = {68, 40, 5, 0};
    feed_ip_opts(&f, &h, overrun, sizeof overrun, icmp, n);
    fr = pop_ip(&f, &r);
    cr_assert_not_null(fr);
    cr_assert_eq(fr->data[ETH_HDR_LEN + r.hdr_len + 4], 20);
    free(fr);
    /* To the subnet broadcast: dropped, nothing said. */
    h.dst = IP4(198, 18, 0, 255);
    feed_ip_opts(&f, &h, opts, sizeof opts, icmp, n);
    cr_assert_eq(f.st->ctr.ip_rx_bad_header, 3);
    cr_assert_eq(f.cap.count, 0);
    teardown(&f);
}

/* RFC 1122 3.2.1.7: the TTL is configurable (the stack's default, a
 * socket's IP_TTL) and never 0; 3.2.2.7-3.2.2.9: information, timestamp and
 * address mask requests are not answered (address mask replies MUST NOT be
 * sent by a host that is not authoritative). */
Test(ipv4, ttl_configurable_and_queries_unanswered)
{
    struct netfix f;
    setup(&f);
    uint8_t icmp[64];
    size_t n = echo(icmp, 8);
    struct ipv4_hdr h = hdr(NET_PEER, NET_OUR, 1);
    feed_ip(&f, &h, icmp, n, NULL);
    struct ipv4_hdr r;
    struct cap_frame *fr = pop_ip(&f, &r);
    cr_assert_not_null(fr);
    cr_assert_eq(r.ttl, IP4_DEFAULT_TTL);
    free(fr);
    f.st->cfg.ip_default_ttl = 200;
    feed_ip(&f, &h, icmp, n, NULL);
    fr = pop_ip(&f, &r);
    cr_assert_not_null(fr);
    cr_assert_eq(r.ttl, 200, "the stack's default is configurable");
    free(fr);
    /* A socket's own TTL (UDP here). */
    struct sock *s;
    cr_assert_eq(sock_create(f.st, AF_INET, SOCK_DGRAM, 0, &s), 0);
    int ttl = 7;
    cr_assert_eq(sock_setsockopt(s, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl), 0);
    struct endpoint to = {.addr = ip4(NET_PEER), .port = 9};
    cr_assert_eq(sock_send(s, "x", 1, 0, &to), 1);
    fr = pop_ip(&f, &r);
    cr_assert_not_null(fr);
    cr_assert_eq(r.ttl, 7);
    free(fr);
    /* Never a TTL of 0 on the wire: 0 is refused (Linux: EINVAL), -1 asks
     * for the default. */
    ttl = 0;
    cr_assert_eq(sock_setsockopt(s, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl), -EINVAL);
    ttl = -1;
    cr_assert_eq(sock_setsockopt(s, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl), 0);
    cr_assert_eq(sock_send(s, "y", 1, 0, &to), 1);
    fr = pop_ip(&f, &r);
    cr_assert_not_null(fr);
    cr_assert_eq(r.ttl, 200);
    free(fr);
    sock_close(s);
    /* Timestamp (13), information (15), address mask (17) requests. */
    const uint8_t queries[3] = {ICMP_TIMESTAMP, 15, 17};
    for (int i = 0; i < 3; i++) {
        uint8_t q[20] = {queries[i], 0, 0, 0, 0, 1, 0, 1};
        put16(q + 2, 0);
        put16(q + 2, csum_finish(csum_add(0, q, sizeof q)));
        feed_ip(&f, &h, q, sizeof q, NULL);
    }
    cr_assert_eq(f.st->ctr.icmp_rx_ignored, 3);
    cr_assert_eq(f.cap.count, 0, "none answered");
    teardown(&f);
}

/* A source route with addresses left (RFC 1122 3.3.5): we would be a hop,
 * and a host that does not forward drops it, saying "source route failed"
 * (destination unreachable code 5).  Loose and strict alike; never about a
 * broadcast. */
Test(ipv4, source_route_not_completed_is_refused)
{
    struct netfix f;
    setup(&f);
    uint8_t icmp[64];
    size_t n = echo(icmp, 8);
    struct ipv4_hdr h = hdr(NET_PEER, NET_OUR, 1);
    /* LSRR: length 7, pointer 4: one address (10.1.2.3) still to visit; EOL. */
    uint8_t opts[8] = {IPV4_OPT_LSRR, 7, 4, 10, 1, 2, 3, 0};
    for (int k = 0; k < 2; k++) {
        opts[0] = k ? IPV4_OPT_SSRR : IPV4_OPT_LSRR;
        feed_ip_opts(&f, &h, opts, sizeof opts, icmp, n);
        cr_assert_eq(f.st->ctr.icmp_tx_echo_replies, 0, "not delivered");
        cr_assert_eq(f.st->ctr.ip_rx_source_route, (uint64_t)k + 1);
        struct ipv4_hdr r;
        struct cap_frame *fr = pop_ip(&f, &r);
        cr_assert_not_null(fr, "an error goes back");
        const uint8_t *ic = fr->data + ETH_HDR_LEN + r.hdr_len;
        cr_assert_eq(ic[0], ICMP_DEST_UNREACH);
        cr_assert_eq(ic[1], ICMP_SR_FAILED);
        cr_assert_eq(r.dst, NET_PEER);
        cr_assert_eq(ic[8] >> 4, 4, "it quotes the datagram");
        free(fr);
        cr_assert_null(capture_pop(&f.cap));
    }
    /* To the broadcast address: dropped, no error. */
    h.dst = IP4(198, 18, 0, 255);
    feed_ip_opts(&f, &h, opts, sizeof opts, icmp, n);
    cr_assert_eq(f.st->ctr.ip_rx_source_route, 3);
    cr_assert_eq(f.cap.count, 0);
    teardown(&f);
}

/* A completed source route makes us the final destination (RFC 1122
 * 3.2.1.8c): the datagram is delivered, and an echo request is answered
 * along the reversed route (3.2.2.6): from S by {G1, G2}, the reply goes to
 * G2 with the route {G1, S}, pointer at its start. */
Test(ipv4, completed_source_route_delivered_and_echo_reversed)
{
    struct netfix f;
    setup(&f);
    uint8_t icmp[64];
    size_t n = echo(icmp, 16);
    const uint32_t S = IP4(203, 0, 113, 9), G1 = IP4(10, 9, 8, 7), G2 = NET_PEER;
    struct ipv4_hdr h = hdr(S, NET_OUR, 1);
    /* LSRR: length 11, pointer 12 (> length: completed), {G1, G2}; EOL. */
    uint8_t opts[12] = {IPV4_OPT_LSRR, 11, 12};
    put32(opts + 3, G1);
    put32(opts + 7, G2);
    feed_ip_opts(&f, &h, opts, sizeof opts, icmp, n);
    cr_assert_eq(f.st->ctr.ip_rx_source_route, 0);
    cr_assert_eq(f.st->ctr.icmp_tx_echo_replies, 1);
    struct ipv4_hdr r;
    struct cap_frame *fr = pop_ip(&f, &r);
    cr_assert_not_null(fr);
    cr_assert_eq(r.src, NET_OUR);
    cr_assert_eq(r.dst, G2, "the first hop back is the last hop in");
    cr_assert_eq(r.hdr_len, 32);
    const uint8_t *o = fr->data + ETH_HDR_LEN + 20;
    cr_assert_eq(o[0], IPV4_OPT_LSRR);
    cr_assert_eq(o[1], 11);
    cr_assert_eq(o[2], 4);
    cr_assert_eq(get32(o + 3), G1);
    cr_assert_eq(get32(o + 7), S, "the route ends at the requester");
    const uint8_t *ic = fr->data + ETH_HDR_LEN + r.hdr_len;
    cr_assert_eq(ic[0], ICMP_ECHO_REPLY);
    cr_assert_eq(r.total_len, r.hdr_len + n);
    cr_assert(memcmp(ic + 4, icmp + 4, n - 4) == 0);
    free(fr);
    teardown(&f);
}

/* The first hop back is the last address of a route the requester wrote:
 * a hostile echo request must not make us send to a broadcast, multicast,
 * loopback, unspecified or own address (every other reply goes to the
 * martian-checked source).  Such a request gets no reply. */
Test(ipv4, source_routed_echo_never_answered_to_a_martian_hop)
{
    struct netfix f;
    setup(&f);
    uint8_t icmp[64];
    size_t n = echo(icmp, 16);
    const uint32_t S = IP4(203, 0, 113, 9);
    const uint32_t bad[] = {IP4(255, 255, 255, 255), IP4(198, 18, 0, 255), IP4(224, 0, 0, 1),
                            IP4(127, 0, 0, 1), NET_OUR, 0, IP4(240, 0, 0, 1)};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ipv4_hdr h = hdr(S, NET_OUR, 1);
        uint8_t opts[8] = {IPV4_OPT_LSRR, 7, 8};   /* completed: {Gn}; EOL */
        put32(opts + 3, bad[i]);
        feed_ip_opts(&f, &h, opts, sizeof opts, icmp, n);
        stack_poll(f.st, f.now);
        cr_assert_eq(f.st->ctr.icmp_tx_echo_replies, 0, "hop %zu: a reply went to %08x", i, bad[i]);
        cr_assert_eq(f.cap.count, 0, "hop %zu: a frame went out", i);
    }
    teardown(&f);
}

Test(ipv4, martians_and_strangers_dropped)
{
    struct netfix f;
    setup(&f);
    uint8_t icmp[64];
    size_t n = echo(icmp, 8);
    uint32_t bad_src[] = {IP4(224, 0, 0, 5), IP4(127, 0, 0, 1), IP4(255, 255, 255, 255),
                          IP4(198, 18, 0, 255), IP4(240, 0, 0, 1), 0};
    for (size_t i = 0; i < sizeof bad_src / sizeof bad_src[0]; i++) {
        struct ipv4_hdr h = hdr(bad_src[i], NET_OUR, 1);
        feed_ip(&f, &h, icmp, n, NULL);
    }
    cr_assert_eq(f.st->ctr.ip_rx_bad_source, 6);
    struct ipv4_hdr h = hdr(NET_PEER, IP4(198, 18, 0, 99), 1);
    feed_ip(&f, &h, icmp, n, NULL);
    h = hdr(NET_PEER, IP4(127, 0, 0, 1), 1); /* 127/8 from a wire is not ours */
    feed_ip(&f, &h, icmp, n, NULL);
    cr_assert_eq(f.st->ctr.ip_rx_not_for_us, 2);
    cr_assert_eq(f.cap.count, 0);
    cr_assert_eq(f.st->ctr.icmp_rx, 0);
    teardown(&f);
}

Test(ipv4, broadcast_ping_ignored_by_default)
{
    struct netfix f;
    setup(&f);
    uint8_t icmp[64];
    size_t n = echo(icmp, 8);
    struct ipv4_hdr h = hdr(NET_PEER, IP4(198, 18, 0, 255), 1);
    feed_ip(&f, &h, icmp, n, eth_broadcast);
    h.dst = IP4(255, 255, 255, 255);
    feed_ip(&f, &h, icmp, n, eth_broadcast);
    cr_assert_eq(f.st->ctr.icmp_rx_echo_requests, 2, "accepted by IP");
    cr_assert_eq(f.cap.count, 0, "but not answered");
    f.st->cfg.icmp_echo_ignore_broadcasts = false;
    feed_ip(&f, &h, icmp, n, eth_broadcast);
    cr_assert_eq(f.cap.count, 1);
    struct cap_frame *fr = capture_pop(&f.cap);
    struct ipv4_hdr r;
    cr_assert_eq(ipv4_parse(fr->data + 14, fr->len - 14, &r, true), 0);
    cr_assert_eq(r.src, NET_OUR, "answered from our address on that link");
    free(fr);
    teardown(&f);
}

static void expect_unreach(struct netfix *f, uint8_t code, uint32_t to)
{
    struct cap_frame *fr = capture_pop(&f->cap);
    cr_assert_not_null(fr);
    struct ipv4_hdr r;
    cr_assert_eq(ipv4_parse(fr->data + 14, fr->len - 14, &r, true), 0);
    cr_assert_eq(r.proto, 1);
    cr_assert_eq(r.dst, to);
    struct icmp_hdr ic;
    cr_assert_eq(icmp_parse(fr->data + 14 + r.hdr_len, r.total_len - r.hdr_len, &ic, true), 0);
    cr_assert_eq(ic.type, ICMP_DEST_UNREACH);
    cr_assert_eq(ic.code, code);
    /* The quote: the original header and at least 8 bytes after it. */
    cr_assert_geq(ic.data_len, 28);
    cr_assert_eq(ic.data[0], 0x45);
    free(fr);
}

Test(ipv4, protocol_unreachable_unless_raw_socket)
{
    struct netfix f;
    setup(&f);
    uint8_t data[16] = {1, 2, 3};
    struct ipv4_hdr h = hdr(NET_PEER, NET_OUR, 253);
    feed_ip(&f, &h, data, sizeof data, NULL);
    cr_assert_eq(f.st->ctr.ip_rx_unknown_proto, 1);
    expect_unreach(&f, ICMP_PROTO_UNREACH, NET_PEER);
    /* Broadcast: no error (RFC 1122 3.2.2). */
    h.dst = IP4(198, 18, 0, 255);
    feed_ip(&f, &h, data, sizeof data, eth_broadcast);
    cr_assert_eq(f.cap.count, 0);
    /* A raw socket of that protocol takes it: no error. */
    struct sock *s;
    cr_assert_eq(sock_create(f.st, AF_INET, SOCK_RAW, 253, &s), 0);
    h.dst = NET_OUR;
    feed_ip(&f, &h, data, sizeof data, NULL);
    cr_assert_eq(f.cap.count, 0);
    uint8_t got[64];
    cr_assert_eq(sock_recv(s, got, sizeof got, 0, NULL, NULL), 20 + 16);
    cr_assert_eq(got[9], 253);
    sock_close(s);
    teardown(&f);
}

Test(ipv4, no_error_about_icmp_errors)
{
    struct netfix f;
    setup(&f);
    /* A port unreachable about a UDP datagram we never sent: ICMP takes it
     * (and finds no socket); we must not answer an error with an error. */
    uint8_t msg[64] = {0};
    struct ipv4_hdr q = hdr(NET_OUR, NET_PEER, 17);
    q.total_len = 28;
    ipv4_emit(&q, msg + 8);
    struct icmp_hdr ic = {.type = ICMP_DEST_UNREACH, .code = ICMP_PORT_UNREACH, .data = msg + 8, .data_len = 28};
    size_t n = icmp_emit(&ic, msg);
    struct ipv4_hdr h = hdr(NET_PEER, NET_OUR, 1);
    feed_ip(&f, &h, msg, n, NULL);
    cr_assert_eq(f.st->ctr.icmp_rx_errors, 1);
    cr_assert_eq(f.cap.count, 0);
    teardown(&f);
}

/* RFC 1122 3.2.2: no ICMP error about a datagram sent as a link-layer
 * broadcast (even to our unicast address), about one to a multicast
 * address, nor about a fragment other than the first. */
Test(ipv4, no_error_about_link_broadcast_multicast_or_later_fragments)
{
    struct netfix f;
    setup(&f);
    uint8_t data[16] = {1, 2, 3};
    static const uint8_t allhosts_mac[6] = {0x01, 0x00, 0x5e, 0, 0, 1};
    struct ipv4_hdr h = hdr(NET_PEER, NET_OUR, 253);
    /* The control: unicast in a unicast frame gets protocol unreachable. */
    feed_ip(&f, &h, data, sizeof data, NULL);
    expect_unreach(&f, ICMP_PROTO_UNREACH, NET_PEER);
    /* Our unicast address, but in a broadcast frame: taken in, no error. */
    feed_ip(&f, &h, data, sizeof data, eth_broadcast);
    cr_assert_eq(f.st->ctr.ip_rx_unknown_proto, 2);
    cr_assert_eq(f.cap.count, 0);
    /* To all-hosts (224.0.0.1), which every host receives. */
    h.dst = IP4(224, 0, 0, 1);
    feed_ip(&f, &h, data, sizeof data, allhosts_mac);
    cr_assert_eq(f.st->ctr.ip_rx_unknown_proto, 3);
    cr_assert_eq(f.cap.count, 0);
    /* UDP to a closed port in a broadcast frame: no port unreachable. */
    uint8_t u[12] = {0x30, 0x39, 0x00, 0x09, 0, 12, 0, 0, 'a', 'b', 'c', 'd'};
    h = hdr(NET_PEER, NET_OUR, 17);
    feed_ip(&f, &h, u, sizeof u, eth_broadcast);
    cr_assert_eq(f.st->ctr.udp_rx_no_port, 1);
    cr_assert_eq(f.cap.count, 0);
    /* A source route not completed: refused with code 5 in its first
     * fragment, silently in a later one. */
    uint8_t opts[8] = {IPV4_OPT_LSRR, 7, 4, 10, 1, 2, 3, 0};
    h = hdr(NET_PEER, NET_OUR, 253);
    h.mf = true;
    feed_ip_opts(&f, &h, opts, sizeof opts, data, sizeof data);
    cr_assert_eq(f.cap.count, 1, "first fragment: source route failed");
    capture_clear(&f.cap);
    h.mf = false;
    h.frag_off = 16;
    feed_ip_opts(&f, &h, opts, sizeof opts, data, sizeof data);
    cr_assert_eq(f.st->ctr.ip_rx_source_route, 2);
    cr_assert_eq(f.cap.count, 0, "later fragment: nothing");
    teardown(&f);
}

Test(ipv4, unreachable_rate_limited)
{
    struct netfix f;
    setup(&f);
    f.st->cfg.icmp_rate_burst = 3;
    f.st->cfg.icmp_rate_ms = 1000;
    /* re-seed the bucket with the new burst by draining the old one */
    uint8_t data[8] = {0};
    struct ipv4_hdr h = hdr(NET_PEER, NET_OUR, 253);
    for (int i = 0; i < 100; i++)
        feed_ip(&f, &h, data, sizeof data, NULL);
    uint64_t sent = f.st->ctr.icmp_tx_unreachables;
    cr_assert_leq(sent, ICMP_RATE_BURST);
    cr_assert_eq(sent + f.st->ctr.icmp_tx_ratelimited, 100);
    /* One token per second comes back. */
    f.now += 1000000;
    feed_ip(&f, &h, data, sizeof data, NULL);
    feed_ip(&f, &h, data, sizeof data, NULL);
    cr_assert_eq(f.st->ctr.icmp_tx_unreachables, sent + 1);
    /* rate 0 = unlimited */
    f.st->cfg.icmp_rate_ms = 0;
    feed_ip(&f, &h, data, sizeof data, NULL);
    cr_assert_eq(f.st->ctr.icmp_tx_unreachables, sent + 2);
    teardown(&f);
}

/* ---- output ---- */

Test(ipv4, df_too_big_is_emsgsize_else_fragmented)
{
    struct netfix f;
    setup(&f);
    struct pkt *p = pkt_alloc(3000);
    memset(pkt_put(p, 3000), 0x11, 3000);
    struct ip_tx tx = {.dst = ip4(NET_PEER), .proto = 253, .df = true, .ifindex = -1};
    cr_assert_eq(ip_output(f.st, p, &tx), -EMSGSIZE);
    cr_assert_eq(f.st->ctr.ip_frag_df_drops, 1);
    p = pkt_alloc(3000);
    memset(pkt_put(p, 3000), 0x11, 3000);
    tx.df = false;
    cr_assert_eq(ip_output(f.st, p, &tx), 0);
    cr_assert_eq(f.cap.count, 3);
    size_t total = 0;
    uint16_t id = 0;
    for (int i = 0; i < 3; i++) {
        struct cap_frame *fr = capture_pop(&f.cap);
        cr_assert_leq(fr->len - 14, 1500);
        struct ipv4_hdr r;
        cr_assert_eq(ipv4_parse(fr->data + 14, fr->len - 14, &r, true), 0);
        cr_assert_eq(r.frag_off, total);
        cr_assert_eq(r.mf, i < 2);
        if (i == 0)
            id = r.id;
        cr_assert_eq(r.id, id, "one ID for all fragments");
        if (r.mf)
            cr_assert_eq((r.total_len - 20) % 8, 0);
        total += r.total_len - 20u;
        free(fr);
    }
    cr_assert_eq(total, 3000);
    teardown(&f);
}

Test(ipv4, frag_needed_lowers_path_mtu)
{
    struct netfix f;
    setup(&f);
    struct ipaddr peer = ip4(NET_PEER);
    cr_assert_eq(ip_path_mtu(f.st, &peer), 1500);
    uint8_t msg[64] = {0};
    struct ipv4_hdr q = hdr(NET_OUR, NET_PEER, 6);
    q.total_len = 1500;
    ipv4_emit(&q, msg + 8);
    struct icmp_hdr ic = {.type = ICMP_DEST_UNREACH, .code = ICMP_FRAG_NEEDED, .rest = 1280,
                          .data = msg + 8, .data_len = 28};
    size_t n = icmp_emit(&ic, msg);
    struct ipv4_hdr h = hdr(IP4(198, 18, 0, 1), NET_OUR, 1);
    feed_ip(&f, &h, msg, n, NULL);
    cr_assert_eq(ip_path_mtu(f.st, &peer), 1280);
    /* Absurd values are ignored (RFC 1191: never below 68). */
    ic.rest = 40;
    n = icmp_emit(&ic, msg);
    feed_ip(&f, &h, msg, n, NULL);
    cr_assert_eq(ip_path_mtu(f.st, &peer), 1280);
    /* Forgotten after IP4_PMTU_EXPIRE_MS. */
    f.now += (uint64_t)IP4_PMTU_EXPIRE_MS * 1000 + 1;
    stack_poll(f.st, f.now);
    cr_assert_eq(ip_path_mtu(f.st, &peer), 1500);
    teardown(&f);
}

/* Sends `len` payload bytes of protocol 253 to NET_PEER with DF asked. */
static void send_df(struct netfix *f, size_t len)
{
    struct pkt *p = pkt_alloc(len);
    memset(pkt_put(p, len), 0x5a, len);
    struct ip_tx tx = {.dst = ip4(NET_PEER), .proto = 253, .df = true, .ifindex = -1};
    cr_assert_eq(ip_output(f->st, p, &tx), 0);
}

/* A "fragmentation needed" below 552 bytes (Linux's min_pmtu) is taken as
 * 552 and the path is then used without DF, so routers fragment: a forged
 * ICMP cannot make TCP send slivers, nor black-hole it with an MTU its
 * smallest segment cannot meet. */
Test(ipv4, frag_needed_floor_552_then_no_df)
{
    struct netfix f;
    setup(&f);
    struct ipaddr peer = ip4(NET_PEER);
    uint8_t msg[64] = {0};
    struct ipv4_hdr q = hdr(NET_OUR, NET_PEER, 6);
    q.total_len = 1500;
    ipv4_emit(&q, msg + 8);
    struct icmp_hdr ic = {.type = ICMP_DEST_UNREACH, .code = ICMP_FRAG_NEEDED, .rest = 1280,
                          .data = msg + 8, .data_len = 28};
    size_t n = icmp_emit(&ic, msg);
    struct ipv4_hdr h = hdr(IP4(198, 18, 0, 1), NET_OUR, 1);
    feed_ip(&f, &h, msg, n, NULL);
    cr_assert_eq(ip_path_mtu(f.st, &peer), 1280);
    capture_clear(&f.cap);
    /* An ordinary path MTU: DF stays (path MTU discovery goes on). */
    send_df(&f, 1000);
    struct cap_frame *fr = capture_pop(&f.cap);
    cr_assert_not_null(fr);
    cr_assert(fr->data[14 + 6] & 0x40, "DF set");
    free(fr);
    /* 300: floored to 552, and locked. */
    ic.rest = 300;
    n = icmp_emit(&ic, msg);
    feed_ip(&f, &h, msg, n, NULL);
    cr_assert_eq(ip_path_mtu(f.st, &peer), 552);
    capture_clear(&f.cap);
    send_df(&f, 500);
    fr = capture_pop(&f.cap);
    cr_assert_not_null(fr);
    cr_assert_eq(fr->data[14 + 6] & 0x40, 0, "no DF on a locked path");
    cr_assert_eq(get16(fr->data + 14 + 2), 520, "whole, not fragmented");
    free(fr);
    cr_assert_null(capture_pop(&f.cap));
    teardown(&f);
}

Test(ipv4, broadcast_goes_to_broadcast_mac)
{
    struct netfix f;
    setup(&f);
    struct pkt *p = pkt_alloc(8);
    memset(pkt_put(p, 8), 0, 8);
    struct ip_tx tx = {.dst = ip4(IP4(198, 18, 0, 255)), .proto = 253, .ifindex = -1};
    cr_assert_eq(ip_output(f.st, p, &tx), 0);
    struct cap_frame *fr = capture_pop(&f.cap);
    cr_assert_not_null(fr);
    cr_assert(eth_is_broadcast(fr->data));
    free(fr);
    cr_assert_eq(f.st->ctr.arp_tx_requests, 0);
    teardown(&f);
}

/* ---- reassembly ---- */

/* A 2000-byte payload of protocol 253, its bytes a known pattern. */
static uint8_t pattern[3000];

static void feed_frag(struct netfix *f, uint16_t id, size_t off, size_t len, bool mf, uint8_t xor_)
{
    uint8_t tmp[3000];
    memcpy(tmp, pattern + off, len);
    if (xor_)
        tmp[0] ^= xor_;
    struct ipv4_hdr h = hdr(NET_PEER, NET_OUR, 253);
    h.id = id;
    h.frag_off = (uint16_t)off;
    h.mf = mf;
    feed_ip(f, &h, tmp, len, NULL);
}

static struct sock *raw253(struct netfix *f)
{
    for (size_t i = 0; i < sizeof pattern; i++)
        pattern[i] = (uint8_t)(i * 31 + 7);
    struct sock *s;
    cr_assert_eq(sock_create(f->st, AF_INET, SOCK_RAW, 253, &s), 0);
    return s;
}

static void expect_whole(struct sock *s, size_t len)
{
    static uint8_t got[70000];
    ssize_t n = sock_recv(s, got, sizeof got, 0, NULL, NULL);
    cr_assert_eq(n, (ssize_t)(20 + len), "got %zd", n);
    struct ipv4_hdr h;
    cr_assert_eq(ipv4_parse(got, (size_t)n, &h, true), 0, "reassembled header valid");
    cr_assert_not(ipv4_is_fragment(&h));
    cr_assert_eq(memcmp(got + 20, pattern, len), 0);
}

Test(reass, in_order)
{
    struct netfix f;
    setup(&f);
    struct sock *s = raw253(&f);
    feed_frag(&f, 1, 0, 800, true, 0);
    feed_frag(&f, 1, 800, 800, true, 0);
    cr_assert_eq(ip4_reass_count(f.st), 1);
    feed_frag(&f, 1, 1600, 400, false, 0);
    expect_whole(s, 2000);
    cr_assert_eq(f.st->ctr.ip_reass_ok, 1);
    cr_assert_eq(ip4_reass_count(f.st), 0);
    cr_assert_eq(ip4_reass_bytes(f.st), 0);
    sock_close(s);
    teardown(&f);
}

Test(reass, out_of_order_and_duplicates)
{
    struct netfix f;
    setup(&f);
    struct sock *s = raw253(&f);
    feed_frag(&f, 2, 1600, 400, false, 0);
    feed_frag(&f, 2, 800, 800, true, 0);
    feed_frag(&f, 2, 800, 800, true, 0); /* exact duplicate */
    feed_frag(&f, 2, 400, 800, true, 0); /* overlaps, same bytes */
    cr_assert_eq(sock_recv(s, pattern + 2500, 1, MSG_PEEK, NULL, NULL), -EAGAIN);
    feed_frag(&f, 2, 0, 800, true, 0);
    expect_whole(s, 2000);
    cr_assert_eq(f.st->ctr.ip_reass_dups, 3); /* the last one overlaps [400, 800) too */
    cr_assert_eq(f.st->ctr.ip_reass_overlaps, 0);
    sock_close(s);
    teardown(&f);
}

Test(reass, inconsistent_overlap_drops_datagram)
{
    struct netfix f;
    setup(&f);
    struct sock *s = raw253(&f);
    feed_frag(&f, 3, 0, 800, true, 0);
    feed_frag(&f, 3, 400, 800, true, 0x55); /* different bytes at 400 */
    cr_assert_eq(f.st->ctr.ip_reass_overlaps, 1);
    cr_assert_eq(ip4_reass_count(f.st), 0);
    /* The rest arrives: no datagram comes out of it. */
    feed_frag(&f, 3, 1200, 800, false, 0);
    uint8_t b[8];
    cr_assert_eq(sock_recv(s, b, sizeof b, 0, NULL, NULL), -EAGAIN);
    sock_close(s);
    teardown(&f);
}

Test(reass, contradicting_ends_and_bad_sizes)
{
    struct netfix f;
    setup(&f);
    struct sock *s = raw253(&f);
    /* Two different "last" fragments. */
    feed_frag(&f, 4, 1600, 400, false, 0);
    feed_frag(&f, 4, 800, 400, false, 0);
    cr_assert_eq(f.st->ctr.ip_reass_overlaps, 1);
    /* A fragment beyond a known end. */
    feed_frag(&f, 5, 0, 800, false + 0, 0); /* not a fragment at all: delivered whole */
    expect_whole(s, 800);
    feed_frag(&f, 6, 800, 400, false, 0);
    feed_frag(&f, 6, 1200, 800, true, 0);
    cr_assert_eq(f.st->ctr.ip_reass_overlaps, 2);
    /* Non-final fragment whose length is not a multiple of 8. */
    feed_frag(&f, 7, 0, 801, true, 0);
    cr_assert_eq(f.st->ctr.ip_reass_bad, 1);
    /* Beyond 65535 bytes in all. */
    struct ipv4_hdr h = hdr(NET_PEER, NET_OUR, 253);
    h.id = 8;
    h.frag_off = 65528;
    h.mf = false;
    feed_ip(&f, &h, pattern, 100, NULL);
    cr_assert_eq(f.st->ctr.ip_reass_bad, 2);
    cr_assert_eq(ip4_reass_count(f.st), 0);
    sock_close(s);
    teardown(&f);
}

Test(reass, timeout_sends_time_exceeded_and_frees)
{
    struct netfix f;
    setup(&f);
    struct sock *s = raw253(&f);
    feed_frag(&f, 9, 0, 800, true, 0);
    feed_frag(&f, 10, 800, 800, true, 0); /* no first fragment */
    cr_assert_eq(ip4_reass_count(f.st), 2);
    f.now += (uint64_t)IP4_REASS_TIMEOUT_MS * 1000 - 1000;
    stack_poll(f.st, f.now);
    cr_assert_eq(ip4_reass_count(f.st), 2, "not yet");
    f.now += 2000;
    stack_poll(f.st, f.now);
    cr_assert_eq(ip4_reass_count(f.st), 0);
    cr_assert_eq(f.st->ctr.ip_reass_timeouts, 2);
    cr_assert_eq(ip4_reass_bytes(f.st), 0);
    /* One time exceeded (code 1), for the datagram whose first fragment came. */
    cr_assert_eq(f.cap.count, 1);
    struct cap_frame *fr = capture_pop(&f.cap);
    cr_assert_eq(fr->data[14 + 20], ICMP_TIME_EXCEEDED);
    cr_assert_eq(fr->data[14 + 21], ICMP_EXC_FRAGTIME);
    free(fr);
    sock_close(s);
    teardown(&f);
}

/* RFC 1122 3.2.2: no ICMP error about a datagram that came as a link-layer
 * broadcast, the reassembly timeout's Time Exceeded included. */
Test(reass, timeout_silent_for_link_broadcast_first_fragment)
{
    struct netfix f;
    setup(&f);
    struct sock *s = raw253(&f);
    struct ipv4_hdr h = hdr(NET_PEER, NET_OUR, 253);
    h.id = 11;
    h.mf = true;
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    feed_ip(&f, &h, pattern, 800, bcast);
    cr_assert_eq(ip4_reass_count(f.st), 1, "the first fragment was taken in");
    f.now += (uint64_t)IP4_REASS_TIMEOUT_MS * 1000 + 1000;
    stack_poll(f.st, f.now);
    cr_assert_eq(f.st->ctr.ip_reass_timeouts, 1);
    cr_assert_eq(f.cap.count, 0, "no time exceeded about a link-layer broadcast");
    sock_close(s);
    teardown(&f);
}

Test(reass, memory_and_count_caps)
{
    struct netfix f;
    setup(&f);
    struct sock *s = raw253(&f);
    /* Many datagrams in progress: never more than the cap. */
    for (int id = 100; id < 100 + IP4_REASS_MAX_DGRAMS + 30; id++)
        feed_frag(&f, (uint16_t)id, 800, 800, true, 0);
    cr_assert_leq(ip4_reass_count(f.st), IP4_REASS_MAX_DGRAMS);
    cr_assert_geq(f.st->ctr.ip_reass_over_cap, 30);
    /* A small memory cap: old datagrams are evicted, bytes stay under it. */
    f.st->cfg.ip4_reass_max_bytes = 64 * 1024;
    for (int id = 300; id < 400; id++) {
        feed_frag(&f, (uint16_t)id, 8000, 800, true, 0);
        cr_assert_leq(ip4_reass_bytes(f.st), 64 * 1024);
    }
    /* Too many fragments for one datagram. */
    for (int i = 0; i < IP4_REASS_MAX_FRAGS + 1; i++)
        feed_frag(&f, 999, 0, 8, true, 0);
    cr_assert_eq(ip4_reass_count(f.st) <= IP4_REASS_MAX_DGRAMS, true);
    /* A legitimate datagram still gets through afterwards. */
    f.st->cfg.ip4_reass_max_bytes = IP4_REASS_MAX_BYTES;
    feed_frag(&f, 5000, 0, 800, true, 0);
    feed_frag(&f, 5000, 800, 200, false, 0);
    expect_whole(s, 1000);
    sock_close(s);
    teardown(&f);
}
