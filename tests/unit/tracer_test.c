/* The tracer's decoder and middleware. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/memlink.h"
#include "drivers/tracer.h"
#include "stack/checksum.h"
#include "stack/config.h"

static const uint8_t arp_req[42] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 2, 0x08, 0x06,
    0, 1, 0x08, 0, 6, 4, 0, 1, 0x02, 0, 0, 0, 0, 2, 198, 18, 0, 2,
    0, 0, 0, 0, 0, 0, 198, 18, 0, 1};

/* Ethernet + IPv4 (20) + ICMP echo request id 7 seq 1, 8 bytes of data. */
static uint8_t echo[50] = {
    0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00,
    0x45, 0, 0, 36, 0, 1, 0x40, 0, 64, 1, 0, 0, 198, 18, 0, 2, 198, 18, 0, 1,
    8, 0, 0, 0, 0, 7, 0, 1, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'};

/* Ethernet + IPv4 + TCP SYN with mss 1460, sackOK, wscale 7. */
static uint8_t syn[14 + 20 + 32] = {
    0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00,
    0x45, 0, 0, 52, 0, 1, 0x40, 0, 64, 6, 0, 0, 198, 18, 0, 2, 198, 18, 0, 1,
    0x9c, 0x40, 0, 80, 0, 0, 0, 100, 0, 0, 0, 0, 0x80, 0x02, 0xff, 0xff, 0, 0, 0, 0,
    2, 4, 0x05, 0xb4, 4, 2, 1, 3, 3, 7, 1, 1};

/* Fills the IPv4 header checksum and the ICMP / TCP checksum of a frame. */
static void fix_checksums(uint8_t *f, size_t len)
{
    uint8_t *ip = f + 14, *l4 = ip + 20;
    size_t l4n = len - 34;
    ip[10] = ip[11] = 0;
    uint16_t c = csum_finish(csum_add(0, ip, 20));
    ip[10] = (uint8_t)(c >> 8);
    ip[11] = (uint8_t)c;
    size_t at = ip[9] == 1 ? 2 : 16;
    l4[at] = l4[at + 1] = 0;
    uint32_t sum = 0;
    if (ip[9] == 6) {
        struct ipaddr s = ip4(IP4(ip[12], ip[13], ip[14], ip[15])), d = ip4(IP4(ip[16], ip[17], ip[18], ip[19]));
        sum = csum_pseudo(&s, &d, 6, (uint32_t)l4n);
    }
    c = csum_finish(csum_add(sum, l4, l4n));
    l4[at] = (uint8_t)(c >> 8);
    l4[at + 1] = (uint8_t)c;
}

Test(tracer, decodes_arp_icmp_tcp)
{
    char line[512];
    fix_checksums(echo, sizeof echo);
    fix_checksums(syn, sizeof syn);
    tapir_trace_format(line, sizeof line, arp_req, sizeof arp_req);
    cr_assert_str_eq(line, "ARP, Request who-has 198.18.0.1 tell 198.18.0.2, length 28");
    tapir_trace_format(line, sizeof line, echo, sizeof echo);
    cr_assert_str_eq(line, "IP 198.18.0.2 > 198.18.0.1: ICMP echo request, id 7, seq 1, length 16");
    tapir_trace_format(line, sizeof line, syn, sizeof syn);
    cr_assert_str_eq(line, "IP 198.18.0.2.40000 > 198.18.0.1.80: Flags [S], seq 100, win 65535, "
                           "options [mss 1460,sackOK,nop,wscale 7,nop,nop], length 0");
}

Test(tracer, flags_bad_checksums)
{
    char line[512];
    uint8_t f[sizeof echo];
    memcpy(f, echo, sizeof f);
    fix_checksums(f, sizeof f);
    f[sizeof f - 1] ^= 1; /* payload: the ICMP checksum no longer holds */
    tapir_trace_format(line, sizeof line, f, sizeof f);
    cr_assert(strstr(line, "[bad icmp cksum]") && !strstr(line, "[bad ip cksum]"), "%s", line);
    fix_checksums(f, sizeof f);
    f[14 + 8] = 1; /* TTL: the IP header checksum no longer holds */
    tapir_trace_format(line, sizeof line, f, sizeof f);
    cr_assert(strstr(line, "[bad ip cksum]") && !strstr(line, "[bad icmp cksum]"), "%s", line);
    cr_assert(strstr(line, "[ttl 1]"), "%s", line);
    uint8_t t[sizeof syn];
    memcpy(t, syn, sizeof t);
    fix_checksums(t, sizeof t);
    t[14 + 20 + 4] ^= 0x80; /* sequence number */
    tapir_trace_format(line, sizeof line, t, sizeof t);
    cr_assert(strstr(line, "[bad tcp cksum]"), "%s", line);
}

Test(tracer, every_truncation_is_safe)
{
    const uint8_t *frames[] = {arp_req, echo, syn};
    size_t lens[] = {sizeof arp_req, sizeof echo, sizeof syn};
    char line[512];
    for (int k = 0; k < 3; k++)
        for (size_t n = 0; n <= lens[k]; n++) {
            uint8_t *copy = malloc(n ? n : 1); /* exact size: ASan sees any overread */
            memcpy(copy, frames[k], n);
            tapir_trace_format(line, sizeof line, copy, n);
            cr_assert(strlen(line) > 0);
            free(copy);
        }
    /* A tiny output buffer is truncated, still terminated. */
    tapir_trace_format(line, 8, syn, sizeof syn);
    cr_assert_eq(strlen(line), 7);
}

Test(tracer, prints_one_line_per_frame_both_ways)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    struct tapir_memlink_opts o = {.virtual_time = true};
    struct tapir_memlink *m = tapir_memlink_create(&o);
    struct tapir_device *a = tapir_memlink_port(m, "a"), *b = tapir_memlink_port(m, "b");
    tapir_memlink_release(m);
    struct tapir_device *t = tapir_tracer_wrap(a, out);
    cr_assert_not_null(t);
    static uint8_t buf[TAPIR_MAX_FRAME];
    tapir_device_send(t, arp_req, sizeof arp_req, NULL);
    tapir_device_send(b, echo, sizeof echo, NULL);
    cr_assert_eq(tapir_device_recv(t, buf, sizeof buf, 0), (ssize_t)sizeof echo);
    tapir_device_close(t);
    tapir_device_close(b);
    fclose(out);
    cr_assert_not_null(strstr(text, " tx ARP, Request who-has 198.18.0.1"), "%s", text);
    cr_assert_not_null(strstr(text, " rx IP 198.18.0.2 > 198.18.0.1: ICMP echo request"), "%s", text);
    int lines = 0;
    for (char *p = text; *p; p++)
        lines += *p == '\n';
    cr_assert_eq(lines, 2);
    free(text);
}
