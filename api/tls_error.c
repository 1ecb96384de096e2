/* Where the TLS module's errors go.  A thread-local record of the last one
 * (kind, code, message), read by tls_last_error(). */
#include "api/tls_internal.h"

#include <stdio.h>

static _Thread_local struct {
    int kind, code;
    char msg[512];
} last;

void tls_set_error(int kind, int code, const char *msg)
{
    last.kind = kind;
    last.code = code;
    snprintf(last.msg, sizeof last.msg, "%s", msg);
}

const char *tls_last_error(int *kind, int *code)
{
    if (kind)
        *kind = last.kind;
    if (code)
        *code = last.code;
    return last.msg;
}
