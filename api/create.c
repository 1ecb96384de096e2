/* Python's convenience constructors, written on the public calls exactly as
 * Lib/socket.py writes them: create_connection(), create_server().
 * (socketpair() is a stack call: AF_UNIX, api/socket.c.) */
#include <errno.h>
#include <string.h>

#include "api/tapir.h"

int tapir_create_connection(const tapir_addr *address, double timeout, const tapir_addr *source_address)
{
    if (!address)
        return tapir_set_error(TAPIR_ERR_TYPE, EINVAL, "create_connection(): address required");
    char port[16];
    snprintf(port, sizeof port, "%d", address->port);
    tapir_addrinfo *res;
    int n = tapir_getaddrinfo(address->host, port, 0, TAPIR_SOCK_STREAM, 0, 0, &res);
    if (n < 0)
        return -1;
    tapir_error last = {0};
    for (int i = 0; i < n; i++) {
        int s = tapir_socket(res[i].family, res[i].type, res[i].proto);
        if (s >= 0 && (timeout == TAPIR_TIMEOUT_DEFAULT || tapir_settimeout(s, timeout) == 0) &&
            (!source_address || tapir_bind(s, source_address) == 0) && tapir_connect(s, &res[i].addr) == 0) {
            tapir_freeaddrinfo(res);
            return s;
        }
        /* Python keeps only the last OSError ("raise only the last error");
         * anything else (ValueError, OverflowError, TypeError) is not
         * caught there and ends the loop at once. */
        last = *tapir_last_error();
        if (s >= 0)
            tapir_close(s);
        if (last.kind != TAPIR_ERR_ERROR && last.kind != TAPIR_ERR_HERROR &&
            last.kind != TAPIR_ERR_GAIERROR && last.kind != TAPIR_ERR_TIMEOUT)
            break;
    }
    tapir_freeaddrinfo(res);
    if (last.kind == TAPIR_ERR_NONE)
        return tapir_set_error(TAPIR_ERR_ERROR, 0, "getaddrinfo returns an empty list");
    return tapir_set_error(last.kind, last.code, "%s", last.message);
}

int tapir_create_server(const tapir_addr *address, int family, int backlog, bool reuse_port,
                        bool dualstack_ipv6)
{
    if (family == TAPIR_DEFAULT || family == 0)
        family = TAPIR_AF_INET;
    if (dualstack_ipv6) {
        if (!tapir_has_dualstack_ipv6())
            return tapir_set_error(TAPIR_ERR_VALUE, EINVAL, "dualstack_ipv6 not supported on this platform");
        if (family != TAPIR_AF_INET6)
            return tapir_set_error(TAPIR_ERR_VALUE, EINVAL, "dualstack_ipv6 requires AF_INET6 family");
    }
    int s = tapir_socket(family, TAPIR_SOCK_STREAM, 0);
    if (s < 0)
        return -1;
    tapir_setsockopt_int(s, TAPIR_SOL_SOCKET, TAPIR_SO_REUSEADDR, 1); /* errors ignored, as Python */
    if (reuse_port && tapir_setsockopt_int(s, TAPIR_SOL_SOCKET, TAPIR_SO_REUSEPORT, 1) < 0)
        goto fail;
    if (family == TAPIR_AF_INET6 &&
        tapir_setsockopt_int(s, TAPIR_IPPROTO_IPV6, TAPIR_IPV6_V6ONLY, dualstack_ipv6 ? 0 : 1) < 0)
        goto fail;
    if (tapir_bind(s, address) < 0) {
        const tapir_error *e = tapir_last_error();
        if (e->kind == TAPIR_ERR_ERROR && e->code > 0) {
            char a[TAPIR_ADDR_STRLEN];
            int code = e->code;
            tapir_set_error(TAPIR_ERR_ERROR, code, "[Errno %d] %s (while attempting to bind on address %s)",
                            code, tapir_errno_text(code), tapir_addr_str(address, a, sizeof a));
        }
        goto fail;
    }
    if (tapir_listen(s, backlog) < 0)
        goto fail;
    return s;
fail:;
    tapir_error saved = *tapir_last_error();
    tapir_close(s);
    tapir_set_error(saved.kind, saved.code, "%s", saved.message);
    return -1;
}
