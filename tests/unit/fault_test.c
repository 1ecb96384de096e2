/* The fault injector over a memlink. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drivers/fault.h"
#include "drivers/memlink.h"
#include "drivers/pcap_writer.h"
#include "stack/checksum.h"
#include "stack/config.h"

static uint8_t buf[TAPIR_MAX_FRAME];

struct pair {
    struct tapir_device *a, *b;
};

static struct pair wire(void)
{
    struct tapir_memlink_opts o = {.virtual_time = true};
    struct tapir_memlink *m = tapir_memlink_create(&o);
    struct pair p = {tapir_memlink_port(m, "a"), tapir_memlink_port(m, "b")};
    tapir_memlink_release(m);
    return p;
}

static int drain(struct tapir_device *d)
{
    int n = 0;
    while (tapir_device_recv(d, buf, sizeof buf, 0) > 0)
        n++;
    return n;
}

Test(fault, drop_all_and_none)
{
    struct pair p = wire();
    struct tapir_fault_opts o = {.seed = 1, .tx = {.drop = 1.0}};
    struct tapir_device *fa = tapir_fault_wrap(p.a, &o);
    cr_assert_not_null(fa);
    uint8_t f[64] = {0};
    for (int i = 0; i < 10; i++)
        cr_assert_eq(tapir_device_send(fa, f, sizeof f, NULL), 0);
    cr_assert_eq(drain(p.b), 0);
    cr_assert_eq(tapir_fault_set(fa, (struct tapir_fault_dir){0}, (struct tapir_fault_dir){0}), 0);
    for (int i = 0; i < 10; i++)
        tapir_device_send(fa, f, sizeof f, NULL);
    cr_assert_eq(drain(p.b), 10);
    struct tapir_fault_stats s;
    tapir_fault_stats(fa, &s);
    cr_assert_eq(s.tx_frames, 20);
    cr_assert_eq(s.tx_dropped, 10);
    tapir_device_close(fa);
    tapir_device_close(p.b);
}

Test(fault, corrupt_flips_one_bit_past_ethernet)
{
    struct pair p = wire();
    struct tapir_fault_opts o = {.seed = 2, .tx = {.corrupt = 1.0}};
    struct tapir_device *fa = tapir_fault_wrap(p.a, &o);
    uint8_t f[100];
    for (int k = 0; k < 50; k++) {
        for (size_t i = 0; i < sizeof f; i++)
            f[i] = (uint8_t)(i * 7 + k);
        tapir_device_send(fa, f, sizeof f, NULL);
        cr_assert_eq(tapir_device_recv(p.b, buf, sizeof buf, 0), 100);
        int bits = 0;
        for (size_t i = 0; i < sizeof f; i++) {
            bits += __builtin_popcount(f[i] ^ buf[i]);
            if (i < 14)
                cr_assert_eq(f[i], buf[i], "Ethernet header must stay intact");
        }
        cr_assert_eq(bits, 1);
    }
    tapir_device_close(fa);
    tapir_device_close(p.b);
}

Test(fault, duplicate_both_directions)
{
    struct pair p = wire();
    struct tapir_fault_opts o = {.seed = 3, .tx = {.duplicate = 1.0}, .rx = {.duplicate = 1.0}};
    struct tapir_device *fa = tapir_fault_wrap(p.a, &o);
    uint8_t f[64] = {1, 2, 3};
    tapir_device_send(fa, f, sizeof f, NULL);
    cr_assert_eq(drain(p.b), 2, "a duplicated send arrives twice");
    tapir_device_send(p.b, f, sizeof f, NULL);
    cr_assert_eq(drain(fa), 2, "a duplicated receive is handed out twice");
    tapir_device_close(fa);
    tapir_device_close(p.b);
}

Test(fault, rx_drop_rate_and_determinism)
{
    int counts[2];
    for (int run = 0; run < 2; run++) {
        struct pair p = wire();
        struct tapir_fault_opts o = {.seed = 99, .rx = {.drop = 0.3}};
        struct tapir_device *fb = tapir_fault_wrap(p.b, &o);
        uint8_t f[64] = {0};
        int got = 0;
        for (int i = 0; i < 4000; i++) {
            tapir_device_send(p.a, f, sizeof f, NULL);
            got += drain(fb);
        }
        counts[run] = got;
        cr_assert(got > 2600 && got < 3000, "30%% drop passed %d of 4000", got);
        tapir_device_close(fb);
        tapir_device_close(p.a);
    }
    cr_assert_eq(counts[0], counts[1], "same seed, same drops");
}

Test(fault, bad_probability_refused)
{
    struct pair p = wire();
    struct tapir_fault_opts o = {.tx = {.drop = -0.1}};
    cr_assert_null(tapir_fault_wrap(p.a, &o));
    tapir_device_close(p.a);
    tapir_device_close(p.b);
}

/* An Ethernet + IPv4 header with the given ECN field and a valid checksum. */
static size_t ipv4_frame(uint8_t *f, uint8_t ecn)
{
    memset(f, 0, 60);
    f[12] = 0x08;
    f[13] = 0x00;
    uint8_t *ip = f + 14;
    ip[0] = 0x45;
    ip[1] = (uint8_t)(0xb8 | ecn);   /* DSCP EF, then the ECN bits */
    ip[3] = 40;
    ip[8] = 64;
    ip[9] = 6;
    ip[12] = 198, ip[13] = 18, ip[15] = 1;
    ip[16] = 198, ip[17] = 18, ip[19] = 2;
    uint16_t c = csum_finish(csum_add(0, ip, 20));
    ip[10] = (uint8_t)(c >> 8);
    ip[11] = (uint8_t)c;
    return 60;
}

Test(fault, ce_marks_ect_ipv4_and_keeps_checksum)
{
    struct pair p = wire();
    struct tapir_fault_opts o = {.seed = 4, .tx = {.ce = 1.0}};
    struct tapir_device *fa = tapir_fault_wrap(p.a, &o);
    uint8_t f[60];
    for (uint8_t ecn = 0; ecn < 4; ecn++) {
        size_t n = ipv4_frame(f, ecn);
        tapir_device_send(fa, f, n, NULL);
        cr_assert_eq(tapir_device_recv(p.b, buf, sizeof buf, 0), (ssize_t)n);
        uint8_t want = ecn == 1 || ecn == 2 ? 3 : ecn;     /* only ECT(0)/ECT(1) become CE */
        cr_assert_eq(buf[15] & 3, want, "ECN %u became %u", ecn, buf[15] & 3);
        cr_assert_eq(buf[15] & 0xfc, 0xb8, "DSCP untouched");
        cr_assert_eq(csum_finish(csum_add(0, buf + 14, 20)), 0, "IPv4 header checksum still valid");
        cr_assert_eq(f[15] & 3, ecn, "the sender's frame is not modified");
    }
    struct tapir_fault_stats s;
    tapir_fault_stats(fa, &s);
    cr_assert_eq(s.tx_ce_marked, 2);
    tapir_device_close(fa);
    tapir_device_close(p.b);
}

Test(fault, ce_marks_ect_ipv6_on_receive)
{
    struct pair p = wire();
    struct tapir_fault_opts o = {.seed = 5, .rx = {.ce = 1.0}};
    struct tapir_device *fb = tapir_fault_wrap(p.b, &o);
    uint8_t f[74] = {0};
    f[12] = 0x86;
    f[13] = 0xdd;
    f[14] = 0x6b;          /* version 6, traffic class 0xb? ... */
    f[15] = 0x80 | 0x20;   /* ... class low nibble 0x8 | ECN ECT(0) = 0xba, flow label 0 */
    tapir_device_send(p.a, f, sizeof f, NULL);
    cr_assert_eq(tapir_device_recv(fb, buf, sizeof buf, 0), (ssize_t)sizeof f);
    uint8_t tclass = (uint8_t)((buf[14] & 0x0f) << 4 | buf[15] >> 4);
    cr_assert_eq(tclass, 0xbb, "traffic class 0x%02x: DSCP kept, ECN now CE", tclass);
    cr_assert_eq(buf[15] & 0x0f, 0, "flow label untouched");
    struct tapir_fault_stats s;
    tapir_fault_stats(fb, &s);
    cr_assert_eq(s.rx_ce_marked, 1);
    tapir_device_close(fb);
    tapir_device_close(p.a);
}

/* An offloaded frame (TSO super-segment, checksum partial) meets the faults
 * as the wire's segments: cut, checksums finished, each dropped on its own. */
#include "drivers/gso.h"
#include "stack/pkt.h"

static size_t tso_frame(uint8_t *b, size_t payload, struct pkt *meta)
{
    memset(b, 0, 14 + 20 + 20 + payload);
    b[12] = 0x08;
    uint8_t *ip = b + 14, *th = ip + 20;
    ip[0] = 0x45;
    ip[2] = (uint8_t)((40 + payload) >> 8);
    ip[3] = (uint8_t)(40 + payload);
    ip[8] = 64;
    ip[9] = 6;
    memcpy(ip + 12, (uint8_t[]){198, 18, 0, 2, 198, 18, 0, 1}, 8);
    uint16_t c = csum_finish(csum_add(0, ip, 20));
    ip[10] = (uint8_t)(c >> 8);
    ip[11] = (uint8_t)c;
    th[12] = 5 << 4;
    th[13] = 0x10;
    for (size_t i = 0; i < payload; i++)
        th[20 + i] = (uint8_t)i;
    uint32_t pseudo = csum_add(0, ip + 12, 8) + 6 + (uint32_t)(20 + payload);
    c = (uint16_t)~csum_finish(pseudo);
    th[16] = (uint8_t)(c >> 8);
    th[17] = (uint8_t)c;
    memset(meta, 0, sizeof *meta);
    meta->l3_offset = 14;
    meta->csum_start = 34;
    meta->csum_offset = 16;
    meta->gso_size = 1000;
    meta->gso_type = PKT_GSO_TCPV4;
    return 54 + payload;
}

Test(fault, offloaded_frames_are_cut_before_the_faults)
{
    struct pair p = wire();
    struct tapir_fault_opts o = {.seed = 3};
    struct tapir_device *fa = tapir_fault_wrap(p.a, &o);
    static uint8_t f[20000];
    struct pkt meta;
    size_t len = tso_frame(f, 10000, &meta);
    cr_assert_eq(tapir_device_send(fa, f, len, &meta), 0);
    int n = 0;
    ssize_t k;
    while ((k = tapir_device_recv(p.b, buf, sizeof buf, 0)) > 0) {
        cr_assert_eq(k, 54 + 1000, "piece %d is one segment", n);
        cr_assert_eq(csum_finish(csum_add(csum_add(0, buf + 26, 8) + 6 + 1020, buf + 34, 1020)), 0,
                     "piece %d: TCP checksum finished", n);
        n++;
    }
    cr_assert_eq(n, 10);
    struct tapir_fault_stats s;
    tapir_fault_stats(fa, &s);
    cr_assert_eq(s.tx_frames, 10, "the faults saw ten frames");
    /* Half dropped: pieces, not the whole super-segment. */
    tapir_fault_set(fa, (struct tapir_fault_dir){.drop = 0.5}, (struct tapir_fault_dir){0});
    for (int i = 0; i < 10; i++)
        tapir_device_send(fa, f, len, &meta);
    int got = 0;
    while (tapir_device_recv(p.b, buf, sizeof buf, 0) > 0)
        got++;
    cr_assert(got > 20 && got < 80, "%d of 100 pieces arrived", got);
    tapir_fault_stats(fa, &s);
    cr_assert_eq(s.tx_frames, 110, "each piece met the faults");
    cr_assert_eq(s.tx_dropped, (uint64_t)(100 - got), "and was dropped (or not) on its own");
    tapir_device_close(fa);
    tapir_device_close(p.b);
}

/* ---- a frame whose TCP checksum the kernel left partial ---- */


/* A stand-in for a TAP with offloads: one IPv4 TCP frame per recv, its
 * checksum field holding only the pseudo-header sum, flagged as tap.c does. */
static uint8_t partial[14 + 20 + 20 + 101];

static ssize_t partial_recv(struct tapir_device *d, uint8_t *b, size_t cap, uint64_t now)
{
    (void)now;
    cr_assert_geq(cap, sizeof partial);
    memcpy(b, partial, sizeof partial);
    d->rx_flags = TAPIR_RX_TCP4_CSUM_OK | TAPIR_RX_CSUM_PARTIAL;
    d->rx_csum_start = 34;
    d->rx_csum_offset = 16;
    return (ssize_t)sizeof partial;
}

static void partial_close(struct tapir_device *d) { (void)d; }

static const struct tapir_device_ops partial_ops = {.recv = partial_recv, .close = partial_close};

static struct tapir_device *partial_dev(void)
{
    static struct tapir_device d;
    memset(&d, 0, sizeof d);
    d.ops = &partial_ops;
    snprintf(d.name, sizeof d.name, "kern");
    d.mtu = 1500;
    uint8_t *ip = partial + 14, *tcp = ip + 20;
    memset(partial, 0, sizeof partial);
    partial[12] = 0x08;
    ip[0] = 0x45;
    ip[3] = 20 + 20 + 101;
    ip[8] = 64;
    ip[9] = 6;
    ip[12] = 198, ip[13] = 18, ip[15] = 1;
    ip[16] = 198, ip[17] = 18, ip[19] = 2;
    tcp[12] = 5 << 4;
    tcp[13] = 0x18;
    for (int i = 0; i < 101; i++)
        tcp[20 + i] = (uint8_t)(i * 13 + 1);
    struct ipaddr s = ip4(IP4(198, 18, 0, 1)), t = ip4(IP4(198, 18, 0, 2));
    uint16_t pseudo = (uint16_t)~csum_finish(csum_pseudo(&s, &t, 6, 20 + 101));
    tcp[16] = (uint8_t)(pseudo >> 8);
    tcp[17] = (uint8_t)pseudo;
    return &d;
}

static bool tcp_csum_good(const uint8_t *f)
{
    struct ipaddr s = ip4(IP4(198, 18, 0, 1)), t = ip4(IP4(198, 18, 0, 2));
    return csum_finish(csum_add(csum_pseudo(&s, &t, 6, 20 + 101), f + 34, 20 + 101)) == 0;
}

Test(fault, partial_checksum_is_finished_and_checked_by_the_stack)
{
    struct tapir_device *in = partial_dev();
    cr_assert_not(tcp_csum_good(partial), "the stand-in's checksum is partial");
    struct tapir_fault_opts o = {.seed = 3};
    struct tapir_device *fa = tapir_fault_wrap(in, &o);
    cr_assert_eq(tapir_device_recv(fa, buf, sizeof buf, 0), (ssize_t)sizeof partial);
    cr_assert(tcp_csum_good(buf), "finished before any bit could be flipped");
    cr_assert_eq(fa->rx_flags, 0, "the stack verifies what a fault injector hands on");
    tapir_device_close(fa);
}

Test(fault, capture_gets_the_finished_checksum)
{
    char path[] = "/tmp/tapir-pw-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    char err[256];
    struct tapir_device *w = tapir_pcap_writer_wrap(partial_dev(), path, err);
    cr_assert_not_null(w, "%s", err);
    cr_assert_eq(tapir_device_recv(w, buf, sizeof buf, 0), (ssize_t)sizeof partial);
    cr_assert(tcp_csum_good(buf));
    cr_assert_eq(w->rx_flags, TAPIR_RX_TCP4_CSUM_OK, "still vouched for, no longer partial");
    tapir_device_close(w);
    unlink(path);
}
