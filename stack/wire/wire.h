/* Shared pieces of the wire codecs: big-endian field access and the parse
 * results every codec returns.
 *
 * The codecs follow smoltcp's split: a *parse* function checks a byte buffer
 * and fills a validated, host-order struct (the "representation"); an *emit*
 * function writes such a struct back as bytes.  Network byte order exists
 * only in stack/wire/; the rest of the stack sees host-order structs.
 */
#ifndef TAPIR_STACK_WIRE_WIRE_H
#define TAPIR_STACK_WIRE_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* Why a parse failed; callers turn these into drop counters. */
enum wire_err {
    WIRE_OK = 0,
    WIRE_ETRUNC = -1,    /* buffer shorter than the header or the length it claims */
    WIRE_EVERSION = -2,  /* version / hardware / protocol type we do not speak */
    WIRE_EHDR = -3,      /* header length field or options malformed */
    WIRE_ELEN = -4,      /* a length field inconsistent with the buffer */
    WIRE_ECSUM = -5,     /* checksum mismatch */
    WIRE_EVALUE = -6,    /* a field holds a value that is never valid */
};

static inline uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

#endif
