/* The raw TAP write limit: how many 1514-byte frames per second one thread
 * can hand the kernel through a TAP fd, one frame per write(), no offloads.
 * This is the ceiling for any user-space stack on a plain TAP (DESIGN.md's
 * cost model); bench/run.sh divides tapir's throughput by it.
 *
 *   tapwrite TAPNAME SECONDS
 * The frames are UDP datagrams from 198.18.0.2 to 198.18.0.1:9 (discard),
 * addressed to the TAP's own MAC, so the kernel runs its receive path on them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "drivers/tap.h"
#include "stack/checksum.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: tapwrite TAPNAME SECONDS\n");
        return 2;
    }
    struct tapir_tap_opts o = {.name = argv[1]};
    struct tapir_device *d = tapir_tap_open(&o);
    if (!d) {
        perror("tapir_tap_open");
        return 1;
    }
    uint8_t f[1514] = {0};
    tapir_tap_kernel_mac(d, f);                         /* destination: the kernel side */
    memcpy(f + 6, "\x02\x00\xc6\x12\x00\x02", 6);        /* source: a tapir-like MAC */
    f[12] = 0x08;                                        /* IPv4 */
    uint8_t *ip = f + 14;
    ip[0] = 0x45;
    ip[2] = (1500 >> 8) & 0xff;
    ip[3] = 1500 & 0xff;
    ip[6] = 0x40;                                        /* DF */
    ip[8] = 64;
    ip[9] = 17;
    memcpy(ip + 12, "\xc6\x12\x00\x02\xc6\x12\x00\x01", 8);
    uint16_t c = csum_finish(csum_add(0, ip, 20));
    ip[10] = (uint8_t)(c >> 8);
    ip[11] = (uint8_t)c;
    uint8_t *udp = ip + 20;
    udp[0] = 0x30; udp[1] = 0x39;                        /* port 12345 */
    udp[3] = 9;                                          /* discard */
    udp[4] = (1480 >> 8) & 0xff;
    udp[5] = 1480 & 0xff;                                /* checksum 0: none */

    double secs = atof(argv[2]), t0 = now_s(), t;
    long long frames = 0, refused = 0;
    do {
        for (int i = 0; i < 256; i++) {
            if (tapir_device_send(d, f, sizeof f, NULL) == 0)
                frames++;
            else
                refused++;
        }
        t = now_s();
    } while (t - t0 < secs);
    printf("frames=%lld refused=%lld seconds=%.3f fps=%.0f gbps=%.3f\n", frames, refused, t - t0,
           frames / (t - t0), frames * 1514.0 * 8 / (t - t0) / 1e9);
    tapir_device_close(d);
    return 0;
}
