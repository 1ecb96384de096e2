/* The stub resolver over a scripted fake transport and a fake clock: retries
 * and backoff across servers, wrong IDs and questions ignored, hostile
 * answers counted against the server, TC -> TCP, CNAME chains, the cache with
 * TTLs and negative answers (RFC 2308), the search list.  Then the hosts,
 * services and resolv.conf parsers, and Python's functions on top. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/dns_wire.h"
#include "api/resolver.h"
#include "api/resolver_int.h"
#include "api/tapir.h"

/* ---- the fake network ---- */

enum behaviour {
    B_GOOD,          /* answer with the zone below */
    B_SILENT,        /* never answer */
    B_WRONG_ID,      /* answer with another ID only */
    B_WRONG_ID_THEN_GOOD,
    B_WRONG_QUESTION,
    B_POINTER_LOOP,  /* matched header and question, then a looping pointer */
    B_LYING_COUNT,   /* ANCOUNT says 5, one record there */
    B_TRUNCATED,     /* the good answer cut in the middle of a record, TC clear */
    B_SERVFAIL,
    B_TC,            /* TC set over UDP, the full answer over TCP */
};

struct fake {
    uint64_t now;
    enum behaviour b[RESOLV_MAX_SERVERS];
    int udp_queries[RESOLV_MAX_SERVERS], tcp_queries[RESOLV_MAX_SERVERS];
    uint16_t next_id;
    int many; /* addresses for many.test */
};
static struct fake F;

static int server_index(const struct endpoint *ep)
{
    return (int)(ep->addr.v4 & 0xff) - 1; /* 198.18.0.1 -> 0, .2 -> 1 */
}

/* The zone every good server knows. */
static size_t zone_answer(const uint8_t *q, size_t qlen, uint8_t *out, size_t cap, bool tcp, bool *tc)
{
    struct dns_header qh;
    dns_parse_header(q, qlen, &qh);
    uint8_t w[DNS_MAX_NAME];
    size_t next;
    dns_name_read(q, qlen, DNS_HDR_LEN, w, &next);
    char name[DNS_TEXT_MAX];
    dns_name_to_text(w, name, sizeof name);
    uint16_t qtype = dns_rd16(q + next);
    struct dns_writer wr;
    struct dns_header h = {qh.id, DNS_F_QR | DNS_F_RD | DNS_F_RA, 1, 0, 0, 0};
    dns_w_init(&wr, out, cap);
    dns_w_header(&wr, &h); /* counts patched below */
    dns_w_question(&wr, name, qtype);
    int an = 0, ns = 0, rcode = 0;
    uint8_t a4[4] = {198, 18, 0, 7};
    uint8_t a6[16] = {0xfd, 0, 0x01, 0x98, 0, 0x18, [15] = 7};
    if (!strcasecmp(name, "www.example.test") || !strcasecmp(name, "www.search.test")) {
        if (qtype == DNS_T_A) {
            dns_w_rr(&wr, name, DNS_T_A, 300, a4, 4);
            an++;
        } else if (qtype == DNS_T_AAAA) {
            dns_w_rr(&wr, name, DNS_T_AAAA, 300, a6, 16);
            an++;
        }
        if (!an) {
            dns_w_rr_soa(&wr, "example.test", 600, 30);
            ns++;
        }
    } else if (!strcasecmp(name, "alias.example.test")) {
        dns_w_rr_name(&wr, name, DNS_T_CNAME, 100, "mid.example.test");
        dns_w_rr_name(&wr, "mid.example.test", DNS_T_CNAME, 50, "www.example.test");
        an += 2;
        if (qtype == DNS_T_A) {
            dns_w_rr(&wr, "www.example.test", DNS_T_A, 300, a4, 4);
            an++;
        }
    } else if (!strcasecmp(name, "outside.example.test")) {
        /* A CNAME to a name this answer does not resolve: ask again. */
        dns_w_rr_name(&wr, name, DNS_T_CNAME, 100, "www.example.test");
        an++;
    } else if (!strcasecmp(name, "loop.example.test")) {
        dns_w_rr_name(&wr, name, DNS_T_CNAME, 100, "loop2.example.test");
        dns_w_rr_name(&wr, "loop2.example.test", DNS_T_CNAME, 100, "loop.example.test");
        an += 2;
    } else if (!strcasecmp(name, "many.test") && qtype == DNS_T_A) {
        for (int i = 0; i < F.many; i++) {
            uint8_t a[4] = {198, 18, 1, (uint8_t)(i + 1)};
            dns_w_rr(&wr, name, DNS_T_A, 60, a, 4);
            an++;
        }
        if (!tcp && wr.len > 512) { /* what a server does: cut, set TC */
            *tc = true;
            dns_w_init(&wr, out, cap);
            h.flags |= DNS_F_TC;
            dns_w_header(&wr, &h);
            dns_w_question(&wr, name, qtype);
            an = 0;
        }
    } else if (!strcasecmp(name, "7.0.18.198.in-addr.arpa") && qtype == DNS_T_PTR) {
        dns_w_rr_name(&wr, name, DNS_T_PTR, 300, "www.example.test");
        an++;
    } else if (!strcasecmp(name, "v4only.test")) {
        uint8_t a[4] = {198, 18, 0, 8};
        if (qtype == DNS_T_A) {
            dns_w_rr(&wr, name, DNS_T_A, 300, a, 4);
            an++;
        } else {
            dns_w_rr_soa(&wr, "test", 600, 30);
            ns++;
        }
    } else if (!strcasecmp(name, "nosoa.test")) {
        rcode = DNS_R_NXDOMAIN;
    } else {
        rcode = DNS_R_NXDOMAIN;
        dns_w_rr_soa(&wr, "test", 900, 60);
        ns++;
    }
    out[2] = (uint8_t)((h.flags | rcode) >> 8);
    out[3] = (uint8_t)(h.flags | rcode);
    out[6] = (uint8_t)(an >> 8);
    out[7] = (uint8_t)an;
    out[9] = (uint8_t)ns;
    cr_assert_eq(wr.err, 0);
    return wr.len;
}

static int fake_udp(void *ctx, const struct endpoint *server, const uint8_t *q, size_t qlen,
                    uint64_t deadline, bool (*accept)(void *, const uint8_t *, size_t), void *arg)
{
    (void)ctx;
    int s = server_index(server);
    cr_assert(s >= 0 && s < RESOLV_MAX_SERVERS);
    F.udp_queries[s]++;
    uint8_t out[4096];
    bool tc = false;
    size_t n = zone_answer(q, qlen, out, sizeof out, false, &tc);
    switch (F.b[s]) {
    case B_GOOD:
        if (accept(arg, out, n))
            return 0;
        break;
    case B_SILENT:
        break;
    case B_WRONG_ID:
        out[0] ^= 0x55;
        cr_assert_not(accept(arg, out, n));
        break;
    case B_WRONG_ID_THEN_GOOD: {
        uint8_t bad[4096];
        memcpy(bad, out, n);
        bad[1] ^= 1;
        cr_assert_not(accept(arg, bad, n));
        if (accept(arg, out, n))
            return 0;
        break;
    }
    case B_WRONG_QUESTION:
        out[DNS_HDR_LEN + 1] ^= 0x01; /* first letter of the name */
        cr_assert_not(accept(arg, out, n));
        break;
    case B_POINTER_LOOP: {
        /* Keep header + question, then an answer whose owner points at itself. */
        size_t qend = DNS_HDR_LEN;
        while (out[qend])
            qend += 1u + out[qend];
        qend += 5;
        out[7] = 1;
        out[9] = 0;
        out[qend] = 0xc0;
        out[qend + 1] = (uint8_t)qend;
        memset(out + qend + 2, 0, 10);
        if (accept(arg, out, qend + 12))
            return 0;
        break;
    }
    case B_LYING_COUNT:
        out[7] = 5;
        if (accept(arg, out, n))
            return 0;
        break;
    case B_TRUNCATED:
        if (accept(arg, out, n - 3))
            return 0;
        break;
    case B_SERVFAIL:
        out[3] = (uint8_t)((out[3] & 0xf0) | DNS_R_SERVFAIL);
        if (accept(arg, out, n))
            return 0;
        break;
    case B_TC:
        out[2] |= DNS_F_TC >> 8;
        if (accept(arg, out, n))
            return 0;
        break;
    }
    F.now = deadline; /* nothing (more) came: the wait ran to its end */
    return -110;
}

static ssize_t fake_tcp(void *ctx, const struct endpoint *server, const uint8_t *q, size_t qlen,
                        uint8_t *resp, size_t cap, uint64_t deadline)
{
    (void)ctx;
    (void)deadline;
    int s = server_index(server);
    F.tcp_queries[s]++;
    bool tc = false;
    return (ssize_t)zone_answer(q, qlen, resp, cap, true, &tc);
}

static uint64_t fake_now(void *ctx)
{
    (void)ctx;
    return F.now;
}

static uint16_t fake_random16(void *ctx)
{
    (void)ctx;
    return F.next_id += 7919;
}

static struct dns_resolver R;

static void setup(void)
{
    memset(&F, 0, sizeof F);
    F.now = 1000000000;
    F.many = 40;
    struct dns_transport tr = {fake_udp, fake_tcp, fake_now, fake_random16, NULL};
    dns_resolver_init(&R, &tr);
    resolv_conf_parse(&R.conf, "nameserver 198.18.0.1\nnameserver 198.18.0.2\noptions timeout:1 attempts:2\n");
}

static void teardown(void)
{
    dns_resolver_destroy(&R);
}

static struct dns_result res;

TestSuite(dns_resolver, .init = setup, .fini = teardown);

Test(dns_resolver, a_and_aaaa_then_cache)
{
    dns_resolve(&R, "www.example.test", DNS_T_A, UINT64_MAX, &res);
    cr_assert_eq(res.status, 0);
    cr_assert_eq(res.n, 1);
    cr_assert_eq(res.addrs[0].v4, IP4(198, 18, 0, 7));
    dns_resolve(&R, "www.example.test", DNS_T_AAAA, UINT64_MAX, &res);
    cr_assert_eq(res.status, 0);
    cr_assert_eq(res.addrs[0].family, TP_AF_INET6);
    cr_assert_eq(F.udp_queries[0], 2);
    /* Again, in another case: from the cache. */
    dns_resolve(&R, "WWW.example.TEST", DNS_T_A, UINT64_MAX, &res);
    cr_assert(res.from_cache);
    cr_assert_eq(F.udp_queries[0], 2);
    cr_assert_eq(R.stats.cache_hits, 1);
    /* After the TTL (300 s) it is asked again. */
    F.now += 301ull * 1000000;
    dns_resolve(&R, "www.example.test", DNS_T_A, UINT64_MAX, &res);
    cr_assert_not(res.from_cache);
    cr_assert_eq(F.udp_queries[0], 3);
}

Test(dns_resolver, wrong_id_ignored_then_answer)
{
    F.b[0] = B_WRONG_ID_THEN_GOOD;
    dns_resolve(&R, "www.example.test", DNS_T_A, UINT64_MAX, &res);
    cr_assert_eq(res.status, 0);
    cr_assert_eq(R.stats.rx_mismatch, 1);
    cr_assert_eq(F.udp_queries[1], 0, "the first server answered");
}

Test(dns_resolver, only_wrong_ids_times_out_then_next_server)
{
    F.b[0] = B_WRONG_ID;
    uint64_t t0 = F.now;
    dns_resolve(&R, "www.example.test", DNS_T_A, UINT64_MAX, &res);
    cr_assert_eq(res.status, 0);
    cr_assert_eq(F.udp_queries[1], 1);
    cr_assert_eq(F.now - t0, 1000000, "one timeout (1 s) spent on the first server");
}

Test(dns_resolver, wrong_question_ignored)
{
    F.b[0] = B_WRONG_QUESTION;
    F.b[1] = B_WRONG_QUESTION;
    uint64_t t0 = F.now;
    dns_resolve(&R, "www.example.test", DNS_T_A, UINT64_MAX, &res);
    cr_assert_eq(res.status, TAPIR_EAI_AGAIN);
    cr_assert_eq(R.stats.rx_mismatch, 4);
    /* Backoff: 1 s + 1 s, then 2 s + 2 s. */
    cr_assert_eq(F.now - t0, 6000000);
    cr_assert_eq(F.udp_queries[0], 2);
    cr_assert_eq(F.udp_queries[1], 2);
}

Test(dns_resolver, silence_everywhere_is_eai_again_within_the_deadline)
{
    F.b[0] = B_SILENT;
    F.b[1] = B_SILENT;
    uint64_t t0 = F.now;
    dns_resolve(&R, "www.example.test", DNS_T_A, t0 + 2500000, &res);
    cr_assert_eq(res.status, TAPIR_EAI_AGAIN);
    cr_assert_leq(F.now - t0, 2500000, "never past the caller's deadline");
    cr_assert_eq(R.stats.timeouts, 3);
}

Test(dns_resolver, hostile_answers_count_against_the_server)
{
    enum behaviour bad[] = {B_POINTER_LOOP, B_LYING_COUNT, B_TRUNCATED, B_SERVFAIL};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        dns_resolver_flush(&R);
        memset(F.udp_queries, 0, sizeof F.udp_queries);
        uint64_t t0 = F.now;
        F.b[0] = bad[i];
        F.b[1] = B_GOOD;
        dns_resolve(&R, "www.example.test", DNS_T_A, UINT64_MAX, &res);
        cr_assert_eq(res.status, 0, "case %zu", i);
        cr_assert_eq(F.udp_queries[1], 1, "case %zu: on to the second server", i);
        cr_assert_eq(F.now, t0, "case %zu: no time lost waiting", i);
        /* Only hostile servers: EAI_AGAIN (SERVFAIL) or EAI_FAIL (garbage). */
        dns_resolver_flush(&R);
        F.b[1] = bad[i];
        dns_resolve(&R, "www.example.test", DNS_T_A, UINT64_MAX, &res);
        cr_assert(res.status == TAPIR_EAI_AGAIN || res.status == TAPIR_EAI_FAIL, "case %zu: %d", i,
                  res.status);
    }
    cr_assert_geq(R.stats.server_errors, 4);
}

Test(dns_resolver, truncated_answer_retried_over_tcp)
{
    dns_resolve(&R, "many.test", DNS_T_A, UINT64_MAX, &res);
    cr_assert_eq(res.status, 0);
    cr_assert_eq(res.n, 40);
    cr_assert_eq(F.tcp_queries[0], 1);
    cr_assert_eq(R.stats.tc_retries, 1);
    cr_assert_eq(res.addrs[39].v4, IP4(198, 18, 1, 40));
    F.b[0] = B_TC; /* a TC answer from a small reply, too */
    dns_resolve(&R, "www.example.test", DNS_T_AAAA, UINT64_MAX, &res);
    cr_assert_eq(res.status, 0);
    cr_assert_eq(F.tcp_queries[0], 2);
}

Test(dns_resolver, nxdomain_cached_by_soa_negative_ttl)
{
    dns_resolve(&R, "nope.test", DNS_T_A, UINT64_MAX, &res);
    cr_assert_eq(res.status, TAPIR_EAI_NONAME);
    dns_resolve(&R, "nope.test", DNS_T_A, UINT64_MAX, &res);
    cr_assert(res.from_cache);
    cr_assert_eq(R.stats.cache_neg_hits, 1);
    cr_assert_eq(F.udp_queries[0], 1);
    F.now += 61ull * 1000000; /* min(SOA TTL 900, MINIMUM 60) */
    dns_resolve(&R, "nope.test", DNS_T_A, UINT64_MAX, &res);
    cr_assert_not(res.from_cache);
    cr_assert_eq(F.udp_queries[0], 2);
    /* Without an SOA: not cached (RFC 2308 5). */
    dns_resolve(&R, "nosoa.test", DNS_T_A, UINT64_MAX, &res);
    cr_assert_eq(res.status, TAPIR_EAI_NONAME);
    dns_resolve(&R, "nosoa.test", DNS_T_A, UINT64_MAX, &res);
    cr_assert_not(res.from_cache);
}

Test(dns_resolver, nodata_is_its_own_answer)
{
    dns_resolve(&R, "www.example.test", DNS_T_PTR, UINT64_MAX, &res);
    cr_assert_eq(res.status, TAPIR_EAI_NODATA);
    dns_resolve(&R, "www.example.test", DNS_T_PTR, UINT64_MAX, &res);
    cr_assert(res.from_cache, "NODATA with an SOA is cached too");
}

Test(dns_resolver, cname_chains)
{
    dns_resolve(&R, "alias.example.test", DNS_T_A, UINT64_MAX, &res);
    cr_assert_eq(res.status, 0);
    cr_assert_str_eq(res.canon, "www.example.test");
    cr_assert_eq(res.n_aliases, 2);
    cr_assert_str_eq(res.aliases[0], "alias.example.test");
    cr_assert_str_eq(res.aliases[1], "mid.example.test");
    /* A chain whose end the server did not resolve: asked again. */
    dns_resolve(&R, "outside.example.test", DNS_T_A, UINT64_MAX, &res);
    cr_assert_eq(res.status, 0);
    cr_assert_eq(res.addrs[0].v4, IP4(198, 18, 0, 7));
    cr_assert_eq(F.udp_queries[0], 3);
    /* A loop: an error, not a hang. */
    dns_resolve(&R, "loop.example.test", DNS_T_A, UINT64_MAX, &res);
    cr_assert_eq(res.status, TAPIR_EAI_FAIL);
}

Test(dns_resolver, ptr)
{
    char rev[DNS_TEXT_MAX];
    uint8_t a[4] = {198, 18, 0, 7};
    dns_reverse_name(2, a, rev, sizeof rev);
    dns_resolve(&R, rev, DNS_T_PTR, UINT64_MAX, &res);
    cr_assert_eq(res.status, 0);
    cr_assert_eq(res.n, 1);
    cr_assert_str_eq(res.names[0], "www.example.test");
}

Test(dns_resolver, search_list_and_ndots)
{
    resolv_conf_parse(&R.conf, "search nothere.test search.test\n");
    dns_resolve_search(&R, "www", DNS_T_A, UINT64_MAX, &res);
    cr_assert_eq(res.status, 0);
    cr_assert_str_eq(res.canon, "www.search.test");
    /* "www.example.test" has 2 dots >= ndots 1: tried as it is first. */
    memset(F.udp_queries, 0, sizeof F.udp_queries);
    dns_resolve_search(&R, "www.example.test", DNS_T_A, UINT64_MAX, &res);
    cr_assert_eq(res.status, 0);
    cr_assert_eq(F.udp_queries[0], 1);
    /* An absolute name is never extended. */
    dns_resolve_search(&R, "www.", DNS_T_A, UINT64_MAX, &res);
    cr_assert_eq(res.status, TAPIR_EAI_NONAME);
}

Test(dns_resolver, rotate_and_no_servers)
{
    resolv_conf_parse(&R.conf, "options rotate\n");
    dns_resolve(&R, "a.example.test", DNS_T_A, UINT64_MAX, &res);
    dns_resolve(&R, "b.example.test", DNS_T_A, UINT64_MAX, &res);
    cr_assert_eq(F.udp_queries[0], 1);
    cr_assert_eq(F.udp_queries[1], 1);
    R.conf.n_servers = 0;
    dns_resolve(&R, "c.example.test", DNS_T_A, UINT64_MAX, &res);
    cr_assert_eq(res.status, TAPIR_EAI_NONAME, "no DNS configured: the name is unknown");
}

Test(dns_resolver, cache_is_bounded)
{
    char name[64];
    for (int i = 0; i < RESOLV_CACHE_MAX + 10; i++) {
        snprintf(name, sizeof name, "n%d.test", i); /* NXDOMAIN with SOA: cached */
        dns_resolve(&R, name, DNS_T_A, UINT64_MAX, &res);
    }
    cr_assert_eq(R.n_cache, RESOLV_CACHE_MAX);
    cr_assert_eq(R.stats.cache_evictions, 10);
}

/* ---- configuration files ---- */

Test(dns_resolver, resolv_conf_text)
{
    struct resolv_conf rc;
    resolv_conf_defaults(&rc);
    cr_assert_eq(rc.n_servers, 0, "no name servers unless configured");
    resolv_conf_parse(&rc, "# comment\nnameserver 198.18.0.1\nnameserver fd00:198:18::1\n"
                           "nameserver [fd00:198:18::2]:5353\nnameserver 198.18.0.9#5300\n"
                           "nameserver bogus\nsearch a.test b.test\n"
                           "options ndots:3 timeout:2 attempts:9 rotate edns0 use-vc\n");
    cr_assert_eq(rc.n_servers, 4);
    cr_assert_eq(rc.servers[1].addr.family, TP_AF_INET6);
    cr_assert_eq(rc.servers[2].port, 5353);
    cr_assert_eq(rc.servers[3].port, 5300);
    cr_assert_eq(rc.n_search, 2);
    cr_assert_str_eq(rc.search[1], "b.test");
    cr_assert_eq(rc.ndots, 3);
    cr_assert_eq(rc.timeout_ms, 2000);
    cr_assert_eq(rc.attempts, 5, "attempts capped at 5 as glibc does");
    cr_assert(rc.rotate && rc.edns0 && rc.use_vc);
    cr_assert_eq(resolv_conf_key(&rc, "dns", "198.18.0.53"), 1);
    cr_assert_eq(rc.n_servers, 1);
    cr_assert_eq(resolv_conf_key(&rc, "dns", "not-an-ip"), -1);
    cr_assert_eq(resolv_conf_key(&rc, "dns_options", "timeout_ms:150,ndots:0"), 1);
    cr_assert_eq(rc.timeout_ms, 150);
    cr_assert_eq(resolv_conf_key(&rc, "tap", "x"), 0);
}

Test(dns_resolver, hosts_text)
{
    struct hosts_table t = {0};
    cr_assert_eq(hosts_parse_text(&t, "127.0.0.1 localhost\n# c\n198.18.0.5 web.test web www # x\n"
                                      "garbage line\nfd00:198:18::5 web.test\n::1 localhost ip6-localhost\n"
                                      "fe80::1%2 ll.test\n198.18.0.6\n"),
                 0);
    cr_assert_eq(t.n, 5);
    struct ipaddr a[4];
    const char *canon;
    cr_assert_eq(hosts_by_name(&t, "WWW", TP_AF_UNSPEC, a, 4, &canon), 1);
    cr_assert_str_eq(canon, "web.test");
    cr_assert_eq(hosts_by_name(&t, "web.test", TP_AF_UNSPEC, a, 4, &canon), 2);
    cr_assert_eq(hosts_by_name(&t, "web.test", TP_AF_INET6, a, 4, &canon), 1);
    cr_assert_eq(hosts_by_name(&t, "localhost", TP_AF_UNSPEC, a, 4, &canon), 2);
    cr_assert_eq(hosts_by_name(&t, "nothere", TP_AF_UNSPEC, a, 4, &canon), 0);
    struct ipaddr q = ip4(IP4(198, 18, 0, 5));
    const struct hosts_line *l = hosts_by_addr(&t, &q);
    cr_assert_not_null(l);
    cr_assert_eq(l->n_names, 3);
    hosts_free(&t);
}

Test(dns_resolver, services_builtin_and_file)
{
    services_set_paths("/nonexistent/services", "/nonexistent/protocols");
    uint16_t p;
    char name[32];
    int num;
    cr_assert_eq(services_by_name("http", "tcp", &p), 0);
    cr_assert_eq(p, 80);
    cr_assert_eq(services_by_name("www", NULL, &p), 0, "aliases count");
    cr_assert_eq(services_by_name("http", "udp", &p), -1);
    cr_assert_eq(services_by_port(53, "udp", name, sizeof name), 0);
    cr_assert_str_eq(name, "domain");
    cr_assert_eq(protocols_by_name("udp", &num), 0);
    cr_assert_eq(num, 17);
    char path[] = "/tmp/tapir-services-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "# test\nfoo 4242/tcp bar\nfoo 4243/udp\n");
    fclose(f);
    services_set_paths(path, NULL);
    cr_assert_eq(services_by_name("bar", "tcp", &p), 0);
    cr_assert_eq(p, 4242);
    cr_assert_eq(services_by_name("foo", "udp", &p), 0);
    cr_assert_eq(p, 4243);
    cr_assert_eq(services_by_name("http", NULL, &p), -1, "the file replaces the built-in table");
    cr_assert_eq(services_by_port(4242, NULL, name, sizeof name), 0);
    cr_assert_str_eq(name, "foo");
    services_set_paths(NULL, NULL);
    unlink(path);
}

/* ---- Python's functions over the global resolver on the fake network ---- */

static char hosts_path[64];

static void netdb_setup(void)
{
    memset(&F, 0, sizeof F);
    F.now = 1000000000;
    F.many = 40;
    struct dns_transport tr = {fake_udp, fake_tcp, fake_now, fake_random16, NULL};
    resolver_set_transport(&tr);
    tapir_resolver_configure("nameserver 198.18.0.1\nnameserver 198.18.0.2\noptions timeout:1 attempts:1\n");
    snprintf(hosts_path, sizeof hosts_path, "/tmp/tapir-hosts-XXXXXX");
    int fd = mkstemp(hosts_path);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "127.0.0.1 localhost\n198.18.0.50 hostsname.test hn\n");
    fclose(f);
    tapir_resolver_set_hosts_file(hosts_path);
}

static void netdb_teardown(void)
{
    unlink(hosts_path);
}

TestSuite(dns_netdb, .init = netdb_setup, .fini = netdb_teardown);

static bool has_addr(const tapir_addrinfo *ai, int n, const char *host)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(ai[i].addr.host, host))
            return true;
    return false;
}

Test(dns_netdb, getaddrinfo_names)
{
    tapir_addrinfo *ai;
    int n = tapir_getaddrinfo("alias.example.test", "80", 0, TAPIR_SOCK_STREAM, 0, TAPIR_AI_CANONNAME, &ai);
    cr_assert_eq(n, 2, "%s", tapir_strerror());
    cr_assert(has_addr(ai, n, "198.18.0.7") && has_addr(ai, n, "fd00:198:18::7"));
    cr_assert_str_eq(ai[0].canonname, "www.example.test");
    cr_assert_str_eq(ai[1].canonname, "", "only the first result has the canonical name");
    cr_assert_eq(ai[0].addr.port, 80);
    tapir_freeaddrinfo(ai);

    n = tapir_getaddrinfo("v4only.test", NULL, TAPIR_AF_INET6, 0, 0, 0, &ai);
    cr_assert_eq(n, -1);
    cr_assert_str_eq(tapir_strerror(), "[Errno -5] No address associated with hostname");
    n = tapir_getaddrinfo("v4only.test", NULL, TAPIR_AF_INET6, TAPIR_SOCK_DGRAM, 0, TAPIR_AI_V4MAPPED, &ai);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(ai[0].addr.host, "::ffff:198.18.0.8");
    tapir_freeaddrinfo(ai);

    cr_assert_eq(tapir_getaddrinfo("nope.test", "80", 0, 0, 0, 0, &ai), -1);
    cr_assert_eq(tapir_last_error()->kind, TAPIR_ERR_GAIERROR);
    cr_assert_str_eq(tapir_strerror(), "[Errno -2] Name or service not known");
    cr_assert_eq(tapir_getaddrinfo("a..b", "80", 0, 0, 0, 0, &ai), -1);
    cr_assert_eq(tapir_last_error()->kind, TAPIR_ERR_VALUE, "Python's UnicodeError from the idna codec");
    cr_assert_eq(tapir_getaddrinfo("www.example.test", "80", 0, 0, 0, TAPIR_AI_NUMERICHOST, &ai), -1);
    cr_assert_eq(tapir_errno(), TAPIR_EAI_NONAME);
}

Test(dns_netdb, hosts_file_first)
{
    tapir_addrinfo *ai;
    int n = tapir_getaddrinfo("HN", "22", TAPIR_AF_INET, TAPIR_SOCK_STREAM, 0, TAPIR_AI_CANONNAME, &ai);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(ai[0].addr.host, "198.18.0.50");
    cr_assert_str_eq(ai[0].canonname, "hostsname.test");
    tapir_freeaddrinfo(ai);
    cr_assert_eq(F.udp_queries[0] + F.udp_queries[1], 0, "no DNS for a name in the hosts file");
    tapir_hostent *h = tapir_gethostbyname_ex("hostsname.test");
    cr_assert_not_null(h);
    cr_assert_str_eq(h->name, "hostsname.test");
    cr_assert_eq(h->n_aliases, 1);
    cr_assert_str_eq(h->aliases[0], "hn");
    cr_assert_eq(h->n_addrs, 1);
    tapir_freehostent(h);
    char fq[256];
    tapir_getfqdn("hn", fq, sizeof fq);
    cr_assert_str_eq(fq, "hostsname.test");
}

Test(dns_netdb, timeouts_give_eai_again)
{
    F.b[0] = B_SILENT;
    F.b[1] = B_SILENT;
    tapir_addrinfo *ai;
    uint64_t t0 = F.now;
    cr_assert_eq(tapir_getaddrinfo_timeout("www.example.test", "80", TAPIR_AF_INET, 0, 0, 0, 1.5, &ai), -1);
    cr_assert_str_eq(tapir_strerror(), "[Errno -3] Temporary failure in name resolution");
    cr_assert_leq(F.now - t0, 1500000, "the call's own timeout bounds it");
}

Test(dns_netdb, gethostbyname_family)
{
    char ip[64];
    cr_assert_eq(tapir_gethostbyname("www.example.test", ip, sizeof ip), 0);
    cr_assert_str_eq(ip, "198.18.0.7");
    cr_assert_eq(tapir_gethostbyname("", ip, sizeof ip), 0);
    cr_assert_str_eq(ip, "0.0.0.0");
    cr_assert_eq(tapir_gethostbyname("<broadcast>", ip, sizeof ip), 0);
    cr_assert_str_eq(ip, "255.255.255.255");
    tapir_hostent *h = tapir_gethostbyname_ex("alias.example.test");
    cr_assert_not_null(h);
    cr_assert_str_eq(h->name, "www.example.test");
    cr_assert_eq(h->n_aliases, 2);
    cr_assert_str_eq(h->aliases[0], "alias.example.test");
    cr_assert_str_eq(h->addrs[0], "198.18.0.7");
    tapir_freehostent(h);
    cr_assert_null(tapir_gethostbyname_ex("nope.test"));
    cr_assert_eq(tapir_last_error()->kind, TAPIR_ERR_GAIERROR, "the address lookup fails first, as in CPython");
    h = tapir_gethostbyaddr("198.18.0.7");
    cr_assert_not_null(h);
    cr_assert_str_eq(h->name, "www.example.test");
    cr_assert_str_eq(h->addrs[0], "198.18.0.7");
    tapir_freehostent(h);
    cr_assert_null(tapir_gethostbyaddr("198.18.0.200"));
    cr_assert_eq(tapir_last_error()->kind, TAPIR_ERR_HERROR);
    cr_assert_str_eq(tapir_strerror(), "[Errno 1] Unknown host");
}

Test(dns_netdb, getnameinfo_names)
{
    char host[TAPIR_NI_MAXHOST], serv[TAPIR_NI_MAXSERV];
    cr_assert_eq(tapir_getnameinfo(TAPIR_ADDR("198.18.0.7", 80), 0, host, sizeof host, serv, sizeof serv), 0);
    cr_assert_str_eq(host, "www.example.test");
    cr_assert_str_eq(serv, "http");
    tapir_sethostname("me.example.test");
    cr_assert_eq(tapir_getnameinfo(TAPIR_ADDR("198.18.0.7", 53), TAPIR_NI_NOFQDN | TAPIR_NI_DGRAM, host,
                                   sizeof host, serv, sizeof serv), 0);
    cr_assert_str_eq(host, "www");
    cr_assert_str_eq(serv, "domain");
    cr_assert_eq(tapir_getnameinfo(TAPIR_ADDR("198.18.0.200", 80), 0, host, sizeof host, serv, sizeof serv), 0);
    cr_assert_str_eq(host, "198.18.0.200", "no name: the number");
    cr_assert_eq(tapir_getnameinfo(TAPIR_ADDR("198.18.0.200", 80), TAPIR_NI_NAMEREQD, host, sizeof host, serv,
                                   sizeof serv), -1);
    cr_assert_eq(tapir_errno(), TAPIR_EAI_NONAME);
}

Test(dns_netdb, services_errors_like_python)
{
    cr_assert_eq(tapir_getservbyname("domain", "udp"), 53);
    cr_assert_eq(tapir_getservbyname("nope", NULL), -1);
    cr_assert_str_eq(tapir_strerror(), "service/proto not found");
    char name[32];
    cr_assert_eq(tapir_getservbyport(99999, NULL, name, sizeof name), -1);
    cr_assert_eq(tapir_last_error()->kind, TAPIR_ERR_OVERFLOW);
    cr_assert_str_eq(tapir_strerror(), "getservbyport: port must be 0-65535.");
    cr_assert_eq(tapir_getprotobyname("tcp"), 6);
    cr_assert_eq(tapir_getprotobyname("nope"), -1);
    cr_assert_str_eq(tapir_strerror(), "protocol not found");
}

Test(dns_netdb, socket_hook)
{
    struct ipaddr out[8];
    cr_assert_eq(tapir_resolver_hook("www.example.test", TAPIR_AF_INET, out, 8), 1);
    cr_assert_eq(out[0].v4, IP4(198, 18, 0, 7));
    cr_assert_eq(tapir_resolver_hook("nope.test", TAPIR_AF_INET, out, 8), TAPIR_EAI_NONAME);
}
