# Shared by the tls*.test.sh interop tests (after lib.sh): one namespace with
# a TAP (kernel 198.18.0.1, tapir 198.18.0.2), the test certificates, and
# helpers to run the tapir TLS programs in it.
need_root
need_cmd openssl python3
need_bin tls-mkcert tapir-tls-client tapir-tls-server

new_ns ns k
ns_tap "$ns" tap0
CERTS=$TMPD/certs
"$PROGS/tls-mkcert" "$CERTS" || fail "tls-mkcert"
DEV=(--tap tap0 --addr "$TAPIR_IP/24")
PEER=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/tls_peer.py
SUBJECT="/C=US/ST=California/L=Mountain View/O=tapir/CN=tapir.test"
CA_SUBJECT="/C=US/O=tapir/CN=tapir test CA"
OTHER_CA_SUBJECT="/C=US/O=elsewhere/CN=untrusted test CA"

# tclient ARGS...: tapir-tls-client in the namespace; output on stdout.
tclient() { timeout 90 ip netns exec "$ns" "$PROGS/tapir-tls-client" "${DEV[@]}" "$@" 2>&1; }
# Until the TCP engine is in, tapir has no stream sockets: say so, skip.
probe=$(tclient --timeout 3 $KERNEL_IP 9)
grep -q "Errno 93" <<<"$probe" && skip "tapir has no TCP yet (socket(): Protocol not supported)"

# stop NAME: stops a background peer (SIGTERM first: s_server ignores SIGINT).
stop() { kill -TERM "$(pid_of "$1")" 2>/dev/null; stop_bg "$1"; }
# kns CMD...: a command in the namespace (the kernel's side).
kns() { ip netns exec "$ns" "$@"; }
# has OUTPUT LINE: OUTPUT has exactly this line.
has() { grep -qxF -- "$2" <<<"$1"; }
# expect OUTPUT LINE WHAT: fails the test with OUTPUT shown unless it has LINE.
expect() {
    if grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:" <<<"$1"; then
        echo "$1"
        fail "$3: a sanitizer report in the output"
    fi
    has "$1" "$2" && return 0
    echo "--- output ---"; echo "$1"; echo "---"
    fail "$3: expected the line '$2'"
}
