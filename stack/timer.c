#include "stack/timer.h"

static uint64_t to_tick(uint64_t us)
{
    return us / TIMER_TICK_US;
}

static void list_init(struct timer *head)
{
    head->next = head->prev = head;
}

static void list_add_tail(struct timer *head, struct timer *t)
{
    t->prev = head->prev;
    t->next = head;
    head->prev->next = t;
    head->prev = t;
}

static void list_del(struct timer *t)
{
    t->prev->next = t->next;
    t->next->prev = t->prev;
    t->next = t->prev = NULL;
}

void timer_wheel_init(struct timer_wheel *w, uint64_t now)
{
    for (size_t i = 0; i < TIMER_WHEEL_SLOTS; i++)
        list_init(&w->slot[i]);
    w->tick = to_tick(now);
    w->count = 0;
}

void timer_init(struct timer *t, timer_fn fn)
{
    t->next = t->prev = NULL;
    t->expires = 0;
    t->fn = fn;
    t->armed = false;
}

void timer_arm(struct timer_wheel *w, struct timer *t, uint64_t expires)
{
    if (t->armed)
        list_del(t);
    else
        w->count++;
    t->armed = true;
    t->expires = expires;
    uint64_t tick = to_tick(expires);
    /* A time in the past goes in the current slot: it fires on the next run. */
    if (tick < w->tick)
        tick = w->tick;
    list_add_tail(&w->slot[tick % TIMER_WHEEL_SLOTS], t);
}

void timer_cancel(struct timer_wheel *w, struct timer *t)
{
    if (!t->armed)
        return;
    list_del(t);
    t->armed = false;
    w->count--;
}

static void run_slot(struct timer_wheel *w, struct stack *st, struct timer *head, uint64_t now)
{
    /* Detach the slot into a local list first: callbacks may arm timers into
     * this very slot, or cancel others still waiting in the local list (which
     * unlinks them from it safely, as it is a proper list). */
    struct timer local;
    list_init(&local);
    if (head->next != head) {
        local.next = head->next;
        local.prev = head->prev;
        local.next->prev = &local;
        local.prev->next = &local;
        list_init(head);
    }
    while (local.next != &local) {
        struct timer *t = local.next;
        list_del(t);
        if (t->expires <= now) {
            t->armed = false;
            w->count--;
            t->fn(st, t);
        } else {
            /* Not due yet (a later turn of the wheel): back into its slot. */
            uint64_t tick = to_tick(t->expires);
            list_add_tail(&w->slot[tick % TIMER_WHEEL_SLOTS], t);
        }
    }
}

void timer_wheel_run(struct timer_wheel *w, struct stack *st, uint64_t now)
{
    uint64_t target = to_tick(now);
    if (target < w->tick)
        target = w->tick;
    uint64_t first = w->tick;
    /* After a long gap every slot is visited once, not once per tick. */
    if (target - first >= TIMER_WHEEL_SLOTS)
        first = target - TIMER_WHEEL_SLOTS + 1;
    for (uint64_t tick = first; tick <= target; tick++) {
        w->tick = tick;
        if (w->count)
            run_slot(w, st, &w->slot[tick % TIMER_WHEEL_SLOTS], now);
    }
    w->tick = target;
}

uint64_t timer_wheel_next(const struct timer_wheel *w, uint64_t now)
{
    if (w->count == 0)
        return UINT64_MAX;
    uint64_t base = w->tick;
    for (uint64_t i = 0; i < TIMER_WHEEL_SLOTS; i++) {
        const struct timer *head = &w->slot[(base + i) % TIMER_WHEEL_SLOTS];
        uint64_t best = UINT64_MAX;
        for (const struct timer *t = head->next; t != head; t = t->next) {
            /* Only timers of this turn count here; later turns are found
             * when the wheel gets to them. */
            if (to_tick(t->expires) <= base + i && t->expires < best)
                best = t->expires;
        }
        if (best != UINT64_MAX)
            return best;
    }
    (void)now;
    return (base + TIMER_WHEEL_SLOTS) * TIMER_TICK_US;
}
