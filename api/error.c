/* The thread-local error: what Python's socket module would have raised. */
#include "api/error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static _Thread_local tapir_error last;

const tapir_error *tapir_last_error(void) { return &last; }
int tapir_errno(void) { return last.code; }
const char *tapir_strerror(void) { return last.message; }

void tapir_error_clear(void)
{
    last.kind = TAPIR_ERR_NONE;
    last.code = 0;
    last.message[0] = '\0';
}

const char *tapir_errno_text(int errnum)
{
    /* strerror(3) from glibc is what CPython prints; strerror_r (GNU form)
     * is the thread-safe way to get the same text. */
    static _Thread_local char buf[128];
    return strerror_r(errnum, buf, sizeof buf);
}

/* glibc's gai_strerror texts, which Python shows for gaierror. */
const char *tapir_gai_text(int eai)
{
    switch (eai) {
    case -1: return "Bad value for ai_flags";
    case -2: return "Name or service not known";
    case -3: return "Temporary failure in name resolution";
    case -4: return "Non-recoverable failure in name resolution";
    case -5: return "No address associated with hostname";
    case -6: return "ai_family not supported";
    case -7: return "ai_socktype not supported";
    case -8: return "Servname not supported for ai_socktype";
    case -9: return "Address family for hostname not supported";
    case -10: return "Memory allocation failure";
    case -11: return "System error";
    case -12: return "Argument buffer overflow";
    default: return "Unknown error";
    }
}

/* hstrerror(3)'s texts, which Python shows for herror. */
const char *tapir_herror_text(int h)
{
    switch (h) {
    case 0: return "Resolver Error 0 (no error)";
    case 1: return "Unknown host";
    case 2: return "Host name lookup failure";
    case 3: return "Unknown server error";
    case 4: return "No address associated with name";
    default: return "Unknown resolver error";
    }
}

int tapir_set_error_v(tapir_error_kind kind, int code, const char *fmt, va_list ap)
{
    last.kind = kind;
    last.code = code;
    vsnprintf(last.message, sizeof last.message, fmt, ap);
    return -1;
}

int tapir_set_error(tapir_error_kind kind, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tapir_set_error_v(kind, code, fmt, ap);
    va_end(ap);
    return -1;
}

int tapir_set_errno(int errnum)
{
    if (errnum < 0)
        errnum = -errnum;
    return tapir_set_error(TAPIR_ERR_ERROR, errnum, "[Errno %d] %s", errnum, tapir_errno_text(errnum));
}

int tapir_set_timeout_error(void)
{
    return tapir_set_error(TAPIR_ERR_TIMEOUT, ETIMEDOUT, "timed out");
}

int tapir_set_gaierror(int eai)
{
    return tapir_set_error(TAPIR_ERR_GAIERROR, eai, "[Errno %d] %s", eai, tapir_gai_text(eai));
}

int tapir_set_herror(int h)
{
    return tapir_set_error(TAPIR_ERR_HERROR, h, "[Errno %d] %s", h, tapir_herror_text(h));
}

/* OSError's constructor picks a subclass from the errno (PEP 3151). */
static const char *oserror_class(int e)
{
    switch (e) {
    case EAGAIN: case EALREADY: case EINPROGRESS: return "BlockingIOError";
    case EPIPE: case ESHUTDOWN: return "BrokenPipeError";
    case ECONNABORTED: return "ConnectionAbortedError";
    case ECONNREFUSED: return "ConnectionRefusedError";
    case ECONNRESET: return "ConnectionResetError";
    case EEXIST: return "FileExistsError";
    case ENOENT: return "FileNotFoundError";
    case EINTR: return "InterruptedError";
    case EISDIR: return "IsADirectoryError";
    case ENOTDIR: return "NotADirectoryError";
    case EACCES: case EPERM: return "PermissionError";
    case ESRCH: return "ProcessLookupError";
    case ECHILD: return "ChildProcessError";
    case ETIMEDOUT: return "TimeoutError";
    default: return "OSError";
    }
}

/* ssl.SSLError's subclasses, told apart by errno (SSL_ERROR_*) as _ssl.c does. */
static const char *sslerror_class(const tapir_error *e)
{
    switch (e->code) {
    case 6: return "ssl.SSLZeroReturnError";
    case 8: return "ssl.SSLEOFError";
    case 5: return "ssl.SSLSyscallError";
    case 1:
        if (!strncmp(e->message, "[SSL: CERTIFICATE_VERIFY_FAILED]", 32))
            return "ssl.SSLCertVerificationError";
        return "ssl.SSLError";
    default: return "ssl.SSLError";
    }
}

const char *tapir_error_class(const tapir_error *e)
{
    switch (e->kind) {
    case TAPIR_ERR_NONE: return "";
    case TAPIR_ERR_ERROR: return oserror_class(e->code);
    case TAPIR_ERR_HERROR: return "socket.herror";
    case TAPIR_ERR_GAIERROR: return "socket.gaierror";
    case TAPIR_ERR_TIMEOUT: return "TimeoutError";
    case TAPIR_ERR_VALUE: return "ValueError";
    case TAPIR_ERR_OVERFLOW: return "OverflowError";
    case TAPIR_ERR_TYPE: return "TypeError";
    case TAPIR_ERR_SSL: return sslerror_class(e);
    case TAPIR_ERR_SSL_WANT_READ: return "ssl.SSLWantReadError";
    case TAPIR_ERR_SSL_WANT_WRITE: return "ssl.SSLWantWriteError";
    }
    return "OSError";
}

char *tapir_error_format(const tapir_error *e, char *buf, size_t n)
{
    if (n == 0)
        return buf;
    if (e->kind == TAPIR_ERR_NONE)
        snprintf(buf, n, "no error");
    else
        snprintf(buf, n, "%s: %s", tapir_error_class(e), e->message);
    return buf;
}

void tapir_perror(const char *prefix)
{
    char buf[TAPIR_ERROR_MSG_MAX + 64];
    tapir_error_format(&last, buf, sizeof buf);
    if (prefix && *prefix)
        fprintf(stderr, "%s: %s\n", prefix, buf);
    else
        fprintf(stderr, "%s\n", buf);
}
