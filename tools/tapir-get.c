/* tapir-get: fetch a URL over tapir (http:// and https://), like a small curl.
 * Built on the public API only: a runner, tapir sockets, api/tls.h.
 *
 *   $ tapir-get --tap tap0 --addr 198.18.0.2/24 --cacert ca.pem -v https://198.18.0.1:4433/
 *   * Connected to 198.18.0.1 (198.18.0.1) port 4433
 *   * TLS: TLSv1.3, cipher TLS_AES_256_GCM_SHA384 (256 bits), ALPN http/1.1
 *   * Server certificate: ...
 *   > GET / HTTP/1.1
 *   < HTTP/1.1 200 OK
 *   (the body on stdout, or in the file of -o)
 *
 * The status line goes to stderr, the body to stdout (or -o FILE), so the
 * body can be piped.  Redirects are not followed unless -L.  The server's
 * certificate is verified against --cacert (default: the system store) and
 * the URL's host name; -k turns that off (and says so with -v).
 *
 * Exit status: 0 a response with status < 400, 3 a response >= 400, 1 a
 * network / TLS / protocol error (message on stderr), 2 bad usage.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/error.h"
#include "api/runner.h"
#include "api/tapir.h"
#include "api/tls.h"

#define MAX_REDIRECTS 10
#define MAX_HEADER_BYTES (64 * 1024)

struct opts {
    bool verbose, follow, insecure;
    const char *out_file;
    const char *cacert;
    double timeout;
    /* --resolve HOST:PORT:ADDR (curl's): connect there for HOST:PORT, while
     * TLS still checks the certificate against HOST */
    const char *resolve;
};

/* The address to connect to for host:port: --resolve's if it matches. */
static const char *connect_host(const struct opts *o, const char *host, int port, char *buf, size_t cap)
{
    if (o->resolve) {
        char want[300];
        int n = snprintf(want, sizeof want, "%s:%d:", host, port);
        if (n > 0 && !strncasecmp(o->resolve, want, (size_t)n)) {
            snprintf(buf, cap, "%s", o->resolve + n);
            return buf;
        }
    }
    return host;
}

struct url {
    bool https;
    char host[256];
    int port;
    char path[2048];
};

static void usage(FILE *f)
{
    fprintf(f, "usage: tapir-get [-v] [-L] [-k] [-o FILE] [--cacert FILE] [--timeout SECONDS]\n"
               "                 [--resolve HOST:PORT:ADDRESS]\n"
               "                 --tap NAME | --pcap IF  --addr A.B.C.D/N [--gw A.B.C.D] [device options]\n"
               "                 URL\n"
               "  URL      http://HOST[:PORT][/PATH] or https://...\n"
               "  -v       show the connection, TLS version, cipher and certificate, and headers\n"
               "  -L       follow redirects (up to %d)\n"
               "  -k       do not verify the server's certificate (insecure)\n"
               "  -o FILE  write the body to FILE instead of stdout\n"
               "  --resolve HOST:PORT:ADDRESS  connect to ADDRESS for HOST:PORT (TLS still checks HOST)\n",
               MAX_REDIRECTS);
}

static bool parse_url(const char *s, struct url *u)
{
    memset(u, 0, sizeof *u);
    if (!strncasecmp(s, "http://", 7)) {
        s += 7;
        u->port = 80;
    } else if (!strncasecmp(s, "https://", 8)) {
        s += 8;
        u->https = true;
        u->port = 443;
    } else {
        return false;
    }
    const char *end = s + strcspn(s, "/?#");
    const char *hp_end = end;
    const char *at = memchr(s, '@', (size_t)(end - s));
    if (at) /* user info: not supported, skip it */
        s = at + 1;
    const char *port = NULL;
    if (*s == '[') { /* [IPv6]:port */
        const char *rb = memchr(s, ']', (size_t)(hp_end - s));
        if (!rb)
            return false;
        snprintf(u->host, sizeof u->host, "%.*s", (int)(rb - s - 1), s + 1);
        if (rb + 1 < hp_end && rb[1] == ':')
            port = rb + 2;
    } else {
        const char *colon = memchr(s, ':', (size_t)(hp_end - s));
        size_t hl = (size_t)((colon ? colon : hp_end) - s);
        if (hl == 0 || hl >= sizeof u->host)
            return false;
        snprintf(u->host, sizeof u->host, "%.*s", (int)hl, s);
        if (colon)
            port = colon + 1;
    }
    if (port) {
        char *e;
        long p = strtol(port, &e, 10);
        if (e != hp_end || p <= 0 || p > 65535)
            return false;
        u->port = (int)p;
    }
    if (*end == '/')
        snprintf(u->path, sizeof u->path, "%.*s", (int)strcspn(end, "#"), end);
    else
        snprintf(u->path, sizeof u->path, "/%.*s", (int)strcspn(end, "#"), end);
    return true;
}

/* ---- A connection: plain tapir socket or TLS on one ---- */

struct conn {
    int fd;
    tapir_ssl_socket *tls;
    /* read buffer */
    char buf[16384];
    size_t off, len;
    bool eof;
};

static ssize_t conn_read(struct conn *c, void *dst, size_t n)
{
    return c->tls ? tapir_ssl_recv(c->tls, dst, n) : tapir_recv(c->fd, dst, n, 0);
}

static int conn_write(struct conn *c, const void *src, size_t n)
{
    return c->tls ? tapir_ssl_sendall(c->tls, src, n) : tapir_sendall(c->fd, src, n, 0);
}

/* Fills the buffer if empty: 1 data, 0 EOF, -1 error. */
static int conn_fill(struct conn *c)
{
    if (c->off < c->len)
        return 1;
    if (c->eof)
        return 0;
    ssize_t n = conn_read(c, c->buf, sizeof c->buf);
    if (n < 0)
        return -1;
    c->off = 0;
    c->len = (size_t)n;
    if (n == 0)
        c->eof = true;
    return n > 0;
}

/* One line (CRLF or LF stripped) into out; 1 ok, 0 EOF before any byte, -1 error. */
static int conn_line(struct conn *c, char *out, size_t cap)
{
    size_t n = 0;
    for (;;) {
        int r = conn_fill(c);
        if (r < 0)
            return -1;
        if (r == 0) {
            out[n] = '\0';
            return n ? 1 : 0;
        }
        char ch = c->buf[c->off++];
        if (ch == '\n') {
            if (n && out[n - 1] == '\r')
                n--;
            out[n] = '\0';
            return 1;
        }
        if (n + 1 < cap)
            out[n++] = ch;
    }
}

static void conn_close(struct conn *c)
{
    if (c->tls) {
        tapir_ssl_close(c->tls); /* closes the socket too */
        c->tls = NULL;
    } else if (c->fd >= 0) {
        tapir_close(c->fd);
    }
    c->fd = -1;
}

static void show_cert(tapir_ssl_socket *s, bool verified)
{
    struct tapir_peercert pc;
    /* getpeercert() only gives text for a validated certificate (-k: none);
     * server()/issuer() name whatever the server sent. */
    if (verified && tapir_ssl_getpeercert(s, &pc) == 0) {
        fprintf(stderr, "* Server certificate:\n*   subject: %s\n*   issuer: %s\n", pc.subject, pc.issuer);
        fprintf(stderr, "*   start date: %s\n*   expire date: %s\n", pc.not_before, pc.not_after);
        for (size_t i = 0; i < pc.n_san; i++)
            fprintf(stderr, "*   subjectAltName: %s:%s\n", pc.san[i].type, pc.san[i].value);
        fprintf(stderr, "*   verified: yes (chain and host name)\n");
    } else {
        fprintf(stderr, "* Server certificate:\n*   subject: %s\n*   issuer: %s\n", tapir_ssl_server(s),
                tapir_ssl_issuer(s));
        fprintf(stderr, "*   verified: NO (-k: certificate not checked)\n");
    }
}

static int open_conn(const struct url *u, const struct opts *o, tapir_ssl_context *ctx, struct conn *c)
{
    memset(c, 0, sizeof *c);
    char addrbuf[TAPIR_HOST_MAX];
    const char *target = connect_host(o, u->host, u->port, addrbuf, sizeof addrbuf);
    c->fd = tapir_create_connection(TAPIR_ADDR(target, u->port), o->timeout, NULL);
    if (c->fd < 0) {
        fprintf(stderr, "tapir-get: connect to %s port %d: %s\n", u->host, u->port, tapir_strerror());
        return -1;
    }
    if (o->verbose) {
        tapir_addr peer;
        tapir_getpeername(c->fd, &peer);
        fprintf(stderr, "* Connected to %s (%s) port %d\n", u->host, peer.host, u->port);
    }
    if (!u->https)
        return 0;
    c->tls = tapir_ssl_wrap_socket(ctx, c->fd, u->host, 0);
    if (!c->tls) {
        fprintf(stderr, "tapir-get: TLS with %s: %s\n", u->host, tapir_strerror());
        tapir_close(c->fd);
        c->fd = -1;
        return -1;
    }
    if (o->verbose) {
        const char *name = "?", *ver = "?";
        int bits = 0;
        tapir_ssl_cipher(c->tls, &name, &ver, &bits);
        const char *alpn = tapir_ssl_selected_alpn_protocol(c->tls);
        fprintf(stderr, "* TLS: %s, cipher %s (%d bits)%s%s\n", tapir_ssl_version(c->tls), name, bits,
                alpn ? ", ALPN " : "", alpn ? alpn : "");
        show_cert(c->tls, !o->insecure);
    }
    return 0;
}

/* Copies n bytes (or to EOF when n < 0) from the connection to out. */
static int copy_body(struct conn *c, FILE *out, long long n, bool *truncated)
{
    *truncated = false;
    while (n != 0) {
        int r = conn_fill(c);
        if (r < 0)
            return -1;
        if (r == 0) {
            *truncated = n > 0;
            return 0;
        }
        size_t take = c->len - c->off;
        if (n > 0 && (long long)take > n)
            take = (size_t)n;
        if (fwrite(c->buf + c->off, 1, take, out) != take) {
            fprintf(stderr, "tapir-get: write: %s\n", strerror(errno));
            return -1;
        }
        c->off += take;
        if (n > 0)
            n -= (long long)take;
    }
    return 0;
}

static int copy_chunked(struct conn *c, FILE *out)
{
    char line[256];
    for (;;) {
        int r = conn_line(c, line, sizeof line);
        if (r <= 0) {
            fprintf(stderr, "tapir-get: chunked body cut short\n");
            return -1;
        }
        char *e;
        long long size = strtoll(line, &e, 16);
        if (e == line || size < 0) {
            fprintf(stderr, "tapir-get: bad chunk size line '%s'\n", line);
            return -1;
        }
        if (size == 0) {
            while (conn_line(c, line, sizeof line) > 0 && line[0]) /* trailers */
                ;
            return 0;
        }
        bool trunc;
        if (copy_body(c, out, size, &trunc) < 0)
            return -1;
        if (trunc) {
            fprintf(stderr, "tapir-get: chunked body cut short\n");
            return -1;
        }
        conn_line(c, line, sizeof line); /* the CRLF after the chunk */
    }
}

/* One request.  Returns the status (>= 100), or -1; *location gets a
 * redirect target when there is one (caller frees). */
static int fetch(const struct url *u, const struct opts *o, tapir_ssl_context *ctx, FILE *out, char **location)
{
    struct conn c;
    *location = NULL;
    if (open_conn(u, o, ctx, &c) < 0)
        return -1;
    char req[4096];
    bool dflt_port = (u->https && u->port == 443) || (!u->https && u->port == 80);
    bool v6 = strchr(u->host, ':') != NULL;
    char hosthdr[300], port[8] = "";
    if (!dflt_port)
        snprintf(port, sizeof port, ":%d", u->port);
    snprintf(hosthdr, sizeof hosthdr, "%s%s%s%s", v6 ? "[" : "", u->host, v6 ? "]" : "", port);
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: tapir-get/1\r\nAccept: */*\r\n"
                     "Connection: close\r\n\r\n",
                     u->path, hosthdr);
    if (o->verbose)
        fprintf(stderr, "> %.*s", (int)(strstr(req, "\r\n\r\n") - req + 2), req);
    if (conn_write(&c, req, (size_t)n) < 0) {
        fprintf(stderr, "tapir-get: sending the request: %s\n", tapir_strerror());
        conn_close(&c);
        return -1;
    }

    char line[8192];
    int r = conn_line(&c, line, sizeof line);
    int status = 0;
    if (r <= 0 || sscanf(line, "HTTP/%*d.%*d %d", &status) != 1 || status < 100) {
        fprintf(stderr, "tapir-get: %s\n", r < 0 ? tapir_strerror() : "no HTTP status line in the response");
        conn_close(&c);
        return -1;
    }
    fprintf(stderr, "%s\n", line);
    long long length = -1;
    bool chunked = false;
    size_t header_bytes = 0;
    for (;;) {
        r = conn_line(&c, line, sizeof line);
        if (r < 0) {
            fprintf(stderr, "tapir-get: %s\n", tapir_strerror());
            conn_close(&c);
            return -1;
        }
        if (r == 0 || line[0] == '\0')
            break;
        header_bytes += strlen(line);
        if (header_bytes > MAX_HEADER_BYTES) {
            fprintf(stderr, "tapir-get: response headers too long\n");
            conn_close(&c);
            return -1;
        }
        if (o->verbose)
            fprintf(stderr, "< %s\n", line);
        if (!strncasecmp(line, "Content-Length:", 15))
            length = strtoll(line + 15, NULL, 10);
        else if (!strncasecmp(line, "Transfer-Encoding:", 18) && strcasestr(line + 18, "chunked"))
            chunked = true;
        else if (!strncasecmp(line, "Location:", 9)) {
            const char *v = line + 9;
            while (*v == ' ' || *v == '\t')
                v++;
            free(*location);
            *location = strdup(v);
        }
    }
    int rc = 0;
    bool trunc = false;
    /* A redirect we are about to follow: its body is not the one wanted. */
    bool redirect = status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    FILE *sink = NULL;
    if (redirect && o->follow && *location && (sink = fopen("/dev/null", "w")))
        out = sink;
    if (chunked)
        rc = copy_chunked(&c, out);
    else
        rc = copy_body(&c, out, length, &trunc);
    if (sink)
        fclose(sink);
    if (rc < 0) {
        fprintf(stderr, "tapir-get: reading the body: %s\n", tapir_strerror());
        conn_close(&c);
        return -1;
    }
    if (trunc) {
        fprintf(stderr, "tapir-get: body cut short (Content-Length %lld)\n", length);
        conn_close(&c);
        return -1;
    }
    conn_close(&c);
    return status;
}

/* Resolves a Location against the current URL. */
static bool follow(struct url *u, const char *loc)
{
    if (!strncasecmp(loc, "http://", 7) || !strncasecmp(loc, "https://", 8))
        return parse_url(loc, u);
    if (loc[0] == '/') {
        snprintf(u->path, sizeof u->path, "%s", loc);
        return true;
    }
    /* relative to the current directory */
    char *slash = strrchr(u->path, '/');
    if (slash)
        slash[1] = '\0';
    size_t l = strlen(u->path);
    snprintf(u->path + l, sizeof u->path - l, "%s", loc);
    return true;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    char *config = tapir_runner_config_from_args(&argc, argv);
    if (!config)
        return 2;
    struct opts o = {.timeout = 30.0};
    const char *url_arg = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-v")) {
            o.verbose = true;
        } else if (!strcmp(a, "-L")) {
            o.follow = true;
        } else if (!strcmp(a, "-k") || !strcmp(a, "--insecure")) {
            o.insecure = true;
        } else if (!strcmp(a, "-o") && i + 1 < argc) {
            o.out_file = argv[++i];
        } else if (!strcmp(a, "--cacert") && i + 1 < argc) {
            o.cacert = argv[++i];
        } else if (!strcmp(a, "--resolve") && i + 1 < argc) {
            o.resolve = argv[++i];
        } else if (!strcmp(a, "--timeout") && i + 1 < argc) {
            o.timeout = strtod(argv[++i], NULL);
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (a[0] == '-' || url_arg) {
            usage(stderr);
            return 2;
        } else {
            url_arg = a;
        }
    }
    struct url u;
    if (!url_arg || !parse_url(url_arg, &u)) {
        if (url_arg)
            fprintf(stderr, "tapir-get: not an http:// or https:// URL: %s\n", url_arg);
        usage(stderr);
        return 2;
    }

    tapir_runner *r = tapir_runner_start(config);
    free(config);
    if (!r) {
        fprintf(stderr, "tapir-get: %s\n", tapir_strerror());
        return 1;
    }
    tapir_ssl_context *ctx = tapir_ssl_context_new(TAPIR_PROTOCOL_TLS_CLIENT);
    static const char *const alpn[] = {"http/1.1"};
    int rc = 1;
    if (!ctx)
        goto out;
    tapir_ssl_context_set_alpn_protocols(ctx, alpn, 1);
    if (o.insecure) {
        tapir_ssl_context_set_check_hostname(ctx, false);
        tapir_ssl_context_set_verify_mode(ctx, TAPIR_CERT_NONE);
    } else if (o.cacert && tapir_ssl_context_load_verify_locations(ctx, o.cacert, NULL) < 0) {
        fprintf(stderr, "tapir-get: --cacert %s: %s\n", o.cacert, tapir_strerror());
        goto out;
    }
    FILE *out = stdout;
    if (o.out_file && !(out = fopen(o.out_file, "wb"))) {
        fprintf(stderr, "tapir-get: %s: %s\n", o.out_file, strerror(errno));
        goto out;
    }
    for (int hops = 0;; hops++) {
        char *loc = NULL;
        int status = fetch(&u, &o, ctx, out, &loc);
        if (status < 0) {
            free(loc);
            break;
        }
        bool redirect = status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
        if (redirect && o.follow && loc && hops < MAX_REDIRECTS) {
            if (o.verbose)
                fprintf(stderr, "* Following redirect to %s\n", loc);
            bool ok = follow(&u, loc);
            free(loc);
            if (!ok) {
                fprintf(stderr, "tapir-get: cannot follow that redirect\n");
                break;
            }
            continue;
        }
        if (redirect && o.follow && hops >= MAX_REDIRECTS)
            fprintf(stderr, "tapir-get: too many redirects\n");
        free(loc);
        rc = status >= 400 ? 3 : 0;
        break;
    }
    if (out != stdout && fclose(out) != 0) {
        fprintf(stderr, "tapir-get: %s: %s\n", o.out_file, strerror(errno));
        rc = 1;
    } else if (out == stdout) {
        fflush(stdout);
    }
out:
    tapir_ssl_context_free(ctx);
    tapir_runner_stop(r);
    return rc;
}
