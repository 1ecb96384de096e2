/* ICMPv6, Neighbor Discovery and MLDv2 codecs: every message and option,
 * truncations, bad codes, bad option lengths, checksums. */
#include <criterion/criterion.h>
#include <string.h>

#include "stack/wire/icmpv6.h"
#include "stack/wire/ipv6.h"

static const uint8_t SRC[16] = {0xfe, 0x80, [15] = 1};
static const uint8_t DST[16] = {0xfe, 0x80, [15] = 2};
static const uint8_t TGT[16] = {0xfd, 0x00, 0x01, 0x98, 0x00, 0x18, [15] = 2};
static const uint8_t MAC[6] = {0x02, 0x00, 0x5e, 0x10, 0x20, 0x30};

Test(nd_wire, checksum_roundtrip_and_corruption)
{
    uint8_t m[64];
    uint8_t pl[5] = {1, 2, 3, 4, 5};
    size_t n = icmp6_emit_echo(m, sizeof m, ICMP6_ECHO_REQUEST, 0x1234, 7, pl, sizeof pl);
    cr_assert_eq(n, 13);
    icmp6_set_checksum(m, n, SRC, DST);
    struct icmp6_hdr h;
    cr_assert_eq(icmp6_parse(m, n, SRC, DST, &h), ICMP6_OK);
    cr_assert_eq(h.type, ICMP6_ECHO_REQUEST);
    cr_assert_eq(h.data, 0x12340007u);
    /* Every single-bit flip is caught. */
    for (size_t i = 0; i < n * 8; i++) {
        m[i / 8] ^= (uint8_t)(1 << (i % 8));
        cr_assert_neq(icmp6_parse(m, n, SRC, DST, &h), ICMP6_OK, "bit %zu", i);
        m[i / 8] ^= (uint8_t)(1 << (i % 8));
    }
    /* Wrong pseudo-header (addresses swapped is the same sum: use another). */
    cr_assert_eq(icmp6_parse(m, n, SRC, TGT, &h), ICMP6_ERR_CHECKSUM);
    /* No addresses: no checksum check. */
    cr_assert_eq(icmp6_parse(m, n, NULL, NULL, &h), ICMP6_OK);
    for (size_t l = 0; l < 8; l++)
        cr_assert_eq(icmp6_parse(m, l, NULL, NULL, &h), ICMP6_ERR_SHORT);
    cr_assert_eq(icmp6_emit_echo(m, 12, ICMP6_ECHO_REQUEST, 1, 1, pl, 5), 0);
}

Test(nd_wire, checksum_known_value)
{
    /* An echo request ::1 -> ::1, id 0, seq 0, no payload: the sum is the
     * pseudo-header (1 + 1 + len 8 + 58) + type 0x8000. */
    uint8_t one[16] = {[15] = 1};
    uint8_t m[8];
    icmp6_emit_echo(m, 8, ICMP6_ECHO_REQUEST, 0, 0, NULL, 0);
    icmp6_set_checksum(m, 8, one, one);
    uint16_t sum = 1 + 1 + 8 + 58 + 0x8000;
    uint16_t want = (uint16_t)~sum;
    cr_assert_eq(m[2] << 8 | m[3], want);
}

Test(nd_wire, error_quote_capped_to_min_mtu)
{
    static uint8_t big[2000], m[2000];
    memset(big, 0x5a, sizeof big);
    size_t n = icmp6_emit_error(m, sizeof m, ICMP6_PACKET_TOO_BIG, 0, 1280, big, sizeof big);
    cr_assert_eq(n, 1280 - 40);
    cr_assert_eq(m[0], ICMP6_PACKET_TOO_BIG);
    struct icmp6_hdr h;
    cr_assert_eq(icmp6_parse(m, n, NULL, NULL, &h), ICMP6_OK);
    cr_assert_eq(h.data, 1280);
    cr_assert(icmp6_is_error(h.type));
    cr_assert(!icmp6_is_error(ICMP6_ECHO_REPLY));
    n = icmp6_emit_error(m, 100, ICMP6_PARAM_PROBLEM, 2, 42, big, sizeof big);
    cr_assert_eq(n, 100);
    cr_assert_eq(icmp6_emit_error(m, 7, ICMP6_PARAM_PROBLEM, 2, 42, big, 1), 0);
}

Test(nd_wire, ns_roundtrip_with_options)
{
    uint8_t m[64], nonce[6] = {1, 2, 3, 4, 5, 6};
    size_t n = nd_emit_ns(m, sizeof m, TGT, MAC, nonce, 6);
    cr_assert_eq(n, 40);
    icmp6_set_checksum(m, n, SRC, DST);
    struct icmp6_hdr h;
    cr_assert_eq(icmp6_parse(m, n, SRC, DST, &h), ICMP6_OK);
    struct nd_ns ns;
    cr_assert_eq(nd_parse_ns(m, n, &ns), ICMP6_OK);
    cr_assert(memcmp(ns.target, TGT, 16) == 0);
    cr_assert_not_null(ns.opts.src_lladdr);
    cr_assert(memcmp(ns.opts.src_lladdr, MAC, 6) == 0);
    cr_assert_null(ns.opts.tgt_lladdr);
    cr_assert_eq(ns.opts.nonce_len, 6);
    cr_assert(memcmp(ns.opts.nonce, nonce, 6) == 0);
    /* Without options (DAD form). */
    n = nd_emit_ns(m, sizeof m, TGT, NULL, NULL, 0);
    cr_assert_eq(n, 24);
    cr_assert_eq(nd_parse_ns(m, n, &ns), ICMP6_OK);
    cr_assert_null(ns.opts.src_lladdr);
    /* Truncations. */
    for (size_t l = 0; l < 24; l++)
        cr_assert_neq(nd_parse_ns(m, l, &ns), ICMP6_OK);
    /* Bad code. */
    m[1] = 1;
    cr_assert_eq(nd_parse_ns(m, n, &ns), ICMP6_ERR_CODE);
    m[1] = 0;
    /* Multicast target. */
    m[8] = 0xff;
    cr_assert_eq(nd_parse_ns(m, n, &ns), ICMP6_ERR_FIELD);
    cr_assert_eq(nd_emit_ns(m, 31, TGT, MAC, NULL, 0), 0);
}

Test(nd_wire, na_roundtrip_flags)
{
    uint8_t m[64];
    for (int f = 0; f < 8; f++) {
        size_t n = nd_emit_na(m, sizeof m, TGT, f & 1, f & 2, f & 4, MAC);
        cr_assert_eq(n, 32);
        struct nd_na na;
        cr_assert_eq(nd_parse_na(m, n, &na), ICMP6_OK);
        cr_assert_eq(na.router, (f & 1) != 0);
        cr_assert_eq(na.solicited, (f & 2) != 0);
        cr_assert_eq(na.override, (f & 4) != 0);
        cr_assert(memcmp(na.target, TGT, 16) == 0);
        cr_assert(memcmp(na.opts.tgt_lladdr, MAC, 6) == 0);
    }
    size_t n = nd_emit_na(m, sizeof m, TGT, 0, 1, 1, NULL);
    struct nd_na na;
    cr_assert_eq(nd_parse_na(m, n, &na), ICMP6_OK);
    cr_assert_null(na.opts.tgt_lladdr);
    m[8] = 0xff;
    cr_assert_eq(nd_parse_na(m, n, &na), ICMP6_ERR_FIELD);
    m[8] = 0xfd;
    m[1] = 3;
    cr_assert_eq(nd_parse_na(m, n, &na), ICMP6_ERR_CODE);
}

Test(nd_wire, rs_roundtrip)
{
    uint8_t m[32];
    size_t n = nd_emit_rs(m, sizeof m, MAC);
    cr_assert_eq(n, 16);
    struct nd_rs rs;
    cr_assert_eq(nd_parse_rs(m, n, &rs), ICMP6_OK);
    cr_assert(memcmp(rs.opts.src_lladdr, MAC, 6) == 0);
    n = nd_emit_rs(m, sizeof m, NULL);
    cr_assert_eq(n, 8);
    cr_assert_eq(nd_parse_rs(m, n, &rs), ICMP6_OK);
    cr_assert_null(rs.opts.src_lladdr);
    cr_assert_eq(nd_parse_rs(m, 7, &rs), ICMP6_ERR_SHORT);
}

Test(nd_wire, ra_roundtrip_prefix_mtu)
{
    struct nd_ra ra;
    memset(&ra, 0, sizeof ra);
    ra.cur_hop_limit = 64;
    ra.managed = false;
    ra.other = true;
    ra.router_lifetime = 1800;
    ra.reachable_time = 30000;
    ra.retrans_timer = 1000;
    ra.opts.src_lladdr = MAC;
    ra.opts.has_mtu = true;
    ra.opts.mtu = 1400;
    ra.opts.n_prefix = 2;
    ra.opts.prefix[0] = (struct nd_prefix){.prefix_len = 64, .onlink = true, .autonomous = true,
                                           .valid_lifetime = 86400, .preferred_lifetime = 14400};
    memcpy(ra.opts.prefix[0].prefix, TGT, 8);
    ra.opts.prefix[1] = (struct nd_prefix){.prefix_len = 48, .onlink = true, .autonomous = false,
                                           .valid_lifetime = 0xffffffff, .preferred_lifetime = 0xffffffff};
    uint8_t m[256];
    size_t n = nd_emit_ra(m, sizeof m, &ra);
    cr_assert_eq(n, 16 + 8 + 8 + 64);
    icmp6_set_checksum(m, n, SRC, ip6_all_nodes);
    struct icmp6_hdr h;
    cr_assert_eq(icmp6_parse(m, n, SRC, ip6_all_nodes, &h), ICMP6_OK);
    struct nd_ra g;
    cr_assert_eq(nd_parse_ra(m, n, &g), ICMP6_OK);
    cr_assert_eq(g.cur_hop_limit, 64);
    cr_assert(!g.managed && g.other);
    cr_assert_eq(g.router_lifetime, 1800);
    cr_assert_eq(g.reachable_time, 30000);
    cr_assert_eq(g.retrans_timer, 1000);
    cr_assert(memcmp(g.opts.src_lladdr, MAC, 6) == 0);
    cr_assert(g.opts.has_mtu);
    cr_assert_eq(g.opts.mtu, 1400);
    cr_assert_eq(g.opts.n_prefix, 2);
    cr_assert_eq(g.opts.prefix[0].prefix_len, 64);
    cr_assert(g.opts.prefix[0].onlink && g.opts.prefix[0].autonomous);
    cr_assert_eq(g.opts.prefix[0].valid_lifetime, 86400);
    cr_assert_eq(g.opts.prefix[0].preferred_lifetime, 14400);
    cr_assert(memcmp(g.opts.prefix[0].prefix, TGT, 8) == 0);
    cr_assert(!g.opts.prefix[1].autonomous);
    cr_assert_eq(g.opts.prefix[1].valid_lifetime, 0xffffffffu);
    cr_assert_eq(nd_emit_ra(m, 40, &ra), 0);
    for (size_t l = 0; l < 16; l++)
        cr_assert_neq(nd_parse_ra(m, l, &g), ICMP6_OK);
}

Test(nd_wire, ra_many_prefixes_capped)
{
    struct nd_ra ra;
    memset(&ra, 0, sizeof ra);
    ra.opts.n_prefix = ND_MAX_PREFIX_OPTS;
    for (int i = 0; i < ND_MAX_PREFIX_OPTS; i++)
        ra.opts.prefix[i].prefix_len = 64;
    uint8_t m[1024];
    size_t n = nd_emit_ra(m, sizeof m, &ra);
    /* Append two more prefix options by hand. */
    n += nd_opt_put_prefix(m + n, sizeof m - n, &ra.opts.prefix[0]);
    n += nd_opt_put_prefix(m + n, sizeof m - n, &ra.opts.prefix[0]);
    struct nd_ra g;
    cr_assert_eq(nd_parse_ra(m, n, &g), ICMP6_OK);
    cr_assert_eq(g.opts.n_prefix, ND_MAX_PREFIX_OPTS);
    cr_assert_eq(g.opts.n_prefix_seen, ND_MAX_PREFIX_OPTS + 2);
}

Test(nd_wire, options_zero_length_and_overrun)
{
    uint8_t o[16] = {ND_OPT_SRC_LLADDR, 0};
    struct nd_opts opts;
    cr_assert_eq(nd_parse_opts(o, 8, &opts), ICMP6_ERR_OPTION);
    o[1] = 2;   /* 16 bytes claimed, 8 there */
    cr_assert_eq(nd_parse_opts(o, 8, &opts), ICMP6_ERR_OPTION);
    o[1] = 1;
    cr_assert_eq(nd_parse_opts(o, 1, &opts), ICMP6_ERR_OPTION);
    cr_assert_eq(nd_parse_opts(o, 8, &opts), ICMP6_OK);
    cr_assert_eq(nd_parse_opts(o, 0, &opts), ICMP6_OK);
    /* Unknown options and odd-length lladdr options are skipped. */
    uint8_t u[24] = {200, 1, 0, 0, 0, 0, 0, 0, ND_OPT_TGT_LLADDR, 2};
    cr_assert_eq(nd_parse_opts(u, 24, &opts), ICMP6_OK);
    cr_assert_null(opts.tgt_lladdr);
    /* A prefix option of the wrong length is not taken. */
    uint8_t p[8] = {ND_OPT_PREFIX_INFO, 1};
    cr_assert_eq(nd_parse_opts(p, 8, &opts), ICMP6_OK);
    cr_assert_eq(opts.n_prefix, 0);
    /* MTU option. */
    uint8_t mt[8];
    nd_opt_put_mtu(mt, 8, 9000);
    cr_assert_eq(nd_parse_opts(mt, 8, &opts), ICMP6_OK);
    cr_assert(opts.has_mtu);
    cr_assert_eq(opts.mtu, 9000);
    cr_assert_eq(nd_opt_put_mtu(mt, 7, 1), 0);
    cr_assert_eq(nd_opt_put_lladdr(mt, 7, 1, MAC), 0);
    cr_assert_eq(nd_opt_put_prefix(mt, 8, &(struct nd_prefix){0}), 0);
    /* A zero-length option inside an NS makes the whole message invalid. */
    uint8_t m[40];
    size_t n = nd_emit_ns(m, sizeof m, TGT, MAC, NULL, 0);
    m[25] = 0;
    struct nd_ns ns;
    cr_assert_eq(nd_parse_ns(m, n, &ns), ICMP6_ERR_OPTION);
}

Test(nd_wire, redirect_roundtrip)
{
    uint8_t quote[50];
    memset(quote, 0x77, sizeof quote);
    uint8_t ll_router[16] = {0xfe, 0x80, [15] = 9};
    uint8_t m[256];
    size_t n = nd_emit_redirect(m, sizeof m, ll_router, TGT, MAC, quote, sizeof quote);
    cr_assert_eq(n, 40 + 8 + 8 + 56);
    struct nd_redirect r;
    cr_assert_eq(nd_parse_redirect(m, n, &r), ICMP6_OK);
    cr_assert(memcmp(r.target, ll_router, 16) == 0);
    cr_assert(memcmp(r.dest, TGT, 16) == 0);
    cr_assert(memcmp(r.opts.tgt_lladdr, MAC, 6) == 0);
    cr_assert_eq(r.opts.redirected_len, 56);
    cr_assert_eq(r.opts.redirected[0], 0x77);
    /* Target = destination (on-link) is fine; a global non-destination target is not. */
    n = nd_emit_redirect(m, sizeof m, TGT, TGT, NULL, NULL, 0);
    cr_assert_eq(nd_parse_redirect(m, n, &r), ICMP6_OK);
    uint8_t other[16] = {0xfd, [15] = 3};
    n = nd_emit_redirect(m, sizeof m, other, TGT, NULL, NULL, 0);
    cr_assert_eq(nd_parse_redirect(m, n, &r), ICMP6_ERR_FIELD);
    n = nd_emit_redirect(m, sizeof m, ll_router, ip6_all_nodes, NULL, NULL, 0);
    cr_assert_eq(nd_parse_redirect(m, n, &r), ICMP6_ERR_FIELD);
    cr_assert_eq(nd_parse_redirect(m, 39, &r), ICMP6_ERR_LENGTH);
    /* A huge quote is cut so the redirect fits the minimum MTU. */
    static uint8_t bigq[2000], bm[2000];
    n = nd_emit_redirect(bm, sizeof bm, ll_router, TGT, MAC, bigq, sizeof bigq);
    cr_assert_leq(n + 40, 1280);
}

struct seen_recs {
    int n;
    uint8_t type;
    uint8_t g[2][16];
};

static void record_cb(void *ctx, uint8_t t, const uint8_t g[16])
{
    struct seen_recs *s = ctx;
    s->type = t;
    if (s->n < 2)
        memcpy(s->g[s->n], g, 16);
    s->n++;
}

Test(nd_wire, mld2_report_roundtrip)
{
    uint8_t groups[2][16];
    ip6_solicited_node(TGT, groups[0]);
    memcpy(groups[1], ip6_all_nodes, 16);
    uint8_t m[128];
    size_t n = mld2_emit_report(m, sizeof m, MLD2_CHANGE_TO_EXCLUDE, (const uint8_t(*)[16])groups, 2);
    cr_assert_eq(n, 8 + 40);
    struct seen_recs seen = {0};
    int r = mld2_parse_report(m, n, NULL, NULL);
    cr_assert_eq(r, 2);
    r = mld2_parse_report(m, n, record_cb, &seen);
    cr_assert_eq(r, 2);
    cr_assert_eq(seen.type, MLD2_CHANGE_TO_EXCLUDE);
    cr_assert(memcmp(seen.g[0], groups[0], 16) == 0);
    cr_assert(memcmp(seen.g[1], groups[1], 16) == 0);
    cr_assert_lt(mld2_parse_report(m, n - 1, NULL, NULL), 0);
    cr_assert_eq(mld2_emit_report(m, 20, MLD2_CHANGE_TO_EXCLUDE, (const uint8_t(*)[16])groups, 2), 0);
}

Test(nd_wire, mld_query_v1_v2)
{
    uint8_t m[64] = {ICMP6_MLD_QUERY, 0, 0, 0, 0x03, 0xe8};
    struct mld_query q;
    cr_assert_eq(mld_parse_query(m, 24, &q), ICMP6_OK);
    cr_assert(!q.v2);
    cr_assert_eq(q.max_resp_ms, 1000);
    cr_assert(ip6_is_unspecified(q.group));
    cr_assert_eq(mld_parse_query(m, 28, &q), ICMP6_OK);
    cr_assert(q.v2);
    cr_assert_eq(q.max_resp_ms, 1000);
    /* Exponential form: 0x8000 | exp 1 | mant 0 -> (0x1000) << 4 */
    m[4] = 0x90;
    m[5] = 0x00;
    cr_assert_eq(mld_parse_query(m, 28, &q), ICMP6_OK);
    cr_assert_eq(q.max_resp_ms, 0x1000u << 4);
    /* Source count beyond the message. */
    m[27] = 2;
    cr_assert_eq(mld_parse_query(m, 28 + 16, &q), ICMP6_ERR_LENGTH);
    cr_assert_eq(mld_parse_query(m, 28 + 32, &q), ICMP6_OK);
    cr_assert_eq(q.n_sources, 2);
    cr_assert_neq(mld_parse_query(m, 23, &q), ICMP6_OK);
}
