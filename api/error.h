/* The thread-local error every failing tapir call leaves behind: the C form
 * of the exception Python's socket module would have raised.
 *
 *   if (tapir_connect(s, TAPIR_ADDR("198.18.0.1", 7)) < 0)
 *       fprintf(stderr, "%s\n", tapir_strerror());  // "[Errno 111] Connection refused"
 *
 * A kind says which Python exception it would be (OSError, socket.herror,
 * socket.gaierror, TimeoutError, ValueError...); code is the errno-style
 * number (Linux's errno values; EAI_* for gaierror, h_errno for herror);
 * message is what str(exception) prints in Python.
 */
#ifndef TAPIR_API_ERROR_H
#define TAPIR_API_ERROR_H

#include <stdarg.h>
#include <stddef.h>

typedef enum tapir_error_kind {
    TAPIR_ERR_NONE = 0,
    TAPIR_ERR_ERROR,     /* OSError (socket.error) and its subclasses */
    TAPIR_ERR_HERROR,    /* socket.herror: h_errno codes */
    TAPIR_ERR_GAIERROR,  /* socket.gaierror: EAI_* codes (negative) */
    TAPIR_ERR_TIMEOUT,   /* socket.timeout / TimeoutError: "timed out" */
    TAPIR_ERR_VALUE,     /* ValueError: a bad argument value */
    TAPIR_ERR_OVERFLOW,  /* OverflowError: a number out of range (ports...) */
    TAPIR_ERR_TYPE,      /* TypeError: an argument of the wrong kind */
    /* api/tls.h.  code is OpenSSL's SSL_get_error() value, as Python's
     * SSLError.errno: 1 protocol / certificate failure ("[SSL:
     * CERTIFICATE_VERIFY_FAILED] certificate verify failed: ..."), 8 EOF in
     * violation of the protocol, 6 TLS session closed. */
    TAPIR_ERR_SSL,            /* ssl.SSLError and subclasses (by code, see tapir_error_class) */
    TAPIR_ERR_SSL_WANT_READ,  /* ssl.SSLWantReadError: non-blocking, wait until readable */
    TAPIR_ERR_SSL_WANT_WRITE, /* ssl.SSLWantWriteError: non-blocking, wait until writable */
} tapir_error_kind;

#define TAPIR_ERROR_MSG_MAX 256

typedef struct tapir_error {
    tapir_error_kind kind;
    /* errno (positive, Linux's values) for TAPIR_ERR_ERROR, 0 when Python's
     * exception has no errno ("illegal IP address string passed to inet_aton");
     * EAI_* for gaierror; h_errno for herror; ETIMEDOUT for timeout; EINVAL
     * for value/type errors and ERANGE for overflow (Python's errno is None
     * for those: the code is only a convenience for C callers). */
    int code;
    char message[TAPIR_ERROR_MSG_MAX]; /* str(exception) in Python */
} tapir_error;

/* The calling thread's last error (never NULL; kind NONE if none yet). */
const tapir_error *tapir_last_error(void);
/* Its code and message: tapir_errno() is the errno-style code, 0 if none. */
int tapir_errno(void);
const char *tapir_strerror(void);
/* The Python exception class the error would be raised as: "ConnectionRefusedError",
 * "BlockingIOError", "TimeoutError", "socket.gaierror", "ValueError"... */
const char *tapir_error_class(const tapir_error *e);
/* Formats e as Python's traceback's last line: "ConnectionRefusedError: [Errno 111]
 * Connection refused".  Writes at most n bytes (NUL included); returns buf. */
char *tapir_error_format(const tapir_error *e, char *buf, size_t n);
/* Prints "prefix: <formatted last error>" to stderr, like perror(3). */
void tapir_perror(const char *prefix);
void tapir_error_clear(void);

/* Linux's text for an errno value, as strerror(3) gives it ("Connection refused"). */
const char *tapir_errno_text(int errnum);
/* Texts for EAI_* (gai_strerror) and h_errno (hstrerror) codes. */
const char *tapir_gai_text(int eai);
const char *tapir_herror_text(int h);

/* Setters, for the API's own code (and for the runner, the resolver, ...).
 * All return -1, so a failing call can end with `return tapir_set_errno(EBADF);`. */
int tapir_set_errno(int errnum);   /* OSError "[Errno N] text"; errnum may be negative (-errno) */
int tapir_set_timeout_error(void); /* TimeoutError "timed out" */
int tapir_set_gaierror(int eai);   /* gaierror "[Errno -2] Name or service not known" */
int tapir_set_herror(int h);       /* herror "[Errno 1] Unknown host" */
int tapir_set_error(tapir_error_kind kind, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int tapir_set_error_v(tapir_error_kind kind, int code, const char *fmt, va_list ap);

#endif
