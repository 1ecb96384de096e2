/* Randomness comes in from outside: the stack owns a generator seeded by its
 * creator (a fixed seed in tests, for exact replays; getrandom() in runs).
 *
 * xoshiro256** for the stream; SipHash-2-4 as the keyed hash behind ISNs
 * (RFC 6528) and ephemeral ports (RFC 6056), with a secret drawn from the
 * generator at stack creation.
 */
#ifndef TAPIR_STACK_RNG_H
#define TAPIR_STACK_RNG_H

#include <stddef.h>
#include <stdint.h>

struct rng {
    uint64_t s[4];
};

void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
/* Uniform in [0, bound) without modulo bias; bound > 0. */
uint32_t rng_below(struct rng *r, uint32_t bound);
void rng_bytes(struct rng *r, void *buf, size_t len);

/* SipHash-2-4 of data under a 128-bit key. */
uint64_t siphash24(const uint8_t key[16], const void *data, size_t len);

#endif
