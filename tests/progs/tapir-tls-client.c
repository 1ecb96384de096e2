/* tapir-tls-client: the TLS interop tests' client, on tapir.  Connects to
 * HOST PORT over tapir TCP, wraps the socket in TLS and reports, one
 * "key: value" line each, what the test script checks:
 *
 *   tapir-tls-client [device options] [--cacert F] [--servername N] [--legacy] [-k]
 *                    [--tls12] [--timeout S] [--nonblock]
 *                    [--send TEXT] [--upload BYTES] [--download] [--no-unwrap] HOST PORT
 *
 *   handshake: ok                 or   error: <class>: <message>   (exit 1)
 *   version: TLSv1.3
 *   cipher: TLS_AES_256_GCM_SHA384 256
 *   server: /C=US/.../CN=tapir.test      (server() / issuer() strings)
 *   issuer: /C=US/O=tapir/CN=tapir test CA
 *   reply: <line>                 --send: TEXT + "\n" sent, one line read back
 *   sent-sha256: <hex>            --upload: BYTES of a fixed pseudo-random stream
 *   recv-bytes: N / recv-sha256:  --download: everything until EOF
 *   unwrap: ok                    close_notify both ways (unless --no-unwrap)
 *
 * --legacy uses tapir_ssl() (no verification); otherwise a client context
 * verifying against --cacert with host name --servername (default HOST).
 * --nonblock runs it all on a non-blocking socket driven by tapir_select:
 * want-read / want-write tell which way to wait (counted: "want-read: N");
 * after the handshake one read before sending anything must want to read
 * ("read before sending: want-read").
 */
#include <errno.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/error.h"
#include "api/runner.h"
#include "api/tapir.h"
#include "api/tls.h"

static int wants_r, wants_w;

static void print_error(const char *what)
{
    char buf[TAPIR_ERROR_MSG_MAX + 64];
    printf("error: %s%s%s\n", what ? what : "", what ? ": " : "", tapir_error_format(tapir_last_error(), buf, sizeof buf));
    fflush(stdout);
}

/* In non-blocking mode: waits (select) for what the last want-* error asked
 * for.  Returns true to retry the call, false on any other error. */
static bool wait_want(int fd, bool nonblock)
{
    if (!nonblock)
        return false;
    const tapir_error *e = tapir_last_error();
    int one = fd, n1 = 1, n0 = 0;
    if (e->kind == TAPIR_ERR_SSL_WANT_READ) {
        wants_r++;
        return tapir_select(&one, &n1, NULL, &n0, NULL, &n0, 10.0) == 1;
    }
    if (e->kind == TAPIR_ERR_SSL_WANT_WRITE) {
        wants_w++;
        return tapir_select(NULL, &n0, &one, &n1, NULL, &n0, 10.0) == 1;
    }
    return false;
}

static int send_all(tapir_ssl_socket *s, int fd, bool nb, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        /* In non-blocking mode a retried send must pass the same bytes. */
        size_t chunk = len > 65536 ? 65536 : len;
        ssize_t n = tapir_ssl_send(s, p, chunk);
        if (n < 0) {
            if (wait_want(fd, nb))
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static ssize_t recv_some(tapir_ssl_socket *s, int fd, bool nb, void *buf, size_t len)
{
    for (;;) {
        ssize_t n = tapir_ssl_recv(s, buf, len);
        if (n >= 0 || !wait_want(fd, nb))
            return n;
    }
}

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

static void hex(const unsigned char *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);
    char *config = tapir_runner_config_from_args(&argc, argv);
    if (!config)
        return 2;
    const char *cacert = NULL, *servername = NULL, *send_text = NULL, *host = NULL, *port = NULL;
    bool legacy = false, insecure = false, tls12 = false, nonblock = false, download = false, unwrap = true;
    long long upload = -1;
    double timeout = 20.0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool more = i + 1 < argc;
        if (!strcmp(a, "--cacert") && more) cacert = argv[++i];
        else if (!strcmp(a, "--servername") && more) servername = argv[++i];
        else if (!strcmp(a, "--send") && more) send_text = argv[++i];
        else if (!strcmp(a, "--upload") && more) upload = strtoll(argv[++i], NULL, 10);
        else if (!strcmp(a, "--timeout") && more) timeout = strtod(argv[++i], NULL);
        else if (!strcmp(a, "--legacy")) legacy = true;
        else if (!strcmp(a, "-k")) insecure = true;
        else if (!strcmp(a, "--tls12")) tls12 = true;
        else if (!strcmp(a, "--nonblock")) nonblock = true;
        else if (!strcmp(a, "--download")) download = true;
        else if (!strcmp(a, "--no-unwrap")) unwrap = false;
        else if (!host) host = a;
        else if (!port) port = a;
        else {
            fprintf(stderr, "tapir-tls-client: unexpected argument %s\n", a);
            return 2;
        }
    }
    if (!host || !port) {
        fprintf(stderr, "usage: tapir-tls-client [device options] [options] HOST PORT\n");
        return 2;
    }
    tapir_runner *r = tapir_runner_start(config);
    free(config);
    if (!r) {
        print_error("runner");
        return 1;
    }
    int rc = 1;
    tapir_ssl_context *ctx = NULL;
    tapir_ssl_socket *s = NULL;
    int fd = tapir_create_connection(TAPIR_ADDR(host, atoi(port)), timeout, NULL);
    if (fd < 0) {
        print_error("connect");
        goto out;
    }
    printf("connected\n");
    if (nonblock)
        tapir_setblocking(fd, false);
    if (legacy) {
        s = tapir_ssl(fd, NULL, NULL);
    } else {
        ctx = tapir_ssl_context_new(TAPIR_PROTOCOL_TLS_CLIENT);
        if (!ctx)
            goto fail;
        if (insecure) {
            tapir_ssl_context_set_check_hostname(ctx, false);
            tapir_ssl_context_set_verify_mode(ctx, TAPIR_CERT_NONE);
        }
        if (cacert && tapir_ssl_context_load_verify_locations(ctx, cacert, NULL) < 0)
            goto fail;
        if (tls12)
            tapir_ssl_context_set_maximum_version(ctx, TAPIR_TLSv1_2);
        s = tapir_ssl_wrap_socket(ctx, fd, servername ? servername : host,
                                  nonblock ? TAPIR_SSL_NO_HANDSHAKE_ON_CONNECT : 0);
        if (s && nonblock) {
            while (tapir_ssl_do_handshake(s) < 0) {
                if (!wait_want(fd, true)) {
                    print_error(NULL);
                    tapir_ssl_close(s);
                    s = NULL;
                    fd = -1;
                    goto out;
                }
            }
        }
    }
    if (!s)
        goto fail;
    printf("handshake: ok\n");
    const char *cname = "?", *cver = "?";
    int bits = 0;
    tapir_ssl_cipher(s, &cname, &cver, &bits);
    printf("version: %s\ncipher: %s %d\n", tapir_ssl_version(s), cname, bits);
    printf("server: %s\nissuer: %s\n", tapir_ssl_server(s), tapir_ssl_issuer(s));
    if (nonblock) {
        /* Nothing asked of the server yet (s_server -rev speaks only when
         * spoken to): a read now must ask to wait.  The waits counted in
         * "want-read" may all be avoided by a fast peer (its answer already
         * there when we read), so this is the one certain want-read. */
        char c;
        ssize_t n = tapir_ssl_recv(s, &c, 1);
        const tapir_error *e = tapir_last_error();
        if (n < 0 && e->kind == TAPIR_ERR_SSL_WANT_READ)
            printf("read before sending: want-read\n");
        else
            printf("read before sending: %zd (%s)\n", n, n < 0 ? tapir_strerror() : "data");
    }

    if (send_text) {
        size_t l = strlen(send_text);
        char *line = malloc(l + 2);
        memcpy(line, send_text, l);
        line[l] = '\n';
        int ok = send_all(s, fd, nonblock, line, l + 1);
        free(line);
        if (ok < 0) {
            print_error("send");
            goto close;
        }
        char reply[4096];
        size_t got = 0;
        while (got < sizeof reply - 1 && !memchr(reply, '\n', got)) {
            ssize_t n = recv_some(s, fd, nonblock, reply + got, sizeof reply - 1 - got);
            if (n <= 0) {
                if (n < 0)
                    print_error("recv");
                break;
            }
            got += (size_t)n;
        }
        reply[got] = '\0';
        char *nl = strchr(reply, '\n');
        if (nl)
            *nl = '\0';
        printf("reply: %s\n", reply);
    }
    if (upload >= 0) {
        EVP_MD_CTX *h = EVP_MD_CTX_new();
        EVP_DigestInit_ex(h, EVP_sha256(), NULL);
        static unsigned char chunk[65536];
        uint64_t seed = 1;
        long long left = upload;
        bool failed = false;
        while (left > 0) {
            size_t n = left > (long long)sizeof chunk ? sizeof chunk : (size_t)left;
            fill(chunk, n, &seed);
            EVP_DigestUpdate(h, chunk, n);
            if (send_all(s, fd, nonblock, chunk, n) < 0) {
                print_error("upload");
                failed = true;
                break;
            }
            left -= (long long)n;
        }
        unsigned char d[32];
        char x[65];
        EVP_DigestFinal_ex(h, d, NULL);
        EVP_MD_CTX_free(h);
        hex(d, 32, x);
        if (failed)
            goto close;
        printf("sent-sha256: %s\n", x);
    }
    if (download) {
        EVP_MD_CTX *h = EVP_MD_CTX_new();
        EVP_DigestInit_ex(h, EVP_sha256(), NULL);
        static unsigned char buf[65536];
        long long total = 0;
        ssize_t n;
        while ((n = recv_some(s, fd, nonblock, buf, sizeof buf)) > 0) {
            EVP_DigestUpdate(h, buf, (size_t)n);
            total += n;
        }
        unsigned char d[32];
        char x[65];
        EVP_DigestFinal_ex(h, d, NULL);
        EVP_MD_CTX_free(h);
        hex(d, 32, x);
        printf("recv-bytes: %lld\nrecv-sha256: %s\n", total, x);
        if (n < 0) {
            print_error("recv");
            goto close;
        }
        printf("eof: clean\n");
        /* Answer the peer's close_notify with ours (it may be gone already:
         * then only say so). */
        if (unwrap) {
            if (tapir_ssl_unwrap(s) < 0)
                print_error("unwrap");
            else
                printf("unwrap: ok\n");
            unwrap = false;
        }
    }
    if (nonblock)
        printf("want-read: %d\nwant-write: %d\n", wants_r, wants_w);
    if (unwrap) {
        while (tapir_ssl_unwrap(s) < 0) {
            if (!wait_want(fd, nonblock)) {
                print_error("unwrap");
                goto close;
            }
        }
        printf("unwrap: ok\n");
    }
    rc = 0;
close:
    tapir_ssl_close(s); /* closes fd */
    fd = -1;
    goto out;
fail:
    print_error(NULL);
out:
    if (fd >= 0)
        tapir_close(fd);
    tapir_ssl_context_free(ctx);
    tapir_runner_stop(r);
    return rc;
}
