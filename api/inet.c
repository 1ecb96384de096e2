/* Python's byte-order and address-text functions: htons..., inet_aton,
 * inet_ntoa, inet_pton, inet_ntop, with CPython's error kinds and messages.
 * The parsing itself is the C library's: Python calls the same functions,
 * so the same strings are accepted (inet_aton's "127.1", trailing text after
 * a space...). */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "api/tapir.h"

uint16_t tapir_htons(uint16_t x) { return htons(x); }
uint16_t tapir_ntohs(uint16_t x) { return ntohs(x); }
uint32_t tapir_htonl(uint32_t x) { return htonl(x); }
uint32_t tapir_ntohl(uint32_t x) { return ntohl(x); }

int tapir_inet_aton(const char *s, uint8_t out[4])
{
    struct in_addr a;
    if (!s || !inet_aton(s, &a))
        return tapir_set_error(TAPIR_ERR_ERROR, 0, "illegal IP address string passed to inet_aton");
    memcpy(out, &a, 4);
    return 0;
}

char *tapir_inet_ntoa(const uint8_t *packed, size_t len, char *buf)
{
    if (!packed || len != 4) {
        tapir_set_error(TAPIR_ERR_ERROR, 0, "packed IP wrong length for inet_ntoa");
        return NULL;
    }
    inet_ntop(AF_INET, packed, buf, TAPIR_INET_ADDRSTRLEN);
    return buf;
}

int tapir_inet_pton(int family, const char *s, uint8_t *out)
{
    if (family != TAPIR_AF_INET && family != TAPIR_AF_INET6)
        return tapir_set_errno(EAFNOSUPPORT);
    uint8_t tmp[16];
    if (!s || inet_pton(family == TAPIR_AF_INET ? AF_INET : AF_INET6, s, tmp) != 1)
        return tapir_set_error(TAPIR_ERR_ERROR, 0, "illegal IP address string passed to inet_pton");
    int n = family == TAPIR_AF_INET ? 4 : 16;
    memcpy(out, tmp, (size_t)n);
    return n;
}

char *tapir_inet_ntop(int family, const uint8_t *packed, size_t len, char *buf, size_t buflen)
{
    if (family != TAPIR_AF_INET && family != TAPIR_AF_INET6) {
        tapir_set_error(TAPIR_ERR_VALUE, EINVAL, "unknown address family %d", family);
        return NULL;
    }
    if (!packed || len != (family == TAPIR_AF_INET ? 4u : 16u)) {
        tapir_set_error(TAPIR_ERR_VALUE, EINVAL, "invalid length of packed IP address string");
        return NULL;
    }
    if (!inet_ntop(family == TAPIR_AF_INET ? AF_INET : AF_INET6, packed, buf, (socklen_t)buflen)) {
        tapir_set_errno(errno);
        return NULL;
    }
    return buf;
}
