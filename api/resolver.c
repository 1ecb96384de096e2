/* The stub resolver (RFC 1035 7, RFC 1123 6.1.3, RFC 2308, RFC 5452).
 *
 * One lookup = cache, then the name servers:
 *   for attempt in 0 .. attempts-1:          (resolv.conf "attempts")
 *     for each server (from a rotating start with "options rotate"):
 *       a fresh UDP socket on a random port, a random 16-bit ID (RFC 5452 9.2);
 *       wait timeout << attempt (exponential backoff, capped), never past
 *       the caller's deadline;
 *       answers whose ID or question do not match ours are ignored and
 *       the wait goes on (RFC 5452 4: spoofed or stale);
 *       a matched answer with TC set is asked again over TCP (RFC 1035 4.2.2,
 *       RFC 7766 5);
 *       a matched answer that does not parse, SERVFAIL, REFUSED, NOTIMP or
 *       FORMERR: this server failed, on to the next;
 *       NOERROR / NXDOMAIN: done.
 * The answer's CNAME chain is followed (bounded; a chain that ends without
 * data and without an SOA is queried again at its end), and the result is
 * cached for its TTL, negative answers for the SOA-derived negative TTL
 * (RFC 2308 5) and not at all without an SOA.
 *
 * The lock guards the configuration, the cache and the counters only: the
 * network waits happen without it, so threads resolve concurrently.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/resolver_int.h"

struct cache_entry {
    bool used;
    uint16_t qtype;
    char key[DNS_TEXT_MAX / 4];      /* lowercased text name */
    uint64_t expires_us;
    struct dns_result *res;
};

static void trace(struct dns_resolver *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void trace(struct dns_resolver *r, const char *fmt, ...)
{
    if (!r->trace)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    r->trace(r->trace_ctx, line);
}

static const char *type_name(uint16_t t)
{
    switch (t) {
    case DNS_T_A: return "A";
    case DNS_T_AAAA: return "AAAA";
    case DNS_T_PTR: return "PTR";
    case DNS_T_CNAME: return "CNAME";
    default: return "?";
    }
}

static const char *rcode_name(int rc)
{
    static const char *names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"};
    return rc >= 0 && rc < 6 ? names[rc] : "RCODE?";
}

void dns_resolver_init(struct dns_resolver *r, const struct dns_transport *tr)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->lock, NULL);
    resolv_conf_defaults(&r->conf);
    r->tr = *tr;
    r->cache = calloc(RESOLV_CACHE_MAX, sizeof *r->cache);
}

void dns_resolver_flush(struct dns_resolver *r)
{
    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; r->cache && i < RESOLV_CACHE_MAX; i++) {
        free(r->cache[i].res);
        memset(&r->cache[i], 0, sizeof r->cache[i]);
    }
    r->n_cache = 0;
    pthread_mutex_unlock(&r->lock);
}

void dns_resolver_destroy(struct dns_resolver *r)
{
    dns_resolver_flush(r);
    free(r->cache);
    r->cache = NULL;
    pthread_mutex_destroy(&r->lock);
}

/* ---- cache ---- */

static void cache_key(const char *name, char *key, size_t cap)
{
    size_t i = 0;
    for (; name[i] && i + 1 < cap; i++)
        key[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
    if (i > 1 && key[i - 1] == '.')
        i--;
    key[i] = '\0';
}

/* Under r->lock. */
static bool cache_get(struct dns_resolver *r, const char *name, uint16_t qtype, uint64_t now,
                      struct dns_result *out)
{
    char key[DNS_TEXT_MAX / 4];
    if (!r->cache || r->conf.no_cache)
        return false;
    cache_key(name, key, sizeof key);
    for (size_t i = 0; i < RESOLV_CACHE_MAX; i++) {
        struct cache_entry *e = &r->cache[i];
        if (!e->used || e->qtype != qtype || strcmp(e->key, key) != 0)
            continue;
        if (now >= e->expires_us) { /* expired: drop it */
            free(e->res);
            memset(e, 0, sizeof *e);
            r->n_cache--;
            return false;
        }
        *out = *e->res;
        out->from_cache = true;
        if (out->status == 0)
            r->stats.cache_hits++;
        else
            r->stats.cache_neg_hits++;
        return true;
    }
    return false;
}

/* Under r->lock. ttl_s 0: not cached. */
static void cache_put(struct dns_resolver *r, const char *name, uint16_t qtype, uint64_t now,
                      uint32_t ttl_s, const struct dns_result *res)
{
    if (!r->cache || r->conf.no_cache || ttl_s == 0)
        return;
    char key[DNS_TEXT_MAX / 4];
    cache_key(name, key, sizeof key);
    struct cache_entry *slot = NULL, *soonest = NULL;
    for (size_t i = 0; i < RESOLV_CACHE_MAX; i++) {
        struct cache_entry *e = &r->cache[i];
        if (e->used && e->qtype == qtype && strcmp(e->key, key) == 0) {
            slot = e; /* replace */
            break;
        }
        if (!e->used && !slot)
            slot = e;
        if (e->used && (!soonest || e->expires_us < soonest->expires_us))
            soonest = e;
    }
    if (!slot) { /* full: the entry that would expire first goes */
        slot = soonest;
        r->stats.cache_evictions++;
    }
    if (!slot->used)
        r->n_cache++;
    if (!slot->res && !(slot->res = malloc(sizeof *slot->res))) {
        if (!slot->used)
            r->n_cache--;
        return;
    }
    slot->used = true;
    slot->qtype = qtype;
    snprintf(slot->key, sizeof slot->key, "%s", key);
    slot->expires_us = now + (uint64_t)ttl_s * 1000000u;
    *slot->res = *res;
    slot->res->from_cache = false;
}

/* ---- one exchange with the servers ---- */

enum got { GOT_NOTHING, GOT_ANSWER, GOT_TRUNCATED, GOT_BAD };

struct wait_ctx {
    struct dns_resolver *r;
    uint16_t id, qtype;
    const uint8_t *qname;
    uint8_t *resp;
    size_t cap, len;
    enum got got;
};

/* Does this datagram answer our question?  Only the header and the question
 * are read to decide: the rest is parsed later, and a matched answer that
 * does not parse counts against the server, not as silence. */
static bool question_matches(const uint8_t *msg, size_t len, uint16_t id, const uint8_t *qname,
                             uint16_t qtype)
{
    struct dns_header h;
    uint8_t w[DNS_MAX_NAME];
    size_t next;
    if (dns_parse_header(msg, len, &h) < 0 || h.id != id || !(h.flags & DNS_F_QR) || h.qdcount != 1)
        return false;
    if (dns_name_read(msg, len, DNS_HDR_LEN, w, &next) < 0 || next + 4 > len)
        return false;
    return dns_name_eq(w, qname) && dns_rd16(msg + next) == qtype && dns_rd16(msg + next + 2) == DNS_C_IN;
}

static bool accept_udp(void *arg, const uint8_t *msg, size_t len)
{
    struct wait_ctx *w = arg;
    if (!question_matches(msg, len, w->id, w->qname, w->qtype)) {
        pthread_mutex_lock(&w->r->lock);
        if (len < DNS_HDR_LEN)
            w->r->stats.rx_bad++;
        else
            w->r->stats.rx_mismatch++;
        pthread_mutex_unlock(&w->r->lock);
        trace(w->r, ";; ignored a %zu-byte datagram: not an answer to our question", len);
        return false;
    }
    if (len > w->cap)
        len = w->cap;
    memcpy(w->resp, msg, len);
    w->len = len;
    w->got = dns_rd16(msg + 2) & DNS_F_TC ? GOT_TRUNCATED : GOT_ANSWER;
    return true;
}

static void endpoint_text(const struct endpoint *ep, char *buf, size_t cap)
{
    char a[IPADDR_STRLEN];
    ipaddr_str(&ep->addr, a);
    snprintf(buf, cap, "%s#%u", a, ep->port);
}

/* Asks the servers.  On success resp/len hold a parsed response (in m) whose
 * rcode is NOERROR or NXDOMAIN and 0 is returned; else an EAI_* code. */
static int ask_servers(struct dns_resolver *r, const struct resolv_conf *conf, const uint8_t *qname,
                       uint16_t qtype, uint64_t deadline, uint8_t *resp, size_t *resp_len,
                       struct dns_msg *m, struct dns_rr *rrs)
{
    char qtext[DNS_TEXT_MAX];
    dns_name_to_text(qname, qtext, sizeof qtext);
    if (conf->n_servers == 0) {
        /* No DNS configured (tapir's default): names come from the hosts
         * file alone, and a name not there is unknown, as on a host whose
         * nsswitch says "hosts: files". */
        trace(r, ";; no name servers configured");
        return TAPIR_EAI_NONAME;
    }
    unsigned start = 0;
    pthread_mutex_lock(&r->lock);
    r->stats.queries++;
    if (conf->rotate)
        start = r->next_server++;
    pthread_mutex_unlock(&r->lock);
    bool fatal = false; /* a server said FORMERR / NOTIMP (or its answer was malformed) */
    for (int attempt = 0; attempt < conf->attempts; attempt++) {
        for (int k = 0; k < conf->n_servers; k++) {
            const struct endpoint *srv = &conf->servers[(start + (unsigned)k) % (unsigned)conf->n_servers];
            char stext[64];
            endpoint_text(srv, stext, sizeof stext);
            uint64_t now = r->tr.now_us(r->tr.ctx);
            if (now >= deadline) {
                trace(r, ";; deadline reached");
                return TAPIR_EAI_AGAIN;
            }
            uint64_t wait_ms = (uint64_t)conf->timeout_ms << attempt;
            if (wait_ms > RESOLV_MAX_TIMEOUT_MS)
                wait_ms = RESOLV_MAX_TIMEOUT_MS;
            uint64_t try_deadline = now + wait_ms * 1000;
            if (try_deadline > deadline)
                try_deadline = deadline;
            uint16_t id = r->tr.random16(r->tr.ctx);
            uint8_t q[DNS_HDR_LEN + DNS_MAX_NAME + 4 + 11];
            int qlen = dns_build_query(q, sizeof q, id, qname, qtype, conf->edns0 ? RESOLV_EDNS_UDP_SIZE : 0);
            if (qlen < 0)
                return TAPIR_EAI_FAIL;
            struct wait_ctx w = {r, id, qtype, qname, resp, DNS_TCP_MAX, 0, GOT_NOTHING};
            uint64_t t0 = now;
            if (!conf->use_vc) {
                trace(r, ";; %s? %s to %s over UDP (id %u, wait %llu ms)", type_name(qtype), qtext,
                      stext, id, (unsigned long long)((try_deadline - now) / 1000));
                pthread_mutex_lock(&r->lock);
                r->stats.udp_sent++;
                pthread_mutex_unlock(&r->lock);
                int e = r->tr.udp(r->tr.ctx, srv, q, (size_t)qlen, try_deadline, accept_udp, &w);
                if (e < 0) {
                    pthread_mutex_lock(&r->lock);
                    if (e == -110)
                        r->stats.timeouts++;
                    pthread_mutex_unlock(&r->lock);
                    trace(r, ";; %s from %s", e == -110 ? "no answer" : "error", stext);
                    continue;
                }
            }
            if (conf->use_vc || w.got == GOT_TRUNCATED) {
                trace(r, conf->use_vc ? ";; %s? %s to %s over TCP (id %u)"
                                      : ";; truncated answer: %s? %s to %s again over TCP (id %u)",
                      type_name(qtype), qtext, stext, id);
                pthread_mutex_lock(&r->lock);
                r->stats.tcp_sent++;
                r->stats.tc_retries += w.got == GOT_TRUNCATED;
                pthread_mutex_unlock(&r->lock);
                now = r->tr.now_us(r->tr.ctx);
                uint64_t tcp_deadline = now + wait_ms * 1000;
                if (tcp_deadline > deadline)
                    tcp_deadline = deadline;
                ssize_t n = r->tr.tcp(r->tr.ctx, srv, q, (size_t)qlen, resp, DNS_TCP_MAX, tcp_deadline);
                if (n < 0) {
                    trace(r, ";; TCP to %s failed (%d)", stext, (int)n);
                    continue;
                }
                if (!question_matches(resp, (size_t)n, id, qname, qtype)) {
                    pthread_mutex_lock(&r->lock);
                    r->stats.rx_mismatch++;
                    pthread_mutex_unlock(&r->lock);
                    trace(r, ";; TCP answer from %s does not match the question", stext);
                    continue;
                }
                w.len = (size_t)n;
            }
            int pe = dns_parse(resp, w.len, m, rrs, RESOLV_MAX_RRS);
            if (pe < 0) {
                pthread_mutex_lock(&r->lock);
                r->stats.rx_bad++;
                r->stats.server_errors++;
                pthread_mutex_unlock(&r->lock);
                trace(r, ";; malformed answer from %s: %s", stext, dns_strerror(pe));
                fatal = true;
                continue;
            }
            int rc = dns_rcode(m);
            trace(r, ";; %s from %s in %.1f ms: %u answer(s), %u authority, %u additional", rcode_name(rc),
                  stext, (double)(r->tr.now_us(r->tr.ctx) - t0) / 1000.0, m->h.ancount, m->h.nscount,
                  m->h.arcount);
            if (rc == DNS_R_NOERROR || rc == DNS_R_NXDOMAIN) {
                *resp_len = w.len;
                return 0;
            }
            pthread_mutex_lock(&r->lock);
            r->stats.server_errors++;
            pthread_mutex_unlock(&r->lock);
            if (rc == DNS_R_FORMERR || rc == DNS_R_NOTIMP)
                fatal = true;
        }
    }
    return fatal ? TAPIR_EAI_FAIL : TAPIR_EAI_AGAIN;
}

/* ---- lookups ---- */

static void add_alias(struct dns_result *out, const uint8_t *wire)
{
    if (out->n_aliases >= RESOLV_MAX_CHAIN)
        return;
    if (dns_name_to_text(wire, out->aliases[out->n_aliases], sizeof out->aliases[0]) > 0)
        out->n_aliases++;
}

void dns_resolve(struct dns_resolver *r, const char *name, uint16_t qtype, uint64_t deadline_us,
                 struct dns_result *out)
{
    memset(out, 0, sizeof *out);
    uint8_t qname[DNS_MAX_NAME];
    if (dns_name_from_text(name, qname) < 0) {
        out->status = TAPIR_EAI_NONAME;
        return;
    }
    struct resolv_conf conf;
    uint64_t now = r->tr.now_us(r->tr.ctx);
    pthread_mutex_lock(&r->lock);
    conf = r->conf;
    bool hit = cache_get(r, name, qtype, now, out);
    pthread_mutex_unlock(&r->lock);
    if (hit) {
        trace(r, ";; %s %s from the cache: %s", type_name(qtype), name,
              out->status == 0 ? "found" : "negative");
        return;
    }
    uint8_t *resp = malloc(DNS_TCP_MAX);
    struct dns_rr *rrs = malloc(RESOLV_MAX_RRS * sizeof *rrs);
    if (!resp || !rrs) {
        free(resp);
        free(rrs);
        out->status = TAPIR_EAI_MEMORY;
        return;
    }
    uint32_t ttl = UINT32_MAX;
    int chain = 0;
    uint8_t cur[DNS_MAX_NAME];
    memcpy(cur, qname, sizeof cur);
    for (;;) {
        struct dns_msg m;
        size_t len = 0;
        int st = ask_servers(r, &conf, cur, qtype, deadline_us, resp, &len, &m, rrs);
        if (st != 0) {
            out->status = st; /* failures are not cached */
            goto done;
        }
        struct dns_answer a;
        size_t idx[RESOLV_MAX_ADDRS];
        size_t max_out = qtype == DNS_T_PTR ? RESOLV_MAX_PTR : RESOLV_MAX_ADDRS;
        int e = dns_answer_extract(&m, cur, qtype, RESOLV_MAX_CHAIN - chain, &a, idx, max_out);
        if (e < 0) {
            trace(r, ";; %s", dns_strerror(e));
            out->status = TAPIR_EAI_FAIL;
            goto done;
        }
        for (int i = 0; i < a.chain_len; i++) {
            uint8_t w[DNS_MAX_NAME];
            if (dns_name_read(m.buf, m.len, m.rr[a.chain_rr[i]].name_off, w, NULL) > 0)
                add_alias(out, w);
        }
        chain += a.chain_len;
        if (a.ttl < ttl)
            ttl = a.ttl;
        dns_name_to_text(a.cname, out->canon, sizeof out->canon);
        for (size_t i = 0; i < a.n; i++) {
            const struct dns_rr *rr = &rrs[idx[i]];
            const uint8_t *rd = m.buf + rr->rdata_off;
            if (qtype == DNS_T_A) {
                out->addrs[out->n++] = ip4(dns_rd32(rd));
            } else if (qtype == DNS_T_AAAA) {
                out->addrs[out->n++] = ip6(rd);
            } else {
                uint8_t w[DNS_MAX_NAME];
                if (dns_name_read(m.buf, m.len, rr->rdata_off, w, NULL) > 0 &&
                    dns_name_to_text(w, out->names[out->n], sizeof out->names[0]) > 0)
                    out->n++;
            }
        }
        if (a.n > 0) {
            out->status = 0;
            break;
        }
        if (a.rcode == DNS_R_NXDOMAIN || a.negative_ttl_known || a.chain_len == 0) {
            /* NXDOMAIN, or NODATA (RFC 2308 2.2: NOERROR, no data; an SOA or nothing). */
            out->status = a.rcode == DNS_R_NXDOMAIN ? TAPIR_EAI_NONAME : TAPIR_EAI_NODATA;
            ttl = a.negative_ttl_known ? (a.negative_ttl < ttl ? a.negative_ttl : ttl) : 0;
            if (ttl > RESOLV_NEG_MAX_TTL)
                ttl = RESOLV_NEG_MAX_TTL;
            trace(r, ";; %s: %s (negative TTL %s)", out->canon,
                  a.rcode == DNS_R_NXDOMAIN ? "no such name" : "no record of that type",
                  a.negative_ttl_known ? "from SOA" : "unknown: not cached");
            break;
        }
        /* The chain stops at a name the server did not resolve: ask for it. */
        if (chain >= RESOLV_MAX_CHAIN) {
            out->status = TAPIR_EAI_FAIL;
            goto done;
        }
        trace(r, ";; following the CNAME chain to %s", out->canon);
        memcpy(cur, a.cname, sizeof cur);
    }
    if (ttl == UINT32_MAX)
        ttl = 0;
    if (ttl > RESOLV_CACHE_MAX_TTL)
        ttl = RESOLV_CACHE_MAX_TTL;
    pthread_mutex_lock(&r->lock);
    cache_put(r, name, qtype, r->tr.now_us(r->tr.ctx), ttl, out);
    pthread_mutex_unlock(&r->lock);
done:
    if (!out->canon[0])
        snprintf(out->canon, sizeof out->canon, "%s", name);
    free(resp);
    free(rrs);
}

static int count_dots(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '.';
    return n;
}

void dns_resolve_search(struct dns_resolver *r, const char *name, uint16_t qtype, uint64_t deadline_us,
                        struct dns_result *out)
{
    size_t len = strlen(name);
    if (len == 0 || name[len - 1] == '.') { /* absolute: as it is, only */
        dns_resolve(r, name, qtype, deadline_us, out);
        return;
    }
    struct resolv_conf conf;
    pthread_mutex_lock(&r->lock);
    conf = r->conf;
    pthread_mutex_unlock(&r->lock);
    /* resolv.conf(5): with at least ndots dots the name is tried as it is
     * first, then with each search domain; with fewer, the other way round. */
    bool as_is_first = count_dots(name) >= conf.ndots;
    int as_is_status = 0, other_status = 0;
    bool any_again = false;
    struct dns_result *tmp = malloc(sizeof *tmp);
    memset(out, 0, sizeof *out);
    snprintf(out->canon, sizeof out->canon, "%s", name);
    if (!tmp) {
        out->status = TAPIR_EAI_MEMORY;
        return;
    }
    for (int step = 0; step <= conf.n_search; step++) {
        char full[DNS_TEXT_MAX];
        int which = as_is_first ? step - 1 : (step == conf.n_search ? -1 : step);
        if (which < 0)
            snprintf(full, sizeof full, "%s", name);
        else if (snprintf(full, sizeof full, "%s.%s", name, conf.search[which]) >= (int)sizeof full)
            continue;
        dns_resolve(r, full, qtype, deadline_us, tmp);
        if (tmp->status == 0) {
            *out = *tmp;
            free(tmp);
            return;
        }
        if (which < 0)
            as_is_status = tmp->status;
        else if (!other_status)
            other_status = tmp->status;
        any_again |= tmp->status == TAPIR_EAI_AGAIN;
        if (r->tr.now_us(r->tr.ctx) >= deadline_us)
            break;
    }
    free(tmp);
    out->status = as_is_status ? as_is_status : other_status ? other_status : TAPIR_EAI_AGAIN;
    /* glibc: a temporary failure anywhere outranks "no such name". */
    if (any_again && out->status == TAPIR_EAI_NONAME)
        out->status = TAPIR_EAI_AGAIN;
}
