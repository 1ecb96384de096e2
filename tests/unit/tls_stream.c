/* The TLS engine under load and in non-blocking mode, over the memory pipe:
 * 20 MB each way at once (two threads per connection) with SHA-256 equal,
 * want-read / want-write pumping, pending bytes counting as readable, and
 * 200 handshakes without a leak. */
#include <openssl/evp.h>

#include "tests/unit/tls_common.h"

#if defined(__SANITIZE_ADDRESS__)
#define TLS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TLS_ASAN 1
#endif
#endif
#ifdef TLS_ASAN
#include <sanitizer/lsan_interface.h>
#endif

TestSuite(tls_stream, .init = tls_setup, .fini = tls_teardown, .timeout = 120);

#define BULK (20u << 20)

/* A reproducible byte stream (xorshift), different per seed. */
static void fill(unsigned char *buf, size_t len, uint64_t *state)
{
    for (size_t i = 0; i < len; i++) {
        uint64_t x = *state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *state = x;
        buf[i] = (unsigned char)x;
    }
}

static void expected_hash(uint64_t seed, unsigned char out[32])
{
    EVP_MD_CTX *h = EVP_MD_CTX_new();
    EVP_DigestInit_ex(h, EVP_sha256(), NULL);
    static _Thread_local unsigned char chunk[65536];
    for (size_t done = 0; done < BULK; done += sizeof chunk) {
        fill(chunk, sizeof chunk, &seed);
        EVP_DigestUpdate(h, chunk, sizeof chunk);
    }
    EVP_DigestFinal_ex(h, out, NULL);
    EVP_MD_CTX_free(h);
}

struct pump {
    tapir_ssl_socket *s;
    uint64_t seed;
    int failed;
    char err[600];
    unsigned char hash[32];
    size_t got;
};

/* Sends BULK bytes in writes of varying sizes. */
static void *writer(void *arg)
{
    struct pump *w = arg;
    static _Thread_local unsigned char chunk[100000];
    size_t sizes[] = {1, 700, 16384, 16385, 100000, 4096, 33};
    size_t done = 0;
    for (int i = 0; done < BULK; i++) {
        size_t n = sizes[i % 7];
        if (n > BULK - done)
            n = BULK - done;
        fill(chunk, n, &w->seed);
        if (tapir_ssl_sendall(w->s, chunk, n) < 0) {
            w->failed = 1;
            snprintf(w->err, sizeof w->err, "%s", tls_err_now().msg);
            return NULL;
        }
        done += n;
    }
    return NULL;
}

/* Reads BULK bytes and hashes them. */
static void reader(struct pump *r)
{
    EVP_MD_CTX *h = EVP_MD_CTX_new();
    EVP_DigestInit_ex(h, EVP_sha256(), NULL);
    static _Thread_local unsigned char buf[65536];
    while (r->got < BULK) {
        ssize_t n = tapir_ssl_recv(r->s, buf, sizeof buf);
        if (n <= 0) {
            r->failed = 1;
            snprintf(r->err, sizeof r->err, "recv %zd after %zu: %s", n, r->got, tls_err_now().msg);
            break;
        }
        EVP_DigestUpdate(h, buf, (size_t)n);
        r->got += (size_t)n;
    }
    EVP_DigestFinal_ex(h, r->hash, NULL);
    EVP_MD_CTX_free(h);
}

/* One side of the bulk test: a writer thread and this thread reading. */
static void both_ways(tapir_ssl_socket *s, uint64_t send_seed, struct pump *in, struct pump *out)
{
    out->s = s;
    out->seed = send_seed;
    pthread_t th;
    pthread_create(&th, NULL, writer, out);
    in->s = s;
    reader(in);
    pthread_join(th, NULL);
}

struct bulk_server_result {
    struct pump in, out;
};

static void bulk_server(struct tls_server *srv, tapir_ssl_socket *s)
{
    struct bulk_server_result *r = srv->arg;
    both_ways(s, 2, &r->in, &r->out);
    char c;
    if (tapir_ssl_recv(s, &c, 1) == 0) /* the client's close_notify */
        tapir_ssl_unwrap(s);
}

Test(tls_stream, twenty_megabytes_each_way_at_once)
{
    struct tls_pipe *p = tls_pipe_new(256 * 1024);
    struct bulk_server_result sr = {0};
    struct tls_server srv = {.pipe = p, .body = bulk_server, .arg = &sr};
    tls_server_start(&srv);
    tapir_ssl_context *c = tls_client_ctx(NULL);
    struct tapir_tls_transport t = tls_pipe_end(p, 0);
    tapir_ssl_socket *s = tapir_ssl_wrap_transport(c, &t, "tapir.test", 0);
    cr_assert_not_null(s, "%s", tls_err_now().msg);
    struct pump in = {0}, out = {0};
    both_ways(s, 1, &in, &out);
    cr_assert_not(out.failed, "client send: %s", out.err);
    cr_assert_not(in.failed, "client recv: %s", in.err);
    cr_assert_eq(tapir_ssl_unwrap(s), 0, "%s", tls_err_now().msg);
    tls_server_join(&srv);
    cr_assert(srv.handshake_ok, "%s", srv.err.msg);
    cr_assert_not(sr.out.failed, "server send: %s", sr.out.err);
    cr_assert_not(sr.in.failed, "server recv: %s", sr.in.err);

    unsigned char want1[32], want2[32];
    expected_hash(1, want1);
    expected_hash(2, want2);
    cr_assert_eq(sr.in.got, BULK);
    cr_assert_eq(in.got, BULK);
    cr_assert_arr_eq(sr.in.hash, want1, 32, "client -> server differs");
    cr_assert_arr_eq(in.hash, want2, 32, "server -> client differs");
    /* The records' overhead is small: 20 MB + a few %. */
    cr_assert(tls_pipe_sent(p, 0) < BULK + BULK / 20, "sent %zu", tls_pipe_sent(p, 0));
    tapir_ssl_close(s);
    tapir_ssl_context_free(c);
    tls_pipe_free(p);
}

static bool is_want(const struct tls_err *e)
{
    return e->kind == TAPIR_ERR_SSL_WANT_READ || e->kind == TAPIR_ERR_SSL_WANT_WRITE;
}

/* A client and a server in this thread, non-blocking, handshaken by pumping. */
static void nb_pair(struct tls_pipe *p, tapir_ssl_context *cc, tapir_ssl_context *sc, tapir_ssl_socket **cs,
                    tapir_ssl_socket **ss, int *want_reads)
{
    tls_pipe_settimeout(p, 0, 0.0);
    tls_pipe_settimeout(p, 1, 0.0);
    struct tapir_tls_transport ct = tls_pipe_end(p, 0), st = tls_pipe_end(p, 1);
    *cs = tapir_ssl_wrap_transport(cc, &ct, "tapir.test", TAPIR_SSL_NO_HANDSHAKE_ON_CONNECT);
    *ss = tapir_ssl_wrap_transport(sc, &st, NULL, TAPIR_SSL_SERVER_SIDE | TAPIR_SSL_NO_HANDSHAKE_ON_CONNECT);
    cr_assert(*cs && *ss, "%s", tls_err_now().msg);
    cr_assert_null(tapir_ssl_version(*cs), "no version before the handshake");
    bool cdone = false, sdone = false;
    for (int i = 0; i < 50 && !(cdone && sdone); i++) {
        if (!cdone) {
            if (tapir_ssl_do_handshake(*cs) == 0) {
                cdone = true;
            } else {
                struct tls_err e = tls_err_now();
                cr_assert(is_want(&e), "client handshake: %s", e.msg);
                if (e.kind == TAPIR_ERR_SSL_WANT_READ) {
                    cr_assert_eq(e.code, TAPIR_SSL_ERROR_WANT_READ);
                    cr_assert_str_eq(e.msg, "The operation did not complete (read)");
                    cr_assert_str_eq(e.cls, "ssl.SSLWantReadError");
                    (*want_reads)++;
                }
            }
        }
        if (!sdone) {
            if (tapir_ssl_do_handshake(*ss) == 0) {
                sdone = true;
            } else {
                struct tls_err e = tls_err_now();
                cr_assert(is_want(&e), "server handshake: %s", e.msg);
                if (e.kind == TAPIR_ERR_SSL_WANT_READ)
                    (*want_reads)++;
            }
        }
    }
    cr_assert(cdone && sdone, "handshake did not finish by pumping");
}

static tapir_ssl_context *server_ctx(void)
{
    tapir_ssl_context *sc = tapir_ssl_context_new(TAPIR_PROTOCOL_TLS_SERVER);
    cr_assert_eq(tapir_ssl_context_load_cert_chain(sc, tls_path("server.pem"), tls_path("server.key")), 0);
    return sc;
}

Test(tls_stream, nonblocking_want_read_and_want_write)
{
    /* A small pipe (8 KB each way) so that a big write must wait. */
    struct tls_pipe *p = tls_pipe_new(8192);
    tapir_ssl_context *cc = tls_client_ctx(NULL), *sc = server_ctx();
    tapir_ssl_socket *cs, *ss;
    int want_reads = 0;
    nb_pair(p, cc, sc, &cs, &ss, &want_reads);
    cr_assert(want_reads >= 2, "the handshake should have had to wait for reads (%d)", want_reads);
    cr_assert_str_eq(tapir_ssl_version(cs), "TLSv1.3");

    /* Nothing to read: want-read at once. */
    char buf[65536];
    cr_assert_eq(tapir_ssl_recv(ss, buf, sizeof buf), -1);
    struct tls_err e = tls_err_now();
    cr_assert_eq(e.kind, TAPIR_ERR_SSL_WANT_READ, "%s", e.msg);

    /* 200 KB through an 8 KB pipe: want-write, then retry the same call
     * while the server drains. */
    static unsigned char big[200000];
    uint64_t seed = 7;
    fill(big, sizeof big, &seed);
    static unsigned char got[200000];
    size_t have = 0;
    int want_writes = 0;
    bool sent = false;
    for (int i = 0; i < 10000 && (!sent || have < sizeof big); i++) {
        if (!sent) {
            ssize_t n = tapir_ssl_send(cs, big, sizeof big);
            if (n == (ssize_t)sizeof big) {
                sent = true;
            } else {
                cr_assert_eq(n, -1);
                e = tls_err_now();
                cr_assert(is_want(&e), "send: %s", e.msg);
                if (e.kind == TAPIR_ERR_SSL_WANT_WRITE) {
                    cr_assert_eq(e.code, TAPIR_SSL_ERROR_WANT_WRITE);
                    cr_assert_str_eq(e.msg, "The operation did not complete (write)");
                    cr_assert_str_eq(e.cls, "ssl.SSLWantWriteError");
                    want_writes++;
                }
            }
        }
        ssize_t n = tapir_ssl_recv(ss, got + have, sizeof got - have);
        if (n > 0) {
            have += (size_t)n;
        } else {
            e = tls_err_now();
            cr_assert_eq(e.kind, TAPIR_ERR_SSL_WANT_READ, "server recv: %zd %s", n, e.msg);
        }
    }
    cr_assert(sent);
    cr_assert(want_writes > 0, "the send should have met a full pipe");
    cr_assert_eq(have, sizeof big);
    cr_assert_arr_eq(got, big, sizeof big);
    tapir_ssl_close(cs);
    tapir_ssl_close(ss);
    tapir_ssl_context_free(cc);
    tapir_ssl_context_free(sc);
    tls_pipe_free(p);
}

Test(tls_stream, pending_bytes_count_as_readable)
{
    struct tls_pipe *p = tls_pipe_new(65536);
    tapir_ssl_context *cc = tls_client_ctx(NULL), *sc = server_ctx();
    tapir_ssl_socket *cs, *ss;
    int wr = 0;
    nb_pair(p, cc, sc, &cs, &ss, &wr);
    /* Let the client swallow the server's session tickets first. */
    char buf[64];
    cr_assert_eq(tapir_ssl_recv(cs, buf, sizeof buf), -1);
    cr_assert_not(tapir_ssl_readable(cs), "nothing to read yet");
    cr_assert_eq(tapir_ssl_send(ss, "hello world", 11), 11);
    cr_assert(tapir_ssl_readable(cs), "a record waits on the transport");
    cr_assert_eq(tapir_ssl_recv(cs, buf, 5), 5);
    /* The transport is empty now; the rest of the record is decrypted. */
    struct tapir_tls_transport ct = tls_pipe_end(p, 0);
    cr_assert_eq(ct.wait(ct.ctx, TAPIR_TLS_WAIT_READ, 0.0), 0);
    cr_assert_eq(tapir_ssl_pending(cs), 6);
    cr_assert(tapir_ssl_readable(cs), "pending decrypted bytes are readable");
    cr_assert_eq(tapir_ssl_recv(cs, buf, sizeof buf), 6);
    cr_assert_eq(memcmp(buf, " world", 6), 0);
    cr_assert_eq(tapir_ssl_pending(cs), 0);
    cr_assert_not(tapir_ssl_readable(cs));
    tapir_ssl_close(cs);
    tapir_ssl_close(ss);
    tapir_ssl_context_free(cc);
    tapir_ssl_context_free(sc);
    tls_pipe_free(p);
}

Test(tls_stream, two_hundred_handshakes_no_leak)
{
    tapir_ssl_context *cc = tls_client_ctx(NULL), *sc = server_ctx();
    for (int i = 0; i < 200; i++) {
        struct tls_pipe *p = tls_pipe_new(65536);
        tapir_ssl_socket *cs, *ss;
        int wr = 0;
        nb_pair(p, cc, sc, &cs, &ss, &wr);
        cr_assert_eq(tapir_ssl_send(cs, "x", 1), 1);
        char c;
        cr_assert_eq(tapir_ssl_recv(ss, &c, 1), 1);
        /* Every other one ends with close_notify both ways. */
        if (i % 2) {
            cr_assert_eq(tapir_ssl_unwrap(cs), -1); /* sent; waits for the peer's */
            cr_assert_eq(tapir_ssl_recv(ss, &c, 1), 0);
            cr_assert_eq(tapir_ssl_unwrap(ss), 0);
            cr_assert_eq(tapir_ssl_unwrap(cs), 0, "%s", tls_err_now().msg);
        }
        tapir_ssl_close(cs);
        tapir_ssl_close(ss);
        tls_pipe_free(p);
    }
    tapir_ssl_context_free(cc);
    tapir_ssl_context_free(sc);
#ifdef TLS_ASAN
    cr_assert_eq(__lsan_do_recoverable_leak_check(), 0, "LeakSanitizer found leaks");
#endif
}
