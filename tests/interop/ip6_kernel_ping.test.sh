# The kernel pings tapir over IPv6 on a TAP: tapir's global address
# (after its DAD), its link-local address, and with 4000-byte payloads
# (fragmented both ways).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ip6_lib.sh"
need_root
need_cmd ping
need_bin tapir-up

new_ns ns k
ns_tap6 "$ns" tap0
start_bg up ip netns exec "$ns" "$BIN/tapir-up" "${TAPIR_DEV6[@]}" --time 60
wait_log up "tapir-up: up" 10 || { show_log up; fail "tapir-up did not come up"; }
# DAD: the address is tentative for up to ~2 s.
wait_for 10 ip netns exec "$ns" ping -6 -c 1 -W 1 $TAPIR_IP6 || { show_log up; fail "tapir's global address never answered"; }

out=$(ip netns exec "$ns" ping -6 -c 20 -i 0.05 -W 2 $TAPIR_IP6 2>&1)
echo "$out"
expect_ping_ok "$out" 20 || { show_log up; fail "ping -6 global: not all 20 answered"; }

out=$(ip netns exec "$ns" ping -6 -c 10 -i 0.05 -W 2 "$TAPIR_LL6%tap0" 2>&1)
echo "$out"
expect_ping_ok "$out" 10 || { show_log up; fail "ping -6 link-local: not all 10 answered"; }

out=$(ip netns exec "$ns" ping -6 -c 5 -i 0.1 -W 2 -s 4000 $TAPIR_IP6 2>&1)
echo "$out"
expect_ping_ok "$out" 5 || { show_log up; fail "ping -6 -s 4000: not all 5 answered"; }

# The kernel learned tapir's link-layer address through ND.
neigh=$(ip -n "$ns" -6 neigh show dev tap0)
grep -qi "$TAPIR_IP6 lladdr $TAPIR_MAC6" <<<"$neigh" || { echo "$neigh"; fail "kernel has no neighbour entry for tapir"; }

stop_bg up; rc=$?
[ $rc -eq 0 ] || { show_log up; fail "tapir-up exited with status $rc"; }
show_log up
n=$(grep -E "ICMPv6 echo replies sent$" "$(log_of up)" | awk '{print $1}')
[ "${n:-0}" -ge 36 ] || fail "tapir's counters should show >= 36 ICMPv6 echo replies (got ${n:-none})"
grep -Eq "^ +[1-9][0-9]* IPv6 datagrams reassembled$" "$(log_of up)" || fail "tapir should have reassembled the big pings"
grep -Eq "^ +[1-9][0-9]* IPv6 fragments created$" "$(log_of up)" || fail "tapir should have fragmented the big replies"
grep -Eq "^ +[1-9][0-9]* addresses that passed DAD$" "$(log_of up)" || fail "DAD should have run"
exit 0
