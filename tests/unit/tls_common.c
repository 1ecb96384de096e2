/* Helpers of the TLS unit tests (tls_common.h). */
#include "tests/unit/tls_common.h"

#include <dirent.h>
#include <unistd.h>

#include "tests/lib/tlscert.h"

char tls_dir[64];

void tls_setup(void)
{
    snprintf(tls_dir, sizeof tls_dir, "/tmp/tapir-tls-XXXXXX");
    cr_assert_not_null(mkdtemp(tls_dir), "mkdtemp");
    cr_assert(tlscert_make_dir(tls_dir), "making the test certificates");
}

void tls_teardown(void)
{
    DIR *d = opendir(tls_dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char p[512];
        snprintf(p, sizeof p, "%s/%s", tls_dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(tls_dir);
}

const char *tls_path(const char *name)
{
    static _Thread_local char bufs[8][256];
    static _Thread_local int next;
    char *b = bufs[next++ % 8];
    snprintf(b, 256, "%s/%s", tls_dir, name);
    return b;
}

struct tls_err tls_err_now(void)
{
    struct tls_err e;
    const tapir_error *t = tapir_last_error();
    e.kind = (int)t->kind;
    e.code = t->code;
    snprintf(e.msg, sizeof e.msg, "%s", t->message);
    snprintf(e.cls, sizeof e.cls, "%s", tapir_error_class(t));
    return e;
}

static void echo_once(struct tls_server *srv, tapir_ssl_socket *s)
{
    (void)srv;
    char buf[4096];
    ssize_t n = tapir_ssl_recv(s, buf, sizeof buf);
    if (n > 0) {
        char out[4200];
        int m = snprintf(out, sizeof out, "echo:%.*s", (int)n, buf);
        tapir_ssl_sendall(s, out, (size_t)m);
    }
    /* Wait for the client's close_notify, then answer it. */
    while ((n = tapir_ssl_recv(s, buf, sizeof buf)) > 0)
        ;
    if (n == 0)
        tapir_ssl_unwrap(s);
}

/* No cr_assert in this thread (Criterion's asserts belong to the test's
 * thread): failures are recorded in srv->err for the test to check. */
static void *server_main(void *arg)
{
    struct tls_server *srv = arg;
    tapir_ssl_socket *s = NULL;
    tapir_ssl_context *ctx = tapir_ssl_context_new(TAPIR_PROTOCOL_TLS_SERVER);
    if (!ctx ||
        tapir_ssl_context_load_cert_chain(ctx, tls_path(srv->cert ? srv->cert : "server.pem"),
                                          tls_path(srv->key ? srv->key : "server.key")) < 0 ||
        (srv->alpn && tapir_ssl_context_set_alpn_protocols(ctx, srv->alpn, srv->n_alpn) < 0) ||
        (srv->verify_mode != TAPIR_CERT_NONE &&
         (tapir_ssl_context_load_verify_locations(ctx, tls_path("ca.pem"), NULL) < 0 ||
          tapir_ssl_context_set_verify_mode(ctx, srv->verify_mode) < 0))) {
        srv->err = tls_err_now();
        tapir_ssl_context_free(ctx);
        tls_pipe_close(srv->pipe, 1);
        return NULL;
    }
    struct tapir_tls_transport t = tls_pipe_end(srv->pipe, 1);
    s = tapir_ssl_wrap_transport(ctx, &t, NULL, TAPIR_SSL_SERVER_SIDE | srv->flags);
    tapir_ssl_context_free(ctx); /* the connection keeps what it needs */
    if (!s) {
        srv->err = tls_err_now();
        tls_pipe_close(srv->pipe, 1);
        return NULL;
    }
    srv->handshake_ok = true;
    const char *a = tapir_ssl_selected_alpn_protocol(s);
    snprintf(srv->alpn_selected, sizeof srv->alpn_selected, "%s", a ? a : "");
    snprintf(srv->peer_subject, sizeof srv->peer_subject, "%s", tapir_ssl_server(s));
    if (srv->body)
        srv->body(srv, s);
    else
        echo_once(srv, s);
    tapir_ssl_close(s);
    return NULL;
}

void tls_server_start(struct tls_server *srv)
{
    cr_assert_eq(pthread_create(&srv->th, NULL, server_main, srv), 0);
}

void tls_server_join(struct tls_server *srv)
{
    pthread_join(srv->th, NULL);
}

tapir_ssl_context *tls_client_ctx(const char *cafile)
{
    tapir_ssl_context *c = tapir_ssl_context_new(TAPIR_PROTOCOL_TLS_CLIENT);
    cr_assert_not_null(c);
    cr_assert_eq(tapir_ssl_context_load_verify_locations(c, cafile ? cafile : tls_path("ca.pem"), NULL), 0,
                 "load_verify_locations: %s", tls_err_now().msg);
    return c;
}
