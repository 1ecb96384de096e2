/* The family-neutral face of the network layer (stack/ip.h): each call goes
 * to IPv4 (stack/ip4.c) or IPv6 (stack/ip6*.c) by the destination's family. */
#include "stack/ip.h"

#include <errno.h>

#include "stack/ip4.h"
#include "stack/ip6.h"
#include "stack/stack.h"

int ip_output(struct stack *st, struct pkt *p, const struct ip_tx *tx)
{
    if (!p)
        return -EINVAL;
    switch (tx->dst.family) {
    case TP_AF_INET: return ip4_output(st, p, tx);
    case TP_AF_INET6: return ip6_output(st, p, tx);
    default:
        pkt_free(p);
        return -EAFNOSUPPORT;
    }
}

uint32_t ip_path_mtu(struct stack *st, const struct ipaddr *dst)
{
    switch (dst->family) {
    case TP_AF_INET: return ip4_path_mtu(st, dst->v4);
    case TP_AF_INET6: return ip6_path_mtu(st, dst);
    default: return 0;
    }
}

uint32_t ip_path_offloads(struct stack *st, const struct ipaddr *dst, int ifindex, uint32_t *mtu)
{
    switch (dst->family) {
    case TP_AF_INET: return ip4_path_offloads(st, dst->v4, ifindex, mtu);
    case TP_AF_INET6: return ip6_path_offloads(st, dst, ifindex, mtu);
    default: return 0;
    }
}

bool ip_select_source(struct stack *st, const struct ipaddr *dst, struct ipaddr *src)
{
    return ip_select_source_on(st, dst, -1, src);
}

bool ip_select_source_on(struct stack *st, const struct ipaddr *dst, int ifindex, struct ipaddr *src)
{
    switch (dst->family) {
    case TP_AF_INET: {
        uint32_t a;
        if (!ip4_select_source(st, dst->v4, &a))
            return false;
        *src = ip4(a);
        return true;
    }
    case TP_AF_INET6: return ip6_select_source_on(st, dst, ifindex, src);
    default: return false;
    }
}
