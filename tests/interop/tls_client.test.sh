# tapir TLS client -> the kernel's `openssl s_server` over a TAP: handshake,
# data both ways (s_server -rev answers each line reversed), the server() and
# issuer() strings, TLS 1.2 on request, a non-blocking client driven by
# select; verification failures with Python's messages (wrong host name,
# expired certificate, unknown CA) and the legacy ssl() call accepting the
# same bad certificates (it does not verify).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls_lib.sh"

# s_server NAME CERT: one s_server -rev on 198.18.0.1:4433 for one connection.
s_server() {
    start_bg "$1" ip netns exec "$ns" openssl s_server -accept "$KERNEL_IP:4433" -naccept 1 -rev \
        -cert "$CERTS/$2.pem" -key "$CERTS/$2.key"
    wait_log "$1" "^ACCEPT" 10 || { show_log "$1"; fail "s_server ($2) did not start"; }
}

say "verified handshake, data both ways, server()/issuer()"
s_server srv1 server
out=$(tclient --cacert "$CERTS/ca.pem" --servername tapir.test --send "hello tapir" --no-unwrap $KERNEL_IP 4433)
echo "$out"
expect "$out" "handshake: ok" "verified handshake"
expect "$out" "version: TLSv1.3" "version"
expect "$out" "reply: ripat olleh" "data both ways"
expect "$out" "server: $SUBJECT" "server()"
expect "$out" "issuer: $CA_SUBJECT" "issuer()"
grep -Eq '^cipher: TLS_(AES_256_GCM_SHA384|CHACHA20_POLY1305_SHA256|AES_128_GCM_SHA256) (256|128)$' <<<"$out" ||
    fail "cipher line"
stop srv1

say "TLS 1.2 when the client asks for it"
s_server srv2 server
out=$(tclient --cacert "$CERTS/ca.pem" --servername tapir.test --tls12 --send abc --no-unwrap $KERNEL_IP 4433)
echo "$out"
expect "$out" "version: TLSv1.2" "TLS 1.2"
expect "$out" "reply: cba" "TLS 1.2 data"
stop srv2

say "non-blocking client driven by select"
s_server srv3 server
out=$(tclient --cacert "$CERTS/ca.pem" --servername tapir.test --nonblock --send "non blocking" --no-unwrap \
      $KERNEL_IP 4433)
echo "$out"
expect "$out" "handshake: ok" "non-blocking handshake"
expect "$out" "reply: gnikcolb non" "non-blocking data"
# The handshake's and the reply's waits can all be avoided when s_server
# answers before we read (a loaded machine can preempt us right after each
# write): the certain want-read is a read before we sent anything.
expect "$out" "read before sending: want-read" "a non-blocking read with nothing to read wants to read"
n=$(sed -n 's/^want-read: //p' <<<"$out")
[ -n "$n" ] || fail "no want-read count"
stop srv3

VF="error: ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"
say "verification failures"
s_server srv4 server
out=$(tclient --cacert "$CERTS/ca.pem" --servername wrong.test $KERNEL_IP 4433)
echo "$out"
expect "$out" "$VF: Hostname mismatch, certificate is not valid for 'wrong.test'." "wrong host name"
stop srv4
s_server srv5 expired
out=$(tclient --cacert "$CERTS/ca.pem" --servername tapir.test $KERNEL_IP 4433)
echo "$out"
expect "$out" "$VF: certificate has expired" "expired certificate"
stop srv5
s_server srv6 unknown
out=$(tclient --cacert "$CERTS/ca.pem" --servername tapir.test $KERNEL_IP 4433)
echo "$out"
expect "$out" "$VF: unable to get local issuer certificate" "unknown CA"
stop srv6

say "the legacy ssl() call accepts the same certificates"
for c in server expired unknown; do
    s_server "legacy-$c" "$c"
    out=$(tclient --legacy --send "legacy $c" --no-unwrap $KERNEL_IP 4433)
    echo "$out"
    expect "$out" "handshake: ok" "legacy handshake ($c)"
    expect "$out" "server: $SUBJECT" "legacy server() ($c)"
    rev=$(rev <<<"legacy $c")
    expect "$out" "reply: $rev" "legacy data ($c)"
    want=$CA_SUBJECT
    [ $c = unknown ] && want=$OTHER_CA_SUBJECT
    expect "$out" "issuer: $want" "legacy issuer() ($c)"
    stop "legacy-$c"
done
exit 0
