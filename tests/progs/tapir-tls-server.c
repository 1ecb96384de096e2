/* tapir-tls-server: the TLS interop tests' server, on tapir.  Listens on
 * PORT over tapir TCP and serves COUNT connections (default 1), one at a
 * time, each wrapped in TLS with CERT / KEY, in one of these modes:
 *
 *   echo      reads lines and writes each back ("echo: " prefixed) until EOF
 *   http      reads a request head, answers "HTTP/1.1 200 OK" with BODY
 *             (default "hello from tapir\n"), then unwrap()s
 *   sink      reads until EOF, prints recv-bytes / recv-sha256
 *   source N  writes N bytes of a fixed pseudo-random stream (the same as
 *             tapir-tls-client --upload), prints sent-sha256, unwraps
 *   drop      sends "bye\n" then closes with no close_notify
 *
 *   tapir-tls-server [device options] --cert F --key F [--port N] [--count N]
 *                    [--mode M [N]] [--body TEXT] [--cafile F --verify-client]
 *
 * Prints "listening" once ready, then per connection "handshake: ok
 * <version> <cipher>" or "error: <class>: <message>", and the mode's lines.
 */
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

static volatile sig_atomic_t stop;
static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void print_error(const char *what)
{
    char buf[TAPIR_ERROR_MSG_MAX + 64];
    printf("error: %s%s%s\n", what ? what : "", what ? ": " : "",
           tapir_error_format(tapir_last_error(), buf, sizeof buf));
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

static void print_sha(const char *key, EVP_MD_CTX *h)
{
    unsigned char d[32];
    EVP_DigestFinal_ex(h, d, NULL);
    printf("%s: ", key);
    for (int i = 0; i < 32; i++)
        printf("%02x", d[i]);
    printf("\n");
}

static void serve_echo(tapir_ssl_socket *s)
{
    char buf[8192], line[8192 + 8];
    size_t have = 0;
    for (;;) {
        ssize_t n = tapir_ssl_recv(s, buf + have, sizeof buf - have);
        if (n < 0) {
            print_error("recv");
            return;
        }
        if (n == 0)
            break;
        have += (size_t)n;
        char *nl;
        while ((nl = memchr(buf, '\n', have))) {
            size_t l = (size_t)(nl - buf);
            int m = snprintf(line, sizeof line, "echo: %.*s\n", (int)l, buf);
            if (tapir_ssl_sendall(s, line, (size_t)m) < 0) {
                print_error("send");
                return;
            }
            memmove(buf, nl + 1, have - l - 1);
            have -= l + 1;
        }
        if (have == sizeof buf)
            have = 0; /* an overlong line: drop it */
    }
    printf("eof: clean\n");
    if (tapir_ssl_unwrap(s) < 0)
        print_error("unwrap");
    else
        printf("unwrap: ok\n");
}

static void serve_http(tapir_ssl_socket *s, const char *body)
{
    char req[8192];
    size_t have = 0;
    while (have < sizeof req - 1) {
        ssize_t n = tapir_ssl_recv(s, req + have, sizeof req - 1 - have);
        if (n <= 0) {
            if (n < 0)
                print_error("recv");
            return;
        }
        have += (size_t)n;
        req[have] = '\0';
        if (strstr(req, "\r\n\r\n"))
            break;
    }
    char *eol = strstr(req, "\r\n");
    printf("request: %.*s\n", eol ? (int)(eol - req) : 0, req);
    char head[256];
    int m = snprintf(head, sizeof head,
                     "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                     strlen(body));
    if (tapir_ssl_sendall(s, head, (size_t)m) < 0 || tapir_ssl_sendall(s, body, strlen(body)) < 0) {
        print_error("send");
        return;
    }
    /* Close as a polite server does: our close_notify; the client may or
     * may not answer before closing (curl does not wait), so do not insist. */
    tapir_settimeout(tapir_ssl_fileno(s), 2.0);
    if (tapir_ssl_unwrap(s) < 0)
        printf("unwrap: %s\n", tapir_strerror());
    else
        printf("unwrap: ok\n");
}

static void serve_sink(tapir_ssl_socket *s)
{
    EVP_MD_CTX *h = EVP_MD_CTX_new();
    EVP_DigestInit_ex(h, EVP_sha256(), NULL);
    static unsigned char buf[65536];
    long long total = 0;
    ssize_t n;
    while ((n = tapir_ssl_recv(s, buf, sizeof buf)) > 0) {
        EVP_DigestUpdate(h, buf, (size_t)n);
        total += n;
    }
    printf("recv-bytes: %lld\n", total);
    print_sha("recv-sha256", h);
    EVP_MD_CTX_free(h);
    if (n < 0) {
        print_error("recv");
        return;
    }
    printf("eof: clean\n");
    if (tapir_ssl_unwrap(s) < 0)
        print_error("unwrap");
}

static void serve_source(tapir_ssl_socket *s, long long bytes)
{
    EVP_MD_CTX *h = EVP_MD_CTX_new();
    EVP_DigestInit_ex(h, EVP_sha256(), NULL);
    static unsigned char chunk[65536];
    uint64_t seed = 1;
    bool failed = false;
    for (long long left = bytes; left > 0;) {
        size_t n = left > (long long)sizeof chunk ? sizeof chunk : (size_t)left;
        fill(chunk, n, &seed);
        EVP_DigestUpdate(h, chunk, n);
        if (tapir_ssl_sendall(s, chunk, n) < 0) {
            print_error("send");
            failed = true;
            break;
        }
        left -= (long long)n;
    }
    if (!failed)
        print_sha("sent-sha256", h);
    EVP_MD_CTX_free(h);
    if (!failed && tapir_ssl_unwrap(s) < 0)
        printf("unwrap: %s\n", tapir_strerror());
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    setvbuf(stdout, NULL, _IOLBF, 0);
    char *config = tapir_runner_config_from_args(&argc, argv);
    if (!config)
        return 2;
    const char *cert = NULL, *key = NULL, *mode = "echo", *cafile = NULL;
    const char *body = "hello from tapir\n";
    int port = 4433, count = 1;
    long long source_bytes = 0;
    bool verify_client = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool more = i + 1 < argc;
        if (!strcmp(a, "--cert") && more) cert = argv[++i];
        else if (!strcmp(a, "--key") && more) key = argv[++i];
        else if (!strcmp(a, "--port") && more) port = atoi(argv[++i]);
        else if (!strcmp(a, "--count") && more) count = atoi(argv[++i]);
        else if (!strcmp(a, "--body") && more) body = argv[++i];
        else if (!strcmp(a, "--cafile") && more) cafile = argv[++i];
        else if (!strcmp(a, "--verify-client")) verify_client = true;
        else if (!strcmp(a, "--mode") && more) {
            mode = argv[++i];
            if (!strcmp(mode, "source") && i + 1 < argc)
                source_bytes = strtoll(argv[++i], NULL, 10);
        } else {
            fprintf(stderr, "tapir-tls-server: unexpected argument %s\n", a);
            return 2;
        }
    }
    if (!cert || !key) {
        fprintf(stderr, "usage: tapir-tls-server [device options] --cert F --key F [--port N] [--count N] "
                        "[--mode echo|http|sink|source N|drop]\n");
        return 2;
    }
    tapir_runner *r = tapir_runner_start(config);
    free(config);
    if (!r) {
        print_error("runner");
        return 1;
    }
    int rc = 1;
    tapir_ssl_context *ctx = tapir_ssl_context_new(TAPIR_PROTOCOL_TLS_SERVER);
    int lfd = -1;
    if (!ctx || tapir_ssl_context_load_cert_chain(ctx, cert, key) < 0) {
        print_error("context");
        goto out;
    }
    if (verify_client && (!cafile || tapir_ssl_context_load_verify_locations(ctx, cafile, NULL) < 0 ||
                          tapir_ssl_context_set_verify_mode(ctx, TAPIR_CERT_REQUIRED) < 0)) {
        print_error("verify-client");
        goto out;
    }
    lfd = tapir_create_server(TAPIR_ADDR("", port), TAPIR_AF_INET, 16, false, false);
    if (lfd < 0) {
        print_error("listen");
        goto out;
    }
    printf("listening\n");
    rc = 0;
    for (int i = 0; i < count && !stop; i++) {
        tapir_addr peer;
        int c = tapir_accept(lfd, &peer);
        if (c < 0) {
            print_error("accept");
            rc = 1;
            break;
        }
        tapir_settimeout(c, 30.0);
        tapir_ssl_socket *s = tapir_ssl_wrap_socket(ctx, c, NULL, TAPIR_SSL_SERVER_SIDE);
        if (!s) {
            print_error(NULL);
            tapir_close(c);
            continue;
        }
        const char *cname = "?", *cver = "?";
        tapir_ssl_cipher(s, &cname, &cver, NULL);
        printf("handshake: ok %s %s\n", tapir_ssl_version(s), cname);
        if (verify_client)
            printf("client: %s\n", tapir_ssl_server(s));
        if (!strcmp(mode, "http"))
            serve_http(s, body);
        else if (!strcmp(mode, "sink"))
            serve_sink(s);
        else if (!strcmp(mode, "source"))
            serve_source(s, source_bytes);
        else if (!strcmp(mode, "drop"))
            tapir_ssl_sendall(s, "bye\n", 4); /* then close: no close_notify */
        else
            serve_echo(s);
        tapir_ssl_close(s);
        printf("closed\n");
    }
out:
    if (lfd >= 0)
        tapir_close(lfd);
    tapir_ssl_context_free(ctx);
    tapir_runner_stop(r);
    return rc;
}
