/* The DNS codec against well-formed and hostile messages: pointer loops,
 * forward pointers, lying counts, truncation at every byte, oversized names,
 * bad rdata, and a seeded random mutation run (meant to run under ASan). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/dns_wire.h"
#include "stack/rng.h"

static uint8_t wire[DNS_MAX_NAME];

static int from_text(const char *t)
{
    return dns_name_from_text(t, wire);
}

Test(dns_wire, name_text_round_trip)
{
    char text[DNS_TEXT_MAX];
    cr_assert_eq(from_text("www.Example.test"), 18);
    cr_assert_eq(wire[0], 3);
    cr_assert_eq(memcmp(wire + 1, "www", 3), 0);
    cr_assert_eq(dns_name_to_text(wire, text, sizeof text), 16);
    cr_assert_str_eq(text, "www.Example.test");
    cr_assert_eq(from_text("a.b."), 5, "a trailing dot is allowed");
    cr_assert_eq(from_text("."), 1);
    cr_assert_eq(dns_name_to_text(wire, text, sizeof text), 1);
    cr_assert_str_eq(text, ".");
    /* Escapes: a dot inside a label and a byte written \DDD. */
    cr_assert_eq(from_text("a\\.b.c\\009"), 8);
    cr_assert_eq(wire[0], 3);
    cr_assert_eq(wire[4], 2);
    cr_assert_eq(wire[6], 9);
    dns_name_to_text(wire, text, sizeof text);
    cr_assert_str_eq(text, "a\\.b.c\\009");
}

Test(dns_wire, name_text_rules)
{
    char label63[64], label64[65];
    memset(label63, 'a', 63);
    label63[63] = 0;
    memset(label64, 'a', 64);
    label64[64] = 0;
    cr_assert_gt(from_text(label63), 0);
    cr_assert_eq(from_text(label64), DNS_E_TEXT);
    cr_assert_eq(from_text(""), DNS_E_TEXT);
    cr_assert_eq(from_text("a..b"), DNS_E_TEXT);
    cr_assert_eq(from_text(".a"), DNS_E_TEXT);
    cr_assert_eq(from_text("a\\"), DNS_E_TEXT);
    cr_assert_eq(from_text("a\\25"), DNS_E_TEXT);
    cr_assert_eq(from_text("a\\256"), DNS_E_TEXT);
    /* 255 octets on the wire is the limit: 4 labels of 63 = 256 + root. */
    char big[300];
    snprintf(big, sizeof big, "%s.%s.%s.%.61s", label63, label63, label63, label63);
    cr_assert_eq(from_text(big), 255, "253 text characters fit exactly");
    snprintf(big, sizeof big, "%s.%s.%s.%.62s", label63, label63, label63, label63);
    cr_assert_eq(from_text(big), DNS_E_NAME_LONG);
}

Test(dns_wire, name_eq_ignores_ascii_case_only)
{
    uint8_t a[DNS_MAX_NAME], b[DNS_MAX_NAME];
    dns_name_from_text("WWW.example.TEST", a);
    dns_name_from_text("www.EXAMPLE.test", b);
    cr_assert(dns_name_eq(a, b));
    dns_name_from_text("www.example.tesu", b);
    cr_assert_not(dns_name_eq(a, b));
    dns_name_from_text("www.example", b);
    cr_assert_not(dns_name_eq(a, b));
    dns_name_from_text("\\200", a);
    dns_name_from_text("\\224", b); /* 0xE0 vs 0xC0: not ASCII letters */
    cr_assert_not(dns_name_eq(a, b));
}

Test(dns_wire, reverse_names)
{
    char t[DNS_TEXT_MAX];
    uint8_t v4[4] = {198, 18, 0, 2};
    cr_assert_gt(dns_reverse_name(2, v4, t, sizeof t), 0);
    cr_assert_str_eq(t, "2.0.18.198.in-addr.arpa");
    uint8_t v6[16] = {0xfd, 0, 0x01, 0x98, 0, 0x18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02};
    cr_assert_gt(dns_reverse_name(10, v6, t, sizeof t), 0);
    cr_assert_str_eq(t, "2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.1.0.0.8.9.1.0.0.0.d.f.ip6.arpa");
    cr_assert_lt(dns_reverse_name(2, v4, t, 10), 0);
}

Test(dns_wire, build_query_bytes)
{
    uint8_t q[512];
    from_text("ab.c");
    int n = dns_build_query(q, sizeof q, 0x1234, wire, DNS_T_AAAA, 0);
    const uint8_t want[] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
                            2, 'a', 'b', 1, 'c', 0, 0, 28, 0, 1};
    cr_assert_eq(n, (int)sizeof want);
    cr_assert_eq(memcmp(q, want, sizeof want), 0);
    n = dns_build_query(q, sizeof q, 7, wire, DNS_T_A, 1232);
    cr_assert_eq(n, (int)sizeof want + 11);
    cr_assert_eq(q[11], 1, "ARCOUNT 1 for OPT");
    cr_assert_eq(dns_rd16(q + sizeof want + 1), DNS_T_OPT);
    cr_assert_eq(dns_rd16(q + sizeof want + 3), 1232);
    cr_assert_eq(dns_build_query(q, 20, 7, wire, DNS_T_A, 0), DNS_E_SPACE);
}

/* A hand-made response with compression:
 * www.example.test CNAME web.example.test; web.example.test A 198.18.0.7, A 198.18.0.8 */
static size_t good_response(uint8_t *m)
{
    size_t n = 0;
    const uint8_t hdr[] = {0xab, 0xcd, 0x81, 0x80, 0, 1, 0, 3, 0, 0, 0, 0};
    memcpy(m, hdr, sizeof hdr);
    n = sizeof hdr;
    const uint8_t q[] = {3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 4, 't', 'e', 's', 't', 0,
                         0, 1, 0, 1};
    memcpy(m + n, q, sizeof q); /* name at 12, "example" at 16 */
    n += sizeof q;
    /* CNAME: owner ptr->12, rdata "web" + ptr->16 */
    const uint8_t cn[] = {0xc0, 12, 0, 5, 0, 1, 0, 0, 1, 0, 0, 6, 3, 'w', 'e', 'b', 0xc0, 16};
    size_t web = n + 12;
    memcpy(m + n, cn, sizeof cn);
    n += sizeof cn;
    for (int i = 0; i < 2; i++) {
        const uint8_t a[] = {0xc0, (uint8_t)web, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 198, 18, 0, (uint8_t)(7 + i)};
        memcpy(m + n, a, sizeof a);
        n += sizeof a;
    }
    return n;
}

Test(dns_wire, parse_good_response_and_follow_cname)
{
    uint8_t m[512];
    size_t n = good_response(m);
    struct dns_msg msg;
    struct dns_rr rr[8];
    cr_assert_eq(dns_parse(m, n, &msg, rr, 8), DNS_OK);
    cr_assert_eq(msg.h.id, 0xabcd);
    cr_assert_eq(msg.n_rr, 3);
    uint8_t q[DNS_MAX_NAME];
    dns_name_from_text("WWW.example.test", q);
    cr_assert(dns_matches_query(&msg, 0xabcd, q, DNS_T_A));
    cr_assert_not(dns_matches_query(&msg, 0xabce, q, DNS_T_A), "wrong ID");
    cr_assert_not(dns_matches_query(&msg, 0xabcd, q, DNS_T_AAAA), "wrong type");
    dns_name_from_text("ww.example.test", q);
    cr_assert_not(dns_matches_query(&msg, 0xabcd, q, DNS_T_A), "wrong name");
    dns_name_from_text("www.example.test", q);
    struct dns_answer ans;
    size_t idx[4];
    cr_assert_eq(dns_answer_extract(&msg, q, DNS_T_A, 8, &ans, idx, 4), DNS_OK);
    cr_assert_eq(ans.chain_len, 1);
    cr_assert_eq(ans.n, 2);
    cr_assert_eq(ans.ttl, 60);
    char t[DNS_TEXT_MAX];
    dns_name_to_text(ans.cname, t, sizeof t);
    cr_assert_str_eq(t, "web.example.test");
    cr_assert_eq(m[rr[idx[1]].rdata_off + 3], 8);
    cr_assert_eq(dns_answer_extract(&msg, q, DNS_T_A, 0, &ans, idx, 4), DNS_E_CHAIN);
}

Test(dns_wire, truncation_at_every_byte_is_rejected)
{
    uint8_t m[512];
    size_t n = good_response(m);
    struct dns_msg msg;
    struct dns_rr rr[8];
    for (size_t cut = 0; cut < n; cut++) {
        uint8_t copy[512];
        memcpy(copy, m, cut); /* an exact-size copy so ASan sees any over-read */
        uint8_t *heap = malloc(cut ? cut : 1);
        memcpy(heap, copy, cut);
        int e = dns_parse(heap, cut, &msg, rr, 8);
        cr_assert_lt(e, 0, "prefix of %zu bytes accepted", cut);
        free(heap);
    }
}

Test(dns_wire, lying_counts_are_rejected)
{
    uint8_t m[512];
    size_t n = good_response(m);
    struct dns_msg msg;
    struct dns_rr rr[8];
    m[7] = 4; /* ANCOUNT 4, three records present */
    cr_assert_eq(dns_parse(m, n, &msg, rr, 8), DNS_E_COUNT);
    m[7] = 2; /* ANCOUNT 2: a record left over */
    cr_assert_eq(dns_parse(m, n, &msg, rr, 8), DNS_E_COUNT);
    m[7] = 3;
    m[11] = 1; /* ARCOUNT 1 with nothing there */
    cr_assert_eq(dns_parse(m, n, &msg, rr, 8), DNS_E_COUNT);
    m[11] = 0;
    m[6] = 0xff; /* ANCOUNT 65283: more than our array */
    cr_assert_eq(dns_parse(m, n, &msg, rr, 8), DNS_E_TOO_MANY);
    m[6] = 0;
    m[5] = 2; /* two questions */
    cr_assert_eq(dns_parse(m, n, &msg, rr, 8), DNS_E_QDCOUNT);
    m[5] = 1;
    /* rdlength past the end */
    m[n - 5] = 200;
    cr_assert_eq(dns_parse(m, n, &msg, rr, 8), DNS_E_SHORT);
    m[n - 5] = 4;
    cr_assert_eq(dns_parse(m, n, &msg, rr, 8), DNS_OK);
}

static int parse_name_at(const uint8_t *m, size_t n, size_t off)
{
    uint8_t w[DNS_MAX_NAME];
    size_t next;
    return dns_name_read(m, n, off, w, &next);
}

Test(dns_wire, compression_pointer_attacks)
{
    uint8_t m[600] = {0};
    /* A self-pointer at 12. */
    m[12] = 0xc0;
    m[13] = 12;
    cr_assert_eq(parse_name_at(m, 14, 12), DNS_E_PTR_FORWARD);
    /* Two pointers pointing at each other: 12 -> 14 -> 12. */
    m[12] = 0xc0; m[13] = 14; m[14] = 0xc0; m[15] = 12;
    cr_assert_eq(parse_name_at(m, 16, 12), DNS_E_PTR_FORWARD);
    cr_assert_eq(parse_name_at(m, 16, 14), DNS_E_PTR_FORWARD,
                 "14 -> 12 is backwards but 12 -> 14 is not before its segment");
    /* The classic loop that "pointer < its own position" lets through:
     * at 12 label "a", then at 14 a pointer back to 12; a name at 20 points to 12. */
    m[12] = 1; m[13] = 'a'; m[14] = 0xc0; m[15] = 12;
    m[20] = 0xc0; m[21] = 12;
    cr_assert_eq(parse_name_at(m, 22, 20), DNS_E_PTR_FORWARD);
    /* A pointer into the header. */
    m[12] = 0xc0; m[13] = 2;
    cr_assert_eq(parse_name_at(m, 14, 12), DNS_E_PTR_FORWARD);
    /* A pointer cut in half. */
    m[12] = 0xc0;
    cr_assert_eq(parse_name_at(m, 13, 12), DNS_E_SHORT);
    /* Reserved label types 01 and 10. */
    m[12] = 0x41;
    cr_assert_eq(parse_name_at(m, 20, 12), DNS_E_LABEL_TYPE);
    m[12] = 0x81;
    cr_assert_eq(parse_name_at(m, 20, 12), DNS_E_LABEL_TYPE);
    /* A chain of pointers, each to a 63-byte label before it, growing a name
     * past 255 octets: every pointer is legal, the length is not. */
    size_t pos = 12;
    memset(m, 0, sizeof m);
    m[pos] = 0; /* root at 12 */
    size_t prev = pos;
    pos++;
    for (int i = 0; i < 5; i++) {
        size_t here = pos;
        m[pos++] = 63;
        memset(m + pos, 'x', 63);
        pos += 63;
        m[pos++] = (uint8_t)(0xc0 | prev >> 8);
        m[pos++] = (uint8_t)prev;
        prev = here;
    }
    cr_assert_eq(parse_name_at(m, pos, prev), DNS_E_NAME_LONG);
    /* The same chain three deep is fine (3 x 64 + 1 = 193). */
    int ok = parse_name_at(m, pos, 13 + 2 * 66);
    cr_assert_eq(ok, 193);
}

Test(dns_wire, bad_rdata_shapes)
{
    uint8_t m[512];
    struct dns_writer w;
    struct dns_msg msg;
    struct dns_rr rr[8];
    struct dns_header h = {1, DNS_F_QR | DNS_F_RD | DNS_F_RA, 1, 1, 0, 0};
    uint8_t five[5] = {1, 2, 3, 4, 5};
    dns_w_init(&w, m, sizeof m);
    dns_w_header(&w, &h);
    dns_w_question(&w, "a.test", DNS_T_A);
    dns_w_rr(&w, "a.test", DNS_T_A, 5, five, 5);
    cr_assert_eq(dns_parse(m, w.len, &msg, rr, 8), DNS_E_RDATA);

    /* A CNAME whose name runs past its rdlength. */
    dns_w_init(&w, m, sizeof m);
    dns_w_header(&w, &h);
    dns_w_question(&w, "a.test", DNS_T_A);
    uint8_t cn[] = {3, 'a', 'b', 'c', 0};
    dns_w_rr(&w, "a.test", DNS_T_CNAME, 5, cn, 3);
    dns_w_bytes(&w, cn + 3, 2);
    cr_assert_lt(dns_parse(m, w.len, &msg, rr, 8), 0);

    /* Two OPT records. */
    h.ancount = 0;
    h.arcount = 2;
    dns_w_init(&w, m, sizeof m);
    dns_w_header(&w, &h);
    dns_w_question(&w, "a.test", DNS_T_A);
    for (int i = 0; i < 2; i++) {
        uint8_t opt[] = {0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0};
        dns_w_bytes(&w, opt, sizeof opt);
    }
    cr_assert_eq(dns_parse(m, w.len, &msg, rr, 8), DNS_E_RDATA);
    h.arcount = 1;
    memcpy(m, (uint8_t[]){0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 1}, 12);
    cr_assert_eq(dns_parse(m, w.len - 11, &msg, rr, 8), DNS_OK);
    cr_assert(msg.edns);
    cr_assert_eq(msg.edns_udp_size, 1024);

    /* A query (QR clear) is not a response. */
    m[2] = 0x01;
    cr_assert_eq(dns_parse(m, w.len - 11, &msg, rr, 8), DNS_E_NOT_RESPONSE);
}

Test(dns_wire, negative_answer_ttl_from_soa)
{
    uint8_t m[512];
    struct dns_writer w;
    struct dns_msg msg;
    struct dns_rr rr[8];
    struct dns_header h = {9, DNS_F_QR | DNS_F_RD | DNS_F_RA | DNS_R_NXDOMAIN, 1, 0, 1, 0};
    dns_w_init(&w, m, sizeof m);
    dns_w_header(&w, &h);
    dns_w_question(&w, "nope.test", DNS_T_A);
    dns_w_rr_soa(&w, "test", 300, 60);
    cr_assert_eq(w.err, 0);
    cr_assert_eq(dns_parse(m, w.len, &msg, rr, 8), DNS_OK);
    uint8_t q[DNS_MAX_NAME];
    dns_name_from_text("nope.test", q);
    struct dns_answer a;
    cr_assert_eq(dns_answer_extract(&msg, q, DNS_T_A, 8, &a, NULL, 0), DNS_OK);
    cr_assert_eq(a.rcode, DNS_R_NXDOMAIN);
    cr_assert_eq(a.n, 0);
    cr_assert(a.negative_ttl_known);
    cr_assert_eq(a.negative_ttl, 60, "min(SOA TTL 300, MINIMUM 60)");
}

Test(dns_wire, cname_loop_is_an_error)
{
    uint8_t m[512];
    struct dns_writer w;
    struct dns_msg msg;
    struct dns_rr rr[8];
    struct dns_header h = {9, DNS_F_QR | DNS_F_RD | DNS_F_RA, 1, 2, 0, 0};
    dns_w_init(&w, m, sizeof m);
    dns_w_header(&w, &h);
    dns_w_question(&w, "a.test", DNS_T_A);
    dns_w_rr_name(&w, "a.test", DNS_T_CNAME, 5, "b.test");
    dns_w_rr_name(&w, "B.test", DNS_T_CNAME, 5, "a.TEST");
    cr_assert_eq(dns_parse(m, w.len, &msg, rr, 8), DNS_OK);
    uint8_t q[DNS_MAX_NAME];
    dns_name_from_text("a.test", q);
    struct dns_answer a;
    cr_assert_eq(dns_answer_extract(&msg, q, DNS_T_A, 8, &a, NULL, 0), DNS_E_CHAIN);
}

/* Seeded mutations of valid messages.  Whatever the parser accepts must be
 * safe to walk: every name decodes, every rdata lies inside the message. */
Test(dns_wire, random_mutations_never_crash, .timeout = 60)
{
    struct rng r;
    rng_seed(&r, 0x5eed);
    uint8_t base[512];
    size_t base_len = good_response(base);
    size_t accepted = 0;
    for (int iter = 0; iter < 200000; iter++) {
        uint8_t buf[600];
        size_t len = base_len;
        memcpy(buf, base, len);
        int muts = 1 + (int)rng_below(&r, 4);
        for (int k = 0; k < muts; k++) {
            uint32_t pos = rng_below(&r, (uint32_t)len);
            switch (rng_below(&r, 5)) {
            case 0: buf[pos] ^= (uint8_t)(1u << rng_below(&r, 8)); break;
            case 1: buf[pos] = (uint8_t)rng_next(&r); break;
            case 2: buf[pos] = (uint8_t)(0xc0 | rng_below(&r, 2)); break; /* pointer-ish */
            case 3: len = pos + 1; break;                                    /* truncate */
            case 4: if (len < sizeof buf) { memmove(buf + pos + 1, buf + pos, len - pos); len++; } break;
            }
        }
        uint8_t *heap = malloc(len);
        memcpy(heap, buf, len);
        struct dns_msg msg;
        struct dns_rr rr[16];
        if (dns_parse(heap, len, &msg, rr, 16) == DNS_OK) {
            accepted++;
            for (size_t i = 0; i < msg.n_rr; i++) {
                cr_assert_leq((size_t)rr[i].rdata_off + rr[i].rdlen, len);
                uint8_t w[DNS_MAX_NAME];
                char t[DNS_TEXT_MAX];
                cr_assert_gt(dns_name_read(heap, len, rr[i].name_off, w, NULL), 0);
                cr_assert_geq(dns_name_to_text(w, t, sizeof t), 1);
            }
            uint8_t q[DNS_MAX_NAME];
            if (msg.has_question && dns_name_read(heap, len, msg.q_name_off, q, NULL) > 0) {
                struct dns_answer a;
                size_t idx[16];
                dns_answer_extract(&msg, q, DNS_T_A, 8, &a, idx, 16);
            }
        }
        free(heap);
    }
    cr_assert_gt(accepted, 0, "some mutations stay valid (the test exercises the accept path)");
}
