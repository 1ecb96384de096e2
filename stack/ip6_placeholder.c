/* PLACEHOLDER until the IPv6 module lands: counts IPv6 packets and drops
 * them; IPv6 output is refused.  The IPv6 module replaces this file (delete it
 * then) and implements stack/ip6.h. */
#include <errno.h>

#include "stack/ip6.h"
#include "stack/stack.h"

void ip6_input(struct stack *st, int ifindex, const uint8_t *pkt, size_t len)
{
    (void)ifindex;
    (void)pkt;
    (void)len;
    st->ctr.ip6_rx++;
}

int ip6_output(struct stack *st, struct pkt *p, const struct ip_tx *tx)
{
    (void)st;
    (void)tx;
    pkt_free(p);
    return -EAFNOSUPPORT;
}

uint32_t ip6_path_mtu(struct stack *st, const struct ipaddr *dst)
{
    (void)st;
    (void)dst;
    return 0;
}

bool ip6_select_source(struct stack *st, const struct ipaddr *dst, struct ipaddr *src)
{
    (void)st;
    (void)dst;
    (void)src;
    return false;
}

void icmp6_send_unreachable(struct stack *st, const struct ip_rx *about, uint8_t code)
{
    (void)st;
    (void)about;
    (void)code;
}
