/* ICMP errors reaching TCP (RFC 1122 4.2.3.9, RFC 9293 3.9 "ICMP messages",
 * RFC 5927): hard errors (destination unreachable 2-4; ICMPv6 1 and 4) abort
 * a connection being opened; soft errors (unreachable 0, 1, 5, time
 * exceeded, parameter problem) MUST NOT abort it, and are reported to the
 * application only if the connection then times out (Linux's sk_err_soft);
 * errors quoting a sequence number not in flight are not believed.
 *
 * One stack on a captured interface: the test plays the peer and the routers
 * by hand, quoting the SYN tapir sent. */
#include <criterion/criterion.h>
#include <errno.h>
#include <sys/socket.h>

#include "net_helpers.h"
#include "stack/socket.h"
#include "stack/tcp/tcp.h"
#include "stack/wire/eth.h"
#include "stack/wire/icmp.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/tcp.h"

#define ROUTER IP4(198, 18, 0, 254)

struct conn {
    struct netfix f;
    struct sock *s;
    uint8_t syn[60];           /* the SYN's IP header and TCP header, as sent */
    size_t syn_len;
    uint16_t lport;
    uint32_t iss;
};

static void feed_ip(struct netfix *f, uint32_t src, uint8_t proto, const uint8_t *payload, size_t len)
{
    static uint8_t frame[2048];
    struct eth_hdr eh = {.type = ETHERTYPE_IPV4};
    memcpy(eh.dst, NET_OUR_MAC, 6);
    memcpy(eh.src, NET_PEER_MAC, 6);
    eth_emit(&eh, frame);
    struct ipv4_hdr h = {.ttl = 64, .proto = proto, .src = src, .dst = NET_OUR, .id = 9,
                         .total_len = (uint16_t)(20 + len)};
    ipv4_emit(&h, frame + ETH_HDR_LEN);
    memcpy(frame + ETH_HDR_LEN + 20, payload, len);
    stack_input(f->st, f->ifx, frame, ETH_HDR_LEN + 20 + len, f->now);
}

/* A socket in SYN-SENT towards NET_PEER:80; the SYN is kept for quoting. */
static void open_syn_sent(struct conn *c)
{
    netfix_setup(&c->f, 5, 1000000, NETFIX_IPV4_ONLY | NETFIX_STATIC_PEER);
    cr_assert_eq(sock_create(c->f.st, TP_AF_INET, SOCK_STREAM, 0, &c->s), 0);
    struct endpoint peer = {.addr = ip4(NET_PEER), .port = 80};
    cr_assert_eq(sock_connect(c->s, &peer), -EINPROGRESS);
    struct cap_frame *fr = capture_pop(&c->f.cap);
    cr_assert_not_null(fr, "the SYN");
    cr_assert_geq(fr->len, ETH_HDR_LEN + 40);
    c->syn_len = fr->len - ETH_HDR_LEN < sizeof c->syn ? fr->len - ETH_HDR_LEN : sizeof c->syn;
    memcpy(c->syn, fr->data + ETH_HDR_LEN, c->syn_len);
    free(fr);
    c->lport = (uint16_t)(c->syn[20] << 8 | c->syn[21]);
    c->iss = get32(c->syn + 24);
    cr_assert_eq(tcp_from_sock(c->s)->state, TCPS_SYN_SENT);
}

/* An ICMP error from the router quoting the SYN's IP header and the first
 * 8 bytes of its TCP header (RFC 792's minimum), seq moved by `seq_delta`. */
static void icmp_about_syn(struct conn *c, uint8_t type, uint8_t code, uint32_t rest, uint32_t seq_delta)
{
    uint8_t quote[28];
    memcpy(quote, c->syn, 28);
    put32(quote + 24, c->iss + seq_delta);
    uint8_t msg[64];
    struct icmp_hdr ic = {.type = type, .code = code, .rest = rest, .data = quote, .data_len = sizeof quote};
    size_t n = icmp_emit(&ic, msg);
    feed_ip(&c->f, ROUTER, 1, msg, n);
}

static int so_error(struct sock *s)
{
    int v = -1;
    size_t len = sizeof v;
    cr_assert_eq(sock_getsockopt(s, SOL_SOCKET, SO_ERROR, &v, &len), 0);
    return v;
}

static void close_conn(struct conn *c)
{
    sock_close(c->s);
    netfix_teardown(&c->f);
}

/* Runs the clock until the connect attempt is over (SYN retries exhausted). */
static void run_until_closed(struct conn *c)
{
    for (int i = 0; i < 400 && tcp_from_sock(c->s)->state != TCPS_CLOSED; i++) {
        c->f.now += 1000000;
        stack_poll(c->f.st, c->f.now);
        capture_clear(&c->f.cap);
    }
    cr_assert_eq(tcp_from_sock(c->s)->state, TCPS_CLOSED);
}

Test(tcp_icmp, port_unreachable_in_syn_sent_refuses)
{
    struct conn c;
    open_syn_sent(&c);
    icmp_about_syn(&c, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0, 0);
    cr_assert_eq(tcp_from_sock(c.s)->state, TCPS_CLOSED, "a hard error aborts the opening");
    cr_assert(sock_poll(c.s) & SOCK_POLLERR);
    cr_assert_eq(so_error(c.s), ECONNREFUSED);
    close_conn(&c);
}

Test(tcp_icmp, protocol_unreachable_in_syn_sent_aborts)
{
    struct conn c;
    open_syn_sent(&c);
    icmp_about_syn(&c, ICMP_DEST_UNREACH, 2, 0, 0);
    cr_assert_eq(tcp_from_sock(c.s)->state, TCPS_CLOSED);
    cr_assert_eq(so_error(c.s), ENOPROTOOPT);
    close_conn(&c);
}

Test(tcp_icmp, error_quoting_a_sequence_not_in_flight_is_ignored)
{
    struct conn c;
    open_syn_sent(&c);
    icmp_about_syn(&c, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0, 12345);
    cr_assert_eq(tcp_from_sock(c.s)->state, TCPS_SYN_SENT, "RFC 5927: a blind guess is not believed");
    cr_assert_eq(so_error(c.s), 0);
    close_conn(&c);
}

/* The peer's SYN-ACK (seq 5000, MSS 1460, window win) to a SYN-SENT conn,
 * which must be ESTABLISHED after it. */
static void synack(struct conn *c, uint16_t win)
{
    uint8_t seg[24];
    struct tcp_hdr h;
    memset(&h, 0, sizeof h);
    h.sport = 80;
    h.dport = c->lport;
    h.seq = 5000;
    h.ack = c->iss + 1;
    h.flags = TCP_SYN | TCP_ACK;
    h.win = win;
    h.opt.mss_ok = true;
    h.opt.mss = 1460;
    size_t n = tcp_hdr_write(seg, &h);
    struct ipaddr src = ip4(NET_PEER), dst = ip4(NET_OUR);
    tcp_set_checksum(&src, &dst, seg, n);
    feed_ip(&c->f, NET_PEER, 6, seg, n);
    cr_assert_eq(tcp_from_sock(c->s)->state, TCPS_ESTABLISHED);
}

/* Completes the handshake of a SYN-SENT conn and forgets what was sent. */
static void establish(struct conn *c)
{
    synack(c, 8192);
    capture_clear(&c->f.cap);
}

/* Soft errors: the connection goes on, the application is not told yet (no
 * POLLERR, SO_ERROR 0: a blocking connect keeps waiting), and an answer
 * that comes after all completes the handshake with no error left behind. */
static void soft_error_then_synack(uint8_t type, uint8_t code)
{
    struct conn c;
    open_syn_sent(&c);
    icmp_about_syn(&c, type, code, 0, 0);
    struct tcpcb *tp = tcp_from_sock(c.s);
    cr_assert_eq(tp->state, TCPS_SYN_SENT, "type %u code %u must not abort", type, code);
    cr_assert_eq(sock_poll(c.s) & SOCK_POLLERR, 0, "type %u code %u: no error shown yet", type, code);
    /* The SYN-ACK. */
    synack(&c, 8192);
    cr_assert_eq(so_error(c.s), 0, "type %u code %u: nothing to report on a live connection", type, code);
    cr_assert(sock_poll(c.s) & SOCK_POLLOUT);
    cr_assert_eq(sock_send(c.s, "x", 1, 0, NULL), 1);
    close_conn(&c);
}

Test(tcp_icmp, soft_errors_do_not_abort_syn_sent)
{
    soft_error_then_synack(ICMP_DEST_UNREACH, 0);    /* net unreachable */
    soft_error_then_synack(ICMP_DEST_UNREACH, 1);    /* host unreachable */
    soft_error_then_synack(ICMP_DEST_UNREACH, 5);    /* source route failed */
    soft_error_then_synack(ICMP_TIME_EXCEEDED, 0);   /* RFC 1122: tell, don't abort (MUST) */
    soft_error_then_synack(ICMP_PARAM_PROBLEM, 0);   /* RFC 1122: tell, don't abort (MUST) */
}

/* A soft error followed by silence: when the SYN retries run out, the
 * connect fails with what the router said rather than a bare timeout
 * (RFC 1122 4.2.3.9 SHOULD make it available; Linux's sk_err_soft). */
Test(tcp_icmp, soft_error_reported_when_the_attempt_times_out)
{
    struct conn c;
    open_syn_sent(&c);
    icmp_about_syn(&c, ICMP_DEST_UNREACH, 1, 0, 0);
    cr_assert_eq(tcp_from_sock(c.s)->state, TCPS_SYN_SENT);
    run_until_closed(&c);
    cr_assert_eq(so_error(c.s), EHOSTUNREACH);
    close_conn(&c);

    /* Without one: ETIMEDOUT. */
    open_syn_sent(&c);
    run_until_closed(&c);
    cr_assert_eq(so_error(c.s), ETIMEDOUT);
    close_conn(&c);
}

/* Not ICMP from the network but this host's own knowledge: the neighbour
 * never answered ARP.  The opening ends then with "No route to host" (about
 * 3 s, as connect() on Linux), not after two minutes of SYNs. */
Test(tcp_icmp, unresolved_neighbour_ends_the_opening)
{
    struct netfix f;
    netfix_setup(&f, 6, 1000000, NETFIX_IPV4_ONLY | NETFIX_STATIC_PEER);
    struct sock *s;
    cr_assert_eq(sock_create(f.st, TP_AF_INET, SOCK_STREAM, 0, &s), 0);
    struct endpoint peer = {.addr = ip4(IP4(198, 18, 0, 77)), .port = 80};
    cr_assert_eq(sock_connect(s, &peer), -EINPROGRESS);
    for (int i = 0; i < 10 && tcp_from_sock(s)->state == TCPS_SYN_SENT; i++) {
        f.now += 500000;
        stack_poll(f.st, f.now);
    }
    cr_assert_eq(tcp_from_sock(s)->state, TCPS_CLOSED, "given up within 5 s");
    cr_assert_eq(so_error(s), EHOSTUNREACH);
    sock_close(s);
    netfix_teardown(&f);
}

/* RFC 1191 with Linux's floor: "fragmentation needed, next hop MTU 300"
 * about our SYN gives a path MTU of 552, so the MSS settles at 512, not at
 * a sliver. */
Test(tcp_icmp, frag_needed_mss_has_a_floor)
{
    struct conn c;
    open_syn_sent(&c);
    struct tcpcb *tp = tcp_from_sock(c.s);
    /* Below 68 (or 0, an old router): not believed, and no error either. */
    icmp_about_syn(&c, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, 40, 0);
    cr_assert_eq(tp->soft_err, 0);
    icmp_about_syn(&c, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, 300, 0);
    cr_assert_eq(tp->state, TCPS_SYN_SENT, "not an error to abort on");
    cr_assert_eq(tp->soft_err, 0, "nor one to report");
    synack(&c, 8192);
    cr_assert_eq(tp->snd_mss, 512, "MSS %u", tp->snd_mss);
    close_conn(&c);
}

/* TCP follows the path MTU that IP knows, not only the ICMP errors it
 * believed itself (Linux's tcp_current_mss reads the route's each time): a
 * "fragmentation needed" that lowered the path's MTU but quoted another
 * connection (or a sequence number not in flight: not believed by this
 * one) made IP refuse every full DF segment of this connection locally, and
 * nothing ever told it why: no data left again until it timed out. */
Test(tcp_icmp, follows_a_path_mtu_lowered_for_another_connection)
{
    struct conn c;
    open_syn_sent(&c);
    struct tcpcb *tp = tcp_from_sock(c.s);
    synack(&c, 65535);
    cr_assert_eq(tp->snd_mss, 1460);
    capture_clear(&c.f.cap);
    /* The path to NET_PEER is 1000 bytes now, as a router said about a
     * segment of some other connection (here: a sequence not in flight). */
    icmp_about_syn(&c, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, 1000, 0x40000000);
    cr_assert_eq(tp->snd_mss, 1460, "this connection did not believe it");
    static char data[4000];
    memset(data, 'd', sizeof data);
    cr_assert_eq(sock_send(c.s, data, sizeof data, 0, NULL), (ssize_t)sizeof data);
    size_t sent = 0, biggest = 0;
    for (int i = 0; i < 50 && sent < sizeof data; i++) {
        struct cap_frame *fr;
        while ((fr = capture_pop(&c.f.cap))) {
            struct ipv4_hdr ih;
            if (fr->len > ETH_HDR_LEN + 40 &&
                ipv4_parse(fr->data + ETH_HDR_LEN, fr->len - ETH_HDR_LEN, &ih, true) == 0 && ih.proto == 6) {
                size_t thl = (size_t)(fr->data[ETH_HDR_LEN + ih.hdr_len + 12] >> 4) * 4;
                size_t pl = ih.total_len - ih.hdr_len - thl;
                sent += pl;
                if (ih.total_len > biggest)
                    biggest = ih.total_len;
            }
            free(fr);
        }
        c.f.now += 100000;
        stack_poll(c.f.st, c.f.now);
    }
    cr_assert_leq(biggest, 1000, "a %zu-byte datagram for a 1000-byte path", biggest);
    cr_assert_geq(sent, sizeof data, "only %zu of %zu bytes left (%lu refused for DF)", sent, sizeof data,
                  (unsigned long)c.f.st->ctr.ip_frag_df_drops);
    close_conn(&c);
}

/* Source quench (RFC 6633; RFC 9293 3.9: MUST silently discard) and
 * redirects (a host need not act on them; tapir does not) change nothing:
 * not the state, not the error to report. */
Test(tcp_icmp, source_quench_and_redirect_ignored)
{
    struct conn c;
    open_syn_sent(&c);
    struct tcpcb *tp = tcp_from_sock(c.s);
    icmp_about_syn(&c, ICMP_SOURCE_QUENCH, 0, 0, 0);
    icmp_about_syn(&c, ICMP_REDIRECT, 1, IP4(198, 18, 0, 99), 0);
    cr_assert_eq(tp->state, TCPS_SYN_SENT);
    cr_assert_eq(tp->soft_err, 0);
    cr_assert_eq(c.f.st->ctr.icmp_rx_ignored, 2);
    run_until_closed(&c);
    cr_assert_eq(so_error(c.s), ETIMEDOUT);
    close_conn(&c);
}

/* Only this host's own errors (looped back) count as local: a soft error
 * from the wire that claims one of our addresses as its source is still
 * soft and does not end the opening. */
Test(tcp_icmp, spoofed_local_source_is_not_local)
{
    struct conn c;
    open_syn_sent(&c);
    uint8_t quote[28];
    memcpy(quote, c.syn, 28);
    uint8_t msg[64];
    struct icmp_hdr ic = {.type = ICMP_DEST_UNREACH, .code = ICMP_HOST_UNREACH, .data = quote,
                          .data_len = sizeof quote};
    size_t n = icmp_emit(&ic, msg);
    feed_ip(&c.f, NET_OUR, 1, msg, n);
    cr_assert_eq(tcp_from_sock(c.s)->state, TCPS_SYN_SENT);
    cr_assert_eq(tcp_from_sock(c.s)->soft_err, EHOSTUNREACH);
    close_conn(&c);
}


/* ESTABLISHED: a soft error about data in flight does not touch the
 * connection; if the peer then never answers, the give-up reports it
 * (EHOSTUNREACH, not ETIMEDOUT), unless an ACK came in between, which
 * proves the path and clears it. */
Test(tcp_icmp, soft_error_in_established_reported_at_give_up)
{
    for (int acked = 0; acked < 2; acked++) {
        struct conn c;
        open_syn_sent(&c);
        c.f.st->cfg.tcp.retries2 = 3;
        establish(&c);
        struct tcpcb *tp = tcp_from_sock(c.s);
        cr_assert_eq(sock_send(c.s, "hello", 5, 0, NULL), 5);
        cr_assert_eq(sock_send(c.s, "again", 5, 0, NULL), 5);
        /* The router's error quotes our first data byte (ISS + 1). */
        icmp_about_syn(&c, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0, 1);
        cr_assert_eq(tp->state, TCPS_ESTABLISHED);
        cr_assert_eq(tp->soft_err, EHOSTUNREACH);
        cr_assert_eq(sock_poll(c.s) & SOCK_POLLERR, 0);
        if (acked) {
            /* The peer acknowledges the first 5 bytes, then falls silent. */
            uint8_t seg[20];
            struct tcp_hdr h;
            memset(&h, 0, sizeof h);
            h.sport = 80;
            h.dport = c.lport;
            h.seq = 5001;
            h.ack = c.iss + 6;
            h.flags = TCP_ACK;
            h.win = 8192;
            size_t n = tcp_hdr_write(seg, &h);
            struct ipaddr src = ip4(NET_PEER), dst = ip4(NET_OUR);
            tcp_set_checksum(&src, &dst, seg, n);
            feed_ip(&c.f, NET_PEER, 6, seg, n);
            cr_assert_eq(tp->soft_err, 0, "an acceptable ACK clears it");
        }
        run_until_closed(&c);
        cr_assert_eq(so_error(c.s), acked ? ETIMEDOUT : EHOSTUNREACH);
        close_conn(&c);
    }
}
