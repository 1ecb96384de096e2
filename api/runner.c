/* The runner: one stack, one device, one event-loop thread.
 *
 * The loop, each turn:
 *   1. read what the device has (up to RUNNER_BATCH frames, RUNNER_ARENA
 *      bytes) without the stack lock, so application threads copy data out
 *      while the device's read() copies data in;
 *   then, with the lock held:
 *   2. hand the frames to stack_input as one batch (STACK_RX_BATCH);
 *   3. stack_poll: timers due, looped-back packets, the batch's owed ACKs;
 *   4. note the earliest deadline (the stack's timers, the device's own
 *      delayed frames) as sleep_until and arm the timerfd for it;
 * then it unlocks and, when the device had no more, sleeps in epoll_wait on
 * the device fd, the timerfd and an eventfd (the kick).  An application
 * thread that arms an earlier timer (a retransmission, a new ARP request)
 * kicks the loop from unlock(), which compares the stack's new deadline with
 * sleep_until: one eventfd write, only when it matters.
 */
#include "api/runner.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "api/resolver.h"
#include "api/runner_config.h"
#include "drivers/device.h"
#include "drivers/fault.h"
#include "drivers/pcap_dev.h"
#include "drivers/pcap_writer.h"
#include "drivers/tap.h"
#include "drivers/tracer.h"
#include "stack/ip6.h"
#include "stack/stack.h"
#include "stack/sysctl.h"

#include "api/error.h"

/* Frames handled per wake-up before the lock is let go for a moment, so a
 * flood cannot starve application threads. */
#define RUNNER_BATCH 256
/* Bytes read ahead per turn: sixteen 64 KB frames, or RUNNER_BATCH 1514-byte ones. */
#define RUNNER_ARENA (1u << 20)

struct rx_slot {
    uint32_t off, len;
    unsigned flags;           /* STACK_RX_* */
};

struct tapir_runner {
    pthread_mutex_t mu;
    struct stack *st;
    struct tapir_device *dev;
    int ifindex;
    uint8_t mac[6];
    char hostname[64];

    pthread_t thread;
    bool thread_started;
    bool stopping;
    int epfd, tfd, kickfd;
    uint64_t sleep_until;     /* the deadline the loop sleeps towards (µs) */
    uint64_t dev_errors;
    uint8_t *arena;           /* RUNNER_ARENA bytes: frames read, not yet handed to the stack */
    struct rx_slot slot[RUNNER_BATCH];
};

/* ---- errors ---- */

static void set_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_error(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tapir_set_error_v(code == EINVAL ? TAPIR_ERR_VALUE : TAPIR_ERR_ERROR, code, fmt, ap);
    va_end(ap);
}

/* ---- time ---- */

uint64_t tapir_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void arm_timer(int tfd, uint64_t deadline)
{
    struct itimerspec its;
    memset(&its, 0, sizeof its);
    if (deadline != UINT64_MAX) {
        if (deadline == 0)
            deadline = 1; /* an all-zero it_value would disarm */
        its.it_value.tv_sec = (time_t)(deadline / 1000000u);
        its.it_value.tv_nsec = (long)(deadline % 1000000u) * 1000;
    }
    timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* ---- default runner ---- */

static pthread_mutex_t default_mu = PTHREAD_MUTEX_INITIALIZER;
static tapir_runner *default_runner;

tapir_runner *tapir_runner_default(void)
{
    pthread_mutex_lock(&default_mu);
    tapir_runner *r = default_runner;
    pthread_mutex_unlock(&default_mu);
    return r;
}

void tapir_runner_set_default(tapir_runner *r)
{
    pthread_mutex_lock(&default_mu);
    default_runner = r;
    pthread_mutex_unlock(&default_mu);
}

/* ---- the loop ---- */

static int runner_tx(void *ctx, const uint8_t *frame, size_t len, const struct pkt *meta)
{
    tapir_runner *r = ctx;
    return tapir_device_send(r->dev, frame, len, meta) == 0 ? 0 : -1;
}

static void runner_log(void *ctx, int level, const char *msg)
{
    (void)ctx;
    static const char *names[] = {"error", "info", "debug"};
    fprintf(stderr, "tapir %s: %s\n", level >= 0 && level <= 2 ? names[level] : "log", msg);
}

static void drain_fd(int fd)
{
    uint64_t v;
    ssize_t n = read(fd, &v, sizeof v);
    (void)n;
}

static void *loop(void *arg)
{
    tapir_runner *r = arg;
    struct epoll_event ev[8];
    pthread_mutex_lock(&r->mu);
    while (!r->stopping) {
        pthread_mutex_unlock(&r->mu);
        /* The device is the loop's alone for reading (sends, from any
         * thread under the lock, do not touch the arena). */
        uint64_t now = tapir_now_us();
        bool more = false;
        int n = 0;
        uint32_t used = 0;
        for (;;) {
            if (n == RUNNER_BATCH || RUNNER_ARENA - used < TAPIR_MAX_FRAME) {
                more = true;
                break;
            }
            ssize_t k = tapir_device_recv(r->dev, r->arena + used, TAPIR_MAX_FRAME, now);
            if (k <= 0) {
                if (k < 0)
                    r->dev_errors++;
                break;
            }
            /* STACK_RX_BATCH: stack_poll below ends the batch. */
            r->slot[n++] = (struct rx_slot){
                .off = used,
                .len = (uint32_t)k,
                .flags = STACK_RX_BATCH |
                         ((r->dev->rx_flags & TAPIR_RX_TCP4_CSUM_OK) ? STACK_RX_TCP4_CSUM_OK : 0),
            };
            used += ((uint32_t)k + 63u) & ~63u;
        }
        pthread_mutex_lock(&r->mu);
        stack_set_time(r->st, now);
        for (int i = 0; i < n; i++)
            stack_input_flags(r->st, r->ifindex, r->arena + r->slot[i].off, r->slot[i].len, now,
                              r->slot[i].flags);
        stack_poll(r->st, now);
        uint64_t dl = stack_next_deadline(r->st);
        uint64_t ddl = tapir_device_next_deadline(r->dev);
        if (ddl < dl)
            dl = ddl;
        r->sleep_until = more ? 0 : dl;
        pthread_mutex_unlock(&r->mu);
        if (!more) {
            arm_timer(r->tfd, dl);
            int k = epoll_wait(r->epfd, ev, 8, -1);
            for (int i = 0; i < k; i++)
                if (ev[i].data.fd == r->tfd || ev[i].data.fd == r->kickfd)
                    drain_fd(ev[i].data.fd);
        }
        pthread_mutex_lock(&r->mu);
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

/* ---- locking for the API ---- */

struct stack *tapir_runner_lock(tapir_runner *r)
{
    pthread_mutex_lock(&r->mu);
    stack_set_time(r->st, tapir_now_us());
    return r->st;
}

/* With the lock held: if a call armed a timer earlier than the one the loop
 * sleeps towards, wake the loop (one eventfd write per move, not per call). */
static void kick_if_earlier(tapir_runner *r)
{
    uint64_t dl = stack_next_deadline(r->st);
    if (dl >= r->sleep_until)
        return;
    r->sleep_until = dl;
    uint64_t one = 1;
    ssize_t n = write(r->kickfd, &one, sizeof one);
    (void)n;
}

void tapir_runner_unlock(tapir_runner *r)
{
    /* What the call sent to ourselves is delivered before it returns, as
     * Linux's loopback does (the softirq runs before send() returns): a
     * sendto() to 127.0.0.1 then a non-blocking recv() finds the datagram. */
    stack_loopback_flush(r->st);
    kick_if_earlier(r);
    pthread_mutex_unlock(&r->mu);
}

void tapir_runner_cond_init(pthread_cond_t *cv)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(cv, &a);
    pthread_condattr_destroy(&a);
}

int tapir_runner_wait(tapir_runner *r, pthread_cond_t *cv, uint64_t until_us)
{
    stack_loopback_flush(r->st);
    kick_if_earlier(r);
    int rc;
    if (until_us == UINT64_MAX) {
        rc = pthread_cond_wait(cv, &r->mu);
    } else {
        struct timespec ts = {(time_t)(until_us / 1000000u), (long)(until_us % 1000000u) * 1000};
        rc = pthread_cond_timedwait(cv, &r->mu, &ts);
    }
    stack_set_time(r->st, tapir_now_us());
    return rc == ETIMEDOUT ? ETIMEDOUT : 0;
}

pthread_mutex_t *tapir_runner_mutex(tapir_runner *r)
{
    return &r->mu;
}

const char *tapir_runner_hostname(tapir_runner *r)
{
    return r->hostname;
}

int tapir_runner_ifindex(tapir_runner *r)
{
    return r->ifindex;
}

void tapir_runner_mac(tapir_runner *r, uint8_t mac[6])
{
    memcpy(mac, r->mac, 6);
}

/* ---- start / stop ---- */

static void destroy(tapir_runner *r)
{
    if (r->st)
        stack_destroy(r->st);
    tapir_device_close(r->dev);
    if (r->epfd >= 0)
        close(r->epfd);
    if (r->tfd >= 0)
        close(r->tfd);
    if (r->kickfd >= 0)
        close(r->kickfd);
    pthread_mutex_destroy(&r->mu);
    free(r->arena);
    free(r);
}

static int epoll_add(int epfd, int fd)
{
    struct epoll_event e = {.events = EPOLLIN, .data.fd = fd};
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e);
}

/* Wraps dev as the configuration asks; on failure dev is closed.  Order,
 * from the wire up: the capture sees what is really on the wire, the fault
 * injector acts on that, and the trace shows what the stack gets and gives. */
static struct tapir_device *wrap(struct tapir_device *dev, const struct runner_config *c,
                                 uint64_t seed)
{
    if (c->capture[0]) {
        char err[256];
        struct tapir_device *w = tapir_pcap_writer_wrap(dev, c->capture, err);
        if (!w) {
            tapir_device_close(dev);
            set_error(EIO, "capture=%s: %s", c->capture, err);
            return NULL;
        }
        dev = w;
    }
    if (c->fault) {
        struct tapir_fault_opts fo = {
            .seed = seed ^ 0x6661756c74ull, /* its own stream, fixed by seed= */
            .tx = {.drop = c->drop_tx, .corrupt = c->corrupt_tx, .duplicate = c->dup_tx, .ce = c->ce_tx},
            .rx = {.drop = c->drop_rx, .corrupt = c->corrupt_rx, .duplicate = c->dup_rx, .ce = c->ce_rx},
        };
        struct tapir_device *w = tapir_fault_wrap(dev, &fo);
        if (!w) {
            tapir_device_close(dev);
            set_error(EINVAL, "fault injector: bad settings");
            return NULL;
        }
        dev = w;
    }
    if (c->trace) {
        struct tapir_device *w = tapir_tracer_wrap(dev, stderr);
        if (!w) {
            tapir_device_close(dev);
            set_error(ENOMEM, "trace: out of memory");
            return NULL;
        }
        dev = w;
    }
    return dev;
}

static tapir_runner *start(struct tapir_device *dev, const struct runner_config *c)
{
    tapir_runner *r = calloc(1, sizeof *r);
    if (!r) {
        tapir_device_close(dev);
        set_error(ENOMEM, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&r->mu, NULL);
    r->epfd = r->tfd = r->kickfd = -1;
    r->arena = malloc(RUNNER_ARENA);
    if (!r->arena) {
        tapir_device_close(dev);
        pthread_mutex_destroy(&r->mu);
        free(r);
        set_error(ENOMEM, "out of memory");
        return NULL;
    }
    uint64_t seed = c->seed;
    if (!c->has_seed && getrandom(&seed, sizeof seed, 0) != sizeof seed)
        seed = tapir_now_us() ^ ((uint64_t)getpid() << 32);
    r->dev = wrap(dev, c, seed);
    if (!r->dev) {
        pthread_mutex_destroy(&r->mu);
        free(r->arena);
        free(r);
        return NULL;
    }
    dev = r->dev;
    snprintf(r->hostname, sizeof r->hostname, "%s", c->hostname[0] ? c->hostname : "tapir");
    /* The resolver's keys (api/resolv_conf.c says where name servers come from). */
    for (int i = 0; i < c->n_resolver_keys; i++)
        if (tapir_resolver_config_key(c->resolver_keys[i][0], c->resolver_keys[i][1]) < 0)
            goto fail;

    uint64_t now = tapir_now_us();
    r->st = stack_create(seed, now);
    if (!r->st) {
        set_error(ENOMEM, "cannot create the stack");
        goto fail;
    }
    for (int i = 0; i < c->n_sysctls; i++) {
        char note[200] = "";
        if (stack_sysctl_set(&r->st->cfg, c->sysctls[i][0], c->sysctls[i][1], note, sizeof note) < 0) {
            set_error(EINVAL, "%s", note);   /* runner_config_parse checked it: not expected */
            goto fail;
        }
    }
    if (c->tcp_timewait_ms)
        r->st->cfg.tcp.timewait_ms = c->tcp_timewait_ms;
    if (c->log_level >= 0) {
        r->st->log = runner_log;
        r->st->log_level = c->log_level;
    }

    /* The stack's MAC: configured, else the device's suggestion, else a
     * random locally administered unicast one (from the stack's seed, so a
     * fixed seed gives a fixed MAC). */
    uint8_t mac[6];
    static const uint8_t zero[6];
    if (c->has_mac) {
        memcpy(mac, c->mac, 6);
    } else if (memcmp(dev->mac, zero, 6) != 0) {
        memcpy(mac, dev->mac, 6);
    } else {
        struct rng g;
        rng_seed(&g, seed ^ 0x6d6163u);
        rng_bytes(&g, mac, 6);
        mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02);
    }
    memcpy(r->mac, mac, 6);
    int rc = tapir_device_set_mac(dev, mac);
    if (rc < 0) {
        set_error(-rc, "%s: cannot filter for our MAC", dev->name);
        goto fail;
    }
    uint32_t mtu = c->mtu ? c->mtu : dev->mtu ? dev->mtu : TAPIR_DEFAULT_MTU;

    /* IPv6 knobs first: the interface's IPv6 comes up as it is added. */
    struct ip6_settings *s6 = stack_ip6_settings(r->st);
    if (s6) {
        s6->enabled = !c->ipv6_off;
        s6->eui64 = c->eui64;
        if (c->dad >= 0)
            s6->dad_transmits = (uint8_t)c->dad;
    }
    if (stack_add_loopback(r->st) < 0) {
        set_error(ENOMEM, "cannot add the loopback interface");
        goto fail;
    }
    r->ifindex = stack_add_netif(r->st, dev->name, mac, mtu, runner_tx, r);
    if (r->ifindex < 0) {
        set_error(ENOSPC, "cannot add interface %s", dev->name);
        goto fail;
    }
    stack_netif(r->st, r->ifindex)->offloads = dev->offloads;
    for (int i = 0; i < c->n_addr; i++) {
        rc = stack_add_ip4(r->st, r->ifindex, c->addr[i].addr, c->addr[i].prefix_len);
        if (rc < 0) {
            set_error(-rc, "cannot add address %u.%u.%u.%u/%u", c->addr[i].addr >> 24,
                      (c->addr[i].addr >> 16) & 255, (c->addr[i].addr >> 8) & 255,
                      c->addr[i].addr & 255, c->addr[i].prefix_len);
            goto fail;
        }
    }
    if (c->gw && (rc = stack_add_route4(r->st, 0, 0, c->gw, r->ifindex)) < 0) {
        set_error(rc == -1 ? EINVAL : -rc, "cannot add the default route");
        goto fail;
    }
    for (int i = 0; i < c->n_addr6; i++) {
        rc = stack_add_ip6(r->st, r->ifindex, c->addr6[i].addr, c->addr6[i].prefix_len);
        if (rc < 0) {
            struct ipaddr a6 = ip6(c->addr6[i].addr);
            char b[IPADDR_STRLEN];
            set_error(-rc, "cannot add address %s/%u", ipaddr_str(&a6, b), c->addr6[i].prefix_len);
            goto fail;
        }
    }
    if (c->has_gw6) {
        static const uint8_t any6[16];
        if ((rc = stack_add_route6(r->st, any6, 0, c->gw6, r->ifindex)) < 0) {
            set_error(-rc, "cannot add the IPv6 default route");
            goto fail;
        }
    }

    r->epfd = epoll_create1(EPOLL_CLOEXEC);
    r->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    r->kickfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (r->epfd < 0 || r->tfd < 0 || r->kickfd < 0 || epoll_add(r->epfd, r->tfd) < 0 ||
        epoll_add(r->epfd, r->kickfd) < 0 ||
        (tapir_device_fd(dev) >= 0 && epoll_add(r->epfd, tapir_device_fd(dev)) < 0)) {
        set_error(errno, "event loop setup: %s", strerror(errno));
        goto fail;
    }

    /* The loop thread takes no signals: they go to the application's threads. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&r->thread, NULL, loop, r);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        set_error(rc, "cannot start the loop thread");
        goto fail;
    }
    r->thread_started = true;

    pthread_mutex_lock(&default_mu);
    if (!default_runner)
        default_runner = r;
    pthread_mutex_unlock(&default_mu);
    return r;
fail:
    destroy(r);
    return NULL;
}

tapir_runner *tapir_runner_start(const char *config)
{
    struct runner_config c;
    char err[256];
    if (runner_config_parse(config, &c, err, sizeof err) < 0) {
        set_error(EINVAL, "%s", err);
        return NULL;
    }
    struct tapir_device *dev;
    if (c.tap[0]) {
        struct tapir_tap_opts o = {.name = c.tap, .mtu = c.mtu, .vnet_hdr = c.offload};
        dev = tapir_tap_open(&o);
        if (!dev) {
            int e = errno;
            set_error(e, "tap=%s: %s", c.tap, strerror(e));
            return NULL;
        }
    } else if (c.pcap[0]) {
        dev = tapir_pcap_open(c.pcap, err);
        if (!dev) {
            set_error(ENODEV, "pcap=%s: %s", c.pcap, err);
            return NULL;
        }
    } else {
        set_error(EINVAL, "no device: the configuration needs tap=NAME or pcap=IFNAME");
        return NULL;
    }
    return start(dev, &c);
}

tapir_runner *tapir_runner_start_on(struct tapir_device *dev, const char *config)
{
    struct runner_config c;
    char err[256];
    if (!dev) {
        set_error(EINVAL, "no device");
        return NULL;
    }
    if (runner_config_parse(config, &c, err, sizeof err) < 0 || c.tap[0] || c.pcap[0]) {
        tapir_device_close(dev);
        set_error(EINVAL, "%s", err[0] ? err : "tap=/pcap= make no sense with a device given");
        return NULL;
    }
    return start(dev, &c);
}

void tapir_runner_stop(tapir_runner *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&default_mu);
    if (default_runner == r)
        default_runner = NULL;
    pthread_mutex_unlock(&default_mu);
    pthread_mutex_lock(&r->mu);
    r->stopping = true;
    pthread_mutex_unlock(&r->mu);
    uint64_t one = 1;
    ssize_t n = write(r->kickfd, &one, sizeof one);
    (void)n;
    if (r->thread_started)
        pthread_join(r->thread, NULL);
    destroy(r);
}

/* ---- counters ---- */

void tapir_runner_counters(tapir_runner *r, struct tapir_counters *out)
{
    pthread_mutex_lock(&r->mu);
    *out = r->st->ctr;
    pthread_mutex_unlock(&r->mu);
}

void tapir_runner_gauges(tapir_runner *r, struct tapir_gauges *out)
{
    pthread_mutex_lock(&r->mu);
    *out = r->st->gauges;
    pthread_mutex_unlock(&r->mu);
}
