/* The pcap writer: what it writes, libpcap reads back, both directions. */
#include <criterion/criterion.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "drivers/memlink.h"
#include "drivers/pcap_writer.h"
#include "stack/config.h"

static uint64_t vclock(void *ctx)
{
    return *(uint64_t *)ctx;
}

Test(pcap_writer, readable_by_libpcap)
{
    char path[] = "/tmp/tapir-pcapw-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    struct tapir_memlink_opts o = {.virtual_time = true};
    struct tapir_memlink *m = tapir_memlink_create(&o);
    struct tapir_device *a = tapir_memlink_port(m, "a"), *b = tapir_memlink_port(m, "b");
    tapir_memlink_release(m);
    char err[256];
    struct tapir_device *w = tapir_pcap_writer_wrap(a, path, err);
    cr_assert_not_null(w, "%s", err);
    uint64_t now = 1500000;
    tapir_pcap_writer_set_clock(w, vclock, &now);

    uint8_t f[200], buf[TAPIR_MAX_FRAME];
    for (int i = 0; i < 5; i++) { /* 5 sent through the writer, 5 received through it */
        memset(f, i, sizeof f);
        cr_assert_eq(tapir_device_send(w, f, 60 + i, NULL), 0);
        memset(f, 0x80 + i, sizeof f);
        tapir_device_send(b, f, 100 + i, NULL);
        cr_assert_eq(tapir_device_recv(w, buf, sizeof buf, 0), 100 + i);
        now += 1000;
    }
    cr_assert_eq(tapir_pcap_writer_count(w), 10);
    tapir_device_close(w);
    tapir_device_close(b);

    pcap_t *pc = pcap_open_offline(path, err);
    cr_assert_not_null(pc, "%s", err);
    cr_assert_eq(pcap_datalink(pc), DLT_EN10MB);
    struct pcap_pkthdr *h;
    const u_char *data;
    int n = 0;
    while (pcap_next_ex(pc, &h, &data) == 1) {
        int i = n / 2;
        bool sent = n % 2 == 0;
        cr_assert_eq(h->len, sent ? 60u + i : 100u + i);
        cr_assert_eq(h->caplen, h->len);
        cr_assert_eq(data[0], sent ? i : 0x80 + i);
        cr_assert_eq(h->ts.tv_sec, 1);
        cr_assert_eq(h->ts.tv_usec, 500000 + 1000 * i);
        n++;
    }
    cr_assert_eq(n, 10);
    pcap_close(pc);
    unlink(path);
}

Test(pcap_writer, bad_path_leaves_device_to_caller)
{
    struct tapir_memlink *m = tapir_memlink_create(NULL);
    struct tapir_device *a = tapir_memlink_port(m, "a");
    tapir_memlink_release(m);
    char err[256];
    cr_assert_null(tapir_pcap_writer_wrap(a, "/nonexistent-dir/x.pcap", err));
    cr_assert(err[0] != 0, "an error message");
    tapir_device_close(a);
}
