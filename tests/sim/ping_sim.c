/* Two stacks on memlink ping each other through raw ICMP sockets at the
 * stack level (sock_* layer), in virtual time: on a clean wire, at 20% loss,
 * with 4000-byte (fragmented) echoes, and deterministically from a seed. */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "drivers/pcap_writer.h"
#include "stack/checksum.h"
#include "stack/socket.h"
#include "tests/sim/sim.h"

#define A_IP IP4(198, 18, 0, 1)
#define B_IP IP4(198, 18, 0, 2)

struct pinger {
    struct sock *s;
    uint16_t id;
    int sent, replies, bad;
    uint8_t got[1024];         /* per sequence number: replies seen */
};

static void pinger_open(struct pinger *p, struct stack *st, uint16_t id)
{
    memset(p, 0, sizeof *p);
    p->id = id;
    cr_assert_eq(sock_create(st, TP_AF_INET, SOCK_RAW, IPPROTO_ICMP, &p->s), 0);
}

static void send_echo(struct pinger *p, uint32_t dst, size_t payload)
{
    static uint8_t m[8 + 8000];
    cr_assert(payload <= 8000);
    uint16_t seq = (uint16_t)++p->sent;
    memset(m, 0, 8 + payload);
    m[0] = 8;
    m[4] = (uint8_t)(p->id >> 8);
    m[5] = (uint8_t)p->id;
    m[6] = (uint8_t)(seq >> 8);
    m[7] = (uint8_t)seq;
    for (size_t i = 0; i < payload; i++)
        m[8 + i] = (uint8_t)(i * 13 + seq);
    uint16_t c = csum_finish(csum_add(0, m, 8 + payload));
    m[2] = (uint8_t)(c >> 8);
    m[3] = (uint8_t)c;
    struct endpoint to = {.addr = ip4(dst)};
    ssize_t n = sock_send(p->s, m, 8 + payload, 0, &to);
    cr_assert_eq(n, (ssize_t)(8 + payload), "sock_send: %zd", n);
}

/* Reads every datagram queued on the raw socket; counts our echo replies
 * (checking source, id, length and the payload pattern). */
static void collect(struct pinger *p, uint32_t from_ip, size_t payload)
{
    static uint8_t buf[65536];
    for (;;) {
        struct endpoint from;
        ssize_t n = sock_recv(p->s, buf, sizeof buf, 0, &from, NULL);
        if (n == -EAGAIN)
            return;
        cr_assert(n > 0, "sock_recv: %zd", n);
        size_t ihl = (size_t)(buf[0] & 15) * 4;
        cr_assert((size_t)n >= ihl + 8, "raw ICMP gives the IPv4 header too");
        const uint8_t *ic = buf + ihl;
        if (ic[0] != 0) /* our own requests are not looped to us; others' are not ours */
            continue;
        uint16_t id = (uint16_t)(ic[4] << 8 | ic[5]), seq = (uint16_t)(ic[6] << 8 | ic[7]);
        if (id != p->id)
            continue;
        if (from.addr.v4 != from_ip || (size_t)n - ihl != 8 + payload || seq == 0 || seq > 1000) {
            p->bad++;
            continue;
        }
        for (size_t i = 0; i < payload; i++)
            if (ic[8 + i] != (uint8_t)(i * 13 + seq)) {
                p->bad++;
                goto next;
            }
        if (!p->got[seq]++)
            p->replies++;
    next:;
    }
}

struct result {
    struct tapir_counters ca, cb;
    uint8_t got_a[1024], got_b[1024];
    int replies_a, replies_b;
    struct tapir_memlink_stats wire;
};

/* A pings B and B pings A, `count` each, one every 100 ms, then 3 s for
 * stragglers. */
static void ping_both(const struct tapir_memlink_opts *o, int count, size_t payload, struct result *r)
{
    struct sim s;
    sim_init(&s, o);
    struct sim_node *a = sim_node(&s, A_IP, 24, 101), *b = sim_node(&s, B_IP, 24, 202);
    struct pinger pa, pb;
    pinger_open(&pa, a->st, 0x1111);
    pinger_open(&pb, b->st, 0x2222);
    for (int i = 0; i < count; i++) {
        send_echo(&pa, B_IP, payload);
        send_echo(&pb, A_IP, payload);
        sim_run(&s, 100000);
        collect(&pa, B_IP, payload);
        collect(&pb, A_IP, payload);
    }
    sim_run(&s, 3000000);
    collect(&pa, B_IP, payload);
    collect(&pb, A_IP, payload);
    cr_assert_eq(pa.bad + pb.bad, 0, "malformed or foreign replies");
    memset(r, 0, sizeof *r);
    r->ca = a->st->ctr;
    r->cb = b->st->ctr;
    memcpy(r->got_a, pa.got, sizeof r->got_a);
    memcpy(r->got_b, pb.got, sizeof r->got_b);
    r->replies_a = pa.replies;
    r->replies_b = pb.replies;
    tapir_memlink_stats(s.link, &r->wire);
    sock_close(pa.s);
    sock_close(pb.s);
    sim_free(&s);
}

Test(sim_ping, clean_wire_all_answered)
{
    struct tapir_memlink_opts o = {.seed = 1, .delay_us = 1000};
    struct result r;
    ping_both(&o, 20, 56, &r);
    cr_assert_eq(r.replies_a, 20, "A got %d of 20 replies", r.replies_a);
    cr_assert_eq(r.replies_b, 20, "B got %d of 20 replies", r.replies_b);
    cr_assert_eq(r.ca.icmp_tx_echo_replies, 20);
    cr_assert_eq(r.cb.icmp_tx_echo_replies, 20);
    cr_assert_eq(r.ca.arp_unresolved + r.cb.arp_unresolved, 0);
}

Test(sim_ping, fragmented_echoes)
{
    /* 4000 bytes over a 1500-byte MTU: three fragments each way, reassembled. */
    struct tapir_memlink_opts o = {.seed = 2, .delay_us = 500, .jitter_us = 400};
    struct result r;
    ping_both(&o, 10, 4000, &r);
    cr_assert_eq(r.replies_a, 10);
    cr_assert_eq(r.replies_b, 10);
    cr_assert_eq(r.ca.ip_reass_ok, 20, "10 requests + 10 replies reassembled, got %llu",
                 (unsigned long long)r.ca.ip_reass_ok);
    cr_assert_eq(r.ca.ip_frag_created, 60);
}

Test(sim_ping, twenty_percent_loss)
{
    struct tapir_memlink_opts o = {.seed = 3, .delay_us = 2000, .jitter_us = 1000, .loss = 0.2};
    struct result r;
    ping_both(&o, 200, 56, &r);
    /* A round trip survives with 0.8 * 0.8 = 64%; ARP losses cost a little more. */
    cr_assert(r.replies_a > 100 && r.replies_a < 150, "A: %d of 200", r.replies_a);
    cr_assert(r.replies_b > 100 && r.replies_b < 150, "B: %d of 200", r.replies_b);
    cr_assert(r.wire.lost > 100, "the wire lost %llu frames", (unsigned long long)r.wire.lost);
    /* Every request that reached B was answered: B's count of requests in
     * equals its replies out. */
    cr_assert_eq(r.cb.icmp_rx_echo_requests, r.cb.icmp_tx_echo_replies);
    cr_assert_eq(r.ca.icmp_rx_echo_requests, r.ca.icmp_tx_echo_replies);
}

Test(sim_ping, same_seed_same_run)
{
    struct tapir_memlink_opts o = {.seed = 77, .delay_us = 3000, .jitter_us = 2000, .loss = 0.2,
                                   .duplicate = 0.02, .reorder = 0.05};
    static struct result r1, r2, r3;
    ping_both(&o, 100, 200, &r1);
    ping_both(&o, 100, 200, &r2);
    cr_assert_eq(memcmp(&r1.ca, &r2.ca, sizeof r1.ca), 0, "A's counters differ between runs");
    cr_assert_eq(memcmp(&r1.cb, &r2.cb, sizeof r1.cb), 0, "B's counters differ between runs");
    cr_assert_eq(memcmp(r1.got_a, r2.got_a, sizeof r1.got_a), 0);
    cr_assert_eq(memcmp(r1.got_b, r2.got_b, sizeof r1.got_b), 0);
    cr_assert_eq(memcmp(&r1.wire, &r2.wire, sizeof r1.wire), 0);
    o.seed = 78;
    ping_both(&o, 100, 200, &r3);
    cr_assert(memcmp(r1.got_a, r3.got_a, sizeof r1.got_a) != 0 ||
                  memcmp(r1.got_b, r3.got_b, sizeof r1.got_b) != 0,
              "another wire seed should lose other packets");
}

Test(sim_ping, capture_in_virtual_time)
{
    char path[] = "/tmp/tapir-sim-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    struct sim s;
    struct tapir_memlink_opts o = {.seed = 5, .delay_us = 1000};
    sim_init(&s, &o);
    struct sim_node *a = sim_node(&s, A_IP, 24, 1);
    sim_node(&s, B_IP, 24, 2);
    sim_capture(&s, a, path);
    struct pinger pa;
    pinger_open(&pa, a->st, 7);
    send_echo(&pa, B_IP, 56);
    sim_run(&s, 50000);
    collect(&pa, B_IP, 56);
    cr_assert_eq(pa.replies, 1);
    /* B's gratuitous ARP (sent before the capture started, received after),
     * ARP request, ARP reply, echo request, echo reply. */
    cr_assert_eq(tapir_pcap_writer_count(a->port), 5, "got %llu", (unsigned long long)tapir_pcap_writer_count(a->port));
    sock_close(pa.s);
    sim_free(&s);
    unlink(path);
}
