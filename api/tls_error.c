/* Where the TLS module's errors go: the API's thread-local error
 * (api/error.h), with the kinds Python's ssl module would raise. */
#include <errno.h>

#include "api/error.h"
#include "api/tls_internal.h"

void tls_set_error(int kind, int code, const char *msg)
{
    switch (kind) {
    case TLS_EK_OS:
        tapir_set_errno(code);
        break;
    case TLS_EK_SSL:
    case TLS_EK_SSL_ZERO_RETURN:
        tapir_set_error(TAPIR_ERR_SSL, code, "%s", msg);
        break;
    case TLS_EK_WANT_READ:
        tapir_set_error(TAPIR_ERR_SSL_WANT_READ, code, "%s", msg);
        break;
    case TLS_EK_WANT_WRITE:
        tapir_set_error(TAPIR_ERR_SSL_WANT_WRITE, code, "%s", msg);
        break;
    case TLS_EK_TIMEOUT:
        tapir_set_error(TAPIR_ERR_TIMEOUT, ETIMEDOUT, "%s", msg);
        break;
    default:
        tapir_set_error(TAPIR_ERR_VALUE, EINVAL, "%s", msg);
        break;
    }
}
