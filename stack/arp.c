/* The ARP cache: resolution of IPv4 next hops on Ethernet interfaces.
 *
 * Policy (RFC 826 and RFC 1122 2.3.2, with smoltcp's and Linux's hardening):
 * - An entry is created only (a) when we need to send to an address
 *   (INCOMPLETE, with a request) or (b) when a request targeting one of our
 *   addresses arrives (RFC 826: the asker will talk to us next).  A reply we
 *   did not ask for, or a gratuitous ARP, only updates an existing entry
 *   (RFC 826's merge rule), so nobody can fill the cache from afar.
 * - Requests for one address go out at most once per arp_retry_ms (1 s),
 *   arp_max_requests times; then the address is unresolved: the packets
 *   waiting for it are dropped and their senders told "host unreachable".
 *   An entry gone STALE is still used and polled by unicast requests at the
 *   same pace; arp_max_requests unanswered polls and it is forgotten.
 * - Each INCOMPLETE entry holds at most ARP_PENDING_MAX packets (the oldest
 *   goes first, like Linux's unres_qlen).
 * - At most ARP_CACHE_MAX entries; when full, the least recently used
 *   non-static entry is evicted.
 * - Lookups hash (ifindex, address) with the stack's secret, so an attacker
 *   cannot aim many addresses at one chain.
 */
#include "stack/arp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stack/icmp4.h"
#include "stack/stack.h"
#include "stack/wire/arp.h"
#include "stack/wire/eth.h"
#include "stack/wire/icmp.h"
#include "stack/wire/ipv4.h"

struct arp_entry {
    struct arp_entry *hnext;           /* hash chain */
    struct arp_entry *lru_prev, *lru_next; /* most recently used at the head */
    uint32_t ip;
    int ifindex;
    uint8_t mac[6];
    enum arp_state state;
    uint8_t requests;                  /* sent while INCOMPLETE */
    uint64_t last_request;             /* µs; for the one-per-second rule */
    uint64_t last_used;                /* µs; STALE entries unused this long go */
    struct timer timer;
    struct pkt *pend_head, *pend_tail;
    size_t n_pending;
    size_t pending_bytes;
};

struct arp_table {
    struct arp_entry *bucket[ARP_HASH_BUCKETS];
    struct arp_entry lru;              /* sentinel */
    size_t count;
};

static void entry_timer(struct stack *st, struct timer *t);

int arp_init(struct stack *st)
{
    st->arp = calloc(1, sizeof *st->arp);
    if (!st->arp)
        return -ENOMEM;
    st->arp->lru.lru_next = st->arp->lru.lru_prev = &st->arp->lru;
    return 0;
}

static void drop_pending(struct arp_entry *e)
{
    while (e->pend_head) {
        struct pkt *p = e->pend_head;
        e->pend_head = p->next;
        pkt_free(p);
    }
    e->pend_tail = NULL;
    e->n_pending = 0;
    e->pending_bytes = 0;
}

void arp_destroy(struct stack *st)
{
    if (!st->arp)
        return;
    for (size_t b = 0; b < ARP_HASH_BUCKETS; b++) {
        struct arp_entry *e = st->arp->bucket[b];
        while (e) {
            struct arp_entry *n = e->hnext;
            timer_cancel(&st->timers, &e->timer);
            drop_pending(e);
            free(e);
            e = n;
        }
    }
    free(st->arp);
    st->arp = NULL;
}

static size_t bucket_of(const struct stack *st, int ifindex, uint32_t ip)
{
    uint32_t key[2] = {ip, (uint32_t)ifindex};
    return (size_t)(siphash24(st->secret, key, sizeof key) & (ARP_HASH_BUCKETS - 1));
}

static struct arp_entry *find(struct stack *st, int ifindex, uint32_t ip)
{
    for (struct arp_entry *e = st->arp->bucket[bucket_of(st, ifindex, ip)]; e; e = e->hnext)
        if (e->ip == ip && e->ifindex == ifindex)
            return e;
    return NULL;
}

static void lru_unlink(struct arp_entry *e)
{
    e->lru_prev->lru_next = e->lru_next;
    e->lru_next->lru_prev = e->lru_prev;
}

static void lru_touch(struct arp_table *t, struct arp_entry *e)
{
    lru_unlink(e);
    e->lru_next = t->lru.lru_next;
    e->lru_prev = &t->lru;
    t->lru.lru_next->lru_prev = e;
    t->lru.lru_next = e;
}

static void remove_entry(struct stack *st, struct arp_entry *e)
{
    struct arp_entry **pp = &st->arp->bucket[bucket_of(st, e->ifindex, e->ip)];
    while (*pp != e)
        pp = &(*pp)->hnext;
    *pp = e->hnext;
    lru_unlink(e);
    timer_cancel(&st->timers, &e->timer);
    drop_pending(e);
    st->arp->count--;
    free(e);
}

static struct arp_entry *create(struct stack *st, int ifindex, uint32_t ip)
{
    struct arp_table *t = st->arp;
    if (t->count >= ARP_CACHE_MAX) {
        /* Evict from the cold end; static entries are never evicted. */
        struct arp_entry *victim = t->lru.lru_prev;
        while (victim != &t->lru && victim->state == ARP_STATIC)
            victim = victim->lru_prev;
        if (victim == &t->lru)
            return NULL;
        st->ctr.arp_cache_evictions++;
        st->ctr.arp_unresolved += victim->n_pending;
        remove_entry(st, victim);
    }
    struct arp_entry *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->ip = ip;
    e->ifindex = ifindex;
    e->last_used = st->now;
    timer_init(&e->timer, entry_timer);
    size_t b = bucket_of(st, ifindex, ip);
    e->hnext = t->bucket[b];
    t->bucket[b] = e;
    e->lru_next = e->lru_prev = e;
    lru_touch(t, e);
    t->count++;
    return e;
}

static void send_arp(struct stack *st, int ifindex, uint16_t op, const uint8_t dst_mac[6],
                     const uint8_t tha[6], uint32_t spa, uint32_t tpa)
{
    struct netif *nif = stack_netif(st, ifindex);
    struct pkt *p = pkt_alloc(ARP_PKT_LEN);
    if (!nif || !p) {
        pkt_free(p);
        return;
    }
    struct arp_pkt a = {.op = op, .spa = spa, .tpa = tpa};
    memcpy(a.sha, nif->mac, 6);
    memcpy(a.tha, tha, 6);
    arp_pkt_emit(&a, pkt_put(p, ARP_PKT_LEN));
    netif_output(st, ifindex, p, ETHERTYPE_ARP, dst_mac);
}

static void send_request(struct stack *st, struct arp_entry *e, bool unicast)
{
    static const uint8_t zero[6];
    uint32_t src = stack_source4(st, e->ifindex, e->ip);
    e->last_request = st->now;
    e->requests++;
    st->ctr.arp_tx_requests++;
    /* A STALE entry is re-checked with a unicast request (RFC 1122 2.3.2.1
     * "unicast poll"), which does not disturb everyone else on the link. */
    send_arp(st, e->ifindex, ARP_OP_REQUEST, unicast ? e->mac : eth_broadcast, zero, src, e->ip);
}

static uint64_t ms(uint32_t v)
{
    return (uint64_t)v * 1000;
}

static void set_reachable(struct stack *st, struct arp_entry *e, const uint8_t mac[6])
{
    memcpy(e->mac, mac, 6);
    if (e->state == ARP_STATIC)
        return;
    stack_gateway_seen(st, e->ifindex, e->ip, true);   /* it speaks: not a dead gateway */
    e->state = ARP_REACHABLE;
    e->requests = 0;
    timer_arm(&st->timers, &e->timer, st->now + ms(st->cfg.arp_reachable_ms));
}

/* Sends what waited for this entry, now that its MAC is known. */
static void flush_pending(struct stack *st, struct arp_entry *e)
{
    struct pkt *p = e->pend_head;
    e->pend_head = e->pend_tail = NULL;
    e->n_pending = 0;
    e->pending_bytes = 0;
    while (p) {
        struct pkt *n = p->next;
        p->next = NULL;
        netif_output(st, e->ifindex, p, ETHERTYPE_IPV4, e->mac);
        p = n;
    }
}

/* Tells the sender of p (an IPv4 packet we could not deliver) that the host
 * is unreachable, as Linux does through a local ICMP error. */
static void report_unreachable(struct stack *st, const struct pkt *p)
{
    struct ipv4_hdr h;
    if (ipv4_parse(p->data, p->len, &h, false) != 0)
        return;
    size_t l4_len = h.total_len - h.hdr_len;
    if (h.frag_off != 0 || l4_len < 8)
        return;
    struct icmp_error e = {
        .reporter = ip4(h.src),
        .src = ip4(h.src),
        .dst = ip4(h.dst),
        .proto = h.proto,
        .type = ICMP_DEST_UNREACH,
        .code = ICMP_HOST_UNREACH,
        .err = EHOSTUNREACH,
        .hard = false,
        .local = true,
        .l4 = p->data + h.hdr_len,
        .l4_len = l4_len,
    };
    icmp_deliver_error(st, &e);
}

static void entry_timer(struct stack *st, struct timer *t)
{
    struct arp_entry *e = container_of(t, struct arp_entry, timer);
    switch (e->state) {
    case ARP_INCOMPLETE:
        if (e->requests < st->cfg.arp_max_requests) {
            send_request(st, e, false);
            timer_arm(&st->timers, &e->timer, st->now + ms(st->cfg.arp_retry_ms));
            return;
        }
        /* Give up.  If it is a gateway, it is dead for a while: routes
         * through another one take over (RFC 1122 3.3.1.4).  Detach the
         * queue first: the error reports may make a transport send again,
         * which would look this entry up. */
        stack_gateway_seen(st, e->ifindex, e->ip, false);
        {
            struct pkt *p = e->pend_head;
            e->pend_head = e->pend_tail = NULL;
            st->ctr.arp_unresolved += e->n_pending;
            e->n_pending = 0;
            e->pending_bytes = 0;
            remove_entry(st, e);
            while (p) {
                struct pkt *n = p->next;
                report_unreachable(st, p);
                pkt_free(p);
                p = n;
            }
        }
        return;
    case ARP_REACHABLE:
        e->state = ARP_STALE;
        timer_arm(&st->timers, &e->timer, e->last_used + ms(ARP_STALE_MS));
        return;
    case ARP_STALE:
        if (e->last_used + ms(ARP_STALE_MS) > st->now) {
            timer_arm(&st->timers, &e->timer, e->last_used + ms(ARP_STALE_MS));
            return;
        }
        remove_entry(st, e);
        return;
    default:
        return;
    }
}

int arp_resolve(struct stack *st, int ifindex, uint32_t nexthop, struct pkt *p, uint8_t mac[6])
{
    struct arp_entry *e = find(st, ifindex, nexthop);
    if (e && e->state == ARP_STALE && e->requests >= st->cfg.arp_max_requests &&
        st->now - e->last_request >= ms(st->cfg.arp_retry_ms)) {
        /* RFC 1122 2.3.2.1: an out-of-date entry MUST go even while in use.
         * Its unicast polls went unanswered: forget it and resolve afresh
         * by broadcast (Linux's NUD: PROBE -> FAILED), which also finds a
         * host that moved to another MAC. */
        st->ctr.arp_polls_failed++;
        remove_entry(st, e);
        e = NULL;
    }
    if (e && e->state != ARP_INCOMPLETE) {
        e->last_used = st->now;
        lru_touch(st->arp, e);
        if (e->state == ARP_STALE && st->now - e->last_request >= ms(st->cfg.arp_retry_ms))
            send_request(st, e, true);
        memcpy(mac, e->mac, 6);
        return 1;
    }
    if (!e) {
        e = create(st, ifindex, nexthop);
        if (!e) {
            st->ctr.arp_unresolved++;
            pkt_free(p);
            return -ENOBUFS;
        }
        e->state = ARP_INCOMPLETE;
        send_request(st, e, false);
        timer_arm(&st->timers, &e->timer, st->now + ms(st->cfg.arp_retry_ms));
    }
    while (e->pend_head &&
           (e->n_pending >= ARP_PENDING_MAX || e->pending_bytes + p->len > ARP_PENDING_MAX_BYTES)) {
        struct pkt *old = e->pend_head;
        e->pend_head = old->next;
        if (!e->pend_head)
            e->pend_tail = NULL;
        e->n_pending--;
        e->pending_bytes -= old->len;
        pkt_free(old);
        st->ctr.arp_pending_drops++;
    }
    p->next = NULL;
    if (e->pend_tail)
        e->pend_tail->next = p;
    else
        e->pend_head = p;
    e->pend_tail = p;
    e->n_pending++;
    e->pending_bytes += p->len;
    return 0;
}

static bool is_our_addr(const struct netif *nif, uint32_t a)
{
    for (int i = 0; i < nif->n_ip4; i++)
        if (nif->ip4[i].addr == a)
            return true;
    return false;
}

void arp_input(struct stack *st, int ifindex, const uint8_t *pkt, size_t len)
{
    struct netif *nif = stack_netif(st, ifindex);
    struct arp_pkt a;
    st->ctr.arp_rx++;
    if (!nif || arp_pkt_parse(pkt, len, &a) != 0) {
        st->ctr.arp_rx_bad++;
        return;
    }
    if (a.op == ARP_OP_REQUEST)
        st->ctr.arp_rx_requests++;
    else
        st->ctr.arp_rx_replies++;
    /* A sender claiming a group MAC, or a sender address that no host may
     * have, is lying or broken: believe nothing it says. */
    if (eth_is_multicast(a.sha) || eth_is_zero(a.sha) || ip4_is_multicast(a.spa) ||
        ip4_is_reserved_e(a.spa) || ip4_is_loopback(a.spa)) {
        st->ctr.arp_rx_bad++;
        return;
    }
    /* Someone else claims one of our addresses (a conflict, RFC 5227): keep
     * it out of the cache and say so. */
    if (a.spa != 0 && is_our_addr(nif, a.spa)) {
        if (memcmp(a.sha, nif->mac, 6) != 0)
            stack_logf(st, TAPIR_LOG_INFO, "arp: address conflict on %s", nif->name);
        return;
    }
    /* RFC 826 merge: update the sender's entry if we have one. (A probe,
     * spa = 0, RFC 5227, says nothing about the sender's address.) */
    bool merged = false;
    struct arp_entry *e = a.spa ? find(st, ifindex, a.spa) : NULL;
    if (e) {
        bool was_incomplete = e->state == ARP_INCOMPLETE;
        set_reachable(st, e, a.sha);
        merged = true;
        if (was_incomplete)
            flush_pending(st, e);
    }
    if (!is_our_addr(nif, a.tpa)) {
        st->ctr.arp_rx_not_for_us++;
        return;
    }
    if (a.op != ARP_OP_REQUEST)
        return;
    if (!merged && a.spa) {
        e = create(st, ifindex, a.spa);
        if (e)
            set_reachable(st, e, a.sha);
    }
    st->ctr.arp_tx_replies++;
    send_arp(st, ifindex, ARP_OP_REPLY, a.sha, a.sha, a.tpa, a.spa);
}

void arp_announce(struct stack *st, int ifindex, uint32_t addr)
{
    static const uint8_t zero[6];
    st->ctr.arp_tx_gratuitous++;
    send_arp(st, ifindex, ARP_OP_REQUEST, eth_broadcast, zero, addr, addr);
}

int arp_add_static(struct stack *st, int ifindex, uint32_t ip, const uint8_t mac[6])
{
    if (!stack_netif(st, ifindex) || eth_is_multicast(mac))
        return -EINVAL;
    struct arp_entry *e = find(st, ifindex, ip);
    if (!e && !(e = create(st, ifindex, ip)))
        return -ENOBUFS;
    bool was_incomplete = e->state == ARP_INCOMPLETE;
    timer_cancel(&st->timers, &e->timer);
    memcpy(e->mac, mac, 6);
    e->state = ARP_STATIC;
    if (was_incomplete)
        flush_pending(st, e);
    return 0;
}

enum arp_state arp_lookup(struct stack *st, int ifindex, uint32_t ip, uint8_t mac[6])
{
    struct arp_entry *e = find(st, ifindex, ip);
    if (!e)
        return ARP_NONE;
    if (mac && e->state != ARP_INCOMPLETE)
        memcpy(mac, e->mac, 6);
    return e->state;
}

size_t arp_count(struct stack *st)
{
    return st->arp->count;
}

size_t arp_pending(struct stack *st, int ifindex, uint32_t ip)
{
    struct arp_entry *e = find(st, ifindex, ip);
    return e ? e->n_pending : 0;
}
