/* The ARP cache: state changes, retries, the one-per-second rule, caps,
 * the pending queue, the RFC 826 merge rule and replies. */
#include <criterion/criterion.h>
#include <errno.h>

#include "net_helpers.h"
#include "stack/arp.h"
#include "stack/ip.h"
#include "stack/socket.h"
#include "stack/wire/arp.h"
#include "stack/wire/eth.h"


static void setup(struct netfix *f) { netfix_setup(f, 7, 5000000, 0); }
static void teardown(struct netfix *f) { netfix_teardown(f); }

static void advance(struct netfix *f, uint64_t us)
{
    f->now += us;
    stack_poll(f->st, f->now);
}

/* Feeds an ARP packet from `mac`. */
static void feed_arp(struct netfix *f, uint16_t op, const uint8_t mac[6], uint32_t spa, uint32_t tpa,
                     const uint8_t eth_dst[6])
{
    uint8_t frame[60] = {0};
    struct eth_hdr eh = {.type = ETHERTYPE_ARP};
    memcpy(eh.dst, eth_dst, 6);
    memcpy(eh.src, mac, 6);
    eth_emit(&eh, frame);
    struct arp_pkt a = {.op = op, .spa = spa, .tpa = tpa};
    memcpy(a.sha, mac, 6);
    if (op == ARP_OP_REPLY)
        memcpy(a.tha, NET_OUR_MAC, 6);
    arp_pkt_emit(&a, frame + ETH_HDR_LEN);
    stack_input(f->st, f->ifx, frame, sizeof frame, f->now);
}

/* Sends a small IPv4 datagram to dst through ip_output. */
static int send_to(struct netfix *f, uint32_t dst)
{
    struct pkt *p = pkt_alloc(8);
    memset(pkt_put(p, 8), 0, 8);
    struct ip_tx tx = {.dst = ip4(dst), .proto = 253, .ifindex = -1};
    return ip_output(f->st, p, &tx);
}

/* Pops the next frame and parses it as ARP; false if it is not one. */
static bool next_arp(struct netfix *f, struct eth_hdr *eh, struct arp_pkt *a)
{
    struct cap_frame *fr = capture_pop(&f->cap);
    if (!fr)
        return false;
    bool ok = eth_parse(fr->data, fr->len, eh) == 0 && eh->type == ETHERTYPE_ARP &&
              arp_pkt_parse(fr->data + ETH_HDR_LEN, fr->len - ETH_HDR_LEN, a) == 0;
    free(fr);
    return ok;
}

Test(arp, gratuitous_arp_when_address_added)
{
    struct netfix f;
    setup(&f);
    struct eth_hdr eh;
    struct arp_pkt a;
    cr_assert(next_arp(&f, &eh, &a));
    cr_assert(eth_is_broadcast(eh.dst));
    cr_assert_eq(a.op, ARP_OP_REQUEST);
    cr_assert_eq(a.spa, NET_OUR);
    cr_assert_eq(a.tpa, NET_OUR);
    cr_assert_eq(memcmp(a.sha, NET_OUR_MAC, 6), 0);
    cr_assert_eq(f.st->ctr.arp_tx_gratuitous, 1);
    teardown(&f);
}

Test(arp, resolve_then_reply_flushes_queue)
{
    struct netfix f;
    setup(&f);
    capture_clear(&f.cap);
    cr_assert_eq(send_to(&f, NET_PEER), 0);
    cr_assert_eq(send_to(&f, NET_PEER), 0);
    cr_assert_eq(arp_lookup(f.st, f.ifx, NET_PEER, NULL), ARP_INCOMPLETE);
    cr_assert_eq(arp_pending(f.st, f.ifx, NET_PEER), 2);
    /* One request only, even for two packets. */
    cr_assert_eq(f.cap.count, 1);
    struct eth_hdr eh;
    struct arp_pkt a;
    cr_assert(next_arp(&f, &eh, &a));
    cr_assert(eth_is_broadcast(eh.dst));
    cr_assert_eq(a.op, ARP_OP_REQUEST);
    cr_assert_eq(a.tpa, NET_PEER);
    cr_assert_eq(a.spa, NET_OUR);
    feed_arp(&f, ARP_OP_REPLY, NET_PEER_MAC, NET_PEER, NET_OUR, NET_OUR_MAC);
    uint8_t mac[6];
    cr_assert_eq(arp_lookup(f.st, f.ifx, NET_PEER, mac), ARP_REACHABLE);
    cr_assert_eq(memcmp(mac, NET_PEER_MAC, 6), 0);
    cr_assert_eq(arp_pending(f.st, f.ifx, NET_PEER), 0);
    cr_assert_eq(f.cap.count, 2, "both queued packets went out");
    struct cap_frame *fr = capture_pop(&f.cap);
    cr_assert_eq(memcmp(fr->data, NET_PEER_MAC, 6), 0);
    cr_assert_eq(fr->data[12], 0x08);
    cr_assert_eq(fr->data[13], 0x00);
    free(fr);
    /* Now sent directly. */
    cr_assert_eq(send_to(&f, NET_PEER), 0);
    cr_assert_eq(f.cap.count, 2);
    teardown(&f);
}

Test(arp, retries_one_per_second_then_gives_up)
{
    struct netfix f;
    setup(&f);
    capture_clear(&f.cap);
    struct sock *s;
    cr_assert_eq(sock_create(f.st, 2, 2 /* SOCK_DGRAM */, 0, &s), 0);
    struct endpoint to = {.addr = ip4(NET_PEER), .port = 9};
    cr_assert_eq(sock_connect(s, &to), 0);
    cr_assert_eq(sock_send(s, "x", 1, 0, NULL), 1);
    cr_assert_eq(f.st->ctr.arp_tx_requests, 1);
    /* More packets inside the second: no more requests. */
    for (int i = 0; i < 5; i++) {
        advance(&f, 100000);
        send_to(&f, NET_PEER);
    }
    cr_assert_eq(f.st->ctr.arp_tx_requests, 1);
    advance(&f, 500000); /* 1 s after the first */
    cr_assert_eq(f.st->ctr.arp_tx_requests, 2);
    advance(&f, 1000000);
    cr_assert_eq(f.st->ctr.arp_tx_requests, 3);
    cr_assert_eq(arp_lookup(f.st, f.ifx, NET_PEER, NULL), ARP_INCOMPLETE);
    advance(&f, 1000000);
    cr_assert_eq(f.st->ctr.arp_tx_requests, ARP_MAX_REQUESTS);
    cr_assert_eq(arp_lookup(f.st, f.ifx, NET_PEER, NULL), ARP_NONE);
    cr_assert_eq(f.st->ctr.arp_unresolved, 6);
    /* Host unreachable is a soft error: a UDP socket does not hear of it
     * (Linux without IP_RECVERR), and nothing crashed on the way. */
    cr_assert_eq(s->so_error, 0);
    sock_close(s);
    teardown(&f);
}

Test(arp, unsolicited_reply_creates_nothing)
{
    struct netfix f;
    setup(&f);
    feed_arp(&f, ARP_OP_REPLY, NET_PEER_MAC, NET_PEER, NET_OUR, NET_OUR_MAC);
    cr_assert_eq(arp_lookup(f.st, f.ifx, NET_PEER, NULL), ARP_NONE);
    cr_assert_eq(arp_count(f.st), 0);
    /* A gratuitous ARP (request, spa == tpa) neither. */
    feed_arp(&f, ARP_OP_REQUEST, NET_PEER_MAC, NET_PEER, NET_PEER, eth_broadcast);
    cr_assert_eq(arp_count(f.st), 0);
    cr_assert_eq(f.st->ctr.arp_rx_not_for_us, 1);
    teardown(&f);
}

Test(arp, merge_updates_existing_entry)
{
    struct netfix f;
    setup(&f);
    cr_assert_eq(arp_add_static(f.st, f.ifx, IP4(198, 18, 0, 77), NET_PEER_MAC), 0);
    send_to(&f, NET_PEER);
    feed_arp(&f, ARP_OP_REPLY, NET_PEER_MAC, NET_PEER, NET_OUR, NET_OUR_MAC);
    /* The peer moves to a new MAC and announces it (gratuitous ARP). */
    static const uint8_t new_mac[6] = {0x02, 0xcc, 0, 0, 0, 3};
    feed_arp(&f, ARP_OP_REQUEST, new_mac, NET_PEER, NET_PEER, eth_broadcast);
    uint8_t mac[6];
    cr_assert_eq(arp_lookup(f.st, f.ifx, NET_PEER, mac), ARP_REACHABLE);
    cr_assert_eq(memcmp(mac, new_mac, 6), 0);
    teardown(&f);
}

Test(arp, request_for_us_is_answered_and_learned)
{
    struct netfix f;
    setup(&f);
    capture_clear(&f.cap);
    feed_arp(&f, ARP_OP_REQUEST, NET_PEER_MAC, NET_PEER, NET_OUR, eth_broadcast);
    struct eth_hdr eh;
    struct arp_pkt a;
    cr_assert(next_arp(&f, &eh, &a));
    cr_assert_eq(memcmp(eh.dst, NET_PEER_MAC, 6), 0);
    cr_assert_eq(memcmp(eh.src, NET_OUR_MAC, 6), 0);
    cr_assert_eq(a.op, ARP_OP_REPLY);
    cr_assert_eq(a.spa, NET_OUR);
    cr_assert_eq(a.tpa, NET_PEER);
    cr_assert_eq(memcmp(a.sha, NET_OUR_MAC, 6), 0);
    cr_assert_eq(memcmp(a.tha, NET_PEER_MAC, 6), 0);
    cr_assert_eq(arp_lookup(f.st, f.ifx, NET_PEER, NULL), ARP_REACHABLE);
    cr_assert_eq(f.st->ctr.arp_tx_replies, 1);
    /* A request for someone else: no reply, no entry. */
    feed_arp(&f, ARP_OP_REQUEST, NET_PEER_MAC, IP4(198, 18, 0, 5), IP4(198, 18, 0, 6), eth_broadcast);
    cr_assert_eq(f.cap.count, 0);
    cr_assert_eq(arp_lookup(f.st, f.ifx, IP4(198, 18, 0, 5), NULL), ARP_NONE);
    teardown(&f);
}

Test(arp, probe_is_answered_without_learning)
{
    struct netfix f;
    setup(&f);
    capture_clear(&f.cap);
    /* RFC 5227 probe: sender address 0. */
    feed_arp(&f, ARP_OP_REQUEST, NET_PEER_MAC, 0, NET_OUR, eth_broadcast);
    cr_assert_eq(f.cap.count, 1);
    cr_assert_eq(arp_count(f.st), 0);
    teardown(&f);
}

Test(arp, hostile_senders_ignored)
{
    struct netfix f;
    setup(&f);
    capture_clear(&f.cap);
    static const uint8_t mcast[6] = {0x01, 0, 0x5e, 0, 0, 1};
    feed_arp(&f, ARP_OP_REQUEST, mcast, NET_PEER, NET_OUR, eth_broadcast);
    feed_arp(&f, ARP_OP_REQUEST, NET_PEER_MAC, IP4(224, 0, 0, 1), NET_OUR, eth_broadcast);
    feed_arp(&f, ARP_OP_REQUEST, NET_PEER_MAC, IP4(127, 0, 0, 1), NET_OUR, eth_broadcast);
    feed_arp(&f, ARP_OP_REQUEST, NET_PEER_MAC, IP4(255, 255, 255, 255), NET_OUR, eth_broadcast);
    cr_assert_eq(f.st->ctr.arp_rx_bad, 4);
    cr_assert_eq(f.cap.count, 0);
    cr_assert_eq(arp_count(f.st), 0);
    /* Someone claiming our own address does not enter the cache. */
    feed_arp(&f, ARP_OP_REQUEST, NET_PEER_MAC, NET_OUR, NET_OUR, eth_broadcast);
    cr_assert_eq(arp_lookup(f.st, f.ifx, NET_OUR, NULL), ARP_NONE);
    teardown(&f);
}

Test(arp, reachable_goes_stale_then_away)
{
    struct netfix f;
    setup(&f);
    feed_arp(&f, ARP_OP_REQUEST, NET_PEER_MAC, NET_PEER, NET_OUR, eth_broadcast);
    cr_assert_eq(arp_lookup(f.st, f.ifx, NET_PEER, NULL), ARP_REACHABLE);
    advance(&f, (uint64_t)ARP_REACHABLE_MS * 1000 + 1000);
    cr_assert_eq(arp_lookup(f.st, f.ifx, NET_PEER, NULL), ARP_STALE);
    /* Used while stale: still sent at once, and re-checked by a unicast request. */
    capture_clear(&f.cap);
    uint64_t req = f.st->ctr.arp_tx_requests;
    cr_assert_eq(send_to(&f, NET_PEER), 0);
    cr_assert_eq(f.st->ctr.arp_tx_requests, req + 1);
    cr_assert_eq(f.cap.count, 2);
    struct eth_hdr eh;
    struct arp_pkt a;
    cr_assert(next_arp(&f, &eh, &a));
    cr_assert_eq(memcmp(eh.dst, NET_PEER_MAC, 6), 0, "unicast poll");
    /* No answer and no more use: gone after ARP_STALE_MS. */
    advance(&f, (uint64_t)ARP_STALE_MS * 1000 + 1000);
    advance(&f, 1000);
    cr_assert_eq(arp_lookup(f.st, f.ifx, NET_PEER, NULL), ARP_NONE);
    teardown(&f);
}

Test(arp, cache_cap_evicts_lru_but_not_static)
{
    struct netfix f;
    setup(&f);
    cr_assert_eq(arp_add_static(f.st, f.ifx, IP4(198, 18, 1, 1), NET_PEER_MAC), 0);
    for (uint32_t i = 0; i < ARP_CACHE_MAX + 20; i++) {
        uint8_t mac[6] = {0x02, 0xdd, 0, 0, (uint8_t)(i >> 8), (uint8_t)i};
        /* Requests for us from many neighbours (ARP does not ask whether the
         * sender is on-link; Linux does not either for requests to us). */
        feed_arp(&f, ARP_OP_REQUEST, mac, IP4(198, 18, 2, 0) + i, NET_OUR, eth_broadcast);
    }
    cr_assert_eq(arp_count(f.st), ARP_CACHE_MAX);
    cr_assert_eq(f.st->ctr.arp_cache_evictions, 21);
    cr_assert_eq(arp_lookup(f.st, f.ifx, IP4(198, 18, 1, 1), NULL), ARP_STATIC);
    cr_assert_eq(arp_lookup(f.st, f.ifx, IP4(198, 18, 2, 0), NULL), ARP_NONE, "oldest evicted");
    cr_assert_eq(arp_lookup(f.st, f.ifx, IP4(198, 18, 2, 0) + ARP_CACHE_MAX + 19, NULL), ARP_REACHABLE);
    teardown(&f);
}

Test(arp, pending_queue_is_bounded)
{
    struct netfix f;
    setup(&f);
    for (int i = 0; i < ARP_PENDING_MAX + 5; i++)
        cr_assert_eq(send_to(&f, NET_PEER), 0);
    cr_assert_eq(arp_pending(f.st, f.ifx, NET_PEER), ARP_PENDING_MAX);
    cr_assert_eq(f.st->ctr.arp_pending_drops, 5);
    teardown(&f);
}

Test(arp, static_entry_never_expires)
{
    struct netfix f;
    setup(&f);
    cr_assert_eq(arp_add_static(f.st, f.ifx, NET_PEER, NET_PEER_MAC), 0);
    advance(&f, 3600ull * 1000000);
    cr_assert_eq(arp_lookup(f.st, f.ifx, NET_PEER, NULL), ARP_STATIC);
    capture_clear(&f.cap);
    send_to(&f, NET_PEER);
    cr_assert_eq(f.cap.count, 1);
    cr_assert_eq(f.st->ctr.arp_tx_requests, 0);
    cr_assert_eq(arp_add_static(f.st, f.ifx, NET_PEER, eth_broadcast), -EINVAL);
    teardown(&f);
}

/* RFC 1122 2.3.2.1: out-of-date entries MUST be flushed even while in use.
 * A STALE entry in use is polled by unicast requests, one per second; when
 * arp_max_requests (3) polls go unanswered it is forgotten and the address
 * resolved afresh by broadcast (Linux: PROBE -> FAILED).  Had the host moved
 * to a new MAC, the broadcast finds it. */
Test(arp, stale_entry_in_use_dropped_after_unanswered_polls)
{
    struct netfix f;
    setup(&f);
    feed_arp(&f, ARP_OP_REQUEST, NET_PEER_MAC, NET_PEER, NET_OUR, eth_broadcast);
    advance(&f, (uint64_t)ARP_REACHABLE_MS * 1000 + 1000);
    cr_assert_eq(arp_lookup(f.st, f.ifx, NET_PEER, NULL), ARP_STALE);
    capture_clear(&f.cap);
    /* In use every 400 ms, never answered. */
    int unicast = 0, broadcast = 0;
    for (int i = 0; i < 20; i++) {
        send_to(&f, NET_PEER);
        struct cap_frame *fr;
        while ((fr = capture_pop(&f.cap))) {
            struct eth_hdr eh;
            if (eth_parse(fr->data, fr->len, &eh) == 0 && eh.type == ETHERTYPE_ARP) {
                if (memcmp(eh.dst, eth_broadcast, 6) == 0)
                    broadcast++;
                else
                    unicast++;
            }
            free(fr);
        }
        advance(&f, 400000);
    }
    cr_assert_eq(unicast, 3, "three unicast polls, one per second (%d, %d)", unicast, broadcast);
    cr_assert_geq(broadcast, 1, "then resolved afresh by broadcast");
    /* The host answers from a new MAC: the entry follows it. */
    static const uint8_t moved[6] = {0x02, 0xbb, 0, 0, 0, 0x99};
    feed_arp(&f, ARP_OP_REPLY, moved, NET_PEER, NET_OUR, NET_OUR_MAC);
    uint8_t mac[6];
    cr_assert_eq(arp_lookup(f.st, f.ifx, NET_PEER, mac), ARP_REACHABLE);
    cr_assert_eq(memcmp(mac, moved, 6), 0);
    teardown(&f);
}

/* RFC 1122 3.3.1.4-5: dead gateway detection.  Two default gateways; the
 * preferred one (lower metric) never answers ARP: once its resolution gives
 * up, traffic goes through the other; when it answers again it is used
 * again.  With a single gateway nothing changes (the best is tried anyway). */
Test(arp, dead_gateway_detected_next_one_used)
{
    struct netfix f;
    setup(&f);
    const uint32_t GW1 = IP4(198, 18, 0, 1), GW2 = IP4(198, 18, 0, 254), FAR = IP4(203, 0, 113, 5);
    static const uint8_t gw1_mac[6] = {0x02, 0xbb, 0, 0, 0, 0x01}, gw2_mac[6] = {0x02, 0xbb, 0, 0, 0, 0xfe};
    cr_assert_eq(stack_add_route4(f.st, 0, 0, GW1, f.ifx), 0);
    cr_assert_eq(stack_add_route4(f.st, 0, 0, GW2, f.ifx), 0);
    f.st->routes4[f.st->n_routes4 - 1].metric = 10;
    cr_assert_eq(arp_add_static(f.st, f.ifx, GW2, gw2_mac), 0);
    cr_assert_eq(stack_route4(f.st, FAR)->gateway, GW1, "the lower metric first");
    capture_clear(&f.cap);
    /* GW1 never answers: three requests, one per second, then given up. */
    cr_assert_eq(send_to(&f, FAR), 0);
    for (int i = 0; i < 4; i++)
        advance(&f, 1000000);
    cr_assert_eq(arp_lookup(f.st, f.ifx, GW1, NULL), ARP_NONE);
    cr_assert_eq(stack_route4(f.st, FAR)->gateway, GW2, "GW1 is dead: GW2 takes over");
    capture_clear(&f.cap);
    cr_assert_eq(send_to(&f, FAR), 0);
    struct cap_frame *fr = capture_pop(&f.cap);
    cr_assert_not_null(fr);
    cr_assert_eq(memcmp(fr->data, gw2_mac, 6), 0, "sent to GW2 at once");
    free(fr);
    /* GW1 speaks up (a request of its own): alive again, preferred again. */
    feed_arp(&f, ARP_OP_REQUEST, gw1_mac, GW1, NET_OUR, eth_broadcast);
    cr_assert_eq(stack_route4(f.st, FAR)->gateway, GW1);
    /* A silent dead gateway is tried again after IP4_DEAD_GATEWAY_MS. */
    stack_gateway_seen(f.st, f.ifx, GW1, false);
    cr_assert_eq(stack_route4(f.st, FAR)->gateway, GW2);
    advance(&f, (uint64_t)IP4_DEAD_GATEWAY_MS * 1000);
    cr_assert_eq(stack_route4(f.st, FAR)->gateway, GW1);
    teardown(&f);
}
