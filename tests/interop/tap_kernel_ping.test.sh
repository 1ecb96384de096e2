# The kernel pings tapir over a TAP: `ping -c 20 198.18.0.2`, all answered.
source "$(dirname "$0")/lib.sh"
need_root
need_cmd ping
need_bin tapir-up

new_ns ns k
ns_tap "$ns" tap0
start_bg up ip netns exec "$ns" "$BIN/tapir-up" --tap tap0 --addr $TAPIR_IP/24 --time 60
wait_log up "tapir-up: up" 10 || { show_log up; fail "tapir-up did not come up"; }

out=$(ip netns exec "$ns" ping -c 20 -i 0.05 -W 2 $TAPIR_IP 2>&1)
echo "$out"
expect_ping_ok "$out" 20 || { show_log up; fail "kernel ping: not all 20 answered"; }

stop_bg up; rc=$?
[ $rc -eq 0 ] || { show_log up; fail "tapir-up exited with status $rc"; }
show_log up
grep -Eq "^ +20 ICMP echo replies sent$" "$(log_of up)" || fail "tapir's counters should show 20 echo replies"
grep -Eq "^ +[1-9][0-9]* ARP replies sent$" "$(log_of up)" || fail "tapir should have answered ARP"
exit 0
