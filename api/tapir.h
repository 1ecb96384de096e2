/* tapir's public API: Python's `socket` module, in C, on tapir's own TCP/IP
 * stack.  The one header a program includes.
 *
 * A socket is a small int (its fileno) in tapir's own descriptor table, not
 * a kernel fd.  Every call returns -1 (or NULL) on failure and leaves a
 * thread-local error shaped like the exception Python would raise (api/error.h):
 *
 *   Python                                  C
 *   s = socket.socket()                     int s = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_STREAM, 0);
 *   s.connect(('198.18.0.1', 7))            tapir_connect(s, TAPIR_ADDR("198.18.0.1", 7));
 *   s.sendall(b'Hello')                     tapir_sendall(s, "Hello", 5, 0);
 *   data = s.recv(1024)                     n = tapir_recv(s, buf, 1024, 0);
 *   s.settimeout(2.0)                       tapir_settimeout(s, 2.0);
 *   except socket.timeout                   tapir_last_error()->kind == TAPIR_ERR_TIMEOUT
 *   s.close()                               tapir_close(s);
 *
 * Sockets live on a runner (api/runner.h): tapir_socket() uses the default
 * one (the first started), tapir_socket_on() a given one.
 *
 * Timeouts are seconds as a double, as in Python; a negative value stands for
 * None (blocking), 0.0 is non-blocking.
 */
#ifndef TAPIR_API_TAPIR_H
#define TAPIR_API_TAPIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "api/error.h"
#include "api/runner.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Constants: Linux's values, as Python's socket module has them ---- */

#define TAPIR_AF_UNSPEC   0
#define TAPIR_AF_UNIX     1
#define TAPIR_AF_INET     2
#define TAPIR_AF_INET6    10

#define TAPIR_SOCK_STREAM    1
#define TAPIR_SOCK_DGRAM     2
#define TAPIR_SOCK_RAW       3
#define TAPIR_SOCK_RDM       4
#define TAPIR_SOCK_SEQPACKET 5
#define TAPIR_SOCK_NONBLOCK  04000
#define TAPIR_SOCK_CLOEXEC   02000000

#define TAPIR_SOL_IP      0
#define TAPIR_SOL_SOCKET  1
#define TAPIR_SOL_TCP     6
#define TAPIR_SOL_UDP     17
#define TAPIR_SOL_IPV6    41

#define TAPIR_SO_DEBUG       1
#define TAPIR_SO_REUSEADDR   2
#define TAPIR_SO_TYPE        3
#define TAPIR_SO_ERROR       4
#define TAPIR_SO_DONTROUTE   5
#define TAPIR_SO_BROADCAST   6
#define TAPIR_SO_SNDBUF      7
#define TAPIR_SO_RCVBUF      8
#define TAPIR_SO_KEEPALIVE   9
#define TAPIR_SO_OOBINLINE   10
#define TAPIR_SO_PRIORITY    12
#define TAPIR_SO_LINGER      13
#define TAPIR_SO_REUSEPORT   15
#define TAPIR_SO_RCVLOWAT    18
#define TAPIR_SO_SNDLOWAT    19
#define TAPIR_SO_RCVTIMEO    20
#define TAPIR_SO_SNDTIMEO    21
#define TAPIR_SO_BINDTODEVICE 25
#define TAPIR_SO_ACCEPTCONN  30
#define TAPIR_SO_PROTOCOL    38
#define TAPIR_SO_DOMAIN      39
/* SO_ZEROCOPY (Linux's 60) is accepted on TCP and UDP sockets so programs
 * written for Linux run, but tapir never sends from the caller's pages: with
 * or without it, and with MSG_ZEROCOPY, the data is copied into the send
 * buffer before the call returns and the buffer is free again at once.  No
 * completion notification is ever queued (tapir has no socket error queue:
 * recv with TAPIR_MSG_ERRQUEUE fails, POLLERR never reports one), where Linux
 * would queue SO_EE_ORIGIN_ZEROCOPY notices (SO_EE_CODE_ZEROCOPY_COPIED when
 * it copied): do not wait for them. */
#define TAPIR_SO_ZEROCOPY    60

#define TAPIR_IPPROTO_IP      0
#define TAPIR_IPPROTO_HOPOPTS 0
#define TAPIR_IPPROTO_ICMP    1
#define TAPIR_IPPROTO_IGMP    2
#define TAPIR_IPPROTO_IPIP    4
#define TAPIR_IPPROTO_TCP     6
#define TAPIR_IPPROTO_EGP     8
#define TAPIR_IPPROTO_PUP     12
#define TAPIR_IPPROTO_UDP     17
#define TAPIR_IPPROTO_IDP     22
#define TAPIR_IPPROTO_TP      29
#define TAPIR_IPPROTO_IPV6    41
#define TAPIR_IPPROTO_ROUTING 43
#define TAPIR_IPPROTO_FRAGMENT 44
#define TAPIR_IPPROTO_RSVP    46
#define TAPIR_IPPROTO_GRE     47
#define TAPIR_IPPROTO_ESP     50
#define TAPIR_IPPROTO_AH      51
#define TAPIR_IPPROTO_ICMPV6  58
#define TAPIR_IPPROTO_NONE    59
#define TAPIR_IPPROTO_DSTOPTS 60
#define TAPIR_IPPROTO_PIM     103
#define TAPIR_IPPROTO_SCTP    132
#define TAPIR_IPPROTO_UDPLITE 136
#define TAPIR_IPPROTO_RAW     255

#define TAPIR_IPPORT_RESERVED     1024
#define TAPIR_IPPORT_USERRESERVED 5000

#define TAPIR_INADDR_ANY             0x00000000u
#define TAPIR_INADDR_BROADCAST       0xffffffffu
#define TAPIR_INADDR_NONE            0xffffffffu
#define TAPIR_INADDR_LOOPBACK        0x7f000001u
#define TAPIR_INADDR_UNSPEC_GROUP    0xe0000000u
#define TAPIR_INADDR_ALLHOSTS_GROUP  0xe0000001u
#define TAPIR_INADDR_MAX_LOCAL_GROUP 0xe00000ffu

#define TAPIR_IP_TOS              1
#define TAPIR_IP_TTL              2
#define TAPIR_IP_HDRINCL          3
#define TAPIR_IP_OPTIONS          4
#define TAPIR_IP_RECVOPTS         6
#define TAPIR_IP_RETOPTS          7
#define TAPIR_IP_RECVRETOPTS      7
#define TAPIR_IP_PKTINFO          8
#define TAPIR_IP_MTU_DISCOVER     10   /* int or one byte, a TAPIR_IP_PMTUDISC_* value */
/* IP_MTU_DISCOVER values (Linux's): DONT sends without DF and ignores path MTU
 * errors; WANT (TCP's default) and DO set DF and follow the path MTU; PROBE
 * sets DF and ignores it; INTERPRET sets DF; OMIT neither.  UDP sets DF only
 * when one of WANT/DO/PROBE/INTERPRET was set explicitly. */
#define TAPIR_IP_PMTUDISC_DONT      0
#define TAPIR_IP_PMTUDISC_WANT      1
#define TAPIR_IP_PMTUDISC_DO        2
#define TAPIR_IP_PMTUDISC_PROBE     3
#define TAPIR_IP_PMTUDISC_INTERPRET 4
#define TAPIR_IP_PMTUDISC_OMIT      5
#define TAPIR_IP_RECVERR          11
#define TAPIR_IP_RECVTTL          12
#define TAPIR_IP_RECVTOS          13
#define TAPIR_IP_MTU              14
#define TAPIR_IP_TRANSPARENT      19
#define TAPIR_IP_BIND_ADDRESS_NO_PORT 24
#define TAPIR_IP_MULTICAST_IF     32
#define TAPIR_IP_MULTICAST_TTL    33
#define TAPIR_IP_MULTICAST_LOOP   34
#define TAPIR_IP_ADD_MEMBERSHIP   35
#define TAPIR_IP_DROP_MEMBERSHIP  36
#define TAPIR_IP_DEFAULT_MULTICAST_TTL  1
#define TAPIR_IP_DEFAULT_MULTICAST_LOOP 1
#define TAPIR_IP_MAX_MEMBERSHIPS  20

#define TAPIR_IPV6_CHECKSUM        7
#define TAPIR_IPV6_UNICAST_HOPS    16
#define TAPIR_IPV6_MULTICAST_IF    17
#define TAPIR_IPV6_MULTICAST_HOPS  18
#define TAPIR_IPV6_MULTICAST_LOOP  19
#define TAPIR_IPV6_JOIN_GROUP      20
#define TAPIR_IPV6_LEAVE_GROUP     21
#define TAPIR_IPV6_RECVERR         25
#define TAPIR_IPV6_V6ONLY          26
#define TAPIR_IPV6_RECVPKTINFO     49
#define TAPIR_IPV6_PKTINFO         50
#define TAPIR_IPV6_RECVHOPLIMIT    51
#define TAPIR_IPV6_HOPLIMIT        52
#define TAPIR_IPV6_RECVTCLASS      66
#define TAPIR_IPV6_TCLASS          67
#define TAPIR_IPV6_DONTFRAG        62

#define TAPIR_TCP_NODELAY       1
#define TAPIR_TCP_MAXSEG        2
#define TAPIR_TCP_CORK          3
#define TAPIR_TCP_KEEPIDLE      4
#define TAPIR_TCP_KEEPINTVL     5
#define TAPIR_TCP_KEEPCNT       6
#define TAPIR_TCP_SYNCNT        7
#define TAPIR_TCP_LINGER2       8
#define TAPIR_TCP_DEFER_ACCEPT  9
#define TAPIR_TCP_WINDOW_CLAMP  10
#define TAPIR_TCP_INFO          11
#define TAPIR_TCP_QUICKACK      12
#define TAPIR_TCP_CONGESTION    13
/* TCP_USER_TIMEOUT (RFC 5482, Linux's semantics): milliseconds data may
 * stay unacknowledged (also while probing a zero window, or retrying a
 * segment the interface refused) before the connection is aborted with
 * ETIMEDOUT; 0 = the system's retries (tcp_retries2). */
#define TAPIR_TCP_USER_TIMEOUT  18
#define TAPIR_TCP_FASTOPEN      23
/* TCP Fast Open, client side (RFC 7413; net.ipv4.tcp_fastopen bit 1, on by
 * default): TCP_FASTOPEN_CONNECT = 1 lets connect() return at once when a
 * cookie for the server is cached, the SYN leaving with the first send's
 * data; sendto(..., TAPIR_MSG_FASTOPEN, address) connects and sends in one
 * call (data in the SYN with a cached cookie, else a cookie request and the
 * data after the handshake).  The server side is not implemented: a tapir
 * listener answers such a SYN with a plain handshake, as RFC 7413 allows. */
#define TAPIR_TCP_FASTOPEN_CONNECT 30
/* TCP_NOTSENT_LOWAT: unsent bytes at which a send stops taking more, and
 * writability (select/poll, epoll EPOLLOUT) needs fewer than
 * half this many unsent; 0 = the system's tcp_notsent_lowat (no limit). */
#define TAPIR_TCP_NOTSENT_LOWAT 25

/* Urgent data stays in the stream, as with SO_OOBINLINE on (RFC 6093's
 * advice): recv(MSG_OOB) is EINVAL, and select/poll report the socket both
 * readable and exceptional (POLLPRI) until the urgent byte is read.  Linux
 * without SO_OOBINLINE hands that byte out of band instead. */
#define TAPIR_MSG_OOB       0x1
#define TAPIR_MSG_PEEK      0x2
#define TAPIR_MSG_DONTROUTE 0x4
#define TAPIR_MSG_CTRUNC    0x8
#define TAPIR_MSG_TRUNC     0x20
#define TAPIR_MSG_DONTWAIT  0x40
#define TAPIR_MSG_EOR       0x80
#define TAPIR_MSG_WAITALL   0x100
#define TAPIR_MSG_CONFIRM   0x800
#define TAPIR_MSG_ERRQUEUE  0x2000
#define TAPIR_MSG_NOSIGNAL  0x4000
#define TAPIR_MSG_MORE      0x8000   /* TCP: hold a small tail for this call only (the next ACK or send releases it) */
#define TAPIR_MSG_FASTOPEN  0x20000000  /* TCP: sendto() connects with Fast Open (see TAPIR_TCP_FASTOPEN_CONNECT) */
#define TAPIR_MSG_ZEROCOPY  0x4000000   /* accepted, the data is copied: see TAPIR_SO_ZEROCOPY */
#define TAPIR_MSG_CMSG_CLOEXEC 0x40000000

#define TAPIR_SHUT_RD   0
#define TAPIR_SHUT_WR   1
#define TAPIR_SHUT_RDWR 2

#define TAPIR_SOMAXCONN 4096

#define TAPIR_EAI_BADFLAGS   (-1)
#define TAPIR_EAI_NONAME     (-2)
#define TAPIR_EAI_AGAIN      (-3)
#define TAPIR_EAI_FAIL       (-4)
#define TAPIR_EAI_NODATA     (-5)
#define TAPIR_EAI_FAMILY     (-6)
#define TAPIR_EAI_SOCKTYPE   (-7)
#define TAPIR_EAI_SERVICE    (-8)
#define TAPIR_EAI_ADDRFAMILY (-9)
#define TAPIR_EAI_MEMORY     (-10)
#define TAPIR_EAI_SYSTEM     (-11)
#define TAPIR_EAI_OVERFLOW   (-12)

#define TAPIR_AI_PASSIVE     0x0001
#define TAPIR_AI_CANONNAME   0x0002
#define TAPIR_AI_NUMERICHOST 0x0004
#define TAPIR_AI_V4MAPPED    0x0008
#define TAPIR_AI_ALL         0x0010
#define TAPIR_AI_ADDRCONFIG  0x0020
#define TAPIR_AI_NUMERICSERV 0x0400

#define TAPIR_NI_NUMERICHOST 1
#define TAPIR_NI_NUMERICSERV 2
#define TAPIR_NI_NOFQDN      4
#define TAPIR_NI_NAMEREQD    8
#define TAPIR_NI_DGRAM       16
#define TAPIR_NI_MAXHOST     1025
#define TAPIR_NI_MAXSERV     32

/* poll / epoll event bits (Linux's values). */
#define TAPIR_POLLIN     0x001
#define TAPIR_POLLPRI    0x002
#define TAPIR_POLLOUT    0x004
#define TAPIR_POLLERR    0x008
#define TAPIR_POLLHUP    0x010
#define TAPIR_POLLNVAL   0x020
#define TAPIR_POLLRDHUP  0x2000
#define TAPIR_EPOLLIN      0x001u
#define TAPIR_EPOLLPRI     0x002u
#define TAPIR_EPOLLOUT     0x004u
#define TAPIR_EPOLLERR     0x008u
#define TAPIR_EPOLLHUP     0x010u
#define TAPIR_EPOLLRDHUP   0x2000u
#define TAPIR_EPOLLONESHOT (1u << 30)
#define TAPIR_EPOLLET      (1u << 31)

/* Timeouts: any negative value is None (blocking). */
#define TAPIR_TIMEOUT_NONE    (-1.0)
/* create_connection()'s default: "use getdefaulttimeout()" (Python's
 * _GLOBAL_DEFAULT_TIMEOUT). */
#define TAPIR_TIMEOUT_DEFAULT (-2.0)
/* listen() without a backlog: Python's min(SOMAXCONN, 128). */
#define TAPIR_BACKLOG_DEFAULT (-2147483647 - 1)
/* socket() argument left to its default (Python's -1). */
#define TAPIR_DEFAULT (-1)

#define TAPIR_HAS_IPV6 1

/* ---- Addresses: Python's tuples ----
 * (host, port) for AF_INET, (host, port, flowinfo, scope_id) for AF_INET6.
 * host is a numeric address or a name ("localhost"; others through the
 * resolver), '' is INADDR_ANY / in6addr_any, "<broadcast>" INADDR_BROADCAST.
 * family 0 means "read it as the socket's family", as Python does.
 * AF_UNIX: a path (Python's str or bytes).  AF_UNIX names live in a
 * namespace of the stack instance (the runner), NOT in the file system:
 * binding "/tmp/x" creates no file, and the name goes when its socket
 * closes (nothing to unlink).  An unnamed socket's name is "". */
#define TAPIR_HOST_MAX 256
typedef struct tapir_addr {
    int family;
    char host[TAPIR_HOST_MAX];
    int port;                  /* checked: 0-65535 (OverflowError otherwise) */
    uint32_t flowinfo;         /* AF_INET6: 0-1048575 */
    uint32_t scope_id;         /* AF_INET6 */
    /* AF_UNIX: the address is a path in host (a name in the stack's own
     * namespace, not a file: see below).  path_len: its length when it holds
     * NUL bytes (a Linux abstract name "\0name"); 0 means strlen(host);
     * -1 is Python's None (recvfrom from an unnamed datagram sender). */
    int path_len;
} tapir_addr;

/* Fills a (host copied; a host too long makes calls using it fail with
 * ValueError) and returns it. */
tapir_addr *tapir_addr_set(tapir_addr *a, const char *host, int port);
tapir_addr *tapir_addr_set6(tapir_addr *a, const char *host, int port, uint32_t flowinfo,
                            uint32_t scope_id);
/* An AF_UNIX address: len bytes of path, or strlen(path) for (size_t)-1.
 * More than 108 bytes (sun_path) makes calls using it fail as Python does:
 * OSError "AF_UNIX path too long".  Python's str or bytes address. */
tapir_addr *tapir_addr_set_unix(tapir_addr *a, const void *path, size_t len);
#define TAPIR_UNIX(path) tapir_addr_set_unix(&(tapir_addr){0}, (path), (size_t)-1)
#define TAPIR_UNIX_ABSTRACT(name, len) tapir_addr_set_unix(&(tapir_addr){0}, (name), (len))
/* An address for one call: tapir_connect(s, TAPIR_ADDR("198.18.0.1", 7)).
 * The object lives until the end of the enclosing block. */
#define TAPIR_ADDR(host, port) tapir_addr_set(&(tapir_addr){0}, (host), (port))
#define TAPIR_ADDR6(host, port, flowinfo, scope_id) \
    tapir_addr_set6(&(tapir_addr){0}, (host), (port), (flowinfo), (scope_id))
/* Python's str() of the address: "('198.18.0.2', 50007)", "('::1', 80, 0, 0)";
 * AF_UNIX: the path as is ("/run/x.sock"), an abstract name as bytes
 * ("b'\x00name'"). */
#define TAPIR_ADDR_STRLEN (TAPIR_HOST_MAX + 64)
char *tapir_addr_str(const tapir_addr *a, char *buf, size_t n);

/* ---- Module-level functions ---- */

/* socket(family=AF_INET, type=SOCK_STREAM, proto=0): TAPIR_DEFAULT (-1) for
 * any argument means Python's default.  Returns the fileno, or -1. */
int tapir_socket(int family, int type, int proto);
int tapir_socket_on(tapir_runner *r, int family, int type, int proto);
/* socketpair(family=AF_UNIX, type=SOCK_STREAM, proto=0): two connected
 * AF_UNIX sockets (SOCK_STREAM or SOCK_DGRAM) inside the stack.  As on Linux,
 * AF_INET / AF_INET6 fail with [Errno 95] Operation not supported. */
int tapir_socketpair(int family, int type, int proto, int fds[2]);
/* A new socket on a duplicate of fd, reporting the given family/type/proto. */
int tapir_fromfd(int fd, int family, int type, int proto);
double tapir_getdefaulttimeout(void);
int tapir_setdefaulttimeout(double timeout);
int tapir_has_ipv6(void);
/* Connects to address (name resolved, each address tried in turn); timeout
 * as settimeout() or TAPIR_TIMEOUT_DEFAULT; source_address may be NULL. */
int tapir_create_connection(const tapir_addr *address, double timeout, const tapir_addr *source_address);
/* A listening TCP socket bound to address (family AF_INET or AF_INET6),
 * SO_REUSEADDR set; backlog TAPIR_BACKLOG_DEFAULT for the default. */
int tapir_create_server(const tapir_addr *address, int family, int backlog, bool reuse_port,
                        bool dualstack_ipv6);
int tapir_has_dualstack_ipv6(void);

uint16_t tapir_htons(uint16_t x);
uint16_t tapir_ntohs(uint16_t x);
uint32_t tapir_htonl(uint32_t x);
uint32_t tapir_ntohl(uint32_t x);
/* inet_aton: 4 packed bytes into out.  0 or -1 ("illegal IP address string
 * passed to inet_aton"). */
int tapir_inet_aton(const char *s, uint8_t out[4]);
/* inet_ntoa: packed must be 4 bytes long.  buf: TAPIR_INET_ADDRSTRLEN. */
#define TAPIR_INET_ADDRSTRLEN 16
#define TAPIR_INET6_ADDRSTRLEN 46
char *tapir_inet_ntoa(const uint8_t *packed, size_t len, char *buf);
/* inet_pton: returns the packed length (4 or 16), or -1. out: 16 bytes. */
int tapir_inet_pton(int family, const char *s, uint8_t *out);
char *tapir_inet_ntop(int family, const uint8_t *packed, size_t len, char *buf, size_t buflen);

/* ---- Socket methods (fd: a tapir fileno) ---- */

int tapir_accept(int fd, tapir_addr *peer);          /* new fileno; peer may be NULL */
int tapir_bind(int fd, const tapir_addr *address);
/* Unlike Python's close() of a closed socket object (a no-op), closing a
 * descriptor that is not open is EBADF, as os.close(): the number may
 * already name another socket. */
int tapir_close(int fd);
int tapir_connect(int fd, const tapir_addr *address);
/* The errno instead of failing (0: connected); -1 only for what Python
 * raises even here (a bad address). */
int tapir_connect_ex(int fd, const tapir_addr *address);
/* Puts the socket object in its initial state and hands its fileno over. */
int tapir_detach(int fd);
int tapir_dup(int fd);
int tapir_fileno(int fd);                            /* fd, or -1 if it is not open */
int tapir_getpeername(int fd, tapir_addr *out);
int tapir_getsockname(int fd, tapir_addr *out);
int tapir_getsockopt(int fd, int level, int name, void *val, size_t *len);
int tapir_getsockopt_int(int fd, int level, int name, int *value);
int tapir_setsockopt(int fd, int level, int name, const void *val, size_t len);
int tapir_setsockopt_int(int fd, int level, int name, int value);
int tapir_listen(int fd, int backlog);
/* recv: bytes received (0 at EOF), or -1. */
ssize_t tapir_recv(int fd, void *buf, size_t n, int flags);
ssize_t tapir_recvfrom(int fd, void *buf, size_t n, int flags, tapir_addr *from);
/* recv_into(buffer, nbytes=0): nbytes 0 means the whole buffer. */
ssize_t tapir_recv_into(int fd, void *buf, size_t buflen, size_t nbytes, int flags);
ssize_t tapir_recvfrom_into(int fd, void *buf, size_t buflen, size_t nbytes, int flags, tapir_addr *from);
ssize_t tapir_send(int fd, const void *buf, size_t n, int flags);
/* Everything or an error (0 / -1); the timeout covers the whole call. */
int tapir_sendall(int fd, const void *buf, size_t n, int flags);
ssize_t tapir_sendto(int fd, const void *buf, size_t n, int flags, const tapir_addr *address);
/* sendmsg(buffers, [], flags, address): the buffers gathered into one
 * message (one datagram); address NULL for a connected socket.  No ancillary
 * data (tapir has none to carry).  Returns the bytes sent, as send(). */
ssize_t tapir_sendmsg(int fd, const struct iovec *iov, int iovcnt, int flags, const tapir_addr *address);
/* recvmsg(bufsize, 0, flags) -> (data, [], msg_flags, address): *msg_flags
 * gets TAPIR_MSG_TRUNC when a datagram was longer than bufsize (the rest is
 * lost); msg_flags and address may be NULL. */
ssize_t tapir_recvmsg(int fd, void *buf, size_t bufsize, int flags, int *msg_flags, tapir_addr *address);
/* recvmsg_into(buffers, 0, flags) -> (nbytes, [], msg_flags, address). */
ssize_t tapir_recvmsg_into(int fd, const struct iovec *iov, int iovcnt, int flags, int *msg_flags,
                           tapir_addr *address);
/* sendfile(file, offset, count): a kernel file descriptor's bytes from
 * offset until EOF (count 0) or count bytes; SOCK_STREAM in blocking or
 * timeout mode only (ValueError otherwise, as Python).  Returns the bytes
 * sent; the file's position is left after them, also on an error. */
ssize_t tapir_sendfile(int fd, int file_fd, off_t offset, size_t count);
int tapir_setblocking(int fd, bool flag);
int tapir_getblocking(int fd);                       /* 1, 0, or -1 */
int tapir_settimeout(int fd, double timeout);
double tapir_gettimeout(int fd);                     /* negative: None; NaN: not open */
int tapir_shutdown(int fd, int how);
int tapir_family(int fd);
int tapir_type(int fd);
int tapir_proto(int fd);
/* Python's repr: "<tapir.socket fd=3, family=AF_INET, type=SOCK_STREAM, proto=6,
 * laddr=('198.18.0.2', 50007), raddr=('198.18.0.1', 41234)>". */
char *tapir_repr(int fd, char *buf, size_t n);
#define TAPIR_REPR_MAX 640
/* A buffered FILE* on the socket ("r", "w", "rw", "rb", "wb", "r+b"...).
 * The socket stays open until both it and the stream are closed. */
FILE *tapir_makefile(int fd, const char *mode);

/* ---- select, poll, epoll ---- */

/* select(rlist, wlist, xlist, timeout): each list is compacted in place to
 * its ready sockets and its count updated.  Returns the number ready (0 on
 * timeout) or -1.  Lists may be NULL with count 0.  A negative timeout is
 * None (Python's select raises ValueError for one: C has no None). */
int tapir_select(int *rlist, int *nr, int *wlist, int *nw, int *xlist, int *nx, double timeout);

struct tapir_pollfd {
    int fd;
    short events;
    short revents;
};
/* poll(2) over tapir sockets; timeout_ms < 0 blocks. */
int tapir_poll(struct tapir_pollfd *fds, size_t nfds, int timeout_ms);

/* epoll-like: registrations are kept, readiness is collected by the sockets'
 * wake-ups, and a wait costs O(ready sockets), not O(registered). */
typedef struct tapir_epoll tapir_epoll;
struct tapir_epoll_event {
    int fd;
    uint32_t events;
};
tapir_epoll *tapir_epoll_create(void);              /* on the default runner */
tapir_epoll *tapir_epoll_create_on(tapir_runner *r);
int tapir_epoll_register(tapir_epoll *ep, int fd, uint32_t events);
int tapir_epoll_modify(tapir_epoll *ep, int fd, uint32_t events);
int tapir_epoll_unregister(tapir_epoll *ep, int fd);
/* Up to maxevents ready sockets; timeout in seconds (negative: block). */
int tapir_epoll_poll(tapir_epoll *ep, struct tapir_epoll_event *events, int maxevents, double timeout);
void tapir_epoll_close(tapir_epoll *ep);

/* ---- Names (numeric hosts and "localhost" until the resolver is in) ---- */

typedef struct tapir_addrinfo {
    int family, type, proto;
    char canonname[TAPIR_HOST_MAX];
    tapir_addr addr;
} tapir_addrinfo;
/* getaddrinfo(host, port, family=0, type=0, proto=0, flags=0): *res gets an
 * array (free with tapir_freeaddrinfo); returns its length or -1 (gaierror).
 * host or port may be NULL. */
int tapir_getaddrinfo(const char *host, const char *port, int family, int type, int proto, int flags,
                      tapir_addrinfo **res);
void tapir_freeaddrinfo(tapir_addrinfo *res);

#ifdef __cplusplus
}
#endif

/* Name resolution: getnameinfo, gethostbyname(_ex), gethostbyaddr, getfqdn,
 * gethostname, getservby*, getprotobyname, resolver configuration. */
#include "api/resolver.h"

#endif
