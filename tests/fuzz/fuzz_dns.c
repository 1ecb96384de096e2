/* Fuzz target for the DNS codec and the stub resolver's answer handling.
 * Each input is one server response:
 *   1. dns_parse on it; if accepted, every name and rdata is walked and the
 *      answer extracted for the question it carries;
 *   2. the stub resolver asks "fuzz.test" (A, then PTR) and gets the input as
 *      the server's answer, with the query's ID written over bytes 0-1 so it
 *      gets past the ID check (byte 2 bit 0 of the input, when set, also
 *      copies the real question in, to reach the answer parser more often).
 *
 *   libFuzzer:  clang -g -O1 -fsanitize=fuzzer,address,undefined -DTAPIR_LIBFUZZER -I. \
 *                 tests/fuzz/fuzz_dns.c build-clang/libtapir.a -lpcap -lssl -lcrypto -o fz
 *   standalone (build/tests/fuzz/fuzz_dns):
 *               fuzz_dns FILE...          each file as one input
 *               fuzz_dns -n N -s SEED     N mutations of built-in valid answers
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/dns_wire.h"
#include "api/resolver_int.h"

static const uint8_t *cur_in;
static size_t cur_len;
static uint64_t clock_us = 1;

static int fz_udp(void *ctx, const struct endpoint *server, const uint8_t *q, size_t qlen,
                  uint64_t deadline, bool (*accept)(void *, const uint8_t *, size_t), void *arg)
{
    (void)ctx, (void)server;
    static uint8_t msg[DNS_TCP_MAX];
    size_t n = cur_len < sizeof msg ? cur_len : sizeof msg;
    memcpy(msg, cur_in, n);
    if (n >= 2) {
        msg[0] = q[0];
        msg[1] = q[1];
    }
    if (n >= 3 && (cur_in[2] & 1) && qlen > DNS_HDR_LEN && n >= qlen) {
        memcpy(msg + DNS_HDR_LEN, q + DNS_HDR_LEN, qlen - DNS_HDR_LEN);
        msg[4] = 0, msg[5] = 1;
    }
    if (accept(arg, msg, n))
        return 0;
    clock_us = deadline;
    return -110;
}

static ssize_t fz_tcp(void *ctx, const struct endpoint *server, const uint8_t *q, size_t qlen,
                      uint8_t *resp, size_t cap, uint64_t deadline)
{
    (void)ctx, (void)server, (void)qlen, (void)deadline;
    size_t n = cur_len < cap ? cur_len : cap;
    memcpy(resp, cur_in, n);
    if (n >= 2) {
        resp[0] = q[0];
        resp[1] = q[1];
    }
    return (ssize_t)n;
}

static uint64_t fz_now(void *ctx)
{
    (void)ctx;
    return clock_us;
}

static uint16_t fz_rand(void *ctx)
{
    (void)ctx;
    return 0x1234;
}

static struct dns_resolver R;
static bool ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ready) {
        struct dns_transport tr = {fz_udp, fz_tcp, fz_now, fz_rand, NULL};
        dns_resolver_init(&R, &tr);
        resolv_conf_parse(&R.conf, "nameserver 198.18.0.1\noptions timeout:1 attempts:1 no-cache\n");
        ready = true;
    }
    static struct dns_rr rr[RESOLV_MAX_RRS];
    struct dns_msg m;
    if (dns_parse(data, size, &m, rr, RESOLV_MAX_RRS) == DNS_OK) {
        uint8_t w[DNS_MAX_NAME];
        char t[DNS_TEXT_MAX];
        for (size_t i = 0; i < m.n_rr; i++) {
            if (dns_name_read(data, size, rr[i].name_off, w, NULL) <= 0 || (size_t)rr[i].rdata_off + rr[i].rdlen > size)
                abort(); /* parse said yes: every record must be walkable */
            dns_name_to_text(w, t, sizeof t);
        }
        if (m.has_question && dns_name_read(data, size, m.q_name_off, w, NULL) > 0) {
            struct dns_answer a;
            size_t idx[64];
            dns_answer_extract(&m, w, m.qtype, 8, &a, idx, 64);
        }
    }
    cur_in = data;
    cur_len = size;
    static struct dns_result res;
    dns_resolve(&R, "fuzz.test", DNS_T_A, UINT64_MAX, &res);
    dns_resolve(&R, "7.0.18.198.in-addr.arpa", DNS_T_PTR, UINT64_MAX, &res);
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

/* Valid answers to start from: A with a CNAME, NXDOMAIN with an SOA, PTR. */
static size_t seed_msg(int which, uint8_t *buf, size_t cap)
{
    struct dns_writer w;
    uint8_t a[4] = {198, 18, 0, 7};
    dns_w_init(&w, buf, cap);
    if (which == 0) {
        struct dns_header h = {0, DNS_F_QR | DNS_F_RD | DNS_F_RA, 1, 2, 0, 0};
        dns_w_header(&w, &h);
        dns_w_question(&w, "fuzz.test", DNS_T_A);
        dns_w_rr_name(&w, "fuzz.test", DNS_T_CNAME, 60, "www.fuzz.test");
        dns_w_rr(&w, "www.fuzz.test", DNS_T_A, 60, a, 4);
    } else if (which == 1) {
        struct dns_header h = {0, DNS_F_QR | DNS_F_RD | DNS_F_RA | DNS_R_NXDOMAIN, 1, 0, 1, 0};
        dns_w_header(&w, &h);
        dns_w_question(&w, "fuzz.test", DNS_T_A);
        dns_w_rr_soa(&w, "test", 60, 30);
    } else {
        struct dns_header h = {0, DNS_F_QR | DNS_F_RD | DNS_F_RA, 1, 1, 0, 0};
        dns_w_header(&w, &h);
        dns_w_question(&w, "7.0.18.198.in-addr.arpa", DNS_T_PTR);
        dns_w_rr_name(&w, "7.0.18.198.in-addr.arpa", DNS_T_PTR, 60, "www.fuzz.test");
    }
    /* A compressed copy of the owner at the end, to give pointers something to hit. */
    return w.len;
}

int main(int argc, char **argv)
{
    long n = 200000;
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
            static uint8_t in[DNS_TCP_MAX];
            size_t len = fread(in, 1, sizeof in, f);
            fclose(f);
            LLVMFuzzerTestOneInput(in, len);
            files++;
        }
    }
    if (!files) {
        for (long k = 0; k < n; k++) {
            uint8_t buf[700];
            size_t len = seed_msg((int)(rnd() % 3), buf, 600);
            buf[2] |= (uint8_t)(rnd() & 1);
            int muts = 1 + (int)(rnd() % 6);
            for (int i = 0; i < muts && len > 0; i++) {
                uint32_t pos = rnd() % (uint32_t)len;
                switch (rnd() % 6) {
                case 0: buf[pos] ^= (uint8_t)(1u << (rnd() % 8)); break;
                case 1: buf[pos] = (uint8_t)rnd(); break;
                case 2: buf[pos] = (uint8_t)(0xc0 | (rnd() & 1)); if (pos + 1 < len) buf[pos + 1] = (uint8_t)rnd(); break;
                case 3: len = pos + 1; break;
                case 4: if (len < 690) { memmove(buf + pos + 1, buf + pos, len - pos); buf[pos] = (uint8_t)rnd(); len++; } break;
                case 5: buf[4 + 2 * (rnd() % 4) + 1] = (uint8_t)(rnd() % 8); break; /* counts */
                }
            }
            uint8_t *heap = malloc(len ? len : 1); /* exact size: ASan sees over-reads */
            memcpy(heap, buf, len);
            LLVMFuzzerTestOneInput(heap, len);
            free(heap);
        }
        printf("fuzz_dns: %ld inputs, no crash\n", n);
    }
    dns_resolver_destroy(&R);
    return 0;
}
#endif
