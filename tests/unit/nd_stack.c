/* Neighbor Discovery and SLAAC on a running stack: link-local formation,
 * DAD (passing, NA conflict, NS conflict, own looped-back probe), the
 * neighbour cache state machine, NS/NA validation, router advertisements
 * (default router, prefixes, MTU), SLAAC addresses and their lifetimes. */
#include <criterion/criterion.h>
#include <errno.h>

#include "ip6_helpers.h"

Test(nd_stack, linklocal_dad_then_rs_and_mld)
{
    struct f6 f;
    memset(&f, 0, sizeof f);
    f.now = 1000000;
    f.st = stack_create(7, f.now);
    f.ifx = stack_add_netif(f.st, "eth0", my_mac6, 1500, capture_tx, &f.cap);
    uint8_t ll[16];
    cr_assert(f6_ll(&f, ll));
    cr_assert(ip6_is_linklocal(ll));
    cr_assert_eq(f6_state(&f, ll), IP6_ADDR_TENTATIVE);
    /* Not usable while tentative. */
    cr_assert(!stack_is_local6(f.st, ll));
    f6_advance(&f, 1100000);   /* random delay (< 1 s) + first probe */
    size_t off = 0; /* set by the pop helper; -O1 cannot see it */
    struct cap_frame *fr = f6_pop_icmp(&f, ICMP6_MLD2_REPORT, &off);
    cr_assert_not_null(fr, "MLD report for the solicited-node group");
    free(fr);
    capture_clear(&f.cap);
    f6_advance(&f, 0);
    cr_assert_eq(f.st->ctr.nd_tx_ns, 1);
    cr_assert_eq(f.st->ctr.nd_dad_started, 1);
    f6_advance(&f, 1100000);
    cr_assert_eq(f6_state(&f, ll), IP6_ADDR_PREFERRED);
    cr_assert_eq(f.st->ctr.nd_dad_ok, 1);
    cr_assert(stack_is_local6(f.st, ll));
    f6_advance(&f, 1100000);
    cr_assert_geq(f.st->ctr.nd_tx_rs, 1, "router solicitation after the link-local works");
    f6_teardown(&f);
}

Test(nd_stack, dad_probe_format)
{
    struct f6 f;
    memset(&f, 0, sizeof f);
    f.now = 1000000;
    f.st = stack_create(7, f.now);
    stack_ip6_settings(f.st)->rs_delay_max_ms = 0;
    f.ifx = stack_add_netif(f.st, "eth0", my_mac6, 1500, capture_tx, &f.cap);
    f6_advance(&f, 10000);
    uint8_t ll[16];
    f6_ll(&f, ll);
    size_t off = 0; /* set by the pop helper; -O1 cannot see it */
    struct cap_frame *fr = f6_pop_icmp(&f, ICMP6_ND_NS, &off);
    cr_assert_not_null(fr);
    uint8_t sn[16], mac[6];
    ip6_solicited_node(ll, sn);
    ip6_mcast_mac(sn, mac);
    cr_assert(memcmp(fr->data, mac, 6) == 0, "to 33:33:ff:xx:xx:xx");
    cr_assert(ip6_is_unspecified(fr->data + 14 + 8), "from ::");
    cr_assert(memcmp(fr->data + 14 + 24, sn, 16) == 0, "to the solicited-node group");
    cr_assert_eq(fr->data[14 + 7], 255);
    struct nd_ns ns;
    cr_assert_eq(nd_parse_ns(fr->data + off, fr->len - off, &ns), ICMP6_OK);
    cr_assert(memcmp(ns.target, ll, 16) == 0);
    cr_assert_null(ns.opts.src_lladdr, "no SLLA from ::");
    cr_assert_eq(ns.opts.nonce_len, 6, "RFC 7527 nonce");
    cr_assert_eq(icmp6_checksum(fr->data + 14 + 8, fr->data + 14 + 24, fr->data + off, fr->len - off), 0);
    free(fr);
    f6_teardown(&f);
}

Test(nd_stack, eui64_option)
{
    struct f6 f;
    memset(&f, 0, sizeof f);
    f.st = stack_create(7, 0);
    stack_ip6_settings(f.st)->eui64 = true;
    f.ifx = stack_add_netif(f.st, "eth0", my_mac6, 1500, capture_tx, &f.cap);
    uint8_t ll[16], want[16] = {0xfe, 0x80, [8] = 0x00, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x00, 0x02};
    cr_assert(f6_ll(&f, ll));
    cr_assert(memcmp(ll, want, 16) == 0);
    f6_teardown(&f);
}

Test(nd_stack, stable_ids_rfc7217)
{
    struct stack *a = stack_create(7, 0), *b = stack_create(7, 0), *c = stack_create(8, 0);
    struct capture ca = {0}, cb = {0}, cc = {0};
    int ia = stack_add_netif(a, "eth0", my_mac6, 1500, capture_tx, &ca);
    int ib = stack_add_netif(b, "eth0", my_mac6, 1500, capture_tx, &cb);
    int ic = stack_add_netif(c, "eth0", my_mac6, 1500, capture_tx, &cc);
    uint8_t x[16], y[16], z[16], w[16];
    slaac_make_iid(a, ia, PREFIX, 0, x);
    slaac_make_iid(b, ib, PREFIX, 0, y);
    slaac_make_iid(c, ic, PREFIX, 0, z);
    cr_assert(memcmp(x, y, 16) == 0, "same secret, interface, prefix: same address");
    cr_assert(memcmp(x, z, 16) != 0, "another secret: another id");
    cr_assert(memcmp(x, PREFIX, 8) == 0);
    slaac_make_iid(a, ia, PREFIX, 1, w);
    cr_assert(memcmp(x, w, 16) != 0, "next DAD counter: another id");
    uint8_t ll[16] = {0xfe, 0x80};
    slaac_make_iid(a, ia, ll, 0, w);
    cr_assert(memcmp(x + 8, w + 8, 8) != 0, "another prefix: another id (not trackable)");
    /* The MAC is not in it. */
    cr_assert(!(x[11] == 0xff && x[12] == 0xfe));
    stack_destroy(a);
    stack_destroy(b);
    stack_destroy(c);
    capture_clear(&ca);
    capture_clear(&cb);
    capture_clear(&cc);
}

Test(nd_stack, dad_conflict_by_na)
{
    struct f6 f;
    f6_setup(&f, false);
    cr_assert_eq(stack_add_ip6(f.st, f.ifx, MY_G, 64), 0);
    cr_assert_eq(f6_state(&f, MY_G), IP6_ADDR_TENTATIVE);
    f6_advance(&f, 10000);
    /* The other node holds it and answers our probe. */
    f6_peer_na(&f, MY_G, ip6_all_nodes, false);
    cr_assert_eq(f6_state(&f, MY_G), IP6_ADDR_DUPLICATE);
    cr_assert_eq(f.st->ctr.nd_dad_duplicates, 1);
    f6_advance(&f, 3000000);
    cr_assert_eq(f6_state(&f, MY_G), IP6_ADDR_DUPLICATE, "never becomes usable");
    cr_assert(!stack_is_local6(f.st, MY_G));
    f6_teardown(&f);
}

Test(nd_stack, dad_conflict_by_ns_and_own_probe_ignored)
{
    struct f6 f;
    f6_setup(&f, false);
    cr_assert_eq(stack_add_ip6(f.st, f.ifx, MY_G, 64), 0);
    f6_advance(&f, 10000);
    size_t off = 0; /* set by the pop helper; -O1 cannot see it */
    struct cap_frame *probe = f6_pop_icmp(&f, ICMP6_ND_NS, &off);
    cr_assert_not_null(probe);
    /* Our own probe looped back (same nonce): no conflict. */
    stack_input(f.st, f.ifx, probe->data, probe->len, f.now);
    cr_assert_eq(f6_state(&f, MY_G), IP6_ADDR_TENTATIVE);
    /* A unicast-sourced NS for the tentative address: ignored (RFC 4862 5.4.3). */
    uint8_t m[64], sn[16];
    size_t n = f6_ns_for_me(m, sn);
    f6_icmp(&f, PEER_LL, sn, 255, m, n);
    cr_assert_eq(f6_state(&f, MY_G), IP6_ADDR_TENTATIVE);
    /* Another node's DAD probe (other nonce): conflict. */
    uint8_t nonce[6] = {9, 9, 9, 9, 9, 9};
    static const uint8_t any[16];
    n = nd_emit_ns(m, sizeof m, MY_G, NULL, nonce, 6);
    f6_icmp(&f, any, sn, 255, m, n);
    cr_assert_eq(f6_state(&f, MY_G), IP6_ADDR_DUPLICATE);
    free(probe);
    f6_teardown(&f);
}

Test(nd_stack, linklocal_conflict_regenerates_stable_id)
{
    struct f6 f;
    memset(&f, 0, sizeof f);
    f.st = stack_create(7, 0);
    stack_ip6_settings(f.st)->rs_delay_max_ms = 0;
    f.ifx = stack_add_netif(f.st, "eth0", my_mac6, 1500, capture_tx, &f.cap);
    uint8_t ll[16];
    f6_ll(&f, ll);
    f6_peer_na(&f, ll, ip6_all_nodes, false);
    cr_assert_eq(f6_state(&f, ll), IP6_ADDR_DUPLICATE);
    uint8_t ll2[16];
    cr_assert(f6_ll(&f, ll2));
    cr_assert(memcmp(ll, ll2, 16) != 0, "a new link-local with DAD_Counter 1");
    cr_assert_eq(f6_state(&f, ll2), IP6_ADDR_TENTATIVE);
    f6_advance(&f, 2000000);
    cr_assert_eq(f6_state(&f, ll2), IP6_ADDR_PREFERRED);
    f6_teardown(&f);
}

Test(nd_stack, dad_off_makes_address_preferred_at_once)
{
    struct f6 f;
    memset(&f, 0, sizeof f);
    f.st = stack_create(7, 0);
    stack_ip6_settings(f.st)->dad_transmits = 0;
    f.ifx = stack_add_netif(f.st, "eth0", my_mac6, 1500, capture_tx, &f.cap);
    cr_assert_eq(stack_add_ip6(f.st, f.ifx, MY_G, 64), 0);
    cr_assert_eq(f6_state(&f, MY_G), IP6_ADDR_PREFERRED);
    cr_assert_eq(stack_add_ip6(f.st, f.ifx, MY_G, 64), -EEXIST);
    cr_assert_eq(stack_add_ip6(f.st, f.ifx, ip6_all_nodes, 64), -EINVAL);
    f6_teardown(&f);
}

/* Sends an echo request from the peer's global address to ours. */
static void peer_ping(struct f6 *f, uint16_t seq)
{
    uint8_t m[16];
    size_t n = icmp6_emit_echo(m, sizeof m, ICMP6_ECHO_REQUEST, 0x77, seq, (const uint8_t *)"abcdefgh", 8);
    f6_icmp(f, PEER_G, MY_G, 64, m, n);
}

Test(nd_stack, neighbour_state_machine)
{
    struct f6 f;
    f6_setup(&f, true);
    cr_assert_eq(stack_ip6_neighbour(f.st, f.ifx, PEER_G, NULL), 0);
    /* The echo reply needs the peer's link address: INCOMPLETE, NS multicast. */
    peer_ping(&f, 1);
    cr_assert_eq(stack_ip6_neighbour(f.st, f.ifx, PEER_G, NULL), ND_INCOMPLETE);
    size_t off = 0; /* set by the pop helper; -O1 cannot see it */
    struct cap_frame *fr = f6_pop_icmp(&f, ICMP6_ND_NS, &off);
    cr_assert_not_null(fr);
    uint8_t sn[16];
    ip6_solicited_node(PEER_G, sn);
    cr_assert(memcmp(fr->data + 14 + 24, sn, 16) == 0);
    cr_assert(memcmp(fr->data + 14 + 8, MY_G, 16) == 0, "from the source of the waiting packet");
    free(fr);
    /* A second ping queues too. */
    peer_ping(&f, 2);
    cr_assert_null(f6_pop_icmp(&f, ICMP6_ECHO_REPLY, NULL));
    /* The NA: REACHABLE, both replies go. */
    f6_peer_na(&f, PEER_G, MY_G, true);
    uint8_t mac[6];
    cr_assert_eq(stack_ip6_neighbour(f.st, f.ifx, PEER_G, mac), ND_REACHABLE);
    cr_assert(memcmp(mac, peer_mac6, 6) == 0);
    fr = f6_pop_icmp(&f, ICMP6_ECHO_REPLY, &off);
    cr_assert_not_null(fr);
    cr_assert(memcmp(fr->data, peer_mac6, 6) == 0);
    free(fr);
    fr = f6_pop_icmp(&f, ICMP6_ECHO_REPLY, &off);
    cr_assert_not_null(fr, "the queued second reply");
    free(fr);
    /* ReachableTime (15..45 s) passes: STALE. */
    f6_advance(&f, 46000000);
    cr_assert_eq(stack_ip6_neighbour(f.st, f.ifx, PEER_G, NULL), ND_STALE);
    /* Sending through a STALE entry: DELAY, then PROBE with a unicast NS. */
    capture_clear(&f.cap);
    peer_ping(&f, 3);
    cr_assert_eq(stack_ip6_neighbour(f.st, f.ifx, PEER_G, NULL), ND_DELAY);
    fr = f6_pop_icmp(&f, ICMP6_ECHO_REPLY, NULL);
    cr_assert_not_null(fr, "sent at once in DELAY");
    free(fr);
    f6_advance(&f, 5010000);
    cr_assert_eq(stack_ip6_neighbour(f.st, f.ifx, PEER_G, NULL), ND_PROBE);
    fr = f6_pop_icmp(&f, ICMP6_ND_NS, &off);
    cr_assert_not_null(fr);
    cr_assert(memcmp(fr->data + 14 + 24, PEER_G, 16) == 0, "unicast probe");
    cr_assert(memcmp(fr->data, peer_mac6, 6) == 0);
    free(fr);
    /* A solicited NA in PROBE: REACHABLE again. */
    f6_peer_na(&f, PEER_G, MY_G, true);
    cr_assert_eq(stack_ip6_neighbour(f.st, f.ifx, PEER_G, NULL), ND_REACHABLE);
    /* Again to PROBE, and no answer: the entry goes after 3 probes. */
    f6_advance(&f, 46000000);
    peer_ping(&f, 4);
    f6_advance(&f, 5010000);
    cr_assert_eq(stack_ip6_neighbour(f.st, f.ifx, PEER_G, NULL), ND_PROBE);
    f6_advance(&f, 3100000);
    cr_assert_eq(stack_ip6_neighbour(f.st, f.ifx, PEER_G, NULL), 0);
    f6_teardown(&f);
}

Test(nd_stack, incomplete_gives_up_after_3_and_queue_is_bounded)
{
    struct f6 f;
    f6_setup(&f, true);
    for (int i = 0; i < ND_PENDING_MAX + 5; i++)
        peer_ping(&f, (uint16_t)i);
    cr_assert_eq(f.st->ctr.nd_pending_drops, 5);
    f6_advance(&f, 3100000);
    cr_assert_eq(stack_ip6_neighbour(f.st, f.ifx, PEER_G, NULL), 0);
    cr_assert_eq(f.st->ctr.nd_tx_ns, 3 + 2, "MAX_MULTICAST_SOLICIT (plus the 2 DAD probes)");
    cr_assert_eq(f.st->ctr.nd_unresolved, ND_PENDING_MAX);
    f6_teardown(&f);
}

Test(nd_stack, ns_answered_and_creates_stale_entry)
{
    struct f6 f;
    f6_setup(&f, true);
    uint8_t m[64], sn[16];
    size_t n = f6_ns_for_me(m, sn);
    f6_icmp(&f, PEER_G, sn, 255, m, n);
    cr_assert_eq(stack_ip6_neighbour(f.st, f.ifx, PEER_G, NULL), ND_DELAY,
                 "created STALE, then our NA went through it");
    size_t off = 0; /* set by the pop helper; -O1 cannot see it */
    struct cap_frame *fr = f6_pop_icmp(&f, ICMP6_ND_NA, &off);
    cr_assert_not_null(fr);
    struct nd_na na;
    cr_assert_eq(nd_parse_na(fr->data + off, fr->len - off, &na), ICMP6_OK);
    cr_assert(na.solicited && na.override && !na.router);
    cr_assert(memcmp(na.target, MY_G, 16) == 0);
    cr_assert(memcmp(na.opts.tgt_lladdr, my_mac6, 6) == 0);
    cr_assert(memcmp(fr->data + 14 + 24, PEER_G, 16) == 0);
    cr_assert_eq(fr->data[14 + 7], 255);
    free(fr);
    f6_teardown(&f);
}

Test(nd_stack, nd_validation_drops)
{
    struct f6 f;
    f6_setup(&f, true);
    uint8_t m[64], sn[16];
    size_t n = f6_ns_for_me(m, sn);
    uint64_t bad0 = f.st->ctr.nd_rx_bad;
    f6_icmp(&f, PEER_G, sn, 64, m, n);          /* hop limit not 255 */
    cr_assert_eq(f.st->ctr.nd_rx_bad, bad0 + 1);
    m[1] = 1;                                    /* code not 0 */
    f6_icmp(&f, PEER_G, sn, 255, m, n);
    cr_assert_eq(f.st->ctr.nd_rx_bad, bad0 + 2);
    m[1] = 0;
    static const uint8_t any[16];
    f6_icmp(&f, any, sn, 255, m, n);             /* from :: with an SLLA */
    cr_assert_eq(f.st->ctr.nd_rx_bad, bad0 + 3);
    size_t n2 = nd_emit_ns(m, sizeof m, MY_G, NULL, NULL, 0);
    f6_icmp(&f, PEER_G, sn, 255, m, n2);         /* multicast NS without SLLA */
    cr_assert_eq(f.st->ctr.nd_rx_bad, bad0 + 4);
    cr_assert_null(f6_pop_icmp(&f, ICMP6_ND_NA, NULL));
    /* NA to a multicast destination with S set. */
    uint8_t a[32];
    size_t na = nd_emit_na(a, sizeof a, PEER_G, false, true, true, peer_mac6);
    f6_icmp(&f, PEER_G, ip6_all_nodes, 255, a, na);
    cr_assert_eq(f.st->ctr.nd_rx_bad, bad0 + 5);
    /* An unsolicited NA never creates an entry. */
    na = nd_emit_na(a, sizeof a, PEER_G, false, false, true, peer_mac6);
    f6_icmp(&f, PEER_G, ip6_all_nodes, 255, a, na);
    cr_assert_eq(stack_ip6_neighbour(f.st, f.ifx, PEER_G, NULL), 0);
    f6_teardown(&f);
}

Test(nd_stack, na_override_rules)
{
    struct f6 f;
    f6_setup(&f, true);
    peer_ping(&f, 1);
    f6_peer_na(&f, PEER_G, MY_G, true);
    cr_assert_eq(stack_ip6_neighbour(f.st, f.ifx, PEER_G, NULL), ND_REACHABLE);
    /* Another MAC without Override: we keep ours, but REACHABLE -> STALE. */
    uint8_t other[6] = {0x02, 9, 9, 9, 9, 9}, m[32], mac[6];
    size_t n = nd_emit_na(m, sizeof m, PEER_G, false, true, false, other);
    f6_icmp(&f, PEER_G, MY_G, 255, m, n);
    cr_assert_eq(stack_ip6_neighbour(f.st, f.ifx, PEER_G, mac), ND_STALE);
    cr_assert(memcmp(mac, peer_mac6, 6) == 0);
    /* With Override and solicited: updated and REACHABLE. */
    n = nd_emit_na(m, sizeof m, PEER_G, false, true, true, other);
    f6_icmp(&f, PEER_G, MY_G, 255, m, n);
    cr_assert_eq(stack_ip6_neighbour(f.st, f.ifx, PEER_G, mac), ND_REACHABLE);
    cr_assert(memcmp(mac, other, 6) == 0);
    f6_teardown(&f);
}

static void send_ra(struct f6 *f, uint16_t router_life, uint32_t valid, uint32_t pref, uint32_t mtu)
{
    uint8_t m[128];
    size_t n = f6_ra_msg(m, sizeof m, 77, router_life, valid, pref, mtu);
    f6_icmp(f, PEER_LL, ip6_all_nodes, 255, m, n);
}

static bool find_slaac(struct f6 *f, struct ip6_addr_info *out)
{
    struct ip6_addr_info a[16];
    int n = stack_ip6_addrs(f->st, f->ifx, a, 16);
    for (int i = 0; i < n; i++)
        if (a[i].origin == IP6_ORIGIN_SLAAC) {
            *out = a[i];
            return true;
        }
    return false;
}

Test(nd_stack, ra_default_router_prefix_mtu_slaac)
{
    struct f6 f;
    f6_setup(&f, false);
    send_ra(&f, 1800, 86400, 14400, 1400);
    cr_assert_eq(f.st->ctr.nd_rx_ra, 1);
    struct ip6_addr_info a;
    cr_assert(find_slaac(&f, &a));
    cr_assert(ip6_prefix_eq(a.addr, PREFIX, 64));
    cr_assert_eq(a.state, IP6_ADDR_TENTATIVE, "DAD first");
    f6_advance(&f, 2100000);
    cr_assert(find_slaac(&f, &a));
    cr_assert_eq(a.state, IP6_ADDR_PREFERRED);
    cr_assert_eq(f.st->ctr.slaac_addrs, 1);
    /* Default router: an off-link destination goes to it. */
    uint8_t far[16] = {0xfd, 0x00, 0x99, [15] = 5}, nh[16];
    int ifx;
    cr_assert(ip6_route_lookup(f.st, far, &ifx, nh));
    cr_assert(memcmp(nh, PEER_LL, 16) == 0);
    /* On-link prefix: direct. */
    cr_assert(ip6_route_lookup(f.st, PEER_G, &ifx, nh));
    cr_assert(memcmp(nh, PEER_G, 16) == 0);
    /* MTU option. */
    struct ipaddr d = ip6(far);
    cr_assert_eq(ip6_path_mtu(f.st, &d), 1400);
    /* The router's entry came from the SLLA. */
    cr_assert_eq(stack_ip6_neighbour(f.st, f.ifx, PEER_LL, NULL), ND_STALE);
    /* Source selection picks the SLAAC address for a global destination. */
    struct ipaddr src;
    cr_assert(ip6_select_source(f.st, &d, &src));
    cr_assert(memcmp(src.v6, a.addr, 16) == 0);
    /* Router lifetime 0: no longer a default router. */
    send_ra(&f, 0, 86400, 14400, 0);
    cr_assert(!ip6_route_lookup(f.st, far, &ifx, nh));
    f6_teardown(&f);
}

Test(nd_stack, slaac_lifetimes_deprecate_then_remove)
{
    struct f6 f;
    f6_setup(&f, false);
    send_ra(&f, 1800, 20, 10, 0);
    f6_advance(&f, 2100000);
    struct ip6_addr_info a;
    cr_assert(find_slaac(&f, &a));
    cr_assert_eq(a.state, IP6_ADDR_PREFERRED);
    f6_advance(&f, 9000000);
    cr_assert(find_slaac(&f, &a));
    cr_assert_eq(a.state, IP6_ADDR_DEPRECATED);
    cr_assert(stack_is_local6(f.st, a.addr), "deprecated is still valid");
    f6_advance(&f, 10000000);
    cr_assert(!find_slaac(&f, &a), "valid lifetime over: gone");
    f6_teardown(&f);
}

Test(nd_stack, slaac_two_hour_rule_and_bad_prefixes)
{
    struct f6 f;
    f6_setup(&f, false);
    send_ra(&f, 1800, 86400, 14400, 0);
    f6_advance(&f, 2100000);
    struct ip6_addr_info a;
    cr_assert(find_slaac(&f, &a));
    /* A (forged) RA with valid 60 s cannot shorten a lifetime past 2 hours. */
    send_ra(&f, 1800, 60, 30, 0);
    cr_assert(find_slaac(&f, &a));
    uint64_t left = a.valid_until - f.now;
    cr_assert_eq(left, 7200ull * 1000000, "two hours");
    /* Preferred > valid: ignored. */
    uint64_t before = a.preferred_until;
    send_ra(&f, 1800, 100, 200, 0);
    cr_assert(find_slaac(&f, &a));
    cr_assert_eq(a.preferred_until, before);
    f6_teardown(&f);
}

Test(nd_stack, ra_validation)
{
    struct f6 f;
    f6_setup(&f, false);
    struct nd_ra ra;
    memset(&ra, 0, sizeof ra);
    ra.router_lifetime = 1800;
    uint8_t m[64];
    size_t n = nd_emit_ra(m, sizeof m, &ra);
    f6_icmp(&f, PEER_G, ip6_all_nodes, 255, m, n);   /* not from a link-local source */
    f6_icmp(&f, PEER_LL, ip6_all_nodes, 254, m, n);  /* hop limit */
    cr_assert_eq(f.st->ctr.nd_rx_ra, 0);
    cr_assert_eq(f.st->ctr.nd_rx_bad, 2);
    uint8_t far[16] = {0xfd, 0x00, 0x99, [15] = 5}, nh[16];
    int ifx;
    cr_assert(!ip6_route_lookup(f.st, far, &ifx, nh));
    f6_teardown(&f);
}

Test(nd_stack, redirect_from_current_router_only)
{
    struct f6 f;
    f6_setup(&f, true);
    send_ra(&f, 1800, 86400, 14400, 0);
    uint8_t far[16] = {0xfd, 0x00, 0x99, [15] = 5}, better[16] = {0xfe, 0x80, [15] = 9}, nh[16];
    uint8_t m[128];
    size_t n = nd_emit_redirect(m, sizeof m, better, far, NULL, NULL, 0);
    /* From someone who is not our router for far: ignored. */
    uint8_t stranger[16] = {0xfe, 0x80, [15] = 7};
    f6_icmp(&f, stranger, MY_G, 255, m, n);
    int ifx;
    cr_assert(ip6_route_lookup(f.st, far, &ifx, nh));
    cr_assert(memcmp(nh, PEER_LL, 16) == 0);
    f6_icmp(&f, PEER_LL, MY_G, 255, m, n);
    cr_assert_eq(f.st->ctr.nd_rx_redirects, 1);
    cr_assert(ip6_route_lookup(f.st, far, &ifx, nh));
    cr_assert(memcmp(nh, better, 16) == 0);
    f6_teardown(&f);
}

Test(nd_stack, cache_is_capped)
{
    struct f6 f;
    f6_setup(&f, true);
    uint8_t m[64], sn[16];
    for (int i = 0; i < ND_CACHE_MAX + 20; i++) {
        uint8_t src[16];
        memcpy(src, PEER_G, 16);
        src[13] = (uint8_t)(i >> 8);
        src[14] = (uint8_t)i;
        src[15] = 0x10;
        ip6_solicited_node(MY_G, sn);
        size_t n = nd_emit_ns(m, sizeof m, MY_G, peer_mac6, NULL, 0);
        f6_icmp(&f, src, sn, 255, m, n);
    }
    cr_assert_geq(f.st->ctr.nd_cache_evictions, 20);
    capture_clear(&f.cap);
    f6_teardown(&f);
}

/* An ND message from src to dst carried in fragments (RFC 6980): atomic
 * (one fragment, offset 0, M clear), or split in two. */
static void nd_in_fragments(struct f6 *f, const uint8_t src[16], const uint8_t dst[16], const uint8_t *m,
                            size_t n, bool split, uint32_t id)
{
    static uint8_t buf[2000];
    uint8_t body[8 + 256];
    uint8_t msg[256];
    cr_assert_leq(n, sizeof msg);
    memcpy(msg, m, n);
    icmp6_set_checksum(msg, n, src, dst);
    size_t first = split ? 16 : n;   /* 16 bytes: the ICMPv6 header and more */
    struct ip6_frag fg = {.next = IP6_NH_ICMPV6, .offset = 0, .more = split, .id = id};
    ip6_frag_emit(body, &fg);
    memcpy(body + 8, msg, first);
    size_t len = f6_frame(buf, src, dst, 255, IP6_NH_FRAGMENT, body, 8 + first, 0xff, NULL, 0);
    f6_feed(f, buf, len);
    if (!split)
        return;
    fg.offset = (uint16_t)first;
    fg.more = false;
    ip6_frag_emit(body, &fg);
    memcpy(body + 8, msg + first, n - first);
    len = f6_frame(buf, src, dst, 255, IP6_NH_FRAGMENT, body, 8 + n - first, 0xff, NULL, 0);
    f6_feed(f, buf, len);
}

Test(nd_stack, nd_in_fragments_ignored_rfc6980)
{
    struct f6 f;
    f6_setup(&f, true);
    uint8_t m[64], sn[16];
    size_t n = f6_ns_for_me(m, sn);
    /* An atomic fragment, then two real ones: no NA, no neighbour entry. */
    nd_in_fragments(&f, PEER_G, sn, m, n, false, 1);
    cr_assert_eq(f.st->ctr.ip6_reass_atomic, 1);
    nd_in_fragments(&f, PEER_G, sn, m, n, true, 2);
    cr_assert_eq(f.st->ctr.ip6_reass_ok, 1, "reassembled, then refused by ND");
    cr_assert_eq(f.st->ctr.nd_rx_fragmented, 2);
    cr_assert_eq(f.st->ctr.nd_rx_ns, 0);
    cr_assert_null(f6_pop_icmp(&f, ICMP6_ND_NA, NULL));
    cr_assert_eq(stack_ip6_neighbour(f.st, f.ifx, PEER_G, NULL), 0);
    /* The same NS whole is answered (the control). */
    f6_icmp(&f, PEER_G, sn, 255, m, n);
    cr_assert_eq(f.st->ctr.nd_rx_ns, 1);
    struct cap_frame *fr = f6_pop_icmp(&f, ICMP6_ND_NA, NULL);
    cr_assert_not_null(fr);
    free(fr);

    /* A valid RA (link-local source, prefix for SLAAC) in fragments teaches
     * nothing; whole, it forms an address. */
    uint8_t rm[128];
    size_t rn = f6_ra_msg(rm, sizeof rm, 64, 1800, 86400, 14400, 0);
    cr_assert_gt(rn, 16);
    nd_in_fragments(&f, PEER_LL, ip6_all_nodes, rm, rn, true, 3);
    nd_in_fragments(&f, PEER_LL, ip6_all_nodes, rm, rn, false, 4);
    cr_assert_eq(f.st->ctr.nd_rx_fragmented, 4);
    cr_assert_eq(f.st->ctr.nd_rx_ra, 0);
    struct ip6_addr_info ai;
    cr_assert(!find_slaac(&f, &ai), "no SLAAC address from a fragmented RA");
    f6_icmp(&f, PEER_LL, ip6_all_nodes, 255, rm, rn);
    cr_assert_eq(f.st->ctr.nd_rx_ra, 1);
    cr_assert(find_slaac(&f, &ai), "the same RA whole forms one");
    f6_teardown(&f);
}

/* RFC 4861 7.2.4: a DAD probe (NS from ::) for an address we hold is
 * answered to all-nodes, Solicited = 0, Override = 1, with our link-layer
 * address; 6.2.6: a host ignores router solicitations; 7.2.5: an NA with
 * IsRouter clear from our default router takes it off the router list. */
Test(nd_stack, dad_probe_defended_rs_ignored_isrouter_cleared)
{
    struct f6 f;
    f6_setup(&f, true);
    static const uint8_t any[16];
    uint8_t m[64], sn[16];
    ip6_solicited_node(MY_G, sn);
    size_t n = nd_emit_ns(m, sizeof m, MY_G, NULL, NULL, 0);
    f6_icmp(&f, any, sn, 255, m, n);
    size_t off = 0;
    struct cap_frame *fr = f6_pop_icmp(&f, ICMP6_ND_NA, &off);
    cr_assert_not_null(fr, "we defend our address");
    struct nd_na na;
    cr_assert_eq(nd_parse_na(fr->data + off, fr->len - off, &na), ICMP6_OK);
    cr_assert(!na.solicited && na.override);
    cr_assert(memcmp(na.target, MY_G, 16) == 0);
    cr_assert(memcmp(na.opts.tgt_lladdr, my_mac6, 6) == 0);
    cr_assert(memcmp(fr->data + 14 + 24, ip6_all_nodes, 16) == 0, "to all-nodes");
    free(fr);
    cr_assert_eq(f6_state(&f, MY_G), IP6_ADDR_PREFERRED, "and keep it");

    /* A router solicitation: counted, never answered. */
    n = nd_emit_rs(m, sizeof m, peer_mac6);
    f6_icmp(&f, PEER_LL, ip6_all_nodes, 255, m, n);
    cr_assert_eq(f.st->ctr.nd_rx_rs, 1);
    cr_assert_eq(f.cap.count, 0);

    /* The peer becomes our default router, then says it is no router. */
    send_ra(&f, 1800, 86400, 14400, 0);
    uint8_t far[16] = {0xfd, 0x00, 0x99, [15] = 5}, nh[16];
    int ifx;
    cr_assert(ip6_route_lookup(f.st, far, &ifx, nh));
    uint8_t na_msg[32];
    n = nd_emit_na(na_msg, sizeof na_msg, PEER_LL, false, false, true, peer_mac6);
    f6_icmp(&f, PEER_LL, ip6_all_nodes, 255, na_msg, n);
    cr_assert(!ip6_route_lookup(f.st, far, &ifx, nh), "no default router left");
    f6_teardown(&f);
}

/* RFC 4861 6.3.6: default router selection prefers a router that is
 * reachable or probably reachable (a neighbour entry in any state but
 * INCOMPLETE) over one whose reachability is unknown.  Router A advertises
 * first but without its link-layer address (no entry); router B with it:
 * B is used.  Once A's entry exists, the first-found A is used again. */
Test(nd_stack, default_router_selection_prefers_reachable)
{
    struct f6 f;
    f6_setup(&f, true);
    static const uint8_t RA_[16] = {0xfe, 0x80, [15] = 0xa}, RB[16] = {0xfe, 0x80, [15] = 0xb};
    static const uint8_t mac_b[6] = {0x02, 0, 0, 0, 0, 0xb};
    struct nd_ra ra;
    memset(&ra, 0, sizeof ra);
    ra.router_lifetime = 1800;
    uint8_t m[128];
    size_t n = nd_emit_ra(m, sizeof m, &ra);
    f6_icmp(&f, RA_, ip6_all_nodes, 255, m, n);
    ra.opts.src_lladdr = mac_b;
    n = nd_emit_ra(m, sizeof m, &ra);
    f6_icmp(&f, RB, ip6_all_nodes, 255, m, n);
    cr_assert_eq(stack_ip6_neighbour(f.st, f.ifx, RA_, NULL), 0, "A: no entry");
    cr_assert_eq(stack_ip6_neighbour(f.st, f.ifx, RB, NULL), ND_STALE);
    uint8_t far[16] = {0xfd, 0x00, 0x99, [15] = 5}, nh[16];
    int ifx;
    cr_assert(ip6_route_lookup(f.st, far, &ifx, nh));
    cr_assert(memcmp(nh, RB, 16) == 0, "the probably reachable router");
    /* A's link-layer address becomes known (its NS to us): both probably
     * reachable, the first one is used. */
    uint8_t ns[64], sn[16];
    ip6_solicited_node(MY_G, sn);
    static const uint8_t mac_a[6] = {0x02, 0, 0, 0, 0, 0xa};
    n = nd_emit_ns(ns, sizeof ns, MY_G, mac_a, NULL, 0);
    f6_icmp(&f, RA_, sn, 255, ns, n);
    cr_assert_neq(stack_ip6_neighbour(f.st, f.ifx, RA_, NULL), 0);
    cr_assert(ip6_route_lookup(f.st, far, &ifx, nh));
    cr_assert(memcmp(nh, RA_, 16) == 0);
    f6_teardown(&f);
}

/* RFC 4862 5.5.3 d: the prefix length plus the interface identifier's (64
 * on Ethernet) must be 128: an autonomous prefix of another length forms no
 * address (its on-link route still counts). */
Test(nd_stack, slaac_ignores_prefix_not_64)
{
    struct f6 f;
    f6_setup(&f, false);
    struct nd_ra ra;
    memset(&ra, 0, sizeof ra);
    ra.router_lifetime = 0;
    ra.opts.src_lladdr = peer_mac6;
    ra.opts.n_prefix = 2;
    static const uint8_t p56[16] = {0xfd, 0x00, 0x01, 0x98, 0x00, 0x56};
    static const uint8_t p80[16] = {0xfd, 0x00, 0x01, 0x98, 0x00, 0x80};
    ra.opts.prefix[0] = (struct nd_prefix){.prefix_len = 56, .onlink = true, .autonomous = true,
                                           .valid_lifetime = 86400, .preferred_lifetime = 14400};
    memcpy(ra.opts.prefix[0].prefix, p56, 16);
    ra.opts.prefix[1] = (struct nd_prefix){.prefix_len = 80, .onlink = true, .autonomous = true,
                                           .valid_lifetime = 86400, .preferred_lifetime = 14400};
    memcpy(ra.opts.prefix[1].prefix, p80, 16);
    uint8_t m[160];
    size_t n = nd_emit_ra(m, sizeof m, &ra);
    f6_icmp(&f, PEER_LL, ip6_all_nodes, 255, m, n);
    cr_assert_eq(f.st->ctr.nd_rx_ra, 1);
    struct ip6_addr_info a;
    cr_assert(!find_slaac(&f, &a), "no address from a /56 or a /80");
    cr_assert_eq(f.st->ctr.slaac_addrs, 0);
    f6_teardown(&f);
}
