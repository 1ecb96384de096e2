/* Timers on a hashed timing wheel (Varghese & Lauck): arming, re-arming and
 * cancelling are O(1); running costs O(timers due + slots passed).  One wheel
 * per stack, driven by stack_poll() with the current time; nothing here reads
 * a clock.
 *
 * A timer is embedded in its owner (a TCP connection, an ARP entry...) and
 * found again with container_of.  Its callback runs with the timer already
 * disarmed, so it may re-arm it.
 */
#ifndef TAPIR_STACK_TIMER_H
#define TAPIR_STACK_TIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stack/config.h"

struct stack;
struct timer;
typedef void (*timer_fn)(struct stack *st, struct timer *t);

struct timer {
    struct timer *next, *prev;
    uint64_t expires;       /* µs */
    timer_fn fn;
    bool armed;
};

struct timer_wheel {
    struct timer slot[TIMER_WHEEL_SLOTS]; /* list heads (sentinels) */
    uint64_t tick;                        /* last tick processed */
    size_t count;                         /* armed timers */
};

#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

void timer_wheel_init(struct timer_wheel *w, uint64_t now);
void timer_init(struct timer *t, timer_fn fn);
/* Arm (or move) t to fire at `expires` µs; a time already past fires on the next run. */
void timer_arm(struct timer_wheel *w, struct timer *t, uint64_t expires);
void timer_cancel(struct timer_wheel *w, struct timer *t);
static inline bool timer_armed(const struct timer *t) { return t->armed; }
/* Fire every timer whose time is <= now. */
void timer_wheel_run(struct timer_wheel *w, struct stack *st, uint64_t now);
/* The earliest expiry (µs) among armed timers, or UINT64_MAX when none.  May
 * answer early (never late) for timers more than one wheel turn away. */
uint64_t timer_wheel_next(const struct timer_wheel *w, uint64_t now);

#endif
