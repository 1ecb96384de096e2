/* DNS messages on the wire (RFC 1035 section 4, RFC 3596 for AAAA, RFC 6891
 * for the EDNS0 OPT record): building queries and parsing responses.
 *
 * Pure code: no I/O, no allocation, no globals.  The parser treats every
 * message as hostile (NAME:WRECK, CVE-2020-7461 and friends were all DNS
 * parsers trusting a count, a length or a compression pointer):
 *   - every read is bounds-checked against the message length;
 *   - a compression pointer must point strictly before the start of the
 *     name segment that contains it, so the targets of one name strictly
 *     decrease and a walk always ends (loops and forward pointers rejected);
 *   - a name may not exceed 255 octets (uncompressed) nor a label 63;
 *     label types 01 and 10 (RFC 6891's extended labels, obsolete) rejected;
 *   - the section counts must describe the message exactly: records that
 *     run past the end, or bytes left over after the last record, are both
 *     "counts that lie" and the message is rejected;
 *   - rdata of known types must have its exact shape (A is 4 bytes, AAAA 16,
 *     a CNAME/PTR/NS name fills its rdata exactly, SOA is two names + 20).
 *
 * The parser keeps views: offsets into the caller's buffer (the smoltcp
 * idea), so a parsed message costs a few bytes per record and names are
 * decoded on demand with dns_name_read(), which re-applies the same checks.
 *
 * Names exist in two forms here:
 *   wire: uncompressed label sequence ending with the root label (max 255);
 *   text: dotted, no trailing dot ("." for the root), with '.', '\\' and
 *         bytes outside 0x21..0x7e escaped as \. \\ \DDD (RFC 1035 5.1).
 */
#ifndef TAPIR_API_DNS_WIRE_H
#define TAPIR_API_DNS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_HDR_LEN        12
#define DNS_MAX_NAME       255   /* octets of a wire name, root label included */
#define DNS_MAX_LABEL      63
#define DNS_MAX_PTR_HOPS   64    /* compression pointers followed in one name (belt and braces:
                                    decreasing targets already bound the walk) */
#define DNS_TEXT_MAX       1024  /* a text name with every byte escaped as \DDD, plus NUL */
#define DNS_UDP_MAX        512   /* RFC 1035 4.2.1: UDP payload without EDNS0 */
#define DNS_TCP_MAX        65535

/* Types and classes tapir uses (RFC 1035 3.2.2, RFC 3596, RFC 6891). */
#define DNS_T_A     1
#define DNS_T_NS    2
#define DNS_T_CNAME 5
#define DNS_T_SOA   6
#define DNS_T_PTR   12
#define DNS_T_AAAA  28
#define DNS_T_OPT   41
#define DNS_C_IN    1

/* Header flag bits (RFC 1035 4.1.1). */
#define DNS_F_QR     0x8000
#define DNS_F_OPCODE 0x7800
#define DNS_F_AA     0x0400
#define DNS_F_TC     0x0200
#define DNS_F_RD     0x0100
#define DNS_F_RA     0x0080
#define DNS_F_RCODE  0x000f

#define DNS_R_NOERROR  0
#define DNS_R_FORMERR  1
#define DNS_R_SERVFAIL 2
#define DNS_R_NXDOMAIN 3
#define DNS_R_NOTIMP   4
#define DNS_R_REFUSED  5

/* Why a message or a name was rejected (negative return values). */
enum dns_err {
    DNS_OK = 0,
    DNS_E_SHORT = -1,        /* a read ran past the end of the message */
    DNS_E_PTR_LOOP = -2,     /* too many pointer hops */
    DNS_E_PTR_FORWARD = -3,  /* pointer to itself, forward, or not before its segment */
    DNS_E_LABEL_TYPE = -4,   /* label type 01 / 10 */
    DNS_E_NAME_LONG = -5,    /* name over 255 octets */
    DNS_E_COUNT = -6,        /* section counts do not describe the message (bytes left over) */
    DNS_E_RDATA = -7,        /* rdata of a known type has the wrong shape */
    DNS_E_QDCOUNT = -8,      /* more than one question */
    DNS_E_TOO_MANY = -9,     /* more records than the caller's array holds */
    DNS_E_TEXT = -10,        /* a text name that is not a valid name (empty label, too long, bad escape) */
    DNS_E_SPACE = -11,       /* the output buffer is too small */
    DNS_E_NOT_RESPONSE = -12,/* QR clear, or an opcode other than QUERY */
};
const char *dns_strerror(int err);

struct dns_header {
    uint16_t id, flags, qdcount, ancount, nscount, arcount;
};

/* One resource record, as offsets into the message. */
struct dns_rr {
    uint16_t name_off;       /* owner name (may be compressed) */
    uint16_t type, rclass;
    uint32_t ttl;            /* as sent (RFC 2181 8: a value with the top bit set means 0) */
    uint16_t rdlen;
    uint16_t rdata_off;
    uint8_t section;         /* 1 answer, 2 authority, 3 additional */
};

struct dns_msg {
    const uint8_t *buf;
    size_t len;
    struct dns_header h;
    bool has_question;
    uint16_t q_name_off, qtype, qclass;
    struct dns_rr *rr;       /* the caller's array: answers, then authority, then additional */
    size_t n_rr;
    bool edns;               /* an OPT record was present in the additional section */
    uint16_t edns_udp_size;
    uint8_t edns_ext_rcode;
};

/* ---- names ---- */

/* Text -> uncompressed wire.  Accepts an optional trailing dot and the escapes
 * above.  Returns the wire length, or DNS_E_TEXT / DNS_E_NAME_LONG. */
int dns_name_from_text(const char *text, uint8_t wire[DNS_MAX_NAME]);
/* Wire (uncompressed, well formed) -> text.  Returns the text length or DNS_E_SPACE. */
int dns_name_to_text(const uint8_t *wire, char *text, size_t cap);
/* Reads a possibly compressed name at off in msg.  Writes the uncompressed
 * wire form (if wire != NULL) and the offset just after the name as it sits
 * at off (if next != NULL).  Returns the wire length or a dns_err. */
int dns_name_read(const uint8_t *msg, size_t len, size_t off, uint8_t wire[DNS_MAX_NAME],
                  size_t *next);
/* Case-insensitive comparison of two wire names (RFC 4343: ASCII only). */
bool dns_name_eq(const uint8_t *a, const uint8_t *b);
size_t dns_name_wire_len(const uint8_t *wire);
/* The reverse-lookup name for an address (RFC 1035 3.5, RFC 3596 2.5):
 * "4.3.2.1.in-addr.arpa" / nibbles ".ip6.arpa".  family: 2 or 10. */
int dns_reverse_name(int family, const uint8_t *addr, char *text, size_t cap);

/* ---- queries ---- */

/* Builds a standard query (opcode QUERY, RD set) for name/type/class IN.
 * edns_udp_size > 0 adds an OPT record advertising that payload size.
 * Returns the message length or a dns_err. */
int dns_build_query(uint8_t *buf, size_t cap, uint16_t id, const uint8_t *qname_wire, uint16_t qtype,
                    uint16_t edns_udp_size);

/* ---- responses ---- */

/* Reads the 12-byte header alone (for ID matching before a full parse). */
int dns_parse_header(const uint8_t *buf, size_t len, struct dns_header *h);
/* Parses and validates a whole response (QR set, opcode QUERY, at most one
 * question).  rr/max_rr: where the records go. Returns DNS_OK or a dns_err. */
int dns_parse(const uint8_t *buf, size_t len, struct dns_msg *m, struct dns_rr *rr, size_t max_rr);
/* Does the response answer our question: same ID, one question with the same
 * name (ignoring case), type and class? */
bool dns_matches_query(const struct dns_msg *m, uint16_t id, const uint8_t *qname_wire,
                       uint16_t qtype);

static inline int dns_rcode(const struct dns_msg *m)
{
    return (m->h.flags & DNS_F_RCODE) | (m->edns_ext_rcode << 4);
}
static inline uint32_t dns_ttl(uint32_t ttl)
{
    return ttl & 0x80000000u ? 0 : ttl;
}

/* ---- answers ---- */

/* What a response says about (qname, qtype), following the CNAME chain in the
 * answer section (at most max_chain links; a longer or looping chain is an
 * error).  Records of qtype whose owner is the end of the chain are collected
 * (their rdata offsets into rr_idx, up to max_out). */
#define DNS_MAX_CHAIN_RECORDED 16
struct dns_answer {
    int rcode;
    uint8_t cname[DNS_MAX_NAME];     /* end of the chain (= qname if no CNAME) */
    int chain_len;                   /* CNAME links followed */
    size_t chain_rr[DNS_MAX_CHAIN_RECORDED]; /* their indices in m->rr, in order */
    size_t n;                        /* records of qtype found */
    uint32_t ttl;                    /* min TTL over the chain and the records */
    bool negative_ttl_known;         /* an SOA in authority gave a negative TTL */
    uint32_t negative_ttl;           /* min(SOA TTL, SOA MINIMUM) (RFC 2308 5) */
};
#define DNS_E_CHAIN (-20)            /* CNAME chain too long or looping */
int dns_answer_extract(const struct dns_msg *m, const uint8_t *qname_wire, uint16_t qtype,
                       int max_chain, struct dns_answer *out, size_t *rr_idx, size_t max_out);

/* The big-endian readers the codec uses, for callers reading rdata. */
static inline uint16_t dns_rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}
static inline uint32_t dns_rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- building responses (tests and fake servers) ---- */

/* A small writer with name compression off: enough for test servers and the
 * mutation tests to craft messages.  Each call returns 0 or DNS_E_SPACE. */
struct dns_writer {
    uint8_t *buf;
    size_t cap, len;
    int err;
};
void dns_w_init(struct dns_writer *w, uint8_t *buf, size_t cap);
void dns_w_header(struct dns_writer *w, const struct dns_header *h);
void dns_w_bytes(struct dns_writer *w, const void *p, size_t n);
void dns_w_u16(struct dns_writer *w, uint16_t v);
void dns_w_u32(struct dns_writer *w, uint32_t v);
void dns_w_name(struct dns_writer *w, const char *text);
void dns_w_question(struct dns_writer *w, const char *name, uint16_t type);
/* An RR with rdata given as bytes. */
void dns_w_rr(struct dns_writer *w, const char *name, uint16_t type, uint32_t ttl, const void *rdata,
              uint16_t rdlen);
/* An RR whose rdata is a name (CNAME, PTR, NS). */
void dns_w_rr_name(struct dns_writer *w, const char *name, uint16_t type, uint32_t ttl,
                   const char *target);
void dns_w_rr_soa(struct dns_writer *w, const char *name, uint32_t ttl, uint32_t minimum);

#endif
