# 4000-byte pings over a TAP (MTU 1500), fragmented both ways: the kernel
# pings tapir (tapir reassembles, and fragments its reply), then tapir-ping
# pings the kernel.
source "$(dirname "$0")/lib.sh"
need_root
need_cmd ping
need_bin tapir-up tapir-ping

new_ns ns k
ns_tap "$ns" tap0
start_bg up ip netns exec "$ns" "$BIN/tapir-up" --tap tap0 --addr $TAPIR_IP/24 --time 60
wait_log up "tapir-up: up" 10 || { show_log up; fail "tapir-up did not come up"; }
out=$(ip netns exec "$ns" ping -c 5 -i 0.1 -W 2 -s 4000 $TAPIR_IP 2>&1)
echo "$out"
expect_ping_ok "$out" 5 || { show_log up; fail "kernel 4000-byte ping: not all answered"; }
[ "$(grep -c "^4008 bytes from $TAPIR_IP" <<<"$out")" -eq 5 ] || fail "replies should be 4008 bytes"
stop_bg up; rc=$?
[ $rc -eq 0 ] || { show_log up; fail "tapir-up exited with status $rc"; }
show_log up
grep -Eq "^ +5 IPv4 datagrams reassembled$" "$(log_of up)" || fail "tapir should count 5 reassemblies"
grep -Eq "^ +15 IPv4 fragments created$" "$(log_of up)" || fail "tapir should count 15 fragments sent"

out=$(timeout 60 ip netns exec "$ns" "$BIN/tapir-ping" --tap tap0 --addr $TAPIR_IP/24 \
      -c 5 -i 0.1 -W 2 -s 4000 $KERNEL_IP 2>&1)
echo "$out"
expect_ping_ok "$out" 5 || fail "tapir-ping 4000 bytes: not all answered"
[ "$(grep -c "^4008 bytes from $KERNEL_IP" <<<"$out")" -eq 5 ] || fail "replies should be 4008 bytes"
exit 0
