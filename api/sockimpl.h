/* Internals shared by api/socket.c, api/select.c, api/makefile.c and
 * api/create.c: tapir's descriptor table and the open socket behind each
 * descriptor.  Not part of the public API.
 *
 * Two levels, as in a kernel:
 *   - struct tfile: one open socket (a stack `struct sock`, its runner, the
 *     condition variable its blocking callers wait on).  Shared by dup()ed
 *     descriptors and makefile() streams.
 *   - struct tfd: one descriptor (a small int) with what Python keeps per
 *     socket object: family/type/proto as reported, the timeout.
 *
 * Locks, in the order they may be taken:
 *   1. the runner's mutex (tapir_runner_lock): everything about the stack
 *      socket, tfile.sk/gen/waiters/epitems/so-timeouts, epoll ready lists;
 *   2. the descriptor table's mutex (leaf): the table, tfd fields, refcounts.
 */
#ifndef TAPIR_API_SOCKIMPL_H
#define TAPIR_API_SOCKIMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "api/tapir.h"
#include "stack/addr.h"
#include "stack/socket.h"

struct tapir_epoll;
struct epitem;

/* A select/poll caller waiting on several sockets: every socket it watches
 * links a waitref to it; a wake sets `fired` and signals `cond`. */
struct waiter {
    pthread_cond_t cond;
    bool fired;
};
struct waitref {
    struct waiter *w;
    struct waitref *prev, *next;
};

struct tfile {
    tapir_runner *r;
    struct sock *sk;           /* NULL once closed (runner lock) */
    pthread_cond_t cond;       /* blocking calls on this socket (runner mutex) */
    uint64_t gen;              /* bumped by each wake (runner mutex) */
    struct waitref *waiters;   /* select / poll callers (runner mutex) */
    struct epitem *epitems;    /* epoll registrations (runner mutex) */
    uint64_t rcvtimeo_us;      /* SO_RCVTIMEO, 0 none (runner lock) */
    uint64_t sndtimeo_us;      /* SO_SNDTIMEO */
    bool listening;            /* listen() succeeded (runner lock) */
    /* Bytes buffered above the socket that a read returns at once (TLS's
     * decrypted data, api/tls_socket.c): select and poll report the socket
     * readable while pending(pending_ctx) is true.  Set and called with the
     * runner locked; the hook must not block nor take a lock. */
    bool (*pending)(void *ctx);
    void *pending_ctx;
    int holders;               /* descriptors + streams keeping it open (table lock) */
    int refs;                  /* holders + calls in flight; freed at 0 (table lock) */
};

/* A call's view of a descriptor, taken at its start (Python reads the
 * timeout once per call). */
struct fdref {
    int fd;
    struct tfile *f;
    int family, type, proto;
    double timeout;            /* < 0: None */
};

/* Looks fd up and takes a reference on its file: 0, or -1 with EBADF set. */
int fd_get(int fd, struct fdref *out);
/* Drops a reference taken by fd_get / file_hold. */
void file_put(struct tfile *f);
/* Adds a holder (a makefile stream) / drops one (closing the socket if it
 * was the last). */
void file_hold(struct tfile *f);
void file_release(struct tfile *f);
/* The timeout fd currently has, if it is still open on f; else dflt. */
double fd_timeout_if(int fd, struct tfile *f, double dflt);

/* A timeout in seconds as CPython takes it: 0, or -1 with ValueError (NaN)
 * or OverflowError (more than 2**63 ns: inf, 1e300) set. */
int timeout_check(double t);

/* Monotonic clock, µs, and a deadline `timeout` seconds from now. */
uint64_t mono_us(void);
uint64_t deadline_after(double timeout);

/* Wait for a wake of f or the deadline (UINT64_MAX: none).  Called with
 * the runner locked; returns with it unlocked. */
void file_wait(struct tfile *f, uint64_t deadline);
/* Locks f's runner; returns f->sk, or NULL (unlocked again, EBADF set) if
 * the socket has been closed. */
struct sock *file_lock(struct tfile *f);

/* recv / send with Python's modes (used by makefile). */
ssize_t sock_io_recv(struct fdref *ref, void *buf, size_t n, int flags, tapir_addr *from);
int sock_io_sendall(struct fdref *ref, const void *buf, size_t n, int flags, size_t *sent);
/* One non-blocking attempt whatever the socket's mode (for TLS, which waits
 * itself): bytes, or -1 with the error set. */
ssize_t sock_io_send_once(int fd, const void *buf, size_t n, int flags);
ssize_t sock_io_recv_once(int fd, void *buf, size_t n, int flags);

/* Addresses (api/addr.c). */
int addr_to_endpoint(int family, const tapir_addr *a, const char *caller, struct endpoint *ep);
void endpoint_to_addr(int family, const struct endpoint *ep, tapir_addr *out);
/* The name-resolution hook: fills up to max addresses of `name` for family
 * (AF_UNSPEC: any), returns how many, or a negative EAI_* code.  The
 * resolver (api/resolver) installs itself with tapir_set_resolver(); until
 * then only numeric hosts and "localhost" resolve. */
typedef int (*tapir_resolve_fn)(const char *name, int family, struct ipaddr *out, int max);
void tapir_set_resolver(tapir_resolve_fn fn);
int resolve_host(const char *name, int family, struct ipaddr *out, int max);

/* Python's names for AF_* / SOCK_* values ("AF_INET", "SOCK_STREAM"), or
 * the number written into tmp (api/names.c). */
const char *family_name(int family, char tmp[16]);
const char *type_name(int type, char tmp[16]);

/* Epoll bookkeeping when a descriptor goes away (runner locked). */
void epoll_forget_fd(struct tfile *f, int fd);
/* Called from the wake hook (runner locked). */
void epoll_wake(struct tfile *f);

#endif
