# SO_LINGER against the kernel: tapir sends to a Linux peer that reads
# slowly through a small receive buffer and closes with l_linger=20; close
# must return only once the kernel has acknowledged everything (the data and
# the FIN), which it cannot do before its reader has taken all but the last
# buffer's worth.  Then the timeout path: the kernel's reader stalls for 3 s,
# close with l_linger=1 returns after 1 s with 0, and the connection goes on
# in the background: the kernel still gets every byte and the EOF.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/api_lib.sh"
need_root
need_cmd python3
need_bin tapir-linger

new_ns ns k
ns_tap "$ns" tap0
PEER=$(dirname "$0")/linger_peer.py

# run_case NAME PORT BYTES MODE LINGER: the kernel peer in the background,
# tapir-linger in the foreground; sets CLOSE_LINE and PEER_LINE.
run_case() {
    local name=$1 port=$2 bytes=$3 mode=$4 linger=$5
    start_bg "$name" ip netns exec "$ns" python3 "$PEER" "$KERNEL_IP" "$port" "$bytes" "$mode"
    wait_log "$name" "listening" 10 || { show_log "$name"; fail "$name: the kernel peer did not listen"; }
    local out
    out=$(timeout 60 ip netns exec "$ns" "$PROGS/tapir-linger" "${TAPIR_DEV[@]}" --connect "$KERNEL_IP" \
          --port "$port" --bytes "$bytes" --linger "$linger" --sndbuf 4194304 --stay 8 </dev/null 2>&1)
    echo "$out"
    skip_without_tcp "$out"
    CLOSE_LINE=$(grep "^close returned" <<<"$out") || fail "$name: tapir-linger: $out"
    wait_log "$name" "^got " 30 || { show_log "$name"; fail "$name: the kernel peer did not finish"; }
    PEER_LINE=$(grep "^got " "$(log_of "$name")")
    echo "kernel: $PEER_LINE"
    stop_bg "$name"
}
field() { awk -v k="$2" '{for (i = 1; i < NF; i++) if ($i == k) print $(i + 1)}' <<<"$1"; }

# 1. The acknowledgment ends the wait.
N=2000000
run_case slow 50100 $N slow 20
[ "$(field "$CLOSE_LINE" returned)" = 0 ] || fail "close did not return 0: $CLOSE_LINE"
[ "$(field "$PEER_LINE" got)" = $N ] || fail "the kernel got $(field "$PEER_LINE" got) of $N bytes"
[ "$(field "$PEER_LINE" bad)" = 0 ] || fail "wrong bytes: $PEER_LINE"
after=$(field "$CLOSE_LINE" after); at=$(field "$CLOSE_LINE" mono); mark=$(field "$PEER_LINE" mark)
python3 - "$after" "$at" "$mark" <<'PY' || fail "slow reader: $CLOSE_LINE / $PEER_LINE"
import sys
after, at, mark = map(float, sys.argv[1:])
# close waited (sendall returned at once into a 4 MB send buffer; the reader
# needs ~2.5 s), and it returned no earlier than the moment the kernel's
# reader had taken all but the last 64 KB: before that the kernel could not
# have acknowledged the last byte, let alone the FIN.
assert after > 0.5, "close did not wait: %.3f s" % after
assert at >= mark, "close returned %.3f s before the data could be acknowledged" % (mark - at)
assert after < 20, "the linger time ran out instead"
print("close waited %.3f s, returned %.3f s after the reader passed the last 64 KB" % (after, at - mark))
PY

# 2. The linger time ends the wait; the close goes on in the background.
N=300000
run_case stall 50101 $N stall 1
[ "$(field "$CLOSE_LINE" returned)" = 0 ] || fail "close did not return 0: $CLOSE_LINE"
python3 - "$(field "$CLOSE_LINE" after)" <<'PY' || fail "stalled reader: $CLOSE_LINE"
import sys
after = float(sys.argv[1])
assert 1.0 <= after < 1.6, "close took %.3f s, wanted the 1 s linger time" % after
PY
[ "$(field "$PEER_LINE" got)" = $N ] || fail "after the linger time the kernel got $(field "$PEER_LINE" got) of $N bytes"
[ "$(field "$PEER_LINE" bad)" = 0 ] || fail "wrong bytes: $PEER_LINE"
say "SO_LINGER ok: close waits for the acknowledgment, or the linger time"
exit 0
