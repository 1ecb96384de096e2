/* The names Python prints for address families and socket types (its
 * AddressFamily / SocketKind enums): used by repr and by error messages. */
#include <stdio.h>

#include "api/sockimpl.h"

const char *family_name(int family, char tmp[16])
{
    switch (family) {
    case TAPIR_AF_INET: return "AF_INET";
    case TAPIR_AF_INET6: return "AF_INET6";
    case TAPIR_AF_UNIX: return "AF_UNIX";
    case TAPIR_AF_UNSPEC: return "AF_UNSPEC";
    }
    snprintf(tmp, 16, "%d", family); /* Python prints an unknown value as a number */
    return tmp;
}

const char *type_name(int type, char tmp[16])
{
    switch (type) {
    case TAPIR_SOCK_STREAM: return "SOCK_STREAM";
    case TAPIR_SOCK_DGRAM: return "SOCK_DGRAM";
    case TAPIR_SOCK_RAW: return "SOCK_RAW";
    case TAPIR_SOCK_RDM: return "SOCK_RDM";
    case TAPIR_SOCK_SEQPACKET: return "SOCK_SEQPACKET";
    }
    snprintf(tmp, 16, "%d", type);
    return tmp;
}
