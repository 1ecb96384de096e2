/* IPv6 addresses of an interface (RFC 4862): the link-local address formed
 * when the interface comes up, static addresses, addresses formed from the
 * prefixes routers advertise (SLAAC), Duplicate Address Detection before any
 * of them is used, and the preferred / valid lifetimes that deprecate and
 * finally remove them.
 *
 * Interface identifiers are stable and opaque by default (RFC 7217): a keyed
 * hash (SipHash, under the stack's secret) of the prefix, the interface and a
 * DAD counter, so the same host gets the same address on the same network
 * but cannot be tracked across networks by its MAC.  EUI-64 (RFC 4291
 * appendix A) is a setting.
 *
 * An address's life:  TENTATIVE --DAD passes--> PREFERRED --preferred
 * lifetime--> DEPRECATED --valid lifetime--> gone;  TENTATIVE --another node
 * has it--> DUPLICATE (kept to be seen, never used; a stable id is
 * regenerated with the next DAD counter, RFC 7217 6).
 */
#include <errno.h>
#include <string.h>

#include "stack/ip6_int.h"
#include "stack/stack.h"

static uint64_t ms(uint32_t v) { return (uint64_t)v * 1000; }

void slaac_make_iid(struct stack *st, int ifindex, const uint8_t prefix[16], int dad_counter,
                    uint8_t out[16])
{
    struct netif *nif = stack_netif(st, ifindex);
    memcpy(out, prefix, 8);
    if (st->ip6->set.eui64 && nif) {
        /* Modified EUI-64: the MAC split by ff:fe, universal/local bit flipped. */
        out[8] = nif->mac[0] ^ 0x02;
        out[9] = nif->mac[1];
        out[10] = nif->mac[2];
        out[11] = 0xff;
        out[12] = 0xfe;
        out[13] = nif->mac[3];
        out[14] = nif->mac[4];
        out[15] = nif->mac[5];
        return;
    }
    /* RFC 7217 5: F(Prefix, Net_Iface, Network_ID, DAD_Counter, secret_key). */
    for (int attempt = 0; attempt < 8; attempt++) {
        uint8_t in[8 + 16 + 6 + 4];
        memset(in, 0, sizeof in);
        memcpy(in, prefix, 8);
        if (nif) {
            memcpy(in + 8, nif->name, 16);
            memcpy(in + 24, nif->mac, 6);
        }
        uint32_t c = (uint32_t)(dad_counter + attempt);
        memcpy(in + 30, &c, 4);
        uint64_t h = siphash24(st->secret, in, sizeof in);
        for (int i = 0; i < 8; i++)
            out[8 + i] = (uint8_t)(h >> (56 - 8 * i));
        /* RFC 5453: not the subnet-router anycast (0) nor the reserved
         * anycast range fdff:ffff:ffff:ff80-ffff. */
        static const uint8_t zero[8];
        static const uint8_t anyc[7] = {0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
        if (memcmp(out + 8, zero, 8) != 0 && !(memcmp(out + 8, anyc, 7) == 0 && out[15] >= 0x80))
            return;
    }
}

static void life_arm(struct stack *st, struct ip6_ifaddr *a)
{
    uint64_t next = UINT64_MAX;
    if (a->state == IP6_ADDR_PREFERRED && a->preferred_until < next)
        next = a->preferred_until;
    if (a->valid_until < next)
        next = a->valid_until;
    if (next == UINT64_MAX)
        timer_cancel(&st->timers, &a->life_timer);
    else
        timer_arm(&st->timers, &a->life_timer, next);
}

static void life_timer(struct stack *st, struct timer *t)
{
    struct ip6_ifaddr *a = container_of(t, struct ip6_ifaddr, life_timer);
    if (!a->used)
        return;
    if (a->valid_until <= st->now) {
        /* Valid lifetime over: the address goes (RFC 4862 5.5.4). */
        timer_cancel(&st->timers, &a->dad_timer);
        a->used = false;
        return;
    }
    if (a->state == IP6_ADDR_PREFERRED && a->preferred_until <= st->now)
        a->state = IP6_ADDR_DEPRECATED;
    life_arm(st, a);
}

static void dad_done(struct stack *st, struct ip6_ifaddr *a)
{
    a->state = a->preferred_until <= st->now ? IP6_ADDR_DEPRECATED : IP6_ADDR_PREFERRED;
    life_arm(st, a);
    if (a->origin == IP6_ORIGIN_LINKLOCAL) {
        /* The link-local address works: now ask for routers, and report
         * our groups from it. */
        nd_netif_up(st, a->ifindex);
        mld_report(st, a->ifindex);
    }
}

static void dad_timer(struct stack *st, struct timer *t)
{
    struct ip6_ifaddr *a = container_of(t, struct ip6_ifaddr, dad_timer);
    if (!a->used || a->state != IP6_ADDR_TENTATIVE)
        return;
    if (a->dad_left > 0) {
        /* 5.4.2: the solicited-node group is joined (and reported, after the
         * same random delay) before the first probe. */
        if (a->dad_left == st->ip6->set.dad_transmits)
            mld_report(st, a->ifindex);
        /* RFC 4862 5.4.2: from ::, to the solicited-node group, with a nonce
         * (RFC 7527) so our own probe looped back is not a conflict. */
        uint8_t dst[16];
        ip6_solicited_node(a->addr, dst);
        nd_send_ns(st, a->ifindex, a->addr, NULL, dst, a->dad_nonce);
        a->dad_left--;
        timer_arm(&st->timers, &a->dad_timer, st->now + ms(st->ip6->nif[a->ifindex].retrans_ms));
        return;
    }
    st->ctr.nd_dad_ok++;
    dad_done(st, a);
}

static struct ip6_ifaddr *free_slot(struct ip6_netif *n)
{
    for (int i = 0; i < IP6_MAX_IF_ADDRS; i++)
        if (!n->addrs[i].used)
            return &n->addrs[i];
    /* Full: a duplicate (dead) address may make room. */
    for (int i = 0; i < IP6_MAX_IF_ADDRS; i++)
        if (n->addrs[i].state == IP6_ADDR_DUPLICATE)
            return &n->addrs[i];
    return NULL;
}

int slaac_addr_add(struct stack *st, int ifindex, const uint8_t addr[16], uint8_t prefix_len,
                   uint8_t origin, uint32_t valid_s, uint32_t preferred_s)
{
    struct netif *nif = stack_netif(st, ifindex);
    struct ip6_netif *n = ip6_netif(st, ifindex);
    if (!nif || !n)
        return -ENODEV;
    for (int i = 0; i < IP6_MAX_IF_ADDRS; i++)
        if (n->addrs[i].used && n->addrs[i].state != IP6_ADDR_DUPLICATE &&
            memcmp(n->addrs[i].addr, addr, 16) == 0)
            return -EEXIST;
    struct ip6_ifaddr *a = free_slot(n);
    if (!a)
        return -ENOSPC;
    if (a->used) {
        timer_cancel(&st->timers, &a->dad_timer);
        timer_cancel(&st->timers, &a->life_timer);
    }
    int dad_counter = 0;
    memset(a, 0, sizeof *a);
    a->used = true;
    memcpy(a->addr, addr, 16);
    a->prefix_len = prefix_len;
    a->origin = origin;
    a->ifindex = ifindex;
    a->dad_counter = dad_counter;
    a->valid_until = ip6_deadline(st->now, valid_s);
    a->preferred_until = ip6_deadline(st->now, preferred_s);
    timer_init(&a->dad_timer, dad_timer);
    timer_init(&a->life_timer, life_timer);
    uint8_t transmits = st->ip6->set.dad_transmits;
    /* No DAD where there are no neighbours to ask (loopback, TUN). */
    if (transmits == 0 || nif->loopback || nif->tun) {
        a->state = IP6_ADDR_PREFERRED;
        life_arm(st, a);
        if (origin == IP6_ORIGIN_LINKLOCAL)
            dad_done(st, a);
        return 0;
    }
    a->state = IP6_ADDR_TENTATIVE;
    a->dad_left = transmits;
    rng_bytes(&st->rng, a->dad_nonce, sizeof a->dad_nonce);
    st->ctr.nd_dad_started++;
    /* Probe after a random delay so that hosts starting together do not
     * collide (5.4.2). */
    uint32_t d = st->ip6->set.rs_delay_max_ms;
    timer_arm(&st->timers, &a->dad_timer, st->now + ms(d ? rng_below(&st->rng, d) : 0));
    life_arm(st, a);
    return 0;
}

static void regenerate(struct stack *st, struct ip6_ifaddr *dup)
{
    /* RFC 7217 6: a stable id that collided is tried again with the next
     * DAD_Counter, a few times.  EUI-64 and static addresses cannot change. */
    if (st->ip6->set.eui64 || (dup->origin != IP6_ORIGIN_LINKLOCAL && dup->origin != IP6_ORIGIN_SLAAC))
        return;
    if (dup->dad_counter + 1 > IP6_IDGEN_RETRIES)
        return;
    uint8_t prefix[16] = {0}, a[16];
    memcpy(prefix, dup->addr, 8);
    int counter = dup->dad_counter + 1;
    slaac_make_iid(st, dup->ifindex, prefix, counter, a);
    uint32_t valid = dup->valid_until == UINT64_MAX ? 0xffffffffu
                                                    : (uint32_t)((dup->valid_until - st->now) / 1000000);
    uint32_t pref = dup->preferred_until == UINT64_MAX
                        ? 0xffffffffu
                        : dup->preferred_until > st->now ? (uint32_t)((dup->preferred_until - st->now) / 1000000) : 0;
    if (slaac_addr_add(st, dup->ifindex, a, dup->prefix_len, dup->origin, valid, pref) == 0) {
        struct ip6_ifaddr *x = ip6_find_addr(st, dup->ifindex, a);
        if (x)
            x->dad_counter = counter;
    }
}

static void dad_failed(struct stack *st, struct ip6_ifaddr *a)
{
    char buf[IPADDR_STRLEN];
    struct ipaddr ia = ip6(a->addr);
    stack_logf(st, TAPIR_LOG_ERROR, "ipv6: DAD failed: %s is used by another node", ipaddr_str(&ia, buf));
    st->ctr.nd_dad_duplicates++;
    timer_cancel(&st->timers, &a->dad_timer);
    timer_cancel(&st->timers, &a->life_timer);
    a->state = IP6_ADDR_DUPLICATE;
    regenerate(st, a);
}

void slaac_dad_ns(struct stack *st, struct ip6_ifaddr *a, const uint8_t *nonce, size_t nonce_len)
{
    /* RFC 7527: our own probe, looped back by the link, is not a conflict. */
    if (nonce && nonce_len >= sizeof a->dad_nonce && memcmp(nonce, a->dad_nonce, sizeof a->dad_nonce) == 0)
        return;
    dad_failed(st, a);
}

void slaac_dad_na(struct stack *st, struct ip6_ifaddr *a) { dad_failed(st, a); }

void slaac_netif_up(struct stack *st, int ifindex)
{
    uint8_t prefix[16] = {0xfe, 0x80}, a[16];
    slaac_make_iid(st, ifindex, prefix, 0, a);
    slaac_addr_add(st, ifindex, a, 64, IP6_ORIGIN_LINKLOCAL, 0xffffffffu, 0xffffffffu);
}

void slaac_prefix(struct stack *st, int ifindex, const struct nd_prefix *pi)
{
    /* RFC 4862 5.5.3 a-c: autonomous, not link-local, preferred <= valid. */
    if (!pi->autonomous || ip6_is_linklocal(pi->prefix) || pi->preferred_lifetime > pi->valid_lifetime)
        return;
    /* d: the prefix plus our 64-bit interface id must make 128 bits. */
    if (pi->prefix_len != 64) {
        stack_logf(st, TAPIR_LOG_INFO, "ipv6: RA prefix of length %u ignored for SLAAC", pi->prefix_len);
        return;
    }
    struct ip6_netif *n = ip6_netif(st, ifindex);
    if (!n)
        return;
    struct ip6_ifaddr *have = NULL;
    for (int i = 0; i < IP6_MAX_IF_ADDRS; i++) {
        struct ip6_ifaddr *x = &n->addrs[i];
        if (x->used && x->origin == IP6_ORIGIN_SLAAC && x->state != IP6_ADDR_DUPLICATE &&
            ip6_prefix_eq(x->addr, pi->prefix, 64))
            have = x;
    }
    if (!have) {
        /* e: a new address, if the prefix is valid at all. */
        if (pi->valid_lifetime == 0)
            return;
        uint8_t a[16];
        slaac_make_iid(st, ifindex, pi->prefix, 0, a);
        if (slaac_addr_add(st, ifindex, a, 64, IP6_ORIGIN_SLAAC, pi->valid_lifetime,
                           pi->preferred_lifetime) == 0)
            st->ctr.slaac_addrs++;
        return;
    }
    /* e: an address we have: the preferred lifetime is simply reset ... */
    have->preferred_until = ip6_deadline(st->now, pi->preferred_lifetime);
    if (have->state == IP6_ADDR_DEPRECATED && have->preferred_until > st->now)
        have->state = IP6_ADDR_PREFERRED;
    else if (have->state == IP6_ADDR_PREFERRED && have->preferred_until <= st->now)
        have->state = IP6_ADDR_DEPRECATED;
    /* ... the valid lifetime by the two-hour rule, so that a forged RA
     * cannot make an address die at once. */
    const uint64_t two_hours = 7200ull * 1000000;
    uint64_t remaining = have->valid_until == UINT64_MAX ? UINT64_MAX : have->valid_until - st->now;
    uint64_t received = pi->valid_lifetime == 0xffffffffu ? UINT64_MAX : (uint64_t)pi->valid_lifetime * 1000000;
    if (received > two_hours || received > remaining)
        have->valid_until = ip6_deadline(st->now, pi->valid_lifetime);
    else if (remaining > two_hours)
        have->valid_until = st->now + two_hours;
    /* else: remaining <= 2 h and the RA is not authenticated: ignore it. */
    if (have->state != IP6_ADDR_TENTATIVE)
        life_arm(st, have);
}
