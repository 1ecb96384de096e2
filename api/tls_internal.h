/* Inside the TLS module: shared by api/tls.c (the engine), api/tls_error.c
 * and the binding to tapir sockets.  Not a public header. */
#ifndef TAPIR_API_TLS_INTERNAL_H
#define TAPIR_API_TLS_INTERNAL_H

#include "api/tls.h"

/* The kinds of error the TLS module raises (Python's exception classes). */
enum tls_error_kind {
    TLS_EK_OS,             /* OSError: code is an errno */
    TLS_EK_SSL,            /* ssl.SSLError (and SSLCertVerificationError, SSLEOFError) */
    TLS_EK_SSL_ZERO_RETURN,/* ssl.SSLZeroReturnError */
    TLS_EK_WANT_READ,      /* ssl.SSLWantReadError */
    TLS_EK_WANT_WRITE,     /* ssl.SSLWantWriteError */
    TLS_EK_TIMEOUT,        /* TimeoutError ("The read operation timed out") */
    TLS_EK_VALUE,          /* ValueError: a caller's mistake */
};

/* Leaves the thread-local error (api/tls_error.c maps it onto api/error.h). */
void tls_set_error(int kind, int code, const char *msg);

/* Constructors shared with the socket binding: fd is the tapir socket or -1. */
tapir_ssl_socket *tls_new(tapir_ssl_context *c, const struct tapir_tls_transport *t, int fd,
                          const char *server_hostname, int flags);
tapir_ssl_socket *tls_legacy_new(const struct tapir_tls_transport *t, int fd, const char *keyfile,
                                 const char *certfile);

/* Hands the connection a block it frees when it is closed. */
void tls_own_ctx(tapir_ssl_socket *s, void *p);
/* fn(ctx) is called once when the TLS layer lets go of the transport
 * (unwrap or close), before anything is freed. */
void tls_set_release(tapir_ssl_socket *s, void (*fn)(void *ctx), void *ctx);
/* Decrypted bytes wait (as of the last operation); lock-free, for select. */
bool tls_has_pending(tapir_ssl_socket *s);

#endif
