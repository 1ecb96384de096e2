/* TLS engine: OpenSSL over a tapir transport (see api/tls.h).
 *
 * How it works.  Each connection has an OpenSSL SSL object whose only BIO is
 * ours (tbio_*): its write calls transport->send, its read transport->recv.
 * Both never block, so OpenSSL always sees a non-blocking stream and reports
 * SSL_ERROR_WANT_READ / WANT_WRITE when it needs the network.  The loop in
 * run() then does what CPython's _ssl.c does with a socket: in non-blocking
 * mode it fails with the want-read / want-write error; otherwise it waits on
 * the transport until it is ready or the call's deadline passes, and retries.
 * So blocking, timeout and non-blocking modes are one code path, and the mode
 * is read from the transport at each call (it "carries over" from the socket).
 */
#include "api/tls.h"
#include "api/tls_internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

/* ---- Objects ---- */

struct tapir_ssl_context {
    SSL_CTX *ctx;
    int protocol;
    int verify_mode;       /* TAPIR_CERT_* */
    bool check_hostname;
    bool ca_loaded;        /* some verify location given; else the system store */
    unsigned char *alpn;   /* wire format: length-prefixed names */
    size_t alpn_len;
};

struct tapir_ssl_socket {
    SSL *ssl;
    struct tapir_tls_transport t;
    int fd;                /* the wrapped tapir socket, -1 over a bare transport */
    int flags;             /* TAPIR_SSL_* wrap flags */
    bool server_side;
    bool verified;         /* verify_mode was not CERT_NONE: getpeercert gives text */
    bool unwrapped;
    bool legacy;
    char *hostname;
    /* Set by the BIO, read after an OpenSSL call under the same lock. */
    int io_errno;          /* the transport's last hard error (positive errno) */
    bool io_eof;           /* the transport returned 0: the peer closed */
    pthread_mutex_t lock;  /* serialises OpenSSL calls on this connection */
    char subject[512], issuer[512]; /* server() / issuer(), filled on first use */
    char alpn[256];        /* selected_alpn_protocol(), NUL-terminated */
    void *owned;           /* freed with the connection (the socket binding's context) */
    atomic_size_t pend;    /* SSL_pending() after the last operation, read lock-free */
    void (*release)(void *ctx); /* called once when the TLS layer lets go (unwrap, close) */
    void *release_ctx;
};

/* ---- Errors ---- */

/* The error a call leaves, shaped like Python's (see api/tls.h). */
static void fail(int kind, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(int kind, int code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    tls_set_error(kind, code, msg);
}

static void fail_errno(int err)
{
    fail(TLS_EK_OS, err, "[Errno %d] %s", err, strerror(err));
}

/* Python's short names of OpenSSL's libraries ("[SSL: ...]", "[X509: ...]"). */
static const char *lib_name(int lib)
{
    switch (lib) {
    case ERR_LIB_SSL: return "SSL";
    case ERR_LIB_X509: return "X509";
    case ERR_LIB_X509V3: return "X509V3";
    case ERR_LIB_PEM: return "PEM";
    case ERR_LIB_EVP: return "EVP";
    case ERR_LIB_ASN1: return "ASN1";
    case ERR_LIB_BIO: return "BIO";
    case ERR_LIB_SYS: return "SYS";
    case ERR_LIB_PKCS12: return "PKCS12";
    case ERR_LIB_RSA: return "RSA";
    case ERR_LIB_EC: return "EC";
    case ERR_LIB_PROV: return "PROV";
    default: return NULL;
    }
}

/* The reason's symbol as Python prints it: OpenSSL 3 has no table of reason
 * macro names, but its reason strings are those names in lower case with
 * spaces ("certificate verify failed" -> CERTIFICATE_VERIFY_FAILED). */
static void reason_symbol(const char *text, char *out, size_t cap)
{
    size_t i = 0;
    for (; text[i] && i + 1 < cap; i++)
        out[i] = text[i] == ' ' ? '_' : (char)toupper((unsigned char)text[i]);
    out[i] = '\0';
}

/* Fails with kind ssl from OpenSSL's error queue (and the connection's
 * verification result when that is why), like CPython's fill_and_set_sslerror. */
static void fail_ssl(tapir_ssl_socket *s, int code, const char *fallback)
{
    unsigned long e = ERR_peek_last_error();
    const char *rtext = e ? ERR_reason_error_string(e) : NULL;
    const char *lib = e ? lib_name(ERR_GET_LIB(e)) : NULL;
    char sym[128] = "";
    if (rtext)
        reason_symbol(rtext, sym, sizeof sym);
    char detail[384];
    snprintf(detail, sizeof detail, "%s", rtext ? rtext : fallback);

    if (s && e && ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_CERTIFICATE_VERIFY_FAILED) {
        long v = SSL_get_verify_result(s->ssl);
        if (v == X509_V_ERR_HOSTNAME_MISMATCH)
            snprintf(detail, sizeof detail,
                     "certificate verify failed: Hostname mismatch, certificate is not valid for '%s'.",
                     s->hostname ? s->hostname : "");
        else if (v == X509_V_ERR_IP_ADDRESS_MISMATCH)
            snprintf(detail, sizeof detail,
                     "certificate verify failed: IP address mismatch, certificate is not valid for '%s'.",
                     s->hostname ? s->hostname : "");
        else
            snprintf(detail, sizeof detail, "certificate verify failed: %s",
                     X509_verify_cert_error_string(v));
    }
    /* OpenSSL 3 reports a peer gone without close_notify as this reason;
     * Python calls it SSLEOFError, errno SSL_ERROR_EOF. */
    if (e && ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        code = TAPIR_SSL_ERROR_EOF;
        snprintf(detail, sizeof detail, "EOF occurred in violation of protocol");
    }
    if (lib && sym[0])
        fail(TLS_EK_SSL, code, "[%s: %s] %s", lib, sym, detail);
    else if (sym[0])
        fail(TLS_EK_SSL, code, "[%s] %s", sym, detail);
    else
        fail(TLS_EK_SSL, code, "%s", detail);
    ERR_clear_error();
}

/* ---- The BIO over a transport ---- */

static int tbio_write(BIO *b, const char *buf, int len)
{
    tapir_ssl_socket *s = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (len <= 0)
        return 0;
    ssize_t n = s->t.send(s->t.ctx, buf, (size_t)len);
    if (n >= 0)
        return (int)n;
    if (n == -EAGAIN || n == -EWOULDBLOCK || n == -EINTR) {
        BIO_set_retry_write(b);
        return -1;
    }
    s->io_errno = (int)-n;
    return -1;
}

static int tbio_read(BIO *b, char *buf, int len)
{
    tapir_ssl_socket *s = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (len <= 0)
        return 0;
    ssize_t n = s->t.recv(s->t.ctx, buf, (size_t)len);
    if (n > 0)
        return (int)n;
    if (n == 0) {
        s->io_eof = true;
        return 0;
    }
    if (n == -EAGAIN || n == -EWOULDBLOCK || n == -EINTR) {
        BIO_set_retry_read(b);
        return -1;
    }
    s->io_errno = (int)-n;
    return -1;
}

static int tbio_puts(BIO *b, const char *str)
{
    return tbio_write(b, str, (int)strlen(str));
}

static long tbio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)num;
    (void)ptr;
    tapir_ssl_socket *s = BIO_get_data(b);
    switch (cmd) {
    case BIO_CTRL_FLUSH:
        return 1; /* nothing buffered here: send went straight to the transport */
    case BIO_CTRL_EOF:
        /* OpenSSL 3 asks this to tell a peer's EOF from an I/O error: it
         * is how an EOF without close_notify becomes UNEXPECTED_EOF. */
        return s && s->io_eof;
    default:
        return 0;
    }
}

static int tbio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static BIO_METHOD *tbio_method;
static pthread_once_t tbio_once = PTHREAD_ONCE_INIT;

static void tbio_init_method(void)
{
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "tapir transport");
    if (!m)
        return;
    BIO_meth_set_write(m, tbio_write);
    BIO_meth_set_read(m, tbio_read);
    BIO_meth_set_puts(m, tbio_puts);
    BIO_meth_set_ctrl(m, tbio_ctrl);
    BIO_meth_set_create(m, tbio_create);
    tbio_method = m;
}

/* ---- Time ---- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- The one I/O loop ---- */

enum op { OP_HANDSHAKE, OP_READ, OP_WRITE, OP_SHUTDOWN };

static const char *op_word(enum op op)
{
    switch (op) {
    case OP_HANDSHAKE: return "handshake";
    case OP_WRITE: return "write";
    default: return "read";
    }
}

/* Runs one OpenSSL operation to completion in the transport's mode.
 * deadline: absolute (now_s) or < 0 to take the timeout from now (sendall
 * passes its own so the whole call has one).  Returns:
 *   > 0  done (*moved = bytes for read / write)
 *   0    read: clean EOF (close_notify, or a suppressed ragged EOF)
 *   -1   failed, error set. */
static int run(tapir_ssl_socket *s, enum op op, void *buf, size_t len, size_t *moved, double deadline)
{
    double timeout = s->t.gettimeout ? s->t.gettimeout(s->t.ctx) : -1.0;
    if (timeout > 0 && deadline < 0)
        deadline = now_s() + timeout;
    int zeros = 0;

    for (;;) {
        pthread_mutex_lock(&s->lock);
        ERR_clear_error();
        s->io_errno = 0;
        int ret;
        size_t n = 0;
        switch (op) {
        case OP_HANDSHAKE: ret = SSL_do_handshake(s->ssl); break;
        case OP_READ: ret = SSL_read_ex(s->ssl, buf, len, &n); break;
        case OP_WRITE: ret = SSL_write_ex(s->ssl, buf, len, &n); break;
        default: ret = SSL_shutdown(s->ssl); break;
        }
        /* SSL_shutdown's 0 is progress (close_notify sent), not an error. */
        bool progress = ret > 0 || (op == OP_SHUTDOWN && ret == 0);
        int err = progress ? SSL_ERROR_NONE : SSL_get_error(s->ssl, ret);
        int io_errno = s->io_errno;
        bool io_eof = s->io_eof;
        atomic_store(&s->pend, (size_t)(SSL_pending(s->ssl) > 0 ? SSL_pending(s->ssl) : 0));
        int shut = SSL_get_shutdown(s->ssl);
        if (err == SSL_ERROR_SSL || err == SSL_ERROR_SYSCALL) {
            /* Build the message while the error queue is ours. */
            if (err == SSL_ERROR_SSL && ERR_peek_last_error()) {
                unsigned long e = ERR_peek_last_error();
                bool ragged = ERR_GET_LIB(e) == ERR_LIB_SSL &&
                              ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING;
                if (ragged && op == OP_READ && (s->flags & TAPIR_SSL_SUPPRESS_RAGGED_EOFS)) {
                    ERR_clear_error();
                    pthread_mutex_unlock(&s->lock);
                    return 0;
                }
                fail_ssl(s, TAPIR_SSL_ERROR_SSL, "A failure in the SSL library occurred");
            } else if (err == SSL_ERROR_SYSCALL && io_errno) {
                fail_errno(io_errno);
            } else if (err == SSL_ERROR_SYSCALL || io_eof) {
                if (op == OP_READ && (s->flags & TAPIR_SSL_SUPPRESS_RAGGED_EOFS)) {
                    pthread_mutex_unlock(&s->lock);
                    return 0;
                }
                fail(TLS_EK_SSL, TAPIR_SSL_ERROR_EOF,
                     "[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol");
            } else {
                fail_ssl(s, TAPIR_SSL_ERROR_SSL, "A failure in the SSL library occurred");
            }
            ERR_clear_error();
            pthread_mutex_unlock(&s->lock);
            return -1;
        }
        pthread_mutex_unlock(&s->lock);

        if (op == OP_SHUTDOWN) {
            if (ret > 0)
                return 1;
            if (ret == 0) {
                /* close_notify sent; now wait for the peer's (as CPython:
                 * the second call reads it). */
                if (++zeros > 1)
                    return 1;
                continue;
            }
        }
        switch (err) {
        case SSL_ERROR_NONE:
            if (moved)
                *moved = n;
            return 1;
        case SSL_ERROR_ZERO_RETURN:
            if (op == OP_READ && (shut & SSL_RECEIVED_SHUTDOWN))
                return 0;
            fail(TLS_EK_SSL_ZERO_RETURN, TAPIR_SSL_ERROR_ZERO_RETURN,
                 "TLS/SSL connection has been closed (EOF)");
            return -1;
        case SSL_ERROR_WANT_READ:
        case SSL_ERROR_WANT_WRITE: {
            bool rd = err == SSL_ERROR_WANT_READ;
            if (timeout == 0.0) {
                fail(rd ? TLS_EK_WANT_READ : TLS_EK_WANT_WRITE,
                     rd ? TAPIR_SSL_ERROR_WANT_READ : TAPIR_SSL_ERROR_WANT_WRITE,
                     "The operation did not complete (%s)", rd ? "read" : "write");
                return -1;
            }
            double left = -1.0;
            if (timeout > 0) {
                left = deadline - now_s();
                if (left < 0)
                    left = 0;
            }
            int w = s->t.wait(s->t.ctx, rd ? TAPIR_TLS_WAIT_READ : TAPIR_TLS_WAIT_WRITE, left);
            if (w < 0) {
                fail_errno(-w);
                return -1;
            }
            if (w == 0) {
                fail(TLS_EK_TIMEOUT, 0, "The %s operation timed out", op_word(op));
                return -1;
            }
            continue;
        }
        default:
            fail(TLS_EK_SSL, err, "A failure in the SSL library occurred (error %d)", err);
            return -1;
        }
    }
}

/* ---- Contexts ---- */

static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
                       unsigned int inlen, void *arg)
{
    (void)ssl;
    tapir_ssl_context *c = arg;
    unsigned char *sel = NULL;
    if (!c->alpn || SSL_select_next_proto(&sel, outlen, c->alpn, (unsigned)c->alpn_len, in, inlen) !=
                        OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK; /* as Python: go on without ALPN */
    *out = sel;
    return SSL_TLSEXT_ERR_OK;
}

tapir_ssl_context *tapir_ssl_context_new(int protocol)
{
    if (protocol != TAPIR_PROTOCOL_TLS_CLIENT && protocol != TAPIR_PROTOCOL_TLS_SERVER) {
        fail(TLS_EK_VALUE, 0, "invalid or unsupported protocol version %d", protocol);
        return NULL;
    }
    tapir_ssl_context *c = calloc(1, sizeof *c);
    if (!c) {
        fail_errno(ENOMEM);
        return NULL;
    }
    ERR_clear_error();
    c->ctx = SSL_CTX_new(protocol == TAPIR_PROTOCOL_TLS_CLIENT ? TLS_client_method() : TLS_server_method());
    if (!c->ctx) {
        fail_ssl(NULL, TAPIR_SSL_ERROR_SSL, "failed to allocate SSL context");
        free(c);
        return NULL;
    }
    c->protocol = protocol;
    SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
    /* What Python sets: no compression, fresh (EC)DHE keys, server's cipher
     * order; moving buffers because a retried write may come from a new
     * buffer address (Python's bytes objects; our callers' realloc). */
    SSL_CTX_set_options(c->ctx, SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                    SSL_OP_SINGLE_DH_USE | SSL_OP_SINGLE_ECDH_USE);
    SSL_CTX_set_mode(c->ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_AUTO_RETRY);
    SSL_CTX_set_alpn_select_cb(c->ctx, alpn_select, c);
    if (protocol == TAPIR_PROTOCOL_TLS_CLIENT) {
        c->verify_mode = TAPIR_CERT_REQUIRED;
        c->check_hostname = true;
        SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
    } else {
        c->verify_mode = TAPIR_CERT_NONE;
        SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
    }
    return c;
}

tapir_ssl_context *tapir_ssl_create_default_context(void)
{
    tapir_ssl_context *c = tapir_ssl_context_new(TAPIR_PROTOCOL_TLS_CLIENT);
    if (c && tapir_ssl_context_load_default_certs(c) < 0) {
        tapir_ssl_context_free(c);
        return NULL;
    }
    return c;
}

void tapir_ssl_context_free(tapir_ssl_context *c)
{
    if (!c)
        return;
    SSL_CTX_free(c->ctx); /* connections hold their own reference */
    free(c->alpn);
    free(c);
}

static int set_version(tapir_ssl_context *c, int version, bool min)
{
    if (version != 0 && (version < TAPIR_TLSv1 || version > TAPIR_TLSv1_3)) {
        fail(TLS_EK_VALUE, 0, "Unsupported TLS/SSL version 0x%x", (unsigned)version);
        return -1;
    }
    int ok = min ? SSL_CTX_set_min_proto_version(c->ctx, version)
                 : SSL_CTX_set_max_proto_version(c->ctx, version);
    if (!ok) {
        fail(TLS_EK_VALUE, 0, "Unsupported protocol version 0x%x", (unsigned)version);
        return -1;
    }
    return 0;
}

int tapir_ssl_context_set_minimum_version(tapir_ssl_context *c, int version)
{
    return set_version(c, version, true);
}

int tapir_ssl_context_set_maximum_version(tapir_ssl_context *c, int version)
{
    return set_version(c, version, false);
}

/* A file OpenSSL could not open: Python's FileNotFoundError & co. */
static void fail_file_or_ssl(const char *fallback)
{
    unsigned long e = ERR_peek_last_error();
    if (e && ERR_GET_LIB(e) == ERR_LIB_SYS) {
        int err = ERR_GET_REASON(e);
        ERR_clear_error();
        fail_errno(err);
        return;
    }
    if (errno == ENOENT || errno == EACCES || errno == EISDIR) {
        int err = errno;
        ERR_clear_error();
        fail_errno(err);
        return;
    }
    fail_ssl(NULL, TAPIR_SSL_ERROR_SSL, fallback);
}

int tapir_ssl_context_load_verify_locations(tapir_ssl_context *c, const char *cafile, const char *capath)
{
    if (!cafile && !capath) {
        fail(TLS_EK_VALUE, 0, "cafile, capath and cadata cannot be all omitted");
        return -1;
    }
    ERR_clear_error();
    errno = 0;
    if (!SSL_CTX_load_verify_locations(c->ctx, cafile, capath)) {
        fail_file_or_ssl("failed to load verify locations");
        return -1;
    }
    c->ca_loaded = true;
    return 0;
}

int tapir_ssl_context_load_default_certs(tapir_ssl_context *c)
{
    ERR_clear_error();
    if (!SSL_CTX_set_default_verify_paths(c->ctx)) {
        fail_ssl(NULL, TAPIR_SSL_ERROR_SSL, "failed to load the default certificate store");
        return -1;
    }
    c->ca_loaded = true;
    return 0;
}

int tapir_ssl_context_load_cert_chain(tapir_ssl_context *c, const char *certfile, const char *keyfile)
{
    if (!certfile) {
        fail(TLS_EK_VALUE, 0, "certfile should be a valid filesystem path");
        return -1;
    }
    ERR_clear_error();
    errno = 0;
    if (!SSL_CTX_use_certificate_chain_file(c->ctx, certfile)) {
        fail_file_or_ssl("PEM lib");
        return -1;
    }
    errno = 0;
    if (!SSL_CTX_use_PrivateKey_file(c->ctx, keyfile ? keyfile : certfile, SSL_FILETYPE_PEM)) {
        fail_file_or_ssl("PEM lib");
        return -1;
    }
    if (!SSL_CTX_check_private_key(c->ctx)) {
        fail_ssl(NULL, TAPIR_SSL_ERROR_SSL, "key values mismatch");
        return -1;
    }
    return 0;
}

static void apply_verify(tapir_ssl_context *c)
{
    int m = SSL_VERIFY_NONE;
    if (c->verify_mode == TAPIR_CERT_OPTIONAL)
        m = SSL_VERIFY_PEER;
    else if (c->verify_mode == TAPIR_CERT_REQUIRED)
        m = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    SSL_CTX_set_verify(c->ctx, m, NULL);
}

int tapir_ssl_context_set_verify_mode(tapir_ssl_context *c, int mode)
{
    if (mode != TAPIR_CERT_NONE && mode != TAPIR_CERT_OPTIONAL && mode != TAPIR_CERT_REQUIRED) {
        fail(TLS_EK_VALUE, 0, "invalid value for verify_mode");
        return -1;
    }
    if (mode == TAPIR_CERT_NONE && c->check_hostname) {
        fail(TLS_EK_VALUE, 0, "Cannot set verify_mode to CERT_NONE when check_hostname is enabled.");
        return -1;
    }
    c->verify_mode = mode;
    apply_verify(c);
    return 0;
}

int tapir_ssl_context_get_verify_mode(const tapir_ssl_context *c)
{
    return c->verify_mode;
}

int tapir_ssl_context_set_check_hostname(tapir_ssl_context *c, bool on)
{
    if (on && c->verify_mode == TAPIR_CERT_NONE) {
        c->verify_mode = TAPIR_CERT_REQUIRED;
        apply_verify(c);
    }
    c->check_hostname = on;
    return 0;
}

bool tapir_ssl_context_get_check_hostname(const tapir_ssl_context *c)
{
    return c->check_hostname;
}

int tapir_ssl_context_set_alpn_protocols(tapir_ssl_context *c, const char *const *protocols, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(protocols[i]);
        if (l == 0 || l > 255) {
            fail(TLS_EK_VALUE, 0, "ALPN protocols must be 1 to 255 in length");
            return -1;
        }
        total += 1 + l;
    }
    unsigned char *w = malloc(total ? total : 1);
    if (!w) {
        fail_errno(ENOMEM);
        return -1;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(protocols[i]);
        w[o++] = (unsigned char)l;
        memcpy(w + o, protocols[i], l);
        o += l;
    }
    /* The client offers the list; the server picks from it (alpn_select). */
    if (c->protocol == TAPIR_PROTOCOL_TLS_CLIENT && SSL_CTX_set_alpn_protos(c->ctx, w, (unsigned)total) != 0) {
        free(w);
        fail(TLS_EK_SSL, TAPIR_SSL_ERROR_SSL, "failed to set ALPN protocols");
        return -1;
    }
    free(c->alpn);
    c->alpn = w;
    c->alpn_len = total;
    return 0;
}

int tapir_ssl_context_set_ciphers(tapir_ssl_context *c, const char *ciphers)
{
    ERR_clear_error();
    if (!SSL_CTX_set_cipher_list(c->ctx, ciphers)) {
        ERR_clear_error();
        fail(TLS_EK_SSL, TAPIR_SSL_ERROR_SSL, "No cipher can be selected.");
        return -1;
    }
    return 0;
}

/* ---- Connections ---- */

static bool is_ip_literal(const char *h)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, h, buf) == 1 || inet_pton(AF_INET6, h, buf) == 1;
}

tapir_ssl_socket *tls_new(tapir_ssl_context *c, const struct tapir_tls_transport *t, int fd,
                          const char *server_hostname, int flags)
{
    pthread_once(&tbio_once, tbio_init_method);
    if (!tbio_method) {
        fail_errno(ENOMEM);
        return NULL;
    }
    bool server = flags & TAPIR_SSL_SERVER_SIDE;
    if (server && c->protocol != TAPIR_PROTOCOL_TLS_SERVER) {
        fail(TLS_EK_VALUE, 0, "Cannot create a server socket with a PROTOCOL_TLS_CLIENT context");
        return NULL;
    }
    if (!server && c->protocol != TAPIR_PROTOCOL_TLS_CLIENT) {
        fail(TLS_EK_VALUE, 0, "Cannot create a client socket with a PROTOCOL_TLS_SERVER context");
        return NULL;
    }
    if (server && server_hostname) {
        fail(TLS_EK_VALUE, 0, "server_hostname can only be specified in client mode");
        return NULL;
    }
    if (!server && c->check_hostname && (!server_hostname || !*server_hostname)) {
        fail(TLS_EK_VALUE, 0, "check_hostname requires server_hostname");
        return NULL;
    }
    if (!t || !t->send || !t->recv || !t->wait) {
        fail(TLS_EK_VALUE, 0, "transport without send, recv or wait");
        return NULL;
    }
    double timeout = t->gettimeout ? t->gettimeout(t->ctx) : -1.0;
    if (timeout == 0.0 && !(flags & TAPIR_SSL_NO_HANDSHAKE_ON_CONNECT)) {
        fail(TLS_EK_VALUE, 0, "do_handshake_on_connect should not be specified for non-blocking sockets");
        return NULL;
    }
    /* A client with no CA given trusts the system store ("by default"). */
    if (!server && c->verify_mode != TAPIR_CERT_NONE && !c->ca_loaded) {
        if (tapir_ssl_context_load_default_certs(c) < 0)
            return NULL;
    }

    tapir_ssl_socket *s = calloc(1, sizeof *s);
    if (!s) {
        fail_errno(ENOMEM);
        return NULL;
    }
    s->t = *t;
    s->fd = fd;
    s->flags = flags;
    s->server_side = server;
    s->verified = c->verify_mode != TAPIR_CERT_NONE;
    pthread_mutex_init(&s->lock, NULL);
    ERR_clear_error();
    s->ssl = SSL_new(c->ctx);
    BIO *b = BIO_new(tbio_method);
    if (!s->ssl || !b) {
        BIO_free(b);
        fail_ssl(NULL, TAPIR_SSL_ERROR_SSL, "failed to allocate SSL object");
        goto fail;
    }
    BIO_set_data(b, s);
    SSL_set_bio(s->ssl, b, b); /* the SSL owns the BIO now */

    if (server_hostname) {
        s->hostname = strdup(server_hostname);
        if (!s->hostname) {
            fail_errno(ENOMEM);
            goto fail;
        }
        bool ip = is_ip_literal(server_hostname);
        /* SNI carries names only (RFC 6066 3: "Literal IPv4 and IPv6
         * addresses are not permitted"). */
        if (!ip && !SSL_set_tlsext_host_name(s->ssl, server_hostname)) {
            fail_ssl(NULL, TAPIR_SSL_ERROR_SSL, "invalid server_hostname");
            goto fail;
        }
        if (c->check_hostname) {
            X509_VERIFY_PARAM *p = SSL_get0_param(s->ssl);
            /* Python's default: no partial wildcards ("f*.example.com"). */
            X509_VERIFY_PARAM_set_hostflags(p, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
            int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(p, server_hostname)
                        : X509_VERIFY_PARAM_set1_host(p, server_hostname, 0);
            if (!ok) {
                fail(TLS_EK_VALUE, 0, "invalid server_hostname '%s'", server_hostname);
                goto fail;
            }
        }
    }
    if (server)
        SSL_set_accept_state(s->ssl);
    else
        SSL_set_connect_state(s->ssl);

    if (!(flags & TAPIR_SSL_NO_HANDSHAKE_ON_CONNECT) && run(s, OP_HANDSHAKE, NULL, 0, NULL, -1) < 0)
        goto fail;
    return s;

fail:
    s->unwrapped = true; /* the transport stays the caller's */
    tapir_ssl_close(s);
    return NULL;
}

tapir_ssl_socket *tapir_ssl_wrap_transport(tapir_ssl_context *c, const struct tapir_tls_transport *t,
                                           const char *server_hostname, int flags)
{
    return tls_new(c, t, -1, server_hostname, flags);
}

int tapir_ssl_do_handshake(tapir_ssl_socket *s)
{
    return run(s, OP_HANDSHAKE, NULL, 0, NULL, -1) < 0 ? -1 : 0;
}

ssize_t tapir_ssl_recv(tapir_ssl_socket *s, void *buf, size_t len)
{
    if (len == 0)
        return 0;
    size_t n = 0;
    int r = run(s, OP_READ, buf, len, &n, -1);
    return r < 0 ? -1 : r == 0 ? 0 : (ssize_t)n;
}

ssize_t tapir_ssl_send(tapir_ssl_socket *s, const void *buf, size_t len)
{
    if (len == 0)
        return 0;
    size_t n = 0;
    if (run(s, OP_WRITE, (void *)buf, len, &n, -1) < 0)
        return -1;
    return (ssize_t)n;
}

int tapir_ssl_sendall(tapir_ssl_socket *s, const void *buf, size_t len)
{
    double timeout = s->t.gettimeout ? s->t.gettimeout(s->t.ctx) : -1.0;
    double deadline = timeout > 0 ? now_s() + timeout : -1.0;
    const char *p = buf;
    while (len > 0) {
        size_t n = 0;
        if (run(s, OP_WRITE, (void *)p, len, &n, deadline) < 0)
            return -1;
        p += n;
        len -= n;
    }
    return 0;
}

size_t tapir_ssl_pending(tapir_ssl_socket *s)
{
    pthread_mutex_lock(&s->lock);
    int n = SSL_pending(s->ssl);
    pthread_mutex_unlock(&s->lock);
    return n > 0 ? (size_t)n : 0;
}

bool tapir_ssl_readable(tapir_ssl_socket *s)
{
    if (tapir_ssl_pending(s) > 0)
        return true;
    return s->t.wait(s->t.ctx, TAPIR_TLS_WAIT_READ, 0.0) > 0;
}

const char *tapir_ssl_version(tapir_ssl_socket *s)
{
    if (!SSL_is_init_finished(s->ssl))
        return NULL;
    return SSL_get_version(s->ssl);
}

int tapir_ssl_cipher(tapir_ssl_socket *s, const char **name, const char **version, int *bits)
{
    const SSL_CIPHER *c = SSL_is_init_finished(s->ssl) ? SSL_get_current_cipher(s->ssl) : NULL;
    if (!c)
        return -1;
    if (name)
        *name = SSL_CIPHER_get_name(c);
    if (version)
        *version = SSL_CIPHER_get_version(c);
    if (bits)
        *bits = SSL_CIPHER_get_bits(c, NULL);
    return 0;
}

const char *tapir_ssl_selected_alpn_protocol(tapir_ssl_socket *s)
{
    const unsigned char *p = NULL;
    unsigned int len = 0;
    SSL_get0_alpn_selected(s->ssl, &p, &len);
    if (!p || !len)
        return NULL;
    memcpy(s->alpn, p, len); /* len <= 255: one length byte on the wire */
    s->alpn[len] = '\0';
    return s->alpn;
}

const char *tapir_ssl_server_hostname(tapir_ssl_socket *s)
{
    return s->hostname;
}

bool tapir_ssl_server_side(tapir_ssl_socket *s)
{
    return s->server_side;
}

long tapir_ssl_verify_result(tapir_ssl_socket *s)
{
    return SSL_get_verify_result(s->ssl);
}

/* ---- Peer certificate ---- */

static void asn1_time_text(const ASN1_TIME *t, char *out, size_t cap)
{
    out[0] = '\0';
    BIO *m = BIO_new(BIO_s_mem());
    if (!m)
        return;
    if (ASN1_TIME_print(m, t) > 0) {
        int n = BIO_read(m, out, (int)cap - 1);
        out[n > 0 ? n : 0] = '\0';
    }
    BIO_free(m);
}

static void ip_text(const ASN1_OCTET_STRING *ip, char *out, size_t cap)
{
    const unsigned char *p = ASN1_STRING_get0_data(ip);
    int len = ASN1_STRING_length(ip);
    if (len == 4)
        snprintf(out, cap, "%d.%d.%d.%d", p[0], p[1], p[2], p[3]);
    else if (len == 16) /* Python's form: eight upper-case groups, no :: */
        snprintf(out, cap, "%X:%X:%X:%X:%X:%X:%X:%X", p[0] << 8 | p[1], p[2] << 8 | p[3], p[4] << 8 | p[5],
                 p[6] << 8 | p[7], p[8] << 8 | p[9], p[10] << 8 | p[11], p[12] << 8 | p[13], p[14] << 8 | p[15]);
    else
        snprintf(out, cap, "<invalid>");
}

static void fill_cert(X509 *x, struct tapir_peercert *o)
{
    memset(o, 0, sizeof *o);
    X509_NAME_oneline(X509_get_subject_name(x), o->subject, sizeof o->subject);
    X509_NAME_oneline(X509_get_issuer_name(x), o->issuer, sizeof o->issuer);
    X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, o->common_name, sizeof o->common_name);
    o->version = (int)X509_get_version(x) + 1;
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    char *hex = bn ? BN_bn2hex(bn) : NULL;
    if (hex)
        snprintf(o->serial_number, sizeof o->serial_number, "%s", hex);
    OPENSSL_free(hex);
    BN_free(bn);
    asn1_time_text(X509_get0_notBefore(x), o->not_before, sizeof o->not_before);
    asn1_time_text(X509_get0_notAfter(x), o->not_after, sizeof o->not_after);
    GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names) && o->n_san < TAPIR_PEERCERT_MAX_SAN; i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
        struct tapir_peercert_san *e = &o->san[o->n_san];
        const ASN1_IA5STRING *str = NULL;
        switch (g->type) {
        case GEN_DNS: snprintf(e->type, sizeof e->type, "DNS"); str = g->d.dNSName; break;
        case GEN_EMAIL: snprintf(e->type, sizeof e->type, "email"); str = g->d.rfc822Name; break;
        case GEN_URI: snprintf(e->type, sizeof e->type, "URI"); str = g->d.uniformResourceIdentifier; break;
        case GEN_IPADD:
            snprintf(e->type, sizeof e->type, "IP Address");
            ip_text(g->d.iPAddress, e->value, sizeof e->value);
            o->n_san++;
            continue;
        default: continue;
        }
        snprintf(e->value, sizeof e->value, "%.*s", ASN1_STRING_length(str),
                 (const char *)ASN1_STRING_get0_data(str));
        o->n_san++;
    }
    GENERAL_NAMES_free(names);
}

int tapir_ssl_getpeercert(tapir_ssl_socket *s, struct tapir_peercert *out)
{
    if (!SSL_is_init_finished(s->ssl)) {
        fail(TLS_EK_VALUE, 0, "handshake not done yet");
        return -1;
    }
    X509 *x = SSL_get0_peer_certificate(s->ssl);
    if (!x || !s->verified)
        return 1;
    fill_cert(x, out);
    return 0;
}

unsigned char *tapir_ssl_getpeercert_der(tapir_ssl_socket *s, size_t *len)
{
    X509 *x = SSL_get0_peer_certificate(s->ssl);
    if (!x)
        return NULL;
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    if (n <= 0)
        return NULL;
    unsigned char *copy = malloc((size_t)n);
    if (copy)
        memcpy(copy, der, (size_t)n);
    OPENSSL_free(der);
    if (len)
        *len = copy ? (size_t)n : 0;
    return copy;
}

/* ---- Shutdown and close ---- */

static void release(tapir_ssl_socket *s)
{
    if (s->release)
        s->release(s->release_ctx);
    s->release = NULL;
}

int tapir_ssl_unwrap(tapir_ssl_socket *s)
{
    if (s->unwrapped) {
        fail(TLS_EK_VALUE, 0, "No SSL wrapper around socket");
        return -1;
    }
    if (run(s, OP_SHUTDOWN, NULL, 0, NULL, -1) < 0)
        return -1;
    s->unwrapped = true;
    atomic_store(&s->pend, 0);
    release(s);
    return s->fd >= 0 ? s->fd : 0;
}

int tapir_ssl_fileno(tapir_ssl_socket *s)
{
    return s->fd;
}

void tapir_ssl_close(tapir_ssl_socket *s)
{
    if (!s)
        return;
    release(s);
    SSL_free(s->ssl); /* frees our BIO too */
    if (!s->unwrapped && s->t.close)
        s->t.close(s->t.ctx);
    pthread_mutex_destroy(&s->lock);
    free(s->hostname);
    free(s->owned);
    free(s);
}

void tls_own_ctx(tapir_ssl_socket *s, void *p)
{
    s->owned = p;
}

void tls_set_release(tapir_ssl_socket *s, void (*fn)(void *ctx), void *ctx)
{
    s->release = fn;
    s->release_ctx = ctx;
}

bool tls_has_pending(tapir_ssl_socket *s)
{
    return atomic_load(&s->pend) > 0;
}

/* ---- The legacy call ---- */

tapir_ssl_socket *tapir_ssl_transport(const struct tapir_tls_transport *t, const char *keyfile,
                                      const char *certfile)
{
    return tls_legacy_new(t, -1, keyfile, certfile);
}

tapir_ssl_socket *tls_legacy_new(const struct tapir_tls_transport *t, int fd, const char *keyfile,
                                 const char *certfile)
{
    if ((keyfile == NULL) != (certfile == NULL)) {
        fail(TLS_EK_VALUE, 0, "both keyfile and certfile must be specified");
        return NULL;
    }
    tapir_ssl_context *c = tapir_ssl_context_new(TAPIR_PROTOCOL_TLS_CLIENT);
    if (!c)
        return NULL;
    /* No verification, no host name: what the legacy call does (api/tls.h). */
    tapir_ssl_context_set_check_hostname(c, false);
    tapir_ssl_context_set_verify_mode(c, TAPIR_CERT_NONE);
    if (certfile && tapir_ssl_context_load_cert_chain(c, certfile, keyfile) < 0) {
        tapir_ssl_context_free(c);
        return NULL;
    }
    tapir_ssl_socket *s = tls_new(c, t, fd, NULL, TAPIR_SSL_SUPPRESS_RAGGED_EOFS);
    tapir_ssl_context_free(c);
    if (!s)
        return NULL;
    s->legacy = true;
    return s;
}

ssize_t tapir_ssl_write(tapir_ssl_socket *s, const void *buf, size_t len)
{
    return tapir_ssl_sendall(s, buf, len) < 0 ? -1 : (ssize_t)len;
}

ssize_t tapir_ssl_read(tapir_ssl_socket *s, void *buf, size_t n)
{
    return tapir_ssl_recv(s, buf, n);
}

char *tapir_ssl_read_all(tapir_ssl_socket *s, size_t *len)
{
    size_t cap = 16384, used = 0;
    char *buf = malloc(cap + 1);
    if (!buf) {
        fail_errno(ENOMEM);
        return NULL;
    }
    for (;;) {
        if (cap - used < 16384) {
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb) {
                free(buf);
                fail_errno(ENOMEM);
                return NULL;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t n = tapir_ssl_recv(s, buf + used, cap - used);
        if (n < 0) {
            free(buf);
            return NULL;
        }
        if (n == 0)
            break;
        used += (size_t)n;
    }
    buf[used] = '\0';
    if (len)
        *len = used;
    return buf;
}

/* Any connection may ask (not only legacy ones): the names of whatever
 * certificate the peer sent, verified or not. */
static void fill_names(tapir_ssl_socket *s)
{
    pthread_mutex_lock(&s->lock);
    X509 *x = SSL_get0_peer_certificate(s->ssl);
    if (x && !s->subject[0]) {
        X509_NAME_oneline(X509_get_subject_name(x), s->subject, sizeof s->subject);
        X509_NAME_oneline(X509_get_issuer_name(x), s->issuer, sizeof s->issuer);
    }
    pthread_mutex_unlock(&s->lock);
}

const char *tapir_ssl_server(tapir_ssl_socket *s)
{
    fill_names(s);
    return s->subject;
}

const char *tapir_ssl_issuer(tapir_ssl_socket *s)
{
    fill_names(s);
    return s->issuer;
}
