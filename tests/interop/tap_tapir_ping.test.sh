# tapir-ping pings the kernel over a TAP: `tapir-ping -c 20 198.18.0.1`, all
# answered, with ping(8)'s per-reply lines and statistics.
source "$(dirname "$0")/lib.sh"
need_root
need_bin tapir-ping

new_ns ns k
ns_tap "$ns" tap0
out=$(timeout 60 ip netns exec "$ns" "$BIN/tapir-ping" --tap tap0 --addr $TAPIR_IP/24 \
      -c 20 -i 0.05 -W 2 $KERNEL_IP 2>&1)
rc=$?
echo "$out"
[ $rc -eq 0 ] || fail "tapir-ping exited $rc"
expect_ping_ok "$out" 20 || fail "not all 20 answered"
n=$(grep -Ec "^64 bytes from $KERNEL_IP: icmp_seq=[0-9]+ ttl=64 time=[0-9]+\.[0-9]{3} ms$" <<<"$out")
[ "$n" -eq 20 ] || fail "expected 20 reply lines like ping's, got $n"
grep -Eq "^rtt min/avg/max/mdev = [0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+ ms$" <<<"$out" || fail "no rtt line"
grep -q "^PING $KERNEL_IP ($KERNEL_IP) 56(84) bytes of data.$" <<<"$out" || fail "no PING header line"

# A destination that never answers: everything lost, exit status 1 (as ping).
out=$(timeout 30 ip netns exec "$ns" "$BIN/tapir-ping" --tap tap0 --addr $TAPIR_IP/24 \
      -c 2 -i 0.1 -W 1 198.18.0.99 2>&1)
rc=$?
echo "$out"
[ $rc -eq 1 ] || fail "no replies should exit 1, got $rc"
grep -q "2 packets transmitted, 0 received, 100% packet loss" <<<"$out" || fail "loss line"
exit 0
