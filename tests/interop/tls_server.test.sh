# Kernel clients -> a tapir TLS server over a TAP: `openssl s_client` with
# verification (echo through tapir, its close_notify answered), `curl
# --cacert` fetching from tapir's tiny HTTPS responder, curl without the CA
# refused, and s_client refusing tapir's expired certificate.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls_lib.sh"
need_cmd curl

# tserver NAME ARGS...: tapir-tls-server on 198.18.0.2:4433.
tserver() {
    local name=$1; shift
    start_bg "$name" ip netns exec "$ns" "$PROGS/tapir-tls-server" "${DEV[@]}" --port 4433 "$@"
    wait_log "$name" "^listening" 10 || { show_log "$name"; fail "tapir-tls-server did not start"; }
}

say "openssl s_client -> tapir echo server"
tserver echo --cert "$CERTS/server.pem" --key "$CERTS/server.key" --mode echo
out=$( (echo "hello tapir"; sleep 2) | timeout 30 ip netns exec "$ns" openssl s_client \
       -connect $TAPIR_IP:4433 -CAfile "$CERTS/ca.pem" -servername tapir.test -verify_hostname tapir.test \
       -verify_return_error 2>&1)
echo "$out"
grep -q "Verify return code: 0 (ok)" <<<"$out" || fail "s_client did not verify tapir's certificate"
grep -qx "echo: hello tapir" <<<"$out" || fail "no echo from tapir"
grep -Eq "New, TLSv1.3, Cipher is TLS_" <<<"$out" || fail "not TLS 1.3"
wait_log echo "^closed" 10 || { show_log echo; fail "tapir server did not finish"; }
show_log echo
grep -qx "eof: clean" "$(log_of echo)" || fail "tapir did not see s_client's close_notify"
grep -qx "unwrap: ok" "$(log_of echo)" || fail "tapir's unwrap after s_client's close_notify"
stop echo

say "curl --cacert -> tapir HTTPS responder"
tserver http --cert "$CERTS/server.pem" --key "$CERTS/server.key" --mode http --count 2
body=$(timeout 30 ip netns exec "$ns" curl -sS --cacert "$CERTS/ca.pem" "https://$TAPIR_IP:4433/hello" 2>&1)
echo "$body"
[ "$body" = "hello from tapir" ] || fail "curl got '$body'"
body=$(timeout 30 ip netns exec "$ns" curl -sS --cacert "$CERTS/ca.pem" \
       --resolve "tapir.test:4433:$TAPIR_IP" "https://tapir.test:4433/by-name" 2>&1)
[ "$body" = "hello from tapir" ] || fail "curl by name got '$body'"
wait_log http "^closed" 10 || true
stop http
show_log http
grep -qx "request: GET /hello HTTP/1.1" "$(log_of http)" || fail "tapir did not see curl's request"
grep -qx "request: GET /by-name HTTP/1.1" "$(log_of http)" || fail "tapir did not see the second request"

say "curl without the CA refuses tapir's certificate"
tserver http2 --cert "$CERTS/server.pem" --key "$CERTS/server.key" --mode http
timeout 30 ip netns exec "$ns" curl -sS "https://$TAPIR_IP:4433/" >"$TMPD/curl.out" 2>&1
rc=$?
cat "$TMPD/curl.out"
[ $rc -eq 60 ] || fail "curl without --cacert should fail with 60 (certificate problem), got $rc"
wait_log http2 "^error" 10 || { show_log http2; fail "tapir server reported no handshake error"; }
show_log http2
grep -q "^error: ssl.SSLError: \[SSL: TLSV1_ALERT_UNKNOWN_CA\] tlsv1 alert unknown ca" "$(log_of http2)" ||
    fail "tapir server's error for curl's alert"
stop http2

say "s_client refuses tapir's expired certificate"
tserver expired --cert "$CERTS/expired.pem" --key "$CERTS/expired.key" --mode echo
out=$( (sleep 1) | timeout 30 ip netns exec "$ns" openssl s_client -connect $TAPIR_IP:4433 \
       -CAfile "$CERTS/ca.pem" -verify_return_error 2>&1)
echo "$out"
grep -q "certificate has expired" <<<"$out" || fail "s_client should see an expired certificate"
stop expired
exit 0
