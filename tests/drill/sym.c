/* Symbolic constants a script may name (SOCK_STREAM, TCP_NODELAY, EPOLLIN,
 * EINPROGRESS, ...), with Linux's values: tapir's socket layer uses them too.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>

#include "tests/drill/drill.h"

#ifndef SO_ZEROCOPY
#define SO_ZEROCOPY 60
#endif
#ifndef MSG_ZEROCOPY
#define MSG_ZEROCOPY 0x4000000
#endif
#ifndef TCP_FASTOPEN_CONNECT
#define TCP_FASTOPEN_CONNECT 30
#endif

struct sym {
    const char *name;
    int64_t value;
};

#define S(x) {#x, (int64_t)(x)}
static const struct sym syms[] = {
    {"NULL", 0},
    S(AF_INET), S(AF_INET6), S(AF_UNSPEC), S(PF_INET), S(PF_INET6),
    S(SOCK_STREAM), S(SOCK_DGRAM), S(SOCK_RAW), S(SOCK_NONBLOCK), S(SOCK_CLOEXEC),
    S(IPPROTO_IP), S(IPPROTO_TCP), S(IPPROTO_UDP), S(IPPROTO_IPV6), S(IPPROTO_ICMP),
    S(SOL_SOCKET), {"SOL_TCP", IPPROTO_TCP}, {"SOL_IP", IPPROTO_IP}, {"SOL_IPV6", IPPROTO_IPV6},
    {"SOL_UDP", IPPROTO_UDP},
    S(SO_REUSEADDR), S(SO_REUSEPORT), S(SO_KEEPALIVE), S(SO_LINGER), S(SO_SNDBUF), S(SO_RCVBUF),
    S(SO_SNDBUFFORCE), S(SO_RCVBUFFORCE), S(SO_ERROR), S(SO_TYPE), S(SO_BROADCAST), S(SO_RCVLOWAT),
    S(SO_SNDLOWAT), S(SO_RCVTIMEO), S(SO_SNDTIMEO), S(SO_OOBINLINE), S(SO_PROTOCOL), S(SO_DOMAIN),
    S(SO_ZEROCOPY), S(SO_BINDTODEVICE), S(SO_PRIORITY), S(SO_MARK), S(SO_MAX_PACING_RATE),
    S(TCP_NODELAY), S(TCP_MAXSEG), S(TCP_CORK), S(TCP_KEEPIDLE), S(TCP_KEEPINTVL), S(TCP_KEEPCNT),
    S(TCP_SYNCNT), S(TCP_LINGER2), S(TCP_DEFER_ACCEPT), S(TCP_WINDOW_CLAMP), S(TCP_INFO),
    S(TCP_QUICKACK), S(TCP_CONGESTION), S(TCP_USER_TIMEOUT), S(TCP_FASTOPEN), S(TCP_NOTSENT_LOWAT),
    S(TCP_FASTOPEN_CONNECT), S(TCP_INQ), S(TCP_TX_DELAY),
    S(IP_TOS), S(IP_TTL), S(IP_MTU_DISCOVER), S(IP_PMTUDISC_DONT), S(IP_PMTUDISC_WANT),
    S(IP_PMTUDISC_DO), S(IP_PMTUDISC_PROBE), S(IP_RECVERR), S(IP_MTU), S(IPV6_V6ONLY),
    S(O_RDONLY), S(O_WRONLY), S(O_RDWR), S(O_NONBLOCK), S(O_NDELAY),
    S(F_GETFL), S(F_SETFL), S(F_GETFD), S(F_SETFD), S(FD_CLOEXEC),
    S(MSG_OOB), S(MSG_PEEK), S(MSG_DONTWAIT), S(MSG_WAITALL), S(MSG_MORE), S(MSG_NOSIGNAL),
    S(MSG_TRUNC), S(MSG_DONTROUTE), S(MSG_EOR), S(MSG_ERRQUEUE), S(MSG_FASTOPEN), S(MSG_ZEROCOPY),
    S(SHUT_RD), S(SHUT_WR), S(SHUT_RDWR),
    S(EPOLLIN), S(EPOLLOUT), S(EPOLLPRI), S(EPOLLERR), S(EPOLLHUP), S(EPOLLRDHUP), S(EPOLLET),
    S(EPOLLONESHOT), S(EPOLLRDNORM), S(EPOLLWRNORM), S(EPOLLEXCLUSIVE),
    S(EPOLL_CTL_ADD), S(EPOLL_CTL_MOD), S(EPOLL_CTL_DEL), S(EPOLL_CLOEXEC),
    S(POLLIN), S(POLLOUT), S(POLLPRI), S(POLLERR), S(POLLHUP), S(POLLNVAL), S(POLLRDNORM),
    S(POLLWRNORM), S(POLLRDHUP),
    S(FIONREAD), S(SIOCINQ), S(SIOCOUTQ), S(SIOCOUTQNSD),
    /* tcpi_ca_state values (Linux include/net/tcp.h: enum tcp_ca_state) */
    {"TCP_CA_Open", 0}, {"TCP_CA_Disorder", 1}, {"TCP_CA_CWR", 2}, {"TCP_CA_Recovery", 3},
    {"TCP_CA_Loss", 4},
    /* tcpi_state values (enum tcp_state) */
    {"TCP_ESTABLISHED", 1}, {"TCP_SYN_SENT", 2}, {"TCP_SYN_RECV", 3}, {"TCP_FIN_WAIT1", 4},
    {"TCP_FIN_WAIT2", 5}, {"TCP_TIME_WAIT", 6}, {"TCP_CLOSE", 7}, {"TCP_CLOSE_WAIT", 8},
    {"TCP_LAST_ACK", 9}, {"TCP_LISTEN", 10}, {"TCP_CLOSING", 11},
    /* tcpi_options bits */
    {"TCPI_OPT_TIMESTAMPS", 1}, {"TCPI_OPT_SACK", 2}, {"TCPI_OPT_WSCALE", 4}, {"TCPI_OPT_ECN", 8},
};

static const struct sym errnos[] = {
    S(EPERM), S(ENOENT), S(EINTR), S(EIO), S(EBADF), S(EAGAIN), S(EWOULDBLOCK), S(ENOMEM),
    S(EACCES), S(EFAULT), S(EBUSY), S(EEXIST), S(ENODEV), S(EINVAL), S(ENFILE), S(EMFILE),
    S(ENOSPC), S(EPIPE), S(ERANGE), S(ENOSYS), S(ENOTSOCK), S(EDESTADDRREQ), S(EMSGSIZE),
    S(EPROTOTYPE), S(ENOPROTOOPT), S(EPROTONOSUPPORT), S(ESOCKTNOSUPPORT), S(EOPNOTSUPP),
    S(ENOTSUP), S(EPFNOSUPPORT), S(EAFNOSUPPORT), S(EADDRINUSE), S(EADDRNOTAVAIL), S(ENETDOWN),
    S(ENETUNREACH), S(ENETRESET), S(ECONNABORTED), S(ECONNRESET), S(ENOBUFS), S(EISCONN),
    S(ENOTCONN), S(ESHUTDOWN), S(ETIMEDOUT), S(ECONNREFUSED), S(EHOSTDOWN), S(EHOSTUNREACH),
    S(EALREADY), S(EINPROGRESS),
};
#undef S

bool symbol_value(const char *name, int64_t *out)
{
    for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
        if (strcmp(syms[i].name, name) == 0) {
            *out = syms[i].value;
            return true;
        }
    }
    for (size_t i = 0; i < sizeof errnos / sizeof errnos[0]; i++) {
        if (strcmp(errnos[i].name, name) == 0) {
            *out = errnos[i].value;
            return true;
        }
    }
    return false;
}

const char *errno_name(int err)
{
    for (size_t i = 0; i < sizeof errnos / sizeof errnos[0]; i++)
        if (errnos[i].value == err)
            return errnos[i].name;
    return "E?";
}
