# A TLS peer that closes without close_notify: tapir's client reports
# Python's SSLEOFError ([SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in
# violation of protocol); the legacy ssl() reads it as a plain EOF (ragged
# EOFs suppressed); and a tapir server that drops the connection is seen by
# Python's ssl client the same way.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls_lib.sh"

peer() {
    local name=$1; shift
    start_bg "$name" ip netns exec "$ns" python3 "$PEER" "$@"
}

say "kernel server drops the connection: tapir client gets SSLEOFError"
peer drop1 server --cert "$CERTS/server.pem" --key "$CERTS/server.key" --bind $KERNEL_IP --port 4433 --mode drop
wait_log drop1 "^listening" 10 || fail "python server did not start"
out=$(tclient --cacert "$CERTS/ca.pem" --servername tapir.test --download $KERNEL_IP 4433)
echo "$out"
expect "$out" "recv-bytes: 4" "the bytes before the drop"
expect "$out" "error: recv: ssl.SSLEOFError: [SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol" \
    "unexpected EOF"
has "$out" "eof: clean" && fail "a dropped connection must not read as a clean EOF"
stop drop1

say "the legacy ssl() reads the same as EOF"
peer drop2 server --cert "$CERTS/server.pem" --key "$CERTS/server.key" --bind $KERNEL_IP --port 4433 --mode drop
wait_log drop2 "^listening" 10 || fail "python server did not start"
out=$(tclient --legacy --download $KERNEL_IP 4433)
echo "$out"
expect "$out" "recv-bytes: 4" "legacy bytes"
expect "$out" "eof: clean" "legacy EOF"
stop drop2

say "tapir server drops the connection: Python's client gets SSLEOFError"
start_bg tdrop ip netns exec "$ns" "$PROGS/tapir-tls-server" "${DEV[@]}" --port 4433 \
    --cert "$CERTS/server.pem" --key "$CERTS/server.key" --mode drop
wait_log tdrop "^listening" 10 || { show_log tdrop; fail "tapir server did not start"; }
out=$(timeout 60 ip netns exec "$ns" python3 "$PEER" client --cafile "$CERTS/ca.pem" --host $TAPIR_IP --port 4433 \
      --servername tapir.test --mode eof 2>&1)
echo "$out"
expect "$out" "recv-bytes: 4" "python got tapir's bytes"
grep -q "^error: SSLEOFError: " <<<"$out" || fail "python should see an EOF in violation of the protocol"
stop tdrop
exit 0
