/* A tapir client whose kernel peer aborts the connection (RST) in the middle
 * of a transfer, for the interop test tcp_reset.  Public API only.
 *
 *   tapir-reset DEVICE-OPTIONS HOST PORT MODE
 *
 * MODE (the peer, tests/interop/tcp_reset_peer.py, plays the same mode):
 *   recv     read the peer's 1 MiB, send 100 bytes it will never read, then
 *            block in recv(): the peer aborts while we wait.  recv must fail
 *            with ECONNRESET after having blocked; then send gives EPIPE.
 *   send     send 64 KiB, read the peer's "ok", wait 0.5 s outside any call
 *            (the peer aborts meanwhile): the next send must fail with
 *            ECONNRESET, the one after with EPIPE.
 *   sendall  sendall 64 MiB; the peer reads 1 MiB and closes with the rest
 *            unread (Linux answers that with RST): sendall must fail with
 *            ECONNRESET.
 * Prints what each call returned ("recv: [Errno 104] Connection reset by
 * peer (kind error, errno 104) after blocking 512 ms") and exits 0 only if
 * every expectation held.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/tapir.h"

#define ECONNRESET_ 104
#define EPIPE_ 32

static const char *kind_name(tapir_error_kind k)
{
    switch (k) {
    case TAPIR_ERR_ERROR: return "error";
    case TAPIR_ERR_TIMEOUT: return "timeout";
    case TAPIR_ERR_NONE: return "none";
    default: return "other";
    }
}

/* Reports the last error of `call` and checks it is an OSError with errno
 * `want` and Python's message. */
static bool expect_error(const char *call, int want, const char *want_msg, const char *extra)
{
    const tapir_error *e = tapir_last_error();
    printf("%s: %s (kind %s, errno %d)%s\n", call, tapir_strerror(), kind_name(e->kind), e->code, extra);
    if (e->kind != TAPIR_ERR_ERROR || e->code != want || strcmp(tapir_strerror(), want_msg)) {
        printf("FAIL: %s: expected %s\n", call, want_msg);
        return false;
    }
    return true;
}

static bool recv_exact(int s, size_t n)
{
    static char buf[65536];
    while (n > 0) {
        ssize_t k = tapir_recv(s, buf, n < sizeof buf ? n : sizeof buf, 0);
        if (k <= 0) {
            printf("FAIL: recv before the abort: %s\n", k == 0 ? "EOF" : tapir_strerror());
            return false;
        }
        n -= (size_t)k;
    }
    return true;
}

static bool mode_recv(int s)
{
    if (!recv_exact(s, 1 << 20))
        return false;
    char unread[100];
    memset(unread, 'u', sizeof unread);
    if (tapir_sendall(s, unread, sizeof unread, 0) < 0) {
        printf("FAIL: sendall: %s\n", tapir_strerror());
        return false;
    }
    char b[16];
    uint64_t t0 = tapir_now_us();
    ssize_t k = tapir_recv(s, b, sizeof b, 0);
    unsigned ms = (unsigned)((tapir_now_us() - t0) / 1000);
    if (k >= 0) {
        printf("FAIL: recv returned %zd, expected ECONNRESET\n", k);
        return false;
    }
    char extra[64];
    snprintf(extra, sizeof extra, " after blocking %u ms", ms);
    bool ok = expect_error("recv", ECONNRESET_, "[Errno 104] Connection reset by peer", extra);
    if (ms < 100) {
        printf("FAIL: recv was not blocked when the RST came (%u ms)\n", ms);
        ok = false;
    }
    /* The error is reported once; writing afterwards is a broken pipe. */
    if (tapir_send(s, "x", 1, 0) >= 0) {
        printf("FAIL: send after the reset succeeded\n");
        return false;
    }
    return expect_error("send after", EPIPE_, "[Errno 32] Broken pipe", "") && ok;
}

static bool mode_send(int s)
{
    static char chunk[64 << 10];
    memset(chunk, 's', sizeof chunk);
    if (tapir_sendall(s, chunk, sizeof chunk, 0) < 0) {
        printf("FAIL: sendall: %s\n", tapir_strerror());
        return false;
    }
    if (!recv_exact(s, 3))
        return false;
    /* Outside any call while the peer aborts. */
    nanosleep(&(struct timespec){.tv_nsec = 500000000}, NULL);
    if (tapir_send(s, chunk, 1000, 0) >= 0) {
        printf("FAIL: send after the peer's abort succeeded\n");
        return false;
    }
    bool ok = expect_error("send", ECONNRESET_, "[Errno 104] Connection reset by peer", "");
    if (tapir_send(s, chunk, 1000, 0) >= 0) {
        printf("FAIL: a second send succeeded\n");
        return false;
    }
    return expect_error("send again", EPIPE_, "[Errno 32] Broken pipe", "") && ok;
}

static bool mode_sendall(int s)
{
    size_t total = 64u << 20;
    char *data = malloc(total);
    if (!data)
        return false;
    memset(data, 'a', total);
    uint64_t t0 = tapir_now_us();
    int rc = tapir_sendall(s, data, total, 0);
    unsigned ms = (unsigned)((tapir_now_us() - t0) / 1000);
    free(data);
    if (rc == 0) {
        printf("FAIL: sendall of 64 MiB succeeded; the peer read 1 MiB only\n");
        return false;
    }
    char extra[64];
    snprintf(extra, sizeof extra, " after %u ms", ms);
    return expect_error("sendall", ECONNRESET_, "[Errno 104] Connection reset by peer", extra);
}

int main(int argc, char **argv)
{
    char *config = tapir_runner_config_from_args(&argc, argv);
    if (!config)
        return 2;
    if (argc != 4 || (strcmp(argv[3], "recv") && strcmp(argv[3], "send") && strcmp(argv[3], "sendall"))) {
        fprintf(stderr, "usage: tapir-reset DEVICE-OPTIONS HOST PORT recv|send|sendall\n");
        return 2;
    }
    tapir_runner *r = tapir_runner_start(config);
    free(config);
    if (!r) {
        fprintf(stderr, "tapir-reset: %s\n", tapir_strerror());
        return 1;
    }
    bool ok = false;
    int s = tapir_socket(TAPIR_AF_INET, TAPIR_SOCK_STREAM, 0);
    if (s < 0 || tapir_settimeout(s, 20.0) < 0 || tapir_connect(s, TAPIR_ADDR(argv[1], atoi(argv[2]))) < 0) {
        printf("FAIL: connect: %s\n", tapir_strerror());
    } else {
        const char *m = argv[3];
        ok = !strcmp(m, "recv") ? mode_recv(s) : !strcmp(m, "send") ? mode_send(s) : mode_sendall(s);
    }
    if (s >= 0)
        tapir_close(s);
    struct tapir_counters c;
    tapir_runner_counters(r, &c);
    printf("tcp_estab_resets %llu\n", (unsigned long long)c.tcp_estab_resets);
    if (ok && c.tcp_estab_resets != 1) {
        printf("FAIL: expected one connection reset counted\n");
        ok = false;
    }
    tapir_runner_stop(r);
    printf("%s\n", ok ? "ok" : "failed");
    return ok ? 0 : 1;
}
