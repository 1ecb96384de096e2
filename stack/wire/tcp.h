/* The TCP header (RFC 9293 section 3.1) and its options, as a codec: parse
 * a segment's bytes into a validated host-order struct, and write one back.
 * Network byte order lives only here.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-------------------------------+-------------------------------+
 *   |          Source Port          |       Destination Port        |
 *   +-------------------------------+-------------------------------+
 *   |                        Sequence Number                        |
 *   +---------------------------------------------------------------+
 *   |                    Acknowledgment Number                      |
 *   +-------+-------+-+-+-+-+-+-+-+-+-------------------------------+
 *   |  Data |       |C|E|U|A|P|R|S|F|                               |
 *   | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
 *   +-------+-------+-+-+-+-+-+-+-+-+-------------------------------+
 *   |           Checksum            |         Urgent Pointer        |
 *   +-------------------------------+-------------------------------+
 *   |                    Options (0-40 bytes)                       |
 *
 * Options we know: EOL (0), NOP (1), MSS (2, RFC 9293), window scale (3,
 * RFC 7323), SACK-permitted (4) and SACK (5, RFC 2018), timestamps (8,
 * RFC 7323), Fast Open (34, RFC 7413).  Unknown kinds are skipped by their length.  A length byte that
 * is < 2 or runs past the header makes the whole segment invalid (RFC 9293
 * 3.1: "MUST be prepared to handle an illegal option length"); a known option
 * with the wrong fixed length is ignored, as Linux does.
 */
#ifndef TAPIR_STACK_WIRE_TCP_H
#define TAPIR_STACK_WIRE_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stack/addr.h"

#define TCP_HDR_LEN     20
#define TCP_MAX_OPT_LEN 40

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20
#define TCP_ECE 0x40
#define TCP_CWR 0x80

#define TCPOPT_EOL       0
#define TCPOPT_NOP       1
#define TCPOPT_MSS       2
#define TCPOPT_WSCALE    3
#define TCPOPT_SACK_PERM 4
#define TCPOPT_SACK      5
#define TCPOPT_TS        8
#define TCPOPT_FASTOPEN  34  /* RFC 7413 4.1.1: TCP Fast Open cookie */

#define TCP_MAX_WSCALE   14  /* RFC 7323 2.3: larger shifts are treated as 14 */
#define TCP_MAX_SACK     4   /* blocks that fit in 40 bytes of options */
/* RFC 7413 4.1.1: a Fast Open cookie is 4 to 16 bytes, an even number (Linux
 * TCP_FASTOPEN_COOKIE_MIN/MAX); an empty option (length 2) asks for one. */
#define TCP_FO_COOKIE_MIN 4
#define TCP_FO_COOKIE_MAX 16

struct tcp_sack_block {
    uint32_t start, end;     /* [start, end) in sequence space */
};

/* The options of one segment, host order.  The *_ok flags say which ones are
 * present; values are meaningful only then. */
struct tcp_opts {
    bool mss_ok, ws_ok, sack_perm, ts_ok;
    uint16_t mss;
    uint8_t ws;              /* as received: the caller clamps to 14 */
    uint32_t tsval, tsecr;
    uint8_t n_sack;
    struct tcp_sack_block sack[TCP_MAX_SACK];
    /* Fast Open (RFC 7413): fo_ok with fo_len 0 is a cookie request, else
     * fo_cookie[0..fo_len) is the cookie.  A malformed length is ignored. */
    bool fo_ok;
    uint8_t fo_len;
    uint8_t fo_cookie[TCP_FO_COOKIE_MAX];
};

/* A parsed header. */
struct tcp_hdr {
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t hdr_len;         /* data offset in bytes: 20..60 */
    uint8_t flags;           /* TCP_FIN ... TCP_CWR */
    uint16_t win;            /* as on the wire, not yet scaled */
    uint16_t csum;
    uint16_t urg;
    struct tcp_opts opt;
};

/* Parses and validates seg[0..len).  Returns 0, or -1 when the segment is
 * malformed (shorter than its header, data offset < 5 or past the end, an
 * option with a bad length).  The checksum is not checked here. */
int tcp_hdr_parse(const uint8_t *seg, size_t len, struct tcp_hdr *h);

/* Parses only the option bytes (what tcp_hdr_parse calls). 0 or -1. */
int tcp_opts_parse(const uint8_t *p, size_t len, struct tcp_opts *o);

/* Bytes the options in o take when written by tcp_opts_write (a multiple of 4). */
size_t tcp_opts_len(const struct tcp_opts *o);

/* Writes the options in Linux's layout, which packetdrill scripts expect:
 *   MSS; then timestamps as "sackOK,TS" (SYN with both) or "nop,nop,TS";
 *   SACK-permitted without TS as "nop,nop,sackOK"; window scale as
 *   "nop,wscale"; SACK blocks as "nop,nop,sack ..."; Fast Open last, as
 *   "FO <cookie>" padded with NOPs to a multiple of 4.
 * buf must hold tcp_opts_len(o) bytes.  Returns the length written. */
size_t tcp_opts_write(uint8_t *buf, const struct tcp_opts *o);

/* Writes a header (with options) at buf, checksum field zero. h->hdr_len is
 * ignored: it is computed from the options.  Returns the header length. */
size_t tcp_hdr_write(uint8_t *buf, const struct tcp_hdr *h);

/* The checksum of a whole segment with the pseudo-header (RFC 9293 3.1). To
 * verify a received segment: tcp_checksum(...) == 0.  To fill one: write the
 * header with csum 0, then store tcp_checksum() at offset 16 (tcp_set_checksum). */
uint16_t tcp_checksum(const struct ipaddr *src, const struct ipaddr *dst, const uint8_t *seg,
                      size_t len);
void tcp_set_checksum(const struct ipaddr *src, const struct ipaddr *dst, uint8_t *seg, size_t len);

#endif
