/* The TLS engine over the in-process memory pipe: handshakes, data, the
 * peer certificate, verification failures and their messages, the legacy
 * call, ALPN and versions, unwrap, timeouts, unexpected EOF. */
#include <errno.h>
#include <time.h>

#include "tests/unit/tls_common.h"

TestSuite(tls_engine, .init = tls_setup, .fini = tls_teardown, .timeout = 60);

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Client over end 0 with a context; returns the connection or NULL. */
static tapir_ssl_socket *client(struct tls_pipe *p, tapir_ssl_context *c, const char *host, int flags)
{
    struct tapir_tls_transport t = tls_pipe_end(p, 0);
    return tapir_ssl_wrap_transport(c, &t, host, flags);
}

Test(tls_engine, handshake_data_and_peer_certificate)
{
    struct tls_pipe *p = tls_pipe_new(65536);
    struct tls_server srv = {.pipe = p};
    tls_server_start(&srv);
    tapir_ssl_context *c = tls_client_ctx(NULL);
    tapir_ssl_socket *s = client(p, c, "tapir.test", 0);
    cr_assert_not_null(s, "handshake: %s", tls_err_now().msg);

    cr_assert_str_eq(tapir_ssl_version(s), "TLSv1.3");
    const char *name, *ver;
    int bits;
    cr_assert_eq(tapir_ssl_cipher(s, &name, &ver, &bits), 0);
    cr_assert_str_eq(ver, "TLSv1.3");
    cr_assert(bits >= 128, "%s has %d bits", name, bits);
    cr_assert_str_eq(tapir_ssl_server(s), TLSCERT_SERVER_SUBJECT);
    cr_assert_str_eq(tapir_ssl_issuer(s), TLSCERT_CA_SUBJECT);
    cr_assert_str_eq(tapir_ssl_server_hostname(s), "tapir.test");
    cr_assert_eq(tapir_ssl_verify_result(s), 0);

    struct tapir_peercert pc;
    cr_assert_eq(tapir_ssl_getpeercert(s, &pc), 0);
    cr_assert_str_eq(pc.subject, TLSCERT_SERVER_SUBJECT);
    cr_assert_str_eq(pc.issuer, TLSCERT_CA_SUBJECT);
    cr_assert_str_eq(pc.common_name, "tapir.test");
    cr_assert_eq(pc.version, 3);
    cr_assert_str_eq(pc.serial_number, "1001");
    cr_assert(strstr(pc.not_after, " GMT"), "%s", pc.not_after);
    cr_assert_eq(pc.n_san, 4);
    cr_assert_str_eq(pc.san[0].type, "DNS");
    cr_assert_str_eq(pc.san[0].value, "tapir.test");
    cr_assert_str_eq(pc.san[2].type, "IP Address");
    cr_assert_str_eq(pc.san[2].value, "198.18.0.2");
    size_t der_len = 0;
    unsigned char *der = tapir_ssl_getpeercert_der(s, &der_len);
    cr_assert(der && der_len > 100 && der[0] == 0x30);
    free(der);

    cr_assert_eq(tapir_ssl_sendall(s, "hello", 5), 0);
    char buf[64] = {0};
    ssize_t n = tapir_ssl_recv(s, buf, sizeof buf - 1);
    cr_assert_eq(n, 10, "recv: %zd %s", n, tls_err_now().msg);
    cr_assert_str_eq(buf, "echo:hello");
    /* Orderly close: our close_notify, then the server's answer. */
    cr_assert_eq(tapir_ssl_unwrap(s), 0, "unwrap: %s", tls_err_now().msg);
    tls_server_join(&srv);
    cr_assert(srv.handshake_ok, "server: %s", srv.err.msg);
    tapir_ssl_close(s);
    tapir_ssl_context_free(c);
    tls_pipe_free(p);
}

Test(tls_engine, tls12_maximum_and_cipher)
{
    struct tls_pipe *p = tls_pipe_new(65536);
    struct tls_server srv = {.pipe = p};
    tls_server_start(&srv);
    tapir_ssl_context *c = tls_client_ctx(NULL);
    cr_assert_eq(tapir_ssl_context_set_maximum_version(c, TAPIR_TLSv1_2), 0);
    tapir_ssl_socket *s = client(p, c, "tapir.test", 0);
    cr_assert_not_null(s, "handshake: %s", tls_err_now().msg);
    cr_assert_str_eq(tapir_ssl_version(s), "TLSv1.2");
    const char *name, *ver;
    cr_assert_eq(tapir_ssl_cipher(s, &name, &ver, NULL), 0);
    cr_assert_str_eq(ver, "TLSv1.2");
    cr_assert(strstr(name, "ECDHE"), "%s", name);
    cr_assert_eq(tapir_ssl_sendall(s, "x", 1), 0);
    char buf[16];
    cr_assert_eq(tapir_ssl_recv(s, buf, sizeof buf), 6);
    cr_assert_eq(tapir_ssl_unwrap(s), 0, "unwrap: %s", tls_err_now().msg);
    tls_server_join(&srv);
    tapir_ssl_close(s);
    tapir_ssl_context_free(c);
    tls_pipe_free(p);
}

Test(tls_engine, minimum_version_refused)
{
    /* A server that speaks at most TLS 1.2, a client that wants 1.3 at
     * least; both in this thread, non-blocking, pumped in turn. */
    struct tls_pipe *p = tls_pipe_new(65536);
    tapir_ssl_context *sc = tapir_ssl_context_new(TAPIR_PROTOCOL_TLS_SERVER);
    cr_assert_eq(tapir_ssl_context_load_cert_chain(sc, tls_path("server.pem"), tls_path("server.key")), 0);
    cr_assert_eq(tapir_ssl_context_set_maximum_version(sc, TAPIR_TLSv1_2), 0);
    tapir_ssl_context *c = tls_client_ctx(NULL);
    cr_assert_eq(tapir_ssl_context_set_minimum_version(c, TAPIR_TLSv1_3), 0);
    /* Non-blocking, pumped in turn by this thread. */
    tls_pipe_settimeout(p, 0, 0.0);
    tls_pipe_settimeout(p, 1, 0.0);
    tapir_ssl_socket *cs = client(p, c, "tapir.test", TAPIR_SSL_NO_HANDSHAKE_ON_CONNECT);
    struct tapir_tls_transport st = tls_pipe_end(p, 1);
    tapir_ssl_socket *ss = tapir_ssl_wrap_transport(sc, &st, NULL,
                                                    TAPIR_SSL_SERVER_SIDE | TAPIR_SSL_NO_HANDSHAKE_ON_CONNECT);
    cr_assert(cs && ss);
    struct tls_err ce = {0}, se = {0};
    bool cdone = false, sdone = false;
    for (int i = 0; i < 20 && !(cdone && sdone); i++) {
        if (!cdone && tapir_ssl_do_handshake(cs) < 0) {
            ce = tls_err_now();
            cdone = ce.kind != TAPIR_ERR_SSL_WANT_READ && ce.kind != TAPIR_ERR_SSL_WANT_WRITE;
        }
        if (!sdone && tapir_ssl_do_handshake(ss) < 0) {
            se = tls_err_now();
            sdone = se.kind != TAPIR_ERR_SSL_WANT_READ && se.kind != TAPIR_ERR_SSL_WANT_WRITE;
        }
    }
    cr_assert_eq(se.kind, TAPIR_ERR_SSL, "server: %s", se.msg);
    cr_assert_str_eq(se.msg, "[SSL: UNSUPPORTED_PROTOCOL] unsupported protocol");
    cr_assert_eq(ce.kind, TAPIR_ERR_SSL, "client: %s", ce.msg);
    cr_assert_str_eq(ce.msg, "[SSL: TLSV1_ALERT_PROTOCOL_VERSION] tlsv1 alert protocol version");
    cr_assert_eq(ce.code, TAPIR_SSL_ERROR_SSL);
    cr_assert_str_eq(ce.cls, "ssl.SSLError");
    tapir_ssl_close(cs);
    tapir_ssl_close(ss);
    tapir_ssl_context_free(c);
    tapir_ssl_context_free(sc);
    tls_pipe_free(p);
}

Test(tls_engine, alpn)
{
    static const char *const offer[] = {"h2", "http/1.1"};
    static const char *const accept[] = {"http/1.1"};
    struct tls_pipe *p = tls_pipe_new(65536);
    struct tls_server srv = {.pipe = p, .alpn = accept, .n_alpn = 1};
    tls_server_start(&srv);
    tapir_ssl_context *c = tls_client_ctx(NULL);
    cr_assert_eq(tapir_ssl_context_set_alpn_protocols(c, offer, 2), 0);
    tapir_ssl_socket *s = client(p, c, "tapir.test", 0);
    cr_assert_not_null(s, "handshake: %s", tls_err_now().msg);
    cr_assert_str_eq(tapir_ssl_selected_alpn_protocol(s), "http/1.1");
    cr_assert_eq(tapir_ssl_unwrap(s), 0);
    tls_server_join(&srv);
    cr_assert_str_eq(srv.alpn_selected, "http/1.1");
    tapir_ssl_close(s);
    tapir_ssl_context_free(c);
    tls_pipe_free(p);
}

/* One verification failure: the client's error, and the server's side. */
static void expect_verify_failure(const char *cert, const char *key, const char *host, const char *cafile,
                                  const char *want)
{
    struct tls_pipe *p = tls_pipe_new(65536);
    struct tls_server srv = {.pipe = p, .cert = cert, .key = key};
    tls_server_start(&srv);
    tapir_ssl_context *c = cafile && !*cafile ? tapir_ssl_context_new(TAPIR_PROTOCOL_TLS_CLIENT)
                                              : tls_client_ctx(cafile);
    tapir_ssl_socket *s = client(p, c, host, 0);
    struct tls_err e = tls_err_now();
    cr_assert_null(s, "the handshake should have failed");
    cr_assert_eq(e.kind, TAPIR_ERR_SSL, "kind %d: %s", e.kind, e.msg);
    cr_assert_eq(e.code, TAPIR_SSL_ERROR_SSL);
    cr_assert_str_eq(e.msg, want);
    cr_assert_str_eq(e.cls, "ssl.SSLCertVerificationError");
    /* Closing our end is the caller's job after a failed wrap. */
    tls_pipe_close(p, 0);
    tls_server_join(&srv);
    cr_assert_not(srv.handshake_ok, "the server saw the client's alert");
    cr_assert_eq(srv.err.kind, TAPIR_ERR_SSL, "server: %s", srv.err.msg);
    tapir_ssl_context_free(c);
    tls_pipe_free(p);
}

Test(tls_engine, verify_wrong_hostname)
{
    expect_verify_failure(NULL, NULL, "wrong.test", NULL,
                          "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, "
                          "certificate is not valid for 'wrong.test'.");
}

Test(tls_engine, verify_wrong_ip_address)
{
    expect_verify_failure(NULL, NULL, "198.18.0.3", NULL,
                          "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: IP address mismatch, "
                          "certificate is not valid for '198.18.0.3'.");
}

Test(tls_engine, verify_expired)
{
    expect_verify_failure("expired.pem", "expired.key", "tapir.test", NULL,
                          "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has expired");
}

Test(tls_engine, verify_unknown_ca)
{
    expect_verify_failure("unknown.pem", "unknown.key", "tapir.test", NULL,
                          "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local "
                          "issuer certificate");
}

Test(tls_engine, verify_system_store_does_not_know_test_ca)
{
    /* No CA given: the system store, which has never heard of our CA. */
    expect_verify_failure(NULL, NULL, "tapir.test", "",
                          "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local "
                          "issuer certificate");
}

Test(tls_engine, ip_address_host_verifies)
{
    struct tls_pipe *p = tls_pipe_new(65536);
    struct tls_server srv = {.pipe = p};
    tls_server_start(&srv);
    tapir_ssl_context *c = tls_client_ctx(NULL);
    tapir_ssl_socket *s = client(p, c, "198.18.0.2", 0);
    cr_assert_not_null(s, "handshake: %s", tls_err_now().msg);
    cr_assert_eq(tapir_ssl_unwrap(s), 0);
    tls_server_join(&srv);
    tapir_ssl_close(s);
    tapir_ssl_context_free(c);
    tls_pipe_free(p);
}

/* The legacy call accepts every one of the bad certificates (it does not
 * verify, as documented) and names the peer. */
static void legacy_accepts(const char *cert, const char *key, const char *issuer)
{
    struct tls_pipe *p = tls_pipe_new(65536);
    struct tls_server srv = {.pipe = p, .cert = cert, .key = key};
    tls_server_start(&srv);
    struct tapir_tls_transport t = tls_pipe_end(p, 0);
    tapir_ssl_socket *s = tapir_ssl_transport(&t, NULL, NULL);
    cr_assert_not_null(s, "legacy handshake: %s", tls_err_now().msg);
    cr_assert_str_eq(tapir_ssl_server(s), TLSCERT_SERVER_SUBJECT);
    cr_assert_str_eq(tapir_ssl_issuer(s), issuer);
    cr_assert_eq(tapir_ssl_write(s, "legacy", 6), 6);
    char buf[64] = {0};
    cr_assert_eq(tapir_ssl_read(s, buf, sizeof buf - 1), 11);
    cr_assert_str_eq(buf, "echo:legacy");
    /* getpeercert has no text for an unverified certificate (Python: {}). */
    struct tapir_peercert pc;
    cr_assert_eq(tapir_ssl_getpeercert(s, &pc), 1);
    cr_assert_eq(tapir_ssl_unwrap(s), 0);
    tls_server_join(&srv);
    tapir_ssl_close(s);
    tls_pipe_free(p);
}

Test(tls_engine, legacy_accepts_good_certificate)
{
    legacy_accepts(NULL, NULL, TLSCERT_CA_SUBJECT);
}

Test(tls_engine, legacy_accepts_expired_certificate)
{
    legacy_accepts("expired.pem", "expired.key", TLSCERT_CA_SUBJECT);
}

Test(tls_engine, legacy_accepts_unknown_ca)
{
    legacy_accepts("unknown.pem", "unknown.key", TLSCERT_OTHER_CA_SUBJECT);
}

static void send_big_then_drop(struct tls_server *srv, tapir_ssl_socket *s)
{
    (void)srv;
    static char block[100000];
    for (size_t i = 0; i < sizeof block; i++)
        block[i] = (char)('a' + i % 26);
    tapir_ssl_sendall(s, block, sizeof block);
    /* then close without close_notify (tapir_ssl_close) */
}

Test(tls_engine, legacy_read_until_eof)
{
    struct tls_pipe *p = tls_pipe_new(65536);
    struct tls_server srv = {.pipe = p, .body = send_big_then_drop};
    tls_server_start(&srv);
    struct tapir_tls_transport t = tls_pipe_end(p, 0);
    tapir_ssl_socket *s = tapir_ssl_transport(&t, NULL, NULL);
    cr_assert_not_null(s, "%s", tls_err_now().msg);
    size_t len = 0;
    char *all = tapir_ssl_read_all(s, &len);
    cr_assert_not_null(all, "read(): %s", tls_err_now().msg);
    cr_assert_eq(len, 100000);
    for (size_t i = 0; i < len; i++)
        if (all[i] != (char)('a' + i % 26))
            cr_assert_fail("byte %zu differs", i);
    free(all);
    tls_server_join(&srv);
    tapir_ssl_close(s);
    tls_pipe_free(p);
}

Test(tls_engine, legacy_with_client_certificate)
{
    struct tls_pipe *p = tls_pipe_new(65536);
    struct tls_server srv = {.pipe = p, .verify_mode = TAPIR_CERT_REQUIRED};
    tls_server_start(&srv);
    struct tapir_tls_transport t = tls_pipe_end(p, 0);
    tapir_ssl_socket *s = tapir_ssl_transport(&t, tls_path("client.key"), tls_path("client.pem"));
    cr_assert_not_null(s, "%s", tls_err_now().msg);
    cr_assert_eq(tapir_ssl_write(s, "c", 1), 1);
    char buf[16];
    cr_assert_eq(tapir_ssl_read(s, buf, sizeof buf), 6, "%s", tls_err_now().msg);
    cr_assert_eq(tapir_ssl_unwrap(s), 0);
    tls_server_join(&srv);
    cr_assert(srv.handshake_ok, "%s", srv.err.msg);
    cr_assert_str_eq(srv.peer_subject, TLSCERT_CLIENT_SUBJECT);
    tapir_ssl_close(s);
    tls_pipe_free(p);
}

Test(tls_engine, server_requires_client_certificate)
{
    struct tls_pipe *p = tls_pipe_new(65536);
    struct tls_server srv = {.pipe = p, .verify_mode = TAPIR_CERT_REQUIRED};
    tls_server_start(&srv);
    tapir_ssl_context *c = tls_client_ctx(NULL);
    tapir_ssl_socket *s = client(p, c, "tapir.test", 0);
    /* TLS 1.3: the client finishes first; the refusal comes with the first read. */
    if (s) {
        char buf[16];
        cr_assert_eq(tapir_ssl_recv(s, buf, sizeof buf), -1);
        struct tls_err e = tls_err_now();
        cr_assert_eq(e.kind, TAPIR_ERR_SSL, "%s", e.msg);
        cr_assert_str_eq(e.msg, "[SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED] tlsv13 alert certificate required");
        tapir_ssl_close(s);
    } else {
        tls_pipe_close(p, 0);
    }
    tls_server_join(&srv);
    cr_assert_not(srv.handshake_ok);
    cr_assert_str_eq(srv.err.msg, "[SSL: PEER_DID_NOT_RETURN_A_CERTIFICATE] peer did not return a certificate");
    tapir_ssl_context_free(c);
    tls_pipe_free(p);
}

static void drop_after_handshake(struct tls_server *srv, tapir_ssl_socket *s)
{
    (void)srv;
    (void)s; /* tapir_ssl_close follows: no close_notify */
}

Test(tls_engine, unexpected_eof_is_an_error)
{
    struct tls_pipe *p = tls_pipe_new(65536);
    struct tls_server srv = {.pipe = p, .body = drop_after_handshake};
    tls_server_start(&srv);
    tapir_ssl_context *c = tls_client_ctx(NULL);
    tapir_ssl_socket *s = client(p, c, "tapir.test", 0);
    cr_assert_not_null(s, "%s", tls_err_now().msg);
    char buf[16];
    cr_assert_eq(tapir_ssl_recv(s, buf, sizeof buf), -1);
    struct tls_err e = tls_err_now();
    cr_assert_eq(e.kind, TAPIR_ERR_SSL);
    cr_assert_eq(e.code, TAPIR_SSL_ERROR_EOF);
    cr_assert_str_eq(e.msg, "[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol");
    cr_assert_str_eq(e.cls, "ssl.SSLEOFError");
    tls_server_join(&srv);
    tapir_ssl_close(s);
    tapir_ssl_context_free(c);
    tls_pipe_free(p);
}

Test(tls_engine, ragged_eof_suppressed_on_request)
{
    struct tls_pipe *p = tls_pipe_new(65536);
    struct tls_server srv = {.pipe = p, .body = drop_after_handshake};
    tls_server_start(&srv);
    tapir_ssl_context *c = tls_client_ctx(NULL);
    tapir_ssl_socket *s = client(p, c, "tapir.test", TAPIR_SSL_SUPPRESS_RAGGED_EOFS);
    cr_assert_not_null(s, "%s", tls_err_now().msg);
    char buf[16];
    cr_assert_eq(tapir_ssl_recv(s, buf, sizeof buf), 0, "%s", tls_err_now().msg);
    tls_server_join(&srv);
    tapir_ssl_close(s);
    tapir_ssl_context_free(c);
    tls_pipe_free(p);
}

static void unwrap_then_plain(struct tls_server *srv, tapir_ssl_socket *s)
{
    char buf[64];
    ssize_t n = tapir_ssl_recv(s, buf, sizeof buf); /* the client's close_notify: 0 */
    if (n != 0 || tapir_ssl_unwrap(s) != 0) {
        srv->err = tls_err_now();
        return;
    }
    /* Plain bytes on the same transport now. */
    struct tapir_tls_transport t = tls_pipe_end(srv->pipe, 1);
    t.send(t.ctx, "plain", 5);
}

Test(tls_engine, unwrap_returns_to_plain_transport)
{
    struct tls_pipe *p = tls_pipe_new(65536);
    struct tls_server srv = {.pipe = p, .body = unwrap_then_plain};
    tls_server_start(&srv);
    tapir_ssl_context *c = tls_client_ctx(NULL);
    tapir_ssl_socket *s = client(p, c, "tapir.test", 0);
    cr_assert_not_null(s, "%s", tls_err_now().msg);
    cr_assert_eq(tapir_ssl_unwrap(s), 0, "%s", tls_err_now().msg);
    cr_assert_eq(tapir_ssl_unwrap(s), -1, "a second unwrap fails");
    struct tapir_tls_transport t = tls_pipe_end(p, 0);
    char buf[16] = {0};
    cr_assert_eq(t.wait(t.ctx, TAPIR_TLS_WAIT_READ, 5.0), 1);
    cr_assert_eq(t.recv(t.ctx, buf, sizeof buf), 5);
    cr_assert_str_eq(buf, "plain");
    tls_server_join(&srv);
    cr_assert_eq(srv.err.msg[0], '\0', "%s", srv.err.msg);
    tapir_ssl_close(s); /* unwrapped: does not close the pipe end */
    tls_pipe_close(p, 0);
    tapir_ssl_context_free(c);
    tls_pipe_free(p);
}

static void stay_silent(struct tls_server *srv, tapir_ssl_socket *s)
{
    (void)srv;
    char buf[16];
    tapir_ssl_recv(s, buf, sizeof buf); /* until the client goes */
}

Test(tls_engine, read_timeout)
{
    struct tls_pipe *p = tls_pipe_new(65536);
    struct tls_server srv = {.pipe = p, .body = stay_silent};
    tls_server_start(&srv);
    tapir_ssl_context *c = tls_client_ctx(NULL);
    tapir_ssl_socket *s = client(p, c, "tapir.test", 0);
    cr_assert_not_null(s, "%s", tls_err_now().msg);
    tls_pipe_settimeout(p, 0, 0.2);
    char buf[16];
    double t0 = mono();
    cr_assert_eq(tapir_ssl_recv(s, buf, sizeof buf), -1);
    double took = mono() - t0;
    struct tls_err e = tls_err_now();
    cr_assert_eq(e.kind, TAPIR_ERR_TIMEOUT);
    cr_assert_str_eq(e.msg, "The read operation timed out");
    cr_assert_str_eq(e.cls, "TimeoutError");
    /* Never early; late only by scheduling (tests run in parallel). */
    cr_assert(took >= 0.19 && took < 0.4, "took %.3f s", took);
    tapir_ssl_close(s);
    tls_server_join(&srv);
    tapir_ssl_context_free(c);
    tls_pipe_free(p);
}

Test(tls_engine, caller_mistakes)
{
    tapir_ssl_context *c = tapir_ssl_context_new(TAPIR_PROTOCOL_TLS_CLIENT);
    cr_assert_eq(tapir_ssl_context_set_verify_mode(c, TAPIR_CERT_NONE), -1);
    struct tls_err e = tls_err_now();
    cr_assert_eq(e.kind, TAPIR_ERR_VALUE);
    cr_assert_str_eq(e.msg, "Cannot set verify_mode to CERT_NONE when check_hostname is enabled.");

    cr_assert_eq(tapir_ssl_context_load_cert_chain(c, "/nonexistent/cert.pem", NULL), -1);
    e = tls_err_now();
    cr_assert_eq(e.kind, TAPIR_ERR_ERROR);
    cr_assert_eq(e.code, ENOENT);
    cr_assert_str_eq(e.msg, "[Errno 2] No such file or directory");
    cr_assert_str_eq(e.cls, "FileNotFoundError");

    struct tls_pipe *p = tls_pipe_new(1024);
    struct tapir_tls_transport t = tls_pipe_end(p, 0);
    cr_assert_null(tapir_ssl_wrap_transport(c, &t, NULL, 0));
    cr_assert_str_eq(tls_err_now().msg, "check_hostname requires server_hostname");
    cr_assert_null(tapir_ssl_wrap_transport(c, &t, NULL, TAPIR_SSL_SERVER_SIDE));
    cr_assert_str_eq(tls_err_now().msg, "Cannot create a server socket with a PROTOCOL_TLS_CLIENT context");
    tls_pipe_settimeout(p, 0, 0.0);
    cr_assert_null(tapir_ssl_wrap_transport(c, &t, "tapir.test", 0));
    cr_assert_str_eq(tls_err_now().msg,
                     "do_handshake_on_connect should not be specified for non-blocking sockets");
    cr_assert_eq(tapir_ssl_context_set_check_hostname(c, false), 0);
    cr_assert_eq(tapir_ssl_context_set_verify_mode(c, TAPIR_CERT_NONE), 0);
    cr_assert_eq(tapir_ssl_context_set_check_hostname(c, true), 0);
    cr_assert_eq(tapir_ssl_context_get_verify_mode(c), TAPIR_CERT_REQUIRED);
    cr_assert_null(tapir_ssl_context_new(3));
    cr_assert_eq(tls_err_now().kind, TAPIR_ERR_VALUE);
    tapir_ssl_context_free(c);
    tls_pipe_free(p);
}
