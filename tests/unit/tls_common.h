/* Shared by the TLS unit tests: a temp dir of fresh certificates, a server
 * running in a thread over the memory pipe, and the last error. */
#ifndef TAPIR_TESTS_TLS_COMMON_H
#define TAPIR_TESTS_TLS_COMMON_H

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/error.h"
#include "api/tls.h"
#include "api/tls_internal.h"
#include "tests/lib/tlscert.h"
#include "tests/unit/tls_pipe.h"

/* The certificate directory of the running test (tls_common.c). */
extern char tls_dir[64];
void tls_setup(void);
void tls_teardown(void);
/* tls_dir + "/" + name, in one of a few rotating static buffers. */
const char *tls_path(const char *name);

/* The last error left on this thread. */
struct tls_err {
    int kind, code;
    char msg[512];
    char cls[64]; /* the Python exception class: tapir_error_class() */
};
struct tls_err tls_err_now(void);

/* A TLS server on end 1 of a pipe, in its own thread. */
struct tls_server {
    struct tls_pipe *pipe;
    const char *cert;          /* file names in tls_dir; NULL: server.pem / .key */
    const char *key;
    const char *const *alpn;   /* NULL: none */
    size_t n_alpn;
    int flags;                 /* extra wrap flags */
    int verify_mode;           /* client certificates: TAPIR_CERT_* (CA: ca.pem) */
    void (*body)(struct tls_server *srv, tapir_ssl_socket *s); /* NULL: echo once, unwrap */
    void *arg;
    /* results */
    bool handshake_ok;
    struct tls_err err;
    char alpn_selected[64];
    char peer_subject[512];
    pthread_t th;
};
void tls_server_start(struct tls_server *srv);
void tls_server_join(struct tls_server *srv);

/* A client context trusting the test CA (or cafile, when not NULL). */
tapir_ssl_context *tls_client_ctx(const char *cafile);

#endif
