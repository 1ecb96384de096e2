/* Fuzz target for the link and network layers: each input is one frame fed
 * to a long-lived stack (Ethernet interface, TUN, loopback, UDP and raw
 * sockets open), so state built by earlier inputs (ARP entries,
 * half-reassembled datagrams) meets later ones.
 *
 * Input format: byte 0 picks the interface (even: Ethernet, odd: TUN) and
 * how far the clock moves (bits 1-7, in 100 ms); the rest is the frame.
 *
 * Two ways to run it:
 *   libFuzzer:  clang -g -O1 -fsanitize=fuzzer,address,undefined -DTAPIR_LIBFUZZER -I. \
 *                 tests/fuzz/fuzz_netlayer.c build-clang/libtapir.a -lpcap -lssl -lcrypto -o fz
 *               ./fz corpus/
 *   standalone (built by make as build/tests/fuzz/fuzz_netlayer):
 *               fuzz_netlayer FILE...      feeds each file as one input
 *               fuzz_netlayer -n N -s SEED  N random and mutated inputs
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "stack/checksum.h"
#include "stack/socket.h"
#include "stack/stack.h"
#include "stack/wire/eth.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/wire.h"

static struct stack *st;
static int eth, tun;
static uint64_t now;
static struct sock *socks[4];
static const uint8_t mac[6] = {0x02, 0xaa, 0, 0, 0, 1};

static int tx(void *ctx, const uint8_t *frame, size_t len, const struct pkt *meta)
{
    (void)ctx, (void)frame, (void)len, (void)meta;
    return 0;
}

static void setup(void)
{
    st = stack_create(1, 0);
    stack_add_loopback(st);
    eth = stack_add_netif(st, "eth0", mac, 1500, tx, NULL);
    tun = stack_add_tun(st, "tun0", 1500, tx, NULL);
    stack_add_ip4(st, eth, IP4(198, 18, 0, 2), 24);
    stack_add_ip4(st, tun, IP4(198, 18, 1, 2), 24);
    stack_add_route4(st, 0, 0, IP4(198, 18, 0, 1), eth);
    sock_create(st, AF_INET, SOCK_DGRAM, 0, &socks[0]);
    struct endpoint e = {.addr = ip4(0), .port = 53};
    sock_bind(socks[0], &e);
    sock_create(st, AF_INET, SOCK_DGRAM, 0, &socks[1]);
    struct endpoint p = {.addr = ip4(IP4(198, 18, 0, 1)), .port = 53};
    sock_connect(socks[1], &p);
    sock_create(st, AF_INET, SOCK_RAW, IPPROTO_ICMP, &socks[2]);
    sock_create(st, AF_INET, SOCK_RAW, 253, &socks[3]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!st)
        setup();
    if (size < 1)
        return 0;
    now += (uint64_t)(data[0] >> 1) * 100000;
    stack_input(st, (data[0] & 1) ? tun : eth, data + 1, size - 1, now);
    stack_poll(st, now);
    static uint8_t buf[70000];
    for (int i = 0; i < 4; i++)
        while (sock_recv(socks[i], buf, sizeof buf, 0, NULL, NULL) >= 0)
            ;
    return 0;
}

#ifndef TAPIR_LIBFUZZER
static uint64_t rs = 1;
static uint32_t rnd(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return (uint32_t)(rs >> 11);
}

int main(int argc, char **argv)
{
    long n = 100000;
    int files = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-n") && i + 1 < argc) {
            n = atol(argv[++i]);
        } else if (!strcmp(argv[i], "-s") && i + 1 < argc) {
            rs = strtoull(argv[++i], NULL, 0) | 1;
        } else {
            FILE *f = fopen(argv[i], "rb");
            if (!f) {
                perror(argv[i]);
                return 2;
            }
            static uint8_t in[70000];
            size_t len = fread(in, 1, sizeof in, f);
            fclose(f);
            LLVMFuzzerTestOneInput(in, len);
            files++;
        }
    }
    if (!files) {
        /* No files: a valid IPv4 frame (UDP or ICMP, maybe a fragment) mutated. */
        for (long k = 0; k < n; k++) {
            uint8_t in[1600];
            memset(in, 0, sizeof in);
            size_t len;
            in[0] = (uint8_t)(rnd() & 7);
            memcpy(in + 1, mac, 6);
            memset(in + 7, 0x02, 6);
            in[13] = 0x08;
            in[14] = (rnd() & 3) ? 0x00 : 0x06;
            struct ipv4_hdr h = {.total_len = 60, .ttl = 64, .proto = (uint8_t)((rnd() & 1) ? 17 : 1),
                                 .src = IP4(198, 18, 0, 1), .dst = IP4(198, 18, 0, 2),
                                 .mf = rnd() & 1, .frag_off = (uint16_t)((rnd() & 3) * 8)};
            ipv4_emit(&h, in + 15);
            for (int i = 35; i < 75; i++)
                in[i] = (uint8_t)rnd();
            len = 75;
            int flips = (int)(rnd() % 8);
            for (int i = 0; i < flips; i++)
                in[1 + rnd() % (len - 1)] = (uint8_t)rnd();
            bool whole = false;
            if (rnd() % 4 == 0) {
                /* Options (source routes among them) under a correct
                 * checksum, so they get past ipv4_parse's checksum test:
                 * the option walkers and the reversed-route echo reply. */
                size_t olen = 4 * (1 + rnd() % 10);
                uint8_t *ip = in + 15;
                memmove(ip + 20 + olen, ip + 20, 40);
                static const uint8_t kinds[] = {0, 1, IPV4_OPT_LSRR, IPV4_OPT_SSRR, 7, 68};
                for (size_t i = 0; i < olen;) {
                    uint8_t k = kinds[rnd() % sizeof kinds];
                    ip[20 + i++] = k;
                    if (k > 1 && i < olen) {
                        size_t room = olen - i + 1, l = rnd() % 2 ? 3 + 4 * (rnd() % 9) : rnd() % 42;
                        ip[20 + i] = (uint8_t)(l > room && rnd() % 4 ? room : l);
                        ip[20 + i + 1 < 20 + olen ? 20 + i + 1 : 20 + i] = (uint8_t)(rnd() % 48);
                        size_t end = i - 1 + (ip[20 + i] >= 2 ? ip[20 + i] : 2);
                        for (i += 2; i < end && i < olen; i++)
                            ip[20 + i] = (uint8_t)((rnd() & 1) ? 198 : rnd());
                    }
                }
                ip[0] = (uint8_t)(0x40 | (20 + olen) / 4);
                ip[9] = (rnd() & 1) ? 1 : 17;
                if (ip[9] == 1 && rnd() % 2) { /* an echo request, often valid */
                    uint8_t *ic = ip + 20 + olen;
                    ic[0] = 8, ic[1] = 0;
                    put16(ic + 2, 0);
                    put16(ic + 2, csum_finish(csum_add(0, ic, 40)));
                }
                put16(ip + 2, (uint16_t)(20 + olen + 40));
                put16(ip + 10, 0);
                put16(ip + 10, csum_finish(csum_add(0, ip, 20 + olen)));
                len = 15 + 20 + olen + 40;
                whole = rnd() % 4 != 0;
            }
            if (in[0] & 1) { /* TUN: no Ethernet header */
                memmove(in + 1, in + 15, len - 15);
                len -= 14;
            }
            LLVMFuzzerTestOneInput(in, whole ? len : rnd() % (len + 1));
        }
    }
    for (int i = 0; i < 4; i++)
        sock_close(socks[i]);
    stack_destroy(st);
    printf("fuzz_netlayer: %d files / %ld random inputs fed, no crash\n", files, files ? 0 : n);
    return 0;
}
#endif
