/* Robustness: a few hundred thousand random and mutated frames (seeded, so
 * any failure replays) into stack_input with sockets open, on an Ethernet
 * interface and a TUN.  Mutated frames get their checksums repaired half of
 * the time so the mutations reach the deeper layers (reassembly, ICMP error
 * parsing, UDP demux).  Passing means: no crash, no sanitizer report, no
 * leak (under `make asan`), and the caps still hold. */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "net_helpers.h"
#include "stack/arp.h"
#include "stack/checksum.h"
#include "stack/ip4.h"
#include "stack/socket.h"
#include "stack/wire/arp.h"
#include "stack/wire/eth.h"
#include "stack/wire/icmp.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/udp.h"

static uint64_t rs;
static uint32_t rnd(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return (uint32_t)(rs >> 11);
}


/* Builds one of several valid frames into f (with Ethernet header); returns its length. */
static size_t template(uint8_t *f, int kind)
{
    struct eth_hdr eh = {.type = ETHERTYPE_IPV4};
    memcpy(eh.dst, (rnd() & 7) ? NET_OUR_MAC : eth_broadcast, 6);
    memcpy(eh.src, NET_PEER_MAC, 6);
    uint8_t *ip = f + ETH_HDR_LEN;
    uint8_t *l4 = ip + 20;
    size_t l4len = 0;
    struct ipv4_hdr h = {.ttl = 64, .src = (rnd() & 3) ? NET_PEER : IP4(198, 18, 0, rnd() & 255),
                         .dst = (rnd() & 7) ? NET_OUR : IP4(198, 18, 0, 255), .id = (uint16_t)(rnd() & 7)};
    struct ipaddr s4 = ip4(h.src), d4 = ip4(h.dst);
    switch (kind) {
    case 0: { /* ARP */
        eh.type = ETHERTYPE_ARP;
        struct arp_pkt a = {.op = (uint16_t)(1 + (rnd() & 1)), .spa = IP4(198, 18, 0, rnd() & 255), .tpa = NET_OUR};
        memcpy(a.sha, NET_PEER_MAC, 6);
        a.sha[5] = (uint8_t)rnd();
        eth_emit(&eh, f);
        arp_pkt_emit(&a, ip);
        return ETH_HDR_LEN + ARP_PKT_LEN;
    }
    case 1: { /* echo request */
        h.proto = 1;
        l4len = 8 + (rnd() % 64);
        struct icmp_hdr ic = {.type = ICMP_ECHO_REQUEST, .rest = rnd(), .data = l4 + 8, .data_len = l4len - 8};
        icmp_emit(&ic, l4);
        break;
    }
    case 2: { /* UDP to an open or closed port */
        h.proto = 17;
        size_t pl = rnd() % 100;
        struct udp_hdr u = {.sport = (uint16_t)rnd(), .dport = (rnd() & 1) ? 53 : (uint16_t)rnd()};
        udp_emit(&u, l4, pl, &s4, &d4);
        l4len = 8 + pl;
        break;
    }
    case 3: { /* ICMP error quoting a UDP datagram of ours */
        h.proto = 1;
        uint8_t q[28];
        struct ipv4_hdr qh = {.ttl = 1, .proto = 17, .src = NET_OUR, .dst = NET_PEER, .total_len = 28};
        ipv4_emit(&qh, q);
        q[20] = 0, q[21] = 53, q[22] = 0x30, q[23] = 0x39;
        q[24] = 0, q[25] = 8, q[26] = q[27] = 0;
        static const uint8_t types[] = {3, 4, 5, 11, 12};
        struct icmp_hdr ic = {.type = types[rnd() % 5], .code = (uint8_t)(rnd() % 16), .rest = rnd() & 0xffff,
                              .data = q, .data_len = 28};
        l4len = icmp_emit(&ic, l4);
        break;
    }
    default: { /* a fragment */
        h.proto = (rnd() & 1) ? 17 : 253;
        h.frag_off = (uint16_t)((rnd() % 8) * 64);
        h.mf = rnd() & 1;
        l4len = (rnd() & 1) ? 64 : 8 + (rnd() % 60);
        for (size_t i = 0; i < l4len; i++)
            l4[i] = (uint8_t)(i ^ h.id);
        break;
    }
    }
    h.total_len = (uint16_t)(20 + l4len);
    ipv4_emit(&h, ip);
    eth_emit(&eh, f);
    return ETH_HDR_LEN + 20 + l4len;
}

static void fix_ip_checksum(uint8_t *ip, size_t len)
{
    if (len < 20 || ip[0] >> 4 != 4)
        return;
    size_t hl = (size_t)(ip[0] & 15) * 4;
    if (hl < 20 || hl > len)
        return;
    ip[10] = ip[11] = 0;
    uint16_t c = csum_finish(csum_add(0, ip, hl));
    ip[10] = (uint8_t)(c >> 8);
    ip[11] = (uint8_t)c;
}

static void fix_l4_checksum(uint8_t *ip, size_t len)
{
    if (len < 28 || ip[0] != 0x45)
        return;
    size_t tot = (size_t)(ip[2] << 8 | ip[3]);
    if (tot > len || tot < 28)
        return;
    uint8_t *l4 = ip + 20;
    size_t l4len = tot - 20;
    if (ip[9] == 1) {
        l4[2] = l4[3] = 0;
        uint16_t c = csum_finish(csum_add(0, l4, l4len));
        l4[2] = (uint8_t)(c >> 8), l4[3] = (uint8_t)c;
    }
}

static int nop_tx(void *ctx, const uint8_t *frame, size_t len, const struct pkt *meta)
{
    (void)ctx, (void)frame, (void)len, (void)meta;
    return (rnd() & 63) ? 0 : -1; /* the device refuses now and then */
}

Test(net_robust, random_and_mutated_frames)
{
    rs = 0x9e3779b97f4a7c15ull;
    struct stack *st = stack_create(2024, 0);
    stack_add_loopback(st);
    int eth = stack_add_netif(st, "eth0", NET_OUR_MAC, 1500, nop_tx, NULL);
    int tun = stack_add_tun(st, "tun0", 1400, nop_tx, NULL);
    stack_add_ip4(st, eth, NET_OUR, 24);
    stack_add_ip4(st, tun, IP4(198, 18, 1, 2), 24);
    stack_add_route4(st, 0, 0, NET_PEER, eth);
    arp_add_static(st, eth, IP4(198, 18, 0, 7), NET_PEER_MAC);
    struct sock *s[5];
    cr_assert_eq(sock_create(st, AF_INET, SOCK_DGRAM, 0, &s[0]), 0);
    struct endpoint e53 = {.addr = ip4(0), .port = 53};
    sock_bind(s[0], &e53);
    cr_assert_eq(sock_create(st, AF_INET, SOCK_DGRAM, 0, &s[1]), 0);
    struct endpoint peer = {.addr = ip4(NET_PEER), .port = 12345};
    struct endpoint e53b = {.addr = ip4(NET_OUR), .port = 53};
    int one = 1;
    sock_setsockopt(s[1], SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sock_setsockopt(s[0], SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sock_bind(s[1], &e53b);
    sock_connect(s[1], &peer);
    cr_assert_eq(sock_create(st, AF_INET, SOCK_RAW, IPPROTO_ICMP, &s[2]), 0);
    cr_assert_eq(sock_create(st, AF_INET, SOCK_RAW, 253, &s[3]), 0);
    cr_assert_eq(sock_create(st, AF_INET, SOCK_DGRAM, 0, &s[4]), 0);

    static uint8_t f[2048];
    static uint8_t rbuf[70000];
    const int N = 200000;
    uint64_t now = 0;
    for (int i = 0; i < N; i++) {
        size_t len;
        int mode = (int)(rnd() % 8);
        if (mode == 0) {
            len = rnd() % 1600;
            for (size_t k = 0; k < len; k++)
                f[k] = (uint8_t)rnd();
            if (len >= 14 && (rnd() & 1)) {
                memcpy(f, NET_OUR_MAC, 6);
                f[12] = 0x08;
                f[13] = (rnd() & 1) ? 0x00 : 0x06;
            }
        } else {
            len = template(f, (int)(rnd() % 5));
            int flips = (int)(rnd() % 6);
            for (int k = 0; k < flips && len > 14; k++)
                f[14 + rnd() % (len - 14)] ^= (uint8_t)(1u << (rnd() & 7));
            if (rnd() & 1)
                fix_ip_checksum(f + 14, len - 14);
            if (rnd() & 1)
                fix_l4_checksum(f + 14, len - 14);
            if ((rnd() & 7) == 0)
                len = rnd() % (len + 1);
        }
        if ((rnd() & 15) == 0 && len > 14)
            stack_input(st, tun, f + 14, len - 14, now);
        else
            stack_input(st, eth, f, len, now);
        if ((i & 1023) == 0) {
            now += 250000;
            stack_poll(st, now);
            for (int k = 0; k < 4; k++)
                while (sock_recv(s[k], rbuf, sizeof rbuf, 0, NULL, NULL) >= 0)
                    ;
            /* Some output too: to neighbours that will never answer ARP. */
            struct endpoint to = {.addr = ip4(IP4(198, 18, 0, 100 + (rnd() & 15))), .port = 9};
            sock_send(s[4], rbuf, rnd() % 3000, 0, &to);
        }
        cr_assert_leq(ip4_reass_bytes(st), st->cfg.ip4_reass_max_bytes);
    }
    cr_assert_eq(st->ctr.eth_rx_frames, (uint64_t)N);
    cr_assert_leq(arp_count(st), ARP_CACHE_MAX);
    /* The mutations reached every layer. */
    cr_assert_gt(st->ctr.ip_reass_fragments, 1000);
    cr_assert_gt(st->ctr.udp_rx, 1000);
    cr_assert_gt(st->ctr.icmp_rx_errors, 100);
    cr_assert_gt(st->ctr.arp_rx, 1000);
    cr_assert_gt(st->ctr.icmp_tx_echo_replies, 100);
    for (int k = 0; k < 5; k++)
        sock_close(s[k]);
    stack_poll(st, now + 100000000);
    stack_destroy(st);
}
