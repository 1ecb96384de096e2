/* TLS on tapir: Python's `ssl` module (and the old `socket.ssl()` call) in C,
 * with OpenSSL doing the cryptography.
 *
 * OpenSSL never touches a kernel socket here.  Its records go through a small
 * transport interface (struct tapir_tls_transport: non-blocking send and
 * recv, a wait for readiness, the timeout mode); a custom OpenSSL BIO calls
 * it.  tapir_ssl_wrap_socket() binds that transport to a tapir TCP socket;
 * tapir_ssl_wrap_transport() takes any other (an in-process memory pipe in the
 * unit tests: the counterpart of Python's SSLContext.wrap_bio()).
 *
 * Two faces:
 *
 *  1. The legacy call of the Python 2 docs, `socket.ssl(sock, keyfile,
 *     certfile)`: tapir_ssl().  WARNING, as the docs warn: it does NO
 *     certificate verification at all.  Any certificate, expired, self-signed,
 *     for another host, is accepted; a man in the middle is not detected.  It is
 *     kept that way on purpose (it is what the call does); use a context for
 *     anything that matters.  Its object has write(), read([n]), server() and
 *     issuer() (the peer certificate's subject and issuer, X509_NAME_oneline
 *     form: '/C=US/ST=California/L=Mountain View/O=Google Inc/CN=www.google.com').
 *
 *  2. A modern, verifying wrapper in the spirit of ssl.SSLContext.wrap_socket:
 *     a context (client or server side, minimum protocol version TLS 1.2 by
 *     default, CA file/dir or the system store, certificate chain and key,
 *     verify mode, host-name checking, ALPN, ciphers), and on the connection
 *     do_handshake, read/write/recv/send/sendall, pending, getpeercert,
 *     version, cipher, selected_alpn_protocol, unwrap (close_notify), close.
 *
 * Modes follow the socket's timeout, as Python's SSLSocket does: blocking
 * (timeout < 0, Python's None), timeout (> 0 seconds: kind TAPIR_ERR_TIMEOUT,
 * "The read operation timed out"), non-blocking (0: a call that cannot go on
 * fails with kind TAPIR_ERR_SSL_WANT_READ / TAPIR_ERR_SSL_WANT_WRITE, Python's
 * SSLWantReadError / SSLWantWriteError: wait for the socket to become readable
 * / writable and call again with the same arguments).
 *
 * Errors: every failing call returns -1 / NULL and leaves the thread-local
 * error (api/error.h) with kind TAPIR_ERR_SSL for TLS failures, and a message
 * shaped like Python's:
 *   [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate
 *   [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has expired
 *   [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, certificate is not valid for 'x'.
 *   [SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol
 *   [SSL: WRONG_VERSION_NUMBER] wrong version number
 * The code is OpenSSL's SSL_get_error() value, as Python's SSLError.errno:
 * 1 (TAPIR_SSL_ERROR_SSL) for protocol and certificate failures, 8
 * (TAPIR_SSL_ERROR_EOF) for an EOF in violation of the protocol, 6 for a
 * closed TLS session, 2 / 3 for want-read / want-write.  The verification
 * result itself is kept on the connection: tapir_ssl_verify_result().
 *
 * Python -> C:
 *   ssl.create_default_context()             tapir_ssl_create_default_context()
 *   ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)  tapir_ssl_context_new(TAPIR_PROTOCOL_TLS_SERVER)
 *   ctx.load_cert_chain(cert, key)           tapir_ssl_context_load_cert_chain(ctx, cert, key)
 *   ctx.load_verify_locations(cafile)        tapir_ssl_context_load_verify_locations(ctx, cafile, NULL)
 *   ctx.minimum_version = TLSVersion.TLSv1_3 tapir_ssl_context_set_minimum_version(ctx, TAPIR_TLSv1_3)
 *   ss = ctx.wrap_socket(s, server_hostname=h)  ss = tapir_ssl_wrap_socket(ctx, s, h, 0)
 *   ss.sendall(b) / ss.recv(n)               tapir_ssl_sendall(ss, b, len) / tapir_ssl_recv(ss, buf, n)
 *   ss.version(), ss.cipher()                tapir_ssl_version(ss), tapir_ssl_cipher(ss, &name, &ver, &bits)
 *   ss.getpeercert()                         tapir_ssl_getpeercert(ss, &cert)
 *   s = ss.unwrap()                          s = tapir_ssl_unwrap(ss); tapir_ssl_close(ss)
 *   except ssl.SSLCertVerificationError      tapir_last_error()->kind == TAPIR_ERR_SSL, and
 *                                            tapir_error_class() == "ssl.SSLCertVerificationError"
 *   except ssl.SSLWantReadError              kind == TAPIR_ERR_SSL_WANT_READ
 *   socket.ssl(s).server()                   tapir_ssl_server(tapir_ssl(s, NULL, NULL))
 *
 * Threads: one connection may be used by two threads (one reading, one
 * writing); calls into OpenSSL are serialised by a lock that is released
 * while waiting.
 */
#ifndef TAPIR_API_TLS_H
#define TAPIR_API_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* ---- The transport under TLS ---- */

#define TAPIR_TLS_WAIT_READ  1
#define TAPIR_TLS_WAIT_WRITE 2

/* What TLS needs from the byte stream under it.  send and recv never block:
 * they return the bytes moved, 0 at EOF (recv), -EAGAIN when nothing can move
 * now, or another -errno.  wait blocks until the transport is readable /
 * writable (TAPIR_TLS_WAIT_*) or `timeout` seconds pass (< 0: no limit) and
 * returns 1 ready, 0 timed out, -errno.  gettimeout gives the mode: < 0
 * blocking, 0 non-blocking, > 0 seconds.  close (may be NULL) is called by
 * tapir_ssl_close() unless the connection was unwrapped. */
struct tapir_tls_transport {
    void *ctx;
    ssize_t (*send)(void *ctx, const void *buf, size_t len);
    ssize_t (*recv)(void *ctx, void *buf, size_t len);
    int (*wait)(void *ctx, int what, double timeout);
    double (*gettimeout)(void *ctx);
    void (*close)(void *ctx);
};

/* ---- Constants (Python's names) ---- */

/* SSLContext(protocol) */
#define TAPIR_PROTOCOL_TLS_CLIENT 16 /* verify + check_hostname on (ssl.PROTOCOL_TLS_CLIENT) */
#define TAPIR_PROTOCOL_TLS_SERVER 17 /* verify off (ssl.PROTOCOL_TLS_SERVER) */

/* verify_mode */
#define TAPIR_CERT_NONE     0
#define TAPIR_CERT_OPTIONAL 1
#define TAPIR_CERT_REQUIRED 2

/* TLSVersion (OpenSSL's wire values) */
#define TAPIR_TLSv1   0x0301
#define TAPIR_TLSv1_1 0x0302
#define TAPIR_TLSv1_2 0x0303
#define TAPIR_TLSv1_3 0x0304

/* SSLError.errno values (OpenSSL's SSL_ERROR_*) */
#define TAPIR_SSL_ERROR_SSL         1
#define TAPIR_SSL_ERROR_WANT_READ   2
#define TAPIR_SSL_ERROR_WANT_WRITE  3
#define TAPIR_SSL_ERROR_SYSCALL     5
#define TAPIR_SSL_ERROR_ZERO_RETURN 6
#define TAPIR_SSL_ERROR_EOF         8

/* wrap flags */
#define TAPIR_SSL_SERVER_SIDE            0x1 /* server_side=True */
#define TAPIR_SSL_NO_HANDSHAKE_ON_CONNECT 0x2 /* do_handshake_on_connect=False */
/* suppress_ragged_eofs=True: an EOF without close_notify reads as a plain EOF
 * (0 bytes).  Off by default here (Python's default is on): a truncated
 * stream is an error unless the caller says it can tell by itself. */
#define TAPIR_SSL_SUPPRESS_RAGGED_EOFS   0x4

typedef struct tapir_ssl_context tapir_ssl_context;
typedef struct tapir_ssl_socket tapir_ssl_socket;

/* ---- The legacy call: socket.ssl(sock, keyfile, certfile) ---- */

/* Wraps the connected tapir socket `sock` and performs the client handshake.
 * keyfile / certfile (both or neither; NULL for none) give a client
 * certificate.  NO CERTIFICATE VERIFICATION (see the top of this file).
 * Ragged EOFs read as EOF.  NULL on failure. */
tapir_ssl_socket *tapir_ssl(int sock, const char *keyfile, const char *certfile);
/* The same over any transport (the unit tests' memory pipe). */
tapir_ssl_socket *tapir_ssl_transport(const struct tapir_tls_transport *t, const char *keyfile,
                                      const char *certfile);
/* write(s): writes all of buf, returns len (bytes written) or -1. */
ssize_t tapir_ssl_write(tapir_ssl_socket *s, const void *buf, size_t len);
/* read(n): up to n bytes, as soon as some are there; 0 at EOF; -1 on error. */
ssize_t tapir_ssl_read(tapir_ssl_socket *s, void *buf, size_t n);
/* read(): everything until EOF, in a malloc'd buffer (NUL-terminated for
 * convenience, *len excludes the NUL).  NULL on error (what was read is lost,
 * as in Python). */
char *tapir_ssl_read_all(tapir_ssl_socket *s, size_t *len);
/* server() / issuer(): the peer certificate's subject / issuer names in
 * X509_NAME_oneline form; "" when the peer sent none.  Owned by s. */
const char *tapir_ssl_server(tapir_ssl_socket *s);
const char *tapir_ssl_issuer(tapir_ssl_socket *s);

/* ---- The context: ssl.SSLContext ---- */

/* A new context for TAPIR_PROTOCOL_TLS_CLIENT (verify_mode CERT_REQUIRED,
 * check_hostname on; the system CA store is used unless CA locations are
 * loaded) or TAPIR_PROTOCOL_TLS_SERVER (CERT_NONE).  Minimum version TLS 1.2. */
tapir_ssl_context *tapir_ssl_context_new(int protocol);
/* ssl.create_default_context(): a client context with the system store. */
tapir_ssl_context *tapir_ssl_create_default_context(void);
void tapir_ssl_context_free(tapir_ssl_context *ctx);

/* Each returns 0, or -1 with the error set (kind ssl or error, as Python). */
int tapir_ssl_context_set_minimum_version(tapir_ssl_context *ctx, int version);
int tapir_ssl_context_set_maximum_version(tapir_ssl_context *ctx, int version);
int tapir_ssl_context_load_verify_locations(tapir_ssl_context *ctx, const char *cafile,
                                            const char *capath);
int tapir_ssl_context_load_default_certs(tapir_ssl_context *ctx);
/* keyfile NULL: the key is in certfile. */
int tapir_ssl_context_load_cert_chain(tapir_ssl_context *ctx, const char *certfile,
                                      const char *keyfile);
/* CERT_REQUIRED on a client with check_hostname is the default; turning
 * verify_mode to CERT_NONE while check_hostname is on fails, as in Python
 * ("Cannot set verify_mode to CERT_NONE when check_hostname is enabled."). */
int tapir_ssl_context_set_verify_mode(tapir_ssl_context *ctx, int mode);
int tapir_ssl_context_get_verify_mode(const tapir_ssl_context *ctx);
/* Turning check_hostname on also sets CERT_REQUIRED if it was CERT_NONE. */
int tapir_ssl_context_set_check_hostname(tapir_ssl_context *ctx, bool on);
bool tapir_ssl_context_get_check_hostname(const tapir_ssl_context *ctx);
/* ALPN, in order of preference, e.g. {"h2", "http/1.1"}. */
int tapir_ssl_context_set_alpn_protocols(tapir_ssl_context *ctx, const char *const *protocols,
                                         size_t n);
/* OpenSSL cipher list (TLS 1.2 and below). */
int tapir_ssl_context_set_ciphers(tapir_ssl_context *ctx, const char *ciphers);

/* ---- Connections: SSLContext.wrap_socket ---- */

/* Wraps the tapir socket `sock` (its timeout mode carries over: the
 * connection follows the socket's timeout at each call).  server_hostname
 * (client side): sent as SNI and, with check_hostname, matched against the
 * certificate (a name or an IP address).  Unless
 * TAPIR_SSL_NO_HANDSHAKE_ON_CONNECT, the handshake is done here (and, as in
 * Python, that flag is required for a non-blocking socket).  On failure
 * returns NULL and the socket is left open, the caller's to close. */
tapir_ssl_socket *tapir_ssl_wrap_socket(tapir_ssl_context *ctx, int sock, const char *server_hostname,
                                        int flags);
/* The same over any transport (copied). */
tapir_ssl_socket *tapir_ssl_wrap_transport(tapir_ssl_context *ctx, const struct tapir_tls_transport *t,
                                           const char *server_hostname, int flags);

int tapir_ssl_do_handshake(tapir_ssl_socket *s);
/* recv: up to len bytes (0 at a clean EOF: close_notify, or a ragged EOF
 * when suppressed).  send: all of len or an error (partial progress is kept
 * by OpenSSL: in non-blocking mode call again with the same buffer). */
ssize_t tapir_ssl_recv(tapir_ssl_socket *s, void *buf, size_t len);
ssize_t tapir_ssl_send(tapir_ssl_socket *s, const void *buf, size_t len);
/* sendall: everything, under one timeout for the whole call. 0 or -1. */
int tapir_ssl_sendall(tapir_ssl_socket *s, const void *buf, size_t len);
/* Decrypted bytes ready to read without touching the transport.  select()
 * and poll() on the wrapped socket count them as readable (unlike Python's,
 * where a readable-looking SSLSocket may hold them unseen); the epoll-like
 * API is driven by the socket's wake-ups and does not: check pending()
 * before waiting there. */
size_t tapir_ssl_pending(tapir_ssl_socket *s);
/* True when a recv would not block: decrypted bytes pending, or the
 * transport readable (what select on the wrapped socket reports). */
bool tapir_ssl_readable(tapir_ssl_socket *s);

/* "TLSv1.3", "TLSv1.2"...; NULL before the handshake. */
const char *tapir_ssl_version(tapir_ssl_socket *s);
/* cipher(): name, protocol version and secret bits; -1 before the handshake. */
int tapir_ssl_cipher(tapir_ssl_socket *s, const char **name, const char **version, int *bits);
/* The ALPN protocol the server chose, or NULL. */
const char *tapir_ssl_selected_alpn_protocol(tapir_ssl_socket *s);
const char *tapir_ssl_server_hostname(tapir_ssl_socket *s);
bool tapir_ssl_server_side(tapir_ssl_socket *s);
/* X509_V_OK (0) or OpenSSL's verification error code, and its text. */
long tapir_ssl_verify_result(tapir_ssl_socket *s);

/* getpeercert(): the peer certificate's fields, as Python's dict.  As in
 * Python, the text form is only given for a certificate that was validated
 * (verify_mode other than CERT_NONE); the DER form always. */
#define TAPIR_PEERCERT_MAX_SAN 32
struct tapir_peercert {
    char subject[512];     /* X509_NAME_oneline form */
    char issuer[512];
    char common_name[256]; /* subject's CN, "" if none */
    int version;           /* 3 for X.509v3, as Python */
    char serial_number[80];/* upper-case hex, as Python */
    char not_before[32];   /* "Jan  5 09:34:43 2018 GMT", as Python */
    char not_after[32];
    size_t n_san;          /* subjectAltName: ("DNS", "name") / ("IP Address", "1.2.3.4") */
    struct tapir_peercert_san {
        char type[16];     /* "DNS", "IP Address", "email", "URI" */
        char value[256];
    } san[TAPIR_PEERCERT_MAX_SAN];
};
/* 0 and *out filled; 1 when there is no certificate or it was not validated
 * (Python's None / {}); -1 on error (before the handshake: value error). */
int tapir_ssl_getpeercert(tapir_ssl_socket *s, struct tapir_peercert *out);
/* getpeercert(binary_form=True): malloc'd DER bytes, NULL when none. */
unsigned char *tapir_ssl_getpeercert_der(tapir_ssl_socket *s, size_t *len);

/* unwrap(): the TLS shutdown (sends close_notify and waits for the peer's,
 * in the socket's mode), then gives back the plain socket / transport: the
 * returned fd (tapir socket) is the caller's, tapir_ssl_close() will not
 * close it.  -1 on error (want-read in non-blocking mode: call again).
 * Over a transport, returns 0. */
int tapir_ssl_unwrap(tapir_ssl_socket *s);
/* The wrapped tapir socket (its fileno), -1 over a bare transport. */
int tapir_ssl_fileno(tapir_ssl_socket *s);
/* close(): frees everything and closes the socket (no close_notify, as
 * Python's close(); use unwrap() for an orderly TLS shutdown).  NULL is ok. */
void tapir_ssl_close(tapir_ssl_socket *s);

#endif
