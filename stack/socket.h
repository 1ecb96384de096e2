/* The stack's socket layer: protocol-neutral socket objects over TCP, UDP,
 * raw IP and AF_UNIX, with non-blocking semantics only.  No threads, no fds, no
 * waiting: a call that cannot complete returns -EAGAIN / -EINPROGRESS and the
 * socket's wake hook fires later when readiness may have changed.
 *
 * Two users stand on this layer: api/ (Python's socket semantics: fds,
 * blocking and timeout modes, errors with messages) and the packetdrill
 * runner (tests/drill/, a virtual clock).  Everything returns 0 / a count on
 * success and -errno (Linux values) on failure.
 *
 * Each protocol embeds struct sock at the start of its control block and
 * provides a struct sock_proto.  sock_* functions validate the arguments that
 * do not depend on the protocol, then dispatch.
 */
#ifndef TAPIR_STACK_SOCKET_H
#define TAPIR_STACK_SOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "stack/addr.h"

struct stack;
struct sock;

/* Readiness bits: poll(2)'s values. */
#define SOCK_POLLIN    0x001
#define SOCK_POLLPRI   0x002
#define SOCK_POLLOUT   0x004
#define SOCK_POLLERR   0x008
#define SOCK_POLLHUP   0x010
#define SOCK_POLLRDHUP 0x2000

/* Called (with the stack's lock held, from inside a stack entry point) when
 * the socket's readiness may have changed. Must not call back into the stack. */
typedef void (*sock_wake_fn)(struct sock *s, void *ctx);

struct sock_proto {
    const char *name;
    int (*bind)(struct sock *s, const struct endpoint *local);
    int (*listen)(struct sock *s, int backlog);
    int (*accept)(struct sock *s, struct sock **child, struct endpoint *peer);
    int (*connect)(struct sock *s, const struct endpoint *peer);
    /* Either a count of bytes accepted or -errno. `to` only for datagrams. */
    ssize_t (*send)(struct sock *s, const void *buf, size_t len, int flags, const struct endpoint *to);
    /* *full_len (if not NULL) gets the datagram's real length (MSG_TRUNC). */
    ssize_t (*recv)(struct sock *s, void *buf, size_t len, int flags, struct endpoint *from,
                    size_t *full_len);
    int (*shutdown)(struct sock *s, int how);
    /* The user lets go of s.  The protocol may live on (FIN, TIME_WAIT) and
     * frees the memory itself when it is done. */
    void (*close)(struct sock *s);
    int (*setsockopt)(struct sock *s, int level, int name, const void *val, size_t len);
    int (*getsockopt)(struct sock *s, int level, int name, void *val, size_t *len);
    uint32_t (*poll)(struct sock *s);
    int (*getname)(struct sock *s, struct endpoint *out, bool peer);
};

struct sock {
    const struct sock_proto *proto;
    struct stack *st;
    int family, type, protocol;  /* Linux's values: AF_INET, SOCK_STREAM, IPPROTO_TCP */
    int so_error;                /* pending error for SO_ERROR (positive errno), 0 none */
    bool reuseaddr, reuseport, broadcast, keepalive;
    bool zerocopy;               /* SO_ZEROCOPY: accepted and reported; tapir copies anyway (no error-queue notices) */
    bool v6only;                 /* IPV6_V6ONLY: an AF_INET6 socket takes no IPv4 peers (default off, Linux) */
    uint8_t ttl, tos;            /* 0: defaults */
    int mcast_ttl;               /* IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS: multicast datagrams' TTL (default 1; 0 goes out as the default) */
    bool mcast_loop;             /* IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP (default on; tapir has no group membership to loop to) */
    int priority;                /* SO_PRIORITY: reported only (tapir has no queueing discipline) */
    bool debug;                  /* SO_DEBUG: reported only */
    bool pacing_needed;          /* SO_MAX_PACING_RATE was ever set to other than ~0: TCP paces (tcp_pacing.c) */
    bool pacing_capped;          /* ... and the cap is in force: */
    uint32_t max_pacing_rate;    /* at most this many bytes/s (0: no pacing, as Linux) */
    uint8_t pmtudisc;            /* IP_MTU_DISCOVER (IP_PMTUDISC_*), SOCK_PMTUDISC_UNSET: the protocol's default */
    uint32_t sndbuf, rcvbuf;     /* bytes (SO_SNDBUF/SO_RCVBUF, as Linux reports them) */
    int bound_ifindex;           /* SO_BINDTODEVICE / scope id, -1 any */
    sock_wake_fn wake;
    void *wake_ctx;
};

/* struct sock.pmtudisc before IP_MTU_DISCOVER is set: TCP sets DF (path MTU
 * discovery, as Linux's default IP_PMTUDISC_WANT), UDP does not. */
#define SOCK_PMTUDISC_UNSET 0xff
/* Does this socket's IPv4 traffic carry DF?  `dflt` is the protocol's
 * choice when IP_MTU_DISCOVER was never set. */
bool sock_ip_df(const struct sock *s, bool dflt);
/* Should path MTU information (ICMP "fragmentation needed", PTB) shrink
 * this socket's packets?  Not with IP_PMTUDISC_DONT, _INTERPRET or _OMIT. */
bool sock_accepts_pmtu(const struct sock *s);

/* Creates a socket (type may carry SOCK_NONBLOCK/SOCK_CLOEXEC: ignored here).
 * protocol 0 picks the default; a mismatch is -EPROTONOSUPPORT. */
int sock_create(struct stack *st, int family, int type, int protocol, struct sock **out);
/* socketpair(2): two connected sockets (AF_UNIX only, as on Linux:
 * -EOPNOTSUPP for AF_INET/AF_INET6). */
int sock_socketpair(struct stack *st, int family, int type, int protocol, struct sock **a, struct sock **b);
int sock_bind(struct sock *s, const struct endpoint *local);
int sock_listen(struct sock *s, int backlog);
int sock_accept(struct sock *s, struct sock **child, struct endpoint *peer);
int sock_connect(struct sock *s, const struct endpoint *peer);
ssize_t sock_send(struct sock *s, const void *buf, size_t len, int flags, const struct endpoint *to);
ssize_t sock_recv(struct sock *s, void *buf, size_t len, int flags, struct endpoint *from,
                  size_t *full_len);
int sock_shutdown(struct sock *s, int how);
void sock_close(struct sock *s);
int sock_setsockopt(struct sock *s, int level, int name, const void *val, size_t len);
int sock_getsockopt(struct sock *s, int level, int name, void *val, size_t *len);
uint32_t sock_poll(struct sock *s);
int sock_getname(struct sock *s, struct endpoint *out, bool peer);
void sock_set_wake(struct sock *s, sock_wake_fn fn, void *ctx);

/* For protocols: fill the common fields of a new socket, and wake it. */
void sock_init_common(struct sock *s, struct stack *st, const struct sock_proto *proto, int family,
                      int type, int protocol);
static inline void sock_wake(struct sock *s)
{
    if (s->wake)
        s->wake(s, s->wake_ctx);
}
/* SOL_SOCKET options every protocol shares (SO_REUSEADDR, SO_BROADCAST,
 * SO_ERROR, SO_TYPE, SO_SNDBUF, ...); protocols call these for what they do
 * not handle themselves.  -ENOPROTOOPT for an unknown option. */
int sock_setsockopt_common(struct sock *s, int level, int name, const void *val, size_t len);
int sock_getsockopt_common(struct sock *s, int level, int name, void *val, size_t *len);

/* Protocol constructors (stack/udp.c, stack/raw.c, stack/tcp/; AF_UNIX's
 * in stack/unix.h). */
int udp_sock_create(struct stack *st, int family, struct sock **out);
int raw_sock_create(struct stack *st, int family, int protocol, struct sock **out);
int tcp_sock_create(struct stack *st, int family, struct sock **out);

#endif
