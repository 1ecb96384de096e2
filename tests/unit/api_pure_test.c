/* The parts of the socket API that need no stack: inet_* with Python's
 * errors, byte order, error formatting, constants against Linux's headers,
 * address tuples, getaddrinfo for numeric hosts. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include "api/tapir.h"

Test(api_inet, aton_like_python)
{
    uint8_t b[4];
    cr_assert_eq(tapir_inet_aton("198.18.0.2", b), 0);
    cr_assert(b[0] == 198 && b[1] == 18 && b[2] == 0 && b[3] == 2);
    /* glibc's inet_aton, as Python uses: short forms and trailing text after a space */
    cr_assert_eq(tapir_inet_aton("127.1", b), 0);
    cr_assert(b[0] == 127 && b[3] == 1);
    cr_assert_eq(tapir_inet_aton("1.2.3.4 junk", b), 0);
    cr_assert_eq(tapir_inet_aton("bad", b), -1);
    cr_assert_eq(tapir_last_error()->kind, TAPIR_ERR_ERROR);
    cr_assert_str_eq(tapir_strerror(), "illegal IP address string passed to inet_aton");
    cr_assert_eq(tapir_errno(), 0);
}

Test(api_inet, ntoa_wrong_length)
{
    char buf[TAPIR_INET_ADDRSTRLEN];
    uint8_t p[4] = {198, 18, 0, 1};
    cr_assert_str_eq(tapir_inet_ntoa(p, 4, buf), "198.18.0.1");
    cr_assert_null(tapir_inet_ntoa(p, 1, buf));
    cr_assert_eq(tapir_last_error()->kind, TAPIR_ERR_ERROR);
    cr_assert_str_eq(tapir_strerror(), "packed IP wrong length for inet_ntoa");
}

Test(api_inet, pton_ntop)
{
    uint8_t b[16];
    char buf[TAPIR_INET6_ADDRSTRLEN];
    cr_assert_eq(tapir_inet_pton(TAPIR_AF_INET, "198.18.0.2", b), 4);
    cr_assert_str_eq(tapir_inet_ntop(TAPIR_AF_INET, b, 4, buf, sizeof buf), "198.18.0.2");
    cr_assert_eq(tapir_inet_pton(TAPIR_AF_INET6, "fd00:198:18::2", b), 16);
    cr_assert_str_eq(tapir_inet_ntop(TAPIR_AF_INET6, b, 16, buf, sizeof buf), "fd00:198:18::2");
    cr_assert_eq(tapir_inet_pton(TAPIR_AF_INET, "bad", b), -1);
    cr_assert_str_eq(tapir_strerror(), "illegal IP address string passed to inet_pton");
    cr_assert_eq(tapir_inet_pton(TAPIR_AF_INET6, "1.2.3.4", b), -1);
    cr_assert_str_eq(tapir_strerror(), "illegal IP address string passed to inet_pton");
    cr_assert_eq(tapir_inet_pton(99, "x", b), -1);
    cr_assert_str_eq(tapir_strerror(), "[Errno 97] Address family not supported by protocol");
    cr_assert_eq(tapir_errno(), 97);
    cr_assert_null(tapir_inet_ntop(TAPIR_AF_INET, b, 1, buf, sizeof buf));
    cr_assert_eq(tapir_last_error()->kind, TAPIR_ERR_VALUE);
    cr_assert_str_eq(tapir_strerror(), "invalid length of packed IP address string");
    cr_assert_null(tapir_inet_ntop(TAPIR_AF_INET6, b, 4, buf, sizeof buf));
    cr_assert_str_eq(tapir_strerror(), "invalid length of packed IP address string");
    cr_assert_null(tapir_inet_ntop(99, b, 4, buf, sizeof buf));
    cr_assert_str_eq(tapir_strerror(), "unknown address family 99");
}

Test(api_inet, byte_order)
{
    cr_assert_eq(tapir_htons(0x1234), htons(0x1234));
    cr_assert_eq(tapir_ntohs(tapir_htons(0xbeef)), 0xbeef);
    cr_assert_eq(tapir_htonl(0x01020304), htonl(0x01020304));
    cr_assert_eq(tapir_ntohl(tapir_htonl(0xc6120002u)), 0xc6120002u);
}

Test(api_error, messages_and_classes)
{
    char buf[400];
    tapir_set_errno(ECONNREFUSED);
    cr_assert_str_eq(tapir_strerror(), "[Errno 111] Connection refused");
    cr_assert_str_eq(tapir_error_format(tapir_last_error(), buf, sizeof buf),
                     "ConnectionRefusedError: [Errno 111] Connection refused");
    tapir_set_errno(-EBADF); /* -errno as the stack returns it */
    cr_assert_str_eq(tapir_strerror(), "[Errno 9] Bad file descriptor");
    cr_assert_str_eq(tapir_error_class(tapir_last_error()), "OSError");
    tapir_set_errno(EAGAIN);
    cr_assert_str_eq(tapir_error_format(tapir_last_error(), buf, sizeof buf),
                     "BlockingIOError: [Errno 11] Resource temporarily unavailable");
    tapir_set_errno(EINPROGRESS);
    cr_assert_str_eq(tapir_strerror(), "[Errno 115] Operation now in progress");
    tapir_set_errno(EADDRINUSE);
    cr_assert_str_eq(tapir_strerror(), "[Errno 98] Address already in use");
    tapir_set_errno(EPIPE);
    cr_assert_str_eq(tapir_error_class(tapir_last_error()), "BrokenPipeError");
    tapir_set_errno(ECONNRESET);
    cr_assert_str_eq(tapir_error_class(tapir_last_error()), "ConnectionResetError");
    tapir_set_timeout_error();
    cr_assert_str_eq(tapir_strerror(), "timed out");
    cr_assert_eq(tapir_last_error()->kind, TAPIR_ERR_TIMEOUT);
    cr_assert_str_eq(tapir_error_format(tapir_last_error(), buf, sizeof buf), "TimeoutError: timed out");
    tapir_set_gaierror(-2);
    cr_assert_str_eq(tapir_strerror(), "[Errno -2] Name or service not known");
    cr_assert_str_eq(tapir_error_class(tapir_last_error()), "socket.gaierror");
    tapir_set_gaierror(-3);
    cr_assert_str_eq(tapir_strerror(), "[Errno -3] Temporary failure in name resolution");
    tapir_set_herror(1);
    cr_assert_str_eq(tapir_strerror(), "[Errno 1] Unknown host");
    cr_assert_str_eq(tapir_error_class(tapir_last_error()), "socket.herror");
    tapir_error_clear();
    cr_assert_eq(tapir_last_error()->kind, TAPIR_ERR_NONE);
    cr_assert_eq(tapir_errno(), 0);
}

static void *other_thread(void *arg)
{
    (void)arg;
    tapir_set_errno(EPIPE);
    return NULL;
}

Test(api_error, thread_local)
{
    tapir_set_errno(ECONNRESET);
    pthread_t t;
    pthread_create(&t, NULL, other_thread, NULL);
    pthread_join(t, NULL);
    cr_assert_eq(tapir_errno(), ECONNRESET);
}

Test(api_const, linux_values)
{
    cr_assert_eq(TAPIR_AF_INET, AF_INET);
    cr_assert_eq(TAPIR_AF_INET6, AF_INET6);
    cr_assert_eq(TAPIR_AF_UNIX, AF_UNIX);
    cr_assert_eq(TAPIR_SOCK_STREAM, SOCK_STREAM);
    cr_assert_eq(TAPIR_SOCK_DGRAM, SOCK_DGRAM);
    cr_assert_eq(TAPIR_SOCK_RAW, SOCK_RAW);
    cr_assert_eq(TAPIR_SOCK_NONBLOCK, SOCK_NONBLOCK);
    cr_assert_eq(TAPIR_SOCK_CLOEXEC, SOCK_CLOEXEC);
    cr_assert_eq(TAPIR_SOL_SOCKET, SOL_SOCKET);
    cr_assert_eq(TAPIR_SO_REUSEADDR, SO_REUSEADDR);
    cr_assert_eq(TAPIR_SO_REUSEPORT, SO_REUSEPORT);
    cr_assert_eq(TAPIR_SO_KEEPALIVE, SO_KEEPALIVE);
    cr_assert_eq(TAPIR_SO_LINGER, SO_LINGER);
    cr_assert_eq(TAPIR_SO_RCVBUF, SO_RCVBUF);
    cr_assert_eq(TAPIR_SO_SNDBUF, SO_SNDBUF);
    cr_assert_eq(TAPIR_SO_RCVTIMEO, SO_RCVTIMEO);
    cr_assert_eq(TAPIR_SO_SNDTIMEO, SO_SNDTIMEO);
    cr_assert_eq(TAPIR_SO_BROADCAST, SO_BROADCAST);
    cr_assert_eq(TAPIR_SO_ERROR, SO_ERROR);
    cr_assert_eq(TAPIR_SO_TYPE, SO_TYPE);
    cr_assert_eq(TAPIR_SO_ACCEPTCONN, SO_ACCEPTCONN);
    cr_assert_eq(TAPIR_SO_PROTOCOL, SO_PROTOCOL);
    cr_assert_eq(TAPIR_SO_DOMAIN, SO_DOMAIN);
    cr_assert_eq(TAPIR_IPPROTO_TCP, IPPROTO_TCP);
    cr_assert_eq(TAPIR_IPPROTO_UDP, IPPROTO_UDP);
    cr_assert_eq(TAPIR_IPPROTO_ICMP, IPPROTO_ICMP);
    cr_assert_eq(TAPIR_IPPROTO_ICMPV6, IPPROTO_ICMPV6);
    cr_assert_eq(TAPIR_IPPROTO_IPV6, IPPROTO_IPV6);
    cr_assert_eq(TAPIR_IPPROTO_RAW, IPPROTO_RAW);
    cr_assert_eq(TAPIR_IPPROTO_SCTP, IPPROTO_SCTP);
    cr_assert_eq(TAPIR_IPPORT_RESERVED, IPPORT_RESERVED);
    cr_assert_eq(TAPIR_INADDR_LOOPBACK, INADDR_LOOPBACK);
    cr_assert_eq(TAPIR_INADDR_BROADCAST, INADDR_BROADCAST);
    cr_assert_eq(TAPIR_INADDR_ALLHOSTS_GROUP, INADDR_ALLHOSTS_GROUP);
    cr_assert_eq(TAPIR_IP_TOS, IP_TOS);
    cr_assert_eq(TAPIR_IP_TTL, IP_TTL);
    cr_assert_eq(TAPIR_IP_HDRINCL, IP_HDRINCL);
    cr_assert_eq(TAPIR_IP_MULTICAST_TTL, IP_MULTICAST_TTL);
    cr_assert_eq(TAPIR_IP_ADD_MEMBERSHIP, IP_ADD_MEMBERSHIP);
    cr_assert_eq(TAPIR_IPV6_V6ONLY, IPV6_V6ONLY);
    cr_assert_eq(TAPIR_IPV6_UNICAST_HOPS, IPV6_UNICAST_HOPS);
    cr_assert_eq(TAPIR_IPV6_JOIN_GROUP, IPV6_JOIN_GROUP);
    cr_assert_eq(TAPIR_IPV6_TCLASS, IPV6_TCLASS);
    cr_assert_eq(TAPIR_TCP_NODELAY, TCP_NODELAY);
    cr_assert_eq(TAPIR_TCP_MAXSEG, TCP_MAXSEG);
    cr_assert_eq(TAPIR_TCP_KEEPIDLE, TCP_KEEPIDLE);
    cr_assert_eq(TAPIR_TCP_KEEPINTVL, TCP_KEEPINTVL);
    cr_assert_eq(TAPIR_TCP_KEEPCNT, TCP_KEEPCNT);
    cr_assert_eq(TAPIR_TCP_INFO, TCP_INFO);
    cr_assert_eq(TAPIR_TCP_CONGESTION, TCP_CONGESTION);
    cr_assert_eq(TAPIR_TCP_USER_TIMEOUT, TCP_USER_TIMEOUT);
    cr_assert_eq(TAPIR_TCP_FASTOPEN_CONNECT, TCP_FASTOPEN_CONNECT);
    cr_assert_eq(TAPIR_MSG_FASTOPEN, MSG_FASTOPEN);
    cr_assert_eq(TAPIR_MSG_OOB, MSG_OOB);
    cr_assert_eq(TAPIR_MSG_PEEK, MSG_PEEK);
    cr_assert_eq(TAPIR_MSG_TRUNC, MSG_TRUNC);
    cr_assert_eq(TAPIR_MSG_DONTWAIT, MSG_DONTWAIT);
    cr_assert_eq(TAPIR_MSG_WAITALL, MSG_WAITALL);
    cr_assert_eq(TAPIR_MSG_NOSIGNAL, MSG_NOSIGNAL);
    cr_assert_eq(TAPIR_MSG_EOR, MSG_EOR);
    cr_assert_eq(TAPIR_MSG_CTRUNC, MSG_CTRUNC);
    cr_assert_eq(TAPIR_SHUT_RD, SHUT_RD);
    cr_assert_eq(TAPIR_SHUT_WR, SHUT_WR);
    cr_assert_eq(TAPIR_SHUT_RDWR, SHUT_RDWR);
    cr_assert_eq(TAPIR_SOMAXCONN, SOMAXCONN);
    cr_assert_eq(TAPIR_EAI_NONAME, EAI_NONAME);
    cr_assert_eq(TAPIR_EAI_AGAIN, EAI_AGAIN);
    cr_assert_eq(TAPIR_EAI_FAIL, EAI_FAIL);
    cr_assert_eq(TAPIR_EAI_FAMILY, EAI_FAMILY);
    cr_assert_eq(TAPIR_EAI_SOCKTYPE, EAI_SOCKTYPE);
    cr_assert_eq(TAPIR_EAI_SERVICE, EAI_SERVICE);
    cr_assert_eq(TAPIR_EAI_MEMORY, EAI_MEMORY);
    cr_assert_eq(TAPIR_EAI_SYSTEM, EAI_SYSTEM);
    cr_assert_eq(TAPIR_EAI_OVERFLOW, EAI_OVERFLOW);
    cr_assert_eq(TAPIR_EAI_BADFLAGS, EAI_BADFLAGS);
    cr_assert_eq(TAPIR_AI_PASSIVE, AI_PASSIVE);
    cr_assert_eq(TAPIR_AI_CANONNAME, AI_CANONNAME);
    cr_assert_eq(TAPIR_AI_NUMERICHOST, AI_NUMERICHOST);
    cr_assert_eq(TAPIR_AI_NUMERICSERV, AI_NUMERICSERV);
    cr_assert_eq(TAPIR_AI_V4MAPPED, AI_V4MAPPED);
    cr_assert_eq(TAPIR_AI_ALL, AI_ALL);
    cr_assert_eq(TAPIR_AI_ADDRCONFIG, AI_ADDRCONFIG);
    cr_assert_eq(TAPIR_NI_NUMERICHOST, NI_NUMERICHOST);
    cr_assert_eq(TAPIR_NI_NUMERICSERV, NI_NUMERICSERV);
    cr_assert_eq(TAPIR_NI_NAMEREQD, NI_NAMEREQD);
    cr_assert_eq(TAPIR_NI_DGRAM, NI_DGRAM);
    cr_assert_eq(TAPIR_NI_NOFQDN, NI_NOFQDN);
    cr_assert_eq(TAPIR_NI_MAXHOST, NI_MAXHOST);
}

Test(api_addr, tuples)
{
    char buf[TAPIR_ADDR_STRLEN];
    cr_assert_str_eq(tapir_addr_str(TAPIR_ADDR("198.18.0.2", 50007), buf, sizeof buf), "('198.18.0.2', 50007)");
    cr_assert_str_eq(tapir_addr_str(TAPIR_ADDR6("::1", 80, 0, 0), buf, sizeof buf), "('::1', 80, 0, 0)");
    char longhost[400];
    memset(longhost, 'a', sizeof longhost - 1);
    longhost[sizeof longhost - 1] = '\0';
    cr_assert_eq(TAPIR_ADDR(longhost, 1)->family, -1);
}

Test(api_getaddrinfo, numeric_like_python)
{
    tapir_addrinfo *ai;
    int n = tapir_getaddrinfo("127.0.0.1", "80", 0, 0, 0, 0, &ai);
    cr_assert_eq(n, 3);
    cr_assert_eq(ai[0].type, TAPIR_SOCK_STREAM);
    cr_assert_eq(ai[0].proto, 6);
    cr_assert_eq(ai[1].type, TAPIR_SOCK_DGRAM);
    cr_assert_eq(ai[1].proto, 17);
    cr_assert_eq(ai[2].type, TAPIR_SOCK_RAW);
    cr_assert_eq(ai[2].proto, 0);
    cr_assert_str_eq(ai[0].addr.host, "127.0.0.1");
    cr_assert_eq(ai[0].addr.port, 80);
    tapir_freeaddrinfo(ai);

    n = tapir_getaddrinfo(NULL, "50007", TAPIR_AF_UNSPEC, TAPIR_SOCK_STREAM, 0, TAPIR_AI_PASSIVE, &ai);
    cr_assert_eq(n, 2);
    cr_assert_eq(ai[0].family, TAPIR_AF_INET);
    cr_assert_str_eq(ai[0].addr.host, "0.0.0.0");
    cr_assert_eq(ai[1].family, TAPIR_AF_INET6);
    cr_assert_str_eq(ai[1].addr.host, "::");
    tapir_freeaddrinfo(ai);

    n = tapir_getaddrinfo("127.1", "80", 0, TAPIR_SOCK_STREAM, 0, 0, &ai);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(ai[0].addr.host, "127.0.0.1");
    tapir_freeaddrinfo(ai);

    cr_assert_eq(tapir_getaddrinfo("nonexist.invalid", "80", 0, 0, 0, 0, &ai), -1);
    cr_assert_str_eq(tapir_strerror(), "[Errno -2] Name or service not known");
    cr_assert_eq(tapir_getaddrinfo("127.0.0.1", "80", TAPIR_AF_INET6, 0, 0, 0, &ai), -1);
    cr_assert_str_eq(tapir_strerror(), "[Errno -9] Address family for hostname not supported");
    cr_assert_eq(tapir_getaddrinfo("127.0.0.1", "80", 99, 0, 0, 0, &ai), -1);
    cr_assert_eq(tapir_errno(), -6);
    cr_assert_eq(tapir_getaddrinfo("127.0.0.1", "nosuchservice", 0, 0, 0, 0, &ai), -1);
    cr_assert_str_eq(tapir_strerror(), "[Errno -8] Servname not supported for ai_socktype");
}
