# 20 MB through TLS each way over a TAP, both roles, SHA-256 equal on both
# ends: tapir client <-> kernel Python ssl server (download, upload), then
# kernel Python ssl client <-> tapir server (upload to tapir, download from it).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls_lib.sh"

BYTES=$((20 * 1024 * 1024))
head -c $BYTES /dev/urandom >"$TMPD/big" || fail "making the 20 MB file"
BIG_SHA=$(sha256sum "$TMPD/big" | cut -d' ' -f1)
sha_of() { sed -n "s/^$2: //p" <<<"$1" | head -n 1; }

peer() { # NAME ARGS...: tls_peer.py in the namespace
    local name=$1; shift
    start_bg "$name" ip netns exec "$ns" python3 "$PEER" "$@"
}

say "kernel -> tapir client: 20 MB download"
peer down server --cert "$CERTS/server.pem" --key "$CERTS/server.key" --bind $KERNEL_IP --port 4433 \
     --mode source --file "$TMPD/big"
wait_log down "^listening" 10 || { show_log down; fail "python server did not start"; }
t0=${EPOCHREALTIME/./}
out=$(tclient --cacert "$CERTS/ca.pem" --servername tapir.test --download $KERNEL_IP 4433)
t1=${EPOCHREALTIME/./}
echo "$out"
expect "$out" "recv-bytes: $BYTES" "download size"
expect "$out" "recv-sha256: $BIG_SHA" "download hash"
expect "$out" "eof: clean" "download ends with close_notify"
say "download: $(( BYTES * 8 / (t1 - t0) )) Mbit/s"
wait_log down "^unwrap" 10 || true
stop down

say "tapir client -> kernel: 20 MB upload"
peer up server --cert "$CERTS/server.pem" --key "$CERTS/server.key" --bind $KERNEL_IP --port 4433 --mode sink
wait_log up "^listening" 10 || { show_log up; fail "python server did not start"; }
t0=${EPOCHREALTIME/./}
out=$(tclient --cacert "$CERTS/ca.pem" --servername tapir.test --upload $BYTES $KERNEL_IP 4433)
t1=${EPOCHREALTIME/./}
echo "$out"
expect "$out" "unwrap: ok" "upload's close_notify answered"
sent=$(sha_of "$out" sent-sha256)
wait_log up "^recv-sha256" 20 || { show_log up; fail "python server did not finish"; }
show_log up
got=$(sed -n 's/^recv-sha256: //p' "$(log_of up)")
[ -n "$sent" ] && [ "$sent" = "$got" ] || fail "upload hash: sent $sent, kernel got $got"
grep -qx "recv-bytes: $BYTES" "$(log_of up)" || fail "upload size"
grep -qx "sni: tapir.test" "$(log_of up)" || fail "tapir's client did not send SNI tapir.test"
say "upload: $(( BYTES * 8 / (t1 - t0) )) Mbit/s"
stop up

say "kernel client -> tapir server: 20 MB upload to tapir"
start_bg tsink ip netns exec "$ns" "$PROGS/tapir-tls-server" "${DEV[@]}" --port 4433 \
    --cert "$CERTS/server.pem" --key "$CERTS/server.key" --mode sink
wait_log tsink "^listening" 10 || { show_log tsink; fail "tapir server did not start"; }
out=$(timeout 90 ip netns exec "$ns" python3 "$PEER" client --cafile "$CERTS/ca.pem" --host $TAPIR_IP --port 4433 \
      --servername tapir.test --mode source --file "$TMPD/big" 2>&1)
echo "$out"
expect "$out" "sent-sha256: $BIG_SHA" "python client sent the file"
expect "$out" "unwrap: ok" "python client's unwrap with tapir"
wait_log tsink "^recv-sha256" 20 || { show_log tsink; fail "tapir sink did not finish"; }
show_log tsink
grep -qx "recv-sha256: $BIG_SHA" "$(log_of tsink)" || fail "tapir server got other bytes"
stop tsink

say "tapir server -> kernel client: 20 MB download from tapir"
start_bg tsrc ip netns exec "$ns" "$PROGS/tapir-tls-server" "${DEV[@]}" --port 4433 \
    --cert "$CERTS/server.pem" --key "$CERTS/server.key" --mode source $BYTES
wait_log tsrc "^listening" 10 || { show_log tsrc; fail "tapir server did not start"; }
out=$(timeout 90 ip netns exec "$ns" python3 "$PEER" client --cafile "$CERTS/ca.pem" --host $TAPIR_IP --port 4433 \
      --servername tapir.test --mode sink 2>&1)
echo "$out"
wait_log tsrc "^sent-sha256" 20 || { show_log tsrc; fail "tapir source did not finish"; }
show_log tsrc
sent=$(sed -n 's/^sent-sha256: //p' "$(log_of tsrc)")
expect "$out" "recv-bytes: $BYTES" "python client's size"
expect "$out" "recv-sha256: $sent" "python client's hash"
stop tsrc
exit 0
