# tapir-ping -6 pings the kernel over a TAP: its global and link-local
# addresses, all answered, with ping(8)-like lines.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ip6_lib.sh"
need_root
need_bin tapir-ping

new_ns ns k
ns_tap6 "$ns" tap0
# dad=0: tapir-ping starts sending at once (with DAD its address would be
# tentative, unusable, for its first second or two).
out=$(timeout 60 ip netns exec "$ns" "$BIN/tapir-ping" "${TAPIR_DEV6[@]}" --config dad=0 \
      -6 -c 20 -i 0.05 -W 2 $KERNEL_IP6 2>&1)
rc=$?
echo "$out"
[ $rc -eq 0 ] || fail "tapir-ping -6 exited $rc"
expect_ping_ok "$out" 20 || fail "not all 20 answered"
n=$(grep -Ec "^64 bytes from $KERNEL_IP6: icmp_seq=[0-9]+ time=[0-9]+\.[0-9]{3} ms$" <<<"$out")
[ "$n" -eq 20 ] || fail "expected 20 reply lines, got $n"
grep -q "^PING $KERNEL_IP6 ($KERNEL_IP6) 56 data bytes$" <<<"$out" || fail "no PING header line"

# The kernel's link-local address, scope id 1 (tapir's interface).
kll=$(ip -n "$ns" -6 addr show dev tap0 scope link | awk '/inet6/ {print $2}' | cut -d/ -f1 | head -1)
[ -n "$kll" ] || fail "the kernel has no link-local address on tap0"
out=$(timeout 60 ip netns exec "$ns" "$BIN/tapir-ping" "${TAPIR_DEV6[@]}" --config dad=0 \
      -c 5 -i 0.05 -W 2 "$kll%1" 2>&1)
rc=$?
echo "$out"
[ $rc -eq 0 ] || fail "tapir-ping to $kll exited $rc"
expect_ping_ok "$out" 5 || fail "link-local: not all 5 answered"

# Nobody there: all lost, exit 1.
out=$(timeout 30 ip netns exec "$ns" "$BIN/tapir-ping" "${TAPIR_DEV6[@]}" --config dad=0 \
      -c 2 -i 0.1 -W 1 fd00:198:18::99 2>&1)
rc=$?
echo "$out"
[ $rc -eq 1 ] || fail "no replies should exit 1, got $rc"
exit 0
