/* One tapir stack: creation, interfaces, routes, the link layer (Ethernet II
 * demultiplexing, TUN and loopback), the loopback queue, time and logging.
 * Protocols live in their own files; this one only wires them together. */
#include "stack/stack.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack/arp.h"
#include "stack/icmp4.h"
#include "stack/ip4.h"
#include "stack/ip6.h"
#include "stack/udp.h"
#include "stack/wire/eth.h"

struct stack *stack_create(uint64_t seed, uint64_t now)
{
    struct stack *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->now = now;
    rng_seed(&st->rng, seed);
    rng_bytes(&st->rng, st->secret, sizeof st->secret);
    st->cfg = (struct stack_settings){
        .ip_default_ttl = IP4_DEFAULT_TTL,
        .icmp_echo_ignore_broadcasts = true, /* Linux's default: no smurf amplifier */
        .icmp_rate_ms = ICMP_RATE_MS,
        .icmp_rate_burst = ICMP_RATE_BURST,
        .arp_reachable_ms = ARP_REACHABLE_MS,
        .arp_retry_ms = ARP_RETRY_MS,
        .arp_max_requests = ARP_MAX_REQUESTS,
        .ip4_reass_timeout_ms = IP4_REASS_TIMEOUT_MS,
        .ip4_reass_max_bytes = IP4_REASS_MAX_BYTES,
    };
    tcp_settings_default(&st->cfg.tcp);
    timer_wheel_init(&st->timers, now);
    st->loopback_ifindex = -1;
    st->log_level = TAPIR_LOG_INFO;
    if (arp_init(st) || ip4_init(st) || ip4_reass_init(st) || icmp_init(st) || udp_init(st) ||
        raw_init(st)) {
        stack_destroy(st);
        return NULL;
    }
    return st;
}

void stack_destroy(struct stack *st)
{
    if (!st)
        return;
    while (st->n_fini > 0)
        st->fini[--st->n_fini](st);
    raw_destroy(st);
    udp_destroy(st);
    icmp_destroy(st);
    ip4_reass_destroy(st);
    ip4_destroy(st);
    arp_destroy(st);
    while (st->loop_head) {
        struct pkt *p = st->loop_head;
        st->loop_head = p->next;
        pkt_free(p);
    }
    free(st);
}

int stack_at_destroy(struct stack *st, void (*fn)(struct stack *st))
{
    if (st->n_fini >= TAPIR_MAX_FINI)
        return -ENOSPC;
    st->fini[st->n_fini++] = fn;
    return 0;
}

/* ---- interfaces ---- */

static struct netif *new_netif(struct stack *st, const char *name, uint32_t mtu)
{
    if (st->n_netifs >= TAPIR_MAX_NETIFS || !name || mtu < IPV4_MIN_MTU)
        return NULL;
    struct netif *nif = &st->netifs[st->n_netifs];
    memset(nif, 0, sizeof *nif);
    nif->index = st->n_netifs++;
    snprintf(nif->name, sizeof nif->name, "%s", name);
    nif->mtu = mtu;
    nif->up = true;
    return nif;
}

/* IPv6 comes up with the interface unless turned off (like Linux). */
static void ip6_auto_up(struct stack *st, int ifindex)
{
    struct ip6_settings *s6 = stack_ip6_settings(st);
    if (s6 && s6->enabled)
        stack_ip6_up(st, ifindex);
}

int stack_add_netif(struct stack *st, const char *name, const uint8_t mac[6], uint32_t mtu,
                    netif_tx_fn tx, void *tx_ctx)
{
    if (!mac || !tx || eth_is_multicast(mac))
        return -1;
    struct netif *nif = new_netif(st, name, mtu);
    if (!nif)
        return -1;
    memcpy(nif->mac, mac, 6);
    nif->tx = tx;
    nif->tx_ctx = tx_ctx;
    ip6_auto_up(st, nif->index);
    return nif->index;
}

int stack_add_tun(struct stack *st, const char *name, uint32_t mtu, netif_tx_fn tx, void *tx_ctx)
{
    if (!tx)
        return -1;
    struct netif *nif = new_netif(st, name, mtu);
    if (!nif)
        return -1;
    nif->tun = true;
    nif->tx = tx;
    nif->tx_ctx = tx_ctx;
    ip6_auto_up(st, nif->index);
    return nif->index;
}

int stack_add_loopback(struct stack *st)
{
    if (st->loopback_ifindex >= 0)
        return st->loopback_ifindex;
    struct netif *nif = new_netif(st, "lo", TAPIR_LOOPBACK_MTU);
    if (!nif)
        return -1;
    nif->loopback = true;
    st->loopback_ifindex = nif->index;
    if (stack_add_ip4(st, nif->index, IP4(127, 0, 0, 1), 8) != 0)
        return -1;
    ip6_auto_up(st, nif->index);   /* ::1 */
    return nif->index;
}

struct netif *stack_netif(struct stack *st, int ifindex)
{
    if (ifindex < 0 || ifindex >= st->n_netifs)
        return NULL;
    return &st->netifs[ifindex];
}

int stack_add_ip4(struct stack *st, int ifindex, uint32_t addr, uint8_t prefix_len)
{
    struct netif *nif = stack_netif(st, ifindex);
    if (!nif)
        return -ENODEV;
    if (prefix_len > 32 || addr == 0 || ip4_is_multicast(addr) || ip4_is_reserved_e(addr))
        return -EINVAL;
    for (int i = 0; i < nif->n_ip4; i++)
        if (nif->ip4[i].addr == addr)
            return -EEXIST;
    if (nif->n_ip4 >= TAPIR_MAX_IF_ADDRS)
        return -ENOSPC;
    nif->ip4[nif->n_ip4++] = (struct ip4_ifaddr){addr, prefix_len};
    /* The on-link route of the prefix, as Linux adds one ("proto kernel"). */
    if (prefix_len < 32) {
        uint32_t mask = ip4_prefix_mask(prefix_len);
        int err = stack_add_route4(st, addr & mask, prefix_len, 0, ifindex);
        if (err && err != -EEXIST)
            return err;
    }
    if (!nif->loopback && !nif->tun)
        arp_announce(st, ifindex, addr);
    return 0;
}

int stack_add_route4(struct stack *st, uint32_t dest, uint8_t prefix_len, uint32_t gateway, int ifindex)
{
    if (!stack_netif(st, ifindex) || prefix_len > 32)
        return -EINVAL;
    dest &= ip4_prefix_mask(prefix_len);
    for (int i = 0; i < st->n_routes4; i++) {
        const struct route4 *r = &st->routes4[i];
        if (r->dest == dest && r->prefix_len == prefix_len && r->gateway == gateway &&
            r->ifindex == ifindex)
            return -EEXIST;
    }
    if (st->n_routes4 >= TAPIR_MAX_ROUTES)
        return -ENOSPC;
    st->routes4[st->n_routes4++] = (struct route4){dest, prefix_len, gateway, ifindex, 0, 0};
    return 0;
}

const struct route4 *stack_route4(const struct stack *st, uint32_t dst)
{
    /* A linear scan: the table holds at most TAPIR_MAX_ROUTES entries and a
     * host has a handful.  Longest prefix first, then a live gateway over
     * one that just failed (RFC 1122 3.3.1.4-5: dead gateway detection, the
     * next default gateway taken; if all failed, the best is tried anyway),
     * then the lowest metric, then the earliest added (stable). */
    const struct route4 *best = NULL;
    bool best_dead = false;
    for (int i = 0; i < st->n_routes4; i++) {
        const struct route4 *r = &st->routes4[i];
        if ((dst & ip4_prefix_mask(r->prefix_len)) != r->dest)
            continue;
        if (!st->netifs[r->ifindex].up)
            continue;
        bool dead = r->dead_until > st->now;
        if (!best || r->prefix_len > best->prefix_len ||
            (r->prefix_len == best->prefix_len && best_dead && !dead) ||
            (r->prefix_len == best->prefix_len && dead == best_dead && r->metric < best->metric)) {
            best = r;
            best_dead = dead;
        }
    }
    return best;
}

void stack_gateway_seen(struct stack *st, int ifindex, uint32_t addr, bool alive)
{
    for (int i = 0; i < st->n_routes4; i++) {
        struct route4 *r = &st->routes4[i];
        if (r->gateway == addr && r->ifindex == ifindex)
            r->dead_until = alive ? 0 : st->now + (uint64_t)IP4_DEAD_GATEWAY_MS * 1000;
    }
}

bool stack_is_local4(const struct stack *st, uint32_t addr)
{
    if (ip4_is_loopback(addr))
        return true;
    for (int i = 0; i < st->n_netifs; i++)
        for (int j = 0; j < st->netifs[i].n_ip4; j++)
            if (st->netifs[i].ip4[j].addr == addr)
                return true;
    return false;
}

uint32_t stack_source4(const struct stack *st, int ifindex, uint32_t dst)
{
    if (ifindex < 0 || ifindex >= st->n_netifs)
        return 0;
    const struct netif *nif = &st->netifs[ifindex];
    /* RFC 1122 3.3.4.3: prefer an address on the destination's subnet, else
     * the interface's first (primary) address. */
    for (int j = 0; j < nif->n_ip4; j++) {
        uint32_t mask = ip4_prefix_mask(nif->ip4[j].prefix_len);
        if ((nif->ip4[j].addr & mask) == (dst & mask))
            return nif->ip4[j].addr;
    }
    return nif->n_ip4 ? nif->ip4[0].addr : 0;
}

/* ---- time, logging ---- */

void stack_set_time(struct stack *st, uint64_t now)
{
    if (now > st->now)
        st->now = now;
}

void stack_logf(struct stack *st, int level, const char *fmt, ...)
{
    if (!st->log || level > st->log_level)
        return;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    st->log(st->log_ctx, level, msg);
}

/* ---- loopback ---- */

void stack_loopback_enqueue(struct stack *st, struct pkt *p)
{
    p->next = NULL;
    if (st->loop_tail)
        st->loop_tail->next = p;
    else
        st->loop_head = p;
    st->loop_tail = p;
}

static void deliver_ip(struct stack *st, int ifindex, const uint8_t *pkt, size_t len, bool link_bcast)
{
    if (len == 0)
        return;
    switch (pkt[0] >> 4) {
    case 4: ip4_input(st, ifindex, pkt, len, link_bcast); break;
    case 6: ip6_input(st, ifindex, pkt, len, false); break;
    default:
        st->ctr.ip_rx++;
        st->ctr.ip_rx_bad_version++;
        break;
    }
}

/* Delivers what was sent to ourselves.  Delivery may send more (an echo
 * reply to a local ping): those join the queue and go in the same pass, up
 * to a bound so that no protocol bug can spin here forever. */
void stack_loopback_flush(struct stack *st)
{
    if (st->draining_loop)
        return;
    st->draining_loop = true;
    for (int n = 0; st->loop_head && n < LOOPBACK_DRAIN_MAX; n++) {
        struct pkt *p = st->loop_head;
        st->loop_head = p->next;
        if (!st->loop_head)
            st->loop_tail = NULL;
        deliver_ip(st, st->loopback_ifindex, p->data, p->len, false);
        pkt_free(p);
    }
    st->draining_loop = false;
}


/* ---- link layer ---- */

static bool mac_accepted(const struct netif *nif, const uint8_t dst[6])
{
    /* Ours, broadcast, or a group address (the IP layer filters groups). */
    return memcmp(dst, nif->mac, 6) == 0 || eth_is_multicast(dst);
}

static void eth_input(struct stack *st, struct netif *nif, const uint8_t *frame, size_t len)
{
    struct eth_hdr eh;
    int err = eth_parse(frame, len, &eh);
    if (err == WIRE_ETRUNC) {
        st->ctr.eth_rx_short++;
        return;
    }
    if (err) {
        st->ctr.eth_rx_unknown_type++;
        return;
    }
    if (!mac_accepted(nif, eh.dst)) {
        st->ctr.eth_rx_not_for_us++;
        return;
    }
    const uint8_t *payload = frame + ETH_HDR_LEN;
    size_t plen = len - ETH_HDR_LEN;
    switch (eh.type) {
    case ETHERTYPE_ARP: arp_input(st, nif->index, payload, plen); break;
    case ETHERTYPE_IPV4: ip4_input(st, nif->index, payload, plen, eth_is_multicast(eh.dst)); break;
    case ETHERTYPE_IPV6: ip6_input(st, nif->index, payload, plen, eth_is_multicast(eh.dst)); break;
    default: st->ctr.eth_rx_unknown_type++; break;
    }
}

void stack_input_flags(struct stack *st, int ifindex, const uint8_t *frame, size_t len, uint64_t now,
                       unsigned flags)
{
    stack_set_time(st, now);
    struct netif *nif = stack_netif(st, ifindex);
    if (!nif || !frame)
        return;
    st->ctr.eth_rx_frames++;
    st->ctr.eth_rx_bytes += len;
    if (nif->up) {
        /* The flags are about this frame only: not the looped-back packets below. */
        st->rx_flags = flags;
        if (nif->tun || nif->loopback)
            deliver_ip(st, ifindex, frame, len, false);
        else
            eth_input(st, nif, frame, len);
        st->rx_flags = 0;
    }
    stack_loopback_flush(st);
}

void stack_input(struct stack *st, int ifindex, const uint8_t *frame, size_t len, uint64_t now)
{
    stack_input_flags(st, ifindex, frame, len, now, 0);
}

void stack_poll(struct stack *st, uint64_t now)
{
    stack_set_time(st, now);
    timer_wheel_run(&st->timers, st, st->now);
    stack_loopback_flush(st);
}

uint64_t stack_next_deadline(const struct stack *st)
{
    if (st->loop_head)
        return st->now;
    return timer_wheel_next(&st->timers, st->now);
}

static int link_tx(struct stack *st, struct netif *nif, struct pkt *p)
{
    pkt_link_offsets(p);
    int rc = nif->tx(nif->tx_ctx, p->data, p->len, p);
    if (rc < 0) {
        st->ctr.eth_tx_errors++;
    } else {
        st->ctr.eth_tx_frames++;
        st->ctr.eth_tx_bytes += p->len;
    }
    pkt_free(p);
    return rc < 0 ? -ENOBUFS : 0;
}

int netif_output(struct stack *st, int ifindex, struct pkt *p, uint16_t ethertype,
                 const uint8_t dst_mac[6])
{
    struct netif *nif = stack_netif(st, ifindex);
    if (!nif || !nif->up) {
        pkt_free(p);
        return -ENETDOWN;
    }
    if (nif->loopback) {
        stack_loopback_enqueue(st, p);
        return 0;
    }
    if (nif->tun) {
        p->l3_offset = 0;
        return link_tx(st, nif, p);
    }
    uint8_t *h = pkt_push(p, ETH_HDR_LEN);
    if (!h) {
        pkt_free(p);
        return -ENOBUFS;
    }
    struct eth_hdr eh;
    memcpy(eh.dst, dst_mac, 6);
    memcpy(eh.src, nif->mac, 6);
    eh.type = ethertype;
    eth_emit(&eh, h);
    p->l3_offset = ETH_HDR_LEN;
    return link_tx(st, nif, p);
}
