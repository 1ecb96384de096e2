# The fault injector from the command line (tapir-up --drop P): the kernel's
# ping over a TAP loses about what a 20% drop each way should lose
# (1 - 0.8 * 0.8 = 36%), while the capture still records the real wire.
source "$(dirname "$0")/lib.sh"
need_root
need_cmd ping tcpdump
need_bin tapir-up

new_ns ns k
ns_tap "$ns" tap0
cap=$TMPD/fault.pcap
start_bg up ip netns exec "$ns" "$BIN/tapir-up" --tap tap0 --addr $TAPIR_IP/24 --drop 0.2 --seed 7 \
    --capture "$cap" --time 60
wait_log up "tapir-up: up" 10 || { show_log up; fail "tapir-up did not come up"; }
out=$(ip netns exec "$ns" ping -c 100 -i 0.01 -W 1 $TAPIR_IP 2>&1)
echo "$out" | tail -n 3
loss=$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' <<<"$out")
loss=${loss%.*}
[ -n "$loss" ] && [ "$loss" -ge 20 ] && [ "$loss" -le 55 ] || fail "loss ${loss:-?}% is not near 36%"
stop_bg up; rc=$?
[ $rc -eq 0 ] || { show_log up; fail "tapir-up exited with status $rc"; }
# The capture is below the injector: every request the kernel sent is there.
req=$(tcpdump -nr "$cap" 2>/dev/null | grep -c "ICMP echo request")
[ "$req" -eq 100 ] || fail "the capture should hold all 100 requests, has $req"
exit 0
