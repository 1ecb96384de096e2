/* AF_UNIX sockets inside the stack (see stack/unix.h for the semantics).
 *
 * No packets: a send copies the bytes straight into the receiving socket's
 * queue and wakes it.  The shape follows Linux's net/unix/af_unix.c:
 * a stream's bytes wait at the receiver (bounded by the sender's SO_SNDBUF),
 * a datagram queue is bounded by count and bytes, shutdown and close
 * propagate to the peer, and connect finds its listener by name in a hash.
 */
#include "stack/unix.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "stack/dgram.h"
#include "stack/stack.h"

#define RCV_SHUT 1u /* Linux's RCV_SHUTDOWN / SEND_SHUTDOWN */
#define SND_SHUT 2u
#define ALL_SHUT (RCV_SHUT | SND_SHUT)

/* A stream direction's bytes: a list of chunks, appended at the tail,
 * consumed from the head (Linux's receive queue of skbs, coalesced). */
struct chunk {
    struct chunk *next;
    size_t start, end, cap; /* unread bytes are data[start, end) */
    uint8_t data[];
};
struct byteq {
    struct chunk *head, *tail;
    size_t bytes;
};

struct usock {
    struct sock sk;                 /* first: a struct sock * is a struct usock * */
    struct unix_ns *ns;
    struct usock *all_prev, *all_next; /* every socket of the namespace */
    struct usock *name_next;        /* hash chain of bound names */
    bool bound, listening;
    bool connected;                 /* stream: was connected (Linux TCP_ESTABLISHED); dgram: has a peer */
    bool embryo;                    /* stream child still in its listener's accept queue */
    bool peer_died;                 /* dgram: the connected peer closed: the next send is ECONNREFUSED */
    bool has_waiters;               /* dgram: some sender found our queue full */
    uint8_t shut;                   /* RCV_SHUT | SND_SHUT */
    uint8_t name_len;
    char name[TP_UNIX_PATH_MAX];
    struct endpoint peer_name;      /* getpeername(), copied at connect */
    struct usock *peer;             /* stream: the other end while it lives; dgram: default destination */
    struct usock *blocked_on;       /* dgram: the receiver whose full queue we wait on */
    struct byteq rx;                /* stream */
    struct dgram_queue dq;          /* dgram */
    struct usock *acc_head, *acc_tail, *acc_next; /* listener's accept queue / its link */
    int acc_count, backlog;
};

struct unix_ns {
    struct usock *all;
    struct usock *names[UNIX_NAME_HASH];
    uint32_t autobind_next;
};

static struct usock *us(struct sock *s) { return (struct usock *)s; }

/* ---- the byte queue of a stream ---- */

static size_t byteq_push(struct byteq *q, const uint8_t *p, size_t len)
{
    size_t done = 0;
    while (done < len) {
        struct chunk *c = q->tail;
        if (!c || c->end == c->cap) {
            size_t cap = len - done > UNIX_CHUNK ? len - done : UNIX_CHUNK;
            c = malloc(sizeof *c + cap);
            if (!c)
                break; /* out of memory: a short send, the caller tries again */
            c->next = NULL;
            c->start = c->end = 0;
            c->cap = cap;
            if (q->tail)
                q->tail->next = c;
            else
                q->head = c;
            q->tail = c;
        }
        size_t n = c->cap - c->end < len - done ? c->cap - c->end : len - done;
        memcpy(c->data + c->end, p + done, n);
        c->end += n;
        done += n;
    }
    q->bytes += done;
    return done;
}

static size_t byteq_pop(struct byteq *q, uint8_t *out, size_t len, bool peek)
{
    size_t done = 0;
    struct chunk *c = q->head;
    while (c && done < len) {
        size_t n = c->end - c->start < len - done ? c->end - c->start : len - done;
        memcpy(out + done, c->data + c->start, n);
        done += n;
        if (peek) {
            c = c->next;
            continue;
        }
        c->start += n;
        if (c->start == c->end) {
            q->head = c->next;
            if (!q->head)
                q->tail = NULL;
            free(c);
            c = q->head;
        }
    }
    if (!peek)
        q->bytes -= done;
    return done;
}

static void byteq_clear(struct byteq *q)
{
    while (q->head) {
        struct chunk *c = q->head;
        q->head = c->next;
        free(c);
    }
    q->tail = NULL;
    q->bytes = 0;
}

/* ---- the namespace ---- */

static void ns_fini(struct stack *st);

static struct unix_ns *ns_get(struct stack *st)
{
    if (!st->unix_ns) {
        struct unix_ns *ns = calloc(1, sizeof *ns);
        if (!ns)
            return NULL;
        if (stack_at_destroy(st, ns_fini) != 0) {
            free(ns);
            return NULL;
        }
        st->unix_ns = ns;
    }
    return st->unix_ns;
}

static uint32_t name_hash(const char *name, size_t len)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)name[i]) * 16777619u;
    return h & (UNIX_NAME_HASH - 1);
}

static struct usock *ns_lookup(struct unix_ns *ns, const char *name, size_t len)
{
    for (struct usock *u = ns->names[name_hash(name, len)]; u; u = u->name_next)
        if (u->name_len == len && memcmp(u->name, name, len) == 0)
            return u;
    return NULL;
}

static void ns_add_name(struct usock *u)
{
    struct usock **b = &u->ns->names[name_hash(u->name, u->name_len)];
    u->name_next = *b;
    *b = u;
    u->bound = true;
}

static void ns_remove_name(struct usock *u)
{
    if (!u->bound)
        return;
    for (struct usock **p = &u->ns->names[name_hash(u->name, u->name_len)]; *p; p = &(*p)->name_next)
        if (*p == u) {
            *p = u->name_next;
            break;
        }
    u->bound = false;
}

/* The endpoint naming u (unnamed: path_len 0). */
static void name_of(const struct usock *u, struct endpoint *out)
{
    memset(out, 0, sizeof *out);
    out->addr.family = TP_AF_UNIX;
    if (u->bound) {
        out->path_len = u->name_len;
        memcpy(out->path, u->name, u->name_len);
    }
}

/* Finds the socket a connect / sendto names: Linux's unix_find_other. */
static int find_other(struct usock *u, const struct endpoint *ep, struct usock **out)
{
    *out = NULL;
    if (ep->addr.family != TP_AF_UNIX || ep->path_len == 0)
        return -EINVAL;
    struct usock *o = ns_lookup(u->ns, ep->path, ep->path_len);
    if (!o) {
        u->sk.st->ctr.unix_refused++;
        /* A path that names nothing is a missing file; an abstract name is
         * simply nobody listening. */
        return ep->path[0] == '\0' ? -ECONNREFUSED : -ENOENT;
    }
    if (o->sk.type != u->sk.type) {
        u->sk.st->ctr.unix_refused++;
        return -EPROTOTYPE;
    }
    *out = o;
    return 0;
}

/* ---- creating ---- */

static const struct sock_proto unix_stream_proto, unix_dgram_proto;

static struct usock *usock_new(struct stack *st, int type)
{
    struct unix_ns *ns = ns_get(st);
    if (!ns)
        return NULL;
    struct usock *u = calloc(1, sizeof *u);
    if (!u)
        return NULL;
    sock_init_common(&u->sk, st, type == SOCK_STREAM ? &unix_stream_proto : &unix_dgram_proto, TP_AF_UNIX,
                     type, 0);
    u->sk.sndbuf = UNIX_SNDBUF_DEFAULT;
    u->sk.rcvbuf = UNIX_RCVBUF_DEFAULT;
    u->ns = ns;
    u->all_next = ns->all;
    if (ns->all)
        ns->all->all_prev = u;
    ns->all = u;
    return u;
}

/* Linux's unix_create takes SOCK_RAW as SOCK_DGRAM (SO_TYPE then says
 * SOCK_DGRAM).  SOCK_SEQPACKET is not implemented here. */
static int unix_type(int type)
{
    return type == SOCK_RAW ? SOCK_DGRAM : type;
}

int unix_sock_create(struct stack *st, int type, struct sock **out)
{
    *out = NULL;
    type = unix_type(type);
    if (type != SOCK_STREAM && type != SOCK_DGRAM)
        return -ESOCKTNOSUPPORT;
    struct usock *u = usock_new(st, type);
    if (!u)
        return -ENOMEM;
    *out = &u->sk;
    return 0;
}

/* Joins a and b (stream or datagram) as each other's peer. */
static void join(struct usock *a, struct usock *b)
{
    a->peer = b;
    b->peer = a;
    a->connected = b->connected = true;
    name_of(b, &a->peer_name);
    name_of(a, &b->peer_name);
}

static void usock_free(struct usock *u);

int unix_sock_pair(struct stack *st, int type, struct sock **a, struct sock **b)
{
    *a = *b = NULL;
    type = unix_type(type);
    if (type != SOCK_STREAM && type != SOCK_DGRAM)
        return -ESOCKTNOSUPPORT;
    struct usock *x = usock_new(st, type), *y = x ? usock_new(st, type) : NULL;
    if (!y) {
        if (x)
            usock_free(x);
        return -ENOMEM;
    }
    join(x, y);
    *a = &x->sk;
    *b = &y->sk;
    return 0;
}

/* ---- bind, listen, accept, connect ---- */

static int unix_bind(struct sock *s, const struct endpoint *local)
{
    struct usock *u = us(s);
    if (u->bound)
        return -EINVAL;
    if (local->path_len > TP_UNIX_PATH_MAX)
        return -EINVAL;
    if (local->path_len == 0) {
        /* Autobind: an abstract name of five hex digits (Linux). */
        for (uint32_t tries = 0; tries <= 0xfffff; tries++) {
            char name[8];
            name[0] = '\0';
            snprintf(name + 1, sizeof name - 1, "%05x", u->ns->autobind_next++ & 0xfffff);
            if (!ns_lookup(u->ns, name, 6)) {
                memcpy(u->name, name, 6);
                u->name_len = 6;
                ns_add_name(u);
                return 0;
            }
        }
        return -ENOSPC;
    }
    if (ns_lookup(u->ns, local->path, local->path_len))
        return -EADDRINUSE;
    memcpy(u->name, local->path, local->path_len);
    u->name_len = local->path_len;
    ns_add_name(u);
    return 0;
}

static int unix_listen(struct sock *s, int backlog)
{
    struct usock *u = us(s);
    if (s->type != SOCK_STREAM)
        return -EOPNOTSUPP;
    if (!u->bound || u->connected)
        return -EINVAL; /* Linux: listen needs a name and an unconnected socket */
    u->listening = true;
    u->backlog = backlog < 0 ? 0 : backlog;
    sock_wake(s); /* a connect waiting on a full backlog may go on */
    return 0;
}

/* Room appeared at r (its datagram queue, its accept queue) or r went
 * away: wake the sockets that found it full.  A scan of the namespace, only
 * when someone did wait. */
static void wake_waiters(struct usock *r)
{
    if (!r->has_waiters)
        return;
    r->has_waiters = false;
    for (struct usock *o = r->ns->all; o; o = o->all_next)
        if (o->blocked_on == r) {
            o->blocked_on = NULL;
            sock_wake(&o->sk);
        }
}

static int unix_accept(struct sock *s, struct sock **child, struct endpoint *peer)
{
    struct usock *u = us(s);
    if (!u->listening)
        return -EINVAL;
    struct usock *c = u->acc_head;
    if (!c)
        return -EAGAIN;
    u->acc_head = c->acc_next;
    if (!u->acc_head)
        u->acc_tail = NULL;
    u->acc_count--;
    c->acc_next = NULL;
    c->embryo = false;
    if (peer)
        *peer = c->peer_name;
    *child = &c->sk;
    wake_waiters(u); /* connects waiting for room in the backlog */
    return 0;
}

static int stream_connect(struct usock *u, const struct endpoint *peer)
{
    if (u->listening)
        return -EINVAL;
    if (u->connected)
        return -EISCONN;
    if (peer->addr.family != TP_AF_UNIX)
        return -EINVAL;
    struct usock *l;
    int err = find_other(u, peer, &l);
    if (err)
        return err;
    if (!l->listening || (l->shut & RCV_SHUT)) {
        u->sk.st->ctr.unix_refused++;
        return -ECONNREFUSED;
    }
    if (l->acc_count > l->backlog) {
        /* Linux: EAGAIN for a non-blocking connect; a blocking one waits
         * (the api layer waits for our wake, from accept or close). */
        u->sk.st->ctr.unix_backlog_full++;
        u->blocked_on = l;
        l->has_waiters = true;
        return -EAGAIN;
    }
    struct usock *c = usock_new(u->sk.st, SOCK_STREAM);
    if (!c)
        return -ENOMEM;
    /* The child inherits the listener's name and buffer sizes. */
    c->sk.sndbuf = l->sk.sndbuf;
    c->sk.rcvbuf = l->sk.rcvbuf;
    memcpy(c->name, l->name, l->name_len);
    c->name_len = l->name_len;
    c->bound = false; /* shares the name without owning it in the hash */
    join(u, c);
    name_of(l, &u->peer_name); /* the connector's peer is the name it connected to */
    c->embryo = true;
    if (l->acc_tail)
        l->acc_tail->acc_next = c;
    else
        l->acc_head = c;
    l->acc_tail = c;
    l->acc_count++;
    u->blocked_on = NULL;
    u->sk.st->ctr.unix_connects++;
    sock_wake(&l->sk);
    return 0;
}

static void dgram_disconnect(struct usock *u)
{
    u->peer = NULL;
    u->connected = false;
    u->peer_died = false;
    memset(&u->peer_name, 0, sizeof u->peer_name);
}

static int dgram_connect(struct usock *u, const struct endpoint *peer)
{
    if (peer->addr.family == TP_AF_UNSPEC) {
        dgram_disconnect(u);
        return 0;
    }
    struct usock *o;
    int err = find_other(u, peer, &o);
    if (err)
        return err;
    u->peer = o;
    u->connected = true;
    u->peer_died = false;
    name_of(o, &u->peer_name);
    return 0;
}

static int unix_connect(struct sock *s, const struct endpoint *peer)
{
    return s->type == SOCK_STREAM ? stream_connect(us(s), peer) : dgram_connect(us(s), peer);
}

/* ---- streams: send and receive ---- */

/* A receive with nothing queued: the pending error (once), EOF after the
 * read side was shut (by us or by the peer), else "wait". */
static ssize_t nothing_queued(struct usock *u)
{
    if (u->sk.so_error) {
        int e = u->sk.so_error;
        u->sk.so_error = 0;
        return -e;
    }
    return (u->shut & RCV_SHUT) ? 0 : -EAGAIN;
}

static size_t stream_cap(const struct usock *u)
{
    return u->sk.sndbuf < UNIX_STREAM_MAX_BYTES ? u->sk.sndbuf : UNIX_STREAM_MAX_BYTES;
}

static ssize_t stream_send(struct sock *s, const void *buf, size_t len, int flags,
                           const struct endpoint *to)
{
    struct usock *u = us(s);
    if (flags & MSG_OOB)
        return -EOPNOTSUPP;
    if (to)
        return u->connected ? -EISCONN : -EOPNOTSUPP;
    if (!u->connected)
        return -ENOTCONN;
    struct usock *p = u->peer;
    if ((u->shut & SND_SHUT) || !p || (p->shut & RCV_SHUT))
        return -EPIPE;
    if (len == 0)
        return 0;
    size_t cap = stream_cap(u);
    size_t room = p->rx.bytes < cap ? cap - p->rx.bytes : 0;
    if (room == 0)
        return -EAGAIN;
    size_t n = byteq_push(&p->rx, buf, len < room ? len : room);
    if (n == 0)
        return -ENOMEM;
    s->st->ctr.unix_stream_bytes += n;
    sock_wake(&p->sk);
    return (ssize_t)n;
}

static ssize_t stream_recv(struct sock *s, void *buf, size_t len, int flags, struct endpoint *from,
                           size_t *full_len)
{
    struct usock *u = us(s);
    (void)full_len;
    if (flags & MSG_OOB)
        return -EOPNOTSUPP;
    if (!u->connected)
        return -EINVAL; /* Linux: recv on a stream socket that is not connected */
    if (u->rx.bytes == 0)
        return len == 0 && !s->so_error ? 0 : nothing_queued(u);
    size_t n = byteq_pop(&u->rx, buf, len, flags & MSG_PEEK);
    if (from)
        *from = u->peer_name;
    if (n && !(flags & MSG_PEEK) && u->peer)
        sock_wake(&u->peer->sk); /* room for the writer */
    return (ssize_t)n;
}

/* ---- datagrams: send and receive ---- */

static bool dq_full(const struct usock *r)
{
    return r->dq.count >= UNIX_DGRAM_QLEN || (r->dq.count > 0 && r->dq.bytes >= r->sk.rcvbuf);
}

static ssize_t dgram_send(struct sock *s, const void *buf, size_t len, int flags, const struct endpoint *to)
{
    struct usock *u = us(s), *r;
    if (flags & MSG_OOB)
        return -EOPNOTSUPP;
    if (len + 32 > s->sndbuf)
        return -EMSGSIZE;
    if (to) {
        int err = find_other(u, to, &r);
        if (err)
            return err;
    } else {
        if (u->peer_died) {
            dgram_disconnect(u);
            return -ECONNREFUSED;
        }
        if (!u->peer)
            return -ENOTCONN;
        r = u->peer;
    }
    if (u->shut & SND_SHUT)
        return -EPIPE;
    if (r->peer && r->peer != u)
        return -EPERM; /* r is connected to someone else */
    if (r->shut & RCV_SHUT)
        return -EPIPE;
    if (dq_full(r)) {
        s->st->ctr.unix_dgram_queue_full++;
        u->blocked_on = r;
        r->has_waiters = true;
        return -EAGAIN;
    }
    struct endpoint from;
    name_of(u, &from);
    if (!u->bound)
        from.addr.family = TP_AF_UNSPEC; /* an unnamed sender: Python's None */
    /* The queue is bounded by dq_full (count, and bytes before this one):
     * the datagram itself is taken whole. */
    if (!dgq_push(&r->dq, &from, -1, buf, len, NULL, 0, (size_t)-1))
        return -ENOMEM;
    u->blocked_on = NULL;
    s->st->ctr.unix_dgrams++;
    sock_wake(&r->sk);
    return (ssize_t)len;
}

static ssize_t dgram_recv(struct sock *s, void *buf, size_t len, int flags, struct endpoint *from,
                          size_t *full_len)
{
    struct usock *u = us(s);
    if (flags & MSG_OOB)
        return -EOPNOTSUPP;
    ssize_t n = dgq_pop(&u->dq, buf, len, flags, from, full_len);
    if (n == -EAGAIN)
        return nothing_queued(u);
    if (!(flags & MSG_PEEK))
        wake_waiters(u);
    return n;
}

/* ---- shutdown, poll, names ---- */

static int unix_shutdown(struct sock *s, int how)
{
    struct usock *u = us(s);
    /* SHUT_RD 0, SHUT_WR 1, SHUT_RDWR 2 -> RCV 1, SND 2, both 3 (Linux). */
    uint8_t mode = (uint8_t)(how + 1);
    u->shut |= mode;
    sock_wake(s);
    if (s->type == SOCK_STREAM && u->peer) {
        struct usock *p = u->peer;
        uint8_t pm = (uint8_t)(((mode & RCV_SHUT) ? SND_SHUT : 0) | ((mode & SND_SHUT) ? RCV_SHUT : 0));
        p->shut |= pm;
        sock_wake(&p->sk);
    }
    if (s->type == SOCK_DGRAM && (mode & RCV_SHUT))
        wake_waiters(u);
    return 0;
}

static uint32_t unix_poll(struct sock *s)
{
    struct usock *u = us(s);
    uint32_t ev = 0;
    if (s->so_error)
        ev |= SOCK_POLLERR;
    if (u->shut == ALL_SHUT)
        ev |= SOCK_POLLHUP;
    if (u->shut & RCV_SHUT)
        ev |= SOCK_POLLRDHUP | SOCK_POLLIN;
    if (s->type == SOCK_STREAM) {
        if (u->listening) {
            if (u->acc_head)
                ev |= SOCK_POLLIN;
            return ev; /* a listener is never writable */
        }
        if (u->rx.bytes)
            ev |= SOCK_POLLIN;
        if (!u->connected)
            ev |= SOCK_POLLHUP; /* Linux: TCP_CLOSE state */
        /* Writable while the peer holds at most a quarter of our budget
         * (Linux's unix_writable), or when a send would fail at once. */
        if (!u->peer || u->peer->rx.bytes * 4 <= stream_cap(u))
            ev |= SOCK_POLLOUT;
    } else {
        if (u->dq.count)
            ev |= SOCK_POLLIN;
        /* Not writable while the connected peer's queue is full (Linux
         * skips this for a mutually connected pair, bounding it by the
         * sender's memory instead; here every queue has the one bound, so
         * poll says what send will do). */
        struct usock *p = u->peer;
        if (p && dq_full(p)) {
            u->blocked_on = p; /* woken when p's queue has room */
            p->has_waiters = true;
        } else {
            ev |= SOCK_POLLOUT;
        }
    }
    return ev;
}

static int unix_getname(struct sock *s, struct endpoint *out, bool peer)
{
    struct usock *u = us(s);
    if (!peer) {
        name_of(u, out);
        if (!u->bound && u->name_len) { /* an accepted child: its listener's name */
            out->path_len = u->name_len;
            memcpy(out->path, u->name, u->name_len);
        }
        return 0;
    }
    if (!u->connected)
        return -ENOTCONN;
    *out = u->peer_name;
    return 0;
}

/* ---- closing ---- */

static void usock_free(struct usock *u)
{
    struct unix_ns *ns = u->ns;
    ns_remove_name(u);
    if (u->all_prev)
        u->all_prev->all_next = u->all_next;
    else
        ns->all = u->all_next;
    if (u->all_next)
        u->all_next->all_prev = u->all_prev;
    byteq_clear(&u->rx);
    dgq_clear(&u->dq);
    free(u);
}

/* Linux's unix_release_sock: the peer of a stream sees EOF (ECONNRESET if
 * we leave unread data or were never accepted), datagram sockets connected
 * to us learn on their next send. */
static void release(struct usock *u)
{
    u->shut = ALL_SHUT;
    ns_remove_name(u);
    while (u->acc_head) { /* connections never accepted */
        struct usock *c = u->acc_head;
        u->acc_head = c->acc_next;
        release(c);
    }
    u->acc_tail = NULL;
    u->acc_count = 0;
    if (u->sk.type == SOCK_STREAM && u->peer) {
        struct usock *p = u->peer;
        if (u->rx.bytes || u->embryo)
            p->sk.so_error = ECONNRESET;
        p->shut = ALL_SHUT;
        p->peer = NULL;
        sock_wake(&p->sk);
    }
    /* No one may keep a pointer to u: senders waiting on it, datagram
     * sockets connected to it (a scan: only datagram sockets are pointed
     * at by sockets they do not know). */
    wake_waiters(u);
    if (u->sk.type == SOCK_DGRAM) {
        for (struct usock *o = u->ns->all; o; o = o->all_next)
            if (o != u && o->peer == u) {
                o->peer = NULL;
                o->peer_died = true;
                sock_wake(&o->sk);
            }
    }
    usock_free(u);
}

static void unix_close(struct sock *s) { release(us(s)); }

static void ns_fini(struct stack *st)
{
    struct unix_ns *ns = st->unix_ns;
    if (!ns)
        return;
    while (ns->all) {
        struct usock *u = ns->all;
        ns->all = u->all_next;
        byteq_clear(&u->rx);
        dgq_clear(&u->dq);
        free(u);
    }
    free(ns);
    st->unix_ns = NULL;
}

static const struct sock_proto unix_stream_proto = {
    .name = "unix-stream",
    .bind = unix_bind,
    .listen = unix_listen,
    .accept = unix_accept,
    .connect = unix_connect,
    .send = stream_send,
    .recv = stream_recv,
    .shutdown = unix_shutdown,
    .close = unix_close,
    .poll = unix_poll,
    .getname = unix_getname,
};

static const struct sock_proto unix_dgram_proto = {
    .name = "unix-dgram",
    .bind = unix_bind,
    .listen = unix_listen,
    .connect = unix_connect,
    .send = dgram_send,
    .recv = dgram_recv,
    .shutdown = unix_shutdown,
    .close = unix_close,
    .poll = unix_poll,
    .getname = unix_getname,
};
