/* Neighbor Discovery (RFC 4861) for a host: the neighbour cache with its
 * five states and a bounded queue of packets waiting for resolution,
 * Neighbor Solicitation / Advertisement, Router Solicitation on interface
 * up, Router Advertisements (default router, on-link prefixes, MTU, hop
 * limit, timers; prefixes also go to SLAAC), and Redirects.
 *
 * Neighbour states (7.3.2) and what moves them:
 *   INCOMPLETE  NS multicast sent, packets queued; NA with a link address ->
 *               REACHABLE (solicited) or STALE; MAX_MULTICAST_SOLICIT
 *               unanswered -> gone, queued packets answered with
 *               "address unreachable"
 *   REACHABLE   confirmed within ReachableTime; then -> STALE
 *   STALE       unconfirmed; the next packet sent -> DELAY
 *   DELAY       DELAY_FIRST_PROBE_TIME for an upper layer hint, then -> PROBE
 *   PROBE       unicast NS every RetransTimer; NA -> REACHABLE;
 *               MAX_UNICAST_SOLICIT unanswered -> gone
 * Entries are never created by an unsolicited NA (7.2.5), only by our own
 * resolution or by a solicitation / RA / redirect that carries the sender's
 * link address (then STALE, 7.2.3).  The cache is capped (ND_CACHE_MAX):
 * when full, the entry used longest ago goes.
 *
 * Every ND message is validated as 6.1, 7.1, 8.1 say: hop limit 255 (so it
 * came from this link), code 0, lengths, options, source rules.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stack/ip6_int.h"
#include "stack/stack.h"
#include "stack/wire/eth.h"

struct nd_entry {
    bool used;
    uint8_t state;             /* ND_* (stack/ip6.h) */
    bool is_router;
    int ifindex;
    int probes;                /* solicitations sent in INCOMPLETE / PROBE */
    int next;                  /* hash chain, -1 ends it */
    uint8_t addr[16];
    uint8_t mac[6];
    uint64_t used_at;          /* last packet sent through it (LRU) */
    struct pkt *q_head, *q_tail;
    int q_len;
    struct timer timer;
};

struct nd_cache {
    struct nd_entry e[ND_CACHE_MAX];
    int bucket[ND_HASH_BUCKETS];
    int n;
};

int nd_init(struct stack *st)
{
    struct nd_cache *c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    for (int i = 0; i < ND_HASH_BUCKETS; i++)
        c->bucket[i] = -1;
    st->ip6->nd = c;
    return 0;
}

static void drop_queue(struct nd_entry *e)
{
    while (e->q_head) {
        struct pkt *p = e->q_head;
        e->q_head = p->next;
        pkt_free(p);
    }
    e->q_tail = NULL;
    e->q_len = 0;
}

void nd_destroy(struct stack *st)
{
    if (!st->ip6 || !st->ip6->nd)
        return;
    struct nd_cache *c = st->ip6->nd;
    for (int i = 0; i < ND_CACHE_MAX; i++)
        if (c->e[i].used) {
            timer_cancel(&st->timers, &c->e[i].timer);
            drop_queue(&c->e[i]);
        }
    free(c);
    st->ip6->nd = NULL;
}

static unsigned hash(struct stack *st, int ifindex, const uint8_t a[16])
{
    uint8_t k[17];
    memcpy(k, a, 16);
    k[16] = (uint8_t)ifindex;
    return (unsigned)siphash24(st->secret, k, sizeof k) & (ND_HASH_BUCKETS - 1);
}

static struct nd_entry *lookup(struct stack *st, int ifindex, const uint8_t a[16])
{
    struct nd_cache *c = st->ip6->nd;
    for (int i = c->bucket[hash(st, ifindex, a)]; i >= 0; i = c->e[i].next)
        if (c->e[i].ifindex == ifindex && memcmp(c->e[i].addr, a, 16) == 0)
            return &c->e[i];
    return NULL;
}

static void entry_free(struct stack *st, struct nd_entry *e)
{
    struct nd_cache *c = st->ip6->nd;
    int idx = (int)(e - c->e);
    int *pp = &c->bucket[hash(st, e->ifindex, e->addr)];
    while (*pp >= 0 && *pp != idx)
        pp = &c->e[*pp].next;
    if (*pp == idx)
        *pp = e->next;
    timer_cancel(&st->timers, &e->timer);
    drop_queue(e);
    e->used = false;
    c->n--;
}

static void entry_timer(struct stack *st, struct timer *t);

static struct nd_entry *entry_new(struct stack *st, int ifindex, const uint8_t a[16])
{
    struct nd_cache *c = st->ip6->nd;
    struct nd_entry *e = NULL;
    if (c->n >= ND_CACHE_MAX) {
        /* Full: evict the entry used longest ago, preferring a stale one. */
        struct nd_entry *victim = NULL;
        for (int i = 0; i < ND_CACHE_MAX; i++) {
            struct nd_entry *x = &c->e[i];
            bool xs = x->state == ND_STALE, vs = victim && victim->state == ND_STALE;
            if (!victim || (xs && !vs) || (xs == vs && x->used_at < victim->used_at))
                victim = x;
        }
        entry_free(st, victim);
        st->ctr.nd_cache_evictions++;
    }
    for (int i = 0; i < ND_CACHE_MAX; i++)
        if (!c->e[i].used) {
            e = &c->e[i];
            break;
        }
    if (!e)
        return NULL;
    memset(e, 0, sizeof *e);
    e->used = true;
    e->ifindex = ifindex;
    memcpy(e->addr, a, 16);
    e->used_at = st->now;
    timer_init(&e->timer, entry_timer);
    unsigned h = hash(st, ifindex, a);
    e->next = c->bucket[h];
    c->bucket[h] = (int)(e - c->e);
    c->n++;
    return e;
}

static uint64_t ms(uint32_t v) { return (uint64_t)v * 1000; }

static void set_state(struct stack *st, struct nd_entry *e, uint8_t state)
{
    struct ip6_netif *n = &st->ip6->nif[e->ifindex];
    e->state = state;
    switch (state) {
    case ND_REACHABLE: timer_arm(&st->timers, &e->timer, st->now + ms(n->reachable_ms)); break;
    case ND_STALE: timer_arm(&st->timers, &e->timer, st->now + ms(ND_STALE_GC_MS)); break;
    case ND_DELAY: timer_arm(&st->timers, &e->timer, st->now + ms(ND_DELAY_FIRST_PROBE_MS)); break;
    default: timer_arm(&st->timers, &e->timer, st->now + ms(n->retrans_ms)); break;
    }
}

/* Sends what waited for this neighbour, now that its address is known. */
static void flush_queue(struct stack *st, struct nd_entry *e)
{
    struct pkt *p = e->q_head;
    e->q_head = e->q_tail = NULL;
    e->q_len = 0;
    uint8_t mac[6];
    memcpy(mac, e->mac, 6);
    int ifindex = e->ifindex;
    while (p) {
        struct pkt *next = p->next;
        p->next = NULL;
        netif_output(st, ifindex, p, ETHERTYPE_IPV6, mac);
        p = next;
    }
}

/* ---- sending ND messages ---- */

void nd_send_ns(struct stack *st, int ifindex, const uint8_t target[16], const uint8_t *src,
                const uint8_t dst[16], const uint8_t *nonce)
{
    struct netif *nif = stack_netif(st, ifindex);
    if (!nif)
        return;
    struct pkt *p = pkt_alloc(48);
    if (!p)
        return;
    /* A DAD probe (source ::) carries no link-layer address (7.2.2). */
    size_t n = nd_emit_ns(p->data, 48, target, src ? nif->mac : NULL, nonce, nonce ? 6 : 0);
    pkt_put(p, n);
    static const uint8_t any[16];
    const uint8_t *s = src ? src : any;
    icmp6_set_checksum(p->data, n, s, dst);
    st->ctr.icmp6_tx++;
    st->ctr.nd_tx_ns++;
    ip6_send_on(st, ifindex, p, s, dst, IPPROTO_NUM_ICMPV6, 255, false);
}

static void send_na(struct stack *st, int ifindex, const uint8_t target[16], const uint8_t dst[16],
                    bool solicited)
{
    struct netif *nif = stack_netif(st, ifindex);
    struct pkt *p = pkt_alloc(32);
    if (!nif || !p) {
        pkt_free(p);
        return;
    }
    /* Override set: the address is ours, not anycast (7.2.4). */
    size_t n = nd_emit_na(p->data, 32, target, false, solicited, true, nif->mac);
    pkt_put(p, n);
    icmp6_set_checksum(p->data, n, target, dst);
    st->ctr.icmp6_tx++;
    st->ctr.nd_tx_na++;
    ip6_send_on(st, ifindex, p, target, dst, IPPROTO_NUM_ICMPV6, 255, false);
}

void nd_send_rs(struct stack *st, int ifindex)
{
    struct netif *nif = stack_netif(st, ifindex);
    if (!nif)
        return;
    uint8_t src[16] = {0};
    bool have = false;
    struct ip6_netif *n = &st->ip6->nif[ifindex];
    for (int i = 0; i < IP6_MAX_IF_ADDRS && !have; i++)
        if (n->addrs[i].used && n->addrs[i].state == IP6_ADDR_PREFERRED && ip6_is_linklocal(n->addrs[i].addr)) {
            memcpy(src, n->addrs[i].addr, 16);
            have = true;
        }
    struct pkt *p = pkt_alloc(16);
    if (!p)
        return;
    /* From ::, no link-layer address option (6.3.7). */
    size_t len = nd_emit_rs(p->data, 16, have ? nif->mac : NULL);
    pkt_put(p, len);
    icmp6_set_checksum(p->data, len, src, ip6_all_routers);
    st->ctr.icmp6_tx++;
    st->ctr.nd_tx_rs++;
    ip6_send_on(st, ifindex, p, src, ip6_all_routers, IPPROTO_NUM_ICMPV6, 255, false);
}

static void solicit(struct stack *st, struct nd_entry *e, bool multicast, const uint8_t *hint_src)
{
    uint8_t src[16], dst[16];
    if (hint_src && ip6_find_addr(st, e->ifindex, hint_src) &&
        ip6_find_addr(st, e->ifindex, hint_src)->state != IP6_ADDR_TENTATIVE)
        memcpy(src, hint_src, 16);   /* 7.2.2: the source of the packet that prompted it */
    else if (!ip6_source_for(st, e->ifindex, e->addr, src))
        return;                      /* no usable address yet: the retry will try again */
    if (multicast)
        ip6_solicited_node(e->addr, dst);
    else
        memcpy(dst, e->addr, 16);
    nd_send_ns(st, e->ifindex, e->addr, src, dst, NULL);
}

/* ---- the state machine's timers ---- */

static void entry_timer(struct stack *st, struct timer *t)
{
    struct nd_entry *e = container_of(t, struct nd_entry, timer);
    switch (e->state) {
    case ND_INCOMPLETE:
        if (e->probes >= ND_MAX_MULTICAST_SOLICIT) {
            /* 7.2.2: tell the senders of the queued packets. */
            struct pkt *p = e->q_head;
            e->q_head = e->q_tail = NULL;
            int ifindex = e->ifindex;
            entry_free(st, e);
            while (p) {
                struct pkt *next = p->next;
                st->ctr.nd_unresolved++;
                icmp6_send_error(st, ifindex, p->data, p->len, false, ICMP6_DST_UNREACH, ICMP6_UNREACH_ADDR, 0);
                pkt_free(p);
                p = next;
            }
            return;
        }
        e->probes++;
        solicit(st, e, true, e->q_tail ? e->q_tail->data + 8 : NULL);
        set_state(st, e, ND_INCOMPLETE);
        break;
    case ND_REACHABLE:
        set_state(st, e, ND_STALE);
        break;
    case ND_STALE:
        if (e->used_at + ms(ND_STALE_GC_MS) <= st->now)
            entry_free(st, e);
        else
            timer_arm(&st->timers, &e->timer, e->used_at + ms(ND_STALE_GC_MS));
        break;
    case ND_DELAY:
        e->probes = 1;
        set_state(st, e, ND_PROBE);
        solicit(st, e, false, NULL);
        break;
    case ND_PROBE:
        if (e->probes >= ND_MAX_UNICAST_SOLICIT) {
            entry_free(st, e);
            return;
        }
        e->probes++;
        set_state(st, e, ND_PROBE);
        solicit(st, e, false, NULL);
        break;
    }
}

int nd_resolve_send(struct stack *st, int ifindex, const uint8_t nexthop[16], struct pkt *p)
{
    struct nd_entry *e = lookup(st, ifindex, nexthop);
    if (!e) {
        e = entry_new(st, ifindex, nexthop);
        if (!e) {
            pkt_free(p);
            return -ENOBUFS;
        }
        e->state = ND_INCOMPLETE;
        e->probes = 1;
        e->q_head = e->q_tail = p;
        p->next = NULL;
        e->q_len = 1;
        set_state(st, e, ND_INCOMPLETE);
        solicit(st, e, true, p->len >= IP6_HDR_LEN ? p->data + 8 : NULL);
        return 0;
    }
    e->used_at = st->now;
    if (e->state == ND_INCOMPLETE) {
        if (e->q_len >= ND_PENDING_MAX) {
            struct pkt *old = e->q_head;   /* the oldest goes, as Linux does */
            e->q_head = old->next;
            pkt_free(old);
            e->q_len--;
            st->ctr.nd_pending_drops++;
        }
        p->next = NULL;
        if (e->q_tail)
            e->q_tail->next = p;
        else
            e->q_head = p;
        e->q_tail = p;
        e->q_len++;
        return 0;
    }
    if (e->state == ND_STALE)
        set_state(st, e, ND_DELAY);
    return netif_output(st, ifindex, p, ETHERTYPE_IPV6, e->mac);
}

void nd_flush(struct stack *st, int ifindex)
{
    struct nd_cache *c = st->ip6->nd;
    for (int i = 0; i < ND_CACHE_MAX; i++)
        if (c->e[i].used && c->e[i].ifindex == ifindex)
            entry_free(st, &c->e[i]);
}

int stack_ip6_neighbour(struct stack *st, int ifindex, const uint8_t addr[16], uint8_t mac[6])
{
    if (!ip6_state(st))
        return 0;
    struct nd_entry *e = lookup(st, ifindex, addr);
    if (!e)
        return 0;
    if (mac)
        memcpy(mac, e->mac, 6);
    return e->state;
}

/* A solicitation, RA or redirect told us a neighbour's link address
 * (7.2.3): create it STALE, or update it (STALE if it changed). */
static struct nd_entry *learn(struct stack *st, int ifindex, const uint8_t a[16], const uint8_t mac[6])
{
    struct nd_entry *e = lookup(st, ifindex, a);
    if (!e) {
        e = entry_new(st, ifindex, a);
        if (!e)
            return NULL;
        memcpy(e->mac, mac, 6);
        set_state(st, e, ND_STALE);
        return e;
    }
    if (e->state == ND_INCOMPLETE) {
        memcpy(e->mac, mac, 6);
        set_state(st, e, ND_STALE);
        flush_queue(st, e);
    } else if (memcmp(e->mac, mac, 6) != 0) {
        memcpy(e->mac, mac, 6);
        set_state(st, e, ND_STALE);
    }
    return e;
}

/* ---- receiving ---- */

static void ns_input(struct stack *st, const struct ip_rx *rx)
{
    struct nd_ns ns;
    if (nd_parse_ns(rx->l4, rx->l4_len, &ns) != ICMP6_OK)
        goto bad;
    bool from_any = ip6_is_unspecified(rx->src.v6);
    /* 7.1.1: a DAD probe goes to a solicited-node group and has no SLLA. */
    if (from_any && (!ip6_is_solicited_node(rx->dst.v6) || ns.opts.src_lladdr))
        goto bad;
    /* 7.1.1 / 7.2.3: the target must be ours on this link (tentative too). */
    struct ip6_ifaddr *a = ip6_find_addr(st, rx->ifindex, ns.target);
    if (!a)
        return;
    st->ctr.nd_rx_ns++;
    if (a->state == IP6_ADDR_TENTATIVE) {
        /* RFC 4862 5.4.3: only another node's DAD probe means a conflict. */
        if (from_any)
            slaac_dad_ns(st, a, ns.opts.nonce, ns.opts.nonce_len);
        return;
    }
    if (from_any) {
        /* Someone is checking an address we hold: defend it (7.2.4). */
        send_na(st, rx->ifindex, ns.target, ip6_all_nodes, false);
        return;
    }
    if (ns.opts.src_lladdr)
        learn(st, rx->ifindex, rx->src.v6, ns.opts.src_lladdr);
    else if (rx->dst_multicast)
        goto bad;   /* 7.1.1 (implied by 4.3): a multicast NS from a unicast source names its link address */
    send_na(st, rx->ifindex, ns.target, rx->src.v6, true);
    return;
bad:
    st->ctr.nd_rx_bad++;
}

static void remove_router(struct stack *st, int ifindex, const uint8_t addr[16])
{
    static const uint8_t any[16];
    ip6_route_del(st, any, 0, addr, ifindex, IP6_ROUTE_RA_DEFAULT);
}

static void na_input(struct stack *st, const struct ip_rx *rx)
{
    struct nd_na na;
    if (nd_parse_na(rx->l4, rx->l4_len, &na) != ICMP6_OK || (rx->dst_multicast && na.solicited)) {
        st->ctr.nd_rx_bad++;
        return;
    }
    st->ctr.nd_rx_na++;
    struct ip6_ifaddr *mine = ip6_find_addr(st, rx->ifindex, na.target);
    if (mine) {
        if (mine->state == IP6_ADDR_TENTATIVE)
            slaac_dad_na(st, mine);   /* RFC 4862 5.4.4: someone holds it */
        else
            stack_logf(st, TAPIR_LOG_INFO, "ipv6: another node advertises one of our addresses");
        return;
    }
    struct nd_entry *e = lookup(st, rx->ifindex, na.target);
    if (!e)
        return;   /* 7.2.5: an NA never creates an entry */
    const uint8_t *ll = na.opts.tgt_lladdr;
    bool was_router = e->is_router;
    if (e->state == ND_INCOMPLETE) {
        if (!ll)
            return;
        memcpy(e->mac, ll, 6);
        e->is_router = na.router;
        set_state(st, e, na.solicited ? ND_REACHABLE : ND_STALE);
        flush_queue(st, e);
        return;
    }
    bool differs = ll && memcmp(ll, e->mac, 6) != 0;
    if (!na.override && differs) {
        /* 7.2.5: keep the address we know; only doubt it. */
        if (e->state == ND_REACHABLE)
            set_state(st, e, ND_STALE);
        return;
    }
    if (ll)
        memcpy(e->mac, ll, 6);
    if (na.solicited)
        set_state(st, e, ND_REACHABLE);
    else if (differs)
        set_state(st, e, ND_STALE);
    e->is_router = na.router;
    if (was_router && !na.router)
        remove_router(st, e->ifindex, e->addr);
}

static void ra_input(struct stack *st, const struct ip_rx *rx)
{
    struct nd_ra ra;
    /* 6.1.2: from a link-local address. */
    if (!ip6_is_linklocal(rx->src.v6) || nd_parse_ra(rx->l4, rx->l4_len, &ra) != ICMP6_OK) {
        st->ctr.nd_rx_bad++;
        return;
    }
    st->ctr.nd_rx_ra++;
    struct ip6_state *s = st->ip6;
    struct ip6_netif *n = &s->nif[rx->ifindex];
    if (!s->set.accept_ra)
        return;
    n->got_ra = true;
    timer_cancel(&st->timers, &n->rs_timer);
    if (ra.cur_hop_limit)
        n->cur_hop_limit = ra.cur_hop_limit;
    if (ra.reachable_time && ra.reachable_time <= 3600000 && ra.reachable_time != n->base_reachable_ms) {
        /* 6.3.4: a new base; ReachableTime is random in [0.5, 1.5] x base. */
        n->base_reachable_ms = ra.reachable_time;
        n->reachable_ms = ra.reachable_time / 2 + rng_below(&st->rng, ra.reachable_time ? ra.reachable_time : 1);
    }
    if (ra.retrans_timer)
        n->retrans_ms = ra.retrans_timer;
    static const uint8_t any[16];
    if (ra.router_lifetime)
        ip6_route_add(st, any, 0, rx->src.v6, rx->ifindex, IP6_ROUTE_RA_DEFAULT,
                      st->now + (uint64_t)ra.router_lifetime * 1000000);
    else
        remove_router(st, rx->ifindex, rx->src.v6);
    if (ra.opts.src_lladdr) {
        struct nd_entry *e = learn(st, rx->ifindex, rx->src.v6, ra.opts.src_lladdr);
        if (e)
            e->is_router = true;
    } else {
        struct nd_entry *e = lookup(st, rx->ifindex, rx->src.v6);
        if (e)
            e->is_router = true;
    }
    if (ra.opts.has_mtu && ra.opts.mtu >= IP6_MIN_MTU && ra.opts.mtu <= st->netifs[rx->ifindex].mtu)
        n->mtu = ra.opts.mtu;   /* 6.3.4: within what the link can carry */
    for (int i = 0; i < ra.opts.n_prefix; i++) {
        const struct nd_prefix *pi = &ra.opts.prefix[i];
        if (ip6_is_linklocal(pi->prefix) || pi->prefix_len > 128)
            continue;   /* 6.3.4: the link-local prefix is silently ignored */
        if (pi->onlink) {
            uint8_t pfx[16];
            memcpy(pfx, pi->prefix, 16);
            for (unsigned b = pi->prefix_len; b < 128; b++)
                pfx[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
            if (pi->valid_lifetime == 0)
                ip6_route_del(st, pfx, pi->prefix_len, NULL, rx->ifindex, IP6_ROUTE_RA_PREFIX);
            else
                ip6_route_add(st, pfx, pi->prefix_len, NULL, rx->ifindex, IP6_ROUTE_RA_PREFIX,
                              ip6_deadline(st->now, pi->valid_lifetime));
        }
        if (pi->autonomous && s->set.autoconf)
            slaac_prefix(st, rx->ifindex, pi);
    }
}

static void redirect_input(struct stack *st, const struct ip_rx *rx)
{
    struct nd_redirect r;
    if (!ip6_is_linklocal(rx->src.v6) || nd_parse_redirect(rx->l4, rx->l4_len, &r) != ICMP6_OK) {
        st->ctr.nd_rx_bad++;
        return;
    }
    /* 8.1: only the router we use for that destination may redirect us. */
    int ifindex;
    uint8_t nh[16];
    if (!ip6_route_lookup(st, r.dest, &ifindex, nh) || ifindex != rx->ifindex ||
        memcmp(nh, rx->src.v6, 16) != 0) {
        st->ctr.nd_rx_bad++;
        return;
    }
    st->ctr.nd_rx_redirects++;
    if (!st->ip6->set.accept_redirects)
        return;
    bool onlink = memcmp(r.target, r.dest, 16) == 0;
    ip6_route_add(st, r.dest, 128, onlink ? NULL : r.target, rx->ifindex, IP6_ROUTE_REDIRECT,
                  st->now + (uint64_t)IP6_PMTU_EXPIRE_MS * 1000);
    if (r.opts.tgt_lladdr) {
        struct nd_entry *e = learn(st, rx->ifindex, r.target, r.opts.tgt_lladdr);
        if (e && !onlink)
            e->is_router = true;
    }
}

void nd_input(struct stack *st, const struct ip_rx *rx, uint8_t type)
{
    const struct netif *nif = stack_netif(st, rx->ifindex);
    /* 6.1, 7.1, 8.1: hop limit 255 proves the sender is on this link.  Code
     * and lengths are checked by the parsers. ND on a link without link
     * layer addresses (TUN, loopback) means nothing. */
    if (rx->ttl != 255 || !nif || nif->loopback || nif->tun) {
        st->ctr.nd_rx_bad++;
        return;
    }
    /* RFC 6980 5: ND in fragments (atomic ones too) is silently ignored:
     * fragments let an attacker hide ND from RA-Guard style filters, and no
     * legitimate ND message needs them. */
    if (rx->fragmented) {
        st->ctr.nd_rx_fragmented++;
        return;
    }
    switch (type) {
    case ICMP6_ND_NS: ns_input(st, rx); break;
    case ICMP6_ND_NA: na_input(st, rx); break;
    case ICMP6_ND_RA: ra_input(st, rx); break;
    case ICMP6_ND_REDIRECT: redirect_input(st, rx); break;
    case ICMP6_ND_RS:
        st->ctr.nd_rx_rs++;   /* 6.2.6: hosts ignore solicitations for routers */
        break;
    }
}

/* ---- router solicitation on up ---- */

static void rs_timer(struct stack *st, struct timer *t)
{
    struct ip6_netif *n = container_of(t, struct ip6_netif, rs_timer);
    if (n->got_ra || n->rs_left <= 0)
        return;
    nd_send_rs(st, n->ifindex);
    if (--n->rs_left > 0)
        timer_arm(&st->timers, &n->rs_timer, st->now + ms(ND_RTR_SOLICITATION_INTERVAL_MS));
}

void nd_netif_up(struct stack *st, int ifindex)
{
    struct ip6_netif *n = ip6_netif(st, ifindex);
    struct netif *nif = stack_netif(st, ifindex);
    if (!n || !nif || nif->loopback || nif->tun || !st->ip6->set.accept_ra)
        return;
    /* 6.3.7: up to MAX_RTR_SOLICITATIONS, the first after a random delay. */
    n->rs_left = ND_MAX_RTR_SOLICITATIONS;
    n->got_ra = false;
    timer_init(&n->rs_timer, rs_timer);
    uint32_t d = st->ip6->set.rs_delay_max_ms;
    timer_arm(&st->timers, &n->rs_timer, st->now + ms(d ? rng_below(&st->rng, d) : 0));
}
