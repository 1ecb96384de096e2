/* What every device shares (drivers/device.h). */
#include "drivers/device.h"

#include "stack/checksum.h"

void tapir_device_rx_finish_csum(struct tapir_device *d, uint8_t *buf, size_t len)
{
    if (!(d->rx_flags & TAPIR_RX_CSUM_PARTIAL))
        return;
    d->rx_flags &= ~TAPIR_RX_CSUM_PARTIAL;
    size_t start = d->rx_csum_start, off = d->rx_csum_offset;
    if (start >= len || start + off + 2 > len) {
        /* Nonsense from the kernel: leave it, and let the stack check (and drop) it. */
        d->rx_flags = 0;
        return;
    }
    uint16_t c = csum_finish(csum_add(0, buf + start, len - start));
    buf[start + off] = (uint8_t)(c >> 8);
    buf[start + off + 1] = (uint8_t)c;
}
