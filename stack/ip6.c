/* IPv6 (RFC 8200): input validation, the extension header chain, demux to
 * the transports; output with source address selection, routes, neighbour
 * resolution, fragmentation past the path MTU, and the path MTU cache fed by
 * Packet Too Big (RFC 8201).
 *
 * The state (struct ip6_state, stack/ip6_int.h) is created on first use and
 * freed by a stack_at_destroy hook, so a stack that never sees IPv6 pays
 * nothing for it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stack/icmp4.h"
#include "stack/ip4.h"
#include "stack/ip6_int.h"
#include "stack/stack.h"
#include "stack/wire/eth.h"
#include "stack/wire/icmpv6.h"
#include "stack/wire/ipv6.h"

static const uint8_t ll_prefix[16] = {0xfe, 0x80};

/* ---- state ---- */

static void ip6_fini(struct stack *st)
{
    struct ip6_state *s = st->ip6;
    if (!s)
        return;
    nd_destroy(st);
    ip6_reass_destroy(st);
    free(s);
    st->ip6 = NULL;
}

struct ip6_state *ip6_state(struct stack *st)
{
    if (st->ip6)
        return st->ip6;
    struct ip6_state *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->set = (struct ip6_settings){
        .enabled = true,
        .eui64 = false,
        .accept_ra = true,
        .autoconf = true,
        .accept_redirects = true,
        .dad_transmits = IP6_DAD_TRANSMITS,
        .default_hop_limit = IP6_DEFAULT_HOP_LIMIT,
        .rs_delay_max_ms = ND_MAX_RTR_SOLICITATION_DELAY_MS,
    };
    s->tokens = st->cfg.icmp_rate_burst;
    s->tokens_at = st->now;
    s->frag_id = (uint32_t)rng_next(&st->rng);
    for (int i = 0; i < TAPIR_MAX_NETIFS; i++)
        s->nif[i].ifindex = i;
    st->ip6 = s;
    if (stack_at_destroy(st, ip6_fini) != 0 || nd_init(st) != 0 || ip6_reass_init(st) != 0) {
        nd_destroy(st);
        ip6_reass_destroy(st);
        free(s);
        st->ip6 = NULL;
        return NULL;
    }
    return s;
}

struct ip6_netif *ip6_netif(struct stack *st, int ifindex)
{
    struct ip6_state *s = ip6_state(st);
    if (!s || !stack_netif(st, ifindex))
        return NULL;
    return &s->nif[ifindex];
}

struct ip6_settings *stack_ip6_settings(struct stack *st)
{
    struct ip6_state *s = ip6_state(st);
    return s ? &s->set : NULL;
}

/* ---- addresses ---- */

struct ip6_ifaddr *ip6_find_addr(struct stack *st, int ifindex, const uint8_t a[16])
{
    struct ip6_netif *n = ip6_netif(st, ifindex);
    if (!n || !n->enabled)
        return NULL;
    for (int i = 0; i < IP6_MAX_IF_ADDRS; i++) {
        struct ip6_ifaddr *x = &n->addrs[i];
        if (x->used && x->state != IP6_ADDR_DUPLICATE && memcmp(x->addr, a, 16) == 0)
            return x;
    }
    return NULL;
}

struct ip6_ifaddr *ip6_find_addr_any(struct stack *st, const uint8_t a[16])
{
    for (int i = 0; i < st->n_netifs; i++) {
        struct ip6_ifaddr *x = ip6_find_addr(st, i, a);
        if (x)
            return x;
    }
    return NULL;
}

bool stack_is_local6(struct stack *st, const uint8_t a[16])
{
    if (ip6_is_loopback(a))
        return true;
    struct ip6_ifaddr *x = ip6_find_addr_any(st, a);
    return x && x->state != IP6_ADDR_TENTATIVE;
}

static unsigned common_prefix(const uint8_t a[16], const uint8_t b[16])
{
    unsigned n = 0;
    for (int i = 0; i < 16; i++) {
        uint8_t x = a[i] ^ b[i];
        if (x == 0) {
            n += 8;
            continue;
        }
        while (!(x & 0x80)) {
            n++;
            x = (uint8_t)(x << 1);
        }
        break;
    }
    return n;
}

/* Source address selection, the parts of RFC 6724 5 a host with a handful
 * of addresses needs: the destination itself, then matching scope, then
 * preferred over deprecated, then the longest matching prefix. */
static bool better_source(const struct ip6_ifaddr *a, const struct ip6_ifaddr *b, const uint8_t dst[16])
{
    if (!b)
        return true;
    bool a_same = memcmp(a->addr, dst, 16) == 0, b_same = memcmp(b->addr, dst, 16) == 0;
    if (a_same != b_same)
        return a_same;
    bool dst_ll = ip6_is_linklocal(dst) || (ip6_is_multicast(dst) && ip6_mcast_scope(dst) <= 2);
    bool a_scope = ip6_is_linklocal(a->addr) == dst_ll, b_scope = ip6_is_linklocal(b->addr) == dst_ll;
    if (a_scope != b_scope)
        return a_scope;
    bool a_pref = a->state == IP6_ADDR_PREFERRED, b_pref = b->state == IP6_ADDR_PREFERRED;
    if (a_pref != b_pref)
        return a_pref;
    return common_prefix(a->addr, dst) > common_prefix(b->addr, dst);
}

static const struct ip6_ifaddr *pick_source(struct stack *st, int ifindex, const uint8_t dst[16])
{
    const struct ip6_ifaddr *best = NULL;
    for (int i = 0; i < st->n_netifs; i++) {
        if (ifindex >= 0 && i != ifindex)
            continue;
        struct ip6_netif *n = ip6_netif(st, i);
        if (!n || !n->enabled)
            continue;
        for (int j = 0; j < IP6_MAX_IF_ADDRS; j++) {
            const struct ip6_ifaddr *a = &n->addrs[j];
            if (!a->used || (a->state != IP6_ADDR_PREFERRED && a->state != IP6_ADDR_DEPRECATED))
                continue;
            if (better_source(a, best, dst))
                best = a;
        }
    }
    return best;
}

bool ip6_source_for(struct stack *st, int ifindex, const uint8_t dst[16], uint8_t out[16])
{
    if (ip6_is_loopback(dst)) {
        memcpy(out, dst, 16);
        return true;
    }
    const struct ip6_ifaddr *a = pick_source(st, ifindex, dst);
    /* A global destination may be reached from an address held on another
     * interface (the weak host model Linux follows); a link-local one not. */
    if ((!a || ip6_is_linklocal(a->addr)) && ifindex >= 0 && !ip6_is_linklocal(dst) &&
        !ip6_is_multicast(dst)) {
        const struct ip6_ifaddr *b = pick_source(st, -1, dst);
        if (b && !ip6_is_linklocal(b->addr))
            a = b;
    }
    if (!a)
        return false;
    memcpy(out, a->addr, 16);
    return true;
}

bool ip6_is_joined(struct stack *st, int ifindex, const uint8_t group[16])
{
    if (memcmp(group, ip6_all_nodes, 16) == 0)
        return true;
    struct ip6_netif *n = ip6_netif(st, ifindex);
    if (!n || !n->enabled)
        return false;
    if (ip6_is_solicited_node(group)) {
        /* Tentative addresses count: DAD needs to hear other nodes' probes. */
        for (int i = 0; i < IP6_MAX_IF_ADDRS; i++)
            if (n->addrs[i].used && n->addrs[i].state != IP6_ADDR_DUPLICATE &&
                memcmp(n->addrs[i].addr + 13, group + 13, 3) == 0)
                return true;
    }
    for (int i = 0; i < n->n_groups; i++)
        if (memcmp(n->groups[i], group, 16) == 0)
            return true;
    return false;
}

int stack_ip6_join(struct stack *st, int ifindex, const uint8_t group[16])
{
    struct ip6_netif *n = ip6_netif(st, ifindex);
    if (!n || !ip6_is_multicast(group))
        return -EINVAL;
    for (int i = 0; i < n->n_groups; i++)
        if (memcmp(n->groups[i], group, 16) == 0)
            return -EADDRINUSE;
    if (n->n_groups >= IP6_MAX_MCAST_GROUPS)
        return -ENOBUFS;
    memcpy(n->groups[n->n_groups++], group, 16);
    if (n->enabled)
        mld_report(st, ifindex);
    return 0;
}

int stack_ip6_leave(struct stack *st, int ifindex, const uint8_t group[16])
{
    struct ip6_netif *n = ip6_netif(st, ifindex);
    if (!n)
        return -EINVAL;
    for (int i = 0; i < n->n_groups; i++)
        if (memcmp(n->groups[i], group, 16) == 0) {
            memmove(n->groups[i], n->groups[i + 1], (size_t)(n->n_groups - i - 1) * 16);
            n->n_groups--;
            return 0;
        }
    return -EADDRNOTAVAIL;
}

int stack_ip6_up(struct stack *st, int ifindex)
{
    struct netif *nif = stack_netif(st, ifindex);
    struct ip6_netif *n = ip6_netif(st, ifindex);
    if (!nif || !n)
        return -ENODEV;
    if (n->enabled)
        return 0;
    /* RFC 8200 5: IPv6 needs a link MTU of at least 1280. */
    if (nif->mtu < IP6_MIN_MTU)
        return -EINVAL;
    struct ip6_state *s = st->ip6;
    n->enabled = true;
    n->mtu = nif->mtu;
    n->cur_hop_limit = s->set.default_hop_limit ? s->set.default_hop_limit : IP6_DEFAULT_HOP_LIMIT;
    n->base_reachable_ms = ND_REACHABLE_MS;
    n->reachable_ms = ND_REACHABLE_MS / 2 + rng_below(&st->rng, ND_REACHABLE_MS);
    n->retrans_ms = ND_RETRANS_MS;
    if (nif->loopback) {
        static const uint8_t one[16] = {[15] = 1};
        return slaac_addr_add(st, ifindex, one, 128, IP6_ORIGIN_LOOPBACK, 0xffffffffu, 0xffffffffu);
    }
    ip6_route_add(st, ll_prefix, 64, NULL, ifindex, IP6_ROUTE_CONNECTED, UINT64_MAX);
    slaac_netif_up(st, ifindex);
    return 0;
}

static bool addr_ok_for_host(const uint8_t a[16])
{
    return !ip6_is_unspecified(a) && !ip6_is_multicast(a) && !ip6_is_loopback(a) && !ip6_is_v4mapped(a);
}

int stack_add_ip6(struct stack *st, int ifindex, const uint8_t addr[16], uint8_t prefix_len)
{
    if (!addr || prefix_len > 128 || !addr_ok_for_host(addr))
        return -EINVAL;
    struct netif *nif = stack_netif(st, ifindex);
    if (!nif)
        return -ENODEV;
    int err = stack_ip6_up(st, ifindex);
    if (err)
        return err;
    err = slaac_addr_add(st, ifindex, addr, prefix_len, IP6_ORIGIN_STATIC, 0xffffffffu, 0xffffffffu);
    if (err)
        return err;
    if (prefix_len < 128 && !ip6_prefix_eq(addr, ll_prefix, 64)) {
        uint8_t pfx[16] = {0};
        memcpy(pfx, addr, 16);
        for (unsigned b = prefix_len; b < 128; b++)
            pfx[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
        ip6_route_add(st, pfx, prefix_len, NULL, ifindex, IP6_ROUTE_CONNECTED, UINT64_MAX);
    }
    return 0;
}

int stack_del_ip6(struct stack *st, int ifindex, const uint8_t addr[16])
{
    struct ip6_netif *n = ip6_netif(st, ifindex);
    if (!n)
        return -ENODEV;
    for (int i = 0; i < IP6_MAX_IF_ADDRS; i++) {
        struct ip6_ifaddr *a = &n->addrs[i];
        if (a->used && memcmp(a->addr, addr, 16) == 0) {
            timer_cancel(&st->timers, &a->dad_timer);
            timer_cancel(&st->timers, &a->life_timer);
            a->used = false;
            return 0;
        }
    }
    return -EADDRNOTAVAIL;
}

int stack_ip6_addrs(struct stack *st, int ifindex, struct ip6_addr_info *out, int max)
{
    int k = 0;
    for (int i = 0; i < st->n_netifs && k < max; i++) {
        if (ifindex >= 0 && i != ifindex)
            continue;
        struct ip6_netif *n = ip6_netif(st, i);
        if (!n)
            continue;
        for (int j = 0; j < IP6_MAX_IF_ADDRS && k < max; j++) {
            const struct ip6_ifaddr *a = &n->addrs[j];
            if (!a->used)
                continue;
            out[k] = (struct ip6_addr_info){.ifindex = i, .prefix_len = a->prefix_len,
                                            .state = a->state, .origin = a->origin,
                                            .valid_until = a->valid_until,
                                            .preferred_until = a->preferred_until};
            memcpy(out[k].addr, a->addr, 16);
            k++;
        }
    }
    return k;
}

/* ---- routes ---- */

int ip6_route_add(struct stack *st, const uint8_t dest[16], uint8_t prefix_len, const uint8_t *gw,
                  int ifindex, uint8_t origin, uint64_t expires)
{
    struct ip6_state *s = ip6_state(st);
    if (!s || prefix_len > 128 || !stack_netif(st, ifindex))
        return -EINVAL;
    struct ip6_route *free_slot = NULL;
    for (int i = 0; i < IP6_MAX_ROUTES; i++) {
        struct ip6_route *r = &s->routes[i];
        if (!r->used || (r->expires != UINT64_MAX && r->expires <= st->now)) {
            if (!free_slot)
                free_slot = r;
            continue;
        }
        if (r->prefix_len == prefix_len && ip6_prefix_eq(r->dest, dest, prefix_len) &&
            r->ifindex == ifindex && r->has_gw == (gw != NULL) &&
            (!gw || memcmp(r->gw, gw, 16) == 0)) {
            /* The same route again: refresh its lifetime (RAs do this). */
            if (r->origin == origin) {
                r->expires = expires;
                return 0;
            }
            return -EEXIST;
        }
    }
    if (!free_slot)
        return -ENOSPC;
    struct ip6_route *r = free_slot;
    memset(r, 0, sizeof *r);
    r->used = true;
    memcpy(r->dest, dest, 16);
    r->prefix_len = prefix_len;
    if (gw) {
        r->has_gw = true;
        memcpy(r->gw, gw, 16);
    }
    r->ifindex = ifindex;
    r->origin = origin;
    r->expires = expires;
    return 0;
}

void ip6_route_del(struct stack *st, const uint8_t dest[16], uint8_t prefix_len, const uint8_t *gw,
                   int ifindex, uint8_t origin)
{
    struct ip6_state *s = ip6_state(st);
    if (!s)
        return;
    for (int i = 0; i < IP6_MAX_ROUTES; i++) {
        struct ip6_route *r = &s->routes[i];
        if (r->used && r->origin == origin && r->ifindex == ifindex && r->prefix_len == prefix_len &&
            ip6_prefix_eq(r->dest, dest, prefix_len) && r->has_gw == (gw != NULL) &&
            (!gw || memcmp(r->gw, gw, 16) == 0))
            r->used = false;
    }
}

int stack_add_route6(struct stack *st, const uint8_t dest[16], uint8_t prefix_len,
                     const uint8_t *gateway, int ifindex)
{
    if (!dest || prefix_len > 128)
        return -EINVAL;
    if (gateway && (ip6_is_multicast(gateway) || ip6_is_unspecified(gateway)))
        return -EINVAL;
    uint8_t pfx[16];
    memcpy(pfx, dest, 16);
    for (unsigned b = prefix_len; b < 128; b++)
        pfx[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
    return ip6_route_add(st, pfx, prefix_len, gateway, ifindex, IP6_ROUTE_STATIC, UINT64_MAX);
}

/* Longest prefix wins; among equals, a learned host route (redirect) or a
 * static one before RA-learned ones, then the first found. */
/* RFC 4861 6.3.6: a router is "reachable or probably reachable" when its
 * neighbour entry exists and is not INCOMPLETE; an on-link route counts as
 * reachable (nothing to judge). */
static bool gw_probably_reachable(struct stack *st, const struct ip6_route *r)
{
    if (!r->has_gw)
        return true;
    int state = stack_ip6_neighbour(st, r->ifindex, r->gw, NULL);
    return state > 0 && state != ND_INCOMPLETE;
}

static const struct ip6_route *route_find(struct stack *st, const uint8_t dst[16], int only_if)
{
    struct ip6_state *s = st->ip6;
    const struct ip6_route *best = NULL;
    bool best_ok = false;
    for (int i = 0; i < IP6_MAX_ROUTES; i++) {
        const struct ip6_route *r = &s->routes[i];
        if (!r->used)
            continue;
        if (r->expires != UINT64_MAX && r->expires <= st->now)
            continue;
        if (only_if >= 0 && r->ifindex != only_if)
            continue;
        if (!ip6_prefix_eq(r->dest, dst, r->prefix_len))
            continue;
        const struct netif *nif = &st->netifs[r->ifindex];
        if (!nif->up || !s->nif[r->ifindex].enabled)
            continue;
        /* Longest prefix; among equals, a probably reachable router over
         * one of unknown reachability (RFC 4861 6.3.6), else the first. */
        if (!best || r->prefix_len > best->prefix_len) {
            best = r;
            best_ok = gw_probably_reachable(st, r);
        } else if (r->prefix_len == best->prefix_len && !best_ok && gw_probably_reachable(st, r)) {
            best = r;
            best_ok = true;
        }
    }
    return best;
}

bool ip6_route_lookup(struct stack *st, const uint8_t dst[16], int *ifindex, uint8_t nexthop[16])
{
    if (!ip6_state(st))
        return false;
    const struct ip6_route *r = route_find(st, dst, -1);
    if (!r)
        return false;
    *ifindex = r->ifindex;
    memcpy(nexthop, r->has_gw ? r->gw : dst, 16);
    return true;
}

/* ---- path MTU ---- */

static struct ip6_pmtu *pmtu_find(struct stack *st, const uint8_t dst[16])
{
    struct ip6_state *s = st->ip6;
    for (int i = 0; i < IP6_PMTU_CACHE; i++) {
        struct ip6_pmtu *e = &s->pmtu[i];
        if (!e->used)
            continue;
        if (e->expires <= st->now) {
            e->used = false;   /* RFC 8201 4: try the larger MTU again after a while */
            continue;
        }
        if (memcmp(e->dst, dst, 16) == 0)
            return e;
    }
    return NULL;
}

struct path6 {
    int ifindex;               /* -1: deliver to ourselves */
    uint8_t nexthop[16];
    uint32_t mtu;
    bool local;
};

static int find_path(struct stack *st, const uint8_t dst[16], int force_if, struct path6 *out)
{
    memset(out, 0, sizeof *out);
    memcpy(out->nexthop, dst, 16);
    if (ip6_is_loopback(dst) || (!ip6_is_multicast(dst) && ip6_find_addr_any(st, dst))) {
        out->local = true;
        out->ifindex = st->loopback_ifindex;
        out->mtu = TAPIR_LOOPBACK_MTU > 65535 ? 65535 : TAPIR_LOOPBACK_MTU;
        return 0;
    }
    const struct ip6_route *r = NULL;
    if (force_if >= 0) {
        struct ip6_netif *n = ip6_netif(st, force_if);
        if (!n || !n->enabled || !st->netifs[force_if].up)
            return -ENETUNREACH;
        r = route_find(st, dst, force_if);
        out->ifindex = force_if;
    } else {
        if (ip6_is_multicast(dst) || ip6_is_linklocal(dst)) {
            /* Link-scoped without a scope id: the first interface with IPv6 that
             * is not the loopback (Linux insists on a scope id; a host with one
             * link does not need one). */
            r = route_find(st, ll_prefix, -1);
        } else {
            r = route_find(st, dst, -1);
        }
        if (!r)
            return -ENETUNREACH;
        out->ifindex = r->ifindex;
    }
    if (r && r->has_gw && !ip6_is_multicast(dst) && !ip6_is_linklocal(dst))
        memcpy(out->nexthop, r->gw, 16);
    out->mtu = st->ip6->nif[out->ifindex].mtu;
    struct ip6_pmtu *pe = pmtu_find(st, dst);
    if (pe && pe->mtu < out->mtu)
        out->mtu = pe->mtu;
    return 0;
}

uint32_t ip6_path_mtu(struct stack *st, const struct ipaddr *dst)
{
    if (!ip6_state(st) || dst->family != TP_AF_INET6)
        return 0;
    if (ip6_is_v4mapped(dst->v6))
        return ip4_path_mtu(st, (uint32_t)dst->v6[12] << 24 | (uint32_t)dst->v6[13] << 16 |
                                    (uint32_t)dst->v6[14] << 8 | dst->v6[15]);
    struct path6 p;
    if (find_path(st, dst->v6, -1, &p) != 0)
        return 0;
    return p.mtu;
}

uint32_t ip6_path_offloads(struct stack *st, const struct ipaddr *dst, int ifindex, uint32_t *mtu)
{
    if (mtu)
        *mtu = 0;
    if (!ip6_state(st) || dst->family != TP_AF_INET6)
        return 0;
    if (ip6_is_v4mapped(dst->v6))
        return ip4_path_offloads(st, (uint32_t)dst->v6[12] << 24 | (uint32_t)dst->v6[13] << 16 |
                                         (uint32_t)dst->v6[14] << 8 | dst->v6[15], ifindex, mtu);
    struct path6 p;
    if (find_path(st, dst->v6, ifindex, &p) != 0)
        return 0;
    if (mtu)
        *mtu = p.mtu;
    if (p.local || p.ifindex < 0)
        return 0;
    const struct netif *nif = stack_netif(st, p.ifindex);
    return nif && !nif->loopback ? nif->offloads : 0;
}

static uint32_t mapped_v4(const uint8_t a[16])
{
    return (uint32_t)a[12] << 24 | (uint32_t)a[13] << 16 | (uint32_t)a[14] << 8 | a[15];
}

bool ip6_select_source(struct stack *st, const struct ipaddr *dst, struct ipaddr *src)
{
    return ip6_select_source_on(st, dst, -1, src);
}

bool ip6_select_source_on(struct stack *st, const struct ipaddr *dst, int ifindex, struct ipaddr *src)
{
    if (!ip6_state(st) || dst->family != TP_AF_INET6)
        return false;
    if (ip6_is_v4mapped(dst->v6)) {
        /* A dual-stack socket's IPv4 peer: IPv4's choice, mapped. */
        uint32_t a;
        if (!ip4_select_source(st, mapped_v4(dst->v6), &a))
            return false;
        uint8_t m[16] = {[10] = 0xff, [11] = 0xff, (uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8), (uint8_t)a};
        *src = ip6(m);
        return true;
    }
    struct path6 p;
    if (find_path(st, dst->v6, ifindex, &p) != 0)
        return false;
    uint8_t a[16];
    if (p.local && !ip6_is_loopback(dst->v6)) {
        memcpy(a, dst->v6, 16);
    } else if (!ip6_source_for(st, p.local ? -1 : p.ifindex, dst->v6, a)) {
        return false;
    }
    *src = ip6(a);
    return true;
}

void ip6_pmtu_update(struct stack *st, const uint8_t dst[16], uint32_t mtu)
{
    struct ip6_state *s = ip6_state(st);
    if (!s)
        return;
    /* RFC 8201 4: never below the IPv6 minimum; never raised by a PTB. */
    if (mtu < IP6_MIN_MTU)
        mtu = IP6_MIN_MTU;
    struct path6 p;
    if (find_path(st, dst, -1, &p) != 0 || p.local || mtu >= p.mtu)
        return;
    struct ip6_pmtu *e = pmtu_find(st, dst), *victim = NULL;
    if (!e) {
        for (int i = 0; i < IP6_PMTU_CACHE; i++) {
            struct ip6_pmtu *c = &s->pmtu[i];
            if (!c->used) {
                victim = c;
                break;
            }
            if (!victim || c->expires < victim->expires)
                victim = c;
        }
        e = victim;
        e->used = true;
        memcpy(e->dst, dst, 16);
    }
    e->mtu = mtu;
    e->expires = st->now + (uint64_t)IP6_PMTU_EXPIRE_MS * 1000;
    st->ctr.ip6_pmtu_updates++;
}

/* ---- output ---- */

int ip6_link_send(struct stack *st, int ifindex, const uint8_t nexthop[16], struct pkt *p)
{
    st->ctr.ip6_tx++;
    p->l3_offset = 0;
    struct netif *nif = stack_netif(st, ifindex);
    if (!nif) {
        stack_loopback_enqueue(st, p);
        return 0;
    }
    if (nif->loopback || nif->tun)
        return netif_output(st, ifindex, p, ETHERTYPE_IPV6, NULL);
    if (ip6_is_multicast(nexthop)) {
        uint8_t mac[6];
        ip6_mcast_mac(nexthop, mac);
        return netif_output(st, ifindex, p, ETHERTYPE_IPV6, mac);
    }
    return nd_resolve_send(st, ifindex, nexthop, p);
}

static int push_header(struct stack *st, struct pkt *p, const uint8_t src[16], const uint8_t dst[16],
                       uint8_t next, uint8_t hop_limit, uint8_t tclass)
{
    if (p->len > 65535) {
        st->ctr.ip6_tx_errors++;
        return -EMSGSIZE;
    }
    struct ip6_hdr h = {.tclass = tclass, .payload_len = (uint16_t)p->len, .next = next,
                        .hop_limit = hop_limit};
    memcpy(h.src, src, 16);
    memcpy(h.dst, dst, 16);
    uint8_t *b = pkt_push(p, IP6_HDR_LEN);
    if (!b) {
        st->ctr.ip6_tx_errors++;
        return -ENOBUFS;
    }
    ip6_emit(b, &h);
    return 0;
}

int ip6_send_on(struct stack *st, int ifindex, struct pkt *p, const uint8_t src[16],
                const uint8_t dst[16], uint8_t proto, uint8_t hop_limit, bool hbh_router_alert)
{
    uint8_t next = proto;
    if (hbh_router_alert) {
        /* Hop-by-Hop: Router Alert (MLD, RFC 2711) and a PadN to 8 bytes. */
        uint8_t *h = pkt_push(p, 8);
        if (!h) {
            pkt_free(p);
            return -ENOBUFS;
        }
        const uint8_t hbh[8] = {proto, 0, IP6_OPT_ROUTER_ALERT, 2, 0, 0, IP6_OPT_PADN, 0};
        memcpy(h, hbh, 8);
        next = IP6_NH_HOPOPTS;
    }
    int err = push_header(st, p, src, dst, next, hop_limit, 0);
    if (err) {
        pkt_free(p);
        return err;
    }
    return ip6_link_send(st, ifindex, dst, p);
}

/* RFC 8200 4.5: the source cuts the packet into pieces of the path MTU,
 * each a copy of the unfragmentable part (here: the fixed header alone),
 * a Fragment header, and a multiple of 8 bytes of the rest. */
static int fragment(struct stack *st, const struct path6 *path, struct pkt *p, const uint8_t src[16],
                    const uint8_t dst[16], uint8_t proto, uint8_t hop_limit, uint8_t tclass)
{
    size_t per = ((path->mtu - IP6_HDR_LEN - IP6_FRAG_HDR_LEN) / 8) * 8;
    uint32_t id = (uint32_t)rng_next(&st->rng);  /* RFC 7739: unpredictable ids */
    int err = 0;
    for (size_t off = 0; off < p->len; off += per) {
        size_t n = p->len - off < per ? p->len - off : per;
        struct pkt *f = pkt_alloc(n);
        if (!f) {
            st->ctr.ip6_tx_errors++;
            err = -ENOBUFS;
            break;
        }
        memcpy(pkt_put(f, n), p->data + off, n);
        struct ip6_frag fh = {.next = proto, .offset = (uint16_t)off, .more = off + n < p->len, .id = id};
        ip6_frag_emit(pkt_push(f, IP6_FRAG_HDR_LEN), &fh);
        int rc = push_header(st, f, src, dst, IP6_NH_FRAGMENT, hop_limit, tclass);
        if (rc) {
            pkt_free(f);
            err = rc;
            break;
        }
        st->ctr.ip6_frag_created++;
        rc = ip6_link_send(st, path->ifindex, path->nexthop, f);
        if (rc < 0 && !err)
            err = rc;
    }
    pkt_free(p);
    return err;
}

int ip6_output(struct stack *st, struct pkt *p, const struct ip_tx *tx)
{
    if (tx->dst.family != TP_AF_INET6) {
        pkt_free(p);
        return -EAFNOSUPPORT;
    }
    const uint8_t *dst = tx->dst.v6;
    /* A dual-stack socket talking to an IPv4-mapped address speaks IPv4. */
    if (ip6_is_v4mapped(dst)) {
        struct ip_tx t4 = *tx;
        t4.dst = ip4((uint32_t)dst[12] << 24 | (uint32_t)dst[13] << 16 | (uint32_t)dst[14] << 8 | dst[15]);
        if (tx->src.family == TP_AF_INET6 && ip6_is_v4mapped(tx->src.v6)) {
            const uint8_t *s6 = tx->src.v6;
            t4.src = ip4((uint32_t)s6[12] << 24 | (uint32_t)s6[13] << 16 | (uint32_t)s6[14] << 8 | s6[15]);
        } else {
            t4.src = ip4(0);
        }
        return ip_output(st, p, &t4);
    }
    struct ip6_state *s = ip6_state(st);
    if (!s) {
        pkt_free(p);
        return -ENOBUFS;
    }
    struct path6 path;
    int err = find_path(st, dst, tx->ifindex, &path);
    if (err) {
        st->ctr.ip6_tx_no_route++;
        pkt_free(p);
        return err;
    }
    uint8_t src[16];
    if (tx->src.family == TP_AF_INET6 && ip6_is_multicast(tx->src.v6)) {
        /* RFC 4291 2.7: a multicast address is never a source (a socket may
         * bind one to receive; Linux will not send from it either). */
        st->ctr.ip6_tx_no_source++;
        pkt_free(p);
        return -EINVAL;
    }
    if (tx->src.family == TP_AF_INET6 && !ip6_is_unspecified(tx->src.v6)) {
        memcpy(src, tx->src.v6, 16);
    } else if (path.local && !ip6_is_loopback(dst)) {
        memcpy(src, dst, 16);
    } else if (!ip6_source_for(st, path.local ? -1 : path.ifindex, dst, src)) {
        st->ctr.ip6_tx_no_source++;
        pkt_free(p);
        return -EADDRNOTAVAIL;
    }
    uint8_t hop = tx->ttl;
    if (!hop)
        hop = ip6_is_multicast(dst) ? 1 : path.local ? s->set.default_hop_limit
                                                     : s->nif[path.ifindex].cur_hop_limit;
    if (!hop)
        hop = IP6_DEFAULT_HOP_LIMIT;
    if (IP6_HDR_LEN + p->len > path.mtu && !p->gso_size && !path.local) {
        if (tx->nofrag) {
            /* TCP: it hears EMSGSIZE and shrinks its MSS to the path's
             * (tcp_xmit); a fragmented segment would be lost whole with any
             * of its pieces, and RFC 8201 5.2 has the transport follow the
             * path MTU. */
            st->ctr.ip6_tx_too_big++;
            pkt_free(p);
            return -EMSGSIZE;
        }
        return fragment(st, &path, p, src, dst, tx->proto, hop, tx->tos);
    }
    err = push_header(st, p, src, dst, tx->proto, hop, tx->tos);
    if (err) {
        pkt_free(p);
        return err;
    }
    return ip6_link_send(st, path.local ? -1 : path.ifindex, path.nexthop, p);
}

/* ---- input ---- */

static void deliver(struct stack *st, const struct ip_rx *rx)
{
    st->ctr.ip6_rx_delivered++;
    switch (rx->proto) {
    case IPPROTO_NUM_ICMPV6:
        raw_input(st, rx);
        icmp6_input(st, rx);
        break;
    case IPPROTO_NUM_TCP:
        raw_input(st, rx);
        tcp_input(st, rx);
        break;
    case IPPROTO_NUM_UDP:
        raw_input(st, rx);
        udp_input(st, rx);
        break;
    default:
        break;
    }
}

void ip6_input(struct stack *st, int ifindex, const uint8_t *pkt, size_t len, bool link_mcast)
{
    st->ctr.ip6_rx++;
    struct ip6_state *s = ip6_state(st);
    if (!s)
        return;
    struct ip6_hdr h;
    switch (ip6_parse(pkt, len, &h)) {
    case IP6_OK: break;
    case IP6_ERR_VERSION: st->ctr.ip6_rx_bad_version++; return;
    case IP6_ERR_SHORT: st->ctr.ip6_rx_bad++; return;
    default: st->ctr.ip6_rx_bad_length++; return;
    }
    len = IP6_HDR_LEN + h.payload_len;   /* drop link padding */

    const struct netif *nif = stack_netif(st, ifindex);
    bool from_self = !nif || nif->loopback;
    if (nif && !s->nif[ifindex].enabled) {
        st->ctr.ip6_rx_not_for_us++;
        return;
    }
    /* RFC 4291 2.7, 2.5.3, 2.5.5.2: a multicast source, or a loopback or
     * IPv4-mapped address from the wire, is never genuine. */
    if (ip6_is_multicast(h.src) || ip6_is_v4mapped(h.src) || ip6_is_v4mapped(h.dst) ||
        (!from_self && (ip6_is_loopback(h.src) || ip6_is_loopback(h.dst)))) {
        st->ctr.ip6_rx_bad_source++;
        return;
    }
    bool mcast = ip6_is_multicast(h.dst);
    if (mcast) {
        unsigned scope = ip6_mcast_scope(h.dst);
        if (scope == 0 || (scope == 1 && !from_self) || (!from_self && !ip6_is_joined(st, ifindex, h.dst))) {
            st->ctr.ip6_rx_not_for_us++;
            return;
        }
    } else if (!ip6_is_loopback(h.dst)) {
        /* Link-local destinations must be ours on this very link; global
         * ones on any interface (weak host model, as Linux). */
        struct ip6_ifaddr *a = from_self || !ip6_is_linklocal(h.dst) ? ip6_find_addr_any(st, h.dst)
                                                                     : ip6_find_addr(st, ifindex, h.dst);
        if (!a) {
            st->ctr.ip6_rx_not_for_us++;
            return;
        }
        if (a->state == IP6_ADDR_TENTATIVE) {   /* RFC 4862 5.4 */
            st->ctr.ip6_rx_tentative++;
            return;
        }
    }

    struct ip6_ext x;
    ip6_ext_walk(pkt, len, h.next, IP6_HDR_LEN, 6, mcast, &x);
    uint8_t *whole = NULL;
    bool fragmented = x.had_atomic_frag;
    if (x.verdict == IP6_EXT_FRAGMENT) {
        fragmented = true;
        size_t wlen, roff, rnh;
        int r = ip6_reass_input(st, ifindex, pkt, len, link_mcast, &x, &whole, &wlen, &roff, &rnh);
        if (r <= 0)
            return;
        pkt = whole;
        len = wlen;
        ip6_ext_walk(pkt, len, pkt[rnh], roff, rnh, mcast, &x);
        if (x.verdict == IP6_EXT_FRAGMENT)   /* a fragment inside a fragment */
            x.verdict = IP6_EXT_DROP;
    } else if (x.had_atomic_frag) {
        st->ctr.ip6_reass_atomic++;
    }
    switch (x.verdict) {
    case IP6_EXT_OK:
        break;
    case IP6_EXT_PARAM_PROBLEM:
        st->ctr.ip6_rx_bad_ext++;
        icmp6_send_error(st, ifindex, pkt, len, link_mcast, ICMP6_PARAM_PROBLEM, x.pp_code, x.pp_pointer);
        free(whole);
        return;
    default:
        st->ctr.ip6_rx_bad_ext++;
        free(whole);
        return;
    }

    struct ip_rx rx = {
        .ifindex = ifindex,
        .src = ip6(h.src),
        .dst = ip6(h.dst),
        .proto = x.proto,
        .ttl = h.hop_limit,
        .tos = h.tclass,
        .dst_multicast = mcast,
        .l4 = pkt + x.l4_off,
        .l4_len = len - x.l4_off,
        .ip_hdr = pkt,
        .ip_hdr_len = x.l4_off,
        .fragmented = fragmented,
        .link_mcast = link_mcast,
    };
    switch (x.proto) {
    case IPPROTO_NUM_ICMPV6:
    case IPPROTO_NUM_TCP:
    case IPPROTO_NUM_UDP:
        deliver(st, &rx);
        break;
    case IP6_NH_NONE:   /* nothing follows: done (RFC 8200 4.7) */
        break;
    default:
        if (raw_input(st, &rx)) {
            st->ctr.ip6_rx_delivered++;
        } else {
            st->ctr.ip6_rx_unknown_proto++;
            icmp6_send_error(st, ifindex, pkt, len, link_mcast, ICMP6_PARAM_PROBLEM, ICMP6_PARAMPROB_NEXTHEADER,
                             (uint32_t)x.nh_off);
        }
        break;
    }
    free(whole);
}
